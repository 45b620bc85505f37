/*
 * VM objects (contract in hv/vm.h): creation and teardown, the run/stop
 * life cycle with its report, and the list of VMs the console's escape
 * commands act on. RAM lives in guest_ram.c, the hypercall and console glue
 * in vm_glue.c, exit accounting output in exit_stats.c, the protected
 * second stage's module, figures and check in vm_protected.c.
 */
#include <arch/cpu.h>
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/tmod.h>
#include <hv/tmod_hook.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

#include "vm_internal.h"

/* All VMs, for Ctrl-] s and Ctrl-] q (vm_list_lock; a per-structure lock). */
static struct list_node vm_list = LIST_HEAD_INIT(vm_list);
static spinlock_t vm_list_lock = SPINLOCK_INIT;
static u32 vm_next_id;

static const char *const stop_status_names[] = {
	[VM_STOP_NONE] = "running",
	[VM_STOP_OK] = "ok",
	[VM_STOP_GUEST_ERROR] = "guest error",
	[VM_STOP_FAILED] = "failed",
};

const char *vm_stop_status_name(enum vm_stop_status s)
{
	return (unsigned)s < ARRAY_SIZE(stop_status_names) ? stop_status_names[s] : "?";
}

int vm_stop_status_to_exit(enum vm_stop_status s)
{
	switch (s) {
	case VM_STOP_OK:
		return HV_EXIT_SUCCESS;
	case VM_STOP_GUEST_ERROR:
		return HV_EXIT_GUEST_ERROR;
	default:
		return HV_EXIT_VM_FAILED;
	}
}

static bool ops_complete(const struct vm_backend_ops *ops)
{
	return ops && ops->name && ops->tdp_format && ops->vm_init && ops->vm_destroy &&
	       ops->vcpu_init && ops->vcpu_destroy && ops->vcpu_run && ops->tlb_flush &&
	       ops->exit_kind_names && ops->exit_kind_count &&
	       ops->exit_kind_count <= VCPU_EXIT_KINDS_MAX && ops->exit_code_name;
}

/* Ctrl-] s: every VM's figures. Runs in the console poller's context. */
static void stats_hook(void *ctx)
{
	struct vm *vm;

	(void)ctx;
	spin_lock(&vm_list_lock);
	list_for_each_entry (vm, &vm_list, link)
		vm_print_stats(vm);
	spin_unlock(&vm_list_lock);
}

/* Ctrl-] q: stop the VM that has the console focus. */
static bool monitor_hook(void *ctx, char cmd)
{
	struct console_guest *focus = console_focus_get();
	struct vm *vm, *found = NULL;

	(void)ctx;
	if (cmd != 'q')
		return false;
	spin_lock(&vm_list_lock);
	list_for_each_entry (vm, &vm_list, link)
		if (&vm->console == focus)
			found = vm;
	spin_unlock(&vm_list_lock);
	if (found)
		vm_stop(found, VM_STOP_OK, "stopped from the console (Ctrl-] q)");
	else
		log_info("console: Ctrl-] q: no VM has the focus");
	return true;
}

struct vm *vm_create(const struct vm_config *cfg, int *err)
{
	struct mmu_vm_config mc = { 0 };
	size_t len = cfg->name ? strnlen(cfg->name, VM_NAME_MAX) : 0;
	bool inject = cfg->tmod_inject && cfg->tmod_inject->mode != TMOD_INJECT_OFF;
	struct vm *vm;
	bool first;
	int e;

	if (!ops_complete(cfg->ops) || len == 0 || len >= VM_NAME_MAX ||
	    (inject && !cfg->protected_tdp)) {
		log_err("vm: create: bad configuration (name \"%s\", backend %s%s)",
			cfg->name ? cfg->name : "(null)",
			cfg->ops && cfg->ops->name ? cfg->ops->name : "(incomplete)",
			inject && !cfg->protected_tdp
			    ? ", table module injection without a protected second stage"
			    : "");
		*err = HV_EINVAL;
		return NULL;
	}
	vm = hv_zalloc(sizeof(*vm));
	if (!vm) {
		*err = HV_ENOMEM;
		return NULL;
	}
	memcpy(vm->name, cfg->name, len);
	vm->ops = cfg->ops;
	spin_lock_init(&vm->lock);
	list_init(&vm->link);
	vm->mem.ram = vm->ram_ranges;
	vm->mem.write = vm_guest_mem_write;
	vm->mem.ctx = vm;

	mc.name = vm->name;
	mc.formats[cfg->ops->tdp_format->levels] = cfg->ops->tdp_format;
	mc.max_level = cfg->max_leaf_level;
	mc.tlb_flush = cfg->ops->tlb_flush;
	mc.tlb_arg = vm;
	if (cfg->protected_tdp) {
		/* The module first: the mirror root's hook needs it from the first change on. */
		e = vm_protected_create(vm, cfg);
		if (e)
			goto fail;
		mc.set_external = tmod_hook_set_external;
		mc.external_arg = vm->tmod;
	}
	vm->mmu = mmu_vm_create(&mc, &e);
	if (!vm->mmu)
		goto fail;
	e = console_guest_register(&vm->console, vm->name, vm_console_input_ready, vm);
	if (e) {
		log_err("%s: cannot register the console stream: %s", vm->name, err_name(e));
		goto fail;
	}
	vm->console_registered = true;
	if (cfg->console_focus)
		console_focus_set(&vm->console);
	e = cfg->ops->vm_init(vm);
	if (e) {
		log_err("%s: backend %s: VM set-up failed: %s", vm->name, cfg->ops->name,
			err_name(e));
		goto fail;
	}

