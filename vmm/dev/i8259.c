/*
 * The emulated 8259A pair (contract in hv/dev/i8259.h). This file owns the
 * chip's priority logic: requests in IRR, masks in IMR, interrupts in
 * service in ISR, the rotating priority order, edge detection, the cascade
 * of the slave's INT output into the master's IR2, and the INTA cycle.
 *
 * Priorities: IRQ (lowest_prio + 1) mod 8 is the highest, lowest_prio the
 * lowest (IRQ 0 highest, 7 lowest after initialization). A request is
 * delivered only if its priority is above every interrupt in service (in
 * special mask mode, above every unmasked one in service): fully nested
 * mode, the only one the PC uses.
 */
#include <hv/dev/i8259.h>
#include <hv/string.h>

#define MASTER 0
#define SLAVE  1
#define NONE   (-1)
#define LEVELS 8

/* BIOS defaults: master at vector 0x08, slave at 0x70 (what a PC BIOS leaves). */
#define BIOS_MASTER_VECTOR 0x08
#define BIOS_SLAVE_VECTOR  0x70

static unsigned rank(const struct i8259_chip *c, unsigned irq)
{
	return (irq - c->lowest_prio - 1) & (LEVELS - 1);
}

/* The highest-priority IRQ whose bit is set in mask, or NONE. */
static int highest(const struct i8259_chip *c, u8 mask)
{
	if (!mask)
		return NONE;
	for (unsigned r = 0; r < LEVELS; r++) {
		unsigned irq = (c->lowest_prio + 1 + r) & (LEVELS - 1);

		if (mask & BIT(irq))
			return (int)irq;
	}
	return NONE;
}

/* The request this chip would signal on INT now, or NONE. */
static int pending(const struct i8259_chip *c)
{
	int req = highest(c, c->irr & ~c->imr);
	u8 in_service = c->isr;
	int cur;

	if (req == NONE)
		return NONE;
	if (c->special_mask)
		in_service &= ~c->imr;
	cur = highest(c, in_service);
	if (cur != NONE && rank(c, (unsigned)req) >= rank(c, (unsigned)cur))
		return NONE;
	return req;
}

