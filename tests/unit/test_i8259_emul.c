/*
 * The emulated 8259A pair, programmed the way Linux's i8259 driver does it
 * (init_8259A: ICW1-ICW4 with vector bases 0x30/0x38, specific EOIs through
 * mask_and_ack_8259A), plus the cascade, priorities, edge and level
 * triggering, masking, spurious interrupts, OCW3 register reads, poll mode,
 * rotation and automatic EOI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/dev/i8259.h>

#define MASTER 0
#define SLAVE  1
#define CMD    0
#define DATA   1
#define BASE_M 0x30 /* Linux: ISA_IRQ_VECTOR(0) */
#define BASE_S 0x38

static struct i8259 pic;

/* Linux's init_8259A(auto_eoi = 0), then every line masked except the cascade. */
static void linux_init(struct i8259 *p)
{
	i8259_init(p);
	i8259_write(p, MASTER, DATA, 0xff);
	i8259_write(p, SLAVE, DATA, 0xff);
	i8259_write(p, MASTER, CMD, 0x11); /* ICW1: edge, cascade, ICW4 */
	i8259_write(p, MASTER, DATA, BASE_M);
	i8259_write(p, MASTER, DATA, 1u << I8259_CASCADE_IRQ);
	i8259_write(p, MASTER, DATA, 0x01); /* ICW4: 8086, normal EOI */
	i8259_write(p, SLAVE, CMD, 0x11);
	i8259_write(p, SLAVE, DATA, BASE_S);
	i8259_write(p, SLAVE, DATA, I8259_CASCADE_IRQ);
	i8259_write(p, SLAVE, DATA, 0x01);
	i8259_write(p, MASTER, DATA, (u8) ~(1u << I8259_CASCADE_IRQ));
	i8259_write(p, SLAVE, DATA, 0xff);
}

static void unmask(struct i8259 *p, unsigned irq)
{
	unsigned chip = irq / 8;

	i8259_write(p, chip, DATA, (u8)(i8259_read(p, chip, DATA) & ~(1u << (irq % 8))));
}

static void pulse(struct i8259 *p, unsigned irq)
{
	i8259_set_irq(p, irq, true);
	i8259_set_irq(p, irq, false);
}

static void specific_eoi(struct i8259 *p, unsigned irq)
{
	if (irq >= 8) {
		i8259_write(p, SLAVE, CMD, (u8)(0x60 | (irq & 7)));
		irq = I8259_CASCADE_IRQ;
	}
	i8259_write(p, MASTER, CMD, (u8)(0x60 | irq));
}

static u8 read_isr(struct i8259 *p, unsigned chip)
{
	i8259_write(p, chip, CMD, I8259_OCW3 | I8259_OCW3_RR | I8259_OCW3_RIS);
	return i8259_read(p, chip, CMD);
}

static u8 read_irr(struct i8259 *p, unsigned chip)
{
	i8259_write(p, chip, CMD, I8259_OCW3 | I8259_OCW3_RR);
	return i8259_read(p, chip, CMD);
}

static int setup(void **state)
{
	(void)state;
	linux_init(&pic);
	return 0;
}

static void power_on_state(void **state)
{
	struct i8259 p;

	(void)state;
	i8259_init(&p);
	/* Everything masked: a request waits in IRR and raises no INT. */
	i8259_set_irq(&p, 1, true);
	assert_false(i8259_has_interrupt(&p));
	assert_int_equal(i8259_read(&p, MASTER, DATA), 0xff);
	assert_int_equal(read_irr(&p, MASTER), 0x02);
	/* The BIOS's vectors until the guest programs its own. */
	unmask(&p, 1);
	assert_true(i8259_has_interrupt(&p));
	assert_int_equal(i8259_ack(&p), 0x08 + 1);
}

static void timer_interrupt_round_trip(void **state)
{
	(void)state;
	unmask(&pic, 0);
	assert_false(i8259_has_interrupt(&pic));
	pulse(&pic, 0);
	assert_true(i8259_has_interrupt(&pic));
	assert_int_equal(read_irr(&pic, MASTER), 0x01);
	assert_int_equal(i8259_ack(&pic), BASE_M);
	assert_int_equal(read_isr(&pic, MASTER), 0x01);
	assert_int_equal(read_irr(&pic, MASTER), 0x00);
	/* Another tick while the first is in service waits for the EOI. */
	pulse(&pic, 0);
	assert_false(i8259_has_interrupt(&pic));
	specific_eoi(&pic, 0);
	assert_int_equal(read_isr(&pic, MASTER), 0);
	assert_true(i8259_has_interrupt(&pic));
	assert_int_equal(i8259_ack(&pic), BASE_M);
}

