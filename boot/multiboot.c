/*
 * Multiboot v1 and v2 information -> struct boot_info (contract in
 * hv/multiboot.h).
 *
 * Everything the loader passed is input: each field is read through the
 * reader with an explicit length, each length and offset is checked against
 * its container before use, and a problem is reported with its location
 * (offset from the start of the structure, tag type, entry index) and
 * counted. The parse keeps what came before a structural error (a tag that
 * runs past total_size, a map entry with an impossible size) and stops
 * there, because nothing after it can be located reliably.
 */
#include <hv/bootinfo.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/multiboot.h>
#include <hv/string.h>

static u8 rd8(const void *p, u64 off)
{
	return ((const u8 *)p)[off];
}

static u32 rd32(const void *p, u64 off)
{
	u32 v;

	memcpy(&v, (const u8 *)p + off, sizeof(v));
	return v;
}

static u64 rd64(const void *p, u64 off)
{
	u64 v;

	memcpy(&v, (const u8 *)p + off, sizeof(v));
	return v;
}

static const void *mb_read(const struct mb_reader *rd, u64 pa, u64 len)
{
	if (len == 0 || pa + len < pa)
		return NULL;
	return rd->read(rd->ctx, pa, len);
}

static enum mem_type mb_mem_type(u32 type)
{
	switch (type) {
	case MB_MEM_AVAILABLE:
		return MEM_USABLE;
	case MB_MEM_ACPI_RECLAIM:
		return MEM_ACPI_RECLAIM;
	case MB_MEM_NVS:
		return MEM_ACPI_NVS;
	case MB_MEM_BADRAM:
		return MEM_BAD;
	default:
		return MEM_RESERVED;
	}
}

/* Add a map entry and explain anything bootinfo_add_region() objected to. */
static void add_map_entry(struct boot_info *bi, const char *where, u32 index, u64 off, u64 base,
			  u64 len, u32 type)
{
	int err = bootinfo_add_region(bi, base, len, mb_mem_type(type));
	unsigned long long b = base, l = len;

	/* bootinfo_add_region() has counted the problem; we only say where it was. */
	switch (err) {
	case 0:
		break;
	case HV_EINVAL:
		log_warn("boot: %s entry %u (offset %llu): zero-length region at %#llx, ignored",
			 where, index, (unsigned long long)off, b);
		break;
	case HV_EOVERLAP:
		log_warn("boot: %s entry %u (offset %llu): [%#llx +%#llx) type %u overlaps an "
			 "earlier entry; the more restrictive type wins",
			 where, index, (unsigned long long)off, b, l, type);
		break;
	case HV_ERANGE:
		log_warn("boot: %s entry %u (offset %llu): [%#llx +%#llx) wraps past 2^64; clipped",
			 where, index, (unsigned long long)off, b, l);
		break;
	default:
		log_warn("boot: %s entry %u (offset %llu): memory map full (%u regions); "
			 "[%#llx +%#llx) dropped",
			 where, index, (unsigned long long)off, BOOTINFO_MAX_REGIONS, b, l);
		break;
	}
}

static void add_module(struct boot_info *bi, u32 index, u64 start, u64 end, const char *cmdline)
{
	int err = bootinfo_add_module(bi, start, end, cmdline);

	if (err == HV_EINVAL)
		log_warn("boot: module %u: empty or inverted range [%#llx, %#llx), ignored", index,
			 (unsigned long long)start, (unsigned long long)end);
	else if (err)
		log_warn("boot: module %u: table full (%u modules), ignored", index,
			 BOOTINFO_MAX_MODULES);
}

/* Keep a string in bi's storage; "" (and a warning) when the storage is full. */
static const char *keep_string(struct boot_info *bi, const char *s, const char *what)
{
	const char *copy = bootinfo_strdup(bi, s, BOOTINFO_CMDLINE_MAX);

	if (!copy) {
		bootinfo_warn(bi, "%s: no room left to keep it", what);
		return "";
	}
	return copy;
}

/*
 * Read a NUL-terminated string of unknown length from loader memory into
 * buf, one byte per read so that no read ever crosses into memory the reader
 * refuses. Returns buf, cut (with a warning) when too long or unreadable.
 */
