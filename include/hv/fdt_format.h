/*
 * The flattened device tree (DTB) format itself, shared by the reader that
 * checks the tree the boot loader passed (hv/fdt.h, boot/fdt_read.c) and the
 * writer that builds the trees hv gives its arm64 guests (hv/loader_fdt.h,
 * vmm/loader/fdt_writer.c). Devicetree Specification v0.4, chapter 5
 * "Flattened Devicetree (DTB) Format". Every field is big-endian.
 */
#ifndef HV_FDT_FORMAT_H
#define HV_FDT_FORMAT_H

#define FDT_MAGIC       0xd00dfeedu
#define FDT_HEADER_SIZE 40 /* ten u32 fields (5.2) */

/* Header field offsets (5.2). */
#define FDT_OFF_MAGIC             0
#define FDT_OFF_TOTALSIZE         4
#define FDT_OFF_DT_STRUCT         8
#define FDT_OFF_DT_STRINGS        12
#define FDT_OFF_MEM_RSVMAP        16
#define FDT_OFF_VERSION           20
#define FDT_OFF_LAST_COMP_VERSION 24
#define FDT_OFF_BOOT_CPUID_PHYS   28
#define FDT_OFF_SIZE_DT_STRINGS   32
#define FDT_OFF_SIZE_DT_STRUCT    36

_Static_assert(FDT_OFF_SIZE_DT_STRUCT + 4 == FDT_HEADER_SIZE, "the header is ten u32 fields");

/* Structure-block tokens (5.4.1), each a u32 aligned to FDT_TOKEN_ALIGN. */
#define FDT_BEGIN_NODE  0x1u
#define FDT_END_NODE    0x2u
#define FDT_PROP        0x3u
#define FDT_NOP         0x4u
#define FDT_END         0x9u
#define FDT_TOKEN_ALIGN 4

/* FDT_PROP is followed by u32 len and u32 nameoff (5.4.1). */
#define FDT_PROP_HDR_SIZE 8u

/* Memory reservation block (5.3): u64 address, u64 size pairs, 8-byte aligned. */
#define FDT_RSVMAP_ALIGN   8u
#define FDT_RSV_ENTRY_SIZE 16u

#endif /* HV_FDT_FORMAT_H */
