/*
 * Page-table entry formats: one description per hardware layout, passed
 * explicitly to every engine function (never held in a global), so that an
 * L1's EPT and our own NPT can be handled side by side.
 *
 * Levels are numbered from the leaf up: level 1 entries map 4 KiB, level 2
 * 2 MiB, level 3 1 GiB, and the root is level `levels`. Every table is one
 * 4 KiB page of 512 8-byte entries, except a root, which may be several
 * physically contiguous pages ("concatenated" tables, arm64 stage-2); the
 * root then has 512 * root_pages entries.
 *
 * A format is mostly data: masks that the hot paths test inline (present,
 * leaf, address, permissions). Only the translation between the generic
 * attributes (struct pt_attr) and the format's bits is a function, called once
 * per operation rather than per entry.
 *
 * Formats (the bit layouts live in their own headers, citing the manuals):
 *   pt_format_ept4, pt_format_ept5     Intel EPT, 4- and 5-level   (hv/mmu/ept.h)
 *   pt_format_npt4, pt_format_npt5     AMD NPT, 4- and 5-level     (hv/mmu/npt.h)
 *   pt_format_s2_40                    arm64 stage-2, 4K granule, 40-bit IPA,
 *                                      two concatenated level-1 tables (hv/mmu/stage2.h)
 *   pt_format_fake                     a layout unlike any real one, for tests
 *                                      (hv/mmu/fake_pt.h)
 */
#ifndef HV_MMU_FORMAT_H
#define HV_MMU_FORMAT_H

#include <hv/types.h>

typedef u64 pte_t;

#define PT_MAX_LEVELS     5
#define PT_LEVEL_BITS     9 /* 4 KiB tables of 8-byte entries */
#define PT_ENTRIES        (1u << PT_LEVEL_BITS)
#define PT_MAX_ROOT_PAGES 8
#define PT_TABLE_BYTES    PAGE_SIZE

/* Generic permissions. */
#define PT_R   BIT(0) /* read */
#define PT_W   BIT(1) /* write */
#define PT_X   BIT(2) /* execute */
#define PT_U   BIT(3) /* user-mode access allowed (NPT U/S); implicit where not expressible */
#define PT_RWX (PT_R | PT_W | PT_X)

/* Generic memory types. */
enum pt_memtype {
	PT_MT_WB = 0,     /* normal, write-back */
	PT_MT_WT = 1,     /* normal, write-through */
	PT_MT_WC = 2,     /* normal, uncached but combining (arm: Normal Non-cacheable) */
	PT_MT_UC = 3,     /* strongly uncached (arm: Device-nGnRnE) */
	PT_MT_DEVICE = 4, /* device memory allowing early write ack (arm: Device-nGnRE; x86: UC) */
	PT_MT_COUNT = 5,
};

/* Attribute flags. */
#define PT_AF_FORCE_MT BIT(0) /* our memory type wins over the guest's (EPT IPAT) */

/* What a leaf grants, in generic terms. */
struct pt_attr {
	u8 perm;    /* PT_R | PT_W | PT_X | PT_U */
	u8 memtype; /* enum pt_memtype */
	u8 flags;   /* PT_AF_* */
};

struct pt_format {
	const char *name;
	u8 levels;        /* the root's level */
	u8 root_pages;    /* pages in the root table (a power of two; 1 unless concatenated) */
	u8 leaf_levels;   /* BIT(level) for each level that may hold a leaf */
	u8 addr_bits;     /* width of the guest-physical space one root translates */
	u8 pa_bits;       /* widest host-physical address an entry can hold */
	u8 pfn_shift;     /* entry bit where the frame number starts */
	u8 perm_mask;     /* PT_* permissions the format can express */
	u8 perm_implicit; /* PT_* permissions every leaf grants whatever we ask */
	u8 memtypes;      /* BIT(pt_memtype) of the types it encodes exactly */
	u8 attr_flags;    /* PT_AF_* it can express */
	/*
	 * Replacing a valid entry by another valid one of a different size or
	 * frame needs "break-before-make" (arm64): invalidate, flush, then write.
	 */
	bool break_before_make;

