/*
 * x86 implementations of the small arch seams: spinning, time stamps, port
 * I/O for drivers, and stopping the machine.
 *
 * arch_shutdown() reports the status to the emulator when there is one:
 * QEMU's isa-debug-exit device (port 0xf4) when CPUID says we run under a
 * hypervisor, Bochs' shutdown port when Bochs' port 0xe9 hack answers. On
 * bare metal it halts, leaving the console readable.
 *
 * isa-debug-exit makes QEMU exit with (v << 1) | 1 for a written v, so a
 * plain 0 would look like QEMU's own failure status 1. We write
 * DEBUG_EXIT_BASE + status instead; scripts/run-qemu turns QEMU's status
 * back into ours (0 for success, 64 + status for a failure).
 */
#include <arch/cpu.h>
#include <arch/io.h>
#include <hv/string.h>
#include <hv/uart16550_console.h>
#include <x86/asm.h>
#include <x86/cpuid.h>
#include <x86/x86.h>

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_BASE      0x20 /* QEMU exits with ((0x20 + status) << 1) | 1 */
#define BOCHS_E9_PORT        0xe9 /* reads back 0xe9 when port_e9_hack is on */
#define BOCHS_SHUTDOWN_PORT  0x8900

_Static_assert(DEBUG_EXIT_BASE + HV_EXIT_MAX < 128, "QEMU's exit status is 8 bits");

void arch_zero_pages(void *p, size_t size)
{
	memset(p, 0, size);
}

void arch_cpu_relax(void)
{
	cpu_pause();
}

u64 arch_ticks(void)
{
	return rdtsc();
}

u8 arch_io_in8(u16 port)
{
	return inb(port);
}

void arch_io_out8(u16 port, u8 value)
{
	outb(port, value);
}

void arch_shutdown(int status)
{
	if (status < 0 || status > HV_EXIT_MAX)
		status = HV_EXIT_FAILURE;
	uart16550_console_flush();
	if (cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_HV)
		outb(QEMU_DEBUG_EXIT_PORT, (u8)(DEBUG_EXIT_BASE + status));
	if (inb(BOCHS_E9_PORT) == BOCHS_E9_PORT) {
		for (const char *p = "Shutdown"; *p; p++)
			outb(BOCHS_SHUTDOWN_PORT, (u8)*p);
	}
	for (;;) {
		cpu_cli();
		cpu_hlt();
	}
}
