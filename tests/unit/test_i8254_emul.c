/*
 * The emulated 8254 and port 0x61 on a fake clock, driven the way Linux
 * drives them: the periodic tick (mode 2) and the one-shot clockevent
 * (mode 4) of drivers/clocksource/i8253.c, the TSC calibration loops of
 * arch/x86/kernel/tsc.c (channel 2 in mode 0 gated through port 0x61,
 * polling OUT2, reading the MSB), plus counter latch, read-back status,
 * square wave, the gate, coalescing and the ns/tick conversions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/dev/i8254.h>

#define CH0      0
#define CH2      2
#define CTRL     I8254_CONTROL
#define HZ_LINUX 250
#define LATCH    ((u32)((I8254_HZ + HZ_LINUX / 2) / HZ_LINUX)) /* 4773 */

static struct i8254 pit;
static unsigned irqs;

static void count_irq(void *ctx)
{
	(void)ctx;
	irqs++;
}

static const struct i8254_ops ops = { .irq0 = count_irq };

/* The time at which PIT tick t begins. */
static u64 at(u64 ticks)
{
	return i8254_ticks_to_ns(ticks);
}

static int setup(void **state)
{
	(void)state;
	i8254_init(&pit, &ops, NULL);
	irqs = 0;
	return 0;
}

static void load(unsigned ch, u8 control, u16 count, u64 now)
{
	i8254_write(&pit, CTRL, control, now);
	i8254_write(&pit, ch, (u8)count, now);
	i8254_write(&pit, ch, (u8)(count >> 8), now);
}

static u16 latch_read(unsigned ch, u64 now)
{
	u16 lsb;

	i8254_write(&pit, CTRL, (u8)(ch << I8254_CW_SC_SHIFT), now); /* counter latch */
	lsb = i8254_read(&pit, ch, now);
	return (u16)(lsb | i8254_read(&pit, ch, now) << 8);
}

static void conversions(void **state)
{
	static const u64 ticks[] = { 0, 1, 4773, I8254_HZ - 1, I8254_HZ, 123456789, 1ull << 40 };

	(void)state;
	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
		u64 ns = i8254_ticks_to_ns(ticks[i]);

		/* Rounded up: the tick has begun at ns, and not 1 ns earlier. */
		assert_int_equal(i8254_ns_to_ticks(ns), ticks[i]);
		if (ticks[i])
			assert_int_equal(i8254_ns_to_ticks(ns - 1), ticks[i] - 1);
	}
	assert_int_equal(i8254_ns_to_ticks(1000000000ull), I8254_HZ);
}

/* Linux's periodic tick: control 0x34 (mode 2), LATCH. */
static void periodic_tick(void **state)
{
	u64 t0 = at(1000);

	(void)state;
	assert_int_equal(i8254_next_event(&pit), I8254_NO_EVENT);
	load(CH0, 0x34, LATCH, t0);
	assert_int_equal(i8254_next_event(&pit), at(1000 + LATCH));
	i8254_update(&pit, at(1000 + LATCH) - 1);
	assert_int_equal(irqs, 0);
	for (unsigned k = 1; k <= 5; k++) {
		i8254_update(&pit, at(1000 + k * LATCH));
		assert_int_equal(irqs, k);
		assert_int_equal(i8254_next_event(&pit), at(1000 + (k + 1) * LATCH));
	}
	/* The count runs down from LATCH once per period. */
	assert_int_equal(latch_read(CH0, at(1000 + 5 * LATCH + 100)), LATCH - 100);
	/* Late by 10 periods: one interrupt (they coalesce), 9 lost, the phase kept. */
	i8254_update(&pit, at(1000 + 15 * LATCH + 7));
	assert_int_equal(irqs, 6);
	assert_int_equal(pit.lost, 9);
	assert_int_equal(i8254_next_event(&pit), at(1000 + 16 * LATCH));
}

/* Linux's one-shot clockevent: control 0x38 (mode 4), then each delta. */
static void oneshot_mode4(void **state)
{
	(void)state;
	load(CH0, 0x38, 1000, at(0));
	/* Mode 4: OUT pulses low at terminal count; the rising edge is one tick later. */
	assert_int_equal(i8254_next_event(&pit), at(1001));
	i8254_update(&pit, at(1000));
	assert_int_equal(irqs, 0);
	i8254_update(&pit, at(1001));
	assert_int_equal(irqs, 1);
	assert_int_equal(i8254_next_event(&pit), I8254_NO_EVENT);
	i8254_update(&pit, at(100000));
	assert_int_equal(irqs, 1);
	/* Re-arming by writing a new count. */
	i8254_write(&pit, CH0, 0x10, at(200000));
	i8254_write(&pit, CH0, 0x00, at(200000));
	assert_int_equal(i8254_next_event(&pit), at(200000 + 0x10 + 1));
	/* A new control word disarms. */
	i8254_write(&pit, CTRL, 0x38, at(200001));
	assert_int_equal(i8254_next_event(&pit), I8254_NO_EVENT);
}

/* arch/x86/kernel/tsc.c pit_calibrate_tsc(): gate on, ch2 mode 0, poll OUT2 in port 0x61. */
static void calibration_loop(void **state)
{
	u64 t = at(500);
	u8 b;

	(void)state;
	b = i8254_port_b_read(&pit, t);
	i8254_port_b_write(&pit, (u8)((b & ~I8254_PORT_B_SPEAKER) | I8254_PORT_B_GATE2), t);
	load(CH2, 0xb0, 11931, t); /* 10 ms */
	assert_false(i8254_port_b_read(&pit, at(500 + 11930)) & I8254_PORT_B_OUT2);
	assert_true(i8254_port_b_read(&pit, at(500 + 11931)) & I8254_PORT_B_OUT2);
	assert_true(i8254_port_b_read(&pit, at(500 + 50000)) & I8254_PORT_B_OUT2);
	/* Channel 2 never interrupts. */
	assert_int_equal(irqs, 0);
	assert_int_equal(i8254_next_event(&pit), I8254_NO_EVENT);
}

