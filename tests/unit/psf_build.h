/*
 * Builds PSF1 and PSF2 fonts in memory for the host tests of lib/psf.c and
 * lib/fbcon.c (formats in lib/psf.h). Glyph g's row y is the byte g ^ y
 * (each of its row_bytes), so every glyph differs from every other.
 */
#ifndef KEEL_TESTS_UNIT_PSF_BUILD_H
#define KEEL_TESTS_UNIT_PSF_BUILD_H

#include <stdlib.h>
#include <string.h>

#include "lib/psf.h"

struct psf_file {
	u8 *bytes;
	size_t len;
};

static inline void psf_put32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

/* A PSF1 of count (256 or 512) glyphs of 8xheight, then table[table_len]. */
static inline struct psf_file psf1_build(u32 count, u8 height, u8 mode, const u8 *table,
					 size_t table_len)
{
	struct psf_file f;
	size_t glyphs = (size_t)count * height;

	f.len = PSF1_HEADER_SIZE + glyphs + table_len;
	f.bytes = malloc(f.len);
	f.bytes[0] = PSF1_MAGIC0;
	f.bytes[1] = PSF1_MAGIC1;
	f.bytes[2] = mode | (count == 512 ? PSF1_MODE512 : 0);
	f.bytes[3] = height;
	for (u32 g = 0; g < count; g++)
		for (u32 y = 0; y < height; y++)
			f.bytes[PSF1_HEADER_SIZE + g * height + y] = (u8)(g ^ y);
	if (table_len)
		memcpy(f.bytes + PSF1_HEADER_SIZE + glyphs, table, table_len);
	return f;
}

/* A PSF2 of count glyphs of width x height with `pad` bytes after the header. */
static inline struct psf_file psf2_build(u32 count, u32 width, u32 height, u32 pad, bool unicode,
					 const u8 *table, size_t table_len)
{
	struct psf_file f;
	u32 row_bytes = (width + 7) / 8, charsize = row_bytes * height;
	u32 header = PSF2_HEADER_SIZE + pad;

	f.len = header + (size_t)count * charsize + table_len;
	f.bytes = calloc(1, f.len);
	psf_put32(f.bytes, PSF2_MAGIC);
	psf_put32(f.bytes + 8, header);
	psf_put32(f.bytes + 12, unicode ? PSF2_HAS_UNICODE : 0);
	psf_put32(f.bytes + 16, count);
	psf_put32(f.bytes + 20, charsize);
	psf_put32(f.bytes + 24, height);
	psf_put32(f.bytes + 28, width);
	for (u32 g = 0; g < count; g++)
		for (u32 y = 0; y < height; y++)
			memset(f.bytes + header + g * charsize + y * row_bytes, (u8)(g ^ y),
			       row_bytes);
	if (table_len)
		memcpy(f.bytes + header + (size_t)count * charsize, table, table_len);
	return f;
}

#endif
