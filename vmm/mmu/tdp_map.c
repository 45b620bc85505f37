/*
 * Bulk mapping (prefault) into a vCPU's current root (contract in
 * hv/mmu/tdp.h, mmu_map_range()). One pre-order walk per slot segment: a hole
 * gets the largest leaf the slot allows there (as a fault would choose) or a
 * new table to descend into; existing leaves are kept, upgraded in place, or
 * split when they are too big for what must change. Runs shared (alongside
 * faults, compare-exchange) or exclusive (write lock, plain stores). On a
 * mirror root every entry goes through pt_set() (each is a hook call: no
 * bulk hole filling), and a hook failure that outlasts pt_should_retry()
 * ends the mapping with that error.
 */
#include <hv/check.h>
#include <hv/errno.h>

#include "pt_split.h"

struct map_seg {
	struct pt_ctx *ctx;
	const struct mmu_slot *slot;
	gfn_t start, end;
	u8 access;
	struct pt_attr attr; /* of an untracked gfn */
	u64 mapped;          /* 4 KiB pages covered by a suitable leaf */
	/* Leaf templates by level: [0] as attr, [1] without write (tracked gfns). */
	pte_t tmpl[2][PT_MAX_LEVELS + 1];
};

static void seg_templates(struct map_seg *m)
{
	const struct pt_format *f = m->ctx->fmt;
	struct pt_attr ro = m->attr;

	ro.perm &= (u8)~PT_W;
	for (int level = 1; level <= f->levels; level++) {
		if (!pt_level_can_be_leaf(f, level))
			continue;
		m->tmpl[0][level] = pt_leaf_template(f, m->attr, level);
		m->tmpl[1][level] = pt_leaf_template(f, ro, level);
	}
}

static pfn_t seg_pfn(const struct map_seg *m, gfn_t gfn)
{
	return m->slot->base_pfn + (gfn - m->slot->base_gfn);
}

static pte_t seg_leaf(const struct map_seg *m, gfn_t gfn, int level)
{
	/* A leaf above 4K never covers a tracked gfn (mmu_max_leaf_level). */
	bool ro = level == 1 && slot_gfn_is_tracked(m->slot, gfn);

	return make_leaf_pte(m->ctx->fmt, m->tmpl[ro][level], seg_pfn(m, gfn));
}

static u64 overlap(const struct pt_iter *it, gfn_t start, gfn_t end)
{
	gfn_t a = MAX(it->gfn, start), b = MIN(it->gfn + pt_level_pages(it->level), end);

	return b - a;
}

static int map_segment(struct map_seg *m)
{
	struct pt_ctx *ctx = m->ctx;
	const struct pt_format *f = ctx->fmt;
	struct pt_iter it;
	unsigned tries;
	int r;

	for_each_pte(&it, f, ctx->root->table, m->start, m->end, 1)
	{
		tries = 0;
	again:
		if (it.done)
			break;
		if (pte_is_frozen(f, it.old)) {
			/* Someone is mid-change, or this table is dead: re-walk from the root. */
			CHECK(ctx->shared);
			arch_cpu_relax();
			pt_iter_restart(&it);
			goto again;
		}
		if (pte_is_table(f, it.old, it.level))
			continue; /* descend */
		if (pte_is_present(f, it.old)) {
			bool fits =
			    it.level == 1 ||
			    (it.gfn >= m->start && it.gfn + pt_level_pages(it.level) <= m->end &&
			     mmu_max_leaf_level(ctx->vm, f, m->slot, it.gfn) >= it.level);

			if (pte_allows(f, it.old, m->access)) {
				m->mapped += overlap(&it, m->start, m->end);
				continue;
			}
			if (fits) {
				/* Same frames, more permission: rewrite in place. */
				r = pt_set(ctx, &it, seg_leaf(m, it.gfn, it.level));
				if (r)
					goto failed;
				m->mapped += overlap(&it, m->start, m->end);
				continue;
			}
			r = pt_split_leaf(ctx, &it);
			if (r)
				goto failed;
			continue; /* descend into the split table */
		}
		/* A hole: the biggest leaf that fits here, or a table to go down into. */
		if (it.level == 1 && !m->slot->tracked_gfns && !ctx->mirror) {
			/* A run of 4K holes: fill it in one go. */
			unsigned n =
			    pt_fill_leaves(ctx, &it, (unsigned)MIN(m->end - it.gfn, PT_ENTRIES),
					   m->tmpl[0][1], seg_pfn(m, it.gfn));

			if (!n) {
				/* The entry changed under us (shared mode): look again. */
				it.old = pt_read(it.ptep);
				goto again;
			}
			m->mapped += n;
			continue;
		}
		if (it.level == 1 ||
		    (pt_level_can_be_leaf(f, it.level) && it.gfn >= m->start &&
		     it.gfn + pt_level_pages(it.level) <= m->end &&
		     mmu_max_leaf_level(ctx->vm, f, m->slot, it.gfn) >= it.level)) {
			r = pt_set(ctx, &it, seg_leaf(m, it.gfn, it.level));
			if (r)
				goto failed;
			m->mapped += pt_level_pages(it.level);
			continue;
		}
		{
			pte_t *t = mmu_table_alloc(ctx->vm);

			if (!t)
				return HV_ENOMEM;
			r = pt_set(ctx, &it, make_table_pte(f, virt_to_phys(t)));
			if (r) {
				mmu_table_free(ctx->vm, t);
				goto failed;
			}
		}
		continue;
	failed:
		/* Another CPU changed the entry, or the mirror hook failed. */
		if (pt_should_retry(r, &tries))
			goto again;
		if (r != HV_ENOMEM)
			vm_stat_add(ctx->vm, MMU_STAT_MIRROR_GAVE_UP, 1);
		return r;
	}
	return 0;
}

