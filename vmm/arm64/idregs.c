/*
 * The ID register values an arm64 guest reads (policy and field layout in
 * hv/arm64/idregs.h): one table entry per register hv knows, with the
 * fields passed through as the hardware has them; a few fields are then
 * set rather than passed (EL1's AArch32 support, the GIC interface, the
 * physical address range).
 */
#include <hv/arm64/idregs.h>
#include <hv/arm64/sysreg_enc.h>

struct idreg_rule {
	u32 enc;
	u64 keep; /* fields passed through from the hardware; the others read 0 */
};

#define KEEP_ALL (~0ull)

static const struct idreg_rule rules[] = {
	/* AArch32 (a guest's 32-bit EL0): all but the features hv does not provide. */
	{ SYS_ID_PFR0_EL1, ~(ID_PFR0_AMU | ID_PFR0_RAS) },
	{ SYS_ID_PFR1_EL1, ~(ID_PFR1_VIRT | ID_PFR1_VIRT_FRAC | ID_PFR1_GIC) },
	{ SYS_ID_DFR0_EL1,
	  ~(ID_DFR0_COPTRC | ID_DFR0_MMAPTRC | ID_DFR0_PERFMON | ID_DFR0_TRACEFILT) },
	{ SYS_ENC(3, 0, 0, 1, 4), KEEP_ALL }, /* ID_MMFR0_EL1 */
	{ SYS_ENC(3, 0, 0, 1, 5), KEEP_ALL }, /* ID_MMFR1_EL1 */
	{ SYS_ENC(3, 0, 0, 1, 6), KEEP_ALL }, /* ID_MMFR2_EL1 */
	{ SYS_ENC(3, 0, 0, 1, 7), KEEP_ALL }, /* ID_MMFR3_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 0), KEEP_ALL }, /* ID_ISAR0_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 1), KEEP_ALL }, /* ID_ISAR1_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 2), KEEP_ALL }, /* ID_ISAR2_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 3), KEEP_ALL }, /* ID_ISAR3_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 4), KEEP_ALL }, /* ID_ISAR4_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 5), KEEP_ALL }, /* ID_ISAR5_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 6), KEEP_ALL }, /* ID_MMFR4_EL1 */
	{ SYS_ENC(3, 0, 0, 2, 7), KEEP_ALL }, /* ID_ISAR6_EL1 */
	{ SYS_ENC(3, 0, 0, 3, 0), KEEP_ALL }, /* MVFR0_EL1 */
	{ SYS_ENC(3, 0, 0, 3, 1), KEEP_ALL }, /* MVFR1_EL1 */
	{ SYS_ENC(3, 0, 0, 3, 2), KEEP_ALL }, /* MVFR2_EL1 */
	{ SYS_ID_PFR2_EL1, ~ID_PFR2_RAS_FRAC },
	{ SYS_ENC(3, 0, 0, 3, 6), KEEP_ALL }, /* ID_MMFR5_EL1 */

	/* AArch64: allow-lists. */
	{ SYS_ID_AA64PFR0_EL1, ID_AA64PFR0_EL0 | ID_AA64PFR0_EL1 | ID_AA64PFR0_FP |
				   ID_AA64PFR0_ADVSIMD | ID_AA64PFR0_DIT | ID_AA64PFR0_CSV2 |
				   ID_AA64PFR0_CSV3 },
	{ SYS_ID_AA64PFR1_EL1, ID_AA64PFR1_BT | ID_AA64PFR1_SSBS | ID_AA64PFR1_CSV2_FRAC },
	{ SYS_ID_AA64DFR0_EL1, ID_AA64DFR0_DEBUGVER | ID_AA64DFR0_BRPS | ID_AA64DFR0_WRPS |
				   ID_AA64DFR0_CTX_CMPS | ID_AA64DFR0_DOUBLELOCK },
	/* Instructions that need nothing from EL2: all of ISAR0, ISAR1 but LS64. */
	{ SYS_ID_AA64ISAR0_EL1, KEEP_ALL },
	{ SYS_ID_AA64ISAR1_EL1, ~ID_AA64ISAR1_LS64 },
	{ SYS_ID_AA64ISAR2_EL1, ID_AA64ISAR2_RPRES | ID_AA64ISAR2_GPA3 | ID_AA64ISAR2_APA3 |
				    ID_AA64ISAR2_BC | ID_AA64ISAR2_PAC_FRAC | ID_AA64ISAR2_CLRBHB },
	{ SYS_ID_AA64MMFR0_EL1, ID_AA64MMFR0_PARANGE | ID_AA64MMFR0_ASIDBITS | ID_AA64MMFR0_BIGEND |
				    ID_AA64MMFR0_SNSMEM | ID_AA64MMFR0_BIGENDEL0 |
				    ID_AA64MMFR0_TGRAN16 | ID_AA64MMFR0_TGRAN64 |
				    ID_AA64MMFR0_TGRAN4 | ID_AA64MMFR0_EXS },
	{ SYS_ID_AA64MMFR1_EL1, ID_AA64MMFR1_HAFDBS | ID_AA64MMFR1_HPDS | ID_AA64MMFR1_PAN |
				    ID_AA64MMFR1_ETS | ID_AA64MMFR1_AFP | ID_AA64MMFR1_NTLBPA |
				    ID_AA64MMFR1_ECBHB },
	{ SYS_ID_AA64MMFR2_EL1, ID_AA64MMFR2_CNP | ID_AA64MMFR2_UAO | ID_AA64MMFR2_LSM |
				    ID_AA64MMFR2_VARANGE | ID_AA64MMFR2_CCIDX | ID_AA64MMFR2_ST |
				    ID_AA64MMFR2_AT | ID_AA64MMFR2_TTL | ID_AA64MMFR2_BBM |
				    ID_AA64MMFR2_E0PD },
};

static unsigned field(u64 v, u64 mask)
{
	return (unsigned)((v & mask) >> __builtin_ctzll(mask));
}

static u64 set_field(u64 v, u64 mask, u64 x)
{
	return (v & ~mask) | ((x << __builtin_ctzll(mask)) & mask);
}

u64 arm64_idreg_for_guest(u32 enc, u64 hw, const struct arm64_id_policy *p)
{
	u64 v = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(rules); i++)
		if (rules[i].enc == enc)
			v = hw & rules[i].keep;
	switch (enc) {
	case SYS_ID_AA64PFR0_EL1:
		/* HCR_EL2.RW makes EL1 AArch64; a CPU without AArch64 EL1 could not run us. */
		if (field(v, ID_AA64PFR0_EL1) > ID_AA64PFR0_EL1_AARCH64_ONLY)
			v = set_field(v, ID_AA64PFR0_EL1, ID_AA64PFR0_EL1_AARCH64_ONLY);
		if (p->gicv3)
			v = set_field(v, ID_AA64PFR0_GIC, ID_AA64PFR0_GIC_V3);
		break;
	case SYS_ID_PFR1_EL1:
		if (p->gicv3)
			v = set_field(v, ID_PFR1_GIC, 1);
		break;
	case SYS_ID_AA64MMFR0_EL1:
		if (field(v, ID_AA64MMFR0_PARANGE) > p->parange)
			v = set_field(v, ID_AA64MMFR0_PARANGE, p->parange);
		break;
	default:
		break;
	}
	return v;
}
