/*
 * The hypervisor's memory-map policy on arm64 (contract in arm64/boot.h):
 * what gets mapped with which permissions, shared by the boot map (built
 * from the DTB with the MMU off) and the final map (built from boot_info).
 * Runs with the MMU off: no atomics, no logging.
 */
#include <hv/errno.h>
#include <hv/types.h>

#include <arm64/boot.h>
#include <arm64/layout.h>

bool map_plan_add(struct map_range *list, u32 *count, u32 max, u64 base, u64 size)
{
	if (size == 0)
		return true;
	if (*count == max)
		return false;
	list[(*count)++] = (struct map_range){ base, size };
	return true;
}

/* Ranges already mapped or forbidden; new mappings go around them. */
struct taken {
	u32 count;
	struct map_range r[3 * MAP_PLAN_OTHER + 8];
};

static void take(struct taken *t, u64 base, u64 end)
{
	if (end > base && t->count < ARRAY_SIZE(t->r))
		t->r[t->count++] = (struct map_range){ base, end - base };
}

/* Map [base, end) minus taken ranges from index `from` on. */
static int map_around(struct pt_el2 *pt, const struct taken *t, u32 from, u64 base, u64 end,
		      enum pt_prot prot)
{
	for (u32 i = from; i < t->count && base < end; i++) {
		u64 tb = t->r[i].base, te = tb + t->r[i].size;
		int err;

		if (te <= base || tb >= end)
			continue;
		if (tb > base) {
			err = map_around(pt, t, i + 1, base, tb, prot);
			if (err)
				return err;
		}
		base = te;
	}
	if (base >= end)
		return 0;
	return pt_el2_map(pt, base, end - base, prot);
}

/* Widen to whole pages (for things that must be fully covered). */
static void widen(const struct map_range *r, u64 *base, u64 *end)
{
	*base = ALIGN_DOWN(r->base, PAGE_SIZE);
	*end = ALIGN_UP(r->base + r->size, PAGE_SIZE);
}

static int map_list(struct pt_el2 *pt, struct taken *t, const struct map_range *list, u32 n,
		    enum pt_prot prot)
{
	for (u32 i = 0; i < n; i++) {
		u64 base, end;
		int err;

		widen(&list[i], &base, &end);
		err = map_around(pt, t, 0, base, end, prot);
		if (err)
			return err;
		take(t, base, end);
	}
	return 0;
}

int map_plan_build(struct pt_el2 *pt, const struct map_plan *plan)
{
	struct taken t = { 0 };
	const u64 img = (u64)(uptr)__image_start, text_end = (u64)(uptr)__text_end;
	const u64 ro_end = (u64)(uptr)__rodata_end, data_end = (u64)(uptr)__data_end;
	const u64 block = (u64)(uptr)__stack_block, img_end = (u64)(uptr)__image_end;
	const struct {
		u64 base, end;
		enum pt_prot prot;
	} image[] = {
		{ img, text_end, PT_PROT_TEXT },
		{ text_end, ro_end, PT_PROT_RODATA },
		{ ro_end, data_end, PT_PROT_DATA },
		{ block + EXC_STACK_OFFSET, block + EXC_STACK_TOP_OFFSET, PT_PROT_DATA },
		{ block + BOOT_STACK_OFFSET, block + STACK_BLOCK_SIZE, PT_PROT_DATA },
		{ block + STACK_BLOCK_SIZE, img_end, PT_PROT_DATA },
	};
	int err;

	for (u32 i = 0; i < ARRAY_SIZE(image); i++) {
		err = pt_el2_map(pt, image[i].base, image[i].end - image[i].base, image[i].prot);
		if (err)
			return err;
	}
	/* The whole image range is ours, guards included: nothing else maps into it. */
	take(&t, img, img_end);
	for (u32 i = 0; i < plan->hole_count; i++) {
		u64 base, end;

		widen(&plan->hole[i], &base, &end);
		take(&t, base, end);
	}
	err = map_list(pt, &t, plan->ro, plan->ro_count, PT_PROT_RODATA);
	if (!err)
		err = map_list(pt, &t, plan->dev, plan->dev_count, PT_PROT_DEVICE);
	for (u32 i = 0; !err && i < plan->ram_count; i++) {
		/* Narrow: a partial page at a RAM edge is not RAM we may use. */
		u64 base = ALIGN_UP(plan->ram[i].base, PAGE_SIZE);
		u64 end = ALIGN_DOWN(plan->ram[i].base + plan->ram[i].size, PAGE_SIZE);

		if (end > base)
			err = map_around(pt, &t, 0, base, end, PT_PROT_DATA);
	}
	return err;
}

static u32 count_wx(const u64 *table, unsigned level)
{
	u32 n = 0;

	for (u32 i = 0; i < PT_ENTRIES; i++) {
		u64 d = table[i];

		if (!(d & PTE_VALID))
			continue;
		if (level < PT_LAST_LEVEL && (d & PTE_TYPE_MASK) == PTE_TYPE_TABLE)
			n += count_wx((const u64 *)(uptr)(d & PTE_ADDR_MASK), level + 1);
		else if (!(d & PTE_AP_RO) && !(d & PTE_XN))
			n++;
	}
	return n;
}

u32 pt_el2_count_wx(const struct pt_el2 *pt)
{
	return count_wx(pt->root, pt->start_level);
}
