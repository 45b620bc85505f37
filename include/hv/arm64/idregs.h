/*
 * The CPU features an arm64 guest is shown (vmm/arm64/idregs.c). Reads of
 * the ID registers trap to EL2 (HCR_EL2.TID3); the backend reads the real
 * register and returns what arm64_idreg_for_guest() makes of it.
 *
 * Policy: the guest sees the CPU as it is, minus what hv does not give it
 * or would have to manage for it. Every AArch64 feature register passes
 * only an allow-list of fields (so a feature a future CPU adds stays hidden
 * until someone decides it is safe); the AArch32 registers, which describe
 * a guest's 32-bit EL0 processes, pass everything but a deny-list. Hidden:
 * EL2 and EL3 (the guest runs at EL1 only), 32-bit EL1, SVE and SME (their
 * state is not managed; CPTR_EL2 traps them), the PMU, statistical
 * profiling, trace, activity monitors, RAS error records, MPAM, MTE,
 * LORegions, nested virtualization, fine-grained traps, and instructions
 * that need EL2 enables (LS64, MOPS, WFxT). The GIC system-register
 * interface is shown exactly when the guest has a GICv3, and PARange is
 * capped at the guest-physical address size.
 *
 * Field positions: Arm ARM (DDI 0487), chapter D19, the ID_AA64* and ID_*
 * register pages. Pure: host-tested (tests/unit/test_arm64_idregs.c).
 */
#ifndef HV_ARM64_IDREGS_H
#define HV_ARM64_IDREGS_H

#include <hv/types.h>

/* A 4-bit ID field at bit `shift`. */
#define ID_FIELD(shift) (0xfull << (shift))

/* ID_AA64PFR0_EL1 */
#define ID_AA64PFR0_EL0              ID_FIELD(0)
#define ID_AA64PFR0_EL1              ID_FIELD(4)
#define ID_AA64PFR0_EL2              ID_FIELD(8)
#define ID_AA64PFR0_EL3              ID_FIELD(12)
#define ID_AA64PFR0_FP               ID_FIELD(16)
#define ID_AA64PFR0_ADVSIMD          ID_FIELD(20)
#define ID_AA64PFR0_GIC              ID_FIELD(24)
#define ID_AA64PFR0_RAS              ID_FIELD(28)
#define ID_AA64PFR0_SVE              ID_FIELD(32)
#define ID_AA64PFR0_DIT              ID_FIELD(48)
#define ID_AA64PFR0_CSV2             ID_FIELD(56)
#define ID_AA64PFR0_CSV3             ID_FIELD(60)
#define ID_AA64PFR0_EL1_AARCH64_ONLY 1ull
#define ID_AA64PFR0_GIC_V3           1ull /* GICv3/v4 system-register CPU interface */

/* ID_AA64PFR1_EL1 */
#define ID_AA64PFR1_BT        ID_FIELD(0)
#define ID_AA64PFR1_SSBS      ID_FIELD(4)
#define ID_AA64PFR1_MTE       ID_FIELD(8)
#define ID_AA64PFR1_SME       ID_FIELD(24)
#define ID_AA64PFR1_CSV2_FRAC ID_FIELD(32)

/* ID_AA64DFR0_EL1 */
#define ID_AA64DFR0_DEBUGVER   ID_FIELD(0)
#define ID_AA64DFR0_TRACEVER   ID_FIELD(4)
#define ID_AA64DFR0_PMUVER     ID_FIELD(8)
#define ID_AA64DFR0_BRPS       ID_FIELD(12)
#define ID_AA64DFR0_WRPS       ID_FIELD(20)
#define ID_AA64DFR0_CTX_CMPS   ID_FIELD(28)
#define ID_AA64DFR0_PMSVER     ID_FIELD(32)
#define ID_AA64DFR0_DOUBLELOCK ID_FIELD(36)

/* ID_AA64ISAR1_EL1 / ISAR2 */
#define ID_AA64ISAR1_LS64     ID_FIELD(60)
#define ID_AA64ISAR2_WFXT     ID_FIELD(0)
#define ID_AA64ISAR2_RPRES    ID_FIELD(4)
#define ID_AA64ISAR2_GPA3     ID_FIELD(8)
#define ID_AA64ISAR2_APA3     ID_FIELD(12)
#define ID_AA64ISAR2_MOPS     ID_FIELD(16)
#define ID_AA64ISAR2_BC       ID_FIELD(20)
#define ID_AA64ISAR2_PAC_FRAC ID_FIELD(24)
#define ID_AA64ISAR2_CLRBHB   ID_FIELD(28)

