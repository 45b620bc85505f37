/*
 * Host implementation of the memory seams (hv/mm.h): one aligned malloc per
 * page, so AddressSanitizer catches any access past a table page, and an
 * outstanding-page counter that tests compare with zero at teardown.
 * page_alloc_fail_after() lets tests exercise out-of-memory paths.
 */
#include <stdlib.h>
#include <string.h>

#include <hv/mm.h>

#include <fake.h>

static u64 pages_outstanding;
static s64 fail_countdown = -1; /* < 0: never fail */

void page_alloc_fail_after(s64 n)
{
	__atomic_store_n(&fail_countdown, n, __ATOMIC_RELAXED);
}

static bool should_fail(void)
{
	s64 left = __atomic_load_n(&fail_countdown, __ATOMIC_RELAXED);

	while (left >= 0) {
		if (__atomic_compare_exchange_n(&fail_countdown, &left, left - 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return left == 0;
	}
	return false;
}

void *page_alloc(void)
{
	void *p;

	if (should_fail())
		return NULL;
	p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!p)
		return NULL;
	memset(p, 0, PAGE_SIZE);
	__atomic_fetch_add(&pages_outstanding, 1, __ATOMIC_RELAXED);
	return p;
}

void page_free(void *page)
{
	if (!page)
		return;
	__atomic_fetch_sub(&pages_outstanding, 1, __ATOMIC_RELAXED);
	free(page);
}

void *page_alloc_contig(unsigned count)
{
	void *p;

	if (!count || (count & (count - 1)) || should_fail())
		return NULL;
	p = aligned_alloc(PAGE_SIZE * count, PAGE_SIZE * count);
	if (!p)
		return NULL;
	memset(p, 0, PAGE_SIZE * count);
	__atomic_fetch_add(&pages_outstanding, count, __ATOMIC_RELAXED);
	return p;
}

void page_free_contig(void *pages, unsigned count)
{
	if (!pages)
		return;
	__atomic_fetch_sub(&pages_outstanding, count, __ATOMIC_RELAXED);
	free(pages);
}

u64 page_alloc_outstanding(void)
{
	return __atomic_load_n(&pages_outstanding, __ATOMIC_RELAXED);
}

void *hv_zalloc(size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(1, size ? size : 1);
}

void hv_free(void *ptr)
{
	free(ptr);
}
