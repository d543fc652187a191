/* frame.c - per-line framings of log collectors; see frame.h. */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FRAME_WORDS 1

/* The 8 bytes at P, the first the lowest. */
static uint64_t load8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

/* The top bit of each zero byte of W set; a borrow may set it in bytes
 * above a zero byte too, never below the lowest one. */
static uint64_t zero_bytes(uint64_t w)
{
	return (w - 0x0101010101010101u) & ~w & 0x8080808080808080u;
}

/* Whether every byte of W where MASK has 0xff holds a digit (as
 * isotime.c's digits_at: '0'-'9' XOR '0' is 0-9, and adding 0x76 sets
 * the top bit of a byte of 10 or more). */
static bool digits_at(uint64_t w, uint64_t mask)
{
	uint64_t x = (w ^ 0x3030303030303030u) & mask;
	return (((x + 0x7676767676767676u) | x) & 0x8080808080808080u & mask) ==
	       0;
}

#endif

/* Length of the run of non-blank bytes at S[AT]: eight bytes a step
 * where eight are left (a CRI time's fraction and zone are 11). */
static size_t word(struct th_span s, size_t at)
{
	size_t i = at;
#ifdef FRAME_WORDS
	for (; i + 8 <= s.n; i += 8) {
		uint64_t w = load8(s.p + i);
		uint64_t blank = zero_bytes(w ^ 0x2020202020202020u) |
				 zero_bytes(w ^ 0x0909090909090909u);
		if (blank != 0)
			return i + (unsigned)__builtin_ctzll(blank) / 8 - at;
	}
#endif
	while (i < s.n && !is_space(s.p[i]))
		i++;
	return i - at;
}

static struct th_span sub(struct th_span s, size_t at, size_t n)
{
	return (struct th_span){s.p + at, n};
}

static struct th_span rest(struct th_span s, size_t at)
{
	return at <= s.n ? sub(s, at, s.n - at) : sub(s, s.n, 0);
}

/* Whether S starts with SHAPE, where 'd' stands for any digit and every
 * other byte for itself. */
static bool starts_with_shape(struct th_span s, const char *shape)
{
	size_t n = strlen(shape);
	if (s.n < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool ok =
		    shape[i] == 'd' ? th_is_digit(s.p[i]) : s.p[i] == shape[i];
		if (!ok)
			return false;
	}
	return true;
}

/* "YYYY-MM-DDTHH:MM:SS" (19 bytes) at S[0], its fixed part: every byte
 * has its place, so they are read eight at a time where the byte order
 * allows ("YYYY-MM-", "DDThh:mm", "hh:mm:ss"), else one by one. Read
 * through starts_with_shape it took about 220 instructions a time, twice
 * for every CRI line (callgrind, CRI sample). */
static bool iso_fixed_part(struct th_span s)
{
#ifdef FRAME_WORDS
	uint64_t a = load8(s.p), b = load8(s.p + 8), c = load8(s.p + 11);
	return (a & 0xff0000ff00000000u) == 0x2d00002d00000000u &&
	       (b & 0x0000ff0000000000u) == 0x00003a0000000000u &&
	       (c & 0x0000ff0000000000u) == 0x00003a0000000000u &&
	       digits_at(a, 0x00ffff00ffffffffu) &&
	       digits_at(b, 0xffff00ffff00ffffu) &&
	       digits_at(c, 0xffff000000000000u);
#else
	return starts_with_shape(s, "dddd-dd-ddTdd:dd:dd");
#endif
}

/* "YYYY-MM-DDTHH:MM:SS" at S[0]: the start of an RFC 3339 time. The
 * length and the 'T' first, inline: the 'T' rules out logging's asctime
 * ("2024-05-01 10:00:01,123"), the most common line that starts with a
 * date. */
static bool looks_iso(struct th_span s)
{
	return s.n >= 19 && s.p[10] == 'T' && iso_fixed_part(s);
}

