/*
 * The trusted table module on its own (hv/tmod.h), on every format: the
 * checks it makes on each call (present parent, empty entry, old value,
 * empty child table, permission-only changes, malformed requests), that a
 * refused or injected failure changes nothing, what a split builds, that
 * the table at tmod_root_hpa() is the one a hardware walker would follow,
 * failure injection (every n-th after a skip, seeded random, the error),
 * the audit that catches writes made behind the module's back, and what
 * the module reports: its last failure and its printed statistics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mm.h>
#include <hv/tmod.h>

#include "capture_console.h"
#include "mmu_test.h"

#define X_GFN 0x40000ull /* 1 GiB-aligned */
#define X_PFN 0x100000ull

static u64 flushes;

static void count_flush(void *arg)
{
	(void)arg;
	flushes++;
}

static struct tmod *make(const struct pt_format *f)
{
	struct tmod_config cfg = { .name = f->name, .fmt = f, .tlb_flush = count_flush };
	struct tmod *t;
	int err;

	t = tmod_create(&cfg, &err);
	assert_non_null(t);
	assert_int_equal(err, 0);
	return t;
}

static pte_t leaf_at(const struct pt_format *f, int level, pfn_t pfn, u8 perm)
{
	return make_leaf_pte(f, pt_leaf_template(f, (struct pt_attr){ perm, PT_MT_WB, 0 }, level),
			     pfn);
}

/* The entry at (gfn, level) as the module holds it, or 0 if there is no such table. */
static pte_t entry(struct tmod *t, gfn_t gfn, int level)
{
	const struct pt_format *f = tmod_format(t);
	pte_t *e = calloc(pt_table_entries(f, level), sizeof(*e));
	pte_t v = 0;

	assert_non_null(e);
	if (!tmod_read_table(t, gfn, level, e))
		v = e[pt_index(f, gfn, level)];
	free(e);
	return v;
}

/* Link tables from the root down to the one holding level `level`'s entries for gfn. */
static void link_down_to(struct tmod *t, gfn_t gfn, int level)
{
	const struct pt_format *f = tmod_format(t);

	for (int l = f->levels; l > level; l--)
		if (!pte_is_present(f, entry(t, gfn, l)))
			assert_int_equal(
			    tmod_link_table(t, ALIGN_DOWN(gfn, pt_level_pages(l)), l, 0), 0);
}

static void expect_refused(struct tmod *t, int got, int want, u64 *refusals)
{
	struct tmod_stats st;

	assert_int_equal(got, want);
	(*refusals)++;
	tmod_stats_read(t, &st);
	assert_int_equal(st.refused, *refusals);
}

