/*
 * Host tests for dev/pic8259_core.c: the 8259A pair's initialisation
 * sequence, masks, priorities, the EOI forms, AEOI, the cascade, poll,
 * level inputs and the spurious IR7 of an INTA with nothing pending.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "dev/pic8259_core.h"

#define M PIC8259_MASTER
#define S PIC8259_SLAVE

static struct pic8259_core p;

/* Linux's sequence: master at 0x20, slave at 0x28, 8086 mode, then the masks. */
static void init_pc(u8 master_imr, u8 slave_imr)
{
	pic8259_core_init(&p);
	pic8259_core_write(&p, M, 0, 0x11);
	pic8259_core_write(&p, M, 1, 0x20);
	pic8259_core_write(&p, M, 1, 0x04);
	pic8259_core_write(&p, M, 1, 0x01);
	pic8259_core_write(&p, S, 0, 0x11);
	pic8259_core_write(&p, S, 1, 0x28);
	pic8259_core_write(&p, S, 1, 0x02);
	pic8259_core_write(&p, S, 1, 0x01);
	pic8259_core_write(&p, M, 1, master_imr);
	pic8259_core_write(&p, S, 1, slave_imr);
}

static void pulse(unsigned irq)
{
	pic8259_core_set_irq(&p, irq, true);
	pic8259_core_set_irq(&p, irq, false);
}

static u8 read_irr(unsigned chip)
{
	pic8259_core_write(&p, chip, 0, 0x0A);
	return pic8259_core_read(&p, chip, 0);
}

static u8 read_isr(unsigned chip)
{
	pic8259_core_write(&p, chip, 0, 0x0B);
	return pic8259_core_read(&p, chip, 0);
}

static void eoi(unsigned chip)
{
	pic8259_core_write(&p, chip, 0, 0x20);
}

static void test_bios_state(void **state)
{
	pic8259_core_init(&p);
	assert_int_equal(pic8259_core_read(&p, M, 1), 0xFF);
	assert_int_equal(pic8259_core_read(&p, S, 1), 0xFF);
	pulse(1);
	assert_false(pic8259_core_intr(&p));
	assert_int_equal(read_irr(M), 0x02); /* the IRR latches even when masked */
	pic8259_core_write(&p, M, 1, 0xFD);
	assert_true(pic8259_core_intr(&p));
	assert_int_equal(pic8259_core_inta(&p), 0x09); /* BIOS base 0x08 */
	pic8259_core_write(&p, S, 1, 0xFE);
	pic8259_core_write(&p, M, 1, 0xFB);
	pulse(8);
	eoi(M);
	assert_int_equal(pic8259_core_inta(&p), 0x70); /* BIOS slave base 0x70 */
}

static void test_icw_sequence(void **state)
{
	pic8259_core_init(&p);
	pulse(3);
	pic8259_core_write(&p, M, 1, 0xF7);
	assert_int_equal(pic8259_core_inta(&p), 0x0B);
	assert_int_equal(read_isr(M), 0x08);
	pulse(4);
	/* ICW1: IMR, ISR and IRR cleared; reads select the IRR again. */
	pic8259_core_write(&p, M, 0, 0x11);
	assert_int_equal(pic8259_core_read(&p, M, 1), 0x00);
	assert_int_equal(pic8259_core_read(&p, M, 0), 0x00);
	assert_false(pic8259_core_intr(&p)); /* nothing while the ICWs are due */
	pic8259_core_write(&p, M, 1, 0x27);  /* ICW2: low three bits ignored */
	pic8259_core_write(&p, M, 1, 0x04);  /* ICW3 */
	pic8259_core_write(&p, M, 1, 0x01);  /* ICW4 */
	assert_int_equal(pic8259_core_read(&p, M, 1), 0x00);
	pic8259_core_write(&p, M, 1, 0xA5); /* OCW1 */
	assert_int_equal(pic8259_core_read(&p, M, 1), 0xA5);
	assert_int_equal(read_isr(M), 0x00);
	assert_int_equal(read_irr(M), 0x00);
	pic8259_core_write(&p, M, 1, 0x00);
	pulse(6);
	assert_int_equal(pic8259_core_inta(&p), 0x26);
}

