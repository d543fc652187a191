/* test_frame.c - the framings of log collectors (frame.c) read every
 * line as the byte-at-a-time readers they replaced did. More framing
 * cases, through the prefixer: test_prefix.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* ---- the readers as they were (a3894c6), to compare with ------------ */

static bool ref_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static size_t ref_word(struct th_span s, size_t at)
{
	size_t i = at;
	while (i < s.n && !ref_is_space(s.p[i]))
		i++;
	return i - at;
}

static bool ref_starts_with_shape(struct th_span s, const char *shape)
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

static bool ref_frame_cri(struct th_span line, struct th_frame *out)
{
	if (!(line.n > 10 && line.p[10] == 'T' &&
	      ref_starts_with_shape(line, "dddd-dd-ddTdd:dd:dd")))
		return false;
	size_t t = ref_word(line, 0);
	size_t at = t + 1;
	size_t s = ref_word(line, at);
	struct th_span stream = {line.p + at, s};
	bool known = (s == 6 && (memcmp(stream.p, "stdout", 6) == 0 ||
				 memcmp(stream.p, "stderr", 6) == 0));
	at += s + 1;
	if (!known || at + 1 > line.n ||
	    (line.p[at] != 'P' && line.p[at] != 'F'))
		return false;
	if (at + 1 < line.n && line.p[at + 1] != ' ')
		return false;
	size_t m = at + 2 <= line.n ? at + 2 : line.n;
	*out = (struct th_frame){.source = stream,
				 .time = {line.p, t},
				 .time_kind = TH_TIME_ISO,
				 .message = {line.p + m, line.n - m},
				 .partial = line.p[at] == 'P',
				 .runtime = true};
	return true;
}

static bool ref_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       th_is_digit(c) || c == '_' || c == '-' || c == '.';
}

static bool ref_all_digits(struct th_span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!th_is_digit(s.p[i]))
			return false;
	return s.n > 0;
}

static bool ref_frame_compose(struct th_span line, struct th_frame *out)
{
	if (memchr(line.p, '|', line.n) == NULL)
		return false;
	bool clock = line.n > 2 && line.p[2] == ':' &&
		     ref_starts_with_shape(line, "dd:dd:dd ");
	size_t from = clock ? 9 : 0, i = from;
	while (i < line.n && ref_name_char(line.p[i]))
		i++;
	if (i + 1 < line.n && line.p[i] == '|' &&
	    ref_all_digits((struct th_span){line.p + from, i - from}) &&
	    ref_name_char(line.p[i + 1])) {
		i++;
		while (i < line.n && ref_name_char(line.p[i]))
			i++;
	}
	size_t name = i;
	while (i < line.n && line.p[i] == ' ')
		i++;
	if (name == from || i == name || i + 1 >= line.n || line.p[i] != '|' ||
	    (i + 1 < line.n && line.p[i + 1] != ' '))
		return false;
	size_t m = i + 2 <= line.n ? i + 2 : line.n;
	*out = (struct th_frame){.source = {line.p + from, name - from},
				 .message = {line.p + m, line.n - m}};
	return true;
}

/* ---- random lines shaped like a framing, now and then broken -------- */

#define PICK(a) a[(unsigned)rand_r(seed) % (sizeof a / sizeof *a)]

/* Breaks the text in BUF (LEN bytes) now and then: a byte replaced or
 * dropped, or the text cut. Returns its new length. */
static size_t mutate(char *buf, size_t len, unsigned *seed)
{
	static const char bytes[] = "0123456789-: T\t,.Z+PFstdoerx|[]\x80";
	unsigned what = (unsigned)rand_r(seed) % 8;
	size_t at = len > 0 ? (unsigned)rand_r(seed) % len : 0;
	if (what == 0 && len > 0) /* a byte replaced */
		buf[at] = bytes[(unsigned)rand_r(seed) % (sizeof bytes - 1)];
	else if (what == 1) /* cut */
		len = at;
	else if (what == 2 && len > 0) /* a byte dropped */
		memmove(buf + at, buf + at + 1, len-- - at);
	buf[len] = '\0';
	return len;
}

