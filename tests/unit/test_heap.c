/*
 * The object heap on the frame allocator on fake physical memory: random
 * alloc/free sequences checked against a simple oracle (every live object
 * keeps the bytes written into it, objects never overlap), alignment,
 * zeroing (also after reuse), reuse after free, large objects, every size
 * class boundary, exhaustion, statistics, and every misuse the heap must
 * catch (death tests): double free, foreign and interior pointers,
 * misalignment, writes after free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/frames.h>
#include <hv/heap.h>

#include "expect_death.h"
#include "phys_arena.h"

static struct boot_info bi;
static u64 A;
static u64 baseline_free;

#define IMAGE_OFF 0x100000ull

static void init_memory(u64 usable_bytes)
{
	A = phys_arena_create(SZ_1G);
	bootinfo_init(&bi, "test");
	arena_add_region(&bi, IMAGE_OFF, 0x100000 + usable_bytes, MEM_USABLE);
	assert_int_equal(frames_init(&bi, hpa(A + IMAGE_OFF), hpa(A + IMAGE_OFF + 0x100000)), 0);
	heap_init();
	baseline_free = frames_free_count();
}

static int setup(void **state)
{
	(void)state;
	init_memory(64ull << 20);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	phys_arena_destroy();
	return 0;
}

static void assert_zero(const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			fail_msg("byte %zu of a new %zu-byte object is %#x, not 0", i, n, p[i]);
}

static u8 pattern(u32 id, size_t i)
{
	return (u8)(id * 131 + i * 7 + 1);
}

struct obj {
	u8 *p;
	size_t size;
	u32 id;
};

static void fill(const struct obj *o)
{
	for (size_t i = 0; i < o->size; i++)
		o->p[i] = pattern(o->id, i);
}

static void verify(const struct obj *o)
{
	for (size_t i = 0; i < o->size; i++)
		if (o->p[i] != pattern(o->id, i))
			fail_msg("object %u (%zu bytes at %p) clobbered at byte %zu", o->id,
				 o->size, (void *)o->p, i);
}

static size_t random_size(unsigned *seed)
{
	int r = rand_r(seed) % 100;

	if (r < 2)
		return 0;
	if (r < 80)
		return (size_t)rand_r(seed) % 256;
	if (r < 95)
		return 256 + (size_t)rand_r(seed) % (HEAP_SMALL_MAX - 255);
	return HEAP_SMALL_MAX + 1 + (size_t)rand_r(seed) % 40000;
}

static void random_against_oracle(void **state)
{
	static struct obj live[3000];
	unsigned seed = 99;
	u32 nlive = 0, next_id = 1;
	struct heap_stats st;

	(void)state;
	for (int step = 0; step < 40000; step++) {
		if (nlive < ARRAY_SIZE(live) && (nlive == 0 || rand_r(&seed) % 100 < 52)) {
			struct obj o = { .size = random_size(&seed), .id = next_id++ };

			o.p = heap_alloc(o.size);
			assert_non_null(o.p);
			assert_int_equal((uptr)o.p % HEAP_ALIGN, 0);
			assert_zero(o.p, o.size);
			fill(&o);
			live[nlive++] = o;
		} else {
			u32 k = (u32)rand_r(&seed) % nlive;

			verify(&live[k]);
			heap_free(live[k].p);
			live[k] = live[--nlive];
		}
		if (step % 4000 == 0)
			for (u32 i = 0; i < nlive; i++)
				verify(&live[i]);
	}
	heap_get_stats(&st);
	assert_int_equal(st.objects, nlive);
	while (nlive) {
		verify(&live[nlive - 1]);
		heap_free(live[--nlive].p);
	}
	heap_get_stats(&st);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.large_pages, 0);
	/* At most one empty slab per size class stays cached. */
	assert_true(st.slab_pages <= 12);
	assert_int_equal(frames_free_count(), baseline_free - st.slab_pages);
}

static void reuse_after_free_is_zeroed(void **state)
{
	u8 *a, *b, *c;

	(void)state;
	a = heap_alloc(40);
	b = heap_alloc(40);
	assert_int_equal(b - a, 48); /* one 48-byte class slot apart */
	memset(a, 0xff, 40);
	heap_free(a);
	c = heap_alloc(33);
	assert_ptr_equal(c, a);
	assert_zero(c, 48);
	heap_free(b);
	heap_free(c);
	heap_free(NULL);
}

