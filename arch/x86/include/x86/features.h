/*
 * What this CPU can do, detected once at boot (arch/x86/features.c) and
 * read by the paging code now and by the SVM/VMX backends later.
 */
#ifndef X86_FEATURES_H
#define X86_FEATURES_H

#include <hv/types.h>

struct x86_features {
	char vendor[13];
	char brand[49];
	u32 family, model, stepping;
	u32 max_leaf, max_ext_leaf;
	u8 phys_bits; /* MAXPHYADDR */
	u8 linear_bits;
	bool nx, page_1g, pge, invariant_tsc, hypervisor;
	char hv_vendor[13]; /* CPUID 0x40000000 when under a hypervisor */

	/* Intel VMX (SDM 3C chapter 24, 3D appendix A) */
	bool vmx;
	u64 feature_control; /* IA32_FEATURE_CONTROL as the firmware left it */
	bool vmx_locked_off; /* IA32_FEATURE_CONTROL locked with VMX outside SMX off */
	u32 vmcs_revision;
	bool vmx_secondary, ept, vpid, unrestricted_guest;
	bool ept_4level, ept_5level, ept_2m, ept_1g, ept_ad, ept_wb;

	/* AMD SVM (APM 2 chapter 15) */
	bool svm;
	u64 vm_cr;         /* VM_CR as the firmware left it */
	bool svm_disabled; /* VM_CR.SVMDIS */
	bool svm_locked;   /* VM_CR.LOCK */
	u32 svm_revision, asid_count;
	bool npt, nrip_save, decode_assists, flush_by_asid, vmcb_clean, avic, vgif;
};

extern struct x86_features x86_cpu;

/* Fill x86_cpu from CPUID and the capability MSRs; prints nothing. */
void x86_features_detect(void);

#endif /* X86_FEATURES_H */
