/*
 * Human-readable dumps of page tables: one line per present entry, indented
 * by depth, with the gfn range, the size, then either the child table's
 * address or the leaf's permissions, memory type and target frame, e.g.
 *
 *   L4 [0x0-0x7ffffff] 512G table @0x1234000
 *     L3 [0x0-0x3ffff] 1G table @0x1235000
 *       L2 [0x200-0x3ff] 2M leaf rwxu WB -> pfn 0x80200
 *
 * With PT_DUMP_COMPACT, a run of leaves in one table with the same size and
 * attributes and consecutive frames is one line with a count ("4K x510").
 *
 * Works on any format and any subtree, so the nested and mirror code can dump
 * their tables too.
 */
#ifndef HV_MMU_DUMP_H
#define HV_MMU_DUMP_H

#include <hv/mmu/format.h>
#include <hv/types.h>

struct mmu_vm;
struct mmu_root;

#define PT_DUMP_COMPACT BIT(0)

/* Receives one line at a time, without a trailing newline. */
typedef void mmu_dump_fn(void *arg, const char *line);

/*
 * Dump the table at `table` (level `level`, first gfn `base_gfn`) and all
 * tables below it. The caller keeps the table from changing (or accepts a
 * racy picture). Returns the number of lines emitted.
 */
u64 pt_dump_table(const struct pt_format *f, hpa_t table, int level, gfn_t base_gfn, u32 flags,
		  mmu_dump_fn *emit, void *arg);

/* Dump a root under mmu_lock (read). emit == NULL prints through hv_printf. */
u64 mmu_dump_root(struct mmu_vm *vm, struct mmu_root *root, u32 flags, mmu_dump_fn *emit,
		  void *arg);

#endif /* HV_MMU_DUMP_H */
