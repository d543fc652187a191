/* frame.h - recognise the framing a log collector puts around every line:
 * Kubernetes CRI, syslog and journald (short and short-iso), Heroku,
 * GitHub Actions step logs, `kubectl logs --prefix`, `docker compose
 * logs`, honcho/foreman and pm2. (Docker's json-file, journalctl -o
 * json and JSON log records need decoding and live in prefix.c.)
 *
 * Owns:        nothing: pure functions over a line.
 * Caller owns: the line; every span in a struct th_frame points into it.
 */
#ifndef TH_FRAME_H
#define TH_FRAME_H

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <string.h>

#include "th.h"
#include "trigger.h"

enum th_time_kind {
	TH_TIME_NONE,
	TH_TIME_ISO,	/* RFC 3339 / ISO 8601 */
	TH_TIME_SYSLOG, /* "Nov 24 10:00:01": no year, no zone */
};

struct th_frame {
	struct th_span source; /* the writer: stream, host+tag[pid], pod */
	struct th_span time;
	enum th_time_kind time_kind;
	struct th_span message; /* what the program wrote */
	bool partial;		/* CRI "P": the next piece continues it */
	bool runtime;		/* CRI: a container runtime's framing */
	/* syslog's (and journalctl's short forms): a message of several
	 * lines is one line with each "\n" written "#012" (rsyslog), or its
	 * first line, the others following it indented to its column
	 * (journalctl) */
	bool syslog;
};

/* "2024-05-01T10:00:01.123456789Z stderr F message" */
bool frame_cri(struct th_span line, struct th_frame *out);

/* "Nov 24 10:00:01 host tag[pid]: message", journalctl -o short-iso
 * "2024-11-24T10:00:01+0000 host tag[pid]: message" and Heroku's
 * "2024-11-24T10:00:01.123456+00:00 app[web.1]: message" */
bool frame_syslog(struct th_span line, struct th_frame *out);

/* GitHub Actions (and Azure Pipelines) step logs:
 * "2024-05-01T10:00:01.1234567Z message", seven fraction digits. */
bool frame_actions(struct th_span line, struct th_frame *out);

/* "[pod/api-7d9f/app] message" */
bool frame_kubectl(struct th_span line, struct th_frame *out);

/* "api-1     | message", honcho/foreman's "10:00:01 web.1  | message"
 * and pm2's "0|api      | message" */
bool frame_compose(struct th_span line, struct th_frame *out);

/* Tries each of the above in turn. */
bool frame_any(struct th_span line, struct th_frame *out);

/* Whether S holds the byte C. Thirty-two bytes a step, the last ending
 * at S's end (it may read bytes read before), inline: through memchr the
 * call and the registers saved around it cost more than the search of a
 * line that lacks one, as most lines do (callgrind, crash loop). Shorter
 * lines byte by byte. */
static inline bool frame_has_byte(struct th_span s, char c)
{
#if defined(__SSE2__)
	if (s.n >= 16) {
		const __m128i bar = _mm_set1_epi8(c);
		size_t i = 0;
		for (; i + 32 < s.n; i += 32) {
			__m128i a = _mm_loadu_si128((const __m128i *)(s.p + i));
			__m128i b =
			    _mm_loadu_si128((const __m128i *)(s.p + i + 16));
			__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(a, bar),
						   _mm_cmpeq_epi8(b, bar));
			if (_mm_movemask_epi8(hit) != 0)
				return true;
		}
		/* 1 to 32 bytes left: the last 32 (or all, 16 to 31) */
		size_t from = s.n >= 32 ? s.n - 32 : 0;
		__m128i a = _mm_loadu_si128((const __m128i *)(s.p + from));
		__m128i b = _mm_loadu_si128((const __m128i *)(s.p + s.n - 16));
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(a, bar),
					   _mm_cmpeq_epi8(b, bar));
		return _mm_movemask_epi8(hit) != 0;
	}
#endif
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == c)
			return true;
	return false;
}

/* Whether S holds a '|' (frame_compose's mark). */
static inline bool frame_has_bar(struct th_span s)
{
	return frame_has_byte(s, '|');
}

/* True when LINE starts with an ISO date, a blank and a byte that is
 * neither a blank nor a '|' ("2024-05-01 10:00:01,123 ERROR", logging's
 * asctime): the date is all of a compose name there, and no '|' follows
 * its blanks. Eight bytes checked at once where the byte order allows:
 * cheaper than the search for a '|' in the long lines such records are. */
static inline bool frame_dated_no_compose(struct th_span s)
{
	if (s.n < 12 || s.p[10] != ' ' || s.p[11] == ' ' || s.p[11] == '|' ||
	    !th_is_digit(s.p[8]) || !th_is_digit(s.p[9]))
		return false;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w, x;
	memcpy(&w, s.p, sizeof w);
	/* '-' at [4] and [7], digits elsewhere ('0'-'9' XOR '0' is 0-9, and
	 * adding 0x76 sets the top bit of 10 or more) */
	x = (w ^ 0x3030303030303030u) & 0x00ffff00ffffffffu;
	return (w & 0xff0000ff00000000u) == 0x2d00002d00000000u &&
	       (((x + 0x7676767676767676u) | x) & 0x0080800080808080u) == 0;
#else
	for (size_t i = 0; i < 8; i++)
		if (i == 4 || i == 7 ? s.p[i] != '-' : !th_is_digit(s.p[i]))
			return false;
	return true;
#endif
}

