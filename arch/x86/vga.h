/*
 * VGA text-mode console at physical 0xB8000 (80x25, attribute byte per cell).
 */
#ifndef KEEL_ARCH_X86_VGA_H
#define KEEL_ARCH_X86_VGA_H

#include "lib/types.h"

#define VGA_TEXT_PHYS 0xB8000
#define VGA_COLS      80
#define VGA_ROWS      25

void vga_init(void);
void vga_write(const char *s, size_t n);

#endif