static void checks(void **state)
{
	const struct pt_format *f = *state;
	u64 pages = page_alloc_outstanding(), refusals = 0;
	struct tmod *t = make(f);
	pte_t leaf = leaf_at(f, 1, X_PFN + 5, PT_R | PT_W | PT_X);
	pte_t any_table = make_table_pte(f, hpa(0x1000));
	gfn_t g = X_GFN + 5;
	struct tmod_stats st;

	capture_console_start();
	/* A page only under a present parent. */
	expect_refused(t, tmod_map_leaf(t, g, 1, 0, leaf), HV_EPERM, &refusals);
	assert_non_null(strstr(capture_console_text(), "no present parent"));
	link_down_to(t, g, 1);
	/* Malformed: level, alignment, a table where a leaf is wanted. */
	expect_refused(t, tmod_map_leaf(t, g, 0, 0, leaf), HV_EINVAL, &refusals);
	expect_refused(t, tmod_map_leaf(t, g, 2, 0, leaf), HV_EINVAL, &refusals);
	expect_refused(t, tmod_map_leaf(t, 2 * pt_level_pages(f->levels), f->levels, 0, any_table),
		       HV_EINVAL, &refusals);
	/* The caller's old must be what the module has. */
	expect_refused(t, tmod_map_leaf(t, g, 1, leaf, leaf), HV_EPERM, &refusals);
	assert_int_equal(tmod_map_leaf(t, g, 1, 0, leaf), 0);
	assert_int_equal(entry(t, g, 1), leaf);
	/* Not over a present entry, and no link over it either. */
	expect_refused(t, tmod_map_leaf(t, g, 1, 0, leaf), HV_EPERM, &refusals);
	expect_refused(t, tmod_link_table(t, g, 1, 0), HV_EPERM, &refusals);

	/* A child table goes only when empty. */
	expect_refused(t, tmod_remove_table(t, ALIGN_DOWN(g, pt_level_pages(2)), 2, any_table),
		       HV_EPERM, &refusals);
	assert_non_null(strstr(capture_console_text(), "not empty"));

	/* Changes keep the frame, the type and the size. */
	expect_refused(t, tmod_change_leaf(t, g, 1, leaf, leaf_at(f, 1, X_PFN + 6, PT_R)),
		       HV_EINVAL, &refusals);
	expect_refused(t, tmod_change_leaf(t, g, 1, leaf_at(f, 1, X_PFN + 5, PT_R), leaf), HV_EPERM,
		       &refusals);
	assert_int_equal(tmod_change_leaf(t, g, 1, leaf, leaf_at(f, 1, X_PFN + 5, PT_R)), 0);
	leaf = leaf_at(f, 1, X_PFN + 5, PT_R);
	assert_int_equal(entry(t, g, 1), leaf);

	/* Removal of what the caller says is there. */
	expect_refused(t, tmod_remove_leaf(t, g, 1, leaf_at(f, 1, X_PFN + 5, PT_R | PT_W)),
		       HV_EPERM, &refusals);
	expect_refused(t, tmod_remove_leaf(t, g + 1, 1, leaf), HV_EPERM, &refusals);
	assert_int_equal(tmod_remove_leaf(t, g, 1, leaf), 0);
	assert_int_equal(entry(t, g, 1), 0);
	flushes = 0;
	expect_refused(t, tmod_remove_table(t, ALIGN_DOWN(g, pt_level_pages(2)), 2, 0), HV_EINVAL,
		       &refusals);
	assert_int_equal(tmod_remove_table(t, ALIGN_DOWN(g, pt_level_pages(2)), 2, any_table), 0);
	/* The child's page went after a flush. */
	assert_int_equal(flushes, 1);
	assert_int_equal(entry(t, g, 2), 0);
	capture_console_stop();

	tmod_stats_read(t, &st);
	assert_int_equal(st.done[TMOD_OP_MAP_LEAF], 1);
	assert_int_equal(st.done[TMOD_OP_CHANGE_LEAF], 1);
	assert_int_equal(st.done[TMOD_OP_REMOVE_LEAF], 1);
	assert_int_equal(st.done[TMOD_OP_REMOVE_TABLE], 1);
	assert_int_equal(st.done[TMOD_OP_LINK_TABLE], f->levels - 1);
	assert_int_equal(st.tables, f->levels - 2);
	assert_int_equal(st.leaves, 0);
	assert_int_equal(tmod_audit(t), 0);
	tmod_destroy(t);
	assert_int_equal(page_alloc_outstanding(), pages);
}

/*
 * A split: the 1 GiB leaf at X becomes a table the module builds, mapping
 * the same frames with the same attributes, with 2 MiB leaves, or (fake:
 * no 2 MiB size) a level of tables of 4 KiB leaves.
 */
