/*
 * The frame allocator on fake physical memory (support/phys_arena.h):
 * reservations of every kind, firmware and bad RAM never handed out,
 * contiguous aligned allocation around fragmentation, exhaustion, free and
 * reuse, memory far above 4 GiB, the early limit, ownership queries, misuse
 * (death tests), and random sequences checked against a per-frame oracle
 * that knows the exact answer: the lowest free aligned run, or none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/frames.h>

#include "capture_console.h"
#include "expect_death.h"
#include "phys_arena.h"

static struct boot_info bi;
static u64 A; /* the arena's base: offset 0 of every map below */

#define IMAGE_START  0x200000ull
#define IMAGE_END    0x300000ull
#define MODULE_A     0x400000ull
#define MODULE_A_END 0x480000ull
#define SMALL_END    0x4000000ull /* 64 MiB */

static int setup(void **state)
{
	(void)state;
	A = phys_arena_create(16 * SZ_1G);
	bootinfo_init(&bi, "test");
	frames_set_limit(hpa(~0ull));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	frames_set_limit(hpa(~0ull));
	phys_arena_destroy();
	return 0;
}

/*
 * A small PC-like map, 64 MiB:
 *   [0, 0x9fc00) usable   [0x9fc00, 0x100000) reserved
 *   [0x100000, 0x3000000) usable, with bad RAM at [0x1000000, 0x1010000)
 *   [0x3000000, 0x3100000) ACPI tables  [0x3100000, 0x3200000) ACPI NVS
 *   [0x3200000, 0x4000000) usable
 * plus: image [2 MiB, 3 MiB), a module [4 MiB, 4.5 MiB), the low 1 MiB reserved.
 */
static void small_map(void)
{
	arena_add_region(&bi, 0, 0x9fc00, MEM_USABLE);
	arena_add_region(&bi, 0x9fc00, 0x60400, MEM_RESERVED);
	arena_add_region(&bi, 0x100000, 0x2f00000, MEM_USABLE);
	assert_int_equal(bootinfo_add_region(&bi, A + 0x1000000, 0x10000, MEM_BAD), HV_EOVERLAP);
	arena_add_region(&bi, 0x3000000, 0x100000, MEM_ACPI_RECLAIM);
	arena_add_region(&bi, 0x3100000, 0x100000, MEM_ACPI_NVS);
	arena_add_region(&bi, 0x3200000, 0xe00000, MEM_USABLE);
	bootinfo_add_module(&bi, A + MODULE_A, A + MODULE_A_END, "module");
	bootinfo_reserve(&bi, A, 0x100000, "low 1 MiB");
	assert_int_equal(frames_init(&bi, hpa(A + IMAGE_START), hpa(A + IMAGE_END)), 0);
}

static bool in_range(u64 pa, u64 start, u64 end)
{
	return pa >= A + start && pa < A + end;
}

/* Every frame the map allows, and nothing else, is handed out exactly once. */
static void reservations_of_each_kind(void **state)
{
	static u8 seen[SMALL_END / PAGE_SIZE];
	u64 free_before, n = 0, meta = A + 0x100000;
	hpa_t pa;

	(void)state;
	small_map();
	free_before = frames_free_count();
	/* The metadata went to the lowest free place: right above the low 1 MiB. */
	assert_true(frames_range_is_hv_owned(hpa(meta), PAGE_SIZE));
	assert_false(frames_range_is_hv_owned(hpa(meta + PAGE_SIZE), PAGE_SIZE));

	memset(seen, 0, sizeof(seen));
	while (frames_alloc(1, PAGE_SIZE, FRAME_OWNER_GUEST, &pa) == 0) {
		u64 p = hpa_val(pa);

		assert_true(p >= A && p < A + SMALL_END);
		assert_false(seen[(p - A) / PAGE_SIZE]);
		seen[(p - A) / PAGE_SIZE] = 1;
		assert_false(in_range(p, 0, 0x100000));            /* low 1 MiB, firmware */
		assert_false(in_range(p, 0x100000, 0x101000));     /* metadata */
		assert_false(in_range(p, IMAGE_START, IMAGE_END)); /* image */
		assert_false(in_range(p, MODULE_A, MODULE_A_END)); /* module */
		assert_false(in_range(p, 0x1000000, 0x1010000));   /* bad RAM */
		assert_false(in_range(p, 0x3000000, 0x3200000));   /* ACPI, NVS */
		n++;
	}
	assert_int_equal(n, free_before);
	/* Everything else usable was handed out. */
	assert_int_equal(n, (0x3000000 - 0x101000 - 0x100000 - 0x80000 - 0x10000 + 0xe00000) /
				PAGE_SIZE);
	assert_int_equal(frames_free_count(), 0);
	for (u64 i = 0; i < ARRAY_SIZE(seen); i++)
		if (seen[i])
			frames_free(hpa(A + i * PAGE_SIZE), 1, FRAME_OWNER_GUEST);
	assert_int_equal(frames_free_count(), free_before);
}

