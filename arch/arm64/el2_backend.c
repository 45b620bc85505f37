/*
 * The arm64 EL2 backend (struct vm_backend_ops "el2"): VM and vCPU state,
 * the EL2 configuration a guest runs under, and the run loop.
 *
 * A loaded vCPU owns the CPU's EL1/EL0 state: the hypervisor runs only at
 * EL2, is built -mgeneral-regs-only, and so never touches the guest's
 * system registers, FP/SIMD registers or virtual timer. Loading a vCPU is
 * writing the EL2 registers below once; an exit saves and restores only
 * general registers (guest_entry.S). Before a vCPU's first entry its EL1
 * registers are reset, so nothing a previous guest left is visible.
 *
 * HCR_EL2 while a guest runs, and why:
 *   VM         stage-2 translation (the MMU engine's s2-40 tables)
 *   SWIO       DC ISW acts as DC CISW: invalidating by set/way never loses data
 *   PTW        a stage-1 walk that lands on Device memory faults
 *   IMO FMO    physical interrupts come to EL2; virtual ones go to the guest
 *   AMO        physical SErrors come to EL2
 *   FB BSU=IS  TLB/I-cache maintenance and barriers reach every CPU the
 *              vCPU might have run on
 *   TWI TWE    WFI waits here (for an interrupt the guest can take, polling
 *              the console meanwhile); WFE yields
 *   TSC        SMC is emulated (PSCI); it never reaches real firmware
 *   TID3       ID registers are shaped (vmm/arm64/idregs.c)
 *   TIDCP TACR IMPLEMENTATION DEFINED registers and ACTLR_EL1 trap
 *   TSW        set/way cache maintenance is emulated
 *   TLOR TERR  LORegions and RAS error records trap (hidden), if present
 *   API APK    pointer authentication runs without trapping, if present
 *   RW         EL1 is AArch64
 * CPTR_EL2 traps SVE, SME, trace and activity monitors (hidden); FP/SIMD
 * is left to the guest. MDCR_EL2 traps the PMU (hidden) and, if present,
 * statistical profiling and trace filtering; debug registers stay the
 * guest's (with TDE clear, its breakpoints cannot fire at EL2).
 * CNTHCTL_EL2 lets EL1 read the physical counter but traps the physical
 * timer; CNTVOFF_EL2 is 0, so the guest's virtual counter is the machine's.
 */
#include <arch/cpu.h>
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/mmu.h>

#include <arm64/boot.h>
#include <arm64/el2.h>
#include <arm64/el2_guest.h>
#include <arm64/esr.h>
#include <arm64/regs.h>

/* ID fields consulted for EL2 controls that exist only with a feature. */
#define ID_MMFR0_FGT_SHIFT      56
#define ID_MMFR1_LO_SHIFT       16
#define ID_MMFR1_HCX_SHIFT      40
#define ID_PFR0_RAS_SHIFT       28
#define ID_PFR0_AMU_SHIFT       44
#define ID_DFR0_PMSVER_SHIFT    32
#define ID_DFR0_TRACEFILT_SHIFT 40
#define ID_ISAR1_APA_SHIFT      4
#define ID_ISAR1_API_SHIFT      8
#define ID_ISAR1_GPA_SHIFT      24
#define ID_ISAR1_GPI_SHIFT      28
#define ID_ISAR2_GPA3_SHIFT     8
#define ID_ISAR2_APA3_SHIFT     12

#define HCR_EL2_GUEST                                                                              \
	(HCR_EL2_VM | HCR_EL2_SWIO | HCR_EL2_PTW | HCR_EL2_FMO | HCR_EL2_IMO | HCR_EL2_AMO |       \
	 HCR_EL2_FB | HCR_EL2_BSU_INNER | HCR_EL2_TWI | HCR_EL2_TWE | HCR_EL2_TSC | HCR_EL2_TID3 | \
	 HCR_EL2_TIDCP | HCR_EL2_TACR | HCR_EL2_TSW | HCR_EL2_RW_BIT)

