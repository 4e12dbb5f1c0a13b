/* Host tests for vmx/preemption_target.h: where an entry's preemption timer runs out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmx/preemption_target.h"

#define REACH 0xFFFFFFFFULL /* a timer rate of 0 (Bochs): one count per TSC tick */

static void test_run_deadline_without_timers(void **state)
{
	assert_int_equal(preemption_target(1000, 5000, 0, REACH), 5000);
}

static void test_guest_timer_first(void **state)
{
	assert_int_equal(preemption_target(1000, 5000, 3000, REACH), 3000);
	/* A timer after the run's deadline waits for the next run. */
	assert_int_equal(preemption_target(1000, 5000, 9000, REACH), 5000);
}

/*
 * A guest timer due between the entry's look at the timers and now: an
 * exit at once (target now, the timer written 0), never now + 2^64 - k
 * folded into the timer's 32 bits.
 */
static void test_timer_come_due_since_the_look(void **state)
{
	assert_int_equal(preemption_target(1000, 5000, 999, REACH), 1000);
	assert_int_equal(preemption_target(1000, 5000, 1, REACH), 1000);
	assert_int_equal(preemption_target(1000, 5000, 1000, REACH), 1000);
	assert_true(preemption_target(1000, 5000, 999, REACH) - 1000 == 0);
}

static void test_within_the_timers_reach(void **state)
{
	u64 now = 1ULL << 40;

	assert_int_equal(preemption_target(now, now + 10 * REACH, 0, REACH), now + REACH);
	assert_int_equal(preemption_target(now, now + 10 * REACH, now + 2 * REACH, REACH),
			 now + REACH);
	assert_int_equal(preemption_target(now, now + 10 * REACH, now + 7, REACH), now + 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_deadline_without_timers),
	    cmocka_unit_test(test_guest_timer_first),
	    cmocka_unit_test(test_timer_come_due_since_the_look),
	    cmocka_unit_test(test_within_the_timers_reach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
