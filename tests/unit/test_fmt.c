/*
 * Formatted output: fmt_snprintf against fixed expectations, against the C
 * library's snprintf for thousands of random format/value combinations, and
 * truncation; log lines and their prefix through a captured console.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/log.h>

#include "capture_console.h"

#define EXPECT_FMT(expected, ...)                                                                  \
	do {                                                                                       \
		char buf_[256];                                                                    \
		int n_ = fmt_snprintf(buf_, sizeof(buf_), __VA_ARGS__);                            \
		assert_string_equal(buf_, expected);                                               \
		assert_int_equal(n_, (int)strlen(expected));                                       \
	} while (0)

/* Some cases below are deliberately outside what -Wformat accepts. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-overflow"

static void fixed_cases(void **state)
{
	(void)state;
	EXPECT_FMT("plain", "plain");
	EXPECT_FMT("42 -42 0", "%d %i %u", 42, -42, 0u);
	EXPECT_FMT("ff FF 0xff 0XFF 777 0777", "%x %X %#x %#X %o %#o", 255, 255, 255, 255, 511,
		   511);
	EXPECT_FMT("[   42] [42   ] [00042] [-0042]", "[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42,
		   -42);
	EXPECT_FMT("+5 -5  5", "%+d %+d % d", 5, -5, 5);
	EXPECT_FMT("00042 [  00042]", "%.5d [%7.5d]", 42, 42);
	EXPECT_FMT("[] [0]", "[%.0d] [%d]", 0, 0);
	EXPECT_FMT("18446744073709551615 -9223372036854775808", "%llu %lld", ~0ull,
		   (long long)INT64_MIN);
	EXPECT_FMT("ffffffffffffffff", "%llx", ~0ull);
	EXPECT_FMT("255 65535 -1 -1", "%hhu %hu %hhd %hd", 0x1ff, 0x1ffff, 0xff, 0xffff);
	EXPECT_FMT("123 -7 99", "%zu %td %ju", (size_t)123, (ptrdiff_t)-7, (uintmax_t)99);
	EXPECT_FMT("abc [  abc] [abc  ] [ab]", "%s [%5s] [%-5s] [%.2s]", "abc", "abc", "abc",
		   "abc");
	EXPECT_FMT("(null)", "%s", (char *)NULL);
	EXPECT_FMT("x [  x] [x  ] 100%", "%c [%3c] [%-3c] 100%%", 'x', 'x', 'x');
	EXPECT_FMT("[    7] [7    ] [3.14]", "[%*d] [%-*d] [%.*s]", 5, 7, 5, 7, 4, "3.14159");
	EXPECT_FMT("[7    ]", "[%*d]", -5, 7);
	EXPECT_FMT("0x1000 0x0", "%p %p", (void *)0x1000, (void *)0);
	EXPECT_FMT("%y", "%y");
}

static void sizes(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(fmt_size(buf, sizeof(buf), 0), "0 B");
	assert_string_equal(fmt_size(buf, sizeof(buf), 1023), "1023 B");
	assert_string_equal(fmt_size(buf, sizeof(buf), 0x9fc00), "639 KiB");
	assert_string_equal(fmt_size(buf, sizeof(buf), 0xfee0000), "254.8 MiB");
	assert_string_equal(fmt_size(buf, sizeof(buf), 3ull << 30), "3 GiB");
	assert_string_equal(fmt_size(buf, sizeof(buf), (1ull << 40) + (1ull << 39)), "1.5 TiB");
	assert_string_equal(fmt_size(buf, sizeof(buf), ~0ull), "15.9 EiB");
}

static void truncation(void **state)
{
	char buf[8];
	int n;

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	n = fmt_snprintf(buf, sizeof(buf), "hello %s", "world");
	assert_int_equal(n, 11);
	assert_string_equal(buf, "hello w");

	/* size 0 writes nothing at all but still counts. */
	memset(buf, 'Z', sizeof(buf));
	n = fmt_snprintf(buf, 0, "%d", 12345);
	assert_int_equal(n, 5);
	assert_int_equal(buf[0], 'Z');

	n = fmt_snprintf(buf, 1, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], '\0');
}

