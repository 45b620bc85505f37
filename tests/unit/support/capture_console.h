#ifndef TEST_CAPTURE_CONSOLE_H
#define TEST_CAPTURE_CONSOLE_H

#include <hv/console.h>

extern const struct console_dev fake_stderr_console;

/* Send console output to a buffer (cleared) until capture_console_stop(). */
void capture_console_start(void);
void capture_console_stop(void);
/* Everything written since start, with "\r\n" as the console sends it. */
const char *capture_console_text(void);

#endif
