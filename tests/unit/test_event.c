/* test_event.c - an event keeps its head and tail lines within limits. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "event.h"

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

Test(event, text_joins_lines_with_newlines)
{
	struct th_event ev;
	event_init(&ev);
	event_add_line(&ev, span("a"));
	event_add_line(&ev, span(""));
	event_add_line(&ev, span("c"));
	char buf[16];
	cr_expect_eq(event_text(&ev, buf, sizeof buf), 4);
	cr_expect_str_eq(buf, "a\n\nc");
	cr_expect_eq(event_text(&ev, buf, 3), 4, "length even when cut");
	cr_expect_str_eq(buf, "a\n");
	event_fini(&ev);
}

Test(event, long_events_keep_head_and_tail_and_count_the_rest)
{
	struct th_event ev;
	event_init(&ev);
	size_t total = TH_EVENT_HEAD_LINES + TH_EVENT_TAIL_LINES + 1000;
	for (size_t i = 0; i < total; i++) {
		char line[32];
		snprintf(line, sizeof line, "line %zu", i);
		event_add_line(&ev, span(line));
	}
	cr_assert_eq(event_line_count(&ev),
		     TH_EVENT_HEAD_LINES + TH_EVENT_TAIL_LINES);
	cr_expect_eq(ev.skipped, 1000);
	struct th_span last = event_line(&ev, event_line_count(&ev) - 1);
	char want[32];
	snprintf(want, sizeof want, "line %zu", total - 1);
	cr_expect(last.n == strlen(want) && memcmp(last.p, want, last.n) == 0);
	struct th_span first_tail = event_line(&ev, TH_EVENT_HEAD_LINES);
	snprintf(want, sizeof want, "line %zu", total - TH_EVENT_TAIL_LINES);
	cr_expect(first_tail.n == strlen(want) &&
		  memcmp(first_tail.p, want, first_tail.n) == 0);
	cr_expect(event_gap_before(&ev, TH_EVENT_HEAD_LINES));
	event_reset(&ev);
	cr_expect_eq(event_line_count(&ev), 0);
	event_fini(&ev);
}

Test(event, overlong_lines_are_cut_and_counted)
{
	static char big[TH_EVENT_LINE_BYTES * 2];
	memset(big, 'x', sizeof big);
	struct th_event ev;
	event_init(&ev);
	event_add_line(&ev, (struct th_span){big, sizeof big});
	cr_expect_eq(event_line(&ev, 0).n, TH_EVENT_LINE_BYTES);
	cr_expect_eq(ev.lines_cut, 1);
	event_fini(&ev);
}

Test(event, fields_are_set_cut_and_unset)
{
	struct th_event ev;
	event_init(&ev);
	cr_expect(!event_has(&ev, TH_F_COROUTINE));
	event_set(&ev, TH_F_COROUTINE, span("fetch"));
	cr_expect(event_has(&ev, TH_F_COROUTINE));
	cr_expect_eq(event_get(&ev, TH_F_COROUTINE).n, 5);
	static char big[TH_MAX_FIELD * 2];
	memset(big, 'y', sizeof big);
	event_set(&ev, TH_F_TASK, (struct th_span){big, sizeof big});
	cr_expect_eq(event_get(&ev, TH_F_TASK).n, TH_MAX_FIELD - 1);
	event_unset(&ev, TH_F_COROUTINE);
	cr_expect(event_get(&ev, TH_F_COROUTINE).p == NULL);
	event_fini(&ev);
}

Test(event, an_empty_first_line_is_kept_as_an_empty_line)
{
	struct th_event ev;
	event_init(&ev);
	event_add_line(&ev, (struct th_span){"", 0});
	cr_assert_eq(event_line_count(&ev), 1);
	cr_expect(event_line(&ev, 0).p != NULL);
	cr_expect_eq(event_line(&ev, 0).n, 0);
	event_fini(&ev);
}

/* Issue 13: a NUL byte in a value cut it in group keys but not in
 * ndjson; a value is now a C string everywhere, the NUL made U+FFFD. */
