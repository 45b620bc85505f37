/*
 * The boot-info structure (contract in hv/bootinfo.h): a normalised memory
 * map, modules, platform reservations and copied strings, filled by the
 * protocol parsers and printed once at boot.
 *
 * The memory map is kept sorted and non-overlapping by "painting": inserting
 * [base, end) cuts the address space at every region boundary, gives each
 * piece the most restrictive type that covers it, and merges touching pieces
 * of one type. The new table is built aside and copied in only when it fits,
 * so a full table never holds half an insertion.
 */
#include <stdarg.h>

#include <hv/bootinfo.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/log.h>
#include <hv/string.h>

void bootinfo_init(struct boot_info *bi, const char *protocol)
{
	memset(bi, 0, sizeof(*bi));
	bi->protocol = protocol;
	bi->loader_name = "";
	bi->cmdline = "";
}

static u64 region_end(const struct mem_region *r)
{
	return r->base + r->size;
}

/* The type covering address a in the (sorted, disjoint) table, or 0. */
static unsigned type_at(const struct boot_info *bi, u64 a)
{
	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mem_region *r = &bi->regions[i];

		if (a < r->base)
			break;
		if (a < region_end(r))
			return r->type;
	}
	return 0;
}

/* Insert v into the sorted array p[0..*n) unless present. */
static void insert_point(u64 *p, u32 *n, u64 v)
{
	u32 i = *n;

	while (i > 0 && p[i - 1] > v)
		i--;
	if (i > 0 && p[i - 1] == v)
		return;
	memmove(&p[i + 1], &p[i], (*n - i) * sizeof(*p));
	p[i] = v;
	(*n)++;
}

int bootinfo_add_region(struct boot_info *bi, u64 base, u64 size, enum mem_type type)
{
	u64 points[2 * BOOTINFO_MAX_REGIONS + 2];
	struct mem_region out[BOOTINFO_MAX_REGIONS];
	u32 npoints = 0, nout = 0;
	bool overlap = false, wrapped = false;
	u64 end;

	if (size == 0 || type < MEM_USABLE || type > MEM_BAD) {
		bi->warning_count++;
		return HV_EINVAL;
	}
	end = base + size;
	if (end < base) {
		end = ~0ull;
		wrapped = true;
	}

	/* Existing boundaries are already in order; add the new two. */
	for (u32 i = 0; i < bi->region_count; i++) {
		insert_point(points, &npoints, bi->regions[i].base);
		insert_point(points, &npoints, region_end(&bi->regions[i]));
	}
	insert_point(points, &npoints, base);
	insert_point(points, &npoints, end);

	for (u32 i = 0; i + 1 < npoints; i++) {
		u64 a = points[i], b = points[i + 1];
		unsigned t = type_at(bi, a);

		if (a >= base && b <= end) {
			if (t)
				overlap = true;
			t = MAX(t, (unsigned)type);
		}
		if (!t)
			continue;
		if (nout && out[nout - 1].type == (enum mem_type)t &&
		    region_end(&out[nout - 1]) == a) {
			out[nout - 1].size += b - a;
			continue;
		}
		if (nout == BOOTINFO_MAX_REGIONS) {
			bi->warning_count++;
			return HV_ENOMEM;
		}
		out[nout++] = (struct mem_region){ .base = a, .size = b - a, .type = t };
	}

	memcpy(bi->regions, out, nout * sizeof(out[0]));
	bi->region_count = nout;
	if (overlap || wrapped) {
		bi->warning_count++;
		return overlap ? HV_EOVERLAP : HV_ERANGE;
	}
	return 0;
}

int bootinfo_add_module(struct boot_info *bi, u64 start, u64 end, const char *cmdline)
{
	const char *copy;

	if (start >= end) {
		bi->warning_count++;
		return HV_EINVAL;
	}
	if (bi->module_count == BOOTINFO_MAX_MODULES) {
		bi->warning_count++;
		return HV_ENOMEM;
	}
	copy = bootinfo_strdup(bi, cmdline ? cmdline : "", BOOTINFO_CMDLINE_MAX);
	if (!copy) {
		bi->warning_count++;
		return HV_ENOMEM;
	}
	bi->modules[bi->module_count++] = (struct boot_module){ start, end, copy };
	return 0;
}

