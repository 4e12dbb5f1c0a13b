/*
 * Guest command-line parsing (pure part) and building guest configurations
 * from the multiboot2 modules.
 */
#include "vm/guest_cmdline.h"
#include "lib/cmdline.h"
#include "lib/format.h"
#include "lib/string.h"

_Static_assert(GUEST_VCPUS_MAX < 10, "vcpus= is one decimal digit");

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fmt_snprintf(err, err_len, __VA_ARGS__);                                           \
		return false;                                                                      \
	} while (0)

static bool name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.';
}

static bool copy_name(char *dst, size_t cap, const char *s, size_t len)
{
	if (len == 0 || len >= cap)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(s[i]))
			return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

bool guest_cmdline_length_ok(const char *s, char *err, size_t err_len)
{
	size_t n = strlen(s);

	if (n >= GUEST_CMDLINE_STRING_MAX)
		FAIL("module string is %lu bytes, at most %d", (u64)n,
		     GUEST_CMDLINE_STRING_MAX - 1);
	return true;
}

bool guest_cmdline_for(const char *s, char *name, size_t name_len)
{
	struct cmdline_iter it;
	struct cmdline_token t;

	cmdline_iter_init(&it, s, strlen(s));
	if (!cmdline_next(&it, &t) || !cmdline_key_is(&t, "for") || !t.value)
		return false;
	if (!copy_name(name, name_len, t.value, t.value_len))
		name[0] = '\0';
	return true;
}

/* s[0, len) is one or more decimal digits. */
static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * One element of a cpus= list, e[0, n): N or A-B, decimal, each below
 * GUEST_CPUS_MAX, A <= B. ORs its CPUs into *mask.
 */
static bool parse_cpu_range(const char *e, size_t n, u64 *mask, char *err, size_t err_len)
{
	size_t a_len = 0;
	const char *b;
	size_t b_len;
	u64 first, last;

	while (a_len < n && e[a_len] != '-')
		a_len++;
	b = a_len < n ? e + a_len + 1 : e;
	b_len = a_len < n ? n - a_len - 1 : a_len;
	if (!all_digits(e, a_len) || !all_digits(b, b_len))
		FAIL("cpus: '%.*s' is not a CPU index or range (decimal, e.g. 2 or 1-3)", (int)n,
		     e);
	if (!cmdline_parse_u64(e, a_len, &first) || first >= GUEST_CPUS_MAX)
		FAIL("cpus: CPU %.*s (in '%.*s') is past the last, %d", (int)a_len, e, (int)n, e,
		     GUEST_CPUS_MAX - 1);
	if (!cmdline_parse_u64(b, b_len, &last) || last >= GUEST_CPUS_MAX)
		FAIL("cpus: CPU %.*s (in '%.*s') is past the last, %d", (int)b_len, b, (int)n, e,
		     GUEST_CPUS_MAX - 1);
	if (last < first)
		FAIL("cpus: reversed range '%.*s' (write %lu-%lu)", (int)n, e, last, first);
	for (u64 i = first; i <= last; i++)
		*mask |= BIT(i);
	return true;
}

/*
 * cpus=LIST (v[0, len), v NULL without '='): comma-separated elements
 * (parse_cpu_range), at least one, none empty. Sets *cpus to their union.
 */
static bool parse_cpus(const char *v, size_t len, u64 *cpus, char *err, size_t err_len)
{
	u64 mask = 0;
	size_t at = 0;

	if (!v || len == 0)
		FAIL("cpus: empty list (e.g. cpus=0,2-3)");
	if (v[len - 1] == ',')
		FAIL("cpus: trailing comma in '%.*s'", (int)len, v);
	while (at < len) {
		size_t n = 0;

		while (at + n < len && v[at + n] != ',')
			n++;
		if (n == 0)
			FAIL("cpus: empty element in '%.*s'", (int)len, v);
		if (!parse_cpu_range(v + at, n, &mask, err, err_len))
			return false;
		at += n + 1;
	}
	*cpus = mask;
	return true;
}

