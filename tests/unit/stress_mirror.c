/*
 * Threads changing a mirror root under the read lock while the external
 * table module fails calls on purpose (and reports real contention on its
 * own lock as busy), under ThreadSanitizer, on every format.
 *
 * no_lost_update: vCPU threads fault (read and write) and bulk-map (shared)
 * in a window they all share, while another thread splits and
 * write-protects there under the read lock; nothing unmaps. Every gfn a
 * thread was told is mapped (fault MAPPED or SPURIOUS, bulk map returning
 * 0) must afterwards be mapped to its frame in the mirror, and the mirror
 * and the external table must agree entry by entry: a rolled-back change
 * never wiped out someone else's committed one.
 *
 * chaos: the same vCPU threads, against a thread that zaps (tables
 * included), protects and splits, shared and exclusive, deletes and re-adds
 * a slot, invalidates roots and switches the failure setting. Afterwards:
 * no frozen entry, mirror and external agree, every leaf is legal for its
 * slot, statistics and page counts match the trees, and teardown returns
 * every page with the external table empty.
 *
 * Iteration counts, not time, bound the run. The totals (operations, hook
 * calls, injected failures, busy answers, rollbacks) are printed.
 */
#include <pthread.h>
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
#include "stress.h"

#define VCPUS       3
#define VCPU_ITERS  6000
#define OTHER_ITERS 1500
#define MAX_RECORDS (VCPU_ITERS * 2)

struct shared {
	struct mirror_env env;
	bool chaos;
	u64 ops; /* atomic */
};

struct worker {
	struct shared *sh;
	struct mmu_vcpu *vc;
	u64 rng;
	unsigned id;
	/* gfns (or the first of a range, with its length) this vCPU was told are mapped */
	gfn_t rec_gfn[MAX_RECORDS];
	u32 rec_len[MAX_RECORDS];
	unsigned recs;
	u64 mapped, retries, external;
};

static void record(struct worker *w, gfn_t g, u32 n)
{
	if (w->recs < MAX_RECORDS) {
		w->rec_gfn[w->recs] = g;
		w->rec_len[w->recs] = n;
		w->recs++;
	}
}

static void *vcpu_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct mirror_env *env = &sh->env;

	for (unsigned i = 0; i < VCPU_ITERS; i++) {
		u64 r = xorshift64s(&w->rng);
		gfn_t g = stress_pick_gfn(&w->rng);
		enum mmu_fault_result res;

		if (!mmu_vcpu_root_is_valid(w->vc))
			T_EXPECT(mmu_vcpu_load_root(w->vc, env->role) == 0, "load root");
		if (r % 16 == 0) {
			u32 n = 1 + (u32)(xorshift64s(&w->rng) % 256);
			u64 done;
			int e = mmu_map_range(w->vc, g, n, PT_R, MMU_OP_SHARED, &done);

			T_EXPECT(e == 0 || e == HV_EBUSY || (sh->chaos && e == HV_EPERM),
				 "map_range: %s", err_name(e));
			if (!e)
				record(w, g, n);
			continue;
		}
		if (sh->chaos && r % 64 == 1) {
			mmu_vcpu_unload_all(w->vc);
			continue;
		}
		res = mmu_fault(w->vc, gfn_to_gpa(g), (r >> 8) & 1 ? PT_W : PT_R);
		switch (res) {
		case MMU_FAULT_MAPPED:
		case MMU_FAULT_SPURIOUS:
			w->mapped++;
			record(w, g, 1);
			break;
		case MMU_FAULT_RETRY:
			w->retries++;
			break;
		case MMU_FAULT_EXTERNAL:
			T_EXPECT(sh->chaos, "a refusal without refusals injected");
			w->external++;
			break;
		case MMU_FAULT_MMIO:
			T_EXPECT(sh->chaos, "slot B is there");
			break;
		default:
			T_EXPECT(false, "vcpu %u: fault %#llx: %s", w->id, (unsigned long long)g,
				 mmu_fault_result_name(res));
		}
	}
	__atomic_fetch_add(&sh->ops, VCPU_ITERS, __ATOMIC_RELAXED);
	return NULL;
}

static void inject_random(struct shared *sh, u32 per_million, u64 seed, int err)
{
	struct tmod_inject inj = {
		.mode = TMOD_INJECT_RANDOM, .per_million = per_million, .seed = seed, .err = err
	};

	tmod_set_inject(sh->env.tmod, &inj);
}

