/*
 * What the two halves of the emulated GIC share (vmm/dev/vgic.c: interrupt
 * state and delivery; vmm/dev/vgic_regs.c: the register interface): the
 * lookup of an interrupt's state and the rules every change goes through.
 */
#ifndef VMM_DEV_VGIC_INTERNAL_H
#define VMM_DEV_VGIC_INTERNAL_H

#include <hv/dev/vgic.h>

#define VGIC_AFF0_MASK 0xffull

static inline struct vgic_irq *vgic_irq_of(struct vgic *g, u32 vcpu, u32 intid)
{
	if (intid < GIC_PRIVATE_COUNT)
		return vcpu < g->cpu_count ? &g->cpu[vcpu].priv[intid] : NULL;
	if (intid < VGIC_IRQS)
		return &g->spi[intid - GIC_PRIVATE_COUNT];
	return NULL;
}

static inline bool vgic_is_pending(const struct vgic_irq *i)
{
	return i->latch || (!i->edge && i->line);
}

static inline bool vgic_group_enabled(const struct vgic *g, const struct vgic_irq *i)
{
	return g->ctlr & (i->group1 ? GICD_CTLR_ENABLE_GRP1 : GICD_CTLR_ENABLE_GRP0);
}

static inline bool vgic_targets(const struct vgic *g, u32 vcpu, u32 intid, const struct vgic_irq *i)
{
	if (intid < GIC_PRIVATE_COUNT)
		return true;
	return g->version == VGIC_V2 ? (i->targets >> vcpu) & 1 : i->route == vcpu;
}

/* Something changed that may make an interrupt deliverable somewhere. */
static inline void vgic_poke_all(struct vgic *g)
{
	for (u32 c = 0; c < g->cpu_count; c++)
		g->cpu[c].maybe_pending = true;
}

/* A change to an interrupt a list register may hold: the arch side looks again. */
static inline void vgic_touched(struct vgic *g, u32 vcpu, u32 intid, const struct vgic_irq *i)
{
	if (!i->in_lr)
		return;
	if (intid < GIC_PRIVATE_COUNT) {
		g->cpu[vcpu].lr_recheck = true;
		return;
	}
	for (u32 c = 0; c < g->cpu_count; c++)
		g->cpu[c].lr_recheck = true;
}

#endif /* VMM_DEV_VGIC_INTERNAL_H */
