/*
 * The emulated 8254 (contract in hv/dev/i8254.h). Nothing ticks: each
 * counter remembers the PIT tick at which it started counting, and its
 * count and output at any time are functions of the ticks elapsed since,
 * per mode:
 *
 *   mode         count after e ticks            OUT                  rising edges (IRQ 0)
 *   0, 1         (reload - e) mod 2^16          high once e >= reload  e = reload
 *   2 rate       reload - e mod reload          low for e mod reload   e = k * reload, k >= 1
 *                                               = reload - 1
 *   3 square     two decrements per tick        high for the first     e = k * reload, k >= 1
 *                                               half of each period
 *   4, 5         (reload - e) mod 2^16          low only at e = reload e = reload + 1
 *
 * A low gate stops the count; in modes 1, 2, 3 and 5 its rising edge
 * restarts the count from the reload value, in modes 0 and 4 counting
 * resumes. Only channel 2's gate is wired (port 0x61 bit 0).
 */
#include <hv/dev/i8254.h>
#include <hv/string.h>

#define NS_PER_SEC 1000000000ull
#define COUNT_MAX  0x10000u /* a written 0 loads 2^16 */
#define MODE_COUNT 6

u64 i8254_ns_to_ticks(u64 ns)
{
	return ns / NS_PER_SEC * I8254_HZ + ns % NS_PER_SEC * I8254_HZ / NS_PER_SEC;
}

u64 i8254_ticks_to_ns(u64 ticks)
{
	return ticks / I8254_HZ * NS_PER_SEC +
	       (ticks % I8254_HZ * NS_PER_SEC + I8254_HZ - 1) / I8254_HZ;
}

static bool periodic(const struct i8254_channel *c)
{
	return c->mode == I8254_MODE_RATE || c->mode == I8254_MODE_SQUARE;
}

static bool restarts_on_gate(const struct i8254_channel *c)
{
	return c->mode != I8254_MODE_TERMINAL && c->mode != I8254_MODE_SW_STROBE;
}

static u64 elapsed(const struct i8254_channel *c, u64 t)
{
	return c->gate ? t - c->start : c->frozen;
}

static u16 count_at(const struct i8254_channel *c, u64 t)
{
	u64 e, p, half;

	if (!c->armed)
		return (u16)c->reload;
	e = elapsed(c, t);
	switch (c->mode) {
	case I8254_MODE_RATE:
		return (u16)(c->reload - e % c->reload);
	case I8254_MODE_SQUARE:
		half = (c->reload + 1) / 2;
		p = e % c->reload;
		return (u16)((c->reload - 2 * (p < half ? p : p - half)) & ~1u);
	default:
		return (u16)((c->reload - e) & (COUNT_MAX - 1));
	}
}

static bool out_at(const struct i8254_channel *c, u64 t)
{
	u64 e;

	if (!c->armed)
		return c->mode != I8254_MODE_TERMINAL;
	if (!c->gate && periodic(c))
		return true;
	e = elapsed(c, t);
	switch (c->mode) {
	case I8254_MODE_TERMINAL:
	case I8254_MODE_ONESHOT:
		return e >= c->reload;
	case I8254_MODE_RATE:
		return e % c->reload != c->reload - 1;
	case I8254_MODE_SQUARE:
		return e % c->reload < (c->reload + 1) / 2;
	default:
		return e != c->reload;
	}
}

/* The tick of the first rising edge of OUT after tick t, or I8254_NO_EVENT. */
static u64 next_edge(const struct i8254_channel *c, u64 t)
{
	u64 e, first;

	if (!c->armed || !c->gate)
		return I8254_NO_EVENT;
	e = t - c->start;
	if (periodic(c))
		return c->start + (e / c->reload + 1) * c->reload;
	first = c->reload + (c->mode == I8254_MODE_SW_STROBE || c->mode == I8254_MODE_HW_STROBE);
	return e < first ? c->start + first : I8254_NO_EVENT;
}

static void rearm_irq(struct i8254 *p, u64 t)
{
	/* Edges are strictly after the current tick: one at t was reported or missed. */
	p->ch[0].next_irq = next_edge(&p->ch[0], t);
}

void i8254_init(struct i8254 *p, const struct i8254_ops *ops, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->ctx = ctx;
	for (unsigned i = 0; i < I8254_CHANNELS; i++) {
		struct i8254_channel *c = &p->ch[i];

		c->rw = I8254_CW_RW_WORD;
		c->reload = COUNT_MAX;
		c->gate = i != 2;
		c->next_irq = I8254_NO_EVENT;
	}
}

static void latch_count(struct i8254_channel *c, u64 t)
{
	if (c->count_latched)
		return;
	c->latch = count_at(c, t);
	c->count_latched = true;
	c->latch_msb_next = false;
}

static void latch_status(struct i8254_channel *c, u64 t)
{
	if (c->status_latched)
		return;
	c->status = (u8)((out_at(c, t) ? I8254_STATUS_OUT : 0) |
			 (c->null_count ? I8254_STATUS_NULL_COUNT : 0) | c->control);
	c->status_latched = true;
}

