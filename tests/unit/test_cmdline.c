/*
 * Command-line parsing: known options and their values, unknown options
 * (reported by name), malformed tokens (no name, no value, bad value,
 * unterminated quote, too long), quoting, the " -- " separator, and
 * cmdline_apply() acting on the log threshold and the console.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <hv/cmdline.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "capture_console.h"

static struct cmdline_opts o;

static int setup(void **state)
{
	(void)state;
	capture_console_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	capture_console_stop();
	return 0;
}

static void assert_logged(const char *needle)
{
	if (!strstr(capture_console_text(), needle))
		fail_msg("expected \"%s\" in the log:\n%s", needle, capture_console_text());
}

static void defaults(void **state)
{
	(void)state;
	cmdline_parse(NULL, &o);
	assert_int_equal(o.loglevel, -1);
	assert_string_equal(o.console, "");
	assert_string_equal(o.selftest, "");
	assert_null(o.rest);
	cmdline_parse("   \t  ", &o);
	assert_int_equal(o.unknown_count + o.error_count, 0);
	assert_string_equal(capture_console_text(), "");
}

static void known_options(void **state)
{
	(void)state;
	cmdline_parse("loglevel=debug console=com2 selftest=frames", &o);
	assert_int_equal(o.loglevel, LOG_DEBUG);
	assert_string_equal(o.console, "com2");
	assert_string_equal(o.selftest, "frames");
	assert_int_equal(o.unknown_count + o.error_count, 0);

	/* Digits, tabs and newlines as separators, later options override earlier ones. */
	cmdline_parse("loglevel=1\tconsole=0x2f8\nloglevel=4", &o);
	assert_int_equal(o.loglevel, LOG_TRACE);
	assert_string_equal(o.console, "0x2f8");
	assert_string_equal(capture_console_text(), "");
}

static void guest_options(void **state)
{
	u64 v = 0;

	(void)state;
	cmdline_parse("guest=linux guest_mem=64M", &o);
	assert_string_equal(o.guest, "linux");
	assert_int_equal(o.guest_mem, 64ull << 20);
	assert_int_equal(o.error_count, 0);
	cmdline_parse("guest=cpuid.elf guest_mem=2g", &o);
	assert_string_equal(o.guest, "cpuid.elf");
	assert_int_equal(o.guest_mem, 2ull << 30);
	/* Sizes: bytes, K, M, G; nothing else, no zero, no overflow. */
	assert_true(cmdline_parse_size("4096", &v));
	assert_int_equal(v, 4096);
	assert_true(cmdline_parse_size("12k", &v));
	assert_int_equal(v, 12 * 1024);
	assert_false(cmdline_parse_size("", &v));
	assert_false(cmdline_parse_size("0", &v));
	assert_false(cmdline_parse_size("12T", &v));
	assert_false(cmdline_parse_size("1M2", &v));
	assert_false(cmdline_parse_size("M", &v));
	assert_false(cmdline_parse_size("99999999999999999999", &v));
	assert_false(cmdline_parse_size("17179869184G", &v));
	cmdline_parse("guest_mem=lots", &o);
	assert_int_equal(o.guest_mem, 0);
	assert_int_equal(o.error_count, 1);
	assert_logged("W cmdline: guest_mem=lots: not a size (a number with K, M or G)");
}

/* guest_tdp= chooses the boot guest's second stage; anything but its two values is reported. */
static void guest_tdp_option(void **state)
{
	(void)state;
	cmdline_parse("", &o);
	assert_false(o.guest_tdp_protected);
	cmdline_parse("guest_tdp=protected", &o);
	assert_true(o.guest_tdp_protected);
	assert_int_equal(o.error_count, 0);
	cmdline_parse("guest_tdp=protected guest_tdp=normal", &o);
	assert_false(o.guest_tdp_protected);
	cmdline_parse("guest_tdp=secret", &o);
	assert_false(o.guest_tdp_protected);
	assert_int_equal(o.error_count, 1);
	assert_logged("W cmdline: guest_tdp=secret: not a second stage (normal or protected)");
	cmdline_parse("guest_tdp=", &o);
	assert_int_equal(o.error_count, 1);
	assert_logged("option 'guest_tdp' needs a value (guest_tdp=normal|protected)");
}

/* tmod_inject=: every:N or random:PCT, with seed:, skip: and refuse; off by default. */
static void tmod_inject_option(void **state)
{
	static const char *const bad[] = {
		"every:0",          "every:",          "every:x",          "random:0",
		"random:101",       "every:2,every:3", "every:2,random:5", "seed:4",
		"every:2,seed:4",   "skip:3",          "every:2,refuse:1", "every:2,,skip:1",
		"every:4294967296", "sometimes",       "every:2x",
	};

	(void)state;
	cmdline_parse("", &o);
	assert_int_equal(o.tmod_inject.mode, TMOD_INJECT_OFF);
	cmdline_parse("tmod_inject=every:7", &o);
	assert_int_equal(o.tmod_inject.mode, TMOD_INJECT_EVERY);
	assert_int_equal(o.tmod_inject.every, 7);
	assert_int_equal(o.tmod_inject.skip, 0);
	assert_int_equal(o.tmod_inject.err, 0);
	cmdline_parse("tmod_inject=skip:100,every:1,refuse", &o);
	assert_int_equal(o.tmod_inject.mode, TMOD_INJECT_EVERY);
	assert_int_equal(o.tmod_inject.every, 1);
	assert_int_equal(o.tmod_inject.skip, 100);
	assert_int_equal(o.tmod_inject.err, HV_EPERM);
	cmdline_parse("tmod_inject=random:25,seed:12345678901", &o);
	assert_int_equal(o.tmod_inject.mode, TMOD_INJECT_RANDOM);
	assert_int_equal(o.tmod_inject.per_million, 250000);
	assert_int_equal(o.tmod_inject.seed, 12345678901ull);
	cmdline_parse("tmod_inject=every:3 tmod_inject=off", &o);
	assert_int_equal(o.tmod_inject.mode, TMOD_INJECT_OFF);
	assert_int_equal(o.error_count, 0);
	assert_string_equal(capture_console_text(), "");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char arg[80];

		snprintf(arg, sizeof(arg), "tmod_inject=%s", bad[i]);
		cmdline_parse(arg, &o);
		if (o.error_count != 1 || o.tmod_inject.mode != TMOD_INJECT_OFF)
			fail_msg("%s: accepted (errors %u, mode %d)", arg, o.error_count,
				 o.tmod_inject.mode);
	}
	assert_logged("W cmdline: tmod_inject=every:0: cannot use 'every:0' (off | every:N | "
		      "random:PERCENT[,seed:S], then [,skip:K][,refuse])");
	assert_logged("W cmdline: tmod_inject=every:2,random:5: cannot use 'random:5'");
	assert_logged("W cmdline: tmod_inject=seed:4: needs every:N or random:PERCENT (seed only "
		      "with random)");
	assert_logged("W cmdline: tmod_inject=every:2,seed:4: needs every:N");
}

