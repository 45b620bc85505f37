/*
 * The generic hypercall dispatcher (vmm/hypercall.c): decodes a call of the
 * ABI in include/abi/hypercall.h, validates its arguments and acts through a
 * narrow seam, struct hc_env, so each backend (SVM, VMX, arm64) plugs in its
 * own guest-memory reader and VM controls and host tests plug in fakes.
 *
 * A backend's VMMCALL / HVC handler:
 *
 *     u64 args[HC_ARG_COUNT] = { rbx, rcx, rdx, rsi };     (x1..x4 on arm64)
 *     struct hc_env env = { .ctx = vcpu, .user_mode = cpl != 0, ...ops... };
 *     struct hc_result r = hypercall_dispatch(&env, rax, args);
 *     rax = (u64)r.ret;  rbx = r.out[0]; rcx = r.out[1]; rdx = r.out[2];
 *     advance RIP (x86; arm64's ELR already points past the HVC);
 *     if the VM was asked to stop (env.shutdown was called), stop it.
 *
 * out[] starts as a copy of args[0..2], so writing all three back is always
 * right: calls that return only ret leave those registers unchanged.
 */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <abi/hypercall.h>
#include <hv/types.h>

#define HC_ARG_COUNT 4
#define HC_OUT_COUNT 3

struct hc_env {
	void *ctx;      /* the backend's VM or vCPU, passed to every op */
	const char *vm; /* the VM's name for log messages ("vm0") */
	bool user_mode; /* the call came from guest user mode (CPL 3 / EL0) */

	/*
	 * Copy len bytes of guest-physical memory at gpa into dst. All or
	 * nothing: returns 0, or HV_EFAULT if any byte is not guest RAM (dst is
	 * then unspecified). Never called with len == 0 or a wrapping range.
	 */
	int (*read_guest)(void *ctx, gpa_t gpa, void *dst, size_t len);
	/* Append bytes to the VM's console stream (console_guest_write()). */
	void (*console_write)(void *ctx, const char *buf, size_t len);
	/* Record a test result; status is HC_TEST_PASS/FAIL/SKIP. */
	void (*test_result)(void *ctx, u64 id, u32 status, u64 detail);
	/* Ask for the VM to stop with this status once the call completes. */
	void (*shutdown)(void *ctx, u64 status);
};

struct hc_result {
	s64 ret;               /* to RAX / x0: >= 0 a result, < 0 an HC_E* code */
	u64 out[HC_OUT_COUNT]; /* to RBX, RCX, RDX / x1-x3 */
};

/*
 * Run hypercall nr with args[0..3] on behalf of the VM behind env. Never
 * fails as a function: a malformed call (unknown number, bad status, length
 * over the limit, buffer not entirely guest RAM or wrapping) gets a negative
 * HC_E* code in ret and has no effect. All ops in env must be set. Calls
 * env's ops synchronously; takes no locks itself (console_write takes the
 * console lock).
 */
struct hc_result hypercall_dispatch(const struct hc_env *env, u64 nr, const u64 args[HC_ARG_COUNT]);

/* The short name of a function number ("CONSOLE_WRITE"), or "?" for an unknown one. */
const char *hypercall_name(u64 nr);

#endif /* HV_HYPERCALL_H */