static void chip_line(struct i8259_chip *c, unsigned irq, bool level)
{
	u8 bit = (u8)BIT(irq);

	if (level) {
		/* Edge mode latches a rising edge; level mode requests while high. */
		if ((c->elcr & bit) || !(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		c->lines &= ~bit;
		if (c->elcr & bit)
			c->irr &= ~bit;
	}
}

/* The slave's INT output drives the master's IR2; then the master's INT output. */
static void update_cascade(struct i8259 *p)
{
	chip_line(&p->chip[MASTER], I8259_CASCADE_IRQ, pending(&p->chip[SLAVE]) != NONE);
	p->output = pending(&p->chip[MASTER]) != NONE;
}

static void chip_intack(struct i8259_chip *c, unsigned irq)
{
	u8 bit = (u8)BIT(irq);

	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->lowest_prio = (u8)irq;
	} else {
		c->isr |= bit;
	}
	if (!(c->elcr & bit))
		c->irr &= ~bit;
}

static void chip_reset(struct i8259_chip *c, u8 vector_base)
{
	u8 elcr = c->elcr, lines = c->lines;

	memset(c, 0, sizeof(*c));
	c->elcr = elcr;
	c->lines = lines;
	c->vector_base = vector_base;
	c->lowest_prio = LEVELS - 1;
}

void i8259_init(struct i8259 *p)
{
	memset(p, 0, sizeof(*p));
	chip_reset(&p->chip[MASTER], BIOS_MASTER_VECTOR);
	chip_reset(&p->chip[SLAVE], BIOS_SLAVE_VECTOR);
	p->chip[MASTER].imr = 0xff;
	p->chip[SLAVE].imr = 0xff;
}

void i8259_set_irq(struct i8259 *p, unsigned irq, bool level)
{
	if (irq >= I8259_IRQ_COUNT || irq == I8259_CASCADE_IRQ)
		return;
	chip_line(&p->chip[irq / LEVELS], irq % LEVELS, level);
	update_cascade(p);
}

u8 i8259_ack(struct i8259 *p)
{
	struct i8259_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
	int irq = pending(m), irq2;
	u8 vector;

	if (irq == NONE) {
		p->spurious++;
		update_cascade(p);
		return (u8)(m->vector_base + LEVELS - 1);
	}
	if (irq == I8259_CASCADE_IRQ) {
		irq2 = pending(s);
		if (irq2 == NONE) {
			/* The master acknowledged IR2; the slave answers with its IRQ 7 (IRQ 15). */
			p->spurious++;
			vector = (u8)(s->vector_base + LEVELS - 1);
		} else {
			chip_intack(s, (unsigned)irq2);
			vector = (u8)(s->vector_base + irq2);
		}
	} else {
		vector = (u8)(m->vector_base + irq);
	}
	chip_intack(m, (unsigned)irq);
	update_cascade(p);
	return vector;
}

static void write_command(struct i8259_chip *c, u8 v)
{
	unsigned level = v & I8259_OCW2_LEVEL;
	int irq;

	if (v & I8259_ICW1) {
		/* 8259A: IMR cleared, IR7 lowest, special mask off, reads give IRR, edges re-armed. */
		chip_reset(c, c->vector_base);
		c->irr = c->lines & c->elcr;
		c->need_icw4 = v & I8259_ICW1_IC4;
		c->need_icw3 = !(v & I8259_ICW1_SNGL);
		c->init_step = 1;
		return;
	}
	if (v & I8259_OCW3) {
		if (v & I8259_OCW3_POLL)
			c->poll = true;
		if (v & I8259_OCW3_RR)
			c->read_isr = v & I8259_OCW3_RIS;
		if (v & I8259_OCW3_ESMM)
			c->special_mask = v & I8259_OCW3_SMM;
		return;
	}
	switch ((enum i8259_ocw2)(v >> I8259_OCW2_SHIFT)) {
	case I8259_OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_on_aeoi = false;
		break;
	case I8259_OCW2_ROTATE_AEOI_SET:
		c->rotate_on_aeoi = true;
		break;
	case I8259_OCW2_EOI:
	case I8259_OCW2_ROTATE_EOI:
		irq = highest(c, c->isr);
		if (irq == NONE)
			break;
		c->isr &= (u8)~BIT(irq);
		if ((v >> I8259_OCW2_SHIFT) == I8259_OCW2_ROTATE_EOI)
			c->lowest_prio = (u8)irq;
		break;
	case I8259_OCW2_SPECIFIC_EOI:
		c->isr &= (u8)~BIT(level);
		break;
	case I8259_OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= (u8)~BIT(level);
		c->lowest_prio = (u8)level;
		break;
	case I8259_OCW2_SET_PRIORITY:
		c->lowest_prio = (u8)level;
		break;
	case I8259_OCW2_NOP:
		break;
	}
}

static void write_data(struct i8259_chip *c, u8 v)
{
	switch (c->init_step) {
	case 1: /* ICW2 */
		c->vector_base = v & I8259_ICW2_VECTOR;
		c->init_step = c->need_icw3 ? 2 : c->need_icw4 ? 3 : 0;
		break;
	case 2: /* ICW3: the cascade wiring is fixed on a PC */
		c->init_step = c->need_icw4 ? 3 : 0;
		break;
	case 3: /* ICW4 */
		c->auto_eoi = v & I8259_ICW4_AEOI;
		c->init_step = 0;
		break;
	default: /* OCW1 */
		c->imr = v;
		break;
	}
}

u8 i8259_read(struct i8259 *p, unsigned chip, unsigned offset)
{
	struct i8259_chip *c;
	int irq;
	u8 v;

	if (chip > SLAVE)
		return 0xff;
	c = &p->chip[chip];
	if (offset & 1)
		return c->imr;
	if (!c->poll)
		return c->read_isr ? c->isr : c->irr;
	/* A poll read acknowledges like INTA and returns 0x80 | level, or 0. */
	c->poll = false;
	irq = pending(c);
	v = 0;
	if (irq != NONE) {
		chip_intack(c, (unsigned)irq);
		v = (u8)(I8259_POLL_INT | irq);
	}
	update_cascade(p);
	return v;
}

void i8259_write(struct i8259 *p, unsigned chip, unsigned offset, u8 value)
{
	if (chip > SLAVE)
		return;
	if (offset & 1)
		write_data(&p->chip[chip], value);
	else
		write_command(&p->chip[chip], value);
	update_cascade(p);
}

u8 i8259_elcr_read(const struct i8259 *p, unsigned chip)
{
	return chip > SLAVE ? 0xff : p->chip[chip].elcr;
}

void i8259_elcr_write(struct i8259 *p, unsigned chip, u8 value)
{
	struct i8259_chip *c;
	u8 mask = chip == MASTER ? I8259_ELCR_MASTER_MASK : I8259_ELCR_SLAVE_MASK;

	if (chip > SLAVE)
		return;
	c = &p->chip[chip];
	c->elcr = value & mask;
	/* A line that became level-triggered requests while it is high. */
	c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
	update_cascade(p);
}
