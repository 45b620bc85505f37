/*
 * Leveled logging and panic() (contract in hv/log.h), and the error-code
 * names every log message uses (hv/errno.h).
 *
 * Each message is formatted into a stack buffer with its prefix and written
 * with one console_write(), so lines from different CPUs never interleave.
 * Messages longer than the buffer are cut and end in "...".
 */
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/string.h>

enum log_level log_threshold = LOG_INFO;

#define LOG_LINE_MAX 512

static const char level_letter[] = { 'E', 'W', 'I', 'D', 'T' };
static const char *const level_names[] = { "err", "warn", "info", "debug", "trace" };

int log_level_parse(const char *name)
{
	if (name[0] >= '0' && name[0] <= '4' && name[1] == '\0')
		return name[0] - '0';
	for (unsigned i = 0; i < ARRAY_SIZE(level_names); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level < ARRAY_SIZE(level_names) ? level_names[level] : "?";
}

static void write_line(char *line, int len)
{
	if (len >= LOG_LINE_MAX - 1) {
		/* Truncated: mark it and keep the newline. */
		memcpy(line + LOG_LINE_MAX - 5, "...\n", 4);
		len = LOG_LINE_MAX - 1;
	}
	console_write(line, (size_t)len);
}

void log_vprintf(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	u64 ns = arch_time_ns();
	int n;

	if ((unsigned)level > LOG_TRACE)
		level = LOG_TRACE;
	n = fmt_snprintf(line, sizeof(line), "[%5llu.%06llu] %c ",
			 (unsigned long long)(ns / 1000000000ull),
			 (unsigned long long)(ns / 1000ull % 1000000ull), level_letter[level]);
	n += fmt_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n < LOG_LINE_MAX - 1 && (n == 0 || line[n - 1] != '\n')) {
		line[n++] = '\n';
		line[n] = '\0';
	}
	write_line(line, n);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, fmt, ap);
	va_end(ap);
}

void hv_vprintf(const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n = fmt_vsnprintf(line, sizeof(line), fmt, ap);

	write_line(line, n);
}

void hv_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hv_vprintf(fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	static int panicking;
	va_list ap;

	/* A panic inside the panic path (e.g. a fault while dumping) stops at once. */
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_RELAXED))
		arch_shutdown(HV_EXIT_NESTED);
	console_panic_begin();
	hv_printf("\n*** PANIC: ");
	va_start(ap, fmt);
	hv_vprintf(fmt, ap);
	va_end(ap);
	hv_printf("\n");
	arch_dump_state();
	arch_shutdown(HV_EXIT_PANIC);
}

static const char *const err_names[HV_ERR_COUNT_] = {
	"OK",       "EINVAL", "ENOMEM", "EBUSY", "EEXIST", "ENOENT", "ERANGE",
	"EOVERLAP", "EALIGN", "EFAULT", "EPERM", "EAGAIN", "ENOSYS", "EIO",
};

static const char *const err_texts[HV_ERR_COUNT_] = {
	"success",        "invalid argument",
	"out of memory",  "busy, retry",
	"already exists", "not found",
	"out of range",   "overlaps an existing range",
	"misaligned",     "bad address",
	"not permitted",  "state changed, retry",
	"not supported",  "external component failed",
};

const char *err_name(int err)
{
	return (err <= 0 && -err < HV_ERR_COUNT_) ? err_names[-err] : "E?";
}

const char *err_text(int err)
{
	return (err <= 0 && -err < HV_ERR_COUNT_) ? err_texts[-err] : "unknown error";
}
