/*
 * Huge-leaf splitting (contract in pt_split.h).
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/mm.h>

#include "pt_split.h"

/* Free a subtree that was never linked (no walker has seen it). */
static void free_unpublished(struct mmu_vm *vm, const struct pt_format *f, pte_t *table, int level)
{
	if (level > 1) {
		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			pte_t e = __atomic_load_n(&table[i], __ATOMIC_RELAXED);

			if (pte_is_table(f, e, level))
				free_unpublished(vm, f, pt_table_ptr(f, e), level - 1);
		}
	}
	mmu_table_free(vm, table);
}

/*
 * A table at `level` mapping PT_ENTRIES entries' worth of frames from pfn
 * with attributes a; counts the leaves it makes into leaves[]. NULL if out
 * of memory (nothing left allocated).
 */
static pte_t *build(struct pt_ctx *ctx, struct pt_attr a, pfn_t pfn, int level,
		    s32 leaves[PT_MAX_LEVELS + 1])
{
	const struct pt_format *f = ctx->fmt;
	pte_t *t = mmu_table_alloc(ctx->vm);
	u64 step = pt_level_pages(level);

	if (!t)
		return NULL;
	if (pt_level_can_be_leaf(f, level)) {
		pte_t tmpl = pt_leaf_template(f, a, level);

		for (unsigned i = 0; i < PT_ENTRIES; i++)
			__atomic_store_n(&t[i], make_leaf_pte(f, tmpl, pfn + i * step),
					 __ATOMIC_RELAXED);
		leaves[level] += PT_ENTRIES;
		return t;
	}
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		pte_t *child = build(ctx, a, pfn + i * step, level - 1, leaves);

		if (!child) {
			free_unpublished(ctx->vm, f, t, level);
			return NULL;
		}
		__atomic_store_n(&t[i], make_table_pte(f, virt_to_phys(child)), __ATOMIC_RELAXED);
	}
	return t;
}

int pt_split_leaf(struct pt_ctx *ctx, struct pt_iter *it)
{
	const struct pt_format *f = ctx->fmt;
	s32 leaves[PT_MAX_LEVELS + 1] = { 0 };
	int level = it->level;
	struct pt_attr a;
	pte_t *child;
	int r;

	CHECK(level > 1 && pte_is_present_leaf(f, it->old, level));
	a = f->decode(f, it->old, level);
	child = build(ctx, a, pte_leaf_pfn(f, it->old, level), level - 1, leaves);
	if (!child)
		return HV_ENOMEM;
	r = pt_set(ctx, it, make_table_pte(f, virt_to_phys(child)));
	if (r) {
		/* Lost a race, or the mirror hook failed: the entry never pointed to it. */
		free_unpublished(ctx->vm, f, child, level - 1);
		return r;
	}
	for (int l = 1; l < level; l++)
		ctx->leaves[l] += leaves[l];
	return r;
}
