/*
 * Entry-format contract tests, run on every format: encode/decode round
 * trips for every representable permission, memory type and leaf level;
 * frame numbers at every leaf size; table entries; the frozen value; flush
 * and break-before-make predicates; root geometry (concatenated roots); and
 * golden values computed from the manuals' bit positions, so a format that
 * is self-consistent but wrong for the hardware still fails. The validator
 * must reject broken descriptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mmu/ept.h>
#include <hv/mmu/fake_pt.h>
#include <hv/mmu/format.h>
#include <hv/mmu/npt.h>
#include <hv/mmu/stage2.h>

#include "capture_console.h"

static const struct pt_format *const all_formats[] = {
	&pt_format_ept4, &pt_format_ept5,  &pt_format_npt4,
	&pt_format_npt5, &pt_format_s2_40, &pt_format_fake,
};

static const struct pt_format *const real_formats[] = {
	&pt_format_ept4, &pt_format_ept5, &pt_format_npt4, &pt_format_npt5, &pt_format_s2_40,
};

/* The memory type a format stores for mt (x86 has no separate device type). */
static u8 expected_memtype(const struct pt_format *f, u8 mt)
{
	if (f->memtypes & BIT(mt))
		return mt;
	assert_int_equal(mt, PT_MT_DEVICE);
	return PT_MT_UC;
}

static bool perm_representable(const struct pt_format *f, u8 perm)
{
	if (perm & ~f->perm_mask)
		return false;
	if (!(perm & PT_R)) /* the engine never builds unreadable leaves */
		return false;
	return true;
}

static void validate_all(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(all_formats); i++)
		assert_int_equal(pt_format_validate(all_formats[i]), 0);
	capture_console_start();
	assert_int_equal(mmu_formats_init(), 0);
	capture_console_stop();
	assert_non_null(strstr(capture_console_text(), "s2-40"));
}

static void leaf_round_trip(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(all_formats); i++) {
		const struct pt_format *f = all_formats[i];
		unsigned checked = 0;

		for (int level = 1; level <= f->levels; level++) {
			/* A frame aligned for this level, with high bits set too. */
			pfn_t pfn = ((1ull << (f->pa_bits - PAGE_SHIFT)) - 1) &
				    ~(pt_level_pages(level) - 1);

			if (!pt_level_can_be_leaf(f, level))
				continue;
			for (u8 perm = 0; perm <= (PT_R | PT_W | PT_X | PT_U); perm++) {
				if (!perm_representable(f, perm))
					continue;
				for (u8 mt = 0; mt < PT_MT_COUNT; mt++) {
					for (u8 fl = 0; fl <= PT_AF_FORCE_MT; fl++) {
						struct pt_attr a = { perm, mt, fl };
						pte_t e, t;
						struct pt_attr d;

						if (fl & ~f->attr_flags)
							continue;
						t = pt_leaf_template(f, a, level);
						e = make_leaf_pte(f, t, pfn);
						assert_true(pte_is_present(f, e));
						assert_true(pte_is_leaf(f, e, level));
						assert_true(pte_is_present_leaf(f, e, level));
						assert_false(pte_is_table(f, e, level));
						assert_false(pte_is_frozen(f, e));
						assert_int_equal(pte_leaf_pfn(f, e, level), pfn);
						d = f->decode(f, e, level);
						assert_int_equal(d.perm, perm | f->perm_implicit);
						assert_int_equal(d.memtype,
								 expected_memtype(f, mt));
						assert_int_equal(d.flags, fl);
						assert_int_equal(pte_is_writable(f, e),
								 !!(perm & PT_W));
						assert_int_equal(pte_allows(f, e, PT_R), 1);
						assert_int_equal(pte_allows(f, e, PT_W),
								 !!(perm & PT_W));
						assert_int_equal(pte_allows(f, e, PT_X),
								 !!(perm & PT_X));
						/* Re-encoding what was decoded gives the same entry. */
						assert_int_equal(
						    make_leaf_pte(f, pt_leaf_template(f, d, level),
								  pfn),
						    e);
						checked++;
					}
				}
			}
		}
		assert_true(checked > 0);
	}
}

