/*
 * Checking and walking a flattened device tree (contract in hv/fdt.h).
 *
 * fdt_open() does all of the validation in one pass: header fields, that
 * every block lies inside totalsize, the memory reservation block's
 * terminator, and every token of the structure block (names terminated,
 * property lengths and name offsets in bounds, nesting balanced and at most
 * FDT_MAX_DEPTH deep, properties before subnodes, FDT_END last). The walkers
 * below then rely on that and stay short. Every multi-byte field is read a
 * byte at a time: the blob may sit in memory that faults on unaligned
 * access (arm64 with the MMU off).
 */
#include <hv/errno.h>
#include <hv/fdt.h>
#include <hv/string.h>

u32 fdt_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | (u32)b[3];
}

u64 fdt_cells(const void *p, u32 cells)
{
	const u8 *b = p;
	u64 v = 0;

	for (u32 i = 0; i < cells; i++)
		v = v << 32 | fdt_be32(b + 4 * i);
	return v;
}

static u32 align4(u32 v)
{
	return (v + FDT_TOKEN_ALIGN - 1) & ~(FDT_TOKEN_ALIGN - 1);
}

static int fail(struct fdt_error *err, const char *what, u64 offset)
{
	err->what = what;
	err->offset = (u32)offset;
	return HV_EINVAL;
}

/* Length of the NUL-terminated string at [start, limit), or -1 if unterminated. */
static s64 bounded_strlen(const u8 *blob, u64 start, u64 limit)
{
	for (u64 i = start; i < limit; i++)
		if (blob[i] == '\0')
			return (s64)(i - start);
	return -1;
}

static bool ranges_overlap(u64 a, u64 a_len, u64 b, u64 b_len)
{
	return a < b + b_len && b < a + a_len;
}

static int check_header(struct fdt *fdt, const u8 *b, size_t avail, struct fdt_error *err)
{
	u32 version, last_comp;
	u64 struct_end, strings_end;

	if (avail < FDT_HEADER_SIZE)
		return fail(err, "blob smaller than the FDT header", 0);
	if (fdt_be32(b + FDT_OFF_MAGIC) != FDT_MAGIC)
		return fail(err, "bad magic (not a device tree blob)", FDT_OFF_MAGIC);
	fdt->blob = b;
	fdt->size = fdt_be32(b + FDT_OFF_TOTALSIZE);
	if (fdt->size < FDT_HEADER_SIZE)
		return fail(err, "totalsize smaller than the header", FDT_OFF_TOTALSIZE);
	if (fdt->size > FDT_MAX_SIZE)
		return fail(err, "totalsize larger than 2 MiB", FDT_OFF_TOTALSIZE);
	if (fdt->size > avail)
		return fail(err, "truncated: totalsize beyond the bytes available",
			    FDT_OFF_TOTALSIZE);
	version = fdt_be32(b + FDT_OFF_VERSION);
	last_comp = fdt_be32(b + FDT_OFF_LAST_COMP_VERSION);
	if (version < FDT_FIRST_VERSION)
		return fail(err, "version older than 16", FDT_OFF_VERSION);
	if (last_comp > FDT_LAST_COMP_MAX)
		return fail(err, "last_comp_version newer than 17", FDT_OFF_LAST_COMP_VERSION);

	fdt->struct_off = fdt_be32(b + FDT_OFF_DT_STRUCT);
	fdt->struct_size = fdt_be32(b + FDT_OFF_SIZE_DT_STRUCT);
	fdt->strings_off = fdt_be32(b + FDT_OFF_DT_STRINGS);
	fdt->strings_size = fdt_be32(b + FDT_OFF_SIZE_DT_STRINGS);
	fdt->rsvmap_off = fdt_be32(b + FDT_OFF_MEM_RSVMAP);
	struct_end = (u64)fdt->struct_off + fdt->struct_size;
	strings_end = (u64)fdt->strings_off + fdt->strings_size;
	if (fdt->struct_off < FDT_HEADER_SIZE || fdt->struct_off % FDT_TOKEN_ALIGN)
		return fail(err, "structure block misplaced or misaligned", FDT_OFF_DT_STRUCT);
	if (struct_end > fdt->size)
		return fail(err, "structure block extends past totalsize", FDT_OFF_SIZE_DT_STRUCT);
	if (fdt->strings_off < FDT_HEADER_SIZE || strings_end > fdt->size)
		return fail(err, "strings block extends past totalsize", FDT_OFF_SIZE_DT_STRINGS);
	if (fdt->rsvmap_off < FDT_HEADER_SIZE || fdt->rsvmap_off % FDT_RSVMAP_ALIGN ||
	    fdt->rsvmap_off >= fdt->size)
		return fail(err, "memory reservation block misplaced or misaligned",
			    FDT_OFF_MEM_RSVMAP);
	if (ranges_overlap(fdt->struct_off, fdt->struct_size, fdt->strings_off, fdt->strings_size))
		return fail(err, "structure and strings blocks overlap", FDT_OFF_DT_STRINGS);
	return 0;
}

