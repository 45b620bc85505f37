/*
 * What the pthreads stress tests share (stress_mmu, stress_mirror): the
 * guest memory they race over and the assertion worker threads use.
 *
 *   slot A: 1 GiB at gfn 0x40000, frames congruent modulo 1 GiB (1G leaves)
 *   slot B: 64 MiB at gfn 0x100000, frames congruent only modulo 2 MiB
 */
#ifndef TEST_STRESS_H
#define TEST_STRESS_H

#include <stdio.h>
#include <stdlib.h>

#include <hv/random.h>
#include <hv/types.h>

#define SLOT_A_GFN   0x40000ull
#define SLOT_A_PAGES (1ull << 18)
#define SLOT_A_PFN   0x800000ull
#define SLOT_B_GFN   0x100000ull
#define SLOT_B_PAGES 0x4000ull
#define SLOT_B_PFN   0x900200ull

/* cmocka's assertions may only fail on the test's own thread: workers report and abort. */
#define T_EXPECT(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: %s failed: ", __FILE__, __LINE__, #cond);          \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A gfn in slot A or B, half the time in a hot 4 MiB window of B where threads meet. */
static inline gfn_t stress_pick_gfn(u64 *rng)
{
	switch (xorshift64s(rng) % 4) {
	case 0:
		return SLOT_A_GFN + xorshift64s(rng) % SLOT_A_PAGES;
	case 1:
		return SLOT_B_GFN + xorshift64s(rng) % SLOT_B_PAGES;
	default:
		return SLOT_B_GFN + 0x200 + xorshift64s(rng) % 0x400;
	}
}

#endif /* TEST_STRESS_H */
