/*
 * The emulated GIC distributor and redistributors (contract, model and
 * access rules in hv/dev/vgic.h). This file owns the interrupt state and
 * the register semantics of IHI 0048B chapter 4 (v2) and IHI 0069 chapter
 * 12 (v3, with GICD_CTLR.DS = 1: one security state, affinity routing
 * always on); the list-register side is arch/arm64/vgic_lr.c.
 */
#include <hv/dev/vgic.h>
#include <hv/string.h>

#define IRQS_PER_WORD  32
#define CFG_PER_WORD   16
#define V3_IDBITS      10 /* interrupt ID bits the v3 distributor reports */
#define V3_IROUTER_IRM BIT(31)
#define ARCHREV_V2     2u
#define ARCHREV_V3     3u
#define AFF0_MASK      0xffull
/* ICC_SGI1R_EL1 fields (IHI 0069). */
#define SGI1R_AFF1_SHIFT  16
#define SGI1R_INTID_SHIFT 24
#define SGI1R_AFF2_SHIFT  32
#define SGI1R_IRM         BIT(40)
#define SGI1R_RS_SHIFT    44
#define SGI1R_AFF3_SHIFT  48

enum bit_reg { BIT_GROUP, BIT_ENABLE, BIT_PENDING, BIT_ACTIVE };

static struct vgic_irq *irq_of(struct vgic *g, u32 vcpu, u32 intid)
{
	if (intid < GIC_PRIVATE_COUNT)
		return vcpu < g->cpu_count ? &g->cpu[vcpu].priv[intid] : NULL;
	if (intid < VGIC_IRQS)
		return &g->spi[intid - GIC_PRIVATE_COUNT];
	return NULL;
}

const struct vgic_irq *vgic_irq_state(const struct vgic *g, u32 vcpu, u32 intid)
{
	return irq_of((struct vgic *)g, vcpu, intid);
}

static bool is_pending(const struct vgic_irq *i)
{
	return i->latch || (!i->edge && i->line);
}

static bool group_enabled(const struct vgic *g, const struct vgic_irq *i)
{
	return g->ctlr & (i->group1 ? GICD_CTLR_ENABLE_GRP1 : GICD_CTLR_ENABLE_GRP0);
}

static bool targets(const struct vgic *g, u32 vcpu, u32 intid, const struct vgic_irq *i)
{
	if (intid < GIC_PRIVATE_COUNT)
		return true;
	return g->version == VGIC_V2 ? (i->targets >> vcpu) & 1 : i->route == vcpu;
}

/* Something changed that may make an interrupt deliverable somewhere. */
static void poke_all(struct vgic *g)
{
	for (u32 c = 0; c < g->cpu_count; c++)
		g->cpu[c].maybe_pending = true;
}

/* A change to an interrupt a list register may hold: the arch side looks again. */
static void touched(struct vgic *g, u32 vcpu, u32 intid, const struct vgic_irq *i)
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
	struct vgic_irq *i = irq_of(g, intid < GIC_PRIVATE_COUNT ? vcpu : 0, intid);

	if (!i || intid < GIC_SGI_COUNT || i->line == level)
		return;
	i->line = level;
	if (level && i->edge)
		i->latch = true;
	if (level)
		poke_all(g);
}

void vgic_set_pending(struct vgic *g, u32 vcpu, u32 intid)
{
	struct vgic_irq *i = irq_of(g, vcpu, intid);

	if (!i)
		return;
	i->latch = true;
	poke_all(g);
}

void vgic_link_hw(struct vgic *g, u32 vcpu, u32 intid, u32 hw_intid)
{
	struct vgic_irq *i = irq_of(g, vcpu, intid);

	if (!i)
		return;
	i->hw = true;
	i->hw_intid = (u16)hw_intid;
}

static bool deliverable(const struct vgic *g, u32 vcpu, u32 intid, const struct vgic_irq *i)
{
	return i->enabled && is_pending(i) && !i->active && !i->in_lr && group_enabled(g, i) &&
	       targets(g, vcpu, intid, i);
}

int vgic_pick(struct vgic *g, u32 vcpu)
{
	int best = -1;
	unsigned best_prio = 0x100;

	if (vcpu >= g->cpu_count || !g->cpu[vcpu].maybe_pending)
		return -1;
	for (u32 n = 0; n < VGIC_IRQS; n++) {
		const struct vgic_irq *i = irq_of(g, vcpu, n);

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
	struct vgic_irq *i = irq_of(g, vcpu, intid);
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
	struct vgic_irq *i = irq_of(g, vcpu, intid);

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

	return i && i->enabled && group_enabled(g, i) && targets(g, vcpu, intid, i);
}

/* --- registers shared by v2's distributor, v3's distributor and v3's SGI frame -------- */

static bool bit_get(const struct vgic_irq *i, enum bit_reg r)
{
	switch (r) {
	case BIT_GROUP:
		return i->group1;
	case BIT_ENABLE:
		return i->enabled;
	case BIT_PENDING:
		return is_pending(i) || i->in_lr;
	default:
		return i->active;
	}
}

/* Set (set == true) or clear the bit of one interrupt, as ISxxx/ICxxx or IGROUPR writes do. */
static void bit_write(struct vgic *g, u32 vcpu, u32 intid, enum bit_reg r, bool set)
{
	struct vgic_irq *i = irq_of(g, vcpu, intid);

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
	touched(g, vcpu, intid, i);
	poke_all(g);
}

/* A 32-bit bitmap register covering interrupts first..first+31. */
static u32 bitmap_read(struct vgic *g, u32 vcpu, u32 first, enum bit_reg r)
{
	u32 v = 0;

	for (u32 n = 0; n < IRQS_PER_WORD; n++) {
		const struct vgic_irq *i = irq_of(g, vcpu, first + n);

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
		const struct vgic_irq *i = irq_of(g, vcpu, first + n);

		if (i && i->edge)
			v |= GICD_ICFGR_EDGE << (2 * n);
	}
	return v;
}

static void cfg_write(struct vgic *g, u32 vcpu, u32 first, u32 v)
{
	for (u32 n = 0; n < CFG_PER_WORD; n++) {
		struct vgic_irq *i = irq_of(g, vcpu, first + n);

		/* SGIs are always edge-triggered. */
		if (i && first + n >= GIC_SGI_COUNT)
			i->edge = (v >> (2 * n)) & GICD_ICFGR_EDGE;
	}
}

static u8 prio_read(struct vgic *g, u32 vcpu, u32 intid)
{
	const struct vgic_irq *i = irq_of(g, vcpu, intid);

	return i ? i->priority : 0;
}

static void prio_write(struct vgic *g, u32 vcpu, u32 intid, u8 v)
{
	struct vgic_irq *i = irq_of(g, vcpu, intid);

	if (i) {
		i->priority = (u8)(v & VGIC_PRIO_MASK);
		poke_all(g);
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
		u32 aff0 = (u32)(m & AFF0_MASK);
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
		touched(g, vcpu, first_sgi + b, i);
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
				touched(g, vcpu, n, i);
			}
		}
		poke_all(g);
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
		u64 r = g->mpidr[i->route] & AFF0_MASK;

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
		if ((g->mpidr[c] & AFF0_MASK) == (v & AFF0_MASK) && !(v & GENMASK(39, 8)))
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
		poke_all(g);
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
		touched(g, vcpu, (u32)((off - GICD_IROUTER) / 8), i);
		poke_all(g);
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
