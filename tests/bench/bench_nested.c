/*
 * Nested shadow MMU benchmark (host, -O2, no sanitizers): 1000 L2 lifetimes
 * of a 16 GiB L2 under the L1 hypervisor model (tests/unit/support/l1_model.c:
 * 4-level EPT, table pages picked at random from a 1 GiB pool, L2 touching
 * two pages in each of 3 (even GiBs) or 2 (odd GiBs) 2 MiB regions of every
 * GiB), L1 tearing its tables down bottom-up or top-down, with the orphan
 * rule of seed 000 (fixed) and without it (old). Figures, one line each:
 *
 *   nested.leaked_sp_per_gib_<order>_<fixed|old>   shadow pages left after the
 *                         last teardown (vCPU roots dropped), per GiB of L2
 *                         per lifetime
 *   nested.hash_longest_chain_<order>_<fixed|old>  longest hash chain at the end
 *   nested.fault_ns_first_<order>[_old]            mean cost of an L2 shadow
 *   nested.fault_ns_last_<order>[_old]             fault in the first / last lifetime
 *
 * Reproduce: make bench BENCH_FILTER=nested (or build/fake-bench/bench_nested).
 * NESTED_LIFETIMES overrides the 1000.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hv/mm.h>
#include <hv/mmu.h>
#include <hv/mmu/shadow.h>

#include "l1_model.h"

#define GIB_PAGES (1ull << 18)
#define L2_GIB    16

static void populate(struct l1_model *m)
{
	if (l1m_new_root(m)) {
		fprintf(stderr, "bench_nested: root load failed\n");
		exit(1);
	}
	for (unsigned g = 0; g < L2_GIB; g++)
		for (unsigned r = 0; r < (g % 2 ? 2u : 3u); r++)
			for (unsigned p = 0; p < 2; p++)
				l1m_l2_touch(m, gfn_to_gpa(g * GIB_PAGES + r * 512 * 7 + p * 3),
					     PT_R | PT_W);
}

static void run(bool top_down, bool old, unsigned lifetimes)
{
	const char *order = top_down ? "top_down" : "bottom_up";
	const char *mode = old ? "old" : "fixed";
	struct shadow_config sc = { .no_orphan_zap = old, .max_pages = 1u << 22 };
	struct l1m_params p = {
		.kind = SHADOW_GFMT_EPT,
		.ram_pages = 20 * GIB_PAGES,
		.pool_pages = GIB_PAGES,
		.l2_base_gfn = GIB_PAGES,
		.seed = 0x9e3779b97f4a7c15ull,
		.shadow = &sc,
	};
	double first = 0, last = 0;
	struct shadow_stats st;
	struct l1_model m;

	if (l1m_init(&m, &p)) {
		fprintf(stderr, "bench_nested: L1 model setup failed\n");
		exit(1);
	}
	for (unsigned life = 0; life < lifetimes; life++) {
		u64 ns = m.shadow_fault_ns, faults = m.l2_faults;
		double per_fault;

		populate(&m);
		per_fault = (double)(m.shadow_fault_ns - ns) / (double)(m.l2_faults - faults);
		if (life == 0)
			first = per_fault;
		last = per_fault;
		if (top_down)
			l1m_zap_top_down(&m);
		else
			l1m_zap_bottom_up(&m);
	}
	shadow_vcpu_unload_all(m.sv);
	shadow_stats_read(m.sm, &st);
	printf("# %s, %s: %u lifetimes, %llu shadow pages left (%llu unsync), %llu L2 faults\n",
	       order, mode, lifetimes, (unsigned long long)st.pages, (unsigned long long)st.unsync,
	       (unsigned long long)m.l2_faults);
	printf("bench nested.leaked_sp_per_gib_%s_%s %.3f pages\n", order, mode,
	       (double)st.pages / (double)(L2_GIB * lifetimes));
	printf("bench nested.hash_longest_chain_%s_%s %u entries\n", order, mode, st.longest_chain);
	printf("bench nested.fault_ns_first_%s%s %.0f ns\n", order, old ? "_old" : "", first);
	printf("bench nested.fault_ns_last_%s%s %.0f ns\n", order, old ? "_old" : "", last);
	fflush(stdout);
	l1m_fini(&m);
}

int main(void)
{
	const char *env = getenv("NESTED_LIFETIMES");
	unsigned lifetimes = env ? (unsigned)strtoul(env, NULL, 0) : 1000;

	printf("# nested shadow MMU: %u L2 lifetimes of %u GiB each; reproduce with "
	       "make bench BENCH_FILTER=nested\n",
	       lifetimes, L2_GIB);
	for (int old = 0; old < 2; old++) {
		run(false, old, lifetimes);
		run(true, old, lifetimes);
	}
	return 0;
}
