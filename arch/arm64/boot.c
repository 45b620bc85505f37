/*
 * The arm64 side of bring-up (include/arch/boot.h) up to boot_info: the
 * console, the image range and the DTB. By the time hv_main() runs,
 * entry.S and boot_map.c have relocated the image, installed the vectors
 * and turned the MMU on with the boot map.
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/pl011_console.h>
#include <hv/string.h>

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

/*
 * console=: "pl011" is the UART the device tree names as stdout (the only one
 * the boot map makes reachable), "none" silences the console.
 */
int arch_console_select(const char *spec)
{
	const struct boot_uart *uart = &arm64_boot.plat.uart;

	if (strcmp(spec, "none") == 0) {
		log_info("console: switching to none (silence)");
		console_set(NULL);
		return 0;
	}
	if (strcmp(spec, "pl011") != 0)
		return HV_EINVAL;
	if (uart->type != BOOT_UART_PL011)
		return HV_ENOENT;
	console_set(pl011_console_init(uart->regs.base, uart->clock_hz));
	return 0;
}

void arch_image_range(hpa_t *start, hpa_t *end)
{
	*start = hpa((u64)(uptr)__image_start);
	*end = hpa((u64)(uptr)__image_end);
}

void arm64_log_devices(const struct boot_info *bi)
{
	const struct boot_irqchip *g = &bi->irqchip;
	const struct boot_timer *t = &bi->timer;

	if (bi->uart.type == BOOT_UART_PL011)
		log_info("fdt: console PL011 at 0x%llx, clock %u Hz",
			 (unsigned long long)bi->uart.regs.base, bi->uart.clock_hz);
	if (g->type != BOOT_IRQCHIP_NONE)
		log_info("fdt: GICv%u distributor 0x%llx, %s 0x%llx, hyp interface 0x%llx, "
			 "maintenance IRQ %u",
			 g->type, (unsigned long long)g->dist.base,
			 g->type == BOOT_IRQCHIP_GICV3 ? "redistributors" : "CPU interface",
			 (unsigned long long)(g->type == BOOT_IRQCHIP_GICV3 ? g->redist.base
									    : g->cpu.base),
			 (unsigned long long)g->hyp.base, g->maint_irq);
	log_info("fdt: timer IRQs: phys %u, virt %u, hyp %u", t->phys_irq, t->virt_irq, t->hyp_irq);
	for (u32 i = 0; i < bi->module_count; i++)
		log_info("fdt: %s [0x%llx, 0x%llx), %llu bytes", bi->modules[i].cmdline,
			 (unsigned long long)bi->modules[i].start,
			 (unsigned long long)bi->modules[i].end,
			 (unsigned long long)(bi->modules[i].end - bi->modules[i].start));
}

/* No guests on arm64 yet (issue 7): bring-up ends with the report. */
bool arch_guest_wanted(const struct boot_info *bi)
{
	(void)bi;
	return false;
}

int arch_guest_run(const struct boot_info *bi)
{
	(void)bi;
	return HV_EXIT_FAILURE;
}
