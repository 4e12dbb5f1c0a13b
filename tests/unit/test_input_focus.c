/*
 * Host tests for vm/input_focus.c: Ctrl-A counting, a Ctrl-A followed by
 * another key passing both on, the focus order (guests, the monitor, the
 * first guest again) with ended guests skipped, and the focus leaving a
 * guest that ended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vm/input_focus.h"

#define ESC INPUT_FOCUS_ESCAPE

static struct input_focus f;
static struct input_route r;

static void key(u8 k, u64 live)
{
	input_focus_key(&f, k, live, &r);
}

static void expect_bytes(unsigned to, const u8 *bytes, unsigned len)
{
	assert_int_equal(r.to, to);
	assert_false(r.moved);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.bytes, bytes, len);
}

static void test_first_guest_by_default(void **state)
{
	input_focus_init(&f, 3, 0x7);
	assert_int_equal(f.focus, 0);
	assert_false(input_focus_on_monitor(&f));
	input_focus_init(&f, 3, 0x6); /* the first one already ended */
	assert_int_equal(f.focus, 1);
	input_focus_init(&f, 2, 0); /* none runs: the monitor */
	assert_true(input_focus_on_monitor(&f));
	input_focus_init(&f, 0, 0);
	assert_true(input_focus_on_monitor(&f));
}

static void test_plain_keys_go_to_the_focus(void **state)
{
	input_focus_init(&f, 2, 0x3);
	key('a', 0x3);
	expect_bytes(0, (const u8 *)"a", 1);
	key('\r', 0x3);
	expect_bytes(0, (const u8 *)"\r", 1);
}

static void test_three_ctrl_a_move_the_focus(void **state)
{
	input_focus_init(&f, 2, 0x3);
	key(ESC, 0x3);
	assert_int_equal(r.len, 0);
	assert_false(r.moved);
	key(ESC, 0x3);
	assert_int_equal(r.len, 0);
	key(ESC, 0x3);
	assert_true(r.moved);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.to, 1);
	key('x', 0x3);
	expect_bytes(1, (const u8 *)"x", 1);
	/* Six in a row move it twice: guest 1 -> monitor -> guest 0. */
	for (int i = 0; i < 3; i++)
		key(ESC, 0x3);
	assert_true(r.moved);
	assert_true(input_focus_on_monitor(&f));
	assert_int_equal(r.to, 2);
	for (int i = 0; i < 3; i++)
		key(ESC, 0x3);
	assert_true(r.moved);
	assert_int_equal(r.to, 0);
}

static void test_ctrl_a_then_a_key_passes_both(void **state)
{
	static const u8 one[] = {ESC, 'c'}, two[] = {ESC, ESC, 'd'};

	input_focus_init(&f, 2, 0x3);
	key(ESC, 0x3);
	key('c', 0x3);
	expect_bytes(0, one, 2);
	key(ESC, 0x3);
	key(ESC, 0x3);
	key('d', 0x3);
	expect_bytes(0, two, 3);
	/* The count starts again after a passed-on key: two more do not move it. */
	key(ESC, 0x3);
	key(ESC, 0x3);
	assert_false(r.moved);
	assert_int_equal(f.focus, 0);
	key(ESC, 0x3);
	assert_true(r.moved);
	assert_int_equal(f.focus, 1);
}

static void test_monitor_gets_keys(void **state)
{
	static const u8 ctrl_a_l[] = {ESC, 'l'};

	input_focus_init(&f, 1, 0x1);
	for (int i = 0; i < 3; i++)
		key(ESC, 0x1);
	assert_true(input_focus_on_monitor(&f));
	key('l', 0x1);
	expect_bytes(1, (const u8 *)"l", 1);
	key(ESC, 0x1);
	key('l', 0x1);
	expect_bytes(1, ctrl_a_l, 2);
}

static void test_order_skips_ended_guests(void **state)
{
	input_focus_init(&f, 4, 0xF);
	assert_int_equal(input_focus_next(&f, 0, 0xF), 1);
	assert_int_equal(input_focus_next(&f, 0, 0xD), 2); /* guest 1 ended */
	assert_int_equal(input_focus_next(&f, 2, 0x5), 4); /* 3 ended: the monitor */
	assert_int_equal(input_focus_next(&f, 4, 0xE), 1); /* the first live guest again */
	assert_int_equal(input_focus_next(&f, 4, 0), 4);   /* nobody left: stays */
	assert_int_equal(input_focus_next(&f, 3, 0x8), 4);
	/* Through the keys: guests 0 and 2 run. */
	input_focus_init(&f, 4, 0x5);
	for (int i = 0; i < 3; i++)
		key(ESC, 0x5);
	assert_int_equal(f.focus, 2);
	for (int i = 0; i < 3; i++)
		key(ESC, 0x5);
	assert_int_equal(f.focus, 4);
	for (int i = 0; i < 3; i++)
		key(ESC, 0x5);
	assert_int_equal(f.focus, 0);
}

static void test_focused_guest_ends(void **state)
{
	input_focus_init(&f, 3, 0x7);
	assert_false(input_focus_check(&f, 0x7));
	key(ESC, 0x7); /* a Ctrl-A held back for the guest that ends */
	assert_true(input_focus_check(&f, 0x6));
	assert_int_equal(f.focus, 1);
	assert_int_equal(f.escapes, 0);
	/* Wraps to the guests before it, never to the monitor while one runs. */
	f.focus = 2;
	assert_true(input_focus_check(&f, 0x1));
	assert_int_equal(f.focus, 0);
	assert_true(input_focus_check(&f, 0));
	assert_true(input_focus_on_monitor(&f));
	assert_false(input_focus_check(&f, 0)); /* the monitor never ends */
}

static void test_many_guests(void **state)
{
	u64 live = ~0ULL;

	input_focus_init(&f, 100, live); /* capped at the mask's width */
	assert_int_equal(f.n, INPUT_FOCUS_MAX_GUESTS);
	assert_int_equal(input_focus_next(&f, 63, live), 64);
	assert_int_equal(input_focus_next(&f, 64, live), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_guest_by_default),
	    cmocka_unit_test(test_plain_keys_go_to_the_focus),
	    cmocka_unit_test(test_three_ctrl_a_move_the_focus),
	    cmocka_unit_test(test_ctrl_a_then_a_key_passes_both),
	    cmocka_unit_test(test_monitor_gets_keys),
	    cmocka_unit_test(test_order_skips_ended_guests),
	    cmocka_unit_test(test_focused_guest_ends),
	    cmocka_unit_test(test_many_guests),
	};

	return cmocka_run_group_tests_name("input_focus", tests, NULL, NULL);
}