/* frame_cri past the fixed part of the time, which LINE starts with
 * (looks_iso): the rest of the time, then "stdout" or "stderr" alone,
 * then "P" or "F" and a blank (or the end). */
static bool cri_past_time(struct th_span line, struct th_frame *out)
{
	size_t t = 19 + word(line, 19); /* the fraction and zone */
	size_t at = t + 1;
	if (at + 6 > line.n || memcmp(line.p + at, "std", 3) != 0 ||
	    (memcmp(line.p + at + 3, "out", 3) != 0 &&
	     memcmp(line.p + at + 3, "err", 3) != 0))
		return false;
	struct th_span stream = sub(line, at, 6);
	at += 6;
	if (at < line.n && !is_space(line.p[at]))
		return false; /* a longer word: no stream CRI names */
	at++;
	if (at + 1 > line.n || (line.p[at] != 'P' && line.p[at] != 'F'))
		return false;
	if (at + 1 < line.n && line.p[at + 1] != ' ')
		return false;
	*out = (struct th_frame){.source = stream,
				 .time = sub(line, 0, t),
				 .time_kind = TH_TIME_ISO,
				 .message = rest(line, at + 2),
				 .partial = line.p[at] == 'P',
				 .runtime = true};
	return true;
}

/* frame_cri for the line a container runtime writes most: a time of
 * nine fraction digits (containerd drops the last ones only when they
 * are zeros) and blanks after the stream and the tag,
 * "YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ stderr F " (or the end after the
 * tag), every byte in its place. The first 32 bytes are checked
 * sixteen a step: a byte XOR its place's in SHAPE is 0-9 where a digit
 * belongs and 0 where the byte itself does, so less LIMIT there (9 or
 * 0, saturating) it is 0 when in place. Through looks_iso and
 * cri_past_time such a line took about 185 instructions, this about 50
 * (callgrind, CRI sample). False for any other line (every line without
 * SSE2), which frame_cri's way then reads: what that way makes of a
 * line this one takes is the same. */
static inline bool cri_at_once(struct th_span line, struct th_frame *out)
{
#if defined(__SSE2__) && defined(FRAME_WORDS)
	enum { TIME = 30, TAG = 38 };
	static const char shape[] = "0000-00-00T00:00:00.000000000Z s";
	static const unsigned char limit[32] = {
	    9, 9, 9, 9, 0, 9, 9, 0, /* YYYY-MM- */
	    9, 9, 0, 9, 9, 0, 9, 9, /* DDThh:mm */
	    0, 9, 9, 0, 9, 9, 9, 9, /* :ss.nnnn */
	    9, 9, 9, 9, 9, 0, 0, 0, /* nnnnnZ s */
	};
	const char *p = line.p;
	if (line.n <= TAG)
		return false;
	__m128i off = _mm_setzero_si128();
	for (size_t i = 0; i < 32; i += 16) {
		__m128i x = _mm_xor_si128(
		    _mm_loadu_si128((const __m128i *)(p + i)),
		    _mm_loadu_si128((const __m128i *)(shape + i)));
		off = _mm_or_si128(
		    off, _mm_subs_epu8(
			     x, _mm_loadu_si128((const __m128i *)(limit + i))));
	}
	uint64_t stream = load8(p + TIME);
	if (_mm_movemask_epi8(_mm_cmpeq_epi8(off, _mm_setzero_si128())) !=
		0xffff ||
	    (stream != load8(" stdout ") && stream != load8(" stderr ")) ||
	    (p[TAG] != 'P' && p[TAG] != 'F') ||
	    (line.n > TAG + 1 && p[TAG + 1] != ' '))
		return false;
	*out = (struct th_frame){.source = sub(line, TIME + 1, 6),
				 .time = sub(line, 0, TIME),
				 .time_kind = TH_TIME_ISO,
				 .message = rest(line, TAG + 2),
				 .partial = p[TAG] == 'P',
				 .runtime = true};
	return true;
#else
	(void)line, (void)out;
	return false;
#endif
}

