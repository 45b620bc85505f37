/*
 * The L2 fault path (contract in hv/mmu/shadow.h, shadow_fault()) and the
 * making of shadow leaves.
 *
 * Under mmu_lock held for writing: walk L1's table (gwalk.c), reflect what
 * it forbids, look the target L1 gfn up in L1's memslots, then go down the
 * shadow tree from the vCPU's root, linking for each level the shadow page
 * of the guest table the walk met there (found by gfn and role, or made and
 * write-tracked), or a direct page below a guest huge leaf that we map with
 * smaller leaves, and install the leaf. Every page walked counts as used:
 * its write-flood count restarts and it moves to the front of the LRU.
 *
 * The leaf grants what every level of L1's entries grants, less what we
 * withhold from L1 itself: write in a read-only slot or on a write-tracked
 * gfn, and write until L1's entry is dirty where L1 tracks dirtiness (so the
 * write that dirties it comes back here and sets the flag). Its size is the
 * smaller of L1's leaf and the largest leaf our slot allows at that L1 gfn.
 * Its memory type is the stronger of L1's and the slot's.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "shadow_internal.h"

static const char *const result_names[SHADOW_FAULT_RESULT_COUNT] = {
	[SHADOW_FAULT_MAPPED] = "mapped",   [SHADOW_FAULT_SPURIOUS] = "spurious",
	[SHADOW_FAULT_RETRY] = "retry",     [SHADOW_FAULT_REFLECT] = "reflect",
	[SHADOW_FAULT_MMIO] = "mmio",       [SHADOW_FAULT_READONLY] = "readonly",
	[SHADOW_FAULT_EMULATE] = "emulate", [SHADOW_FAULT_NOMEM] = "nomem",
};

static const enum shadow_stat result_stat[SHADOW_FAULT_RESULT_COUNT] = {
	[SHADOW_FAULT_MAPPED] = SHADOW_STAT_FAULT_MAPPED,
	[SHADOW_FAULT_SPURIOUS] = SHADOW_STAT_FAULT_SPURIOUS,
	[SHADOW_FAULT_RETRY] = SHADOW_STAT_FAULT_RETRY,
	[SHADOW_FAULT_REFLECT] = SHADOW_STAT_FAULT_REFLECT,
	[SHADOW_FAULT_MMIO] = SHADOW_STAT_FAULT_MMIO,
	[SHADOW_FAULT_READONLY] = SHADOW_STAT_FAULT_READONLY,
	[SHADOW_FAULT_EMULATE] = SHADOW_STAT_FAULT_EMULATE,
	[SHADOW_FAULT_NOMEM] = SHADOW_STAT_FAULT_NOMEM,
};

const char *shadow_fault_result_name(enum shadow_fault_result r)
{
	return (unsigned)r < SHADOW_FAULT_RESULT_COUNT ? result_names[r] : "?";
}

/* Strength of a memory type: the combined mapping takes the stronger one. */
static unsigned memtype_strength(u8 mt)
{
	static const u8 strength[PT_MT_COUNT] = {
		[PT_MT_WB] = 0, [PT_MT_WT] = 1, [PT_MT_WC] = 2, [PT_MT_DEVICE] = 3, [PT_MT_UC] = 4,
	};

	return mt < PT_MT_COUNT ? strength[mt] : strength[PT_MT_UC];
}

pte_t shadow_make_leaf(struct shadow_mmu *sm, const struct pt_format *f, int level, gfn_t gfn,
		       u8 perm, struct pt_attr gattr)
{
	struct mmu_slot *s = mmu_slot_lookup(sm->vm, gfn);
	struct pt_attr a = gattr;

	if (!s || (s->flags & MMU_SLOT_MMIO) ||
	    gfn - s->base_gfn + pt_level_pages(level) > s->npages)
		return 0;
	a.perm = perm & (f->perm_mask | f->perm_implicit);
	if ((s->flags & MMU_SLOT_READONLY) || (level == 1 && slot_gfn_is_tracked(s, gfn)))
		a.perm &= (u8)~PT_W;
	if (memtype_strength(s->memtype) > memtype_strength(gattr.memtype))
		a.memtype = s->memtype;
	if (!(f->memtypes & BIT(a.memtype)))
		a.memtype = PT_MT_UC; /* e.g. DEVICE on x86 */
	a.flags &= f->attr_flags;
	return make_leaf_pte(f, pt_leaf_template(f, a, level), s->base_pfn + (gfn - s->base_gfn));
}

struct fault_state {
	struct sp_ctx *ctx;
	struct shadow_vcpu *sv;
	struct gwalk w;
	gfn_t l2_gfn;
	u8 access;
	u8 leaf_perm; /* what the shadow leaf may grant */
	int goal;     /* level of the shadow leaf */
};

