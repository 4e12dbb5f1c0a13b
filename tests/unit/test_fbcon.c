/*
 * Host tests for lib/fbcon.c: the framebuffer console drawing into memory
 * with a font built by tests/unit/psf_build.h (8x4 glyphs, glyph g's row y
 * is the byte g ^ y). Each test reads the pixels back: glyphs in their
 * cells in the foreground and background colours of each pixel format,
 * wrap, CR, BS, scrolling (only changed cells redrawn, the framebuffer
 * never read), the pitch's padding untouched, a grid capped at its limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fbcon.h"
#include "tests/unit/psf_build.h"

#define PAD 0xAB /* bytes past each row's pixels: never written */

static struct fbcon con;
static struct psf_font font;
static struct psf_file file;
static u8 *pixels;
static struct fb_mode mode;

/* A cols x rows grid of 8x4 cells, bpp bits per pixel, 8:8:8 or 5:6:5 at 16. */
static void setup(u32 cols, u32 rows, u8 bpp)
{
	char err[128];

	file = psf1_build(256, 4, 0, NULL, 0);
	assert_int_equal(psf_parse(file.bytes, file.len, &font, err, sizeof(err)), 0);
	mode = (struct fb_mode){0, 0, cols * 8, rows * 4, bpp, 16, 8, 8, 8, 0, 8};
	if (bpp == 16)
		mode = (struct fb_mode){0, 0, cols * 8, rows * 4, 16, 11, 5, 5, 6, 0, 5};
	mode.pitch = mode.width * (bpp / 8) + 12;
	pixels = malloc((size_t)mode.pitch * mode.height);
	memset(pixels, PAD, (size_t)mode.pitch * mode.height);
	fbcon_init(&con, pixels, &mode, &font);
}

static int teardown(void **state)
{
	free(pixels);
	free(file.bytes);
	return 0;
}

static u32 pixel(u32 x, u32 y)
{
	const u8 *p = pixels + (size_t)y * mode.pitch + (size_t)x * (mode.bpp / 8);
	u32 v = 0;

	for (u32 i = 0; i < mode.bpp / 8u; i++)
		v |= (u32)p[i] << (8 * i);
	return v;
}

/* Cell (col, row) shows byte ch's glyph in fg on bg. */
static void expect_cell(u32 col, u32 row, u8 ch, u32 fg, u32 bg)
{
	for (u32 y = 0; y < 4; y++) {
		u8 bits = (u8)(ch ^ y);

		for (u32 x = 0; x < 8; x++) {
			u32 want = bits & (0x80 >> x) ? fg : bg;
			u32 got = pixel(col * 8 + x, row * 4 + y);

			if (got != want)
				fail_msg("cell (%u,%u) '%c' pixel (%u,%u): 0x%x, want 0x%x", col,
					 row, ch, x, y, got, want);
		}
	}
}

static void expect_row(u32 row, const char *text)
{
	for (u32 c = 0; c < con.cols; c++)
		expect_cell(c, row, c < strlen(text) ? (u8)text[c] : ' ', 0xC0C0C0, 0);
}

static void expect_padding(void)
{
	for (u32 y = 0; y < mode.height; y++)
		for (u32 i = mode.width * (mode.bpp / 8); i < mode.pitch; i++)
			assert_int_equal(pixels[(size_t)y * mode.pitch + i], PAD);
}

static void test_init_clears(void **state)
{
	setup(4, 3, 32);
	assert_int_equal(con.cols, 4);
	assert_int_equal(con.rows, 3);
	for (u32 r = 0; r < 3; r++)
		expect_row(r, ""); /* this font's ' ' is not blank: drawn all the same */
	expect_padding();
	teardown(state);
	mode = (struct fb_mode){0, 0, 8 * 2 + 5, 4 + 3, 32, 16, 8, 8, 8, 0, 8};
	mode.pitch = mode.width * 4;
	pixels = malloc((size_t)mode.pitch * mode.height);
	file = psf1_build(256, 4, 0, NULL, 0);
	assert_int_equal(psf_parse(file.bytes, file.len, &font, NULL, 0), 0);
	memset(pixels, PAD, (size_t)mode.pitch * mode.height);
	fbcon_init(&con, pixels, &mode, &font); /* 2x1 cells; the rest is background */
	assert_int_equal(con.cols, 2);
	assert_int_equal(con.rows, 1);
	for (u32 y = 0; y < mode.height; y++)
		for (u32 x = y < 4 ? 16 : 0; x < mode.width; x++)
			assert_int_equal(pixel(x, y), 0);
}

