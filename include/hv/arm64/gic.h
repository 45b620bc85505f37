/*
 * Arm Generic Interrupt Controller register layouts that hv both drives
 * (the physical GIC, arch/arm64/gic_*.c) and emulates (the guest's
 * distributor, vmm/dev/vgic.c). Architectural facts only.
 *
 * Sources: Arm GIC Architecture Specification v2.0 (IHI 0048B), chapter 4
 * "Programmers' Model" (the distributor and CPU interface register pages)
 * and chapter 5 "GIC Support for Virtualization" (the GICH registers and
 * "List Registers, GICH_LRn"); GIC Architecture Specification v3/v4
 * (IHI 0069), chapter 12 (the GICD, GICR, ICH_* and ICC_* register pages).
 */
#ifndef HV_ARM64_GIC_H
#define HV_ARM64_GIC_H

#include <hv/types.h>

/* Interrupt ID ranges (both versions). */
#define GIC_SGI_COUNT      16
#define GIC_PRIVATE_COUNT  32 /* SGIs and PPIs, banked per CPU */
#define GIC_INTID_SPURIOUS 1023
#define GIC_INTID_MASK     0x3ffu /* v2 IAR/EOIR interrupt ID; v3 uses 24 bits */

/* --- distributor (GICD), v2 offsets; v3 keeps these and adds the rest ----------------- */
#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IIDR       0x008
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICD_CPENDSGIR  0xf10
#define GICD_SPENDSGIR  0xf20
#define GICD_PIDR2_V2   0xfe8 /* v2: peripheral ID 2 (ArchRev in bits 7:4) */
#define GICD_ID_V2      0xfd0 /* v2: first of the identification registers */
#define GICD_SIZE_V2    0x1000
/* v3 additions (IHI 0069, the GICD register pages). */
#define GICD_IROUTER                  0x6000 /* 64-bit, one per interrupt ID (SPIs only) */
#define GICD_PIDR2_V3                 0xffe8
#define GICD_ID_V3                    0xffd0
#define GICD_SIZE_V3                  0x10000

#define GICD_CTLR_ENABLE_GRP0         BIT(0) /* v2 without security; v3 with DS */
#define GICD_CTLR_ENABLE_GRP1         BIT(1)
#define GICD_CTLR_ARE                 BIT(4) /* v3 (DS = 1): affinity routing */
#define GICD_CTLR_DS                  BIT(6) /* v3: disable security */
#define GICD_CTLR_RWP                 BIT(31)
#define GICD_TYPER_ITLINES_MASK       0x1fu /* (ITLinesNumber + 1) * 32 interrupt IDs */
#define GICD_TYPER_CPUS_SHIFT         5     /* v2: CPUNumber = CPUs - 1 */
#define GICD_TYPER_SECURITY_EXTN      BIT(10)
#define GICD_TYPER_IDBITS_SHIFT       19     /* v3: interrupt ID bits - 1 */
#define GICD_IIDR_ARM                 0x43bu /* JEP106 code of Arm in bits 11:0 */
#define GICD_SGIR_TARGET_FILTER_SHIFT 24
#define GICD_SGIR_TARGET_LIST_SHIFT   16
#define GICD_SGIR_INTID_MASK          0xfu
#define GICD_SGIR_FILTER_LIST         0u /* the CPUs in the target list */
#define GICD_SGIR_FILTER_OTHERS       1u /* every CPU but the sender */
#define GICD_SGIR_FILTER_SELF         2u /* the sender */
#define GIC_PIDR2_ARCHREV_SHIFT       4
#define GICD_ICFGR_EDGE               2u /* per-interrupt 2-bit field: bit 1 set = edge-triggered */

/* --- v2 CPU interface (GICC), the hypervisor's own ------------------------------------- */
#define GICC_CTLR             0x000
#define GICC_PMR              0x004
#define GICC_BPR              0x008
#define GICC_IAR              0x00c
#define GICC_EOIR             0x010
#define GICC_DIR              0x1000
#define GICC_SIZE             0x2000
#define GICC_CTLR_ENABLE_GRP0 BIT(0) /* the only enable in the Non-secure view (EnableGrp1) */
#define GICC_CTLR_ENABLE_GRP1 BIT(1)
#define GICC_CTLR_EOIMODE     BIT(9) /* EOIR only drops priority; DIR deactivates */
#define GICC_PMR_ALL          0xffu

/* --- v2 virtual interface control (GICH) ------------------------------------------------ */
#define GICH_HCR               0x000
#define GICH_VTR               0x004
#define GICH_VMCR              0x008
#define GICH_MISR              0x010
#define GICH_EISR0             0x020
#define GICH_ELRSR0            0x030
#define GICH_APR               0x0f0
#define GICH_LR0               0x100
#define GICH_HCR_EN            BIT(0)
#define GICH_HCR_UIE           BIT(1) /* maintenance interrupt when at most one LR is valid */
#define GICH_VTR_LISTREGS_MASK 0x3fu  /* list registers - 1 */
#define GICH_MISR_EOI          BIT(0)
#define GICH_MISR_U            BIT(1)

