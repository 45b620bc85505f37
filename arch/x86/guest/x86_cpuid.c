/*
 * CPUID policy for x86 guests (contract in x86/guest.h). The guest sees the
 * host CPU with what it cannot use taken out, and the hypervisor leaves of
 * the hv ABI added. The host's CPUID is executed at exit time: its answer
 * for the extended state leaf 0xd depends on XCR0, which is the guest's
 * while it runs (the hypervisor uses no extended state and never switches
 * XCR0), so a cached copy would be wrong. It is asked through
 * x86_cpuid_host() (x86/cpuid.h), which host unit tests replace.
 *
 * Bits: AMD APM Vol. 3 appendix E, Intel SDM Vol. 2A "CPUID".
 */
#include <abi/hypercall.h>
#include <x86/cpuid.h>
#include <x86/guest.h>
#include <x86/regs.h>

/* Leaf 1 ECX. */
#define L1_ECX_MONITOR      BIT(3)
#define L1_ECX_DS_CPL       BIT(4)
#define L1_ECX_VMX          BIT(5)
#define L1_ECX_SMX          BIT(6)
#define L1_ECX_EST          BIT(7)
#define L1_ECX_TM2          BIT(8)
#define L1_ECX_PDCM         BIT(15)
#define L1_ECX_X2APIC       BIT(21)
#define L1_ECX_TSC_DEADLINE BIT(24)
#define L1_ECX_OSXSAVE      BIT(27)
#define L1_ECX_HIDE                                                                                \
	(L1_ECX_MONITOR | L1_ECX_DS_CPL | L1_ECX_VMX | L1_ECX_SMX | L1_ECX_EST | L1_ECX_TM2 |      \
	 L1_ECX_PDCM | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE | L1_ECX_OSXSAVE)
/* Leaf 1 EDX. */
#define L1_EDX_MCE  BIT(7)
#define L1_EDX_APIC BIT(9)
#define L1_EDX_MTRR BIT(12)
#define L1_EDX_MCA  BIT(14)
#define L1_EDX_DS   BIT(21)
#define L1_EDX_ACPI BIT(22) /* thermal monitor MSRs */
#define L1_EDX_TM   BIT(29)
#define L1_EDX_PBE  BIT(31)
#define L1_EDX_HIDE                                                                                \
	(L1_EDX_MCE | L1_EDX_APIC | L1_EDX_MTRR | L1_EDX_MCA | L1_EDX_DS | L1_EDX_ACPI |           \
	 L1_EDX_TM | L1_EDX_PBE)

/* Leaf 7 subleaf 0. */
#define L7_EBX_RDT_M    BIT(12)
#define L7_EBX_RDT_A    BIT(15)
#define L7_EBX_HIDE     (L7_EBX_RDT_M | L7_EBX_RDT_A)
#define L7_ECX_OSPKE    BIT(4)
#define L7_ECX_WAITPKG  BIT(5)
#define L7_ECX_HIDE     (L7_ECX_OSPKE | L7_ECX_WAITPKG)
#define L7_EDX_ARCH_CAP BIT(29)
#define L7_EDX_CORE_CAP BIT(30)
#define L7_EDX_HIDE     (L7_EDX_ARCH_CAP | L7_EDX_CORE_CAP)

/* Leaf 0x80000001 ECX (AMD). */
#define E1_ECX_SVM          BIT(2)
#define E1_ECX_IBS          BIT(10)
#define E1_ECX_SKINIT       BIT(12)
#define E1_ECX_WDT          BIT(13)
#define E1_ECX_LWP          BIT(15)
#define E1_ECX_PERFCTR_CORE BIT(23)
#define E1_ECX_PERFCTR_NB   BIT(24)
#define E1_ECX_DBX          BIT(26)
#define E1_ECX_PERFCTR_LLC  BIT(28)
#define E1_ECX_MWAITX       BIT(29)
#define E1_ECX_HIDE                                                                                \
	(E1_ECX_SVM | E1_ECX_IBS | E1_ECX_SKINIT | E1_ECX_WDT | E1_ECX_LWP | E1_ECX_PERFCTR_CORE | \
	 E1_ECX_PERFCTR_NB | E1_ECX_DBX | E1_ECX_PERFCTR_LLC | E1_ECX_MWAITX)

