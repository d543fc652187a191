/* isotime.h - time, in one place: the times logs write (ISO 8601 and RFC
 * 3339, syslog, strptime(3) formats, seconds since the epoch) read once
 * into a struct th_time, how tracehound prints them, instants to compute
 * with, and the values of --since and --until (ISO 8601, or relative to
 * now: "2h", "30m", "1d", "90s", "1w", "1h30m").
 *
 * Owns:        nothing: a struct th_time is a plain value (no pointers).
 * Errors:      readers return false (or 0 bytes read) and leave their
 *              output alone; isotime_parse_bound says why in a caller's
 *              buffer; nothing is printed.
 *
 * A time prints as "YYYY-MM-DDTHH:MM:SS[.fff]" with "Z" when the log said
 * which zone it was in (converted to UTC), as written otherwise: a time
 * without a zone is never shifted, and its fields print as the log wrote
 * them even when they name no real date ("2024-02-30T23:59:60"). Seconds
 * count from 1970-01-01T00:00:00 of that same clock. Civil dates are
 * turned into days by Howard Hinnant's days_from_civil, so no time zone
 * database and no time_t range is involved.
 */
#ifndef TH_ISOTIME_H
#define TH_ISOTIME_H

#include <stdint.h>
#include <string.h>

#include "error.h"
#include "th.h"
#include "th_limits.h"

struct th_instant {
	int64_t sec;   /* seconds since 1970-01-01T00:00:00 */
	uint32_t nsec; /* the fraction, in nanoseconds */
};

/* What struct th_time's FLAGS say. */
enum {
	ISOTIME_KNOWN = 1,   /* there is a time: a zeroed th_time has none */
	ISOTIME_ZONED = 2,   /* the log named the zone: the fields are UTC */
	ISOTIME_INSTANT = 4, /* SEC and NSEC hold the instant (see below) */
};

/* A time as a log gave it, read once per record: the instant to compute
 * with, and the fields it prints as. ISOTIME_INSTANT is set when the
 * fields are a year 0-9999, month 1-12, day 1-31, hour 0-23, minute 0-59
 * and second 0-60; a day past the end of its month counts on into the
 * next. Other fields (a strptime format without a date gives day 0,
 * seconds since the epoch in milliseconds a year past 9999) still print
 * and order, but place the time nowhere: the window and the timelines
 * treat it as no time. */
struct th_time {
	int64_t sec;	/* the instant, with ISOTIME_INSTANT */
	uint32_t nsec;	/* the fraction, in nanoseconds */
	int32_t year;	/* the fields, as printed */
	uint8_t month;	/* 1-12 */
	uint8_t day;	/* 1-31, or 0 */
	uint8_t hour;	/* 0-23 */
	uint8_t minute; /* 0-59 */
	uint8_t second; /* 0-61 */
	uint8_t digits; /* of the fraction as written, 0-9: ".5" and
			   ".500" print apart */
	uint8_t flags;	/* ISOTIME_* */
};

static inline bool isotime_known(const struct th_time *t)
{
	return (t->flags & ISOTIME_KNOWN) != 0;
}

static inline bool isotime_zoned(const struct th_time *t)
{
	return (t->flags & ISOTIME_ZONED) != 0;
}

/* T's instant into *OUT; false when T has none (see struct th_time). */
bool isotime_instant(const struct th_time *t, struct th_instant *out);

/* ---- reading what logs write -------------------------------------- */

/* Reads an ISO-8601-like time at the start of S ("2024-05-01
 * 10:00:01,123", "2024-05-01T10:00:01.123456+02:00", "...Z"; at most 9
 * fraction digits are kept). Returns the bytes read, 0 when S does not
 * start with a time. */
size_t isotime_read_iso(struct th_span s, struct th_time *out);

/* What isotime_read_iso_memo keeps of the last time it read: a log's
 * consecutive records mostly share their date, hour and minute. Caller
 * storage; zeroed, it holds nothing. */
struct th_iso_memo {
	bool valid;
	char head[16];	       /* "YYYY-MM-DD hh:mm" of that time, */
	struct th_time minute; /* read without zone, at second 0 */
};

/* isotime_read_iso(S, OUT), the same in every case, but when S starts
 * with the same 16 bytes as the last time MEMO kept, only its seconds,
 * fraction and zone are read. */
size_t isotime_read_iso_memo(struct th_span s, struct th_iso_memo *memo,
			     struct th_time *out);

/* Whether S starts with the 16 bytes of the last time MEMO kept (a date,
 * a 'T' or a blank at [10], hours and minutes, as isotime_read_iso
 * checked them): two compares of eight bytes, inline, for a caller that
 * asks about every line that starts with a digit. */
static inline bool isotime_memo_same_minute(const struct th_iso_memo *memo,
					    struct th_span s)
{
	uint64_t a, b, x, y;
	if (!memo->valid || s.n < sizeof memo->head)
		return false;
	memcpy(&a, s.p, 8);
	memcpy(&b, s.p + 8, 8);
	memcpy(&x, memo->head, 8);
	memcpy(&y, memo->head + 8, 8);
	return ((a ^ x) | (b ^ y)) == 0;
}

