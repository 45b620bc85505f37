/*
 * The device-tree reader (boot/fdt_read.c): a valid tree is walked
 * correctly, and every kind of damage to the header, the reservation block
 * and the structure block is refused with the right reason, never read out
 * of bounds (ASan) and never crashes. A truncation sweep and a seeded byte
 * fuzzer check "never crash" beyond the hand-written cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/errno.h>
#include <hv/fdt.h>

#include "fdt_builder.h"

static struct fdtb b;
static uint8_t blob[FDTB_MAX + 8192];

/*
 * The tree most tests use:
 *   / { #address-cells 2; #size-cells 2; model;
 *       memory@40000000 { device_type "memory"; reg <0x40000000 256M> }
 *       soc { #address-cells 1; #size-cells 1; ranges <0x0 0x0 0x10000000 0x100000>;
 *             uart@1000 { compatible "ns16550a\0arm,pl011"; reg <0x1000 0x100>; status "okay" }
 *             off@2000 { status "disabled"; phandle 7 } }
 *       chosen { bootargs "a b" } }
 */
static size_t build_basic(void)
{
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_prop_u32(&b, "#address-cells", 2);
	fdtb_prop_u32(&b, "#size-cells", 2);
	fdtb_prop_str(&b, "model", "test board");
	fdtb_begin(&b, "memory@40000000");
	fdtb_prop_str(&b, "device_type", "memory");
	fdtb_prop_cells(&b, "reg", 4, 0, 0x40000000, 0, 0x10000000);
	fdtb_end(&b);
	fdtb_begin(&b, "soc");
	fdtb_prop_u32(&b, "#address-cells", 1);
	fdtb_prop_u32(&b, "#size-cells", 1);
	fdtb_prop_cells(&b, "ranges", 4, 0, 0, 0x10000000, 0x100000);
	fdtb_begin(&b, "uart@1000");
	fdtb_prop(&b, "compatible", "ns16550a\0arm,pl011", sizeof("ns16550a\0arm,pl011"));
	fdtb_prop_cells(&b, "reg", 2, 0x1000, 0x100);
	fdtb_prop_str(&b, "status", "okay");
	fdtb_end(&b);
	fdtb_begin(&b, "off@2000");
	fdtb_prop_str(&b, "status", "disabled");
	fdtb_prop_u32(&b, "phandle", 7);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_begin(&b, "chosen");
	fdtb_prop_str(&b, "bootargs", "a b");
	fdtb_end(&b);
	fdtb_end(&b);
	return fdtb_finish(&b, blob, sizeof(blob));
}

static int path(const struct fdt *fdt, const char *p)
{
	return fdt_find_path(fdt, p, strlen(p));
}

static u32 get32(const uint8_t *p)
{
	return fdt_be32(p);
}

/* Open blob[0..avail) expecting failure whose reason contains want. */
static void expect_refused(size_t avail, const char *want)
{
	struct fdt fdt;
	struct fdt_error err = { 0 };

	assert_int_equal(fdt_open(&fdt, blob, avail, &err), HV_EINVAL);
	assert_non_null(err.what);
	if (!strstr(err.what, want))
		fail_msg("reason \"%s\" does not mention \"%s\"", err.what, want);
}

