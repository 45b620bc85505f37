/*
 * Roots (seed 002): the MMU's own reference preserves a root across a
 * vCPU's unload-all, so reloading allocates nothing and takes no fault; the
 * per-vCPU cache keeps the current root and three previous ones in
 * most-recent-first order; invalidated roots are freed exactly once, by
 * their last user; one valid root per role.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mm.h>

#include "capture_console.h"
#include "mmu_test.h"

static void map_some(struct mmu_env *env, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(mmu_fault(env->vc, gfn_to_gpa(0x100 + i * 0x201), PT_W),
				 MMU_FAULT_MAPPED);
}

static u64 stat(struct mmu_vm *vm, enum mmu_stat s)
{
	struct mmu_stats st;

	mmu_stats_read(vm, &st);
	return st.count[s];
}

/*
 * Map, unload every root, reload: the same root comes back with its
 * mappings. No page is allocated, every earlier fault is now spurious.
 */
static void reload_after_unload_all(void **state)
{
	for (unsigned i = 0; i < mmu_test_format_count; i++) {
		struct mmu_env env;
		hpa_t before;
		u64 pages, mapped;

		(void)state;
		mmu_env_init(&env, mmu_test_formats[i], true);
		mmu_env_slot(&env, 1, 0, 0x10000, 0x200000, 0);
		mmu_vm_set_max_level(env.vm, 1);
		map_some(&env, 20);
		before = mmu_root_hpa(mmu_env_root(&env));
		mapped = stat(env.vm, MMU_STAT_FAULT_MAPPED);

		mmu_vcpu_unload_all(env.vc);
		assert_null(mmu_vcpu_root(env.vc));
		pages = page_alloc_outstanding();
		assert_int_equal(mmu_vcpu_load_root(env.vc, env.role), 0);
		assert_int_equal(page_alloc_outstanding(), pages);
		assert_int_equal(hpa_val(mmu_root_hpa(mmu_env_root(&env))), hpa_val(before));
		assert_int_equal(stat(env.vm, MMU_STAT_ROOT_HIT_VM), 1);
		assert_int_equal(stat(env.vm, MMU_STAT_ROOT_CREATE), 1);
		/* The hardware walk would find every page: no fault would be taken... */
		for (unsigned k = 0; k < 20; k++) {
			struct mmu_translation t;

			assert_true(
			    mmu_translate(env.vm, mmu_env_root(&env), 0x100 + k * 0x201, &t));
			assert_int_equal(t.pfn, 0x200000 + 0x100 + k * 0x201);
		}
		/* ...and one taken anyway is spurious. */
		for (unsigned k = 0; k < 20; k++)
			assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(0x100 + k * 0x201), PT_W),
					 MMU_FAULT_SPURIOUS);
		assert_int_equal(stat(env.vm, MMU_STAT_FAULT_MAPPED), mapped);
		mmu_check_vm(env.vm, env.pages_at_start, 0);
		mmu_env_fini(&env);
	}
}

/* The same workload without preservation: the root dies and is rebuilt. */
static void reload_without_preservation(void **state)
{
	struct mmu_env env;
	hpa_t before;

	(void)state;
	mmu_env_init(&env, &pt_format_ept4, false);
	mmu_env_slot(&env, 1, 0, 0x10000, 0x200000, 0);
	mmu_vm_set_max_level(env.vm, 1);
	map_some(&env, 20);
	before = mmu_root_hpa(mmu_env_root(&env));
	(void)before;
	mmu_vcpu_unload_all(env.vc);
	assert_int_equal(stat(env.vm, MMU_STAT_ROOT_FREE), 1);
	assert_int_equal(page_alloc_outstanding(), env.pages_at_start);
	/* The dying root was flushed as a whole before its pages went. */
	assert_int_equal(env.tlb.log[env.tlb.logged - 1].count, 0);
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role), 0);
	assert_int_equal(stat(env.vm, MMU_STAT_ROOT_MISS), 2);
	for (unsigned k = 0; k < 20; k++)
		assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(0x100 + k * 0x201), PT_W),
				 MMU_FAULT_MAPPED);
	mmu_env_fini(&env);
}

static mmu_role_t role_n(unsigned n)
{
	static const u32 flags[4] = { 0, MMU_ROLE_SMM, MMU_ROLE_GUEST_MODE, MMU_ROLE_MIRROR };

	return mmu_role_make(4 + (n & 1), flags[(n >> 1) & 3]);
}

