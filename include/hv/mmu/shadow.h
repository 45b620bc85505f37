/*
 * The nested-TDP shadow MMU: shadow tables for an L2 guest, built from the
 * tables its L1 hypervisor wrote (EPT, NPT or arm64 stage-2, in L1 memory)
 * and our own memslots for L1 (docs/nested-mmu.md).
 *
 *   L2 GPA --[L1's table, in L1 memory]--> L1 GPA --[L1's memslots]--> host PA
 *   L2 GPA --------------[shadow table, ours, walked by the CPU]------> host PA
 *
 * A shadow entry grants the intersection of what L1's entries grant and what
 * we grant L1 (read-only slots, write-tracked gfns). Every guest table we
 * shadow is write-tracked in L1's TDP, so L1's writes to it fault with
 * MMU_FAULT_EMULATE; the runtime emulates the write and reports it here.
 *
 * Entry points for the nested runtimes (SVM, VMX, arm64):
 *
 *   L1 VM creation / teardown   shadow_mmu_create() / shadow_mmu_destroy()
 *                               (mmu_vm_destroy() also calls the latter)
 *   per vCPU                    shadow_vcpu_create() / shadow_vcpu_destroy()
 *   L1 loads a root pointer     shadow_vcpu_load_root() (EPTP at VM entry,
 *                               nCR3 at VMRUN, VTTBR_EL2 at nested ERET)
 *   L2 second-stage fault       shadow_fault()
 *   L1 wrote a tracked page     shadow_track_write() (after the emulated write)
 *   L1 flushes                  shadow_flush() (INVEPT, INVLPGA / ASID flush,
 *                               TLBI by VMID or IPA)
 *   memslot delete / move       automatic (engine hook, seed 001)
 *   fast zap-all                shadow_invalidate_all()
 *
 * Locks: every entry point takes L1's mmu_lock for writing (the engine's
 * lock order: slots_lock -> mmu_lock -> roots_lock -> allocators); none may be
 * called with mmu_lock held. The guest-memory and TLB seams are called with
 * mmu_lock held for writing.
 */
#ifndef HV_MMU_SHADOW_H
#define HV_MMU_SHADOW_H

#include <hv/mmu/dump.h>
#include <hv/mmu/format.h>
#include <hv/mmu/tdp.h>
#include <hv/types.h>

struct mmu_vm;
struct shadow_mmu;
struct shadow_vcpu;

/* The guest table formats L1 may use. */
enum shadow_gfmt {
	SHADOW_GFMT_EPT,  /* Intel EPT, 4 or 5 levels (levels from the EPTP) */
	SHADOW_GFMT_NPT,  /* AMD NPT (long-mode page tables), 4 or 5 levels */
	SHADOW_GFMT_S2,   /* arm64 stage-2, 4 KiB granule, 40-bit IPA, start level 1 */
	SHADOW_GFMT_FAKE, /* the test format (hv/mmu/fake_pt.h) */
	SHADOW_GFMT_COUNT,
};

/*
 * The guest-memory seam: L1 memory by L1 guest-physical address, naturally
 * aligned 8-byte words. read: 0, or HV_EFAULT if gpa is not L1 RAM.
 * cmpxchg (accessed/dirty/AF updates): 0 if *expected was there and is now
 * new; HV_EAGAIN with *expected refreshed if not; HV_EFAULT.
 */
struct shadow_mem_ops {
	int (*read)(void *arg, gpa_t gpa, u64 *val);
	int (*cmpxchg)(void *arg, gpa_t gpa, u64 *expected, u64 new_val);
};

/*
 * The TLB seam: drop every cached translation made through any shadow root
 * of this L1 (INVEPT single-context on each shadow EPTP in use, an ASID flush,
 * TLBI VMALLS12E1IS for the shadow VMID). Called with mmu_lock held.
 */
typedef void shadow_tlb_flush_fn(void *arg);

struct shadow_config {
	/* NULL: read L1 memory through its memslots' backing (identity-mapped RAM). */
	const struct shadow_mem_ops *mem;
	void *mem_arg;
	shadow_tlb_flush_fn *tlb_flush;
	void *tlb_arg;
	u32 max_pages; /* quota of shadow pages; 0: SHADOW_DEFAULT_MAX_PAGES */
	/*
	 * Benchmark knob, off by default: emulated writes do not zap the child
	 * shadow pages they orphan (the behaviour before seed 000's fix).
	 */
	bool no_orphan_zap;
};

#define SHADOW_DEFAULT_MAX_PAGES 16384u
#define SHADOW_MIN_MAX_PAGES     8u /* a root plus a path of each format, with room */

/*
 * Create L1's shadow MMU and attach it to vm (one per VM). Returns NULL with
 * *err = HV_EEXIST (already has one), HV_EINVAL (bad config, logged) or
 * HV_ENOMEM.
 */
