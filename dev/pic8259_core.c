/*
 * The 8259A pair's state machine (dev/pic8259_core.h), after the Intel
 * 8259A data sheet.
 *
 *   IRQ 8-15 -> slave IR0-7 --INT--> master IR2     master INT -> CPU INTR
 *   IRQ 0,1,3-7 ------------------> master IR0-7
 *
 * Priorities rotate: the IR after `lowest` ranks first (IR0 after ICW1).
 * A request interrupts when it is unmasked and ranks above every level in
 * service (fully nested mode). The master's IR2 sees the slave's INT: a
 * rising edge latches IRR bit 2 as on any edge-triggered input, and the
 * level keeps requesting while it stays high, so a slave request that is
 * still pending after an acknowledge (AEOI) is never lost. A latched IR2
 * whose slave request went away before the INTA gives the slave's
 * spurious IR7 (IRQ 15), as on hardware.
 */
#include "dev/pic8259_core.h"

#define PIC8259_BIOS_MASTER_BASE 0x08
#define PIC8259_BIOS_SLAVE_BASE	 0x70
#define PIC8259_ICW3_MASTER	 BIT(PIC8259_CASCADE) /* a slave on IR2 */
#define PIC8259_ICW3_SLAVE_ID	 PIC8259_CASCADE
#define PIC8259_VECTOR_MASK	 0xF8

/* Priority rank of ir: 0 is the highest. */
static unsigned rank(const struct pic8259_chip *c, unsigned ir)
{
	return (ir - c->lowest - 1) & 7;
}

/* The highest-priority IR set in bits, or -1. */
static int highest(const struct pic8259_chip *c, u8 bits)
{
	for (unsigned k = 0; k < 8; k++) {
		unsigned ir = (c->lowest + 1 + k) & 7;

		if (bits & BIT(ir))
			return (int)ir;
	}
	return -1;
}

/* Inputs that are level triggered: all with ICW1.LTIM, else those the ELCR selects. */
static u8 level_inputs(const struct pic8259_chip *c)
{
	return (c->icw1 & PIC8259_ICW1_LTIM) ? 0xFF : c->elcr;
}

/* True when the master takes the vector of an IR2 request from the slave. */
static bool cascaded(const struct pic8259_core *p)
{
	const struct pic8259_chip *m = &p->chip[PIC8259_MASTER];

	return !(m->icw1 & PIC8259_ICW1_SNGL) && (m->icw3 & PIC8259_ICW3_MASTER);
}

/* The chip's requests: IRR, and on the master the slave's INT level on IR2. */
static u8 requests(const struct pic8259_core *p, unsigned chip)
{
	const struct pic8259_chip *c = &p->chip[chip];

	if (chip == PIC8259_MASTER)
		return c->irr | (c->lines & BIT(PIC8259_CASCADE));
	return c->irr;
}

/* The IR the chip would present on INTA now, or -1 (its INT output is low). */
static int pending(const struct pic8259_core *p, unsigned chip)
{
	const struct pic8259_chip *c = &p->chip[chip];
	u8 req = requests(p, chip) & ~c->imr;
	u8 isr = c->isr;
	int r, s;

	if (c->init != PIC8259_READY)
		return -1; /* no INT while the ICW sequence runs */
	if (c->special_mask) {
		/* SMM: every unmasked level may interrupt, except one already in service. */
		r = highest(c, req & ~isr);
		return r;
	}
	r = highest(c, req);
	if (r < 0)
		return -1;
	/* SFNM: the slave's higher-priority requests pass the master's IR2 in service. */
	if (chip == PIC8259_MASTER && r == PIC8259_CASCADE && (c->icw4 & PIC8259_ICW4_SFNM) &&
	    cascaded(p))
		isr &= ~BIT(PIC8259_CASCADE);
	s = highest(c, isr);
	if (s >= 0 && rank(c, (unsigned)s) <= rank(c, (unsigned)r))
		return -1;
	return r;
}

/* Input ir of a chip is now at level: edge detection, or IRR following a level input. */
static void chip_set_line(struct pic8259_chip *c, unsigned ir, bool level)
{
	u8 bit = (u8)BIT(ir);

	if (level_inputs(c) & bit)
		c->irr = level ? (c->irr | bit) : (c->irr & ~bit);
	else if (level && !(c->lines & bit))
		c->irr |= bit;
	c->lines = level ? (c->lines | bit) : (c->lines & ~bit);
}

/* The slave's INT drives the master's IR2: call after anything that may change it. */
static void cascade_update(struct pic8259_core *p)
{
	chip_set_line(&p->chip[PIC8259_MASTER], PIC8259_CASCADE, pending(p, PIC8259_SLAVE) >= 0);
}

