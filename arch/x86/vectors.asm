; Exception and interrupt entry stubs: one per vector, 256 in all.
;
; Each stub makes the stack look the same whatever the vector: it pushes a
; zero where the CPU pushes no error code, then the vector number, and jumps
; to the common path, which saves the general registers in struct x86_regs
; order (arch/x86/include/x86/trap.h) and calls x86_trap(regs). If x86_trap
; returns (it does only for NMIs), the registers are restored and IRETQ
; resumes the interrupted code.
;
; The CPU has already aligned RSP to 16 bytes (SDM 3A 6.14.2); the frame we
; push is 22 quadwords, so x86_trap is called with the ABI's alignment.
; Every stub starts on a 16-byte boundary (X86_TRAP_STUB_SIZE in trap.h).

extern x86_trap

section .text

; Vectors for which the CPU pushes an error code (SDM 3A table 6-1).
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

align 16
global x86_trap_stubs
x86_trap_stubs:
%assign v 0
%rep 256
align 16
	%if !HAS_ERROR(v)
	push 0
	%endif
	push v
	jmp trap_common
%assign v v + 1
%endrep

trap_common:
	push r15
	push r14
	push r13
	push r12
	push r11
	push r10
	push r9
	push r8
	push rbp
	push rdi
	push rsi
	push rdx
	push rcx
	push rbx
	push rax
	mov rdi, rsp
	cld
	call x86_trap
	pop rax
	pop rbx
	pop rcx
	pop rdx
	pop rsi
	pop rdi
	pop rbp
	pop r8
	pop r9
	pop r10
	pop r11
	pop r12
	pop r13
	pop r14
	pop r15
	add rsp, 16                  ; vector and error code
	iretq
