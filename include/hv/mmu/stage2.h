/*
 * arm64 stage-2 translation table descriptors, 4 KiB granule, 48-bit output
 * addresses (no FEAT_LPA2): Arm ARM (DDI 0487), chapter D8 "The AArch64
 * Virtual Memory System Architecture": "Translation table descriptor formats"
 * (stage 2 table, block and page descriptors, their attribute fields) and the
 * stage 2 memory type and Cacheability attributes with FEAT_S2FWB disabled.
 *
 * Bits 1:0 are 0b11 for a table (levels 0-2) or a page (level 3), 0b01 for a
 * block (levels 1-2); bit 0 clear means invalid, and then every other bit is
 * ignored. Stage-2 table descriptors carry no attributes. S2AP bit 6 grants
 * read, bit 7 write; XN[1:0] = 0b10 (bit 54) forbids execution at EL0 and EL1
 * with or without FEAT_XNX. AF must be set or the first access takes an
 * access-flag fault. Bits 58:55 of a valid descriptor are for software.
 *
 * The 40-bit IPA layout (VTCR_EL2.T0SZ = 24, SL0 = 1): translation starts at
 * Arm level 1 with two concatenated tables (8 KiB, 1024 entries, 8 KiB
 * aligned). In the engine's numbering Arm levels 1/2/3 are 3/2/1.
 */
#ifndef HV_MMU_STAGE2_H
#define HV_MMU_STAGE2_H

#include <hv/types.h>

#define S2_VALID         BIT(0)
#define S2_TABLE_OR_PAGE BIT(1) /* 1: table (levels 0-2) or page (level 3); 0: block */
#define S2_MEMATTR_SHIFT 2      /* bits 5:2 */
#define S2_MEMATTR_MASK  GENMASK(5, 2)
#define S2_S2AP_R        BIT(6)
#define S2_S2AP_W        BIT(7)
#define S2_SH_SHIFT      8 /* bits 9:8 */
#define S2_SH_MASK       GENMASK(9, 8)
#define S2_SH_INNER      (3ull << S2_SH_SHIFT)
#define S2_AF            BIT(10)
#define S2_ADDR_MASK     GENMASK(47, 12)
#define S2_DBM           BIT(51)
#define S2_CONTIGUOUS    BIT(52)
#define S2_XN            BIT(54) /* XN[1] */
#define S2_SW_FROZEN     BIT(57) /* software bits 58:55 */

/* MemAttr[3:0] values (stage 2, FEAT_S2FWB off). */
#define S2_MEMATTR_DEVICE_nGnRnE 0x0
#define S2_MEMATTR_DEVICE_nGnRE  0x1
#define S2_MEMATTR_NORMAL_NC     0x5 /* outer and inner Non-cacheable */
#define S2_MEMATTR_NORMAL_WT     0xa /* outer and inner Write-Through */
#define S2_MEMATTR_NORMAL_WB     0xf /* outer and inner Write-Back */

/* The 40-bit IPA configuration. */
#define S2_IPA_BITS_40   40
#define S2_ROOT_PAGES_40 2
#define S2_PA_BITS       48

_Static_assert((S2_MEMATTR_MASK >> S2_MEMATTR_SHIFT) == 0xf, "MemAttr is 4 bits");
_Static_assert((S2_ADDR_MASK & (S2_SW_FROZEN | S2_XN | S2_CONTIGUOUS | S2_DBM | GENMASK(11, 0))) ==
		   0,
	       "stage-2 address field overlaps flag bits");
_Static_assert((S2_SW_FROZEN & S2_VALID) == 0, "the frozen marker must be invalid");
_Static_assert(12 + 9 * 2 + 9 + 1 == S2_IPA_BITS_40 && S2_ROOT_PAGES_40 == 2,
	       "40-bit IPA: three levels from Arm level 1, root of two 512-entry tables");

/*
 * Checking an L1 hypervisor's stage-2 tables (the nested MMU's guest
 * walker): Arm ARM D8 (descriptor encodings; 0b01 at the last level is
 * reserved and treated as invalid), D8.15 fault detection order, and ESR_ELx
 * ISS for Data/Instruction Aborts (DFSC/IFSC, WnR bit 6, S1PTW bit 7).
 *
 * A fault status code is the type in bits 5:2 and the Arm lookup level in
 * bits 1:0; Arm level = 4 - engine level for the 4 KiB granule.
 */
#define S2_FSC_ADDR_SIZE    0x00u /* output or table address beyond VTCR_EL2.PS */
#define S2_FSC_TRANSLATION  0x04u
#define S2_FSC_ACCESS_FLAG  0x08u
#define S2_FSC_PERMISSION   0x0cu
#define S2_FSC_SEA_TTW      0x14u /* synchronous external abort on a table walk */
#define S2_FSC_LEVEL_MASK   0x03u
#define S2_ISS_WNR          BIT(6)
#define S2_ISS_S1PTW        BIT(7)
#define S2_VTTBR_BADDR_MASK GENMASK(47, 1)
#define S2_VTTBR_CNP        BIT(0)

_Static_assert(S2_FSC_LEVEL_MASK == 3 && (S2_FSC_SEA_TTW & S2_FSC_LEVEL_MASK) == 0,
	       "fault status codes leave bits 1:0 for the level");

#endif /* HV_MMU_STAGE2_H */
