/*
 * Guest bookkeeping shared by exit handlers and device models.
 */
#include "vm/guest.h"
#include "lib/format.h"
#include "lib/string.h"

void *guest_dev_alloc(struct guest *g, unsigned size)
{
	unsigned at = ALIGN_UP(g->dev_storage_used, 16u);
	void *p;

	if (size > GUEST_DEV_STORAGE || at > GUEST_DEV_STORAGE - size)
		return NULL;
	p = g->dev_storage + at;
	g->dev_storage_used = at + size;
	memset(p, 0, size);
	return p;
}

void guest_end(struct guest *g, enum guest_end how, int status, const char *fmt, ...)
{
	va_list ap;

	if (g->end != GUEST_RUNNING)
		return;
	g->end = how;
	g->status = status;
	va_start(ap, fmt);
	fmt_vsnprintf(g->end_detail, sizeof(g->end_detail), fmt, ap);
	va_end(ap);
}

void guest_reset(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	if (g->end != GUEST_RUNNING)
		return;
	g->end = g->onreboot == GUEST_ONREBOOT_END ? GUEST_END_RESET : GUEST_RESTARTING;
	g->status = 0;
	va_start(ap, fmt);
	fmt_vsnprintf(g->end_detail, sizeof(g->end_detail), fmt, ap);
	va_end(ap);
}

const char *guest_end_name(enum guest_end how)
{
	static const char *const names[] = {
	    [GUEST_RUNNING] = "running",
	    [GUEST_END_DEBUG_EXIT] = "debug-exit",
	    [GUEST_END_HLT] = "hlt",
	    [GUEST_END_TRIPLE_FAULT] = "triple-fault",
	    [GUEST_END_HYPERCALL] = "hypercall",
	    [GUEST_END_UNHANDLED] = "unhandled-exit",
	    [GUEST_END_EPT] = "ept-violation",
	    [GUEST_END_OOM] = "out-of-memory",
	    [GUEST_END_ENTRY_FAILURE] = "entry-failure",
	    [GUEST_END_ERROR] = "error",
	    [GUEST_END_TIMEOUT] = "timeout",
	    [GUEST_END_RESET] = "reset",
	    [GUEST_END_POWEROFF] = "poweroff",
	    [GUEST_RESTARTING] = "restarting",
	};

	return how < ARRAY_SIZE(names) ? names[how] : "?";
}