static int check_rsvmap(struct fdt *fdt, struct fdt_error *err)
{
	u64 off = fdt->rsvmap_off;

	fdt->rsv_count = 0;
	for (;;) {
		if (off + FDT_RSV_ENTRY_SIZE > fdt->size ||
		    ranges_overlap(off, FDT_RSV_ENTRY_SIZE, fdt->struct_off, fdt->struct_size) ||
		    ranges_overlap(off, FDT_RSV_ENTRY_SIZE, fdt->strings_off, fdt->strings_size))
			return fail(err, "memory reservation block not terminated", off);
		if (fdt_cells(fdt->blob + off, 2) == 0 && fdt_cells(fdt->blob + off + 8, 2) == 0)
			return 0;
		fdt->rsv_count++;
		off += FDT_RSV_ENTRY_SIZE;
	}
}

static int check_structure(const struct fdt *fdt, struct fdt_error *err)
{
	const u8 *b = fdt->blob;
	const u64 end = (u64)fdt->struct_off + fdt->struct_size;
	u64 off = fdt->struct_off;
	u32 depth = 0;
	bool root_done = false;
	/* has_child[d]: the open node at depth d already has a subnode. */
	bool has_child[FDT_MAX_DEPTH + 1] = { false };

	for (;;) {
		u32 token;

		if (off + 4 > end)
			return fail(err, "structure block ends without FDT_END", off);
		token = fdt_be32(b + off);
		if (root_done && token != FDT_NOP && token != FDT_END)
			return fail(err, "tokens after the root node", off);
		switch (token) {
		case FDT_BEGIN_NODE: {
			s64 len = bounded_strlen(b, off + 4, end);

			if (len < 0)
				return fail(err, "node name not terminated", off);
			if (depth == FDT_MAX_DEPTH)
				return fail(err, "nodes nested too deeply", off);
			if (depth > 0)
				has_child[depth] = true;
			has_child[++depth] = false;
			off += 4 + align4((u32)len + 1);
			break;
		}
		case FDT_END_NODE:
			if (depth == 0)
				return fail(err, "FDT_END_NODE without a node", off);
			if (--depth == 0)
				root_done = true;
			off += 4;
			break;
		case FDT_PROP: {
			u32 len, nameoff;

			if (depth == 0)
				return fail(err, "property outside any node", off);
			if (has_child[depth])
				return fail(err, "property after a subnode", off);
			if (off + 4 + FDT_PROP_HDR_SIZE > end)
				return fail(err, "property header past the structure block", off);
			len = fdt_be32(b + off + 4);
			nameoff = fdt_be32(b + off + 8);
			if (off + 4 + FDT_PROP_HDR_SIZE + (u64)len > end)
				return fail(err, "property value past the structure block", off);
			if (nameoff >= fdt->strings_size ||
			    bounded_strlen(b, (u64)fdt->strings_off + nameoff,
					   (u64)fdt->strings_off + fdt->strings_size) < 0)
				return fail(err, "property name outside the strings block", off);
			off += 4 + FDT_PROP_HDR_SIZE + align4(len);
			break;
		}
		case FDT_NOP:
			off += 4;
			break;
		case FDT_END:
			if (!root_done)
				return fail(err, depth ? "FDT_END inside a node" : "no root node",
					    off);
			return 0;
		default:
			return fail(err, "unknown structure token", off);
		}
	}
}

int fdt_open(struct fdt *fdt, const void *blob, size_t avail, struct fdt_error *err)
{
	int rc;

	memset(fdt, 0, sizeof(*fdt));
	rc = check_header(fdt, blob, avail, err);
	if (!rc)
		rc = check_rsvmap(fdt, err);
	if (!rc)
		rc = check_structure(fdt, err);
	if (rc)
		fdt->blob = NULL;
	return rc;
}

/* ---- walking a checked blob -------------------------------------------------------- */

static u32 token_at(const struct fdt *fdt, int off)
{
	return fdt_be32(fdt->blob + off);
}

/* Offset of the token after the one at off. */
static int next_token(const struct fdt *fdt, int off)
{
	switch (token_at(fdt, off)) {
	case FDT_BEGIN_NODE:
		return off + 4 + (int)align4((u32)strlen((const char *)fdt->blob + off + 4) + 1);
	case FDT_PROP:
		return off + 4 + (int)FDT_PROP_HDR_SIZE +
		       (int)align4(fdt_be32(fdt->blob + off + 4));
	default:
		return off + 4;
	}
}

