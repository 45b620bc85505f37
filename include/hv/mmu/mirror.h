/*
 * The mirror role (docs/mirror.md): a root whose tree is the hypervisor's
 * view of a second-stage table that an external, trusted module owns (the
 * table the hardware really walks for a protected guest, TDX-style). The
 * engine keeps the mirror; every change of a mirror entry is propagated to
 * the external table through exactly one hook:
 *
 *   int set_external(vm, gfn, old, new, level)
 *
 * called with the entry at (gfn, level) of the mirror root still holding
 * old (frozen, under the read lock) and before new is written. gfn is the
 * first gfn the entry maps. What the change means is a function of (old,
 * new, level) alone, mmu_mirror_classify() below, so the engine and every
 * hook implementation agree on it:
 *
 *   old             new             kind
 *   non-present     leaf            MAP_LEAF      install a leaf
 *   non-present     table           LINK_TABLE    link a new, empty child table
 *   leaf            table           SPLIT         a huge leaf becomes a full table
 *                                                 mapping the same frames
 *   leaf            other leaf      CHANGE_LEAF   same frame and size, other
 *                                                 permissions (protect, upgrade)
 *   leaf            non-present     REMOVE_LEAF
 *   table           non-present     REMOVE_TABLE  reclaim an (already emptied) child
 *   table           leaf            MERGE         refused by the engine, never
 *                                                 passed to the hook
 *
 * The hook returns 0, HV_EBUSY (transient: the caller may try again,
 * boundedly), HV_ENOMEM, or another error (the external module refused the
 * request as inconsistent with its table). On any error the mirror entry
 * keeps old.
 */
#ifndef HV_MMU_MIRROR_H
#define HV_MMU_MIRROR_H

#include <hv/mmu/format.h>
#include <hv/types.h>

struct mmu_vm;

/* The hook; the VM's external_arg is available through mmu_vm_external(). */
typedef int mmu_set_external_fn(struct mmu_vm *vm, gfn_t gfn, pte_t old, pte_t new, int level);

/* The external_arg given at VM creation (mmu_vm_config), e.g. the module object. */
void *mmu_vm_external(const struct mmu_vm *vm);

enum mmu_mirror_kind {
	MMU_MIRROR_NONE,         /* nothing changes (old == new, or both non-present) */
	MMU_MIRROR_MAP_LEAF,     /* non-present -> leaf */
	MMU_MIRROR_LINK_TABLE,   /* non-present -> (empty) table */
	MMU_MIRROR_SPLIT,        /* huge leaf -> table mapping the same frames */
	MMU_MIRROR_CHANGE_LEAF,  /* leaf -> leaf of the same frame, other permissions */
	MMU_MIRROR_REMOVE_LEAF,  /* leaf -> non-present */
	MMU_MIRROR_REMOVE_TABLE, /* table -> non-present (the child was emptied first) */
	MMU_MIRROR_MERGE,        /* table -> leaf: refused */
	MMU_MIRROR_INVALID,      /* table -> another table, or a frozen value: never valid */
	MMU_MIRROR_KIND_COUNT,
};

const char *mmu_mirror_kind_name(enum mmu_mirror_kind kind);

/* What changing the entry at `level` from old to new means for the external table. */
static inline enum mmu_mirror_kind mmu_mirror_classify(const struct pt_format *f, pte_t old,
						       pte_t new, int level)
{
	bool was_present = pte_is_present(f, old);
	bool is_present = pte_is_present(f, new);

	if (pte_is_frozen(f, old) || pte_is_frozen(f, new))
		return MMU_MIRROR_INVALID;
	if (!was_present) {
		if (!is_present)
			return MMU_MIRROR_NONE;
		return pte_is_leaf(f, new, level) ? MMU_MIRROR_MAP_LEAF : MMU_MIRROR_LINK_TABLE;
	}
	if (pte_is_leaf(f, old, level)) {
		if (!is_present)
			return MMU_MIRROR_REMOVE_LEAF;
		if (!pte_is_leaf(f, new, level))
			return MMU_MIRROR_SPLIT;
		return old == new ? MMU_MIRROR_NONE : MMU_MIRROR_CHANGE_LEAF;
	}
	if (!is_present)
		return MMU_MIRROR_REMOVE_TABLE;
	if (pte_is_leaf(f, new, level))
		return MMU_MIRROR_MERGE;
	return old == new ? MMU_MIRROR_NONE : MMU_MIRROR_INVALID;
}

/*
 * Hook failures a range operation (zap, protect, split, bulk map) retries on
 * one entry, each time from the entry's current value, before it gives up on
 * that entry and reports the error. The fault path shares its own bound
 * (8 races) between lost compare-exchanges and busy hooks.
 */
#define MMU_MIRROR_TRIES 8

/* --- comparing a mirror with its external table (vmm/mmu/mirror_check.c) --------------------- */

struct mmu_root;

/*
 * Read-only access to the external table: copy the entries of its table at
 * `level` that holds gfn's entry into out[] (pt_table_entries(fmt, level)
 * of them). 0, or an error when the walk stops above `level` (no such
 * table). The owner's inspection call (tmod_read_table) fits this.
 */
typedef int mmu_external_read_fn(void *arg, gfn_t gfn, int level, pte_t *out);

struct mmu_mirror_census {
	u64 entries; /* entries compared */
	u64 tables;  /* tables below the root */
	u64 leaves;
};

/*
 * Walk the mirror root `root` of vm and the external table together: every
 * mirror table has an external table at the same place, every leaf is
 * bit-identical, every table entry has the same non-address bits, every
 * empty mirror entry is empty outside too (so the external table maps
 * nothing the mirror does not), and no mirror entry is frozen. Takes
 * mmu_lock for reading (and whatever lock `read` takes: it sits below
 * mmu_lock in the lock order). Returns 0 (they agree; *census, if not
 * NULL, counts what was compared), HV_EIO with the first difference
 * described in why, HV_EINVAL (root is not vm's mirror root) or HV_ENOMEM.
 */
int mmu_mirror_compare(struct mmu_vm *vm, struct mmu_root *root, mmu_external_read_fn *read,
		       void *arg, struct mmu_mirror_census *census, char *why, size_t why_len);

#endif /* HV_MMU_MIRROR_H */
