/*
 * The GDT and TSS: a 64-bit code segment, a data segment and one TSS whose
 * IST pointers give the double-fault, NMI and machine-check handlers their
 * own stacks (SDM 3A 6.14.5). Replaces the minimal GDT of entry.asm.
 */
#include <x86/desc.h>
#include <x86/layout.h>
#include <x86/x86.h>

static u64 gdt[GDT_ENTRIES] __aligned(16);
static struct tss64 tss __aligned(16);

/* A flat code or data descriptor (base 0, limit 4 GiB, which long mode ignores). */
static u64 make_segment(u64 type_bits)
{
	return type_bits | DESC_S | DESC_P | DESC_G | DESC_ACCESSED | DESC_LIMIT_LOW |
	       DESC_LIMIT_HIGH;
}

/* The two halves of a 64-bit TSS descriptor (SDM 3A 7.2.3). */
static void make_tss_descriptor(u64 *desc, uptr base, u32 limit)
{
	desc[0] = (limit & 0xffffull) | ((base & 0xffffffull) << 16) | DESC_TYPE_TSS64 | DESC_P |
		  ((u64)(limit >> 16 & 0xf) << 48) | ((u64)(base >> 24 & 0xff) << 56);
	desc[1] = base >> 32;
}

void x86_gdt_init(void)
{
	struct desc_ptr ptr = { .limit = sizeof(gdt) - 1, .base = (u64)(uptr)gdt };

	gdt[GDT_NULL] = 0;
	gdt[GDT_CODE64] = make_segment(DESC_CODE | DESC_RW | DESC_L);
	gdt[GDT_DATA] = make_segment(DESC_RW | DESC_DB);
	for (unsigned i = 1; i <= IST_COUNT; i++)
		tss.ist[i - 1] = x86_ist_top(i);
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
	make_tss_descriptor(&gdt[GDT_TSS], (uptr)&tss, sizeof(tss) - 1);

	__asm__ volatile("lgdt %0\n\t"
			 /* Reload CS with a far return, then the data segments. */
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(ptr), "i"((u64)SEL_CODE64), "i"(SEL_DATA), "r"((u16)SEL_TSS)
			 : "rax", "memory");
}
