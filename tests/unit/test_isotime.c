/* test_isotime.c - times as logs write them (ISO 8601 and RFC 3339,
 * syslog, strptime formats, seconds since the epoch), how they print and
 * order, their instants, the values --since and --until take (ISO 8601
 * with and without zone, dates, times before now) and the window filter
 * built on them.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"
#include "window.h"

/* 2024-05-01T10:00:00 as seconds since the epoch. */
#define MAY1_10H 1714557600LL

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

/* IN read with isotime_read_iso prints as WANT (NULL: IN is no time). */
static void expect_iso(const char *in, const char *want)
{
	struct th_time t = {0};
	char out[TH_TIME_LEN] = "";
	size_t n = isotime_read_iso(span(in), &t);
	isotime_print(&t, out);
	if (want == NULL) {
		cr_expect_eq(n, 0, "'%s' is not a time, read as '%s'", in, out);
		cr_expect_not(isotime_known(&t), "'%s': output left alone", in);
		return;
	}
	cr_expect_gt(n, 0, "'%s' was not read", in);
	cr_expect_str_eq(out, want, "'%s' -> '%s', want '%s'", in, out, want);
}

/* T printed. */
static const char *printed(const struct th_time *t)
{
	static char out[TH_TIME_LEN];
	isotime_print(t, out);
	return out;
}

/* S read back from its printed form. */
static struct th_time time_of(const char *s)
{
	struct th_time t;
	cr_assert(isotime_read_printed(s, &t), "'%s' does not read back", s);
	return t;
}

Test(isotime, logging_asctime_and_iso_times_are_read)
{
	expect_iso("2024-05-01 10:00:01,123 ERROR", "2024-05-01T10:00:01.123");
	expect_iso("2024-05-01T10:00:01.123456Z x",
		   "2024-05-01T10:00:01.123456Z");
	expect_iso("2024-05-01T10:00:01+02:00", "2024-05-01T08:00:01Z");
	expect_iso("2024-05-01T10:00:01+0200", "2024-05-01T08:00:01Z");
	expect_iso("2024-05-01T10:00:01+02", "2024-05-01T08:00:01Z");
	expect_iso("2024-05-01T00:30:00.5-0100", "2024-05-01T01:30:00.5Z");
	expect_iso("2024-12-31T23:59:59-01:00", "2025-01-01T00:59:59Z");
	expect_iso("2024-05-01T10:00:01+", "2024-05-01T10:00:01");
	expect_iso("2024-05-01T10:00:01.x", "2024-05-01T10:00:01");
}

/* The other layouts logging's datefmt and log viewers write: slashes in
 * the date, Airflow's "YYYY-MM-DD, hh:mm:ss", and a UTC clock named by
 * strftime's %Z; other zone names are no zone. */
Test(isotime, slashed_dates_comma_layouts_and_utc_names_are_read)
{
	expect_iso("2024/05/01 10:00:01 ERROR", "2024-05-01T10:00:01");
	expect_iso("2024/05/01T10:00:01.25Z", "2024-05-01T10:00:01.25Z");
	expect_iso("2024-05-01, 10:00:01 UTC] {x.py:3}",
		   "2024-05-01T10:00:01Z");
	expect_iso("2024-05-01, 10:00:01,500", "2024-05-01T10:00:01.500");
	expect_iso("2024-05-01 10:00:01 UTC", "2024-05-01T10:00:01Z");
	expect_iso("2024-05-01 10:00:01,123 GMT | ERROR",
		   "2024-05-01T10:00:01.123Z");
	expect_iso("2024-05-01 10:00:01 UTC:", "2024-05-01T10:00:01Z");
	expect_iso("2024-05-31 23:59:60 UTC", "2024-06-01T00:00:00Z");
	expect_iso("2024-05-01 10:00:01 UTCX", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01 UTC_2", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01 CET", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01 utc", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01  UTC", "2024-05-01T10:00:01");
	/* gunicorn's "[%Y-%m-%d %H:%M:%S %z]" */
	expect_iso("2024-05-01 10:00:01 +0000] [11]", "2024-05-01T10:00:01Z");
	expect_iso("2024-05-01 10:00:01 -0500", "2024-05-01T15:00:01Z");
	expect_iso("2024-05-01 10:00:01,250 +05:30 x",
		   "2024-05-01T04:30:01.250Z");
	expect_iso("2024-05-01 10:00:01 +00001", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01 +2400", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01 +0060", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01 +00", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01 -1 x", "2024-05-01T10:00:01");
	expect_iso("2024-05-01 10:00:01,5 - app - x", "2024-05-01T10:00:01.5");
	struct th_time t = {0};
	cr_expect_eq(isotime_read_iso(span("2024-05-01 10:00:01 UTC x"), &t),
		     23, "the zone's name is read");
	cr_expect_eq(isotime_read_iso(span("2024-05-01, 10:00:01 x"), &t), 20);
}

