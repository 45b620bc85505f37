/*
 * The builder for the hypervisor's own EL2 stage-1 identity map (format in
 * arm64/pgtable.h). It runs twice: once with the MMU off, on pages from a
 * static pool in the image (the boot map, arch/arm64/boot_map.c), and once
 * with the MMU on, on frames (the final map, arch/arm64/paging.c). Neither
 * set of tables is live while it is written, so entries are simply stored;
 * the code that loads TTBR0_EL2 does the barriers and TLB maintenance.
 *
 * Because it runs with the MMU off it uses no atomics, never logs and makes
 * only aligned accesses.
 */
#include <hv/errno.h>
#include <hv/types.h>

#include <arm64/pgtable.h>

static u64 prot_attrs(enum pt_prot prot)
{
	const u64 normal =
	    ((u64)MAIR_IDX_NORMAL << PTE_ATTRINDX_SHIFT) | PTE_SH_INNER | PTE_AF | PTE_AP_RES1;

	switch (prot) {
	case PT_PROT_TEXT:
		return normal | PTE_AP_RO;
	case PT_PROT_RODATA:
		return normal | PTE_AP_RO | PTE_XN;
	case PT_PROT_DATA:
		return normal | PTE_XN;
	case PT_PROT_DEVICE:
		/* Shareability is ignored for Device memory: it is always outer shareable. */
		return ((u64)MAIR_IDX_DEVICE_nGnRE << PTE_ATTRINDX_SHIFT) | PTE_AF | PTE_AP_RES1 |
		       PTE_XN;
	}
	return 0;
}

static unsigned level_index(u64 va, unsigned level)
{
	return (unsigned)(va >> PT_LEVEL_SHIFT(level)) & (PT_ENTRIES - 1);
}

static u64 *table_of(u64 desc)
{
	return (u64 *)(uptr)(desc & PTE_ADDR_MASK);
}

int pt_el2_init(struct pt_el2 *pt, unsigned va_bits, struct pt_pages pages)
{
	unsigned level = 0;

	if (va_bits < 32 || va_bits > PT_MAX_VA_BITS)
		return HV_ERANGE;
	/* The deepest level whose one table still covers va_bits (no concatenation at stage 1). */
	while (level < PT_LAST_LEVEL - 1 && va_bits <= PT_LEVEL_SHIFT(level + 1) + PT_LEVEL_BITS)
		level++;
	pt->va_bits = va_bits;
	pt->start_level = level;
	pt->pages = pages;
	pt->table_count = 0;
	pt->root = pages.alloc(pages.ctx);
	if (!pt->root)
		return HV_ENOMEM;
	pt->table_count = 1;
	return 0;
}

/* Map [va, end) inside the entry range of table at level; va and end page-aligned. */
static int map_level(struct pt_el2 *pt, u64 *table, unsigned level, u64 va, u64 end, u64 attrs)
{
	const u64 step = 1ull << PT_LEVEL_SHIFT(level);

	while (va < end) {
		u64 *entry = &table[level_index(va, level)];
		u64 next = MIN(ALIGN_DOWN(va, step) + step, end);
		bool whole = IS_ALIGNED(va, step) && next - va == step;

		if (level == PT_LAST_LEVEL || (whole && level >= PT_MIN_BLOCK_LEVEL)) {
			if (*entry & PTE_VALID)
				return HV_EOVERLAP;
			*entry =
			    va | attrs | (level == PT_LAST_LEVEL ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
		} else {
			int err;

			if (!(*entry & PTE_VALID)) {
				u64 *sub = pt->pages.alloc(pt->pages.ctx);

				if (!sub)
					return HV_ENOMEM;
				pt->table_count++;
				*entry = (u64)(uptr)sub | PTE_TYPE_TABLE;
			} else if ((*entry & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
				return HV_EOVERLAP; /* a block is there already */
			}
			err = map_level(pt, table_of(*entry), level + 1, va, next, attrs);
			if (err)
				return err;
		}
		va = next;
	}
	return 0;
}

int pt_el2_map(struct pt_el2 *pt, u64 pa, u64 size, enum pt_prot prot)
{
	if (!IS_ALIGNED(pa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return HV_EALIGN;
	if (size == 0)
		return 0;
	if (pa + size < pa || pa + size > (1ull << pt->va_bits))
		return HV_ERANGE;
	return map_level(pt, pt->root, pt->start_level, pa, pa + size, prot_attrs(prot));
}

u64 pt_el2_lookup(const struct pt_el2 *pt, u64 va, unsigned *level)
{
	const u64 *table = pt->root;

	if (va >= (1ull << pt->va_bits))
		return 0;
	for (unsigned l = pt->start_level; l <= PT_LAST_LEVEL; l++) {
		u64 desc = table[level_index(va, l)];

		if (!(desc & PTE_VALID))
			return 0;
		if (l == PT_LAST_LEVEL || (desc & PTE_TYPE_MASK) == PTE_TYPE_BLOCK) {
			if (level)
				*level = l;
			return desc;
		}
		table = table_of(desc);
	}
	return 0;
}

u64 pt_el2_tcr(const struct pt_el2 *pt, unsigned parange)
{
	/* PS encodings above 0b101 (48 bits) need 52-bit descriptors, which we do not use. */
	const unsigned ps_48bit = 5;
	u64 ps = MIN(parange, ps_48bit);

	return TCR_EL2_RES1 | ((u64)(64 - pt->va_bits) << TCR_EL2_T0SZ_SHIFT) |
	       (TCR_EL2_RGN_WBWA << TCR_EL2_IRGN0_SHIFT) |
	       (TCR_EL2_RGN_WBWA << TCR_EL2_ORGN0_SHIFT) | (TCR_EL2_SH_INNER << TCR_EL2_SH0_SHIFT) |
	       (TCR_EL2_TG0_4K << TCR_EL2_TG0_SHIFT) | (ps << TCR_EL2_PS_SHIFT);
}
