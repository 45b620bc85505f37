/*
 * The emulated 16550A, driven the way Linux's 8250 driver drives it: the
 * autoconfig probe (IER test, loopback MSR test, FIFO detection through IIR
 * bits 7:6 and the 16650/16750/XScale checks that must fail on a 16550A),
 * startup (the THRE probes), then interrupt-driven TX and RX. Plus the
 * interrupt priority order, overruns, loopback and odd access widths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/dev/uart16550.h>

#include "uart_sink.h"

static const struct uart16550_ops sink_ops = { .tx = uart_sink_tx, .set_irq = uart_sink_irq };

static void peek_tx(void *ctx, u8 byte)
{
	(void)ctx;
	(void)byte;
	fail_msg("reading IIR must not transmit");
}

/* For side-effect-free peeks at a copy of the device. */
static const struct uart16550_ops peek_ops = { .tx = peek_tx, .set_irq = NULL };

static struct uart16550 uart;
static struct uart_sink sink;

static int setup(void **state)
{
	(void)state;
	memset(&sink, 0, sizeof(sink));
	uart16550_init(&uart, &sink_ops, &sink);
	return 0;
}

static u8 in(u16 reg)
{
	return (u8)uart16550_read(&uart, reg, 1);
}

static void out(u16 reg, u8 v)
{
	uart16550_write(&uart, reg, 1, v);
}

static void push(const char *s)
{
	assert_int_equal(uart16550_rx_push(&uart, (const u8 *)s, strlen(s)), strlen(s));
}

