/*
 * MMU engine benchmarks (host, -O2, no sanitizers). Each figure is one
 * "bench <name> <value> <unit>" line; comment lines (#) say what was
 * measured and how to reproduce it. Nothing is asserted.
 *
 *   mmu.populate_4k_ns_per_page         mapping guest RAM with 4 KiB leaves,
 *                                       bulk path (mmu_map_range, write lock)
 *   mmu.populate_4k_ns_per_page.fault   the same through one mmu_fault() per page
 *   mmu.populate_4k_ns_per_page.shared  bulk path under the read lock (CAS)
 *   mmu.populate_huge_ns_per_4k         mapping with 1 GiB leaves (per 4 KiB covered)
 *   mmu.table_bytes_per_gib_4k / _huge  table memory per GiB of guest RAM
 *   mmu.zap_ns_per_4k                   zapping 4 KiB-mapped RAM (write lock)
 *   mmu.reload_after_unload_faults      faults to re-touch a working set after
 *                                       the vCPU unloads all roots, with root
 *                                       preservation ...
 *   mmu.reload_after_unload_faults_nopreserve   ... and without
 *
 * Guest RAM is a fake physical range: leaves are never dereferenced.
 * Sizes: 1 GiB and 16 GiB (suffix .1g / .16g; the unsuffixed name is 16 GiB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hv/mm.h>
#include <hv/mmu.h>

#define GIB_PAGES (1ull << 18)
#define RUNS      3

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static void flush_nop(void *arg, const struct mmu_root *root, gfn_t start, u64 count)
{
	(void)arg;
	(void)root;
	(void)start;
	(void)count;
}

struct setup {
	struct mmu_vm *vm;
	struct mmu_vcpu *vc;
	u64 pages_before;
};

/* A VM (EPT, 4-level) with one slot of `gib` GiB at 4 GiB, frames 1G-congruent. */
static void setup(struct setup *s, u64 gib, u8 max_level, bool preserve)
{
	struct mmu_vm_config cfg = {
		.name = "bench",
		.max_level = max_level,
		.no_root_preserve = !preserve,
		.tlb_flush = flush_nop,
	};
	struct mmu_slot_params p = {
		.id = 1,
		.base = gpa(4ull << 30),
		.size = gib << 30,
		.backing = hpa(64ull << 30),
		.memtype = PT_MT_WB,
	};
	int err;

	s->pages_before = page_alloc_outstanding();
	cfg.formats[4] = &pt_format_ept4;
	s->vm = mmu_vm_create(&cfg, &err);
	s->vc = mmu_vcpu_create(s->vm);
	if (!s->vm || !s->vc || mmu_slot_add(s->vm, &p) ||
	    mmu_vcpu_load_root(s->vc, mmu_role_make(4, 0))) {
		fprintf(stderr, "bench_mmu: setup failed\n");
		exit(1);
	}
}

static void teardown(struct setup *s)
{
	mmu_vcpu_destroy(s->vc);
	mmu_vm_destroy(s->vm);
}

static const gfn_t slot_gfn = (4ull << 30) >> PAGE_SHIFT;

enum path { BULK, BULK_SHARED, FAULT };

/* Map the whole slot, faults `step` pages apart (the leaf size); returns ns. */
static u64 populate(struct setup *s, u64 pages, enum path path, u64 step)
{
	u64 t0 = now_ns(), mapped;

	switch (path) {
	case BULK:
	case BULK_SHARED:
		if (mmu_map_range(s->vc, slot_gfn, pages, PT_R | PT_W,
				  path == BULK_SHARED ? MMU_OP_SHARED : 0, &mapped) ||
		    mapped != pages) {
			fprintf(stderr, "bench_mmu: map_range failed\n");
			exit(1);
		}
		break;
	case FAULT:
		/* One fault per leaf, as a guest touching its memory would take. */
		for (u64 i = 0; i < pages; i += step) {
			if (mmu_fault(s->vc, gfn_to_gpa(slot_gfn + i), PT_W) != MMU_FAULT_MAPPED) {
				fprintf(stderr, "bench_mmu: fault failed\n");
				exit(1);
			}
		}
		break;
	}
	return now_ns() - t0;
}

static double best_populate(u64 gib, u8 max_level, enum path path, u64 *table_pages, u64 *zap_ns)
{
	u64 step = pt_level_pages(max_level ? max_level : 3);
	u64 best = ~0ull;

	for (int r = 0; r < RUNS; r++) {
		struct setup s;
		u64 ns, t0;

		setup(&s, gib, max_level, true);
		ns = populate(&s, gib * GIB_PAGES, path, step);
		best = ns < best ? ns : best;
		if (table_pages)
			*table_pages = page_alloc_outstanding() - s.pages_before;
		t0 = now_ns();
		mmu_zap_range(s.vm, slot_gfn, gib * GIB_PAGES, 0);
		if (zap_ns && (r == 0 || now_ns() - t0 < *zap_ns))
			*zap_ns = now_ns() - t0;
		teardown(&s);
	}
	return (double)best / (double)(gib * GIB_PAGES);
}

