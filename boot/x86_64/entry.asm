; x86_64 entry: the first instructions the hypervisor runs.
;
; One image carries a Multiboot v1 header (QEMU -kernel) and a Multiboot2
; header (GRUB's multiboot2 command). Either loader enters _start in 32-bit
; protected mode with paging off, EAX = the protocol's magic and EBX = the
; physical address of its information structure. From there:
;
;   1. save the magic, the info pointer and the TSC (boot-time measurement);
;   2. clear BSS, switch to the boot stack;
;   3. check for long mode (print a message on COM1 and halt if absent);
;   4. identity-map the low 4 GiB with 2 MiB pages (boot_pml4 ...), enough
;      for the image, the loader's structures (Multiboot is 32-bit, so they
;      lie below 4 GiB) and the devices we touch before arch_paging_init;
;   5. enable PAE, EFER.LME (+ EFER.NXE when the CPU has NX), paging, CR0.WP;
;   6. far-jump to 64-bit code and call hv_main(magic, info) with RBP = 0,
;      which ends every frame-pointer backtrace.
;
; The constants below mirror arch/x86/include/x86/{regs,msr,paging,desc}.h.

MB1_MAGIC        equ 0x1badb002
MB1_PAGE_ALIGN   equ 1 << 0          ; modules page-aligned
MB1_MEMORY_INFO  equ 1 << 1          ; ask for mem_* and the memory map
MB1_FLAGS        equ MB1_PAGE_ALIGN | MB1_MEMORY_INFO

MB2_MAGIC        equ 0xe85250d6
MB2_ARCH_I386    equ 0
MB2_TAG_END      equ 0
MB2_TAG_MODALIGN equ 6               ; modules page-aligned

CR0_PE           equ 1 << 0
CR0_WP           equ 1 << 16
CR0_PG           equ 1 << 31
CR4_PAE          equ 1 << 5
MSR_EFER         equ 0xc0000080
EFER_LME         equ 1 << 8
EFER_NXE         equ 1 << 11
CPUID_EXT_LM     equ 1 << 29
CPUID_EXT_NX     equ 1 << 20
PTE_P            equ 1 << 0
PTE_RW           equ 1 << 1
PTE_PS           equ 1 << 7
SEL_CODE64       equ 0x08
SEL_DATA         equ 0x10
COM1             equ 0x3f8

BOOT_STACK_SIZE  equ 32768

extern hv_main
extern __bss_start, __bss_end

; ---------------------------------------------------------------------------
section .multiboot progbits alloc noexec nowrite align=8

align 4
mb1_header:
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd 0x100000000 - (MB1_MAGIC + MB1_FLAGS)

align 8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
align 8
	dw MB2_TAG_MODALIGN, 0
	dd 8
align 8
	dw MB2_TAG_END, 0
	dd 8
mb2_header_end:

; ---------------------------------------------------------------------------
section .data

; What the loader passed and when we started; read by arch/x86/boot.c.
global boot_magic, boot_info_pa, boot_tsc
align 8
boot_tsc:     dq 0
boot_magic:   dd 0
boot_info_pa: dd 0

; A minimal GDT for the switch to long mode; arch/x86/gdt.c installs the
; real one (with the TSS). Accessed bits are preset so loading a selector
; never writes to the table.
align 16
boot_gdt:
	dq 0
	dq 0x00af9b000000ffff        ; SEL_CODE64: P, S, code, readable, accessed, L
	dq 0x00cf93000000ffff        ; SEL_DATA: P, S, data, writable, accessed, G, D/B
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dq boot_gdt

no_lm_msg: db "hv: this CPU has no long mode (x86_64); halting", 13, 10, 0

; ---------------------------------------------------------------------------
section .bss nobits alloc noexec write align=4096

; The boot tables: PML4 -> one PDPT -> four page directories of 2 MiB pages.
global boot_pml4
alignb 4096
boot_pml4: resb 4096
boot_pdpt: resb 4096
boot_pd:   resb 4 * 4096

; The boot CPU's stack, with an unmapped guard page below it once the
; hypervisor's own page tables are live (arch/x86/paging.c).
global boot_stack_guard, boot_stack_bottom, boot_stack_top
alignb 4096
boot_stack_guard:  resb 4096
boot_stack_bottom: resb BOOT_STACK_SIZE
boot_stack_top:

; ---------------------------------------------------------------------------
section .text.boot progbits alloc exec nowrite align=16
bits 32

global _start
_start:
	cli
	cld
	mov [boot_magic], eax
	mov [boot_info_pa], ebx
	rdtsc
	mov [boot_tsc], eax
	mov [boot_tsc + 4], edx

	; BSS: the loader zero-fills it, but the Multiboot specs do not promise it.
	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	shr ecx, 2
	xor eax, eax
	rep stosd
	mov esp, boot_stack_top

	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, CPUID_EXT_LM
	jz .no_long_mode
	mov esi, edx                 ; keep the NX bit for EFER below

	; PD entries: entry i maps [i * 2 MiB, (i + 1) * 2 MiB).
	mov edi, boot_pd
	xor ecx, ecx
.fill_pd:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_RW | PTE_PS
	mov [edi + ecx * 8], eax
	inc ecx
	cmp ecx, 4 * 512
	jb .fill_pd
	; PDPT entries 0-3 point at the four directories.
	mov edi, boot_pdpt
	mov eax, boot_pd + (PTE_P | PTE_RW)
	xor ecx, ecx
.fill_pdpt:
	mov [edi + ecx * 8], eax
	add eax, 4096
	inc ecx
	cmp ecx, 4
	jb .fill_pdpt
	mov dword [boot_pml4], boot_pdpt + (PTE_P | PTE_RW)

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	test esi, CPUID_EXT_NX
	jz .no_nx
	or eax, EFER_NXE
.no_nx:
	wrmsr
	mov eax, cr0
	or eax, CR0_PG | CR0_WP | CR0_PE
	mov cr0, eax

	lgdt [boot_gdt_ptr]
	jmp SEL_CODE64:.long_mode

.no_long_mode:
	mov esi, no_lm_msg
.putc:
	lodsb
	test al, al
	jz .halt
	mov dx, COM1
	out dx, al
	jmp .putc
.halt:
	hlt
	jmp .halt

bits 64
.long_mode:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	; A zero return address and RBP = 0 end every unwinder's walk here.
	push 0
	push 0
	xor ebp, ebp
	mov edi, [boot_magic]
	mov esi, [boot_info_pa]
	call hv_main
	; hv_main never returns; stop here if it ever does.
.hv_main_returned:
	cli
	hlt
	jmp .hv_main_returned
