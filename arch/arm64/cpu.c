/*
 * arm64 implementations of the CPU basics in include/arch/cpu.h: time from
 * the generic timer's counter, the register dump behind panic(), and
 * shutdown through PSCI or semihosting.
 *
 * Time uses the physical counter CNTPCT_EL0. Boot sets CNTVOFF_EL2 to 0, so
 * it equals the virtual counter CNTVCT_EL0 until a guest runs; after that
 * CNTVOFF_EL2 belongs to the guest, and the hypervisor's clock must not
 * jump with it.
 */
#include <arch/cpu.h>
#include <hv/log.h>
#include <hv/pl011_console.h>
#include <hv/string.h>

#include <arm64/boot.h>
#include <arm64/cpu.h>
#include <arm64/sysreg.h>

#define NSEC_PER_SEC 1000000000ull
/* DCZID_EL0 (D19 "DCZID_EL0"): block size as log2 of 4-byte words, and "prohibited". */
#define DCZID_BS_MASK 0xfull
#define DCZID_DZP     BIT(4)

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" : : : "memory");
}

void arch_zero_pages(void *p, size_t size)
{
	u64 dczid = read_sysreg(dczid_el0);
	u64 block = 4ull << (dczid & DCZID_BS_MASK), a = (u64)(uptr)p, end = a + size;

	/* DC ZVA writes zeros to a whole block at once; DZP says it is not allowed. */
	if ((dczid & DCZID_DZP) || !IS_ALIGNED(a | size, block)) {
		memset(p, 0, size);
		return;
	}
	for (; a < end; a += block)
		__asm__ volatile("dc zva, %0" : : "r"(a) : "memory");
	dsb_ish();
}

u64 arch_ticks(void)
{
	/* The ISB keeps the read from being done early, ahead of the code being timed. */
	isb();
	return read_sysreg(cntpct_el0);
}

u64 arm64_counter_hz(void)
{
	u64 hz = read_sysreg(cntfrq_el0);

	/* CNTFRQ_EL0 is only what firmware wrote; a DTB clock-frequency overrides it. */
	if (arm64_boot.plat.timer.freq_hz)
		hz = arm64_boot.plat.timer.freq_hz;
	return hz ? hz : 1;
}

u64 arch_time_ns(void)
{
	u64 t = arch_ticks(), hz = arm64_counter_hz();

	/* Split so that t * 10^9 cannot overflow: (t / hz) s plus the remainder. */
	return t / hz * NSEC_PER_SEC + t % hz * NSEC_PER_SEC / hz;
}

void arch_dump_state(void)
{
	struct arm64_regs r = { 0 };

	__asm__ volatile("stp x0, x1, [%0, #0]\n\t"
			 "stp x2, x3, [%0, #16]\n\t"
			 "stp x4, x5, [%0, #32]\n\t"
			 "stp x6, x7, [%0, #48]\n\t"
			 "stp x8, x9, [%0, #64]\n\t"
			 "stp x10, x11, [%0, #80]\n\t"
			 "stp x12, x13, [%0, #96]\n\t"
			 "stp x14, x15, [%0, #112]\n\t"
			 "stp x16, x17, [%0, #128]\n\t"
			 "stp x18, x19, [%0, #144]\n\t"
			 "stp x20, x21, [%0, #160]\n\t"
			 "stp x22, x23, [%0, #176]\n\t"
			 "stp x24, x25, [%0, #192]\n\t"
			 "stp x26, x27, [%0, #208]\n\t"
			 "stp x28, x29, [%0, #224]\n\t"
			 "str x30, [%0, #240]\n\t"
			 "mov x9, sp\n\t"
			 "str x9, [%0, #248]"
			 :
			 : "r"(&r)
			 : "x9", "memory");
	/* "pc" is our caller; the backtrace starts from our own frame record. */
	r.elr = (u64)(uptr)__builtin_return_address(0);
	r.x[29] = (u64)(uptr)__builtin_frame_address(0);
	r.spsr = read_sysreg(daif) | read_sysreg(CurrentEL);
	arm64_report_regs(&r);
}

void arch_shutdown(int status)
{
	const u64 exit_block[2] = { SEMIHOST_APPLICATION_EXIT, (u64)(unsigned)status };

	pl011_console_flush();
	/*
	 * PSCI SYSTEM_OFF has no status: use it for success only. From EL2 only
	 * an SMC reaches firmware (an HVC would come back to us); if the SMC
	 * is UNDEFINED here, traps.c turns it into a -1 return.
	 */
	if (status == 0 && arm64_boot.plat.psci == FDT_PSCI_SMC)
		arm64_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
	/* Semihosting carries the status out of an emulator; absent on hardware. */
	arm64_semihost(SEMIHOST_SYS_EXIT, (u64)(uptr)exit_block);
	arm64_emerg_printf("hv: halted (status %d): no way to power off\n", status);
	pl011_console_flush();
	arm64_park();
}
