/*
 * Guest RAM (contract in hv/vm.h): chunks of host frames owned by the VM,
 * one memslot each, kept sorted by guest-physical address; bounds-checked
 * guest-physical reads and writes; the loader seam over them; and claiming
 * the host's free RAM at identity addresses for a "thin" guest that sees
 * the machine's own memory map minus the hypervisor.
 *
 * Every chunk is zeroed before the guest can see it: frames may hold what
 * firmware or an earlier user left. Every chunk is checked against the
 * hypervisor's own memory (frames_range_is_hv_owned) before it becomes a
 * slot, so no mapping the engine builds can ever reach the hypervisor.
 */
#include <arch/cpu.h>
#include <hv/check.h>
#include <hv/errno.h>
#include <hv/frames.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/vm.h>

#include "vm_internal.h"

#define PAGES(bytes) ((bytes) >> PAGE_SHIFT)

u64 vm_ram_size(const struct vm *vm)
{
	u64 total = 0;

	for (u32 i = 0; i < vm->ram_count; i++)
		total += vm->ram[i].size;
	return total;
}

/* Rebuild the loader's view: the chunks with gpa-adjacent ones merged. */
static void rebuild_ranges(struct vm *vm)
{
	u32 n = 0;

	for (u32 i = 0; i < vm->ram_count; i++) {
		u64 base = gpa_val(vm->ram[i].gpa);

		if (n && vm->ram_ranges[n - 1].base + vm->ram_ranges[n - 1].size == base)
			vm->ram_ranges[n - 1].size += vm->ram[i].size;
		else
			vm->ram_ranges[n++] = (struct guest_range){ base, vm->ram[i].size };
	}
	vm->mem.ram_count = n;
}

/* Checks shared by alloc and adopt; 0 or the error (logged). */
static int check_new_chunk(struct vm *vm, gpa_t gpa, u64 size)
{
	u64 base = gpa_val(gpa);

	if (!size || !IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE)) {
		log_warn("%s: RAM [%#llx, +%#llx): not page-aligned", vm->name,
			 (unsigned long long)base, (unsigned long long)size);
		return HV_EALIGN;
	}
	if (base + size < base) {
		log_warn("%s: RAM [%#llx, +%#llx) wraps", vm->name, (unsigned long long)base,
			 (unsigned long long)size);
		return HV_ERANGE;
	}
	if (vm->ram_count == VM_RAM_CHUNKS_MAX) {
		log_warn("%s: RAM [%#llx, +%#llx): already %u chunks", vm->name,
			 (unsigned long long)base, (unsigned long long)size, VM_RAM_CHUNKS_MAX);
		return HV_ERANGE;
	}
	for (u32 i = 0; i < vm->ram_count; i++) {
		const struct vm_ram_chunk *c = &vm->ram[i];

		if (ranges_overlap(base, size, gpa_val(c->gpa), c->size)) {
			log_warn("%s: RAM [%#llx, +%#llx) overlaps [%#llx, +%#llx)", vm->name,
				 (unsigned long long)base, (unsigned long long)size,
				 (unsigned long long)gpa_val(c->gpa), (unsigned long long)c->size);
			return HV_EOVERLAP;
		}
	}
	return 0;
}

/* Zero, register the slot, insert sorted. The frames are ours from here on success. */
static int add_chunk(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size)
{
	struct mmu_slot_params p = {
		.id = vm->next_slot_id,
		.base = gpa,
		.size = size,
		.backing = hpa,
		.memtype = PT_MT_WB,
	};
	u32 at = 0;
	int err;

	/* The one place a slot is made: never over the hypervisor's own memory. */
	if (frames_range_is_hv_owned(hpa, size)) {
		log_err("%s: refusing host [%#llx, +%#llx) as guest RAM: it is the hypervisor's",
			vm->name, (unsigned long long)hpa_val(hpa), (unsigned long long)size);
		return HV_EPERM;
	}
	err = mmu_slot_add(vm->mmu, &p);
	if (err)
		return err;
	arch_zero_pages(phys_to_virt(hpa), size);
	vm->next_slot_id++;
	while (at < vm->ram_count && gpa_val(vm->ram[at].gpa) < gpa_val(gpa))
		at++;
	memmove(&vm->ram[at + 1], &vm->ram[at], (vm->ram_count - at) * sizeof(vm->ram[0]));
	vm->ram[at] = (struct vm_ram_chunk){ gpa, hpa, size, p.id };
	vm->ram_count++;
	rebuild_ranges(vm);
	return 0;
}

int vm_ram_adopt(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size)
{
	int err = check_new_chunk(vm, gpa, size);

	if (err)
		return err;
	if (!IS_ALIGNED(hpa_val(hpa), PAGE_SIZE))
		return HV_EALIGN;
	return add_chunk(vm, gpa, hpa, size);
}

