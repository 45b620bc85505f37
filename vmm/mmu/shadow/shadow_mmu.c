/*
 * The shadow MMU object: creation, teardown exactly once (seed 004), the
 * lock, invalidate-all, L1's flushes, and the hooks the engine calls when
 * L1's side changes (memslots, zaps and write-protection in L1's TDP).
 *
 * Locking: everything runs under L1's mmu_lock held for writing, as KVM's
 * shadow MMU does. shadow_lock() takes it through the engine (which frees
 * tables that readers deferred); the hooks are called with it held.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "shadow_internal.h"

void shadow_lock(struct shadow_mmu *sm)
{
	mmu_write_lock(sm->vm);
}

void shadow_unlock(struct shadow_mmu *sm)
{
	mmu_write_unlock(sm->vm);
}

/* --- the default guest-memory seam: L1 RAM through its memslots ----------------------------- */

static u64 *slot_word(struct mmu_vm *vm, gpa_t gpa)
{
	gfn_t gfn = gpa_to_gfn(gpa);
	struct mmu_slot *s = mmu_slot_lookup(vm, gfn);

	if (!s || (s->flags & MMU_SLOT_MMIO) || !IS_ALIGNED(gpa_val(gpa), sizeof(u64)))
		return NULL;
	return (u64 *)phys_to_virt(hpa(hpa_val(pfn_to_hpa(s->base_pfn + (gfn - s->base_gfn))) +
				       (gpa_val(gpa) & (PAGE_SIZE - 1))));
}

static int slots_read(void *arg, gpa_t gpa, u64 *val)
{
	struct shadow_mmu *sm = arg;
	u64 *p = slot_word(sm->vm, gpa);

	if (!p)
		return HV_EFAULT;
	/* L1 may write it right now from another CPU: one untorn load. */
	*val = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return 0;
}

static int slots_cmpxchg(void *arg, gpa_t gpa, u64 *expected, u64 new_val)
{
	struct shadow_mmu *sm = arg;
	u64 *p = slot_word(sm->vm, gpa);

	if (!p)
		return HV_EFAULT;
	return __atomic_compare_exchange_n(p, expected, new_val, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE)
		   ? 0
		   : HV_EAGAIN;
}

static const struct shadow_mem_ops slots_mem_ops = {
	.read = slots_read,
	.cmpxchg = slots_cmpxchg,
};

/* --- creation and teardown -------------------------------------------------------------------- */

struct shadow_mmu *shadow_mmu_create(struct mmu_vm *vm, const struct shadow_config *cfg, int *err)
{
	struct shadow_mmu *sm;

	if ((cfg->mem && (!cfg->mem->read || !cfg->mem->cmpxchg)) ||
	    (cfg->max_pages && cfg->max_pages < SHADOW_MIN_MAX_PAGES)) {
		log_err("shadow: %s: bad configuration (memory seam incomplete or quota %u < %u)",
			vm->name, cfg->max_pages, SHADOW_MIN_MAX_PAGES);
		*err = HV_EINVAL;
		return NULL;
	}
	sm = hv_zalloc(sizeof(*sm));
	if (!sm) {
		*err = HV_ENOMEM;
		return NULL;
	}
	sm->vm = vm;
	sm->mem = cfg->mem ? cfg->mem : &slots_mem_ops;
	sm->mem_arg = cfg->mem ? cfg->mem_arg : sm;
	sm->tlb_flush = cfg->tlb_flush;
	sm->tlb_arg = cfg->tlb_arg;
	sm->max_pages = cfg->max_pages ? cfg->max_pages : SHADOW_DEFAULT_MAX_PAGES;
	sm->no_orphan_zap = cfg->no_orphan_zap;
	shadow_hash_init(sm);

	mmu_write_lock(vm);
	if (vm->shadow) {
		mmu_write_unlock(vm);
		hv_free(sm);
		log_err("shadow: %s: already has a shadow MMU", vm->name);
		*err = HV_EEXIST;
		return NULL;
	}
	WRITE_ONCE(vm->shadow, sm);
	mmu_write_unlock(vm);
	log_debug("shadow: %s: shadow MMU created, quota %u pages%s", vm->name, sm->max_pages,
		  sm->no_orphan_zap ? ", old orphan behaviour" : "");
	*err = 0;
	return sm;
}

struct shadow_mmu *shadow_mmu_of(struct mmu_vm *vm)
{
	return READ_ONCE(vm->shadow);
}

void shadow_mmu_destroy(struct mmu_vm *vm)
{
	struct shadow_mmu *sm;
	struct sp_ctx c;

	mmu_write_lock(vm);
	sm = vm->shadow;
	if (!sm) {
		/* Torn down already (another path got here first): nothing to do. */
		mmu_write_unlock(vm);
		return;
	}
	/* Every vCPU is gone, so no root is referenced: nothing can stay obsolete. */
	CHECK(list_empty(&sm->vcpus) && !sm->roots_in_use && !sm->obsolete_count);
	sp_ctx_init(&c, sm);
	sp_zap_all(&c, SHADOW_STAT_ZAP_INVALIDATE);
	sp_ctx_finish(&c);
	CHECK(!sm->pages && !sm->unsync_count);
	rmap_destroy(sm);
	WRITE_ONCE(vm->shadow, NULL);
	mmu_write_unlock(vm);
	log_debug("shadow: %s: shadow MMU torn down", vm->name);
	hv_free(sm);
}

