/*
 * Randomised comparison of the engine with a simple oracle, on every
 * format: thousands of random operations (faults, bulk mapping, zap,
 * write-protect, eager split, write tracking, slot add/delete/move, root
 * unload/reload and invalidation, leaf-size limits), shared and exclusive.
 *
 * The oracle is the slot list plus three byte maps over a 4 GiB gfn
 * universe, all trivially correct:
 *   must_map[g]   a fault or bulk map said g is mapped, and nothing since
 *                 could have unmapped it (zap, slot change, invalidation)
 *   may_write[g]  a writable leaf may cover g: cleared by write-protect
 *                 where g is mapped, set again when g is unmapped (any new
 *                 leaf may be writable) or a write fault grants it
 *   tracked       a short list of write-tracked gfns with counts
 * After each operation its own effects are checked (fault outcome and
 * translation, nothing mapped in a zapped range, nothing writable in a
 * protected range, translations unchanged by a split), and every few
 * operations the whole tree: every leaf legal for its slot
 * (mmu_check_vm: frames, type, bounds, read-only, tracking, statistics,
 * pages), every must_map gfn mapped with the right frame, every writable
 * leaf over may_write gfns only.
 *
 * MMU_RANDOM_SEED and MMU_RANDOM_OPS override the seed and the count.
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

#include "capture_console.h"
#include "mmu_test.h"
#include "oracle_slots.h"

#define UNIVERSE         (1ull << 20) /* gfns: 4 GiB */
#define GIB_PAGES        ORACLE_GIB_PAGES
#define MAX_SLOTS        5
#define MAX_TRACKED      16
#define FULL_CHECK_EVERY 20

struct otrack {
	gfn_t gfn;
	unsigned count;
};

struct oracle {
	struct mmu_env env;
	u64 rng;
	struct oslot slots[MAX_SLOTS];
	struct otrack tracked[MAX_TRACKED];
	unsigned tracked_count;
	u8 vm_max;
	u8 *must_map;
	u8 *may_write;
	unsigned long ops, faults_mapped, zaps, protects, splits, slot_changes;
	gfn_t range_start, range_end; /* for the leaf callbacks */
};

static u64 rnd_below(struct oracle *o, u64 n)
{
	return oracle_rnd_below(&o->rng, n);
}

static const struct oslot *oslot_at_gfn(const struct oracle *o, gfn_t g)
{
	return oslot_at(o->slots, MAX_SLOTS, g);
}

static struct otrack *otrack_find(struct oracle *o, gfn_t g)
{
	for (unsigned i = 0; i < o->tracked_count; i++)
		if (o->tracked[i].gfn == g)
			return &o->tracked[i];
	return NULL;
}

static bool otracked_in(const struct oracle *o, gfn_t first, u64 pages)
{
	for (unsigned i = 0; i < o->tracked_count; i++)
		if (o->tracked[i].gfn >= first && o->tracked[i].gfn - first < pages)
			return true;
	return false;
}

/* The largest leaf level the rules allow at g (what a fault should not exceed). */
static int oracle_max_level(const struct oracle *o, const struct oslot *s, gfn_t g)
{
	const struct pt_format *f = o->env.fmt;
	int max = MIN((int)f->levels, o->vm_max ? (int)o->vm_max : PT_MAX_LEVELS);

	if (s->max_level)
		max = MIN(max, (int)s->max_level);
	for (int level = max; level > 1; level--) {
		u64 pages = pt_level_pages(level);
		gfn_t first = ALIGN_DOWN(g, pages);

		if (!pt_level_can_be_leaf(f, level) || first < s->gfn ||
		    first + pages > s->gfn + s->pages || ((s->pfn - s->gfn) & (pages - 1)) ||
		    otracked_in(o, first, pages))
			continue;
		return level;
	}
	return 1;
}

static bool xlate(struct oracle *o, gfn_t g, struct mmu_translation *t)
{
	return mmu_translate(o->env.vm, mmu_env_root(&o->env), g, t);
}

static void set_range(u8 *map, gfn_t start, gfn_t end, u8 v)
{
	start = MIN(start, UNIVERSE);
	end = MIN(end, UNIVERSE);
	if (end > start)
		memset(map + start, v, end - start);
}

/* The gfn range [s, e) widened to whole leaves at both ends (what a zap removes). */
static void widen_to_leaves(struct oracle *o, gfn_t *s, gfn_t *e)
{
	struct mmu_translation t;

	if (xlate(o, *s, &t))
		*s = MIN(*s, t.leaf_gfn);
	if (*e > 0 && xlate(o, *e - 1, &t))
		*e = MAX(*e, t.leaf_gfn + pt_level_pages(t.level));
}

