/*
 * Why VMRUN refused a VMCB (exit code VMEXIT_INVALID): the consistency
 * checks of APM Vol. 2, 15.5.1 "Basic Operation" ("illegal guest state
 * combinations") run again in software, in the manual's order, and the
 * first one that fails is reported with the field and its value. The
 * hardware does not say which check failed; this is the next best thing,
 * and it costs nothing on the normal path (it only runs after a failure).
 *
 * A failure is a hypervisor bug or a guest value we let through
 * unvalidated; either way only this VM stops.
 */
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/features.h>
#include <x86/msr.h>
#include <x86/regs.h>
#include <x86/trap.h>

#include "svm_internal.h"

#define CR0_HIGH_MBZ GENMASK(63, 32)
#define DR_HIGH_MBZ  GENMASK(63, 32)
#define CR3_HIGH_MBZ GENMASK(63, 52)
#define EFER_KNOWN                                                                                 \
	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | EFER_LMSLE | EFER_FFXSR | EFER_TCE)
#define CR4_KNOWN                                                                                  \
	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |  \
	 CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_LA57 | CR4_FSGSBASE | CR4_PCIDE |            \
	 CR4_OSXSAVE | CR4_SMEP | CR4_SMAP | CR4_PKE | CR4_CET)
#define EVT_TYPE_RESERVED_1 (1ull << SVM_EVT_TYPE_SHIFT)
#define EVT_TYPE_FIRST_BAD  (5ull << SVM_EVT_TYPE_SHIFT)
#define EXCEPTION_VECTORS   32

/* The first failing check as "field = value: rule", or NULL. */
static const char *first_failure(const struct vmcb *vmcb, char *buf, size_t size)
{
	const struct vmcb_control *c = &vmcb->control;
	const struct vmcb_save *s = &vmcb->save;
	u64 max_pa = BIT(x86_cpu.phys_bits);
	bool long_paging = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
	u64 evt_type = c->event_inj & SVM_EVT_TYPE_MASK;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fmt_snprintf(buf, size, __VA_ARGS__);                                              \
		return buf;                                                                        \
	} while (0)

	if (!(s->efer & EFER_SVME))
		FAIL("EFER = 0x%llx: EFER.SVME is zero", (unsigned long long)s->efer);
	if (!(s->cr0 & CR0_CD) && (s->cr0 & CR0_NW))
		FAIL("CR0 = 0x%llx: CR0.CD is zero and CR0.NW is set", (unsigned long long)s->cr0);
	if (s->cr0 & CR0_HIGH_MBZ)
		FAIL("CR0 = 0x%llx: bits 63:32 are not zero", (unsigned long long)s->cr0);
	if (s->cr3 & CR3_HIGH_MBZ)
		FAIL("CR3 = 0x%llx: MBZ bits 63:52 set", (unsigned long long)s->cr3);
	if (s->cr4 & ~(u64)CR4_KNOWN)
		FAIL("CR4 = 0x%llx: reserved bits %#llx set", (unsigned long long)s->cr4,
		     (unsigned long long)(s->cr4 & ~(u64)CR4_KNOWN));
	if (s->dr6 & DR_HIGH_MBZ)
		FAIL("DR6 = 0x%llx: bits 63:32 are not zero", (unsigned long long)s->dr6);
	if (s->dr7 & DR_HIGH_MBZ)
		FAIL("DR7 = 0x%llx: bits 63:32 are not zero", (unsigned long long)s->dr7);
	if (s->efer & ~(u64)EFER_KNOWN)
		FAIL("EFER = 0x%llx: reserved bits %#llx set", (unsigned long long)s->efer,
		     (unsigned long long)(s->efer & ~(u64)EFER_KNOWN));
	if (long_paging && !(s->cr4 & CR4_PAE))
		FAIL("EFER.LME and CR0.PG set, CR4 = %#llx without PAE",
		     (unsigned long long)s->cr4);
	if (long_paging && !(s->cr0 & CR0_PE))
		FAIL("EFER.LME and CR0.PG set, CR0 = %#llx without PE", (unsigned long long)s->cr0);
	if (long_paging && (s->cs.attrib & SVM_SEG_ATTR_L) && (s->cs.attrib & SVM_SEG_ATTR_DB))
		FAIL("CS.attrib = 0x%x: CS.L and CS.D both set in long mode", s->cs.attrib);
	if (!(c->intercept_misc2 & SVM_INTERCEPT_VMRUN))
		FAIL("intercept vector 4 = 0x%x: the VMRUN intercept is clear", c->intercept_misc2);
	if (c->msrpm_base_pa + SVM_MSRPM_SIZE > max_pa)
		FAIL("MSRPM_BASE_PA = 0x%llx: beyond the physical address width",
		     (unsigned long long)c->msrpm_base_pa);
	if (c->iopm_base_pa + SVM_IOPM_SIZE > max_pa)
		FAIL("IOPM_BASE_PA = 0x%llx: beyond the physical address width",
		     (unsigned long long)c->iopm_base_pa);
	if ((c->event_inj & SVM_EVT_VALID) &&
	    (evt_type == EVT_TYPE_RESERVED_1 || evt_type >= EVT_TYPE_FIRST_BAD ||
	     (evt_type == SVM_EVT_TYPE_EXCEPT &&
	      ((c->event_inj & SVM_EVT_VECTOR_MASK) >= EXCEPTION_VECTORS ||
	       (c->event_inj & SVM_EVT_VECTOR_MASK) == VEC_NMI))))
		FAIL("EVENTINJ = 0x%llx: illegal event type or vector",
		     (unsigned long long)c->event_inj);
	if (c->guest_asid == 0)
		FAIL("guest ASID = 0: ASID 0 is the host's");
	if ((c->nested_ctl & SVM_NESTED_CTL_NP_ENABLE) && c->nested_cr3 >= max_pa)
		FAIL("N_CR3 = 0x%llx: beyond the physical address width",
		     (unsigned long long)c->nested_cr3);
#undef FAIL
	return NULL;
}

void svm_report_invalid(struct svm_vcpu *sv)
{
	const struct vmcb *vmcb = sv->vmcb;
	struct vm *vm = sv->x.vcpu->vm;
	char buf[VM_REASON_MAX];
	const char *why = first_failure(vmcb, buf, sizeof(buf));

	if (why) {
		vm_stop(vm, VM_STOP_FAILED, "VMRUN failed (VMEXIT_INVALID): %s", why);
		return;
	}
	vm_stop(vm, VM_STOP_FAILED,
		"VMRUN failed (VMEXIT_INVALID) and no known check explains it: EFER %#llx CR0 "
		"%#llx CR4 %#llx CS.attrib %#x EVENTINJ %#llx",
		(unsigned long long)vmcb->save.efer, (unsigned long long)vmcb->save.cr0,
		(unsigned long long)vmcb->save.cr4, vmcb->save.cs.attrib,
		(unsigned long long)vmcb->control.event_inj);
}