/* quick_pit_calibrate(): mode 0 from 0xffff, read LSB then MSB and watch the MSB fall. */
static void quick_calibration_reads(void **state)
{
	(void)state;
	i8254_port_b_write(&pit, I8254_PORT_B_GATE2, at(0));
	load(CH2, 0xb0, 0xffff, at(0));
	for (u64 k = 0; k < 200; k++) {
		u64 t = at(k * 256 + 10);

		(void)i8254_read(&pit, CH2, t); /* LSB */
		assert_int_equal(i8254_read(&pit, CH2, t), (u8)(0xff - k));
	}
}

static void gate_stops_and_restarts(void **state)
{
	(void)state;
	/* Gate low: no counting until it rises (channel 2 starts with the gate low). */
	load(CH2, 0xb0, 1000, at(0));
	assert_int_equal(latch_read(CH2, at(400)), 1000);
	i8254_port_b_write(&pit, I8254_PORT_B_GATE2, at(400));
	assert_int_equal(latch_read(CH2, at(700)), 700);
	i8254_port_b_write(&pit, 0, at(700));
	assert_int_equal(latch_read(CH2, at(5000)), 700);
	i8254_port_b_write(&pit, I8254_PORT_B_GATE2, at(5000));
	assert_int_equal(latch_read(CH2, at(5100)), 600);
	/* Mode 2 restarts from the reload value on the gate's rising edge. */
	load(CH2, 0xb4, 1000, at(6000));
	assert_int_equal(latch_read(CH2, at(6300)), 700);
	i8254_port_b_write(&pit, 0, at(6300));
	i8254_port_b_write(&pit, I8254_PORT_B_GATE2, at(6400));
	assert_int_equal(latch_read(CH2, at(6450)), 950);
}

static void latch_and_readback(void **state)
{
	u8 status, lsb;

	(void)state;
	load(CH0, 0x30, 5000, at(0)); /* mode 0 */
	/* A latched count holds until read, however much time passes. */
	i8254_write(&pit, CTRL, 0x00, at(100));
	assert_int_equal(i8254_read(&pit, CH0, at(3000)), (u8)4900);
	assert_int_equal(i8254_read(&pit, CH0, at(3000)), 4900 >> 8);
	/* Read-back: latch status and count of channel 0. */
	i8254_write(&pit, CTRL, 0xc0 | I8254_RB_CHANNEL(0), at(6000));
	status = i8254_read(&pit, CH0, at(6000));
	assert_int_equal(status & I8254_STATUS_OUT, I8254_STATUS_OUT); /* past terminal count */
	assert_int_equal(status & 0x3f, 0x30);
	assert_false(status & I8254_STATUS_NULL_COUNT);
	/* Mode 0 wraps past zero and keeps counting down. */
	lsb = i8254_read(&pit, CH0, at(6000));
	assert_int_equal((u16)(lsb | i8254_read(&pit, CH0, at(6000)) << 8), (u16)(5000 - 6000));
	/* Status of a channel with a control word but no count: null count, OUT low (mode 0). */
	i8254_write(&pit, CTRL, 0x70, at(7000));
	i8254_write(&pit, CTRL, 0xc0 | I8254_RB_NO_COUNT | I8254_RB_CHANNEL(1), at(7000));
	status = i8254_read(&pit, 1, at(7000));
	assert_true(status & I8254_STATUS_NULL_COUNT);
	assert_false(status & I8254_STATUS_OUT);
	/* The control port reads as nothing. */
	assert_int_equal(i8254_read(&pit, CTRL, at(7000)), 0xff);
}

static void square_wave(void **state)
{
	(void)state;
	load(CH0, 0x36, 100, at(0)); /* mode 3 */
	assert_int_equal(i8254_next_event(&pit), at(100));
	i8254_update(&pit, at(100));
	i8254_update(&pit, at(200));
	assert_int_equal(irqs, 2);
	/* Counts by two within each half period. */
	assert_int_equal(latch_read(CH0, at(210)), 80);
	assert_int_equal(latch_read(CH0, at(260)), 80);
}

static void refresh_toggle(void **state)
{
	(void)state;
	assert_int_not_equal(i8254_port_b_read(&pit, 0) & I8254_PORT_B_REFRESH,
			     i8254_port_b_read(&pit, I8254_REFRESH_NS) & I8254_PORT_B_REFRESH);
	/* Only the low four bits of port 0x61 are writable. */
	i8254_port_b_write(&pit, 0xff, 0);
	assert_int_equal(i8254_port_b_read(&pit, 0) & 0xcf, I8254_PORT_B_RW_MASK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conversions),
		cmocka_unit_test_setup(periodic_tick, setup),
		cmocka_unit_test_setup(oneshot_mode4, setup),
		cmocka_unit_test_setup(calibration_loop, setup),
		cmocka_unit_test_setup(quick_calibration_reads, setup),
		cmocka_unit_test_setup(gate_stops_and_restarts, setup),
		cmocka_unit_test_setup(latch_and_readback, setup),
		cmocka_unit_test_setup(square_wave, setup),
		cmocka_unit_test_setup(refresh_toggle, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
