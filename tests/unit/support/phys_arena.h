/*
 * Fake physical memory for host tests of the frame allocator and the heap.
 *
 * The hypervisor identity-maps physical memory (hv/mm.h), so on the host a
 * "physical address" is simply a host address. phys_arena_create() reserves
 * a large, lazily backed, 1 GiB-aligned range of host address space; tests
 * describe memory maps as offsets into it, and the allocators' metadata and
 * objects land in real (ASan-visible) host memory. Untouched pages cost
 * nothing, so an 8 GiB arena is fine.
 */
#ifndef TEST_PHYS_ARENA_H
#define TEST_PHYS_ARENA_H

#include <hv/bootinfo.h>
#include <hv/types.h>

/* Reserve size bytes (a multiple of 1 GiB) of host address space; returns its base. */
u64 phys_arena_create(u64 size);
void phys_arena_destroy(void);
/* The arena's base address (0 if none). */
u64 phys_arena_base(void);

/* bootinfo_add_region() at arena base + offset; asserts success. */
void arena_add_region(struct boot_info *bi, u64 offset, u64 size, enum mem_type type);

#endif