/* Each size gets a slot of at least that size: consecutive objects never overlap. */
static void every_size_class_boundary(void **state)
{
	(void)state;
	for (size_t size = 1; size <= HEAP_SMALL_MAX + 64; size++) {
		u8 *a = heap_alloc(size), *b = heap_alloc(size);

		assert_non_null(a);
		assert_non_null(b);
		assert_true((size_t)(a > b ? a - b : b - a) >= size);
		memset(a, 0xaa, size);
		memset(b, 0x55, size);
		assert_int_equal(a[size - 1], 0xaa);
		heap_free(a);
		heap_free(b);
	}
}

static void large_objects(void **state)
{
	u64 before = frames_free_count();
	struct heap_stats st;
	u8 *p, *q;

	(void)state;
	p = heap_alloc(5000);
	assert_int_equal((uptr)p % HEAP_ALIGN, 0);
	assert_zero(p, 5000);
	assert_int_equal(frames_free_count(), before - 2);
	q = heap_alloc(3 << 20);
	assert_zero(q, 3 << 20);
	memset(q, 1, 3 << 20);
	heap_get_stats(&st);
	assert_int_equal(st.large_pages, 2 + DIV_ROUND_UP((3 << 20) + 32, PAGE_SIZE));
	assert_int_equal(st.bytes, 5000 + (3 << 20));
	heap_free(p);
	heap_free(q);
	assert_int_equal(frames_free_count(), before);
	/* Reused pages come back zeroed. */
	p = heap_alloc(3 << 20);
	assert_zero(p, 3 << 20);
	heap_free(p);
}

static void exhaustion(void **state)
{
	static void *objs[4096];
	u32 n = 0;

	(void)state;
	phys_arena_destroy();
	init_memory(1 << 20); /* 1 MiB of RAM past the image */
	assert_null(heap_alloc(2 << 20));
	while (n < ARRAY_SIZE(objs) && (objs[n] = heap_alloc(1000)) != NULL)
		n++;
	assert_true(n > 200 && n < ARRAY_SIZE(objs));
	assert_null(heap_alloc(16));
	while (n)
		heap_free(objs[--n]);
	assert_non_null(heap_alloc(16));
}

/* --- misuse ---------------------------------------------------------------------- */

static void die_double_free(void *arg)
{
	void *p;

	(void)arg;
	init_memory(1 << 20);
	heap_alloc(64);
	p = heap_alloc(64);
	heap_free(p);
	heap_free(p);
}

static void die_double_free_large(void *arg)
{
	void *p;

	(void)arg;
	init_memory(1 << 20);
	p = heap_alloc(10000);
	heap_free(p);
	heap_free(p);
}

static void die_foreign_stack_pointer(void *arg)
{
	u64 local[4] __aligned(16);

	(void)arg;
	init_memory(1 << 20);
	heap_free(local);
}

static void die_interior_pointer(void *arg)
{
	u8 *p;

	(void)arg;
	init_memory(1 << 20);
	p = heap_alloc(64);
	heap_free(p + 32);
}

static void die_misaligned(void *arg)
{
	u8 *p;

	(void)arg;
	init_memory(1 << 20);
	p = heap_alloc(64);
	heap_free(p + 8);
}

static void die_image_pointer(void *arg)
{
	(void)arg;
	init_memory(1 << 20);
	heap_free((void *)(uptr)(A + IMAGE_OFF + 0x40));
}

static void die_write_after_free(void *arg)
{
	u8 *p;

	(void)arg;
	init_memory(1 << 20);
	p = heap_alloc(100);
	heap_free(p);
	p[50] = 7;
	heap_alloc(100);
}

static void misuse_panics(void **state)
{
	(void)state;
	EXPECT_DEATH(die_double_free, NULL, "PANIC: hv_free(0x", "double free of a 64-byte object");
	EXPECT_DEATH(die_double_free_large, NULL, "not hypervisor memory; already freed?");
	EXPECT_DEATH(die_foreign_stack_pointer, NULL, "not an object from hv_zalloc",
		     "not hypervisor memory");
	EXPECT_DEATH(die_interior_pointer, NULL, "not at the start of an object");
	EXPECT_DEATH(die_misaligned, NULL, "(misaligned)");
	EXPECT_DEATH(die_image_pointer, NULL, "no heap header on its page");
	EXPECT_DEATH(die_write_after_free, NULL, "128-byte object at 0x",
		     "was written after it was freed (byte 50 is 0x7)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(random_against_oracle, setup, teardown),
		cmocka_unit_test_setup_teardown(reuse_after_free_is_zeroed, setup, teardown),
		cmocka_unit_test_setup_teardown(every_size_class_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(large_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(misuse_panics, setup, teardown),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