int vm_ram_alloc(struct vm *vm, gpa_t gpa, u64 size)
{
	static const u64 aligns[] = { SZ_1G, SZ_2M, SZ_4K };
	hpa_t hpa;
	int err = check_new_chunk(vm, gpa, size);

	if (err)
		return err;
	/* The largest alignment the range can use for huge leaves, then smaller. */
	err = HV_ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(aligns) && err; i++) {
		if (aligns[i] > SZ_4K && (size < aligns[i] || !IS_ALIGNED(gpa_val(gpa), aligns[i])))
			continue;
		err = frames_alloc(PAGES(size), aligns[i], FRAME_OWNER_GUEST, &hpa);
	}
	if (err) {
		log_warn("%s: no %#llx bytes of host memory for RAM at %#llx", vm->name,
			 (unsigned long long)size, (unsigned long long)gpa_val(gpa));
		return HV_ENOMEM;
	}
	err = add_chunk(vm, gpa, hpa, size);
	if (err)
		frames_free(hpa, PAGES(size), FRAME_OWNER_GUEST);
	return err;
}

int vm_map_device(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size)
{
	struct mmu_slot_params p = {
		.id = vm->next_slot_id,
		.base = gpa,
		.size = size,
		.backing = hpa,
		.flags = MMU_SLOT_NOEXEC,
		.memtype = PT_MT_DEVICE,
	};
	int err;

	if (!size || !IS_ALIGNED(gpa_val(gpa) | hpa_val(hpa) | size, PAGE_SIZE))
		return HV_EALIGN;
	/* Device windows are not RAM, but the same promise holds: nothing of the hypervisor's. */
	if (frames_range_is_hv_owned(hpa, size)) {
		log_err("%s: refusing host [%#llx, +%#llx) as a device window: it is the "
			"hypervisor's",
			vm->name, (unsigned long long)hpa_val(hpa), (unsigned long long)size);
		return HV_EPERM;
	}
	err = mmu_slot_add(vm->mmu, &p);
	if (err)
		return err;
	vm->next_slot_id++;
	log_debug("%s: device window [%#llx, +%#llx) -> host %#llx", vm->name,
		  (unsigned long long)gpa_val(gpa), (unsigned long long)size,
		  (unsigned long long)hpa_val(hpa));
	return 0;
}

/* Whether exactly [base, base + pages) is free; if so it is now allocated to the guest. */
static bool take_exact(u64 base, u64 pages)
{
	hpa_t got;

	if (frames_alloc_in(pages, PAGE_SIZE, hpa(base), hpa(base + pages * PAGE_SIZE),
			    FRAME_OWNER_GUEST, &got))
		return false;
	CHECK(hpa_val(got) == base);
	return true;
}

/* The longest free run at base (which is free), at most limit pages; allocated on return. */
static u64 take_run(u64 base, u64 limit)
{
	u64 ok = 1, bad = limit + 1;

	CHECK(take_exact(base, 1));
	frames_free(hpa(base), 1, FRAME_OWNER_GUEST);
	/* Grow by doubling, then bisect between the longest success and the first failure. */
	while (ok < limit) {
		u64 n = MIN(ok * 2, limit);

		if (!take_exact(base, n)) {
			bad = n;
			break;
		}
		frames_free(hpa(base), n, FRAME_OWNER_GUEST);
		ok = n;
	}
	while (bad - ok > 1) {
		u64 mid = ok + (bad - ok) / 2;

		if (take_exact(base, mid)) {
			frames_free(hpa(base), mid, FRAME_OWNER_GUEST);
			ok = mid;
		} else {
			bad = mid;
		}
	}
	CHECK(take_exact(base, ok));
	return ok;
}

/* Allocate pages for the hypervisor as high as possible below end: the guest keeps low RAM. */
static int alloc_keep(u64 pages, u64 floor, u64 end, hpa_t *out)
{
	u64 size = pages * PAGE_SIZE, lo = end;

	while (lo > floor) {
		lo = lo - floor > size ? lo - size : floor;
		if (!frames_alloc_in(pages, PAGE_SIZE, hpa(lo), hpa(end), FRAME_OWNER_HV, out))
			return 0;
	}
	return frames_alloc(pages, PAGE_SIZE, FRAME_OWNER_HV, out);
}

