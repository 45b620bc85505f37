/*
 * Write tracking: a tracked gfn is never mapped writable in any root, a
 * write fault on it is "emulate", huge leaves never cover it, tracking
 * counts, follows a moved slot, and (when a split cannot get memory) falls
 * back to protecting the whole huge leaf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <fake.h>
#include <hv/errno.h>

#include "capture_console.h"
#include "mmu_test.h"

#define GIB_PAGES (1ull << 18)

static struct mmu_translation xlate(struct mmu_env *env, gfn_t gfn)
{
	struct mmu_translation t = { 0 };

	assert_true(mmu_translate(env->vm, mmu_env_root(env), gfn, &t));
	return t;
}

static bool mapped(struct mmu_env *env, gfn_t gfn)
{
	struct mmu_translation t;

	return mmu_translate(env->vm, mmu_env_root(env), gfn, &t);
}

static void expect_dump(struct mmu_env *env, const char *expected)
{
	const char *got = mmu_dump_string(env->vm, mmu_env_root(env));

	if (strcmp(got, expected)) {
		print_error("expected:\n%sgot:\n%s", expected, got);
		fail();
	}
}

/*
 * Tracking a gfn inside a writable 2M leaf (EPT):
 *
 *   before                          after track(0x345)
 *   L2 [0x200-0x3ff] 2M leaf rwx    L2 [0x200-0x3ff] 2M table
 *                                     L1 [0x200-0x344] 4K x325 leaf rwx
 *                                     L1 [0x345]       4K      leaf r-x
 *                                     L1 [0x346-0x3ff] 4K x186 leaf rwx
 */
