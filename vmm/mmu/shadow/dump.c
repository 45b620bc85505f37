/*
 * The shadow hierarchy dump (contract in hv/mmu/shadow.h, shadow_dump()):
 * each root with its pages below it, indented by depth, a page met again
 * printed as a reference only; then every page no root reaches (orphans:
 * what seed 000 is about), so leaks are visible at a glance.
 *
 *   #3 gfn 0x1234 L4 ept/4 a=rwxu root(1) parents - children 1 leaves 0
 *     #4 gfn 0x1300 L3 ept/4 a=rwxu parents #3[0] children 2 leaves 0
 *       #9 gfn 0x80000 L1 ept/4 a=rwxu direct parents #5[3] children 0 leaves 512
 */
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/mm.h>

#include "shadow_internal.h"

#define LINE_MAX_CHARS 200
#define MAX_PARENTS    4

struct dump_state {
	struct shadow_mmu *sm;
	mmu_dump_fn *emit;
	void *arg;
	u64 lines;
	u64 seq; /* pages printed in this dump have dump_seq == seq */
};

static void print_line(void *arg, const char *line)
{
	(void)arg;
	hv_printf("%s\n", line);
}

static bool page_seen(struct dump_state *ds, struct shadow_page *sp)
{
	if (sp->dump_seq == ds->seq)
		return true;
	sp->dump_seq = ds->seq;
	return false;
}

static void dump_page(struct dump_state *ds, struct shadow_page *sp, int depth)
{
	static const char *const gfmt_names[SHADOW_GFMT_COUNT] = { "ept", "npt", "s2", "fake" };
	char line[LINE_MAX_CHARS], perm[5];
	unsigned children = 0, leaves = 0;
	int n;

	if (page_seen(ds, sp)) {
		fmt_snprintf(line, sizeof(line), "%*s#%llu (above)", depth * 2, "",
			     (unsigned long long)sp->id);
		ds->emit(ds->arg, line);
		ds->lines++;
		return;
	}
	for (unsigned i = 0; i < sp_entries(sp); i++) {
		pte_t e = sp->spt[i];

		if (pte_is_table(sp->fmt, e, sp_level(sp)))
			children++;
		else if (pte_is_present(sp->fmt, e))
			leaves++;
	}
	n = fmt_snprintf(line, sizeof(line), "%*s#%llu gfn %#llx L%d %s/%d a=%s%s%s", depth * 2, "",
			 (unsigned long long)sp->id, (unsigned long long)sp->gfn, sp_level(sp),
			 gfmt_names[role_gfmt(sp->role)], role_glevels(sp->role),
			 pt_perm_str(role_access(sp->role), perm),
			 sp_is_direct(sp) ? " direct" : "", sp->unsync ? " unsync" : "");
	if (sp->root_count)
		n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " root(%u)", sp->root_count);
	n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " parents");
	if (!sp->parents.count)
		n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " -");
	for (u32 i = 0; i < sp->parents.count && i < MAX_PARENTS; i++) {
		struct sp_ref ref = refs_at(&sp->parents, i);

		n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " #%llu[%u]",
				  (unsigned long long)ref.sp->id, ref.idx);
	}
	if (sp->parents.count > MAX_PARENTS)
		n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " +%u",
				  sp->parents.count - MAX_PARENTS);
	fmt_snprintf(line + n, sizeof(line) - (size_t)n, " children %u leaves %u", children,
		     leaves);
	ds->emit(ds->arg, line);
	ds->lines++;
	for (unsigned i = 0; i < sp_entries(sp); i++) {
		pte_t e = sp->spt[i];

		if (pte_is_table(sp->fmt, e, sp_level(sp)))
			dump_page(ds, sp_of_table(ds->sm, pt_table_ptr(sp->fmt, e)), depth + 1);
	}
}

u64 shadow_dump(struct shadow_mmu *sm, mmu_dump_fn *emit, void *arg)
{
	struct dump_state ds = { .sm = sm, .emit = emit ? emit : print_line, .arg = arg };
	struct shadow_page *sp;
	bool header = false;

	/* The write lock: the dump marks the pages it printed. */
	shadow_lock(sm);
	ds.seq = ++sm->dump_seq;
	list_for_each_entry (sp, &sm->lru, lru_link)
		if (sp_level(sp) == sp->fmt->levels && !sp->parents.count)
			dump_page(&ds, sp, 0);
	list_for_each_entry (sp, &sm->lru, lru_link) {
		if (sp->dump_seq == ds.seq || sp->parents.count)
			continue;
		if (!header) {
			ds.emit(ds.arg, "unreachable:");
			ds.lines++;
			header = true;
		}
		dump_page(&ds, sp, 1);
	}
	list_for_each_entry (sp, &sm->obsolete, lru_link) {
		char line[LINE_MAX_CHARS];

		fmt_snprintf(line, sizeof(line), "obsolete root #%llu gfn %#llx root(%u)",
			     (unsigned long long)sp->id, (unsigned long long)sp->gfn,
			     sp->root_count);
		ds.emit(ds.arg, line);
		ds.lines++;
	}
	shadow_unlock(sm);
	return ds.lines;
}
