/*
 * The console: the one serial line that the hypervisor and its guests share.
 *
 * Output. One device at a time, chosen by the arch from the command line
 * (`console=`). Hypervisor text goes through console_write() (log lines
 * start with "[  secs.usecs] L "); each guest's UART output goes through
 * console_guest_write() and is marked per line with the guest's tag
 * ("vm0| "). Guest bytes are written at once, never held for a newline (a
 * shell prompt has none), and a lone "\n" becomes "\r\n". When the writer
 * changes in the middle of a line, a "\r\n" is inserted first, so a
 * hypervisor line never lands inside a guest line nor one guest's text
 * inside another's.
 *
 * Input. console_poll_input() reads the device and hands each byte to the
 * guest with the console focus, through a small queue per guest that the
 * guest's owner drains with console_guest_read() (so the device model is only
 * ever touched by its own vCPU thread). Ctrl-] (CONSOLE_ESCAPE) starts a
 * command for the hypervisor instead:
 *     Ctrl-] Ctrl-]   send one Ctrl-] to the guest
 *     Ctrl-] h        help
 *     Ctrl-] s        statistics (the console's, then the registered hook's)
 *     Ctrl-] 0-9      give the focus to the n-th registered guest
 *     Ctrl-] other    passed to the monitor hook (a later debug monitor)
 * docs/devices.md describes this for users.
 *
 * Locks: output is serialised by the console lock (last in the global lock
 * order). Input adds two, taken before it: the poll lock (one poller at a
 * time; a second poller returns at once) and then the input lock (the guest
 * list, the focus and the queues). Order: poll, input, console.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/list.h>
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

/* Write n bytes of hypervisor text, translating "\n" to "\r\n"; holds the console lock. */
void console_write(const char *s, size_t n);
/* Poll the device for one input byte, bypassing the multiplexer; -1 when none. */
int console_getc(void);

/* --- guests on the shared line ------------------------------------------------------ */

#define CONSOLE_ESCAPE      0x1d /* Ctrl-] */
#define CONSOLE_TAG_MAX     16   /* tag bytes, NUL included */
#define CONSOLE_INPUT_QUEUE 256  /* bytes queued per guest */
#define CONSOLE_POLL_BUDGET 64   /* bytes read per console_poll_input() */

struct console_guest {
	/* Console-private: set by console_guest_register(). */
	char tag[CONSOLE_TAG_MAX];
	void (*input_ready)(void *ctx);
	void *ctx;
	struct list_node link;
	u8 queue[CONSOLE_INPUT_QUEUE];
	u32 queue_head, queue_count;
	u64 bytes_out, bytes_in, input_dropped;
};

/*
 * Register g with tag (at most CONSOLE_TAG_MAX - 1 bytes, e.g. "vm0").
 * input_ready (may be NULL) is called after input was queued for g, so the
 * owner can wake the vCPU that drains it; it runs under the poll lock and
 * must not call back into the console's input functions. The
 * first guest registered gets the focus. Returns 0, or HV_EINVAL for an
 * empty or too long tag, HV_EEXIST if g is already registered.
 */
int console_guest_register(struct console_guest *g, const char *tag, void (*input_ready)(void *ctx),
			   void *ctx);

/* Remove g (and the focus, if it had it: the next guest gets it). */
void console_guest_unregister(struct console_guest *g);

/* Write guest output bytes as described above. Takes the console lock. */
void console_guest_write(struct console_guest *g, const char *s, size_t n);

/* Take up to max queued input bytes for g; returns how many. Takes the input lock. */
size_t console_guest_read(struct console_guest *g, u8 *buf, size_t max);

/* Give the input focus to g (NULL: nobody; input is then dropped and counted). */
void console_focus_set(struct console_guest *g);
struct console_guest *console_focus_get(void);

/*
 * Read what the device has waiting (at most CONSOLE_POLL_BUDGET bytes) and
 * route it: escape commands, else the focused guest's queue. A byte for a
 * full queue is dropped and counted rather than left in the device, so the
 * escape keeps working when a guest stops reading. Cheap when nothing waits:
 * call it from the idle and VM-exit loops. Returns bytes consumed.
 */
size_t console_poll_input(void);

/* Route bytes received by other means (an RX interrupt, a test) as console_poll_input() would. */
void console_input(const u8 *buf, size_t n);

/* Called for Ctrl-] s after the console's own figures. NULL clears. */
void console_set_stats_hook(void (*fn)(void *ctx), void *ctx);

/*
 * Called for Ctrl-] followed by a byte no built-in command uses; returns true
 * if it handled it. NULL clears. Reserved for the debug monitor.
 */
void console_set_monitor_hook(bool (*fn)(void *ctx, char cmd), void *ctx);

/* Bytes dropped because no guest had the focus. */
u64 console_unrouted_input(void);

/*
 * The machine is going down (panic, fatal exception): from now on
 * console_write() no longer takes the console lock, so a report can be
 * printed even when the failure struck while the lock was held. Lines from
 * other CPUs may interleave from then on.
 */
void console_panic_begin(void);

#endif /* HV_CONSOLE_H */