/* Build a random conversion from parts libc and we must agree on. */
static void random_spec(char *spec, size_t size, char conv, unsigned r)
{
	static const char *const flags[] = { "", "-", "0", "+", " ", "#", "-#", "0#", "+0" };
	char width[8] = "", prec[8] = "";

	if (r & 1)
		snprintf(width, sizeof(width), "%u", (r >> 4) % 25);
	if (r & 2)
		snprintf(prec, sizeof(prec), ".%u", (r >> 9) % 22);
	snprintf(spec, size, "[%%%s%s%sll%c]", flags[(r >> 14) % 9], width, prec, conv);
}

static void matches_libc(void **state)
{
	static const char convs[] = "diuxXo";
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char spec[32], ours[128], libc[128];
		unsigned r = (unsigned)rand_r(&seed);
		long long v = (long long)(((unsigned long long)rand_r(&seed) << 33) ^
					  ((unsigned long long)rand_r(&seed) << 2) ^
					  (unsigned long long)rand_r(&seed));
		char conv = convs[(r >> 20) % 6];

		if (r & (1u << 24))
			v = (long long)(r % 100) - 50; /* small values, zero included */
		random_spec(spec, sizeof(spec), conv, r);
		/* '+' and ' ' are only defined for signed conversions. */
		if (conv != 'd' && conv != 'i' && (strchr(spec, '+') || strchr(spec, ' ')))
			continue;
		/* '#' is only defined for x X o. */
		if ((conv == 'd' || conv == 'i' || conv == 'u') && strchr(spec, '#'))
			continue;
		int n1 = fmt_snprintf(ours, sizeof(ours), spec, v);
		int n2 = snprintf(libc, sizeof(libc), spec, v);
		if (n1 != n2 || strcmp(ours, libc) != 0)
			fail_msg("format '%s' value %lld: ours '%s' (%d), libc '%s' (%d)", spec, v,
				 ours, n1, libc, n2);
	}
}

static void log_lines(void **state)
{
	enum log_level saved = log_threshold;
	const char *text;

	(void)state;
	capture_console_start();
	log_threshold = LOG_INFO;
	log_info("frames: %d free", 12);
	log_debug("hidden");
	log_err("bad thing at %#x", 0x10);
	capture_console_stop();
	log_threshold = saved;

	text = capture_console_text();
	assert_non_null(strstr(text, "] I frames: 12 free\r\n"));
	assert_non_null(strstr(text, "] E bad thing at 0x10\r\n"));
	assert_null(strstr(text, "hidden"));
	/* Prefix: "[" + seconds right-aligned in 5 + "." + 6 digits + "]". */
	assert_int_equal(text[0], '[');
	assert_int_equal(text[6], '.');
	assert_int_equal(text[13], ']');
}

static void log_long_line_truncated(void **state)
{
	char big[2000];
	const char *text;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_console_start();
	log_info("%s", big);
	capture_console_stop();
	text = capture_console_text();
	assert_true(strlen(text) < 600);
	assert_non_null(strstr(text, "aaa...\r\n"));
}

static void level_names(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("err"), LOG_ERR);
	assert_int_equal(log_level_parse("trace"), LOG_TRACE);
	assert_int_equal(log_level_parse("3"), LOG_DEBUG);
	assert_int_equal(log_level_parse("5"), -1);
	assert_int_equal(log_level_parse("verbose"), -1);
	assert_string_equal(log_level_name(LOG_WARN), "warn");
	assert_string_equal(err_name(HV_EOVERLAP), "EOVERLAP");
	assert_string_equal(err_name(-1000), "E?");
	assert_string_equal(err_text(HV_ENOMEM), "out of memory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixed_cases), cmocka_unit_test(sizes),
		cmocka_unit_test(truncation),  cmocka_unit_test(matches_libc),
		cmocka_unit_test(log_lines),   cmocka_unit_test(log_long_line_truncated),
		cmocka_unit_test(level_names),
	};

	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
