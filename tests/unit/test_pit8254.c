/*
 * Host tests for dev/pit8254_core.c: each mode's count and output against
 * elapsed clocks, the latch and read-back commands, byte sequencing, BCD,
 * the gates, a count written while counting, and the edge queries the
 * IRQ0 timer uses. Clock T0 is the clock of the count write; the count
 * reaches the CE one clock later (T0 + 1), as the 82C54 loads it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dev/pit8254_core.h"

#define T0 1000000ULL

static struct pit8254_core p;

/* Control word for channel ch, access rw, mode m (binary). */
static u8 cw(unsigned ch, unsigned rw, unsigned m)
{
	return (u8)((ch << 6) | (rw << 4) | (m << 1));
}

/* Programs channel ch with a LSB-then-MSB count in mode m at clock t. */
static void program(unsigned ch, unsigned m, u16 count, u64 t)
{
	pit8254_core_write(&p, 3, cw(ch, PIT8254_RW_WORD, m), t);
	pit8254_core_write(&p, ch, (u8)count, t);
	pit8254_core_write(&p, ch, (u8)(count >> 8), t);
}

/* Latches channel ch at clock t and reads the two bytes back at clock t + 7. */
static u16 latched(unsigned ch, u64 t)
{
	u16 lo, hi;

	pit8254_core_write(&p, 3, cw(ch, PIT8254_RW_LATCH, 0), t);
	lo = pit8254_core_read(&p, ch, t + 7);
	hi = pit8254_core_read(&p, ch, t + 7);
	return (u16)(lo | hi << 8);
}

static u8 status(unsigned ch, u64 t)
{
	pit8254_core_write(&p, 3, 0xE0 | PIT8254_RB_CNT(ch), t); /* status only */
	return pit8254_core_read(&p, ch, t);
}

static int setup(void **state)
{
	pit8254_core_init(&p);
	return 0;
}

static void test_power_on(void **state)
{
	assert_false(pit8254_core_out(&p, 0, T0));
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0), PIT8254_NEVER);
	assert_int_equal(status(0, T0), 0x70); /* null count, LSB/MSB, mode 0 */
	assert_int_equal(pit8254_core_read(&p, 3, T0), 0xFF);
}

static void test_mode0(void **state)
{
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_WORD, 0), T0 - 5);
	assert_false(pit8254_core_out(&p, 0, T0 - 5));
	pit8254_core_write(&p, 0, 100, T0);
	pit8254_core_write(&p, 0, 0, T0);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 1), 100);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 11), 90);
	assert_false(pit8254_core_out(&p, 0, T0 + 100));
	assert_true(pit8254_core_out(&p, 0, T0 + 101)); /* N + 1 clocks after the write */
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 101), 0);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 102), 0xFFFF); /* counts on, wrapping */
	assert_true(pit8254_core_out(&p, 0, T0 + 70000));
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0), T0 + 101);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 101), PIT8254_NEVER);
	assert_true(pit8254_core_rose(&p, 0, T0, T0 + 101));
	assert_false(pit8254_core_rose(&p, 0, T0, T0 + 100));
	/* The first byte of a new count stops counting and drives the output low. */
	pit8254_core_write(&p, 0, 50, T0 + 200);
	assert_false(pit8254_core_out(&p, 0, T0 + 200));
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 300), pit8254_core_count(&p, 0, T0 + 201));
	pit8254_core_write(&p, 0, 0, T0 + 400);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 411), 40);
	assert_true(pit8254_core_out(&p, 0, T0 + 451));
}

static void test_mode2(void **state)
{
	program(0, 2, 10, T0);
	assert_true(pit8254_core_out(&p, 0, T0));
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 1), 10);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 9), 2);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 10), 1);
	assert_false(pit8254_core_out(&p, 0, T0 + 10)); /* one clock low at count 1 */
	assert_true(pit8254_core_out(&p, 0, T0 + 11));
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 11), 10); /* reloaded */
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 1 + 10 * 1000 + 3), 7);
	assert_false(pit8254_core_out(&p, 0, T0 + 10 * 1000));
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0), T0 + 10);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 10), T0 + 11);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 11), T0 + 20);
	assert_true(pit8254_core_rose(&p, 0, T0 + 5, T0 + 11));
	assert_false(pit8254_core_rose(&p, 0, T0 + 11, T0 + 20));
	assert_true(pit8254_core_rose(&p, 0, T0 + 11, T0 + 21));
	/* Count 0 is 65536: the CE reads 0 on the load clock. */
	program(0, 2, 0, T0);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 1), 0);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 2), 0xFFFF);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 2), T0 + 65536);
}

