/*
 * The trusted table module: its object, its table pages and their
 * metadata, failure injection, inspection and statistics (interface in
 * hv/tmod.h). The table calls themselves are in tmod_ops.c.
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/random.h>

#include "tmod_internal.h"

static const char *const op_names[TMOD_OP_COUNT] = {
	[TMOD_OP_MAP_LEAF] = "map-leaf",
	[TMOD_OP_LINK_TABLE] = "link-table",
	[TMOD_OP_SPLIT] = "split",
	[TMOD_OP_CHANGE_LEAF] = "change-leaf",
	[TMOD_OP_REMOVE_LEAF] = "remove-leaf",
	[TMOD_OP_REMOVE_TABLE] = "remove-table",
};

const char *tmod_op_name(enum tmod_op op)
{
	return (unsigned)op < TMOD_OP_COUNT ? op_names[op] : "?";
}

struct tmod *tmod_create(const struct tmod_config *cfg, int *err)
{
	const struct pt_format *f = cfg->fmt;
	struct tmod *t;

	if (!f || pt_format_validate(f)) {
		log_err("tmod: %s: no usable table format", cfg->name ? cfg->name : "tmod");
		*err = HV_EINVAL;
		return NULL;
	}
	t = hv_zalloc(sizeof(*t));
	if (!t) {
		*err = HV_ENOMEM;
		return NULL;
	}
	t->root = page_alloc_contig(f->root_pages);
	if (!t->root) {
		hv_free(t);
		*err = HV_ENOMEM;
		return NULL;
	}
	t->name = cfg->name ? cfg->name : "tmod";
	t->fmt = f;
	t->tlb_flush = cfg->tlb_flush;
	t->tlb_arg = cfg->tlb_arg;
	spin_lock_init(&t->lock);
	t->root_meta.level = f->levels;
	*err = 0;
	log_debug("tmod: %s: %s table, root at %#llx", t->name, f->name,
		  (unsigned long long)hpa_val(tmod_root_hpa(t)));
	return t;
}

void tmod_destroy(struct tmod *t)
{
	const struct pt_format *f;
	unsigned entries;

	if (!t)
		return;
	f = t->fmt;
	entries = pt_table_entries(f, f->levels);
	/* No caller may run any more; the lock is taken for the helpers' sake. */
	spin_lock(&t->lock);
	tmod_flush(t);
	for (unsigned i = 0; i < entries; i++) {
		pte_t e = t->root[i];

		if (pte_is_table(f, e, f->levels)) {
			tmod_write(t, t->root, i, 0);
			tmod_table_free_tree(t, tmod_child(f, e));
		} else if (e) {
			tmod_write(t, t->root, i, 0);
		}
	}
	spin_unlock(&t->lock);
	page_free_contig(t->root, f->root_pages);
	hv_free(t);
}

hpa_t tmod_root_hpa(const struct tmod *t)
{
	return virt_to_phys(t->root);
}

const struct pt_format *tmod_format(const struct tmod *t)
{
	return t->fmt;
}

/* --- tables --------------------------------------------------------------------------------- */

pte_t *tmod_table_alloc(struct tmod *t, int level, gfn_t base)
{
	pte_t *table = page_alloc_contig(TMOD_TABLE_PAGES);
	struct tmod_meta *m;

	if (!table)
		return NULL;
	m = tmod_meta_of(t, table);
	m->level = (u8)level;
	m->base = base;
	t->st.tables++;
	return table;
}

void tmod_table_free_tree(struct tmod *t, pte_t *table)
{
	const struct pt_format *f = t->fmt;
	int level = tmod_meta_of(t, table)->level;

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		pte_t e = table[i];

		if (!e)
			continue;
		/* Through tmod_write, so the leaf count follows. */
		tmod_write(t, table, i, 0);
		if (pte_is_table(f, e, level))
			tmod_table_free_tree(t, tmod_child(f, e));
	}
	page_free_contig(table, TMOD_TABLE_PAGES);
	t->st.tables--;
}

