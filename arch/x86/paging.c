/*
 * The hypervisor's own page tables (arch_paging_init), replacing the boot
 * tables of entry.asm.
 *
 * Identity map (virtual = physical) of:
 *   - all RAM the memory map names (usable, ACPI, NVS) up to MAXPHYADDR,
 *     and boot modules: read/write, no-execute, write-back, with the
 *     largest pages that fit (1 GiB when the CPU has them, else 2 MiB,
 *     else 4 KiB);
 *   - the low 1 MiB except page 0 (BIOS data, EBDA, ROMs): read/write, NX;
 *   - the image with 4 KiB pages and W^X: .text read+execute, .rodata and
 *     .ksyms read-only NX, .data/.bss read/write NX.
 * Not mapped: page 0 (null pointers fault), the guard page below every
 * stack, device memory (MMIO is mapped by the code that drives a device).
 *
 * All leaves are global. After loading CR3 the tables are audited: no leaf
 * may be both writable and executable.
 *
 * The tables are built while the boot tables are live, so their frames must
 * lie in the low 4 GiB (frames_set_limit, set by arch_early_init); the limit
 * is lifted once the new tables are loaded.
 */
#include <arch/boot.h>
#include <hv/check.h>
#include <hv/fmt.h>
#include <hv/frames.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <x86/asm.h>
#include <x86/features.h>
#include <x86/layout.h>
#include <x86/paging.h>
#include <x86/regs.h>

#define LOW_MEMORY_END (1ull << 20)
#define MAX_RANGES     (BOOTINFO_MAX_REGIONS + BOOTINFO_MAX_MODULES + 1)

#define FLAGS_TABLE    (PTE_P | PTE_RW)
#define FLAGS_DATA     (PTE_P | PTE_RW | PTE_G | PTE_NX)
#define FLAGS_CODE     (PTE_P | PTE_G)
#define FLAGS_RODATA   (PTE_P | PTE_G | PTE_NX)

static u64 *pml4;
static u64 nx_bit; /* PTE_NX when the CPU has NX, else 0 */
static struct {
	u64 leaves[PT_LEVELS + 1]; /* by level: 1 = 4K, 2 = 2M, 3 = 1G */
	u64 tables;
	u64 mapped_bytes;
} stats;

struct range {
	u64 base, end;
};

static u64 level_size(unsigned level)
{
	return 1ull << PT_LEVEL_SHIFT(level);
}

static u64 *table_alloc(void)
{
	u64 *t = page_alloc();

	if (!t)
		panic("paging: out of memory for the hypervisor's page tables");
	stats.tables++;
	return t;
}

/* The entry for va at level, creating intermediate tables on the way down. */
static u64 *walk_create(u64 va, unsigned level)
{
	u64 *table = pml4;

	for (unsigned l = PT_LEVELS; l > level; l--) {
		u64 *e = &table[PT_INDEX(va, l)];

		if (!(*e & PTE_P))
			*e = hpa_val(virt_to_phys(table_alloc())) | FLAGS_TABLE;
		CHECK(!(*e & PTE_PS));
		table = phys_to_virt(hpa(*e & PTE_ADDR_MASK));
	}
	return &table[PT_INDEX(va, level)];
}

/* Identity-map [pa, end) with leaf flags, using large pages where allowed and aligned. */
static void map_range(u64 pa, u64 end, u64 flags, bool large)
{
	while (pa < end) {
		unsigned level = 1;
		u64 *e;

		if (large && x86_cpu.page_1g && IS_ALIGNED(pa, SZ_1G) && end - pa >= SZ_1G)
			level = 3;
		else if (large && IS_ALIGNED(pa, SZ_2M) && end - pa >= SZ_2M)
			level = 2;
		e = walk_create(pa, level);
		CHECK(!(*e & PTE_P)); /* every range is mapped exactly once */
		*e = pa | (flags & ~PTE_NX) | (flags & nx_bit) | (level > 1 ? PTE_PS : 0);
		stats.leaves[level]++;
		stats.mapped_bytes += level_size(level);
		pa += level_size(level);
	}
}

