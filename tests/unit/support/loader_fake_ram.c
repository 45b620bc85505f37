/*
 * Sparse fake guest RAM for loader tests (see loader_fake_ram.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader_fake_ram.h"

static int fake_write(void *ctx, gpa_t at, const void *src, size_t len)
{
	struct fake_ram *f = ctx;
	u64 a = gpa_val(at);

	for (size_t i = 0; i < len; i++) {
		u64 pfn = (a + i) >> PAGE_SHIFT;
		bool inside = false;

		for (u32 r = 0; r < f->mem.ram_count; r++)
			inside |= a + i >= f->ranges[r].base &&
				  a + i - f->ranges[r].base < f->ranges[r].size;
		if (!inside)
			fail_msg("write outside guest RAM at %#llx", (unsigned long long)(a + i));
		assert_true(pfn < f->page_count);
		if (!f->pages[pfn])
			assert_non_null(f->pages[pfn] = calloc(1, PAGE_SIZE));
		f->pages[pfn][(a + i) & (PAGE_SIZE - 1)] = ((const u8 *)src)[i];
	}
	f->bytes_written += len;
	return 0;
}

void fake_ram_init(struct fake_ram *f, const struct guest_range *ranges, u32 count)
{
	u64 end = 0;

	memset(f, 0, sizeof(*f));
	assert_true(count <= LOADER_RANGES_MAX);
	memcpy(f->ranges, ranges, count * sizeof(*ranges));
	for (u32 i = 0; i < count; i++)
		end = MAX(end, ranges[i].base + ranges[i].size);
	f->page_count = DIV_ROUND_UP(end, PAGE_SIZE);
	f->pages = calloc(f->page_count, sizeof(*f->pages));
	assert_non_null(f->pages);
	f->mem = (struct guest_mem){
		.ram = f->ranges, .ram_count = count, .write = fake_write, .ctx = f
	};
}

void fake_ram_free(struct fake_ram *f)
{
	if (!f->pages)
		return;
	for (u64 i = 0; i < f->page_count; i++)
		free(f->pages[i]);
	free(f->pages);
	f->pages = NULL;
}

void fake_ram_read(const struct fake_ram *f, u64 gpa, void *dst, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		u64 pfn = (gpa + i) >> PAGE_SHIFT;
		const u8 *page = pfn < f->page_count ? f->pages[pfn] : NULL;

		((u8 *)dst)[i] = page ? page[(gpa + i) & (PAGE_SIZE - 1)] : 0;
	}
}

u32 fake_ram_le32(const struct fake_ram *f, u64 gpa)
{
	u8 b[4];

	fake_ram_read(f, gpa, b, 4);
	return loader_le32(b);
}

u64 fake_ram_le64(const struct fake_ram *f, u64 gpa)
{
	u8 b[8];

	fake_ram_read(f, gpa, b, 8);
	return loader_le64(b);
}

u8 *fake_read_file(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	u8 *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*size = (size_t)n;
	return buf;
}