static const char *const exit_kind_names[EL2_EXIT_KIND_COUNT] = {
	[EL2_EXIT_HVC] = "HVC",
	[EL2_EXIT_PSCI] = "PSCI",
	[EL2_EXIT_SMC_OTHER] = "SMC other",
	[EL2_EXIT_S2_MAP] = "S2 fault",
	[EL2_EXIT_MMIO_READ] = "MMIO read",
	[EL2_EXIT_MMIO_WRITE] = "MMIO write",
	[EL2_EXIT_BAD_IPA] = "bad IPA",
	[EL2_EXIT_ID_REG] = "ID reg",
	[EL2_EXIT_SYSREG] = "sysreg",
	[EL2_EXIT_SET_WAY] = "set/way",
	[EL2_EXIT_WFI] = "WFI",
	[EL2_EXIT_WFE] = "WFE",
	[EL2_EXIT_IRQ] = "IRQ",
	[EL2_EXIT_UNDEF] = "UNDEF",
	[EL2_EXIT_SERROR] = "SError",
};

static bool has_field(u64 reg, unsigned shift)
{
	return id_field(reg, shift) != 0;
}

static u64 hcr_for_cpu(void)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1), mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	u64 isar1 = read_sysreg(id_aa64isar1_el1), isar2 = read_sysreg(s3_0_c0_c6_2);
	u64 hcr = HCR_EL2_GUEST;

	if (has_field(mmfr1, ID_MMFR1_LO_SHIFT))
		hcr |= HCR_EL2_TLOR;
	if (has_field(pfr0, ID_PFR0_RAS_SHIFT))
		hcr |= HCR_EL2_TERR;
	if (has_field(isar1, ID_ISAR1_APA_SHIFT) || has_field(isar1, ID_ISAR1_API_SHIFT) ||
	    has_field(isar1, ID_ISAR1_GPA_SHIFT) || has_field(isar1, ID_ISAR1_GPI_SHIFT) ||
	    has_field(isar2, ID_ISAR2_GPA3_SHIFT) || has_field(isar2, ID_ISAR2_APA3_SHIFT))
		hcr |= HCR_EL2_API | HCR_EL2_APK;
	return hcr;
}

static u64 cptr_for_cpu(void)
{
	u64 cptr = CPTR_EL2_RES1 | CPTR_EL2_TZ | CPTR_EL2_TSM | CPTR_EL2_TTA;

	if (has_field(read_sysreg(id_aa64pfr0_el1), ID_PFR0_AMU_SHIFT))
		cptr |= CPTR_EL2_TAM;
	return cptr;
}

static u64 mdcr_for_cpu(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	/* All event counters stay EL1's (HPMN = N), but every PMU access traps (hidden). */
	u64 mdcr = ((read_sysreg(pmcr_el0) >> PMCR_EL0_N_SHIFT) & PMCR_EL0_N_MASK) | MDCR_EL2_TPM |
		   MDCR_EL2_TPMCR;

	if (has_field(dfr0, ID_DFR0_PMSVER_SHIFT))
		mdcr |= MDCR_EL2_TPMS;
	if (has_field(dfr0, ID_DFR0_TRACEFILT_SHIFT))
		mdcr |= MDCR_EL2_TTRF;
	return mdcr;
}

/* Fine-grained traps and HCRX_EL2 reset to UNKNOWN values: zero them if they exist. */
static void clear_optional_traps(void)
{
	if (has_field(read_sysreg(id_aa64mmfr0_el1), ID_MMFR0_FGT_SHIFT)) {
		write_sysreg(s3_4_c1_c1_4, 0); /* HFGRTR_EL2 */
		write_sysreg(s3_4_c1_c1_5, 0); /* HFGWTR_EL2 */
		write_sysreg(s3_4_c1_c1_6, 0); /* HFGITR_EL2 */
		write_sysreg(s3_4_c3_c1_4, 0); /* HDFGRTR_EL2 */
		write_sysreg(s3_4_c3_c1_5, 0); /* HDFGWTR_EL2 */
	}
	if (has_field(read_sysreg(id_aa64mmfr1_el1), ID_MMFR1_HCX_SHIFT))
		write_sysreg(s3_4_c1_c2_2, 0); /* HCRX_EL2 */
}

