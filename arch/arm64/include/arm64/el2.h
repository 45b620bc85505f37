/*
 * The EL2 registers that configure and run a guest, as named bit constants:
 * HCR_EL2, VTCR_EL2, VTTBR_EL2, CPTR_EL2 (guest view), MDCR_EL2,
 * CNTHCTL_EL2, the virtual timer's CNTV_CTL_EL0, HPFAR_EL2, SPSR and the
 * guest's SCTLR_EL1 bits that exception injection reads. Positions are from
 * the Arm Architecture Reference Manual for A-profile (DDI 0487), chapter
 * D19 "AArch64 System Register Descriptions", each block naming its
 * register; values hold for HCR_EL2.E2H == 0, the non-VHE regime hv uses.
 */
#ifndef ARM64_EL2_H
#define ARM64_EL2_H

#include <arm64/sysreg.h>

/* HCR_EL2 (D19.2 "HCR_EL2, Hypervisor Configuration Register"). */
#define HCR_EL2_VM        BIT64(0) /* stage-2 translation for EL1&0 */
#define HCR_EL2_SWIO      BIT64(1) /* DC ISW from EL1 behaves as DC CISW */
#define HCR_EL2_PTW       BIT64(2) /* stage-1 walks that hit Device memory fault */
#define HCR_EL2_FMO       BIT64(3) /* physical FIQ to EL2; virtual FIQ to EL1 */
#define HCR_EL2_IMO       BIT64(4) /* physical IRQ to EL2; virtual IRQ to EL1 */
#define HCR_EL2_AMO       BIT64(5) /* physical SError to EL2 */
#define HCR_EL2_FB        BIT64(9) /* broadcast TLB and I-cache maintenance */
#define HCR_EL2_BSU_SHIFT 10       /* barrier shareability upgrade */
#define HCR_EL2_BSU_INNER (U64_C(1) << HCR_EL2_BSU_SHIFT)
#define HCR_EL2_DC        BIT64(12)
#define HCR_EL2_TWI       BIT64(13) /* trap WFI */
#define HCR_EL2_TWE       BIT64(14) /* trap WFE */
#define HCR_EL2_TID3      BIT64(18) /* trap ID group 3 (the ID_* registers) */
#define HCR_EL2_TSC       BIT64(19) /* trap SMC */
#define HCR_EL2_TIDCP     BIT64(20) /* trap IMPLEMENTATION DEFINED registers */
#define HCR_EL2_TACR      BIT64(21) /* trap ACTLR_EL1 */
#define HCR_EL2_TSW       BIT64(22) /* trap data cache maintenance by set/way */
#define HCR_EL2_TVM       BIT64(26)
#define HCR_EL2_TGE_BIT   BIT64(27)
#define HCR_EL2_RW_BIT    BIT64(31) /* EL1 is AArch64 */
#define HCR_EL2_TLOR      BIT64(35) /* trap LORegion registers (FEAT_LOR) */
#define HCR_EL2_TERR      BIT64(36) /* trap RAS error record registers (FEAT_RAS) */
#define HCR_EL2_APK       BIT64(40) /* pointer-auth key registers do not trap (FEAT_PAuth) */
#define HCR_EL2_API       BIT64(41) /* pointer-auth instructions do not trap (FEAT_PAuth) */

_Static_assert(HCR_EL2_TGE_BIT == HCR_EL2_TGE && HCR_EL2_RW_BIT == HCR_EL2_RW,
	       "sysreg.h and el2.h agree on HCR_EL2");

/* VTCR_EL2 (D19.2 "VTCR_EL2"): the stage-2 translation regime. */
#define VTCR_EL2_T0SZ_SHIFT  0
#define VTCR_EL2_SL0_SHIFT   6
#define VTCR_EL2_IRGN0_SHIFT 8
#define VTCR_EL2_ORGN0_SHIFT 10
#define VTCR_EL2_SH0_SHIFT   12
#define VTCR_EL2_TG0_SHIFT   14
#define VTCR_EL2_PS_SHIFT    16
#define VTCR_EL2_VS          BIT64(19) /* 16-bit VMIDs */
#define VTCR_EL2_RES1        BIT64(31)
#define VTCR_EL2_RGN_WBWA    U64_C(1) /* table walks: normal write-back, R/W allocate */
#define VTCR_EL2_SH_INNER    U64_C(3)
#define VTCR_EL2_TG0_4K      U64_C(0)
/* 4 KiB granule: SL0 = 1 starts the walk at level 1. */
#define VTCR_EL2_SL0_L1 U64_C(1)
/* PS encodings follow ID_AA64MMFR0_EL1.PARange; 48 bits is what the s2 format outputs. */
#define VTCR_EL2_PS_40 U64_C(2)
#define VTCR_EL2_PS_48 U64_C(5)

