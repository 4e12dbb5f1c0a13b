/*
 * PSF1/PSF2 font parser (formats in lib/psf.h). Every size comes from the
 * file and is checked before the bytes it covers are read; the Unicode
 * table is read only as far as the file goes.
 */
#include "lib/psf.h"
#include "lib/format.h"
#include "lib/string.h"

#define NO_GLYPH 0xFFFFFFFFu

static int fail(char *err, size_t err_len, const char *fmt, ...) __printf(3, 4);

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err_len)
		return -1;
	va_start(ap, fmt);
	fmt_vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* Records glyph g for code point cp if cp is a byte no earlier glyph claimed. */
static void claim(struct psf_font *f, u32 cp, u32 g)
{
	if (cp < ARRAY_SIZE(f->glyph_for) && f->glyph_for[cp] == NO_GLYPH)
		f->glyph_for[cp] = g;
}

/* PSF1 table: u16 code points per glyph; after 0xFFFE, sequences (not single bytes). */
static void psf1_table(struct psf_font *f, const u8 *t, size_t len)
{
	u32 g = 0;
	bool seq = false;

	for (size_t at = 0; at + 2 <= len && g < f->glyph_count; at += 2) {
		u32 v = (u32)t[at] | (u32)t[at + 1] << 8;

		if (v == PSF1_SEPARATOR) {
			g++;
			seq = false;
		} else if (v == PSF1_STARTSEQ) {
			seq = true;
		} else if (!seq) {
			claim(f, v, g);
		}
	}
}

/*
 * One UTF-8 code point at t[*at] (advancing *at past it); a malformed or
 * truncated one advances by one byte and gives NO_GLYPH (matches nothing).
 */
static u32 utf8_next(const u8 *t, size_t len, size_t *at)
{
	u8 b = t[*at];
	unsigned extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
	u32 cp = extra == 3 ? b & 0x07u : extra == 2 ? b & 0x0Fu : b & 0x1Fu;

	if (b < 0x80) {
		(*at)++;
		return b;
	}
	if (b < 0xC0 || b >= 0xF8 || len - *at <= extra) {
		(*at)++;
		return NO_GLYPH;
	}
	for (unsigned i = 1; i <= extra; i++) {
		if ((t[*at + i] & 0xC0) != 0x80) {
			(*at)++;
			return NO_GLYPH;
		}
		cp = cp << 6 | (t[*at + i] & 0x3Fu);
	}
	*at += extra + 1;
	return cp;
}

/* PSF2 table: UTF-8 code points per glyph; 0xFE starts sequences, 0xFF ends the entry. */
static void psf2_table(struct psf_font *f, const u8 *t, size_t len)
{
	u32 g = 0;
	bool seq = false;

	for (size_t at = 0; at < len && g < f->glyph_count;) {
		u32 cp;

		if (t[at] == PSF2_SEPARATOR) {
			g++;
			seq = false;
			at++;
			continue;
		}
		if (t[at] == PSF2_STARTSEQ) {
			seq = true;
			at++;
			continue;
		}
		cp = utf8_next(t, len, &at);
		if (!seq)
			claim(f, cp, g);
	}
}

/* No Unicode table: byte b is glyph b, for the glyphs there are. */
static void identity_table(struct psf_font *f)
{
	for (u32 b = 0; b < ARRAY_SIZE(f->glyph_for) && b < f->glyph_count; b++)
		f->glyph_for[b] = b;
}

/* Bytes no glyph claimed: '?' if a glyph has it, else glyph 0. */
static void fill_unclaimed(struct psf_font *f)
{
	u32 fallback = f->glyph_for['?'] == NO_GLYPH ? 0 : f->glyph_for['?'];

	for (unsigned b = 0; b < ARRAY_SIZE(f->glyph_for); b++) {
		if (f->glyph_for[b] == NO_GLYPH)
			f->glyph_for[b] = fallback;
	}
}

/* Checks the glyph block [start, start + count * charsize) lies in the file. */
static int glyphs_fit(size_t len, u64 start, u64 count, u64 charsize, char *err, size_t err_len)
{
	if (start > len || count * charsize > len - start)
		return fail(
		    err, err_len,
		    "psf: %lu glyphs of %lu bytes at offset %lu do not fit the %zu-byte file",
		    count, charsize, start, len);
	return 0;
}

