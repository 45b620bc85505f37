/*
 * The per-VM MMU object: creation and teardown, mmu_lock with the freeing of
 * deferred tables, table pages, and the statistics read-out.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "mmu_internal.h"

struct mmu_vm *mmu_vm_create(const struct mmu_vm_config *cfg, int *err)
{
	struct mmu_vm *vm;
	unsigned formats = 0;
	u8 gpa_bits = 0, pa_bits = 64;

	for (int levels = 0; levels <= PT_MAX_LEVELS; levels++) {
		const struct pt_format *f = cfg->formats[levels];

		if (!f)
			continue;
		if (f->levels != levels || pt_format_validate(f)) {
			log_err("mmu: %s: format %s given for %d-level roots is unusable",
				cfg->name ? cfg->name : "vm", f->name, levels);
			*err = HV_EINVAL;
			return NULL;
		}
		formats++;
		gpa_bits = MAX(gpa_bits, f->addr_bits);
		pa_bits = MIN(pa_bits, f->pa_bits);
	}
	if (!formats || cfg->max_level > PT_MAX_LEVELS) {
		log_err("mmu: %s: %s", cfg->name ? cfg->name : "vm",
			formats ? "max_level out of range" : "no page-table format");
		*err = HV_EINVAL;
		return NULL;
	}
	vm = hv_zalloc(sizeof(*vm));
	if (!vm) {
		*err = HV_ENOMEM;
		return NULL;
	}
	vm->name = cfg->name ? cfg->name : "vm";
	for (int levels = 0; levels <= PT_MAX_LEVELS; levels++)
		vm->formats[levels] = cfg->formats[levels];
	vm->gpa_bits = gpa_bits;
	vm->pa_bits = pa_bits;
	vm->preserve_roots = !cfg->no_root_preserve;
	vm->tlb_flush = cfg->tlb_flush;
	vm->tlb_arg = cfg->tlb_arg;
	vm->set_external = cfg->set_external;
	vm->external_arg = cfg->external_arg;
	vm->max_level = cfg->max_level ? cfg->max_level : PT_MAX_LEVELS;
	spin_lock_init(&vm->slots_lock);
	rwlock_init(&vm->mmu_lock);
	spin_lock_init(&vm->roots_lock);
	list_init(&vm->roots);
	list_init(&vm->vcpus);
	*err = 0;
	return vm;
}

void mmu_vm_set_max_level(struct mmu_vm *vm, u8 max_level)
{
	__atomic_store_n(&vm->max_level, max_level ? max_level : PT_MAX_LEVELS, __ATOMIC_RELAXED);
}

void mmu_vm_destroy(struct mmu_vm *vm)
{
	if (!vm)
		return;
	CHECK(list_empty(&vm->vcpus));
	/* The nested shadow MMU goes first: it holds write tracking in the slots. */
	mmu_nested_vm_destroy(vm);
	/*
	 * With no vCPU left, invalidation drops the last reference of every
	 * root; the mirror root's teardown tells the external table about each
	 * removal.
	 */
	mmu_roots_invalidate(vm, true);
	CHECK(list_empty(&vm->roots));
	mmu_slots_destroy(vm);
	hv_free(vm);
}

/* --- lock ------------------------------------------------------------------------------------ */

void mmu_write_lock(struct mmu_vm *vm)
{
	write_lock(&vm->mmu_lock);
	/*
	 * Every reader that deferred a table flushed the TLB before it let go
	 * of the read lock, and no reader is left: the tables are unreachable
	 * for software and hardware alike.
	 */
	mmu_free_deferred(vm);
}

void mmu_write_unlock(struct mmu_vm *vm)
{
	write_unlock(&vm->mmu_lock);
}

void mmu_free_deferred(struct mmu_vm *vm)
{
	struct mmu_root *r;

	write_assert_held(&vm->mmu_lock);
	spin_lock(&vm->roots_lock);
	list_for_each_entry (r, &vm->roots, link) {
		if (__atomic_load_n(&r->deferred, __ATOMIC_RELAXED))
			mmu_free_chain(vm, r->fmt,
				       __atomic_exchange_n(&r->deferred, NULL, __ATOMIC_ACQUIRE));
	}
	spin_unlock(&vm->roots_lock);
}

