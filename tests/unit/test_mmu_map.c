/*
 * The TDP policy on one root: faults, zap, write-protect, split and bulk
 * mapping, each with the table before and after drawn in the comments. The
 * pictures are the engine's own compact dump (one line per entry or per run
 * of like leaves, "@T" for a table address) and the tests compare it
 * exactly. Leaf-size choice is checked case by case (gfn/frame congruence,
 * slot edges, format, VM and slot limits) on every format.
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

#include "mmu_test.h"

#define GIB_PAGES  (1ull << 18)
#define MIB2_PAGES (1ull << 9)

static int level_of(struct mmu_env *env, gfn_t gfn)
{
	struct mmu_translation t;

	if (!mmu_translate(env->vm, mmu_env_root(env), gfn, &t))
		return 0;
	return t.level;
}

static void expect_dump(struct mmu_env *env, const char *expected)
{
	const char *got = mmu_dump_string(env->vm, mmu_env_root(env));

	if (strcmp(got, expected)) {
		print_error("expected:\n%sgot:\n%s", expected, got);
		fail();
	}
}

static void fault_ok(struct mmu_env *env, u64 gpa_v, u8 access)
{
	assert_int_equal(mmu_fault(env->vc, gpa(gpa_v), access), MMU_FAULT_MAPPED);
}

static void check_all(struct mmu_env *env)
{
	mmu_check_vm(env->vm, env->pages_at_start, 0);
}

/*
 * Faults pick the largest leaf the slot allows (EPT, 4-level).
 *
 *   slot 1: gfn 0x40000 +1G, frames from 0x100000 (congruent mod 1G)
 *   slot 2: gfn 0x80000 +4M, frames from 0x200200 (congruent mod 2M only)
 *   slot 3: gfn 0x80400 +64K, frames from 0x300001 (not even 2M-congruent)
 *
 * Faults at gfn 0x40123, 0x80000, 0x80405 give:
 *
 *   L4 [0-0x7ffffff] 512G table @T
 *     L3 [0-0x3ffff] 1G ...            (empty)
 *     L3 [0x40000-0x7ffff] 1G leaf     one 1G leaf
 *     L3 [0x80000-0xbffff] 1G table
 *       L2 [0x80000-0x801ff] 2M leaf   one 2M leaf
 *       L2 [0x80400-0x805ff] 2M table
 *         L1 [0x80405] 4K leaf         one 4K leaf
 *
 * Then zap [0x80100, 0x80405): the 2M leaf is only partly inside but goes
 * whole; the 4K leaf at 0x80405 (just past the end) stays, and so does the
 * table holding it.
 */
static void fault_then_zap(void **state)
{
	struct mmu_env env;

	(void)state;
	mmu_env_init(&env, &pt_format_ept4, true);
	mmu_env_slot(&env, 1, 0x40000, GIB_PAGES, 0x100000, 0);
	mmu_env_slot(&env, 2, 0x80000, 0x400, 0x200200, 0);
	mmu_env_slot(&env, 3, 0x80400, 0x10, 0x300001, 0);
	fault_ok(&env, 0x40123000, PT_R);
	fault_ok(&env, 0x80000000, PT_W);
	fault_ok(&env, 0x80405000, PT_X);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0x40000-0x7ffff] 1G leaf rwxu WB -> pfn 0x100000\n"
			  "  L3 [0x80000-0xbffff] 1G table @T\n"
			  "    L2 [0x80000-0x801ff] 2M leaf rwxu WB -> pfn 0x200200\n"
			  "    L2 [0x80400-0x805ff] 2M table @T\n"
			  "      L1 [0x80405-0x80405] 4K leaf rwxu WB -> pfn 0x300006\n");
	check_all(&env);
	/* Filling holes needs no flush. */
	assert_int_equal(env.tlb.flushes, 0);

	assert_int_equal(mmu_zap_range(env.vm, 0x80100, 0x305, 0), 0);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0x40000-0x7ffff] 1G leaf rwxu WB -> pfn 0x100000\n"
			  "  L3 [0x80000-0xbffff] 1G table @T\n"
			  "    L2 [0x80400-0x805ff] 2M table @T\n"
			  "      L1 [0x80405-0x80405] 4K leaf rwxu WB -> pfn 0x300006\n");
	/* One flush for the whole operation, covering what was removed. */
	assert_int_equal(env.tlb.flushes, 1);
	assert_true(tlb_recorder_covered(&env.tlb, mmu_env_root(&env), 0x80000));
	assert_true(tlb_recorder_covered(&env.tlb, mmu_env_root(&env), 0x801ff));
	check_all(&env);

	/*
	 * Zap everything: tables wholly inside the range go too.
	 *   before: as above          after: L4 [0-0x7ffffff] 512G table @T  (nothing else)
	 */
	assert_int_equal(mmu_zap_range(env.vm, 0, 1ull << 36, 0), 0);
	expect_dump(&env, "");
	check_all(&env);
	assert_int_equal(mmu_fault(env.vc, gpa(0x40123000), PT_R), MMU_FAULT_MAPPED);
	mmu_env_fini(&env);
}

