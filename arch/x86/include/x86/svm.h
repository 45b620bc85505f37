/*
 * AMD SVM hardware layouts: the VMCB, exit codes, intercept bits, event
 * injection, interrupt control, the I/O and MSR permission maps, and the
 * SVM MSRs. Everything cites the AMD64 Architecture Programmer's Manual,
 * Volume 2 (System Programming), chapter 15 "Secure Virtual Machine" and
 * appendix B "Layout of VMCB" / appendix C "SVM Intercept Exit Codes".
 *
 * The VMCB is one 4 KiB page: the control area (offsets 0x000-0x3ff,
 * table B-1) then the state save area (0x400-..., table B-2). It is a C
 * struct with explicit reserved padding; every field's offset is pinned by
 * a _Static_assert against the table, so a typo cannot move a field.
 */
#ifndef X86_SVM_H
#define X86_SVM_H

#include <hv/types.h>

/* --- MSRs (APM 2, 15.30) ------------------------------------------------------------------ */

#define MSR_VM_HSAVE_PA 0xc0010117 /* 15.30.4: host state save area, 4 KiB aligned */

/* --- intercept vectors (table B-1, offsets 0x000-0x017) --------------------------------- */

/* Word 3 (offset 0x00c): "intercept vector 3". */
#define SVM_INTERCEPT_INTR        BIT(0)
#define SVM_INTERCEPT_NMI         BIT(1)
#define SVM_INTERCEPT_SMI         BIT(2)
#define SVM_INTERCEPT_INIT        BIT(3)
#define SVM_INTERCEPT_VINTR       BIT(4)
#define SVM_INTERCEPT_CR0_SEL     BIT(5)
#define SVM_INTERCEPT_RDTSC       BIT(14)
#define SVM_INTERCEPT_RDPMC       BIT(15)
#define SVM_INTERCEPT_CPUID       BIT(18)
#define SVM_INTERCEPT_RSM         BIT(19)
#define SVM_INTERCEPT_IRET        BIT(20)
#define SVM_INTERCEPT_INVD        BIT(22)
#define SVM_INTERCEPT_PAUSE       BIT(23)
#define SVM_INTERCEPT_HLT         BIT(24)
#define SVM_INTERCEPT_INVLPG      BIT(25)
#define SVM_INTERCEPT_INVLPGA     BIT(26)
#define SVM_INTERCEPT_IOIO_PROT   BIT(27)
#define SVM_INTERCEPT_MSR_PROT    BIT(28)
#define SVM_INTERCEPT_TASK_SWITCH BIT(29)
#define SVM_INTERCEPT_FERR_FREEZE BIT(30)
#define SVM_INTERCEPT_SHUTDOWN    BIT(31)

/* Word 4 (offset 0x010): "intercept vector 4". */
#define SVM_INTERCEPT_VMRUN      BIT(0) /* must be set (15.5.1) */
#define SVM_INTERCEPT_VMMCALL    BIT(1)
#define SVM_INTERCEPT_VMLOAD     BIT(2)
#define SVM_INTERCEPT_VMSAVE     BIT(3)
#define SVM_INTERCEPT_STGI       BIT(4)
#define SVM_INTERCEPT_CLGI       BIT(5)
#define SVM_INTERCEPT_SKINIT     BIT(6)
#define SVM_INTERCEPT_RDTSCP     BIT(7)
#define SVM_INTERCEPT_ICEBP      BIT(8)
#define SVM_INTERCEPT_WBINVD     BIT(9)
#define SVM_INTERCEPT_MONITOR    BIT(10)
#define SVM_INTERCEPT_MWAIT      BIT(11)
#define SVM_INTERCEPT_MWAIT_COND BIT(12)
#define SVM_INTERCEPT_XSETBV     BIT(13)
#define SVM_INTERCEPT_RDPRU      BIT(14)

/* Word 5 (offset 0x014): "intercept vector 5". */
#define SVM_INTERCEPT_INVLPGB     BIT(0)
#define SVM_INTERCEPT_INVLPGB_ILL BIT(1)
#define SVM_INTERCEPT_INVPCID     BIT(2)
#define SVM_INTERCEPT_MCOMMIT     BIT(3)
#define SVM_INTERCEPT_TLBSYNC     BIT(4)

/* Exception intercepts (offset 0x008): bit n intercepts vector n. */
#define SVM_INTERCEPT_EXCEPTION(v) BIT(v)

/* --- TLB control (offset 0x05c, 15.16.1) -------------------------------------------------- */

