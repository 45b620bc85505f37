/*
 * A page-table format that exists only for tests. Every bit sits somewhere a
 * real format does not use for the same purpose: present is not bit 0, the
 * frame number starts at bit 20 instead of 12, a set "huge" bit marks a leaf
 * at bit 1 (stage-2 uses bit 1 clear), write is bit 7 (stage-2 S2AP write,
 * but here without a read bit next to it), and the memory-type codes are our
 * own. It has 2 MiB-free leaf levels (4 KiB and 1 GiB only) and a root of four
 * concatenated pages, so code that assumes consecutive leaf sizes or a
 * one-page root fails on it. Hardware never walks it.
 */
#ifndef HV_MMU_FAKE_PT_H
#define HV_MMU_FAKE_PT_H

#include <hv/types.h>

#define FAKE_PT_TABLE     BIT(0) /* non-leaf marker */
#define FAKE_PT_HUGE      BIT(1) /* leaf above level 1 */
#define FAKE_PT_READ      BIT(3)
#define FAKE_PT_WRITE     BIT(7)
#define FAKE_PT_PRESENT   BIT(9)
#define FAKE_PT_USER      BIT(13)
#define FAKE_PT_MT_SHIFT  14 /* bits 16:14 */
#define FAKE_PT_MT_MASK   GENMASK(16, 14)
#define FAKE_PT_ACCESSED  BIT(17)
#define FAKE_PT_FORCE_MT  BIT(18)
#define FAKE_PT_PFN_SHIFT 20
#define FAKE_PT_PFN_MASK  GENMASK(59, 20)
#define FAKE_PT_NX        BIT(61)
#define FAKE_PT_FROZEN    BIT(63)

/* Memory-type codes, deliberately unlike EPT's, PAT's and MemAttr's. */
#define FAKE_PT_MT_WB      5
#define FAKE_PT_MT_WT      2
#define FAKE_PT_MT_WC      3
#define FAKE_PT_MT_UC      1
#define FAKE_PT_MT_DEVICE  6

#define FAKE_PT_LEVELS     4
#define FAKE_PT_ROOT_PAGES 4
#define FAKE_PT_ADDR_BITS  (12 + 9 * 3 + 9 + 2) /* 50: a 2048-entry root */
#define FAKE_PT_PA_BITS    (12 + 40)

_Static_assert((FAKE_PT_PFN_MASK & (FAKE_PT_FROZEN | FAKE_PT_NX | GENMASK(19, 0))) == 0,
	       "fake address field overlaps flag bits");
_Static_assert((FAKE_PT_FROZEN & FAKE_PT_PRESENT) == 0, "the frozen marker must be non-present");
_Static_assert((FAKE_PT_MT_MASK >> FAKE_PT_MT_SHIFT) == 7, "fake memory type is 3 bits");

/*
 * The fake format as an L1 hypervisor's table (nested MMU tests): bit 62 is
 * reserved, a huge marker at a level without leaves is reserved too, and a
 * fault to reflect is reported as FAKE_PT_FAULT_* << 8 | level << 4 | access.
 */
#define FAKE_PT_GUEST_RSVD        BIT(62)
#define FAKE_PT_FAULT_NOT_PRESENT 1u
#define FAKE_PT_FAULT_RSVD        2u
#define FAKE_PT_FAULT_PERM        3u
#define FAKE_PT_FAULT_UNREADABLE  4u
#define FAKE_PT_FAULT_SHIFT       8
#define FAKE_PT_FAULT_LEVEL_SHIFT 4

_Static_assert((FAKE_PT_GUEST_RSVD & (FAKE_PT_PFN_MASK | FAKE_PT_FROZEN | FAKE_PT_NX)) == 0,
	       "the guest-reserved bit is free");

#endif /* HV_MMU_FAKE_PT_H */