static void write_control(struct i8254 *p, u8 v, u64 t)
{
	unsigned sc = v >> I8254_CW_SC_SHIFT;
	unsigned rw = (v & I8254_CW_RW_MASK) >> I8254_CW_RW_SHIFT;
	unsigned mode = (v & I8254_CW_MODE_MASK) >> I8254_CW_MODE_SHIFT;
	struct i8254_channel *c;

	if (sc == I8254_CW_SC_READBACK) {
		for (unsigned i = 0; i < I8254_CHANNELS; i++) {
			if (!(v & I8254_RB_CHANNEL(i)))
				continue;
			if (!(v & I8254_RB_NO_COUNT))
				latch_count(&p->ch[i], t);
			if (!(v & I8254_RB_NO_STATUS))
				latch_status(&p->ch[i], t);
		}
		return;
	}
	c = &p->ch[sc];
	if (rw == I8254_CW_RW_LATCH) {
		latch_count(c, t);
		return;
	}
	/* Modes 6 and 7 are 2 and 3 (82C54: "X10", "X11"). */
	c->mode = (u8)(mode < MODE_COUNT ? mode : mode - 4);
	c->rw = (u8)rw;
	c->control = v & (u8)GENMASK(5, 0);
	c->armed = false;
	c->null_count = true;
	c->write_msb_next = c->read_msb_next = false;
	c->count_latched = c->status_latched = false;
	if (sc == 0)
		c->next_irq = I8254_NO_EVENT;
}

static void load(struct i8254 *p, struct i8254_channel *c, u32 value, u64 t)
{
	c->reload = value ? value : COUNT_MAX;
	/* A rate generator cannot count from 1 (82C54: "a count of 1 is illegal"). */
	if (periodic(c) && c->reload < 2)
		c->reload = 2;
	c->armed = true;
	c->null_count = false;
	c->start = t;
	c->frozen = 0;
	if (c == &p->ch[0])
		rearm_irq(p, t);
}

static void write_counter(struct i8254 *p, unsigned i, u8 v, u64 t)
{
	struct i8254_channel *c = &p->ch[i];

	switch (c->rw) {
	case I8254_CW_RW_LSB:
		load(p, c, v, t);
		break;
	case I8254_CW_RW_MSB:
		load(p, c, (u32)v << 8, t);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = true;
			/* Mode 0 stops counting while the new count is half written. */
			if (c->mode == I8254_MODE_TERMINAL && c->armed) {
				c->armed = false;
				c->null_count = true;
				if (i == 0)
					c->next_irq = I8254_NO_EVENT;
			}
		} else {
			c->write_msb_next = false;
			load(p, c, c->write_lsb | (u32)v << 8, t);
		}
		break;
	}
}

static u8 read_counter(struct i8254_channel *c, u64 t)
{
	u16 value;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		value = c->latch;
		msb = c->rw == I8254_CW_RW_MSB || (c->rw == I8254_CW_RW_WORD && c->latch_msb_next);
		if (c->rw == I8254_CW_RW_WORD && !c->latch_msb_next)
			c->latch_msb_next = true;
		else
			c->count_latched = false;
		return msb ? (u8)(value >> 8) : (u8)value;
	}
	value = count_at(c, t);
	msb = c->rw == I8254_CW_RW_MSB || (c->rw == I8254_CW_RW_WORD && c->read_msb_next);
	if (c->rw == I8254_CW_RW_WORD)
		c->read_msb_next = !c->read_msb_next;
	return msb ? (u8)(value >> 8) : (u8)value;
}

u8 i8254_read(struct i8254 *p, unsigned offset, u64 now)
{
	if (offset >= I8254_CONTROL)
		return 0xff; /* the control register is write-only */
	return read_counter(&p->ch[offset], i8254_ns_to_ticks(now));
}

void i8254_write(struct i8254 *p, unsigned offset, u8 value, u64 now)
{
	u64 t = i8254_ns_to_ticks(now);

	if (offset == I8254_CONTROL)
		write_control(p, value, t);
	else if (offset < I8254_CHANNELS)
		write_counter(p, offset, value, t);
}

static void set_gate(struct i8254_channel *c, bool level, u64 t)
{
	if (level == c->gate)
		return;
	if (!level) {
		c->frozen = t - c->start;
	} else if (restarts_on_gate(c)) {
		c->start = t;
	} else {
		c->start = t - c->frozen;
	}
	c->gate = level;
}

u8 i8254_port_b_read(struct i8254 *p, u64 now)
{
	u64 t = i8254_ns_to_ticks(now);
	u8 v = p->port_b;

	if ((now / I8254_REFRESH_NS) & 1)
		v |= I8254_PORT_B_REFRESH;
	if (out_at(&p->ch[2], t))
		v |= I8254_PORT_B_OUT2;
	return v;
}

void i8254_port_b_write(struct i8254 *p, u8 value, u64 now)
{
	p->port_b = value & I8254_PORT_B_RW_MASK;
	set_gate(&p->ch[2], value & I8254_PORT_B_GATE2, i8254_ns_to_ticks(now));
}

void i8254_update(struct i8254 *p, u64 now)
{
	struct i8254_channel *c = &p->ch[0];
	u64 t = i8254_ns_to_ticks(now);

	if (c->next_irq == I8254_NO_EVENT || t < c->next_irq)
		return;
	if (periodic(c))
		p->lost += (t - c->next_irq) / c->reload;
	p->irqs++;
	rearm_irq(p, t);
	p->ops->irq0(p->ctx);
}

u64 i8254_next_event(const struct i8254 *p)
{
	u64 next = p->ch[0].next_irq;

	return next == I8254_NO_EVENT ? I8254_NO_EVENT : i8254_ticks_to_ns(next);
}
