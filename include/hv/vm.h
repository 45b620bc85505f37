/*
 * Virtual machines: the arch-neutral part every backend (AMD SVM, Intel VMX,
 * arm64 EL2) shares. A struct vm owns
 *
 *   - its name ("vm0"), which tags its console output and its log lines;
 *   - the MMU engine's VM (struct mmu_vm): second-stage tables built on
 *     demand from the memslots;
 *   - for a protected VM (vm_config.protected_tdp), the trusted table
 *     module (hv/tmod.h) that owns the second-stage table the hardware
 *     walks; the engine keeps a mirror root of it and changes it only
 *     through the module's calls (docs/mirror.md, "Running a protected
 *     guest");
 *   - its RAM: chunks of host frames allocated as FRAME_OWNER_GUEST (or
 *     adopted from the caller), each registered as one memslot. Guest-physical
 *     reads and writes go through these chunks, bounds-checked;
 *   - its console stream (struct console_guest) and the glue to it;
 *   - its vCPUs (hv/vcpu.h), each with an exit ring and exit statistics;
 *   - its life: created, running, stopped, with the reason it stopped.
 *
 * The backend plugs in through one table of operations, struct
 * vm_backend_ops, chosen once at boot: it is the only function-pointer seam
 * between generic code and a virtualization backend (docs/architecture.md).
 * The backend's per-VM and per-vCPU state hang off vm->arch and vcpu->arch;
 * arch-common guest platform state (x86: the emulated PIC, PIT and UART) off
 * vm->platform. Generic code never looks inside them.
 *
 * Locking: a VM's state (vm->lock) may be read and stopped from any CPU;
 * everything else here is used by the CPU that runs the VM's vCPU (today one
 * vCPU per VM, on the boot CPU) or before the VM runs. RAM chunks never
 * change while the VM runs. vm->lock sits with the per-structure spinlocks
 * in the global lock order (docs/architecture.md).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <hv/console.h>
#include <hv/hypercall.h>
#include <hv/loader.h>
#include <hv/lock.h>
#include <hv/mmu.h>
#include <hv/types.h>

struct vm;
struct vcpu;
struct tmod;
struct tmod_inject;

#define VM_NAME_MAX       CONSOLE_TAG_MAX   /* name bytes, NUL included */
#define VM_RAM_CHUNKS_MAX LOADER_RANGES_MAX /* RAM chunks (and memslots) per VM */
#define VM_VCPUS_MAX      8
#define VM_REASON_MAX     256 /* stop-reason bytes, NUL included */

/*
 * The backend: one table, filled with designated initializers, chosen once
 * at boot (x86: SVM or VMX by CPU vendor; arm64: EL2). Every entry is
 * required unless marked optional.
 */
struct vm_backend_ops {
	const char *name; /* "svm", "vmx", "el2" */
	/* The second-stage format the backend's hardware walks (npt4, ept4, s2-40). */
	const struct pt_format *tdp_format;

	/* Per-VM backend state (vm->arch): permission maps, ASID/VMID. 0 or HV_E*. */
	int (*vm_init)(struct vm *vm);
	void (*vm_destroy)(struct vm *vm);
	/* Per-vCPU backend state (vcpu->arch): VMCB/VMCS, registers. 0 or HV_E*. */
	int (*vcpu_init)(struct vcpu *vcpu);
	void (*vcpu_destroy)(struct vcpu *vcpu);
	/*
	 * Enter the guest and handle its exits until the VM is no longer
	 * running (vm_stop() was called, by the backend or through the glue
	 * below). Never returns early for any other reason.
	 */
	void (*vcpu_run)(struct vcpu *vcpu);

	/*
	 * The MMU engine's TLB seam for this VM (arg is the struct vm). For a
	 * protected VM it is also the table module's seam: then root is NULL
	 * and count 0, meaning every translation of the VM (the module's
	 * table is what the hardware walks). May be called after vm_destroy
	 * (the backend's) while the MMU and the module tear down.
	 */
	mmu_tlb_flush_fn *tlb_flush;

