/*
 * The mirror role's protocol (docs/mirror.md) on every format, with the
 * trusted table module as the external table. After every step the mirror
 * and the external table are compared entry by entry (mirror_check_agree:
 * same leaves, tables in the same places, nothing frozen, and the module's
 * own audit).
 *
 *   transitions      map leaf, link table, split, change leaf, remove leaf,
 *                    remove table, each with the exact hook calls counted,
 *                    in exclusive and in shared mode
 *   merge            table -> leaf refused (HV_EPERM, logged, nothing called)
 *   rollback         each kind failing: nothing changes, nothing stays frozen
 *   teardown order   a failure while a table is being emptied puts back the
 *                    parent's pointer to a child that is still alive (never a
 *                    released one), and what was removed stays removed
 *   bounds           a hook that always fails costs a bounded number of calls
 *                    and ends in an error (zap, protect, split, bulk map, fault,
 *                    slot delete, write tracking)
 *   roles            mirror roots need the hook, are unique, survive
 *                    invalidation and unloading, die (through the hook) with
 *                    the VM; a refused teardown is forced and counted
 *   comparator       mmu_mirror_compare (what a protected VM runs at its
 *                    stop) finds each kind of difference made behind the
 *                    mirror's back through the module's own calls
 *
 * Pictures: for the 4-level formats with max level 1, one fault at gfn g
 * links three tables and maps one leaf:
 *
 *   L4 [0] table --> L3 [1] table --> L2 [0] table --> L1 [g & 511] leaf
 *      LINK_TABLE       LINK_TABLE       LINK_TABLE       MAP_LEAF
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mm.h>
#include <hv/tmod_hook.h>

#include "../../vmm/mmu/pt_change.h"
#include "capture_console.h"
#include "mirror_test.h"

#define GIB_PAGES (1ull << 18)
#define SLOT_GFN  0x40000ull  /* 1 GiB-aligned */
#define SLOT_PFN  0x100000ull /* congruent with the gfns modulo 1 GiB */
#define G         (SLOT_GFN + 0x12345)

struct mode {
	const struct pt_format *fmt;
	u32 flags; /* 0 (write lock) or MMU_OP_SHARED */
};

static struct mmu_stats snap;

static void snapshot(struct mirror_env *env)
{
	mmu_stats_read(env->vm, &snap);
}

static u64 delta(struct mirror_env *env, enum mmu_stat s)
{
	return mirror_stat(env->vm, s) - snap.count[s];
}

static u64 hook_calls(struct mirror_env *env)
{
	static const enum mmu_stat kinds[] = {
		MMU_STAT_MIRROR_MAP_LEAF,    MMU_STAT_MIRROR_LINK_TABLE,
		MMU_STAT_MIRROR_SPLIT,       MMU_STAT_MIRROR_CHANGE_LEAF,
		MMU_STAT_MIRROR_REMOVE_LEAF, MMU_STAT_MIRROR_REMOVE_TABLE,
	};
	u64 n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++)
		n += delta(env, kinds[i]);
	return n;
}

static void inject(struct mirror_env *env, enum tmod_inject_mode mode, u32 skip, u32 every, int err)
{
	struct tmod_inject inj = { .mode = mode, .skip = skip, .every = every, .err = err };

	tmod_set_inject(env->tmod, &inj);
}

static void inject_off(struct mirror_env *env)
{
	inject(env, TMOD_INJECT_OFF, 0, 0, 0);
}

static int level_of(struct mirror_env *env, gfn_t gfn, struct mmu_translation *t)
{
	if (!mmu_translate(env->vm, mirror_env_root(env), gfn, t))
		return 0;
	return t->level;
}

static void setup(struct mirror_env *env, const struct pt_format *f)
{
	mirror_env_init(env, f, true);
	mirror_env_slot(env, 1, SLOT_GFN, GIB_PAGES, SLOT_PFN, 0);
}

/* --- every transition, with the hook calls it takes ------------------------------------ */

