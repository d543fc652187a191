/* test_kvline.c - key=value records: their pairs and decoded values. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvline.h"

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

Test(kvline, a_line_starts_as_a_record_with_a_key_and_its_equals_sign)
{
	static const char *const yes[] = {"event='x'", "url=http://x",
					  "_k=1",      "requestId=7 event=a",
					  "a=",	       "k9=\"v w\""};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		cr_expect(kvline_starts(span(yes[i])), "%s", yes[i]);
	static const char *const no[] = {
	    "Traceback (most recent call last):",
	    "task: <Task pending name='Task-1' coro=<f() running>>",
	    "ValueError: x=1",
	    "concurrent.futures._base.CancelledError",
	    "errors.UpstreamError: a=b",
	    "dd.trace_id=7 event=a",
	    "log-level=info",
	    "=x",
	    "Event='x'",
	    "9k=1",
	    "event ='x'",
	    "event",
	    ""};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		cr_expect(!kvline_starts(span(no[i])), "%s", no[i]);
	char key[KVLINE_MAX_KEY + 3];
	memset(key, 'k', sizeof key);
	key[KVLINE_MAX_KEY] = '=';
	cr_expect(kvline_starts((struct th_span){key, KVLINE_MAX_KEY + 2}),
		  "a key of the longest length");
	key[KVLINE_MAX_KEY] = 'k';
	key[KVLINE_MAX_KEY + 1] = '=';
	cr_expect(!kvline_starts((struct th_span){key, KVLINE_MAX_KEY + 2}),
		  "a key one byte too long");
}

/* kvline_starts, a byte at a time. */
static bool starts_bytewise(const char *p, size_t n)
{
	if (n == 0 || !((p[0] >= 'a' && p[0] <= 'z') || p[0] == '_'))
		return false;
	for (size_t i = 1; i < n && i <= KVLINE_MAX_KEY; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return c == '=';
	}
	return false;
}

/* Sixteen bytes are classified at once where SSE2 is: random lines of
 * key bytes, '=', and bytes next to them in ASCII and past 0x7f, of every
 * length around 16 and the longest key, read from a buffer of their own
 * length (ASan sees a read past it). */
Test(kvline, a_line_start_agrees_with_a_byte_by_byte_reading)
{
	static const char bytes[] = "az_AZ09=:. -@[`{/\x80\xff\x7f";
	unsigned seed = 7;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)rand_r(&seed) % (KVLINE_MAX_KEY + 8);
		char *line = malloc(n + 1);
		cr_assert(line != NULL);
		for (size_t i = 0; i < n; i++)
			line[i] = (size_t)rand_r(&seed) % 4 == 0
				      ? bytes[(size_t)rand_r(&seed) %
					      (sizeof bytes - 1)]
				      : "abkey_Z9"[rand_r(&seed) % 8];
		if (n > 0 && rand_r(&seed) % 2 == 0)
			line[(size_t)rand_r(&seed) % n] = '=';
		cr_expect_eq(kvline_starts((struct th_span){line, n}),
			     starts_bytewise(line, n), "%.*s", (int)n, line);
		free(line);
	}
}

/* The pairs of LINE, each "key|quote|value|closed" (quote '-' for none),
 * joined by blanks into OUT. */
static const char *pairs_of(const char *line, char *out, size_t size)
{
	struct th_span text = span(line);
	struct kvline_pair pr;
	size_t n = 0;
	out[0] = '\0';
	for (size_t at = 0; kvline_next(text, &at, &pr);)
		n += (size_t)snprintf(out + n, size - n, "%s%.*s|%c|%.*s|%d",
				      n > 0 ? " " : "", (int)pr.key.n, pr.key.p,
				      pr.quote ? pr.quote : '-',
				      (int)pr.value.n, pr.value.p, pr.closed);
	return out;
}

