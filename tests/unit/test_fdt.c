/*
 * What the hypervisor takes from a device tree (boot/fdt.c, fdt_parse):
 * a tree shaped like QEMU virt's gives exactly its memory, UART, GIC, timer,
 * PSCI and /chosen values with no warning; each semantic problem (zero-sized
 * or overlapping memory, bad reg, missing nodes, bad /chosen values, full
 * tables) is reported through the callback and counted, and never stops the
 * parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <hv/bootinfo.h>
#include <hv/errno.h>
#include <hv/fdt.h>

#include "fdt_builder.h"

static struct fdtb b;
static uint8_t blob[FDTB_MAX + 8192];
static struct fdt_platform plat;
static char warnings[8192];

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static void parse(void)
{
	struct fdt fdt;
	struct fdt_error err;
	size_t n = fdtb_finish(&b, blob, sizeof(blob));

	warnings[0] = '\0';
	if (fdt_open(&fdt, blob, n, &err))
		fail_msg("test tree refused: %s at %u", err.what, err.offset);
	fdt_parse(&fdt, &plat, collect, NULL);
}

static void expect_warning(const char *want)
{
	if (!strstr(warnings, want))
		fail_msg("no warning mentioning \"%s\"; got:\n%s", want, warnings);
}

/* Knobs for the virt-like tree. */
struct virt {
	int gic; /* 0: none, 2, 3 */
	bool timer, chosen, uart, alias_stdout;
	const char *bootargs;
};

static const struct virt virt_default = { 2, true, true, true, false, "console=ttyAMA0 x=1" };

/* Opens the root and writes a tree modelled on QEMU 7.2's virt DTB; caller closes the root. */
static void virt_begin(const struct virt *v)
{
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_prop_u32(&b, "interrupt-parent", 0x8002);
	fdtb_prop_str(&b, "model", "linux,dummy-virt");
	fdtb_prop_u32(&b, "#size-cells", 2);
	fdtb_prop_u32(&b, "#address-cells", 2);
	fdtb_begin(&b, "psci");
	fdtb_prop_str(&b, "method", "smc");
	fdtb_prop(&b, "compatible", "arm,psci-1.0\0arm,psci-0.2\0arm,psci",
		  sizeof("arm,psci-1.0\0arm,psci-0.2\0arm,psci"));
	fdtb_end(&b);
	fdtb_begin(&b, "memory@40000000");
	fdtb_prop_cells(&b, "reg", 4, 0, 0x40000000, 0, 0x10000000);
	fdtb_prop_str(&b, "device_type", "memory");
	fdtb_end(&b);
	if (v->uart) {
		fdtb_begin(&b, "pl011@9000000");
		fdtb_prop(&b, "clock-names", "uartclk\0apb_pclk", sizeof("uartclk\0apb_pclk"));
		fdtb_prop_cells(&b, "clocks", 2, 0x8000, 0x8000);
		fdtb_prop_cells(&b, "interrupts", 3, 0, 1, 4);
		fdtb_prop_cells(&b, "reg", 4, 0, 0x9000000, 0, 0x1000);
		fdtb_prop(&b, "compatible", "arm,pl011\0arm,primecell",
			  sizeof("arm,pl011\0arm,primecell"));
		fdtb_end(&b);
	}
	if (v->gic == 2) {
		fdtb_begin(&b, "intc@8000000");
		fdtb_prop_u32(&b, "phandle", 0x8002);
		fdtb_prop_cells(&b, "interrupts", 3, 1, 9, 4);
		fdtb_prop_cells(&b, "reg", 16, 0, 0x8000000, 0, 0x10000, 0, 0x8010000, 0, 0x10000,
				0, 0x8030000, 0, 0x10000, 0, 0x8040000, 0, 0x10000);
		fdtb_prop_str(&b, "compatible", "arm,cortex-a15-gic");
		fdtb_prop(&b, "ranges", NULL, 0);
		fdtb_prop_u32(&b, "#size-cells", 2);
		fdtb_prop_u32(&b, "#address-cells", 2);
		fdtb_prop(&b, "interrupt-controller", NULL, 0);
		fdtb_prop_u32(&b, "#interrupt-cells", 3);
		fdtb_begin(&b, "v2m@8020000");
		fdtb_prop_cells(&b, "reg", 4, 0, 0x8020000, 0, 0x1000);
		fdtb_prop(&b, "msi-controller", NULL, 0);
		fdtb_end(&b);
		fdtb_end(&b);
	} else if (v->gic == 3) {
		fdtb_begin(&b, "intc@8000000");
		fdtb_prop_u32(&b, "phandle", 0x8002);
		fdtb_prop_cells(&b, "interrupts", 3, 1, 9, 4);
		fdtb_prop_cells(&b, "reg", 8, 0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0xf60000);
		fdtb_prop_u32(&b, "#redistributor-regions", 1);
		fdtb_prop_str(&b, "compatible", "arm,gic-v3");
		fdtb_prop(&b, "interrupt-controller", NULL, 0);
		fdtb_prop_u32(&b, "#interrupt-cells", 3);
		fdtb_end(&b);
	}
	if (v->timer) {
		fdtb_begin(&b, "timer");
		fdtb_prop_cells(&b, "interrupts", 12, 1, 13, 0x104, 1, 14, 0x104, 1, 11, 0x104, 1,
				10, 0x104);
		fdtb_prop(&b, "compatible", "arm,armv8-timer\0arm,armv7-timer",
			  sizeof("arm,armv8-timer\0arm,armv7-timer"));
		fdtb_end(&b);
	}
	fdtb_begin(&b, "apb-pclk");
	fdtb_prop_u32(&b, "phandle", 0x8000);
	fdtb_prop_u32(&b, "clock-frequency", 24000000);
	fdtb_prop_u32(&b, "#clock-cells", 0);
	fdtb_prop_str(&b, "compatible", "fixed-clock");
	fdtb_end(&b);
	if (v->alias_stdout) {
		fdtb_begin(&b, "aliases");
		fdtb_prop_str(&b, "serial0", "/pl011@9000000");
		fdtb_end(&b);
	}
	if (v->chosen) {
		fdtb_begin(&b, "chosen");
		fdtb_prop_str(&b, "stdout-path",
			      v->alias_stdout ? "serial0:115200n8" : "/pl011@9000000");
		if (v->bootargs)
			fdtb_prop_str(&b, "bootargs", v->bootargs);
		fdtb_prop_cells(&b, "linux,initrd-start", 2, 0, 0x48000000);
		fdtb_prop_cells(&b, "linux,initrd-end", 2, 0, 0x48100000);
		fdtb_end(&b);
	}
}

