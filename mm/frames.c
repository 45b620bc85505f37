/*
 * The physical frame allocator (contract in hv/frames.h).
 *
 * Each usable region of the memory map becomes a span with two bitmaps: bit
 * i of `used` says frame i is allocated or reserved, bit i of `hv` says it
 * belongs to the hypervisor. A span also keeps `first_free`, an index below
 * which every frame is used, so the common single-frame allocation starts
 * where the last one ended instead of at the bottom.
 *
 * Searches work a 64-bit word at a time: find_next_set() and
 * find_next_zero() skip whole full or empty words, so an aligned contiguous
 * search jumps over allocated stretches rather than stepping through them.
 *
 * Reservations (image, metadata, modules, platform) are also kept as a short
 * list of ranges: it names them in statistics and tells frames_free() that
 * a frame was never allocatable.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/frames.h>
#include <hv/lock.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>

#define BITS_PER_WORD 64
#define NONE          (~0ull)

struct frame_span {
	u64 base;       /* physical, page-aligned */
	u64 count;      /* frames */
	u64 *used;      /* allocated or reserved */
	u64 *hv;        /* the hypervisor's */
	u64 free;       /* free frames */
	u64 first_free; /* every frame below this index is used */
};

enum res_kind { RES_IMAGE, RES_METADATA, RES_MODULE, RES_PLATFORM };

struct reservation {
	u64 base, end; /* page-rounded outward, [base, end) */
	enum res_kind kind;
	const char *what;
};

#define MAX_RESERVATIONS (2 + BOOTINFO_MAX_MODULES + BOOTINFO_MAX_RESERVED)

static struct {
	spinlock_t lock;
	u32 span_count;
	struct frame_span spans[BOOTINFO_MAX_REGIONS];
	u32 res_count;
	struct reservation res[MAX_RESERVATIONS];
	u64 reserved_frames[RES_PLATFORM + 1]; /* per kind, inside spans */
	u64 hv_frames, guest_frames;
} fr;

static u64 frames_limit = ~0ull;

/* --- bitmaps ------------------------------------------------------------------------ */

static bool bit_test(const u64 *bm, u64 i)
{
	return bm[i / BITS_PER_WORD] & BIT(i % BITS_PER_WORD);
}

/* Set or clear bits [start, end). */
static void bits_assign(u64 *bm, u64 start, u64 end, bool set)
{
	while (start < end) {
		u64 w = start / BITS_PER_WORD, lo = start % BITS_PER_WORD;
		u64 n = MIN(end - start, BITS_PER_WORD - lo);
		u64 mask = (n == BITS_PER_WORD ? ~0ull : (BIT(n) - 1)) << lo;

		if (set)
			bm[w] |= mask;
		else
			bm[w] &= ~mask;
		start += n;
	}
}

/* First index in [start, end) whose bit equals want, or end. */
static u64 find_next(const u64 *bm, u64 start, u64 end, bool want)
{
	while (start < end) {
		u64 w = start / BITS_PER_WORD, lo = start % BITS_PER_WORD;
		u64 word = want ? bm[w] : ~bm[w];

		word &= ~0ull << lo;
		if (word) {
			u64 i = w * BITS_PER_WORD + (u64)__builtin_ctzll(word);

			return MIN(i, end);
		}
		start = (w + 1) * BITS_PER_WORD;
	}
	return end;
}

static u64 find_next_set(const u64 *bm, u64 start, u64 end)
{
	return find_next(bm, start, end, true);
}

static u64 find_next_zero(const u64 *bm, u64 start, u64 end)
{
	return find_next(bm, start, end, false);
}

static u64 count_set(const u64 *bm, u64 start, u64 end)
{
	u64 n = 0;

	for (u64 i = find_next_set(bm, start, end); i < end; i = find_next_set(bm, i + 1, end))
		n++;
	return n;
}

/* --- set-up ----------------------------------------------------------------------- */

static u64 span_end(const struct frame_span *s)
{
	return s->base + s->count * PAGE_SIZE;
}

static void add_reservation(u64 base, u64 end, enum res_kind kind, const char *what)
{
	if (end <= base)
		return;
	base = ALIGN_DOWN(base, PAGE_SIZE);
	end = end > ~0ull - PAGE_SIZE ? ALIGN_DOWN(~0ull, PAGE_SIZE) : ALIGN_UP(end, PAGE_SIZE);
	CHECK(fr.res_count < MAX_RESERVATIONS);
	fr.res[fr.res_count++] = (struct reservation){ base, end, kind, what };
}

