/*
 * The object heap (contract in hv/heap.h).
 *
 * A slab is one page: a header, then capacity objects of one size class.
 * The header's bitmap says which objects are live; allocation takes the
 * first clear bit, so free objects need no in-band links that a stray write
 * after free could corrupt. Slabs with room sit on their class's `partial`
 * list; a full slab is on no list; at most one empty slab per class is kept
 * for reuse, further empty ones go back to the frame allocator.
 *
 * A large object is a run of pages starting with a small header.
 *
 * Both headers carry a magic number and their own address, and hv_free()
 * first asks the frame allocator whether the page is the hypervisor's at
 * all, so a foreign pointer is recognised before anything is written.
 */
#include <hv/check.h>
#include <hv/frames.h>
#include <hv/heap.h>
#include <hv/list.h>
#include <hv/lock.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>

#define SLAB_MAGIC    0x62616c735f7668ull   /* "hv_slab" */
#define LARGE_MAGIC   0x656772616c5f7668ull /* "hv_large" */
#define HEAP_POISON   0x6b
#define SLAB_MAX_OBJS 256

struct slab {
	u64 magic;
	struct slab *self;
	struct list_node link; /* on its class's partial list while it has room */
	u16 class_index;
	u16 obj_size;
	u16 capacity;
	u16 live;
	u64 bitmap[SLAB_MAX_OBJS / 64];
};

struct large {
	u64 magic;
	struct large *self;
	u64 pages;
	u64 size;
};

#define SLAB_FIRST_OFFSET ALIGN_UP(sizeof(struct slab), HEAP_ALIGN)
#define LARGE_OFFSET      ALIGN_UP(sizeof(struct large), HEAP_ALIGN)

static const u16 class_sizes[] = { 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024 };
#define CLASS_COUNT ARRAY_SIZE(class_sizes)

_Static_assert(PAGE_SIZE / 16 <= SLAB_MAX_OBJS, "the bitmap covers the smallest class");

struct size_class {
	struct list_node partial;
	u32 empty_slabs; /* kept for reuse, at most one */
};

static struct {
	spinlock_t lock;
	bool ready;
	struct size_class classes[CLASS_COUNT];
	struct heap_stats stats;
} heap;

void heap_init(void)
{
	memset(&heap, 0, sizeof(heap));
	for (u32 i = 0; i < CLASS_COUNT; i++)
		list_init(&heap.classes[i].partial);
	heap.ready = true;
}

static u32 class_for(size_t size)
{
	u32 i = 0;

	while (class_sizes[i] < size)
		i++;
	return i;
}

static void *slab_object(struct slab *s, u32 index)
{
	return (u8 *)s + SLAB_FIRST_OFFSET + (size_t)index * s->obj_size;
}

/* A fresh slab for class c, its objects poisoned like freed ones. Lock held. */
static struct slab *slab_create(u32 c)
{
	struct slab *s;
	hpa_t pa;

	if (frames_alloc(1, PAGE_SIZE, FRAME_OWNER_HV, &pa))
		return NULL;
	s = phys_to_virt(pa);
	memset(s, 0, sizeof(*s));
	s->magic = SLAB_MAGIC;
	s->self = s;
	s->class_index = (u16)c;
	s->obj_size = class_sizes[c];
	s->capacity = (u16)((PAGE_SIZE - SLAB_FIRST_OFFSET) / s->obj_size);
	memset(slab_object(s, 0), HEAP_POISON, (size_t)s->capacity * s->obj_size);
	list_add(&s->link, &heap.classes[c].partial);
	heap.classes[c].empty_slabs++;
	heap.stats.slab_pages++;
	return s;
}

static void check_poison(struct slab *s, u32 index)
{
	const u8 *p = slab_object(s, index);

	for (u32 i = 0; i < s->obj_size; i++)
		if (p[i] != HEAP_POISON)
			panic("heap: %u-byte object at %p was written after it was freed (byte %u "
			      "is %#x)",
			      s->obj_size, (const void *)p, i, p[i]);
}

static void *small_alloc(size_t size)
{
	u32 c = class_for(size);
	struct size_class *cls = &heap.classes[c];
	struct slab *s;
	u32 index = 0;
	void *obj;

	spin_lock(&heap.lock);
	if (list_empty(&cls->partial) && !slab_create(c)) {
		spin_unlock(&heap.lock);
		return NULL;
	}
	s = list_entry(cls->partial.next, struct slab, link);
	while (s->bitmap[index / 64] & BIT(index % 64))
		index++;
	CHECK(index < s->capacity);
	check_poison(s, index);
	s->bitmap[index / 64] |= BIT(index % 64);
	if (s->live++ == 0)
		cls->empty_slabs--;
	if (s->live == s->capacity)
		list_del(&s->link);
	heap.stats.objects++;
	heap.stats.bytes += size;
	obj = slab_object(s, index);
	memset(obj, 0, s->obj_size);
	spin_unlock(&heap.lock);
	return obj;
}

