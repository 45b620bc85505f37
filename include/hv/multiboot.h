/*
 * Multiboot v1 and v2: the information structures a loader hands us, as
 * named offsets (Multiboot Specification 0.6.96 section 3.3; Multiboot2
 * Specification 2.0 section 3.6), and the parser that turns either into a
 * struct boot_info (boot/multiboot.c).
 *
 * The parser never dereferences a loader address itself: it asks a reader
 * for each range it wants, and the reader says whether that range may be
 * read. The x86 boot code's reader allows what the boot page tables map; a
 * unit test's reader hands out exact-size copies so AddressSanitizer sees
 * any read past what was asked for.
 */
#ifndef HV_MULTIBOOT_H
#define HV_MULTIBOOT_H

#include <hv/bootinfo.h>
#include <hv/types.h>

/* EAX at entry. */
#define MB1_BOOTLOADER_MAGIC 0x2badb002u
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* Multiboot v1 information structure (spec 3.3): flags say which fields are valid. */
#define MB1_INFO_MEM         BIT(0) /* mem_lower, mem_upper */
#define MB1_INFO_CMDLINE     BIT(2)
#define MB1_INFO_MODS        BIT(3)
#define MB1_INFO_MMAP        BIT(6)
#define MB1_INFO_LOADER_NAME BIT(9)
#define MB1_INFO_FRAMEBUFFER BIT(12)

#define MB1_OFF_FLAGS        0
#define MB1_OFF_MEM_LOWER    4 /* KiB from 0 */
#define MB1_OFF_MEM_UPPER    8 /* KiB from 1 MiB */
#define MB1_OFF_CMDLINE      16
#define MB1_OFF_MODS_COUNT   20
#define MB1_OFF_MODS_ADDR    24
#define MB1_OFF_MMAP_LENGTH  44
#define MB1_OFF_MMAP_ADDR    48
#define MB1_OFF_LOADER_NAME  64
#define MB1_OFF_FB_ADDR      88
#define MB1_OFF_FB_PITCH     96
#define MB1_OFF_FB_WIDTH     100
#define MB1_OFF_FB_HEIGHT    104
#define MB1_OFF_FB_BPP       108
#define MB1_OFF_FB_TYPE      109
#define MB1_INFO_SIZE        116 /* through the framebuffer colour info */

/* A v1 module entry: start, end (exclusive), command-line pointer, padding. */
#define MB1_MOD_OFF_START   0
#define MB1_MOD_OFF_END     4
#define MB1_MOD_OFF_CMDLINE 8
#define MB1_MOD_SIZE        16

/* A v1 memory-map entry: u32 size (of the rest), u64 base, u64 length, u32 type. */
#define MB1_MMAP_OFF_SIZE 0
#define MB1_MMAP_OFF_BASE 4
#define MB1_MMAP_OFF_LEN  12
#define MB1_MMAP_OFF_TYPE 20
#define MB1_MMAP_MIN_SIZE 20 /* the size field's minimum value */

/* Memory-map entry types shared by both versions (and by E820). */
#define MB_MEM_AVAILABLE    1
#define MB_MEM_RESERVED     2
#define MB_MEM_ACPI_RECLAIM 3
#define MB_MEM_NVS          4
#define MB_MEM_BADRAM       5

/* Multiboot2 information (spec 3.6): u32 total_size, u32 reserved, then tags. */
#define MB2_OFF_TOTAL_SIZE   0
#define MB2_HEADER_SIZE      8
#define MB2_TAG_ALIGN        8
#define MB2_TAG_OFF_TYPE     0
#define MB2_TAG_OFF_SIZE     4
#define MB2_TAG_HEADER_SIZE  8

#define MB2_TAG_END          0
#define MB2_TAG_CMDLINE      1
#define MB2_TAG_LOADER_NAME  2
#define MB2_TAG_MODULE       3
#define MB2_TAG_BASIC_MEM    4
#define MB2_TAG_BOOTDEV      5
#define MB2_TAG_MMAP         6
#define MB2_TAG_VBE          7
#define MB2_TAG_FRAMEBUFFER  8
#define MB2_TAG_ELF_SECTIONS 9
#define MB2_TAG_APM          10
#define MB2_TAG_EFI32        11
#define MB2_TAG_EFI64        12
#define MB2_TAG_SMBIOS       13
#define MB2_TAG_ACPI_OLD     14
#define MB2_TAG_ACPI_NEW     15
#define MB2_TAG_NETWORK      16
#define MB2_TAG_EFI_MMAP     17
#define MB2_TAG_EFI_BS       18
#define MB2_TAG_EFI32_IH     19
#define MB2_TAG_EFI64_IH     20
#define MB2_TAG_LOAD_BASE    21

/* Field offsets inside tags (from the tag's start). */
#define MB2_MOD_OFF_START       8
#define MB2_MOD_OFF_END         12
#define MB2_MOD_OFF_STRING      16
#define MB2_MEM_OFF_LOWER       8
#define MB2_MEM_OFF_UPPER       12
#define MB2_MEM_TAG_SIZE        16
#define MB2_MMAP_OFF_ENTRY_SIZE 8
#define MB2_MMAP_OFF_ENTRY_VER  12
#define MB2_MMAP_OFF_ENTRIES    16
#define MB2_MMAP_ENTRY_OFF_BASE 0
#define MB2_MMAP_ENTRY_OFF_LEN  8
#define MB2_MMAP_ENTRY_OFF_TYPE 16
#define MB2_MMAP_ENTRY_MIN_SIZE 24
#define MB2_FB_OFF_ADDR         8
#define MB2_FB_OFF_PITCH        16
#define MB2_FB_OFF_WIDTH        20
#define MB2_FB_OFF_HEIGHT       24
#define MB2_FB_OFF_BPP          28
#define MB2_FB_OFF_TYPE         29
#define MB2_FB_TAG_MIN_SIZE     32
#define MB2_ACPI_OFF_RSDP       8

/* ACPI RSDP (ACPI 6.5 5.2.5.3): 20 bytes in revision 0, 36 from revision 2. */
#define ACPI_RSDP_V1_SIZE 20
#define ACPI_RSDP_V2_SIZE 36

/* Limits on what we believe: anything larger is a loader bug or garbage. */
#define MB2_INFO_MAX_SIZE   (1u << 20)
#define MB1_MMAP_MAX_LENGTH (1u << 16)
#define MB1_MODS_MAX_COUNT  64

/* Returns a pointer to [pa, pa + len) of loader memory, or NULL when unreadable. */
typedef const void *(*mb_read_fn)(void *ctx, u64 pa, u64 len);

struct mb_reader {
	mb_read_fn read;
	void *ctx;
};

/*
 * Fill bi (bootinfo_init first) from the information structure at info_pa,
 * according to magic: Multiboot v1 or v2. Never fails: an unknown magic
 * leaves an empty map and protocol "unknown"; every problem is logged with
 * where it was found and counted in bi->warning_count.
 */
void multiboot_parse(struct boot_info *bi, u32 magic, u64 info_pa, const struct mb_reader *rd);

#endif /* HV_MULTIBOOT_H */