void tmod_write(struct tmod *t, pte_t *table, unsigned idx, pte_t e)
{
	const struct pt_format *f = t->fmt;
	struct tmod_meta *m = tmod_meta_of(t, table);
	pte_t old = table[idx];

	m->sum ^= tmod_mix(idx, old) ^ tmod_mix(idx, e);
	m->present += (u32)pte_is_present(f, e) - (u32)pte_is_present(f, old);
	t->st.leaves +=
	    (u64)pte_is_present_leaf(f, e, m->level) - (u64)pte_is_present_leaf(f, old, m->level);
	/* The hardware may be walking the table: one atomic store, published. */
	__atomic_store_n(&table[idx], e, __ATOMIC_RELEASE);
}

void tmod_note_failure(struct tmod *t, enum tmod_op op, gfn_t gfn, int level, int err,
		       const char *why)
{
	t->last_fail =
	    (struct tmod_failure){ .op = op, .gfn = gfn, .level = level, .err = err, .why = why };
	t->has_failed = true;
}

void tmod_flush(struct tmod *t)
{
	t->st.flushes++;
	if (t->tlb_flush)
		t->tlb_flush(t->tlb_arg);
}

/* --- failure injection ------------------------------------------------------------------------ */

void tmod_set_inject(struct tmod *t, const struct tmod_inject *inj)
{
	spin_lock(&t->lock);
	t->inj = *inj;
	if (!t->inj.err)
		t->inj.err = HV_EBUSY;
	t->inj_calls = 0;
	t->rng = inj->seed ? inj->seed : 0x5eed;
	spin_unlock(&t->lock);
}

/* Lock held: should this table call fail? */
static bool inject_now(struct tmod *t)
{
	if (t->inj.mode == TMOD_INJECT_OFF || ++t->inj_calls <= t->inj.skip)
		return false;
	switch (t->inj.mode) {
	case TMOD_INJECT_EVERY:
		return t->inj.every && (t->inj_calls - t->inj.skip) % t->inj.every == 0;
	case TMOD_INJECT_RANDOM:
		return (xorshift64s(&t->rng) >> 11) % 1000000 < t->inj.per_million;
	case TMOD_INJECT_OFF:
	default:
		return false;
	}
}

/*
 * Enter a table call: take the lock, or report busy as the TDX module does
 * on contention; then let injection fail it. 0 with the lock held, or the
 * error without it.
 */
int tmod_enter(struct tmod *t, enum tmod_op op, gfn_t gfn, int level)
{
	__atomic_fetch_add(&t->st.calls[op], 1, __ATOMIC_RELAXED);
	if (!spin_trylock(&t->lock)) {
		__atomic_fetch_add(&t->st.busy, 1, __ATOMIC_RELAXED);
		return HV_EBUSY;
	}
	if (inject_now(t)) {
		int err = t->inj.err;

		t->st.injected++;
		tmod_note_failure(t, op, gfn, level, err, "injected failure");
		spin_unlock(&t->lock);
		return err;
	}
	return 0;
}

/* --- inspection ------------------------------------------------------------------------------- */

/* Lock held: the table at `level` that holds gfn's entry, or NULL if the walk stops above it. */
pte_t *tmod_find(struct tmod *t, gfn_t gfn, int level)
{
	const struct pt_format *f = t->fmt;
	pte_t *table = t->root;

	for (int l = f->levels; l > level; l--) {
		pte_t e = table[pt_index(f, gfn, l)];

		if (!pte_is_table(f, e, l))
			return NULL;
		table = tmod_child(f, e);
	}
	return table;
}

int tmod_read_table(struct tmod *t, gfn_t gfn, int level, pte_t *out)
{
	const struct pt_format *f = t->fmt;
	pte_t *table;

	if (level < 1 || level > f->levels || gfn >= pt_gfn_limit(f))
		return HV_EINVAL;
	spin_lock(&t->lock);
	table = tmod_find(t, gfn, level);
	if (table)
		for (unsigned i = 0; i < pt_table_entries(f, level); i++)
			out[i] = __atomic_load_n(&table[i], __ATOMIC_RELAXED);
	spin_unlock(&t->lock);
	return table ? 0 : HV_ENOENT;
}

struct audit {
	u64 tables, leaves;
	const char *why;
	const pte_t *where;
};

