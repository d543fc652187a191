/* isotime.h - the times tracehound computes with: ISO 8601 event times as
 * seconds, and the values of --since and --until (ISO 8601, or relative to
 * now: "2h", "30m", "1d", "90s", "1w", "1h30m").
 *
 * Owns:        nothing.
 * Errors:      parsers return false and say why in a caller's buffer;
 *              nothing is printed.
 *
 * Event times are "YYYY-MM-DDTHH:MM:SS[.fff]" with "Z" when the log said
 * which zone it was in (converted to UTC), as written otherwise. Seconds
 * here count from 1970-01-01T00:00:00 of that same clock: a time without a
 * zone is taken as written, never shifted.
 */
#ifndef TH_ISOTIME_H
#define TH_ISOTIME_H

#include <stdint.h>

#include "th.h"

struct th_instant {
	int64_t sec;   /* seconds since 1970-01-01T00:00:00 */
	uint32_t nsec; /* the fraction, in nanoseconds */
};

/* Parses an event time (see above; the zone letter is ignored). Returns
 * false when T is not one. */
bool isotime_parse(const char *t, struct th_instant *out);

/* Orders two instants: <0, 0, >0. */
int isotime_cmp(const struct th_instant *x, const struct th_instant *y);

/* "YYYY-MM-DDTHH:MM:SS", with "Z" when ZONED, of SEC. */
void isotime_format(int64_t sec, bool zoned, char out[40]);

/* A bound of the time window. Event times with a zone ("Z") are compared
 * with UTC, those without one with LOCAL: a relative bound is "now" minus
 * the duration on the UTC clock and on the local wall clock, so `--since
 * 2h` works for logs in local time too. An absolute bound is compared as
 * given with both: converted to UTC when it names a zone, as written when
 * it does not. */
struct th_time_bound {
	struct th_instant utc, local;
};

/* Parses a --since / --until value: an ISO 8601 time as the log prefixes
 * accept it ("2024-05-01 10:00", "2024-05-01T10:00:01.5+02:00", "...Z"),
 * a date alone (its midnight), or a duration before NOW (seconds since the
 * epoch): a sequence of NUMBER UNIT with units s, m, h, d, w. Returns
 * false with a message in WHY when ARG is none of these. */
bool isotime_parse_bound(const char *arg, int64_t now,
			 struct th_time_bound *out, char *why, size_t why_n);

/* Orders event time T (see above) against bound B: <0, 0, >0. Returns
 * false when T is not an event time (no time: "", or unreadable). */
bool isotime_cmp_bound(const char *t, const struct th_time_bound *b, int *cmp);

#endif