Test(isotime, bad_iso_times_are_not_read)
{
	static const char *const bad[] = {
	    "2024-05-01 10:00",
	    "2024-13-01 10:00:00",
	    "2024-00-01 10:00:00",
	    "2024-05-32 10:00:00",
	    "2024-05-00 10:00:00",
	    "2024-05-01 24:00:00",
	    "2024-05-01 10:60:00",
	    "2024-05-01 10:00:61",
	    "2024/05-01 10:00:00",
	    "2024-05/01 10:00:00",
	    "2024-05-01,10:00:00",
	    "2024-05-01,  10:00:00",
	    "2024-05-01, 10:00",
	    "2024-05-01X10:00:00",
	    "24-05-01 10:00:00",
	    "Traceback (most recent call last):",
	    "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		expect_iso(bad[i], NULL);
	/* a span ends where it says, not at a NUL */
	struct th_time t = {0};
	cr_expect_eq(
	    isotime_read_iso((struct th_span){"2024-05-01 10:00:01", 18}, &t),
	    0);
}

/* Each byte of "YYYY-MM-DD[T ]hh:mm:ss" is read at its place: a time
 * with any one byte changed is read only when the new byte is of the
 * kind that place wants, and a time cut short anywhere is not read. */
Test(isotime, every_place_of_the_layout_is_checked)
{
	/* ones: a digit changed to 0 or 1 still makes a valid field */
	static const char good[] = "2024-11-11 11:11:11";
	static const char layout[] = "dddd-dd-dd?dd:dd:dd";
	static const char tries[] = "01-: T/x\x01";
	for (size_t i = 0; i + 1 < sizeof good; i++) {
		for (size_t k = 0; k + 1 < sizeof tries; k++) {
			char in[sizeof good];
			memcpy(in, good, sizeof good);
			in[i] = tries[k];
			char c = tries[k];
			bool fits = layout[i] == 'd'   ? c >= '0' && c <= '9'
				    : layout[i] == '?' ? c == ' ' || c == 'T'
						       : c == layout[i];
			struct th_time t = {0};
			size_t n = isotime_read_iso(span(in), &t);
			cr_expect_eq(n, fits ? 19 : 0, "'%s': read %zu", in, n);
			if (fits && in[i] == good[i])
				cr_expect_str_eq(printed(&t),
						 "2024-11-11T11:11:11");
		}
		struct th_time t = {0};
		cr_expect_eq(isotime_read_iso((struct th_span){good, i}, &t), 0,
			     "cut at %zu", i);
	}
	struct th_time t = {0};
	cr_assert_eq(isotime_read_iso(span("1999-12-31T23:59:59"), &t), 19);
	cr_expect_str_eq(printed(&t), "1999-12-31T23:59:59");
}

Test(isotime, utc_times_are_normalised_and_local_ones_kept_as_written)
{
	/* a UTC time is converted when a field carries over */
	expect_iso("2024-05-01T23:59:60Z", "2024-05-02T00:00:00Z");
	expect_iso("2024-02-30T10:00:00.25+00:00", "2024-03-01T10:00:00.25Z");
	expect_iso("2024-02-28T10:00:00,1234567891Z",
		   "2024-02-28T10:00:00.123456789Z");
	/* one without a zone is never converted */
	expect_iso("2024-02-30 23:59:60", "2024-02-30T23:59:60");
	expect_iso("0999-01-02 03:04:05.6 x", "0999-01-02T03:04:05.6");
	/* past the ends of the years tracehound counts in */
	expect_iso("0000-01-01T00:30:00+01:00", "-001-12-31T23:30:00Z");
	expect_iso("9999-12-31T23:30:00-01:00", "10000-01-01T00:30:00Z");
}

Test(isotime, fractions_print_as_written)
{
	expect_iso("2024-05-01T10:00:01.500", "2024-05-01T10:00:01.500");
	expect_iso("2024-05-01T10:00:01.05", "2024-05-01T10:00:01.05");
	expect_iso("2024-05-01T10:00:01.000000001Z",
		   "2024-05-01T10:00:01.000000001Z");
	struct th_time t;
	cr_assert(isotime_read_iso(span("2024-05-01T10:00:01.05"), &t));
	cr_expect_eq(t.nsec, 50000000);
	cr_expect_eq(t.digits, 2);
}

Test(isotime, a_time_has_an_instant_when_its_fields_place_it)
{
	struct th_time t;
	struct th_instant at;
	cr_assert(isotime_read_iso(span("2024-05-01T12:00:01.5+02:00"), &t));
	cr_assert(isotime_instant(&t, &at));
	cr_expect_eq(at.sec, MAY1_10H + 1);
	cr_expect_eq(at.nsec, 500000000);
	cr_expect(isotime_zoned(&t));
	/* a day past the end of its month counts on into the next */
	cr_assert(isotime_read_iso(span("2024-02-30 10:00:00"), &t));
	cr_assert(isotime_instant(&t, &at));
	cr_expect_eq(at.sec, 1709287200, "%lld", (long long)at.sec);
	cr_expect_not(isotime_zoned(&t));
	/* day 0, a year past 9999: they print, but place nothing */
	cr_assert(isotime_read_format(span("10:00:01"), "%H:%M:%S", &t));
	cr_expect_str_eq(printed(&t), "1900-01-00T10:00:01");
	cr_expect_not(isotime_instant(&t, &at));
	isotime_from_epoch(MAY1_10H * 1000, &t);
	cr_expect_str_eq(printed(&t), "56302-03-03T16:00:00Z");
	cr_expect_not(isotime_instant(&t, &at));
	/* no time */
	struct th_time none = {0};
	cr_expect_not(isotime_known(&none));
	cr_expect_not(isotime_instant(&none, &at));
	cr_expect_str_eq(printed(&none), "");
}

Test(isotime, syslog_time_without_a_year_takes_the_year_of_now)
{
	struct th_time t;
	/* 2026-01-02: a December line is from the year before */
	int64_t now = 1767312000;
	int year = isotime_year_of(now);
	cr_expect_eq(year, 2026);
	cr_assert(isotime_read_syslog(span("Dec 31 23:59:59"), now, year, &t));
	cr_expect_str_eq(printed(&t), "2025-12-31T23:59:59");
	cr_assert(isotime_read_syslog(span("Jan  2 08:00:00"), now, year, &t));
	cr_expect_str_eq(printed(&t), "2026-01-02T08:00:00");
	cr_expect(!isotime_read_syslog(span("Foo  2 08:00:00"), now, year, &t));
	cr_expect(!isotime_read_syslog(span("Jan  2 08:00"), now, year, &t));
	/* spellings other than syslog's own are read as sscanf reads them */
	cr_assert(isotime_read_syslog(span("Jan 2  8:00:00x"), now, year, &t));
	cr_expect_str_eq(printed(&t), "2026-01-02T08:00:00");
	cr_expect(!isotime_read_syslog(span("Jan 02 08.00:00"), now, year, &t));
	/* fields carry over: the 30th of February is the 2nd of March (of
	 * the year before, being after NOW) */
	cr_assert(isotime_read_syslog(span("Feb 30 10:00:00"), now, year, &t));
	cr_expect_str_eq(printed(&t), "2025-03-02T10:00:00");
	/* the year is taken off after the carry: a leap day stays */
	int64_t jan15 = 1705276800; /* 2024-01-15T00:00:00 */
	cr_assert(
	    isotime_read_syslog(span("Feb 29 10:00:00"), jan15, 2024, &t));
	cr_expect_str_eq(printed(&t), "2023-02-29T10:00:00");
}

Test(isotime, strptime_formats_with_a_zone_are_converted_to_utc)
{
	struct th_time t;
	cr_assert(isotime_read_format(span("24/Nov/2026:10:00:01 +0100"),
				      "%d/%b/%Y:%H:%M:%S %z", &t));
	cr_expect_str_eq(printed(&t), "2026-11-24T09:00:01Z");
	cr_assert(isotime_read_format(span("2026.11.24 10:00:01"),
				      "%Y.%m.%d %H:%M:%S", &t));
	cr_expect_str_eq(printed(&t), "2026-11-24T10:00:01");
	cr_expect(!isotime_read_format(span("yesterday"), "%Y-%m-%d", &t));
	char longer[200];
	memset(longer, '1', sizeof longer);
	cr_expect(!isotime_read_format((struct th_span){longer, sizeof longer},
				       "%Y", &t));
}

Test(isotime, seconds_since_the_epoch_are_utc)
{
	struct th_time t;
	isotime_from_epoch(MAY1_10H, &t);
	cr_expect_str_eq(printed(&t), "2024-05-01T10:00:00Z");
	isotime_from_epoch(-1, &t);
	cr_expect_str_eq(printed(&t), "1969-12-31T23:59:59Z");
}

Test(isotime, microseconds_since_the_epoch_keep_six_digits)
{
	struct th_time t;
	struct th_instant at;
	isotime_from_epoch_usec(MAY1_10H * 1000000 + 5, &t);
	cr_expect_str_eq(printed(&t), "2024-05-01T10:00:00.000005Z");
	cr_assert(isotime_instant(&t, &at));
	cr_expect(at.sec == MAY1_10H && at.nsec == 5000);
	isotime_from_epoch_usec(-1, &t);
	cr_expect_str_eq(printed(&t), "1969-12-31T23:59:59.999999Z");
}

Test(isotime, printed_times_read_back_and_nothing_else_does)
{
	static const char *const good[] = {
	    "2024-05-01T10:00:01",	"2024-05-01T10:00:01.5Z",
	    "2024-05-01T10:00:01.500Z", "2024-02-30T23:59:60",
	    "1900-01-00T10:00:01",	"-001-12-31T23:30:00Z",
	    "56302-03-03T16:00:00Z",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		struct th_time t = time_of(good[i]);
		cr_expect_str_eq(printed(&t), good[i]);
	}
	static const char *const bad[] = {
	    "",
	    "hello",
	    "2024-05-01 10:00:01",
	    "2024-05-01T10:00",
	    "2024-05-01T10:00:01,5",
	    "2024-05-01T10:00:01.",
	    "2024-05-01T10:00:01.1234567891",
	    "2024-05-01T10:00:01+02:00",
	    "2024-05-01T10:00:01Zx",
	    "024-05-01T10:00:01",
	    "99999999999-05-01T10:00:01",
	    "2024-05-01T10:00:01.0000000000000000000000000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct th_time t = {0};
		cr_expect_not(isotime_read_printed(bad[i], &t), "'%s'", bad[i]);
		cr_expect_not(isotime_known(&t), "'%s': left alone", bad[i]);
	}
}

Test(isotime, times_order_as_their_text)
{
	static const char *const rising[] = {
	    "-001-12-31T23:30:00Z",  "0999-01-02T03:04:05",
	    "10000-01-01T00:30:00Z", /* "1000..." sorts before "2024" */
	    "2024-02-30T23:59:60",   "2024-03-01T00:00:00",
	    "2024-05-01T10:00:01",   "2024-05-01T10:00:01.25Z",
	    "2024-05-01T10:00:01.5",
	};
	size_t n = sizeof rising / sizeof *rising;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			struct th_time x = time_of(rising[i]);
			struct th_time y = time_of(rising[j]);
			int c = isotime_order(&x, &y);
			int want = (i > j) - (i < j);
			cr_expect_eq((c > 0) - (c < 0), want, "%s vs %s: %d",
				     rising[i], rising[j], c);
		}
	/* fractions compare as decimals, zones are not looked at */
	struct th_time a = time_of("2024-05-01T10:00:01.5Z");
	struct th_time b = time_of("2024-05-01T10:00:01.500");
	cr_expect_eq(isotime_order(&a, &b), 0);
}

