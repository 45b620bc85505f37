/*
 * Turning SVM on for a CPU (APM Vol. 2, 15.4 "Enabling SVM" and 15.30.4
 * "VM_HSAVE_PA MSR"): check that the CPU has SVM and nested paging and
 * that the firmware did not disable it (VM_CR.SVMDIS), set EFER.SVME (any
 * SVM instruction #UDs before), give the CPU its host save area, load the
 * host PAT the nested page tables' memory types index (hv/mmu/npt.h), and
 * VMSAVE the host's FS, GS, TR, LDTR and syscall MSRs once, for the VMLOAD
 * after every exit. Per-CPU state is reached through svm_this_cpu() only.
 */
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/mmu/npt.h>
#include <x86/asm.h>
#include <x86/cpuid.h>
#include <x86/features.h>
#include <x86/msr.h>

#include "svm_internal.h"

static struct svm_cpu boot_cpu;

bool svm_has_nrips;
bool svm_has_flush_by_asid;
u64 svm_guest_efer_mask;

#define CPUID_EXT_EDX_FFXSR BIT(25)

struct svm_cpu *svm_this_cpu(void)
{
	/* One CPU runs guests today; per-CPU data will be indexed here. */
	return &boot_cpu;
}

int svm_cpu_enable(void)
{
	struct svm_cpu *c = svm_this_cpu();
	const struct x86_features *f = &x86_cpu;

	if (c->enabled)
		return 0;
	if (!f->svm || !f->npt) {
		log_err("svm: this CPU has %s: cannot run guests", !f->svm ? "no SVM" : "no NPT");
		return HV_ENOSYS;
	}
	if (f->svm_disabled) {
		log_err("svm: disabled by the firmware (VM_CR %#llx: SVMDIS%s)",
			(unsigned long long)f->vm_cr, f->svm_locked ? ", locked" : "");
		return HV_ENOSYS;
	}
	c->hsave = page_alloc();
	c->host_vmcb = page_alloc();
	if (!c->hsave || !c->host_vmcb) {
		page_free(c->hsave);
		page_free(c->host_vmcb);
		return HV_ENOMEM;
	}
	c->host_vmcb_pa = virt_to_phys(c->host_vmcb);
	svm_has_nrips = f->nrip_save;
	svm_has_flush_by_asid = f->flush_by_asid;
	/* LMA is accepted and ignored in writes (the CPU owns it). */
	svm_guest_efer_mask =
	    EFER_SCE | EFER_LME | EFER_LMA | (f->nx ? EFER_NXE : 0) |
	    ((cpuid(CPUID_LEAF_EXT_FEAT).edx & CPUID_EXT_EDX_FFXSR) ? EFER_FFXSR : 0);

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hpa_val(virt_to_phys(c->hsave)));
	/* Nested leaves pick their memory type through the host PAT. */
	wrmsr(MSR_IA32_PAT, NPT_HOST_PAT);
	__asm__ volatile("vmsave %%rax" : : "a"(hpa_val(c->host_vmcb_pa)) : "memory");
	c->enabled = true;
	log_info("svm: enabled on this CPU (revision %u, %u ASIDs, next-RIP %s, flush by ASID %s)",
		 f->svm_revision, f->asid_count, svm_has_nrips ? "yes" : "no",
		 svm_has_flush_by_asid ? "yes" : "no");
	return 0;
}
