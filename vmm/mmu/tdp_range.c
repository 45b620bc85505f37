/*
 * Range operations over every root of a VM: zap, write-protect and eager
 * split (contracts in hv/mmu/tdp.h). Each is one pre-order walk per root with
 * one pt_ctx, so a whole operation costs one TLB flush per root.
 *
 * They run either under mmu_lock held for writing (the default; memslot
 * changes and write tracking use this) or, with MMU_OP_SHARED, for reading
 * alongside faults. In shared mode an entry may change under us: a failed
 * compare-exchange leaves the fresh value in the iterator and the same entry
 * is examined again; a frozen entry belongs to someone mid-change or to a
 * dead table, so the walk waits a moment and restarts from the root at the
 * current gfn.
 *
 * On a mirror root a change can also fail because the hook failed. A busy
 * hook is retried on the same entry, from its current value, at most
 * MMU_MIRROR_TRIES times (pt_should_retry()); after that, or after any other
 * hook error, the operation leaves the entry as it is (in both tables),
 * goes on with the rest of the range and returns the first such error.
 */
#include <hv/check.h>
#include <hv/errno.h>

#include "pt_split.h"

/* Frozen entry in shared mode: let its owner finish, then re-walk from the root. */
static void wait_and_restart(struct pt_ctx *ctx, struct pt_iter *it)
{
	CHECK(ctx->shared);
	arch_cpu_relax();
	pt_iter_restart(it);
}

static bool entry_inside(const struct pt_iter *it, gfn_t start, gfn_t end)
{
	return it->gfn >= start && it->gfn + pt_level_pages(it->level) <= end;
}

/*
 * A change of the current entry failed with r: true to look at the entry
 * again (pt_should_retry()); false to leave it, with the first such error
 * kept in *ret.
 */
static bool change_retry(struct pt_ctx *ctx, int r, unsigned *tries, int *ret)
{
	if (pt_should_retry(r, tries))
		return true;
	vm_stat_add(ctx->vm, MMU_STAT_MIRROR_GAVE_UP, 1);
	if (!*ret)
		*ret = r;
	return false;
}

static int zap_root(struct pt_ctx *ctx, gfn_t start, gfn_t end, int leaves_only)
{
	const struct pt_format *f = ctx->fmt;
	struct pt_iter it;
	unsigned tries;
	int ret = 0, r;

	for_each_pte(&it, f, ctx->root->table, start, end, 1)
	{
		tries = 0;
	again:
		if (it.done)
			break;
		if (pte_is_frozen(f, it.old)) {
			wait_and_restart(ctx, &it);
			goto again;
		}
		if (!pte_is_present(f, it.old))
			continue;
		/* A leaf goes even if the range covers only part of it. */
		if (pte_is_leaf(f, it.old, it.level) ||
		    (!leaves_only && entry_inside(&it, start, end))) {
			r = pt_set(ctx, &it, 0);
			/* A table left in place is walked: its entries go one by one. */
			if (r && change_retry(ctx, r, &tries, &ret))
				goto again;
		}
	}
	return ret;
}

/* One root's share of a range operation; arg is the operation's own parameter. */
typedef int root_range_fn(struct pt_ctx *ctx, gfn_t start, gfn_t end, int arg);

/*
 * Apply fn to [start, end) of every root, each root with its own context
 * (so one flush per root). Every root is visited even after one fails; the
 * first error is returned. mmu_lock held as flags say.
 */
static int range_on_roots(struct mmu_vm *vm, gfn_t start, gfn_t end, u32 flags, root_range_fn *fn,
			  int arg)
{
	bool shared = flags & MMU_OP_SHARED;
	struct mmu_root *r;
	int ret = 0;

	if (shared)
		read_assert_held(&vm->mmu_lock);
	else
		write_assert_held(&vm->mmu_lock);
	for_each_root(vm, r)
	{
		struct pt_ctx ctx;
		int rr;

		pt_ctx_init(&ctx, vm, r, shared);
		rr = fn(&ctx, start, end, arg);
		pt_ctx_finish(&ctx);
		ret = ret ? ret : rr;
	}
	return ret;
}

int mmu_zap_range_locked(struct mmu_vm *vm, gfn_t start, gfn_t end, u32 flags)
{
	int ret =
	    range_on_roots(vm, start, end, flags, zap_root, (flags & MMU_ZAP_LEAVES_ONLY) != 0);

	if (!(flags & MMU_OP_SHARED))
		mmu_nested_range_zapped(vm, start, end);
	vm_stat_add(vm, MMU_STAT_ZAP_CALLS, 1);
	return ret;
}