static void virt_tree(const struct virt *v)
{
	virt_begin(v);
	fdtb_end(&b);
}

static void qemu_virt_gicv2(void **state)
{
	(void)state;
	virt_tree(&virt_default);
	parse();
	assert_string_equal(warnings, "");
	assert_int_equal(plat.warning_count, 0);
	assert_string_equal(plat.model, "linux,dummy-virt");
	assert_int_equal(plat.ram_count, 1);
	assert_int_equal(plat.ram[0].base, 0x40000000);
	assert_int_equal(plat.ram[0].size, 0x10000000);
	assert_int_equal(plat.reserved_count, 0);
	assert_string_equal(plat.bootargs, "console=ttyAMA0 x=1");
	assert_true(plat.has_initrd);
	assert_int_equal(plat.initrd_start, 0x48000000);
	assert_int_equal(plat.initrd_end, 0x48100000);
	assert_int_equal(plat.uart.type, BOOT_UART_PL011);
	assert_int_equal(plat.uart.regs.base, 0x9000000);
	assert_int_equal(plat.uart.regs.size, 0x1000);
	assert_int_equal(plat.uart.clock_hz, 24000000);
	assert_int_equal(plat.uart.irq, 33); /* SPI 1 */
	assert_int_equal(plat.irqchip.type, BOOT_IRQCHIP_GICV2);
	assert_int_equal(plat.irqchip.dist.base, 0x8000000);
	assert_int_equal(plat.irqchip.cpu.base, 0x8010000);
	assert_int_equal(plat.irqchip.hyp.base, 0x8030000);
	assert_int_equal(plat.irqchip.vcpu.base, 0x8040000);
	assert_int_equal(plat.irqchip.vcpu.size, 0x10000);
	assert_int_equal(plat.irqchip.redist.size, 0);
	assert_int_equal(plat.irqchip.maint_irq, 25);
	/* PPIs 14, 11, 10 are interrupt IDs 30, 27, 26. */
	assert_int_equal(plat.timer.phys_irq, 30);
	assert_int_equal(plat.timer.virt_irq, 27);
	assert_int_equal(plat.timer.hyp_irq, 26);
	assert_int_equal(plat.timer.hyp_virt_irq, 0);
	assert_int_equal(plat.timer.freq_hz, 0);
	assert_int_equal(plat.psci, FDT_PSCI_SMC);
}

