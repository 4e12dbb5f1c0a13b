/*
 * The legacy PC devices every guest gets (docs/platform-legacy.md): one
 * attach function per model, and the wires between the models (the ISA
 * interrupt lines to the 8259 pair and the I/O APIC, PIT channel 2's gate
 * and output on port 0x61). dev/platform.c attaches them all
 * (platform_attach, declared in dev/dev.h).
 */
#ifndef KEEL_DEV_PLATFORM_H
#define KEEL_DEV_PLATFORM_H

#include "lib/types.h"

struct guest;

/*
 * The ISA interrupt lines as the guest's ACPI MADT describes them
 * (dev/acpi_gen.c): one I/O APIC at ACPI_GEN_IOAPIC_GPA, its 24 pins from
 * GSI 0; ISA IRQ n is on pin n, but IRQ 0 (the PIT) is on pin 2, the
 * MADT's interrupt source override (the SCI's override, IRQ 9 -> GSI 9,
 * keeps its pin and only makes it level-triggered).
 */
#define PLATFORM_ISA_IRQS    16
#define PLATFORM_ISA_CASCADE 2 /* the 8259 pair's cascade: no device has ISA IRQ 2 */

/* The I/O APIC pin of ISA IRQ irq (0-15, not 2). */
static inline unsigned platform_isa_pin(unsigned irq)
{
	return irq == 0 ? 2 : irq;
}

/*
 * ISA IRQ irq (0-15) is now at level: the 8259 pair's input irq and the
 * I/O APIC's pin platform_isa_pin(irq) both follow it, so a guest may use
 * either controller. IRQ 2 and numbers above 15 are ignored.
 */
void platform_set_irq(struct guest *g, unsigned irq, bool level);

/* Each claims its ports and sets up its state; false if the guest's tables are full. */
bool pic8259_attach(struct guest *g);	    /* 0x20-0x21, 0xA0-0xA1, ELCR 0x4D0-0x4D1 */
bool ioapic_attach(struct guest *g, u8 id); /* MMIO ACPI_GEN_IOAPIC_GPA, 4 KiB */
bool pit8254_attach(struct guest *g);	    /* 0x40-0x43; needs the PIC and I/O APIC first */
bool sysctl_attach(struct guest *g);	    /* 0x61 and 0x92 */
bool cmos_attach(struct guest *g);	    /* 0x70-0x71 */
bool pci_cfg_attach(struct guest *g);	    /* 0xCF8-0xCFB (0xCF9: reset control), 0xCFC-0xCFF */
bool acpi_pm_attach(struct guest *g);	    /* ACPI PM1a_EVT, PM1a_CNT, PM_TMR (dev/acpi_gen.h) */
bool kbc_attach(struct guest *g);	    /* 0x64: the keyboard controller's reset pulse */

/* PIT channel 2's gate input (port 0x61 bit 0) and its output (port 0x61 bit 5). */
void pit8254_set_gate2(struct guest *g, bool level);
bool pit8254_out2(struct guest *g);
/* The PIT's input clock (PIT8254_HZ) now, counted from the TSC. */
u64 pit8254_clock_now(void);

/* ISA devices decode bytes: a wider access at port p is bytes at p, p+1, ..., low first. */
typedef u8 platform_read8_fn(struct guest *g, void *state, unsigned offset);
typedef void platform_write8_fn(struct guest *g, void *state, unsigned offset, u8 val);

static inline u64 platform_read_bytes(struct guest *g, void *state, u64 offset, unsigned size,
				      platform_read8_fn *read8)
{
	u64 v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (u64)read8(g, state, (unsigned)offset + i) << (8 * i);
	return v;
}

static inline void platform_write_bytes(struct guest *g, void *state, u64 offset, unsigned size,
					u64 val, platform_write8_fn *write8)
{
	for (unsigned i = 0; i < size; i++)
		write8(g, state, (unsigned)offset + i, (u8)(val >> (8 * i)));
}

#endif
