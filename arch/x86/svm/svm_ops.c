/*
 * The SVM backend as the generic VM layer sees it: the ops table (the one
 * function-pointer seam, hv/vm.h), per-VM state (ASID, I/O and MSR
 * permission maps built from the shared x86 policy), per-vCPU state (the
 * VMCB from the boot state the x86 guest builder left in the platform),
 * the MMU's TLB seam, and names for the statistics and the exit ring.
 */
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <x86/features.h>
#include <x86/platform.h>

#include "svm_internal.h"

#define IOPM_PAGES  4 /* 12 KiB used; page_alloc_contig wants a power of two */
#define MSRPM_PAGES 2
#define ASID_FIRST  1 /* ASID 0 is the host's */

static u32 next_asid = ASID_FIRST;

static void clear_bit(u8 *map, u32 bit)
{
	map[bit / 8] &= (u8)~BIT(bit % 8);
}

static void build_iopm(u8 *iopm)
{
	/* Everything exits, including the bits past port 0xffff (15.10.1), except the policy's. */
	memset(iopm, 0xff, SVM_IOPM_SIZE);
	for (u32 i = 0; i < x86_io_passthrough_count; i++)
		clear_bit(iopm, x86_io_passthrough_ports[i]);
}

/* The MSRPM bit pair of msr, or false if the map does not cover it (it always exits). */
static bool msrpm_bit(u32 msr, u32 *bit)
{
	static const u32 bases[] = { SVM_MSRPM_RANGE0_BASE, SVM_MSRPM_RANGE1_BASE,
				     SVM_MSRPM_RANGE2_BASE };

	for (u32 r = 0; r < ARRAY_SIZE(bases); r++) {
		if (msr - bases[r] < SVM_MSRPM_VECTOR_MSRS) {
			*bit = r * SVM_MSRPM_VECTOR_BYTES * 8 + (msr - bases[r]) * 2;
			return true;
		}
	}
	return false;
}

static void build_msrpm(u8 *msrpm)
{
	/* MSRs outside the three ranges always exit (15.11). */
	memset(msrpm, 0xff, SVM_MSRPM_SIZE);
	for (u32 i = 0; i < x86_msr_passthrough_count; i++) {
		const struct x86_msr_passthrough *m = &x86_msr_passthrough_list[i];
		u32 bit;

		if (!msrpm_bit(m->msr, &bit))
			continue;
		if (m->read)
			clear_bit(msrpm, bit + SVM_MSRPM_READ_BIT);
		if (m->write)
			clear_bit(msrpm, bit + SVM_MSRPM_WRITE_BIT);
	}
}

static int svm_vm_init(struct vm *vm)
{
	struct svm_vm *s;
	int err = svm_cpu_enable();

	if (err)
		return err;
	s = hv_zalloc(sizeof(*s));
	if (!s)
		return HV_ENOMEM;
	s->iopm = page_alloc_contig(IOPM_PAGES);
	s->msrpm = page_alloc_contig(MSRPM_PAGES);
	if (!s->iopm || !s->msrpm) {
		page_free_contig(s->iopm, IOPM_PAGES);
		page_free_contig(s->msrpm, MSRPM_PAGES);
		hv_free(s);
		return HV_ENOMEM;
	}
	build_iopm(s->iopm);
	build_msrpm(s->msrpm);
	/* One ASID per VM; when they run out, reuse (every VMRUN after a reuse flushes). */
	if (next_asid >= x86_cpu.asid_count)
		next_asid = ASID_FIRST;
	s->asid = next_asid++;
	vm->arch = s;
	return 0;
}

static void svm_vm_destroy(struct vm *vm)
{
	struct svm_vm *s = vm->arch;

	if (!s)
		return;
	page_free_contig(s->iopm, IOPM_PAGES);
	page_free_contig(s->msrpm, MSRPM_PAGES);
	hv_free(s);
	vm->arch = NULL;
}

