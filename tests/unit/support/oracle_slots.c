/* The randomized MMU tests' slot model and random choices (oracle_slots.h). */
#include <hv/mmu.h>
#include <hv/random.h>

#include "oracle_slots.h"

u64 oracle_rnd_below(u64 *rng, u64 n)
{
	return n ? xorshift64s(rng) % n : 0;
}

const struct oslot *oslot_at(const struct oslot *slots, unsigned count, gfn_t g)
{
	for (unsigned i = 0; i < count; i++) {
		const struct oslot *s = &slots[i];

		if (s->used && g >= s->gfn && g - s->gfn < s->pages)
			return s;
	}
	return NULL;
}

bool oslot_overlaps(const struct oslot *slots, unsigned count, const struct oslot *n,
		    const struct oslot *except)
{
	for (unsigned i = 0; i < count; i++) {
		const struct oslot *s = &slots[i];

		if (s->used && s != except && n->gfn < s->gfn + s->pages &&
		    s->gfn < n->gfn + n->pages)
			return true;
	}
	return false;
}

gfn_t oslot_pick_gfn(u64 *rng, const struct oslot *slots, unsigned count, gfn_t universe)
{
	if (oracle_rnd_below(rng, 8)) {
		const struct oslot *s = &slots[oracle_rnd_below(rng, count)];

		if (s->used)
			return s->gfn + oracle_rnd_below(rng, s->pages);
	}
	return oracle_rnd_below(rng, universe);
}

u64 oracle_pick_count(u64 *rng)
{
	switch (oracle_rnd_below(rng, 4)) {
	case 0:
		return 1 + oracle_rnd_below(rng, 16);
	case 1:
		return 1 + oracle_rnd_below(rng, 2048);
	case 2:
		return pt_level_pages(2) * (1 + oracle_rnd_below(rng, 4));
	default:
		return 1 + oracle_rnd_below(rng, 2 * ORACLE_GIB_PAGES);
	}
}

u32 oracle_pick_shared(u64 *rng)
{
	return oracle_rnd_below(rng, 2) ? MMU_OP_SHARED : 0;
}