static const struct reservation *reservation_overlapping(u64 base, u64 end)
{
	for (u32 i = 0; i < fr.res_count; i++)
		if (fr.res[i].base < end && base < fr.res[i].end)
			return &fr.res[i];
	return NULL;
}

/* The lowest page-aligned [at, at + size) in a span, below the limit, clear of reservations. */
static bool find_metadata_place(u64 size, u64 *at)
{
	for (u32 i = 0; i < fr.span_count; i++) {
		const struct frame_span *s = &fr.spans[i];
		u64 top = MIN(span_end(s), frames_limit);
		u64 cand = s->base;
		const struct reservation *r;

		while (cand < top && top - cand >= size) {
			r = reservation_overlapping(cand, cand + size);
			if (!r) {
				*at = cand;
				return true;
			}
			cand = r->end;
		}
	}
	return false;
}

static void mark_reservation(const struct reservation *r)
{
	bool is_hv = r->kind == RES_IMAGE || r->kind == RES_METADATA;

	for (u32 i = 0; i < fr.span_count; i++) {
		struct frame_span *s = &fr.spans[i];
		u64 a = MAX(r->base, s->base), b = MIN(r->end, span_end(s));
		u64 first, last;

		if (a >= b)
			continue;
		first = (a - s->base) / PAGE_SIZE;
		last = (b - s->base) / PAGE_SIZE;
		fr.reserved_frames[r->kind] += (last - first) - count_set(s->used, first, last);
		bits_assign(s->used, first, last, true);
		if (is_hv)
			bits_assign(s->hv, first, last, true);
	}
}

void frames_set_limit(hpa_t end)
{
	spin_lock(&fr.lock);
	frames_limit = hpa_val(end);
	spin_unlock(&fr.lock);
}

int frames_init(const struct boot_info *bi, hpa_t image_start, hpa_t image_end)
{
	u64 words = 0, meta_size, meta;
	u64 *bits;

	memset(&fr, 0, sizeof(fr));
	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mem_region *r = &bi->regions[i];
		u64 b = ALIGN_UP(r->base, PAGE_SIZE);
		u64 e = ALIGN_DOWN(r->base + r->size, PAGE_SIZE);

		if (r->type != MEM_USABLE || r->base > ~0ull - PAGE_SIZE || e <= b)
			continue;
		fr.spans[fr.span_count++] =
		    (struct frame_span){ .base = b, .count = (e - b) / PAGE_SIZE };
		words += DIV_ROUND_UP((e - b) / PAGE_SIZE, BITS_PER_WORD);
	}
	if (fr.span_count == 0)
		return HV_ENOMEM;

	add_reservation(hpa_val(image_start), hpa_val(image_end), RES_IMAGE, "hypervisor image");
	for (u32 i = 0; i < bi->module_count; i++)
		add_reservation(bi->modules[i].start, bi->modules[i].end, RES_MODULE,
				"boot module");
	for (u32 i = 0; i < bi->reserved_count; i++) {
		const struct mem_reservation *r = &bi->reserved[i];
		u64 end = r->base + r->size < r->base ? ~0ull : r->base + r->size;

		add_reservation(r->base, end, RES_PLATFORM, r->what);
	}

	meta_size = ALIGN_UP(2 * words * sizeof(u64), PAGE_SIZE);
	if (!find_metadata_place(meta_size, &meta))
		return HV_ENOMEM;
	add_reservation(meta, meta + meta_size, RES_METADATA, "frame allocator metadata");

	bits = phys_to_virt(hpa(meta));
	memset(bits, 0, meta_size);
	for (u32 i = 0; i < fr.span_count; i++) {
		struct frame_span *s = &fr.spans[i];
		u64 n = DIV_ROUND_UP(s->count, BITS_PER_WORD);

		s->used = bits;
		s->hv = bits + n;
		bits += 2 * n;
		/* Bits past the last frame of the last word read as used. */
		bits_assign(s->used, s->count, n * BITS_PER_WORD, true);
	}
	for (u32 i = 0; i < fr.res_count; i++) {
		log_debug("frames: reserved [0x%016llx-0x%016llx] %s",
			  (unsigned long long)fr.res[i].base, (unsigned long long)fr.res[i].end - 1,
			  fr.res[i].what);
		mark_reservation(&fr.res[i]);
	}
	for (u32 i = 0; i < fr.span_count; i++) {
		struct frame_span *s = &fr.spans[i];

		s->free = s->count - count_set(s->used, 0, s->count);
		s->first_free = find_next_zero(s->used, 0, s->count);
		log_debug("frames: region %u [0x%016llx-0x%016llx] %llu frames, %llu free", i,
			  (unsigned long long)s->base, (unsigned long long)span_end(s) - 1,
			  (unsigned long long)s->count, (unsigned long long)s->free);
	}
	return 0;
}