s64 vm_ram_claim_identity(struct vm *vm, hpa_t min, hpa_t max, u64 min_run, u64 max_bytes,
			  u64 keep_free)
{
	u64 cursor = ALIGN_UP(hpa_val(min), PAGE_SIZE), end = ALIGN_DOWN(hpa_val(max), PAGE_SIZE);
	u64 claimed = 0, budget = max_bytes ? ALIGN_DOWN(max_bytes, PAGE_SIZE) : ~0ull;
	hpa_t keep = hpa(0);
	s64 ret = 0;

	CHECK(min_run >= PAGE_SIZE && (min_run & (min_run - 1)) == 0);
	keep_free = ALIGN_UP(keep_free, PAGE_SIZE);
	/* Set aside what the hypervisor keeps, claim the rest, then give it back. */
	if (keep_free && alloc_keep(PAGES(keep_free), cursor, end, &keep)) {
		log_warn("%s: cannot keep %#llx bytes free for the hypervisor; giving the guest no "
			 "identity RAM",
			 vm->name, (unsigned long long)keep_free);
		return 0;
	}
	while (cursor < end && claimed < budget) {
		hpa_t first;
		u64 pages;

		if (frames_alloc_in(1, PAGE_SIZE, hpa(cursor), hpa(end), FRAME_OWNER_GUEST, &first))
			break;
		frames_free(first, 1, FRAME_OWNER_GUEST);
		pages = take_run(hpa_val(first),
				 MIN(PAGES(end - hpa_val(first)), PAGES(budget - claimed)));
		cursor = hpa_val(first) + pages * PAGE_SIZE;
		if (pages * PAGE_SIZE < min_run) {
			frames_free(first, pages, FRAME_OWNER_GUEST);
			continue;
		}
		ret = vm_ram_adopt(vm, gpa(hpa_val(first)), first, pages * PAGE_SIZE);
		if (ret) {
			frames_free(first, pages, FRAME_OWNER_GUEST);
			break;
		}
		claimed += pages * PAGE_SIZE;
	}
	if (keep_free)
		frames_free(keep, PAGES(keep_free), FRAME_OWNER_HV);
	return ret == HV_ERANGE ? HV_ERANGE : (s64)claimed;
}

void vm_ram_release(struct vm *vm)
{
	for (u32 i = 0; i < vm->ram_count; i++)
		frames_free(vm->ram[i].hpa, PAGES(vm->ram[i].size), FRAME_OWNER_GUEST);
	vm->ram_count = 0;
	vm->mem.ram_count = 0;
}

/* The chunk holding gpa a, or NULL. Chunks are few (<= 32): a linear scan. */
static const struct vm_ram_chunk *chunk_of(const struct vm *vm, u64 a)
{
	for (u32 i = 0; i < vm->ram_count; i++) {
		const struct vm_ram_chunk *c = &vm->ram[i];

		if (a - gpa_val(c->gpa) < c->size && a >= gpa_val(c->gpa))
			return c;
	}
	return NULL;
}

/* Whether [a, a + len) is all RAM (across adjacent chunks). */
static bool is_ram(const struct vm *vm, u64 a, size_t len)
{
	u64 end = a + len;

	if (end < a)
		return false;
	while (a < end) {
		const struct vm_ram_chunk *c = chunk_of(vm, a);

		if (!c)
			return false;
		a = gpa_val(c->gpa) + c->size;
	}
	return true;
}

/* Copy between guest RAM and buf after is_ram() said yes; to_guest picks the direction. */
static void copy(struct vm *vm, u64 a, void *buf, size_t len, bool to_guest)
{
	u8 *p = buf;

	while (len) {
		const struct vm_ram_chunk *c = chunk_of(vm, a);
		u64 off = a - gpa_val(c->gpa);
		size_t n = (size_t)MIN((u64)len, c->size - off);
		u8 *host = (u8 *)phys_to_virt(hpa(hpa_val(c->hpa) + off));

		if (to_guest)
			memcpy(host, p, n);
		else
			memcpy(p, host, n);
		a += n;
		p += n;
		len -= n;
	}
}

int vm_read(struct vm *vm, gpa_t gpa, void *dst, size_t len)
{
	if (!len)
		return 0;
	if (!is_ram(vm, gpa_val(gpa), len))
		return HV_EFAULT;
	copy(vm, gpa_val(gpa), dst, len, false);
	return 0;
}

int vm_write(struct vm *vm, gpa_t gpa, const void *src, size_t len)
{
	if (!len)
		return 0;
	if (!is_ram(vm, gpa_val(gpa), len))
		return HV_EFAULT;
	copy(vm, gpa_val(gpa), (void *)src, len, true);
	return 0;
}

void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, size_t len)
{
	u64 a = gpa_val(gpa);
	const struct vm_ram_chunk *c = len ? chunk_of(vm, a) : NULL;

	if (!c || len > c->size - (a - gpa_val(c->gpa)))
		return NULL;
	return phys_to_virt(hpa(hpa_val(c->hpa) + (a - gpa_val(c->gpa))));
}

int vm_guest_mem_write(void *ctx, gpa_t gpa, const void *src, size_t len)
{
	return vm_write(ctx, gpa, src, len);
}

const struct guest_mem *vm_guest_mem(struct vm *vm)
{
	return &vm->mem;
}
