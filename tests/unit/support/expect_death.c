/*
 * Death tests (expect_death.h): fork, send the child's console (stderr) into
 * a pipe, and judge the child by how it ended and what it wrote.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <hv/console.h>

#include "expect_death.h"

extern const struct console_dev fake_stderr_console;

void expect_death(void (*fn)(void *), void *arg, const char *const *needles)
{
	char out[1 << 14];
	size_t len = 0;
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		console_set(&fake_stderr_console);
		fn(arg);
		fprintf(stderr, "\n[expect_death: the function returned]\n");
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT))
		fail_msg("expected the child to stop with a failure (SIGABRT), got status %#x; "
			 "output:\n%s",
			 status, out);
	for (; *needles; needles++)
		if (!strstr(out, *needles))
			fail_msg("expected \"%s\" in the child's output:\n%s", *needles, out);
}
