/*
 * The few C string and memory routines Keel needs. The compiler may emit
 * calls to memset/memcpy/memmove/memcmp itself, so these keep their C names.
 */
#ifndef KEEL_LIB_STRING_H
#define KEEL_LIB_STRING_H

#include "lib/types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
