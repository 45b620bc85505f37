/*
 * Root roles: what distinguishes one TDP root of a VM from another, packed
 * into one integer key (no C bitfields, so the layout is explicit and the key
 * compares and hashes as a number).
 *
 *   bit  31 .......... 6   5        4           3     2..0
 *       +---------------+--------+-----------+-----+--------+
 *       |   reserved 0  | mirror | guest_mode| smm | levels |
 *       +---------------+--------+-----------+-----+--------+
 *
 * levels      the root's level: 4 or 5 for EPT/NPT, 3 for the 40-bit stage-2
 *             (the VM's format table maps it to a pt_format)
 * smm         the vCPU is in System Management Mode (x86): separate address space
 * guest_mode  the vCPU runs a nested (L2) guest with a direct TDP root
 * mirror      the root mirrors an externally owned table (TDX-style, issue 5)
 *
 * A VM never has two valid roots with the same key, so the number of live
 * valid roots is bounded by the combinations in use (six on x86, per seed
 * 002: 4/5-level x SMM x guest mode minus the SMM+guest-mode pairs).
 */
#ifndef HV_MMU_ROLE_H
#define HV_MMU_ROLE_H

#include <hv/mmu/format.h>
#include <hv/types.h>

typedef u32 mmu_role_t;

#define MMU_ROLE_LEVELS_MASK GENMASK(2, 0)
#define MMU_ROLE_SMM         BIT(3)
#define MMU_ROLE_GUEST_MODE  BIT(4)
#define MMU_ROLE_MIRROR      BIT(5)
#define MMU_ROLE_FLAGS_MASK  (MMU_ROLE_SMM | MMU_ROLE_GUEST_MODE | MMU_ROLE_MIRROR)

_Static_assert(PT_MAX_LEVELS <= MMU_ROLE_LEVELS_MASK, "levels fit the role key");

static inline mmu_role_t mmu_role_make(unsigned levels, u32 flags)
{
	return (mmu_role_t)((levels & MMU_ROLE_LEVELS_MASK) | (flags & MMU_ROLE_FLAGS_MASK));
}

static inline unsigned mmu_role_levels(mmu_role_t role)
{
	return role & MMU_ROLE_LEVELS_MASK;
}

static inline bool mmu_role_is_mirror(mmu_role_t role)
{
	return role & MMU_ROLE_MIRROR;
}

#endif /* HV_MMU_ROLE_H */
