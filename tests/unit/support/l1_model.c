/*
 * The L1 hypervisor model (see l1_model.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <hv/errno.h>
#include <hv/mm.h>
#include <hv/mmu/ept.h>
#include <hv/mmu/fake_pt.h>
#include <hv/random.h>

#include "l1_model.h"

#define L1M_SLOT_ID 1

static void l1m_die(const char *what, long long v)
{
	fprintf(stderr, "l1_model: %s (%lld)\n", what, v);
	abort();
}

static void count_flush(void *arg)
{
	struct l1_model *m = arg;

	m->tlb_flushes++;
}

static u64 next_rand(struct l1_model *m)
{
	return xorshift64s(&m->rng); /* deterministic for a seed */
}

static const struct pt_format *tdp_format_for(enum shadow_gfmt kind)
{
	/* L1's own TDP: the matching real format (fake on fake). */
	switch (kind) {
	case SHADOW_GFMT_EPT:
		return &pt_format_ept4;
	case SHADOW_GFMT_NPT:
		return &pt_format_npt4;
	case SHADOW_GFMT_S2:
		return &pt_format_s2_40;
	default:
		return &pt_format_fake;
	}
}

int l1m_init(struct l1_model *m, const struct l1m_params *p)
{
	const struct pt_format *tdp = tdp_format_for(p->kind);
	struct shadow_config scfg = { 0 };
	struct mmu_vm_config cfg = { .name = "l1" };
	struct mmu_slot_params slot;
	u64 base;
	int err;

	memset(m, 0, sizeof(*m));
	m->kind = p->kind;
	m->levels = p->levels                     ? p->levels
		    : p->kind == SHADOW_GFMT_S2   ? 3
		    : p->kind == SHADOW_GFMT_FAKE ? FAKE_PT_LEVELS
						  : 4;
	switch (p->kind) {
	case SHADOW_GFMT_EPT:
		m->f = m->levels == 5 ? &pt_format_ept5 : &pt_format_ept4;
		m->root_pointer_extra =
		    EPT_MT_WB | ((u64)(m->levels - 1) << EPTP_WALK_SHIFT) | (p->ad ? EPTP_AD : 0);
		m->root_flags = SHADOW_ROOT_XONLY;
		break;
	case SHADOW_GFMT_NPT:
		m->f = m->levels == 5 ? &pt_format_npt5 : &pt_format_npt4;
		m->root_flags = SHADOW_ROOT_NXE;
		break;
	case SHADOW_GFMT_S2:
		m->f = &pt_format_s2_40;
		break;
	default:
		m->f = &pt_format_fake;
		break;
	}
	m->ram_pages = p->ram_pages;
	m->slot_pages = p->slot_pages ? p->slot_pages : p->ram_pages;
	m->pool_pages = p->pool_pages;
	m->pool_gfn = m->slot_pages - p->pool_pages;
	m->l2_base_gfn = p->l2_base_gfn;
	m->rng = p->seed;

	/* 1 GiB-aligned, lazily backed: gfn and frame congruent for any leaf size. */
	m->map_size = p->ram_pages * PAGE_SIZE + SZ_1G;
	m->map = mmap(NULL, m->map_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->map == MAP_FAILED)
		return HV_ENOMEM;
	base = ALIGN_UP((u64)(uptr)m->map, SZ_1G);
	m->ram = (u8 *)(uptr)base;

	cfg.formats[tdp->levels] = tdp;
	m->vm = mmu_vm_create(&cfg, &err);
	if (!m->vm)
		return err;
	slot = (struct mmu_slot_params){
		.id = L1M_SLOT_ID,
		.base = gpa(0),
		.size = m->slot_pages * PAGE_SIZE,
		.backing = hpa(base),
		.memtype = PT_MT_WB,
	};
	err = mmu_slot_add(m->vm, &slot);
	if (err)
		return err;
	m->vc = mmu_vcpu_create(m->vm);
	if (!m->vc)
		return HV_ENOMEM;
	err = mmu_vcpu_load_root(m->vc, mmu_role_make(tdp->levels, 0));
	if (err)
		return err;
	if (p->shadow)
		scfg = *p->shadow;
	if (!scfg.tlb_flush) {
		scfg.tlb_flush = count_flush;
		scfg.tlb_arg = m;
	}
	m->sm = shadow_mmu_create(m->vm, &scfg, &err);
	if (!m->sm)
		return err;
	m->sv = shadow_vcpu_create(m->sm);
	if (!m->sv)
		return HV_ENOMEM;
	m->free_list = calloc(p->pool_pages, sizeof(gfn_t));
	if (!m->free_list)
		return HV_ENOMEM;
	/* Highest first, so LIFO picks go upwards from the pool's start. */
	for (u64 i = 0; i < p->pool_pages; i++)
		m->free_list[i] = m->pool_gfn + p->pool_pages - 1 - i;
	m->free_count = p->pool_pages;
	return 0;
}

