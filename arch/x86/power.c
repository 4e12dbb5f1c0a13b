/*
 * Power-off and reset: each way the platform may offer, in order, until one
 * works. Power-off:
 *   1. Bochs' shutdown port (the bytes "Shutdown" to 0x8900); harmless elsewhere,
 *   2. ACPI S5 from the FADT and \_S5_ (QEMU, real hardware; acpi.c),
 *   3. QEMU's isa-debug-exit device at 0x501, when the harness added it,
 * then, if the machine is still running, a message and the caller halts.
 * Reset: the FADT reset register (acpi.c), the keyboard controller's pulse
 * of the reset line, then the PCI reset control register at 0xCF9.
 */
#include "arch/x86/power.h"
#include "arch/x86/acpi.h"
#include "arch/x86/io.h"
#include "arch/x86/uart.h"
#include "lib/console.h"

#define BOCHS_SHUTDOWN_PORT  0x8900
#define QEMU_DEBUG_EXIT_PORT 0x501
#define KBC_STATUS	     0x64
#define KBC_STATUS_IBF	     0x02 /* input buffer full: not ready for a command */
#define KBC_CMD_RESET	     0xFE
#define KBC_READY_POLLS	     100000
#define PCI_RESET_CONTROL    0xCF9
#define PCI_RESET_SYS_RST    0x02 /* full reset (not just the CPU) when RST_CPU rises */
#define PCI_RESET_RST_CPU    0x04

void power_off(void)
{
	const char *s = "Shutdown";

	uart_drain(); /* the run's last line must not be cut off */
	while (*s)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*s++);
	acpi_power_off();
	outb(QEMU_DEBUG_EXIT_PORT, 0);
	pr_warn("no way to power off worked: halting");
}

void power_reboot(void)
{
	uart_drain(); /* the run's last line must not be cut off */
	acpi_reset();
	for (int i = 0; i < KBC_READY_POLLS && (inb(KBC_STATUS) & KBC_STATUS_IBF); i++)
		;
	outb(KBC_STATUS, KBC_CMD_RESET);
	outb(PCI_RESET_CONTROL, PCI_RESET_SYS_RST);
	outb(PCI_RESET_CONTROL, PCI_RESET_SYS_RST | PCI_RESET_RST_CPU);
	pr_warn("no way to reset worked: halting");
}
