/*
 * Command-line parsing (contract in hv/cmdline.h, options in docs/cmdline.md).
 *
 * A small tokenizer (blanks separate, double quotes group, quotes are
 * removed) feeds a table of known options. Every option's handler checks
 * its value; anything not understood is reported by name and counted.
 */
#include <arch/boot.h>
#include <hv/cmdline.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/selftest.h>
#include <hv/string.h>
#include <hv/vm.h>

static struct cmdline_opts boot_opts = { .loglevel = -1 };

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct option {
	const char *name;
	/* Check and store value; false (after logging why) when it is bad. */
	bool (*set)(struct cmdline_opts *o, const char *value);
	const char *help;
};

static bool set_loglevel(struct cmdline_opts *o, const char *value)
{
	int level = log_level_parse(value);

	if (level < 0) {
		log_warn("cmdline: loglevel=%s: not a level (err, warn, info, debug, trace or 0-4)",
			 value);
		return false;
	}
	o->loglevel = level;
	return true;
}

static bool set_string(char *dst, const char *value)
{
	/* The tokenizer already limited value to CMDLINE_VALUE_MAX - 1 bytes. */
	size_t n = strlen(value);

	memcpy(dst, value, n + 1);
	return true;
}

static bool set_console(struct cmdline_opts *o, const char *value)
{
	return set_string(o->console, value);
}

static bool set_selftest(struct cmdline_opts *o, const char *value)
{
	if (!selftest_is_known(value)) {
		log_warn("cmdline: selftest=%s: no such selftest (known: %s)", value,
			 selftest_names());
		return false;
	}
	return set_string(o->selftest, value);
}

bool cmdline_parse_size(const char *s, u64 *bytes)
{
	u64 v = 0, unit = 1;

	if (!*s)
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (~0ull - (u64)(*s - '0')) / 10)
			return false;
		v = v * 10 + (u64)(*s - '0');
	}
	switch (*s) {
	case 'K':
	case 'k':
		unit = 1ull << 10;
		s++;
		break;
	case 'M':
	case 'm':
		unit = 1ull << 20;
		s++;
		break;
	case 'G':
	case 'g':
		unit = 1ull << 30;
		s++;
		break;
	default:
		break;
	}
	if (*s || v == 0 || v > ~0ull / unit)
		return false;
	*bytes = v * unit;
	return true;
}

static bool set_guest(struct cmdline_opts *o, const char *value)
{
	return set_string(o->guest, value);
}

static bool set_guest_mem(struct cmdline_opts *o, const char *value)
{
	if (!cmdline_parse_size(value, &o->guest_mem)) {
		log_warn("cmdline: guest_mem=%s: not a size (a number with K, M or G)", value);
		return false;
	}
	return true;
}

static bool set_guest_tdp(struct cmdline_opts *o, const char *value)
{
	if (strcmp(value, "normal") == 0) {
		o->guest_tdp_protected = false;
	} else if (strcmp(value, "protected") == 0) {
		o->guest_tdp_protected = true;
	} else {
		log_warn("cmdline: guest_tdp=%s: not a second stage (normal or protected)", value);
		return false;
	}
	return true;
}

/* Decimal digits up to the end of the field (',' or NUL), into *v without overflow. */
static bool parse_count(const char **p, u64 *v)
{
	const char *s = *p;

	*v = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*v > (~0ull - (u64)(*s - '0')) / 10)
			return false;
		*v = *v * 10 + (u64)(*s - '0');
	}
	if (*s && *s != ',')
		return false;
	*p = s;
	return true;
}

/* Does the field at *p start with name (then ':' for a value, or end there)? Advances past it. */
static bool field_is(const char **p, const char *name, bool with_value)
{
	size_t n = strlen(name);

	if (strncmp(*p, name, n) != 0)
		return false;
	if (with_value ? (*p)[n] != ':' : ((*p)[n] && (*p)[n] != ','))
		return false;
	*p += n + (with_value ? 1 : 0);
	return true;
}

