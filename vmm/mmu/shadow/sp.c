/*
 * Shadow pages: creation and freeing, the hash by guest-table gfn (and the
 * index by table address), the LRU with its quota, and the write tracking
 * of the guest tables they shadow.
 *
 * A page is found by (gfn, role). Zapped pages leave the gfn hash at once,
 * so a lookup never returns one; they stay in the table-address index until
 * freed. The LRU holds the valid pages, most recently used (walked by a
 * fault, or created) first; when the quota is reached the oldest pages are
 * recycled, never a root a vCPU holds.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "shadow_internal.h"

static unsigned hash_u64(u64 v)
{
	return (unsigned)((v * 0x9e3779b97f4a7c15ull) >> (64 - SHADOW_HASH_BITS));
}

int shadow_hash_init(struct shadow_mmu *sm)
{
	for (unsigned i = 0; i < SHADOW_HASH_SIZE; i++) {
		list_init(&sm->hash[i]);
		list_init(&sm->by_table[i]);
		list_init(&sm->rmap_hash[i]);
	}
	list_init(&sm->rmap_all);
	list_init(&sm->lru);
	list_init(&sm->unsync);
	list_init(&sm->obsolete);
	list_init(&sm->vcpus);
	return 0;
}

struct shadow_page *sp_find(struct shadow_mmu *sm, gfn_t gfn, sp_role_t role)
{
	struct shadow_page *sp;

	list_for_each_entry (sp, &sm->hash[hash_u64(gfn)], hash_link)
		if (sp->gfn == gfn && sp->role == role)
			return sp;
	return NULL;
}

struct shadow_page *sp_of_table(struct shadow_mmu *sm, const pte_t *table)
{
	struct shadow_page *sp;
	u64 key = hpa_to_pfn(virt_to_phys(table));

	list_for_each_entry (sp, &sm->by_table[hash_u64(key)], table_link)
		if (sp->spt == table)
			return sp;
	CHECK(!"shadow table without its page");
	return NULL;
}

unsigned sp_find_gptes(struct shadow_mmu *sm, gfn_t gfn, struct shadow_page **out, unsigned max,
		       u32 skip_seq)
{
	unsigned n = 0;
	unsigned back = sm->multi_page_roots ? PT_MAX_ROOT_PAGES - 1 : 0;

	/* A concatenated guest root is hashed by its first page: look behind too. */
	for (unsigned k = 0; k <= back && k <= gfn && n < max; k++) {
		struct shadow_page *sp;

		list_for_each_entry (sp, &sm->hash[hash_u64(gfn - k)], hash_link) {
			if (sp->gfn != gfn - k || sp_is_direct(sp) ||
			    (skip_seq && sp->write_seq == skip_seq))
				continue;
			if (k >= sp_guest_pages(sp))
				continue;
			out[n++] = sp;
			if (n == max)
				break;
		}
	}
	return n;
}

u32 shadow_longest_chain(struct shadow_mmu *sm)
{
	u32 longest = 0;

	for (unsigned i = 0; i < SHADOW_HASH_SIZE; i++) {
		struct list_node *n;
		u32 len = 0;

		list_for_each (n, &sm->hash[i])
			len++;
		longest = MAX(longest, len);
	}
	return longest;
}

int sp_track(struct shadow_mmu *sm, struct shadow_page *sp)
{
	unsigned pages = sp_guest_pages(sp);
	unsigned done;
	int r = 0;

	CHECK(!sp->tracked && !sp_is_direct(sp));
	for (done = 0; done < pages; done++) {
		struct mmu_slot *s = mmu_slot_lookup(sm->vm, sp->gfn + done);

		if (!s || (s->flags & MMU_SLOT_MMIO)) {
			r = HV_EFAULT;
			break;
		}
		r = mmu_track_add_locked(sm->vm, s, sp->gfn + done);
		if (r)
			break;
	}
	if (r) {
		while (done--)
			CHECK(!mmu_track_remove_locked(
			    sm->vm, mmu_slot_lookup(sm->vm, sp->gfn + done), sp->gfn + done));
		return r;
	}
	sp->tracked = true;
	return 0;
}

