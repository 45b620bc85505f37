/*
 * The SVM run loop (ops->vcpu_run): prepare the entry (second-stage root,
 * TLB control, the one event to inject, the interrupt window), switch
 * worlds (svm_entry.asm), log and account the exit, dispatch it. Every
 * instruction on this path is paid on every exit: the common exits
 * (CPUID, VMMCALL, IOIO, MSR) go straight from the switch to their
 * handler; the rare work (EXITINTINFO, timers, root reloads, windows) sits
 * behind one test each.
 *
 * Event injection (APM Vol. 2, 15.20 "Event Injection", 15.21.4 "Injecting
 * Virtual (INTR) Interrupts", 15.7.2 "Intercepts During IDT Interrupt
 * Delivery"), in priority order, one per entry through EVENTINJ:
 *   1. an event whose delivery an exit interrupted (EXITINTINFO), except
 *      INTn, INT3 and INTO: their instruction is simply executed again;
 *   2. an exception queued by an exit handler (#GP for a refused MSR, #UD);
 *   3. the 8259's interrupt, if the guest can take it now (RFLAGS.IF set,
 *      no interrupt shadow).
 * If an interrupt is still waiting after that, V_IRQ is raised with the
 * VINTR intercept: the CPU exits as soon as the guest could take it, and
 * the next entry injects it. V_IGN_TPR: the 8259 decides priority.
 */
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mmu.h>
#include <hv/selftest.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/asm.h>
#include <x86/msr.h>
#include <x86/platform.h>
#include <x86/regs.h>
#include <x86/trap.h>
#include <x86/x86.h>

#include "svm_internal.h"

#define NO_KIND      SVM_KIND_COUNT
#define VINTR_WINDOW (SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR | SVM_INT_CTL_V_INTR_PRIO_MASK)

/*
 * The nCR3 seam: vcpu_load_tdp_root() loads the vCPU's root and says which
 * table the CPU walks (nCR3, the VMCB's nested table root: APM Vol. 2,
 * 15.25.3 "Enabling Nested Paging"). A normal VM: the engine's root. A
 * protected VM (vm_config.protected_tdp, docs/mirror.md): the table
 * module's table, while the engine works on its mirror root; the CPU never
 * walks the mirror.
 */
static void load_root(struct svm_vcpu *sv)
{
	struct vcpu *v = sv->x.vcpu;
	hpa_t walk;
	int err = vcpu_load_tdp_root(v, &walk);

	if (err) {
		vm_stop(v->vm, VM_STOP_FAILED, "cannot load a second-stage root: %s",
			err_name(err));
		return;
	}
	if (sv->vmcb->control.nested_cr3 != hpa_val(walk)) {
		sv->vmcb->control.nested_cr3 = hpa_val(walk);
		/* What the VMCB now holds, read back: the tests compare it with both roots. */
		log_at(v->vm->tmod ? LOG_INFO : LOG_DEBUG, "%s: vcpu%u: nCR3 %#llx (%s)",
		       v->vm->name, v->id, (unsigned long long)sv->vmcb->control.nested_cr3,
		       v->vm->tmod ? "the table module's root" : "the engine's root");
	}
	sv->flush_pending = true;
}

static void open_window(struct svm_vcpu *sv)
{
	sv->vmcb->control.int_ctl |= VINTR_WINDOW;
	sv->vmcb->control.intercept_misc1 |= SVM_INTERCEPT_VINTR;
	sv->window_open = true;
}

static void close_window(struct svm_vcpu *sv)
{
	sv->vmcb->control.int_ctl &= ~(u32)VINTR_WINDOW;
	sv->vmcb->control.intercept_misc1 &= ~(u32)SVM_INTERCEPT_VINTR;
	sv->window_open = false;
}

static void inject_events(struct svm_vcpu *sv)
{
	struct vmcb *vmcb = sv->vmcb;
	struct x86_platform *plat = sv->x.plat;
	u64 inj = 0;

	if (sv->reinject) {
		inj = sv->reinject;
		sv->reinject = 0;
	} else if (sv->x.exc_pending) {
		inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPT | sv->x.exc_vector;
		if (sv->x.exc_has_error)
			inj |= SVM_EVT_ERROR_VALID | ((u64)sv->x.exc_error << SVM_EVT_ERROR_SHIFT);
		sv->x.exc_pending = false;
	}
	if (x86_platform_irq_pending(plat)) {
		if (!inj && (vmcb->save.rflags & RFLAGS_IF) &&
		    !(vmcb->control.int_state & SVM_INT_STATE_SHADOW))
			inj = SVM_EVT_VALID | SVM_EVT_TYPE_INTR | x86_platform_irq_ack(plat);
		if (x86_platform_irq_pending(plat)) {
			if (!sv->window_open)
				open_window(sv);
		} else if (sv->window_open) {
			close_window(sv);
		}
	} else if (sv->window_open) {
		close_window(sv);
	}
	vmcb->control.event_inj = inj;
}

/* An exit interrupted the delivery of an event: deliver it again on the next entry. */
static void save_interrupted_event(struct svm_vcpu *sv)
{
	u64 info = sv->vmcb->control.exit_int_info;
	u64 type = info & SVM_EVT_TYPE_MASK;
	u8 vector = (u8)(info & SVM_EVT_VECTOR_MASK);

	if (type == SVM_EVT_TYPE_SOFT ||
	    (type == SVM_EVT_TYPE_EXCEPT && (vector == VEC_BP || vector == VEC_OF)))
		return; /* RIP still points at the INTn / INT3 / INTO: it runs again */
	sv->reinject = info;
}

