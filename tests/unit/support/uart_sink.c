/* The far end of an emulated UART in unit tests (uart_sink.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "uart_sink.h"

void uart_sink_tx(void *ctx, u8 byte)
{
	struct uart_sink *s = ctx;

	assert_true(s->out_len < sizeof(s->out));
	s->out[s->out_len++] = byte;
}

void uart_sink_irq(void *ctx, bool level)
{
	struct uart_sink *s = ctx;

	assert_true(level != s->irq); /* called on changes only */
	s->irq = level;
}
