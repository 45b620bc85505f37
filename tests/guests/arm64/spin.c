/*
 * Test guest "spin": loops forever with interrupts masked and nothing that
 * traps. The only way out is the hypervisor's: console input raises the
 * UART's interrupt at EL2 (HCR_EL2.IMO routes it there whatever the guest
 * masks), so Ctrl-] q still stops the VM.
 */
#include "guest.h"

int main(void)
{
	gputs("spinning with interrupts masked; Ctrl-] q stops me\n");
	irqs_off();
	for (;;)
		__asm__ volatile("" ::: "memory");
	return 1;
}