bool frame_cri(struct th_span line, struct th_frame *out)
{
	return looks_iso(line) && cri_past_time(line, out);
}

static bool is_month(const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (size_t i = 0; i < 12; i++)
		if (memcmp(months + 3 * i, p, 3) == 0)
			return true;
	return false;
}

/* "Nov 24 10:00:01" (the day may be space-padded). */
static bool looks_syslog_time(struct th_span s)
{
	static const char shape[] = "Aaa dd dd:dd:dd";
	/* The blank after the month first: it rules out most lines that
	 * start with a capital ("Traceback", "ValueError: ..."). */
	if (s.n < sizeof shape - 1 || s.p[3] != ' ')
		return false;
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		char c = s.p[i], want = shape[i];
		bool ok = want == 'A'	? (c >= 'A' && c <= 'Z')
			  : want == 'a' ? (c >= 'a' && c <= 'z')
			  : want == 'd'
			      ? (th_is_digit(c) || (i == 4 && c == ' '))
			      : c == want;
		if (!ok)
			return false;
	}
	return is_month(s.p);
}

/* True when W is a logging level name as %(levelname)s prints it: no
 * host is called that, and "TIME ERROR app: message" is a logging record
 * (asctime with a 'T'), not "TIME host tag: message". */
static bool is_level_name(struct th_span w)
{
	static const char *const levels[] = {
	    "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "FATAL", "WARN"};
	for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
		if (w.n == strlen(levels[i]) &&
		    memcmp(w.p, levels[i], w.n) == 0)
			return true;
	return false;
}

/* "host tag[pid]: " or "host tag: " at S[AT]: the source is "host tag[pid]"
 * and the message starts after ": ". */
static bool syslog_source(struct th_span line, size_t at, struct th_frame *out)
{
	size_t host = word(line, at);
	if (host == 0 || at + host + 1 >= line.n ||
	    is_level_name(sub(line, at, host)))
		return false;
	size_t tag_at = at + host + 1, tag = word(line, tag_at);
	if (tag < 2 || line.p[tag_at + tag - 1] != ':')
		return false;
	size_t colon = tag_at + tag - 1;
	/* the tag may end with "[pid]" */
	struct th_span name = sub(line, tag_at, tag - 1);
	const char *br = memchr(name.p, '[', name.n);
	if (br != NULL && name.p[name.n - 1] != ']')
		return false;
	out->source = sub(line, at, colon - at);
	out->message = rest(line, colon + 2);
	return colon + 1 == line.n || line.p[colon + 1] == ' ';
}

/* "tag[id]: " at S[AT] with no host before it: Heroku's "app[web.1]: "
 * and "heroku[router]: ". No host name ends with "]:", so a line that
 * has one is not read as "host tag:". */
static bool tag_source(struct th_span line, size_t at, struct th_frame *out)
{
	size_t tag = word(line, at);
	if (tag < 4 || line.p[at + tag - 1] != ':' ||
	    line.p[at + tag - 2] != ']')
		return false;
	struct th_span name = sub(line, at, tag - 1);
	const char *br = memchr(name.p, '[', name.n);
	if (br == NULL || br == name.p)
		return false;
	out->source = name;
	out->message = rest(line, at + tag + 1);
	return true;
}

bool frame_syslog(struct th_span line, struct th_frame *out)
{
	size_t at;
	bool iso = false;
	if (looks_syslog_time(line)) {
		*out = (struct th_frame){.time = sub(line, 0, 15),
					 .time_kind = TH_TIME_SYSLOG};
		at = 16;
	} else if (looks_iso(line)) {
		size_t t = word(line, 0);
		*out = (struct th_frame){.time = sub(line, 0, t),
					 .time_kind = TH_TIME_ISO};
		at = t + 1;
		iso = true;
	} else {
		return false;
	}
	if (at >= line.n || line.p[at - 1] != ' ')
		return false;
	/* a record of several lines (a traceback logged through
	 * SysLogHandler or journald) is one line of rsyslog's file, whose
	 * control bytes it escapes, or lines journalctl indents under the
	 * first (frame.h) */
	out->syslog = true;
	return (iso && tag_source(line, at, out)) ||
	       syslog_source(line, at, out);
}

bool frame_actions(struct th_span line, struct th_frame *out)
{
	/* "YYYY-MM-DDTHH:MM:SS.fffffffZ ": the runner's clock, in UTC */
	enum { TIME = 28 };
	if (line.n <= TIME || !looks_iso(line) || line.p[19] != '.' ||
	    line.p[TIME - 1] != 'Z' || line.p[TIME] != ' ')
		return false;
	for (size_t i = 20; i < TIME - 1; i++)
		if (!th_is_digit(line.p[i]))
			return false;
	*out = (struct th_frame){.time = sub(line, 0, TIME),
				 .time_kind = TH_TIME_ISO,
				 .message = rest(line, TIME + 1)};
	return true;
}

bool frame_kubectl(struct th_span line, struct th_frame *out)
{
	if (line.n < 4 || line.p[0] != '[')
		return false;
	const char *end = memchr(line.p, ']', line.n);
	if (end == NULL)
		return false;
	struct th_span name = sub(line, 1, (size_t)(end - line.p) - 1);
	if (memchr(name.p, '/', name.n) == NULL || word(name, 0) != name.n)
		return false;
	size_t after = (size_t)(end - line.p) + 1;
	if (after < line.n && line.p[after] != ' ')
		return false;
	*out =
	    (struct th_frame){.source = name, .message = rest(line, after + 1)};
	return true;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       th_is_digit(c) || c == '_' || c == '-' || c == '.';
}

/* "HH:MM:SS " at S[0]: a clock without a date (honcho, foreman). */
static bool looks_clock(struct th_span s)
{
	return s.n > 2 && s.p[2] == ':' && starts_with_shape(s, "dd:dd:dd ");
}

static bool all_digits(struct th_span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!th_is_digit(s.p[i]))
			return false;
	return s.n > 0;
}

