/*
 * The nested shadow MMU's private structures, shared by the files of
 * vmm/mmu/shadow/ (design: docs/nested-mmu.md). Everything here is protected
 * by L1's mmu_lock held for writing, except where a field says otherwise.
 *
 *   shadow_mmu   one per L1 VM: the hash of shadow pages, the LRU, the
 *                unsync list, reverse maps, quota, statistics
 *   shadow_page  one shadow table: which guest table (gfn) and role it
 *                shadows, the table itself, its parents, its leaves' gfns
 *   sp_ctx       the effects of one operation: pages zapped (freed after the
 *                TLB flush), whether a flush is needed
 */
#ifndef VMM_MMU_SHADOW_INTERNAL_H
#define VMM_MMU_SHADOW_INTERNAL_H

#include <hv/mmu/shadow.h>

#include "../mmu_internal.h"
#include "../pt_iter.h"

/* --- role: what must differ for two shadow pages of the same gfn ------------------------ */

/*
 *  bit 22..17  16..14   13   12      11..8        7..5          4..3   2..0
 *  +--------+--------+----+------+-------------+-------------+------+-------+
 *  |pa_bits | root   | ad |direct| access RWXU  | guest root  | gfmt | level |
 *  |        | flags  |    |      | (PT_* bits)  | levels      |      |       |
 *  +--------+--------+----+------+-------------+-------------+------+-------+
 *
 * level        level of the entries in the page (1: 4 KiB leaves)
 * gfmt         enum shadow_gfmt of L1's table
 * guest levels the root level of L1's format (EPT/NPT 4 or 5)
 * access       what the guest entries above this page grant (their AND);
 *              for a direct page, what the guest leaf it splits grants
 * direct       no guest table behind the page: it splits a guest huge leaf
 * ad           L1 enabled accessed/dirty flags (EPTP bit 6; always for NPT)
 * root flags   SHADOW_ROOT_* (NXE, execute-only, hardware AF)
 * pa_bits      L1's physical-address width (which bits are reserved)
 */
typedef u32 sp_role_t;

#define SP_ROLE_LEVEL_MASK    GENMASK(2, 0)
#define SP_ROLE_GFMT_SHIFT    3
#define SP_ROLE_GFMT_MASK     GENMASK(4, 3)
#define SP_ROLE_GLEVELS_SHIFT 5
#define SP_ROLE_GLEVELS_MASK  GENMASK(7, 5)
#define SP_ROLE_ACCESS_SHIFT  8
#define SP_ROLE_ACCESS_MASK   GENMASK(11, 8)
#define SP_ROLE_DIRECT        BIT(12)
#define SP_ROLE_AD            BIT(13)
#define SP_ROLE_FLAGS_SHIFT   14
#define SP_ROLE_FLAGS_MASK    GENMASK(16, 14)
#define SP_ROLE_PA_SHIFT      17
#define SP_ROLE_PA_MASK       GENMASK(22, 17)

#define SHADOW_ROOT_FLAGS     (SHADOW_ROOT_NXE | SHADOW_ROOT_XONLY | SHADOW_ROOT_HW_AF)
#define PT_RWXU               (PT_R | PT_W | PT_X | PT_U)

_Static_assert(SHADOW_GFMT_COUNT <= 4, "gfmt fits its two role bits");
_Static_assert(PT_RWXU == 0xf, "access fits its four role bits");
_Static_assert((SHADOW_ROOT_FLAGS << SP_ROLE_FLAGS_SHIFT) == SP_ROLE_FLAGS_MASK,
	       "root flags fit their role bits");

