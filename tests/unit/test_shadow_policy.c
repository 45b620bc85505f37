/*
 * The shadow MMU's policies, one trigger at a time: emulated writes
 * (widening, misaligned, write flood never at the last level), unsync and
 * sync on flushes and root loads, memslot deletion (seed 001) for several
 * slot sizes and alignments, quota recycling, obsolete roots after
 * invalidate-all, the hierarchy dump, and teardown exactly once.
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

#define L1_PAGES    (1ull << 20)
#define POOL_PAGES  2048ull
#define L2_BASE     0x40000ull

#define EXTRA_PAGES 0x80000ull /* 2 GiB of L1 RAM beyond slot 1, for a second slot */

static void model_init_q(struct l1_model *m, enum shadow_gfmt kind, u32 quota)
{
	struct shadow_config sc = { .max_pages = quota };
	struct l1m_params p = {
		.kind = kind,
		.ram_pages = L1_PAGES + EXTRA_PAGES,
		.slot_pages = L1_PAGES,
		.pool_pages = POOL_PAGES,
		.l2_base_gfn = L2_BASE,
		.shadow = &sc,
	};

	assert_int_equal(l1m_init(m, &p), 0);
	assert_int_equal(l1m_new_root(m), 0);
}

static void model_init(struct l1_model *m, enum shadow_gfmt kind)
{
	model_init_q(m, kind, 0);
}

static bool mapped(struct l1_model *m, gfn_t l2)
{
	struct mmu_translation t;

	return shadow_translate(m->sv, gfn_to_gpa(l2), &t);
}

static void stats(struct l1_model *m, struct shadow_stats *st)
{
	shadow_stats_read(m->sm, st);
}

/*
 * Sub-entry writes are widened to the entry; a write across two entries or
 * not naturally aligned zaps the page.
 */
static void write_widen_and_misaligned(void **state)
{
	struct shadow_stats st;
	struct l1_model m;
	gpa_t pde;
	u32 hi;

	(void)state;
	model_init(&m, SHADOW_GFMT_EPT);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x200000), PT_R), SHADOW_FAULT_MAPPED);
	pde = l1m_entry_gpa(&m, 1, 2);
	/* L1 rewrites the upper half of the PDE for L2 gfn 1 (same value): widened, entry zapped. */
	m.log_writes = true;
	memcpy(&hi, (u8 *)l1m_ptr(&m, pde) + 4, 4);
	l1m_write_bytes(&m, gpa(gpa_val(pde) + 4), &hi, 4);
	assert_int_equal(m.log_count, 0); /* only 8-byte writes are logged */
	assert_false(mapped(&m, 1));
	assert_true(mapped(&m, 0x200));
	stats(&m, &st);
	assert_int_equal(st.count[SHADOW_STAT_WRITE_ENTRIES_ZAPPED], 1);
	assert_int_equal(st.count[SHADOW_STAT_ZAP_MISALIGNED], 0);
	/* Refault, then a 4-byte write straddling PDE 0 and 1: the PD's page is zapped. */
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	memcpy(&hi, (u8 *)l1m_ptr(&m, pde) + 6, 4);
	l1m_write_bytes(&m, gpa(gpa_val(pde) + 6), &hi, 4);
	stats(&m, &st);
	assert_int_equal(st.count[SHADOW_STAT_ZAP_MISALIGNED], 1);
	assert_false(mapped(&m, 1));
	assert_false(mapped(&m, 0x200));
	/* The PD is no longer shadowed: L1 writes it without traps. */
	assert_false(mmu_track_is_tracked(m.vm, gpa_to_gfn(pde)));
	/* Bad lengths are refused. */
	assert_int_equal(shadow_track_write(m.sm, pde, &hi, &hi, 0, NULL), HV_EINVAL);
	assert_int_equal(shadow_track_write(m.sm, pde, &hi, &hi, 9, NULL), HV_EINVAL);
	l1m_fini(&m);
}

/*
 * Write flood: the third write to a page since its last use zaps it; a use
 * (an L2 fault walking it) restarts the count; last-level pages never flood.
 */
