/*
 * The far end of an emulated UART in unit tests (test_uart16550_emul,
 * test_pl011_emul): what the device transmitted, and its interrupt line,
 * which the device must only report when it changes.
 */
#ifndef TEST_UART_SINK_H
#define TEST_UART_SINK_H

#include <stddef.h>

#include <hv/types.h>

struct uart_sink {
	u8 out[4096];
	size_t out_len;
	bool irq;
};

/* The device's tx and set_irq callbacks; ctx is a struct uart_sink. */
void uart_sink_tx(void *ctx, u8 byte);
void uart_sink_irq(void *ctx, bool level);

#endif /* TEST_UART_SINK_H */
