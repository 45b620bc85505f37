/*
 * arm64 entry: the Linux arm64 Image header and everything between the boot
 * loader's jump and hv_main(), with the MMU off and no C until the stack and
 * the relocations are in place.
 *
 * Boot protocol (Linux Documentation/arch/arm64/booting.rst): entered at
 * EL2 at the first byte of the image, MMU off, data cache off (the image
 * cleaned to the point of coherency), interrupts masked, x0 = physical
 * address of the DTB, x1-x3 = 0. The image is loaded text_offset (0) bytes
 * after a 2 MiB-aligned base anywhere in RAM (flags bit 3), so it is linked
 * at 0 as a static PIE and applies its own R_AARCH64_RELATIVE relocations.
 *
 * Order, and why:
 *  1. put EL2 in a known state (SCTLR, HCR, CPTR, CNTVOFF): nothing the
 *     loader left behind may change what follows;
 *  2. relocate and clear BSS, then take the boot stack and install the
 *     vectors, so C can run and faults are reported;
 *  3. arm64_boot_map_init() (C, still MMU off) builds the boot page tables;
 *  4. invalidate the data cache over the image: everything written with
 *     the MMU off went straight to memory, and a stale clean line left by
 *     the loader would otherwise shadow it once the cache is on;
 *  5. TLB invalidate, MMU and caches on, then hv_main(dtb, 0).
 */
#include <arm64/layout.h>
#include <arm64/sysreg.h>

#define R_AARCH64_RELATIVE 1027
/* Image header flags: little-endian, 4 KiB pages, placement anywhere. */
#define IMAGE_FLAGS        ((1 << 1) | (1 << 3))
#define IMAGE_MAGIC        0x644d5241 /* "ARM\x64" */

	.section .text.head, "ax"
	.globl _start
_start:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	__image_end - _start	/* image_size: the whole image, BSS and stacks included */
	.quad	IMAGE_FLAGS
	.quad	0, 0, 0			/* res2-res4 */
	.long	IMAGE_MAGIC
	.long	0			/* res5: no PE/COFF header */

primary_entry:
	mov	x19, x0			/* DTB physical address, kept in a callee-saved register */
	isb				/* read the counter only after everything before it */
	mrs	x20, cntpct_el0		/* entry timestamp, for the entry->main figure */
	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL2
	b.ne	park			/* not a hypervisor without EL2: nothing can be reported */
	msr	daifset, #DAIF_ALL
	mrs	x21, sctlr_el2		/* as the loader left it: reported once we can print */

	ldr	x0, =SCTLR_EL2_BOOT
	msr	sctlr_el2, x0
	ldr	x0, =HCR_EL2_BOOT
	msr	hcr_el2, x0
	ldr	x0, =CPTR_EL2_BOOT
	msr	cptr_el2, x0
	/* CNTVOFF_EL2 resets to an UNKNOWN value: make the virtual counter equal the physical one. */
	msr	cntvoff_el2, xzr
	isb
	/* Some CPUs have HCR_EL2.E2H RES1 (VHE only); we need the non-VHE EL2 regime. */
	mrs	x0, hcr_el2
	tbnz	x0, #34, park

	/* Relocate: every dynamic relocation must be R_AARCH64_RELATIVE (the build checks). */
	adr	x22, _start		/* load address = link address + x22 (linked at 0) */
	adrp	x1, __rela_start
	add	x1, x1, :lo12:__rela_start
	adrp	x2, __rela_end
	add	x2, x2, :lo12:__rela_end
1:	cmp	x1, x2
	b.hs	2f
	ldp	x3, x4, [x1], #16	/* r_offset, r_info */
	ldr	x5, [x1], #8		/* r_addend */
	cmp	w4, #R_AARCH64_RELATIVE
	b.ne	park
	add	x5, x5, x22
	str	x5, [x3, x22]
	b	1b

2:	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b

4:	adrp	x0, __stack_block
	add	x0, x0, #STACK_BLOCK_SIZE
	mov	sp, x0
	mov	x29, xzr		/* ends every frame-pointer backtrace */
	mov	x30, xzr
	adrp	x0, arm64_vectors
	add	x0, x0, :lo12:arm64_vectors
	msr	vbar_el2, x0
	isb

	mov	x0, x19
	bl	arm64_boot_map_init	/* boot page tables; sets MAIR, TCR and TTBR0 */

	adrp	x0, __image_start
	adrp	x1, __image_end
	bl	arm64_dcache_inval_poc
	/* Firmware may have run with the EL2 MMU on: drop anything it left in the TLB. */
	tlbi	alle2
	dsb	ish
	isb
	ldr	x0, =SCTLR_EL2_MMU_ON
	msr	sctlr_el2, x0
	isb

	adrp	x0, arm64_entry_ticks
	str	x20, [x0, :lo12:arm64_entry_ticks]
	adrp	x0, arm64_entry_sctlr
	str	x21, [x0, :lo12:arm64_entry_sctlr]
	mov	x0, x19
	mov	x1, xzr
	bl	hv_main
	b	park

	/* Nothing sensible is possible: wait forever without touching memory. */
park:	wfe
	b	park
	.ltorg
