/*
 * MSR exits: MSRs a guest may use (EFER, PAT, the syscall MSRs the world
 * switch carries, the TSC) work; MSRs it may not (SVM's VM_CR and
 * VM_HSAVE_PA, the local APIC base, machine check, MTRR, performance
 * counters, numbers no CPU has) give #GP instead of anything else; bad
 * values for EFER and PAT give #GP and change nothing.
 */
#include "guest.h"

#define VEC_GP          13
#define MSR_TSC         0x00000010
#define MSR_APIC_BASE   0x0000001b
#define MSR_MTRRCAP     0x000000fe
#define MSR_MCG_CAP     0x00000179
#define MSR_SYSENTER_CS 0x00000174
#define MSR_PAT         0x00000277
#define MSR_EFER        0xc0000080
#define MSR_STAR        0xc0000081
#define MSR_LSTAR       0xc0000082
#define MSR_KERNEL_GS   0xc0000102
#define MSR_PERFCTR0    0xc0010004
#define MSR_VM_CR       0xc0010114
#define MSR_HSAVE_PA    0xc0010117
#define EFER_SCE        (1u << 0)
#define EFER_NXE        (1u << 11)
#define EFER_SVME       (1u << 12)
#define PAT_RESET       0x0007040600070406ull

int guest_main(u32 magic, u32 mbi)
{
	static const u32 refused[] = { MSR_VM_CR,   MSR_HSAVE_PA, MSR_APIC_BASE,
				       MSR_MTRRCAP, MSR_MCG_CAP,  MSR_PERFCTR0,
				       0x12345678,  0xffffffff,   0x40000000 };
	u64 v, efer, w;
	int fault;

	(void)magic;
	(void)mbi;
	for (u32 i = 0; i < ARRAY_SIZE(refused); i++) {
		check(rdmsr_safe(refused[i], &v) == VEC_GP, refused[i], "RDMSR refused with #GP");
		check(wrmsr_safe(refused[i], 0) == VEC_GP, refused[i], "WRMSR refused with #GP");
	}

	check(rdmsr_safe(MSR_EFER, &efer) == NO_FAULT, 0, "RDMSR EFER");
	check(!(efer & EFER_SVME), (u32)efer, "EFER does not show SVME");
	check(wrmsr_safe(MSR_EFER, efer | EFER_SVME) == VEC_GP, (u32)efer, "EFER.SVME refused");
	check(wrmsr_safe(MSR_EFER, efer | (1ull << 40)) == VEC_GP, (u32)efer,
	      "EFER reserved bit refused");
	check(wrmsr_safe(MSR_EFER, efer | EFER_SCE | EFER_NXE) == NO_FAULT, (u32)efer,
	      "EFER.SCE and NXE accepted");
	rdmsr_safe(MSR_EFER, &v);
	check(v == (efer | EFER_SCE | EFER_NXE), (u32)v, "EFER reads back");
	wrmsr_safe(MSR_EFER, efer);

	check(rdmsr_safe(MSR_PAT, &v) == NO_FAULT && v == PAT_RESET, (u32)v, "PAT at reset");
	check(wrmsr_safe(MSR_PAT, 0x0000000000000002ull) == VEC_GP, 0, "PAT type 2 refused");
	check(wrmsr_safe(MSR_PAT, 0x0000000000000010ull) == VEC_GP, 0, "PAT bit 4 refused");
	check(wrmsr_safe(MSR_PAT, 0x0007010600070106ull) == NO_FAULT, 0, "PAT with WC accepted");
	rdmsr_safe(MSR_PAT, &v);
	check(v == 0x0007010600070106ull, (u32)v, "PAT reads back");

	/* Passed through: what the guest writes is what it reads. */
	check(wrmsr_safe(MSR_STAR, 0x0023001000000000ull) == NO_FAULT, 0, "WRMSR STAR");
	check(rdmsr_safe(MSR_STAR, &v) == NO_FAULT && v == 0x0023001000000000ull, (u32)(v >> 32),
	      "STAR reads back");
	check(wrmsr_safe(MSR_SYSENTER_CS, 0x10) == NO_FAULT, 0, "WRMSR SYSENTER_CS");
	check(rdmsr_safe(MSR_SYSENTER_CS, &v) == NO_FAULT && v == 0x10, (u32)v,
	      "SYSENTER_CS reads back");
	/* LSTAR and KERNEL_GS_BASE only exist in 64-bit CPUs, which this one is. */
	w = 0xffffffff81000000ull;
	check(wrmsr_safe(MSR_LSTAR, w) == NO_FAULT && rdmsr_safe(MSR_LSTAR, &v) == NO_FAULT &&
		  v == w,
	      (u32)v, "LSTAR reads back");
	check(wrmsr_safe(MSR_KERNEL_GS, 0x1234000) == NO_FAULT &&
		  rdmsr_safe(MSR_KERNEL_GS, &v) == NO_FAULT && v == 0x1234000,
	      (u32)v, "KERNEL_GS_BASE reads back");

	/* The TSC reads as RDTSC does; writes are ignored. */
	w = rdtsc();
	fault = rdmsr_safe(MSR_TSC, &v);
	check(fault == NO_FAULT, (u32)fault, "RDMSR TSC");
	check(v >= w, (u32)(w - v), "RDMSR TSC is not behind RDTSC");
	check(wrmsr_safe(MSR_TSC, 1) == NO_FAULT, 0, "WRMSR TSC accepted");
	check(rdtsc() > w, 0, "the TSC did not go back");
	return 0;
}
