/*
 * Multiboot v1 and v2 parsing, from well-formed structures like QEMU's and
 * GRUB's to every kind of malformed input: bad magic, truncated and
 * undersized tags, a total_size that lies either way, missing end tags,
 * invalid map entry sizes, zero-length and overlapping regions, too many
 * entries, unterminated strings, unreadable pointers.
 *
 * Loader memory is a 1 MiB array standing for physical [0, 1 MiB). The
 * reader hands out an exact-size heap copy of each range it is asked for,
 * so AddressSanitizer reports any read past what the parser asked for, and
 * it refuses ranges outside the array or beyond `readable_end`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/bootinfo.h>
#include <hv/mm.h>
#include <hv/multiboot.h>

#include "capture_console.h"

#define MEM_SIZE (1u << 20)
static u8 mem[MEM_SIZE];
static u64 readable_end;
static void *copies[4096];
static size_t copy_count;
static struct boot_info bi;

static const void *strict_read(void *ctx, u64 pa, u64 len)
{
	void *copy;

	(void)ctx;
	if (pa >= readable_end || len > readable_end - pa)
		return NULL;
	assert_true(copy_count < ARRAY_SIZE(copies));
	copy = malloc(len);
	memcpy(copy, mem + pa, len);
	copies[copy_count++] = copy;
	return copy;
}

static const struct mb_reader reader = { strict_read, NULL };

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	readable_end = MEM_SIZE;
	bootinfo_init(&bi, "none");
	capture_console_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	capture_console_stop();
	for (size_t i = 0; i < copy_count; i++)
		free(copies[i]);
	copy_count = 0;
	return 0;
}

static void put32(u64 pa, u32 v)
{
	memcpy(mem + pa, &v, 4);
}

static void put64(u64 pa, u64 v)
{
	memcpy(mem + pa, &v, 8);
}

static void put_str(u64 pa, const char *s)
{
	memcpy(mem + pa, s, strlen(s) + 1);
}

static void assert_logged(const char *needle)
{
	if (!strstr(capture_console_text(), needle))
		fail_msg("expected \"%s\" in the log:\n%s", needle, capture_console_text());
}

static void assert_region(u32 i, u64 base, u64 size, enum mem_type type)
{
	if (i >= bi.region_count)
		fail_msg("region %u missing (%u regions)", i, bi.region_count);
	assert_int_equal(bi.regions[i].base, base);
	assert_int_equal(bi.regions[i].size, size);
	assert_int_equal(bi.regions[i].type, type);
}

/* --- Multiboot v1 ---------------------------------------------------------------- */

#define MB1_INFO 0x9000
#define MB1_MMAP 0x9200
#define MB1_MODS 0x9800
#define MB1_STRS 0xa000

static u32 mb1_mmap_entry(u64 pa, u64 base, u64 len, u32 type)
{
	put32(pa + MB1_MMAP_OFF_SIZE, 20);
	put64(pa + MB1_MMAP_OFF_BASE, base);
	put64(pa + MB1_MMAP_OFF_LEN, len);
	put32(pa + MB1_MMAP_OFF_TYPE, type);
	return 24;
}

