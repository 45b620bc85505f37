/*
 * The instructions a guest must not have: SVM's (VMRUN, VMLOAD, VMSAVE,
 * STGI, CLGI, SKINIT, INVLPGA) and MONITOR/MWAIT give #UD, as on a CPU
 * without them (CPUID hides them), and never run. INVD is harmless (hv
 * writes caches back instead).
 */
#include "guest.h"

#define VEC_UD 6

int guest_main(u32 magic, u32 mbi)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} insns[] = {
		{ "VMRUN", try_vmrun },     { "VMLOAD", try_vmload },   { "VMSAVE", try_vmsave },
		{ "STGI", try_stgi },       { "CLGI", try_clgi },       { "SKINIT", try_skinit },
		{ "INVLPGA", try_invlpga }, { "MONITOR", try_monitor }, { "MWAIT", try_mwait },
	};

	(void)magic;
	(void)mbi;
	for (u32 i = 0; i < ARRAY_SIZE(insns); i++) {
		int v = insns[i].fn();

		if (v != VEC_UD)
			printf_hv("%s gave vector %d\n", insns[i].name, v);
		check(v == VEC_UD, (u32)v, insns[i].name);
	}
	check(try_ud2() == VEC_UD, 0, "UD2 (the guest's own #UD still works)");
	__asm__ volatile("invd" : : : "memory");
	check(true, 0, "INVD returns");
	return 0;
}
