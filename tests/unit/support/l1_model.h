/*
 * A model of an L1 hypervisor for the nested shadow MMU's tests and
 * benchmark: an L1 VM on our TDP (the engine), its RAM a lazily backed host
 * mapping (so the shadow MMU reads it through the default memslot seam),
 * and an L1 hypervisor that builds its own EPT/NPT/stage-2/fake tables for
 * an L2 in that RAM, the way KVM's TDP MMU does: tables allocated from a pool
 * (random pick, as a kernel allocator would), linked before they are
 * filled, and zapped either top-down or bottom-up (4 KiB, then 2 MiB, then
 * 1 GiB, then the root).
 *
 * Every store L1 makes to its tables is a real store into L1 RAM that first
 * asks L1's TDP for write access (mmu_fault): when the engine answers
 * MMU_FAULT_EMULATE (the page is write-tracked because we shadow it), the
 * store is "emulated" and reported to shadow_track_write(), exactly the
 * runtime's job. No cmocka here: the benchmark links it too.
 */
#ifndef TEST_L1_MODEL_H
#define TEST_L1_MODEL_H

#include <hv/mmu.h>
#include <hv/mmu/shadow.h>

#define L1M_LOG_MAX 4096

/* One emulated write, as shadow_track_write() saw it. */
struct l1m_write_rec {
	gpa_t gpa;
	u64 old_val, new_val;
	struct shadow_write_info info;
};

struct l1_model {
	/* Our side: L1's VM, its vCPU on our TDP, the shadow MMU and a shadow vCPU. */
	struct mmu_vm *vm;
	struct mmu_vcpu *vc;
	struct shadow_mmu *sm;
	struct shadow_vcpu *sv;
	u64 tlb_flushes;

	/* L1's RAM: gfns [0, ram_pages) of a host mapping; slot 1 covers the first slot_pages. */
	u8 *ram;
	u64 ram_pages;
	u64 slot_pages;
	void *map;
	u64 map_size;

	/* L1's view: its table format and its page-table page pool. */
	enum shadow_gfmt kind;
	const struct pt_format *f;
	u8 levels;
	u32 root_flags;
	u8 pa_bits;             /* L1's physical-address width in root loads (0: the format's) */
	u64 root_pointer_extra; /* EPTP low bits (memory type, walk length, A/D) */
	gfn_t pool_gfn;
	u64 pool_pages;
	gfn_t *free_list;
	u64 free_count;
	u64 rng;
	gfn_t root;        /* L1's current root table (0: none) */
	gfn_t l2_base_gfn; /* L1 gfn backing L2 gfn 0 */

	/* What happened. */
	u64 writes_emulated, writes_direct, tables_allocated, l2_faults, l1_reflected;
	u64 shadow_fault_ns; /* time spent in shadow_fault() by l1m_l2_touch() */
	bool log_writes;
	u32 log_count;
	struct l1m_write_rec log[L1M_LOG_MAX];
};

struct l1m_params {
	enum shadow_gfmt kind;
	u8 levels;      /* 0: the format's usual (EPT/NPT 4, stage-2 3, fake 4) */
	u64 ram_pages;  /* host mapping for L1 RAM (gfn 0 up) */
	u64 slot_pages; /* of which slot 1 covers [0, slot_pages) (0: all); the rest is for tests */
	u64 pool_pages; /* L1's page-table pool, at the top of slot 1 */
	gfn_t l2_base_gfn;
	u64 seed;                           /* for the pool's random picks (0: LIFO) */
	bool ad;                            /* EPT: enable A/D in the EPTP */
	const struct shadow_config *shadow; /* NULL: defaults */
};

/* 0 or a negative HV_E* code (the model stays unusable then). */
int l1m_init(struct l1_model *m, const struct l1m_params *p);
/* Tear everything down; returns the shadow pages still alive just before (for leak checks). */
void l1m_fini(struct l1_model *m);

/* Host pointer to L1 RAM at gpa (must be inside). */
u64 *l1m_ptr(struct l1_model *m, gpa_t addr);
/* L1 stores val at gpa (8 bytes): through tracking and shadow_track_write when trapped. */
void l1m_write(struct l1_model *m, gpa_t addr, u64 val);
/* Same, len bytes (1..8) at gpa: for sub-entry and misaligned writes. */
void l1m_write_bytes(struct l1_model *m, gpa_t addr, const void *bytes, unsigned len);

/* L1 allocates a zeroed table page (a whole concatenated root when pages > 1). */
gfn_t l1m_alloc_table(struct l1_model *m, unsigned pages);
void l1m_free_table(struct l1_model *m, gfn_t gfn, unsigned pages);

/* L1 makes a new root and loads it (shadow_vcpu_load_root); returns that call's result. */
int l1m_new_root(struct l1_model *m);
int l1m_load_root(struct l1_model *m);

/* The guest entry bits of a leaf with perm at level (format encode, memory type WB). */
pte_t l1m_leaf_bits(struct l1_model *m, u8 perm, int level);

/*
 * L1 maps L2 gfn l2 to L1 gfn l1 with a leaf at level (tables made as
 * needed, each store through l1m_write). leaf_bits from l1m_leaf_bits() or
 * hand-made. Returns the gpa of the leaf entry.
 */
gpa_t l1m_map(struct l1_model *m, gfn_t l2, gfn_t l1, int level, pte_t leaf_bits);
/* The gpa of the entry at level for l2 in L1's current tables (0 if the walk stops above). */
gpa_t l1m_entry_gpa(struct l1_model *m, gfn_t l2, int level);

/*
 * L2 touches l2_gpa with access: shadow faults, and each one reflected to
 * L1 makes L1 map the page 4 KiB (to l2_base_gfn + gfn, read/write/exec),
 * until the shadow fault maps. Returns the last shadow fault result.
 */
enum shadow_fault_result l1m_l2_touch(struct l1_model *m, gpa_t l2_gpa, u8 access);

/* L1 tears its L2 tables down, KVM style, and frees them and the root. */
void l1m_zap_top_down(struct l1_model *m);
void l1m_zap_bottom_up(struct l1_model *m);

/* Shadow pages alive now (statistics). */
u64 l1m_shadow_pages(struct l1_model *m);

#endif /* TEST_L1_MODEL_H */
