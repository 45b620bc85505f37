/*
 * Test guest entry and EL1 exception vectors.
 *
 * A test guest is an arm64 Image (the header Linux's has), so hv loads it
 * the way it loads Linux: x0 = the DTB, EL1h, MMU and caches off. start
 * records the virtual counter at its first instruction, checks it runs at
 * its link address, clears BSS, takes its stack, installs the vectors and
 * calls main(dtb); main's return value becomes HC_SHUTDOWN's status.
 *
 * Every vector saves a frame (struct frame in guest.h) and calls
 * guest_exception(kind, frame), which may change the frame's registers,
 * ELR and SPSR before the ERET.
 */
#include "guest_asm.h"

	.section .text.head, "ax"
	.globl _start
_start:
	b	entry
	.long	0
	.quad	0				/* text_offset */
	.quad	__image_end - _start		/* image_size */
	.quad	IMAGE_FLAGS_LE_4K
	.quad	0, 0, 0
	.long	IMAGE_MAGIC
	.long	0

entry:
	isb
	mrs	x19, cntvct_el0
	mov	x20, x0
	adr	x1, _start
	ldr	x2, =__image_start
	cmp	x1, x2
	b.ne	wrong_place
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	ldr	x1, =__stack_top
	mov	sp, x1
	ldr	x1, =vectors
	msr	vbar_el1, x1
	isb
	ldr	x1, =guest_entry_ticks
	str	x19, [x1]
	mov	x0, x20
	bl	main
	bl	guest_shutdown
3:	b	3b

/* Not where the linker put us: nothing can work; say so through HC_SHUTDOWN. */
wrong_place:
	ldr	x0, =HC_FN_SHUTDOWN
	mov	x1, #WRONG_PLACE_STATUS
	hvc	#0
4:	b	4b
	.ltorg

.macro vector kind
	.balign	128
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	vector_common
.endm

	.text
	.balign	2048
	.globl vectors
vectors:
	vector	0
	vector	1
	vector	2
	vector	3
	vector	4
	vector	5
	vector	6
	vector	7
	vector	8
	vector	9
	vector	10
	vector	11
	vector	12
	vector	13
	vector	14
	vector	15

vector_common:
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
	mrs	x2, elr_el1
	stp	x30, x2, [sp, #FRAME_X30]
	mrs	x2, spsr_el1
	mrs	x3, esr_el1
	stp	x2, x3, [sp, #FRAME_SPSR]
	mrs	x2, far_el1
	str	x2, [sp, #FRAME_FAR]
	mov	x1, sp
	bl	guest_exception
	ldp	x30, x2, [sp, #FRAME_X30]
	msr	elr_el1, x2
	ldr	x2, [sp, #FRAME_SPSR]
	msr	spsr_el1, x2
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
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	eret
