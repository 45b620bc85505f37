/*
 * CPUID exits: the hypervisor leaves of the hv ABI, the hypervisor-present
 * bit, what must be hidden (SVM, VMX, the local APIC and x2APIC,
 * MONITOR/MWAIT, MTRRs, machine checks, the SVM leaf), what must still be
 * the host's (long mode, the TSC), and OSXSAVE following the guest's own
 * CR4 rather than the host's.
 */
#include "guest.h"

#define L1_ECX_MONITOR BIT32(3)
#define L1_ECX_VMX     BIT32(5)
#define L1_ECX_X2APIC  BIT32(21)
#define L1_ECX_XSAVE   BIT32(26)
#define L1_ECX_OSXSAVE BIT32(27)
#define L1_ECX_HV      BIT32(31)
#define L1_EDX_TSC     BIT32(4)
#define L1_EDX_MCE     BIT32(7)
#define L1_EDX_APIC    BIT32(9)
#define L1_EDX_MTRR    BIT32(12)
#define E1_ECX_SVM     BIT32(2)
#define E1_EDX_LM      BIT32(29)
#define CR4_OSXSAVE    BIT32(18)
#define BIT32(n)       (1u << (n))

static u32 read_cr4(void)
{
	u32 v;

	__asm__ volatile("movl %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(u32 v)
{
	__asm__ volatile("movl %0, %%cr4" : : "r"(v) : "memory");
}

int guest_main(u32 magic, u32 mbi)
{
	struct cpuid_out r;

	(void)magic;
	(void)mbi;
	r = cpuid(HC_CPUID_LEAF_BASE, 0);
	check(r.eax == HC_CPUID_LEAF_MAX, r.eax, "0x40000000: EAX is the highest hypervisor leaf");
	check(r.ebx == HC_CPUID_SIG_EBX && r.ecx == HC_CPUID_SIG_ECX && r.edx == HC_CPUID_SIG_EDX,
	      r.ebx, "0x40000000: signature \"hv\"");
	r = cpuid(HC_CPUID_LEAF_VERSION, 0);
	check(r.eax == HC_ABI_VERSION, r.eax, "0x40000001: EAX is the ABI version");
	check(r.ebx == HC_CPUID_FEATURES_EBX, r.ebx, "0x40000001: EBX lists the functions");
	r = cpuid(HC_CPUID_LEAF_MAX + 1, 0);
	check(!r.eax && !r.ebx && !r.ecx && !r.edx, r.eax, "beyond the hypervisor leaves: zeros");

	r = cpuid(1, 0);
	check(r.ecx & L1_ECX_HV, r.ecx, "leaf 1: hypervisor present");
	check(!(r.ecx & (L1_ECX_VMX | L1_ECX_X2APIC | L1_ECX_MONITOR)), r.ecx,
	      "leaf 1: no VMX, x2APIC, MONITOR");
	check(!(r.edx & (L1_EDX_APIC | L1_EDX_MTRR | L1_EDX_MCE)), r.edx,
	      "leaf 1: no APIC, MTRR, MCE");
	check(r.edx & L1_EDX_TSC, r.edx, "leaf 1: the host's TSC is there");
	r = cpuid(0x80000001, 0);
	check(!(r.ecx & E1_ECX_SVM), r.ecx, "0x80000001: no SVM");
	check(r.edx & E1_EDX_LM, r.edx, "0x80000001: long mode is the host's");
	r = cpuid(0x8000000a, 0);
	check(!r.eax && !r.ebx && !r.ecx && !r.edx, r.edx, "0x8000000a (SVM features): zeros");

	/* OSXSAVE is the guest's CR4.OSXSAVE. */
	if (cpuid(1, 0).ecx & L1_ECX_XSAVE) {
		u32 cr4 = read_cr4();

		check(!(cpuid(1, 0).ecx & L1_ECX_OSXSAVE), cr4,
		      "OSXSAVE clear with CR4.OSXSAVE clear");
		write_cr4(cr4 | CR4_OSXSAVE);
		check(cpuid(1, 0).ecx & L1_ECX_OSXSAVE, read_cr4(),
		      "OSXSAVE set with CR4.OSXSAVE set");
		write_cr4(cr4);
	} else {
		report(100, HC_TEST_SKIP, 0);
	}
	return 0;
}