#define SVM_TLB_CONTROL_NOTHING    0x00
#define SVM_TLB_CONTROL_FLUSH_ALL  0x01 /* every ASID: always supported */
#define SVM_TLB_CONTROL_FLUSH_ASID 0x03 /* this ASID: with CPUID flush-by-ASID */

/* --- virtual interrupt control (offset 0x060, 15.21) ------------------------------------- */

#define SVM_INT_CTL_V_TPR_MASK        GENMASK(7, 0)
#define SVM_INT_CTL_V_IRQ             BIT(8)
#define SVM_INT_CTL_V_GIF             BIT(9)
#define SVM_INT_CTL_V_INTR_PRIO_SHIFT 16
#define SVM_INT_CTL_V_INTR_PRIO_MASK  GENMASK(19, 16)
#define SVM_INT_CTL_V_IGN_TPR         BIT(20)
#define SVM_INT_CTL_V_INTR_MASKING    BIT(24) /* 15.21.1: physical IRQs masked by host IF */
#define SVM_INT_CTL_V_GIF_ENABLE      BIT(25)
#define SVM_INT_CTL_AVIC_ENABLE       BIT(31)
#define SVM_INT_VECTOR_MASK           GENMASK(7, 0) /* offset 0x064 */

/* Interrupt state (offset 0x068). */
#define SVM_INT_STATE_SHADOW   BIT(0) /* the guest is in an interrupt shadow (STI, MOV SS) */
#define SVM_INT_STATE_GUEST_IF BIT(1) /* the guest's IF, with V_INTR_MASKING */

/* --- nested paging (offset 0x090, 15.25.3) --------------------------------------------- */

#define SVM_NESTED_CTL_NP_ENABLE BIT(0)

/* --- event injection (EVENTINJ, offset 0x0a8, and EXITINTINFO, 0x088; 15.20) ------------ */

#define SVM_EVT_VECTOR_MASK GENMASK(7, 0)
#define SVM_EVT_TYPE_SHIFT  8
#define SVM_EVT_TYPE_MASK   GENMASK(10, 8)
#define SVM_EVT_TYPE_INTR   (0ull << SVM_EVT_TYPE_SHIFT) /* external or virtual interrupt */
#define SVM_EVT_TYPE_NMI    (2ull << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_EXCEPT (3ull << SVM_EVT_TYPE_SHIFT) /* fault or trap */
#define SVM_EVT_TYPE_SOFT   (4ull << SVM_EVT_TYPE_SHIFT) /* INTn */
#define SVM_EVT_ERROR_VALID BIT(11)
#define SVM_EVT_VALID       BIT(31)
#define SVM_EVT_ERROR_SHIFT 32

/* --- exit codes (appendix C) ----------------------------------------------------------- */

#define SVM_EXIT_CR0_READ        0x000 /* + n for CRn */
#define SVM_EXIT_CR0_WRITE       0x010
#define SVM_EXIT_DR0_READ        0x020
#define SVM_EXIT_DR0_WRITE       0x030
#define SVM_EXIT_EXCP_BASE       0x040 /* + vector */
#define SVM_EXIT_INTR            0x060
#define SVM_EXIT_NMI             0x061
#define SVM_EXIT_SMI             0x062
#define SVM_EXIT_INIT            0x063
#define SVM_EXIT_VINTR           0x064
#define SVM_EXIT_CR0_SEL_WRITE   0x065
#define SVM_EXIT_RDTSC           0x06e
#define SVM_EXIT_RDPMC           0x06f
#define SVM_EXIT_PUSHF           0x070
#define SVM_EXIT_POPF            0x071
#define SVM_EXIT_CPUID           0x072
#define SVM_EXIT_RSM             0x073
#define SVM_EXIT_IRET            0x074
#define SVM_EXIT_SWINT           0x075
#define SVM_EXIT_INVD            0x076
#define SVM_EXIT_PAUSE           0x077
#define SVM_EXIT_HLT             0x078
#define SVM_EXIT_INVLPG          0x079
#define SVM_EXIT_INVLPGA         0x07a
#define SVM_EXIT_IOIO            0x07b
#define SVM_EXIT_MSR             0x07c
#define SVM_EXIT_TASK_SWITCH     0x07d
#define SVM_EXIT_FERR_FREEZE     0x07e
#define SVM_EXIT_SHUTDOWN        0x07f
#define SVM_EXIT_VMRUN           0x080
#define SVM_EXIT_VMMCALL         0x081
#define SVM_EXIT_VMLOAD          0x082
#define SVM_EXIT_VMSAVE          0x083
#define SVM_EXIT_STGI            0x084
#define SVM_EXIT_CLGI            0x085
#define SVM_EXIT_SKINIT          0x086
#define SVM_EXIT_RDTSCP          0x087
#define SVM_EXIT_ICEBP           0x088
#define SVM_EXIT_WBINVD          0x089
#define SVM_EXIT_MONITOR         0x08a
#define SVM_EXIT_MWAIT           0x08b
#define SVM_EXIT_MWAIT_COND      0x08c
#define SVM_EXIT_XSETBV          0x08d
#define SVM_EXIT_RDPRU           0x08e
#define SVM_EXIT_EFER_WRITE_TRAP 0x08f
#define SVM_EXIT_CR0_WRITE_TRAP  0x090
#define SVM_EXIT_INVLPGB         0x0a0
#define SVM_EXIT_INVLPGB_ILL     0x0a1
#define SVM_EXIT_INVPCID         0x0a2
#define SVM_EXIT_MCOMMIT         0x0a3
#define SVM_EXIT_TLBSYNC         0x0a4
#define SVM_EXIT_NPF             0x400
#define SVM_EXIT_AVIC_IPI        0x401
#define SVM_EXIT_AVIC_NOACCEL    0x402
#define SVM_EXIT_VMGEXIT         0x403
/* VMRUN's consistency checks failed (15.5.1); reads as -1, QEMU sets only the low half. */
#define SVM_EXIT_INVALID       0xffffffffull
#define SVM_EXIT_CODE_LOW_MASK GENMASK(31, 0)

