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
 */
#ifndef HV_TMOD_HOOK_H
#define HV_TMOD_HOOK_H

#include <hv/mmu/mirror.h>

mmu_set_external_fn tmod_hook_set_external;

#endif /* HV_TMOD_HOOK_H */
