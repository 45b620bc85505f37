/*
 * The emulated GIC's registers as a guest reaches them (contract and access
 * rules in hv/dev/vgic.h): the v2 distributor, the v3 distributor and the v3
 * redistributors, whose bitmap, priority and configuration registers share
 * one layout. Register semantics: IHI 0048B chapter 4 (v2), IHI 0069
 * chapter 12 (v3, GICD_CTLR.DS = 1). Every change to an interrupt goes
 * through the rules of vgic_internal.h.
 */
#include "vgic_internal.h"

#define IRQS_PER_WORD  32
#define CFG_PER_WORD   16
#define V3_IDBITS      10 /* interrupt ID bits the v3 distributor reports */
#define V3_IROUTER_IRM BIT(31)
#define ARCHREV_V2     2u
#define ARCHREV_V3     3u

enum bit_reg { BIT_GROUP, BIT_ENABLE, BIT_PENDING, BIT_ACTIVE };

/* --- registers shared by v2's distributor, v3's distributor and v3's SGI frame -------- */

static bool bit_get(const struct vgic_irq *i, enum bit_reg r)
{
	switch (r) {
	case BIT_GROUP:
		return i->group1;
	case BIT_ENABLE:
		return i->enabled;
	case BIT_PENDING:
		return vgic_is_pending(i) || i->in_lr;
	default:
		return i->active;
	}
}

/* Set (set == true) or clear the bit of one interrupt, as ISxxx/ICxxx or IGROUPR writes do. */
static void bit_write(struct vgic *g, u32 vcpu, u32 intid, enum bit_reg r, bool set)
{
	struct vgic_irq *i = vgic_irq_of(g, vcpu, intid);

	if (!i)
		return;
	switch (r) {
	case BIT_GROUP:
		i->group1 = set;
		break;
	case BIT_ENABLE:
		/* v2 SGI enables are RAO/WI. */
		if (g->version == VGIC_V2 && intid < GIC_SGI_COUNT)
			return;
		i->enabled = set;
		break;
	case BIT_PENDING:
		/* v2 SGIs go pending through SPENDSGIR only. */
		if (g->version == VGIC_V2 && intid < GIC_SGI_COUNT)
			return;
		i->latch = set;
		break;
	case BIT_ACTIVE:
		i->active = set;
		break;
	}
	vgic_touched(g, vcpu, intid, i);
	vgic_poke_all(g);
}

/* A 32-bit bitmap register covering interrupts first..first+31. */
static u32 bitmap_read(struct vgic *g, u32 vcpu, u32 first, enum bit_reg r)
{
	u32 v = 0;

	for (u32 n = 0; n < IRQS_PER_WORD; n++) {
		const struct vgic_irq *i = vgic_irq_of(g, vcpu, first + n);

		if (i && bit_get(i, r))
			v |= 1u << n;
	}
	return v;
}

/* kind > 0: ISxxx (1 sets); < 0: ICxxx (1 clears); 0: IGROUPR (the value is the bit). */
static void bitmap_write(struct vgic *g, u32 vcpu, u32 first, enum bit_reg r, u32 v, int kind)
{
	for (u32 n = 0; n < IRQS_PER_WORD; n++) {
		bool bit = (v >> n) & 1;

		if (kind == 0)
			bit_write(g, vcpu, first + n, r, bit);
		else if (bit)
			bit_write(g, vcpu, first + n, r, kind > 0);
	}
}

static u32 cfg_read(struct vgic *g, u32 vcpu, u32 first)
{
	u32 v = 0;

	for (u32 n = 0; n < CFG_PER_WORD; n++) {
		const struct vgic_irq *i = vgic_irq_of(g, vcpu, first + n);

		if (i && i->edge)
			v |= GICD_ICFGR_EDGE << (2 * n);
	}
	return v;
}

static void cfg_write(struct vgic *g, u32 vcpu, u32 first, u32 v)
{
	for (u32 n = 0; n < CFG_PER_WORD; n++) {
		struct vgic_irq *i = vgic_irq_of(g, vcpu, first + n);

		/* SGIs are always edge-triggered. */
		if (i && first + n >= GIC_SGI_COUNT)
			i->edge = (v >> (2 * n)) & GICD_ICFGR_EDGE;
	}
}

