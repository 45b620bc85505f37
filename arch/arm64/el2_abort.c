/*
 * Stage-2 aborts: what happens when a guest touches a guest-physical
 * address that its stage-2 tables do not map (yet).
 *
 *   RAM        the MMU engine maps it (mmu_fault), with the largest leaf the
 *              memslot allows, and the guest retries the access.
 *   device     an emulated device of the guest machine (the GIC distributor
 *              and redistributors, the PL011): the access is emulated from
 *              the abort's syndrome and the instruction skipped.
 *   nothing    neither RAM nor a device: the guest takes a synchronous
 *              external abort at its EL1 (data or instruction abort,
 *              FSC 0x10, FAR = the address it used), as on a machine where
 *              nothing answers at that address. The hypervisor's memory
 *              falls here too: it is never in a memslot.
 *
 * An emulated device reached by an access without a valid syndrome (ISV 0:
 * load/store pair, writeback addressing, SIMD, exclusives) is not decoded:
 * the VM is stopped with the address, PC and reason. Linux's MMIO
 * accessors never do that; it is a broken or hostile guest
 * (docs/arm64.md, "MMIO").
 */
#include <hv/arm64/esr.h>
#include <hv/arm64/mmio.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mmu.h>

#include <arm64/el2.h>
#include <arm64/el2_guest.h>

/* Stage-2 fault kinds for which HPFAR_EL2 holds the faulting IPA. */
static bool is_stage2_fault(u32 fsc)
{
	switch (fsc & FSC_TYPE_MASK) {
	case FSC_ADDR_SIZE:
	case FSC_TRANSLATION:
	case FSC_ACCESS_FLAG:
	case FSC_PERMISSION:
		return true;
	default:
		return false;
	}
}

static u64 fault_ipa(const struct el2_vcpu *ev)
{
	u64 page = (ev->regs.hpfar & HPFAR_FIPA_MASK) >> HPFAR_FIPA_SHIFT << PAGE_SHIFT;

	return page | (ev->regs.far & (PAGE_SIZE - 1));
}

static const struct el2_mmio_region *region_at(const struct el2_vm *evm, u64 ipa)
{
	for (u32 i = 0; i < evm->region_count; i++)
		if (ipa >= evm->regions[i].base &&
		    ipa - evm->regions[i].base < evm->regions[i].size)
			return &evm->regions[i];
	return NULL;
}

/* Nothing at ipa: the guest gets an external abort at the address it used. */
static u32 bad_ipa(struct el2_vcpu *ev, u64 ipa, bool write, bool fetch)
{
	struct el2_vm *evm = ev->evm;

	evm->bad_ipa_aborts++;
	log_debug("%s: %s IPA %#llx (VA %#llx, PC %#llx): not RAM, no device: abort injected",
		  evm->vm->name,
		  fetch   ? "fetch from"
		  : write ? "write to"
			  : "read of",
		  (unsigned long long)ipa, (unsigned long long)ev->regs.far,
		  (unsigned long long)ev->regs.pc);
	if (fetch)
		el2_inject_instruction_abort(ev, ev->regs.far);
	else
		el2_inject_data_abort(ev, ev->regs.far, write);
	return EL2_EXIT_BAD_IPA;
}

static u32 emulate_mmio(struct el2_vcpu *ev, const struct el2_mmio_region *r, u64 ipa, u32 iss)
{
	struct arm64_mmio_access a;
	u64 value = 0;
	int err = arm64_mmio_decode(iss, ipa, &a);

	if (err == HV_EINVAL) {
		/* Cache maintenance by VA on device memory moves no data: nothing to do. */
		el2_skip_instruction(ev);
		return EL2_EXIT_MMIO_WRITE;
	}
	if (err) {
		vm_stop(
		    ev->vcpu->vm, VM_STOP_FAILED,
		    "vcpu%u: access to the emulated %s at IPA %#llx has no instruction syndrome "
		    "(ISV 0: a load/store pair, writeback, SIMD or exclusive), PC %#llx, ESR "
		    "%#llx; "
		    "hv does not decode instructions",
		    ev->vcpu->id, r->name, (unsigned long long)ipa, (unsigned long long)ev->regs.pc,
		    (unsigned long long)ev->regs.esr);
		return a.write ? EL2_EXIT_MMIO_WRITE : EL2_EXIT_MMIO_READ;
	}
	if (a.write) {
		err = r->write(ev, ipa - r->base, a.size, arm64_mmio_store_value(&a, ev->regs.x));
	} else {
		err = r->read(ev, ipa - r->base, a.size, &value);
		if (!err)
			arm64_mmio_load_complete(&a, value, ev->regs.x);
	}
	if (err) {
		log_debug("%s: %u-byte %s at %s+%#llx refused (PC %#llx): abort injected",
			  ev->evm->vm->name, a.size, a.write ? "write" : "read", r->name,
			  (unsigned long long)(ipa - r->base), (unsigned long long)ev->regs.pc);
		el2_inject_data_abort(ev, ev->regs.far, a.write);
	} else {
		el2_skip_instruction(ev);
	}
	return a.write ? EL2_EXIT_MMIO_WRITE : EL2_EXIT_MMIO_READ;
}

