/*
 * Helpers for the mirror-role tests: a VM whose mirror root is backed by a
 * trusted table module (tmod), and a comparator that walks the mirror and
 * the external table side by side.
 */
#ifndef TEST_MIRROR_TEST_H
#define TEST_MIRROR_TEST_H

#include <stddef.h>

#include <hv/mmu.h>
#include <hv/tmod.h>

#include "mmu_test.h"

struct mirror_env {
	struct mmu_vm *vm;
	struct mmu_vcpu *vc;
	struct tmod *tmod;
	const struct pt_format *fmt;
	mmu_role_t role;        /* the mirror role: MMU_ROLE_MIRROR | levels */
	mmu_role_t normal_role; /* a normal root of the same levels */
	struct tlb_recorder tlb;
	u64 ext_flushes; /* atomic: the module's TLB seam calls */
	u64 pages_at_start;
};

/* A VM with format f, its tmod, and one vCPU with the mirror root loaded. */
void mirror_env_init(struct mirror_env *env, const struct pt_format *f, bool preserve);
/*
 * Destroy the vCPU and the VM (the mirror's teardown goes through the
 * hook), then check that the module's table is empty (if expect_empty)
 * and passes its audit, destroy it and assert no page leaked.
 */
void mirror_env_fini(struct mirror_env *env, bool expect_empty);
void mirror_env_slot(struct mirror_env *env, u32 id, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags);

static inline struct mmu_root *mirror_env_root(struct mirror_env *env)
{
	return mmu_vcpu_root(env->vc);
}

/*
 * Walk the mirror root and the module's table together
 * (tmod_hook_compare(), hv/tmod_hook.h: tables at the same places, leaves
 * bit-identical, nothing mapped outside that the mirror does not map, no
 * frozen entry). Takes mmu_lock for reading. Returns true, or false with
 * the first difference described in why (for worker threads).
 */
bool mirror_compare(struct mmu_vm *vm, struct mmu_root *root, struct tmod *t,
		    struct mmu_mirror_census *census, char *why, size_t why_len);
/* mirror_compare() that fails the cmocka test; also runs tmod_audit(). */
void mirror_check_agree(struct mirror_env *env);

/*
 * mmu_check_vm() for a mirror VM: the module's pages (its root and two
 * pages per table) are the expected extra outstanding pages.
 */
void mirror_check_vm(struct mirror_env *env);

/* One mirror statistic (hv/mmu/stats.h). */
u64 mirror_stat(struct mmu_vm *vm, enum mmu_stat s);

#endif /* TEST_MIRROR_TEST_H */
