/*
 * Multiboot v1 guest loader (contract in hv/loader_multiboot.h): finds and
 * checks the header, plans the image's placement from the a.out-kludge
 * fields or the ELF32 program headers, checks the plan against guest RAM and
 * the boot data block, then writes the image, the information structure,
 * its memory map, command line and boot loader name, and a GDT.
 */
#include <hv/errno.h>
#include <hv/loader_multiboot.h>
#include <hv/log.h>
#include <hv/string.h>

/* ELF32 layout (System V ABI, "ELF Header" and "Program Header"). */
#define ELF_MAGIC         0x464c457fu /* "\x7fELF" little-endian */
#define ELF_EI_CLASS      4
#define ELF_EI_DATA       5
#define ELF_CLASS32       1
#define ELF_DATA_LSB      1
#define ELF32_E_TYPE      16
#define ELF32_E_MACHINE   18
#define ELF32_E_ENTRY     24
#define ELF32_E_PHOFF     28
#define ELF32_E_PHENTSIZE 42
#define ELF32_E_PHNUM     44
#define ELF32_EHDR_SIZE   52
#define ELF_ET_EXEC       2
#define ELF_EM_386        3
#define ELF32_P_TYPE      0
#define ELF32_P_OFFSET    4
#define ELF32_P_VADDR     8
#define ELF32_P_PADDR     12
#define ELF32_P_FILESZ    16
#define ELF32_P_MEMSZ     20
#define ELF32_PHDR_SIZE   32
#define ELF_PT_LOAD       1

#define KIB               1024u
#define MB_UPPER_MEM_BASE 0x100000ull /* mem_upper counts from 1 MiB */
#define MB_LOADER_NAME    "hv"

struct mb_segment {
	u64 file_off, filesz, paddr, memsz;
};

struct mb_plan {
	struct mb_segment seg[MB_ELF_MAX_SEGMENTS];
	u32 count;
	u64 entry;
	bool aout;
};

/* Offset of a valid header, or -1. */
static long find_header(const u8 *img, size_t size)
{
	size_t end = MIN(size, (size_t)MB_HEADER_SEARCH);

	for (size_t off = 0; off + MB_HDR_SIZE_MIN <= end; off += MB_HEADER_ALIGN) {
		u32 magic = loader_le32(img + off + MB_HDR_MAGIC);
		u32 flags = loader_le32(img + off + MB_HDR_FLAGS);
		u32 sum = loader_le32(img + off + MB_HDR_CHECKSUM);

		if (magic == MB_HEADER_MAGIC && (u32)(magic + flags + sum) == 0)
			return (long)off;
	}
	return -1;
}

static int plan_aout(const struct multiboot_guest_config *cfg, size_t hdr, struct mb_plan *p)
{
	const u8 *h = cfg->image + hdr;
	u64 header_addr, load_addr, load_end, bss_end, file_off, filesz;

	if (hdr + MB_HDR_SIZE_AOUT > cfg->image_size) {
		log_warn("multiboot: a.out header at %#zx is cut off by the end of the image", hdr);
		return HV_EINVAL;
	}
	header_addr = loader_le32(h + MB_HDR_HEADER_ADDR);
	load_addr = loader_le32(h + MB_HDR_LOAD_ADDR);
	load_end = loader_le32(h + MB_HDR_LOAD_END_ADDR);
	bss_end = loader_le32(h + MB_HDR_BSS_END_ADDR);
	p->entry = loader_le32(h + MB_HDR_ENTRY_ADDR);

	/* The header's own address fixes where file offset 0 of the text lands. */
	if (load_addr > header_addr || header_addr - load_addr > hdr) {
		log_warn("multiboot: load_addr %#llx / header_addr %#llx do not match header "
			 "offset %#zx",
			 (unsigned long long)load_addr, (unsigned long long)header_addr, hdr);
		return HV_EINVAL;
	}
	file_off = hdr - (header_addr - load_addr);
	filesz = load_end ? load_end - load_addr : cfg->image_size - file_off;
	if (load_end && (load_end <= load_addr || filesz > cfg->image_size - file_off)) {
		log_warn("multiboot: load_end_addr %#llx is outside the image (load_addr %#llx, "
			 "%zu bytes)",
			 (unsigned long long)load_end, (unsigned long long)load_addr,
			 cfg->image_size);
		return HV_EINVAL;
	}
	if (bss_end && bss_end < load_addr + filesz) {
		log_warn("multiboot: bss_end_addr %#llx is below the loaded end %#llx",
			 (unsigned long long)bss_end, (unsigned long long)(load_addr + filesz));
		return HV_EINVAL;
	}
	p->seg[0] = (struct mb_segment){ file_off, filesz, load_addr,
					 bss_end ? bss_end - load_addr : filesz };
	p->count = 1;
	p->aout = true;
	return 0;
}

