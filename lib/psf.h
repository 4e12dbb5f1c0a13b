/*
 * PC Screen Font (PSF) bitmap fonts, version 1 and 2, as the Linux console
 * and Debian's console-setup ship them (the formats as the kbd project's
 * font-formats documentation, "The PSF font file format", describes them):
 *
 *   PSF1: 0x36 0x04, mode, charsize          4-byte header; glyphs are 8
 *         pixels wide, charsize rows of 1 byte; 256 glyphs (512 with mode
 *         bit 0); with mode bit 1 or 2 a Unicode table follows the glyphs:
 *         per glyph, u16 code points (LE), 0xFFFE starts sequences, 0xFFFF
 *         ends the glyph's entry
 *   PSF2: 0x72 0xB5 0x4A 0x86, version, headersize, flags, length,
 *         charsize, height, width (u32 LE each); glyphs at headersize,
 *         `length` of `charsize` bytes, each row (width + 7) / 8 bytes; with
 *         flags bit 0 a Unicode table follows: per glyph, UTF-8 code
 *         points, 0xFE starts sequences, 0xFF ends the glyph's entry
 *
 * psf_parse() is pure: it reads only the bytes it is given and writes
 * only *out and err, so it is host-tested and fuzzed (tests/fuzz/fuzz_psf.c).
 * A glyph row's most significant bit is its leftmost pixel.
 */
#ifndef KEEL_LIB_PSF_H
#define KEEL_LIB_PSF_H

#include "lib/types.h"

#define PSF1_MAGIC0	 0x36
#define PSF1_MAGIC1	 0x04
#define PSF1_MODE512	 BIT(0)
#define PSF1_MODEHASTAB	 BIT(1)
#define PSF1_MODESEQ	 BIT(2)
#define PSF1_HEADER_SIZE 4
#define PSF1_SEPARATOR	 0xFFFF
#define PSF1_STARTSEQ	 0xFFFE
#define PSF2_MAGIC	 0x864AB572u /* bytes 72 b5 4a 86, little-endian */
#define PSF2_HAS_UNICODE BIT(0)
#define PSF2_HEADER_SIZE 32
#define PSF2_SEPARATOR	 0xFF
#define PSF2_STARTSEQ	 0xFE

/* What Keel draws: glyphs up to this size (a 4K screen's fonts are 16x32). */
#define PSF_MAX_WIDTH  32
#define PSF_MAX_HEIGHT 64
/* Glyph counts past this are not a console font. */
#define PSF_MAX_GLYPHS 65536

struct psf_font {
	const u8 *glyphs; /* glyph_count glyphs of glyph_bytes, inside the parsed bytes */
	u32 glyph_count;
	u32 glyph_bytes; /* height * row_bytes (PSF2 may pad: charsize >= that) */
	u32 width, height;
	u32 row_bytes;	    /* (width + 7) / 8 */
	u32 glyph_for[256]; /* byte b (Latin-1 code point U+00bb) -> glyph index */
};

/*
 * Parses len bytes of a PSF1 or PSF2 font. Returns 0 and fills *out (which
 * points into data afterwards), or -1 with one line starting "psf: " in err
 * (NUL-terminated when err_len > 0). With a Unicode table each byte maps to
 * the first glyph listing its code point alone; without one, byte b to glyph
 * b. A byte no glyph lists maps to the glyph of '?', else glyph 0.
 */
int psf_parse(const void *data, size_t len, struct psf_font *out, char *err, size_t err_len);

/* The glyph_bytes of the glyph for byte ch. */
static inline const u8 *psf_glyph(const struct psf_font *f, u8 ch)
{
	return f->glyphs + (size_t)f->glyph_for[ch] * f->glyph_bytes;
}

#endif
