/*
 * The VMSAv8-64 stage-1 translation table format of the EL2 regime with a
 * 4 KiB granule (Arm ARM D8.3 "Translation table descriptor formats"), as
 * the hypervisor's own page tables use it, and the EL2 page-table builder.
 *
 * With E2H == 0 the EL2 regime has one privilege level and one VA range
 * (TTBR0_EL2): AP[1] is RES1, nG and PXN are RES0, and bit 54 is XN.
 */
#ifndef ARM64_PGTABLE_H
#define ARM64_PGTABLE_H

#include <arm64/sysreg.h>

#define PT_GRANULE_SHIFT 12
#define PT_LEVEL_BITS    9 /* 512 eight-byte entries per 4 KiB table */
#define PT_ENTRIES       (1u << PT_LEVEL_BITS)
#define PT_LAST_LEVEL    3
/* Bits of input address resolved from the start of level l to the page offset. */
#define PT_LEVEL_SHIFT(l) (PT_GRANULE_SHIFT + PT_LEVEL_BITS * (PT_LAST_LEVEL - (l)))

/* Descriptor type, bits [1:0] (D8.3.1). */
#define PTE_VALID      BIT64(0)
#define PTE_TYPE_BLOCK U64_C(0x1) /* level 1 or 2 block */
#define PTE_TYPE_TABLE U64_C(0x3) /* next-level table, levels 0-2 */
#define PTE_TYPE_PAGE  U64_C(0x3) /* level 3 page */
#define PTE_TYPE_MASK  U64_C(0x3)

/* Lower attributes of block and page descriptors (D8.3.2). */
#define PTE_ATTRINDX_SHIFT 2
#define PTE_AP_RES1        BIT64(6) /* AP[1]: RES1 in the EL2 regime */
#define PTE_AP_RO          BIT64(7) /* AP[2]: read-only */
#define PTE_SH_INNER       (U64_C(3) << 8)
#define PTE_AF             BIT64(10)
/* Upper attributes. */
#define PTE_XN BIT64(54)

/* Output address bits [47:12] of a table, block or page descriptor. */
#define PTE_ADDR_MASK (((U64_C(1) << 48) - 1) & ~((U64_C(1) << PT_GRANULE_SHIFT) - 1))

/* Levels that may hold a block with the 4 KiB granule (no FEAT_LPA2): 1 and 2. */
#define PT_MIN_BLOCK_LEVEL 1

/* The largest input-address size we configure: 48 bits, four levels. */
#define PT_MAX_VA_BITS 48

#ifndef __ASSEMBLER__
#include <hv/types.h>

_Static_assert(PT_LEVEL_SHIFT(3) == 12 && PT_LEVEL_SHIFT(2) == 21 && PT_LEVEL_SHIFT(1) == 30 &&
		   PT_LEVEL_SHIFT(0) == 39,
	       "4 KiB granule: levels resolve bits 47:39, 38:30, 29:21, 20:12");
_Static_assert((PTE_ADDR_MASK & (PTE_XN | PTE_AF | PTE_AP_RO | PTE_TYPE_MASK)) == 0,
	       "output address field overlaps attribute bits");

/* What a mapping allows, in the hypervisor's terms; W^X is a property of the set. */
enum pt_prot {
	PT_PROT_TEXT,   /* read + execute */
	PT_PROT_RODATA, /* read only */
	PT_PROT_DATA,   /* read + write, never execute */
	PT_PROT_DEVICE, /* MMIO: Device-nGnRE, read + write, never execute */
};

/*
 * The pages a table builder may use: alloc returns a zeroed, 4 KiB-aligned
 * page that the walker can read at its physical address, or NULL.
 */
struct pt_pages {
	void *(*alloc)(void *ctx);
	void *ctx;
};

/* One EL2 stage-1 translation (identity map: VA == PA). */
struct pt_el2 {
	u64 *root;
	unsigned va_bits;     /* input-address size: TCR_EL2.T0SZ = 64 - va_bits */
	unsigned start_level; /* level of the root table */
	struct pt_pages pages;
	u32 table_count; /* tables in use, root included */
};

/*
 * Prepare an empty translation of va_bits (32..48) bits using pages for every
 * table. Returns 0, or HV_ENOMEM if no root table could be allocated.
 */
int pt_el2_init(struct pt_el2 *pt, unsigned va_bits, struct pt_pages pages);

/*
 * Identity-map [pa, pa + size) with prot, using 1 GiB and 2 MiB blocks where
 * alignment allows and 4 KiB pages elsewhere. The range must be page-aligned,
 * below 2^va_bits and not overlap anything mapped before: mappings are built
 * while the tables are not live, so there is no break-before-make here.
 * Returns 0, HV_EALIGN, HV_ERANGE, HV_EOVERLAP or HV_ENOMEM (tables may then
 * hold part of the range).
 */
int pt_el2_map(struct pt_el2 *pt, u64 pa, u64 size, enum pt_prot prot);

/* The descriptor that maps va at its leaf level, or 0 if unmapped (for tests and dumps). */
u64 pt_el2_lookup(const struct pt_el2 *pt, u64 va, unsigned *level);

/* The TCR_EL2 value for this translation, with PS from ID_AA64MMFR0_EL1.PARange. */
u64 pt_el2_tcr(const struct pt_el2 *pt, unsigned parange);
#endif

#endif /* ARM64_PGTABLE_H */
