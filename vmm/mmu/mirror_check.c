/*
 * Comparing a mirror root with the external table it mirrors (contract in
 * hv/mmu/mirror.h): the two trees are walked side by side, the mirror from
 * its own pages, the external table one table at a time through the
 * caller's read-only reader (the engine does not know who owns it). What
 * the protocol of docs/mirror.md promises after every completed operation
 * is checked: tables at the same places, leaves bit-identical, table
 * entries with the same non-address bits, nothing mapped outside that the
 * mirror does not map, and no frozen entry left behind.
 *
 * Used at a protected VM's stop (vmm/vm_protected.c) and by the mirror
 * tests after every step.
 */
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/mm.h>

#include "mmu_internal.h"
#include "pt_iter.h"

struct cmp {
	const struct pt_format *f;
	mmu_external_read_fn *read;
	void *arg;
	struct mmu_mirror_census *census;
	pte_t *ext[PT_MAX_LEVELS + 1]; /* one buffer per level for the external table */
	char *why;
	size_t why_len;
};

static int differ(struct cmp *c, int level, gfn_t gfn, pte_t m, pte_t x, const char *what)
{
	fmt_snprintf(c->why, c->why_len, "%s: L%d gfn %#llx: mirror %#llx, external %#llx: %s",
		     c->f->name, level, (unsigned long long)gfn, (unsigned long long)m,
		     (unsigned long long)x, what);
	return HV_EIO;
}

static int cmp_table(struct cmp *c, pte_t *mt, int level, gfn_t base)
{
	const struct pt_format *f = c->f;
	unsigned entries = pt_table_entries(f, level);
	pte_t *ext = c->ext[level];
	int r = c->read(c->arg, base, level, ext);

	if (r) {
		fmt_snprintf(c->why, c->why_len,
			     "%s: L%d table at gfn %#llx: the external table has none (%s)",
			     f->name, level, (unsigned long long)base, err_name(r));
		return HV_EIO;
	}
	for (unsigned i = 0; i < entries; i++) {
		gfn_t gfn = base + ((gfn_t)i << pt_level_page_shift(level));
		pte_t m = pt_read(&mt[i]), x = ext[i];

		c->census->entries++;
		if (pte_is_frozen(f, m))
			return differ(c, level, gfn, m, x, "frozen mirror entry left behind");
		if (!pte_is_present(f, m)) {
			if (m || x)
				return differ(c, level, gfn, m, x,
					      "mirror empty, external not (or junk)");
			continue;
		}
		if (pte_is_leaf(f, m, level)) {
			if (m != x)
				return differ(c, level, gfn, m, x, "leaves differ");
			c->census->leaves++;
			continue;
		}
		if (!pte_is_table(f, x, level) || ((m ^ x) & ~f->pfn_mask))
			return differ(c, level, gfn, m, x, "mirror table, external something else");
		c->census->tables++;
		/* The deeper level's buffer is separate: ext[] of this level stays valid. */
		r = cmp_table(c, pt_table_ptr(f, m), level - 1, gfn);
		if (r)
			return r;
	}
	return 0;
}

int mmu_mirror_compare(struct mmu_vm *vm, struct mmu_root *root, mmu_external_read_fn *read,
		       void *arg, struct mmu_mirror_census *census, char *why, size_t why_len)
{
	const struct pt_format *f = root->fmt;
	struct mmu_mirror_census local = { 0 };
	struct cmp c = {
		.f = f,
		.read = read,
		.arg = arg,
		.census = census ? census : &local,
		.why = why,
		.why_len = why_len,
	};
	int r = 0;

	*c.census = (struct mmu_mirror_census){ 0 };
	if (why_len)
		why[0] = '\0';
	if (!mmu_role_is_mirror(root->role) || root->vm != vm) {
		fmt_snprintf(why, why_len, "root role %#x is not this VM's mirror root",
			     root->role);
		return HV_EINVAL;
	}
	for (int level = 1; level <= f->levels; level++) {
		c.ext[level] = hv_zalloc(pt_table_entries(f, level) * sizeof(pte_t));
		if (!c.ext[level]) {
			fmt_snprintf(why, why_len, "no memory to read the external table");
			r = HV_ENOMEM;
			break;
		}
	}
	if (!r) {
		mmu_read_lock(vm);
		r = cmp_table(&c, root->table, f->levels, 0);
		mmu_read_unlock(vm);
	}
	for (int level = 1; level <= f->levels; level++)
		hv_free(c.ext[level]);
	return r;
}
