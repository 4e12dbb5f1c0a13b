/*
 * A guest's 8259A pair (dev/pic8259_core.c) on its ports: the master at
 * 0x20-0x21, the slave at 0xA0-0xA1, the ELCR at 0x4D0-0x4D1. Device
 * models raise lines with pic8259_set_irq(); the vCPU's injection
 * (vm/intr.c) reads INTR and runs the INTA cycle (vm/irq.h).
 */
#include "arch/x86/cpu.h"
#include "dev/dev.h"
#include "dev/pic8259_core.h"
#include "dev/platform.h"
#include "lib/panic.h"
#include "vm/guest.h"
#include "vm/irq.h"

#define PIC8259_MASTER_PORT 0x20
#define PIC8259_SLAVE_PORT  0xA0
#define PIC8259_ELCR_PORT   0x4D0

struct pic8259 {
	struct pic8259_core core;
	struct dev_pio_published published[2]; /* each chip's IMR, while a read of it is plain */
};

/* After every write to chip, and at reset: its IMR read, unless a poll is armed. */
static void pic8259_publish(struct pic8259 *p, unsigned chip)
{
	struct dev_pio_published *pub = &p->published[chip];

	pub->value[1] = pic8259_core_imr(&p->core, chip);
	pub->ready = pic8259_core_reads_imr(&p->core, chip, 1) ? BIT(1) : 0;
}

/* Brings the timers up to date first, so a request already due shows in IRR or the poll. */
static void pic8259_catch_up(struct guest *g)
{
	vtimer_expire(g, rdtsc());
}

static inline __attribute__((always_inline)) u8 pic8259_read8(struct guest *g, struct pic8259 *p,
							      unsigned chip, unsigned a0)
{
	bool was;
	u8 v;

	/* The IMR needs no timer brought up to date and moves no request. */
	if (pic8259_core_reads_imr(&p->core, chip, a0)) {
		/* What the register-only exit answers when it takes the read. */
		CHECK(p->published[chip].value[1] == pic8259_core_imr(&p->core, chip));
		return pic8259_core_imr(&p->core, chip);
	}
	was = pic8259_core_intr(&p->core);
	pic8259_catch_up(g);
	v = pic8259_core_read(&p->core, chip, a0);
	if (pic8259_core_intr(&p->core) != was)
		irq_intr_changed(g); /* a poll acknowledged a request */
	return v;
}

static u8 pic8259_master_read8(struct guest *g, void *state, unsigned offset)
{
	return pic8259_read8(g, state, PIC8259_MASTER, offset);
}

static u8 pic8259_slave_read8(struct guest *g, void *state, unsigned offset)
{
	return pic8259_read8(g, state, PIC8259_SLAVE, offset);
}

static void pic8259_master_write8(struct guest *g, void *state, unsigned offset, u8 val)
{
	struct pic8259 *p = state;

	pic8259_core_write(&p->core, PIC8259_MASTER, offset, val);
	pic8259_publish(p, PIC8259_MASTER);
	irq_intr_changed(g);
}

static void pic8259_slave_write8(struct guest *g, void *state, unsigned offset, u8 val)
{
	struct pic8259 *p = state;

	pic8259_core_write(&p->core, PIC8259_SLAVE, offset, val);
	pic8259_publish(p, PIC8259_SLAVE);
	irq_intr_changed(g);
}

static u64 pic8259_master_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return platform_read_bytes(g, state, offset, size, pic8259_master_read8);
}

static void pic8259_master_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	platform_write_bytes(g, state, offset, size, val, pic8259_master_write8);
}

static u64 pic8259_slave_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return platform_read_bytes(g, state, offset, size, pic8259_slave_read8);
}

static void pic8259_slave_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	platform_write_bytes(g, state, offset, size, val, pic8259_slave_write8);
}

static u8 pic8259_elcr_read8(struct guest *g, void *state, unsigned offset)
{
	const struct pic8259 *p = state;

	return pic8259_core_elcr_read(&p->core, offset);
}

static void pic8259_elcr_write8(struct guest *g, void *state, unsigned offset, u8 val)
{
	struct pic8259 *p = state;

	pic8259_core_elcr_write(&p->core, offset, val);
	irq_intr_changed(g);
}

static u64 pic8259_elcr_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return platform_read_bytes(g, state, offset, size, pic8259_elcr_read8);
}

static void pic8259_elcr_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	platform_write_bytes(g, state, offset, size, val, pic8259_elcr_write8);
}

static const struct dev_ops pic8259_master_ops = {
    .name = "pic8259-master",
    .read = pic8259_master_read,
    .write = pic8259_master_write,
};

static const struct dev_ops pic8259_slave_ops = {
    .name = "pic8259-slave",
    .read = pic8259_slave_read,
    .write = pic8259_slave_write,
};

static const struct dev_ops pic8259_elcr_ops = {
    .name = "elcr",
    .read = pic8259_elcr_read,
    .write = pic8259_elcr_write,
};

void pic8259_set_irq(struct guest *g, unsigned irq, bool level)
{
	if (!g->pic)
		return;
	pic8259_core_set_irq(&g->pic->core, irq, level);
	irq_intr_changed(g);
}

bool pic8259_intr(struct guest *g)
{
	return g->pic && pic8259_core_intr(&g->pic->core);
}

u8 pic8259_inta(struct guest *g)
{
	/* Without a PIC nothing asserts INTR; answer as a master with nothing pending. */
	if (!g->pic)
		return 0x08 | PIC8259_SPURIOUS;
	return pic8259_core_inta(&g->pic->core);
}

bool pic8259_attach(struct guest *g)
{
	struct pic8259 *p = guest_dev_alloc(g, sizeof(*p));

	if (!p)
		return false;
	pic8259_core_init(&p->core);
	if (!dev_register(g, DEV_PIO, PIC8259_MASTER_PORT, 2, &pic8259_master_ops, p) ||
	    !dev_register(g, DEV_PIO, PIC8259_SLAVE_PORT, 2, &pic8259_slave_ops, p) ||
	    !dev_register(g, DEV_PIO, PIC8259_ELCR_PORT, 2, &pic8259_elcr_ops, p))
		return false;
	pic8259_publish(p, PIC8259_MASTER);
	pic8259_publish(p, PIC8259_SLAVE);
	if (!dev_publish(g, PIC8259_MASTER_PORT, &p->published[PIC8259_MASTER]) ||
	    !dev_publish(g, PIC8259_SLAVE_PORT, &p->published[PIC8259_SLAVE]))
		return false;
	g->pic = p;
	return true;
}