static void write_flood(void **state)
{
	struct l1_model m;
	gpa_t pde;

	(void)state;
	model_init(&m, SHADOW_GFMT_NPT);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	pde = l1m_entry_gpa(&m, 1, 2);
	m.log_writes = true;
	l1m_write(&m, gpa(gpa_val(pde) + 64), 0);
	l1m_write(&m, gpa(gpa_val(pde) + 72), 0);
	assert_int_equal(m.log[1].info.flood, 1);
	/* A use: the count starts again. */
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_SPURIOUS);
	l1m_write(&m, gpa(gpa_val(pde) + 80), 0);
	assert_int_equal(m.log[2].info.flood, 0);
	l1m_write(&m, gpa(gpa_val(pde) + 88), 0);
	assert_true(mapped(&m, 1));
	l1m_write(&m, gpa(gpa_val(pde) + 96), 0);
	assert_true(m.log[4].info.flooded);
	assert_false(mapped(&m, 1));
	/* A last-level page: many writes (zaps, no new leaves: it stays in sync), no flood. */
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	gpa_t pte = l1m_entry_gpa(&m, 1, 1);
	m.log_count = 0;
	for (unsigned i = 2; i < 12; i++)
		l1m_write(&m, gpa(gpa_val(pte) + i * 8), 0);
	assert_int_equal(m.log_count, 10);
	for (unsigned i = 0; i < 10; i++)
		assert_false(m.log[i].info.flooded);
	assert_true(mapped(&m, 1));
	l1m_fini(&m);
}

/*
 * Unsync: L1 writing a new leaf into a shadowed last-level table lets the
 * page go unsync (L1's next writes do not trap); its stale entries are fixed
 * at L1's flush (INVEPT, ASID flush, TLBI) or root load, and it is tracked
 * again.
 *
 *   before:  L1 PT[1] -> page A (rw)   shadow PT[1] -> A rw
 *   L1:      PT[2] = B (new leaf, trapped: page goes unsync)
 *            PT[1] = A read-only (not trapped: shadow still says rw)
 *   flush:   shadow PT[1] -> A r-, tracked again
 */
static void unsync_and_sync(void **state)
{
	static const enum shadow_flush_scope scopes[] = { SHADOW_FLUSH_ALL, SHADOW_FLUSH_CONTEXT,
							  SHADOW_FLUSH_GPA };

	(void)state;
	for (unsigned s = 0; s <= ARRAY_SIZE(scopes); s++) {
		struct mmu_translation t;
		struct shadow_stats st;
		struct l1_model m;
		gpa_t pte;

		model_init(&m, s % 2 ? SHADOW_GFMT_S2 : SHADOW_GFMT_EPT);
		assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R | PT_W), SHADOW_FAULT_MAPPED);
		assert_true(shadow_translate(m.sv, gpa(0x1000), &t) && (t.attr.perm & PT_W));
		pte = l1m_entry_gpa(&m, 1, 1);
		assert_true(mmu_track_is_tracked(m.vm, gpa_to_gfn(pte)));
		l1m_map(&m, 2, L2_BASE + 2, 1, l1m_leaf_bits(&m, PT_R | PT_W | PT_X | PT_U, 1));
		stats(&m, &st);
		assert_int_equal(st.unsync, 1);
		assert_false(mmu_track_is_tracked(m.vm, gpa_to_gfn(pte)));
		u64 emulated = m.writes_emulated;
		l1m_write(&m, pte,
			  l1m_leaf_bits(&m, PT_R | PT_X | PT_U, 1) |
			      pte_pfn_bits(m.f, L2_BASE + 1));
		assert_int_equal(m.writes_emulated, emulated);
		/* Stale until L1 flushes, as a TLB would be. */
		assert_true(shadow_translate(m.sv, gpa(0x1000), &t) && (t.attr.perm & PT_W));
		if (s < ARRAY_SIZE(scopes))
			shadow_flush(m.sv, scopes[s], gpa(0x1000));
		else
			assert_int_equal(l1m_load_root(&m), 0);
		stats(&m, &st);
		assert_int_equal(st.unsync, 0);
		assert_int_equal(st.count[SHADOW_STAT_SYNC], 1);
		assert_int_equal(st.count[SHADOW_STAT_SYNC_FIXED], 1);
		assert_true(shadow_translate(m.sv, gpa(0x1000), &t));
		assert_false(t.attr.perm & PT_W);
		assert_true(mmu_track_is_tracked(m.vm, gpa_to_gfn(pte)));
		/* L1 now points PT[1] elsewhere without a trap... no: tracked again, it traps. */
		l1m_write(&m, pte, 0);
		assert_int_equal(m.writes_emulated, emulated + 1);
		assert_false(mapped(&m, 1));
		l1m_fini(&m);
	}
}

