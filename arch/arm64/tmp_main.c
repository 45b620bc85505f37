/*
 * TEMPORARY stand-in for boot/main.c until the foundation (boot info,
 * command line, frames, heap) lands on main: runs the arm64 hooks that do
 * not need those, and prints what the DTB gave. Deleted at the merge.
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/log.h>
#include <hv/string.h>
#include <hv/version.h>

#include <arm64/boot.h>

void hv_main(u64 boot_arg0, u64 boot_arg1);
void arm64_selftest(const char *cmdline);

void hv_main(u64 boot_arg0, u64 boot_arg1)
{
	const struct fdt_platform *p = &arm64_boot.plat;

	arch_early_init();
	hv_printf("\n%s %s (%s)\n", HV_NAME, HV_VERSION_STRING, HV_ARCH_NAME);
	if (!arm64_boot.fdt_ok)
		log_err("fdt: DTB at 0x%llx unusable: %s (offset 0x%x)",
			(unsigned long long)boot_arg0, arm64_boot.fdt_err.what,
			arm64_boot.fdt_err.offset);
	log_info("fdt: model \"%s\", bootargs \"%s\"", p->model, p->bootargs);
	for (u32 i = 0; i < p->ram_count; i++)
		log_info("mem: [0x%016llx, 0x%016llx) RAM", (unsigned long long)p->ram[i].base,
			 (unsigned long long)(p->ram[i].base + p->ram[i].size));
	arch_cpu_features_init();
	arm64_selftest(p->bootargs);
	log_info("bring-up complete; no guest to run yet");
	(void)boot_arg1;
	arch_shutdown(0);
}
