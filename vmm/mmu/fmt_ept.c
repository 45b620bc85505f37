/*
 * Intel EPT as a pt_format (bit layout in hv/mmu/ept.h).
 *
 * Leaves pre-set accessed (and dirty when writable) so that, with EPT A/D
 * enabled, the CPU never has to write an entry we own; without A/D the bits
 * are ignored. x86 has no "device" type distinct from UC, so PT_MT_DEVICE is
 * encoded as UC and decodes as UC.
 */
#include <hv/check.h>
#include <hv/mmu/ept.h>
#include <hv/mmu/format.h>

static const u8 ept_mt_code[PT_MT_COUNT] = {
	[PT_MT_WB] = EPT_MT_WB, [PT_MT_WT] = EPT_MT_WT,     [PT_MT_WC] = EPT_MT_WC,
	[PT_MT_UC] = EPT_MT_UC, [PT_MT_DEVICE] = EPT_MT_UC,
};

static pte_t ept_encode(const struct pt_format *f, struct pt_attr a, int level)
{
	pte_t e = EPT_ACCESSED;

	(void)f;
	/* Write without read is an EPT misconfiguration (SDM 29.3.3.1). */
	CHECK(!(a.perm & PT_W) || (a.perm & PT_R));
	CHECK(a.memtype < PT_MT_COUNT);
	if (a.perm & PT_R)
		e |= EPT_READ;
	if (a.perm & PT_W)
		e |= EPT_WRITE | EPT_DIRTY;
	if (a.perm & PT_X)
		e |= EPT_EXEC;
	e |= (pte_t)ept_mt_code[a.memtype] << EPT_MT_SHIFT;
	if (a.flags & PT_AF_FORCE_MT)
		e |= EPT_IPAT;
	if (level > 1)
		e |= EPT_LEAF;
	return e;
}

static struct pt_attr ept_decode(const struct pt_format *f, pte_t e, int level)
{
	struct pt_attr a = { .perm = PT_U, .memtype = PT_MT_UC, .flags = 0 };

	(void)f;
	(void)level;
	if (e & EPT_READ)
		a.perm |= PT_R;
	if (e & EPT_WRITE)
		a.perm |= PT_W;
	if (e & EPT_EXEC)
		a.perm |= PT_X;
	switch ((e & EPT_MT_MASK) >> EPT_MT_SHIFT) {
	case EPT_MT_WB:
		a.memtype = PT_MT_WB;
		break;
	case EPT_MT_WT:
	case EPT_MT_WP: /* never written by us; the nearest generic type */
		a.memtype = PT_MT_WT;
		break;
	case EPT_MT_WC:
		a.memtype = PT_MT_WC;
		break;
	default:
		a.memtype = PT_MT_UC;
		break;
	}
	if (e & EPT_IPAT)
		a.flags |= PT_AF_FORCE_MT;
	return a;
}

#define EPT_FORMAT(lv)                                                                             \
	{                                                                                          \
		.name = "ept" #lv, .levels = lv, .root_pages = 1,                                  \
		.leaf_levels = BIT(1) | BIT(2) | BIT(3), .addr_bits = 12 + 9 * lv, .pa_bits = 52,  \
		.pfn_shift = PAGE_SHIFT, .perm_mask = PT_R | PT_W | PT_X, .perm_implicit = PT_U,   \
		.memtypes = BIT(PT_MT_WB) | BIT(PT_MT_WT) | BIT(PT_MT_WC) | BIT(PT_MT_UC),         \
		.attr_flags = PT_AF_FORCE_MT, .pfn_mask = EPT_ADDR_MASK, .present_mask = EPT_RWX,  \
		.huge_mask = EPT_LEAF, .huge_val = EPT_LEAF, .table_bits = EPT_RWX | EPT_ACCESSED, \
		.read_mask = EPT_READ, .write_mask = EPT_WRITE, .exec_mask = EPT_EXEC,             \
		.nx_mask = 0, .user_mask = 0, .attr_mask = EPT_MT_MASK | EPT_IPAT,                 \
		.frozen = EPT_SW_FROZEN, .encode = ept_encode, .decode = ept_decode,               \
	}

const struct pt_format pt_format_ept4 = EPT_FORMAT(4);
const struct pt_format pt_format_ept5 = EPT_FORMAT(5);
