/*
 * The device tree hv writes for an arm64 guest (contract in
 * hv/loader_arm64.h): memory limited to the guest's RAM, /chosen, the
 * emulated PL011 with its clock, the GIC, the architected timer, PSCI and
 * the CPUs. Property names and values follow the Devicetree Specification
 * v0.4 and the Linux bindings (arm,pl011, arm,gic, arm,gic-v3, arm,arch_timer,
 * arm,psci, arm,cpus).
 */
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/loader_arm64.h>
#include <hv/loader_fdt.h>
#include <hv/string.h>

#define ADDR_CELLS    2
#define SIZE_CELLS    2
#define GIC_PHANDLE   1
#define CLOCK_PHANDLE 2
#define UART_CLOCK_HZ 24000000u
#define NODE_NAME_MAX 48
#define TIMER_IRQS    4

static const u32 default_timer_ppi[TIMER_IRQS] = { 13, 14, 11, 10 };

/* A string-list property: "a\0b\0". */
static void prop_strings2(struct fdt_writer *w, const char *name, const char *a, const char *b)
{
	char buf[96];
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;

	if (la + lb > sizeof(buf)) {
		w->err = w->err ? w->err : HV_EINVAL;
		return;
	}
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	fdt_prop(w, name, buf, la + lb);
}

static void prop_reg(struct fdt_writer *w, const struct guest_range *r, u32 count)
{
	u32 cells[4 * 4];

	for (u32 i = 0; i < count; i++) {
		cells[4 * i + 0] = (u32)(r[i].base >> 32);
		cells[4 * i + 1] = (u32)r[i].base;
		cells[4 * i + 2] = (u32)(r[i].size >> 32);
		cells[4 * i + 3] = (u32)r[i].size;
	}
	fdt_prop_cells(w, "reg", cells, 4 * count);
}

static void node_at(struct fdt_writer *w, const char *name, u64 addr)
{
	char buf[NODE_NAME_MAX];

	fmt_snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)addr);
	fdt_begin_node(w, buf);
}

/* One reg entry per RAM range: more cells than fdt_prop_cells() takes, so encode here. */
static void write_memory(struct fdt_writer *w, const struct guest_mem *m)
{
	u8 be[4 * 4 * LOADER_RANGES_MAX];
	size_t n = 0;

	node_at(w, "memory", m->ram[0].base);
	fdt_prop_str(w, "device_type", "memory");
	for (u32 i = 0; i < m->ram_count; i++) {
		const u64 vals[2] = { m->ram[i].base, m->ram[i].size };

		for (unsigned v = 0; v < 2; v++)
			for (int byte = 7; byte >= 0; byte--)
				be[n++] = (u8)(vals[v] >> (8 * byte));
	}
	fdt_prop(w, "reg", be, n);
	fdt_end_node(w);
}

static void write_gic(struct fdt_writer *w, const struct arm64_guest_config *cfg)
{
	const struct guest_range regs[2] = { cfg->gic_dist, cfg->gic_cpu_or_redist };

	node_at(w, "intc", cfg->gic_dist.base);
	if (cfg->gic_version == ARM64_GIC_V3)
		fdt_prop_str(w, "compatible", "arm,gic-v3");
	else
		fdt_prop_str(w, "compatible", "arm,cortex-a15-gic");
	fdt_prop_u32(w, "#interrupt-cells", 3);
	fdt_prop_empty(w, "interrupt-controller");
	fdt_prop_u32(w, "#address-cells", ADDR_CELLS);
	fdt_prop_u32(w, "#size-cells", SIZE_CELLS);
	fdt_prop_empty(w, "ranges");
	prop_reg(w, regs, 2);
	fdt_prop_u32(w, "phandle", GIC_PHANDLE);
	fdt_end_node(w);
}

static void write_timer(struct fdt_writer *w, const struct arm64_guest_config *cfg)
{
	u32 cells[3 * TIMER_IRQS];
	u32 flags = ARM64_IRQ_LEVEL_HIGH;
	bool given = cfg->timer_ppi[0] | cfg->timer_ppi[1] | cfg->timer_ppi[2] | cfg->timer_ppi[3];

	/* GICv2 PPI specifiers carry a mask of the CPUs the PPI reaches. */
	if (cfg->gic_version == ARM64_GIC_V2)
		flags |= ((1u << cfg->cpu_count) - 1) << ARM64_GIC_V2_PPI_CPU_SHIFT;
	for (u32 i = 0; i < TIMER_IRQS; i++) {
		cells[3 * i] = ARM64_GIC_PPI;
		cells[3 * i + 1] = given ? cfg->timer_ppi[i] : default_timer_ppi[i];
		cells[3 * i + 2] = flags;
	}
	fdt_begin_node(w, "timer");
	fdt_prop_str(w, "compatible", "arm,armv8-timer");
	fdt_prop_cells(w, "interrupts", cells, ARRAY_SIZE(cells));
	fdt_prop_empty(w, "always-on");
	fdt_end_node(w);
}