/* MSR exits: EXITINFO1 (15.11). */
#define SVM_MSR_EXIT_READ  0
#define SVM_MSR_EXIT_WRITE 1

/* IOIO exits: EXITINFO1 (15.10.2, figure 15-2); EXITINFO2 = the next RIP. */
#define SVM_IOIO_TYPE_IN    BIT(0)
#define SVM_IOIO_STR        BIT(2)
#define SVM_IOIO_REP        BIT(3)
#define SVM_IOIO_SZ8        BIT(4)
#define SVM_IOIO_SZ16       BIT(5)
#define SVM_IOIO_SZ32       BIT(6)
#define SVM_IOIO_SIZE_MASK  (SVM_IOIO_SZ8 | SVM_IOIO_SZ16 | SVM_IOIO_SZ32)
#define SVM_IOIO_SIZE_SHIFT 4
#define SVM_IOIO_PORT_SHIFT 16
#define SVM_IOIO_PORT_MASK  GENMASK(31, 16)

/* #NPF: EXITINFO1 is a page-fault error code plus two bits (15.25.6); EXITINFO2 the GPA. */
#define SVM_NPF_P           BIT(0)
#define SVM_NPF_W           BIT(1)
#define SVM_NPF_U           BIT(2)
#define SVM_NPF_RSVD        BIT(3)
#define SVM_NPF_ID          BIT(4)
#define SVM_NPF_FINAL_GPA   BIT(32) /* fault on the final guest-physical address */
#define SVM_NPF_GUEST_TABLE BIT(33) /* fault on a guest page-table access */

/* --- instruction lengths without next-RIP save (one opcode, no prefixes) ------------- */

#define SVM_INSN_LEN_CPUID   2 /* 0f a2 */
#define SVM_INSN_LEN_HLT     1 /* f4 */
#define SVM_INSN_LEN_RDMSR   2 /* 0f 32 */
#define SVM_INSN_LEN_WRMSR   2 /* 0f 30 */
#define SVM_INSN_LEN_VMMCALL 3 /* 0f 01 d9 */
#define SVM_INSN_LEN_INVD    2 /* 0f 08 */

/* --- permission maps (15.10.1 IOPM, 15.11 MSRPM) ---------------------------------------- */

#define SVM_IOPM_SIZE  (3 * PAGE_SIZE) /* 12 KiB, 4 KiB aligned: one bit per port + 3 */
#define SVM_MSRPM_SIZE (2 * PAGE_SIZE) /* 8 KiB, 4 KiB aligned: two bits per MSR */
/* MSRPM: three 2 KiB vectors of 8192 MSRs each, a read bit then a write bit per MSR. */
#define SVM_MSRPM_VECTOR_BYTES 0x800
#define SVM_MSRPM_VECTOR_MSRS  0x2000
#define SVM_MSRPM_RANGE0_BASE  0x00000000u /* bytes 0x0000-0x07ff */
#define SVM_MSRPM_RANGE1_BASE  0xc0000000u /* bytes 0x0800-0x0fff */
#define SVM_MSRPM_RANGE2_BASE  0xc0010000u /* bytes 0x1000-0x17ff */
#define SVM_MSRPM_READ_BIT     0
#define SVM_MSRPM_WRITE_BIT    1