/* True when S, at least sixteen bytes that start with a name's byte
 * other than a digit, has no compose framing, as told from its first
 * sixteen bytes: such a name (no clock or pm2 id before it) runs up to
 * the first blank of the line, and a '|' must follow the blanks there.
 * False when the first blanks do not end within the sixteen. A line of
 * a traceback ("Traceback (most", "task: <Task", "ValueError: x") has
 * its first blank early: cheaper than the search for a '|' through it
 * (frame_has_bar), which took about 30 instructions a line and 60 for
 * the long ones (callgrind, crash loop). */
static inline bool frame_no_compose_at_once(struct th_span s)
{
#if defined(__SSE2__)
	__m128i v = _mm_loadu_si128((const __m128i *)s.p);
	unsigned blank =
	    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
	if (blank == 0)
		return false;
	unsigned from = (unsigned)__builtin_ctz(blank);
	/* past the run of blanks: bits above the sixteen are set by ~ */
	unsigned end = from + (unsigned)__builtin_ctz(~(blank >> from));
	return end < 16 && s.p[end] != '|';
#else
	(void)s;
	return false;
#endif
}

/* True when frame_any finds no framing in LINE, as told inline, without
 * a call, from its first bytes and from its having no '|' where a
 * compose name's blanks end: most lines of a traceback ("Traceback (most
 * recent call last):", an exception's line). False when frame_any must
 * be asked. It follows frame_any's first-byte choice: '[' (kubectl), an
 * RFC 3339 time's 'T' at [10], a capital with a blank at [3] and a ':'
 * at [9] (a syslog time, "Nov 24 10:00:01"; "The above exception ..."
 * has no ':' there), and a name's byte (compose, which needs a '|' after
 * the name and its blanks). */
static inline bool frame_none_at_once(struct th_span line)
{
	if (line.n == 0)
		return true;
	char c = line.p[0], low = (char)(c | 0x20);
	bool digit = c >= '0' && c <= '9';
	if (c == '[' || (digit && line.n >= 19 && line.p[10] == 'T') ||
	    (c >= 'A' && c <= 'Z' && line.n >= 15 && line.p[3] == ' ' &&
	     line.p[9] == ':'))
		return false;
	bool name = digit || (low >= 'a' && low <= 'z') || c == '_' ||
		    c == '-' || c == '.';
	if (!name)
		return true;
	/* a digit first may be a clock or a pm2 id before the name */
	if (digit)
		return frame_dated_no_compose(line) || !frame_has_bar(line);
	return (line.n >= 16 && frame_no_compose_at_once(line)) ||
	       !frame_has_bar(line);
}

/* The container a runtime's log file belongs to, told by its path as the
 * kubelet and dockerd name them (README.md, "Log shapes"):
 *   .../<pod>_<namespace>_<container>-<64 hex>.log  (/var/log/containers)
 *   .../<namespace>_<pod>_<uid>/<container>/<N>.log   (/var/log/pods)
 *   .../<64 hex>/<same 64 hex>-json.log               (Docker json-file)
 * each maybe with a rotation suffix (".1", ".20240501-101010", ".gz").
 * Writes "<namespace>/<pod>/<container>", or Docker's short container
 * id (12 hex digits), into OUT (CAP bytes, NUL-terminated) and returns
 * its length; 0 for any other path, or one too long for CAP. */
size_t frame_file_writer(const char *path, char *out, size_t cap);

/* The markers of a line a container runtime split into pieces (CRI "P"
 * lines, Docker entries without an escaped newline): the buffer search
 * must stop at such a first piece although no rule's literal is in it,
 * as a trigger may straddle the pieces (prefix.c joins them). Likewise a
 * journalctl -o json record whose MESSAGE is an array of byte values.
 * *N gets their number; the table is static. */
const struct th_marker *frame_split_markers(size_t *n);

/* Whether S starts with a CRI piece's marker ("stderr P "), one of
 * frame_split_markers's. */
bool frame_piece_marker(struct th_span s);

/* The forms LITERAL takes inside the JSON strings framings write, where
 * the search meets them escaped: dockerd (Go's encoding/json) writes
 * '<', '>' and '&' as \u003c, \u003e and \u0026, and every JSON writer
 * '"' and '\' as \" and \\. Stores in OUT[0..] the forms that differ
 * from LITERAL (2 at most: Go's, then plain JSON's when it differs too),
 * each a NUL-terminated string the caller frees, and returns how many. */
size_t frame_json_forms(struct th_span literal, char *out[2]);

#endif
