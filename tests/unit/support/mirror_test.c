/*
 * Mirror-role test helpers (see mirror_test.h). The comparator is the
 * hypervisor's own (mmu_mirror_compare through tmod_hook_compare, what a
 * protected VM runs at its stop): it reads the mirror from the engine's
 * pages and the external table only through the module's read-only call,
 * tmod_read_table().
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
#include <hv/tmod_hook.h>

#include "mirror_test.h"

static void ext_flush(void *arg)
{
	struct mirror_env *env = arg;

	__atomic_fetch_add(&env->ext_flushes, 1, __ATOMIC_RELAXED);
}

void mirror_env_init(struct mirror_env *env, const struct pt_format *f, bool preserve)
{
	struct tmod_config tc = {
		.name = f->name,
		.fmt = f,
		.tlb_flush = ext_flush,
		.tlb_arg = env,
	};
	struct mmu_vm_config cfg = {
		.name = f->name,
		.no_root_preserve = !preserve,
		.tlb_flush = tlb_recorder_flush,
		.tlb_arg = &env->tlb,
		.set_external = tmod_hook_set_external,
	};
	int err;

	memset(env, 0, sizeof(*env));
	env->pages_at_start = page_alloc_outstanding();
	env->fmt = f;
	env->role = mmu_role_make(f->levels, MMU_ROLE_MIRROR);
	env->normal_role = mmu_role_make(f->levels, 0);
	env->tmod = tmod_create(&tc, &err);
	assert_non_null(env->tmod);
	cfg.external_arg = env->tmod;
	cfg.formats[f->levels] = f;
	env->vm = mmu_vm_create(&cfg, &err);
	assert_non_null(env->vm);
	env->vc = mmu_vcpu_create(env->vm);
	assert_non_null(env->vc);
	assert_int_equal(mmu_vcpu_load_root(env->vc, env->role), 0);
}

void mirror_env_fini(struct mirror_env *env, bool expect_empty)
{
	struct tmod_stats st;

	mmu_vcpu_destroy(env->vc);
	mmu_vm_destroy(env->vm);
	tmod_stats_read(env->tmod, &st);
	if (expect_empty) {
		assert_int_equal(st.tables, 0);
		assert_int_equal(st.leaves, 0);
	}
	assert_int_equal(tmod_audit(env->tmod), 0);
	tmod_destroy(env->tmod);
	assert_int_equal(page_alloc_outstanding(), env->pages_at_start);
}

void mirror_env_slot(struct mirror_env *env, u32 id, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags)
{
	mmu_test_slot_add(env->vm, id, gfn, npages, pfn, flags);
}

void mirror_check_vm(struct mirror_env *env)
{
	struct tmod_stats ts;

	tmod_stats_read(env->tmod, &ts);
	mmu_check_vm(env->vm, env->pages_at_start,
		     env->fmt->root_pages + ts.tables * TMOD_TABLE_PAGES);
}

u64 mirror_stat(struct mmu_vm *vm, enum mmu_stat s)
{
	struct mmu_stats st;

	mmu_stats_read(vm, &st);
	return st.count[s];
}

/* --- the comparator ------------------------------------------------------------------------ */

bool mirror_compare(struct mmu_vm *vm, struct mmu_root *root, struct tmod *t,
		    struct mmu_mirror_census *census, char *why, size_t why_len)
{
	return tmod_hook_compare(vm, root, t, census, why, why_len) == 0;
}

void mirror_check_agree(struct mirror_env *env)
{
	char why[256];

	if (!mirror_compare(env->vm, mirror_env_root(env), env->tmod, NULL, why, sizeof(why)))
		fail_msg("mirror and external disagree: %s", why);
	assert_int_equal(tmod_audit(env->tmod), 0);
}
