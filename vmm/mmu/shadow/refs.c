/*
 * Sets of shadow-entry references (struct sp_ref: a page and an index), used
 * for a page's parent links and for the reverse maps. Most sets hold one
 * reference, kept inline; more go into an array that doubles as it grows.
 * Order is not kept: a removal moves the last reference into the hole.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/mm.h>
#include <hv/string.h>

#include "shadow_internal.h"

struct sp_ref refs_at(const struct sp_refs *r, u32 i)
{
	CHECK(i < r->count);
	return r->count == 1 && !r->many ? r->one : r->many[i];
}

int refs_add(struct sp_refs *r, struct shadow_page *sp, u32 idx)
{
	struct sp_ref ref = { .sp = sp, .idx = idx };

	if (!r->count && !r->many) {
		r->one = ref;
		r->count = 1;
		return 0;
	}
	if (!r->many || r->count == r->cap) {
		u32 cap = r->cap ? r->cap * 2 : 4;
		struct sp_ref *grown = hv_zalloc(cap * sizeof(*grown));

		if (!grown)
			return HV_ENOMEM;
		if (r->many)
			memcpy(grown, r->many, r->count * sizeof(*grown));
		else
			grown[0] = r->one;
		hv_free(r->many);
		r->many = grown;
		r->cap = cap;
	}
	r->many[r->count++] = ref;
	return 0;
}

void refs_del(struct sp_refs *r, struct shadow_page *sp, u32 idx)
{
	if (!r->many) {
		CHECK(r->count == 1 && r->one.sp == sp && r->one.idx == idx);
		r->count = 0;
		return;
	}
	for (u32 i = 0; i < r->count; i++) {
		if (r->many[i].sp != sp || r->many[i].idx != idx)
			continue;
		r->many[i] = r->many[--r->count];
		if (!r->count) {
			hv_free(r->many);
			r->many = NULL;
			r->cap = 0;
		}
		return;
	}
	CHECK(!"shadow reference to remove not found");
}

void refs_free(struct sp_refs *r)
{
	hv_free(r->many);
	*r = (struct sp_refs){ 0 };
}