static inline int role_level(sp_role_t r)
{
	return (int)(r & SP_ROLE_LEVEL_MASK);
}
static inline enum shadow_gfmt role_gfmt(sp_role_t r)
{
	return (enum shadow_gfmt)((r & SP_ROLE_GFMT_MASK) >> SP_ROLE_GFMT_SHIFT);
}
static inline int role_glevels(sp_role_t r)
{
	return (int)((r & SP_ROLE_GLEVELS_MASK) >> SP_ROLE_GLEVELS_SHIFT);
}
static inline u8 role_access(sp_role_t r)
{
	return (u8)((r & SP_ROLE_ACCESS_MASK) >> SP_ROLE_ACCESS_SHIFT);
}
static inline bool role_direct(sp_role_t r)
{
	return r & SP_ROLE_DIRECT;
}
static inline sp_role_t role_with(sp_role_t base, int level, u8 access, bool direct)
{
	base &= ~(SP_ROLE_LEVEL_MASK | SP_ROLE_ACCESS_MASK | SP_ROLE_DIRECT);
	return base | (sp_role_t)level | ((sp_role_t)(access & PT_RWXU) << SP_ROLE_ACCESS_SHIFT) |
	       (direct ? SP_ROLE_DIRECT : 0);
}

/* --- guest walks ----------------------------------------------------------------------- */

/* How L1's table is to be read: derived from a root pointer, kept in the role. */
struct gwalk_cfg {
	enum shadow_gfmt kind;
	const struct pt_format *fmt; /* the layout (shadow tables use it too) */
	gfn_t root_gfn;
	u8 levels;
	u8 pa_bits;
	u32 flags; /* SHADOW_ROOT_* */
	bool ad;
};

/* Why a walk stopped. */
enum gwalk_stop {
	GW_OK,
	GW_NOT_PRESENT, /* an entry is not present (or an invalid encoding) */
	GW_RSVD,        /* reserved bits set: EPT misconfiguration, #NPF RSV */
	GW_ADDR_SIZE,   /* stage-2: an address beyond VTCR_EL2.PS */
	GW_NO_AF,       /* stage-2: access flag clear */
	GW_PERM,        /* the entries do not allow the access */
	GW_UNREADABLE,  /* a table of the walk is not L1 RAM */
};

struct gwalk {
	int leaf_level;                     /* level of the guest leaf */
	gfn_t table_gfn[PT_MAX_LEVELS + 1]; /* guest table read at each level */
	pte_t gpte[PT_MAX_LEVELS + 1];      /* entry read at each level */
	u8 access_above[PT_MAX_LEVELS + 1]; /* AND of the grants of the entries above */
	u8 perm;                            /* AND of all grants, the leaf's included */
	gfn_t gfn;                          /* L1 gfn of the page l2_gpa lies in */
	struct pt_attr attr;                /* the leaf's memory type and flags */
	bool dirty;                         /* the leaf is dirty (or the format has no D) */
	struct shadow_guest_fault fault;    /* when the walk failed */
};

/* Per-format rules of L1's tables (gfmt_*.c). */
struct gfmt_ops {
	const char *name;
	/* Check and decode a root pointer into cfg (not root_gfn's slot). */
	int (*decode_root)(const struct shadow_root_params *p, struct gwalk_cfg *cfg);
	/* Classify a guest entry at level: GW_OK (then *leaf), or why it stops a walk. */
	enum gwalk_stop (*check)(const struct gwalk_cfg *cfg, pte_t e, int level, bool *leaf);
	/* What a present non-leaf entry grants (PT_RWXU bits). */
	u8 (*table_perm)(const struct gwalk_cfg *cfg, pte_t e);
	/* The access the entries must allow, given the hardware's access and flags. */
	u8 (*required)(const struct gwalk_cfg *cfg, u8 access, u32 acc_flags);
	/* Bits the walk sets in an entry it used (accessed, dirty, AF). */
	pte_t (*ad_bits)(const struct gwalk_cfg *cfg, int level, bool leaf, bool write);
	/* The leaf's dirty flag, 0 if the format (as configured) has none. */
	pte_t (*dirty_mask)(const struct gwalk_cfg *cfg);
	/* The architectural fault for L1. perm: AND of the grants so far. */
	void (*fault)(const struct gwalk_cfg *cfg, enum gwalk_stop why, int level, u8 access,
		      u32 acc_flags, u8 perm, struct shadow_guest_fault *out);
};

