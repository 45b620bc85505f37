/*
 * Intel EPT paging-structure entries: Intel SDM Vol. 3C, 29.3.2 "EPT
 * Translation Mechanism" (tables "Format of an EPT PML5 Entry" through
 * "Format of an EPT Page-Table Entry") and 29.3.7 "EPT and Memory Typing".
 *
 * An entry is present when any of bits 2:0 (R, W, X) is set; W without R is a
 * misconfiguration, so the engine never builds one. Bit 7 marks a leaf in a
 * PDPTE (1 GiB) or PDE (2 MiB); it is reserved in PML4Es/PML5Es and ignored in
 * PTEs. Memory type and IPAT exist only in leaves. Accessed/dirty (bits 8, 9)
 * are used by the CPU only when EPTP bit 6 enables them; otherwise ignored, so
 * pre-setting them is harmless and spares the CPU a write when they are on.
 * Bits 62:52 are ignored by the CPU (bits 57-61 belong to optional features we
 * do not enable), and all bits of a not-present entry except bit 63
 * ("suppress #VE", only with EPT-violation #VE) are ignored.
 *
 * What the VMX backend must match: mode-based execute control off (bit 10,
 * user-mode execute, is never set), EPT-violation #VE off (empty entries
 * are 0, suppress-#VE clear), EPTP = root | (levels - 1) << 3 | WB (6),
 * plus bit 6 if it enables accessed/dirty flags.
 */
#ifndef HV_MMU_EPT_H
#define HV_MMU_EPT_H

#include <hv/types.h>

#define EPT_READ        BIT(0)
#define EPT_WRITE       BIT(1)
#define EPT_EXEC        BIT(2) /* supervisor-mode execute when MBEC is on */
#define EPT_MT_SHIFT    3      /* bits 5:3, leaves only */
#define EPT_MT_MASK     GENMASK(5, 3)
#define EPT_IPAT        BIT(6) /* ignore guest PAT, leaves only */
#define EPT_LEAF        BIT(7) /* "maps a page" in a PDPTE/PDE */
#define EPT_ACCESSED    BIT(8)
#define EPT_DIRTY       BIT(9) /* leaves only */
#define EPT_ADDR_MASK   GENMASK(51, 12)
#define EPT_SW_FROZEN   BIT(62) /* ignored by the CPU: ours */
#define EPT_SUPPRESS_VE BIT(63)

/* EPT memory types (SDM 29.3.7, same encoding as the MTRRs). */
#define EPT_MT_UC 0
#define EPT_MT_WC 1
#define EPT_MT_WT 4
#define EPT_MT_WP 5
#define EPT_MT_WB 6

#define EPT_RWX   (EPT_READ | EPT_WRITE | EPT_EXEC)

_Static_assert((EPT_MT_MASK >> EPT_MT_SHIFT) == 7, "EPT memory type is 3 bits");
_Static_assert((EPT_RWX & (EPT_MT_MASK | EPT_IPAT | EPT_LEAF | EPT_ACCESSED | EPT_DIRTY)) == 0,
	       "EPT permission bits overlap attribute bits");
_Static_assert((EPT_ADDR_MASK & (EPT_SW_FROZEN | EPT_SUPPRESS_VE | GENMASK(11, 0))) == 0,
	       "EPT address field overlaps flag bits");
_Static_assert((EPT_SW_FROZEN & EPT_RWX) == 0, "the frozen marker must be non-present");

/*
 * Checking an L1 hypervisor's EPT (the nested MMU's guest walker): SDM Vol.
 * 3C, 29.3.2 (entry formats: reserved bits), 29.3.3.1 "EPT Misconfigurations",
 * 29.3.3.2 "EPT Violations", 28.2.1 Table 28-7 "Exit Qualification for EPT
 * Violations", 25.6.11 "Extended-Page-Table Pointer (EPTP)".
 *
 * Reserved (must be 0) in a present entry, besides bits 51:MAXPHYADDR: 7:3
 * in a PML5E/PML4E and in a PDPTE/PDE that references a table (bit 7 is 0
 * there by definition); 29:12 in a PDPTE mapping 1 GiB; 20:12 in a PDE
 * mapping 2 MiB. A leaf with memory type 2, 3 or 7 is a misconfiguration,
 * as is write without read and, unless supported, execute-only.
 */
#define EPT_RSVD_TABLE  GENMASK(7, 3)
#define EPT_RSVD_1G     GENMASK(29, 12)
#define EPT_RSVD_2M     GENMASK(20, 12)
#define EPT_HIGH_BITS   GENMASK(51, 12)            /* minus the MAXPHYADDR-wide address */
#define EPT_MT_BAD_MASK (BIT(2) | BIT(3) | BIT(7)) /* BIT(memtype) for the reserved types */

/* EPTP fields. */
#define EPTP_MT_MASK    GENMASK(2, 0)
#define EPTP_WALK_SHIFT 3 /* bits 5:3: walk length - 1 */
#define EPTP_WALK_MASK  GENMASK(5, 3)
#define EPTP_AD         BIT(6)
#define EPTP_RSVD_LOW   GENMASK(11, 7) /* bit 7 (supervisor shadow stack) not offered */
#define EPTP_ADDR_MASK  GENMASK(51, 12)

/* Exit qualification of an EPT violation. */
#define EPT_QUAL_READ      BIT(0)
#define EPT_QUAL_WRITE     BIT(1)
#define EPT_QUAL_FETCH     BIT(2)
#define EPT_QUAL_READABLE  BIT(3) /* AND of bit 0 of the entries used */
#define EPT_QUAL_WRITABLE  BIT(4)
#define EPT_QUAL_EXEC      BIT(5)
#define EPT_QUAL_GLA_VALID BIT(7)
#define EPT_QUAL_GLA_FINAL                                                                         \
	BIT(8) /* with bit 7: the final translation, not a paging-structure access */
#define EPT_QUAL_PERM_SHIFT 3

_Static_assert(EPT_QUAL_READABLE == (u64)EPT_READ << EPT_QUAL_PERM_SHIFT &&
		   EPT_QUAL_WRITABLE == (u64)EPT_WRITE << EPT_QUAL_PERM_SHIFT &&
		   EPT_QUAL_EXEC == (u64)EPT_EXEC << EPT_QUAL_PERM_SHIFT,
	       "qualification bits 5:3 are the entries' bits 2:0");
_Static_assert((EPT_RSVD_TABLE & EPT_RWX) == 0 && (EPT_RSVD_TABLE & EPT_LEAF),
	       "a table entry's reserved bits include the page-size bit, not R/W/X");

#endif /* HV_MMU_EPT_H */
