/*
 * Shared x86 loader pieces (contract in hv/loader_x86.h): the flat 32-bit
 * protected-mode entry state with its GDT, and the e820 map built from the
 * guest's RAM ranges.
 */
#include <hv/errno.h>
#include <hv/loader_x86.h>
#include <hv/string.h>

#define FLAT_LIMIT 0xffffffffu
#define TR_LIMIT   0xffffu /* SDM Vol. 3A 9.1.1: TR after reset */

/*
 * A segment descriptor from access rights (SDM Vol. 3A 3.4.5): limit 15:0,
 * base 23:0, access byte, limit 19:16, flags, base 31:24. 4 GiB flat means
 * limit 0xfffff with G set.
 */
static u64 make_flat_descriptor(u16 ar)
{
	const u64 limit_4k = 0xfffff;

	return (limit_4k & 0xffff) | ((u64)(ar & 0xff) << 40) | (((limit_4k >> 16) & 0xf) << 48) |
	       ((u64)((ar >> 12) & 0xf) << 52);
}

static const u16 code_ar =
    X86_AR_TYPE_CODE_RX_ACCESSED | X86_AR_S | X86_AR_P | X86_AR_DB | X86_AR_G;
static const u16 data_ar =
    X86_AR_TYPE_DATA_RW_ACCESSED | X86_AR_S | X86_AR_P | X86_AR_DB | X86_AR_G;

int x86_boot_flat32(const struct guest_mem *m, gpa_t gdt_at, struct x86_boot_state *st)
{
	u64 gdt[X86_GDT_ENTRIES] = { 0 };
	struct x86_seg data = { X86_BOOT_DS, data_ar, FLAT_LIMIT, 0 };
	int err;

	gdt[X86_BOOT_CS / 8] = make_flat_descriptor(code_ar);
	gdt[X86_BOOT_DS / 8] = make_flat_descriptor(data_ar);
	/* Descriptors are little-endian in guest memory, as on the host. */
	err = guest_mem_write(m, gdt_at, gdt, sizeof(gdt));
	if (err)
		return err;

	memset(st, 0, sizeof(*st));
	st->cs = (struct x86_seg){ X86_BOOT_CS, code_ar, FLAT_LIMIT, 0 };
	st->ds = st->es = st->fs = st->gs = st->ss = data;
	st->tr = (struct x86_seg){ 0, X86_AR_TYPE_TSS32_BUSY | X86_AR_P, TR_LIMIT, 0 };
	st->ldtr = (struct x86_seg){ 0, X86_AR_TYPE_LDT | X86_AR_P, TR_LIMIT, 0 };
	st->gdtr_base = gpa_val(gdt_at);
	st->gdtr_limit = sizeof(gdt) - 1;
	st->cr0 = X86_CR0_PE | X86_CR0_ET;
	st->rflags = X86_RFLAGS_RESERVED_1;
	return 0;
}

/* Boundaries of every input range, sorted and unique, for the sweep below. */
static u32 collect_edges(u64 *edges, u32 n, u64 base, u64 size)
{
	const u64 pts[2] = { base, base + size };

	for (unsigned k = 0; k < 2; k++) {
		u32 i = 0;

		while (i < n && edges[i] < pts[k])
			i++;
		if (i < n && edges[i] == pts[k])
			continue;
		memmove(&edges[i + 1], &edges[i], (n - i) * sizeof(*edges));
		edges[i] = pts[k];
		n++;
	}
	return n;
}

static bool covered(const struct guest_range *r, u32 count, u64 at)
{
	for (u32 i = 0; i < count; i++)
		if (at >= r[i].base && at - r[i].base < r[i].size)
			return true;
	return false;
}

int x86_e820_build(const struct guest_mem *m, const struct guest_range *reserved,
		   u32 reserved_count, struct x86_e820_entry *out, u32 max)
{
	struct guest_range res[LOADER_RANGES_MAX + 1];
	u64 edges[2 * (2 * LOADER_RANGES_MAX + 1)];
	u32 edge_count = 0, res_count = 0, n = 0;

	if (reserved_count > LOADER_RANGES_MAX || m->ram_count > LOADER_RANGES_MAX)
		return HV_EINVAL;
	for (u32 i = 0; i < reserved_count; i++) {
		if (reserved[i].base + reserved[i].size < reserved[i].base)
			return HV_EINVAL;
		if (reserved[i].size)
			res[res_count++] = reserved[i];
	}
	/* Only where guest RAM reaches into it; a guest without low RAM gets no hole. */
	for (u32 i = 0; i < m->ram_count; i++) {
		if (ranges_overlap(m->ram[i].base, m->ram[i].size, X86_LEGACY_HOLE_BASE,
				   X86_LEGACY_HOLE_END - X86_LEGACY_HOLE_BASE)) {
			res[res_count++] =
			    (struct guest_range){ X86_LEGACY_HOLE_BASE,
						  X86_LEGACY_HOLE_END - X86_LEGACY_HOLE_BASE };
			break;
		}
	}

	for (u32 i = 0; i < m->ram_count; i++)
		edge_count = collect_edges(edges, edge_count, m->ram[i].base, m->ram[i].size);
	for (u32 i = 0; i < res_count; i++)
		edge_count = collect_edges(edges, edge_count, res[i].base, res[i].size);

	/* Classify each elementary interval; merge neighbours of the same type. */
	for (u32 i = 0; i + 1 < edge_count; i++) {
		u64 lo = edges[i], hi = edges[i + 1];
		u32 type;

		if (covered(res, res_count, lo))
			type = E820_TYPE_RESERVED;
		else if (covered(m->ram, m->ram_count, lo))
			type = E820_TYPE_RAM;
		else
			continue;
		if (n && out[n - 1].type == type && out[n - 1].addr + out[n - 1].size == lo) {
			out[n - 1].size += hi - lo;
			continue;
		}
		if (n == max)
			return HV_ENOMEM;
		out[n++] = (struct x86_e820_entry){ lo, hi - lo, type };
	}
	return (int)n;
}
