/*
 * Device register access for drivers. Each access is exactly one load or
 * store of the given width (volatile), never merged, split or cached: device
 * mappings are Device-nGnRE on arm64 and uncached on x86, and accesses to
 * one device from one CPU arrive in program order on both. Ordering against
 * normal memory (e.g. a DMA buffer) needs the caller's barrier.
 */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include <hv/types.h>

static inline u32 mmio_read32(u64 addr)
{
	return *(volatile u32 *)(uptr)addr;
}

static inline void mmio_write32(u64 addr, u32 v)
{
	*(volatile u32 *)(uptr)addr = v;
}

static inline u64 mmio_read64(u64 addr)
{
	return *(volatile u64 *)(uptr)addr;
}

static inline void mmio_write64(u64 addr, u64 v)
{
	*(volatile u64 *)(uptr)addr = v;
}

#endif /* HV_MMIO_H */