#define COUNT_MAX_U32      ((u64)(u32)~0u)
#define INJECT_PERCENT     100
#define INJECT_PER_MILLION 1000000u
#define INJECT_HELP        "off | every:N | random:PERCENT[,seed:S], then [,skip:K][,refuse]"

/* One field of tmod_inject= at *p (advanced past it); false if it is not understood. */
static bool inject_field(struct tmod_inject *inj, const char **p, bool *seeded)
{
	u64 n;

	if (field_is(p, "every", true)) {
		if (inj->mode != TMOD_INJECT_OFF || !parse_count(p, &n) || n < 1 ||
		    n > COUNT_MAX_U32)
			return false;
		inj->mode = TMOD_INJECT_EVERY;
		inj->every = (u32)n;
	} else if (field_is(p, "random", true)) {
		if (inj->mode != TMOD_INJECT_OFF || !parse_count(p, &n) || n < 1 ||
		    n > INJECT_PERCENT)
			return false;
		inj->mode = TMOD_INJECT_RANDOM;
		inj->per_million = (u32)n * (INJECT_PER_MILLION / INJECT_PERCENT);
	} else if (field_is(p, "seed", true)) {
		if (!parse_count(p, &n))
			return false;
		inj->seed = n;
		*seeded = true;
	} else if (field_is(p, "skip", true)) {
		if (!parse_count(p, &n) || n > COUNT_MAX_U32)
			return false;
		inj->skip = (u32)n;
	} else if (field_is(p, "refuse", false)) {
		inj->err = HV_EPERM;
	} else {
		return false;
	}
	return true;
}

/*
 * tmod_inject=: failure injection into a protected guest's table module
 * (docs/cmdline.md). Fields separated by commas: every:N or random:PCT
 * (exactly one), seed:S (with random), skip:K, refuse (fail with EPERM, a
 * refusal, instead of EBUSY); or off.
 */
static bool set_tmod_inject(struct cmdline_opts *o, const char *value)
{
	struct tmod_inject inj = { .mode = TMOD_INJECT_OFF };
	const char *p = value;
	bool seeded = false;

	if (strcmp(value, "off") == 0) {
		o->tmod_inject = inj;
		return true;
	}
	while (*p) {
		const char *field = p, *comma = strchr(p, ',');
		int len = (int)(comma ? (size_t)(comma - p) : strlen(p));

		if (!inject_field(&inj, &p, &seeded)) {
			log_warn("cmdline: tmod_inject=%s: cannot use '%.*s' (" INJECT_HELP ")",
				 value, len, field);
			return false;
		}
		if (*p == ',')
			p++;
	}
	if (inj.mode == TMOD_INJECT_OFF || (seeded && inj.mode != TMOD_INJECT_RANDOM)) {
		log_warn("cmdline: tmod_inject=%s: needs every:N or random:PERCENT (seed only with "
			 "random)",
			 value);
		return false;
	}
	o->tmod_inject = inj;
	return true;
}

static const struct option options[] = {
	{ "loglevel", set_loglevel, "err|warn|info|debug|trace|0-4" },
	{ "console", set_console, "com1|com2|com3|com4|<port> (x86), pl011 (arm64), none" },
	{ "selftest", set_selftest, "a deliberate failure (docs/cmdline.md)" },
	{ "guest", set_guest, "linux|<module name>|none" },
	{ "guest_mem", set_guest_mem, "<size>[K|M|G]" },
	{ "guest_tdp", set_guest_tdp, "normal|protected" },
	{ "tmod_inject", set_tmod_inject, INJECT_HELP },
};

static void handle_option(struct cmdline_opts *o, const char *name, const char *value,
			  bool has_value)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (strcmp(name, options[i].name) != 0)
			continue;
		if (!has_value || value[0] == '\0') {
			log_warn("cmdline: option '%s' needs a value (%s=%s)", name, name,
				 options[i].help);
			o->error_count++;
		} else if (!options[i].set(o, value)) {
			o->error_count++;
		}
		return;
	}
	log_warn("cmdline: unknown option '%s' ignored", name);
	o->unknown_count++;
}

