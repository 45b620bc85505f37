/*
 * page_alloc()/page_free() and their contiguous variants for the image
 * (contract in hv/mm.h): zeroed frames owned by the hypervisor, for page
 * tables and other page-sized structures. The host build has its own
 * (arch/fake/mm.c).
 */
#include <hv/check.h>
#include <hv/frames.h>
#include <hv/mm.h>
#include <hv/string.h>

static u64 pages_outstanding;

void *page_alloc_contig(unsigned count)
{
	hpa_t pa;
	void *pages;

	CHECK(count > 0 && (count & (count - 1)) == 0);
	if (frames_alloc(count, (u64)count * PAGE_SIZE, FRAME_OWNER_HV, &pa))
		return NULL;
	pages = phys_to_virt(pa);
	memset(pages, 0, (size_t)count * PAGE_SIZE);
	__atomic_fetch_add(&pages_outstanding, count, __ATOMIC_RELAXED);
	return pages;
}

void page_free_contig(void *pages, unsigned count)
{
	if (!pages)
		return;
	CHECK(count > 0 && IS_ALIGNED((uptr)pages, (u64)count * PAGE_SIZE));
	frames_free(virt_to_phys(pages), count, FRAME_OWNER_HV);
	__atomic_fetch_sub(&pages_outstanding, count, __ATOMIC_RELAXED);
}

void *page_alloc(void)
{
	return page_alloc_contig(1);
}

void page_free(void *page)
{
	page_free_contig(page, 1);
}

u64 page_alloc_outstanding(void)
{
	return __atomic_load_n(&pages_outstanding, __ATOMIC_RELAXED);
}
