/*
 * The object heap behind hv_zalloc()/hv_free() in the image (mm/alloc.c).
 *
 * Small objects (up to HEAP_SMALL_MAX bytes) come from slab pages, one size
 * class per page; larger ones get their own run of contiguous frames. All
 * memory comes from the frame allocator as FRAME_OWNER_HV.
 *
 * Objects are zeroed and 16-byte aligned. Freed objects are poisoned and the
 * poison is checked when the object is handed out again, so a write after
 * free is reported. Freeing something twice, or something hv_zalloc never
 * returned, is a hypervisor bug: the heap panics and says which.
 *
 * Lock: one spinlock, taken before the frame allocator's (docs/architecture.md).
 */
#ifndef HV_HEAP_H
#define HV_HEAP_H

#include <hv/types.h>

#define HEAP_ALIGN     16
#define HEAP_SMALL_MAX 1024

/* Set up the size classes; frames_init() must have run. */
void heap_init(void);

/* A zeroed object of size bytes (0 is allowed), or NULL when frames run out. */
void *heap_alloc(size_t size);

/* Free an object from heap_alloc(); NULL is ignored. Panics on misuse. */
void heap_free(void *ptr);

struct heap_stats {
	u64 objects;     /* live objects */
	u64 bytes;       /* bytes requested by live objects */
	u64 slab_pages;  /* pages holding small objects */
	u64 large_pages; /* pages holding large objects */
};

void heap_get_stats(struct heap_stats *st);

#endif /* HV_HEAP_H */