/*
 * Cut the next token out of *p into name and value. Returns false at the
 * end of the string. Sets *has_value when the token has an '='.
 */
static bool next_token(struct cmdline_opts *o, const char **p, char *name, char *value,
		       bool *has_value, bool *ok)
{
	const char *s = *p;
	size_t nlen = 0, vlen = 0;
	bool quoted = false, too_long = false;
	const char *start;

	while (is_blank(*s))
		s++;
	if (!*s)
		return false;
	start = s;
	*has_value = false;
	*ok = true;
	for (; *s && (quoted || !is_blank(*s)); s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (!*has_value && *s == '=') {
			*has_value = true;
			continue;
		}
		if (*has_value) {
			if (vlen < CMDLINE_VALUE_MAX - 1)
				value[vlen++] = *s;
			else
				too_long = true;
		} else {
			if (nlen < CMDLINE_NAME_MAX - 1)
				name[nlen++] = *s;
			else
				too_long = true;
		}
	}
	name[nlen] = '\0';
	value[vlen] = '\0';
	*p = s;
	if (quoted) {
		log_warn("cmdline: unterminated quote in '%.*s'", (int)(s - start), start);
		o->error_count++;
		*ok = false;
	} else if (too_long) {
		log_warn("cmdline: '%.*s' is too long (names up to %d bytes, values up to %d)",
			 (int)MIN(s - start, 80), start, CMDLINE_NAME_MAX - 1,
			 CMDLINE_VALUE_MAX - 1);
		o->error_count++;
		*ok = false;
	} else if (nlen == 0) {
		log_warn("cmdline: '%.*s' has no option name", (int)(s - start), start);
		o->error_count++;
		*ok = false;
	}
	return true;
}

void cmdline_parse(const char *s, struct cmdline_opts *opts)
{
	char name[CMDLINE_NAME_MAX], value[CMDLINE_VALUE_MAX];
	bool has_value, ok;

	*opts = (struct cmdline_opts){ .loglevel = -1 };
	if (!s)
		return;
	while (next_token(opts, &s, name, value, &has_value, &ok)) {
		if (!ok)
			continue;
		if (!has_value && strcmp(name, "--") == 0) {
			while (is_blank(*s))
				s++;
			opts->rest = s;
			return;
		}
		handle_option(opts, name, value, has_value);
	}
}

void cmdline_apply(const char *s)
{
	cmdline_parse(s, &boot_opts);
	if (boot_opts.loglevel >= 0)
		log_threshold = (enum log_level)boot_opts.loglevel;
	if (boot_opts.console[0]) {
		const struct console_dev *old = console_get();
		int err = arch_console_select(boot_opts.console);

		if (err) {
			log_warn("cmdline: console=%s: %s; keeping %s", boot_opts.console,
				 err == HV_ENOENT ? "no such device here" : "not a console name",
				 old ? old->name : "none");
			boot_opts.error_count++;
		}
	}
	if (boot_opts.unknown_count || boot_opts.error_count)
		log_warn("cmdline: %u unknown option(s), %u bad one(s) in \"%s\"",
			 boot_opts.unknown_count, boot_opts.error_count, s);
}

const struct cmdline_opts *cmdline_get(void)
{
	return &boot_opts;
}

void cmdline_guest_second_stage(struct vm_config *cfg)
{
	const struct cmdline_opts *o = cmdline_get();

	cfg->protected_tdp = o->guest_tdp_protected;
	if (o->tmod_inject.mode == TMOD_INJECT_OFF)
		return;
	if (cfg->protected_tdp)
		cfg->tmod_inject = &o->tmod_inject;
	else
		log_warn("guest: tmod_inject= ignored: the guest's second stage is not protected "
			 "(guest_tdp=protected)");
}
