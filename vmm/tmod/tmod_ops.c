/*
 * The trusted table module's table calls (contracts in hv/tmod.h). Each
 * call takes the module's lock or reports busy, lets failure injection
 * have its say, checks the request against the module's own table, and
 * only then writes: a failed call changes nothing.
 *
 * What is checked, per call (the entry is the one at (gfn, level)):
 *
 *   all           level in range, gfn aligned to the level and inside the
 *                 format; the path down to the entry's table present
 *                 ("a page is mapped only under a present parent")
 *   map-leaf      entry == old, non-present; new a leaf the level can hold
 *   link-table    entry == old, non-present; level > 1
 *   split         entry == old, a huge leaf; the module builds the table
 *   change-leaf   entry == old, a leaf; new a leaf of the same frame,
 *                 memory type and flags (only permissions change)
 *   remove-leaf   entry == old, a leaf
 *   remove-table  entry a table with old's non-address bits; every entry of
 *                 the child non-present; the child is freed after a flush
 */
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/log.h>

#include "tmod_internal.h"

struct req {
	struct tmod *t;
	enum tmod_op op;
	gfn_t gfn;
	int level;
	pte_t old, new;
	pte_t *table; /* the table holding the entry */
	unsigned idx; /* the entry's index in it */
	pte_t cur;    /* what the entry holds */
};

static int refuse(struct req *q, int err, const char *why)
{
	q->t->st.refused++;
	tmod_note_failure(q->t, q->op, q->gfn, q->level, err, why);
	log_err("tmod: %s: %s L%d gfn %#llx refused: %s (entry %#llx, caller's old %#llx, new "
		"%#llx)",
		q->t->name, tmod_op_name(q->op), q->level, (unsigned long long)q->gfn, why,
		(unsigned long long)q->cur, (unsigned long long)q->old, (unsigned long long)q->new);
	return err;
}

static int out_of_memory(struct req *q)
{
	q->t->st.nomem++;
	tmod_note_failure(q->t, q->op, q->gfn, q->level, HV_ENOMEM, "no page for a table");
	return HV_ENOMEM;
}

/* Checks every call makes; finds the entry. */
static int locate(struct req *q)
{
	const struct pt_format *f = q->t->fmt;

	if (q->level < 1 || q->level > f->levels || q->gfn >= pt_gfn_limit(f) ||
	    !IS_ALIGNED(q->gfn, pt_level_pages(q->level)))
		return refuse(q, HV_EINVAL, "bad level or gfn");
	q->table = tmod_find(q->t, q->gfn, q->level);
	if (!q->table)
		return refuse(q, HV_EPERM, "no present parent table");
	q->idx = pt_index(f, q->gfn, q->level);
	q->cur = q->table[q->idx];
	return 0;
}

/* locate(), and the entry must be exactly old. */
static int locate_old(struct req *q)
{
	int r = locate(q);

	if (r)
		return r;
	if (q->cur != q->old)
		return refuse(q, HV_EPERM, "the entry is not what the caller says");
	return 0;
}

static int do_map_leaf(struct req *q)
{
	const struct pt_format *f = q->t->fmt;
	int r = locate_old(q);

	if (r)
		return r;
	if (pte_is_present(f, q->cur))
		return refuse(q, HV_EPERM, "the entry is not empty");
	if (!pt_level_can_be_leaf(f, q->level) || !pte_is_present_leaf(f, q->new, q->level))
		return refuse(q, HV_EINVAL, "not a leaf this level can hold");
	tmod_write(q->t, q->table, q->idx, q->new);
	return 0;
}

static int do_link_table(struct req *q)
{
	const struct pt_format *f = q->t->fmt;
	pte_t *child;
	int r = locate_old(q);

	if (r)
		return r;
	if (q->level < 2)
		return refuse(q, HV_EINVAL, "no table below level 1");
	if (pte_is_present(f, q->cur))
		return refuse(q, HV_EPERM, "the entry is not empty");
	child = tmod_table_alloc(q->t, q->level - 1, q->gfn);
	if (!child)
		return out_of_memory(q);
	tmod_write(q->t, q->table, q->idx, make_table_pte(f, virt_to_phys(child)));
	return 0;
}

/*
 * A table at `level` mapping PT_ENTRIES entries' worth of frames from pfn
 * with attributes a: leaves if the level can hold them, else tables of
 * leaves further down (formats without the next leaf size). NULL if out
 * of memory, nothing left allocated.
 */
static pte_t *build(struct tmod *t, struct pt_attr a, pfn_t pfn, int level, gfn_t base)
{
	const struct pt_format *f = t->fmt;
	pte_t *table = tmod_table_alloc(t, level, base);
	u64 step = pt_level_pages(level);

	if (!table)
		return NULL;
	if (pt_level_can_be_leaf(f, level)) {
		pte_t tmpl = pt_leaf_template(f, a, level);

		for (unsigned i = 0; i < PT_ENTRIES; i++)
			tmod_write(t, table, i, make_leaf_pte(f, tmpl, pfn + i * step));
		return table;
	}
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		pte_t *child = build(t, a, pfn + i * step, level - 1, base + i * step);

		if (!child) {
			tmod_table_free_tree(t, table);
			return NULL;
		}
		tmod_write(t, table, i, make_table_pte(f, virt_to_phys(child)));
	}
	return table;
}