static void walks_a_valid_tree(void **state)
{
	struct fdt fdt;
	struct fdt_error err;
	size_t n = build_basic();
	int root, mem, soc, uart, off, chosen;
	u32 len;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob, n, &err), 0);
	assert_int_equal(fdt.size, n);
	root = fdt_root(&fdt);
	assert_string_equal(fdt_node_name(&fdt, root), "");
	mem = fdt_first_child(&fdt, root);
	assert_string_equal(fdt_node_name(&fdt, mem), "memory@40000000");
	soc = fdt_next_sibling(&fdt, mem);
	assert_string_equal(fdt_node_name(&fdt, soc), "soc");
	chosen = fdt_next_sibling(&fdt, soc);
	assert_string_equal(fdt_node_name(&fdt, chosen), "chosen");
	assert_int_equal(fdt_next_sibling(&fdt, chosen), -1);
	uart = fdt_first_child(&fdt, soc);
	off = fdt_next_sibling(&fdt, uart);
	assert_int_equal(fdt_first_child(&fdt, uart), -1);
	/* Pre-order: root, memory, soc, uart, off, chosen, end. */
	assert_int_equal(fdt_next_node(&fdt, root), mem);
	assert_int_equal(fdt_next_node(&fdt, mem), soc);
	assert_int_equal(fdt_next_node(&fdt, soc), uart);
	assert_int_equal(fdt_next_node(&fdt, uart), off);
	assert_int_equal(fdt_next_node(&fdt, off), chosen);
	assert_int_equal(fdt_next_node(&fdt, chosen), -1);
	assert_int_equal(fdt_parent(&fdt, uart), soc);
	assert_int_equal(fdt_parent(&fdt, soc), root);
	assert_int_equal(fdt_parent(&fdt, root), -1);

	assert_string_equal(fdt_getprop_str(&fdt, root, "model"), "test board");
	assert_int_equal(fdt_getprop_u32(&fdt, soc, "#size-cells", 9), 1);
	assert_int_equal(fdt_getprop_u32(&fdt, soc, "absent", 9), 9);
	assert_int_equal(fdt_getprop_u32(&fdt, root, "model", 9), 9); /* wrong size */
	assert_null(fdt_getprop(&fdt, soc, "reg", &len));
	assert_non_null(fdt_getprop(&fdt, mem, "reg", &len));
	assert_int_equal(len, 16);
	/* Properties of a child are not the parent's. */
	assert_null(fdt_getprop(&fdt, soc, "status", NULL));

	assert_true(fdt_is_compatible(&fdt, uart, "arm,pl011"));
	assert_true(fdt_is_compatible(&fdt, uart, "ns16550a"));
	assert_false(fdt_is_compatible(&fdt, uart, "arm,pl01"));
	assert_false(fdt_is_compatible(&fdt, uart, "ns16550"));
	assert_true(fdt_is_enabled(&fdt, uart));
	assert_false(fdt_is_enabled(&fdt, off));
	assert_true(fdt_is_enabled(&fdt, soc));
	assert_int_equal(fdt_find_phandle(&fdt, 7), off);
	assert_int_equal(fdt_find_phandle(&fdt, 8), -1);
	assert_int_equal(fdt_find_phandle(&fdt, 0), -1);
	assert_int_equal(fdt.rsv_count, 0);
}

static void finds_paths(void **state)
{
	struct fdt fdt;
	struct fdt_error err;
	size_t n = build_basic();
	int uart;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob, n, &err), 0);
	uart = fdt_find_path(&fdt, "/soc/uart@1000", 14);
	assert_true(uart >= 0);
	assert_string_equal(fdt_node_name(&fdt, uart), "uart@1000");
	assert_int_equal(fdt_find_path(&fdt, "/soc/uart", 9), uart); /* unit address optional */
	assert_int_equal(fdt_find_path(&fdt, "/soc//uart@1000/", 16), uart);
	assert_int_equal(fdt_find_path(&fdt, "/soc/uart@2000", 14), -1);
	assert_int_equal(fdt_find_path(&fdt, "/soc/ua", 7), -1);
	assert_int_equal(fdt_find_path(&fdt, "/memory", 7), fdt_first_child(&fdt, fdt_root(&fdt)));
	assert_int_equal(fdt_find_path(&fdt, "/", 1), fdt_root(&fdt));
	assert_int_equal(fdt_find_path(&fdt, "soc", 3), -1);
	assert_int_equal(fdt_find_path(&fdt, "", 0), -1);
	/* Only path_len bytes count ("/chosen:115200" style suffixes are cut by callers). */
	assert_int_equal(fdt_find_path(&fdt, "/chosenXYZ", 7), fdt_find_path(&fdt, "/chosen", 7));
}

