/*
 * Exit-cost benchmark (tests/bench/svm_exits.py): the median number of TSC
 * ticks of a CPUID (leaf 0x40000000) and of a VMMCALL (HC_NOP) round trip,
 * over 100000 of each, measured with RDTSC around the instruction; the
 * cost of the RDTSC pair alone; and the TSC at the guest's first
 * instruction (entry.S), for hv's entry-to-guest time. Run under QEMU with
 * -icount shift=0,sleep=off, a tick is one emulated instruction.
 *
 * Medians come from a histogram (one tick per bucket up to BUCKETS), so
 * no sample array is needed.
 */
#include "guest.h"

#define SAMPLES 100000u
#define BUCKETS 16384u

static u32 hist[BUCKETS];

enum op { OP_NONE, OP_CPUID, OP_VMMCALL };

static u32 median(enum op op)
{
	u32 seen = 0;

	memset(hist, 0, sizeof(hist));
	for (u32 i = 0; i < SAMPLES; i++) {
		u64 t0, t1;
		u32 d;

		t0 = rdtsc();
		if (op == OP_CPUID)
			(void)cpuid(HC_CPUID_LEAF_BASE, 0);
		else if (op == OP_VMMCALL)
			(void)hc(HC_NOP, 0, 0, 0, 0);
		t1 = rdtsc();
		d = (u32)(t1 - t0);
		hist[d < BUCKETS ? d : BUCKETS - 1]++;
	}
	for (u32 b = 0; b < BUCKETS; b++) {
		seen += hist[b];
		if (seen * 2 >= SAMPLES)
			return b;
	}
	return BUCKETS;
}

int guest_main(u32 magic, u32 mbi)
{
	u32 pair, cpuid_t, vmmcall_t;

	(void)magic;
	(void)mbi;
	pair = median(OP_NONE);
	cpuid_t = median(OP_CPUID);
	vmmcall_t = median(OP_VMMCALL);
	printf_hv("bench svm.rdtsc_pair_ticks %u ticks\n", pair);
	printf_hv("bench svm.cpuid_exit_ticks %u ticks\n", cpuid_t);
	printf_hv("bench svm.vmmcall_exit_ticks %u ticks\n", vmmcall_t);
	printf_hv("bench-data guest_first_tsc %llu\n", guest_first_tsc);
	check(cpuid_t > pair && vmmcall_t > pair, cpuid_t, "round trips cost more than RDTSC");
	return 0;
}
