/*
 * The host stand-in for the bring-up seam pieces that generic code calls
 * outside boot/main.c (include/arch/boot.h): console selection, which
 * cmdline_apply() uses. "none" silences the console, "stderr" restores the
 * default, anything else does not exist here.
 */
#include <string.h>

#include <arch/boot.h>
#include <hv/console.h>
#include <hv/errno.h>

extern const struct console_dev fake_stderr_console;

int arch_console_select(const char *spec)
{
	if (strcmp(spec, "none") == 0) {
		console_set(NULL);
		return 0;
	}
	if (strcmp(spec, "stderr") == 0) {
		console_set(&fake_stderr_console);
		return 0;
	}
	return HV_EINVAL;
}