/* What QEMU 7.2 -kernel -m 256M -initrd "a x=1,b" passes. */
static void build_mb1_qemu(void)
{
	u32 len = 0;

	put32(MB1_INFO + MB1_OFF_FLAGS, MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MODS |
					    MB1_INFO_MMAP | MB1_INFO_LOADER_NAME);
	put32(MB1_INFO + MB1_OFF_MEM_LOWER, 639);
	put32(MB1_INFO + MB1_OFF_MEM_UPPER, 261120);
	put32(MB1_INFO + MB1_OFF_CMDLINE, MB1_STRS);
	put_str(MB1_STRS, "build/x86_64/hv32.elf loglevel=debug console=com1");
	put32(MB1_INFO + MB1_OFF_LOADER_NAME, MB1_STRS + 0x100);
	put_str(MB1_STRS + 0x100, "qemu");
	len += mb1_mmap_entry(MB1_MMAP + len, 0, 0x9fc00, MB_MEM_AVAILABLE);
	len += mb1_mmap_entry(MB1_MMAP + len, 0x9fc00, 0x400, MB_MEM_RESERVED);
	len += mb1_mmap_entry(MB1_MMAP + len, 0xf0000, 0x10000, MB_MEM_RESERVED);
	len += mb1_mmap_entry(MB1_MMAP + len, 0x100000, 0xfee0000, MB_MEM_AVAILABLE);
	len += mb1_mmap_entry(MB1_MMAP + len, 0xffe0000, 0x20000, MB_MEM_RESERVED);
	len += mb1_mmap_entry(MB1_MMAP + len, 0xfffc0000, 0x40000, MB_MEM_RESERVED);
	put32(MB1_INFO + MB1_OFF_MMAP_ADDR, MB1_MMAP);
	put32(MB1_INFO + MB1_OFF_MMAP_LENGTH, len);
	put32(MB1_INFO + MB1_OFF_MODS_ADDR, MB1_MODS);
	put32(MB1_INFO + MB1_OFF_MODS_COUNT, 2);
	put32(MB1_MODS + MB1_MOD_OFF_START, 0x235000);
	put32(MB1_MODS + MB1_MOD_OFF_END, 0x236234);
	put32(MB1_MODS + MB1_MOD_OFF_CMDLINE, MB1_STRS + 0x200);
	put_str(MB1_STRS + 0x200, "a x=1");
	put32(MB1_MODS + 16 + MB1_MOD_OFF_START, 0x237000);
	put32(MB1_MODS + 16 + MB1_MOD_OFF_END, 0x238000);
	put32(MB1_MODS + 16 + MB1_MOD_OFF_CMDLINE, 0);
}

static void mb1_qemu_well_formed(void **state)
{
	(void)state;
	build_mb1_qemu();
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_string_equal(bi.protocol, "multiboot1");
	assert_string_equal(bi.loader_name, "qemu");
	/* The image's file name that v1 loaders put first is dropped. */
	assert_string_equal(bi.cmdline, "loglevel=debug console=com1");
	assert_int_equal(bi.region_count, 6);
	assert_region(0, 0, 0x9fc00, MEM_USABLE);
	assert_region(1, 0x9fc00, 0x400, MEM_RESERVED);
	assert_region(3, 0x100000, 0xfee0000, MEM_USABLE);
	assert_region(5, 0xfffc0000, 0x40000, MEM_RESERVED);
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x235000);
	assert_int_equal(bi.modules[0].end, 0x236234);
	assert_string_equal(bi.modules[0].cmdline, "a x=1");
	assert_string_equal(bi.modules[1].cmdline, "");
	assert_int_equal(bi.acpi_rsdp, 0);
	assert_false(bi.fb.present);
	assert_int_equal(bi.warning_count, 0);
}

static void mb1_cmdline_without_file_name_is_kept(void **state)
{
	(void)state;
	build_mb1_qemu();
	put_str(MB1_STRS, "loglevel=debug console=com1");
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_string_equal(bi.cmdline, "loglevel=debug console=com1");
}

static void mb1_no_map_uses_mem_fields(void **state)
{
	(void)state;
	put32(MB1_INFO + MB1_OFF_FLAGS, MB1_INFO_MEM);
	put32(MB1_INFO + MB1_OFF_MEM_LOWER, 639);
	put32(MB1_INFO + MB1_OFF_MEM_UPPER, 64512);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_int_equal(bi.region_count, 2);
	assert_region(0, 0, 639 * 1024, MEM_USABLE);
	assert_region(1, 0x100000, 64512ull * 1024, MEM_USABLE);
	assert_int_equal(bi.warning_count, 1);
	assert_logged(
	    "no memory map from the loader; using mem_lower 639 KiB, mem_upper 64512 KiB");
}

/* An entry whose size field is too small ends the map; earlier entries stay. */
static void mb1_mmap_entry_too_small(void **state)
{
	(void)state;
	build_mb1_qemu();
	put32(MB1_MMAP + 2 * 24 + MB1_MMAP_OFF_SIZE, 12);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_int_equal(bi.region_count, 2);
	assert_int_equal(bi.warning_count, 1);
	assert_logged("multiboot1 mmap entry 2 (offset 48): size 12 < 20; rest of the map ignored");
}

