/*
 * printf-style formatting for the freestanding build (contract in hv/fmt.h).
 *
 * One pass over the format; each conversion is turned into up to three pieces
 * (sign/prefix, zero padding, digits or string) and emitted with the field's
 * space padding on the left or right. Output past the buffer is counted but
 * not stored, so the return value is the untruncated length as in C99.
 */
#include <hv/fmt.h>
#include <hv/string.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* bytes the full output needs so far */
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_str(struct out *o, const char *s, size_t n)
{
	while (n--)
		out_char(o, *s++);
}

enum {
	F_LEFT = 1 << 0,  /* '-' */
	F_PLUS = 1 << 1,  /* '+' */
	F_SPACE = 1 << 2, /* ' ' */
	F_ALT = 1 << 3,   /* '#' */
	F_ZERO = 1 << 4,  /* '0' */
	F_UPPER = 1 << 5, /* 'X' */
	F_PTR = 1 << 6,   /* %p: always "0x", even for NULL */
};

struct spec {
	unsigned flags;
	int width;     /* -1: none */
	int precision; /* -1: none */
};

/* Emit prefix + zeros + body inside the field width. */
static void out_field(struct out *o, const struct spec *sp, const char *prefix, int zeros,
		      const char *body, size_t body_len)
{
	size_t prefix_len = strlen(prefix);
	int total = (int)(prefix_len + body_len) + zeros;
	int pad = sp->width > total ? sp->width - total : 0;

	/* '0' pads between prefix and digits unless '-' or a precision is given. */
	if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->precision < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & F_LEFT))
		out_repeat(o, ' ', pad);
	out_str(o, prefix, prefix_len);
	out_repeat(o, '0', zeros);
	out_str(o, body, body_len);
	if (sp->flags & F_LEFT)
		out_repeat(o, ' ', pad);
}