/* An address-scoped flush syncs only the page behind that address. */
static void sync_by_gpa_is_targeted(void **state)
{
	struct shadow_stats st;
	struct l1_model m;

	(void)state;
	model_init(&m, SHADOW_GFMT_S2);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x2000), PT_R), SHADOW_FAULT_MAPPED);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x40001000), PT_R), SHADOW_FAULT_MAPPED);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x40002000), PT_R), SHADOW_FAULT_MAPPED);
	stats(&m, &st);
	assert_int_equal(st.unsync, 2);
	shadow_flush(m.sv, SHADOW_FLUSH_GPA, gpa(0x40001000));
	stats(&m, &st);
	assert_int_equal(st.unsync, 1);
	shadow_flush(m.sv, SHADOW_FLUSH_GPA, gpa(0x80000000)); /* nothing there */
	stats(&m, &st);
	assert_int_equal(st.unsync, 1);
	l1m_fini(&m);
}

/*
 * Seed 001: deleting a slot zaps exactly the shadow pages of guest tables in
 * it, never direct pages, and the shadow leaves mapping into it; the same
 * whatever the slot's size and alignment.
 *
 * L1 has a second RAM slot (B) for some of its tables and for the target of a
 * guest 1 GiB leaf that is split by direct pages (a tracked gfn inside).
 */
static void memslot_deletion(void **state)
{
	static const struct {
		u64 offset, pages; /* slot B, relative to L1_PAGES */
	} cases[] = {
		{ 0, 1 },         /* 4 KiB, 1 GiB aligned */
		{ 0x3ff, 1 },     /* 4 KiB, unaligned */
		{ 0x200, 0x200 }, /* 2 MiB, 2 MiB aligned */
		{ 0, 0x40000 },   /* 1 GiB, 1 GiB aligned */
		{ 0x1001, 0x3000 },
	};

	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		gfn_t base = L1_PAGES + cases[c].offset, table_gfn;
		struct mmu_slot_params sp = {
			.id = 2,
			.base = gfn_to_gpa(base),
			.size = cases[c].pages << PAGE_SHIFT,
			.memtype = PT_MT_WB,
		};
		struct shadow_stats st, st2;
		struct l1_model m;
		gpa_t pde;
		u64 pages;

		model_init(&m, SHADOW_GFMT_EPT);
		sp.backing = hpa(hpa_val(virt_to_phys(m.ram)) + (base << PAGE_SHIFT));
		assert_int_equal(mmu_slot_add(m.vm, &sp), 0);
		/* L2 gfn 1: normal tables in slot 1. */
		assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
		/* L2 gfn 0x400: its last-level table is in slot B (L1 moves it there). */
		table_gfn = base + cases[c].pages - 1;
		pde = l1m_entry_gpa(&m, 1, 2);
		l1m_write(&m, gpa(gpa_val(pde) + 2 * 8),
			  make_table_pte(m.f, pfn_to_hpa(table_gfn)));
		l1m_write(&m, gpa(gpa_val(gfn_to_gpa(table_gfn)) + 0),
			  l1m_leaf_bits(&m, PT_R, 1) | pte_pfn_bits(m.f, L2_BASE + 0x400));
		assert_int_equal(l1m_l2_touch(&m, gpa(0x400000), PT_R), SHADOW_FAULT_MAPPED);
		assert_true(mmu_track_is_tracked(m.vm, table_gfn));
		/* L2 gfn 0x600: a leaf mapping into slot B. */
		l1m_map(&m, 0x600, base, 1, l1m_leaf_bits(&m, PT_R, 1));
		assert_int_equal(l1m_l2_touch(&m, gpa(0x600000), PT_R), SHADOW_FAULT_MAPPED);
		/* L2 1 GiB at 4 GiB -> L1 2 GiB (slot 1) split by a tracked gfn: direct pages. */
		l1m_map(&m, 0x100000, 0x80000, 3, l1m_leaf_bits(&m, PT_R | PT_W, 3));
		assert_int_equal(mmu_track_add(m.vm, 0x80005), 0);
		assert_int_equal(l1m_l2_touch(&m, gpa(0x100000000ull), PT_R), SHADOW_FAULT_MAPPED);
		stats(&m, &st);
		assert_int_equal(st.pages_direct, 2);
		pages = st.pages;

		assert_int_equal(mmu_slot_delete(m.vm, 2), 0);
		stats(&m, &st2);
		/* Exactly one page: the table in slot B. Direct pages stay. */
		assert_int_equal(st2.count[SHADOW_STAT_ZAP_MEMSLOT], 1);
		assert_int_equal(st2.pages, pages - 1);
		assert_int_equal(st2.pages_direct, 2);
		assert_false(mapped(&m, 0x400));
		assert_false(mapped(&m, 0x600)); /* the leaf into B went with the range zap */
		assert_true(mapped(&m, 1));
		assert_true(mapped(&m, 0x100000));
		assert_int_equal(mmu_track_remove(m.vm, 0x80005), 0);
		l1m_fini(&m);
	}
}