static u8 prio_read(struct vgic *g, u32 vcpu, u32 intid)
{
	const struct vgic_irq *i = vgic_irq_of(g, vcpu, intid);

	return i ? i->priority : 0;
}

static void prio_write(struct vgic *g, u32 vcpu, u32 intid, u8 v)
{
	struct vgic_irq *i = vgic_irq_of(g, vcpu, intid);

	if (i) {
		i->priority = (u8)(v & VGIC_PRIO_MASK);
		vgic_poke_all(g);
	}
}

/* Which bitmap register an offset in [IGROUPR, IPRIORITYR) names, and whether it sets or clears. */
static enum bit_reg bitmap_kind(u64 off, int *kind)
{
	if (off < GICD_ISENABLER) {
		*kind = 0;
		return BIT_GROUP;
	}
	*kind = (off & 0x80) ? -1 : 1;
	if (off < GICD_ISPENDR)
		return BIT_ENABLE;
	if (off < GICD_ISACTIVER)
		return BIT_PENDING;
	return BIT_ACTIVE;
}

/*
 * The registers whose layout the v2 distributor, the v3 distributor (for
 * SPIs) and the v3 SGI frame (private interrupts) share: offsets relative
 * to GICD_IGROUPR..GICD_ICFGR. lo..hi is the interrupt range the block
 * serves. Returns false if off is none of them.
 */
static bool shared_read(struct vgic *g, u32 vcpu, u64 off, unsigned size, u32 lo, u32 hi, u64 *out)
{
	u32 first;
	int kind;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + VGIC_IRQS) {
		first = (u32)(off - GICD_IPRIORITYR);
		*out = 0;
		for (unsigned b = 0; b < size && b < 4; b++)
			if (first + b >= lo && first + b < hi)
				*out |= (u64)prio_read(g, vcpu, first + b) << (8 * b);
		return size == 1 || size == 4;
	}
	if (size != 4)
		return false;
	if (off >= GICD_ICFGR && off < GICD_ICFGR + VGIC_IRQS / 4) {
		first = (u32)(off - GICD_ICFGR) * 4;
		*out = first >= lo && first < hi ? cfg_read(g, vcpu, first) : 0;
		return true;
	}
	if (off < GICD_IGROUPR || off >= GICD_IPRIORITYR)
		return false;
	first = (u32)((off - GICD_IGROUPR) % 0x80) * 8;
	if (first >= VGIC_IRQS)
		return false;
	*out = first >= lo && first < hi ? bitmap_read(g, vcpu, first, bitmap_kind(off, &kind)) : 0;
	return true;
}

static bool shared_write(struct vgic *g, u32 vcpu, u64 off, unsigned size, u64 value, u32 lo,
			 u32 hi)
{
	u32 first;
	int kind;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + VGIC_IRQS) {
		if (size != 1 && size != 4)
			return false;
		first = (u32)(off - GICD_IPRIORITYR);
		for (unsigned b = 0; b < size; b++)
			if (first + b >= lo && first + b < hi)
				prio_write(g, vcpu, first + b, (u8)(value >> (8 * b)));
		return true;
	}
	if (size != 4)
		return false;
	if (off >= GICD_ICFGR && off < GICD_ICFGR + VGIC_IRQS / 4) {
		first = (u32)(off - GICD_ICFGR) * 4;
		if (first >= lo && first < hi)
			cfg_write(g, vcpu, first, (u32)value);
		return true;
	}
	if (off < GICD_IGROUPR || off >= GICD_IPRIORITYR)
		return false;
	first = (u32)((off - GICD_IGROUPR) % 0x80) * 8;
	if (first >= VGIC_IRQS)
		return false;
	if (first >= lo && first < hi) {
		enum bit_reg r = bitmap_kind(off, &kind);

		bitmap_write(g, vcpu, first, r, (u32)value, kind);
	}
	return true;
}

/* --- v2-only distributor registers -------------------------------------------------------- */