static void table_entries(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(all_formats); i++) {
		const struct pt_format *f = all_formats[i];
		hpa_t t = hpa(((1ull << f->pa_bits) - 1) & PAGE_MASK);
		pte_t e = make_table_pte(f, t);

		for (int level = 2; level <= f->levels; level++) {
			assert_true(pte_is_present(f, e));
			assert_true(pte_is_table(f, e, level));
			assert_false(pte_is_leaf(f, e, level));
		}
		assert_int_equal(hpa_val(pte_table_hpa(f, e)), hpa_val(t));
		/* An empty entry is neither present nor frozen. */
		assert_false(pte_is_present(f, 0));
		assert_false(pte_is_frozen(f, 0));
	}
}

static void frozen_value(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(all_formats); i++) {
		const struct pt_format *f = all_formats[i];

		assert_false(pte_is_present(f, f->frozen));
		assert_true(pte_is_frozen(f, f->frozen));
		/* Frozen plus a frame number (the dead-table link) is still frozen. */
		assert_true(pte_is_frozen(f, f->frozen | pte_pfn_bits(f, 0x12345)));
		/* No leaf the engine builds looks frozen. */
		for (int level = 1; level <= f->levels; level++) {
			struct pt_attr a = { PT_R | PT_W | PT_X | PT_U, PT_MT_WB, 0 };

			if (pt_level_can_be_leaf(f, level))
				assert_false(pte_is_frozen(f, pt_leaf_template(f, a, level)));
		}
	}
}

static void flush_predicates(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(all_formats); i++) {
		const struct pt_format *f = all_formats[i];
		struct pt_attr rwx = { PT_R | PT_W | PT_X | PT_U, PT_MT_WB, 0 };
		struct pt_attr rx = { PT_R | PT_X | PT_U, PT_MT_WB, 0 };
		struct pt_attr rw = { PT_R | PT_W | PT_U, PT_MT_WB, 0 };
		struct pt_attr rwx_uc = { PT_R | PT_W | PT_X | PT_U, PT_MT_UC, 0 };
		pte_t a = make_leaf_pte(f, pt_leaf_template(f, rwx, 1), 0x100);
		pte_t b = make_leaf_pte(f, pt_leaf_template(f, rx, 1), 0x100);
		pte_t c = make_leaf_pte(f, pt_leaf_template(f, rw, 1), 0x100);
		pte_t d = make_leaf_pte(f, pt_leaf_template(f, rwx, 1), 0x101);
		pte_t m = make_leaf_pte(f, pt_leaf_template(f, rwx_uc, 1), 0x100);
		pte_t h = make_leaf_pte(f, pt_leaf_template(f, rwx, 3), 0x40000);
		pte_t t = make_table_pte(f, hpa(0x5000));

		assert_true(pte_leaf_loses(f, a, b));  /* lost write */
		assert_false(pte_leaf_loses(f, b, a)); /* gained write */
		assert_true(pte_leaf_loses(f, a, c));  /* lost execute */
		assert_true(pte_leaf_loses(f, a, d));  /* other frame */
		assert_true(pte_leaf_loses(f, a, m));  /* other memory type */
		assert_false(pte_leaf_loses(f, a, a));
		/* Break-before-make: only where the format says so, only for size/frame/type. */
		assert_int_equal(pte_needs_bbm(f, h, t, 3), f->break_before_make);
		assert_int_equal(pte_needs_bbm(f, a, d, 1), f->break_before_make);
		assert_int_equal(pte_needs_bbm(f, a, m, 1), f->break_before_make);
		assert_false(pte_needs_bbm(f, a, b, 1));
		assert_false(pte_needs_bbm(f, a, 0, 1));
		assert_false(pte_needs_bbm(f, 0, a, 1));
	}
	assert_true(pt_format_s2_40.break_before_make);
	assert_false(pt_format_ept4.break_before_make || pt_format_npt4.break_before_make);
}