struct shadow_mmu *shadow_mmu_create(struct mmu_vm *vm, const struct shadow_config *cfg, int *err);

/*
 * Tear down vm's shadow MMU: every shadow page is zapped and freed, the
 * write tracking of L1's tables dropped, the object freed. Runs under
 * mmu_lock (write) and detaches the object there, so it happens exactly once
 * however many paths call it, concurrently or not (seed 004); later calls do
 * nothing. Every shadow vCPU must have been destroyed (CHECK): a root still
 * referenced is a caller bug.
 */
void shadow_mmu_destroy(struct mmu_vm *vm);

/* The shadow MMU attached to vm, or NULL. */
struct shadow_mmu *shadow_mmu_of(struct mmu_vm *vm);

/* Switch the old (pre seed 000) behaviour on or off; see shadow_config. */
void shadow_set_no_orphan_zap(struct shadow_mmu *sm, bool old_behaviour);

/*
 * Fast zap-all: bump the generation, zap every shadow page. Roots in use
 * become obsolete (shadow_vcpu_root_is_valid() is false; load again) and are
 * freed when their last user lets go.
 */
void shadow_invalidate_all(struct shadow_mmu *sm);

/* --- vCPUs and roots ------------------------------------------------------------------ */

struct shadow_vcpu *shadow_vcpu_create(struct shadow_mmu *sm);
void shadow_vcpu_destroy(struct shadow_vcpu *sv);

/* Root-pointer options (what else of L1's state shapes its table format). */
#define SHADOW_ROOT_NXE   BIT(0) /* NPT: L1's EFER.NXE (else bit 63 is reserved) */
#define SHADOW_ROOT_XONLY BIT(1) /* EPT: execute-only entries allowed (as we advertise) */
#define SHADOW_ROOT_HW_AF BIT(2) /* stage-2: VTCR_EL2.HA, hardware sets AF */

struct shadow_root_params {
	enum shadow_gfmt gfmt;
	u64 pointer; /* EPTP, nCR3, VTTBR_EL2 (BADDR) or, for FAKE, the root's gpa */
	u8 levels;   /* NPT: 4 or 5 (L1's CR4.LA57); S2: 3; FAKE: 4; EPT: from the EPTP */
	u8 pa_bits;  /* L1's physical-address width (MAXPHYADDR, VTCR_EL2.PS) */
	u32 flags;   /* SHADOW_ROOT_* */
};

/*
 * L1 loaded a root pointer: make the shadow root for it the vCPU's current
 * one (current, a previous one, one another vCPU uses, or a new one), then
 * sync every unsync shadow page. Returns 0; HV_EINVAL for a pointer the
 * architecture rejects (EPTP with a bad memory type, walk length or reserved
 * bits: the runtime fails the VM entry), HV_ENOSYS for a format or width we
 * cannot shadow, HV_EFAULT if the root is not in L1 RAM, HV_ENOMEM.
 */
int shadow_vcpu_load_root(struct shadow_vcpu *sv, const struct shadow_root_params *p);
/* Drop the vCPU's current and previous shadow roots. */
void shadow_vcpu_unload_all(struct shadow_vcpu *sv);
/* False if there is no current root or it was zapped: load again before entry. */
bool shadow_vcpu_root_is_valid(const struct shadow_vcpu *sv);
/* The current shadow root's table (for the vmcs02 EPTP, vmcb02 nCR3, VTTBR). */
hpa_t shadow_vcpu_root_hpa(const struct shadow_vcpu *sv);

/* --- L2 faults -------------------------------------------------------------------------- */

/* What the access was, beyond PT_R/W/X (from the hardware exit). */
#define SHADOW_ACC_GLA     BIT(0) /* the access has a guest-linear address (EPT qual bit 7) */
#define SHADOW_ACC_PT_WALK BIT(1) /* L2's own page-table walk (qual bit 8 = 0, NPF bit 33, S1PTW) */

enum shadow_gfault_kind {
	SHADOW_GF_EPT_VIOLATION, /* VM exit 48; code = exit qualification */
	SHADOW_GF_EPT_MISCONFIG, /* VM exit 49; code = 0 */
	SHADOW_GF_NPF,           /* #VMEXIT(NPF); code = EXITINFO1 */
	SHADOW_GF_S2_ABORT,      /* stage-2 abort; code = ESR ISS (FSC, WnR, S1PTW) */
	SHADOW_GF_FAKE,          /* the fake format's own code (hv/mmu/fake_pt.h) */
};