/* GICH_LRn (IHI 0048B, "List Registers, GICH_LRn"). */
#define GICH_LR_VINTID_MASK  0x3ffu
#define GICH_LR_PINTID_SHIFT 10      /* HW = 1: the physical interrupt to deactivate */
#define GICH_LR_CPUID_SHIFT  10      /* HW = 0, SGIs: the source CPU */
#define GICH_LR_EOI          BIT(19) /* HW = 0: maintenance interrupt on EOI */
#define GICH_LR_PRIO_SHIFT   23      /* 5 bits: priority[7:3] */
#define GICH_LR_PRIO_BITS    5
#define GICH_LR_STATE_SHIFT  28
#define GICH_LR_STATE_MASK   (3u << GICH_LR_STATE_SHIFT)
#define GICH_LR_PENDING      (1u << GICH_LR_STATE_SHIFT)
#define GICH_LR_ACTIVE       (2u << GICH_LR_STATE_SHIFT)
#define GICH_LR_GRP1         BIT(30)
#define GICH_LR_HW           BIT(31)

/* --- v3 list registers and control (IHI 0069, ICH_LR<n>_EL2, ICH_HCR_EL2, ...) -------- */
#define ICH_LR_VINTID_MASK    0xffffffffull
#define ICH_LR_PINTID_SHIFT   32      /* 13 bits */
#define ICH_LR_EOI            BIT(41) /* HW = 0 */
#define ICH_LR_PRIO_SHIFT     48
#define ICH_LR_GROUP          BIT(60)
#define ICH_LR_HW             BIT(61)
#define ICH_LR_STATE_SHIFT    62
#define ICH_LR_PENDING        (1ull << ICH_LR_STATE_SHIFT)
#define ICH_LR_ACTIVE         (2ull << ICH_LR_STATE_SHIFT)
#define ICH_LR_STATE_MASK     (3ull << ICH_LR_STATE_SHIFT)
#define ICH_HCR_EN            BIT(0)
#define ICH_HCR_UIE           BIT(1)
#define ICH_VTR_LISTREGS_MASK 0x1fu
#define ICH_MISR_EOI          BIT(0)
#define ICH_MISR_U            BIT(1)
#define ICH_VMCR_VENG0        BIT(0)
#define ICH_VMCR_VENG1        BIT(1)

/* --- v3 redistributor (IHI 0069, the GICR pages): two 64 KiB frames per CPU ----------- */
#define GICR_FRAME_SIZE            0x10000
#define GICR_STRIDE                (2 * GICR_FRAME_SIZE) /* RD_base then SGI_base */
#define GICR_CTLR                  0x0000
#define GICR_IIDR                  0x0004
#define GICR_TYPER                 0x0008 /* 64-bit */
#define GICR_WAKER                 0x0014
#define GICR_PIDR2                 0xffe8
#define GICR_SGI_BASE              GICR_FRAME_SIZE
#define GICR_IGROUPR0              (GICR_SGI_BASE + GICD_IGROUPR)
#define GICR_ISENABLER0            (GICR_SGI_BASE + GICD_ISENABLER)
#define GICR_ICENABLER0            (GICR_SGI_BASE + GICD_ICENABLER)
#define GICR_ISPENDR0              (GICR_SGI_BASE + GICD_ISPENDR)
#define GICR_ICPENDR0              (GICR_SGI_BASE + GICD_ICPENDR)
#define GICR_ISACTIVER0            (GICR_SGI_BASE + GICD_ISACTIVER)
#define GICR_ICACTIVER0            (GICR_SGI_BASE + GICD_ICACTIVER)
#define GICR_IPRIORITYR0           (GICR_SGI_BASE + GICD_IPRIORITYR)
#define GICR_ICFGR0                (GICR_SGI_BASE + GICD_ICFGR)
#define GICR_IGRPMODR0             (GICR_SGI_BASE + 0x0d00)
#define GICR_TYPER_LAST            BIT(4)
#define GICR_TYPER_PROC_SHIFT      8
#define GICR_TYPER_AFF_SHIFT       32
#define GICR_WAKER_PROCESSOR_SLEEP BIT(1)
#define GICR_WAKER_CHILDREN_ASLEEP BIT(2)

_Static_assert(GICH_LR_PRIO_SHIFT + GICH_LR_PRIO_BITS == GICH_LR_STATE_SHIFT,
	       "v2 list register: priority sits right below the state");
_Static_assert((GICH_LR_STATE_MASK & (GICH_LR_GRP1 | GICH_LR_HW | GICH_LR_EOI)) == 0,
	       "v2 list register fields do not overlap");
_Static_assert((ICH_LR_STATE_MASK & (ICH_LR_HW | ICH_LR_GROUP)) == 0,
	       "v3 list register fields do not overlap");

#endif /* HV_ARM64_GIC_H */