/* --- the VMCB (appendix B) --------------------------------------------------------------- */

/* A segment in the state save area: selector, attributes, limit, base (table B-2). */
struct vmcb_seg {
	u16 selector;
	u16 attrib; /* descriptor bits 47:40 in 7:0, 55:52 in 11:8 */
	u32 limit;
	u64 base;
};
_Static_assert(sizeof(struct vmcb_seg) == 16, "table B-2: a segment is 16 bytes");

/* Segment attribute bits (the descriptor's access byte and flags, packed). */
#define SVM_SEG_ATTR_TYPE_MASK GENMASK(3, 0)
#define SVM_SEG_ATTR_S         BIT(4)
#define SVM_SEG_ATTR_DPL_SHIFT 5
#define SVM_SEG_ATTR_P         BIT(7)
#define SVM_SEG_ATTR_AVL       BIT(8)
#define SVM_SEG_ATTR_L         BIT(9)
#define SVM_SEG_ATTR_DB        BIT(10)
#define SVM_SEG_ATTR_G         BIT(11)
/*
 * From the VMX-style access rights of hv/loader_x86.h (descriptor bits
 * 47:40 in 7:0, 55:52 in 15:12) to the VMCB's packing (55:52 in 11:8).
 */
#define SVM_SEG_AR_LOW_MASK   GENMASK(7, 0)
#define SVM_SEG_AR_HIGH_MASK  GENMASK(15, 12)
#define SVM_SEG_AR_HIGH_SHIFT 4

