/*
 * The EL2 backend's private interfaces: the per-VM and per-vCPU state
 * behind vm->arch and vcpu->arch, the guest machine's memory map, the exit
 * kinds it counts, and the functions its files share. Generic code never
 * sees any of this; it reaches the backend through el2_backend_ops.
 *
 *   el2_backend.c   the ops table, VM/vCPU life, EL2 configuration, run loop
 *   el2_exit.c      exit dispatch: HVC, SMC, WFI/WFE, system registers
 *   el2_abort.c     stage-2 aborts: RAM on demand, emulated MMIO, bad IPAs
 *   el2_inject.c    exceptions injected into the guest's EL1
 *   stage2.c        VMIDs, VTCR/VTTBR, TLB and cache maintenance
 *   gic_hw.c        the physical GIC (the hypervisor's interrupts)
 *   vgic_lr.c       list registers, maintenance, the virtual timer
 *   guest_boot.c    choosing, building and running the boot guest
 */
#ifndef ARM64_EL2_GUEST_H
#define ARM64_EL2_GUEST_H

#include <hv/arm64/psci.h>
#include <hv/bootinfo.h>
#include <hv/dev/pl011.h>
#include <hv/dev/vgic.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

#include <arm64/guest_regs.h>

/*
 * The guest machine: QEMU virt's addresses, so a guest that knows virt
 * finds its devices where it expects them (docs/arm64.md, "Guest platform").
 */
#define GUEST_RAM_BASE   0x40000000ull
#define GUEST_GICD_BASE  0x08000000ull
#define GUEST_GICD_SIZE  0x10000ull
#define GUEST_GICC_BASE  0x08010000ull /* v2: the hardware's GICV appears here */
#define GUEST_GICC_SIZE  0x2000ull
#define GUEST_GICR_BASE  0x080a0000ull /* v3 */
#define GUEST_UART_BASE  0x09000000ull
#define GUEST_UART_SIZE  0x1000ull
#define GUEST_UART_SPI   1 /* interrupt ID 33 */
#define GUEST_UART_INTID (GIC_PRIVATE_COUNT + GUEST_UART_SPI)
#define GUEST_VTIMER_PPI 27 /* the virtual timer's interrupt ID, as on the host */
#define GUEST_CPUS_MAX   VGIC_CPUS_MAX

/* Exit kinds counted per vCPU (el2_exit_kind_names[] in el2_backend.c). */
enum el2_exit_kind {
	EL2_EXIT_HVC,  /* hv hypercall */
	EL2_EXIT_PSCI, /* PSCI / SMCCC call, HVC or SMC */
	EL2_EXIT_SMC_OTHER,
	EL2_EXIT_S2_MAP, /* stage-2 fault on RAM: mapped */
	EL2_EXIT_MMIO_READ,
	EL2_EXIT_MMIO_WRITE,
	EL2_EXIT_BAD_IPA, /* neither RAM nor a device: abort injected */
	EL2_EXIT_ID_REG,  /* an ID register read (TID3) */
	EL2_EXIT_SYSREG,  /* another system register or SYS instruction */
	EL2_EXIT_SET_WAY, /* DC ISW/CSW/CISW */
	EL2_EXIT_WFI,
	EL2_EXIT_WFE,
	EL2_EXIT_IRQ,
	EL2_EXIT_UNDEF, /* anything else: UNDEFINED injected */
	EL2_EXIT_SERROR,
	EL2_EXIT_KIND_COUNT,
};

/* Raw exit codes in the exit ring: ESR_EL2.EC for synchronous exits, these otherwise. */
#define EL2_CODE_IRQ    0x40
#define EL2_CODE_FIQ    0x41
#define EL2_CODE_SERROR 0x42

#define EL2_LRS_MAX     16 /* list registers hv uses at most */

struct el2_vcpu;

/* An emulated MMIO region of the guest machine. */
struct el2_mmio_region {
	const char *name;
	u64 base, size;
	/* Return 0, or HV_EINVAL to have a data abort injected. */
	int (*read)(struct el2_vcpu *ev, u64 offset, unsigned size, u64 *value);
	int (*write)(struct el2_vcpu *ev, u64 offset, unsigned size, u64 value);
};

#define EL2_MMIO_REGIONS_MAX 4

struct el2_vm {
	struct vm *vm;
	u32 vmid;
	enum vgic_version gic;
	struct vgic vgic;
	struct pl011 uart;
	u32 region_count;
	struct el2_mmio_region regions[EL2_MMIO_REGIONS_MAX];
	u64 gicv_hpa; /* v2: the hardware's virtual CPU interface, mapped for the guest */
	/* Counters for the stop report. */
	u64 set_way_flushes, bad_ipa_aborts, undef_injected;
};

struct el2_vcpu {
	struct arm64_guest_regs regs; /* what the world switch loads and saves */
	struct vcpu *vcpu;
	struct el2_vm *evm;
	enum psci_cpu_state power;
	bool loaded;  /* EL2 is configured for this vCPU (el2_vcpu_load) */
	bool started; /* its EL1 state was reset for its first entry */

	/* EL2 configuration written at load. */
	u64 hcr, vttbr, cptr, mdcr, cnthctl, vmpidr;

