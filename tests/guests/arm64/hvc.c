/*
 * Test guest "hvc": hv's hypercall ABI over HVC #0 (docs/hypercall.md):
 * every function with good and bad arguments, the registers it must leave
 * alone, the error for other HVC immediates and unknown numbers, and that
 * HVC at EL0 is UNDEFINED (taken by the guest's own EL1, never by hv).
 */
#include "guest.h"

static char text[] = "hello from the hvc test guest\n";

int main(void)
{
	struct call_res r;
	u64 t0, t1;
	char name[25] = { 0 };

	r = hvc_call(HC_VERSION, 0, 0, 0, 0);
	for (unsigned i = 0; i < 8; i++) {
		name[i] = (char)(r.x1 >> (8 * i));
		name[8 + i] = (char)(r.x2 >> (8 * i));
		name[16 + i] = (char)(r.x3 >> (8 * i));
	}
	check(r.x0 == HC_ABI_VERSION, r.x0, "VERSION is %u.%u", (unsigned)HC_ABI_MAJOR,
	      (unsigned)HC_ABI_MINOR);
	check(name[0] == 'h' && name[1] == 'v' && name[2] == 0, r.x1, "VERSION names \"hv\"");

	r = hvc_call(HC_NOP, 1, 2, 3, 4);
	check(r.x0 == 0 && r.x1 == 1 && r.x2 == 2 && r.x3 == 3, r.x0,
	      "NOP returns 0 and leaves x1-x3");
	check(hvc_clobber_count() == 0, 0, "x4-x17 survive a hypercall");

	r = hvc_call(HC_CONSOLE_WRITE, (u64)text, sizeof(text) - 1, 0, 0);
	check(r.x0 == sizeof(text) - 1, r.x0, "CONSOLE_WRITE returns the length");
	r = hvc_call(HC_CONSOLE_WRITE, (u64)text, HC_CONSOLE_WRITE_MAX + 1, 0, 0);
	check((s64)r.x0 == HC_E2BIG, r.x0, "CONSOLE_WRITE over the limit: E2BIG");
	r = hvc_call(HC_CONSOLE_WRITE, 0x1000, 16, 0, 0);
	check((s64)r.x0 == HC_EFAULT, r.x0, "CONSOLE_WRITE from outside RAM: EFAULT");
	r = hvc_call(HC_CONSOLE_WRITE, GICC_BASE, 16, 0, 0);
	check((s64)r.x0 == HC_EFAULT, r.x0, "CONSOLE_WRITE from a device window: EFAULT");
	r = hvc_call(HC_CONSOLE_WRITE, ~0ull - 4, 16, 0, 0);
	check((s64)r.x0 == HC_EFAULT, r.x0, "CONSOLE_WRITE wrapping around: EFAULT");

	r = hvc_call(HC_TEST_RESULT, 1000, 7, 0, 0);
	check((s64)r.x0 == HC_EINVAL, r.x0, "TEST_RESULT with status 7: EINVAL");
	r = hvc_call(HC_FN(0x99), 0, 0, 0, 0);
	check((s64)r.x0 == HC_ENOSYS, r.x0, "an unknown hv function: ENOSYS");
	r = hvc_call(0x82000000, 0, 0, 0, 0); /* SiP service: nobody's here */
	check((s64)r.x0 == -1, r.x0, "an unknown SMCCC service: NOT_SUPPORTED");
	check((s64)hvc1_call(HC_NOP) == -1, 0, "HVC #1: NOT_SUPPORTED");

	t0 = hvc_call(HC_TICKS, 0, 0, 0, 0).x0;
	t1 = hvc_call(HC_TICKS, 0, 0, 0, 0).x0;
	check(t1 > t0 && !(t1 >> 63), t1 - t0, "TICKS counts up");
	/* CNTVOFF_EL2 is 0: the guest's virtual counter is hv's clock. */
	t0 = ticks();
	t1 = hvc_call(HC_TICKS, 0, 0, 0, 0).x0;
	check(t1 >= t0 && t1 - t0 < 1000000, t1 - t0, "the virtual counter is hv's clock");

	probe_el0_hvc();
	check(probe_faulted() && ESR_EC(probe.esr) == EC_UNKNOWN && probe.kind / 4 == 2, probe.esr,
	      "HVC at EL0 is UNDEFINED, taken at EL1");
	return checks_done();
}
