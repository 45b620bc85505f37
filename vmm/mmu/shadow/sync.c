/*
 * Unsync shadow pages and their sync.
 *
 * A page shadowing one of L1's last-level tables may stop being
 * write-protected ("unsync") when L1 is filling that table: L1's following
 * writes to it then run at full speed, and the shadow page may hold stale
 * entries until L1 flushes, as a TLB may. Only last-level pages go unsync:
 * a stale entry above that level could point at the wrong shadow table.
 * A gfn some other role uses as a higher table stays tracked.
 *
 * A sync (on an L1 flush or root load) re-reads every guest entry behind a
 * present shadow entry and rewrites the shadow entry from it, or zaps it if
 * L1 changed the frame, made the entry invalid or not accessed; then the
 * page is write-tracked and in sync again. Entries that are not present are
 * left to the fault path.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "shadow_internal.h"

void sp_mark_unsync(struct sp_ctx *c, struct shadow_page *sp)
{
	struct shadow_mmu *sm = c->sm;

	CHECK(sp_level(sp) == 1 && !sp_is_direct(sp) && !sp_is_zapped(sp));
	if (sp->unsync)
		return;
	sp_untrack(sm, sp);
	sp->unsync = true;
	list_add_tail(&sp->unsync_link, &sm->unsync);
	sm->unsync_count++;
	sm_stat(sm, SHADOW_STAT_UNSYNC, 1);
}

/* The shadow entry a guest entry asks for now, or 0 to zap; *gfn gets its frame. */
static pte_t resync_entry(struct shadow_mmu *sm, const struct gwalk_cfg *cfg,
			  const struct gfmt_ops *ops, struct shadow_page *sp, pte_t g, gfn_t *gfn)
{
	const struct pt_format *f = sp->fmt;
	pte_t accessed = ops->ad_bits(cfg, 1, true, false);
	pte_t dirty = ops->dirty_mask(cfg);
	struct pt_attr a;
	bool leaf = false;
	u8 perm;

	if (ops->check(cfg, g, 1, &leaf) != GW_OK || !leaf)
		return 0;
	/* Not accessed: the walk that uses it must set the flag, so let it fault. */
	if (accessed && !(g & accessed))
		return 0;
	a = f->decode(f, g, 1);
	perm = a.perm & role_access(sp->role);
	/* A nested NPT walk is a user access: without U every access faults. */
	if ((ops->required(cfg, 0, 0) & PT_U) && !(perm & PT_U))
		return 0;
	if (dirty && !(g & dirty))
		perm &= (u8)~PT_W;
	*gfn = pte_leaf_pfn(f, g, 1);
	return shadow_make_leaf(sm, f, 1, *gfn, perm, a);
}

void sp_sync(struct sp_ctx *c, struct shadow_page *sp)
{
	struct shadow_mmu *sm = c->sm;
	const struct gfmt_ops *ops;
	struct gwalk_cfg cfg;

	CHECK(sp->unsync && sp_level(sp) == 1);
	gwalk_cfg_from_role(sp->role, &cfg);
	ops = gfmt_ops_of(cfg.kind);
	for (unsigned i = 0; i < sp_entries(sp) && sp->present; i++) {
		pte_t e = sp->spt[i], g, want = 0;
		gfn_t gfn = 0;

		if (!pte_is_present(sp->fmt, e))
			continue;
		if (!gread(sm, gpa(gpa_val(gfn_to_gpa(sp->gfn)) + i * sizeof(pte_t)), &g))
			want = resync_entry(sm, &cfg, ops, sp, g, &gfn);
		if (want && gfn == sp->leaf_gfn[i]) {
			if (want == e)
				continue;
			if (!sp_set_spte(c, sp, i, want, gfn, SP_ORPHAN_ZAP_CHILD)) {
				sm_stat(sm, SHADOW_STAT_SYNC_FIXED, 1);
				continue;
			}
		}
		/* Another frame, invalid, or no memory to record the change: zap. */
		CHECK(!sp_set_spte(c, sp, i, 0, 0, SP_ORPHAN_ZAP_CHILD));
		sm_stat(sm, SHADOW_STAT_SYNC_ZAPPED, 1);
	}
	sp->unsync = false;
	list_del(&sp->unsync_link);
	sm->unsync_count--;
	sm_stat(sm, SHADOW_STAT_SYNC, 1);
	if (sp_track(sm, sp)) {
		/* Cannot be tracked again (its slot became MMIO?): it cannot stay. */
		sp_zap(c, sp, SHADOW_STAT_ZAP_ROLE);
	}
}

void sp_sync_all(struct sp_ctx *c)
{
	struct shadow_mmu *sm = c->sm;

	while (!list_empty(&sm->unsync))
		sp_sync(c, list_entry(sm->unsync.next, struct shadow_page, unsync_link));
}
