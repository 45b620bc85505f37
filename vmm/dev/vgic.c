/*
 * The emulated GIC's interrupt state and its delivery (contract, model and
 * rules in hv/dev/vgic.h): reset, device lines, forwarded and software
 * interrupts, SGIs, and the pick / take / retire cycle the list-register
 * code (arch/arm64/vgic_lr.c) drives. The registers a guest reaches are
 * vmm/dev/vgic_regs.c. GIC semantics: IHI 0048B (v2) and IHI 0069 (v3,
 * with GICD_CTLR.DS = 1: one security state, affinity routing always on).
 */
#include <hv/string.h>

#include "vgic_internal.h"

/* ICC_SGI1R_EL1 fields (IHI 0069). */
#define SGI1R_AFF1_SHIFT  16
#define SGI1R_INTID_SHIFT 24
#define SGI1R_AFF2_SHIFT  32
#define SGI1R_IRM         BIT(40)
#define SGI1R_RS_SHIFT    44
#define SGI1R_AFF3_SHIFT  48

const struct vgic_irq *vgic_irq_state(const struct vgic *g, u32 vcpu, u32 intid)
{
	return vgic_irq_of((struct vgic *)g, vcpu, intid);
}

void vgic_init(struct vgic *g, enum vgic_version v, u32 cpu_count, const u64 *mpidr)
{
	memset(g, 0, sizeof(*g));
	g->version = v;
	g->cpu_count = MIN(MAX(cpu_count, 1u), (u32)VGIC_CPUS_MAX);
	for (u32 c = 0; c < g->cpu_count; c++) {
		g->mpidr[c] = mpidr ? mpidr[c] : c;
		g->cpu[c].asleep = v == VGIC_V3;
		for (u32 n = 0; n < GIC_PRIVATE_COUNT; n++) {
			/* SGIs are edge-triggered and (v2) always enabled. */
			g->cpu[c].priv[n].edge = n < GIC_SGI_COUNT;
			g->cpu[c].priv[n].enabled = v == VGIC_V2 && n < GIC_SGI_COUNT;
		}
	}
	for (u32 n = 0; n < VGIC_SPIS; n++)
		g->spi[n].targets = 1;
	if (v == VGIC_V3)
		g->ctlr = GICD_CTLR_ARE | GICD_CTLR_DS;
}

/* --- interrupt state changes ------------------------------------------------------------ */

void vgic_set_line(struct vgic *g, u32 vcpu, u32 intid, bool level)
{
	struct vgic_irq *i = vgic_irq_of(g, intid < GIC_PRIVATE_COUNT ? vcpu : 0, intid);

	if (!i || intid < GIC_SGI_COUNT || i->line == level)
		return;
	i->line = level;
	if (level && i->edge)
		i->latch = true;
	if (level)
		vgic_poke_all(g);
}

void vgic_set_pending(struct vgic *g, u32 vcpu, u32 intid)
{
	struct vgic_irq *i = vgic_irq_of(g, vcpu, intid);

	if (!i)
		return;
	i->latch = true;
	vgic_poke_all(g);
}

void vgic_link_hw(struct vgic *g, u32 vcpu, u32 intid, u32 hw_intid)
{
	struct vgic_irq *i = vgic_irq_of(g, vcpu, intid);

	if (!i)
		return;
	i->hw = true;
	i->hw_intid = (u16)hw_intid;
}

static bool deliverable(const struct vgic *g, u32 vcpu, u32 intid, const struct vgic_irq *i)
{
	return i->enabled && vgic_is_pending(i) && !i->active && !i->in_lr &&
	       vgic_group_enabled(g, i) && vgic_targets(g, vcpu, intid, i);
}

int vgic_pick(struct vgic *g, u32 vcpu)
{
	int best = -1;
	unsigned best_prio = 0x100;

	if (vcpu >= g->cpu_count || !g->cpu[vcpu].maybe_pending)
		return -1;
	for (u32 n = 0; n < VGIC_IRQS; n++) {
		const struct vgic_irq *i = vgic_irq_of(g, vcpu, n);

		if (deliverable(g, vcpu, n, i) && i->priority < best_prio) {
			best = (int)n;
			best_prio = i->priority;
		}
	}
	if (best < 0)
		g->cpu[vcpu].maybe_pending = false;
	return best;
}

struct vgic_lr_desc vgic_take(struct vgic *g, u32 vcpu, u32 intid)
{
	struct vgic_irq *i = vgic_irq_of(g, vcpu, intid);
	struct vgic_lr_desc d = { .intid = intid };

	if (!i)
		return d;
	d.priority = i->priority;
	d.group1 = i->group1;
	d.hw = i->hw;
	d.hw_intid = i->hw_intid;
	/* Hear back when the guest is done: re-sample a level, or deliver a later edge. */
	d.eoi_notify = !i->hw;
	if (g->version == VGIC_V2 && intid < GIC_SGI_COUNT && i->sgi_sources) {
		d.source = (u8)__builtin_ctz(i->sgi_sources);
		i->sgi_sources &= (u8) ~(1u << d.source);
		i->latch = i->sgi_sources != 0;
	} else {
		i->latch = false;
	}
	i->in_lr = true;
	return d;
}

void vgic_retire(struct vgic *g, u32 vcpu, u32 intid, bool pending, bool active)
{
	struct vgic_irq *i = vgic_irq_of(g, vcpu, intid);

	if (!i)
		return;
	i->in_lr = false;
	if (pending && i->edge)
		i->latch = true;
	i->active = active;
	g->cpu[vcpu].maybe_pending = true;
}

bool vgic_lr_still_wanted(const struct vgic *g, u32 vcpu, u32 intid)
{
	const struct vgic_irq *i = vgic_irq_state(g, vcpu, intid);

	return i && i->enabled && vgic_group_enabled(g, i) && vgic_targets(g, vcpu, intid, i);
}

void vgic_send_sgi_v3(struct vgic *g, u32 sender, u64 sgir)
{
	u32 intid = (u32)(sgir >> SGI1R_INTID_SHIFT) & GICD_SGIR_INTID_MASK;
	u64 aff321 = (sgir >> SGI1R_AFF1_SHIFT & 0xff) << 8 |
		     (sgir >> SGI1R_AFF2_SHIFT & 0xff) << 16 |
		     (sgir >> SGI1R_AFF3_SHIFT & 0xff) << 32;
	u32 first = (u32)(sgir >> SGI1R_RS_SHIFT & 0xf) * 16;

	if (g->version != VGIC_V3)
		return;
	for (u32 c = 0; c < g->cpu_count; c++) {
		u64 m = g->mpidr[c];
		u32 aff0 = (u32)(m & VGIC_AFF0_MASK);
		bool hit;

		if (sgir & SGI1R_IRM)
			hit = c != sender;
		else
			hit = (m & (GENMASK(39, 32) | GENMASK(23, 8))) == aff321 && aff0 >= first &&
			      aff0 < first + 16 && (sgir >> (aff0 - first)) & 1;
		if (hit) {
			g->cpu[c].priv[intid].latch = true;
			g->cpu[c].maybe_pending = true;
		}
	}
}
