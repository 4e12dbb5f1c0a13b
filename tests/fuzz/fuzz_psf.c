/*
 * libFuzzer target for lib/psf.c: psf_parse() on arbitrary font files.
 * Input: 1 byte err_len, then the font, copied to an exactly-sized heap
 * buffer so ASan flags any read past it. Beyond "no crash", each run checks
 * psf.h's contract: on success the glyphs lie inside the file, the sizes
 * are within Keel's limits, and every byte maps to a glyph there is (so
 * psf_glyph never points outside the file); on failure the error is one
 * line starting "psf: ".
 */
#include "tests/fuzz/fuzz_check.h"

#include "lib/psf.h"

static struct psf_font font;

static void check_ok(const struct psf_font *f, const u8 *file, size_t size)
{
	FUZZ_CHECK(f->width >= 1 && f->width <= PSF_MAX_WIDTH);
	FUZZ_CHECK(f->height >= 1 && f->height <= PSF_MAX_HEIGHT);
	FUZZ_CHECK(f->row_bytes == (f->width + 7) / 8);
	FUZZ_CHECK(f->glyph_bytes >= f->row_bytes * f->height);
	FUZZ_CHECK(f->glyph_count >= 1 && f->glyph_count <= PSF_MAX_GLYPHS);
	FUZZ_CHECK(fuzz_inside(f->glyphs, (size_t)f->glyph_count * f->glyph_bytes, file, size));
	for (unsigned b = 0; b < 256; b++) {
		FUZZ_CHECK(f->glyph_for[b] < f->glyph_count);
		FUZZ_CHECK(fuzz_inside(psf_glyph(f, (u8)b), f->glyph_bytes, file, size));
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	size_t err_len = (size_t)fuzz_take(&data, &size, 1);
	u8 *file = malloc(size ? size : 1);
	char *err = malloc(err_len ? err_len : 1);
	int r;

	memcpy(file, data, size);
	r = psf_parse(file, size, &font, err, err_len);
	FUZZ_CHECK(r == 0 || r == -1);
	fuzz_check_err(err, err_len, r != 0);
	if (r == 0)
		check_ok(&font, file, size);
	else if (err_len > 5)
		FUZZ_CHECK(!strncmp(err, "psf: ", 5));
	FUZZ_CHECK(!memcmp(file, data, size)); /* the parser never writes the file */
	free(err);
	free(file);
	return 0;
}
