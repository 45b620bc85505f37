/*
 * Cache and MMU maintenance that must not be split by compiled code.
 *
 * Line size comes from CTR_EL0.DminLine (the smallest data cache line in the
 * system), so walking by it touches every line of every cache level.
 */
#include <arm64/sysreg.h>

	.text

/* x2 = line size in bytes, x3 = line mask; clobbers nothing else. */
.macro dcache_line_size
	mrs	x3, ctr_el0
	ubfx	x3, x3, #CTR_EL0_DMINLINE_SHIFT, #4
	mov	x2, #4
	lsl	x2, x2, x3
	sub	x3, x2, #1
.endm

/*
 * void arm64_dcache_inval_poc(u64 start, u64 end)
 * Invalidate [start, end) to the point of coherency, discarding any cached
 * copy. Only for memory written with the cache off (or by a non-coherent
 * agent) whose lines hold nothing newer: a dirty line would be lost.
 */
	.globl arm64_dcache_inval_poc
arm64_dcache_inval_poc:
	dcache_line_size
	bic	x0, x0, x3
1:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	1b
	dsb	sy
	ret

/*
 * void arm64_dcache_clean_poc(u64 start, u64 end)
 * Write back [start, end) to the point of coherency, e.g. before a guest or
 * a device reads it with caches off.
 */
	.globl arm64_dcache_clean_poc
arm64_dcache_clean_poc:
	dcache_line_size
	bic	x0, x0, x3
1:	dc	cvac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	1b
	dsb	sy
	ret

/*
 * void arm64_mmu_switch(u64 ttbr)
 * Move from one identity map to another. The two may map the same address
 * with different block sizes, and holding both in the TLB at once could
 * raise a TLB conflict abort, so the MMU is off while TTBR0_EL2 changes
 * and the TLB is emptied. The code runs from the identity map and makes no
 * data access in the window, so turning the MMU off is harmless.
 */
	.globl arm64_mmu_switch
arm64_mmu_switch:
	mrs	x1, sctlr_el2
	bic	x2, x1, #SCTLR_EL2_M
	dsb	ish			/* the new tables are complete before any walk can use them */
	msr	sctlr_el2, x2
	isb
	msr	ttbr0_el2, x0
	tlbi	alle2
	dsb	ish
	isb
	msr	sctlr_el2, x1
	isb
	ret

/*
 * void arm64_dcache_clean_inval_poc(u64 start, u64 end)
 * Write back and invalidate [start, end) to the point of coherency: after
 * it, memory holds the latest data and no cache holds a copy, so an
 * observer with caches off (a guest before its MMU is on) and one with
 * caches on see the same bytes.
 */
	.globl arm64_dcache_clean_inval_poc
arm64_dcache_clean_inval_poc:
	dcache_line_size
	bic	x0, x0, x3
1:	dc	civac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	1b
	dsb	sy
	ret
