/*
 * Ending a run. Every run's last line is "keel: end status=N"; what happens
 * next follows `onexit=`. Reached at most once: a fault while ending a run
 * (say, in ACPI code) falls straight through to halting.
 */
#include "boot/end.h"
#include "arch/x86/cpu.h"
#include "arch/x86/power.h"
#include "boot/options.h"
#include "lib/console.h"

__noreturn void keel_end(int status)
{
	static bool ending;

	__asm__ volatile("cli");
	if (ending)
		cpu_halt_forever();
	ending = true;
	pr_info("end status=%d", status);
	console_flush(); /* the run's last line must not be cut off, whatever comes next */
	if (keel_opts.onexit == ONEXIT_SHUTDOWN)
		power_off();
	else if (keel_opts.onexit == ONEXIT_REBOOT)
		power_reboot();
	cpu_halt_forever();
}
