/*
 * Threads against one VM, under ThreadSanitizer: vCPU threads fault (read
 * and write), bulk-map, unload and reload their roots and switch roles,
 * while another thread zaps, write-protects and splits (under the read lock
 * and under the write lock), tracks and untracks gfns, changes a slot and
 * invalidates all roots. Afterwards every tree is checked against the
 * slots and the statistics, at most one valid root exists per role, and
 * teardown gives back every page (allocated == freed).
 *
 * Iteration counts, not time, bound the run (tests never depend on timing).
 */
#include <pthread.h>
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
#include "stress.h"

#define VCPUS       3
#define FAULT_ITERS 20000
#define ZAP_ITERS   4000

struct shared {
	struct mmu_vm *vm;
	const struct pt_format *fmt;
	struct tlb_recorder tlb;
	u32 stop; /* atomic: the zapper is done */
	u64 faults_mapped;
};

struct worker {
	struct shared *sh;
	struct mmu_vcpu *vc;
	u64 rng;
	unsigned id;
};

static mmu_role_t role(const struct pt_format *f, bool smm)
{
	return mmu_role_make(f->levels, smm ? MMU_ROLE_SMM : 0);
}

static void *vcpu_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	bool smm = false;
	u64 mapped = 0;

	for (unsigned i = 0; i < FAULT_ITERS; i++) {
		u64 r = xorshift64s(&w->rng);
		gfn_t g = stress_pick_gfn(&w->rng);
		enum mmu_fault_result res;

		/* As a backend does before entering the guest. */
		if (!mmu_vcpu_root_is_valid(w->vc))
			T_EXPECT(mmu_vcpu_load_root(w->vc, role(sh->fmt, smm)) == 0, "load root");
		switch (r % 64) {
		case 0:
			mmu_vcpu_unload_all(w->vc);
			continue;
		case 1:
			smm = !smm;
			T_EXPECT(mmu_vcpu_load_root(w->vc, role(sh->fmt, smm)) == 0, "load root");
			continue;
		case 2: {
			u64 n;
			int e = mmu_map_range(w->vc, g, 1 + xorshift64s(&w->rng) % 1024, PT_R,
					      MMU_OP_SHARED, &n);

			T_EXPECT(e == 0 || e == HV_EAGAIN, "map_range: %s", err_name(e));
			continue;
		}
		default:
			break;
		}
		res = mmu_fault(w->vc, gfn_to_gpa(g), (r >> 8) & 1 ? PT_W : PT_R);
		switch (res) {
		case MMU_FAULT_MAPPED:
			mapped++;
			break;
		case MMU_FAULT_SPURIOUS:
		case MMU_FAULT_RETRY:
		case MMU_FAULT_EMULATE: /* the zapper tracks gfns */
		case MMU_FAULT_MMIO:    /* slot B comes and goes */
			break;
		default:
			T_EXPECT(false, "vcpu %u: fault %#llx: %s", w->id, (unsigned long long)g,
				 mmu_fault_result_name(res));
		}
	}
	__atomic_fetch_add(&sh->faults_mapped, mapped, __ATOMIC_RELAXED);
	return NULL;
}