/* VTTBR_EL2 (D19.2 "VTTBR_EL2"): table base (BADDR) and VMID. */
#define VTTBR_BADDR_MASK (BIT64(48) - 2) /* bits 47:1 */
#define VTTBR_VMID_SHIFT 48
#define VMID_BITS_8      8
#define VMID_BITS_16     16

/* CPTR_EL2 with E2H == 0 as a guest runs (D19.2 "CPTR_EL2"). */
#define CPTR_EL2_TSM   BIT64(12) /* trap SME (RES1 without FEAT_SME) */
#define CPTR_EL2_TTA   BIT64(20) /* trap trace registers */
#define CPTR_EL2_TAM   BIT64(30) /* trap activity monitors (FEAT_AMUv1) */
#define CPTR_EL2_TCPAC BIT64(31)

/* MDCR_EL2 (D19.2 "MDCR_EL2"). */
#define MDCR_EL2_HPMN_MASK U64_C(0x1f) /* event counters EL1 may use */
#define MDCR_EL2_TPMCR     BIT64(5)
#define MDCR_EL2_TPM       BIT64(6)
#define MDCR_EL2_TPMS      BIT64(14) /* trap the statistical profiling (FEAT_SPE) */
#define MDCR_EL2_TTRF      BIT64(19) /* trap trace filter control (FEAT_TRF) */

/* PMCR_EL0.N: event counters implemented (D19.2 "PMCR_EL0"). */
#define PMCR_EL0_N_SHIFT 11
#define PMCR_EL0_N_MASK  U64_C(0x1f)

/* CNTHCTL_EL2 with E2H == 0 (D19.2 "CNTHCTL_EL2"). */
#define CNTHCTL_EL1PCTEN BIT64(0) /* EL1/EL0 may read the physical counter */
#define CNTHCTL_EL1PCEN  BIT64(1) /* EL1/EL0 may use the physical timer */

/* CNTV_CTL_EL0, like every generic timer CTL register (D19 "CNTV_CTL_EL0"). */
#define CNT_CTL_ENABLE  BIT64(0)
#define CNT_CTL_IMASK   BIT64(1)
#define CNT_CTL_ISTATUS BIT64(2)

/* HPFAR_EL2 (D19.2 "HPFAR_EL2"): FIPA holds IPA[51:12] in bits 43:4. */
#define HPFAR_FIPA_SHIFT 4
#define HPFAR_FIPA_MASK  (BIT64(44) - BIT64(4))

/* SPSR_EL2 / SPSR_EL1 when the exception came from AArch64 state (D19.2 "SPSR_EL2"). */
#define SPSR_M_MASK     U64_C(0xf)
#define SPSR_M_EL0T     U64_C(0x0)
#define SPSR_M_EL1T     U64_C(0x4)
#define SPSR_M_EL1H     U64_C(0x5)
#define SPSR_M_AARCH32  BIT64(4)
#define SPSR_F          BIT64(6)
#define SPSR_I          BIT64(7)
#define SPSR_A          BIT64(8)
#define SPSR_D          BIT64(9)
#define SPSR_DAIF       (SPSR_D | SPSR_A | SPSR_I | SPSR_F)
#define SPSR_BTYPE_MASK (U64_C(3) << 10)
#define SPSR_SSBS       BIT64(12)
#define SPSR_IL         BIT64(20)
#define SPSR_SS         BIT64(21)
#define SPSR_PAN        BIT64(22)
#define SPSR_UAO        BIT64(23)
#define SPSR_TCO        BIT64(25)
/* SPSR_EL2.M[3:2]: the exception level the guest was in. */
#define SPSR_EL_SHIFT 2
#define SPSR_EL_MASK  U64_C(3)

/* SCTLR_EL1 bits exception injection and the reset value need (D19.2 "SCTLR_EL1"). */
#define SCTLR_EL1_M     BIT64(0)
#define SCTLR_EL1_C     BIT64(2)
#define SCTLR_EL1_SPAN  BIT64(23) /* 0: PSTATE.PAN is set on taking an exception to EL1 */
#define SCTLR_EL1_DSSBS BIT64(44) /* PSTATE.SSBS on taking an exception to EL1 */
/* RES1 bits of ARMv8.0 (29, 28, 23, 22, 20, 11): MMU, caches, alignment checks all off. */
#define SCTLR_EL1_RESET (BIT64(29) | BIT64(28) | BIT64(23) | BIT64(22) | BIT64(20) | BIT64(11))

/* VMPIDR_EL2: the MPIDR_EL1 a guest reads (D19.2 "MPIDR_EL1"). */
#define MPIDR_RES1      BIT64(31)
#define MPIDR_AFF0_MASK U64_C(0xff)

/* Offsets from VBAR_EL1 of the synchronous vector for each origin (D1 "Exception vectors"). */
#define VBAR_CUR_SP0   U64_C(0x000)
#define VBAR_CUR_SPX   U64_C(0x200)
#define VBAR_LOWER_A64 U64_C(0x400)
#define VBAR_LOWER_A32 U64_C(0x600)

#endif /* ARM64_EL2_H */
