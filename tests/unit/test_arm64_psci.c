/*
 * PSCI and the SMCCC architecture calls (vmm/arm64/psci.c) against a fake
 * backend of four vCPUs with MPIDRs 0x0, 0x1, 0x100 (Aff1 = 1) and
 * 0x100000000 (Aff3 = 1), guest RAM at [0x40000000, 0x48000000): which
 * service a function ID belongs to, every implemented function with good
 * and bad arguments, the 32-bit convention's argument truncation, and
 * NOT_SUPPORTED for everything else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <hv/arm64/psci.h>

#define RAM_BASE 0x40000000ull
#define RAM_END  0x48000000ull
#define CPUS     4

static const u64 mpidrs[CPUS] = { 0x0, 0x1, 0x100, 0x100000000ull };
static enum psci_cpu_state states[CPUS];
static struct {
	unsigned calls;
	u32 index;
	u64 entry, context;
	int ret;
} on;

static int by_mpidr(void *ctx, u64 mpidr)
{
	(void)ctx;
	for (int i = 0; i < CPUS; i++)
		if (mpidrs[i] == mpidr)
			return i;
	return -1;
}

static enum psci_cpu_state state_of(void *ctx, u32 index)
{
	(void)ctx;
	assert_true(index < CPUS);
	return states[index];
}

static bool is_ram(void *ctx, u64 addr)
{
	(void)ctx;
	return addr >= RAM_BASE && addr < RAM_END;
}

static int fake_cpu_on(void *ctx, u32 index, u64 entry, u64 context)
{
	(void)ctx;
	on.calls++;
	on.index = index;
	on.entry = entry;
	on.context = context;
	if (!on.ret)
		states[index] = PSCI_CPU_STATE_ON_PENDING;
	return on.ret;
}

static const struct psci_env env = {
	.caller = 0,
	.cpu_by_mpidr = by_mpidr,
	.cpu_state = state_of,
	.is_guest_ram = is_ram,
	.cpu_on = fake_cpu_on,
};

static int setup(void **state)
{
	(void)state;
	states[0] = PSCI_CPU_STATE_ON;
	states[1] = states[2] = states[3] = PSCI_CPU_STATE_OFF;
	memset(&on, 0, sizeof(on));
	return 0;
}

static struct psci_result call(u64 fid, u64 a1, u64 a2, u64 a3)
{
	const u64 args[3] = { a1, a2, a3 };

	return psci_call(&env, fid, args);
}

static void services(void **state)
{
	(void)state;
	assert_int_equal(smccc_service_of(PSCI_VERSION_FN), SMCCC_SERVICE_PSCI);
	assert_int_equal(smccc_service_of(PSCI_CPU_ON_64), SMCCC_SERVICE_PSCI);
	assert_int_equal(smccc_service_of(PSCI_FN32(0x1f)), SMCCC_SERVICE_PSCI);
	assert_int_equal(smccc_service_of(0x84000050), SMCCC_SERVICE_UNKNOWN); /* TRNG */
	assert_int_equal(smccc_service_of(SMCCC_VERSION), SMCCC_SERVICE_ARCH);
	assert_int_equal(smccc_service_of(0x80008000), SMCCC_SERVICE_ARCH); /* WORKAROUND_1 */
	assert_int_equal(smccc_service_of(0xc6000000), SMCCC_SERVICE_HV);
	assert_int_equal(smccc_service_of(0x86000001), SMCCC_SERVICE_HV);
	assert_int_equal(smccc_service_of(0x04000000), SMCCC_SERVICE_UNKNOWN); /* yielding */
	assert_int_equal(smccc_service_of(0x1c4000000ull), SMCCC_SERVICE_UNKNOWN);
	assert_int_equal(smccc_service_of(0x84010000), SMCCC_SERVICE_UNKNOWN); /* reserved bits */
	assert_int_equal(smccc_service_of(0xb0000000), SMCCC_SERVICE_UNKNOWN); /* trusted OS */
}

