/*
 * panic(): the end of a run caused by a Keel bug. It says what failed and
 * where it was called from, then ends the run with KEEL_STATUS_BUG.
 */
#include "lib/panic.h"
#include "boot/end.h"
#include "lib/console.h"
#include "lib/format.h"

__noreturn void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("PANIC: %s (called from %p)", msg, __builtin_return_address(0));
	keel_end(KEEL_STATUS_BUG);
}
