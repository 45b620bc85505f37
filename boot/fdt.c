/*
 * What the hypervisor takes from a device tree (contract in hv/fdt.h):
 * memory, reservations, /chosen, the console UART, the GIC and the timer.
 *
 * Everything here reads a blob fdt_open() has checked, so structural damage
 * is already ruled out; what remains are semantic problems (a zero-sized or
 * overlapping memory range, a reg of the wrong length, a missing node), and
 * each is reported through the caller's callback and counted, never fatal.
 * It runs on arm64 before the MMU is on (with no callback) to find the RAM
 * to map, so it allocates nothing and keeps all state in *out.
 */
#include <stdarg.h>

#include <hv/errno.h>
#include <hv/fdt.h>
#include <hv/fmt.h>
#include <hv/string.h>

/* Interrupt specifiers of the arm,gic bindings: <type number flags>. */
#define GIC_DT_CELLS    3
#define GIC_DT_TYPE_SPI 0
#define GIC_DT_TYPE_PPI 1
#define GIC_PPI_BASE    16 /* interrupt ID of PPI 0 */
#define GIC_SPI_BASE    32 /* interrupt ID of SPI 0 */

/* Entries of the arm,armv8-timer "interrupts" property, in binding order. */
enum { TIMER_SEC_PHYS, TIMER_PHYS, TIMER_VIRT, TIMER_HYP_PHYS, TIMER_HYP_VIRT, TIMER_IRQS };

#define WARN_MAX 160

struct parse {
	const struct fdt *fdt;
	struct fdt_platform *out;
	fdt_warn_fn warn;
	void *ctx;
};

static void warnf(struct parse *p, const char *fmt, ...) __printf(2, 3);

static void warnf(struct parse *p, const char *fmt, ...)
{
	char msg[WARN_MAX];
	va_list ap;

	p->out->warning_count++;
	if (!p->warn)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->warn(p->ctx, msg);
}

static const char *name_of(struct parse *p, int node)
{
	const char *name = fdt_node_name(p->fdt, node);

	return name[0] ? name : "/";
}

/* Insert [base, base + size) into the sorted, merged RAM list. */
static void add_ram(struct parse *p, int node, u64 base, u64 size)
{
	struct fdt_platform *o = p->out;
	u64 end = base + size;
	u32 i, j;

	for (i = 0; i < o->ram_count; i++) {
		const struct fdt_range *r = &o->ram[i];

		if (base < r->base + r->size && r->base < end)
			warnf(p, "memory range [%#llx, %#llx) in %s overlaps [%#llx, %#llx)",
			      (unsigned long long)base, (unsigned long long)end, name_of(p, node),
			      (unsigned long long)r->base, (unsigned long long)(r->base + r->size));
	}
	/* Absorb every range that overlaps or touches the new one, then insert. */
	for (i = 0, j = 0; i < o->ram_count; i++) {
		struct fdt_range r = o->ram[i];

		if (r.base <= end && base <= r.base + r.size) {
			base = MIN(base, r.base);
			end = MAX(end, r.base + r.size);
		} else {
			o->ram[j++] = r;
		}
	}
	o->ram_count = j;
	if (o->ram_count == FDT_MAX_RAM) {
		warnf(p, "too many memory ranges: [%#llx, %#llx) ignored", (unsigned long long)base,
		      (unsigned long long)end);
		return;
	}
	for (i = o->ram_count; i > 0 && o->ram[i - 1].base > base; i--)
		o->ram[i] = o->ram[i - 1];
	o->ram[i] = (struct fdt_range){ base, end - base };
	o->ram_count++;
}

static void add_reserved(struct parse *p, u64 base, u64 size, bool no_map, const char *what)
{
	struct fdt_platform *o = p->out;

	if (size == 0) {
		warnf(p, "zero-sized reservation at %#llx in %s ignored", (unsigned long long)base,
		      what);
		return;
	}
	if (o->reserved_count == FDT_MAX_RESERVED) {
		warnf(p, "too many reservations: [%#llx, +%#llx) in %s ignored",
		      (unsigned long long)base, (unsigned long long)size, what);
		return;
	}
	o->reserved[o->reserved_count++] = (struct fdt_reserved){ base, size, no_map };
}

/* Each (base, size) of node's reg, translated; malformed ones are reported. */
typedef void (*reg_fn)(struct parse *p, int node, u64 base, u64 size);

static void for_each_reg(struct parse *p, int node, reg_fn fn)
{
	for (u32 i = 0;; i++) {
		u64 base, size;
		int err = fdt_reg(p->fdt, node, i, &base, &size);

		if (err == HV_ENOENT) {
			if (i == 0)
				warnf(p, "%s has no reg", name_of(p, node));
			return;
		}
		if (err) {
			warnf(p, "%s: reg entry %u unusable (%s)", name_of(p, node), i,
			      err == HV_ERANGE ? "not translatable to a CPU address"
					       : "malformed cells");
			return;
		}
		if (base + size < base) {
			warnf(p, "%s: reg entry %u wraps around the address space",
			      name_of(p, node), i);
			size = -base;
		}
		fn(p, node, base, size);
	}
}

