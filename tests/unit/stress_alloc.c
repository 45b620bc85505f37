/*
 * The frame allocator and the heap under concurrency (ThreadSanitizer).
 *
 * Four threads allocate and free frames (random counts, alignments and
 * owners) and heap objects (random sizes) at once. A claim map with one
 * atomic byte per frame catches any frame handed to two threads; every
 * frame and object carries its owner's signature, checked before it is
 * freed, so a block handed out twice or freed under someone's feet shows up.
 * Threads report problems through a counter; cmocka asserts in the main
 * thread only.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/frames.h>
#include <hv/heap.h>

#include "phys_arena.h"

#define THREADS    4
#define ITERATIONS 20000
#define ARENA_RAM  (256ull << 20)
#define MAX_LIVE   64

static u64 A;
static u8 *claims; /* one byte per frame of the arena */
static u32 errors;

static void error(const char *what, u64 a)
{
	__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "stress: %s (%#llx)\n", what, (unsigned long long)a);
}

struct block {
	u64 base, count;
	enum frame_owner owner;
};

struct object {
	u64 *p;
	size_t size;
};

static void sign(u64 *p, size_t words, u64 sig)
{
	for (size_t i = 0; i < words; i++)
		p[i] = sig ^ i;
}

static bool signed_by(const u64 *p, size_t words, u64 sig)
{
	for (size_t i = 0; i < words; i++)
		if (p[i] != (sig ^ i))
			return false;
	return true;
}

static void *worker(void *arg)
{
	u64 id = (u64)(uptr)arg;
	unsigned seed = (unsigned)id * 7919u + 1;
	struct block blocks[MAX_LIVE];
	struct object objs[MAX_LIVE];
	u32 nblocks = 0, nobjs = 0;

	for (int it = 0; it < ITERATIONS; it++) {
		int r = rand_r(&seed) % 4;

		if (r == 0 && nblocks < MAX_LIVE) {
			u64 count = 1 + (u64)rand_r(&seed) % 8;
			u64 align = rand_r(&seed) % 4 ? PAGE_SIZE : 16 * PAGE_SIZE;
			enum frame_owner owner =
			    rand_r(&seed) % 2 ? FRAME_OWNER_HV : FRAME_OWNER_GUEST;
			hpa_t pa;

			if (frames_alloc(count, align, owner, &pa))
				continue;
			for (u64 i = 0; i < count; i++) {
				u64 f = (hpa_val(pa) - A) / PAGE_SIZE + i;
				u8 want = 0;

				if (!__atomic_compare_exchange_n(&claims[f], &want, 1, false,
								 __ATOMIC_ACQ_REL,
								 __ATOMIC_RELAXED))
					error("frame handed out twice",
					      hpa_val(pa) + i * PAGE_SIZE);
				sign((u64 *)(uptr)(hpa_val(pa) + i * PAGE_SIZE), 8, id << 32 | f);
			}
			blocks[nblocks++] = (struct block){ hpa_val(pa), count, owner };
		} else if (r == 1 && nblocks) {
			u32 k = (u32)rand_r(&seed) % nblocks;
			struct block b = blocks[k];

			blocks[k] = blocks[--nblocks];
			for (u64 i = 0; i < b.count; i++) {
				u64 f = (b.base - A) / PAGE_SIZE + i;

				if (!signed_by((u64 *)(uptr)(b.base + i * PAGE_SIZE), 8,
					       id << 32 | f))
					error("frame overwritten by someone else",
					      b.base + i * PAGE_SIZE);
				if ((frames_range_is_hv_owned(hpa(b.base + i * PAGE_SIZE),
							      PAGE_SIZE)) !=
				    (b.owner == FRAME_OWNER_HV))
					error("frame has the wrong owner", b.base + i * PAGE_SIZE);
				__atomic_store_n(&claims[f], 0, __ATOMIC_RELEASE);
			}
			frames_free(hpa(b.base), b.count, b.owner);
		} else if (r == 2 && nobjs < MAX_LIVE) {
			size_t size = 8 + (size_t)rand_r(&seed) % (rand_r(&seed) % 8 ? 512 : 9000);
			u64 *p = heap_alloc(size);

			if (!p)
				continue;
			sign(p, size / 8, id << 48 | (uptr)p);
			objs[nobjs++] = (struct object){ p, size };
		} else if (r == 3 && nobjs) {
			u32 k = (u32)rand_r(&seed) % nobjs;
			struct object o = objs[k];

			objs[k] = objs[--nobjs];
			if (!signed_by(o.p, o.size / 8, id << 48 | (uptr)o.p))
				error("heap object overwritten by someone else", (uptr)o.p);
			heap_free(o.p);
		}
	}
	while (nblocks--) {
		for (u64 i = 0; i < blocks[nblocks].count; i++)
			__atomic_store_n(&claims[(blocks[nblocks].base - A) / PAGE_SIZE + i], 0,
					 __ATOMIC_RELEASE);
		frames_free(hpa(blocks[nblocks].base), blocks[nblocks].count,
			    blocks[nblocks].owner);
	}
	while (nobjs--)
		heap_free(objs[nobjs].p);
	return NULL;
}

static void concurrent_frames_and_heap(void **state)
{
	struct boot_info bi;
	pthread_t threads[THREADS];
	struct heap_stats st;
	u64 free_before;

	(void)state;
	A = phys_arena_create(SZ_1G);
	bootinfo_init(&bi, "stress");
	arena_add_region(&bi, 0, ARENA_RAM, MEM_USABLE);
	assert_int_equal(frames_init(&bi, hpa(A), hpa(A + SZ_2M)), 0);
	heap_init();
	claims = calloc(ARENA_RAM / PAGE_SIZE, 1);
	free_before = frames_free_count();

	for (u64 t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&threads[t], NULL, worker, (void *)(uptr)t), 0);
	for (u64 t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);

	assert_int_equal(errors, 0);
	heap_get_stats(&st);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.large_pages, 0);
	assert_int_equal(frames_free_count(), free_before - st.slab_pages);
	free(claims);
	phys_arena_destroy();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_frames_and_heap),
	};

	return cmocka_run_group_tests_name("stress_alloc", tests, NULL, NULL);
}
