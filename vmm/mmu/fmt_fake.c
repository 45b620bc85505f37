/*
 * The test-only format (bit layout in hv/mmu/fake_pt.h). It exists so that
 * the tests can prove the generic engine takes every bit position, every leaf
 * size and the root size from the format: nothing here coincides with a real
 * layout, it has no 2 MiB leaves, and its root is four pages.
 */
#include <hv/check.h>
#include <hv/mmu/fake_pt.h>
#include <hv/mmu/format.h>

static const u8 fake_mt_code[PT_MT_COUNT] = {
	[PT_MT_WB] = FAKE_PT_MT_WB, [PT_MT_WT] = FAKE_PT_MT_WT,         [PT_MT_WC] = FAKE_PT_MT_WC,
	[PT_MT_UC] = FAKE_PT_MT_UC, [PT_MT_DEVICE] = FAKE_PT_MT_DEVICE,
};

static pte_t fake_encode(const struct pt_format *f, struct pt_attr a, int level)
{
	pte_t e = FAKE_PT_PRESENT | FAKE_PT_ACCESSED;

	(void)f;
	CHECK(a.memtype < PT_MT_COUNT);
	if (a.perm & PT_R)
		e |= FAKE_PT_READ;
	if (a.perm & PT_W)
		e |= FAKE_PT_WRITE;
	if (!(a.perm & PT_X))
		e |= FAKE_PT_NX;
	if (a.perm & PT_U)
		e |= FAKE_PT_USER;
	e |= (pte_t)fake_mt_code[a.memtype] << FAKE_PT_MT_SHIFT;
	if (a.flags & PT_AF_FORCE_MT)
		e |= FAKE_PT_FORCE_MT;
	if (level > 1)
		e |= FAKE_PT_HUGE;
	return e;
}

static struct pt_attr fake_decode(const struct pt_format *f, pte_t e, int level)
{
	struct pt_attr a = { .perm = 0, .memtype = PT_MT_UC, .flags = 0 };
	unsigned code = (unsigned)((e & FAKE_PT_MT_MASK) >> FAKE_PT_MT_SHIFT);

	(void)f;
	(void)level;
	if (e & FAKE_PT_READ)
		a.perm |= PT_R;
	if (e & FAKE_PT_WRITE)
		a.perm |= PT_W;
	if (!(e & FAKE_PT_NX))
		a.perm |= PT_X;
	if (e & FAKE_PT_USER)
		a.perm |= PT_U;
	for (unsigned mt = 0; mt < PT_MT_COUNT; mt++)
		if (fake_mt_code[mt] == code)
			a.memtype = (u8)mt;
	if (e & FAKE_PT_FORCE_MT)
		a.flags |= PT_AF_FORCE_MT;
	return a;
}

const struct pt_format pt_format_fake = {
	.name = "fake",
	.levels = FAKE_PT_LEVELS,
	.root_pages = FAKE_PT_ROOT_PAGES,
	.leaf_levels = BIT(1) | BIT(3),
	.addr_bits = FAKE_PT_ADDR_BITS,
	.pa_bits = FAKE_PT_PA_BITS,
	.pfn_shift = FAKE_PT_PFN_SHIFT,
	.perm_mask = PT_R | PT_W | PT_X | PT_U,
	.perm_implicit = 0,
	.memtypes =
	    BIT(PT_MT_WB) | BIT(PT_MT_WT) | BIT(PT_MT_WC) | BIT(PT_MT_UC) | BIT(PT_MT_DEVICE),
	.attr_flags = PT_AF_FORCE_MT,
	.pfn_mask = FAKE_PT_PFN_MASK,
	.present_mask = FAKE_PT_PRESENT,
	.huge_mask = FAKE_PT_HUGE,
	.huge_val = FAKE_PT_HUGE,
	.table_bits = FAKE_PT_PRESENT | FAKE_PT_TABLE,
	.read_mask = FAKE_PT_READ,
	.write_mask = FAKE_PT_WRITE,
	.exec_mask = 0,
	.nx_mask = FAKE_PT_NX,
	.user_mask = FAKE_PT_USER,
	.attr_mask = FAKE_PT_MT_MASK | FAKE_PT_FORCE_MT,
	.frozen = FAKE_PT_FROZEN,
	.encode = fake_encode,
	.decode = fake_decode,
};
