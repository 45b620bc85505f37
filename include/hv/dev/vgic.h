/*
 * The guest's interrupt controller, the part hv emulates (vmm/dev/vgic.c
 * for the interrupt state, vmm/dev/vgic_regs.c for the registers):
 * a GIC distributor (v2, or v3 with its redistributors) holding every
 * interrupt's configuration and state, and the bookkeeping that feeds the
 * hardware's list registers.
 *
 * Split of work (docs/arm64.md, "Interrupts"): the guest's CPU interface is
 * the hardware's virtual one (GICv2 GICV mapped at the guest's GICC address;
 * GICv3 ICC_* system registers redirected to ICV_* by HCR_EL2.IMO/FMO), so
 * acknowledging, priority masking, EOI and deactivation never trap. The
 * distributor is emulated from stage-2 aborts: it is shared by every VM and
 * the hypervisor on real hardware, so a guest may not program it. The arch
 * code (arch/arm64/vgic_lr.c) moves what this model says is deliverable
 * into list registers and reports back when the guest is done with it.
 *
 * Interrupt state follows the GIC specification: an interrupt is pending
 * when its latch is set (an edge, a write to ISPENDR, or an SGI) or, if
 * level-sensitive, while its input line is high; it can be delivered to a
 * vCPU when enabled, in an enabled group, not active, not already in a list
 * register, and (SPIs) targeted at that vCPU. When an interrupt goes into a
 * list register its latch moves there; a level-sensitive one is tracked
 * again when the guest EOIs it (the list register's EOI maintenance) and is
 * delivered again if its line is still high. Interrupts linked to a
 * physical one (the virtual timer: HW bit) are deactivated by the hardware.
 *
 * Register access rules: word accesses everywhere; byte accesses also to
 * the byte-wide registers (IPRIORITYR, ITARGETSR, CPENDSGIR, SPENDSGIR);
 * 64-bit accesses to the v3 IROUTER and GICR_TYPER. Anything else, and
 * offsets nothing lives at, read as zero and ignore writes (counted in
 * bad_accesses): the GIC architecture leaves them UNPREDICTABLE or
 * reserved, and a guest gets no more from them than from reserved space.
 *
 * No lock: one vCPU thread runs the VM (the arch code serialises when SMP
 * comes). Host-tested: tests/unit/test_vgic.c.
 */
#ifndef HV_DEV_VGIC_H
#define HV_DEV_VGIC_H

#include <hv/arm64/gic.h>
#include <hv/types.h>

#define VGIC_CPUS_MAX  8
#define VGIC_SPIS      64 /* SPIs emulated: interrupt IDs 32..95 */
#define VGIC_IRQS      (GIC_PRIVATE_COUNT + VGIC_SPIS)
#define VGIC_PRIO_MASK 0xf8u /* five priority bits: what a v2 list register holds */

enum vgic_version { VGIC_V2 = 2, VGIC_V3 = 3 };

struct vgic_irq {
	u8 priority;
	u8 targets;     /* v2 ITARGETSR (SPIs): a mask of vCPUs */
	u8 sgi_sources; /* v2 SGIs: the vCPUs that sent it and are pending */
	u8 route;       /* v3: the vCPU an SPI is routed to (IROUTER Aff0) */
	bool enabled;
	bool latch; /* pending by edge, ISPENDR or SGI */
	bool line;  /* level-sensitive input line */
	bool active;
	bool edge; /* ICFGR: edge-triggered */
	bool group1;
	bool in_lr; /* held by a list register right now */
	bool hw;    /* linked to physical interrupt hw_intid (list register HW bit) */
	u16 hw_intid;
};

struct vgic_cpu {
	struct vgic_irq priv[GIC_PRIVATE_COUNT]; /* SGIs and PPIs, banked */
	bool asleep;                             /* v3 GICR_WAKER.ProcessorSleep */
	bool lr_recheck;    /* a register write touched an interrupt held in a list register */
	bool maybe_pending; /* something may be deliverable: vgic_pick() will look */
};

