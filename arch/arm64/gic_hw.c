/*
 * The physical GIC as the hypervisor drives it while guests run: its own
 * CPU interface (acknowledge, priority drop, deactivate), the interrupts it
 * takes (the maintenance interrupt, the console UART, the virtual timer it
 * forwards), and the virtual interface control (list registers, GICH_HCR
 * or ICH_HCR_EL2) through which guests get their virtual interrupts.
 *
 * Interrupts reach EL2 only as guest exits (HCR_EL2.IMO/FMO while a guest
 * runs; EL2 itself runs with PSTATE.I masked), or wake the hypervisor's own
 * WFI. The CPU interface runs with EOImode 1: an EOI only drops priority
 * and deactivation is separate, so the virtual timer's interrupt can stay
 * active until the guest deactivates its virtual twin (the list register's
 * HW bit does that in hardware).
 *
 * GICv2: GICD, GICC and GICH are MMIO, mapped by arch_paging_init(); the
 * guest's CPU interface is the GICV frame, which stage 2 maps for it.
 * GICv3: ICC_* and ICH_* system registers. Register layouts:
 * hv/arm64/gic.h (IHI 0048B, IHI 0069).
 */
#include <hv/arm64/gic.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mmio.h>
#include <hv/pl011_console.h>

#include <arm64/el2_guest.h>
#include <arm64/sysreg.h>

#define PRIORITY_DEFAULT 0xa0
#define BYTES_PER_PRIO   1
#define ICFGR_PER_WORD   16

static struct {
	enum vgic_version version;
	u64 gicd, gicc, gich;
	hpa_t gicv;
	u32 lrs;
	u32 maint_irq;
	u32 uart_irq;
	bool ready;
} gic;

static u32 rd(u64 base, u64 off)
{
	return mmio_read32(base + off);
}

static void wr(u64 base, u64 off, u32 v)
{
	mmio_write32(base + off, v);
}

static void wr8(u64 base, u64 off, u8 v)
{
	*(volatile u8 *)(uptr)(base + off) = v;
}

enum vgic_version gic_hw_version(void)
{
	return gic.version;
}

u32 gic_hw_lr_count(void)
{
	return gic.lrs;
}

u32 gic_hw_maint_irq(void)
{
	return gic.maint_irq;
}

u32 gic_hw_uart_irq(void)
{
	return gic.uart_irq;
}

hpa_t gic_hw_gicv_base(void)
{
	return gic.gicv;
}

/* Configure one interrupt at the distributor: level, default priority, to this CPU, enabled. */
static void route_spi_or_ppi(u32 intid)
{
	u64 cfg = GICD_ICFGR + intid / ICFGR_PER_WORD * 4;
	u32 shift = 2 * (intid % ICFGR_PER_WORD);

	wr8(gic.gicd, GICD_IPRIORITYR + intid * BYTES_PER_PRIO, PRIORITY_DEFAULT);
	if (intid >= GIC_PRIVATE_COUNT) {
		wr(gic.gicd, cfg, rd(gic.gicd, cfg) & ~(GICD_ICFGR_EDGE << shift));
		/* CPU interface 0: the boot CPU (RAZ/WI on a uniprocessor GIC). */
		wr8(gic.gicd, GICD_ITARGETSR + intid, 1);
	}
	gic_hw_set_enabled(intid, true);
}

void gic_hw_set_enabled(u32 intid, bool on)
{
	wr(gic.gicd, (on ? GICD_ISENABLER : GICD_ICENABLER) + intid / 32 * 4, 1u << (intid % 32));
}

static int init_v2(const struct boot_irqchip *ic)
{
	u32 typer, ctlr;

	if (!ic->cpu.base || !ic->hyp.base || !ic->vcpu.base) {
		log_err("gic: GICv2 without %s in the device tree: guests need GICC, GICH and GICV",
			!ic->cpu.base   ? "a CPU interface"
			: !ic->hyp.base ? "GICH"
					: "GICV");
		return HV_ENOSYS;
	}
	gic.gicd = ic->dist.base;
	gic.gicc = ic->cpu.base;
	gic.gich = ic->hyp.base;
	gic.gicv = hpa(ic->vcpu.base);
	typer = rd(gic.gicd, GICD_TYPER);
	/* Non-secure accesses see one group enable (bit 0); without security, both exist. */
	ctlr = typer & GICD_TYPER_SECURITY_EXTN ? GICD_CTLR_ENABLE_GRP0
						: GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1;
	wr(gic.gicd, GICD_CTLR, rd(gic.gicd, GICD_CTLR) | ctlr);
	wr(gic.gicc, GICC_PMR, GICC_PMR_ALL);
	wr(gic.gicc, GICC_BPR, 0);
	wr(gic.gicc, GICC_CTLR, GICC_CTLR_ENABLE_GRP0 | GICC_CTLR_ENABLE_GRP1 | GICC_CTLR_EOIMODE);
	gic.lrs = MIN((rd(gic.gich, GICH_VTR) & GICH_VTR_LISTREGS_MASK) + 1, (u32)EL2_LRS_MAX);
	wr(gic.gich, GICH_HCR, 0);
	for (u32 n = 0; n < gic.lrs; n++)
		wr(gic.gich, GICH_LR0 + 4 * n, 0);
	return 0;
}