static void priorities_and_nesting(void **state)
{
	(void)state;
	unmask(&pic, 3);
	unmask(&pic, 4);
	unmask(&pic, 1);
	pulse(&pic, 4);
	pulse(&pic, 3);
	/* IRQ 3 outranks IRQ 4. */
	assert_int_equal(i8259_ack(&pic), BASE_M + 3);
	/* IRQ 4 is lower than the one in service: held. IRQ 1 is higher: nests. */
	assert_false(i8259_has_interrupt(&pic));
	pulse(&pic, 1);
	assert_int_equal(i8259_ack(&pic), BASE_M + 1);
	assert_int_equal(read_isr(&pic, MASTER), 0x0a);
	/* A non-specific EOI ends the highest in service: IRQ 1. */
	i8259_write(&pic, MASTER, CMD, 0x20);
	assert_int_equal(read_isr(&pic, MASTER), 0x08);
	assert_false(i8259_has_interrupt(&pic));
	specific_eoi(&pic, 3);
	assert_int_equal(i8259_ack(&pic), BASE_M + 4);
}

static void masked_request_waits(void **state)
{
	(void)state;
	pulse(&pic, 5);
	assert_false(i8259_has_interrupt(&pic));
	unmask(&pic, 5);
	assert_true(i8259_has_interrupt(&pic));
	assert_int_equal(i8259_ack(&pic), BASE_M + 5);
}

static void cascade(void **state)
{
	(void)state;
	unmask(&pic, 12);
	pulse(&pic, 12);
	assert_true(i8259_has_interrupt(&pic));
	assert_int_equal(i8259_ack(&pic), BASE_S + 4);
	assert_int_equal(read_isr(&pic, SLAVE), 0x10);
	assert_int_equal(read_isr(&pic, MASTER), 1u << I8259_CASCADE_IRQ);
	/* A second slave request while the first is in service is held by the slave. */
	unmask(&pic, 14);
	pulse(&pic, 14);
	assert_false(i8259_has_interrupt(&pic));
	specific_eoi(&pic, 12);
	/* The slave's output rises again: the master sees a new edge on IR2. */
	assert_true(i8259_has_interrupt(&pic));
	assert_int_equal(i8259_ack(&pic), BASE_S + 6);
	specific_eoi(&pic, 14);
	assert_false(i8259_has_interrupt(&pic));
	/* IRQ 2 itself is the cascade: setting it is ignored. */
	i8259_set_irq(&pic, I8259_CASCADE_IRQ, true);
	assert_false(i8259_has_interrupt(&pic));
}

static void edge_needs_a_new_rising_edge(void **state)
{
	(void)state;
	unmask(&pic, 4);
	i8259_set_irq(&pic, 4, true);
	assert_int_equal(i8259_ack(&pic), BASE_M + 4);
	specific_eoi(&pic, 4);
	/* Still high, no new edge: nothing. */
	i8259_set_irq(&pic, 4, true);
	assert_false(i8259_has_interrupt(&pic));
	i8259_set_irq(&pic, 4, false);
	i8259_set_irq(&pic, 4, true);
	assert_true(i8259_has_interrupt(&pic));
}

static void level_triggered_through_elcr(void **state)
{
	(void)state;
	/* IRQ 9 level-triggered (ACPI's SCI); IRQ 8 and 13 cannot be. */
	i8259_elcr_write(&pic, SLAVE, 0xff);
	assert_int_equal(i8259_elcr_read(&pic, SLAVE), I8259_ELCR_SLAVE_MASK);
	i8259_elcr_write(&pic, MASTER, 0xff);
	assert_int_equal(i8259_elcr_read(&pic, MASTER), I8259_ELCR_MASTER_MASK);
	i8259_elcr_write(&pic, SLAVE, 0x02);
	unmask(&pic, 9);
	i8259_set_irq(&pic, 9, true);
	assert_int_equal(i8259_ack(&pic), BASE_S + 1);
	specific_eoi(&pic, 9);
	/* Still high: requested again. */
	assert_true(i8259_has_interrupt(&pic));
	/* The line drops before INTA: the slave forgets it, the master's IR2 edge stays. */
	i8259_set_irq(&pic, 9, false);
	assert_int_equal(read_irr(&pic, SLAVE), 0);
	assert_int_equal(i8259_ack(&pic), BASE_S + 7); /* spurious IRQ 15 */
	specific_eoi(&pic, 2);
	assert_false(i8259_has_interrupt(&pic));
}

