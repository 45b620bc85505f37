/*
 * The console: where hypervisor text goes. One output device at a time,
 * chosen by the arch from the command line (`console=`), fed whole lines
 * under a lock. Guest device models write through console_write() too, with
 * their own line prefix, so guest and hypervisor output interleave by line.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/types.h>

struct console_dev {
	const char *name;
	/* Write one byte; the driver expands nothing ("\n" is sent as is). */
	void (*putc)(char c);
	/* Return a received byte, or -1 if none is waiting. May be NULL. */
	int (*getc)(void);
};

/* Make dev the console; NULL silences output (console=none). */
void console_set(const struct console_dev *dev);
const struct console_dev *console_get(void);

/* Write n bytes, translating "\n" to "\r\n"; holds the console lock. */
void console_write(const char *s, size_t n);
/* Poll for one input byte; -1 when none is waiting or no input device. */
int console_getc(void);

/*
 * The machine is going down (panic, fatal exception): from now on
 * console_write() no longer takes the console lock, so a report can be
 * printed even when the failure struck while the lock was held. Lines from
 * other CPUs may interleave from then on.
 */
void console_panic_begin(void);

#endif /* HV_CONSOLE_H */