/* First token after node's properties: its first child's BEGIN_NODE or its END_NODE. */
static int after_props(const struct fdt *fdt, int node)
{
	int off = next_token(fdt, node);
	u32 t;

	while ((t = token_at(fdt, off)) == FDT_PROP || t == FDT_NOP)
		off = next_token(fdt, off);
	return off;
}

/* Offset just past node's END_NODE. */
static int skip_node(const struct fdt *fdt, int node)
{
	int off = next_token(fdt, node);
	int depth = 1;

	while (depth > 0) {
		u32 t = token_at(fdt, off);

		if (t == FDT_BEGIN_NODE)
			depth++;
		else if (t == FDT_END_NODE)
			depth--;
		off = next_token(fdt, off);
	}
	return off;
}

int fdt_root(const struct fdt *fdt)
{
	int off = (int)fdt->struct_off;

	while (token_at(fdt, off) == FDT_NOP)
		off += 4;
	return off;
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	int off = after_props(fdt, node);

	return token_at(fdt, off) == FDT_BEGIN_NODE ? off : -1;
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	int off = skip_node(fdt, node);

	while (token_at(fdt, off) == FDT_NOP)
		off += 4;
	return token_at(fdt, off) == FDT_BEGIN_NODE ? off : -1;
}

int fdt_next_node(const struct fdt *fdt, int node)
{
	int off = next_token(fdt, node);

	for (;;) {
		u32 t = token_at(fdt, off);

		if (t == FDT_BEGIN_NODE)
			return off;
		if (t == FDT_END)
			return -1;
		off = next_token(fdt, off);
	}
}

/*
 * Fill chain[0..*count) with the nodes from the root down to node. Returns
 * false if node is not the offset of a node.
 */
static bool ancestors(const struct fdt *fdt, int node, int chain[FDT_MAX_DEPTH], u32 *count)
{
	int off = fdt_root(fdt);
	u32 depth = 0;

	for (;;) {
		u32 t = token_at(fdt, off);

		if (t == FDT_BEGIN_NODE) {
			chain[depth++] = off;
			if (off == node) {
				*count = depth;
				return true;
			}
		} else if (t == FDT_END_NODE) {
			depth--;
		} else if (t == FDT_END) {
			return false;
		}
		off = next_token(fdt, off);
	}
}

int fdt_parent(const struct fdt *fdt, int node)
{
	int chain[FDT_MAX_DEPTH];
	u32 n;

	if (!ancestors(fdt, node, chain, &n) || n < 2)
		return -1;
	return chain[n - 2];
}

const char *fdt_node_name(const struct fdt *fdt, int node)
{
	return (const char *)fdt->blob + node + 4;
}

const void *fdt_getprop(const struct fdt *fdt, int node, const char *name, u32 *len)
{
	int off = next_token(fdt, node);
	u32 t;

	while ((t = token_at(fdt, off)) == FDT_PROP || t == FDT_NOP) {
		if (t == FDT_PROP) {
			u32 nameoff = fdt_be32(fdt->blob + off + 8);
			const char *pname = (const char *)fdt->blob + fdt->strings_off + nameoff;

			if (strcmp(pname, name) == 0) {
				if (len)
					*len = fdt_be32(fdt->blob + off + 4);
				return fdt->blob + off + 4 + FDT_PROP_HDR_SIZE;
			}
		}
		off = next_token(fdt, off);
	}
	return NULL;
}

u32 fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, u32 dflt)
{
	u32 len;
	const void *v = fdt_getprop(fdt, node, name, &len);

	return v && len == 4 ? fdt_be32(v) : dflt;
}

const char *fdt_getprop_str(const struct fdt *fdt, int node, const char *name)
{
	u32 len;
	const char *v = fdt_getprop(fdt, node, name, &len);

	if (!v || len == 0 || v[len - 1] != '\0')
		return NULL;
	return v;
}

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
	u32 len;
	const char *v = fdt_getprop(fdt, node, "compatible", &len);
	size_t want = strlen(compat);

	if (!v)
		return false;
	/* A string list: NUL-separated entries; an unterminated tail never matches. */
	for (u32 i = 0; i < len;) {
		size_t n = strnlen(v + i, len - i);

		if (i + n < len && n == want && memcmp(v + i, compat, n) == 0)
			return true;
		i += (u32)n + 1;
	}
	return false;
}

bool fdt_is_enabled(const struct fdt *fdt, int node)
{
	u32 len;
	const char *status = fdt_getprop(fdt, node, "status", &len);

	if (!status)
		return true;
	return (len == sizeof("okay") && memcmp(status, "okay", len) == 0) ||
	       (len == sizeof("ok") && memcmp(status, "ok", len) == 0);
}

