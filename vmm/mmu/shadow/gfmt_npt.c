/*
 * An L1 hypervisor's nested page tables as the guest walker sees them (bits
 * in hv/mmu/npt.h, APM Vol. 2 5.3 and 15.25): reserved bits by level, the
 * grants of each level (the nested walk is a user access, so U/S matters at
 * every level), accessed/dirty flags (always maintained), and the #NPF
 * error code to reflect.
 */
#include <hv/errno.h>
#include <hv/mmu/npt.h>

#include "shadow_internal.h"

static pte_t high_rsvd(const struct gwalk_cfg *cfg)
{
	pte_t r = NPT_HIGH_BITS & ~GENMASK(cfg->pa_bits - 1, 0);

	return (cfg->flags & SHADOW_ROOT_NXE) ? r : r | NPT_NX;
}

static int npt_decode_root(const struct shadow_root_params *p, struct gwalk_cfg *cfg)
{
	if (p->levels != 4 && p->levels != 5)
		return HV_ENOSYS;
	/* An nCR3 beyond MAXPHYADDR makes VMRUN fail. */
	if (p->pointer & ~NPT_NCR3_ADDR_MASK & ~GENMASK(11, 0) ||
	    p->pointer & NPT_NCR3_ADDR_MASK & ~GENMASK(cfg->pa_bits - 1, 0))
		return HV_EINVAL;
	cfg->levels = p->levels;
	cfg->root_gfn = (p->pointer & NPT_NCR3_ADDR_MASK) >> PAGE_SHIFT;
	cfg->ad = true;
	return 0;
}

static enum gwalk_stop npt_check(const struct gwalk_cfg *cfg, pte_t e, int level, bool *leaf)
{
	pte_t rsvd = high_rsvd(cfg);

	if (!(e & NPT_P))
		return GW_NOT_PRESENT;
	*leaf = level == 1 || ((level == 2 || level == 3) && (e & NPT_PS));
	if (level >= 4)
		rsvd |= NPT_RSVD_UPPER;
	else if (*leaf && level == 3)
		rsvd |= NPT_RSVD_1G;
	else if (*leaf && level == 2)
		rsvd |= NPT_RSVD_2M;
	return (e & rsvd) ? GW_RSVD : GW_OK;
}

static u8 npt_table_perm(const struct gwalk_cfg *cfg, pte_t e)
{
	u8 p = PT_R;

	if (e & NPT_RW)
		p |= PT_W;
	if (e & NPT_US)
		p |= PT_U;
	if (!(cfg->flags & SHADOW_ROOT_NXE) || !(e & NPT_NX))
		p |= PT_X;
	return p;
}

static u8 npt_required(const struct gwalk_cfg *cfg, u8 access, u32 acc_flags)
{
	(void)cfg;
	(void)acc_flags;
	/* Every nested access is a user access (APM 15.25.5). */
	return (u8)((access & (PT_R | PT_W | PT_X)) | PT_U);
}

static pte_t npt_ad_bits(const struct gwalk_cfg *cfg, int level, bool leaf, bool write)
{
	(void)cfg;
	(void)level;
	return NPT_A | (leaf && write ? NPT_D : 0);
}

static pte_t npt_dirty_mask(const struct gwalk_cfg *cfg)
{
	(void)cfg;
	return NPT_D;
}

static void npt_fault(const struct gwalk_cfg *cfg, enum gwalk_stop why, int level, u8 access,
		      u32 acc_flags, u8 perm, struct shadow_guest_fault *out)
{
	u64 ec = NPF_US;

	(void)level;
	(void)perm;
	*out = (struct shadow_guest_fault){ .kind = SHADOW_GF_NPF };
	if (why != GW_NOT_PRESENT && why != GW_UNREADABLE)
		ec |= NPF_P;
	if (why == GW_RSVD)
		ec |= NPF_RSV;
	if (access & PT_W)
		ec |= NPF_RW;
	if ((access & PT_X) && (cfg->flags & SHADOW_ROOT_NXE))
		ec |= NPF_ID;
	if (acc_flags & SHADOW_ACC_GLA)
		ec |= (acc_flags & SHADOW_ACC_PT_WALK) ? NPF_GUEST_PAGE : NPF_GUEST_FINAL;
	out->code = ec;
}

const struct gfmt_ops gfmt_npt_ops = {
	.name = "npt",
	.decode_root = npt_decode_root,
	.check = npt_check,
	.table_perm = npt_table_perm,
	.required = npt_required,
	.ad_bits = npt_ad_bits,
	.dirty_mask = npt_dirty_mask,
	.fault = npt_fault,
};
