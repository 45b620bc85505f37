/*
 * The Exception Syndrome Register, ESR_EL2 (Arm ARM D19.2 "ESR_EL2", and
 * D17.2 for the ISS encodings): exception class, instruction length and the
 * class-specific syndrome.
 */
#ifndef ARM64_ESR_H
#define ARM64_ESR_H

#define ESR_EC_SHIFT 26
#define ESR_EC_MASK  0x3fu
#define ESR_IL       (1u << 25)
#define ESR_ISS_MASK 0x1ffffffu

/* Exception classes. */
#define EC_UNKNOWN       0x00
#define EC_WFX           0x01
#define EC_FP_ACCESS     0x07
#define EC_ILLEGAL_STATE 0x0e
#define EC_SVC64         0x15
#define EC_HVC64         0x16
#define EC_SMC64         0x17
#define EC_SYSREG        0x18
#define EC_SVE           0x19
#define EC_IABT_LOWER    0x20
#define EC_IABT_CUR      0x21
#define EC_PC_ALIGN      0x22
#define EC_DABT_LOWER    0x24
#define EC_DABT_CUR      0x25
#define EC_SP_ALIGN      0x26
#define EC_SERROR        0x2f
#define EC_BRK64         0x3c

/* Data and instruction abort ISS (D17.2.40, D17.2.37). */
#define ISS_ABT_FSC_MASK 0x3fu /* DFSC / IFSC */
#define ISS_DABT_WNR     (1u << 6)
#define ISS_ABT_FNV      (1u << 10) /* FAR not valid */
/* Fault status codes: the top four bits give the kind, the low two the level. */
#define FSC_TYPE_MASK     0x3cu
#define FSC_LEVEL_MASK    0x03u
#define FSC_ADDR_SIZE     0x00u
#define FSC_TRANSLATION   0x04u
#define FSC_ACCESS_FLAG   0x08u
#define FSC_PERMISSION    0x0cu
#define FSC_SYNC_EXTERNAL 0x10u
#define FSC_ALIGNMENT     0x21u
#define FSC_TLB_CONFLICT  0x30u

#ifndef __ASSEMBLER__
#include <hv/types.h>

static inline unsigned esr_ec(u64 esr)
{
	return (unsigned)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
}

static inline u32 esr_iss(u64 esr)
{
	return (u32)esr & ESR_ISS_MASK;
}
#endif

#endif /* ARM64_ESR_H */