	/* Names of the exit kinds the backend counts; kinds are < exit_kind_count. */
	const char *const *exit_kind_names;
	u32 exit_kind_count;
	/* A short name for a raw exit code in the exit ring ("IOIO", "NPF"). */
	const char *(*exit_code_name)(u64 code);
	/* Print the guest's registers (stop reports). Optional. */
	void (*vcpu_dump)(const struct vcpu *vcpu);
};

enum vm_state {
	VM_STATE_CREATED = 0,
	VM_STATE_RUNNING = 1,
	VM_STATE_STOPPED = 2,
};

/* How a VM ended, from best to worst. */
enum vm_stop_status {
	VM_STOP_NONE = 0,        /* not stopped */
	VM_STOP_OK = 1,          /* the guest ended itself: shutdown(0), power-off, reset, halt */
	VM_STOP_GUEST_ERROR = 2, /* the guest ended reporting failure: shutdown(n != 0) */
	VM_STOP_FAILED = 3,      /* the hypervisor stopped it: fault, bad access, failed entry */
};

/* One RAM chunk: guest-physical [gpa, gpa + size) is host [hpa, hpa + size), one memslot. */
struct vm_ram_chunk {
	gpa_t gpa;
	hpa_t hpa;
	u64 size;
	u32 slot_id;
};

struct vm_config {
	const char *name; /* 1..VM_NAME_MAX-1 bytes: the console tag and log prefix */
	const struct vm_backend_ops *ops;
	u8 max_leaf_level;  /* largest second-stage leaf (0: the format's largest) */
	bool console_focus; /* take the console input focus (the first VM gets it anyway) */
	/*
	 * A protected second stage: the hardware walks a table that a trusted
	 * table module owns (created here in ops->tdp_format), the engine
	 * keeps a mirror root of it (MMU_ROLE_MIRROR), and every change goes
	 * through the mirror's set_external hook to the module. Backends load
	 * roots with vcpu_load_tdp_root(), which knows the difference.
	 */
	bool protected_tdp;
	/* Failure injection into the module (tests, debugging); NULL or mode off: none. */
	const struct tmod_inject *tmod_inject;
};

struct vm {
	u32 id;
	char name[VM_NAME_MAX];
	const struct vm_backend_ops *ops;
	void *arch;     /* the backend's per-VM state */
	void *platform; /* the arch's guest platform (devices), if any */
	struct mmu_vm *mmu;
	struct tmod *tmod; /* protected second stage: the table the hardware walks; else NULL */

	/* RAM: sorted by gpa, fixed while the VM runs. */
	u32 ram_count;
	struct vm_ram_chunk ram[VM_RAM_CHUNKS_MAX];
	struct guest_range ram_ranges[VM_RAM_CHUNKS_MAX]; /* the same, for the loaders */
	struct guest_mem mem;                             /* loader seam (vm_guest_mem) */
	u32 next_slot_id;

	u32 vcpu_count;
	struct vcpu *vcpus[VM_VCPUS_MAX];

	/* Console: the tagged stream and the "input waiting" flag the poller sets. */
	struct console_guest console;
	bool console_registered;
	bool input_pending; /* atomic */

	/* Test results reported through HC_TEST_RESULT. */
	u32 tests_passed, tests_failed, tests_skipped;

	/* Life (vm->lock). */
	spinlock_t lock;
	enum vm_state state;
	enum vm_stop_status stop_status;
	u64 guest_status; /* HC_SHUTDOWN's argument, when that is how it ended */
	u64 start_ticks, stop_ticks;
	char stop_reason[VM_REASON_MAX];
	struct list_node link; /* all VMs (for Ctrl-] s and q) */
};

/* --- creation -------------------------------------------------------------------------- */

/*
 * Create a VM: its MMU VM (the backend's format), for a protected second
 * stage the table module first (its TLB seam flushing the whole VM through
 * ops->tlb_flush) and the mirror hook wired to it, its console stream
 * (tagged cfg->name) and the backend's per-VM state. No RAM and no vCPU yet.
 * Returns the VM, or NULL with *err = HV_EINVAL (bad name or ops, failure
 * injection without protected_tdp; logged) or HV_ENOMEM. Takes no lock the
 * caller holds.
 */