void sp_untrack(struct shadow_mmu *sm, struct shadow_page *sp)
{
	if (!sp->tracked)
		return;
	for (unsigned i = 0; i < sp_guest_pages(sp); i++) {
		struct mmu_slot *s = mmu_slot_lookup(sm->vm, sp->gfn + i);

		/* Slots holding tracked guest tables zap their pages before they go (seed 001). */
		CHECK(s && !mmu_track_remove_locked(sm->vm, s, sp->gfn + i));
	}
	sp->tracked = false;
}

struct shadow_page *sp_create(struct sp_ctx *c, gfn_t gfn, sp_role_t role, int *err)
{
	struct shadow_mmu *sm = c->sm;
	struct gwalk_cfg cfg;
	struct shadow_page *sp;
	unsigned entries;
	int level = role_level(role);

	gwalk_cfg_from_role(role, &cfg);
	CHECK(cfg.fmt && level >= 1 && level <= cfg.fmt->levels);
	sp = hv_zalloc(sizeof(*sp));
	if (!sp)
		goto nomem;
	sp->gfn = gfn;
	sp->role = role;
	sp->fmt = cfg.fmt;
	entries = sp_entries(sp);
	sp->spt = level == cfg.fmt->levels ? page_alloc_contig(cfg.fmt->root_pages) : page_alloc();
	if (!sp->spt)
		goto nomem_sp;
	if (pt_level_can_be_leaf(cfg.fmt, level)) {
		sp->leaf_gfn = hv_zalloc(entries * sizeof(gfn_t));
		if (!sp->leaf_gfn)
			goto nomem_spt;
	}
	list_init(&sp->unsync_link);
	if (!role_direct(role)) {
		*err = sp_track(sm, sp);
		if (*err)
			goto fail;
	}
	sp->id = ++sm->next_id;
	list_add(&sp->hash_link, &sm->hash[hash_u64(gfn)]);
	list_add(&sp->table_link, &sm->by_table[hash_u64(hpa_to_pfn(virt_to_phys(sp->spt)))]);
	list_add(&sp->lru_link, &sm->lru);
	sm->pages++;
	sm->valid_pages++;
	if (role_direct(role))
		sm->pages_direct++;
	if (sp_guest_pages(sp) > 1)
		sm->multi_page_roots = true;
	sm_stat(sm, SHADOW_STAT_SP_CREATED, 1);
	log_trace("shadow: %s: new page #%llu gfn %#llx role %#x", sm->vm->name,
		  (unsigned long long)sp->id, (unsigned long long)gfn, role);
	return sp;

nomem_spt:
	*err = HV_ENOMEM;
fail:
	hv_free(sp->leaf_gfn);
	if (level == cfg.fmt->levels)
		page_free_contig(sp->spt, cfg.fmt->root_pages);
	else
		page_free(sp->spt);
	hv_free(sp);
	return NULL;
nomem_sp:
	hv_free(sp);
nomem:
	*err = HV_ENOMEM;
	return NULL;
}

void sp_free(struct shadow_mmu *sm, struct shadow_page *sp)
{
	CHECK(sp_is_zapped(sp) && !sp->root_count && !sp->present && !sp->parents.count);
	list_del(&sp->table_link);
	if (sp_level(sp) == sp->fmt->levels)
		page_free_contig(sp->spt, sp->fmt->root_pages);
	else
		page_free(sp->spt);
	hv_free(sp->leaf_gfn);
	refs_free(&sp->parents);
	sm->pages--;
	if (sp_is_direct(sp))
		sm->pages_direct--;
	hv_free(sp);
}

void sp_touch(struct shadow_mmu *sm, struct shadow_page *sp)
{
	sp->flood = 0;
	if (sm->lru.next != &sp->lru_link) {
		list_del(&sp->lru_link);
		list_add(&sp->lru_link, &sm->lru);
	}
}

void sp_make_room(struct sp_ctx *c, u32 need)
{
	struct shadow_mmu *sm = c->sm;
	struct list_node *n = sm->lru.prev;

	while (sm->valid_pages + need > sm->max_pages && n != &sm->lru) {
		struct shadow_page *sp = list_entry(n, struct shadow_page, lru_link);

		if (sp->root_count) {
			n = n->prev;
			continue;
		}
		/* Zapping may take more pages off the list (children): restart from the tail. */
		sp_zap(c, sp, SHADOW_STAT_ZAP_QUOTA);
		n = sm->lru.prev;
	}
}
