/*
 * The mirror root's hook for the trusted table module (hv/tmod_hook.h):
 * one change of a mirror entry, as the engine describes it (gfn, old, new,
 * level), becomes one module call. Only the module's public calls are used:
 * this file is the whole of the hypervisor's side of the conversation, and
 * it never touches the module's table. The comparison reads the module's
 * table only through its read-only inspection call.
 */
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/mmu.h>
#include <hv/tmod.h>
#include <hv/tmod_hook.h>

int tmod_hook_set_external(struct mmu_vm *vm, gfn_t gfn, pte_t old, pte_t new, int level)
{
	struct tmod *t = mmu_vm_external(vm);
	const struct pt_format *f = tmod_format(t);

	switch (mmu_mirror_classify(f, old, new, level)) {
	case MMU_MIRROR_MAP_LEAF:
		return tmod_map_leaf(t, gfn, level, old, new);
	case MMU_MIRROR_LINK_TABLE:
		return tmod_link_table(t, gfn, level, old);
	case MMU_MIRROR_SPLIT:
		return tmod_split(t, gfn, level, old);
	case MMU_MIRROR_CHANGE_LEAF:
		return tmod_change_leaf(t, gfn, level, old, new);
	case MMU_MIRROR_REMOVE_LEAF:
		return tmod_remove_leaf(t, gfn, level, old);
	case MMU_MIRROR_REMOVE_TABLE:
		return tmod_remove_table(t, gfn, level, old);
	case MMU_MIRROR_NONE:
		return 0;
	case MMU_MIRROR_MERGE:
	case MMU_MIRROR_INVALID:
	default:
		/* The engine never asks for these; the module has no call for them. */
		return HV_EINVAL;
	}
}

static int read_external(void *arg, gfn_t gfn, int level, pte_t *out)
{
	return tmod_read_table(arg, gfn, level, out);
}

int tmod_hook_compare(struct mmu_vm *vm, struct mmu_root *root, struct tmod *t,
		      struct mmu_mirror_census *census, char *why, size_t why_len)
{
	if (tmod_format(t) != mmu_root_format(root)) {
		fmt_snprintf(why, why_len, "formats differ: mirror %s, table module %s",
			     mmu_root_format(root)->name, tmod_format(t)->name);
		return HV_EINVAL;
	}
	return mmu_mirror_compare(vm, root, read_external, t, census, why, why_len);
}
