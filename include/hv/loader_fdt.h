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

#include <hv/fdt_format.h>
#include <hv/types.h>

/* What the writer produces (the format's constants are in hv/fdt_format.h). */
#define FDT_VERSION     17
#define FDT_LAST_COMP   16
#define FDT_STRINGS_MAX 1024 /* property-name bytes per tree */
#define FDT_DEPTH_MAX   16

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