/* Everything in [s, e) became unmapped. */
static void forget_range(struct oracle *o, gfn_t s, gfn_t e)
{
	set_range(o->must_map, s, e, 0);
	set_range(o->may_write, s, e, 1);
}

static void expect_unmapped(struct oracle *o, gfn_t s, gfn_t e, const char *why)
{
	/* Probe the ends and a spread of points; the full check walks the rest. */
	for (int k = 0; k <= 16; k++) {
		gfn_t g = s + (e - s - 1) * (u64)k / 16;
		struct mmu_translation t;

		if (e > s && xlate(o, g, &t))
			fail_msg("%s: gfn %#llx still mapped after %s [%#llx, %#llx)",
				 o->env.fmt->name, (unsigned long long)g, why,
				 (unsigned long long)s, (unsigned long long)e);
	}
}

/* --- the whole-tree check ----------------------------------------------------------------- */

static void leaf_may_write(void *arg, gfn_t first, int level, pfn_t pfn, struct pt_attr attr)
{
	struct oracle *o = arg;
	gfn_t end = MIN(first + pt_level_pages(level), UNIVERSE);

	(void)pfn;
	if (!(attr.perm & PT_W))
		return;
	for (gfn_t x = first; x < end; x++)
		if (!o->may_write[x])
			fail_msg("%s: leaf L%d at %#llx writable over protected gfn %#llx",
				 o->env.fmt->name, level, (unsigned long long)first,
				 (unsigned long long)x);
}

static void full_check(struct oracle *o)
{
	struct mmu_translation t;

	mmu_check_vm(o->env.vm, o->env.pages_at_start, 0);
	for (gfn_t g = 0; g < UNIVERSE; g++) {
		const struct oslot *s;

		if (!o->must_map[g])
			continue;
		s = oslot_at_gfn(o, g);
		if (!xlate(o, g, &t))
			fail_msg("%s: gfn %#llx should be mapped", o->env.fmt->name,
				 (unsigned long long)g);
		assert_non_null(s);
		assert_int_equal(t.pfn, s->pfn + (g - s->gfn));
		/* The rest of this leaf was just checked too. */
		g = t.leaf_gfn + pt_level_pages(t.level) - 1;
	}
	/* Writable leaves cover may_write gfns only. */
	mmu_test_for_each_leaf(o->env.vm, mmu_env_root(&o->env), 0, UNIVERSE, leaf_may_write, o);
}

/* --- operations ---------------------------------------------------------------------------- */

static gfn_t pick_gfn(struct oracle *o)
{
	return oslot_pick_gfn(&o->rng, o->slots, MAX_SLOTS, UNIVERSE);
}

static void op_fault(struct oracle *o)
{
	static const u8 accesses[] = { PT_R, PT_W, PT_X, PT_R | PT_W };
	gfn_t g = pick_gfn(o);
	u8 access = accesses[rnd_below(o, ARRAY_SIZE(accesses))];
	const struct oslot *s = oslot_at_gfn(o, g);
	struct mmu_translation t;
	bool was_mapped = xlate(o, g, &t);
	enum mmu_fault_result want, got = mmu_fault(o->env.vc, gfn_to_gpa(g), access);

	if (!s || (s->flags & MMU_SLOT_MMIO))
		want = MMU_FAULT_MMIO;
	else if ((access & PT_W) && (s->flags & MMU_SLOT_READONLY))
		want = MMU_FAULT_READONLY;
	else if ((access & PT_W) && otrack_find(o, g))
		want = MMU_FAULT_EMULATE;
	else
		want = got == MMU_FAULT_SPURIOUS ? MMU_FAULT_SPURIOUS : MMU_FAULT_MAPPED;
	if (got != want)
		fail_msg("%s: fault %#llx access %u: %s, want %s", o->env.fmt->name,
			 (unsigned long long)g, access, mmu_fault_result_name(got),
			 mmu_fault_result_name(want));
	if (want != MMU_FAULT_MAPPED && want != MMU_FAULT_SPURIOUS)
		return;
	o->faults_mapped++;
	assert_true(xlate(o, g, &t));
	assert_int_equal(t.pfn, s->pfn + (g - s->gfn));
	assert_true((t.attr.perm & access) == access);
	/* A new leaf obeys today's rules (an older one may predate a limit or a tracker). */
	if (!was_mapped && t.level > oracle_max_level(o, s, g))
		fail_msg("%s: fault %#llx mapped at level %d, rules allow %d", o->env.fmt->name,
			 (unsigned long long)g, t.level, oracle_max_level(o, s, g));
	o->must_map[g] = 1;
	if (access & PT_W)
		set_range(o->may_write, t.leaf_gfn, t.leaf_gfn + pt_level_pages(t.level), 1);
}

