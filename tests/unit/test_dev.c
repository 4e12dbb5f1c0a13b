/*
 * Host tests for dev/dev.c: the device-region table, and a region moved
 * over another (a relocated local APIC, SDM Vol. 3A 11.4.5): the moved one
 * answers first where they overlap while it is "over", last otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "dev/dev.h"
#include "vm/guest.h"

static u64 dummy_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return 0;
}

static void dummy_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
}

static const struct dev_ops ops = {"dummy", dummy_read, dummy_write};
static int apic, ioapic, testreg; /* their addresses are the regions' states */
static struct guest g;

static void *owner(u64 addr)
{
	const struct dev_region *r = dev_find(&g, DEV_MMIO, addr, 4);

	return r ? r->state : NULL;
}

static int setup(void **state)
{
	memset(&g, 0, sizeof(g));
	assert_true(dev_register(&g, DEV_MMIO, 0xFEE00000, 0x1000, &ops, &apic));
	assert_true(dev_register(&g, DEV_MMIO, 0xFEC00000, 0x1000, &ops, &ioapic));
	assert_true(dev_register(&g, DEV_MMIO, 0xFEB00000, 0x1000, &ops, &testreg));
	return 0;
}

static void test_register_refuses_overlap(void **state)
{
	int other = 0;

	assert_false(dev_register(&g, DEV_MMIO, 0xFEC00800, 0x1000, &ops, &other));
	assert_true(dev_register(&g, DEV_PIO, 0xFEC00000 & 0xFFFF, 8, &ops, &other));
}

static void test_rebase_over_takes_the_page(void **state)
{
	assert_true(dev_rebase(&g, &apic, 0xFEB00000, true));
	assert_ptr_equal(owner(0xFEB00300), &apic);
	assert_ptr_equal(owner(0xFEE00300), NULL); /* the old base answers nothing */
	assert_ptr_equal(owner(0xFEC00000), &ioapic);
	/* Moved on: the device has its page back. */
	assert_true(dev_rebase(&g, &apic, 0xFEC00000, true));
	assert_ptr_equal(owner(0xFEB00300), &testreg);
	assert_ptr_equal(owner(0xFEC00010), &apic);
	assert_true(dev_rebase(&g, &apic, 0xFEE00000, true));
	assert_ptr_equal(owner(0xFEC00010), &ioapic);
	assert_ptr_equal(owner(0xFEE00300), &apic);
	assert_int_equal(g.dev_count, 3);
}

static void test_rebase_under_gives_the_page_back(void **state)
{
	assert_true(dev_rebase(&g, &apic, 0xFEB00000, true));
	assert_true(dev_rebase(&g, &apic, 0xFEB00000, false)); /* disabled there */
	assert_ptr_equal(owner(0xFEB00030), &testreg);
	/* Where nothing else is, it still answers (a disabled APIC reads all ones). */
	assert_true(dev_rebase(&g, &apic, 0xFED00000, false));
	assert_ptr_equal(owner(0xFED00030), &apic);
	assert_true(dev_rebase(&g, &apic, 0xFEB00000, true));
	assert_ptr_equal(owner(0xFEB00030), &apic);
}

static void test_rebase_refuses(void **state)
{
	int nobody = 0;

	assert_false(dev_rebase(&g, &nobody, 0xFEB00000, true));
	assert_false(dev_rebase(&g, &apic, ~0ULL - 0x10, true)); /* would wrap */
	assert_ptr_equal(owner(0xFEE00300), &apic);
	assert_int_equal(g.dev_count, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_register_refuses_overlap, setup),
	    cmocka_unit_test_setup(test_rebase_over_takes_the_page, setup),
	    cmocka_unit_test_setup(test_rebase_under_gives_the_page_back, setup),
	    cmocka_unit_test_setup(test_rebase_refuses, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