	/* List registers: which interrupt each one holds (-1: none). */
	u32 lr_count;
	s32 lr_intid[EL2_LRS_MAX];
	bool lr_sync; /* a maintenance interrupt came: look at the list registers */

	/* Set/way maintenance: the exit count of the last one (a burst flushes once). */
	u64 set_way_exit;
};

static inline struct el2_vcpu *el2_vcpu_of(struct vcpu *v)
{
	return v->arch;
}

static inline struct el2_vm *el2_vm_of(struct vm *vm)
{
	return vm->arch;
}

extern const struct vm_backend_ops el2_backend_ops;

/* el2_backend.c */
/* Write the vCPU's EL2 configuration to the CPU; before its first entry also reset its EL1. */
void el2_vcpu_load(struct el2_vcpu *ev);
/* Undo el2_vcpu_load: stage 2 off, traps back to the hypervisor's own, timer stopped. */
void el2_vcpu_put(struct el2_vcpu *ev);

/* el2_exit.c: handle one exit of kind (the vectors' EXC_KIND); returns its el2_exit_kind. */
u32 el2_handle_exit(struct el2_vcpu *ev, u64 kind);
/* Wait until the vCPU has an interrupt to take (WFI, PSCI CPU_SUSPEND), or its VM stops. */
void el2_wait_for_interrupt(struct el2_vcpu *ev);

/* el2_abort.c */
u32 el2_data_abort(struct el2_vcpu *ev);
u32 el2_instruction_abort(struct el2_vcpu *ev);
/* Register the guest machine's emulated devices in evm->regions. */
void el2_devices_init(struct el2_vm *evm);
/* Move console input queued for the VM into its PL011, as far as the FIFO has room. */
void el2_uart_feed(struct el2_vm *evm);

/* el2_inject.c: a synchronous exception for the guest's EL1, at the exit's PC. */
void el2_inject_undef(struct el2_vcpu *ev);
void el2_inject_data_abort(struct el2_vcpu *ev, u64 va, bool write);
void el2_inject_instruction_abort(struct el2_vcpu *ev, u64 va);
/* Step over the trapped instruction (its length from ESR_EL2.IL). */
void el2_skip_instruction(struct el2_vcpu *ev);

/* stage2.c */
int stage2_init(void);
int stage2_vmid_alloc(u32 *vmid);
void stage2_vmid_free(u32 vmid);
u64 stage2_vtcr(void);
u64 stage2_vttbr(u32 vmid, hpa_t root);
void stage2_tlb_flush(void *arg, const struct mmu_root *root, gfn_t start, u64 count);
/* Drop every stage-1 and stage-2 translation tagged with vmid, on every CPU. */
void stage2_flush_vmid(u32 vmid);
/* Clean and invalidate [hpa, hpa + size) to the point of coherency. */
void stage2_clean_inval_poc(hpa_t hpa, u64 size);
/* Make every byte of the VM's RAM visible to a guest running with caches off. */
void stage2_clean_guest_ram(struct vm *vm);

/* gic_hw.c: the physical GIC */
int gic_hw_init(const struct boot_info *bi);
enum vgic_version gic_hw_version(void);
u32 gic_hw_lr_count(void);
u32 gic_hw_ack(void);        /* IAR: the interrupt ID, or GIC_INTID_SPURIOUS */
u32 gic_hw_ack_group0(void); /* v3 Group 0 (an FIQ); v2: always spurious */
void gic_hw_eoi_group0(u32 intid);
void gic_hw_eoi(u32 intid);        /* priority drop */
void gic_hw_deactivate(u32 intid); /* DIR */
void gic_hw_set_enabled(u32 intid, bool on);
u64 gic_hw_lr_read(u32 n);
void gic_hw_lr_write(u32 n, u64 value);
u64 gic_hw_done_lrs(void);           /* bit n: list register n holds nothing live */
void gic_hw_hcr(bool underflow_irq); /* enable the virtual CPU interface */
void gic_hw_virt_off(void);
u64 gic_hw_vmcr(void);
u64 gic_hw_make_lr(const struct vgic_lr_desc *d);
bool gic_hw_lr_is_pending(u64 lr);
bool gic_hw_lr_is_active(u64 lr);
u32 gic_hw_maint_irq(void);
u32 gic_hw_uart_irq(void);
hpa_t gic_hw_gicv_base(void);

/* vgic_lr.c */
void el2_vgic_vcpu_init(struct el2_vcpu *ev);
void el2_vgic_flush_slow(struct el2_vcpu *ev);

/*
 * Before entry: give the list registers what the guest should see. Inline
 * and nearly free when nothing changed, which is most exits.
 */
static inline void el2_vgic_flush(struct el2_vcpu *ev)
{
	const struct vgic_cpu *vc = &ev->evm->vgic.cpu[ev->vcpu->id];

	if (vc->maybe_pending || vc->lr_recheck || ev->lr_sync)
		el2_vgic_flush_slow(ev);
}
/* Whether the vCPU has an interrupt it would take (WFI wake-up). */
bool el2_vgic_has_pending(struct el2_vcpu *ev);
/* Acknowledge and route every pending physical interrupt. */
void el2_irq(struct el2_vcpu *ev);
/* At put: the virtual interface off, the list registers empty, the timer's interrupt done. */
void el2_vgic_put(struct el2_vcpu *ev);

#endif /* ARM64_EL2_GUEST_H */
