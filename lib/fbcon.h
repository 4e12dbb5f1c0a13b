/*
 * A text console drawn on a linear framebuffer with a PSF font (lib/psf.h):
 * a grid of cells, cols = width / glyph width and rows = height / glyph
 * height from the framebuffer's top-left pixel, written as VGA text is
 * (lib/console.c's sinks): LF starts the next row, CR goes to column 0, BS
 * one column left (never past 0), every other byte is drawn with its glyph
 * and the column moves on; after the last column the next row starts. Past
 * the last row the grid scrolls up one row.
 *
 * The console keeps the byte of every cell (struct fbcon's cells, at most
 * FBCON_MAX_COLS x FBCON_MAX_ROWS; a larger screen uses its top-left part),
 * so a scroll redraws only the cells whose byte changes and never reads the
 * framebuffer (which is uncached or write-combining: slow to read).
 *
 * Pure: fbcon_init and fbcon_write touch only the struct and the pixels
 * they are given, so the host tests draw into memory.
 *
 *   pixels + y * pitch + x * (bpp / 8): pixel (x, y), little-endian, the
 *   colour's channels at the positions and sizes struct fb_mode gives
 */
#ifndef KEEL_LIB_FBCON_H
#define KEEL_LIB_FBCON_H

#include "lib/psf.h"
#include "lib/types.h"

#define FBCON_MAX_COLS 256
#define FBCON_MAX_ROWS 128

/* A linear RGB framebuffer as the boot loader describes it (Multiboot2 3.6.12). */
struct fb_mode {
	u64 addr;  /* physical */
	u32 pitch; /* bytes from one pixel row to the next */
	u32 width, height;
	u8 bpp; /* 16, 24 or 32 */
	u8 red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct fbcon {
	u8 *pixels;
	u32 pitch, bytes_pp;
	const struct psf_font *font;
	u32 cols, rows;
	u32 col, row; /* where the next byte goes */
	u32 fg, bg;   /* pixel values */
	u8 cells[FBCON_MAX_ROWS][FBCON_MAX_COLS];
};

/*
 * Sets c up on pixels (the framebuffer mode m describes, bpp 16, 24 or 32,
 * at least one glyph wide and high: boot/mb2.c's mb2_fb_check) and clears
 * the screen to the background colour.
 */
void fbcon_init(struct fbcon *c, void *pixels, const struct fb_mode *m, const struct psf_font *f);
void fbcon_write(struct fbcon *c, const char *s, size_t n);

#endif