static void test_icw_single_and_no_icw4(void **state)
{
	pic8259_core_init(&p);
	/* SNGL and IC4: ICW2 then ICW4, no ICW3. ICW4 asks for AEOI. */
	pic8259_core_write(&p, M, 0, 0x13);
	pic8259_core_write(&p, M, 1, 0x40);
	pic8259_core_write(&p, M, 1, 0x03);
	pic8259_core_write(&p, M, 1, 0xFE);
	assert_int_equal(pic8259_core_read(&p, M, 1), 0xFE);
	pulse(0);
	assert_int_equal(pic8259_core_inta(&p), 0x40);
	assert_int_equal(read_isr(M), 0x00);
	/* Neither SNGL nor IC4: ICW2, ICW3, then OCW1; ICW4's AEOI is gone. */
	pic8259_core_write(&p, M, 0, 0x10);
	pic8259_core_write(&p, M, 1, 0x50);
	pic8259_core_write(&p, M, 1, 0x04);
	pic8259_core_write(&p, M, 1, 0xFE);
	assert_int_equal(pic8259_core_read(&p, M, 1), 0xFE);
	pulse(0);
	assert_int_equal(pic8259_core_inta(&p), 0x50);
	assert_int_equal(read_isr(M), 0x01);
}

static void test_masks(void **state)
{
	init_pc(0xFF, 0xFF);
	pulse(5);
	assert_false(pic8259_core_intr(&p));
	pic8259_core_write(&p, M, 1, 0xDF);
	assert_true(pic8259_core_intr(&p));
	pic8259_core_write(&p, M, 1, 0xFF);
	assert_false(pic8259_core_intr(&p));
	pic8259_core_write(&p, M, 1, 0x00);
	assert_int_equal(pic8259_core_inta(&p), 0x25);
	assert_false(pic8259_core_intr(&p));
}

static void test_priority_and_nesting(void **state)
{
	init_pc(0x00, 0xFF);
	pulse(5);
	pulse(3);
	assert_int_equal(read_irr(M), 0x28);
	assert_int_equal(pic8259_core_inta(&p), 0x23); /* IR3 before IR5 */
	assert_false(pic8259_core_intr(&p));	       /* IR5 ranks below IR3 in service */
	pulse(1);
	assert_true(pic8259_core_intr(&p)); /* IR1 ranks above: it nests */
	assert_int_equal(pic8259_core_inta(&p), 0x21);
	assert_int_equal(read_isr(M), 0x0A);
	eoi(M); /* ends IR1, the highest in service */
	assert_int_equal(read_isr(M), 0x08);
	assert_false(pic8259_core_intr(&p));
	eoi(M);
	assert_int_equal(pic8259_core_inta(&p), 0x25);
}

static void test_eoi_forms(void **state)
{
	init_pc(0x00, 0xFF);
	pulse(3);
	assert_int_equal(pic8259_core_inta(&p), 0x23);
	pulse(1);
	assert_int_equal(pic8259_core_inta(&p), 0x21);
	pic8259_core_write(&p, M, 0, 0x63); /* specific EOI of IR3 */
	assert_int_equal(read_isr(M), 0x02);
	pic8259_core_write(&p, M, 0, 0x61); /* specific EOI of IR1 */
	assert_int_equal(read_isr(M), 0x00);
	/* Rotate on non-specific EOI: IR3 becomes the lowest, IR4 the highest. */
	pulse(3);
	assert_int_equal(pic8259_core_inta(&p), 0x23);
	pic8259_core_write(&p, M, 0, 0xA0);
	assert_int_equal(read_isr(M), 0x00);
	pulse(5);
	pulse(0);
	assert_int_equal(pic8259_core_inta(&p), 0x25);
	pic8259_core_write(&p, M, 0, 0xE5); /* rotate on specific EOI: IR5 lowest */
	assert_int_equal(pic8259_core_inta(&p), 0x20);
	eoi(M);
	/* Set priority: IR0 lowest, so IR1 ranks first. */
	pic8259_core_write(&p, M, 0, 0xC0);
	pulse(1);
	assert_int_equal(pic8259_core_inta(&p), 0x21);
	/* A non-specific EOI with nothing in service changes nothing. */
	eoi(M);
	eoi(M);
	assert_int_equal(read_isr(M), 0x00);
}

static void test_aeoi(void **state)
{
	init_pc(0x00, 0xFF);
	pic8259_core_write(&p, M, 0, 0x11);
	pic8259_core_write(&p, M, 1, 0x20);
	pic8259_core_write(&p, M, 1, 0x04);
	pic8259_core_write(&p, M, 1, 0x03); /* AEOI */
	pulse(1);
	pulse(4);
	assert_int_equal(pic8259_core_inta(&p), 0x21);
	assert_int_equal(read_isr(M), 0x00);
	assert_true(pic8259_core_intr(&p)); /* nothing in service blocks IR4 */
	assert_int_equal(pic8259_core_inta(&p), 0x24);
	/* Rotate in AEOI mode: each acknowledged IR becomes the lowest. */
	pic8259_core_write(&p, M, 0, 0x80);
	pulse(1);
	assert_int_equal(pic8259_core_inta(&p), 0x21);
	pulse(1);
	pulse(3);
	assert_int_equal(pic8259_core_inta(&p), 0x23);
}

