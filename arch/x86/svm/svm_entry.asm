; The SVM world switch (APM Vol. 2, 15.5 "VMRUN", 15.5.2 "VMSAVE and VMLOAD",
; 15.17 "Global Interrupt Flag").
;
;   void svm_vmrun(u64 *gprs, u64 guest_vmcb_pa, u64 host_vmcb_pa)
;
; gprs: the guest's 16 general registers in encoding order (RAX, RCX, RDX,
; RBX, RSP, RBP, RSI, RDI, R8-R15), struct x86_vcpu.gpr. RAX and RSP are not
; touched here: VMRUN takes the guest's from the VMCB (the caller copies
; them in and out). Every other register goes in before VMRUN and comes
; back after #VMEXIT.
;
; Sequence:
;   CLGI            no interrupt, NMI or SMI until we are back in host state
;   VMLOAD guest    FS, GS, TR, LDTR (hidden parts), KernelGsBase, STAR,
;                   LSTAR, CSTAR, SFMASK, SYSENTER_* of the guest
;   STI             host IF = 1 while the guest runs: with V_INTR_MASKING a
;                   physical interrupt then makes an INTR exit (15.21.1);
;                   GIF = 0 keeps it pending meanwhile
;   VMRUN           ... the guest runs ... #VMEXIT: host RSP, RIP, RFLAGS,
;                   CR0/3/4, EFER, CS/SS/DS/ES back from VM_HSAVE_PA
;   VMSAVE guest    the guest's FS, GS, TR, ... into its VMCB
;   VMLOAD host     the hypervisor's TR (IST stacks), FS, GS, ...
;   STGI            a pending host interrupt (RFLAGS.IF is still 1) is taken
;                   here, by the host IDT: the timer tick of an INTR exit
;   CLI             back to the hypervisor's normal state
;
; 28 instructions from the call to VMRUN, 30 from #VMEXIT to the return.
; VMLOAD, VMRUN and VMSAVE take the VMCB's address in RAX implicitly.

section .text

%define GPR(n) (n * 8)
%define RCX_ 1
%define RDX_ 2
%define RBX_ 3
%define RBP_ 5
%define RSI_ 6
%define RDI_ 7

global svm_vmrun
svm_vmrun:
	push rbp
	mov rbp, rsp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdx                     ; host VMCB
	push rdi                     ; gprs
	mov rax, rsi                 ; VMLOAD, VMRUN and VMSAVE take the guest VMCB in RAX

	clgi
	vmload
	mov rcx, [rdi + GPR(RCX_)]
	mov rdx, [rdi + GPR(RDX_)]
	mov rbx, [rdi + GPR(RBX_)]
	mov rbp, [rdi + GPR(RBP_)]
	mov rsi, [rdi + GPR(RSI_)]
	mov r8,  [rdi + GPR(8)]
	mov r9,  [rdi + GPR(9)]
	mov r10, [rdi + GPR(10)]
	mov r11, [rdi + GPR(11)]
	mov r12, [rdi + GPR(12)]
	mov r13, [rdi + GPR(13)]
	mov r14, [rdi + GPR(14)]
	mov r15, [rdi + GPR(15)]
	mov rdi, [rdi + GPR(RDI_)]
	sti
	vmrun
	vmsave
	push rdi                     ; the guest's RDI; gprs is above it
	mov rdi, [rsp + 8]
	mov [rdi + GPR(RCX_)], rcx
	mov [rdi + GPR(RDX_)], rdx
	mov [rdi + GPR(RBX_)], rbx
	mov [rdi + GPR(RBP_)], rbp
	mov [rdi + GPR(RSI_)], rsi
	mov [rdi + GPR(8)], r8
	mov [rdi + GPR(9)], r9
	mov [rdi + GPR(10)], r10
	mov [rdi + GPR(11)], r11
	mov [rdi + GPR(12)], r12
	mov [rdi + GPR(13)], r13
	mov [rdi + GPR(14)], r14
	mov [rdi + GPR(15)], r15
	pop qword [rdi + GPR(RDI_)]
	add rsp, 8                   ; gprs
	pop rax                      ; host VMCB
	lea rbp, [rsp + 5 * 8]       ; the frame pointer, before anything can unwind
	vmload
	stgi
	cli
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