static int protect_root(struct pt_ctx *ctx, gfn_t start, gfn_t end, int unused)
{
	const struct pt_format *f = ctx->fmt;
	struct pt_iter it;
	unsigned tries;
	bool whole;
	int ret = 0, r;

	for_each_pte(&it, f, ctx->root->table, start, end, 1)
	{
		tries = 0;
		whole = false;
	again:
		if (it.done)
			break;
		if (pte_is_frozen(f, it.old)) {
			wait_and_restart(ctx, &it);
			goto again;
		}
		if (!pte_is_present_leaf(f, it.old, it.level) || !pte_is_writable(f, it.old))
			continue;
		if (it.level > 1 && !entry_inside(&it, start, end) && !whole) {
			/* Protect only the part in range: split, then walk the new table. */
			r = pt_split_leaf(ctx, &it);
			if (!r)
				continue;
			if (r == HV_EAGAIN || (r == HV_EBUSY && ++tries < MMU_MIRROR_TRIES))
				goto again;
			/*
			 * No memory (or the external table would not split): the
			 * whole leaf loses write instead (more, never less).
			 */
			if (r == HV_ENOMEM)
				vm_stat_add(ctx->vm, MMU_STAT_SPLIT_NOMEM, 1);
			if (r != HV_EBUSY && !ret)
				ret = r;
			whole = true;
			tries = 0;
			goto again;
		}
		r = pt_set(ctx, &it, it.old & ~f->write_mask);
		if (r && change_retry(ctx, r, &tries, &ret))
			goto again;
	}
	return ret;
}

int mmu_protect_range_locked(struct mmu_vm *vm, gfn_t start, gfn_t end, u32 flags)
{
	int ret = range_on_roots(vm, start, end, flags, protect_root, 0);

	if (!(flags & MMU_OP_SHARED))
		mmu_nested_range_protected(vm, start, end);
	vm_stat_add(vm, MMU_STAT_WRPROT_CALLS, 1);
	return ret;
}

static int split_root(struct pt_ctx *ctx, gfn_t start, gfn_t end, int level)
{
	const struct pt_format *f = ctx->fmt;
	struct pt_iter it;
	unsigned tries;
	int ret = 0, r;

	for_each_pte(&it, f, ctx->root->table, start, end, level + 1)
	{
		tries = 0;
	again:
		if (it.done)
			break;
		if (pte_is_frozen(f, it.old)) {
			wait_and_restart(ctx, &it);
			goto again;
		}
		if (it.level <= level || !pte_is_present_leaf(f, it.old, it.level))
			continue;
		r = pt_split_leaf(ctx, &it);
		if (!r)
			continue;
		if (r == HV_ENOMEM) {
			vm_stat_add(ctx->vm, MMU_STAT_SPLIT_NOMEM, 1);
			return r;
		}
		if (change_retry(ctx, r, &tries, &ret))
			goto again;
	}
	return ret;
}

/* [start, start + count) as [start, end), saturating instead of wrapping. */
static gfn_t range_end(gfn_t start, u64 count)
{
	return start + count < start ? ~0ull : start + count;
}

/*
 * Shared range operations cannot reach the nested shadow MMU, which runs
 * under the write lock only: a VM that has one takes them exclusive.
 */
static u32 op_flags(struct mmu_vm *vm, u32 flags)
{
	return READ_ONCE(vm->shadow) ? flags & ~MMU_OP_SHARED : flags;
}

static void op_lock(struct mmu_vm *vm, u32 flags)
{
	if (flags & MMU_OP_SHARED)
		mmu_read_lock(vm);
	else
		mmu_write_lock(vm);
}

static void op_unlock(struct mmu_vm *vm, u32 flags)
{
	if (flags & MMU_OP_SHARED)
		mmu_read_unlock(vm);
	else
		mmu_write_unlock(vm);
}

int mmu_zap_range(struct mmu_vm *vm, gfn_t start, u64 count, u32 flags)
{
	int r;

	flags = op_flags(vm, flags);
	op_lock(vm, flags);
	r = mmu_zap_range_locked(vm, start, range_end(start, count), flags);
	op_unlock(vm, flags);
	return r;
}

int mmu_protect_range(struct mmu_vm *vm, gfn_t start, u64 count, u32 flags)
{
	int r;

	flags = op_flags(vm, flags);
	op_lock(vm, flags);
	r = mmu_protect_range_locked(vm, start, range_end(start, count), flags);
	op_unlock(vm, flags);
	return r;
}

int mmu_split_range(struct mmu_vm *vm, gfn_t start, u64 count, int level, u32 flags)
{
	int ret;

	if (level < 1 || level > PT_MAX_LEVELS)
		return HV_EINVAL;
	op_lock(vm, flags);
	ret = range_on_roots(vm, start, range_end(start, count), flags, split_root, level);
	op_unlock(vm, flags);
	return ret;
}

bool mmu_translate(struct mmu_vm *vm, struct mmu_root *root, gfn_t gfn, struct mmu_translation *out)
{
	const struct pt_format *f = root->fmt;
	struct pt_iter it;
	bool found = false;

	mmu_read_lock(vm);
	for_each_pte(&it, f, root->table, gfn, gfn + 1, 1)
	{
		if (!pte_is_present_leaf(f, it.old, it.level))
			continue;
		out->level = it.level;
		out->leaf_gfn = it.gfn;
		out->pte = it.old;
		out->pfn = pte_leaf_pfn(f, it.old, it.level) + (gfn - it.gfn);
		out->attr = f->decode(f, it.old, it.level);
		found = true;
		break;
	}
	mmu_read_unlock(vm);
	return found;
}
