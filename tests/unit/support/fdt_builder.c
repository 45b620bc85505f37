/*
 * Test-only DTB writer (see fdt_builder.h). Layout: 40-byte header, the
 * memory reservation block at offset 40, the structure block, then strings.
 */
#include <assert.h>
#include <stdarg.h>
#include <string.h>

#include "fdt_builder.h"

void fdtb_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void fdtb_init(struct fdtb *b)
{
	memset(b, 0, sizeof(*b));
}

void fdtb_rsv(struct fdtb *b, uint64_t base, uint64_t size)
{
	assert(b->rsv_count < 64);
	b->rsv[b->rsv_count][0] = base;
	b->rsv[b->rsv_count][1] = size;
	b->rsv_count++;
}

void fdtb_raw32(struct fdtb *b, uint32_t v)
{
	assert(b->struct_len + 4 <= FDTB_MAX);
	fdtb_put32(b->structure + b->struct_len, v);
	b->struct_len += 4;
}

static void pad4(struct fdtb *b)
{
	while (b->struct_len % 4)
		b->structure[b->struct_len++] = 0;
}

void fdtb_begin(struct fdtb *b, const char *name)
{
	size_t n = strlen(name) + 1;

	fdtb_raw32(b, 1);
	assert(b->struct_len + n + 4 <= FDTB_MAX);
	memcpy(b->structure + b->struct_len, name, n);
	b->struct_len += n;
	pad4(b);
}

void fdtb_end(struct fdtb *b)
{
	fdtb_raw32(b, 2);
}

static uint32_t string_offset(struct fdtb *b, const char *name)
{
	size_t n = strlen(name) + 1;

	for (size_t off = 0; off < b->strings_len; off += strlen(b->strings + off) + 1)
		if (strcmp(b->strings + off, name) == 0)
			return (uint32_t)off;
	assert(b->strings_len + n <= sizeof(b->strings));
	memcpy(b->strings + b->strings_len, name, n);
	b->strings_len += n;
	return (uint32_t)(b->strings_len - n);
}

void fdtb_prop(struct fdtb *b, const char *name, const void *val, uint32_t len)
{
	uint32_t off = string_offset(b, name);

	fdtb_raw32(b, 3);
	fdtb_raw32(b, len);
	fdtb_raw32(b, off);
	assert(b->struct_len + len + 4 <= FDTB_MAX);
	if (len)
		memcpy(b->structure + b->struct_len, val, len);
	b->struct_len += len;
	pad4(b);
}

void fdtb_prop_str(struct fdtb *b, const char *name, const char *s)
{
	fdtb_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

void fdtb_prop_u32(struct fdtb *b, const char *name, uint32_t v)
{
	fdtb_prop_cells(b, name, 1, v);
}

void fdtb_prop_cells(struct fdtb *b, const char *name, unsigned n, ...)
{
	uint8_t val[256];
	va_list ap;

	assert(n * 4 <= sizeof(val));
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		fdtb_put32(val + 4 * i, va_arg(ap, uint32_t));
	va_end(ap);
	fdtb_prop(b, name, val, n * 4);
}

size_t fdtb_finish(struct fdtb *b, uint8_t *out, size_t cap)
{
	size_t rsv_off = 40, rsv_len = (b->rsv_count + 1) * 16;
	size_t struct_off = rsv_off + rsv_len, struct_len = b->struct_len + 4;
	size_t strings_off = struct_off + struct_len, total = strings_off + b->strings_len;

	assert(total <= cap);
	memset(out, 0, total);
	fdtb_put32(out + 0, 0xd00dfeed);
	fdtb_put32(out + 4, (uint32_t)total);
	fdtb_put32(out + 8, (uint32_t)struct_off);
	fdtb_put32(out + 12, (uint32_t)strings_off);
	fdtb_put32(out + 16, (uint32_t)rsv_off);
	fdtb_put32(out + 20, 17);
	fdtb_put32(out + 24, 16);
	fdtb_put32(out + 32, (uint32_t)b->strings_len);
	fdtb_put32(out + 36, (uint32_t)struct_len);
	for (unsigned i = 0; i < b->rsv_count; i++) {
		uint8_t *e = out + rsv_off + 16 * i;

		fdtb_put32(e, (uint32_t)(b->rsv[i][0] >> 32));
		fdtb_put32(e + 4, (uint32_t)b->rsv[i][0]);
		fdtb_put32(e + 8, (uint32_t)(b->rsv[i][1] >> 32));
		fdtb_put32(e + 12, (uint32_t)b->rsv[i][1]);
	}
	memcpy(out + struct_off, b->structure, b->struct_len);
	fdtb_put32(out + struct_off + b->struct_len, 9);
	memcpy(out + strings_off, b->strings, b->strings_len);
	return total;
}