/* A fault to reflect to L1, as its hardware would have reported it. */
struct shadow_guest_fault {
	enum shadow_gfault_kind kind;
	u64 code;
	gpa_t l2_gpa; /* the faulting guest-physical address (EXITINFO2, HPFAR) */
	int level;    /* engine level of the entry where the walk stopped */
	bool exec;    /* stage-2: an instruction abort (else a data abort) */
};

enum shadow_fault_result {
	SHADOW_FAULT_MAPPED,   /* a shadow leaf was installed or upgraded: re-enter L2 */
	SHADOW_FAULT_SPURIOUS, /* already mapped as needed */
	SHADOW_FAULT_RETRY, /* the root is stale, or L1's table changed under us: reload, re-enter */
	SHADOW_FAULT_REFLECT,  /* L1's tables forbid it: inject info->fault into L1 */
	SHADOW_FAULT_MMIO,     /* L1 GPA info->l1_gpa is not RAM: emulate as L1's MMIO */
	SHADOW_FAULT_READONLY, /* write to a read-only slot of L1 at info->l1_gpa */
	SHADOW_FAULT_EMULATE, /* write to a write-tracked L1 gfn: emulate it (then shadow_track_write) */
	SHADOW_FAULT_NOMEM, /* no memory for a shadow page */
	SHADOW_FAULT_RESULT_COUNT,
};

struct shadow_fault_info {
	gpa_t l1_gpa;                    /* MMIO, READONLY, EMULATE, MAPPED */
	struct shadow_guest_fault fault; /* REFLECT */
	int leaf_level;                  /* MAPPED: level of the shadow leaf */
};

const char *shadow_fault_result_name(enum shadow_fault_result r);

/*
 * L2 took a second-stage fault at l2_gpa on the vCPU's current shadow root.
 * access: PT_R/W/X as the hardware reported it; acc_flags: SHADOW_ACC_*.
 * Walks L1's table (setting accessed/dirty flags where L1 enabled them),
 * reflects what L1's table forbids, then maps the largest leaf both L1's
 * entry and our slot allow. info may not be NULL.
 */
enum shadow_fault_result shadow_fault(struct shadow_vcpu *sv, gpa_t l2_gpa, u8 access,
				      u32 acc_flags, struct shadow_fault_info *info);

/* --- L1 writes to its tables ------------------------------------------------------------ */

/* What shadow_track_write() did (for traces, tests and statistics). */
struct shadow_write_info {
	u32 pages;          /* shadow pages of the written gfn (valid, shadowing guest entries) */
	int level;          /* the first one's level, 0 if none */
	u16 flood;          /* its write count before this write */
	bool misaligned;    /* the write spanned entries or was not naturally aligned */
	bool flooded;       /* some page reached the flood limit and was zapped */
	bool unsynced;      /* the written pages went unsync */
	u32 entries_zapped; /* shadow entries zapped for the written guest entry */
	u32 pages_zapped;   /* shadow pages zapped in all (flood, misaligned, orphans) */
	u64 old_gpte;       /* the written guest entry, widened, before and after */
	u64 new_gpte;
};

/*
 * L1 wrote len bytes (1..8) at addr, a write-tracked gfn (the runtime got
 * MMU_FAULT_EMULATE or SHADOW_FAULT_EMULATE, emulated the write into L1
 * memory, and calls this after it). old/new: the bytes before and after.
 * Zaps the shadow entries that shadow the written guest entry, or the whole
 * shadow page if the write is misaligned or floods it (3rd write without a
 * use, never at the leaf level); zaps child shadow pages left without a
 * parent (seed 000, unless no_orphan_zap); may let leaf-level pages go
 * unsync. Returns 0 or HV_EINVAL (len not 1..8). info may be NULL.
 */
int shadow_track_write(struct shadow_mmu *sm, gpa_t addr, const void *old_bytes,
		       const void *new_bytes, unsigned len, struct shadow_write_info *info);

/* --- L1 flushes -------------------------------------------------------------------------- */

enum shadow_flush_scope {
	SHADOW_FLUSH_ALL,     /* INVEPT all-context; TLBI ALLE1, VMALLS12E1 of every VMID */
	SHADOW_FLUSH_CONTEXT, /* INVEPT single-context; ASID flush (TLB_CONTROL); INVLPGA */
	SHADOW_FLUSH_GPA,     /* TLBI IPAS2E1(IS) of one L2 IPA */
};

/*
 * L1 invalidated cached translations. ALL and CONTEXT sync every unsync
 * shadow page (a superset of the context's: always correct); GPA syncs the
 * unsync page that maps l2_gpa under the vCPU's current root, if any.
 */
void shadow_flush(struct shadow_vcpu *sv, enum shadow_flush_scope scope, gpa_t l2_gpa);

/* --- inspection -------------------------------------------------------------------------- */

/* Software walk of the vCPU's current shadow root; false if l2_gpa is not mapped. */
bool shadow_translate(struct shadow_vcpu *sv, gpa_t l2_gpa, struct mmu_translation *out);

