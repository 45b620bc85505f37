/*
 * The Linux x86 32-bit boot protocol loader: a synthetic bzImage (kernel
 * placement at pref_address, the fallbacks, the initrd high, the zero page
 * and entry state), a table of malformed images that must leave guest
 * memory untouched, and Debian's real bzImage when scripts/guest-assets.sh
 * has fetched it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/loader_linux_x86.h>

#include "loader_fake_ram.h"

#define MIB          (1ull << 20)
#define SETUP_SECTS  4
#define PM_SIZE      0x10000u
#define IMG_SIZE     ((SETUP_SECTS + 1) * 512 + PM_SIZE)
#define REAL_BZIMAGE "build/guests/x86_64/bzImage"
#define REAL_INITRD  "build/guests/x86_64/initramfs.cpio.gz"

static struct fake_ram ram;
static u8 img[IMG_SIZE];
static u8 initrd[0x3000];

static void put(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void make_bzimage(void)
{
	memset(img, 0, sizeof(img));
	img[LX_SETUP_SECTS] = SETUP_SECTS;
	put(img + LX_SYSSIZE, PM_SIZE / 16, 4);
	put(img + LX_BOOT_FLAG, 0xaa55, 2);
	img[LX_JUMP] = 0xeb;
	img[LX_JUMP + 1] = 0x6a; /* header ends at 0x26c, protocol 2.15 */
	put(img + LX_HEADER, LX_HEADER_MAGIC, 4);
	put(img + LX_VERSION, 0x020f, 2);
	img[LX_LOADFLAGS] = LX_LOADFLAGS_LOADED_HIGH | LX_LOADFLAGS_CAN_USE_HEAP;
	put(img + LX_CODE32_START, 0x100000, 4);
	put(img + LX_INITRD_ADDR_MAX, 0x7fffffff, 4);
	put(img + LX_KERNEL_ALIGNMENT, 0x200000, 4);
	img[LX_RELOCATABLE_KERNEL] = 1;
	put(img + LX_CMDLINE_SIZE, 2047, 4);
	put(img + LX_PREF_ADDRESS, 0x1000000, 8);
	put(img + LX_INIT_SIZE, 0x400000, 4);
	for (size_t i = (SETUP_SECTS + 1) * 512; i < sizeof(img); i++)
		img[i] = (u8)(i * 13);
	memset(initrd, 0xcd, sizeof(initrd));
}

static void ram_of(u64 size)
{
	const struct guest_range r[] = { { 0, size } };

	fake_ram_init(&ram, r, 1);
}

static int teardown(void **state)
{
	(void)state;
	fake_ram_free(&ram);
	return 0;
}

static int load(const char *cmdline, struct x86_boot_state *regs, struct linux_x86_info *info)
{
	const struct linux_x86_config cfg = {
		.kernel = img,
		.kernel_size = sizeof(img),
		.initrd = initrd,
		.initrd_size = sizeof(initrd),
		.cmdline = cmdline,
		.acpi_rsdp = 0xf5a10,
	};

	return linux_x86_load(&ram.mem, &cfg, regs, info);
}

