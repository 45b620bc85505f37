/*
 * Shadow roots and the per-vCPU root cache.
 *
 * A shadow root is the shadow page of the guest table an L1 root pointer
 * (EPTP, nCR3, VTTBR_EL2) names, at the format's root level. vCPUs count
 * their references in root_count, like the engine's roots: each vCPU keeps
 * its current root and MMU_PREV_ROOTS previous ones (L1 switching between
 * L2s or between EPTPs finds its shadow tables again), and a page a vCPU
 * holds is never recycled by the quota. A root that is zapped while held
 * becomes obsolete: vCPUs see it invalid and load again; the last put frees
 * it. A valid root that loses its last holder stays in the hash like any
 * page, unless it maps nothing, when keeping it buys nothing (ZAP_ROOT_UNUSED).
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/mmu/stage2.h>

#include "shadow_internal.h"

void sp_root_put(struct sp_ctx *c, struct shadow_page *sp)
{
	struct shadow_mmu *sm = c->sm;

	CHECK(sp->root_count);
	if (--sp->root_count)
		return;
	sm->roots_in_use--;
	if (sp_is_zapped(sp)) {
		/* Obsolete and now unused: off the obsolete list, freed after a flush. */
		list_del(&sp->lru_link);
		sm->obsolete_count--;
		list_add(&sp->lru_link, &c->dead);
		c->flush = true;
		return;
	}
	if (!sp->present)
		sp_zap(c, sp, SHADOW_STAT_ZAP_ROOT_UNUSED);
}

static void root_get(struct shadow_mmu *sm, struct shadow_page *sp)
{
	if (!sp->root_count++)
		sm->roots_in_use++;
}

static void vcpu_drop_zapped(struct sp_ctx *c, struct shadow_vcpu *sv)
{
	unsigned kept = 0;

	if (sv->root && sp_is_zapped(sv->root)) {
		sp_root_put(c, sv->root);
		sv->root = NULL;
	}
	for (unsigned i = 0; i < MMU_PREV_ROOTS; i++) {
		struct shadow_page *sp = sv->prev[i];

		sv->prev[i] = NULL;
		if (!sp)
			continue;
		if (sp_is_zapped(sp))
			sp_root_put(c, sp);
		else
			sv->prev[kept++] = sp;
	}
}

static void vcpu_push(struct sp_ctx *c, struct shadow_vcpu *sv, struct shadow_page *sp)
{
	if (sv->root) {
		if (sv->prev[MMU_PREV_ROOTS - 1])
			sp_root_put(c, sv->prev[MMU_PREV_ROOTS - 1]);
		for (unsigned i = MMU_PREV_ROOTS - 1; i > 0; i--)
			sv->prev[i] = sv->prev[i - 1];
		sv->prev[0] = sv->root;
	}
	sv->root = sp;
}

/* The vCPU's cached root for (gfn, role), made current; false if not cached. */
static bool vcpu_cache_hit(struct shadow_vcpu *sv, gfn_t gfn, sp_role_t role)
{
	if (sv->root && sv->root->gfn == gfn && sv->root->role == role)
		return true;
	for (unsigned i = 0; i < MMU_PREV_ROOTS && sv->prev[i]; i++) {
		struct shadow_page *sp = sv->prev[i];

		if (sp->gfn != gfn || sp->role != role)
			continue;
		for (unsigned j = i; j > 0; j--)
			sv->prev[j] = sv->prev[j - 1];
		sv->prev[0] = sv->root;
		sv->root = sp;
		if (!sv->prev[0]) {
			for (unsigned j = 0; j + 1 < MMU_PREV_ROOTS; j++)
				sv->prev[j] = sv->prev[j + 1];
			sv->prev[MMU_PREV_ROOTS - 1] = NULL;
		}
		return true;
	}
	return false;
}

