/*
 * Virtual interrupts into the hardware: the list registers, the physical
 * interrupts hv takes while a guest runs, and the virtual timer.
 *
 * Before each entry, el2_vgic_flush() gives free list registers what the
 * emulated distributor (vmm/dev/vgic.c) says is deliverable, highest
 * priority first. It only touches the GIC when something changed: a new
 * pending interrupt, a register write that affects one held in a list
 * register, or a maintenance interrupt. Otherwise the entry costs nothing.
 *
 * A list register's interrupt is given back to the model when the register
 * holds nothing live any more (empty in GICH_ELRSR, or finished with an
 * EOI maintenance request in GICH_EISR; ICH_ELRSR/EISR_EL2 on v3). Interrupts without the HW bit
 * carry the EOI bit, so the guest's EOI raises a maintenance interrupt and
 * a level that is still high is delivered again at once. When more
 * interrupts are deliverable than there are free list registers, the
 * underflow maintenance interrupt says when room appears.
 *
 * The virtual timer (CNTV_*_EL0, the guest's own registers) fires the
 * physical PPI 27 at EL2. hv drops its priority but leaves it active, and
 * injects virtual PPI 27 with the HW bit and the physical ID: the guest's
 * deactivation of the virtual interrupt deactivates the physical one, so
 * the timer cannot fire again before the guest has handled it and no exit
 * is needed for its EOI. If the timer no longer asserts its output when
 * the interrupt would go into a list register (the guest reprogrammed it),
 * the physical interrupt is deactivated and nothing is injected: the level
 * is what counts.
 */
#include <hv/console.h>
#include <hv/log.h>

#include <arm64/el2.h>
#include <arm64/el2_guest.h>

#define INTID_SPECIAL_FIRST 1020 /* 1020-1023: no interrupt to acknowledge */

static u32 vcpu_index(const struct el2_vcpu *ev)
{
	return ev->vcpu->id;
}

static bool vtimer_asserted(void)
{
	u64 ctl = read_sysreg(cntv_ctl_el0);

	return (ctl & CNT_CTL_ENABLE) && (ctl & CNT_CTL_ISTATUS) && !(ctl & CNT_CTL_IMASK);
}

void el2_vgic_vcpu_init(struct el2_vcpu *ev)
{
	ev->lr_count = gic_hw_lr_count();
	for (u32 n = 0; n < EL2_LRS_MAX; n++)
		ev->lr_intid[n] = -1;
	vgic_link_hw(&ev->evm->vgic, vcpu_index(ev), GUEST_VTIMER_PPI, GUEST_VTIMER_PPI);
}

/* Give back the interrupts of list registers the guest has finished with. */
static void sync_lrs(struct el2_vcpu *ev)
{
	u64 empty = gic_hw_done_lrs();

	for (u32 n = 0; n < ev->lr_count; n++) {
		if (ev->lr_intid[n] < 0 || !(empty & BIT(n)))
			continue;
		/* Clearing the register also clears its EOI maintenance request. */
		gic_hw_lr_write(n, 0);
		vgic_retire(&ev->evm->vgic, vcpu_index(ev), (u32)ev->lr_intid[n], false, false);
		ev->lr_intid[n] = -1;
	}
}

/* Take back pending (not yet acknowledged) interrupts the guest has since disabled. */
static void recheck_lrs(struct el2_vcpu *ev)
{
	struct vgic *g = &ev->evm->vgic;

	for (u32 n = 0; n < ev->lr_count; n++) {
		u32 intid;
		u64 lr;

		if (ev->lr_intid[n] < 0)
			continue;
		intid = (u32)ev->lr_intid[n];
		lr = gic_hw_lr_read(n);
		if (vgic_lr_still_wanted(g, vcpu_index(ev), intid) || gic_hw_lr_is_active(lr))
			continue;
		gic_hw_lr_write(n, 0);
		vgic_retire(g, vcpu_index(ev), intid, gic_hw_lr_is_pending(lr), false);
		ev->lr_intid[n] = -1;
	}
}

static int free_lr(const struct el2_vcpu *ev)
{
	for (u32 n = 0; n < ev->lr_count; n++)
		if (ev->lr_intid[n] < 0)
			return (int)n;
	return -1;
}