static void test_mode2_new_count_waits(void **state)
{
	program(0, 2, 10, T0);
	pit8254_core_write(&p, 0, 4, T0 + 3);
	pit8254_core_write(&p, 0, 0, T0 + 3);
	assert_true(status(0, T0 + 4) & PIT8254_ST_NULL_COUNT);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 5), 6); /* the period runs out */
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 5), T0 + 10);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 10), T0 + 11);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 11), 4); /* then the new count */
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 11), T0 + 14);
	assert_false(status(0, T0 + 12) & PIT8254_ST_NULL_COUNT);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 15), 4);
	/* Two counts in one period: the last one written is loaded. */
	program(0, 2, 100, T0);
	pit8254_core_write(&p, 0, 20, T0 + 10);
	pit8254_core_write(&p, 0, 0, T0 + 10);
	pit8254_core_write(&p, 0, 30, T0 + 50);
	pit8254_core_write(&p, 0, 0, T0 + 50);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 100), 1);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 101), 30);
	/* From count 1 (no edges at all), the first edge comes from the new count. */
	program(0, 2, 1, T0);
	pit8254_core_write(&p, 0, 10, T0 + 5);
	pit8254_core_write(&p, 0, 0, T0 + 5);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 5), T0 + 15);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 7), 9);
}

static void test_mode3(void **state)
{
	static const u16 even[10] = {10, 8, 6, 4, 2, 10, 8, 6, 4, 2};
	static const u16 odd[5] = {4, 2, 0, 4, 2};

	program(0, 3, 10, T0);
	for (unsigned k = 0; k < 10; k++) {
		assert_int_equal(pit8254_core_count(&p, 0, T0 + 1 + k), even[k]);
		assert_int_equal(pit8254_core_out(&p, 0, T0 + 1 + k), k < 5);
	}
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0), T0 + 6);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 6), T0 + 11);
	program(0, 3, 5, T0);
	for (unsigned k = 0; k < 5; k++) {
		assert_int_equal(pit8254_core_count(&p, 0, T0 + 1 + k), odd[k]);
		assert_int_equal(pit8254_core_out(&p, 0, T0 + 1 + k), k < 3); /* high 3, low 2 */
	}
	/* A new count takes over at the end of the half period. */
	program(0, 3, 10, T0);
	pit8254_core_write(&p, 0, 20, T0 + 2);
	pit8254_core_write(&p, 0, 0, T0 + 2);
	assert_true(pit8254_core_out(&p, 0, T0 + 5));
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 6), 20); /* low half of 20 */
	assert_false(pit8254_core_out(&p, 0, T0 + 6));
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 3), T0 + 6);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 6), T0 + 16);
	assert_true(pit8254_core_out(&p, 0, T0 + 16));
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 16), 20);
}

static void test_mode4_strobe(void **state)
{
	program(0, 4, 30, T0);
	assert_true(pit8254_core_out(&p, 0, T0));
	assert_true(pit8254_core_out(&p, 0, T0 + 30));
	assert_false(pit8254_core_out(&p, 0, T0 + 31)); /* count 0: one clock low */
	assert_true(pit8254_core_out(&p, 0, T0 + 32));
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0), T0 + 31);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 31), T0 + 32);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 32), PIT8254_NEVER);
	assert_true(pit8254_core_rose(&p, 0, T0, T0 + 40));
	assert_false(pit8254_core_rose(&p, 0, T0, T0 + 31));
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 40), 0xFFF7);
}

