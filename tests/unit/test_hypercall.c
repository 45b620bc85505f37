/*
 * The hypercall dispatcher against a fake VM: guest RAM of two ranges with a
 * hole between them, and recorders for console output, test results and
 * shutdown. Every malformed call must return its error code and leave no
 * trace; a random fuzz run checks that for arbitrary numbers and arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/version.h>

/* Guest RAM: [0x1000, 0x3000) and [0x4000, 0x5000); 0x3000-0x3fff is a hole. */
#define RAM0_BASE 0x1000u
#define RAM0_SIZE 0x2000u
#define RAM1_BASE 0x4000u
#define RAM1_SIZE 0x1000u

struct fake_vm {
	u8 ram0[RAM0_SIZE];
	u8 ram1[RAM1_SIZE];
	unsigned reads;
	char console[4096];
	size_t console_len;
	unsigned console_calls;
	unsigned results;
	u64 last_id, last_detail;
	u32 last_status;
	unsigned shutdowns;
	u64 shutdown_status;
};

static u8 *fake_byte(struct fake_vm *vm, u64 addr)
{
	if (addr >= RAM0_BASE && addr < RAM0_BASE + RAM0_SIZE)
		return &vm->ram0[addr - RAM0_BASE];
	if (addr >= RAM1_BASE && addr < RAM1_BASE + RAM1_SIZE)
		return &vm->ram1[addr - RAM1_BASE];
	return NULL;
}

static int fake_read(void *ctx, gpa_t at, void *dst, size_t len)
{
	struct fake_vm *vm = ctx;
	u64 a = gpa_val(at);

	vm->reads++;
	assert_true(len > 0);
	assert_true(a + len > a); /* the dispatcher never passes a wrapping range */
	for (size_t i = 0; i < len; i++)
		if (!fake_byte(vm, a + i))
			return HV_EFAULT;
	for (size_t i = 0; i < len; i++)
		((u8 *)dst)[i] = *fake_byte(vm, a + i);
	return 0;
}

static void fake_console(void *ctx, const char *buf, size_t len)
{
	struct fake_vm *vm = ctx;

	assert_true(vm->console_len + len <= sizeof(vm->console));
	memcpy(vm->console + vm->console_len, buf, len);
	vm->console_len += len;
	vm->console_calls++;
}

static void fake_result(void *ctx, u64 id, u32 status, u64 detail)
{
	struct fake_vm *vm = ctx;

	vm->results++;
	vm->last_id = id;
	vm->last_status = status;
	vm->last_detail = detail;
}

static void fake_shutdown(void *ctx, u64 status)
{
	struct fake_vm *vm = ctx;

	vm->shutdowns++;
	vm->shutdown_status = status;
}

static struct fake_vm *vm;
static struct hc_env env;

static int setup(void **state)
{
	(void)state;
	vm = calloc(1, sizeof(*vm));
	env = (struct hc_env){
		.ctx = vm,
		.vm = "vm-test",
		.read_guest = fake_read,
		.console_write = fake_console,
		.test_result = fake_result,
		.shutdown = fake_shutdown,
	};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(vm);
	return 0;
}

