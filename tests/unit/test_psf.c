/*
 * Host tests for lib/psf.c: PSF1 and PSF2 fonts built in memory (with and
 * without Unicode tables, with sequences and malformed UTF-8), every
 * refusal with its one line, and Keel's own font when the build fetched it
 * (build/font/console.psf). Every parse runs on an exactly-sized heap copy,
 * so ASan catches a read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/psf_build.h"

static struct psf_font font;
static char err[160];

static int parse(const struct psf_file *f)
{
	return psf_parse(f->bytes, f->len, &font, err, sizeof(err));
}

static void expect_error(struct psf_file f, const char *needle)
{
	assert_int_equal(parse(&f), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
	assert_int_equal(strncmp(err, "psf: ", 5), 0);
	assert_null(strchr(err, '\n'));
	free(f.bytes);
}

static void test_psf1_plain(void **state)
{
	struct psf_file f = psf1_build(256, 16, 0, NULL, 0);

	assert_int_equal(parse(&f), 0);
	assert_int_equal(font.width, 8);
	assert_int_equal(font.height, 16);
	assert_int_equal(font.row_bytes, 1);
	assert_int_equal(font.glyph_count, 256);
	for (unsigned b = 0; b < 256; b++)
		assert_int_equal(font.glyph_for[b], b);
	assert_ptr_equal(psf_glyph(&font, 'A'), f.bytes + 4 + 'A' * 16);
	assert_int_equal(psf_glyph(&font, 'A')[3], 'A' ^ 3);
	free(f.bytes);
}

static void test_psf1_table(void **state)
{
	/* glyph 0: U+0041; glyph 1: U+00E9 then a sequence holding U+0042;
	 * glyph 2: U+003F ('?') and U+0041 again (the first glyph wins); the
	 * table ends before the other glyphs' entries and on an odd byte */
	static const u8 t[] = {0x41, 0,	   0xFF, 0xFF, 0xE9, 0, 0xFE, 0xFF, 0x42, 0,
			       0xFF, 0xFF, 0x3F, 0,    0x41, 0, 0xFF, 0xFF, 0x43};
	struct psf_file f = psf1_build(512, 8, PSF1_MODEHASTAB, t, sizeof(t));

	assert_int_equal(parse(&f), 0);
	assert_int_equal(font.glyph_count, 512);
	assert_int_equal(font.glyph_for['A'], 0);
	assert_int_equal(font.glyph_for[0xE9], 1);
	assert_int_equal(font.glyph_for['?'], 2);
	assert_int_equal(font.glyph_for['B'], 2); /* only in a sequence: the '?' glyph */
	assert_int_equal(font.glyph_for['C'], 2); /* the half entry at the end is ignored */
	assert_int_equal(font.glyph_for[0], 2);
	free(f.bytes);
}

static void test_psf2_table(void **state)
{
	/* glyph 0: 'a', U+00E9 as UTF-8, a 3-byte code point, a stray
	 * continuation byte, a truncated lead; glyph 1: U+0100 (past a byte)
	 * and 'b'; glyph 2: a sequence only; glyph 3: a 4-byte code point */
	static const u8 t[] = {'a',  0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0x80, 0xC3, 'x',
			       0xFF, 0xC4, 0x80, 'b',  0xFF, 0xFE, 'c',	 0xFF, 0xF0,
			       0x9F, 0x98, 0x80, 0xFF, 0xF8, 'd',  0xFF};
	struct psf_file f = psf2_build(6, 12, 24, 8, true, t, sizeof(t));

	assert_int_equal(parse(&f), 0);
	assert_int_equal(font.width, 12);
	assert_int_equal(font.height, 24);
	assert_int_equal(font.row_bytes, 2);
	assert_int_equal(font.glyph_bytes, 48);
	assert_ptr_equal(font.glyphs, f.bytes + 40);
	assert_int_equal(font.glyph_for['a'], 0);
	assert_int_equal(font.glyph_for[0xE9], 0);
	assert_int_equal(font.glyph_for['x'], 0); /* after the truncated lead byte */
	assert_int_equal(font.glyph_for['b'], 1);
	assert_int_equal(font.glyph_for['c'], 0); /* a sequence: no '?' glyph, so glyph 0 */
	assert_int_equal(font.glyph_for['d'], 4); /* after an invalid 0xF8 */
	assert_int_equal(psf_glyph(&font, 'b')[47], 1 ^ 23);
	free(f.bytes);
}