void l1m_fini(struct l1_model *m)
{
	shadow_vcpu_destroy(m->sv);
	mmu_vcpu_destroy(m->vc);
	/* mmu_vm_destroy() tears the shadow MMU down first (its hook). */
	mmu_vm_destroy(m->vm);
	free(m->free_list);
	munmap(m->map, m->map_size);
	memset(m, 0, sizeof(*m));
}

u64 *l1m_ptr(struct l1_model *m, gpa_t addr)
{
	if (gpa_to_gfn(addr) >= m->ram_pages)
		l1m_die("gpa outside L1 RAM", (long long)gpa_val(addr));
	return (u64 *)(m->ram + gpa_val(addr));
}

static void record(struct l1_model *m, gpa_t addr, u64 old_val, u64 new_val,
		   const struct shadow_write_info *info)
{
	if (!m->log_writes || m->log_count >= L1M_LOG_MAX)
		return;
	m->log[m->log_count++] = (struct l1m_write_rec){
		.gpa = addr, .old_val = old_val, .new_val = new_val, .info = *info
	};
}

void l1m_write_bytes(struct l1_model *m, gpa_t addr, const void *bytes, unsigned len)
{
	u8 *p = (u8 *)l1m_ptr(m, gpa(gpa_val(addr) & ~7ull)) + (gpa_val(addr) & 7);
	enum mmu_fault_result r = mmu_fault(m->vc, addr, PT_W);
	struct shadow_write_info info;
	u8 old[8];

	switch (r) {
	case MMU_FAULT_MAPPED:
	case MMU_FAULT_SPURIOUS:
		memcpy(p, bytes, len);
		m->writes_direct++;
		return;
	case MMU_FAULT_EMULATE:
		memcpy(old, p, len);
		memcpy(p, bytes, len);
		if (shadow_track_write(m->sm, addr, old, bytes, len, &info))
			l1m_die("shadow_track_write refused", len);
		m->writes_emulated++;
		if (len == 8) {
			u64 o, n;

			memcpy(&o, old, 8);
			memcpy(&n, bytes, 8);
			record(m, addr, o, n, &info);
		}
		return;
	default:
		l1m_die("L1 store faulted", r);
	}
}

void l1m_write(struct l1_model *m, gpa_t addr, u64 val)
{
	l1m_write_bytes(m, addr, &val, sizeof(val));
}

gfn_t l1m_alloc_table(struct l1_model *m, unsigned pages)
{
	gfn_t gfn;

	if (m->free_count < pages)
		l1m_die("L1 table pool exhausted", (long long)m->free_count);
	if (pages > 1) {
		/* A concatenated root: the lowest aligned run of free pages, taken from the list. */
		gfn_t start = ALIGN_UP(m->pool_gfn, pages);

		for (;; start += pages) {
			unsigned found = 0;

			if (start + pages > m->pool_gfn + m->pool_pages)
				l1m_die("no aligned run for a root", pages);
			for (u64 i = 0; i < m->free_count; i++)
				if (m->free_list[i] >= start && m->free_list[i] < start + pages)
					found++;
			if (found == pages)
				break;
		}
		for (u64 i = 0; i < m->free_count;)
			if (m->free_list[i] >= start && m->free_list[i] < start + pages)
				m->free_list[i] = m->free_list[--m->free_count];
			else
				i++;
		gfn = start;
	} else if (m->rng) {
		u64 i = next_rand(m) % m->free_count;

		gfn = m->free_list[i];
		m->free_list[i] = m->free_list[--m->free_count];
	} else {
		gfn = m->free_list[--m->free_count];
	}
	/* Pages come back zeroed (L1 cleared every entry before freeing). */
	for (unsigned p = 0; p < pages; p++)
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			if (l1m_ptr(m, gfn_to_gpa(gfn + p))[i])
				l1m_die("pool page not zero", (long long)(gfn + p));
	m->tables_allocated += pages;
	return gfn;
}

void l1m_free_table(struct l1_model *m, gfn_t gfn, unsigned pages)
{
	for (unsigned p = 0; p < pages; p++)
		m->free_list[m->free_count++] = gfn + p;
}

int l1m_load_root(struct l1_model *m)
{
	struct shadow_root_params rp = {
		.gfmt = m->kind,
		.pointer = gpa_val(gfn_to_gpa(m->root)) | m->root_pointer_extra,
		.levels = m->levels,
		.pa_bits = m->pa_bits,
		.flags = m->root_flags,
	};

	return shadow_vcpu_load_root(m->sv, &rp);
}

int l1m_new_root(struct l1_model *m)
{
	m->root = l1m_alloc_table(m, m->f->root_pages);
	return l1m_load_root(m);
}

pte_t l1m_leaf_bits(struct l1_model *m, u8 perm, int level)
{
	struct pt_attr a = { .perm = perm, .memtype = PT_MT_WB };

	return pt_leaf_template(m->f, a, level);
}

static gpa_t entry_gpa(struct l1_model *m, gfn_t table, gfn_t l2, int level)
{
	return gpa(gpa_val(gfn_to_gpa(table)) + pt_index(m->f, l2, level) * sizeof(pte_t));
}