struct vm *vm_create(const struct vm_config *cfg, int *err);

/*
 * Tear a VM down: vCPUs, backend state, MMU tables (a mirror root empties
 * the module's table through the hook, entry by entry), then the table
 * module, memslots, console registration; RAM frames it allocated or
 * adopted go back to the frame allocator last, when no table maps them.
 * The VM must not be running on any CPU.
 */
void vm_destroy(struct vm *vm);

/* --- RAM ---------------------------------------------------------------------------------- */

/*
 * Back guest-physical [gpa, gpa + size) with newly allocated guest frames
 * (FRAME_OWNER_GUEST, anywhere in host RAM, aligned to 2 MiB when size
 * allows so the second stage can use huge leaves), zeroed: one chunk, one
 * memslot. Returns 0, HV_EALIGN (gpa or size not page-aligned),
 * HV_EOVERLAP (overlaps existing RAM), HV_ERANGE (too many chunks, or
 * beyond the format's guest-physical width), HV_ENOMEM. Not while running.
 */
int vm_ram_alloc(struct vm *vm, gpa_t gpa, u64 size);

/*
 * Adopt host frames [hpa, hpa + size), already allocated by the caller as
 * FRAME_OWNER_GUEST, as guest RAM at gpa (identity placement passes gpa ==
 * hpa): zeroed, one chunk, one memslot; vm_destroy() frees them. Refused
 * with HV_EPERM (and logged) if any byte is the hypervisor's
 * (frames_range_is_hv_owned): the hypervisor's memory is never in a slot.
 * Other errors as vm_ram_alloc(); on error the frames stay the caller's.
 */
int vm_ram_adopt(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size);

/*
 * Claim the free host RAM in [min, max) for the guest at the same addresses
 * (gpa == hpa), in runs of at least min_run bytes (a power of two >= 4 KiB),
 * at most max_bytes in all (0: no limit), leaving keep_free bytes free for
 * the hypervisor's later needs (its MMU tables and heap). Each run becomes
 * a chunk (vm_ram_adopt). Returns the bytes claimed (0 is not an error),
 * or HV_ERANGE when the chunk table filled up first (what was claimed
 * stays). Not while running.
 */
s64 vm_ram_claim_identity(struct vm *vm, hpa_t min, hpa_t max, u64 min_run, u64 max_bytes,
			  u64 keep_free);

/*
 * Map host device registers [hpa, hpa + size) at guest-physical gpa, as
 * Device memory (the backend's pass-through windows, e.g. arm64's GICv2
 * virtual CPU interface). Not RAM: vm_read/vm_write and the loaders do not
 * see it. Refused with HV_EPERM (logged) if any byte is the hypervisor's,
 * HV_EALIGN if not page-aligned, HV_EOVERLAP over RAM or another window.
 * The window lives until vm_destroy(). Not while running.
 */
int vm_map_device(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size);

/* Total guest RAM bytes. */
u64 vm_ram_size(const struct vm *vm);

/*
 * Copy len bytes of guest-physical memory at gpa to dst / from src. All or
 * nothing: 0, or HV_EFAULT when any byte is not guest RAM or the range
 * wraps (nothing copied). The range may span adjacent chunks.
 */
int vm_read(struct vm *vm, gpa_t gpa, void *dst, size_t len);
int vm_write(struct vm *vm, gpa_t gpa, const void *src, size_t len);

/*
 * The hypervisor's pointer to guest-physical [gpa, gpa + len) when it lies
 * inside one chunk (len > 0), else NULL. Valid until vm_destroy().
 */
void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, size_t len);

/*
 * The loader seam over the VM's RAM (hv/loader.h): ranges = the chunks,
 * adjacent ones merged; writes go through vm_write(). Rebuilt by every RAM
 * change; valid until the next one.
 */