static void out_number(struct out *o, const struct spec *sp, u64 value, bool negative,
		       unsigned base, bool is_signed)
{
	const char *digits = (sp->flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	char prefix[3] = "";
	size_t n = 0;
	int zeros = 0;

	/* C99: precision 0 with value 0 prints no digits. */
	if (!(value == 0 && sp->precision == 0)) {
		do {
			tmp[sizeof(tmp) - 1 - n++] = digits[value % base];
			value /= base;
		} while (value);
	}
	if (sp->precision > (int)n)
		zeros = sp->precision - (int)n;

	if (is_signed) {
		if (negative)
			prefix[0] = '-';
		else if (sp->flags & F_PLUS)
			prefix[0] = '+';
		else if (sp->flags & F_SPACE)
			prefix[0] = ' ';
	} else if (sp->flags & (F_ALT | F_PTR)) {
		bool nonzero = n > 0 && !(n == 1 && tmp[sizeof(tmp) - 1] == '0');

		if (base == 16 && (nonzero || (sp->flags & F_PTR))) {
			prefix[0] = '0';
			prefix[1] = (sp->flags & F_UPPER) ? 'X' : 'x';
		} else if (base == 8 && zeros == 0 && (n == 0 || tmp[sizeof(tmp) - n] != '0')) {
			zeros = 1;
		}
	}
	out_field(o, sp, prefix, zeros, tmp + sizeof(tmp) - n, n);
}

enum length { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_PTRDIFF, L_INTMAX };

static u64 arg_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case L_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case L_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case L_LONG:
		return va_arg(*ap, unsigned long);
	case L_LLONG:
		return va_arg(*ap, unsigned long long);
	case L_SIZE:
		return va_arg(*ap, size_t);
	case L_PTRDIFF:
		return (u64)va_arg(*ap, ptrdiff_t);
	case L_INTMAX:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static s64 arg_signed(va_list *ap, enum length len)
{
	switch (len) {
	case L_CHAR:
		return (signed char)va_arg(*ap, int);
	case L_SHORT:
		return (short)va_arg(*ap, int);
	case L_LONG:
		return va_arg(*ap, long);
	case L_LLONG:
		return va_arg(*ap, long long);
	case L_SIZE:
		return (s64)va_arg(*ap, size_t);
	case L_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case L_INTMAX:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static const char *parse_spec(const char *f, struct spec *sp, enum length *len, va_list *ap)
{
	sp->flags = 0;
	sp->width = -1;
	sp->precision = -1;
	for (;; f++) {
		if (*f == '-')
			sp->flags |= F_LEFT;
		else if (*f == '+')
			sp->flags |= F_PLUS;
		else if (*f == ' ')
			sp->flags |= F_SPACE;
		else if (*f == '#')
			sp->flags |= F_ALT;
		else if (*f == '0')
			sp->flags |= F_ZERO;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->flags |= F_LEFT;
			sp->width = -sp->width;
		}
		f++;
	} else {
		for (; *f >= '0' && *f <= '9'; f++)
			sp->width = (sp->width < 0 ? 0 : sp->width * 10) + (*f - '0');
	}
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0)
				sp->precision = -1; /* C99: a negative precision is "none" */
			f++;
		} else {
			for (; *f >= '0' && *f <= '9'; f++)
				sp->precision = sp->precision * 10 + (*f - '0');
		}
	}
	*len = L_INT;
	switch (*f) {
	case 'h':
		*len = L_SHORT;
		if (*++f == 'h') {
			*len = L_CHAR;
			f++;
		}
		break;
	case 'l':
		*len = L_LONG;
		if (*++f == 'l') {
			*len = L_LLONG;
			f++;
		}
		break;
	case 'z':
		*len = L_SIZE;
		f++;
		break;
	case 't':
		*len = L_PTRDIFF;
		f++;
		break;
	case 'j':
		*len = L_INTMAX;
		f++;
		break;
	default:
		break;
	}
	return f;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { buf, size, 0 };
	va_list ap;

	va_copy(ap, ap_in);
	while (*fmt) {
		struct spec sp;
		enum length len;

		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &len, &ap);
		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 v = arg_signed(&ap, len);
			u64 mag = v < 0 ? (u64)0 - (u64)v : (u64)v;

			out_number(&o, &sp, mag, v < 0, 10, true);
			break;
		}
		case 'u':
			out_number(&o, &sp, arg_unsigned(&ap, len), false, 10, false);
			break;
		case 'X':
			sp.flags |= F_UPPER;
			/* fall through */
		case 'x':
			out_number(&o, &sp, arg_unsigned(&ap, len), false, 16, false);
			break;
		case 'o':
			out_number(&o, &sp, arg_unsigned(&ap, len), false, 8, false);
			break;
		case 'p': {
			uptr p = (uptr)va_arg(ap, void *);

			sp.flags |= F_PTR;
			out_number(&o, &sp, p, false, 16, false);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);

			sp.precision = -1;
			sp.flags &= ~F_ZERO;
			out_field(&o, &sp, "", 0, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			sp.flags &= ~F_ZERO;
			out_field(&o, &sp, "", 0, s,
				  sp.precision >= 0 ? strnlen(s, (size_t)sp.precision) : strlen(s));
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it rather than read past the string. */
			out_char(&o, '%');
			continue;
		default:
			/* Unknown conversion: show it literally so the mistake is visible. */
			out_char(&o, '%');
			out_char(&o, *fmt);
			break;
		}
		fmt++;
	}
	va_end(ap);
	if (o.size > 0)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

const char *fmt_size(char *buf, size_t size, u64 bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (u + 1 < ARRAY_SIZE(units) && bytes >= (1ull << (10 * (u + 1))))
		u++;
	if (u == 0 || (bytes & ((1ull << (10 * u)) - 1)) == 0) {
		fmt_snprintf(buf, size, "%llu %s", (unsigned long long)(bytes >> (10 * u)),
			     units[u]);
	} else {
		u64 whole = bytes >> (10 * u);
		u64 tenths = ((bytes & ((1ull << (10 * u)) - 1)) * 10) >> (10 * u);

		fmt_snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
			     (unsigned long long)tenths, units[u]);
	}
	return buf;
}
