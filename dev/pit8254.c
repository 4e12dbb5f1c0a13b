/*
 * A guest's 8254 PIT (dev/pit8254_core.c) on ports 0x40-0x43. Its clock
 * is the host TSC converted to PIT8254_HZ: counts are computed when read,
 * nothing runs per tick. Channel 0's output drives ISA IRQ0 (the 8259's
 * IR0 and the I/O APIC's pin 2, dev/platform.c) through a vtimer armed for
 * its next output edge (re-armed after each one while the mode repeats);
 * channel 2's gate and output are port 0x61's bits 0 and 5 (dev/sysctl.c);
 * channel 1 counts but drives nothing.
 *
 * Edges closer together than PIT8254_MIN_IRQ_GAP clocks reach IRQ0 as
 * one: the timer never fires more often than that, and each firing that
 * finds one or more rising edges since the last gives the line one edge.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/pit8254.h"
#include "dev/dev.h"
#include "dev/pit8254_core.h"
#include "dev/platform.h"
#include "vm/guest.h"
#include "vm/vtimer.h"

#define PIT8254_IRQ	    0
#define PIT8254_MIN_IRQ_GAP 239 /* clocks: about 200 us, at most ~5000 IRQ0 edges a second */
#define PIT8254_IRQ_CH	    0
#define PIT8254_GATE_CH	    2
#define PIT8254_PORT_COUNT  4

struct pit8254 {
	struct pit8254_core core;
	struct vtimer timer; /* channel 0's next output edge */
	u64 irq_seen;	     /* channel 0's edges up to this clock have reached IRQ0 */
	bool irq_level;	     /* the IRQ0 line as last driven */
};

u64 pit8254_clock_now(void)
{
	return tsc_to_clock(rdtsc(), PIT8254_HZ);
}

/* The clock to look at channel 0 again: its next edge, or the end of a one-clock pulse. */
static u64 pit8254_next_look(const struct pit8254 *p, u64 now)
{
	u64 next = pit8254_core_next_edge(&p->core, PIT8254_IRQ_CH, now);

	if (next == PIT8254_NEVER)
		return next;
	if (pit8254_core_next_edge(&p->core, PIT8254_IRQ_CH, next) == next + 1)
		next++; /* mode 2's low pulse: look once it is over, the rise is what counts */
	return MAX(next, now + PIT8254_MIN_IRQ_GAP);
}

/*
 * Delivers channel 0's output up to clock now to IRQ0: a rising edge since
 * the last look is a low-high pair for the PIC, then the line follows the
 * output. Re-arms the timer for the next edge.
 */
static void pit8254_irq_sync(struct guest *g, struct pit8254 *p, u64 now)
{
	bool out = pit8254_core_out(&p->core, PIT8254_IRQ_CH, now);
	u64 next;

	if (now > p->irq_seen && pit8254_core_rose(&p->core, PIT8254_IRQ_CH, p->irq_seen, now)) {
		if (p->irq_level)
			platform_set_irq(g, PIT8254_IRQ, false);
		platform_set_irq(g, PIT8254_IRQ, true);
		p->irq_level = true;
	}
	if (out != p->irq_level) {
		platform_set_irq(g, PIT8254_IRQ, out);
		p->irq_level = out;
	}
	p->irq_seen = MAX(p->irq_seen, now);
	next = pit8254_next_look(p, now);
	if (next == PIT8254_NEVER)
		vtimer_stop(&p->timer);
	else
		vtimer_arm(&p->timer, clock_to_tsc(next, PIT8254_HZ) + 1);
}

static void pit8254_timer(struct guest *g, struct vtimer *t, u64 now)
{
	pit8254_irq_sync(g, t->ctx, tsc_to_clock(now, PIT8254_HZ));
}

static u8 pit8254_read8(struct guest *g, void *state, unsigned offset)
{
	struct pit8254 *p = state;

	return pit8254_core_read(&p->core, offset, pit8254_clock_now());
}

static void pit8254_write8(struct guest *g, void *state, unsigned offset, u8 val)
{
	struct pit8254 *p = state;
	u64 now = pit8254_clock_now();
	bool irq = offset == PIT8254_IRQ_CH || offset == PIT8254_PORT_COUNT - 1;

	if (irq)
		pit8254_irq_sync(g, p, now); /* edges due under the old programming first */
	pit8254_core_write(&p->core, offset, val, now);
	if (irq)
		pit8254_irq_sync(g, p, now);
}

static u64 pit8254_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	return platform_read_bytes(g, state, offset, size, pit8254_read8);
}

static void pit8254_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	platform_write_bytes(g, state, offset, size, val, pit8254_write8);
}

static const struct dev_ops pit8254_ops = {
    .name = "pit8254",
    .read = pit8254_read,
    .write = pit8254_write,
};

void pit8254_set_gate2(struct guest *g, bool level)
{
	if (g->pit)
		pit8254_core_set_gate(&g->pit->core, PIT8254_GATE_CH, level, pit8254_clock_now());
}

bool pit8254_out2(struct guest *g)
{
	return g->pit && pit8254_core_out(&g->pit->core, PIT8254_GATE_CH, pit8254_clock_now());
}

bool pit8254_attach(struct guest *g)
{
	struct pit8254 *p = guest_dev_alloc(g, sizeof(*p));

	if (!p || !vtimer_register(g, &p->timer, pit8254_timer, p))
		return false;
	pit8254_core_init(&p->core);
	p->irq_seen = pit8254_clock_now();
	if (!dev_register(g, DEV_PIO, PIT8254_CH0, PIT8254_PORT_COUNT, &pit8254_ops, p))
		return false;
	g->pit = p;
	return true;
}
