/*
 * Test guest "mmio_isv0": a store pair to the emulated PL011. The data
 * abort has no instruction syndrome (ISV = 0) and hv does not decode
 * instructions, so it stops the VM with the address, PC and reason; the
 * hypervisor itself carries on and reports a failed VM.
 */
#include "guest.h"

int main(void)
{
	gputs("stp to the PL011: hv must stop this VM\n");
	probe_stp(UART_BASE, 'x', 'y');
	check(false, probe.esr, "the VM is stopped before this line");
	return 1;
}
