/*
 * Format-independent helpers: names for dumps and the self-check every
 * format description must pass before the engine uses it.
 */
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mmu/format.h>

static const char *const memtype_names[PT_MT_COUNT] = {
	[PT_MT_WB] = "WB", [PT_MT_WT] = "WT",      [PT_MT_WC] = "WC",
	[PT_MT_UC] = "UC", [PT_MT_DEVICE] = "DEV",
};

const char *pt_memtype_name(enum pt_memtype mt)
{
	return (unsigned)mt < PT_MT_COUNT ? memtype_names[mt] : "??";
}

const char *pt_perm_str(u8 perm, char buf[5])
{
	buf[0] = (perm & PT_R) ? 'r' : '-';
	buf[1] = (perm & PT_W) ? 'w' : '-';
	buf[2] = (perm & PT_X) ? 'x' : '-';
	buf[3] = (perm & PT_U) ? 'u' : '-';
	buf[4] = '\0';
	return buf;
}

static int bad(const struct pt_format *f, const char *what)
{
	log_err("mmu: format %s is inconsistent: %s", f->name, what);
	return HV_EINVAL;
}

int pt_format_validate(const struct pt_format *f)
{
	unsigned root_bits = 0;
	u64 pfn_width;

	if (f->levels < 2 || f->levels > PT_MAX_LEVELS)
		return bad(f, "levels out of range");
	if (!f->root_pages || f->root_pages > PT_MAX_ROOT_PAGES ||
	    (f->root_pages & (f->root_pages - 1)))
		return bad(f, "root_pages is not a power of two within PT_MAX_ROOT_PAGES");
	while ((1u << root_bits) < f->root_pages)
		root_bits++;
	if (f->addr_bits != PAGE_SHIFT + PT_LEVEL_BITS * f->levels + root_bits)
		return bad(f, "addr_bits does not match levels and root_pages");
	if (!(f->leaf_levels & BIT(1)) || (f->leaf_levels & ~GENMASK(f->levels, 1)))
		return bad(f, "leaf levels must include 1 and stay within the levels");
	if (!f->present_mask || (f->present_mask & f->pfn_mask))
		return bad(f, "present bits missing or inside the address field");
	if ((f->frozen & f->present_mask) || (f->frozen & f->pfn_mask) || !f->frozen)
		return bad(f, "frozen value is present, empty or inside the address field");
	pfn_width = (f->pfn_mask >> f->pfn_shift) + 1;
	if (f->pa_bits < PAGE_SHIFT || f->pa_bits - PAGE_SHIFT > 63 ||
	    pfn_width < (1ull << (f->pa_bits - PAGE_SHIFT)))
		return bad(f, "address field narrower than pa_bits");
	if (!pte_is_present(f, f->table_bits) || (f->table_bits & f->pfn_mask) ||
	    (f->table_bits & f->huge_mask) == f->huge_val)
		return bad(f, "table entries are not present, overlap the address or look huge");
	if (!f->write_mask || !f->read_mask || (!f->exec_mask == !f->nx_mask))
		return bad(f, "read/write masks missing, or not exactly one of exec/nx");
	for (int level = 1; level <= f->levels; level++) {
		/* Address bits a frame aligned for this level may use. */
		pte_t frame_bits = f->pfn_mask & ~(pte_pfn_bits(f, pt_level_pages(level)) - 1);

		if (!pt_level_can_be_leaf(f, level))
			continue;
		for (unsigned mt = 0; mt < PT_MT_COUNT; mt++) {
			for (u8 perm = 0; perm <= (PT_R | PT_W | PT_X | PT_U); perm++) {
				struct pt_attr a = { .perm = perm | PT_R, .memtype = (u8)mt };
				pte_t e = f->encode(f, a, level);

				if (!pte_is_present(f, e) || pte_is_frozen(f, e))
					return bad(f, "a leaf is not present");
				if (e & frame_bits)
					return bad(f, "a leaf template sets frame-number bits");
				if (level > 1 && (e & f->huge_mask) != f->huge_val)
					return bad(f, "a huge leaf lacks the leaf marker");
				if (!pte_allows(f, e, a.perm & (PT_R | PT_W | PT_X)))
					return bad(f,
						   "a leaf does not allow what it was built for");
			}
		}
	}
	return 0;
}

int mmu_formats_init(void)
{
	static const struct pt_format *const builtin[] = {
		&pt_format_ept4, &pt_format_ept5,  &pt_format_npt4,
		&pt_format_npt5, &pt_format_s2_40, &pt_format_fake,
	};
	int bad_count = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(builtin); i++)
		if (pt_format_validate(builtin[i]))
			bad_count++;
	if (bad_count)
		return HV_EINVAL;
	log_info("mmu: page-table formats ept4 ept5 npt4 npt5 s2-40 fake checked");
	return 0;
}