static void split(void **state)
{
	const struct pt_format *f = *state;
	u64 pages = page_alloc_outstanding();
	struct tmod *t = make(f);
	pte_t big = leaf_at(f, 3, X_PFN, PT_R | PT_X);
	int below = pt_level_can_be_leaf(f, 2) ? 2 : 1;
	struct tmod_stats st;

	link_down_to(t, X_GFN, 3);
	assert_int_equal(tmod_map_leaf(t, X_GFN, 3, 0, big), 0);
	capture_console_start();
	assert_int_equal(tmod_split(t, X_GFN, 3, leaf_at(f, 3, X_PFN, PT_R)), HV_EPERM);
	capture_console_stop();
	assert_int_equal(tmod_split(t, X_GFN, 3, big), 0);
	assert_true(pte_is_table(f, entry(t, X_GFN, 3), 3));
	for (gfn_t g = X_GFN; g < X_GFN + pt_level_pages(3); g += 0x1234) {
		gfn_t first = ALIGN_DOWN(g, pt_level_pages(below));

		assert_int_equal(entry(t, g, below),
				 leaf_at(f, below, X_PFN + (first - X_GFN), PT_R | PT_X));
	}
	capture_console_start();
	assert_int_equal(tmod_split(t, X_GFN, 3, big), HV_EPERM);
	capture_console_stop();
	tmod_stats_read(t, &st);
	assert_int_equal(st.leaves, below == 2 ? PT_ENTRIES : PT_ENTRIES * PT_ENTRIES);
	/* Break-before-make formats: the leaf was invalidated and flushed first. */
	assert_int_equal(st.flushes, f->break_before_make ? 1 : 0);
	assert_int_equal(tmod_audit(t), 0);
	tmod_destroy(t);
	assert_int_equal(page_alloc_outstanding(), pages);
}

/*
 * The seam for a backend: the table at tmod_root_hpa() is the one the
 * module changes. Walk it by hand, reading only, as the hardware would
 * after the address is loaded into nCR3 / the EPTP / VTTBR_EL2.
 */
static void root_hpa_is_the_walked_table(void **state)
{
	const struct pt_format *f = *state;
	struct tmod *t = make(f);
	gfn_t g = X_GFN + 0x777;
	pte_t leaf = leaf_at(f, 1, X_PFN + 0x777, PT_R | PT_W);
	hpa_t root = tmod_root_hpa(t);
	const pte_t *table;

	assert_true(IS_ALIGNED(hpa_val(root), (u64)PAGE_SIZE * f->root_pages));
	link_down_to(t, g, 1);
	assert_int_equal(tmod_map_leaf(t, g, 1, 0, leaf), 0);
	table = phys_to_virt(root);
	for (int l = f->levels; l > 1; l--) {
		pte_t e = table[pt_index(f, g, l)];

		assert_true(pte_is_table(f, e, l));
		table = phys_to_virt(pte_table_hpa(f, e));
	}
	assert_int_equal(table[pt_index(f, g, 1)], leaf);
	assert_int_equal(hpa_val(tmod_root_hpa(t)), hpa_val(root));
	tmod_destroy(t);
}

/* A write that did not come from the module is found by its audit. */
static void audit_catches_stray_writes(void **state)
{
	const struct pt_format *f = *state;
	struct tmod *t = make(f);
	gfn_t g = X_GFN + 3;
	pte_t *root = phys_to_virt(tmod_root_hpa(t)), *leaf_table, saved;

	link_down_to(t, g, 1);
	assert_int_equal(tmod_map_leaf(t, g, 1, 0, leaf_at(f, 1, X_PFN + 3, PT_R)), 0);
	assert_int_equal(tmod_audit(t), 0);

	/* Somebody maps a page on their own... */
	leaf_table = root;
	for (int l = f->levels; l > 1; l--)
		leaf_table = phys_to_virt(pte_table_hpa(f, leaf_table[pt_index(f, g, l)]));
	saved = leaf_table[9];
	leaf_table[9] = leaf_at(f, 1, 0xdead0, PT_R | PT_W);
	capture_console_start();
	assert_int_equal(tmod_audit(t), HV_EIO);
	capture_console_stop();
	assert_non_null(strstr(capture_console_text(), "behind the module's back"));
	leaf_table[9] = saved;
	assert_int_equal(tmod_audit(t), 0);

	/* ...or points a root entry elsewhere: found before the audit follows it. */
	saved = root[pt_index(f, g, f->levels)];
	root[pt_index(f, g, f->levels)] = saved ^ pte_pfn_bits(f, 1);
	capture_console_start();
	assert_int_equal(tmod_audit(t), HV_EIO);
	capture_console_stop();
	root[pt_index(f, g, f->levels)] = saved;
	assert_int_equal(tmod_audit(t), 0);
	tmod_destroy(t);
}