static struct hc_result call(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
{
	const u64 args[HC_ARG_COUNT] = { a0, a1, a2, a3 };

	return hypercall_dispatch(&env, nr, args);
}

static void assert_no_effect(void)
{
	assert_int_equal(vm->console_calls, 0);
	assert_int_equal(vm->results, 0);
	assert_int_equal(vm->shutdowns, 0);
}

static void put_guest(u64 addr, const char *s)
{
	for (size_t i = 0; s[i]; i++)
		*fake_byte(vm, addr + i) = (u8)s[i];
}

static void version_and_name(void **state)
{
	struct hc_result r = call(HC_VERSION, 11, 22, 33, 44);
	char name[25] = { 0 };

	(void)state;
	assert_int_equal(r.ret, (s64)HC_ABI_VERSION);
	assert_int_equal(HC_ABI_VERSION_MAJOR((u64)r.ret), HC_ABI_MAJOR);
	assert_int_equal(HC_ABI_VERSION_MINOR((u64)r.ret), HC_ABI_MINOR);
	for (unsigned i = 0; i < 24; i++)
		name[i] = (char)(r.out[i / 8] >> (8 * (i % 8)));
	assert_string_equal(name, HV_NAME);
	assert_no_effect();
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(hypercall_name(HC_CONSOLE_WRITE), "CONSOLE_WRITE");
	assert_string_equal(hypercall_name(HC_TICKS), "TICKS");
	assert_string_equal(hypercall_name(HC_FN(HC_FN_COUNT)), "?");
	assert_string_equal(hypercall_name(4), "?");
}

static void console_write_ok(void **state)
{
	struct hc_result r;

	(void)state;
	put_guest(0x1100, "hello, world\n");
	r = call(HC_CONSOLE_WRITE, 0x1100, 13, 0, 0);
	assert_int_equal(r.ret, 13);
	assert_int_equal(vm->console_len, 13);
	assert_memory_equal(vm->console, "hello, world\n", 13);
	/* Out registers are the arguments, unchanged. */
	assert_int_equal(r.out[0], 0x1100);
	assert_int_equal(r.out[1], 13);
	assert_int_equal(r.out[2], 0);
}

static void console_write_zero_length(void **state)
{
	struct hc_result r;

	(void)state;
	/* Even at an unbacked address: nothing to read, nothing written. */
	r = call(HC_CONSOLE_WRITE, 0x3000, 0, 0, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(vm->reads, 0);
	assert_no_effect();
}

static void console_write_limit(void **state)
{
	struct hc_result r;

	(void)state;
	memset(vm->ram0, 'x', sizeof(vm->ram0));
	r = call(HC_CONSOLE_WRITE, RAM0_BASE, HC_CONSOLE_WRITE_MAX, 0, 0);
	assert_int_equal(r.ret, HC_CONSOLE_WRITE_MAX);
	assert_int_equal(vm->console_len, HC_CONSOLE_WRITE_MAX);

	r = call(HC_CONSOLE_WRITE, RAM0_BASE, HC_CONSOLE_WRITE_MAX + 1, 0, 0);
	assert_int_equal(r.ret, HC_E2BIG);
	r = call(HC_CONSOLE_WRITE, RAM0_BASE, ~0ull, 0, 0);
	assert_int_equal(r.ret, HC_E2BIG);
	assert_int_equal(vm->console_calls, 1);
}

static void console_write_bad_buffers(void **state)
{
	struct hc_result r;

	(void)state;
	/* Entirely in the hole, then past the end of RAM, then GPA 0. */
	r = call(HC_CONSOLE_WRITE, 0x3000, 16, 0, 0);
	assert_int_equal(r.ret, HC_EFAULT);
	r = call(HC_CONSOLE_WRITE, RAM1_BASE + RAM1_SIZE - 4, 8, 0, 0);
	assert_int_equal(r.ret, HC_EFAULT);
	r = call(HC_CONSOLE_WRITE, 0, 1, 0, 0);
	assert_int_equal(r.ret, HC_EFAULT);
	/* Starts in RAM, crosses into the hole: all or nothing. */
	r = call(HC_CONSOLE_WRITE, RAM0_BASE + RAM0_SIZE - 8, 16, 0, 0);
	assert_int_equal(r.ret, HC_EFAULT);
	/* Wraps around the address space: refused before any read. */
	vm->reads = 0;
	r = call(HC_CONSOLE_WRITE, ~0ull - 3, 16, 0, 0);
	assert_int_equal(r.ret, HC_EFAULT);
	assert_int_equal(vm->reads, 0);
	assert_no_effect();
}

static void test_results(void **state)
{
	struct hc_result r;

	(void)state;
	r = call(HC_TEST_RESULT, 7, HC_TEST_PASS, 0x1234, 0);
	assert_int_equal(r.ret, HC_OK);
	assert_int_equal(vm->results, 1);
	assert_int_equal(vm->last_id, 7);
	assert_int_equal(vm->last_status, HC_TEST_PASS);
	assert_int_equal(vm->last_detail, 0x1234);

	r = call(HC_TEST_RESULT, 8, HC_TEST_FAIL, 99, 0);
	assert_int_equal(r.ret, HC_OK);
	assert_int_equal(vm->last_status, HC_TEST_FAIL);
	r = call(HC_TEST_RESULT, 9, HC_TEST_SKIP, 0, 0);
	assert_int_equal(r.ret, HC_OK);
	assert_int_equal(vm->last_status, HC_TEST_SKIP);
	assert_int_equal(vm->results, 3);

	/* Unknown status values, including ones that truncate to a valid u32. */
	r = call(HC_TEST_RESULT, 10, 3, 0, 0);
	assert_int_equal(r.ret, HC_EINVAL);
	r = call(HC_TEST_RESULT, 10, 1ull << 32, 0, 0);
	assert_int_equal(r.ret, HC_EINVAL);
	assert_int_equal(vm->results, 3);
}

static void shutdown_and_nop(void **state)
{
	struct hc_result r;

	(void)state;
	r = call(HC_NOP, 1, 2, 3, 4);
	assert_int_equal(r.ret, 0);
	assert_no_effect();

	r = call(HC_SHUTDOWN, 42, 0, 0, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(vm->shutdowns, 1);
	assert_int_equal(vm->shutdown_status, 42);
}

static void ticks_advance(void **state)
{
	struct hc_result a, b;

	(void)state;
	a = call(HC_TICKS, 0, 0, 0, 0);
	b = call(HC_TICKS, 0, 0, 0, 0);
	assert_true(a.ret >= 0);
	assert_true(b.ret >= a.ret);
	assert_no_effect();
}

static void unknown_numbers(void **state)
{
	/* Just past the range, the base's neighbours, PSCI SYSTEM_OFF, the
	 * SMC32 form of VERSION, the vendor-hyp UID query, and plain small numbers. */
	static const u64 bad[] = {
		HC_FN(HC_FN_COUNT),
		HC_FN(0xffff),
		HC_FN_BASE - 1,
		HC_FN_BASE | BIT(16),
		0x84000008,
		0x86000000,
		0x8600ff01,
		0,
		1,
		3,
		~0ull,
		HC_FN(1) | BIT(32),
	};

	(void)state;
	put_guest(0x1000, "x");
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct hc_result r = call(bad[i], 0x1000, 1, HC_TEST_PASS, 0);

		assert_int_equal(r.ret, HC_ENOSYS);
		assert_int_equal(r.out[0], 0x1000);
	}
	assert_no_effect();
}

static void user_mode_refused(void **state)
{
	static const u64 calls[] = { HC_VERSION, HC_CONSOLE_WRITE, HC_TEST_RESULT, HC_SHUTDOWN,
				     HC_NOP };

	(void)state;
	put_guest(0x1000, "x");
	env.user_mode = true;
	for (unsigned i = 0; i < ARRAY_SIZE(calls); i++)
		assert_int_equal(call(calls[i], 0x1000, 1, 0, 0).ret, HC_EPERM);
	assert_no_effect();
}

static void cpuid_constants(void **state)
{
	char sig[13] = { 0 };
	const u32 regs[3] = { HC_CPUID_SIG_EBX, HC_CPUID_SIG_ECX, HC_CPUID_SIG_EDX };

	(void)state;
	for (unsigned i = 0; i < 12; i++)
		sig[i] = (char)(regs[i / 4] >> (8 * (i % 4)));
	assert_string_equal(sig, HV_NAME);
	assert_int_equal(HC_CPUID_LEAF_MAX, 0x40000001);
	/* One feature bit per function, and only those. */
	assert_int_equal(__builtin_popcount(HC_CPUID_FEATURES_EBX), HC_FN_COUNT);
	assert_int_equal(HC_VERSION, 0xC6000000u);
}

/* Random numbers and arguments: valid calls behave, everything else is refused cleanly. */
static void fuzz(void **state)
{
	unsigned seed = 777;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		u64 nr, args[HC_ARG_COUNT];
		unsigned before_console = vm->console_calls, before_results = vm->results;
		struct hc_result r;

		for (unsigned k = 0; k < HC_ARG_COUNT; k++) {
			u64 v = ((u64)rand_r(&seed) << 33) ^ ((u64)rand_r(&seed) << 2) ^
				(u64)rand_r(&seed);
			/* Bias towards interesting small values half the time. */
			args[k] = (rand_r(&seed) & 1) ? v : v % 0x6000;
		}
		nr = (rand_r(&seed) & 1) ? HC_FN(rand_r(&seed) % (HC_FN_COUNT + 2))
					 : ((u64)rand_r(&seed) << 32 | (u64)rand_r(&seed));
		if (nr == HC_SHUTDOWN)
			continue;
		r = hypercall_dispatch(&env, nr, args);
		switch (r.ret) {
		case HC_ENOSYS:
			assert_string_equal(hypercall_name(nr), "?");
			break;
		case HC_EFAULT:
		case HC_E2BIG:
			assert_int_equal(nr, HC_CONSOLE_WRITE);
			break;
		case HC_EINVAL:
			assert_int_equal(nr, HC_TEST_RESULT);
			break;
		default:
			assert_true(r.ret >= 0);
			break;
		}
		if (r.ret < 0) {
			assert_int_equal(vm->console_calls, before_console);
			assert_int_equal(vm->results, before_results);
		}
		if (nr == HC_CONSOLE_WRITE && r.ret > 0) {
			assert_int_equal((u64)r.ret, args[1]);
			vm->console_len = 0;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(version_and_name, setup, teardown),
		cmocka_unit_test_setup_teardown(names, setup, teardown),
		cmocka_unit_test_setup_teardown(console_write_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(console_write_zero_length, setup, teardown),
		cmocka_unit_test_setup_teardown(console_write_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(console_write_bad_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results, setup, teardown),
		cmocka_unit_test_setup_teardown(shutdown_and_nop, setup, teardown),
		cmocka_unit_test_setup_teardown(ticks_advance, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(user_mode_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(cpuid_constants, setup, teardown),
		cmocka_unit_test_setup_teardown(fuzz, setup, teardown),
	};

	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