	pte_t pfn_mask;     /* bits holding the frame number */
	pte_t present_mask; /* an entry is present iff any of these bits is set */
	pte_t huge_mask;    /* above level 1, a present entry is a leaf iff */
	pte_t huge_val;     /*   (entry & huge_mask) == huge_val */
	pte_t table_bits;   /* every non-leaf entry: these bits plus the table's address */
	pte_t read_mask;    /* set: readable */
	pte_t write_mask;   /* set: writable */
	pte_t exec_mask;    /* set: executable (0 if the format uses nx_mask instead) */
	pte_t nx_mask;      /* set: not executable (0 if the format uses exec_mask) */
	pte_t user_mask;    /* set: user-mode access allowed (0 if not expressible) */
	pte_t attr_mask;    /* memory-type bits: changing them needs a TLB flush */
	pte_t frozen;       /* reserved non-present value: "being changed, keep off" */

	/* Leaf bits for a (perm, memtype, flags) at `level`, without the address. */
	pte_t (*encode)(const struct pt_format *f, struct pt_attr a, int level);
	/* The generic attributes of a present leaf at `level`. */
	struct pt_attr (*decode)(const struct pt_format *f, pte_t e, int level);
};

extern const struct pt_format pt_format_ept4;
extern const struct pt_format pt_format_ept5;
extern const struct pt_format pt_format_npt4;
extern const struct pt_format pt_format_npt5;
extern const struct pt_format pt_format_s2_40;
extern const struct pt_format pt_format_fake;

/* --- geometry ------------------------------------------------------------------------- */

/* log2 of the number of 4 KiB pages one entry at `level` maps. */
static inline unsigned pt_level_page_shift(int level)
{
	return (unsigned)(level - 1) * PT_LEVEL_BITS;
}

/* Number of 4 KiB pages one entry at `level` maps. */
static inline u64 pt_level_pages(int level)
{
	return 1ull << pt_level_page_shift(level);
}

/* Entries in a table at `level` (the root may be concatenated). */
static inline unsigned pt_table_entries(const struct pt_format *f, int level)
{
	return level == f->levels ? PT_ENTRIES * f->root_pages : PT_ENTRIES;
}

/* Index of gfn's entry in the table at `level`. */
static inline unsigned pt_index(const struct pt_format *f, gfn_t gfn, int level)
{
	return (unsigned)(gfn >> pt_level_page_shift(level)) & (pt_table_entries(f, level) - 1);
}

/* One past the last gfn a root of this format translates. */
static inline gfn_t pt_gfn_limit(const struct pt_format *f)
{
	return 1ull << (f->addr_bits - PAGE_SHIFT);
}

static inline bool pt_level_can_be_leaf(const struct pt_format *f, int level)
{
	return f->leaf_levels & BIT(level);
}

/* --- entry predicates (hot paths: masks only) ------------------------------------------ */

static inline bool pte_is_present(const struct pt_format *f, pte_t e)
{
	return (e & f->present_mask) != 0;
}

/*
 * Frozen: not present and carrying the format's frozen marker. Covers the
 * exact reserved value and the engine's own uses of the marker (entries of an
 * unlinked table). Nobody may install anything over a frozen entry.
 */
static inline bool pte_is_frozen(const struct pt_format *f, pte_t e)
{
	return (e & f->frozen) == f->frozen && !pte_is_present(f, e);
}

/* A present entry that maps memory (as opposed to pointing to a table). */
static inline bool pte_is_leaf(const struct pt_format *f, pte_t e, int level)
{
	return level == 1 || (e & f->huge_mask) == f->huge_val;
}

static inline bool pte_is_present_leaf(const struct pt_format *f, pte_t e, int level)
{
	return pte_is_present(f, e) && pte_is_leaf(f, e, level);
}

static inline bool pte_is_table(const struct pt_format *f, pte_t e, int level)
{
	return pte_is_present(f, e) && !pte_is_leaf(f, e, level);
}

static inline bool pte_is_writable(const struct pt_format *f, pte_t e)
{
	return (e & f->write_mask) == f->write_mask;
}

/* Frame number in the address field, as stored. */
static inline pfn_t pte_pfn(const struct pt_format *f, pte_t e)
{
	return (e & f->pfn_mask) >> f->pfn_shift;
}