Test(isotime, ranks_order_fixed_column_times_as_their_text)
{
	static const char *const rising[] = {
	    "0999-01-02T03:04:05", "2024-02-30T23:59:60", "2024-03-01T00:00:00",
	    "2024-05-01T10:00:01", "2024-05-01T10:00:02", "9999-12-31T23:59:59",
	};
	size_t n = sizeof rising / sizeof *rising;
	for (size_t i = 0; i + 1 < n; i++) {
		struct th_time x = time_of(rising[i]);
		struct th_time y = time_of(rising[i + 1]);
		cr_expect_lt(isotime_rank(&x), isotime_rank(&y), "%s vs %s",
			     rising[i], rising[i + 1]);
		cr_expect_gt(isotime_rank(&x), 0, "%s", rising[i]);
	}
	/* to the second: the fractions are left to compare */
	struct th_time a = time_of("2024-05-01T10:00:01.25Z");
	struct th_time b = time_of("2024-05-01T10:00:01.5");
	cr_expect_eq(isotime_rank(&a), isotime_rank(&b));
	/* not in fixed columns: only isotime_order orders them */
	struct th_time wide = time_of("10000-01-01T00:30:00Z");
	struct th_time before = time_of("-001-12-31T23:30:00Z");
	cr_expect_eq(isotime_rank(&wide), ISOTIME_RANK_WIDE);
	cr_expect_eq(isotime_rank(&before), ISOTIME_RANK_WIDE);
	struct th_time none = {0};
	cr_expect_eq(isotime_rank(&none), 0);
}