/*
 * Deleting L1's main slot: every page of a guest table there is selected;
 * direct pages are not, but the ones hanging below a zapped page go as its
 * orphaned children (KVM does the same). Nothing is left.
 */
static void memslot_deletion_main_slot(void **state)
{
	struct shadow_stats st;
	struct l1_model m;

	(void)state;
	model_init(&m, SHADOW_GFMT_FAKE);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x5000), PT_R), SHADOW_FAULT_MAPPED);
	l1m_map(&m, 0x100000, 0x80000, 3, l1m_leaf_bits(&m, PT_R | PT_W, 3));
	assert_int_equal(mmu_track_add(m.vm, 0x80005), 0);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x100000000ull), PT_R), SHADOW_FAULT_MAPPED);
	assert_int_equal(mmu_track_remove(m.vm, 0x80005), 0);
	shadow_vcpu_unload_all(m.sv);
	stats(&m, &st);
	u64 all = st.pages;
	assert_int_equal(st.pages_direct, 2); /* fake has no 2 MiB leaves: 1G -> 4K takes two */
	assert_int_equal(mmu_slot_delete(m.vm, 1), 0);
	stats(&m, &st);
	assert_true(st.count[SHADOW_STAT_ZAP_MEMSLOT] >= 1);
	assert_int_equal(st.count[SHADOW_STAT_ZAP_MEMSLOT] + st.count[SHADOW_STAT_ZAP_CHILD], all);
	assert_int_equal(st.pages, 0);
	assert_int_equal(st.rmap_entries, 0);
	l1m_fini(&m);
}

/* The quota: never more valid pages than allowed; the oldest go first; roots in use stay. */
static void quota_recycles_oldest(void **state)
{
	struct shadow_stats st;
	struct l1_model m;

	(void)state;
	model_init_q(&m, SHADOW_GFMT_EPT, 12);
	/* Each touch in a new 2 MiB region needs a new last-level page. */
	for (unsigned i = 0; i < 20; i++) {
		assert_int_equal(l1m_l2_touch(&m, gpa((u64)i << 21), PT_R), SHADOW_FAULT_MAPPED);
		stats(&m, &st);
		assert_true(st.pages <= 12);
		assert_true(mapped(&m, (gfn_t)i << 9)); /* the newest mapping is there */
	}
	stats(&m, &st);
	assert_true(st.count[SHADOW_STAT_ZAP_QUOTA] > 0);
	assert_int_equal(st.roots_in_use, 1);
	assert_false(mapped(&m, 0)); /* the oldest went */
	assert_true(shadow_vcpu_root_is_valid(m.sv));
	l1m_fini(&m);
}

/* Invalidate-all: a root in use becomes obsolete, freed when its last user lets go. */
static void invalidate_all_obsolete_root(void **state)
{
	struct shadow_vcpu *other;
	struct shadow_stats st;
	struct l1_model m;

	(void)state;
	model_init(&m, SHADOW_GFMT_NPT);
	other = shadow_vcpu_create(m.sm);
	assert_non_null(other);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	struct shadow_root_params rp = {
		.gfmt = SHADOW_GFMT_NPT,
		.pointer = gpa_val(gfn_to_gpa(m.root)),
		.levels = 4,
		.flags = SHADOW_ROOT_NXE,
	};
	assert_int_equal(shadow_vcpu_load_root(other, &rp), 0);
	stats(&m, &st);
	assert_int_equal(st.roots_in_use, 1);
	assert_int_equal(st.count[SHADOW_STAT_ROOT_FOUND], 1); /* shared between the vCPUs */
	shadow_invalidate_all(m.sm);
	assert_false(shadow_vcpu_root_is_valid(m.sv));
	assert_false(shadow_vcpu_root_is_valid(other));
	stats(&m, &st);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.obsolete, 1);
	shadow_vcpu_destroy(other);
	stats(&m, &st);
	assert_int_equal(st.obsolete, 1);
	assert_int_equal(l1m_load_root(&m), 0); /* drops the obsolete one, makes a new root */
	stats(&m, &st);
	assert_int_equal(st.obsolete, 0);
	assert_int_equal(st.pages, 1);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	l1m_fini(&m);
}

