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

#endif /* HV_MMU_EPT_H */
