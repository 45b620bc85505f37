/*
 * The emulated PL011, driven the way Linux uses it: the AMBA bus reading the
 * ID registers, earlycon=pl011 writing DR bytewise and polling FR, then the
 * amba-pl011 driver's hwinit/startup and its interrupt handler's RX and TX
 * paths. Plus overruns, character mode, disabled states, loopback and the
 * access-width policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/dev/pl011.h>
#include <hv/errno.h>

#include "uart_sink.h"

static const struct pl011_ops sink_ops = { .tx = uart_sink_tx, .set_irq = uart_sink_irq };
static struct pl011 uart;
static struct uart_sink sink;

static int setup(void **state)
{
	(void)state;
	memset(&sink, 0, sizeof(sink));
	pl011_init(&uart, &sink_ops, &sink);
	return 0;
}

static u32 rd(u64 off)
{
	u64 v;

	assert_int_equal(pl011_mmio_read(&uart, off, 4, &v), 0);
	return (u32)v;
}

static void wr(u64 off, u32 v)
{
	assert_int_equal(pl011_mmio_write(&uart, off, 4, v), 0);
}

static u16 rdw(u64 off)
{
	u64 v;

	assert_int_equal(pl011_mmio_read(&uart, off, 2, &v), 0);
	return (u16)v;
}

static void wrw(u64 off, u16 v)
{
	assert_int_equal(pl011_mmio_write(&uart, off, 2, v), 0);
}

static void push(const char *s)
{
	assert_int_equal(pl011_rx_push(&uart, (const u8 *)s, strlen(s)), strlen(s));
}

/* amba_read_periphid(): the low byte of each of the eight ID words. */
static void amba_ids(void **state)
{
	u32 pid = 0, cid = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		pid |= (rd(PL011_PERIPHID0 + 4 * i) & 0xff) << (8 * i);
		cid |= (rd(PL011_PCELLID0 + 4 * i) & 0xff) << (8 * i);
	}
	assert_int_equal(pid, 0x00341011);
	assert_int_equal(cid, 0xb105f00d);
	/* Linux's amba_rev(): revision field bits 23:20 = 3, so a 32-entry FIFO. */
	assert_int_equal((pid >> 20) & 0xf, 3);
}