/* A random CRI-like line into BUF (SIZE bytes); returns its length. */
static size_t random_cri(char *buf, size_t size, unsigned *seed)
{
	static const char *const times[] = {"2024-05-01T10:00:01.123456789Z",
					    "2024-05-01T10:00:01Z",
					    "2024-05-01T10:00:01+02:00",
					    "2024-05-01 10:00:01",
					    "2024-13-41T25:61:61Z",
					    "2024-05-01T10:0:01Z",
					    "2024-05-01T10:00:01",
					    "2024-05-01T10:00:01.5Zjunk",
					    "x024-05-01T10:00:01Z",
					    "2024-05-01T10:00:0"};
	static const char *const gaps[] = {" ", " ", "\t", "  ", ""};
	static const char *const streams[] = {
	    "stdout", "stderr", "stderr", "stdin",  "stdoutx",
	    "std",    "Stderr", "sTdout", "stdeRR", ""};
	static const char *const tags[] = {"F", "P", "F", "X", "PF", "", "f"};
	static const char *const rests[] = {
	    " message", " Traceback (most recent call last):",
	    "",		" ",
	    "\tx",	"  two blanks",
	    " P F"};
	int n = snprintf(buf, size, "%s%s%s%s%s%s", PICK(times), PICK(gaps),
			 PICK(streams), PICK(gaps), PICK(tags), PICK(rests));
	return mutate(buf, (size_t)n, seed);
}

static void expect_same_frame(const char *in, bool got_ok,
			      const struct th_frame *got, bool want_ok,
			      const struct th_frame *want)
{
	cr_assert_eq(got_ok, want_ok, "'%s': framed %d, want %d", in, got_ok,
		     want_ok);
	if (!want_ok)
		return;
	cr_assert(
	    got->source.p == want->source.p &&
		got->source.n == want->source.n &&
		got->time.p == want->time.p && got->time.n == want->time.n &&
		got->time_kind == want->time_kind &&
		got->message.p == want->message.p &&
		got->message.n == want->message.n &&
		got->partial == want->partial && got->runtime == want->runtime,
	    "'%s': source '%.*s', time '%.*s', message '%.*s', "
	    "partial %d; want '%.*s', '%.*s', '%.*s', %d",
	    in, (int)got->source.n, got->source.p, (int)got->time.n,
	    got->time.p, (int)got->message.n, got->message.p, got->partial,
	    (int)want->source.n, want->source.p, (int)want->time.n,
	    want->time.p, (int)want->message.n, want->message.p, want->partial);
}

Test(frame, cri_lines_are_read_as_the_byte_reader_read_them)
{
	unsigned seed = 3;
	char buf[128];
	size_t framed = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = random_cri(buf, sizeof buf, &seed);
		struct th_span line = {buf, n};
		struct th_frame got, want;
		bool want_ok = ref_frame_cri(line, &want);
		framed += want_ok;
		expect_same_frame(buf, frame_cri(line, &got), &got, want_ok,
				  &want);
		/* frame_any tries CRI first: a CRI line is framed alike */
		if (want_ok)
			expect_same_frame(buf, frame_any(line, &got), &got,
					  true, &want);
	}
	cr_expect(framed > 2000, "only %zu lines framed: too few to tell",
		  framed);
}

