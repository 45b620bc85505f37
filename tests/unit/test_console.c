/*
 * The shared serial line: guest output tagged per line and written at once,
 * line breaks when the writer changes mid-line, input routed to the focused
 * guest, and the Ctrl-] escape commands. A scripted console device records
 * output and supplies input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/console.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "capture_console.h"

static char out_buf[1 << 14];
static size_t out_len;
static const char *in_script;
static size_t in_pos, in_len;

static void dev_putc(char c)
{
	assert_true(out_len + 1 < sizeof(out_buf));
	out_buf[out_len++] = c;
	out_buf[out_len] = '\0';
}

static int dev_getc(void)
{
	if (in_pos >= in_len)
		return -1;
	return (u8)in_script[in_pos++];
}

static const struct console_dev script_dev = { .name = "script",
					       .putc = dev_putc,
					       .getc = dev_getc };

static struct console_guest vm0, vm1;
static unsigned ready0, ready1, stats_calls;
static char monitor_cmd;

static void ready(void *ctx)
{
	(*(unsigned *)ctx)++;
}

static int setup(void **state)
{
	(void)state;
	out_len = 0;
	out_buf[0] = '\0';
	in_script = NULL;
	in_pos = in_len = 0;
	ready0 = ready1 = stats_calls = 0;
	monitor_cmd = 0;
	console_set(&script_dev);
	assert_int_equal(console_guest_register(&vm0, "vm0", ready, &ready0), 0);
	assert_int_equal(console_guest_register(&vm1, "vm1", ready, &ready1), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	console_guest_unregister(&vm0);
	console_guest_unregister(&vm1);
	console_set_stats_hook(NULL, NULL);
	console_set_monitor_hook(NULL, NULL);
	console_set(&fake_stderr_console);
	return 0;
}

static void gw(struct console_guest *g, const char *s)
{
	console_guest_write(g, s, strlen(s));
}

static void hw(const char *s)
{
	console_write(s, strlen(s));
}

static void in(const char *s)
{
	console_input((const u8 *)s, strlen(s));
}

static void expect_out(const char *want)
{
	assert_string_equal(out_buf, want);
	out_len = 0;
	out_buf[0] = '\0';
}

static void guest_lines_tagged(void **state)
{
	(void)state;
	hw("hypervisor line\n");
	gw(&vm0, "hello\r\nworld\r\n");
	expect_out("hypervisor line\r\nvm0| hello\r\nvm0| world\r\n");
}

static void guest_output_immediate(void **state)
{
	(void)state;
	/* A prompt has no newline: it must be on the line right away. */
	gw(&vm0, "~ # ");
	expect_out("vm0| ~ # ");
	gw(&vm0, "l");
	expect_out("l");
	gw(&vm0, "s");
	expect_out("s");
}

static void hypervisor_line_mid_guest_line(void **state)
{
	(void)state;
	gw(&vm0, "~ # ");
	hw("[    1.000000] I something happened\n");
	gw(&vm0, "ls\r\n");
	expect_out("vm0| ~ # \r\n[    1.000000] I something happened\r\nvm0| ls\r\n");
}

static void guests_interleave_mid_line(void **state)
{
	(void)state;
	gw(&vm0, "abc");
	gw(&vm1, "def\r\n");
	gw(&vm0, "ghi\r\n");
	expect_out("vm0| abc\r\nvm1| def\r\nvm0| ghi\r\n");
}

static void partial_hypervisor_line_then_guest(void **state)
{
	(void)state;
	hw("*** PANIC: ");
	gw(&vm0, "x");
	hw("y\n");
	expect_out("*** PANIC: \r\nvm0| x\r\ny\r\n");
}

