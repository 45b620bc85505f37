/*
 * Test guest "psci_reset": PSCI SYSTEM_RESET through SMC. hv stops the VM
 * with the reason "reset" (one VM: there is nothing to restart it into)
 * and the hypervisor carries on to a normal end.
 */
#include "guest.h"

#define PSCI_SYSTEM_RESET 0x84000009

int main(void)
{
	gputs("resetting through PSCI SYSTEM_RESET (SMC)\n");
	smc_call(PSCI_SYSTEM_RESET, 0, 0, 0, 0);
	check(false, 0, "SYSTEM_RESET does not return");
	return 1;
}
