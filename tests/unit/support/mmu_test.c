/*
 * MMU test helpers (see mmu_test.h). White-box: the checker reads the
 * engine's private structures to compare them with an independent walk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <hv/mm.h>

#include "../../../vmm/mmu/mmu_internal.h"
#include "../../../vmm/mmu/pt_iter.h"
#include "mmu_test.h"

const struct pt_format *const mmu_test_formats[] = {
	&pt_format_ept4, &pt_format_ept5,  &pt_format_npt4,
	&pt_format_npt5, &pt_format_s2_40, &pt_format_fake,
};
const unsigned mmu_test_format_count = ARRAY_SIZE(mmu_test_formats);

/* --- TLB recorder ------------------------------------------------------------------------ */

void tlb_recorder_reset(struct tlb_recorder *rec)
{
	__atomic_store_n(&rec->flushes, 0, __ATOMIC_RELAXED);
	rec->logged = 0;
}

void tlb_recorder_flush(void *arg, const struct mmu_root *root, gfn_t start, u64 count)
{
	struct tlb_recorder *rec = arg;
	unsigned slot;

	__atomic_fetch_add(&rec->flushes, 1, __ATOMIC_RELAXED);
	if (rec->on_flush)
		rec->on_flush(rec, root, start, count);
	/* Each flush claims its own slot; readers look only once the threads are done. */
	slot = __atomic_fetch_add(&rec->logged, 1, __ATOMIC_RELAXED);
	if (slot < TLB_LOG_MAX) {
		rec->log[slot].root = root;
		rec->log[slot].start = start;
		rec->log[slot].count = count;
	} else {
		__atomic_store_n(&rec->logged, TLB_LOG_MAX, __ATOMIC_RELAXED);
	}
}

bool tlb_recorder_covered(const struct tlb_recorder *rec, const struct mmu_root *root, gfn_t gfn)
{
	for (unsigned i = 0; i < rec->logged; i++) {
		const struct tlb_flush_rec *f = &rec->log[i];

		if (f->root == root &&
		    (f->count == 0 || (gfn >= f->start && gfn - f->start < f->count)))
			return true;
	}
	return false;
}

/* --- setup ------------------------------------------------------------------------------- */

void mmu_env_init(struct mmu_env *env, const struct pt_format *f, bool preserve)
{
	struct mmu_vm_config cfg = {
		.name = f->name,
		.no_root_preserve = !preserve,
		.tlb_flush = tlb_recorder_flush,
		.tlb_arg = &env->tlb,
	};
	int err;

	memset(env, 0, sizeof(*env));
	env->pages_at_start = page_alloc_outstanding();
	cfg.formats[f->levels] = f;
	env->fmt = f;
	env->role = mmu_role_make(f->levels, 0);
	env->vm = mmu_vm_create(&cfg, &err);
	assert_non_null(env->vm);
	assert_int_equal(err, 0);
	env->vc = mmu_vcpu_create(env->vm);
	assert_non_null(env->vc);
	assert_int_equal(mmu_vcpu_load_root(env->vc, env->role), 0);
}

void mmu_env_fini(struct mmu_env *env)
{
	mmu_vcpu_destroy(env->vc);
	mmu_vm_destroy(env->vm);
	assert_int_equal(page_alloc_outstanding(), env->pages_at_start);
}

void mmu_test_slot_add(struct mmu_vm *vm, u32 id, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags)
{
	struct mmu_slot_params p = {
		.id = id,
		.base = gfn_to_gpa(gfn),
		.size = npages << PAGE_SHIFT,
		.backing = pfn_to_hpa(pfn),
		.flags = flags,
		.memtype = PT_MT_WB,
	};

	assert_int_equal(mmu_slot_add(vm, &p), 0);
}

void mmu_env_slot(struct mmu_env *env, u32 id, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags)
{
	mmu_test_slot_add(env->vm, id, gfn, npages, pfn, flags);
}

/* --- dumps ------------------------------------------------------------------------------- */

static char dump_buf[1 << 16];
static size_t dump_len;

