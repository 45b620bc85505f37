/*
 * The hypervisor's command line (docs/cmdline.md lists every option).
 *
 * Syntax: options separated by blanks, each `name=value` (a value may be
 * double-quoted to hold blanks); a lone `--` ends the hypervisor's options
 * and leaves the rest, unparsed, for a guest. Later options override
 * earlier ones. Nothing here fails: unknown options, bad values and
 * malformed tokens are logged with their name and counted.
 */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include <hv/tmod.h>
#include <hv/types.h>

#define CMDLINE_NAME_MAX  32 /* longest option name, NUL included */
#define CMDLINE_VALUE_MAX 64 /* longest option value, NUL included */

struct cmdline_opts {
	int loglevel;                     /* enum log_level, or -1 when not given */
	char console[CMDLINE_VALUE_MAX];  /* console=: "" when not given */
	char selftest[CMDLINE_VALUE_MAX]; /* selftest=: "" when not given */
	char guest[CMDLINE_VALUE_MAX];    /* guest=: "" when not given (auto) */
	u64 guest_mem;                    /* guest_mem=: bytes, 0 when not given (all) */
	bool guest_tdp_protected;         /* guest_tdp=protected (default normal) */
	struct tmod_inject tmod_inject;   /* tmod_inject=: mode TMOD_INJECT_OFF when not given */
	const char *rest;                 /* what follows " -- ", or NULL */
	u32 unknown_count;                /* options nobody knows */
	u32 error_count;                  /* bad values, malformed tokens */
};

/*
 * A size: decimal digits with an optional K, M or G suffix (powers of
 * 1024). False for anything else, zero, or a value that overflows.
 */
bool cmdline_parse_size(const char *s, u64 *bytes);

/* Parse s (NULL is empty) into opts, starting from the defaults. */
void cmdline_parse(const char *s, struct cmdline_opts *opts);

/*
 * Parse the boot command line and act on it: set the log threshold, switch
 * the console (arch_console_select), keep the options for cmdline_get().
 * Called once, early in hv_main.
 */
void cmdline_apply(const char *s);

struct vm_config;

/*
 * The boot guest's second stage as the command line asks: guest_tdp=
 * (protected: a trusted table module owns the table) and tmod_inject=
 * (failure injection into that module; ignored, with a warning, when the
 * second stage is not protected). Backends' boot-guest code calls it on the
 * vm_config they are filling.
 */
void cmdline_guest_second_stage(struct vm_config *cfg);

/* The options cmdline_apply() saw (defaults before it runs). */
const struct cmdline_opts *cmdline_get(void);

#endif /* HV_CMDLINE_H */
