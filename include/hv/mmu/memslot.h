/*
 * Guest memory slots: which guest-physical ranges exist and what backs them.
 *
 * A slot maps [base, base + size) of guest-physical space to a physically
 * contiguous host range starting at `backing` (slots are contiguous in this
 * hypervisor), or to nothing for MMIO slots, whose faults go back to the
 * caller for emulation. Slots of a VM never overlap and are kept sorted, so
 * finding the slot of a gfn is a binary search.
 *
 * Changing slots takes the VM's slots_lock, then mmu_lock for writing: faults
 * never see a half-made change, and every mapping of a deleted or moved range
 * is zapped from every root (valid or not yet freed) before the call returns.
 * Each request is checked in full before anything changes.
 *
 * Errors (each with a log line naming the VM, the slot and the problem):
 *   HV_EINVAL    zero size, unknown flags or memory type, bad max_level
 *   HV_EALIGN    base, size or backing not 4 KiB aligned
 *   HV_ERANGE    the range ends beyond the VM's guest-physical width, or the
 *                backing beyond the formats' host-physical width
 *   HV_EFAULT    base + size (or backing + size) wraps around 2^64
 *   HV_EOVERLAP  the range overlaps another slot
 *   HV_EEXIST    the id is in use
 *   HV_ENOENT    (delete, move) no slot has this id
 *   HV_ENOMEM    bookkeeping could not be allocated
 *   HV_EBUSY     (delete, move; only with a mirror root) the mirror hook kept
 *                an entry of the range after its retries, or failed with
 *                another error, which is returned instead: the slot is
 *                unchanged (some of its range may have been unmapped)
 */
#ifndef HV_MMU_MEMSLOT_H
#define HV_MMU_MEMSLOT_H

#include <hv/mmu/format.h>
#include <hv/types.h>

struct mmu_vm;

#define MMU_SLOT_READONLY BIT(0) /* writes fault back to the caller as MMU_FAULT_READONLY */
#define MMU_SLOT_MMIO     BIT(1) /* no backing: every access is reported for emulation */
/*
 * Never executable (device windows): leaves are mapped without execute
 * permission, and an execute fault is reported as MMU_FAULT_MMIO, since
 * nothing here can be fetched as code.
 */
#define MMU_SLOT_NOEXEC BIT(2)
#define MMU_SLOT_FLAGS  (MMU_SLOT_READONLY | MMU_SLOT_MMIO | MMU_SLOT_NOEXEC)

struct mmu_slot_params {
	u32 id;        /* caller's name for the slot, unique per VM */
	gpa_t base;    /* first guest-physical byte */
	u64 size;      /* bytes */
	hpa_t backing; /* host-physical start of the backing (ignored for MMIO) */
	u32 flags;     /* MMU_SLOT_* */
	u8 memtype;    /* enum pt_memtype of the mappings (RAM: PT_MT_WB) */
	u8 max_level;  /* largest leaf level allowed in this slot; 0 = no limit */
};

int mmu_slot_add(struct mmu_vm *vm, const struct mmu_slot_params *p);
int mmu_slot_delete(struct mmu_vm *vm, u32 id);
/* Give slot `id` a new base (its size, backing and tracking state stay). */
int mmu_slot_move(struct mmu_vm *vm, u32 id, gpa_t new_base);

/* Snapshot of a slot, found by gfn (false if no slot covers it). Takes mmu_lock for reading. */
struct mmu_slot_info {
	u32 id;
	gfn_t base_gfn;
	u64 npages;
	pfn_t base_pfn;
	u32 flags;
	u8 memtype;
	u8 max_level;
};
bool mmu_slot_find(struct mmu_vm *vm, gfn_t gfn, struct mmu_slot_info *out);
u32 mmu_slot_count(struct mmu_vm *vm);

/*
 * Write tracking (for the nested MMU, issue 4): a tracked gfn is never mapped
 * writable, and a write fault on it returns MMU_FAULT_EMULATE. Tracking
 * counts: a gfn stays tracked until every add has its remove.
 *
 * mmu_track_add() write-protects existing mappings of the gfn in every root
 * (splitting a huge leaf that covers it; if the split cannot get memory the
 * whole huge leaf loses write instead). The first add in a slot allocates the
 * slot's counters (HV_ENOMEM: nothing changed). HV_ENOENT: no backed slot
 * covers gfn. HV_ERANGE: a counter would overflow. A mirror root's hook error
 * (the gfn could not be write-protected there): the gfn is not tracked
 * (mappings protected so far stay read-only). mmu_track_remove() of an
 * untracked gfn is HV_ENOENT. Both take slots_lock and mmu_lock for writing.
 * Code that already holds mmu_lock for writing (the nested MMU) uses
 * mmu_track_add_locked() / mmu_track_remove_locked() (vmm/mmu/mmu_internal.h).
 */
int mmu_track_add(struct mmu_vm *vm, gfn_t gfn);
int mmu_track_remove(struct mmu_vm *vm, gfn_t gfn);
bool mmu_track_is_tracked(struct mmu_vm *vm, gfn_t gfn);

#endif /* HV_MMU_MEMSLOT_H */
