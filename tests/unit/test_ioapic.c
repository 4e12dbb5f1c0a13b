/*
 * Host tests for dev/ioapic_core.c: the 82093AA's registers through
 * IOREGSEL/IOWIN at every access size, the ID/VER/ARB registers, the
 * redirection entries' writable, read-only and reserved bits, and the
 * input pins: edge and level triggering, masks, remote IRR and the EOI
 * message, the delivery modes that are edge-triggered whatever the trigger
 * bit says, and the messages' fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dev/ioapic_core.h"

#define MAX_MSGS 16

static struct ioapic_core c;
static struct ioapic_msg msgs[MAX_MSGS];
static unsigned msg_count;
static bool accept = true; /* what the local APICs answer */

static bool record(void *ctx, const struct ioapic_msg *m)
{
	assert_ptr_equal(ctx, &c);
	assert_true(msg_count < MAX_MSGS);
	msgs[msg_count++] = *m;
	return accept;
}

static void reset(u8 id)
{
	ioapic_core_init(&c, id, record, &c);
	msg_count = 0;
	accept = true;
}

/* A 32-bit register access the way software makes it: IOREGSEL, then IOWIN. */
static u32 rd(u8 reg)
{
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 4, reg);
	return (u32)ioapic_core_read(&c, IOAPIC_IOWIN, 4);
}

static void wr(u8 reg, u32 val)
{
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 4, reg);
	ioapic_core_write(&c, IOAPIC_IOWIN, 4, val);
}

static u64 rte(unsigned pin)
{
	return (u64)rd((u8)(IOAPIC_REG_REDTBL + 2 * pin + 1)) << 32 |
	       rd((u8)(IOAPIC_REG_REDTBL + 2 * pin));
}

/* High dword first, then the low one (which may unmask), as Linux does. */
static void set_rte(unsigned pin, u64 e)
{
	wr((u8)(IOAPIC_REG_REDTBL + 2 * pin + 1), (u32)(e >> 32));
	wr((u8)(IOAPIC_REG_REDTBL + 2 * pin), (u32)e);
}

#define LEVEL	IOAPIC_RTE_LEVEL
#define MASK	IOAPIC_RTE_MASKED
#define RIRR	IOAPIC_RTE_REMOTE_IRR
#define DEST(d) ((u64)(d) << IOAPIC_RTE_DEST_SHIFT)
#define DM(m)	((u64)(m) << IOAPIC_RTE_DM_SHIFT)

static void test_reset_state(void **state)
{
	reset(0x12); /* a 4-bit ID: the high bits are dropped */
	assert_int_equal(rd(IOAPIC_REG_ID), 0x02000000);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x02000000);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011); /* 24 entries, version 0x11 */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		assert_int_equal(rte(pin), IOAPIC_RTE_MASKED);
	reset(0);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOREGSEL, 4), 0);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN, 4), 0); /* ID 0 */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		ioapic_core_set_irq(&c, pin, true);
	assert_int_equal(msg_count, 0); /* everything masked */
}

static void test_id_ver_arb(void **state)
{
	reset(0);
	wr(IOAPIC_REG_ID, 0xFFFFFFFF);
	assert_int_equal(rd(IOAPIC_REG_ID), 0x0F000000);  /* bits 27:24 only */
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x0F000000); /* loaded when ID is written */
	wr(IOAPIC_REG_ARB, 0x03000000);			  /* read-only */
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x0F000000);
	wr(IOAPIC_REG_VER, 0);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170011);
	wr(IOAPIC_REG_ID, 0x05000000);
	assert_int_equal(rd(IOAPIC_REG_ID), 0x05000000);
	assert_int_equal(rd(IOAPIC_REG_ARB), 0x05000000);
}

static void test_undefined_registers(void **state)
{
	static const u8 regs[] = {0x03, 0x0F, IOAPIC_REG_LAST + 1, 0x80, 0xFF};

	reset(3);
	for (unsigned i = 0; i < sizeof(regs); i++) {
		wr(regs[i], 0xFFFFFFFF);
		assert_int_equal(rd(regs[i]), 0);
	}
	assert_int_equal(rd(IOAPIC_REG_ID), 0x03000000);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		assert_int_equal(rte(pin), IOAPIC_RTE_MASKED);
}

static void test_ioregsel(void **state)
{
	reset(0);
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 4, 0x12345601);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOREGSEL, 4), 0x01); /* 31:8 reserved */
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN, 4), 0x00170011);
	/* Only 32-bit writes: the narrower and wider ones are ignored. */
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 1, 0x00);
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 2, 0x00);
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 8, 0x00);
	ioapic_core_write(&c, IOAPIC_IOREGSEL + 1, 4, 0x00);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOREGSEL, 1), 0x01);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOREGSEL + 1, 1), 0x00);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOREGSEL, 8), 0x01);
}