bool frame_compose(struct th_span line, struct th_frame *out)
{
	/* Most lines have no '|' at all: ruled out before the name is read
	 * byte by byte. */
	if (!frame_has_bar(line))
		return false;
	/* honcho and foreman put a clock before the name */
	size_t from = looks_clock(line) ? 9 : 0, i = from;
	while (i < line.n && name_char(line.p[i]))
		i++;
	/* pm2 names a process "ID|name" */
	if (i + 1 < line.n && line.p[i] == '|' &&
	    all_digits(sub(line, from, i - from)) && name_char(line.p[i + 1])) {
		i++;
		while (i < line.n && name_char(line.p[i]))
			i++;
	}
	size_t name = i;
	while (i < line.n && line.p[i] == ' ')
		i++;
	if (name == from || i == name || i + 1 >= line.n || line.p[i] != '|' ||
	    (i + 1 < line.n && line.p[i + 1] != ' '))
		return false;
	*out = (struct th_frame){.source = sub(line, from, name - from),
				 .message = rest(line, i + 2)};
	return true;
}

/* frame_any for a line that starts with an RFC 3339 time's shape. Not
 * inlined, nor the one below: frame_any then calls each in its tail and
 * saves no registers for the many lines no framing takes. */
__attribute__((noinline)) static bool
framed_after_iso_time(struct th_span line, struct th_frame *out)
{
	return cri_past_time(line, out) || frame_syslog(line, out) ||
	       frame_actions(line, out) || frame_compose(line, out);
}

/* frame_any for a line that starts with a capital and a blank after
 * three letters. */
__attribute__((noinline)) static bool framed_after_capital(struct th_span line,
							   struct th_frame *out)
{
	return frame_syslog(line, out) || frame_compose(line, out);
}

