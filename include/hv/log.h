/*
 * Leveled logging to the console, and panic().
 *
 * Every hypervisor line looks like
 *     [    1.234567] I mmu: message
 * (seconds since boot, a level letter, then the text), so it can be told
 * apart from guest output, which the device models mark differently. A line
 * is written whole under the console lock, never interleaved with another.
 *
 * The threshold comes from the `loglevel=` command-line option; messages
 * above it cost one comparison.
 */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <stdarg.h>

#include <hv/types.h>

enum log_level {
	LOG_ERR = 0,   /* something failed; the hypervisor or a VM lost something */
	LOG_WARN = 1,  /* unexpected but handled (e.g. a guest did something odd) */
	LOG_INFO = 2,  /* bring-up progress and one-off facts (default) */
	LOG_DEBUG = 3, /* per-VM and per-operation detail */
	LOG_TRACE = 4, /* per-exit / per-fault detail: slow */
};

extern enum log_level log_threshold;

/* Parse "err|warn|info|debug|trace" or a digit 0-4; returns the level or -1. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

void log_vprintf(enum log_level level, const char *fmt, va_list ap);
void log_printf(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define log_at(level, ...)                                                                         \
	do {                                                                                       \
		if ((level) <= log_threshold)                                                      \
			log_printf((level), __VA_ARGS__);                                          \
	} while (0)

#define log_err(...)   log_at(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_at(LOG_TRACE, __VA_ARGS__)

/* Print without prefix or level filtering (banners, dumps). */
void hv_printf(const char *fmt, ...) __printf(1, 2);
void hv_vprintf(const char *fmt, va_list ap);

/*
 * Stop the hypervisor: print the reason, the registers and a backtrace of
 * the caller, then halt (or exit the emulator with a failure status). Only for
 * broken hypervisor invariants; a guest must never be able to reach it.
 */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#endif /* HV_LOG_H */