static void *zap_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	gfn_t tracked[8];
	unsigned ntracked = 0;
	bool slot_b = true;
	int e;

	for (unsigned i = 0; i < ZAP_ITERS; i++) {
		u64 r = xorshift64s(&w->rng);
		gfn_t g = stress_pick_gfn(&w->rng);
		u64 n = 1 + xorshift64s(&w->rng) % 0x800;
		u32 shared = (r >> 16) & 1 ? MMU_OP_SHARED : 0;
		struct mmu_stats st;

		switch (r % 16) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
			mmu_zap_range(sh->vm, g, n,
				      shared | ((r >> 20) & 1 ? MMU_ZAP_LEAVES_ONLY : 0));
			break;
		case 5:
		case 6:
		case 7:
			mmu_protect_range(sh->vm, g, n, shared);
			break;
		case 8:
		case 9:
			e = mmu_split_range(sh->vm, g, n, 1 + (int)((r >> 24) % 2), shared);
			T_EXPECT(e == 0, "split: %s", err_name(e));
			break;
		case 10:
		case 11:
			if (ntracked < ARRAY_SIZE(tracked) && g < SLOT_A_GFN + SLOT_A_PAGES) {
				e = mmu_track_add(sh->vm, g);
				T_EXPECT(e == 0, "track_add %#llx: %s", (unsigned long long)g,
					 err_name(e));
				tracked[ntracked++] = g;
			} else if (ntracked) {
				e = mmu_track_remove(sh->vm, tracked[--ntracked]);
				T_EXPECT(e == 0, "track_remove: %s", err_name(e));
			}
			break;
		case 12: {
			struct mmu_slot_params p = { 2,
						     gfn_to_gpa(SLOT_B_GFN),
						     SLOT_B_PAGES << PAGE_SHIFT,
						     pfn_to_hpa(SLOT_B_PFN),
						     0,
						     PT_MT_WB,
						     0 };

			e = slot_b ? mmu_slot_delete(sh->vm, 2) : mmu_slot_add(sh->vm, &p);
			T_EXPECT(e == 0, "slot change: %s", err_name(e));
			slot_b = !slot_b;
			break;
		}
		case 13:
			if ((r >> 32) % 8 == 0)
				mmu_invalidate_all_roots(sh->vm);
			break;
		default:
			/* Never more valid roots than roles in use (normal, SMM). */
			mmu_stats_read(sh->vm, &st);
			T_EXPECT(st.roots_valid <= 2, "%llu valid roots",
				 (unsigned long long)st.roots_valid);
			break;
		}
	}
	while (ntracked) {
		e = mmu_track_remove(sh->vm, tracked[--ntracked]);
		T_EXPECT(e == 0, "track_remove: %s", err_name(e));
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void stress(const struct pt_format *f)
{
	struct mmu_vm_config cfg = { .name = f->name, .tlb_flush = tlb_recorder_flush };
	struct mmu_slot_params a = { 1,
				     gfn_to_gpa(SLOT_A_GFN),
				     SLOT_A_PAGES << PAGE_SHIFT,
				     pfn_to_hpa(SLOT_A_PFN),
				     0,
				     PT_MT_WB,
				     0 };
	struct mmu_slot_params b = { 2,
				     gfn_to_gpa(SLOT_B_GFN),
				     SLOT_B_PAGES << PAGE_SHIFT,
				     pfn_to_hpa(SLOT_B_PFN),
				     0,
				     PT_MT_WB,
				     0 };
	struct worker workers[VCPUS + 1];
	pthread_t threads[VCPUS + 1];
	u64 pages = page_alloc_outstanding();
	struct shared sh = { 0 };
	struct mmu_stats st;
	int err;

	cfg.tlb_arg = &sh.tlb;
	cfg.formats[f->levels] = f;
	sh.fmt = f;
	sh.vm = mmu_vm_create(&cfg, &err);
	assert_non_null(sh.vm);
	assert_int_equal(mmu_slot_add(sh.vm, &a), 0);
	assert_int_equal(mmu_slot_add(sh.vm, &b), 0);
	for (unsigned i = 0; i <= VCPUS; i++) {
		workers[i] = (struct worker){ &sh, NULL, 0x9e3779b97f4a7c15ull * (i + 1), i };
		if (i < VCPUS) {
			workers[i].vc = mmu_vcpu_create(sh.vm);
			assert_int_equal(mmu_vcpu_load_root(workers[i].vc, role(f, false)), 0);
		}
	}
	for (unsigned i = 0; i <= VCPUS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL,
						i < VCPUS ? vcpu_thread : zap_thread, &workers[i]),
				 0);
	for (unsigned i = 0; i <= VCPUS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);

	/* Quiescent: every tree legal, statistics equal to the tables, pages accounted. */
	mmu_check_vm(sh.vm, pages, 0);
	mmu_stats_read(sh.vm, &st);
	assert_true(st.roots_valid <= 2);
	assert_true(sh.faults_mapped > 0);
	print_message("  %-6s %llu faults mapped, %llu CAS failures, %llu deferred tables, "
		      "%llu roots created, %llu TLB flushes\n",
		      f->name, (unsigned long long)sh.faults_mapped,
		      (unsigned long long)st.count[MMU_STAT_CAS_FAIL],
		      (unsigned long long)st.count[MMU_STAT_TABLE_DEFERRED],
		      (unsigned long long)st.count[MMU_STAT_ROOT_CREATE],
		      (unsigned long long)st.count[MMU_STAT_TLB_FLUSH]);
	for (unsigned i = 0; i < VCPUS; i++)
		mmu_vcpu_destroy(workers[i].vc);
	mmu_vm_destroy(sh.vm);
	assert_int_equal(page_alloc_outstanding(), pages);
}

/* One cmocka test per format; the state is the format. */
static void stress_format(void **state)
{
	stress(*state);
}

#define FORMAT_TEST(fmt)                                                                           \
	{                                                                                          \
		"stress_" #fmt, stress_format, NULL, NULL, (void *)&pt_format_##fmt                \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FORMAT_TEST(ept4), FORMAT_TEST(ept5),  FORMAT_TEST(npt4),
		FORMAT_TEST(npt5), FORMAT_TEST(s2_40), FORMAT_TEST(fake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
