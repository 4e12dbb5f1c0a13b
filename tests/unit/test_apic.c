/*
 * Host tests for vm/apic_core.c: the local APIC's priority logic (PPR,
 * dispatch, accept, EOI), register write semantics and destination
 * matching, against the rules of Intel SDM Vol. 3A chapter 11.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "vm/apic_core.h"

static u32 page[APIC_PAGE_SIZE / 4];

static int setup(void **state)
{
	apic_reset(page, 0);
	apic_bios_state(page);
	return 0;
}

static void test_reset_state(void **state)
{
	apic_reset(page, 3);
	assert_int_equal(apic_get(page, APIC_ID), 3u << 24);
	assert_int_equal(apic_get(page, APIC_VERSION) & 0xFF, 0x14);
	assert_int_equal((apic_get(page, APIC_VERSION) >> 16) & 0xFF, APIC_LVT_COUNT - 1);
	assert_int_equal(apic_get(page, APIC_DFR), 0xFFFFFFFF);
	assert_int_equal(apic_get(page, APIC_SPIV), 0xFF);
	assert_false(apic_sw_enabled(page));
	assert_true(apic_get(page, APIC_LVT_TIMER) & APIC_LVT_MASKED);
	assert_true(apic_get(page, APIC_LVT_LINT0) & APIC_LVT_MASKED);
	assert_true(apic_get(page, APIC_LVT_ERROR) & APIC_LVT_MASKED);
	assert_int_equal(apic_vec_highest(page, APIC_IRR), -1);
	apic_bios_state(page);
	assert_true(apic_sw_enabled(page));
	assert_int_equal(apic_get(page, APIC_LVT_LINT0), APIC_LVT_DM_EXTINT);
	assert_int_equal(apic_get(page, APIC_LVT_LINT1), APIC_LVT_DM_NMI);
}

static void test_vector_bits(void **state)
{
	for (unsigned v = 0; v < 256; v += 37) {
		apic_vec_set(page, APIC_IRR, v);
		assert_true(apic_vec_test(page, APIC_IRR, v));
		assert_int_equal(apic_vec_highest(page, APIC_IRR), (int)v);
		assert_false(apic_vec_test(page, APIC_ISR, v));
	}
	/* Vector 32*k + 31 lands in register k, bit 31. */
	apic_vec_set(page, APIC_IRR, 255);
	assert_int_equal(apic_get(page, APIC_IRR + 7 * 16), 1u << 31);
	apic_vec_clear(page, APIC_IRR, 255);
	assert_int_equal(apic_vec_highest(page, APIC_IRR), 222);
}

/* SDM 11.8.3.1: PPR[7:4] = max(TPR[7:4], ISRV[7:4]); PPR[3:0] = TPR[3:0] or 0. */
static void test_ppr(void **state)
{
	assert_int_equal(apic_update_ppr(page), 0);
	apic_write(page, APIC_TPR, 0x35, true);
	assert_int_equal(apic_get(page, APIC_PPR), 0x35);
	apic_vec_set(page, APIC_ISR, 0x47);
	assert_int_equal(apic_update_ppr(page), 0x40); /* ISR class wins, low bits 0 */
	apic_write(page, APIC_TPR, 0x4A, true);
	assert_int_equal(apic_get(page, APIC_PPR), 0x4A); /* equal class: TPR */
	apic_write(page, APIC_TPR, 0x1FF, true);
	assert_int_equal(apic_get(page, APIC_TPR), 0xFF); /* bits 31:8 reserved */
}

/* 11.8.4: dispatched only when the request's class is above PPR's class. */
static void test_pending_respects_priority(void **state)
{
	assert_int_equal(apic_pending(page), -1);
	apic_vec_set(page, APIC_IRR, 0x50);
	assert_int_equal(apic_pending(page), 0x50);
	apic_write(page, APIC_TPR, 0x50, true); /* same class: held */
	assert_int_equal(apic_pending(page), -1);
	apic_write(page, APIC_TPR, 0x4F, true);
	assert_int_equal(apic_pending(page), 0x50);
	apic_write(page, APIC_TPR, 0, true);
	apic_vec_set(page, APIC_IRR, 0x70);
	assert_int_equal(apic_pending(page), 0x70); /* highest first */
	apic_accept(page, 0x70);
	assert_true(apic_vec_test(page, APIC_ISR, 0x70));
	assert_false(apic_vec_test(page, APIC_IRR, 0x70));
	assert_int_equal(apic_get(page, APIC_PPR), 0x70);
	assert_int_equal(apic_pending(page), -1); /* 0x50 below the in-service 0x70 */
	apic_vec_set(page, APIC_IRR, 0x75);	  /* same class as in service: held */
	assert_int_equal(apic_pending(page), -1);
	apic_vec_set(page, APIC_IRR, 0x80); /* higher class: nests */
	assert_int_equal(apic_pending(page), 0x80);
}