struct vgic {
	enum vgic_version version;
	u32 cpu_count;
	u32 ctlr; /* GICD_CTLR as the guest sees it */
	struct vgic_cpu cpu[VGIC_CPUS_MAX];
	struct vgic_irq spi[VGIC_SPIS];
	u64 mpidr[VGIC_CPUS_MAX]; /* each vCPU's MPIDR (v3 routing, GICR_TYPER affinity) */
	u64 bad_accesses;
};

/* What a list register needs to present one interrupt. */
struct vgic_lr_desc {
	u32 intid;
	u8 priority;
	u8 source; /* v2 SGIs: the sending vCPU */
	bool group1;
	bool hw; /* set the HW bit with hw_intid */
	u16 hw_intid;
	bool eoi_notify; /* level-sensitive without HW: ask for an EOI maintenance interrupt */
};

/*
 * Reset g for cpu_count vCPUs (1..VGIC_CPUS_MAX) whose MPIDRs are given:
 * everything disabled, inactive, not pending, priority 0, SGIs
 * edge-triggered and enabled (their enables are RAO/WI), PPIs and SPIs
 * level-sensitive, SPIs targeted at vCPU 0.
 */
void vgic_init(struct vgic *g, enum vgic_version v, u32 cpu_count, const u64 *mpidr);

/*
 * A guest access to the distributor (offset within its window) by vCPU
 * vcpu, of size bytes. Never fails: see the access rules above.
 */
u64 vgic_dist_read(struct vgic *g, u32 vcpu, u64 offset, unsigned size);
void vgic_dist_write(struct vgic *g, u32 vcpu, u64 offset, unsigned size, u64 value);

/*
 * A guest access to the v3 redistributor region at offset (the frames of
 * every vCPU back to back, GICR_STRIDE each). Same rules.
 */
u64 vgic_redist_read(struct vgic *g, u64 offset, unsigned size);
void vgic_redist_write(struct vgic *g, u64 offset, unsigned size, u64 value);

/* Size of the v3 redistributor region for g's vCPUs. */
u64 vgic_redist_size(const struct vgic *g);

/*
 * v3: a write of sgir to ICC_SGI1R_EL1 (or ICC_ASGI1R / ICC_SGI0R) by vCPU
 * sender (trapped: HCR_EL2.IMO): the SGI goes pending on every vCPU the
 * value's affinity and target list name, or on all others with IRM set.
 * Fields (IHI 0069, ICC_SGI1R_EL1): TargetList 15:0, Aff1 23:16, INTID 27:24,
 * Aff2 39:32, IRM 40, RS 47:44, Aff3 55:48.
 */
void vgic_send_sgi_v3(struct vgic *g, u32 sender, u64 sgir);

/* A device's interrupt line (intid >= 32; vcpu is ignored) or a PPI's (intid 16..31). */
void vgic_set_line(struct vgic *g, u32 vcpu, u32 intid, bool level);

/* Make pending (edge) interrupt intid of vcpu: a physical interrupt forwarded to it. */
void vgic_set_pending(struct vgic *g, u32 vcpu, u32 intid);

/* Link a private interrupt of vcpu to physical interrupt hw_intid (HW bit in its LR). */
void vgic_link_hw(struct vgic *g, u32 vcpu, u32 intid, u32 hw_intid);

/*
 * The deliverable interrupt of vcpu with the highest priority (lowest
 * value; the lower ID among equals), or -1. Cheap when nothing changed
 * since the last call that found nothing.
 */
int vgic_pick(struct vgic *g, u32 vcpu);

/* Move interrupt intid (as vgic_pick() returned it) into a list register. */
struct vgic_lr_desc vgic_take(struct vgic *g, u32 vcpu, u32 intid);

/*
 * A list register gave intid back: the guest deactivated it (pending and
 * active both false), or hv retracted it with the state it had.
 */
void vgic_retire(struct vgic *g, u32 vcpu, u32 intid, bool pending, bool active);

/*
 * Whether intid of vcpu, held in a list register, should stay there: it is
 * still enabled and its group enabled. Used after lr_recheck.
 */
bool vgic_lr_still_wanted(const struct vgic *g, u32 vcpu, u32 intid);

/* The interrupt's state, for tests and dumps (NULL for an ID out of range). */
const struct vgic_irq *vgic_irq_state(const struct vgic *g, u32 vcpu, u32 intid);

#endif /* HV_DEV_VGIC_H */