Test(event, a_nul_byte_in_a_value_becomes_a_replacement_character)
{
	struct th_event ev;
	event_init(&ev);
	event_set(&ev, TH_F_COROUTINE, (struct th_span){"ab\0cd", 5});
	struct th_span v = event_get(&ev, TH_F_COROUTINE);
	cr_expect_eq(v.n, 7);
	cr_expect(memcmp(v.p,
			 "ab\xef\xbf\xbd"
			 "cd",
			 7) == 0,
		  "got %.*s", (int)v.n, v.p);
	cr_expect_eq(strlen(v.p), v.n, "no NUL left before its end");
	static char nuls[TH_MAX_FIELD * 2];
	event_set(&ev, TH_F_TASK, (struct th_span){nuls, sizeof nuls});
	v = event_get(&ev, TH_F_TASK);
	cr_expect_eq(v.n, (TH_MAX_FIELD - 1) / 3 * 3,
		     "cut before the limit, never inside a replacement");
	cr_expect_eq(strlen(v.p), v.n);
	event_fini(&ev);
}

/* The NUL test rides on the copy's words and vectors and its
 * overlapping last step: a NUL at every place of a value of every length
 * up to a few 32-byte steps must be found (and a byte of 0x80 or 0x01
 * next to it must not fool the word test). */
Test(event, a_nul_byte_anywhere_in_a_short_value_is_replaced)
{
	struct th_event ev;
	event_init(&ev);
	char src[144];
	for (size_t n = 1; n <= 140; n++) {
		for (size_t at = 0; at < n; at++) {
			for (size_t i = 0; i < n; i++)
				src[i] = (char)(i % 2 ? 0x80 : 0x01);
			src[at] = '\0';
			event_set(&ev, TH_F_TASK, (struct th_span){src, n});
			struct th_span v = event_get(&ev, TH_F_TASK);
			cr_expect(v.n == n + 2 &&
				      memcmp(v.p + at, "\xef\xbf\xbd", 3) == 0,
				  "NUL at %zu of %zu bytes: got %zu bytes", at,
				  n, v.n);
		}
		memset(src, 0x80, n);
		event_set(&ev, TH_F_TASK, (struct th_span){src, n});
		cr_expect_eq(event_get(&ev, TH_F_TASK).n, n,
			     "no NUL in %zu bytes of 0x80", n);
	}
	event_fini(&ev);
}

Test(event, unset_all_but_keeps_only_the_one_field)
{
	struct th_event ev;
	event_init(&ev);
	for (size_t f = 0; f < TH_F_COUNT; f++)
		event_set(&ev, (enum th_field)f, span("v"));
	event_unset_all_but(&ev, TH_F_SOURCE);
	for (size_t f = 0; f < TH_F_COUNT; f++)
		cr_expect_eq(event_has(&ev, (enum th_field)f), f == TH_F_SOURCE,
			     "field %zu", f);
	event_fini(&ev);
}

/* event.c copies lines and values by size class (two ends up to 16
 * bytes, two overlapping 16-byte steps up to 32, two pairs of them from
 * both ends up to 64 for a line, 32-byte steps with an overlapping last
 * one past that): every length around those classes
 * and several steps long must come back byte for byte, with nothing
 * written past it (a value stays NUL-terminated at its length). */
Test(event, lines_and_values_of_every_short_length_are_kept_exactly)
{
	char src[160];
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (char)('!' + i);
	struct th_event ev;
	event_init(&ev);
	for (size_t n = 0; n <= 150; n++)
		event_add_line(&ev, (struct th_span){src + n % 7, n});
	cr_assert_eq(event_line_count(&ev), 151);
	for (size_t n = 0; n <= 150; n++) {
		struct th_span line = event_line(&ev, n);
		cr_expect_eq(line.n, n);
		cr_expect(memcmp(line.p, src + n % 7, n) == 0,
			  "line of %zu bytes: %.*s", n, (int)line.n, line.p);
	}
	for (size_t n = 150; n-- > 0;) {
		event_set(&ev, TH_F_TASK, (struct th_span){src + n % 5, n});
		struct th_span v = event_get(&ev, TH_F_TASK);
		cr_expect(v.n == n && memcmp(v.p, src + n % 5, n) == 0 &&
			      v.p[n] == '\0',
			  "value of %zu bytes: %s", n, v.p);
	}
	event_fini(&ev);
}

