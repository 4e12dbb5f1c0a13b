/*
 * Host tests for the pure parts of the test-guest runtime (tests/guests/lib):
 * 64-bit division for 32-bit guests, Multiboot v1 memory-map walking and
 * judging, command-line lookups and the exception-table lookup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/mmap.h"
#include "tests/guests/lib/multiboot1.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/udiv64.h"
#include "vm/guest_abi.h"

static void check_div(u64 n, u64 d)
{
	u64 r = 0xDEAD, q = udiv64(n, d, &r);

	assert_true(q == n / d);
	assert_true(r == n % d);
	assert_true(__udivdi3(n, d) == n / d);
	assert_true(__umoddi3(n, d) == n % d);
}

static void test_udiv64_edges(void **state)
{
	u64 r;

	check_div(0, 1);
	check_div(1, 1);
	check_div(7, 10);
	check_div(10, 7);
	check_div(UINT64_MAX, 1);
	check_div(UINT64_MAX, 10);
	check_div(UINT64_MAX, UINT64_MAX);
	check_div(UINT64_MAX - 1, UINT64_MAX);
	check_div(1ULL << 63, 3);
	check_div(0x123456789ABCDEFULL, 0x100000001ULL);
	check_div(18446744073709551615ULL, 16);
	assert_true(udiv64(42, 0, &r) == ~0ULL);
	assert_true(r == 42);
	assert_true(udiv64(42, 5, NULL) == 8);
}

static void test_udiv64_random(void **state)
{
	u64 x = 0x9E3779B97F4A7C15ULL;

	for (int i = 0; i < 20000; i++) {
		u64 n, d;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = x;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		d = x >> (x & 63); /* divisors of every width */
		if (d == 0)
			d = 3;
		check_div(n, d);
	}
}

/* Packs entries into a Multiboot mmap buffer; returns its length. */
static u32 pack(u8 *buf, const struct mmap_range *r, u32 n, u32 size_field)
{
	u32 off = 0;

	for (u32 i = 0; i < n; i++) {
		struct mb1_mmap_entry e = {size_field, r[i].base, r[i].length, r[i].type};

		memset(buf + off, 0xEE, size_field + 4);
		memcpy(buf + off, &e, sizeof(e));
		off += size_field + 4;
	}
	return off;
}

static void test_mmap_walk(void **state)
{
	const struct mmap_range in[] = {
	    {0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0x100000, 0xF00000, 1}};
	struct mmap_range out[4];
	u8 buf[256];
	u32 n = 99, len = pack(buf, in, 3, 20);

	assert_int_equal(mmap_walk(buf, len, out, 4, &n), MMAP_OK);
	assert_int_equal(n, 3);
	for (u32 i = 0; i < 3; i++)
		assert_true(out[i].base == in[i].base && out[i].length == in[i].length &&
			    out[i].type == in[i].type);
	/* Entries with a larger size field (padding) are stepped over by size. */
	len = pack(buf, in, 3, 28);
	assert_int_equal(mmap_walk(buf, len, out, 4, &n), MMAP_OK);
	assert_int_equal(n, 3);
	assert_true(out[2].base == 0x100000 && out[2].length == 0xF00000 && out[2].type == 1);
	assert_int_equal(mmap_walk(buf, 0, out, 4, &n), MMAP_OK);
	assert_int_equal(n, 0);
}

static void test_mmap_walk_malformed(void **state)
{
	const struct mmap_range in[] = {{0, 0x1000, 1}, {0x1000, 0x1000, 1}, {0x2000, 0x1000, 1}};
	const struct mmap_range wrap[] = {{UINT64_MAX - 10, 100, 1}};
	struct mmap_range out[4];
	u8 buf[256];
	u32 n, len = pack(buf, in, 3, 20);

	assert_int_equal(mmap_walk(buf, len - 1, out, 4, &n), MMAP_PAST_END);
	assert_int_equal(mmap_walk(buf, len + 2, out, 4, &n), MMAP_PAST_END);
	assert_int_equal(mmap_walk(buf, len, out, 2, &n), MMAP_TOO_MANY);
	len = pack(buf, in, 1, 16);
	assert_int_equal(mmap_walk(buf, len, out, 4, &n), MMAP_SHORT_ENTRY);
	len = pack(buf, wrap, 1, 20);
	assert_int_equal(mmap_walk(buf, len, out, 4, &n), MMAP_WRAPS);
	assert_string_equal(mmap_status_name(MMAP_WRAPS), "base + length wraps");
}

static void test_mmap_overlaps(void **state)
{
	struct mmap_range ok[] = {{0x2000, 0x1000, 1}, {0, 0x1000, 1}, {0x1000, 0x1000, 2}};
	struct mmap_range bad[] = {{0x1000, 0x2000, 1}, {0, 0x1001, 2}};
	struct mmap_range inside[] = {{0, 0x10000, 1}, {0x4000, 0x10, 2}, {0x20000, 0x10, 1}};
	struct mmap_range empty[] = {{0, 0x1000, 1}, {0x800, 0, 2}, {0x1000, 0x1000, 1}};

	mmap_sort(ok, 3);
	assert_true(ok[0].base == 0 && ok[1].base == 0x1000 && ok[2].base == 0x2000);
	assert_false(mmap_overlaps(ok, 3));
	mmap_sort(bad, 2);
	assert_true(mmap_overlaps(bad, 2));
	assert_true(mmap_overlaps(inside, 3));
	assert_false(mmap_overlaps(empty, 3)); /* zero-length entries take no space */
}

