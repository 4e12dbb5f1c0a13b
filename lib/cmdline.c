/*
 * Command-line tokenizer and number parsing (see cmdline.h for the grammar).
 */
#include "lib/cmdline.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void cmdline_iter_init(struct cmdline_iter *it, const char *s, size_t len)
{
	size_t n = 0;

	while (s && n < len && s[n])
		n++;
	it->pos = s ? s : "";
	it->end = it->pos + n;
}

bool cmdline_next(struct cmdline_iter *it, struct cmdline_token *tok)
{
	const char *start, *eq = NULL;

	while (it->pos < it->end && is_blank(*it->pos))
		it->pos++;
	if (it->pos == it->end)
		return false;
	start = it->pos;
	while (it->pos < it->end && !is_blank(*it->pos)) {
		if (*it->pos == '=' && !eq)
			eq = it->pos;
		it->pos++;
	}
	if (it->pos - start == 2 && start[0] == '-' && start[1] == '-') {
		it->pos = start; /* stay on "--" so cmdline_rest finds it */
		return false;
	}
	tok->key = start;
	tok->key_len = (size_t)((eq ? eq : it->pos) - start);
	tok->value = eq ? eq + 1 : NULL;
	tok->value_len = eq ? (size_t)(it->pos - eq - 1) : 0;
	return true;
}

const char *cmdline_rest(const struct cmdline_iter *it, size_t *len)
{
	const char *p = it->pos;

	if (it->end - p < 2 || p[0] != '-' || p[1] != '-' || (it->end - p > 2 && !is_blank(p[2]))) {
		*len = 0;
		return NULL;
	}
	p += 2;
	while (p < it->end && is_blank(*p))
		p++;
	*len = (size_t)(it->end - p);
	return p;
}

static bool slice_is(const char *s, size_t len, const char *want)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (want[i] != s[i])
			return false;
	return want[i] == '\0';
}

bool cmdline_key_is(const struct cmdline_token *tok, const char *key)
{
	return slice_is(tok->key, tok->key_len, key);
}

bool cmdline_value_is(const struct cmdline_token *tok, const char *value)
{
	return tok->value && slice_is(tok->value, tok->value_len, value);
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

bool cmdline_parse_u64(const char *s, size_t len, u64 *out)
{
	unsigned base = 10;
	u64 v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = digit_value(s[i]);

		if (d >= (int)base || v > (UINT64_MAX - (u64)d) / base)
			return false;
		v = v * base + (u64)d;
	}
	*out = v;
	return true;
}

bool cmdline_parse_size(const char *s, size_t len, u64 *out)
{
	unsigned shift = 0;
	u64 v;

	if (len > 1) {
		switch (s[len - 1]) {
		case 'K':
		case 'k':
			shift = 10;
			break;
		case 'M':
		case 'm':
			shift = 20;
			break;
		case 'G':
		case 'g':
			shift = 30;
			break;
		case 'T':
		case 't':
			shift = 40;
			break;
		default:
			break;
		}
	}
	if (shift && !(len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		len--;
	else
		shift = 0;
	if (!cmdline_parse_u64(s, len, &v))
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}
