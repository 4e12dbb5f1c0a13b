/*
 * Keel's command-line options: a table of names and parsers. A malformed or
 * unknown option gives one line naming it, and the default stays in force.
 */
#include "boot/options.h"
#include "lib/cmdline.h"
#include "lib/string.h"

struct keel_options keel_opts = {
    .console = CONSOLE_COM1 | CONSOLE_VGA,
    .loglevel = LOG_INFO,
    .onexit = ONEXIT_SHUTDOWN,
    .test = TEST_NONE,
};

struct choice {
	const char *name;
	unsigned value;
};

static const struct choice console_choices[] = {
    {"com1", CONSOLE_COM1},
    {"vga", CONSOLE_VGA},
    {"both", CONSOLE_COM1 | CONSOLE_VGA},
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
    {NULL, 0},
};

static const struct choice onoff_choices[] = {
    {"on", 1},
    {"off", 0},
    {NULL, 0},
};

struct option_desc {
	const char *name;
	const struct choice *choices;
	unsigned *target;
};

static const struct option_desc option_table[] = {
    {"console", console_choices, &keel_opts.console},
    {"loglevel", loglevel_choices, (unsigned *)&keel_opts.loglevel},
    {"onexit", onexit_choices, (unsigned *)&keel_opts.onexit},
    {"test", test_choices, (unsigned *)&keel_opts.test},
    {"testhc", onoff_choices, &keel_opts.testhc},
};

static bool parse_choice(const struct cmdline_token *tok, const struct option_desc *d)
{
	for (const struct choice *c = d->choices; c->name; c++) {
		if (cmdline_value_is(tok, c->name)) {
			*d->target = c->value;
			return true;
		}
	}
	pr_err("option %s: bad value '%.*s' (default kept)", d->name, (int)tok->value_len,
	       tok->value ? tok->value : "");
	return false;
}

static void parse_token(const struct cmdline_token *tok)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_table); i++) {
		if (!cmdline_key_is(tok, option_table[i].name))
			continue;
		if (!parse_choice(tok, &option_table[i]))
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