/* Roots: switching between L1's root pointers finds the shadow roots again. */
static void root_cache(void **state)
{
	struct shadow_stats st;
	struct l1_model m;
	gfn_t first;

	(void)state;
	model_init(&m, SHADOW_GFMT_EPT);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	first = m.root;
	assert_int_equal(l1m_new_root(&m), 0);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	m.root = first;
	assert_int_equal(l1m_load_root(&m), 0);
	assert_true(mapped(&m, 1)); /* the first root's mappings are still there */
	stats(&m, &st);
	assert_int_equal(st.count[SHADOW_STAT_ROOT_HIT], 1);
	assert_int_equal(st.count[SHADOW_STAT_ROOT_NEW], 2);
	l1m_fini(&m);
}

static char dump_text[1 << 14];
static size_t dump_len;

static void dump_line(void *arg, const char *line)
{
	size_t n = strlen(line);

	(void)arg;
	if (dump_len + n + 2 < sizeof(dump_text)) {
		memcpy(dump_text + dump_len, line, n);
		dump_len += n;
		dump_text[dump_len++] = '\n';
		dump_text[dump_len] = 0;
	}
}

/* The dump: the hierarchy from the root, and orphans (the old behaviour's leaks) apart. */
static void dump_shows_hierarchy_and_orphans(void **state)
{
	struct l1_model m;
	u64 lines;

	(void)state;
	model_init(&m, SHADOW_GFMT_EPT);
	shadow_set_no_orphan_zap(m.sm, true);
	assert_int_equal(l1m_l2_touch(&m, gpa(0x1000), PT_R), SHADOW_FAULT_MAPPED);
	dump_len = 0;
	lines = shadow_dump(m.sm, dump_line, NULL);
	assert_int_equal(lines, 4);
	assert_non_null(strstr(dump_text, "L4 ept/4 a=rwxu root(1) parents - children 1 leaves 0"));
	assert_non_null(strstr(dump_text, "      #4 gfn "));
	assert_non_null(strstr(dump_text, "L1 ept/4 a=rwxu parents #3[0] children 0 leaves 1"));
	/* L1 unlinks the PD: with the old behaviour the PD and its PT are orphans. */
	l1m_write(&m, l1m_entry_gpa(&m, 1, 3), 0);
	dump_len = 0;
	lines = shadow_dump(m.sm, dump_line, NULL);
	assert_int_equal(lines, 5);
	assert_non_null(strstr(dump_text, "unreachable:\n  #3 gfn"));
	l1m_fini(&m);
}

/* Teardown frees every page, whoever calls it and however often (seed 004). */
static void teardown_exactly_once(void **state)
{
	u64 before = page_alloc_outstanding();
	struct l1_model m;

	(void)state;
	model_init(&m, SHADOW_GFMT_S2);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(l1m_l2_touch(&m, gpa((u64)i * 0x201000), PT_R),
				 SHADOW_FAULT_MAPPED);
	assert_true(l1m_shadow_pages(&m) > 60);
	shadow_vcpu_destroy(m.sv);
	m.sv = NULL;
	shadow_mmu_destroy(m.vm);
	assert_null(shadow_mmu_of(m.vm));
	shadow_mmu_destroy(m.vm); /* a second path: nothing to do */
	/* Nothing tracked any more: L1 writes its tables freely. */
	assert_false(mmu_track_is_tracked(m.vm, m.root));
	mmu_vcpu_destroy(m.vc);
	mmu_vm_destroy(m.vm);
	m.vc = NULL;
	m.vm = NULL;
	m.sm = NULL;
	l1m_fini(&m);
	assert_int_equal(page_alloc_outstanding(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_widen_and_misaligned),
		cmocka_unit_test(write_flood),
		cmocka_unit_test(unsync_and_sync),
		cmocka_unit_test(sync_by_gpa_is_targeted),
		cmocka_unit_test(memslot_deletion),
		cmocka_unit_test(memslot_deletion_main_slot),
		cmocka_unit_test(quota_recycles_oldest),
		cmocka_unit_test(invalidate_all_obsolete_root),
		cmocka_unit_test(root_cache),
		cmocka_unit_test(dump_shows_hierarchy_and_orphans),
		cmocka_unit_test(teardown_exactly_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
