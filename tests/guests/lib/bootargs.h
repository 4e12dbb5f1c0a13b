/*
 * Reading a guest's own command line: KEY=VALUE tokens separated by blanks
 * (lib/cmdline.h's grammar). Under Keel the line is "NAME ARGS..."; GRUB's
 * multiboot command puts the image path first instead of the name.
 */
#ifndef KEEL_GUESTS_BOOTARGS_H
#define KEEL_GUESTS_BOOTARGS_H

#include "lib/types.h"

/*
 * The command line of an ELF64 guest: keel_boot_info's cmdline when magic is
 * KEEL_BOOT_MAGIC and info holds the boot info magic too, else "".
 */
const char *bootargs_keel(uintptr_t info, uintptr_t magic);

/* Finds the first token KEY=VALUE in s (NUL-terminated, may be NULL):
 * returns true and the value slice. A bare KEY has an empty value. */
bool bootargs_find(const char *s, const char *key, const char **value, size_t *len);
/* True when s has the token KEY=VALUE. */
bool bootargs_has(const char *s, const char *key, const char *value);
/* bootargs_find + cmdline_parse_size (K/M/G suffixes): false when absent or malformed. */
bool bootargs_size(const char *s, const char *key, u64 *out);
/* Copies the index'th blank-separated word of s into buf (NUL-terminated,
 * cut to size - 1); returns false when s has fewer words. */
bool bootargs_word(const char *s, u32 index, char *buf, size_t size);

#endif