static void mb1_mmap_truncated_and_stray(void **state)
{
	(void)state;
	build_mb1_qemu();
	/* The length cuts the last entry in half. */
	put32(MB1_INFO + MB1_OFF_MMAP_LENGTH, 5 * 24 + 10);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_int_equal(bi.region_count, 5);
	assert_logged(
	    "multiboot1 mmap entry 5 (offset 120, size 20) runs past the map's length 130");

	/* Two stray bytes after the last whole entry. */
	bootinfo_init(&bi, "none");
	put32(MB1_INFO + MB1_OFF_MMAP_LENGTH, 6 * 24 + 2);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_int_equal(bi.region_count, 6);
	assert_int_equal(bi.warning_count, 1);
	assert_logged("2 stray bytes after entry 6");
}

static void mb1_zero_length_and_overlapping_entries(void **state)
{
	u32 len = 0;

	(void)state;
	put32(MB1_INFO + MB1_OFF_FLAGS, MB1_INFO_MMAP);
	len += mb1_mmap_entry(MB1_MMAP + len, 0x100000, 0x100000, MB_MEM_AVAILABLE);
	len += mb1_mmap_entry(MB1_MMAP + len, 0x180000, 0, MB_MEM_RESERVED);
	len += mb1_mmap_entry(MB1_MMAP + len, 0x180000, 0x10000, MB_MEM_BADRAM);
	len += mb1_mmap_entry(MB1_MMAP + len, 0xfffffffffffff000ull, 0x2000, MB_MEM_RESERVED);
	put32(MB1_INFO + MB1_OFF_MMAP_ADDR, MB1_MMAP);
	put32(MB1_INFO + MB1_OFF_MMAP_LENGTH, len);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_region(0, 0x100000, 0x80000, MEM_USABLE);
	assert_region(1, 0x180000, 0x10000, MEM_BAD);
	assert_region(2, 0x190000, 0x70000, MEM_USABLE);
	assert_region(3, 0xfffffffffffff000ull, 0xfff, MEM_RESERVED);
	assert_int_equal(bi.warning_count, 3);
	assert_logged(
	    "multiboot1 mmap entry 1 (offset 24): zero-length region at 0x180000, ignored");
	assert_logged("multiboot1 mmap entry 2 (offset 48): [0x180000 +0x10000) type 5 overlaps");
	assert_logged("multiboot1 mmap entry 3 (offset 72): [0xfffffffffffff000 +0x2000) wraps");
}

static void mb1_too_many_entries(void **state)
{
	u32 len = 0;

	(void)state;
	put32(MB1_INFO + MB1_OFF_FLAGS, MB1_INFO_MMAP);
	/* 200 disjoint, alternating regions: only 128 fit. */
	for (u32 i = 0; i < 200; i++)
		len += mb1_mmap_entry(MB1_MMAP + len, (u64)i * 0x2000, 0x1000,
				      i % 2 ? MB_MEM_AVAILABLE : MB_MEM_RESERVED);
	put32(MB1_INFO + MB1_OFF_MMAP_ADDR, MB1_MMAP);
	put32(MB1_INFO + MB1_OFF_MMAP_LENGTH, len);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_int_equal(bi.region_count, BOOTINFO_MAX_REGIONS);
	assert_int_equal(bi.warning_count, 200 - BOOTINFO_MAX_REGIONS);
	assert_logged("multiboot1 mmap entry 128 (offset 3072): memory map full (128 regions)");
}

static void mb1_unreadable_pointers(void **state)
{
	(void)state;
	build_mb1_qemu();
	put32(MB1_INFO + MB1_OFF_MMAP_ADDR, MEM_SIZE - 8);
	put32(MB1_INFO + MB1_OFF_CMDLINE, MEM_SIZE + 0x1000);
	put32(MB1_INFO + MB1_OFF_MODS_COUNT, 1000000);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_logged("multiboot1 memory map [0xffff8 +144) is not readable");
	assert_logged("command line at 0x101000: unreadable after 0 bytes");
	assert_logged("multiboot1 mods_count 1000000 is implausible; reading 64");
	/* No map: falls back to mem_lower/mem_upper, and says so. */
	assert_int_equal(bi.region_count, 2);
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(bi.module_count, 2); /* the other 62 are all-zero, i.e. empty */
}

