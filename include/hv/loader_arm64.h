/*
 * arm64 Linux guests (vmm/loader/arm64_image.c): the Image, an initrd, and a
 * device tree written for the guest (vmm/loader/arm64_fdt.c) that shows only
 * its RAM and the devices it may use.
 *
 * Image header: Documentation/arch/arm64/booting.rst, "Call the kernel
 * image" (64 bytes: code0/1, text_offset, image_size, flags, res2-4, magic
 * "ARM\x64" at 56). Entry state: same document, "Primary CPU general-purpose
 * register settings" and "CPU mode".
 */
#ifndef HV_LOADER_ARM64_H
#define HV_LOADER_ARM64_H

#include <hv/loader.h>

#define ARM64_IMAGE_HEADER_SIZE 64
#define ARM64_IMAGE_TEXT_OFFSET 8
#define ARM64_IMAGE_IMAGE_SIZE  16
#define ARM64_IMAGE_FLAGS       24
#define ARM64_IMAGE_MAGIC_OFF   56
#define ARM64_IMAGE_MAGIC       0x644d5241u /* "ARM\x64" little-endian */
#define ARM64_IMAGE_FLAG_BE     BIT(0)
#define ARM64_IMAGE_PAGE_SHIFT  1
#define ARM64_IMAGE_PAGE_MASK   GENMASK(2, 1) /* 0 unspecified, 1 4K, 2 16K, 3 64K */
#define ARM64_IMAGE_BASE_ALIGN  SZ_2M
#define ARM64_DTB_MAX           SZ_2M /* booting.rst: at most 2 MiB, 8-byte aligned */
#define ARM64_DTB_ALIGN         8
#define ARM64_DTB_BUF_SIZE      0x4000 /* what our trees need, with room */

/* SPSR_EL2 for the guest's first entry: EL1h, D A I F masked (Arm ARM C5.2.19). */
#define ARM64_PSTATE_EL1H 0x5u
#define ARM64_PSTATE_DAIF (0xfu << 6)
#define ARM64_BOOT_PSTATE (ARM64_PSTATE_EL1H | ARM64_PSTATE_DAIF)

enum arm64_gic_version { ARM64_GIC_V2 = 2, ARM64_GIC_V3 = 3 };
enum arm64_psci_method { ARM64_PSCI_HVC, ARM64_PSCI_SMC };

#define ARM64_GUEST_CPUS_MAX 8 /* GICv2's limit; MPIDR Aff0 = cpu index */

/* Interrupt specifier values (DT bindings arm,gic.yaml / arm,gic-v3.yaml). */
#define ARM64_GIC_SPI              0
#define ARM64_GIC_PPI              1
#define ARM64_IRQ_LEVEL_HIGH       4
#define ARM64_GIC_V2_PPI_CPU_SHIFT 8

struct arm64_guest_config {
	const u8 *image;
	size_t image_size;
	const u8 *initrd; /* NULL: none */
	size_t initrd_size;
	const char *bootargs; /* NULL: empty */

	u32 cpu_count; /* 1..ARM64_GUEST_CPUS_MAX */
	enum arm64_gic_version gic_version;
	struct guest_range gic_dist;
	struct guest_range gic_cpu_or_redist; /* v2: CPU interface; v3: redistributors */
	struct guest_range uart;              /* the emulated PL011 */
	u32 uart_spi;                         /* its SPI number (INTID - 32) */
	u32 timer_ppi
	    [4]; /* secure phys, non-secure phys, virtual, hyp (INTID - 16); 0s: 13 14 11 10 */
	enum arm64_psci_method psci;
};

struct arm64_boot_state {
	u64 x[4]; /* x0 = DTB, x1-x3 = 0 */
	u64 pc;
	u64 pstate;
};

struct arm64_guest_info {
	u64 image_base, image_size; /* where the Image runs and what it may use */
	u64 dtb, dtb_size;
	u64 initrd, initrd_size;
	u32 page_size_field; /* the header's page-size field: the backend checks CPU support */
};

/*
 * Write the guest's device tree for cfg into buf. initrd is [start, end),
 * both 0 for none. Returns the DTB size, or HV_EINVAL / HV_ENOMEM.
 */
int arm64_guest_fdt(const struct guest_mem *m, const struct arm64_guest_config *cfg,
		    u64 initrd_start, u64 initrd_end, void *buf, size_t cap);

/*
 * Load an arm64 Image, the initrd and the guest's DTB into m and return the
 * entry state (x0 = DTB, PC = image start, EL1h with DAIF masked).
 * The Image goes text_offset bytes above the lowest 2 MiB-aligned base in
 * RAM that leaves the first 2 MiB-aligned block for the DTB; the initrd as
 * high as possible in RAM. Refused (HV_EINVAL, logged): a file shorter than
 * its header, no "ARM\x64" magic, a big-endian kernel, image_size 0
 * (pre-3.17) or smaller than the file, a bad config. HV_ERANGE when
 * something does not fit. Nothing is written unless the whole plan is valid.
 */
int arm64_image_load(const struct guest_mem *m, const struct arm64_guest_config *cfg,
		     struct arm64_boot_state *st, struct arm64_guest_info *info);

#endif /* HV_LOADER_ARM64_H */