/* --- tables ---------------------------------------------------------------------------------- */

pte_t *mmu_table_alloc(struct mmu_vm *vm)
{
	pte_t *t = page_alloc();

	if (!t)
		return NULL;
	vm_stat_add(vm, MMU_STAT_TABLE_ALLOC, 1);
	__atomic_fetch_add(&vm->tables, 1, __ATOMIC_RELAXED);
	return t;
}

void mmu_table_free(struct mmu_vm *vm, pte_t *table)
{
	page_free(table);
	vm_stat_add(vm, MMU_STAT_TABLE_FREE, 1);
	__atomic_fetch_sub(&vm->tables, 1, __ATOMIC_RELAXED);
}

/* --- statistics ------------------------------------------------------------------------------ */

static const char *const stat_names[MMU_STAT_COUNT] = {
#define MMU_STAT_NAME(name, text) #name,
	MMU_STAT_LIST(MMU_STAT_NAME)
#undef MMU_STAT_NAME
};

static const char *const stat_texts[MMU_STAT_COUNT] = {
#define MMU_STAT_TEXT(name, text) text,
	MMU_STAT_LIST(MMU_STAT_TEXT)
#undef MMU_STAT_TEXT
};

const char *mmu_stat_name(enum mmu_stat s)
{
	return (unsigned)s < MMU_STAT_COUNT ? stat_names[s] : "?";
}

const char *mmu_stat_text(enum mmu_stat s)
{
	return (unsigned)s < MMU_STAT_COUNT ? stat_texts[s] : "?";
}

void mmu_stats_read(struct mmu_vm *vm, struct mmu_stats *out)
{
	struct mmu_vcpu *vc;
	struct mmu_root *r;

	*out = (struct mmu_stats){ 0 };
	spin_lock(&vm->roots_lock);
	for (int i = 0; i < MMU_STAT_COUNT; i++)
		out->count[i] = __atomic_load_n(&vm->stat[i], __ATOMIC_RELAXED);
	for (int level = 1; level <= PT_MAX_LEVELS; level++)
		out->leaves[level] = __atomic_load_n(&vm->leaves[level], __ATOMIC_RELAXED);
	list_for_each_entry (vc, &vm->vcpus, link) {
		for (int i = 0; i < MMU_STAT_COUNT; i++)
			out->count[i] += __atomic_load_n(&vc->stat[i], __ATOMIC_RELAXED);
		for (int level = 1; level <= PT_MAX_LEVELS; level++)
			out->leaves[level] += __atomic_load_n(&vc->leaves[level], __ATOMIC_RELAXED);
	}
	list_for_each_entry (r, &vm->roots, link) {
		if (!__atomic_load_n(&r->invalid, __ATOMIC_RELAXED) &&
		    __atomic_load_n(&r->refcount, __ATOMIC_RELAXED))
			out->roots_valid++;
	}
	spin_unlock(&vm->roots_lock);
	out->tables = __atomic_load_n(&vm->tables, __ATOMIC_RELAXED);
	out->roots = __atomic_load_n(&vm->root_count, __ATOMIC_RELAXED);
}

void mmu_stats_print(struct mmu_vm *vm)
{
	struct mmu_stats st;
	static const char *const sizes[PT_MAX_LEVELS + 1] = {
		"", "4K", "2M", "1G", "512G", "256T"
	};

	mmu_stats_read(vm, &st);
	hv_printf("mmu %s: %llu tables, %llu roots (%llu valid)\n", vm->name,
		  (unsigned long long)st.tables, (unsigned long long)st.roots,
		  (unsigned long long)st.roots_valid);
	for (int level = 1; level <= PT_MAX_LEVELS; level++)
		if (st.leaves[level])
			hv_printf("  leaves %-4s %lld\n", sizes[level],
				  (long long)st.leaves[level]);
	for (int i = 0; i < MMU_STAT_COUNT; i++)
		if (st.count[i])
			hv_printf("  %-18s %12llu  %s\n", stat_names[i],
				  (unsigned long long)st.count[i], stat_texts[i]);
}