static void test_psf2_plain_small(void **state)
{
	struct psf_file f = psf2_build(100, 8, 8, 0, false, NULL, 0);

	assert_int_equal(parse(&f), 0);
	assert_int_equal(font.glyph_for[99], 99);
	assert_int_equal(font.glyph_for[100], '?'); /* past the glyphs: the '?' glyph */
	assert_int_equal(font.glyph_for[255], '?');
	free(f.bytes);
	f = psf2_build(32, 8, 8, 0, false, NULL, 0); /* no '?' glyph at all */
	assert_int_equal(parse(&f), 0);
	assert_int_equal(font.glyph_for[200], 0);
	free(f.bytes);
}

static void test_errors(void **state)
{
	struct psf_file f = psf1_build(256, 16, 0, NULL, 0);

	f.len = 3;
	expect_error(f, "3 bytes, too short for a font header");
	f = psf1_build(256, 16, 0, NULL, 0);
	f.bytes[0] = 0x37;
	expect_error(f, "magic 37 04 00 10 is neither PSF1 nor PSF2");
	f = psf1_build(256, 16, 0, NULL, 0);
	f.bytes[3] = 0;
	expect_error(f, "PSF1 charsize 0 is not 1 to 64");
	f = psf1_build(256, 16, 0, NULL, 0);
	f.len--;
	expect_error(f, "256 glyphs of 16 bytes at offset 4 do not fit the 4099-byte file");
	f = psf1_build(256, 16, 0, NULL, 0);
	f.bytes[2] = PSF1_MODE512;
	expect_error(f, "512 glyphs of 16 bytes");

	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	f.len = 31;
	expect_error(f, "31 bytes, less than the 32-byte PSF2 header");
	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 28, 0);
	expect_error(f, "PSF2 glyphs of 0x8, not within 1-32 x 1-64");
	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 28, 33);
	expect_error(f, "glyphs of 33x8");
	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 24, 65);
	expect_error(f, "glyphs of 8x65");
	f = psf2_build(4, 16, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 20, 15);
	expect_error(f, "PSF2 charsize 15 is less than 8 rows of 2 bytes");
	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 16, 0);
	expect_error(f, "PSF2 has 0 glyphs, not 1 to 65536");
	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 8, 31);
	expect_error(f, "PSF2 headersize 31 is less than 32");
	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 8, 0xFFFFFFF0u);
	expect_error(f, "4 glyphs of 8 bytes at offset 4294967280 do not fit");
	f = psf2_build(4, 8, 8, 0, false, NULL, 0);
	psf_put32(f.bytes + 20, 0x80000000u);
	expect_error(f, "4 glyphs of 2147483648 bytes");
}

static void test_error_buffer(void **state)
{
	u8 bad[4] = {1, 2, 3, 4};
	char small[8];

	assert_int_equal(psf_parse(bad, sizeof(bad), &font, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(psf_parse(bad, sizeof(bad), &font, NULL, 0), -1);
	assert_int_equal(psf_parse(NULL, 100, &font, err, sizeof(err)), -1);
}

/* Keel's own font, as the build fetched it (skipped if the build has not). */
static void test_keel_font(void **state)
{
	FILE *fp = fopen("build/font/console.psf", "rb");
	static u8 buf[65536];
	size_t n;

	if (!fp) {
		skip();
		return;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(psf_parse(buf, n, &font, err, sizeof(err)), 0);
	assert_int_equal(font.width, 8);
	assert_int_equal(font.height, 16);
	for (unsigned b = 0x20; b < 0x7F; b++) {
		const u8 *g = psf_glyph(&font, (u8)b);
		unsigned lit = 0;

		for (unsigned y = 0; y < font.height; y++)
			lit += g[y] != 0;
		if (b == ' ')
			assert_int_equal(lit, 0);
		else if (!lit)
			fail_msg("printable byte 0x%x has a blank glyph", b);
		for (unsigned c = 0x20; c < b; c++) /* each printable byte its own glyph */
			assert_true(memcmp(g, psf_glyph(&font, (u8)c), font.glyph_bytes) != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_psf1_plain), cmocka_unit_test(test_psf1_table),
	    cmocka_unit_test(test_psf2_table), cmocka_unit_test(test_psf2_plain_small),
	    cmocka_unit_test(test_errors),     cmocka_unit_test(test_error_buffer),
	    cmocka_unit_test(test_keel_font),
	};

	return cmocka_run_group_tests_name("psf", tests, NULL, NULL);
}
