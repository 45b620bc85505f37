/*
 * What the boot loader told us, in one arch-neutral structure.
 *
 * Filled once at boot by a protocol parser (boot/multiboot.c for Multiboot v1
 * and v2 on x86_64, boot/fdt.c for the arm64 device tree) and read-only
 * afterwards. The memory map is normalised by bootinfo_add_region(): sorted by
 * base, no overlaps (where two regions overlap, the more restrictive type wins
 * for the overlapping part), zero-length regions dropped.
 *
 * Strings (and copied blobs such as the ACPI RSDP a Multiboot2 loader embeds)
 * point into bootinfo-owned storage, never into loader memory, so the
 * loader's structures may be reused once parsing is done.
 *
 * Error policy: what the loader passed is input, never trusted. Parsers keep
 * what is sane, log what was wrong and where (bootinfo_warn) and count each
 * problem once in warning_count; nothing here panics on loader data.
 */
#ifndef HV_BOOTINFO_H
#define HV_BOOTINFO_H

#include <hv/types.h>

/* Ordered from least to most restrictive: on overlap, the larger value wins. */
enum mem_type {
	MEM_USABLE = 1,       /* free RAM */
	MEM_ACPI_RECLAIM = 2, /* ACPI tables: RAM once they are parsed (we keep them) */
	MEM_ACPI_NVS = 3,     /* firmware-owned across sleep states */
	MEM_RESERVED = 4,     /* firmware, MMIO or otherwise not ours */
	MEM_BAD = 5,          /* defective RAM */
};

struct mem_region {
	u64 base;
	u64 size;
	enum mem_type type;
};

struct boot_module {
	u64 start; /* physical, inclusive */
	u64 end;   /* physical, exclusive */
	const char *cmdline;
};

struct boot_framebuffer {
	bool present;
	u64 addr;
	u32 pitch, width, height;
	u8 bpp;
	u8 type; /* 0 indexed, 1 RGB, 2 EGA text (Multiboot numbering) */
};

/* A device register window in physical address space; size 0 means absent. */
struct boot_mmio {
	u64 base;
	u64 size;
};

enum boot_uart_type {
	BOOT_UART_NONE = 0,
	BOOT_UART_PL011 = 1, /* Arm PrimeCell UART (MMIO) */
	BOOT_UART_16550 = 2, /* NS16550-compatible */
};

/* The UART the loader named as the console (device tree /chosen stdout-path). */
struct boot_uart {
	enum boot_uart_type type;
	struct boot_mmio regs;
	u32 clock_hz; /* reference clock, 0 if unknown (keep the firmware's settings) */
	u32 irq;      /* its interrupt ID at the interrupt controller, 0 if not given */
};

enum boot_irqchip_type {
	BOOT_IRQCHIP_NONE = 0,
	BOOT_IRQCHIP_GICV2 = 2, /* Arm GIC v2 (memory-mapped CPU interface) */
	BOOT_IRQCHIP_GICV3 = 3, /* Arm GIC v3 (system-register CPU interface) */
};

/* The interrupt controller, as far as the loader described it. */
struct boot_irqchip {
	enum boot_irqchip_type type;
	struct boot_mmio dist;   /* distributor (GICD) */
	struct boot_mmio redist; /* v3: first redistributor region (GICR) */
	struct boot_mmio cpu;    /* CPU interface (GICC; v3 only with legacy support) */
	struct boot_mmio hyp;    /* virtual interface control (GICH) */
	struct boot_mmio vcpu;   /* virtual CPU interface (GICV) */
	u32 redist_regions;      /* v3: number of redistributor regions */
	u32 maint_irq;           /* maintenance interrupt ID, 0 if not given */
};

/* The per-CPU timer interrupts (interrupt IDs; 0 if not given) and counter rate. */
struct boot_timer {
	u32 phys_irq;     /* EL1 physical timer */
	u32 virt_irq;     /* EL1 virtual timer */
	u32 hyp_irq;      /* EL2 physical timer */
	u32 hyp_virt_irq; /* EL2 virtual timer (VHE) */
	u32 freq_hz;      /* only when firmware overrides the counter frequency */
};