static void transitions(void **state)
{
	const struct mode *m = *state;
	const struct pt_format *f = m->fmt;
	int splits_4k = pt_level_can_be_leaf(f, 2) ? 2 : 1; /* 1G -> 2M -> 4K, or 1G -> 4K */
	struct mirror_env env;
	struct mmu_translation t;
	struct tmod_stats ts;
	u64 mapped;

	setup(&env, f);

	/* Map leaf, link table: a 4K leaf needs a table at every level below the root. */
	mmu_vm_set_max_level(env.vm, 1);
	snapshot(&env);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_R), MMU_FAULT_MAPPED);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_LINK_TABLE), f->levels - 1);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_MAP_LEAF), 1);
	mirror_check_agree(&env);

	/* Bulk mapping maps entry by entry through the hook (no bulk hole filling). */
	snapshot(&env);
	assert_int_equal(mmu_map_range(env.vc, G + 1, 150, PT_R, m->flags, &mapped), 0);
	assert_int_equal(mapped, 150);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_MAP_LEAF), 150);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_LINK_TABLE), 0); /* same 4K table */
	mirror_check_agree(&env);

	/* Remove leaf. */
	snapshot(&env);
	assert_int_equal(mmu_zap_range(env.vm, G, 1, m->flags | MMU_ZAP_LEAVES_ONLY), 0);
	assert_int_equal(hook_calls(&env), 1);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_REMOVE_LEAF), 1);
	assert_int_equal(level_of(&env, G, &t), 0);
	mirror_check_agree(&env);

	/* Remove table: the 150 leaves first, then each table, bottom-up. */
	snapshot(&env);
	assert_int_equal(mmu_zap_range(env.vm, 0, pt_gfn_limit(f), m->flags), 0);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_REMOVE_LEAF), 150);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_REMOVE_TABLE), f->levels - 1);
	mirror_check_agree(&env);
	tmod_stats_read(env.tmod, &ts);
	assert_int_equal(ts.tables, 0);
	assert_int_equal(ts.leaves, 0);

	/* A 1 GiB leaf: links only above level 3. */
	mmu_vm_set_max_level(env.vm, 0);
	snapshot(&env);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_R), MMU_FAULT_MAPPED);
	assert_int_equal(level_of(&env, G, &t), 3);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_LINK_TABLE), f->levels - 3);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_MAP_LEAF), 1);
	mirror_check_agree(&env);

	/* Split and change leaf: protecting one gfn splits down to 4K, then drops write. */
	snapshot(&env);
	assert_int_equal(mmu_protect_range(env.vm, G, 1, m->flags), 0);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_SPLIT), splits_4k);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_CHANGE_LEAF), 1);
	assert_int_equal(level_of(&env, G, &t), 1);
	assert_false(t.attr.perm & PT_W);
	assert_true(level_of(&env, G + 1, &t) && (t.attr.perm & PT_W));
	mirror_check_agree(&env);

	/* Change leaf the other way: a write fault upgrades the protected leaf. */
	snapshot(&env);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_W), MMU_FAULT_MAPPED);
	assert_int_equal(hook_calls(&env), 1);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_CHANGE_LEAF), 1);
	mirror_check_agree(&env);

	/* Eager split of what is left (2M leaves, if the format has them). */
	snapshot(&env);
	assert_int_equal(mmu_split_range(env.vm, SLOT_GFN, GIB_PAGES, 1, m->flags), 0);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_SPLIT), splits_4k == 2 ? PT_ENTRIES - 1 : 0);
	mirror_check_agree(&env);

	/* Everything goes: 2^18 leaves, then the tables. */
	snapshot(&env);
	assert_int_equal(mmu_zap_range(env.vm, 0, pt_gfn_limit(f), m->flags), 0);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_REMOVE_LEAF), GIB_PAGES);
	mirror_check_agree(&env);
	tmod_stats_read(env.tmod, &ts);
	assert_int_equal(ts.tables, 0);
	assert_int_equal(ts.leaves, 0);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_HOOK_FAIL), 0);
	mirror_check_vm(&env);
	mirror_env_fini(&env, true);
}

/* --- merge refused ----------------------------------------------------------------------- */

