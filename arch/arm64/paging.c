/*
 * arch_paging_init() for arm64: replace the boot map with the hypervisor's
 * final EL2 identity map, built on frames from the normalised boot_info:
 * usable RAM read-write and never executable, the image with W^X per
 * section, the DTB and boot modules read-only, and the devices we drive
 * (UART, GIC distributor, redistributors, CPU and hypervisor interfaces)
 * as Device-nGnRE. Reserved and no-map memory stays unmapped.
 */
#include <arch/boot.h>
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>

#include <arm64/boot.h>
#include <arm64/cpu.h>

static void *frame_table(void *ctx)
{
	return page_alloc();
}

static void plan_add(struct map_range *list, u32 *count, u32 max, u64 base, u64 size,
		     const char *what)
{
	if (!map_plan_add(list, count, max, base, size))
		log_warn("paging: too many ranges; %s [0x%llx, +0x%llx) left unmapped", what,
			 (unsigned long long)base, (unsigned long long)size);
}

static void plan_from_bootinfo(struct map_plan *plan, const struct boot_info *bi)
{
	const struct boot_irqchip *g = &bi->irqchip;

	memset(plan, 0, sizeof(*plan));
	for (u32 i = 0; i < bi->region_count; i++)
		if (bi->regions[i].type == MEM_USABLE)
			plan_add(plan->ram, &plan->ram_count, MAP_PLAN_RAM, bi->regions[i].base,
				 bi->regions[i].size, "RAM");
	if (arm64_boot.fdt_ok)
		plan_add(plan->ro, &plan->ro_count, MAP_PLAN_OTHER, arm64_boot.dtb,
			 arm64_boot.fdt.size, "the DTB");
	for (u32 i = 0; i < bi->module_count; i++)
		plan_add(plan->ro, &plan->ro_count, MAP_PLAN_OTHER, bi->modules[i].start,
			 bi->modules[i].end - bi->modules[i].start, "a boot module");
	if (bi->uart.type == BOOT_UART_PL011)
		plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, bi->uart.regs.base,
			 bi->uart.regs.size, "the UART");
	plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->dist.base, g->dist.size, "GICD");
	plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->redist.base, g->redist.size,
		 "GICR");
	plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->cpu.base, g->cpu.size, "GICC");
	plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->hyp.base, g->hyp.size, "GICH");
}

void arch_paging_init(const struct boot_info *bi)
{
	static struct map_plan plan;
	struct pt_el2 pt;
	int err;

	plan_from_bootinfo(&plan, bi);
	err = pt_el2_init(&pt, arm64_boot.va_bits, (struct pt_pages){ frame_table, NULL });
	if (!err)
		err = map_plan_build(&pt, &plan);
	if (err)
		panic("paging: cannot build the EL2 map: %s (%s)", err_text(err), err_name(err));
	/* SCTLR_EL2.WXN enforces it too; a writable executable page here is our bug. */
	CHECK(pt_el2_count_wx(&pt) == 0);
	arm64_mmu_switch((u64)(uptr)pt.root);
	arm64_boot.pt = pt;
	log_info("paging: EL2 identity map, %u-bit VA, %u tables: text RX, rodata R, data RW+XN; "
		 "%u RAM, %u read-only, %u device ranges",
		 pt.va_bits, pt.table_count, plan.ram_count, plan.ro_count, plan.dev_count);
}
