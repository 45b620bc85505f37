/*
 * CPUID leaves and feature bits we consult.
 * Intel SDM Vol. 2A "CPUID"; AMD APM Vol. 3 appendix E.
 */
#ifndef X86_CPUID_H
#define X86_CPUID_H

#include <hv/types.h>

#define CPUID_LEAF_VENDOR     0x00000000
#define CPUID_LEAF_FEATURES   0x00000001
#define CPUID_LEAF_TSC        0x00000015 /* TSC/crystal ratio, crystal Hz (Intel) */
#define CPUID_LEAF_FREQ       0x00000016 /* base/max/bus MHz (Intel) */
#define CPUID_LEAF_HV_BASE    0x40000000 /* hypervisor vendor, when CPUID.1:ECX.HV */
#define CPUID_LEAF_EXT_MAX    0x80000000
#define CPUID_LEAF_EXT_FEAT   0x80000001
#define CPUID_LEAF_BRAND0     0x80000002 /* ..0x80000004: brand string */
#define CPUID_LEAF_POWER      0x80000007
#define CPUID_LEAF_ADDR_SIZES 0x80000008
#define CPUID_LEAF_SVM        0x8000000a /* APM 3 E.4.9 */

/* Leaf 1 ECX */
#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_1_ECX_HV  BIT(31) /* running under a hypervisor */
/* Leaf 1 EDX */
#define CPUID_1_EDX_TSC BIT(4)
#define CPUID_1_EDX_PSE BIT(3)
#define CPUID_1_EDX_PGE BIT(13)

/* Leaf 0x80000001 */
#define CPUID_EXT_ECX_SVM     BIT(2)
#define CPUID_EXT_EDX_NX      BIT(20)
#define CPUID_EXT_EDX_PAGE1GB BIT(26)
#define CPUID_EXT_EDX_LM      BIT(29)

/* Leaf 0x80000007 EDX */
#define CPUID_POWER_EDX_INVARIANT_TSC BIT(8)

/* Leaf 0x80000008 EAX */
#define CPUID_ADDR_PHYS_MASK GENMASK(7, 0)
#define CPUID_ADDR_LIN_SHIFT 8
#define CPUID_ADDR_LIN_MASK  GENMASK(7, 0)

/* Leaf 0x8000000a EDX: SVM features (APM 3 E.4.9) */
#define CPUID_SVM_NPT           BIT(0)
#define CPUID_SVM_LBRV          BIT(1)
#define CPUID_SVM_SVML          BIT(2)
#define CPUID_SVM_NRIPS         BIT(3)
#define CPUID_SVM_TSC_RATE      BIT(4)
#define CPUID_SVM_VMCB_CLEAN    BIT(5)
#define CPUID_SVM_FLUSH_ASID    BIT(6)
#define CPUID_SVM_DECODE_ASSIST BIT(7)
#define CPUID_SVM_PAUSE_FILTER  BIT(10)
#define CPUID_SVM_AVIC          BIT(13)
#define CPUID_SVM_VMSAVE_VIRT   BIT(15)
#define CPUID_SVM_VGIF          BIT(16)
#define CPUID_SVM_REV_MASK      GENMASK(7, 0)

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

/*
 * cpuid_count() out of line (arch/x86/features.c): what the guest CPUID
 * policy (x86_cpuid.c) asks the host CPU at exit time. One call on a
 * CPUID exit; the seam host unit tests replace with a CPU of their own.
 */
struct cpuid_regs x86_cpuid_host(u32 leaf, u32 subleaf);

#endif /* X86_CPUID_H */
