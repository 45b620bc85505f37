/*
 * Stage-2 translation for guests, the hardware side of the MMU engine's
 * s2-40 format: VMID allocation, the VTCR_EL2 every VM shares, VTTBR_EL2
 * values, the TLB maintenance the engine asks for, and cache maintenance
 * of guest memory.
 *
 * Geometry: 40-bit IPA (T0SZ 24), 4 KiB granule, walks starting at level 1
 * (SL0 1) on two concatenated level-1 tables (the engine's 2-page root),
 * table walks inner-shareable write-back (so the walker sees the engine's
 * cacheable stores once a DSB has completed them). PS is the CPU's
 * physical address size, capped at the format's 48 bits. Facts checked on
 * QEMU 7.2 (../shared/platform.md): VTCR_EL2 0x80023558 with PS 40 bits.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mmu.h>
#include <hv/mmu/stage2.h>

#include <arm64/boot.h>
#include <arm64/el2.h>
#include <arm64/el2_guest.h>

#define IPA_BITS        S2_IPA_BITS_40
#define T0SZ            (64 - IPA_BITS)
#define VMIDS           256 /* VMs at once; 8-bit VMIDs always fit, VMID 0 is never used */
#define TLBI_BY_IPA_MAX 64  /* pages flushed one by one; beyond, the whole VMID goes */
#define VMID_FIELD_MASK (~0ull << VTTBR_VMID_SHIFT)

static u64 vtcr;
static unsigned vmid_bits;
static u64 vmid_used[VMIDS / 64];

_Static_assert(T0SZ == 24, "40-bit IPA: T0SZ 24 (VTCR_EL2 0x80023558 on QEMU 7.2)");

int stage2_init(void)
{
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1), mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	unsigned parange = id_field(mmfr0, ID_MMFR0_PARANGE_SHIFT);
	unsigned tg4_2 = id_field(mmfr0, ID_MMFR0_TGRAN4_2_SHIFT);
	unsigned tg4 = id_field(mmfr0, ID_MMFR0_TGRAN4_SHIFT);

	/* A 40-bit IPA needs at least a 40-bit PA: stage 2 cannot take a larger input. */
	if (parange < VTCR_EL2_PS_40) {
		log_err("stage2: the CPU has a PARange of %u (under 40 bits); guests need 40",
			parange);
		return HV_ENOSYS;
	}
	/* TGran4_2 == 1: no 4 KiB granule at stage 2; 0: as at stage 1. */
	if (tg4_2 == 1 || (tg4_2 == 0 && tg4 == ID_MMFR0_TGRAN4_NONE)) {
		log_err("stage2: the CPU has no 4 KiB stage-2 granule");
		return HV_ENOSYS;
	}
	vmid_bits = id_field(mmfr1, ID_MMFR1_VMIDBITS_SHIFT) == 2 ? VMID_BITS_16 : VMID_BITS_8;
	vtcr = VTCR_EL2_RES1 | (u64)T0SZ << VTCR_EL2_T0SZ_SHIFT |
	       VTCR_EL2_SL0_L1 << VTCR_EL2_SL0_SHIFT | VTCR_EL2_RGN_WBWA << VTCR_EL2_IRGN0_SHIFT |
	       VTCR_EL2_RGN_WBWA << VTCR_EL2_ORGN0_SHIFT | VTCR_EL2_SH_INNER << VTCR_EL2_SH0_SHIFT |
	       VTCR_EL2_TG0_4K << VTCR_EL2_TG0_SHIFT |
	       (u64)MIN(parange, (unsigned)VTCR_EL2_PS_48) << VTCR_EL2_PS_SHIFT;
	if (vmid_bits == VMID_BITS_16)
		vtcr |= VTCR_EL2_VS;
	log_info("stage2: VTCR_EL2 %#llx (IPA %u bits, 4K granule, start level 1), %u-bit VMIDs",
		 (unsigned long long)vtcr, IPA_BITS, vmid_bits);
	return 0;
}

u64 stage2_vtcr(void)
{
	return vtcr;
}

