/*
 * The 82093AA I/O APIC (dev/ioapic_core.h), after the Intel 82093AA data
 * sheet.
 *
 *   input pin n --> entry n: masked? edge or level? --> message --> deliver()
 *                        ^                                             |
 *                        +------- EOI for the vector (level) <---------+
 *
 * Which entries are level-triggered: the data sheet allows level only for
 * the fixed and lowest-priority delivery modes (SMI, NMI, INIT and ExtINT
 * "must be programmed as edge triggered"), so an entry of another mode is
 * treated as edge-triggered whatever its trigger bit says; the bit still
 * reads back as written. Remote IRR is only ever set on a level-triggered
 * entry, and is cleared by an EOI for its vector or by a write that makes
 * the entry edge-triggered (software clears a stuck remote IRR that way).
 *
 * Delivery is instantaneous: the delivery status bit always reads 0.
 */
#include "dev/ioapic_core.h"

/* Bits 31:0 and 63:32 of an entry that a 32-bit register write may change. */
#define RTE_LOW_WRITABLE  ((u32)IOAPIC_RTE_WRITABLE)
#define RTE_HIGH_WRITABLE ((u32)(IOAPIC_RTE_WRITABLE >> 32))

static unsigned rte_dm(u64 e)
{
	return (unsigned)((e & IOAPIC_RTE_DM_MASK) >> IOAPIC_RTE_DM_SHIFT);
}

/* A level-triggered entry: the trigger bit, in a mode that can be level-triggered. */
static bool rte_level(u64 e)
{
	unsigned dm = rte_dm(e);

	return (e & IOAPIC_RTE_LEVEL) && (dm == IOAPIC_DM_FIXED || dm == IOAPIC_DM_LOWEST);
}

/* Sends entry e's message; true if a local APIC accepted it. */
static bool send(struct ioapic_core *c, u64 e)
{
	struct ioapic_msg m = {
	    .vector = (u8)(e & IOAPIC_RTE_VECTOR),
	    .delivery_mode = (u8)rte_dm(e),
	    .dest = (u8)(e >> IOAPIC_RTE_DEST_SHIFT),
	    .logical = e & IOAPIC_RTE_LOGICAL,
	    .level = rte_level(e),
	};

	return c->deliver(c->ctx, &m);
}

/*
 * A level-triggered entry whose pin is asserted sends unless masked or
 * waiting for its EOI. Remote IRR is set before the message goes out, so
 * no EOI for it can find it still clear.
 */
static void service_level(struct ioapic_core *c, unsigned pin)
{
	u64 e = c->rte[pin];

	if (!rte_level(e) || (e & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) ||
	    !(c->lines & BIT(pin)))
		return;
	c->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	if (!send(c, e))
		c->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR; /* nobody accepted it: no EOI will come */
}

void ioapic_core_init(struct ioapic_core *c, u8 id, ioapic_deliver_fn *deliver, void *ctx)
{
	*c = (struct ioapic_core){0};
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		c->rte[i] = IOAPIC_RTE_MASKED;
	c->id = id & IOAPIC_ID_MASK;
	c->arb = c->id;
	c->deliver = deliver;
	c->ctx = ctx;
}

u32 ioapic_core_read_reg(const struct ioapic_core *c, u8 reg)
{
	u64 e;

	switch (reg) {
	case IOAPIC_REG_ID:
		return (u32)c->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VER:
		return IOAPIC_VER_VALUE;
	case IOAPIC_REG_ARB:
		return (u32)c->arb << IOAPIC_ID_SHIFT;
	default:
		break;
	}
	if (reg < IOAPIC_REG_REDTBL || reg > IOAPIC_REG_LAST)
		return 0;
	e = c->rte[(reg - IOAPIC_REG_REDTBL) / 2];
	return (reg & 1) ? (u32)(e >> 32) : (u32)e;
}

/* A write to one half of entry pin; the new entry may send at once (level, asserted). */
static void write_rte(struct ioapic_core *c, unsigned pin, bool high, u32 val)
{
	u64 e = c->rte[pin];

	if (high)
		e = (e & 0xFFFFFFFFULL) | (u64)(val & RTE_HIGH_WRITABLE) << 32;
	else
		e = (e & ~(u64)RTE_LOW_WRITABLE) | (val & RTE_LOW_WRITABLE);
	if (!rte_level(e))
		e &= ~IOAPIC_RTE_REMOTE_IRR;
	c->rte[pin] = e;
	service_level(c, pin);
}

void ioapic_core_write_reg(struct ioapic_core *c, u8 reg, u32 val)
{
	if (reg == IOAPIC_REG_ID) {
		c->id = (val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
		c->arb = c->id; /* ARB is loaded when ID is written */
		return;
	}
	if (reg < IOAPIC_REG_REDTBL || reg > IOAPIC_REG_LAST)
		return; /* VER and ARB are read-only; the rest do not exist */
	write_rte(c, (reg - IOAPIC_REG_REDTBL) / 2, reg & 1, val);
}

/* Byte `at` of the page as a read sees it. */
static u8 page_byte(u64 at, u32 regsel, u32 iowin)
{
	if (at < IOAPIC_IOREGSEL + 4)
		return (u8)(regsel >> (8 * (at - IOAPIC_IOREGSEL)));
	if (at >= IOAPIC_IOWIN && at < IOAPIC_IOWIN + 4)
		return (u8)(iowin >> (8 * (at - IOAPIC_IOWIN)));
	return 0;
}

u64 ioapic_core_read(const struct ioapic_core *c, u64 offset, unsigned size)
{
	u32 iowin = ioapic_core_read_reg(c, c->regsel);
	u64 v = 0;

	for (unsigned i = 0; i < size && i < 8; i++)
		v |= (u64)page_byte(offset + i, c->regsel, iowin) << (8 * i);
	return v;
}

void ioapic_core_write(struct ioapic_core *c, u64 offset, unsigned size, u64 val)
{
	if (size != 4)
		return;
	if (offset == IOAPIC_IOREGSEL)
		c->regsel = (u8)val;
	else if (offset == IOAPIC_IOWIN)
		ioapic_core_write_reg(c, c->regsel, (u32)val);
}

void ioapic_core_set_irq(struct ioapic_core *c, unsigned pin, bool level)
{
	bool was;
	u64 e;

	if (pin >= IOAPIC_PINS)
		return;
	was = c->lines & BIT(pin);
	c->lines = level ? (c->lines | (u32)BIT(pin)) : (c->lines & ~(u32)BIT(pin));
	e = c->rte[pin];
	if (!level || (e & IOAPIC_RTE_MASKED))
		return;
	if (rte_level(e))
		service_level(c, pin);
	else if (!was)
		send(c, e);
}

void ioapic_core_eoi(struct ioapic_core *c, unsigned vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		u64 e = c->rte[pin];

		if ((e & IOAPIC_RTE_VECTOR) != vector || !(e & IOAPIC_RTE_REMOTE_IRR))
			continue;
		c->rte[pin] = e & ~IOAPIC_RTE_REMOTE_IRR;
		service_level(c, pin);
	}
}
