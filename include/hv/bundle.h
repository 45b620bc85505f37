/*
 * Guest bundles: how guest images reach the hypervisor when the boot loader
 * can hand it only one extra file (QEMU -initrd, U-Boot booti's initrd, a
 * GRUB module). The bundle is a cpio archive in the "newc" format (what
 * `cpio -o -H newc` and the Linux initramfs use; also "crc", which differs
 * only in the magic), holding named files such as
 *
 *     linux/Image          an arm64 Linux Image
 *     linux/initrd         its initramfs
 *     linux/cmdline        its default command line (optional, text)
 *     test/hvc             a test guest
 *
 * Format (cpio(5), "New ASCII Format"): each entry is a 110-byte header of
 * the magic "070701" (or "070702") and 13 fields of 8 hex digits (inode,
 * mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
 * rdevminor, namesize, check), the NUL-terminated name padded to a multiple
 * of 4 bytes counting from the header, then the data padded likewise. The
 * entry named "TRAILER!!!" ends the archive.
 *
 * The archive is input from outside the hypervisor: bundle_open() checks it
 * completely once (every header's magic and hex digits, the name's length
 * and terminator, every size against the archive's end, the trailer) and
 * says what was wrong at which offset; the other calls then only walk a
 * checked archive. Nothing is copied: files point into the archive.
 */
#ifndef HV_BUNDLE_H
#define HV_BUNDLE_H

#include <hv/types.h>

#define BUNDLE_HEADER_SIZE 110
#define BUNDLE_NAME_MAX    256 /* name bytes, NUL included, that a bundle may use */
#define BUNDLE_ALIGN       4
#define BUNDLE_MODE_TYPE   0170000u /* file type bits of the mode (st_mode) */
#define BUNDLE_MODE_FILE   0100000u /* regular file */
#define BUNDLE_TRAILER     "TRAILER!!!"

struct bundle {
	const u8 *base;
	size_t size;     /* up to and including the trailer's header and name */
	u32 file_count;  /* regular files */
	u32 entry_count; /* all entries before the trailer (directories, links too) */
};

struct bundle_file {
	const char *name; /* NUL-terminated, inside the archive; a leading "./" is skipped */
	const u8 *data;
	u64 size;
	u32 mode;
};

/* Why bundle_open() refused an archive. */
struct bundle_error {
	size_t offset;   /* of the entry (or field) at fault */
	const char *why; /* static text */
};

/*
 * Check the archive at [base, base + size) and describe it in *b. Bytes
 * after the trailer (padding a loader added) are ignored. Returns 0, or
 * HV_EINVAL with *err saying what and where (err may be NULL).
 */
int bundle_open(struct bundle *b, const void *base, size_t size, struct bundle_error *err);

/*
 * The regular file called name (compared after skipping "./" on either
 * side). Returns 0 and *f, or HV_ENOENT. Later entries with the same name
 * win, as when cpio extracts.
 */
int bundle_find(const struct bundle *b, const char *name, struct bundle_file *f);

/*
 * Iterate over the regular files: start with *cursor = 0; each call stores
 * the next file in *f and returns true, false at the end.
 */
bool bundle_next(const struct bundle *b, size_t *cursor, struct bundle_file *f);

#endif /* HV_BUNDLE_H */