/*
 * The engine never asks for a merge; drive pt_set() directly, white-box,
 * with the entry of the level-2 table that points to the 4K table:
 *
 *   before:  L2 [G] table -> L1 [G] leaf       asked:  L2 [G] 2M leaf
 *   after:   unchanged, HV_EPERM, MIRROR_MERGE_REFUSED + 1, no hook call
 */
static void merge_refused(void **state)
{
	const struct mode *m = *state;
	const struct pt_format *f = m->fmt;
	int level = pt_level_can_be_leaf(f, 2) ? 2 : 3;
	struct mirror_env env;
	struct pt_ctx ctx;
	struct pt_iter it;
	pte_t leaf, before;
	int r;

	setup(&env, f);
	mmu_vm_set_max_level(env.vm, 1);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_R), MMU_FAULT_MAPPED);
	assert_true(mmu_test_peek(mirror_env_root(&env), G, level, &before));
	assert_true(pte_is_table(f, before, level));
	leaf = make_leaf_pte(
	    f, pt_leaf_template(f, (struct pt_attr){ PT_R | PT_W, PT_MT_WB, 0 }, level),
	    SLOT_PFN + ALIGN_DOWN(G - SLOT_GFN, pt_level_pages(level)));

	snapshot(&env);
	if (m->flags)
		mmu_read_lock(env.vm);
	else
		mmu_write_lock(env.vm);
	pt_ctx_init(&ctx, env.vm, mirror_env_root(&env), m->flags != 0);
	pt_iter_start(&it, f, mirror_env_root(&env)->table, G, G + 1, level);
	while (it.level > level)
		assert_true(pt_iter_down(&it));
	capture_console_start();
	r = pt_set(&ctx, &it, leaf);
	capture_console_stop();
	pt_ctx_finish(&ctx);
	if (m->flags)
		mmu_read_unlock(env.vm);
	else
		mmu_write_unlock(env.vm);

	assert_int_equal(r, HV_EPERM);
	assert_non_null(strstr(capture_console_text(), "refusing to merge"));
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_MERGE_REFUSED), 1);
	assert_int_equal(hook_calls(&env), 0);
	{
		pte_t after;

		assert_true(mmu_test_peek(mirror_env_root(&env), G, level, &after));
		assert_int_equal(after, before);
	}
	mirror_check_agree(&env);
	mirror_env_fini(&env, true);
}

/* --- every kind failing -------------------------------------------------------------------- */

static void expect_same_tree(struct mirror_env *env, const char *before)
{
	const char *now = mmu_dump_string(env->vm, mirror_env_root(env));

	if (strcmp(now, before)) {
		print_error("before:\n%safter:\n%s", before, now);
		fail();
	}
}

/*
 * With the hook failing every time, each operation fails after a bounded
 * number of calls and leaves both tables exactly as they were.
 */
