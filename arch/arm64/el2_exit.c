/*
 * What a guest exit does, by exception class: calls (HVC: hv's hypercall
 * ABI, PSCI and the SMCCC architecture calls; SMC: PSCI and SMCCC),
 * WFI/WFE, trapped system registers, stage-2 aborts (el2_abort.c) and
 * physical interrupts (vgic_lr.c). Anything else the guest gets back as an
 * UNDEFINED exception at its EL1; nothing a guest does ends here in a
 * hypervisor fault.
 *
 * System registers trapped, and why (HCR_EL2, MDCR_EL2, CPTR_EL2 and
 * CNTHCTL_EL2 as el2_backend.c sets them):
 *   ID registers (TID3)      shaped by vmm/arm64/idregs.c; writes UNDEFINED
 *   DC ISW/CSW/CISW (TSW)    set/way maintenance cannot reach the caches the
 *                            guest's data went through on another CPU: emulated
 *                            by cleaning and invalidating all guest RAM to PoC,
 *                            once per burst of consecutive set/way operations
 *   ICC_SGI1R/ASGI1R/SGI0R   GICv3 SGIs (HCR_EL2.IMO traps them): sent through
 *                            the emulated GIC
 *   ACTLR_EL1 (TACR)         read as zero, writes ignored: IMPLEMENTATION
 *                            DEFINED controls are the hypervisor's business
 *   CNTP_* (EL1PCEN 0)       the EL1 physical timer is not offered (the guest
 *                            has the virtual one): read as zero, writes ignored
 *   IMPLEMENTATION DEFINED   (TIDCP), PMU (TPM, TPMCR), SVE, SME, trace, AMU,
 *                            LORegions, RAS records: UNDEFINED (all hidden in
 *                            the ID registers)
 */
#include <hv/arm64/esr.h>
#include <hv/arm64/idregs.h>
#include <hv/arm64/psci.h>
#include <hv/arm64/sysreg_enc.h>
#include <hv/console.h>
#include <hv/log.h>

#include <arm64/el2.h>
#include <arm64/el2_guest.h>
#include <arm64/regs.h>

#define SMCCC_RET_NOT_SUPPORTED ((u64)(s64)PSCI_NOT_SUPPORTED)
#define ARM64_ZR                31

static u64 reg_get(const struct el2_vcpu *ev, unsigned r)
{
	return r == ARM64_ZR ? 0 : ev->regs.x[r];
}

static void reg_set(struct el2_vcpu *ev, unsigned r, u64 v)
{
	if (r != ARM64_ZR)
		ev->regs.x[r] = v;
}

static bool from_el0(const struct el2_vcpu *ev)
{
	return (ev->regs.pstate & SPSR_M_AARCH32) || (ev->regs.pstate & SPSR_M_MASK) == SPSR_M_EL0T;
}

/* --- PSCI's view of the VM's vCPUs ------------------------------------------------------- */

static int psci_cpu_by_mpidr(void *ctx, u64 mpidr)
{
	struct vm *vm = ctx;

	for (u32 i = 0; i < vm->vcpu_count; i++)
		if ((el2_vcpu_of(vm->vcpus[i])->vmpidr & PSCI_MPIDR_AFF_MASK) == mpidr)
			return (int)i;
	return -1;
}

static enum psci_cpu_state psci_cpu_state(void *ctx, u32 index)
{
	struct vm *vm = ctx;

	return el2_vcpu_of(vm->vcpus[index])->power;
}

static bool psci_is_guest_ram(void *ctx, u64 addr)
{
	return vm_gpa_to_hva(ctx, gpa(addr), sizeof(u32)) != NULL;
}