static void test_glyphs_wrap_cr_bs(void **state)
{
	setup(4, 3, 32);
	fbcon_write(&con, "AB\n", 3);
	expect_row(0, "AB");
	fbcon_write(&con, "wxyz!", 5); /* the fifth byte goes on the next row */
	expect_row(1, "wxyz");
	expect_row(2, "!");
	fbcon_write(&con, "\r?\b\b\bQ", 6); /* BS stops at column 0 */
	expect_row(2, "Q");
	fbcon_write(&con, "\x01", 1); /* any other byte is its glyph */
	expect_cell(1, 2, 0x01, 0xC0C0C0, 0);
	expect_padding();
}

static void test_scroll(void **state)
{
	setup(4, 3, 32);
	fbcon_write(&con, "one\ntwo\nsix\n", 12);
	expect_row(0, "two");
	expect_row(1, "six");
	expect_row(2, "");
	/* A scroll draws from the grid, never from the framebuffer: spoil a
	 * pixel of a cell whose byte does not change, and it stays spoilt. */
	pixels[3 * 8 * 4] = 0x66; /* cell (3,0): ' ', and ' ' again after the scroll */
	fbcon_write(&con, "ab\n", 3);
	assert_int_equal(pixels[3 * 8 * 4], 0x66);
	expect_cell(0, 0, 's', 0xC0C0C0, 0);
	expect_row(1, "ab");
	fbcon_write(&con, "abcd\n", 5); /* a full row, then LF: a blank row after it, as VGA */
	expect_row(0, "abcd");
	expect_row(1, "");
	expect_row(2, "");
	for (int i = 0; i < 10; i++)
		fbcon_write(&con, "z\n", 2);
	expect_row(0, "z");
	expect_row(1, "z");
	expect_row(2, "");
	expect_padding();
}

static void test_pixel_formats(void **state)
{
	setup(2, 2, 24);
	fbcon_write(&con, "Hi", 2);
	expect_cell(0, 0, 'H', 0xC0C0C0, 0);
	expect_cell(1, 0, 'i', 0xC0C0C0, 0);
	expect_padding();
	teardown(state);
	setup(2, 2, 16); /* 5:6:5: 3/4 of 31 and 63 */
	fbcon_write(&con, "Hi", 2);
	expect_cell(1, 0, 'i', (23u << 11) | (47u << 5) | 23u, 0);
	expect_padding();
}

static void test_grid_limits(void **state)
{
	char line[FBCON_MAX_COLS + 2];

	setup(FBCON_MAX_COLS + 3, 2, 32); /* wider than the grid: its left part */
	assert_int_equal(con.cols, FBCON_MAX_COLS);
	memset(line, 'x', sizeof(line));
	fbcon_write(&con, line, sizeof(line));
	expect_cell(FBCON_MAX_COLS - 1, 0, 'x', 0xC0C0C0, 0);
	expect_cell(1, 1, 'x', 0xC0C0C0, 0);
	for (u32 x = FBCON_MAX_COLS * 8; x < mode.width; x++) /* past the grid: background */
		assert_int_equal(pixel(x, 0), 0);
	expect_padding();
	teardown(state);
	mode = (struct fb_mode){0};
	setup(2, 1, 32); /* one row: every scroll clears it */
	fbcon_write(&con, "a\nb", 3);
	expect_row(0, "b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_init_clears, teardown),
	    cmocka_unit_test_teardown(test_glyphs_wrap_cr_bs, teardown),
	    cmocka_unit_test_teardown(test_scroll, teardown),
	    cmocka_unit_test_teardown(test_pixel_formats, teardown),
	    cmocka_unit_test_teardown(test_grid_limits, teardown),
	};

	return cmocka_run_group_tests_name("fbcon", tests, NULL, NULL);
}