static void translates_reg_through_ranges(void **state)
{
	struct fdt fdt;
	struct fdt_error err;
	size_t n = build_basic();
	u64 base = 0, size = 0;
	int mem, uart;

	(void)state;
	assert_int_equal(fdt_open(&fdt, blob, n, &err), 0);
	mem = fdt_find_path(&fdt, "/memory", 7);
	uart = fdt_find_path(&fdt, "/soc/uart", 9);
	assert_int_equal(fdt_reg(&fdt, mem, 0, &base, &size), 0);
	assert_int_equal(base, 0x40000000);
	assert_int_equal(size, 0x10000000);
	assert_int_equal(fdt_reg(&fdt, mem, 1, &base, &size), HV_ENOENT);
	/* soc maps its 0x0.. onto CPU 0x10000000.. */
	assert_int_equal(fdt_reg(&fdt, uart, 0, &base, &size), 0);
	assert_int_equal(base, 0x10001000);
	assert_int_equal(size, 0x100);
	assert_int_equal(fdt_reg(&fdt, fdt_root(&fdt), 0, &base, &size), HV_EINVAL);
}

static void reg_translation_errors(void **state)
{
	struct fdt fdt;
	struct fdt_error err;
	u64 base, size;
	size_t n;

	(void)state;
	fdtb_init(&b);
	fdtb_begin(&b, "");
	fdtb_begin(&b, "nomap-bus"); /* no ranges: not memory-mapped */
	fdtb_prop_u32(&b, "#address-cells", 1);
	fdtb_prop_u32(&b, "#size-cells", 1);
	fdtb_begin(&b, "dev@10");
	fdtb_prop_cells(&b, "reg", 2, 0x10, 0x10);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_begin(&b, "ident-bus"); /* empty ranges: identity */
	fdtb_prop_u32(&b, "#address-cells", 1);
	fdtb_prop_u32(&b, "#size-cells", 1);
	fdtb_prop(&b, "ranges", NULL, 0);
	fdtb_begin(&b, "dev@20");
	fdtb_prop_cells(&b, "reg", 2, 0x20, 0x10);
	fdtb_end(&b);
	fdtb_begin(&b, "bad@30"); /* 3 cells: not a multiple of (1 + 1) */
	fdtb_prop_cells(&b, "reg", 3, 0x30, 0x10, 0x1);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_begin(&b, "pci"); /* 3 address cells: unsupported */
	fdtb_prop_u32(&b, "#address-cells", 3);
	fdtb_prop_u32(&b, "#size-cells", 2);
	fdtb_begin(&b, "dev@0");
	fdtb_prop_cells(&b, "reg", 5, 0, 0, 0, 0, 0x1000);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_begin(&b, "window-bus"); /* ranges that do not cover the device */
	fdtb_prop_u32(&b, "#address-cells", 1);
	fdtb_prop_u32(&b, "#size-cells", 1);
	fdtb_prop_cells(&b, "ranges", 4, 0x0, 0x0, 0x8000, 0x100);
	fdtb_begin(&b, "dev@200");
	fdtb_prop_cells(&b, "reg", 2, 0x200, 0x10);
	fdtb_end(&b);
	fdtb_end(&b);
	fdtb_end(&b);
	n = fdtb_finish(&b, blob, sizeof(blob));
	assert_int_equal(fdt_open(&fdt, blob, n, &err), 0);
	assert_int_equal(fdt_reg(&fdt, path(&fdt, "/nomap-bus/dev"), 0, &base, &size), HV_ERANGE);
	assert_int_equal(fdt_reg(&fdt, path(&fdt, "/ident-bus/dev"), 0, &base, &size), 0);
	assert_int_equal(base, 0x20);
	assert_int_equal(fdt_reg(&fdt, path(&fdt, "/ident-bus/bad"), 0, &base, &size), HV_EINVAL);
	assert_int_equal(fdt_reg(&fdt, path(&fdt, "/pci/dev"), 0, &base, &size), HV_EINVAL);
	assert_int_equal(fdt_reg(&fdt, path(&fdt, "/window-bus/dev"), 0, &base, &size), HV_ERANGE);
}

static void reads_reservation_block(void **state)
{
	struct fdt fdt;
	struct fdt_error err;
	u64 base, size;
	size_t n;

	(void)state;
	build_basic();
	fdtb_rsv(&b, 0x48000000, 0x1000);
	fdtb_rsv(&b, 0x123456789000ull, 0x2000);
	n = fdtb_finish(&b, blob, sizeof(blob));
	assert_int_equal(fdt_open(&fdt, blob, n, &err), 0);
	assert_int_equal(fdt.rsv_count, 2);
	fdt_rsv_entry(&fdt, 1, &base, &size);
	assert_int_equal(base, 0x123456789000ull);
	assert_int_equal(size, 0x2000);
}

