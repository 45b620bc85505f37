/*
 * A flattened device tree writer (vmm/loader/fdt_writer.c): builds a DTB
 * from scratch into a caller's buffer, for the device trees hv writes for
 * its arm64 guests. Errors are sticky: calls after the first failure do
 * nothing, and fdt_finish() reports it, so callers write a whole tree and
 * check once.
 *
 * Format: Devicetree Specification v0.4, chapter 5 "Flattened Devicetree
 * (DTB) Format": a big-endian header, the memory reservation block, the
 * structure block (tokens), the strings block. Version 17, last compatible 16.
 */
#ifndef HV_LOADER_FDT_H
#define HV_LOADER_FDT_H

#include <hv/types.h>

#define FDT_MAGIC        0xd00dfeedu
#define FDT_VERSION      17
#define FDT_LAST_COMP    16
#define FDT_HEADER_SIZE  40
#define FDT_BEGIN_NODE   0x1u
#define FDT_END_NODE     0x2u
#define FDT_PROP         0x3u
#define FDT_NOP          0x4u
#define FDT_END          0x9u
#define FDT_TOKEN_ALIGN  4
#define FDT_RSVMAP_ALIGN 8
#define FDT_STRINGS_MAX  1024 /* property-name bytes per tree */
#define FDT_DEPTH_MAX    16

/* Header fields, big-endian u32 each (DT spec 5.2). */
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

struct fdt_writer {
	u8 *buf;
	size_t cap;
	size_t struct_start, pos; /* the structure block grows at buf + pos */
	char strings[FDT_STRINGS_MAX];
	size_t strings_len;
	int depth;
	int err;
};

/* Start a tree in buf (cap bytes) with an empty reservation block. */
void fdt_begin(struct fdt_writer *w, void *buf, size_t cap);
void fdt_begin_node(struct fdt_writer *w, const char *name);
void fdt_end_node(struct fdt_writer *w);
void fdt_prop(struct fdt_writer *w, const char *name, const void *val, size_t len);
void fdt_prop_empty(struct fdt_writer *w, const char *name);
void fdt_prop_u32(struct fdt_writer *w, const char *name, u32 v);
void fdt_prop_u64(struct fdt_writer *w, const char *name, u64 v);
void fdt_prop_str(struct fdt_writer *w, const char *name, const char *s);
/* Cells are given in host order and stored big-endian. */
void fdt_prop_cells(struct fdt_writer *w, const char *name, const u32 *cells, size_t count);

/*
 * Close the tree: append the strings block and write the header. Returns the
 * total size (> 0), or HV_ENOMEM (buffer or strings table too small),
 * HV_EINVAL (unbalanced nodes, a property outside a node, bad names).
 */
int fdt_finish(struct fdt_writer *w);

#endif /* HV_LOADER_FDT_H */
