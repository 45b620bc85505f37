/*
 * Random operations on a VM with a mirror root, with the external table
 * module failing calls on purpose, on every format. Operations: faults
 * (read, write, execute), bulk mapping, zap (leaves only or with tables),
 * write-protect, eager split (each shared or exclusive), slot add, delete
 * and move, the VM's leaf-size limit, root unload and reload, a detour
 * through a normal root and root invalidation. Before each operation the
 * module gets a new failure setting: off, random at 5 % or 30 %, every
 * call (the hook fails persistently), or a refusal every few calls.
 *
 * After every operation, whether it succeeded or failed:
 *   - the mirror and the external table agree entry by entry and no
 *     mirror entry is frozen (mirror_compare), and the module's audit
 *     passes;
 *   - what the operation promised when it returned 0 holds (a mapped
 *     fault translates to the slot's frame, a zapped range translates
 *     nowhere, a protected one is read-only, a split changed no
 *     translation), and a failed slot change left the slot where it was;
 * and every few operations, and at the end, every leaf of every root is
 * legal for its slot and the statistics and page counts match the trees
 * (mirror_check_vm). At the end the VM is destroyed, the external table
 * must be empty, and every page must have come back (ASan watches for
 * use after free throughout).
 *
 * MIRROR_RANDOM_SEED and MIRROR_RANDOM_OPS override the seed and the count.
 * The totals (operations, hook calls, injected failures, rollbacks) are
 * printed per format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mm.h>
#include <hv/random.h>

#include "capture_console.h"
#include "mirror_test.h"
#include "oracle_slots.h"

#define UNIVERSE         (1ull << 20) /* gfns: 4 GiB */
#define GIB_PAGES        ORACLE_GIB_PAGES
#define MAX_SLOTS        4
#define FULL_CHECK_EVERY 25

struct run {
	struct mirror_env env;
	u64 rng;
	struct oslot slots[MAX_SLOTS];
	bool on_normal; /* the vCPU's current root is the normal one */
	u64 compared;   /* mirror entries compared with the external table, in all */
	u64 max_leaves; /* most leaves the mirror held after an operation */
	unsigned long ops, failed_ops, faults_mapped;
	char why[256];
};

static u64 rnd_below(struct run *o, u64 n)
{
	return oracle_rnd_below(&o->rng, n);
}

static const struct oslot *oslot_at_gfn(const struct run *o, gfn_t g)
{
	return oslot_at(o->slots, MAX_SLOTS, g);
}

static gfn_t pick_gfn(struct run *o)
{
	return oslot_pick_gfn(&o->rng, o->slots, MAX_SLOTS, UNIVERSE);
}

static bool xlate(struct run *o, gfn_t g, struct mmu_translation *t)
{
	return mmu_translate(o->env.vm, mirror_env_root(&o->env), g, t);
}

/* --- failure settings ---------------------------------------------------------------------- */

static void pick_injection(struct run *o)
{
	struct tmod_inject inj = { .mode = TMOD_INJECT_OFF };
	u64 dice = rnd_below(o, 100);

	if (dice < 35) {
		/* off */
	} else if (dice < 65) {
		inj = (struct tmod_inject){ .mode = TMOD_INJECT_RANDOM,
					    .per_million = 50000,
					    .seed = xorshift64s(&o->rng) };
	} else if (dice < 88) {
		inj = (struct tmod_inject){ .mode = TMOD_INJECT_RANDOM,
					    .per_million = 300000,
					    .seed = xorshift64s(&o->rng) };
	} else if (dice < 96) {
		/* Persistent: after a few good calls, every call fails. */
		inj = (struct tmod_inject){ .mode = TMOD_INJECT_EVERY,
					    .skip = (u32)rnd_below(o, 64),
					    .every = 1 };
	} else {
		/* A refusal (not busy) now and then: never retried. */
		inj = (struct tmod_inject){ .mode = TMOD_INJECT_EVERY,
					    .skip = (u32)rnd_below(o, 64),
					    .every = 5 + (u32)rnd_below(o, 20),
					    .err = HV_EPERM };
	}
	tmod_set_inject(o->env.tmod, &inj);
}

/* --- checks -------------------------------------------------------------------------------- */

static void check_agree(struct run *o, const char *op)
{
	struct mmu_mirror_census c;

	assert_false(o->on_normal);
	if (!mirror_compare(o->env.vm, mirror_env_root(&o->env), o->env.tmod, &c, o->why,
			    sizeof(o->why)))
		fail_msg("op %lu (%s): %s", o->ops, op, o->why);
	o->compared += c.entries;
	o->max_leaves = MAX(o->max_leaves, c.leaves);
	assert_int_equal(tmod_audit(o->env.tmod), 0);
}