	spin_lock(&vm_list_lock);
	vm->id = vm_next_id++;
	first = list_empty(&vm_list);
	list_add_tail(&vm->link, &vm_list);
	spin_unlock(&vm_list_lock);
	if (first) {
		console_set_stats_hook(stats_hook, NULL);
		console_set_monitor_hook(monitor_hook, NULL);
	}
	log_debug("%s: created (backend %s, second stage %s%s)", vm->name, cfg->ops->name,
		  cfg->ops->tdp_format->name, vm->tmod ? ", protected" : "");
	return vm;

fail:
	if (vm->console_registered)
		console_guest_unregister(&vm->console);
	if (vm->mmu)
		mmu_vm_destroy(vm->mmu);
	tmod_destroy(vm->tmod);
	hv_free(vm);
	*err = e;
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	bool last;

	if (!vm)
		return;
	CHECK(!vm_is_running(vm));
	spin_lock(&vm_list_lock);
	if (list_is_linked(&vm->link))
		list_del(&vm->link);
	last = list_empty(&vm_list);
	spin_unlock(&vm_list_lock);
	if (last) {
		console_set_stats_hook(NULL, NULL);
		console_set_monitor_hook(NULL, NULL);
	}
	while (vm->vcpu_count)
		vcpu_destroy(vm->vcpus[vm->vcpu_count - 1]);
	vm->ops->vm_destroy(vm);
	/*
	 * Tables and slots first: no mapping may outlive the frames it points
	 * to. The mirror root's teardown empties the module's table through
	 * the hook; the module then frees whatever it still holds.
	 */
	mmu_vm_destroy(vm->mmu);
	if (vm->tmod)
		vm_protected_destroy(vm);
	vm_ram_release(vm);
	if (vm->console_registered)
		console_guest_unregister(&vm->console);
	hv_free(vm);
}

void vm_stop(struct vm *vm, enum vm_stop_status status, const char *fmt, ...)
{
	char reason[VM_REASON_MAX];
	enum log_level level = status == VM_STOP_FAILED        ? LOG_ERR
			       : status == VM_STOP_GUEST_ERROR ? LOG_WARN
							       : LOG_INFO;
	va_list ap;

	CHECK(status != VM_STOP_NONE);
	va_start(ap, fmt);
	fmt_vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	spin_lock(&vm->lock);
	if (vm->state == VM_STATE_STOPPED) {
		spin_unlock(&vm->lock);
		log_debug("%s: already stopped (%s); not again for: %s", vm->name, vm->stop_reason,
			  reason);
		return;
	}
	vm->stop_status = status;
	vm->stop_ticks = arch_ticks();
	memcpy(vm->stop_reason, reason, sizeof(reason));
	WRITE_ONCE(vm->state, VM_STATE_STOPPED);
	spin_unlock(&vm->lock);

	log_at(level, "%s: stopped (%s): %s", vm->name, vm_stop_status_name(status), reason);
	if (level > log_threshold)
		return;
	for (u32 i = 0; i < vm->vcpu_count; i++) {
		vcpu_print_exit_ring(vm->vcpus[i]);
		if (status == VM_STOP_FAILED && vm->ops->vcpu_dump)
			vm->ops->vcpu_dump(vm->vcpus[i]);
	}
}

enum vm_stop_status vm_run(struct vm *vm)
{
	char size[32];

	CHECK(vm->vcpu_count >= 1 && vm->ram_count >= 1);
	spin_lock(&vm->lock);
	if (vm->state != VM_STATE_CREATED) {
		spin_unlock(&vm->lock);
		return vm->stop_status;
	}
	vm->start_ticks = arch_ticks();
	WRITE_ONCE(vm->state, VM_STATE_RUNNING);
	spin_unlock(&vm->lock);

	log_info("%s: running on %s: %s of RAM in %u chunk(s), %u vCPU(s)", vm->name, vm->ops->name,
		 fmt_size(size, sizeof(size), vm_ram_size(vm)), vm->ram_count, vm->vcpu_count);
	vm->ops->vcpu_run(vm->vcpus[0]);
	/* The backend's contract: it returns only for a stopped VM. */
	CHECK(READ_ONCE(vm->state) == VM_STATE_STOPPED);

	vm_print_stats(vm);
	vm_check_protected(vm);
	if (vm->tests_passed || vm->tests_failed || vm->tests_skipped)
		log_info("%s: test results: %u passed, %u failed, %u skipped", vm->name,
			 vm->tests_passed, vm->tests_failed, vm->tests_skipped);
	return vm->stop_status;
}

void vm_print_stats(struct vm *vm)
{
	for (u32 i = 0; i < vm->vcpu_count; i++)
		vcpu_print_exit_stats(vm->vcpus[i]);
	hv_printf("%s: second-stage MMU:\n", vm->name);
	mmu_stats_print(vm->mmu);
	if (vm->tmod)
		vm_protected_print_stats(vm);
}