static void version_and_features(void **state)
{
	static const u32 present[] = { PSCI_VERSION_FN,        PSCI_CPU_SUSPEND_32,
				       PSCI_CPU_SUSPEND_64,    PSCI_CPU_OFF,
				       PSCI_CPU_ON_32,         PSCI_CPU_ON_64,
				       PSCI_AFFINITY_INFO_32,  PSCI_AFFINITY_INFO_64,
				       PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF_FN,
				       PSCI_SYSTEM_RESET_FN,   PSCI_FEATURES,
				       SMCCC_VERSION };
	static const u32 absent[] = { PSCI_FN32(0x05), PSCI_FN32(0x0e), PSCI_FN64(0x12),
				      0x80008000,      0xc6000000,      0x12345678 };

	(void)state;
	assert_int_equal(call(PSCI_VERSION_FN, 0, 0, 0).ret, PSCI_VERSION_1_1);
	for (unsigned i = 0; i < ARRAY_SIZE(present); i++)
		assert_int_equal(call(PSCI_FEATURES, present[i], 0, 0).ret, PSCI_SUCCESS);
	for (unsigned i = 0; i < ARRAY_SIZE(absent); i++)
		assert_int_equal(call(PSCI_FEATURES, absent[i], 0, 0).ret, PSCI_NOT_SUPPORTED);
	/* The 32-bit PSCI_FEATURES only sees the low half of its argument. */
	assert_int_equal(call(PSCI_FEATURES, 0xffffffff00000000ull | PSCI_CPU_OFF, 0, 0).ret,
			 PSCI_SUCCESS);
	assert_int_equal(call(SMCCC_VERSION, 0, 0, 0).ret, SMCCC_VERSION_1_1);
	assert_int_equal(call(SMCCC_ARCH_FEATURES, SMCCC_VERSION, 0, 0).ret, PSCI_SUCCESS);
	assert_int_equal(call(SMCCC_ARCH_FEATURES, 0x80008000, 0, 0).ret, PSCI_NOT_SUPPORTED);
	assert_int_equal(call(0x80000002, 0, 0, 0).ret, PSCI_NOT_SUPPORTED); /* SOC_ID */
}

static void cpu_on(void **state)
{
	struct psci_result r;

	(void)state;
	assert_int_equal(call(PSCI_CPU_ON_64, 0x0, RAM_BASE, 7).ret, PSCI_ALREADY_ON);
	assert_int_equal(call(PSCI_CPU_ON_64, 0x2, RAM_BASE, 7).ret, PSCI_INVALID_PARAMETERS);
	assert_int_equal(call(PSCI_CPU_ON_64, 0x1 | BIT(31), RAM_BASE, 7).ret,
			 PSCI_INVALID_PARAMETERS); /* not an affinity field */
	assert_int_equal(call(PSCI_CPU_ON_64, 0x1, 0x1000, 7).ret, PSCI_INVALID_ADDRESS);
	assert_int_equal(call(PSCI_CPU_ON_64, 0x1, RAM_BASE + 2, 7).ret, PSCI_INVALID_ADDRESS);
	assert_int_equal(on.calls, 0);

	r = call(PSCI_CPU_ON_64, 0x100, RAM_BASE + 0x80000, 0xabcdef0123ull);
	assert_int_equal(r.ret, PSCI_SUCCESS);
	assert_int_equal(r.action, PSCI_ACT_NONE);
	assert_int_equal(on.calls, 1);
	assert_int_equal(on.index, 2);
	assert_int_equal(on.entry, RAM_BASE + 0x80000);
	assert_int_equal(on.context, 0xabcdef0123ull);
	assert_int_equal(call(PSCI_CPU_ON_64, 0x100, RAM_BASE, 0).ret, PSCI_ON_PENDING);

	/* Aff3 exists only for the 64-bit call; the 32-bit one truncates to vCPU 0. */
	assert_int_equal(call(PSCI_CPU_ON_64, 0x100000000ull, RAM_BASE, 0).ret, PSCI_SUCCESS);
	assert_int_equal(on.index, 3);
	assert_int_equal(call(PSCI_CPU_ON_32, 0x100000000ull, RAM_BASE, 0).ret, PSCI_ALREADY_ON);
	/* A 32-bit entry point and context id lose their top halves. */
	assert_int_equal(
	    call(PSCI_CPU_ON_32, 0x1, 0xffffffff00000000ull | RAM_BASE, 0x1111111122222222ull).ret,
	    PSCI_SUCCESS);
	assert_int_equal(on.entry, RAM_BASE);
	assert_int_equal(on.context, 0x22222222);
}

