/* test_isotime.c - event times as seconds, the values --since and --until
 * take (ISO 8601 with and without zone, dates, times before now) and the
 * window filter built on them.
 */
#include <criterion/criterion.h>

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
	char out[40];
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
	char why[256];
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
		cr_assert(
		    isotime_parse_bound(cases[i].arg, 0, &b, why, sizeof why),
		    "%s: %s", cases[i].arg, why);
		cr_expect_eq(b.utc.sec, cases[i].sec, "%s", cases[i].arg);
		cr_expect_eq(b.local.sec, cases[i].sec, "%s", cases[i].arg);
	}
}

Test(isotime, relative_bounds_count_back_from_now)
{
	utc();
	struct th_time_bound b;
	char why[256];
	static const struct {
		const char *arg;
		int64_t ago;
	} cases[] = {
	    {"90s", 90},    {"30m", 1800},   {"2h", 7200}, {"1d", 86400},
	    {"1w", 604800}, {"1h30m", 5400}, {"0s", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_assert(isotime_parse_bound(cases[i].arg, MAY1_10H, &b, why,
					      sizeof why),
			  "%s: %s", cases[i].arg, why);
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
	char why[256];
	cr_assert(isotime_parse_bound("1h", MAY1_10H, &b, why, sizeof why));
	cr_expect_eq(b.utc.sec, MAY1_10H - 3600);
	cr_expect_eq(b.local.sec, MAY1_10H - 3600 - 5 * 3600);
	int cmp;
	/* 04:30 local is 09:30 UTC: after the bound of 09:00 UTC. */
	cr_assert(isotime_cmp_bound("2024-05-01T04:30:00", &b, &cmp));
	cr_expect_gt(cmp, 0);
	cr_assert(isotime_cmp_bound("2024-05-01T08:30:00Z", &b, &cmp));
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
		char why[256] = "";
		cr_expect_not(
		    isotime_parse_bound(bad[i], MAY1_10H, &b, why, sizeof why),
		    "'%s' was taken", bad[i]);
		cr_expect(strstr(why, "ISO 8601") != NULL, "%s: %s", bad[i],
			  why);
	}
}

/* An event at time T ("" for none). */
static struct th_event event_at(const char *t)
{
	struct th_event ev;
	memset(&ev, 0, sizeof ev);
	snprintf(ev.time, sizeof ev.time, "%s", t);
	return ev;
}

Test(window, keeps_the_events_inside_and_counts_those_without_time)
{
	struct th_time_bound since, until;
	char why[256];
	cr_assert(isotime_parse_bound("2024-05-01T10:00", 0, &since, why,
				      sizeof why));
	cr_assert(isotime_parse_bound("2024-05-01T11:00", 0, &until, why,
				      sizeof why));
	struct th_window w;
	window_init(&w, &since, &until);
	static const struct {
		const char *t;
		bool keep;
	} cases[] = {
	    {"2024-05-01T09:59:59.999", false},
	    {"2024-05-01T10:00:00", true},
	    {"2024-05-01T10:30:00Z", true},
	    {"2024-05-01T11:00:00", true},
	    {"2024-05-01T11:00:00.001", false},
	    {"", false},
	    {"", false},
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
	char why[256];
	cr_assert(
	    isotime_parse_bound("2024-05-01", 0, &since, why, sizeof why));
	struct th_window w;
	window_init(&w, &since, NULL);
	struct th_event late = event_at("2099-01-01T00:00:00");
	struct th_event early = event_at("2024-04-30T23:59:59");
	cr_expect(window_keep(&w, &late));
	cr_expect_not(window_keep(&w, &early));
}
