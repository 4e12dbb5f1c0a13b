/*
 * The test= self-tests: deliberate faults in Keel that the emulator
 * scenarios (tests/emu) use to check the fault report and the stack guard
 * and W^X protections.
 */
#ifndef KEEL_BOOT_SELFTEST_H
#define KEEL_BOOT_SELFTEST_H

#include "boot/options.h"

/*
 * Exit status of a self-test whose fault did not happen (the access was not
 * stopped). A fault that is reported ends with KEEL_STATUS_BUG (2) instead.
 */
#define SELFTEST_STATUS_NOT_STOPPED 3

/*
 * Runs the action test= chose. Returns at once for TEST_NONE; every other
 * action ends the run: by the fault report, or with
 * SELFTEST_STATUS_NOT_STOPPED after a line saying the access went through.
 */
void selftest_run(enum test_action action);

#endif