static void mb1_long_cmdline_truncated(void **state)
{
	char big[3000];

	(void)state;
	build_mb1_qemu();
	memset(big, 'a', sizeof(big) - 1);
	big[0] = 'x';
	big[1] = '=';
	big[sizeof(big) - 1] = '\0';
	put_str(MB1_STRS + 0x1000, big);
	put32(MB1_INFO + MB1_OFF_CMDLINE, MB1_STRS + 0x1000);
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_int_equal(strlen(bi.cmdline), BOOTINFO_CMDLINE_MAX - 1);
	assert_logged("longer than 1023 bytes, truncated");
}

static void mb1_info_itself_unreadable(void **state)
{
	(void)state;
	readable_end = MB1_INFO + 2;
	multiboot_parse(&bi, MB1_BOOTLOADER_MAGIC, MB1_INFO, &reader);
	assert_int_equal(bi.region_count, 0);
	assert_logged("multiboot1 information at 0x9000 is not readable");
	assert_logged("no memory map");
	assert_int_equal(bi.warning_count, 2);
}

static void bad_magic(void **state)
{
	(void)state;
	build_mb1_qemu();
	multiboot_parse(&bi, 0x12345678, MB1_INFO, &reader);
	assert_string_equal(bi.protocol, "unknown");
	assert_int_equal(bi.region_count, 0);
	assert_int_equal(copy_count, 0); /* nothing was read */
	assert_logged("unknown boot loader magic 0x12345678");
}

/* --- Multiboot2 ------------------------------------------------------------------ */

#define MB2_INFO 0x10000
static u32 mb2_off;

static void mb2_begin(void)
{
	mb2_off = MB2_HEADER_SIZE;
}

/* Append a tag with payload (size = 8 + len); returns its offset. */
static u32 mb2_tag(u32 type, const void *payload, u32 len)
{
	u32 off = mb2_off;

	put32(MB2_INFO + off + MB2_TAG_OFF_TYPE, type);
	put32(MB2_INFO + off + MB2_TAG_OFF_SIZE, MB2_TAG_HEADER_SIZE + len);
	if (len)
		memcpy(mem + MB2_INFO + off + MB2_TAG_HEADER_SIZE, payload, len);
	mb2_off = ALIGN_UP(off + MB2_TAG_HEADER_SIZE + len, 8);
	return off;
}

static u32 mb2_string(u32 type, const char *s)
{
	return mb2_tag(type, s, (u32)strlen(s) + 1);
}

static u32 mb2_module(u32 start, u32 end, const char *s)
{
	u8 p[64];

	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, s, strlen(s) + 1);
	return mb2_tag(MB2_TAG_MODULE, p, 8 + (u32)strlen(s) + 1);
}

struct e820 {
	u64 base, len;
	u32 type, zero;
};

static u32 mb2_mmap(const struct e820 *e, u32 n, u32 entry_size)
{
	u8 p[4096] = { 0 };
	u32 version = 0;

	memcpy(p, &entry_size, 4);
	memcpy(p + 4, &version, 4);
	for (u32 i = 0; i < n; i++)
		memcpy(p + 8 + i * entry_size, &e[i], sizeof(e[i]));
	return mb2_tag(MB2_TAG_MMAP, p, 8 + n * entry_size);
}

static u32 mb2_end(void)
{
	u32 total;

	mb2_tag(MB2_TAG_END, NULL, 0);
	total = mb2_off;
	put32(MB2_INFO + MB2_OFF_TOTAL_SIZE, total);
	return total;
}

static const struct e820 grub_map[] = {
	{ 0, 0x9fc00, 1, 0 },          { 0x9fc00, 0x400, 2, 0 },     { 0xf0000, 0x10000, 2, 0 },
	{ 0x100000, 0xfee0000, 1, 0 }, { 0xffe0000, 0x20000, 2, 0 }, { 0xfffc0000, 0x40000, 2, 0 },
};

static u8 rsdp_v2[ACPI_RSDP_V2_SIZE] = "RSD PTR \x42"
				       "BOCHS ";