static void root_geometry(void **state)
{
	const struct pt_format *s2 = &pt_format_s2_40, *fk = &pt_format_fake;

	(void)state;
	/* 40-bit IPA: two concatenated 512-entry level-1 tables (engine level 3). */
	assert_int_equal(s2->levels, 3);
	assert_int_equal(s2->root_pages, 2);
	assert_int_equal(pt_table_entries(s2, 3), 1024);
	assert_int_equal(pt_table_entries(s2, 2), 512);
	assert_int_equal(pt_gfn_limit(s2), 1ull << (40 - 12));
	/* IPA bit 39 selects the second page of the root. */
	assert_int_equal(pt_index(s2, gpa_to_gfn(gpa(1ull << 39)), 3), 512);
	assert_int_equal(pt_index(s2, gpa_to_gfn(gpa((1ull << 40) - 1)), 3), 1023);
	/* EPT/NPT 4-level: 48 bits, 5-level: 57 bits. */
	assert_int_equal(pt_gfn_limit(&pt_format_ept4), 1ull << 36);
	assert_int_equal(pt_gfn_limit(&pt_format_npt5), 1ull << 45);
	assert_int_equal(pt_index(&pt_format_ept4, gpa_to_gfn(gpa(0x0000ff8000000000ull)), 4), 511);
	/* Fake: a four-page root and no 2 MiB leaves. */
	assert_int_equal(pt_table_entries(fk, 4), 2048);
	assert_false(pt_level_can_be_leaf(fk, 2));
	assert_true(pt_level_can_be_leaf(fk, 3));
}

/* Golden entries built from the manuals' bit positions. */
static void golden_values(void **state)
{
	struct pt_attr rwx_wb = { PT_R | PT_W | PT_X | PT_U, PT_MT_WB, 0 };
	struct pt_attr r_wb = { PT_R | PT_U, PT_MT_WB, 0 };
	struct pt_attr rw_uc = { PT_R | PT_W | PT_U, PT_MT_UC, 0 };
	struct pt_attr rw_wc = { PT_R | PT_W | PT_U, PT_MT_WC, 0 };
	struct pt_attr rw_dev = { PT_R | PT_W | PT_U, PT_MT_DEVICE, 0 };

	(void)state;
	/* EPT 4K: R W X (bits 0-2), WB=6 in bits 5:3, A bit 8, D bit 9. */
	assert_int_equal(
	    make_leaf_pte(&pt_format_ept4, pt_leaf_template(&pt_format_ept4, rwx_wb, 1), 0x1234),
	    0x1234000ull | 0x7 | (6 << 3) | BIT(8) | BIT(9));
	/* EPT 2M read-only WB: bit 7 marks the leaf; no W, no D. */
	assert_int_equal(
	    make_leaf_pte(&pt_format_ept4, pt_leaf_template(&pt_format_ept4, r_wb, 2), 0x200),
	    0x200000ull | 0x1 | (6 << 3) | BIT(7) | BIT(8));
	/* EPT table: RWX + A, no memory type (reserved in non-leaves). */
	assert_int_equal(make_table_pte(&pt_format_ept4, hpa(0x5000)), 0x5000ull | 0x7 | BIT(8));

	/* NPT table: P RW US (0x7, required at every level) + A. */
	assert_int_equal(make_table_pte(&pt_format_npt4, hpa(0x5000)), 0x5000ull | 0x7 | BIT(5));
	/* NPT 4K WB rwx: P RW US A D, no NX. */
	assert_int_equal(
	    make_leaf_pte(&pt_format_npt4, pt_leaf_template(&pt_format_npt4, rwx_wb, 1), 0x1234),
	    0x1234000ull | 0x7 | BIT(5) | BIT(6));
	/* NPT 1G UC rw-: PS, PCD|PWT (PAT index 3), NX bit 63. */
	assert_int_equal(
	    make_leaf_pte(&pt_format_npt4, pt_leaf_template(&pt_format_npt4, rw_uc, 3), 0x40000),
	    0x40000000ull | 0x7 | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(63));
	/* NPT WC is PAT index 4: the PAT bit, at 7 in a PTE and at 12 in a huge leaf. */
	assert_int_equal(pt_leaf_template(&pt_format_npt4, rw_wc, 1) & (BIT(3) | BIT(4) | BIT(7)),
			 BIT(7));
	assert_int_equal(pt_leaf_template(&pt_format_npt4, rw_wc, 2) & (BIT(3) | BIT(4) | BIT(12)),
			 BIT(12));
	assert_int_equal((NPT_HOST_PAT >> 32) & 0xff, 0x01); /* PA4 = WC */

	/* Stage-2 page, normal WB rwx: 0b11, MemAttr 0b1111, S2AP RW, SH inner, AF. */
	assert_int_equal(
	    make_leaf_pte(&pt_format_s2_40, pt_leaf_template(&pt_format_s2_40, rwx_wb, 1), 0x1234),
	    0x1234000ull | 0x3 | (0xf << 2) | (3 << 6) | (3 << 8) | BIT(10));
	/* Stage-2 2M block, device nGnRE, rw, XN: bits 1:0 = 0b01, MemAttr 0b0001. */
	assert_int_equal(
	    make_leaf_pte(&pt_format_s2_40, pt_leaf_template(&pt_format_s2_40, rw_dev, 2), 0x200),
	    0x200000ull | 0x1 | (0x1 << 2) | (3 << 6) | BIT(10) | BIT(54));
	/* Stage-2 table: 0b11 and the address, nothing else. */
	assert_int_equal(make_table_pte(&pt_format_s2_40, hpa(0x5000)), 0x5000ull | 0x3);
}

