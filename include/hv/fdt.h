/*
 * Flattened device tree (DTB) reading, and what the hypervisor takes from it.
 *
 * Two layers, both plain C that also runs on the host and, on arm64, with
 * the MMU still off (so: no allocation, no logging, no atomics, byte-wise
 * reads of big-endian fields):
 *
 *   fdt_open() and the fdt_* accessors (boot/fdt_read.c) check a blob once,
 *   completely (header, block bounds, every token, name and property length),
 *   and then walk it without further surprises. Nodes are named by the offset
 *   of their FDT_BEGIN_NODE token in the structure block.
 *
 *   fdt_parse() (boot/fdt.c) turns a checked blob into a struct fdt_platform:
 *   RAM, reserved memory, /chosen, the console UART, the interrupt
 *   controller and the timer, with problems reported through a callback.
 *   fdt_to_bootinfo() puts that into the arch-neutral struct boot_info.
 *
 * The format is the Devicetree Specification v0.4, chapter 5 ("Flattened
 * Devicetree (DTB) Format"); the bindings used are the Linux ones for memory,
 * reserved-memory, chosen, arm,pl011, arm,gic-* and arm,armv8-timer.
 */
#ifndef HV_FDT_H
#define HV_FDT_H

#include <hv/bootinfo.h>
#include <hv/fdt_format.h>
#include <hv/types.h>

/* What the reader accepts (the format's constants are in hv/fdt_format.h). */
#define FDT_FIRST_VERSION 16u /* oldest layout we read */
#define FDT_LAST_COMP_MAX 17u /* newest last_comp_version we understand */
#define FDT_MAX_DEPTH     16u /* deeper trees are refused */
/* Linux's arm64 boot protocol caps the DTB at 2 MiB; so do we. */
#define FDT_MAX_SIZE (2u << 20)

/* A checked blob. */
struct fdt {
	const u8 *blob;
	u32 size; /* totalsize from the header */
	u32 struct_off, struct_size;
	u32 strings_off, strings_size;
	u32 rsvmap_off;
	u32 rsv_count; /* entries in the memory reservation block */
};

/* Why fdt_open() refused a blob: a fixed phrase and the byte offset in the blob. */
struct fdt_error {
	const char *what;
	u32 offset;
};

/*
 * Check the blob at blob, of which avail bytes may be read, and fill fdt.
 * Returns 0, or HV_EINVAL with err saying what was wrong and where. Nothing
 * beyond min(avail, totalsize) is ever read.
 */
int fdt_open(struct fdt *fdt, const void *blob, size_t avail, struct fdt_error *err);

/* Read the big-endian size-and-address cells at p (cells 0..2); byte-wise. */
u32 fdt_be32(const void *p);
u64 fdt_cells(const void *p, u32 cells);

/* The root node (always exists in an opened blob). */
int fdt_root(const struct fdt *fdt);
/* First child / next sibling of node, or -1. */
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);
/* Pre-order successor of node (children first), or -1 at the end of the tree. */
int fdt_next_node(const struct fdt *fdt, int node);
/* The parent of node, or -1 for the root. Walks from the root: O(tree). */
int fdt_parent(const struct fdt *fdt, int node);
/* Name with unit address ("memory@40000000"); "" for the root. */
const char *fdt_node_name(const struct fdt *fdt, int node);
/*
 * Property value and length (bytes), or NULL when node has no such property.
 * The value is 4-byte aligned within the blob, not necessarily in memory.
 */
const void *fdt_getprop(const struct fdt *fdt, int node, const char *name, u32 *len);
/* A property holding one u32 cell, or dflt when absent or of the wrong size. */
u32 fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, u32 dflt);
/* A NUL-terminated string property, or NULL when absent or unterminated. */
const char *fdt_getprop_str(const struct fdt *fdt, int node, const char *name);
/* Whether node's "compatible" string list contains compat. */
bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);
/* Whether node's "status" is absent, "okay" or "ok". */
bool fdt_is_enabled(const struct fdt *fdt, int node);
/*
 * Node at an absolute path ("/chosen", "/soc/uart@1000"); a component
 * without '@' also matches a node name with a unit address. -1 if none.
 * Only the first path_len bytes of path are used.
 */
int fdt_find_path(const struct fdt *fdt, const char *path, size_t path_len);
/* Node whose "phandle" is ph, or -1. */
int fdt_find_phandle(const struct fdt *fdt, u32 ph);
/* Entry i of the memory reservation block (i < fdt->rsv_count). */
void fdt_rsv_entry(const struct fdt *fdt, u32 i, u64 *base, u64 *size);
/*
 * The index-th (address, size) pair of node's "reg", translated to a CPU
 * physical address through the "ranges" of every ancestor. Returns 0,
 * HV_ENOENT (no such entry), HV_EINVAL (malformed cells) or HV_ERANGE (an
 * ancestor's ranges does not cover it, or the bus is not memory-mapped).
 */
int fdt_reg(const struct fdt *fdt, int node, u32 index, u64 *base, u64 *size);

/* ---- what the hypervisor takes from a device tree (boot/fdt.c) ---------------- */

#define FDT_MAX_RAM      32
#define FDT_MAX_RESERVED 32

struct fdt_range {
	u64 base;
	u64 size;
};

struct fdt_reserved {
	u64 base;
	u64 size;
	bool no_map; /* must not be mapped at all (firmware-private memory) */
};

struct fdt_platform {
	/* RAM from the /memory nodes: sorted, merged, no zero sizes. */
	u32 ram_count;
	struct fdt_range ram[FDT_MAX_RAM];
	/* The memory reservation block and /reserved-memory children with "reg". */
	u32 reserved_count;
	struct fdt_reserved reserved[FDT_MAX_RESERVED];

	const char *model;    /* root "model", or "" */
	const char *bootargs; /* /chosen "bootargs" (points into the blob), or "" */
	bool has_initrd;
	u64 initrd_start, initrd_end;

	/* How to reach PSCI firmware (/psci "method"). */
	enum { FDT_PSCI_NONE, FDT_PSCI_SMC, FDT_PSCI_HVC } psci;

	struct boot_uart uart;
	struct boot_irqchip irqchip;
	struct boot_timer timer;

	u32 warning_count;
};

/* Receives one formatted problem report (no trailing newline). */
typedef void (*fdt_warn_fn)(void *ctx, const char *msg);

/*
 * Fill out from the checked blob fdt. Problems (zero-sized or overlapping
 * memory, malformed properties, missing nodes, tables full) are counted in
 * out->warning_count and passed to warn if it is not NULL; they never stop
 * the parse. Safe with the MMU off when warn is NULL.
 */
void fdt_parse(const struct fdt *fdt, struct fdt_platform *out, fdt_warn_fn warn, void *ctx);

/*
 * Fill bi from the DTB at physical address fdt_pa, of which avail bytes are
 * mapped (boot/fdt_bootinfo.c). A refused blob leaves bi empty (protocol
 * "fdt", no regions) and returns HV_EINVAL; everything else is logged,
 * counted in bi->warning_count, and returns 0.
 */
int fdt_to_bootinfo(struct boot_info *bi, u64 fdt_pa, size_t avail);

#endif /* HV_FDT_H */
