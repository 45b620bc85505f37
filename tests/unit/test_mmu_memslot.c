/*
 * Memslots: every rejected request (one error code per problem, a log line
 * naming the slot and the problem, nothing changed), lookups at slot edges
 * against a linear-scan oracle, and that deleting or moving a slot removes
 * its mappings from every root, including an invalidated root a vCPU still
 * runs on.
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

#include "capture_console.h"
#include "mmu_test.h"

struct bad_case {
	const char *what;
	struct mmu_slot_params p;
	int err;
	const char *msg; /* expected in the log line */
};

/* EPT 4-level: 48-bit guest-physical, 52-bit host-physical. Slot 1 is [1G, 2G). */
static const struct bad_case bad_cases[] = {
	{ "zero size", { 9, { 0x200000 }, 0, { 0x1000 }, 0, 0, 0 }, HV_EINVAL, "zero size" },
	{ "unaligned base",
	  { 9, { 0x200800 }, 0x1000, { 0x1000 }, 0, 0, 0 },
	  HV_EALIGN,
	  "not 4 KiB aligned" },
	{ "unaligned size",
	  { 9, { 0x200000 }, 0x1800, { 0x1000 }, 0, 0, 0 },
	  HV_EALIGN,
	  "not 4 KiB aligned" },
	{ "unaligned backing",
	  { 9, { 0x200000 }, 0x1000, { 0x1010 }, 0, 0, 0 },
	  HV_EALIGN,
	  "backing 0x1010 not 4 KiB aligned" },
	{ "wraps",
	  { 9, { 0xfffffffffffff000ull }, 0x2000, { 0x1000 }, 0, 0, 0 },
	  HV_EFAULT,
	  "wraps around" },
	{ "backing wraps",
	  { 9, { 0x200000 }, 0x2000, { 0xfffffffffffff000ull }, 0, 0, 0 },
	  HV_EFAULT,
	  "wraps around" },
	{ "beyond 48 bits",
	  { 9, { 0xfffffffff000ull }, 0x2000, { 0x1000 }, 0, 0, 0 },
	  HV_ERANGE,
	  "48-bit guest-physical" },
	{ "backing beyond 52 bits",
	  { 9, { 0x200000 }, 0x2000, { 0xffffffffff000ull }, 0, 0, 0 },
	  HV_ERANGE,
	  "52-bit host-physical" },
	{ "overlaps slot 1 at its start",
	  { 9, { 0x3ffff000 }, 0x2000, { 0x1000 }, 0, 0, 0 },
	  HV_EOVERLAP,
	  "overlaps slot 1" },
	{ "overlaps slot 1 at its end",
	  { 9, { 0x7ffff000 }, 0x1000, { 0x1000 }, 0, 0, 0 },
	  HV_EOVERLAP,
	  "overlaps slot 1" },
	{ "covers slot 1",
	  { 9, { 0 }, 0x100000000ull, { 0x1000 }, 0, 0, 0 },
	  HV_EOVERLAP,
	  "overlaps slot 1" },
	{ "id in use",
	  { 1, { 0x200000 }, 0x1000, { 0x1000 }, 0, 0, 0 },
	  HV_EEXIST,
	  "id already in use" },
	{ "unknown flag",
	  { 9, { 0x200000 }, 0x1000, { 0x1000 }, BIT(7), 0, 0 },
	  HV_EINVAL,
	  "unknown flags" },
	{ "bad memory type",
	  { 9, { 0x200000 }, 0x1000, { 0x1000 }, 0, PT_MT_COUNT, 0 },
	  HV_EINVAL,
	  "memory type" },
};

static void expect_log(const char *needle)
{
	const char *text = capture_console_text();

	if (!strstr(text, needle))
		fail_msg("log lacks \"%s\":\n%s", needle, text);
}

