/*
 * The TSC's rate, measured once at boot against the 8254 PIT.
 */
#ifndef KEEL_ARCH_X86_TSC_H
#define KEEL_ARCH_X86_TSC_H

#include "lib/types.h"

/* TSC ticks per second (vm/vtimer.h declares it for the device models). */
extern u64 tsc_hz;

/* Measures tsc_hz; prints one line saying how. Call once, before guests run. */
void tsc_calibrate(void);

#endif
