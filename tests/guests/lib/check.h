/*
 * The marker convention the emulator tests judge guests by. Each check
 * prints one line, "PASS <what>" or "FAIL <what>: <details>"; at the end
 * check_finish() prints "RESULT pass" or "RESULT fail" and leaves through
 * the debug-exit port with v = 0 on pass, v = failures (1..127) otherwise.
 */
#ifndef KEEL_GUESTS_CHECK_H
#define KEEL_GUESTS_CHECK_H

#include "lib/types.h"

#define CHECK_EXIT_PASS 0
#define CHECK_EXIT_MAX	0x7F

/* Prints "PASS <formatted>" and counts a check. */
void check_pass(const char *fmt, ...) __printf(1, 2);
/* Prints "FAIL <formatted>" and counts a failed check. The format should
 * read "<what>: <details>". */
void check_fail(const char *fmt, ...) __printf(1, 2);
/* PASS or FAIL "<what>: false" by ok; returns ok. */
bool check_true(bool ok, const char *what);
/* PASS when got == want, else "FAIL what: got 0x.., want 0x.."; returns got == want. */
bool check_eq(const char *what, u64 got, u64 want);
/* Checks counted so far, and how many failed. */
u32 check_count(void);
u32 check_failures(void);
/*
 * Prints the tally and the RESULT line; returns the debug-exit value that
 * goes with it (CHECK_EXIT_PASS, or the failures up to CHECK_EXIT_MAX). A
 * guest that ran no check at all fails ("FAIL no checks ran").
 */
u32 check_report(void);
/* check_report(), then the debug-exit port with its value. */
__noreturn void check_finish(void);

#endif