/* The pattern of injected failures over n map/remove pairs, one bit per call. */
static u64 failure_pattern(struct tmod *t, unsigned calls)
{
	const struct pt_format *f = tmod_format(t);
	pte_t leaf = leaf_at(f, 1, X_PFN, PT_R);
	bool mapped = false;
	u64 bits = 0;

	for (unsigned i = 0; i < calls; i++) {
		int r = mapped ? tmod_remove_leaf(t, X_GFN, 1, leaf)
			       : tmod_map_leaf(t, X_GFN, 1, 0, leaf);

		if (r) {
			bits |= 1ull << i;
			continue;
		}
		mapped = !mapped;
	}
	if (mapped) {
		struct tmod_inject off = { .mode = TMOD_INJECT_OFF };

		tmod_set_inject(t, &off);
		assert_int_equal(tmod_remove_leaf(t, X_GFN, 1, leaf), 0);
	}
	return bits;
}

static void injection(void **state)
{
	const struct pt_format *f = *state;
	struct tmod *t = make(f), *u = make(f);
	struct tmod_inject inj = { .mode = TMOD_INJECT_EVERY, .skip = 2, .every = 3 };
	struct tmod_stats st;
	u64 a, b;

	link_down_to(t, X_GFN, 1);
	link_down_to(u, X_GFN, 1);
	/* Off by default. */
	assert_int_equal(failure_pattern(t, 40), 0);
	/* Every third call after the first two: calls 5, 8, 11, ... (1-based). */
	tmod_set_inject(t, &inj);
	a = failure_pattern(t, 40);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal((a >> i) & 1, i >= 2 && (i - 2) % 3 == 2);
	tmod_stats_read(t, &st);
	assert_int_equal(st.injected, 12);
	/* Random: a function of the seed, at about the asked rate. */
	inj = (struct tmod_inject){ .mode = TMOD_INJECT_RANDOM, .per_million = 250000, .seed = 42 };
	tmod_set_inject(t, &inj);
	tmod_set_inject(u, &inj);
	a = failure_pattern(t, 64);
	b = failure_pattern(u, 64);
	assert_int_equal(a, b);
	assert_in_range(__builtin_popcountll(a), 6, 28);
	inj.seed = 43;
	tmod_set_inject(u, &inj);
	assert_int_not_equal(failure_pattern(u, 64), a);
	/* The injected error can be chosen; a failed call changed nothing. */
	inj = (struct tmod_inject){ .mode = TMOD_INJECT_EVERY, .every = 1, .err = HV_EIO };
	tmod_set_inject(t, &inj);
	assert_int_equal(tmod_map_leaf(t, X_GFN, 1, 0, leaf_at(f, 1, X_PFN, PT_R)), HV_EIO);
	assert_int_equal(entry(t, X_GFN, 1), 0);
	assert_int_equal(tmod_audit(t), 0);
	tmod_destroy(t);
	tmod_destroy(u);
}

/*
 * tmod_last_failure() names the latest refused, injected or out-of-memory
 * call (what a protected VM's stop reason quotes); successes leave it.
 * tmod_stats_print() shows calls by kind and failures by cause.
 */
