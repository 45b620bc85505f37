/*
 * arm64 CPU helpers private to arch/arm64: firmware calls, the exception
 * handler's entry point, and the PSCI function IDs we use (Arm Power State
 * Coordination Interface, DEN 0022, 5.1).
 */
#ifndef ARM64_CPU_H
#define ARM64_CPU_H

#include <hv/types.h>

#include <arm64/regs.h>

#define PSCI_VERSION      0x84000000u
#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

/* Semihosting (Arm semihosting spec 2.0): SYS_EXIT with an exit code. */
#define SEMIHOST_SYS_EXIT         0x18u
#define SEMIHOST_APPLICATION_EXIT 0x20026u

/* Firmware calls (arch/arm64/firmware.S); both return (u64)-1 if the call is absent. */
u64 arm64_smc(u64 fn, u64 a1, u64 a2, u64 a3);
u64 arm64_semihost(u64 op, u64 param);
extern const char arm64_smc_insn[], arm64_semihost_insn[];
__noreturn void arm64_park(void);

/* Exception dispatch, called by arch/arm64/vectors.S with the saved frame. */
void arm64_exception(struct arm64_regs *regs, u64 kind);

/* Print a frame's registers and a backtrace starting from it (no locks taken). */
void arm64_report_regs(const struct arm64_regs *regs);

/* Whether [addr, addr + size) lies on one of the hypervisor's stacks. */
bool arm64_on_stack(u64 addr, u64 size);

/*
 * printf to the console without taking the console lock, for fault reports
 * and shutdown (the lock may be held by the code that faulted). Falls back
 * to the PL011 set up before the MMU when no console is registered yet.
 */
void arm64_emerg_printf(const char *fmt, ...) __printf(1, 2);

/* Counter frequency in Hz (CNTFRQ_EL0, or the DTB's override). */
u64 arm64_counter_hz(void);

#endif /* ARM64_CPU_H */
