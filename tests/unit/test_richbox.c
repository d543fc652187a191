/* test_richbox.c - rich's traceback panels read back into Python's lines. */
#include <criterion/criterion.h>
#include <string.h>

#include "richbox.h"

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

/* U+2500 and the panel's corners and side, in UTF-8 */
#define H   "\xe2\x94\x80"
#define TL  "\xe2\x95\xad"
#define TR  "\xe2\x95\xae"
#define BL  "\xe2\x95\xb0"
#define BR  "\xe2\x95\xaf"
#define V   "\xe2\x94\x82"
#define PTR "\xe2\x9d\xb1"

#define TOP TL H H H " Traceback (most recent call last) " H H H TR

Test(richbox, a_traceback_panel_opens_at_its_top_border)
{
	size_t indent = 99;
	cr_expect(richbox_is_top(span(TOP), &indent));
	cr_expect_eq(indent, 0);
	cr_expect(richbox_is_top(span("    " TOP "   \r"), &indent));
	cr_expect_eq(indent, 4, "RichHandler's column: %zu", indent);
	static const char *const no[] = {
	    TL H H " locals " H H TR,
	    TL H H H TR,
	    "Traceback (most recent call last):",
	    TL " Traceback (most recent call last) " TR,
	    TL H " Traceback (most recent call last) " H,
	    H H " Traceback (most recent call last) " H TR,
	    "",
	    TL};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		cr_expect(!richbox_is_top(span(no[i]), &indent), "%s", no[i]);
	cr_expect(strstr(TOP, RICHBOX_TITLE) != NULL,
		  "the literal searched for is in the border");
	cr_expect((unsigned char)TOP[0] == RICHBOX_LEAD);
	cr_expect((unsigned char)V[0] == RICHBOX_LEAD);
}

Test(richbox, a_panel_line_is_its_content_its_bottom_or_none_of_it)
{
	struct th_span c = {NULL, 0};
	cr_expect_eq(richbox_side(span(V " /a/x.py:3 in f     " V), 0, &c),
		     RICHBOX_INSIDE);
	cr_expect_eq(c.n, strlen("/a/x.py:3 in f"));
	cr_expect(memcmp(c.p, "/a/x.py:3 in f", c.n) == 0);
	cr_expect_eq(richbox_side(span(V "          " V "   "), 0, &c),
		     RICHBOX_INSIDE);
	cr_expect_eq(c.n, 0, "a blank line of the panel");
	cr_expect_eq(richbox_side(span("  " V " x " V), 2, &c), RICHBOX_INSIDE);
	cr_expect_eq(c.n, 1);
	cr_expect_eq(richbox_side(span(BL H H H BR), 0, &c), RICHBOX_BOTTOM);
	cr_expect_eq(richbox_side(span("  " BL H BR "  "), 2, &c),
		     RICHBOX_BOTTOM);
	static const char *const outside[] = {
	    "ValueError: x",
	    "",
	    V,
	    V " x",
	    " " V " x " V,
	    BL H H,
	    "  File \"/a/x.py\", line 3, in f"};
	for (size_t i = 0; i < sizeof outside / sizeof *outside; i++)
		cr_expect_eq(richbox_side(span(outside[i]), 0, &c),
			     RICHBOX_OUTSIDE, "%s", outside[i]);
	cr_expect_eq(richbox_side(span(V " x " V), 2, &c), RICHBOX_OUTSIDE,
		     "not at the panel's column");
}

