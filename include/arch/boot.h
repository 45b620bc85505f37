/*
 * The arch seam for bring-up: what boot/main.c asks of each architecture, in
 * the order it asks. Each function is called exactly once, on the boot CPU.
 */
#ifndef ARCH_BOOT_H
#define ARCH_BOOT_H

#include <hv/bootinfo.h>
#include <hv/types.h>

/*
 * First C code: bring up the boot console (early UART at its default
 * address) and the exception vectors, so everything after can print and any
 * fault is reported. BSS is already zero and a stack is set up.
 */
void arch_early_init(void);

/*
 * Turn what the loader passed (x86: Multiboot magic in arg0, info pointer in
 * arg1; arm64: DTB address in arg0) into bi. Never fails: problems are logged
 * and counted in bi->warning_count, and a missing memory map leaves it empty
 * (main then stops with a clear message).
 */
void arch_bootinfo_parse(struct boot_info *bi, u64 arg0, u64 arg1);

/*
 * Switch the console to the device a `console=` option names: "none"
 * silences it; the other names are the arch's (x86: com1-com4 or an I/O port
 * number; arm64: its UARTs). Returns 0, HV_EINVAL for a name that means
 * nothing here, or HV_ENOENT when the device does not answer; on error the
 * console is unchanged.
 */
int arch_console_select(const char *spec);

/* Physical range [start, end) of the hypervisor image, BSS and boot stack included. */
void arch_image_range(hpa_t *start, hpa_t *end);

/*
 * Build and load the hypervisor's own page tables: every usable RAM range and
 * the devices we drive, identity-mapped; image sections with W^X (text RX,
 * rodata R, data/bss RW+NX). Uses the frame allocator.
 */
void arch_paging_init(const struct boot_info *bi);

/*
 * Detect the CPU's identity and virtualization features (VMX/SVM, EPT/NPT,
 * huge-page sizes; EL2, stage-2 granules and IPA size on arm64) and print them.
 */
void arch_cpu_features_init(void);

/*
 * Whether the command line and boot modules ask for a boot guest (x86:
 * guest= and the modules, docs/cmdline.md). Arches without guests yet say no.
 */
bool arch_guest_wanted(const struct boot_info *bi);

/*
 * Build the boot guest and run it until it ends. Returns the hypervisor's
 * exit status (enum hv_exit_status): HV_EXIT_SUCCESS when the guest ended
 * normally, HV_EXIT_GUEST_ERROR / HV_EXIT_VM_FAILED for how else it ended,
 * HV_EXIT_FAILURE when it could not be started (logged).
 */
int arch_guest_run(const struct boot_info *bi);

#endif /* ARCH_BOOT_H */
