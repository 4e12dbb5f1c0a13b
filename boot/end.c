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
	/* Shared, atomic: the first CPU here ends the run; any other halts. */
	static bool ending;

	__asm__ volatile("cli");
	if (__atomic_exchange_n(&ending, true, __ATOMIC_ACQ_REL))
		cpu_halt_forever();
	pr_info("end status=%d", status);
	console_flush(); /* the run's last line must not be cut off, whatever comes next */
	if (keel_opts.onexit == ONEXIT_SHUTDOWN)
		power_off();
	else if (keel_opts.onexit == ONEXIT_REBOOT)
		power_reboot();
	cpu_halt_forever();
}