static void qemu_virt_gicv3_and_alias(void **state)
{
	struct virt v = virt_default;

	(void)state;
	v.gic = 3;
	v.alias_stdout = true;
	virt_tree(&v);
	parse();
	assert_string_equal(warnings, "");
	assert_int_equal(plat.irqchip.type, BOOT_IRQCHIP_GICV3);
	assert_int_equal(plat.irqchip.dist.base, 0x8000000);
	assert_int_equal(plat.irqchip.redist.base, 0x80a0000);
	assert_int_equal(plat.irqchip.redist.size, 0xf60000);
	assert_int_equal(plat.irqchip.redist_regions, 1);
	assert_int_equal(plat.irqchip.cpu.size, 0); /* no GICC given */
	assert_int_equal(plat.uart.regs.base, 0x9000000);
}

static void memory_problems_reported_and_normalised(void **state)
{
	(void)state;
	virt_begin(&virt_default);
	/* Unsorted, overlapping, adjacent, zero-sized, disabled and malformed memory. */
	fdtb_begin(&b, "memory@80000000");
	fdtb_prop_str(&b, "device_type", "memory");
	fdtb_prop_cells(&b, "reg", 12, 0, 0x80000000, 0, 0x1000000, /* [2G, 2G+16M) */
			0, 0x90000000, 0, 0,                        /* zero-sized */
			0, 0x48000000, 0, 0x10000000);              /* overlaps the first node */
	fdtb_end(&b);
	fdtb_begin(&b, "memory@81000000");
	fdtb_prop_str(&b, "device_type", "memory");
	fdtb_prop_cells(&b, "reg", 4, 0, 0x81000000, 0, 0x1000000); /* adjacent: merges */
	fdtb_end(&b);
	fdtb_begin(&b, "memory@a0000000");
	fdtb_prop_str(&b, "device_type", "memory");
	fdtb_prop_str(&b, "status", "disabled");
	fdtb_prop_cells(&b, "reg", 4, 0, 0xa0000000, 0, 0x1000000);
	fdtb_end(&b);
	fdtb_begin(&b, "memory@b0000000");
	fdtb_prop_str(&b, "device_type", "memory");
	fdtb_prop_cells(&b, "reg", 3, 0, 0xb0000000, 0); /* not a multiple of 4 cells */
	fdtb_end(&b);
	fdtb_begin(&b, "memory@c0000000");
	fdtb_prop_str(&b, "device_type", "memory");
	fdtb_end(&b);
	fdtb_end(&b);
	parse();
	expect_warning("zero-sized memory range at 0x90000000");
	expect_warning("[0x48000000, 0x58000000) in memory@80000000 overlaps [0x40000000, "
		       "0x50000000)");
	expect_warning("memory@b0000000: reg entry 0 unusable (malformed cells)");
	expect_warning("memory@c0000000 has no reg");
	assert_int_equal(plat.warning_count, 4);
	/*
	 * before: [1G, 1G+256M) [2G, 2G+16M) [1G+128M, 1G+384M) [2G+16M, 2G+32M)
	 * after:  [1G, 1G+384M) [2G, 2G+32M)
	 */
	assert_int_equal(plat.ram_count, 2);
	assert_int_equal(plat.ram[0].base, 0x40000000);
	assert_int_equal(plat.ram[0].size, 0x18000000);
	assert_int_equal(plat.ram[1].base, 0x80000000);
	assert_int_equal(plat.ram[1].size, 0x2000000);
}

