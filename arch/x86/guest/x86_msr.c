/*
 * MSR policy for x86 guests (contract in x86/guest.h): which MSRs the guest
 * reads or writes without an exit, which are emulated, and #GP(0) for every
 * other one, as a CPU without that MSR would answer. The backends build
 * their permission maps (SVM MSRPM, VMX MSR bitmap) from
 * x86_msr_passthrough().
 *
 *   passed through         why it is safe
 *   SYSENTER_CS/ESP/EIP,   switched by the world switch (VMCB save area,
 *   STAR/LSTAR/CSTAR/      VMLOAD/VMSAVE); the hypervisor has its own
 *   SFMASK, FS/GS_BASE,
 *   KERNEL_GS_BASE
 *   TSC_AUX                not switched; the hypervisor never reads it
 *   SPEC_CTRL, PRED_CMD    not switched; the hypervisor does not depend on
 *                          them, and a CPU without them faults by itself
 *   HWCR, PATCH_LEVEL      reads only: plain facts about the CPU
 *
 *   emulated               answer
 *   INT_PENDING_MSG        reads 0: no C1E (Linux asks on family 0xf)
 *   TSC                    reads RDTSC's value (a passed-through read
 *                          under QEMU's TCG returns a different base than
 *                          the guest's RDTSC); writes ignored
 *   EFER, PAT              the backend (the values live in the VMCB/VMCS)
 *
 * Everything else (machine check, MTRR, APIC base, performance counters,
 * SVM's VM_CR and VM_HSAVE_PA, ...) is what CPUID hides: #GP(0). Refusals
 * are counted per vCPU and logged at debug level only (a guest must not be
 * able to flood the console).
 */
#include <hv/log.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/asm.h>
#include <x86/guest.h>
#include <x86/msr.h>

const struct x86_msr_passthrough x86_msr_passthrough_list[] = {
	{ MSR_IA32_SYSENTER_CS, true, true },
	{ MSR_IA32_SYSENTER_ESP, true, true },
	{ MSR_IA32_SYSENTER_EIP, true, true },
	{ MSR_STAR, true, true },
	{ MSR_LSTAR, true, true },
	{ MSR_CSTAR, true, true },
	{ MSR_SFMASK, true, true },
	{ MSR_FS_BASE, true, true },
	{ MSR_GS_BASE, true, true },
	{ MSR_KERNEL_GS_BASE, true, true },
	{ MSR_TSC_AUX, true, true },
	{ MSR_IA32_SPEC_CTRL, true, true },
	{ MSR_IA32_PRED_CMD, true, true },
	{ MSR_AMD_HWCR, true, false },
	{ MSR_AMD_PATCH_LEVEL, true, false },
};
const u32 x86_msr_passthrough_count = ARRAY_SIZE(x86_msr_passthrough_list);

static enum x86_msr_result refuse(struct x86_vcpu *xv, u32 msr, bool write, u64 value)
{
	struct vcpu *v = xv->vcpu;

	xv->msr_refused++;
	xv->last_msr_refused = msr;
	log_debug("%s: vcpu%u: %s of MSR %#x (value %#llx): #GP", v->vm->name, v->id,
		  write ? "WRMSR" : "RDMSR", msr, (unsigned long long)value);
	return X86_MSR_GP;
}

enum x86_msr_result x86_msr_read(struct x86_vcpu *xv, u32 msr, u64 *value)
{
	switch (msr) {
	case MSR_EFER:
	case MSR_IA32_PAT:
		return X86_MSR_BACKEND;
	case MSR_IA32_TSC:
		/* RDTSC's value (the offset is 0). Emulated: QEMU's TCG returns another base. */
		*value = rdtsc();
		return X86_MSR_OK;
	case MSR_AMD_INT_PENDING:
		/* No C1E: Linux reads this on CPUs with AMD erratum 400 (family 0xf like QEMU's). */
		*value = 0;
		return X86_MSR_OK;
	default:
		*value = 0;
		return refuse(xv, msr, false, 0);
	}
}

enum x86_msr_result x86_msr_write(struct x86_vcpu *xv, u32 msr, u64 value)
{
	switch (msr) {
	case MSR_EFER:
	case MSR_IA32_PAT:
		return X86_MSR_BACKEND;
	case MSR_IA32_TSC:
		log_debug("%s: vcpu%u: WRMSR TSC %#llx ignored", xv->vcpu->vm->name, xv->vcpu->id,
			  (unsigned long long)value);
		return X86_MSR_OK;
	default:
		return refuse(xv, msr, true, value);
	}
}