/* Map RAM for access; returns true when the guest should simply retry. */
static bool map_ram(struct el2_vcpu *ev, u64 ipa, u8 access, bool *mmio)
{
	enum mmu_fault_result r = mmu_fault(ev->vcpu->mmu, gpa(ipa), access);

	*mmio = false;
	if (r == MMU_FAULT_RETRY) {
		/* Endless retries mean something refuses the change (a protected VM's module). */
		if (vcpu_fault_retry_exceeded(ev->vcpu, gpa(ipa)))
			vm_stop(
			    ev->vcpu->vm, VM_STOP_FAILED,
			    "vcpu%u: the stage-2 fault at IPA %#llx (PC %#llx) keeps asking for a "
			    "retry",
			    ev->vcpu->id, (unsigned long long)ipa, (unsigned long long)ev->regs.pc);
		return true;
	}
	vcpu_fault_progress(ev->vcpu);
	switch (r) {
	case MMU_FAULT_MAPPED:
		/* The new entry must be visible to the table walker before the guest retries. */
		__asm__ volatile("dsb ishst" : : : "memory");
		return true;
	case MMU_FAULT_SPURIOUS:
		return true;
	case MMU_FAULT_NOMEM:
		vm_stop(ev->vcpu->vm, VM_STOP_FAILED,
			"vcpu%u: no memory for stage-2 tables mapping IPA %#llx (PC %#llx)",
			ev->vcpu->id, (unsigned long long)ipa, (unsigned long long)ev->regs.pc);
		return true;
	case MMU_FAULT_EXTERNAL: {
		/*
		 * A protected VM's table module refused to map guest RAM: mirror and
		 * module disagree. Not the guest's doing, so no abort for it.
		 */
		char why[VM_REASON_MAX / 2];

		vm_stop(ev->vcpu->vm, VM_STOP_FAILED,
			"vcpu%u: stage-2 fault at IPA %#llx (PC %#llx): the table module refused "
			"the change: %s",
			ev->vcpu->id, (unsigned long long)ipa, (unsigned long long)ev->regs.pc,
			vm_tdp_last_failure(ev->vcpu->vm, why, sizeof(why)));
		return true;
	}
	default:
		/* MMIO, and read-only or tracked slots, which arm64 VMs do not have. */
		*mmio = true;
		return false;
	}
}

static u32 unexpected_abort(struct el2_vcpu *ev, const char *what)
{
	vm_stop(ev->vcpu->vm, VM_STOP_FAILED,
		"vcpu%u: %s abort that is no stage-2 fault: ESR %#llx, FAR %#llx, PC %#llx",
		ev->vcpu->id, what, (unsigned long long)ev->regs.esr,
		(unsigned long long)ev->regs.far, (unsigned long long)ev->regs.pc);
	return EL2_EXIT_BAD_IPA;
}

u32 el2_data_abort(struct el2_vcpu *ev)
{
	u32 iss = esr_iss(ev->regs.esr), fsc = iss & ISS_ABT_FSC_MASK;
	bool write = iss & ISS_DABT_WNR, is_mmio;
	u64 ipa = fault_ipa(ev);
	const struct el2_mmio_region *r;

	if (!is_stage2_fault(fsc))
		return unexpected_abort(ev, "data");
	/* The guest's own table walk reads (and may set AF/dirty bits in) guest RAM. */
	if (map_ram(ev, ipa, (iss & ISS_ABT_S1PTW) || !write ? PT_R : PT_R | PT_W, &is_mmio))
		return EL2_EXIT_S2_MAP;
	if (iss & ISS_ABT_S1PTW)
		return bad_ipa(ev, ipa, false, false); /* its page tables are not in RAM */
	r = region_at(ev->evm, ipa);
	if (!r)
		return bad_ipa(ev, ipa, write, false);
	if (iss & ISS_ABT_FNV) {
		vm_stop(
		    ev->vcpu->vm, VM_STOP_FAILED,
		    "vcpu%u: access to the emulated %s in page %#llx without a valid FAR, PC %#llx",
		    ev->vcpu->id, r->name, (unsigned long long)(ipa & PAGE_MASK),
		    (unsigned long long)ev->regs.pc);
		return EL2_EXIT_MMIO_READ;
	}
	return emulate_mmio(ev, r, ipa, iss);
}

