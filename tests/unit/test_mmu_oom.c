/*
 * Out of memory everywhere: a script of MMU operations (VM, vCPU and root
 * creation, slots, faults at every leaf size, protect with splits,
 * tracking, bulk mapping, eager splits, zaps, invalidation, reload) is run
 * once per allocation it makes, the n-th run with the n-th allocation
 * failing (page_alloc_fail_after(n); later ones succeed again). Each
 * operation must either succeed or report the failure; afterwards the
 * tables must be consistent (every leaf legal, statistics equal to the
 * tables, pages outstanding equal to the pages in the trees), retrying must
 * work, and teardown must give every page back (LeakSanitizer checks the
 * objects).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fake.h>
#include <hv/errno.h>
#include <hv/mm.h>

#include "capture_console.h"
#include "mmu_test.h"

#define GIB_PAGES (1ull << 18)

struct run {
	bool failed; /* some operation reported running out of memory */
};

static void saw(struct run *r, int err)
{
	if (err == HV_ENOMEM)
		r->failed = true;
	else
		assert_int_equal(err, 0);
}

/* A fault that may hit the injected failure once; the retry must map. */
static void fault(struct run *r, struct mmu_vcpu *vc, u64 gpa_v, u8 access)
{
	enum mmu_fault_result res = mmu_fault(vc, gpa(gpa_v), access);

	if (res == MMU_FAULT_NOMEM) {
		r->failed = true;
		res = mmu_fault(vc, gpa(gpa_v), access);
	}
	assert_true(res == MMU_FAULT_MAPPED || res == MMU_FAULT_SPURIOUS);
}

static void check(struct mmu_vm *vm, u64 pages)
{
	/* The checker does not allocate: the armed failure stays armed. */
	mmu_check_vm(vm, pages, 0);
}

/* Returns whether the injected failure was seen by some operation. */
static bool script(const struct pt_format *f, s64 fail_at)
{
	struct mmu_vm_config cfg = { .name = "oom" };
	struct mmu_slot_params s1 = { 1, { 0x40000000 }, 1ull << 30, { 0x80000000 }, 0, 0, 0 };
	struct mmu_slot_params s2 = { 2, { 0x1000 }, 0x100000, { 0x7001000 }, 0, 0, 0 };
	u64 pages = page_alloc_outstanding();
	struct run r = { false };
	struct mmu_vcpu *vc;
	struct mmu_vm *vm;
	mmu_role_t role = mmu_role_make(f->levels, 0);
	u64 mapped;
	int err;

	cfg.formats[f->levels] = f;
	page_alloc_fail_after(fail_at);
	vm = mmu_vm_create(&cfg, &err);
	if (!vm) {
		assert_int_equal(err, HV_ENOMEM);
		page_alloc_fail_after(-1);
		return true;
	}
	vc = mmu_vcpu_create(vm);
	if (!vc) {
		page_alloc_fail_after(-1);
		mmu_vm_destroy(vm);
		return true;
	}
	err = mmu_vcpu_load_root(vc, role);
	if (err) {
		saw(&r, err);
		assert_null(mmu_vcpu_root(vc));
		saw(&r, mmu_vcpu_load_root(vc, role));
	}
	check(vm, pages);

	err = mmu_slot_add(vm, &s1);
	if (err) {
		saw(&r, err);
		assert_int_equal(mmu_slot_count(vm), 0);
		saw(&r, mmu_slot_add(vm, &s1));
	}
	err = mmu_slot_add(vm, &s2);
	if (err) {
		saw(&r, err);
		assert_int_equal(mmu_slot_count(vm), 1);
		saw(&r, mmu_slot_add(vm, &s2));
	}

	/* Faults: 1G leaf, 4K leaves (slot 2 is only 4K-congruent), writes. */
	fault(&r, vc, 0x40000000, PT_R);
	fault(&r, vc, 0x2000, PT_W);
	fault(&r, vc, 0x80000, PT_X);
	fault(&r, vc, 0x100000, PT_W);
	fault(&r, vc, 0x7ffff000, PT_W);
	check(vm, pages);

	/* Protect part of the 1G leaf: splits need memory, fallback protects all of it. */
	saw(&r, mmu_protect_range(vm, 0x40200, 0x10, 0));
	{
		struct mmu_translation t;

		assert_true(mmu_translate(vm, mmu_vcpu_root(vc), 0x40205, &t));
		assert_false(t.attr.perm & PT_W);
	}
	check(vm, pages);

	/* Tracking (counters, then a split). */
	err = mmu_track_add(vm, 0x40300);
	if (err) {
		saw(&r, err);
		assert_false(mmu_track_is_tracked(vm, 0x40300));
	} else {
		assert_true(mmu_track_is_tracked(vm, 0x40300));
	}
	check(vm, pages);

	/* Bulk mapping and eager split, shared and exclusive. */
	saw(&r, mmu_map_range(vc, 0x1, 0x3000, PT_R, 0, &mapped));
	saw(&r, mmu_map_range(vc, 0x3000, 0x3000, PT_R, MMU_OP_SHARED, &mapped));
	check(vm, pages);
	saw(&r, mmu_split_range(vm, 0x60000, 0x400, 1, MMU_OP_SHARED));
	check(vm, pages);

	/* Zaps never allocate; a shared zap defers tables until the next write lock. */
	assert_int_equal(mmu_zap_range(vm, 0x0, 0x2000, MMU_OP_SHARED), 0);
	assert_int_equal(mmu_zap_range(vm, 0x2000, 0x100000, 0), 0);
	check(vm, pages);

	/* Invalidate and rebuild. */
	mmu_invalidate_all_roots(vm);
	err = mmu_vcpu_load_root(vc, role);
	if (err) {
		saw(&r, err);
		saw(&r, mmu_vcpu_load_root(vc, role));
	}
	fault(&r, vc, 0x4000, PT_W);
	check(vm, pages);

	if (mmu_track_is_tracked(vm, 0x40300))
		assert_int_equal(mmu_track_remove(vm, 0x40300), 0);
	page_alloc_fail_after(-1);
	mmu_vcpu_destroy(vc);
	mmu_vm_destroy(vm);
	assert_int_equal(page_alloc_outstanding(), pages);
	return r.failed;
}

/* One cmocka test per format; the state is the format. */
static void every_allocation_fails_once(void **state)
{
	const struct pt_format *f = *state;
	unsigned runs = 0;

	capture_console_start(); /* the failures are logged; keep the output short */
	/* Stop once the script runs through without meeting the failure. */
	for (s64 n = 0; script(f, n); n++)
		runs++;
	capture_console_stop();
	/* The script allocates a fair amount; make sure the loop really ran. */
	assert_true(runs > 15);
}

#define FORMAT_TEST(fmt)                                                                           \
	{                                                                                          \
		"every_allocation_fails_once_" #fmt, every_allocation_fails_once, NULL, NULL,      \
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
