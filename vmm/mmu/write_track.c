/*
 * Write tracking of guest frames (contract in hv/mmu/memslot.h).
 *
 * Per slot, allocated on first use: one 16-bit counter per gfn, and for each
 * huge level a count of tracked gfns per level-aligned region, so that the
 * fault path asks "may this huge leaf be used?" with one load. The counters
 * change under mmu_lock held for writing; faults read them under the read
 * lock. Region indexes depend on the slot's alignment and are rebuilt when a
 * slot moves.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "mmu_internal.h"

#define TRACK_MAX 0xffff

/* First gfn of region 0 at `level` for a slot based at base. */
static gfn_t region_origin(gfn_t base, int level)
{
	return ALIGN_DOWN(base, pt_level_pages(level));
}

static u64 region_count(gfn_t base, u64 npages, int level)
{
	u64 pages = pt_level_pages(level);

	return (ALIGN_UP(base + npages, pages) - region_origin(base, level)) / pages;
}

static u64 region_index(gfn_t base, gfn_t gfn, int level)
{
	return (gfn - region_origin(base, level)) >> pt_level_page_shift(level);
}

bool slot_region_is_tracked(const struct mmu_slot *s, gfn_t gfn, int level)
{
	if (level == 1)
		return slot_gfn_is_tracked(s, gfn);
	return s->huge_track[level] && s->huge_track[level][region_index(s->base_gfn, gfn, level)];
}

static void free_regions(u32 *regions[PT_MAX_LEVELS + 1])
{
	for (int level = 2; level <= PT_MAX_LEVELS; level++) {
		hv_free(regions[level]);
		regions[level] = NULL;
	}
}

static int alloc_regions(gfn_t base, u64 npages, u32 *out[PT_MAX_LEVELS + 1])
{
	for (int level = 2; level <= PT_MAX_LEVELS; level++) {
		out[level] = hv_zalloc(region_count(base, npages, level) * sizeof(u32));
		if (!out[level]) {
			free_regions(out);
			return HV_ENOMEM;
		}
	}
	return 0;
}

int slot_track_rebuild_prepare(const struct mmu_slot *s, gfn_t new_base,
			       u32 *out[PT_MAX_LEVELS + 1])
{
	if (!s->track)
		return 0;
	return alloc_regions(new_base, s->npages, out);
}

void slot_track_rebuild_commit(struct mmu_slot *s, u32 *fresh[PT_MAX_LEVELS + 1])
{
	if (!s->track)
		return;
	free_regions(s->huge_track);
	for (int level = 2; level <= PT_MAX_LEVELS; level++)
		s->huge_track[level] = fresh[level];
	for (u64 i = 0; i < s->npages; i++) {
		if (!s->track[i])
			continue;
		for (int level = 2; level <= PT_MAX_LEVELS; level++)
			s->huge_track[level][region_index(s->base_gfn, s->base_gfn + i, level)]++;
	}
}

/* Allocate a slot's counters (slots_lock held, mmu_lock not). */
static int track_prepare(struct mmu_slot *s, u16 **track, u32 *regions[PT_MAX_LEVELS + 1])
{
	if (s->track)
		return 0;
	*track = hv_zalloc(s->npages * sizeof(u16));
	if (!*track)
		return HV_ENOMEM;
	if (alloc_regions(s->base_gfn, s->npages, regions)) {
		hv_free(*track);
		*track = NULL;
		return HV_ENOMEM;
	}
	return 0;
}

static void track_install(struct mmu_slot *s, u16 *track, u32 *regions[PT_MAX_LEVELS + 1])
{
	s->track = track;
	for (int level = 2; level <= PT_MAX_LEVELS; level++)
		s->huge_track[level] = regions[level];
}