static bool parse_option(const struct cmdline_token *t, u64 max_mem, struct guest_config *c,
			 char *err, size_t err_len)
{
	int vlen = (int)t->value_len;
	const char *v = t->value ? t->value : "";

	if (cmdline_key_is(t, "name")) {
		if (!copy_name(c->name, sizeof(c->name), v, t->value_len))
			FAIL("bad name '%.*s' (1-%d of letters, digits, - _ .)", vlen, v,
			     GUEST_CONFIG_NAME_MAX - 1);
	} else if (cmdline_key_is(t, "mem")) {
		u64 m;

		if (!t->value || !cmdline_parse_size(v, t->value_len, &m))
			FAIL("mem=%.*s is not a size (e.g. 64M)", vlen, v);
		if (m < GUEST_MIN_MEM || m > max_mem)
			FAIL("mem=%.*s is outside [2M, %lu MiB]", vlen, v, (u64)(max_mem / MiB));
		c->mem_size = ALIGN_DOWN(m, (4 * KiB));
	} else if (cmdline_key_is(t, "ept")) {
		if (cmdline_value_is(t, "4k"))
			c->ept_level = 1;
		else if (cmdline_value_is(t, "2m"))
			c->ept_level = 2;
		else if (cmdline_value_is(t, "1g"))
			c->ept_level = 3;
		else
			FAIL("ept=%.*s: expected 4k, 2m or 1g", vlen, v);
	} else if (cmdline_key_is(t, "timeout")) {
		if (!t->value || !cmdline_parse_size(v, t->value_len, &c->timeout) || !c->timeout)
			FAIL("timeout=%.*s is not a positive tick count (e.g. 50M)", vlen, v);
	} else if (cmdline_key_is(t, "maxmem")) {
		u64 m;

		if (!t->value || !cmdline_parse_size(v, t->value_len, &m) || m < 4 * KiB ||
		    m > max_mem * 2)
			FAIL("maxmem=%.*s is not a size in [4K, %lu MiB]", vlen, v,
			     (u64)(max_mem * 2 / MiB));
		c->maxmem = ALIGN_UP(m, 4 * KiB);
	} else if (cmdline_key_is(t, "onreboot")) {
		if (!cmdline_value_is(t, "restart") && !cmdline_value_is(t, "end"))
			FAIL("onreboot=%.*s: expected restart or end", vlen, v);
		c->onreboot_end = cmdline_value_is(t, "end");
	} else if (cmdline_key_is(t, "ontriple")) {
		if (!cmdline_value_is(t, "end") && !cmdline_value_is(t, "reset"))
			FAIL("ontriple=%.*s: expected end or reset", vlen, v);
		c->triple_resets = cmdline_value_is(t, "reset");
	} else if (cmdline_key_is(t, "cpus")) {
		return parse_cpus(t->value, t->value_len, &c->cpus, err, err_len);
	} else if (cmdline_key_is(t, "vcpus")) {
		/* One decimal digit: GUEST_VCPUS_MAX is below 10. */
		if (t->value_len != 1 || v[0] < '1' || v[0] > '0' + GUEST_VCPUS_MAX)
			FAIL("vcpus=%.*s: expected 1 to %d", vlen, v, GUEST_VCPUS_MAX);
		c->vcpus = (unsigned)(v[0] - '0');
	} else if (cmdline_key_is(t, "failalloc")) {
		if (!all_digits(v, t->value_len) ||
		    !cmdline_parse_u64(v, t->value_len, &c->failalloc) || !c->failalloc)
			FAIL("failalloc=%.*s: expected an allocation number from 1", vlen, v);
	} else if (cmdline_key_is(t, "expect")) {
		if (!t->value || t->value_len >= sizeof(c->expect))
			FAIL("bad expect=%.*s", vlen, v);
		memcpy(c->expect, v, t->value_len);
		c->expect[t->value_len] = '\0';
	} else {
		FAIL("unknown option '%.*s'", (int)t->key_len, t->key);
	}
	return true;
}

bool guest_cmdline_parse(const char *s, unsigned index, u64 max_mem, struct guest_config *c,
			 char *err, size_t err_len)
{
	struct cmdline_iter it;
	struct cmdline_token t;
	const char *rest;
	size_t rest_len;

	memset(c, 0, sizeof(*c));
	if (!guest_cmdline_length_ok(s, err, err_len))
		return false;
	fmt_snprintf(c->name, sizeof(c->name), "guest%u", index);
	c->mem_size = GUEST_DEFAULT_MEM;
	c->vcpus = 1;
	cmdline_iter_init(&it, s, strlen(s));
	while (cmdline_next(&it, &t))
		if (!parse_option(&t, max_mem, c, err, err_len))
			return false;
	rest = cmdline_rest(&it, &rest_len);
	if (rest && rest_len >= sizeof(c->args))
		FAIL("arguments too long (%lu bytes, at most %lu)", (u64)rest_len,
		     (u64)sizeof(c->args) - 1);
	if (rest) {
		memcpy(c->args, rest, rest_len);
		c->args[rest_len] = '\0';
	}
	return true;
}
