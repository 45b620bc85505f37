/*
 * The nested shadow MMU's fault path, on every guest format: an L2 fault
 * walks L1's table and maps L2 GPA -> host PA (checked against L1's entry and
 * memslot), guest tables become write-tracked in L1's TDP, the leaf grants
 * the intersection of L1's and our permissions, huge guest leaves are split
 * by direct pages where our side needs smaller leaves, and teardown gives
 * every page back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mm.h>

#include "l1_model.h"

#define L1_PAGES   (1ull << 20) /* 4 GiB of L1 RAM */
#define POOL_PAGES 4096ull
#define L2_BASE    0x40000ull /* L2 gfn 0 lives at L1 gfn 0x40000 (1 GiB) */

static const enum shadow_gfmt kinds[] = { SHADOW_GFMT_EPT, SHADOW_GFMT_NPT, SHADOW_GFMT_S2,
					  SHADOW_GFMT_FAKE };

static void model_init(struct l1_model *m, enum shadow_gfmt kind, u8 levels)
{
	struct l1m_params p = {
		.kind = kind,
		.levels = levels,
		.ram_pages = L1_PAGES,
		.pool_pages = POOL_PAGES,
		.l2_base_gfn = L2_BASE,
	};

	assert_int_equal(l1m_init(m, &p), 0);
	assert_int_equal(l1m_new_root(m), 0);
}

static pfn_t host_pfn(struct l1_model *m, gfn_t l1_gfn)
{
	return hpa_to_pfn(virt_to_phys(m->ram)) + l1_gfn;
}

/* L2 touches one page per format: mapped to the right frame, tables tracked, teardown clean. */
static void fault_maps_each_format(void **state)
{
	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(kinds); k++) {
		u64 pages_before = page_alloc_outstanding();
		struct mmu_translation t;
		struct shadow_stats st;
		struct l1_model m;
		gfn_t l2 = 0x12345;

		model_init(&m, kinds[k], 0);
		assert_int_equal(l1m_l2_touch(&m, gfn_to_gpa(l2), PT_R), SHADOW_FAULT_MAPPED);
		assert_true(shadow_translate(m.sv, gfn_to_gpa(l2), &t));
		assert_int_equal(t.level, 1);
		assert_int_equal(t.pfn, host_pfn(&m, L2_BASE + l2));
		assert_true(t.attr.perm & PT_R);
		/* Every guest table of the walk is tracked: L1's writes to it trap. */
		for (int level = m.f->levels; level >= 1; level--) {
			gpa_t e = l1m_entry_gpa(&m, l2, level);

			assert_true(mmu_track_is_tracked(m.vm, gpa_to_gfn(e)));
		}
		/* The data page is not. */
		assert_false(mmu_track_is_tracked(m.vm, L2_BASE + l2));
		shadow_stats_read(m.sm, &st);
		assert_int_equal(st.pages, m.f->levels);
		assert_int_equal(st.count[SHADOW_STAT_FAULT_REFLECT], 1);
		assert_int_equal(st.count[SHADOW_STAT_FAULT_MAPPED], 1);
		/* Same access again: nothing to do. */
		struct shadow_fault_info info;
		assert_int_equal(shadow_fault(m.sv, gfn_to_gpa(l2), PT_R, 0, &info),
				 SHADOW_FAULT_SPURIOUS);
		l1m_fini(&m);
		assert_int_equal(page_alloc_outstanding(), pages_before);
	}
}

/*
 * The leaf grants L1's permissions AND ours: a read-only L1 leaf gives a
 * read-only shadow leaf and a write reflects; an L1 page that is one of
 * L1's own guest tables is mapped read-only and an L2 write to it is
 * emulated.
 */
static void fault_permissions_intersect(void **state)
{
	(void)state;
	for (unsigned k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct shadow_fault_info info;
		struct mmu_translation t;
		struct l1_model m;
		gfn_t l2 = 0x777, table;

		model_init(&m, kinds[k], 0);
		l1m_map(&m, l2, L2_BASE + l2, 1, l1m_leaf_bits(&m, PT_R | PT_X | PT_U, 1));
		assert_int_equal(shadow_fault(m.sv, gfn_to_gpa(l2), PT_R, 0, &info),
				 SHADOW_FAULT_MAPPED);
		assert_true(shadow_translate(m.sv, gfn_to_gpa(l2), &t));
		assert_false(t.attr.perm & PT_W);
		assert_int_equal(shadow_fault(m.sv, gfn_to_gpa(l2), PT_W, 0, &info),
				 SHADOW_FAULT_REFLECT);

		/*
		 * L2 gfn 0x778 -> one of L1's own tables above the last level (a
		 * last-level one may go unsync, and then L1 writes it freely).
		 */
		table = gpa_to_gfn(l1m_entry_gpa(&m, l2, 2));
		l1m_map(&m, 0x778, table, 1, l1m_leaf_bits(&m, PT_R | PT_W | PT_U, 1));
		assert_int_equal(shadow_fault(m.sv, gfn_to_gpa(0x778), PT_R, 0, &info),
				 SHADOW_FAULT_MAPPED);
		assert_true(shadow_translate(m.sv, gfn_to_gpa(0x778), &t));
		assert_false(t.attr.perm & PT_W);
		assert_int_equal(t.pfn, host_pfn(&m, table));
		assert_int_equal(shadow_fault(m.sv, gpa(0x778008), PT_W, 0, &info),
				 SHADOW_FAULT_EMULATE);
		assert_int_equal(gpa_val(info.l1_gpa), gpa_val(gfn_to_gpa(table)) + 8);
		l1m_fini(&m);
	}
}