static void failures_change_nothing(void **state)
{
	const struct mode *m = *state;
	const struct pt_format *f = m->fmt;
	struct mirror_env env;
	struct mmu_slot_info si;
	static char before[1 << 16];
	u64 mapped;

	setup(&env, f);
	/* Some of each: a 1G leaf, a 4K table with two leaves. */
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_R), MMU_FAULT_MAPPED);
	mmu_vm_set_max_level(env.vm, 1);
	mirror_env_slot(&env, 2, 4 * GIB_PAGES, 0x400, 0x900000, 0);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(4 * GIB_PAGES + 7), PT_R), MMU_FAULT_MAPPED);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(4 * GIB_PAGES + 8), PT_R), MMU_FAULT_MAPPED);
	mirror_check_agree(&env);
	strcpy(before, mmu_dump_string(env.vm, mirror_env_root(&env)));
	inject(&env, TMOD_INJECT_EVERY, 0, 1, 0);

	/* Map leaf / link table (fault): at most 9 tries (8 races), then RETRY. */
	snapshot(&env);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(4 * GIB_PAGES + 9), PT_R), MMU_FAULT_RETRY);
	assert_int_equal(hook_calls(&env), 9);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_HOOK_FAIL), 9);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_ROLLBACK), 9); /* faults are shared */
	snapshot(&env);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(2 * GIB_PAGES), PT_R), MMU_FAULT_MMIO);
	assert_int_equal(hook_calls(&env), 0);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);

	/* Map leaf (bulk): the first entry fails MMU_MIRROR_TRIES times, then the error. */
	snapshot(&env);
	assert_int_equal(mmu_map_range(env.vc, 4 * GIB_PAGES, 16, PT_R, m->flags, &mapped),
			 HV_EBUSY);
	assert_int_equal(hook_calls(&env), MMU_MIRROR_TRIES);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_GAVE_UP), 1);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);

	/* Remove leaf: each of the two leaves is tried MMU_MIRROR_TRIES times. */
	snapshot(&env);
	assert_int_equal(
	    mmu_zap_range(env.vm, 4 * GIB_PAGES, 0x400, m->flags | MMU_ZAP_LEAVES_ONLY), HV_EBUSY);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_REMOVE_LEAF), 2 * MMU_MIRROR_TRIES);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_GAVE_UP), 2);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_ROLLBACK),
			 m->flags ? 2 * MMU_MIRROR_TRIES : 0);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);

	/* Remove table: the first leaf of the subtree fails; the walk then tries each leaf. */
	snapshot(&env);
	assert_int_equal(mmu_zap_range(env.vm, 0, pt_gfn_limit(f), m->flags), HV_EBUSY);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_REMOVE_TABLE), 0);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);

	/* Split and change leaf (protect part of the 1G leaf). */
	snapshot(&env);
	assert_int_equal(mmu_protect_range(env.vm, G, 1, m->flags), HV_EBUSY);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_SPLIT), MMU_MIRROR_TRIES);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_CHANGE_LEAF), MMU_MIRROR_TRIES);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);

	/* Eager split. */
	snapshot(&env);
	assert_int_equal(mmu_split_range(env.vm, SLOT_GFN, GIB_PAGES, 1, m->flags), HV_EBUSY);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_SPLIT), MMU_MIRROR_TRIES);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);

	/* Write tracking needs the protect: refused, the gfn stays untracked. */
	capture_console_start();
	assert_int_equal(mmu_track_add(env.vm, 4 * GIB_PAGES + 7), HV_EBUSY);
	capture_console_stop();
	assert_false(mmu_track_is_tracked(env.vm, 4 * GIB_PAGES + 7));
	expect_same_tree(&env, before);

	/* Slot delete needs the zap: refused, the slot and its mappings stay. */
	capture_console_start();
	assert_int_equal(mmu_slot_delete(env.vm, 2), HV_EBUSY);
	assert_int_equal(mmu_slot_move(env.vm, 2, gfn_to_gpa(8 * GIB_PAGES)), HV_EBUSY);
	capture_console_stop();
	assert_true(mmu_slot_find(env.vm, 4 * GIB_PAGES, &si));
	assert_int_equal(si.base_gfn, 4 * GIB_PAGES);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);
	mirror_check_vm(&env);

	/* A refusal (not busy) is not retried: one call, and the fault says EXTERNAL. */
	inject(&env, TMOD_INJECT_EVERY, 0, 1, HV_EPERM);
	snapshot(&env);
	capture_console_start();
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(4 * GIB_PAGES + 9), PT_R),
			 MMU_FAULT_EXTERNAL);
	assert_int_equal(mmu_zap_range(env.vm, 4 * GIB_PAGES + 7, 1, m->flags), HV_EPERM);
	capture_console_stop();
	assert_int_equal(hook_calls(&env), 2);
	expect_same_tree(&env, before);
	mirror_check_agree(&env);

	/* Once the module works again, everything goes through. */
	inject_off(&env);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(4 * GIB_PAGES + 9), PT_R), MMU_FAULT_MAPPED);
	assert_int_equal(mmu_slot_delete(env.vm, 2), 0);
	assert_int_equal(mmu_protect_range(env.vm, G, 1, m->flags), 0);
	mirror_check_agree(&env);
	mirror_env_fini(&env, true);
}

/* --- teardown order: never a released child back --------------------------------------- */

