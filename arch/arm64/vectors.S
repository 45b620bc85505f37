/*
 * The EL2 exception vector table (Arm ARM D1.10.2): 16 slots of 128 bytes,
 * four groups (current EL with SP_EL0, current EL with SP_EL2, lower EL in
 * AArch64, lower EL in AArch32) of four types (synchronous, IRQ, FIQ,
 * SError). Every slot saves a struct arm64_regs frame and calls
 * arm64_exception(frame, kind) (arch/arm64/traps.c); if that returns, the
 * frame (possibly changed) is restored and the exception returns.
 *
 * Exceptions from the hypervisor itself first check the stack without
 * touching memory (layout in arm64/layout.h): a boot-stack overflow moves to
 * the exception stack, and an exhausted exception stack parks the CPU, so a
 * fault can never recurse forever through a bad stack.
 */
#include <arm64/layout.h>
#include <arm64/regs.h>

	.text

/*
 * On the hypervisor's own exceptions, SP may be bad. After these steps
 * x0 = SP - frame and SP = (SP - frame) + old x0; the pair undoes itself with
 * "sub x0, sp, x0; sub sp, sp, x0". Bit BOOT_STACK_SHIFT of x0 tells whether
 * the frame fits on the boot stack.
 */
.macro vslot kind, check_stack
	.balign 128
	sub	sp, sp, #REGS_FRAME_SIZE
	.if \check_stack
	add	sp, sp, x0
	sub	x0, sp, x0
	tbz	x0, #BOOT_STACK_SHIFT, .Lstack_suspect_\kind
	sub	x0, sp, x0
	sub	sp, sp, x0
	.endif
	stp	x0, x1, [sp, #REGS_X0]
	mov	x1, #\kind
	b	arm64_save_frame
.endm

/* A lower-EL slot: the guest exits (arch/arm64/guest_entry.S). */
.macro vguest kind
	.balign 128
	stp	x0, x1, [sp, #-16]!
	mov	x1, #\kind
	b	arm64_guest_exit
.endm

/* Out of line: the frame would not fit on the boot stack. */
.macro vstack_suspect kind
.Lstack_suspect_\kind:
	tbnz	x0, #13, 1f
	tbz	x0, #12, exc_stack_exhausted	/* 0x0000-0x0fff: guard below the exception stack */
	b	2f				/* 0x1000-0x1fff: already on the exception stack */
1:	tbnz	x0, #12, 3f			/* 0x3000-0x3fff: the boot stack overflowed */
2:	/* A fault while handling a fault, on the exception stack: carry on there. */
	sub	x0, sp, x0
	sub	sp, sp, x0
	stp	x0, x1, [sp, #REGS_X0]
	mov	x1, #\kind
	b	arm64_save_frame
3:	/* Boot stack overflow: the frame goes on the exception stack; x0 is lost. */
	bic	x0, x0, #(STACK_BLOCK_SIZE - 1)
	add	x0, x0, #EXC_STACK_TOP_OFFSET
	sub	sp, x0, #REGS_FRAME_SIZE
	stp	xzr, x1, [sp, #REGS_X0]
	mov	x1, #(\kind | EXC_FLAG_OVERFLOW)
	b	arm64_save_frame
.endm

	.balign 2048
	.globl arm64_vectors
arm64_vectors:
	/* Slot kinds are EXC_KIND(group, type) = group * 4 + type, spelled out for gas. */
	vslot	0, 0	/* current EL, SP_EL0: never used by the hypervisor */
	vslot	1, 0
	vslot	2, 0
	vslot	3, 0
	vslot	4, 1	/* current EL, SP_EL2: the hypervisor's own exceptions */
	vslot	5, 1
	vslot	6, 1
	vslot	7, 1
	vguest	8	/* lower EL, AArch64: guest exits */
	vguest	9
	vguest	10
	vguest	11
	vguest	12	/* lower EL, AArch32: a guest's 32-bit EL0 process */
	vguest	13
	vguest	14
	vguest	15

	vstack_suspect 4
	vstack_suspect 5
	vstack_suspect 6
	vstack_suspect 7

/* x0 and x1 are saved and x1 holds the kind; save the rest and call C. */
	.globl arm64_save_frame
arm64_save_frame:
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	tst	x1, #EXC_FLAG_OVERFLOW
	add	x2, sp, #REGS_FRAME_SIZE	/* SP before the exception... */
	mrs	x3, far_el2
	csel	x2, x3, x2, ne			/* ...or, after an overflow, the faulting address */
	stp	x30, x2, [sp, #REGS_X30]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [sp, #REGS_ELR]
	mrs	x2, esr_el2
	mrs	x3, far_el2
	stp	x2, x3, [sp, #REGS_ESR]
	/* A frame record {x29, ELR} makes backtraces continue into the interrupted code. */
	stp	x29, x30, [sp, #-16]!
	ldr	x2, [sp, #16 + REGS_ELR]
	str	x2, [sp, #8]
	mov	x29, sp
	add	x0, sp, #16
	bl	arm64_exception
	add	sp, sp, #16

	ldp	x2, x3, [sp, #REGS_ELR]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #REGS_X30]
	ldp	x0, x1, [sp, #REGS_X0]
	add	sp, sp, #REGS_FRAME_SIZE
	eret

/* The exception stack is used up too: stop here, touching nothing. */
exc_stack_exhausted:
	wfe
	b	exc_stack_exhausted
