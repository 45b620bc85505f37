/*
 * Fake physical memory for host tests (phys_arena.h): one anonymous,
 * NORESERVE mapping, over-allocated by 1 GiB so the base can be aligned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "phys_arena.h"

static void *map_start;
static size_t map_size;
static u64 arena_base;

u64 phys_arena_create(u64 size)
{
	phys_arena_destroy();
	map_size = size + SZ_1G;
	map_start = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(map_start != MAP_FAILED);
	arena_base = ALIGN_UP((u64)(uptr)map_start, SZ_1G);
	return arena_base;
}

void phys_arena_destroy(void)
{
	if (map_start)
		munmap(map_start, map_size);
	map_start = NULL;
	arena_base = 0;
}

u64 phys_arena_base(void)
{
	return arena_base;
}

void arena_add_region(struct boot_info *bi, u64 offset, u64 size, enum mem_type type)
{
	assert_int_equal(bootinfo_add_region(bi, arena_base + offset, size, type), 0);
}