/*
 * Zapping only leaves keeps the emptied tables (NPT, 4-level):
 *
 *   before                                         after zap(0x200, +0x200, leaves only)
 *   L4 table                                       L4 table
 *     L3 [0-0x3ffff] table                           L3 [0-0x3ffff] table
 *       L2 [0x200-0x3ff] table                         L2 [0x200-0x3ff] table
 *         L1 [0x300] leaf                                (empty)
 *         L1 [0x301] leaf
 */
static void zap_leaves_only(void **state)
{
	struct mmu_env env;
	u64 pages;

	(void)state;
	mmu_env_init(&env, &pt_format_npt4, true);
	mmu_env_slot(&env, 1, 0x200, 0x200, 0x1000, MMU_SLOT_READONLY);
	mmu_vm_set_max_level(env.vm, 1);
	fault_ok(&env, 0x300000, PT_R);
	fault_ok(&env, 0x301000, PT_X);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0-0x3ffff] 1G table @T\n"
			  "    L2 [0x200-0x3ff] 2M table @T\n"
			  "      L1 [0x300-0x301] 4K x2 leaf r-xu WB -> pfn 0x1100\n");
	pages = page_alloc_outstanding();
	assert_int_equal(mmu_zap_range(env.vm, 0x200, 0x200, MMU_ZAP_LEAVES_ONLY), 0);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0-0x3ffff] 1G table @T\n"
			  "    L2 [0x200-0x3ff] 2M table @T\n");
	assert_int_equal(page_alloc_outstanding(), pages);
	check_all(&env);
	mmu_env_fini(&env);
}

/*
 * Write-protecting part of a 2M leaf splits it (NPT, 4-level):
 *
 *   before                                   after protect(0x300, +0x10)
 *   L2 [0x200-0x3ff] 2M leaf rwx             L2 [0x200-0x3ff] 2M table
 *                                              L1 [0x200-0x2ff] 4K x256 leaf rwx
 *                                              L1 [0x300-0x30f] 4K x16  leaf r-x
 *                                              L1 [0x310-0x3ff] 4K x240 leaf rwx
 *
 * and a write fault on 0x305 gives that page its write back, in place,
 * without a flush (gaining a permission never needs one):
 *
 *                                              L1 [0x300-0x304] 4K x5   leaf r-x
 *                                              L1 [0x305]       4K      leaf rwx
 *                                              L1 [0x306-0x30f] 4K x10  leaf r-x
 */
