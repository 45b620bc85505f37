/*
 * VMMCALL exits: every function of the hv ABI with good and bad arguments
 * (console output limits, buffers outside RAM or wrapping, unknown
 * numbers, a bad test status), and every call from ring 3 refused with
 * HC_EPERM, shutdown included.
 */
#include "guest.h"

#define E820_RAM 1

static char msg[] = "console write from the hypercall guest\n";

struct ram_end {
	u64 end; /* the end of a RAM range followed by a hole */
};

static void find_ram_end(u64 base, u64 len, u32 type, void *ctx)
{
	struct ram_end *r = ctx;

	if (type == E820_RAM && base >= 0x100000 && base + len < (1ull << 32) && !r->end)
		r->end = base + len;
}

static u32 user_version(void)
{
	return hc(HC_VERSION, 0, 0, 0, 0).eax;
}

static u32 user_console(void)
{
	return (u32)hc0(HC_CONSOLE_WRITE, (u32)(uintptr_t)msg, 4, 0);
}

static u32 user_shutdown(void)
{
	return (u32)hc0(HC_SHUTDOWN, 0, 0, 0);
}

int guest_main(u32 magic, u32 mbi)
{
	struct hc_out v = hc(HC_VERSION, 0, 0, 0, 0);
	struct ram_end r = { 0 };
	int32_t t1, t2;

	(void)magic;
	(void)mbi;
	check(v.eax == HC_ABI_VERSION && v.ebx == ('h' | 'v' << 8) && !v.ecx && !v.edx, v.ebx,
	      "VERSION: ABI version and name");
	check(hc0(HC_CONSOLE_WRITE, (u32)(uintptr_t)msg, sizeof(msg) - 1, 0) == sizeof(msg) - 1, 0,
	      "CONSOLE_WRITE returns the length");
	check(hc0(HC_CONSOLE_WRITE, (u32)(uintptr_t)msg, 0, 0) == 0, 0, "CONSOLE_WRITE of nothing");
	check(hc0(HC_CONSOLE_WRITE, (u32)(uintptr_t)msg, HC_CONSOLE_WRITE_MAX + 1, 0) == HC_E2BIG,
	      0, "CONSOLE_WRITE above the limit: E2BIG");
	check(hc0(HC_CONSOLE_WRITE, 0xfff00000u, 16, 0) == HC_EFAULT, 0,
	      "CONSOLE_WRITE from outside RAM: EFAULT");
	check(hc0(HC_CONSOLE_WRITE, 0xfffffff8u, 16, 0) == HC_EFAULT, 0,
	      "CONSOLE_WRITE wrapping around 4 GiB: EFAULT");
	mb_mmap(find_ram_end, &r);
	if (check(r.end != 0, 0, "a RAM range with a hole after it"))
		check(hc0(HC_CONSOLE_WRITE, (u32)r.end - 8, 16, 0) == HC_EFAULT, (u32)r.end,
		      "CONSOLE_WRITE across the end of RAM: EFAULT");
	check(hc0(HC_TEST_RESULT, 99, 7, 0) == HC_EINVAL, 0, "TEST_RESULT with status 7: EINVAL");
	check(hc0(HC_NOP, 0, 0, 0) == 0, 0, "NOP");
	t1 = hc0(HC_TICKS, 0, 0, 0);
	t2 = hc0(HC_TICKS, 0, 0, 0);
	/* 32-bit registers: the low half of the counter, which may wrap, but not twice. */
	check((u32)t2 != (u32)t1, (u32)(t2 - t1), "TICKS advances");
	check(hc0(HC_FN(HC_FN_COUNT), 0, 0, 0) == HC_ENOSYS, 0, "the next number: ENOSYS");
	check(hc0(0, 0, 0, 0) == HC_ENOSYS, 0, "number 0: ENOSYS");
	check(hc0(0xc7000000u, 0, 0, 0) == HC_ENOSYS, 0, "another owner: ENOSYS");

	check(run_user(user_version) == (u32)HC_EPERM, 0, "VERSION from ring 3: EPERM");
	check(run_user(user_console) == (u32)HC_EPERM, 0, "CONSOLE_WRITE from ring 3: EPERM");
	check(run_user(user_shutdown) == (u32)HC_EPERM, 0, "SHUTDOWN from ring 3: EPERM");
	check(true, 0, "still running after SHUTDOWN from ring 3");
	return 0;
}
