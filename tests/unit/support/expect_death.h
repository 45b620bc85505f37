/*
 * Death tests: run a function that must stop the hypervisor (panic(),
 * CHECK(), an explicit arch_shutdown() with a failure status) in a child
 * process, and check what it printed.
 */
#ifndef TEST_EXPECT_DEATH_H
#define TEST_EXPECT_DEATH_H

/*
 * Run fn(arg) in a forked child whose console is stderr, captured. Fails the
 * current cmocka test unless the child stopped with a failure (arch/fake
 * aborts) and its output contains every string of the NULL-terminated list.
 */
void expect_death(void (*fn)(void *), void *arg, const char *const *needles);

#define EXPECT_DEATH(fn, arg, ...)                                                                 \
	do {                                                                                       \
		const char *const needles_[] = { __VA_ARGS__, NULL };                              \
		expect_death((fn), (arg), needles_);                                               \
	} while (0)

#endif
