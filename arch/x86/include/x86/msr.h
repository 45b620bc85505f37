/*
 * Model-specific register numbers and the bits we use.
 * Intel SDM Vol. 4 (MSR tables) and Vol. 3D appendix A (VMX capability MSRs);
 * AMD APM Vol. 2 appendix A and 15.30 (SVM MSRs).
 */
#ifndef X86_MSR_H
#define X86_MSR_H

#include <hv/types.h>

#define MSR_IA32_FEATURE_CONTROL     0x0000003a /* SDM 4 table 2-2 */
#define FEATURE_CONTROL_LOCK         BIT(0)     /* writes #GP until reset */
#define FEATURE_CONTROL_VMX_SMX      BIT(1)     /* VMXON allowed inside SMX */
#define FEATURE_CONTROL_VMX          BIT(2)     /* VMXON allowed outside SMX */

#define MSR_IA32_VMX_BASIC           0x00000480 /* SDM 3D A.1 */
#define MSR_IA32_VMX_PROCBASED_CTLS  0x00000482 /* SDM 3D A.3.2 */
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x0000048b /* SDM 3D A.3.3 */
#define MSR_IA32_VMX_EPT_VPID_CAP    0x0000048c /* SDM 3D A.10 */

#define VMX_BASIC_REVISION_MASK      GENMASK(30, 0)
#define VMX_BASIC_TRUE_CTLS          BIT(55) /* the IA32_VMX_TRUE_* MSRs exist */

/* Allowed-1 settings sit in the high half of the control MSRs (SDM 3D A.3). */
#define VMX_CTLS_ALLOWED1_SHIFT 32

/* Primary processor-based controls (SDM 3C 25.6.2, table 25-6) */
#define VMX_PROC_SECONDARY_CTLS BIT(31)

/* Secondary processor-based controls (SDM 3C 25.6.2, table 25-7) */
#define VMX_PROC2_EPT          BIT(1)
#define VMX_PROC2_VPID         BIT(5)
#define VMX_PROC2_UNRESTRICTED BIT(7)

/* IA32_VMX_EPT_VPID_CAP (SDM 3D A.10) */
#define VMX_EPT_CAP_EXEC_ONLY BIT(0)
#define VMX_EPT_CAP_PWL4      BIT(6)  /* 4-level walks */
#define VMX_EPT_CAP_PWL5      BIT(7)  /* 5-level walks */
#define VMX_EPT_CAP_UC        BIT(8)  /* EPT structures may be UC */
#define VMX_EPT_CAP_WB        BIT(14) /* EPT structures may be WB */
#define VMX_EPT_CAP_2M        BIT(16)
#define VMX_EPT_CAP_1G        BIT(17)
#define VMX_EPT_CAP_INVEPT    BIT(20)
#define VMX_EPT_CAP_AD        BIT(21) /* accessed and dirty flags */
#define VMX_EPT_CAP_INVVPID   BIT(32)

/* Architectural and AMD MSRs guests use (SDM 4 table 2-2, APM 2 appendix A). */
#define MSR_IA32_TSC          0x00000010
#define MSR_IA32_SPEC_CTRL    0x00000048
#define MSR_IA32_PRED_CMD     0x00000049
#define MSR_AMD_PATCH_LEVEL   0x0000008b
#define MSR_IA32_SYSENTER_CS  0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_PAT          0x00000277 /* APM 2 7.8.1, SDM 3A 12.12.2 */
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SFMASK            0xc0000084
#define MSR_FS_BASE           0xc0000100
#define MSR_GS_BASE           0xc0000101
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_TSC_AUX           0xc0000103
#define MSR_AMD_HWCR          0xc0010015
#define MSR_AMD_INT_PENDING   0xc0010055 /* "interrupt pending message" (K8): C1E state */

/* PAT entries (APM 2 7.8.1): eight bytes, each a memory type; 2 and 3 are reserved. */
#define PAT_ENTRY_COUNT 8
#define PAT_TYPE_MASK   0x07
#define PAT_ENTRY_RSVD  GENMASK(7, 3)
#define PAT_TYPE_RSVD_2 2
#define PAT_TYPE_RSVD_3 3

#define MSR_EFER        0xc0000080 /* SDM 3A 2.2.1, APM 2 3.1.7 */
#define EFER_SCE        BIT(0)
#define EFER_LME        BIT(8)
#define EFER_LMA        BIT(10)
#define EFER_NXE        BIT(11)
#define EFER_SVME       BIT(12)
#define EFER_LMSLE      BIT(13)
#define EFER_FFXSR      BIT(14)
#define EFER_TCE        BIT(15)

#define MSR_AMD_VM_CR   0xc0010114 /* APM 2 15.30.1 */
#define VM_CR_LOCK      BIT(3)     /* SVMDIS is read-only */
#define VM_CR_SVMDIS    BIT(4)     /* EFER.SVME cannot be set */

#endif /* X86_MSR_H */