static void protect_splits_and_fault_upgrades(void **state)
{
	struct mmu_env env;
	struct mmu_stats st;

	(void)state;
	mmu_env_init(&env, &pt_format_npt4, true);
	mmu_env_slot(&env, 1, 0x200, 0x200, 0x5400, 0);
	fault_ok(&env, 0x200000, PT_R);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0-0x3ffff] 1G table @T\n"
			  "    L2 [0x200-0x3ff] 2M leaf rwxu WB -> pfn 0x5400\n");
	assert_int_equal(mmu_protect_range(env.vm, 0x300, 0x10, 0), 0);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0-0x3ffff] 1G table @T\n"
			  "    L2 [0x200-0x3ff] 2M table @T\n"
			  "      L1 [0x200-0x2ff] 4K x256 leaf rwxu WB -> pfn 0x5400\n"
			  "      L1 [0x300-0x30f] 4K x16 leaf r-xu WB -> pfn 0x5500\n"
			  "      L1 [0x310-0x3ff] 4K x240 leaf rwxu WB -> pfn 0x5510\n");
	assert_int_equal(env.tlb.flushes, 1);
	assert_true(tlb_recorder_covered(&env.tlb, mmu_env_root(&env), 0x300));
	assert_true(tlb_recorder_covered(&env.tlb, mmu_env_root(&env), 0x30f));
	check_all(&env);

	tlb_recorder_reset(&env.tlb);
	assert_int_equal(mmu_fault(env.vc, gpa(0x305000), PT_R), MMU_FAULT_SPURIOUS);
	fault_ok(&env, 0x305000, PT_W);
	assert_int_equal(mmu_fault(env.vc, gpa(0x305000), PT_W), MMU_FAULT_SPURIOUS);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0-0x3ffff] 1G table @T\n"
			  "    L2 [0x200-0x3ff] 2M table @T\n"
			  "      L1 [0x200-0x2ff] 4K x256 leaf rwxu WB -> pfn 0x5400\n"
			  "      L1 [0x300-0x304] 4K x5 leaf r-xu WB -> pfn 0x5500\n"
			  "      L1 [0x305-0x305] 4K leaf rwxu WB -> pfn 0x5505\n"
			  "      L1 [0x306-0x30f] 4K x10 leaf r-xu WB -> pfn 0x5506\n"
			  "      L1 [0x310-0x3ff] 4K x240 leaf rwxu WB -> pfn 0x5510\n");
	assert_int_equal(env.tlb.flushes, 0);
	mmu_stats_read(env.vm, &st);
	assert_int_equal(st.count[MMU_STAT_SPLIT], 1);
	assert_int_equal(st.count[MMU_STAT_LEAF_WRPROT], 16);
	assert_int_equal(st.count[MMU_STAT_LEAF_UPGRADED], 1);
	assert_int_equal(st.count[MMU_STAT_FAULT_SPURIOUS], 2);
	assert_int_equal(st.leaves[1], 512);
	assert_int_equal(st.leaves[2], 0);
	check_all(&env);

	/* Protecting a whole huge leaf needs no split. */
	mmu_zap_range(env.vm, 0, 0x400, 0);
	fault_ok(&env, 0x200000, PT_W);
	assert_int_equal(mmu_protect_range(env.vm, 0, 0x400, 0), 0);
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0-0x3ffff] 1G table @T\n"
			  "    L2 [0x200-0x3ff] 2M leaf r-xu WB -> pfn 0x5400\n");
	mmu_stats_read(env.vm, &st);
	assert_int_equal(st.count[MMU_STAT_SPLIT], 1);
	mmu_env_fini(&env);
}

/* Inside a TLB flush during a split on stage-2, the entry being replaced is frozen. */
static void expect_frozen_during_flush(struct tlb_recorder *rec, const struct mmu_root *root,
				       gfn_t start, u64 count)
{
	const struct pt_format *f = mmu_root_format(root);
	unsigned *seen = rec->arg;
	pte_t e;
	int level = 1;

	if (!count)
		return; /* a whole-root flush: the root is going away */
	while (pt_level_pages(level) < count)
		level++;
	assert_int_equal(pt_level_pages(level), count);
	assert_true(mmu_test_peek((struct mmu_root *)root, start, level, &e));
	assert_true(pte_is_frozen(f, e));
	(*seen)++;
}