static void expect_unmapped(struct run *o, gfn_t s, gfn_t e, const char *why)
{
	for (int k = 0; k <= 16; k++) {
		gfn_t g = s + (e - s - 1) * (u64)k / 16;
		struct mmu_translation t;

		if (e > s && xlate(o, g, &t))
			fail_msg("%s: gfn %#llx still mapped after %s [%#llx, %#llx)",
				 o->env.fmt->name, (unsigned long long)g, why,
				 (unsigned long long)s, (unsigned long long)e);
	}
}

/* --- operations ------------------------------------------------------------------------------ */

static const char *op_fault(struct run *o)
{
	static const u8 accesses[] = { PT_R, PT_W, PT_X, PT_R | PT_W };
	gfn_t g = pick_gfn(o);
	u8 access = accesses[rnd_below(o, ARRAY_SIZE(accesses))];
	const struct oslot *s = oslot_at_gfn(o, g);
	enum mmu_fault_result r = mmu_fault(o->env.vc, gfn_to_gpa(g), access);
	struct mmu_translation t;

	switch (r) {
	case MMU_FAULT_MAPPED:
	case MMU_FAULT_SPURIOUS:
		assert_non_null(s);
		assert_true(xlate(o, g, &t));
		assert_int_equal(t.pfn, s->pfn + (g - s->gfn));
		assert_true((t.attr.perm & access) == access);
		o->faults_mapped++;
		break;
	case MMU_FAULT_RETRY:    /* the module stayed busy through the fault's retries */
	case MMU_FAULT_EXTERNAL: /* a refusal was injected */
		o->failed_ops++;
		break;
	case MMU_FAULT_MMIO:
		assert_true(!s || (s->flags & MMU_SLOT_MMIO));
		break;
	case MMU_FAULT_READONLY:
		assert_true(s && (s->flags & MMU_SLOT_READONLY) && (access & PT_W));
		break;
	default:
		fail_msg("fault %#llx: %s", (unsigned long long)g, mmu_fault_result_name(r));
	}
	return "fault";
}

static const char *op_map(struct run *o)
{
	gfn_t g = pick_gfn(o);
	u64 n = 1 + rnd_below(o, 2048), mapped;
	int r = mmu_map_range(o->env.vc, g, n, PT_R, oracle_pick_shared(&o->rng), &mapped);

	if (r) {
		assert_true(r == HV_EBUSY || r == HV_EPERM);
		o->failed_ops++;
		return "map";
	}
	for (int k = 0; k < 8; k++) {
		gfn_t x = g + rnd_below(o, n);
		const struct oslot *s = oslot_at_gfn(o, x);
		struct mmu_translation t;

		if (s && !(s->flags & MMU_SLOT_MMIO) && x < UNIVERSE) {
			assert_true(xlate(o, x, &t));
			assert_int_equal(t.pfn, s->pfn + (x - s->gfn));
		}
	}
	return "map";
}

static const char *op_zap(struct run *o)
{
	gfn_t s = pick_gfn(o), e = MIN(s + oracle_pick_count(&o->rng), UNIVERSE);
	u32 flags = oracle_pick_shared(&o->rng) | (rnd_below(o, 3) ? 0 : MMU_ZAP_LEAVES_ONLY);
	int r = mmu_zap_range(o->env.vm, s, e - s, flags);

	if (r) {
		assert_true(r == HV_EBUSY || r == HV_EPERM);
		o->failed_ops++;
		return "zap";
	}
	expect_unmapped(o, s, e, "zap");
	return "zap";
}

static const char *op_protect(struct run *o)
{
	gfn_t s = pick_gfn(o), e = MIN(s + oracle_pick_count(&o->rng), UNIVERSE);
	int r = mmu_protect_range(o->env.vm, s, e - s, oracle_pick_shared(&o->rng));
	struct mmu_translation t;

	if (r) {
		assert_true(r == HV_EBUSY || r == HV_EPERM);
		o->failed_ops++;
		return "protect";
	}
	for (int k = 0; k <= 16; k++) {
		gfn_t g = s + (e - s - 1) * (u64)k / 16;

		if (xlate(o, g, &t) && (t.attr.perm & PT_W))
			fail_msg("%s: gfn %#llx writable after protect", o->env.fmt->name,
				 (unsigned long long)g);
	}
	return "protect";
}

