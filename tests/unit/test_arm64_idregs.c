/*
 * The ID register values a guest reads (vmm/arm64/idregs.c): with every
 * hardware bit set, exactly the allowed fields come through; hardware-shaped
 * values come out as worked out by hand here; the GIC field, EL1's AArch32
 * support and PARange are set by the policy; unknown and reserved ID
 * encodings read as zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hv/arm64/idregs.h>
#include <hv/arm64/sysreg_enc.h>

static const struct arm64_id_policy v2 = { .gicv3 = false, .parange = ID_PARANGE_40 };
static const struct arm64_id_policy v3 = { .gicv3 = true, .parange = ID_PARANGE_40 };

static unsigned fld(u64 v, u64 mask)
{
	return (unsigned)((v & mask) >> __builtin_ctzll(mask));
}

static void all_ones_keeps_only_allowed_fields(void **state)
{
	u64 v;

	(void)state;
	v = arm64_idreg_for_guest(SYS_ID_AA64PFR0_EL1, ~0ull, &v2);
	assert_int_equal(v, ID_AA64PFR0_EL0 | (1ull << 4) | ID_AA64PFR0_FP | ID_AA64PFR0_ADVSIMD |
				ID_AA64PFR0_DIT | ID_AA64PFR0_CSV2 | ID_AA64PFR0_CSV3);
	v = arm64_idreg_for_guest(SYS_ID_AA64PFR1_EL1, ~0ull, &v2);
	assert_int_equal(v, ID_AA64PFR1_BT | ID_AA64PFR1_SSBS | ID_AA64PFR1_CSV2_FRAC);
	v = arm64_idreg_for_guest(SYS_ID_AA64DFR0_EL1, ~0ull, &v2);
	assert_int_equal(fld(v, ID_AA64DFR0_PMUVER), 0);
	assert_int_equal(fld(v, ID_AA64DFR0_PMSVER), 0);
	assert_int_equal(fld(v, ID_AA64DFR0_TRACEVER), 0);
	assert_int_equal(fld(v, ID_AA64DFR0_BRPS), 0xf);
	v = arm64_idreg_for_guest(SYS_ID_AA64ISAR1_EL1, ~0ull, &v2);
	assert_int_equal(v, ~ID_AA64ISAR1_LS64);
	v = arm64_idreg_for_guest(SYS_ID_AA64ISAR2_EL1, ~0ull, &v2);
	assert_int_equal(fld(v, ID_AA64ISAR2_WFXT), 0);
	assert_int_equal(fld(v, ID_AA64ISAR2_MOPS), 0);
	assert_int_equal(fld(v, ID_AA64ISAR2_APA3), 0xf);
	v = arm64_idreg_for_guest(SYS_ID_AA64MMFR1_EL1, ~0ull, &v2);
	assert_int_equal(fld(v, ID_AA64MMFR1_VH), 0);
	assert_int_equal(fld(v, ID_AA64MMFR1_VMIDBITS), 0);
	assert_int_equal(fld(v, ID_AA64MMFR1_LO), 0);
	assert_int_equal(fld(v, ID_AA64MMFR1_PAN), 0xf);
	v = arm64_idreg_for_guest(SYS_ID_AA64MMFR2_EL1, ~0ull, &v2);
	assert_int_equal(fld(v, ID_AA64MMFR2_NV), 0);
	assert_int_equal(fld(v, ID_AA64MMFR2_E0PD), 0xf);
	/* SVE, SME and the AArch32 PMU are hidden. */
	assert_int_equal(arm64_idreg_for_guest(SYS_ID_AA64ZFR0_EL1, ~0ull, &v2), 0);
	assert_int_equal(arm64_idreg_for_guest(SYS_ID_AA64SMFR0_EL1, ~0ull, &v2), 0);
	v = arm64_idreg_for_guest(SYS_ID_DFR0_EL1, ~0ull, &v2);
	assert_int_equal(fld(v, ID_DFR0_PERFMON), 0);
	assert_int_equal(v | ID_DFR0_PERFMON | ID_DFR0_TRACEFILT | ID_DFR0_COPTRC | ID_DFR0_MMAPTRC,
			 ~0ull);
}

static void policy_fields(void **state)
{
	u64 v;

	(void)state;
	/* GIC: the hardware's value never shows; the guest's GIC decides. */
	v = arm64_idreg_for_guest(SYS_ID_AA64PFR0_EL1, ID_AA64PFR0_GIC, &v2);
	assert_int_equal(fld(v, ID_AA64PFR0_GIC), 0);
	v = arm64_idreg_for_guest(SYS_ID_AA64PFR0_EL1, 0, &v3);
	assert_int_equal(fld(v, ID_AA64PFR0_GIC), 1);
	assert_int_equal(fld(arm64_idreg_for_guest(SYS_ID_PFR1_EL1, ~0ull, &v2), ID_PFR1_GIC), 0);
	assert_int_equal(fld(arm64_idreg_for_guest(SYS_ID_PFR1_EL1, 0, &v3), ID_PFR1_GIC), 1);
	/* EL1 with AArch32 (2) becomes AArch64 only (1); 1 stays 1. */
	assert_int_equal(
	    fld(arm64_idreg_for_guest(SYS_ID_AA64PFR0_EL1, 0x22, &v2), ID_AA64PFR0_EL1), 1);
	assert_int_equal(
	    fld(arm64_idreg_for_guest(SYS_ID_AA64PFR0_EL1, 0x11, &v2), ID_AA64PFR0_EL1), 1);
	/* PARange: capped at 40 bits, a smaller one kept. */
	assert_int_equal(
	    fld(arm64_idreg_for_guest(SYS_ID_AA64MMFR0_EL1, 5, &v2), ID_AA64MMFR0_PARANGE), 2);
	assert_int_equal(
	    fld(arm64_idreg_for_guest(SYS_ID_AA64MMFR0_EL1, 1, &v2), ID_AA64MMFR0_PARANGE), 1);
}

