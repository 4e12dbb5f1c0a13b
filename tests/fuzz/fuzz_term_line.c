/*
 * libFuzzer target for lib/term_line.c: a guest's console output, the
 * only bytes of a guest that reach Keel's terminal. Input: the bytes a
 * guest writes. After every byte: the line holds only printable text
 * within TERM_LINE_MAX columns with its cursor on it, and the redraw from
 * the line as it stood before that byte, applied to a simulated terminal
 * (tests/unit/term_sim.h), leaves the terminal showing exactly the new
 * line with its cursor where the line has it. Output that never reaches a
 * guest's terminal (escape sequences) thus never reaches Keel's.
 */
#include "tests/fuzz/fuzz_check.h"

#include "lib/term_line.h"
#include "tests/unit/term_sim.h"

static void check_line(const struct term_line *l)
{
	FUZZ_CHECK(l->len <= TERM_LINE_MAX);
	FUZZ_CHECK(l->cursor <= l->len);
	FUZZ_CHECK(l->text[l->len] == '\0');
	for (unsigned i = 0; i < l->len; i++)
		FUZZ_CHECK(l->text[i] >= 0x20 && l->text[i] < 0x7F);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct term_line l, before;
	static char out[TERM_REDRAW_MAX];
	static struct term_sim t;

	memset(&l, 0, sizeof(l));
	term_line_clear(&l);
	term_sim_init(&t);
	for (size_t i = 0; i < size; i++) {
		enum term_feed r;
		size_t n;

		before = l;
		r = term_line_feed(&l, data[i]);
		check_line(&l);
		FUZZ_CHECK(r == TERM_LINE_MORE || r == TERM_LINE_DONE);
		FUZZ_CHECK(r == TERM_LINE_DONE || l.len < TERM_LINE_MAX);
		n = term_redraw(before.text, before.len, before.cursor, l.text, l.len, l.cursor,
				out);
		FUZZ_CHECK(n <= TERM_REDRAW_MAX);
		term_sim_apply(&t, out, n);
		FUZZ_CHECK(term_sim_shows(&t, l.text, l.len, l.cursor));
		if (r == TERM_LINE_DONE) {
			term_line_clear(&l);
			term_sim_init(&t);
		}
	}
	return 0;
}