static void too_many_memory_ranges(void **state)
{
	(void)state;
	virt_begin(&virt_default);
	fdtb_begin(&b, "memory@100000000");
	fdtb_prop_str(&b, "device_type", "memory");
	/* 40 disjoint 1 MiB ranges, 2 MiB apart, above 4 GiB. */
	{
		uint8_t reg[40 * 16];

		for (int i = 0; i < 40; i++) {
			uint64_t base = 0x100000000ull + (uint64_t)i * 0x200000;

			fdtb_put32(reg + 16 * i, (uint32_t)(base >> 32));
			fdtb_put32(reg + 16 * i + 4, (uint32_t)base);
			fdtb_put32(reg + 16 * i + 8, 0);
			fdtb_put32(reg + 16 * i + 12, 0x100000);
		}
		fdtb_prop(&b, "reg", reg, sizeof(reg));
	}
	fdtb_end(&b);
	fdtb_end(&b);
	parse();
	assert_int_equal(plat.ram_count, FDT_MAX_RAM);
	expect_warning("too many memory ranges");
	assert_int_equal(plat.warning_count, 41 - FDT_MAX_RAM);
	for (unsigned i = 1; i < plat.ram_count; i++)
		assert_true(plat.ram[i - 1].base + plat.ram[i - 1].size < plat.ram[i].base);
}

static void no_memory_node(void **state)
{
	(void)state;
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_end(&b);
	parse();
	assert_int_equal(plat.ram_count, 0);
	expect_warning("no /memory node with a usable range");
	expect_warning("no PL011 UART");
	expect_warning("no GICv2 or GICv3");
	expect_warning("no arm,armv8-timer");
	assert_int_equal(plat.warning_count, 4);
	assert_string_equal(plat.bootargs, "");
	assert_string_equal(plat.model, "");
	assert_false(plat.has_initrd);
	assert_int_equal(plat.psci, FDT_PSCI_NONE);
}

static void reservations(void **state)
{
	(void)state;
	virt_begin(&virt_default);
	fdtb_begin(&b, "reserved-memory");
	fdtb_prop_u32(&b, "#address-cells", 2);
	fdtb_prop_u32(&b, "#size-cells", 2);
	fdtb_prop(&b, "ranges", NULL, 0);
	fdtb_begin(&b, "secmon@4e000000");
	fdtb_prop(&b, "no-map", NULL, 0);
	fdtb_prop_cells(&b, "reg", 4, 0, 0x4e000000, 0, 0x200000);
	fdtb_end(&b);
	fdtb_begin(&b, "shm@4f000000");
	fdtb_prop_cells(&b, "reg", 4, 0, 0x4f000000, 0, 0x100000);
	fdtb_end(&b);
	fdtb_begin(&b, "cma"); /* dynamic pool: not ours, silently skipped */
	fdtb_prop_cells(&b, "size", 2, 0, 0x4000000);
	fdtb_prop(&b, "reusable", NULL, 0);
	fdtb_end(&b);
	fdtb_begin(&b, "empty@4d000000");
	fdtb_prop_cells(&b, "reg", 4, 0, 0x4d000000, 0, 0);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_rsv(&b, 0x40000000, 0x1000);
	parse();
	assert_int_equal(plat.reserved_count, 3);
	assert_int_equal(plat.reserved[0].base, 0x40000000);
	assert_false(plat.reserved[0].no_map);
	assert_int_equal(plat.reserved[1].base, 0x4e000000);
	assert_int_equal(plat.reserved[1].size, 0x200000);
	assert_true(plat.reserved[1].no_map);
	assert_int_equal(plat.reserved[2].base, 0x4f000000);
	assert_false(plat.reserved[2].no_map);
	expect_warning("zero-sized reservation at 0x4d000000 in empty@4d000000");
	assert_int_equal(plat.warning_count, 1);
}

