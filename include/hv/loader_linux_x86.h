/*
 * The Linux x86 boot protocol for guests (vmm/loader/linux_x86.c): bzImage,
 * initrd and command line, entered through the 32-bit boot protocol.
 *
 * Why 32-bit: it needs no page tables from us (the kernel's startup_32
 * builds its own and enters long mode), works for every bzImage since
 * protocol 2.02, and both backends can start a guest in flat protected mode
 * with paging off (VMX with "unrestricted guest"). The 64-bit protocol would
 * add identity page tables to build and keep out of the kernel's way.
 *
 * Offsets: Documentation/arch/x86/boot.rst ("The Real-Mode Kernel Header",
 * "Details of Header Fields") and Documentation/arch/x86/zero-page.rst. The
 * setup header sits at 0x1f1 both in the bzImage file and in boot_params.
 */
#ifndef HV_LOADER_LINUX_X86_H
#define HV_LOADER_LINUX_X86_H

#include <hv/loader_x86.h>

/* Setup header fields, as offsets in the file and in boot_params. */
#define LX_SETUP_SECTS              0x1f1 /* u8; 0 means 4 */
#define LX_SYSSIZE                  0x1f4 /* u32, 16-byte paragraphs */
#define LX_VID_MODE                 0x1fa /* u16 */
#define LX_BOOT_FLAG                0x1fe /* u16, 0xaa55 */
#define LX_JUMP                     0x200 /* 2-byte jump; its offset byte ends the header */
#define LX_HEADER                   0x202 /* u32, "HdrS" */
#define LX_VERSION                  0x206 /* u16 */
#define LX_TYPE_OF_LOADER           0x210 /* u8 */
#define LX_LOADFLAGS                0x211 /* u8 */
#define LX_CODE32_START             0x214 /* u32 */
#define LX_RAMDISK_IMAGE            0x218 /* u32 */
#define LX_RAMDISK_SIZE             0x21c /* u32 */
#define LX_HEAP_END_PTR             0x224 /* u16 */
#define LX_CMD_LINE_PTR             0x228 /* u32 */
#define LX_INITRD_ADDR_MAX          0x22c /* u32 */
#define LX_KERNEL_ALIGNMENT         0x230 /* u32 */
#define LX_RELOCATABLE_KERNEL       0x234 /* u8 */
#define LX_XLOADFLAGS               0x236 /* u16 */
#define LX_CMDLINE_SIZE             0x238 /* u32 */
#define LX_HARDWARE_SUBARCH         0x23c /* u32 */
#define LX_SETUP_DATA               0x250 /* u64 */
#define LX_PREF_ADDRESS             0x258 /* u64 */
#define LX_INIT_SIZE                0x260 /* u32 */
#define LX_HEADER_END_MAX           0x280 /* the header ends before this for every protocol to 2.15 */

#define LX_BOOT_FLAG_MAGIC          0xaa55
#define LX_HEADER_MAGIC             0x53726448u /* "HdrS" */
#define LX_SECTOR_SIZE              512
#define LX_SETUP_SECTS_DEFAULT      4
#define LX_PROTOCOL_MIN             0x0206 /* cmdline_size, initrd_addr_max, relocatable */
#define LX_PROTOCOL_2_10            0x020a /* pref_address, init_size */
#define LX_LOADFLAGS_LOADED_HIGH    BIT(0)
#define LX_LOADFLAGS_CAN_USE_HEAP   BIT(7)
#define LX_TYPE_OF_LOADER_UNDEFINED 0xff
#define LX_VID_MODE_NORMAL          0xffff
#define LX_DEFAULT_LOAD_ADDR        0x100000ull /* where a non-relocatable kernel runs */