int bootinfo_reserve(struct boot_info *bi, u64 base, u64 size, const char *what)
{
	if (bi->reserved_count == BOOTINFO_MAX_RESERVED) {
		bi->warning_count++;
		return HV_ENOMEM;
	}
	bi->reserved[bi->reserved_count++] = (struct mem_reservation){ base, size, what };
	return 0;
}

void bootinfo_warn(struct boot_info *bi, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	bi->warning_count++;
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("boot: %s", msg);
}

const char *bootinfo_strdup(struct boot_info *bi, const char *s, size_t max_len)
{
	size_t n = strnlen(s, max_len);
	char *dst;

	if (n + 1 > sizeof(bi->strings) - bi->strings_used)
		return NULL;
	dst = &bi->strings[bi->strings_used];
	memcpy(dst, s, n);
	dst[n] = '\0';
	bi->strings_used += (u32)(n + 1);
	return dst;
}

const void *bootinfo_memdup(struct boot_info *bi, const void *p, size_t n)
{
	uptr at = (uptr)&bi->strings[bi->strings_used];
	size_t pad = (size_t)(ALIGN_UP(at, 16) - at);
	void *dst;

	if (pad + n > sizeof(bi->strings) - bi->strings_used)
		return NULL;
	dst = &bi->strings[bi->strings_used + pad];
	memcpy(dst, p, n);
	bi->strings_used += (u32)(pad + n);
	return dst;
}

u64 bootinfo_usable_bytes(const struct boot_info *bi)
{
	u64 sum = 0;

	for (u32 i = 0; i < bi->region_count; i++)
		if (bi->regions[i].type == MEM_USABLE)
			sum += bi->regions[i].size;
	return sum;
}

const char *mem_type_name(enum mem_type type)
{
	switch (type) {
	case MEM_USABLE:
		return "usable";
	case MEM_ACPI_RECLAIM:
		return "ACPI tables";
	case MEM_ACPI_NVS:
		return "ACPI NVS";
	case MEM_RESERVED:
		return "reserved";
	case MEM_BAD:
		return "bad RAM";
	}
	return "?";
}

void bootinfo_print(const struct boot_info *bi)
{
	char size[32];

	log_info("boot: protocol %s, loader \"%s\"", bi->protocol, bi->loader_name);
	log_info("boot: command line \"%s\"", bi->cmdline);
	log_info("memory map: %u regions, %s usable", bi->region_count,
		 fmt_size(size, sizeof(size), bootinfo_usable_bytes(bi)));
	for (u32 i = 0; i < bi->region_count; i++) {
		const struct mem_region *r = &bi->regions[i];

		log_info("  [0x%016llx-0x%016llx] %-11s %s", (unsigned long long)r->base,
			 (unsigned long long)(r->base + r->size - 1), mem_type_name(r->type),
			 fmt_size(size, sizeof(size), r->size));
	}
	for (u32 i = 0; i < bi->reserved_count; i++) {
		const struct mem_reservation *r = &bi->reserved[i];

		log_info("reserved: [0x%016llx-0x%016llx] %s", (unsigned long long)r->base,
			 (unsigned long long)(r->base + r->size - 1), r->what);
	}
	for (u32 i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];

		log_info("module %u: [0x%016llx-0x%016llx] %s \"%s\"", i,
			 (unsigned long long)m->start, (unsigned long long)(m->end - 1),
			 fmt_size(size, sizeof(size), m->end - m->start), m->cmdline);
	}
	if (bi->fb.present)
		log_info("framebuffer: %#llx %ux%u, %u bpp, pitch %u, type %u",
			 (unsigned long long)bi->fb.addr, bi->fb.width, bi->fb.height, bi->fb.bpp,
			 bi->fb.pitch, bi->fb.type);
	if (bi->acpi_rsdp)
		log_info("acpi: RSDP at %#llx", (unsigned long long)bi->acpi_rsdp);
	if (bi->fdt)
		log_info("fdt: at %#llx", (unsigned long long)bi->fdt);
	if (bi->warning_count)
		log_warn("boot: %u problem(s) with the boot loader's data (see the warnings above)",
			 bi->warning_count);
}
