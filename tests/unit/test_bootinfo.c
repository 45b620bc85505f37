/*
 * The boot-info structure: memory-map normalisation against a per-page
 * painting oracle, every return code of bootinfo_add_region() (overlap,
 * wrap, zero length, full table with nothing half-done), modules,
 * reservations, the string store, and bootinfo_print().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/bootinfo.h>
#include <hv/errno.h>

#include "capture_console.h"

static struct boot_info bi;

static int setup(void **state)
{
	(void)state;
	bootinfo_init(&bi, "test");
	return 0;
}

static void assert_region(u32 i, u64 base, u64 size, enum mem_type type)
{
	assert_true(i < bi.region_count);
	assert_int_equal(bi.regions[i].base, base);
	assert_int_equal(bi.regions[i].size, size);
	assert_int_equal(bi.regions[i].type, type);
}

/*
 * Before:  [0x1000 usable 0x9000)            [0x20000 usable 0x30000)
 * Insert:          [0x5000 reserved 0x22000)
 * After:   [0x1000 U 0x5000)[0x5000 R 0x22000)[0x22000 U 0x30000)
 */
static void overlap_more_restrictive_wins(void **state)
{
	(void)state;
	assert_int_equal(bootinfo_add_region(&bi, 0x1000, 0x8000, MEM_USABLE), 0);
	assert_int_equal(bootinfo_add_region(&bi, 0x20000, 0x10000, MEM_USABLE), 0);
	assert_int_equal(bootinfo_add_region(&bi, 0x5000, 0x1d000, MEM_RESERVED), HV_EOVERLAP);
	assert_int_equal(bi.region_count, 3);
	assert_region(0, 0x1000, 0x4000, MEM_USABLE);
	assert_region(1, 0x5000, 0x1d000, MEM_RESERVED);
	assert_region(2, 0x22000, 0xe000, MEM_USABLE);
	assert_int_equal(bi.warning_count, 1);

	/* A usable entry over reserved memory does not make it usable. */
	assert_int_equal(bootinfo_add_region(&bi, 0x4000, 0x3000, MEM_USABLE), HV_EOVERLAP);
	assert_region(0, 0x1000, 0x4000, MEM_USABLE);
	assert_region(1, 0x5000, 0x1d000, MEM_RESERVED);
	assert_int_equal(bi.warning_count, 2);
}

/* Touching regions of one type merge; of different types stay apart. */
static void touching_regions_merge(void **state)
{
	(void)state;
	assert_int_equal(bootinfo_add_region(&bi, 0x3000, 0x1000, MEM_USABLE), 0);
	assert_int_equal(bootinfo_add_region(&bi, 0x1000, 0x2000, MEM_USABLE), 0);
	assert_int_equal(bootinfo_add_region(&bi, 0x4000, 0x1000, MEM_ACPI_NVS), 0);
	assert_int_equal(bi.region_count, 2);
	assert_region(0, 0x1000, 0x3000, MEM_USABLE);
	assert_region(1, 0x4000, 0x1000, MEM_ACPI_NVS);
	assert_int_equal(bi.warning_count, 0);
}

static void zero_length_wrap_and_bad_type(void **state)
{
	(void)state;
	assert_int_equal(bootinfo_add_region(&bi, 0x1000, 0, MEM_USABLE), HV_EINVAL);
	assert_int_equal(bootinfo_add_region(&bi, 0x1000, 0x1000, (enum mem_type)9), HV_EINVAL);
	assert_int_equal(bi.region_count, 0);
	assert_int_equal(bootinfo_add_region(&bi, ~0ull - 0xfff, 0x2000, MEM_RESERVED), HV_ERANGE);
	assert_region(0, ~0ull - 0xfff, 0xfff, MEM_RESERVED);
	assert_int_equal(bi.warning_count, 3);
}