static void test_eoi_clears_highest_in_service(void **state)
{
	apic_vec_set(page, APIC_IRR, 0x40);
	apic_accept(page, 0x40);
	apic_vec_set(page, APIC_IRR, 0x90);
	apic_accept(page, 0x90);
	assert_int_equal(apic_get(page, APIC_PPR), 0x90);
	assert_int_equal(apic_write(page, APIC_EOI, 0, true), APIC_ACT_EOI);
	assert_false(apic_vec_test(page, APIC_ISR, 0x90));
	assert_true(apic_vec_test(page, APIC_ISR, 0x40));
	assert_int_equal(apic_get(page, APIC_PPR), 0x40);
	assert_int_equal(apic_eoi(page), 0x40);
	assert_int_equal(apic_get(page, APIC_PPR), 0);
	assert_int_equal(apic_eoi(page), -1); /* nothing in service */
}

/* 11.8.4: acceptance into IRR sets TMR for level, clears it for edge; EOI leaves TMR alone. */
static void test_tmr_follows_the_trigger_mode(void **state)
{
	assert_true(apic_request(page, 0x41, true));
	assert_true(apic_vec_test(page, APIC_IRR, 0x41));
	assert_true(apic_vec_test(page, APIC_TMR, 0x41));
	assert_false(apic_request(page, 0x41, true)); /* TMR unchanged */
	apic_accept(page, 0x41);
	assert_int_equal(apic_eoi(page), 0x41);
	assert_true(apic_vec_test(page, APIC_TMR, 0x41)); /* the glue reads it after the EOI */
	assert_true(apic_request(page, 0x41, false));	  /* an edge one on the same vector */
	assert_false(apic_vec_test(page, APIC_TMR, 0x41));
	assert_false(apic_request(page, 0x42, false));
	assert_false(apic_vec_test(page, APIC_TMR, 0x42));
	assert_true(apic_vec_test(page, APIC_IRR, 0x42));
	assert_int_equal(apic_vec_highest(page, APIC_TMR), -1);
}

static void test_software_disable_masks_lvts(void **state)
{
	assert_int_equal(apic_write(page, APIC_SPIV, 0x0FF, true), APIC_ACT_LINT);
	assert_false(apic_sw_enabled(page));
	assert_true(apic_get(page, APIC_LVT_LINT0) & APIC_LVT_MASKED);
	assert_true(apic_get(page, APIC_LVT_LINT1) & APIC_LVT_MASKED);
	/* While disabled a mask cannot be cleared (11.4.7.2). */
	apic_write(page, APIC_LVT_TIMER, 0x40, true);
	assert_int_equal(apic_get(page, APIC_LVT_TIMER), 0x40 | APIC_LVT_MASKED);
	apic_write(page, APIC_SPIV, 0x1FF, true);
	apic_write(page, APIC_LVT_TIMER, 0x40, true);
	assert_int_equal(apic_get(page, APIC_LVT_TIMER), 0x40);
}

static void test_lvt_writable_bits(void **state)
{
	apic_write(page, APIC_LVT_TIMER, 0xFFFFFFFF, true); /* mode 11b is reserved: one-shot */
	assert_int_equal(apic_get(page, APIC_LVT_TIMER), 0x100FF);
	apic_write(page, APIC_LVT_TIMER, 0xFFFDFFFF, true);
	assert_int_equal(apic_get(page, APIC_LVT_TIMER), 0x100FF | APIC_TIMER_TSCDEADLINE);
	apic_write(page, APIC_LVT_TIMER, APIC_TIMER_TSCDEADLINE | 0x30, false);
	assert_int_equal(apic_get(page, APIC_LVT_TIMER), 0x30); /* not offered: one-shot */
	apic_write(page, APIC_LVT_TIMER, APIC_TIMER_PERIODIC | 0x30, false);
	assert_int_equal(apic_get(page, APIC_LVT_TIMER), APIC_TIMER_PERIODIC | 0x30);
	apic_write(page, APIC_LVT_LINT0, 0xFFFFFFFF, true);
	assert_int_equal(apic_get(page, APIC_LVT_LINT0),
			 0x1A7FF); /* no delivery status, remote IRR */
	apic_write(page, APIC_LVT_ERROR, 0xFFFFFFFF, true);
	assert_int_equal(apic_get(page, APIC_LVT_ERROR), 0x100FF);
	apic_write(page, APIC_LVT_THERM, 0xFFFFFFFF, true);
	assert_int_equal(apic_get(page, APIC_LVT_THERM), 0x107FF);
}

