/*
 * The one way an entry changes. Every write of an entry in a tree the
 * engine owns goes through pt_set() (or pt_handle_change() for entries of a
 * subtree being torn down), which derives from (old, new, level, gfn):
 *
 *   - the subtree to tear down when a present table entry is replaced: each
 *     of its entries in turn "changes" to non-present through this same
 *     function, so statistics (and later the mirror hook) see every removal;
 *     the unlinked tables are freed only after the TLB flush and only when no
 *     software walker can still hold them (docs/mmu.md, "Freeing");
 *   - whether cached translations must be flushed: a present leaf that loses
 *     a permission, its frame or its memory type, or any present entry that
 *     is removed; gaining permissions or filling a hole needs no flush;
 *   - break-before-make where the format needs it: the entry is frozen, the
 *     TLB flushed, then the new value written;
 *   - leaf counts by size and the policy counters.
 *
 * Effects are collected in a pt_ctx for the duration of one operation on one
 * root and applied by pt_ctx_finish(): one TLB flush covering every change,
 * then the freeing (or deferral) of unlinked tables, then the statistics.
 *
 * Two modes: shared (mmu_lock held for reading; entries change by
 * compare-exchange and a failure is reported so the caller re-reads) and
 * exclusive (mmu_lock held for writing, or a tree nobody else can reach;
 * plain atomic stores).
 *
 * The mirror role plugs in at pt_set(): for a mirror root every change goes
 * to pt_set_mirror() (pt_mirror.c, docs/mirror.md), which freezes the entry,
 * calls the VM's set_external hook, then writes new or puts old back and
 * returns the hook's error. Only mirror roots make pt_set() fail with
 * anything but HV_EAGAIN. pt_handle_change() itself never calls the hook:
 * it derives the local effects of a change the hook already accepted.
 */
#ifndef VMM_MMU_PT_CHANGE_H
#define VMM_MMU_PT_CHANGE_H

#include <hv/errno.h>

#include "mmu_internal.h"
#include "pt_iter.h"

/* Counters an operation accumulates before folding them into the VM or vCPU. */
enum pt_ctx_stat {
	CTX_LEAF_MAPPED,
	CTX_LEAF_ZAPPED,
	CTX_LEAF_WRPROT,
	CTX_LEAF_UPGRADED,
	CTX_TABLE_ZAPPED,
	CTX_SPLIT,
	CTX_BBM,
	CTX_CAS_FAIL,
	CTX_TLB_FLUSH,
	CTX_TABLE_DEFERRED,
	CTX_STAT_COUNT,
};

struct pt_ctx {
	struct mmu_vm *vm;
	struct mmu_root *root;
	const struct pt_format *fmt;
	struct mmu_vcpu *vcpu; /* statistics go to this vCPU if set (no atomics) */
	bool shared;
	bool mirror; /* the root mirrors an external table: changes go through the hook */

	bool flush; /* some change needs a flush of [flush_start, flush_end) */
	gfn_t flush_start, flush_end;

	pte_t *dead_head, *dead_tail; /* unlinked tables, chained through entry 0 */

	s32 leaves[PT_MAX_LEVELS + 1];
	u32 stat[CTX_STAT_COUNT];
};

static inline void pt_ctx_init(struct pt_ctx *ctx, struct mmu_vm *vm, struct mmu_root *root,
			       bool shared)
{
	*ctx = (struct pt_ctx){
		.vm = vm,
		.root = root,
		.fmt = root->fmt,
		.shared = shared,
		.mirror = mmu_role_is_mirror(root->role),
	};
}

/* Flush what needs flushing, dispose of unlinked tables, fold the statistics. */
void pt_ctx_finish(struct pt_ctx *ctx);

/* Flush [start, start + count) now (break-before-make). */
void pt_ctx_flush_now(struct pt_ctx *ctx, gfn_t start, u64 count);

/*
 * The helpers below are inline: they sit in the loops that tear tables down
 * (pt_change.c for normal roots, pt_mirror.c for mirror roots).
 */

/* Widen the operation's pending flush to cover the entry at (gfn, level). */
static inline void pt_ctx_want_flush(struct pt_ctx *ctx, gfn_t gfn, int level)
{
	gfn_t end = gfn + pt_level_pages(level);

	if (!ctx->flush) {
		ctx->flush = true;
		ctx->flush_start = gfn;
		ctx->flush_end = end;
		return;
	}
	ctx->flush_start = MIN(ctx->flush_start, gfn);
	ctx->flush_end = MAX(ctx->flush_end, end);
}

/*
 * Put an unlinked table on the context's dead list, freed after the flush
 * (docs/mmu.md, "Freeing"): its entry 0 becomes the link, the format's
 * frozen marker plus the next dead table's frame number.
 */