/* The EL1 state of a CPU fresh out of reset, as far as software can see it. */
static void reset_el1(void)
{
	write_sysreg(sctlr_el1, SCTLR_EL1_RESET);
	write_sysreg(cpacr_el1, 0);
	write_sysreg(tcr_el1, 0);
	write_sysreg(ttbr0_el1, 0);
	write_sysreg(ttbr1_el1, 0);
	write_sysreg(mair_el1, 0);
	write_sysreg(amair_el1, 0);
	write_sysreg(vbar_el1, 0);
	write_sysreg(contextidr_el1, 0);
	write_sysreg(tpidr_el1, 0);
	write_sysreg(tpidr_el0, 0);
	write_sysreg(tpidrro_el0, 0);
	write_sysreg(sp_el0, 0);
	write_sysreg(sp_el1, 0);
	write_sysreg(elr_el1, 0);
	write_sysreg(spsr_el1, 0);
	write_sysreg(esr_el1, 0);
	write_sysreg(far_el1, 0);
	write_sysreg(mdscr_el1, 0);
	write_sysreg(cntkctl_el1, 0);
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntv_cval_el0, 0);
	/* The new translation regime must not find a previous guest's TLB entries. */
	__asm__ volatile("tlbi vmalle1" : : : "memory");
	__asm__ volatile("dsb nsh" : : : "memory");
}

void el2_vcpu_load(struct el2_vcpu *ev)
{
	write_sysreg(vtcr_el2, stage2_vtcr());
	write_sysreg(vttbr_el2, ev->vttbr);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, ev->vmpidr);
	write_sysreg(cptr_el2, ev->cptr);
	write_sysreg(mdcr_el2, ev->mdcr);
	write_sysreg(cnthctl_el2, ev->cnthctl);
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(hstr_el2, 0);
	clear_optional_traps();
	write_sysreg(hcr_el2, ev->hcr);
	isb();
	if (!ev->started) {
		reset_el1();
		ev->started = true;
	}
	gic_hw_set_enabled(GUEST_VTIMER_PPI, true);
	gic_hw_hcr(false);
	isb();
	ev->loaded = true;
}

void el2_vcpu_put(struct el2_vcpu *ev)
{
	el2_vgic_put(ev);
	write_sysreg(hcr_el2, HCR_EL2_BOOT);
	write_sysreg(cptr_el2, CPTR_EL2_BOOT);
	write_sysreg(vttbr_el2, 0);
	isb();
	ev->loaded = false;
}

/* --- VMs and vCPUs ------------------------------------------------------------------------ */

static int el2_vm_init(struct vm *vm)
{
	struct el2_vm *evm = hv_zalloc(sizeof(*evm));
	int err;

	if (!evm)
		return HV_ENOMEM;
	evm->vm = vm;
	evm->gic = gic_hw_version();
	err = stage2_vmid_alloc(&evm->vmid);
	if (err) {
		log_err("%s: no VMID left", vm->name);
		hv_free(evm);
		return err;
	}
	vm->arch = evm;
	vgic_init(&evm->vgic, evm->gic, 1, NULL);
	el2_devices_init(evm);
	/* v2: the guest's CPU interface is the hardware's virtual one, at the guest's GICC. */
	if (evm->gic == VGIC_V2) {
		err = vm_map_device(vm, gpa(GUEST_GICC_BASE), gic_hw_gicv_base(), GUEST_GICC_SIZE);
		if (err) {
			stage2_vmid_free(evm->vmid);
			vm->arch = NULL;
			hv_free(evm);
			return err;
		}
	}
	return 0;
}