static void op_map(struct oracle *o)
{
	gfn_t g = pick_gfn(o);
	u64 n = 1 + rnd_below(o, 2048);
	u64 mapped;

	assert_int_equal(mmu_map_range(o->env.vc, g, n, PT_R, oracle_pick_shared(&o->rng), &mapped),
			 0);
	for (gfn_t x = g; x < g + n && x < UNIVERSE; x++) {
		const struct oslot *s = oslot_at_gfn(o, x);

		if (s && !(s->flags & MMU_SLOT_MMIO))
			o->must_map[x] = 1;
	}
}

static void op_zap(struct oracle *o)
{
	gfn_t s = pick_gfn(o), e;
	u64 n = oracle_pick_count(&o->rng);
	u32 flags = oracle_pick_shared(&o->rng) | (rnd_below(o, 3) ? 0 : MMU_ZAP_LEAVES_ONLY);
	gfn_t ws, we;

	e = MIN(s + n, UNIVERSE);
	ws = s;
	we = e;
	widen_to_leaves(o, &ws, &we);
	assert_int_equal(mmu_zap_range(o->env.vm, s, e - s, flags), 0);
	expect_unmapped(o, s, e, "zap");
	forget_range(o, ws, we);
	o->zaps++;
}

/* Protection applies to what is mapped now; later new leaves may be writable. */
static void leaf_protected(void *arg, gfn_t first, int level, pfn_t pfn, struct pt_attr attr)
{
	struct oracle *o = arg;

	(void)pfn;
	(void)attr;
	set_range(o->may_write, MAX(first, o->range_start),
		  MIN(first + pt_level_pages(level), o->range_end), 0);
}

static void op_protect(struct oracle *o)
{
	gfn_t s = pick_gfn(o), e;
	struct mmu_translation t;

	e = MIN(s + oracle_pick_count(&o->rng), UNIVERSE);
	assert_int_equal(mmu_protect_range(o->env.vm, s, e - s, oracle_pick_shared(&o->rng)), 0);
	for (int k = 0; k <= 16; k++) {
		gfn_t g = s + (e - s - 1) * (u64)k / 16;

		if (xlate(o, g, &t) && (t.attr.perm & PT_W))
			fail_msg("%s: gfn %#llx writable after protect", o->env.fmt->name,
				 (unsigned long long)g);
	}
	o->range_start = s;
	o->range_end = e;
	mmu_test_for_each_leaf(o->env.vm, mmu_env_root(&o->env), s, e, leaf_protected, o);
	o->protects++;
}

static void op_split(struct oracle *o)
{
	gfn_t s = pick_gfn(o);
	u64 n = 1 + rnd_below(o, 1024);
	int level = 1 + (int)rnd_below(o, 2);
	struct mmu_translation before[3], after;
	bool had[3];
	const gfn_t probe[3] = { s, s + n / 2, s + n - 1 };

	for (int k = 0; k < 3; k++)
		had[k] = xlate(o, probe[k], &before[k]);
	assert_int_equal(mmu_split_range(o->env.vm, s, n, level, oracle_pick_shared(&o->rng)), 0);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(xlate(o, probe[k], &after), had[k]);
		if (!had[k])
			continue;
		assert_int_equal(after.pfn, before[k].pfn);
		assert_int_equal(after.attr.perm, before[k].attr.perm);
		assert_true(after.level <= MAX(level, 1) || after.level == before[k].level ||
			    !pt_level_can_be_leaf(o->env.fmt, after.level - 1));
	}
	o->splits++;
}