/*
 * Eager split keeps every translation; formats without break-before-make
 * need no flush, stage-2 freezes the entry and flushes before linking the
 * table (the check runs inside the flush). Exclusive and shared mode. Stage-2, 1G leaf at the root:
 *
 *   before                           after split(0x40200, +1, level 1)
 *   L3 [0x40000-0x7ffff] 1G leaf     L3 [0x40000-0x7ffff] 1G table
 *                                      L2 [0x40000-0x401ff] 2M leaf
 *                                      L2 [0x40200-0x403ff] 2M table
 *                                        L1 [0x40200-0x403ff] 4K x512 leaf
 *                                      L2 [0x40400-0x7ffff] 2M x510 leaf
 */
static void eager_split(void **state)
{
	for (unsigned i = 0; i < 2 * mmu_test_format_count; i++) {
		const struct pt_format *f = mmu_test_formats[i / 2];
		u32 mode = (i & 1) ? MMU_OP_SHARED : 0;
		struct mmu_translation before[4], after;
		const gfn_t probe[4] = { 0x40000, 0x40200, 0x403ff, 0x7ffff };
		unsigned bbm_seen = 0;
		struct tree_census c;
		struct mmu_env env;

		(void)state;
		mmu_env_init(&env, f, true);
		env.tlb.on_flush = expect_frozen_during_flush;
		env.tlb.arg = &bbm_seen;
		mmu_env_slot(&env, 1, 0x40000, GIB_PAGES, 0x1c0000, 0);
		fault_ok(&env, 0x40000000, PT_W);
		assert_int_equal(level_of(&env, 0x40000), 3);
		for (int k = 0; k < 4; k++)
			assert_true(
			    mmu_translate(env.vm, mmu_env_root(&env), probe[k], &before[k]));
		assert_int_equal(mmu_split_range(env.vm, 0x40200, 1, 1, mode), 0);
		for (int k = 0; k < 4; k++) {
			assert_true(mmu_translate(env.vm, mmu_env_root(&env), probe[k], &after));
			assert_int_equal(after.pfn, before[k].pfn);
			assert_memory_equal(&after.attr, &before[k].attr, sizeof(after.attr));
		}
		mmu_check_tree(env.vm, mmu_env_root(&env), &c);
		if (pt_level_can_be_leaf(f, 2)) {
			assert_int_equal(level_of(&env, 0x40000), 2);
			assert_int_equal(level_of(&env, 0x40200), 1);
			assert_int_equal(level_of(&env, 0x40400), 2);
			assert_int_equal(c.leaves[2], 511);
			assert_int_equal(c.leaves[1], 512);
		} else {
			/* The fake format has no 2M leaf: the whole 1G goes to 4K. */
			assert_int_equal(level_of(&env, 0x40000), 1);
			assert_int_equal(c.leaves[1], GIB_PAGES);
		}
		assert_int_equal(c.mapped_pages, GIB_PAGES);
		if (f->break_before_make) {
			/* 1G -> table, then the 2M leaf -> table: two frozen windows. */
			assert_int_equal(bbm_seen, 2);
			assert_int_equal(env.tlb.flushes, 2);
		} else {
			assert_int_equal(env.tlb.flushes, 0);
		}
		check_all(&env);
		mmu_env_fini(&env);
	}
}

/* A stage-2 dump picture of the same split (the 1G leaf lives in the two-page root). */
static void eager_split_picture_s2(void **state)
{
	struct mmu_env env;

	(void)state;
	mmu_env_init(&env, &pt_format_s2_40, true);
	mmu_env_slot(&env, 1, 0x40000, GIB_PAGES, 0x1c0000, 0);
	fault_ok(&env, 0x40000000, PT_W);
	expect_dump(&env, "L3 [0x40000-0x7ffff] 1G leaf rwxu WB -> pfn 0x1c0000\n");
	assert_int_equal(mmu_split_range(env.vm, 0x40200, 1, 1, 0), 0);
	expect_dump(&env, "L3 [0x40000-0x7ffff] 1G table @T\n"
			  "  L2 [0x40000-0x401ff] 2M leaf rwxu WB -> pfn 0x1c0000\n"
			  "  L2 [0x40200-0x403ff] 2M table @T\n"
			  "    L1 [0x40200-0x403ff] 4K x512 leaf rwxu WB -> pfn 0x1c0200\n"
			  "  L2 [0x40400-0x7ffff] 2M x510 leaf rwxu WB -> pfn 0x1c0400\n");
	mmu_env_fini(&env);
}

