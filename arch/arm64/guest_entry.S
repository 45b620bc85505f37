/*
 * The world switch: entering a guest and coming back from it.
 *
 * arm64_guest_enter(regs) pushes the hypervisor's callee-saved registers
 * (x19-x30) on its own stack, puts regs in TPIDR_EL2, loads the guest's
 * PC/PSTATE into ELR/SPSR_EL2 and its x0-x30, and ERETs. The stack pointer
 * it leaves in SP_EL2 is where the next exception from the guest lands.
 *
 * Every lower-EL vector slot (arch/arm64/vectors.S) pushes x0/x1, puts the
 * exception kind in x1 and branches to arm64_guest_exit, which stores the
 * guest's registers and the syndrome (ESR, FAR, HPFAR) into the frame
 * TPIDR_EL2 names, pops the hypervisor's registers and returns the kind
 * from arm64_guest_enter(). No EL1 state is touched (arm64/guest_regs.h).
 *
 * With TPIDR_EL2 == 0 no guest was entered: the exception is reported as
 * the unexpected event it is (arm64_exception, "no guest is running").
 */
#include <arm64/guest_regs.h>
#include <arm64/regs.h>

	.text

/* u64 arm64_guest_enter(struct arm64_guest_regs *regs) */
	.globl arm64_guest_enter
arm64_guest_enter:
	stp	x29, x30, [sp, #-HOST_SAVE_SIZE]!
	stp	x19, x20, [sp, #16 * 1]
	stp	x21, x22, [sp, #16 * 2]
	stp	x23, x24, [sp, #16 * 3]
	stp	x25, x26, [sp, #16 * 4]
	stp	x27, x28, [sp, #16 * 5]
	msr	tpidr_el2, x0
	ldp	x1, x2, [x0, #GREGS_PC]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	ldp	x2, x3, [x0, #GREGS_X2 + 16 * 0]
	ldp	x4, x5, [x0, #GREGS_X2 + 16 * 1]
	ldp	x6, x7, [x0, #GREGS_X2 + 16 * 2]
	ldp	x8, x9, [x0, #GREGS_X2 + 16 * 3]
	ldp	x10, x11, [x0, #GREGS_X2 + 16 * 4]
	ldp	x12, x13, [x0, #GREGS_X2 + 16 * 5]
	ldp	x14, x15, [x0, #GREGS_X2 + 16 * 6]
	ldp	x16, x17, [x0, #GREGS_X2 + 16 * 7]
	ldp	x18, x19, [x0, #GREGS_X2 + 16 * 8]
	ldp	x20, x21, [x0, #GREGS_X2 + 16 * 9]
	ldp	x22, x23, [x0, #GREGS_X2 + 16 * 10]
	ldp	x24, x25, [x0, #GREGS_X2 + 16 * 11]
	ldp	x26, x27, [x0, #GREGS_X2 + 16 * 12]
	ldp	x28, x29, [x0, #GREGS_X2 + 16 * 13]
	ldr	x30, [x0, #GREGS_X30]
	ldp	x0, x1, [x0, #GREGS_X0]
	eret
	/* Nothing after an ERET may run, not even speculatively. */
	dsb	nsh
	isb

/*
 * From a lower-EL vector slot: [sp] = guest x0, x1; x1 = the exception kind.
 * Returns to arm64_guest_enter()'s caller with x0 = kind.
 */
	.globl arm64_guest_exit
arm64_guest_exit:
	mrs	x0, tpidr_el2
	cbz	x0, no_guest
	stp	x2, x3, [x0, #GREGS_X2 + 16 * 0]
	stp	x4, x5, [x0, #GREGS_X2 + 16 * 1]
	stp	x6, x7, [x0, #GREGS_X2 + 16 * 2]
	stp	x8, x9, [x0, #GREGS_X2 + 16 * 3]
	stp	x10, x11, [x0, #GREGS_X2 + 16 * 4]
	stp	x12, x13, [x0, #GREGS_X2 + 16 * 5]
	stp	x14, x15, [x0, #GREGS_X2 + 16 * 6]
	stp	x16, x17, [x0, #GREGS_X2 + 16 * 7]
	stp	x18, x19, [x0, #GREGS_X2 + 16 * 8]
	stp	x20, x21, [x0, #GREGS_X2 + 16 * 9]
	stp	x22, x23, [x0, #GREGS_X2 + 16 * 10]
	stp	x24, x25, [x0, #GREGS_X2 + 16 * 11]
	stp	x26, x27, [x0, #GREGS_X2 + 16 * 12]
	stp	x28, x29, [x0, #GREGS_X2 + 16 * 13]
	str	x30, [x0, #GREGS_X30]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0, #GREGS_X0]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [x0, #GREGS_PC]
	mrs	x2, esr_el2
	mrs	x3, far_el2
	stp	x2, x3, [x0, #GREGS_ESR]
	mrs	x2, hpfar_el2
	str	x2, [x0, #GREGS_HPFAR]
	mov	x0, x1
	ldp	x19, x20, [sp, #16 * 1]
	ldp	x21, x22, [sp, #16 * 2]
	ldp	x23, x24, [sp, #16 * 3]
	ldp	x25, x26, [sp, #16 * 4]
	ldp	x27, x28, [sp, #16 * 5]
	ldp	x29, x30, [sp], #HOST_SAVE_SIZE
	ret

/* No vCPU frame: report through the common path (the guest's x0/x1 are not needed). */
no_guest:
	add	sp, sp, #16 - REGS_FRAME_SIZE
	stp	xzr, x1, [sp, #REGS_X0]
	b	arm64_save_frame