static void unknown_options_are_named(void **state)
{
	(void)state;
	cmdline_parse("quiet loglevel=warn foo=bar", &o);
	assert_int_equal(o.loglevel, LOG_WARN);
	assert_int_equal(o.unknown_count, 2);
	assert_int_equal(o.error_count, 0);
	assert_logged("W cmdline: unknown option 'quiet' ignored");
	assert_logged("W cmdline: unknown option 'foo' ignored");
}

static void malformed_tokens(void **state)
{
	(void)state;
	cmdline_parse("loglevel loglevel= =x loglevel=9 console= selftest=bogus", &o);
	assert_int_equal(o.loglevel, -1);
	assert_string_equal(o.console, "");
	assert_string_equal(o.selftest, "");
	assert_int_equal(o.error_count, 6);
	assert_int_equal(o.unknown_count, 0);
	assert_logged("option 'loglevel' needs a value (loglevel=err|warn|info|debug|trace|0-4)");
	assert_logged("cmdline: '=x' has no option name");
	assert_logged("cmdline: loglevel=9: not a level");
	assert_logged("option 'console' needs a value");
	assert_logged("selftest=bogus: no such selftest (known: ud pf wx nx stack panic check");
}

static void quoting(void **state)
{
	(void)state;
	cmdline_parse("console=\"com 1\" \"loglevel=info\"", &o);
	assert_string_equal(o.console, "com 1");
	assert_int_equal(o.loglevel, LOG_INFO);
	assert_int_equal(o.error_count, 0);

	cmdline_parse("loglevel=debug console=\"com1 selftest=ud", &o);
	assert_int_equal(o.loglevel, LOG_DEBUG);
	assert_string_equal(o.console, "");
	assert_string_equal(o.selftest, "");
	assert_int_equal(o.error_count, 1);
	assert_logged("cmdline: unterminated quote in 'console=\"com1 selftest=ud'");
}

static void too_long(void **state)
{
	char s[300];

	(void)state;
	memset(s, 0, sizeof(s));
	strcpy(s, "console=");
	memset(s + 8, 'x', 100);
	strcat(s, " loglevel=err");
	cmdline_parse(s, &o);
	assert_string_equal(o.console, "");
	assert_int_equal(o.loglevel, LOG_ERR);
	assert_int_equal(o.error_count, 1);
	assert_logged("is too long (names up to 31 bytes, values up to 63)");

	memset(s, 'n', 40);
	strcpy(s + 40, "=1");
	cmdline_parse(s, &o);
	assert_int_equal(o.error_count, 1);
	assert_int_equal(o.unknown_count, 0);
}

static void rest_after_double_dash(void **state)
{
	(void)state;
	cmdline_parse("loglevel=debug --   console=ttyS0 quiet", &o);
	assert_int_equal(o.loglevel, LOG_DEBUG);
	assert_string_equal(o.console, "");
	assert_string_equal(o.rest, "console=ttyS0 quiet");
	assert_int_equal(o.unknown_count, 0);

	/* "--x" is not the separator. */
	cmdline_parse("--x", &o);
	assert_null(o.rest);
	assert_int_equal(o.unknown_count, 1);
}

static void apply_sets_level_and_console(void **state)
{
	enum log_level saved = log_threshold;

	(void)state;
	cmdline_apply("loglevel=err bogus");
	assert_int_equal(log_threshold, LOG_ERR);
	assert_int_equal(cmdline_get()->unknown_count, 1);
	assert_int_equal(cmdline_get()->loglevel, LOG_ERR);
	log_threshold = saved;

	/* An unknown console name keeps the current console and says so. */
	cmdline_apply("console=com9");
	assert_logged("cmdline: console=com9: not a console name; keeping capture");
	assert_int_equal(cmdline_get()->error_count, 1);
	assert_string_equal(console_get()->name, "capture");

	/* console=none silences everything after it. */
	cmdline_apply("console=none");
	assert_null(console_get());
	log_err("this goes nowhere");
	capture_console_start();
	assert_string_equal(capture_console_text(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(known_options, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_options, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_tdp_option, setup, teardown),
		cmocka_unit_test_setup_teardown(tmod_inject_option, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_options_are_named, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(quoting, setup, teardown),
		cmocka_unit_test_setup_teardown(too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(rest_after_double_dash, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_sets_level_and_console, setup, teardown),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