/* Splits and protects under the read lock: they never take a mapping away. */
static void *gentle_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (unsigned i = 0; i < OTHER_ITERS; i++) {
		u64 r = xorshift64s(&w->rng);
		gfn_t g = stress_pick_gfn(&w->rng);
		u64 n = 1 + xorshift64s(&w->rng) % 0x400;
		int e;

		if (r % 2)
			e = mmu_split_range(sh->env.vm, g, n, 1 + (int)((r >> 8) % 2),
					    MMU_OP_SHARED);
		else
			e = mmu_protect_range(sh->env.vm, g, n, MMU_OP_SHARED);
		T_EXPECT(e == 0 || e == HV_EBUSY, "split/protect: %s", err_name(e));
	}
	__atomic_fetch_add(&sh->ops, OTHER_ITERS, __ATOMIC_RELAXED);
	return NULL;
}

static void *chaos_thread(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct mmu_slot_params b = { .id = 2,
				     .base = gfn_to_gpa(SLOT_B_GFN),
				     .size = SLOT_B_PAGES << PAGE_SHIFT,
				     .backing = pfn_to_hpa(SLOT_B_PFN),
				     .memtype = PT_MT_WB };
	bool slot_b = true;
	int e;

	for (unsigned i = 0; i < OTHER_ITERS; i++) {
		u64 r = xorshift64s(&w->rng);
		gfn_t g = stress_pick_gfn(&w->rng);
		u64 n = 1 + xorshift64s(&w->rng) % 0x800;
		u32 shared = (r >> 16) & 1 ? MMU_OP_SHARED : 0;

		switch (r % 16) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
			e = mmu_zap_range(sh->env.vm, g, n,
					  shared | ((r >> 20) & 1 ? MMU_ZAP_LEAVES_ONLY : 0));
			break;
		case 5:
		case 6:
		case 7:
			e = mmu_protect_range(sh->env.vm, g, n, shared);
			break;
		case 8:
		case 9:
			e = mmu_split_range(sh->env.vm, g, n, 1 + (int)((r >> 24) % 2), shared);
			break;
		case 10:
			e = slot_b ? mmu_slot_delete(sh->env.vm, 2) : mmu_slot_add(sh->env.vm, &b);
			if (!e)
				slot_b = !slot_b;
			break;
		case 11:
			mmu_invalidate_all_roots(sh->env.vm);
			e = 0;
			break;
		case 12:
			/* Mostly busy answers, now and then a refusal. */
			inject_random(sh, (u32)(r >> 32) % 400000, r,
				      (r >> 40) % 8 ? HV_EBUSY : HV_EPERM);
			e = 0;
			break;
		default:
			e = 0;
			break;
		}
		T_EXPECT(e == 0 || e == HV_EBUSY || e == HV_EPERM, "op %u: %s", (unsigned)(r % 16),
			 err_name(e));
	}
	inject_random(sh, 0, 0, 0);
	if (!slot_b)
		T_EXPECT(mmu_slot_add(sh->env.vm, &b) == 0, "slot B back");
	__atomic_fetch_add(&sh->ops, OTHER_ITERS, __ATOMIC_RELAXED);
	return NULL;
}