/* Touch a working set, unload all roots, reload, touch it again: faults taken the second time. */
static u64 reload_faults(bool preserve, unsigned pages)
{
	struct setup s;
	u64 faults = 0;

	setup(&s, 1, 1, preserve);
	for (unsigned i = 0; i < pages; i++)
		mmu_fault(s.vc, gfn_to_gpa(slot_gfn + (u64)i * 61), PT_W);
	mmu_vcpu_unload_all(s.vc); /* e.g. SMM entry: flush everything */
	mmu_vcpu_load_root(s.vc, mmu_role_make(4, 0));
	for (unsigned i = 0; i < pages; i++) {
		struct mmu_translation t;

		/* What the hardware would do: walk; a miss is an EPT violation. */
		if (!mmu_translate(s.vm, mmu_vcpu_root(s.vc), slot_gfn + (u64)i * 61, &t)) {
			faults++;
			mmu_fault(s.vc, gfn_to_gpa(slot_gfn + (u64)i * 61), PT_W);
		}
	}
	teardown(&s);
	return faults;
}

int main(void)
{
	static const u64 sizes[] = { 1, 16 };
	const char *bin = "build/fake-bench/bench_mmu";

	printf("# MMU engine, EPT 4-level, one vCPU, fake guest RAM. Reproduce: make bench-build "
	       "&& %s\n",
	       bin);
	printf("#   (or: make bench BENCH_FILTER=bench_mmu). Best of %d runs.\n", RUNS);
	printf(
	    "# populate_4k_ns_per_page: bulk path (mmu_map_range under the write lock);\n"
	    "#   .shared: bulk path under the read lock; .fault: one mmu_fault() per page.\n"
	    "# populate_huge_ns_per_4k: one mmu_fault() per 1 GiB leaf; .bulk: mmu_map_range.\n");
	for (unsigned k = 0; k < ARRAY_SIZE(sizes); k++) {
		u64 gib = sizes[k], pages4k = 0, pages_huge = 0, zap = 0;
		const char *sfx = gib == 1 ? ".1g" : ".16g";
		double bulk, shared, fault, huge_bulk, huge_fault, huge2m;

		bulk = best_populate(gib, 1, BULK, &pages4k, &zap);
		shared = best_populate(gib, 1, BULK_SHARED, NULL, NULL);
		fault = best_populate(gib, 1, FAULT, NULL, NULL);
		huge_bulk = best_populate(gib, 0, BULK, &pages_huge, NULL);
		huge_fault = best_populate(gib, 0, FAULT, NULL, NULL);
		huge2m = best_populate(gib, 2, FAULT, NULL, NULL);
		printf("# %llu GiB of guest RAM\n", (unsigned long long)gib);
		printf("bench mmu.populate_4k_ns_per_page%s %.2f ns\n", sfx, bulk);
		printf("bench mmu.populate_4k_ns_per_page.shared%s %.2f ns\n", sfx, shared);
		printf("bench mmu.populate_4k_ns_per_page.fault%s %.2f ns\n", sfx, fault);
		printf("bench mmu.populate_huge_ns_per_4k%s %.4f ns\n", sfx, huge_fault);
		printf("bench mmu.populate_huge_ns_per_4k.bulk%s %.4f ns\n", sfx, huge_bulk);
		printf("bench mmu.populate_2m_ns_per_4k.fault%s %.4f ns\n", sfx, huge2m);
		printf("bench mmu.table_bytes_per_gib_4k%s %.0f bytes\n", sfx,
		       (double)(pages4k * PAGE_SIZE) / (double)gib);
		printf("bench mmu.table_bytes_per_gib_huge%s %.0f bytes\n", sfx,
		       (double)(pages_huge * PAGE_SIZE) / (double)gib);
		printf("bench mmu.zap_ns_per_4k%s %.2f ns\n", sfx,
		       (double)zap / (double)(gib * GIB_PAGES));
		if (gib == 16) {
			printf("bench mmu.populate_4k_ns_per_page %.2f ns\n", bulk);
			printf("bench mmu.populate_huge_ns_per_4k %.4f ns\n", huge_fault);
			printf("bench mmu.table_bytes_per_gib_4k %.0f bytes\n",
			       (double)(pages4k * PAGE_SIZE) / (double)gib);
			printf("bench mmu.table_bytes_per_gib_huge %.0f bytes\n",
			       (double)(pages_huge * PAGE_SIZE) / (double)gib);
			printf("bench mmu.zap_ns_per_4k %.2f ns\n",
			       (double)zap / (double)(gib * GIB_PAGES));
		}
	}
	printf("# working set of 4096 pages, unload all roots, reload, touch again\n");
	printf("bench mmu.reload_after_unload_faults %llu faults\n",
	       (unsigned long long)reload_faults(true, 4096));
	printf("bench mmu.reload_after_unload_faults_nopreserve %llu faults\n",
	       (unsigned long long)reload_faults(false, 4096));
	return 0;
}
