/*
 * PASS/FAIL/RESULT markers (check.h) and the running tally behind them.
 */
#include "tests/guests/lib/check.h"
#include "tests/guests/lib/debug_exit.h"
#include "tests/guests/lib/print.h"

static u32 check_total;
static u32 check_failed;

static void check_line(const char *tag, const char *fmt, va_list ap)
{
	print("%s ", tag);
	print_v(fmt, ap);
	print("\n");
}

void check_pass(const char *fmt, ...)
{
	va_list ap;

	check_total++;
	va_start(ap, fmt);
	check_line("PASS", fmt, ap);
	va_end(ap);
}

void check_fail(const char *fmt, ...)
{
	va_list ap;

	check_total++;
	check_failed++;
	va_start(ap, fmt);
	check_line("FAIL", fmt, ap);
	va_end(ap);
}

bool check_true(bool ok, const char *what)
{
	if (ok)
		check_pass("%s", what);
	else
		check_fail("%s: false", what);
	return ok;
}

bool check_eq(const char *what, u64 got, u64 want)
{
	if (got == want)
		check_pass("%s", what);
	else
		check_fail("%s: got 0x%llx, want 0x%llx", what, (unsigned long long)got,
			   (unsigned long long)want);
	return got == want;
}

u32 check_count(void)
{
	return check_total;
}

u32 check_failures(void)
{
	return check_failed;
}

u32 check_report(void)
{
	if (check_total == 0)
		check_fail("no checks ran: the guest tested nothing");
	print("checks %u, failed %u\n", check_total, check_failed);
	print("RESULT %s\n", check_failed ? "fail" : "pass");
	if (check_failed == 0)
		return CHECK_EXIT_PASS;
	return check_failed > CHECK_EXIT_MAX ? CHECK_EXIT_MAX : check_failed;
}

void check_finish(void)
{
	debug_exit(check_report());
}
