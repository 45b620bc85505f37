/*
 * TDP roots and the per-vCPU root cache (seed 002).
 *
 * A root is created with one reference for the vCPU that asked and one for
 * the MMU itself (unless the VM's no_root_preserve knob is set), so it
 * survives every vCPU unloading it: the next load finds it in the VM's list
 * with its mappings, allocating nothing and taking no fault. A root dies only
 * after it is invalidated (the MMU's reference goes) and its last user puts
 * it; the put that takes the count to zero is the one that frees, so it is
 * freed exactly once. Iterators over the VM's roots hold a reference too, and
 * a root whose count reached zero is skipped, never revived.
 *
 * Each vCPU caches its current root and MMU_PREV_ROOTS previous ones, most
 * recent first; loading a cached root promotes it, a new one pushes the
 * least recent out (its reference dropped).
 *
 * A mirror root (docs/mirror.md) is a root like the others, with three
 * differences: it always has the MMU's reference, invalidation leaves it
 * alone (its tree mirrors an external table and cannot be dropped and
 * rebuilt like a cache), and a VM has at most one (one role: mirror plus
 * its levels, no SMM or guest mode). It dies with the VM, and its teardown
 * tells the external table about every removal.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "pt_change.h"

const struct pt_format *mmu_format_for_role(struct mmu_vm *vm, mmu_role_t role)
{
	unsigned levels = mmu_role_levels(role);

	return levels <= PT_MAX_LEVELS ? vm->formats[levels] : NULL;
}

hpa_t mmu_root_hpa(const struct mmu_root *root)
{
	return virt_to_phys(root->table);
}

mmu_role_t mmu_root_role(const struct mmu_root *root)
{
	return root->role;
}

const struct pt_format *mmu_root_format(const struct mmu_root *root)
{
	return root->fmt;
}

bool mmu_root_is_valid(const struct mmu_root *root)
{
	return !__atomic_load_n(&root->invalid, __ATOMIC_ACQUIRE);
}

void mmu_root_get(struct mmu_root *root)
{
	u32 old = __atomic_fetch_add(&root->refcount, 1, __ATOMIC_RELAXED);

	CHECK(old > 0);
}

/* Take a reference unless the root is already dying. roots_lock held. */
static bool root_get_unless_zero(struct mmu_root *root)
{
	u32 n = __atomic_load_n(&root->refcount, __ATOMIC_RELAXED);

	while (n) {
		if (__atomic_compare_exchange_n(&root->refcount, &n, n + 1, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/*
 * The last reference is gone: nobody can reach the root from the VM's list
 * any more (get_unless_zero fails on it), no vCPU runs on it and no software
 * walker is inside it. Flush the whole root so the hardware forgets it, then
 * free its tables.
 */
static void root_free(struct mmu_root *root)
{
	struct mmu_vm *vm = root->vm;
	const struct pt_format *f = root->fmt;
	struct pt_ctx ctx;

	spin_lock(&vm->roots_lock);
	list_del(&root->link);
	spin_unlock(&vm->roots_lock);

	pt_ctx_init(&ctx, vm, root, false);
	if (pt_remove_tree(&ctx, root->table, f->levels, 0))
		log_err("mmu: %s: mirror root torn down although the external table refused some "
			"removals (see MIRROR_TEARDOWN_FORCED); its owner must reclaim them",
			vm->name);
	/* Whole-root flush: also covers a root table address about to be reused. */
	ctx.flush = false;
	ctx.stat[CTX_TLB_FLUSH]++;
	if (vm->tlb_flush)
		vm->tlb_flush(vm->tlb_arg, root, 0, 0);
	pt_ctx_finish(&ctx);
	mmu_free_chain(vm, f, __atomic_exchange_n(&root->deferred, NULL, __ATOMIC_ACQUIRE));

	page_free_contig(root->table, f->root_pages);
	vm_stat_add(vm, MMU_STAT_TABLE_FREE, f->root_pages);
	__atomic_fetch_sub(&vm->tables, f->root_pages, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&vm->root_count, 1, __ATOMIC_RELAXED);
	vm_stat_add(vm, MMU_STAT_ROOT_FREE, 1);
	log_debug("mmu: %s: freed root role %#x", vm->name, root->role);
	hv_free(root);
}

void mmu_root_put(struct mmu_root *root)
{
	u32 left = __atomic_sub_fetch(&root->refcount, 1, __ATOMIC_ACQ_REL);

	CHECK(left != (u32)-1);
	if (!left)
		root_free(root);
}

struct mmu_root *mmu_root_next(struct mmu_vm *vm, struct mmu_root *prev)
{
	struct mmu_root *found = NULL;
	struct list_node *n;

	spin_lock(&vm->roots_lock);
	/* prev is still linked: we hold a reference on it. */
	for (n = prev ? prev->link.next : vm->roots.next; n != &vm->roots; n = n->next) {
		struct mmu_root *r = list_entry(n, struct mmu_root, link);

		if (root_get_unless_zero(r)) {
			found = r;
			break;
		}
	}
	spin_unlock(&vm->roots_lock);
	if (prev)
		mmu_root_put(prev);
	return found;
}

/* The VM's valid root with this role, with a reference taken; NULL if none. roots_lock held. */
static struct mmu_root *root_find_locked(struct mmu_vm *vm, mmu_role_t role)
{
	struct mmu_root *r;

	list_for_each_entry (r, &vm->roots, link) {
		if (r->role == role && !__atomic_load_n(&r->invalid, __ATOMIC_RELAXED) &&
		    root_get_unless_zero(r))
			return r;
	}
	return NULL;
}

/*
 * Find or create the valid root for role, with a reference for the caller.
 * *created tells which. The root table is allocated outside roots_lock; if
 * another vCPU created the same role meanwhile, ours is dropped, so there is
 * never more than one valid root per role.
 */
static struct mmu_root *root_get_or_create(struct mmu_vm *vm, mmu_role_t role,
					   const struct pt_format *f, bool *created)
{
	struct mmu_root *r, *fresh;

	*created = false;
	spin_lock(&vm->roots_lock);
	r = root_find_locked(vm, role);
	spin_unlock(&vm->roots_lock);
	if (r)
		return r;

	fresh = hv_zalloc(sizeof(*fresh));
	if (!fresh)
		return NULL;
	fresh->table = page_alloc_contig(f->root_pages);
	if (!fresh->table) {
		hv_free(fresh);
		return NULL;
	}
	fresh->fmt = f;
	fresh->role = role;
	fresh->vm = vm;
	/* A mirror root is never dropped with its last vCPU: only the VM's end frees it. */
	fresh->mmu_ref = vm->preserve_roots || mmu_role_is_mirror(role);
	fresh->refcount = fresh->mmu_ref ? 2 : 1;

	spin_lock(&vm->roots_lock);
	r = root_find_locked(vm, role);
	if (!r) {
		list_add_tail(&fresh->link, &vm->roots);
		r = fresh;
		fresh = NULL;
	}
	spin_unlock(&vm->roots_lock);
	if (fresh) {
		page_free_contig(fresh->table, f->root_pages);
		hv_free(fresh);
		return r;
	}
	*created = true;
	vm_stat_add(vm, MMU_STAT_TABLE_ALLOC, f->root_pages);
	__atomic_fetch_add(&vm->tables, f->root_pages, __ATOMIC_RELAXED);
	__atomic_fetch_add(&vm->root_count, 1, __ATOMIC_RELAXED);
	vm_stat_add(vm, MMU_STAT_ROOT_CREATE, 1);
	log_debug("mmu: %s: new root role %#x (%s) at %#llx", vm->name, role, f->name,
		  (unsigned long long)hpa_val(mmu_root_hpa(r)));
	return r;
}

void mmu_roots_invalidate(struct mmu_vm *vm, bool mirror_too)
{
	struct mmu_root *r;

	mmu_write_lock(vm);
	for_each_root(vm, r)
	{
		bool drop;

		if (mmu_role_is_mirror(r->role) && !mirror_too)
			continue;
		spin_lock(&vm->roots_lock);
		drop = !r->invalid && r->mmu_ref;
		if (!r->invalid) {
			__atomic_store_n(&r->invalid, 1, __ATOMIC_RELEASE);
			vm_stat_add(vm, MMU_STAT_ROOT_INVALIDATE, 1);
		}
		if (drop)
			r->mmu_ref = 0;
		spin_unlock(&vm->roots_lock);
		/* The iteration's own reference keeps r alive until the next step. */
		if (drop)
			mmu_root_put(r);
	}
	mmu_write_unlock(vm);
}

void mmu_invalidate_all_roots(struct mmu_vm *vm)
{
	mmu_roots_invalidate(vm, false);
}

/*
 * A mirror role is usable if the VM has the hook, the role carries no other
 * flag (SMM or guest mode would need a second external table), and it has
 * the levels of the VM's mirror root if one was made before. The first
 * mirror load fixes the levels. roots_lock taken here.
 */
static int mirror_role_check(struct mmu_vm *vm, mmu_role_t role)
{
	const char *why = NULL;

	if (!mmu_role_is_mirror(role))
		return 0;
	if (!vm->set_external)
		why = "the VM has no set_external hook";
	else if (role & (MMU_ROLE_FLAGS_MASK & ~MMU_ROLE_MIRROR))
		why = "a mirror root cannot also be SMM or guest mode";
	if (!why) {
		spin_lock(&vm->roots_lock);
		if (!vm->mirror_levels)
			vm->mirror_levels = (u8)mmu_role_levels(role);
		else if (vm->mirror_levels != mmu_role_levels(role))
			why = "the VM already has a mirror root with other levels";
		spin_unlock(&vm->roots_lock);
	}
	if (why) {
		log_err("mmu: %s: mirror role %#x: %s", vm->name, role, why);
		return HV_EINVAL;
	}
	return 0;
}

struct mmu_root *mmu_vm_mirror_root(struct mmu_vm *vm)
{
	struct mmu_root *r, *found = NULL;

	spin_lock(&vm->roots_lock);
	list_for_each_entry (r, &vm->roots, link) {
		/* Never invalidated before the VM dies: the MMU's reference keeps it alive. */
		if (mmu_role_is_mirror(r->role) &&
		    !__atomic_load_n(&r->invalid, __ATOMIC_RELAXED)) {
			found = r;
			break;
		}
	}
	spin_unlock(&vm->roots_lock);
	return found;
}

/* --- per-vCPU cache ------------------------------------------------------------------------ */

struct mmu_root *mmu_vcpu_root(const struct mmu_vcpu *vc)
{
	return vc->root;
}

bool mmu_vcpu_root_is_valid(const struct mmu_vcpu *vc)
{
	return vc->root && mmu_root_is_valid(vc->root);
}

unsigned mmu_vcpu_cached_roles(const struct mmu_vcpu *vc, mmu_role_t roles[1 + MMU_PREV_ROOTS])
{
	unsigned n = 0;

	if (vc->root)
		roles[n++] = vc->root->role;
	for (unsigned i = 0; i < MMU_PREV_ROOTS && vc->prev[i]; i++)
		roles[n++] = vc->prev[i]->role;
	return n;
}

/* Drop invalidated roots from the cache, keeping the order of the others. */
static void vcpu_drop_invalid(struct mmu_vcpu *vc)
{
	unsigned kept = 0;

	if (vc->root && !mmu_root_is_valid(vc->root)) {
		mmu_root_put(vc->root);
		vc->root = NULL;
	}
	for (unsigned i = 0; i < MMU_PREV_ROOTS; i++) {
		struct mmu_root *r = vc->prev[i];

		vc->prev[i] = NULL;
		if (!r)
			continue;
		if (mmu_root_is_valid(r))
			vc->prev[kept++] = r;
		else
			mmu_root_put(r);
	}
}

/* Make r current; the old current becomes prev[0]; the last previous root is evicted. */
static void vcpu_push(struct mmu_vcpu *vc, struct mmu_root *r)
{
	if (vc->root) {
		if (vc->prev[MMU_PREV_ROOTS - 1]) {
			mmu_root_put(vc->prev[MMU_PREV_ROOTS - 1]);
			vcpu_stat_inc(vc, MMU_STAT_ROOT_EVICT);
		}
		for (unsigned i = MMU_PREV_ROOTS - 1; i > 0; i--)
			vc->prev[i] = vc->prev[i - 1];
		vc->prev[0] = vc->root;
	}
	vc->root = r;
}

int mmu_vcpu_load_root(struct mmu_vcpu *vc, mmu_role_t role)
{
	struct mmu_vm *vm = vc->vm;
	const struct pt_format *f = mmu_format_for_role(vm, role);
	struct mmu_root *r;
	bool created;

	if (!f || (role & ~(MMU_ROLE_LEVELS_MASK | MMU_ROLE_FLAGS_MASK))) {
		log_err("mmu: %s: no root format for role %#x", vm->name, role);
		return HV_EINVAL;
	}
	if (unlikely(mmu_role_is_mirror(role)) && mirror_role_check(vm, role))
		return HV_EINVAL;
	vcpu_drop_invalid(vc);
	if (vc->root && vc->root->role == role) {
		vcpu_stat_inc(vc, MMU_STAT_ROOT_HIT_CURRENT);
		return 0;
	}
	for (unsigned i = 0; i < MMU_PREV_ROOTS && vc->prev[i]; i++) {
		if (vc->prev[i]->role != role)
			continue;
		/* Promote: prev[i] becomes current, the ones before it move down one. */
		r = vc->prev[i];
		for (unsigned j = i; j > 0; j--)
			vc->prev[j] = vc->prev[j - 1];
		vc->prev[0] = vc->root;
		vc->root = r;
		if (!vc->prev[0]) {
			/* No current root: close the gap left at the front. */
			for (unsigned j = 0; j + 1 < MMU_PREV_ROOTS; j++)
				vc->prev[j] = vc->prev[j + 1];
			vc->prev[MMU_PREV_ROOTS - 1] = NULL;
		}
		vcpu_stat_inc(vc, MMU_STAT_ROOT_HIT_PREV);
		return 0;
	}
	r = root_get_or_create(vm, role, f, &created);
	if (!r)
		return HV_ENOMEM;
	vcpu_stat_inc(vc, created ? MMU_STAT_ROOT_MISS : MMU_STAT_ROOT_HIT_VM);
	vcpu_push(vc, r);
	return 0;
}

void mmu_vcpu_unload_all(struct mmu_vcpu *vc)
{
	if (vc->root)
		mmu_root_put(vc->root);
	vc->root = NULL;
	for (unsigned i = 0; i < MMU_PREV_ROOTS; i++) {
		if (vc->prev[i])
			mmu_root_put(vc->prev[i]);
		vc->prev[i] = NULL;
	}
}

struct mmu_vcpu *mmu_vcpu_create(struct mmu_vm *vm)
{
	struct mmu_vcpu *vc = hv_zalloc(sizeof(*vc));

	if (!vc)
		return NULL;
	vc->vm = vm;
	spin_lock(&vm->roots_lock);
	list_add_tail(&vc->link, &vm->vcpus);
	spin_unlock(&vm->roots_lock);
	return vc;
}

void mmu_vcpu_destroy(struct mmu_vcpu *vc)
{
	struct mmu_vm *vm;

	if (!vc)
		return;
	vm = vc->vm;
	mmu_vcpu_unload_all(vc);
	spin_lock(&vm->roots_lock);
	list_del(&vc->link);
	/* Keep the vCPU's counts in the VM's totals. */
	for (int i = 0; i < MMU_STAT_COUNT; i++)
		vm_stat_add(vm, (enum mmu_stat)i, vc->stat[i]);
	for (int level = 0; level <= PT_MAX_LEVELS; level++)
		__atomic_fetch_add(&vm->leaves[level], vc->leaves[level], __ATOMIC_RELAXED);
	spin_unlock(&vm->roots_lock);
	hv_free(vc);
}
