/* isotime.c - event times as seconds, --since / --until values; see
 * isotime.h. Civil dates are turned into days by Howard Hinnant's
 * days_from_civil, so no time zone database and no time_t range is
 * involved. */
#include "isotime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "prefix.h"

/* Days since 1970-01-01 of the proleptic Gregorian date Y-M-D. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The date of DAYS since 1970-01-01 (inverse of days_from_civil). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
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

/* N decimal digits at P into *OUT; false when one is not a digit. */
static bool digits(const char *p, size_t n, unsigned *out)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*out = *out * 10 + (unsigned)(p[i] - '0');
	}
	return true;
}

bool isotime_parse(const char *t, struct th_instant *out)
{
	unsigned Y, M, D, h, m, s;
	if (strnlen(t, 19) < 19 || !digits(t, 4, &Y) || t[4] != '-' ||
	    !digits(t + 5, 2, &M) || t[7] != '-' || !digits(t + 8, 2, &D) ||
	    (t[10] != 'T' && t[10] != ' ') || !digits(t + 11, 2, &h) ||
	    t[13] != ':' || !digits(t + 14, 2, &m) || t[16] != ':' ||
	    !digits(t + 17, 2, &s))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60)
		return false;
	out->sec = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + s;
	out->nsec = 0;
	const char *f = t + 19;
	if (*f == '.' || *f == ',') {
		uint32_t scale = 100000000;
		for (f++; *f >= '0' && *f <= '9'; f++, scale /= 10)
			out->nsec += (uint32_t)(*f - '0') * scale;
	}
	return true;
}

int isotime_cmp(const struct th_instant *x, const struct th_instant *y)
{
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return (x->nsec > y->nsec) - (x->nsec < y->nsec);
}

void isotime_format(int64_t sec, bool zoned, char out[40])
{
	int64_t days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	char iso[96];
	snprintf(iso, sizeof iso, "%04lld-%02u-%02uT%02u:%02u:%02u%s",
		 (long long)y, m, d, (unsigned)(rem / 3600),
		 (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
		 zoned ? "Z" : "");
	snprintf(out, 40, "%.39s", iso);
}

/* "1h30m": a sum of NUMBER UNIT; false when ARG is not one. */
static bool parse_duration(const char *arg, int64_t *out)
{
	static const char units[] = "smhdw";
	static const int64_t seconds[] = {1, 60, 3600, 86400, 7 * 86400};
	*out = 0;
	const char *p = arg;
	if (*p == '\0')
		return false;
	while (*p != '\0') {
		int64_t n = 0;
		const char *start = p;
		for (; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > 100000000) /* three thousand years in seconds */
				return false;
		}
		const char *u = *p ? strchr(units, *p) : NULL;
		if (p == start || u == NULL)
			return false;
		*out += n * seconds[u - units];
		p++;
	}
	return true;
}

/* ARG as an event time when prefix_parse_time reads all of it; a date
 * alone is its midnight, "HH:MM" has ":00" seconds. */
static bool parse_absolute(const char *arg, char iso[40])
{
	char buf[64];
	size_t n = strlen(arg);
	if (n == 0 || n >= 40)
		return false;
	if (n == 10)
		snprintf(buf, sizeof buf, "%sT00:00:00", arg);
	else if (n >= 16 && arg[13] == ':' && arg[16] != ':')
		snprintf(buf, sizeof buf, "%.16s:00%s", arg, arg + 16);
	else
		snprintf(buf, sizeof buf, "%s", arg);
	struct th_span s = {buf, strlen(buf)};
	return prefix_parse_time(s, iso) == s.n;
}

bool isotime_parse_bound(const char *arg, int64_t now,
			 struct th_time_bound *out, char *why, size_t why_n)
{
	char iso[40];
	int64_t ago;
	if (parse_absolute(arg, iso)) {
		if (!isotime_parse(iso, &out->utc)) {
			snprintf(why, why_n, "'%s' is not a time", arg);
			return false;
		}
		out->local = out->utc;
		return true;
	}
	if (!parse_duration(arg, &ago)) {
		snprintf(why, why_n,
			 "'%s' is neither an ISO 8601 time (2024-05-01T10:00, "
			 "2024-05-01 10:00:00+02:00) nor a time before now "
			 "(90s, 30m, 2h, 1d, 1w, 1h30m)",
			 arg);
		return false;
	}
	time_t then = (time_t)(now - ago);
	struct tm tm;
	localtime_r(&then, &tm);
	out->utc = (struct th_instant){now - ago, 0};
	out->local = (struct th_instant){now - ago + tm.tm_gmtoff, 0};
	return true;
}

bool isotime_cmp_bound(const char *t, const struct th_time_bound *b, int *cmp)
{
	struct th_instant at;
	if (!isotime_parse(t, &at))
		return false;
	size_t n = strnlen(t, 40);
	*cmp = isotime_cmp(&at, n > 0 && t[n - 1] == 'Z' ? &b->utc : &b->local);
	return true;
}
