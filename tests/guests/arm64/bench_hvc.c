/*
 * Test guest "bench_hvc": the cost of a hypercall round trip. 100 000
 * HC_NOP calls, each timed with the virtual counter (an ISB before each
 * read). Under QEMU's -icount shift=0,sleep=off one counter tick is 16
 * instructions, so the figures count instructions. Reports the median,
 * minimum and mean as "bench ..." lines and as test details.
 */
#include "guest.h"

#define CALLS 100000u
#define HIST  4096u

static u32 hist[HIST];

int main(void)
{
	u64 total = 0, min = ~0ull, over = 0, median = 0, seen = 0;

	for (u32 i = 0; i < CALLS; i++) {
		u64 t0 = ticks(), d;

		hvc_call(HC_NOP, 0, 0, 0, 0);
		d = ticks() - t0;
		total += d;
		if (d < min)
			min = d;
		if (d < HIST)
			hist[d]++;
		else
			over++;
	}
	for (u32 d = 0; d < HIST; d++) {
		seen += hist[d];
		if (seen * 2 >= CALLS) {
			median = d;
			break;
		}
	}
	gprintf("bench arm64.hvc_exit_ticks %llu ticks (median of %u HC_NOP round trips; min %llu, "
		"mean %llu.%02llu, %llu over %u)\n",
		(unsigned long long)median, CALLS, (unsigned long long)min,
		(unsigned long long)(total / CALLS),
		(unsigned long long)(total % CALLS * 100 / CALLS), (unsigned long long)over, HIST);
	gprintf("bench arm64.guest_first_insn_counter %llu ticks\n",
		(unsigned long long)guest_entry_ticks);
	check(median > 0 && over < CALLS / 2, median, "median round trip in ticks");
	return checks_done();
}
