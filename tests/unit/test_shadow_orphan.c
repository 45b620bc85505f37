/*
 * Seed 000: the orphan rule on emulated writes, replayed with a model of an
 * L1 hypervisor (tests/unit/support/l1_model.c) that runs a 16 GiB L2 on a
 * 4-level EPT and tears its tables down top-down (1 GiB entries first, each
 * removed table cleared at once) or bottom-up (4 KiB, 2 MiB, 1 GiB, root),
 * every store to a shadowed table going through shadow_track_write().
 *
 * L2 touches two 4 KiB pages in each of K 2 MiB regions of every GiB (K = 3
 * in even GiBs, 2 in odd ones), so each L1 page directory holds K page
 * tables and every page table goes unsync (its second leaf is written while
 * shadowed).
 *
 * What the seed's traces show, and what is asserted write by write:
 *   top-down, old:   L3 flood 0 (orphans PD0), PD0's writes L2 0,1,2 (the
 *                    third floods it), L3 flood 1, PD1's writes L2 0,1 (two
 *                    tables only), L3 flood 2 floods the PDPT; then the
 *                    root, L4 flood 0. Left: PD1 and four page tables.
 *   top-down, fixed: L3 0,1 zap the orphaned PD with its tables at once (no
 *                    write to them traps any more), L3 2 floods, L4 0.
 *   bottom-up:       per PD: L2 flood 0, 1 (each orphans a page table),
 *                    flood 2 where K = 3 (zaps the PD); then L3 0,1,2, L4 0.
 *                    Old: the orphaned, unsync page tables leak; fixed: none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mm.h>

#include "l1_model.h"

#define GIB_PAGES  (1ull << 18)
#define L2_GIB     16
#define L1_PAGES   (20ull * GIB_PAGES) /* 20 GiB: L2's 16 at 1 GiB, the pool at the top */
#define POOL_PAGES 65536ull
#define L2_BASE    GIB_PAGES

static unsigned regions_in_gib(unsigned g)
{
	return g % 2 ? 2 : 3;
}

static void model_init(struct l1_model *m, bool old, u64 seed)
{
	struct shadow_config sc = { .no_orphan_zap = old, .max_pages = 1u << 20 };
	struct l1m_params p = {
		.kind = SHADOW_GFMT_EPT,
		.ram_pages = L1_PAGES,
		.pool_pages = POOL_PAGES,
		.l2_base_gfn = L2_BASE,
		.seed = seed,
		.shadow = &sc,
	};

	assert_int_equal(l1m_init(m, &p), 0);
}

/* One L2 lifetime's population: L1 gets a new root, L2 touches its pattern. */
static void populate(struct l1_model *m)
{
	assert_int_equal(l1m_new_root(m), 0);
	for (unsigned g = 0; g < L2_GIB; g++)
		for (unsigned r = 0; r < regions_in_gib(g); r++)
			for (unsigned p = 0; p < 2; p++) {
				gfn_t l2 = g * GIB_PAGES + r * 512 * 7 + p * 3;

				assert_int_equal(l1m_l2_touch(m, gfn_to_gpa(l2), PT_R | PT_W),
						 SHADOW_FAULT_MAPPED);
			}
}

static unsigned total_regions(void)
{
	unsigned n = 0;

	for (unsigned g = 0; g < L2_GIB; g++)
		n += regions_in_gib(g);
	return n;
}

struct expect {
	int level;
	u16 flood;
	bool flooded;
};

static void check_log(struct l1_model *m, const struct expect *want, unsigned n)
{
	if (m->log_count != n)
		fail_msg("%u emulated writes, expected %u", m->log_count, n);
	for (unsigned i = 0; i < n; i++) {
		const struct shadow_write_info *in = &m->log[i].info;

		if (in->level != want[i].level || in->flood != want[i].flood ||
		    in->flooded != want[i].flooded)
			fail_msg("write %u (gpa %#llx): level %d flood %u%s, expected level %d "
				 "flood %u%s",
				 i, (unsigned long long)gpa_val(m->log[i].gpa), in->level,
				 in->flood, in->flooded ? " flooded" : "", want[i].level,
				 want[i].flood, want[i].flooded ? " flooded" : "");
	}
}

static void teardown_prep(struct l1_model *m, struct shadow_stats *st)
{
	shadow_stats_read(m->sm, st);
	/* Populating made every page table unsync (its second leaf was a trapped write). */
	assert_int_equal(st->unsync, total_regions());
	m->log_writes = true;
	m->log_count = 0;
}

static void trace_top_down_old(void **state)
{
	static const struct expect want[] = {
		{ 3, 0, false }, { 2, 0, false }, { 2, 1, false }, { 2, 2, true },  { 3, 1, false },
		{ 2, 0, false }, { 2, 1, false }, { 3, 2, true },  { 4, 0, false },
	};
	struct shadow_stats st;
	struct l1_model m;

	(void)state;
	model_init(&m, true, 0);
	populate(&m);
	teardown_prep(&m, &st);
	l1m_zap_top_down(&m);
	check_log(&m, want, ARRAY_SIZE(want));
	/*
	 * The first two writes into PD0 and PD1 orphaned two unsync page
	 * tables each; PD1 itself was orphaned by the second 1 GiB write.
	 */
	shadow_vcpu_unload_all(m.sv);
	shadow_stats_read(m.sm, &st);
	assert_int_equal(st.pages, 5);
	assert_int_equal(st.unsync, 4);
	assert_int_equal(st.count[SHADOW_STAT_ZAP_ORPHAN], 0);
	l1m_fini(&m);
}

