/*
 * Memory seams used by all generic code: table pages, objects, and the
 * physical/virtual correspondence.
 *
 * The hypervisor identity-maps every physical range it touches, so a host
 * physical address and the hypervisor's pointer to it are the same number.
 * The host build (arch/fake) keeps that invariant by using the address of each
 * malloc'd page as its fake physical address. phys_to_virt/virt_to_phys are
 * therefore free, and page-table walkers can follow entries directly.
 *
 * page_alloc/hv_zalloc are implemented twice: for the image in mm/ on top of
 * the frame allocator and the heap, and for the host in arch/fake on top of
 * malloc (one allocation per page, so ASan sees overruns, with counters that
 * tests compare at teardown).
 */
#ifndef HV_MM_H
#define HV_MM_H

#include <hv/types.h>

static inline void *phys_to_virt(hpa_t pa)
{
	return (void *)(uptr)hpa_val(pa);
}

static inline hpa_t virt_to_phys(const void *va)
{
	return hpa((u64)(uptr)va);
}

/* A zeroed, 4 KiB-aligned 4 KiB page, or NULL when memory is exhausted. */
void *page_alloc(void);
/* Return a page from page_alloc(). NULL is ignored. */
void page_free(void *page);
/*
 * `count` physically contiguous, zeroed pages aligned to count * 4 KiB
 * (count a power of two), or NULL: for tables larger than a page, such as the
 * 8 KiB concatenated arm64 stage-2 root. Free with page_free_contig() and the
 * same count. Counted in page_alloc_outstanding() as `count` pages.
 */
void *page_alloc_contig(unsigned count);
void page_free_contig(void *pages, unsigned count);
/* Pages handed out and not yet returned (for leak checks and statistics). */
u64 page_alloc_outstanding(void);

/* A zeroed object of size bytes (8-byte aligned), or NULL. */
void *hv_zalloc(size_t size);
/* Free an object from hv_zalloc(). NULL is ignored. */
void hv_free(void *ptr);

#endif /* HV_MM_H */