/*
 * The child page the walk needs below entry (sp, level): the guest table
 * met at level - 1, or a direct page inside the guest's huge leaf.
 */
static void child_key(const struct fault_state *fs, struct shadow_page *parent, int level,
		      gfn_t *gfn, sp_role_t *role)
{
	const struct gwalk *w = &fs->w;

	if (level > w->leaf_level) {
		*gfn = w->table_gfn[level - 1];
		*role = role_with(parent->role, level - 1, w->access_above[level - 1], false);
	} else {
		*gfn = ALIGN_DOWN(w->gfn, pt_level_pages(level));
		*role = role_with(parent->role, level - 1, fs->leaf_perm, true);
	}
}

/* Link (or find) the child page below sp's entry idx; NULL with *res on failure. */
static struct shadow_page *link_child(struct fault_state *fs, struct shadow_page *sp, unsigned idx,
				      int level, enum shadow_fault_result *res)
{
	struct sp_ctx *c = fs->ctx;
	struct shadow_mmu *sm = c->sm;
	const struct pt_format *f = sp->fmt;
	pte_t e = sp->spt[idx];
	struct shadow_page *child;
	sp_role_t role;
	gfn_t gfn;
	int err;

	child_key(fs, sp, level, &gfn, &role);
	if (pte_is_table(f, e, level)) {
		child = sp_of_table(sm, pt_table_ptr(f, e));
		if (child->gfn == gfn && child->role == role)
			return child;
	}
	if (pte_is_present(f, e)) {
		/* A stale child (other gfn or grants) or a leaf too big now: replace it. */
		CHECK(!sp_set_spte(c, sp, idx, 0, 0, SP_ORPHAN_ZAP_CHILD));
	}
	child = sp_find(sm, gfn, role);
	if (child) {
		sm_stat(sm, SHADOW_STAT_SP_REUSED, 1);
		if (child->unsync)
			sp_sync(
			    c,
			    child); /* it may hold stale entries: sync before a new path sees it */
	} else {
		if (!role_direct(role) && level - 1 > 1) {
			/* A table above the last level is never unsync: retire unsync pages of the gfn. */
			struct shadow_page *other[8];
			unsigned n = sp_find_gptes(sm, gfn, other, ARRAY_SIZE(other), 0);

			for (unsigned i = 0; i < n; i++)
				if (other[i]->unsync)
					sp_zap(c, other[i], SHADOW_STAT_ZAP_ROLE);
		}
		child = sp_create(c, gfn, role, &err);
		if (!child) {
			*res = err == HV_ENOMEM ? SHADOW_FAULT_NOMEM : SHADOW_FAULT_RETRY;
			return NULL;
		}
	}
	if (sp_set_spte(c, sp, idx, make_table_pte(f, virt_to_phys(child->spt)), 0,
			SP_ORPHAN_KEEP)) {
		if (!child->parents.count && !child->root_count)
			sp_zap(c, child, SHADOW_STAT_ZAP_CHILD);
		*res = SHADOW_FAULT_NOMEM;
		return NULL;
	}
	return child;
}

static enum shadow_fault_result map_leaf(struct fault_state *fs, struct shadow_page *root)
{
	struct sp_ctx *c = fs->ctx;
	const struct pt_format *f = root->fmt;
	struct shadow_page *sp = root;
	enum shadow_fault_result res = SHADOW_FAULT_MAPPED;
	gfn_t leaf_gfn = ALIGN_DOWN(fs->w.gfn, pt_level_pages(fs->goal));
	pte_t leaf, e;
	unsigned idx;

	for (int level = sp_level(root); level > fs->goal; level--) {
		idx = pt_index(f, fs->l2_gfn, level);
		sp = link_child(fs, sp, idx, level, &res);
		if (!sp)
			return res;
		sp_touch(c->sm, sp);
	}
	idx = pt_index(f, fs->l2_gfn, fs->goal);
	e = sp->spt[idx];
	leaf = shadow_make_leaf(c->sm, f, fs->goal, leaf_gfn, fs->leaf_perm, fs->w.attr);
	CHECK(pte_is_present(f, leaf));
	if (pte_is_present_leaf(f, e, fs->goal) && e == leaf)
		return SHADOW_FAULT_SPURIOUS;
	if (sp_set_spte(c, sp, idx, leaf, leaf_gfn, SP_ORPHAN_ZAP_CHILD))
		return SHADOW_FAULT_NOMEM;
	return SHADOW_FAULT_MAPPED;
}

static enum shadow_fault_result fault_locked(struct fault_state *fs, gpa_t l2_gpa, u32 acc_flags,
					     struct shadow_fault_info *info)
{
	struct shadow_mmu *sm = fs->ctx->sm;
	struct shadow_page *root = fs->sv->root;
	struct gwalk_cfg cfg;
	struct mmu_slot *s;
	int r, max;