static void test_iowin_sizes(void **state)
{
	reset(0);
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 4, IOAPIC_REG_VER);
	/* Reads of any size return the bytes they cover. */
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN, 1), 0x11);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN + 2, 1), 0x17);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN, 2), 0x0011);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN + 2, 2), 0x0017);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN, 8), 0x00170011);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOWIN - 4, 8), 0x0017001100000000ULL);
	/* A write other than 32 bits at IOWIN is ignored. */
	ioapic_core_write(&c, IOAPIC_IOREGSEL, 4, IOAPIC_REG_ID);
	ioapic_core_write(&c, IOAPIC_IOWIN + 3, 1, 0x0F);
	ioapic_core_write(&c, IOAPIC_IOWIN + 2, 2, 0x0F00);
	ioapic_core_write(&c, IOAPIC_IOWIN, 8, 0x0F000000);
	ioapic_core_write(&c, IOAPIC_IOWIN + 4, 4, 0x0F000000);
	assert_int_equal(rd(IOAPIC_REG_ID), 0);
	/* The rest of the page reads 0 and ignores writes (no EOI register at 0x40). */
	ioapic_core_write(&c, 0x20, 4, 0xFFFFFFFF);
	ioapic_core_write(&c, 0x40, 4, 0xFFFFFFFF);
	assert_int_equal(ioapic_core_read(&c, 0x04, 4), 0);
	assert_int_equal(ioapic_core_read(&c, 0x20, 4), 0);
	assert_int_equal(ioapic_core_read(&c, 0x40, 4), 0);
	assert_int_equal(ioapic_core_read(&c, 0xFF8, 8), 0);
	assert_int_equal(ioapic_core_read(&c, IOAPIC_IOREGSEL, 4), IOAPIC_REG_ID);
}

static void test_rte_bits(void **state)
{
	reset(0);
	/* Writable: vector, delivery mode, destination mode, polarity, trigger, mask. */
	wr(IOAPIC_REG_REDTBL + 10, 0xFFFFFFFF);
	assert_int_equal(rd(IOAPIC_REG_REDTBL + 10), 0x0001AFFF); /* 12 and 14 RO, 31:17 reserved */
	wr(IOAPIC_REG_REDTBL + 11, 0xFFFFFFFF);
	assert_int_equal(rd(IOAPIC_REG_REDTBL + 11), 0xFF000000); /* 55:32 reserved */
	wr(IOAPIC_REG_REDTBL + 10, 0x00014A5A);
	assert_int_equal(rte(5), DEST(0xFF) | 0x00010A5A); /* remote IRR written 1: still 0 */
	wr(IOAPIC_REG_REDTBL + 10, IOAPIC_RTE_MASKED);
	wr(IOAPIC_REG_REDTBL + 11, 0);
	assert_int_equal(rte(5), IOAPIC_RTE_MASKED);
	/* The other entries are untouched. */
	assert_int_equal(rte(4), IOAPIC_RTE_MASKED);
	assert_int_equal(rte(6), IOAPIC_RTE_MASKED);
	/* Entry 23 is the last: registers 0x3E and 0x3F. */
	wr(IOAPIC_REG_LAST, 0x12000000);
	assert_int_equal(rte(23), DEST(0x12) | IOAPIC_RTE_MASKED);
	/* Polarity is stored; the delivery status bit reads 0 after a delivery too. */
	set_rte(7, 0x30 | IOAPIC_RTE_POLARITY);
	ioapic_core_set_irq(&c, 7, true);
	assert_int_equal(msg_count, 1);
	assert_int_equal(rte(7), 0x30 | IOAPIC_RTE_POLARITY);
}

static void test_edge(void **state)
{
	reset(0);
	set_rte(2, DEST(0x01) | 0x30);
	ioapic_core_set_irq(&c, 2, true);
	assert_int_equal(msg_count, 1);
	assert_int_equal(msgs[0].vector, 0x30);
	assert_int_equal(msgs[0].delivery_mode, IOAPIC_DM_FIXED);
	assert_int_equal(msgs[0].dest, 0x01);
	assert_false(msgs[0].logical);
	assert_false(msgs[0].level);
	ioapic_core_set_irq(&c, 2, true); /* still high: no edge */
	ioapic_core_set_irq(&c, 2, false);
	assert_int_equal(msg_count, 1);
	ioapic_core_set_irq(&c, 2, true);
	assert_int_equal(msg_count, 2);
	assert_int_equal(rte(2), DEST(0x01) | 0x30); /* no remote IRR for edges */
	ioapic_core_eoi(&c, 0x30);		     /* an EOI changes nothing */
	assert_int_equal(msg_count, 2);
	/* Only the entry's own pin. */
	ioapic_core_set_irq(&c, 3, true);
	assert_int_equal(msg_count, 2);
}