/*
 * Three 4K leaves in one level-1 table T1, under T2 (level 2) and the
 * tables above. Zap the 1 GiB around them (tables included) with the hook
 * failing from call n on:
 *
 *   n = 1: the first leaf's removal fails: nothing removed
 *   n = 2: leaf 1 removed; leaf 2 fails: leaves 2 and 3 stay, T1 and every
 *          pointer to it put back
 *   n = 4: the three leaves removed; T1's removal fails: T1 stays linked,
 *          alive and empty
 *   n = 5: T1 removed and retired; T2's removal fails: T2 stays linked,
 *          alive and empty
 *
 * In every case the zap reports the error, the table pointers in the
 * mirror are the ones from before (ASan would catch a released one on
 * the comparator's walk), no table page was freed but the ones whose own
 * removal succeeded, and the two tables agree.
 */
static void teardown_order(void **state)
{
	const struct mode *m = *state;
	const struct pt_format *f = m->fmt;
	static const u32 fail_from[] = { 1, 2, 4, 5 };

	for (unsigned k = 0; k < ARRAY_SIZE(fail_from); k++) {
		u32 n = fail_from[k];
		struct mirror_env env;
		struct mmu_translation t;
		pte_t t1_before, t1_after, t2_before, t2_after;
		u64 freed;

		setup(&env, f);
		mmu_vm_set_max_level(env.vm, 1);
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G + i), PT_R),
					 MMU_FAULT_MAPPED);
		assert_true(mmu_test_peek(mirror_env_root(&env), G, 2, &t1_before));
		assert_true(mmu_test_peek(mirror_env_root(&env), G, 3, &t2_before));

		inject(&env, TMOD_INJECT_EVERY, n - 1, 1, 0);
		snapshot(&env);
		assert_int_equal(mmu_zap_range(env.vm, SLOT_GFN, GIB_PAGES, m->flags), HV_EBUSY);
		freed = delta(&env, MMU_STAT_TABLE_FREE);
		if (!m->flags)
			assert_int_equal(freed, n == 5 ? 1 : 0);
		assert_true(mmu_test_peek(mirror_env_root(&env), G, 2, &t1_after));
		assert_true(mmu_test_peek(mirror_env_root(&env), G, 3, &t2_after));
		assert_int_equal(t2_after, t2_before);
		if (n < 5)
			assert_int_equal(t1_after, t1_before);
		else
			assert_int_equal(t1_after, 0);
		for (unsigned i = 0; i < 3; i++) {
			bool gone = i < n - 1;

			assert_int_equal(level_of(&env, G + i, &t), gone ? 0 : 1);
		}
		mirror_check_agree(&env);
		mirror_check_vm(&env);

		/* The retry from the current state finishes the job. */
		inject_off(&env);
		assert_int_equal(mmu_zap_range(env.vm, SLOT_GFN, GIB_PAGES, m->flags), 0);
		assert_int_equal(level_of(&env, G + 2, &t), 0);
		mirror_check_agree(&env);
		mirror_env_fini(&env, true);
	}
}

/* --- roles ------------------------------------------------------------------------------- */

