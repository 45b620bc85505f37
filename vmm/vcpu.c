/*
 * vCPU objects (contract in hv/vcpu.h): creation with the MMU engine's
 * vCPU and the backend's state, teardown in reverse, and the second-stage
 * helpers every backend shares: which root to load and which table the
 * hardware walks (the engine's root, or for a protected VM the table
 * module's table behind the mirror root), and the bound on faults that
 * keep being retried.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/tmod.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

struct vcpu *vcpu_create(struct vm *vm, int *err)
{
	struct vcpu *v;
	int e;

	CHECK(!vm_is_running(vm));
	if (vm->vcpu_count == VM_VCPUS_MAX) {
		*err = HV_ERANGE;
		return NULL;
	}
	v = hv_zalloc(sizeof(*v));
	if (!v) {
		*err = HV_ENOMEM;
		return NULL;
	}
	v->vm = vm;
	v->id = vm->vcpu_count;
	v->mmu = mmu_vcpu_create(vm->mmu);
	if (!v->mmu) {
		hv_free(v);
		*err = HV_ENOMEM;
		return NULL;
	}
	e = vm->ops->vcpu_init(v);
	if (e) {
		log_err("%s: vcpu%u: backend %s set-up failed: %s", vm->name, v->id, vm->ops->name,
			err_name(e));
		mmu_vcpu_destroy(v->mmu);
		hv_free(v);
		*err = e;
		return NULL;
	}
	vm->vcpus[vm->vcpu_count++] = v;
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	struct vm *vm = v->vm;

	/* Only the most recent vCPU can go: ids stay dense. */
	CHECK(vm->vcpu_count && vm->vcpus[vm->vcpu_count - 1] == v);
	/* Roots first: dropping them may call the backend's TLB flush for this vCPU. */
	mmu_vcpu_destroy(v->mmu);
	vm->ops->vcpu_destroy(v);
	v->arch = NULL;
	vm->vcpus[--vm->vcpu_count] = NULL;
	hv_free(v);
}

int vcpu_load_tdp_root(struct vcpu *v, hpa_t *walk)
{
	struct vm *vm = v->vm;
	u32 flags = vm->tmod ? MMU_ROLE_MIRROR : 0;
	int err = mmu_vcpu_load_root(v->mmu, mmu_role_make(vm->ops->tdp_format->levels, flags));
	hpa_t engine, hw;

	if (err)
		return err;
	engine = mmu_root_hpa(mmu_vcpu_root(v->mmu));
	if (!vm->tmod) {
		hw = engine;
		if (hpa_val(hw) != hpa_val(v->tdp_walk))
			log_debug("%s: vcpu%u: second stage: the engine's root %#llx", vm->name,
				  v->id, (unsigned long long)hpa_val(hw));
	} else {
		hw = tmod_root_hpa(vm->tmod);
		/* The mirror is the hypervisor's copy: the hardware must never walk it. */
		CHECK(hpa_val(hw) != hpa_val(engine));
		CHECK(mmu_role_is_mirror(mmu_root_role(mmu_vcpu_root(v->mmu))));
		if (hpa_val(hw) != hpa_val(v->tdp_walk))
			log_info("%s: vcpu%u: second stage: protected (table module root %#llx, "
				 "mirror root %#llx)",
				 vm->name, v->id, (unsigned long long)hpa_val(hw),
				 (unsigned long long)hpa_val(engine));
	}
	v->tdp_walk = hw;
	*walk = hw;
	return 0;
}

bool vcpu_fault_retry_exceeded(struct vcpu *v, gpa_t gpa)
{
	gfn_t gfn = gpa_to_gfn(gpa);

	if (v->fault_retries == 0 || v->fault_retry_gfn != gfn) {
		v->fault_retry_gfn = gfn;
		v->fault_retries = 0;
	}
	return ++v->fault_retries >= VCPU_FAULT_RETRY_MAX;
}