/* The fake format shares no role-bit with a real one (so leaks of real bits would show). */
static void fake_differs(void **state)
{
	const struct pt_format *fk = &pt_format_fake;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(real_formats); i++) {
		const struct pt_format *f = real_formats[i];

		assert_int_not_equal(fk->present_mask, f->present_mask);
		assert_int_not_equal(fk->pfn_shift, f->pfn_shift);
		assert_int_not_equal(fk->pfn_mask, f->pfn_mask);
		assert_false(fk->huge_mask == f->huge_mask && fk->huge_val == f->huge_val);
		assert_int_not_equal(fk->write_mask, f->write_mask & ~(pte_t)S2_S2AP_W);
		assert_int_not_equal(fk->table_bits, f->table_bits);
		assert_int_not_equal(fk->frozen, f->frozen);
		assert_int_not_equal(fk->leaf_levels, f->leaf_levels);
		assert_int_not_equal(fk->root_pages, f->root_pages);
		assert_false(fk->present_mask & BIT(0));
	}
}

static void validator_rejects(void **state)
{
	struct pt_format f;

	(void)state;
	capture_console_start();
	f = pt_format_ept4;
	f.frozen = EPT_READ | EPT_SW_FROZEN; /* present */
	assert_int_equal(pt_format_validate(&f), HV_EINVAL);
	f = pt_format_ept4;
	f.addr_bits = 47;
	assert_int_equal(pt_format_validate(&f), HV_EINVAL);
	f = pt_format_s2_40;
	f.root_pages = 3;
	assert_int_equal(pt_format_validate(&f), HV_EINVAL);
	f = pt_format_npt4;
	f.leaf_levels |= BIT(5); /* a leaf above the root */
	assert_int_equal(pt_format_validate(&f), HV_EINVAL);
	f = pt_format_fake;
	f.table_bits |= FAKE_PT_HUGE; /* tables would look like leaves */
	assert_int_equal(pt_format_validate(&f), HV_EINVAL);
	f = pt_format_npt4;
	f.present_mask = BIT(12); /* inside the address */
	assert_int_equal(pt_format_validate(&f), HV_EINVAL);
	capture_console_stop();
	assert_non_null(strstr(capture_console_text(), "npt4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validate_all),      cmocka_unit_test(leaf_round_trip),
		cmocka_unit_test(table_entries),     cmocka_unit_test(frozen_value),
		cmocka_unit_test(flush_predicates),  cmocka_unit_test(root_geometry),
		cmocka_unit_test(golden_values),     cmocka_unit_test(fake_differs),
		cmocka_unit_test(validator_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