Test(frame, cri_pieces_and_their_tags)
{
	struct th_frame f;
	cr_assert(frame_cri(th_cstr("2024-05-01T10:00:01.123456789Z stderr P "
				    "first piece"),
			    &f));
	cr_expect(f.partial);
	cr_expect_eq(f.time.n, 30);
	cr_expect(f.source.n == 6 && memcmp(f.source.p, "stderr", 6) == 0);
	cr_expect(f.message.n == 11 &&
		  memcmp(f.message.p, "first piece", 11) == 0);
	cr_assert(frame_cri(th_cstr("2024-05-01T10:00:01Z stdout F"), &f),
		  "a last piece may be empty");
	cr_expect(!f.partial && f.message.n == 0);
	cr_assert(frame_cri(th_cstr("2024-05-01T10:00:01Z\tstdout\tF x"), &f),
		  "tabs part the time and stream");
	cr_expect(!frame_cri(th_cstr("2024-05-01T10:00:01Z stdout F\tx"), &f),
		  "but a blank follows the tag");
	cr_expect(!frame_cri(th_cstr("2024-05-01T10:00:01Z stdouts F x"), &f));
	cr_expect(!frame_cri(th_cstr("2024-05-01T10:00:01Z stdout"), &f));
	cr_expect(!frame_cri(th_cstr("2024-05-01T1O:00:01Z stdout F x"), &f),
		  "a letter O for a zero");
	cr_expect(!frame_cri(th_cstr("2024-05-01 10:00:01Z stdout F x"), &f));
}

/* frame_any as the framings it tries, for a line that starts with a
 * digit: CRI, then (an RFC 3339 time) syslog and Actions, then compose,
 * each of which reads the line its own way. */
static bool any_by_parts(struct th_span line, struct th_frame *out)
{
	return frame_cri(line, out) || frame_syslog(line, out) ||
	       frame_actions(line, out) || frame_compose(line, out);
}

/* Every byte of the line a runtime writes most, and of its end, replaced
 * in turn by bytes that keep or break its shape, and the line cut at
 * every length: frame_any reads each as the framings read it, whether
 * its way for that line takes it or not. */
Test(frame, runtime_lines_just_off_their_shape_are_framed_as_by_parts)
{
	static const char *const lines[] = {
	    "2024-05-01T10:00:01.123456789Z stderr F message",
	    "2024-05-01T10:00:01.000000000Z stdout P x",
	    "2099-12-31T23:59:59.999999999Z stderr F ",
	    "2024-05-01T10:00:01.123456789Z stderr F"};
	static const char bytes[] = "09:-.TZ Ft PFsdoure\t|\x80\xb0/";
	size_t taken = 0;
	for (size_t k = 0; k < sizeof lines / sizeof *lines; k++) {
		size_t len = strlen(lines[k]);
		for (size_t at = 0; at <= len; at++)
			for (size_t b = 0; b <= sizeof bytes - 1; b++) {
				char buf[64];
				memcpy(buf, lines[k], len + 1);
				size_t n = len;
				if (b == sizeof bytes - 1)
					buf[n = at] = '\0'; /* cut */
				else if (at < len)
					buf[at] = bytes[b];
				else
					continue;
				struct th_span line = {buf, n};
				struct th_frame got, want;
				bool want_ok = any_by_parts(line, &want);
				taken += want_ok && want.time.n == 30;
				expect_same_frame(buf, frame_any(line, &got),
						  &got, want_ok, &want);
			}
	}
	cr_expect(taken > 300, "only %zu lines framed: too few to tell", taken);
}

/* A random line shaped like docker compose's, honcho's or pm2's, or like
 * the lines of a traceback, into BUF (SIZE bytes); returns its length. */
static size_t random_compose(char *buf, size_t size, unsigned *seed)
{
	static const char *const clocks[] = {"", "", "10:00:01 ", "1:00:01 "};
	static const char *const names[] = {
	    "api-1",
	    "web.1",
	    "0|api",
	    "12|worker_2",
	    "Traceback",
	    "asyncio.exceptions.CancelledError",
	    "a-very-long-service-name_with.dots-0123456789",
	    "2024-05-01",
	    "caf\xc3\xa9",
	    "",
	    "x",
	    "name@host",
	    "[pod/a/b]"};
	static const char *const gaps[] = {"     ", " ", "", "\t", "  "};
	static const char *const bars[] = {"| ", "|", "|x", ": ", " (most "};
	static const char *const rests[] = {"message", "", "a | b", "|"};
	int n = snprintf(buf, size, "%s%s%s%s%s", PICK(clocks), PICK(names),
			 PICK(gaps), PICK(bars), PICK(rests));
	return mutate(buf, (size_t)n, seed);
}