static void stats_add_up(void **state)
{
	struct frames_stats st;
	hpa_t pa;
	const char *text;

	(void)state;
	small_map();
	assert_int_equal(frames_alloc(3, PAGE_SIZE, FRAME_OWNER_HV, &pa), 0);
	assert_int_equal(frames_alloc(5, PAGE_SIZE, FRAME_OWNER_GUEST, &pa), 0);
	frames_get_stats(&st);
	assert_int_equal(st.span_count, 4);
	assert_int_equal(st.image_frames, 256);
	assert_int_equal(st.module_frames, 128);
	assert_int_equal(st.platform_frames, 0x9f000 / PAGE_SIZE);
	assert_int_equal(st.metadata_frames, 1);
	assert_int_equal(st.hv_frames, 3);
	assert_int_equal(st.guest_frames, 5);
	assert_int_equal(st.total_frames, st.free_frames + st.hv_frames + st.guest_frames +
					      st.image_frames + st.module_frames +
					      st.platform_frames + st.metadata_frames);
	capture_console_start();
	frames_print_stats();
	capture_console_stop();
	text = capture_console_text();
	assert_non_null(strstr(text, "I free memory: "));
	assert_non_null(strstr(text,
			       "reserved 1 MiB image, 512 KiB modules, 636 KiB platform, "
			       "4 KiB allocator metadata; allocated 12 KiB hypervisor, 20 KiB "
			       "guest"));
}

/* Fragment memory, then ask for aligned runs that fit only in one place. */
static void contiguous_aligned(void **state)
{
	const u64 two_m = SZ_2M / PAGE_SIZE;
	hpa_t pa;
	u64 base;

	(void)state;
	arena_add_region(&bi, 0, 64 * SZ_2M, MEM_USABLE);
	assert_int_equal(frames_init(&bi, hpa(A), hpa(A + PAGE_SIZE)), 0);
	/* Metadata and the "image" occupy the first 2 MiB: a 2 MiB-aligned 8 MiB run starts at 2 MiB. */
	assert_int_equal(frames_alloc(4 * two_m, SZ_2M, FRAME_OWNER_GUEST, &pa), 0);
	assert_int_equal(hpa_val(pa), A + SZ_2M);

	/* Take everything, then free: 511 frames after each 2 MiB boundary, and one whole 4 MiB. */
	while (frames_alloc(1, PAGE_SIZE, FRAME_OWNER_GUEST, &pa) == 0)
		;
	for (base = A + 10 * SZ_2M; base < A + 60 * SZ_2M; base += 4 * SZ_2M)
		frames_free(hpa(base + PAGE_SIZE), two_m - 1, FRAME_OWNER_GUEST);
	frames_free(hpa(A + 40 * SZ_2M), 2 * two_m, FRAME_OWNER_GUEST);

	/* No 2 MiB boundary is free outside the whole run. */
	assert_int_equal(frames_alloc(1, SZ_2M, FRAME_OWNER_GUEST, &pa), 0);
	assert_int_equal(hpa_val(pa), A + 40 * SZ_2M);
	assert_int_equal(frames_alloc(two_m + 1, SZ_2M, FRAME_OWNER_GUEST, &pa), HV_ENOMEM);
	assert_int_equal(frames_alloc(two_m, SZ_2M, FRAME_OWNER_GUEST, &pa), 0);
	assert_int_equal(hpa_val(pa), A + 41 * SZ_2M);
	/* Unaligned requests fit into the 511-frame holes, lowest first. */
	assert_int_equal(frames_alloc(two_m - 1, PAGE_SIZE, FRAME_OWNER_GUEST, &pa), 0);
	assert_int_equal(hpa_val(pa), A + 10 * SZ_2M + PAGE_SIZE);
	assert_int_equal(frames_alloc(two_m, PAGE_SIZE, FRAME_OWNER_GUEST, &pa), HV_ENOMEM);
	assert_int_equal(frames_alloc(100, 64 * 1024, FRAME_OWNER_GUEST, &pa), 0);
	assert_int_equal(hpa_val(pa), A + 14 * SZ_2M + 64 * 1024);
}

static void free_and_reuse(void **state)
{
	hpa_t a, b, c, d;

	(void)state;
	small_map();
	assert_int_equal(frames_alloc(1, PAGE_SIZE, FRAME_OWNER_HV, &a), 0);
	assert_int_equal(frames_alloc(4, PAGE_SIZE, FRAME_OWNER_HV, &b), 0);
	assert_int_equal(frames_alloc(1, PAGE_SIZE, FRAME_OWNER_HV, &c), 0);
	assert_int_equal(hpa_val(b), hpa_val(a) + PAGE_SIZE);
	assert_int_equal(hpa_val(c), hpa_val(b) + 4 * PAGE_SIZE);
	/* Allocated together, freed in pieces: fine. */
	frames_free(hpa(hpa_val(b) + 2 * PAGE_SIZE), 2, FRAME_OWNER_HV);
	frames_free(b, 2, FRAME_OWNER_HV);
	assert_int_equal(frames_alloc(1, PAGE_SIZE, FRAME_OWNER_GUEST, &d), 0);
	assert_int_equal(hpa_val(d), hpa_val(b));
	assert_int_equal(frames_alloc(3, PAGE_SIZE, FRAME_OWNER_GUEST, &d), 0);
	assert_int_equal(hpa_val(d), hpa_val(b) + PAGE_SIZE);
}

/*
 * Far above 4 GiB: 3 GiB of RAM at arena offset 4 GiB and 8 GiB at offset 8 GiB
 * (the arena itself is at a host address well above 4 GiB too).
 */
static void above_4g_and_limit(void **state)
{
	u64 low_end = A + 0x40000000;
	hpa_t pa;

	(void)state;
	arena_add_region(&bi, 0x100000, 0x3ff00000, MEM_USABLE);
	arena_add_region(&bi, 4 * SZ_1G, 3 * SZ_1G, MEM_USABLE);
	arena_add_region(&bi, 8 * SZ_1G, 8 * SZ_1G, MEM_USABLE);
	/* As on x86 before paging is up: nothing above the boot mapping. */
	frames_set_limit(hpa(low_end));
	assert_int_equal(frames_init(&bi, hpa(A + 0x100000), hpa(A + 0x200000)), 0);
	assert_int_equal(
	    frames_alloc_in(1, PAGE_SIZE, hpa(A + 4 * SZ_1G), hpa(~0ull), FRAME_OWNER_HV, &pa),
	    HV_ENOMEM);
	assert_int_equal(frames_alloc(1, PAGE_SIZE, FRAME_OWNER_HV, &pa), 0);
	assert_true(hpa_val(pa) < low_end);
	assert_int_equal(frames_alloc(1, SZ_1G, FRAME_OWNER_GUEST, &pa), HV_ENOMEM);

	frames_set_limit(hpa(~0ull));
	/* 1 GiB-aligned 6 GiB, only possible in the top region. */
	assert_int_equal(frames_alloc(6 * SZ_1G / PAGE_SIZE, SZ_1G, FRAME_OWNER_GUEST, &pa), 0);
	assert_int_equal(hpa_val(pa), A + 8 * SZ_1G);
	assert_false(frames_range_is_hv_owned(pa, 6 * SZ_1G));
	assert_int_equal(
	    frames_alloc_in(1, PAGE_SIZE, hpa(A + 4 * SZ_1G), hpa(~0ull), FRAME_OWNER_HV, &pa), 0);
	assert_int_equal(hpa_val(pa), A + 4 * SZ_1G);
	assert_true(frames_range_is_hv_owned(pa, 1));
	/* [min, max) bounds are honoured. */
	assert_int_equal(frames_alloc_in(2, SZ_2M, hpa(A + 5 * SZ_1G + 1),
					 hpa(A + 5 * SZ_1G + 6 * SZ_1G), FRAME_OWNER_GUEST, &pa),
			 0);
	assert_int_equal(hpa_val(pa), A + 5 * SZ_1G + SZ_2M);
	assert_int_equal(frames_alloc_in(1, PAGE_SIZE, hpa(A + 14 * SZ_1G), hpa(A + 14 * SZ_1G),
					 FRAME_OWNER_GUEST, &pa),
			 HV_ENOMEM);
}