void shadow_set_no_orphan_zap(struct shadow_mmu *sm, bool old_behaviour)
{
	shadow_lock(sm);
	sm->no_orphan_zap = old_behaviour;
	shadow_unlock(sm);
}

void shadow_invalidate_all(struct shadow_mmu *sm)
{
	struct sp_ctx c;

	shadow_lock(sm);
	sp_ctx_init(&c, sm);
	sp_zap_all(&c, SHADOW_STAT_ZAP_INVALIDATE);
	sp_ctx_finish(&c);
	shadow_unlock(sm);
}

/* --- L1 flushes ------------------------------------------------------------------------------- */

/* The last-level shadow page mapping l2_gfn under root, or NULL. */
static struct shadow_page *last_level_page(struct shadow_mmu *sm, struct shadow_page *root,
					   gfn_t l2_gfn)
{
	const struct pt_format *f = root->fmt;
	struct shadow_page *sp = root;

	if (l2_gfn >= pt_gfn_limit(f))
		return NULL;
	while (sp_level(sp) > 1) {
		pte_t e = sp->spt[pt_index(f, l2_gfn, sp_level(sp))];

		if (!pte_is_table(f, e, sp_level(sp)))
			return NULL;
		sp = sp_of_table(sm, pt_table_ptr(f, e));
	}
	return sp;
}

void shadow_flush(struct shadow_vcpu *sv, enum shadow_flush_scope scope, gpa_t l2_gpa)
{
	struct shadow_mmu *sm = sv->sm;
	struct sp_ctx c;

	shadow_lock(sm);
	sp_ctx_init(&c, sm);
	sm_stat(sm, SHADOW_STAT_FLUSH_REQ, 1);
	if (scope == SHADOW_FLUSH_GPA) {
		struct shadow_page *sp = NULL;

		if (sv->root && !sp_is_zapped(sv->root))
			sp = last_level_page(sm, sv->root, gpa_to_gfn(l2_gpa));
		if (sp && sp->unsync)
			sp_sync(&c, sp);
	} else {
		sp_sync_all(&c);
	}
	sp_ctx_finish(&c);
	shadow_unlock(sm);
}

/* --- hooks from the engine (declared in mmu_internal.h) ------------------------------------- */

static bool slot_match(const struct shadow_page *sp, gfn_t start, gfn_t end)
{
	return !sp_is_direct(sp) && sp->gfn < end && sp->gfn + sp_guest_pages(sp) > start;
}

void mmu_nested_slot_removed(struct mmu_vm *vm, const struct mmu_slot *s)
{
	struct shadow_mmu *sm = vm->shadow;
	struct shadow_page *sp, *tmp, **list;
	gfn_t start, end;
	struct sp_ctx c;
	u64 n = 0;

	if (!sm)
		return;
	sm_assert_locked(sm);
	start = s->base_gfn;
	end = s->base_gfn + s->npages;
	sp_ctx_init(&c, sm);
	/*
	 * Seed 001: exactly the pages shadowing guest tables that lie (partly)
	 * in the slot; never direct pages, whose gfn only says which L1 range
	 * they split (their leaves into the slot go with the range zap that
	 * follows). One pass over the valid pages, whatever the slot's size.
	 * Zapping one page may zap others (children), which stay allocated
	 * until the context finishes: collect first, then zap what is left.
	 */
	list = hv_zalloc((sm->valid_pages + 1) * sizeof(*list));
	if (!list) {
	restart: /* no memory for the list: rescan after each zap */
		list_for_each_entry_safe (sp, tmp, &sm->lru, lru_link) {
			if (!slot_match(sp, start, end))
				continue;
			sp_zap(&c, sp, SHADOW_STAT_ZAP_MEMSLOT);
			goto restart;
		}
	} else {
		list_for_each_entry (sp, &sm->lru, lru_link)
			if (slot_match(sp, start, end))
				list[n++] = sp;
		for (u64 i = 0; i < n; i++)
			sp_zap(&c, list[i], SHADOW_STAT_ZAP_MEMSLOT);
		hv_free(list);
	}
	sp_ctx_finish(&c);
}

void mmu_nested_range_zapped(struct mmu_vm *vm, gfn_t start, gfn_t end)
{
	struct shadow_mmu *sm = vm->shadow;
	struct sp_ctx c;

	if (!sm)
		return;
	sm_assert_locked(sm);
	sp_ctx_init(&c, sm);
	rmap_zap_range(&c, start, end);
	sp_ctx_finish(&c);
}

void mmu_nested_range_protected(struct mmu_vm *vm, gfn_t start, gfn_t end)
{
	struct shadow_mmu *sm = vm->shadow;
	struct sp_ctx c;

	if (!sm)
		return;
	sm_assert_locked(sm);
	sp_ctx_init(&c, sm);
	rmap_protect_range(&c, start, end);
	sp_ctx_finish(&c);
}

void mmu_nested_vm_destroy(struct mmu_vm *vm)
{
	shadow_mmu_destroy(vm);
}