Test(isotime, event_times_parse_with_fraction_and_zone_letter)
{
	struct th_instant t;
	cr_assert(isotime_parse("2024-05-01T10:00:00", &t));
	cr_expect_eq(t.sec, MAY1_10H);
	cr_expect_eq(t.nsec, 0);
	cr_assert(isotime_parse("2024-05-01T10:00:01.5Z", &t));
	cr_expect_eq(t.sec, MAY1_10H + 1);
	cr_expect_eq(t.nsec, 500000000);
	cr_assert(isotime_parse("1969-12-31T23:59:59", &t));
	cr_expect_eq(t.sec, -1, "before 1970: %lld", (long long)t.sec);
	cr_expect_not(isotime_parse("", &t));
	cr_expect_not(isotime_parse("2024-05-01", &t));
	cr_expect_not(isotime_parse("2024-13-01T10:00:00", &t));
}

Test(isotime, format_is_the_inverse_of_parse)
{
	char out[TH_TIME_LEN];
	isotime_format(MAY1_10H, true, out);
	cr_expect_str_eq(out, "2024-05-01T10:00:00Z");
	isotime_format(-1, false, out);
	cr_expect_str_eq(out, "1969-12-31T23:59:59");
	for (int64_t s = -100000000; s < 4000000000; s += 98765431) {
		struct th_instant t;
		isotime_format(s, false, out);
		cr_assert(isotime_parse(out, &t), "%s", out);
		cr_expect_eq(t.sec, s, "%lld -> %s", (long long)s, out);
	}
}

Test(isotime, absolute_bounds_with_and_without_zone)
{
	struct th_time_bound b;
	struct th_error why = {0};
	static const struct {
		const char *arg;
		int64_t sec;
	} cases[] = {
	    {"2024-05-01T10:00:00", MAY1_10H},
	    {"2024-05-01 10:00:00", MAY1_10H},
	    {"2024-05-01T10:00", MAY1_10H},
	    {"2024-05-01", MAY1_10H - 10 * 3600},
	    {"2024-05-01T10:00:00Z", MAY1_10H},
	    {"2024-05-01T12:00:00+02:00", MAY1_10H},
	    {"2024-05-01T12:00+02:00", MAY1_10H},
	    {"2024-05-01T05:30:00-0430", MAY1_10H},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_assert(isotime_parse_bound(cases[i].arg, 0, &b, &why),
			  "%s: %s", cases[i].arg, why.message);
		cr_expect_eq(b.utc.sec, cases[i].sec, "%s", cases[i].arg);
		cr_expect_eq(b.local.sec, cases[i].sec, "%s", cases[i].arg);
	}
}

