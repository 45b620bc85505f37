/*
 * The Linux x86 32-bit boot protocol loader (contract and the reason for
 * 32-bit in hv/loader_linux_x86.h): validates the bzImage's setup header,
 * plans the kernel, initrd and boot data in guest RAM, then copies the
 * protected-mode kernel and initrd and fills the zero page.
 */
#include <hv/errno.h>
#include <hv/loader_linux_x86.h>
#include <hv/log.h>
#include <hv/string.h>

#define FOUR_GIB  BIT(32)
#define KIB       1024u
#define E820_ROOM (2 * LOADER_RANGES_MAX + 4) /* edges of RAM + reserved + hole */

struct lx_plan {
	u16 protocol;
	size_t setup_size, header_end;
	const u8 *pm;
	size_t pm_size;
	u64 init_size, align, load_addr;
	u64 initrd_addr, initrd_max;
	u32 cmdline_size;
	bool relocatable;
};

static int check_header(const struct linux_x86_config *cfg, struct lx_plan *p)
{
	const u8 *k = cfg->kernel;
	u32 setup_sects;

	if (!k || cfg->kernel_size < LX_HEADER_END_MAX + LX_SECTOR_SIZE) {
		log_warn("linux: kernel image of %zu bytes is too small for a bzImage",
			 cfg->kernel_size);
		return HV_EINVAL;
	}
	if (loader_le16(k + LX_BOOT_FLAG) != LX_BOOT_FLAG_MAGIC ||
	    loader_le32(k + LX_HEADER) != LX_HEADER_MAGIC) {
		log_warn("linux: no boot flag 0xaa55 / \"HdrS\" magic: not a Linux bzImage");
		return HV_EINVAL;
	}
	p->protocol = loader_le16(k + LX_VERSION);
	if (p->protocol < LX_PROTOCOL_MIN) {
		log_warn("linux: boot protocol %u.%02u is older than 2.06", p->protocol >> 8,
			 p->protocol & 0xff);
		return HV_EINVAL;
	}
	if (!(k[LX_LOADFLAGS] & LX_LOADFLAGS_LOADED_HIGH)) {
		log_warn("linux: LOADED_HIGH clear: a zImage, not a bzImage");
		return HV_EINVAL;
	}
	setup_sects = k[LX_SETUP_SECTS] ? k[LX_SETUP_SECTS] : LX_SETUP_SECTS_DEFAULT;
	p->setup_size = (size_t)(setup_sects + 1) * LX_SECTOR_SIZE;
	if (p->setup_size >= cfg->kernel_size) {
		log_warn("linux: setup_sects %u puts the kernel past the end of the %zu-byte image",
			 setup_sects, cfg->kernel_size);
		return HV_EINVAL;
	}
	p->pm = k + p->setup_size;
	p->pm_size = cfg->kernel_size - p->setup_size;
	if ((u64)loader_le32(k + LX_SYSSIZE) * 16 > p->pm_size) {
		log_warn("linux: syssize says %llu bytes of kernel, the image has %zu: truncated",
			 (unsigned long long)loader_le32(k + LX_SYSSIZE) * 16, p->pm_size);
		return HV_EINVAL;
	}
	/* The header ends at 0x202 + the jump's offset byte. */
	p->header_end = LX_HEADER + k[LX_JUMP + 1];
	if (p->header_end <= LX_INITRD_ADDR_MAX || p->header_end > LX_HEADER_END_MAX) {
		log_warn("linux: setup header length %#zx is implausible", p->header_end);
		return HV_EINVAL;
	}
	p->relocatable = k[LX_RELOCATABLE_KERNEL] != 0;
	p->align = loader_le32(k + LX_KERNEL_ALIGNMENT);
	if (p->relocatable && (p->align < PAGE_SIZE || (p->align & (p->align - 1)))) {
		log_warn("linux: kernel_alignment %#llx is not a power of two >= 4 KiB",
			 (unsigned long long)p->align);
		return HV_EINVAL;
	}
	p->init_size = p->pm_size;
	p->load_addr = 0;
	if (p->protocol >= LX_PROTOCOL_2_10 && p->header_end >= LX_INIT_SIZE + 4) {
		p->init_size = loader_le32(k + LX_INIT_SIZE);
		p->load_addr = loader_le64(k + LX_PREF_ADDRESS);
		if (p->init_size < p->pm_size) {
			log_warn("linux: init_size %#llx is smaller than the kernel (%#zx)",
				 (unsigned long long)p->init_size, p->pm_size);
			return HV_EINVAL;
		}
	}
	p->initrd_max = loader_le32(k + LX_INITRD_ADDR_MAX);
	p->cmdline_size = loader_le32(k + LX_CMDLINE_SIZE);
	return 0;
}