/* A full table refuses the entry that would need a new slot, and changes nothing. */
static void full_table_is_all_or_nothing(void **state)
{
	struct mem_region before[BOOTINFO_MAX_REGIONS];

	(void)state;
	for (u32 i = 0; i < BOOTINFO_MAX_REGIONS; i++)
		assert_int_equal(bootinfo_add_region(&bi, (u64)i * 0x10000, 0x1000,
						     i % 2 ? MEM_USABLE : MEM_RESERVED),
				 0);
	memcpy(before, bi.regions, sizeof(before));
	/* Splitting region 3 in two would need one slot more. */
	assert_int_equal(bootinfo_add_region(&bi, 3 * 0x10000 + 0x400, 0x100, MEM_BAD), HV_ENOMEM);
	assert_int_equal(bootinfo_add_region(&bi, 0xf000000, 0x1000, MEM_USABLE), HV_ENOMEM);
	assert_int_equal(bi.region_count, BOOTINFO_MAX_REGIONS);
	assert_memory_equal(before, bi.regions, sizeof(before));
	assert_int_equal(bi.warning_count, 2);
	/* Growing an existing region in place needs no slot. */
	assert_int_equal(bootinfo_add_region(&bi, 0x1000, 0x1000, MEM_RESERVED), 0);
	assert_region(0, 0, 0x2000, MEM_RESERVED);
}

/* The oracle: a type per page, painted with max(). */
#define ORACLE_PAGES 256
static u8 oracle[ORACLE_PAGES];

static void check_against_oracle(void)
{
	u8 seen[ORACLE_PAGES] = { 0 };

	for (u32 i = 0; i < bi.region_count; i++) {
		const struct mem_region *r = &bi.regions[i];

		assert_true(r->size > 0);
		if (i > 0) {
			const struct mem_region *p = &bi.regions[i - 1];

			/* sorted, disjoint, and touching neighbours differ in type */
			assert_true(p->base + p->size <= r->base);
			assert_false(p->base + p->size == r->base && p->type == r->type);
		}
		for (u64 a = r->base; a < r->base + r->size; a += 0x1000)
			seen[a / 0x1000] = (u8)r->type;
	}
	assert_memory_equal(seen, oracle, sizeof(oracle));
}

static void random_maps_match_oracle(void **state)
{
	unsigned seed = 7;

	(void)state;
	for (int round = 0; round < 300; round++) {
		bootinfo_init(&bi, "test");
		memset(oracle, 0, sizeof(oracle));
		for (int k = 0; k < 40; k++) {
			u64 first = (u64)rand_r(&seed) % ORACLE_PAGES;
			u64 count = 1 + (u64)rand_r(&seed) % 24;
			enum mem_type t = (enum mem_type)(1 + rand_r(&seed) % 5);
			int err;

			count = count > ORACLE_PAGES - first ? ORACLE_PAGES - first : count;
			err = bootinfo_add_region(&bi, first * 0x1000, count * 0x1000, t);
			assert_true(err == 0 || err == HV_EOVERLAP);
			for (u64 p = first; p < first + count; p++)
				if (oracle[p] < t)
					oracle[p] = (u8)t;
			check_against_oracle();
		}
	}
}

static void usable_bytes_and_names(void **state)
{
	(void)state;
	bootinfo_add_region(&bi, 0, 0x9fc00, MEM_USABLE);
	bootinfo_add_region(&bi, 0x100000, 0x1000000, MEM_USABLE);
	bootinfo_add_region(&bi, 0xe0000, 0x20000, MEM_RESERVED);
	assert_int_equal(bootinfo_usable_bytes(&bi), 0x9fc00 + 0x1000000);
	assert_string_equal(mem_type_name(MEM_ACPI_RECLAIM), "ACPI tables");
	assert_string_equal(mem_type_name(MEM_BAD), "bad RAM");
	assert_string_equal(mem_type_name((enum mem_type)42), "?");
}