static void ownership_queries(void **state)
{
	hpa_t hv, guest;

	(void)state;
	small_map();
	assert_int_equal(frames_alloc(2, PAGE_SIZE, FRAME_OWNER_HV, &hv), 0);
	assert_int_equal(frames_alloc(2, PAGE_SIZE, FRAME_OWNER_GUEST, &guest), 0);
	assert_true(frames_range_is_hv_owned(hpa(A + IMAGE_START), PAGE_SIZE));
	assert_true(frames_range_is_hv_owned(hpa(A + IMAGE_END - 1), 1));
	assert_true(frames_range_is_hv_owned(hpa(A + IMAGE_START - PAGE_SIZE), 2 * PAGE_SIZE));
	assert_false(frames_range_is_hv_owned(hpa(A + IMAGE_END), PAGE_SIZE));
	assert_true(frames_range_is_hv_owned(hv, PAGE_SIZE));
	assert_true(frames_range_is_hv_owned(hpa(hpa_val(hv) + PAGE_SIZE + 100), 1));
	assert_false(frames_range_is_hv_owned(guest, 2 * PAGE_SIZE));
	assert_false(frames_range_is_hv_owned(hpa(A + MODULE_A), MODULE_A_END - MODULE_A));
	assert_false(frames_range_is_hv_owned(hpa(A + 0x3000000), 0x200000)); /* ACPI */
	assert_false(frames_range_is_hv_owned(hpa(A + IMAGE_START), 0));
	assert_true(frames_range_is_hv_owned(hpa(~0ull - 10), 100)); /* wraps */
	frames_free(hv, 2, FRAME_OWNER_HV);
	assert_false(frames_range_is_hv_owned(hv, 2 * PAGE_SIZE));
}

static void init_failures(void **state)
{
	(void)state;
	/* No usable RAM at all. */
	arena_add_region(&bi, 0, 0x100000, MEM_RESERVED);
	assert_int_equal(frames_init(&bi, hpa(A), hpa(A + PAGE_SIZE)), HV_ENOMEM);
	/* Usable RAM entirely taken by the image: no room for metadata. */
	arena_add_region(&bi, 0x100000, 0x100000, MEM_USABLE);
	assert_int_equal(frames_init(&bi, hpa(A + 0x100000), hpa(A + 0x200000)), HV_ENOMEM);
	/* Room, but not below the limit. */
	arena_add_region(&bi, 0x300000, 0x100000, MEM_USABLE);
	frames_set_limit(hpa(A + 0x200000));
	assert_int_equal(frames_init(&bi, hpa(A + 0x100000), hpa(A + 0x200000)), HV_ENOMEM);
	frames_set_limit(hpa(~0ull));
	assert_int_equal(frames_init(&bi, hpa(A + 0x100000), hpa(A + 0x200000)), 0);
	/* Partial pages at region edges are not used. */
	bootinfo_init(&bi, "test");
	arena_add_region(&bi, 0x10, 0x3000, MEM_USABLE);
	assert_int_equal(frames_init(&bi, hpa(A + 0x100000), hpa(A + 0x200000)), 0);
	assert_int_equal(frames_free_count(), 1); /* [0x1000, 0x3000) minus one page of metadata */
}

/* --- misuse ---------------------------------------------------------------------- */

static void die_double_free(void *arg)
{
	hpa_t pa;

	(void)arg;
	small_map();
	frames_alloc(2, PAGE_SIZE, FRAME_OWNER_HV, &pa);
	frames_free(hpa(hpa_val(pa) + PAGE_SIZE), 1, FRAME_OWNER_HV);
	/* The second frame is free: nothing may be freed, the first stays allocated. */
	frames_free(pa, 2, FRAME_OWNER_HV);
}

static void die_wrong_owner(void *arg)
{
	hpa_t pa;

	(void)arg;
	small_map();
	frames_alloc(1, PAGE_SIZE, FRAME_OWNER_GUEST, &pa);
	frames_free(pa, 1, FRAME_OWNER_HV);
}

static void die_free_image(void *arg)
{
	(void)arg;
	small_map();
	frames_free(hpa(A + IMAGE_START), 1, FRAME_OWNER_HV);
}

static void die_free_outside_ram(void *arg)
{
	(void)arg;
	small_map();
	frames_free(hpa(A + 0x3000000), 1, FRAME_OWNER_GUEST);
}

static void die_bad_alignment(void *arg)
{
	hpa_t pa;

	(void)arg;
	small_map();
	frames_alloc(1, 3 * PAGE_SIZE, FRAME_OWNER_GUEST, &pa);
}

