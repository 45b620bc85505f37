/*
 * SVM exit handlers (APM Vol. 2, 15.8-15.14 and 15.25.6): each decodes what
 * the VMCB says about the exit, calls the shared x86 policy
 * (arch/x86/guest/) or the generic glue, writes the result back and
 * advances RIP. Everything read from the VMCB here was produced by the
 * guest and is treated as hostile: an impossible value gets a fault
 * injected or stops the VM, never a hypervisor crash.
 *
 * RIP: with next-RIP save (CPUID 8000_000A EDX[3]) the CPU says where the
 * next instruction is; without it (QEMU's TCG) the intercepted
 * instructions have one encoding each, whose length is known (x86/svm.h).
 * A guest that adds prefixes to CPUID or VMMCALL on such a CPU only
 * confuses itself. IN/OUT always give the next RIP in EXITINFO2 (15.10.2).
 */
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/msr.h>
#include <x86/platform.h>
#include <x86/regs.h>
#include <x86/trap.h>

#include "svm_internal.h"

#define LOW32       GENMASK(31, 0)
#define NPF_WHY_MAX 112 /* what the table module last said, in a stop reason */

void svm_skip(struct svm_vcpu *sv, unsigned len)
{
	struct vmcb *vmcb = sv->vmcb;

	vmcb->save.rip = svm_has_nrips ? vmcb->control.next_rip : vmcb->save.rip + len;
	/* The instruction that was in an STI/MOV SS shadow is done: so is the shadow. */
	vmcb->control.int_state &= ~(u32)SVM_INT_STATE_SHADOW;
}

bool svm_guest_long_mode(const struct vmcb *vmcb)
{
	return (vmcb->save.efer & EFER_LMA) && (vmcb->save.cs.attrib & SVM_SEG_ATTR_L);
}

enum svm_exit_kind svm_exit_cpuid(struct svm_vcpu *sv)
{
	u64 *gpr = sv->x.gpr;
	struct cpuid_regs r =
	    x86_cpuid_guest((u32)gpr[X86_RAX], (u32)gpr[X86_RCX], sv->vmcb->save.cr4);

	/* CPUID writes 32-bit results: the upper halves are cleared in every mode. */
	gpr[X86_RAX] = r.eax;
	gpr[X86_RBX] = r.ebx;
	gpr[X86_RCX] = r.ecx;
	gpr[X86_RDX] = r.edx;
	svm_skip(sv, SVM_INSN_LEN_CPUID);
	return SVM_KIND_CPUID;
}

enum svm_exit_kind svm_exit_vmmcall(struct svm_vcpu *sv)
{
	u64 *gpr = sv->x.gpr;
	struct vmcb *vmcb = sv->vmcb;
	/* Outside 64-bit mode only the low halves are the guest's registers. */
	u64 mask = svm_guest_long_mode(vmcb) ? ~0ull : LOW32;
	u64 args[HC_ARG_COUNT] = { gpr[X86_RBX] & mask, gpr[X86_RCX] & mask, gpr[X86_RDX] & mask,
				   gpr[X86_RSI] & mask };
	struct hc_result r =
	    vm_hypercall(sv->x.vcpu, gpr[X86_RAX] & mask, args, vmcb->save.cpl != 0);

	gpr[X86_RAX] = (u64)r.ret & mask;
	gpr[X86_RBX] = r.out[0] & mask;
	gpr[X86_RCX] = r.out[1] & mask;
	gpr[X86_RDX] = r.out[2] & mask;
	svm_skip(sv, SVM_INSN_LEN_VMMCALL);
	return SVM_KIND_VMMCALL;
}

enum svm_exit_kind svm_exit_hlt(struct svm_vcpu *sv)
{
	struct vmcb *vmcb = sv->vmcb;
	struct vm *vm = sv->x.vcpu->vm;

	svm_skip(sv, SVM_INSN_LEN_HLT);
	if (!(vmcb->save.rflags & RFLAGS_IF)) {
		/* Nothing but an NMI could wake it, and guests get none: it has stopped itself. */
		vm_stop(vm, VM_STOP_OK,
			"the guest halted with interrupts disabled (HLT at RIP %#llx)",
			(unsigned long long)(vmcb->save.rip - SVM_INSN_LEN_HLT));
		return SVM_KIND_HLT;
	}
	sv->halt_ticks += x86_platform_idle(sv->x.plat);
	return SVM_KIND_HLT;
}