int mmu_track_add_locked(struct mmu_vm *vm, struct mmu_slot *s, gfn_t gfn)
{
	u64 i = gfn - s->base_gfn;
	int r;

	write_assert_held(&vm->mmu_lock);
	CHECK(i < s->npages && !(s->flags & MMU_SLOT_MMIO));
	if (!s->track) {
		/* Callers that hold the lock already (the nested MMU) allocate here. */
		u32 *regions[PT_MAX_LEVELS + 1] = { NULL };
		u16 *track = NULL;

		if (track_prepare(s, &track, regions))
			return HV_ENOMEM;
		track_install(s, track, regions);
	}
	if (s->track[i] == TRACK_MAX)
		return HV_ERANGE;
	vm_stat_add(vm, MMU_STAT_TRACK_ADD, 1);
	if (s->track[i]++)
		return 0;
	s->tracked_gfns++;
	for (int level = 2; level <= PT_MAX_LEVELS; level++)
		s->huge_track[level][region_index(s->base_gfn, gfn, level)]++;
	/* Existing mappings lose write; a huge leaf over gfn is split around it. */
	r = mmu_protect_range_locked(vm, gfn, gfn + 1, 0);
	if (r && r != HV_ENOMEM) {
		/*
		 * A mirror root's hook kept a writable mapping of gfn (HV_ENOMEM
		 * only means a whole huge leaf lost write instead of a split):
		 * the gfn cannot be tracked. Leaves protected so far stay so.
		 */
		log_err("mmu: %s: track gfn %#llx: a mirror mapping could not be write-protected "
			"(%s)",
			vm->name, (unsigned long long)gfn, err_name(r));
		s->track[i] = 0;
		s->tracked_gfns--;
		for (int level = 2; level <= PT_MAX_LEVELS; level++)
			s->huge_track[level][region_index(s->base_gfn, gfn, level)]--;
		return r;
	}
	return 0;
}

int mmu_track_remove_locked(struct mmu_vm *vm, struct mmu_slot *s, gfn_t gfn)
{
	u64 i = gfn - s->base_gfn;

	write_assert_held(&vm->mmu_lock);
	if (!s->track || i >= s->npages || !s->track[i])
		return HV_ENOENT;
	vm_stat_add(vm, MMU_STAT_TRACK_REMOVE, 1);
	if (--s->track[i])
		return 0;
	s->tracked_gfns--;
	for (int level = 2; level <= PT_MAX_LEVELS; level++)
		s->huge_track[level][region_index(s->base_gfn, gfn, level)]--;
	/* Nothing to remap: the next write fault maps the gfn writable again. */
	return 0;
}

int mmu_track_add(struct mmu_vm *vm, gfn_t gfn)
{
	u32 *regions[PT_MAX_LEVELS + 1] = { NULL };
	u16 *track = NULL;
	struct mmu_slot *s;
	int r;

	spin_lock(&vm->slots_lock);
	/* Slots only change under slots_lock: the lookup stays valid while we hold it. */
	s = mmu_slot_lookup(vm, gfn);
	if (!s || (s->flags & MMU_SLOT_MMIO)) {
		spin_unlock(&vm->slots_lock);
		log_err("mmu: %s: track gfn %#llx: no backed slot", vm->name,
			(unsigned long long)gfn);
		return HV_ENOENT;
	}
	r = track_prepare(s, &track, regions);
	if (r) {
		spin_unlock(&vm->slots_lock);
		log_err("mmu: %s: track gfn %#llx: no memory for slot %u's counters", vm->name,
			(unsigned long long)gfn, s->id);
		return r;
	}
	mmu_write_lock(vm);
	if (track)
		track_install(s, track, regions);
	r = mmu_track_add_locked(vm, s, gfn);
	mmu_write_unlock(vm);
	spin_unlock(&vm->slots_lock);
	return r;
}

int mmu_track_remove(struct mmu_vm *vm, gfn_t gfn)
{
	struct mmu_slot *s;
	int r = HV_ENOENT;

	spin_lock(&vm->slots_lock);
	mmu_write_lock(vm);
	s = mmu_slot_lookup(vm, gfn);
	if (s)
		r = mmu_track_remove_locked(vm, s, gfn);
	mmu_write_unlock(vm);
	spin_unlock(&vm->slots_lock);
	return r;
}

bool mmu_track_is_tracked(struct mmu_vm *vm, gfn_t gfn)
{
	struct mmu_slot *s;
	bool tracked;

	mmu_read_lock(vm);
	s = mmu_slot_lookup(vm, gfn);
	tracked = s && slot_gfn_is_tracked(s, gfn);
	mmu_read_unlock(vm);
	return tracked;
}