/* What GRUB 2.06 passes on a BIOS machine (plus a module and a new RSDP). */
static void build_mb2_grub(void)
{
	u32 mem_info[2] = { 639, 261120 };
	u8 fb[24] = { 0 };

	mb2_begin();
	mb2_string(MB2_TAG_CMDLINE, "loglevel=debug");
	mb2_string(MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u2");
	mb2_module(0x300000, 0x301000, "initrd");
	mb2_tag(MB2_TAG_BASIC_MEM, mem_info, sizeof(mem_info));
	mb2_mmap(grub_map, ARRAY_SIZE(grub_map), 24);
	{
		u64 addr = 0xb8000;
		u32 pitch = 160, width = 80, height = 25;

		memcpy(fb, &addr, 8);
		memcpy(fb + 8, &pitch, 4);
		memcpy(fb + 12, &width, 4);
		memcpy(fb + 16, &height, 4);
		fb[20] = 16;
		fb[21] = 2;
	}
	mb2_tag(MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));
	mb2_tag(MB2_TAG_ACPI_NEW, rsdp_v2, sizeof(rsdp_v2));
	mb2_tag(MB2_TAG_EFI64, "\0\0\0\0\0\0\0\0", 8);
	mb2_end();
}

static void mb2_grub_well_formed(void **state)
{
	const u8 *rsdp;

	(void)state;
	build_mb2_grub();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_string_equal(bi.protocol, "multiboot2");
	assert_string_equal(bi.cmdline, "loglevel=debug");
	assert_string_equal(bi.loader_name, "GRUB 2.06-13+deb12u2");
	assert_int_equal(bi.region_count, 6);
	assert_region(3, 0x100000, 0xfee0000, MEM_USABLE);
	assert_int_equal(bi.module_count, 1);
	assert_int_equal(bi.modules[0].start, 0x300000);
	assert_string_equal(bi.modules[0].cmdline, "initrd");
	assert_true(bi.fb.present);
	assert_int_equal(bi.fb.width, 80);
	assert_int_equal(bi.fb.type, 2);
	/* The RSDP is copied into bi: the loader's memory may be reused. */
	rsdp = phys_to_virt(hpa(bi.acpi_rsdp));
	assert_true(rsdp >= (const u8 *)bi.strings &&
		    rsdp < (const u8 *)bi.strings + sizeof(bi.strings));
	assert_memory_equal(rsdp, rsdp_v2, sizeof(rsdp_v2));
	assert_int_equal(bi.warning_count, 0);
}

static void mb2_truncated_tag(void **state)
{
	u32 total;

	(void)state;
	build_mb2_grub();
	/* total_size says the structure ends inside the mmap tag. */
	total = 8 + 24 + 32 + 24 + 16 + 16;
	put32(MB2_INFO + MB2_OFF_TOTAL_SIZE, total);
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_string_equal(bi.cmdline, "loglevel=debug");
	assert_int_equal(bi.module_count, 1);
	/* The map tag was cut: basic meminfo stands in, with a warning. */
	assert_int_equal(bi.region_count, 2);
	assert_logged("multiboot2 tag at offset 104 (type 6, size 160) runs past total_size 120");
	assert_logged("no end tag within total_size 120");
	assert_logged("no memory map from the loader");
	assert_int_equal(bi.warning_count, 3);
}

static void mb2_total_size_larger_than_memory(void **state)
{
	u32 total;

	(void)state;
	build_mb2_grub();
	total = mb2_off;
	/* The claimed size is large, and memory past the real end is unreadable. */
	put32(MB2_INFO + MB2_OFF_TOTAL_SIZE, 0x8000);
	readable_end = MB2_INFO + total;
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	/* The end tag is found before anything unreadable is touched. */
	assert_int_equal(bi.region_count, 6);
	assert_int_equal(bi.warning_count, 0);

	/* No end tag (the one at 360 renamed): the parse runs into unreadable memory. */
	bootinfo_init(&bi, "none");
	put32(MB2_INFO + total - 8 + MB2_TAG_OFF_TYPE, 77);
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_int_equal(bi.region_count, 6);
	assert_logged("multiboot2 tag at offset 368 is not readable; stopping");
	assert_logged("no end tag within total_size 32768");
}