static int do_split(struct req *q)
{
	const struct pt_format *f = q->t->fmt;
	pte_t *child;
	int r = locate_old(q);

	if (r)
		return r;
	if (q->level < 2 || !pte_is_present_leaf(f, q->cur, q->level))
		return refuse(q, HV_EPERM, "not a huge leaf");
	child = build(q->t, f->decode(f, q->cur, q->level), pte_leaf_pfn(f, q->cur, q->level),
		      q->level - 1, q->gfn);
	if (!child)
		return out_of_memory(q);
	if (f->break_before_make) {
		/* Break: the leaf goes and every TLB forgets it before the table appears. */
		tmod_write(q->t, q->table, q->idx, 0);
		tmod_flush(q->t);
	}
	tmod_write(q->t, q->table, q->idx, make_table_pte(f, virt_to_phys(child)));
	return 0;
}

static int do_change_leaf(struct req *q)
{
	const struct pt_format *f = q->t->fmt;
	struct pt_attr was, will;
	int r = locate_old(q);

	if (r)
		return r;
	if (!pte_is_present_leaf(f, q->cur, q->level))
		return refuse(q, HV_EPERM, "not a leaf");
	if (!pte_is_present_leaf(f, q->new, q->level))
		return refuse(q, HV_EINVAL, "the new value is not a leaf");
	was = f->decode(f, q->cur, q->level);
	will = f->decode(f, q->new, q->level);
	if (pte_leaf_pfn(f, q->cur, q->level) != pte_leaf_pfn(f, q->new, q->level) ||
	    was.memtype != will.memtype || was.flags != will.flags)
		return refuse(q, HV_EINVAL, "changes more than permissions");
	tmod_write(q->t, q->table, q->idx, q->new);
	return 0;
}

static int do_remove_leaf(struct req *q)
{
	const struct pt_format *f = q->t->fmt;
	int r = locate_old(q);

	if (r)
		return r;
	if (!pte_is_present_leaf(f, q->cur, q->level))
		return refuse(q, HV_EPERM, "not a leaf");
	tmod_write(q->t, q->table, q->idx, 0);
	return 0;
}

static int do_remove_table(struct req *q)
{
	const struct pt_format *f = q->t->fmt;
	pte_t *child;
	int r = locate(q);

	if (r)
		return r;
	if (q->level < 2 || !pte_is_table(f, q->old, q->level))
		return refuse(q, HV_EINVAL, "old is not a table entry");
	if (!pte_is_table(f, q->cur, q->level) || ((q->cur ^ q->old) & ~f->pfn_mask))
		return refuse(q, HV_EPERM, "the entry is not the table the caller says");
	child = tmod_child(f, q->cur);
	if (tmod_meta_of(q->t, child)->present)
		return refuse(q, HV_EPERM, "the child table is not empty");
	tmod_write(q->t, q->table, q->idx, 0);
	/* The hardware may still hold walks through the child: forget them before it goes. */
	tmod_flush(q->t);
	tmod_table_free_tree(q->t, child);
	return 0;
}

static int run(struct req *q, int (*op)(struct req *))
{
	int r = tmod_enter(q->t, q->op, q->gfn, q->level);

	if (r)
		return r;
	r = op(q);
	if (!r)
		q->t->st.done[q->op]++;
	spin_unlock(&q->t->lock);
	return r;
}

int tmod_map_leaf(struct tmod *t, gfn_t gfn, int level, pte_t old, pte_t leaf)
{
	struct req q = {
		.t = t, .op = TMOD_OP_MAP_LEAF, .gfn = gfn, .level = level, .old = old, .new = leaf
	};

	return run(&q, do_map_leaf);
}

int tmod_link_table(struct tmod *t, gfn_t gfn, int level, pte_t old)
{
	struct req q = { .t = t, .op = TMOD_OP_LINK_TABLE, .gfn = gfn, .level = level, .old = old };

	return run(&q, do_link_table);
}

int tmod_split(struct tmod *t, gfn_t gfn, int level, pte_t old)
{
	struct req q = { .t = t, .op = TMOD_OP_SPLIT, .gfn = gfn, .level = level, .old = old };

	return run(&q, do_split);
}

int tmod_change_leaf(struct tmod *t, gfn_t gfn, int level, pte_t old, pte_t leaf)
{
	struct req q = { .t = t,
			 .op = TMOD_OP_CHANGE_LEAF,
			 .gfn = gfn,
			 .level = level,
			 .old = old,
			 .new = leaf };

	return run(&q, do_change_leaf);
}

int tmod_remove_leaf(struct tmod *t, gfn_t gfn, int level, pte_t old)
{
	struct req q = {
		.t = t, .op = TMOD_OP_REMOVE_LEAF, .gfn = gfn, .level = level, .old = old
	};

	return run(&q, do_remove_leaf);
}

int tmod_remove_table(struct tmod *t, gfn_t gfn, int level, pte_t old)
{
	struct req q = {
		.t = t, .op = TMOD_OP_REMOVE_TABLE, .gfn = gfn, .level = level, .old = old
	};

	return run(&q, do_remove_table);
}
