/*
 * Exception dispatch for test guests: an exception on an instruction listed
 * in .trap_table is recorded and skipped; any other ends the guest with a
 * FAIL line naming the vector, error code and IP.
 */
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/check.h"
#include "tests/guests/lib/debug_exit.h"

/* Bounds of .trap_table, from guest.ld. */
extern const struct trap_entry __trap_table_start[], __trap_table_end[];

/* The stubs' push order fixes the frame layout: check it. */
#ifdef __x86_64__
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "idt64.S pushes 15 registers");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "idt64.S frame: 15 + 2 + 5 words");
#else
_Static_assert(offsetof(struct trap_frame, vector) == 8 * 4, "idt32.S: PUSHAD is 8 words");
_Static_assert(sizeof(struct trap_frame) == 13 * 4, "idt32.S frame: 8 + 2 + 3 words");
#endif

volatile struct trap_record trap_last;
static bool trap_failing; /* set while reporting an unexpected exception */

static const char *const trap_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *trap_name(u32 vector)
{
	return vector < ARRAY_SIZE(trap_names) ? trap_names[vector] : "#?";
}

void trap_reset(void)
{
	trap_last.count = 0;
	trap_last.vector = 0;
	trap_last.error_code = 0;
	trap_last.at_insn = false;
	trap_last.ip = 0;
}

static __noreturn void trap_unexpected(const struct trap_frame *f)
{
	if (trap_failing)
		debug_exit(CHECK_EXIT_MAX); /* faulted while reporting: leave at once */
	trap_failing = true;
	check_fail("unexpected exception: %s (vector %u) error 0x%x at ip 0x%llx",
		   trap_name(f->vector), (unsigned)f->vector, (unsigned)f->error_code,
		   (unsigned long long)f->ip);
	check_finish();
}

#define TRAP_HANDLERS 256
static trap_handler_fn *trap_handlers[TRAP_HANDLERS];

void trap_set_handler(u32 vector, trap_handler_fn *fn)
{
	if (vector < TRAP_HANDLERS)
		trap_handlers[vector] = fn;
}

void trap_dispatch(struct trap_frame *f)
{
	/* Two linker symbols, not one array: subtract addresses. */
	size_t n = ((uintptr_t)__trap_table_end - (uintptr_t)__trap_table_start) /
		   sizeof(struct trap_entry);
	const struct trap_entry *e;

	if (f->vector < TRAP_HANDLERS && trap_handlers[f->vector]) {
		trap_handlers[f->vector](f);
		return;
	}
	e = trap_lookup(__trap_table_start, n, f->ip);
	if (!e || trap_failing)
		trap_unexpected(f);
	trap_last.count++;
	trap_last.vector = (u32)f->vector;
	trap_last.error_code = (u32)f->error_code;
	trap_last.at_insn = f->ip == e->insn;
	trap_last.ip = f->ip;
	f->ip = e->next;
}

bool trap_expect(const char *what, u32 vector, u32 error_code)
{
	bool ok = trap_last.count == 1 && trap_last.vector == vector && trap_last.at_insn &&
		  (error_code == TRAP_ANY_ERROR || trap_last.error_code == error_code);

	if (ok)
		check_pass("%s", what);
	else if (trap_last.count == 0)
		check_fail("%s: no exception, want %s", what, trap_name(vector));
	else
		check_fail(
		    "%s: got %s error 0x%x %s (%u caught), want %s error 0x%x at the instruction",
		    what, trap_name(trap_last.vector), (unsigned)trap_last.error_code,
		    trap_last.at_insn ? "at the instruction" : "after the instruction",
		    (unsigned)trap_last.count, trap_name(vector), (unsigned)error_code);
	return ok;
}

bool trap_expect_none(const char *what)
{
	if (trap_last.count == 0) {
		check_pass("%s", what);
		return true;
	}
	check_fail("%s: got %s error 0x%x at ip 0x%llx", what, trap_name(trap_last.vector),
		   (unsigned)trap_last.error_code, (unsigned long long)trap_last.ip);
	return false;
}
