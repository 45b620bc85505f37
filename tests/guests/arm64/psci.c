/*
 * Test guest "psci": PSCI 1.1 and the SMCCC architecture calls as hv
 * emulates them, through both conduits (HVC, and SMC trapped by
 * HCR_EL2.TSC): VERSION, FEATURES, CPU_ON for the running vCPU and for
 * vCPUs that do not exist, AFFINITY_INFO, MIGRATE_INFO_TYPE, CPU_SUSPEND
 * (returns after a timer interrupt), unknown functions, then SYSTEM_OFF,
 * which ends the VM with success (the hypervisor exits 0).
 */
#include "guest.h"

#define PSCI_VERSION        0x84000000
#define PSCI_CPU_SUSPEND_64 0xc4000001
#define PSCI_CPU_ON_64      0xc4000003
#define PSCI_CPU_ON_32      0x84000003
#define PSCI_AFFINITY_64    0xc4000004
#define PSCI_MIGRATE_TYPE   0x84000006
#define PSCI_SYSTEM_OFF     0x84000008
#define PSCI_SYSTEM_RESET   0x84000009
#define PSCI_FEATURES       0x8400000a
#define SMCCC_VERSION       0x80000000
#define SMCCC_ARCH_FEATURES 0x80000001
#define SMCCC_WORKAROUND_1  0x80008000

#define NOT_SUPPORTED       (-1)
#define INVALID_PARAMETERS  (-2)
#define ALREADY_ON          (-4)

typedef struct call_res (*conduit_fn)(u64, u64, u64, u64, u64);

static volatile u32 ticks_seen;

static void on_irq(void)
{
	u32 iar = gic_ack();

	if ((iar & 0x3ff) == VTIMER_INTID) {
		ticks_seen++;
		vtimer_off();
	}
	gic_eoi(iar);
}

static s64 call(conduit_fn f, u64 fn, u64 a1, u64 a2, u64 a3)
{
	return (s64)f(fn, a1, a2, a3, 0).x0;
}

static void conduit(conduit_fn f, const char *name)
{
	u64 mpidr = sysreg_read(mpidr_el1) & 0xff00ffffffull;

	check(call(f, PSCI_VERSION, 0, 0, 0) == 0x10001, 0, "%s: PSCI_VERSION is 1.1", name);
	check(call(f, PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0) == 0, 0, "%s: FEATURES(CPU_ON)", name);
	check(call(f, PSCI_FEATURES, PSCI_SYSTEM_RESET, 0, 0) == 0, 0, "%s: FEATURES(SYSTEM_RESET)",
	      name);
	check(call(f, PSCI_FEATURES, SMCCC_VERSION, 0, 0) == 0, 0, "%s: FEATURES(SMCCC_VERSION)",
	      name);
	check(call(f, PSCI_FEATURES, 0x84000005, 0, 0) == NOT_SUPPORTED, 0,
	      "%s: FEATURES(MIGRATE) not supported", name);
	check(call(f, PSCI_CPU_ON_64, mpidr, RAM_BASE, 0) == ALREADY_ON, mpidr,
	      "%s: CPU_ON of the running vCPU: ALREADY_ON", name);
	check(call(f, PSCI_CPU_ON_64, 1, RAM_BASE, 0) == INVALID_PARAMETERS, 0,
	      "%s: CPU_ON of a vCPU that does not exist: INVALID_PARAMETERS", name);
	check(call(f, PSCI_CPU_ON_32, 0x100, RAM_BASE, 0) == INVALID_PARAMETERS, 0,
	      "%s: CPU_ON (32-bit) of MPIDR 0x100: INVALID_PARAMETERS", name);
	check(call(f, PSCI_AFFINITY_64, mpidr, 0, 0) == 0, 0, "%s: AFFINITY_INFO: ON", name);
	check(call(f, PSCI_AFFINITY_64, mpidr, 1, 0) == INVALID_PARAMETERS, 0,
	      "%s: AFFINITY_INFO at level 1: INVALID_PARAMETERS", name);
	check(call(f, PSCI_MIGRATE_TYPE, 0, 0, 0) == 2, 0,
	      "%s: MIGRATE_INFO_TYPE: no Trusted OS to migrate", name);
	check(call(f, SMCCC_VERSION, 0, 0, 0) == 0x10001, 0, "%s: SMCCC_VERSION is 1.1", name);
	check(call(f, SMCCC_ARCH_FEATURES, SMCCC_WORKAROUND_1, 0, 0) == NOT_SUPPORTED, 0,
	      "%s: ARCH_FEATURES(WORKAROUND_1) not supported", name);
	check(call(f, 0x8400001f, 0, 0, 0) == NOT_SUPPORTED, 0,
	      "%s: an unknown PSCI function: NOT_SUPPORTED", name);
	check(call(f, 0x84000050, 0, 0, 0) == NOT_SUPPORTED, 0,
	      "%s: TRNG (another standard service): NOT_SUPPORTED", name);
}

int main(void)
{
	u64 delta = sysreg_read(cntfrq_el0) / 100, t0;
	s64 r;

	conduit(hvc_call, "HVC");
	conduit(smc_call, "SMC");
	check((s64)smc_call(HC_NOP, 0, 0, 0, 0).x0 == NOT_SUPPORTED, 0,
	      "SMC: hv's own ABI is HVC only");

	/* CPU_SUSPEND: treated as standby, it returns once an interrupt is pending. */
	guest_irq_handler = on_irq;
	gic_init();
	gic_enable(VTIMER_INTID, true);
	t0 = ticks();
	vtimer_arm(delta);
	r = (s64)hvc_call(PSCI_CPU_SUSPEND_64, 0, RAM_BASE, 0, 0).x0;
	check(r == 0 && ticks() >= t0 + delta, ticks() - t0,
	      "CPU_SUSPEND returns SUCCESS after the timer fired");
	irqs_on();
	irqs_off();
	check(ticks_seen == 1, ticks_seen, "the wake-up interrupt is then taken");

	if (checks_done())
		return 1;
	gputs("powering off through PSCI SYSTEM_OFF\n");
	hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	check(false, 0, "SYSTEM_OFF does not return");
	return 1;
}
