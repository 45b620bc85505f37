/*
 * Deliberate faults, to prove the exception path end to end: the option
 * "arm64.selftest=NAME" on the command line makes the hypervisor do NAME
 * once bring-up is complete. Each one must end in a fault report and a
 * failure status, never a hang (tests/integration/test_arm64_faults.py).
 *
 *   fault     read an unmapped address (the guard page below the boot stack)
 *   write-text   write to our own text: W^X must refuse (permission fault)
 *   exec-data    jump into a writable page: W^X must refuse (instruction abort)
 *   overflow  unbounded recursion: the guard page stops it, the report runs
 *             on the exception stack
 *   nested    the fault report itself faults: a one-line summary, then stop
 */
#include <hv/log.h>
#include <hv/string.h>

#include <arm64/boot.h>
#include <arm64/layout.h>

void arm64_selftest(const char *cmdline);
extern bool arm64_fault_in_report;

#define OPTION "arm64.selftest="

static u64 guard_page(void)
{
	return (u64)(uptr)__stack_block + BOOT_STACK_OFFSET - STACK_GUARD_SIZE;
}

__attribute__((noinline)) static u64 selftest_read_unmapped(void)
{
	return *(volatile u64 *)(uptr)guard_page();
}

__attribute__((noinline)) static void selftest_write_text(void)
{
	/* The first word of the Image header, in the text section. */
	*(volatile u32 *)(uptr)__image_start = 0;
}

/* A writable, page-aligned buffer holding a RET: executing it must fault. */
static u32 exec_data_page[PAGE_SIZE / 4] __aligned(PAGE_SIZE) = { 0xd65f03c0 };

__attribute__((noinline)) static void selftest_exec_data(void)
{
	void (*fn)(void) = (void (*)(void))(uptr)exec_data_page;

	fn();
}

/* Far deeper than any stack; volatile so the compiler cannot prove the recursion endless. */
static volatile u64 recurse_limit = 1ull << 40;

__attribute__((noinline)) static u64 selftest_recurse(u64 depth)
{
	volatile u64 pad[32];

	pad[depth % 32] = depth;
	if (depth >= recurse_limit)
		return pad[0];
	return selftest_recurse(depth + 1) + pad[1];
}

static bool option_is(const char *cmdline, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		if (strncmp(p, OPTION, sizeof(OPTION) - 1) == 0 &&
		    strncmp(p + sizeof(OPTION) - 1, name, n) == 0) {
			char end = p[sizeof(OPTION) - 1 + n];

			if (end == '\0' || end == ' ')
				return true;
		}
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

void arm64_selftest(const char *cmdline)
{
	if (option_is(cmdline, "fault")) {
		log_info("selftest: reading unmapped address 0x%llx",
			 (unsigned long long)guard_page());
		selftest_read_unmapped();
	} else if (option_is(cmdline, "write-text")) {
		log_info("selftest: writing to hypervisor text");
		selftest_write_text();
	} else if (option_is(cmdline, "exec-data")) {
		log_info("selftest: executing a data page");
		selftest_exec_data();
	} else if (option_is(cmdline, "overflow")) {
		log_info("selftest: overflowing the boot stack");
		selftest_recurse(0);
	} else if (option_is(cmdline, "nested")) {
		log_info("selftest: faulting inside the fault report");
		arm64_fault_in_report = true;
		selftest_read_unmapped();
	} else {
		return;
	}
	log_err("selftest: the deliberate fault did not happen");
}
