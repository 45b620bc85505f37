/*
 * The entry-change path (contract in pt_change.h) and the disposal of
 * unlinked tables.
 *
 * Unlinked tables are chained through their own entry 0, which then holds the
 * format's frozen marker plus the next table's frame number. A frozen entry is
 * never present to the hardware and never overwritten by a walker, so a
 * reader that still looks at a dead table only ever sees "frozen, retry",
 * and no memory has to be allocated to retire a table.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "pt_change.h"

static const enum mmu_stat ctx_to_mmu_stat[CTX_STAT_COUNT] = {
	[CTX_LEAF_MAPPED] = MMU_STAT_LEAF_MAPPED,
	[CTX_LEAF_ZAPPED] = MMU_STAT_LEAF_ZAPPED,
	[CTX_LEAF_WRPROT] = MMU_STAT_LEAF_WRPROT,
	[CTX_LEAF_UPGRADED] = MMU_STAT_LEAF_UPGRADED,
	[CTX_TABLE_ZAPPED] = MMU_STAT_TABLE_ZAPPED,
	[CTX_SPLIT] = MMU_STAT_SPLIT,
	[CTX_BBM] = MMU_STAT_BBM,
	[CTX_CAS_FAIL] = MMU_STAT_CAS_FAIL,
	[CTX_TLB_FLUSH] = MMU_STAT_TLB_FLUSH,
	[CTX_TABLE_DEFERRED] = MMU_STAT_TABLE_DEFERRED,
};

void pt_ctx_flush_now(struct pt_ctx *ctx, gfn_t start, u64 count)
{
	struct mmu_vm *vm = ctx->vm;

	ctx->stat[CTX_TLB_FLUSH]++;
	if (vm->tlb_flush)
		vm->tlb_flush(vm->tlb_arg, ctx->root, start, count);
}

static pte_t *dead_next(const struct pt_format *f, pte_t *table)
{
	pfn_t next = pte_pfn(f, __atomic_load_n(&table[0], __ATOMIC_ACQUIRE));

	return next ? (pte_t *)phys_to_virt(pfn_to_hpa(next)) : NULL;
}

void mmu_free_chain(struct mmu_vm *vm, const struct pt_format *f, pte_t *head)
{
	while (head) {
		pte_t *next = dead_next(f, head);

		mmu_table_free(vm, head);
		head = next;
	}
}

/* Hand the context's dead tables to the root, to be freed once no reader can hold them. */
static void ctx_defer_tables(struct pt_ctx *ctx)
{
	const struct pt_format *f = ctx->fmt;
	pte_t *head = __atomic_load_n(&ctx->root->deferred, __ATOMIC_RELAXED);

	do {
		pfn_t next = head ? hpa_to_pfn(virt_to_phys(head)) : 0;

		__atomic_store_n(&ctx->dead_tail[0], f->frozen | pte_pfn_bits(f, next),
				 __ATOMIC_RELAXED);
	} while (!__atomic_compare_exchange_n(&ctx->root->deferred, &head, ctx->dead_head, true,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static void ctx_fold_stats(struct pt_ctx *ctx)
{
	struct mmu_vcpu *vc = ctx->vcpu;
	struct mmu_vm *vm = ctx->vm;

	for (int i = 0; i < CTX_STAT_COUNT; i++) {
		if (!ctx->stat[i])
			continue;
		if (vc)
			__atomic_store_n(&vc->stat[ctx_to_mmu_stat[i]],
					 vc->stat[ctx_to_mmu_stat[i]] + ctx->stat[i],
					 __ATOMIC_RELAXED);
		else
			vm_stat_add(vm, ctx_to_mmu_stat[i], ctx->stat[i]);
	}
	for (int level = 1; level <= PT_MAX_LEVELS; level++) {
		if (!ctx->leaves[level])
			continue;
		if (vc)
			__atomic_store_n(&vc->leaves[level], vc->leaves[level] + ctx->leaves[level],
					 __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&vm->leaves[level], (s64)ctx->leaves[level],
					   __ATOMIC_RELAXED);
	}
}

void pt_ctx_finish(struct pt_ctx *ctx)
{
	if (ctx->flush) {
		pt_ctx_flush_now(ctx, ctx->flush_start, ctx->flush_end - ctx->flush_start);
		ctx->flush = false;
	}
	/* The flush above made the hardware forget the dead tables; now the software. */
	if (ctx->dead_head) {
		if (ctx->shared)
			ctx_defer_tables(ctx);
		else
			mmu_free_chain(ctx->vm, ctx->fmt, ctx->dead_head);
		ctx->dead_head = ctx->dead_tail = NULL;
	}
	ctx_fold_stats(ctx);
}

/* Every entry of an unlinked table changes to non-present. */
static void remove_entries(struct pt_ctx *ctx, pte_t *table, int level, gfn_t base_gfn)
{
	const struct pt_format *f = ctx->fmt;
	unsigned entries = pt_table_entries(f, level);

	for (unsigned i = 0; i < entries; i++) {
		pte_t old = pt_take_entry(ctx, &table[i]);

		if (pte_is_present(f, old))
			pt_handle_change(ctx, base_gfn + ((gfn_t)i << pt_level_page_shift(level)),
					 old, f->frozen, level);
	}
}

u64 pt_remove_tree(struct pt_ctx *ctx, pte_t *table, int level, gfn_t base_gfn)
{
	/* Only for trees nobody else can reach: the root pages are the caller's to free. */
	CHECK(!ctx->shared);
	if (ctx->mirror)
		return pt_mirror_remove_tree(ctx, table, level, base_gfn);
	remove_entries(ctx, table, level, base_gfn);
	return 0;
}

int pt_handle_change_slow(struct pt_ctx *ctx, gfn_t gfn, pte_t old, pte_t new, int level)
{
	const struct pt_format *f = ctx->fmt;
	bool was_present = pte_is_present(f, old);
	bool is_present = pte_is_present(f, new);
	bool was_leaf = was_present && pte_is_leaf(f, old, level);
	bool is_leaf = is_present && pte_is_leaf(f, new, level);

	log_trace("mmu: %s: root %#x L%d gfn %#llx: %#llx -> %#llx%s", ctx->vm->name,
		  ctx->root->role, level, (unsigned long long)gfn, (unsigned long long)old,
		  (unsigned long long)new, ctx->shared ? " (shared)" : "");
	if (!was_present) {
		/* Filling a hole (or a frozen entry's placeholder) never needs a flush. */
		if (is_leaf) {
			ctx->leaves[level]++;
			ctx->stat[CTX_LEAF_MAPPED]++;
		}
		return 0;
	}

	if (was_leaf) {
		ctx->leaves[level]--;
		if (!is_present) {
			ctx->stat[CTX_LEAF_ZAPPED]++;
			pt_ctx_want_flush(ctx, gfn, level);
		} else if (is_leaf) {
			ctx->leaves[level]++;
			if (pte_leaf_loses(f, old, new)) {
				pt_ctx_want_flush(ctx, gfn, level);
				if (pte_is_writable(f, old) && !pte_is_writable(f, new))
					ctx->stat[CTX_LEAF_WRPROT]++;
			} else if (old != new) {
				ctx->stat[CTX_LEAF_UPGRADED]++;
			}
		} else {
			/*
			 * Split: the new table maps the same frames with the same
			 * attributes (the splitter guarantees it and counts its
			 * leaves), so nothing cached becomes wrong.
			 */
			ctx->stat[CTX_SPLIT]++;
		}
		return 0;
	}

	/* A table entry is replaced: never by another table (we do not move tables). */
	CHECK(!is_present || is_leaf);
	/* Mirror roots empty a table through the hook first (pt_mirror.c), never here. */
	CHECK(!ctx->mirror);
	ctx->stat[CTX_TABLE_ZAPPED]++;
	remove_entries(ctx, pt_table_ptr(f, old), level - 1, gfn);
	pt_ctx_retire_table(ctx, pt_table_ptr(f, old));
	pt_ctx_want_flush(ctx, gfn, level);
	if (is_leaf) {
		ctx->leaves[level]++;
		ctx->stat[CTX_LEAF_MAPPED]++;
	}
	return 0;
}

int pt_set(struct pt_ctx *ctx, struct pt_iter *it, pte_t new)
{
	const struct pt_format *f = ctx->fmt;
	pte_t old = it->old;
	bool bbm = pte_needs_bbm(f, old, new, it->level);
	pte_t first = bbm ? f->frozen : new;
	int r;

	if (unlikely(ctx->mirror))
		return pt_set_mirror(ctx, it, new);
	CHECK(!pte_is_frozen(f, old));
	if (ctx->shared) {
		if (!__atomic_compare_exchange_n(it->ptep, &it->old, first, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			ctx->stat[CTX_CAS_FAIL]++;
			return HV_EAGAIN;
		}
	} else {
		__atomic_store_n(it->ptep, first, __ATOMIC_RELEASE);
	}
	if (bbm) {
		/* Break: the entry is invalid; make every TLB forget it before the make. */
		ctx->stat[CTX_BBM]++;
		pt_ctx_flush_now(ctx, it->gfn, pt_level_pages(it->level));
	}
	r = pt_handle_change(ctx, it->gfn, old, new, it->level);
	if (bbm)
		__atomic_store_n(it->ptep, new, __ATOMIC_RELEASE);
	it->old = new;
	return r;
}

unsigned pt_fill_leaves(struct pt_ctx *ctx, struct pt_iter *it, unsigned n, pte_t tmpl, pfn_t pfn)
{
	const struct pt_format *f = ctx->fmt;
	unsigned room = pt_table_entries(f, it->level) - pt_index(f, it->gfn, it->level);
	u64 step = pt_level_pages(it->level);
	pte_t *p = it->ptep;
	pte_t new = 0;
	unsigned i;

	/* Mirror roots map one entry at a time through pt_set(): each one is a hook call. */
	CHECK(!ctx->mirror);
	n = MIN(n, room);
	for (i = 0; i < n; i++) {
		pte_t old = 0;

		new = make_leaf_pte(f, tmpl, pfn + i * step);
		if (ctx->shared) {
			if (!__atomic_compare_exchange_n(&p[i], &old, new, false, __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE))
				break;
		} else {
			if (__atomic_load_n(&p[i], __ATOMIC_RELAXED))
				break;
			__atomic_store_n(&p[i], new, __ATOMIC_RELEASE);
		}
		pt_handle_change(ctx, it->gfn + i * step, 0, new, it->level);
	}
	if (i) {
		it->ptep = p + i - 1;
		it->gfn += (i - 1) * step;
		it->old = make_leaf_pte(f, tmpl, pfn + (i - 1) * step);
	}
	return i;
}