static void synthetic_bzimage(void **state)
{
	struct x86_boot_state r;
	struct linux_x86_info info;
	u8 got[64];
	char cmd[64];
	u64 zp;

	(void)state;
	make_bzimage();
	ram_of(64 * MIB);
	assert_int_equal(load("console=ttyS0 quiet", &r, &info), 0);
	assert_int_equal(info.protocol, 0x020f);
	assert_int_equal(info.load_addr, 0x1000000); /* pref_address */
	assert_int_equal(r.rip, 0x1000000);
	zp = info.zero_page;
	assert_int_equal(r.rsi, zp);
	assert_int_equal(r.rbx | r.rdi | r.rbp, 0);
	assert_int_equal(r.cs.selector, X86_BOOT_CS);
	assert_int_equal(r.ds.selector, X86_BOOT_DS);
	assert_int_equal(r.cr0 & BIT(31), 0);
	assert_int_equal(r.rflags & BIT(9), 0);
	/* The protected-mode kernel, byte for byte. */
	fake_ram_read(&ram, info.load_addr, got, sizeof(got));
	assert_memory_equal(got, img + (SETUP_SECTS + 1) * 512, sizeof(got));
	/* The initrd: page aligned, as high as RAM allows. */
	assert_int_equal(info.initrd_addr, 64 * MIB - 0x3000);
	assert_int_equal(fake_ram_le32(&ram, zp + LX_RAMDISK_IMAGE), info.initrd_addr);
	assert_int_equal(fake_ram_le32(&ram, zp + LX_RAMDISK_SIZE), sizeof(initrd));
	fake_ram_read(&ram, info.initrd_addr, got, 8);
	assert_int_equal(got[7], 0xcd);
	/* The zero page. */
	assert_int_equal(fake_ram_le32(&ram, zp + LX_HEADER), LX_HEADER_MAGIC);
	assert_int_equal(fake_ram_le32(&ram, zp + LX_INITRD_ADDR_MAX), 0x7fffffff);
	fake_ram_read(&ram, zp + LX_TYPE_OF_LOADER, got, 2);
	assert_int_equal(got[0], 0xff);
	assert_int_equal(got[1], LX_LOADFLAGS_LOADED_HIGH); /* CAN_USE_HEAP cleared */
	assert_int_equal(fake_ram_le32(&ram, zp + LX_CODE32_START), 0x1000000);
	assert_int_equal(fake_ram_le64(&ram, zp + LX_BP_ACPI_RSDP_ADDR), 0xf5a10);
	fake_ram_read(&ram, fake_ram_le32(&ram, zp + LX_CMD_LINE_PTR), cmd, sizeof(cmd));
	assert_string_equal(cmd, "console=ttyS0 quiet");
	fake_ram_read(&ram, zp + LX_BP_E820_ENTRIES, got, 1);
	assert_int_equal(got[0], 3);
	/* e820[2]: RAM from 1 MiB to the end; alt_mem_k matches. */
	assert_int_equal(fake_ram_le64(&ram, zp + LX_BP_E820_TABLE + 40), MIB);
	assert_int_equal(fake_ram_le64(&ram, zp + LX_BP_E820_TABLE + 48), 63 * MIB);
	assert_int_equal(fake_ram_le32(&ram, zp + LX_BP_E820_TABLE + 56), E820_TYPE_RAM);
	assert_int_equal(fake_ram_le32(&ram, zp + LX_BP_E820_TABLE + 36), E820_TYPE_RESERVED);
	assert_int_equal(fake_ram_le32(&ram, zp + LX_BP_ALT_MEM_K), 63 * 1024);
}

static void placement_fallbacks(void **state)
{
	struct x86_boot_state r;
	struct linux_x86_info info;

	(void)state;
	make_bzimage();
	/* pref_address (16 MiB) is past the end of 12 MiB of RAM: lowest aligned block. */
	ram_of(12 * MIB);
	assert_int_equal(load("", &r, &info), 0);
	assert_int_equal(info.load_addr, 2 * MIB);
	assert_int_equal(info.initrd_addr, 12 * MIB - 0x3000);
	fake_ram_free(&ram);
	/* Not relocatable: 1 MiB exactly, whatever pref_address says. */
	img[LX_RELOCATABLE_KERNEL] = 0;
	ram_of(12 * MIB);
	assert_int_equal(load("", &r, &info), 0);
	assert_int_equal(info.load_addr, MIB);
	assert_int_equal(r.rip, MIB);
	fake_ram_free(&ram);
	/* initrd_addr_max below the top of RAM caps the initrd's end. */
	make_bzimage();
	put(img + LX_INITRD_ADDR_MAX, 0x2ffffff, 4);
	ram_of(64 * MIB);
	assert_int_equal(load("", &r, &info), 0);
	assert_int_equal(info.initrd_addr, 0x3000000 - 0x3000);
}

