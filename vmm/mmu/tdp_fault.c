/*
 * The TDP fault path (contract in hv/mmu/tdp.h, mmu_fault()).
 *
 * Runs under mmu_lock held for reading, in parallel with other faults and
 * with shared-mode range operations. It walks from the vCPU's current root
 * down to the goal level, linking new tables into holes and splitting a huge
 * leaf that is too big for what must be mapped, then installs or upgrades
 * one leaf. Every change is a compare-exchange against the value read; when
 * one fails the entry is re-examined with its fresh value, a bounded number
 * of times, then the fault gives up with MMU_FAULT_RETRY (the vCPU re-enters
 * the guest and faults again if it still has to). A frozen entry means
 * someone is in the middle of changing it (or the table is dead): retry.
 *
 * An existing table at the goal level is descended into rather than
 * replaced by a huge leaf: collapsing would need the subtree's other
 * mappings gone, and faults never take away what another vCPU mapped.
 *
 * On a mirror root a change can also fail in the set_external hook: busy
 * counts as a lost race (same bound: the entry is re-examined from its
 * current value, then MMU_FAULT_RETRY), no memory is MMU_FAULT_NOMEM, any
 * other error MMU_FAULT_EXTERNAL.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "pt_split.h"

#define FAULT_MAX_RACES 8

static const enum mmu_stat fault_stat[MMU_FAULT_RESULT_COUNT] = {
	[MMU_FAULT_MAPPED] = MMU_STAT_FAULT_MAPPED,
	[MMU_FAULT_SPURIOUS] = MMU_STAT_FAULT_SPURIOUS,
	[MMU_FAULT_RETRY] = MMU_STAT_FAULT_RETRY,
	[MMU_FAULT_MMIO] = MMU_STAT_FAULT_MMIO,
	[MMU_FAULT_READONLY] = MMU_STAT_FAULT_READONLY,
	[MMU_FAULT_EMULATE] = MMU_STAT_FAULT_EMULATE,
	[MMU_FAULT_NOMEM] = MMU_STAT_FAULT_NOMEM,
	[MMU_FAULT_EXTERNAL] = MMU_STAT_FAULT_EXTERNAL,
};

static const char *const fault_names[MMU_FAULT_RESULT_COUNT] = {
	[MMU_FAULT_MAPPED] = "mapped",     [MMU_FAULT_SPURIOUS] = "spurious",
	[MMU_FAULT_RETRY] = "retry",       [MMU_FAULT_MMIO] = "mmio",
	[MMU_FAULT_READONLY] = "readonly", [MMU_FAULT_EMULATE] = "emulate",
	[MMU_FAULT_NOMEM] = "nomem",       [MMU_FAULT_EXTERNAL] = "external",
};

const char *mmu_fault_result_name(enum mmu_fault_result r)
{
	return (unsigned)r < MMU_FAULT_RESULT_COUNT ? fault_names[r] : "?";
}

/* The next lower level that can hold a leaf (level 1 always can). */
static int lower_leaf_level(const struct pt_format *f, int level)
{
	do
		level--;
	while (level > 1 && !pt_level_can_be_leaf(f, level));
	return level;
}

struct fault {
	struct pt_ctx *ctx;
	const struct mmu_slot *slot;
	gfn_t gfn;
	u8 access;
	struct pt_attr attr;
	int goal; /* level of the leaf to install */
};

static pte_t fault_leaf(const struct fault *flt, int level)
{
	const struct pt_format *f = flt->ctx->fmt;
	const struct mmu_slot *s = flt->slot;
	gfn_t first = ALIGN_DOWN(flt->gfn, pt_level_pages(level));

	return make_leaf_pte(f, pt_leaf_template(f, flt->attr, level),
			     s->base_pfn + (first - s->base_gfn));
}

/*
 * A change failed with r: true if the entry is to be looked at again (a
 * lost race, a busy external table); otherwise *res says how the fault ends.
 */
static bool fault_may_retry(int r, enum mmu_fault_result *res)
{
	if (r == HV_EAGAIN || r == HV_EBUSY)
		return true;
	*res = r == HV_ENOMEM ? MMU_FAULT_NOMEM : MMU_FAULT_EXTERNAL;
	return false;
}

static enum mmu_fault_result fault_walk(struct fault *flt)
{
	struct pt_ctx *ctx = flt->ctx;
	const struct pt_format *f = ctx->fmt;
	enum mmu_fault_result res;
	unsigned races = 0;
	struct pt_iter it;
	int r;

