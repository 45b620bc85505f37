/*
 * Page-table dumps (contract in hv/mmu/dump.h). Recursive over the tree,
 * one formatted line per present entry.
 */
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "mmu_internal.h"
#include "pt_iter.h"

#define DUMP_LINE_MAX 160

static const char *const size_names[PT_MAX_LEVELS + 2] = { "?",    "4K",   "2M",  "1G",
							   "512G", "256T", "128P" };

static void print_line(void *arg, const char *line)
{
	(void)arg;
	hv_printf("%s\n", line);
}

/* How many entries from i on continue the leaf at i (same attributes, next frames). */
static unsigned leaf_run(const struct pt_format *f, pte_t *table, unsigned i, unsigned entries,
			 int level)
{
	pte_t first = pt_read(&table[i]);
	pfn_t pfn = pte_leaf_pfn(f, first, level);
	unsigned n = 1;

	while (i + n < entries) {
		pte_t e = pt_read(&table[i + n]);

		if (!pte_is_present_leaf(f, e, level) ||
		    (e & ~f->pfn_mask) != (first & ~f->pfn_mask) ||
		    pte_leaf_pfn(f, e, level) != pfn + n * pt_level_pages(level))
			break;
		n++;
	}
	return n;
}

static u64 dump(const struct pt_format *f, pte_t *table, int level, gfn_t base, int depth,
		u32 flags, mmu_dump_fn *emit, void *arg)
{
	unsigned entries = pt_table_entries(f, level);
	u64 lines = 0;

	for (unsigned i = 0; i < entries; i++) {
		pte_t e = pt_read(&table[i]);
		gfn_t first = base + ((gfn_t)i << pt_level_page_shift(level));
		gfn_t last = first + pt_level_pages(level) - 1;
		char line[DUMP_LINE_MAX];
		int n;

		if (!pte_is_present(f, e)) {
			if (pte_is_frozen(f, e)) {
				fmt_snprintf(line, sizeof(line),
					     "%*sL%d [%#llx-%#llx] frozen %#llx", depth * 2, "",
					     level, (unsigned long long)first,
					     (unsigned long long)last, (unsigned long long)e);
				emit(arg, line);
				lines++;
			}
			continue;
		}
		n = fmt_snprintf(line, sizeof(line), "%*sL%d [%#llx-%#llx] %s ", depth * 2, "",
				 level, (unsigned long long)first, (unsigned long long)last,
				 size_names[level]);
		if (pte_is_leaf(f, e, level)) {
			struct pt_attr a = f->decode(f, e, level);
			unsigned run = 1;
			char perm[5];

			if (flags & PT_DUMP_COMPACT)
				run = leaf_run(f, table, i, entries, level);
			if (run > 1) {
				last = first + run * pt_level_pages(level) - 1;
				n = fmt_snprintf(line, sizeof(line), "%*sL%d [%#llx-%#llx] %s x%u ",
						 depth * 2, "", level, (unsigned long long)first,
						 (unsigned long long)last, size_names[level], run);
			}
			fmt_snprintf(line + n, sizeof(line) - (size_t)n,
				     "leaf %s %s%s -> pfn %#llx", pt_perm_str(a.perm, perm),
				     pt_memtype_name(a.memtype),
				     (a.flags & PT_AF_FORCE_MT) ? "!" : "",
				     (unsigned long long)pte_leaf_pfn(f, e, level));
			emit(arg, line);
			lines++;
			i += run - 1;
			continue;
		}
		fmt_snprintf(line + n, sizeof(line) - (size_t)n, "table @%#llx",
			     (unsigned long long)hpa_val(pte_table_hpa(f, e)));
		emit(arg, line);
		lines++;
		lines += dump(f, pt_table_ptr(f, e), level - 1, first, depth + 1, flags, emit, arg);
	}
	return lines;
}

u64 pt_dump_table(const struct pt_format *f, hpa_t table, int level, gfn_t base_gfn, u32 flags,
		  mmu_dump_fn *emit, void *arg)
{
	return dump(f, (pte_t *)phys_to_virt(table), level, base_gfn, 0, flags,
		    emit ? emit : print_line, arg);
}

u64 mmu_dump_root(struct mmu_vm *vm, struct mmu_root *root, u32 flags, mmu_dump_fn *emit, void *arg)
{
	u64 lines;

	mmu_read_lock(vm);
	if (!emit)
		hv_printf("root %#llx role %#x (%s)%s\n",
			  (unsigned long long)hpa_val(mmu_root_hpa(root)), root->role,
			  root->fmt->name, mmu_root_is_valid(root) ? "" : " invalid");
	lines =
	    pt_dump_table(root->fmt, mmu_root_hpa(root), root->fmt->levels, 0, flags, emit, arg);
	mmu_read_unlock(vm);
	return lines;
}
