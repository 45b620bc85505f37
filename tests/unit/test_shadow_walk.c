/*
 * The guest walker's faults, per format, as L1's hardware would report them:
 * final page not present, a table not present, a write to a read-only page,
 * reserved bits, execute-only, a table outside L1 RAM, accessed/dirty
 * updates, and the pass-through of "final translation vs L2's own walk".
 * Each case builds L1's table with the L1 model, then corrupts or restricts
 * one entry by hand (plain stores: the case is about reading, not tracking).
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
#include <hv/mmu/ept.h>
#include <hv/mmu/fake_pt.h>
#include <hv/mmu/npt.h>
#include <hv/mmu/stage2.h>

#include "l1_model.h"

#define L1_PAGES   (1ull << 20)
#define POOL_PAGES 1024ull
#define L2_BASE    0x40000ull
#define L2         0x2345ull /* the L2 gfn of every case */

static void model_init(struct l1_model *m, enum shadow_gfmt kind, bool ad)
{
	struct l1m_params p = {
		.kind = kind,
		.ram_pages = L1_PAGES,
		.pool_pages = POOL_PAGES,
		.l2_base_gfn = L2_BASE,
		.ad = ad,
	};

	assert_int_equal(l1m_init(m, &p), 0);
	if (kind != SHADOW_GFMT_S2 && kind != SHADOW_GFMT_FAKE)
		m->pa_bits = 46; /* MAXPHYADDR: bits 51:46 reserved */
	assert_int_equal(l1m_new_root(m), 0);
}

/* Map L2 as a 4 KiB leaf with perm; return the host pointer to the leaf entry. */
static u64 *map4k(struct l1_model *m, u8 perm)
{
	gpa_t at = l1m_map(m, L2, L2_BASE + L2, 1, l1m_leaf_bits(m, perm, 1));

	return l1m_ptr(m, at);
}

static u64 *entry(struct l1_model *m, int level)
{
	return l1m_ptr(m, l1m_entry_gpa(m, L2, level));
}

static enum shadow_fault_result touch(struct l1_model *m, u8 access, u32 flags,
				      struct shadow_guest_fault *out)
{
	struct shadow_fault_info info;
	enum shadow_fault_result r =
	    shadow_fault(m->sv, gpa((L2 << PAGE_SHIFT) + 0x10), access, flags, &info);

	*out = info.fault;
	return r;
}

static void expect_fault_at(struct l1_model *m, u8 access, u32 flags, enum shadow_gfault_kind kind,
			    u64 code, int level, int line)
{
	struct shadow_guest_fault gf;
	enum shadow_fault_result r = touch(m, access, flags, &gf);

	if (r != SHADOW_FAULT_REFLECT || gf.kind != kind || gf.code != code || gf.level != level ||
	    gpa_val(gf.l2_gpa) != (L2 << PAGE_SHIFT) + 0x10)
		fail_msg("line %d: %s kind %d code %#llx level %d gpa %#llx; expected reflect "
			 "kind %d code %#llx level %d",
			 line, shadow_fault_result_name(r), gf.kind, (unsigned long long)gf.code,
			 gf.level, (unsigned long long)gpa_val(gf.l2_gpa), kind,
			 (unsigned long long)code, level);
}

#define expect_fault(m, access, flags, kind, code, level)                                          \
	expect_fault_at(m, access, flags, kind, code, level, __LINE__)

/* --- EPT ------------------------------------------------------------------------------------- */

static void ept_faults(void **state)
{
	struct l1_model m;
	u64 *leaf, *pde;

	(void)state;
	model_init(&m, SHADOW_GFMT_EPT, false);
	/* No tables at all: the PML4E is not present (level 4). */
	expect_fault(&m, PT_R, SHADOW_ACC_GLA, SHADOW_GF_EPT_VIOLATION,
		     EPT_QUAL_READ | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_FINAL, 4);
	/* Final page not present: the walk reaches the PTE. */
	leaf = map4k(&m, PT_R | PT_W | PT_X);
	*leaf = 0;
	expect_fault(&m, PT_W, 0, SHADOW_GF_EPT_VIOLATION, EPT_QUAL_WRITE, 1);
	/* Table not present: the PDE cleared. */
	pde = entry(&m, 2);
	u64 saved_pde = *pde;
	*pde = 0;
	expect_fault(&m, PT_X, 0, SHADOW_GF_EPT_VIOLATION, EPT_QUAL_FETCH, 2);
	*pde = saved_pde;
	/* Write to a read-only page: readable and executable in bits 3 and 5. */
	*leaf = l1m_leaf_bits(&m, PT_R | PT_X, 1) | pte_pfn_bits(m.f, L2_BASE + L2);
	expect_fault(&m, PT_W, SHADOW_ACC_GLA | SHADOW_ACC_PT_WALK, SHADOW_GF_EPT_VIOLATION,
		     EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_EXEC | EPT_QUAL_GLA_VALID, 1);
	/* A grant missing higher up counts too (AND over the levels): PDE without X. */
	*leaf = l1m_leaf_bits(&m, PT_R | PT_W | PT_X, 1) | pte_pfn_bits(m.f, L2_BASE + L2);
	*pde &= ~EPT_EXEC;
	expect_fault(&m, PT_X, 0, SHADOW_GF_EPT_VIOLATION,
		     EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_WRITABLE, 1);
	*pde = saved_pde;
	/* Reserved bits: a PDE (table) with bit 3 set; a PTE beyond MAXPHYADDR; bad memory type. */
	*pde |= BIT(3);
	expect_fault(&m, PT_R, 0, SHADOW_GF_EPT_MISCONFIG, 0, 2);
	*pde = saved_pde;
	*leaf |= BIT(51);
	expect_fault(&m, PT_R, 0, SHADOW_GF_EPT_MISCONFIG, 0, 1);
	*leaf = (*leaf & ~BIT(51) & ~EPT_MT_MASK) | (2ull << EPT_MT_SHIFT);
	expect_fault(&m, PT_R, 0, SHADOW_GF_EPT_MISCONFIG, 0, 1);
	/* Write without read: misconfiguration. */
	*leaf = (EPT_WRITE | (EPT_MT_WB << EPT_MT_SHIFT)) | pte_pfn_bits(m.f, L2_BASE + L2);
	expect_fault(&m, PT_R, 0, SHADOW_GF_EPT_MISCONFIG, 0, 1);
	/* Execute-only: allowed (we offer it), so a read is a violation with only X granted. */
	*leaf = (EPT_EXEC | (EPT_MT_WB << EPT_MT_SHIFT)) | pte_pfn_bits(m.f, L2_BASE + L2);
	expect_fault(&m, PT_R, 0, SHADOW_GF_EPT_VIOLATION, EPT_QUAL_READ | EPT_QUAL_EXEC, 1);
	struct shadow_guest_fault gf;
	assert_int_equal(touch(&m, PT_X, 0, &gf), SHADOW_FAULT_MAPPED);
	/* ... and refused when L1 was not offered execute-only. */
	m.root_flags = 0;
	assert_int_equal(l1m_load_root(&m), 0);
	expect_fault(&m, PT_X, 0, SHADOW_GF_EPT_MISCONFIG, 0, 1);
	l1m_fini(&m);
}

/* EPT with A/D on: the walk sets A everywhere and D on writes; L2 walks count as writes. */
static void ept_accessed_dirty(void **state)
{
	struct shadow_guest_fault gf;
	struct mmu_translation t;
	struct l1_model m;
	u64 *leaf;

	(void)state;
	model_init(&m, SHADOW_GFMT_EPT, true);
	leaf = map4k(&m, PT_R | PT_W | PT_X);
	*leaf &= ~(EPT_ACCESSED | EPT_DIRTY);
	for (int level = 4; level >= 2; level--)
		*entry(&m, level) &= ~EPT_ACCESSED;
	assert_int_equal(touch(&m, PT_R, 0, &gf), SHADOW_FAULT_MAPPED);
	for (int level = 4; level >= 1; level--)
		assert_true(*entry(&m, level) & EPT_ACCESSED);
	assert_false(*leaf & EPT_DIRTY);
	/* Not dirty yet: the shadow leaf is read-only, so the first write comes back. */
	assert_true(shadow_translate(m.sv, gfn_to_gpa(L2), &t));
	assert_false(t.attr.perm & PT_W);
	assert_int_equal(touch(&m, PT_W, 0, &gf), SHADOW_FAULT_MAPPED);
	assert_true(*leaf & EPT_DIRTY);
	assert_true(shadow_translate(m.sv, gfn_to_gpa(L2), &t));
	assert_true(t.attr.perm & PT_W);
	/* An L2 page-table access to a read-only page is a write with A/D on. */
	*leaf = (*leaf & ~EPT_WRITE);
	shadow_invalidate_all(m.sm);
	assert_int_equal(l1m_load_root(&m), 0);
	expect_fault(&m, PT_R, SHADOW_ACC_GLA | SHADOW_ACC_PT_WALK, SHADOW_GF_EPT_VIOLATION,
		     EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_EXEC |
			 EPT_QUAL_GLA_VALID,
		     1);
	l1m_fini(&m);
}

