/*
 * AArch64 system registers the hypervisor programs or reads at EL2, as named
 * bit constants, plus accessors. Bit positions are from the Arm Architecture
 * Reference Manual for A-profile (DDI 0487), chapter D19 "AArch64 System
 * Register Descriptions"; each block names its register. Values hold for
 * HCR_EL2.E2H == 0 (the non-VHE EL2 regime this hypervisor runs in).
 *
 * The header is shared with assembly (boot/arm64/entry.S), so constants use
 * U64_C() and the C-only parts sit behind __ASSEMBLER__.
 */
#ifndef ARM64_SYSREG_H
#define ARM64_SYSREG_H

#ifdef __ASSEMBLER__
#define U64_C(x) x
#else
#define U64_C(x) x##ull
#endif

#define BIT64(n) (U64_C(1) << (n))

/* CurrentEL (D19.2): the exception level is in bits [3:2]. */
#define CURRENTEL_EL_SHIFT 2
#define CURRENTEL_EL2      (U64_C(2) << CURRENTEL_EL_SHIFT)

/* SCTLR_EL2 with E2H == 0 (D19.2 "SCTLR_EL2"). */
#define SCTLR_EL2_M   BIT64(0)  /* stage-1 MMU enable */
#define SCTLR_EL2_A   BIT64(1)  /* alignment check */
#define SCTLR_EL2_C   BIT64(2)  /* data cacheability */
#define SCTLR_EL2_SA  BIT64(3)  /* SP alignment check */
#define SCTLR_EL2_I   BIT64(12) /* instruction cacheability */
#define SCTLR_EL2_WXN BIT64(19) /* writable implies execute-never */
#define SCTLR_EL2_EE  BIT64(25) /* big-endian data accesses at EL2 */
#define SCTLR_EL2_RES1                                                                             \
	(BIT64(4) | BIT64(5) | BIT64(11) | BIT64(16) | BIT64(18) | BIT64(22) | BIT64(23) |         \
	 BIT64(28) | BIT64(29))
/* What entry.S writes before the MMU is on: caches for data off, SP checks on. */
#define SCTLR_EL2_BOOT (SCTLR_EL2_RES1 | SCTLR_EL2_SA | SCTLR_EL2_I)
/* What runs once the MMU is on: also data caches and W^X enforced by hardware. */
#define SCTLR_EL2_MMU_ON (SCTLR_EL2_BOOT | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_WXN)

/* HCR_EL2 (D19.2 "HCR_EL2"): only what boot needs; guests configure the rest. */
#define HCR_EL2_TGE BIT64(27) /* route EL0 exceptions to EL2 */
#define HCR_EL2_RW  BIT64(31) /* EL1 is AArch64 */
#define HCR_EL2_E2H BIT64(34) /* host at EL2 (VHE): we run with it clear */
/* Boot value: no traps, no VHE, no TGE; EL1 would be AArch64. */
#define HCR_EL2_BOOT HCR_EL2_RW

/* CPTR_EL2 with E2H == 0 (D19.2 "CPTR_EL2"). */
#define CPTR_EL2_TZ  BIT64(8)  /* trap SVE (RES1 without SVE) */
#define CPTR_EL2_TFP BIT64(10) /* trap FP/SIMD */
#define CPTR_EL2_RES1                                                                              \
	(BIT64(13) | BIT64(12) | BIT64(9) | BIT64(7) | BIT64(6) | BIT64(5) | BIT64(4) | BIT64(3) | \
	 BIT64(2) | BIT64(1) | BIT64(0))
/*
 * The hypervisor is built -mgeneral-regs-only: any FP/SIMD/SVE use at EL2 is
 * a bug, and trapping it also keeps a future guest's FP state from being
 * clobbered silently.
 */
#define CPTR_EL2_BOOT (CPTR_EL2_RES1 | CPTR_EL2_TZ | CPTR_EL2_TFP)

/* TCR_EL2 with E2H == 0 (D19.2 "TCR_EL2"). */
#define TCR_EL2_T0SZ_SHIFT  0
#define TCR_EL2_IRGN0_SHIFT 8
#define TCR_EL2_ORGN0_SHIFT 10
#define TCR_EL2_SH0_SHIFT   12
#define TCR_EL2_TG0_SHIFT   14
#define TCR_EL2_PS_SHIFT    16
#define TCR_EL2_RGN_WBWA    U64_C(1) /* normal, write-back read/write-allocate */
#define TCR_EL2_SH_INNER    U64_C(3)
#define TCR_EL2_TG0_4K      U64_C(0)
#define TCR_EL2_RES1        (BIT64(31) | BIT64(23))

