/*
 * Virtual CPUs, arch-neutral part: the link to the VM and the MMU engine's
 * vCPU (its current second-stage root), the backend's private state, and
 * the exit accounting every backend keeps the same way:
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