static void mirror_roles(void **state)
{
	struct mmu_vm_config cfg = { .name = "roles" };
	struct mirror_env env;
	struct mmu_vcpu *vc;
	struct mmu_vm *vm;
	hpa_t mirror_hpa;
	int err;

	(void)state;
	/* No hook: no mirror root. */
	cfg.formats[4] = &pt_format_ept4;
	vm = mmu_vm_create(&cfg, &err);
	vc = mmu_vcpu_create(vm);
	capture_console_start();
	assert_int_equal(mmu_vcpu_load_root(vc, mmu_role_make(4, MMU_ROLE_MIRROR)), HV_EINVAL);
	capture_console_stop();
	mmu_vcpu_destroy(vc);
	mmu_vm_destroy(vm);

	/* With the hook: not combined with SMM or guest mode, one level count only. */
	mirror_env_init(&env, &pt_format_ept4, false);
	capture_console_start();
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role | MMU_ROLE_SMM), HV_EINVAL);
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role | MMU_ROLE_GUEST_MODE), HV_EINVAL);
	capture_console_stop();
	mirror_env_slot(&env, 1, SLOT_GFN, GIB_PAGES, SLOT_PFN, 0);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_W), MMU_FAULT_MAPPED);
	mirror_hpa = mmu_root_hpa(mirror_env_root(&env));

	/* Even without root preservation, the mirror root outlives its vCPU users. */
	mmu_vcpu_unload_all(env.vc);
	assert_int_equal(mirror_stat(env.vm, MMU_STAT_ROOT_FREE), 0);
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role), 0);
	assert_int_equal(hpa_val(mmu_root_hpa(mirror_env_root(&env))), hpa_val(mirror_hpa));

	/* Invalidation drops the normal root, never the mirror. */
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.normal_role), 0);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_W), MMU_FAULT_MAPPED);
	mmu_invalidate_all_roots(env.vm);
	assert_false(mmu_vcpu_root_is_valid(env.vc));
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role), 0);
	assert_true(mmu_vcpu_root_is_valid(env.vc));
	assert_int_equal(hpa_val(mmu_root_hpa(mirror_env_root(&env))), hpa_val(mirror_hpa));
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_W), MMU_FAULT_SPURIOUS);
	mirror_check_agree(&env);
	/* The VM's end removes everything from the external table, through the hook. */
	mirror_env_fini(&env, true);

	/* A VM with 4- and 5-level formats still gets one mirror root only. */
	{
		struct tmod_config tc = { .name = "two", .fmt = &pt_format_ept4 };
		u64 pages = page_alloc_outstanding();
		struct tmod *t = tmod_create(&tc, &err);

		cfg = (struct mmu_vm_config){ .name = "two",
					      .set_external = tmod_hook_set_external,
					      .external_arg = t };
		cfg.formats[4] = &pt_format_ept4;
		cfg.formats[5] = &pt_format_ept5;
		vm = mmu_vm_create(&cfg, &err);
		vc = mmu_vcpu_create(vm);
		assert_int_equal(mmu_vcpu_load_root(vc, mmu_role_make(4, MMU_ROLE_MIRROR)), 0);
		capture_console_start();
		assert_int_equal(mmu_vcpu_load_root(vc, mmu_role_make(5, MMU_ROLE_MIRROR)),
				 HV_EINVAL);
		capture_console_stop();
		assert_int_equal(mmu_vcpu_load_root(vc, mmu_role_make(5, 0)), 0);
		mmu_vcpu_destroy(vc);
		mmu_vm_destroy(vm);
		tmod_destroy(t);
		assert_int_equal(page_alloc_outstanding(), pages);
	}
}

/*
 * The VM dies while the module refuses everything: the mirror is freed
 * anyway (a root cannot refuse to die), every refused removal is counted
 * and logged, and what the module still holds is its own to reclaim
 * (tmod_destroy): no page leaks.
 */
static void teardown_forced(void **state)
{
	const struct pt_format *f = *state;
	struct mirror_env env;
	struct tmod_stats ts;

	setup(&env, f);
	mmu_vm_set_max_level(env.vm, 1);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_R), MMU_FAULT_MAPPED);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G + 1), PT_R), MMU_FAULT_MAPPED);
	inject(&env, TMOD_INJECT_EVERY, 0, 1, 0);
	capture_console_start();
	mmu_vcpu_destroy(env.vc);
	mmu_vm_destroy(env.vm);
	capture_console_stop();
	assert_non_null(strstr(capture_console_text(), "torn down although"));
	tmod_stats_read(env.tmod, &ts);
	/* Each removal was offered MMU_MIRROR_TRIES times: 2 leaves + the tables. */
	assert_int_equal(ts.injected, (2 + f->levels - 1) * MMU_MIRROR_TRIES);
	assert_int_equal(ts.leaves, 2);
	assert_int_equal(ts.tables, f->levels - 1);
	assert_int_equal(tmod_audit(env.tmod), 0);
	tmod_destroy(env.tmod);
	assert_int_equal(page_alloc_outstanding(), env.pages_at_start);
}

/* Break-before-make formats: a shared split freezes, flushes, then asks the hook. */
static pte_t bbm_seen;
static struct mmu_root *bbm_root;

static void bbm_on_flush(struct tlb_recorder *rec, const struct mmu_root *root, gfn_t start,
			 u64 count)
{
	(void)rec;
	(void)count;
	if (root == bbm_root && count == GIB_PAGES)
		(void)mmu_test_peek(bbm_root, start, 3, &bbm_seen);
}

