/*
 * Interrupt and exception stubs for test guests: each pushes a zero where
 * the CPU pushes no error code, then its vector, saves the registers and
 * calls guest_trap(frame) (lib.c), which may change the saved EIP to resume
 * at a recovery point. Also the ring-3 round trip of run_user().
 */
#define SEL_DATA      0x18
#define SEL_USER_CODE (0x20 | 3)
#define SEL_USER_DATA (0x28 | 3)

	.text
	.align 16
stubs_start:
	.set v, 0
	.rept 256
	.align 16
	.if (v == 8) || (v >= 10 && v <= 14) || (v == 17) || (v == 21) || (v == 29) || (v == 30)
	.else
	pushl $0
	.endif
	pushl $v
	jmp trap_common
	.set v, v + 1
	.endr

trap_common:
	pushal
	cld
	pushl %esp
	call guest_trap
	addl $4, %esp
	popal
	addl $8, %esp
	iret

	.section .rodata
	.align 4
	.globl isr_stubs
isr_stubs:
	.set v, 0
	.rept 256
	.long stubs_start + v * 16
	.set v, v + 1
	.endr

	.text
	.globl run_user_asm
run_user_asm:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, user_saved_esp
	movw $SEL_USER_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	pushl $SEL_USER_DATA
	pushl user_stack_top
	pushfl
	pushl $SEL_USER_CODE
	pushl $user_trampoline
	iret
user_trampoline:
	call *user_fn
	int $0x80

	.globl user_exit_stub
user_exit_stub:
	movw $SEL_DATA, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	movl user_saved_esp, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret
