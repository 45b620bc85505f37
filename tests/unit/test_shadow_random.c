/*
 * Randomised check of L2 GPA -> host PA against an oracle, on every guest
 * format: thousands of random L1 table edits (map 4 KiB and huge leaves with
 * random grants, unmap, point a table entry elsewhere, clear a table),
 * L1 flushes, root switches, invalidate-all, write tracking of random gfns
 * and L2 faults with random accesses.
 *
 * The oracle walks L1's tables by brute force (plain reads of L1 RAM, no
 * shadow code) and composes with L1's memslot (identity here: L1 gfn g is
 * host frame ram + g). After every L1 flush (when no shadow page may be
 * stale any more) every shadow leaf of the current root is checked:
 *   - the oracle maps its L2 gfn, to the same host frame;
 *   - it grants nothing the oracle's grants do not (write only if the
 *     oracle allows it and the gfn is not write-tracked).
 * Each L2 fault's outcome is checked too: MAPPED/SPURIOUS only where the
 * oracle allows the access (then the translation is right), REFLECT only
 * where it does not.
 *
 * SHADOW_RANDOM_SEED and SHADOW_RANDOM_OPS override the seed and the count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mm.h>
#include <hv/random.h>

#include "../../vmm/mmu/shadow/shadow_internal.h"
#include "l1_model.h"

#define L1_PAGES   (1ull << 20)
#define POOL_PAGES 8192ull
#define L2_BASE    0x40000ull
#define L2_SPAN    (3ull << 18) /* L2 gfns used: 3 GiB */

static u64 rng;
static gfn_t recent[64]; /* L2 gfns L1 mapped lately */

static u64 rnd(void)
{
	return xorshift64s(&rng);
}

static u64 env_u64(const char *name, u64 dflt)
{
	const char *v = getenv(name);

	return v ? strtoull(v, NULL, 0) : dflt;
}

/* The oracle: walk L1's table; the L1 gfn and grants, or false. */
static bool oracle(struct l1_model *m, gfn_t l2, gfn_t *l1, u8 *perm)
{
	const struct gfmt_ops *ops = gfmt_ops_of(m->kind);
	struct gwalk_cfg cfg = {
		.kind = m->kind,
		.fmt = m->f,
		.levels = m->levels,
		.pa_bits = 52,
		.flags = m->root_flags,
	};
	gfn_t table = m->root;
	u8 p = PT_R | PT_W | PT_X | PT_U;

	if (m->kind == SHADOW_GFMT_S2)
		cfg.pa_bits = 48;
	for (int level = m->levels; level >= 1; level--) {
		pte_t e = *l1m_ptr(
		    m, gpa(gpa_val(gfn_to_gpa(table)) + pt_index(m->f, l2, level) * sizeof(pte_t)));
		bool leaf = false;

		if (ops->check(&cfg, e, level, &leaf) != GW_OK)
			return false;
		if (leaf) {
			p &= m->f->decode(m->f, e, level).perm;
			*l1 = pte_leaf_pfn(m->f, e, level) + (l2 & (pt_level_pages(level) - 1));
			*perm = p;
			return true;
		}
		p &= ops->table_perm(&cfg, e);
		table = pte_pfn(m->f, e);
	}
	return false;
}

static void check_all_leaves(struct l1_model *m)
{
	struct shadow_page *root = m->sv->root;
	u64 leaves = 0;

	if (!root || sp_is_zapped(root))
		return;
	/* Every 4 KiB of every shadow leaf would be slow: sample each leaf's first and last page. */
	for (gfn_t g = 0; g < L2_SPAN;) {
		struct mmu_translation t;
		gfn_t l1;
		u8 perm;

		if (!shadow_translate(m->sv, gfn_to_gpa(g), &t)) {
			g += 512 - (g & 511);
			continue;
		}
		leaves++;
		for (int k = 0; k < 2; k++) {
			gfn_t x = k ? t.leaf_gfn + pt_level_pages(t.level) - 1 : t.leaf_gfn;
			struct mmu_translation tx;

			if (x < g)
				continue;
			assert_true(shadow_translate(m->sv, gfn_to_gpa(x), &tx));
			if (!oracle(m, x, &l1, &perm))
				fail_msg("L2 gfn %#llx mapped by the shadow, not by L1",
					 (unsigned long long)x);
			if (tx.pfn != hpa_to_pfn(virt_to_phys(m->ram)) + l1)
				fail_msg("L2 gfn %#llx: shadow frame %#llx, oracle L1 gfn %#llx",
					 (unsigned long long)x, (unsigned long long)tx.pfn,
					 (unsigned long long)l1);
			if ((tx.attr.perm & PT_W) && !(perm & PT_W))
				fail_msg("L2 gfn %#llx writable in the shadow, not in L1",
					 (unsigned long long)x);
			if ((tx.attr.perm & PT_W) && mmu_track_is_tracked(m->vm, l1))
				fail_msg("L2 gfn %#llx writable over tracked L1 gfn %#llx",
					 (unsigned long long)x, (unsigned long long)l1);
			if ((tx.attr.perm & PT_X) && !(perm & PT_X))
				fail_msg("L2 gfn %#llx executable in the shadow, not in L1",
					 (unsigned long long)x);
		}
		g = t.leaf_gfn + pt_level_pages(t.level);
	}
	(void)leaves;
}

static gfn_t random_l2(void)
{
	/* Clustered: 3 GiB, 4 2 MiB regions each, 64 pages each: tables shared, pages reused. */
	return ((rnd() % 3) << 18) | ((rnd() % 4) << 9) | (rnd() % 64);
}

static u8 random_perm(struct l1_model *m)
{
	static const u8 perms[] = { PT_R, PT_R | PT_W, PT_R | PT_X, PT_R | PT_W | PT_X };
	u8 p = perms[rnd() % ARRAY_SIZE(perms)];

	(void)m;
	return p | PT_U;
}

static void random_edit(struct l1_model *m)
{
	gfn_t l2 = random_l2();
	unsigned what = rnd() % 10;
	gpa_t at;

	if (what < 5) {
		/* Map 4 KiB (tables made as needed). */
		at = l1m_entry_gpa(m, l2, 2);
		if (at.v && pte_is_present_leaf(m->f, *l1m_ptr(m, at), 2))
			return;
		if (!at.v && (at = l1m_entry_gpa(m, l2, 3)).v &&
		    pte_is_present_leaf(m->f, *l1m_ptr(m, at), 3))
			return;
		l1m_map(m, l2, L2_BASE + l2, 1, l1m_leaf_bits(m, random_perm(m), 1));
		recent[rnd() % ARRAY_SIZE(recent)] = l2;
	} else if (what < 6 && pt_level_can_be_leaf(m->f, 2)) {
		/* A 2 MiB leaf where no table is. */
		at = l1m_entry_gpa(m, l2, 2);
		if (at.v && !pte_is_present(m->f, *l1m_ptr(m, at))) {
			gfn_t base = l2 & ~511ull;

			l1m_write(m, at,
				  l1m_leaf_bits(m, random_perm(m), 2) |
				      pte_pfn_bits(m->f, L2_BASE + base));
		}
	} else if (what < 7) {
		/* Unmap: clear an entry, mostly a leaf, sometimes a table with its subtree. */
		int level = rnd() % 8 ? 1 : 2 + (int)(rnd() % 2);

		at = l1m_entry_gpa(m, l2, level);
		if (at.v)
			l1m_write(m, at, 0);
	} else if (what < 9) {
		/* Change a present leaf's grants in place (twice as often). */
		at = l1m_entry_gpa(m, l2, 1);
		if (at.v && pte_is_present(m->f, *l1m_ptr(m, at)))
			l1m_write(m, at,
				  l1m_leaf_bits(m, random_perm(m), 1) |
				      pte_pfn_bits(m->f, L2_BASE + l2));
	} else {
		/* Point a leaf at another page (a remap). */
		at = l1m_entry_gpa(m, l2, 1);
		if (at.v && pte_is_present(m->f, *l1m_ptr(m, at)))
			l1m_write(m, at,
				  l1m_leaf_bits(m, random_perm(m), 1) |
				      pte_pfn_bits(m->f, rnd() % (L1_PAGES - 1)));
	}
}

static void random_fault(struct l1_model *m)
{
	static const u8 accesses[] = { PT_R, PT_W, PT_X, PT_R | PT_W };
	/* Mostly pages L1 mapped lately, read: most of those faults map. */
	bool again = rnd() % 3;
	gfn_t l2 = again ? recent[rnd() % ARRAY_SIZE(recent)] : random_l2();
	u8 access = again ? PT_R : accesses[rnd() % ARRAY_SIZE(accesses)];
	struct shadow_fault_info info;
	enum shadow_fault_result r;
	struct mmu_translation t;
	gfn_t l1;
	u8 perm;
	bool ok;

	r = shadow_fault(m->sv, gfn_to_gpa(l2), access, 0, &info);
	if (r == SHADOW_FAULT_RETRY) {
		assert_int_equal(l1m_load_root(m), 0);
		r = shadow_fault(m->sv, gfn_to_gpa(l2), access, 0, &info);
	}
	ok = oracle(m, l2, &l1, &perm);
	if (ok && m->kind == SHADOW_GFMT_NPT)
		ok = perm & PT_U;
	ok = ok && (perm & access) == access;
	switch (r) {
	case SHADOW_FAULT_MAPPED:
	case SHADOW_FAULT_SPURIOUS:
		if (!ok)
			fail_msg("L2 gfn %#llx access %u mapped; L1 forbids it",
				 (unsigned long long)l2, access);
		assert_true(shadow_translate(m->sv, gfn_to_gpa(l2), &t));
		assert_int_equal(t.pfn, hpa_to_pfn(virt_to_phys(m->ram)) + l1);
		assert_int_equal(t.attr.perm & access, access);
		break;
	case SHADOW_FAULT_REFLECT:
		if (ok)
			fail_msg("L2 gfn %#llx access %u reflected; L1 allows it",
				 (unsigned long long)l2, access);
		break;
	case SHADOW_FAULT_EMULATE:
		assert_true(ok && (access & PT_W) && mmu_track_is_tracked(m->vm, l1));
		break;
	default:
		fail_msg("unexpected fault result %s", shadow_fault_result_name(r));
	}
}

static void random_run(enum shadow_gfmt kind, u64 seed, u64 ops)
{
	struct shadow_config sc = { .max_pages = 16 }; /* small: recycling happens */
	struct l1m_params p = {
		.kind = kind,
		.ram_pages = L1_PAGES,
		.pool_pages = POOL_PAGES,
		.l2_base_gfn = L2_BASE,
		.shadow = &sc,
	};
	gfn_t roots[2];
	struct l1_model m;

	rng = seed | 1;
	assert_int_equal(l1m_init(&m, &p), 0);
	assert_int_equal(l1m_new_root(&m), 0);
	roots[0] = m.root;
	roots[1] = l1m_alloc_table(&m, m.f->root_pages);
	for (u64 i = 0; i < ops; i++) {
		unsigned what = rnd() % 100;

		if (what < 45) {
			random_fault(&m);
		} else if (what < 85) {
			random_edit(&m);
		} else if (what < 93) {
			shadow_flush(m.sv, rnd() % 2 ? SHADOW_FLUSH_ALL : SHADOW_FLUSH_CONTEXT,
				     gpa(0));
			check_all_leaves(&m);
		} else if (what < 96) {
			/* L1 switches between its two roots (two L2s). */
			m.root = roots[m.root == roots[0]];
			assert_int_equal(l1m_load_root(&m), 0);
			check_all_leaves(&m);
		} else if (what < 97) {
			shadow_invalidate_all(m.sm);
		} else {
			/* Our side tracks or untracks a random L2 data page in L1. */
			gfn_t g = L2_BASE + random_l2();

			if (mmu_track_is_tracked(m.vm, g))
				assert_int_equal(mmu_track_remove(m.vm, g), 0);
			else
				assert_int_equal(mmu_track_add(m.vm, g), 0);
		}
	}
	shadow_flush(m.sv, SHADOW_FLUSH_ALL, gpa(0));
	check_all_leaves(&m);
	struct shadow_stats st;
	shadow_stats_read(m.sm, &st);
	print_message("%s: faults mapped %llu reflected %llu emulate %llu; emulated L1 writes "
		      "%llu, direct %llu; syncs %llu; pages zapped by quota %llu, now %llu\n",
		      m.f->name, (unsigned long long)st.count[SHADOW_STAT_FAULT_MAPPED],
		      (unsigned long long)st.count[SHADOW_STAT_FAULT_REFLECT],
		      (unsigned long long)st.count[SHADOW_STAT_FAULT_EMULATE],
		      (unsigned long long)m.writes_emulated, (unsigned long long)m.writes_direct,
		      (unsigned long long)st.count[SHADOW_STAT_SYNC],
		      (unsigned long long)st.count[SHADOW_STAT_ZAP_QUOTA],
		      (unsigned long long)st.pages);
	/* The run did something of each kind. */
	assert_true(st.count[SHADOW_STAT_FAULT_MAPPED] > ops / 20);
	assert_true(st.count[SHADOW_STAT_FAULT_REFLECT] > 0);
	assert_true(m.writes_emulated > ops / 50);
	l1m_fini(&m);
}

static void random_against_oracle(void **state)
{
	static const enum shadow_gfmt kinds[] = { SHADOW_GFMT_EPT, SHADOW_GFMT_NPT, SHADOW_GFMT_S2,
						  SHADOW_GFMT_FAKE };
	u64 seed = env_u64("SHADOW_RANDOM_SEED", 0x5eed0004);
	u64 ops = env_u64("SHADOW_RANDOM_OPS", 3000);

	(void)state;
	print_message("seed %#llx, %llu operations per format\n", (unsigned long long)seed,
		      (unsigned long long)ops);
	for (unsigned k = 0; k < ARRAY_SIZE(kinds); k++)
		random_run(kinds[k], seed + k, ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_against_oracle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