static int decode_params(const struct shadow_root_params *p, struct gwalk_cfg *cfg, sp_role_t *role)
{
	const struct gfmt_ops *ops;
	int r;

	if ((unsigned)p->gfmt >= SHADOW_GFMT_COUNT || (p->flags & ~SHADOW_ROOT_FLAGS))
		return HV_EINVAL;
	ops = gfmt_ops_of(p->gfmt);
	*cfg = (struct gwalk_cfg){
		.kind = p->gfmt,
		.flags = p->flags,
		.pa_bits = p->pa_bits,
	};
	/* The widest the format can hold if the runtime does not say. */
	if (!cfg->pa_bits)
		cfg->pa_bits = p->gfmt == SHADOW_GFMT_S2 ? S2_PA_BITS : 52;
	if (cfg->pa_bits < 32 || cfg->pa_bits > 52)
		return HV_EINVAL;
	r = ops->decode_root(p, cfg);
	if (r)
		return r;
	cfg->fmt = gfmt_format(cfg->kind, cfg->levels);
	if (!cfg->fmt)
		return HV_ENOSYS;
	if (cfg->pa_bits > cfg->fmt->pa_bits)
		return HV_ENOSYS;
	*role = (sp_role_t)cfg->levels | ((sp_role_t)cfg->kind << SP_ROLE_GFMT_SHIFT) |
		((sp_role_t)cfg->levels << SP_ROLE_GLEVELS_SHIFT) |
		((sp_role_t)PT_RWXU << SP_ROLE_ACCESS_SHIFT) | (cfg->ad ? SP_ROLE_AD : 0) |
		((sp_role_t)cfg->flags << SP_ROLE_FLAGS_SHIFT) |
		((sp_role_t)cfg->pa_bits << SP_ROLE_PA_SHIFT);
	return 0;
}

int shadow_vcpu_load_root(struct shadow_vcpu *sv, const struct shadow_root_params *p)
{
	struct shadow_mmu *sm = sv->sm;
	struct gwalk_cfg cfg;
	struct shadow_page *sp;
	struct sp_ctx c;
	sp_role_t role;
	int r = decode_params(p, &cfg, &role);

	if (r) {
		log_warn("shadow: %s: root pointer %#llx (format %u, levels %u) refused: %s",
			 sm->vm->name, (unsigned long long)p->pointer, p->gfmt, p->levels,
			 err_name(r));
		return r;
	}
	shadow_lock(sm);
	sp_ctx_init(&c, sm);
	vcpu_drop_zapped(&c, sv);
	if (vcpu_cache_hit(sv, cfg.root_gfn, role)) {
		sm_stat(sm, SHADOW_STAT_ROOT_HIT, 1);
	} else {
		sp = sp_find(sm, cfg.root_gfn, role);
		if (sp) {
			sm_stat(sm, SHADOW_STAT_ROOT_FOUND, 1);
		} else {
			sp_make_room(&c, 1);
			sp = sp_create(&c, cfg.root_gfn, role, &r);
			if (!sp) {
				log_warn("shadow: %s: no shadow root for gfn %#llx: %s",
					 sm->vm->name, (unsigned long long)cfg.root_gfn,
					 err_name(r));
				goto out;
			}
			sm_stat(sm, SHADOW_STAT_ROOT_NEW, 1);
		}
		root_get(sm, sp);
		vcpu_push(&c, sv, sp);
	}
	/* A new root pointer flushes L1's view: every unsync page is brought up to date. */
	sp_sync_all(&c);
	r = sv->root && !sp_is_zapped(sv->root) ? 0 : HV_EAGAIN;
out:
	sp_ctx_finish(&c);
	shadow_unlock(sm);
	return r;
}

void shadow_vcpu_unload_all(struct shadow_vcpu *sv)
{
	struct shadow_mmu *sm = sv->sm;
	struct sp_ctx c;

	shadow_lock(sm);
	sp_ctx_init(&c, sm);
	if (sv->root)
		sp_root_put(&c, sv->root);
	sv->root = NULL;
	for (unsigned i = 0; i < MMU_PREV_ROOTS; i++) {
		if (sv->prev[i])
			sp_root_put(&c, sv->prev[i]);
		sv->prev[i] = NULL;
	}
	sp_ctx_finish(&c);
	shadow_unlock(sm);
}

bool shadow_vcpu_root_is_valid(const struct shadow_vcpu *sv)
{
	return sv->root && !sp_is_zapped(sv->root);
}

hpa_t shadow_vcpu_root_hpa(const struct shadow_vcpu *sv)
{
	CHECK(sv->root);
	return virt_to_phys(sv->root->spt);
}

struct shadow_vcpu *shadow_vcpu_create(struct shadow_mmu *sm)
{
	struct shadow_vcpu *sv = hv_zalloc(sizeof(*sv));

	if (!sv)
		return NULL;
	sv->sm = sm;
	shadow_lock(sm);
	list_add_tail(&sv->link, &sm->vcpus);
	shadow_unlock(sm);
	return sv;
}

void shadow_vcpu_destroy(struct shadow_vcpu *sv)
{
	struct shadow_mmu *sm;

	if (!sv)
		return;
	sm = sv->sm;
	shadow_vcpu_unload_all(sv);
	shadow_lock(sm);
	list_del(&sv->link);
	shadow_unlock(sm);
	hv_free(sv);
}
