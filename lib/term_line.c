/*
 * A terminal's line and its redraw (lib/term_line.h). Pure: no I/O, so the
 * host tests and the fuzzer run it as Keel does.
 */
#include "lib/term_line.h"

#define TERM_PARAM_MAX 9999

#define ASCII_BEL 0x07
#define ASCII_BS  0x08
#define ASCII_HT  0x09
#define ASCII_LF  0x0A
#define ASCII_CR  0x0D
#define ASCII_ESC 0x1B
#define ASCII_DEL 0x7F

void term_line_clear(struct term_line *l)
{
	l->len = 0;
	l->cursor = 0;
	l->text[0] = '\0';
	/* An escape sequence split across lines goes on: l->esc stays. */
}

static void set_len(struct term_line *l, unsigned len)
{
	l->len = len;
	l->text[len] = '\0';
}

/* Cursor to column col (at most TERM_LINE_MAX), blanks filling any gap after the text. */
static void move_to(struct term_line *l, unsigned col)
{
	if (col > TERM_LINE_MAX)
		col = TERM_LINE_MAX;
	for (unsigned i = l->len; i < col; i++)
		l->text[i] = ' ';
	if (col > l->len)
		set_len(l, col);
	l->cursor = col;
}

static void put(struct term_line *l, char c)
{
	l->text[l->cursor++] = c;
	if (l->cursor > l->len)
		set_len(l, l->cursor);
}

/* Erase in line (CSI K) and, within this one line, in display (CSI J). */
static void erase(struct term_line *l, unsigned mode)
{
	switch (mode) {
	case 0: /* the cursor to the end */
		set_len(l, l->cursor);
		break;
	case 1: /* the start to the cursor, inclusive */
		for (unsigned i = 0; i <= l->cursor && i < l->len; i++)
			l->text[i] = ' ';
		break;
	case 2: /* all of it; the cursor stays */
		for (unsigned i = 0; i < l->cursor; i++)
			l->text[i] = ' ';
		set_len(l, l->cursor);
		break;
	default:
		break;
	}
}

static void csi_final(struct term_line *l, u8 c)
{
	unsigned n = l->param ? l->param : 1; /* for moves, 0 means 1 */

	switch (c) {
	case 'D':
		l->cursor -= n < l->cursor ? n : l->cursor;
		break;
	case 'C':
		move_to(l, l->cursor + n);
		break;
	case 'G':
		move_to(l, n - 1);
		break;
	case 'K':
	case 'J':
		erase(l, l->param);
		break;
	default:
		break; /* SGR, the cursor-position query, modes: nothing to draw */
	}
}

/* A byte outside any escape sequence. */
static void plain(struct term_line *l, u8 c)
{
	switch (c) {
	case ASCII_CR:
		l->cursor = 0;
		return;
	case ASCII_BS:
		if (l->cursor)
			l->cursor--;
		return;
	case ASCII_HT:
		move_to(l, (l->cursor + 8) & ~7u);
		return;
	case ASCII_ESC:
		l->esc = TERM_ESC_ESC;
		return;
	case 0:
	case ASCII_BEL:
	case ASCII_DEL:
		return;
	default:
		put(l, c >= 0x20 && c < ASCII_DEL ? (char)c : '.');
	}
}

/* A byte inside an escape sequence; false if it ended the sequence unused. */
static bool in_escape(struct term_line *l, u8 c)
{
	if (c == ASCII_ESC && l->esc != TERM_ESC_OSC)
		return false; /* a new sequence */
	if (c < 0x20 && !(l->esc == TERM_ESC_OSC && (c == ASCII_BEL || c == ASCII_ESC)))
		return false;
	if (c >= ASCII_DEL)
		return c == ASCII_DEL; /* DEL is ignored inside; a high byte ends it */
	switch (l->esc) {
	case TERM_ESC_ESC:
		if (c == '[') {
			l->esc = TERM_ESC_CSI;
			l->param = 0;
			l->param_more = false;
		} else if (c == ']') {
			l->esc = TERM_ESC_OSC;
		} else {
			l->esc = c < 0x30 ? TERM_ESC_INTERMED : TERM_ESC_NONE;
		}
		return true;
	case TERM_ESC_INTERMED:
		if (c >= 0x30)
			l->esc = TERM_ESC_NONE;
		return true;
	case TERM_ESC_OSC:
		if (c == ASCII_BEL)
			l->esc = TERM_ESC_NONE;
		else if (c == ASCII_ESC)
			l->esc = TERM_ESC_ESC; /* ESC \ ends it */
		return true;
	case TERM_ESC_CSI:
		if (c >= '0' && c <= '9' && !l->param_more) {
			l->param = l->param * 10 + (c - '0');
			if (l->param > TERM_PARAM_MAX)
				l->param = TERM_PARAM_MAX;
		} else if (c == ';') {
			l->param_more = true;
		} else if (c >= 0x40) {
			l->esc = TERM_ESC_NONE;
			csi_final(l, c);
		}
		return true; /* other parameter and intermediate bytes: ignored */
	case TERM_ESC_NONE:
		break;
	}
	return false;
}

enum term_feed term_line_feed(struct term_line *l, u8 c)
{
	if (l->esc != TERM_ESC_NONE) {
		if (in_escape(l, c))
			return l->len == TERM_LINE_MAX ? TERM_LINE_DONE : TERM_LINE_MORE;
		l->esc = TERM_ESC_NONE;
	}
	if (c == ASCII_LF)
		return TERM_LINE_DONE;
	plain(l, c);
	return l->len == TERM_LINE_MAX ? TERM_LINE_DONE : TERM_LINE_MORE;
}

/* Cursor from column `from` to `to` over a line that shows text up to `to`. */
static size_t move(const char *text, unsigned from, unsigned to, char *out)
{
	size_t n = 0;

	for (unsigned i = to; i < from; i++)
		out[n++] = ASCII_BS;
	for (unsigned i = from; i < to; i++)
		out[n++] = text[i]; /* rewriting what is there moves right */
	return n;
}

size_t term_redraw(const char *old, unsigned old_len, unsigned old_cursor, const char *new,
		   unsigned new_len, unsigned new_cursor, char *out)
{
	unsigned same = 0, end;
	size_t n;

	while (same < old_len && same < new_len && old[same] == new[same])
		same++;
	if (same == old_len && same == new_len)
		return move(new, old_cursor, new_cursor, out);
	n = move(new, old_cursor, same, out);
	for (unsigned i = same; i < new_len; i++)
		out[n++] = new[i];
	end = new_len;
	for (; end < old_len; end++)
		out[n++] = ' ';
	return n + move(new, end, new_cursor, out + n);
}