static void test_edge_masked_is_lost(void **state)
{
	reset(0);
	set_rte(2, MASK | 0x30);
	ioapic_core_set_irq(&c, 2, true);
	set_rte(2, 0x30); /* unmasked with the pin high: the edge is gone */
	assert_int_equal(msg_count, 0);
	ioapic_core_set_irq(&c, 2, false);
	ioapic_core_set_irq(&c, 2, true);
	assert_int_equal(msg_count, 1);
}

static void test_level_remote_irr_and_eoi(void **state)
{
	reset(0);
	set_rte(9, DEST(0x00) | LEVEL | 0x41);
	assert_int_equal(msg_count, 0); /* pin low: nothing */
	ioapic_core_set_irq(&c, 9, true);
	assert_int_equal(msg_count, 1);
	assert_true(msgs[0].level);
	assert_int_equal(msgs[0].vector, 0x41);
	assert_int_equal(rte(9), LEVEL | RIRR | 0x41);
	/* Asserted again, or held: nothing until the EOI. */
	ioapic_core_set_irq(&c, 9, true);
	ioapic_core_eoi(&c, 0x42);
	assert_int_equal(msg_count, 1);
	assert_true(rte(9) & RIRR);
	/* The EOI with the pin still asserted: remote IRR clears and the message goes again. */
	ioapic_core_eoi(&c, 0x41);
	assert_int_equal(msg_count, 2);
	assert_true(rte(9) & RIRR);
	/* Deasserted before the EOI: remote IRR clears, nothing more. */
	ioapic_core_set_irq(&c, 9, false);
	assert_true(rte(9) & RIRR);
	ioapic_core_eoi(&c, 0x41);
	assert_int_equal(msg_count, 2);
	assert_int_equal(rte(9), LEVEL | 0x41);
	/* A write cannot set or clear remote IRR while the entry stays level-triggered. */
	ioapic_core_set_irq(&c, 9, true);
	assert_int_equal(msg_count, 3);
	wr(IOAPIC_REG_REDTBL + 18, LEVEL | 0x41);
	assert_int_equal(msg_count, 3);
	assert_true(rte(9) & RIRR);
}

static void test_level_masked_delivers_on_unmask(void **state)
{
	reset(0);
	set_rte(4, MASK | LEVEL | 0x50);
	ioapic_core_set_irq(&c, 4, true);
	assert_int_equal(msg_count, 0);
	assert_int_equal(rte(4), MASK | LEVEL | 0x50);
	set_rte(4, LEVEL | 0x50);
	assert_int_equal(msg_count, 1);
	assert_true(rte(4) & RIRR);
	/* Masked after acceptance: the EOI still clears remote IRR, nothing is sent. */
	set_rte(4, MASK | LEVEL | 0x50);
	ioapic_core_eoi(&c, 0x50);
	assert_int_equal(rte(4), MASK | LEVEL | 0x50);
	assert_int_equal(msg_count, 1);
	set_rte(4, LEVEL | 0x50);
	assert_int_equal(msg_count, 2);
	/* Asserted and deasserted while masked: nothing on unmask. */
	set_rte(4, MASK | LEVEL | 0x50);
	ioapic_core_eoi(&c, 0x50);
	ioapic_core_set_irq(&c, 4, false);
	ioapic_core_set_irq(&c, 4, true);
	ioapic_core_set_irq(&c, 4, false);
	set_rte(4, LEVEL | 0x50);
	assert_int_equal(msg_count, 2);
	assert_int_equal(rte(4), LEVEL | 0x50);
}

static void test_level_becomes_edge_clears_remote_irr(void **state)
{
	reset(0);
	set_rte(11, LEVEL | 0x60);
	ioapic_core_set_irq(&c, 11, true);
	assert_true(rte(11) & RIRR);
	/* Software's way out of a stuck remote IRR: make it edge-triggered, then level. */
	set_rte(11, MASK | 0x60);
	assert_int_equal(rte(11), MASK | 0x60);
	set_rte(11, MASK | LEVEL | 0x60);
	assert_int_equal(rte(11), MASK | LEVEL | 0x60);
	assert_int_equal(msg_count, 1);
	/* An edge entry made level with its pin asserted sends at once. */
	set_rte(11, LEVEL | 0x60);
	assert_int_equal(msg_count, 2);
	assert_true(rte(11) & RIRR);
}