static void last_failure_and_stats(void **state)
{
	const struct pt_format *f = *state;
	struct tmod *t = make(f);
	struct tmod_inject inj = { .mode = TMOD_INJECT_EVERY, .every = 1 };
	struct tmod_failure lf;
	char want[128];
	const char *out;

	assert_false(tmod_last_failure(t, &lf));
	capture_console_start();
	/* No parent yet: refused. */
	assert_int_equal(tmod_map_leaf(t, X_GFN, 1, 0, leaf_at(f, 1, X_PFN, PT_R)), HV_EPERM);
	capture_console_stop();
	assert_true(tmod_last_failure(t, &lf));
	assert_int_equal(lf.op, TMOD_OP_MAP_LEAF);
	assert_int_equal(lf.gfn, X_GFN);
	assert_int_equal(lf.level, 1);
	assert_int_equal(lf.err, HV_EPERM);
	assert_string_equal(lf.why, "no present parent table");
	/* Successes leave the record alone. */
	link_down_to(t, X_GFN, 1);
	assert_true(tmod_last_failure(t, &lf));
	assert_int_equal(lf.op, TMOD_OP_MAP_LEAF);
	/* Injected: the call's own op, gfn and level, and the injected error. */
	tmod_set_inject(t, &inj);
	assert_int_equal(tmod_map_leaf(t, X_GFN + 1, 1, 0, leaf_at(f, 1, X_PFN + 1, PT_R)),
			 HV_EBUSY);
	inj.mode = TMOD_INJECT_OFF;
	tmod_set_inject(t, &inj);
	assert_true(tmod_last_failure(t, &lf));
	assert_int_equal(lf.op, TMOD_OP_MAP_LEAF);
	assert_int_equal(lf.gfn, X_GFN + 1);
	assert_int_equal(lf.err, HV_EBUSY);
	assert_string_equal(lf.why, "injected failure");
	assert_int_equal(tmod_map_leaf(t, X_GFN, 1, 0, leaf_at(f, 1, X_PFN, PT_R)), 0);

	capture_console_start();
	tmod_stats_print(t, "vmX: ");
	capture_console_stop();
	out = capture_console_text();
	snprintf(want, sizeof(want),
		 "vmX: table module: %s table, root %#llx, %d tables and 1 leaves", f->name,
		 (unsigned long long)hpa_val(tmod_root_hpa(t)), f->levels - 1);
	if (!strstr(out, want))
		fail_msg("expected \"%s\" in:\n%s", want, out);
	snprintf(want, sizeof(want), "map-leaf 1/3 link-table %d/%d split 0/0", f->levels - 1,
		 f->levels - 1);
	if (!strstr(out, want))
		fail_msg("expected \"%s\" in:\n%s", want, out);
	assert_non_null(
	    strstr(out, "vmX:   failures: busy 0, injected 1, refused 1, out of memory 0"));
	tmod_destroy(t);
}

#define FORMAT_TESTS(fmt)                                                                          \
	{ "checks_" #fmt, checks, NULL, NULL, (void *)&pt_format_##fmt },                          \
	    { "split_" #fmt, split, NULL, NULL, (void *)&pt_format_##fmt },                        \
	    { "root_hpa_is_the_walked_table_" #fmt, root_hpa_is_the_walked_table, NULL, NULL,      \
	      (void *)&pt_format_##fmt },                                                          \
	    { "audit_catches_stray_writes_" #fmt, audit_catches_stray_writes, NULL, NULL,          \
	      (void *)&pt_format_##fmt },                                                          \
	    { "injection_" #fmt, injection, NULL, NULL, (void *)&pt_format_##fmt },                \
	{                                                                                          \
		"last_failure_and_stats_" #fmt, last_failure_and_stats, NULL, NULL,                \
		    (void *)&pt_format_##fmt                                                       \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FORMAT_TESTS(ept4), FORMAT_TESTS(ept5),  FORMAT_TESTS(npt4),
		FORMAT_TESTS(npt5), FORMAT_TESTS(s2_40), FORMAT_TESTS(fake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
