/*
 * A terminal line as the far end of term_redraw() sees it: BS moves the
 * cursor left (not past column 0), a printable byte is drawn at the cursor,
 * which moves right. Used by the term_line unit tests and fuzzer to check
 * that a redraw leaves the screen showing the new line.
 */
#ifndef KEEL_TESTS_UNIT_TERM_SIM_H
#define KEEL_TESTS_UNIT_TERM_SIM_H

#include <stdbool.h>
#include <string.h>

#include "lib/term_line.h"

struct term_sim {
	char cells[TERM_LINE_MAX * 2]; /* blanks where nothing was drawn */
	unsigned cursor;
	unsigned hi; /* past the rightmost cell ever drawn: blanks from there on */
	bool bad;    /* a byte no redraw should send, or a draw off the line */
};

static inline void term_sim_init(struct term_sim *t)
{
	memset(t->cells, ' ', sizeof(t->cells));
	t->cursor = 0;
	t->hi = 0;
	t->bad = false;
}

static inline void term_sim_apply(struct term_sim *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\b') {
			if (t->cursor)
				t->cursor--;
			else
				t->bad = true;
		} else if (c >= 0x20 && c < 0x7F && t->cursor < sizeof(t->cells)) {
			t->cells[t->cursor++] = c;
			if (t->cursor > t->hi)
				t->hi = t->cursor;
		} else {
			t->bad = true;
		}
	}
}

/* The screen shows text[0, len) then blanks, with the cursor at `cursor`. */
static inline bool term_sim_shows(const struct term_sim *t, const char *text, unsigned len,
				  unsigned cursor)
{
	if (t->bad || t->cursor != cursor || memcmp(t->cells, text, len))
		return false;
	for (unsigned i = len; i < t->hi; i++)
		if (t->cells[i] != ' ')
			return false;
	return true;
}

#endif