static void test_mmap_equals(void **state)
{
	const u64 mem = 16 << 20;
	struct mmap_range one[] = {{0, mem, 1}};
	struct mmap_range split[] = {
	    {0, 0xA0000, 1}, {0xA0000, mem - 0xA0000, 1}, {mem, 0x1000, 2}};
	struct mmap_range gap[] = {
	    {0, 0x9F000, 1}, {0x9F000, 0x1000, 2}, {0xA0000, mem - 0xA0000, 1}};
	struct mmap_range extra[] = {{0, mem, 1}, {mem + 0x1000, 0x1000, 1}};
	struct mmap_range long_one[] = {{0, mem + 0x1000, 1}};

	assert_true(mmap_equals(one, 1, 1, 0, mem));
	assert_false(mmap_equals(one, 1, 1, 0, mem - 1));
	assert_false(mmap_equals(one, 1, 2, 0, mem));
	assert_true(mmap_equals(split, 3, 1, 0, mem));
	assert_false(mmap_equals(gap, 3, 1, 0, mem));
	assert_false(mmap_equals(extra, 2, 1, 0, mem));
	assert_false(mmap_equals(long_one, 1, 1, 0, mem));
	assert_false(mmap_equals(one, 0, 1, 0, mem));
}

static void test_mmap_covers(void **state)
{
	struct mmap_range pc[] = {{0, 0x9FC00, 1},
				  {0x9FC00, 0x400, 2},
				  {0x100000, 0x3EE0000, 1},
				  {0x3FE0000, 0x20000, 2}};

	assert_true(mmap_covers(pc, 4, 1, 0, 639 * 1024));
	assert_false(mmap_covers(pc, 4, 1, 0, 640 * 1024));
	assert_true(mmap_covers(pc, 4, 1, 0x100000, 0x3FE0000));
	assert_false(mmap_covers(pc, 4, 1, 0x100000, 0x3FE1000));
	assert_false(mmap_covers(pc, 4, 1, 0x9F000, 0x101000)); /* across the hole */
}

static void test_bootargs(void **state)
{
	const char *s = "args alpha beta=2 expect_mem=32M  loader=grub";
	const char *v;
	size_t n;
	u64 size;
	char w[8];

	assert_true(bootargs_find(s, "beta", &v, &n));
	assert_int_equal(n, 1);
	assert_int_equal(v[0], '2');
	assert_true(bootargs_find(s, "alpha", &v, &n));
	assert_int_equal(n, 0);
	assert_false(bootargs_find(s, "gamma", &v, &n));
	assert_false(bootargs_find(NULL, "beta", &v, &n));
	assert_true(bootargs_has(s, "loader", "grub"));
	assert_false(bootargs_has(s, "loader", "gru"));
	assert_false(bootargs_has(s, "loader", "grubby"));
	assert_true(bootargs_size(s, "expect_mem", &size));
	assert_true(size == 32ULL << 20);
	assert_false(bootargs_size(s, "beta=", &size));
	assert_false(bootargs_size("x mem=lots", "mem", &size));
	assert_true(bootargs_word(s, 0, w, sizeof(w)));
	assert_string_equal(w, "args");
	assert_true(bootargs_word(s, 4, w, sizeof(w)));
	assert_string_equal(w, "loader="); /* cut to the buffer */
	assert_false(bootargs_word(s, 5, w, sizeof(w)));
	assert_false(bootargs_word("   ", 0, w, sizeof(w)));
}

static void test_bootargs_keel(void **state)
{
	char line[] = "hello a=1";
	struct keel_boot_info bi = {.magic = KEEL_BOOT_MAGIC, .cmdline = (uintptr_t)line};

	assert_string_equal(bootargs_keel((uintptr_t)&bi, KEEL_BOOT_MAGIC), "hello a=1");
	assert_string_equal(bootargs_keel((uintptr_t)&bi, 0x2BADB002), "");
	assert_string_equal(bootargs_keel(0, KEEL_BOOT_MAGIC), "");
	bi.magic = 0;
	assert_string_equal(bootargs_keel((uintptr_t)&bi, KEEL_BOOT_MAGIC), "");
}

static void test_trap_lookup(void **state)
{
	/* Two back-to-back entries: 0x10-0x12 and 0x12-0x15. */
	const struct trap_entry t[] = {{0x10, 0x12}, {0x12, 0x15}, {0x40, 0x43}};

	assert_ptr_equal(trap_lookup(t, 3, 0x10), &t[0]);
	assert_ptr_equal(trap_lookup(t, 3, 0x12), &t[1]); /* a fault at the second wins */
	assert_ptr_equal(trap_lookup(t, 3, 0x15), &t[1]); /* a trap after the second */
	assert_ptr_equal(trap_lookup(t, 3, 0x43), &t[2]);
	assert_null(trap_lookup(t, 3, 0x11));
	assert_null(trap_lookup(t, 0, 0x10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udiv64_edges),  cmocka_unit_test(test_udiv64_random),
	    cmocka_unit_test(test_mmap_walk),	  cmocka_unit_test(test_mmap_walk_malformed),
	    cmocka_unit_test(test_mmap_overlaps), cmocka_unit_test(test_mmap_equals),
	    cmocka_unit_test(test_mmap_covers),	  cmocka_unit_test(test_bootargs),
	    cmocka_unit_test(test_bootargs_keel), cmocka_unit_test(test_trap_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