enum svm_exit_kind svm_exit_ioio(struct svm_vcpu *sv)
{
	struct vmcb *vmcb = sv->vmcb;
	u64 info = vmcb->control.exit_info1;
	u16 port = (u16)((info & SVM_IOIO_PORT_MASK) >> SVM_IOIO_PORT_SHIFT);
	unsigned size = (unsigned)((info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT);
	bool in = info & SVM_IOIO_TYPE_IN;
	u64 *rax = &sv->x.gpr[X86_RAX];

	/* SZ8/16/32 are one-hot: size is 1, 2 or 4. */
	if (size != 1 && size != 2 && size != 4) {
		vm_stop(sv->x.vcpu->vm, VM_STOP_FAILED,
			"I/O exit with impossible size bits (%#llx)", (unsigned long long)info);
		return in ? SVM_KIND_IO_IN : SVM_KIND_IO_OUT;
	}
	if (info & SVM_IOIO_STR) {
		/* INS/OUTS would need the guest's page tables and segments: not emulated. */
		vm_stop(sv->x.vcpu->vm, VM_STOP_FAILED,
			"string I/O (%s%s) on port %#x at RIP %#llx is not emulated",
			info & SVM_IOIO_REP ? "REP " : "", in ? "INS" : "OUTS", port,
			(unsigned long long)vmcb->save.rip);
		return in ? SVM_KIND_IO_IN : SVM_KIND_IO_OUT;
	}
	if (in) {
		u32 v = x86_io_in(&sv->x, port, size);
		/* IN AL/AX leaves the rest of RAX; IN EAX clears the upper half (64-bit). */
		u64 keep = size == 4 ? 0 : ~GENMASK(8 * size - 1, 0);

		*rax = (*rax & keep) | v;
	} else {
		x86_io_out(&sv->x, port, size, (u32)(*rax & GENMASK(8 * size - 1, 0)));
	}
	vmcb->save.rip = vmcb->control.exit_info2;
	vmcb->control.int_state &= ~(u32)SVM_INT_STATE_SHADOW;
	return in ? SVM_KIND_IO_IN : SVM_KIND_IO_OUT;
}

/* 0, or -1 for #GP. */
static int write_efer(struct svm_vcpu *sv, u64 value)
{
	struct vmcb *vmcb = sv->vmcb;
	u64 old = vmcb->save.efer;

	if (value & ~svm_guest_efer_mask)
		return -1;
	/* Changing LME with paging on is #GP (APM 2, 14.6.1). */
	if ((vmcb->save.cr0 & CR0_PG) && ((value ^ old) & EFER_LME))
		return -1;
	/* LMA is the CPU's to set; SVME stays on for VMRUN. */
	vmcb->save.efer = (value & ~EFER_LMA) | (old & EFER_LMA) | EFER_SVME;
	return 0;
}

static bool pat_valid(u64 pat)
{
	for (unsigned i = 0; i < PAT_ENTRY_COUNT; i++) {
		u8 t = (u8)(pat >> (8 * i));

		if ((t & PAT_ENTRY_RSVD) || t == PAT_TYPE_RSVD_2 || t == PAT_TYPE_RSVD_3)
			return false;
	}
	return true;
}

/* RDMSR/WRMSR of what the VMCB holds: EFER and the guest PAT. 0, or -1 for #GP. */
static int backend_msr(struct svm_vcpu *sv, u32 msr, bool write, u64 *value)
{
	struct vmcb *vmcb = sv->vmcb;

	switch (msr) {
	case MSR_EFER:
		if (write)
			return write_efer(sv, *value);
		*value = vmcb->save.efer & ~EFER_SVME;
		return 0;
	case MSR_IA32_PAT:
		if (!write) {
			*value = vmcb->save.g_pat;
			return 0;
		}
		if (!pat_valid(*value))
			return -1;
		vmcb->save.g_pat = *value;
		return 0;
	default:
		return -1;
	}
}

enum svm_exit_kind svm_exit_msr(struct svm_vcpu *sv)
{
	u64 *gpr = sv->x.gpr;
	u32 msr = (u32)gpr[X86_RCX];
	bool write = sv->vmcb->control.exit_info1 == SVM_MSR_EXIT_WRITE;
	u64 value = (gpr[X86_RDX] << 32) | (gpr[X86_RAX] & LOW32);
	enum x86_msr_result r;