/* Level inputs' IRR bits follow their lines (after ICW1 or an ELCR change). */
static void chip_resample(struct pic8259_chip *c)
{
	u8 level = level_inputs(c);

	c->irr = (u8)((c->irr & ~level) | (c->lines & level));
}

/* Moves ir from request to service (or, with AEOI, straight through). */
static void acknowledge(struct pic8259_chip *c, unsigned ir)
{
	if (!(level_inputs(c) & BIT(ir)))
		c->irr &= (u8)~BIT(ir);
	if (!(c->icw4 & PIC8259_ICW4_AEOI))
		c->isr |= (u8)BIT(ir);
	else if (c->rotate_aeoi)
		c->lowest = (u8)ir;
}

static void bios_chip(struct pic8259_chip *c, u8 base, u8 icw3)
{
	c->icw1 = PIC8259_ICW1_INIT | PIC8259_ICW1_IC4;
	c->vector_base = base;
	c->icw3 = icw3;
	c->icw4 = PIC8259_ICW4_UPM;
	c->lowest = 7;
	c->imr = 0xFF;
	c->init = PIC8259_READY;
}

void pic8259_core_init(struct pic8259_core *p)
{
	*p = (struct pic8259_core){0};
	bios_chip(&p->chip[PIC8259_MASTER], PIC8259_BIOS_MASTER_BASE, PIC8259_ICW3_MASTER);
	bios_chip(&p->chip[PIC8259_SLAVE], PIC8259_BIOS_SLAVE_BASE, PIC8259_ICW3_SLAVE_ID);
}

/*
 * ICW1: the data sheet's reset. The mask is cleared, IR7 becomes the lowest
 * priority, special mask mode ends, reads select the IRR, ICW4 functions
 * are cleared (they come back with ICW4 if IC4). Edge sensing restarts: an
 * edge input already high must fall and rise again to request. Requests
 * and in-service levels are dropped.
 */
static void icw1(struct pic8259_chip *c, u8 val)
{
	c->icw1 = val;
	c->icw3 = 0;
	c->icw4 = 0;
	c->imr = 0;
	c->isr = 0;
	c->irr = 0;
	c->lowest = 7;
	c->read_isr = false;
	c->poll = false;
	c->special_mask = false;
	c->rotate_aeoi = false;
	c->init = PIC8259_WANT_ICW2;
	chip_resample(c);
}

/* The next ICW after ICW2 or ICW3, as ICW1's SNGL and IC4 asked. */
static enum pic8259_init after_icw(const struct pic8259_chip *c, enum pic8259_init done)
{
	if (done == PIC8259_WANT_ICW2 && !(c->icw1 & PIC8259_ICW1_SNGL))
		return PIC8259_WANT_ICW3;
	return (c->icw1 & PIC8259_ICW1_IC4) ? PIC8259_WANT_ICW4 : PIC8259_READY;
}

/* A write at A0 = 1: the ICW the sequence expects, else OCW1 (the mask). */
static void write_data(struct pic8259_chip *c, u8 val)
{
	switch (c->init) {
	case PIC8259_WANT_ICW2:
		c->vector_base = val & PIC8259_VECTOR_MASK;
		c->init = after_icw(c, PIC8259_WANT_ICW2);
		break;
	case PIC8259_WANT_ICW3:
		c->icw3 = val;
		c->init = after_icw(c, PIC8259_WANT_ICW3);
		break;
	case PIC8259_WANT_ICW4:
		c->icw4 = val;
		c->init = PIC8259_READY;
		break;
	default:
		c->imr = val;
		break;
	}
}

/* Ends the in-service level ir (if any), rotating so it becomes the lowest if asked. */
static void end_of_interrupt(struct pic8259_chip *c, int ir, bool rotate)
{
	if (ir < 0)
		return;
	c->isr &= (u8)~BIT(ir);
	if (rotate)
		c->lowest = (u8)ir;
}

