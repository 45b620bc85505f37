/*
 * A VM's protected second stage (docs/mirror.md, "Running a protected
 * guest"): the trusted table module that owns the table the hardware walks
 * for the VM, created with it in the backend's format; the module's TLB
 * seam (the backend's flush, for the whole VM); the figures the VM's
 * report adds (the mirror hook's calls and failures, the module's own);
 * the check at the VM's stop that the module's table is intact and equal
 * to the mirror; and what the module last said when a call failed, for
 * stop reasons. Which root a vCPU loads is vcpu_load_tdp_root() (vcpu.c).
 *
 * Nothing here writes the module's table: the engine changes it through
 * the mirror's hook (vmm/tmod_hook.c), and the check reads it through the
 * module's read-only calls.
 */
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/tmod.h>
#include <hv/tmod_hook.h>
#include <hv/vm.h>

#include "vm_internal.h"

#define WHY_MAX 192 /* bytes of a comparison's first difference */

/* The module's TLB seam: its table is what the hardware walks, so flush all of the VM. */
static void protected_flush(void *arg)
{
	struct vm *vm = arg;

	vm->ops->tlb_flush(vm, NULL, 0, 0);
}

static const char *inject_mode_name(enum tmod_inject_mode m)
{
	switch (m) {
	case TMOD_INJECT_EVERY:
		return "every";
	case TMOD_INJECT_RANDOM:
		return "random";
	case TMOD_INJECT_OFF:
	default:
		return "off";
	}
}

int vm_protected_create(struct vm *vm, const struct vm_config *cfg)
{
	struct tmod_config tc = {
		.name = vm->name,
		.fmt = cfg->ops->tdp_format,
		.tlb_flush = protected_flush,
		.tlb_arg = vm,
	};
	int err;

	vm->tmod = tmod_create(&tc, &err);
	if (!vm->tmod)
		return err;
	if (cfg->tmod_inject && cfg->tmod_inject->mode != TMOD_INJECT_OFF) {
		const struct tmod_inject *inj = cfg->tmod_inject;

		tmod_set_inject(vm->tmod, inj);
		log_info("%s: table module failure injection: %s (every %u, %u per million, seed "
			 "%llu, after %u calls), failing with %s",
			 vm->name, inject_mode_name(inj->mode), inj->every, inj->per_million,
			 (unsigned long long)inj->seed, inj->skip,
			 err_name(inj->err ? inj->err : HV_EBUSY));
	}
	return 0;
}

void vm_protected_destroy(struct vm *vm)
{
	struct tmod_stats st;

	tmod_stats_read(vm->tmod, &st);
	log_info("%s: protected second stage torn down through the hook: %llu leaves and %llu "
		 "tables removed; %llu tables and %llu leaves left for the module to reclaim",
		 vm->name, (unsigned long long)st.done[TMOD_OP_REMOVE_LEAF],
		 (unsigned long long)st.done[TMOD_OP_REMOVE_TABLE], (unsigned long long)st.tables,
		 (unsigned long long)st.leaves);
	tmod_destroy(vm->tmod);
	vm->tmod = NULL;
}

void vm_protected_print_stats(struct vm *vm)
{
	struct mmu_stats st;
	char prefix[VM_NAME_MAX + 2];

	mmu_stats_read(vm->mmu, &st);
	hv_printf("%s: mirror hook calls: map-leaf %llu, link-table %llu, split %llu, change-leaf "
		  "%llu, remove-leaf %llu, remove-table %llu; failed %llu, rolled back %llu, gave "
		  "up %llu, teardown forced %llu, merges refused %llu\n",
		  vm->name, (unsigned long long)st.count[MMU_STAT_MIRROR_MAP_LEAF],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_LINK_TABLE],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_SPLIT],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_CHANGE_LEAF],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_REMOVE_LEAF],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_REMOVE_TABLE],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_HOOK_FAIL],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_ROLLBACK],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_GAVE_UP],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_TEARDOWN_FORCED],
		  (unsigned long long)st.count[MMU_STAT_MIRROR_MERGE_REFUSED]);
	fmt_snprintf(prefix, sizeof(prefix), "%s: ", vm->name);
	tmod_stats_print(vm->tmod, prefix);
}

int vm_check_protected(struct vm *vm)
{
	struct mmu_mirror_census c = { 0 };
	struct tmod_stats ts;
	struct mmu_root *mirror;
	char why[WHY_MAX];
	int err;

	if (!vm->tmod)
		return 0;
	err = tmod_audit(vm->tmod);
	if (err) {
		log_err("%s: protected second stage: the table module's audit failed: its table "
			"was written behind its back (see above)",
			vm->name);
		return err;
	}
	mirror = mmu_vm_mirror_root(vm->mmu);
	if (!mirror) {
		/* No vCPU ever loaded the mirror: then nothing may be mapped outside either. */
		tmod_stats_read(vm->tmod, &ts);
		if (ts.tables || ts.leaves) {
			log_err("%s: protected second stage: no mirror root, but the table module "
				"holds %llu tables and %llu leaves",
				vm->name, (unsigned long long)ts.tables,
				(unsigned long long)ts.leaves);
			return HV_EIO;
		}
		log_info("%s: protected second stage: audit ok; no mirror root, the table module's "
			 "table is empty",
			 vm->name);
		return 0;
	}
	err = tmod_hook_compare(vm->mmu, mirror, vm->tmod, &c, why, sizeof(why));
	if (err) {
		log_err("%s: protected second stage: the mirror and the table module's table "
			"disagree: %s",
			vm->name, why);
		return err;
	}
	log_info("%s: protected second stage: audit ok; mirror and table module agree (%llu "
		 "entries compared, %llu tables, %llu leaves)",
		 vm->name, (unsigned long long)c.entries, (unsigned long long)c.tables,
		 (unsigned long long)c.leaves);
	return 0;
}

char *vm_tdp_last_failure(struct vm *vm, char *buf, size_t size)
{
	struct tmod_failure f;

	if (!vm->tmod)
		fmt_snprintf(buf, size, "no table module (normal second stage)");
	else if (!tmod_last_failure(vm->tmod, &f))
		fmt_snprintf(buf, size, "the table module has failed no call");
	else
		fmt_snprintf(buf, size, "%s L%d gfn %#llx: %s (%s)", tmod_op_name(f.op), f.level,
			     (unsigned long long)f.gfn, f.why, err_name(f.err));
	return buf;
}
