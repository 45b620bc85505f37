/*
 * The whole bring-up of the hypervisor, in order, on the boot CPU. Each step
 * is one call with a one-line reason; nothing runs from hidden constructors
 * or linker-section tables. The arch entry code (boot/<arch>/) sets up a
 * stack, clears BSS and calls hv_main() with what the boot loader passed.
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/bootinfo.h>
#include <hv/cmdline.h>
#include <hv/frames.h>
#include <hv/heap.h>
#include <hv/log.h>
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
		panic("no usable memory: the boot loader gave no usable memory map");
	heap_init();                  /* object allocator on top of frames */
	arch_paging_init(&boot_info); /* our own page tables with W^X */
	arch_cpu_features_init();     /* virtualization features */
	frames_print_stats();

	log_info("bring-up complete; no guest to run yet");
	arch_shutdown(0);
}