static bool audit_table(struct tmod *t, pte_t *table, int level, gfn_t base, struct audit *a)
{
	const struct pt_format *f = t->fmt;
	struct tmod_meta *m = tmod_meta_of(t, table);
	unsigned entries = pt_table_entries(f, level);
	u64 sum = 0;
	u32 present = 0;

	a->where = table;
	if (m->level != level || m->base != base) {
		a->why = "metadata names another level or gfn";
		return false;
	}
	/* First the table's own entries, so that a forged pointer is never followed. */
	for (unsigned i = 0; i < entries; i++) {
		pte_t e = __atomic_load_n(&table[i], __ATOMIC_RELAXED);

		sum ^= tmod_mix(i, e);
		present += pte_is_present(f, e);
	}
	if (sum != m->sum || present != m->present) {
		a->why = "entries changed behind the module's back";
		return false;
	}
	for (unsigned i = 0; i < entries; i++) {
		pte_t e = __atomic_load_n(&table[i], __ATOMIC_RELAXED);

		if (!pte_is_present(f, e)) {
			if (e) {
				a->why = "junk in a non-present entry";
				return false;
			}
			continue;
		}
		if (pte_is_leaf(f, e, level)) {
			a->leaves++;
			continue;
		}
		a->tables++;
		if (!audit_table(t, tmod_child(f, e), level - 1,
				 base + ((gfn_t)i << pt_level_page_shift(level)), a))
			return false;
	}
	return true;
}

int tmod_audit(struct tmod *t)
{
	struct audit a = { 0 };
	bool ok;

	spin_lock(&t->lock);
	ok = audit_table(t, t->root, t->fmt->levels, 0, &a);
	if (ok && (a.tables != t->st.tables || a.leaves != t->st.leaves)) {
		a.why = "counters differ from the tree";
		ok = false;
	}
	spin_unlock(&t->lock);
	if (ok)
		return 0;
	log_err("tmod: %s: audit: table at %#llx: %s", t->name,
		(unsigned long long)hpa_val(virt_to_phys(a.where)), a.why);
	return HV_EIO;
}

void tmod_stats_read(struct tmod *t, struct tmod_stats *out)
{
	*out = (struct tmod_stats){ 0 };
	for (int i = 0; i < TMOD_OP_COUNT; i++)
		out->calls[i] = __atomic_load_n(&t->st.calls[i], __ATOMIC_RELAXED);
	out->busy = __atomic_load_n(&t->st.busy, __ATOMIC_RELAXED);
	spin_lock(&t->lock);
	for (int i = 0; i < TMOD_OP_COUNT; i++)
		out->done[i] = t->st.done[i];
	out->injected = t->st.injected;
	out->refused = t->st.refused;
	out->nomem = t->st.nomem;
	out->flushes = t->st.flushes;
	out->tables = t->st.tables;
	out->leaves = t->st.leaves;
	spin_unlock(&t->lock);
}

bool tmod_last_failure(struct tmod *t, struct tmod_failure *out)
{
	bool any;

	spin_lock(&t->lock);
	any = t->has_failed;
	if (any)
		*out = t->last_fail;
	spin_unlock(&t->lock);
	return any;
}

void tmod_stats_print(struct tmod *t, const char *prefix)
{
	struct tmod_stats st;
	char calls[TMOD_OP_COUNT * 48]; /* " remove-table <done>/<calls>" each */
	size_t at = 0;

	tmod_stats_read(t, &st);
	for (int i = 0; i < TMOD_OP_COUNT && at < sizeof(calls); i++)
		at += (size_t)fmt_snprintf(calls + at, sizeof(calls) - at, " %s %llu/%llu",
					   op_names[i], (unsigned long long)st.done[i],
					   (unsigned long long)st.calls[i]);
	hv_printf("%stable module: %s table, root %#llx, %llu tables and %llu leaves alive\n",
		  prefix, t->fmt->name, (unsigned long long)hpa_val(tmod_root_hpa(t)),
		  (unsigned long long)st.tables, (unsigned long long)st.leaves);
	hv_printf("%s  calls by kind (done/made):%s\n", prefix, calls);
	hv_printf("%s  failures: busy %llu, injected %llu, refused %llu, out of memory %llu; "
		  "TLB flushes %llu\n",
		  prefix, (unsigned long long)st.busy, (unsigned long long)st.injected,
		  (unsigned long long)st.refused, (unsigned long long)st.nomem,
		  (unsigned long long)st.flushes);
}
