/*
 * The guest memory writer seam and placement (contract in hv/loader.h): the
 * one place where loaders' addresses are checked against the guest's RAM.
 */
#include <hv/errno.h>
#include <hv/loader.h>

int guest_mem_validate(const struct guest_mem *m)
{
	if (!m->ram_count || m->ram_count > LOADER_RANGES_MAX || !m->write)
		return HV_EINVAL;
	for (u32 i = 0; i < m->ram_count; i++) {
		const struct guest_range *r = &m->ram[i];

		if (!r->size || r->base + r->size < r->base)
			return HV_EINVAL;
		if (i && r->base < m->ram[i - 1].base + m->ram[i - 1].size)
			return HV_EINVAL;
	}
	return 0;
}

bool guest_mem_is_ram(const struct guest_mem *m, u64 base, u64 size)
{
	u64 at = base, end = base + size;

	if (end < base)
		return false;
	/* Walk the sorted ranges, extending coverage while they are adjacent. */
	for (u32 i = 0; i < m->ram_count && at < end; i++) {
		const struct guest_range *r = &m->ram[i];

		if (at >= r->base && at - r->base < r->size)
			at = r->base + r->size;
	}
	return at >= end;
}

int guest_mem_write(const struct guest_mem *m, gpa_t at, const void *src, size_t len)
{
	if (!len)
		return 0;
	if (!guest_mem_is_ram(m, gpa_val(at), len))
		return HV_EFAULT;
	return m->write(m->ctx, at, src, len);
}

int guest_mem_zero(const struct guest_mem *m, gpa_t at, u64 size)
{
	static const u8 zeros[512];
	u64 a = gpa_val(at);

	if (!guest_mem_is_ram(m, a, size))
		return HV_EFAULT;
	while (size) {
		size_t chunk = (size_t)MIN(size, (u64)sizeof(zeros));
		int err = m->write(m->ctx, gpa(a), zeros, chunk);

		if (err)
			return err;
		a += chunk;
		size -= chunk;
	}
	return 0;
}

/* The first avoided range that overlaps [at, at + size), or NULL. */
static const struct guest_range *collides(const struct guest_place_req *req, u64 at)
{
	for (u32 i = 0; i < req->avoid_count; i++) {
		const struct guest_range *a = &req->avoid[i];

		if (a->size && ranges_overlap(at, req->size, a->base, a->size))
			return a;
	}
	return NULL;
}

/* Try candidates within one RAM range [lo, hi), moving past collisions. */
static bool place_in(const struct guest_place_req *req, u64 lo, u64 hi, u64 *out)
{
	if (hi - lo < req->size)
		return false;
	if (req->high) {
		u64 at = ALIGN_DOWN(hi - req->size, req->align);

		while (at >= lo) {
			const struct guest_range *c = collides(req, at);

			if (!c) {
				*out = at;
				return true;
			}
			if (c->base < req->size + lo)
				return false;
			at = ALIGN_DOWN(c->base - req->size, req->align);
		}
		return false;
	}
	for (u64 at = ALIGN_UP(lo, req->align); at >= lo && at + req->size <= hi;) {
		const struct guest_range *c = collides(req, at);

		if (!c) {
			*out = at;
			return true;
		}
		at = ALIGN_UP(c->base + c->size, req->align);
	}
	return false;
}

int guest_mem_place(const struct guest_mem *m, const struct guest_place_req *req, u64 *out)
{
	if (!req->size || !req->align || (req->align & (req->align - 1)))
		return HV_EINVAL;
	for (u32 k = 0; k < m->ram_count; k++) {
		/* Highest-first walks the ranges from the top. */
		const struct guest_range *r = &m->ram[req->high ? m->ram_count - 1 - k : k];
		u64 lo = MAX(r->base, req->min);
		u64 hi = MIN(r->base + r->size, req->limit);

		if (lo < hi && place_in(req, lo, hi, out))
			return 0;
	}
	return HV_ENOMEM;
}
