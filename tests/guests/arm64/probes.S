/*
 * Single instructions a test expects to fault, and the calls with exact
 * register use. A probe stores the address of its faulting instruction
 * and of the instruction to resume at in `probe`; the exception handler
 * (lib.c) records the syndrome there and resumes.
 */
#include "guest_asm.h"

#define PROBE_PC     0
#define PROBE_RESUME 8
#define PROBE_HIT    48

/* Arm the probe: x9 = &probe, pc = label 1, resume = label 2, hit = 0. */
.macro arm_probe
	ldr	x9, =probe
	adr	x10, 1f
	str	x10, [x9, #PROBE_PC]
	adr	x10, 2f
	str	x10, [x9, #PROBE_RESUME]
	str	xzr, [x9, #PROBE_HIT]
.endm

.macro probe_fn name, insn:vararg
	.globl \name
\name:
	arm_probe
1:	\insn
2:	str	xzr, [x9, #PROBE_PC]
	ret
.endm

	.text
	probe_fn probe_read64, ldr x0, [x0]
	probe_fn probe_read32, ldr w0, [x0]
	probe_fn probe_write32, str w1, [x0]
	probe_fn probe_write64, str x1, [x0]
	probe_fn probe_stp, stp x1, x2, [x0]
	probe_fn probe_impdef_read, mrs x0, s3_0_c15_c0_0
	probe_fn probe_idreg_write, msr s3_0_c0_c4_0, x0
	probe_fn probe_pmcr_read, mrs x0, pmcr_el0
	/* rdvl x0, #1 (SVE), spelled out so no SVE-aware assembler is needed. */
	probe_fn probe_rdvl, .inst 0x04bf5020

/* void probe_exec(u64 addr): branch there; the instruction abort comes back to 2. */
	.globl probe_exec
probe_exec:
	stp	x29, x30, [sp, #-16]!
	ldr	x9, =probe
	str	x0, [x9, #PROBE_PC]
	adr	x10, 2f
	str	x10, [x9, #PROBE_RESUME]
	str	xzr, [x9, #PROBE_HIT]
	blr	x0
2:	str	xzr, [x9, #PROBE_PC]
	ldp	x29, x30, [sp], #16
	ret

/*
 * void probe_el0_hvc(void): run "hvc #0; svc #0" at EL0. HVC is UNDEFINED
 * there (the probe catches it); the SVC brings us back (lib.c sends it to
 * el0_back at EL1h, on this same stack).
 */
	.globl probe_el0_hvc, el0_back
probe_el0_hvc:
	stp	x29, x30, [sp, #-16]!
	ldr	x9, =probe
	adr	x10, 1f
	str	x10, [x9, #PROBE_PC]
	adr	x10, 2f
	str	x10, [x9, #PROBE_RESUME]
	str	xzr, [x9, #PROBE_HIT]
	ldr	x10, =__el0_stack_top
	msr	sp_el0, x10
	adr	x10, 1f
	msr	elr_el1, x10
	mov	x10, #SPSR_EL0T_DAIF_ASM
	msr	spsr_el1, x10
	eret
1:	hvc	#0
2:	svc	#0
el0_back:
	ldr	x9, =probe
	str	xzr, [x9, #PROBE_PC]
	ldp	x29, x30, [sp], #16
	ret

/* struct call_res hvc_call(fn, a1, a2, a3, a4) / smc_call: x0-x3 come back in x8's buffer. */
	.globl hvc_call, smc_call, hvc1_call
hvc_call:
	mov	x9, x8
	hvc	#0
	stp	x0, x1, [x9]
	stp	x2, x3, [x9, #16]
	ret
smc_call:
	mov	x9, x8
	smc	#0
	stp	x0, x1, [x9]
	stp	x2, x3, [x9, #16]
	ret
hvc1_call:
	hvc	#1
	ret

/* u64 hvc_clobber_count(void): HC_NOP with x4-x17 set; count those that changed. */
	.globl hvc_clobber_count
hvc_clobber_count:
	stp	x19, x20, [sp, #-16]!
	ldr	x19, =0x5a5a000000000000
	add	x4, x19, #4
	add	x5, x19, #5
	add	x6, x19, #6
	add	x7, x19, #7
	add	x8, x19, #8
	add	x9, x19, #9
	add	x10, x19, #10
	add	x11, x19, #11
	add	x12, x19, #12
	add	x13, x19, #13
	add	x14, x19, #14
	add	x15, x19, #15
	add	x16, x19, #16
	add	x17, x19, #17
	ldr	x0, =HC_FN_NOP
	hvc	#0
	mov	x0, #0
.irp r, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
	add	x20, x19, #\r
	cmp	x\r, x20
	cinc	x0, x0, ne
.endr
	ldp	x19, x20, [sp], #16
	ret
	.ltorg