Test(frame, compose_lines_are_read_as_the_byte_reader_read_them)
{
	unsigned seed = 5;
	char buf[128];
	size_t framed = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = random_compose(buf, sizeof buf, &seed);
		struct th_span line = {buf, n};
		struct th_frame got, want;
		bool want_ok = ref_frame_compose(line, &want);
		framed += want_ok;
		expect_same_frame(buf, frame_compose(line, &got), &got, want_ok,
				  &want);
	}
	cr_expect(framed > 2000, "only %zu lines framed: too few to tell",
		  framed);
}

/* frame_has_bar finds a '|' wherever it is, at each length around its
 * steps of sixteen and thirty-two bytes, and none where there is none. */
Test(frame, a_bar_is_found_at_every_place_and_length)
{
	char buf[128];
	for (size_t n = 0; n <= 100; n++) {
		memset(buf, 'x', sizeof buf);
		buf[n] = '|'; /* just past the end: not to be seen */
		struct th_span s = {buf, n};
		cr_assert(!frame_has_bar(s), "length %zu, no bar", n);
		for (size_t at = 0; at < n; at++) {
			buf[at] = '|';
			cr_assert(frame_has_bar(s), "length %zu, bar at %zu", n,
				  at);
			buf[at] = (char)0xfc; /* '|' with the top bit */
			cr_assert(!frame_has_bar(s), "length %zu, 0xfc at %zu",
				  n, at);
			buf[at] = 'x';
		}
	}
}

/* frame_none_at_once never says "no framing" of a line frame_any frames:
 * random framing-like lines (CRI, compose, honcho, pm2, and the lines of
 * a traceback), and syslog, kubectl, Heroku and GitHub Actions shapes,
 * now and then broken. Nor is it a test that never says so. */
Test(frame, none_at_once_holds_for_every_line_frame_any_frames)
{
	static const char *const others[] = {
	    "Nov 24 10:00:01 web-1 app[7]: Traceback (most recent call last):",
	    "Nov  4 10:00:01 host tag: x",
	    "Nov 24 not a syslog line at all",
	    "[pod/api-7d9f/app] ValueError: x",
	    "[pod/a/b]",
	    "[INFO] x",
	    "2024-05-01T10:00:01.1234567Z message",
	    "2026-12-04T09:30:00.000123+00:00 app[web.1]: Traceback",
	    "2024-11-24T10:00:01+0000 host tag[1]: x",
	    "Traceback (most recent call last):",
	    "KeyError: 'a|b'",
	    "ERROR | x",
	    "INFO     | started",
	    "Task exception was never retrieved and then some | tail",
	    "2024-05-01 10:00:01,123 ERROR x | y",
	    "2024-05-01  | two blanks",
	    "2024-05-01 |x",
	    "2024-05-01 | x",
	    "2024-0501 x | y",
	    "2 | -05-01 x",
	    "2024-05-0a | x",
	    "The above exception was the direct cause of the following",
	    "Nov 24 10:00:01 Traceback | x",
	    "Abc 12 10:00:01 x | y",
	    "Traceback      | x",
	    "Traceback       | x",
	    "a-very-long-service | x"};
	unsigned seed = 13;
	char buf[128];
	size_t framed = 0, at_once = 0;
	for (int i = 0; i < 300000; i++) {
		size_t n;
		switch (i % 3) {
		case 0: n = random_compose(buf, sizeof buf, &seed); break;
		case 1: n = random_cri(buf, sizeof buf, &seed); break;
		default:
			n = (size_t)snprintf(
			    buf, sizeof buf, "%s",
			    others[(unsigned)rand_r(&seed) %
				   (sizeof others / sizeof *others)]);
			n = mutate(buf, n, &seed);
		}
		struct th_span line = {buf, n};
		struct th_frame fr;
		bool any = frame_any(line, &fr),
		     none = frame_none_at_once(line);
		framed += any;
		at_once += none;
		cr_assert(!(any && none), "'%s': framed, yet none at once",
			  buf);
	}
	cr_expect(framed > 2000 && at_once > 20000,
		  "%zu framed, %zu none at once: too few to tell", framed,
		  at_once);
}