static void el2_vm_destroy(struct vm *vm)
{
	struct el2_vm *evm = vm->arch;

	if (!evm)
		return;
	/*
	 * The generic layer frees the stage-2 tables after this: drop every
	 * translation of the VMID now, walk caches included, so that neither
	 * the tables nor the VMID can be found by a later user.
	 */
	stage2_flush_vmid(evm->vmid);
	stage2_vmid_free(evm->vmid);
	hv_free(evm);
	vm->arch = NULL;
}

/* (Re)build the interrupt controller and devices for the VM's vCPUs; before the VM runs. */
static void platform_reset(struct vm *vm, u32 cpu_count)
{
	struct el2_vm *evm = vm->arch;
	u64 mpidr[GUEST_CPUS_MAX];

	for (u32 i = 0; i < cpu_count; i++)
		mpidr[i] = i;
	vgic_init(&evm->vgic, evm->gic, cpu_count, mpidr);
	el2_devices_init(evm);
	for (u32 i = 0; i < vm->vcpu_count; i++)
		el2_vgic_vcpu_init(el2_vcpu_of(vm->vcpus[i]));
}

static int el2_vcpu_init(struct vcpu *v)
{
	struct el2_vcpu *ev;

	if (v->id >= GUEST_CPUS_MAX)
		return HV_ERANGE;
	ev = hv_zalloc(sizeof(*ev));
	if (!ev)
		return HV_ENOMEM;
	ev->vcpu = v;
	ev->evm = v->vm->arch;
	ev->power = v->id == 0 ? PSCI_CPU_STATE_ON : PSCI_CPU_STATE_OFF;
	ev->vmpidr = MPIDR_RES1 | (v->id & MPIDR_AFF0_MASK);
	ev->regs.pstate = SPSR_M_EL1H | SPSR_DAIF;
	ev->hcr = hcr_for_cpu();
	ev->cptr = cptr_for_cpu();
	ev->mdcr = mdcr_for_cpu();
	ev->cnthctl = CNTHCTL_EL1PCTEN;
	v->arch = ev;
	/* vcpu_create() adds v to the VM after this returns: count it already. */
	platform_reset(v->vm, v->vm->vcpu_count + 1);
	el2_vgic_vcpu_init(ev);
	return 0;
}

static void el2_vcpu_destroy(struct vcpu *v)
{
	struct el2_vcpu *ev = v->arch;

	CHECK(!ev || !ev->loaded);
	hv_free(ev);
	v->arch = NULL;
}

/* --- running ------------------------------------------------------------------------------- */

/* The table the hardware walks: the engine's root, or a protected VM's table module's. */
static int load_root(struct el2_vcpu *ev)
{
	hpa_t walk;
	int err = vcpu_load_tdp_root(ev->vcpu, &walk);

	if (err)
		return err;
	ev->vttbr = stage2_vttbr(ev->evm->vmid, walk);
	return 0;
}

static u64 exit_code(u64 kind, u64 esr)
{
	switch (kind & 3) {
	case EXC_TYPE_IRQ:
		return EL2_CODE_IRQ;
	case EXC_TYPE_FIQ:
		return EL2_CODE_FIQ;
	case EXC_TYPE_SERROR:
		return EL2_CODE_SERROR;
	default:
		return esr_ec(esr);
	}
}

/* Ticks from the hypervisor's first instruction to the first guest entry (the boot figure). */
static void report_first_entry(void)
{
	static bool reported;

	if (reported)
		return;
	reported = true;
	log_info("boot: first instruction to first guest entry took %llu ticks",
		 (unsigned long long)(arch_ticks() - arm64_entry_ticks));
}

