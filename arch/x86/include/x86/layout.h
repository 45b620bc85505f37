/*
 * Where things are in the x86_64 image: symbols from linker/x86_64.ld and
 * boot/x86_64/entry.asm, the hypervisor's stacks, and the values the entry
 * code saved for C.
 */
#ifndef X86_LAYOUT_H
#define X86_LAYOUT_H

#include <hv/types.h>

/* linker/x86_64.ld: section boundaries, all page-aligned. */
extern char __image_start[], __image_end[];
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
extern char __ksyms_start[], __ksyms_end[];

/* boot/x86_64/entry.asm */
extern u64 boot_tsc;     /* TSC at the first instruction */
extern u32 boot_magic;   /* EAX at entry */
extern u32 boot_info_pa; /* EBX at entry */
extern u64 boot_pml4[];  /* the boot page tables (identity, low 4 GiB) */
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

/* What the boot page tables map: hand out no frames above this until paging is up. */
#define BOOT_MAPPED_END (4ull << 30)

/*
 * A hypervisor stack: [bottom, top), with an unmapped guard page at
 * [guard, guard + PAGE_SIZE) right below it so an overflow faults.
 */
struct x86_stack {
	const char *name;
	uptr guard, bottom, top;
};

/* Every stack the hypervisor runs on (arch/x86/stacks.c). */
extern const struct x86_stack *const x86_stacks[];
extern const u32 x86_stack_count;

/* The stack holding [addr, addr + 16), or NULL. */
const struct x86_stack *x86_stack_of(uptr addr);

/* The stack whose guard page holds addr, or NULL. */
const struct x86_stack *x86_stack_guard_of(uptr addr);

/* Top of the stack for IST slot n (1-based, see desc.h). */
uptr x86_ist_top(unsigned n);

#endif /* X86_LAYOUT_H */
