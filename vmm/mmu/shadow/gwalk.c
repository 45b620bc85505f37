/*
 * The guest-table walker: translate an L2 guest-physical address through L1's
 * table (EPT, NPT, stage-2 or fake), reading L1 memory only through the
 * guest-memory seam, checking each entry with the format's rules
 * (gfmt_*.c), and producing either the translation (the L1 gfn, the grants
 * of every level ANDed, the guest tables met on the way) or the fault L1's
 * hardware would have reported.
 *
 * Order of checks at each level, as the architectures order their faults:
 * the table must be readable L1 RAM, the entry present, its reserved bits
 * clear (and for stage-2 its addresses within PS, its AF set); after the
 * leaf, the grants of all levels must allow the access. Accessed and dirty
 * flags are set only once the whole walk succeeded (by compare-exchange: if
 * L1 changed the entry meanwhile, the walk starts again).
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/mmu/fake_pt.h>

#include "shadow_internal.h"

#define GWALK_MAX_RETRIES 4

const struct gfmt_ops *gfmt_ops_of(enum shadow_gfmt kind)
{
	static const struct gfmt_ops *const ops[SHADOW_GFMT_COUNT] = {
		[SHADOW_GFMT_EPT] = &gfmt_ept_ops,
		[SHADOW_GFMT_NPT] = &gfmt_npt_ops,
		[SHADOW_GFMT_S2] = &gfmt_s2_ops,
		[SHADOW_GFMT_FAKE] = &gfmt_fake_ops,
	};

	CHECK((unsigned)kind < SHADOW_GFMT_COUNT);
	return ops[kind];
}

const struct pt_format *gfmt_format(enum shadow_gfmt kind, int levels)
{
	switch (kind) {
	case SHADOW_GFMT_EPT:
		return levels == 4 ? &pt_format_ept4 : levels == 5 ? &pt_format_ept5 : NULL;
	case SHADOW_GFMT_NPT:
		return levels == 4 ? &pt_format_npt4 : levels == 5 ? &pt_format_npt5 : NULL;
	case SHADOW_GFMT_S2:
		return levels == 3 ? &pt_format_s2_40 : NULL;
	case SHADOW_GFMT_FAKE:
		return levels == FAKE_PT_LEVELS ? &pt_format_fake : NULL;
	default:
		return NULL;
	}
}

void gwalk_cfg_from_role(sp_role_t role, struct gwalk_cfg *cfg)
{
	*cfg = (struct gwalk_cfg){
		.kind = role_gfmt(role),
		.levels = (u8)role_glevels(role),
		.pa_bits = (u8)((role & SP_ROLE_PA_MASK) >> SP_ROLE_PA_SHIFT),
		.flags = (role & SP_ROLE_FLAGS_MASK) >> SP_ROLE_FLAGS_SHIFT,
		.ad = role & SP_ROLE_AD,
	};
	cfg->fmt = gfmt_format(cfg->kind, cfg->levels);
}

int gread(struct shadow_mmu *sm, gpa_t gpa, u64 *val)
{
	return sm->mem->read(sm->mem_arg, gpa, val);
}

static gpa_t entry_gpa(const struct gwalk_cfg *cfg, gfn_t table_gfn, gfn_t l2_gfn, int level)
{
	return gpa(gpa_val(gfn_to_gpa(table_gfn)) +
		   pt_index(cfg->fmt, l2_gfn, level) * sizeof(pte_t));
}

/* Set the accessed/dirty bits the walk owes L1; HV_EAGAIN if an entry changed. */
static int set_ad(struct shadow_mmu *sm, const struct gfmt_ops *ops, const struct gwalk_cfg *cfg,
		  struct gwalk *w, gfn_t l2_gfn, bool write)
{
	for (int level = cfg->levels; level >= w->leaf_level; level--) {
		bool leaf = level == w->leaf_level;
		pte_t want = ops->ad_bits(cfg, level, leaf, write);
		pte_t expected = w->gpte[level];
		int r;

		if ((expected & want) == want)
			continue;
		r = sm->mem->cmpxchg(sm->mem_arg,
				     entry_gpa(cfg, w->table_gfn[level], l2_gfn, level), &expected,
				     expected | want);
		if (r)
			return r;
		w->gpte[level] |= want;
	}
	return 0;
}

static int walk_once(struct shadow_mmu *sm, const struct gfmt_ops *ops, const struct gwalk_cfg *cfg,
		     gfn_t l2_gfn, u8 access, u32 acc_flags, struct gwalk *w)
{
	const struct pt_format *f = cfg->fmt;
	u8 need = ops->required(cfg, access, acc_flags);
	gfn_t table = cfg->root_gfn;
	u8 perm = PT_RWXU;
	enum gwalk_stop why;
	int level;

	for (level = cfg->levels;; level--) {
		bool leaf = false;
		pte_t e;

		w->table_gfn[level] = table;
		w->access_above[level] = perm;
		if (gread(sm, entry_gpa(cfg, table, l2_gfn, level), &e)) {
			why = GW_UNREADABLE;
			break;
		}
		w->gpte[level] = e;
		why = ops->check(cfg, e, level, &leaf);
		if (why != GW_OK)
			break;
		if (leaf) {
			struct pt_attr a = f->decode(f, e, level);
			pte_t dirty = ops->dirty_mask(cfg);

			perm &= a.perm;
			w->leaf_level = level;
			w->perm = perm;
			w->attr = a;
			w->attr.perm = 0;
			w->dirty = !dirty || (e & dirty);
			w->gfn = pte_leaf_pfn(f, e, level) + (l2_gfn & (pt_level_pages(level) - 1));
			if ((perm & need) != need) {
				why = GW_PERM;
				break;
			}
			return GW_OK;
		}
		perm &= ops->table_perm(cfg, e);
		table = pte_pfn(f, e);
	}
	if (why == GW_NOT_PRESENT || why == GW_UNREADABLE)
		perm = 0;
	w->leaf_level = level;
	ops->fault(cfg, why, level, access, acc_flags,
		   why == GW_UNREADABLE ? w->access_above[level] : perm, &w->fault);
	w->fault.l2_gpa = gfn_to_gpa(l2_gfn);
	w->fault.level = level;
	return why;
}

int gwalk(struct shadow_mmu *sm, const struct gwalk_cfg *cfg, gfn_t l2_gfn, u8 access,
	  u32 acc_flags, struct gwalk *w)
{
	const struct gfmt_ops *ops = gfmt_ops_of(cfg->kind);

	for (int tries = 0; tries < GWALK_MAX_RETRIES; tries++) {
		int r = walk_once(sm, ops, cfg, l2_gfn, access, acc_flags, w);

		if (r != GW_OK)
			return r;
		r = set_ad(sm, ops, cfg, w, l2_gfn, access & PT_W);
		if (!r) {
			pte_t dirty = ops->dirty_mask(cfg);

			w->dirty = !dirty || (w->gpte[w->leaf_level] & dirty);
			return GW_OK;
		}
		if (r != HV_EAGAIN) {
			/* The flags cannot be written (not RAM after all): as if unreadable. */
			ops->fault(cfg, GW_UNREADABLE, w->leaf_level, access, acc_flags,
				   w->access_above[w->leaf_level], &w->fault);
			w->fault.l2_gpa = gfn_to_gpa(l2_gfn);
			w->fault.level = w->leaf_level;
			return GW_UNREADABLE;
		}
		/* L1 changed an entry of this walk meanwhile: walk again with the new values. */
	}
	return HV_EAGAIN;
}
