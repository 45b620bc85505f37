/*
 * x86 control registers, EFER and RFLAGS: bit layouts as named constants.
 * Intel SDM Vol. 3A 2.5 (control registers), 2.2.1 (EFER), Vol. 1 3.4.3 (EFLAGS);
 * AMD APM Vol. 2 3.1.
 */
#ifndef X86_REGS_H
#define X86_REGS_H

#include <hv/types.h>

/* CR0 (SDM 3A 2.5) */
#define CR0_PE BIT(0)  /* protected mode */
#define CR0_MP BIT(1)  /* monitor coprocessor */
#define CR0_EM BIT(2)  /* x87 emulation */
#define CR0_TS BIT(3)  /* task switched */
#define CR0_ET BIT(4)  /* extension type */
#define CR0_NE BIT(5)  /* numeric error */
#define CR0_WP BIT(16) /* supervisor writes honour read-only pages */
#define CR0_AM BIT(18) /* alignment mask */
#define CR0_NW BIT(29) /* not write-through */
#define CR0_CD BIT(30) /* cache disable */
#define CR0_PG BIT(31) /* paging */

/* CR4 (SDM 3A 2.5) */
#define CR4_VME        BIT(0)
#define CR4_PVI        BIT(1)
#define CR4_TSD        BIT(2) /* RDTSC privileged */
#define CR4_DE         BIT(3)
#define CR4_PSE        BIT(4)
#define CR4_PAE        BIT(5)
#define CR4_MCE        BIT(6)
#define CR4_PGE        BIT(7) /* global pages */
#define CR4_PCE        BIT(8)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP       BIT(11)
#define CR4_LA57       BIT(12)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)
#define CR4_FSGSBASE   BIT(16)
#define CR4_PCIDE      BIT(17)
#define CR4_OSXSAVE    BIT(18)
#define CR4_SMEP       BIT(20)
#define CR4_SMAP       BIT(21)
#define CR4_PKE        BIT(22)
#define CR4_CET        BIT(23)

/* RFLAGS (SDM 1 3.4.3) */
#define RFLAGS_CF  BIT(0)
#define RFLAGS_PF  BIT(2)
#define RFLAGS_AF  BIT(4)
#define RFLAGS_ZF  BIT(6)
#define RFLAGS_SF  BIT(7)
#define RFLAGS_TF  BIT(8)
#define RFLAGS_IF  BIT(9)
#define RFLAGS_DF  BIT(10)
#define RFLAGS_OF  BIT(11)
#define RFLAGS_NT  BIT(14)
#define RFLAGS_RF  BIT(16)
#define RFLAGS_VM  BIT(17)
#define RFLAGS_AC  BIT(18)
#define RFLAGS_VIF BIT(19)
#define RFLAGS_VIP BIT(20)
#define RFLAGS_ID  BIT(21)

/* Page-fault error code (SDM 3A 4.7) */
#define PF_ERR_P    BIT(0) /* 0: not present, 1: protection violation */
#define PF_ERR_W    BIT(1) /* the access was a write */
#define PF_ERR_U    BIT(2) /* user-mode access */
#define PF_ERR_RSVD BIT(3) /* reserved bit set in a paging entry */
#define PF_ERR_I    BIT(4) /* instruction fetch */
#define PF_ERR_PK   BIT(5) /* protection key */
#define PF_ERR_SS   BIT(6) /* shadow stack */

#endif /* X86_REGS_H */
