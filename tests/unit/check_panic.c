/*
 * lib/panic.h's panic() for the host tests of code that CHECKs its own
 * invariants (mm/pt.c, mm/zpool.c, vm/gmem.c): a failed CHECK fails the
 * running cmocka test with its message. Linked by the tests' NAME.mk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/panic.h"

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_msg("panic: %s", msg);
	abort();
}
