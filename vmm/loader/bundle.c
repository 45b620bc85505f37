/*
 * The guest bundle reader (contract and format in hv/bundle.h): one full
 * check of a newc cpio archive, then lookups and iteration over it. The
 * archive comes from outside, so every field is parsed digit by digit and
 * every length is compared with what is left before it is used.
 */
#include <hv/bundle.h>
#include <hv/errno.h>
#include <hv/string.h>

#define MAGIC_LEN    6
#define FIELD_LEN    8
#define FIELD_COUNT  13
#define FIELD_MODE   1
#define FIELD_SIZE   6
#define FIELD_NAMESZ 11

static const char magic_newc[MAGIC_LEN] = { '0', '7', '0', '7', '0', '1' };
static const char magic_crc[MAGIC_LEN] = { '0', '7', '0', '7', '0', '2' };

_Static_assert(MAGIC_LEN + FIELD_LEN * FIELD_COUNT == BUNDLE_HEADER_SIZE,
	       "the newc header is the magic and 13 eight-digit fields");

struct entry {
	size_t at; /* header offset */
	u32 mode;
	u32 namesize; /* with the NUL */
	u64 filesize;
	size_t name_at; /* offsets into the archive */
	size_t data_at;
	size_t next; /* the next header */
};

static int hex_digit(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_field(const u8 *p, u32 *out)
{
	u32 v = 0;

	for (unsigned i = 0; i < FIELD_LEN; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return false;
		v = v << 4 | (u32)d;
	}
	*out = v;
	return true;
}

static size_t pad(size_t x)
{
	return ALIGN_UP(x, (size_t)BUNDLE_ALIGN);
}

static int fail(struct bundle_error *err, size_t offset, const char *why)
{
	if (err) {
		err->offset = offset;
		err->why = why;
	}
	return HV_EINVAL;
}

/* Parse the entry at `at` of an archive of `size` bytes, checking everything it relies on. */
static int parse_entry(const u8 *base, size_t size, size_t at, struct entry *e,
		       struct bundle_error *err)
{
	const u8 *h = base + at;
	u32 fields[FIELD_COUNT];

	if (size - at < BUNDLE_HEADER_SIZE)
		return fail(err, at, "archive ends inside a header (no trailer?)");
	if (memcmp(h, magic_newc, MAGIC_LEN) != 0 && memcmp(h, magic_crc, MAGIC_LEN) != 0)
		return fail(err, at, "bad magic: not a newc cpio header");
	for (unsigned i = 0; i < FIELD_COUNT; i++)
		if (!parse_field(h + MAGIC_LEN + i * FIELD_LEN, &fields[i]))
			return fail(err, at + MAGIC_LEN + i * FIELD_LEN,
				    "a header field is not 8 hex digits");
	e->at = at;
	e->mode = fields[FIELD_MODE];
	e->filesize = fields[FIELD_SIZE];
	e->namesize = fields[FIELD_NAMESZ];
	e->name_at = at + BUNDLE_HEADER_SIZE;
	if (e->namesize < 2 || e->namesize > BUNDLE_NAME_MAX)
		return fail(err, at, "name size is 0, 1 or above BUNDLE_NAME_MAX");
	if (size - e->name_at < e->namesize)
		return fail(err, at, "the name runs past the end of the archive");
	if (base[e->name_at + e->namesize - 1] != '\0' ||
	    strnlen((const char *)base + e->name_at, e->namesize - 1) != e->namesize - 1)
		return fail(err, at, "the name is not exactly namesize - 1 bytes and a NUL");
	e->data_at = pad(e->name_at + e->namesize);
	if (e->data_at > size || size - e->data_at < e->filesize)
		return fail(err, at, "the file data runs past the end of the archive");
	e->next = pad(e->data_at + (size_t)e->filesize);
	return 0;
}

static bool is_trailer(const u8 *base, const struct entry *e)
{
	return e->namesize == sizeof(BUNDLE_TRAILER) &&
	       memcmp(base + e->name_at, BUNDLE_TRAILER, sizeof(BUNDLE_TRAILER)) == 0;
}

static const char *skip_dot_slash(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	return name;
}

int bundle_open(struct bundle *b, const void *base, size_t size, struct bundle_error *err)
{
	const u8 *p = base;
	size_t at = 0;
	struct entry e;
	u32 files = 0, entries = 0;
	int r;

	if (!base)
		return fail(err, 0, "no archive");
	for (;;) {
		r = parse_entry(p, size, at, &e, err);
		if (r)
			return r;
		if (is_trailer(p, &e))
			break;
		entries++;
		if ((e.mode & BUNDLE_MODE_TYPE) == BUNDLE_MODE_FILE)
			files++;
		/* The next header may start exactly at the end only if this was the trailer. */
		if (e.next >= size)
			return fail(err, at, "archive ends without a TRAILER!!! entry");
		at = e.next;
	}
	b->base = p;
	b->size = MIN(e.next, size);
	b->file_count = files;
	b->entry_count = entries;
	return 0;
}

bool bundle_next(const struct bundle *b, size_t *cursor, struct bundle_file *f)
{
	struct entry e;

	for (;;) {
		/* The archive was checked by bundle_open(): parsing cannot fail here. */
		if (*cursor >= b->size || parse_entry(b->base, b->size, *cursor, &e, NULL) ||
		    is_trailer(b->base, &e))
			return false;
		*cursor = e.next;
		if ((e.mode & BUNDLE_MODE_TYPE) != BUNDLE_MODE_FILE)
			continue;
		f->name = skip_dot_slash((const char *)b->base + e.name_at);
		f->data = b->base + e.data_at;
		f->size = e.filesize;
		f->mode = e.mode;
		return true;
	}
}

int bundle_find(const struct bundle *b, const char *name, struct bundle_file *f)
{
	struct bundle_file cur;
	size_t cursor = 0;
	bool found = false;

	name = skip_dot_slash(name);
	while (bundle_next(b, &cursor, &cur)) {
		if (strcmp(cur.name, name) == 0) {
			*f = cur;
			found = true;
		}
	}
	return found ? 0 : HV_ENOENT;
}
