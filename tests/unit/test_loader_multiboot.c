/*
 * Multiboot v1 guest loading into a fake guest RAM: an a.out-kludge image
 * and a higher-half ELF32 image, the information structure and memory map
 * they get, and a table of malformed images that must be refused before a
 * byte of guest memory is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/loader_multiboot.h>

#include "loader_fake_ram.h"

#define RAM_SIZE (64ull << 20)
#define HDR_OFF  0x40

static const struct guest_range ram_64m[] = { { 0, RAM_SIZE } };
static struct fake_ram ram;
static u8 img[0x3000];

static void put32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void header(size_t off, u32 flags)
{
	put32(img + off + MB_HDR_MAGIC, MB_HEADER_MAGIC);
	put32(img + off + MB_HDR_FLAGS, flags);
	put32(img + off + MB_HDR_CHECKSUM, (u32)(0u - MB_HEADER_MAGIC - flags));
}

/* a.out kludge: text at 1 MiB, 8 KiB loaded, BSS to 1 MiB + 16 KiB. */
static void make_aout(void)
{
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (u8)(i * 7 + 1);
	header(HDR_OFF, MB_FLAG_MEMORY_INFO | MB_FLAG_AOUT_KLUDGE);
	put32(img + HDR_OFF + MB_HDR_HEADER_ADDR, 0x100000 + HDR_OFF);
	put32(img + HDR_OFF + MB_HDR_LOAD_ADDR, 0x100000);
	put32(img + HDR_OFF + MB_HDR_LOAD_END_ADDR, 0x102000);
	put32(img + HDR_OFF + MB_HDR_BSS_END_ADDR, 0x104000);
	put32(img + HDR_OFF + MB_HDR_ENTRY_ADDR, 0x100080);
}

/* ELF32 i386: a higher-half text segment and a BSS-only segment. */
static void make_elf(void)
{
	u8 *ph;

	memset(img, 0, sizeof(img));
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	img[4] = 1;                  /* ELFCLASS32 */
	img[5] = 1;                  /* little-endian */
	put16(img + 16, 2);          /* ET_EXEC */
	put16(img + 18, 3);          /* EM_386 */
	put32(img + 24, 0xc0100010); /* virtual entry */
	put32(img + 28, 0x34);       /* e_phoff */
	put16(img + 42, 32);
	put16(img + 44, 2);
	ph = img + 0x34;
	put32(ph + 0, 1);
	put32(ph + 4, 0x1000); /* p_offset */
	put32(ph + 8, 0xc0100000);
	put32(ph + 12, 0x100000);
	put32(ph + 16, 0x1000);
	put32(ph + 20, 0x1000);
	ph += 32;
	put32(ph + 0, 1);
	put32(ph + 4, 0x2000);
	put32(ph + 8, 0xc0200000);
	put32(ph + 12, 0x200000);
	put32(ph + 16, 0);
	put32(ph + 20, 0x3000);
	header(0x100, MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO); /* after the program headers */
	memset(img + 0x1000, 0x90, 0x1000);
}

