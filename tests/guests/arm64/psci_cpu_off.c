/*
 * Test guest "psci_cpu_off": PSCI CPU_OFF on the only vCPU. The call does
 * not return; with no vCPU left running, hv stops the VM with success.
 */
#include "guest.h"

#define PSCI_CPU_OFF 0x84000002

int main(void)
{
	gputs("turning the only vCPU off through PSCI CPU_OFF\n");
	hvc_call(PSCI_CPU_OFF, 0, 0, 0, 0);
	check(false, 0, "CPU_OFF does not return");
	return 1;
}