static enum svm_exit_kind handle_exit(struct svm_vcpu *sv, u64 code)
{
	struct vmcb *vmcb = sv->vmcb;
	struct vm *vm = sv->x.vcpu->vm;

	switch (code) {
	case SVM_EXIT_CPUID:
		return svm_exit_cpuid(sv);
	case SVM_EXIT_VMMCALL:
		return svm_exit_vmmcall(sv);
	case SVM_EXIT_IOIO:
		return svm_exit_ioio(sv);
	case SVM_EXIT_MSR:
		return svm_exit_msr(sv);
	case SVM_EXIT_NPF:
		return svm_exit_npf(sv);
	case SVM_EXIT_HLT:
		return svm_exit_hlt(sv);
	case SVM_EXIT_INTR:
		/* The host's tick was taken in the entry code; now its housekeeping. */
		x86_platform_poll(sv->x.plat);
		return SVM_KIND_INTR;
	case SVM_EXIT_NMI:
		return SVM_KIND_NMI;
	case SVM_EXIT_VINTR:
		close_window(sv);
		return SVM_KIND_VINTR;
	case SVM_EXIT_SHUTDOWN:
		vm_stop(vm, VM_STOP_FAILED,
			"the guest triple-faulted (shutdown) at RIP %#llx; its IDT is %#llx+%#x",
			(unsigned long long)vmcb->save.rip,
			(unsigned long long)vmcb->save.idtr.base, vmcb->save.idtr.limit);
		return SVM_KIND_SHUTDOWN;
	case SVM_EXIT_INVD:
		/* Discarding caches would lose the host's dirty lines: write them back instead. */
		__asm__ volatile("wbinvd" : : : "memory");
		svm_skip(sv, SVM_INSN_LEN_INVD);
		return SVM_KIND_INVD;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
		/* What CPUID hides does not exist. */
		x86_queue_exception(&sv->x, VEC_UD, false, 0);
		return SVM_KIND_UD;
	case SVM_EXIT_EXCP_BASE + VEC_MC:
		vm_stop(vm, VM_STOP_FAILED, "machine check while the guest ran (RIP %#llx)",
			(unsigned long long)vmcb->save.rip);
		return SVM_KIND_EXCEPTION;
	default:
		break;
	}
	if ((code & SVM_EXIT_CODE_LOW_MASK) == SVM_EXIT_INVALID) {
		svm_report_invalid(sv);
		return SVM_KIND_INVALID;
	}
	vm_stop(vm, VM_STOP_FAILED, "unexpected exit %#llx (%s) at RIP %#llx, info %#llx %#llx",
		(unsigned long long)code, svm_exit_code_name(code),
		(unsigned long long)vmcb->save.rip, (unsigned long long)vmcb->control.exit_info1,
		(unsigned long long)vmcb->control.exit_info2);
	return SVM_KIND_OTHER;
}

void svm_vcpu_run(struct vcpu *v)
{
	struct svm_vcpu *sv = to_svm(v);
	struct vmcb *vmcb = sv->vmcb;
	struct x86_platform *plat = sv->x.plat;
	u64 host_vmcb_pa = hpa_val(svm_this_cpu()->host_vmcb_pa);
	u64 vmcb_pa = hpa_val(sv->vmcb_pa);
	enum svm_exit_kind kind = NO_KIND;
	u64 t_exit = 0;

	load_root(sv);
	x86_host_timer_start();
	if (selftest_bad_vm_entry) {
		log_info("%s: selftest bad-entry: clearing EFER.SVME in the VMCB", v->vm->name);
		vmcb->save.efer &= ~EFER_SVME;
	}
	while (vm_is_running(v->vm)) {
		struct vcpu_exit_record *rec;
		u64 code, now;

		if (unlikely(!mmu_vcpu_root_is_valid(v->mmu)))
			load_root(sv);
		inject_events(sv);
		if (sv->flush_pending) {
			vmcb->control.tlb_control = svm_has_flush_by_asid
							? SVM_TLB_CONTROL_FLUSH_ASID
							: SVM_TLB_CONTROL_FLUSH_ALL;
			sv->flush_pending = false;
		}
		vmcb->save.rax = sv->x.gpr[X86_RAX];
		vmcb->save.rsp = sv->x.gpr[X86_RSP];
		now = rdtsc();
		if (kind != NO_KIND)
			vcpu_exit_account(v, kind, now - t_exit);

		svm_vmrun(sv->x.gpr, vmcb_pa, host_vmcb_pa);

		t_exit = rdtsc();
		vmcb->control.tlb_control = SVM_TLB_CONTROL_NOTHING;
		sv->x.gpr[X86_RAX] = vmcb->save.rax;
		sv->x.gpr[X86_RSP] = vmcb->save.rsp;
		code = vmcb->control.exit_code;
		rec = vcpu_exit_log(v);
		rec->ticks = t_exit;
		rec->code = code;
		rec->pc = vmcb->save.rip;
		rec->info1 = vmcb->control.exit_info1;
		rec->info2 = vmcb->control.exit_info2;
		if (unlikely(vmcb->control.exit_int_info & SVM_EVT_VALID))
			save_interrupted_event(sv);
		kind = handle_exit(sv, code);
		if (unlikely(x86_platform_timer_due(plat, t_exit)))
			x86_platform_timers(plat);
	}
	if (kind != NO_KIND)
		vcpu_exit_account(v, kind, rdtsc() - t_exit);
}
