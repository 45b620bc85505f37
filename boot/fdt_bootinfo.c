/*
 * The device tree as a struct boot_info (contract in hv/fdt.h): arm64's
 * counterpart of the Multiboot parsers. Memory nodes become usable regions,
 * minus /reserved-memory entries marked no-map (firmware-private memory we
 * must not even map); the other reservations, the reservation block and the
 * DTB itself become platform reservations (mapped, never allocated); the
 * initrd becomes a module named "initrd"; UART, GIC and timer are copied.
 * Every problem is logged and counted.
 */
#include <hv/bootinfo.h>
#include <hv/errno.h>
#include <hv/fdt.h>
#include <hv/log.h>

static void log_fdt_warning(void *ctx, const char *msg)
{
	log_warn("fdt: %s", msg);
}

static u64 range_end(u64 base, u64 size)
{
	return base + size < base ? ~0ull : base + size;
}

/* Add RAM [base, base + size) as usable, leaving out every no-map reservation. */
static void add_ram_minus_nomap(struct boot_info *bi, const struct fdt_platform *plat, u64 base,
				u64 size)
{
	u64 cur = base, end = range_end(base, size);

	while (cur < end) {
		u64 cut = end, cut_end = end;

		/* The lowest no-map range that reaches into [cur, end). */
		for (u32 i = 0; i < plat->reserved_count; i++) {
			const struct fdt_reserved *r = &plat->reserved[i];
			u64 rb = r->base, re = range_end(r->base, r->size);

			if (!r->no_map || re <= cur || rb >= end)
				continue;
			if (MAX(rb, cur) < cut) {
				cut = MAX(rb, cur);
				cut_end = re;
			}
		}
		if (cut > cur)
			bootinfo_add_region(bi, cur, cut - cur, MEM_USABLE);
		cur = MIN(cut_end, end);
	}
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
		add_ram_minus_nomap(bi, &plat, plat.ram[i].base, plat.ram[i].size);
	for (u32 i = 0; i < plat.reserved_count; i++)
		if (!plat.reserved[i].no_map)
			bootinfo_reserve(bi, plat.reserved[i].base, plat.reserved[i].size,
					 "device-tree reservation");
	bootinfo_reserve(bi, fdt_pa, fdt.size, "device tree");
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