static int place(const struct guest_mem *m, const struct linux_x86_config *cfg, u64 bd,
		 struct lx_plan *p)
{
	const struct guest_range bd_range = { bd, LX_BD_SIZE };
	struct guest_range avoid[2] = { bd_range };

	if (!p->relocatable) {
		p->load_addr = LX_DEFAULT_LOAD_ADDR;
	} else if (!p->load_addr || !IS_ALIGNED(p->load_addr, p->align) ||
		   !guest_mem_is_ram(m, p->load_addr, p->init_size) ||
		   ranges_overlap(p->load_addr, p->init_size, bd, LX_BD_SIZE) ||
		   p->load_addr + p->init_size > FOUR_GIB) {
		struct guest_place_req req = {
			.size = p->init_size,
			.align = p->align,
			.min = LX_DEFAULT_LOAD_ADDR,
			.limit = FOUR_GIB,
			.avoid = avoid,
			.avoid_count = 1,
		};

		if (guest_mem_place(m, &req, &p->load_addr)) {
			log_warn("linux: no RAM block of %#llx bytes (init_size) for the kernel",
				 (unsigned long long)p->init_size);
			return HV_ERANGE;
		}
	}
	if (!guest_mem_is_ram(m, p->load_addr, p->init_size) ||
	    ranges_overlap(p->load_addr, p->init_size, bd, LX_BD_SIZE)) {
		log_warn("linux: kernel block %#llx+%#llx is not free guest RAM",
			 (unsigned long long)p->load_addr, (unsigned long long)p->init_size);
		return HV_ERANGE;
	}
	p->initrd_addr = 0;
	if (cfg->initrd && cfg->initrd_size) {
		struct guest_place_req req = {
			.size = cfg->initrd_size,
			.align = LX_INITRD_ALIGN,
			.min = LX_DEFAULT_LOAD_ADDR,
			.limit = MIN(p->initrd_max + 1ull, FOUR_GIB),
			.high = true,
			.avoid = avoid,
			.avoid_count = 2,
		};

		avoid[1] = (struct guest_range){ p->load_addr, p->init_size };
		if (guest_mem_place(m, &req, &p->initrd_addr)) {
			log_warn("linux: no room for the %zu-byte initrd below %#llx",
				 cfg->initrd_size, (unsigned long long)req.limit);
			return HV_ERANGE;
		}
	}
	return 0;
}

static int put(const struct guest_mem *m, u64 at, u64 v, unsigned bytes)
{
	u8 b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (u8)(v >> (8 * i));
	return guest_mem_write(m, gpa(at), b, bytes);
}

