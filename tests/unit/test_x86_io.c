/*
 * The guest's I/O port policy (arch/x86/guest/x86_io.c), on the host: which
 * ports pass through, and where each byte of an intercepted access goes.
 * The test is both ends of the dispatch: the hardware (arch_io_in8/out8,
 * the arch's port seam) and the platform's device models
 * (x86_platform_io_in/out); each records its calls in one log, and reads
 * answer with a value that names the port, so a byte in the wrong lane or
 * from the wrong end shows.
 *
 *   2-byte OUT 0xbbaa at 0x7f:   0x7f  <- 0xaa  platform (1 byte)
 *                                0x80  <- 0xbb  hardware (POST port)
 *   4-byte IN at 0x6e:           0x6e, 0x6f     platform (1 byte each)
 *                                0x70, 0x71     hardware (RTC index, data)
 *                                value = hw(0x71) hw(0x70) plat(0x6f) plat(0x6e)
 *
 * Every port and width near the passed-through ports is also compared
 * against a slow oracle that splits every access byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/io.h>
#include <x86/guest.h>
#include <x86/platform.h>

#define RTC_INDEX 0x70
#define RTC_DATA  0x71
#define POST_PORT 0x80
#define LOG_MAX   8

enum end { HW, PLAT };

struct access {
	enum end end;
	bool write;
	u16 port;
	unsigned size;
	u32 value;
};

static struct {
	unsigned count;
	struct access a[LOG_MAX];
} log_;

static struct x86_platform plat;
static struct x86_vcpu xv = { .plat = &plat };

static void record(enum end end, bool write, u16 port, unsigned size, u32 value)
{
	assert_true(log_.count < LOG_MAX);
	log_.a[log_.count++] = (struct access){ end, write, port, size, value };
}

/* What the hardware reads at port: 0x5_ with the port's low nibble. */
static u8 hw_value(u16 port)
{
	return (u8)(0x50 | (port & 0xf));
}

/* What the platform reads at port for size bytes: byte k is 0xa_ with (port + k)'s low nibble. */
static u32 plat_value(u16 port, unsigned size)
{
	u32 v = 0;

	for (unsigned k = 0; k < size; k++)
		v |= (u32)(0xa0 | ((port + k) & 0xf)) << (8 * k);
	return v;
}

u8 arch_io_in8(u16 port)
{
	record(HW, false, port, 1, hw_value(port));
	return hw_value(port);
}

void arch_io_out8(u16 port, u8 value)
{
	record(HW, true, port, 1, value);
}

u32 x86_platform_io_in(struct x86_platform *p, u16 port, unsigned size)
{
	assert_ptr_equal(p, &plat);
	record(PLAT, false, port, size, plat_value(port, size));
	return plat_value(port, size);
}

void x86_platform_io_out(struct x86_platform *p, u16 port, unsigned size, u32 value)
{
	assert_ptr_equal(p, &plat);
	record(PLAT, true, port, size, value);
}

static int setup(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	return 0;
}

static void expect_log(const struct access *want, unsigned count)
{
	assert_int_equal(log_.count, count);
	for (unsigned i = 0; i < count; i++) {
		const struct access *a = &log_.a[i], *w = &want[i];

		if (a->end != w->end || a->write != w->write || a->port != w->port ||
		    a->size != w->size || a->value != w->value)
			fail_msg("access %u: %s %s port %#x size %u value %#x, expected %s %s "
				 "port %#x size %u value %#x",
				 i, a->end == HW ? "hw" : "plat", a->write ? "out" : "in", a->port,
				 a->size, a->value, w->end == HW ? "hw" : "plat",
				 w->write ? "out" : "in", w->port, w->size, w->value);
	}
}

/* --- which ports pass through ------------------------------------------------------------ */

static void test_passthrough_ports(void **state)
{
	(void)state;
	assert_true(x86_io_passthrough(RTC_INDEX));
	assert_true(x86_io_passthrough(RTC_DATA));
	assert_true(x86_io_passthrough(POST_PORT));
	/* The neighbours, and the devices that must stay out of the guest's reach. */
	static const u16 not_through[] = { 0x6f,  0x72,  0x7f,  0x81,  0x0,   0x20,  0x21,
					   0x40,  0x43,  0x60,  0x61,  0x64,  0xa0,  0xf4,
					   0x3f8, 0xcf8, 0xcf9, 0xcfc, 0x600, 0xffff };
	for (size_t i = 0; i < ARRAY_SIZE(not_through); i++)
		if (x86_io_passthrough(not_through[i]))
			fail_msg("port %#x passes through", not_through[i]);
}

/* The list the permission maps are built from and the predicate agree, port by port. */
static void test_list_matches_predicate(void **state)
{
	(void)state;
	assert_int_equal(x86_io_passthrough_count, 3);
	for (u32 port = 0; port <= 0xffff; port++) {
		bool listed = false;

		for (u32 i = 0; i < x86_io_passthrough_count; i++)
			listed |= x86_io_passthrough_ports[i] == port;
		if (listed != x86_io_passthrough((u16)port))
			fail_msg("port %#x: listed %d, x86_io_passthrough %d", port, listed,
				 x86_io_passthrough((u16)port));
	}
}

/* --- dispatch ----------------------------------------------------------------------------- */