/* Sort by base and merge overlapping or touching ranges. */
static u32 merge_ranges(struct range *r, u32 n)
{
	u32 out = 0;

	for (u32 i = 1; i < n; i++) {
		struct range key = r[i];
		u32 j = i;

		while (j > 0 && r[j - 1].base > key.base) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = key;
	}
	for (u32 i = 0; i < n; i++) {
		if (r[i].end <= r[i].base)
			continue;
		if (out && r[i].base <= r[out - 1].end)
			r[out - 1].end = MAX(r[out - 1].end, r[i].end);
		else
			r[out++] = r[i];
	}
	return out;
}

/* Map [base, end) as data, leaving out the image, which gets its own mappings. */
static void map_data_around_image(u64 base, u64 end)
{
	u64 is = (uptr)__image_start, ie = (uptr)__image_end;

	if (base < is)
		map_range(base, MIN(end, is), FLAGS_DATA, true);
	if (end > ie)
		map_range(MAX(base, ie), end, FLAGS_DATA, true);
}

static void map_image(void)
{
	map_range((uptr)__text_start, (uptr)__text_end, FLAGS_CODE, false);
	map_range((uptr)__rodata_start, (uptr)__rodata_end, FLAGS_RODATA, false);
	map_range((uptr)__ksyms_start, (uptr)__ksyms_end, FLAGS_RODATA, false);
	/* .data and .bss, minus the stack guard pages. */
	for (u64 pa = (uptr)__data_start; pa < (uptr)__data_end; pa += PAGE_SIZE)
		if (!x86_stack_guard_of(pa))
			map_range(pa, pa + PAGE_SIZE, FLAGS_DATA, false);
}

/* Count leaves that are writable and executable; the answer must be 0. */
static u64 audit_wx(const u64 *table, unsigned level)
{
	u64 bad = 0;

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & PTE_P))
			continue;
		if (level == 1 || (e & PTE_PS))
			bad += (e & PTE_RW) && !(e & PTE_NX);
		else
			bad += audit_wx(phys_to_virt(hpa(e & PTE_ADDR_MASK)), level - 1);
	}
	return bad;
}

void arch_paging_init(const struct boot_info *bi)
{
	struct range ram[MAX_RANGES];
	u64 phys_end = 1ull << x86_cpu.phys_bits;
	u64 wx;
	u32 n = 0;
	char size[32];

	nx_bit = x86_cpu.nx ? PTE_NX : 0;
	pml4 = table_alloc();

	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mem_region *r = &bi->regions[i];

		if (r->type == MEM_USABLE || r->type == MEM_ACPI_RECLAIM || r->type == MEM_ACPI_NVS)
			ram[n++] = (struct range){ ALIGN_DOWN(r->base, PAGE_SIZE),
						   ALIGN_UP(r->base + r->size, PAGE_SIZE) };
	}
	for (u32 i = 0; i < bi->module_count; i++)
		ram[n++] = (struct range){ ALIGN_DOWN(bi->modules[i].start, PAGE_SIZE),
					   ALIGN_UP(bi->modules[i].end, PAGE_SIZE) };
	ram[n++] = (struct range){ PAGE_SIZE, LOW_MEMORY_END };
	n = merge_ranges(ram, n);

	for (u32 i = 0; i < n; i++) {
		u64 base = MAX(ram[i].base, PAGE_SIZE), end = MIN(ram[i].end, phys_end);

		if (base < end)
			map_data_around_image(base, end);
	}
	map_image();

	write_cr3(hpa_val(virt_to_phys(pml4)));
	if (x86_cpu.pge)
		write_cr4(read_cr4() | CR4_PGE);
	frames_set_limit(hpa(~0ull));

	wx = audit_wx(pml4, PT_LEVELS);
	CHECK(!x86_cpu.nx || wx == 0);
	log_info("paging: identity map of %s in %llu x 1G, %llu x 2M, %llu x 4K pages, %llu tables",
		 fmt_size(size, sizeof(size), stats.mapped_bytes),
		 (unsigned long long)stats.leaves[3], (unsigned long long)stats.leaves[2],
		 (unsigned long long)stats.leaves[1], (unsigned long long)stats.tables);
	log_info("paging: image %#llx-%#llx: text RX, rodata R, data+bss RW NX, stack guards "
		 "unmapped",
		 (unsigned long long)(uptr)__image_start,
		 (unsigned long long)(uptr)__image_end - 1);
	if (x86_cpu.nx)
		log_info("paging: W^X audit: no writable+executable page");
	else
		log_warn(
		    "paging: this CPU has no NX: data pages are executable (W^X not enforced)");
}
