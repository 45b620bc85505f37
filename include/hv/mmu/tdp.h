/*
 * The TDP MMU: per-VM second-stage tables (EPT, NPT or arm64 stage-2) built
 * on demand from the memslots, with roots that live until invalidated.
 *
 * Objects:
 *   struct mmu_vm    one per VM: formats, memslots, roots, mmu_lock, statistics
 *   struct mmu_vcpu  one per vCPU: the current root and 3 previous ones
 *   struct mmu_root  a root table, keyed by a role (hv/mmu/role.h), refcounted
 *
 * What a backend does: at VM creation mmu_vm_create(); per vCPU
 * mmu_vcpu_create() and, before entering the guest, mmu_vcpu_load_root(), then
 * load mmu_root_hpa() into nCR3 / the EPTP / VTTBR_EL2 (the 2-page stage-2
 * root is 8 KiB aligned). Before each entry, if !mmu_vcpu_root_is_valid(),
 * load again. On #NPF / EPT violation / stage-2 abort call mmu_fault() and
 * switch on the outcome. Where the architecture requires all translations to
 * be dropped (SMM entry/exit, a full TLB flush to emulate), call
 * mmu_vcpu_unload_all(): the same roots come back on the next load, with their
 * mappings (seed 002).
 *
 * A protected VM also has one mirror root (role MMU_ROLE_MIRROR | levels, no
 * other flag; docs/mirror.md). It is handled like any root here, but every
 * change of its entries goes through the VM's set_external hook, so the
 * operations below may also fail with the hook's error; and the hardware
 * walks the external module's table, not mmu_root_hpa() of the mirror.
 *
 * Locks (docs/mmu.md, "Lock order"): slots_lock -> mmu_lock (rwlock) ->
 * roots_lock -> the frame allocator. Faults and bulk mapping run under
 * mmu_lock for reading and change entries by compare-exchange; memslot
 * changes, invalidation and (by default) zap/protect/split take it for
 * writing. Functions here take the locks they need; none may be called with
 * mmu_lock held unless its name ends in _locked.
 */
#ifndef HV_MMU_TDP_H
#define HV_MMU_TDP_H

#include <hv/mmu/format.h>
#include <hv/mmu/mirror.h>
#include <hv/mmu/role.h>
#include <hv/types.h>

struct mmu_vm;
struct mmu_vcpu;
struct mmu_root;

#define MMU_PREV_ROOTS 3

/*
 * The TLB seam: drop cached translations of `root` for gfns [start, start +
 * count) on every CPU that may hold them, and return when that is done
 * (count == 0: the whole root). The root's table address is mmu_root_hpa().
 * Called with mmu_lock held (either way) or, when a root dies, with no lock.
 */
typedef void mmu_tlb_flush_fn(void *arg, const struct mmu_root *root, gfn_t start, u64 count);

struct mmu_vm_config {
	const char *name; /* for log lines ("vm1") */
	/* Format of a root with levels == index; NULL where unsupported. */
	const struct pt_format *formats[PT_MAX_LEVELS + 1];
	u8 max_level;          /* largest leaf level for the whole VM; 0 = the formats' */
	bool no_root_preserve; /* benchmark knob: roots die with their last vCPU user */
	mmu_tlb_flush_fn *tlb_flush;
	void *tlb_arg;
	/*
	 * The mirror role (hv/mmu/mirror.h, docs/mirror.md): the one hook that
	 * propagates every change of a mirror root's entries to the externally
	 * owned table, and its argument (mmu_vm_external()). NULL: the VM has
	 * no mirror root (loading a mirror role fails with HV_EINVAL).
	 */
	mmu_set_external_fn *set_external;
	void *external_arg;
};

/* NULL with *err = HV_EINVAL (bad config, logged) or HV_ENOMEM. */
struct mmu_vm *mmu_vm_create(const struct mmu_vm_config *cfg, int *err);
/* Every vCPU must have been destroyed. Frees all roots, slots and tables. */
void mmu_vm_destroy(struct mmu_vm *vm);
/* Change the VM-wide leaf-level limit for future mappings (tests, benchmarks). */
void mmu_vm_set_max_level(struct mmu_vm *vm, u8 max_level);