static void dump_line(void *arg, const char *line)
{
	const char *at = strchr(line, '@');
	size_t n = at ? (size_t)(at - line) + 2 : strlen(line);

	(void)arg;
	/* Keep "...table @T": the address is malloc's choice, not the engine's. */
	if (dump_len + n + 2 >= sizeof(dump_buf))
		return;
	memcpy(dump_buf + dump_len, line, at ? n - 1 : n);
	dump_len += at ? n - 1 : n;
	if (at)
		dump_buf[dump_len++] = 'T';
	dump_buf[dump_len++] = '\n';
	dump_buf[dump_len] = '\0';
}

const char *mmu_dump_string(struct mmu_vm *vm, struct mmu_root *root)
{
	dump_len = 0;
	dump_buf[0] = '\0';
	mmu_dump_root(vm, root, PT_DUMP_COMPACT, dump_line, NULL);
	return dump_buf;
}

/* --- oracle checks ----------------------------------------------------------------------- */

#define FAILF(...)                                                                                 \
	do {                                                                                       \
		char msg_[256];                                                                    \
		snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                         \
		fail_msg("%s", msg_);                                                              \
	} while (0)

static bool range_tracked(const struct mmu_slot *s, gfn_t first, u64 pages)
{
	if (!s->track)
		return false;
	for (u64 i = 0; i < pages; i++)
		if (s->track[first - s->base_gfn + i])
			return true;
	return false;
}

static void check_leaf(struct mmu_vm *vm, const struct pt_format *f, pte_t e, int level,
		       gfn_t first, struct tree_census *c)
{
	u64 pages = pt_level_pages(level);
	struct mmu_slot *s = mmu_slot_lookup(vm, first);
	struct pt_attr a = f->decode(f, e, level);
	int max = (int)vm->max_level;

	if (!s || (s->flags & MMU_SLOT_MMIO))
		FAILF("%s: leaf L%d at gfn %#llx outside any backed slot", f->name, level,
		      (unsigned long long)first);
	if (first - s->base_gfn + pages > s->npages)
		FAILF("%s: leaf L%d at gfn %#llx crosses the end of slot %u", f->name, level,
		      (unsigned long long)first, s->id);
	if (pte_leaf_pfn(f, e, level) != s->base_pfn + (first - s->base_gfn))
		FAILF("%s: leaf L%d at gfn %#llx maps pfn %#llx, slot %u says %#llx", f->name,
		      level, (unsigned long long)first,
		      (unsigned long long)pte_leaf_pfn(f, e, level), s->id,
		      (unsigned long long)(s->base_pfn + (first - s->base_gfn)));
	if (a.memtype != s->memtype && !(a.memtype == PT_MT_UC && s->memtype == PT_MT_DEVICE))
		FAILF("%s: leaf at gfn %#llx has memory type %u, slot %u has %u", f->name,
		      (unsigned long long)first, a.memtype, s->id, s->memtype);
	if (!(a.perm & PT_R))
		FAILF("%s: leaf at gfn %#llx not readable", f->name, (unsigned long long)first);
	if (a.perm & PT_W) {
		if (s->flags & MMU_SLOT_READONLY)
			FAILF("%s: writable leaf at gfn %#llx in read-only slot %u", f->name,
			      (unsigned long long)first, s->id);
		if (range_tracked(s, first, pages))
			FAILF("%s: writable leaf L%d at gfn %#llx covers a write-tracked gfn",
			      f->name, level, (unsigned long long)first);
	}
	if (s->max_level && level > s->max_level)
		FAILF("%s: leaf L%d at gfn %#llx above slot %u's max level %u", f->name, level,
		      (unsigned long long)first, s->id, s->max_level);
	(void)max;
	c->leaves[level]++;
	c->mapped_pages += pages;
}

