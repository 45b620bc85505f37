/*
 * An L1 hypervisor's EPT as the guest walker sees it (bits in hv/mmu/ept.h,
 * SDM Vol. 3C 29.3): root pointer checks, misconfigurations, grants,
 * accessed/dirty flags, and the EPT violation or misconfiguration to
 * reflect.
 */
#include <hv/errno.h>
#include <hv/mmu/ept.h>

#include "shadow_internal.h"

static pte_t high_rsvd(const struct gwalk_cfg *cfg)
{
	return EPT_HIGH_BITS & ~GENMASK(cfg->pa_bits - 1, 0);
}

static int ept_decode_root(const struct shadow_root_params *p, struct gwalk_cfg *cfg)
{
	u64 mt = p->pointer & EPTP_MT_MASK;
	unsigned levels = (unsigned)((p->pointer & EPTP_WALK_MASK) >> EPTP_WALK_SHIFT) + 1;

	if (mt != EPT_MT_UC && mt != EPT_MT_WB)
		return HV_EINVAL;
	if (levels != 4 && levels != 5)
		return HV_EINVAL;
	if (p->pointer & (EPTP_RSVD_LOW | (~EPTP_ADDR_MASK & ~GENMASK(11, 0)) |
			  (EPTP_ADDR_MASK & ~GENMASK(cfg->pa_bits - 1, 0))))
		return HV_EINVAL;
	cfg->levels = (u8)levels;
	cfg->root_gfn = (p->pointer & EPTP_ADDR_MASK) >> PAGE_SHIFT;
	cfg->ad = p->pointer & EPTP_AD;
	return 0;
}

static enum gwalk_stop ept_check(const struct gwalk_cfg *cfg, pte_t e, int level, bool *leaf)
{
	pte_t rwx = e & EPT_RWX;
	pte_t rsvd = high_rsvd(cfg);

	if (!rwx)
		return GW_NOT_PRESENT;
	if ((rwx & EPT_WRITE) && !(rwx & EPT_READ))
		return GW_RSVD; /* write without read */
	if (rwx == EPT_EXEC && !(cfg->flags & SHADOW_ROOT_XONLY))
		return GW_RSVD; /* execute-only, not offered */
	*leaf = level == 1 || ((level == 2 || level == 3) && (e & EPT_LEAF));
	if (!*leaf)
		rsvd |= level >= 4 ? EPT_RSVD_TABLE : EPT_RSVD_TABLE & ~EPT_LEAF;
	else if (level == 3)
		rsvd |= EPT_RSVD_1G;
	else if (level == 2)
		rsvd |= EPT_RSVD_2M;
	if (e & rsvd)
		return GW_RSVD;
	if (*leaf && (EPT_MT_BAD_MASK & BIT((e & EPT_MT_MASK) >> EPT_MT_SHIFT)))
		return GW_RSVD;
	return GW_OK;
}

static u8 ept_table_perm(const struct gwalk_cfg *cfg, pte_t e)
{
	(void)cfg;
	return (u8)(PT_U | ((e & EPT_READ) ? PT_R : 0) | ((e & EPT_WRITE) ? PT_W : 0) |
		    ((e & EPT_EXEC) ? PT_X : 0));
}

static u8 ept_required(const struct gwalk_cfg *cfg, u8 access, u32 acc_flags)
{
	/* With A/D on, walks of L2's own page tables count as writes (SDM 29.3.3.2). */
	if (cfg->ad && (acc_flags & SHADOW_ACC_PT_WALK))
		access |= PT_W;
	return access & (PT_R | PT_W | PT_X);
}

static pte_t ept_ad_bits(const struct gwalk_cfg *cfg, int level, bool leaf, bool write)
{
	(void)level;
	if (!cfg->ad)
		return 0;
	return EPT_ACCESSED | (leaf && write ? EPT_DIRTY : 0);
}

static pte_t ept_dirty_mask(const struct gwalk_cfg *cfg)
{
	return cfg->ad ? EPT_DIRTY : 0;
}

static void ept_fault(const struct gwalk_cfg *cfg, enum gwalk_stop why, int level, u8 access,
		      u32 acc_flags, u8 perm, struct shadow_guest_fault *out)
{
	u64 q = 0;

	(void)level;
	*out = (struct shadow_guest_fault){ .kind = SHADOW_GF_EPT_VIOLATION };
	if (why == GW_RSVD) {
		out->kind = SHADOW_GF_EPT_MISCONFIG;
		return;
	}
	/* Walks of L2's page tables with A/D on are reported as writes, too. */
	access = ept_required(cfg, access, acc_flags) | (access & PT_R);
	if (access & PT_R)
		q |= EPT_QUAL_READ;
	if (access & PT_W)
		q |= EPT_QUAL_WRITE;
	if (access & PT_X)
		q |= EPT_QUAL_FETCH;
	if (perm & PT_R)
		q |= EPT_QUAL_READABLE;
	if (perm & PT_W)
		q |= EPT_QUAL_WRITABLE;
	if (perm & PT_X)
		q |= EPT_QUAL_EXEC;
	if (acc_flags & SHADOW_ACC_GLA) {
		q |= EPT_QUAL_GLA_VALID;
		if (!(acc_flags & SHADOW_ACC_PT_WALK))
			q |= EPT_QUAL_GLA_FINAL;
	}
	out->code = q;
}

const struct gfmt_ops gfmt_ept_ops = {
	.name = "ept",
	.decode_root = ept_decode_root,
	.check = ept_check,
	.table_perm = ept_table_perm,
	.required = ept_required,
	.ad_bits = ept_ad_bits,
	.dirty_mask = ept_dirty_mask,
	.fault = ept_fault,
};
