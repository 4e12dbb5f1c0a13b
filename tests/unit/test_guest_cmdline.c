/*
 * Host tests for vm/guest_cmdline.c: parsing one guest's module string
 * (name=, mem=, ept=, expect=, cpus=, vcpus=, -- args) and recognising for=NAME
 * lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "vm/guest_cmdline.h"

#define MAX_MEM (256 * MiB)

static struct guest_config cfg;
static char err[160];

static bool parse(const char *s)
{
	memset(err, 0, sizeof(err));
	return guest_cmdline_parse(s, 3, MAX_MEM, &cfg, err, sizeof(err));
}

/* A rejection leaves one non-empty line that mentions `word`. */
static void expect_reject(const char *s, const char *word)
{
	if (parse(s))
		fail_msg("accepted '%s'", s);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	if (!strstr(err, word))
		fail_msg("error for '%s' is '%s', expected to mention '%s'", s, err, word);
}

static void test_defaults(void **state)
{
	assert_true(parse(""));
	assert_string_equal(cfg.name, "guest3");
	assert_int_equal(cfg.mem_size, GUEST_DEFAULT_MEM);
	assert_int_equal(cfg.ept_level, 0);
	assert_string_equal(cfg.expect, "");
	assert_string_equal(cfg.args, "");
	assert_null(cfg.image);
	assert_int_equal(cfg.module_count, 0);
	assert_int_equal(cfg.cpus, 0); /* anywhere */
	assert_int_equal(cfg.vcpus, 1);
	assert_int_equal(cfg.failalloc, 0); /* no fault injection */
}

static void test_full_line(void **state)
{
	assert_true(parse("name=web-1.a_b  mem=64M\tept=2m expect=triple-fault -- root=/x  q"));
	assert_string_equal(cfg.name, "web-1.a_b");
	assert_int_equal(cfg.mem_size, 64 * MiB);
	assert_int_equal(cfg.ept_level, 2);
	assert_string_equal(cfg.expect, "triple-fault");
	assert_string_equal(cfg.args, "root=/x  q");
}

static void test_ept_values(void **state)
{
	assert_true(parse("ept=4k"));
	assert_int_equal(cfg.ept_level, 1);
	assert_true(parse("ept=1g"));
	assert_int_equal(cfg.ept_level, 3);
	expect_reject("ept=3m", "ept=3m");
	expect_reject("ept=", "ept=");
	expect_reject("ept", "ept");
	expect_reject("ept=4K", "ept=4K");
}

static void test_mem(void **state)
{
	assert_true(parse("mem=2M"));
	assert_int_equal(cfg.mem_size, 2 * MiB);
	assert_true(parse("mem=256M"));
	assert_int_equal(cfg.mem_size, MAX_MEM);
	assert_true(parse("mem=0x300000"));
	assert_int_equal(cfg.mem_size, 3 * MiB);
	assert_true(parse("mem=3000000")); /* not page-aligned: rounded down */
	assert_int_equal(cfg.mem_size, 3000000 & ~0xFFFULL);
	expect_reject("mem=0", "mem=0");
	expect_reject("mem=abc", "mem=abc");
	expect_reject("mem=", "mem=");
	expect_reject("mem", "mem");
	expect_reject("mem=1M", "mem=1M");
	expect_reject("mem=257M", "mem=257M");
	expect_reject("mem=1T", "mem=1T");
	expect_reject("mem=99999999999999999999999", "mem=");
}

static void test_maxmem_and_reset_options(void **state)
{
	assert_true(parse(""));
	assert_int_equal(cfg.maxmem, 0);
	assert_false(cfg.onreboot_end);
	assert_false(cfg.triple_resets);
	assert_true(parse("mem=256M maxmem=64M onreboot=end ontriple=reset"));
	assert_int_equal(cfg.maxmem, 64 * MiB);
	assert_true(cfg.onreboot_end);
	assert_true(cfg.triple_resets);
	assert_true(parse("maxmem=5000 onreboot=restart ontriple=end"));
	assert_int_equal(cfg.maxmem, 8192); /* whole frames */
	assert_false(cfg.onreboot_end);
	assert_false(cfg.triple_resets);
	assert_true(parse("maxmem=4K"));
	expect_reject("maxmem=", "maxmem");
	expect_reject("maxmem=lots", "maxmem");
	expect_reject("maxmem=4095", "maxmem");
	expect_reject("maxmem=513M", "maxmem"); /* at most twice the largest mem= */
	expect_reject("onreboot=halt", "onreboot");
	expect_reject("onreboot", "onreboot");
	expect_reject("ontriple=restart", "ontriple");
}

