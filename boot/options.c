/*
 * Keel's command-line options: a table of names and parsers. A malformed or
 * unknown option gives one line naming it, and the default stays in force.
 */
#include "boot/options.h"
#include "lib/cmdline.h"
#include "lib/string.h"

/* Shared, write-once at boot: options_parse (boot/init.c); read-only after. */
struct keel_options keel_opts = {
    .console = CONSOLE_COM1 | CONSOLE_SCREEN,
    .loglevel = LOG_INFO,
    .onexit = ONEXIT_SHUTDOWN,
    .test = TEST_NONE,
    .vpid = 1,
    .apicv = 1,
    .zeropool = 1,
    .slice = KEEL_DEFAULT_SLICE,
};

struct choice {
	const char *name;
	unsigned value;
};

static const struct choice console_choices[] = {
    {"com1", CONSOLE_COM1},
    {"vga", CONSOLE_VGA},
    {"fb", CONSOLE_FB},
    {"both", CONSOLE_COM1 | CONSOLE_SCREEN},
    {NULL, 0},
};

static const struct choice loglevel_choices[] = {
    {"err", LOG_ERR},	  {"warn", LOG_WARN}, {"info", LOG_INFO},
    {"debug", LOG_DEBUG}, {"0", LOG_ERR},     {"1", LOG_WARN},
    {"2", LOG_INFO},	  {"3", LOG_DEBUG},   {NULL, 0},
};

static const struct choice onexit_choices[] = {
    {"halt", ONEXIT_HALT},
    {"shutdown", ONEXIT_SHUTDOWN},
    {"reboot", ONEXIT_REBOOT},
    {NULL, 0},
};

static const struct choice test_choices[] = {
    {"none", TEST_NONE},
    {"fault-ud", TEST_FAULT_UD},
    {"fault-pf", TEST_FAULT_PF},
    {"fault-gp", TEST_FAULT_GP},
    {"fault-de", TEST_FAULT_DE},
    {"fault-stack", TEST_FAULT_STACK},
    {"fault-wx", TEST_FAULT_WX},
    {"skip-invept", TEST_SKIP_INVEPT},
    {"skip-shootdown", TEST_SKIP_SHOOTDOWN},
    {"skip-invvpid", TEST_SKIP_INVVPID},
    {"smp-silent", TEST_SMP_SILENT},
    {"smp-mismatch", TEST_SMP_MISMATCH},
    {"smp-console", TEST_SMP_CONSOLE},
    {NULL, 0},
};

static const struct choice hidecap_choices[] = {
    {"invept-single", HIDECAP_INVEPT_SINGLE},
    {"invvpid-addr", HIDECAP_INVVPID_ADDR},
    {"invvpid-single", HIDECAP_INVVPID_SINGLE},
    {"invvpid-retain", HIDECAP_INVVPID_RETAIN},
    {"vpid", HIDECAP_VPID},
    {"ept-1g", HIDECAP_EPT_1G},
    {"ept-2m", HIDECAP_EPT_2M},
    {"preemption-timer", HIDECAP_PREEMPTION_TIMER},
    {NULL, 0},
};

static const struct choice onoff_choices[] = {
    {"on", 1},
    {"off", 0},
    {NULL, 0},
};

enum option_kind {
	OPT_CHOICE, /* one of choices */
	OPT_FLAGS,  /* a comma-separated list of choices, OR'ed */
	OPT_TICKS,  /* a positive count with an optional K/M/G suffix */
	OPT_COUNT,  /* a decimal count from 1 to OPT_COUNT_MAX */
};

#define OPT_COUNT_MAX 4096

struct option_desc {
	const char *name;
	enum option_kind kind;
	const struct choice *choices;
	unsigned *target;
	u64 *target64;
};

static const struct option_desc option_table[] = {
    {"console", OPT_CHOICE, console_choices, &keel_opts.console, NULL},
    {"loglevel", OPT_CHOICE, loglevel_choices, (unsigned *)&keel_opts.loglevel, NULL},
    {"onexit", OPT_CHOICE, onexit_choices, (unsigned *)&keel_opts.onexit, NULL},
    {"test", OPT_CHOICE, test_choices, (unsigned *)&keel_opts.test, NULL},
    {"testhc", OPT_CHOICE, onoff_choices, &keel_opts.testhc, NULL},
    {"vpid", OPT_CHOICE, onoff_choices, &keel_opts.vpid, NULL},
    {"hidecap", OPT_FLAGS, hidecap_choices, &keel_opts.hidecap, NULL},
    {"slice", OPT_TICKS, NULL, NULL, &keel_opts.slice},
    {"floor", OPT_CHOICE, onoff_choices, &keel_opts.floor, NULL},
    {"testmmio", OPT_CHOICE, onoff_choices, &keel_opts.testmmio, NULL},
    {"apicv", OPT_CHOICE, onoff_choices, &keel_opts.apicv, NULL},
    {"cpus", OPT_COUNT, NULL, &keel_opts.cpus, NULL},
    {"zeropool", OPT_CHOICE, onoff_choices, &keel_opts.zeropool, NULL},
    {"faultaround", OPT_CHOICE, onoff_choices, &keel_opts.faultaround, NULL},
    {"zeropage", OPT_CHOICE, onoff_choices, &keel_opts.zeropage, NULL},
    {"reclaim", OPT_CHOICE, onoff_choices, &keel_opts.reclaim, NULL},
    {"workingset", OPT_CHOICE, onoff_choices, &keel_opts.workingset, NULL},
    {"dirtylog", OPT_CHOICE, onoff_choices, &keel_opts.dirtylog, NULL},
};

static bool bad_value(const struct cmdline_token *tok, const struct option_desc *d)
{
	pr_err("option %s: bad value '%.*s' (default kept)", d->name, (int)tok->value_len,
	       tok->value ? tok->value : "");
	return false;
}

/* The choice named by s[0..len), or NULL. */
static const struct choice *find_choice(const struct choice *c, const char *s, size_t len)
{
	for (; c->name; c++)
		if (strlen(c->name) == len && strncmp(c->name, s, len) == 0)
			return c;
	return NULL;
}

static bool parse_flags(const struct cmdline_token *tok, const struct option_desc *d)
{
	const char *p = tok->value, *end = tok->value + tok->value_len;
	unsigned v = 0;

	while (p < end) {
		const char *comma = p;
		const struct choice *c;

		while (comma < end && *comma != ',')
			comma++;
		c = find_choice(d->choices, p, (size_t)(comma - p));
		if (!c)
			return bad_value(tok, d);
		v |= c->value;
		p = comma + 1;
	}
	*d->target = v;
	return true;
}

static bool parse_value(const struct cmdline_token *tok, const struct option_desc *d)
{
	const struct choice *c;
	u64 n;

	if (!tok->value)
		return bad_value(tok, d);
	switch (d->kind) {
	case OPT_FLAGS:
		return parse_flags(tok, d);
	case OPT_TICKS:
		if (!cmdline_parse_size(tok->value, tok->value_len, &n) || n == 0)
			return bad_value(tok, d);
		*d->target64 = n;
		return true;
	case OPT_COUNT:
		if (!cmdline_parse_u64(tok->value, tok->value_len, &n) || n == 0 ||
		    n > OPT_COUNT_MAX)
			return bad_value(tok, d);
		*d->target = (unsigned)n;
		return true;
	default:
		c = find_choice(d->choices, tok->value, tok->value_len);
		if (!c)
			return bad_value(tok, d);
		*d->target = c->value;
		return true;
	}
}

static void parse_token(const struct cmdline_token *tok)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_table); i++) {
		if (!cmdline_key_is(tok, option_table[i].name))
			continue;
		if (!parse_value(tok, &option_table[i]))
			keel_opts.errors++;
		return;
	}
	pr_err("unknown option '%.*s' ignored", (int)tok->key_len, tok->key);
	keel_opts.errors++;
}

void options_parse(const char *cmdline)
{
	struct cmdline_iter it;
	struct cmdline_token tok;

	cmdline_iter_init(&it, cmdline, cmdline ? strlen(cmdline) : 0);
	while (cmdline_next(&it, &tok))
		parse_token(&tok);
}