static int plan_elf(const struct multiboot_guest_config *cfg, struct mb_plan *p)
{
	const u8 *img = cfg->image;
	u64 phoff, entry;
	u32 phentsize, phnum;

	if (cfg->image_size < ELF32_EHDR_SIZE || loader_le32(img) != ELF_MAGIC) {
		log_warn("multiboot: no a.out kludge (flag 16) and not an ELF image");
		return HV_EINVAL;
	}
	if (img[ELF_EI_CLASS] != ELF_CLASS32 || img[ELF_EI_DATA] != ELF_DATA_LSB ||
	    loader_le16(img + ELF32_E_TYPE) != ELF_ET_EXEC ||
	    loader_le16(img + ELF32_E_MACHINE) != ELF_EM_386) {
		log_warn("multiboot: ELF image is not a little-endian ELF32 i386 executable "
			 "(class %u, machine %u); 64-bit kernels need the a.out kludge",
			 img[ELF_EI_CLASS], loader_le16(img + ELF32_E_MACHINE));
		return HV_EINVAL;
	}
	phoff = loader_le32(img + ELF32_E_PHOFF);
	phentsize = loader_le16(img + ELF32_E_PHENTSIZE);
	phnum = loader_le16(img + ELF32_E_PHNUM);
	entry = loader_le32(img + ELF32_E_ENTRY);
	if (phentsize < ELF32_PHDR_SIZE || phoff > cfg->image_size ||
	    (u64)phnum * phentsize > cfg->image_size - phoff) {
		log_warn("multiboot: ELF program headers (offset %#llx, %u x %u bytes) are outside "
			 "the image",
			 (unsigned long long)phoff, phnum, phentsize);
		return HV_EINVAL;
	}
	p->count = 0;
	p->entry = 0;
	for (u32 i = 0; i < phnum; i++) {
		const u8 *ph = img + phoff + (u64)i * phentsize;
		struct mb_segment s = {
			loader_le32(ph + ELF32_P_OFFSET),
			loader_le32(ph + ELF32_P_FILESZ),
			loader_le32(ph + ELF32_P_PADDR),
			loader_le32(ph + ELF32_P_MEMSZ),
		};
		u64 vaddr = loader_le32(ph + ELF32_P_VADDR);

		if (loader_le32(ph + ELF32_P_TYPE) != ELF_PT_LOAD || !s.memsz)
			continue;
		if (s.filesz > s.memsz || s.file_off > cfg->image_size ||
		    s.filesz > cfg->image_size - s.file_off) {
			log_warn("multiboot: ELF segment %u (offset %#llx, filesz %#llx, memsz "
				 "%#llx) is malformed",
				 i, (unsigned long long)s.file_off, (unsigned long long)s.filesz,
				 (unsigned long long)s.memsz);
			return HV_EINVAL;
		}
		if (p->count == MB_ELF_MAX_SEGMENTS) {
			log_warn("multiboot: more than %u loadable ELF segments",
				 MB_ELF_MAX_SEGMENTS);
			return HV_EINVAL;
		}
		/* A higher-half kernel gives a virtual entry: translate it. */
		if (entry >= vaddr && entry - vaddr < s.memsz)
			p->entry = s.paddr + (entry - vaddr);
		p->seg[p->count++] = s;
	}
	if (!p->count) {
		log_warn("multiboot: ELF image has no loadable segment");
		return HV_EINVAL;
	}
	if (!p->entry) {
		log_warn("multiboot: ELF entry %#llx is in no loadable segment",
			 (unsigned long long)entry);
		return HV_EINVAL;
	}
	return 0;
}