/* Accesses that touch no passed-through port go to the platform whole, once. */
static void test_emulated_ports_go_to_the_platform_whole(void **state)
{
	static const u16 ports[] = {
		0x20, 0x40, 0x6c, 0x6d, 0x6f, 0x72, 0x81, 0x3f8, 0x604, 0xcf9
	};
	static const unsigned sizes[] = { 1, 2, 4 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
			u16 port = ports[i];
			unsigned size = sizes[s];

			if (port < RTC_INDEX && port + size > RTC_INDEX)
				continue; /* reaches the RTC: split, below */
			if (port < POST_PORT && port + size > POST_PORT)
				continue;
			memset(&log_, 0, sizeof(log_));
			assert_int_equal(x86_io_in(&xv, port, size), plat_value(port, size));
			x86_io_out(&xv, port, size, 0x12345678u);
			struct access want[] = { { PLAT, false, port, size,
						   plat_value(port, size) },
						 { PLAT, true, port, size, 0x12345678u } };
			expect_log(want, 2);
		}
	}
}

/* 2-byte OUT 0xbbaa at 0x7f: 0xaa to the platform's 0x7f, 0xbb to the real POST port. */
static void test_word_out_across_post_port(void **state)
{
	(void)state;
	x86_io_out(&xv, 0x7f, 2, 0xbbaa);
	struct access want[] = { { PLAT, true, 0x7f, 1, 0xaa }, { HW, true, POST_PORT, 1, 0xbb } };
	expect_log(want, 2);
}

/* 4-byte IN at 0x6e: the low two bytes from the platform, the high two from the real RTC. */
static void test_dword_in_across_rtc(void **state)
{
	(void)state;
	u32 v = x86_io_in(&xv, 0x6e, 4);
	struct access want[] = {
		{ PLAT, false, 0x6e, 1, 0xae },
		{ PLAT, false, 0x6f, 1, 0xaf },
		{ HW, false, RTC_INDEX, 1, 0x50 },
		{ HW, false, RTC_DATA, 1, 0x51 },
	};
	expect_log(want, 4);
	assert_int_equal(v, 0x5150afae);
}

/* A 2-byte access at the RTC index: both bytes hardware, each as one byte. */
static void test_word_at_rtc_is_all_hardware(void **state)
{
	(void)state;
	assert_int_equal(x86_io_in(&xv, RTC_INDEX, 2), 0x5150);
	x86_io_out(&xv, RTC_INDEX, 2, 0x0b8f);
	struct access want[] = {
		{ HW, false, RTC_INDEX, 1, 0x50 },
		{ HW, false, RTC_DATA, 1, 0x51 },
		{ HW, true, RTC_INDEX, 1, 0x8f },
		{ HW, true, RTC_DATA, 1, 0x0b },
	};
	expect_log(want, 4);
}

/* 4-byte OUT at 0x7e: 0x7e, 0x7f and 0x81 to the platform, 0x80 to the hardware, in order. */
static void test_dword_out_around_post_port(void **state)
{
	(void)state;
	x86_io_out(&xv, 0x7e, 4, 0x44332211);
	struct access want[] = {
		{ PLAT, true, 0x7e, 1, 0x11 },
		{ PLAT, true, 0x7f, 1, 0x22 },
		{ HW, true, POST_PORT, 1, 0x33 },
		{ PLAT, true, 0x81, 1, 0x44 },
	};
	expect_log(want, 4);
}

/*
 * The oracle: an access is split byte by byte exactly when one of its bytes
 * passes through; each passed-through byte goes to the hardware and every
 * other byte to the platform as a 1-byte access, lowest port first. Checked
 * for every port from 0x60 to 0x90 and around the top of the port space,
 * every width, both directions.
 */
static void test_against_oracle(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4 };

	(void)state;
	for (u32 base = 0x60; base <= 0x10003; base++) {
		u16 port = (u16)base;

		if (base > 0x90 && base < 0xfff8)
			continue;
		for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
			unsigned size = sizes[s];
			struct access want[2 * LOG_MAX];
			unsigned n = 0;
			bool split = false;
			u32 in_want = 0, out_value = 0x8c7b6a59u;

			for (unsigned k = 0; k < size; k++)
				split |= port + k == RTC_INDEX || port + k == RTC_DATA ||
					 port + k == POST_PORT;
			if (!split) {
				want[n++] = (struct access){ PLAT, false, port, size,
							     plat_value(port, size) };
				want[n++] = (struct access){ PLAT, true, port, size, out_value };
				in_want = plat_value(port, size);
			} else {
				for (int write = 0; write < 2; write++) {
					for (unsigned k = 0; k < size; k++) {
						u16 at = (u16)(port + k);
						bool hw = at == RTC_INDEX || at == RTC_DATA ||
							  at == POST_PORT;
						u32 b = write ? (u8)(out_value >> (8 * k))
							: hw  ? hw_value(at)
							      : plat_value(at, 1);

						want[n++] = (struct access){ hw ? HW : PLAT, write,
									     at, 1, b };
						if (!write)
							in_want |= b << (8 * k);
					}
				}
			}
			memset(&log_, 0, sizeof(log_));
			u32 in = x86_io_in(&xv, port, size);
			x86_io_out(&xv, port, size, out_value);
			if (in != in_want)
				fail_msg("IN port %#x size %u: %#x, expected %#x", port, size, in,
					 in_want);
			expect_log(want, n);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_passthrough_ports, setup),
		cmocka_unit_test_setup(test_list_matches_predicate, setup),
		cmocka_unit_test_setup(test_emulated_ports_go_to_the_platform_whole, setup),
		cmocka_unit_test_setup(test_word_out_across_post_port, setup),
		cmocka_unit_test_setup(test_dword_in_across_rtc, setup),
		cmocka_unit_test_setup(test_word_at_rtc_is_all_hardware, setup),
		cmocka_unit_test_setup(test_dword_out_around_post_port, setup),
		cmocka_unit_test_setup(test_against_oracle, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