static void test_cascade(void **state)
{
	init_pc(0xFB, 0x00);
	pulse(10);
	assert_true(pic8259_core_intr(&p));
	assert_int_equal(read_irr(S), 0x04);
	assert_int_equal(pic8259_core_inta(&p), 0x2A);
	assert_int_equal(read_isr(M), 0x04);
	assert_int_equal(read_isr(S), 0x04);
	/* IRQ 9 ranks above IRQ 10 on the slave, but the master's IR2 is in service. */
	pulse(9);
	assert_false(pic8259_core_intr(&p));
	eoi(M);
	assert_true(pic8259_core_intr(&p));
	assert_int_equal(pic8259_core_inta(&p), 0x29);
	assert_int_equal(read_isr(S), 0x06);
	eoi(S);
	eoi(S);
	eoi(M);
	assert_int_equal(read_isr(S), 0x00);
	assert_int_equal(read_isr(M), 0x00);
	assert_false(pic8259_core_intr(&p));
	/* The cascade input: IRQ 2 does not exist on its own. */
	pic8259_core_set_irq(&p, 2, true);
	assert_int_equal(read_irr(M), 0x00);
}

static void test_special_fully_nested(void **state)
{
	init_pc(0xFB, 0x00);
	pic8259_core_write(&p, M, 0, 0x11);
	pic8259_core_write(&p, M, 1, 0x20);
	pic8259_core_write(&p, M, 1, 0x04);
	pic8259_core_write(&p, M, 1, 0x11); /* SFNM */
	pic8259_core_write(&p, M, 1, 0xFB);
	pulse(12);
	assert_int_equal(pic8259_core_inta(&p), 0x2C);
	pulse(9);
	assert_true(pic8259_core_intr(&p)); /* a higher slave request passes IR2 in service */
	assert_int_equal(pic8259_core_inta(&p), 0x29);
	pulse(14);
	assert_false(pic8259_core_intr(&p)); /* a lower one does not */
}

static void test_spurious(void **state)
{
	init_pc(0x00, 0x00);
	pulse(3);
	pic8259_core_write(&p, M, 1, 0x08); /* the request went away before INTA */
	assert_false(pic8259_core_intr(&p));
	assert_int_equal(pic8259_core_inta(&p), 0x27);
	assert_int_equal(read_isr(M), 0x00);
	/* Slave: IR2 latched on the master, the slave's request masked before INTA. */
	pic8259_core_write(&p, M, 1, 0x00);
	pic8259_core_write(&p, M, 0, 0x63);
	pulse(12);
	pic8259_core_write(&p, S, 1, 0x10);
	assert_true(pic8259_core_intr(&p));
	assert_int_equal(pic8259_core_inta(&p), 0x2F); /* IRQ 15 */
	assert_int_equal(read_isr(S), 0x00);
	assert_int_equal(read_isr(M), 0x04); /* the master did acknowledge IR2 */
}

static void test_ocw3_reads_and_poll(void **state)
{
	init_pc(0x00, 0xFF);
	pulse(4);
	pulse(6);
	assert_int_equal(read_irr(M), 0x50);
	assert_int_equal(read_isr(M), 0x00);
	pic8259_core_write(&p, M, 0, 0x08); /* RR clear: the selection stays ISR */
	assert_int_equal(pic8259_core_read(&p, M, 0), 0x00);
	assert_true(pic8259_core_reads_imr(&p, M, 1));
	assert_false(pic8259_core_reads_imr(&p, M, 0));
	assert_int_equal(pic8259_core_read(&p, M, 1), 0x00); /* A0 = 1 is the IMR */
	pic8259_core_write(&p, M, 0, 0x0C);		     /* poll */
	assert_false(pic8259_core_reads_imr(&p, M, 1));	     /* the next read is the poll word */
	assert_int_equal(pic8259_core_read(&p, M, 0), 0x84);
	assert_int_equal(read_isr(M), 0x10);
	assert_int_equal(read_irr(M), 0x40);
	pic8259_core_write(&p, M, 0, 0x0C);
	assert_int_equal(pic8259_core_read(&p, M, 0), 0x00); /* IR6 ranks below IR4 in service */
	assert_int_equal(read_irr(M), 0x40);		     /* a poll reads once */
	eoi(M);
	pic8259_core_write(&p, M, 0, 0x0C);
	assert_int_equal(pic8259_core_read(&p, M, 1), 0x86);
}