/* --- allocation --------------------------------------------------------------------- */

/* Index of the first frame at or after i whose address is a multiple of align_frames. */
static u64 align_index(const struct frame_span *s, u64 i, u64 align_frames)
{
	u64 pfn = s->base / PAGE_SIZE + i;

	return ALIGN_UP(pfn, align_frames) - s->base / PAGE_SIZE;
}

static u64 find_run(const struct frame_span *s, u64 start, u64 end, u64 count, u64 align_frames)
{
	u64 i = align_index(s, start, align_frames);

	while (i < end && end - i >= count) {
		u64 used = find_next_set(s->used, i, i + count);

		if (used == i + count)
			return i;
		i = find_next_zero(s->used, used + 1, end);
		if (i >= end)
			break;
		i = align_index(s, i, align_frames);
	}
	return NONE;
}

int frames_alloc_in(u64 count, u64 align, hpa_t min, hpa_t max, enum frame_owner owner, hpa_t *base)
{
	int err = HV_ENOMEM;

	CHECK(count > 0);
	CHECK(align >= PAGE_SIZE && (align & (align - 1)) == 0);
	CHECK(owner == FRAME_OWNER_HV || owner == FRAME_OWNER_GUEST);

	spin_lock(&fr.lock);
	for (u32 i = 0; i < fr.span_count && err; i++) {
		struct frame_span *s = &fr.spans[i];
		u64 lo = MAX(s->base, ALIGN_UP(hpa_val(min), PAGE_SIZE));
		u64 hi = MIN(MIN(span_end(s), hpa_val(max)), frames_limit);
		u64 start, end, at;

		if (hpa_val(min) > ~0ull - PAGE_SIZE || hi <= lo || (hi - lo) / PAGE_SIZE < count ||
		    s->free < count)
			continue;
		start = MAX((lo - s->base) / PAGE_SIZE, s->first_free);
		end = (hi - s->base) / PAGE_SIZE;
		at = find_run(s, start, end, count, align / PAGE_SIZE);
		if (at == NONE)
			continue;

		bits_assign(s->used, at, at + count, true);
		if (owner == FRAME_OWNER_HV) {
			bits_assign(s->hv, at, at + count, true);
			fr.hv_frames += count;
		} else {
			fr.guest_frames += count;
		}
		s->free -= count;
		if (at == s->first_free)
			s->first_free = find_next_zero(s->used, at + count, s->count);
		*base = hpa(s->base + at * PAGE_SIZE);
		err = 0;
	}
	spin_unlock(&fr.lock);
	return err;
}

int frames_alloc(u64 count, u64 align, enum frame_owner owner, hpa_t *base)
{
	return frames_alloc_in(count, align, hpa(0), hpa(~0ull), owner, base);
}

static const char *owner_name(bool is_hv)
{
	return is_hv ? "hypervisor" : "guest";
}

