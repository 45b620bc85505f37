/*
 * The arch seam for CPU basics. Generic code (vmm/, mm/, drivers/, boot/main.c)
 * calls only arch_* functions declared under include/arch/; arch/x86,
 * arch/arm64 and arch/fake (the host build used by unit tests) implement them.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <hv/types.h>

/* Hint to the CPU that we are spinning (PAUSE / YIELD). */
void arch_cpu_relax(void);

/* Monotonic time since boot in nanoseconds (TSC / CNTVCT based). */
u64 arch_time_ns(void);

/* A raw cycle/tick counter for benchmarks (RDTSC / CNTVCT_EL0). */
u64 arch_ticks(void);

/*
 * Zero size bytes of RAM at p (the hypervisor's mapping; p and size
 * page-aligned): the fastest way the CPU has, for guest memory (arm64: DC
 * ZVA, a cache line per instruction; elsewhere memset).
 */
void arch_zero_pages(void *p, size_t size);

/* Print the caller's registers and a frame-pointer backtrace to the console. */
void arch_dump_state(void);

/* Statuses for arch_shutdown(): how the hypervisor ended. */
enum hv_exit_status {
	HV_EXIT_SUCCESS = 0,
	HV_EXIT_FAILURE = 1,     /* an orderly stop because something was missing */
	HV_EXIT_PANIC = 2,       /* panic() or a failed CHECK() */
	HV_EXIT_NESTED = 3,      /* a panic or fault while handling one */
	HV_EXIT_EXCEPTION = 4,   /* an unexpected exception in the hypervisor */
	HV_EXIT_GUEST_ERROR = 5, /* the boot guest ended reporting failure (HC_SHUTDOWN n != 0) */
	HV_EXIT_VM_FAILED = 6,   /* the hypervisor stopped the boot guest (fault, bad access) */
	HV_EXIT_MAX = 63,
};

/*
 * Stop the machine: under QEMU, exit with this status (0 = success) through
 * isa-debug-exit / PSCI SYSTEM_OFF / semihosting; on bare metal, halt forever.
 * status is an enum hv_exit_status (0..HV_EXIT_MAX).
 */
__noreturn void arch_shutdown(int status);

#endif /* ARCH_CPU_H */