static void check_table(struct mmu_vm *vm, const struct pt_format *f, pte_t *table, int level,
			gfn_t base, struct tree_census *c)
{
	unsigned entries = pt_table_entries(f, level);

	for (unsigned i = 0; i < entries; i++) {
		pte_t e = pt_read(&table[i]);
		gfn_t first = base + ((gfn_t)i << pt_level_page_shift(level));

		if (pte_is_frozen(f, e))
			FAILF("%s: frozen entry left at L%d gfn %#llx", f->name, level,
			      (unsigned long long)first);
		if (!pte_is_present(f, e)) {
			if (e)
				FAILF("%s: non-present entry %#llx is not empty at L%d gfn %#llx",
				      f->name, (unsigned long long)e, level,
				      (unsigned long long)first);
			continue;
		}
		if (pte_is_leaf(f, e, level)) {
			if (!pt_level_can_be_leaf(f, level))
				FAILF("%s: leaf at level %d, which the format cannot have", f->name,
				      level);
			check_leaf(vm, f, e, level, first, c);
			continue;
		}
		if (level == 1)
			FAILF("%s: table entry at level 1", f->name);
		c->tables++;
		check_table(vm, f, pt_table_ptr(f, e), level - 1, first, c);
	}
}

void mmu_check_tree(struct mmu_vm *vm, struct mmu_root *root, struct tree_census *out)
{
	memset(out, 0, sizeof(*out));
	mmu_read_lock(vm);
	check_table(vm, root->fmt, root->table, root->fmt->levels, 0, out);
	mmu_read_unlock(vm);
}

static u64 chain_length(const struct pt_format *f, pte_t *head)
{
	u64 n = 0;

	while (head) {
		pfn_t next = pte_pfn(f, head[0]);

		n++;
		head = next ? (pte_t *)phys_to_virt(pfn_to_hpa(next)) : NULL;
	}
	return n;
}

void mmu_check_vm(struct mmu_vm *vm, u64 pages_before, u64 pages_extra)
{
	u64 leaves[PT_MAX_LEVELS + 1] = { 0 };
	u64 pages = 0;
	struct mmu_stats st;
	struct mmu_root *r;

	for_each_root(vm, r)
	{
		struct tree_census c;

		mmu_check_tree(vm, r, &c);
		for (int l = 1; l <= PT_MAX_LEVELS; l++)
			leaves[l] += c.leaves[l];
		pages += c.tables + r->fmt->root_pages +
			 chain_length(r->fmt, __atomic_load_n(&r->deferred, __ATOMIC_ACQUIRE));
	}
	mmu_stats_read(vm, &st);
	for (int l = 1; l <= PT_MAX_LEVELS; l++)
		if ((u64)st.leaves[l] != leaves[l])
			FAILF("level %d: statistics say %lld leaves, the tables hold %llu", l,
			      (long long)st.leaves[l], (unsigned long long)leaves[l]);
	if (st.tables != pages)
		FAILF("statistics say %llu table pages, the trees hold %llu",
		      (unsigned long long)st.tables, (unsigned long long)pages);
	if (page_alloc_outstanding() - pages_before != pages + pages_extra)
		FAILF("%llu pages outstanding, the trees hold %llu (+%llu expected elsewhere)",
		      (unsigned long long)(page_alloc_outstanding() - pages_before),
		      (unsigned long long)pages, (unsigned long long)pages_extra);
}

bool mmu_test_peek(struct mmu_root *root, gfn_t gfn, int level, pte_t *out)
{
	const struct pt_format *f = root->fmt;
	pte_t *table = root->table;

	for (int l = f->levels;; l--) {
		pte_t e = pt_read(&table[pt_index(f, gfn, l)]);

		if (l == level) {
			*out = e;
			return true;
		}
		if (!pte_is_table(f, e, l))
			return false;
		table = pt_table_ptr(f, e);
	}
}

void mmu_test_for_each_leaf(struct mmu_vm *vm, struct mmu_root *root, gfn_t start, gfn_t end,
			    mmu_test_leaf_fn *fn, void *arg)
{
	const struct pt_format *f = root->fmt;
	struct pt_iter it;

	mmu_read_lock(vm);
	for_each_pte(&it, f, root->table, start, end, 1)
	{
		if (pte_is_present_leaf(f, it.old, it.level))
			fn(arg, it.gfn, it.level, pte_leaf_pfn(f, it.old, it.level),
			   f->decode(f, it.old, it.level));
	}
	mmu_read_unlock(vm);
}