static void test_gate(void **state)
{
	/* Modes 0 and 4 pause while the gate is low (channel 2 starts with it low). */
	program(2, 0, 1000, T0);
	assert_int_equal(pit8254_core_count(&p, 2, T0 + 500), 1000);
	assert_false(pit8254_core_out(&p, 2, T0 + 5000));
	pit8254_core_set_gate(&p, 2, true, T0 + 500);
	assert_int_equal(pit8254_core_count(&p, 2, T0 + 600), 900);
	pit8254_core_set_gate(&p, 2, false, T0 + 700);
	assert_int_equal(pit8254_core_count(&p, 2, T0 + 5000), 800);
	assert_int_equal(pit8254_core_next_edge(&p, 2, T0 + 800), PIT8254_NEVER);
	pit8254_core_set_gate(&p, 2, true, T0 + 10000);
	assert_false(pit8254_core_out(&p, 2, T0 + 10799));
	assert_true(pit8254_core_out(&p, 2, T0 + 10800));
	/* Modes 2 and 3: low forces the output high and stops; rising reloads. */
	program(2, 3, 100, T0 + 20000);
	assert_int_equal(pit8254_core_count(&p, 2, T0 + 20070), 62); /* low half: 100 - 2 * 19 */
	assert_false(pit8254_core_out(&p, 2, T0 + 20070));
	pit8254_core_set_gate(&p, 2, false, T0 + 20070);
	assert_true(pit8254_core_out(&p, 2, T0 + 20071));
	assert_int_equal(pit8254_core_count(&p, 2, T0 + 20500), 62);
	pit8254_core_set_gate(&p, 2, true, T0 + 30000);
	assert_int_equal(pit8254_core_count(&p, 2, T0 + 30001), 100);
	assert_false(pit8254_core_out(&p, 2, T0 + 30051));
}

static void test_mode1_and_5_triggers(void **state)
{
	pit8254_core_set_gate(&p, 2, false, T0 - 10);
	program(2, 1, 50, T0);
	assert_true(pit8254_core_out(&p, 2, T0 + 100)); /* waits for a trigger */
	assert_true(status(2, T0 + 100) & PIT8254_ST_NULL_COUNT);
	pit8254_core_set_gate(&p, 2, true, T0 + 100);
	assert_false(pit8254_core_out(&p, 2, T0 + 110));
	assert_int_equal(pit8254_core_count(&p, 2, T0 + 111), 40);
	assert_true(pit8254_core_out(&p, 2, T0 + 151));
	pit8254_core_set_gate(&p, 2, false, T0 + 200);
	pit8254_core_set_gate(&p, 2, true, T0 + 300); /* retrigger */
	assert_false(pit8254_core_out(&p, 2, T0 + 320));
	program(2, 5, 20, T0 + 1000);
	assert_true(pit8254_core_out(&p, 2, T0 + 1100));
	pit8254_core_set_gate(&p, 2, false, T0 + 1100);
	pit8254_core_set_gate(&p, 2, true, T0 + 1101);
	assert_false(pit8254_core_out(&p, 2, T0 + 1122)); /* the strobe */
	assert_true(pit8254_core_out(&p, 2, T0 + 1123));
}

static void test_latch(void **state)
{
	program(0, 2, 60000, T0);
	assert_int_equal(latched(0, T0 + 1001), 59000);
	/* A second latch before the first is read is ignored. */
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_LATCH, 0), T0 + 2001);
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_LATCH, 0), T0 + 3001);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 4001), (u8)58000);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 4001), (u8)(58000 >> 8));
	/* Unlatched reads take each byte from the live count. */
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 1 + 0x100), (u8)(60000 - 0x100));
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 1 + 0x300), (u8)((60000 - 0x300) >> 8));
	/* A control word cancels a latch half read. */
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_LATCH, 0), T0 + 5001);
	(void)pit8254_core_read(&p, 0, T0 + 5001);
	program(0, 2, 1000, T0 + 6000);
	assert_int_equal(latched(0, T0 + 6001), 1000);
}

static void test_access_modes(void **state)
{
	/* LSB only: the MSB is 0; reads give the LSB each time. */
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_LSB, 2), T0);
	pit8254_core_write(&p, 0, 200, T0);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 51), 150);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 52), 149);
	/* MSB only: the LSB is 0. */
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_MSB, 2), T0);
	pit8254_core_write(&p, 0, 0x12, T0);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 1), 0x1200);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 0x101), 0x11);
	/* LSB then MSB: a write sequence, then a read sequence. */
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_WORD, 2), T0);
	pit8254_core_write(&p, 0, 0x34, T0);
	assert_true(status(0, T0) & PIT8254_ST_NULL_COUNT);
	pit8254_core_write(&p, 0, 0x12, T0);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 1), 0x1234);
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_LATCH, 0), T0 + 1);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 9), 0x34);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 9), 0x12);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 0x35), 0x00); /* 0x1200: LSB first again */
}