/*
 * Bulk mapping on stage-2 over a slot from gfn 0x3fe00 to 0x80200 (frames
 * equal to gfns), asked for a range larger than the slot on both sides:
 *
 *   L3 [0-0x3ffff] 1G table             root entry 0
 *     L2 [0x3fe00-0x3ffff] 2M leaf      the slot's first 2M
 *   L3 [0x40000-0x7ffff] 1G leaf        a 1G block in the root itself
 *   L3 [0x80000-0xbffff] 1G table
 *     L2 [0x80000-0x801ff] 2M leaf      the slot's last 2M
 */
static void bulk_map(void **state)
{
	struct mmu_env env;
	struct mmu_stats st;
	u64 mapped;

	(void)state;
	mmu_env_init(&env, &pt_format_s2_40, true);
	mmu_env_slot(&env, 1, 0x3fe00, 0x40400, 0x3fe00, 0);
	assert_int_equal(mmu_map_range(env.vc, 0x3fdfe, 0x40404, PT_R | PT_W, 0, &mapped), 0);
	assert_int_equal(mapped, 0x40400);
	expect_dump(&env, "L3 [0-0x3ffff] 1G table @T\n"
			  "  L2 [0x3fe00-0x3ffff] 2M leaf rwxu WB -> pfn 0x3fe00\n"
			  "L3 [0x40000-0x7ffff] 1G leaf rwxu WB -> pfn 0x40000\n"
			  "L3 [0x80000-0xbffff] 1G table @T\n"
			  "  L2 [0x80000-0x801ff] 2M leaf rwxu WB -> pfn 0x80000\n");
	/* Again: nothing to do, everything already allowed. */
	assert_int_equal(mmu_map_range(env.vc, 0x3fe00, 0x40400, PT_W, MMU_OP_SHARED, &mapped), 0);
	assert_int_equal(mapped, 0x40400);
	mmu_stats_read(env.vm, &st);
	assert_int_equal(st.count[MMU_STAT_LEAF_MAPPED], 3);
	assert_int_equal(st.count[MMU_STAT_PREFAULT_PAGES], 2 * 0x40400);
	check_all(&env);

	/* With a VM limit of 4K, the same range costs 4K leaves. */
	mmu_zap_range(env.vm, 0, 1ull << 28, 0);
	mmu_vm_set_max_level(env.vm, 1);
	assert_int_equal(mmu_map_range(env.vc, 0x3fe00, 0x600, PT_R, MMU_OP_SHARED, &mapped), 0);
	assert_int_equal(mapped, 0x600);
	expect_dump(&env, "L3 [0-0x3ffff] 1G table @T\n"
			  "  L2 [0x3fe00-0x3ffff] 2M table @T\n"
			  "    L1 [0x3fe00-0x3ffff] 4K x512 leaf rwxu WB -> pfn 0x3fe00\n"
			  "L3 [0x40000-0x7ffff] 1G table @T\n"
			  "  L2 [0x40000-0x401ff] 2M table @T\n"
			  "    L1 [0x40000-0x401ff] 4K x512 leaf rwxu WB -> pfn 0x40000\n"
			  "  L2 [0x40200-0x403ff] 2M table @T\n"
			  "    L1 [0x40200-0x403ff] 4K x512 leaf rwxu WB -> pfn 0x40200\n");
	check_all(&env);
	mmu_env_fini(&env);
}

struct free_order {
	struct mmu_vm *vm;
	u64 freed_at_flush; /* TABLE_FREE seen inside the last flush */
};

