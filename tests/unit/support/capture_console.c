/*
 * A console that records everything written to it, for tests that assert on
 * log or panic output.
 */
#include <string.h>

#include "capture_console.h"

static char capture_buf[1 << 16];
static size_t capture_len;

static void capture_putc(char c)
{
	if (capture_len + 1 < sizeof(capture_buf))
		capture_buf[capture_len++] = c;
	capture_buf[capture_len] = '\0';
}

static const struct console_dev capture_dev = {
	.name = "capture",
	.putc = capture_putc,
	.getc = NULL,
};

void capture_console_start(void)
{
	capture_len = 0;
	capture_buf[0] = '\0';
	console_set(&capture_dev);
}

void capture_console_stop(void)
{
	console_set(&fake_stderr_console);
}

const char *capture_console_text(void)
{
	return capture_buf;
}
