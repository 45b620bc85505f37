/*
 * Nested page faults: guest memory is mapped on demand. The guest writes a
 * pattern into every 4 KiB page of its largest RAM range above 1 MiB and of
 * its low memory, then reads it all back. hv's statistics at the end show
 * how many faults that took and which leaf sizes answered them.
 */
#include "guest.h"

#define E820_RAM 1
#define PAGE     4096u
#define MAX_SPAN (64u << 20)

struct span {
	u64 base, len;
};

static void largest(u64 base, u64 len, u32 type, void *ctx)
{
	struct span *s = ctx;

	if (type == E820_RAM && base >= 0x100000 && base + len <= (1ull << 32) && len > s->len) {
		s->base = base;
		s->len = len;
	}
}

static u32 pattern(u32 a)
{
	return a ^ 0x5a5a5a5au;
}

int guest_main(u32 magic, u32 mbi)
{
	struct span s = { 0, 0 };
	u32 base, end, bad = 0, pages = 0;

	(void)magic;
	(void)mbi;
	mb_mmap(largest, &s);
	if (!check(s.len >= (2u << 20), (u32)s.len, "a RAM range of 2 MiB or more"))
		return 1;
	base = (u32)s.base;
	end = base + (u32)(s.len > MAX_SPAN ? MAX_SPAN : s.len);
	for (u32 a = base; a < end; a += PAGE, pages++)
		*(volatile u32 *)(uintptr_t)a = pattern(a);
	for (u32 a = base; a < end; a += PAGE)
		bad += *(volatile u32 *)(uintptr_t)a != pattern(a);
	printf_hv("wrote and read back %u pages at %#x-%#x\n", pages, base, end - 1);
	check(bad == 0, bad, "every page reads back what was written");
	/* Low memory (below the boot data) is RAM too. */
	*(volatile u32 *)0x8000 = 0x12345678;
	check(*(volatile u32 *)0x8000 == 0x12345678, 0, "low memory is RAM");
	return 0;
}
