/*
 * An L1 hypervisor's stage-2 tables as the guest walker sees them (bits in
 * hv/mmu/stage2.h, Arm ARM D8): the 40-bit IPA layout with a concatenated
 * two-page root at Arm level 1, descriptor encodings, output addresses
 * checked against VTCR_EL2.PS, AF (set by the walk only with VTCR_EL2.HA),
 * S2AP/XN grants at the leaf only (stage-2 table descriptors grant all), and
 * the stage-2 abort to reflect.
 */
#include <hv/errno.h>
#include <hv/mmu/stage2.h>

#include "shadow_internal.h"

static int s2_decode_root(const struct shadow_root_params *p, struct gwalk_cfg *cfg)
{
	u64 baddr = p->pointer & S2_VTTBR_BADDR_MASK;

	if (p->levels != 3)
		return HV_ENOSYS;
	/* The concatenated root must be aligned to its size (else CONSTRAINED UNPREDICTABLE). */
	if (!IS_ALIGNED(baddr, PAGE_SIZE * S2_ROOT_PAGES_40) ||
	    (baddr & ~GENMASK(cfg->pa_bits - 1, 0)))
		return HV_EINVAL;
	cfg->levels = 3;
	cfg->root_gfn = baddr >> PAGE_SHIFT;
	cfg->ad = cfg->flags & SHADOW_ROOT_HW_AF;
	return 0;
}

static enum gwalk_stop s2_check(const struct gwalk_cfg *cfg, pte_t e, int level, bool *leaf)
{
	if (!(e & S2_VALID))
		return GW_NOT_PRESENT;
	if (level == 1) {
		if (!(e & S2_TABLE_OR_PAGE))
			return GW_NOT_PRESENT; /* 0b01 at the last level is reserved: invalid */
		*leaf = true;
	} else {
		*leaf = !(e & S2_TABLE_OR_PAGE);
	}
	if (e & S2_ADDR_MASK & ~GENMASK(cfg->pa_bits - 1, 0))
		return GW_ADDR_SIZE;
	if (*leaf && !(e & S2_AF) && !(cfg->flags & SHADOW_ROOT_HW_AF))
		return GW_NO_AF;
	return GW_OK;
}

static u8 s2_table_perm(const struct gwalk_cfg *cfg, pte_t e)
{
	(void)cfg;
	(void)e;
	return PT_RWXU;
}

static u8 s2_required(const struct gwalk_cfg *cfg, u8 access, u32 acc_flags)
{
	(void)cfg;
	(void)acc_flags;
	return access & (PT_R | PT_W | PT_X);
}

static pte_t s2_ad_bits(const struct gwalk_cfg *cfg, int level, bool leaf, bool write)
{
	(void)level;
	(void)write;
	return leaf && (cfg->flags & SHADOW_ROOT_HW_AF) ? S2_AF : 0;
}

static pte_t s2_dirty_mask(const struct gwalk_cfg *cfg)
{
	(void)cfg;
	return 0; /* no hardware dirty state (VTCR_EL2.HD) offered */
}

static void s2_fault(const struct gwalk_cfg *cfg, enum gwalk_stop why, int level, u8 access,
		     u32 acc_flags, u8 perm, struct shadow_guest_fault *out)
{
	static const u32 fsc[] = {
		[GW_NOT_PRESENT] = S2_FSC_TRANSLATION, [GW_RSVD] = S2_FSC_TRANSLATION,
		[GW_ADDR_SIZE] = S2_FSC_ADDR_SIZE,     [GW_NO_AF] = S2_FSC_ACCESS_FLAG,
		[GW_PERM] = S2_FSC_PERMISSION,         [GW_UNREADABLE] = S2_FSC_SEA_TTW,
	};
	u64 iss = fsc[why] | (u32)((4 - level) & S2_FSC_LEVEL_MASK);

	(void)cfg;
	(void)perm;
	if ((access & PT_W) && !(acc_flags & SHADOW_ACC_PT_WALK))
		iss |= S2_ISS_WNR;
	if (acc_flags & SHADOW_ACC_PT_WALK)
		iss |= S2_ISS_S1PTW;
	*out = (struct shadow_guest_fault){
		.kind = SHADOW_GF_S2_ABORT,
		.code = iss,
		.exec = (access & PT_X) && !(acc_flags & SHADOW_ACC_PT_WALK),
	};
}

const struct gfmt_ops gfmt_s2_ops = {
	.name = "s2",
	.decode_root = s2_decode_root,
	.check = s2_check,
	.table_perm = s2_table_perm,
	.required = s2_required,
	.ad_bits = s2_ad_bits,
	.dirty_mask = s2_dirty_mask,
	.fault = s2_fault,
};
