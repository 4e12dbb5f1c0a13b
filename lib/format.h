/*
 * printf-style formatting into a caller's buffer. Pure: no I/O, no globals,
 * so it is unit-tested on the host. Supported conversions: %d %i %u %x %X %o
 * %c %s %p %%, length modifiers hh h l ll z, flags '-' '0' '+' ' ', a field
 * width and a precision (each a number or '*').
 */
#ifndef KEEL_LIB_FORMAT_H
#define KEEL_LIB_FORMAT_H

#include "lib/types.h"

/*
 * Formats into buf (capacity size, always NUL-terminated when size > 0).
 * Returns the length the full output would have had, like vsnprintf.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
