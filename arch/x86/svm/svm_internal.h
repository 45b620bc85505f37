/*
 * What the files of the SVM backend share (arch/x86/svm/):
 *
 *   svm_cpu.c     per-CPU enable: EFER.SVME, VM_HSAVE_PA, host PAT, host VMCB
 *   svm_vmcb.c    a guest VMCB from the loader's boot state; intercepts
 *   svm_entry.asm the world switch (VMLOAD, VMRUN, VMSAVE, all GPRs)
 *   svm_vcpu.c    the run loop: entry preparation, exit dispatch, injection
 *   svm_exit.c    the exit handlers that need SVM state (MSRs the VMCB holds, #NPF, ...)
 *   svm_check.c   why a VMRUN failed: the VMCB field and value
 *   svm_ops.c     the backend ops table, per-VM and per-vCPU state
 *
 * A later VMX backend mirrors them (vmx_cpu.c, vmx_vmcs.c, vmx_entry.asm,
 * vmx_vcpu.c, vmx_exit.c, vmx_check.c, vmx_ops.c); what both share is in
 * arch/x86/guest/ (x86/guest.h).
 */
#ifndef X86_SVM_INTERNAL_H
#define X86_SVM_INTERNAL_H

#include <hv/loader_x86.h>
#include <hv/types.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/guest.h>
#include <x86/svm.h>

struct vcpu;

/* Per physical CPU (one today: the boot CPU). */
struct svm_cpu {
	bool enabled;
	void *hsave; /* VM_HSAVE_PA: the CPU's host state area */
	struct vmcb
	    *host_vmcb; /* VMSAVE/VMLOAD area for the host's FS, GS, TR, LDTR, syscall MSRs */
	hpa_t host_vmcb_pa;
};

/* Per VM. */
struct svm_vm {
	u32 asid;
	u8 *iopm;
	u8 *msrpm;
};

/* Exit kinds counted in the statistics (names in svm_ops.c). */
enum svm_exit_kind {
	SVM_KIND_CPUID,
	SVM_KIND_MSR_READ,
	SVM_KIND_MSR_WRITE,
	SVM_KIND_IO_IN,
	SVM_KIND_IO_OUT,
	SVM_KIND_HLT,
	SVM_KIND_VMMCALL,
	SVM_KIND_NPF,
	SVM_KIND_INTR,
	SVM_KIND_NMI,
	SVM_KIND_VINTR,
	SVM_KIND_SHUTDOWN,
	SVM_KIND_EXCEPTION,
	SVM_KIND_UD,
	SVM_KIND_INVD,
	SVM_KIND_INVALID,
	SVM_KIND_OTHER,
	SVM_KIND_COUNT,
};

/* Per vCPU. */
struct svm_vcpu {
	struct x86_vcpu x; /* first: svm_vmrun() takes &x.gpr[0] */
	struct vmcb *vmcb;
	hpa_t vmcb_pa;
	bool flush_pending; /* the MMU asked for a TLB flush: do it on the next VMRUN */
	bool window_open;   /* V_IRQ + VINTR intercept armed to catch the interrupt window */
	u64 reinject;       /* an event whose delivery an exit interrupted (EXITINTINFO) */
	u64 halt_ticks;     /* host ticks spent waiting in HLT */
	u64 npf_fixed;      /* #NPF exits the MMU answered with a mapping */
};

static inline struct svm_vcpu *to_svm(struct vcpu *v)
{
	return v->arch;
}

/* svm_cpu.c */
struct svm_cpu *svm_this_cpu(void);
int svm_cpu_enable(void);
extern bool svm_has_nrips;         /* next-RIP save (CPUID 8000_000A EDX[3]) */
extern bool svm_has_flush_by_asid; /* TLB_CONTROL 3 (EDX[6]) */
extern u64 svm_guest_efer_mask;    /* EFER bits a guest may set: this CPU's, without SVME */

/* svm_vcpu.c: ops->vcpu_run. */
void svm_vcpu_run(struct vcpu *v);

/* svm_vmcb.c: fill a fresh VMCB for a guest entering in st. */
void svm_vmcb_init(struct vmcb *vmcb, const struct svm_vm *svm, hpa_t ncr3,
		   const struct x86_boot_state *st);
/* A VMCB segment from the loader's access-rights form. */
struct vmcb_seg svm_seg_from_boot(const struct x86_seg *s);

/* svm_entry.asm: one world switch. gprs: the 16 GPRs in encoding order (RAX, RSP unused). */
void svm_vmrun(u64 *gprs, u64 guest_vmcb_pa, u64 host_vmcb_pa);

/* svm_exit.c: the handlers that need the VMCB. Each returns the exit kind. */
enum svm_exit_kind svm_exit_msr(struct svm_vcpu *sv);
enum svm_exit_kind svm_exit_npf(struct svm_vcpu *sv);
enum svm_exit_kind svm_exit_ioio(struct svm_vcpu *sv);
enum svm_exit_kind svm_exit_vmmcall(struct svm_vcpu *sv);
enum svm_exit_kind svm_exit_cpuid(struct svm_vcpu *sv);
enum svm_exit_kind svm_exit_hlt(struct svm_vcpu *sv);
/* Advance RIP past the intercepted instruction of fixed length len (or next-RIP). */
void svm_skip(struct svm_vcpu *sv, unsigned len);
/* Whether the guest runs 64-bit code now (EFER.LMA and CS.L). */
bool svm_guest_long_mode(const struct vmcb *vmcb);

/* svm_check.c: report why VMRUN refused the VMCB (field and value), once per failure. */
void svm_report_invalid(struct svm_vcpu *sv);

/* svm_ops.c */
extern const struct vm_backend_ops svm_backend_ops;
const char *svm_exit_code_name(u64 code);

#endif /* X86_SVM_INTERNAL_H */
