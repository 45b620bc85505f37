/*
 * The one way a shadow entry changes (sp_set_spte), zapping whole shadow
 * pages (sp_zap), and the operation context that collects what the changes
 * imply: one TLB flush, then the freeing of the zapped pages.
 *
 * What a change derives from (old, new):
 *
 *   old -> new           derived
 *   empty -> leaf        reverse map added; leaf counted
 *   empty -> table       parent link added to the child page
 *   leaf -> empty        reverse map removed; flush
 *   leaf -> leaf         reverse map moved if the frame changed; flush if
 *                        a permission, the frame or the memory type is lost
 *   table -> anything    parent link removed from the child; flush; a child
 *                        left with no parent is zapped as the caller's
 *                        orphan policy says (seed 000)
 *
 * Shadow tables are not shared with the engine's TDP trees, so this is not
 * pt_handle_change(): a child table is a page with its own life (it may
 * have other parents), not a subtree to tear down.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "shadow_internal.h"

void sp_ctx_init(struct sp_ctx *c, struct shadow_mmu *sm)
{
	*c = (struct sp_ctx){ .sm = sm };
	list_init(&c->dead);
}

void sp_ctx_finish(struct sp_ctx *c)
{
	struct shadow_mmu *sm = c->sm;

	/* The hardware may cache the dead tables and the zapped entries: forget them first. */
	if (c->flush) {
		sm_stat(sm, SHADOW_STAT_TLB_FLUSH, 1);
		if (sm->tlb_flush)
			sm->tlb_flush(sm->tlb_arg);
		c->flush = false;
	}
	while (!list_empty(&c->dead)) {
		struct shadow_page *sp = list_entry(c->dead.next, struct shadow_page, lru_link);

		list_del(&sp->lru_link);
		sp_free(sm, sp);
	}
}

static void drop_child(struct sp_ctx *c, struct shadow_page *parent, unsigned idx, pte_t old,
		       enum sp_orphan orphan)
{
	struct shadow_page *child = sp_of_table(c->sm, pt_table_ptr(parent->fmt, old));

	refs_del(&child->parents, parent, idx);
	if (child->parents.count || sp_is_zapped(child) || child->root_count)
		return;
	if (orphan == SP_ORPHAN_ZAP)
		sp_zap(c, child, SHADOW_STAT_ZAP_ORPHAN);
	else if (orphan == SP_ORPHAN_ZAP_CHILD)
		sp_zap(c, child, SHADOW_STAT_ZAP_CHILD);
}

/* sp_set_spte() without the validity check: also for the entries of a page being zapped. */
static int set_spte(struct sp_ctx *c, struct shadow_page *sp, unsigned idx, pte_t new_e,
		    gfn_t leaf_gfn, enum sp_orphan orphan)
{
	struct shadow_mmu *sm = c->sm;
	const struct pt_format *f = sp->fmt;
	int level = sp_level(sp);
	pte_t old = sp->spt[idx];
	bool was = pte_is_present(f, old), is = pte_is_present(f, new_e);
	bool was_leaf = was && pte_is_leaf(f, old, level);
	bool is_leaf = is && pte_is_leaf(f, new_e, level);
	gfn_t old_gfn = was_leaf ? sp->leaf_gfn[idx] : 0;
	bool same_leaf = was_leaf && is_leaf && old_gfn == leaf_gfn;
	int r;

	CHECK(idx < sp_entries(sp));
	/* Record the new links first: a failure then changes nothing. */
	if (is_leaf && !same_leaf) {
		r = rmap_add(sm, level, leaf_gfn, sp, idx);
		if (r)
			return r;
	} else if (is && !is_leaf) {
		struct shadow_page *child = sp_of_table(sm, pt_table_ptr(f, new_e));

		CHECK(!sp_is_zapped(child) && sp_level(child) == level - 1);
		r = refs_add(&child->parents, sp, idx);
		if (r)
			return r;
	}
	__atomic_store_n(&sp->spt[idx], new_e, __ATOMIC_RELEASE);
	if (is_leaf)
		sp->leaf_gfn[idx] = leaf_gfn;
	sp->present = sp->present + (u32)is - (u32)was;

	if (is_leaf && !was_leaf)
		sm_stat(sm, SHADOW_STAT_LEAF_MAPPED, 1);
	if (!was)
		return 0;
	if (was_leaf) {
		if (!same_leaf)
			rmap_del(sm, level, old_gfn, sp, idx);
		if (!is)
			sm_stat(sm, SHADOW_STAT_LEAF_ZAPPED, 1);
		if (!is_leaf || pte_leaf_loses(f, old, new_e))
			c->flush = true;
		return 0;
	}
	c->flush = true;
	drop_child(c, sp, idx, old, orphan);
	return 0;
}

int sp_set_spte(struct sp_ctx *c, struct shadow_page *sp, unsigned idx, pte_t new_e, gfn_t leaf_gfn,
		enum sp_orphan orphan)
{
	sm_assert_locked(c->sm);
	CHECK(!sp_is_zapped(sp));
	return set_spte(c, sp, idx, new_e, leaf_gfn, orphan);
}

void sp_zap(struct sp_ctx *c, struct shadow_page *sp, enum shadow_stat cause)
{
	struct shadow_mmu *sm = c->sm;
	unsigned entries = sp_entries(sp);

	sm_assert_locked(sm);
	if (sp_is_zapped(sp))
		return;
	log_trace("shadow: %s: zap page #%llu gfn %#llx role %#x (%s)", sm->vm->name,
		  (unsigned long long)sp->id, (unsigned long long)sp->gfn, sp->role,
		  shadow_stat_name(cause));
	/* Out of the hash first: nothing below may find it again. */
	__atomic_store_n(&sp->zapped, 1, __ATOMIC_RELEASE);
	list_del(&sp->hash_link);
	sm->valid_pages--;
	sm_stat(sm, cause, 1);
	c->zapped++;

	while (sp->parents.count) {
		struct sp_ref ref = refs_at(&sp->parents, 0);

		/* The child is this page, already marked: no orphan handling. */
		CHECK(!set_spte(c, ref.sp, ref.idx, 0, 0, SP_ORPHAN_KEEP));
	}
	for (unsigned i = 0; i < entries && sp->present; i++)
		if (pte_is_present(sp->fmt, sp->spt[i]))
			CHECK(!set_spte(c, sp, i, 0, 0, SP_ORPHAN_ZAP_CHILD));
	sp_untrack(sm, sp);
	if (sp->unsync) {
		sp->unsync = false;
		list_del(&sp->unsync_link);
		sm->unsync_count--;
	}
	list_del(&sp->lru_link);
	if (sp->root_count) {
		/* Obsolete: freed by the last sp_root_put(). */
		list_add(&sp->lru_link, &sm->obsolete);
		sm->obsolete_count++;
	} else {
		list_add(&sp->lru_link, &c->dead);
	}
	c->flush = true;
}

void sp_zap_all(struct sp_ctx *c, enum shadow_stat cause)
{
	struct shadow_mmu *sm = c->sm;

	/* Zaps take more pages off the list (children): always take the head. */
	while (!list_empty(&sm->lru))
		sp_zap(c, list_entry(sm->lru.next, struct shadow_page, lru_link), cause);
}
