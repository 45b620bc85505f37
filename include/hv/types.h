/*
 * Basic types shared by every part of the hypervisor and by the host build.
 *
 * Addresses of different spaces are distinct one-member structs so the
 * compiler refuses to pass an L2 guest-physical address where a host-physical
 * one is wanted. Build them with hpa()/gpa()/gva(), read them back with
 * *_val(). Frame numbers (gfn, pfn) stay plain u64: they are indices, and the
 * MMU engine converts them in a handful of audited places.
 */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef uintptr_t uptr;

/* Host-physical, guest-physical and guest-virtual addresses. */
typedef struct {
	u64 v;
} hpa_t;
typedef struct {
	u64 v;
} gpa_t;
typedef struct {
	u64 v;
} gva_t;

typedef u64 gfn_t; /* guest frame number: gpa >> PAGE_SHIFT */
typedef u64 pfn_t; /* host frame number: hpa >> PAGE_SHIFT */

static inline hpa_t hpa(u64 v)
{
	return (hpa_t){ v };
}
static inline gpa_t gpa(u64 v)
{
	return (gpa_t){ v };
}
static inline gva_t gva(u64 v)
{
	return (gva_t){ v };
}
static inline u64 hpa_val(hpa_t a)
{
	return a.v;
}
static inline u64 gpa_val(gpa_t a)
{
	return a.v;
}
static inline u64 gva_val(gva_t a)
{
	return a.v;
}

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#define SZ_4K      (1ull << 12)
#define SZ_1M      (1ull << 20)
#define SZ_2M      (1ull << 21)
#define SZ_1G      (1ull << 30)

static inline gfn_t gpa_to_gfn(gpa_t a)
{
	return a.v >> PAGE_SHIFT;
}
static inline gpa_t gfn_to_gpa(gfn_t gfn)
{
	return gpa(gfn << PAGE_SHIFT);
}
static inline pfn_t hpa_to_pfn(hpa_t a)
{
	return a.v >> PAGE_SHIFT;
}
static inline hpa_t pfn_to_hpa(pfn_t pfn)
{
	return hpa(pfn << PAGE_SHIFT);
}

#define BIT(n) (1ull << (n))
/* Bits h..l inclusive, h >= l. */
#define GENMASK(h, l)                   ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))
#define ARRAY_SIZE(a)                   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a)                ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a)                  ALIGN_DOWN((x) + (__typeof__(x))(a)-1, (a))
#define IS_ALIGNED(x, a)                (((x) & ((__typeof__(x))(a)-1)) == 0)
#define MIN(a, b)                       ((a) < (b) ? (a) : (b))
#define MAX(a, b)                       ((a) > (b) ? (a) : (b))
#define DIV_ROUND_UP(n, d)              (((n) + (d)-1) / (d))

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define likely(x)                       __builtin_expect(!!(x), 1)
#define unlikely(x)                     __builtin_expect(!!(x), 0)

#define __packed                        __attribute__((packed))
#define __aligned(n)                    __attribute__((aligned(n)))
#define __noreturn                      __attribute__((noreturn))
#define __unused                        __attribute__((unused))
#define __printf(a, b)                  __attribute__((format(printf, a, b)))
#define __section(s)                    __attribute__((section(s)))
#define __weak                          __attribute__((weak))

/*
 * Read or write a scalar exactly once, untorn, with no ordering implied.
 * Relaxed atomics rather than volatile so ThreadSanitizer sees them as what
 * they are: intentional racy accesses.
 */
#define READ_ONCE(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif /* HV_TYPES_H */
