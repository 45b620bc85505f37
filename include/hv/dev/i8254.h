/*
 * An emulated 8254 programmable interval timer (vmm/dev/i8254.c): three
 * 16-bit counters at 1.193182 MHz, ports 0x40-0x43, plus the PC's port 0x61
 * ("system control port B": channel 2's gate and output, the speaker
 * enable, the refresh toggle). Channel 0's output is IRQ 0.
 *
 * Time is the caller's: every call takes `now` in nanoseconds from a
 * monotonic clock, and the counters are computed from it (no ticking
 * state). Channel 0's interrupts are edges the model reports through the
 * irq callback when i8254_update() finds that one is due; the owner asks
 * i8254_next_event() when to call it next.
 *
 * Modes 0 (interrupt on terminal count), 2 (rate generator), 3 (square
 * wave) and 4 (software strobe) are complete; 1 and 5 (hardware-triggered)
 * behave as 0 and 4 started by the gate's rising edge. Reads: counter
 * latch and read-back commands, LSB/MSB/word access. BCD counting is
 * accepted and treated as binary (no PC software uses it).
 *
 * No locks: the owner (the VM's vCPU thread) makes every call.
 *
 * Register semantics: Intel 82C54 datasheet (order 231244), "Control Word
 * Format", "Read-Back Command", "Modes"; port 0x61: IBM PC/AT technical
 * reference, "System Control Port B".
 */
#ifndef HV_DEV_I8254_H
#define HV_DEV_I8254_H

#include <hv/types.h>

#define I8254_BASE     0x40 /* 0x40-0x42 counters, 0x43 control */
#define I8254_PORT_B   0x61
#define I8254_HZ       1193182ull
#define I8254_CHANNELS 3
#define I8254_CONTROL  3 /* offset of the control word register */

/* Control word (offset 3). */
#define I8254_CW_SC_SHIFT    6
#define I8254_CW_SC_READBACK 3
#define I8254_CW_RW_SHIFT    4
#define I8254_CW_RW_MASK     GENMASK(5, 4)
#define I8254_CW_RW_LATCH    0
#define I8254_CW_RW_LSB      1
#define I8254_CW_RW_MSB      2
#define I8254_CW_RW_WORD     3
#define I8254_CW_MODE_SHIFT  1
#define I8254_CW_MODE_MASK   GENMASK(3, 1)
#define I8254_CW_BCD         BIT(0)
/* Read-back command: bit 5 clear = latch counts, bit 4 clear = latch status, bits 3:1 channels. */
#define I8254_RB_NO_COUNT   BIT(5)
#define I8254_RB_NO_STATUS  BIT(4)
#define I8254_RB_CHANNEL(n) BIT((n) + 1)
/* Status byte: OUT, null count, then the control word's low six bits. */
#define I8254_STATUS_OUT        BIT(7)
#define I8254_STATUS_NULL_COUNT BIT(6)

/* Port 0x61. */
#define I8254_PORT_B_GATE2   BIT(0) /* RW: channel 2 gate */
#define I8254_PORT_B_SPEAKER BIT(1) /* RW: speaker data enable */
#define I8254_PORT_B_RW_MASK GENMASK(3, 0)
#define I8254_PORT_B_REFRESH BIT(4) /* RO: toggles every refresh period */
#define I8254_PORT_B_OUT2    BIT(5) /* RO: channel 2 output */
#define I8254_REFRESH_NS     15085  /* the AT's DRAM refresh period */

enum i8254_mode {
	I8254_MODE_TERMINAL = 0,
	I8254_MODE_ONESHOT = 1,
	I8254_MODE_RATE = 2,
	I8254_MODE_SQUARE = 3,
	I8254_MODE_SW_STROBE = 4,
	I8254_MODE_HW_STROBE = 5,
};

#define I8254_NO_EVENT (~0ull)

struct i8254_channel {
	u8 mode;    /* enum i8254_mode */
	u8 rw;      /* I8254_CW_RW_LSB / MSB / WORD */
	u8 control; /* the last control word's low six bits, for status */
	bool gate;
	bool armed; /* a count was loaded and counting started */
	bool null_count;
	bool write_msb_next, read_msb_next;
	u8 write_lsb; /* the LSB of a word being written */
	u32 reload;   /* 1..65536 (a written 0 means 65536) */
	u64 start;    /* PIT tick when counting started */
	u64 frozen;   /* ticks counted when the gate went low (modes 0, 4) */
	bool count_latched, status_latched, latch_msb_next;
	u16 latch;
	u8 status;
	u64 next_irq; /* channel 0: PIT tick of the next rising edge, I8254_NO_EVENT if none */
};

struct i8254_ops {
	/* Channel 0's output made a rising edge (IRQ 0): pulse the interrupt line. */
	void (*irq0)(void *ctx);
};

struct i8254 {
	const struct i8254_ops *ops;
	void *ctx;
	struct i8254_channel ch[I8254_CHANNELS];
	u8 port_b; /* the writable bits of port 0x61 */
	u64 irqs;  /* rising edges reported */
	u64 lost;  /* periods that passed while an edge was still due (coalesced) */
};

/* Power-on: channels idle (no count), gates: 0 and 1 high, 2 low. */
void i8254_init(struct i8254 *p, const struct i8254_ops *ops, void *ctx);

/* Port accesses at offset 0-3 from 0x40; one byte each. */
u8 i8254_read(struct i8254 *p, unsigned offset, u64 now);
void i8254_write(struct i8254 *p, unsigned offset, u8 value, u64 now);

/* Port 0x61. */
u8 i8254_port_b_read(struct i8254 *p, u64 now);
void i8254_port_b_write(struct i8254 *p, u8 value, u64 now);

/* Report channel 0 edges due by now (at most one per call: they coalesce, as in the PIC). */
void i8254_update(struct i8254 *p, u64 now);

/* When (ns) i8254_update() next has an edge to report, or I8254_NO_EVENT. */
u64 i8254_next_event(const struct i8254 *p);

/* Conversions between nanoseconds and PIT ticks (exact for any u64 ns below 2^64). */
u64 i8254_ns_to_ticks(u64 ns);
u64 i8254_ticks_to_ns(u64 ticks); /* rounded up: an event is never early */

#endif /* HV_DEV_I8254_H */
