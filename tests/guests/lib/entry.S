/*
 * Test-guest entry: a Multiboot v1 header (flags: memory info wanted), then
 * _start, entered by hv's loader in flat 32-bit protected mode with EAX =
 * 0x2BADB002 and EBX = the Multiboot information. The first thing it does
 * is read the TSC (for boot.entry_to_guest_ticks), then it sets a stack and
 * calls guest_main(magic, info); if that returns, the guest shuts down with
 * its return value.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000002

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	movl %eax, %esi
	rdtsc
	movl %eax, guest_first_tsc
	movl %edx, guest_first_tsc + 4
	movl $stack_top, %esp
	pushl %ebx
	pushl %esi
	call guest_start
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
	.globl stack_bottom
stack_bottom:
	.space 16384
	.globl stack_top
stack_top:
