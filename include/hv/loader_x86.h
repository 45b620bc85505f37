/*
 * What the x86 guest loaders share (vmm/loader/x86_boot.c): the initial
 * register state they return, the flat 32-bit protected-mode set-up both
 * Multiboot v1 and the Linux 32-bit boot protocol ask for, and the guest's
 * e820-style memory map.
 *
 * Segment attributes use the descriptor's access-rights layout (Intel SDM
 * Vol. 3A 3.4.5, bits 8-15 and 20-23 of the descriptor's high word, packed
 * as bits 0-7 and 12-15), which is the VMCS access-rights format without the
 * "unusable" bit; the VMCB's 12-bit attribute is
 * (ar & 0xff) | ((ar >> 4) & 0xf00).
 */
#ifndef HV_LOADER_X86_H
#define HV_LOADER_X86_H

#include <hv/loader.h>
#include <hv/types.h>

/* Access-rights bits (SDM Vol. 3A 3.4.5, Figure 3-8). */
#define X86_AR_TYPE_MASK             GENMASK(3, 0)
#define X86_AR_TYPE_DATA_RW_ACCESSED 0x3
#define X86_AR_TYPE_CODE_RX_ACCESSED 0xb
#define X86_AR_TYPE_LDT              0x2
#define X86_AR_TYPE_TSS32_BUSY       0xb
#define X86_AR_S                     BIT(4) /* code or data (not system) */
#define X86_AR_DPL_SHIFT             5
#define X86_AR_P                     BIT(7)
#define X86_AR_AVL                   BIT(12)
#define X86_AR_L                     BIT(13)
#define X86_AR_DB                    BIT(14)
#define X86_AR_G                     BIT(15)

/* Control registers and flags (SDM Vol. 3A 2.5, Vol. 1 3.4.3). */
#define X86_CR0_PE            BIT(0)
#define X86_CR0_ET            BIT(4)
#define X86_RFLAGS_RESERVED_1 BIT(1)

/* The selectors Linux's boot protocol names: __BOOT_CS and __BOOT_DS. */
#define X86_BOOT_CS     0x10
#define X86_BOOT_DS     0x18
#define X86_GDT_ENTRIES 4 /* null, unused, code, data */

struct x86_seg {
	u16 selector;
	u16 ar;    /* access rights, layout above */
	u32 limit; /* byte granular: 0xffffffff for a flat 4 GiB segment */
	u64 base;
};

/* The state a backend loads before the first VM entry. */
struct x86_boot_state {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, rip, rflags;
	u64 cr0, cr3, cr4, efer;
	struct x86_seg cs, ds, es, fs, gs, ss, tr, ldtr;
	u64 gdtr_base, idtr_base;
	u16 gdtr_limit, idtr_limit;
};

/*
 * Write a GDT at gdt (with flat code at X86_BOOT_CS and flat data at
 * X86_BOOT_DS) and fill st for 32-bit protected mode with paging off:
 * CS/DS/ES/FS/GS/SS flat, interrupts off, CR0 = PE | ET, CR4 = EFER = 0,
 * IDTR empty, TR a busy 32-bit TSS at 0, LDTR an empty LDT. General registers
 * are zeroed; the loader sets its own. 0 or the writer's error.
 */
int x86_boot_flat32(const struct guest_mem *m, gpa_t gdt, struct x86_boot_state *st);

/* e820 types (ACPI 6.5, Table 15.6 "Address Range Types"). */
#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2
#define E820_TYPE_ACPI     3
#define E820_TYPE_NVS      4
#define E820_TYPE_UNUSABLE 5

/* The legacy PC hole: VGA window and BIOS ROM area, always reserved. */
#define X86_LEGACY_HOLE_BASE 0xa0000ull
#define X86_LEGACY_HOLE_END  0x100000ull

struct x86_e820_entry {
	u64 addr;
	u64 size;
	u32 type;
};

#define X86_E820_MAX 128

/*
 * The guest's memory map: m's RAM as E820_TYPE_RAM, the caller's reserved
 * ranges and the legacy hole (where RAM covers it) as E820_TYPE_RESERVED,
 * reserved winning where they overlap; sorted, merged, nothing else listed.
 * Returns the entry count (<= max), or HV_ENOMEM if more are needed, or
 * HV_EINVAL for more than LOADER_RANGES_MAX reserved ranges or a wrapping one.
 */
int x86_e820_build(const struct guest_mem *m, const struct guest_range *reserved,
		   u32 reserved_count, struct x86_e820_entry *out, u32 max);

#endif /* HV_LOADER_X86_H */