int stage2_vmid_alloc(u32 *vmid)
{
	for (u32 v = 1; v < VMIDS; v++) {
		if (!(vmid_used[v / 64] & BIT(v % 64))) {
			vmid_used[v / 64] |= BIT(v % 64);
			*vmid = v;
			return 0;
		}
	}
	return HV_ENOMEM;
}

void stage2_vmid_free(u32 vmid)
{
	CHECK(vmid && vmid < VMIDS && (vmid_used[vmid / 64] & BIT(vmid % 64)));
	vmid_used[vmid / 64] &= ~BIT(vmid % 64);
}

u64 stage2_vttbr(u32 vmid, hpa_t root)
{
	CHECK(IS_ALIGNED(hpa_val(root), S2_ROOT_PAGES_40 * PAGE_SIZE));
	return (u64)vmid << VTTBR_VMID_SHIFT | (hpa_val(root) & VTTBR_BADDR_MASK);
}

static void tlbi_vmalls12e1is(void)
{
	__asm__ volatile("tlbi vmalls12e1is" : : : "memory");
}

static void tlbi_ipas2e1is(u64 gfn)
{
	/* The operand is IPA[47:12] in bits 35:0, i.e. the frame number. */
	__asm__ volatile("tlbi ipas2e1is, %0" : : "r"(gfn) : "memory");
}

static void tlbi_vmalle1is(void)
{
	__asm__ volatile("tlbi vmalle1is" : : : "memory");
}

/*
 * The engine's TLB seam (hv/mmu/tdp.h). TLBI by VMID acts on the VMID in
 * VTTBR_EL2, so another VM's is loaded for the duration. By IPA it only
 * drops stage-2-only entries: entries combining the guest's stage 1 with
 * the old stage 2 go with the VMALLE1IS that follows (Arm ARM D8, "TLB
 * maintenance requirements ... stage 2 translations").
 */
static void flush(u32 vmid, hpa_t root, gfn_t start, u64 count)
{
	u64 want = stage2_vttbr(vmid, root);
	u64 cur = read_sysreg(vttbr_el2);
	bool switched = (cur & VMID_FIELD_MASK) != (want & VMID_FIELD_MASK);

	if (switched) {
		write_sysreg(vttbr_el2, want);
		isb();
	}
	/* The table change must be visible to the walkers before their copies are dropped. */
	__asm__ volatile("dsb ishst" : : : "memory");
	if (count == 0 || count > TLBI_BY_IPA_MAX) {
		tlbi_vmalls12e1is();
	} else {
		for (u64 i = 0; i < count; i++)
			tlbi_ipas2e1is(start + i);
		dsb_ish();
		tlbi_vmalle1is();
	}
	dsb_ish();
	isb();
	if (switched) {
		write_sysreg(vttbr_el2, cur);
		isb();
	}
}

void stage2_tlb_flush(void *arg, const struct mmu_root *root, gfn_t start, u64 count)
{
	struct el2_vm *evm = el2_vm_of(arg);

	/* NULL: the VM is being torn down; el2_vm_destroy() flushed its whole VMID first. */
	if (!evm)
		return;
	/* No root: a protected VM's table module changed the table the hardware walks. */
	if (!root)
		stage2_flush_vmid(evm->vmid);
	else
		flush(evm->vmid, mmu_root_hpa(root), start, count);
}

void stage2_flush_vmid(u32 vmid)
{
	/* Any 8 KiB-aligned base does: TLBI by VMID ignores it. */
	flush(vmid, hpa(0), 0, 0);
}

void stage2_clean_inval_poc(hpa_t hpa, u64 size)
{
	if (size)
		arm64_dcache_clean_inval_poc(hpa_val(hpa), hpa_val(hpa) + size);
}

void stage2_clean_guest_ram(struct vm *vm)
{
	for (u32 i = 0; i < vm->ram_count; i++)
		stage2_clean_inval_poc(vm->ram[i].hpa, vm->ram[i].size);
	/* The frames may have held another guest's code: no stale instruction may remain. */
	__asm__ volatile("ic ialluis" : : : "memory");
	dsb_ish();
	isb();
}
