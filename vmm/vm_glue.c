/*
 * The glue between a VM and the shared services every backend uses the same
 * way (contract in hv/vm.h): the hypercall dispatcher (vmm/hypercall.c)
 * wired to the VM's memory, console stream, test-result log and stop; and
 * the console's per-guest stream and input queue.
 */
#include <hv/log.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

#include "vm_internal.h"

static int glue_read_guest(void *ctx, gpa_t gpa, void *dst, size_t len)
{
	struct vcpu *v = ctx;

	return vm_read(v->vm, gpa, dst, len);
}

static void glue_console_write(void *ctx, const char *buf, size_t len)
{
	struct vcpu *v = ctx;

	vm_console_write(v->vm, buf, len);
}

static void glue_test_result(void *ctx, u64 id, u32 status, u64 detail)
{
	struct vm *vm = ((struct vcpu *)ctx)->vm;
	static const char *const names[] = {
		[HC_TEST_PASS] = "PASS",
		[HC_TEST_FAIL] = "FAIL",
		[HC_TEST_SKIP] = "SKIP",
	};

	/* The dispatcher only passes the three known statuses. */
	if (status == HC_TEST_PASS)
		vm->tests_passed++;
	else if (status == HC_TEST_FAIL)
		vm->tests_failed++;
	else
		vm->tests_skipped++;
	log_at(status == HC_TEST_FAIL ? LOG_WARN : LOG_INFO, "%s: test %llu %s (detail %#llx)",
	       vm->name, (unsigned long long)id, names[status], (unsigned long long)detail);
}

static void glue_shutdown(void *ctx, u64 status)
{
	struct vm *vm = ((struct vcpu *)ctx)->vm;

	vm->guest_status = status;
	vm_stop(vm, status ? VM_STOP_GUEST_ERROR : VM_STOP_OK,
		"the guest shut down (HC_SHUTDOWN) with status %llu", (unsigned long long)status);
}

struct hc_result vm_hypercall(struct vcpu *vcpu, u64 nr, const u64 args[HC_ARG_COUNT],
			      bool user_mode)
{
	const struct hc_env env = {
		.ctx = vcpu,
		.vm = vcpu->vm->name,
		.user_mode = user_mode,
		.read_guest = glue_read_guest,
		.console_write = glue_console_write,
		.test_result = glue_test_result,
		.shutdown = glue_shutdown,
	};

	return hypercall_dispatch(&env, nr, args);
}

void vm_console_write(struct vm *vm, const char *buf, size_t len)
{
	console_guest_write(&vm->console, buf, len);
}

void vm_console_input_ready(void *ctx)
{
	struct vm *vm = ctx;

	__atomic_store_n(&vm->input_pending, true, __ATOMIC_RELEASE);
}

size_t vm_console_read(struct vm *vm, u8 *buf, size_t max)
{
	size_t n;

	if (!max || !vm_console_input_pending(vm))
		return 0;
	/* Clear first: a byte queued after the read sets the flag again. */
	__atomic_store_n(&vm->input_pending, false, __ATOMIC_RELEASE);
	n = console_guest_read(&vm->console, buf, max);
	if (n == max)
		__atomic_store_n(&vm->input_pending, true, __ATOMIC_RELEASE);
	return n;
}