bool frame_any(struct th_span line, struct th_frame *out)
{
	/* The first byte tells which framings may match: CRI and short-iso
	 * syslog start with an RFC 3339 time, short syslog with a month
	 * name, kubectl with '[', compose with a name. Those are tried in
	 * the order above; the indented lines that make up most of a
	 * traceback are done with at once. Each branch ends in one call, so
	 * the lines no framing takes pass here without saving registers. */
	if (line.n == 0)
		return false;
	char c = line.p[0];
	if (c == '[')
		return frame_kubectl(line, out);
	if (th_is_digit(c) && cri_at_once(line, out))
		return true;
	if (th_is_digit(c) && looks_iso(line))
		return framed_after_iso_time(line, out);
	/* a capital: only a syslog time can match ("Nov 24 10:00:01"), and
	 * most such lines ("Traceback", "ValueError: ...") have no blank
	 * after three letters, nor ("The above exception") a ':' at [9] */
	if (c >= 'A' && c <= 'Z' && line.n >= 15 && line.p[3] == ' ' &&
	    line.p[9] == ':')
		return framed_after_capital(line, out);
	return name_char(c) && frame_compose(line, out);
}

/* ---- writers named by a log file's path ------------------------------ */

/* Whether the N bytes at P are all lowercase hex digits. */
static bool all_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!th_is_digit(p[i]) && !(p[i] >= 'a' && p[i] <= 'f'))
			return false;
	return true;
}

/* A Kubernetes uid: 8-4-4-4-12 hex digits. */
static bool is_uid(struct th_span s)
{
	static const size_t dash[] = {8, 13, 18, 23};
	if (s.n != 36)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (s.p[dash[i]] != '-')
			return false;
	return all_hex(s.p, 8) && all_hex(s.p + 9, 4) && all_hex(s.p + 14, 4) &&
	       all_hex(s.p + 19, 4) && all_hex(s.p + 24, 12);
}

/* The path components of PATH, last first: *N of them, at most MAX. */
static size_t path_parts(const char *path, struct th_span *parts, size_t max)
{
	size_t n = 0, end = strlen(path);
	while (n < max && end > 0) {
		size_t start = end;
		while (start > 0 && path[start - 1] != '/')
			start--;
		if (end > start)
			parts[n++] =
			    (struct th_span){path + start, end - start};
		end = start > 0 ? start - 1 : 0;
	}
	return n;
}

/* NAME without a rotation suffix after its ".log" ("0.log.1",
 * "0.log.20240501-101010.gz"): the part up to and including ".log", or
 * an empty span when there is none. */
static struct th_span log_name(struct th_span name)
{
	for (size_t i = 0; i + 4 <= name.n; i++)
		if (memcmp(name.p + i, ".log", 4) == 0 &&
		    (i + 4 == name.n || name.p[i + 4] == '.'))
			return sub(name, 0, i + 4);
	return sub(name, 0, 0);
}

/* Splits S at its '_' into exactly three non-empty parts. */
static bool three_parts(struct th_span s, struct th_span part[3])
{
	const char *a = memchr(s.p, '_', s.n);
	if (a == NULL)
		return false;
	const char *b = memchr(a + 1, '_', (size_t)(s.p + s.n - a - 1));
	if (b == NULL || memchr(b + 1, '_', (size_t)(s.p + s.n - b - 1)))
		return false;
	part[0] = (struct th_span){s.p, (size_t)(a - s.p)};
	part[1] = (struct th_span){a + 1, (size_t)(b - a - 1)};
	part[2] = (struct th_span){b + 1, (size_t)(s.p + s.n - b - 1)};
	return part[0].n > 0 && part[1].n > 0 && part[2].n > 0;
}