/* Linux 8250 autoconfig(), in order, with the answers a 16550A gives. */
static void linux_autoconfig(void **state)
{
	u8 scratch, save_mcr, save_lcr;

	(void)state;
	/* IER: bits 3:0 writable, must read back. */
	scratch = in(UART_IER);
	out(UART_IER, 0);
	assert_int_equal(in(UART_IER)&0x0f, 0);
	out(UART_IER, 0x0f);
	assert_int_equal(in(UART_IER)&0x0f, 0x0f);
	out(UART_IER, scratch);

	/* Loopback: RTS|OUT2 must show as CTS|DCD. */
	save_mcr = in(UART_MCR);
	save_lcr = in(UART_LCR);
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	assert_int_equal(in(UART_MSR)&0xf0, UART_MSR_CTS | UART_MSR_DCD);
	out(UART_MCR, save_mcr);

	/* EFR probe (LCR 0xbf) then FIFO detection: IIR 7:6 = 11 means 16550A. */
	out(UART_LCR, 0xbf);
	out(UART_FCR, 0);
	out(UART_LCR, 0);
	out(UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(in(UART_IIR) >> 6, 3);

	/* autoconfig_16550a: with DLAB set, offset 2 is IIR, never a zero EFR. */
	out(UART_LCR, UART_LCR_DLAB);
	assert_int_not_equal(in(UART_IIR), 0);
	out(UART_LCR, 0xbf);
	assert_int_not_equal(in(UART_IIR), 0);
	/* NS SuperIO check: LCR 0xe0 offset 2 must not follow MCR.LOOP. */
	out(UART_LCR, 0);
	u8 status1 = in(UART_MCR);
	out(UART_LCR, 0xe0);
	u8 status2 = in(UART_IIR);
	assert_int_equal((status1 ^ status2) & UART_MCR_LOOP, 0);
	out(UART_LCR, 0);
	out(UART_MCR, status1 ^ UART_MCR_LOOP);
	out(UART_LCR, 0xe0);
	status2 = in(UART_IIR);
	out(UART_LCR, 0);
	out(UART_MCR, status1);
	assert_int_equal((status1 ^ status2) & UART_MCR_LOOP, 0);
	/* 16750 check: FCR bit 5 must not show in IIR, with or without DLAB. */
	out(UART_FCR, UART_FCR_ENABLE | 0x20);
	assert_int_equal(in(UART_IIR)&0xe0, 0xc0);
	out(UART_FCR, UART_FCR_ENABLE);
	out(UART_LCR, UART_LCR_DLAB);
	out(UART_FCR, UART_FCR_ENABLE | 0x20);
	assert_int_equal(in(UART_IIR)&0xe0, 0xc0);
	out(UART_FCR, UART_FCR_ENABLE);
	out(UART_LCR, 0);
	/* XScale check: IER bit 6 (UUE) must not stick. */
	out(UART_IER, 0x40);
	assert_int_equal(in(UART_IER)&0x40, 0);

	/* Reset, as autoconfig ends. */
	out(UART_MCR, save_mcr);
	out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	out(UART_FCR, 0);
	(void)in(UART_RBR);
	out(UART_IER, 0);
	out(UART_LCR, save_lcr);
	assert_false(sink.irq);
	assert_int_equal(sink.out_len, 0); /* the probe transmitted nothing */
}

/* serial8250_do_startup() and set_termios() at 115200 8N1. */
static void linux_startup(void **state)
{
	u8 lsr, iir;

	(void)state;
	out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	out(UART_FCR, 0);
	assert_int_not_equal(in(UART_LSR), 0xff);
	(void)in(UART_RBR);
	(void)in(UART_IIR);
	(void)in(UART_MSR);
	out(UART_LCR, 0x03);

	/* UART_BUG_THRE probe: IER.THRI twice must raise THRE each time. */
	out(UART_IER, UART_IER_ETBEI);
	iir = in(UART_IIR);
	assert_int_equal(iir & 0x0f, UART_IIR_THRI);
	out(UART_IER, 0);
	out(UART_IER, UART_IER_ETBEI);
	iir = in(UART_IIR);
	assert_int_equal(iir & 0x0f, UART_IIR_THRI);
	out(UART_IER, 0);

	/* "Quick test" for UART_BUG_TXEN: TEMT set and an interrupt pending. */
	out(UART_IER, UART_IER_ETBEI);
	lsr = in(UART_LSR);
	iir = in(UART_IIR);
	out(UART_IER, 0);
	assert_true(lsr & UART_LSR_TEMT);
	assert_false(iir & UART_IIR_NO_INT);

	/* set_termios: divisor 1, 8N1, FIFO with trigger 8, modem lines, RX irqs. */
	out(UART_LCR, UART_LCR_DLAB | 0x03);
	out(UART_DLL, 1);
	out(UART_DLM, 0);
	assert_int_equal(uart16550_read(&uart, UART_DLL, 2), 0x0001);
	out(UART_LCR, 0x03);
	out(UART_FCR, UART_FCR_ENABLE | (2 << UART_FCR_TRIG_SHIFT));
	out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	out(UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
	assert_int_equal(in(UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_NO_INT);
	assert_false(sink.irq);
	/* The divisor writes went to the latch, not the line. */
	assert_int_equal(sink.out_len, 0);
}

/* The TX path of serial8250_tx_chars: THRE interrupt, up to 16 bytes, repeat. */
static void tx_with_interrupts(void **state)
{
	const char *msg = "The quick brown fox jumps over the lazy dog\r\n";
	size_t sent = 0, len = strlen(msg);
	unsigned interrupts = 0;

	linux_startup(state);
	out(UART_IER, UART_IER_ERBFI | UART_IER_ELSI | UART_IER_ETBEI); /* start_tx */
	while (sent < len) {
		assert_true(sink.irq);
		interrupts++;
		u8 iir = in(UART_IIR);
		assert_int_equal(iir, UART_IIR_FIFO_ENABLED | UART_IIR_THRI);
		assert_false(sink.irq); /* the IIR read acknowledged THRE */
		assert_true(in(UART_LSR)&UART_LSR_THRE);
		for (int n = 0; n < UART_FIFO_SIZE && sent < len; n++)
			out(UART_THR, (u8)msg[sent++]);
	}
	/* The last byte left too: THRE again; stop_tx masks it. */
	assert_true(sink.irq);
	out(UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
	assert_false(sink.irq);
	assert_int_equal(interrupts, 3);
	assert_int_equal(sink.out_len, len);
	assert_memory_equal(sink.out, msg, len);
	assert_int_equal(uart.tx_bytes, len);
}

static void rx_trigger_and_timeout(void **state)
{
	char got[32] = { 0 };
	int n = 0;

	linux_startup(state); /* trigger level 8 */
	push("abc");
	assert_true(sink.irq);
	/* Below the trigger level: character timeout. */
	assert_int_equal(in(UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_CTI);
	while (in(UART_LSR)&UART_LSR_DR)
		got[n++] = (char)in(UART_RBR);
	assert_string_equal(got, "abc");
	assert_false(sink.irq);
	assert_int_equal(in(UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_NO_INT);

	push("0123456789");
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_RDI);
	for (int i = 0; i < 3; i++)
		(void)in(UART_RBR);
	/* 7 left, below 8: the interrupt turns into a timeout until drained. */
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_CTI);
	assert_int_equal(in(UART_RBR), '3');
	assert_int_equal(uart16550_rx_space(&uart), UART_FIFO_SIZE - 6);
}

static void rx_overrun_priority(void **state)
{
	const u8 burst[20] = "ABCDEFGHIJKLMNOPQRS";

	linux_startup(state);
	assert_int_equal(uart16550_rx_space(&uart), UART_FIFO_SIZE);
	assert_int_equal(uart16550_rx_push(&uart, burst, sizeof(burst)), UART_FIFO_SIZE);
	assert_int_equal(uart.rx_overruns, sizeof(burst) - UART_FIFO_SIZE);
	assert_int_equal(uart16550_rx_space(&uart), 0);
	/* Line status outranks data; reading LSR reports OE once and clears it. */
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_RLSI);
	u8 lsr = in(UART_LSR);
	assert_true(lsr & UART_LSR_OE);
	assert_true(lsr & UART_LSR_DR);
	assert_false(in(UART_LSR)&UART_LSR_OE);
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_RDI);
	/* The first 16 bytes were kept, in order. */
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(in(UART_RBR), burst[i]);
	assert_false(in(UART_LSR)&UART_LSR_DR);
	assert_int_equal(in(UART_RBR), 0); /* empty FIFO reads 0 */
}

/* All four sources at once, taken down one by one in priority order. */
static void interrupt_priority(void **state)
{
	(void)state;
	out(UART_FCR, UART_FCR_ENABLE); /* trigger 1 */
	out(UART_IER, UART_IER_ERBFI | UART_IER_ETBEI | UART_IER_ELSI | UART_IER_EDSSI);
	(void)in(UART_IIR);           /* take THRE */
	out(UART_MCR, UART_MCR_LOOP); /* lines drop: modem status change */
	out(UART_THR, 'x');           /* loops back to RX, and THRE again */
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		out(UART_THR, 'y'); /* one too many: overrun */
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_RLSI);
	(void)in(UART_LSR);
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_RDI);
	out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_THRI); /* this read acknowledges it */
	u8 iir = in(UART_IIR);
	assert_int_equal(iir & 0x0f, UART_IIR_MSI);
	assert_true(sink.irq);
	u8 msr = in(UART_MSR);
	assert_int_equal(msr & UART_MSR_DELTA_MASK, UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(msr & 0xf0, 0);
	assert_int_equal(in(UART_IIR)&0x0f, UART_IIR_NO_INT);
	assert_false(sink.irq);
	assert_int_equal(sink.out_len, 0); /* loopback sends nothing out */
}