/* The PSCI state a vCPU starts in: EL1h, DAIF masked, MMU and caches off (its EL1 is reset). */
static int psci_cpu_on(void *ctx, u32 index, u64 entry, u64 context_id)
{
	struct vm *vm = ctx;
	struct el2_vcpu *t = el2_vcpu_of(vm->vcpus[index]);

	for (unsigned r = 0; r < ARRAY_SIZE(t->regs.x); r++)
		t->regs.x[r] = 0;
	t->regs.x[0] = context_id;
	t->regs.pc = entry;
	t->regs.pstate = SPSR_M_EL1H | SPSR_DAIF;
	t->started = false;
	t->power = PSCI_CPU_STATE_ON_PENDING;
	return PSCI_SUCCESS;
}

static bool all_vcpus_off(const struct vm *vm)
{
	for (u32 i = 0; i < vm->vcpu_count; i++)
		if (el2_vcpu_of(vm->vcpus[i])->power != PSCI_CPU_STATE_OFF)
			return false;
	return true;
}

static u32 psci(struct el2_vcpu *ev, u64 fid)
{
	struct vm *vm = ev->vcpu->vm;
	const struct psci_env env = {
		.ctx = vm,
		.caller = ev->vcpu->id,
		.cpu_by_mpidr = psci_cpu_by_mpidr,
		.cpu_state = psci_cpu_state,
		.is_guest_ram = psci_is_guest_ram,
		.cpu_on = psci_cpu_on,
	};
	struct psci_result r = psci_call(&env, fid, &ev->regs.x[1]);

	ev->regs.x[0] = (u64)r.ret;
	switch (r.action) {
	case PSCI_ACT_SYSTEM_OFF:
		vm_stop(vm, VM_STOP_OK, "powered off (PSCI SYSTEM_OFF from vcpu%u)", ev->vcpu->id);
		break;
	case PSCI_ACT_SYSTEM_RESET:
		vm_stop(vm, VM_STOP_OK, "reset (PSCI SYSTEM_RESET from vcpu%u)", ev->vcpu->id);
		break;
	case PSCI_ACT_CPU_OFF:
		ev->power = PSCI_CPU_STATE_OFF;
		if (all_vcpus_off(vm))
			vm_stop(vm, VM_STOP_OK, "every vCPU is off (PSCI CPU_OFF)");
		break;
	case PSCI_ACT_SUSPEND:
		el2_wait_for_interrupt(ev);
		break;
	case PSCI_ACT_NONE:
		break;
	}
	return EL2_EXIT_PSCI;
}

/*
 * With its caches off the guest writes straight to memory, under any line
 * the hypervisor's cacheable mapping may hold: drop those before reading.
 */
static void prepare_guest_read(struct el2_vcpu *ev, u64 gpa_start, u64 len)
{
	void *p;

	if (read_sysreg(sctlr_el1) & SCTLR_EL1_C)
		return;
	p = vm_gpa_to_hva(ev->vcpu->vm, gpa(gpa_start), len);
	if (p)
		stage2_clean_inval_poc(hpa((u64)(uptr)p), len);
}

static u32 hv_call(struct el2_vcpu *ev, u64 fid)
{
	const u64 args[HC_ARG_COUNT] = { ev->regs.x[1], ev->regs.x[2], ev->regs.x[3],
					 ev->regs.x[4] };
	struct hc_result r;

	if (fid == HC_CONSOLE_WRITE && args[1] <= HC_CONSOLE_WRITE_MAX)
		prepare_guest_read(ev, args[0], args[1]);
	r = vm_hypercall(ev->vcpu, fid, args, from_el0(ev));
	ev->regs.x[0] = (u64)r.ret;
	ev->regs.x[1] = r.out[0];
	ev->regs.x[2] = r.out[1];
	ev->regs.x[3] = r.out[2];
	return EL2_EXIT_HVC;
}

/*
 * HVC #0 and SMC #0: the SMC Calling Convention. HVC carries hv's own ABI
 * (vendor hypervisor service) as well as PSCI; SMC only PSCI and the Arm
 * architecture calls. Other immediates and unknown services get SMCCC's
 * NOT_SUPPORTED. HVC is UNDEFINED at EL0, so it always comes from EL1.
 */
