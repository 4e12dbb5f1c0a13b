/*
 * VGA text console: writes cells at 0xB8000 (through the direct map), scrolls
 * at the bottom, and moves the hardware cursor through the CRTC ports.
 */
#include "arch/x86/vga.h"
#include "arch/x86/io.h"
#include "lib/string.h"
#include "mm/addr.h"

#define VGA_ATTR   0x07 /* light grey on black */
#define CRTC_INDEX 0x3D4
#define CRTC_DATA  0x3D5

/* Shared, lock console: the VGA cursor (vga_write is called under lib/console.c's lock). */
static unsigned vga_row, vga_col;

static volatile u16 *vga_cells(void)
{
	return (volatile u16 *)hva_ptr(hpa_to_hva(hpa(VGA_TEXT_PHYS)));
}

static void vga_cursor(void)
{
	unsigned pos = vga_row * VGA_COLS + vga_col;

	outb(CRTC_INDEX, 0x0F);
	outb(CRTC_DATA, (u8)pos);
	outb(CRTC_INDEX, 0x0E);
	outb(CRTC_DATA, (u8)(pos >> 8));
}

static void vga_scroll(void)
{
	volatile u16 *c = vga_cells();

	for (unsigned i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
		c[i] = c[i + VGA_COLS];
	for (unsigned i = 0; i < VGA_COLS; i++)
		c[(VGA_ROWS - 1) * VGA_COLS + i] = (VGA_ATTR << 8) | ' ';
	vga_row = VGA_ROWS - 1;
}

void vga_init(void)
{
	volatile u16 *c = vga_cells();

	for (unsigned i = 0; i < VGA_ROWS * VGA_COLS; i++)
		c[i] = (VGA_ATTR << 8) | ' ';
	vga_row = vga_col = 0;
	vga_cursor();
}

static void vga_putc(char ch)
{
	if (ch == '\n') {
		vga_col = 0;
		vga_row++;
	} else if (ch == '\b') {
		if (vga_col) /* a redrawn line (lib/term_line.h) backs up; it never wraps */
			vga_col--;
	} else if (ch != '\r') {
		vga_cells()[vga_row * VGA_COLS + vga_col] = (VGA_ATTR << 8) | (u8)ch;
		if (++vga_col == VGA_COLS) {
			vga_col = 0;
			vga_row++;
		}
	}
	if (vga_row == VGA_ROWS)
		vga_scroll();
}

void vga_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vga_putc(s[i]);
	vga_cursor();
}
