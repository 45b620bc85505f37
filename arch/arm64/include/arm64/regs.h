/*
 * The register frame the exception vectors (arch/arm64/vectors.S) push, and
 * the kinds of exception they report. Offsets are used by the assembly and
 * checked against the struct here.
 */
#ifndef ARM64_REGS_H
#define ARM64_REGS_H

#define REGS_X0         0
#define REGS_X29        (29 * 8)
#define REGS_X30        (30 * 8)
#define REGS_SP         (31 * 8)
#define REGS_ELR        (32 * 8)
#define REGS_SPSR       (33 * 8)
#define REGS_ESR        (34 * 8)
#define REGS_FAR        (35 * 8)
#define REGS_FRAME_SIZE (36 * 8) /* a multiple of 16: SP stays aligned */

/*
 * Exception kind passed to arm64_exception(): the vector group times 4 plus
 * the type, as in the table's layout (Arm ARM D1.10.2 "Exception vectors"),
 * and a flag for "the boot stack had overflowed; now on the exception stack".
 */
#define EXC_GROUP_CUR_SP0     0
#define EXC_GROUP_CUR_SPX     1
#define EXC_GROUP_LOWER_A64   2
#define EXC_GROUP_LOWER_A32   3
#define EXC_TYPE_SYNC         0
#define EXC_TYPE_IRQ          1
#define EXC_TYPE_FIQ          2
#define EXC_TYPE_SERROR       3
#define EXC_KIND(group, type) ((group)*4 + (type))
#define EXC_KIND_MASK         0xf
#define EXC_FLAG_OVERFLOW     0x100

#ifndef __ASSEMBLER__
#include <stddef.h>

#include <hv/types.h>

struct arm64_regs {
	u64 x[31]; /* x0..x30; x29 is the frame pointer, x30 the link register */
	u64 sp;    /* SP at the time of the exception */
	u64 elr;
	u64 spsr;
	u64 esr;
	u64 far;
};

_Static_assert(offsetof(struct arm64_regs, x[29]) == REGS_X29 &&
		   offsetof(struct arm64_regs, sp) == REGS_SP &&
		   offsetof(struct arm64_regs, elr) == REGS_ELR &&
		   offsetof(struct arm64_regs, spsr) == REGS_SPSR &&
		   offsetof(struct arm64_regs, esr) == REGS_ESR &&
		   offsetof(struct arm64_regs, far) == REGS_FAR &&
		   sizeof(struct arm64_regs) == REGS_FRAME_SIZE && REGS_FRAME_SIZE % 16 == 0,
	       "vectors.S frame layout");
_Static_assert(EXC_KIND(EXC_GROUP_CUR_SPX, EXC_TYPE_SYNC) == 4 &&
		   EXC_KIND(EXC_GROUP_LOWER_A64, EXC_TYPE_SYNC) == 8 &&
		   EXC_KIND(EXC_GROUP_LOWER_A32, EXC_TYPE_SERROR) == 15,
	       "vectors.S spells the slot kinds out as numbers");
#endif

#endif /* ARM64_REGS_H */