int gic_hw_init(const struct boot_info *bi)
{
	const struct boot_irqchip *ic = &bi->irqchip;
	int err;

	if (gic.ready)
		return 0;
	if (ic->type == BOOT_IRQCHIP_GICV2) {
		gic.version = VGIC_V2;
		err = init_v2(ic);
	} else if (ic->type == BOOT_IRQCHIP_GICV3) {
		log_err("gic: GICv3 hosts are not supported yet (gic-version=2 works)");
		err = HV_ENOSYS;
	} else {
		log_err("gic: the device tree names no GIC: guests need one");
		err = HV_ENOSYS;
	}
	if (err)
		return err;
	gic.maint_irq = ic->maint_irq;
	if (gic.maint_irq)
		route_spi_or_ppi(gic.maint_irq);
	else
		log_warn("gic: no maintenance interrupt in the device tree; level-triggered "
			 "virtual interrupts are re-checked only on other exits");
	/* Console input interrupts the guest, so Ctrl-] works even in a busy loop. */
	if (bi->uart.type == BOOT_UART_PL011 && bi->uart.irq >= GIC_PRIVATE_COUNT) {
		gic.uart_irq = bi->uart.irq;
		route_spi_or_ppi(gic.uart_irq);
		pl011_console_rx_irq(true);
	}
	gic.ready = true;
	log_info("gic: GICv%u, %u list registers, maintenance interrupt %u, console interrupt %u",
		 gic.version, gic.lrs, gic.maint_irq, gic.uart_irq);
	return 0;
}

u32 gic_hw_ack(void)
{
	return rd(gic.gicc, GICC_IAR) & GIC_INTID_MASK;
}

void gic_hw_eoi(u32 intid)
{
	wr(gic.gicc, GICC_EOIR, intid);
}

void gic_hw_deactivate(u32 intid)
{
	wr(gic.gicc, GICC_DIR, intid);
}

u64 gic_hw_lr_read(u32 n)
{
	return rd(gic.gich, GICH_LR0 + 4 * n);
}

void gic_hw_lr_write(u32 n, u64 value)
{
	wr(gic.gich, GICH_LR0 + 4 * n, (u32)value);
}

u64 gic_hw_done_lrs(void)
{
	/*
	 * ELRSR calls a register holding a finished interrupt with an EOI
	 * maintenance request "not empty" until the request is dealt with;
	 * EISR lists exactly those.
	 */
	return rd(gic.gich, GICH_ELRSR0) | rd(gic.gich, GICH_EISR0);
}

void gic_hw_hcr(bool underflow_irq)
{
	wr(gic.gich, GICH_HCR, GICH_HCR_EN | (underflow_irq ? GICH_HCR_UIE : 0));
}

void gic_hw_virt_off(void)
{
	wr(gic.gich, GICH_HCR, 0);
}

u64 gic_hw_vmcr(void)
{
	return rd(gic.gich, GICH_VMCR);
}

u64 gic_hw_make_lr(const struct vgic_lr_desc *d)
{
	u32 lr = (d->intid & GICH_LR_VINTID_MASK) | GICH_LR_PENDING |
		 (u32)(d->priority >> (8 - GICH_LR_PRIO_BITS)) << GICH_LR_PRIO_SHIFT;

	if (d->group1)
		lr |= GICH_LR_GRP1;
	if (d->hw)
		lr |= GICH_LR_HW | (u32)(d->hw_intid & GICH_LR_VINTID_MASK) << GICH_LR_PINTID_SHIFT;
	else if (d->intid < GIC_SGI_COUNT)
		lr |= (u32)d->source << GICH_LR_CPUID_SHIFT;
	if (!d->hw && d->eoi_notify)
		lr |= GICH_LR_EOI;
	return lr;
}

bool gic_hw_lr_is_pending(u64 lr)
{
	return lr & GICH_LR_PENDING;
}

bool gic_hw_lr_is_active(u64 lr)
{
	return lr & GICH_LR_ACTIVE;
}