static void test_edge_and_level(void **state)
{
	init_pc(0x00, 0x00);
	pic8259_core_set_irq(&p, 5, true);
	assert_int_equal(pic8259_core_inta(&p), 0x25);
	eoi(M);
	pic8259_core_set_irq(&p, 5, true);
	assert_false(pic8259_core_intr(&p)); /* held high: no new edge */
	pic8259_core_set_irq(&p, 5, false);
	pic8259_core_set_irq(&p, 5, true);
	assert_true(pic8259_core_intr(&p));
	pic8259_core_set_irq(&p, 5, false);
	assert_true(pic8259_core_intr(&p)); /* an edge stays latched */
	assert_int_equal(pic8259_core_inta(&p), 0x25);
	eoi(M);
	/* ELCR: IRQ 9 level triggered; IRQ 0-2, 8, 13 stay edge. */
	pic8259_core_elcr_write(&p, M, 0xFF);
	pic8259_core_elcr_write(&p, S, 0xFF);
	assert_int_equal(pic8259_core_elcr_read(&p, M), 0xF8);
	assert_int_equal(pic8259_core_elcr_read(&p, S), 0xDE);
	pic8259_core_set_irq(&p, 9, true);
	assert_int_equal(pic8259_core_inta(&p), 0x29);
	eoi(S);
	eoi(M);
	assert_true(pic8259_core_intr(&p)); /* still high: requests again */
	assert_int_equal(pic8259_core_inta(&p), 0x29);
	pic8259_core_set_irq(&p, 9, false);
	eoi(S);
	eoi(M);
	assert_false(pic8259_core_intr(&p));
	/* ICW1.LTIM makes every input level triggered. */
	pic8259_core_write(&p, M, 0, 0x19);
	pic8259_core_write(&p, M, 1, 0x20);
	pic8259_core_write(&p, M, 1, 0x04);
	pic8259_core_write(&p, M, 1, 0x01);
	pic8259_core_set_irq(&p, 0, true);
	assert_int_equal(pic8259_core_inta(&p), 0x20);
	eoi(M);
	assert_int_equal(pic8259_core_inta(&p), 0x20);
}

static void test_special_mask_mode(void **state)
{
	init_pc(0x00, 0xFF);
	pulse(1);
	assert_int_equal(pic8259_core_inta(&p), 0x21);
	pulse(5);
	assert_false(pic8259_core_intr(&p));
	pic8259_core_write(&p, M, 1, 0x02); /* mask the level in service */
	pic8259_core_write(&p, M, 0, 0x68); /* ESMM | SMM */
	assert_true(pic8259_core_intr(&p)); /* a lower level gets through */
	assert_int_equal(pic8259_core_inta(&p), 0x25);
	pic8259_core_write(&p, M, 0, 0x48); /* ESMM, SMM clear: back to nesting */
	pulse(6);
	assert_false(pic8259_core_intr(&p));
}

static void test_out_of_range(void **state)
{
	init_pc(0x00, 0x00);
	pic8259_core_set_irq(&p, 16, true);
	pic8259_core_set_irq(&p, 255, true);
	assert_false(pic8259_core_intr(&p));
	pic8259_core_write(&p, 3, 1, 0x5A); /* the chip number wraps to the slave */
	assert_int_equal(pic8259_core_read(&p, S, 1), 0x5A);
	assert_int_equal(pic8259_core_read(&p, M, 3), 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bios_state),
	    cmocka_unit_test(test_icw_sequence),
	    cmocka_unit_test(test_icw_single_and_no_icw4),
	    cmocka_unit_test(test_masks),
	    cmocka_unit_test(test_priority_and_nesting),
	    cmocka_unit_test(test_eoi_forms),
	    cmocka_unit_test(test_aeoi),
	    cmocka_unit_test(test_cascade),
	    cmocka_unit_test(test_special_fully_nested),
	    cmocka_unit_test(test_spurious),
	    cmocka_unit_test(test_ocw3_reads_and_poll),
	    cmocka_unit_test(test_edge_and_level),
	    cmocka_unit_test(test_special_mask_mode),
	    cmocka_unit_test(test_out_of_range),
	};

	return cmocka_run_group_tests_name("pic8259", tests, NULL, NULL);
}
