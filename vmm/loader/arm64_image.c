/*
 * arm64 Linux Image loader (contract in hv/loader_arm64.h): checks the
 * Image header, plans Image, DTB and initrd in guest RAM, writes the DTB
 * built by arm64_guest_fdt() and returns the booting.rst entry state.
 *
 * Layout, like the QEMU virt board's: the DTB at the start of the first
 * 2 MiB-aligned block of RAM, the Image's 2 MiB-aligned base just above it,
 * the initrd at the top of RAM. Kernels since 4.6 use the memory below
 * their base, so nothing is lost.
 */
#include <hv/errno.h>
#include <hv/loader_arm64.h>
#include <hv/log.h>
#include <hv/string.h>

static int check_image(const struct arm64_guest_config *cfg, u64 *text_offset, u64 *image_size,
		       u64 *flags)
{
	const u8 *h = cfg->image;

	if (!h || cfg->image_size < ARM64_IMAGE_HEADER_SIZE) {
		log_warn("arm64: image of %zu bytes is shorter than the Image header",
			 cfg->image_size);
		return HV_EINVAL;
	}
	if (loader_le32(h + ARM64_IMAGE_MAGIC_OFF) != ARM64_IMAGE_MAGIC) {
		log_warn("arm64: no \"ARM\\x64\" magic at offset 56: not an arm64 Image "
			 "(Debian's vmlinuz is gzip'd: decompress it)");
		return HV_EINVAL;
	}
	*text_offset = loader_le64(h + ARM64_IMAGE_TEXT_OFFSET);
	*image_size = loader_le64(h + ARM64_IMAGE_IMAGE_SIZE);
	*flags = loader_le64(h + ARM64_IMAGE_FLAGS);
	if (*flags & ARM64_IMAGE_FLAG_BE) {
		log_warn("arm64: big-endian kernel; guests run little-endian");
		return HV_EINVAL;
	}
	if (!*image_size || *image_size < cfg->image_size) {
		log_warn(
		    "arm64: image_size %#llx is zero (pre-3.17 kernel) or below the file size %#zx",
		    (unsigned long long)*image_size, cfg->image_size);
		return HV_EINVAL;
	}
	if (*text_offset >= ARM64_IMAGE_BASE_ALIGN || !IS_ALIGNED(*text_offset, PAGE_SIZE)) {
		log_warn("arm64: text_offset %#llx is not a page offset within 2 MiB",
			 (unsigned long long)*text_offset);
		return HV_EINVAL;
	}
	return 0;
}

int arm64_image_load(const struct guest_mem *m, const struct arm64_guest_config *cfg,
		     struct arm64_boot_state *st, struct arm64_guest_info *info)
{
	static u8
	    dtb[ARM64_DTB_BUF_SIZE]; /* large for a stack; loads are serialised by the caller */
	u64 text_offset, image_size, flags, dtb_at = 0, base = 0, start, initrd = 0;
	int err, dtb_size;

	if (guest_mem_validate(m)) {
		log_warn("arm64: bad guest memory description");
		return HV_EINVAL;
	}
	err = check_image(cfg, &text_offset, &image_size, &flags);
	if (err)
		return err;
	/* The first 2 MiB-aligned block holds the DTB, the next aligned base the Image. */
	for (u32 i = 0; i < m->ram_count && !base; i++) {
		u64 at = ALIGN_UP(m->ram[i].base, ARM64_IMAGE_BASE_ALIGN);

		if (guest_mem_is_ram(m, at, ARM64_IMAGE_BASE_ALIGN + text_offset + image_size)) {
			dtb_at = at;
			base = at + ARM64_IMAGE_BASE_ALIGN;
		}
	}
	if (!base) {
		log_warn("arm64: no 2 MiB-aligned RAM block for the DTB and %#llx bytes of Image",
			 (unsigned long long)image_size);
		return HV_ERANGE;
	}
	start = base + text_offset;
	if (cfg->initrd && cfg->initrd_size) {
		const struct guest_range avoid[2] = { { dtb_at, ARM64_IMAGE_BASE_ALIGN },
						      { start, image_size } };
		struct guest_place_req req = {
			.size = cfg->initrd_size,
			.align = PAGE_SIZE,
			.limit = ~0ull,
			.high = true,
			.avoid = avoid,
			.avoid_count = 2,
		};

		if (guest_mem_place(m, &req, &initrd)) {
			log_warn("arm64: no room for the %zu-byte initrd", cfg->initrd_size);
			return HV_ERANGE;
		}
	}
	dtb_size = arm64_guest_fdt(m, cfg, initrd, initrd ? initrd + cfg->initrd_size : 0, dtb,
				   sizeof(dtb));
	if (dtb_size < 0) {
		log_warn("arm64: cannot build the guest device tree (%s)", err_name(dtb_size));
		return dtb_size;
	}

	/* Commit. */
	err = guest_mem_write(m, gpa(start), cfg->image, cfg->image_size);
	if (!err && initrd)
		err = guest_mem_write(m, gpa(initrd), cfg->initrd, cfg->initrd_size);
	if (!err)
		err = guest_mem_write(m, gpa(dtb_at), dtb, (size_t)dtb_size);
	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	st->x[0] = dtb_at;
	st->pc = start;
	st->pstate = ARM64_BOOT_PSTATE;
	if (info) {
		info->image_base = start;
		info->image_size = image_size;
		info->dtb = dtb_at;
		info->dtb_size = (u64)dtb_size;
		info->initrd = initrd;
		info->initrd_size = initrd ? cfg->initrd_size : 0;
		info->page_size_field =
		    (u32)((flags & ARM64_IMAGE_PAGE_MASK) >> ARM64_IMAGE_PAGE_SHIFT);
	}
	return 0;
}