static void misuse_panics(void **state)
{
	(void)state;
	EXPECT_DEATH(die_double_free, NULL, "PANIC: frames_free: frame 0x",
		     "is already free (double free)");
	EXPECT_DEATH(die_wrong_owner, NULL, "belongs to the guest, freed as hypervisor's");
	EXPECT_DEATH(die_free_image, NULL, "overlaps reserved", "(hypervisor image)");
	EXPECT_DEATH(die_free_outside_ram, NULL, "is not allocatable RAM");
	EXPECT_DEATH(die_bad_alignment, NULL, "CHECK(align >= PAGE_SIZE");
}

/* --- random sequences against an oracle ------------------------------------------------ */

#define ORACLE_FRAMES (SMALL_END / PAGE_SIZE)
enum { O_NONE, O_FREE, O_HV, O_GUEST };
static u8 oracle[ORACLE_FRAMES];

struct live {
	u64 base, count;
	enum frame_owner owner;
};

/* The answer frames_alloc() must give: the lowest aligned run of free frames. */
static u64 oracle_find(u64 count, u64 align_frames)
{
	for (u64 i = 0; i + count <= ORACLE_FRAMES; i += align_frames) {
		u64 j = 0;

		while (j < count && oracle[i + j] == O_FREE)
			j++;
		if (j == count)
			return i;
	}
	return ~0ull;
}

static void random_against_oracle(void **state)
{
	static struct live live[4096];
	static const u64 aligns[] = { PAGE_SIZE, 2 * PAGE_SIZE, 64 * 1024, SZ_2M };
	unsigned seed = 1234;
	u32 nlive = 0;
	hpa_t pa;

	(void)state;
	small_map();
	/* The oracle's initial state: free exactly where one-frame allocations land. */
	memset(oracle, O_NONE, sizeof(oracle));
	while (frames_alloc(1, PAGE_SIZE, FRAME_OWNER_GUEST, &pa) == 0)
		oracle[(hpa_val(pa) - A) / PAGE_SIZE] = O_FREE;
	for (u64 i = 0; i < ORACLE_FRAMES; i++)
		if (oracle[i] == O_FREE)
			frames_free(hpa(A + i * PAGE_SIZE), 1, FRAME_OWNER_GUEST);

	for (int step = 0; step < 20000; step++) {
		bool do_alloc =
		    nlive == 0 || (nlive < ARRAY_SIZE(live) && rand_r(&seed) % 100 < 55);

		if (do_alloc) {
			u64 count = rand_r(&seed) % 8 ? 1 + (u64)rand_r(&seed) % 16
						      : 1 + (u64)rand_r(&seed) % 2000;
			u64 align = aligns[rand_r(&seed) % ARRAY_SIZE(aligns)];
			enum frame_owner owner =
			    rand_r(&seed) % 2 ? FRAME_OWNER_HV : FRAME_OWNER_GUEST;
			u64 want = oracle_find(count, align / PAGE_SIZE);
			int err = frames_alloc(count, align, owner, &pa);

			if (want == ~0ull) {
				assert_int_equal(err, HV_ENOMEM);
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(hpa_val(pa), A + want * PAGE_SIZE);
			memset(&oracle[want], owner == FRAME_OWNER_HV ? O_HV : O_GUEST, count);
			live[nlive++] = (struct live){ want, count, owner };
		} else {
			u32 k = (u32)rand_r(&seed) % nlive;
			struct live *l = &live[k];
			/* Free all of it, or split off a tail and free the head. */
			u64 n = l->count > 1 && rand_r(&seed) % 3 == 0 ? l->count / 2 : l->count;

			assert_true(
			    frames_range_is_hv_owned(hpa(A + l->base * PAGE_SIZE), n * PAGE_SIZE) ==
			    (l->owner == FRAME_OWNER_HV));
			frames_free(hpa(A + l->base * PAGE_SIZE), n, l->owner);
			memset(&oracle[l->base], O_FREE, n);
			l->base += n;
			l->count -= n;
			if (l->count == 0)
				*l = live[--nlive];
		}
	}
	{
		u64 free_frames = 0;

		for (u64 i = 0; i < ORACLE_FRAMES; i++)
			free_frames += oracle[i] == O_FREE;
		assert_int_equal(frames_free_count(), free_frames);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reservations_of_each_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_add_up, setup, teardown),
		cmocka_unit_test_setup_teardown(contiguous_aligned, setup, teardown),
		cmocka_unit_test_setup_teardown(free_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(above_4g_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(ownership_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(init_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(misuse_panics, setup, teardown),
		cmocka_unit_test_setup_teardown(random_against_oracle, setup, teardown),
	};

	return cmocka_run_group_tests_name("frames", tests, NULL, NULL);
}