static u32 typer(const struct vgic *g)
{
	u32 v = VGIC_IRQS / IRQS_PER_WORD - 1;

	if (g->version == VGIC_V2)
		return v | (g->cpu_count - 1) << GICD_TYPER_CPUS_SHIFT;
	return v | (V3_IDBITS - 1) << GICD_TYPER_IDBITS_SHIFT;
}

static void sgir_write(struct vgic *g, u32 vcpu, u32 v)
{
	u32 filter = (v >> GICD_SGIR_TARGET_FILTER_SHIFT) & 3, intid = v & GICD_SGIR_INTID_MASK;
	u32 list = (v >> GICD_SGIR_TARGET_LIST_SHIFT) & 0xff;

	if (filter == GICD_SGIR_FILTER_OTHERS)
		list = ((1u << g->cpu_count) - 1) & ~(1u << vcpu);
	else if (filter == GICD_SGIR_FILTER_SELF)
		list = 1u << vcpu;
	else if (filter != GICD_SGIR_FILTER_LIST)
		return; /* reserved */
	for (u32 c = 0; c < g->cpu_count; c++) {
		if (!((list >> c) & 1))
			continue;
		g->cpu[c].priv[intid].sgi_sources |= (u8)(1u << vcpu);
		g->cpu[c].priv[intid].latch = true;
		g->cpu[c].maybe_pending = true;
	}
}

/* CPENDSGIR / SPENDSGIR: one byte per SGI, a bit per source vCPU. */
static void sgi_pend_write(struct vgic *g, u32 vcpu, u32 first_sgi, unsigned size, u64 v, bool set)
{
	for (unsigned b = 0; b < size; b++) {
		struct vgic_irq *i = &g->cpu[vcpu].priv[first_sgi + b];
		u8 bits = (u8)(v >> (8 * b)) & (u8)((1u << g->cpu_count) - 1);

		if (set)
			i->sgi_sources |= bits;
		else
			i->sgi_sources &= (u8)~bits;
		i->latch = i->sgi_sources != 0;
		vgic_touched(g, vcpu, first_sgi + b, i);
	}
	g->cpu[vcpu].maybe_pending = true;
}

static bool v2_read(struct vgic *g, u32 vcpu, u64 off, unsigned size, u64 *out)
{
	if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + VGIC_IRQS && (size == 1 || size == 4)) {
		u32 first = (u32)(off - GICD_ITARGETSR);

		*out = 0;
		for (unsigned b = 0; b < size; b++) {
			u32 n = first + b;
			u8 t = n < GIC_PRIVATE_COUNT ? (u8)(1u << vcpu)
						     : g->spi[n - GIC_PRIVATE_COUNT].targets;

			*out |= (u64)t << (8 * b);
		}
		return true;
	}
	if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16 && (size == 1 || size == 4)) {
		u32 first = (u32)(off - GICD_CPENDSGIR) % 16;

		*out = 0;
		for (unsigned b = 0; b < size; b++)
			*out |= (u64)g->cpu[vcpu].priv[first + b].sgi_sources << (8 * b);
		return true;
	}
	return false;
}

static bool v2_write(struct vgic *g, u32 vcpu, u64 off, unsigned size, u64 value)
{
	if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + VGIC_IRQS && (size == 1 || size == 4)) {
		u32 first = (u32)(off - GICD_ITARGETSR);

		for (unsigned b = 0; b < size; b++) {
			u32 n = first + b;

			/* Private interrupts' targets are read-only. */
			if (n >= GIC_PRIVATE_COUNT) {
				struct vgic_irq *i = &g->spi[n - GIC_PRIVATE_COUNT];

				i->targets =
				    (u8)(value >> (8 * b)) & (u8)((1u << g->cpu_count) - 1);
				vgic_touched(g, vcpu, n, i);
			}
		}
		vgic_poke_all(g);
		return true;
	}
	if (off == GICD_SGIR && size == 4) {
		sgir_write(g, vcpu, (u32)value);
		return true;
	}
	if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16 && (size == 1 || size == 4)) {
		sgi_pend_write(g, vcpu, (u32)(off - GICD_CPENDSGIR) % 16, size, value,
			       off >= GICD_SPENDSGIR);
		return true;
	}
	return false;
}

