/*
 * A small deterministic pseudo-random generator (xorshift64*), for failure
 * injection and for tests that must replay from a seed. Not for anything
 * that needs unpredictability. The state must not be zero.
 */
#ifndef HV_RANDOM_H
#define HV_RANDOM_H

#include <hv/types.h>

static inline u64 xorshift64s(u64 *state)
{
	u64 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

#endif /* HV_RANDOM_H */
