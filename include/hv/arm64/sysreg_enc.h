/*
 * System register and SYS instruction encodings (op0, op1, CRn, CRm, op2),
 * as one number, and the trapped-access syndrome (ESR_EL2.EC == EC_SYSREG)
 * turned into it. The encodings are the Arm ARM's (DDI 0487, C5.3 "A64
 * System instruction class encoding overview" and the register pages of
 * chapter D19): e.g. ID_AA64PFR0_EL1 is op0 3, op1 0, CRn 0, CRm 4, op2 0.
 *
 * The key packs the fields in the order the syndrome's ISS has them apart
 * from Rt and the direction, so decoding a trap is a shift-and-mask.
 */
#ifndef HV_ARM64_SYSREG_ENC_H
#define HV_ARM64_SYSREG_ENC_H

#include <hv/arm64/esr.h>
#include <hv/types.h>

#define SYS_ENC(op0, op1, crn, crm, op2)                                                           \
	((u32)(op0) << 14 | (u32)(op1) << 11 | (u32)(crn) << 7 | (u32)(crm) << 3 | (u32)(op2))
#define SYS_ENC_OP0(k) (((k) >> 14) & 0x3u)
#define SYS_ENC_OP1(k) (((k) >> 11) & 0x7u)
#define SYS_ENC_CRN(k) (((k) >> 7) & 0xfu)
#define SYS_ENC_CRM(k) (((k) >> 3) & 0xfu)
#define SYS_ENC_OP2(k) ((k)&0x7u)

/* The ID register space: op0 3, op1 0, CRn 0, CRm 1..7 (op2 any) is trapped by HCR_EL2.TID3. */
#define SYS_ID_SPACE_CRM_FIRST 1
#define SYS_ID_SPACE_CRM_LAST  7

/* The ID registers hv shapes for a guest (D19 register pages). */
#define SYS_ID_PFR0_EL1      SYS_ENC(3, 0, 0, 1, 0)
#define SYS_ID_PFR1_EL1      SYS_ENC(3, 0, 0, 1, 1)
#define SYS_ID_DFR0_EL1      SYS_ENC(3, 0, 0, 1, 2)
#define SYS_ID_AFR0_EL1      SYS_ENC(3, 0, 0, 1, 3)
#define SYS_ID_PFR2_EL1      SYS_ENC(3, 0, 0, 3, 4)
#define SYS_ID_DFR1_EL1      SYS_ENC(3, 0, 0, 3, 5)
#define SYS_ID_AA64PFR0_EL1  SYS_ENC(3, 0, 0, 4, 0)
#define SYS_ID_AA64PFR1_EL1  SYS_ENC(3, 0, 0, 4, 1)
#define SYS_ID_AA64ZFR0_EL1  SYS_ENC(3, 0, 0, 4, 4)
#define SYS_ID_AA64SMFR0_EL1 SYS_ENC(3, 0, 0, 4, 5)
#define SYS_ID_AA64DFR0_EL1  SYS_ENC(3, 0, 0, 5, 0)
#define SYS_ID_AA64DFR1_EL1  SYS_ENC(3, 0, 0, 5, 1)
#define SYS_ID_AA64AFR0_EL1  SYS_ENC(3, 0, 0, 5, 4)
#define SYS_ID_AA64AFR1_EL1  SYS_ENC(3, 0, 0, 5, 5)
#define SYS_ID_AA64ISAR0_EL1 SYS_ENC(3, 0, 0, 6, 0)
#define SYS_ID_AA64ISAR1_EL1 SYS_ENC(3, 0, 0, 6, 1)
#define SYS_ID_AA64ISAR2_EL1 SYS_ENC(3, 0, 0, 6, 2)
#define SYS_ID_AA64MMFR0_EL1 SYS_ENC(3, 0, 0, 7, 0)
#define SYS_ID_AA64MMFR1_EL1 SYS_ENC(3, 0, 0, 7, 1)
#define SYS_ID_AA64MMFR2_EL1 SYS_ENC(3, 0, 0, 7, 2)

/* Other registers and instructions the EL2 backend traps or emulates. */
#define SYS_ACTLR_EL1      SYS_ENC(3, 0, 1, 0, 1)  /* HCR_EL2.TACR */
#define SYS_CNTP_TVAL_EL0  SYS_ENC(3, 3, 14, 2, 0) /* CNTHCTL_EL2.EL1PCEN == 0 */
#define SYS_CNTP_CTL_EL0   SYS_ENC(3, 3, 14, 2, 1)
#define SYS_CNTP_CVAL_EL0  SYS_ENC(3, 3, 14, 2, 2)
#define SYS_ICC_SGI1R_EL1  SYS_ENC(3, 0, 12, 11, 5) /* GICv3 SGIs: trapped by HCR_EL2.IMO */
#define SYS_ICC_ASGI1R_EL1 SYS_ENC(3, 0, 12, 11, 6)
#define SYS_ICC_SGI0R_EL1  SYS_ENC(3, 0, 12, 11, 7)
#define SYS_DC_ISW         SYS_ENC(1, 0, 7, 6, 2) /* HCR_EL2.TSW */
#define SYS_DC_CSW         SYS_ENC(1, 0, 7, 10, 2)
#define SYS_DC_CISW        SYS_ENC(1, 0, 7, 14, 2)

static inline u32 sys_enc_from_iss(u32 iss)
{
	return SYS_ENC((iss >> ISS_SYS_OP0_SHIFT) & ISS_SYS_OP0_MASK,
		       (iss >> ISS_SYS_OP1_SHIFT) & ISS_SYS_OP1_MASK,
		       (iss >> ISS_SYS_CRN_SHIFT) & ISS_SYS_CRN_MASK,
		       (iss >> ISS_SYS_CRM_SHIFT) & ISS_SYS_CRM_MASK,
		       (iss >> ISS_SYS_OP2_SHIFT) & ISS_SYS_OP2_MASK);
}

static inline bool sys_enc_is_id_space(u32 k)
{
	return SYS_ENC_OP0(k) == 3 && SYS_ENC_OP1(k) == 0 && SYS_ENC_CRN(k) == 0 &&
	       SYS_ENC_CRM(k) >= SYS_ID_SPACE_CRM_FIRST && SYS_ENC_CRM(k) <= SYS_ID_SPACE_CRM_LAST;
}

/*
 * IMPLEMENTATION DEFINED registers (trapped by HCR_EL2.TIDCP): op0 3 with
 * CRn 11 or 15 (C5.3, "Reserved encodings for IMPLEMENTATION DEFINED registers").
 */
static inline bool sys_enc_is_impdef(u32 k)
{
	return SYS_ENC_OP0(k) == 3 && (SYS_ENC_CRN(k) == 11 || SYS_ENC_CRN(k) == 15);
}

#endif /* HV_ARM64_SYSREG_ENC_H */
