/*
 * The mirror root's set_external hook for the trusted table module: what
 * a VM whose second-stage table belongs to a tmod (hv/tmod.h) passes in its
 * mmu_vm_config (docs/mirror.md):
 *
 *   .set_external = tmod_hook_set_external,
 *   .external_arg = the struct tmod *, in the format of the mirror root
 *
 * It classifies each change with mmu_mirror_classify() and makes the one
 * matching module call; the module's answer is the hook's answer.
 * tmod_hook_compare() checks that the mirror and the module's table agree.
 */
#ifndef HV_TMOD_HOOK_H
#define HV_TMOD_HOOK_H

#include <hv/mmu/mirror.h>

struct tmod;

mmu_set_external_fn tmod_hook_set_external;

/*
 * Compare vm's mirror root `root` with the table module t's table
 * (mmu_mirror_compare(), reading the module through tmod_read_table()).
 * Takes mmu_lock for reading, and the module's lock per table read.
 * Returns 0 (they agree; *census filled if not NULL), HV_EIO with the
 * first difference in why, HV_EINVAL (the formats differ, or root is not
 * vm's mirror root) or HV_ENOMEM.
 */
int tmod_hook_compare(struct mmu_vm *vm, struct mmu_root *root, struct tmod *t,
		      struct mmu_mirror_census *census, char *why, size_t why_len);

#endif /* HV_TMOD_HOOK_H */