/* OCW2: R SL EOI select among the eight commands; L2-L0 name a level. */
static void ocw2(struct pic8259_chip *c, u8 val)
{
	unsigned l = val & PIC8259_OCW2_L_MASK;

	switch (val & (PIC8259_OCW2_R | PIC8259_OCW2_SL | PIC8259_OCW2_EOI)) {
	case PIC8259_OCW2_EOI: /* non-specific EOI */
		end_of_interrupt(c, highest(c, c->isr), false);
		break;
	case PIC8259_OCW2_SL | PIC8259_OCW2_EOI: /* specific EOI */
		end_of_interrupt(c, (int)l, false);
		break;
	case PIC8259_OCW2_R | PIC8259_OCW2_EOI: /* rotate on non-specific EOI */
		end_of_interrupt(c, highest(c, c->isr), true);
		break;
	case PIC8259_OCW2_R | PIC8259_OCW2_SL | PIC8259_OCW2_EOI: /* rotate on specific EOI */
		end_of_interrupt(c, (int)l, true);
		break;
	case PIC8259_OCW2_R | PIC8259_OCW2_SL: /* set priority */
		c->lowest = (u8)l;
		break;
	case PIC8259_OCW2_R: /* rotate in AEOI mode: set */
		c->rotate_aeoi = true;
		break;
	case 0: /* rotate in AEOI mode: clear */
		c->rotate_aeoi = false;
		break;
	default: /* SL alone: no operation */
		break;
	}
}

static void ocw3(struct pic8259_chip *c, u8 val)
{
	if (val & PIC8259_OCW3_P)
		c->poll = true;
	if (val & PIC8259_OCW3_RR)
		c->read_isr = val & PIC8259_OCW3_RIS;
	if (val & PIC8259_OCW3_ESMM)
		c->special_mask = val & PIC8259_OCW3_SMM;
}

void pic8259_core_write(struct pic8259_core *p, unsigned chip, unsigned a0, u8 val)
{
	struct pic8259_chip *c = &p->chip[chip & 1];

	if (a0 & 1)
		write_data(c, val);
	else if (val & PIC8259_ICW1_INIT)
		icw1(c, val);
	else if (val & PIC8259_OCW3)
		ocw3(c, val);
	else
		ocw2(c, val);
	cascade_update(p);
}

/*
 * The poll word: the read acts as an INTA on this chip alone (a master
 * answering IR2 does not ask the slave; poll the slave for that).
 */
static u8 poll_word(struct pic8259_core *p, unsigned chip)
{
	int ir = pending(p, chip);

	if (ir < 0)
		return 0;
	acknowledge(&p->chip[chip], (unsigned)ir);
	return (u8)(PIC8259_POLL_INT | (unsigned)ir);
}

u8 pic8259_core_read(struct pic8259_core *p, unsigned chip, unsigned a0)
{
	struct pic8259_chip *c = &p->chip[chip & 1];
	u8 v;

	if (c->poll) {
		c->poll = false;
		v = poll_word(p, chip & 1);
		cascade_update(p);
		return v;
	}
	if (a0 & 1)
		return c->imr;
	return c->read_isr ? c->isr : requests(p, chip & 1);
}

void pic8259_core_set_irq(struct pic8259_core *p, unsigned irq, bool level)
{
	/* IRQ 2 is the slave's INT on a PC (ISA's IRQ2 pin is wired to IRQ 9). */
	if (irq >= PIC8259_IRQS || irq == PIC8259_CASCADE)
		return;
	chip_set_line(&p->chip[irq >> 3], irq & 7, level);
	cascade_update(p);
}

bool pic8259_core_intr(const struct pic8259_core *p)
{
	return pending(p, PIC8259_MASTER) >= 0;
}

u8 pic8259_core_inta(struct pic8259_core *p)
{
	struct pic8259_chip *m = &p->chip[PIC8259_MASTER], *s = &p->chip[PIC8259_SLAVE];
	int ir = pending(p, PIC8259_MASTER), sir;
	u8 vector;

	if (ir < 0)
		return m->vector_base | PIC8259_SPURIOUS;
	if (ir != PIC8259_CASCADE || !cascaded(p)) {
		acknowledge(m, (unsigned)ir);
		cascade_update(p);
		return (u8)(m->vector_base | (unsigned)ir);
	}
	sir = pending(p, PIC8259_SLAVE);
	acknowledge(m, PIC8259_CASCADE);
	if (sir < 0) {
		vector = s->vector_base | PIC8259_SPURIOUS;
	} else {
		acknowledge(s, (unsigned)sir);
		vector = (u8)(s->vector_base | (unsigned)sir);
	}
	cascade_update(p);
	return vector;
}

u8 pic8259_core_elcr_read(const struct pic8259_core *p, unsigned chip)
{
	return p->chip[chip & 1].elcr;
}

void pic8259_core_elcr_write(struct pic8259_core *p, unsigned chip, u8 val)
{
	struct pic8259_chip *c = &p->chip[chip & 1];

	c->elcr = val & ((chip & 1) ? PIC8259_ELCR_SLAVE_MASK : PIC8259_ELCR_MASTER_MASK);
	chip_resample(c);
	cascade_update(p);
}