static void newline_translation(void **state)
{
	(void)state;
	/* Lone "\n" becomes "\r\n"; "\r\n" is kept; a bare "\r" stays on the line. */
	gw(&vm0, "a\nb\r\nc\rd\n");
	expect_out("vm0| a\r\nvm0| b\r\nvm0| c\rd\r\n");
	/* An empty guest write changes nothing. */
	gw(&vm1, "");
	hw("");
	expect_out("");
	assert_int_equal(vm0.bytes_out, 9);
}

static void no_device(void **state)
{
	(void)state;
	console_set(NULL);
	gw(&vm0, "lost");
	hw("lost too\n");
	console_set(&script_dev);
	expect_out("");
	assert_int_equal(vm0.bytes_out, 4);
}

static void input_to_focus(void **state)
{
	u8 buf[16];

	(void)state;
	assert_ptr_equal(console_focus_get(), &vm0);
	in("ls\n");
	assert_int_equal(ready0, 1); /* one notification per burst */
	assert_int_equal(ready1, 0);
	assert_int_equal(console_guest_read(&vm1, buf, sizeof(buf)), 0);
	assert_int_equal(console_guest_read(&vm0, buf, 2), 2);
	assert_memory_equal(buf, "ls", 2);
	assert_int_equal(console_guest_read(&vm0, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], '\n');
	assert_int_equal(console_guest_read(&vm0, buf, sizeof(buf)), 0);
	expect_out(""); /* input is not echoed by the hypervisor */
}

