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
 * GICv3: GICD and this CPU's redistributor are MMIO; the CPU interface and
 * the list registers are the ICC_* and ICH_* system registers, and the
 * guest's ICC_* accesses reach the virtual interface (ICV_*) by
 * HCR_EL2.IMO/FMO. With one security state, Group 0 would be signalled as
 * FIQ: every interrupt hv enables is Group 1. Register layouts:
 * hv/arm64/gic.h (IHI 0048B, IHI 0069).
 */
#include <arch/cpu.h>
#include <hv/arm64/gic.h>
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mmio.h>
#include <hv/pl011_console.h>

#include <arm64/el2_guest.h>
#include <arm64/sysreg.h>

#define PRIORITY_DEFAULT 0xa0
#define BYTES_PER_PRIO   1
#define ICFGR_PER_WORD   16
#define RWP_SPINS        1000000

/* v3 CPU interface system registers (IHI 0069, the ICC_* pages). */
#define ICC_SRE_SRE         BIT(0)
#define ICC_SRE_ENABLE      BIT(3) /* ICC_SRE_EL2: EL1 may access ICC_SRE_EL1 */
#define ICC_CTLR_EOIMODE    BIT(1)
#define ICC_IGRPEN_ENABLE   BIT(0)
#define ICC_IAR_INTID_MASK  0xffffffu
#define MPIDR_AFFINITY_MASK (GENMASK(39, 32) | GENMASK(23, 0))