static size_t put_writer(char *out, size_t cap, struct th_span ns,
			 struct th_span pod, struct th_span container)
{
	int n = snprintf(out, cap, "%.*s/%.*s/%.*s", (int)ns.n, ns.p,
			 (int)pod.n, pod.p, (int)container.n, container.p);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t frame_file_writer(const char *path, char *out, size_t cap)
{
	struct th_span part[3], f[3];
	size_t n = path_parts(path, part, 3);
	if (cap == 0 || n == 0)
		return 0;
	out[0] = '\0';
	struct th_span base = log_name(part[0]);
	if (base.n == 0)
		return 0;
	base.n -= 4; /* ".log" */
	/* Docker: <id>/<id>-json.log */
	if (base.n == 64 + 5 && memcmp(base.p + 64, "-json", 5) == 0 &&
	    all_hex(base.p, 64) && n >= 2 && part[1].n == 64 &&
	    memcmp(part[1].p, base.p, 64) == 0) {
		int k = snprintf(out, cap, "%.12s", base.p);
		return k > 0 && (size_t)k < cap ? (size_t)k : 0;
	}
	/* /var/log/containers: <pod>_<ns>_<container>-<id>.log */
	if (base.n > 65 && base.p[base.n - 65] == '-' &&
	    all_hex(base.p + base.n - 64, 64) &&
	    three_parts(sub(base, 0, base.n - 65), f))
		return put_writer(out, cap, f[1], f[0], f[2]);
	/* /var/log/pods: <ns>_<pod>_<uid>/<container>/<N>.log */
	bool numbered = base.n > 0;
	for (size_t i = 0; i < base.n; i++)
		numbered = numbered && th_is_digit(base.p[i]);
	if (numbered && n == 3 && three_parts(part[2], f) && is_uid(f[2]))
		return put_writer(out, cap, f[0], f[1], part[1]);
	return 0;
}

/* A CRI piece's stream and tag, as the runtime writes them */
#define CRI_STDERR_PIECE "stderr P "
#define CRI_STDOUT_PIECE "stdout P "

static const struct th_marker split_markers[] = {
    {CRI_STDERR_PIECE, NULL, -1},
    {CRI_STDOUT_PIECE, NULL, -1},
    /* Docker's marker is on every line: its fingerprint is the one
     * place in a line it matches, not the '","' also before "time" */
    {"\",\"stream\":\"", "\\n", 7},
    /* journalctl -o json writes a MESSAGE that is not printable UTF-8
     * (an ANSI color, a byte that is not UTF-8) as an array of byte
     * values, in which no literal shows */
    {"\"MESSAGE\":[", NULL, -1},
};

/* LITERAL as a JSON string's bytes: '"' and '\' escaped, and with GO
 * also '<', '>' and '&' (as dockerd writes them). */
static char *json_form(struct th_span literal, bool go)
{
	struct th_buf b = {0};
	for (size_t i = 0; i < literal.n; i++) {
		char c = literal.p[i];
		if (c == '"' || c == '\\') {
			buf_add(&b, "\\", 1);
			buf_add(&b, &c, 1);
		} else if (go && (c == '<' || c == '>' || c == '&')) {
			char u[7];
			snprintf(u, sizeof u, "\\u%04x", (unsigned char)c);
			buf_add(&b, u, 6);
		} else {
			buf_add(&b, &c, 1);
		}
	}
	return buf_take(&b);
}

size_t frame_json_forms(struct th_span literal, char *out[2])
{
	size_t n = 0;
	for (int go = 1; go >= 0; go--) {
		char *form = json_form(literal, go);
		bool same_as_literal = strlen(form) == literal.n &&
				       memcmp(form, literal.p, literal.n) == 0;
		if (same_as_literal || (n > 0 && strcmp(form, out[0]) == 0))
			free(form);
		else
			out[n++] = form;
	}
	return n;
}

bool frame_piece_marker(struct th_span s)
{
	_Static_assert(sizeof CRI_STDERR_PIECE == sizeof CRI_STDOUT_PIECE,
		       "one length");
	size_t n = sizeof CRI_STDERR_PIECE - 1;
	return s.n >= n && (memcmp(s.p, CRI_STDERR_PIECE, n) == 0 ||
			    memcmp(s.p, CRI_STDOUT_PIECE, n) == 0);
}

const struct th_marker *frame_split_markers(size_t *n)
{
	*n = sizeof split_markers / sizeof *split_markers;
	return split_markers;
}
