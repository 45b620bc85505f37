/*
 * Entry changes on a mirror root (docs/mirror.md; the hook's contract in
 * hv/mmu/mirror.h). pt_set() hands every change of a mirror entry here:
 *
 *   shared (read lock)  compare-exchange old -> frozen, [break-before-make
 *                       flush], the hook, then new; on failure old is
 *                       written back and the error returned
 *   exclusive           [frozen + flush for break-before-make], the hook,
 *                       then new; on failure nothing was written (or old is
 *                       written back over the break)
 *
 * The frozen entry is what makes the shared mode safe: while the hook runs,
 * no other CPU can install anything under the entry (it would need the
 * external parent first), change it, or tear it down.
 *
 * Removing a child table goes bottom-up: each entry of the subtree is
 * taken (frozen in shared mode) and removed through the hook as its own
 * committed change, a table only after all its entries (REMOVE_TABLE finds
 * it empty in the external table too), and a table is retired only after
 * the hook accepted its removal. If a hook fails somewhere in the subtree,
 * what was removed stays removed, in both tables; the failing entry and
 * each ancestor up to the entry pt_set() was asked to change get their old
 * values back, and every one of those points to a table that was never
 * retired. So an entry is never restored to a released table (seed 003).
 *
 * Present table -> present leaf (a merge) is refused with HV_EPERM; the
 * engine never asks for one (faults descend into tables, nothing
 * collapses), so meeting one is logged as an error.
 *
 * Mirror statistics are counted with atomic adds straight into the VM:
 * each is next to an external call, and the normal roots' hot paths keep
 * their per-operation counters as they were.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "pt_change.h"

static const enum mmu_stat kind_stat[MMU_MIRROR_KIND_COUNT] = {
	[MMU_MIRROR_MAP_LEAF] = MMU_STAT_MIRROR_MAP_LEAF,
	[MMU_MIRROR_LINK_TABLE] = MMU_STAT_MIRROR_LINK_TABLE,
	[MMU_MIRROR_SPLIT] = MMU_STAT_MIRROR_SPLIT,
	[MMU_MIRROR_CHANGE_LEAF] = MMU_STAT_MIRROR_CHANGE_LEAF,
	[MMU_MIRROR_REMOVE_LEAF] = MMU_STAT_MIRROR_REMOVE_LEAF,
	[MMU_MIRROR_REMOVE_TABLE] = MMU_STAT_MIRROR_REMOVE_TABLE,
};

static const char *const kind_names[MMU_MIRROR_KIND_COUNT] = {
	[MMU_MIRROR_NONE] = "none",
	[MMU_MIRROR_MAP_LEAF] = "map-leaf",
	[MMU_MIRROR_LINK_TABLE] = "link-table",
	[MMU_MIRROR_SPLIT] = "split",
	[MMU_MIRROR_CHANGE_LEAF] = "change-leaf",
	[MMU_MIRROR_REMOVE_LEAF] = "remove-leaf",
	[MMU_MIRROR_REMOVE_TABLE] = "remove-table",
	[MMU_MIRROR_MERGE] = "merge",
	[MMU_MIRROR_INVALID] = "invalid",
};

const char *mmu_mirror_kind_name(enum mmu_mirror_kind kind)
{
	return (unsigned)kind < MMU_MIRROR_KIND_COUNT ? kind_names[kind] : "?";
}

void *mmu_vm_external(const struct mmu_vm *vm)
{
	return vm->external_arg;
}

/*
 * Ask the external table to make the change. The hook's HV_EAGAIN becomes
 * HV_EBUSY: callers re-examine an entry after HV_EAGAIN without a bound
 * (it means another CPU changed the entry), which a hook must not trigger.
 */
static int mirror_call(struct pt_ctx *ctx, gfn_t gfn, pte_t old, pte_t new, int level,
		       enum mmu_mirror_kind kind)
{
	struct mmu_vm *vm = ctx->vm;
	int r;