static int svm_vcpu_init(struct vcpu *v)
{
	struct x86_platform *plat = v->vm->platform;
	struct svm_vcpu *sv;

	if (!plat)
		return HV_EINVAL; /* the x86 guest builder creates the platform first */
	sv = hv_zalloc(sizeof(*sv));
	if (!sv)
		return HV_ENOMEM;
	sv->vmcb = page_alloc();
	if (!sv->vmcb) {
		hv_free(sv);
		return HV_ENOMEM;
	}
	sv->vmcb_pa = virt_to_phys(sv->vmcb);
	sv->x.vcpu = v;
	sv->x.plat = plat;
	svm_vmcb_init(sv->vmcb, v->vm->arch, hpa(0), &plat->boot);
	sv->x.gpr[X86_RAX] = plat->boot.rax;
	sv->x.gpr[X86_RBX] = plat->boot.rbx;
	sv->x.gpr[X86_RCX] = plat->boot.rcx;
	sv->x.gpr[X86_RDX] = plat->boot.rdx;
	sv->x.gpr[X86_RSI] = plat->boot.rsi;
	sv->x.gpr[X86_RDI] = plat->boot.rdi;
	sv->x.gpr[X86_RBP] = plat->boot.rbp;
	sv->x.gpr[X86_RSP] = plat->boot.rsp;
	v->arch = sv;
	return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	struct svm_vcpu *sv = v->arch;

	if (!sv)
		return;
	page_free(sv->vmcb);
	hv_free(sv);
}

/*
 * The MMU's TLB seam: one vCPU per VM, running on the CPU that handles its
 * faults, so a flush on the next VMRUN is complete before the guest can use
 * a stale translation. With more vCPUs this must also kick the others.
 */
static void svm_tlb_flush(void *arg, const struct mmu_root *root, gfn_t start, u64 count)
{
	struct vm *vm = arg;

	(void)root;
	(void)start;
	(void)count;
	for (u32 i = 0; i < vm->vcpu_count; i++) {
		struct svm_vcpu *sv = vm->vcpus[i]->arch;

		if (sv)
			sv->flush_pending = true;
	}
}

static const char *const kind_names[SVM_KIND_COUNT] = {
	[SVM_KIND_CPUID] = "CPUID",         [SVM_KIND_MSR_READ] = "RDMSR",
	[SVM_KIND_MSR_WRITE] = "WRMSR",     [SVM_KIND_IO_IN] = "IO in",
	[SVM_KIND_IO_OUT] = "IO out",       [SVM_KIND_HLT] = "HLT",
	[SVM_KIND_VMMCALL] = "VMMCALL",     [SVM_KIND_NPF] = "NPF",
	[SVM_KIND_INTR] = "INTR",           [SVM_KIND_NMI] = "NMI",
	[SVM_KIND_VINTR] = "VINTR",         [SVM_KIND_SHUTDOWN] = "SHUTDOWN",
	[SVM_KIND_EXCEPTION] = "exception", [SVM_KIND_UD] = "#UD insn",
	[SVM_KIND_INVD] = "INVD",           [SVM_KIND_INVALID] = "VMRUN fail",
	[SVM_KIND_OTHER] = "other",
};