/* Hardware-shaped values; the expected results are worked out field by field. */
static void worked_examples(void **state)
{
	(void)state;
	/*
	 * ID_AA64PFR0_EL1 0x1201111123111112: EL0 2, EL1 1, EL2 1, EL3 1, FP 1,
	 * AdvSIMD 1, GIC 3, RAS 2, SVE 1, SEL2 1, MPAM 1, AMU 1, DIT 1, RME 0,
	 * CSV2 2, CSV3 1 -> EL2, EL3, GIC, RAS, SVE, SEL2, MPAM and AMU read 0.
	 */
	assert_int_equal(arm64_idreg_for_guest(SYS_ID_AA64PFR0_EL1, 0x1201111123111112ull, &v2),
			 0x1201000000110012ull);
	/* ID_AA64MMFR0_EL1 with ECV 1, FGT 1, PARange 5 (48 bits) -> PARange 2, ECV and FGT 0. */
	assert_int_equal(arm64_idreg_for_guest(SYS_ID_AA64MMFR0_EL1, 0x1100000000101125ull, &v2),
			 0x0000000000101122ull);
	/* ID_AA64DFR0_EL1 0x10305106 (Cortex-A57's): PMUVer 1 -> 0, the debug fields kept. */
	assert_int_equal(arm64_idreg_for_guest(SYS_ID_AA64DFR0_EL1, 0x10305106ull, &v2),
			 0x10305006ull);
}

static void unknown_registers_read_zero(void **state)
{
	(void)state;
	assert_int_equal(arm64_idreg_for_guest(SYS_ENC(3, 0, 0, 3, 3), ~0ull, &v2), 0);
	assert_int_equal(arm64_idreg_for_guest(SYS_ENC(3, 0, 0, 4, 7), ~0ull, &v2), 0);
	assert_int_equal(arm64_idreg_for_guest(SYS_ENC(3, 0, 0, 7, 3), ~0ull, &v2), 0);
	assert_int_equal(arm64_idreg_for_guest(SYS_ID_AA64AFR0_EL1, ~0ull, &v2), 0);
	assert_int_equal(arm64_idreg_for_guest(SYS_ID_AA64DFR1_EL1, ~0ull, &v2), 0);
	assert_true(sys_enc_is_id_space(SYS_ENC(3, 0, 0, 7, 7)));
	assert_false(sys_enc_is_id_space(SYS_ENC(3, 0, 0, 0, 5))); /* MPIDR_EL1: not TID3 */
	assert_false(sys_enc_is_id_space(SYS_ENC(3, 1, 0, 0, 0))); /* CCSIDR_EL1 */
	assert_true(sys_enc_is_impdef(SYS_ENC(3, 0, 15, 2, 1)));
	assert_true(sys_enc_is_impdef(SYS_ENC(3, 1, 11, 0, 0)));
	assert_false(sys_enc_is_impdef(SYS_ACTLR_EL1));
}

static void iss_round_trip(void **state)
{
	/* mrs x5, ID_AA64MMFR2_EL1: Op0 3, Op2 2, Op1 0, CRn 0, Rt 5, CRm 7, read. */
	u32 iss = 3u << ISS_SYS_OP0_SHIFT | 2u << ISS_SYS_OP2_SHIFT | 0u << ISS_SYS_OP1_SHIFT |
		  0u << ISS_SYS_CRN_SHIFT | 5u << ISS_SYS_RT_SHIFT | 7u << ISS_SYS_CRM_SHIFT |
		  ISS_SYS_READ;

	(void)state;
	assert_int_equal(sys_enc_from_iss(iss), SYS_ID_AA64MMFR2_EL1);
	/* dc cisw, x0: Op0 1, Op1 0, CRn 7, CRm 14, Op2 2. */
	iss = 1u << ISS_SYS_OP0_SHIFT | 2u << ISS_SYS_OP2_SHIFT | 7u << ISS_SYS_CRN_SHIFT |
	      14u << ISS_SYS_CRM_SHIFT;
	assert_int_equal(sys_enc_from_iss(iss), SYS_DC_CISW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_ones_keeps_only_allowed_fields),
		cmocka_unit_test(policy_fields),
		cmocka_unit_test(worked_examples),
		cmocka_unit_test(unknown_registers_read_zero),
		cmocka_unit_test(iss_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