static void write_uart(struct fdt_writer *w, const struct arm64_guest_config *cfg)
{
	const u32 irq[3] = { ARM64_GIC_SPI, cfg->uart_spi, ARM64_IRQ_LEVEL_HIGH };
	const u32 clocks[2] = { CLOCK_PHANDLE, CLOCK_PHANDLE };

	node_at(w, "pl011", cfg->uart.base);
	prop_strings2(w, "compatible", "arm,pl011", "arm,primecell");
	prop_reg(w, &cfg->uart, 1);
	fdt_prop_cells(w, "interrupts", irq, 3);
	/* The AMBA bus needs apb_pclk to probe; the driver takes uartclk. */
	fdt_prop_cells(w, "clocks", clocks, 2);
	prop_strings2(w, "clock-names", "uartclk", "apb_pclk");
	fdt_end_node(w);
}

static void write_cpus(struct fdt_writer *w, const struct arm64_guest_config *cfg)
{
	fdt_begin_node(w, "cpus");
	fdt_prop_u32(w, "#address-cells", 1);
	fdt_prop_u32(w, "#size-cells", 0);
	for (u32 i = 0; i < cfg->cpu_count; i++) {
		node_at(w, "cpu", i);
		fdt_prop_str(w, "device_type", "cpu");
		fdt_prop_str(w, "compatible", "arm,armv8");
		fdt_prop_u32(w, "reg", i);
		fdt_prop_str(w, "enable-method", "psci");
		fdt_end_node(w);
	}
	fdt_end_node(w);
}

int arm64_guest_fdt(const struct guest_mem *m, const struct arm64_guest_config *cfg,
		    u64 initrd_start, u64 initrd_end, void *buf, size_t cap)
{
	struct fdt_writer w;
	char path[NODE_NAME_MAX];

	if (!cfg->cpu_count || cfg->cpu_count > ARM64_GUEST_CPUS_MAX || !m->ram_count ||
	    m->ram_count > LOADER_RANGES_MAX ||
	    (cfg->gic_version != ARM64_GIC_V2 && cfg->gic_version != ARM64_GIC_V3) ||
	    !cfg->uart.size || !cfg->gic_dist.size || !cfg->gic_cpu_or_redist.size)
		return HV_EINVAL;
	fdt_begin(&w, buf, cap);
	fdt_begin_node(&w, "");
	fdt_prop_u32(&w, "#address-cells", ADDR_CELLS);
	fdt_prop_u32(&w, "#size-cells", SIZE_CELLS);
	fdt_prop_str(&w, "compatible", "linux,dummy-virt");
	fdt_prop_str(&w, "model", "hv guest");
	fdt_prop_u32(&w, "interrupt-parent", GIC_PHANDLE);

	fdt_begin_node(&w, "chosen");
	fdt_prop_str(&w, "bootargs", cfg->bootargs ? cfg->bootargs : "");
	fmt_snprintf(path, sizeof(path), "/pl011@%llx", (unsigned long long)cfg->uart.base);
	fdt_prop_str(&w, "stdout-path", path);
	if (initrd_end > initrd_start) {
		fdt_prop_u64(&w, "linux,initrd-start", initrd_start);
		fdt_prop_u64(&w, "linux,initrd-end", initrd_end);
	}
	fdt_end_node(&w);

	write_memory(&w, m);
	write_cpus(&w, cfg);
	fdt_begin_node(&w, "psci");
	prop_strings2(&w, "compatible", "arm,psci-1.0", "arm,psci-0.2");
	fdt_prop_str(&w, "method", cfg->psci == ARM64_PSCI_SMC ? "smc" : "hvc");
	fdt_end_node(&w);
	write_gic(&w, cfg);
	write_timer(&w, cfg);

	fdt_begin_node(&w, "apb-pclk");
	fdt_prop_str(&w, "compatible", "fixed-clock");
	fdt_prop_u32(&w, "#clock-cells", 0);
	fdt_prop_u32(&w, "clock-frequency", UART_CLOCK_HZ);
	fdt_prop_str(&w, "clock-output-names", "clk24mhz");
	fdt_prop_u32(&w, "phandle", CLOCK_PHANDLE);
	fdt_end_node(&w);

	write_uart(&w, cfg);
	fdt_end_node(&w);
	return fdt_finish(&w);
}