static void memory_reg(struct parse *p, int node, u64 base, u64 size)
{
	if (size == 0) {
		warnf(p, "zero-sized memory range at %#llx in %s ignored", (unsigned long long)base,
		      name_of(p, node));
		return;
	}
	add_ram(p, node, base, size);
}

static void reserved_reg_map(struct parse *p, int node, u64 base, u64 size)
{
	add_reserved(p, base, size, false, name_of(p, node));
}

static void reserved_reg_nomap(struct parse *p, int node, u64 base, u64 size)
{
	add_reserved(p, base, size, true, name_of(p, node));
}

static void parse_memory(struct parse *p)
{
	const struct fdt *fdt = p->fdt;
	int rm;

	for (int n = fdt_first_child(fdt, fdt_root(fdt)); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *type = fdt_getprop_str(fdt, n, "device_type");

		if (type && strcmp(type, "memory") == 0 && fdt_is_enabled(fdt, n))
			for_each_reg(p, n, memory_reg);
	}
	if (p->out->ram_count == 0)
		warnf(p, "no /memory node with a usable range");

	for (u32 i = 0; i < fdt->rsv_count; i++) {
		u64 base, size;

		fdt_rsv_entry(fdt, i, &base, &size);
		if (base + size < base)
			size = -base;
		add_reserved(p, base, size, false, "the memory reservation block");
	}
	rm = fdt_find_path(fdt, "/reserved-memory", sizeof("/reserved-memory") - 1);
	for (int n = rm >= 0 ? fdt_first_child(fdt, rm) : -1; n >= 0;
	     n = fdt_next_sibling(fdt, n)) {
		/* Children without reg are pools the OS allocates dynamically: not ours. */
		if (!fdt_is_enabled(fdt, n) || !fdt_getprop(fdt, n, "reg", NULL))
			continue;
		for_each_reg(p, n,
			     fdt_getprop(fdt, n, "no-map", NULL) ? reserved_reg_nomap
								 : reserved_reg_map);
	}
}

/* A /chosen address property of one or two cells. */
static bool chosen_addr(struct parse *p, int chosen, const char *name, u64 *v)
{
	u32 len;
	const void *val = fdt_getprop(p->fdt, chosen, name, &len);

	if (!val)
		return false;
	if (len != 4 && len != 8) {
		warnf(p, "/chosen %s has %u bytes, expected 4 or 8", name, len);
		return false;
	}
	*v = fdt_cells(val, len / 4);
	return true;
}

static void parse_chosen(struct parse *p, int chosen)
{
	const struct fdt *fdt = p->fdt;
	struct fdt_platform *o = p->out;
	bool has_start, has_end;

	if (chosen < 0)
		return;
	if (fdt_getprop(fdt, chosen, "bootargs", NULL)) {
		const char *args = fdt_getprop_str(fdt, chosen, "bootargs");

		if (args)
			o->bootargs = args;
		else
			warnf(p, "/chosen bootargs is not a terminated string; ignored");
	}
	has_start = chosen_addr(p, chosen, "linux,initrd-start", &o->initrd_start);
	has_end = chosen_addr(p, chosen, "linux,initrd-end", &o->initrd_end);
	if (has_start != has_end) {
		warnf(p, "/chosen has only one of linux,initrd-start and linux,initrd-end");
	} else if (has_start && o->initrd_end < o->initrd_start) {
		warnf(p, "/chosen initrd ends (%#llx) before it starts (%#llx)",
		      (unsigned long long)o->initrd_end, (unsigned long long)o->initrd_start);
	} else if (has_start && o->initrd_end > o->initrd_start) {
		o->has_initrd = true;
	}
	if (!o->has_initrd)
		o->initrd_start = o->initrd_end = 0;
}

/* The stdout-path target: a path, or an alias from /aliases, without ":options". */
static int stdout_node(struct parse *p, int chosen)
{
	const struct fdt *fdt = p->fdt;
	const char *path = chosen >= 0 ? fdt_getprop_str(fdt, chosen, "stdout-path") : NULL;
	size_t n = 0;

	if (!path)
		path = chosen >= 0 ? fdt_getprop_str(fdt, chosen, "linux,stdout-path") : NULL;
	if (!path)
		return -1;
	while (path[n] && path[n] != ':')
		n++;
	if (path[0] != '/') {
		int aliases = fdt_find_path(fdt, "/aliases", sizeof("/aliases") - 1);
		char alias[64];
		const char *target;

		if (aliases < 0 || n >= sizeof(alias))
			return -1;
		memcpy(alias, path, n);
		alias[n] = '\0';
		target = fdt_getprop_str(fdt, aliases, alias);
		if (!target)
			return -1;
		path = target;
		n = strlen(path);
	}
	return fdt_find_path(fdt, path, n);
}

