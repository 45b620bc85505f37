/*
 * The trusted table module ("tmod", docs/mirror.md): a stand-in for what
 * TDX's module is to KVM. It owns the second-stage table that the hardware
 * walks for a protected guest (the NPT/EPT whose root goes into nCR3/the
 * EPTP, or the stage-2 for VTTBR_EL2), in the same format as the
 * hypervisor's mirror of it. Its pages are written by this module only:
 * the rest of the hypervisor changes the table through the calls below,
 * which check every request against the module's own table, the way the
 * TDX module checks its secure EPT:
 *
 *   - a leaf is mapped, and a child table linked, only under a present
 *     parent, into an entry that is non-present;
 *   - a split turns a present huge leaf into a full table (built by the
 *     module) mapping the same frames with the same attributes;
 *   - a leaf is removed or changed only if it is exactly what the caller
 *     says it is (old), and a change keeps its frame and size;
 *   - a child table is removed only when all its entries are non-present,
 *     and its page is freed only after the module's TLB seam ran;
 *   - every call may fail with HV_EBUSY (the module is in use by another
 *     CPU, or failure injection said so), changing nothing.
 *
 * Errors: HV_EBUSY (try again), HV_EPERM (refused: the request does not
 * match the module's table: old differs, no parent, entry not empty, table
 * not empty), HV_EINVAL (malformed: bad level, unaligned gfn, not a leaf
 * where one is needed), HV_ENOMEM (no page for a table); each failure
 * changes nothing. Refusals are logged with the table, gfn, level and
 * values, and counted.
 *
 * Locking: the module has one lock of its own, taken with a try-lock by the
 * table calls (contention is reported as HV_EBUSY, as TDX reports
 * TDX_OPERAND_BUSY) and waited for by the inspection calls. It calls only
 * its TLB seam and the page allocator while holding it.
 *
 * The hypervisor's side of the protocol (the mirror root and its hook) is
 * in hv/mmu/mirror.h; hv/tmod_hook.h connects the two.
 */
#ifndef HV_TMOD_H
#define HV_TMOD_H

#include <hv/mmu/format.h>
#include <hv/types.h>

struct tmod;

/*
 * Pages the module holds per table below the root: the table the hardware
 * walks, and the module's private metadata page for it (tmod.c).
 */
#define TMOD_TABLE_PAGES 2

/*
 * The TLB seam: make every CPU forget cached translations and cached
 * table walks of the external table (all of it). Called before a table
 * page is freed and between the break and the make of a split on
 * break-before-make formats, with the module's lock held.
 */
typedef void tmod_tlb_flush_fn(void *arg);

struct tmod_config {
	const char *name;            /* for log lines ("vm1") */
	const struct pt_format *fmt; /* of the table the hardware walks */
	tmod_tlb_flush_fn *tlb_flush;
	void *tlb_arg;
};

/* NULL with *err = HV_EINVAL (bad format, logged) or HV_ENOMEM. */
struct tmod *tmod_create(const struct tmod_config *cfg, int *err);
/* Flush, then free every page of the table, whatever it still maps. */
void tmod_destroy(struct tmod *t);

/*
 * Host-physical address of the external root: what the backend loads into
 * nCR3 (NPT), the EPTP's address field (EPT) or VTTBR_EL2's BADDR (stage-2)
 * to run the protected guest. Fixed for the module's lifetime.
 */
hpa_t tmod_root_hpa(const struct tmod *t);
const struct pt_format *tmod_format(const struct tmod *t);

/* --- the table calls (gfn: first gfn of the entry at `level`) ----------------------------- */

/* Non-present old -> the leaf `leaf` at (gfn, level), under a present parent. */
int tmod_map_leaf(struct tmod *t, gfn_t gfn, int level, pte_t old, pte_t leaf);
/* Non-present old -> a new, empty child table of the module's own. */
int tmod_link_table(struct tmod *t, gfn_t gfn, int level, pte_t old);
/* The huge leaf old -> a table mapping the same frames (built here, as deep as the format needs). */
int tmod_split(struct tmod *t, gfn_t gfn, int level, pte_t old);
/* The leaf old -> the leaf `leaf`: same frame and size, other permissions. */
int tmod_change_leaf(struct tmod *t, gfn_t gfn, int level, pte_t old, pte_t leaf);
/* The leaf old -> non-present. */
int tmod_remove_leaf(struct tmod *t, gfn_t gfn, int level, pte_t old);
/*
 * The table entry at (gfn, level) -> non-present; the child table must be
 * empty. old is the caller's view of the entry: its non-address bits must
 * match (the address differs: the caller's tables are its own).
 */