/*
 * A guest 1 GiB leaf over L1 memory whose 2 MiB region holds a write-tracked
 * gfn (one of L1's tables): the shadow maps it with smaller leaves under
 * direct pages, and the tracked page read-only.
 *
 *   L1's table:  L3[0] 1G leaf -> L1 gfn 0x80000 (rwx)
 *   shadow:      L3[0] -> direct L2 page (gfn 0x80000) -> 2M leaves, except
 *                the 2M region with the tracked gfn -> direct L1 page -> 4K
 */
static void fault_huge_guest_leaf_split_by_direct_pages(void **state)
{
	struct shadow_fault_info info;
	struct mmu_translation t;
	struct shadow_stats st;
	struct l1_model m;
	gfn_t target = 0x80000; /* 2 GiB, 1G aligned, away from L1's table pool */

	(void)state;
	model_init(&m, SHADOW_GFMT_EPT, 0);
	/* Unrestricted: a 1G shadow leaf. */
	l1m_map(&m, 0, target, 3, l1m_leaf_bits(&m, PT_R | PT_W | PT_X, 3));
	assert_int_equal(shadow_fault(m.sv, gpa(0x1234000), PT_W, 0, &info), SHADOW_FAULT_MAPPED);
	assert_int_equal(info.leaf_level, 3);
	assert_true(shadow_translate(m.sv, gpa(0x1234000), &t));
	assert_int_equal(t.level, 3);
	assert_int_equal(t.pfn, host_pfn(&m, target + 0x1234));

	/* Now the same range under a write-tracked gfn: L1 uses a page inside as a table. */
	mmu_track_add(m.vm, target + 0x345);
	shadow_invalidate_all(m.sm);
	assert_int_equal(l1m_load_root(&m), 0);
	assert_int_equal(shadow_fault(m.sv, gpa(0x1234000), PT_W, 0, &info), SHADOW_FAULT_MAPPED);
	assert_int_equal(info.leaf_level, 2);
	assert_int_equal(shadow_fault(m.sv, gfn_to_gpa(0x344), PT_W, 0, &info),
			 SHADOW_FAULT_MAPPED);
	assert_int_equal(info.leaf_level, 1);
	assert_true(shadow_translate(m.sv, gfn_to_gpa(0x344), &t));
	assert_true(t.attr.perm & PT_W);
	assert_int_equal(shadow_fault(m.sv, gfn_to_gpa(0x345), PT_R, 0, &info),
			 SHADOW_FAULT_MAPPED);
	assert_true(shadow_translate(m.sv, gfn_to_gpa(0x345), &t));
	assert_false(t.attr.perm & PT_W);
	assert_int_equal(t.pfn, host_pfn(&m, target + 0x345));
	assert_int_equal(shadow_fault(m.sv, gfn_to_gpa(0x345), PT_W, 0, &info),
			 SHADOW_FAULT_EMULATE);
	shadow_stats_read(m.sm, &st);
	assert_int_equal(st.pages_direct,
			 2); /* the 1G split (L2 page) and the 2M split (L1 page) */
	assert_int_equal(mmu_track_remove(m.vm, target + 0x345), 0);
	l1m_fini(&m);
}

/* Faults beyond L1 RAM: MMIO to emulate; read-only L1 memory: READONLY on writes. */
static void fault_mmio_and_readonly(void **state)
{
	struct mmu_slot_params ro = {
		.id = 7,
		.base = gpa(L1_PAGES << PAGE_SHIFT),
		.size = SZ_2M,
		.memtype = PT_MT_WB,
		.flags = MMU_SLOT_READONLY,
	};
	struct shadow_fault_info info;
	struct l1_model m;

	(void)state;
	model_init(&m, SHADOW_GFMT_NPT, 0);
	ro.backing = hpa(virt_to_phys(m.ram).v);
	assert_int_equal(mmu_slot_add(m.vm, &ro), 0);
	l1m_map(&m, 1, L1_PAGES, 1, l1m_leaf_bits(&m, PT_R | PT_W | PT_U, 1));
	l1m_map(&m, 2, L1_PAGES + SZ_2M / PAGE_SIZE, 1, l1m_leaf_bits(&m, PT_R | PT_W | PT_U, 1));
	assert_int_equal(shadow_fault(m.sv, gpa(0x1008), PT_W, 0, &info), SHADOW_FAULT_READONLY);
	assert_int_equal(gpa_val(info.l1_gpa), (L1_PAGES << PAGE_SHIFT) + 8);
	assert_int_equal(shadow_fault(m.sv, gpa(0x1000), PT_R, 0, &info), SHADOW_FAULT_MAPPED);
	assert_int_equal(shadow_fault(m.sv, gpa(0x2010), PT_R, 0, &info), SHADOW_FAULT_MMIO);
	assert_int_equal(gpa_val(info.l1_gpa), ((L1_PAGES << PAGE_SHIFT) + SZ_2M) | 0x10);
	l1m_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_maps_each_format),
		cmocka_unit_test(fault_permissions_intersect),
		cmocka_unit_test(fault_huge_guest_leaf_split_by_direct_pages),
		cmocka_unit_test(fault_mmio_and_readonly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