static void spurious_interrupts(void **state)
{
	(void)state;
	/* The request vanished before INTA (masked meanwhile): IRQ 7's vector, no ISR bit. */
	assert_int_equal(i8259_ack(&pic), BASE_M + 7);
	assert_int_equal(read_isr(&pic, MASTER), 0);
	assert_int_equal(pic.spurious, 1);
	/* Through the cascade: IRQ 15's vector, the master's IR2 in service. */
	unmask(&pic, 10);
	i8259_elcr_write(&pic, SLAVE, 0x04);
	i8259_set_irq(&pic, 10, true);
	assert_true(i8259_has_interrupt(&pic));
	i8259_set_irq(&pic, 10, false); /* level dropped: the slave no longer asks */
	/* The master latched the edge on IR2 already. */
	assert_int_equal(i8259_ack(&pic), BASE_S + 7);
	assert_int_equal(read_isr(&pic, SLAVE), 0);
	assert_int_equal(read_isr(&pic, MASTER), 1u << I8259_CASCADE_IRQ);
	assert_int_equal(pic.spurious, 2);
}

static void poll_mode(void **state)
{
	(void)state;
	unmask(&pic, 6);
	pulse(&pic, 6);
	i8259_write(&pic, MASTER, CMD, I8259_OCW3 | I8259_OCW3_POLL);
	assert_int_equal(i8259_read(&pic, MASTER, CMD), I8259_POLL_INT | 6);
	assert_int_equal(read_isr(&pic, MASTER), 0x40);
	i8259_write(&pic, MASTER, CMD, I8259_OCW3 | I8259_OCW3_POLL);
	assert_int_equal(i8259_read(&pic, MASTER, CMD), 0);
}

static void rotation_and_auto_eoi(void **state)
{
	(void)state;
	unmask(&pic, 0);
	unmask(&pic, 1);
	pulse(&pic, 0);
	assert_int_equal(i8259_ack(&pic), BASE_M);
	/* Rotate on non-specific EOI: IRQ 0 becomes the lowest priority. */
	i8259_write(&pic, MASTER, CMD, I8259_OCW2_ROTATE_EOI << I8259_OCW2_SHIFT);
	pulse(&pic, 0);
	pulse(&pic, 1);
	assert_int_equal(i8259_ack(&pic), BASE_M + 1);
	i8259_write(&pic, MASTER, CMD, 0x20);
	assert_int_equal(i8259_ack(&pic), BASE_M + 0);

	/* Automatic EOI: nothing stays in service. */
	i8259_write(&pic, MASTER, CMD, 0x11);
	i8259_write(&pic, MASTER, DATA, BASE_M);
	i8259_write(&pic, MASTER, DATA, 1u << I8259_CASCADE_IRQ);
	i8259_write(&pic, MASTER, DATA, 0x01 | I8259_ICW4_AEOI);
	/* ICW1 cleared the mask. */
	assert_int_equal(i8259_read(&pic, MASTER, DATA), 0);
	pulse(&pic, 3);
	assert_int_equal(i8259_ack(&pic), BASE_M + 3);
	assert_int_equal(read_isr(&pic, MASTER), 0);
	pulse(&pic, 3);
	assert_true(i8259_has_interrupt(&pic));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(power_on_state),
		cmocka_unit_test_setup(timer_interrupt_round_trip, setup),
		cmocka_unit_test_setup(priorities_and_nesting, setup),
		cmocka_unit_test_setup(masked_request_waits, setup),
		cmocka_unit_test_setup(cascade, setup),
		cmocka_unit_test_setup(edge_needs_a_new_rising_edge, setup),
		cmocka_unit_test_setup(level_triggered_through_elcr, setup),
		cmocka_unit_test_setup(spurious_interrupts, setup),
		cmocka_unit_test_setup(poll_mode, setup),
		cmocka_unit_test_setup(rotation_and_auto_eoi, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
