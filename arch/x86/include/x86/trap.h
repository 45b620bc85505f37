/*
 * Exceptions and interrupts taken in the hypervisor: the saved register
 * frame that arch/x86/vectors.asm builds, and the entry points around it.
 */
#ifndef X86_TRAP_H
#define X86_TRAP_H

#include <hv/types.h>

/* Exception vectors (SDM 3A table 6-1). */
enum x86_vector {
	VEC_DE = 0,  /* divide error */
	VEC_DB = 1,  /* debug */
	VEC_NMI = 2, /* non-maskable interrupt */
	VEC_BP = 3,  /* breakpoint */
	VEC_OF = 4,  /* overflow */
	VEC_BR = 5,  /* bound range */
	VEC_UD = 6,  /* invalid opcode */
	VEC_NM = 7,  /* device not available */
	VEC_DF = 8,  /* double fault */
	VEC_TS = 10, /* invalid TSS */
	VEC_NP = 11, /* segment not present */
	VEC_SS = 12, /* stack-segment fault */
	VEC_GP = 13, /* general protection */
	VEC_PF = 14, /* page fault */
	VEC_MF = 16, /* x87 floating point */
	VEC_AC = 17, /* alignment check */
	VEC_MC = 18, /* machine check */
	VEC_XM = 19, /* SIMD floating point */
	VEC_VE = 20, /* virtualization exception */
	VEC_CP = 21, /* control protection */
	VEC_HV = 28, /* hypervisor injection (AMD) */
	VEC_VC = 29, /* VMM communication (AMD SEV-ES) */
	VEC_SX = 30, /* security exception (AMD) */
	VEC_FIRST_IRQ = 32,
	VEC_COUNT = 256,
};

/* Each stub in vectors.asm is 16-byte aligned and at most 16 bytes long. */
#define X86_TRAP_STUB_SIZE 16

/* The frame at the time x86_trap() runs, lowest address first. */
struct x86_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error;
	/* pushed by the CPU */
	u64 rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct x86_regs) == 22 * 8, "vectors.asm pushes 22 quadwords");

/* vectors.asm: 256 stubs, X86_TRAP_STUB_SIZE bytes apart. */
extern const char x86_trap_stubs[];

/* Called by every stub; returns only for vectors that resume (NMI). */
void x86_trap(struct x86_regs *regs);

/* Short name of an exception vector ("#PF"), or "IRQ" / "?" */
const char *x86_vector_name(u64 vector);
/* Long name ("page fault"). */
const char *x86_vector_text(u64 vector);

/* Print a register frame (GPRs, RIP, RFLAGS, CR0/2/3/4) and its backtrace. */
void x86_dump_regs(const struct x86_regs *regs);

#endif /* X86_TRAP_H */
