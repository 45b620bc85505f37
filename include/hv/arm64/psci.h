/*
 * Firmware services hv emulates for arm64 guests (vmm/arm64/psci.c): the
 * Arm Power State Coordination Interface and the SMC Calling Convention's
 * architecture calls, reached with SMC #0 (trapped by HCR_EL2.TSC) or
 * HVC #0.
 *
 * Function IDs follow SMCCC (Arm DEN0028, "Function Identifier"): bit 31
 * fast call, bit 30 the 64-bit convention, bits 29:24 the owning entity
 * (0 Arm architecture, 4 standard secure services such as PSCI, 6 vendor
 * hypervisor services: hv's own ABI, include/abi/hypercall.h), bits 15:0
 * the function. PSCI IDs and return codes: Arm DEN0022 (PSCI 1.1), chapter 5
 * "PSCI Function Prototypes"; SMCCC_VERSION and SMCCC_ARCH_FEATURES:
 * DEN0028 chapter 7 "Arm Architecture Calls".
 *
 * What is offered (PSCI 1.1):
 *   PSCI_VERSION, PSCI_FEATURES, CPU_ON, CPU_OFF, CPU_SUSPEND (every power
 *   state is treated as standby: the caller waits for an interrupt and the
 *   call returns SUCCESS), AFFINITY_INFO (level 0), MIGRATE_INFO_TYPE (no
 *   Trusted OS), SYSTEM_OFF, SYSTEM_RESET; SMCCC_VERSION (1.1) and
 *   SMCCC_ARCH_FEATURES. Anything else answers NOT_SUPPORTED.
 *
 * The service logic is pure: it reads the guest's arguments, asks the
 * backend about vCPUs through struct psci_env, and returns the result plus
 * an action for the backend to carry out (power off the VM, reset it,
 * stop or suspend the calling vCPU). Host-tested: tests/unit/test_arm64_psci.c.
 */
#ifndef HV_ARM64_PSCI_H
#define HV_ARM64_PSCI_H

#include <hv/types.h>

/* SMCCC function ID fields. */
#define SMCCC_FAST_CALL        BIT(31)
#define SMCCC_64BIT            BIT(30)
#define SMCCC_OWNER_SHIFT      24
#define SMCCC_OWNER_MASK       0x3fu
#define SMCCC_FN_MASK          0xffffu
#define SMCCC_OWNER_ARCH       0
#define SMCCC_OWNER_STD        4
#define SMCCC_OWNER_VENDOR_HYP 6
#define SMCCC_PSCI_FN_LAST     0x1f /* PSCI owns functions 0x00-0x1f of the standard service */

/* Arm architecture calls (DEN0028). */
#define SMCCC_VERSION       0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define SMCCC_VERSION_1_1   0x10001 /* major << 16 | minor */

/* PSCI function IDs: 32-bit convention 0x84000000 + n, 64-bit 0xC4000000 + n. */
#define PSCI_FN32(n)           (0x84000000u + (n))
#define PSCI_FN64(n)           (0xc4000000u + (n))
#define PSCI_VERSION_FN        PSCI_FN32(0x00)
#define PSCI_CPU_SUSPEND_32    PSCI_FN32(0x01)
#define PSCI_CPU_SUSPEND_64    PSCI_FN64(0x01)
#define PSCI_CPU_OFF           PSCI_FN32(0x02)
#define PSCI_CPU_ON_32         PSCI_FN32(0x03)
#define PSCI_CPU_ON_64         PSCI_FN64(0x03)
#define PSCI_AFFINITY_INFO_32  PSCI_FN32(0x04)
#define PSCI_AFFINITY_INFO_64  PSCI_FN64(0x04)
#define PSCI_MIGRATE_INFO_TYPE PSCI_FN32(0x06)
#define PSCI_SYSTEM_OFF_FN     PSCI_FN32(0x08)
#define PSCI_SYSTEM_RESET_FN   PSCI_FN32(0x09)
#define PSCI_FEATURES          PSCI_FN32(0x0a)