static void chosen_problems(void **state)
{
	static const char unterminated[] = { 'a', 'b', 'c' };

	(void)state;
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_begin(&b, "chosen");
	fdtb_prop(&b, "bootargs", unterminated, sizeof(unterminated));
	fdtb_prop_cells(&b, "linux,initrd-start", 1, 0x48000000);
	fdtb_prop_str(&b, "stdout-path", "serial7:115200"); /* alias that does not exist */
	fdtb_end(&b);
	fdtb_end(&b);
	parse();
	assert_string_equal(plat.bootargs, "");
	assert_false(plat.has_initrd);
	expect_warning("bootargs is not a terminated string");
	expect_warning("only one of linux,initrd-start and linux,initrd-end");

	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_begin(&b, "chosen");
	fdtb_prop_cells(&b, "linux,initrd-start", 1, 0x48100000); /* 32-bit cells are fine */
	fdtb_prop_cells(&b, "linux,initrd-end", 1, 0x48000000);
	fdtb_end(&b);
	fdtb_end(&b);
	parse();
	assert_false(plat.has_initrd);
	expect_warning("initrd ends (0x48000000) before it starts (0x48100000)");

	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_begin(&b, "chosen");
	fdtb_prop_cells(&b, "linux,initrd-start", 1, 0x48000000);
	fdtb_prop_cells(&b, "linux,initrd-end", 3, 0, 0, 0x48100000);
	fdtb_end(&b);
	fdtb_end(&b);
	parse();
	assert_false(plat.has_initrd);
	expect_warning("linux,initrd-end has 12 bytes, expected 4 or 8");

	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_begin(&b, "chosen");
	fdtb_prop_cells(&b, "linux,initrd-start", 1, 0x48000000);
	fdtb_prop_cells(&b, "linux,initrd-end", 1, 0x48200000);
	fdtb_end(&b);
	fdtb_end(&b);
	parse();
	assert_true(plat.has_initrd);
	assert_int_equal(plat.initrd_end - plat.initrd_start, 0x200000);
}

static void console_not_a_pl011(void **state)
{
	struct virt v = virt_default;

	(void)state;
	v.chosen = false;
	virt_begin(&v);
	fdtb_begin(&b, "serial@1000");
	fdtb_prop_str(&b, "compatible", "ns16550a");
	fdtb_prop_cells(&b, "reg", 4, 0, 0x1000, 0, 0x100);
	fdtb_end(&b);
	fdtb_begin(&b, "chosen");
	fdtb_prop_str(&b, "stdout-path", "/serial@1000");
	fdtb_end(&b);
	fdtb_end(&b);
	parse();
	expect_warning("stdout-path names serial@1000, which is not a PL011");
	/* Falls back to the PL011 the tree has. */
	assert_int_equal(plat.uart.type, BOOT_UART_PL011);
	assert_int_equal(plat.uart.regs.base, 0x9000000);
}

static void timer_without_gic(void **state)
{
	struct virt v = virt_default;

	(void)state;
	v.gic = 0;
	virt_tree(&v);
	parse();
	expect_warning("no GICv2 or GICv3");
	expect_warning("timer: interrupts missing or not in GIC form");
	assert_int_equal(plat.timer.phys_irq, 0);
	assert_int_equal(plat.irqchip.type, BOOT_IRQCHIP_NONE);
}

static void no_callback_still_counts(void **state)
{
	struct fdt fdt;
	struct fdt_error err;
	size_t n;

	(void)state;
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_end(&b);
	n = fdtb_finish(&b, blob, sizeof(blob));
	assert_int_equal(fdt_open(&fdt, blob, n, &err), 0);
	fdt_parse(&fdt, &plat, NULL, NULL);
	assert_int_equal(plat.warning_count, 4);
}

/* A /reserved-memory child at [base, base + size), no-map or not. */
static void reserved_child(const char *name, uint64_t base, uint64_t size, bool no_map)
{
	fdtb_begin(&b, name);
	if (no_map)
		fdtb_prop(&b, "no-map", NULL, 0);
	fdtb_prop_cells(&b, "reg", 4, (uint32_t)(base >> 32), (uint32_t)base,
			(uint32_t)(size >> 32), (uint32_t)size);
	fdtb_end(&b);
}

static void reserved_memory_begin(void)
{
	fdtb_begin(&b, "reserved-memory");
	fdtb_prop_u32(&b, "#address-cells", 2);
	fdtb_prop_u32(&b, "#size-cells", 2);
	fdtb_prop(&b, "ranges", NULL, 0);
}

static struct boot_info bi;

static void to_bootinfo(void)
{
	size_t n = fdtb_finish(&b, blob, sizeof(blob));

	assert_int_equal(fdt_to_bootinfo(&bi, (uint64_t)(uintptr_t)blob, n), 0);
}