/* Everything the plan touches must be RAM, disjoint, and clear of the boot data. */
static int check_plan(const struct guest_mem *m, const struct mb_plan *p, u64 bd)
{
	bool entry_ok = false;

	for (u32 i = 0; i < p->count; i++) {
		const struct mb_segment *s = &p->seg[i];

		if (!guest_mem_is_ram(m, s->paddr, s->memsz)) {
			log_warn("multiboot: segment at %#llx+%#llx is not guest RAM",
				 (unsigned long long)s->paddr, (unsigned long long)s->memsz);
			return HV_ERANGE;
		}
		if (ranges_overlap(s->paddr, s->memsz, bd, MB_BD_SIZE)) {
			log_warn(
			    "multiboot: segment at %#llx+%#llx overlaps the boot data at %#llx",
			    (unsigned long long)s->paddr, (unsigned long long)s->memsz,
			    (unsigned long long)bd);
			return HV_ERANGE;
		}
		for (u32 j = 0; j < i; j++) {
			if (ranges_overlap(s->paddr, s->memsz, p->seg[j].paddr, p->seg[j].memsz)) {
				log_warn("multiboot: segments %u and %u overlap", j, i);
				return HV_EINVAL;
			}
		}
		if (p->entry >= s->paddr && p->entry - s->paddr < s->filesz)
			entry_ok = true;
	}
	if (!entry_ok) {
		log_warn("multiboot: entry %#llx is outside the loaded image",
			 (unsigned long long)p->entry);
		return HV_EINVAL;
	}
	return 0;
}

/* KiB of RAM from base that is contiguous, up to limit (exclusive). */
static u32 contiguous_kib(const struct x86_e820_entry *map, int n, u64 base, u64 limit)
{
	for (int i = 0; i < n; i++) {
		if (map[i].type == E820_TYPE_RAM && base >= map[i].addr &&
		    base - map[i].addr < map[i].size) {
			u64 end = MIN(map[i].addr + map[i].size, limit);

			return (u32)MIN((end - base) / KIB, (u64)0xffffffffu);
		}
	}
	return 0;
}

static void put32(u8 *buf, size_t off, u32 v)
{
	for (int i = 0; i < 4; i++)
		buf[off + i] = (u8)(v >> (8 * i));
}

static void put64(u8 *buf, size_t off, u64 v)
{
	put32(buf, off, (u32)v);
	put32(buf, off + 4, (u32)(v >> 32));
}

