/* isotime.c - reading, printing and comparing times; --since / --until
 * values; see isotime.h. */
#include "isotime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Reads N digits at S[*AT] into *V and moves past them; false when they
 * are not all digits (nothing moved). */
static bool digits(struct th_span s, size_t *at, size_t n, int *v)
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
static bool expect_either(struct th_span s, size_t *at, char a, char b)
{
	if (*at < s.n && (s.p[*at] == a || s.p[*at] == b)) {
		(*at)++;
		return true;
	}
	return false;
}

static bool expect(struct th_span s, size_t *at, char c)
{
	return expect_either(s, at, c, c);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

/* The 8 bytes at P, the first the lowest. */
static uint64_t load8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

/* Whether every byte of W where MASK has 0xff holds a digit; *V gets W's
 * digits as numbers 0-9 there and 0 elsewhere. '0'-'9' XOR '0' is 0-9;
 * adding 0x76 to a byte sets its top bit when it is 10 or more (a byte
 * with the top bit already set is caught by the OR). A carry out of a
 * byte comes only from one that fails, so it cannot hide a failure. */
static bool digits_at(uint64_t w, uint64_t mask, uint64_t *v)
{
	const uint64_t zeros = 0x3030303030303030u, high = 0x8080808080808080u;
	uint64_t x = (w ^ zeros) & mask;
	*v = x;
	return (((x + 0x7676767676767676u) | x) & high & mask) == 0;
}

/* The two-digit numbers of V (digits_at's) at byte I and I+1. */
static int pair_at(uint64_t v, unsigned i)
{
	return (int)((v >> (8 * i) & 0xff) * 10 + (v >> (8 * i + 8) & 0xff));
}

/* "YYYY-MM-DD[T ]hh:mm:ss" at P (19 bytes there; the date may be
 * "YYYY/MM/DD"): its six numbers. Read eight bytes a step: this runs for
 * every line that starts with a digit, and byte by byte it took about
 * 110 instructions a time (callgrind, crash loop), this about 50. */
static bool date_and_time_at(const char *p, int v[7])
{
	/* P[0..7] "YYYY-MM-", P[8..15] "DD?hh:mm", P[11..18] "hh:mm:ss" */
	uint64_t a = load8(p), b = load8(p + 8), c = load8(p + 11), da, db, dc;
	const uint64_t date_sep = 0xff0000ff00000000u,
		       dashes = 0x2d00002d00000000u,
		       slashes = 0x2f00002f00000000u,
		       clock_sep = 0x0000ff0000000000u,
		       colon = 0x00003a0000000000u;
	uint64_t seps = a & date_sep;
	if ((seps != dashes && seps != slashes) || (b & clock_sep) != colon ||
	    (c & clock_sep) != colon || (p[10] != 'T' && p[10] != ' '))
		return false;
	if (!digits_at(a, 0x00ffff00ffffffffu, &da) ||
	    !digits_at(b, 0xffff00ffff00ffffu, &db) ||
	    !digits_at(c, 0xffff000000000000u, &dc))
		return false;
	v[0] = pair_at(da, 0);
	v[1] = pair_at(da, 2);
	v[2] = pair_at(da, 5);
	v[3] = pair_at(db, 0);
	v[4] = pair_at(db, 3);
	v[5] = pair_at(db, 6);
	v[6] = pair_at(dc, 6);
	return true;
}

#else

/* The two digits at P as a number; -1 when either is no digit. */
static int two_digits(const char *p)
{
	return th_is_digit(p[0]) && th_is_digit(p[1])
		   ? (p[0] - '0') * 10 + (p[1] - '0')
		   : -1;
}

/* date_and_time_at byte by byte: every byte has its fixed place. */
static bool date_and_time_at(const char *p, int v[7])
{
	static const unsigned char place[7] = {0, 2, 5, 8, 11, 14, 17};
	if ((p[4] != '-' && p[4] != '/') || p[7] != p[4] ||
	    (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || p[16] != ':')
		return false;
	for (size_t i = 0; i < 7; i++)
		if ((v[i] = two_digits(p + place[i])) < 0)
			return false;
	return true;
}

#endif

/* date_and_time_at for "YYYY-MM-DD, hh:mm:ss" at P (20 bytes there), as
 * Airflow's log view shows a time ("[2024-05-01, 10:00:01 UTC]"). */
static bool comma_date_and_time_at(const char *p, int v[7])
{
	char joined[19];
	if (p[10] != ',' || p[11] != ' ')
		return false;
	memcpy(joined, p, 10);
	joined[10] = ' ';
	memcpy(joined + 11, p + 12, 8);
	return date_and_time_at(joined, v);
}

/* "YYYY-MM-DD[T ]hh:mm:ss" (or one of the other layouts above) at
 * S[*AT]: its six numbers; *AT moves past. */
static bool date_and_time(struct th_span s, size_t *at, int *Y, int *M, int *D,
			  int *h, int *m, int *sec)
{
	int v[7];
	size_t len = 19;
	if (*at + len > s.n)
		return false;
	if (!date_and_time_at(s.p + *at, v) &&
	    (*at + ++len > s.n || !comma_date_and_time_at(s.p + *at, v)))
		return false;
	*Y = v[0] * 100 + v[1];
	*M = v[2];
	*D = v[3];
	*h = v[4];
	*m = v[5];
	*sec = v[6];
	*at += len;
	return true;
}

/* ---- fields and instants ------------------------------------------- */

/* A time of the given fields (seconds since the minute may be 60 or 61,
 * as written); no fraction, no zone. */
static struct th_time fields(int64_t year, int month, int day, int hour,
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
static void settle(struct th_time *t)
{
	if (t->year < 0 || t->year > 9999 || t->month < 1 || t->month > 12 ||
	    t->day < 1 || t->day > 31 || t->hour > 23 || t->minute > 59 ||
	    t->second > 60)
		return;
	t->sec = days_from_civil(t->year, t->month, t->day) * 86400 +
		 t->hour * 3600 + t->minute * 60 + t->second;
	t->flags |= ISOTIME_INSTANT;
}

/* The fields of SEC seconds since the epoch (UTC). */
static struct th_time from_seconds(int64_t sec)
{
	int64_t days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < INT32_MIN || y > INT32_MAX)
		return (struct th_time){0};
	return fields(y, (int)m, (int)d, (int)(rem / 3600),
		      (int)(rem / 60 % 60), (int)(rem % 60));
}

/* Seconds since the epoch of the fields Y-M-D h:m:s, M 1-12; the others
 * may run over into the next field, as timegm(3) takes them. */
static int64_t seconds_of(int64_t y, int m, int64_t d, int64_t h, int64_t min,
			  int64_t s)
{
	return (days_from_civil(y, (unsigned)m, 1) + d - 1) * 86400 + h * 3600 +
	       min * 60 + s;
}

bool isotime_instant(const struct th_time *t, struct th_instant *out)
{
	if (!(t->flags & ISOTIME_INSTANT))
		return false;
	*out = (struct th_instant){t->sec, t->nsec};
	return true;
}

/* ---- ISO 8601 --------------------------------------------------------- */

/* Whether S[AT] ends a word: the end of S, or no letter, digit or '_'. */
static bool word_ends_at(struct th_span s, size_t at)
{
	unsigned char c = at < s.n ? (unsigned char)s.p[at] : ' ';
	return !(th_is_digit((char)c) || (c >= 'A' && c <= 'Z') ||
		 (c >= 'a' && c <= 'z') || c == '_');
}

/* The zone a blank after the clock leads to at S[AT], as a word: " UTC"
 * or " GMT", the name strftime's %Z gives a clock in UTC (logging with
 * time.gmtime as its converter, Airflow), or " +HHMM", " -HH:MM", the
 * offset %z gives (gunicorn's "[2024-05-01 10:00:01 +0000]"). Its bytes,
 * with *EAST its seconds east of UTC; 0 when none is there. Other zone
 * names are left unread: "CET" or "EST" name no single offset. */
static size_t spaced_zone(struct th_span s, size_t at, long *east)
{
	if (at + 4 > s.n || s.p[at] != ' ')
		return 0;
	const char *z = s.p + at + 1;
	if (memcmp(z, "UTC", 3) == 0 || memcmp(z, "GMT", 3) == 0) {
		*east = 0;
		return word_ends_at(s, at + 4) ? 4 : 0;
	}
	size_t i = at + 1;
	int hh, mm;
	if (*z != '+' && *z != '-')
		return 0;
	i++;
	if (!digits(s, &i, 2, &hh))
		return 0;
	expect(s, &i, ':');
	if (!digits(s, &i, 2, &mm) || !word_ends_at(s, i) || hh > 23 || mm > 59)
		return 0;
	*east = (*z == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
	return i - at;
}

/* Whether the bytes at S[AT] may start spaced_zone's zone: a blank,
 * then 'U', 'G', or a sign and a digit (not the " - " many formats put
 * after the time). A test for the readers that leave such a time to the
 * whole reader. */
static inline bool spaced_zone_may_start(struct th_span s, size_t at)
{
	if (at + 2 >= s.n || s.p[at] != ' ')
		return false;
	char c = s.p[at + 1];
	return c == 'U' || c == 'G' ||
	       ((c == '+' || c == '-') && th_is_digit(s.p[at + 2]));
}

/* Parses "Z", "+HH:MM", "+HHMM" or "+HH" at S[*AT] into seconds east of
 * UTC; false when no zone is there (nothing consumed). */
static bool parse_zone(struct th_span s, size_t *at, long *east)
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
	if (!digits(s, &i, 2, &hh))
		return false;
	size_t colon = i, plain = i;
	if (expect(s, &colon, ':') && digits(s, &colon, 2, &mm))
		i = colon;
	else if (digits(s, &plain, 2, &mm))
		i = plain;
	*east = sign * (hh * 3600L + mm * 60L);
	*at = i;
	return true;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

/* The number the eight digit values (0-9) in V make, the first (lowest)
 * byte the most significant: pairs, then fours, then all eight, each step
 * a multiply. */
static uint32_t eight_digits(uint64_t v)
{
	v = v * 10 + (v >> 8);
	v = ((v & 0x000000ff000000ffu) * (100 + (1000000ull << 32)) +
	     ((v >> 16 & 0x000000ff000000ffu) * (1 + (10000ull << 32)))) >>
	    32;
	return (uint32_t)v;
}

/* parse_fraction for a fraction past three digits with eight bytes to
 * read after its mark, eight digits at a step: container runtimes write
 * nine digits on every line (CRI, Docker), and byte by byte they took
 * about 240 instructions a time (callgrind, CRI sample). T's fraction is
 * empty on entry, as parse_fraction's callers make it. False when there
 * are fewer bytes (nothing done). */
static bool fraction_by_words(struct th_span s, size_t *at, struct th_time *t)
{
	const char *p = s.p + *at + 1;
	if (s.n - *at < 9)
		return false;
	uint64_t x = load8(p) ^ 0x3030303030303030u;
	/* a byte that is no digit has its top bit set here; a carry out of
	 * one only reaches the bytes after it */
	uint64_t bad = ((x + 0x7676767676767676u) | x) & 0x8080808080808080u;
	unsigned n = bad != 0 ? (unsigned)__builtin_ctzll(bad) / 8 : 8;
	/* the digits, zeros after them: the first N digits times 10^(8-N) */
	uint64_t keep = n == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * n)) - 1;
	uint32_t nsec = eight_digits(x & keep) * 10;
	size_t i = *at + 1 + n;
	if (n == 8 && i < s.n && th_is_digit(s.p[i])) {
		nsec += (uint32_t)(s.p[i] - '0');
		n = 9;
		i++;
	}
	while (i < s.n && th_is_digit(s.p[i]))
		i++; /* past nine digits: skipped */
	t->nsec = nsec;
	t->digits = (uint8_t)n;
	*at = i;
	return true;
}

/* read_iso_past_minute for the seconds logging's asctime writes,
 * ":ss,mmm" (or ".mmm") at S[16..22], with neither a fourth digit nor a
 * zone after them: eight bytes checked at once. Most records of a crash
 * loop's log start so; read with parse_fraction it took about 95
 * instructions a time (callgrind, crash loop). S holds 24 bytes or more
 * and no digit at [23] (seconds_at_once). Returns 0, with *OUT left
 * alone, for any other shape: read_iso_past_minute then reads it. */
static size_t asctime_past_minute(struct th_span s,
				  const struct th_iso_memo *memo,
				  struct th_time *out)
{
	uint64_t w = load8(s.p + 16), v;
	/* ':' at [16]; ',' or '.' at [19] (',' | 2 is '.') */
	if (((w | 0x02000000u) & 0xff0000ffu) != 0x2e00003au ||
	    !digits_at(w, 0x00ffffff00ffff00u, &v))
		return 0;
	char next = s.p[23];
	int sec = pair_at(v, 1);
	/* a zone after a blank (spaced_zone) is read on the way that reads
	 * it: the whole compare made this inline reader's callers save five
	 * registers more */
	if (next == 'Z' || next == '+' || next == '-' || sec > 60 ||
	    spaced_zone_may_start(s, 23))
		return 0;
	struct th_time t = memo->minute;
	t.second = (uint8_t)sec;
	t.sec += sec;
	t.nsec = (uint32_t)((v >> 32 & 0xff) * 100 + (v >> 40 & 0xff) * 10 +
			    (v >> 48 & 0xff)) *
		 1000000u;
	t.digits = 3;
	*out = t;
	return 23;
}

/* read_iso_past_minute for the seconds a container runtime writes,
 * ":ss.nnnnnnnnnZ" at S[16..29] (CRI on every line, dockerd when the
 * ninth digit is no 0), kept as written (UTC, no second 60, a day up to
 * the 28th): eight bytes a step. Returns 0, with *OUT left alone, for any
 * other shape. */
static size_t runtime_past_minute(struct th_span s,
				  const struct th_iso_memo *memo,
				  struct th_time *out)
{
	if (s.n < 30 || s.p[29] != 'Z' || memo->minute.day > 28)
		return 0;
	uint64_t w = load8(s.p + 16), f = load8(s.p + 20), v, nine;
	/* ':' at [16], '.' at [19] */
	if ((w & 0xff0000ffu) != 0x2e00003au ||
	    !digits_at(w, 0x0000000000ffff00u, &v) ||
	    !digits_at(f, ~(uint64_t)0, &nine) || !th_is_digit(s.p[28]))
		return 0;
	int sec = pair_at(v, 1);
	if (sec >= 60)
		return 0;
	struct th_time t = memo->minute;
	t.second = (uint8_t)sec;
	t.sec += sec;
	t.nsec = eight_digits(nine) * 10 + (uint32_t)(s.p[28] - '0');
	t.digits = 9;
	t.flags |= ISOTIME_ZONED;
	*out = t;
	return 30;
}

/* The seconds past a kept minute in the two shapes most lines have,
 * told apart by [23]: a digit there is a runtime's nine (see above). */
static size_t seconds_at_once(struct th_span s, const struct th_iso_memo *memo,
			      struct th_time *out)
{
	if (s.n < 24)
		return 0;
	return th_is_digit(s.p[23]) ? runtime_past_minute(s, memo, out)
				    : asctime_past_minute(s, memo, out);
}

#else

static bool fraction_by_words(struct th_span s, size_t *at, struct th_time *t)
{
	(void)s, (void)at, (void)t;
	return false;
}

static size_t seconds_at_once(struct th_span s, const struct th_iso_memo *memo,
			      struct th_time *out)
{
	(void)s, (void)memo, (void)out;
	return 0;
}

#endif

/* Reads ".123456" or ",123" at S[*AT] into T's fraction: its first 9
 * digits, the rest skipped. */
static void parse_fraction(struct th_span s, size_t *at, struct th_time *t)
{
	const char *p = s.p + *at;
	size_t left = s.n - *at;
	if (!(left >= 2 && (p[0] == ',' || p[0] == '.') && th_is_digit(p[1])))
		return;
	/* milliseconds, as logging's asctime writes them: at once */
	if (left >= 4 && th_is_digit(p[2]) && th_is_digit(p[3]) &&
	    (left == 4 || !th_is_digit(p[4]))) {
		t->nsec = (uint32_t)((p[1] - '0') * 100 + (p[2] - '0') * 10 +
				     (p[3] - '0')) *
			  1000000u;
		t->digits = 3;
		*at += 4;
		return;
	}
	if (fraction_by_words(s, at, t))
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
static void to_utc(struct th_time *t, long east)
{
	struct th_time u =
	    from_seconds(seconds_of(t->year, t->month, t->day, t->hour,
				    t->minute, t->second) -
			 east);
	u.nsec = t->nsec;
	u.digits = t->digits;
	*t = u;
}

size_t isotime_read_iso(struct th_span s, struct th_time *out)
{
	size_t at = 0;
	int Y = 0, M = 0, D = 0, h = 0, m = 0, sec = 0;
	if (!date_and_time(s, &at, &Y, &M, &D, &h, &m, &sec))
		return 0;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return 0;
	struct th_time t = fields(Y, M, D, h, m, sec);
	parse_fraction(s, &at, &t);
	long east = 0;
	bool zoned = at < s.n &&
		     (s.p[at] == 'Z' || s.p[at] == '+' || s.p[at] == '-') &&
		     parse_zone(s, &at, &east);
	size_t spaced = zoned ? 0 : spaced_zone(s, at, &east);
	if (spaced > 0) {
		zoned = true;
		at += spaced;
	}
	if (!zoned) {
		/* as written, and the fields just checked place it (four
		 * digits make a year 0-9999): settle without its checks */
		t.sec = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 +
			h * 3600 + m * 60 + sec;
		t.flags |= ISOTIME_INSTANT;
		*out = t;
		return at;
	}
	/* A time in UTC is kept as written too unless a field would carry
	 * over (a leap second, a day past the end of a short month). */
	if (!(east == 0 && sec < 60 && D <= 28))
		to_utc(&t, east);
	t.flags |= ISOTIME_ZONED;
	settle(&t);
	*out = t;
	return at;
}

/* The time at S, which starts with MEMO's head: its seconds, fraction
 * and zone read, the rest as kept. */
static size_t read_iso_past_minute(struct th_span s,
				   const struct th_iso_memo *memo,
				   struct th_time *out)
{
	const char *p = s.p;
	if (s.n < 19 || p[16] != ':' || !th_is_digit(p[17]) ||
	    !th_is_digit(p[18]))
		return 0;
	int sec = (p[17] - '0') * 10 + (p[18] - '0');
	if (sec > 60)
		return 0;
	struct th_time t = memo->minute;
	t.second = (uint8_t)sec;
	t.sec += sec;
	size_t at = 19;
	parse_fraction(s, &at, &t);
	if (at < s.n && p[at] == 'Z' && sec < 60 && t.day <= 28) {
		/* UTC, and no field carries over: kept as written, as
		 * isotime_read_iso keeps it */
		t.flags |= ISOTIME_ZONED;
		*out = t;
		return at + 1;
	}
	if ((at < s.n && (p[at] == 'Z' || p[at] == '+' || p[at] == '-')) ||
	    spaced_zone_may_start(s, at))
		return isotime_read_iso(s, out); /* a zone: read it all */
	*out = t;
	return at;
}

/* Whether the time isotime_read_iso read from S (N bytes, into T) holds
 * the fields as S writes them: no zone, or UTC that was not converted. */
static bool read_as_written(struct th_span s, size_t n, const struct th_time *t)
{
	if (!isotime_zoned(t))
		return true;
	int day = (s.p[8] - '0') * 10 + (s.p[9] - '0');
	int sec = (s.p[17] - '0') * 10 + (s.p[18] - '0');
	return s.p[n - 1] == 'Z' && sec < 60 && day <= 28;
}

/* isotime_read_iso_memo past seconds_at_once: SAME_MINUTE, S starts
 * with MEMO's head. Apart, so that the common case needs no registers
 * saved. */
__attribute__((noinline)) static size_t
read_iso_memo_rest(struct th_span s, struct th_iso_memo *memo,
		   struct th_time *out, bool same_minute)
{
	if (same_minute)
		return read_iso_past_minute(s, memo, out);
	size_t n = isotime_read_iso(s, out);
	/* Airflow's "YYYY-MM-DD, hh:mm" is not the layout the memo's
	 * readers take */
	if (n == 0 || s.p[10] == ',' || !read_as_written(s, n, out))
		return n;
	memo->valid = true;
	memcpy(memo->head, s.p, sizeof memo->head);
	memo->minute = *out;
	memo->minute.flags &= (uint8_t)~ISOTIME_ZONED;
	memo->minute.sec -= out->second;
	memo->minute.second = 0;
	memo->minute.nsec = 0;
	memo->minute.digits = 0;
	return n;
}

size_t isotime_read_iso_memo(struct th_span s, struct th_iso_memo *memo,
			     struct th_time *out)
{
	bool same_minute = isotime_memo_same_minute(memo, s);
	size_t n = same_minute ? seconds_at_once(s, memo, out) : 0;
	return n > 0 ? n : read_iso_memo_rest(s, memo, out, same_minute);
}

/* ---- strptime, syslog, the epoch ------------------------------------ */

bool isotime_read_format(struct th_span s, const char *format,
			 struct th_time *out)
{
	char buf[128];
	if (s.n >= sizeof buf)
		return false;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	struct tm tm = {0};
	if (strptime(buf, format, &tm) == NULL)
		return false;
	struct th_time t = fields(tm.tm_year + 1900LL, tm.tm_mon + 1,
				  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (strstr(format, "%z") != NULL) {
		to_utc(&t, tm.tm_gmtoff);
		t.flags |= ISOTIME_ZONED;
	}
	settle(&t);
	*out = t;
	return true;
}

int isotime_year_of(int64_t now)
{
	return (int)from_seconds(now).year;
}

/* Reads "dd hh:mm:ss" (the day may be space-padded) at S[0] as written by
 * syslog, without sscanf (it ran for every line of a syslog); false when
 * S is shaped otherwise. */
static bool syslog_fields(struct th_span s, int *day, int *h, int *m, int *sec)
{
	static const char shape[] = "dd dd:dd:dd";
	if (s.n < sizeof shape - 1)
		return false;
	int v[4] = {0};
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		char c = s.p[i];
		if (shape[i] != 'd') {
			if (c != shape[i])
				return false;
		} else if (th_is_digit(c)) {
			v[i / 3] = v[i / 3] * 10 + (c - '0');
		} else if (!(i == 0 && c == ' ')) {
			return false;
		}
	}
	*day = v[0], *h = v[1], *m = v[2], *sec = v[3];
	return true;
}

/* The month (1-12) whose English abbreviation S starts with, or 0. */
static int month_of(struct th_span s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12 && s.n >= 3; i++)
		if (memcmp(months + 3 * i, s.p, 3) == 0)
			return i + 1;
	return 0;
}

bool isotime_read_syslog(struct th_span s, int64_t now, int now_year,
			 struct th_time *out)
{
	int month = s.n >= 15 ? month_of(s) : 0;
	if (month == 0)
		return false;
	struct th_span rest = {s.p + 4, 11};
	int day, h, m, sec;
	if (!syslog_fields(rest, &day, &h, &m, &sec)) {
		/* any other spelling sscanf reads the same way */
		char buf[16];
		memcpy(buf, rest.p, rest.n);
		buf[rest.n] = '\0';
		if (sscanf(buf, "%d %d:%d:%d", &day, &h, &m, &sec) != 4)
			return false;
	}
	int64_t at = seconds_of(now_year, month, day, h, m, sec);
	struct th_time t = from_seconds(at);
	/* the year is taken off the fields, which then are left alone: the
	 * 29th of February of a leap year prints as it is */
	if (at > now + 86400)
		t.year--;
	settle(&t);
	*out = t;
	return true;
}

void isotime_from_epoch(int64_t sec, struct th_time *out)
{
	struct th_time t = from_seconds(sec);
	if (t.flags & ISOTIME_KNOWN) {
		t.flags |= ISOTIME_ZONED;
		settle(&t);
	}
	*out = t;
}

void isotime_from_epoch_usec(int64_t usec, struct th_time *out)
{
	int64_t sec = usec / 1000000, frac = usec % 1000000;
	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	isotime_from_epoch(sec, out);
	if (isotime_known(out)) {
		out->nsec = (uint32_t)frac * 1000;
		out->digits = 6;
	}
}

/* ---- printing ---------------------------------------------------------- */

/* T's fraction as ".123" (as many digits as written), or "". */
static size_t fraction_text(const struct th_time *t, char out[11])
{
	uint32_t v = t->nsec;
	for (unsigned i = t->digits; i < 9; i++)
		v /= 10;
	if (t->digits == 0) {
		out[0] = '\0';
		return 0;
	}
	out[0] = '.';
	for (size_t i = t->digits; i > 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
	out[t->digits + 1] = '\0';
	return (size_t)t->digits + 1;
}

/* True when T prints in fixed columns: a four-digit year, two-digit
 * fields. */
static bool fixed_width(const struct th_time *t)
{
	return t->year >= 0 && t->year <= 9999 && t->month <= 99 &&
	       t->day <= 99 && t->hour <= 99 && t->minute <= 99 &&
	       t->second <= 99;
}

size_t isotime_print(const struct th_time *t, char out[TH_TIME_LEN])
{
	if (!isotime_known(t)) {
		out[0] = '\0';
		return 0;
	}
	char frac[11];
	size_t nf = fraction_text(t, frac);
	const char *zone = isotime_zoned(t) ? "Z" : "";
	if (!fixed_width(t)) {
		char wide[96];
		snprintf(wide, sizeof wide, "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
			 (int)t->year, t->month, t->day, t->hour, t->minute,
			 t->second, frac, zone);
		snprintf(out, TH_TIME_LEN, "%.*s", TH_TIME_LEN - 1, wide);
		return strlen(out);
	}
	/* the common case without snprintf: it runs for every event */
	static const char sep[] = "--T::";
	int two[5] = {t->month, t->day, t->hour, t->minute, t->second};
	char *o = out;
	*o++ = (char)('0' + t->year / 1000);
	*o++ = (char)('0' + t->year / 100 % 10);
	*o++ = (char)('0' + t->year / 10 % 10);
	*o++ = (char)('0' + t->year % 10);
	for (size_t i = 0; i < 5; i++) {
		*o++ = sep[i];
		*o++ = (char)('0' + two[i] / 10);
		*o++ = (char)('0' + two[i] % 10);
	}
	memcpy(o, frac, nf);
	o += nf;
	if (isotime_zoned(t))
		*o++ = 'Z';
	*o = '\0';
	return (size_t)(o - out);
}

void isotime_format(int64_t sec, bool zoned, char out[TH_TIME_LEN])
{
	struct th_time t = from_seconds(sec);
	if (zoned)
		t.flags |= ISOTIME_ZONED;
	isotime_print(&t, out);
}

/* Reads a year as "%04d" prints it at S[*AT]: a sign, then digits. */
static bool printed_year(const char *s, size_t *at, int64_t *year)
{
	size_t i = *at, start;
	bool minus = s[i] == '-';
	i += minus;
	int64_t y = 0;
	for (start = i; th_is_digit(s[i]) && i - start < 10; i++)
		y = y * 10 + (s[i] - '0');
	if (i == start || y > INT32_MAX)
		return false;
	*year = minus ? -y : y;
	*at = i;
	return true;
}

bool isotime_read_printed(const char *s, struct th_time *out)
{
	size_t n = strnlen(s, TH_TIME_LEN), at = 0;
	struct th_span sp = {s, n};
	int64_t Y;
	int M, D, h, m, sec;
	if (n == TH_TIME_LEN || !printed_year(s, &at, &Y) ||
	    !expect(sp, &at, '-') || !digits(sp, &at, 2, &M) ||
	    !expect(sp, &at, '-') || !digits(sp, &at, 2, &D) ||
	    !expect(sp, &at, 'T') || !digits(sp, &at, 2, &h) ||
	    !expect(sp, &at, ':') || !digits(sp, &at, 2, &m) ||
	    !expect(sp, &at, ':') || !digits(sp, &at, 2, &sec))
		return false;
	struct th_time t = fields(Y, M, D, h, m, sec);
	if (s[at] == '.')
		parse_fraction(sp, &at, &t);
	if (expect(sp, &at, 'Z'))
		t.flags |= ISOTIME_ZONED;
	settle(&t);
	char again[TH_TIME_LEN];
	if (at != n || isotime_print(&t, again) != n || memcmp(again, s, n))
		return false;
	*out = t;
	return true;
}

/* ---- ordering ------------------------------------------------------ */

/* Orders printed times: "YYYY-MM-DDTHH:MM:SS" as text, then the fractions
 * as decimals; anything shorter by strcmp. */
static int text_order(const char *x, const char *y)
{
	enum { WHOLE = 19 };
	if (strnlen(x, WHOLE) < WHOLE || strnlen(y, WHOLE) < WHOLE)
		return strcmp(x, y);
	int c = memcmp(x, y, WHOLE);
	if (c != 0)
		return c;
	x += WHOLE + (x[WHOLE] == '.' || x[WHOLE] == ',');
	y += WHOLE + (y[WHOLE] == '.' || y[WHOLE] == ',');
	while (th_is_digit(*x) || th_is_digit(*y)) {
		char dx = th_is_digit(*x) ? *x++ : '0';
		char dy = th_is_digit(*y) ? *y++ : '0';
		if (dx != dy)
			return dx < dy ? -1 : 1;
	}
	return 0;
}

int isotime_order(const struct th_time *x, const struct th_time *y)
{
	if (!fixed_width(x) || !fixed_width(y)) {
		/* years past 9999 or before 0: as their text sorts */
		char a[TH_TIME_LEN], b[TH_TIME_LEN];
		isotime_print(x, a);
		isotime_print(y, b);
		return text_order(a, b);
	}
	/* fixed columns sort field by field, as the text would */
	int64_t kx =
	    (((((int64_t)x->year * 100 + x->month) * 100 + x->day) * 100 +
	      x->hour) *
		 100 +
	     x->minute) *
		100 +
	    x->second;
	int64_t ky =
	    (((((int64_t)y->year * 100 + y->month) * 100 + y->day) * 100 +
	      y->hour) *
		 100 +
	     y->minute) *
		100 +
	    y->second;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return (x->nsec > y->nsec) - (x->nsec < y->nsec);
}

/* ---- instants and bounds --------------------------------------------- */

bool isotime_parse(const char *t, struct th_instant *out)
{
	struct th_span s = {t, strnlen(t, 19)};
	size_t at = 0;
	int Y, M, D, h, m, sec;
	if (!date_and_time(s, &at, &Y, &M, &D, &h, &m, &sec))
		return false;
	struct th_time x = fields(Y, M, D, h, m, sec);
	settle(&x);
	if (!(x.flags & ISOTIME_INSTANT))
		return false;
	out->sec = x.sec;
	out->nsec = 0;
	const char *f = t + 19;
	if (*f == '.' || *f == ',') {
		uint32_t scale = 100000000;
		for (f++; th_is_digit(*f); f++, scale /= 10)
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
		for (; th_is_digit(*p); p++) {
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

/* ARG as a time when isotime_read_iso reads all of it; a date alone is
 * its midnight, "HH:MM" has ":00" seconds. */
static bool parse_absolute(const char *arg, struct th_time *t)
{
	char buf[64];
	size_t n = strlen(arg);
	if (n == 0 || n >= TH_TIME_LEN)
		return false;
	if (n == 10)
		snprintf(buf, sizeof buf, "%sT00:00:00", arg);
	else if (n >= 16 && arg[13] == ':' && arg[16] != ':')
		snprintf(buf, sizeof buf, "%.16s:00%s", arg, arg + 16);
	else
		snprintf(buf, sizeof buf, "%s", arg);
	struct th_span s = {buf, strlen(buf)};
	return isotime_read_iso(s, t) == s.n;
}

bool isotime_parse_bound(const char *arg, int64_t now,
			 struct th_time_bound *out, struct th_error *err)
{
	struct th_time t;
	int64_t ago;
	if (parse_absolute(arg, &t)) {
		if (!isotime_instant(&t, &out->utc)) {
			th_error_set(err, NULL, 0, 0, "'%s' is not a time",
				     arg);
			return false;
		}
		out->local = out->utc;
		return true;
	}
	if (!parse_duration(arg, &ago)) {
		th_error_set(
		    err, NULL, 0, 0,
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

bool isotime_cmp_bound(const struct th_time *t, const struct th_time_bound *b,
		       int *cmp)
{
	struct th_instant at;
	if (!isotime_instant(t, &at))
		return false;
	*cmp = isotime_cmp(&at, isotime_zoned(t) ? &b->utc : &b->local);
	return true;
}