static void trace_top_down_fixed(void **state)
{
	static const struct expect want[] = {
		{ 3, 0, false },
		{ 3, 1, false },
		{ 3, 2, true },
		{ 4, 0, false },
	};
	struct shadow_stats st;
	struct l1_model m;

	(void)state;
	model_init(&m, false, 0);
	populate(&m);
	teardown_prep(&m, &st);
	l1m_zap_top_down(&m);
	check_log(&m, want, ARRAY_SIZE(want));
	/* Each of the first two writes zapped its orphaned PD recursively. */
	assert_int_equal(m.log[0].info.pages_zapped, 1 + regions_in_gib(0));
	assert_int_equal(m.log[1].info.pages_zapped, 1 + regions_in_gib(1));
	/* The third flooded the PDPT: itself and the 14 PDs left with their tables. */
	assert_int_equal(m.log[2].info.pages_zapped, 1 + 14 + total_regions() - 5);
	shadow_vcpu_unload_all(m.sv);
	shadow_stats_read(m.sm, &st);
	assert_int_equal(st.pages, 0);
	/* Two orphans; their 5 tables, and the 14 PDs with 35 tables, went as children. */
	assert_int_equal(st.count[SHADOW_STAT_ZAP_ORPHAN], 2);
	assert_int_equal(st.count[SHADOW_STAT_ZAP_CHILD], 5 + 14 + total_regions() - 5);
	assert_int_equal(st.count[SHADOW_STAT_ZAP_FLOOD], 1);
	l1m_fini(&m);
}

static void trace_bottom_up(bool old)
{
	struct expect want[64];
	struct shadow_stats st;
	struct l1_model m;
	unsigned n = 0;

	for (unsigned g = 0; g < L2_GIB; g++) {
		want[n++] = (struct expect){ 2, 0, false };
		want[n++] = (struct expect){ 2, 1, false };
		if (regions_in_gib(g) == 3)
			want[n++] = (struct expect){ 2, 2, true };
	}
	want[n++] = (struct expect){ 3, 0, false };
	want[n++] = (struct expect){ 3, 1, false };
	want[n++] = (struct expect){ 3, 2, true };
	want[n++] = (struct expect){ 4, 0, false };

	model_init(&m, old, 0);
	populate(&m);
	teardown_prep(&m, &st);
	l1m_zap_bottom_up(&m);
	check_log(&m, want, n);
	for (unsigned i = 0; i < n; i++) {
		/* Old: an entry zap never zaps a page. Fixed: each zaps its orphan. */
		if (!want[i].flooded && want[i].level == 2)
			assert_int_equal(m.log[i].info.pages_zapped, old ? 0 : 1);
	}
	shadow_vcpu_unload_all(m.sv);
	shadow_stats_read(m.sm, &st);
	if (old) {
		/*
		 * Two unsync page tables per GiB, and PD1 (two tables, never
		 * flooded), orphaned by the second 1 GiB write.
		 */
		assert_int_equal(st.pages, 2 * L2_GIB + 1);
		assert_int_equal(st.unsync, 2 * L2_GIB);
		assert_int_equal(st.count[SHADOW_STAT_ZAP_ORPHAN], 0);
	} else {
		assert_int_equal(st.pages, 0);
		assert_int_equal(st.count[SHADOW_STAT_ZAP_ORPHAN], 2 * L2_GIB + 1);
	}
	l1m_fini(&m);
}

static void trace_bottom_up_old(void **state)
{
	(void)state;
	trace_bottom_up(true);
}

static void trace_bottom_up_fixed(void **state)
{
	(void)state;
	trace_bottom_up(false);
}

/*
 * Many L2 lifetimes in each order, L1's table pages picked at random from a
 * pool: with the orphan rule nothing is left after each teardown; without
 * it, bottom-up teardowns leak, and the leak grows lifetime by lifetime.
 */
static void lifetimes(bool old, bool top_down, u64 *left)
{
	struct l1_model m;

	model_init(&m, old, 0x9e3779b97f4a7c15ull + top_down);
	for (unsigned life = 0; life < 4; life++) {
		populate(&m);
		if (top_down)
			l1m_zap_top_down(&m);
		else
			l1m_zap_bottom_up(&m);
		shadow_vcpu_unload_all(m.sv);
		left[life] = l1m_shadow_pages(&m);
	}
	l1m_fini(&m);
}

static void lifetimes_leave_nothing(void **state)
{
	u64 left[4];

	(void)state;
	for (int top_down = 0; top_down < 2; top_down++) {
		lifetimes(false, top_down, left);
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(left[i], 0);
	}
}

static void lifetimes_old_behaviour_leaks(void **state)
{
	u64 left[4];

	(void)state;
	lifetimes(true, false, left);
	print_message("old behaviour, bottom-up: %llu %llu %llu %llu shadow pages left\n",
		      (unsigned long long)left[0], (unsigned long long)left[1],
		      (unsigned long long)left[2], (unsigned long long)left[3]);
	assert_true(left[0] >= 2 * L2_GIB);
	for (unsigned i = 1; i < 4; i++)
		assert_true(left[i] > left[i - 1]);
	lifetimes(true, true, left);
	print_message("old behaviour, top-down: %llu %llu %llu %llu shadow pages left\n",
		      (unsigned long long)left[0], (unsigned long long)left[1],
		      (unsigned long long)left[2], (unsigned long long)left[3]);
	assert_int_equal(left[0], 5); /* as the top-down trace shows */
	for (unsigned i = 1; i < 4; i++)
		assert_true(left[i] > left[i - 1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trace_top_down_old),
		cmocka_unit_test(trace_top_down_fixed),
		cmocka_unit_test(trace_bottom_up_old),
		cmocka_unit_test(trace_bottom_up_fixed),
		cmocka_unit_test(lifetimes_leave_nothing),
		cmocka_unit_test(lifetimes_old_behaviour_leaks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