extern const struct gfmt_ops gfmt_ept_ops;
extern const struct gfmt_ops gfmt_npt_ops;
extern const struct gfmt_ops gfmt_s2_ops;
extern const struct gfmt_ops gfmt_fake_ops;

const struct gfmt_ops *gfmt_ops_of(enum shadow_gfmt kind);
/* The walk configuration a page's role implies (root_gfn unset). */
void gwalk_cfg_from_role(sp_role_t role, struct gwalk_cfg *cfg);
/* The shadow/guest layout for a format and root level; NULL if none. */
const struct pt_format *gfmt_format(enum shadow_gfmt kind, int levels);

/* --- shadow pages ---------------------------------------------------------------------- */

/* A reference to one entry of a shadow page: a parent link or a reverse map. */
struct sp_ref {
	struct shadow_page *sp;
	u32 idx;
};

/* A small set of entry references: one inline, more in an array. */
struct sp_refs {
	u32 count;
	u32 cap; /* of many */
	struct sp_ref one;
	struct sp_ref *many;
};

struct shadow_page {
	struct list_node hash_link;  /* sm->hash[gfn]; unlinked when zapped */
	struct list_node table_link; /* sm->by_table[table address] until freed */
	struct list_node
	    lru_link; /* sm->lru (most recent first), sm->obsolete or a ctx's dead list */
	struct list_node unsync_link; /* sm->unsync while unsync */
	gfn_t gfn;                    /* guest table (indirect) or first L1 gfn covered (direct) */
	sp_role_t role;
	const struct pt_format *fmt;
	pte_t *spt;      /* the shadow table: fmt->root_pages pages for a root-level page */
	gfn_t *leaf_gfn; /* per entry: first L1 gfn its present leaf maps (leaf levels only) */
	struct sp_refs parents;
	u64 id;         /* creation number, for dumps */
	u32 root_count; /* vCPU references as a root */
	u32 present;    /* present entries */
	u32 write_seq;  /* last shadow_track_write() that handled it */
	u64 dump_seq;   /* last shadow_dump() that printed it */
	u16 flood;      /* emulated writes since the last use */
	bool unsync;
	bool tracked; /* holds write tracking of its guest table page(s) */
	u32 zapped;   /* atomic flag (vCPUs test their root without the lock) */
};

static inline int sp_level(const struct shadow_page *sp)
{
	return role_level(sp->role);
}
static inline bool sp_is_direct(const struct shadow_page *sp)
{
	return role_direct(sp->role);
}
static inline bool sp_is_zapped(const struct shadow_page *sp)
{
	return __atomic_load_n(&sp->zapped, __ATOMIC_ACQUIRE);
}
static inline unsigned sp_entries(const struct shadow_page *sp)
{
	return pt_table_entries(sp->fmt, sp_level(sp));
}
/* Guest table pages behind a page (a concatenated guest root has several). */
static inline unsigned sp_guest_pages(const struct shadow_page *sp)
{
	return sp_level(sp) == sp->fmt->levels ? sp->fmt->root_pages : 1;
}

/* --- reverse maps: L1 gfn -> shadow leaves ---------------------------------------------- */

#define SHADOW_HASH_BITS 12
#define SHADOW_HASH_SIZE (1u << SHADOW_HASH_BITS)

struct rmap_head {
	struct list_node link; /* bucket */
	struct list_node all;  /* sm->rmap_all */
	gfn_t gfn;             /* first gfn of the leaves (aligned to level) */
	int level;
	struct sp_refs refs;
};

/* --- the per-VM object ------------------------------------------------------------------- */

struct shadow_vcpu {
	struct shadow_mmu *sm;
	struct list_node link; /* sm->vcpus */
	struct shadow_page *root;
	struct shadow_page *prev[MMU_PREV_ROOTS]; /* most recent first */
};

struct shadow_mmu {
	/* Immutable after creation. */
	struct mmu_vm *vm;
	const struct shadow_mem_ops *mem;
	void *mem_arg;
	shadow_tlb_flush_fn *tlb_flush;
	void *tlb_arg;