static void el2_vcpu_run(struct vcpu *v)
{
	struct el2_vcpu *ev = el2_vcpu_of(v);
	struct vm *vm = v->vm;

	if (load_root(ev)) {
		vm_stop(vm, VM_STOP_FAILED, "vcpu%u: no memory for a stage-2 root", v->id);
		return;
	}
	el2_vcpu_load(ev);
	report_first_entry();
	while (vm_is_running(vm)) {
		struct vcpu_exit_record *rec;
		u64 kind, t0;
		u32 k;

		if (ev->power != PSCI_CPU_STATE_ON) {
			/* One vCPU per VM for now: a vCPU that is off has nothing to run. */
			vm_stop(vm, VM_STOP_FAILED, "vcpu%u is off and no other vCPU runs", v->id);
			break;
		}
		if (!mmu_vcpu_root_is_valid(v->mmu)) {
			if (load_root(ev)) {
				vm_stop(vm, VM_STOP_FAILED, "vcpu%u: no memory for a stage-2 root",
					v->id);
				break;
			}
			write_sysreg(vttbr_el2, ev->vttbr);
			isb();
		}
		el2_vgic_flush(ev);
		kind = arm64_guest_enter(&ev->regs);
		t0 = arch_ticks();
		rec = vcpu_exit_log(v);
		rec->ticks = t0;
		rec->code = exit_code(kind, ev->regs.esr);
		rec->pc = ev->regs.pc;
		rec->info1 = ev->regs.esr;
		rec->info2 = ev->regs.far;
		k = el2_handle_exit(ev, kind);
		vcpu_exit_account(v, k, arch_ticks() - t0);
	}
	el2_vcpu_put(ev);
}

static const char *exit_code_name(u64 code)
{
	switch (code) {
	case EL2_CODE_IRQ:
		return "IRQ";
	case EL2_CODE_FIQ:
		return "FIQ";
	case EL2_CODE_SERROR:
		return "SError";
	case EC_HVC64:
		return "HVC";
	case EC_SMC64:
		return "SMC";
	case EC_SYSREG:
		return "SYSREG";
	case EC_WFX:
		return "WFx";
	case EC_DABT_LOWER:
		return "DABT";
	case EC_IABT_LOWER:
		return "IABT";
	default:
		return "other";
	}
}

static void el2_vcpu_dump(const struct vcpu *v)
{
	const struct el2_vcpu *ev = v->arch;
	const struct arm64_guest_regs *r = &ev->regs;

	log_err("%s: vcpu%u: pc %#llx pstate %#llx esr %#llx far %#llx hpfar %#llx", v->vm->name,
		v->id, (unsigned long long)r->pc, (unsigned long long)r->pstate,
		(unsigned long long)r->esr, (unsigned long long)r->far,
		(unsigned long long)r->hpfar);
	for (unsigned i = 0; i < 30; i += 3)
		log_err("%s:   x%-2u %#018llx  x%-2u %#018llx  x%-2u %#018llx", v->vm->name, i,
			(unsigned long long)r->x[i], i + 1, (unsigned long long)r->x[i + 1], i + 2,
			(unsigned long long)r->x[i + 2]);
	log_err("%s:   x30 %#018llx", v->vm->name, (unsigned long long)r->x[30]);
	if (ev->loaded)
		log_err("%s:   SCTLR_EL1 %#llx VBAR_EL1 %#llx ESR_EL1 %#llx FAR_EL1 %#llx "
			"ELR_EL1 %#llx SPSR_EL1 %#llx",
			v->vm->name, (unsigned long long)read_sysreg(sctlr_el1),
			(unsigned long long)read_sysreg(vbar_el1),
			(unsigned long long)read_sysreg(esr_el1),
			(unsigned long long)read_sysreg(far_el1),
			(unsigned long long)read_sysreg(elr_el1),
			(unsigned long long)read_sysreg(spsr_el1));
}

const struct vm_backend_ops el2_backend_ops = {
	.name = "el2",
	.tdp_format = &pt_format_s2_40,
	.vm_init = el2_vm_init,
	.vm_destroy = el2_vm_destroy,
	.vcpu_init = el2_vcpu_init,
	.vcpu_destroy = el2_vcpu_destroy,
	.vcpu_run = el2_vcpu_run,
	.tlb_flush = stage2_tlb_flush,
	.exit_kind_names = exit_kind_names,
	.exit_kind_count = EL2_EXIT_KIND_COUNT,
	.exit_code_name = exit_code_name,
	.vcpu_dump = el2_vcpu_dump,
};
