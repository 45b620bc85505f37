/*
 * Mirror-role test helpers (see mirror_test.h). The comparator reads the
 * mirror white-box (the engine's root structure) and the external table
 * only through the module's read-only call, tmod_read_table().
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

#include "../../../vmm/mmu/mmu_internal.h"
#include "../../../vmm/mmu/pt_iter.h"
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
	struct mmu_slot_params p = {
		.id = id,
		.base = gfn_to_gpa(gfn),
		.size = npages << PAGE_SHIFT,
		.backing = pfn_to_hpa(pfn),
		.flags = flags,
		.memtype = PT_MT_WB,
	};

	assert_int_equal(mmu_slot_add(env->vm, &p), 0);
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

struct cmp {
	const struct pt_format *f;
	struct tmod *t;
	struct mirror_census *c;
	char *why;
	size_t why_len;
};

static bool differ(struct cmp *c, int level, gfn_t gfn, pte_t m, pte_t x, const char *what)
{
	snprintf(c->why, c->why_len, "%s: L%d gfn %#llx: mirror %#llx, external %#llx: %s",
		 c->f->name, level, (unsigned long long)gfn, (unsigned long long)m,
		 (unsigned long long)x, what);
	return false;
}

static bool cmp_entry(struct cmp *c, pte_t *mt, const pte_t *ext, unsigned i, int level,
		      gfn_t base);

static bool cmp_table(struct cmp *c, pte_t *mt, int level, gfn_t base)
{
	const struct pt_format *f = c->f;
	unsigned entries = pt_table_entries(f, level);
	pte_t *ext = malloc(entries * sizeof(*ext));
	bool ok = true;
	int r;

	assert_non_null(ext);
	r = tmod_read_table(c->t, base, level, ext);
	if (r) {
		snprintf(c->why, c->why_len,
			 "%s: L%d table at gfn %#llx: the external table has none (%s)", f->name,
			 level, (unsigned long long)base, err_name(r));
		free(ext);
		return false;
	}
	for (unsigned i = 0; i < entries && ok; i++)
		ok = cmp_entry(c, mt, ext, i, level, base);
	free(ext);
	return ok;
}

static bool cmp_entry(struct cmp *c, pte_t *mt, const pte_t *ext, unsigned i, int level, gfn_t base)
{
	const struct pt_format *f = c->f;
	gfn_t gfn = base + ((gfn_t)i << pt_level_page_shift(level));
	pte_t m = pt_read(&mt[i]), x = ext[i];

	c->c->entries++;
	if (pte_is_frozen(f, m))
		return differ(c, level, gfn, m, x, "frozen mirror entry left behind");
	if (!pte_is_present(f, m)) {
		if (m || x)
			return differ(c, level, gfn, m, x, "mirror empty, external not (or junk)");
		return true;
	}
	if (pte_is_leaf(f, m, level)) {
		if (m != x)
			return differ(c, level, gfn, m, x, "leaves differ");
		c->c->leaves++;
		return true;
	}
	if (!pte_is_table(f, x, level) || ((m ^ x) & ~f->pfn_mask))
		return differ(c, level, gfn, m, x, "mirror table, external something else");
	c->c->tables++;
	return cmp_table(c, pt_table_ptr(f, m), level - 1, gfn);
}

bool mirror_compare(struct mmu_vm *vm, struct mmu_root *root, struct tmod *t,
		    struct mirror_census *census, char *why, size_t why_len)
{
	struct mirror_census local;
	struct cmp c = {
		.f = root->fmt,
		.t = t,
		.c = census ? census : &local,
		.why = why,
		.why_len = why_len,
	};
	bool ok;

	memset(c.c, 0, sizeof(*c.c));
	if (tmod_format(t) != root->fmt) {
		snprintf(why, why_len, "formats differ: %s / %s", root->fmt->name,
			 tmod_format(t)->name);
		return false;
	}
	mmu_read_lock(vm);
	ok = cmp_table(&c, root->table, root->fmt->levels, 0);
	mmu_read_unlock(vm);
	return ok;
}

void mirror_check_agree(struct mirror_env *env)
{
	char why[256];

	if (!mirror_compare(env->vm, mirror_env_root(env), env->tmod, NULL, why, sizeof(why)))
		fail_msg("mirror and external disagree: %s", why);
	assert_int_equal(tmod_audit(env->tmod), 0);
}