static void test_read_back(void **state)
{
	program(0, 2, 1000, T0);
	program(2, 0, 5, T0);
	assert_int_equal(status(0, T0), 0xF4); /* OUT, null count, LSB/MSB, mode 2 */
	assert_int_equal(status(0, T0 + 1), 0xB4);
	/* Count and status of channels 0 and 2 at once: status first, then the count. */
	pit8254_core_write(&p, 3, 0xC0 | PIT8254_RB_CNT(0) | PIT8254_RB_CNT(2), T0 + 101);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 500), 0xB4);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 500), (u8)900);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 500), 900 >> 8);
	assert_int_equal(pit8254_core_read(&p, 2, T0 + 500), 0x30); /* gate low: out low */
	assert_int_equal(pit8254_core_read(&p, 2, T0 + 500), 5);
	assert_int_equal(pit8254_core_read(&p, 2, T0 + 500), 0);
	/* Count only, channel 0. */
	pit8254_core_write(&p, 3, 0xC0 | PIT8254_RB_NO_STATUS | PIT8254_RB_CNT(0), T0 + 201);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 900), (u8)800);
	assert_int_equal(pit8254_core_read(&p, 0, T0 + 900), 800 >> 8);
	/* Modes 6 and 7 are 2 and 3; the status shows the bits as written. */
	pit8254_core_write(&p, 3, cw(1, PIT8254_RW_WORD, 6), T0);
	assert_int_equal(status(1, T0), 0xFC); /* mode 2's output starts high */
	pit8254_core_write(&p, 1, 4, T0);
	pit8254_core_write(&p, 1, 0, T0);
	assert_false(pit8254_core_out(&p, 1, T0 + 4));
	assert_true(pit8254_core_out(&p, 1, T0 + 5));
}

static void test_bcd(void **state)
{
	assert_int_equal(pit8254_core_to_bcd(1234), 0x1234);
	assert_int_equal(pit8254_core_to_bcd(10000), 0x0000);
	assert_int_equal(pit8254_core_from_bcd(0x9999), 9999);
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_WORD, 0) | PIT8254_CW_BCD, T0);
	pit8254_core_write(&p, 0, 0x00, T0);
	pit8254_core_write(&p, 0, 0x10, T0); /* 1000 */
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 2), 0x0999);
	assert_true(pit8254_core_out(&p, 0, T0 + 1001));
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 1002), 0x9999); /* wraps in decimal */
	assert_int_equal(status(0, T0 + 2) & PIT8254_CW_BCD, PIT8254_CW_BCD);
	/* Count 0 is 10000 in BCD. */
	pit8254_core_write(&p, 3, cw(0, PIT8254_RW_WORD, 2) | PIT8254_CW_BCD, T0);
	pit8254_core_write(&p, 0, 0, T0);
	pit8254_core_write(&p, 0, 0, T0);
	assert_int_equal(pit8254_core_count(&p, 0, T0 + 2), 0x9999);
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 2), T0 + 10000);
}

static void test_degenerate_counts(void **state)
{
	/* Count 1 in modes 2 and 3 is outside the data sheet: no division by zero, no edges. */
	program(0, 2, 1, T0);
	assert_false(pit8254_core_out(&p, 0, T0 + 5));
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 5), PIT8254_NEVER);
	program(0, 3, 1, T0);
	assert_true(pit8254_core_out(&p, 0, T0 + 5));
	assert_int_equal(pit8254_core_next_edge(&p, 0, T0 + 5), PIT8254_NEVER);
	assert_false(pit8254_core_rose(&p, 0, T0, T0 + 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_power_on, setup),
	    cmocka_unit_test_setup(test_mode0, setup),
	    cmocka_unit_test_setup(test_mode2, setup),
	    cmocka_unit_test_setup(test_mode2_new_count_waits, setup),
	    cmocka_unit_test_setup(test_mode3, setup),
	    cmocka_unit_test_setup(test_mode4_strobe, setup),
	    cmocka_unit_test_setup(test_gate, setup),
	    cmocka_unit_test_setup(test_mode1_and_5_triggers, setup),
	    cmocka_unit_test_setup(test_latch, setup),
	    cmocka_unit_test_setup(test_access_modes, setup),
	    cmocka_unit_test_setup(test_read_back, setup),
	    cmocka_unit_test_setup(test_bcd, setup),
	    cmocka_unit_test_setup(test_degenerate_counts, setup),
	};

	return cmocka_run_group_tests_name("pit8254", tests, NULL, NULL);
}