/* --- NPT ------------------------------------------------------------------------------------- */

static void npt_faults(void **state)
{
	struct shadow_guest_fault gf;
	struct l1_model m;
	u64 *leaf, *pde, saved;

	(void)state;
	model_init(&m, SHADOW_GFMT_NPT, false);
	leaf = map4k(&m, PT_R | PT_W | PT_X | PT_U);
	/* Final page not present; bits 32/33 from the access. */
	saved = *leaf;
	*leaf = 0;
	expect_fault(&m, PT_R, SHADOW_ACC_GLA, SHADOW_GF_NPF, NPF_US | NPF_GUEST_FINAL, 1);
	expect_fault(&m, PT_W, SHADOW_ACC_GLA | SHADOW_ACC_PT_WALK, SHADOW_GF_NPF,
		     NPF_US | NPF_RW | NPF_GUEST_PAGE, 1);
	*leaf = saved;
	/* Table not present. */
	pde = entry(&m, 2);
	saved = *pde;
	*pde = 0;
	expect_fault(&m, PT_R, 0, SHADOW_GF_NPF, NPF_US, 2);
	/* Write to read-only at a table level: protection (P=1). */
	*pde = saved & ~NPT_RW;
	expect_fault(&m, PT_W, 0, SHADOW_GF_NPF, NPF_P | NPF_RW | NPF_US, 1);
	/* U/S clear anywhere: the nested walk is a user access. */
	*pde = saved & ~NPT_US;
	expect_fault(&m, PT_R, 0, SHADOW_GF_NPF, NPF_P | NPF_US, 1);
	*pde = saved;
	/* Execute from NX (EFER.NXE on): ID set. */
	*leaf |= NPT_NX;
	expect_fault(&m, PT_X, 0, SHADOW_GF_NPF, NPF_P | NPF_US | NPF_ID, 1);
	/* Reserved bits: PS in a PML4E; bits 20:13 of a 2 MiB PDE; bit 51 of a PTE. */
	*leaf &= ~NPT_NX;
	*entry(&m, 4) |= NPT_PS;
	expect_fault(&m, PT_R, 0, SHADOW_GF_NPF, NPF_P | NPF_US | NPF_RSV, 4);
	*entry(&m, 4) &= ~NPT_PS;
	*leaf |= BIT(51);
	expect_fault(&m, PT_R, 0, SHADOW_GF_NPF, NPF_P | NPF_US | NPF_RSV, 1);
	*leaf &= ~BIT(51);
	*pde = l1m_leaf_bits(&m, PT_R | PT_U, 2) | pte_pfn_bits(m.f, L2_BASE) | BIT(13);
	expect_fault(&m, PT_R, 0, SHADOW_GF_NPF, NPF_P | NPF_US | NPF_RSV, 2);
	/* Without EFER.NXE, bit 63 is reserved. */
	*pde = saved;
	*leaf |= NPT_NX;
	m.root_flags = 0;
	assert_int_equal(l1m_load_root(&m), 0);
	expect_fault(&m, PT_R, 0, SHADOW_GF_NPF, NPF_P | NPF_US | NPF_RSV, 1);
	*leaf &= ~NPT_NX;
	/* A/D: always on for NPT. */
	*leaf &= ~(NPT_A | NPT_D);
	assert_int_equal(touch(&m, PT_W, 0, &gf), SHADOW_FAULT_MAPPED);
	assert_true((*leaf & (NPT_A | NPT_D)) == (NPT_A | NPT_D));
	l1m_fini(&m);
}

/* --- stage-2 --------------------------------------------------------------------------------- */