static void bbm_split(void **state)
{
	const struct pt_format *f = &pt_format_s2_40;
	struct mirror_env env;
	struct tmod_stats ts;

	(void)state;
	setup(&env, f);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_R), MMU_FAULT_MAPPED);
	bbm_root = mirror_env_root(&env);
	bbm_seen = 0;
	env.tlb.on_flush = bbm_on_flush;
	snapshot(&env);
	assert_int_equal(mmu_split_range(env.vm, G, 1, 2, MMU_OP_SHARED), 0);
	env.tlb.on_flush = NULL;
	assert_int_equal(delta(&env, MMU_STAT_BBM), 1);
	assert_int_equal(delta(&env, MMU_STAT_MIRROR_SPLIT), 1);
	/* During the break the mirror entry held the frozen value. */
	assert_int_equal(bbm_seen, f->frozen);
	/* And the module made its own break in the external table: a flush of its own. */
	tmod_stats_read(env.tmod, &ts);
	assert_int_equal(ts.flushes, 1);
	mirror_check_agree(&env);
	mirror_env_fini(&env, true);
}

static void expect_differ(struct mirror_env *env, const char *what)
{
	char why[256];

	assert_int_equal(
	    tmod_hook_compare(env->vm, mirror_env_root(env), env->tmod, NULL, why, sizeof(why)),
	    HV_EIO);
	if (!strstr(why, what))
		fail_msg("expected \"%s\" in \"%s\"", what, why);
}

/*
 * The comparator against changes made in the external table only, through
 * the module's calls (so its audit stays happy): each is found and named,
 * and undoing it makes the tables agree again. With max level 1 the fault
 * at G builds the picture at the top of this file; G + 1 is in the same
 * L1 table.
 */
static void compare_finds_differences(void **state)
{
	const struct pt_format *f = *state;
	gfn_t l2 = G & ~(pt_level_pages(2) - 1);
	struct mmu_mirror_census c;
	struct mmu_translation t;
	struct mirror_env env;
	struct tmod *other;
	struct mmu_vcpu *vc2;
	char why[256];
	pte_t table_entry[PT_ENTRIES * PT_MAX_ROOT_PAGES];
	pte_t changed;
	int err;

	setup(&env, f);
	mmu_vm_set_max_level(env.vm, 1);
	assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(G), PT_R | PT_W), MMU_FAULT_MAPPED);
	assert_true(mmu_translate(env.vm, mirror_env_root(&env), G, &t));
	assert_ptr_equal(mmu_vm_mirror_root(env.vm), mirror_env_root(&env));
	assert_int_equal(
	    tmod_hook_compare(env.vm, mirror_env_root(&env), env.tmod, &c, why, sizeof(why)), 0);
	assert_int_equal(c.leaves, 1);
	assert_int_equal(c.tables, f->levels - 1);
	assert_int_equal(c.entries, pt_table_entries(f, f->levels) + (f->levels - 1) * PT_ENTRIES);

	/* A leaf outside that the mirror does not have. */
	assert_int_equal(tmod_map_leaf(env.tmod, G + 1, 1, 0, t.pte + pte_pfn_bits(f, 1)), 0);
	expect_differ(&env, "mirror empty, external not");
	assert_int_equal(tmod_remove_leaf(env.tmod, G + 1, 1, t.pte + pte_pfn_bits(f, 1)), 0);
	mirror_check_agree(&env);

	/* The same frame with other permissions. */
	changed = make_leaf_pte(
	    f,
	    pt_leaf_template(
		f, (struct pt_attr){ .perm = PT_R, .memtype = PT_MT_WB, .flags = t.attr.flags }, 1),
	    t.pfn);
	assert_int_not_equal(changed, t.pte);
	assert_int_equal(tmod_change_leaf(env.tmod, G, 1, t.pte, changed), 0);
	expect_differ(&env, "leaves differ");
	assert_int_equal(tmod_change_leaf(env.tmod, G, 1, changed, t.pte), 0);
	mirror_check_agree(&env);

	/* A table the external side lacks: its leaf and the L1 table removed there only. */
	assert_int_equal(tmod_remove_leaf(env.tmod, G, 1, t.pte), 0);
	assert_int_equal(tmod_read_table(env.tmod, l2, 2, table_entry), 0);
	assert_int_equal(tmod_remove_table(env.tmod, l2, 2, table_entry[pt_index(f, G, 2)]), 0);
	expect_differ(&env, "mirror table, external something else");
	/* Linked again (a new page of the module's: addresses are not compared), then the leaf. */
	assert_int_equal(tmod_link_table(env.tmod, l2, 2, 0), 0);
	expect_differ(&env, "leaves differ");
	assert_int_equal(tmod_map_leaf(env.tmod, G, 1, 0, t.pte), 0);
	mirror_check_agree(&env);

	/* Only the VM's mirror root is compared, and only with a module of its format. */
	vc2 = mmu_vcpu_create(env.vm);
	assert_non_null(vc2);
	assert_int_equal(mmu_vcpu_load_root(vc2, env.normal_role), 0);
	assert_ptr_equal(mmu_vm_mirror_root(env.vm), mirror_env_root(&env));
	assert_int_equal(
	    tmod_hook_compare(env.vm, mmu_vcpu_root(vc2), env.tmod, NULL, why, sizeof(why)),
	    HV_EINVAL);
	mmu_vcpu_destroy(vc2);
	other = tmod_create(&(struct tmod_config){ .fmt = f == &pt_format_npt4 ? &pt_format_ept4
									       : &pt_format_npt4 },
			    &err);
	assert_non_null(other);
	assert_int_equal(
	    tmod_hook_compare(env.vm, mirror_env_root(&env), other, NULL, why, sizeof(why)),
	    HV_EINVAL);
	assert_non_null(strstr(why, "formats differ"));
	tmod_destroy(other);
	mirror_env_fini(&env, true);
}