static void expect_cache(struct mmu_vcpu *vc, unsigned n, const unsigned *want)
{
	mmu_role_t roles[1 + MMU_PREV_ROOTS];

	assert_int_equal(mmu_vcpu_cached_roles(vc, roles), n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(roles[i], role_n(want[i]));
}

struct two_level_vm {
	struct tlb_recorder tlb;
	struct mmu_vm *vm;
	u64 pages;
};

static void two_level_vm_init(struct two_level_vm *t, bool preserve)
{
	struct mmu_vm_config cfg = {
		.name = "roots",
		.no_root_preserve = !preserve,
		.tlb_flush = tlb_recorder_flush,
		.tlb_arg = &t->tlb,
	};
	int err;

	memset(t, 0, sizeof(*t));
	t->pages = page_alloc_outstanding();
	cfg.formats[4] = &pt_format_ept4;
	cfg.formats[5] = &pt_format_ept5;
	t->vm = mmu_vm_create(&cfg, &err);
	assert_non_null(t->vm);
}

/*
 * Loads of roles 0..4 then 2, 0, 0 (roles differ in levels, SMM, guest
 * mode, mirror). The cache is current + 3 previous, most recent first:
 *
 *   load 0: [0]            load 3: [3 2 1 0]
 *   load 1: [1 0]          load 4: [4 3 2 1]   0 evicted (kept by the MMU)
 *   load 2: [2 1 0]        load 2: [2 4 3 1]   promoted from the cache
 *                          load 0: [0 2 4 3]   found in the VM, 1 evicted
 *                          load 0: [0 2 4 3]   current
 */
static void previous_root_rotation(void **state)
{
	struct two_level_vm t;
	struct mmu_vcpu *vc;
	struct mmu_stats st;
	hpa_t root0;

	(void)state;
	two_level_vm_init(&t, true);
	vc = mmu_vcpu_create(t.vm);
	for (unsigned n = 0; n < 5; n++) {
		assert_int_equal(mmu_vcpu_load_root(vc, role_n(n)), 0);
		if (n == 0)
			root0 = mmu_root_hpa(mmu_vcpu_root(vc));
	}
	expect_cache(vc, 4, (const unsigned[]){ 4, 3, 2, 1 });
	assert_int_equal(mmu_vcpu_load_root(vc, role_n(2)), 0);
	expect_cache(vc, 4, (const unsigned[]){ 2, 4, 3, 1 });
	assert_int_equal(mmu_vcpu_load_root(vc, role_n(0)), 0);
	expect_cache(vc, 4, (const unsigned[]){ 0, 2, 4, 3 });
	assert_int_equal(hpa_val(mmu_root_hpa(mmu_vcpu_root(vc))), hpa_val(root0));
	assert_int_equal(mmu_vcpu_load_root(vc, role_n(0)), 0);
	expect_cache(vc, 4, (const unsigned[]){ 0, 2, 4, 3 });

	mmu_stats_read(t.vm, &st);
	assert_int_equal(st.count[MMU_STAT_ROOT_MISS], 5);
	assert_int_equal(st.count[MMU_STAT_ROOT_CREATE], 5);
	assert_int_equal(st.count[MMU_STAT_ROOT_HIT_PREV], 1);
	assert_int_equal(st.count[MMU_STAT_ROOT_HIT_VM], 1);
	assert_int_equal(st.count[MMU_STAT_ROOT_HIT_CURRENT], 1);
	assert_int_equal(st.count[MMU_STAT_ROOT_EVICT], 2);
	assert_int_equal(st.count[MMU_STAT_ROOT_FREE], 0);
	/* One valid root per role in use, no more. */
	assert_int_equal(st.roots_valid, 5);
	assert_int_equal(st.roots, 5);

	/* A second vCPU finds the same roots. */
	{
		struct mmu_vcpu *vc2 = mmu_vcpu_create(t.vm);
		u64 pages = page_alloc_outstanding();

		for (unsigned n = 0; n < 5; n++)
			assert_int_equal(mmu_vcpu_load_root(vc2, role_n(n)), 0);
		assert_int_equal(page_alloc_outstanding(), pages);
		mmu_stats_read(t.vm, &st);
		assert_int_equal(st.roots, 5);
		mmu_vcpu_destroy(vc2);
	}
	mmu_vcpu_destroy(vc);
	mmu_vm_destroy(t.vm);
	assert_int_equal(page_alloc_outstanding(), t.pages);
}

/* Promotion when the current root was dropped as invalid keeps the order of the rest. */
static void rotation_after_invalidation(void **state)
{
	struct two_level_vm t;
	struct mmu_vcpu *vc;

	(void)state;
	two_level_vm_init(&t, true);
	vc = mmu_vcpu_create(t.vm);
	for (unsigned n = 0; n < 4; n++)
		assert_int_equal(mmu_vcpu_load_root(vc, role_n(n)), 0);
	expect_cache(vc, 4, (const unsigned[]){ 3, 2, 1, 0 });
	mmu_invalidate_all_roots(t.vm);
	assert_false(mmu_vcpu_root_is_valid(vc));
	/* Every cached root is invalid now: all dropped (and freed), a new one made. */
	assert_int_equal(mmu_vcpu_load_root(vc, role_n(1)), 0);
	expect_cache(vc, 1, (const unsigned[]){ 1 });
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_FREE), 4);
	mmu_vcpu_destroy(vc);
	mmu_vm_destroy(t.vm);
	assert_int_equal(page_alloc_outstanding(), t.pages);
}

