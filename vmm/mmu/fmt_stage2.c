/*
 * arm64 stage-2, 4 KiB granule, 40-bit IPA (bit layout in hv/mmu/stage2.h).
 *
 * The root is Arm level 1 made of two concatenated tables, so a root is two
 * pages (8 KiB, 1024 entries); the engine's level 3. Every leaf carries AF
 * (we do not use hardware access-flag management) and, for normal memory,
 * inner shareability. Without FEAT_S2FWB, stage 2 can only make the guest's
 * memory type stronger, so PT_AF_FORCE_MT is not expressible.
 */
#include <hv/check.h>
#include <hv/mmu/format.h>
#include <hv/mmu/stage2.h>

static const u8 s2_memattr[PT_MT_COUNT] = {
	[PT_MT_WB] = S2_MEMATTR_NORMAL_WB,        [PT_MT_WT] = S2_MEMATTR_NORMAL_WT,
	[PT_MT_WC] = S2_MEMATTR_NORMAL_NC,        [PT_MT_UC] = S2_MEMATTR_DEVICE_nGnRnE,
	[PT_MT_DEVICE] = S2_MEMATTR_DEVICE_nGnRE,
};

static pte_t s2_encode(const struct pt_format *f, struct pt_attr a, int level)
{
	pte_t e = S2_VALID | S2_AF;

	(void)f;
	CHECK(a.memtype < PT_MT_COUNT);
	if (level == 1)
		e |= S2_TABLE_OR_PAGE; /* a page descriptor; a block leaves bit 1 clear */
	if (a.perm & PT_R)
		e |= S2_S2AP_R;
	if (a.perm & PT_W)
		e |= S2_S2AP_W;
	if (!(a.perm & PT_X))
		e |= S2_XN;
	e |= (pte_t)s2_memattr[a.memtype] << S2_MEMATTR_SHIFT;
	/* Shareability is ignored for Device memory and wanted inner for Normal. */
	if (a.memtype != PT_MT_UC && a.memtype != PT_MT_DEVICE)
		e |= S2_SH_INNER;
	return e;
}

static struct pt_attr s2_decode(const struct pt_format *f, pte_t e, int level)
{
	struct pt_attr a = { .perm = PT_U, .memtype = PT_MT_UC, .flags = 0 };

	(void)f;
	(void)level;
	if (e & S2_S2AP_R)
		a.perm |= PT_R;
	if (e & S2_S2AP_W)
		a.perm |= PT_W;
	if (!(e & S2_XN))
		a.perm |= PT_X;
	switch ((e & S2_MEMATTR_MASK) >> S2_MEMATTR_SHIFT) {
	case S2_MEMATTR_NORMAL_WB:
		a.memtype = PT_MT_WB;
		break;
	case S2_MEMATTR_NORMAL_WT:
		a.memtype = PT_MT_WT;
		break;
	case S2_MEMATTR_NORMAL_NC:
		a.memtype = PT_MT_WC;
		break;
	case S2_MEMATTR_DEVICE_nGnRE:
		a.memtype = PT_MT_DEVICE;
		break;
	default:
		a.memtype = PT_MT_UC;
		break;
	}
	return a;
}

const struct pt_format pt_format_s2_40 = {
	.name = "s2-40",
	.levels = 3,
	.root_pages = S2_ROOT_PAGES_40,
	.leaf_levels = BIT(1) | BIT(2) | BIT(3),
	.addr_bits = S2_IPA_BITS_40,
	.pa_bits = S2_PA_BITS,
	.pfn_shift = PAGE_SHIFT,
	.perm_mask = PT_R | PT_W | PT_X,
	.perm_implicit = PT_U,
	.memtypes =
	    BIT(PT_MT_WB) | BIT(PT_MT_WT) | BIT(PT_MT_WC) | BIT(PT_MT_UC) | BIT(PT_MT_DEVICE),
	.attr_flags = 0,
	.break_before_make = true,
	.pfn_mask = S2_ADDR_MASK,
	.present_mask = S2_VALID,
	.huge_mask = S2_TABLE_OR_PAGE,
	.huge_val = 0,
	.table_bits = S2_VALID | S2_TABLE_OR_PAGE,
	.read_mask = S2_S2AP_R,
	.write_mask = S2_S2AP_W,
	.exec_mask = 0,
	.nx_mask = S2_XN,
	.user_mask = 0,
	.attr_mask = S2_MEMATTR_MASK | S2_SH_MASK,
	.frozen = S2_SW_FROZEN,
	.encode = s2_encode,
	.decode = s2_decode,
};
