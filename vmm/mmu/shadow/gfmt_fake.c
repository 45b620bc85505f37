/*
 * The fake format (hv/mmu/fake_pt.h) as an L1 hypervisor's table, for the
 * tests: it proves the walker and the shadow pages take every bit, leaf size
 * and root size from the format. Present in bit 9, a reserved bit 62, leaves
 * at levels 1 and 3 only (a huge marker elsewhere is reserved), grants only
 * at the leaf, accessed flag set on every entry walked, no dirty flag.
 */
#include <hv/errno.h>
#include <hv/mmu/fake_pt.h>

#include "shadow_internal.h"

static int fake_decode_root(const struct shadow_root_params *p, struct gwalk_cfg *cfg)
{
	if (p->levels != FAKE_PT_LEVELS)
		return HV_ENOSYS;
	if (!IS_ALIGNED(p->pointer, PAGE_SIZE * FAKE_PT_ROOT_PAGES) ||
	    (p->pointer & ~GENMASK(cfg->pa_bits - 1, 0)))
		return HV_EINVAL;
	cfg->levels = FAKE_PT_LEVELS;
	cfg->root_gfn = p->pointer >> PAGE_SHIFT;
	cfg->ad = true;
	return 0;
}

static enum gwalk_stop fake_check(const struct gwalk_cfg *cfg, pte_t e, int level, bool *leaf)
{
	if (!(e & FAKE_PT_PRESENT))
		return GW_NOT_PRESENT;
	if ((e & FAKE_PT_GUEST_RSVD) || (pte_pfn(cfg->fmt, e) >> (cfg->pa_bits - PAGE_SHIFT)))
		return GW_RSVD;
	*leaf = level == 1 || (e & FAKE_PT_HUGE);
	if (*leaf && !pt_level_can_be_leaf(cfg->fmt, level))
		return GW_RSVD;
	return GW_OK;
}

static u8 fake_table_perm(const struct gwalk_cfg *cfg, pte_t e)
{
	(void)cfg;
	(void)e;
	return PT_RWXU;
}

static u8 fake_required(const struct gwalk_cfg *cfg, u8 access, u32 acc_flags)
{
	(void)cfg;
	(void)acc_flags;
	return access & (PT_R | PT_W | PT_X);
}

static pte_t fake_ad_bits(const struct gwalk_cfg *cfg, int level, bool leaf, bool write)
{
	(void)cfg;
	(void)level;
	(void)leaf;
	(void)write;
	return FAKE_PT_ACCESSED;
}

static pte_t fake_dirty_mask(const struct gwalk_cfg *cfg)
{
	(void)cfg;
	return 0;
}

static void fake_fault(const struct gwalk_cfg *cfg, enum gwalk_stop why, int level, u8 access,
		       u32 acc_flags, u8 perm, struct shadow_guest_fault *out)
{
	static const u32 kind[] = {
		[GW_NOT_PRESENT] = FAKE_PT_FAULT_NOT_PRESENT,
		[GW_RSVD] = FAKE_PT_FAULT_RSVD,
		[GW_ADDR_SIZE] = FAKE_PT_FAULT_RSVD,
		[GW_NO_AF] = FAKE_PT_FAULT_PERM,
		[GW_PERM] = FAKE_PT_FAULT_PERM,
		[GW_UNREADABLE] = FAKE_PT_FAULT_UNREADABLE,
	};

	(void)cfg;
	(void)acc_flags;
	(void)perm;
	*out = (struct shadow_guest_fault){
		.kind = SHADOW_GF_FAKE,
		.code = ((u64)kind[why] << FAKE_PT_FAULT_SHIFT) |
			((u64)level << FAKE_PT_FAULT_LEVEL_SHIFT) | (access & (PT_R | PT_W | PT_X)),
	};
}

const struct gfmt_ops gfmt_fake_ops = {
	.name = "fake",
	.decode_root = fake_decode_root,
	.check = fake_check,
	.table_perm = fake_table_perm,
	.required = fake_required,
	.ad_bits = fake_ad_bits,
	.dirty_mask = fake_dirty_mask,
	.fault = fake_fault,
};
