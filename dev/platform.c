/*
 * The legacy PC platform every guest gets (docs/platform-legacy.md): the
 * 8259A pair, the 8254 PIT, port 0x61 and 0x92, the RTC and CMOS RAM, an
 * empty PCI configuration space with the reset control register, the ACPI
 * PM registers and timer, and the keyboard controller's reset pulse. The PIC comes first: the PIT
 * drives its IRQ0 from the moment it is attached.
 */
#include "dev/dev.h"
#include "dev/platform.h"

bool platform_attach(struct guest *g)
{
	return pic8259_attach(g) && pit8254_attach(g) && sysctl_attach(g) && cmos_attach(g) &&
	       pci_cfg_attach(g) && acpi_pm_attach(g) && kbc_attach(g);
}
