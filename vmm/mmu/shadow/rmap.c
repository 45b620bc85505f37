/*
 * Reverse maps: for a level and an L1 gfn (aligned to the level), the shadow
 * leaves that map it. They let a change of L1's side (a memslot going, a
 * range zapped or write-protected in L1's TDP, a guest table becoming
 * write-tracked) find the shadow leaves built from it.
 *
 * Heads live in a hash by (level, gfn) and on one list. A range operation
 * visits whichever is smaller: the aligned gfns of the range, level by
 * level, or every head; so deleting a 16 GiB slot does not cost 4 million
 * lookups when few leaves exist.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/mm.h>

#include "shadow_internal.h"

static unsigned rmap_bucket(int level, gfn_t gfn)
{
	u64 key = (gfn << 3) | (u64)level;

	return (unsigned)((key * 0x9e3779b97f4a7c15ull) >> (64 - SHADOW_HASH_BITS));
}

static struct rmap_head *rmap_find(struct shadow_mmu *sm, int level, gfn_t gfn)
{
	struct rmap_head *h;

	list_for_each_entry (h, &sm->rmap_hash[rmap_bucket(level, gfn)], link)
		if (h->gfn == gfn && h->level == level)
			return h;
	return NULL;
}

int rmap_add(struct shadow_mmu *sm, int level, gfn_t gfn, struct shadow_page *sp, u32 idx)
{
	struct rmap_head *h = rmap_find(sm, level, gfn);
	bool fresh = !h;

	if (fresh) {
		h = hv_zalloc(sizeof(*h));
		if (!h)
			return HV_ENOMEM;
		h->gfn = gfn;
		h->level = level;
	}
	if (refs_add(&h->refs, sp, idx)) {
		if (fresh)
			hv_free(h);
		return HV_ENOMEM;
	}
	if (fresh) {
		list_add(&h->link, &sm->rmap_hash[rmap_bucket(level, gfn)]);
		list_add(&h->all, &sm->rmap_all);
		sm->rmap_heads++;
	}
	sm->rmap_entries++;
	return 0;
}

static void rmap_head_free(struct shadow_mmu *sm, struct rmap_head *h)
{
	list_del(&h->link);
	list_del(&h->all);
	refs_free(&h->refs);
	hv_free(h);
	sm->rmap_heads--;
}

void rmap_del(struct shadow_mmu *sm, int level, gfn_t gfn, struct shadow_page *sp, u32 idx)
{
	struct rmap_head *h = rmap_find(sm, level, gfn);

	CHECK(h);
	refs_del(&h->refs, sp, idx);
	sm->rmap_entries--;
	if (!h->refs.count)
		rmap_head_free(sm, h);
}

/* Zap every leaf of h (each zap removes its reference, and the last one h itself). */
static void head_zap(struct sp_ctx *c, struct rmap_head *h)
{
	for (u32 left = h->refs.count; left; left--) {
		struct sp_ref ref = refs_at(&h->refs, 0);
		bool last = left == 1;

		sm_stat(c->sm, SHADOW_STAT_RMAP_ZAP, 1);
		CHECK(!sp_set_spte(c, ref.sp, ref.idx, 0, 0, SP_ORPHAN_ZAP_CHILD));
		if (last)
			break; /* h is freed */
	}
}

/* Take write away from every leaf of h (same frames: the set stays as it is). */
static void head_protect(struct sp_ctx *c, struct rmap_head *h)
{
	for (u32 i = 0; i < h->refs.count; i++) {
		struct sp_ref ref = refs_at(&h->refs, i);
		const struct pt_format *f = ref.sp->fmt;
		pte_t e = ref.sp->spt[ref.idx];

		if (!pte_is_writable(f, e))
			continue;
		sm_stat(c->sm, SHADOW_STAT_LEAF_WRPROT, 1);
		CHECK(!sp_set_spte(c, ref.sp, ref.idx, e & ~f->write_mask,
				   ref.sp->leaf_gfn[ref.idx], SP_ORPHAN_KEEP));
	}
}

static bool head_in_range(const struct rmap_head *h, gfn_t start, gfn_t end)
{
	return h->gfn < end && h->gfn + pt_level_pages(h->level) > start;
}

static void rmap_for_range(struct sp_ctx *c, gfn_t start, gfn_t end,
			   void (*fn)(struct sp_ctx *c, struct rmap_head *h))
{
	struct shadow_mmu *sm = c->sm;
	struct rmap_head *h, *tmp;
	u64 lookups = 0;

	if (start >= end || !sm->rmap_heads)
		return;
	for (int level = 1; level <= PT_MAX_LEVELS; level++) {
		u64 pages = pt_level_pages(level);

		lookups += (ALIGN_UP(end, pages) - ALIGN_DOWN(start, pages)) / pages;
		if (lookups > sm->rmap_heads)
			break;
	}
	if (lookups > sm->rmap_heads) {
		/* fn may free h (zap): the next head is taken before the call. */
		list_for_each_entry_safe (h, tmp, &sm->rmap_all, all)
			if (head_in_range(h, start, end))
				fn(c, h);
		return;
	}
	for (int level = 1; level <= PT_MAX_LEVELS; level++) {
		u64 pages = pt_level_pages(level);

		for (gfn_t g = ALIGN_DOWN(start, pages); g < end; g += pages) {
			h = rmap_find(sm, level, g);
			if (h)
				fn(c, h);
		}
	}
}

void rmap_zap_range(struct sp_ctx *c, gfn_t start, gfn_t end)
{
	rmap_for_range(c, start, end, head_zap);
}

void rmap_protect_range(struct sp_ctx *c, gfn_t start, gfn_t end)
{
	rmap_for_range(c, start, end, head_protect);
}

void rmap_destroy(struct shadow_mmu *sm)
{
	struct rmap_head *h, *tmp;

	/* Every leaf was zapped before: nothing should be left. */
	CHECK(!sm->rmap_entries);
	list_for_each_entry_safe (h, tmp, &sm->rmap_all, all)
		rmap_head_free(sm, h);
}