	vm_stat_add(vm, kind_stat[kind], 1);
	r = vm->set_external(vm, gfn, old, new, level);
	if (likely(!r))
		return 0;
	vm_stat_add(vm, MMU_STAT_MIRROR_HOOK_FAIL, 1);
	if (r == HV_EAGAIN)
		r = HV_EBUSY;
	else if (r > 0)
		r = HV_EIO;
	if (r == HV_EBUSY)
		log_debug("mmu: %s: mirror %s L%d gfn %#llx: external table busy", vm->name,
			  kind_names[kind], level, (unsigned long long)gfn);
	else
		log_err("mmu: %s: mirror %s L%d gfn %#llx: %#llx -> %#llx refused by the external "
			"table: %s",
			vm->name, kind_names[kind], level, (unsigned long long)gfn,
			(unsigned long long)old, (unsigned long long)new, err_name(r));
	return r;
}

/* A frozen entry gets its old value back. */
static void mirror_put_back(struct pt_ctx *ctx, pte_t *p, pte_t old)
{
	__atomic_store_n(p, old, __ATOMIC_RELEASE);
	vm_stat_add(ctx->vm, MMU_STAT_MIRROR_ROLLBACK, 1);
}

/*
 * The first n entries of a table that stays alive were taken and are
 * empty in both tables now: shared mode froze them, make them plain empty
 * entries again. (Exclusive mode already wrote zero.)
 */
static void mirror_thaw(struct pt_ctx *ctx, pte_t *table, unsigned n)
{
	if (!ctx->shared)
		return;
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&table[i], 0, __ATOMIC_RELEASE);
}

/* The entry at (gfn, level) that held old is gone for good: count, flush, retire. */
static void mirror_account_removal(struct pt_ctx *ctx, gfn_t gfn, pte_t old, int level)
{
	const struct pt_format *f = ctx->fmt;

	if (pte_is_leaf(f, old, level)) {
		ctx->leaves[level]--;
		ctx->stat[CTX_LEAF_ZAPPED]++;
	} else {
		ctx->stat[CTX_TABLE_ZAPPED]++;
		pt_ctx_retire_table(ctx, pt_table_ptr(f, old));
	}
	pt_ctx_want_flush(ctx, gfn, level);
}

static int mirror_remove(struct pt_ctx *ctx, gfn_t gfn, pte_t old, int level);

/*
 * Remove every entry of the child table `table` (at `level`, first gfn
 * base) through the hook. Returns 0 with every entry removed (shared: left
 * frozen, since the table is about to be unlinked; exclusive: zero), or the
 * first error with the table alive and consistent: the entries before the
 * failing one empty, the failing one holding its old value, the rest
 * untouched.
 */
