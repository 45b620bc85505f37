/*
 * The arm64 side of bring-up (include/arch/boot.h) up to boot_info: the
 * console, the image range and the DTB. By the time hv_main() runs,
 * entry.S and boot_map.c have relocated the image, installed the vectors
 * and turned the MMU on with the boot map.
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/log.h>

#include <arm64/boot.h>
#include <arm64/cpu.h>
#include <arm64/sysreg.h>

/* CNTPCT_EL0 when hv_main() started (arm64_entry_ticks is at the first instruction). */
u64 arm64_main_ticks;

void arch_early_init(void)
{
	arm64_main_ticks = arch_ticks();
	/* The PL011 named by the DTB; without one the hypervisor runs silent. */
	if (arm64_boot.early_console)
		console_set(arm64_boot.early_console);
	if (arm64_entry_sctlr & (SCTLR_EL2_M | SCTLR_EL2_C))
		log_warn("arm64: the boot loader left the EL2 MMU or data cache on (SCTLR_EL2 "
			 "0x%llx); the arm64 boot protocol wants both off",
			 (unsigned long long)arm64_entry_sctlr);
}

void arch_image_range(hpa_t *start, hpa_t *end)
{
	*start = hpa((u64)(uptr)__image_start);
	*end = hpa((u64)(uptr)__image_end);
}