static void s2_faults(void **state)
{
	struct shadow_guest_fault gf;
	struct l1_model m;
	u64 *leaf, *l2e, saved;

	(void)state;
	model_init(&m, SHADOW_GFMT_S2, false);
	/* Nothing mapped: translation fault at Arm level 1 (the root). */
	expect_fault(&m, PT_R, 0, SHADOW_GF_S2_ABORT, S2_FSC_TRANSLATION | 1, 3);
	leaf = map4k(&m, PT_R | PT_W);
	/* Final page: invalid at Arm level 3; a write sets WnR. */
	saved = *leaf;
	*leaf = 0;
	expect_fault(&m, PT_W, 0, SHADOW_GF_S2_ABORT, S2_FSC_TRANSLATION | 3 | S2_ISS_WNR, 1);
	/* 0b01 at level 3 is reserved: a translation fault too. */
	*leaf = saved & ~S2_TABLE_OR_PAGE;
	expect_fault(&m, PT_R, 0, SHADOW_GF_S2_ABORT, S2_FSC_TRANSLATION | 3, 1);
	/* Table not present at Arm level 2, during L2's own walk: S1PTW. */
	*leaf = saved;
	l2e = entry(&m, 2);
	u64 saved_l2 = *l2e;
	*l2e = 0;
	expect_fault(&m, PT_R, SHADOW_ACC_PT_WALK, SHADOW_GF_S2_ABORT,
		     S2_FSC_TRANSLATION | 2 | S2_ISS_S1PTW, 2);
	*l2e = saved_l2;
	/* Write to read-only: permission fault at level 3. */
	*leaf = saved & ~S2_S2AP_W;
	expect_fault(&m, PT_W, 0, SHADOW_GF_S2_ABORT, S2_FSC_PERMISSION | 3 | S2_ISS_WNR, 1);
	/* Execute-never: an instruction abort. */
	*leaf = saved | S2_XN;
	assert_int_equal(touch(&m, PT_X, 0, &gf), SHADOW_FAULT_REFLECT);
	assert_int_equal(gf.code, S2_FSC_PERMISSION | 3);
	assert_true(gf.exec);
	/* Execute-only (S2AP 00, XN 0): a read faults, a fetch maps. */
	*leaf = saved & ~(S2_S2AP_R | S2_S2AP_W | S2_XN);
	expect_fault(&m, PT_R, 0, SHADOW_GF_S2_ABORT, S2_FSC_PERMISSION | 3, 1);
	assert_int_equal(touch(&m, PT_X, 0, &gf), SHADOW_FAULT_MAPPED);
	/* AF clear: access flag fault (no hardware AF). */
	shadow_invalidate_all(m.sm);
	assert_int_equal(l1m_load_root(&m), 0);
	*leaf = saved & ~S2_AF;
	expect_fault(&m, PT_R, 0, SHADOW_GF_S2_ABORT, S2_FSC_ACCESS_FLAG | 3, 1);
	/* With VTCR_EL2.HA the walk sets AF itself. */
	m.root_flags = SHADOW_ROOT_HW_AF;
	assert_int_equal(l1m_load_root(&m), 0);
	assert_int_equal(touch(&m, PT_R, 0, &gf), SHADOW_FAULT_MAPPED);
	assert_true(*leaf & S2_AF);
	m.root_flags = 0;
	assert_int_equal(l1m_load_root(&m), 0);
	/* An output address beyond PS (40 bits here, say): address size fault. */
	*leaf = saved | BIT(45);
	struct shadow_root_params rp = {
		.gfmt = SHADOW_GFMT_S2,
		.pointer = gpa_val(gfn_to_gpa(m.root)),
		.levels = 3,
		.pa_bits = 40,
	};
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), 0);
	expect_fault(&m, PT_R, 0, SHADOW_GF_S2_ABORT, S2_FSC_ADDR_SIZE | 3, 1);
	/* A table outside L1 RAM: synchronous external abort on the walk, at that level. */
	*leaf = saved;
	*l2e = (saved_l2 & ~S2_ADDR_MASK) | pte_pfn_bits(m.f, L1_PAGES + 5);
	expect_fault(&m, PT_R, 0, SHADOW_GF_S2_ABORT, S2_FSC_SEA_TTW | 3, 1);
	l1m_fini(&m);
}

/* --- fake -------------------------------------------------------------------------------------- */