/*
 * First frame a leaf at `level` maps. Low address bits of a huge leaf may
 * hold other fields (x86 PAT at bit 12), so they are dropped.
 */
static inline pfn_t pte_leaf_pfn(const struct pt_format *f, pte_t e, int level)
{
	return pte_pfn(f, e) & ~(pt_level_pages(level) - 1);
}

static inline hpa_t pte_table_hpa(const struct pt_format *f, pte_t e)
{
	return pfn_to_hpa(pte_pfn(f, e));
}

static inline pte_t pte_pfn_bits(const struct pt_format *f, pfn_t pfn)
{
	return (pfn << f->pfn_shift) & f->pfn_mask;
}

/* A non-leaf entry pointing to the table at `table`. */
static inline pte_t make_table_pte(const struct pt_format *f, hpa_t table)
{
	return f->table_bits | pte_pfn_bits(f, hpa_to_pfn(table));
}

/*
 * Leaf bits without the address for `a` at `level` (marks it a huge leaf
 * above level 1). Combine with make_leaf_pte() for each frame.
 */
static inline pte_t pt_leaf_template(const struct pt_format *f, struct pt_attr a, int level)
{
	return f->encode(f, a, level);
}

static inline pte_t make_leaf_pte(const struct pt_format *f, pte_t tmpl, pfn_t pfn)
{
	return tmpl | pte_pfn_bits(f, pfn);
}

/* Does the present leaf `e` allow every access in `access` (PT_R/W/X)? */
static inline bool pte_allows(const struct pt_format *f, pte_t e, u8 access)
{
	if ((access & PT_R) && (e & f->read_mask) != f->read_mask)
		return false;
	if ((access & PT_W) && (e & f->write_mask) != f->write_mask)
		return false;
	if ((access & PT_X) && (f->exec_mask ? !(e & f->exec_mask) : (e & f->nx_mask) != 0))
		return false;
	return true;
}

/*
 * Does going from leaf old to leaf new take anything away (a permission, the
 * frame, the memory type)? If so, cached translations of old must be flushed.
 */
static inline bool pte_leaf_loses(const struct pt_format *f, pte_t old_e, pte_t new_e)
{
	pte_t grants = f->read_mask | f->write_mask | f->exec_mask | f->user_mask;
	pte_t lost_grants = (old_e & grants) & ~(new_e & grants);
	pte_t new_denies = (new_e & f->nx_mask) & ~(old_e & f->nx_mask);

	return lost_grants || new_denies || ((old_e ^ new_e) & (f->pfn_mask | f->attr_mask));
}

/*
 * Must going from present `old_e` to present `new_e` at `level` pass through
 * an invalid entry and a TLB flush on this format? True when the size of the
 * mapping (leaf <-> table), its frame or its memory type changes; permission
 * changes alone never need it.
 */
static inline bool pte_needs_bbm(const struct pt_format *f, pte_t old_e, pte_t new_e, int level)
{
	if (!f->break_before_make || !pte_is_present(f, old_e) || !pte_is_present(f, new_e))
		return false;
	if (pte_is_leaf(f, old_e, level) != pte_is_leaf(f, new_e, level))
		return true;
	return ((old_e ^ new_e) & (f->pfn_mask | f->attr_mask)) != 0;
}

/* --- helpers ------------------------------------------------------------------------ */

const char *pt_memtype_name(enum pt_memtype mt);
/* "rwxu" with '-' for missing permissions; buf must hold 5 bytes. */
const char *pt_perm_str(u8 perm, char buf[5]);

/*
 * Check a format description's internal consistency (masks disjoint where
 * they must be, frozen value non-present, root geometry). Returns 0 or
 * HV_EINVAL with a log line naming the format and the problem. Run by the
 * MMU when a VM is created and by the format contract tests.
 */
int pt_format_validate(const struct pt_format *f);

/*
 * Boot-time check of every built-in format (pt_format_validate on each):
 * the image calls it once before any VM exists, so a broken description
 * stops the boot instead of corrupting a guest. Returns 0 or HV_EINVAL.
 */
int mmu_formats_init(void);

#endif /* HV_MMU_FORMAT_H */
