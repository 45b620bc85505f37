/*
 * TEMPORARY stand-in for boot/main.c until the foundation (boot info,
 * command line, frames, heap) lands on main; deleted at that merge. It runs
 * the arm64 hooks in main.c's order, fills a boot_info by hand from what the
 * boot map parsed, and hands arch_paging_init() pages from a bump allocator
 * at the top of the first RAM range (standing in for the frame allocator).
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/version.h>

#include <arm64/boot.h>

void hv_main(u64 boot_arg0, u64 boot_arg1);
void arm64_selftest(const char *cmdline);

static struct boot_info boot_info;
static u64 bump_top, bump_floor;

void *page_alloc(void)
{
	void *p;

	if (bump_top - PAGE_SIZE < bump_floor)
		return NULL;
	bump_top -= PAGE_SIZE;
	p = (void *)(uptr)bump_top;
	memset(p, 0, PAGE_SIZE);
	return p;
}

static void fill_bootinfo(struct boot_info *bi, const struct fdt_platform *p)
{
	bi->protocol = "fdt";
	bi->cmdline = p->bootargs;
	for (u32 i = 0; i < p->ram_count && i < BOOTINFO_MAX_REGIONS; i++)
		bi->regions[bi->region_count++] =
		    (struct mem_region){ p->ram[i].base, p->ram[i].size, MEM_USABLE };
	bi->fdt = arm64_boot.dtb;
	if (p->has_initrd)
		bi->modules[bi->module_count++] =
		    (struct boot_module){ p->initrd_start, p->initrd_end, "initrd" };
	bi->uart = p->uart;
	bi->irqchip = p->irqchip;
	bi->timer = p->timer;
}

void hv_main(u64 boot_arg0, u64 boot_arg1)
{
	const struct fdt_platform *p = &arm64_boot.plat;
	hpa_t start, end;
	u64 total = 0;

	arch_early_init();
	hv_printf("\n%s %s (%s)\n", HV_NAME, HV_VERSION_STRING, HV_ARCH_NAME);
	if (!arm64_boot.fdt_ok)
		log_err("fdt: DTB at 0x%llx unusable: %s (offset 0x%x)",
			(unsigned long long)boot_arg0, arm64_boot.fdt_err.what,
			arm64_boot.fdt_err.offset);
	fill_bootinfo(&boot_info, p);
	log_info("fdt: model \"%s\", bootargs \"%s\"", p->model, p->bootargs);
	arm64_log_devices(&boot_info);
	for (u32 i = 0; i < p->ram_count; i++) {
		log_info("mem: [0x%016llx, 0x%016llx) RAM", (unsigned long long)p->ram[i].base,
			 (unsigned long long)(p->ram[i].base + p->ram[i].size));
		total += p->ram[i].size;
	}
	arch_image_range(&start, &end);
	log_info("mem: image [0x%llx, 0x%llx), %llu KiB of RAM", (unsigned long long)hpa_val(start),
		 (unsigned long long)hpa_val(end), (unsigned long long)(total >> 10));
	if (p->ram_count == 0)
		panic("no usable memory: the boot loader gave no usable memory map");
	bump_top = ALIGN_DOWN(p->ram[0].base + p->ram[0].size, PAGE_SIZE);
	bump_floor = MAX(hpa_val(end), bump_top - SZ_2M);
	arch_paging_init(&boot_info);
	arch_cpu_features_init();
	arm64_selftest(p->bootargs);
	log_info("bring-up complete; no guest to run yet");
	(void)boot_arg1;
	arch_shutdown(0);
}
