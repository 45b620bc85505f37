/*
 * Shared helpers for the MMU engine's tests: a TLB-flush recorder (the
 * engine's TLB seam), VM/vCPU setup for any format, dumps into a string, and
 * a whole-tree checker that compares every leaf with the memslots (a slow,
 * obviously correct oracle for what may be mapped) and the statistics with
 * what the tree really holds.
 */
#ifndef TEST_MMU_TEST_H
#define TEST_MMU_TEST_H

#include <hv/mmu.h>

/* --- TLB-flush recorder -------------------------------------------------------------- */

#define TLB_LOG_MAX 64

struct tlb_flush_rec {
	const struct mmu_root *root;
	gfn_t start;
	u64 count; /* 0: whole root */
};

struct tlb_recorder {
	u64 flushes; /* atomic */
	unsigned logged;
	struct tlb_flush_rec log[TLB_LOG_MAX];
	/* Optional check run inside each flush (e.g. "the entry is frozen now"). */
	void (*on_flush)(struct tlb_recorder *rec, const struct mmu_root *root, gfn_t start,
			 u64 count);
	void *arg;
};

void tlb_recorder_reset(struct tlb_recorder *rec);
mmu_tlb_flush_fn tlb_recorder_flush;
/* Did some recorded flush cover gfn of root? */
bool tlb_recorder_covered(const struct tlb_recorder *rec, const struct mmu_root *root, gfn_t gfn);

/* --- setup --------------------------------------------------------------------------- */

/* All formats, for tests that loop over them. */
extern const struct pt_format *const mmu_test_formats[];
extern const unsigned mmu_test_format_count;

struct mmu_env {
	struct mmu_vm *vm;
	struct mmu_vcpu *vc;
	const struct pt_format *fmt;
	mmu_role_t role;
	struct tlb_recorder tlb;
	u64 pages_at_start;
};

/* A VM with one format (root level f->levels) and one vCPU with its root loaded. */
void mmu_env_init(struct mmu_env *env, const struct pt_format *f, bool preserve);
/* Destroy everything and assert no page leaked. */
void mmu_env_fini(struct mmu_env *env);

/* Add a write-back slot to vm (or env's VM); asserts success. Sizes and addresses in 4 KiB pages. */
void mmu_test_slot_add(struct mmu_vm *vm, u32 id, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags);
void mmu_env_slot(struct mmu_env *env, u32 id, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags);

static inline struct mmu_root *mmu_env_root(struct mmu_env *env)
{
	return mmu_vcpu_root(env->vc);
}

/* --- dumps ---------------------------------------------------------------------------- */

/*
 * Dump a root (compact: runs of like leaves on one line) into a static
 * buffer, with table addresses replaced by "@T" so expected pictures do not
 * depend on malloc.
 */
const char *mmu_dump_string(struct mmu_vm *vm, struct mmu_root *root);

/* --- oracle checks ------------------------------------------------------------------- */

struct tree_census {
	u64 tables;                    /* table pages below the root (root pages excluded) */
	u64 leaves[PT_MAX_LEVELS + 1]; /* present leaves by level */
	u64 mapped_pages;              /* 4 KiB pages mapped */
};

/*
 * Walk the whole tree of root and check every leaf against the slots: the
 * leaf lies wholly inside one backed (non-MMIO) slot, maps the slot's frames
 * (gfn and frame at the same offset), carries the slot's memory type, is
 * writable only if the slot is writable and no gfn inside is write-tracked,
 * and is no bigger than the slot and VM limits allow. Also checks that no
 * entry is frozen and that tables are well formed. Fails the test on the
 * first violation (with the offending line). Returns the census.
 */
void mmu_check_tree(struct mmu_vm *vm, struct mmu_root *root, struct tree_census *out);

/*
 * mmu_check_tree() over every live root, then: the VM's leaf counters equal
 * the leaves found, and the table pages outstanding equal the pages found
 * (roots included) plus pages_extra (e.g. deferred tables).
 */
void mmu_check_vm(struct mmu_vm *vm, u64 pages_before, u64 pages_extra);

/*
 * The entry of root at `level` covering gfn, read without any lock (for
 * checks made from inside the TLB seam, where the engine holds mmu_lock).
 * Returns false if the walk stops above `level`.
 */
bool mmu_test_peek(struct mmu_root *root, gfn_t gfn, int level, pte_t *out);

/* Call fn for every present leaf of root intersecting [start, end), in gfn order. */
typedef void mmu_test_leaf_fn(void *arg, gfn_t first, int level, pfn_t pfn, struct pt_attr attr);
void mmu_test_for_each_leaf(struct mmu_vm *vm, struct mmu_root *root, gfn_t start, gfn_t end,
			    mmu_test_leaf_fn *fn, void *arg);

#endif /* TEST_MMU_TEST_H */