/* The limits docs/cmdline.md gives: names of 1-63 characters, module strings of 4095 bytes. */
_Static_assert(GUEST_CONFIG_NAME_MAX == 64, "63 characters and the NUL");
_Static_assert(GUEST_CMDLINE_STRING_MAX == 4096, "4095 bytes and the NUL");

/* "name=" and n characters c. */
static const char *name_line(size_t n, char c)
{
	static char line[5 + 128 + 1];

	memset(line, 0, sizeof(line));
	memcpy(line, "name=", 5);
	memset(line + 5, c, n);
	return line;
}

static void test_name_63_64(void **state)
{
	char name[GUEST_CONFIG_NAME_MAX], forline[4 + 64 + 1] = "for=";

	assert_true(parse(name_line(63, 'n')));
	assert_int_equal(strlen(cfg.name), 63);
	expect_reject(name_line(64, 'n'), "(1-63 of letters, digits, - _ .)");
	memset(forline + 4, 'f', 63);
	assert_true(guest_cmdline_for(forline, name, sizeof(name)));
	assert_int_equal(strlen(name), 63);
	forline[4 + 63] = 'f'; /* 64: still a for= line, with no usable name */
	assert_true(guest_cmdline_for(forline, name, sizeof(name)));
	assert_string_equal(name, "");
}

static void test_names(void **state)
{
	char longest[GUEST_CONFIG_NAME_MAX + 8];

	memset(longest, 0, sizeof(longest));
	memcpy(longest, "name=", 5);
	memset(longest + 5, 'a', GUEST_CONFIG_NAME_MAX - 1);
	assert_true(parse(longest));
	assert_int_equal(strlen(cfg.name), GUEST_CONFIG_NAME_MAX - 1);
	longest[5 + GUEST_CONFIG_NAME_MAX - 1] = 'a';
	expect_reject(longest, "bad name");
	expect_reject("name=", "bad name");
	expect_reject("name", "bad name");
	expect_reject("name=a/b", "a/b");
	expect_reject("name=a:b", "a:b");
	expect_reject("name=a=b", "a=b");
	expect_reject("name=\x01", "bad name");
}

static void test_expect(void **state)
{
	expect_reject("expect", "expect");
	expect_reject("expect=aaaaaaaaaaaaaaaaaaaaaaaa", "expect"); /* 24 chars */
	assert_true(parse("expect=aaaaaaaaaaaaaaaaaaaaaaa"));	    /* 23 chars */
	assert_int_equal(strlen(cfg.expect), 23);
}

static void test_unknown_option(void **state)
{
	expect_reject("name=x memory=4M", "memory");
	expect_reject("bogus", "bogus");
	expect_reject("-", "-");
}

static void test_dashdash(void **state)
{
	assert_true(parse("--"));
	assert_string_equal(cfg.args, "");
	assert_true(parse("name=a --   x y -- z"));
	assert_string_equal(cfg.name, "a");
	assert_string_equal(cfg.args, "x y -- z");
	assert_true(parse("-- mem=1M bogus")); /* options after -- belong to the guest */
	assert_int_equal(cfg.mem_size, GUEST_DEFAULT_MEM);
	assert_string_equal(cfg.args, "mem=1M bogus");
	expect_reject("--x", "--x"); /* not the separator: an unknown option */
}

/* A module string of 4095 bytes is parsed; 4096 are refused, whatever they hold. */
static void test_string_4095_4096(void **state)
{
	static char line[GUEST_CMDLINE_STRING_MAX + 1];

	memset(line, 0, sizeof(line));
	memcpy(line, "-- ", 3);
	memset(line + 3, 'x', 4092); /* 4095 bytes: the longest arguments */
	assert_true(parse(line));
	assert_int_equal(strlen(cfg.args), 4092);
	assert_true(guest_cmdline_length_ok(line, err, sizeof(err)));
	line[3 + 4092] = 'x'; /* 4096 bytes */
	expect_reject(line, "module string is 4096 bytes, at most 4095");
	assert_false(guest_cmdline_length_ok(line, err, sizeof(err)));
	/* Options and blanks count alike. */
	memset(line, ' ', GUEST_CMDLINE_STRING_MAX - 1);
	memcpy(line, "name=long mem=64M", 17);
	line[GUEST_CMDLINE_STRING_MAX - 1] = '\0';
	assert_true(parse(line));
	assert_string_equal(cfg.name, "long");
	line[GUEST_CMDLINE_STRING_MAX - 1] = ' ';
	expect_reject(line, "4096 bytes");
	/* A for= line is held to the same length (vm/guest_config.c checks it). */
	memcpy(line, "for=long ", 9);
	assert_false(guest_cmdline_length_ok(line, err, sizeof(err)));
	assert_non_null(strstr(err, "at most 4095"));
}

