/*
 * What every guest loader shares (vmm/loader/): the "guest memory writer"
 * seam and placement in guest RAM.
 *
 * A loader never touches guest memory directly. It validates the image
 * first, plans where everything goes, and only then writes, through a
 * struct guest_mem: the VM's RAM ranges (guest-physical) and a raw write
 * function. guest_mem_write() checks every write against the ranges before
 * calling it, so a hostile image can only ever produce an error. Backends
 * implement the raw write on top of their memslots; host tests use a sparse
 * fake (tests/unit/support/loader_fake_ram.c).
 *
 * The RAM ranges are the guest's RAM, no more: MMIO windows and the
 * hypervisor's own memory are absent, so nothing can be loaded there and the
 * memory maps the loaders build for the guest (e820, Multiboot, the DTB's
 * /memory) show exactly these ranges.
 */
#ifndef HV_LOADER_H
#define HV_LOADER_H

#include <hv/types.h>

#define LOADER_CMDLINE_MAX 4096 /* command-line bytes a loader accepts, NUL included */
#define LOADER_RANGES_MAX  32   /* RAM or reserved ranges a loader accepts */

struct guest_range {
	u64 base;
	u64 size;
};

struct guest_mem {
	const struct guest_range *ram; /* sorted by base, non-overlapping */
	u32 ram_count;
	/* Write len bytes at gpa; only called for ranges inside ram. 0 or HV_E*. */
	int (*write)(void *ctx, gpa_t gpa, const void *src, size_t len);
	void *ctx;
};

/*
 * Check m's ranges: at most LOADER_RANGES_MAX, non-empty, not wrapping,
 * sorted and non-overlapping. 0 or HV_EINVAL.
 */
int guest_mem_validate(const struct guest_mem *m);

/* True if [base, base + size) is entirely RAM (adjacent ranges count as one). */
bool guest_mem_is_ram(const struct guest_mem *m, u64 base, u64 size);

/* Write len bytes at gpa after checking they are RAM. 0, HV_EFAULT or the writer's error. */
int guest_mem_write(const struct guest_mem *m, gpa_t at, const void *src, size_t len);

/* Zero size bytes at gpa, with the same checks. */
int guest_mem_zero(const struct guest_mem *m, gpa_t at, u64 size);

/* Where a loader may put something: a window and ranges to keep clear of. */
struct guest_place_req {
	u64 size;  /* bytes needed, > 0 */
	u64 align; /* power of two */
	u64 min;   /* lowest allowed start */
	u64 limit; /* the block must end at or below this (exclusive end) */
	bool high; /* take the highest fit rather than the lowest */
	const struct guest_range *avoid;
	u32 avoid_count;
};

/* Find a RAM block for req. 0 and *out, or HV_ENOMEM when nothing fits. */
int guest_mem_place(const struct guest_mem *m, const struct guest_place_req *req, u64 *out);

/* True if [a, a + as) and [b, b + bs) share a byte (sizes > 0, no wrap). */
static inline bool ranges_overlap(u64 a, u64 as, u64 b, u64 bs)
{
	return a < b + bs && b < a + as;
}

/* Little-endian fields of an image in host memory (any alignment). */
static inline u16 loader_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static inline u32 loader_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u64 loader_le64(const u8 *p)
{
	return (u64)loader_le32(p) | (u64)loader_le32(p + 4) << 32;
}

#endif /* HV_LOADER_H */
