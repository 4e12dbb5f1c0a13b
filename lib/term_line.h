/*
 * One line of a terminal, as a program writing to a serial console draws
 * it, and the bytes that redraw it elsewhere.
 *
 * A guest's shell does not just append to its line: line editing moves the
 * cursor back (BS, CSI n D), rewrites what follows, erases to the end of
 * the line (CSI K, CSI J) and asks the terminal where its cursor is
 * (CSI 6n). Keel shows each guest's output as its own lines, so it keeps
 * the line the guest has drawn so far (struct term_line, fed byte by byte
 * by term_line_feed) and redraws Keel's copy of it on Keel's console with
 * nothing but BS, blanks and text (term_redraw): no escape sequence of a
 * guest reaches Keel's terminal, and none is shown as garbage.
 *
 * What a byte does (ECMA-48 where it applies):
 *   printable (0x20-0x7E)  replaces the character at the cursor, or
 *                          appends; the cursor moves right
 *   CR                     cursor to column 0
 *   BS                     cursor one left (not past column 0)
 *   HT                     blanks to the next multiple of 8
 *   LF                     ends the line (TERM_LINE_DONE)
 *   NUL, BEL, DEL          nothing
 *   ESC [ params final     CSI: D/C cursor left/right by the first
 *                          parameter (default 1), G to that column,
 *                          K/J erase (0: cursor to end, 1: start to
 *                          cursor, 2: all); every other CSI (SGR colours,
 *                          the 6n query, private modes) is dropped
 *   ESC ] ... BEL | ESC \  OSC (a window title): dropped
 *   ESC other              two- or three-byte escapes: dropped
 *   other bytes            shown as '.'
 * A control byte inside an escape sequence ends it and acts as itself.
 */
#ifndef KEEL_LIB_TERM_LINE_H
#define KEEL_LIB_TERM_LINE_H

#include "lib/types.h"

#define TERM_LINE_MAX 200 /* columns kept; a longer line is ended there */

enum term_esc {
	TERM_ESC_NONE,
	TERM_ESC_ESC,	   /* after ESC */
	TERM_ESC_CSI,	   /* after ESC [ */
	TERM_ESC_OSC,	   /* after ESC ], until BEL or ESC \ */
	TERM_ESC_INTERMED, /* after ESC and an intermediate byte (ESC ( B) */
};

struct term_line {
	char text[TERM_LINE_MAX + 1]; /* [0, len), NUL-terminated */
	unsigned len;
	unsigned cursor; /* <= len: where the next character goes */
	enum term_esc esc;
	unsigned param;	 /* the CSI's first parameter, as read so far */
	bool param_more; /* past the first parameter (a ';' was seen) */
};

enum term_feed {
	TERM_LINE_MORE, /* the line goes on */
	TERM_LINE_DONE, /* LF, or TERM_LINE_MAX columns: show it, then term_line_clear() */
};

void term_line_clear(struct term_line *l);
enum term_feed term_line_feed(struct term_line *l, u8 c);

/*
 * The bytes that turn a terminal line showing old[0, old_len) with its
 * cursor at old_cursor into one showing new[0, new_len) (blanks after it)
 * with the cursor at new_cursor: BS to go left, text to go right and to
 * draw, blanks to erase. Writes at most TERM_REDRAW_MAX bytes to out and
 * returns how many (0: nothing to change). Lengths are at most
 * TERM_LINE_MAX, cursors at most their lengths.
 */
#define TERM_REDRAW_MAX (5 * TERM_LINE_MAX)
size_t term_redraw(const char *old, unsigned old_len, unsigned old_cursor, const char *new,
		   unsigned new_len, unsigned new_cursor, char *out);

#endif