Test(event, tail_lines_of_every_short_length_are_kept_exactly)
{
	char src[104];
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (char)('a' + i % 26);
	struct th_event ev;
	event_init(&ev);
	for (size_t i = 0; i < TH_EVENT_HEAD_LINES; i++)
		event_add_line(&ev, span("head"));
	for (size_t n = 0; n <= 100; n++)
		event_add_line(&ev, (struct th_span){src + n % 3, n});
	for (size_t n = 0; n <= 100; n++) {
		struct th_span line = event_line(&ev, TH_EVENT_HEAD_LINES + n);
		cr_expect(line.n == n && memcmp(line.p, src + n % 3, n) == 0,
			  "tail line of %zu bytes", n);
	}
	event_fini(&ev);
}

/* event_borrow_line (the assembler's indented lines) keeps what
 * event_add_line keeps: every short length, an overlong line cut, and
 * lines past the head going to the tail ring; and so it does once
 * event_own_lines copied them and the lent bytes were overwritten. */
Test(event, borrowed_lines_are_the_lines_event_add_line_keeps)
{
	static char src[TH_EVENT_LINE_BYTES + 20];
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (char)('A' + i % 50);
	struct th_event out, in;
	event_init(&out);
	event_init(&in);
	size_t lines = TH_EVENT_HEAD_LINES + TH_EVENT_TAIL_LINES + 50;
	for (size_t i = 0; i < lines; i++) {
		size_t n = i == 3 ? sizeof src - i % 11 : i % 150;
		struct th_span line = {src + i % 11, n};
		event_add_line(&out, line);
		event_borrow_line(&in, line);
	}
	cr_assert_eq(event_line_count(&in), event_line_count(&out));
	cr_expect_eq(in.lines_cut, 1);
	cr_expect_eq(in.skipped, 50);
	cr_expect(in.borrowed);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < event_line_count(&out); i++) {
			struct th_span a = event_line(&out, i),
				       b = event_line(&in, i);
			cr_expect(a.n == b.n && memcmp(a.p, b.p, a.n) == 0,
				  "pass %d, line %zu: %zu bytes, borrowed %zu",
				  pass, i, a.n, b.n);
		}
		event_own_lines(&in);
		cr_expect_not(in.borrowed);
		memset(src, '#', sizeof src); /* the lent bytes move on */
	}
	event_fini(&out);
	event_fini(&in);
}

/* Adds the line "Tn" when T, else "xn", for N; returns nothing. */
static void add_numbered(struct th_event *ev, bool t, size_t n)
{
	char line[32];
	snprintf(line, sizeof line, "%c%zu", t ? 'T' : 'x', n);
	event_add_line(ev, span(line));
}

/* event_t_end names the kept line just after the last one led by 'T',
 * in the head, in the tail ring as it wraps, and falls back to the
 * head's end once that line has left the ring. */
Test(event, t_end_follows_the_last_t_line_through_head_gap_and_ring)
{
	struct th_event ev;
	event_init(&ev);
	cr_expect_eq(event_t_end(&ev), 0, "no line");
	add_numbered(&ev, false, 0);
	cr_expect_eq(event_t_end(&ev), 0, "no T line");
	add_numbered(&ev, true, 1);
	add_numbered(&ev, false, 2);
	cr_expect_eq(event_t_end(&ev), 2, "T line 1 in the head");
	event_borrow_line(&ev, span("  indented"));
	cr_expect_eq(event_t_end(&ev), 2);
	size_t i = event_line_count(&ev);
	for (; i < TH_EVENT_HEAD_LINES + 5; i++)
		add_numbered(&ev, i == TH_EVENT_HEAD_LINES + 2, i);
	cr_expect_eq(event_t_end(&ev), TH_EVENT_HEAD_LINES + 3, "in the tail");
	/* wrap the ring several times, the T line always among the last */
	for (; i < TH_EVENT_HEAD_LINES + 3 * TH_EVENT_TAIL_LINES + 7; i++) {
		add_numbered(&ev, i % 150 == 0, i);
		if (i % 150 == 0) {
			size_t at = event_t_end(&ev) - 1;
			struct th_span l = event_line(&ev, at);
			char want[32];
			snprintf(want, sizeof want, "T%zu", i);
			cr_expect(l.n == strlen(want) &&
				      memcmp(l.p, want, l.n) == 0,
				  "line %zu: kept line %zu is %.*s", i, at,
				  (int)l.n, l.p);
		}
	}
	cr_expect_gt(ev.skipped, 0);
	/* the last T line (i = 750 + 150k) leaves the ring after
	 * TH_EVENT_TAIL_LINES more lines */
	size_t last_t = i - 1 - (i - 1) % 150;
	cr_expect_eq(event_t_end(&ev),
		     event_line_count(&ev) - (i - 1 - last_t));
	for (size_t k = 0; k < TH_EVENT_TAIL_LINES; k++, i++)
		add_numbered(&ev, false, i);
	cr_expect_eq(event_t_end(&ev), TH_EVENT_HEAD_LINES,
		     "left the ring: the head's end");
	add_numbered(&ev, true, i);
	cr_expect_eq(event_t_end(&ev), event_line_count(&ev), "the last");
	event_reset(&ev);
	cr_expect_eq(event_t_end(&ev), 0, "reset forgets it");
	event_fini(&ev);
}