const struct guest_mem *vm_guest_mem(struct vm *vm);

/* --- life ----------------------------------------------------------------------------------- */

/*
 * Run the VM: mark it running, run vCPU 0 through the backend until the VM
 * stops, then print the stop report (reason, exit statistics, MMU figures;
 * for a protected VM the module's figures and vm_check_protected()).
 * Returns how it ended. The VM must have RAM and one vCPU.
 */
enum vm_stop_status vm_run(struct vm *vm);

/*
 * Stop the VM: record status and the reason (printf-style; say what, where:
 * the address, the register, the field and value), log it (error level for
 * VM_STOP_FAILED, info otherwise) with every vCPU's exit ring, and mark the
 * VM stopped so its vCPUs leave their run loops at the next check. The
 * first stop wins; later calls are logged at debug level and ignored.
 * Callable from any CPU; takes vm->lock and the console lock.
 */
void vm_stop(struct vm *vm, enum vm_stop_status status, const char *fmt, ...) __printf(3, 4);

static inline bool vm_is_running(const struct vm *vm)
{
	return READ_ONCE(vm->state) == VM_STATE_RUNNING;
}

const char *vm_stop_status_name(enum vm_stop_status s);

/*
 * The hypervisor's exit status (enum hv_exit_status) when this VM was the
 * only thing it ran: HV_EXIT_SUCCESS for VM_STOP_OK, HV_EXIT_GUEST_ERROR,
 * HV_EXIT_VM_FAILED.
 */
int vm_stop_status_to_exit(enum vm_stop_status s);

/*
 * Print every vCPU's exit statistics and the VM's MMU figures (Ctrl-] s, and
 * at stop); for a protected VM also the mirror hook's figures (calls by
 * kind, failures, rollbacks) and the table module's (tmod_stats_print).
 */
void vm_print_stats(struct vm *vm);

/*
 * A protected VM's consistency check (at its stop; the vCPUs must not
 * run): the table module's audit passes (nobody but the module wrote its
 * table, the hardware included) and the mirror root and the module's
 * table agree entry for entry (tmod_hook_compare). Logs one line with the
 * figures, or an error naming the first difference. Returns 0, HV_EIO
 * (they differ, or the audit failed), HV_ENOMEM; 0 for a VM that is not
 * protected (nothing to compare).
 */
int vm_check_protected(struct vm *vm);

/* --- glue for backends ---------------------------------------------------------------- */

/*
 * Run hypercall nr for vcpu with the guest's arguments (the backend moved
 * them out of the registers, and knows the privilege level). The VM's
 * guest memory, console, test-result log and stop are wired in; HC_SHUTDOWN
 * stops the VM (VM_STOP_OK for status 0, VM_STOP_GUEST_ERROR otherwise)
 * before returning. The backend writes the result back and, for
 * HC_SHUTDOWN, finds the VM stopped.
 */
struct hc_result vm_hypercall(struct vcpu *vcpu, u64 nr, const u64 args[HC_ARG_COUNT],
			      bool user_mode);

/*
 * What the protected second stage's table module last said when it failed a
 * call (for stop reasons): "map-leaf L1 gfn 0x123: injected failure
 * (EBUSY)" into buf (always NUL-terminated). For a VM without a module, or
 * a module that never failed, says so. Returns buf.
 */
char *vm_tdp_last_failure(struct vm *vm, char *buf, size_t size);

/* Guest output (its UART's transmitter) onto the shared line, tagged with the VM's name. */
void vm_console_write(struct vm *vm, const char *buf, size_t len);

/*
 * Take up to max bytes of console input queued for the VM. Cheap when
 * nothing waits (one atomic load): call it when the guest's UART has room.
 */
size_t vm_console_read(struct vm *vm, u8 *buf, size_t max);

/* True when console input is waiting for this VM (set by the console's poller). */
static inline bool vm_console_input_pending(const struct vm *vm)
{
	return __atomic_load_n(&vm->input_pending, __ATOMIC_ACQUIRE);
}

#endif /* HV_VM_H */