static inline void pt_ctx_retire_table(struct pt_ctx *ctx, pte_t *table)
{
	const struct pt_format *f = ctx->fmt;
	pfn_t next = ctx->dead_head ? hpa_to_pfn(virt_to_phys(ctx->dead_head)) : 0;

	__atomic_store_n(&table[0], f->frozen | pte_pfn_bits(f, next), __ATOMIC_RELEASE);
	if (ctx->shared)
		ctx->stat[CTX_TABLE_DEFERRED]++;
	if (!ctx->dead_tail)
		ctx->dead_tail = table;
	ctx->dead_head = table;
}

/*
 * Take one entry of a table being torn down. Shared mode swaps in the frozen
 * value so that a walker's compare-exchange on it fails from now on; if the
 * entry is frozen by someone in the middle of a change, wait for them to
 * write their result (they never wait on us) and take that. Exclusive mode
 * just reads it. Returns the value the entry held.
 */
static inline pte_t pt_take_entry(struct pt_ctx *ctx, pte_t *p)
{
	const struct pt_format *f = ctx->fmt;
	pte_t old;

	if (!ctx->shared)
		return __atomic_load_n(p, __ATOMIC_RELAXED);
	for (;;) {
		old = __atomic_exchange_n(p, f->frozen, __ATOMIC_ACQ_REL);
		if (old != f->frozen)
			return old;
		while (__atomic_load_n(p, __ATOMIC_ACQUIRE) == f->frozen)
			arch_cpu_relax();
	}
}

int pt_handle_change_slow(struct pt_ctx *ctx, gfn_t gfn, pte_t old, pte_t new, int level);

/*
 * Derive everything a change of the entry at (gfn, level) from old to new
 * implies. Inline for the common case of a leaf filling a hole (faults and
 * bulk mapping), out of line for everything else.
 */
static inline int pt_handle_change(struct pt_ctx *ctx, gfn_t gfn, pte_t old, pte_t new, int level)
{
	const struct pt_format *f = ctx->fmt;

	if (likely(!pte_is_present(f, old) && pte_is_present_leaf(f, new, level))) {
		ctx->leaves[level]++;
		ctx->stat[CTX_LEAF_MAPPED]++;
		return 0;
	}
	return pt_handle_change_slow(ctx, gfn, old, new, level);
}

/*
 * Change the iterator's entry from it->old to new. Shared mode: a
 * compare-exchange; if the entry no longer holds it->old, returns HV_EAGAIN
 * with it->old refreshed and nothing changed. Exclusive mode always succeeds
 * on a normal root. On success it->old = new.
 *
 * On a mirror root (pt_set_mirror) it can also fail with the hook's error
 * (HV_EBUSY, HV_ENOMEM, a refusal) or HV_EPERM for a table -> leaf merge;
 * then the entry holds its old value again and it->old is re-read from
 * memory, so a caller that retries works from the current value.
 */
int pt_set(struct pt_ctx *ctx, struct pt_iter *it, pte_t new);

/* pt_set() for a mirror root (pt_mirror.c). */
int pt_set_mirror(struct pt_ctx *ctx, struct pt_iter *it, pte_t new);

/*
 * After pt_set() or pt_split_leaf() failed with r on the iterator's entry
 * (it->old refreshed): look at the entry again? Always after HV_EAGAIN
 * (another CPU changed it, which is progress); after a busy mirror hook up
 * to MMU_MIRROR_TRIES times per entry (*tries counts them); never after
 * anything else. This is what keeps a persistently failing hook from
 * turning a range operation into a livelock.
 */
static inline bool pt_should_retry(int r, unsigned *tries)
{
	return r == HV_EAGAIN || (r == HV_EBUSY && ++*tries < MMU_MIRROR_TRIES);
}

/*
 * Fill consecutive empty entries from the iterator's on, in its table, with
 * leaves tmpl + frame (pfn, pfn + step, ...), at most n of them: the bulk
 * form of pt_set() for hole filling, where nothing can need a flush or
 * break-before-make. Stops at the first entry that is not empty (shared
 * mode: or whose compare-exchange fails). Returns how many were filled and
 * leaves the iterator on the last one filled (unchanged if none).
 */
unsigned pt_fill_leaves(struct pt_ctx *ctx, struct pt_iter *it, unsigned n, pte_t tmpl, pfn_t pfn);

/*
 * Tear down a whole tree (a dying root): every entry changes to non-present.
 * For a mirror root every removal is offered to the hook, children first;
 * a root cannot refuse to die, so what the hook still refuses after
 * MMU_MIRROR_TRIES is counted (MIRROR_TEARDOWN_FORCED) and removed from the
 * mirror anyway. Returns the number of such forced removals.
 */
u64 pt_remove_tree(struct pt_ctx *ctx, pte_t *table, int level, gfn_t base_gfn);

/* pt_remove_tree() for a mirror root (pt_mirror.c). */
u64 pt_mirror_remove_tree(struct pt_ctx *ctx, pte_t *table, int level, gfn_t base_gfn);

#endif /* VMM_MMU_PT_CHANGE_H */
