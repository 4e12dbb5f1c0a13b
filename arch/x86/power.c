/*
 * Power-off and reset. Power-off order:
 *   1. Bochs' shutdown port (the bytes "Shutdown" to 0x8900); harmless elsewhere,
 *   2. QEMU's isa-debug-exit device at 0x501, when the harness added it,
 * then, if the machine is still running, a message and the caller halts.
 * ACPI S5 from the FADT is added by arch/x86/acpi.c.
 */
#include "arch/x86/power.h"
#include "arch/x86/io.h"
#include "lib/console.h"

#define BOCHS_SHUTDOWN_PORT  0x8900
#define QEMU_DEBUG_EXIT_PORT 0x501
#define KBC_STATUS	     0x64
#define KBC_CMD_RESET	     0xFE
#define PCI_RESET_CONTROL    0xCF9

void power_off(void)
{
	const char *s = "Shutdown";

	while (*s)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*s++);
	outb(QEMU_DEBUG_EXIT_PORT, 0);
	pr_warn("no way to power off worked: halting");
}

void power_reboot(void)
{
	for (int i = 0; i < 100000 && (inb(KBC_STATUS) & 0x02); i++)
		;
	outb(KBC_STATUS, KBC_CMD_RESET);
	outb(PCI_RESET_CONTROL, 0x02);
	outb(PCI_RESET_CONTROL, 0x06);
	pr_warn("no way to reset worked: halting");
}