static int write_zero_page(const struct guest_mem *m, const struct linux_x86_config *cfg, u64 zp,
			   u64 cmdline_gpa, const struct lx_plan *p)
{
	struct x86_e820_entry map[E820_ROOM];
	u8 loadflags = (u8)(cfg->kernel[LX_LOADFLAGS] & ~LX_LOADFLAGS_CAN_USE_HEAP);
	int n, err;
	u64 alt_mem_k = 0;

	n = x86_e820_build(m, cfg->reserved, cfg->reserved_count, map, E820_ROOM);
	if (n < 0)
		return n;
	err = guest_mem_zero(m, gpa(zp), LX_BP_SIZE);
	/* The setup header as the image has it, then our fields over it. */
	if (!err)
		err = guest_mem_write(m, gpa(zp + LX_SETUP_SECTS), cfg->kernel + LX_SETUP_SECTS,
				      p->header_end - LX_SETUP_SECTS);
	for (int i = 0; i < n && !err; i++) {
		u64 e = zp + LX_BP_E820_TABLE + (u64)i * LX_BP_E820_ENTRY_SIZE;

		err = put(m, e, map[i].addr, 8) ?: put(m, e + 8, map[i].size, 8) ?:
		      put(m, e + 16, map[i].type, 4);
		if (map[i].type == E820_TYPE_RAM && map[i].addr <= LX_DEFAULT_LOAD_ADDR &&
		    map[i].addr + map[i].size > LX_DEFAULT_LOAD_ADDR)
			alt_mem_k = (map[i].addr + map[i].size - LX_DEFAULT_LOAD_ADDR) / KIB;
	}
	if (err)
		return err;
	return put(m, zp + LX_BP_E820_ENTRIES, (u64)n, 1) ?:
	       put(m, zp + LX_BP_ALT_MEM_K, MIN(alt_mem_k, 0xffffffffull), 4) ?:
	       put(m, zp + LX_BP_ACPI_RSDP_ADDR, cfg->acpi_rsdp, 8) ?:
	       put(m, zp + LX_VID_MODE, LX_VID_MODE_NORMAL, 2) ?:
	       put(m, zp + LX_TYPE_OF_LOADER, LX_TYPE_OF_LOADER_UNDEFINED, 1) ?:
	       put(m, zp + LX_LOADFLAGS, loadflags, 1) ?: put(m, zp + LX_HEAP_END_PTR, 0, 2) ?:
	       put(m, zp + LX_CODE32_START, p->load_addr, 4) ?:
	       put(m, zp + LX_RAMDISK_IMAGE, p->initrd_addr, 4) ?:
	       put(m, zp + LX_RAMDISK_SIZE, p->initrd_addr ? cfg->initrd_size : 0, 4) ?:
	       put(m, zp + LX_CMD_LINE_PTR, cmdline_gpa, 4) ?:
	       put(m, zp + LX_HARDWARE_SUBARCH, 0, 4);
}

int linux_x86_load(const struct guest_mem *m, const struct linux_x86_config *cfg,
		   struct x86_boot_state *regs, struct linux_x86_info *info)
{
	struct lx_plan p;
	u64 bd = cfg->boot_data ? cfg->boot_data : LX_BOOT_DATA_DEFAULT;
	size_t cmdline_len = cfg->cmdline ? strnlen(cfg->cmdline, LOADER_CMDLINE_MAX) : 0;
	int err;

	if (guest_mem_validate(m)) {
		log_warn("linux: bad guest memory description");
		return HV_EINVAL;
	}
	err = check_header(cfg, &p);
	if (err)
		return err;
	if (cmdline_len >= LOADER_CMDLINE_MAX || cmdline_len > p.cmdline_size) {
		log_warn("linux: command line of %zu bytes, the kernel takes at most %u",
			 cmdline_len, MIN(p.cmdline_size, LOADER_CMDLINE_MAX - 1u));
		return HV_EINVAL;
	}
	if ((u64)cfg->initrd_size > 0xffffffffull) {
		log_warn("linux: initrd of %zu bytes does not fit ramdisk_size", cfg->initrd_size);
		return HV_EINVAL;
	}
	if (!guest_mem_is_ram(m, bd, LX_BD_SIZE) || bd + LX_BD_SIZE > FOUR_GIB) {
		log_warn("linux: boot data block %#llx+%#x is not guest RAM below 4 GiB",
			 (unsigned long long)bd, LX_BD_SIZE);
		return HV_ERANGE;
	}
	err = place(m, cfg, bd, &p);
	if (err)
		return err;

	/* Commit. */
	err = guest_mem_write(m, gpa(p.load_addr), p.pm, p.pm_size);
	if (!err && p.initrd_addr)
		err = guest_mem_write(m, gpa(p.initrd_addr), cfg->initrd, cfg->initrd_size);
	if (!err)
		err = guest_mem_zero(m, gpa(bd + LX_BD_CMDLINE), LOADER_CMDLINE_MAX);
	if (!err && cmdline_len)
		err = guest_mem_write(m, gpa(bd + LX_BD_CMDLINE), cfg->cmdline, cmdline_len);
	if (!err)
		err = write_zero_page(m, cfg, bd + LX_BD_ZERO_PAGE, bd + LX_BD_CMDLINE, &p);
	if (!err)
		err = x86_boot_flat32(m, gpa(bd + LX_BD_GDT), regs);
	if (err)
		return err;
	regs->rip = p.load_addr;
	regs->rsi = bd + LX_BD_ZERO_PAGE;
	if (info) {
		info->protocol = p.protocol;
		info->load_addr = p.load_addr;
		info->load_size = p.init_size;
		info->initrd_addr = p.initrd_addr;
		info->zero_page = bd + LX_BD_ZERO_PAGE;
	}
	return 0;
}