u32 el2_instruction_abort(struct el2_vcpu *ev)
{
	u32 iss = esr_iss(ev->regs.esr), fsc = iss & ISS_ABT_FSC_MASK;
	u64 ipa = fault_ipa(ev);
	bool is_mmio;

	if (!is_stage2_fault(fsc))
		return unexpected_abort(ev, "instruction");
	if (map_ram(ev, ipa, (iss & ISS_ABT_S1PTW) ? PT_R : PT_R | PT_X, &is_mmio))
		return EL2_EXIT_S2_MAP;
	/* Code runs from RAM only: a fetch from a device or from nothing aborts. */
	return bad_ipa(ev, ipa, false, true);
}

/* --- the guest machine's emulated devices -------------------------------------------- */

static int gicd_read(struct el2_vcpu *ev, u64 off, unsigned size, u64 *value)
{
	*value = vgic_dist_read(&ev->evm->vgic, ev->vcpu->id, off, size);
	return 0;
}

static int gicd_write(struct el2_vcpu *ev, u64 off, unsigned size, u64 value)
{
	vgic_dist_write(&ev->evm->vgic, ev->vcpu->id, off, size, value);
	return 0;
}

static int gicr_read(struct el2_vcpu *ev, u64 off, unsigned size, u64 *value)
{
	*value = vgic_redist_read(&ev->evm->vgic, off, size);
	return 0;
}

static int gicr_write(struct el2_vcpu *ev, u64 off, unsigned size, u64 value)
{
	vgic_redist_write(&ev->evm->vgic, off, size, value);
	return 0;
}

static int uart_read(struct el2_vcpu *ev, u64 off, unsigned size, u64 *value)
{
	int err = pl011_mmio_read(&ev->evm->uart, off, size, value);

	/* A read of DR may have made room for input that waits. */
	el2_uart_feed(ev->evm);
	return err;
}

static int uart_write(struct el2_vcpu *ev, u64 off, unsigned size, u64 value)
{
	int err = pl011_mmio_write(&ev->evm->uart, off, size, value);

	el2_uart_feed(ev->evm);
	return err;
}

static void uart_tx(void *ctx, u8 byte)
{
	struct el2_vm *evm = ctx;

	vm_console_write(evm->vm, (const char *)&byte, 1);
}

static void uart_irq(void *ctx, bool level)
{
	struct el2_vm *evm = ctx;

	vgic_set_line(&evm->vgic, 0, GUEST_UART_INTID, level);
}

static const struct pl011_ops uart_ops = {
	.tx = uart_tx,
	.set_irq = uart_irq,
};

void el2_uart_feed(struct el2_vm *evm)
{
	u8 buf[PL011_FIFO_SIZE];
	size_t room = pl011_rx_space(&evm->uart), n;

	if (!room || !vm_console_input_pending(evm->vm))
		return;
	n = vm_console_read(evm->vm, buf, MIN(room, sizeof(buf)));
	if (n)
		pl011_rx_push(&evm->uart, buf, n);
}

static void add_region(struct el2_vm *evm, const struct el2_mmio_region *r)
{
	evm->regions[evm->region_count++] = *r;
}

void el2_devices_init(struct el2_vm *evm)
{
	pl011_init(&evm->uart, &uart_ops, evm);
	evm->region_count = 0;
	add_region(evm,
		   &(struct el2_mmio_region){ "GIC distributor", GUEST_GICD_BASE,
					      evm->gic == VGIC_V2 ? GICD_SIZE_V2 : GICD_SIZE_V3,
					      gicd_read, gicd_write });
	if (evm->gic == VGIC_V3)
		add_region(evm, &(struct el2_mmio_region){ "GIC redistributors", GUEST_GICR_BASE,
							   vgic_redist_size(&evm->vgic), gicr_read,
							   gicr_write });
	add_region(evm, &(struct el2_mmio_region){ "PL011", GUEST_UART_BASE, GUEST_UART_SIZE,
						   uart_read, uart_write });
}
