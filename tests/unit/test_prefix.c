/* test_prefix.c - record starts, times and ANSI escapes. */
#include <criterion/criterion.h>
#include <string.h>

#include "prefix.h"

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

static void expect_time(const char *in, const char *want)
{
	char out[40] = "";
	size_t n = prefix_parse_time(span(in), out);
	if (want == NULL) {
		cr_expect_eq(n, 0, "'%s' is not a time, parsed as '%s'", in,
			     out);
		return;
	}
	cr_expect_str_eq(out, want, "'%s' -> '%s', want '%s'", in, out, want);
}

Test(prefix, logging_asctime_and_iso_times_are_parsed)
{
	expect_time("2024-05-01 10:00:01,123 ERROR", "2024-05-01T10:00:01.123");
	expect_time("2024-05-01T10:00:01.123456Z x",
		    "2024-05-01T10:00:01.123456Z");
	expect_time("2024-05-01T10:00:01+02:00", "2024-05-01T08:00:01Z");
	expect_time("2024-05-01T00:30:00.5-0100", "2024-05-01T01:30:00.5Z");
	expect_time("2024-12-31T23:59:59-01:00", "2025-01-01T00:59:59Z");
	expect_time("2024-05-01 10:00", NULL);
	expect_time("2024-13-01 10:00:00", NULL);
	expect_time("Traceback (most recent call last):", NULL);
}

static struct th_record parse(struct th_prefixer *p, const char *text)
{
	struct th_line line = {span(text), 1, 0, false};
	struct th_record rec;
	prefix_parse(p, &line, strlen(text) + 1, &rec);
	return rec;
}

Test(prefix, logging_prefixes_start_a_record_and_continuations_do_not)
{
	struct th_prefixer *p = prefix_new();
	const char *starts[] = {
	    "ERROR:asyncio:Task exception was never retrieved",
	    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception",
	    "[2024-05-01 10:00:01,123] ERROR in app",
	    "WARNING  uvicorn: something",
	};
	for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
		cr_expect(parse(p, starts[i]).record_start, "'%s'", starts[i]);
	const char *not_starts[] = {
	    "future: <Task finished name='Task-2' coro=<f() done>>",
	    "Traceback (most recent call last):",
	    "  File \"x.py\", line 3, in f",
	    "ValueError: boom",
	    "ERRORS are fine",
	    "",
	};
	for (size_t i = 0; i < sizeof not_starts / sizeof *not_starts; i++)
		cr_expect(!parse(p, not_starts[i]).record_start, "'%s'",
			  not_starts[i]);
	prefix_free(p);
}

Test(prefix, ansi_colors_are_removed_from_the_text)
{
	struct th_prefixer *p = prefix_new();
	struct th_record rec =
	    parse(p, "\x1b[1;35mValueError\x1b[0m: \x1b[35mboom\x1b[0m");
	cr_expect_eq(rec.text.n, strlen("ValueError: boom"));
	cr_expect(memcmp(rec.text.p, "ValueError: boom", rec.text.n) == 0);
	struct th_record cut = parse(p, "abc\x1b[");
	cr_expect_eq(cut.text.n, 3, "an escape cut at the end is dropped");
	prefix_free(p);
}
