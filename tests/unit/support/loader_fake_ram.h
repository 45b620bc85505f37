/*
 * A sparse fake guest RAM for the loader tests: struct guest_mem over a set
 * of ranges, one malloc'd page per 4 KiB actually written (so ASan sees any
 * stray access), and a reader that returns zeros for untouched pages.
 * Writes outside the ranges fail the test: guest_mem_write() must have
 * refused them first.
 */
#ifndef TEST_LOADER_FAKE_RAM_H
#define TEST_LOADER_FAKE_RAM_H

#include <hv/loader.h>

struct fake_ram {
	struct guest_range ranges[LOADER_RANGES_MAX];
	struct guest_mem mem;
	u8 **pages;
	u64 page_count;
	u64 bytes_written;
};

void fake_ram_init(struct fake_ram *f, const struct guest_range *ranges, u32 count);
void fake_ram_free(struct fake_ram *f);
void fake_ram_read(const struct fake_ram *f, u64 gpa, void *dst, size_t len);
u32 fake_ram_le32(const struct fake_ram *f, u64 gpa);
u64 fake_ram_le64(const struct fake_ram *f, u64 gpa);
/* Read a whole file into a malloc'd buffer; NULL if it does not exist. */
u8 *fake_read_file(const char *path, size_t *size);

#endif
