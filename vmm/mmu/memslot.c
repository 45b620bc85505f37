/*
 * Memslots (contract in hv/mmu/memslot.h): a sorted array of slot pointers,
 * binary-searched by gfn. Writers hold slots_lock throughout, check the whole
 * request and allocate what they need first, then take mmu_lock for writing
 * only to zap and swap in the result, so a failure changes nothing and
 * faults never wait on an allocation.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>

#include "mmu_internal.h"

struct mmu_slot *mmu_slot_lookup(struct mmu_vm *vm, gfn_t gfn)
{
	u32 lo = 0, hi = vm->slot_count;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct mmu_slot *s = vm->slots[mid];

		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn - s->base_gfn >= s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

int mmu_max_leaf_level(struct mmu_vm *vm, const struct pt_format *f, const struct mmu_slot *s,
		       gfn_t gfn)
{
	int max = MIN((int)__atomic_load_n(&vm->max_level, __ATOMIC_RELAXED), (int)f->levels);

	if (s->max_level)
		max = MIN(max, (int)s->max_level);
	for (int level = max; level > 1; level--) {
		u64 pages = pt_level_pages(level);
		gfn_t first = ALIGN_DOWN(gfn, pages);

		if (!pt_level_can_be_leaf(f, level))
			continue;
		/* The whole leaf inside the slot... */
		if (first < s->base_gfn || first - s->base_gfn + pages > s->npages)
			continue;
		/* ...its frames aligned like its gfns (same offset modulo the leaf size)... */
		if ((s->base_pfn - s->base_gfn) & (pages - 1))
			continue;
		/* ...and no write-tracked gfn inside. */
		if (s->tracked_gfns && slot_region_is_tracked(s, gfn, level))
			continue;
		return level;
	}
	return 1;
}

static int slot_find_index(struct mmu_vm *vm, u32 id)
{
	for (u32 i = 0; i < vm->slot_count; i++)
		if (vm->slots[i]->id == id)
			return (int)i;
	return -1;
}

/* The slot overlapping [base, base + npages), other than `except`, or NULL. */
static struct mmu_slot *slot_overlap(struct mmu_vm *vm, gfn_t base, u64 npages,
				     const struct mmu_slot *except)
{
	for (u32 i = 0; i < vm->slot_count; i++) {
		struct mmu_slot *s = vm->slots[i];

		if (s != except && base < s->base_gfn + s->npages && s->base_gfn < base + npages)
			return s;
	}
	return NULL;
}