/* A line that starts with a name's byte other than a digit has no
 * compose framing when no '|' follows its first blanks: frame_none_at_once
 * tells so from its first sixteen bytes, though a '|' comes later, and
 * says nothing of a line whose first blanks end past them, nor of one
 * frame_compose frames. Names and blank runs of every length around the
 * sixteen. */
Test(frame, a_line_whose_first_blanks_end_in_no_bar_has_no_compose_framing)
{
	char buf[128];
	size_t told = 0;
	for (size_t name = 1; name <= 20; name++) {
		for (size_t blanks = 1; blanks <= 20; blanks++) {
			for (int bar = 0; bar < 2; bar++) {
				size_t n = 0;
				for (size_t i = 0; i < name; i++)
					buf[n++] = (char)('a' + i % 26);
				memset(buf + n, ' ', blanks);
				n += blanks;
				n += (size_t)snprintf(
				    buf + n, sizeof buf - n, "%s",
				    bar ? "| message" : "(x) | y z");
				struct th_span line = {buf, n};
				struct th_frame fr;
				bool any = frame_any(line, &fr),
				     none = frame_none_at_once(line);
				cr_assert_eq(any, bar == 1, "'%s'", buf);
				cr_assert(!(any && none), "'%s': framed", buf);
				/* told at once where the blanks end within
				 * the first sixteen bytes of a line that has
				 * sixteen */
				if (!bar && n >= 16 && name + blanks < 16) {
					cr_assert(none, "'%s': not told", buf);
					told++;
				}
			}
		}
	}
	cr_expect(told > 50, "only %zu lines told", told);
	static const char *const none[] = {
	    "The above exception was the direct cause of the following "
	    "exception:",
	    "During handling of the above exception, another exception "
	    "occurred: | x",
	    "Traceback (most recent call last): | x",
	    "task: <Task pending name='Task-1' coro=<f()>> | x"};
	for (size_t i = 0; i < sizeof none / sizeof *none; i++)
		cr_assert(frame_none_at_once(th_cstr(none[i])), "'%s'",
			  none[i]);
}

/* Only syslog's framings (rsyslog writes them) escape a message's line
 * ends as "#012"; a runtime's or kubectl's lines are lines of their own. */
Test(frame, only_syslog_lines_carry_escaped_line_ends)
{
	struct th_frame fr;
	const char *syslog[] = {
	    "Dec  6 13:21:33 web-1 billing: ERROR x#012y",
	    "2024-11-24T10:00:01+0100 web-1 app[7]: a#012b"};
	for (size_t i = 0; i < 2; i++) {
		struct th_span s = {syslog[i], strlen(syslog[i])};
		cr_assert(frame_any(s, &fr), "'%s'", syslog[i]);
		cr_expect(fr.syslog, "'%s'", syslog[i]);
	}
	const char *others[] = {"2024-05-01T10:00:01.1Z stderr F a#012b",
				"[pod/api-7d9f/app] a#012b",
				"api-1     | a#012b"};
	for (size_t i = 0; i < 3; i++) {
		struct th_span s = {others[i], strlen(others[i])};
		cr_assert(frame_any(s, &fr), "'%s'", others[i]);
		cr_expect(!fr.syslog, "'%s'", others[i]);
	}
}