static void malformed_images(void **state)
{
	static char long_cmdline[3000];
	struct x86_boot_state r;
	struct {
		const char *what;
		size_t off;
		u64 value;
		unsigned bytes;
		int err;
	} cases[] = {
		{ "no boot flag", LX_BOOT_FLAG, 0, 2, HV_EINVAL },
		{ "no HdrS", LX_HEADER, 0x53726449, 4, HV_EINVAL },
		{ "protocol 2.05", LX_VERSION, 0x0205, 2, HV_EINVAL },
		{ "zImage", LX_LOADFLAGS, 0, 1, HV_EINVAL },
		{ "setup_sects lies", LX_SETUP_SECTS, 200, 1, HV_EINVAL },
		{ "truncated kernel", LX_SYSSIZE, PM_SIZE / 16 + 1, 4, HV_EINVAL },
		{ "header length", LX_JUMP + 1, 0x90, 1, HV_EINVAL },
		{ "alignment 0", LX_KERNEL_ALIGNMENT, 0, 4, HV_EINVAL },
		{ "alignment 3 MiB", LX_KERNEL_ALIGNMENT, 0x300000, 4, HV_EINVAL },
		{ "init_size too small", LX_INIT_SIZE, 0x100, 4, HV_EINVAL },
		{ "kernel larger than RAM", LX_INIT_SIZE, 0x7000000, 4, HV_ERANGE },
		{ "initrd cannot fit", LX_INITRD_ADDR_MAX, 0x100fff, 4, HV_ERANGE },
		{ "cmdline_size", LX_CMDLINE_SIZE, 3, 4, HV_EINVAL },
	};

	(void)state;
	ram_of(64 * MIB);
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		make_bzimage();
		put(img + cases[i].off, cases[i].value, cases[i].bytes);
		int err = load("root=/dev/ram", &r, NULL);
		if (err != cases[i].err)
			fail_msg("%s: got %s, want %s", cases[i].what, err_name(err),
				 err_name(cases[i].err));
		assert_int_equal(ram.bytes_written, 0);
	}
	make_bzimage();
	memset(long_cmdline, 'a', sizeof(long_cmdline) - 1);
	assert_int_equal(load(long_cmdline, &r, NULL), HV_EINVAL);
	{
		const struct linux_x86_config tiny = { .kernel = img, .kernel_size = 600 };
		assert_int_equal(linux_x86_load(&ram.mem, &tiny, &r, NULL), HV_EINVAL);
	}
	assert_int_equal(ram.bytes_written, 0);
}

static void real_debian_bzimage(void **state)
{
	size_t ksize, isize = 0;
	u8 *kernel = fake_read_file(REAL_BZIMAGE, &ksize);
	u8 *rd = fake_read_file(REAL_INITRD, &isize);
	struct x86_boot_state r;
	struct linux_x86_info info;
	u8 got[16];

	(void)state;
	if (!kernel) {
		free(rd);
		print_message("no %s (run scripts/guest-assets.sh): skipped\n", REAL_BZIMAGE);
		skip();
	}
	ram_of(256 * MIB);
	const struct linux_x86_config cfg = {
		.kernel = kernel,
		.kernel_size = ksize,
		.initrd = rd,
		.initrd_size = isize,
		.cmdline = "console=ttyS0 earlyprintk=serial",
	};
	assert_int_equal(linux_x86_load(&ram.mem, &cfg, &r, &info), 0);
	assert_true(info.protocol >= 0x020f);
	assert_true(IS_ALIGNED(info.load_addr, 0x200000));
	assert_true(info.load_addr >= MIB);
	assert_true(info.initrd_addr > info.load_addr + info.load_size);
	assert_true(info.initrd_addr + isize <= 256 * MIB);
	fake_ram_read(&ram, info.load_addr, got, sizeof(got));
	assert_memory_equal(got, kernel + (kernel[LX_SETUP_SECTS] + 1) * 512, sizeof(got));
	assert_int_equal(fake_ram_le32(&ram, info.zero_page + LX_HEADER), LX_HEADER_MAGIC);
	free(kernel);
	free(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(synthetic_bzimage, teardown),
		cmocka_unit_test_teardown(placement_fallbacks, teardown),
		cmocka_unit_test_teardown(malformed_images, teardown),
		cmocka_unit_test_teardown(real_debian_bzimage, teardown),
	};

	return cmocka_run_group_tests_name("loader_linux_x86", tests, NULL, NULL);
}
