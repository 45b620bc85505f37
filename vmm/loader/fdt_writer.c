/*
 * Flattened device tree writer (contract in hv/loader_fdt.h). The layout is
 * header | reservation block (one terminating entry) | structure block |
 * strings block; strings are collected separately and copied at the end,
 * with identical names stored once.
 */
#include <hv/errno.h>
#include <hv/loader_fdt.h>
#include <hv/string.h>

static void put_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

static void fail(struct fdt_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* Append len bytes (src may be NULL for zeros), then pad to 4 with zeros. */
static void emit(struct fdt_writer *w, const void *src, size_t len)
{
	size_t padded = ALIGN_UP(len, (size_t)FDT_TOKEN_ALIGN);

	if (w->err)
		return;
	if (padded < len || w->pos + padded > w->cap) {
		fail(w, HV_ENOMEM);
		return;
	}
	if (src)
		memcpy(w->buf + w->pos, src, len);
	else
		memset(w->buf + w->pos, 0, len);
	memset(w->buf + w->pos + len, 0, padded - len);
	w->pos += padded;
}

static void emit_u32(struct fdt_writer *w, u32 v)
{
	u8 b[4];

	put_be32(b, v);
	emit(w, b, sizeof(b));
}

void fdt_begin(struct fdt_writer *w, void *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->pos = FDT_HEADER_SIZE;
	/* The reservation block: only its terminating (0, 0) entry. */
	emit(w, NULL, FDT_RSV_ENTRY_SIZE);
	w->struct_start = w->pos;
}

void fdt_begin_node(struct fdt_writer *w, const char *name)
{
	if (w->depth == FDT_DEPTH_MAX || (w->depth == 0 && w->pos != w->struct_start) ||
	    (w->depth > 0 && !name[0])) {
		fail(w, HV_EINVAL);
		return;
	}
	emit_u32(w, FDT_BEGIN_NODE);
	emit(w, name, strlen(name) + 1);
	w->depth++;
}

void fdt_end_node(struct fdt_writer *w)
{
	if (w->depth == 0) {
		fail(w, HV_EINVAL);
		return;
	}
	emit_u32(w, FDT_END_NODE);
	w->depth--;
}

/* Offset of name in the strings block, adding it if new; -1 if full. */
static long string_offset(struct fdt_writer *w, const char *name)
{
	size_t len = strlen(name) + 1;

	for (size_t off = 0; off < w->strings_len; off += strlen(w->strings + off) + 1)
		if (strcmp(w->strings + off, name) == 0)
			return (long)off;
	if (w->strings_len + len > sizeof(w->strings))
		return -1;
	memcpy(w->strings + w->strings_len, name, len);
	w->strings_len += len;
	return (long)(w->strings_len - len);
}

void fdt_prop(struct fdt_writer *w, const char *name, const void *val, size_t len)
{
	long off;

	if (w->err)
		return;
	if (w->depth == 0 || !name[0] || len > (size_t)0x7fffffff) {
		fail(w, HV_EINVAL);
		return;
	}
	off = string_offset(w, name);
	if (off < 0) {
		fail(w, HV_ENOMEM);
		return;
	}
	emit_u32(w, FDT_PROP);
	emit_u32(w, (u32)len);
	emit_u32(w, (u32)off);
	emit(w, val, len);
}

void fdt_prop_empty(struct fdt_writer *w, const char *name)
{
	fdt_prop(w, name, NULL, 0);
}

void fdt_prop_u32(struct fdt_writer *w, const char *name, u32 v)
{
	fdt_prop_cells(w, name, &v, 1);
}

void fdt_prop_u64(struct fdt_writer *w, const char *name, u64 v)
{
	const u32 cells[2] = { (u32)(v >> 32), (u32)v };

	fdt_prop_cells(w, name, cells, 2);
}

void fdt_prop_str(struct fdt_writer *w, const char *name, const char *s)
{
	fdt_prop(w, name, s, strlen(s) + 1);
}

void fdt_prop_cells(struct fdt_writer *w, const char *name, const u32 *cells, size_t count)
{
	u8 be[4 * 16];

	if (count > ARRAY_SIZE(be) / 4) {
		fail(w, HV_EINVAL);
		return;
	}
	for (size_t i = 0; i < count; i++)
		put_be32(be + 4 * i, cells[i]);
	fdt_prop(w, name, be, 4 * count);
}

int fdt_finish(struct fdt_writer *w)
{
	size_t struct_size, strings_off;

	if (w->depth != 0 || w->pos == w->struct_start)
		fail(w, HV_EINVAL);
	emit_u32(w, FDT_END);
	if (w->err)
		return w->err;
	struct_size = w->pos - w->struct_start;
	strings_off = w->pos;
	if (strings_off + w->strings_len > w->cap)
		return w->err = HV_ENOMEM;
	memcpy(w->buf + strings_off, w->strings, w->strings_len);
	w->pos += w->strings_len;

	put_be32(w->buf + FDT_OFF_MAGIC, FDT_MAGIC);
	put_be32(w->buf + FDT_OFF_TOTALSIZE, (u32)w->pos);
	put_be32(w->buf + FDT_OFF_DT_STRUCT, (u32)w->struct_start);
	put_be32(w->buf + FDT_OFF_DT_STRINGS, (u32)strings_off);
	put_be32(w->buf + FDT_OFF_MEM_RSVMAP, FDT_HEADER_SIZE);
	put_be32(w->buf + FDT_OFF_VERSION, FDT_VERSION);
	put_be32(w->buf + FDT_OFF_LAST_COMP_VERSION, FDT_LAST_COMP);
	put_be32(w->buf + FDT_OFF_BOOT_CPUID_PHYS, 0);
	put_be32(w->buf + FDT_OFF_SIZE_DT_STRINGS, (u32)w->strings_len);
	put_be32(w->buf + FDT_OFF_SIZE_DT_STRUCT, (u32)struct_size);
	return (int)w->pos;
}