struct vmcb_control {
	u32 intercept_cr;         /* 0x000: CR reads 15:0, CR writes 31:16 */
	u32 intercept_dr;         /* 0x004: DR reads 15:0, DR writes 31:16 */
	u32 intercept_exceptions; /* 0x008 */
	u32 intercept_misc1;      /* 0x00c: vector 3 */
	u32 intercept_misc2;      /* 0x010: vector 4 */
	u32 intercept_misc3;      /* 0x014: vector 5 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold; /* 0x03c */
	u16 pause_filter_count;     /* 0x03e */
	u64 iopm_base_pa;           /* 0x040 */
	u64 msrpm_base_pa;          /* 0x048 */
	u64 tsc_offset;             /* 0x050 */
	u32 guest_asid;             /* 0x058 */
	u8 tlb_control;             /* 0x05c */
	u8 reserved_05d[3];
	u32 int_ctl;    /* 0x060: V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING */
	u32 int_vector; /* 0x064 */
	u32 int_state;  /* 0x068: interrupt shadow */
	u8 reserved_06c[4];
	u64 exit_code;     /* 0x070 */
	u64 exit_info1;    /* 0x078 */
	u64 exit_info2;    /* 0x080 */
	u64 exit_int_info; /* 0x088: EXITINTINFO, EVENTINJ format */
	u64 nested_ctl;    /* 0x090: NP_ENABLE */
	u64 avic_apic_bar; /* 0x098 */
	u64 ghcb_gpa;      /* 0x0a0 */
	u64 event_inj;     /* 0x0a8: EVENTINJ */
	u64 nested_cr3;    /* 0x0b0: nCR3 */
	u64 virt_ext;      /* 0x0b8: LBR virtualization, virtual VMLOAD/VMSAVE */
	u32 vmcb_clean;    /* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;      /* 0x0c8: with NRIP save */
	u8 insn_len;       /* 0x0d0: with decode assists */
	u8 insn_bytes[15]; /* 0x0d1 */
	u8 reserved_0e0[0x400 - 0x0e0];
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 .. 0x45f */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 .. 0x49f */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl; /* 0x4cb */
	u8 reserved_4cc[4];
	u64 efer; /* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;    /* 0x548 */
	u64 cr3;    /* 0x550 */
	u64 cr0;    /* 0x558 */
	u64 dr7;    /* 0x560 */
	u64 dr6;    /* 0x568 */
	u64 rflags; /* 0x570 */
	u64 rip;    /* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp; /* 0x5d8 */
	u8 reserved_5e0[0x5f8 - 0x5e0];
	u64 rax;            /* 0x5f8 */
	u64 star;           /* 0x600 */
	u64 lstar;          /* 0x608 */
	u64 cstar;          /* 0x610 */
	u64 sfmask;         /* 0x618 */
	u64 kernel_gs_base; /* 0x620 */
	u64 sysenter_cs;    /* 0x628 */
	u64 sysenter_esp;   /* 0x630 */
	u64 sysenter_eip;   /* 0x638 */
	u64 cr2;            /* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;  /* 0x668 */
	u64 dbgctl; /* 0x670 */
	u8 reserved_678[0x1000 - 0x678];
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

#define VMCB_OFF(field) __builtin_offsetof(struct vmcb, field)
_Static_assert(sizeof(struct vmcb) == PAGE_SIZE, "the VMCB is one 4 KiB page");
_Static_assert(VMCB_OFF(control.intercept_misc1) == 0x00c, "B-1: intercept vector 3");
_Static_assert(VMCB_OFF(control.intercept_misc3) == 0x014, "B-1: intercept vector 5");
_Static_assert(VMCB_OFF(control.iopm_base_pa) == 0x040, "B-1: IOPM_BASE_PA");
_Static_assert(VMCB_OFF(control.msrpm_base_pa) == 0x048, "B-1: MSRPM_BASE_PA");
_Static_assert(VMCB_OFF(control.tsc_offset) == 0x050, "B-1: TSC_OFFSET");
_Static_assert(VMCB_OFF(control.guest_asid) == 0x058, "B-1: guest ASID");
_Static_assert(VMCB_OFF(control.tlb_control) == 0x05c, "B-1: TLB_CONTROL");
_Static_assert(VMCB_OFF(control.int_ctl) == 0x060, "B-1: V_TPR .. V_INTR_MASKING");
_Static_assert(VMCB_OFF(control.int_state) == 0x068, "B-1: interrupt shadow");
_Static_assert(VMCB_OFF(control.exit_code) == 0x070, "B-1: EXITCODE");
_Static_assert(VMCB_OFF(control.exit_info1) == 0x078, "B-1: EXITINFO1");
_Static_assert(VMCB_OFF(control.exit_info2) == 0x080, "B-1: EXITINFO2");
_Static_assert(VMCB_OFF(control.exit_int_info) == 0x088, "B-1: EXITINTINFO");
_Static_assert(VMCB_OFF(control.nested_ctl) == 0x090, "B-1: NP_ENABLE");
_Static_assert(VMCB_OFF(control.event_inj) == 0x0a8, "B-1: EVENTINJ");
_Static_assert(VMCB_OFF(control.nested_cr3) == 0x0b0, "B-1: N_CR3");
_Static_assert(VMCB_OFF(control.vmcb_clean) == 0x0c0, "B-1: VMCB clean bits");
_Static_assert(VMCB_OFF(control.next_rip) == 0x0c8, "B-1: nRIP");
_Static_assert(VMCB_OFF(control.insn_bytes) == 0x0d1, "B-1: guest instruction bytes");
_Static_assert(VMCB_OFF(save.es) == 0x400, "B-2: ES");
_Static_assert(VMCB_OFF(save.cs) == 0x410, "B-2: CS");
_Static_assert(VMCB_OFF(save.gdtr) == 0x460, "B-2: GDTR");
_Static_assert(VMCB_OFF(save.tr) == 0x490, "B-2: TR");
_Static_assert(VMCB_OFF(save.cpl) == 0x4cb, "B-2: CPL");
_Static_assert(VMCB_OFF(save.efer) == 0x4d0, "B-2: EFER");
_Static_assert(VMCB_OFF(save.cr4) == 0x548, "B-2: CR4");
_Static_assert(VMCB_OFF(save.cr0) == 0x558, "B-2: CR0");
_Static_assert(VMCB_OFF(save.rflags) == 0x570, "B-2: RFLAGS");
_Static_assert(VMCB_OFF(save.rip) == 0x578, "B-2: RIP");
_Static_assert(VMCB_OFF(save.rsp) == 0x5d8, "B-2: RSP");
_Static_assert(VMCB_OFF(save.rax) == 0x5f8, "B-2: RAX");
_Static_assert(VMCB_OFF(save.star) == 0x600, "B-2: STAR");
_Static_assert(VMCB_OFF(save.sysenter_eip) == 0x638, "B-2: SYSENTER_EIP");
_Static_assert(VMCB_OFF(save.cr2) == 0x640, "B-2: CR2");
_Static_assert(VMCB_OFF(save.g_pat) == 0x668, "B-2: G_PAT");

/* The power-on PAT (APM 2, 7.8.2): the guest's before it writes its own. */
#define SVM_GUEST_PAT_RESET 0x0007040600070406ull
/* DR6 and DR7 at reset (APM 2, 13.1.1.5, 13.1.1.6). */
#define X86_DR6_RESET 0xffff0ff0ull
#define X86_DR7_RESET 0x00000400ull

#endif /* X86_SVM_H */
