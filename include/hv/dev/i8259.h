/*
 * An emulated pair of 8259A programmable interrupt controllers, cascaded as
 * on every PC (vmm/dev/i8259.c): the master at ports 0x20-0x21, the slave
 * at 0xa0-0xa1 on the master's IR2, and the edge/level control registers
 * (ELCR) at 0x4d0-0x4d1. Complete enough for Linux's i8259 driver and for
 * small test guests: initialization (ICW1-ICW4), masking (OCW1), specific
 * and non-specific EOI with or without rotation (OCW2), reading IRR or ISR
 * and poll mode (OCW3), automatic EOI, special mask mode, fully nested
 * priority, edge- and level-triggered inputs, spurious IRQ 7 / 15.
 *
 * Interrupt lines come in through i8259_set_irq() as levels; the CPU side
 * asks i8259_has_interrupt() (the master's INT output) and acknowledges
 * with i8259_ack(), which returns the vector as the INTA cycle would.
 *
 * No locks: the owner (the VM's vCPU thread) makes every call.
 *
 * Register semantics: Intel 8259A datasheet (order 231468), "Programming
 * the 8259A" (ICWs, OCWs) and "Interrupt Sequence"; ELCR: Intel 82371 PIIX
 * datasheet, 4.1.10.
 */
#ifndef HV_DEV_I8259_H
#define HV_DEV_I8259_H

#include <hv/types.h>

#define I8259_MASTER_BASE 0x20
#define I8259_SLAVE_BASE  0xa0
#define I8259_ELCR_BASE   0x4d0 /* 0x4d0 master, 0x4d1 slave */
#define I8259_IRQ_COUNT   16
#define I8259_CASCADE_IRQ 2

/* Command port (offset 0) writes: ICW1 has bit 4, OCW3 bit 3, else OCW2. */
#define I8259_ICW1        BIT(4)
#define I8259_ICW1_IC4    BIT(0) /* ICW4 follows */
#define I8259_ICW1_SNGL   BIT(1) /* single chip: no ICW3 */
#define I8259_OCW3        BIT(3)
#define I8259_OCW3_RIS    BIT(0) /* read ISR (else IRR) when RR */
#define I8259_OCW3_RR     BIT(1)
#define I8259_OCW3_POLL   BIT(2)
#define I8259_OCW3_SMM    BIT(5)
#define I8259_OCW3_ESMM   BIT(6)
#define I8259_OCW2_SHIFT  5
#define I8259_OCW2_LEVEL  GENMASK(2, 0)
#define I8259_ICW2_VECTOR GENMASK(7, 3)
#define I8259_ICW4_AEOI   BIT(1)
#define I8259_POLL_INT    BIT(7) /* poll read: an interrupt was pending */

/* OCW2 commands (bits 7:5). */
enum i8259_ocw2 {
	I8259_OCW2_ROTATE_AEOI_CLEAR = 0,
	I8259_OCW2_EOI = 1,
	I8259_OCW2_NOP = 2,
	I8259_OCW2_SPECIFIC_EOI = 3,
	I8259_OCW2_ROTATE_AEOI_SET = 4,
	I8259_OCW2_ROTATE_EOI = 5,
	I8259_OCW2_SET_PRIORITY = 6,
	I8259_OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* ELCR bits that must stay 0 (edge): IRQ 0, 1, 2, 8 and 13 (PIIX 4.1.10). */
#define I8259_ELCR_MASTER_MASK 0xf8
#define I8259_ELCR_SLAVE_MASK  0xde

struct i8259_chip {
	u8 irr, isr, imr;
	u8 elcr;        /* 1 = level-triggered */
	u8 lines;       /* current input levels, for edge detection */
	u8 vector_base; /* ICW2 bits 7:3 */
	u8 lowest_prio; /* rotation: the IRQ with the lowest priority */
	u8 init_step;   /* 0 ready; 1, 2, 3: expecting ICW2, ICW3, ICW4 */
	bool need_icw3, need_icw4;
	bool auto_eoi, rotate_on_aeoi;
	bool read_isr, poll, special_mask;
};

struct i8259 {
	struct i8259_chip chip[2]; /* [0] master, [1] slave */
	bool output;               /* the master's INT line, recomputed after every change */
	u64 spurious;              /* acknowledgements that found nothing */
};

/* Power-on state: both chips waiting for ICW1, every line masked off, edge-triggered. */
void i8259_init(struct i8259 *p);

/* Set input line irq (0-15) to level. A rising edge latches an edge-triggered line. */
void i8259_set_irq(struct i8259 *p, unsigned irq, bool level);

/*
 * The master's INT output: an unmasked request of higher priority than any
 * in service. One load: the CPU side asks before every guest entry.
 */
static inline bool i8259_has_interrupt(const struct i8259 *p)
{
	return p->output;
}

/*
 * The INTA cycle: the vector of the highest-priority request, which moves
 * from IRR to ISR (unless automatic EOI). With nothing pending (the request
 * went away), the chip answers with its IRQ 7 vector: a spurious interrupt.
 */
u8 i8259_ack(struct i8259 *p);

/*
 * Port accesses: chip 0 (master) or 1 (slave), offset 0 (command) or 1
 * (data). Values are one byte.
 */
u8 i8259_read(struct i8259 *p, unsigned chip, unsigned offset);
void i8259_write(struct i8259 *p, unsigned chip, unsigned offset, u8 value);

/* ELCR at 0x4d0 + chip. */
u8 i8259_elcr_read(const struct i8259 *p, unsigned chip);
void i8259_elcr_write(struct i8259 *p, unsigned chip, u8 value);

#endif /* HV_DEV_I8259_H */