static void escape_commands(void **state)
{
	u8 buf[16];

	(void)state;
	/* Ctrl-] twice: one literal Ctrl-] for the guest. */
	in("\x1d\x1d");
	assert_int_equal(console_guest_read(&vm0, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], CONSOLE_ESCAPE);

	/* Ctrl-] 1: focus to the second guest; the command bytes go to nobody. */
	in("a\x1d"
	   "1b");
	assert_ptr_equal(console_focus_get(), &vm1);
	assert_int_equal(console_guest_read(&vm0, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(console_guest_read(&vm1, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'b');
	assert_non_null(strstr(out_buf, "] I console: input now goes to vm1\r\n"));
	assert_int_equal(ready0, 2); /* the literal Ctrl-], then 'a' */
	assert_int_equal(ready1, 1);
	out_len = 0;

	/* No such guest: the focus stays. */
	in("\x1d"
	   "7");
	assert_ptr_equal(console_focus_get(), &vm1);
	assert_non_null(strstr(out_buf, "no guest 7"));
	out_len = 0;

	/* Help, split across two input calls. */
	in("\x1d");
	in("h");
	assert_non_null(strstr(out_buf, "console: Ctrl-] then: h help"));
	assert_int_equal(console_guest_read(&vm1, buf, sizeof(buf)), 0);
}

static void stats_hook(void *ctx)
{
	(void)ctx;
	stats_calls++;
	log_printf(LOG_INFO, "exit stats here");
}

static bool monitor(void *ctx, char cmd)
{
	(void)ctx;
	monitor_cmd = cmd;
	return cmd == 'm';
}

static void stats_and_monitor_hooks(void **state)
{
	(void)state;
	gw(&vm0, "hi");
	in("x\x1ds");
	assert_int_equal(stats_calls, 0);                 /* no hook yet: built-in figures only */
	assert_non_null(strstr(out_buf, "vm0| hi\r\n[")); /* the log line started a new line */
	assert_non_null(strstr(out_buf, "console: vm0 (focus): out 2 bytes, in 1, dropped 0"));
	console_set_stats_hook(stats_hook, NULL);
	in("\x1ds");
	assert_int_equal(stats_calls, 1);
	assert_non_null(strstr(out_buf, "exit stats here"));
	out_len = 0;

	in("\x1dq");
	assert_non_null(strstr(out_buf, "unknown command after Ctrl-] (0x71)"));
	console_set_monitor_hook(monitor, NULL);
	out_len = 0;
	in("\x1dm");
	assert_int_equal(monitor_cmd, 'm');
	assert_int_equal(out_len, 0);
	in("\x1dz");
	assert_int_equal(monitor_cmd, 'z');
	assert_non_null(strstr(out_buf, "unknown command"));
}

static void queue_full_drops(void **state)
{
	u8 big[CONSOLE_INPUT_QUEUE + 44], buf[CONSOLE_INPUT_QUEUE + 44];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (u8)('a' + i % 26);
	console_input(big, sizeof(big));
	assert_int_equal(vm0.input_dropped, 44);
	assert_int_equal(vm0.bytes_in, CONSOLE_INPUT_QUEUE);
	assert_int_equal(console_guest_read(&vm0, buf, sizeof(buf)), CONSOLE_INPUT_QUEUE);
	assert_memory_equal(buf, big, CONSOLE_INPUT_QUEUE);
	/* The escape still works with a full queue. */
	console_input(big, CONSOLE_INPUT_QUEUE);
	in("\x1d"
	   "1");
	assert_ptr_equal(console_focus_get(), &vm1);
}

static void no_focus_counts(void **state)
{
	u64 before = console_unrouted_input();

	(void)state;
	console_focus_set(NULL);
	in("abc");
	assert_int_equal(console_unrouted_input(), before + 3);
	assert_int_equal(ready0 + ready1, 0);
}

static void poll_reads_device(void **state)
{
	static char script[200];
	u8 buf[256];

	(void)state;
	memset(script, 'k', sizeof(script));
	script[0] = CONSOLE_ESCAPE;
	script[1] = '1';
	in_script = script;
	in_len = sizeof(script);
	/* A budget per call; the escape switched the focus first. */
	assert_int_equal(console_poll_input(), CONSOLE_POLL_BUDGET);
	assert_int_equal(console_guest_read(&vm1, buf, sizeof(buf)), CONSOLE_POLL_BUDGET - 2);
	while (console_poll_input())
		;
	assert_int_equal(in_pos, sizeof(script));
	assert_int_equal(console_guest_read(&vm1, buf, sizeof(buf)),
			 sizeof(script) - CONSOLE_POLL_BUDGET);
	assert_int_equal(console_getc(), -1);
}

static void register_rules(void **state)
{
	struct console_guest g;

	(void)state;
	assert_int_equal(console_guest_register(&vm0, "vm0", NULL, NULL), HV_EEXIST);
	assert_int_equal(console_guest_register(&g, "", NULL, NULL), HV_EINVAL);
	assert_int_equal(console_guest_register(&g, "a-very-long-tag-x", NULL, NULL), HV_EINVAL);
	/* Unregistering the focus passes it on; unregistering mid-line ends the line. */
	gw(&vm0, "half");
	console_guest_unregister(&vm0);
	assert_ptr_equal(console_focus_get(), &vm1);
	hw("next\n");
	expect_out("vm0| half\r\nnext\r\n");
	console_guest_unregister(&vm1);
	assert_null(console_focus_get());
	/* A new first guest gets the focus. */
	assert_int_equal(console_guest_register(&vm0, "vm0", ready, &ready0), 0);
	assert_ptr_equal(console_focus_get(), &vm0);
	assert_int_equal(console_guest_register(&vm1, "vm1", ready, &ready1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(guest_lines_tagged, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_output_immediate, setup, teardown),
		cmocka_unit_test_setup_teardown(hypervisor_line_mid_guest_line, setup, teardown),
		cmocka_unit_test_setup_teardown(guests_interleave_mid_line, setup, teardown),
		cmocka_unit_test_setup_teardown(partial_hypervisor_line_then_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(newline_translation, setup, teardown),
		cmocka_unit_test_setup_teardown(no_device, setup, teardown),
		cmocka_unit_test_setup_teardown(input_to_focus, setup, teardown),
		cmocka_unit_test_setup_teardown(escape_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_and_monitor_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_full_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(no_focus_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(poll_reads_device, setup, teardown),
		cmocka_unit_test_setup_teardown(register_rules, setup, teardown),
	};

	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
