/*
 * The MMU engine's private structures, shared by the files of vmm/mmu/ (and
 * later by the nested shadow MMU and the mirror role). Fields are grouped by
 * what protects them.
 */
#ifndef VMM_MMU_INTERNAL_H
#define VMM_MMU_INTERNAL_H

#include <hv/list.h>
#include <hv/lock.h>
#include <hv/mmu.h>

struct mmu_slot {
	/* Immutable while the slot is in vm->slots, except base_gfn (move, under mmu_lock write). */
	u32 id;
	gfn_t base_gfn;
	u64 npages;
	pfn_t base_pfn;
	u32 flags;
	u8 memtype;
	u8 max_level;

	/*
	 * Write tracking, changed under mmu_lock for writing, read by faults
	 * under the read lock. NULL until the first gfn is tracked. track[i]
	 * counts the trackers of gfn base_gfn + i; huge_track[level][j] counts
	 * tracked gfns in the j-th level-sized region counted from the
	 * level-aligned gfn at or below base_gfn (so a fault can refuse a huge
	 * leaf in O(1)). Indexes are slot-relative, so a move keeps them right.
	 */
	u16 *track;
	u32 *huge_track[PT_MAX_LEVELS + 1];
	u64 tracked_gfns; /* gfns with a non-zero count */
};

struct mmu_root {
	struct list_node link;       /* vm->roots, under vm->roots_lock */
	pte_t *table;                /* root_pages contiguous pages */
	const struct pt_format *fmt; /* immutable */
	mmu_role_t role;             /* immutable */
	struct mmu_vm *vm;           /* immutable */

	u32 refcount; /* atomic; the last put frees the root */
	u32 invalid;  /* atomic flag, set once under mmu_lock (write) */
	u32 mmu_ref;  /* the MMU's own reference is held; under roots_lock */

	/*
	 * Tables unlinked under the read lock, chained through their entry 0
	 * (docs/mmu.md, "Freeing"): pushed lock-free after the pusher's TLB
	 * flush, freed at the next write-lock section or when the root dies.
	 */
	pte_t *deferred; /* atomic */
};

struct mmu_vm {
	/* Immutable after creation. */
	const char *name;
	const struct pt_format *formats[PT_MAX_LEVELS + 1];
	u8 gpa_bits; /* widest guest-physical space of the formats */
	u8 pa_bits;  /* narrowest host-physical field of the formats */
	bool preserve_roots;
	mmu_tlb_flush_fn *tlb_flush;
	void *tlb_arg;
	mmu_set_external_fn *set_external; /* the mirror role's hook, or NULL */
	void *external_arg;

	u8 max_level; /* atomic knob */

	spinlock_t slots_lock; /* serialises memslot writers (lock order 1) */
	rwlock_t mmu_lock;     /* lock order 2 */

	/* Under mmu_lock: written with it held for writing, read with it held either way. */
	struct mmu_slot **slots; /* sorted by base_gfn, no overlaps */
	u32 slot_count;
	u32 slot_cap;
	/* The nested shadow MMU (vmm/mmu/shadow/), NULL if none; set and cleared under the write lock. */
	struct shadow_mmu *shadow;

	spinlock_t roots_lock; /* lock order 3: the list and zero-refcount transitions */
	struct list_node roots;
	u8 mirror_levels; /* levels of the mirror root once one exists (set once) */

	/* vCPUs, for summing their statistics; under roots_lock. */
	struct list_node vcpus;

	/* Statistics, updated with atomic adds. */
	u64 stat[MMU_STAT_COUNT];
	s64 leaves[PT_MAX_LEVELS + 1];
	u64 tables;
	u64 root_count;
};

struct mmu_vcpu {
	struct mmu_vm *vm;
	struct list_node link; /* vm->vcpus, under roots_lock */
	/* Owned by the vCPU's thread. */
	struct mmu_root *root;
	struct mmu_root *prev[MMU_PREV_ROOTS]; /* most recent first */
	/* Written by the vCPU's thread only (relaxed atomics), summed by readers. */
	u64 stat[MMU_STAT_COUNT];
	s64 leaves[PT_MAX_LEVELS + 1];
};

/* --- statistics helpers ------------------------------------------------------------------ */

static inline void vm_stat_add(struct mmu_vm *vm, enum mmu_stat s, u64 n)
{
	if (n)
		__atomic_fetch_add(&vm->stat[s], n, __ATOMIC_RELAXED);
}

