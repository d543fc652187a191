/* test_th.c - the span helpers every module shares (th.h). */
#include <criterion/criterion.h>

#include "th.h"

static struct th_span span(const char *s)
{
	return th_cstr(s);
}

Test(th, find_gives_the_first_whole_literal)
{
	struct th_span s = span("an exception=, then exception=KeyError(");
	const char *at = th_find(s, "exception=", 10, 9);
	cr_assert_eq(at, s.p + 3);
	struct th_span rest = {at + 1, s.n - 4};
	cr_assert_eq(th_find(rest, "exception=", 10, 9), s.p + 20);
}

Test(th, find_skips_the_rare_byte_where_the_rest_differs)
{
	/* '=' is found twice before the literal around it matches */
	struct th_span s = span("a=1 b=2 key=3");
	cr_assert_eq(th_find(s, "key=", 4, 3), s.p + 8);
	cr_assert_null(th_find(s, "kez=", 4, 3));
}

Test(th, find_by_the_first_byte_and_at_the_edges)
{
	struct th_span s = span("INFO x DEBUG");
	cr_assert_eq(th_find(s, "INFO", 4, 0), s.p);
	cr_assert_eq(th_find(s, "DEBUG", 5, 0), s.p + 7);
	cr_assert_eq(th_find(s, "DEBUG", 5, 4), s.p + 7);
}

Test(th, find_never_reads_past_the_span)
{
	/* the literal's rare byte is in the span, its rest past the end */
	const char text[] = "xx exception=";
	struct th_span cut = {text, sizeof text - 2}; /* without the '=' */
	cr_assert_null(th_find(cut, "exception=", 10, 9));
	cr_assert_null(th_find((struct th_span){text, 3}, "exception=", 10, 0));
	cr_assert_null(th_find((struct th_span){text, 0}, "x", 1, 0));
}

Test(th, trim_end_drops_trailing_blanks_tabs_and_carriage_returns)
{
	struct th_span s = span("  raise KeyError \t\r ");
	struct th_span t = th_trim_end(s);
	cr_assert_eq(t.p, s.p);
	cr_assert_eq(t.n, 16);
	cr_assert_eq(th_trim_end(span("x")).n, 1);
	cr_assert_eq(th_trim_end(span(" \t\r")).n, 0);
	cr_assert_eq(th_trim_end(span("")).n, 0);
	/* other control bytes and the bytes past 0x7f are kept: only the
	 * visible byte's quick return is a shortcut */
	cr_assert_eq(th_trim_end(span("a\x01")).n, 2);
	cr_assert_eq(th_trim_end(span("a\n")).n, 2);
	cr_assert_eq(th_trim_end(span("a\xc3\xa9")).n, 3);
}

/* th_same_bytes against memcmp: every length to 70 (each of its ways:
 * bytes, two 4-byte and two 8-byte words, 16-byte steps with the last
 * one moved back), the same bytes and one byte changed at every place. */
Test(th, same_bytes_agrees_with_memcmp_at_every_length_and_place)
{
	char a[80], b[80];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (char)('a' + i % 26);
	for (size_t n = 0; n <= 70; n++) {
		memcpy(b, a, sizeof b);
		cr_assert(th_same_bytes(a, b, n), "%zu bytes alike", n);
		for (size_t at = 0; at < n; at++) {
			b[at] ^= 0x20;
			cr_assert(!th_same_bytes(a, b, n),
				  "%zu bytes, byte %zu", n, at);
			b[at] ^= 0x20;
		}
		/* a byte past the N is not compared */
		b[n] ^= 0x20;
		cr_assert(th_same_bytes(a, b, n), "%zu bytes, one past", n);
		b[n] ^= 0x20;
	}
}