	/* Under mmu_lock held for writing (read lock for statistics and dumps). */
	bool no_orphan_zap;
	bool multi_page_roots; /* some root spans several guest pages */
	u32 max_pages;
	u32 write_seq;
	u64 dump_seq;
	u64 next_id;
	u64 pages;       /* allocated, zapped-but-not-yet-freed included */
	u64 valid_pages; /* in the hash (what the quota counts) */
	u64 pages_direct, unsync_count, obsolete_count, roots_in_use, rmap_entries;
	struct list_node hash[SHADOW_HASH_SIZE];     /* by gfn */
	struct list_node by_table[SHADOW_HASH_SIZE]; /* by shadow table address */
	struct list_node rmap_hash[SHADOW_HASH_SIZE];
	struct list_node rmap_all;
	u64 rmap_heads;
	struct list_node lru;      /* valid pages, most recently used first */
	struct list_node unsync;   /* unsync pages */
	struct list_node obsolete; /* zapped roots that vCPUs still hold */
	struct list_node vcpus;
	u64 stat[SHADOW_STAT_COUNT];
};

static inline void sm_stat(struct shadow_mmu *sm, enum shadow_stat s, u64 n)
{
	sm->stat[s] += n;
}

static inline void sm_assert_locked(struct shadow_mmu *sm)
{
	write_assert_held(&sm->vm->mmu_lock);
}

/* --- operation context (spte.c) ---------------------------------------------------------- */

struct sp_ctx {
	struct shadow_mmu *sm;
	bool flush;
	struct list_node dead; /* zapped pages, freed after the flush */
	u32 zapped;            /* pages zapped through this context */
};

void sp_ctx_init(struct sp_ctx *c, struct shadow_mmu *sm);
/* Flush if needed, then free the dead pages. */
void sp_ctx_finish(struct sp_ctx *c);

/* Orphan policy of an entry change: what to do with a child left with no parent. */
enum sp_orphan {
	SP_ORPHAN_KEEP,      /* leave it (the old emulated-write behaviour) */
	SP_ORPHAN_ZAP,       /* zap it, counted as ZAP_ORPHAN (seed 000) */
	SP_ORPHAN_ZAP_CHILD, /* zap it, counted as ZAP_CHILD (its parent page is going) */
};

/*
 * The one way a shadow entry changes: sp's entry idx from its current value
 * to new. leaf_gfn: for a new leaf, the first L1 gfn it maps. Derives the
 * reverse-map and parent-link changes, the flush, the counters, and the fate
 * of a child page the change orphans. Returns 0, or HV_ENOMEM before
 * anything changed (a link could not be recorded).
 */
int sp_set_spte(struct sp_ctx *c, struct shadow_page *sp, unsigned idx, pte_t new_e, gfn_t leaf_gfn,
		enum sp_orphan orphan);

/*
 * Zap a shadow page: unlink it from every parent, clear its entries (its
 * children left without a parent are zapped too), drop its write tracking,
 * take it out of the hash. Freed after the flush, or, for a root a vCPU
 * still holds, when the last holder lets go. cause: a SHADOW_STAT_ZAP_*.
 */
void sp_zap(struct sp_ctx *c, struct shadow_page *sp, enum shadow_stat cause);

/* Zap every page (invalidate-all, teardown). */
void sp_zap_all(struct sp_ctx *c, enum shadow_stat cause);

/* --- pages, hash, LRU, quota (sp.c) ------------------------------------------------------- */

int shadow_hash_init(struct shadow_mmu *sm);
struct shadow_page *sp_find(struct shadow_mmu *sm, gfn_t gfn, sp_role_t role);
/* The page whose table `table` is (a present table entry's target). */
struct shadow_page *sp_of_table(struct shadow_mmu *sm, const pte_t *table);
/*
 * A new page for (gfn, role), in the hash and the LRU, its guest table
 * write-tracked unless direct. NULL with *err = HV_ENOMEM, or HV_EFAULT if
 * the guest table is not in a backed slot (it cannot be tracked).
 */