static void expect_region(unsigned i, uint64_t base, uint64_t end, enum mem_type type)
{
	assert_true(i < bi.region_count);
	assert_int_equal(bi.regions[i].base, base);
	assert_int_equal(bi.regions[i].base + bi.regions[i].size, end);
	assert_int_equal(bi.regions[i].type, type);
}

/*
 * RAM 0x40000000-0x50000000 with a no-map hole at 0x4e000000 (2 MiB), an
 * ordinary reservation at 0x4f000000 (1 MiB) and a /memreserve/ page: the
 * hole leaves the memory map, the others stay usable RAM but become
 * platform reservations, like the DTB itself. Nothing here is a problem
 * with the loader's data, so no warning is counted.
 */
static void bootinfo_ram_reservations_initrd(void **state)
{
	(void)state;
	virt_begin(&virt_default);
	reserved_memory_begin();
	reserved_child("secmon@4e000000", 0x4e000000, 0x200000, true);
	reserved_child("shm@4f000000", 0x4f000000, 0x100000, false);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_rsv(&b, 0x40000000, 0x1000);
	to_bootinfo();

	assert_string_equal(bi.protocol, "fdt");
	assert_int_equal(bi.warning_count, 0);
	assert_int_equal(bi.region_count, 2);
	expect_region(0, 0x40000000, 0x4e000000, MEM_USABLE);
	expect_region(1, 0x4e200000, 0x50000000, MEM_USABLE);

	assert_int_equal(bi.reserved_count, 3);
	assert_int_equal(bi.reserved[0].base, 0x40000000);
	assert_int_equal(bi.reserved[0].size, 0x1000);
	assert_int_equal(bi.reserved[1].base, 0x4f000000);
	assert_int_equal(bi.reserved[1].size, 0x100000);
	assert_int_equal(bi.reserved[2].base, (uint64_t)(uintptr_t)blob);
	assert_string_equal(bi.reserved[2].what, "device tree");

	assert_int_equal(bi.module_count, 1);
	assert_int_equal(bi.modules[0].start, 0x48000000);
	assert_int_equal(bi.modules[0].end, 0x48100000);
	assert_string_equal(bi.cmdline, "console=ttyAMA0 x=1");
	assert_int_equal(bi.uart.type, BOOT_UART_PL011);
	assert_int_equal(bi.irqchip.type, BOOT_IRQCHIP_GICV2);
	assert_int_equal(bi.fdt, (uint64_t)(uintptr_t)blob);
}

/*
 * No-map ranges that straddle RAM's start and end, and two that overlap each
 * other in the middle, are all carved out:
 *   RAM     [40000000 ........................................ 50000000)
 *   no-map  [3ff00000-40100000)  [44000000-44200000)  [4ff00000-50100000)
 *                                     [44100000-44300000)
 *   usable        [40100000-44000000)          [44300000-4ff00000)
 */
static void bootinfo_nomap_edges_and_overlaps(void **state)
{
	(void)state;
	virt_begin(&virt_default);
	reserved_memory_begin();
	reserved_child("low@3ff00000", 0x3ff00000, 0x200000, true);
	reserved_child("a@44000000", 0x44000000, 0x200000, true);
	reserved_child("b@44100000", 0x44100000, 0x200000, true);
	reserved_child("high@4ff00000", 0x4ff00000, 0x200000, true);
	fdtb_end(&b);
	fdtb_end(&b);
	to_bootinfo();

	assert_int_equal(bi.region_count, 2);
	expect_region(0, 0x40100000, 0x44000000, MEM_USABLE);
	expect_region(1, 0x44300000, 0x4ff00000, MEM_USABLE);
	assert_int_equal(bi.reserved_count, 1); /* only the DTB */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qemu_virt_gicv2),
		cmocka_unit_test(qemu_virt_gicv3_and_alias),
		cmocka_unit_test(memory_problems_reported_and_normalised),
		cmocka_unit_test(too_many_memory_ranges),
		cmocka_unit_test(no_memory_node),
		cmocka_unit_test(reservations),
		cmocka_unit_test(chosen_problems),
		cmocka_unit_test(console_not_a_pl011),
		cmocka_unit_test(timer_without_gic),
		cmocka_unit_test(no_callback_still_counts),
		cmocka_unit_test(bootinfo_ram_reservations_initrd),
		cmocka_unit_test(bootinfo_nomap_edges_and_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
