/*
 * MMU statistics: a counter for every policy decision, plus gauges (leaves by
 * size, tables and roots alive). Counters are per VM; fault outcomes and root
 * cache decisions are counted per vCPU (no shared cache line on the fault
 * path) and summed on read. Reading is lock-free and approximate while the VM
 * runs, exact when it is quiescent (what the tests compare).
 */
#ifndef HV_MMU_STATS_H
#define HV_MMU_STATS_H

#include <hv/mmu/format.h>
#include <hv/types.h>

struct mmu_vm;

/* X-macro: name, what it counts. Order is the array order. */
#define MMU_STAT_LIST(X)                                                                           \
	X(FAULT_MAPPED, "faults that installed or upgraded a leaf")                                \
	X(FAULT_SPURIOUS, "faults that found the access already allowed")                          \
	X(FAULT_RETRY, "faults that lost a race or hit a frozen entry or stale root")              \
	X(FAULT_MMIO, "faults with no backed slot (MMIO, unbacked, beyond the root)")              \
	X(FAULT_READONLY, "write faults on read-only slots")                                       \
	X(FAULT_EMULATE, "write faults on write-tracked gfns")                                     \
	X(FAULT_NOMEM, "faults that could not allocate a table")                                   \
	X(FAULT_EXTERNAL, "faults whose change the external table refused (mirror root)")          \
	X(CAS_FAIL, "compare-exchange failures on entries (re-read and retried)")                  \
	X(LEAF_MAPPED, "leaves installed (any size)")                                              \
	X(LEAF_ZAPPED, "present leaves removed")                                                   \
	X(LEAF_WRPROT, "leaves that lost write permission")                                        \
	X(LEAF_UPGRADED, "leaves that gained permission in place")                                 \
	X(TABLE_ZAPPED, "tables unlinked (with their subtree)")                                    \
	X(SPLIT, "huge leaves split into a table")                                                 \
	X(SPLIT_NOMEM, "splits abandoned for lack of memory")                                      \
	X(BBM, "break-before-make sequences")                                                      \
	X(ZAP_CALLS, "zap operations")                                                             \
	X(WRPROT_CALLS, "write-protect operations")                                                \
	X(PREFAULT_PAGES, "4 KiB pages covered by bulk mapping")                                   \
	X(TABLE_ALLOC, "table pages allocated (roots included)")                                   \
	X(TABLE_FREE, "table pages freed (roots included)")                                        \
	X(TABLE_DEFERRED, "tables unlinked under the read lock, freed later")                      \
	X(TLB_FLUSH, "TLB flushes requested")                                                      \
	X(ROOT_HIT_CURRENT, "root loads that found the current root")                              \
	X(ROOT_HIT_PREV, "root loads served from the previous-root cache")                         \
	X(ROOT_HIT_VM, "root loads that found a live root of the VM (e.g. preserved)")             \
	X(ROOT_MISS, "root loads that had to create a root")                                       \
	X(ROOT_CREATE, "roots created")                                                            \
	X(ROOT_FREE, "roots freed")                                                                \
	X(ROOT_INVALIDATE, "roots invalidated")                                                    \
	X(ROOT_EVICT, "roots dropped from a vCPU's previous-root cache")                           \
	X(TRACK_ADD, "write-tracking adds")                                                        \
	X(TRACK_REMOVE, "write-tracking removes")                                                  \
	X(SLOT_CHANGE, "memslot adds, deletes and moves")                                          \
	X(MIRROR_MAP_LEAF, "mirror hook calls: map a leaf")                                        \
	X(MIRROR_LINK_TABLE, "mirror hook calls: link a new child table")                          \
	X(MIRROR_SPLIT, "mirror hook calls: split a huge leaf into a table")                       \
	X(MIRROR_CHANGE_LEAF, "mirror hook calls: change a leaf's permissions")                    \
	X(MIRROR_REMOVE_LEAF, "mirror hook calls: remove a leaf")                                  \
	X(MIRROR_REMOVE_TABLE, "mirror hook calls: remove (reclaim) an emptied child table")       \
	X(MIRROR_HOOK_FAIL, "mirror hook calls that failed (the entry kept its old value)")        \
	X(MIRROR_ROLLBACK, "frozen mirror entries written back to their old value")                \
	X(MIRROR_MERGE_REFUSED, "table -> leaf changes refused on a mirror root")                  \
	X(MIRROR_GAVE_UP, "mirror entries an operation left unchanged after its retries")          \
	X(MIRROR_TEARDOWN_FORCED, "removals the hook refused while a mirror root died")

enum mmu_stat {
#define MMU_STAT_ENUM(name, text) MMU_STAT_##name,
	MMU_STAT_LIST(MMU_STAT_ENUM)
#undef MMU_STAT_ENUM
	    MMU_STAT_COUNT
};

struct mmu_stats {
	u64 count[MMU_STAT_COUNT];
	s64 leaves[PT_MAX_LEVELS + 1]; /* present leaves by level (1: 4K, 2: 2M, 3: 1G) */
	u64 tables;                    /* table pages alive, roots included */
	u64 roots;                     /* roots alive (valid or waiting for their last user) */
	u64 roots_valid;
};

void mmu_stats_read(struct mmu_vm *vm, struct mmu_stats *out);
const char *mmu_stat_name(enum mmu_stat s);
const char *mmu_stat_text(enum mmu_stat s);
/* Print every non-zero counter and the gauges, one per line, through hv_printf. */
void mmu_stats_print(struct mmu_vm *vm);

#endif /* HV_MMU_STATS_H */