static void cpu_on_backend_failure(void **state)
{
	(void)state;
	on.ret = PSCI_INTERNAL_FAILURE;
	assert_int_equal(call(PSCI_CPU_ON_64, 0x1, RAM_BASE, 0).ret, PSCI_INTERNAL_FAILURE);
	assert_int_equal(states[1], PSCI_CPU_STATE_OFF);
}

static void affinity_info(void **state)
{
	(void)state;
	assert_int_equal(call(PSCI_AFFINITY_INFO_64, 0x0, 0, 0).ret, PSCI_CPU_STATE_ON);
	assert_int_equal(call(PSCI_AFFINITY_INFO_64, 0x1, 0, 0).ret, PSCI_CPU_STATE_OFF);
	states[1] = PSCI_CPU_STATE_ON_PENDING;
	assert_int_equal(call(PSCI_AFFINITY_INFO_32, 0x1, 0, 0).ret, PSCI_CPU_STATE_ON_PENDING);
	assert_int_equal(call(PSCI_AFFINITY_INFO_64, 0x0, 1, 0).ret, PSCI_INVALID_PARAMETERS);
	assert_int_equal(call(PSCI_AFFINITY_INFO_64, 0x7, 0, 0).ret, PSCI_INVALID_PARAMETERS);
}

static void actions(void **state)
{
	struct psci_result r;

	(void)state;
	r = call(PSCI_SYSTEM_OFF_FN, 0, 0, 0);
	assert_int_equal(r.action, PSCI_ACT_SYSTEM_OFF);
	r = call(PSCI_SYSTEM_RESET_FN, 0, 0, 0);
	assert_int_equal(r.action, PSCI_ACT_SYSTEM_RESET);
	r = call(PSCI_CPU_OFF, 0, 0, 0);
	assert_int_equal(r.action, PSCI_ACT_CPU_OFF);
	assert_int_equal(r.ret, PSCI_DENIED); /* what the caller sees if it ever returns */
	r = call(PSCI_CPU_SUSPEND_64, PSCI_POWER_STATE_TYPE_POWERDOWN, RAM_BASE, 0);
	assert_int_equal(r.action, PSCI_ACT_SUSPEND);
	assert_int_equal(r.ret, PSCI_SUCCESS);
	r = call(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0);
	assert_int_equal(r.ret, PSCI_MIGRATE_NOT_REQUIRED);
	assert_int_equal(r.action, PSCI_ACT_NONE);
}

static void unknown_calls(void **state)
{
	static const u64 fids[] = { PSCI_FN32(0x05), PSCI_FN32(0x0e), PSCI_FN32(0x1f),
				    PSCI_FN64(0x08), 0x84000050,      0xc6000000,
				    0x02000000,      0x184000000ull };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(fids); i++) {
		struct psci_result r = call(fids[i], 0, 0, 0);

		assert_int_equal(r.ret, PSCI_NOT_SUPPORTED);
		assert_int_equal(r.action, PSCI_ACT_NONE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(services, setup),
		cmocka_unit_test_setup(version_and_features, setup),
		cmocka_unit_test_setup(cpu_on, setup),
		cmocka_unit_test_setup(cpu_on_backend_failure, setup),
		cmocka_unit_test_setup(affinity_info, setup),
		cmocka_unit_test_setup(actions, setup),
		cmocka_unit_test_setup(unknown_calls, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