static inline void vcpu_stat_add(struct mmu_vcpu *vc, enum mmu_stat s, u64 n)
{
	/* Single writer: a plain add through relaxed atomics, no lock prefix. */
	__atomic_store_n(&vc->stat[s], __atomic_load_n(&vc->stat[s], __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline void vcpu_stat_inc(struct mmu_vcpu *vc, enum mmu_stat s)
{
	vcpu_stat_add(vc, s, 1);
}

/* --- locks --------------------------------------------------------------------------------- */

/* Take mmu_lock for writing and free the tables deferred by readers. */
void mmu_write_lock(struct mmu_vm *vm);
void mmu_write_unlock(struct mmu_vm *vm);

static inline void mmu_read_lock(struct mmu_vm *vm)
{
	read_lock(&vm->mmu_lock);
}

static inline void mmu_read_unlock(struct mmu_vm *vm)
{
	read_unlock(&vm->mmu_lock);
}

/* --- tables -------------------------------------------------------------------------------- */

/* A zeroed table page, counted; NULL when memory is exhausted. */
pte_t *mmu_table_alloc(struct mmu_vm *vm);
/* Free a table page no walker (software or hardware) can reach any more. */
void mmu_table_free(struct mmu_vm *vm, pte_t *table);
/* Free a chain of unlinked tables (linked through entry 0). */
void mmu_free_chain(struct mmu_vm *vm, const struct pt_format *f, pte_t *head);
/* Free every root's deferred tables. mmu_lock held for writing. */
void mmu_free_deferred(struct mmu_vm *vm);

/* --- roots --------------------------------------------------------------------------------- */

const struct pt_format *mmu_format_for_role(struct mmu_vm *vm, mmu_role_t role);
/* Take a reference on a root the caller already holds one on. */
void mmu_root_get(struct mmu_root *root);
void mmu_root_put(struct mmu_root *root);
/*
 * Invalidate every root (mmu_invalidate_all_roots()), the mirror root too if
 * mirror_too (only the VM's destruction does that). Takes mmu_lock for writing.
 */
void mmu_roots_invalidate(struct mmu_vm *vm, bool mirror_too);
/*
 * Iterate over every live root (valid or not): returns the root after `prev`
 * with a reference taken, dropping the one on `prev`. Start with NULL. A
 * caller that stops early must put the root it holds.
 */
struct mmu_root *mmu_root_next(struct mmu_vm *vm, struct mmu_root *prev);

#define for_each_root(vm, r)                                                                       \
	for ((r) = mmu_root_next((vm), NULL); (r); (r) = mmu_root_next((vm), (r)))

/* --- memslots ------------------------------------------------------------------------------ */

/* The slot covering gfn, or NULL. mmu_lock (either way) or slots_lock held. O(log slots). */
struct mmu_slot *mmu_slot_lookup(struct mmu_vm *vm, gfn_t gfn);

static inline bool slot_gfn_is_tracked(const struct mmu_slot *s, gfn_t gfn)
{
	return s->track && s->track[gfn - s->base_gfn];
}

/* Is some gfn of the level-aligned region containing gfn tracked? */
bool slot_region_is_tracked(const struct mmu_slot *s, gfn_t gfn, int level);

/* Largest leaf level gfn may be mapped with in root format f (>= 1). */
int mmu_max_leaf_level(struct mmu_vm *vm, const struct pt_format *f, const struct mmu_slot *s,
		       gfn_t gfn);

/*
 * Hooks into the nested shadow MMU (vmm/mmu/shadow/hooks.c); each does
 * nothing when vm->shadow is NULL. mmu_lock held for writing.
 *   slot_removed     a slot is about to be deleted or moved, its tracking
 *                    counters still there: zap the shadow pages of guest
 *                    tables in it (seed 001)
 *   range_zapped     L1 gfns [start, end) lost their mappings in L1's TDP:
 *                    zap the shadow leaves that map them
 *   range_protected  L1 gfns [start, end) lost write permission (write
 *                    tracking, dirty logging): so do the shadow leaves
 * mmu_nested_vm_destroy(): VM teardown, no lock held (shadow_mmu_destroy()).
 */
void mmu_nested_slot_removed(struct mmu_vm *vm, const struct mmu_slot *s);
void mmu_nested_range_zapped(struct mmu_vm *vm, gfn_t start, gfn_t end);
void mmu_nested_range_protected(struct mmu_vm *vm, gfn_t start, gfn_t end);
void mmu_nested_vm_destroy(struct mmu_vm *vm);

/* Write-tracking counters follow a moved slot: allocate (no lock), then fill (write lock). */
int slot_track_rebuild_prepare(const struct mmu_slot *s, gfn_t new_base,
			       u32 *out[PT_MAX_LEVELS + 1]);
void slot_track_rebuild_commit(struct mmu_slot *s, u32 *fresh[PT_MAX_LEVELS + 1]);

/* Free every slot (VM teardown). */
void mmu_slots_destroy(struct mmu_vm *vm);

/* --- policy, with mmu_lock held as the name says --------------------------------------------- */

/*
 * Zap [start, end) in every root. flags: MMU_OP_SHARED (read held) or not
 * (write held), MMU_ZAP_LEAVES_ONLY. Returns 0 or, from a mirror root, the
 * first hook error (see mmu_zap_range()).
 */
int mmu_zap_range_locked(struct mmu_vm *vm, gfn_t start, gfn_t end, u32 flags);
int mmu_protect_range_locked(struct mmu_vm *vm, gfn_t start, gfn_t end, u32 flags);
int mmu_track_add_locked(struct mmu_vm *vm, struct mmu_slot *s, gfn_t gfn);
int mmu_track_remove_locked(struct mmu_vm *vm, struct mmu_slot *s, gfn_t gfn);

#endif /* VMM_MMU_INTERNAL_H */
