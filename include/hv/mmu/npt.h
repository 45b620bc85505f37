/*
 * AMD nested page tables use the x86-64 long-mode paging entry: AMD64 APM
 * Vol. 2, 5.3.3 "4-Kbyte Page Translation" / 5.3.4 "2-Mbyte Page Translation"
 * / 5.3.5 "1-Gbyte Page Translation" and 5.4 "Page-Translation-Table Entry
 * Fields"; nested paging in 15.25.
 *
 * The nested walk treats every guest access as a user access, so U/S must be
 * set at every level or the guest faults. P doubles as "readable". NX needs
 * EFER.NXE in the host state the nested walk uses (the backend's concern).
 * PS marks a 1 GiB or 2 MiB leaf; in a 4 KiB PTE bit 7 is the PAT bit, which
 * sits at bit 12 in a huge leaf. The memory type of a nested leaf is the host
 * PAT entry selected by PAT:PCD:PWT, so the x86 backend must load IA32_PAT
 * with NPT_HOST_PAT below. All bits of a not-present entry are available to
 * software; bits 58:52 of a present one too.
 */
#ifndef HV_MMU_NPT_H
#define HV_MMU_NPT_H

#include <hv/types.h>

#define NPT_P         BIT(0)
#define NPT_RW        BIT(1)
#define NPT_US        BIT(2)
#define NPT_PWT       BIT(3)
#define NPT_PCD       BIT(4)
#define NPT_A         BIT(5)
#define NPT_D         BIT(6) /* leaves only */
#define NPT_PS        BIT(7) /* PDPE/PDE: 1 GiB / 2 MiB leaf */
#define NPT_PAT_4K    BIT(7) /* PTE: PAT index bit 2 */
#define NPT_PAT_HUGE  BIT(12)
#define NPT_ADDR_MASK GENMASK(51, 12)
#define NPT_SW_FROZEN BIT(58) /* available to software */
#define NPT_NX        BIT(63)

/*
 * The host PAT the nested leaves index (IA32_PAT MSR, APM 7.8.2): one byte
 * per entry PA0..PA7. We use PA0 WB, PA1 WT, PA3 UC and PA4 WC; the rest keep
 * their power-on meaning except PA5 (WP, unused).
 */
#define NPT_PAT_TYPE_UC       0x00
#define NPT_PAT_TYPE_WC       0x01
#define NPT_PAT_TYPE_WT       0x04
#define NPT_PAT_TYPE_WP       0x05
#define NPT_PAT_TYPE_WB       0x06
#define NPT_PAT_TYPE_UC_MINUS 0x07
#define NPT_PAT_ENTRY(i, t)   ((u64)(t) << (8 * (i)))
#define NPT_HOST_PAT                                                                               \
	(NPT_PAT_ENTRY(0, NPT_PAT_TYPE_WB) | NPT_PAT_ENTRY(1, NPT_PAT_TYPE_WT) |                   \
	 NPT_PAT_ENTRY(2, NPT_PAT_TYPE_UC_MINUS) | NPT_PAT_ENTRY(3, NPT_PAT_TYPE_UC) |             \
	 NPT_PAT_ENTRY(4, NPT_PAT_TYPE_WC) | NPT_PAT_ENTRY(5, NPT_PAT_TYPE_WP) |                   \
	 NPT_PAT_ENTRY(6, NPT_PAT_TYPE_UC_MINUS) | NPT_PAT_ENTRY(7, NPT_PAT_TYPE_UC))

/* PAT indexes (PAT:PCD:PWT) for the memory types we use. */
#define NPT_PAT_IDX_WB  0
#define NPT_PAT_IDX_WT  1
#define NPT_PAT_IDX_UC  3
#define NPT_PAT_IDX_WC  4
#define NPT_PAT_IDX_PWT BIT(0)
#define NPT_PAT_IDX_PCD BIT(1)
#define NPT_PAT_IDX_PAT BIT(2)

_Static_assert(NPT_PS == NPT_PAT_4K, "PS and the 4 KiB PAT bit share bit 7");
_Static_assert((NPT_ADDR_MASK & (NPT_SW_FROZEN | NPT_NX | GENMASK(11, 0))) == 0,
	       "NPT address field overlaps flag bits");
_Static_assert((NPT_PAT_HUGE & GENMASK(20, 13)) == 0 && (NPT_PAT_HUGE & NPT_ADDR_MASK),
	       "the huge-leaf PAT bit lies in address bits a 2 MiB frame leaves zero");
_Static_assert((NPT_SW_FROZEN & NPT_P) == 0, "the frozen marker must be non-present");
_Static_assert(((NPT_HOST_PAT >> (8 * NPT_PAT_IDX_WB)) & 0xff) == NPT_PAT_TYPE_WB &&
		   ((NPT_HOST_PAT >> (8 * NPT_PAT_IDX_WT)) & 0xff) == NPT_PAT_TYPE_WT &&
		   ((NPT_HOST_PAT >> (8 * NPT_PAT_IDX_UC)) & 0xff) == NPT_PAT_TYPE_UC &&
		   ((NPT_HOST_PAT >> (8 * NPT_PAT_IDX_WC)) & 0xff) == NPT_PAT_TYPE_WC,
	       "PAT indexes agree with the host PAT value");

/*
 * Checking an L1 hypervisor's nested page tables (the nested MMU's guest
 * walker): APM Vol. 2, 5.3.3 (entry formats), 5.3.1 reserved bits, 8.4.2
 * "#PF error code", 15.25.6 "Nested versus Guest Page Faults, Fault
 * Ordering" (EXITINFO1/2 of #VMEXIT(NPF)).
 *
 * Reserved (must be 0) in a present entry, besides bits 51:MAXPHYADDR and
 * bit 63 without EFER.NXE: 8:7 in a PML5E/PML4E (no leaf up there); 29:13 in
 * a 1 GiB PDPE; 20:13 in a 2 MiB PDE. The nested walk is a user access, so
 * U/S clear at any level is a protection fault.
 */
#define NPT_RSVD_UPPER GENMASK(8, 7)
#define NPT_RSVD_1G    GENMASK(29, 13)
#define NPT_RSVD_2M    GENMASK(20, 13)
#define NPT_HIGH_BITS  GENMASK(51, 12) /* minus the MAXPHYADDR-wide address */

/* #NPF error code (EXITINFO1). */
#define NPF_P           BIT(0) /* 1: protection violation; 0: not present */
#define NPF_RW          BIT(1)
#define NPF_US          BIT(2)
#define NPF_RSV         BIT(3)
#define NPF_ID          BIT(4)
#define NPF_GUEST_FINAL BIT(32) /* during the final guest-physical translation */
#define NPF_GUEST_PAGE  BIT(33) /* during the guest's page-table walk */

/* nCR3 holds the root's address in bits 51:12 (PWT/PCD ignored for the walk). */
#define NPT_NCR3_ADDR_MASK GENMASK(51, 12)

_Static_assert((NPT_RSVD_UPPER & NPT_PS) && !(NPT_RSVD_1G & NPT_PAT_HUGE),
	       "PS is reserved up top; the huge PAT bit is not reserved");

#endif /* HV_MMU_NPT_H */
