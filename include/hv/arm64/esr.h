/*
 * The AArch64 Exception Syndrome Register (ESR_ELx) and the syndromes hv
 * reads from ESR_EL2 and writes into a guest's ESR_EL1: exception classes and
 * the instruction-specific syndrome (ISS) encodings. Arm Architecture
 * Reference Manual for A-profile (DDI 0487), D19.2 "ESR_EL2" / "ESR_EL1" and
 * the "ISS encoding for an exception from ..." subsections it lists.
 *
 * Architectural facts only, no hypervisor state: shared by the EL2 code
 * (arch/arm64) and by the host-tested decoders in vmm/arm64. Assembly may
 * include it too.
 */
#ifndef HV_ARM64_ESR_H
#define HV_ARM64_ESR_H

#define ESR_EC_SHIFT 26
#define ESR_EC_MASK  0x3fu
#define ESR_IL       (1u << 25) /* 32-bit instruction (always for A64) */
#define ESR_ISS_MASK 0x1ffffffu

/* Exception classes (ESR_ELx.EC). */
#define EC_UNKNOWN       0x00 /* also what an injected UNDEFINED exception reports */
#define EC_WFX           0x01
#define EC_CP15_32       0x03 /* AArch32 MCR/MRC to cp15 */
#define EC_CP15_64       0x04
#define EC_CP14_32       0x05
#define EC_CP14_LS       0x06
#define EC_FP_ACCESS     0x07
#define EC_CP14_64       0x0c
#define EC_BTI           0x0d
#define EC_ILLEGAL_STATE 0x0e
#define EC_SVC32         0x11
#define EC_SVC64         0x15
#define EC_HVC64         0x16
#define EC_SMC64         0x17
#define EC_SYSREG        0x18 /* MSR, MRS, SYS from AArch64 */
#define EC_SVE           0x19
#define EC_ERET          0x1a
#define EC_PAC_FAIL      0x1c
#define EC_SME           0x1d
#define EC_IABT_LOWER    0x20
#define EC_IABT_CUR      0x21
#define EC_PC_ALIGN      0x22
#define EC_DABT_LOWER    0x24
#define EC_DABT_CUR      0x25
#define EC_SP_ALIGN      0x26
#define EC_FP_EXC64      0x2c
#define EC_SERROR        0x2f
#define EC_BRK64         0x3c

/* Data and instruction aborts: "ISS encoding for an exception from a Data Abort". */
#define ISS_DABT_ISV       (1u << 24) /* bits 23:14 hold a valid instruction syndrome */
#define ISS_DABT_SAS_SHIFT 22         /* access size: 1 << SAS bytes */
#define ISS_DABT_SAS_MASK  0x3u
#define ISS_DABT_SSE       (1u << 21) /* sign-extend the loaded value */
#define ISS_DABT_SRT_SHIFT 16         /* the transfer register (31: XZR/WZR) */
#define ISS_DABT_SRT_MASK  0x1fu
#define ISS_DABT_SF        (1u << 15) /* the register is 64-bit (X), else 32-bit (W) */
#define ISS_DABT_AR        (1u << 14) /* acquire/release semantics */
#define ISS_ABT_FNV        (1u << 10) /* FAR not valid */
#define ISS_ABT_EA         (1u << 9)  /* external abort type (IMPLEMENTATION DEFINED) */
#define ISS_DABT_CM        (1u << 8)  /* a cache maintenance instruction faulted */
#define ISS_ABT_S1PTW      (1u << 7)  /* stage-2 fault on a stage-1 table walk */
#define ISS_DABT_WNR       (1u << 6)  /* write (or a cache maintenance / atomic) */
#define ISS_ABT_FSC_MASK   0x3fu      /* DFSC / IFSC */

/* Fault status codes: the top four bits give the kind, the low two the level. */
#define FSC_TYPE_MASK     0x3cu
#define FSC_LEVEL_MASK    0x03u
#define FSC_ADDR_SIZE     0x00u
#define FSC_TRANSLATION   0x04u
#define FSC_ACCESS_FLAG   0x08u
#define FSC_PERMISSION    0x0cu
#define FSC_SYNC_EXTERNAL 0x10u /* not on a translation table walk */
#define FSC_ALIGNMENT     0x21u
#define FSC_TLB_CONFLICT  0x30u

/* Trapped MSR, MRS and SYS (EC_SYSREG): "ISS encoding for an exception from MSR, MRS, ...". */
#define ISS_SYS_OP0_SHIFT 20
#define ISS_SYS_OP0_MASK  0x3u
#define ISS_SYS_OP2_SHIFT 17
#define ISS_SYS_OP2_MASK  0x7u
#define ISS_SYS_OP1_SHIFT 14
#define ISS_SYS_OP1_MASK  0x7u
#define ISS_SYS_CRN_SHIFT 10
#define ISS_SYS_CRN_MASK  0xfu
#define ISS_SYS_RT_SHIFT  5
#define ISS_SYS_RT_MASK   0x1fu
#define ISS_SYS_CRM_SHIFT 1
#define ISS_SYS_CRM_MASK  0xfu
#define ISS_SYS_READ      (1u << 0) /* Direction: 1 = MRS (read), 0 = MSR / SYS */

/* WFI and WFE (EC_WFX): TI says which. */
#define ISS_WFX_TI_MASK 0x3u
#define ISS_WFX_TI_WFI  0x0u
#define ISS_WFX_TI_WFE  0x1u
#define ISS_WFX_TI_WFIT 0x2u
#define ISS_WFX_TI_WFET 0x3u

/* HVC and SMC: the instruction's immediate. */
#define ISS_IMM16_MASK 0xffffu

#ifndef __ASSEMBLER__
#include <hv/types.h>

_Static_assert((ISS_DABT_SAS_MASK << ISS_DABT_SAS_SHIFT | ISS_DABT_SSE |
		(ISS_DABT_SRT_MASK << ISS_DABT_SRT_SHIFT) | ISS_DABT_SF | ISS_DABT_AR) ==
		   GENMASK(23, 14),
	       "SAS, SSE, SRT, SF and AR tile ISS[23:14], the part ISV vouches for");
_Static_assert((ISS_SYS_OP0_MASK << ISS_SYS_OP0_SHIFT | ISS_SYS_OP2_MASK << ISS_SYS_OP2_SHIFT |
		ISS_SYS_OP1_MASK << ISS_SYS_OP1_SHIFT | ISS_SYS_CRN_MASK << ISS_SYS_CRN_SHIFT |
		ISS_SYS_RT_MASK << ISS_SYS_RT_SHIFT | ISS_SYS_CRM_MASK << ISS_SYS_CRM_SHIFT |
		ISS_SYS_READ) == GENMASK(21, 0),
	       "the MSR/MRS syndrome fields tile ISS[21:0]");

static inline unsigned esr_ec(u64 esr)
{
	return (unsigned)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

static inline u32 esr_iss(u64 esr)
{
	return (u32)esr & ESR_ISS_MASK;
}

static inline u64 esr_make(unsigned ec, bool il32, u32 iss)
{
	return (u64)(ec & ESR_EC_MASK) << ESR_EC_SHIFT | (il32 ? ESR_IL : 0) | (iss & ESR_ISS_MASK);
}
#endif

#endif /* HV_ARM64_ESR_H */
