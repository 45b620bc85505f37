/*
 * arch_bootinfo_parse() for arm64: the DTB the loader passed in x0, as
 * checked and mapped by the boot map (arch/arm64/boot_map.c).
 */
#include <arch/boot.h>
#include <hv/fdt.h>
#include <hv/log.h>

#include <arm64/boot.h>

void arch_bootinfo_parse(struct boot_info *bi, u64 arg0, u64 arg1)
{
	if (!arm64_boot.fdt_ok) {
		/* Not mapped: say why without touching it. */
		bootinfo_init(bi, "fdt");
		log_err("fdt: device tree at 0x%llx refused: %s (byte offset 0x%x)",
			(unsigned long long)arg0, arm64_boot.fdt_err.what,
			arm64_boot.fdt_err.offset);
		bi->warning_count++;
		return;
	}
	if (fdt_to_bootinfo(bi, arg0, arm64_boot.fdt.size) == 0)
		arm64_log_devices(bi);
}