static int parse_psf1(const u8 *p, size_t len, struct psf_font *f, char *err, size_t err_len)
{
	u8 mode = p[2];
	u32 count = mode & PSF1_MODE512 ? 512 : 256;

	f->width = 8;
	f->height = p[3];
	f->row_bytes = 1;
	f->glyph_bytes = f->height;
	f->glyph_count = count;
	if (f->height == 0 || f->height > PSF_MAX_HEIGHT)
		return fail(err, err_len, "psf: PSF1 charsize %u is not 1 to %u", f->height,
			    PSF_MAX_HEIGHT);
	if (glyphs_fit(len, PSF1_HEADER_SIZE, count, f->glyph_bytes, err, err_len))
		return -1;
	f->glyphs = p + PSF1_HEADER_SIZE;
	if (mode & (PSF1_MODEHASTAB | PSF1_MODESEQ)) {
		size_t at = PSF1_HEADER_SIZE + (size_t)count * f->glyph_bytes;

		psf1_table(f, p + at, len - at);
	} else {
		identity_table(f);
	}
	return 0;
}

static int parse_psf2(const u8 *p, size_t len, struct psf_font *f, char *err, size_t err_len)
{
	u32 header, flags, count, charsize;

	if (len < PSF2_HEADER_SIZE)
		return fail(err, err_len, "psf: %zu bytes, less than the 32-byte PSF2 header", len);
	header = le32(p + 8);
	flags = le32(p + 12);
	count = le32(p + 16);
	charsize = le32(p + 20);
	f->height = le32(p + 24);
	f->width = le32(p + 28);
	if (f->width == 0 || f->width > PSF_MAX_WIDTH || f->height == 0 ||
	    f->height > PSF_MAX_HEIGHT)
		return fail(err, err_len, "psf: PSF2 glyphs of %ux%u, not within 1-%u x 1-%u",
			    f->width, f->height, PSF_MAX_WIDTH, PSF_MAX_HEIGHT);
	f->row_bytes = (f->width + 7) / 8;
	f->glyph_bytes = charsize;
	f->glyph_count = count;
	if (charsize < f->row_bytes * f->height)
		return fail(err, err_len, "psf: PSF2 charsize %u is less than %u rows of %u bytes",
			    charsize, f->height, f->row_bytes);
	if (count == 0 || count > PSF_MAX_GLYPHS)
		return fail(err, err_len, "psf: PSF2 has %u glyphs, not 1 to %u", count,
			    PSF_MAX_GLYPHS);
	if (header < PSF2_HEADER_SIZE)
		return fail(err, err_len, "psf: PSF2 headersize %u is less than %u", header,
			    PSF2_HEADER_SIZE);
	if (glyphs_fit(len, header, count, charsize, err, err_len))
		return -1;
	f->glyphs = p + header;
	if (flags & PSF2_HAS_UNICODE) {
		size_t at = header + (size_t)count * charsize;

		psf2_table(f, p + at, len - at);
	} else {
		identity_table(f);
	}
	return 0;
}

int psf_parse(const void *data, size_t len, struct psf_font *out, char *err, size_t err_len)
{
	const u8 *p = data;
	int r;

	memset(out, 0, sizeof(*out));
	memset(out->glyph_for, 0xFF, sizeof(out->glyph_for)); /* NO_GLYPH */
	if (err_len)
		err[0] = '\0';
	if (!p || len < PSF1_HEADER_SIZE)
		return fail(err, err_len, "psf: %zu bytes, too short for a font header",
			    p ? len : 0);
	if (p[0] == PSF1_MAGIC0 && p[1] == PSF1_MAGIC1)
		r = parse_psf1(p, len, out, err, err_len);
	else if (le32(p) == PSF2_MAGIC)
		r = parse_psf2(p, len, out, err, err_len);
	else
		return fail(err, err_len, "psf: magic %02x %02x %02x %02x is neither PSF1 nor PSF2",
			    p[0], p[1], p[2], p[3]);
	if (r)
		return r;
	fill_unclaimed(out);
	return 0;
}