static const char *read_loader_string(struct boot_info *bi, const struct mb_reader *rd, u64 pa,
				      const char *what, char *buf, size_t bufsize)
{
	size_t n = 0;

	for (;;) {
		const char *c = mb_read(rd, pa + n, 1);

		if (!c) {
			bootinfo_warn(bi, "%s at %#llx: unreadable after %zu bytes", what,
				      (unsigned long long)pa, n);
			break;
		}
		if (*c == '\0')
			break;
		if (n == bufsize - 1) {
			bootinfo_warn(bi, "%s at %#llx: longer than %zu bytes, truncated", what,
				      (unsigned long long)pa, bufsize - 1);
			break;
		}
		buf[n++] = *c;
	}
	buf[n] = '\0';
	return buf;
}

/* A string inside a tag: [p, p + max) should hold its NUL. Copied into buf. */
static const char *read_tag_string(struct boot_info *bi, const char *p, u64 max, u64 off, u32 type,
				   char *buf, size_t bufsize)
{
	size_t n = strnlen(p, max);

	if (n == max)
		bootinfo_warn(bi,
			      "tag type %u at offset %llu: string not NUL-terminated within "
			      "the tag; cut at %llu bytes",
			      type, (unsigned long long)off, (unsigned long long)max);
	if (n >= bufsize) {
		bootinfo_warn(bi,
			      "tag type %u at offset %llu: string longer than %zu bytes, "
			      "truncated",
			      type, (unsigned long long)off, bufsize - 1);
		n = bufsize - 1;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* Fallback when there is no map: mem_lower KiB at 0 and mem_upper KiB at 1 MiB. */
static void add_basic_meminfo(struct boot_info *bi, u32 lower_kib, u32 upper_kib)
{
	bootinfo_warn(bi, "no memory map from the loader; using mem_lower %u KiB, mem_upper %u KiB",
		      lower_kib, upper_kib);
	if (lower_kib)
		bootinfo_add_region(bi, 0, (u64)lower_kib << 10, MEM_USABLE);
	if (upper_kib)
		bootinfo_add_region(bi, 1ull << 20, (u64)upper_kib << 10, MEM_USABLE);
}

/* --- Multiboot v1 ------------------------------------------------------------------ */

/*
 * Multiboot v1 loaders (QEMU -kernel, GRUB's `multiboot`) put the image's
 * file name first on the command line. Our options all have the form
 * name=value, so a first word without '=' is that file name: drop it.
 */
static const char *skip_image_name(const char *s)
{
	const char *p = s;

	while (*p == ' ')
		p++;
	for (const char *q = p; *q && *q != ' '; q++)
		if (*q == '=')
			return s;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/* The bytes of the info structure that the set flags make valid. */
static u32 mb1_info_size(u32 flags)
{
	if (flags & MB1_INFO_FRAMEBUFFER)
		return MB1_INFO_SIZE;
	if (flags & MB1_INFO_LOADER_NAME)
		return MB1_OFF_LOADER_NAME + 4;
	if (flags & MB1_INFO_MMAP)
		return MB1_OFF_MMAP_ADDR + 4;
	if (flags & MB1_INFO_MODS)
		return MB1_OFF_MODS_ADDR + 4;
	if (flags & MB1_INFO_CMDLINE)
		return MB1_OFF_CMDLINE + 4;
	return MB1_OFF_MEM_UPPER + 4;
}

static void mb1_parse_mmap(struct boot_info *bi, const struct mb_reader *rd, u64 addr, u32 length)
{
	const u8 *map;
	u64 off = 0;
	u32 index = 0;

	if (length == 0) {
		bootinfo_warn(bi, "multiboot1 memory map at %#llx is empty",
			      (unsigned long long)addr);
		return;
	}
	if (length > MB1_MMAP_MAX_LENGTH) {
		bootinfo_warn(
		    bi,
		    "multiboot1 memory map length %u is implausible; reading the first %u bytes",
		    length, MB1_MMAP_MAX_LENGTH);
		length = MB1_MMAP_MAX_LENGTH;
	}
	map = mb_read(rd, addr, length);
	if (!map) {
		bootinfo_warn(bi, "multiboot1 memory map [%#llx +%u) is not readable",
			      (unsigned long long)addr, length);
		return;
	}
	while (off + 4 <= length) {
		u32 size = rd32(map, off + MB1_MMAP_OFF_SIZE);

		if (size < MB1_MMAP_MIN_SIZE) {
			bootinfo_warn(bi,
				      "multiboot1 mmap entry %u (offset %llu): size %u < %u; rest "
				      "of the map ignored",
				      index, (unsigned long long)off, size, MB1_MMAP_MIN_SIZE);
			return;
		}
		if (off + 4 + size > length) {
			bootinfo_warn(bi,
				      "multiboot1 mmap entry %u (offset %llu, size %u) runs past "
				      "the map's length %u; ignored",
				      index, (unsigned long long)off, size, length);
			return;
		}
		add_map_entry(bi, "multiboot1 mmap", index, off, rd64(map, off + MB1_MMAP_OFF_BASE),
			      rd64(map, off + MB1_MMAP_OFF_LEN),
			      rd32(map, off + MB1_MMAP_OFF_TYPE));
		off += 4 + (u64)size;
		index++;
	}
	if (off != length)
		bootinfo_warn(bi, "multiboot1 memory map: %llu stray bytes after entry %u",
			      (unsigned long long)(length - off), index);
}

static void mb1_parse_modules(struct boot_info *bi, const struct mb_reader *rd, u64 addr, u32 count)
{
	const u8 *mods;

	if (count > MB1_MODS_MAX_COUNT) {
		bootinfo_warn(bi, "multiboot1 mods_count %u is implausible; reading %u", count,
			      MB1_MODS_MAX_COUNT);
		count = MB1_MODS_MAX_COUNT;
	}
	if (!count)
		return;
	mods = mb_read(rd, addr, (u64)count * MB1_MOD_SIZE);
	if (!mods) {
		bootinfo_warn(bi, "multiboot1 module list [%#llx, %u entries) is not readable",
			      (unsigned long long)addr, count);
		return;
	}
	for (u32 i = 0; i < count; i++) {
		const u8 *m = mods + (u64)i * MB1_MOD_SIZE;
		u32 str = rd32(m, MB1_MOD_OFF_CMDLINE);
		char buf[BOOTINFO_CMDLINE_MAX] = "";

		if (str)
			read_loader_string(bi, rd, str, "module command line", buf, sizeof(buf));
		add_module(bi, i, rd32(m, MB1_MOD_OFF_START), rd32(m, MB1_MOD_OFF_END), buf);
	}
}

static void mb1_parse(struct boot_info *bi, u64 info_pa, const struct mb_reader *rd)
{
	const u8 *info = mb_read(rd, info_pa, 4);
	char buf[BOOTINFO_CMDLINE_MAX];
	u32 flags;

	if (!info) {
		bootinfo_warn(bi, "multiboot1 information at %#llx is not readable",
			      (unsigned long long)info_pa);
		return;
	}
	flags = rd32(info, MB1_OFF_FLAGS);
	info = mb_read(rd, info_pa, mb1_info_size(flags));
	if (!info) {
		bootinfo_warn(bi, "multiboot1 information at %#llx (flags %#x) is not readable",
			      (unsigned long long)info_pa, flags);
		return;
	}

	if (flags & MB1_INFO_LOADER_NAME)
		bi->loader_name =
		    keep_string(bi,
				read_loader_string(bi, rd, rd32(info, MB1_OFF_LOADER_NAME),
						   "loader name", buf, sizeof(buf)),
				"loader name");
	if (flags & MB1_INFO_CMDLINE)
		bi->cmdline = keep_string(
		    bi,
		    skip_image_name(read_loader_string(bi, rd, rd32(info, MB1_OFF_CMDLINE),
						       "command line", buf, sizeof(buf))),
		    "command line");
	if (flags & MB1_INFO_MMAP)
		mb1_parse_mmap(bi, rd, rd32(info, MB1_OFF_MMAP_ADDR),
			       rd32(info, MB1_OFF_MMAP_LENGTH));
	if (bi->region_count == 0 && (flags & MB1_INFO_MEM))
		add_basic_meminfo(bi, rd32(info, MB1_OFF_MEM_LOWER), rd32(info, MB1_OFF_MEM_UPPER));
	if (flags & MB1_INFO_MODS)
		mb1_parse_modules(bi, rd, rd32(info, MB1_OFF_MODS_ADDR),
				  rd32(info, MB1_OFF_MODS_COUNT));
	if (flags & MB1_INFO_FRAMEBUFFER) {
		bi->fb = (struct boot_framebuffer){
			.present = true,
			.addr = rd64(info, MB1_OFF_FB_ADDR),
			.pitch = rd32(info, MB1_OFF_FB_PITCH),
			.width = rd32(info, MB1_OFF_FB_WIDTH),
			.height = rd32(info, MB1_OFF_FB_HEIGHT),
			.bpp = rd8(info, MB1_OFF_FB_BPP),
			.type = rd8(info, MB1_OFF_FB_TYPE),
		};
	}
}

/* --- Multiboot2 --------------------------------------------------------------------- */

struct mb2_state {
	bool have_cmdline, have_loader, have_mem;
	u32 mem_lower, mem_upper;
	u32 module_index;
	u32 rsdp_revision; /* 0: none yet, 1: old tag, 2: new tag */
};

static bool mb2_tag_min(struct boot_info *bi, u32 type, u32 size, u64 off, u32 min)
{
	if (size >= min)
		return true;
	bootinfo_warn(bi,
		      "tag type %u at offset %llu: size %u is too small for its fields (%u); "
		      "ignored",
		      type, (unsigned long long)off, size, min);
	return false;
}

static void mb2_parse_mmap(struct boot_info *bi, const u8 *tag, u32 size, u64 off)
{
	u32 entry_size = rd32(tag, MB2_MMAP_OFF_ENTRY_SIZE);
	u32 count, index;

	if (entry_size < MB2_MMAP_ENTRY_MIN_SIZE || entry_size % 8) {
		bootinfo_warn(bi,
			      "mmap tag at offset %llu: entry_size %u is invalid (>= %u, a "
			      "multiple of 8); map ignored",
			      (unsigned long long)off, entry_size, MB2_MMAP_ENTRY_MIN_SIZE);
		return;
	}
	count = (size - MB2_MMAP_OFF_ENTRIES) / entry_size;
	if (count == 0)
		bootinfo_warn(bi, "mmap tag at offset %llu has no entries",
			      (unsigned long long)off);
	if ((size - MB2_MMAP_OFF_ENTRIES) % entry_size)
		bootinfo_warn(bi, "mmap tag at offset %llu: %u stray bytes after entry %u",
			      (unsigned long long)off, (size - MB2_MMAP_OFF_ENTRIES) % entry_size,
			      count);
	for (index = 0; index < count; index++) {
		u64 e = MB2_MMAP_OFF_ENTRIES + (u64)index * entry_size;

		add_map_entry(
		    bi, "multiboot2 mmap", index, off + e, rd64(tag, e + MB2_MMAP_ENTRY_OFF_BASE),
		    rd64(tag, e + MB2_MMAP_ENTRY_OFF_LEN), rd32(tag, e + MB2_MMAP_ENTRY_OFF_TYPE));
	}
}

static void mb2_parse_rsdp(struct boot_info *bi, struct mb2_state *st, const u8 *tag, u32 size,
			   u64 off, u32 type)
{
	u32 revision = type == MB2_TAG_ACPI_NEW ? 2 : 1;
	u32 want = revision == 2 ? ACPI_RSDP_V2_SIZE : ACPI_RSDP_V1_SIZE;
	const void *copy;

	if (!mb2_tag_min(bi, type, size, off, MB2_ACPI_OFF_RSDP + want))
		return;
	if (memcmp(tag + MB2_ACPI_OFF_RSDP, "RSD PTR ", 8) != 0) {
		bootinfo_warn(bi,
			      "ACPI tag (type %u) at offset %llu: no \"RSD PTR \" signature; "
			      "ignored",
			      type, (unsigned long long)off);
		return;
	}
	if (revision < st->rsdp_revision)
		return; /* the new (XSDT) pointer wins over the old one */
	copy = bootinfo_memdup(bi, tag + MB2_ACPI_OFF_RSDP, want);
	if (!copy) {
		bootinfo_warn(bi, "ACPI tag at offset %llu: no room left to keep the RSDP",
			      (unsigned long long)off);
		return;
	}
	/* Our copy: the loader's structure may be reused once parsing is done. */
	bi->acpi_rsdp = hpa_val(virt_to_phys(copy));
	st->rsdp_revision = revision;
}

static void mb2_parse_tag(struct boot_info *bi, struct mb2_state *st, const u8 *tag, u32 type,
			  u32 size, u64 off)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
	case MB2_TAG_LOADER_NAME: {
		bool *seen = type == MB2_TAG_CMDLINE ? &st->have_cmdline : &st->have_loader;
		char buf[BOOTINFO_CMDLINE_MAX];
		const char *s;

		if (*seen) {
			bootinfo_warn(bi, "tag type %u at offset %llu: duplicate, ignored", type,
				      (unsigned long long)off);
			break;
		}
		*seen = true;
		s = keep_string(bi,
				read_tag_string(bi, (const char *)tag + MB2_TAG_HEADER_SIZE,
						size - MB2_TAG_HEADER_SIZE, off, type, buf,
						sizeof(buf)),
				type == MB2_TAG_CMDLINE ? "command line" : "loader name");
		if (type == MB2_TAG_CMDLINE)
			bi->cmdline = s;
		else
			bi->loader_name = s;
		break;
	}
	case MB2_TAG_MODULE: {
		char buf[BOOTINFO_CMDLINE_MAX] = "";

		if (!mb2_tag_min(bi, type, size, off, MB2_MOD_OFF_STRING))
			break;
		if (size > MB2_MOD_OFF_STRING)
			read_tag_string(bi, (const char *)tag + MB2_MOD_OFF_STRING,
					size - MB2_MOD_OFF_STRING, off, type, buf, sizeof(buf));
		add_module(bi, st->module_index++, rd32(tag, MB2_MOD_OFF_START),
			   rd32(tag, MB2_MOD_OFF_END), buf);
		break;
	}
	case MB2_TAG_BASIC_MEM:
		if (!mb2_tag_min(bi, type, size, off, MB2_MEM_TAG_SIZE))
			break;
		st->have_mem = true;
		st->mem_lower = rd32(tag, MB2_MEM_OFF_LOWER);
		st->mem_upper = rd32(tag, MB2_MEM_OFF_UPPER);
		break;
	case MB2_TAG_MMAP:
		if (mb2_tag_min(bi, type, size, off, MB2_MMAP_OFF_ENTRIES))
			mb2_parse_mmap(bi, tag, size, off);
		break;
	case MB2_TAG_FRAMEBUFFER:
		if (!mb2_tag_min(bi, type, size, off, MB2_FB_TAG_MIN_SIZE))
			break;
		bi->fb = (struct boot_framebuffer){
			.present = true,
			.addr = rd64(tag, MB2_FB_OFF_ADDR),
			.pitch = rd32(tag, MB2_FB_OFF_PITCH),
			.width = rd32(tag, MB2_FB_OFF_WIDTH),
			.height = rd32(tag, MB2_FB_OFF_HEIGHT),
			.bpp = rd8(tag, MB2_FB_OFF_BPP),
			.type = rd8(tag, MB2_FB_OFF_TYPE),
		};
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		mb2_parse_rsdp(bi, st, tag, size, off, type);
		break;
	case MB2_TAG_BOOTDEV:
	case MB2_TAG_VBE:
	case MB2_TAG_ELF_SECTIONS:
	case MB2_TAG_APM:
	case MB2_TAG_EFI32:
	case MB2_TAG_EFI64:
	case MB2_TAG_SMBIOS:
	case MB2_TAG_NETWORK:
	case MB2_TAG_EFI_MMAP:
	case MB2_TAG_EFI_BS:
	case MB2_TAG_EFI32_IH:
	case MB2_TAG_EFI64_IH:
	case MB2_TAG_LOAD_BASE:
		break; /* known, not needed */
	default:
		/* Loaders add tags over time: not a problem, but worth a note. */
		log_debug("boot: multiboot2 tag type %u (size %u) at offset %llu ignored", type,
			  size, (unsigned long long)off);
		break;
	}
}

static void mb2_parse(struct boot_info *bi, u64 info_pa, const struct mb_reader *rd)
{
	struct mb2_state st = { 0 };
	const u8 *hdr = mb_read(rd, info_pa, MB2_HEADER_SIZE);
	u32 total, limit;
	u64 off = MB2_HEADER_SIZE;
	bool ended = false;

	if (!hdr) {
		bootinfo_warn(bi, "multiboot2 information at %#llx is not readable",
			      (unsigned long long)info_pa);
		return;
	}
	total = rd32(hdr, MB2_OFF_TOTAL_SIZE);
	limit = total;
	if (total < MB2_HEADER_SIZE + MB2_TAG_HEADER_SIZE) {
		bootinfo_warn(
		    bi, "multiboot2 total_size %u is smaller than a header and an end tag", total);
		return;
	}
	if (total > MB2_INFO_MAX_SIZE) {
		bootinfo_warn(bi,
			      "multiboot2 total_size %u is implausible; reading at most %u bytes",
			      total, MB2_INFO_MAX_SIZE);
		limit = MB2_INFO_MAX_SIZE;
	}

	while (off + MB2_TAG_HEADER_SIZE <= limit) {
		const u8 *th = mb_read(rd, info_pa + off, MB2_TAG_HEADER_SIZE);
		const u8 *tag;
		u32 type, size;

		if (!th) {
			bootinfo_warn(bi, "multiboot2 tag at offset %llu is not readable; stopping",
				      (unsigned long long)off);
			break;
		}
		type = rd32(th, MB2_TAG_OFF_TYPE);
		size = rd32(th, MB2_TAG_OFF_SIZE);
		if (size < MB2_TAG_HEADER_SIZE) {
			bootinfo_warn(bi,
				      "multiboot2 tag at offset %llu (type %u): size %u < %u; "
				      "stopping",
				      (unsigned long long)off, type, size, MB2_TAG_HEADER_SIZE);
			break;
		}
		if (off + size > limit) {
			bootinfo_warn(bi,
				      "multiboot2 tag at offset %llu (type %u, size %u) runs past "
				      "total_size %u; stopping",
				      (unsigned long long)off, type, size, total);
			break;
		}
		if (type == MB2_TAG_END) {
			ended = true;
			break;
		}
		tag = mb_read(rd, info_pa + off, size);
		if (!tag) {
			bootinfo_warn(bi,
				      "multiboot2 tag at offset %llu (type %u, size %u) is not "
				      "readable; stopping",
				      (unsigned long long)off, type, size);
			break;
		}
		mb2_parse_tag(bi, &st, tag, type, size, off);
		off += ALIGN_UP((u64)size, (u64)MB2_TAG_ALIGN);
	}
	if (!ended)
		bootinfo_warn(bi, "multiboot2 information has no end tag within total_size %u",
			      total);
	if (bi->region_count == 0 && st.have_mem)
		add_basic_meminfo(bi, st.mem_lower, st.mem_upper);
}

void multiboot_parse(struct boot_info *bi, u32 magic, u64 info_pa, const struct mb_reader *rd)
{
	if (magic == MB1_BOOTLOADER_MAGIC) {
		bi->protocol = "multiboot1";
		mb1_parse(bi, info_pa, rd);
	} else if (magic == MB2_BOOTLOADER_MAGIC) {
		bi->protocol = "multiboot2";
		if (info_pa & (MB2_TAG_ALIGN - 1))
			bootinfo_warn(bi, "multiboot2 information at %#llx is not 8-byte aligned",
				      (unsigned long long)info_pa);
		mb2_parse(bi, info_pa, rd);
	} else {
		bi->protocol = "unknown";
		bootinfo_warn(bi,
			      "unknown boot loader magic %#x (Multiboot v1 is %#x, v2 %#x); no "
			      "boot information",
			      magic, MB1_BOOTLOADER_MAGIC, MB2_BOOTLOADER_MAGIC);
	}
	if (bi->region_count == 0)
		bootinfo_warn(bi, "no memory map");
}
