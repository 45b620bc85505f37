/*
 * A vCPU's register frame as the world switch (arch/arm64/guest_entry.S)
 * loads it on entry and saves it on exit: the general registers, the PC
 * and PSTATE to return to (ELR_EL2, SPSR_EL2), and the syndrome of the
 * exit (ESR_EL2, FAR_EL2, HPFAR_EL2). Offsets are shared with the assembly
 * and checked against the struct.
 *
 * Nothing else is switched: a vCPU owns its CPU's EL1 and EL0 system
 * registers, FP/SIMD registers and virtual timer while it is loaded, since
 * the hypervisor touches none of them (it is built -mgeneral-regs-only and
 * runs only at EL2). docs/arm64.md, "World switch", says why that holds.
 */
#ifndef ARM64_GUEST_REGS_H
#define ARM64_GUEST_REGS_H

#define GREGS_X0     0
#define GREGS_X2     (2 * 8)
#define GREGS_X30    (30 * 8)
#define GREGS_PC     (31 * 8)
#define GREGS_PSTATE (32 * 8)
#define GREGS_ESR    (33 * 8)
#define GREGS_FAR    (34 * 8)
#define GREGS_HPFAR  (35 * 8)
#define GREGS_SIZE   (36 * 8)

/* Callee-saved hypervisor registers arm64_guest_enter() keeps on its stack: x19-x30. */
#define HOST_SAVE_SIZE (12 * 8)

#ifndef __ASSEMBLER__
#include <stddef.h>

#include <hv/types.h>

struct arm64_guest_regs {
	u64 x[31];  /* x0..x30 */
	u64 pc;     /* ELR_EL2: where the guest resumes */
	u64 pstate; /* SPSR_EL2: its PSTATE */
	u64 esr;    /* the last exit's syndrome */
	u64 far;
	u64 hpfar;
};

_Static_assert(offsetof(struct arm64_guest_regs, x[2]) == GREGS_X2 &&
		   offsetof(struct arm64_guest_regs, x[30]) == GREGS_X30 &&
		   offsetof(struct arm64_guest_regs, pc) == GREGS_PC &&
		   offsetof(struct arm64_guest_regs, pstate) == GREGS_PSTATE &&
		   offsetof(struct arm64_guest_regs, esr) == GREGS_ESR &&
		   offsetof(struct arm64_guest_regs, far) == GREGS_FAR &&
		   offsetof(struct arm64_guest_regs, hpfar) == GREGS_HPFAR &&
		   sizeof(struct arm64_guest_regs) == GREGS_SIZE,
	       "guest_entry.S frame layout");
_Static_assert(GREGS_PSTATE == GREGS_PC + 8 && GREGS_FAR == GREGS_ESR + 8,
	       "guest_entry.S moves PC/PSTATE and ESR/FAR as pairs");

/*
 * Load regs into the CPU and enter the guest (ERET); return when it exits,
 * with regs updated and the exception kind (EXC_KIND() of arm64/regs.h: a
 * lower-EL group and a type). The caller has configured EL2 for the vCPU.
 */
u64 arm64_guest_enter(struct arm64_guest_regs *regs);
#endif

#endif /* ARM64_GUEST_REGS_H */