static void test_register_masks_and_actions(void **state)
{
	bool illegal;

	assert_int_equal(apic_write(page, APIC_LDR, 0x12345678, true), APIC_ACT_NONE);
	assert_int_equal(apic_get(page, APIC_LDR), 0x12000000);
	apic_write(page, APIC_DFR, 0x0, true);
	assert_int_equal(apic_get(page, APIC_DFR), 0x0FFFFFFF);
	assert_int_equal(apic_write(page, APIC_ICR_HI, 0xFFFFFFFF, true), APIC_ACT_NONE);
	assert_int_equal(apic_get(page, APIC_ICR_HI), 0xFF000000);
	assert_int_equal(apic_write(page, APIC_ICR_LO, 0xFFFFFFFF, true), APIC_ACT_SEND_IPI);
	assert_int_equal(apic_get(page, APIC_ICR_LO), 0x000CCFFF);
	assert_int_equal(apic_read(page, APIC_ICR_LO, &illegal) & APIC_ICR_BUSY, 0);
	assert_int_equal(apic_write(page, APIC_TMICT, 1234, true), APIC_ACT_TIMER_COUNT);
	assert_int_equal(apic_write(page, APIC_TDCR, 0xFF, true), APIC_ACT_TIMER_DIV);
	assert_int_equal(apic_get(page, APIC_TDCR), 0xB);
	assert_int_equal(apic_write(page, APIC_LVT_TIMER, 0, true), APIC_ACT_TIMER_LVT);
	/* Read-only and reserved registers. */
	assert_int_equal(apic_write(page, APIC_VERSION, 0, true), APIC_ACT_ILLEGAL);
	assert_int_equal(apic_write(page, APIC_PPR, 0, true), APIC_ACT_ILLEGAL);
	assert_int_equal(apic_write(page, APIC_IRR, 0xFFFFFFFF, true), APIC_ACT_ILLEGAL);
	assert_int_equal(apic_get(page, APIC_IRR), 0);
	assert_int_equal(apic_write(page, APIC_TMCCT, 5, true), APIC_ACT_ILLEGAL);
	assert_int_equal(apic_write(page, 0x3F0, 5, true), APIC_ACT_ILLEGAL);
	assert_int_equal(apic_read(page, APIC_VERSION, &illegal), APIC_VERSION_VAL);
	assert_false(illegal);
	apic_read(page, 0x3F0, &illegal);
	assert_true(illegal);
	apic_read(page, APIC_LVT_CMCI, &illegal); /* not modelled: no CMCI LVT */
	assert_true(illegal);
}

/* 11.6.2: physical (0xFF broadcast), logical flat (bitmask) and cluster. */
static void test_destination_matching(void **state)
{
	apic_reset(page, 5);
	assert_true(apic_match_dest(page, 5, false));
	assert_true(apic_match_dest(page, 0xFF, false));
	assert_false(apic_match_dest(page, 4, false));
	apic_write(page, APIC_LDR, 0x04000000, true); /* flat: bit 2 */
	assert_true(apic_match_dest(page, 0x06, true));
	assert_false(apic_match_dest(page, 0x09, true));
	apic_write(page, APIC_DFR, 0x0FFFFFFF, true); /* cluster model */
	apic_write(page, APIC_LDR, 0x32000000, true); /* cluster 3, member bit 1 */
	assert_true(apic_match_dest(page, 0x32, true));
	assert_true(apic_match_dest(page, 0x3F, true));
	assert_false(apic_match_dest(page, 0x22, true)); /* other cluster */
	assert_false(apic_match_dest(page, 0x31, true)); /* other member */
	assert_true(apic_match_dest(page, 0xF2, true));	 /* all clusters */
}

static void test_timer_divisor(void **state)
{
	static const struct {
		u32 tdcr;
		unsigned div;
	} t[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},   {0x3, 16},
		 {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1}};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(apic_timer_divisor(t[i].tdcr), t[i].div);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_reset_state, setup),
	    cmocka_unit_test_setup(test_vector_bits, setup),
	    cmocka_unit_test_setup(test_ppr, setup),
	    cmocka_unit_test_setup(test_pending_respects_priority, setup),
	    cmocka_unit_test_setup(test_eoi_clears_highest_in_service, setup),
	    cmocka_unit_test_setup(test_tmr_follows_the_trigger_mode, setup),
	    cmocka_unit_test_setup(test_software_disable_masks_lvts, setup),
	    cmocka_unit_test_setup(test_lvt_writable_bits, setup),
	    cmocka_unit_test_setup(test_register_masks_and_actions, setup),
	    cmocka_unit_test_setup(test_destination_matching, setup),
	    cmocka_unit_test_setup(test_timer_divisor, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