int tmod_remove_table(struct tmod *t, gfn_t gfn, int level, pte_t old);

/* --- inspection (read-only, waits for the lock) --------------------------------------------- */

/*
 * Copy the entries of the external table at `level` that contains gfn's
 * entry into out[] (pt_table_entries(fmt, level) of them). HV_ENOENT if the
 * walk stops above `level` (no such table), HV_EINVAL for a bad level.
 */
int tmod_read_table(struct tmod *t, gfn_t gfn, int level, pte_t *out);

/*
 * Check that nobody but the module wrote its table: every table page's
 * entries still match the checksum and present count the module keeps
 * for it (updated on each of its own writes), and the tree is well
 * formed. Returns 0, or HV_EIO with a log line naming the first table
 * that was written behind the module's back.
 */
int tmod_audit(struct tmod *t);

/* --- failure injection (tests; off unless set) ---------------------------------------------- */

enum tmod_inject_mode {
	TMOD_INJECT_OFF,    /* default */
	TMOD_INJECT_EVERY,  /* fail every n-th table call (n = 1: all of them) */
	TMOD_INJECT_RANDOM, /* fail a table call with probability per_million / 10^6 */
};

struct tmod_inject {
	enum tmod_inject_mode mode;
	u32 skip;        /* the first `skip` table calls never fail */
	u32 every;       /* TMOD_INJECT_EVERY */
	u32 per_million; /* TMOD_INJECT_RANDOM */
	u64 seed;        /* TMOD_INJECT_RANDOM: the sequence is a function of it */
	int err;         /* what an injected failure returns; 0 means HV_EBUSY */
};

/*
 * Set failure injection (the call counter restarts). A failing call is
 * decided after the lock is taken and before the request is looked at,
 * so it changes nothing.
 */
void tmod_set_inject(struct tmod *t, const struct tmod_inject *inj);

/* --- statistics ------------------------------------------------------------------------------ */

enum tmod_op {
	TMOD_OP_MAP_LEAF,
	TMOD_OP_LINK_TABLE,
	TMOD_OP_SPLIT,
	TMOD_OP_CHANGE_LEAF,
	TMOD_OP_REMOVE_LEAF,
	TMOD_OP_REMOVE_TABLE,
	TMOD_OP_COUNT,
};

struct tmod_stats {
	u64 calls[TMOD_OP_COUNT]; /* table calls by kind, failed ones included */
	u64 done[TMOD_OP_COUNT];  /* ... that changed the table */
	u64 busy;                 /* HV_EBUSY from contention */
	u64 injected;             /* failures injected */
	u64 refused;              /* HV_EPERM and HV_EINVAL */
	u64 nomem;
	u64 flushes; /* TLB seam calls */
	u64 tables;  /* table pages alive below the root */
	u64 leaves;  /* leaves mapped */
};

void tmod_stats_read(struct tmod *t, struct tmod_stats *out);
const char *tmod_op_name(enum tmod_op op);

/*
 * Print the statistics through hv_printf, one figure group per line, each
 * line starting with prefix (e.g. "vm0: "): calls and successes by kind,
 * failures by cause, TLB flushes, tables and leaves alive.
 */
void tmod_stats_print(struct tmod *t, const char *prefix);

/* The most recent table call that failed after taking the module's lock. */
struct tmod_failure {
	enum tmod_op op;
	gfn_t gfn;
	int level;
	int err;         /* what the call returned */
	const char *why; /* a static description: the refusal's reason, "injected failure", ... */
};

/*
 * Copy the most recent failure (refused, injected, out of memory) into
 * *out: true, or false if no call has failed that way yet. Busy answers
 * from contention are not recorded (they never held the lock).
 */
bool tmod_last_failure(struct tmod *t, struct tmod_failure *out);

#endif /* HV_TMOD_H */