void frames_free(hpa_t base, u64 count, enum frame_owner owner)
{
	u64 b = hpa_val(base), end = b + count * PAGE_SIZE;
	const struct reservation *r;
	struct frame_span *s = NULL;
	u64 first;

	CHECK(count > 0 && IS_ALIGNED(b, PAGE_SIZE) && end > b);
	CHECK(owner == FRAME_OWNER_HV || owner == FRAME_OWNER_GUEST);

	spin_lock(&fr.lock);
	for (u32 i = 0; i < fr.span_count; i++)
		if (b >= fr.spans[i].base && end <= span_end(&fr.spans[i]))
			s = &fr.spans[i];
	if (!s)
		panic("frames_free: [%#llx, %#llx) is not allocatable RAM", (unsigned long long)b,
		      (unsigned long long)end);
	r = reservation_overlapping(b, end);
	if (r)
		panic("frames_free: [%#llx, %#llx) overlaps reserved [%#llx, %#llx) (%s)",
		      (unsigned long long)b, (unsigned long long)end, (unsigned long long)r->base,
		      (unsigned long long)r->end, r->what);
	first = (b - s->base) / PAGE_SIZE;
	/* Check every frame before changing any: a bad call frees nothing. */
	for (u64 i = first; i < first + count; i++) {
		unsigned long long pa = s->base + i * PAGE_SIZE;

		if (!bit_test(s->used, i))
			panic("frames_free: frame %#llx is already free (double free)", pa);
		if (bit_test(s->hv, i) != (owner == FRAME_OWNER_HV))
			panic("frames_free: frame %#llx belongs to the %s, freed as %s's", pa,
			      owner_name(bit_test(s->hv, i)), owner_name(owner == FRAME_OWNER_HV));
	}
	bits_assign(s->used, first, first + count, false);
	if (owner == FRAME_OWNER_HV) {
		bits_assign(s->hv, first, first + count, false);
		fr.hv_frames -= count;
	} else {
		fr.guest_frames -= count;
	}
	s->free += count;
	s->first_free = MIN(s->first_free, first);
	spin_unlock(&fr.lock);
}

bool frames_range_is_hv_owned(hpa_t base, u64 size)
{
	u64 b = hpa_val(base), end = b + size;
	bool owned = false;

	if (size == 0)
		return false;
	if (end < b)
		return true;

	spin_lock(&fr.lock);
	for (u32 i = 0; i < fr.res_count && !owned; i++) {
		const struct reservation *r = &fr.res[i];

		owned = (r->kind == RES_IMAGE || r->kind == RES_METADATA) && r->base < end &&
			b < r->end;
	}
	for (u32 i = 0; i < fr.span_count && !owned; i++) {
		const struct frame_span *s = &fr.spans[i];
		u64 a = MAX(b, s->base), z = MIN(end, span_end(s));

		if (a >= z)
			continue;
		a = (a - s->base) / PAGE_SIZE;
		z = DIV_ROUND_UP(z - s->base, PAGE_SIZE);
		owned = find_next_set(s->hv, a, z) < z;
	}
	spin_unlock(&fr.lock);
	return owned;
}

/* --- statistics --------------------------------------------------------------------- */

void frames_get_stats(struct frames_stats *st)
{
	spin_lock(&fr.lock);
	*st = (struct frames_stats){
		.span_count = fr.span_count,
		.hv_frames = fr.hv_frames,
		.guest_frames = fr.guest_frames,
		.image_frames = fr.reserved_frames[RES_IMAGE],
		.module_frames = fr.reserved_frames[RES_MODULE],
		.platform_frames = fr.reserved_frames[RES_PLATFORM],
		.metadata_frames = fr.reserved_frames[RES_METADATA],
	};
	for (u32 i = 0; i < fr.span_count; i++) {
		st->total_frames += fr.spans[i].count;
		st->free_frames += fr.spans[i].free;
	}
	spin_unlock(&fr.lock);
}

u64 frames_free_count(void)
{
	struct frames_stats st;

	frames_get_stats(&st);
	return st.free_frames;
}

void frames_print_stats(void)
{
	struct frames_stats st;
	char a[32], b[32], c[32], d[32], e[32], f[32], g[32];

	frames_get_stats(&st);
	log_info("free memory: %s of %s usable (%llu of %llu frames, %u regions)",
		 fmt_size(a, sizeof(a), st.free_frames * PAGE_SIZE),
		 fmt_size(b, sizeof(b), st.total_frames * PAGE_SIZE),
		 (unsigned long long)st.free_frames, (unsigned long long)st.total_frames,
		 st.span_count);
	log_info("frames: reserved %s image, %s modules, %s platform, %s allocator metadata; "
		 "allocated %s hypervisor, %s guest",
		 fmt_size(a, sizeof(a), st.image_frames * PAGE_SIZE),
		 fmt_size(c, sizeof(c), st.module_frames * PAGE_SIZE),
		 fmt_size(d, sizeof(d), st.platform_frames * PAGE_SIZE),
		 fmt_size(e, sizeof(e), st.metadata_frames * PAGE_SIZE),
		 fmt_size(f, sizeof(f), st.hv_frames * PAGE_SIZE),
		 fmt_size(g, sizeof(g), st.guest_frames * PAGE_SIZE));
}