static void rejected_requests(void **state)
{
	struct mmu_slot_info info;
	struct mmu_env env;

	(void)state;
	mmu_env_init(&env, &pt_format_ept4, true);
	mmu_env_slot(&env, 1, 0x40000, 0x40000, 0x40000, 0);
	assert_int_equal(mmu_fault(env.vc, gpa(0x40000000), PT_W), MMU_FAULT_MAPPED);
	for (unsigned i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		int r;

		capture_console_start();
		r = mmu_slot_add(env.vm, &c->p);
		capture_console_stop();
		if (r != c->err)
			fail_msg("%s: got %s, want %s", c->what, err_name(r), err_name(c->err));
		expect_log(c->msg);
		if (c->err != HV_EEXIST) {
			char slot[32];

			snprintf(slot, sizeof(slot), "slot %u", c->p.id);
			expect_log(slot);
		}
		/* Nothing changed. */
		assert_int_equal(mmu_slot_count(env.vm), 1);
		assert_true(mmu_slot_find(env.vm, 0x40000, &info));
		assert_int_equal(info.id, 1);
		assert_false(mmu_slot_find(env.vm, 0x200, &info));
	}
	/* Up to the last byte of the 48-bit space is fine. */
	{
		struct mmu_slot_params ok = {
			2, { 0xffffffffe000ull }, 0x2000, { 0x1000 }, 0, 0, 0
		};

		assert_int_equal(mmu_slot_add(env.vm, &ok), 0);
	}

	/* Delete and move: unknown id, bad destination. */
	capture_console_start();
	assert_int_equal(mmu_slot_delete(env.vm, 77), HV_ENOENT);
	expect_log("delete slot 77: no such slot");
	assert_int_equal(mmu_slot_move(env.vm, 77, gpa(0)), HV_ENOENT);
	assert_int_equal(mmu_slot_move(env.vm, 1, gpa(0x1800)), HV_EALIGN);
	assert_int_equal(mmu_slot_move(env.vm, 1, gpa(0xffffffe00000ull)), HV_ERANGE);
	assert_int_equal(mmu_slot_move(env.vm, 1, gpa(0xffffffffffff0000ull)), HV_EFAULT);
	assert_int_equal(mmu_slot_move(env.vm, 1, gpa(0xffffc0000000ull)), HV_EOVERLAP);
	expect_log("move slot 1 to gfn 0xffffc0000: overlaps slot 2");
	capture_console_stop();
	assert_int_equal(mmu_slot_count(env.vm), 2);
	/* The failed move left the mapping in place. */
	assert_int_equal(mmu_fault(env.vc, gpa(0x40000000), PT_W), MMU_FAULT_SPURIOUS);
	/* Moving onto part of itself is allowed (only other slots count as overlap). */
	assert_int_equal(mmu_slot_move(env.vm, 1, gpa(0x40200000)), 0);
	mmu_check_vm(env.vm, env.pages_at_start, 0);
	mmu_env_fini(&env);
}

/* Lookups at every slot edge, against a linear scan. */
static void lookup_against_scan(void **state)
{
	enum { N = 200 };
	struct {
		gfn_t gfn;
		u64 pages;
	} slots[N];
	struct mmu_env env;

	(void)state;
	srand(7);
	mmu_env_init(&env, &pt_format_npt4, true);
	/* Disjoint slots with gaps, added in shuffled order. */
	for (unsigned i = 0; i < N; i++) {
		slots[i].gfn = (gfn_t)i * 0x1000 + (rand() % 0x10);
		slots[i].pages = 1 + rand() % 0xfe0;
	}
	for (unsigned i = N - 1; i > 0; i--) {
		unsigned j = (unsigned)rand() % (i + 1);
		__typeof__(slots[0]) tmp = slots[i];

		slots[i] = slots[j];
		slots[j] = tmp;
	}
	for (unsigned i = 0; i < N; i++)
		mmu_env_slot(&env, i, slots[i].gfn, slots[i].pages, 0x100000 + i * 0x1000, 0);
	for (unsigned i = 0; i < N; i++) {
		const gfn_t probes[4] = { slots[i].gfn - 1, slots[i].gfn,
					  slots[i].gfn + slots[i].pages - 1,
					  slots[i].gfn + slots[i].pages };

		for (int k = 0; k < 4; k++) {
			struct mmu_slot_info info;
			int want = -1;

			for (unsigned j = 0; j < N; j++)
				if (probes[k] >= slots[j].gfn &&
				    probes[k] < slots[j].gfn + slots[j].pages)
					want = (int)j;
			if (want < 0) {
				assert_false(mmu_slot_find(env.vm, probes[k], &info));
			} else {
				assert_true(mmu_slot_find(env.vm, probes[k], &info));
				assert_int_equal(info.id, want);
				assert_int_equal(info.base_pfn, 0x100000 + (u64)want * 0x1000);
			}
		}
	}
	mmu_env_fini(&env);
}

