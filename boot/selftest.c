/*
 * Deliberate failures for the integration tests (contract in hv/selftest.h).
 *
 * Each test provokes one kind of failure with plain C, so every arch gets
 * them: the exception handler, the page-table permissions (W^X, NX), panic()
 * and CHECK(), the heap's checks and the stack guard must then report it.
 * Addresses come through volatile variables so the compiler cannot see (and
 * "optimise") the undefined behaviour we commit on purpose.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/frames.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/selftest.h>
#include <hv/string.h>

volatile bool selftest_fault_in_handler;
volatile bool selftest_bad_vm_entry;

/* Page 0 is never mapped: a null-pointer dereference must fault. */
static volatile uptr selftest_unmapped_addr = 0x18;
static volatile int selftest_zero;
/* Data, not code: executing it must fault (NX). */
static u8 selftest_data_code[64] __aligned(16);

struct selftest {
	const char *name;
	void (*run)(void);
};

static void test_ud(void)
{
	log_info("selftest ud: executing an undefined instruction");
	__builtin_trap();
}

static void test_pf(void)
{
	volatile u64 *p = (volatile u64 *)selftest_unmapped_addr;

	log_info("selftest pf: reading unmapped address %#lx",
		 (unsigned long)selftest_unmapped_addr);
	(void)*p;
}

static void test_wx(void)
{
	volatile u8 *code = (volatile u8 *)(uptr)&test_wx;
	u8 byte = *code;

	log_info("selftest wx: writing to code at %p", (void *)code);
	*code = byte; /* the same byte: only the permission check matters */
}

static void test_nx(void)
{
	void (*volatile fn)(void) = (void (*)(void))(uptr)selftest_data_code;

	log_info("selftest nx: calling data at %p", (void *)selftest_data_code);
	fn();
	log_err("selftest nx: data was executed"); /* also keeps the call from being a jump */
}

__attribute__((noinline, optimize("no-optimize-sibling-calls"))) static u64 recurse(u64 depth)
{
	volatile u8 pad[512];

	pad[0] = (u8)depth;
	if (selftest_zero == 1) /* never: but the compiler cannot know */
		return 0;
	return recurse(depth + 1) + pad[0];
}

static void test_stack(void)
{
	log_info("selftest stack: recursing until the stack guard page is hit");
	(void)recurse(0);
}

static void test_panic(void)
{
	panic("selftest: deliberate panic (selftest=panic)");
}

static void test_check(void)
{
	CHECK(selftest_zero == 1);
}

static void test_nested(void)
{
	log_info("selftest nested: faulting, and faulting again inside the fault handler");
	selftest_fault_in_handler = true;
	__builtin_trap();
}

static void test_double_free(void)
{
	void *p = hv_zalloc(48);

	log_info("selftest double-free: freeing %p twice", p);
	hv_free(p);
	hv_free(p);
}

static void test_bad_free(void)
{
	void *p = selftest_data_code + 16;

	log_info("selftest bad-free: freeing %p, which hv_zalloc never returned", p);
	hv_free(p);
}

/*
 * Not a failure: exercise the frame allocator on the real memory map (a
 * 2 MiB-aligned contiguous range, memory above 4 GiB when there is some),
 * touching every page through the hypervisor's own page tables.
 */
static void touch_range(hpa_t base, u64 count)
{
	for (u64 i = 0; i < count; i++) {
		volatile u64 *p = phys_to_virt(hpa(hpa_val(base) + i * PAGE_SIZE));

		*p = hpa_val(base) + i;
		CHECK(*p == hpa_val(base) + i);
	}
}

static void test_frames(void)
{
	const u64 count = SZ_2M / PAGE_SIZE * 8; /* 16 MiB */
	u64 free_before = frames_free_count();
	hpa_t base;
	int err;

	err = frames_alloc(count, SZ_2M, FRAME_OWNER_GUEST, &base);
	CHECK(err == 0);
	CHECK(IS_ALIGNED(hpa_val(base), SZ_2M));
	CHECK(!frames_range_is_hv_owned(base, count * PAGE_SIZE));
	touch_range(base, count);
	log_info("selftest frames: 16 MiB contiguous at %#llx, 2 MiB-aligned, guest-owned",
		 (unsigned long long)hpa_val(base));
	frames_free(base, count, FRAME_OWNER_GUEST);

	err = frames_alloc_in(1, PAGE_SIZE, hpa(1ull << 32), hpa(~0ull), FRAME_OWNER_HV, &base);
	if (err == 0) {
		CHECK(hpa_val(base) >= (1ull << 32));
		CHECK(frames_range_is_hv_owned(base, PAGE_SIZE));
		touch_range(base, 1);
		log_info("selftest frames: frame above 4 GiB at %#llx",
			 (unsigned long long)hpa_val(base));
		frames_free(base, 1, FRAME_OWNER_HV);
	} else {
		log_info("selftest frames: no RAM above 4 GiB (%s)", err_name(err));
	}
	CHECK(frames_free_count() == free_before);
	log_info("selftest frames: ok");
}

/* The boot guest's first VM entry will fail: the backend must say which field was wrong. */
static void test_bad_entry(void)
{
	log_info("selftest bad-entry: the first VM entry will be made with an invalid guest state");
	selftest_bad_vm_entry = true;
}

static const struct selftest selftests[] = {
	{ "ud", test_ud },
	{ "pf", test_pf },
	{ "wx", test_wx },
	{ "nx", test_nx },
	{ "stack", test_stack },
	{ "panic", test_panic },
	{ "check", test_check },
	{ "nested", test_nested },
	{ "double-free", test_double_free },
	{ "bad-free", test_bad_free },
	{ "frames", test_frames },
	{ "bad-entry", test_bad_entry },
};

bool selftest_is_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(selftests); i++)
		if (strcmp(name, selftests[i].name) == 0)
			return true;
	return false;
}

const char *selftest_names(void)
{
	static char names[160];
	size_t n = 0;

	if (names[0])
		return names;
	for (size_t i = 0; i < ARRAY_SIZE(selftests) && n < sizeof(names); i++)
		n += (size_t)fmt_snprintf(names + n, sizeof(names) - n, "%s%s", i ? " " : "",
					  selftests[i].name);
	return names;
}

void selftest_run(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(selftests); i++) {
		if (strcmp(name, selftests[i].name) == 0) {
			selftests[i].run();
			return;
		}
	}
	log_err("selftest: no such test '%s'", name);
}