static void mb2_total_size_implausible(void **state)
{
	(void)state;
	build_mb2_grub();
	put32(MB2_INFO + MB2_OFF_TOTAL_SIZE, 0xffffffff);
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_logged(
	    "multiboot2 total_size 4294967295 is implausible; reading at most 1048576 bytes");
	assert_int_equal(bi.region_count, 6);

	bootinfo_init(&bi, "none");
	put32(MB2_INFO + MB2_OFF_TOTAL_SIZE, 12);
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_logged("multiboot2 total_size 12 is smaller than a header and an end tag");
	assert_int_equal(bi.region_count, 0);
}

static void mb2_tag_smaller_than_header(void **state)
{
	(void)state;
	build_mb2_grub();
	/* The third tag (the module, at offset 64) claims 4 bytes. */
	put32(MB2_INFO + 64 + MB2_TAG_OFF_SIZE, 4);
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_string_equal(bi.loader_name, "GRUB 2.06-13+deb12u2");
	assert_int_equal(bi.module_count, 0);
	assert_int_equal(bi.region_count, 0);
	assert_logged("multiboot2 tag at offset 64 (type 3): size 4 < 8; stopping");
}

static void mb2_fields_too_small(void **state)
{
	u8 short_fb[8] = { 0 };
	u32 off_mod, off_fb, off_acpi;

	(void)state;
	mb2_begin();
	off_mod = mb2_tag(MB2_TAG_MODULE, "\0\0\0", 4);
	off_fb = mb2_tag(MB2_TAG_FRAMEBUFFER, short_fb, sizeof(short_fb));
	off_acpi = mb2_tag(MB2_TAG_ACPI_OLD, "RSD PTR ", 8);
	mb2_mmap(grub_map, ARRAY_SIZE(grub_map), 24);
	mb2_end();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_int_equal(off_mod, 8);
	assert_int_equal(off_fb, 24);
	assert_int_equal(off_acpi, 40);
	assert_logged("tag type 3 at offset 8: size 12 is too small for its fields (16); ignored");
	assert_logged("tag type 8 at offset 24: size 16 is too small for its fields (32); ignored");
	assert_logged(
	    "tag type 14 at offset 40: size 16 is too small for its fields (28); ignored");
	assert_false(bi.fb.present);
	assert_int_equal(bi.acpi_rsdp, 0);
	assert_int_equal(bi.region_count, 6);
	assert_int_equal(bi.warning_count, 3);
}

static void mb2_bad_mmap_entry_sizes(void **state)
{
	static const u32 bad_sizes[] = { 0, 16, 20, 28 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		setup(NULL);
		mb2_begin();
		mb2_mmap(grub_map, 2, 24);
		put32(MB2_INFO + 8 + MB2_MMAP_OFF_ENTRY_SIZE, bad_sizes[i]);
		mb2_end();
		multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
		assert_int_equal(bi.region_count, 0);
		assert_logged("mmap tag at offset 8: entry_size");
		assert_logged("is invalid (>= 24, a multiple of 8); map ignored");
		teardown(NULL);
	}
	setup(NULL);
}

static void mb2_zero_entry_map_and_stray_bytes(void **state)
{
	(void)state;
	mb2_begin();
	mb2_mmap(grub_map, 0, 24);
	mb2_end();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_logged("mmap tag at offset 8 has no entries");
	assert_logged("no memory map");
	assert_int_equal(bi.region_count, 0);

	/* Entries of 32 bytes, with 8 stray bytes at the end. */
	setup(NULL);
	mb2_begin();
	mb2_mmap((const struct e820[]){ { 0x100000, 0x100000, 1, 0 }, { 0, 0, 0, 0 } }, 2, 32);
	/* Shrink the tag by the second entry's last 24 bytes. */
	put32(MB2_INFO + 8 + MB2_TAG_OFF_SIZE, 16 + 32 + 8);
	mb2_off = 8 + 56;
	mb2_end();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_int_equal(bi.region_count, 1);
	assert_logged("mmap tag at offset 8: 8 stray bytes after entry 1");
}