/* The arguments' own bound: GUEST_CONFIG_ARGS_MAX covers any a module string can hold. */
static void test_args_length(void **state)
{
	_Static_assert(GUEST_CONFIG_ARGS_MAX >= GUEST_CMDLINE_STRING_MAX - 3, "-- and ARGS");
	assert_true(parse("name=a -- one two"));
	assert_string_equal(cfg.args, "one two");
}

static void test_for_lines(void **state)
{
	char name[GUEST_CONFIG_NAME_MAX];

	assert_true(guest_cmdline_for("for=web initrd", name, sizeof(name)));
	assert_string_equal(name, "web");
	assert_true(guest_cmdline_for("  for=a.b-c_d", name, sizeof(name)));
	assert_string_equal(name, "a.b-c_d");
	/* A for= line with a bad name is still a for= line, with an empty name. */
	strcpy(name, "junk");
	assert_true(guest_cmdline_for("for=a/b", name, sizeof(name)));
	assert_string_equal(name, "");
	strcpy(name, "junk");
	assert_true(guest_cmdline_for("for=", name, sizeof(name)));
	assert_string_equal(name, "");
	assert_false(guest_cmdline_for("for", name, sizeof(name)));
	assert_false(guest_cmdline_for("name=x for=y", name, sizeof(name)));
	assert_false(guest_cmdline_for("", name, sizeof(name)));
	assert_false(guest_cmdline_for("-- for=x", name, sizeof(name)));
	assert_false(guest_cmdline_for("fore=x", name, sizeof(name)));
	strcpy(name, "junk");
	assert_true(guest_cmdline_for("for=abcdefgh", name, 4)); /* too long for the buffer */
	assert_string_equal(name, "");
}

static void test_vcpus(void **state)
{
	assert_true(parse("vcpus=1"));
	assert_int_equal(cfg.vcpus, 1);
	assert_true(parse("vcpus=4 cpus=1-2"));
	assert_int_equal(cfg.vcpus, 4);
	assert_int_equal(cfg.cpus, 0x6);
	assert_true(parse("vcpus=8"));
	assert_int_equal(cfg.vcpus, GUEST_VCPUS_MAX);
	assert_true(parse("vcpus=2 vcpus=3")); /* the last one counts */
	assert_int_equal(cfg.vcpus, 3);
	expect_reject("vcpus=0", "vcpus=0");
	expect_reject("vcpus=9", "1 to 8");
	expect_reject("vcpus=10", "vcpus=10");
	expect_reject("vcpus=", "vcpus");
	expect_reject("vcpus", "vcpus");
	expect_reject("vcpus=2K", "vcpus=2K");
	expect_reject("vcpus=-1", "vcpus=-1");
	expect_reject("vcpus=a", "vcpus=a");
	expect_reject("vcpus=02", "vcpus=02");
}

