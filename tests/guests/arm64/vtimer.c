/*
 * Test guest "vtimer": the virtual timer's interrupt reaches the guest
 * through hv's GIC emulation, again and again. hv forwards the physical
 * PPI 27 as virtual PPI 27 with the list register's HW bit, so each
 * interrupt can only come back after the guest deactivated the last one:
 * ten in a row prove the round trip. Also: an interrupt taken while the
 * guest spins (an IRQ exit, not a WFI), WFI with interrupts masked at
 * PSTATE (it still wakes, and the interrupt is then pending at the GIC),
 * and that WFI waits until the deadline.
 */
#include "guest.h"

#define ROUNDS 10

static volatile u32 fired, last_iar;
static volatile u64 fired_at;

static void on_irq(void)
{
	u32 iar = gic_ack();

	last_iar = iar;
	if ((iar & 0x3ff) == VTIMER_INTID) {
		fired_at = ticks();
		fired++;
		vtimer_off(); /* the level drops before the EOI deactivates it */
	}
	gic_eoi(iar);
}

int main(void)
{
	u64 freq = sysreg_read(cntfrq_el0), delta = freq / 100; /* 10 ms */
	u64 t0, late = 0;
	bool in_order = true;
	u32 iar;

	check(freq > 0, freq, "CNTFRQ_EL0 is set");
	guest_irq_handler = on_irq;
	gic_init();
	gic_enable(VTIMER_INTID, true);

	/* Sleep in WFI, ten times. */
	for (u32 i = 0; i < ROUNDS; i++) {
		t0 = ticks();
		vtimer_arm(delta);
		irqs_on();
		while (fired == i)
			wfi();
		irqs_off();
		if (fired_at < t0 + delta)
			in_order = false;
		if (fired_at - (t0 + delta) > late)
			late = fired_at - (t0 + delta);
	}
	check(fired == ROUNDS, fired, "%u timer interrupts through WFI", ROUNDS);
	check(in_order, late, "none before its deadline (latest %llu ticks late)",
	      (unsigned long long)late);
	check((last_iar & 0x3ff) == VTIMER_INTID, last_iar, "GICC_IAR names interrupt 27");

	/* Busy: the interrupt arrives as an exit while the guest computes. */
	t0 = ticks();
	vtimer_arm(delta);
	irqs_on();
	while (fired == ROUNDS && ticks() - t0 < 100 * delta)
		;
	irqs_off();
	check(fired == ROUNDS + 1, fired, "a timer interrupt while spinning");

	/* WFI with IRQs masked at PSTATE still wakes; the interrupt waits at the GIC. */
	t0 = ticks();
	vtimer_arm(delta);
	wfi();
	check(ticks() >= t0 + delta || fired == ROUNDS + 1, ticks() - t0,
	      "WFI with PSTATE.I set returns at (or after) the deadline");
	while (ticks() < t0 + delta)
		;
	iar = gic_ack();
	check((iar & 0x3ff) == VTIMER_INTID, iar,
	      "the masked timer interrupt is pending at the GICC");
	vtimer_off();
	gic_eoi(iar);
	check(fired == ROUNDS + 1, fired, "no interrupt taken while masked");
	return checks_done();
}