static struct {
	enum vgic_version version;
	u64 gicd, gicc, gich;
	u64 gicr_sgi; /* v3: this CPU's redistributor, SGI/PPI frame */
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

/* This CPU's affinity, as GICR_TYPER and GICD_IROUTER spell it (Aff3 in bits 39:32). */
static u64 mpidr_affinity(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
}

/* Configure one interrupt: level, default priority, Group 1 (v3), to this CPU, enabled. */
static void route_spi_or_ppi(u32 intid)
{
	u64 cfg = GICD_ICFGR + intid / ICFGR_PER_WORD * 4;
	u32 shift = 2 * (intid % ICFGR_PER_WORD);
	bool private = intid < GIC_PRIVATE_COUNT;
	/* v3: PPIs live in this CPU's redistributor (SGI frame), SPIs in the distributor. */
	u64 base = gic.version == VGIC_V3 && private ? gic.gicr_sgi : gic.gicd;

	wr8(base, GICD_IPRIORITYR + intid * BYTES_PER_PRIO, PRIORITY_DEFAULT);
	if (gic.version == VGIC_V3) {
		/* With one security state Group 0 is an FIQ: everything here is Group 1. */
		wr(base, GICD_IGROUPR + intid / 32 * 4,
		   rd(base, GICD_IGROUPR + intid / 32 * 4) | 1u << (intid % 32));
		if (!private)
			mmio_write64(gic.gicd + GICD_IROUTER + 8 * intid, mpidr_affinity());
	}
	if (!private) {
		wr(gic.gicd, cfg, rd(gic.gicd, cfg) & ~(GICD_ICFGR_EDGE << shift));
		/* v2: CPU interface 0, the boot CPU (RAZ/WI on a uniprocessor GIC). */
		if (gic.version == VGIC_V2)
			wr8(gic.gicd, GICD_ITARGETSR + intid, 1);
	}
	gic_hw_set_enabled(intid, true);
}

void gic_hw_set_enabled(u32 intid, bool on)
{
	u64 base = gic.version == VGIC_V3 && intid < GIC_PRIVATE_COUNT ? gic.gicr_sgi : gic.gicd;

	wr(base, (on ? GICD_ISENABLER : GICD_ICENABLER) + intid / 32 * 4, 1u << (intid % 32));
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

/* Wait for a register write to take effect (GICD_CTLR.RWP, GICR_CTLR.RWP). */
static void wait_rwp(u64 reg, u32 rwp)
{
	for (unsigned i = 0; i < RWP_SPINS && (mmio_read32(reg) & rwp); i++)
		arch_cpu_relax();
}

static int init_v3(const struct boot_irqchip *ic)
{
	u64 aff = mpidr_affinity(), frame;
	u64 want = (aff & GENMASK(23, 0)) | (aff >> 32 & 0xff) << 24;

	gic.gicd = ic->dist.base;
	/* Find this CPU's redistributor: the frame whose affinity is ours, up to the last. */
	for (frame = ic->redist.base; frame + GICR_STRIDE <= ic->redist.base + ic->redist.size;
	     frame += GICR_STRIDE) {
		u64 typer = mmio_read64(frame + GICR_TYPER);

		if (typer >> GICR_TYPER_AFF_SHIFT == want) {
			gic.gicr_sgi = frame + GICR_SGI_BASE;
			break;
		}
		if (typer & GICR_TYPER_LAST)
			break;
	}
	if (!gic.gicr_sgi) {
		log_err("gic: no GICv3 redistributor for MPIDR affinity %#llx in [%#llx, +%#llx)",
			(unsigned long long)aff, (unsigned long long)ic->redist.base,
			(unsigned long long)ic->redist.size);
		return HV_ENOSYS;
	}
	/* The system-register interface at EL2, and EL1 may use its own (the guest's ICV). */
	write_sysreg(s3_4_c12_c9_5, ICC_SRE_SRE | ICC_SRE_ENABLE); /* ICC_SRE_EL2 */
	isb();
	/* Wake the redistributor up. */
	mmio_write32(frame + GICR_WAKER,
		     mmio_read32(frame + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	for (unsigned i = 0;
	     i < RWP_SPINS && (mmio_read32(frame + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP); i++)
		arch_cpu_relax();
	/* Affinity routing and Group 1: bits 4 and 1 in both the DS and Non-secure views. */
	wr(gic.gicd, GICD_CTLR, rd(gic.gicd, GICD_CTLR) | GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
	wait_rwp(gic.gicd + GICD_CTLR, GICD_CTLR_RWP);
	write_sysreg(s3_0_c4_c6_0, GICC_PMR_ALL);        /* ICC_PMR_EL1 */
	write_sysreg(s3_0_c12_c12_3, 0);                 /* ICC_BPR1_EL1 */
	write_sysreg(s3_0_c12_c12_4, ICC_CTLR_EOIMODE);  /* ICC_CTLR_EL1 */
	write_sysreg(s3_0_c12_c12_7, ICC_IGRPEN_ENABLE); /* ICC_IGRPEN1_EL1 */
	isb();
	gic.lrs = MIN((u32)(read_sysreg(s3_4_c12_c11_1) & ICH_VTR_LISTREGS_MASK) + 1,
		      (u32)EL2_LRS_MAX); /* ICH_VTR_EL2 */
	write_sysreg(s3_4_c12_c11_0, 0); /* ICH_HCR_EL2 */
	for (u32 n = 0; n < gic.lrs; n++)
		gic_hw_lr_write(n, 0);
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
		gic.version = VGIC_V3;
		err = init_v3(ic);
	} else {
		log_err("gic: the device tree names no GIC: guests need one");
		err = HV_ENOSYS;
	}
	if (err)
		return err;
	/* The virtual timer's PPI: configured now, enabled only while a vCPU is loaded. */
	route_spi_or_ppi(GUEST_VTIMER_PPI);
	gic_hw_set_enabled(GUEST_VTIMER_PPI, false);
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

/* ICH_LR<n>_EL2: op0 3, op1 4, CRn 12, CRm 12 + n / 8, op2 n % 8. */
#define ICH_LR_CASE(n, crm, op2)                                                                   \
	case n:                                                                                    \
		if (write)                                                                         \
			write_sysreg(s3_4_c12_c##crm##_##op2, value);                              \
		else                                                                               \
			value = read_sysreg(s3_4_c12_c##crm##_##op2);                              \
		break

static u64 ich_lr(u32 n, bool write, u64 value)
{
	switch (n) {
		ICH_LR_CASE(0, 12, 0);
		ICH_LR_CASE(1, 12, 1);
		ICH_LR_CASE(2, 12, 2);
		ICH_LR_CASE(3, 12, 3);
		ICH_LR_CASE(4, 12, 4);
		ICH_LR_CASE(5, 12, 5);
		ICH_LR_CASE(6, 12, 6);
		ICH_LR_CASE(7, 12, 7);
		ICH_LR_CASE(8, 13, 0);
		ICH_LR_CASE(9, 13, 1);
		ICH_LR_CASE(10, 13, 2);
		ICH_LR_CASE(11, 13, 3);
		ICH_LR_CASE(12, 13, 4);
		ICH_LR_CASE(13, 13, 5);
		ICH_LR_CASE(14, 13, 6);
		ICH_LR_CASE(15, 13, 7);
	default:
		CHECK(n < EL2_LRS_MAX);
	}
	return value;
}

u32 gic_hw_ack(void)
{
	if (gic.version == VGIC_V3)
		return (u32)read_sysreg(s3_0_c12_c12_0) & ICC_IAR_INTID_MASK; /* ICC_IAR1_EL1 */
	return rd(gic.gicc, GICC_IAR) & GIC_INTID_MASK;
}

u32 gic_hw_ack_group0(void)
{
	/* v2 without security acknowledges both groups through GICC_IAR. */
	if (gic.version != VGIC_V3)
		return GIC_INTID_SPURIOUS;
	return (u32)read_sysreg(s3_0_c12_c8_0) & ICC_IAR_INTID_MASK; /* ICC_IAR0_EL1 */
}

void gic_hw_eoi_group0(u32 intid)
{
	write_sysreg(s3_0_c12_c8_1, intid); /* ICC_EOIR0_EL1 */
	isb();
}

void gic_hw_eoi(u32 intid)
{
	if (gic.version == VGIC_V3) {
		write_sysreg(s3_0_c12_c12_1, intid); /* ICC_EOIR1_EL1 */
		isb();
	} else {
		wr(gic.gicc, GICC_EOIR, intid);
	}
}

void gic_hw_deactivate(u32 intid)
{
	if (gic.version == VGIC_V3) {
		write_sysreg(s3_0_c12_c11_1, intid); /* ICC_DIR_EL1 */
		isb();
	} else {
		wr(gic.gicc, GICC_DIR, intid);
	}
}

u64 gic_hw_lr_read(u32 n)
{
	if (gic.version == VGIC_V3)
		return ich_lr(n, false, 0);
	return rd(gic.gich, GICH_LR0 + 4 * n);
}

void gic_hw_lr_write(u32 n, u64 value)
{
	if (gic.version == VGIC_V3)
		ich_lr(n, true, value);
	else
		wr(gic.gich, GICH_LR0 + 4 * n, (u32)value);
}

u64 gic_hw_done_lrs(void)
{
	/*
	 * ELRSR calls a register holding a finished interrupt with an EOI
	 * maintenance request "not empty" until the request is dealt with;
	 * EISR lists exactly those.
	 */
	if (gic.version == VGIC_V3)
		return read_sysreg(s3_4_c12_c11_5) | read_sysreg(s3_4_c12_c11_3); /* ELRSR, EISR */
	return rd(gic.gich, GICH_ELRSR0) | rd(gic.gich, GICH_EISR0);
}

void gic_hw_hcr(bool underflow_irq)
{
	if (gic.version == VGIC_V3) {
		write_sysreg(s3_4_c12_c11_0, ICH_HCR_EN | (underflow_irq ? ICH_HCR_UIE : 0));
		isb();
	} else {
		wr(gic.gich, GICH_HCR, GICH_HCR_EN | (underflow_irq ? GICH_HCR_UIE : 0));
	}
}

void gic_hw_virt_off(void)
{
	if (gic.version == VGIC_V3) {
		write_sysreg(s3_4_c12_c11_0, 0);
		write_sysreg(s3_4_c12_c11_7, 0); /* ICH_VMCR_EL2: the next guest starts clean */
		isb();
	} else {
		wr(gic.gich, GICH_HCR, 0);
		wr(gic.gich, GICH_VMCR, 0);
	}
}

u64 gic_hw_vmcr(void)
{
	if (gic.version == VGIC_V3)
		return read_sysreg(s3_4_c12_c11_7);
	return rd(gic.gich, GICH_VMCR);
}

u64 gic_hw_make_lr(const struct vgic_lr_desc *d)
{
	u64 lr;

	if (gic.version == VGIC_V3) {
		lr = (d->intid & ICH_LR_VINTID_MASK) | ICH_LR_PENDING |
		     (u64)d->priority << ICH_LR_PRIO_SHIFT;
		if (d->group1)
			lr |= ICH_LR_GROUP;
		if (d->hw)
			lr |= ICH_LR_HW | (u64)d->hw_intid << ICH_LR_PINTID_SHIFT;
		else if (d->eoi_notify)
			lr |= ICH_LR_EOI;
		return lr;
	}
	lr = (d->intid & GICH_LR_VINTID_MASK) | GICH_LR_PENDING |
	     (u64)(d->priority >> (8 - GICH_LR_PRIO_BITS)) << GICH_LR_PRIO_SHIFT;
	if (d->group1)
		lr |= GICH_LR_GRP1;
	if (d->hw)
		lr |= GICH_LR_HW | (u64)(d->hw_intid & GICH_LR_VINTID_MASK) << GICH_LR_PINTID_SHIFT;
	else if (d->intid < GIC_SGI_COUNT)
		lr |= (u64)d->source << GICH_LR_CPUID_SHIFT;
	if (!d->hw && d->eoi_notify)
		lr |= GICH_LR_EOI;
	return lr;
}

bool gic_hw_lr_is_pending(u64 lr)
{
	return gic.version == VGIC_V3 ? (lr & ICH_LR_PENDING) != 0 : (lr & GICH_LR_PENDING) != 0;
}

bool gic_hw_lr_is_active(u64 lr)
{
	return gic.version == VGIC_V3 ? (lr & ICH_LR_ACTIVE) != 0 : (lr & GICH_LR_ACTIVE) != 0;
}
