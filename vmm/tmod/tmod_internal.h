/*
 * The trusted table module's private state (interface in hv/tmod.h). Only
 * files under vmm/tmod/ include this header (make check enforces it): no
 * other code can reach the module's tables except through its calls.
 *
 * Every table page below the root is allocated together with a second,
 * private page (TMOD_TABLE_PAGES = 2, contiguous) that holds the module's metadata for it (the role TDX's
 * PAMT plays): the level and first gfn it maps, its present-entry count
 * (so "is this table empty?" is one load) and a checksum of its entries
 * (so tmod_audit() can tell a write by anybody else). The root's metadata
 * lives in struct tmod.
 */
#ifndef VMM_TMOD_INTERNAL_H
#define VMM_TMOD_INTERNAL_H

#include <hv/lock.h>
#include <hv/mm.h>
#include <hv/tmod.h>

struct tmod_meta {
	u64 sum;     /* XOR of tmod_mix(i, entry[i]) over the table */
	u32 present; /* present entries */
	u8 level;    /* level of the table's entries */
	gfn_t base;  /* first gfn the table maps */
};

struct tmod {
	/* Immutable after creation. */
	const char *name;
	const struct pt_format *fmt;
	tmod_tlb_flush_fn *tlb_flush;
	void *tlb_arg;
	pte_t *root; /* fmt->root_pages contiguous pages */

	spinlock_t lock; /* try-locked by table calls (busy), waited for by inspection */

	/* Under lock. */
	struct tmod_meta root_meta;
	struct tmod_inject inj;
	u64 inj_calls;        /* table calls since injection was set */
	u64 rng;              /* xorshift state for TMOD_INJECT_RANDOM */
	struct tmod_stats st; /* except calls[] and busy, which are atomic */
	struct tmod_failure last_fail;
	bool has_failed;
};

/* An entry's contribution to its table's checksum: position-dependent, zero for an empty entry. */
static inline u64 tmod_mix(unsigned idx, pte_t e)
{
	return e ? (e + (u64)(idx + 1) * 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull : 0;
}

static inline struct tmod_meta *tmod_meta_of(struct tmod *t, pte_t *table)
{
	return table == t->root ? &t->root_meta : (struct tmod_meta *)(table + PT_ENTRIES);
}

static inline pte_t *tmod_child(const struct pt_format *f, pte_t e)
{
	return (pte_t *)phys_to_virt(pte_table_hpa(f, e));
}

/* Lock held: a zeroed table for `level` mapping from base, counted; NULL when out of memory. */
pte_t *tmod_table_alloc(struct tmod *t, int level, gfn_t base);
/* Lock held: free a table no walker can reach any more, and the tables below it. */
void tmod_table_free_tree(struct tmod *t, pte_t *table);
/* Lock held: write one entry, keeping the metadata and the counters right. */
void tmod_write(struct tmod *t, pte_t *table, unsigned idx, pte_t e);
/* Lock held: call the TLB seam. */
void tmod_flush(struct tmod *t);
/* Lock held: remember a failed call for tmod_last_failure(); why must be a static string. */
void tmod_note_failure(struct tmod *t, enum tmod_op op, gfn_t gfn, int level, int err,
		       const char *why);

/*
 * Enter a table call about (gfn, level): take the lock (HV_EBUSY if another
 * CPU holds it), count the call, apply failure injection. 0 with the lock
 * held, or the error without it.
 */
int tmod_enter(struct tmod *t, enum tmod_op op, gfn_t gfn, int level);
/* Lock held: the table at `level` that holds gfn's entry, or NULL if the walk stops above it. */
pte_t *tmod_find(struct tmod *t, gfn_t gfn, int level);

#endif /* VMM_TMOD_INTERNAL_H */
