/*
 * The guest bundle reader (vmm/loader/bundle.c): archives written here
 * entry by entry, one made by the system's cpio(1) for interoperability,
 * lookups and iteration, and every refusal: bad magic, bad hex digits,
 * names without their NUL or with an early one, sizes past the end, a
 * missing trailer, and a sweep over every truncated prefix of a good
 * archive (each must be refused, never read out of bounds under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/bundle.h>
#include <hv/errno.h>

#include "loader_fake_ram.h"

#define ARCHIVE_MAX 8192

struct builder {
	u8 buf[ARCHIVE_MAX];
	size_t len;
	u32 ino;
};

/* One newc entry with explicit header values, so tests can make them lie. */
static size_t add_raw(struct builder *b, const char *magic, u32 mode, const char *name,
		      u32 namesize, const void *data, u32 filesize, size_t data_len)
{
	size_t at = b->len, n = strlen(name) + 1;
	char hdr[BUNDLE_HEADER_SIZE + 1];

	snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic,
		 ++b->ino, mode, 0u, 0u, 1u, 0u, filesize, 0u, 0u, 0u, 0u, namesize, 0u);
	memcpy(b->buf + b->len, hdr, BUNDLE_HEADER_SIZE);
	b->len += BUNDLE_HEADER_SIZE;
	memcpy(b->buf + b->len, name, n);
	b->len += n;
	while (b->len % 4)
		b->buf[b->len++] = 0;
	if (data_len)
		memcpy(b->buf + b->len, data, data_len);
	b->len += data_len;
	while (b->len % 4)
		b->buf[b->len++] = 0;
	assert_true(b->len < ARCHIVE_MAX);
	return at;
}

static size_t add_file(struct builder *b, const char *name, const char *text)
{
	size_t n = strlen(text);

	return add_raw(b, "070701", 0100644, name, (u32)strlen(name) + 1, text, (u32)n, n);
}

static void add_dir(struct builder *b, const char *name)
{
	add_raw(b, "070701", 040755, name, (u32)strlen(name) + 1, NULL, 0, 0);
}

static void add_trailer(struct builder *b)
{
	add_raw(b, "070701", 0, BUNDLE_TRAILER, sizeof(BUNDLE_TRAILER), NULL, 0, 0);
}

static void good_archive(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	add_dir(b, "linux");
	add_file(b, "linux/Image", "IMAGE-BYTES");
	add_file(b, "./linux/initrd", "initrd!");
	add_file(b, "test/hvc", "");
	add_file(b, "linux/Image", "NEWER");
	add_trailer(b);
}

static void expect_refused(const void *p, size_t size, const char *why_part)
{
	struct bundle b;
	struct bundle_error err = { 0 };

	assert_int_equal(bundle_open(&b, p, size, &err), HV_EINVAL);
	assert_non_null(err.why);
	if (why_part && !strstr(err.why, why_part))
		fail_msg("refused for \"%s\", expected \"%s\"", err.why, why_part);
}

static void finds_files(void **state)
{
	struct builder b;
	struct bundle bu;
	struct bundle_file f;

	(void)state;
	good_archive(&b);
	assert_int_equal(bundle_open(&bu, b.buf, b.len, NULL), 0);
	assert_int_equal(bu.file_count, 4);
	assert_int_equal(bu.entry_count, 5);
	assert_int_equal(bundle_find(&bu, "linux/initrd", &f), 0);
	assert_int_equal(f.size, 7);
	assert_memory_equal(f.data, "initrd!", 7);
	assert_string_equal(f.name, "linux/initrd");
	/* "./" is skipped on both sides; the later duplicate wins. */
	assert_int_equal(bundle_find(&bu, "./linux/Image", &f), 0);
	assert_int_equal(f.size, 5);
	assert_memory_equal(f.data, "NEWER", 5);
	assert_int_equal(bundle_find(&bu, "test/hvc", &f), 0);
	assert_int_equal(f.size, 0);
	/* Directories are not files; prefixes and missing names are not found. */
	assert_int_equal(bundle_find(&bu, "linux", &f), HV_ENOENT);
	assert_int_equal(bundle_find(&bu, "linux/Imag", &f), HV_ENOENT);
	assert_int_equal(bundle_find(&bu, "nothing", &f), HV_ENOENT);
	assert_int_equal(bundle_find(&bu, BUNDLE_TRAILER, &f), HV_ENOENT);
}

static void iterates_in_order(void **state)
{
	static const char *const names[] = { "linux/Image", "linux/initrd", "test/hvc",
					     "linux/Image" };
	struct builder b;
	struct bundle bu;
	struct bundle_file f;
	size_t cursor = 0;
	unsigned n = 0;

	(void)state;
	good_archive(&b);
	assert_int_equal(bundle_open(&bu, b.buf, b.len, NULL), 0);
	while (bundle_next(&bu, &cursor, &f)) {
		assert_true(n < 4);
		assert_string_equal(f.name, names[n]);
		assert_int_equal(f.mode & BUNDLE_MODE_TYPE, BUNDLE_MODE_FILE);
		/* Data lies inside the archive. */
		assert_true(f.data >= b.buf && f.data + f.size <= b.buf + b.len);
		n++;
	}
	assert_int_equal(n, 4);
	assert_false(bundle_next(&bu, &cursor, &f));
}