#define MODE_TESTS(fmt)                                                                            \
	{ "transitions_" #fmt, transitions, NULL, NULL, (void *)&modes_##fmt[0] },                 \
	    { "transitions_shared_" #fmt, transitions, NULL, NULL, (void *)&modes_##fmt[1] },      \
	    { "merge_refused_" #fmt, merge_refused, NULL, NULL, (void *)&modes_##fmt[0] },         \
	    { "merge_refused_shared_" #fmt, merge_refused, NULL, NULL, (void *)&modes_##fmt[1] },  \
	    { "failures_change_nothing_" #fmt, failures_change_nothing, NULL, NULL,                \
	      (void *)&modes_##fmt[0] },                                                           \
	    { "failures_change_nothing_shared_" #fmt, failures_change_nothing, NULL, NULL,         \
	      (void *)&modes_##fmt[1] },                                                           \
	    { "teardown_order_" #fmt, teardown_order, NULL, NULL, (void *)&modes_##fmt[0] },       \
	    { "teardown_order_shared_" #fmt, teardown_order, NULL, NULL,                           \
	      (void *)&modes_##fmt[1] },                                                           \
	    { "teardown_forced_" #fmt, teardown_forced, NULL, NULL, (void *)&pt_format_##fmt },    \
	{                                                                                          \
		"compare_finds_differences_" #fmt, compare_finds_differences, NULL, NULL,          \
		    (void *)&pt_format_##fmt                                                       \
	}

#define MODES(fmt)                                                                                 \
	static const struct mode modes_##fmt[2] = { { &pt_format_##fmt, 0 },                       \
						    { &pt_format_##fmt, MMU_OP_SHARED } }

MODES(ept4);
MODES(ept5);
MODES(npt4);
MODES(npt5);
MODES(s2_40);
MODES(fake);

int main(void)
{
	/* A lost rollback shows up as a walker waiting on a frozen entry forever: fail instead. */
	alarm(300);
	const struct CMUnitTest tests[] = {
		MODE_TESTS(ept4),
		MODE_TESTS(ept5),
		MODE_TESTS(npt4),
		MODE_TESTS(npt5),
		MODE_TESTS(s2_40),
		MODE_TESTS(fake),
		cmocka_unit_test(mirror_roles),
		cmocka_unit_test(bbm_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