/* Whether node's name matches the path component [comp, comp + n). */
static bool name_matches(const char *name, const char *comp, size_t n)
{
	bool comp_has_unit = false;

	if (strncmp(name, comp, n) != 0)
		return false;
	if (name[n] == '\0')
		return true;
	for (size_t i = 0; i < n; i++)
		comp_has_unit |= comp[i] == '@';
	/* "memory" matches "memory@40000000" unless the component has a unit address. */
	return name[n] == '@' && !comp_has_unit;
}

int fdt_find_path(const struct fdt *fdt, const char *path, size_t path_len)
{
	int node = fdt_root(fdt);
	size_t i = 0;

	if (path_len == 0 || path[0] != '/')
		return -1;
	while (i < path_len) {
		size_t start, n;
		int child;

		while (i < path_len && path[i] == '/')
			i++;
		if (i == path_len)
			break;
		start = i;
		while (i < path_len && path[i] != '/')
			i++;
		n = i - start;
		for (child = fdt_first_child(fdt, node); child >= 0;
		     child = fdt_next_sibling(fdt, child))
			if (name_matches(fdt_node_name(fdt, child), path + start, n))
				break;
		if (child < 0)
			return -1;
		node = child;
	}
	return node;
}

int fdt_find_phandle(const struct fdt *fdt, u32 ph)
{
	if (ph == 0 || ph == 0xffffffffu)
		return -1;
	for (int n = fdt_root(fdt); n >= 0; n = fdt_next_node(fdt, n))
		if (fdt_getprop_u32(fdt, n, "phandle", 0) == ph)
			return n;
	return -1;
}

void fdt_rsv_entry(const struct fdt *fdt, u32 i, u64 *base, u64 *size)
{
	const u8 *e = fdt->blob + fdt->rsvmap_off + (u64)i * FDT_RSV_ENTRY_SIZE;

	*base = fdt_cells(e, 2);
	*size = fdt_cells(e + 8, 2);
}

/* The cell counts a node gives its children (Devicetree Specification 2.3.5 defaults). */
static u32 address_cells(const struct fdt *fdt, int node)
{
	return fdt_getprop_u32(fdt, node, "#address-cells", 2);
}

static u32 size_cells(const struct fdt *fdt, int node)
{
	return fdt_getprop_u32(fdt, node, "#size-cells", 1);
}

/* Translate addr on bus's child address space to bus's parent's; 0 or an error. */
static int translate_one(const struct fdt *fdt, int bus, int bus_parent, u64 *addr)
{
	u32 len, cac = address_cells(fdt, bus), csc = size_cells(fdt, bus);
	u32 pac = address_cells(fdt, bus_parent);
	const u8 *r = fdt_getprop(fdt, bus, "ranges", &len);
	u32 entry;

	if (!r)
		return HV_ERANGE; /* no "ranges": this bus is not memory-mapped */
	if (len == 0)
		return 0; /* empty "ranges": identity */
	if (cac == 0 || cac > 2 || csc > 2 || pac == 0 || pac > 2)
		return HV_EINVAL;
	entry = (cac + pac + csc) * 4;
	if (len % entry)
		return HV_EINVAL;
	for (u32 off = 0; off < len; off += entry) {
		u64 child = fdt_cells(r + off, cac);
		u64 parent = fdt_cells(r + off + cac * 4, pac);
		u64 size = fdt_cells(r + off + (cac + pac) * 4, csc);

		if (*addr >= child && *addr - child < size) {
			*addr = parent + (*addr - child);
			return 0;
		}
	}
	return HV_ERANGE;
}

int fdt_reg(const struct fdt *fdt, int node, u32 index, u64 *base, u64 *size)
{
	int chain[FDT_MAX_DEPTH];
	u32 n, ac, sc, len, entry;
	const u8 *reg;

	if (!ancestors(fdt, node, chain, &n) || n < 2)
		return HV_EINVAL;
	ac = address_cells(fdt, chain[n - 2]);
	sc = size_cells(fdt, chain[n - 2]);
	if (ac == 0 || ac > 2 || sc > 2)
		return HV_EINVAL;
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg)
		return HV_ENOENT;
	entry = (ac + sc) * 4;
	if (len % entry)
		return HV_EINVAL;
	if ((u64)index * entry >= len)
		return HV_ENOENT;
	*base = fdt_cells(reg + index * entry, ac);
	*size = fdt_cells(reg + index * entry + ac * 4, sc);
	/* Walk up: each bus maps its children's addresses into its parent's. */
	for (u32 i = n - 2; i > 0; i--) {
		int err = translate_one(fdt, chain[i], chain[i - 1], base);

		if (err)
			return err;
	}
	return 0;
}
