/*
 * Command-line lookups for guests, on top of lib/cmdline.c's tokenizer.
 * Pure (host-tested): the string is only read.
 */
#include "tests/guests/lib/bootargs.h"
#include "lib/cmdline.h"
#include "vm/guest_abi.h"

/* Longest command line looked at: a guest's line is short. */
#define BOOTARGS_MAX 4096

const char *bootargs_keel(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;

	if (magic != KEEL_BOOT_MAGIC || !bi || bi->magic != KEEL_BOOT_MAGIC || !bi->cmdline)
		return "";
	return (const char *)(uintptr_t)bi->cmdline;
}

bool bootargs_find(const char *s, const char *key, const char **value, size_t *len)
{
	struct cmdline_iter it;
	struct cmdline_token tok;

	cmdline_iter_init(&it, s, BOOTARGS_MAX);
	while (cmdline_next(&it, &tok)) {
		if (!cmdline_key_is(&tok, key))
			continue;
		*value = tok.value ? tok.value : tok.key + tok.key_len;
		*len = tok.value_len;
		return true;
	}
	return false;
}

bool bootargs_has(const char *s, const char *key, const char *value)
{
	const char *v;
	size_t n, i;

	if (!bootargs_find(s, key, &v, &n))
		return false;
	for (i = 0; i < n; i++)
		if (value[i] != v[i])
			return false;
	return value[i] == '\0';
}

bool bootargs_size(const char *s, const char *key, u64 *out)
{
	const char *v;
	size_t n;

	return bootargs_find(s, key, &v, &n) && cmdline_parse_size(v, n, out);
}

static bool bootargs_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool bootargs_word(const char *s, u32 index, char *buf, size_t size)
{
	size_t i = 0, n = 0;

	if (!s || size == 0)
		return false;
	for (u32 w = 0;; w++) {
		while (i < BOOTARGS_MAX && s[i] && bootargs_blank(s[i]))
			i++;
		if (i >= BOOTARGS_MAX || !s[i])
			return false;
		if (w == index)
			break;
		while (i < BOOTARGS_MAX && s[i] && !bootargs_blank(s[i]))
			i++;
	}
	while (i < BOOTARGS_MAX && s[i] && !bootargs_blank(s[i]) && n + 1 < size)
		buf[n++] = s[i++];
	buf[n] = '\0';
	return true;
}
