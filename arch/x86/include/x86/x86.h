/*
 * Functions shared between the files of arch/x86 (not part of the arch seam).
 */
#ifndef X86_X86_H
#define X86_X86_H

#include <hv/types.h>

/* gdt.c: load our GDT (code, data, TSS with IST stacks) and the task register. */
void x86_gdt_init(void);

/* trap.c: load the IDT; every vector reports and stops, NMIs are counted. */
void x86_idt_init(void);

/* pic.c: remap the legacy 8259 PICs to vectors 0x20-0x2f and mask every line. */
void x86_pic_disable(void);

/* tsc.c: measure the TSC frequency (CPUID 0x15/0x16, else the PIT). */
void x86_tsc_init(void);
u64 x86_tsc_hz(void);
u64 x86_tsc_to_ns(u64 cycles);
/* The inverse: TSC cycles in ns nanoseconds (a TSC value is boot_tsc + this). */
u64 x86_ns_to_tsc(u64 ns);

/*
 * host_irq.c: the hypervisor's timer tick (real 8254 channel 0, IRQ 0) and
 * its interrupt handler. x86_host_wait() halts until the next interrupt.
 */
#define X86_HOST_HZ 1000
void x86_host_timer_start(void);
void x86_host_irq(u64 vector);
void x86_host_wait(void);
u64 x86_host_ticks(void);

/* symbols.c: the code symbol containing addr, and addr's offset into it; NULL if none. */
const char *x86_symbol_lookup(u64 addr, u64 *offset);

/* dump.c: print a frame-pointer backtrace of the code at rip with frame rbp, stack rsp. */
void x86_backtrace(u64 rip, u64 rbp, u64 rsp);

#endif /* X86_X86_H */