static u32 dt_irq(const u8 *prop, u32 len, u32 index);

/* The frequency of the clock feeding the UART, when a fixed-clock provides it. */
static u32 uart_clock(struct parse *p, int uart)
{
	const struct fdt *fdt = p->fdt;
	u32 len;
	const u8 *clocks = fdt_getprop(fdt, uart, "clocks", &len);
	int provider;

	/* The PL011 binding lists "uartclk" first; its provider must have #clock-cells = 0. */
	if (!clocks || len < 4)
		return 0;
	provider = fdt_find_phandle(fdt, fdt_be32(clocks));
	if (provider < 0 || !fdt_is_compatible(fdt, provider, "fixed-clock") ||
	    fdt_getprop_u32(fdt, provider, "#clock-cells", 0) != 0)
		return 0;
	return fdt_getprop_u32(fdt, provider, "clock-frequency", 0);
}

static void parse_uart(struct parse *p, int chosen)
{
	const struct fdt *fdt = p->fdt;
	struct boot_uart *u = &p->out->uart;
	int node = stdout_node(p, chosen);
	const u8 *irqs;
	u64 base, size;
	u32 len;

	if (node >= 0 && !fdt_is_compatible(fdt, node, "arm,pl011")) {
		warnf(p, "stdout-path names %s, which is not a PL011; looking for one",
		      name_of(p, node));
		node = -1;
	}
	for (int n = fdt_root(fdt); node < 0 && n >= 0; n = fdt_next_node(fdt, n))
		if (fdt_is_compatible(fdt, n, "arm,pl011") && fdt_is_enabled(fdt, n))
			node = n;
	if (node < 0) {
		warnf(p, "no PL011 UART: no console");
		return;
	}
	if (fdt_reg(fdt, node, 0, &base, &size) || size == 0) {
		warnf(p, "%s: unusable reg; no console", name_of(p, node));
		return;
	}
	u->type = BOOT_UART_PL011;
	u->regs = (struct boot_mmio){ base, size };
	u->clock_hz = uart_clock(p, node);
	/* Its interrupt, if given in the GIC's three-cell form (checked with the GIC below). */
	irqs = fdt_getprop(fdt, node, "interrupts", &len);
	u->irq = dt_irq(irqs, len, 0);
}

/* Interrupt ID of the index-th <type number flags> specifier in prop, or 0. */
static u32 dt_irq(const u8 *prop, u32 len, u32 index)
{
	const u32 entry = GIC_DT_CELLS * 4;
	u32 type, num;

	if (!prop || (index + 1) * entry > len)
		return 0;
	type = fdt_be32(prop + index * entry);
	num = fdt_be32(prop + index * entry + 4);
	if (type == GIC_DT_TYPE_PPI)
		return GIC_PPI_BASE + num;
	if (type == GIC_DT_TYPE_SPI)
		return GIC_SPI_BASE + num;
	return 0;
}

static enum boot_irqchip_type gic_type(const struct fdt *fdt, int node)
{
	static const char *const v2[] = { "arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic",
					  "arm,cortex-a7-gic" };

	if (node < 0 || !fdt_getprop(fdt, node, "interrupt-controller", NULL) ||
	    !fdt_is_enabled(fdt, node))
		return BOOT_IRQCHIP_NONE;
	if (fdt_is_compatible(fdt, node, "arm,gic-v3"))
		return BOOT_IRQCHIP_GICV3;
	for (unsigned i = 0; i < ARRAY_SIZE(v2); i++)
		if (fdt_is_compatible(fdt, node, v2[i]))
			return BOOT_IRQCHIP_GICV2;
	return BOOT_IRQCHIP_NONE;
}

/* reg entry index of node into *m; absent entries leave it zero. */
static void gic_reg(struct parse *p, int node, u32 index, struct boot_mmio *m, bool required)
{
	int err = fdt_reg(p->fdt, node, index, &m->base, &m->size);

	if (err) {
		m->base = m->size = 0;
		if (required || err != HV_ENOENT)
			warnf(p, "%s: reg entry %u missing or malformed", name_of(p, node), index);
	}
}

