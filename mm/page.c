/*
 * page_alloc()/page_free() for the image (contract in hv/mm.h): single
 * zeroed frames owned by the hypervisor, for page tables and other
 * page-sized structures. The host build has its own (arch/fake/mm.c).
 */
#include <hv/check.h>
#include <hv/frames.h>
#include <hv/mm.h>
#include <hv/string.h>

static u64 pages_outstanding;

void *page_alloc(void)
{
	hpa_t pa;
	void *page;

	if (frames_alloc(1, PAGE_SIZE, FRAME_OWNER_HV, &pa))
		return NULL;
	page = phys_to_virt(pa);
	memset(page, 0, PAGE_SIZE);
	__atomic_fetch_add(&pages_outstanding, 1, __ATOMIC_RELAXED);
	return page;
}

void page_free(void *page)
{
	if (!page)
		return;
	CHECK(IS_ALIGNED((uptr)page, PAGE_SIZE));
	frames_free(virt_to_phys(page), 1, FRAME_OWNER_HV);
	__atomic_fetch_sub(&pages_outstanding, 1, __ATOMIC_RELAXED);
}

u64 page_alloc_outstanding(void)
{
	return __atomic_load_n(&pages_outstanding, __ATOMIC_RELAXED);
}
