/*
 * Powering the machine off or resetting it.
 */
#ifndef KEEL_ARCH_X86_POWER_H
#define KEEL_ARCH_X86_POWER_H

#include "lib/types.h"

/*
 * Tries, in order, each way to power off that the platform offers (see
 * power.c); returns only if none worked, after saying so.
 */
void power_off(void);
/* Resets the machine; returns only if no reset method worked. */
void power_reboot(void);

#endif