static void note_frees(struct tlb_recorder *rec, const struct mmu_root *root, gfn_t start,
		       u64 count)
{
	struct free_order *fo = rec->arg;
	struct mmu_stats st;

	(void)root;
	(void)start;
	(void)count;
	mmu_stats_read(fo->vm, &st);
	fo->freed_at_flush = st.count[MMU_STAT_TABLE_FREE];
}

/*
 * Unlinked tables are freed only after the flush: at once in exclusive
 * mode, at the next write-lock section in shared mode (readers may still be
 * walking them until then).
 *
 *   before (EPT, 4K leaves)                 after zap(0, +0x400)
 *   L4 table                                L4 table
 *     L3 [0-0x3ffff] table                    L3 [0-0x3ffff] table
 *       L2 [0-0x1ff] table                      (the two leaf tables are gone)
 *         L1 x512 leaf
 *       L2 [0x200-0x3ff] table
 *         L1 x512 leaf
 */
static void tables_freed_after_flush(void **state)
{
	for (int shared = 0; shared < 2; shared++) {
		struct free_order fo;
		struct mmu_stats st;
		struct mmu_env env;
		u64 before, freed_before, pages;

		(void)state;
		mmu_env_init(&env, &pt_format_ept4, true);
		fo = (struct free_order){ env.vm, 0 };
		env.tlb.on_flush = note_frees;
		env.tlb.arg = &fo;
		mmu_env_slot(&env, 1, 0, 0x400, 0x1000, 0);
		mmu_vm_set_max_level(env.vm, 1);
		assert_int_equal(mmu_map_range(env.vc, 0, 0x400, PT_R, 0, NULL), 0);
		pages = page_alloc_outstanding();
		mmu_stats_read(env.vm, &st);
		freed_before = st.count[MMU_STAT_TABLE_FREE];
		before = st.tables;

		assert_int_equal(mmu_zap_range(env.vm, 0, 0x400, shared ? MMU_OP_SHARED : 0), 0);
		expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
				  "  L3 [0-0x3ffff] 1G table @T\n");
		/* Inside the flush nothing had been freed yet. */
		assert_int_equal(env.tlb.flushes, 1);
		assert_int_equal(fo.freed_at_flush, freed_before);
		mmu_stats_read(env.vm, &st);
		if (shared) {
			/* Deferred: still allocated, still counted, chained on the root. */
			assert_int_equal(st.count[MMU_STAT_TABLE_DEFERRED], 2);
			assert_int_equal(st.count[MMU_STAT_TABLE_FREE], freed_before);
			assert_int_equal(page_alloc_outstanding(), pages);
			mmu_check_vm(env.vm, env.pages_at_start, 0);
			/* The next write-lock section frees them. */
			mmu_zap_range(env.vm, 0, 0, 0);
			mmu_stats_read(env.vm, &st);
		}
		assert_int_equal(st.count[MMU_STAT_TABLE_FREE], freed_before + 2);
		assert_int_equal(st.tables, before - 2);
		assert_int_equal(page_alloc_outstanding(), pages - 2);
		mmu_check_vm(env.vm, env.pages_at_start, 0);
		mmu_env_fini(&env);
	}
}

struct size_case {
	const char *what;
	gfn_t slot_gfn;
	u64 slot_pages;
	pfn_t slot_pfn;
	u8 slot_max;
	u8 vm_max;
	gfn_t fault_gfn;
	int level; /* for formats with 4K/2M/1G leaves; 0: no mapping */
};