static u32 smccc(struct el2_vcpu *ev, bool smc)
{
	u64 fid = ev->regs.x[0];

	if (esr_iss(ev->regs.esr) & ISS_IMM16_MASK) {
		ev->regs.x[0] = SMCCC_RET_NOT_SUPPORTED;
		return smc ? EL2_EXIT_SMC_OTHER : EL2_EXIT_HVC;
	}
	switch (smccc_service_of(fid)) {
	case SMCCC_SERVICE_ARCH:
	case SMCCC_SERVICE_PSCI:
		return psci(ev, fid);
	case SMCCC_SERVICE_HV:
		if (!smc)
			return hv_call(ev, fid);
		break;
	case SMCCC_SERVICE_UNKNOWN:
		break;
	}
	ev->regs.x[0] = SMCCC_RET_NOT_SUPPORTED;
	return smc ? EL2_EXIT_SMC_OTHER : EL2_EXIT_HVC;
}

/* --- WFI / WFE --------------------------------------------------------------------------- */

void el2_wait_for_interrupt(struct el2_vcpu *ev)
{
	struct vm *vm = ev->vcpu->vm;

	for (;;) {
		el2_uart_feed(ev->evm);
		if (!vm_is_running(vm) || el2_vgic_has_pending(ev))
			return;
		/*
		 * PSTATE.I is set at EL2, yet a pending physical interrupt (the
		 * guest's timer, console input, a maintenance interrupt) still
		 * ends the WFI; el2_irq() then takes it.
		 */
		__asm__ volatile("dsb sy\n\twfi" : : : "memory");
		el2_irq(ev);
	}
}

static u32 wfx(struct el2_vcpu *ev)
{
	u32 ti = esr_iss(ev->regs.esr) & ISS_WFX_TI_MASK;

	el2_skip_instruction(ev);
	/* WFE (and WFET): nothing else to run on this CPU, so the yield is immediate. */
	if (ti == ISS_WFX_TI_WFE || ti == ISS_WFX_TI_WFET) {
		el2_uart_feed(ev->evm);
		return EL2_EXIT_WFE;
	}
	el2_wait_for_interrupt(ev);
	return EL2_EXIT_WFI;
}

/* --- system registers -------------------------------------------------------------------- */