static int write_info(const struct guest_mem *m, const struct multiboot_guest_config *cfg, u64 bd,
		      size_t cmdline_len)
{
	struct x86_e820_entry map[MB_BD_MMAP_MAX];
	u8 info[MBI_SIZE] = { 0 };
	u8 mmap[MB_BD_MMAP_MAX * MB_MMAP_ENTRY_SIZE];
	int n, err;

	n = x86_e820_build(m, cfg->reserved, cfg->reserved_count, map, MB_BD_MMAP_MAX);
	if (n < 0) {
		log_warn("multiboot: cannot build the memory map (%s)", err_name(n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		put32(mmap, (size_t)i * MB_MMAP_ENTRY_SIZE, MB_MMAP_ENTRY_REST);
		put64(mmap, (size_t)i * MB_MMAP_ENTRY_SIZE + 4, map[i].addr);
		put64(mmap, (size_t)i * MB_MMAP_ENTRY_SIZE + 12, map[i].size);
		put32(mmap, (size_t)i * MB_MMAP_ENTRY_SIZE + 20, map[i].type);
	}
	put32(info, MBI_FLAGS,
	      MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
	put32(info, MBI_MEM_LOWER, contiguous_kib(map, n, 0, X86_LEGACY_HOLE_BASE));
	put32(info, MBI_MEM_UPPER, contiguous_kib(map, n, MB_UPPER_MEM_BASE, ~0ull));
	put32(info, MBI_CMDLINE, (u32)(bd + MB_BD_CMDLINE));
	put32(info, MBI_MMAP_LENGTH, (u32)n * MB_MMAP_ENTRY_SIZE);
	put32(info, MBI_MMAP_ADDR, (u32)(bd + MB_BD_MMAP));
	put32(info, MBI_BOOT_LOADER_NAME, (u32)(bd + MB_BD_LOADER_NAME));

	err = guest_mem_zero(m, gpa(bd), MB_BD_SIZE);
	if (!err)
		err = guest_mem_write(m, gpa(bd + MB_BD_INFO), info, sizeof(info));
	if (!err)
		err =
		    guest_mem_write(m, gpa(bd + MB_BD_MMAP), mmap, (size_t)n * MB_MMAP_ENTRY_SIZE);
	if (!err)
		err = guest_mem_write(m, gpa(bd + MB_BD_LOADER_NAME), MB_LOADER_NAME,
				      sizeof(MB_LOADER_NAME));
	if (!err && cmdline_len)
		err = guest_mem_write(m, gpa(bd + MB_BD_CMDLINE), cfg->cmdline, cmdline_len);
	return err;
}

int multiboot_guest_load(const struct guest_mem *m, const struct multiboot_guest_config *cfg,
			 struct x86_boot_state *regs, struct multiboot_guest_info *info)
{
	struct mb_plan plan;
	u64 bd = cfg->boot_data ? cfg->boot_data : MB_BOOT_DATA_DEFAULT;
	size_t cmdline_len = cfg->cmdline ? strnlen(cfg->cmdline, LOADER_CMDLINE_MAX) : 0;
	long hdr;
	u32 flags;
	int err;

	if (guest_mem_validate(m) || !cfg->image) {
		log_warn("multiboot: bad guest memory description or no image");
		return HV_EINVAL;
	}
	if (cmdline_len >= LOADER_CMDLINE_MAX) {
		log_warn("multiboot: command line longer than %u bytes", LOADER_CMDLINE_MAX - 1);
		return HV_EINVAL;
	}
	/* The info structure's pointers are 32-bit. */
	if (!guest_mem_is_ram(m, bd, MB_BD_SIZE) || bd + MB_BD_SIZE > BIT(32)) {
		log_warn("multiboot: boot data block %#llx+%#x is not guest RAM below 4 GiB",
			 (unsigned long long)bd, MB_BD_SIZE);
		return HV_ERANGE;
	}
	hdr = find_header(cfg->image, cfg->image_size);
	if (hdr < 0) {
		log_warn("multiboot: no valid header (magic %#x, checksum) in the first %u bytes",
			 MB_HEADER_MAGIC, MB_HEADER_SEARCH);
		return HV_EINVAL;
	}
	flags = loader_le32(cfg->image + hdr + MB_HDR_FLAGS);
	if (flags & MB_FLAGS_REQUIRED_MASK & ~MB_FLAGS_SUPPORTED) {
		log_warn("multiboot: kernel requires features %#x that hv does not provide",
			 (unsigned)(flags & MB_FLAGS_REQUIRED_MASK & ~MB_FLAGS_SUPPORTED));
		return HV_EINVAL;
	}
	if (flags & MB_FLAG_VIDEO_MODE)
		log_info("multiboot: kernel asks for video mode information; there is no display");
	err = (flags & MB_FLAG_AOUT_KLUDGE) ? plan_aout(cfg, (size_t)hdr, &plan)
					    : plan_elf(cfg, &plan);
	if (!err)
		err = check_plan(m, &plan, bd);
	if (err)
		return err;

	/* Commit: nothing below can fail on a bad image, only on a failing writer. */
	for (u32 i = 0; i < plan.count && !err; i++) {
		const struct mb_segment *s = &plan.seg[i];

		err =
		    guest_mem_write(m, gpa(s->paddr), cfg->image + s->file_off, (size_t)s->filesz);
		if (!err)
			err = guest_mem_zero(m, gpa(s->paddr + s->filesz), s->memsz - s->filesz);
	}
	if (!err)
		err = write_info(m, cfg, bd, cmdline_len);
	if (!err)
		err = x86_boot_flat32(m, gpa(bd + MB_BD_GDT), regs);
	if (err)
		return err;
	regs->rax = MB_BOOTLOADER_MAGIC;
	regs->rbx = bd + MB_BD_INFO;
	regs->rip = plan.entry;
	if (info) {
		info->load_start = ~0ull;
		info->load_end = 0;
		for (u32 i = 0; i < plan.count; i++) {
			info->load_start = MIN(info->load_start, plan.seg[i].paddr);
			info->load_end = MAX(info->load_end, plan.seg[i].paddr + plan.seg[i].memsz);
		}
		info->info_gpa = bd + MB_BD_INFO;
		info->aout_kludge = plan.aout;
	}
	return 0;
}
