/*
 * printf-style formatting into a buffer, for a freestanding build.
 *
 * Supports the C99 conversions d i u x X o c s p %, the flags - + space # 0,
 * field width and precision (both also as *), and the length modifiers
 * hh h l ll z t j. No floating point. Output is always NUL-terminated when
 * size > 0; the return value is the length the full output would have had,
 * as in C99, so truncation is detectable.
 */
#ifndef HV_FMT_H
#define HV_FMT_H

#include <stdarg.h>

#include <hv/types.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/*
 * A byte count for people: "512 B", "639 KiB", "254 MiB", or one decimal when
 * the unit does not divide it ("1.5 GiB", rounded down). Returns buf.
 */
const char *fmt_size(char *buf, size_t size, u64 bytes);

#endif /* HV_FMT_H */
