/*
 * I/O exits: the emulated devices answer (COM1's scratch register and line
 * status, the 8259's mask register, the 8254 counting down, port 0x61, the
 * ACPI PM timer and SCI_EN), ports nothing decodes read as all-ones at
 * every width and ignore writes (PCI configuration space, COM2, the
 * keyboard controller's reset command, QEMU's debug-exit port: the guest
 * survives all of them), and the RTC is the real one.
 */
#include "guest.h"

#define COM1      0x3f8
#define UART_SCR  7
#define UART_LSR  5
#define LSR_EMPTY 0x60
#define PIC1_DATA 0x21
#define PIT_CH2   0x42
#define PIT_CMD   0x43
#define PORT_B    0x61
#define PM_TMR    0x608
#define PM1_CNT   0x604
#define RTC_INDEX 0x70
#define RTC_DATA  0x71
#define PCI_ADDR  0xcf8
#define PCI_DATA  0xcfc
#define KBD_CMD   0x64
#define KBD_RESET 0xfe
#define QEMU_EXIT 0xf4

static void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static u16 pit_ch2_count(void)
{
	u8 lo;

	outb(PIT_CMD, 0x80); /* latch channel 2 */
	lo = inb(PIT_CH2);
	return (u16)(lo | inb(PIT_CH2) << 8);
}

int guest_main(u32 magic, u32 mbi)
{
	u32 a, b;
	u16 c1, c2;
	u8 sec;

	(void)magic;
	(void)mbi;
	outb(COM1 + UART_SCR, 0x5a);
	check(inb(COM1 + UART_SCR) == 0x5a, inb(COM1 + UART_SCR), "COM1 scratch register");
	check((inb(COM1 + UART_LSR) & LSR_EMPTY) == LSR_EMPTY, inb(COM1 + UART_LSR),
	      "COM1 transmitter empty");

	/* Nothing decodes these: all-ones at every width, writes go nowhere. */
	check(inb(0x2ff) == 0xff, inb(0x2ff), "COM2 scratch: no device");
	check(inw(0x2f8) == 0xffff, inw(0x2f8), "16-bit read of nothing");
	outl(PCI_ADDR, 0x80000000);
	check(inl(PCI_DATA) == 0xffffffff, inl(PCI_DATA), "PCI configuration space: no bus");
	outb(KBD_CMD, KBD_RESET);
	check(true, 0, "the keyboard controller's reset command did not reset anything");
	outb(QEMU_EXIT, 0x01);
	check(true, 0, "QEMU's debug-exit port did not end the machine");

	outb(PIC1_DATA, 0xa5);
	check(inb(PIC1_DATA) == 0xa5, inb(PIC1_DATA), "8259 mask register");
	outb(PIC1_DATA, 0xff);

	outb(PORT_B, 0x01); /* channel 2 gate on, speaker off */
	check((inb(PORT_B) & 0x0f) == 0x01, inb(PORT_B), "port 0x61 holds the gate bit");
	outb(PIT_CMD, 0xb0); /* channel 2, LSB+MSB, mode 0 */
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	c1 = pit_ch2_count();
	for (a = inl(PM_TMR); ((inl(PM_TMR) - a) & 0xffffff) < 358;) /* 100 us */
		;
	c2 = pit_ch2_count();
	check(c2 < c1, c1 - c2, "the 8254 counts down");

	a = inl(PM_TMR);
	for (b = a; b == a;)
		b = inl(PM_TMR);
	check(!(a >> 24) && !(b >> 24) && ((b - a) & 0xffffff) < 0x100000, b - a,
	      "the ACPI PM timer runs (24 bits)");
	check(inw(PM1_CNT) & 1, inw(PM1_CNT), "ACPI SCI_EN set");

	outb(RTC_INDEX, 0x00);
	sec = inb(RTC_DATA);
	check((sec & 0x0f) <= 9 && (sec >> 4) <= 5, sec, "RTC seconds are BCD (the real RTC)");
	return 0;
}
