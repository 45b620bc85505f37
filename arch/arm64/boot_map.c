/*
 * The boot map: the first EL2 page tables, built by arm64_boot_map_init()
 * with the MMU and data cache off, called from boot/arm64/entry.S.
 *
 * Why a boot map at all, rather than running C with the MMU off until
 * arch_paging_init(): with the MMU off every data access is Device-nGnRnE,
 * and on real hardware exclusive loads/stores (our spinlocks, the console
 * lock) to Device memory may fault or never succeed, unaligned accesses
 * fault, and nothing is cached. So before any generic code runs, this maps
 * the image with W^X, the DTB read-only, the console UART, and all RAM the
 * DTB describes minus /reserved-memory "no-map" ranges (firmware memory
 * that must not even be speculatively accessed). The frame allocator and
 * heap can then touch RAM; arch_paging_init() later replaces this map with
 * one built from the normalised boot_info.
 *
 * Rules for this file: no logging, no atomics, no locks; only the pl011
 * driver's raw output for fatal errors.
 */
#include <arch/cpu.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/pl011_console.h>
#include <hv/string.h>

#include <arm64/boot.h>
#include <arm64/sysreg.h>

/* 16 tables cover the image, a few RAM ranges and devices; the build asserts its size. */
#define BOOT_POOL_PAGES 16

static u8 boot_pool[BOOT_POOL_PAGES][PAGE_SIZE] __section(".pgpool") __aligned(PAGE_SIZE);
static u32 boot_pool_used;

struct arm64_boot arm64_boot;
u64 arm64_entry_ticks;
u64 arm64_entry_sctlr;

static void *boot_pool_alloc(void *ctx)
{
	u8 *page;

	if (boot_pool_used == BOOT_POOL_PAGES)
		return NULL;
	page = boot_pool[boot_pool_used++];
	memset(page, 0, PAGE_SIZE);
	return page;
}

/* A fatal problem before the MMU is on: say so on the UART if we have one, then stop. */
static __noreturn void boot_map_fail(const char *what, int err)
{
	char line[128];
	const struct console_dev *con = arm64_boot.early_console;
	int n = fmt_snprintf(line, sizeof(line), "\r\nhv: boot map failed: %s (%s)\r\n", what,
			     err_name(err));

	for (int i = 0; con && i < n && line[i]; i++)
		con->putc(line[i]);
	arch_shutdown(HV_EXIT_FAILURE);
}

static unsigned parange_bits(unsigned parange)
{
	static const u8 bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	return parange < ARRAY_SIZE(bits) ? bits[parange] : 48;
}

/* The plan for the boot map, from what the DTB said. */
static void plan_from_dtb(struct map_plan *plan, const struct arm64_boot *b)
{
	const struct fdt_platform *p = &b->plat;
	const struct boot_irqchip *g = &p->irqchip;

	memset(plan, 0, sizeof(*plan));
	if (!b->fdt_ok)
		return;
	map_plan_add(plan->ro, &plan->ro_count, MAP_PLAN_OTHER, b->dtb, b->fdt.size);
	if (p->has_initrd)
		map_plan_add(plan->ro, &plan->ro_count, MAP_PLAN_OTHER, p->initrd_start,
			     p->initrd_end - p->initrd_start);
	if (p->uart.type == BOOT_UART_PL011)
		map_plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, p->uart.regs.base,
			     p->uart.regs.size);
	map_plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->dist.base, g->dist.size);
	map_plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->redist.base, g->redist.size);
	map_plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->cpu.base, g->cpu.size);
	map_plan_add(plan->dev, &plan->dev_count, MAP_PLAN_OTHER, g->hyp.base, g->hyp.size);
	for (u32 i = 0; i < p->reserved_count; i++)
		if (p->reserved[i].no_map)
			map_plan_add(plan->hole, &plan->hole_count, MAP_PLAN_OTHER,
				     p->reserved[i].base, p->reserved[i].size);
	for (u32 i = 0; i < p->ram_count; i++)
		map_plan_add(plan->ram, &plan->ram_count, MAP_PLAN_RAM, p->ram[i].base,
			     p->ram[i].size);
}

void arm64_boot_map_init(u64 dtb)
{
	struct arm64_boot *b = &arm64_boot;
	static struct map_plan plan; /* too large for the boot stack */
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	int err;

	b->dtb = dtb;
	if (dtb == 0 || !IS_ALIGNED(dtb, 8)) {
		b->fdt_err = (struct fdt_error){ "no DTB (x0 is 0 or misaligned)", 0 };
	} else if (fdt_open(&b->fdt, (const void *)(uptr)dtb, FDT_MAX_SIZE, &b->fdt_err) == 0) {
		b->fdt_ok = true;
		fdt_parse(&b->fdt, &b->plat, NULL, NULL);
		if (b->plat.uart.type == BOOT_UART_PL011)
			b->early_console =
			    pl011_console_init(b->plat.uart.regs.base, b->plat.uart.clock_hz);
	}

	if (id_field(mmfr0, ID_MMFR0_TGRAN4_SHIFT) == ID_MMFR0_TGRAN4_NONE)
		boot_map_fail("this CPU has no 4 KiB translation granule", HV_ENOSYS);
	b->parange = id_field(mmfr0, ID_MMFR0_PARANGE_SHIFT);
	b->va_bits = MIN(parange_bits(b->parange), PT_MAX_VA_BITS);

	err = pt_el2_init(&b->pt, b->va_bits, (struct pt_pages){ boot_pool_alloc, NULL });
	if (err)
		boot_map_fail("no page for the root table", err);
	plan_from_dtb(&plan, b);
	err = map_plan_build(&b->pt, &plan);
	if (err)
		boot_map_fail("cannot map the image, DTB, devices and RAM", err);

	write_sysreg(mair_el2, MAIR_EL2_VALUE);
	write_sysreg(tcr_el2, pt_el2_tcr(&b->pt, b->parange));
	write_sysreg(ttbr0_el2, (u64)(uptr)b->pt.root);
	isb();
}