#define ID_READ(crm, op2)                                                                          \
	case SYS_ENC(3, 0, 0, crm, op2):                                                           \
		return read_sysreg(s3_0_c0_c##crm##_##op2)
#define ID_READ_ROW(crm)                                                                           \
	ID_READ(crm, 0);                                                                           \
	ID_READ(crm, 1);                                                                           \
	ID_READ(crm, 2);                                                                           \
	ID_READ(crm, 3);                                                                           \
	ID_READ(crm, 4);                                                                           \
	ID_READ(crm, 5);                                                                           \
	ID_READ(crm, 6);                                                                           \
	ID_READ(crm, 7)

/* The hardware's value of an ID-space register (unallocated ones are RAZ there too). */
static u64 id_hw(u32 enc)
{
	switch (enc) {
		ID_READ_ROW(1);
		ID_READ_ROW(2);
		ID_READ_ROW(3);
		ID_READ_ROW(4);
		ID_READ_ROW(5);
		ID_READ_ROW(6);
		ID_READ_ROW(7);
	default:
		return 0;
	}
}

static void set_way(struct el2_vcpu *ev)
{
	/* A guest cleans a cache by looping over every set and way: flush once per run of them. */
	if (!ev->set_way_exit || ev->vcpu->exit_count != ev->set_way_exit + 1) {
		stage2_clean_guest_ram(ev->vcpu->vm);
		ev->evm->set_way_flushes++;
	}
	ev->set_way_exit = ev->vcpu->exit_count;
}

static u32 sysreg(struct el2_vcpu *ev)
{
	u32 iss = esr_iss(ev->regs.esr), enc = sys_enc_from_iss(iss);
	unsigned rt = (iss >> ISS_SYS_RT_SHIFT) & ISS_SYS_RT_MASK;
	bool read = iss & ISS_SYS_READ;
	const struct arm64_id_policy policy = {
		.gicv3 = ev->evm->gic == VGIC_V3,
		.parange = ID_PARANGE_40,
	};

	if (sys_enc_is_id_space(enc) && read) {
		reg_set(ev, rt, arm64_idreg_for_guest(enc, id_hw(enc), &policy));
		el2_skip_instruction(ev);
		return EL2_EXIT_ID_REG;
	}
	switch (enc) {
	case SYS_DC_ISW:
	case SYS_DC_CSW:
	case SYS_DC_CISW:
		set_way(ev);
		el2_skip_instruction(ev);
		return EL2_EXIT_SET_WAY;
	case SYS_ICC_SGI1R_EL1:
	case SYS_ICC_ASGI1R_EL1:
	case SYS_ICC_SGI0R_EL1:
		/* GICv3 SGIs; write-only registers. */
		if (read || ev->evm->gic != VGIC_V3)
			break;
		vgic_send_sgi_v3(&ev->evm->vgic, ev->vcpu->id, reg_get(ev, rt));
		el2_skip_instruction(ev);
		return EL2_EXIT_SYSREG;
	case SYS_ACTLR_EL1:
	case SYS_CNTP_CTL_EL0:
	case SYS_CNTP_CVAL_EL0:
	case SYS_CNTP_TVAL_EL0:
		if (read)
			reg_set(ev, rt, 0);
		el2_skip_instruction(ev);
		return EL2_EXIT_SYSREG;
	default:
		break;
	}
	log_debug("%s: vcpu%u: %s S%u_%u_C%u_C%u_%u (x%u) at PC %#llx: UNDEFINED injected",
		  ev->vcpu->vm->name, ev->vcpu->id, read ? "read of" : "write to", SYS_ENC_OP0(enc),
		  SYS_ENC_OP1(enc), SYS_ENC_CRN(enc), SYS_ENC_CRM(enc), SYS_ENC_OP2(enc), rt,
		  (unsigned long long)ev->regs.pc);
	el2_inject_undef(ev);
	return EL2_EXIT_UNDEF;
}

/* --- dispatch ---------------------------------------------------------------------------- */

u32 el2_handle_exit(struct el2_vcpu *ev, u64 kind)
{
	unsigned ec;

	switch (kind & 3) {
	case EXC_TYPE_IRQ:
	case EXC_TYPE_FIQ:
		el2_irq(ev);
		return EL2_EXIT_IRQ;
	case EXC_TYPE_SERROR:
		vm_stop(ev->vcpu->vm, VM_STOP_FAILED,
			"vcpu%u: SError interrupt while the guest ran (ESR_EL2 %#llx, PC %#llx)",
			ev->vcpu->id, (unsigned long long)ev->regs.esr,
			(unsigned long long)ev->regs.pc);
		return EL2_EXIT_SERROR;
	default:
		break;
	}
	ec = esr_ec(ev->regs.esr);
	switch (ec) {
	case EC_HVC64:
		return smccc(ev, false);
	case EC_SMC64:
		/* A trapped SMC leaves ELR_EL2 at the SMC itself. */
		el2_skip_instruction(ev);
		return smccc(ev, true);
	case EC_SYSREG:
		return sysreg(ev);
	case EC_WFX:
		return wfx(ev);
	case EC_DABT_LOWER:
		return el2_data_abort(ev);
	case EC_IABT_LOWER:
		return el2_instruction_abort(ev);
	default:
		log_debug("%s: vcpu%u: exception class %#x (ESR %#llx) at PC %#llx: UNDEFINED "
			  "injected",
			  ev->vcpu->vm->name, ev->vcpu->id, ec, (unsigned long long)ev->regs.esr,
			  (unsigned long long)ev->regs.pc);
		el2_inject_undef(ev);
		return EL2_EXIT_UNDEF;
	}
}
