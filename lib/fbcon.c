/*
 * Framebuffer text console (lib/fbcon.h): glyphs drawn pixel by pixel,
 * scrolling by redrawing the cells that change.
 */
#include "lib/fbcon.h"
#include "lib/string.h"

/* Light grey on black, as VGA text's attribute 0x07: 3/4 of each channel's range. */
static u32 channel(u8 pos, u8 size, u32 level_of_255)
{
	u32 max = size >= 32 ? 0xFFFFFFFFu : (u32)BIT(size) - 1;

	return (u32)((u64)max * level_of_255 / 255) << pos;
}

static u32 colour(const struct fb_mode *m, u32 level_of_255)
{
	return channel(m->red_pos, m->red_size, level_of_255) |
	       channel(m->green_pos, m->green_size, level_of_255) |
	       channel(m->blue_pos, m->blue_size, level_of_255);
}

static void put_pixel(const struct fbcon *c, u8 *p, u32 v)
{
	switch (c->bytes_pp) {
	case 4:
		*(volatile u32 *)p = v;
		break;
	case 3:
		((volatile u8 *)p)[0] = (u8)v;
		((volatile u8 *)p)[1] = (u8)(v >> 8);
		((volatile u8 *)p)[2] = (u8)(v >> 16);
		break;
	default:
		*(volatile u16 *)p = (u16)v;
		break;
	}
}

/* Draws byte ch's glyph in cell (col, row) and records it. */
static void draw_cell(struct fbcon *c, u32 col, u32 row, u8 ch)
{
	const struct psf_font *f = c->font;
	const u8 *g = psf_glyph(f, ch);
	u8 *line =
	    c->pixels + (size_t)row * f->height * c->pitch + (size_t)col * f->width * c->bytes_pp;

	c->cells[row][col] = ch;
	for (u32 y = 0; y < f->height; y++, line += c->pitch, g += f->row_bytes) {
		u8 *p = line;

		for (u32 x = 0; x < f->width; x++, p += c->bytes_pp)
			put_pixel(c, p, g[x / 8] & (0x80 >> (x % 8)) ? c->fg : c->bg);
	}
}

/* Every row moves up one; a cell is redrawn only where its byte changes. */
static void scroll(struct fbcon *c)
{
	for (u32 r = 0; r < c->rows; r++) {
		for (u32 col = 0; col < c->cols; col++) {
			u8 below = r + 1 < c->rows ? c->cells[r + 1][col] : ' ';

			if (c->cells[r][col] != below)
				draw_cell(c, col, r, below);
		}
	}
	c->row = c->rows - 1;
}

void fbcon_init(struct fbcon *c, void *pixels, const struct fb_mode *m, const struct psf_font *f)
{
	memset(c, 0, sizeof(*c));
	c->pixels = pixels;
	c->pitch = m->pitch;
	c->bytes_pp = m->bpp / 8;
	c->font = f;
	c->cols = MIN(m->width / f->width, FBCON_MAX_COLS);
	c->rows = MIN(m->height / f->height, FBCON_MAX_ROWS);
	c->fg = colour(m, 0xC0);
	c->bg = colour(m, 0);
	for (u32 y = 0; y < m->height; y++) {
		u8 *p = c->pixels + (size_t)y * c->pitch;

		for (u32 x = 0; x < m->width; x++, p += c->bytes_pp)
			put_pixel(c, p, c->bg);
	}
	/* Every cell shows ' ', whatever the font draws for it. */
	for (u32 r = 0; r < c->rows; r++)
		for (u32 col = 0; col < c->cols; col++)
			draw_cell(c, col, r, ' ');
}

static void fbcon_putc(struct fbcon *c, u8 ch)
{
	if (ch == '\n') {
		c->col = 0;
		c->row++;
	} else if (ch == '\r') {
		c->col = 0;
	} else if (ch == '\b') {
		if (c->col) /* a redrawn line (lib/term_line.h) backs up; it never wraps */
			c->col--;
	} else {
		draw_cell(c, c->col, c->row, ch);
		if (++c->col == c->cols) { /* as VGA text: the next byte goes on the next row */
			c->col = 0;
			c->row++;
		}
	}
	if (c->row == c->rows)
		scroll(c);
}

void fbcon_write(struct fbcon *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fbcon_putc(c, (u8)s[i]);
}