static int parse_gic(struct parse *p)
{
	const struct fdt *fdt = p->fdt;
	struct boot_irqchip *g = &p->out->irqchip;
	int root = fdt_root(fdt);
	int node = fdt_find_phandle(fdt, fdt_getprop_u32(fdt, root, "interrupt-parent", 0));
	u32 len, next;
	const u8 *irqs;

	/* Prefer the root's interrupt parent; otherwise the first GIC in the tree. */
	if (gic_type(fdt, node) == BOOT_IRQCHIP_NONE)
		for (node = root; node >= 0; node = fdt_next_node(fdt, node))
			if (gic_type(fdt, node) != BOOT_IRQCHIP_NONE)
				break;
	if (node < 0) {
		warnf(p, "no GICv2 or GICv3 interrupt controller");
		return -1;
	}
	g->type = gic_type(fdt, node);
	gic_reg(p, node, 0, &g->dist, true);
	if (g->type == BOOT_IRQCHIP_GICV3) {
		g->redist_regions = fdt_getprop_u32(fdt, node, "#redistributor-regions", 1);
		if (g->redist_regions == 0 || g->redist_regions > 64) {
			warnf(p, "%s: #redistributor-regions %u out of range", name_of(p, node),
			      g->redist_regions);
			g->redist_regions = 1;
		}
		gic_reg(p, node, 1, &g->redist, true);
		next = 1 + g->redist_regions;
	} else {
		next = 1;
	}
	gic_reg(p, node, next, &g->cpu, g->type == BOOT_IRQCHIP_GICV2);
	gic_reg(p, node, next + 1, &g->hyp, false);
	gic_reg(p, node, next + 2, &g->vcpu, false);
	irqs = fdt_getprop(fdt, node, "interrupts", &len);
	g->maint_irq = dt_irq(irqs, len, 0);
	if (fdt_getprop_u32(fdt, node, "#interrupt-cells", 0) != GIC_DT_CELLS) {
		warnf(p, "%s: #interrupt-cells is not 3", name_of(p, node));
		return -1;
	}
	return node;
}

static void parse_timer(struct parse *p, bool have_gic)
{
	const struct fdt *fdt = p->fdt;
	struct boot_timer *t = &p->out->timer;
	int node;
	u32 len;
	const u8 *irqs;

	for (node = fdt_root(fdt); node >= 0; node = fdt_next_node(fdt, node))
		if ((fdt_is_compatible(fdt, node, "arm,armv8-timer") ||
		     fdt_is_compatible(fdt, node, "arm,armv7-timer")) &&
		    fdt_is_enabled(fdt, node))
			break;
	if (node < 0) {
		warnf(p, "no arm,armv8-timer node");
		return;
	}
	t->freq_hz = fdt_getprop_u32(fdt, node, "clock-frequency", 0);
	irqs = fdt_getprop(fdt, node, "interrupts", &len);
	if (!have_gic || !irqs || len % (GIC_DT_CELLS * 4) ||
	    len < (TIMER_HYP_PHYS + 1) * GIC_DT_CELLS * 4) {
		warnf(p, "%s: interrupts missing or not in GIC form", name_of(p, node));
		return;
	}
	t->phys_irq = dt_irq(irqs, len, TIMER_PHYS);
	t->virt_irq = dt_irq(irqs, len, TIMER_VIRT);
	t->hyp_irq = dt_irq(irqs, len, TIMER_HYP_PHYS);
	t->hyp_virt_irq = dt_irq(irqs, len, TIMER_HYP_VIRT);
}

static void parse_psci(struct parse *p)
{
	const struct fdt *fdt = p->fdt;
	int node;
	const char *method;

	for (node = fdt_root(fdt); node >= 0; node = fdt_next_node(fdt, node))
		if ((fdt_is_compatible(fdt, node, "arm,psci-0.2") ||
		     fdt_is_compatible(fdt, node, "arm,psci")) &&
		    fdt_is_enabled(fdt, node))
			break;
	if (node < 0)
		return;
	method = fdt_getprop_str(fdt, node, "method");
	if (method && strcmp(method, "smc") == 0)
		p->out->psci = FDT_PSCI_SMC;
	else if (method && strcmp(method, "hvc") == 0)
		p->out->psci = FDT_PSCI_HVC;
	else
		warnf(p, "%s: method is neither \"smc\" nor \"hvc\"", name_of(p, node));
}

void fdt_parse(const struct fdt *fdt, struct fdt_platform *out, fdt_warn_fn warn, void *ctx)
{
	struct parse p = { fdt, out, warn, ctx };
	int chosen = fdt_find_path(fdt, "/chosen", sizeof("/chosen") - 1);
	const char *model = fdt_getprop_str(fdt, fdt_root(fdt), "model");

	memset(out, 0, sizeof(*out));
	out->model = model ? model : "";
	out->bootargs = "";
	parse_memory(&p);
	parse_chosen(&p, chosen);
	parse_uart(&p, chosen);
	parse_timer(&p, parse_gic(&p) >= 0);
	parse_psci(&p);
}