static void refuses_bad_headers(void **state)
{
	size_t n = build_basic();
	uint8_t good[sizeof(blob)];

	(void)state;
	memcpy(good, blob, n);
#define MUTATE(off, val, want)                                                                     \
	do {                                                                                       \
		memcpy(blob, good, n);                                                             \
		fdtb_put32(blob + (off), (val));                                                   \
		expect_refused(n, want);                                                           \
	} while (0)
	MUTATE(0, 0xd00dfeee, "bad magic");
	MUTATE(4, 39, "smaller than the header");
	MUTATE(4, (u32)n + 4, "truncated");
	MUTATE(4, 3u << 20, "larger than 2 MiB");
	MUTATE(20, 15, "older than 16");
	MUTATE(24, 18, "newer than 17");
	MUTATE(8, get32(good + 8) + 2, "misaligned");
	MUTATE(8, 8, "misplaced");
	MUTATE(36, (u32)n, "structure block extends past");
	MUTATE(8, 0xfffffff0u, "structure block extends past");
	MUTATE(32, (u32)n, "strings block extends past");
	MUTATE(12, 0xffffffffu, "strings block extends past");
	MUTATE(16, 44, "reservation block misplaced");
	MUTATE(16, (u32)n + 8, "reservation block misplaced");
	MUTATE(12, get32(good + 8), "overlap");
	/* The reservation block's terminator overwritten: it runs into the structure block. */
	memcpy(blob, good, n);
	memset(blob + 40, 0xff, 16);
	expect_refused(n, "not terminated");
	memcpy(blob, good, n);
	expect_refused(39, "smaller than the FDT header");
	expect_refused(0, "smaller than the FDT header");
#undef MUTATE
}

/* Build a tree whose structure block is exactly the given raw words after the root opens. */
static size_t build_raw(void (*body)(void))
{
	fdtb_init(&b);
	body();
	return fdtb_finish(&b, blob, sizeof(blob));
}

static void body_unknown_token(void)
{
	fdtb_begin(&b, "");
	fdtb_raw32(&b, 0x7);
	fdtb_end(&b);
}

static void body_stray_end_node(void)
{
	fdtb_begin(&b, "");
	fdtb_end(&b);
	fdtb_end(&b);
}

static void body_unclosed(void)
{
	fdtb_begin(&b, "");
	fdtb_begin(&b, "child");
	fdtb_end(&b);
}

static void body_prop_after_child(void)
{
	fdtb_begin(&b, "");
	fdtb_begin(&b, "child");
	fdtb_end(&b);
	fdtb_prop_u32(&b, "late", 1);
	fdtb_end(&b);
}

static void body_prop_outside(void)
{
	fdtb_prop_u32(&b, "orphan", 1);
	fdtb_begin(&b, "");
	fdtb_end(&b);
}

static void body_too_deep(void)
{
	fdtb_begin(&b, "");
	for (int i = 0; i < 16; i++)
		fdtb_begin(&b, "n");
	for (int i = 0; i < 16; i++)
		fdtb_end(&b);
	fdtb_end(&b);
}

static void body_two_roots(void)
{
	fdtb_begin(&b, "");
	fdtb_end(&b);
	fdtb_begin(&b, "");
	fdtb_end(&b);
}

static void body_empty(void)
{
}

static void body_nops_ok(void)
{
	fdtb_raw32(&b, 4);
	fdtb_begin(&b, "");
	fdtb_raw32(&b, 4);
	fdtb_prop_u32(&b, "x", 1);
	fdtb_raw32(&b, 4);
	fdtb_end(&b);
	fdtb_raw32(&b, 4);
}

/* Root, then a BEGIN_NODE whose name fills the rest of a 16-byte structure block. */
static void body_unterminated_name(void)
{
	fdtb_begin(&b, "");
	fdtb_raw32(&b, 1);
	fdtb_raw32(&b, 0x61626364); /* "abcd" */
}

