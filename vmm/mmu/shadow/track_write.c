/*
 * L1 wrote to a guest table we shadow (contract in hv/mmu/shadow.h,
 * shadow_track_write()). The write already happened in L1 memory; the
 * shadow pages of the written gfn learn about it here:
 *
 *   - widen: a write inside one entry becomes a write of the whole entry
 *     (read back through the seam; the old entry is that with the old bytes
 *     put back). A write spanning two entries, or not naturally aligned,
 *     is "misaligned": the whole shadow page is zapped, it cannot be
 *     followed entry by entry.
 *   - write flood: each page counts emulated writes since it was last used
 *     by an L2 fault; the third zaps it (L1 is rewriting or tearing down
 *     that table). Never for last-level pages, which may go unsync instead.
 *   - otherwise the shadow entry behind the written guest entry is zapped
 *     (refaulted from the new value when L2 needs it), and a child page the
 *     zap leaves with no parent is zapped too, recursively (seed 000),
 *     unless the old behaviour is switched on.
 *   - a new present leaf written into a last-level table lets that table's
 *     pages go unsync, if no page of the gfn is a higher-level table.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/string.h>

#include "shadow_internal.h"

#define SHADOW_FLOOD_LIMIT 3
#define WRITE_BATCH        16

static bool write_misaligned(u64 offset, unsigned len)
{
	if (len & (len - 1))
		return true;
	if (offset & (len - 1))
		return true;
	return (offset / sizeof(pte_t)) != ((offset + len - 1) / sizeof(pte_t));
}

/* Splice len bytes into the 8-byte entry at byte offset off. */
static u64 splice(u64 entry, unsigned off, const void *bytes, unsigned len)
{
	u8 b[sizeof(u64)];

	memcpy(b, &entry, sizeof(b));
	memcpy(b + off, bytes, len);
	memcpy(&entry, b, sizeof(b));
	return entry;
}

/* Is v a present leaf of a last-level table for page sp's format? */
static bool is_valid_last_level_leaf(const struct shadow_page *sp, pte_t v)
{
	struct gwalk_cfg cfg;
	bool leaf = false;

	gwalk_cfg_from_role(sp->role, &cfg);
	return gfmt_ops_of(cfg.kind)->check(&cfg, v, 1, &leaf) == GW_OK && leaf;
}

struct write_state {
	struct sp_ctx *ctx;
	gfn_t gfn;
	u64 offset; /* in the page */
	bool misaligned;
	pte_t new_gpte;
	u32 seq;
	unsigned last_level_pages, higher_pages;
	struct shadow_write_info *info;
};

static void handle_page(struct write_state *ws, struct shadow_page *sp)
{
	struct sp_ctx *c = ws->ctx;
	struct shadow_mmu *sm = c->sm;
	struct shadow_write_info *info = ws->info;
	unsigned idx;

	sp->write_seq = ws->seq;
	if (sp_is_zapped(sp))
		return; /* zapped by an earlier page of this write (a child of it) */
	if (!info->pages++) {
		info->level = sp_level(sp);
		info->flood = sp->flood;
	}
	if (ws->misaligned) {
		sp_zap(c, sp, SHADOW_STAT_ZAP_MISALIGNED);
		return;
	}
	if (sp_level(sp) > 1) {
		ws->higher_pages++;
		if (++sp->flood >= SHADOW_FLOOD_LIMIT) {
			info->flooded = true;
			sp_zap(c, sp, SHADOW_STAT_ZAP_FLOOD);
			return;
		}
	} else {
		ws->last_level_pages++;
	}
	idx = (unsigned)((ws->gfn - sp->gfn) * PT_ENTRIES + ws->offset / sizeof(pte_t));
	if (!pte_is_present(sp->fmt, sp->spt[idx]))
		return;
	CHECK(!sp_set_spte(c, sp, idx, 0, 0, sm->no_orphan_zap ? SP_ORPHAN_KEEP : SP_ORPHAN_ZAP));
	info->entries_zapped++;
	sm_stat(sm, SHADOW_STAT_WRITE_ENTRIES_ZAPPED, 1);
}

/* Let the written gfn's last-level pages go unsync (see the file comment). */
static void maybe_unsync(struct write_state *ws)
{
	struct shadow_mmu *sm = ws->ctx->sm;
	struct shadow_page *batch[WRITE_BATCH];
	unsigned n;

	if (ws->misaligned || ws->higher_pages || !ws->last_level_pages || ws->ctx->zapped)
		return;
	n = sp_find_gptes(sm, ws->gfn, batch, WRITE_BATCH, 0);
	if (n == WRITE_BATCH)
		return; /* too many roles to be sure: stay in sync */
	for (unsigned i = 0; i < n; i++)
		if (sp_level(batch[i]) != 1 || !is_valid_last_level_leaf(batch[i], ws->new_gpte))
			return;
	for (unsigned i = 0; i < n; i++)
		sp_mark_unsync(ws->ctx, batch[i]);
	ws->info->unsynced = n > 0;
}

int shadow_track_write(struct shadow_mmu *sm, gpa_t addr, const void *old_bytes,
		       const void *new_bytes, unsigned len, struct shadow_write_info *info)
{
	struct shadow_write_info local;
	struct write_state ws;
	struct sp_ctx c;
	u64 off = gpa_val(addr) & (PAGE_SIZE - 1);
	unsigned in_entry = (unsigned)(off & (sizeof(pte_t) - 1));
	pte_t cur = 0;

	if (!info)
		info = &local;
	*info = (struct shadow_write_info){ 0 };
	if (len < 1 || len > sizeof(pte_t))
		return HV_EINVAL;
	shadow_lock(sm);
	sp_ctx_init(&c, sm);
	ws = (struct write_state){
		.ctx = &c,
		.gfn = gpa_to_gfn(addr),
		.offset = off,
		.misaligned = write_misaligned(off, len),
		.seq = ++sm->write_seq ? sm->write_seq : ++sm->write_seq,
		.info = info,
	};
	if (!ws.misaligned) {
		/* The write is in memory already: read the whole entry back. */
		if (gread(sm, gpa(gpa_val(addr) & ~(u64)(sizeof(pte_t) - 1)), &cur))
			ws.misaligned = true;
		info->new_gpte = ws.new_gpte = cur;
		info->old_gpte = splice(cur, in_entry, old_bytes, len);
		(void)new_bytes; /* memory holds them, or a later write: either is the newest */
	}
	info->misaligned = ws.misaligned;
	for (;;) {
		struct shadow_page *batch[WRITE_BATCH];
		unsigned n = sp_find_gptes(sm, ws.gfn, batch, WRITE_BATCH, ws.seq);

		for (unsigned i = 0; i < n; i++)
			handle_page(&ws, batch[i]);
		if (n < WRITE_BATCH)
			break;
	}
	maybe_unsync(&ws);
	info->pages_zapped = c.zapped;
	sm_stat(sm, info->pages ? SHADOW_STAT_WRITES : SHADOW_STAT_WRITES_UNSHADOWED, 1);
	log_trace("shadow: %s: write gpa %#llx len %u old %#llx new %#llx level %d flood %u%s%s",
		  sm->vm->name, (unsigned long long)gpa_val(addr), len,
		  (unsigned long long)info->old_gpte, (unsigned long long)info->new_gpte,
		  info->level, info->flood, info->flooded ? " flooded" : "",
		  info->misaligned ? " misaligned" : "");
	sp_ctx_finish(&c);
	shadow_unlock(sm);
	return 0;
}