gpa_t l1m_entry_gpa(struct l1_model *m, gfn_t l2, int level)
{
	gfn_t table = m->root;

	for (int l = m->f->levels;; l--) {
		gpa_t at = entry_gpa(m, table, l2, l);
		pte_t e = *l1m_ptr(m, at);

		if (l == level)
			return at;
		if (!pte_is_table(m->f, e, l))
			return gpa(0);
		table = pte_pfn(m->f, e);
	}
}

gpa_t l1m_map(struct l1_model *m, gfn_t l2, gfn_t l1, int level, pte_t leaf_bits)
{
	gfn_t table = m->root;

	for (int l = m->f->levels; l > level; l--) {
		gpa_t at = entry_gpa(m, table, l2, l);
		pte_t e = *l1m_ptr(m, at);

		if (!pte_is_present(m->f, e)) {
			gfn_t child = l1m_alloc_table(m, 1);

			e = make_table_pte(m->f, pfn_to_hpa(child));
			l1m_write(m, at, e);
		} else if (pte_is_leaf(m->f, e, l)) {
			l1m_die("L1 model: a leaf above the level to map", l);
		}
		table = pte_pfn(m->f, e);
	}
	l1m_write(m, entry_gpa(m, table, l2, level), leaf_bits | pte_pfn_bits(m->f, l1));
	return entry_gpa(m, table, l2, level);
}

enum shadow_fault_result l1m_l2_touch(struct l1_model *m, gpa_t l2_gpa, u8 access)
{
	gfn_t l2 = gpa_to_gfn(l2_gpa);

	for (int tries = 0; tries < 8; tries++) {
		struct shadow_fault_info info;
		enum shadow_fault_result r;

		struct timespec t0, t1;

		m->l2_faults++;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = shadow_fault(m->sv, l2_gpa, access, SHADOW_ACC_GLA, &info);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		m->shadow_fault_ns += (u64)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
				      (u64)t1.tv_nsec - (u64)t0.tv_nsec;
		if (r == SHADOW_FAULT_RETRY && !shadow_vcpu_root_is_valid(m->sv)) {
			if (l1m_load_root(m))
				l1m_die("root reload failed", 0);
			continue;
		}
		if (r != SHADOW_FAULT_REFLECT)
			return r;
		/* L1 handles its EPT violation / #NPF / abort: map the page, 4 KiB, RWX. */
		m->l1_reflected++;
		l1m_map(m, l2, m->l2_base_gfn + l2, 1,
			l1m_leaf_bits(m, PT_R | PT_W | PT_X | PT_U, 1));
	}
	l1m_die("L2 touch did not converge", (long long)gpa_val(l2_gpa));
	return SHADOW_FAULT_NOMEM;
}

/* KVM's handling of a removed table: clear each present entry, recursing into tables, free it. */
static void handle_removed(struct l1_model *m, gfn_t table, int level)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		gpa_t at = gpa(gpa_val(gfn_to_gpa(table)) + i * sizeof(pte_t));
		pte_t e = *l1m_ptr(m, at);

		if (!pte_is_present(m->f, e))
			continue;
		l1m_write(m, at, 0);
		if (pte_is_table(m->f, e, level))
			handle_removed(m, pte_pfn(m->f, e), level - 1);
	}
	l1m_free_table(m, table, 1);
}

/* Zap every present entry at exactly `level` (below the root), each table unlinked handled. */
static void zap_level(struct l1_model *m, gfn_t table, int level, int at_level)
{
	unsigned entries = pt_table_entries(m->f, level);

	for (unsigned i = 0; i < entries; i++) {
		gpa_t at = gpa(gpa_val(gfn_to_gpa(table)) + i * sizeof(pte_t));
		pte_t e = *l1m_ptr(m, at);

		if (!pte_is_present(m->f, e))
			continue;
		if (level > at_level) {
			if (pte_is_table(m->f, e, level))
				zap_level(m, pte_pfn(m->f, e), level - 1, at_level);
			continue;
		}
		l1m_write(m, at, 0);
		if (pte_is_table(m->f, e, level))
			handle_removed(m, pte_pfn(m->f, e), level - 1);
	}
}

static void finish_root(struct l1_model *m)
{
	zap_level(m, m->root, m->f->levels, m->f->levels);
	l1m_free_table(m, m->root, m->f->root_pages);
	m->root = 0;
}

void l1m_zap_top_down(struct l1_model *m)
{
	/* The 1 GiB pass, each removed table torn down at once, then the root. */
	if (m->f->levels > 3)
		zap_level(m, m->root, m->f->levels, 3);
	finish_root(m);
}

void l1m_zap_bottom_up(struct l1_model *m)
{
	/* 4 KiB, 2 MiB, 1 GiB, then the root (KVM's TDP MMU without PROVE_MMU). */
	for (int level = 1; level < m->f->levels && level <= 3; level++)
		zap_level(m, m->root, m->f->levels, level);
	finish_root(m);
}

u64 l1m_shadow_pages(struct l1_model *m)
{
	struct shadow_stats st;

	shadow_stats_read(m->sm, &st);
	return st.pages;
}
