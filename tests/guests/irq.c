/*
 * HLT and interrupts: the guest programs the emulated 8259s and 8254 the
 * way Linux does, halts and is woken by timer interrupts (periodic and
 * one-shot), takes an interrupt that became pending while it had
 * interrupts off as soon as it sets IF (the interrupt window), receives a
 * COM1 interrupt (UART loopback, IRQ 4, through the cascade-free master),
 * and finally halts with interrupts off, which ends the VM.
 */
#include "guest.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define VEC_BASE  0x20
#define PIT_CH0   0x40
#define PIT_CMD   0x43
#define COM1      0x3f8
#define PM_TMR    0x608
#define PIT_1KHZ  1193

static volatile u32 ticks, com1_irqs;
static volatile u8 rx_byte;

static void on_timer(u32 vector)
{
	(void)vector;
	ticks++;
	outb(PIC1_CMD, 0x60); /* specific EOI, IRQ 0 */
}

static void on_com1(u32 vector)
{
	(void)vector;
	while (!(inb(COM1 + 2) & 1)) /* IIR: an interrupt pending */
		if (inb(COM1 + 5) & 1)
			rx_byte = inb(COM1);
	com1_irqs++;
	outb(PIC1_CMD, 0x64);
}

static void halt(void)
{
	/* STI's shadow covers HLT: no interrupt can slip in between. */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

static void spin_us(u32 us)
{
	u32 start = inl(PM_TMR), want = us * 3579 / 1000;

	while (((inl(PM_TMR) - start) & 0xffffff) < want)
		;
}

static void pit(u8 control, u16 count)
{
	outb(PIT_CMD, control);
	outb(PIT_CH0, (u8)count);
	outb(PIT_CH0, (u8)(count >> 8));
}

int guest_main(u32 magic, u32 mbi)
{
	u32 t0;

	(void)magic;
	(void)mbi;
	outb(PIC1_CMD, 0x11);
	outb(PIC1_DATA, VEC_BASE);
	outb(PIC1_DATA, 0x04);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_CMD, 0x11);
	outb(PIC2_DATA, VEC_BASE + 8);
	outb(PIC2_DATA, 0x02);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfe); /* IRQ 0 only */
	outb(PIC2_DATA, 0xff);
	set_irq_handler(VEC_BASE + 0, on_timer);
	set_irq_handler(VEC_BASE + 4, on_com1);

	/* Periodic, 1 kHz: five halts, five wake-ups by the timer. */
	pit(0x34, PIT_1KHZ);
	for (int i = 0; i < 5; i++) {
		t0 = ticks;
		halt();
		check(ticks > t0, ticks, "HLT woken by the periodic timer interrupt");
	}

	/* One-shot (mode 4, as Linux's clockevent): exactly one interrupt. */
	pit(0x38, 2 * PIT_1KHZ);
	t0 = ticks;
	halt();
	check(ticks == t0 + 1, ticks - t0, "HLT woken by the one-shot timer");
	spin_us(5000);
	sti();
	spin_us(100);
	cli();
	check(ticks == t0 + 1, ticks - t0, "a one-shot fires once");

	/* The interrupt window: pending while IF is clear, taken right after STI. */
	pit(0x34, PIT_1KHZ);
	spin_us(3000);
	t0 = ticks;
	__asm__ volatile("sti; nop; nop; cli" : : : "memory");
	check(ticks > t0, ticks - t0, "the pending interrupt arrives once IF is set");

	/* COM1 in loopback: a byte sent comes back and raises IRQ 4. */
	pit(0x30, 0);          /* channel 0 quiet: mode 0, never reloads */
	outb(COM1 + 4, 0x18);  /* MCR: OUT2, loopback */
	outb(COM1 + 2, 0x07);  /* FCR: FIFOs on, cleared */
	outb(COM1 + 1, 0x01);  /* IER: received data */
	outb(PIC1_DATA, 0xef); /* IRQ 4 only */
	outb(COM1, 'Z');
	t0 = com1_irqs;
	while (com1_irqs == t0)
		halt();
	check(rx_byte == 'Z', rx_byte, "COM1 loopback byte received through IRQ 4");
	outb(COM1 + 1, 0x00);
	outb(COM1 + 4, 0x00);
	outb(PIC1_DATA, 0xff);

	printf_hv("halting with interrupts off\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
