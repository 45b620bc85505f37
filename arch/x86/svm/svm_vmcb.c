/*
 * A guest VMCB (APM Vol. 2, appendix B; 15.5 "VMRUN Instruction"): the
 * intercepts every guest gets, the permission maps, ASID, nested paging,
 * virtual interrupt masking, and the guest's initial state from the
 * loader (struct x86_boot_state).
 *
 * Intercepted, and why:
 *   INTR, NMI          the host's interrupts stay the host's (15.13)
 *   CPUID              the guest's CPUID is policy (x86_cpuid.c)
 *   HLT                an idle guest must give the CPU back (x86_platform_idle)
 *   IOIO, MSR          through the permission maps (x86_io.c, x86_msr.c)
 *   SHUTDOWN           a triple fault stops the VM, not the machine
 *   INVD               would discard dirty lines of the host's memory: treated as WBINVD
 *   VMRUN              mandatory (15.5.1); with VMLOAD, VMSAVE, STGI, CLGI,
 *                      SKINIT, INVLPGA: #UD, the guest has no SVM (CPUID)
 *   VMMCALL            the hypercall ABI
 *   MONITOR, MWAIT     #UD: hidden in CPUID, and they could idle the CPU unseen
 *   #MC                a machine check belongs to the host
 * Not intercepted: CR and DR accesses, INVLPG, PAUSE, RDTSC(P), XSETBV,
 * WBINVD, task switches: with nested paging the guest owns its paging and
 * these touch nothing of the hypervisor's.
 */
#include <hv/mm.h>
#include <hv/string.h>
#include <x86/msr.h>
#include <x86/trap.h>

#include "svm_internal.h"

/* A VMCB segment attribute from the loader's access rights (hv/loader_x86.h). */
static u16 attrib_from_ar(u16 ar)
{
	return (u16)((ar & SVM_SEG_AR_LOW_MASK) |
		     ((ar & SVM_SEG_AR_HIGH_MASK) >> SVM_SEG_AR_HIGH_SHIFT));
}

struct vmcb_seg svm_seg_from_boot(const struct x86_seg *s)
{
	return (struct vmcb_seg){
		.selector = s->selector,
		.attrib = attrib_from_ar(s->ar),
		.limit = s->limit,
		.base = s->base,
	};
}

void svm_vmcb_init(struct vmcb *vmcb, const struct svm_vm *svm, hpa_t ncr3,
		   const struct x86_boot_state *st)
{
	struct vmcb_control *c = &vmcb->control;
	struct vmcb_save *s = &vmcb->save;

	memset(vmcb, 0, sizeof(*vmcb));
	c->intercept_exceptions = SVM_INTERCEPT_EXCEPTION(VEC_MC);
	c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_CPUID |
			     SVM_INTERCEPT_HLT | SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
			     SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_INVD | SVM_INTERCEPT_INVLPGA;
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_MONITOR | SVM_INTERCEPT_MWAIT |
			     SVM_INTERCEPT_MWAIT_COND;
	c->iopm_base_pa = hpa_val(virt_to_phys(svm->iopm));
	c->msrpm_base_pa = hpa_val(virt_to_phys(svm->msrpm));
	c->guest_asid = svm->asid;
	c->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	/* Physical interrupts follow the host's IF, the guest's IF only virtual ones (15.21.1). */
	c->int_ctl = SVM_INT_CTL_V_INTR_MASKING;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = hpa_val(ncr3);

	s->es = svm_seg_from_boot(&st->es);
	s->cs = svm_seg_from_boot(&st->cs);
	s->ss = svm_seg_from_boot(&st->ss);
	s->ds = svm_seg_from_boot(&st->ds);
	s->fs = svm_seg_from_boot(&st->fs);
	s->gs = svm_seg_from_boot(&st->gs);
	s->tr = svm_seg_from_boot(&st->tr);
	s->ldtr = svm_seg_from_boot(&st->ldtr);
	s->gdtr = (struct vmcb_seg){ .limit = st->gdtr_limit, .base = st->gdtr_base };
	s->idtr = (struct vmcb_seg){ .limit = st->idtr_limit, .base = st->idtr_base };
	/* The CPL is the DPL of SS (15.5.1: VMRUN takes it from the CPL field). */
	s->cpl = (u8)((st->ss.ar >> X86_AR_DPL_SHIFT) & 3);
	/* SVME must be set in the guest's EFER for VMRUN; the guest never sees it. */
	s->efer = st->efer | EFER_SVME;
	s->cr0 = st->cr0;
	s->cr3 = st->cr3;
	s->cr4 = st->cr4;
	s->dr6 = X86_DR6_RESET;
	s->dr7 = X86_DR7_RESET;
	s->rflags = st->rflags;
	s->rip = st->rip;
	s->rsp = st->rsp;
	s->rax = st->rax;
	s->g_pat = SVM_GUEST_PAT_RESET;
}
