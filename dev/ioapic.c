/*
 * A guest's I/O APIC (dev/ioapic_core.c): one 82093AA with 24 pins at
 * guest-physical ACPI_GEN_IOAPIC_GPA, where the guest's MADT says it is.
 * Its page is an MMIO region, so every access is emulated (docs/mmio.md);
 * device models drive its pins through platform_set_irq (the ISA wiring)
 * or ioapic_set_irq; its messages go to the local APICs (irq_deliver), and
 * a local APIC's EOI for a level-triggered vector comes back through
 * ioapic_eoi.
 */
#include "dev/acpi_gen.h"
#include "dev/dev.h"
#include "dev/ioapic_core.h"
#include "dev/platform.h"
#include "vm/guest.h"
#include "vm/irq.h"

#define IOAPIC_MMIO_SIZE 4096

struct ioapic {
	struct ioapic_core core;
	struct guest *guest;
};

/* The core's messages onto the guest's APIC bus. */
static bool ioapic_deliver(void *ctx, const struct ioapic_msg *m)
{
	struct ioapic *a = ctx;
	struct irq_msg msg = {
	    .vector = m->vector,
	    .delivery_mode = m->delivery_mode,
	    .dest = m->dest,
	    .logical = m->logical,
	    .level = m->level,
	};

	return irq_deliver(a->guest, &msg);
}

static u64 ioapic_read(struct guest *g, void *state, u64 offset, unsigned size)
{
	const struct ioapic *a = state;

	return ioapic_core_read(&a->core, offset, size);
}

static void ioapic_write(struct guest *g, void *state, u64 offset, unsigned size, u64 val)
{
	struct ioapic *a = state;

	ioapic_core_write(&a->core, offset, size, val);
}

static const struct dev_ops ioapic_ops = {
    .name = "ioapic",
    .read = ioapic_read,
    .write = ioapic_write,
};

void ioapic_set_irq(struct guest *g, unsigned pin, bool level)
{
	if (g->ioapic)
		ioapic_core_set_irq(&g->ioapic->core, pin, level);
}

void ioapic_eoi(struct guest *g, unsigned vector)
{
	if (g->ioapic)
		ioapic_core_eoi(&g->ioapic->core, vector);
}

bool ioapic_attach(struct guest *g, u8 id)
{
	struct ioapic *a = guest_dev_alloc(g, sizeof(*a));

	if (!a)
		return false;
	a->guest = g;
	ioapic_core_init(&a->core, id, ioapic_deliver, a);
	if (!dev_register(g, DEV_MMIO, ACPI_GEN_IOAPIC_GPA, IOAPIC_MMIO_SIZE, &ioapic_ops, a))
		return false;
	g->ioapic = a;
	return true;
}