	if (!root || sp_is_zapped(root))
		return SHADOW_FAULT_RETRY;
	gwalk_cfg_from_role(root->role, &cfg);
	cfg.root_gfn = root->gfn;
	if (fs->l2_gfn >= pt_gfn_limit(cfg.fmt)) {
		/* Beyond what L1's table translates: its hardware reports it as not present. */
		gfmt_ops_of(cfg.kind)->fault(&cfg, GW_NOT_PRESENT, cfg.levels, fs->access,
					     acc_flags, 0, &info->fault);
		info->fault.l2_gpa = l2_gpa;
		info->fault.level = cfg.levels;
		return SHADOW_FAULT_REFLECT;
	}
	/* Room for a page per level below the root before any pointer into the tree is held. */
	sp_make_room(fs->ctx, cfg.levels - 1u);
	r = gwalk(sm, &cfg, fs->l2_gfn, fs->access, acc_flags, &fs->w);
	if (r == HV_EAGAIN)
		return SHADOW_FAULT_RETRY;
	if (r != GW_OK) {
		info->fault = fs->w.fault;
		info->fault.l2_gpa = l2_gpa;
		return SHADOW_FAULT_REFLECT;
	}
	info->l1_gpa = gpa(gpa_val(gfn_to_gpa(fs->w.gfn)) | (gpa_val(l2_gpa) & (PAGE_SIZE - 1)));
	s = mmu_slot_lookup(sm->vm, fs->w.gfn);
	if (!s || (s->flags & MMU_SLOT_MMIO))
		return SHADOW_FAULT_MMIO;
	if (fs->access & PT_W) {
		if (s->flags & MMU_SLOT_READONLY)
			return SHADOW_FAULT_READONLY;
		if (slot_gfn_is_tracked(s, fs->w.gfn))
			return SHADOW_FAULT_EMULATE;
	}
	fs->leaf_perm = fs->w.perm;
	if (!fs->w.dirty)
		fs->leaf_perm &= (u8)~PT_W;
	max = mmu_max_leaf_level(sm->vm, cfg.fmt, s, fs->w.gfn);
	fs->goal = MIN(fs->w.leaf_level, max);
	while (!pt_level_can_be_leaf(cfg.fmt, fs->goal))
		fs->goal--;
	sp_touch(sm, root);
	info->leaf_level = fs->goal;
	return map_leaf(fs, root);
}

enum shadow_fault_result shadow_fault(struct shadow_vcpu *sv, gpa_t l2_gpa, u8 access,
				      u32 acc_flags, struct shadow_fault_info *info)
{
	struct shadow_mmu *sm = sv->sm;
	enum shadow_fault_result res;
	struct fault_state fs;
	struct sp_ctx c;

	*info = (struct shadow_fault_info){ 0 };
	shadow_lock(sm);
	sp_ctx_init(&c, sm);
	fs = (struct fault_state){
		.ctx = &c,
		.sv = sv,
		.l2_gfn = gpa_to_gfn(l2_gpa),
		.access = access & (PT_R | PT_W | PT_X),
	};
	res = fault_locked(&fs, l2_gpa, acc_flags, info);
	sp_ctx_finish(&c);
	sm_stat(sm, result_stat[res], 1);
	shadow_unlock(sm);
	log_trace("shadow: %s: L2 fault gpa %#llx access %#x: %s", sm->vm->name,
		  (unsigned long long)gpa_val(l2_gpa), access, result_names[res]);
	return res;
}

bool shadow_translate(struct shadow_vcpu *sv, gpa_t l2_gpa, struct mmu_translation *out)
{
	struct shadow_mmu *sm = sv->sm;
	struct shadow_page *root;
	gfn_t gfn = gpa_to_gfn(l2_gpa);
	bool found = false;

	read_lock(&sm->vm->mmu_lock);
	root = sv->root;
	if (root && !sp_is_zapped(root) && gfn < pt_gfn_limit(root->fmt)) {
		const struct pt_format *f = root->fmt;
		pte_t *table = root->spt;

		for (int level = f->levels; level >= 1; level--) {
			pte_t e =
			    __atomic_load_n(&table[pt_index(f, gfn, level)], __ATOMIC_ACQUIRE);

			if (!pte_is_present(f, e))
				break;
			if (pte_is_leaf(f, e, level)) {
				out->level = level;
				out->leaf_gfn = ALIGN_DOWN(gfn, pt_level_pages(level));
				out->pte = e;
				out->pfn = pte_leaf_pfn(f, e, level) + (gfn - out->leaf_gfn);
				out->attr = f->decode(f, e, level);
				found = true;
				break;
			}
			table = pt_table_ptr(f, e);
		}
	}
	read_unlock(&sm->vm->mmu_lock);
	return found;
}