/* Reads S with strptime(3) FORMAT (converted to UTC when the format has
 * %z; fields the format lacks are 0, day 0 included, year 1900). Returns
 * false when S does not fit FORMAT. */
bool isotime_read_format(struct th_span s, const char *format,
			 struct th_time *out);

/* The calendar year of NOW (seconds since the epoch), for
 * isotime_read_syslog. */
int isotime_year_of(int64_t now);

/* Reads "Nov 24 10:00:01" as that day of NOW_YEAR (the year NOW falls in,
 * isotime_year_of), or of the year before when that would be more than a
 * day after NOW (a log read in January, written in December). Fields
 * that run over carry into the next (the 30th of February is the 2nd of
 * March). Returns false if S is not such a time. */
bool isotime_read_syslog(struct th_span s, int64_t now, int now_year,
			 struct th_time *out);

/* SEC seconds since the epoch as a UTC time. */
void isotime_from_epoch(int64_t sec, struct th_time *out);

/* USEC microseconds since the epoch (journald's __REALTIME_TIMESTAMP) as a
 * UTC time with six fraction digits. */
void isotime_from_epoch_usec(int64_t usec, struct th_time *out);

/* Reads a time exactly as isotime_print prints it (a report's); false for
 * any other text, so printing it again gives S back. */
bool isotime_read_printed(const char *s, struct th_time *out);

/* ---- printing and ordering ------------------------------------------ */

/* T as text into OUT ("" for no time); returns its length. */
size_t isotime_print(const struct th_time *t, char out[TH_TIME_LEN]);

/* "YYYY-MM-DDTHH:MM:SS", with "Z" when ZONED, of SEC. */
void isotime_format(int64_t sec, bool zoned, char out[TH_TIME_LEN]);

/* Orders two known times as their printed text: the fields to the second,
 * then the fractions as decimals (".5" == ".500"); the zone is not looked
 * at. <0, 0, >0. */
int isotime_order(const struct th_time *x, const struct th_time *y);

/* isotime_rank of a time that orders only by isotime_order. */
#define ISOTIME_RANK_WIDE UINT64_MAX

/* T's time as one number that orders as isotime_order orders times to
 * the second: 0 when T has none; for a time whose fields print in fixed
 * columns (year 0-9999, the others at most 99), its fields packed a byte
 * each under the year, plus one; ISOTIME_RANK_WIDE for any other, which
 * only isotime_order orders (as text). Equal ranks leave the fractions
 * to compare. Inline: the aggregate ranks every event's time once, where
 * isotime_order's decimal packing of both times on each of its
 * comparisons was a fifth of agg_add's own instructions on a crash loop
 * (docs/performance.md, evening of 2026-12-06). */
static inline uint64_t isotime_rank(const struct th_time *t)
{
	if (!isotime_known(t))
		return 0;
	uint64_t f = (uint64_t)t->month << 32 | (uint64_t)t->day << 24 |
		     (uint64_t)t->hour << 16 | (uint64_t)t->minute << 8 |
		     t->second;
	/* a byte of F over 99 has its top bit set, or gets it at +28 */
	if (t->year < 0 || t->year > 9999 ||
	    ((f | (f + 0x1C1C1C1C1Cu)) & 0x8080808080u) != 0)
		return ISOTIME_RANK_WIDE;
	return ((uint64_t)t->year << 40 | f) + 1;
}

/* ---- instants and the time window -------------------------------------- */

/* Parses a printed time (see above; text after the fraction, a zone
 * letter included, is ignored) into an instant. Returns false when T is
 * not one. */
bool isotime_parse(const char *t, struct th_instant *out);

/* Orders two instants: <0, 0, >0. */
int isotime_cmp(const struct th_instant *x, const struct th_instant *y);

/* A bound of the time window. Times with a zone are compared with UTC,
 * those without one with LOCAL: a relative bound is "now" minus the
 * duration on the UTC clock and on the local wall clock, so `--since 2h`
 * works for logs in local time too. An absolute bound is compared as
 * given with both: converted to UTC when it names a zone, as written when
 * it does not. */
struct th_time_bound {
	struct th_instant utc, local;
};

/* Parses a --since / --until value: an ISO 8601 time as the log prefixes
 * accept it ("2024-05-01 10:00", "2024-05-01T10:00:01.5+02:00", "...Z"),
 * a date alone (its midnight), or a duration before NOW (seconds since the
 * epoch): a sequence of NUMBER UNIT with units s, m, h, d, w. Returns
 * false with a message in ERR (no file) when ARG is none of these. */
bool isotime_parse_bound(const char *arg, int64_t now,
			 struct th_time_bound *out, struct th_error *err);

/* Orders time T against bound B: <0, 0, >0. Returns false when T has no
 * instant (no time, or fields that place it nowhere). */
bool isotime_cmp_bound(const struct th_time *t, const struct th_time_bound *b,
		       int *cmp);

#endif
