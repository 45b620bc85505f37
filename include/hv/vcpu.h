/*
 * Virtual CPUs, arch-neutral part: the link to the VM and the MMU engine's
 * vCPU (its current second-stage root), the backend's private state, the
 * second-stage helpers every backend uses the same way (which root to load
 * and which table the hardware walks, normal or protected; a bound on
 * faults that keep coming back MMU_FAULT_RETRY), and the exit accounting:
 *
 *   - an exit ring: the last VCPU_EXIT_RING_SIZE exits (time, raw exit
 *     code, guest PC, two backend-defined words such as EXITINFO1/2 or
 *     ESR/FAR), printed when the VM stops;
 *   - exit statistics: per exit kind (a small backend-defined index with a
 *     name, hv/vm.h exit_kind_names), the number of exits and the ticks
 *     spent handling them (from the exit to the next entry).
 *
 * The hot-path helpers are inline and take no lock: only the CPU running
 * the vCPU writes these fields. Readers on another CPU (Ctrl-] s) may see a
 * torn figure, never a crash.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <hv/types.h>

struct vm;
struct mmu_vcpu;

#define VCPU_EXIT_RING_SIZE 16 /* a power of two */
#define VCPU_EXIT_KINDS_MAX 64

/*
 * Consecutive MMU_FAULT_RETRY answers for the same gfn after which a
 * backend stops the VM (vcpu_fault_retry_exceeded). A retry means a lost
 * race, a stale root or, for a protected VM, a table module that stayed
 * busy through the engine's own bound (MMU_MIRROR_TRIES per fault). With
 * one vCPU none of these repeats for long: thousands in a row mean the
 * module stays busy for good, and re-entering the guest forever would
 * hide it.
 */
#define VCPU_FAULT_RETRY_MAX 4096

_Static_assert((VCPU_EXIT_RING_SIZE & (VCPU_EXIT_RING_SIZE - 1)) == 0,
	       "the exit ring index wraps with a mask");

struct vcpu_exit_record {
	u64 ticks; /* arch_ticks() at the exit */
	u64 code;  /* the backend's raw exit code (SVM EXITCODE, VMX reason, ESR_EL2.EC) */
	u64 pc;    /* guest PC at the exit (RIP, ELR_EL2) */
	u64 info1; /* backend-defined (SVM EXITINFO1, VMX qualification, ESR_EL2) */
	u64 info2; /* backend-defined (SVM EXITINFO2, guest-physical address, FAR_EL2) */
};

struct vcpu_exit_stat {
	u64 count;
	u64 ticks; /* total handling time, arch_ticks() units */
};

struct vcpu {
	struct vm *vm;
	u32 id;
	struct mmu_vcpu *mmu;
	void *arch;     /* the backend's per-vCPU state */
	void *platform; /* the arch's per-vCPU guest platform state, if any */

	/* Second stage (the vCPU's CPU only). */
	hpa_t tdp_walk;        /* the table vcpu_load_tdp_root() last gave the hardware */
	gfn_t fault_retry_gfn; /* the gfn whose consecutive MMU_FAULT_RETRYs are counted */
	u32 fault_retries;

	/* Exit accounting (written by the vCPU's CPU only). */
	u64 exit_count;
	struct vcpu_exit_record ring[VCPU_EXIT_RING_SIZE];
	struct vcpu_exit_stat stats[VCPU_EXIT_KINDS_MAX];
};

/*
 * Create vCPU number vm->vcpu_count of vm: its MMU vCPU and the backend's
 * state (ops->vcpu_init). NULL with *err = HV_ERANGE (VM_VCPUS_MAX reached),
 * HV_ENOMEM, or the backend's error. Not while the VM runs.
 */
struct vcpu *vcpu_create(struct vm *vm, int *err);

/* Destroyed by vm_destroy(); exposed for error paths that undo a vcpu_create(). */
void vcpu_destroy(struct vcpu *vcpu);

/*
 * Load the vCPU's second-stage root before an entry and return in *walk the
 * host-physical address of the table the hardware must walk (what goes
 * into nCR3, the EPTP's address field or VTTBR_EL2.BADDR):
 *
 *   normal VM     the engine's root of the format's levels (no role flag);
 *                 *walk = mmu_root_hpa() of it
 *   protected VM  the mirror root (MMU_ROLE_MIRROR): the engine's view,
 *                 which faults and range operations work on; *walk =
 *                 tmod_root_hpa(), the table module's table, never the
 *                 mirror's own pages (checked)
 *
 * The first load, and any load that changes *walk, logs which table that
 * is (for a protected VM with the mirror root's address beside it). Call
 * it before the first entry and whenever !mmu_vcpu_root_is_valid(). Returns
 * 0, or the error of mmu_vcpu_load_root() (HV_ENOMEM, HV_EINVAL) with
 * *walk unchanged: the caller stops the VM. The vCPU's CPU only.
 */
int vcpu_load_tdp_root(struct vcpu *v, hpa_t *walk);

/*
 * A second-stage fault at gpa came back MMU_FAULT_RETRY: count it. Returns
 * true when it is the VCPU_FAULT_RETRY_MAX-th in a row for the same gfn
 * (no other answer in between): the caller stops the VM, naming the gpa
 * (and, for a protected VM, vm_tdp_last_failure()).
 */
bool vcpu_fault_retry_exceeded(struct vcpu *v, gpa_t gpa);

/* A second-stage fault was answered otherwise (mapped, spurious, ...): start counting anew. */
static inline void vcpu_fault_progress(struct vcpu *v)
{
	v->fault_retries = 0;
}

/*
 * The ring slot for a new exit: the backend fills it in place (cheaper than
 * passing five words). Also counts the exit.
 */
static inline struct vcpu_exit_record *vcpu_exit_log(struct vcpu *v)
{
	return &v->ring[v->exit_count++ & (VCPU_EXIT_RING_SIZE - 1)];
}

/* Account one handled exit of kind (< the backend's exit_kind_count) that took ticks. */
static inline void vcpu_exit_account(struct vcpu *v, u32 kind, u64 ticks)
{
	struct vcpu_exit_stat *s = &v->stats[kind];

	s->count++;
	s->ticks += ticks;
}

/* Print the exit ring, oldest first, with the backend's code names. */
void vcpu_print_exit_ring(const struct vcpu *v);

/*
 * Print the exit statistics: one line per kind that occurred (count, total
 * ticks, average), sorted by count, then the total.
 */
void vcpu_print_exit_stats(const struct vcpu *v);

#endif /* HV_VCPU_H */