/* Index at which a slot starting at base keeps the array sorted. */
static u32 slot_insert_pos(struct mmu_vm *vm, gfn_t base)
{
	u32 lo = 0, hi = vm->slot_count;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (vm->slots[mid]->base_gfn < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void slot_array_remove(struct mmu_vm *vm, u32 idx)
{
	memmove(&vm->slots[idx], &vm->slots[idx + 1],
		(vm->slot_count - idx - 1) * sizeof(vm->slots[0]));
	vm->slot_count--;
}

static void slot_array_insert(struct mmu_vm *vm, struct mmu_slot *s)
{
	u32 pos = slot_insert_pos(vm, s->base_gfn);

	CHECK(vm->slot_count < vm->slot_cap);
	memmove(&vm->slots[pos + 1], &vm->slots[pos],
		(vm->slot_count - pos) * sizeof(vm->slots[0]));
	vm->slots[pos] = s;
	vm->slot_count++;
}

/* Checks shared by add and move: alignment, wrap-around, address widths. */
static int check_range(struct mmu_vm *vm, u32 id, const char *op, u64 base, u64 size)
{
	if (!size) {
		log_err("mmu: %s: %s slot %u: zero size", vm->name, op, id);
		return HV_EINVAL;
	}
	if (!IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE)) {
		log_err("mmu: %s: %s slot %u: base %#llx or size %#llx not 4 KiB aligned", vm->name,
			op, id, (unsigned long long)base, (unsigned long long)size);
		return HV_EALIGN;
	}
	if (base + size < base) {
		log_err("mmu: %s: %s slot %u: [%#llx, +%#llx) wraps around", vm->name, op, id,
			(unsigned long long)base, (unsigned long long)size);
		return HV_EFAULT;
	}
	if (vm->gpa_bits < 64 && base + size > (1ull << vm->gpa_bits)) {
		log_err("mmu: %s: %s slot %u: [%#llx, %#llx) ends beyond the %u-bit guest-physical "
			"space",
			vm->name, op, id, (unsigned long long)base,
			(unsigned long long)(base + size), vm->gpa_bits);
		return HV_ERANGE;
	}
	return 0;
}

static int check_params(struct mmu_vm *vm, const struct mmu_slot_params *p)
{
	u64 backing = hpa_val(p->backing);
	int r;

	if (p->flags & ~MMU_SLOT_FLAGS) {
		log_err("mmu: %s: add slot %u: unknown flags %#x", vm->name, p->id,
			(unsigned)(p->flags & ~MMU_SLOT_FLAGS));
		return HV_EINVAL;
	}
	if (p->memtype >= PT_MT_COUNT || p->max_level > PT_MAX_LEVELS) {
		log_err("mmu: %s: add slot %u: memory type %u or max_level %u out of range",
			vm->name, p->id, p->memtype, p->max_level);
		return HV_EINVAL;
	}
	r = check_range(vm, p->id, "add", gpa_val(p->base), p->size);
	if (r)
		return r;
	if (p->flags & MMU_SLOT_MMIO)
		return 0;
	if (!IS_ALIGNED(backing, PAGE_SIZE)) {
		log_err("mmu: %s: add slot %u: backing %#llx not 4 KiB aligned", vm->name, p->id,
			(unsigned long long)backing);
		return HV_EALIGN;
	}
	if (backing + p->size < backing) {
		log_err("mmu: %s: add slot %u: backing [%#llx, +%#llx) wraps around", vm->name,
			p->id, (unsigned long long)backing, (unsigned long long)p->size);
		return HV_EFAULT;
	}
	if (vm->pa_bits < 64 && backing + p->size > (1ull << vm->pa_bits)) {
		log_err("mmu: %s: add slot %u: backing ends at %#llx, beyond %u-bit host-physical "
			"entries",
			vm->name, p->id, (unsigned long long)(backing + p->size), vm->pa_bits);
		return HV_ERANGE;
	}
	return 0;
}

/* Make room for one more slot pointer, before taking mmu_lock. slots_lock held. */
static int slot_array_reserve(struct mmu_vm *vm, struct mmu_slot ***old_out)
{
	struct mmu_slot **grown;
	u32 cap;

	*old_out = NULL;
	if (vm->slot_count < vm->slot_cap)
		return 0;
	cap = vm->slot_cap ? vm->slot_cap * 2 : 8;
	grown = hv_zalloc(cap * sizeof(*grown));
	if (!grown)
		return HV_ENOMEM;
	/* The copy happens under mmu_lock: readers index the array. */
	*old_out = grown;
	return 0;
}

int mmu_slot_add(struct mmu_vm *vm, const struct mmu_slot_params *p)
{
	struct mmu_slot *s, *other;
	struct mmu_slot **grown = NULL;
	int r = check_params(vm, p);

	if (r)
		return r;
	spin_lock(&vm->slots_lock);
	if (slot_find_index(vm, p->id) >= 0) {
		log_err("mmu: %s: add slot %u: id already in use", vm->name, p->id);
		r = HV_EEXIST;
		goto out;
	}
	other = slot_overlap(vm, gpa_to_gfn(p->base), p->size >> PAGE_SHIFT, NULL);
	if (other) {
		log_err("mmu: %s: add slot %u: [%#llx, %#llx) overlaps slot %u [%#llx, %#llx)",
			vm->name, p->id, (unsigned long long)gpa_val(p->base),
			(unsigned long long)(gpa_val(p->base) + p->size), other->id,
			(unsigned long long)gpa_val(gfn_to_gpa(other->base_gfn)),
			(unsigned long long)gpa_val(gfn_to_gpa(other->base_gfn + other->npages)));
		r = HV_EOVERLAP;
		goto out;
	}
	s = hv_zalloc(sizeof(*s));
	if (!s || slot_array_reserve(vm, &grown)) {
		hv_free(s);
		log_err("mmu: %s: add slot %u: out of memory", vm->name, p->id);
		r = HV_ENOMEM;
		goto out;
	}
	s->id = p->id;
	s->base_gfn = gpa_to_gfn(p->base);
	s->npages = p->size >> PAGE_SHIFT;
	s->base_pfn = (p->flags & MMU_SLOT_MMIO) ? 0 : hpa_to_pfn(p->backing);
	s->flags = p->flags;
	s->memtype = p->memtype;
	s->max_level = p->max_level;

	mmu_write_lock(vm);
	if (grown) {
		struct mmu_slot **old = vm->slots;

		if (vm->slot_count)
			memcpy(grown, old, vm->slot_count * sizeof(*old));
		vm->slots = grown;
		vm->slot_cap = vm->slot_cap ? vm->slot_cap * 2 : 8;
		grown = old; /* freed below, outside the lock */
	}
	/* Nothing can be mapped in a range no slot covered: no zap needed. */
	slot_array_insert(vm, s);
	vm_stat_add(vm, MMU_STAT_SLOT_CHANGE, 1);
	mmu_write_unlock(vm);
	hv_free(grown);
	log_debug("mmu: %s: slot %u added: gfn %#llx +%#llx pages%s%s%s", vm->name, s->id,
		  (unsigned long long)s->base_gfn, (unsigned long long)s->npages,
		  (s->flags & MMU_SLOT_READONLY) ? " ro" : "",
		  (s->flags & MMU_SLOT_MMIO) ? " mmio" : "",
		  (s->flags & MMU_SLOT_NOEXEC) ? " noexec" : "");
out:
	spin_unlock(&vm->slots_lock);
	return r;
}

static void slot_free(struct mmu_slot *s)
{
	hv_free(s->track);
	for (int level = 0; level <= PT_MAX_LEVELS; level++)
		hv_free(s->huge_track[level]);
	hv_free(s);
}

/*
 * Make every root forget the slot's range. mmu_lock held for writing.
 * Fails only if a mirror root's hook kept some entry of the range (after
 * its retries): then the slot must stay, since something still maps it.
 */
static int slot_unmap(struct mmu_vm *vm, struct mmu_slot *s)
{
	/*
	 * The nested shadow MMU (issue 4) zaps the shadow pages of guest
	 * tables inside the slot first (seed 001: exactly those, never direct
	 * pages), while the slot and its tracking counters still exist.
	 */
	mmu_nested_slot_removed(vm, s);
	return mmu_zap_range_locked(vm, s->base_gfn, s->base_gfn + s->npages, 0);
}

int mmu_slot_delete(struct mmu_vm *vm, u32 id)
{
	struct mmu_slot *s;
	int idx, r;

	spin_lock(&vm->slots_lock);
	idx = slot_find_index(vm, id);
	if (idx < 0) {
		spin_unlock(&vm->slots_lock);
		log_err("mmu: %s: delete slot %u: no such slot", vm->name, id);
		return HV_ENOENT;
	}
	s = vm->slots[idx];
	mmu_write_lock(vm);
	r = slot_unmap(vm, s);
	if (r) {
		mmu_write_unlock(vm);
		spin_unlock(&vm->slots_lock);
		log_err("mmu: %s: delete slot %u: a mirror entry of its range could not be "
			"removed (%s); the slot stays",
			vm->name, id, err_name(r));
		return r;
	}
	slot_array_remove(vm, (u32)idx);
	vm_stat_add(vm, MMU_STAT_SLOT_CHANGE, 1);
	mmu_write_unlock(vm);
	spin_unlock(&vm->slots_lock);
	log_debug("mmu: %s: slot %u deleted", vm->name, id);
	slot_free(s);
	return 0;
}

int mmu_slot_move(struct mmu_vm *vm, u32 id, gpa_t new_base)
{
	u32 *fresh[PT_MAX_LEVELS + 1] = { NULL };
	struct mmu_slot *s, *other;
	gfn_t base = gpa_to_gfn(new_base);
	int idx, r;

	spin_lock(&vm->slots_lock);
	idx = slot_find_index(vm, id);
	if (idx < 0) {
		log_err("mmu: %s: move slot %u: no such slot", vm->name, id);
		r = HV_ENOENT;
		goto out;
	}
	s = vm->slots[idx];
	r = check_range(vm, id, "move", gpa_val(new_base), s->npages << PAGE_SHIFT);
	if (r)
		goto out;
	other = slot_overlap(vm, base, s->npages, s);
	if (other) {
		log_err("mmu: %s: move slot %u to gfn %#llx: overlaps slot %u", vm->name, id,
			(unsigned long long)base, other->id);
		r = HV_EOVERLAP;
		goto out;
	}
	r = slot_track_rebuild_prepare(s, base, fresh);
	if (r) {
		log_err("mmu: %s: move slot %u: out of memory", vm->name, id);
		goto out;
	}
	mmu_write_lock(vm);
	r = slot_unmap(vm, s);
	if (r) {
		mmu_write_unlock(vm);
		for (int level = 0; level <= PT_MAX_LEVELS; level++)
			hv_free(fresh[level]);
		log_err("mmu: %s: move slot %u: a mirror entry of its range could not be "
			"removed (%s); the slot stays where it was",
			vm->name, id, err_name(r));
		goto out;
	}
	slot_array_remove(vm, (u32)idx);
	s->base_gfn = base;
	slot_track_rebuild_commit(s, fresh);
	slot_array_insert(vm, s);
	vm_stat_add(vm, MMU_STAT_SLOT_CHANGE, 1);
	mmu_write_unlock(vm);
	log_debug("mmu: %s: slot %u moved to gfn %#llx", vm->name, id, (unsigned long long)base);
out:
	spin_unlock(&vm->slots_lock);
	return r;
}

bool mmu_slot_find(struct mmu_vm *vm, gfn_t gfn, struct mmu_slot_info *out)
{
	struct mmu_slot *s;

	mmu_read_lock(vm);
	s = mmu_slot_lookup(vm, gfn);
	if (s)
		*out = (struct mmu_slot_info){
			.id = s->id,
			.base_gfn = s->base_gfn,
			.npages = s->npages,
			.base_pfn = s->base_pfn,
			.flags = s->flags,
			.memtype = s->memtype,
			.max_level = s->max_level,
		};
	mmu_read_unlock(vm);
	return s != NULL;
}

u32 mmu_slot_count(struct mmu_vm *vm)
{
	u32 n;

	mmu_read_lock(vm);
	n = vm->slot_count;
	mmu_read_unlock(vm);
	return n;
}

void mmu_slots_destroy(struct mmu_vm *vm)
{
	for (u32 i = 0; i < vm->slot_count; i++)
		slot_free(vm->slots[i]);
	hv_free(vm->slots);
	vm->slots = NULL;
	vm->slot_count = vm->slot_cap = 0;
}