struct mmu_vcpu *mmu_vcpu_create(struct mmu_vm *vm);
void mmu_vcpu_destroy(struct mmu_vcpu *vc);

/*
 * Make the valid root with `role` the vCPU's current one: the current root if
 * it matches, else a previous one (promoted to current), else the VM's live
 * root with that role (preserved roots are found here), else a new one. The
 * displaced current root becomes the most recent previous root; the least
 * recent previous root is dropped. Invalid roots in the cache are dropped.
 * Returns 0, HV_EINVAL (no format for the role's levels; or a mirror role on
 * a VM without a set_external hook, combined with another flag, or with
 * other levels than the VM's existing mirror root) or HV_ENOMEM. A mirror
 * root always keeps the MMU's own reference (whatever no_root_preserve
 * says): it lives until the VM is destroyed.
 */
int mmu_vcpu_load_root(struct mmu_vcpu *vc, mmu_role_t role);
/* Drop the current and previous roots (their tables stay if preserved). */
void mmu_vcpu_unload_all(struct mmu_vcpu *vc);
/* The current root, NULL before the first load or after unload_all. */
struct mmu_root *mmu_vcpu_root(const struct mmu_vcpu *vc);
/* False if there is no current root or it was invalidated: load again. */
bool mmu_vcpu_root_is_valid(const struct mmu_vcpu *vc);
/* Roles of the current root and previous roots, most recent first; the count. */
unsigned mmu_vcpu_cached_roles(const struct mmu_vcpu *vc, mmu_role_t roles[1 + MMU_PREV_ROOTS]);

/*
 * The VM's mirror root, or NULL if no vCPU has loaded one yet. No reference
 * is taken: the MMU holds one for the mirror root until mmu_vm_destroy(),
 * so the pointer stays valid until then. Takes roots_lock.
 */
struct mmu_root *mmu_vm_mirror_root(struct mmu_vm *vm);

hpa_t mmu_root_hpa(const struct mmu_root *root);
mmu_role_t mmu_root_role(const struct mmu_root *root);
const struct pt_format *mmu_root_format(const struct mmu_root *root);
bool mmu_root_is_valid(const struct mmu_root *root);

/*
 * Fast zap-all: mark every root invalid and drop the MMU's own reference to
 * it. Roots no vCPU holds are freed now; the others when their last user
 * lets go. New loads build new roots. Takes mmu_lock for writing.
 *
 * The mirror root is left alone: its tree cannot be dropped and rebuilt
 * like a cache, because every removal has to be told to the external
 * table (which holds the protected guest's memory). It is torn down, entry
 * by entry through the hook, only when the VM is destroyed; ranges of it
 * are removed with mmu_zap_range().
 */
void mmu_invalidate_all_roots(struct mmu_vm *vm);

/* --- faults ----------------------------------------------------------------------------- */

enum mmu_fault_result {
	MMU_FAULT_MAPPED,   /* a leaf was installed or upgraded: re-enter the guest */
	MMU_FAULT_SPURIOUS, /* already mapped as needed (another vCPU won, or a stale TLB) */
	MMU_FAULT_RETRY,    /* raced with a change or the root is stale: reload, re-enter */
	MMU_FAULT_MMIO,     /* no backed slot: emulate the access (or report to the VMM) */
	MMU_FAULT_READONLY, /* write to a read-only slot: emulate or report */
	MMU_FAULT_EMULATE,  /* write to a write-tracked gfn: emulate the write */
	MMU_FAULT_NOMEM,    /* no memory for a table: the VM cannot go on for now */
	MMU_FAULT_EXTERNAL, /* mirror root: the external table refused the change (not
			       busy, an inconsistency): stop the VM */
	MMU_FAULT_RESULT_COUNT,
};

const char *mmu_fault_result_name(enum mmu_fault_result r);

