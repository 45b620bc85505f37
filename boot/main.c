/*
 * The whole bring-up of the hypervisor, in order, on the boot CPU. Each step
 * is one call with a one-line reason; nothing runs from hidden constructors
 * or linker-section tables. The arch entry code (boot/<arch>/) sets up a
 * stack, clears BSS and calls hv_main() with what the boot loader passed.
 *
 * This file is the same for every arch: anything arch-specific happens
 * behind include/arch/boot.h.
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/bootinfo.h>
#include <hv/cmdline.h>
#include <hv/frames.h>
#include <hv/heap.h>
#include <hv/log.h>
#include <hv/mmu.h>
#include <hv/selftest.h>
#include <hv/version.h>

void hv_main(u64 boot_arg0, u64 boot_arg1);

static struct boot_info boot_info;

void hv_main(u64 boot_arg0, u64 boot_arg1)
{
	hpa_t image_start, image_end;

	arch_early_init();                                     /* console + exception vectors */
	arch_bootinfo_parse(&boot_info, boot_arg0, boot_arg1); /* loader data -> boot_info */
	cmdline_apply(boot_info.cmdline);                      /* loglevel=, console=, ... */
	hv_printf("\n%s %s (%s)\n", HV_NAME, HV_VERSION_STRING, HV_ARCH_NAME);
	bootinfo_print(&boot_info); /* loader, memory map, modules */

	arch_image_range(&image_start, &image_end);
	if (frames_init(&boot_info, image_start, image_end)) /* free RAM minus what is in use */
		panic("no usable memory: the boot loader's memory map has no room for the "
		      "frame allocator");
	heap_init();                  /* object allocator on top of frames */
	arch_paging_init(&boot_info); /* our own page tables with W^X */
	arch_cpu_features_init();     /* virtualization features */
	if (mmu_formats_init())       /* the MMU engine's EPT/NPT/stage-2 descriptions */
		panic("mmu: a built-in page-table format description is inconsistent");
	frames_print_stats(); /* free memory */

	if (cmdline_get()->selftest[0])
		selftest_run(cmdline_get()->selftest); /* selftest=: deliberate failures */

	if (!arch_guest_wanted(&boot_info)) {
		log_info("bring-up complete; no guest to run yet");
		arch_shutdown(HV_EXIT_SUCCESS);
	}
	log_info("bring-up complete; starting the boot guest");
	arch_shutdown(arch_guest_run(&boot_info)); /* guest=: run it to its end */
}
