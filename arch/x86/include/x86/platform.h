/*
 * The PC a guest sees (arch/x86/guest/x86_platform.c), the same under SVM
 * and VMX: device models wired together, their interrupt lines, time, and
 * what a vCPU does while the guest halts.
 *
 *   ports          device                       model                  IRQ
 *   0x20-0x21      8259A master                 vmm/dev/i8259.c        -
 *   0xa0-0xa1      8259A slave (on IR2)         vmm/dev/i8259.c        -
 *   0x4d0-0x4d1    ELCR                         vmm/dev/i8259.c        -
 *   0x40-0x43      8254 PIT                     vmm/dev/i8254.c        0
 *   0x61           port B (PIT gate 2, speaker) vmm/dev/i8254.c        -
 *   0x3f8-0x3ff    16550A UART (COM1)           vmm/dev/uart16550.c    4
 *   0x600-0x60b    ACPI PM1a, PM timer          vmm/dev/acpi_pm.c      (SCI 9, never raised)
 *   0xcf9          reset control / ACPI RESET_REG vmm/dev/acpi_pm.c    -
 *   0x70-0x71      RTC/CMOS                     the real one (passed through)
 *   0x80           POST/delay port              the real one (passed through)
 *   anything else  nothing: reads all-ones, writes ignored
 *
 * Interrupts reach the vCPU only through the emulated 8259 pair: the
 * backend asks x86_platform_irq_pending() before each entry and injects
 * x86_platform_irq_ack()'s vector when the guest can take it. No local
 * APIC or I/O APIC is offered (CPUID says so).
 *
 * Time: the PIT runs on arch_time_ns(). The backend checks the cheap
 * x86_platform_timer_due() on every exit; the host's own timer interrupt
 * (1 kHz, arch/x86/host_irq.c) makes sure an exit happens at least that
 * often, so the guest's timer interrupts are late by at most 1 ms.
 *
 * Everything here runs on the CPU of the VM's vCPU; no locks.
 */
#ifndef X86_PLATFORM_H
#define X86_PLATFORM_H

#include <hv/dev/acpi_pm.h>
#include <hv/dev/i8254.h>
#include <hv/dev/i8259.h>
#include <hv/dev/uart16550.h>
#include <hv/loader_x86.h>
#include <hv/types.h>

struct vm;

#define X86_IRQ_PIT  0
#define X86_IRQ_COM1 4
#define X86_IRQ_SCI  9
#define X86_COM1     0x3f8

struct x86_platform {
	struct vm *vm;
	struct x86_boot_state boot; /* the loader's entry state, for the backend's vCPU set-up */
	struct i8259 pic;
	struct i8254 pit;
	struct uart16550 uart;
	struct acpi_pm pm;
	u64 next_timer_tsc; /* TSC value at which a device timer is due (~0: none) */
	/* Accesses to ports nothing decodes. */
	u64 unclaimed_reads, unclaimed_writes;
	u16 last_unclaimed_port;
};

/* Create the platform of vm (vm->platform); NULL when out of memory. */
struct x86_platform *x86_platform_create(struct vm *vm);
void x86_platform_destroy(struct x86_platform *p);

/* An interrupt is waiting for the CPU (the 8259 master's INT output). */
static inline bool x86_platform_irq_pending(const struct x86_platform *p)
{
	return i8259_has_interrupt(&p->pic);
}

/* The INTA cycle: the vector to deliver (moves the request into service). */
static inline u8 x86_platform_irq_ack(struct x86_platform *p)
{
	return i8259_ack(&p->pic);
}

/* Whether a device timer is due at TSC value now (one compare: call it on every exit). */
static inline bool x86_platform_timer_due(const struct x86_platform *p, u64 now_tsc)
{
	return now_tsc >= p->next_timer_tsc;
}

/* Fire the device timers that are due and compute the next deadline. */
void x86_platform_timers(struct x86_platform *p);

/*
 * Housekeeping on a host timer tick (an INTR exit) and while idle: read the
 * console's input, hand queued input to the UART as it has room, and run
 * the device timers.
 */
void x86_platform_poll(struct x86_platform *p);

/*
 * The guest executed HLT with interrupts enabled: wait (halting the host
 * CPU between host timer ticks) until an interrupt is pending for it or the
 * VM stopped. Returns the number of host ticks waited.
 */
u64 x86_platform_idle(struct x86_platform *p);

/* Port accesses to the devices (x86_io.c dispatches here). */
u32 x86_platform_io_in(struct x86_platform *p, u16 port, unsigned size);
void x86_platform_io_out(struct x86_platform *p, u16 port, unsigned size, u32 value);

/* Print the devices' figures (Ctrl-] s). */
void x86_platform_print_stats(const struct x86_platform *p);

#endif /* X86_PLATFORM_H */