/* A run of borrowed lines (event_run_spans): the spans go to the head
 * lines left, which are none before the head's first line; the lines
 * committed are kept like added ones, and the next line added follows
 * them. */
Test(event, lines_borrowed_in_a_run_are_kept_as_head_lines)
{
	struct th_event ev;
	event_init(&ev);
	size_t lines;
	event_run_spans(&ev, &lines);
	cr_expect_eq(lines, 0);
	event_add_line(&ev, span("first"));
	struct th_span *spans = event_run_spans(&ev, &lines);
	cr_expect_eq(lines, ev.head_room - 1, "lines left: %zu", lines);
	/* two lines and what lies between them, as the bytes read */
	char run[] = "  File \"a.py\", line 1, in f   \n    f()\n";
	const char *second = strchr(run, '\n') + 1;
	spans[0] =
	    (struct th_span){run, strlen("  File \"a.py\", line 1, in f")};
	spans[1] = (struct th_span){second, strlen("    f()")};
	event_run_commit(&ev, 2);
	event_add_line(&ev, span("ValueError: x"));
	char buf[128];
	event_text(&ev, buf, sizeof buf);
	const char *want = "first\n  File \"a.py\", line 1, in f\n    f()\n"
			   "ValueError: x";
	cr_expect_str_eq(buf, want);
	cr_expect_eq(event_line_count(&ev), 4);
	event_run_spans(&ev, &lines);
	cr_expect_eq(lines, ev.head_room - 4);
	event_own_lines(&ev);
	memset(run, 'x', sizeof run - 1);
	event_text(&ev, buf, sizeof buf);
	cr_expect_str_eq(buf, want, "owned");
	event_fini(&ev);
}

/* Copied and borrowed head lines mixed: the store grows (and moves)
 * while lines are borrowed, and event_own_lines then moves it again;
 * every line keeps its bytes, a borrowed one rebased by neither. */
Test(event, a_store_that_grows_rebases_only_its_own_lines)
{
	static char lent[TH_EVENT_HEAD_LINES][48];
	struct th_event ev;
	event_init(&ev);
	for (size_t i = 0; i < TH_EVENT_HEAD_LINES; i++) {
		int n = snprintf(lent[i], sizeof lent[i], "  line %zu of %s", i,
				 i % 2 ? "a borrowed run" : "copies");
		struct th_span line = {lent[i], (size_t)n};
		if (i % 2)
			event_borrow_line(&ev, line);
		else
			event_add_line(&ev, line);
	}
	event_own_lines(&ev);
	memset(lent, '#', sizeof lent);
	cr_assert_eq(event_line_count(&ev), TH_EVENT_HEAD_LINES);
	for (size_t i = 0; i < TH_EVENT_HEAD_LINES; i++) {
		char want[48];
		snprintf(want, sizeof want, "  line %zu of %s", i,
			 i % 2 ? "a borrowed run" : "copies");
		struct th_span l = event_line(&ev, i);
		cr_expect(l.n == strlen(want) && memcmp(l.p, want, l.n) == 0,
			  "line %zu: %.*s", i, (int)l.n, l.p);
	}
	event_fini(&ev);
}