static void fake_faults(void **state)
{
	struct l1_model m;
	u64 *leaf, saved;

	(void)state;
	model_init(&m, SHADOW_GFMT_FAKE, false);
	leaf = map4k(&m, PT_R | PT_W | PT_X | PT_U);
	saved = *leaf;
	*leaf = 0;
	expect_fault(&m, PT_R, 0, SHADOW_GF_FAKE,
		     ((u64)FAKE_PT_FAULT_NOT_PRESENT << FAKE_PT_FAULT_SHIFT) |
			 (1 << FAKE_PT_FAULT_LEVEL_SHIFT) | PT_R,
		     1);
	*leaf = saved & ~FAKE_PT_WRITE;
	expect_fault(&m, PT_W, 0, SHADOW_GF_FAKE,
		     ((u64)FAKE_PT_FAULT_PERM << FAKE_PT_FAULT_SHIFT) |
			 (1 << FAKE_PT_FAULT_LEVEL_SHIFT) | PT_W,
		     1);
	*leaf = saved | FAKE_PT_GUEST_RSVD;
	expect_fault(&m, PT_R, 0, SHADOW_GF_FAKE,
		     ((u64)FAKE_PT_FAULT_RSVD << FAKE_PT_FAULT_SHIFT) |
			 (1 << FAKE_PT_FAULT_LEVEL_SHIFT) | PT_R,
		     1);
	/* A huge marker at level 2, where the fake format has no leaves: reserved. */
	*leaf = saved;
	*entry(&m, 2) |= FAKE_PT_HUGE;
	expect_fault(&m, PT_R, 0, SHADOW_GF_FAKE,
		     ((u64)FAKE_PT_FAULT_RSVD << FAKE_PT_FAULT_SHIFT) |
			 (2 << FAKE_PT_FAULT_LEVEL_SHIFT) | PT_R,
		     2);
	*entry(&m, 2) &= ~FAKE_PT_HUGE;
	/* A table outside L1 RAM. */
	*entry(&m, 2) = (*entry(&m, 2) & ~FAKE_PT_PFN_MASK) | pte_pfn_bits(m.f, L1_PAGES + 9);
	expect_fault(&m, PT_R, 0, SHADOW_GF_FAKE,
		     ((u64)FAKE_PT_FAULT_UNREADABLE << FAKE_PT_FAULT_SHIFT) |
			 (1 << FAKE_PT_FAULT_LEVEL_SHIFT) | PT_R,
		     1);
	l1m_fini(&m);
}

/* Root pointers the architecture refuses. */
static void root_pointer_checks(void **state)
{
	struct l1_model m;
	struct shadow_root_params rp = { .gfmt = SHADOW_GFMT_EPT };

	(void)state;
	model_init(&m, SHADOW_GFMT_EPT, false);
	rp.pointer = gpa_val(gfn_to_gpa(m.root)) | EPT_MT_WB | (3 << EPTP_WALK_SHIFT);
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), 0);
	rp.pointer = gpa_val(gfn_to_gpa(m.root)) | 2 | (3 << EPTP_WALK_SHIFT); /* memory type 2 */
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), HV_EINVAL);
	rp.pointer =
	    gpa_val(gfn_to_gpa(m.root)) | EPT_MT_WB | (1 << EPTP_WALK_SHIFT); /* 2 levels */
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), HV_EINVAL);
	rp.pointer = gpa_val(gfn_to_gpa(m.root)) | EPT_MT_WB | (3 << EPTP_WALK_SHIFT) | BIT(8);
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), HV_EINVAL);
	/* A root outside L1 RAM cannot be shadowed (tracked). */
	rp.pointer = (L1_PAGES << PAGE_SHIFT) | EPT_MT_WB | (3 << EPTP_WALK_SHIFT);
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), HV_EFAULT);
	/* Stage-2: only the 3-level, 40-bit layout; the root 8 KiB aligned. */
	rp = (struct shadow_root_params){ .gfmt = SHADOW_GFMT_S2, .levels = 4, .pointer = 0x2000 };
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), HV_ENOSYS);
	rp.levels = 3;
	rp.pointer = 0x3000;
	assert_int_equal(shadow_vcpu_load_root(m.sv, &rp), HV_EINVAL);
	l1m_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ept_faults),  cmocka_unit_test(ept_accessed_dirty),
		cmocka_unit_test(npt_faults),  cmocka_unit_test(s2_faults),
		cmocka_unit_test(fake_faults), cmocka_unit_test(root_pointer_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