static void *large_alloc(size_t size)
{
	u64 pages = DIV_ROUND_UP(size + LARGE_OFFSET, PAGE_SIZE);
	struct large *l;
	hpa_t pa;

	if (size > (1ull << 40) || frames_alloc(pages, PAGE_SIZE, FRAME_OWNER_HV, &pa))
		return NULL;
	l = phys_to_virt(pa);
	memset(l, 0, pages * PAGE_SIZE);
	l->magic = LARGE_MAGIC;
	l->self = l;
	l->pages = pages;
	l->size = size;
	spin_lock(&heap.lock);
	heap.stats.objects++;
	heap.stats.bytes += size;
	heap.stats.large_pages += pages;
	spin_unlock(&heap.lock);
	return (u8 *)l + LARGE_OFFSET;
}

void *heap_alloc(size_t size)
{
	CHECK(heap.ready);
	return size <= HEAP_SMALL_MAX ? small_alloc(size) : large_alloc(size);
}

static __noreturn void not_ours(const void *ptr, const char *why)
{
	panic("hv_free(%p): not an object from hv_zalloc (%s)", ptr, why);
}

static void small_free(struct slab *s, void *ptr)
{
	struct size_class *cls = &heap.classes[s->class_index];
	uptr off = (uptr)ptr - (uptr)s;
	u32 index;

	if (off < SLAB_FIRST_OFFSET || (off - SLAB_FIRST_OFFSET) % s->obj_size)
		not_ours(ptr, "inside a slab page but not at the start of an object");
	index = (u32)((off - SLAB_FIRST_OFFSET) / s->obj_size);
	if (index >= s->capacity)
		not_ours(ptr, "past the last object of its slab");

	spin_lock(&heap.lock);
	if (!(s->bitmap[index / 64] & BIT(index % 64)))
		panic("hv_free(%p): double free of a %u-byte object (slab %p, object %u)", ptr,
		      s->obj_size, (void *)s, index);
	if (s->live == s->capacity)
		list_add(&s->link, &cls->partial);
	s->bitmap[index / 64] &= ~BIT(index % 64);
	memset(ptr, HEAP_POISON, s->obj_size);
	heap.stats.objects--;
	/* The exact size is not kept: account the class size (stats only). */
	heap.stats.bytes -= MIN(heap.stats.bytes, (u64)s->obj_size);
	if (--s->live == 0 && ++cls->empty_slabs > 1) {
		list_del(&s->link);
		cls->empty_slabs--;
		heap.stats.slab_pages--;
		s->magic = 0;
		frames_free(virt_to_phys(s), 1, FRAME_OWNER_HV);
	}
	spin_unlock(&heap.lock);
}

static void large_free(struct large *l, void *ptr)
{
	u64 pages = l->pages;

	if ((u8 *)ptr != (u8 *)l + LARGE_OFFSET)
		not_ours(ptr, "inside a large object but not at its start");
	spin_lock(&heap.lock);
	heap.stats.objects--;
	heap.stats.bytes -= MIN(heap.stats.bytes, l->size);
	heap.stats.large_pages -= pages;
	spin_unlock(&heap.lock);
	l->magic = 0;
	frames_free(virt_to_phys(l), pages, FRAME_OWNER_HV);
}

void heap_free(void *ptr)
{
	void *page = (void *)ALIGN_DOWN((uptr)ptr, PAGE_SIZE);
	const struct slab *hdr = page;

	if (!ptr)
		return;
	CHECK(heap.ready);
	if (!IS_ALIGNED((uptr)ptr, HEAP_ALIGN))
		not_ours(ptr, "misaligned");
	/* Only read a header where the frame allocator says the hypervisor owns the page. */
	if (!frames_range_is_hv_owned(virt_to_phys(page), PAGE_SIZE))
		not_ours(ptr, "not hypervisor memory; already freed?");
	if (hdr->magic == SLAB_MAGIC && hdr->self == page)
		small_free((struct slab *)page, ptr);
	else if (hdr->magic == LARGE_MAGIC && ((const struct large *)page)->self == page)
		large_free((struct large *)page, ptr);
	else
		not_ours(ptr, "no heap header on its page; already freed?");
}

void heap_get_stats(struct heap_stats *st)
{
	spin_lock(&heap.lock);
	*st = heap.stats;
	spin_unlock(&heap.lock);
}