static const struct size_case size_cases[] = {
	{ "1G congruent", 0x40000, GIB_PAGES, 0x80000, 0, 0, 0x4abcd, 3 },
	{ "2M congruent only", 0x40000, GIB_PAGES, 0x80200, 0, 0, 0x4abcd, 2 },
	{ "not congruent", 0x40000, GIB_PAGES, 0x80001, 0, 0, 0x4abcd, 1 },
	{ "1G minus a page: 2M", 0x40000, GIB_PAGES - 1, 0x80000, 0, 0, 0x40000, 2 },
	{ "last partial 2M: 4K", 0x40000, GIB_PAGES - 1, 0x80000, 0, 0, 0x7fe00, 1 },
	{ "slot starts mid-2M: 4K", 0x40100, 0x1000, 0x80100, 0, 0, 0x40100, 1 },
	{ "next 2M is whole: 2M", 0x40100, 0x1000, 0x80100, 0, 0, 0x40200, 2 },
	{ "slot ends mid-2M: 4K", 0x40100, 0x1000, 0x80100, 0, 0, 0x41000, 1 },
	{ "VM limit 2M", 0x40000, GIB_PAGES, 0x80000, 0, 2, 0x4abcd, 2 },
	{ "slot limit 4K", 0x40000, GIB_PAGES, 0x80000, 1, 0, 0x4abcd, 1 },
	{ "frames congruent, gfn high", 0x1c0000, 2 * GIB_PAGES, 0x40000, 0, 0, 0x1fffff, 3 },
};

/* The level a format picks when the generic rule says `want`. */
static int format_level(const struct pt_format *f, int want)
{
	while (!pt_level_can_be_leaf(f, want))
		want--;
	return want;
}

static void leaf_size_by_alignment(void **state)
{
	(void)state;
	for (unsigned i = 0; i < mmu_test_format_count; i++) {
		const struct pt_format *f = mmu_test_formats[i];

		for (unsigned k = 0; k < ARRAY_SIZE(size_cases); k++) {
			const struct size_case *c = &size_cases[k];
			struct mmu_slot_params p = {
				.id = 7,
				.base = gfn_to_gpa(c->slot_gfn),
				.size = c->slot_pages << PAGE_SHIFT,
				.backing = pfn_to_hpa(c->slot_pfn),
				.max_level = c->slot_max,
			};
			struct mmu_translation t;
			struct mmu_env env;

			mmu_env_init(&env, f, true);
			assert_int_equal(mmu_slot_add(env.vm, &p), 0);
			mmu_vm_set_max_level(env.vm, c->vm_max);
			assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(c->fault_gfn), PT_R),
					 MMU_FAULT_MAPPED);
			assert_true(mmu_translate(env.vm, mmu_env_root(&env), c->fault_gfn, &t));
			if (t.level != format_level(f, c->level))
				fail_msg("%s, %s: level %d, want %d", f->name, c->what, t.level,
					 format_level(f, c->level));
			assert_int_equal(t.pfn, c->slot_pfn + (c->fault_gfn - c->slot_gfn));
			check_all(&env);
			mmu_env_fini(&env);
		}
	}
}

/* Every outcome a backend switches on. */
static void fault_outcomes(void **state)
{
	struct mmu_env env;
	struct mmu_stats st;

	(void)state;
	mmu_env_init(&env, &pt_format_ept4, true);
	mmu_env_slot(&env, 1, 0x100, 0x100, 0x1000, 0);
	mmu_env_slot(&env, 2, 0x200, 0x100, 0x2000, MMU_SLOT_READONLY);
	mmu_env_slot(&env, 3, 0x300, 0x10, 0, MMU_SLOT_MMIO);
	assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_R | PT_W | PT_X), MMU_FAULT_SPURIOUS);
	assert_int_equal(mmu_fault(env.vc, gpa(0x200000), PT_W), MMU_FAULT_READONLY);
	assert_int_equal(mmu_fault(env.vc, gpa(0x200000), PT_R), MMU_FAULT_MAPPED);
	assert_int_equal(mmu_fault(env.vc, gpa(0x300000), PT_R), MMU_FAULT_MMIO);
	assert_int_equal(mmu_fault(env.vc, gpa(0x400000), PT_R), MMU_FAULT_MMIO);
	/* Beyond what a 4-level root translates. */
	assert_int_equal(mmu_fault(env.vc, gpa(1ull << 48), PT_R), MMU_FAULT_MMIO);
	/* A stale root: the backend must load again. */
	mmu_invalidate_all_roots(env.vm);
	assert_false(mmu_vcpu_root_is_valid(env.vc));
	assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_R), MMU_FAULT_RETRY);
	mmu_vcpu_unload_all(env.vc);
	assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_R), MMU_FAULT_RETRY);
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role), 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_R), MMU_FAULT_MAPPED);
	mmu_stats_read(env.vm, &st);
	assert_int_equal(st.count[MMU_STAT_FAULT_MAPPED], 3);
	assert_int_equal(st.count[MMU_STAT_FAULT_SPURIOUS], 1);
	assert_int_equal(st.count[MMU_STAT_FAULT_READONLY], 1);
	assert_int_equal(st.count[MMU_STAT_FAULT_MMIO], 3);
	assert_int_equal(st.count[MMU_STAT_FAULT_RETRY], 2);
	assert_string_equal(mmu_fault_result_name(MMU_FAULT_EMULATE), "emulate");
	check_all(&env);
	mmu_env_fini(&env);
}

