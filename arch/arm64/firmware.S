/*
 * Calls out of the hypervisor: SMC to EL3 firmware (PSCI, SMC Calling
 * Convention) and semihosting to an emulator or debugger.
 *
 * Either may be absent: SMC is UNDEFINED without EL3, and HLT is UNDEFINED
 * when no debugger or emulator handles semihosting. The exception handler
 * (arch/arm64/traps.c) recognises an UNDEFINED exception at exactly the
 * labelled instruction, skips it and returns -1, so callers can probe.
 */
	.text

/* u64 arm64_smc(u64 fn, u64 a1, u64 a2, u64 a3): SMCCC SMC64/SMC32 fast call, result in x0. */
	.globl arm64_smc, arm64_smc_insn
arm64_smc:
arm64_smc_insn:
	smc	#0
	ret

/* s64 arm64_semihost(u64 op, u64 param): AArch64 semihosting call (HLT #0xF000). */
	.globl arm64_semihost, arm64_semihost_insn
arm64_semihost:
arm64_semihost_insn:
	hlt	#0xf000
	ret

/* Stop this CPU without touching memory: interrupts masked, wait forever. */
	.globl arm64_park
arm64_park:
	msr	daifset, #0xf
1:	wfe
	b	1b