/* X-macro: name, what it counts. */
#define SHADOW_STAT_LIST(X)                                                                        \
	X(SP_CREATED, "shadow pages created")                                                      \
	X(SP_REUSED, "shadow pages found in the hash and linked again")                            \
	X(ZAP_FLOOD, "pages zapped: 3rd write without a use")                                      \
	X(ZAP_MISALIGNED, "pages zapped: misaligned write")                                        \
	X(ZAP_ORPHAN, "pages zapped: orphaned by an emulated write (seed 000)")                    \
	X(ZAP_CHILD, "pages zapped: last parent page zapped")                                      \
	X(ZAP_MEMSLOT, "pages zapped: memslot deleted or moved (seed 001)")                        \
	X(ZAP_QUOTA, "pages zapped: quota reached, oldest recycled")                               \
	X(ZAP_ROLE, "pages zapped: unsync page of a gfn now used as a higher table")               \
	X(ZAP_ROOT_UNUSED, "pages zapped: empty root lost its last user")                          \
	X(ZAP_INVALIDATE, "pages zapped: invalidate-all or teardown")                              \
	X(WRITES, "emulated writes to shadowed guest tables")                                      \
	X(WRITES_UNSHADOWED, "emulated writes that found no shadow page")                          \
	X(WRITE_ENTRIES_ZAPPED, "shadow entries zapped by emulated writes")                        \
	X(UNSYNC, "pages that went unsync")                                                        \
	X(SYNC, "unsync pages synced")                                                             \
	X(SYNC_FIXED, "entries rewritten by a sync")                                               \
	X(SYNC_ZAPPED, "entries zapped by a sync")                                                 \
	X(FAULT_MAPPED, "L2 faults that mapped")                                                   \
	X(FAULT_SPURIOUS, "L2 faults already mapped")                                              \
	X(FAULT_RETRY, "L2 faults on a stale root or changed table")                               \
	X(FAULT_REFLECT, "L2 faults reflected to L1")                                              \
	X(FAULT_MMIO, "L2 faults on L1 MMIO")                                                      \
	X(FAULT_READONLY, "L2 writes to read-only L1 memory")                                      \
	X(FAULT_EMULATE, "L2 writes to write-tracked L1 gfns")                                     \
	X(FAULT_NOMEM, "L2 faults out of memory")                                                  \
	X(LEAF_MAPPED, "shadow leaves installed")                                                  \
	X(LEAF_ZAPPED, "shadow leaves removed")                                                    \
	X(LEAF_WRPROT, "shadow leaves write-protected (tracking, dirty logging)")                  \
	X(RMAP_ZAP, "shadow leaves zapped through the reverse map")                                \
	X(ROOT_HIT, "root loads served by the vCPU's cache")                                       \
	X(ROOT_FOUND, "root loads that found the root in the hash")                                \
	X(ROOT_NEW, "root loads that created a root")                                              \
	X(FLUSH_REQ, "L1 flush requests")                                                          \
	X(TLB_FLUSH, "TLB flushes requested through the seam")

enum shadow_stat {
#define SHADOW_STAT_ENUM(name, text) SHADOW_STAT_##name,
	SHADOW_STAT_LIST(SHADOW_STAT_ENUM)
#undef SHADOW_STAT_ENUM
	    SHADOW_STAT_COUNT
};

struct shadow_stats {
	u64 count[SHADOW_STAT_COUNT];
	u64 pages;         /* shadow pages alive (including obsolete roots still in use) */
	u64 pages_direct;  /* of which direct (no guest table behind them) */
	u64 unsync;        /* unsync pages */
	u64 roots_in_use;  /* pages referenced as a root by some vCPU */
	u64 obsolete;      /* zapped roots waiting for their last user */
	u64 rmap_entries;  /* leaf entries in the reverse maps */
	u32 longest_chain; /* longest hash-table chain */
	u32 max_pages;     /* the quota */
};

void shadow_stats_read(struct shadow_mmu *sm, struct shadow_stats *out);
const char *shadow_stat_name(enum shadow_stat s);
/* Print every non-zero counter and the gauges through hv_printf. */
void shadow_stats_print(struct shadow_mmu *sm);

/*
 * Dump the shadow hierarchy, one line per shadow page: from each root down
 * (children indented, a page reached again printed once), then the pages no
 * root reaches. Each line: id, gfn, role (level, format, access, direct),
 * unsync, root references, parents (page id and index), children, leaves.
 * emit == NULL prints through hv_printf. Returns the number of lines.
 */
u64 shadow_dump(struct shadow_mmu *sm, mmu_dump_fn *emit, void *arg);

#endif /* HV_MMU_SHADOW_H */