static void op_track(struct oracle *o)
{
	struct mmu_translation t;
	gfn_t g;

	if (o->tracked_count && rnd_below(o, 2)) {
		struct otrack *tr = &o->tracked[rnd_below(o, o->tracked_count)];

		g = tr->gfn;
		assert_int_equal(mmu_track_remove(o->env.vm, g), 0);
		if (!--tr->count)
			*tr = o->tracked[--o->tracked_count];
		assert_int_equal(mmu_track_is_tracked(o->env.vm, g), otrack_find(o, g) != NULL);
		return;
	}
	g = pick_gfn(o);
	{
		const struct oslot *s = oslot_at_gfn(o, g);
		struct otrack *tr = otrack_find(o, g);
		int r;

		capture_console_start();
		r = mmu_track_add(o->env.vm, g);
		capture_console_stop();
		if (!s || (s->flags & MMU_SLOT_MMIO)) {
			assert_int_equal(r, HV_ENOENT);
			return;
		}
		if (!tr && o->tracked_count == MAX_TRACKED) {
			/* Keep the list short: undo. */
			assert_int_equal(r, 0);
			assert_int_equal(mmu_track_remove(o->env.vm, g), 0);
			return;
		}
		assert_int_equal(r, 0);
		if (tr) {
			tr->count++;
		} else {
			o->tracked[o->tracked_count].gfn = g;
			o->tracked[o->tracked_count].count = 1;
			o->tracked_count++;
		}
		if (xlate(o, g, &t))
			assert_false(t.attr.perm & PT_W);
	}
}

/* Slot bases and frames with a chosen alignment, so every leaf size gets used. */
static void pick_slot(struct oracle *o, struct oslot *s)
{
	static const u64 aligns[] = { 1, 1ull << 9, 1ull << 18 };
	u64 align = aligns[rnd_below(o, 3)];
	u64 congruence = aligns[rnd_below(o, 3)];

	s->gfn = ALIGN_DOWN(rnd_below(o, UNIVERSE), align);
	switch (rnd_below(o, 3)) {
	case 0:
		s->pages = 1 + rnd_below(o, 4096);
		break;
	case 1:
		s->pages = (1ull << 9) * (1 + rnd_below(o, 64));
		break;
	default:
		s->pages = GIB_PAGES * (1 + rnd_below(o, 2));
		break;
	}
	s->pages = MIN(s->pages, UNIVERSE - s->gfn);
	/* Frames congruent to the gfn modulo `congruence`, off by a page otherwise. */
	s->pfn = 0x1000000 + rnd_below(o, 64) * (1ull << 18) + (s->gfn & (congruence - 1));
	if (congruence == 1)
		s->pfn += 1;
	s->flags = 0;
	if (!rnd_below(o, 6))
		s->flags = MMU_SLOT_READONLY;
	else if (!rnd_below(o, 10))
		s->flags = MMU_SLOT_MMIO;
	s->max_level = rnd_below(o, 5) ? 0 : (u8)(1 + rnd_below(o, 3));
}

static bool overlaps(const struct oracle *o, const struct oslot *n, const struct oslot *except)
{
	return oslot_overlaps(o->slots, MAX_SLOTS, n, except);
}

static void tracked_drop_range(struct oracle *o, gfn_t s, u64 pages)
{
	for (unsigned i = 0; i < o->tracked_count;) {
		if (o->tracked[i].gfn >= s && o->tracked[i].gfn - s < pages)
			o->tracked[i] = o->tracked[--o->tracked_count];
		else
			i++;
	}
}

static void tracked_shift_range(struct oracle *o, gfn_t s, u64 pages, gfn_t to)
{
	for (unsigned i = 0; i < o->tracked_count; i++)
		if (o->tracked[i].gfn >= s && o->tracked[i].gfn - s < pages)
			o->tracked[i].gfn = o->tracked[i].gfn - s + to;
}

static void op_slot(struct oracle *o)
{
	struct oslot *s = &o->slots[rnd_below(o, MAX_SLOTS)];
	u32 id = (u32)(s - o->slots) + 1;
	int r;

	o->slot_changes++;
	capture_console_start();
	if (!s->used) {
		struct oslot n;
		struct mmu_slot_params p;

		pick_slot(o, &n);
		p = (struct mmu_slot_params){ id,
					      gfn_to_gpa(n.gfn),
					      n.pages << PAGE_SHIFT,
					      pfn_to_hpa(n.pfn),
					      n.flags,
					      PT_MT_WB,
					      n.max_level };
		r = mmu_slot_add(o->env.vm, &p);
		capture_console_stop();
		if (overlaps(o, &n, NULL)) {
			assert_int_equal(r, HV_EOVERLAP);
			return;
		}
		assert_int_equal(r, 0);
		n.used = true;
		n.id = id;
		*s = n;
		forget_range(o, n.gfn, n.gfn + n.pages);
	} else if (rnd_below(o, 2)) {
		r = mmu_slot_delete(o->env.vm, id);
		capture_console_stop();
		assert_int_equal(r, 0);
		expect_unmapped(o, s->gfn, s->gfn + s->pages, "slot delete");
		forget_range(o, s->gfn, s->gfn + s->pages);
		/* Tracking dies with the slot. */
		tracked_drop_range(o, s->gfn, s->pages);
		s->used = false;
	} else {
		struct oslot n = *s;

		/* Stay inside the universe the oracle's maps cover. */
		n.gfn = ALIGN_DOWN(rnd_below(o, UNIVERSE - n.pages + 1),
				   rnd_below(o, 2) ? 1ull << 9 : 1);
		r = mmu_slot_move(o->env.vm, id, gfn_to_gpa(n.gfn));
		capture_console_stop();
		if (overlaps(o, &n, s)) {
			assert_int_equal(r, HV_EOVERLAP);
			return;
		}
		assert_int_equal(r, 0);
		expect_unmapped(o, s->gfn, s->gfn + s->pages, "slot move");
		forget_range(o, s->gfn, s->gfn + s->pages);
		tracked_shift_range(o, s->gfn, s->pages, n.gfn);
		*s = n;
		forget_range(o, n.gfn, MIN(n.gfn + n.pages, UNIVERSE));
	}
}