Test(isotime, relative_bounds_count_back_from_now)
{
	utc();
	struct th_time_bound b;
	struct th_error why = {0};
	static const struct {
		const char *arg;
		int64_t ago;
	} cases[] = {
	    {"90s", 90},    {"30m", 1800},   {"2h", 7200}, {"1d", 86400},
	    {"1w", 604800}, {"1h30m", 5400}, {"0s", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_assert(isotime_parse_bound(cases[i].arg, MAY1_10H, &b, &why),
			  "%s: %s", cases[i].arg, why.message);
		cr_expect_eq(b.utc.sec, MAY1_10H - cases[i].ago, "%s",
			     cases[i].arg);
		cr_expect_eq(b.local.sec, b.utc.sec, "%s in UTC", cases[i].arg);
	}
}

Test(isotime, relative_bounds_meet_zoneless_times_on_the_local_clock)
{
	setenv("TZ", "EST5", 1); /* UTC-5, no summer time */
	tzset();
	struct th_time_bound b;
	struct th_error why = {0};
	cr_assert(isotime_parse_bound("1h", MAY1_10H, &b, &why));
	cr_expect_eq(b.utc.sec, MAY1_10H - 3600);
	cr_expect_eq(b.local.sec, MAY1_10H - 3600 - 5 * 3600);
	int cmp;
	/* 04:30 local is 09:30 UTC: after the bound of 09:00 UTC. */
	struct th_time local = time_of("2024-05-01T04:30:00");
	struct th_time zoned = time_of("2024-05-01T08:30:00Z");
	cr_assert(isotime_cmp_bound(&local, &b, &cmp));
	cr_expect_gt(cmp, 0);
	cr_assert(isotime_cmp_bound(&zoned, &b, &cmp));
	cr_expect_lt(cmp, 0);
	utc();
}

Test(isotime, bad_values_are_refused_with_the_forms_named)
{
	struct th_time_bound b;
	static const char *const bad[] = {
	    "",	    "2h ago",	    "h",     "-2h",
	    "2x",   "2024-05",	    "10:00", "2024-05-01T25:00:00",
	    "1.5h", "999999999999w"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct th_error why = {0};
		cr_expect_not(isotime_parse_bound(bad[i], MAY1_10H, &b, &why),
			      "'%s' was taken", bad[i]);
		cr_expect(strstr(why.message, "ISO 8601") != NULL, "%s: %s",
			  bad[i], why.message);
	}
}

/* An event at time T ("" for none). */
static struct th_event event_at(const char *t)
{
	struct th_event ev;
	memset(&ev, 0, sizeof ev);
	if (t[0] != '\0')
		ev.time = time_of(t);
	return ev;
}

Test(window, keeps_the_events_inside_and_counts_those_without_time)
{
	struct th_time_bound since, until;
	struct th_error why = {0};
	cr_assert(isotime_parse_bound("2024-05-01T10:00", 0, &since, &why));
	cr_assert(isotime_parse_bound("2024-05-01T11:00", 0, &until, &why));
	struct th_window w;
	window_init(&w, &since, &until);
	static const struct {
		const char *t;
		bool keep;
	} cases[] = {
	    {"2024-05-01T09:59:59.999", false}, {"2024-05-01T10:00:00", true},
	    {"2024-05-01T10:30:00Z", true},	{"2024-05-01T11:00:00", true},
	    {"2024-05-01T11:00:00.001", false}, {"", false},
	    {"1900-01-00T10:30:00", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct th_event ev = event_at(cases[i].t);
		cr_expect_eq(window_keep(&w, &ev), cases[i].keep, "'%s'",
			     cases[i].t);
	}
	cr_expect_eq(atomic_load(&w.untimed), 2);
	cr_expect_eq(atomic_load(&w.outside), 2);
}

Test(window, one_side_only)
{
	struct th_time_bound since;
	struct th_error why = {0};
	cr_assert(isotime_parse_bound("2024-05-01", 0, &since, &why));
	struct th_window w;
	window_init(&w, &since, NULL);
	struct th_event late = event_at("2099-01-01T00:00:00");
	struct th_event early = event_at("2024-04-30T23:59:59");
	cr_expect(window_keep(&w, &late));
	cr_expect_not(window_keep(&w, &early));
}

/* ---- the ISO reader against the one it replaced ----------------------- */

/* isotime_read_iso as it was before its fast paths (byte by byte, each
 * field through a cursor): what the fast paths must agree with on every
 * input, accepted or not. */

/* Days since 1970-01-01 of the proleptic Gregorian date Y-M-D. */
static int64_t ref_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The date of DAYS since 1970-01-01 (inverse of days_from_civil). */
static void ref_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Reads N digits at S[*AT] into *V and moves past them; false when they
 * are not all digits (nothing moved). */
static bool ref_digits(struct th_span s, size_t *at, size_t n, int *v)
{
	if (*at + n > s.n)
		return false;
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[*at + i];
		if (!th_is_digit(c))
			return false;
		x = x * 10 + (c - '0');
	}
	*at += n;
	*v = x;
	return true;
}

/* Steps over the byte at S[*AT] when it is A or B. */
static bool ref_expect_either(struct th_span s, size_t *at, char a, char b)
{
	if (*at < s.n && (s.p[*at] == a || s.p[*at] == b)) {
		(*at)++;
		return true;
	}
	return false;
}

static bool ref_expect(struct th_span s, size_t *at, char c)
{
	return ref_expect_either(s, at, c, c);
}

/* The two digits at P as a number; -1 when either is no digit. */
static int ref_two_digits(const char *p)
{
	return th_is_digit(p[0]) && th_is_digit(p[1])
		   ? (p[0] - '0') * 10 + (p[1] - '0')
		   : -1;
}

/* "YYYY-MM-DD[T ]hh:mm:ss" at S[*AT]: its six numbers; *AT moves past.
 * Every byte has its fixed place, so one length check and direct reads
 * do: this runs for every line that starts with a digit, and reading it
 * through ref_digits() and ref_expect(), a cursor moved and checked at each
 * byte, took about 260 instructions a time (callgrind, crash loop). */
static bool ref_date_and_time(struct th_span s, size_t *at, int *Y, int *M,
			      int *D, int *h, int *m, int *sec)
{
	static const unsigned char place[7] = {0, 2, 5, 8, 11, 14, 17};
	const char *p = s.p + *at;
	/* "YYYY-MM-DD, hh:mm:ss": the time one byte later */
	size_t comma = *at + 20 <= s.n && p[10] == ',' && p[11] == ' ';
	if (*at + 19 + comma > s.n || (p[4] != '-' && p[4] != '/') ||
	    p[7] != p[4] || (!comma && p[10] != 'T' && p[10] != ' ') ||
	    p[13 + comma] != ':' || p[16 + comma] != ':')
		return false;
	int v[7];
	for (size_t i = 0; i < 7; i++)
		if ((v[i] = ref_two_digits(p + place[i] + (i >= 4) * comma)) <
		    0)
			return false;
	*Y = v[0] * 100 + v[1];
	*M = v[2];
	*D = v[3];
	*h = v[4];
	*m = v[5];
	*sec = v[6];
	*at += 19 + comma;
	return true;
}

/* A time of the given fields (seconds since the minute may be 60 or 61,
 * as written); no fraction, no zone. */
static struct th_time ref_fields(int64_t year, int month, int day, int hour,
				 int minute, int second)
{
	return (struct th_time){.year = (int32_t)year,
				.month = (uint8_t)month,
				.day = (uint8_t)day,
				.hour = (uint8_t)hour,
				.minute = (uint8_t)minute,
				.second = (uint8_t)second,
				.flags = ISOTIME_KNOWN};
}

/* Sets T's instant from its fields when they place it (see th_time). */
static void ref_settle(struct th_time *t)
{
	if (t->year < 0 || t->year > 9999 || t->month < 1 || t->month > 12 ||
	    t->day < 1 || t->day > 31 || t->hour > 23 || t->minute > 59 ||
	    t->second > 60)
		return;
	t->sec = ref_days_from_civil(t->year, t->month, t->day) * 86400 +
		 t->hour * 3600 + t->minute * 60 + t->second;
	t->flags |= ISOTIME_INSTANT;
}

/* The fields of SEC seconds since the epoch (UTC). */
static struct th_time ref_from_seconds(int64_t sec)
{
	int64_t days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	ref_civil_from_days(days, &y, &m, &d);
	if (y < INT32_MIN || y > INT32_MAX)
		return (struct th_time){0};
	return ref_fields(y, (int)m, (int)d, (int)(rem / 3600),
			  (int)(rem / 60 % 60), (int)(rem % 60));
}

/* Seconds since the epoch of the fields Y-M-D h:m:s, M 1-12; the others
 * may run over into the next field, as timegm(3) takes them. */
static int64_t ref_seconds_of(int64_t y, int m, int64_t d, int64_t h,
			      int64_t min, int64_t s)
{
	return (ref_days_from_civil(y, (unsigned)m, 1) + d - 1) * 86400 +
	       h * 3600 + min * 60 + s;
}

/* Parses "Z", "+HH:MM", "+HHMM" or "+HH" at S[*AT] into seconds east of
 * UTC; false when no zone is there (nothing consumed). */
static bool ref_parse_zone(struct th_span s, size_t *at, long *east)
{
	size_t i = *at;
	if (i < s.n && s.p[i] == 'Z') {
		*at = i + 1;
		*east = 0;
		return true;
	}
	if (i >= s.n || (s.p[i] != '+' && s.p[i] != '-'))
		return false;
	int sign = s.p[i] == '-' ? -1 : 1, hh, mm = 0;
	i++;
	if (!ref_digits(s, &i, 2, &hh))
		return false;
	size_t colon = i, plain = i;
	if (ref_expect(s, &colon, ':') && ref_digits(s, &colon, 2, &mm))
		i = colon;
	else if (ref_digits(s, &plain, 2, &mm))
		i = plain;
	*east = sign * (hh * 3600L + mm * 60L);
	*at = i;
	return true;
}

/* Reads ".123456" or ",123" at S[*AT] into T's fraction: its first 9
 * digits, the rest skipped. */
static void ref_parse_fraction(struct th_span s, size_t *at, struct th_time *t)
{
	if (!(*at + 1 < s.n && (s.p[*at] == ',' || s.p[*at] == '.') &&
	      th_is_digit(s.p[*at + 1])))
		return;
	uint32_t scale = 100000000;
	(*at)++;
	while (*at < s.n && th_is_digit(s.p[*at])) {
		if (t->digits < 9) {
			t->nsec += (uint32_t)(s.p[*at] - '0') * scale;
			scale /= 10;
			t->digits++;
		}
		(*at)++;
	}
}

/* T, written in a zone EAST seconds east of UTC, in UTC. */
static void ref_to_utc(struct th_time *t, long east)
{
	struct th_time u =
	    ref_from_seconds(ref_seconds_of(t->year, t->month, t->day, t->hour,
					    t->minute, t->second) -
			     east);
	u.nsec = t->nsec;
	u.digits = t->digits;
	*t = u;
}

/* Whether S[AT] ends a word: S's end, or no letter, digit or '_'. */
static bool ref_word_ends(struct th_span s, size_t at)
{
	return at >= s.n ||
	       (!isalnum((unsigned char)s.p[at]) && s.p[at] != '_');
}

/* " UTC", " GMT", " +HHMM" or " -HH:MM" at S[*AT], a word of its own. */
static bool ref_spaced_zone(struct th_span s, size_t *at, long *east)
{
	size_t i = *at;
	if (i + 4 <= s.n && (memcmp(s.p + i, " UTC", 4) == 0 ||
			     memcmp(s.p + i, " GMT", 4) == 0)) {
		if (!ref_word_ends(s, i + 4))
			return false;
		*east = 0;
		*at = i + 4;
		return true;
	}
	if (!ref_expect(s, &i, ' ') || i >= s.n ||
	    (s.p[i] != '+' && s.p[i] != '-'))
		return false;
	int sign = s.p[i++] == '-' ? -1 : 1, hh, mm;
	if (!ref_digits(s, &i, 2, &hh))
		return false;
	ref_expect(s, &i, ':');
	if (!ref_digits(s, &i, 2, &mm) || !ref_word_ends(s, i) || hh > 23 ||
	    mm > 59)
		return false;
	*east = sign * (hh * 3600L + mm * 60L);
	*at = i;
	return true;
}

static size_t ref_read_iso(struct th_span s, struct th_time *out)
{
	size_t at = 0;
	int Y = 0, M = 0, D = 0, h = 0, m = 0, sec = 0;
	if (!ref_date_and_time(s, &at, &Y, &M, &D, &h, &m, &sec))
		return 0;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return 0;
	struct th_time t = ref_fields(Y, M, D, h, m, sec);
	ref_parse_fraction(s, &at, &t);
	long east = 0;
	bool zoned = ref_parse_zone(s, &at, &east);
	if (!zoned)
		zoned = ref_spaced_zone(s, &at, &east);
	/* A time without a zone is kept as written; one in UTC too unless a
	 * field would carry over (a leap second, a day past the end of a
	 * short month). */
	if (zoned && !(east == 0 && sec < 60 && D <= 28))
		ref_to_utc(&t, east);
	if (zoned)
		t.flags |= ISOTIME_ZONED;
	ref_settle(&t);
	*out = t;
	return at;
}

/* A random time-like text into BUF (at most 39 bytes and a NUL): the
 * shapes logs write, with a byte replaced, dropped or cut now and then. */
static size_t random_time(char *buf, unsigned *seed)
{
	static const char *const heads[] = {
	    "2024-05-01 00:00:",  "2024-05-01T23:59:", "2024-02-29 12:34:",
	    "0000-01-01 00:00:",  "9999-12-31T23:59:", "2024-13-01 00:00:",
	    "2024-00-10 10:10:",  "2024-05-32 10:10:", "2024-05-01 24:00:",
	    "2024-05-01 10:60:",  "1970-01-01T00:00:", "2024/05/01 10:00:",
	    "2024-05-01, 10:00:", "2024/05-01 10:00:", "2024-05-01,10:00:"};
	static const char *const secs[] = {"00", "59", "60", "61",
					   "99", "0a", "5",  "07"};
	static const char *const fracs[] = {
	    "",		  ",123",	  ".5",
	    ".123456",	  ",1234567890",  ".",
	    ",12",	  ".000",	  ",12a",
	    ".000000000", ".123456789",	  ".98765432",
	    ".1234567",	  ".12345678901", ".0000001x",
	    ".999999999"};
	static const char *const zones[] = {
	    "",	      "Z",	  "+02:00",  "-0130", "+05",	"+5",
	    "-",      " ERROR",	  "z",	     "+02:0", "-23:59", " UTC",
	    " GMT x", " UTCX",	  " UT",     " GMT",  " UTC]",	" utc",
	    " +0000", " -05:30]", " +00001", " -1",   " - x",	" +2400",
	    " +0260", " +01:0"};
#define PICK(a) a[(unsigned)rand_r(seed) % (sizeof a / sizeof *a)]
	int n = snprintf(buf, 40, "%s%s%s%s", PICK(heads), PICK(secs),
			 PICK(fracs), PICK(zones));
#undef PICK
	/* what snprintf wrote: the rest of a longer pick is cut */
	size_t len = n < 40 ? (size_t)n : 39;
	unsigned what = (unsigned)rand_r(seed) % 8;
	size_t at = len > 0 ? (unsigned)rand_r(seed) % len : 0;
	static const char bytes[] = "0123456789-: T,.Z+xA\x80";
	if (what == 0 && len > 0) /* a byte replaced */
		buf[at] = bytes[(unsigned)rand_r(seed) % (sizeof bytes - 1)];
	else if (what == 1) /* cut */
		len = at;
	else if (what == 2 && len > 0) /* a byte dropped */
		memmove(buf + at, buf + at + 1, len-- - at);
	buf[len] = '\0';
	return len;
}

/* The same result, byte for byte, out untouched alike when none. */
static void expect_same_read(const char *in, size_t n, size_t got_n,
			     const struct th_time *got, size_t want_n,
			     const struct th_time *want)
{
	cr_assert_eq(got_n, want_n, "'%.*s': read %zu bytes, want %zu", (int)n,
		     in, got_n, want_n);
	const struct th_time *g = got, *w = want;
	cr_assert(g->sec == w->sec && g->nsec == w->nsec &&
		      g->year == w->year && g->month == w->month &&
		      g->day == w->day && g->hour == w->hour &&
		      g->minute == w->minute && g->second == w->second &&
		      g->digits == w->digits && g->flags == w->flags,
		  "'%.*s': read as '%s' (sec %lld, %u digits, flags %u), want "
		  "'%s' (sec %lld, %u digits, flags %u)",
		  (int)n, in, printed(g), (long long)g->sec, g->digits,
		  g->flags, printed(w), (long long)w->sec, w->digits, w->flags);
}

Test(isotime, fast_paths_read_every_text_as_the_byte_reader_did)
{
	unsigned seed = 1;
	char buf[40];
	for (int i = 0; i < 300000; i++) {
		size_t n = random_time(buf, &seed);
		struct th_time got, want;
		memset(&got, 0xa5, sizeof got);
		memset(&want, 0xa5, sizeof want);
		size_t got_n = isotime_read_iso((struct th_span){buf, n}, &got);
		size_t want_n = ref_read_iso((struct th_span){buf, n}, &want);
		expect_same_read(buf, n, got_n, &got, want_n, &want);
	}
}

/* COUNT times of GENERATE (from SEED), read one after the other through
 * one memo: each as the reference reader reads it alone. */
static void expect_memo_reads_as_reader(size_t (*generate)(char *, unsigned *),
					unsigned seed, int count)
{
	char buf[40];
	struct th_iso_memo memo = {0};
	for (int i = 0; i < count; i++) {
		size_t n = generate(buf, &seed);
		struct th_time got, want;
		memset(&got, 0xa5, sizeof got);
		memset(&want, 0xa5, sizeof want);
		size_t got_n = isotime_read_iso_memo((struct th_span){buf, n},
						     &memo, &got);
		size_t want_n = ref_read_iso((struct th_span){buf, n}, &want);
		expect_same_read(buf, n, got_n, &got, want_n, &want);
	}
}

Test(isotime, the_memo_reads_as_the_reader_whatever_came_before)
{
	expect_memo_reads_as_reader(random_time, 7, 300000);
}

/* Times of few minutes, so that the memo keeps one and reads on past it:
 * logging's asctime (":ss,mmm" and a blank) and a container runtime's
 * ":ss.nnnnnnnnnZ" most of the time, with what may follow them or break
 * them now and then. */
static size_t random_asctime(char *buf, unsigned *seed)
{
	static const char *const heads[] = {
	    "2024-05-01 10:00:", "2024-05-01T10:00:", "2024-02-30T10:00:",
	    "2024/05/01 10:00:"};
	static const char *const secs[] = {"00", "07", "59", "60", "61", "99"};
	static const char *const fracs[] = {
	    ",123",	 ",999",	".000",
	    ".5",	 ",1234",	",12",
	    "",		 ".123456789",	".000000001",
	    ".12345678", ".1234567890", ".999999999",
	    ".12345678x"};
	static const char *const tails[] = {
	    " ERROR x", " ",	  "",	    "Z",      "+02:00", "-0130",
	    "1",	"9",	  "x",	    ",",      ":",	"\t",
	    "\x80",	"z",	  "/",	    "\0",     " INFO",	"0 ",
	    " UTC",	" GMT x", " UTCX",  " UT",    " UTC9",	" +0000]",
	    " -0130 x", " +1",	  " - app", " +00:61"};
#define PICK(a) a[(unsigned)rand_r(seed) % (sizeof a / sizeof *a)]
	int n = snprintf(buf, 40, "%s%s%s%s", PICK(heads), PICK(secs),
			 PICK(fracs), PICK(tails));
#undef PICK
	/* what snprintf wrote: the rest of a longer pick is cut */
	size_t len = n < 40 ? (size_t)n : 39;
	if (rand_r(seed) % 4 == 0) { /* a byte of the seconds replaced */
		static const char bytes[] = "0123456789:;,.-/+\x80 ";
		size_t at = 16 + (unsigned)rand_r(seed) % 14;
		if (at < len)
			buf[at] =
			    bytes[(unsigned)rand_r(seed) % (sizeof bytes - 1)];
	}
	return len;
}

Test(isotime, the_memo_reads_asctime_and_runtime_seconds_as_the_reader)
{
	expect_memo_reads_as_reader(random_asctime, 11, 200000);
}

Test(isotime, the_memo_reads_the_seconds_past_a_kept_minute)
{
	struct th_iso_memo memo = {0};
	struct th_time t;
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-05-01 10:00:05,250 x"), &memo, &t),
	    23);
	cr_assert(memo.valid, "an unzoned time is kept");
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-05-01 10:00:59.5"), &memo, &t),
	    21);
	cr_expect_str_eq(printed(&t), "2024-05-01T10:00:59.5");
	cr_expect_eq(t.sec, MAY1_10H + 59);
	cr_expect_eq(
	    isotime_read_iso_memo(span("2024-05-01 10:00:61"), &memo, &t), 0,
	    "a second past 60 is no time, kept minute or not");
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-05-01 10:00:30+01:00"), &memo, &t),
	    25);
	cr_expect_str_eq(printed(&t), "2024-05-01T09:00:30Z");
}