/*
 * Handle a second-stage fault at `gpa` for `access` (PT_R/PT_W/PT_X) on the
 * vCPU's current root: map the gfn with the largest leaf its slot allows
 * (gfn and backing congruent modulo the leaf size, the leaf inside the slot,
 * the level allowed by the format and the VM/slot limits, no write-tracked
 * gfn inside a huge leaf). Takes mmu_lock for reading; never waits on another
 * fault; returns MMU_FAULT_RETRY rather than spinning on a contended entry.
 * On a mirror root a busy hook counts as a lost race (bounded the same way,
 * then MMU_FAULT_RETRY), HV_ENOMEM from it is MMU_FAULT_NOMEM, and any other
 * hook error is MMU_FAULT_EXTERNAL.
 */
enum mmu_fault_result mmu_fault(struct mmu_vcpu *vc, gpa_t gpa, u8 access);

/* --- range operations ------------------------------------------------------------------- */

#define MMU_OP_SHARED       BIT(0) /* run under mmu_lock for reading, with compare-exchange */
#define MMU_ZAP_LEAVES_ONLY BIT(1) /* zap: keep the (emptied) tables */

/*
 * Remove every mapping of gfns [start, start + count) from every root. A huge
 * leaf that the range only partly covers goes entirely. Tables wholly inside
 * the range are unlinked and freed (after the TLB flush, docs/mmu.md) unless
 * MMU_ZAP_LEAVES_ONLY. Returns 0; only a mirror root can make it fail: an
 * entry whose hook still failed after MMU_MIRROR_TRIES attempts (busy) or at
 * once (any other error) stays mapped in both tables, the walk goes on with
 * the rest, and the first such error is returned.
 */
int mmu_zap_range(struct mmu_vm *vm, gfn_t start, u64 count, u32 flags);

/*
 * Remove write permission from every mapping of [start, start + count) in
 * every root, splitting huge leaves the range only partly covers (if a split
 * has no memory, the whole huge leaf loses write: never less protection).
 * Returns 0, or HV_ENOMEM if some split fell back that way, or (mirror root)
 * the first hook error after the retries of mmu_zap_range(): that leaf may
 * still be writable.
 */
int mmu_protect_range(struct mmu_vm *vm, gfn_t start, u64 count, u32 flags);

/*
 * Split every huge leaf intersecting [start, start + count) in every root
 * until the parts inside the range are at most `level` (eager split; the
 * translation does not change). Returns 0 or HV_ENOMEM (the tables stay
 * consistent; some leaves are left unsplit), or (mirror root) a hook error
 * after the retries of mmu_zap_range().
 */
int mmu_split_range(struct mmu_vm *vm, gfn_t start, u64 count, int level, u32 flags);

/*
 * Bulk mapping (prefault): map every backed gfn of [start, start + count) in
 * the vCPU's current root as a fault with `access` would, using the largest
 * leaves allowed. Unbacked gfns are skipped. MMU_OP_SHARED runs concurrently
 * with faults; without it mmu_lock is taken for writing (faster: plain
 * stores). Returns 0, HV_EAGAIN (stale root: load again), HV_ENOMEM (mapped
 * a prefix), or (mirror root) a hook error after the retries of
 * mmu_zap_range() (mapped a prefix). *mapped (if not NULL) gets the number of
 * 4 KiB pages covered.
 */
int mmu_map_range(struct mmu_vcpu *vc, gfn_t start, u64 count, u8 access, u32 flags, u64 *mapped);

/* --- inspection ------------------------------------------------------------------------- */

struct mmu_translation {
	pfn_t pfn;           /* frame backing the gfn */
	struct pt_attr attr; /* decoded permissions and memory type */
	int level;           /* level of the leaf (1: 4K, 2: 2M, 3: 1G) */
	gfn_t leaf_gfn;      /* first gfn of the leaf */
	pte_t pte;           /* the leaf as stored */
};

/* Software walk of `root` for gfn; false if not mapped. Takes mmu_lock for reading. */
bool mmu_translate(struct mmu_vm *vm, struct mmu_root *root, gfn_t gfn,
		   struct mmu_translation *out);

#endif /* HV_MMU_TDP_H */
