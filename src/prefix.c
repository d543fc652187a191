/* prefix.c - record boundaries and times from log prefixes; see prefix.h. */
#include "prefix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "th_limits.h"

struct th_prefixer {
	char *scratch; /* TH_READ_BUFFER bytes: a line is never longer */
};

struct th_prefixer *prefix_new(void)
{
	struct th_prefixer *p = xmalloc(sizeof *p);
	p->scratch = xmalloc(TH_READ_BUFFER);
	return p;
}

void prefix_free(struct th_prefixer *p)
{
	if (p == NULL)
		return;
	free(p->scratch);
	free(p);
}

size_t prefix_strip_ansi(struct th_span in, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < in.n; i++) {
		if (in.p[i] == '\x1b' && i + 1 < in.n && in.p[i + 1] == '[') {
			/* CSI: parameters and intermediates, then one final
			 * byte in 0x40..0x7e. */
			size_t j = i + 2;
			while (j < in.n && (unsigned char)in.p[j] >= 0x20 &&
			       (unsigned char)in.p[j] <= 0x3f)
				j++;
			i = j < in.n ? j : in.n - 1;
			continue;
		}
		out[n++] = in.p[i];
	}
	return n;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads N digits at S[*at] into *V; false when they are not all digits. */
static bool digits(struct th_span s, size_t *at, size_t n, int *v)
{
	if (*at + n > s.n)
		return false;
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[*at + i];
		if (!is_digit(c))
			return false;
		x = x * 10 + (c - '0');
	}
	*at += n;
	*v = x;
	return true;
}

static bool expect(struct th_span s, size_t *at, const char *chars)
{
	if (*at < s.n && strchr(chars, s.p[*at]) != NULL && s.p[*at]) {
		(*at)++;
		return true;
	}
	return false;
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
	if (expect(s, &colon, ":") && digits(s, &colon, 2, &mm))
		i = colon;
	else if (digits(s, &plain, 2, &mm))
		i = plain;
	*east = sign * (hh * 3600L + mm * 60L);
	*at = i;
	return true;
}

/* Writes the UTC time of a local time at offset EAST seconds. */
static void to_utc(struct tm *tm, long east)
{
	time_t t = timegm(tm) - east;
	gmtime_r(&t, tm);
}

size_t prefix_parse_time(struct th_span s, char out[40])
{
	struct tm tm = {0};
	size_t at = 0;
	int Y, M, D, h, m, sec;
	if (!digits(s, &at, 4, &Y) || !expect(s, &at, "-") ||
	    !digits(s, &at, 2, &M) || !expect(s, &at, "-") ||
	    !digits(s, &at, 2, &D) || !expect(s, &at, "T ") ||
	    !digits(s, &at, 2, &h) || !expect(s, &at, ":") ||
	    !digits(s, &at, 2, &m) || !expect(s, &at, ":") ||
	    !digits(s, &at, 2, &sec))
		return 0;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return 0;
	char frac[11] = "";
	size_t nf = 0;
	if (at + 1 < s.n && (s.p[at] == ',' || s.p[at] == '.') &&
	    is_digit(s.p[at + 1])) {
		at++;
		while (at < s.n && is_digit(s.p[at])) {
			if (nf < 9)
				frac[1 + nf++] = s.p[at];
			at++;
		}
		frac[0] = '.';
		frac[1 + nf] = '\0';
	}
	long east = 0;
	bool zoned = parse_zone(s, &at, &east);
	tm = (struct tm){.tm_year = Y - 1900,
			 .tm_mon = M - 1,
			 .tm_mday = D,
			 .tm_hour = h,
			 .tm_min = m,
			 .tm_sec = sec};
	if (zoned)
		to_utc(&tm, east);
	/* Every value is in range, so 32 bytes at most are written; the wider
	 * buffer only keeps gcc's truncation check quiet. */
	char iso[64];
	snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, frac, zoned ? "Z" : "");
	snprintf(out, 40, "%.39s", iso);
	return at;
}

static bool starts_with(struct th_span s, const char *lit, size_t n)
{
	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

/* A level name the logging module prints, followed by ':' (BASIC_FORMAT
 * "%(levelname)s:%(name)s:") or by a blank or ']' (custom formats). */
static bool starts_with_level(struct th_span s)
{
	static const char *const levels[] = {
	    "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "FATAL", "WARN"};
	if (s.n > 0 && s.p[0] == '[') {
		s.p++;
		s.n--;
	}
	for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
		size_t n = strlen(levels[i]);
		if (starts_with(s, levels[i], n) && s.n > n &&
		    strchr(":] \t", s.p[n]) != NULL)
			return true;
	}
	return false;
}

void prefix_parse(struct th_prefixer *p, const struct th_line *line,
		  uint64_t end_offset, struct th_record *rec)
{
	rec->text = line->text;
	if (memchr(line->text.p, '\x1b', line->text.n) != NULL) {
		rec->text.n = prefix_strip_ansi(line->text, p->scratch);
		rec->text.p = p->scratch;
	}
	rec->number = line->number;
	rec->offset = line->offset;
	rec->end_offset = end_offset;
	rec->source = 0;
	rec->time[0] = '\0';
	struct th_span t = rec->text;
	if (t.n > 0 && t.p[0] == '[') {
		t.p++;
		t.n--;
	}
	rec->record_start =
	    prefix_parse_time(t, rec->time) > 0 || starts_with_level(rec->text);
}