	pt_iter_start(&it, f, ctx->root->table, flt->gfn, flt->gfn + 1, 1);
	for (;;) {
		if (pte_is_frozen(f, it.old))
			return MMU_FAULT_RETRY;
		if (races > FAULT_MAX_RACES)
			return MMU_FAULT_RETRY;

		if (it.level > flt->goal) {
			if (!pte_is_present(f, it.old)) {
				pte_t *t = mmu_table_alloc(ctx->vm);

				if (!t)
					return MMU_FAULT_NOMEM;
				r = pt_set(ctx, &it, make_table_pte(f, virt_to_phys(t)));
				if (r) {
					/* Never linked: nobody saw it. */
					mmu_table_free(ctx->vm, t);
					if (!fault_may_retry(r, &res))
						return res;
					races++;
					continue;
				}
			} else if (pte_is_leaf(f, it.old, it.level)) {
				if (pte_allows(f, it.old, flt->access))
					return MMU_FAULT_SPURIOUS;
				r = pt_split_leaf(ctx, &it);
				if (r) {
					if (!fault_may_retry(r, &res))
						return res;
					races++;
					continue;
				}
			}
			CHECK(pt_iter_down(&it));
			continue;
		}

		if (pte_is_present(f, it.old) && !pte_is_leaf(f, it.old, it.level)) {
			/* Smaller mappings exist here: map at the next leaf size down. */
			flt->goal = lower_leaf_level(f, it.level);
			CHECK(pt_iter_down(&it));
			continue;
		}
		if (pte_is_present(f, it.old) && pte_allows(f, it.old, flt->access))
			return MMU_FAULT_SPURIOUS;
		/* A hole, or a leaf lacking a permission the slot grants: (re)write it. */
		r = pt_set(ctx, &it, fault_leaf(flt, it.level));
		if (!r)
			return MMU_FAULT_MAPPED;
		if (!fault_may_retry(r, &res))
			return res;
		races++;
	}
}

enum mmu_fault_result mmu_fault(struct mmu_vcpu *vc, gpa_t gpa, u8 access)
{
	struct mmu_vm *vm = vc->vm;
	struct mmu_root *root = vc->root;
	gfn_t gfn = gpa_to_gfn(gpa);
	enum mmu_fault_result res;
	struct mmu_slot *s;
	struct pt_ctx ctx;
	struct fault flt;

	mmu_read_lock(vm);
	if (!root || !mmu_root_is_valid(root)) {
		res = MMU_FAULT_RETRY;
		goto out;
	}
	s = mmu_slot_lookup(vm, gfn);
	if (!s || (s->flags & MMU_SLOT_MMIO) || gfn >= pt_gfn_limit(root->fmt) ||
	    ((access & PT_X) && (s->flags & MMU_SLOT_NOEXEC))) {
		res = MMU_FAULT_MMIO;
		goto out;
	}
	if (access & PT_W) {
		if (s->flags & MMU_SLOT_READONLY) {
			res = MMU_FAULT_READONLY;
			goto out;
		}
		if (slot_gfn_is_tracked(s, gfn)) {
			res = MMU_FAULT_EMULATE;
			goto out;
		}
	}
	pt_ctx_init(&ctx, vm, root, true);
	ctx.vcpu = vc;
	flt = (struct fault){
		.ctx = &ctx,
		.slot = s,
		.gfn = gfn,
		.access = access & (PT_R | PT_W | PT_X),
		.attr = {
			.perm = PT_R | PT_U | ((s->flags & MMU_SLOT_NOEXEC) ? 0 : PT_X),
			.memtype = s->memtype,
		},
		.goal = mmu_max_leaf_level(vm, root->fmt, s, gfn),
	};
	/* Writable unless the slot or tracking forbids it (huge leaves never cover tracked gfns). */
	if (!(s->flags & MMU_SLOT_READONLY) && !slot_gfn_is_tracked(s, gfn))
		flt.attr.perm |= PT_W;
	res = fault_walk(&flt);
	pt_ctx_finish(&ctx);
out:
	mmu_read_unlock(vm);
	vcpu_stat_inc(vc, fault_stat[res]);
	log_trace("mmu: %s: fault gpa %#llx access %#x: %s", vm->name,
		  (unsigned long long)gpa_val(gpa), access, fault_names[res]);
	return res;
}
