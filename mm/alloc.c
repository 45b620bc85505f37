/*
 * hv_zalloc()/hv_free() for the image (contract in hv/mm.h): the object
 * heap (mm/heap.c). The host build has its own (arch/fake/mm.c).
 */
#include <hv/heap.h>
#include <hv/mm.h>

void *hv_zalloc(size_t size)
{
	return heap_alloc(size);
}

void hv_free(void *ptr)
{
	heap_free(ptr);
}
