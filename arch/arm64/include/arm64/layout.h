/*
 * The boot CPU's stack block, shared by boot/arm64/entry.S,
 * arch/arm64/vectors.S, the page-table policy and linker/arm64.ld (which
 * repeats the numbers and checks them with ASSERTs).
 *
 * One 32 KiB block aligned to 32 KiB, offsets from its base:
 *
 *   0x8000 +----------------------+ <- boot stack top (SP at entry to C)
 *          | boot stack, 16 KiB   |    bit 14 of any SP in here is 1
 *   0x4000 +----------------------+
 *          | guard, unmapped      |    a boot-stack overflow faults here
 *   0x3000 +----------------------+ <- exception stack top
 *          | exception stack 8K   |    used only after a boot-stack overflow
 *   0x1000 +----------------------+
 *          | guard, unmapped      |
 *   0x0000 +----------------------+
 *
 * The exception vectors tell the cases apart from SP's low bits alone,
 * without touching memory or needing a spare register: bit 14 set means the
 * boot stack; otherwise bits 13:12 say which quarter below it.
 */
#ifndef ARM64_LAYOUT_H
#define ARM64_LAYOUT_H

#define STACK_BLOCK_SIZE     0x8000
#define BOOT_STACK_SHIFT     14 /* SP bit that is set exactly on the boot stack */
#define BOOT_STACK_OFFSET    0x4000
#define BOOT_STACK_SIZE      0x4000
#define EXC_STACK_OFFSET     0x1000
#define EXC_STACK_SIZE       0x2000
#define EXC_STACK_TOP_OFFSET (EXC_STACK_OFFSET + EXC_STACK_SIZE)
#define STACK_GUARD_SIZE     0x1000

#ifndef __ASSEMBLER__
_Static_assert(BOOT_STACK_OFFSET == 1 << BOOT_STACK_SHIFT &&
		   BOOT_STACK_OFFSET + BOOT_STACK_SIZE == STACK_BLOCK_SIZE,
	       "the boot stack must be exactly the half of the block with bit 14 set");
_Static_assert(EXC_STACK_TOP_OFFSET + STACK_GUARD_SIZE == BOOT_STACK_OFFSET &&
		   EXC_STACK_OFFSET == STACK_GUARD_SIZE,
	       "one guard page below each stack");
#endif

#endif /* ARM64_LAYOUT_H */
