/*
 * The end of a run: the last line Keel prints, then the `onexit=` action.
 */
#ifndef KEEL_BOOT_END_H
#define KEEL_BOOT_END_H

#include "lib/types.h"

/* Prints "keel: end status=N" and halts, powers off or reboots. */
__noreturn void keel_end(int status);

#endif
