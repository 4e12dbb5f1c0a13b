/*
 * Host tests for lib/term_line.c: what a shell's line editing draws
 * (Debian busybox's prompt, backspace, an insertion mid-line), each
 * control byte and escape sequence of the table in lib/term_line.h, the
 * line's limit, and term_redraw() checked against a simulated terminal
 * for fixed cases and 20,000 random pairs of lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/term_line.h"
#include "tests/unit/term_sim.h"

static struct term_line l;

/* Feeds s (n bytes); returns how many bytes ended the line. */
static unsigned feed(const char *s, size_t n)
{
	unsigned done = 0;

	for (size_t i = 0; i < n; i++)
		if (term_line_feed(&l, (u8)s[i]) == TERM_LINE_DONE)
			done++;
	return done;
}

#define FEED(s) feed(s, sizeof(s) - 1)

static void expect_line(const char *text, unsigned cursor)
{
	assert_string_equal(l.text, text);
	assert_int_equal(l.len, strlen(text));
	assert_int_equal(l.cursor, cursor);
}

static int setup(void **state)
{
	memset(&l, 0, sizeof(l));
	term_line_clear(&l);
	return 0;
}

static void test_plain_text_and_newline(void **state)
{
	assert_int_equal(FEED("hello"), 0);
	expect_line("hello", 5);
	assert_int_equal(FEED("\r\n"), 1); /* CR LF: the line as written */
	expect_line("hello", 0);
	term_line_clear(&l);
	expect_line("", 0);
}

static void test_busybox_prompt_drops_the_cursor_query(void **state)
{
	/* What Debian's busybox ash writes for its prompt. */
	assert_int_equal(FEED("/ # \x1b[6n"), 0);
	expect_line("/ # ", 4);
	assert_int_equal(l.esc, TERM_ESC_NONE);
}

static void test_backspace_as_busybox_draws_it(void **state)
{
	FEED("/ # lss");
	FEED("\b\x1b[J"); /* one Backspace: back one, erase to the end of the screen */
	expect_line("/ # ls", 6);
	FEED("\b\b\x1b[J");
	expect_line("/ # ", 4);
	FEED("\b\b\b\b\b\b"); /* never past column 0 */
	expect_line("/ # ", 0);
}

static void test_insertion_mid_line(void **state)
{
	FEED("abd");
	FEED("\b");   /* cursor left */
	FEED("cd\b"); /* 'c' typed before 'd': the rest redrawn, the cursor put back */
	expect_line("abcd", 3);
	FEED("\x1b[2D");
	expect_line("abcd", 1);
	FEED("\x1b[C");
	expect_line("abcd", 2);
	FEED("\x1b[0D"); /* 0 means 1 */
	expect_line("abcd", 1);
	FEED("\x1b[K");
	expect_line("a", 1);
}

static void test_carriage_return_overwrites(void **state)
{
	FEED(" 10%\r 55%\r");
	expect_line(" 55%", 0);
	FEED("100%");
	expect_line("100%", 4);
}

static void test_erase_modes(void **state)
{
	FEED("abcdef\x1b[3D");
	expect_line("abcdef", 3);
	FEED("\x1b[1K"); /* start to cursor, inclusive */
	expect_line("    ef", 3);
	FEED("\x1b[2K"); /* the whole line; the cursor stays */
	expect_line("   ", 3);
	FEED("xyz\x1b[2D\x1b[0J");
	expect_line("   x", 4);
	FEED("\x1b[7K"); /* unknown mode: nothing */
	expect_line("   x", 4);
}

static void test_moves_right_and_to_a_column_pad_with_blanks(void **state)
{
	FEED("ab\x1b[3C");
	expect_line("ab   ", 5);
	FEED("\x1b[2G");
	expect_line("ab   ", 1);
	FEED("\x1b[9Gx");
	expect_line("ab      x", 9);
	FEED("\x1b[G");
	expect_line("ab      x", 0);
}

static void test_tab_moves_to_the_next_stop(void **state)
{
	FEED("a\tb");
	expect_line("a       b", 9);
	FEED("\r\t");
	expect_line("a       b", 8);
	FEED("\t");
	expect_line("a       b       ", 16);
}

static void test_escapes_are_dropped(void **state)
{
	FEED("\x1b[1;32mgreen\x1b[0m ");
	expect_line("green ", 6);
	FEED("\x1b]0;a window title\x07t");
	expect_line("green t", 7);
	FEED("\x1b]2;title\x1b\\i");
	expect_line("green ti", 8);
	FEED("\x1b(Bt\x1b"
	     "7l\x1b[?25le\x1b[?2004h");
	expect_line("green title", 11);
	assert_int_equal(l.esc, TERM_ESC_NONE);
}

static void test_other_control_bytes(void **state)
{
	FEED("a\x01"
	     "b\x7f\x07");
	feed("\0", 1);
	expect_line("a.b", 3);
	FEED("\x80\xff");
	expect_line("a.b..", 5);
}

static void test_control_byte_ends_a_sequence(void **state)
{
	assert_int_equal(FEED("ab\x1b[12\n"), 1); /* LF inside CSI: the line ends */
	expect_line("ab", 2);
	term_line_clear(&l);
	FEED("\x1b]title\rxy"); /* CR inside OSC ends it and acts */
	expect_line("xy", 2);
	FEED("\x1b[\x1b[Dz"); /* ESC inside CSI starts a new sequence */
	expect_line("xz", 2);
	FEED("\x1b[1\x80"); /* a high byte ends it and shows */
	expect_line("xz.", 3);
}