static void test_cpus_lists(void **state)
{
	assert_true(parse("cpus=1"));
	assert_int_equal(cfg.cpus, 0x2);
	assert_true(parse("cpus=0"));
	assert_int_equal(cfg.cpus, 0x1);
	assert_true(parse("cpus=0,2"));
	assert_int_equal(cfg.cpus, 0x5);
	assert_true(parse("cpus=1-3"));
	assert_int_equal(cfg.cpus, 0xE);
	assert_true(parse("cpus=0,2-3"));
	assert_int_equal(cfg.cpus, 0xD);
	assert_true(parse("cpus=5-5"));
	assert_int_equal(cfg.cpus, 0x20);
	assert_true(parse("cpus=63"));
	assert_int_equal(cfg.cpus, 0x8000000000000000ULL);
	assert_true(parse("cpus=0-63"));
	assert_int_equal(cfg.cpus, UINT64_MAX);
	assert_true(parse("cpus=62-63,0"));
	assert_int_equal(cfg.cpus, 0xC000000000000001ULL);
	assert_true(parse("cpus=1-3,2,3-4,1")); /* overlaps and duplicates: a union */
	assert_int_equal(cfg.cpus, 0x1E);
	assert_true(parse("cpus=007,010")); /* decimal, leading zeros allowed */
	assert_int_equal(cfg.cpus, BIT(7) | BIT(10));
	assert_true(parse("name=a cpus=3 mem=4M -- cpus=x"));
	assert_int_equal(cfg.cpus, 0x8);
	assert_string_equal(cfg.args, "cpus=x");
	assert_true(parse("cpus=1 cpus=2")); /* the last one counts, as for other keys */
	assert_int_equal(cfg.cpus, 0x4);
}

/* Each bad list is refused with a reason naming its text. */
static void test_cpus_rejected(void **state)
{
	expect_reject("cpus=", "empty list");
	expect_reject("cpus", "empty list");
	expect_reject("cpus=1,,2", "empty element in '1,,2'");
	expect_reject("cpus=,1", "empty element in ',1'");
	expect_reject("cpus=1,", "trailing comma in '1,'");
	expect_reject("cpus=,", "trailing comma");
	expect_reject("cpus=a", "'a' is not a CPU index");
	expect_reject("cpus=1,x2", "'x2' is not a CPU index");
	expect_reject("cpus=0x1", "'0x1' is not a CPU index"); /* decimal only */
	expect_reject("cpus=+1", "'+1' is not a CPU index");
	expect_reject("cpus=-1", "'-1' is not a CPU index");
	expect_reject("cpus=1-", "'1-' is not a CPU index");
	expect_reject("cpus=1-2-3", "'1-2-3' is not a CPU index");
	expect_reject("cpus=1;2", "'1;2' is not a CPU index");
	expect_reject("cpus=64", "CPU 64 (in '64') is past the last, 63");
	expect_reject("cpus=0,2-64", "CPU 64 (in '2-64') is past the last, 63");
	expect_reject("cpus=64-65", "CPU 64 (in '64-65') is past"); /* the first bad one */
	expect_reject("cpus=18446744073709551616", "CPU 18446744073709551616 ");
	expect_reject("cpus=1-99999999999999999999999", "CPU 99999999999999999999999 ");
	expect_reject("cpus=3-1", "reversed range '3-1' (write 1-3)");
	expect_reject("cpus=0,63-62", "reversed range '63-62'");
}

/* failalloc=N: a decimal allocation number from 1 (testhc=on is checked by Keel, not here). */
static void test_failalloc(void **state)
{
	assert_true(parse("failalloc=1"));
	assert_int_equal(cfg.failalloc, 1);
	assert_true(parse("mem=4M failalloc=541 -- test=touchall"));
	assert_int_equal(cfg.failalloc, 541);
	assert_string_equal(cfg.args, "test=touchall");
	assert_true(parse("failalloc=18446744073709551615"));
	assert_int_equal(cfg.failalloc, UINT64_MAX);
	expect_reject("failalloc=0", "failalloc=0");
	expect_reject("failalloc=", "failalloc");
	expect_reject("failalloc", "failalloc");
	expect_reject("failalloc=18446744073709551616", "failalloc=18446744073709551616");
	expect_reject("failalloc=0x10", "failalloc=0x10");
	expect_reject("failalloc=4K", "failalloc=4K");
	expect_reject("failalloc=-1", "failalloc=-1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_full_line),
	    cmocka_unit_test(test_ept_values),
	    cmocka_unit_test(test_mem),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_name_63_64),
	    cmocka_unit_test(test_string_4095_4096),
	    cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_unknown_option),
	    cmocka_unit_test(test_dashdash),
	    cmocka_unit_test(test_args_length),
	    cmocka_unit_test(test_for_lines),
	    cmocka_unit_test(test_maxmem_and_reset_options),
	    cmocka_unit_test(test_cpus_lists),
	    cmocka_unit_test(test_vcpus),
	    cmocka_unit_test(test_failalloc),
	    cmocka_unit_test(test_cpus_rejected),
	};

	return cmocka_run_group_tests_name("guest_cmdline", tests, NULL, NULL);
}