static int setup(void **state)
{
	(void)state;
	fake_ram_init(&ram, ram_64m, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_ram_free(&ram);
	return 0;
}

static int load(const char *cmdline, struct x86_boot_state *regs, struct multiboot_guest_info *info)
{
	const struct multiboot_guest_config cfg = {
		.image = img,
		.image_size = sizeof(img),
		.cmdline = cmdline,
	};

	return multiboot_guest_load(&ram.mem, &cfg, regs, info);
}

static void check_info(u64 info, const char *cmdline)
{
	char buf[64];
	u64 mmap = fake_ram_le32(&ram, info + MBI_MMAP_ADDR);
	/* Expected map: low RAM, the legacy hole, RAM from 1 MiB. */
	static const struct {
		u64 base, len;
		u32 type;
	} want[] = {
		{ 0, 0xa0000, E820_TYPE_RAM },
		{ 0xa0000, 0x60000, E820_TYPE_RESERVED },
		{ 0x100000, RAM_SIZE - 0x100000, E820_TYPE_RAM },
	};

	assert_int_equal(fake_ram_le32(&ram, info + MBI_FLAGS),
			 MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
	assert_int_equal(fake_ram_le32(&ram, info + MBI_MEM_LOWER), 640);
	assert_int_equal(fake_ram_le32(&ram, info + MBI_MEM_UPPER), (RAM_SIZE - 0x100000) / 1024);
	assert_int_equal(fake_ram_le32(&ram, info + MBI_MMAP_LENGTH), 3 * MB_MMAP_ENTRY_SIZE);
	for (unsigned i = 0; i < 3; i++) {
		u64 e = mmap + i * MB_MMAP_ENTRY_SIZE;
		assert_int_equal(fake_ram_le32(&ram, e), 20);
		assert_int_equal(fake_ram_le64(&ram, e + 4), want[i].base);
		assert_int_equal(fake_ram_le64(&ram, e + 12), want[i].len);
		assert_int_equal(fake_ram_le32(&ram, e + 20), want[i].type);
	}
	fake_ram_read(&ram, fake_ram_le32(&ram, info + MBI_CMDLINE), buf, sizeof(buf));
	assert_string_equal(buf, cmdline);
	fake_ram_read(&ram, fake_ram_le32(&ram, info + MBI_BOOT_LOADER_NAME), buf, sizeof(buf));
	assert_string_equal(buf, "hv");
}

static void check_flat32(const struct x86_boot_state *r)
{
	assert_int_equal(r->rax, MB_BOOTLOADER_MAGIC);
	assert_int_equal(r->cs.selector, X86_BOOT_CS);
	assert_int_equal(r->cs.limit, 0xffffffff);
	assert_int_equal(r->cs.ar, 0xc09b);
	assert_int_equal(r->ds.ar, 0xc093);
	assert_int_equal(r->ss.selector, X86_BOOT_DS);
	assert_int_equal(r->cr0, X86_CR0_PE | X86_CR0_ET); /* paging off */
	assert_int_equal(r->rflags, 0x2);                  /* IF clear */
	assert_int_equal(r->efer, 0);
	/* The GDT the state points at has the matching descriptors. */
	assert_int_equal(r->gdtr_limit, 31);
	assert_int_equal(fake_ram_le64(&ram, r->gdtr_base + X86_BOOT_CS), 0x00cf9b000000ffffull);
	assert_int_equal(fake_ram_le64(&ram, r->gdtr_base + X86_BOOT_DS), 0x00cf93000000ffffull);
}

static void aout_kludge(void **state)
{
	struct x86_boot_state r;
	struct multiboot_guest_info info;
	u8 got[0x2000];

	(void)state;
	make_aout();
	assert_int_equal(load("console=ttyS0 test=1", &r, &info), 0);
	check_flat32(&r);
	assert_int_equal(r.rip, 0x100080);
	assert_int_equal(r.rbx, info.info_gpa);
	assert_true(info.aout_kludge);
	assert_int_equal(info.load_start, 0x100000);
	assert_int_equal(info.load_end, 0x104000);
	fake_ram_read(&ram, 0x100000, got, sizeof(got));
	assert_memory_equal(got, img, sizeof(got));
	/* BSS is zeroed even if the page held something. */
	fake_ram_read(&ram, 0x102000, got, sizeof(got));
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0);
	check_info(info.info_gpa, "console=ttyS0 test=1");
}

static void elf_higher_half(void **state)
{
	struct x86_boot_state r;
	struct multiboot_guest_info info;
	u8 got[16];

	(void)state;
	make_elf();
	assert_int_equal(load(NULL, &r, &info), 0);
	check_flat32(&r);
	assert_false(info.aout_kludge);
	assert_int_equal(r.rip, 0x100010); /* the virtual entry, translated */
	assert_int_equal(info.load_start, 0x100000);
	assert_int_equal(info.load_end, 0x203000);
	fake_ram_read(&ram, 0x100000, got, sizeof(got));
	assert_int_equal(got[0], 0x90);
	check_info(info.info_gpa, "");
}

static void reserved_ranges_in_map(void **state)
{
	const struct guest_range reserved[] = { { 0x3000000, 0x100000 } };
	const struct multiboot_guest_config cfg = {
		.image = img,
		.image_size = sizeof(img),
		.reserved = reserved,
		.reserved_count = 1,
	};
	struct x86_boot_state r;
	u64 mmap, info;

	(void)state;
	make_aout();
	assert_int_equal(multiboot_guest_load(&ram.mem, &cfg, &r, NULL), 0);
	info = r.rbx;
	assert_int_equal(fake_ram_le32(&ram, info + MBI_MMAP_LENGTH), 5 * MB_MMAP_ENTRY_SIZE);
	mmap = fake_ram_le32(&ram, info + MBI_MMAP_ADDR);
	assert_int_equal(fake_ram_le64(&ram, mmap + 3 * 24 + 4), 0x3000000);
	assert_int_equal(fake_ram_le64(&ram, mmap + 3 * 24 + 12), 0x100000);
	assert_int_equal(fake_ram_le32(&ram, mmap + 3 * 24 + 20), E820_TYPE_RESERVED);
	/* mem_upper stops at the first hole. */
	assert_int_equal(fake_ram_le32(&ram, info + MBI_MEM_UPPER), (0x3000000 - 0x100000) / 1024);
}

/* Each case breaks one thing; nothing may reach guest memory. */
static void malformed_images(void **state)
{
	static char long_cmdline[LOADER_CMDLINE_MAX + 8];
	struct x86_boot_state r;
	struct {
		const char *what;
		void (*make)(void);
		size_t field;
		u32 value;
		int err;
	} cases[] = {
		{ "no header", make_aout, HDR_OFF + MB_HDR_MAGIC, 0, HV_EINVAL },
		{ "bad checksum", make_aout, HDR_OFF + MB_HDR_CHECKSUM, 1, HV_EINVAL },
		{ "load_end past the file", make_aout, HDR_OFF + MB_HDR_LOAD_END_ADDR, 0x200000,
		  HV_EINVAL },
		{ "header_addr below load_addr", make_aout, HDR_OFF + MB_HDR_HEADER_ADDR, 0xff000,
		  HV_EINVAL },
		{ "header_addr too far", make_aout, HDR_OFF + MB_HDR_HEADER_ADDR, 0x100100,
		  HV_EINVAL },
		{ "bss below load end", make_aout, HDR_OFF + MB_HDR_BSS_END_ADDR, 0x101000,
		  HV_EINVAL },
		{ "entry outside", make_aout, HDR_OFF + MB_HDR_ENTRY_ADDR, 0x500000, HV_EINVAL },
		{ "not RAM", make_aout, HDR_OFF + MB_HDR_BSS_END_ADDR, 0xf0000000, HV_ERANGE },
		{ "ELF64", make_elf, 4, 2, HV_EINVAL },
		{ "ELF machine", make_elf, 18, 62, HV_EINVAL },
		{ "ELF phoff", make_elf, 28, 0x7fffffff, HV_EINVAL },
		{ "ELF segment past file", make_elf, 0x34 + 16, 0x100000, HV_EINVAL },
		{ "ELF filesz > memsz", make_elf, 0x34 + 20, 0x10, HV_EINVAL },
		{ "ELF entry in no segment", make_elf, 24, 0x12345678, HV_EINVAL },
		{ "ELF entry in BSS", make_elf, 24, 0xc0200010, HV_EINVAL },
		{ "ELF overlapping segments", make_elf, 0x54 + 12, 0x100800, HV_EINVAL },
		{ "ELF over the boot data", make_elf, 0x34 + 12, 0x10000, HV_ERANGE },
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		cases[i].make();
		put32(img + cases[i].field, cases[i].value);
		if (cases[i].field == 4) /* ELFCLASS is a byte */
			img[4] = (u8)cases[i].value;
		int err = load("x", &r, NULL);
		if (err != cases[i].err)
			fail_msg("%s: got %s, want %s", cases[i].what, err_name(err),
				 err_name(cases[i].err));
		assert_int_equal(ram.bytes_written, 0);
	}

	/* Requires an unknown feature (flag 3). */
	make_aout();
	header(HDR_OFF, MB_FLAG_AOUT_KLUDGE | BIT(3));
	assert_int_equal(load("", &r, NULL), HV_EINVAL);
	/* Header beyond the first 8 KiB. */
	memset(img, 0, sizeof(img));
	header(0x2000, MB_FLAG_AOUT_KLUDGE);
	assert_int_equal(load("", &r, NULL), HV_EINVAL);
	/* Command line too long. */
	make_aout();
	memset(long_cmdline, 'a', sizeof(long_cmdline) - 1);
	assert_int_equal(load(long_cmdline, &r, NULL), HV_EINVAL);
	/* Image smaller than a header. */
	{
		const struct multiboot_guest_config tiny = { .image = img, .image_size = 8 };
		assert_int_equal(multiboot_guest_load(&ram.mem, &tiny, &r, NULL), HV_EINVAL);
	}
	assert_int_equal(ram.bytes_written, 0);
}

static void bad_memory_descriptions(void **state)
{
	const struct guest_range unsorted[] = { { 0x200000, 0x1000 }, { 0x100000, 0x1000 } };
	const struct guest_range small[] = { { 0x100000, 0x100000 } };
	struct fake_ram other;
	struct x86_boot_state r;
	const struct multiboot_guest_config cfg = { .image = img, .image_size = sizeof(img) };

	(void)state;
	make_aout();
	fake_ram_init(&other, unsorted, 2);
	assert_int_equal(multiboot_guest_load(&other.mem, &cfg, &r, NULL), HV_EINVAL);
	fake_ram_free(&other);
	/* No RAM for the boot data block at its default address. */
	fake_ram_init(&other, small, 1);
	assert_int_equal(multiboot_guest_load(&other.mem, &cfg, &r, NULL), HV_ERANGE);
	assert_int_equal(other.bytes_written, 0);
	fake_ram_free(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(aout_kludge, setup, teardown),
		cmocka_unit_test_setup_teardown(elf_higher_half, setup, teardown),
		cmocka_unit_test_setup_teardown(reserved_ranges_in_map, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_images, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_memory_descriptions, setup, teardown),
	};

	return cmocka_run_group_tests_name("loader_multiboot", tests, NULL, NULL);
}