static void reset_state(void **state)
{
	(void)state;
	assert_int_equal(rd(PL011_CR), PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
	assert_int_equal(rd(PL011_LCR_H), PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN);
	assert_int_equal(rd(PL011_FR), PL011_FR_TXFE | PL011_FR_RXFE | PL011_FR_CTS | PL011_FR_DSR |
					   PL011_FR_DCD);
	assert_int_equal(rd(PL011_IFLS), 0x12);
	assert_int_equal(rd(PL011_IBRD), 13);
	assert_int_equal(rd(PL011_FBRD), 1);
	assert_int_equal(rd(PL011_RIS), 0);
	assert_int_equal(rd(PL011_MIS), 0);
	assert_false(sink.irq);
}

/* earlycon=pl011: wait for !TXFF, writeb DR, wait for !BUSY. */
static void earlycon(void **state)
{
	const char *msg = "Booting Linux on physical CPU 0x0\n";

	(void)state;
	for (const char *c = msg; *c; c++) {
		u64 fr;
		assert_int_equal(pl011_mmio_read(&uart, PL011_FR, 4, &fr), 0);
		assert_false(fr & PL011_FR_TXFF);
		assert_int_equal(pl011_mmio_write(&uart, PL011_DR, 1, (u8)*c), 0);
		assert_int_equal(pl011_mmio_read(&uart, PL011_FR, 4, &fr), 0);
		assert_false(fr & PL011_FR_BUSY);
	}
	assert_int_equal(sink.out_len, strlen(msg));
	assert_memory_equal(sink.out, msg, strlen(msg));
	assert_false(sink.irq); /* TXRIS is set, but masked */
	assert_true(rd(PL011_RIS) & PL011_INT_TX);
}

/* pl011_hwinit + pl011_startup + pl011_enable_interrupts, with 16-bit accesses. */
static void linux_startup(void)
{
	wrw(PL011_ICR, PL011_INT_OE | PL011_INT_BE | PL011_INT_PE | PL011_INT_FE | PL011_INT_RT |
			   PL011_INT_RX);
	(void)rdw(PL011_IMSC);
	wrw(PL011_IMSC, PL011_INT_RT | PL011_INT_RX);
	wrw(PL011_IFLS, 0x12);
	wrw(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE | PL011_CR_RTS | PL011_CR_DTR);
	wrw(PL011_ICR, PL011_INT_RT | PL011_INT_RX);
	for (int i = 0; i < PL011_FIFO_SIZE * 2; i++) {
		if (rdw(PL011_FR) & PL011_FR_RXFE)
			break;
		(void)rdw(PL011_DR);
	}
	wrw(PL011_IMSC, PL011_INT_RT | PL011_INT_RX);
	/* set_termios: 115200 8N1 with FIFOs. */
	wrw(PL011_IBRD, 13);
	wrw(PL011_FBRD, 1);
	wrw(PL011_LCR_H, PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN);
}

/* pl011_fifo_to_tty: read DR until FR.RXFE. */
static size_t drain(char *buf, size_t max)
{
	size_t n = 0;

	while (!(rdw(PL011_FR) & PL011_FR_RXFE)) {
		u16 dr = rdw(PL011_DR);
		assert_true(n < max);
		buf[n++] = (char)(dr & PL011_DR_DATA_MASK);
	}
	return n;
}

static void rx_interrupts(void **state)
{
	char got[64];
	size_t n;

	(void)state;
	linux_startup();
	assert_false(sink.irq);
	/* A few bytes, below the 1/2 level (16): receive timeout only. */
	push("ls\r");
	assert_true(sink.irq);
	assert_int_equal(rdw(PL011_MIS), PL011_INT_RT);
	n = drain(got, sizeof(got));
	assert_int_equal(n, 3);
	assert_memory_equal(got, "ls\r", 3);
	assert_int_equal(rdw(PL011_MIS), 0);
	assert_false(sink.irq);

	/* 20 bytes: at the level, RX and RT. */
	push("abcdefghijklmnopqrst");
	assert_int_equal(rdw(PL011_MIS), PL011_INT_RX | PL011_INT_RT);
	for (int i = 0; i < 5; i++)
		(void)rdw(PL011_DR);
	/* 15 left: below the level, RX drops; RT stays until empty. */
	assert_int_equal(rdw(PL011_MIS), PL011_INT_RT);
	n = drain(got, sizeof(got));
	assert_int_equal(n, 15);
	assert_int_equal(got[0], 'f');
	assert_false(sink.irq);
}

/* pl011_start_tx_pio / pl011_int TX path / pl011_stop_tx. */
static void tx_interrupts(void **state)
{
	(void)state;
	linux_startup();
	wrw(PL011_DR, 'a'); /* start_tx writes what fits first */
	wrw(PL011_IMSC, PL011_INT_RT | PL011_INT_RX | PL011_INT_TX);
	assert_true(sink.irq);
	assert_int_equal(rdw(PL011_MIS), PL011_INT_TX);
	/* The handler acknowledges everything but TX/RT/RX, then refills. */
	wrw(PL011_ICR, rdw(PL011_MIS) & ~(PL011_INT_TX | PL011_INT_RT | PL011_INT_RX));
	for (int i = 0; i < PL011_FIFO_SIZE / 2; i++)
		wrw(PL011_DR, (u16)('b' + i));
	assert_true(sink.irq); /* the bytes drained through the level again */
	/* Nothing left to send: stop_tx masks TX. */
	wrw(PL011_IMSC, PL011_INT_RT | PL011_INT_RX);
	assert_false(sink.irq);
	assert_int_equal(sink.out_len, 1 + PL011_FIFO_SIZE / 2);
	/* ICR clears the raw status too. */
	wrw(PL011_ICR, PL011_INT_TX);
	assert_int_equal(rdw(PL011_RIS), 0);
}

static void overrun(void **state)
{
	u8 burst[40];

	(void)state;
	linux_startup();
	wrw(PL011_IMSC, PL011_INT_OE);
	memset(burst, 'x', sizeof(burst));
	burst[PL011_FIFO_SIZE - 1] = 'L';
	assert_int_equal(pl011_rx_space(&uart), PL011_FIFO_SIZE);
	assert_int_equal(pl011_rx_push(&uart, burst, sizeof(burst)), PL011_FIFO_SIZE);
	assert_int_equal(uart.rx_overruns, sizeof(burst) - PL011_FIFO_SIZE);
	assert_true(rdw(PL011_FR) & PL011_FR_RXFF);
	assert_int_equal(pl011_rx_space(&uart), 0);
	assert_true(sink.irq);
	/* RSR.OE is set at the overrun itself (TRM 3.3.2) and stays until ECR is written. */
	assert_int_equal(rdw(PL011_RSR_ECR), PL011_RSR_OE);
	wrw(PL011_RSR_ECR, 0);
	assert_int_equal(rdw(PL011_RSR_ECR), 0);
	for (int i = 0; i < PL011_FIFO_SIZE - 1; i++)
		assert_int_equal(rdw(PL011_DR), 'x');
	/* The newest byte carries OE in DR, and reading it reports OE in RSR again. */
	assert_int_equal(rdw(PL011_DR), PL011_DR_OE | 'L');
	assert_int_equal(rdw(PL011_RSR_ECR), PL011_RSR_OE);
	wrw(PL011_RSR_ECR, 0);
	assert_int_equal(rdw(PL011_RSR_ECR), 0);
	wrw(PL011_ICR, PL011_INT_OE);
	assert_false(sink.irq);
}

static void character_mode_and_disabled(void **state)
{
	(void)state;
	wr(PL011_LCR_H, PL011_LCR_H_WLEN_8); /* FEN clear: 1-entry "FIFO" */
	wr(PL011_IMSC, PL011_INT_RX);
	assert_int_equal(pl011_rx_space(&uart), 1);
	assert_int_equal(pl011_rx_push(&uart, (const u8 *)"12", 2), 1);
	assert_true(sink.irq); /* level 1 reached */
	assert_true(rd(PL011_FR) & PL011_FR_RXFF);
	/* '2' overran the single entry: '1' carries the OE flag. */
	assert_int_equal(rd(PL011_DR), PL011_DR_OE | '1');
	assert_false(sink.irq);

	/* Receive disabled: no room, input refused (the console keeps it). */
	wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE);
	assert_int_equal(pl011_rx_space(&uart), 0);
	assert_int_equal(pl011_rx_push(&uart, (const u8 *)"z", 1), 0);
	/* UART disabled: DR writes go nowhere. */
	wr(PL011_CR, PL011_CR_TXE | PL011_CR_RXE);
	wr(PL011_DR, 'q');
	assert_int_equal(sink.out_len, 0);
	assert_int_equal(uart.tx_bytes, 0);
}

