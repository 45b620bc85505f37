/*
 * What the arm64 boot path shares between entry.S, the boot map built with
 * the MMU off, and the arch_* hooks that run later: image layout symbols,
 * the state found at boot, and the memory-map plan both page-table builds use.
 */
#ifndef ARM64_BOOT_H
#define ARM64_BOOT_H

#include <hv/console.h>
#include <hv/fdt.h>
#include <hv/types.h>

#include <arm64/pgtable.h>

/* Image layout, from linker/arm64.ld (addresses are run-time: the image is PIE). */
extern char __image_start[], __text_end[], __rodata_end[], __data_end[];
extern char __stack_block[], __image_end[];

/* Written by entry.S once the MMU is on. */
extern u64 arm64_entry_ticks; /* CNTPCT_EL0 at the first instruction */
extern u64 arm64_entry_sctlr; /* SCTLR_EL2 as the loader left it */
extern u64 arm64_main_ticks;  /* CNTPCT_EL0 when hv_main() started (arch_early_init) */

/* What arm64_boot_map_init() found; read-only once the MMU is on. */
struct arm64_boot {
	u64 dtb;                  /* x0 at entry */
	bool fdt_ok;              /* the DTB passed fdt_open() and is mapped read-only */
	struct fdt_error fdt_err; /* why not, when !fdt_ok */
	struct fdt fdt;
	struct fdt_platform plat;                /* parsed with the MMU off, without reports */
	const struct console_dev *early_console; /* PL011 set up before the MMU, or NULL */
	unsigned parange;                        /* ID_AA64MMFR0_EL1.PARange */
	unsigned va_bits;                        /* of the hypervisor's identity map */
	struct pt_el2 pt;                        /* the boot map */
};
extern struct arm64_boot arm64_boot;

/* Called by entry.S with the MMU off; returns only with MAIR, TCR and TTBR0 set. */
void arm64_boot_map_init(u64 dtb);

/* Log the UART, GIC, timer and boot modules the loader described. */
struct boot_info;
void arm64_log_devices(const struct boot_info *bi);

/* Cache and MMU maintenance (arch/arm64/cache.S). */
void arm64_dcache_inval_poc(u64 start, u64 end);
void arm64_dcache_clean_poc(u64 start, u64 end);
void arm64_dcache_clean_inval_poc(u64 start, u64 end);
void arm64_mmu_switch(u64 ttbr);

/* ---- the memory-map plan (arch/arm64/map_plan.c) ---------------------------------- */

#define MAP_PLAN_RAM   BOOTINFO_MAX_REGIONS
#define MAP_PLAN_OTHER 48

struct map_range {
	u64 base;
	u64 size;
};

/*
 * Everything an identity map must (and must not) cover besides the image,
 * which is always mapped section by section with W^X.
 */
struct map_plan {
	u32 ram_count, ro_count, dev_count, hole_count;
	struct map_range ram[MAP_PLAN_RAM];    /* read-write, never executable */
	struct map_range ro[MAP_PLAN_OTHER];   /* read-only data inside RAM (DTB, initrd) */
	struct map_range dev[MAP_PLAN_OTHER];  /* MMIO we drive */
	struct map_range hole[MAP_PLAN_OTHER]; /* never mapped (no-map firmware memory) */
};

/* Append to one of the plan's lists; false (nothing added) when it is full. */
bool map_plan_add(struct map_range *list, u32 *count, u32 max, u64 base, u64 size);

/*
 * Build the identity map in pt: image sections first (text RX, rodata R,
 * data/BSS/stacks/pool RW+XN, stack guards unmapped), then holes are kept
 * out, read-only ranges, devices and finally RAM, each minus whatever is
 * already covered. Ranges are widened to pages, RAM narrowed. Returns 0 or
 * the pt_el2_map() error.
 */
int map_plan_build(struct pt_el2 *pt, const struct map_plan *plan);

/* Leaf mappings that are both writable and executable (must be 0). */
u32 pt_el2_count_wx(const struct pt_el2 *pt);

#endif /* ARM64_BOOT_H */