static void modules_and_reservations(void **state)
{
	(void)state;
	assert_int_equal(bootinfo_add_module(&bi, 0x400000, 0x500000, "initrd quiet"), 0);
	assert_int_equal(bootinfo_add_module(&bi, 0x500000, 0x500000, "empty"), HV_EINVAL);
	assert_int_equal(bootinfo_add_module(&bi, 0x600000, 0x500000, "inverted"), HV_EINVAL);
	assert_int_equal(bi.module_count, 1);
	assert_string_equal(bi.modules[0].cmdline, "initrd quiet");
	for (int i = 1; i < BOOTINFO_MAX_MODULES; i++)
		assert_int_equal(
		    bootinfo_add_module(&bi, 0x1000000 * (u64)i, 0x1000000 * (u64)i + 1, ""), 0);
	assert_int_equal(bootinfo_add_module(&bi, 0x1000, 0x2000, "one too many"), HV_ENOMEM);
	assert_int_equal(bi.warning_count, 3);

	for (int i = 0; i < BOOTINFO_MAX_RESERVED; i++)
		assert_int_equal(bootinfo_reserve(&bi, 0, 0x1000, "r"), 0);
	assert_int_equal(bootinfo_reserve(&bi, 0, 0x1000, "r"), HV_ENOMEM);
	assert_int_equal(bi.warning_count, 4);
}

static void string_store(void **state)
{
	const char *s;
	const u8 *blob;
	u8 data[36];

	(void)state;
	s = bootinfo_strdup(&bi, "hello world", 5);
	assert_string_equal(s, "hello");
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (u8)i;
	blob = bootinfo_memdup(&bi, data, sizeof(data));
	assert_non_null(blob);
	assert_int_equal((uptr)blob % 16, 0);
	assert_memory_equal(blob, data, sizeof(data));
	/* Fill the store: the next copy fails cleanly. */
	while (bootinfo_strdup(&bi, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 64))
		;
	assert_true(bi.strings_used <= BOOTINFO_STRINGS_SIZE);
	assert_null(bootinfo_memdup(&bi, data, sizeof(data)));
	assert_string_equal(s, "hello");
}

static void print_lists_everything(void **state)
{
	const char *text;

	(void)state;
	bi.loader_name = "test loader";
	bi.cmdline = "loglevel=debug";
	bootinfo_add_region(&bi, 0, 0x9fc00, MEM_USABLE);
	bootinfo_add_region(&bi, 0x100000, 0xfee0000, MEM_USABLE);
	bootinfo_add_region(&bi, 0x100000000ull, 0x40000000, MEM_USABLE);
	bootinfo_reserve(&bi, 0, 0x100000, "low 1 MiB");
	bootinfo_add_module(&bi, 0x800000, 0x801000, "mod arg");
	bi.acpi_rsdp = 0xf5a40;
	bi.warning_count = 2;
	capture_console_start();
	bootinfo_print(&bi);
	capture_console_stop();
	text = capture_console_text();
	assert_non_null(strstr(text, "boot: protocol test, loader \"test loader\""));
	assert_non_null(strstr(text, "boot: command line \"loglevel=debug\""));
	assert_non_null(strstr(text, "memory map: 3 regions, 1.2 GiB usable"));
	assert_non_null(
	    strstr(text, "[0x0000000000000000-0x000000000009fbff] usable      639 KiB"));
	assert_non_null(strstr(text, "[0x0000000100000000-0x000000013fffffff] usable      1 GiB"));
	assert_non_null(
	    strstr(text, "reserved: [0x0000000000000000-0x00000000000fffff] low 1 MiB"));
	assert_non_null(
	    strstr(text, "module 0: [0x0000000000800000-0x0000000000800fff] 4 KiB \"mod arg\""));
	assert_non_null(strstr(text, "acpi: RSDP at 0xf5a40"));
	assert_non_null(strstr(text, "W boot: 2 problem(s)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(overlap_more_restrictive_wins, setup),
		cmocka_unit_test_setup(touching_regions_merge, setup),
		cmocka_unit_test_setup(zero_length_wrap_and_bad_type, setup),
		cmocka_unit_test_setup(full_table_is_all_or_nothing, setup),
		cmocka_unit_test_setup(random_maps_match_oracle, setup),
		cmocka_unit_test_setup(usable_bytes_and_names, setup),
		cmocka_unit_test_setup(modules_and_reservations, setup),
		cmocka_unit_test_setup(string_store, setup),
		cmocka_unit_test_setup(print_lists_everything, setup),
	};

	return cmocka_run_group_tests_name("bootinfo", tests, NULL, NULL);
}
