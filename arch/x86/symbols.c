/*
 * Code addresses to names, from the table the second link pass embeds
 * (scripts/ksyms.awk writes its layout): a binary search over ascending
 * addresses. Only addresses inside .text get a name.
 */
#include <x86/layout.h>
#include <x86/x86.h>

/* The start of the .ksyms section; see scripts/ksyms.awk for the layout. */
extern const u64 ksyms_table[];

const char *x86_symbol_lookup(u64 addr, u64 *offset)
{
	u64 count = ksyms_table[0];
	const u64 *addrs = &ksyms_table[1];
	const u32 *name_off = (const u32 *)(addrs + count);
	const char *names = (const char *)(name_off + count);
	u64 lo = 0, hi = count;

	if (addr < (uptr)__text_start || addr >= (uptr)__text_end || count == 0 || addr < addrs[0])
		return NULL;
	/* The last symbol at or below addr. */
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		if (addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - addrs[lo];
	return names + name_off[lo];
}