static void mb2_unterminated_and_duplicate_strings(void **state)
{
	u32 off;

	(void)state;
	mb2_begin();
	off = mb2_tag(MB2_TAG_CMDLINE, "loglevel=debugXXX", 14); /* no NUL inside */
	mb2_string(MB2_TAG_CMDLINE, "second");
	mb2_mmap(grub_map, ARRAY_SIZE(grub_map), 24);
	mb2_end();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_int_equal(off, 8);
	assert_string_equal(bi.cmdline, "loglevel=debug");
	assert_logged("tag type 1 at offset 8: string not NUL-terminated within the tag");
	assert_logged("tag type 1 at offset 32: duplicate, ignored");
	assert_int_equal(bi.warning_count, 2);
}

static void mb2_acpi_tags(void **state)
{
	u8 rsdp_v1[ACPI_RSDP_V1_SIZE] = "RSD PTR \x11"
					"OLD   ";
	u8 junk[ACPI_RSDP_V2_SIZE] = "NOT A PTR";
	const u8 *rsdp;

	(void)state;
	/* New before old: the new one stays. A tag without the signature is refused. */
	mb2_begin();
	mb2_tag(MB2_TAG_ACPI_NEW, rsdp_v2, sizeof(rsdp_v2));
	mb2_tag(MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1));
	mb2_tag(MB2_TAG_ACPI_NEW, junk, sizeof(junk));
	mb2_mmap(grub_map, ARRAY_SIZE(grub_map), 24);
	mb2_end();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	rsdp = phys_to_virt(hpa(bi.acpi_rsdp));
	assert_memory_equal(rsdp, rsdp_v2, sizeof(rsdp_v2));
	assert_logged("ACPI tag (type 15) at offset 88: no \"RSD PTR \" signature; ignored");
	assert_int_equal(bi.warning_count, 1);
}

static void mb2_unknown_tags_and_alignment(void **state)
{
	(void)state;
	mb2_begin();
	mb2_tag(99, "abc", 3);
	mb2_mmap(grub_map, ARRAY_SIZE(grub_map), 24);
	mb2_end();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	/* Unknown tags are normal: no warning. */
	assert_int_equal(bi.warning_count, 0);
	assert_int_equal(bi.region_count, 6);

	/* A misaligned structure is suspicious but readable. */
	setup(NULL);
	mb2_begin();
	mb2_mmap(grub_map, ARRAY_SIZE(grub_map), 24);
	mb2_end();
	memmove(mem + MB2_INFO + 4, mem + MB2_INFO, mb2_off);
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO + 4, &reader);
	assert_logged("multiboot2 information at 0x10004 is not 8-byte aligned");
	assert_int_equal(bi.region_count, 6);
}

static void mb2_too_many_modules(void **state)
{
	(void)state;
	mb2_begin();
	for (u32 i = 0; i < BOOTINFO_MAX_MODULES + 2; i++)
		mb2_module(0x1000000 + i * 0x10000, 0x1000000 + i * 0x10000 + 0x100, "m");
	mb2_module(0x5000, 0x4000, "inverted");
	mb2_mmap(grub_map, ARRAY_SIZE(grub_map), 24);
	mb2_end();
	multiboot_parse(&bi, MB2_BOOTLOADER_MAGIC, MB2_INFO, &reader);
	assert_int_equal(bi.module_count, BOOTINFO_MAX_MODULES);
	assert_logged("module 16: table full (16 modules), ignored");
	assert_logged("module 18: empty or inverted range [0x5000, 0x4000), ignored");
	assert_int_equal(bi.warning_count, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mb1_qemu_well_formed, setup, teardown),
		cmocka_unit_test_setup_teardown(mb1_cmdline_without_file_name_is_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(mb1_no_map_uses_mem_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(mb1_mmap_entry_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(mb1_mmap_truncated_and_stray, setup, teardown),
		cmocka_unit_test_setup_teardown(mb1_zero_length_and_overlapping_entries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(mb1_too_many_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(mb1_unreadable_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(mb1_long_cmdline_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(mb1_info_itself_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_grub_well_formed, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_truncated_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_total_size_larger_than_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_total_size_implausible, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_tag_smaller_than_header, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_fields_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_bad_mmap_entry_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_zero_entry_map_and_stray_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(mb2_unterminated_and_duplicate_strings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(mb2_acpi_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_unknown_tags_and_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(mb2_too_many_modules, setup, teardown),
	};

	return cmocka_run_group_tests_name("multiboot", tests, NULL, NULL);
}