/* A no-exec slot (a device window): read faults map it without X, execute faults are refused. */
static void noexec_slot(void **state)
{
	for (unsigned i = 0; i < mmu_test_format_count; i++) {
		const struct pt_format *f = mmu_test_formats[i];
		struct mmu_translation t;
		struct mmu_env env;
		u64 mapped = 0;

		(void)state;
		mmu_env_init(&env, f, true);
		mmu_env_slot(&env, 1, 0x100, 0x10, 0x1000, MMU_SLOT_NOEXEC);
		assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_X), MMU_FAULT_MMIO);
		assert_false(mmu_translate(env.vm, mmu_env_root(&env), 0x100, &t));
		assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_R | PT_W), MMU_FAULT_MAPPED);
		assert_true(mmu_translate(env.vm, mmu_env_root(&env), 0x100, &t));
		assert_false(t.attr.perm & PT_X);
		assert_true(t.attr.perm & PT_W);
		/* Still no execution once mapped: the refusal never loops through a rewrite. */
		assert_int_equal(mmu_fault(env.vc, gpa(0x100000), PT_R | PT_X), MMU_FAULT_MMIO);
		/* Bulk mapping grants no execute either, even when asked. */
		assert_int_equal(mmu_map_range(env.vc, 0x101, 4, PT_R | PT_X, 0, &mapped), 0);
		assert_true(mmu_translate(env.vm, mmu_env_root(&env), 0x102, &t));
		assert_false(t.attr.perm & PT_X);
		check_all(&env);
		mmu_env_fini(&env);
	}
}

/* Memory types reach the leaves; a device slot on stage-2 gets Device-nGnRE. */
static void slot_memory_type(void **state)
{
	for (unsigned i = 0; i < mmu_test_format_count; i++) {
		struct mmu_slot_params p = {
			.id = 1,
			.base = gpa(0x10000000),
			.size = SZ_2M,
			.backing = hpa(0x80000000),
			.memtype = PT_MT_DEVICE,
		};
		struct mmu_translation t;
		struct mmu_env env;

		(void)state;
		mmu_env_init(&env, mmu_test_formats[i], true);
		assert_int_equal(mmu_slot_add(env.vm, &p), 0);
		fault_ok(&env, 0x10000000, PT_R);
		assert_true(mmu_translate(env.vm, mmu_env_root(&env), 0x10000, &t));
		assert_int_equal(t.attr.memtype,
				 (env.fmt->memtypes & BIT(PT_MT_DEVICE)) ? PT_MT_DEVICE : PT_MT_UC);
		check_all(&env);
		mmu_env_fini(&env);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_then_zap),
		cmocka_unit_test(zap_leaves_only),
		cmocka_unit_test(protect_splits_and_fault_upgrades),
		cmocka_unit_test(eager_split),
		cmocka_unit_test(eager_split_picture_s2),
		cmocka_unit_test(bulk_map),
		cmocka_unit_test(tables_freed_after_flush),
		cmocka_unit_test(leaf_size_by_alignment),
		cmocka_unit_test(fault_outcomes),
		cmocka_unit_test(noexec_slot),
		cmocka_unit_test(slot_memory_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
