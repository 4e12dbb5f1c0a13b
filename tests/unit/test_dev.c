/*
 * Host tests for dev/dev.c: the device-region table, and a region moved
 * over another (a relocated local APIC, SDM Vol. 3A 11.4.5): the moved one
 * answers first where they overlap while it is "over", last otherwise; and
 * port regions found through the per-16-port index (pio_index).
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

static void *port_owner(u64 port, unsigned size)
{
	const struct dev_region *r = dev_find(&g, DEV_PIO, port, size);

	return r ? r->state : NULL;
}

/*
 * Ports are found through pio_index (16 ports a slot): a slot of one
 * region, a slot two regions share, ports of a claimed slot outside the
 * region, and the index kept right when a rebase reorders the table.
 */
static void test_ports_through_the_index(void **state)
{
	int pic, pit, uart, fdc;

	assert_true(dev_register(&g, DEV_PIO, 0x20, 2, &ops, &pic));
	assert_true(dev_register(&g, DEV_PIO, 0x40, 4, &ops, &pit));
	assert_true(dev_register(&g, DEV_PIO, 0x3F8, 8, &ops, &uart));
	assert_true(dev_register(&g, DEV_PIO, 0x3F2, 4, &ops, &fdc)); /* the same slot */
	assert_int_equal(g.pio_index[0x20 / DEV_PIO_GROUP], 4);	      /* devs[3] */
	assert_int_equal(g.pio_index[0x3F0 / DEV_PIO_GROUP], DEV_PIO_SEVERAL);
	assert_int_equal(g.pio_index[0x60 / DEV_PIO_GROUP], DEV_PIO_NONE);
	assert_ptr_equal(port_owner(0x21, 1), &pic);
	assert_ptr_equal(port_owner(0x22, 1), NULL); /* in the PIC's slot, not its ports */
	assert_ptr_equal(port_owner(0x21, 2), NULL); /* runs past the region's end */
	assert_ptr_equal(port_owner(0x43, 1), &pit);
	assert_ptr_equal(port_owner(0x3FD, 1), &uart);
	assert_ptr_equal(port_owner(0x3F4, 2), &fdc);
	assert_ptr_equal(port_owner(0x3F6, 1), NULL);
	assert_ptr_equal(port_owner(0x61, 1), NULL);
	/* Moving the APIC to the front shifts every index: the ports still find theirs. */
	assert_true(dev_rebase(&g, &apic, 0xFEB00000, true));
	assert_ptr_equal(port_owner(0x20, 1), &pic);
	assert_ptr_equal(port_owner(0x40, 4), &pit);
	assert_ptr_equal(port_owner(0x3F8, 1), &uart);
	assert_ptr_equal(port_owner(0x3F2, 1), &fdc);
	assert_true(dev_rebase(&g, &apic, 0xFEE00000, false));
	assert_ptr_equal(port_owner(0x21, 1), &pic);
	assert_ptr_equal(port_owner(0x3FF, 1), &uart);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_register_refuses_overlap, setup),
	    cmocka_unit_test_setup(test_rebase_over_takes_the_page, setup),
	    cmocka_unit_test_setup(test_rebase_under_gives_the_page_back, setup),
	    cmocka_unit_test_setup(test_rebase_refuses, setup),
	    cmocka_unit_test_setup(test_ports_through_the_index, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
