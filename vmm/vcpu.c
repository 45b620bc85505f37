/*
 * vCPU objects (contract in hv/vcpu.h): creation with the MMU engine's
 * vCPU and the backend's state, and teardown in reverse.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
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
