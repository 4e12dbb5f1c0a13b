/*
 * The legacy PC platform every guest gets (docs/platform-legacy.md): the
 * 8259A pair, the I/O APIC, the 8254 PIT, port 0x61 and 0x92, the RTC and
 * CMOS RAM, an empty PCI configuration space with the reset control
 * register, the ACPI PM registers and timer, and the keyboard
 * controller's reset pulse; and the ISA interrupt lines between them. The
 * interrupt controllers come first: the PIT drives IRQ 0 from the moment
 * it is attached.
 */
#include "dev/acpi_gen.h"
#include "dev/dev.h"
#include "dev/platform.h"
#include "vm/guest.h"
#include "vm/irq.h"

/* The I/O APIC ID the guest's MADT gives: the first one no processor has. */
/* The I/O APIC's ID, as the guest's MADT gives it (after the vCPUs' APIC IDs). */
static u8 platform_ioapic_id(const struct guest *g)
{
	struct acpi_gen_config cfg;

	acpi_gen_config_pc(&cfg, g->vcpu_count);
	return cfg.ioapic_id;
}

bool platform_attach(struct guest *g)
{
	return pic8259_attach(g) && ioapic_attach(g, platform_ioapic_id(g)) && pit8254_attach(g) &&
	       sysctl_attach(g) && cmos_attach(g) && pci_cfg_attach(g) && acpi_pm_attach(g) &&
	       kbc_attach(g);
}

void platform_set_irq(struct guest *g, unsigned irq, bool level)
{
	if (irq >= PLATFORM_ISA_IRQS || irq == PLATFORM_ISA_CASCADE)
		return;
	pic8259_set_irq(g, irq, level);
	ioapic_set_irq(g, platform_isa_pin(irq), level);
}