static void loopback_data_and_lines(void **state)
{
	(void)state;
	out(UART_FCR, UART_FCR_ENABLE);
	out(UART_MCR, UART_MCR_LOOP);
	(void)in(UART_MSR);
	out(UART_THR, 0x5a);
	assert_int_equal(in(UART_LSR)&UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(in(UART_RBR), 0x5a);
	/* Host input is disconnected in loopback. */
	assert_int_equal(uart16550_rx_space(&uart), 0);
	assert_int_equal(uart16550_rx_push(&uart, (const u8 *)"z", 1), 0);
	/* Each output drives its input; RI falling sets TERI. */
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	assert_int_equal(in(UART_MSR), UART_MSR_DSR | UART_MSR_RI | UART_MSR_DDSR);
	out(UART_MCR, UART_MCR_LOOP);
	assert_int_equal(in(UART_MSR), UART_MSR_DDSR | UART_MSR_TERI);
	/* Leaving loopback restores the connected-terminal lines. */
	out(UART_MCR, 0);
	assert_int_equal(in(UART_MSR)&0xf0, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	assert_int_equal(sink.out_len, 0);
	out(UART_THR, 'k');
	assert_int_equal(sink.out_len, 1);
	assert_int_equal(in(UART_LSR)&UART_LSR_DR, 0);
}

static void non_fifo_mode(void **state)
{
	(void)state;
	out(UART_IER, UART_IER_ERBFI);
	assert_int_equal(in(UART_IIR), UART_IIR_NO_INT); /* bits 7:6 clear without FIFOs */
	assert_int_equal(uart16550_rx_space(&uart), 1);
	assert_int_equal(uart16550_rx_push(&uart, (const u8 *)"pq", 2), 1);
	assert_int_equal(in(UART_IIR), UART_IIR_RDI);
	assert_true(in(UART_LSR)&UART_LSR_OE);
	assert_int_equal(in(UART_RBR), 'p');
	assert_int_equal(in(UART_IIR), UART_IIR_NO_INT);
	/* Turning FIFOs on or off empties them. */
	push("r");
	out(UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(in(UART_LSR)&UART_LSR_DR, 0);
}

static void registers_and_widths(void **state)
{
	(void)state;
	out(UART_SCR, 0xa5);
	assert_int_equal(in(UART_SCR), 0xa5);
	out(UART_LCR, 0x1b);
	assert_int_equal(in(UART_LCR), 0x1b);
	out(UART_MCR, 0xff);
	assert_int_equal(in(UART_MCR), UART_MCR_MASK);
	out(UART_MCR, 0);
	(void)in(UART_MSR); /* clear the change bits the loopback toggle left */
	/* Writes to LSR/MSR change nothing. */
	out(UART_LSR, 0);
	assert_int_equal(in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* A 4-byte read is four byte reads: LCR, MCR, LSR, MSR. */
	assert_int_equal(uart16550_read(&uart, UART_LCR, 4),
			 0x1bu | (UART_LSR_THRE | UART_LSR_TEMT) << 16 |
			     (u32)(UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD) << 24);
	/* Past offset 7: floating bus, writes ignored. */
	assert_int_equal(uart16550_read(&uart, UART_SCR, 2), 0xff00u | 0xa5);
	assert_int_equal(uart16550_read(&uart, 100, 1), 0xff);
	uart16550_write(&uart, 8, 4, 0x41414141);
	uart16550_write(&uart, 0xffff, 4, 0x41414141);
	assert_int_equal(sink.out_len, 0);
	/* A 16-bit write at THR sends the low byte, then writes IER. */
	out(UART_LCR, 0x03);
	uart16550_write(&uart, UART_THR, 2, 0x0f00 | 'Q');
	assert_int_equal(sink.out_len, 1);
	assert_int_equal(sink.out[0], 'Q');
	assert_int_equal(in(UART_IER), 0x0f);
	/* An odd width acts as one byte. */
	uart16550_write(&uart, UART_SCR, 3, 0x123456);
	assert_int_equal(in(UART_SCR), 0x56);
}

/* Random port traffic and input: no crash, and the invariants hold. */
static void fuzz(void **state)
{
	unsigned seed = 4242;

	(void)state;
	for (int i = 0; i < 50000; i++) {
		unsigned r = (unsigned)rand_r(&seed);
		u16 off = (u16)(r % 10);
		unsigned width = 1u << ((r >> 4) % 3);

		switch ((r >> 8) % 4) {
		case 0:
			(void)uart16550_read(&uart, off, width);
			break;
		case 1:
			uart16550_write(&uart, off, width, (u32)rand_r(&seed));
			break;
		case 2: {
			u8 buf[24];
			size_t n = (r >> 12) % sizeof(buf);
			memset(buf, (int)r, n);
			assert_true(uart16550_rx_push(&uart, buf, n) <= n);
			break;
		}
		default:
			assert_true(uart16550_rx_space(&uart) <= UART_FIFO_SIZE);
			break;
		}
		assert_true(uart.rx_count <= UART_FIFO_SIZE);
		assert_true(uart.ier <= UART_IER_MASK);
		/* The reported line equals "IIR shows an interrupt" (peek without side effects). */
		struct uart16550 copy = uart;
		copy.ops = &peek_ops;
		u8 iir = (u8)uart16550_read(&copy, UART_IIR, 1);
		assert_int_equal(sink.irq, !(iir & UART_IIR_NO_INT));
		if (sink.out_len > 3000)
			sink.out_len = 0;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(linux_autoconfig, setup),
		cmocka_unit_test_setup(linux_startup, setup),
		cmocka_unit_test_setup(tx_with_interrupts, setup),
		cmocka_unit_test_setup(rx_trigger_and_timeout, setup),
		cmocka_unit_test_setup(rx_overrun_priority, setup),
		cmocka_unit_test_setup(interrupt_priority, setup),
		cmocka_unit_test_setup(loopback_data_and_lines, setup),
		cmocka_unit_test_setup(non_fifo_mode, setup),
		cmocka_unit_test_setup(registers_and_widths, setup),
		cmocka_unit_test_setup(fuzz, setup),
	};

	return cmocka_run_group_tests_name("uart16550_emul", tests, NULL, NULL);
}
