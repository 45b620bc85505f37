/*
 * arm64 Image loading and the guest device tree: a synthetic Image placed
 * and entered as booting.rst says, the DTB checked by decompiling it with
 * dtc (device-tree-compiler) and by reading its header, the FDT writer's
 * error handling, malformed Images, and Debian's real Image when present.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/loader_arm64.h>
#include <hv/loader_fdt.h>

#include "loader_fake_ram.h"

#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (128ull << 20)
#define REAL_IMAGE "build/guests/arm64/Image"

static struct fake_ram ram;
static u8 image[0x10000];
static u8 initrd[0x2000];

static void put(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void make_image(void)
{
	memset(image, 0x11, sizeof(image));
	put(image + ARM64_IMAGE_TEXT_OFFSET, 0, 8);
	put(image + ARM64_IMAGE_IMAGE_SIZE, 0x100000, 8);
	put(image + ARM64_IMAGE_FLAGS, 1u << ARM64_IMAGE_PAGE_SHIFT | BIT(3), 8);
	put(image + ARM64_IMAGE_MAGIC_OFF, ARM64_IMAGE_MAGIC, 4);
	memset(initrd, 0x22, sizeof(initrd));
}

static struct arm64_guest_config config(enum arm64_gic_version v)
{
	return (struct arm64_guest_config){
		.image = image,
		.image_size = sizeof(image),
		.initrd = initrd,
		.initrd_size = sizeof(initrd),
		.bootargs = "console=ttyAMA0 earlycon",
		.cpu_count = 2,
		.gic_version = v,
		.gic_dist = { 0x08000000, 0x10000 },
		.gic_cpu_or_redist = { v == ARM64_GIC_V3 ? 0x080a0000 : 0x08010000,
				       v == ARM64_GIC_V3 ? 0x40000 : 0x10000 },
		.uart = { 0x09000000, 0x1000 },
		.uart_spi = 1,
		.psci = ARM64_PSCI_HVC,
	};
}

static int setup(void **state)
{
	const struct guest_range r[] = { { RAM_BASE, RAM_SIZE } };

	(void)state;
	make_image();
	fake_ram_init(&ram, r, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_ram_free(&ram);
	return 0;
}

/* Decompile the DTB at gpa with dtc; returns the DTS text (malloc'd) or NULL without dtc. */
static char *dtc_decompile(u64 at, u64 size)
{
	char dtb_path[] = "/tmp/hv-test-dtb-XXXXXX", cmd[128];
	u8 *dtb = malloc(size);
	char *dts = calloc(1, 1 << 16);
	FILE *fp;
	int fd = mkstemp(dtb_path);
	size_t n;

	assert_true(fd >= 0);
	fake_ram_read(&ram, at, dtb, size);
	fp = fdopen(fd, "wb");
	assert_int_equal(fwrite(dtb, 1, size, fp), size);
	fclose(fp);
	free(dtb);
	if (system("command -v dtc >/dev/null 2>&1") != 0) {
		unlink(dtb_path);
		free(dts);
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts %s 2>&1", dtb_path);
	fp = popen(cmd, "r");
	n = fread(dts, 1, (1 << 16) - 1, fp);
	dts[n] = '\0';
	assert_int_equal(pclose(fp), 0);
	unlink(dtb_path);
	return dts;
}

static void expect(const char *dts, const char *what)
{
	if (!strstr(dts, what))
		fail_msg("DTS lacks \"%s\":\n%s", what,
			 strstr(dts, "intc@") ? strstr(dts, "intc@") : dts);
}

static void load_and_dtb(enum arm64_gic_version v)
{
	struct arm64_guest_config cfg = config(v);
	struct arm64_boot_state st;

	cfg.psci = v == ARM64_GIC_V2 ? ARM64_PSCI_SMC : ARM64_PSCI_HVC;
	struct arm64_guest_info info;
	u8 hdr[FDT_HEADER_SIZE], got[8];
	char *dts;

	assert_int_equal(arm64_image_load(&ram.mem, &cfg, &st, &info), 0);
	/* booting.rst: x0 = DTB, x1-x3 = 0, EL1h with DAIF masked, PC at the Image. */
	assert_int_equal(st.x[0], RAM_BASE);
	assert_int_equal(st.x[1] | st.x[2] | st.x[3], 0);
	assert_int_equal(st.pc, RAM_BASE + SZ_2M);
	assert_int_equal(st.pstate, 0x3c5);
	assert_int_equal(info.page_size_field, 1);
	assert_true(IS_ALIGNED(info.dtb, 8));
	assert_true(info.dtb_size < ARM64_DTB_MAX);
	assert_int_equal(info.initrd, RAM_BASE + RAM_SIZE - sizeof(initrd));
	fake_ram_read(&ram, st.pc, got, sizeof(got));
	assert_memory_equal(got, image, sizeof(got));

	fake_ram_read(&ram, info.dtb, hdr, sizeof(hdr));
	assert_int_equal(be32(hdr + FDT_OFF_MAGIC), FDT_MAGIC);
	assert_int_equal(be32(hdr + FDT_OFF_TOTALSIZE), info.dtb_size);
	assert_int_equal(be32(hdr + FDT_OFF_VERSION), 17);
	assert_int_equal(be32(hdr + FDT_OFF_LAST_COMP_VERSION), 16);

	dts = dtc_decompile(info.dtb, info.dtb_size);
	if (!dts) {
		print_message("dtc not installed: DTB checked by header only\n");
		return;
	}
	expect(dts, "memory@40000000 {");
	expect(dts, "reg = <0x00 0x40000000 0x00 0x8000000>;");
	expect(dts, "bootargs = \"console=ttyAMA0 earlycon\";");
	expect(dts, "stdout-path = \"/pl011@9000000\";");
	expect(dts, "linux,initrd-start = <0x00 0x47ffe000>;");
	expect(dts, "linux,initrd-end = <0x00 0x48000000>;");
	expect(dts, "compatible = \"arm,pl011\\0arm,primecell\";"); /* dtc 1.6 prints lists so */
	expect(dts, "interrupts = <0x00 0x01 0x04>;");
	expect(dts, "clock-names = \"uartclk\\0apb_pclk\";");
	expect(dts, v == ARM64_GIC_V2 ? "method = \"smc\";" : "method = \"hvc\";");
	expect(dts, "compatible = \"arm,psci-1.0\\0arm,psci-0.2\";");
	expect(dts, "cpu@1 {");
	expect(dts, "enable-method = \"psci\";");
	expect(dts, "compatible = \"arm,armv8-timer\";");
	if (v == ARM64_GIC_V3) {
		expect(dts, "compatible = \"arm,gic-v3\";");
		expect(
		    dts,
		    "interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>;");
	} else {
		expect(dts, "compatible = \"arm,cortex-a15-gic\";");
		/* GICv2 PPIs carry the CPU mask: two CPUs -> 0x3 << 8. */
		expect(dts, "interrupts = <0x01 0x0d 0x304 0x01 0x0e 0x304");
	}
	free(dts);
}

static void gic_v3_guest(void **state)
{
	(void)state;
	load_and_dtb(ARM64_GIC_V3);
}

static void gic_v2_guest_smc(void **state)
{
	(void)state;
	load_and_dtb(ARM64_GIC_V2);
}

static void fdt_writer_errors(void **state)
{
	static u8 buf[256];
	struct fdt_writer w;

	(void)state;
	/* Unbalanced. */
	fdt_begin(&w, buf, sizeof(buf));
	fdt_begin_node(&w, "");
	assert_int_equal(fdt_finish(&w), HV_EINVAL);
	/* A property outside any node. */
	fdt_begin(&w, buf, sizeof(buf));
	fdt_prop_u32(&w, "x", 1);
	fdt_begin_node(&w, "");
	fdt_end_node(&w);
	assert_int_equal(fdt_finish(&w), HV_EINVAL);
	/* Too small a buffer: sticky ENOMEM, never an overrun (ASan watches). */
	fdt_begin(&w, buf, 64);
	fdt_begin_node(&w, "");
	fdt_prop_str(&w, "bootargs", "a rather long command line that cannot fit in 64 bytes");
	fdt_end_node(&w);
	assert_int_equal(fdt_finish(&w), HV_ENOMEM);
	/* A good one: strings are deduplicated. */
	fdt_begin(&w, buf, sizeof(buf));
	fdt_begin_node(&w, "");
	fdt_prop_u32(&w, "n", 1);
	fdt_begin_node(&w, "a");
	fdt_prop_u32(&w, "n", 2);
	fdt_end_node(&w);
	fdt_end_node(&w);
	assert_true(fdt_finish(&w) > 0);
	assert_int_equal(be32(buf + FDT_OFF_SIZE_DT_STRINGS), 2);
}

static void malformed(void **state)
{
	struct arm64_guest_config cfg = config(ARM64_GIC_V3);
	struct arm64_boot_state st;
	struct {
		const char *what;
		size_t off;
		u64 value;
		unsigned bytes;
		int err;
	} cases[] = {
		{ "no magic", ARM64_IMAGE_MAGIC_OFF, 0x644d5242, 4, HV_EINVAL },
		{ "big-endian", ARM64_IMAGE_FLAGS, ARM64_IMAGE_FLAG_BE, 8, HV_EINVAL },
		{ "image_size 0", ARM64_IMAGE_IMAGE_SIZE, 0, 8, HV_EINVAL },
		{ "image_size below file", ARM64_IMAGE_IMAGE_SIZE, 0x100, 8, HV_EINVAL },
		{ "text_offset huge", ARM64_IMAGE_TEXT_OFFSET, 1ull << 40, 8, HV_EINVAL },
		{ "text_offset unaligned", ARM64_IMAGE_TEXT_OFFSET, 0x80001, 8, HV_EINVAL },
		{ "larger than RAM", ARM64_IMAGE_IMAGE_SIZE, 1ull << 30, 8, HV_ERANGE },
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		make_image();
		put(image + cases[i].off, cases[i].value, cases[i].bytes);
		int err = arm64_image_load(&ram.mem, &cfg, &st, NULL);
		if (err != cases[i].err)
			fail_msg("%s: got %s, want %s", cases[i].what, err_name(err),
				 err_name(cases[i].err));
	}
	make_image();
	cfg.image_size = 32;
	assert_int_equal(arm64_image_load(&ram.mem, &cfg, &st, NULL), HV_EINVAL);
	cfg = config(ARM64_GIC_V3);
	cfg.cpu_count = 9;
	assert_int_equal(arm64_image_load(&ram.mem, &cfg, &st, NULL), HV_EINVAL);
	cfg = config(ARM64_GIC_V3);
	cfg.gic_version = 4;
	assert_int_equal(arm64_image_load(&ram.mem, &cfg, &st, NULL), HV_EINVAL);
	assert_int_equal(ram.bytes_written, 0);
}

static void real_debian_image(void **state)
{
	size_t size;
	u8 *img = fake_read_file(REAL_IMAGE, &size);
	struct arm64_guest_config cfg = config(ARM64_GIC_V3);
	struct arm64_boot_state st;
	struct arm64_guest_info info;
	u8 got[64];

	(void)state;
	if (!img) {
		print_message("no %s (run scripts/guest-assets.sh): skipped\n", REAL_IMAGE);
		skip();
	}
	cfg.image = img;
	cfg.image_size = size;
	assert_int_equal(arm64_image_load(&ram.mem, &cfg, &st, &info), 0);
	assert_true(info.image_size >= size);
	assert_true(info.initrd >= info.image_base + info.image_size);
	fake_ram_read(&ram, st.pc, got, sizeof(got));
	assert_memory_equal(got, img, sizeof(got));
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(gic_v3_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(gic_v2_guest_smc, setup, teardown),
		cmocka_unit_test_setup_teardown(fdt_writer_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(real_debian_image, setup, teardown),
	};

	return cmocka_run_group_tests_name("loader_arm64", tests, NULL, NULL);
}
