/*
 * PSCI 1.1 and the SMCCC architecture calls for arm64 guests (contract
 * and the list of what is offered in hv/arm64/psci.h). Pure logic over the
 * backend's view of its vCPUs: every argument is the guest's and is checked
 * before use.
 */
#include <hv/arm64/psci.h>

static bool is_64bit_call(u64 fid)
{
	return fid & SMCCC_64BIT;
}

enum smccc_service smccc_service_of(u64 fid)
{
	unsigned owner = (unsigned)(fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK;

	/* Only fast calls exist here, and the top half of an ID must be clear. */
	if ((fid >> 32) || !(fid & SMCCC_FAST_CALL))
		return SMCCC_SERVICE_UNKNOWN;
	if (fid & GENMASK(23, 16))
		return SMCCC_SERVICE_UNKNOWN; /* reserved bits of the ID */
	switch (owner) {
	case SMCCC_OWNER_ARCH:
		return SMCCC_SERVICE_ARCH;
	case SMCCC_OWNER_STD:
		return (fid & SMCCC_FN_MASK) <= SMCCC_PSCI_FN_LAST ? SMCCC_SERVICE_PSCI
								   : SMCCC_SERVICE_UNKNOWN;
	case SMCCC_OWNER_VENDOR_HYP:
		return SMCCC_SERVICE_HV;
	default:
		return SMCCC_SERVICE_UNKNOWN;
	}
}

/* The functions PSCI_FEATURES reports as present (both conventions where they exist). */
static bool psci_implements(u64 fid)
{
	switch (fid) {
	case PSCI_VERSION_FN:
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF_FN:
	case PSCI_SYSTEM_RESET_FN:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return true;
	default:
		return false;
	}
}

static s64 cpu_on(const struct psci_env *env, u64 target, u64 entry, u64 context_id)
{
	int index;

	if (target & ~PSCI_MPIDR_AFF_MASK)
		return PSCI_INVALID_PARAMETERS;
	index = env->cpu_by_mpidr(env->ctx, target);
	if (index < 0)
		return PSCI_INVALID_PARAMETERS;
	switch (env->cpu_state(env->ctx, (u32)index)) {
	case PSCI_CPU_STATE_ON:
		return PSCI_ALREADY_ON;
	case PSCI_CPU_STATE_ON_PENDING:
		return PSCI_ON_PENDING;
	case PSCI_CPU_STATE_OFF:
		break;
	}
	/* A 32-bit caller's entry must be 4-byte aligned too: A64 code only. */
	if ((entry & 3) || !env->is_guest_ram(env->ctx, entry))
		return PSCI_INVALID_ADDRESS;
	return env->cpu_on(env->ctx, (u32)index, entry, context_id);
}

static s64 affinity_info(const struct psci_env *env, u64 target, u64 level)
{
	int index;

	/* Level 0 names one vCPU; hv has no cluster topology to report on. */
	if (level != 0 || (target & ~PSCI_MPIDR_AFF_MASK))
		return PSCI_INVALID_PARAMETERS;
	index = env->cpu_by_mpidr(env->ctx, target);
	if (index < 0)
		return PSCI_INVALID_PARAMETERS;
	return env->cpu_state(env->ctx, (u32)index);
}

static struct psci_result arch_call(u64 fid, const u64 *a)
{
	struct psci_result r = { PSCI_NOT_SUPPORTED, PSCI_ACT_NONE };

	if (fid == SMCCC_VERSION) {
		r.ret = SMCCC_VERSION_1_1;
	} else if (fid == SMCCC_ARCH_FEATURES) {
		/* Both architecture calls exist; no workaround or SoC-ID call does. */
		if ((a[0] & 0xffffffffull) == SMCCC_VERSION ||
		    (a[0] & 0xffffffffull) == SMCCC_ARCH_FEATURES)
			r.ret = PSCI_SUCCESS;
	}
	return r;
}

struct psci_result psci_call(const struct psci_env *env, u64 fid, const u64 args[3])
{
	struct psci_result r = { PSCI_NOT_SUPPORTED, PSCI_ACT_NONE };
	u64 a[3] = { args[0], args[1], args[2] };

	if (!is_64bit_call(fid))
		for (unsigned i = 0; i < 3; i++)
			a[i] &= 0xffffffffull;
	if (smccc_service_of(fid) == SMCCC_SERVICE_ARCH)
		return arch_call(fid, a);
	if (smccc_service_of(fid) != SMCCC_SERVICE_PSCI)
		return r;

	switch (fid) {
	case PSCI_VERSION_FN:
		r.ret = PSCI_VERSION_1_1;
		break;
	case PSCI_FEATURES:
		/* CPU_SUSPEND's feature flags are 0: original power_state format, no OSI mode. */
		r.ret = psci_implements(a[0]) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
		break;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		/* Every state is entered as standby; a powerdown one returns as if woken early. */
		r.ret = PSCI_SUCCESS;
		r.action = PSCI_ACT_SUSPEND;
		break;
	case PSCI_CPU_OFF:
		/* Returns to the caller only on failure, which cannot happen here. */
		r.ret = PSCI_DENIED;
		r.action = PSCI_ACT_CPU_OFF;
		break;
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		r.ret = cpu_on(env, a[0], a[1], a[2]);
		break;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		r.ret = affinity_info(env, a[0], a[1]);
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		r.ret = PSCI_MIGRATE_NOT_REQUIRED;
		break;
	case PSCI_SYSTEM_OFF_FN:
		r.ret = PSCI_SUCCESS;
		r.action = PSCI_ACT_SYSTEM_OFF;
		break;
	case PSCI_SYSTEM_RESET_FN:
		r.ret = PSCI_SUCCESS;
		r.action = PSCI_ACT_SYSTEM_RESET;
		break;
	default:
		break;
	}
	return r;
}