#define PSCI_VERSION_1_1       0x10001 /* major << 16 | minor */

/* Return codes (DEN0022, "Return error codes"). */
#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED             (-3)
#define PSCI_ALREADY_ON         (-4)
#define PSCI_ON_PENDING         (-5)
#define PSCI_INTERNAL_FAILURE   (-6)
#define PSCI_NOT_PRESENT        (-7)
#define PSCI_DISABLED           (-8)
#define PSCI_INVALID_ADDRESS    (-9)

/* AFFINITY_INFO results, and the state of a vCPU as PSCI sees it. */
enum psci_cpu_state {
	PSCI_CPU_STATE_ON = 0,
	PSCI_CPU_STATE_OFF = 1,
	PSCI_CPU_STATE_ON_PENDING = 2,
};

/* MIGRATE_INFO_TYPE: no Trusted OS, or one that needs no migration. */
#define PSCI_MIGRATE_NOT_REQUIRED 2

/* CPU_SUSPEND's power_state (original format): bit 16 = powerdown. */
#define PSCI_POWER_STATE_TYPE_POWERDOWN BIT(16)

/* target_cpu / MPIDR affinity fields: Aff3 39:32, Aff2 23:16, Aff1 15:8, Aff0 7:0. */
#define PSCI_MPIDR_AFF_MASK (GENMASK(39, 32) | GENMASK(23, 0))

/* What a call asks the backend to do after writing the result back. */
enum psci_action {
	PSCI_ACT_NONE = 0,
	PSCI_ACT_SYSTEM_OFF,   /* stop the VM: powered off */
	PSCI_ACT_SYSTEM_RESET, /* stop the VM: reset requested */
	PSCI_ACT_CPU_OFF,      /* the caller powers itself off (no result is returned) */
	PSCI_ACT_SUSPEND,      /* the caller waits for an interrupt, then gets the result */
};

/* Which service a function ID belongs to (before any call is made). */
enum smccc_service {
	SMCCC_SERVICE_UNKNOWN = 0, /* answer SMCCC NOT_SUPPORTED (-1) */
	SMCCC_SERVICE_ARCH,        /* psci_call() */
	SMCCC_SERVICE_PSCI,        /* psci_call() */
	SMCCC_SERVICE_HV,          /* the hypervisor's own ABI (vm_hypercall) */
};

struct psci_env {
	void *ctx;
	u32 caller; /* index of the calling vCPU */
	/* The index of the vCPU whose MPIDR affinity is mpidr, or -1. */
	int (*cpu_by_mpidr)(void *ctx, u64 mpidr);
	enum psci_cpu_state (*cpu_state)(void *ctx, u32 index);
	/* Whether a guest could run code at entry (guest RAM). */
	bool (*is_guest_ram)(void *ctx, u64 addr);
	/*
	 * Start vCPU index (found OFF) at entry with x0 = context_id, in the
	 * state PSCI defines (EL1h, DAIF masked, MMU and caches off). 0, or a
	 * PSCI error code (INTERNAL_FAILURE) that is returned to the caller.
	 */
	int (*cpu_on)(void *ctx, u32 index, u64 entry, u64 context_id);
};

struct psci_result {
	s64 ret; /* to x0 */
	enum psci_action action;
};

/* The service of function id fid (its high 32 bits must be 0). */
enum smccc_service smccc_service_of(u64 fid);

/*
 * Run the PSCI or Arm architecture call fid (SMCCC_SERVICE_PSCI or _ARCH)
 * with the guest's x1-x3. Calls of the 32-bit convention see their
 * arguments truncated to 32 bits, as SMCCC requires. Never fails as a
 * function: bad requests get a PSCI error code.
 */
struct psci_result psci_call(const struct psci_env *env, u64 fid, const u64 args[3]);

#endif /* HV_ARM64_PSCI_H */