Test(kvline, pairs_are_read_with_their_quotes_and_words_of_no_pair_passed)
{
	char out[512];
	/* KeyValueRenderer: reprs, a list with blanks in it, an escaped
	 * quote of each kind */
	cr_expect_str_eq(pairs_of("ids=[1, 2] event='it\\'s \"x\"' n=None "
				  "exception=\"a 'b' \\\" c\"",
				  out, sizeof out),
			 "ids|-|[1,|1 event|'|it\\'s \"x\"|1 n|-|None|1 "
			 "exception|\"|a 'b' \\\" c|1");
	/* logfmt: a flag without '=', blanks between pairs, an empty
	 * value, a backslash escaping a backslash before the quote, a key
	 * with '.' and '-' past the first */
	cr_expect_str_eq(
	    pairs_of("debug  level=error msg= path=\"C:\\\\\" dd.span-id=1",
		     out, sizeof out),
	    "level|-|error|1 msg|-||1 path|\"|C:\\\\|1 dd.span-id|-|1|1");
	/* a value whose line ends inside its quotes */
	cr_expect_str_eq(
	    pairs_of("event=\"Task exception was never", out, sizeof out),
	    "event|\"|Task exception was never|0");
	cr_expect_str_eq(pairs_of("a='x\\", out, sizeof out), "a|'|x\\|0");
	cr_expect_str_eq(pairs_of("", out, sizeof out), "");
	cr_expect_str_eq(pairs_of("no pairs here", out, sizeof out), "");
}

/* LINE's first pair's value decoded, as a C string. */
static const char *decoded(const char *line)
{
	static char out[256];
	struct th_span text = span(line);
	struct kvline_pair pr;
	size_t at = 0;
	cr_assert(kvline_next(text, &at, &pr), "no pair in %s", line);
	cr_assert(pr.value.n < sizeof out);
	size_t n = kvline_decode(&pr, out);
	cr_assert(n <= pr.value.n, "%s grew to %zu bytes", line, n);
	out[n] = '\0';
	return out;
}

Test(kvline, python_repr_escapes_are_decoded)
{
	cr_expect_str_eq(decoded("e='Traceback (most recent call last):\\n"
				 "  File \"a.py\", line 1, in f\\nKeyError: "
				 "\\'k\\''"),
			 "Traceback (most recent call last):\n"
			 "  File \"a.py\", line 1, in f\n"
			 "KeyError: 'k'");
	cr_expect_str_eq(decoded("e='a\\\\b\\tc\\r'"), "a\\b\tc\r");
	cr_expect_str_eq(decoded("e='\\x1b[31m\\xe9\\x00z'"),
			 "\x1b[31m\xc3\xa9");
	cr_expect_str_eq(decoded("e='\\u20ac \\U0001f600 \\ud800'"),
			 "\xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd");
	cr_expect_str_eq(decoded("e=\"it's\""), "it's");
}

Test(kvline, logfmt_escapes_are_decoded)
{
	/* structlog 24.1's LogfmtRenderer: \\ \" \n */
	cr_expect_str_eq(decoded("exception=\"Traceback (most recent call "
				 "last):\\n  File \\\"C:\\\\a.py\\\", line 1, "
				 "in f\\nValueError: x\""),
			 "Traceback (most recent call last):\n"
			 "  File \"C:\\a.py\", line 1, in f\n"
			 "ValueError: x");
}

Test(kvline, unknown_or_cut_escapes_stay_and_unquoted_values_are_copied)
{
	cr_expect_str_eq(decoded("e='\\q \\x4 \\u12 \\U00110000'"),
			 "\\q \\x4 \\u12 \\U00110000");
	cr_expect_str_eq(decoded("e='tail\\"), "tail\\");
	cr_expect_str_eq(decoded("e=a\\nb"), "a\\nb");
}

/* The LogfmtRenderer before structlog 24.1: a value of several lines
 * ends at the first '"' with no backslash before it, and only \" is
 * escaped in it. */
Test(kvline, an_open_value_ends_at_its_first_unescaped_quote)
{
	/* none closes it: the line's length */
	cr_expect_eq(kvline_open_end(span("  File \\\"/a.py\\\", line 3")), 24);
	cr_expect_eq(kvline_open_end(span("ValueError: \\\"x\\\"\" level=e")),
		     17);
	cr_expect_eq(kvline_open_end(span("\" x=1")), 0);
	cr_expect_eq(kvline_open_end(span("")), 0);
	char out[64];
	struct th_span in = span("File \\\"C:\\a\\\" \\n \\");
	size_t n = kvline_decode_quotes(in, out);
	cr_assert(n <= in.n);
	out[n] = '\0';
	cr_expect_str_eq(out, "File \"C:\\a\" \\n \\");
}