const char *svm_exit_code_name(u64 code)
{
	static const struct {
		u64 code;
		const char *name;
	} names[] = {
		{ SVM_EXIT_INTR, "INTR" },         { SVM_EXIT_NMI, "NMI" },
		{ SVM_EXIT_SMI, "SMI" },           { SVM_EXIT_INIT, "INIT" },
		{ SVM_EXIT_VINTR, "VINTR" },       { SVM_EXIT_RDTSC, "RDTSC" },
		{ SVM_EXIT_CPUID, "CPUID" },       { SVM_EXIT_IRET, "IRET" },
		{ SVM_EXIT_INVD, "INVD" },         { SVM_EXIT_PAUSE, "PAUSE" },
		{ SVM_EXIT_HLT, "HLT" },           { SVM_EXIT_INVLPG, "INVLPG" },
		{ SVM_EXIT_INVLPGA, "INVLPGA" },   { SVM_EXIT_IOIO, "IOIO" },
		{ SVM_EXIT_MSR, "MSR" },           { SVM_EXIT_TASK_SWITCH, "TASK_SWITCH" },
		{ SVM_EXIT_SHUTDOWN, "SHUTDOWN" }, { SVM_EXIT_VMRUN, "VMRUN" },
		{ SVM_EXIT_VMMCALL, "VMMCALL" },   { SVM_EXIT_VMLOAD, "VMLOAD" },
		{ SVM_EXIT_VMSAVE, "VMSAVE" },     { SVM_EXIT_STGI, "STGI" },
		{ SVM_EXIT_CLGI, "CLGI" },         { SVM_EXIT_SKINIT, "SKINIT" },
		{ SVM_EXIT_RDTSCP, "RDTSCP" },     { SVM_EXIT_WBINVD, "WBINVD" },
		{ SVM_EXIT_MONITOR, "MONITOR" },   { SVM_EXIT_MWAIT, "MWAIT" },
		{ SVM_EXIT_XSETBV, "XSETBV" },     { SVM_EXIT_NPF, "NPF" },
	};

	if (code < SVM_EXIT_DR0_READ)
		return code < SVM_EXIT_CR0_WRITE ? "CR read" : "CR write";
	if (code >= SVM_EXIT_DR0_READ && code < SVM_EXIT_EXCP_BASE)
		return "DR access";
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_INTR)
		return "exception";
	if ((code & SVM_EXIT_CODE_LOW_MASK) == SVM_EXIT_INVALID)
		return "INVALID";
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return "?";
}

static void svm_vcpu_dump(const struct vcpu *v)
{
	const struct svm_vcpu *sv = v->arch;
	const struct vmcb_save *s = &sv->vmcb->save;
	const u64 *g = sv->x.gpr;
	const char *name = v->vm->name;

	log_info("%s: vcpu%u: RIP %#llx RSP %#llx RFLAGS %#llx CPL %u", name, v->id,
		 (unsigned long long)s->rip, (unsigned long long)g[X86_RSP],
		 (unsigned long long)s->rflags, s->cpl);
	log_info("%s:   RAX %#llx RBX %#llx RCX %#llx RDX %#llx", name,
		 (unsigned long long)g[X86_RAX], (unsigned long long)g[X86_RBX],
		 (unsigned long long)g[X86_RCX], (unsigned long long)g[X86_RDX]);
	log_info("%s:   RSI %#llx RDI %#llx RBP %#llx R8 %#llx", name,
		 (unsigned long long)g[X86_RSI], (unsigned long long)g[X86_RDI],
		 (unsigned long long)g[X86_RBP], (unsigned long long)g[X86_R8]);
	log_info("%s:   CR0 %#llx CR2 %#llx CR3 %#llx CR4 %#llx EFER %#llx", name,
		 (unsigned long long)s->cr0, (unsigned long long)s->cr2, (unsigned long long)s->cr3,
		 (unsigned long long)s->cr4, (unsigned long long)s->efer);
	log_info("%s:   CS %#x (attrib %#x base %#llx) SS %#x, GDT %#llx+%#x IDT %#llx+%#x", name,
		 s->cs.selector, s->cs.attrib, (unsigned long long)s->cs.base, s->ss.selector,
		 (unsigned long long)s->gdtr.base, s->gdtr.limit, (unsigned long long)s->idtr.base,
		 s->idtr.limit);
}

const struct vm_backend_ops svm_backend_ops = {
	.name = "svm",
	.tdp_format = &pt_format_npt4,
	.vm_init = svm_vm_init,
	.vm_destroy = svm_vm_destroy,
	.vcpu_init = svm_vcpu_init,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_run = svm_vcpu_run,
	.tlb_flush = svm_tlb_flush,
	.exit_kind_names = kind_names,
	.exit_kind_count = SVM_KIND_COUNT,
	.exit_code_name = svm_exit_code_name,
	.vcpu_dump = svm_vcpu_dump,
};