/*
 * Deleting a slot zaps it from every root: two roles (normal and SMM), and
 * an invalidated root that a second vCPU still runs on. The other slot's
 * mappings stay.
 */
static void delete_zaps_every_root(void **state)
{
	struct mmu_vcpu *smm, *stale;
	struct mmu_root *stale_root;
	struct mmu_translation t;
	struct mmu_env env;
	mmu_role_t smm_role;

	(void)state;
	mmu_env_init(&env, &pt_format_ept4, true);
	smm_role = mmu_role_make(4, MMU_ROLE_SMM);
	mmu_env_slot(&env, 1, 0x1000, 0x1000, 0x1000, 0);
	mmu_env_slot(&env, 2, 0x3000, 0x1000, 0x3000, 0);
	smm = mmu_vcpu_create(env.vm);
	stale = mmu_vcpu_create(env.vm);
	assert_int_equal(mmu_vcpu_load_root(smm, smm_role), 0);
	assert_int_equal(mmu_vcpu_load_root(stale, env.role), 0);
	for (gfn_t g = 0x1000; g < 0x4000; g += 0x800) {
		mmu_fault(env.vc, gfn_to_gpa(g), PT_W);
		mmu_fault(smm, gfn_to_gpa(g), PT_W);
	}
	/* stale keeps the old root after invalidation; env.vc moves to a new one. */
	stale_root = mmu_vcpu_root(stale);
	mmu_invalidate_all_roots(env.vm);
	assert_int_equal(mmu_vcpu_load_root(env.vc, env.role), 0);
	assert_int_equal(mmu_vcpu_load_root(smm, smm_role), 0);
	mmu_fault(env.vc, gfn_to_gpa(0x1000), PT_W);
	mmu_fault(env.vc, gfn_to_gpa(0x3000), PT_W);
	assert_true(mmu_translate(env.vm, stale_root, 0x1800, &t));

	assert_int_equal(mmu_slot_delete(env.vm, 1), 0);
	for (gfn_t g = 0x1000; g < 0x2000; g += 0x100) {
		assert_false(mmu_translate(env.vm, mmu_env_root(&env), g, &t));
		assert_false(mmu_translate(env.vm, stale_root, g, &t));
		assert_int_equal(mmu_fault(env.vc, gfn_to_gpa(g), PT_R), MMU_FAULT_MMIO);
	}
	assert_true(mmu_translate(env.vm, stale_root, 0x3800, &t));
	assert_true(mmu_translate(env.vm, mmu_env_root(&env), 0x3000, &t));
	assert_true(tlb_recorder_covered(&env.tlb, stale_root, 0x1800));
	mmu_check_vm(env.vm, env.pages_at_start, 0);
	mmu_vcpu_destroy(smm);
	mmu_vcpu_destroy(stale);
	mmu_env_fini(&env);
}

/* Moving a slot unmaps the old range; the new range maps the same frames. */
static void move_remaps(void **state)
{
	for (unsigned i = 0; i < mmu_test_format_count; i++) {
		struct mmu_translation t;
		struct mmu_env env;

		(void)state;
		mmu_env_init(&env, mmu_test_formats[i], true);
		mmu_env_slot(&env, 1, 0x40000, 0x40000, 0x140000, 0);
		assert_int_equal(mmu_fault(env.vc, gpa(0x40000000), PT_R), MMU_FAULT_MAPPED);
		assert_int_equal(mmu_slot_move(env.vm, 1, gpa(0x80200000)), 0);
		assert_false(mmu_translate(env.vm, mmu_env_root(&env), 0x40000, &t));
		assert_int_equal(mmu_fault(env.vc, gpa(0x40000000), PT_R), MMU_FAULT_MMIO);
		assert_int_equal(mmu_fault(env.vc, gpa(0x80200000), PT_R), MMU_FAULT_MAPPED);
		assert_true(mmu_translate(env.vm, mmu_env_root(&env), 0x80200, &t));
		assert_int_equal(t.pfn, 0x140000);
		/* Now only 2M-congruent (on formats that have 2M leaves). */
		assert_true(t.level <= 2);
		mmu_check_vm(env.vm, env.pages_at_start, 0);
		mmu_env_fini(&env);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rejected_requests),
		cmocka_unit_test(lookup_against_scan),
		cmocka_unit_test(delete_zaps_every_root),
		cmocka_unit_test(move_remaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