static const char *op_split(struct run *o)
{
	gfn_t s = pick_gfn(o);
	u64 n = 1 + rnd_below(o, 1024);
	int level = 1 + (int)rnd_below(o, 2), r;
	const gfn_t probe[3] = { s, s + n / 2, s + n - 1 };
	struct mmu_translation before[3], after;
	bool had[3];

	for (int k = 0; k < 3; k++)
		had[k] = xlate(o, probe[k], &before[k]);
	r = mmu_split_range(o->env.vm, s, n, level, oracle_pick_shared(&o->rng));
	if (r) {
		assert_true(r == HV_EBUSY || r == HV_EPERM || r == HV_ENOMEM);
		o->failed_ops++;
	}
	/* Done or not, a split never changes a translation. */
	for (int k = 0; k < 3; k++) {
		assert_int_equal(xlate(o, probe[k], &after), had[k]);
		if (had[k]) {
			assert_int_equal(after.pfn, before[k].pfn);
			assert_int_equal(after.attr.perm, before[k].attr.perm);
		}
	}
	return "split";
}

static void pick_slot(struct run *o, struct oslot *s)
{
	static const u64 aligns[] = { 1, 1ull << 9, 1ull << 18 };
	u64 align = aligns[rnd_below(o, 3)];

	s->gfn = ALIGN_DOWN(rnd_below(o, UNIVERSE), align);
	switch (rnd_below(o, 3)) {
	case 0:
		s->pages = 1 + rnd_below(o, 4096);
		break;
	case 1:
		s->pages = (1ull << 9) * (1 + rnd_below(o, 32));
		break;
	default:
		s->pages = GIB_PAGES;
		break;
	}
	s->pages = MIN(s->pages, UNIVERSE - s->gfn);
	s->pfn = 0x1000000 + rnd_below(o, 64) * GIB_PAGES + (s->gfn & (align - 1));
	s->flags = 0;
	if (!rnd_below(o, 6))
		s->flags = MMU_SLOT_READONLY;
	else if (!rnd_below(o, 10))
		s->flags = MMU_SLOT_MMIO;
}

static bool overlaps(const struct run *o, const struct oslot *n, const struct oslot *except)
{
	return oslot_overlaps(o->slots, MAX_SLOTS, n, except);
}

static const char *op_slot(struct run *o)
{
	struct oslot *s = &o->slots[rnd_below(o, MAX_SLOTS)];
	u32 id = (u32)(s - o->slots) + 1;
	struct mmu_slot_info si;
	int r;

	capture_console_start();
	if (!s->used) {
		struct oslot n;
		struct mmu_slot_params p;

		pick_slot(o, &n);
		p = (struct mmu_slot_params){ .id = id,
					      .base = gfn_to_gpa(n.gfn),
					      .size = n.pages << PAGE_SHIFT,
					      .backing = pfn_to_hpa(n.pfn),
					      .flags = n.flags,
					      .memtype = PT_MT_WB };
		r = mmu_slot_add(o->env.vm, &p);
		capture_console_stop();
		if (overlaps(o, &n, NULL)) {
			assert_int_equal(r, HV_EOVERLAP);
			return "slot add";
		}
		assert_int_equal(r, 0);
		n.used = true;
		*s = n;
		return "slot add";
	}
	if (rnd_below(o, 2)) {
		r = mmu_slot_delete(o->env.vm, id);
		capture_console_stop();
		if (r) {
			/* The mirror kept part of the range: the slot is still there. */
			assert_true(r == HV_EBUSY || r == HV_EPERM);
			assert_true(mmu_slot_find(o->env.vm, s->gfn, &si) && si.id == id);
			o->failed_ops++;
			return "slot delete";
		}
		expect_unmapped(o, s->gfn, s->gfn + s->pages, "slot delete");
		s->used = false;
		return "slot delete";
	}
	{
		struct oslot n = *s;

		n.gfn = ALIGN_DOWN(rnd_below(o, UNIVERSE - n.pages + 1),
				   rnd_below(o, 2) ? 1ull << 9 : 1);
		r = mmu_slot_move(o->env.vm, id, gfn_to_gpa(n.gfn));
		capture_console_stop();
		if (overlaps(o, &n, s)) {
			assert_int_equal(r, HV_EOVERLAP);
			return "slot move";
		}
		if (r) {
			assert_true(r == HV_EBUSY || r == HV_EPERM);
			assert_true(mmu_slot_find(o->env.vm, s->gfn, &si) && si.base_gfn == s->gfn);
			o->failed_ops++;
			return "slot move";
		}
		expect_unmapped(o, s->gfn, s->gfn + s->pages, "slot move");
		*s = n;
		return "slot move";
	}
}

