/*
 * libFuzzer target for the command-line code: lib/cmdline.c's tokenizer and
 * number parsers, and vm/guest_cmdline.c's guest_cmdline_parse() and
 * guest_cmdline_for(). Input: 1 byte of parameters (bit 7: give the
 * tokenizer only half the length; bits 1:0 choose max_mem), then the string
 * (it may hold NULs; a NUL is appended). Checks, beyond "no crash": tokens
 * lie inside the string in order, hold no blank, keys no '=', values follow
 * their '='; the rest after "--" ends at the string's end; the number
 * parsers agree with a reference using 128-bit arithmetic; a parsed guest
 * config holds only NUL-terminated, in-range fields, a name of 1-63
 * characters; a string of GUEST_CMDLINE_STRING_MAX bytes or more is refused
 * and a shorter one's length is accepted; a line with a bad cpus= list is
 * refused, and an accepted one holds the mask of its last cpus= as a second
 * reading finds it.
 */
#include "tests/fuzz/fuzz_check.h"

#include "lib/cmdline.h"
#include "vm/guest_cmdline.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The grammar of cmdline.h, computed independently: decimal or 0x hex, no overflow. */
static bool ref_u64(const char *s, size_t len, u64 *out)
{
	unsigned __int128 v = 0;
	unsigned base = 10;

	if (len > 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			     : (c | 0x20) >= 'a' && (c | 0x20) <= 'f'
				 ? (unsigned)((c | 0x20) - 'a' + 10)
				 : 99;

		if (d >= base)
			return false;
		v = v * base + d;
		if (v > UINT64_MAX)
			return false;
	}
	*out = (u64)v;
	return true;
}

/* A binary K/M/G/T suffix on a decimal number (a hex number cannot carry one). */
static bool ref_size(const char *s, size_t len, u64 *out)
{
	const char *units = "kmgt";
	const char *u = len > 1 ? memchr(units, s[len - 1] | 0x20, 4) : NULL;
	bool hex = len > 2 && s[0] == '0' && (s[1] | 0x20) == 'x';
	unsigned shift = u && !hex ? 10 * (unsigned)(u - units + 1) : 0;
	u64 v;

	if (!ref_u64(s, len - (shift ? 1 : 0), &v) || (unsigned __int128)v << shift > UINT64_MAX)
		return false;
	*out = v << shift;
	return true;
}

static void check_numbers(const char *s, size_t len)
{
	u64 a = 0xA5, b = 0x5A;
	bool ok = cmdline_parse_u64(s, len, &a);

	FUZZ_CHECK(ok == ref_u64(s, len, &b));
	FUZZ_CHECK(!ok || a == b);
	ok = cmdline_parse_size(s, len, &a);
	FUZZ_CHECK(ok == ref_size(s, len, &b));
	FUZZ_CHECK(!ok || a == b);
}

static void check_token(const struct cmdline_token *t, const char *s, size_t n)
{
	FUZZ_CHECK(t->key_len > 0 || t->value);
	FUZZ_CHECK(fuzz_inside(t->key, t->key_len, s, n));
	for (size_t i = 0; i < t->key_len; i++)
		FUZZ_CHECK(!blank(t->key[i]) && t->key[i] != '=' && t->key[i]);
	if (t->value) {
		FUZZ_CHECK(t->value == t->key + t->key_len + 1 && t->value[-1] == '=');
		FUZZ_CHECK(fuzz_inside(t->value, t->value_len, s, n));
		for (size_t i = 0; i < t->value_len; i++)
			FUZZ_CHECK(!blank(t->value[i]) && t->value[i]);
		check_numbers(t->value, t->value_len);
	}
	check_numbers(t->key, t->key_len);
}

/* Tokenizes s[0, len) and checks each token and the rest after "--". */
static void check_tokens(const char *s, size_t len)
{
	size_t n = strnlen(s, len), rest_len;
	const char *prev_end = s, *rest;
	struct cmdline_iter it;
	struct cmdline_token t;

	cmdline_iter_init(&it, s, len);
	while (cmdline_next(&it, &t)) {
		FUZZ_CHECK(t.key >= prev_end);
		check_token(&t, s, n);
		prev_end = t.value ? t.value + t.value_len : t.key + t.key_len;
	}
	rest = cmdline_rest(&it, &rest_len);
	if (rest) {
		FUZZ_CHECK(rest >= prev_end + 2 && rest + rest_len == s + n);
		FUZZ_CHECK(!rest_len || !blank(rest[0]));
	} else {
		FUZZ_CHECK(rest_len == 0);
	}
}