static void op_roots(struct oracle *o)
{
	switch (rnd_below(o, 3)) {
	case 0:
		/* Preserved: same root, same mappings. */
		mmu_vcpu_unload_all(o->env.vc);
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.role), 0);
		break;
	case 1:
		/* A detour through another role and back. */
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.role | MMU_ROLE_SMM), 0);
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.role), 0);
		break;
	default:
		mmu_invalidate_all_roots(o->env.vm);
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.role), 0);
		forget_range(o, 0, UNIVERSE);
		break;
	}
}

static void op_knob(struct oracle *o)
{
	o->vm_max = (u8)rnd_below(o, 4); /* 0: no limit */
	mmu_vm_set_max_level(o->env.vm, o->vm_max);
}

static void run(const struct pt_format *f, u64 seed, unsigned long ops)
{
	struct oracle *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	o->rng = seed;
	o->must_map = calloc(UNIVERSE, 1);
	o->may_write = malloc(UNIVERSE);
	assert_non_null(o->must_map);
	assert_non_null(o->may_write);
	memset(o->may_write, 1, UNIVERSE);
	mmu_env_init(&o->env, f, true);
	for (int i = 0; i < 3; i++)
		op_slot(o);
	for (o->ops = 0; o->ops < ops; o->ops++) {
		u64 dice = rnd_below(o, 100);

		if (dice < 45)
			op_fault(o);
		else if (dice < 52)
			op_map(o);
		else if (dice < 62)
			op_zap(o);
		else if (dice < 72)
			op_protect(o);
		else if (dice < 78)
			op_split(o);
		else if (dice < 86)
			op_track(o);
		else if (dice < 93)
			op_slot(o);
		else if (dice < 97)
			op_roots(o);
		else
			op_knob(o);
		if (o->ops % FULL_CHECK_EVERY == 0)
			full_check(o);
	}
	full_check(o);
	while (o->tracked_count) {
		assert_int_equal(mmu_track_remove(o->env.vm, o->tracked[0].gfn), 0);
		if (!--o->tracked[0].count)
			o->tracked[0] = o->tracked[--o->tracked_count];
	}
	print_message("  %-6s seed %#llx: %lu ops, %lu faults mapped, %lu zaps, %lu protects, "
		      "%lu splits, %lu slot changes\n",
		      f->name, (unsigned long long)seed, o->ops, o->faults_mapped, o->zaps,
		      o->protects, o->splits, o->slot_changes);
	mmu_env_fini(&o->env);
	free(o->must_map);
	free(o->may_write);
	free(o);
}

/* One cmocka test per format; the state is the format. */
static void random_against_oracle(void **state)
{
	const struct pt_format *f = *state;
	const char *seed_env = getenv("MMU_RANDOM_SEED");
	const char *ops_env = getenv("MMU_RANDOM_OPS");
	u64 seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed0000;
	unsigned long ops = ops_env ? strtoul(ops_env, NULL, 0) : 4000;

	/* A different, fixed stream per format. */
	for (const char *c = f->name; *c; c++)
		seed = seed * 31 + (u8)*c;
	run(f, seed, ops);
}

#define FORMAT_TEST(fmt)                                                                           \
	{                                                                                          \
		"random_against_oracle_" #fmt, random_against_oracle, NULL, NULL,                  \
		    (void *)&pt_format_##fmt                                                       \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FORMAT_TEST(ept4), FORMAT_TEST(ept5),  FORMAT_TEST(npt4),
		FORMAT_TEST(npt5), FORMAT_TEST(s2_40), FORMAT_TEST(fake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
