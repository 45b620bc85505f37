/*
 * Exceptions hv makes a guest take at its EL1: UNDEFINED for anything it
 * does not emulate, and synchronous external aborts for accesses to
 * guest-physical addresses where nothing is (docs/arm64.md, "What a guest
 * gets for a bad access").
 *
 * Taking an exception to EL1 is done the way the PE would do it (Arm ARM
 * D1, "Exception entry"): ESR_EL1 gets the syndrome, FAR_EL1 the address
 * for an abort, ELR_EL1 the PC of the instruction that caused it, SPSR_EL1
 * the PSTATE it ran with; PSTATE becomes EL1h with D, A, I and F masked,
 * PAN set unless SCTLR_EL1.SPAN says otherwise, SSBS from SCTLR_EL1.DSSBS,
 * SS, IL and BTYPE cleared; the PC goes to VBAR_EL1 plus the offset of the
 * vector for where it came from. The EL1 registers are the guest's own,
 * live in the CPU (nothing is switched), so they are written directly.
 */
#include <hv/arm64/esr.h>

#include <arm64/el2.h>
#include <arm64/el2_guest.h>
#include <arm64/sysreg.h>

/* ID_AA64MMFR1_EL1.PAN and ID_AA64PFR1_EL1.SSBS: whether the PSTATE bits exist. */
#define ID_MMFR1_PAN_SHIFT 20
#define ID_PFR1_SSBS_SHIFT 4

static u64 vector_offset(u64 pstate)
{
	if (pstate & SPSR_M_AARCH32)
		return VBAR_LOWER_A32;
	switch (pstate & SPSR_M_MASK) {
	case SPSR_M_EL0T:
		return VBAR_LOWER_A64;
	case SPSR_M_EL1T:
		return VBAR_CUR_SP0;
	default:
		return VBAR_CUR_SPX;
	}
}

static bool from_el0(u64 pstate)
{
	return (pstate & SPSR_M_AARCH32) || (pstate & SPSR_M_MASK) == SPSR_M_EL0T;
}

static void take_to_el1(struct el2_vcpu *ev, u64 esr, u64 far, bool has_far)
{
	u64 old = ev->regs.pstate, sctlr = read_sysreg(sctlr_el1);
	u64 pstate = SPSR_M_EL1H | SPSR_DAIF;

	write_sysreg(esr_el1, esr);
	if (has_far)
		write_sysreg(far_el1, far);
	write_sysreg(elr_el1, ev->regs.pc);
	write_sysreg(spsr_el1, old);
	if (id_field(read_sysreg(id_aa64mmfr1_el1), ID_MMFR1_PAN_SHIFT) &&
	    ((old & SPSR_PAN) || !(sctlr & SCTLR_EL1_SPAN)))
		pstate |= SPSR_PAN;
	if (id_field(read_sysreg(id_aa64pfr1_el1), ID_PFR1_SSBS_SHIFT) && (sctlr & SCTLR_EL1_DSSBS))
		pstate |= SPSR_SSBS;
	ev->regs.pc = read_sysreg(vbar_el1) + vector_offset(old);
	ev->regs.pstate = pstate;
}

void el2_inject_undef(struct el2_vcpu *ev)
{
	ev->evm->undef_injected++;
	take_to_el1(ev, esr_make(EC_UNKNOWN, ev->regs.esr & ESR_IL, 0), 0, false);
}

void el2_inject_data_abort(struct el2_vcpu *ev, u64 va, bool write)
{
	unsigned ec = from_el0(ev->regs.pstate) ? EC_DABT_LOWER : EC_DABT_CUR;

	take_to_el1(ev, esr_make(ec, true, FSC_SYNC_EXTERNAL | (write ? ISS_DABT_WNR : 0)), va,
		    true);
}

void el2_inject_instruction_abort(struct el2_vcpu *ev, u64 va)
{
	unsigned ec = from_el0(ev->regs.pstate) ? EC_IABT_LOWER : EC_IABT_CUR;

	take_to_el1(ev, esr_make(ec, true, FSC_SYNC_EXTERNAL), va, true);
}

void el2_skip_instruction(struct el2_vcpu *ev)
{
	/* A64 and A32 instructions are 4 bytes, T32 ones 2 or 4: IL says which. */
	ev->regs.pc += (ev->regs.esr & ESR_IL) ? 4 : 2;
}
