/*
 * A small flattened-device-tree writer for tests: build a tree node by node,
 * then lay it out as a DTB (header, memory reservation block, structure and
 * strings blocks) that tests can damage byte by byte.
 */
#ifndef TEST_FDT_BUILDER_H
#define TEST_FDT_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#define FDTB_MAX 65536

struct fdtb {
	uint8_t structure[FDTB_MAX];
	size_t struct_len;
	char strings[4096];
	size_t strings_len;
	uint64_t rsv[64][2];
	unsigned rsv_count;
};

void fdtb_init(struct fdtb *b);
void fdtb_rsv(struct fdtb *b, uint64_t base, uint64_t size);
void fdtb_begin(struct fdtb *b, const char *name);
void fdtb_end(struct fdtb *b);
void fdtb_prop(struct fdtb *b, const char *name, const void *val, uint32_t len);
void fdtb_prop_str(struct fdtb *b, const char *name, const char *s);
void fdtb_prop_u32(struct fdtb *b, const char *name, uint32_t v);
/* A property of n big-endian 32-bit cells. */
void fdtb_prop_cells(struct fdtb *b, const char *name, unsigned n, ...);
/* A raw big-endian word in the structure block (to write bad tokens). */
void fdtb_raw32(struct fdtb *b, uint32_t v);
/* Write the DTB into out (FDT_END appended); returns its total size. */
size_t fdtb_finish(struct fdtb *b, uint8_t *out, size_t cap);

/* Big-endian store, for patching header fields in tests. */
void fdtb_put32(uint8_t *p, uint32_t v);

#endif