/*
 * A range the platform code says must never be allocated although the memory
 * map may call it usable (x86: the low 1 MiB; arm64: the DTB blob and its
 * /memreserve/ entries). frames_init() reserves every one of them.
 */
struct mem_reservation {
	u64 base;
	u64 size;
	const char *what; /* static string, for the log */
};

#define BOOTINFO_MAX_REGIONS  128
#define BOOTINFO_MAX_MODULES  16
#define BOOTINFO_MAX_RESERVED 16
#define BOOTINFO_CMDLINE_MAX  1024
#define BOOTINFO_STRINGS_SIZE 4096

struct boot_info {
	const char *protocol;    /* "multiboot1", "multiboot2", "fdt" */
	const char *loader_name; /* as the loader gave it, or "" */
	const char *cmdline;     /* the hypervisor's command line, or "" */

	u32 region_count;
	struct mem_region regions[BOOTINFO_MAX_REGIONS];

	u32 module_count;
	struct boot_module modules[BOOTINFO_MAX_MODULES];

	u32 reserved_count;
	struct mem_reservation reserved[BOOTINFO_MAX_RESERVED];

	struct boot_framebuffer fb;

	u64 acpi_rsdp; /* physical address of the ACPI RSDP, 0 if unknown */
	u64 fdt;       /* physical address of the flattened device tree, 0 if none */

	/* Devices the loader described (device tree); zero where it said nothing. */
	struct boot_uart uart;
	struct boot_irqchip irqchip;
	struct boot_timer timer;

	/* Problems found while parsing (truncated tags, too many regions, ...). */
	u32 warning_count;

	/* Backing store for the strings above. */
	u32 strings_used;
	char strings[BOOTINFO_STRINGS_SIZE];
};

/* Empty the structure (no regions, empty strings). */
void bootinfo_init(struct boot_info *bi, const char *protocol);

/*
 * Add a memory-map entry, keeping the map sorted and non-overlapping: where
 * it overlaps existing entries the more restrictive type wins for the
 * overlapping part, and touching entries of one type merge. The update is
 * all or nothing. Returns:
 *   0           added
 *   HV_EOVERLAP added, but it overlapped an existing entry
 *   HV_ERANGE   added, clipped at 2^64 - 1 because base + size wrapped
 *   HV_EINVAL   zero length (or an unknown type): ignored
 *   HV_ENOMEM   the table is full: dropped
 * Every non-zero return also counts one warning; the caller logs it with
 * the context it knows (which entry, at which offset), see bootinfo_warn().
 */
int bootinfo_add_region(struct boot_info *bi, u64 base, u64 size, enum mem_type type);

/*
 * Record a boot module [start, end) with its command line (copied).
 * HV_EINVAL for an empty or inverted range, HV_ENOMEM when the table or the
 * string storage is full; each counts a warning and the module is dropped.
 */
int bootinfo_add_module(struct boot_info *bi, u64 start, u64 end, const char *cmdline);

/*
 * Record a platform reservation (see struct mem_reservation); what must be
 * a string that outlives bi. HV_ENOMEM (+ a warning) when the table is full.
 */
int bootinfo_reserve(struct boot_info *bi, u64 base, u64 size, const char *what);

/* Log a problem with the loader's data at LOG_WARN and count it. */
void bootinfo_warn(struct boot_info *bi, const char *fmt, ...) __printf(2, 3);

/*
 * Copy a string of at most max_len bytes (stopping at a NUL) into the
 * structure's storage, always NUL-terminated; NULL if it does not fit.
 */
const char *bootinfo_strdup(struct boot_info *bi, const char *s, size_t max_len);

/* Copy n bytes into the structure's storage, 16-byte aligned; NULL if no room. */
const void *bootinfo_memdup(struct boot_info *bi, const void *p, size_t n);

/* Sum of MEM_USABLE bytes. */
u64 bootinfo_usable_bytes(const struct boot_info *bi);

const char *mem_type_name(enum mem_type type);

/*
 * Log everything at LOG_INFO: protocol and loader, command line, the memory
 * map, platform reservations, modules, framebuffer, ACPI/FDT pointers, and
 * the number of warnings.
 */
void bootinfo_print(const struct boot_info *bi);

#endif /* HV_BOOTINFO_H */