/* boot_params fields outside the setup header (zero-page.rst). */
#define LX_BP_ACPI_RSDP_ADDR    0x070 /* u64 */
#define LX_BP_EXT_RAMDISK_IMAGE 0x0c0
#define LX_BP_EXT_RAMDISK_SIZE  0x0c4
#define LX_BP_EXT_CMD_LINE_PTR  0x0c8
#define LX_BP_ALT_MEM_K         0x1e0 /* u32 */
#define LX_BP_E820_ENTRIES      0x1e8 /* u8 */
#define LX_BP_SENTINEL          0x1ef /* u8 */
#define LX_BP_E820_TABLE        0x2d0 /* struct boot_e820_entry[128] */
#define LX_BP_E820_ENTRY_SIZE   20    /* u64 addr, u64 size, u32 type, packed */
#define LX_BP_E820_MAX          128
#define LX_BP_SIZE              0x1000

_Static_assert(LX_BP_E820_TABLE + LX_BP_E820_MAX * LX_BP_E820_ENTRY_SIZE == 0xcd0,
	       "zero-page.rst: the e820 table ends where _pad8 starts, at 0xcd0");
_Static_assert(LX_BP_E820_MAX == X86_E820_MAX, "the e820 builder matches the zero page");
_Static_assert(LX_HEADER_END_MAX <= LX_BP_E820_TABLE,
	       "the setup header ends before the e820 table");
_Static_assert(LX_INIT_SIZE + 4 <= LX_HEADER_END_MAX, "2.10 fields lie inside the header bound");

/* The boot data block: zero page, GDT, command line. */
#define LX_BOOT_DATA_DEFAULT 0x10000ull
#define LX_BD_ZERO_PAGE      0x0000
#define LX_BD_GDT            0x1000
#define LX_BD_CMDLINE        0x2000
#define LX_BD_SIZE           (LX_BD_CMDLINE + LOADER_CMDLINE_MAX)
#define LX_INITRD_ALIGN      PAGE_SIZE

struct linux_x86_config {
	const u8 *kernel;
	size_t kernel_size;
	const u8 *initrd; /* NULL: none */
	size_t initrd_size;
	const char *cmdline;                /* NULL: empty */
	const struct guest_range *reserved; /* shown as reserved in e820 */
	u32 reserved_count;
	u64 acpi_rsdp; /* 0: let the kernel search for it */
	u64 boot_data; /* 0: LX_BOOT_DATA_DEFAULT */
};

struct linux_x86_info {
	u16 protocol;
	u64 load_addr, load_size; /* the kernel's run-time block (init_size) */
	u64 initrd_addr;
	u64 zero_page;
};

/*
 * Load a bzImage (plus initrd and command line) into m and return the 32-bit
 * boot protocol entry state in regs: EIP = the protected-mode kernel's load
 * address (code32_start), ESI = boot_params, EBX = EDI = EBP = 0, flat
 * __BOOT_CS/__BOOT_DS, paging and interrupts off.
 *
 * The kernel goes to pref_address when relocatable and it fits, else to the
 * lowest kernel_alignment-aligned RAM block of init_size above 1 MiB (not
 * relocatable: 1 MiB exactly). The initrd goes as high as it can below
 * initrd_addr_max, 4 GiB and the top of RAM. boot_params gets the setup
 * header, type_of_loader 0xff, the command line, initrd and the e820 map of m
 * (plus the reserved ranges and the legacy hole).
 *
 * Refused with HV_EINVAL and a logged reason: images too small, without the
 * boot flag or "HdrS", protocol below 2.06, not a bzImage (LOADED_HIGH
 * clear), setup_sects past the end of the file, a truncated kernel (syssize),
 * bad kernel_alignment or init_size, a command line over cmdline_size.
 * HV_ERANGE when the kernel, the initrd or the boot data do not fit in RAM.
 * Nothing is written to guest memory unless the whole plan is valid.
 */
int linux_x86_load(const struct guest_mem *m, const struct linux_x86_config *cfg,
		   struct x86_boot_state *regs, struct linux_x86_info *info);

#endif /* HV_LOADER_LINUX_X86_H */