struct shadow_page *sp_create(struct sp_ctx *c, gfn_t gfn, sp_role_t role, int *err);
void sp_free(struct shadow_mmu *sm, struct shadow_page *sp);
/* A walk used the page: most recently used, write-flood count reset. */
void sp_touch(struct shadow_mmu *sm, struct shadow_page *sp);
/* Recycle the oldest pages (never a root in use) until `need` more fit the quota. */
void sp_make_room(struct sp_ctx *c, u32 need);
/* Write tracking of a page's guest table(s). */
int sp_track(struct shadow_mmu *sm, struct shadow_page *sp);
void sp_untrack(struct shadow_mmu *sm, struct shadow_page *sp);
/*
 * Pages whose guest table covers gfn (valid, indirect), at most max, leaving
 * out those whose write_seq is skip_seq (0: none); returns the count.
 */
unsigned sp_find_gptes(struct shadow_mmu *sm, gfn_t gfn, struct shadow_page **out, unsigned max,
		       u32 skip_seq);
u32 shadow_longest_chain(struct shadow_mmu *sm);

/* --- entry sets (refs.c) ------------------------------------------------------------------ */

int refs_add(struct sp_refs *r, struct shadow_page *sp, u32 idx);
void refs_del(struct sp_refs *r, struct shadow_page *sp, u32 idx);
struct sp_ref refs_at(const struct sp_refs *r, u32 i);
void refs_free(struct sp_refs *r);

/* --- reverse maps (rmap.c) ------------------------------------------------------------------ */

int rmap_add(struct shadow_mmu *sm, int level, gfn_t gfn, struct shadow_page *sp, u32 idx);
void rmap_del(struct shadow_mmu *sm, int level, gfn_t gfn, struct shadow_page *sp, u32 idx);
/* Zap (or write-protect) every shadow leaf mapping an L1 gfn in [start, end). */
void rmap_zap_range(struct sp_ctx *c, gfn_t start, gfn_t end);
void rmap_protect_range(struct sp_ctx *c, gfn_t start, gfn_t end);
void rmap_destroy(struct shadow_mmu *sm);

/* --- walks and leaves (gwalk.c, fault.c) ---------------------------------------------------- */

/*
 * Walk L1's table for l2_gfn. Returns GW_OK (w filled) or why it stopped
 * (w->fault filled); HV_EAGAIN if an accessed/dirty update kept losing
 * races with L1.
 */
int gwalk(struct shadow_mmu *sm, const struct gwalk_cfg *cfg, gfn_t l2_gfn, u8 access,
	  u32 acc_flags, struct gwalk *w);

/* Read one guest entry through the seam. */
int gread(struct shadow_mmu *sm, gpa_t gpa, u64 *val);

/*
 * The shadow leaf at `level` mapping L1 gfn `gfn` (aligned to level) with
 * the guest's grants perm and attributes, cut down by ours (read-only slot,
 * write tracking). 0 if the gfn has no backed slot.
 */
pte_t shadow_make_leaf(struct shadow_mmu *sm, const struct pt_format *f, int level, gfn_t gfn,
		       u8 perm, struct pt_attr gattr);

/* --- unsync and sync (sync.c) --------------------------------------------------------------- */

void sp_mark_unsync(struct sp_ctx *c, struct shadow_page *sp);
/* Re-read every guest entry of an unsync page, fix or zap its shadow entries, track again. */
void sp_sync(struct sp_ctx *c, struct shadow_page *sp);
void sp_sync_all(struct sp_ctx *c);

/* --- roots (root.c) ------------------------------------------------------------------------- */

void sp_root_put(struct sp_ctx *c, struct shadow_page *sp);

/* --- locking ---------------------------------------------------------------------------------- */

void shadow_lock(struct shadow_mmu *sm);
void shadow_unlock(struct shadow_mmu *sm);

#endif /* VMM_MMU_SHADOW_INTERNAL_H */
