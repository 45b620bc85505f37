/*
 * AMD NPT as a pt_format (bit layout in hv/mmu/npt.h).
 *
 * P is both "present" and "readable", so every leaf is readable. U/S is set
 * in every table entry and in every leaf we are asked to make user-accessible
 * (the TDP policy always asks): the nested walk checks it as a user access.
 * The memory type is a host-PAT index spread over PWT, PCD and the PAT bit,
 * whose position depends on the level.
 */
#include <hv/check.h>
#include <hv/mmu/format.h>
#include <hv/mmu/npt.h>

static const u8 npt_pat_index[PT_MT_COUNT] = {
	[PT_MT_WB] = NPT_PAT_IDX_WB, [PT_MT_WT] = NPT_PAT_IDX_WT,     [PT_MT_WC] = NPT_PAT_IDX_WC,
	[PT_MT_UC] = NPT_PAT_IDX_UC, [PT_MT_DEVICE] = NPT_PAT_IDX_UC,
};

static pte_t npt_pat_bit(int level)
{
	return level > 1 ? NPT_PAT_HUGE : NPT_PAT_4K;
}

static pte_t npt_encode(const struct pt_format *f, struct pt_attr a, int level)
{
	pte_t e = NPT_P | NPT_A;
	u8 idx;

	(void)f;
	CHECK(a.memtype < PT_MT_COUNT);
	idx = npt_pat_index[a.memtype];
	if (a.perm & PT_W)
		e |= NPT_RW | NPT_D;
	if (a.perm & PT_U)
		e |= NPT_US;
	if (!(a.perm & PT_X))
		e |= NPT_NX;
	if (idx & NPT_PAT_IDX_PWT)
		e |= NPT_PWT;
	if (idx & NPT_PAT_IDX_PCD)
		e |= NPT_PCD;
	if (idx & NPT_PAT_IDX_PAT)
		e |= npt_pat_bit(level);
	if (level > 1)
		e |= NPT_PS;
	return e;
}

static struct pt_attr npt_decode(const struct pt_format *f, pte_t e, int level)
{
	struct pt_attr a = { .perm = PT_R, .memtype = PT_MT_UC, .flags = 0 };
	unsigned idx = 0;

	(void)f;
	if (e & NPT_RW)
		a.perm |= PT_W;
	if (e & NPT_US)
		a.perm |= PT_U;
	if (!(e & NPT_NX))
		a.perm |= PT_X;
	if (e & NPT_PWT)
		idx |= NPT_PAT_IDX_PWT;
	if (e & NPT_PCD)
		idx |= NPT_PAT_IDX_PCD;
	if (e & npt_pat_bit(level))
		idx |= NPT_PAT_IDX_PAT;
	switch ((NPT_HOST_PAT >> (8 * idx)) & 0xff) {
	case NPT_PAT_TYPE_WB:
		a.memtype = PT_MT_WB;
		break;
	case NPT_PAT_TYPE_WT:
	case NPT_PAT_TYPE_WP:
		a.memtype = PT_MT_WT;
		break;
	case NPT_PAT_TYPE_WC:
		a.memtype = PT_MT_WC;
		break;
	default:
		a.memtype = PT_MT_UC;
		break;
	}
	return a;
}

#define NPT_FORMAT(lv)                                                                             \
	{                                                                                          \
		.name = "npt" #lv, .levels = lv, .root_pages = 1,                                  \
		.leaf_levels = BIT(1) | BIT(2) | BIT(3), .addr_bits = 12 + 9 * lv, .pa_bits = 52,  \
		.pfn_shift = PAGE_SHIFT, .perm_mask = PT_R | PT_W | PT_X | PT_U,                   \
		.perm_implicit = PT_R,                                                             \
		.memtypes = BIT(PT_MT_WB) | BIT(PT_MT_WT) | BIT(PT_MT_WC) | BIT(PT_MT_UC),         \
		.attr_flags = 0, .pfn_mask = NPT_ADDR_MASK, .present_mask = NPT_P,                 \
		.huge_mask = NPT_PS, .huge_val = NPT_PS,                                           \
		.table_bits = NPT_P | NPT_RW | NPT_US | NPT_A, .read_mask = NPT_P,                 \
		.write_mask = NPT_RW, .exec_mask = 0, .nx_mask = NPT_NX, .user_mask = NPT_US,      \
		.attr_mask = NPT_PWT | NPT_PCD | NPT_PAT_4K | NPT_PAT_HUGE,                        \
		.frozen = NPT_SW_FROZEN, .encode = npt_encode, .decode = npt_decode,               \
	}

const struct pt_format pt_format_npt4 = NPT_FORMAT(4);
const struct pt_format pt_format_npt5 = NPT_FORMAT(5);
