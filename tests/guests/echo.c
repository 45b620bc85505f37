/*
 * Console input through the emulated COM1: the guest polls the UART and
 * echoes every byte it receives, upper-cased, until it reads 'q'. The
 * integration test types into QEMU's serial line; the bytes travel through
 * hv's console (where Ctrl-] commands are taken out) into the UART's
 * receive FIFO.
 */
#include "guest.h"

#define COM1    0x3f8
#define LSR_DR  0x01
#define LSR_THR 0x20

static void put(char c)
{
	while (!(inb(COM1 + 5) & LSR_THR))
		;
	outb(COM1, (u8)c);
}

int guest_main(u32 magic, u32 mbi)
{
	u32 received = 0;

	(void)magic;
	(void)mbi;
	/* No FCR write: enabling the FIFOs would drop what was typed before. */
	outb(COM1 + 3, 0x03); /* 8N1 */
	printf_hv("echo: ready\n");
	for (;;) {
		u8 c;

		while (!(inb(COM1 + 5) & LSR_DR))
			__asm__ volatile("pause");
		c = inb(COM1);
		received++;
		if (c == 'q')
			break;
		put(c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : (char)c);
	}
	printf_hv("\necho: %u bytes\n", received);
	check(received > 1, received, "bytes arrived through COM1");
	return 0;
}
