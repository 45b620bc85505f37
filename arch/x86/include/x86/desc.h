/*
 * Segment descriptors, the 64-bit TSS and interrupt gates
 * (SDM Vol. 3A 3.4.5, 7.2.3, 6.14.1; APM 2 4.8, 12.2.5).
 * Built with make_* helpers from named fields, never with C bitfields.
 */
#ifndef X86_DESC_H
#define X86_DESC_H

#include <hv/types.h>

/* Our GDT layout (arch/x86/gdt.c); boot/x86_64/entry.asm uses the same selectors. */
#define GDT_NULL    0
#define GDT_CODE64  1
#define GDT_DATA    2
#define GDT_TSS     3 /* a 16-byte system descriptor: two slots */
#define GDT_ENTRIES 5
#define SEL_CODE64  (GDT_CODE64 << 3)
#define SEL_DATA    (GDT_DATA << 3)
#define SEL_TSS     (GDT_TSS << 3)

/* Code/data descriptor fields (SDM 3A 3.4.5) */
#define DESC_ACCESSED   BIT(40)
#define DESC_RW         BIT(41) /* data: writable; code: readable */
#define DESC_CODE       BIT(43)
#define DESC_S          BIT(44) /* code or data (not system) */
#define DESC_P          BIT(47)
#define DESC_L          BIT(53) /* 64-bit code */
#define DESC_DB         BIT(54)
#define DESC_G          BIT(55)
#define DESC_LIMIT_LOW  GENMASK(15, 0)
#define DESC_LIMIT_HIGH GENMASK(51, 48)

/* System descriptor type for an available 64-bit TSS (SDM 3A table 3-2) */
#define DESC_TYPE_TSS64 (0x9ull << 40)

/* Interrupt gate (SDM 3A 6.14.1): 16 bytes */
#define GATE_TYPE_INTR64 0xe
#define GATE_P           BIT(15)
#define GATE_IST_MASK    GENMASK(2, 0)

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u16 flags; /* IST in 2:0, type in 11:8, DPL in 14:13, P in 15 */
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

/* The 64-bit TSS (SDM 3A 7.7): only the IST pointers and RSP0 matter to us. */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7]; /* ist[0] is IST1 */
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

/* IST slots (1-based, as the gate encodes them): each has its own stack. */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3
#define IST_COUNT         3

#endif /* X86_DESC_H */
