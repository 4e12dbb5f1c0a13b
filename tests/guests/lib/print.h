/*
 * Formatted output to the guest's UART, through Keel's lib/format.c.
 *
 * In 32-bit guests only the hh, h and ll length modifiers have their C
 * meaning: lib/format.c reads %l and %z arguments as 64 bits. Print 64-bit
 * values in code shared by both widths as %llx with an unsigned long long
 * cast.
 */
#ifndef KEEL_GUESTS_PRINT_H
#define KEEL_GUESTS_PRINT_H

#include "lib/types.h"

/* Longest line print() emits; longer output is cut at this many bytes. */
#define PRINT_MAX 200

/* Formats and writes to the UART. No newline is added. */
void print(const char *fmt, ...) __printf(1, 2);
void print_v(const char *fmt, va_list ap);

#endif