	r = write ? x86_msr_write(&sv->x, msr, value) : x86_msr_read(&sv->x, msr, &value);
	if (r == X86_MSR_BACKEND)
		r = backend_msr(sv, msr, write, &value) ? X86_MSR_GP : X86_MSR_OK;
	if (r == X86_MSR_GP) {
		x86_queue_exception(&sv->x, VEC_GP, true, 0);
		return write ? SVM_KIND_MSR_WRITE : SVM_KIND_MSR_READ;
	}
	if (!write) {
		gpr[X86_RAX] = value & LOW32;
		gpr[X86_RDX] = value >> 32;
	}
	svm_skip(sv, write ? SVM_INSN_LEN_WRMSR : SVM_INSN_LEN_RDMSR);
	return write ? SVM_KIND_MSR_WRITE : SVM_KIND_MSR_READ;
}

static const char *npf_access(u64 err)
{
	if (err & SVM_NPF_ID)
		return "instruction fetch";
	return err & SVM_NPF_W ? "write" : "read";
}

enum svm_exit_kind svm_exit_npf(struct svm_vcpu *sv)
{
	struct vmcb *vmcb = sv->vmcb;
	struct vcpu *v = sv->x.vcpu;
	u64 err = vmcb->control.exit_info1, addr = vmcb->control.exit_info2;
	u8 access = PT_R | ((err & SVM_NPF_W) ? PT_W : 0) | ((err & SVM_NPF_ID) ? PT_X : 0);
	char why[NPF_WHY_MAX];
	enum mmu_fault_result r;

	if (err & SVM_NPF_RSVD) {
		/* Our own tables have a reserved bit set: an engine bug, confined to this VM. */
		vm_stop(v->vm, VM_STOP_FAILED,
			"nested page fault with a reserved bit set at GPA %#llx (error %#llx, RIP "
			"%#llx): the second-stage tables are corrupt",
			(unsigned long long)addr, (unsigned long long)err,
			(unsigned long long)vmcb->save.rip);
		return SVM_KIND_NPF;
	}
	r = mmu_fault(v->mmu, gpa(addr), access);
	switch (r) {
	case MMU_FAULT_MAPPED:
		sv->npf_fixed++;
		vcpu_fault_progress(v);
		return SVM_KIND_NPF;
	case MMU_FAULT_SPURIOUS:
		vcpu_fault_progress(v);
		return SVM_KIND_NPF;
	case MMU_FAULT_RETRY:
		/* Re-enter and fault again, but not forever (a module that stays busy). */
		if (unlikely(vcpu_fault_retry_exceeded(v, gpa(addr))))
			vm_stop(v->vm, VM_STOP_FAILED,
				"%s of GPA %#llx at RIP %#llx: retried %u times in a row without "
				"progress; last second-stage failure: %s",
				npf_access(err), (unsigned long long)addr,
				(unsigned long long)vmcb->save.rip, VCPU_FAULT_RETRY_MAX,
				vm_tdp_last_failure(v->vm, why, sizeof(why)));
		return SVM_KIND_NPF;
	case MMU_FAULT_MMIO:
		vm_stop(v->vm, VM_STOP_FAILED,
			"%s of GPA %#llx outside guest memory%s, at RIP %#llx (CPL %u); no device "
			"there either",
			npf_access(err), (unsigned long long)addr,
			(err & SVM_NPF_GUEST_TABLE) ? " while walking the guest's page tables" : "",
			(unsigned long long)vmcb->save.rip, vmcb->save.cpl);
		return SVM_KIND_NPF;
	case MMU_FAULT_NOMEM:
		vm_stop(v->vm, VM_STOP_FAILED,
			"no memory for second-stage tables (GPA %#llx, RIP %#llx)",
			(unsigned long long)addr, (unsigned long long)vmcb->save.rip);
		return SVM_KIND_NPF;
	case MMU_FAULT_EXTERNAL:
		/* The protected second stage's module refused: mirror and module disagree. */
		vm_stop(v->vm, VM_STOP_FAILED,
			"%s of GPA %#llx at RIP %#llx: the table module refused the change: %s",
			npf_access(err), (unsigned long long)addr,
			(unsigned long long)vmcb->save.rip,
			vm_tdp_last_failure(v->vm, why, sizeof(why)));
		return SVM_KIND_NPF;
	default:
		/* Read-only and write-tracked slots do not exist in an SVM guest yet. */
		vm_stop(v->vm, VM_STOP_FAILED, "%s of GPA %#llx at RIP %#llx: MMU says %s",
			npf_access(err), (unsigned long long)addr,
			(unsigned long long)vmcb->save.rip, mmu_fault_result_name(r));
		return SVM_KIND_NPF;
	}
}
