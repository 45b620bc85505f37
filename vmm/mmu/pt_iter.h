/*
 * Pre-order walk over the entries of one table tree that intersect a gfn
 * range [start, end): each entry is visited before the table it points to,
 * and a walk steps down (into a child table), sideways (next entry) or up
 * (end of a table). The policy code, and later the nested and mirror code,
 * are loops over this iterator.
 *
 * The walk state is public: the level, the first gfn the current entry maps,
 * a pointer to the entry and the value read from it (`old`). Whoever changes
 * the entry updates `old` (pt_set_* do it); the next step then descends into
 * what the entry holds now, so a freshly split leaf is walked and a zapped
 * table is not. After a failed compare-exchange `old` holds the current
 * value: re-examine it and go on from the same entry. pt_iter_restart()
 * re-walks from the root to the current gfn, for when the current table
 * turned out to be dead (frozen entries).
 *
 * Entries are read with acquire loads: a table published by another CPU's
 * compare-exchange (release) is seen fully initialised.
 */
#ifndef VMM_MMU_PT_ITER_H
#define VMM_MMU_PT_ITER_H

#include <hv/mm.h>
#include <hv/mmu/format.h>

struct pt_iter {
	const struct pt_format *fmt;
	pte_t *tables[PT_MAX_LEVELS + 1]; /* table being walked at each level */
	pte_t *ptep;                      /* current entry */
	pte_t old;                        /* its value as last read or written */
	gfn_t gfn;                        /* first gfn mapped by the current entry */
	gfn_t start, end;                 /* the range */
	int level;                        /* level of the current entry */
	int min_level;                    /* never step below this level */
	int root_level;
	bool done;
};

static inline pte_t pt_read(pte_t *ptep)
{
	return __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
}

static inline pte_t *pt_table_ptr(const struct pt_format *f, pte_t e)
{
	return (pte_t *)phys_to_virt(pte_table_hpa(f, e));
}

/* Point the iterator at gfn's entry in tables[level] and read it. */
static inline void pt_iter_load(struct pt_iter *it)
{
	unsigned idx = pt_index(it->fmt, it->gfn, it->level);

	it->ptep = it->tables[it->level] + idx;
	it->old = pt_read(it->ptep);
}

/*
 * Re-walk from the root to the current gfn: the entries before it are done,
 * so the range now starts there. The walk resumes at the root entry.
 */
static inline void pt_iter_restart(struct pt_iter *it)
{
	it->start = MAX(it->gfn, it->start);
	it->level = it->root_level;
	it->gfn = ALIGN_DOWN(it->start, pt_level_pages(it->level));
	if (it->gfn >= it->end) {
		it->done = true;
		return;
	}
	pt_iter_load(it);
}

/*
 * Start a walk of the tree at `root` (level f->levels) over [start, end),
 * never below min_level. end is clipped to what the format translates.
 */
static inline void pt_iter_start(struct pt_iter *it, const struct pt_format *f, pte_t *root,
				 gfn_t start, gfn_t end, int min_level)
{
	it->fmt = f;
	it->root_level = f->levels;
	it->tables[f->levels] = root;
	it->start = start;
	it->end = MIN(end, pt_gfn_limit(f));
	it->min_level = min_level;
	it->done = start >= it->end;
	it->gfn = start;
	it->level = f->levels;
	it->ptep = NULL;
	it->old = 0;
	if (!it->done)
		pt_iter_restart(it);
}

/* Step down into the table the current entry points to; false if it is not one. */
static inline bool pt_iter_down(struct pt_iter *it)
{
	if (it->level <= it->min_level || !pte_is_table(it->fmt, it->old, it->level))
		return false;
	it->tables[it->level - 1] = pt_table_ptr(it->fmt, it->old);
	it->level--;
	it->gfn = ALIGN_DOWN(MAX(it->gfn, it->start), pt_level_pages(it->level));
	pt_iter_load(it);
	return true;
}

/*
 * Move to the next entry at this level, going up as many levels as needed
 * when the current table is finished. Sets done at the end of the range.
 */
static inline void pt_iter_side(struct pt_iter *it)
{
	for (;;) {
		u64 size = pt_level_pages(it->level);

		it->gfn = ALIGN_DOWN(it->gfn, size) + size;
		if (it->gfn >= it->end || it->gfn == 0) {
			it->done = true;
			return;
		}
		/* Still inside the current table? */
		if (it->level == it->root_level || pt_index(it->fmt, it->gfn, it->level) != 0)
			break;
		it->level++;
		it->gfn -= pt_level_pages(it->level); /* the parent entry we just finished */
	}
	pt_iter_load(it);
}

/* Pre-order successor: down if possible, else sideways (and up). */
static inline void pt_iter_next(struct pt_iter *it)
{
	if (!pt_iter_down(it))
		pt_iter_side(it);
}

/* Skip the subtree of the current entry (do not descend). */
static inline void pt_iter_skip(struct pt_iter *it)
{
	pt_iter_side(it);
}

#define for_each_pte(it, f, root, start, end, min_level)                                           \
	for (pt_iter_start((it), (f), (root), (start), (end), (min_level)); !(it)->done;           \
	     pt_iter_next(it))

#endif /* VMM_MMU_PT_ITER_H */
