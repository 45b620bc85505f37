/*
 * The generic hypercall dispatcher (contract in hv/hypercall.h, ABI in
 * abi/hypercall.h, prose in docs/hypercall.md). It owns argument validation
 * for every function: the backends only move registers in and out, and a
 * guest's bad call costs it an error code, never the hypervisor anything.
 *
 * Guest errors are logged at debug level only: a guest must not be able to
 * flood the shared serial line by repeating a bad call.
 */
#include <arch/cpu.h>
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/hypercall.h>
#include <hv/log.h>
#include <hv/string.h>
#include <hv/version.h>

static const char *const hc_names[HC_FN_COUNT] = {
	"VERSION", "CONSOLE_WRITE", "TEST_RESULT", "SHUTDOWN", "NOP", "TICKS",
};

const char *hypercall_name(u64 nr)
{
	if ((nr & ~HC_FN_NUMBER_MASK) != HC_FN_BASE || (nr & HC_FN_NUMBER_MASK) >= HC_FN_COUNT)
		return "?";
	return hc_names[nr & HC_FN_NUMBER_MASK];
}

/* The name, NUL-padded, as little-endian register contents. */
static void version_name(u64 out[HC_OUT_COUNT])
{
	static const char name[] = HV_NAME;
	u8 bytes[HC_OUT_COUNT * sizeof(u64)] = { 0 };

	STATIC_CHECK(sizeof(name) <= sizeof(bytes), "HV_NAME must fit in three registers");
	memcpy(bytes, name, sizeof(name) - 1);
	for (unsigned r = 0; r < HC_OUT_COUNT; r++) {
		out[r] = 0;
		for (unsigned b = 0; b < sizeof(u64); b++)
			out[r] |= (u64)bytes[r * sizeof(u64) + b] << (8 * b);
	}
}

static s64 console_write_call(const struct hc_env *env, u64 addr, u64 len)
{
	char buf[HC_CONSOLE_WRITE_MAX];

	if (len > HC_CONSOLE_WRITE_MAX) {
		log_debug("%s: hypercall CONSOLE_WRITE: length %llu above the limit %u", env->vm,
			  (unsigned long long)len, HC_CONSOLE_WRITE_MAX);
		return HC_E2BIG;
	}
	if (len == 0)
		return 0;
	if (addr + len < addr) {
		log_debug("%s: hypercall CONSOLE_WRITE: buffer %#llx+%llu wraps", env->vm,
			  (unsigned long long)addr, (unsigned long long)len);
		return HC_EFAULT;
	}
	/* Whole buffer first: a fault halfway must not leave half a message. */
	if (env->read_guest(env->ctx, gpa(addr), buf, (size_t)len) != 0) {
		log_debug("%s: hypercall CONSOLE_WRITE: buffer %#llx+%llu is not guest RAM",
			  env->vm, (unsigned long long)addr, (unsigned long long)len);
		return HC_EFAULT;
	}
	env->console_write(env->ctx, buf, (size_t)len);
	return (s64)len;
}

static s64 test_result_call(const struct hc_env *env, u64 id, u64 status, u64 detail)
{
	if (status != HC_TEST_PASS && status != HC_TEST_FAIL && status != HC_TEST_SKIP) {
		log_debug("%s: hypercall TEST_RESULT: test %llu has unknown status %llu", env->vm,
			  (unsigned long long)id, (unsigned long long)status);
		return HC_EINVAL;
	}
	env->test_result(env->ctx, id, (u32)status, detail);
	return HC_OK;
}

struct hc_result hypercall_dispatch(const struct hc_env *env, u64 nr, const u64 args[HC_ARG_COUNT])
{
	struct hc_result r = { .ret = HC_ENOSYS };

	for (unsigned i = 0; i < HC_OUT_COUNT; i++)
		r.out[i] = args[i];

	if (env->user_mode) {
		log_debug("%s: hypercall %#llx from guest user mode refused", env->vm,
			  (unsigned long long)nr);
		r.ret = HC_EPERM;
		return r;
	}

	switch (nr) {
	case HC_VERSION:
		r.ret = (s64)HC_ABI_VERSION;
		version_name(r.out);
		break;
	case HC_CONSOLE_WRITE:
		r.ret = console_write_call(env, args[0], args[1]);
		break;
	case HC_TEST_RESULT:
		r.ret = test_result_call(env, args[0], args[1], args[2]);
		break;
	case HC_SHUTDOWN:
		env->shutdown(env->ctx, args[0]);
		r.ret = HC_OK;
		break;
	case HC_NOP:
		r.ret = HC_OK;
		break;
	case HC_TICKS:
		/* The top bit would read as an error code; 2^63 ticks is centuries. */
		r.ret = (s64)(arch_ticks() & ~BIT(63));
		break;
	default:
		log_debug("%s: unknown hypercall %#llx", env->vm, (unsigned long long)nr);
		r.ret = HC_ENOSYS;
		break;
	}
	return r;
}