/* --- the distributor -------------------------------------------------------------------- */

/* Naturally aligned 1, 2, 4 or 8 bytes: the only accesses any GIC register accepts. */
static bool access_ok(u64 off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && (off & (size - 1)) == 0;
}

static u64 id_reg(const struct vgic *g, u64 off)
{
	u64 pidr2 = g->version == VGIC_V2 ? GICD_PIDR2_V2 : GICD_PIDR2_V3;

	if (off == pidr2)
		return (g->version == VGIC_V2 ? ARCHREV_V2 : ARCHREV_V3) << GIC_PIDR2_ARCHREV_SHIFT;
	return 0;
}

u64 vgic_dist_read(struct vgic *g, u32 vcpu, u64 off, unsigned size)
{
	/* v3 with affinity routing: private interrupts live in the redistributors. */
	u32 lo = g->version == VGIC_V3 ? GIC_PRIVATE_COUNT : 0;
	u64 v = 0;

	if (vcpu >= g->cpu_count || !access_ok(off, size)) {
		g->bad_accesses++;
		return 0;
	}
	if (off == GICD_CTLR && size == 4)
		return g->ctlr;
	if (off == GICD_TYPER && size == 4)
		return typer(g);
	if (off == GICD_IIDR && size == 4)
		return GICD_IIDR_ARM;
	if (shared_read(g, vcpu, off, size, lo, VGIC_IRQS, &v))
		return v;
	if (g->version == VGIC_V2 && v2_read(g, vcpu, off, size, &v))
		return v;
	if (g->version == VGIC_V3 && off >= GICD_IROUTER + 8 * GIC_PRIVATE_COUNT &&
	    off < GICD_IROUTER + 8 * VGIC_IRQS && (size == 8 || size == 4)) {
		const struct vgic_irq *i = &g->spi[(off - GICD_IROUTER) / 8 - GIC_PRIVATE_COUNT];
		u64 r = g->mpidr[i->route] & VGIC_AFF0_MASK;

		return size == 8 ? r : (off & 4 ? r >> 32 : (u32)r);
	}
	if (size == 4 && (off & 3) == 0 &&
	    ((g->version == VGIC_V2 && off >= GICD_ID_V2 && off < GICD_SIZE_V2) ||
	     (g->version == VGIC_V3 && off >= GICD_ID_V3 && off < GICD_SIZE_V3)))
		return id_reg(g, off);
	g->bad_accesses++;
	return 0;
}

/* A vCPU index from an IROUTER value (Aff0 only; IRM "any" routes to vCPU 0). */
static u8 route_of(const struct vgic *g, u64 v)
{
	if (v & V3_IROUTER_IRM)
		return 0;
	for (u32 c = 0; c < g->cpu_count; c++)
		if ((g->mpidr[c] & VGIC_AFF0_MASK) == (v & VGIC_AFF0_MASK) && !(v & GENMASK(39, 8)))
			return (u8)c;
	return 0;
}

void vgic_dist_write(struct vgic *g, u32 vcpu, u64 off, unsigned size, u64 value)
{
	u32 lo = g->version == VGIC_V3 ? GIC_PRIVATE_COUNT : 0;

	if (vcpu >= g->cpu_count || !access_ok(off, size)) {
		g->bad_accesses++;
		return;
	}
	if (off == GICD_CTLR && size == 4) {
		g->ctlr = (g->ctlr & ~(GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1)) |
			  ((u32)value & (GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1));
		for (u32 c = 0; c < g->cpu_count; c++)
			g->cpu[c].lr_recheck = true;
		vgic_poke_all(g);
		return;
	}
	if (off == GICD_TYPER || off == GICD_IIDR)
		return; /* read-only */
	if (shared_write(g, vcpu, off, size, value, lo, VGIC_IRQS))
		return;
	if (g->version == VGIC_V2 && v2_write(g, vcpu, off, size, value))
		return;
	if (g->version == VGIC_V3 && off >= GICD_IROUTER + 8 * GIC_PRIVATE_COUNT &&
	    off < GICD_IROUTER + 8 * VGIC_IRQS && (size == 8 || (size == 4 && !(off & 4)))) {
		struct vgic_irq *i = &g->spi[(off - GICD_IROUTER) / 8 - GIC_PRIVATE_COUNT];

		i->route = route_of(g, value);
		vgic_touched(g, vcpu, (u32)((off - GICD_IROUTER) / 8), i);
		vgic_poke_all(g);
		return;
	}
	if (size == 4 && (off & 3) == 0 &&
	    ((g->version == VGIC_V2 && off >= GICD_ID_V2 && off < GICD_SIZE_V2) ||
	     (g->version == VGIC_V3 && off >= GICD_ID_V3 && off < GICD_SIZE_V3)))
		return; /* read-only identification */
	g->bad_accesses++;
}