/* ID_AA64MMFR0_EL1 */
#define ID_AA64MMFR0_PARANGE   ID_FIELD(0)
#define ID_AA64MMFR0_ASIDBITS  ID_FIELD(4)
#define ID_AA64MMFR0_BIGEND    ID_FIELD(8)
#define ID_AA64MMFR0_SNSMEM    ID_FIELD(12)
#define ID_AA64MMFR0_BIGENDEL0 ID_FIELD(16)
#define ID_AA64MMFR0_TGRAN16   ID_FIELD(20)
#define ID_AA64MMFR0_TGRAN64   ID_FIELD(24)
#define ID_AA64MMFR0_TGRAN4    ID_FIELD(28)
#define ID_AA64MMFR0_EXS       ID_FIELD(44)
#define ID_AA64MMFR0_FGT       ID_FIELD(56)
#define ID_AA64MMFR0_ECV       ID_FIELD(60)

/* ID_AA64MMFR1_EL1 */
#define ID_AA64MMFR1_HAFDBS   ID_FIELD(0)
#define ID_AA64MMFR1_VMIDBITS ID_FIELD(4)
#define ID_AA64MMFR1_VH       ID_FIELD(8)
#define ID_AA64MMFR1_HPDS     ID_FIELD(12)
#define ID_AA64MMFR1_LO       ID_FIELD(16)
#define ID_AA64MMFR1_PAN      ID_FIELD(20)
#define ID_AA64MMFR1_ETS      ID_FIELD(36)
#define ID_AA64MMFR1_AFP      ID_FIELD(44)
#define ID_AA64MMFR1_NTLBPA   ID_FIELD(48)
#define ID_AA64MMFR1_ECBHB    ID_FIELD(60)

/* ID_AA64MMFR2_EL1 */
#define ID_AA64MMFR2_CNP     ID_FIELD(0)
#define ID_AA64MMFR2_UAO     ID_FIELD(4)
#define ID_AA64MMFR2_LSM     ID_FIELD(8)
#define ID_AA64MMFR2_VARANGE ID_FIELD(16)
#define ID_AA64MMFR2_CCIDX   ID_FIELD(20)
#define ID_AA64MMFR2_NV      ID_FIELD(24)
#define ID_AA64MMFR2_ST      ID_FIELD(28)
#define ID_AA64MMFR2_AT      ID_FIELD(32)
#define ID_AA64MMFR2_TTL     ID_FIELD(48)
#define ID_AA64MMFR2_BBM     ID_FIELD(52)
#define ID_AA64MMFR2_E0PD    ID_FIELD(60)

/* AArch32 registers (the guest's 32-bit EL0): fields hidden from them. */
#define ID_PFR0_AMU       ID_FIELD(20)
#define ID_PFR0_RAS       ID_FIELD(28)
#define ID_PFR1_VIRT      ID_FIELD(12)
#define ID_PFR1_VIRT_FRAC ID_FIELD(20)
#define ID_PFR1_GIC       ID_FIELD(28)
#define ID_PFR2_RAS_FRAC  ID_FIELD(8)
#define ID_DFR0_COPTRC    ID_FIELD(12)
#define ID_DFR0_MMAPTRC   ID_FIELD(16)
#define ID_DFR0_PERFMON   ID_FIELD(24)
#define ID_DFR0_TRACEFILT ID_FIELD(28)

/* PARange encodings (ID_AA64MMFR0_EL1.PARange): 0 32 bits, 1 36, 2 40, 3 42, 4 44, 5 48, 6 52. */
#define ID_PARANGE_40 2u

struct arm64_id_policy {
	bool gicv3;       /* the guest's GIC has the system-register interface */
	unsigned parange; /* the largest PARange to report (the IPA size) */
};

/*
 * The value a guest reads for the ID register with encoding enc (an
 * SYS_ENC() in the ID space) when the hardware holds hw. Registers of the
 * space that hv does not know read as zero, as reserved ID encodings do.
 */
u64 arm64_idreg_for_guest(u32 enc, u64 hw, const struct arm64_id_policy *p);

#endif /* HV_ARM64_IDREGS_H */