Test(richbox, headings_are_text_at_the_first_column_and_nothing_else)
{
	static const char *const yes[] = {"/tmp/app/x.py:12 in fetch",
					  "in <module>", "/very/long/pa",
					  "s/ledger.py:2 in f"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		cr_expect(richbox_is_heading(span(yes[i])), "%s", yes[i]);
	static const char *const no[] = {"",
					 "   12 " V "   await fetch()",
					 PTR " 13 " V "   raise X()",
					 TL H " locals " H TR,
					 V " amount = 250 " V,
					 BL H H BR,
					 "        ... 12 frames hidden ..."};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		cr_expect(!richbox_is_heading(span(no[i])), "%s", no[i]);
}

/* One heading from PIECES joined as rich's wrapping cut it. */
static void expect_joined(const char *const *pieces, size_t n, const char *want)
{
	char buf[128];
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		cr_assert(richbox_join(buf, &len, sizeof buf, span(pieces[i])));
	cr_expect_eq(len, strlen(want), "%.*s", (int)len, buf);
	cr_expect(memcmp(buf, want, len) == 0, "%.*s", (int)len, buf);
}

Test(richbox, a_wrapped_heading_is_joined_as_it_was)
{
	static const char *const folded[] = {
	    "/srv/app/vendor/settlement_channel", "s/ledger.py:2 in reconcile"};
	expect_joined(folded, 2,
		      "/srv/app/vendor/settlement_channels/ledger.py:2 "
		      "in reconcile");
	static const char *const before_in[] = {"/srv/app/x.py:452",
						"in _handle_request"};
	expect_joined(before_in, 2, "/srv/app/x.py:452 in _handle_request");
	static const char *const after_in[] = {"/srv/app/x.py:452 in",
					       "_handle_request"};
	expect_joined(after_in, 2, "/srv/app/x.py:452 in _handle_request");
	static const char *const three[] = {"/a/b", "/c.py:7", "in f"};
	expect_joined(three, 3, "/a/b/c.py:7 in f");
	char small[8];
	size_t len = 0;
	cr_expect(richbox_join(small, &len, sizeof small, span("/a/b/c")));
	cr_expect(!richbox_join(small, &len, sizeof small, span(".py:3")),
		  "too long for the buffer");
	cr_expect_eq(len, 6, "nothing appended");
}

Test(richbox, a_heading_becomes_pythons_frame_line)
{
	char out[256];
	size_t n =
	    richbox_frame(span("/tmp/app/x.py:12 in fetch"), out, sizeof out);
	cr_expect_eq(n, strlen("  File \"/tmp/app/x.py\", line 12, in fetch"));
	cr_expect(
	    memcmp(out, "  File \"/tmp/app/x.py\", line 12, in fetch", n) == 0,
	    "%.*s", (int)n, out);
	n = richbox_frame(span("/a b/x.py:3 in <module>"), out, sizeof out);
	cr_expect(memcmp(out, "  File \"/a b/x.py\", line 3, in <module>", n) ==
		      0,
		  "a blank in the path: %.*s", (int)n, out);
	static const char *const no[] = {"in <module>",	   "/a/x.py in f",
					 "/a/x.py:12 in",  "/a/x.py: in f",
					 ":12 in f",	   "/a/x.py:12 in f g",
					 "/a/x.py:1x in f"};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		cr_expect_eq(richbox_frame(span(no[i]), out, sizeof out), 0,
			     "%s", no[i]);
	cr_expect_eq(richbox_frame(span("/a/x.py:12 in fetch"), out, 20), 0,
		     "OUT too small");
}

Test(richbox, the_failing_line_becomes_the_line_under_its_frame)
{
	char out[128];
	struct {
		const char *content, *want;
	} cases[] = {
	    {PTR " 15 asyncio.run(main())", "    asyncio.run(main())"},
	    {PTR "  9 " V "   raise ValueError(x)", "    raise ValueError(x)"},
	    {PTR " 190 " V "   " V "   return runner.run(main)",
	     "    return runner.run(main)"},
	    {PTR " 7 " V "   x = a " V " b", "    x = a " V " b"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n =
		    richbox_code(span(cases[i].content), out, sizeof out);
		cr_expect_eq(n, strlen(cases[i].want), "%s", cases[i].content);
		cr_expect(memcmp(out, cases[i].want, n) == 0, "%.*s", (int)n,
			  out);
	}
	static const char *const no[] = {"   12 " V "   await fetch()",
					 PTR,
					 PTR " x",
					 PTR " 12",
					 PTR " 12 " V,
					 ""};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		cr_expect_eq(richbox_code(span(no[i]), out, sizeof out), 0,
			     "%s", no[i]);
	cr_expect_eq(richbox_code(span(PTR " 1 abcdef"), out, 8), 0,
		     "OUT too small");
}

Test(richbox, a_syntax_errors_panel_has_no_title_and_names_a_place)
{
	cr_expect(richbox_is_untitled_top(span(TL H H H TR), 0));
	cr_expect(richbox_is_untitled_top(span("  " TL H TR " "), 2));
	cr_expect(!richbox_is_untitled_top(span(TOP), 0));
	cr_expect(!richbox_is_untitled_top(span(TL H " x " H TR), 0));
	cr_expect(!richbox_is_untitled_top(span(TL TR), 0));
	cr_expect(!richbox_is_untitled_top(span(TL H H H TR), 2));
	cr_expect(richbox_is_syntax_place(span(" /a/x.py:3")));
	cr_expect(!richbox_is_syntax_place(span("def f(:")));
	cr_expect(!richbox_is_syntax_place(span("        'us' 0.25}")));
	char out[128];
	size_t n = richbox_syntax_place(span("/a/b/x.py:2"), out, sizeof out);
	cr_expect_eq(n, strlen("  File \"/a/b/x.py\", line 2"));
	cr_expect(memcmp(out, "  File \"/a/b/x.py\", line 2", n) == 0, "%.*s",
		  (int)n, out);
	cr_expect_eq(
	    richbox_syntax_place(span("/a/b/settlement"), out, sizeof out), 0,
	    "a piece of a place");
	n = richbox_syntax_code(span("        'us' 0.25}"), out, sizeof out);
	cr_expect(memcmp(out, "    'us' 0.25}", n) == 0 && n == 14, "%.*s",
		  (int)n, out);
	cr_expect_eq(
	    richbox_syntax_code(span("       \xe2\x96\xb2"), out, sizeof out),
	    0, "the line that points at the column");
	cr_expect_eq(richbox_syntax_code(span("   "), out, sizeof out), 0);
}