/* Leaves the guest gets as all zeros. */
#define CPUID_LEAF_MONITOR   0x00000005
#define CPUID_LEAF_THERMAL   0x00000006
#define CPUID_LEAF_EXT7      0x00000007
#define CPUID_LEAF_PERFMON   0x0000000a
#define CPUID_LEAF_RDT_M     0x0000000f
#define CPUID_LEAF_RDT_A     0x00000010
#define CPUID_LEAF_SGX       0x00000012
#define CPUID_LEAF_PT        0x00000014
#define CPUID_LEAF_IBS       0x8000001b
#define CPUID_LEAF_LWP       0x8000001c
#define CPUID_LEAF_SME       0x8000001f
#define CPUID_LEAF_PERFMON_X 0x80000022
#define CPUID_HV_RANGE_END   0x4fffffff

/*
 * The host's answer for leaf/subleaf with what the guest cannot have taken
 * out. Out of line so that x86_cpuid_guest() stays a leaf function for the
 * leaves it answers itself (the hypervisor's, measured by make bench): the
 * call into x86_cpuid_host() would otherwise give every CPUID exit its
 * frame and saved registers.
 */
static __attribute__((noinline)) struct cpuid_regs host_leaf(u32 leaf, u32 subleaf, u64 guest_cr4)
{
	struct cpuid_regs r = x86_cpuid_host(leaf, subleaf);

	switch (leaf) {
	case CPUID_LEAF_FEATURES:
		r.ecx = (r.ecx & ~(u32)L1_ECX_HIDE) | CPUID_1_ECX_HV;
		if (guest_cr4 & CR4_OSXSAVE)
			r.ecx |= L1_ECX_OSXSAVE;
		r.edx &= ~(u32)L1_EDX_HIDE;
		break;
	case CPUID_LEAF_EXT7:
		if (subleaf != 0)
			break;
		r.ebx &= ~(u32)L7_EBX_HIDE;
		r.ecx &= ~(u32)L7_ECX_HIDE;
		if (guest_cr4 & CR4_PKE)
			r.ecx |= L7_ECX_OSPKE;
		r.edx &= ~(u32)L7_EDX_HIDE;
		break;
	case CPUID_LEAF_EXT_FEAT:
		r.ecx &= ~(u32)E1_ECX_HIDE;
		break;
	default:
		break;
	}
	return r;
}

struct cpuid_regs x86_cpuid_guest(u32 leaf, u32 subleaf, u64 guest_cr4)
{
	struct cpuid_regs r = { 0 };

	if (leaf >= HC_CPUID_LEAF_BASE && leaf <= CPUID_HV_RANGE_END) {
		if (leaf == HC_CPUID_LEAF_BASE)
			r = (struct cpuid_regs){ HC_CPUID_LEAF_MAX, HC_CPUID_SIG_EBX,
						 HC_CPUID_SIG_ECX, HC_CPUID_SIG_EDX };
		else if (leaf == HC_CPUID_LEAF_VERSION)
			r = (struct cpuid_regs){ (u32)HC_ABI_VERSION, HC_CPUID_FEATURES_EBX, 0, 0 };
		return r;
	}
	switch (leaf) {
	case CPUID_LEAF_MONITOR:
	case CPUID_LEAF_THERMAL:
	case CPUID_LEAF_PERFMON:
	case CPUID_LEAF_RDT_M:
	case CPUID_LEAF_RDT_A:
	case CPUID_LEAF_SGX:
	case CPUID_LEAF_PT:
	case CPUID_LEAF_SVM:
	case CPUID_LEAF_IBS:
	case CPUID_LEAF_LWP:
	case CPUID_LEAF_SME:
	case CPUID_LEAF_PERFMON_X:
		return r;
	default:
		return host_leaf(leaf, subleaf, guest_cr4);
	}
}
