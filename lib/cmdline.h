/*
 * Command-line tokenizing and value parsing, shared by Keel's own options
 * and guests' module strings. Pure functions (host-tested): they read the
 * string in place and never write to it.
 *
 * Grammar: tokens separated by spaces or tabs; a token is KEY or KEY=VALUE;
 * the token "--" ends the options (what follows is passed on verbatim).
 */
#ifndef KEEL_LIB_CMDLINE_H
#define KEEL_LIB_CMDLINE_H

#include "lib/types.h"

struct cmdline_token {
	const char *key;
	size_t key_len;
	const char *value; /* NULL when the token has no '=' */
	size_t value_len;
};

struct cmdline_iter {
	const char *pos;
	const char *end;
};

void cmdline_iter_init(struct cmdline_iter *it, const char *s, size_t len);
/*
 * Returns the next token, or false at the end of the string or at "--".
 * After "--", cmdline_rest() gives what follows it.
 */
bool cmdline_next(struct cmdline_iter *it, struct cmdline_token *tok);
/* The text after a "--" token (leading blanks skipped), or NULL if none. */
const char *cmdline_rest(const struct cmdline_iter *it, size_t *len);

bool cmdline_key_is(const struct cmdline_token *tok, const char *key);
bool cmdline_value_is(const struct cmdline_token *tok, const char *value);

/* Parses a decimal or 0x-prefixed u64 that fills the whole slice; no overflow. */
bool cmdline_parse_u64(const char *s, size_t len, u64 *out);
/* Like cmdline_parse_u64 with an optional K/M/G/T suffix (binary units). */
bool cmdline_parse_size(const char *s, size_t len, u64 *out);

#endif