static void loopback(void **state)
{
	(void)state;
	wr(PL011_IMSC, PL011_INT_CTS | PL011_INT_DSR | PL011_INT_DCD | PL011_INT_RI);
	wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE | PL011_CR_LBE | PL011_CR_RTS |
			 PL011_CR_OUT2);
	/* CTS follows RTS (unchanged), DSR and DCD dropped, RI follows Out2. */
	assert_int_equal(rd(PL011_FR) & (PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD | PL011_FR_RI),
			 PL011_FR_CTS | PL011_FR_RI);
	assert_int_equal(rd(PL011_MIS), PL011_INT_DSR | PL011_INT_DCD | PL011_INT_RI);
	assert_true(sink.irq);
	wr(PL011_ICR, PL011_INT_MASK);
	assert_false(sink.irq);
	wr(PL011_DR, 0x42);
	assert_int_equal(sink.out_len, 0);
	assert_int_equal(rd(PL011_DR), 0x42);
	assert_int_equal(pl011_rx_push(&uart, (const u8 *)"n", 1), 0);
}

static void access_widths(void **state)
{
	u64 v = 123;

	(void)state;
	/* Byte and halfword reads return the addressed bytes of the register. */
	assert_int_equal(pl011_mmio_read(&uart, PL011_CR + 1, 1, &v), 0);
	assert_int_equal(v, (PL011_CR_TXE | PL011_CR_RXE) >> 8);
	assert_int_equal(pl011_mmio_read(&uart, PL011_PERIPHID0 + 8, 1, &v), 0);
	assert_int_equal(v, 0x34);
	/* Halfword write at a register's first byte. */
	assert_int_equal(pl011_mmio_write(&uart, PL011_IBRD, 2, 0xbeef), 0);
	assert_int_equal(rd(PL011_IBRD), 0xbeef);
	/* Writes not at the first byte are ignored and counted. */
	assert_int_equal(pl011_mmio_write(&uart, PL011_CR + 1, 1, 0), 0);
	assert_int_equal(rd(PL011_CR), PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
	assert_int_equal(pl011_mmio_write(&uart, PL011_DR + 2, 2, 'X'), 0);
	assert_int_equal(sink.out_len, 0);
	assert_int_equal(uart.bad_accesses, 2);
	/* Refused: misaligned, 8 bytes, odd widths, outside the window. */
	assert_int_equal(pl011_mmio_read(&uart, PL011_FR + 1, 2, &v), HV_EINVAL);
	assert_int_equal(v, 0);
	assert_int_equal(pl011_mmio_read(&uart, PL011_DR, 8, &v), HV_EINVAL);
	assert_int_equal(pl011_mmio_write(&uart, PL011_DR, 3, 'Y'), HV_EINVAL);
	assert_int_equal(pl011_mmio_write(&uart, PL011_MMIO_SIZE, 4, 0), HV_EINVAL);
	assert_int_equal(pl011_mmio_read(&uart, ~0ull - 3, 4, &v), HV_EINVAL);
	assert_int_equal(sink.out_len, 0);
	/* Reserved offsets: read as zero, writes ignored. Read-only ones too. */
	wr(0x008, 0xffffffff);
	assert_int_equal(rd(0x008), 0);
	wr(PL011_FR, 0);
	assert_true(rd(PL011_FR) & PL011_FR_TXFE);
	wr(PL011_PERIPHID0, 0);
	assert_int_equal(rd(PL011_PERIPHID0), 0x11);
	/* Register widths are enforced. */
	wr(PL011_FBRD, 0xffffffff);
	assert_int_equal(rd(PL011_FBRD), PL011_FBRD_MASK);
	wr(PL011_IMSC, 0xffffffff);
	assert_int_equal(rd(PL011_IMSC), PL011_INT_MASK);
}

static void fuzz(void **state)
{
	unsigned seed = 99;

	(void)state;
	for (int i = 0; i < 50000; i++) {
		unsigned r = (unsigned)rand_r(&seed);
		u64 off = (r % 20) * 4 + ((r >> 5) & 1 ? (r >> 6) % 4 : 0);
		unsigned width = 1u << ((r >> 8) % 4);
		u64 v;

		if ((r >> 10) % 8 == 0)
			off = PL011_PERIPHID0 + (r >> 13) % 0x40;
		switch ((r >> 16) % 4) {
		case 0:
			(void)pl011_mmio_read(&uart, off, width, &v);
			break;
		case 1:
			(void)pl011_mmio_write(&uart, off, width, (u64)rand_r(&seed) << 1);
			break;
		case 2: {
			u8 buf[40];
			size_t n = (r >> 20) % sizeof(buf);
			memset(buf, (int)r, n);
			assert_true(pl011_rx_push(&uart, buf, n) <= n);
			break;
		}
		default:
			assert_true(pl011_rx_space(&uart) <= PL011_FIFO_SIZE);
			break;
		}
		assert_true(uart.rx_count <= PL011_FIFO_SIZE);
		assert_int_equal(sink.irq, (uart.ris & uart.imsc) != 0);
		if (sink.out_len > 3000)
			sink.out_len = 0;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(amba_ids, setup),
		cmocka_unit_test_setup(reset_state, setup),
		cmocka_unit_test_setup(earlycon, setup),
		cmocka_unit_test_setup(rx_interrupts, setup),
		cmocka_unit_test_setup(tx_interrupts, setup),
		cmocka_unit_test_setup(overrun, setup),
		cmocka_unit_test_setup(character_mode_and_disabled, setup),
		cmocka_unit_test_setup(loopback, setup),
		cmocka_unit_test_setup(access_widths, setup),
		cmocka_unit_test_setup(fuzz, setup),
	};

	return cmocka_run_group_tests_name("pl011_emul", tests, NULL, NULL);
}