/* A NUL inside the array and only name characters before it. */
static void check_name(const char *name, size_t cap, bool may_be_empty)
{
	size_t n = strnlen(name, cap);

	FUZZ_CHECK(n < cap && (n > 0 || may_be_empty));
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(strchr(
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", name[i]));
}

/* A saturating decimal number at v[*i], advancing *i; false if no digit. */
static bool ref_index(const char *v, size_t len, size_t *i, unsigned *out)
{
	size_t start = *i;

	for (*out = 0; *i < len && v[*i] >= '0' && v[*i] <= '9'; (*i)++)
		*out = *out < 1000 ? *out * 10 + (unsigned)(v[*i] - '0') : 1000;
	return *i > start;
}

/* cpus=LIST read character by character: INDEX[-INDEX] joined by single commas. */
static bool ref_cpus(const char *v, size_t len, u64 *out)
{
	u64 m = 0;
	size_t i = 0;
	unsigned a, b;

	for (;;) {
		if (!ref_index(v, len, &i, &a))
			return false;
		b = a;
		if (i < len && v[i] == '-') {
			i++;
			if (!ref_index(v, len, &i, &b))
				return false;
		}
		if (a >= GUEST_CPUS_MAX || b >= GUEST_CPUS_MAX || b < a)
			return false;
		m |= (b == 63 ? UINT64_MAX : (1ULL << (b + 1)) - 1) & ~((1ULL << a) - 1);
		if (i == len)
			break;
		if (v[i++] != ',')
			return false;
	}
	*out = m;
	return true;
}

/* The cpus= a parse of s must give: false if one is bad, else the last one's mask (0: none). */
static bool ref_guest_cpus(const char *s, u64 *cpus)
{
	struct cmdline_iter it;
	struct cmdline_token t;

	*cpus = 0;
	cmdline_iter_init(&it, s, strlen(s));
	while (cmdline_next(&it, &t))
		if (cmdline_key_is(&t, "cpus") &&
		    (!t.value || !ref_cpus(t.value, t.value_len, cpus)))
			return false;
	return true;
}

static void check_guest(const char *s, unsigned index, u64 max_mem)
{
	struct guest_config c;
	char err[160], name[GUEST_CONFIG_NAME_MAX];
	bool ok, cpus_ok;
	u64 cpus;

	err[0] = '\0';
	ok = guest_cmdline_parse(s, index, max_mem, &c, err, sizeof(err));
	fuzz_check_err(err, sizeof(err), !ok);
	FUZZ_CHECK(guest_cmdline_length_ok(s, err, sizeof(err)) ==
		   (strlen(s) < GUEST_CMDLINE_STRING_MAX));
	FUZZ_CHECK(!ok || strlen(s) < GUEST_CMDLINE_STRING_MAX);
	cpus_ok = ref_guest_cpus(s, &cpus);
	FUZZ_CHECK(cpus_ok || !ok);
	FUZZ_CHECK(!ok || c.cpus == cpus);
	if (ok) {
		check_name(c.name, sizeof(c.name), false);
		FUZZ_CHECK(strlen(c.name) <= 63);
		FUZZ_CHECK(c.mem_size == GUEST_DEFAULT_MEM ||
			   (c.mem_size >= GUEST_MIN_MEM && c.mem_size <= max_mem));
		FUZZ_CHECK(c.mem_size % (4 * KiB) == 0 && c.ept_level <= 3);
		FUZZ_CHECK(strnlen(c.expect, sizeof(c.expect)) < sizeof(c.expect));
		FUZZ_CHECK(strnlen(c.args, sizeof(c.args)) < sizeof(c.args));
		FUZZ_CHECK(!c.image && !c.module_count);
	}
	if (guest_cmdline_for(s, name, sizeof(name)))
		check_name(name, sizeof(name), true);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u64 max_mems[4] = {2 * MiB, 64 * MiB, 4 * GiB, UINT64_MAX};
	u8 params = (u8)fuzz_take(&data, &size, 1);
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	check_tokens(s, params & 0x80 ? size / 2 : size);
	check_guest(s, params >> 2 & 0x1F, max_mems[params & 3]);
	free(s);
	return 0;
}