/* MAIR_EL2 attribute encodings (D19.2 "MAIR_EL2"). */
#define MAIR_DEVICE_nGnRnE U64_C(0x00)
#define MAIR_DEVICE_nGnRE  U64_C(0x04)
#define MAIR_NORMAL_NC     U64_C(0x44)
#define MAIR_NORMAL_WB     U64_C(0xff) /* inner/outer write-back, R/W allocate */
/* Our attribute indices; the descriptor's AttrIndx selects one. */
#define MAIR_IDX_DEVICE_nGnRnE 0
#define MAIR_IDX_DEVICE_nGnRE  1
#define MAIR_IDX_NORMAL        2
#define MAIR_IDX_NORMAL_NC     3
#define MAIR_EL2_VALUE                                                                             \
	((MAIR_DEVICE_nGnRnE << (8 * MAIR_IDX_DEVICE_nGnRnE)) |                                    \
	 (MAIR_DEVICE_nGnRE << (8 * MAIR_IDX_DEVICE_nGnRE)) |                                      \
	 (MAIR_NORMAL_WB << (8 * MAIR_IDX_NORMAL)) | (MAIR_NORMAL_NC << (8 * MAIR_IDX_NORMAL_NC)))

/* CTR_EL0 (D19.2 "CTR_EL0"): DminLine is log2 of the smallest D-cache line in words. */
#define CTR_EL0_DMINLINE_SHIFT 16
#define CTR_EL0_DMINLINE_MASK  U64_C(0xf)

/* ID_AA64PFR0_EL1 fields (4 bits each). */
#define ID_PFR0_EL2_SHIFT 8
#define ID_PFR0_EL3_SHIFT 12
#define ID_PFR0_GIC_SHIFT 24
#define ID_PFR0_SVE_SHIFT 32

/* ID_AA64MMFR0_EL1 fields. */
#define ID_MMFR0_PARANGE_SHIFT   0
#define ID_MMFR0_TGRAN16_SHIFT   20
#define ID_MMFR0_TGRAN64_SHIFT   24
#define ID_MMFR0_TGRAN4_SHIFT    28
#define ID_MMFR0_TGRAN16_2_SHIFT 32
#define ID_MMFR0_TGRAN64_2_SHIFT 36
#define ID_MMFR0_TGRAN4_2_SHIFT  40
#define ID_MMFR0_TGRAN4_NONE     U64_C(0xf) /* TGran4 == 0b1111: 4K granule absent */

/* ID_AA64MMFR1_EL1 fields. */
#define ID_MMFR1_VMIDBITS_SHIFT 4
#define ID_MMFR1_VH_SHIFT       8

/* ID_AA64MMFR2_EL1 fields. */
#define ID_MMFR2_NV_SHIFT 24

#define ID_FIELD_MASK     U64_C(0xf)

/* MIDR_EL1 (D19.2 "MIDR_EL1"). */
#define MIDR_REVISION_SHIFT    0
#define MIDR_PARTNUM_SHIFT     4
#define MIDR_VARIANT_SHIFT     20
#define MIDR_IMPLEMENTER_SHIFT 24

/* DAIF: all of Debug, SError, IRQ and FIQ masked (the "daifset" immediate). */
#define DAIF_ALL 0xf

#ifndef __ASSEMBLER__
#include <hv/types.h>

#define read_sysreg(reg)                                                                           \
	({                                                                                         \
		u64 v_;                                                                            \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_));                                      \
		v_;                                                                                \
	})

#define write_sysreg(reg, v)                                                                       \
	do {                                                                                       \
		u64 w_ = (v);                                                                      \
		__asm__ volatile("msr " #reg ", %0" : : "r"(w_) : "memory");                       \
	} while (0)

static inline void isb(void)
{
	__asm__ volatile("isb" : : : "memory");
}

static inline void dsb_ish(void)
{
	__asm__ volatile("dsb ish" : : : "memory");
}

static inline void dsb_sy(void)
{
	__asm__ volatile("dsb sy" : : : "memory");
}

static inline unsigned id_field(u64 reg, unsigned shift)
{
	return (unsigned)((reg >> shift) & ID_FIELD_MASK);
}
#endif

#endif /* ARM64_SYSREG_H */