static void test_escape_spans_lines(void **state)
{
	FEED("a\x1b");
	term_line_clear(&l);
	FEED("[1mb");
	expect_line("b", 1);
}

static void test_the_line_ends_at_its_limit(void **state)
{
	char s[TERM_LINE_MAX + 1];

	memset(s, 'x', sizeof(s));
	assert_int_equal(feed(s, TERM_LINE_MAX - 1), 0);
	assert_int_equal(feed(s, 1), 1);
	assert_int_equal(l.len, TERM_LINE_MAX);
	term_line_clear(&l);
	assert_int_equal(FEED("\x1b[99999999C"), 1); /* a move past it: capped, ended */
	assert_int_equal(l.len, TERM_LINE_MAX);
	assert_int_equal(l.cursor, TERM_LINE_MAX);
	term_line_clear(&l);
	assert_int_equal(FEED("\x1b[99999999D"), 0);
	assert_int_equal(FEED("\x1b[99999999G"), 1);
}

/* --- term_redraw --- */

static char out[TERM_REDRAW_MAX];

static void check_redraw(const char *old, unsigned old_cur, const char *new, unsigned new_cur)
{
	struct term_sim t;
	unsigned old_len = (unsigned)strlen(old), new_len = (unsigned)strlen(new);
	size_t n;

	term_sim_init(&t);
	term_sim_apply(&t, old, old_len);
	term_sim_apply(&t, "\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b",
		       old_len - old_cur);
	assert_true(term_sim_shows(&t, old, old_len, old_cur));
	n = term_redraw(old, old_len, old_cur, new, new_len, new_cur, out);
	assert_true(n <= TERM_REDRAW_MAX);
	term_sim_apply(&t, out, n);
	assert_true(term_sim_shows(&t, new, new_len, new_cur));
}

static void test_redraw_sends_only_what_changed(void **state)
{
	assert_int_equal(term_redraw("abc", 3, 3, "abc", 3, 3, out), 0);
	assert_int_equal(term_redraw("abc", 3, 3, "abcde", 5, 5, out), 2);
	assert_memory_equal(out, "de", 2);
	assert_int_equal(term_redraw("abc", 3, 3, "ab", 2, 2, out), 3);
	assert_memory_equal(out, "\b \b", 3);
	assert_int_equal(term_redraw("abcd", 4, 4, "abcd", 4, 1, out), 3);
	assert_memory_equal(out, "\b\b\b", 3);
	assert_int_equal(term_redraw("abcd", 4, 1, "abcd", 4, 3, out), 2);
	assert_memory_equal(out, "bc", 2); /* right by redrawing what is there */
	check_redraw("/ # ls", 6, "/ # l", 5);
	check_redraw("abd", 2, "abcd", 3);
	check_redraw("hello world", 3, "help", 0);
	check_redraw("", 0, "x", 1);
	check_redraw("xyz", 1, "", 0);
}

static void test_redraw_random_pairs(void **state)
{
	static char a[TERM_LINE_MAX + 1], b[TERM_LINE_MAX + 1];
	struct term_sim t;

	srand(13);
	for (unsigned k = 0; k < 20000; k++) {
		unsigned al = (unsigned)rand() % (TERM_LINE_MAX + 1);
		unsigned bl = rand() % 4 ? al + (unsigned)rand() % 9 - 4 : (unsigned)rand() % 201;
		unsigned ac, bc;
		size_t n;

		if (bl > TERM_LINE_MAX)
			bl = al;
		for (unsigned i = 0; i < al; i++)
			a[i] = (char)('a' + rand() % 3);
		memcpy(b, a, bl < al ? bl : al);
		for (unsigned i = al; i < bl; i++)
			b[i] = (char)('a' + rand() % 3);
		if (bl && rand() % 2)
			b[rand() % bl] = (char)('a' + rand() % 4);
		ac = (unsigned)rand() % (al + 1);
		bc = (unsigned)rand() % (bl + 1);
		term_sim_init(&t);
		term_sim_apply(&t, a, al);
		t.cursor = ac;
		n = term_redraw(a, al, ac, b, bl, bc, out);
		assert_true(n <= TERM_REDRAW_MAX);
		term_sim_apply(&t, out, n);
		if (!term_sim_shows(&t, b, bl, bc))
			fail_msg("pair %u: %u/%u -> %u/%u", k, al, ac, bl, bc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_plain_text_and_newline, setup),
	    cmocka_unit_test_setup(test_busybox_prompt_drops_the_cursor_query, setup),
	    cmocka_unit_test_setup(test_backspace_as_busybox_draws_it, setup),
	    cmocka_unit_test_setup(test_insertion_mid_line, setup),
	    cmocka_unit_test_setup(test_carriage_return_overwrites, setup),
	    cmocka_unit_test_setup(test_erase_modes, setup),
	    cmocka_unit_test_setup(test_moves_right_and_to_a_column_pad_with_blanks, setup),
	    cmocka_unit_test_setup(test_tab_moves_to_the_next_stop, setup),
	    cmocka_unit_test_setup(test_escapes_are_dropped, setup),
	    cmocka_unit_test_setup(test_other_control_bytes, setup),
	    cmocka_unit_test_setup(test_control_byte_ends_a_sequence, setup),
	    cmocka_unit_test_setup(test_escape_spans_lines, setup),
	    cmocka_unit_test_setup(test_the_line_ends_at_its_limit, setup),
	    cmocka_unit_test(test_redraw_sends_only_what_changed),
	    cmocka_unit_test(test_redraw_random_pairs),
	};

	return cmocka_run_group_tests_name("term_line", tests, NULL, NULL);
}