Test(isotime, nine_digit_fractions_are_read_eight_digits_at_a_step)
{
	static const struct {
		const char *in;
		size_t n;
		const char *printed;
	} cases[] = {
	    {"2024-05-01T10:00:01.123456789Z x", 30,
	     "2024-05-01T10:00:01.123456789Z"},
	    {"2024-05-01T10:00:01.000000000Z", 30,
	     "2024-05-01T10:00:01.000000000Z"},
	    {"2024-05-01T10:00:01.12345678 x", 28,
	     "2024-05-01T10:00:01.12345678"},
	    {"2024-05-01T10:00:01.1234567890123Z", 34,
	     "2024-05-01T10:00:01.123456789Z"},
	    {"2024-05-01T10:00:01.0001x234567", 24, "2024-05-01T10:00:01.0001"},
	    {"2024-05-01T10:00:01.1234\xb9"
	     "6789",
	     24, "2024-05-01T10:00:01.1234"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct th_time t;
		cr_assert_eq(isotime_read_iso(span(cases[i].in), &t),
			     cases[i].n, "'%s'", cases[i].in);
		cr_expect_str_eq(printed(&t), cases[i].printed);
	}
}

Test(isotime, the_memo_keeps_a_utc_minute_and_reads_on_past_it)
{
	struct th_iso_memo memo = {0};
	struct th_time t;
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-05-01T10:00:05.5Z"), &memo, &t),
	    22);
	cr_assert(memo.valid, "a UTC time kept as written is kept");
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-05-01T10:00:07.000000001Z stderr"),
				  &memo, &t),
	    30);
	cr_expect_str_eq(printed(&t), "2024-05-01T10:00:07.000000001Z");
	cr_expect_eq(t.sec, MAY1_10H + 7);
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-05-01T10:00:08"), &memo, &t), 19);
	cr_expect_str_eq(printed(&t), "2024-05-01T10:00:08", "no zone now");
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-05-01T10:00:60Z"), &memo, &t), 20);
	cr_expect_str_eq(printed(&t), "2024-05-01T10:01:00Z",
			 "a leap second carries over");
	struct th_iso_memo late = {0};
	cr_assert_eq(
	    isotime_read_iso_memo(span("2024-04-30T23:59:59Z"), &late, &t), 20);
	cr_expect(!late.valid, "the 30th may carry over: not kept");
}

/* The memo's minute is its first 16 bytes, compared whole: none kept
 * yet, a text too short, and a change of any one of them say no. */
Test(isotime, the_same_minute_is_all_sixteen_bytes_of_the_memos)
{
	struct th_iso_memo memo = {0};
	struct th_time t;
	char s[] = "2024-05-01 10:00:59,000";
	cr_expect(!isotime_memo_same_minute(&memo, span(s)), "none kept");
	cr_assert_gt(
	    isotime_read_iso_memo(span("2024-05-01 10:00:05,250 x"), &memo, &t),
	    0);
	cr_expect(isotime_memo_same_minute(&memo, span(s)));
	cr_expect(!isotime_memo_same_minute(&memo, span("2024-05-01 10:0")));
	cr_expect(isotime_memo_same_minute(&memo, span("2024-05-01 10:00")));
	for (size_t i = 0; i < 16; i++) {
		char was = s[i];
		s[i] = was == '1' ? '2' : '1';
		cr_expect(!isotime_memo_same_minute(&memo, span(s)),
			  "byte %zu changed: '%s'", i, s);
		s[i] = was;
	}
}
