/*
 * The device tree as a struct boot_info (contract in hv/fdt.h): arm64's
 * counterpart of the Multiboot parsers. Memory nodes become usable regions;
 * the reservation block, /reserved-memory and the DTB itself become
 * reserved regions (bootinfo_add_region() lets the reserved type win where
 * they overlap RAM); the initrd becomes a module named "initrd"; UART, GIC
 * and timer are copied. Every problem is logged and counted.
 */
#include <hv/bootinfo.h>
#include <hv/errno.h>
#include <hv/fdt.h>
#include <hv/log.h>

static void log_fdt_warning(void *ctx, const char *msg)
{
	log_warn("fdt: %s", msg);
}

int fdt_to_bootinfo(struct boot_info *bi, u64 fdt_pa, size_t avail)
{
	static struct fdt_platform plat; /* 2 KiB: not for the boot stack */
	struct fdt fdt;
	struct fdt_error err;
	const char *cmdline;

	bootinfo_init(bi, "fdt");
	bi->fdt = fdt_pa;
	if (fdt_open(&fdt, (const void *)(uptr)fdt_pa, avail, &err)) {
		log_err("fdt: device tree at 0x%llx refused: %s (byte offset 0x%x)",
			(unsigned long long)fdt_pa, err.what, err.offset);
		bi->warning_count++;
		return HV_EINVAL;
	}
	fdt_parse(&fdt, &plat, log_fdt_warning, NULL);
	bi->warning_count += plat.warning_count;

	cmdline = bootinfo_strdup(bi, plat.bootargs, BOOTINFO_CMDLINE_MAX);
	if (!cmdline) {
		log_warn("fdt: bootargs longer than %u bytes; ignored", BOOTINFO_CMDLINE_MAX);
		bi->warning_count++;
		cmdline = "";
	}
	bi->cmdline = cmdline;
	for (u32 i = 0; i < plat.ram_count; i++)
		bootinfo_add_region(bi, plat.ram[i].base, plat.ram[i].size, MEM_USABLE);
	for (u32 i = 0; i < plat.reserved_count; i++)
		bootinfo_add_region(bi, plat.reserved[i].base, plat.reserved[i].size, MEM_RESERVED);
	bootinfo_add_region(bi, fdt_pa, fdt.size, MEM_RESERVED);
	if (plat.has_initrd) {
		bi->modules[0] =
		    (struct boot_module){ plat.initrd_start, plat.initrd_end, "initrd" };
		bi->module_count = 1;
	}
	bi->uart = plat.uart;
	bi->irqchip = plat.irqchip;
	bi->timer = plat.timer;
	return 0;
}