static const char *op_roots(struct run *o)
{
	hpa_t before = mmu_root_hpa(mirror_env_root(&o->env));

	switch (rnd_below(o, 3)) {
	case 0:
		mmu_vcpu_unload_all(o->env.vc);
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.role), 0);
		break;
	case 1:
		/* Fault on the normal root (its range operations touch both). */
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.normal_role), 0);
		o->on_normal = true;
		for (int k = 0; k < 4; k++)
			(void)mmu_fault(o->env.vc, gfn_to_gpa(pick_gfn(o)), PT_R);
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.role), 0);
		o->on_normal = false;
		break;
	default:
		/* Invalidation drops the normal root; the mirror stays, with its mappings. */
		mmu_invalidate_all_roots(o->env.vm);
		assert_int_equal(mmu_vcpu_load_root(o->env.vc, o->env.role), 0);
		break;
	}
	assert_int_equal(hpa_val(mmu_root_hpa(mirror_env_root(&o->env))), hpa_val(before));
	return "roots";
}

static const char *op_knob(struct run *o)
{
	mmu_vm_set_max_level(o->env.vm, (u8)rnd_below(o, 4));
	return "max level";
}

static void run(const struct pt_format *f, u64 seed, unsigned long ops)
{
	struct run *o = calloc(1, sizeof(*o));
	struct tmod_stats ts;
	struct mmu_stats st;
	u64 hook_calls = 0;

	assert_non_null(o);
	o->rng = seed;
	mirror_env_init(&o->env, f, true);
	for (int i = 0; i < 3; i++)
		op_slot(o);
	for (o->ops = 0; o->ops < ops; o->ops++) {
		u64 dice = rnd_below(o, 100);
		const char *op;

		pick_injection(o);
		capture_console_start(); /* refusals are logged */
		if (dice < 40)
			op = op_fault(o);
		else if (dice < 48)
			op = op_map(o);
		else if (dice < 60)
			op = op_zap(o);
		else if (dice < 70)
			op = op_protect(o);
		else if (dice < 78)
			op = op_split(o);
		else if (dice < 90)
			op = op_slot(o);
		else if (dice < 96)
			op = op_roots(o);
		else
			op = op_knob(o);
		capture_console_stop();
		check_agree(o, op);
		if (o->ops % FULL_CHECK_EVERY == 0)
			mirror_check_vm(&o->env);
	}
	tmod_set_inject(o->env.tmod, &(struct tmod_inject){ .mode = TMOD_INJECT_OFF });
	check_agree(o, "end");
	mirror_check_vm(&o->env);

	mmu_stats_read(o->env.vm, &st);
	for (int s = MMU_STAT_MIRROR_MAP_LEAF; s <= MMU_STAT_MIRROR_REMOVE_TABLE; s++)
		hook_calls += st.count[s];
	tmod_stats_read(o->env.tmod, &ts);
	print_message("  %-6s seed %#llx: %lu ops (%lu failed, %lu faults mapped), %llu hook "
		      "calls, %llu injected failures, %llu rollbacks, %llu entries given up, "
		      "%llu removed tables; %llu entries compared, up to %llu leaves\n",
		      f->name, (unsigned long long)seed, o->ops, o->failed_ops, o->faults_mapped,
		      (unsigned long long)hook_calls, (unsigned long long)ts.injected,
		      (unsigned long long)st.count[MMU_STAT_MIRROR_ROLLBACK],
		      (unsigned long long)st.count[MMU_STAT_MIRROR_GAVE_UP],
		      (unsigned long long)st.count[MMU_STAT_MIRROR_REMOVE_TABLE],
		      (unsigned long long)o->compared, (unsigned long long)o->max_leaves);
	/* The operations must really have failed and recovered, not merely run. */
	assert_true(ts.injected > 0 && st.count[MMU_STAT_MIRROR_ROLLBACK] > 0);
	assert_true(o->failed_ops > 0 && o->faults_mapped > 0);
	mirror_env_fini(&o->env, true);
	free(o);
}

static void random_mirror(void **state)
{
	const struct pt_format *f = *state;
	const char *seed_env = getenv("MIRROR_RANDOM_SEED");
	const char *ops_env = getenv("MIRROR_RANDOM_OPS");
	u64 seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x3177a0;
	unsigned long ops = ops_env ? strtoul(ops_env, NULL, 0) : 5000;

	for (const char *c = f->name; *c; c++)
		seed = seed * 31 + (u8)*c;
	run(f, seed, ops);
}

#define FORMAT_TEST(fmt)                                                                           \
	{                                                                                          \
		"random_mirror_" #fmt, random_mirror, NULL, NULL, (void *)&pt_format_##fmt         \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FORMAT_TEST(ept4), FORMAT_TEST(ept5),  FORMAT_TEST(npt4),
		FORMAT_TEST(npt5), FORMAT_TEST(s2_40), FORMAT_TEST(fake),
	};

	/* A lost rollback shows up as a walker waiting on a frozen entry forever: fail instead. */
	alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