static void track_splits_and_emulates(void **state)
{
	struct mmu_env env;
	struct mmu_stats st;

	(void)state;
	mmu_env_init(&env, &pt_format_ept4, true);
	mmu_env_slot(&env, 1, 0x200, 0x200, 0x10200, 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x200000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(mmu_track_add(env.vm, 0x345), 0);
	assert_true(mmu_track_is_tracked(env.vm, 0x345));
	assert_false(mmu_track_is_tracked(env.vm, 0x344));
	expect_dump(&env, "L4 [0-0x7ffffff] 512G table @T\n"
			  "  L3 [0-0x3ffff] 1G table @T\n"
			  "    L2 [0x200-0x3ff] 2M table @T\n"
			  "      L1 [0x200-0x344] 4K x325 leaf rwxu WB -> pfn 0x10200\n"
			  "      L1 [0x345-0x345] 4K leaf r-xu WB -> pfn 0x10345\n"
			  "      L1 [0x346-0x3ff] 4K x186 leaf rwxu WB -> pfn 0x10346\n");
	assert_true(tlb_recorder_covered(&env.tlb, mmu_env_root(&env), 0x345));
	assert_int_equal(mmu_fault(env.vc, gpa(0x345000), PT_W), MMU_FAULT_EMULATE);
	assert_int_equal(mmu_fault(env.vc, gpa(0x345000), PT_R), MMU_FAULT_SPURIOUS);
	assert_int_equal(mmu_fault(env.vc, gpa(0x344000), PT_W), MMU_FAULT_SPURIOUS);

	/* Refaulting the region after a zap: 4K only, the tracked page read-only. */
	mmu_zap_range(env.vm, 0, 0x1000, 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x200000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(xlate(&env, 0x200).level, 1);
	assert_int_equal(mmu_fault(env.vc, gpa(0x345000), PT_R), MMU_FAULT_MAPPED);
	assert_false(xlate(&env, 0x345).attr.perm & PT_W);
	mmu_check_vm(env.vm, env.pages_at_start, 0);

	/* Counting: two adds need two removes. */
	assert_int_equal(mmu_track_add(env.vm, 0x345), 0);
	assert_int_equal(mmu_track_remove(env.vm, 0x345), 0);
	assert_true(mmu_track_is_tracked(env.vm, 0x345));
	assert_int_equal(mmu_fault(env.vc, gpa(0x345000), PT_W), MMU_FAULT_EMULATE);
	assert_int_equal(mmu_track_remove(env.vm, 0x345), 0);
	assert_false(mmu_track_is_tracked(env.vm, 0x345));
	assert_int_equal(mmu_track_remove(env.vm, 0x345), HV_ENOENT);
	/* Untracked: the write fault gives write back in place. */
	assert_int_equal(mmu_fault(env.vc, gpa(0x345000), PT_W), MMU_FAULT_MAPPED);
	assert_true(xlate(&env, 0x345).attr.perm & PT_W);
	/* And huge leaves are allowed again. */
	mmu_zap_range(env.vm, 0, 0x1000, 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x300000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(xlate(&env, 0x345).level, 2);

	mmu_stats_read(env.vm, &st);
	assert_int_equal(st.count[MMU_STAT_TRACK_ADD], 2);
	assert_int_equal(st.count[MMU_STAT_TRACK_REMOVE], 2);
	assert_int_equal(st.count[MMU_STAT_FAULT_EMULATE], 2);
	mmu_env_fini(&env);
}

/* A tracked gfn forbids the huge leaves that would contain it, and only those. */
static void track_limits_leaf_size(void **state)
{
	for (unsigned i = 0; i < mmu_test_format_count; i++) {
		const struct pt_format *f = mmu_test_formats[i];
		struct mmu_env env;

		(void)state;
		mmu_env_init(&env, f, true);
		mmu_env_slot(&env, 1, 0x40000, 2 * GIB_PAGES, 0x40000, 0);
		assert_int_equal(mmu_track_add(env.vm, 0x40401), 0);
		/* Same 1G, other 2M: 2M (or 4K where the format has no 2M leaf). */
		assert_int_equal(mmu_fault(env.vc, gpa(0x50000000), PT_W), MMU_FAULT_MAPPED);
		assert_int_equal(xlate(&env, 0x50000).level, pt_level_can_be_leaf(f, 2) ? 2 : 1);
		/* Same 2M: 4K. */
		assert_int_equal(mmu_fault(env.vc, gpa(0x40400000), PT_W), MMU_FAULT_MAPPED);
		assert_int_equal(xlate(&env, 0x40400).level, 1);
		assert_int_equal(mmu_fault(env.vc, gpa(0x40401000), PT_W), MMU_FAULT_EMULATE);
		/* The other 1G: 1G. */
		assert_int_equal(mmu_fault(env.vc, gpa(0x80000000), PT_W), MMU_FAULT_MAPPED);
		assert_int_equal(xlate(&env, 0x80000).level, 3);
		mmu_check_vm(env.vm, env.pages_at_start, 0);
		mmu_env_fini(&env);
	}
}

/* Tracking protects the gfn in every root, valid or invalidated-but-in-use. */
static void track_every_root(void **state)
{
	struct mmu_vcpu *smm, *stale;
	struct mmu_root *old;
	struct mmu_translation t;
	struct mmu_env env;

	(void)state;
	mmu_env_init(&env, &pt_format_npt5, true);
	mmu_env_slot(&env, 1, 0x1000, 0x1000, 0x1000, 0);
	smm = mmu_vcpu_create(env.vm);
	stale = mmu_vcpu_create(env.vm);
	assert_int_equal(mmu_vcpu_load_root(smm, mmu_role_make(5, MMU_ROLE_SMM)), 0);
	assert_int_equal(mmu_vcpu_load_root(stale, env.role), 0);
	old = mmu_vcpu_root(stale);
	assert_int_equal(mmu_fault(stale, gpa(0x1234000), PT_W), MMU_FAULT_MAPPED);
	mmu_invalidate_all_roots(env.vm);
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role), 0);
	assert_int_equal(mmu_vcpu_load_root(smm, mmu_role_make(5, MMU_ROLE_SMM)), 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x1234000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(mmu_fault(smm, gpa(0x1234000), PT_W), MMU_FAULT_MAPPED);

	assert_int_equal(mmu_track_add(env.vm, 0x1234), 0);
	assert_true(mmu_translate(env.vm, old, 0x1234, &t));
	assert_false(t.attr.perm & PT_W);
	assert_true(mmu_translate(env.vm, mmu_vcpu_root(smm), 0x1234, &t));
	assert_false(t.attr.perm & PT_W);
	assert_false(xlate(&env, 0x1234).attr.perm & PT_W);
	assert_true(xlate(&env, 0x1233).attr.perm & PT_W);
	mmu_check_vm(env.vm, env.pages_at_start, 0);
	mmu_vcpu_destroy(smm);
	mmu_vcpu_destroy(stale);
	mmu_env_fini(&env);
}

static void track_errors_and_move(void **state)
{
	struct mmu_env env;

	(void)state;
	mmu_env_init(&env, &pt_format_s2_40, true);
	mmu_env_slot(&env, 1, 0x40000, GIB_PAGES, 0x40000, 0);
	mmu_env_slot(&env, 2, 0x100000, 0x10, 0, MMU_SLOT_MMIO);
	capture_console_start();
	assert_int_equal(mmu_track_add(env.vm, 0x10), HV_ENOENT);
	assert_int_equal(mmu_track_add(env.vm, 0x100001), HV_ENOENT);
	capture_console_stop();
	assert_non_null(strstr(capture_console_text(), "track gfn 0x10: no backed slot"));
	assert_int_equal(mmu_track_remove(env.vm, 0x40000), HV_ENOENT);

	/* Track, then move the slot by 2M: the tracked page moves with it. */
	assert_int_equal(mmu_track_add(env.vm, 0x40001), 0);
	assert_int_equal(mmu_slot_move(env.vm, 1, gpa(0x40200000ull + (1ull << 30))), 0);
	assert_false(mmu_track_is_tracked(env.vm, 0x40001));
	assert_true(mmu_track_is_tracked(env.vm, 0x80201));
	assert_int_equal(mmu_fault(env.vc, gpa(0x80201000), PT_W), MMU_FAULT_EMULATE);
	/* The region counters were rebuilt for the new alignment. */
	assert_int_equal(mmu_fault(env.vc, gpa(0x80200000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(xlate(&env, 0x80200).level, 1);
	assert_int_equal(mmu_fault(env.vc, gpa(0x80400000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(xlate(&env, 0x80400).level, 2);
	assert_int_equal(mmu_track_remove(env.vm, 0x80201), 0);
	mmu_check_vm(env.vm, env.pages_at_start, 0);
	mmu_env_fini(&env);
}

/*
 * No memory for the split when tracking starts: the whole 2M leaf loses
 * write instead (never less protection than asked), and a later write fault
 * elsewhere in it splits it once memory is back.
 */
static void track_split_without_memory(void **state)
{
	struct mmu_env env;
	struct mmu_stats st;

	(void)state;
	mmu_env_init(&env, &pt_format_ept5, true);
	mmu_env_slot(&env, 1, 0x200, 0x200, 0x10200, 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x200000), PT_W), MMU_FAULT_MAPPED);
	/*
	 * The slot's counters take 1 + (PT_MAX_LEVELS - 1) allocations (per-gfn
	 * counts, then one region array per huge level); the split's page fails.
	 */
	page_alloc_fail_after(1 + (PT_MAX_LEVELS - 1));
	assert_int_equal(mmu_track_add(env.vm, 0x2a0), 0);
	page_alloc_fail_after(-1);
	assert_int_equal(xlate(&env, 0x2a0).level, 2);
	assert_false(xlate(&env, 0x2a0).attr.perm & PT_W);
	mmu_stats_read(env.vm, &st);
	assert_int_equal(st.count[MMU_STAT_SPLIT_NOMEM], 1);
	mmu_check_vm(env.vm, env.pages_at_start, 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x2a0000), PT_W), MMU_FAULT_EMULATE);
	assert_int_equal(mmu_fault(env.vc, gpa(0x2a1000), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(xlate(&env, 0x2a1).level, 1);
	assert_true(xlate(&env, 0x2a1).attr.perm & PT_W);
	assert_false(xlate(&env, 0x2a0).attr.perm & PT_W);
	mmu_check_vm(env.vm, env.pages_at_start, 0);
	assert_true(mapped(&env, 0x3ff));
	mmu_env_fini(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(track_splits_and_emulates),
		cmocka_unit_test(track_limits_leaf_size),
		cmocka_unit_test(track_every_root),
		cmocka_unit_test(track_errors_and_move),
		cmocka_unit_test(track_split_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