static void test_level_not_accepted(void **state)
{
	reset(0);
	accept = false; /* say the destination names no local APIC */
	set_rte(5, DEST(0x07) | LEVEL | 0x70);
	ioapic_core_set_irq(&c, 5, true);
	assert_int_equal(msg_count, 1);
	assert_false(rte(5) & RIRR); /* no EOI will come */
	accept = true;
	set_rte(5, DEST(0x00) | LEVEL | 0x70); /* reprogrammed: it goes out again */
	assert_int_equal(msg_count, 2);
	assert_true(rte(5) & RIRR);
}

static void test_eoi_every_entry_of_the_vector(void **state)
{
	reset(0);
	set_rte(16, LEVEL | 0x80);
	set_rte(17, LEVEL | 0x80);
	set_rte(18, LEVEL | 0x81);
	ioapic_core_set_irq(&c, 16, true);
	ioapic_core_set_irq(&c, 17, true);
	ioapic_core_set_irq(&c, 18, true);
	assert_int_equal(msg_count, 3);
	ioapic_core_set_irq(&c, 17, false);
	ioapic_core_eoi(&c, 0x80);
	assert_int_equal(msg_count, 4); /* pin 16 again; pin 17 is low */
	assert_int_equal(msgs[3].vector, 0x80);
	assert_true(rte(16) & RIRR);
	assert_false(rte(17) & RIRR);
	assert_true(rte(18) & RIRR); /* another vector */
}

static void test_edge_only_modes(void **state)
{
	static const unsigned modes[] = {IOAPIC_DM_SMI, IOAPIC_DM_NMI, IOAPIC_DM_INIT,
					 IOAPIC_DM_EXTINT};

	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		reset(0);
		set_rte(1, LEVEL | DM(modes[i]));
		assert_int_equal(rte(1), LEVEL | DM(modes[i])); /* the bit reads back */
		ioapic_core_set_irq(&c, 1, true);
		assert_int_equal(msg_count, 1);
		assert_int_equal(msgs[0].delivery_mode, modes[i]);
		assert_false(msgs[0].level);
		assert_false(rte(1) & RIRR);
		ioapic_core_set_irq(&c, 1, true); /* no edge: nothing */
		ioapic_core_eoi(&c, 0);
		assert_int_equal(msg_count, 1);
	}
}

static void test_message_fields(void **state)
{
	reset(0);
	set_rte(20, DEST(0xA5) | IOAPIC_RTE_LOGICAL | DM(IOAPIC_DM_LOWEST) | LEVEL | 0xEE);
	ioapic_core_set_irq(&c, 20, true);
	assert_int_equal(msg_count, 1);
	assert_int_equal(msgs[0].vector, 0xEE);
	assert_int_equal(msgs[0].delivery_mode, IOAPIC_DM_LOWEST);
	assert_int_equal(msgs[0].dest, 0xA5);
	assert_true(msgs[0].logical);
	assert_true(msgs[0].level);
	/* Reserved delivery modes go out as written; the receiver drops them. */
	set_rte(21, DM(3) | 0x33);
	ioapic_core_set_irq(&c, 21, true);
	assert_int_equal(msgs[1].delivery_mode, 3);
}

static void test_out_of_range_pins(void **state)
{
	reset(0);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		set_rte(pin, 0x30 + pin);
	ioapic_core_set_irq(&c, IOAPIC_PINS, true);
	ioapic_core_set_irq(&c, 255, true);
	ioapic_core_set_irq(&c, ~0u, true);
	assert_int_equal(msg_count, 0);
	assert_int_equal(c.lines, 0);
	ioapic_core_set_irq(&c, IOAPIC_PINS - 1, true);
	assert_int_equal(msg_count, 1);
	assert_int_equal(msgs[0].vector, 0x30 + IOAPIC_PINS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_state),
	    cmocka_unit_test(test_id_ver_arb),
	    cmocka_unit_test(test_undefined_registers),
	    cmocka_unit_test(test_ioregsel),
	    cmocka_unit_test(test_iowin_sizes),
	    cmocka_unit_test(test_rte_bits),
	    cmocka_unit_test(test_edge),
	    cmocka_unit_test(test_edge_masked_is_lost),
	    cmocka_unit_test(test_level_remote_irr_and_eoi),
	    cmocka_unit_test(test_level_masked_delivers_on_unmask),
	    cmocka_unit_test(test_level_becomes_edge_clears_remote_irr),
	    cmocka_unit_test(test_level_not_accepted),
	    cmocka_unit_test(test_eoi_every_entry_of_the_vector),
	    cmocka_unit_test(test_edge_only_modes),
	    cmocka_unit_test(test_message_fields),
	    cmocka_unit_test(test_out_of_range_pins),
	};

	return cmocka_run_group_tests_name("ioapic", tests, NULL, NULL);
}