/*
 * Two vCPUs on one root; invalidate; the root lives while either holds it
 * and is freed exactly once, by whichever lets go last. Then a new root is
 * made for the same role.
 */
static void invalidated_root_freed_once(void **state)
{
	struct two_level_vm t;
	struct mmu_vcpu *a, *b;
	const struct mmu_root *old;
	struct mmu_stats st;

	(void)state;
	two_level_vm_init(&t, true);
	a = mmu_vcpu_create(t.vm);
	b = mmu_vcpu_create(t.vm);
	assert_int_equal(mmu_vcpu_load_root(a, role_n(0)), 0);
	assert_int_equal(mmu_vcpu_load_root(b, role_n(0)), 0);
	old = mmu_vcpu_root(a);
	assert_ptr_equal(mmu_vcpu_root(b), old);

	mmu_invalidate_all_roots(t.vm);
	mmu_invalidate_all_roots(t.vm); /* again: nothing more to drop */
	mmu_stats_read(t.vm, &st);
	assert_int_equal(st.count[MMU_STAT_ROOT_INVALIDATE], 1);
	assert_int_equal(st.count[MMU_STAT_ROOT_FREE], 0);
	assert_int_equal(st.roots, 1);
	assert_int_equal(st.roots_valid, 0);
	assert_false(mmu_root_is_valid(old));

	mmu_vcpu_unload_all(a);
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_FREE), 0);
	tlb_recorder_reset(&t.tlb);
	/* b's load drops the invalid root (the last reference: freed) and makes a new one. */
	assert_int_equal(mmu_vcpu_load_root(b, role_n(0)), 0);
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_FREE), 1);
	assert_true(tlb_recorder_covered(&t.tlb, old, 0));
	mmu_stats_read(t.vm, &st);
	assert_int_equal(st.roots, 1);
	assert_int_equal(st.roots_valid, 1);
	assert_int_equal(st.count[MMU_STAT_ROOT_CREATE], 2);

	mmu_vcpu_unload_all(b);
	mmu_vcpu_unload_all(b);
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_FREE), 1); /* still preserved */
	mmu_invalidate_all_roots(t.vm);
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_FREE), 2); /* no user: freed now */
	mmu_stats_read(t.vm, &st);
	assert_int_equal(st.roots, 0);
	assert_int_equal(st.tables, 0);
	mmu_vcpu_destroy(a);
	mmu_vcpu_destroy(b);
	mmu_vm_destroy(t.vm);
	assert_int_equal(page_alloc_outstanding(), t.pages);
}

/* Without preservation a root dies with its last user, valid or not. */
static void no_preserve_roots_die_with_users(void **state)
{
	struct two_level_vm t;
	struct mmu_vcpu *a, *b;

	(void)state;
	two_level_vm_init(&t, false);
	a = mmu_vcpu_create(t.vm);
	b = mmu_vcpu_create(t.vm);
	assert_int_equal(mmu_vcpu_load_root(a, role_n(1)), 0);
	assert_int_equal(mmu_vcpu_load_root(b, role_n(1)), 0);
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_CREATE), 1);
	mmu_vcpu_unload_all(a);
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_FREE), 0);
	mmu_vcpu_unload_all(b);
	assert_int_equal(stat(t.vm, MMU_STAT_ROOT_FREE), 1);
	assert_int_equal(page_alloc_outstanding(), t.pages);
	mmu_vcpu_destroy(a);
	mmu_vcpu_destroy(b);
	mmu_vm_destroy(t.vm);
}

static void bad_role_and_geometry(void **state)
{
	struct mmu_env env;

	(void)state;
	mmu_env_init(&env, &pt_format_s2_40, true);
	/* The stage-2 root is two pages, 8 KiB aligned. */
	assert_int_equal(hpa_val(mmu_root_hpa(mmu_env_root(&env))) & (2 * PAGE_SIZE - 1), 0);
	capture_console_start();
	assert_int_equal(mmu_vcpu_load_root(env.vc, mmu_role_make(4, 0)), HV_EINVAL);
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role | BIT(12)), HV_EINVAL);
	capture_console_stop();
	assert_non_null(strstr(capture_console_text(), "no root format"));
	/* The failed loads left the current root alone. */
	assert_true(mmu_vcpu_root_is_valid(env.vc));
	assert_int_equal(mmu_root_role(mmu_env_root(&env)), env.role);
	mmu_env_fini(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reload_after_unload_all),
		cmocka_unit_test(reload_without_preservation),
		cmocka_unit_test(previous_root_rotation),
		cmocka_unit_test(rotation_after_invalidation),
		cmocka_unit_test(invalidated_root_freed_once),
		cmocka_unit_test(no_preserve_roots_die_with_users),
		cmocka_unit_test(bad_role_and_geometry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