static void padding_after_trailer_is_ignored(void **state)
{
	struct builder b;
	struct bundle bu;
	size_t len;

	(void)state;
	good_archive(&b);
	len = b.len;
	memset(b.buf + len, 0xee, 512);
	assert_int_equal(bundle_open(&bu, b.buf, len + 512, NULL), 0);
	assert_int_equal(bu.size, len);
}

static void crc_magic_accepted(void **state)
{
	struct builder b = { 0 };
	struct bundle bu;
	struct bundle_file f;

	(void)state;
	add_raw(&b, "070702", 0100644, "x", 2, "abc", 3, 3);
	add_trailer(&b);
	assert_int_equal(bundle_open(&bu, b.buf, b.len, NULL), 0);
	assert_int_equal(bundle_find(&bu, "x", &f), 0);
	assert_memory_equal(f.data, "abc", 3);
}

static void refuses_bad_headers(void **state)
{
	struct builder b = { 0 };

	(void)state;
	expect_refused(NULL, 0, "no archive");
	expect_refused("", 0, "ends inside a header");

	add_raw(&b, "070707", 0100644, "old", 4, NULL, 0, 0); /* the old binary/odc magic */
	add_trailer(&b);
	expect_refused(b.buf, b.len, "bad magic");

	good_archive(&b);
	b.buf[6 + 3] = 'g'; /* inode's fourth digit */
	expect_refused(b.buf, b.len, "8 hex digits");

	memset(&b, 0, sizeof(b));
	add_raw(&b, "070701", 0100644, "name", 0, NULL, 0, 0);
	add_trailer(&b);
	expect_refused(b.buf, b.len, "name size");

	memset(&b, 0, sizeof(b));
	add_raw(&b, "070701", 0100644, "name", 3, NULL, 0, 0); /* "nam" + no NUL */
	add_trailer(&b);
	expect_refused(b.buf, b.len, "NUL");

	memset(&b, 0, sizeof(b));
	add_raw(&b, "070701", 0100644, "name", 9, NULL, 0, 0); /* claims more than "name\0" */
	add_trailer(&b);
	expect_refused(b.buf, b.len, NULL);

	memset(&b, 0, sizeof(b));
	add_raw(&b, "070701", 0100644, "big", 4, "abcd", 0x7fffffff, 4);
	add_trailer(&b);
	expect_refused(b.buf, b.len, "past the end");

	memset(&b, 0, sizeof(b));
	add_raw(&b, "070701", 0100644, "long", BUNDLE_NAME_MAX + 1, NULL, 0, 0);
	expect_refused(b.buf, b.len, "BUNDLE_NAME_MAX");
}

static void refuses_missing_trailer(void **state)
{
	struct builder b = { 0 };

	(void)state;
	add_file(&b, "a", "1234");
	expect_refused(b.buf, b.len, "TRAILER");
}

/* Every prefix that cuts the archive before the end of its trailer must be refused. */
static void truncation_sweep(void **state)
{
	struct builder b;
	size_t trailer_end;

	(void)state;
	good_archive(&b);
	trailer_end = b.len;
	for (size_t len = 0; len < trailer_end; len++) {
		/* An exact-size copy, so ASan catches any read past len. */
		u8 *copy = malloc(len ? len : 1);
		struct bundle bu;

		memcpy(copy, b.buf, len);
		assert_int_equal(bundle_open(&bu, copy, len, NULL), HV_EINVAL);
		free(copy);
	}
}

/* An archive written by GNU cpio -o -H newc reads back the same. */
static void reads_gnu_cpio(void **state)
{
	char dir[] = "/tmp/hv-bundle-XXXXXX", cmd[1024], path[64];
	struct bundle bu;
	struct bundle_file f;
	size_t size;
	u8 *data;
	FILE *fp;

	(void)state;
	if (system("command -v cpio >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/in", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/linux && printf 'hello bundle' > %s/linux/cmdline",
		 path, path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && find . | LC_ALL=C sort | cpio -o -H newc --quiet > %s/out.cpio", path,
		 dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/out.cpio", dir);
	data = fake_read_file(path, &size);
	assert_non_null(data);
	assert_int_equal(bundle_open(&bu, data, size, NULL), 0);
	assert_int_equal(bundle_find(&bu, "linux/cmdline", &f), 0);
	assert_int_equal(f.size, 12);
	assert_memory_equal(f.data, "hello bundle", 12);
	free(data);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	fp = popen(cmd, "r");
	if (fp)
		pclose(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_files),
		cmocka_unit_test(iterates_in_order),
		cmocka_unit_test(padding_after_trailer_is_ignored),
		cmocka_unit_test(crc_magic_accepted),
		cmocka_unit_test(refuses_bad_headers),
		cmocka_unit_test(refuses_missing_trailer),
		cmocka_unit_test(truncation_sweep),
		cmocka_unit_test(reads_gnu_cpio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