void el2_vgic_flush_slow(struct el2_vcpu *ev)
{
	struct vgic *g = &ev->evm->vgic;
	struct vgic_cpu *vc = &g->cpu[vcpu_index(ev)];
	bool underflow = false;
	int intid;

	sync_lrs(ev);
	ev->lr_sync = false;
	if (vc->lr_recheck) {
		vc->lr_recheck = false;
		recheck_lrs(ev);
	}
	while ((intid = vgic_pick(g, vcpu_index(ev))) >= 0) {
		int lr = free_lr(ev);
		struct vgic_lr_desc d;

		if (lr < 0) {
			underflow = true;
			break;
		}
		d = vgic_take(g, vcpu_index(ev), (u32)intid);
		if (intid == GUEST_VTIMER_PPI && !vtimer_asserted()) {
			/* The timer was reprogrammed since it fired: nothing to deliver. */
			vgic_retire(g, vcpu_index(ev), (u32)intid, false, false);
			gic_hw_deactivate(GUEST_VTIMER_PPI);
			continue;
		}
		gic_hw_lr_write((u32)lr, gic_hw_make_lr(&d));
		ev->lr_intid[lr] = intid;
	}
	gic_hw_hcr(underflow);
}

bool el2_vgic_has_pending(struct el2_vcpu *ev)
{
	/* A list register may still claim an interrupt the guest has finished with. */
	if (ev->evm->vgic.cpu[vcpu_index(ev)].maybe_pending || ev->lr_sync) {
		sync_lrs(ev);
		ev->lr_sync = false;
	}
	if (vgic_pick(&ev->evm->vgic, vcpu_index(ev)) >= 0)
		return true;
	for (u32 n = 0; n < ev->lr_count; n++)
		if (ev->lr_intid[n] >= 0 && gic_hw_lr_is_pending(gic_hw_lr_read(n)))
			return true;
	return false;
}

void el2_irq(struct el2_vcpu *ev)
{
	struct el2_vm *evm = ev->evm;
	u32 intid;

	while ((intid = gic_hw_ack()) < INTID_SPECIAL_FIRST) {
		gic_hw_eoi(intid);
		if (intid == GUEST_VTIMER_PPI) {
			/* Stays active until the guest deactivates its virtual twin. */
			vgic_set_pending(&evm->vgic, vcpu_index(ev), GUEST_VTIMER_PPI);
			continue;
		}
		if (intid == gic_hw_maint_irq()) {
			/* Deassert it before deactivating: clear the EOI'd registers, no underflow. */
			sync_lrs(ev);
			gic_hw_hcr(false);
			ev->lr_sync = true;
		} else if (intid == gic_hw_uart_irq()) {
			console_poll_input();
			el2_uart_feed(evm);
		} else {
			log_warn("%s: physical interrupt %u is nobody's: disabled", evm->vm->name,
				 intid);
			gic_hw_set_enabled(intid, false);
		}
		gic_hw_deactivate(intid);
	}
	/*
	 * hv enables only Group 1 interrupts; a Group 0 one (a v3 FIQ) was
	 * enabled by someone else. Switch it off rather than take it forever.
	 */
	while ((intid = gic_hw_ack_group0()) < INTID_SPECIAL_FIRST) {
		log_warn("%s: physical Group 0 interrupt %u is nobody's: disabled", evm->vm->name,
			 intid);
		gic_hw_eoi_group0(intid);
		gic_hw_set_enabled(intid, false);
		gic_hw_deactivate(intid);
	}
	/* Without a console interrupt, poll on every interrupt (the guest's timer ticks). */
	if (!gic_hw_uart_irq()) {
		console_poll_input();
		el2_uart_feed(evm);
	}
}

void el2_vgic_put(struct el2_vcpu *ev)
{
	/* Stop the guest's timer first: nothing may fire for a VM that is gone. */
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	for (u32 n = 0; n < ev->lr_count; n++) {
		u64 lr;

		if (ev->lr_intid[n] < 0)
			continue;
		lr = gic_hw_lr_read(n);
		gic_hw_lr_write(n, 0);
		if ((u32)ev->lr_intid[n] == GUEST_VTIMER_PPI &&
		    (gic_hw_lr_is_pending(lr) || gic_hw_lr_is_active(lr)))
			gic_hw_deactivate(GUEST_VTIMER_PPI);
		vgic_retire(&ev->evm->vgic, vcpu_index(ev), (u32)ev->lr_intid[n], false, false);
		ev->lr_intid[n] = -1;
	}
	/* Acknowledged but never injected (the guest had it disabled): still active. */
	if (vgic_irq_state(&ev->evm->vgic, vcpu_index(ev), GUEST_VTIMER_PPI)->latch)
		gic_hw_deactivate(GUEST_VTIMER_PPI);
	gic_hw_virt_off();
	gic_hw_set_enabled(GUEST_VTIMER_PPI, false);
}
