/*
 * 4-level x86-64 paging entries (SDM Vol. 3A 4.5, tables 4-14 to 4-20; APM 2 5.3).
 * The hypervisor's own tables only; guest formats (EPT, NPT) live in vmm/mmu.
 */
#ifndef X86_PAGING_H
#define X86_PAGING_H

#include <hv/types.h>

#define PTE_P   BIT(0)  /* present */
#define PTE_RW  BIT(1)  /* writable */
#define PTE_US  BIT(2)  /* user accessible */
#define PTE_PWT BIT(3)  /* write-through */
#define PTE_PCD BIT(4)  /* cache disable */
#define PTE_A   BIT(5)  /* accessed */
#define PTE_D   BIT(6)  /* dirty (leaves) */
#define PTE_PS  BIT(7)  /* 2M/1G leaf in a PD/PDPT entry (PAT in a 4K PTE) */
#define PTE_G   BIT(8)  /* global (leaves, with CR4.PGE) */
#define PTE_NX  BIT(63) /* no execute (with EFER.NXE) */

/* Physical address bits of an entry: 51:12 (MAXPHYADDR may be lower). */
#define PTE_ADDR_MASK     GENMASK(51, 12)

#define PT_LEVELS         4
#define PT_ENTRIES        512
#define PT_LEVEL_SHIFT(l) (PAGE_SHIFT + 9 * ((l)-1)) /* level 1 = 4K PTE ... 4 = PML4E */
#define PT_INDEX(va, l)   (((va) >> PT_LEVEL_SHIFT(l)) & (PT_ENTRIES - 1))

_Static_assert(PT_LEVEL_SHIFT(2) == 21, "a level-2 leaf maps 2 MiB");
_Static_assert(PT_LEVEL_SHIFT(3) == 30, "a level-3 leaf maps 1 GiB");

#endif /* X86_PAGING_H */
