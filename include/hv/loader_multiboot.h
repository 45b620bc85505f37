/*
 * Multiboot v1 kernels as guests (vmm/loader/multiboot_guest.c): the small
 * test guests are Multiboot kernels, as the hypervisor itself is.
 *
 * Layout and values: the Multiboot Specification version 0.6.96, section 3
 * ("The exact definitions of Multiboot Specification").
 */
#ifndef HV_LOADER_MULTIBOOT_H
#define HV_LOADER_MULTIBOOT_H

#include <hv/loader_x86.h>

/* The header (3.1.1, 3.1.2): 4-byte aligned within the first 8 KiB. */
#define MB_HEADER_MAGIC      0x1badb002u
#define MB_HEADER_SEARCH     8192u
#define MB_HEADER_ALIGN      4u
#define MB_HDR_MAGIC         0
#define MB_HDR_FLAGS         4
#define MB_HDR_CHECKSUM      8
#define MB_HDR_HEADER_ADDR   12
#define MB_HDR_LOAD_ADDR     16
#define MB_HDR_LOAD_END_ADDR 20
#define MB_HDR_BSS_END_ADDR  24
#define MB_HDR_ENTRY_ADDR    28
#define MB_HDR_SIZE_AOUT     32 /* through entry_addr */
#define MB_HDR_SIZE_MIN      12

/* Header flags (3.1.2): bits 0-15 are requirements, 16-31 optional features. */
#define MB_FLAG_PAGE_ALIGN     BIT(0)  /* modules page aligned: we pass none */
#define MB_FLAG_MEMORY_INFO    BIT(1)  /* mem_* and mmap_* wanted: always given */
#define MB_FLAG_VIDEO_MODE     BIT(2)  /* video info wanted: not given (no display) */
#define MB_FLAG_AOUT_KLUDGE    BIT(16) /* the address fields are valid */
#define MB_FLAGS_REQUIRED_MASK GENMASK(15, 0)
#define MB_FLAGS_SUPPORTED     (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

/* Machine state (3.2): EAX holds this, EBX the info structure's address. */
#define MB_BOOTLOADER_MAGIC 0x2badb002u

/* The information structure (3.3); only the fields we fill are named. */
#define MBI_FLAGS            0
#define MBI_MEM_LOWER        4
#define MBI_MEM_UPPER        8
#define MBI_CMDLINE          16
#define MBI_MMAP_LENGTH      44
#define MBI_MMAP_ADDR        48
#define MBI_BOOT_LOADER_NAME 64
#define MBI_SIZE             120 /* through the framebuffer fields */
#define MBI_FLAG_MEM         BIT(0)
#define MBI_FLAG_CMDLINE     BIT(2)
#define MBI_FLAG_MMAP        BIT(6)
#define MBI_FLAG_LOADER_NAME BIT(9)
/* A memory-map entry: size (of the rest, 20), base_addr, length, type. */
#define MB_MMAP_ENTRY_SIZE 24
#define MB_MMAP_ENTRY_REST 20

/* The boot data block: info, map, loader name, GDT, command line. */
#define MB_BOOT_DATA_DEFAULT 0x10000ull
#define MB_BD_INFO           0x0000
#define MB_BD_MMAP           0x0100
#define MB_BD_MMAP_MAX       64 /* entries */
#define MB_BD_LOADER_NAME    0x0800
#define MB_BD_GDT            0x1000
#define MB_BD_CMDLINE        0x2000
#define MB_BD_SIZE           (MB_BD_CMDLINE + LOADER_CMDLINE_MAX)

#define MB_ELF_MAX_SEGMENTS  16

struct multiboot_guest_config {
	const u8 *image;
	size_t image_size;
	const char *cmdline;                /* NULL: empty */
	const struct guest_range *reserved; /* shown as reserved in the memory map */
	u32 reserved_count;
	u64 boot_data; /* where the boot data block goes; 0: MB_BOOT_DATA_DEFAULT */
};

struct multiboot_guest_info {
	u64 load_start, load_end; /* what the kernel occupies, BSS included */
	u64 info_gpa;
	bool aout_kludge;
};

/*
 * Load a Multiboot v1 kernel into m and return its entry state in regs
 * (EAX = MB_BOOTLOADER_MAGIC, EBX = info structure, EIP = entry, flat
 * 32-bit protected mode, paging and interrupts off). The header must be
 * within the first 8 KiB with a valid checksum; required flags beyond
 * MB_FLAGS_SUPPORTED are refused. With MB_FLAG_AOUT_KLUDGE the address
 * fields place the image, otherwise it must be an ELF32 i386 executable and
 * its PT_LOAD segments are loaded at their physical addresses.
 * Everything is validated before guest memory is written. Returns 0 (info
 * filled if non-NULL), HV_EINVAL for a malformed image or config (logged
 * with the reason), HV_ERANGE when something does not fit in guest RAM, or
 * the writer's error.
 */
int multiboot_guest_load(const struct guest_mem *m, const struct multiboot_guest_config *cfg,
			 struct x86_boot_state *regs, struct multiboot_guest_info *info);

#endif /* HV_LOADER_MULTIBOOT_H */
