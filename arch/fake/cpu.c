/*
 * The host stand-in for the arch seam (include/arch/): lets mm/, vmm/ and
 * drivers/ build and run as ordinary programs for unit tests, benchmarks and
 * sanitizers. Time comes from CLOCK_MONOTONIC, a "shutdown" is exit(), and
 * the console is stderr unless a test installs its own.
 */
#include <execinfo.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arch/cpu.h>
#include <hv/console.h>

void arch_zero_pages(void *p, size_t size)
{
	memset(p, 0, size);
}

void arch_cpu_relax(void)
{
	/* Host threads may outnumber cores: let the lock holder run. */
	sched_yield();
}

u64 arch_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

u64 arch_ticks(void)
{
	return arch_time_ns();
}

void arch_dump_state(void)
{
	void *frames[32];
	int n = backtrace(frames, 32);

	fprintf(stderr, "backtrace (host):\n");
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

void arch_shutdown(int status)
{
	fflush(stdout);
	/* abort() on failure so a debugger or sanitizer shows where. */
	if (status)
		abort();
	exit(0);
}

static void stderr_putc(char c)
{
	/* console_write() already sends "\r\n"; a terminal is happy with "\n". */
	if (c != '\r')
		fputc(c, stderr);
}

const struct console_dev fake_stderr_console = {
	.name = "stderr",
	.putc = stderr_putc,
	.getc = NULL,
};

__attribute__((constructor)) static void fake_console_init(void)
{
	console_set(&fake_stderr_console);
}
