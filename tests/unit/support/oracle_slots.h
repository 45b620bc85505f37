/*
 * The randomized MMU tests' model of guest memory (test_mmu_random,
 * test_mirror_random): a few slots, kept beside the engine's memslots, and
 * the random choices both tests make about them (a gfn, a range length, an
 * exclusive or shared operation). Every choice draws from the caller's
 * xorshift64* state, so a seed replays the same run.
 */
#ifndef TEST_ORACLE_SLOTS_H
#define TEST_ORACLE_SLOTS_H

#include <hv/types.h>

#define ORACLE_GIB_PAGES (1ull << 18)

struct oslot {
	bool used;
	u32 id;
	gfn_t gfn;
	u64 pages;
	pfn_t pfn;
	u32 flags;
	u8 max_level; /* 0: no per-slot limit (test_mmu_random only) */
};

/* A number below n (0 for n == 0). */
u64 oracle_rnd_below(u64 *rng, u64 n);

/* The used slot of slots[0..count) holding g, or NULL. */
const struct oslot *oslot_at(const struct oslot *slots, unsigned count, gfn_t g);

/* Whether n overlaps a used slot other than except (which may be NULL). */
bool oslot_overlaps(const struct oslot *slots, unsigned count, const struct oslot *n,
		    const struct oslot *except);

/* A gfn below universe: mostly inside a used slot, sometimes anywhere. */
gfn_t oslot_pick_gfn(u64 *rng, const struct oslot *slots, unsigned count, gfn_t universe);

/* A range length: a few pages, a few thousand, whole 2M leaves, or up to 2 GiB. */
u64 oracle_pick_count(u64 *rng);

/* MMU_OP_SHARED or 0, evenly. */
u32 oracle_pick_shared(u64 *rng);

#endif /* TEST_ORACLE_SLOTS_H */
