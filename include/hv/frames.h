/*
 * The physical frame allocator: every 4 KiB frame of usable RAM, minus what
 * is already in use when the hypervisor starts.
 *
 * Built once from the boot memory map. Reserved for good, never handed out:
 * the hypervisor image (code, data, BSS with stacks and boot tables), the
 * boot modules, the platform's reservations from boot_info (x86: the low
 * 1 MiB) and the allocator's own metadata. Non-usable map types (ACPI, NVS,
 * reserved, bad RAM) are never part of it in the first place.
 *
 * Each allocation has an owner: FRAME_OWNER_HV for the hypervisor's own use
 * (page tables, heap) or FRAME_OWNER_GUEST for memory handed to a VM. The
 * owner is recorded per frame so that frames_range_is_hv_owned() can tell a
 * guest loader that a range must never be mapped into a guest, and so that
 * frames_free() catches a frame freed as the wrong kind.
 *
 * Allocation is lowest-address-first within [min, max) and below the early
 * limit (frames_set_limit). Metadata is two bitmaps per usable region
 * (allocated, hypervisor-owned): 64 KiB per GiB of RAM.
 *
 * Lock: one spinlock, "the frame allocator's lock" in the global lock order
 * (docs/architecture.md); every function takes it itself. Misuse (freeing
 * a free frame, freeing reserved memory, wrong owner, bad alignment
 * arguments) is a hypervisor bug and panics with the address and reason.
 */
#ifndef HV_FRAMES_H
#define HV_FRAMES_H

#include <hv/bootinfo.h>
#include <hv/types.h>

enum frame_owner {
	FRAME_OWNER_HV = 1,    /* the hypervisor's own memory */
	FRAME_OWNER_GUEST = 2, /* memory given to a VM */
};

/*
 * Build the allocator from bi's memory map, reserving [image_start,
 * image_end), bi's modules and bi's platform reservations. Its metadata goes
 * to the lowest free place below the early limit. Returns HV_ENOMEM when the
 * map has no usable RAM or no room for the metadata. May be called again (unit
 * tests): it forgets all previous state except the early limit.
 */
int frames_init(const struct boot_info *bi, hpa_t image_start, hpa_t image_end);

/*
 * Hand out nothing at or above end until told otherwise: for the time
 * before the arch's page tables map all RAM (x86: the boot tables map only
 * the low 4 GiB). May be called before frames_init(). hpa(~0ull): no limit.
 */
void frames_set_limit(hpa_t end);

/*
 * count contiguous frames whose first address is a multiple of align (a
 * power of two >= PAGE_SIZE), lying inside [min, max). Contents are
 * undefined: zero them before a guest or a table sees them. Returns 0 and
 * the base in *base, or HV_ENOMEM when no such range is free.
 */
int frames_alloc_in(u64 count, u64 align, hpa_t min, hpa_t max, enum frame_owner owner,
		    hpa_t *base);

/* frames_alloc_in() anywhere in RAM. */
int frames_alloc(u64 count, u64 align, enum frame_owner owner, hpa_t *base);

/*
 * Return count frames from base, allocated together or separately, all with
 * this owner. Panics (a hypervisor bug) if any is free, reserved, outside
 * RAM or owned otherwise; nothing is freed then.
 */
void frames_free(hpa_t base, u64 count, enum frame_owner owner);

/*
 * Whether any byte of [base, base + size) is the hypervisor's: its image,
 * the allocator's metadata or frames allocated as FRAME_OWNER_HV. A range
 * that wraps past 2^64 counts as owned (refuse it). size 0: false.
 */
bool frames_range_is_hv_owned(hpa_t base, u64 size);

struct frames_stats {
	u32 span_count;   /* usable regions managed */
	u64 total_frames; /* usable RAM, page-rounded */
	u64 free_frames;
	u64 hv_frames;       /* allocated as FRAME_OWNER_HV (image and metadata excluded) */
	u64 guest_frames;    /* allocated as FRAME_OWNER_GUEST */
	u64 image_frames;    /* reserved for the image (inside usable RAM) */
	u64 module_frames;   /* reserved for boot modules */
	u64 platform_frames; /* reserved by the platform (boot_info) */
	u64 metadata_frames; /* the allocator's bitmaps */
};

void frames_get_stats(struct frames_stats *st);
u64 frames_free_count(void);

/* Log free memory and where the rest went, at LOG_INFO. */
void frames_print_stats(void);

#endif /* HV_FRAMES_H */