/* The first slot that ends after gfn (covering it or above it), or NULL. */
static struct mmu_slot *slot_at_or_after(struct mmu_vm *vm, gfn_t gfn)
{
	u32 lo = 0, hi = vm->slot_count;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct mmu_slot *s = vm->slots[mid];

		if (s->base_gfn + s->npages <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < vm->slot_count ? vm->slots[lo] : NULL;
}

int mmu_map_range(struct mmu_vcpu *vc, gfn_t start, u64 count, u8 access, u32 flags, u64 *mapped)
{
	struct mmu_vm *vm = vc->vm;
	struct mmu_root *root = vc->root;
	bool shared = flags & MMU_OP_SHARED;
	u64 total = 0;
	gfn_t end, g;
	int r = 0;

	if (shared)
		mmu_read_lock(vm);
	else
		mmu_write_lock(vm);
	if (!root || !mmu_root_is_valid(root)) {
		r = HV_EAGAIN;
		goto out;
	}
	end = MIN(start + count < start ? ~0ull : start + count, pt_gfn_limit(root->fmt));
	for (g = start; g < end && !r;) {
		struct mmu_slot *s = slot_at_or_after(vm, g);
		struct pt_ctx ctx;
		struct map_seg m;

		if (!s || s->base_gfn >= end)
			break;
		m = (struct map_seg){
			.ctx = &ctx,
			.slot = s,
			.start = MAX(g, s->base_gfn),
			.end = MIN(end, s->base_gfn + s->npages),
			.access = access & (PT_R | PT_W | PT_X),
			.attr = { .perm = PT_R | PT_X | PT_U, .memtype = s->memtype },
		};
		if (s->flags & MMU_SLOT_NOEXEC) {
			m.attr.perm &= (u8)~PT_X;
			m.access &= (u8)~PT_X;
		}
		g = m.end;
		if (s->flags & MMU_SLOT_MMIO)
			continue;
		if (!(s->flags & MMU_SLOT_READONLY))
			m.attr.perm |= PT_W;
		else
			m.access &= (u8)~PT_W; /* what a fault could grant, no more */
		pt_ctx_init(&ctx, vm, root, shared);
		ctx.vcpu = vc;
		seg_templates(&m);
		r = map_segment(&m);
		pt_ctx_finish(&ctx);
		total += m.mapped;
	}
	vcpu_stat_add(vc, MMU_STAT_PREFAULT_PAGES, total);
out:
	if (shared)
		mmu_read_unlock(vm);
	else
		mmu_write_unlock(vm);
	if (mapped)
		*mapped = total;
	return r;
}
