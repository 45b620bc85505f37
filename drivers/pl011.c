/*
 * PL011 UART driver: polled transmit and receive for the console (contract
 * in hv/pl011_console.h). Register layout and the baud-rate divisor formula are from
 * the PrimeCell UART (PL011) Technical Reference Manual (DDI 0183), 3.3.
 */
#include <hv/mmio.h>
#include <hv/pl011_console.h>

/* Register offsets (TRM 3.2, Table 3-1). */
#define UARTDR   0x000
#define UARTFR   0x018
#define UARTIBRD 0x024
#define UARTFBRD 0x028
#define UARTLCRH 0x02c
#define UARTCR   0x030
#define UARTIMSC 0x038
#define UARTICR  0x044

/* UARTFR flags (TRM 3.3.3). */
#define FR_BUSY BIT(3)
#define FR_RXFE BIT(4)
#define FR_TXFF BIT(5)

/* UARTLCR_H (TRM 3.3.7): FIFOs on, 8 data bits, no parity, one stop bit. */
#define LCRH_FEN    BIT(4)
#define LCRH_WLEN_8 (3u << 5)

/* UARTCR (TRM 3.3.8). */
#define CR_UARTEN     BIT(0)
#define CR_TXE        BIT(8)
#define CR_RXE        BIT(9)

#define UART_ALL_IRQS 0x7ff /* UARTICR: clear every interrupt source */
/* UARTIMSC (TRM 3.3.10): receive and receive-timeout interrupts. */
#define IMSC_RX BIT(4)
#define IMSC_RT BIT(6)
#define BAUD    115200u
/* The divisor is clock / (16 * baud) with a 6-bit fraction: keep 64ths of it. */
#define FBRD_BITS 6

static u64 uart_base;

static void pl011_putc(char c)
{
	while (mmio_read32(uart_base + UARTFR) & FR_TXFF)
		;
	mmio_write32(uart_base + UARTDR, (u8)c);
}

static int pl011_getc(void)
{
	if (mmio_read32(uart_base + UARTFR) & FR_RXFE)
		return -1;
	return (int)(mmio_read32(uart_base + UARTDR) & 0xff);
}

static const struct console_dev pl011_console = {
	.name = "pl011",
	.putc = pl011_putc,
	.getc = pl011_getc,
};

void pl011_console_rx_irq(bool on)
{
	if (uart_base)
		mmio_write32(uart_base + UARTIMSC, on ? IMSC_RX | IMSC_RT : 0);
}

void pl011_console_flush(void)
{
	if (!uart_base)
		return;
	while (mmio_read32(uart_base + UARTFR) & FR_BUSY)
		;
}

const struct console_dev *pl011_console_init(u64 base, u32 clock_hz)
{
	u32 cr;

	uart_base = base;
	cr = mmio_read32(base + UARTCR);
	if (clock_hz) {
		/* 64 * clock / (16 * baud), rounded: integer part and 6-bit fraction. */
		u32 div64 = (u32)(((u64)clock_hz * 4 + BAUD / 2) / BAUD);

		/* The TRM's order: disable, let the last character go, reprogram, enable. */
		mmio_write32(base + UARTCR, cr & ~CR_UARTEN);
		while (mmio_read32(base + UARTFR) & FR_BUSY)
			;
		mmio_write32(base + UARTIBRD, div64 >> FBRD_BITS);
		mmio_write32(base + UARTFBRD, div64 & ((1u << FBRD_BITS) - 1));
		/* Writing LCR_H latches the divisors. */
		mmio_write32(base + UARTLCRH, LCRH_FEN | LCRH_WLEN_8);
		cr = 0;
	}
	/* Polled use: no interrupts. */
	mmio_write32(base + UARTIMSC, 0);
	mmio_write32(base + UARTICR, UART_ALL_IRQS);
	mmio_write32(base + UARTCR, cr | CR_UARTEN | CR_TXE | CR_RXE);
	return &pl011_console;
}