static int mirror_empty_table(struct pt_ctx *ctx, pte_t *table, int level, gfn_t base)
{
	const struct pt_format *f = ctx->fmt;

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		gfn_t gfn = base + ((gfn_t)i << pt_level_page_shift(level));
		pte_t old = pt_take_entry(ctx, &table[i]);
		int r;

		if (!pte_is_present(f, old))
			continue;
		r = mirror_remove(ctx, gfn, old, level);
		if (r) {
			if (ctx->shared)
				mirror_put_back(ctx, &table[i], old);
			mirror_thaw(ctx, table, i);
			return r;
		}
		if (!ctx->shared)
			__atomic_store_n(&table[i], 0, __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * Remove the present entry at (gfn, level) that held old, its subtree
 * first. The entry itself is the caller's to write (it is frozen in shared
 * mode). Returns 0 (removal accounted) or the error, with whatever is below
 * the entry alive and consistent so that the caller can put old back.
 */
static int mirror_remove(struct pt_ctx *ctx, gfn_t gfn, pte_t old, int level)
{
	const struct pt_format *f = ctx->fmt;
	int r;

	if (pte_is_leaf(f, old, level)) {
		r = mirror_call(ctx, gfn, old, 0, level, MMU_MIRROR_REMOVE_LEAF);
	} else {
		pte_t *child = pt_table_ptr(f, old);

		r = mirror_empty_table(ctx, child, level - 1, gfn);
		if (r)
			return r;
		r = mirror_call(ctx, gfn, old, 0, level, MMU_MIRROR_REMOVE_TABLE);
		if (r)
			mirror_thaw(ctx, child, PT_ENTRIES);
	}
	if (!r)
		mirror_account_removal(ctx, gfn, old, level);
	return r;
}

int pt_set_mirror(struct pt_ctx *ctx, struct pt_iter *it, pte_t new)
{
	const struct pt_format *f = ctx->fmt;
	struct mmu_vm *vm = ctx->vm;
	pte_t old = it->old;
	int level = it->level;
	enum mmu_mirror_kind kind = mmu_mirror_classify(f, old, new, level);
	bool bbm = pte_needs_bbm(f, old, new, level);
	bool frozen = ctx->shared || bbm;
	int r;

	CHECK(kind != MMU_MIRROR_INVALID);
	if (kind == MMU_MIRROR_MERGE) {
		vm_stat_add(vm, MMU_STAT_MIRROR_MERGE_REFUSED, 1);
		log_err("mmu: %s: mirror root: refusing to merge the table at L%d gfn %#llx into a "
			"leaf: %#llx -> %#llx",
			vm->name, level, (unsigned long long)it->gfn, (unsigned long long)old,
			(unsigned long long)new);
		return HV_EPERM;
	}
	if (ctx->shared) {
		if (!__atomic_compare_exchange_n(it->ptep, &it->old, f->frozen, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			ctx->stat[CTX_CAS_FAIL]++;
			return HV_EAGAIN;
		}
	} else if (bbm) {
		__atomic_store_n(it->ptep, f->frozen, __ATOMIC_RELEASE);
	}
	if (bbm) {
		ctx->stat[CTX_BBM]++;
		pt_ctx_flush_now(ctx, it->gfn, pt_level_pages(level));
	}

	switch (kind) {
	case MMU_MIRROR_NONE:
		r = 0;
		break;
	case MMU_MIRROR_REMOVE_LEAF:
	case MMU_MIRROR_REMOVE_TABLE:
		r = mirror_remove(ctx, it->gfn, old, level);
		break;
	default:
		r = mirror_call(ctx, it->gfn, old, new, level, kind);
		if (!r)
			pt_handle_change(ctx, it->gfn, old, new, level);
		break;
	}
	if (r) {
		if (frozen)
			mirror_put_back(ctx, it->ptep, old);
		/* Whoever retries starts from what the entry holds now. */
		it->old = pt_read(it->ptep);
		return r;
	}
	__atomic_store_n(it->ptep, new, __ATOMIC_RELEASE);
	it->old = new;
	return 0;
}

u64 pt_mirror_remove_tree(struct pt_ctx *ctx, pte_t *table, int level, gfn_t base)
{
	const struct pt_format *f = ctx->fmt;
	unsigned entries = pt_table_entries(f, level);
	u64 forced = 0;

	for (unsigned i = 0; i < entries; i++) {
		gfn_t gfn = base + ((gfn_t)i << pt_level_page_shift(level));
		pte_t old = __atomic_load_n(&table[i], __ATOMIC_RELAXED);
		bool leaf = pte_is_leaf(f, old, level);
		unsigned tries = 0;
		int r;

		if (!pte_is_present(f, old))
			continue;
		if (!leaf)
			forced += pt_mirror_remove_tree(ctx, pt_table_ptr(f, old), level - 1, gfn);
		do
			r = mirror_call(ctx, gfn, old, 0, level,
					leaf ? MMU_MIRROR_REMOVE_LEAF : MMU_MIRROR_REMOVE_TABLE);
		while (r == HV_EBUSY && ++tries < MMU_MIRROR_TRIES);
		if (r) {
			forced++;
			vm_stat_add(ctx->vm, MMU_STAT_MIRROR_TEARDOWN_FORCED, 1);
		}
		mirror_account_removal(ctx, gfn, old, level);
		__atomic_store_n(&table[i], 0, __ATOMIC_RELAXED);
	}
	return forced;
}