static void stress(const struct pt_format *f, bool chaos)
{
	struct worker *workers = calloc(VCPUS + 1, sizeof(*workers));
	pthread_t threads[VCPUS + 1];
	struct shared *sh = calloc(1, sizeof(*sh));
	struct tmod_stats ts;
	struct mmu_stats st;
	u64 hook_calls = 0, checked = 0, mapped = 0, retries = 0;
	char why[256];

	assert_non_null(workers);
	assert_non_null(sh);
	sh->chaos = chaos;
	mirror_env_init(&sh->env, f, true);
	mirror_env_slot(&sh->env, 1, SLOT_A_GFN, SLOT_A_PAGES, SLOT_A_PFN, 0);
	mirror_env_slot(&sh->env, 2, SLOT_B_GFN, SLOT_B_PAGES, SLOT_B_PFN, 0);
	inject_random(sh, 200000, 0x5eed + f->levels, HV_EBUSY);
	/* The first vCPU is the env's; the others load the same mirror root. */
	for (unsigned i = 0; i <= VCPUS; i++) {
		workers[i].sh = sh;
		workers[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		workers[i].id = i;
		if (i == 0)
			workers[i].vc = sh->env.vc;
		else if (i < VCPUS)
			workers[i].vc = mmu_vcpu_create(sh->env.vm);
		if (i > 0 && i < VCPUS)
			assert_int_equal(mmu_vcpu_load_root(workers[i].vc, sh->env.role), 0);
	}
	capture_console_start(); /* refusals are logged */
	for (unsigned i = 0; i <= VCPUS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL,
						i < VCPUS ? vcpu_thread
						: chaos   ? chaos_thread
							  : gentle_thread,
						&workers[i]),
				 0);
	for (unsigned i = 0; i <= VCPUS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	capture_console_stop();
	tmod_set_inject(sh->env.tmod, &(struct tmod_inject){ .mode = TMOD_INJECT_OFF });

	/* Quiescent: no frozen entry, both tables alike, every leaf legal, counts right. */
	assert_int_equal(mmu_vcpu_load_root(sh->env.vc, sh->env.role), 0);
	if (!mirror_compare(sh->env.vm, mirror_env_root(&sh->env), sh->env.tmod, NULL, why,
			    sizeof(why)))
		fail_msg("%s", why);
	assert_int_equal(tmod_audit(sh->env.tmod), 0);
	mirror_check_vm(&sh->env);

	/* No lost update: whatever a vCPU was told is mapped, is (nothing unmapped since). */
	for (unsigned i = 0; i < VCPUS; i++) {
		struct worker *w = &workers[i];

		mapped += w->mapped;
		retries += w->retries;
		for (unsigned k = 0; !chaos && k < w->recs; k++) {
			for (gfn_t g = w->rec_gfn[k]; g < w->rec_gfn[k] + w->rec_len[k]; g++) {
				struct mmu_translation t;
				bool in_a = g >= SLOT_A_GFN && g < SLOT_A_GFN + SLOT_A_PAGES;
				bool in_b = g >= SLOT_B_GFN && g < SLOT_B_GFN + SLOT_B_PAGES;

				if (!in_a && !in_b)
					continue;
				if (!mmu_translate(sh->env.vm, mirror_env_root(&sh->env), g, &t))
					fail_msg("%s: vcpu %u was told gfn %#llx is mapped; it is "
						 "not",
						 f->name, i, (unsigned long long)g);
				assert_int_equal(t.pfn, in_a ? SLOT_A_PFN + (g - SLOT_A_GFN)
							     : SLOT_B_PFN + (g - SLOT_B_GFN));
				checked++;
			}
		}
	}
	mmu_stats_read(sh->env.vm, &st);
	for (int s = MMU_STAT_MIRROR_MAP_LEAF; s <= MMU_STAT_MIRROR_REMOVE_TABLE; s++)
		hook_calls += st.count[s];
	tmod_stats_read(sh->env.tmod, &ts);
	print_message("  %-6s %s: %llu ops, %llu faults mapped (%llu retried), %llu gfns "
		      "checked mapped, %llu hook calls, %llu injected failures, %llu busy, %llu "
		      "rollbacks, %llu CAS failures\n",
		      f->name, chaos ? "chaos" : "no lost update",
		      (unsigned long long)__atomic_load_n(&sh->ops, __ATOMIC_RELAXED),
		      (unsigned long long)mapped, (unsigned long long)retries,
		      (unsigned long long)checked, (unsigned long long)hook_calls,
		      (unsigned long long)ts.injected, (unsigned long long)ts.busy,
		      (unsigned long long)st.count[MMU_STAT_MIRROR_ROLLBACK],
		      (unsigned long long)st.count[MMU_STAT_CAS_FAIL]);
	assert_true(ts.injected > 0 && st.count[MMU_STAT_MIRROR_ROLLBACK] > 0 && mapped > 0);
	if (!chaos)
		assert_true(checked > 0);

	for (unsigned i = 1; i < VCPUS; i++)
		mmu_vcpu_destroy(workers[i].vc);
	mirror_env_fini(&sh->env, true);
	free(workers);
	free(sh);
}

static void no_lost_update(void **state)
{
	stress(*state, false);
}

static void chaos(void **state)
{
	stress(*state, true);
}

#define FORMAT_TESTS(fmt)                                                                          \
	{ "no_lost_update_" #fmt, no_lost_update, NULL, NULL, (void *)&pt_format_##fmt },          \
	{                                                                                          \
		"chaos_" #fmt, chaos, NULL, NULL, (void *)&pt_format_##fmt                         \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FORMAT_TESTS(ept4), FORMAT_TESTS(ept5),  FORMAT_TESTS(npt4),
		FORMAT_TESTS(npt5), FORMAT_TESTS(s2_40), FORMAT_TESTS(fake),
	};

	/* A frozen entry left behind shows up as threads waiting forever: fail instead. */
	alarm(1200);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
