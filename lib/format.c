/*
 * A small vsnprintf. Output goes through struct out, which counts every
 * character and stores only those that fit, so truncation is safe.
 */
#include "lib/format.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

struct spec {
	bool left;
	bool zero;
	bool plus;
	bool space;
	int width;
	int prec; /* -1: none given */
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

/* Emits body (length n) padded to the spec's width; prefix goes before zeros. */
static void out_field(struct out *o, const struct spec *sp, const char *prefix, const char *body,
		      int n)
{
	int plen = 0, pad;

	while (prefix[plen])
		plen++;
	pad = sp->width - n - plen;
	if (!sp->left && !sp->zero)
		out_repeat(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		out_char(o, prefix[i]);
	if (!sp->left && sp->zero)
		out_repeat(o, '0', pad);
	for (int i = 0; i < n; i++)
		out_char(o, body[i]);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

static void out_number(struct out *o, struct spec *sp, u64 v, bool neg, unsigned base, bool upper,
		       const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[64];
	int n = 0, zeros;
	char body[96];
	int blen = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (sp->prec == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	if (sp->prec >= 0)
		sp->zero = false;
	zeros = sp->prec > n ? sp->prec - n : 0;
	if (zeros > 32)
		zeros = 32;
	while (zeros--)
		body[blen++] = '0';
	while (n)
		body[blen++] = tmp[--n];
	if (neg)
		prefix = "-";
	else if (sp->plus && base == 10 && !*prefix)
		prefix = "+";
	else if (sp->space && base == 10 && !*prefix)
		prefix = " ";
	out_field(o, sp, prefix, body, blen);
}

static const char *parse_int(const char *f, int *v, va_list *ap)
{
	if (*f == '*') {
		*v = va_arg(*ap, int);
		return f + 1;
	}
	*v = 0;
	while (*f >= '0' && *f <= '9') {
		if (*v < 100000)
			*v = *v * 10 + (*f - '0');
		f++;
	}
	return f;
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){.prec = -1};
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else
			break;
	}
	f = parse_int(f, &sp->width, ap);
	if (sp->width < 0) {
		sp->left = true;
		sp->width = -sp->width;
	}
	if (*f == '.')
		f = parse_int(f + 1, &sp->prec, ap);
	if (sp->left)
		sp->zero = false;
	return f;
}

/* Length modifier: returns the argument size in bytes (4 or 8) or 1/2. */
static const char *parse_length(const char *f, int *size)
{
	*size = 4;
	if (f[0] == 'h' && f[1] == 'h')
		return *size = 1, f + 2;
	if (f[0] == 'h')
		return *size = 2, f + 1;
	if (f[0] == 'l' && f[1] == 'l')
		return *size = 8, f + 2;
	if (f[0] == 'l' || f[0] == 'z')
		return *size = 8, f + 1;
	return f;
}

static u64 arg_unsigned(va_list *ap, int size)
{
	if (size == 8)
		return va_arg(*ap, u64);
	u32 v = va_arg(*ap, u32);
	return size == 1 ? (u8)v : size == 2 ? (u16)v : v;
}

static s64 arg_signed(va_list *ap, int size)
{
	if (size == 8)
		return va_arg(*ap, s64);
	s32 v = va_arg(*ap, s32);
	return size == 1 ? (s8)v : size == 2 ? (s16)v : v;
}

static void out_string(struct out *o, struct spec *sp, const char *s)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (sp->prec < 0 || n < sp->prec))
		n++;
	sp->zero = false;
	out_field(o, sp, "", s, n);
}

static void out_conversion(struct out *o, struct spec *sp, char c, int size, va_list *ap)
{
	switch (c) {
	case 'd':
	case 'i': {
		s64 v = arg_signed(ap, size);
		out_number(o, sp, v < 0 ? 0 - (u64)v : (u64)v, v < 0, 10, false, "");
		break;
	}
	case 'u':
		out_number(o, sp, arg_unsigned(ap, size), false, 10, false, "");
		break;
	case 'x':
	case 'X':
		out_number(o, sp, arg_unsigned(ap, size), false, 16, c == 'X', "");
		break;
	case 'o':
		out_number(o, sp, arg_unsigned(ap, size), false, 8, false, "");
		break;
	case 'p':
		out_number(o, sp, (u64)(uintptr_t)va_arg(*ap, void *), false, 16, false, "0x");
		break;
	case 'c': {
		char ch = (char)va_arg(*ap, int);
		sp->zero = false;
		out_field(o, sp, "", &ch, 1);
		break;
	}
	case 's':
		out_string(o, sp, va_arg(*ap, const char *));
		break;
	case '%':
		out_char(o, '%');
		break;
	default: /* unknown conversion: print it verbatim */
		out_char(o, '%');
		out_char(o, c);
		break;
	}
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = {.buf = buf, .size = size, .len = 0};
	struct spec sp;
	va_list ap;
	int lsize;

	va_copy(ap, ap_in);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &ap);
		fmt = parse_length(fmt, &lsize);
		if (!*fmt)
			break;
		out_conversion(&o, &sp, *fmt++, lsize, &ap);
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
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