/* --- v3 redistributors ------------------------------------------------------------------ */

u64 vgic_redist_size(const struct vgic *g)
{
	return (u64)g->cpu_count * GICR_STRIDE;
}

static u64 gicr_typer(const struct vgic *g, u32 c)
{
	u64 m = g->mpidr[c];
	/* Affinity as Aff3.Aff2.Aff1.Aff0 in bits 63:32 (MPIDR has Aff3 at 39:32). */
	u64 aff = (m & GENMASK(23, 0)) | ((m >> 32) & 0xff) << 24;

	return aff << GICR_TYPER_AFF_SHIFT | (u64)c << GICR_TYPER_PROC_SHIFT |
	       (c == g->cpu_count - 1 ? GICR_TYPER_LAST : 0);
}

u64 vgic_redist_read(struct vgic *g, u64 offset, unsigned size)
{
	u32 c = (u32)(offset / GICR_STRIDE);
	u64 off = offset % GICR_STRIDE, v = 0;

	if (g->version != VGIC_V3 || c >= g->cpu_count || !access_ok(off, size))
		goto bad;
	if (off == GICR_TYPER && size == 8)
		return gicr_typer(g, c);
	if ((off == GICR_TYPER || off == GICR_TYPER + 4) && size == 4)
		return off == GICR_TYPER ? (u32)gicr_typer(g, c) : gicr_typer(g, c) >> 32;
	if (size == 4) {
		switch (off) {
		case GICR_CTLR:
			return 0; /* no LPIs; writes complete at once (RWP 0) */
		case GICR_IIDR:
			return GICD_IIDR_ARM;
		case GICR_WAKER:
			return g->cpu[c].asleep
				   ? GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
				   : 0;
		case GICR_PIDR2:
		case GICR_SGI_BASE + GICR_PIDR2:
			return ARCHREV_V3 << GIC_PIDR2_ARCHREV_SHIFT;
		case GICR_IGRPMODR0:
			return 0;
		default:
			break;
		}
	}
	if (off >= GICR_SGI_BASE &&
	    shared_read(g, c, off - GICR_SGI_BASE, size, 0, GIC_PRIVATE_COUNT, &v))
		return v;
bad:
	g->bad_accesses++;
	return 0;
}

void vgic_redist_write(struct vgic *g, u64 offset, unsigned size, u64 value)
{
	u32 c = (u32)(offset / GICR_STRIDE);
	u64 off = offset % GICR_STRIDE;

	if (g->version != VGIC_V3 || c >= g->cpu_count || !access_ok(off, size))
		goto bad;
	if (size == 4) {
		switch (off) {
		case GICR_WAKER:
			g->cpu[c].asleep = value & GICR_WAKER_PROCESSOR_SLEEP;
			return;
		case GICR_CTLR:
		case GICR_IGRPMODR0:
			return; /* nothing to enable: no LPIs, one security state */
		default:
			break;
		}
	}
	if (off >= GICR_SGI_BASE &&
	    shared_write(g, c, off - GICR_SGI_BASE, size, value, 0, GIC_PRIVATE_COUNT))
		return;
bad:
	g->bad_accesses++;
}