static void refuses_bad_structure(void **state)
{
	struct fdt fdt;
	struct fdt_error err;
	size_t n;

	(void)state;
	expect_refused(build_raw(body_unknown_token), "unknown structure token");
	expect_refused(build_raw(body_stray_end_node), "after the root");
	expect_refused(build_raw(body_unclosed), "FDT_END inside a node");
	expect_refused(build_raw(body_prop_after_child), "property after a subnode");
	expect_refused(build_raw(body_prop_outside), "property outside any node");
	expect_refused(build_raw(body_too_deep), "nested too deeply");
	expect_refused(build_raw(body_two_roots), "after the root");
	expect_refused(build_raw(body_empty), "no root node");
	n = build_raw(body_nops_ok);
	assert_int_equal(fdt_open(&fdt, blob, n, &err), 0);
	assert_int_equal(fdt_getprop_u32(&fdt, fdt_root(&fdt), "x", 0), 1);

	/* A property whose length runs past the structure block. */
	n = build_basic();
	{
		struct fdt ok;
		int mem;
		const uint8_t *reg;

		assert_int_equal(fdt_open(&ok, blob, n, &err), 0);
		mem = fdt_find_path(&ok, "/memory", 7);
		reg = fdt_getprop(&ok, mem, "reg", NULL);
		fdtb_put32((uint8_t *)reg - 8, 0x10000);
		expect_refused(n, "property value past");
		fdtb_put32((uint8_t *)reg - 8, 16);
		fdtb_put32((uint8_t *)reg - 4, 0x7fff);
		expect_refused(n, "property name outside");
	}
	/* Structure block cut short: a name that is never terminated, then no FDT_END. */
	n = build_raw(body_unterminated_name);
	fdtb_put32(blob + 36, 16);
	expect_refused(n, "node name not terminated");
	n = build_basic();
	fdtb_put32(blob + 36, get32(blob + 36) - 4);
	expect_refused(n, "without FDT_END");
	/* A strings block whose last name lost its terminator. */
	n = build_basic();
	fdtb_put32(blob + 32, get32(blob + 32) - 1);
	expect_refused(n, "property name outside");
}

/* Every prefix of a valid blob is refused, and nothing is read beyond it (ASan). */
static void truncation_sweep(void **state)
{
	size_t n = build_basic();

	(void)state;
	for (size_t avail = 0; avail < n; avail++) {
		uint8_t *copy = malloc(avail ? avail : 1);
		struct fdt fdt;
		struct fdt_error err;

		memcpy(copy, blob, avail);
		assert_int_equal(fdt_open(&fdt, copy, avail, &err), HV_EINVAL);
		free(copy);
	}
}

/* Seeded random damage: opened blobs must walk and parse without crashing. */
static void byte_fuzz(void **state)
{
	size_t n = build_basic();
	uint8_t good[sizeof(blob)];
	unsigned seed = 12345, opened = 0;

	(void)state;
	memcpy(good, blob, n);
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t *copy = malloc(n);
		struct fdt fdt;
		struct fdt_error err;
		int flips = 1 + (int)(rand_r(&seed) % 4);

		memcpy(copy, good, n);
		for (int i = 0; i < flips; i++)
			copy[rand_r(&seed) % n] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		if (fdt_open(&fdt, copy, n, &err) == 0) {
			static struct fdt_platform plat;

			opened++;
			for (int node = fdt_root(&fdt); node >= 0;
			     node = fdt_next_node(&fdt, node)) {
				u64 base, size;

				(void)fdt_reg(&fdt, node, 0, &base, &size);
				(void)fdt_parent(&fdt, node);
				(void)fdt_first_child(&fdt, node);
				(void)fdt_next_sibling(&fdt, node);
			}
			fdt_parse(&fdt, &plat, NULL, NULL);
		} else {
			assert_non_null(err.what);
		}
		free(copy);
	}
	/* Some damage is harmless (string bytes, values): both outcomes must occur. */
	assert_true(opened > 0 && opened < 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walks_a_valid_tree),
		cmocka_unit_test(finds_paths),
		cmocka_unit_test(translates_reg_through_ranges),
		cmocka_unit_test(reg_translation_errors),
		cmocka_unit_test(reads_reservation_block),
		cmocka_unit_test(refuses_bad_headers),
		cmocka_unit_test(refuses_bad_structure),
		cmocka_unit_test(truncation_sweep),
		cmocka_unit_test(byte_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
