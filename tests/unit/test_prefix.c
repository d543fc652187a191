/* test_prefix.c - record starts, where times are taken from, and ANSI
 * escapes (how times are read: test_isotime.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "prefix.h"

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

/* The rules of YAML, loaded and finished (a user prefix to try). */
static struct th_rules *rules_of(const char *yaml)
{
	struct th_rules *rules = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_buffer(rules, "p.yaml", yaml, strlen(yaml), &err),
		  "%s", err.message);
	cr_assert(rules_finish(rules, &err), "%s", err.message);
	return rules;
}

/* TEXT as line 1, one record; ESCAPE_FREE as the reader tells it (true:
 * the way prefix_parse takes most lines at once). */
static struct th_record parse_line_as(struct th_prefixer *p, const char *text,
				      bool escape_free)
{
	struct th_line line = {span(text), 1, 0, false, escape_free};
	const struct th_record *recs;
	size_t n = prefix_parse(p, &line, strlen(text) + 1, false, &recs);
	cr_assert_eq(n, 1, "'%s' gave %zu records", text, n);
	return recs[0];
}

static struct th_record parse(struct th_prefixer *p, const char *text)
{
	return parse_line_as(p, text, false);
}

Test(prefix, logging_prefixes_start_a_record_and_continuations_do_not)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	const char *starts[] = {
	    "ERROR:asyncio:Task exception was never retrieved",
	    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception",
	    "[2024-05-01 10:00:01,123] ERROR in app",
	    "WARNING  uvicorn: something",
	};
	for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
		cr_expect(parse(p, starts[i]).record_start, "'%s'", starts[i]);
	const char *not_starts[] = {
	    "future: <Task finished name='Task-2' coro=<f() done>>",
	    "Traceback (most recent call last):",
	    "  File \"x.py\", line 3, in f",
	    "ValueError: boom",
	    "ERRORS are fine",
	    "",
	};
	for (size_t i = 0; i < sizeof not_starts / sizeof *not_starts; i++)
		cr_expect(!parse(p, not_starts[i]).record_start, "'%s'",
			  not_starts[i]);
	prefix_free(p);
}

/* Each byte a logging prefix starts with opens a record (opens_prefix in
 * prefix.c rules out the lines that start with any other), and a line
 * that only starts like one does not. */
Test(prefix, every_level_name_and_time_opens_a_record_by_its_first_byte)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	const char *starts[] = {"CRITICAL x",
				"DEBUG:app:x",
				"ERROR]",
				"FATAL\tx",
				"INFO x",
				"WARNING:x",
				"WARN x",
				"[ERROR] x",
				"[INFO] x",
				"[W 2024-05-01 10:00:01,123 m:1] x",
				"0001-01-01 00:00:00 x",
				"1999-12-31 23:59:59,999 x",
				"2024-05-01T10:00:01.5Z x",
				"3000-01-01 00:00:00 x",
				"4000-01-01 00:00:00 x",
				"5000-01-01 00:00:00 x",
				"6000-01-01 00:00:00 x",
				"7000-01-01 00:00:00 x",
				"8000-01-01 00:00:00 x",
				"9999-12-31 23:59:59 x",
				"\x1b[31mERROR\x1b[0m: colored"};
	for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
		cr_expect(parse(p, starts[i]).record_start, "'%s'", starts[i]);
	const char *not_starts[] = {"Critical x",
				    "Debug x",
				    "Error: x",
				    "Fatal x",
				    "Info x",
				    "Warning x",
				    "ERRORS",
				    "INFORMATION",
				    "[pod] x",
				    "[X 240501] x",
				    "1 2 3",
				    "2024-05-01 x",
				    "Traceback (most recent call last):",
				    "AERROR x",
				    "\tERROR x",
				    "~ERROR",
				    "\x7f",
				    "\xc3\xa9"};
	for (size_t i = 0; i < sizeof not_starts / sizeof *not_starts; i++)
		cr_expect(!parse(p, not_starts[i]).record_start, "'%s'",
			  not_starts[i]);
	prefix_free(p);
}

/* parse() for a line known to hold no escape byte, as the reader tells
 * it: the way prefix_parse takes most lines at once. */
static struct th_record parse_plain(struct th_prefixer *p, const char *text)
{
	return parse_line_as(p, text, true);
}

/* On the way a plain line takes at once, a dated line opens a record
 * with the time it writes (read straight into the record, through the
 * memo of the last minute), a line whose date is no time opens none and
 * keeps no time, and a capital followed by a small letter opens none
 * (level names are all capitals) while a level name still does. */
Test(prefix, plain_dated_lines_give_their_time_and_capitals_their_level)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	const char *dated[] = {"2024-05-01 10:00:01,123 ERROR x",
			       "2024-05-01 10:00:59,999 INFO y",
			       "2024-05-01 10:01:00,000 INFO next minute",
			       "2024-05-01 10:01:00.5 WARNING fraction",
			       "2024-05-01 10:01:02 no fraction",
			       "2024-05-01 10:01:03,004Z zoned",
			       "2024-05-01 10:01:03,004"};
	for (size_t i = 0; i < sizeof dated / sizeof *dated; i++) {
		struct th_record r = parse_plain(p, dated[i]);
		struct th_time want;
		cr_assert(isotime_read_iso(span(dated[i]), &want) > 0);
		char got_s[TH_TIME_LEN], want_s[TH_TIME_LEN];
		isotime_print(&r.time, got_s);
		isotime_print(&want, want_s);
		cr_expect(r.record_start, "'%s'", dated[i]);
		cr_expect_str_eq(got_s, want_s, "'%s'", dated[i]);
		cr_expect_eq(r.time.sec, want.sec, "'%s'", dated[i]);
	}
	const char *no_time[] = {"2024-05-01 10:00:61,000 ERROR no second",
				 "2024-05-01 25:00:00,000 ERROR no hour",
				 "2024-05-01 x"};
	for (size_t i = 0; i < sizeof no_time / sizeof *no_time; i++) {
		struct th_record r = parse_plain(p, no_time[i]);
		cr_expect(!r.record_start, "'%s'", no_time[i]);
		cr_expect(!isotime_known(&r.time), "'%s'", no_time[i]);
	}
	const char *levels[] = {"ERROR: x", "CRITICAL x", "DEBUG]",
				"WARN x",   "INFO x",	  "FATAL\tx"};
	for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
		cr_expect(parse_plain(p, levels[i]).record_start, "'%s'",
			  levels[i]);
	const char *not_levels[] = {
	    ("During handling of the above exception, another exception "
	     "occurred:"),
	    "ConnectionError: refused",
	    "Exception ignored in: <coroutine>",
	    "Info: x",
	    "Debug x",
	    "E",
	    "ERRORS x",
	    "DEbug x"};
	for (size_t i = 0; i < sizeof not_levels / sizeof *not_levels; i++)
		cr_expect(!parse_plain(p, not_levels[i]).record_start, "'%s'",
			  not_levels[i]);
	prefix_free(p);
}

/* The time of a record is read where other formats put it: after a
 * leading level name (Django's "verbose" format, "[ERROR] ...", a padded
 * level), with a slashed date, Airflow's "YYYY-MM-DD, hh:mm:ss" and a
 * UTC clock that %Z names; on both ways a line takes. A level followed
 * by no time opens a record with none. */
Test(prefix, times_after_a_level_and_in_other_layouts_are_read)
{
	static const struct {
		const char *line, *time;
	} cases[] = {
	    {"ERROR 2024-05-01 10:00:01,123 views 4242 1401 boom",
	     "2024-05-01T10:00:01.123"},
	    {"ERROR 2024-05-01 10:00:02,500 views 4242 1401 again",
	     "2024-05-01T10:00:02.500"},
	    {"[ERROR] 2024-05-01 10:00:03,000 app: x",
	     "2024-05-01T10:00:03.000"},
	    {"ERROR [2024-05-01 10:00:04,000] app: x",
	     "2024-05-01T10:00:04.000"},
	    {"WARNING  2024-05-01 10:00:05 app x", "2024-05-01T10:00:05"},
	    {"CRITICAL:2024-05-01 10:00:06 x", "2024-05-01T10:00:06"},
	    {"2024/05/01 10:00:07 ERROR x", "2024-05-01T10:00:07"},
	    {"[2024-05-01, 10:00:08 UTC] {views.py:12} ERROR - x",
	     "2024-05-01T10:00:08Z"},
	    {"2024-05-01 10:00:09 UTC ERROR x", "2024-05-01T10:00:09Z"},
	    {"2024-05-01 10:00:09,250 UTC ERROR x", "2024-05-01T10:00:09.250Z"},
	    {"2024-05-01 10:00:10,000 ERROR x", "2024-05-01T10:00:10.000"},
	    {"2024-05-01 10:00:11 UTC ERROR same minute",
	     "2024-05-01T10:00:11Z"},
	};
	for (int plain = 0; plain < 2; plain++) {
		struct th_prefixer *p = prefix_new(NULL, NULL);
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			struct th_record r =
			    parse_line_as(p, cases[i].line, plain);
			char got[TH_TIME_LEN];
			isotime_print(&r.time, got);
			cr_expect(r.record_start, "'%s'", cases[i].line);
			cr_expect_str_eq(got, cases[i].time, "'%s' (plain %d)",
					 cases[i].line, plain);
		}
		const char *untimed[] = {"ERROR:root:2024 was a year",
					 "ERROR x 2024-05-01 10:00:01",
					 "INFO [app] 10:00:01 no date"};
		for (size_t i = 0; i < sizeof untimed / sizeof *untimed; i++) {
			struct th_record r =
			    parse_line_as(p, untimed[i], plain);
			cr_expect(r.record_start, "'%s'", untimed[i]);
			cr_expect(!isotime_known(&r.time), "'%s'", untimed[i]);
		}
		cr_expect(
		    !parse_line_as(p, "2024/05-01 10:00:01 ERROR x", plain)
			 .record_start);
		prefix_free(p);
	}
}

/* A container runtime's file may be cut before a line whose text opens a
 * record; the writer given is the one prefix_parse gives the line. */
Test(prefix, runtime_lines_that_open_a_record_are_places_to_cut)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	static const char cri[] =
	    "2024-05-01T10:00:01.0Z stderr F ERROR:asyncio:Task exception";
	static const char docker[] =
	    "{\"log\":\"2024-05-01 10:00:01,123 ERROR [app] \\\"x\\\"\\n\","
	    "\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:01.0Z\"}";
	uint32_t w_cri = 0, w_docker = 0;
	cr_expect(prefix_framed_boundary(p, th_cstr(cri), &w_cri));
	cr_expect(prefix_framed_boundary(p, th_cstr(docker), &w_docker));
	cr_expect_neq(w_cri, 0);
	cr_expect_eq(w_cri, w_docker, "one stream, one writer");
	cr_expect_eq(w_cri, parse(p, cri).source,
		     "the writer prefix_parse gives");
	const char *not_places[] = {
	    "2024-05-01T10:00:01.0Z stderr F   File \"a.py\", line 1, in f",
	    "2024-05-01T10:00:01.0Z stderr F ValueError: boom",
	    ("{\"log\":\"Traceback (most recent call last):\\n\","
	     "\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:01.0Z\"}"),
	    "{\"log\":\"ERROR unterminated",
	    "2024-05-01 10:00:01,123 ERROR a plain record",
	};
	for (size_t i = 0; i < sizeof not_places / sizeof *not_places; i++) {
		uint32_t w = 0;
		cr_expect(
		    !prefix_framed_boundary(p, th_cstr(not_places[i]), &w),
		    "'%s'", not_places[i]);
	}
	prefix_free(p);
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* The kubelet's and dockerd's file names say which container a runtime's
 * log belongs to; any other path says nothing. */
Test(prefix, a_runtime_log_file_path_names_its_container)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
	    {"/var/log/containers/api-7d9f_shop_app-" HEX64 ".log",
	     "shop/api-7d9f/app"},
	    {"containers/api-7d9f_shop_app-" HEX64 ".log.1",
	     "shop/api-7d9f/app"},
	    {"/var/log/pods/shop_api-7d9f_0f8b2c1e-1111-4a2b-9c3d-"
	     "123456789abc/app/0.log",
	     "shop/api-7d9f/app"},
	    {"shop_api-7d9f_0f8b2c1e-1111-4a2b-9c3d-123456789abc/app/"
	     "3.log.20240501-101010.gz",
	     "shop/api-7d9f/app"},
	    {"/var/lib/docker/containers/" HEX64 "/" HEX64 "-json.log",
	     "0123456789ab"},
	    {"/var/lib/docker/containers/" HEX64 "/" HEX64 "-json.log.2",
	     "0123456789ab"},
	    {"/var/log/app.log", ""},
	    {"-", ""},
	    {"api_shop-" HEX64 ".log", ""},	  /* two parts */
	    {"a_b_c_d-" HEX64 ".log", ""},	  /* four */
	    {"shop_api_not-a-uid/app/0.log", ""}, /* no uid */
	    {"shop_api-7d9f_0f8b2c1e-1111-4a2b-9c3d-123456789abc/app/x.log",
	     ""},				 /* not numbered */
	    {"/x/" HEX64 "/other-json.log", ""}, /* ids differ */
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[TH_MAX_FIELD];
		size_t n = frame_file_writer(cases[i].path, out, sizeof out);
		cr_expect_eq(n, strlen(cases[i].want), "%s: %zu", cases[i].path,
			     n);
		if (n > 0)
			cr_expect_str_eq(out, cases[i].want, "%s",
					 cases[i].path);
	}
	char tiny[8];
	cr_expect_eq(frame_file_writer(cases[0].path, tiny, sizeof tiny), 0,
		     "too long for the room: none");
}

static bool same_text(struct th_span s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

/* The container names the writers of CRI and Docker lines; the streams
 * stay two writers, and other framings keep their own names. */
Test(prefix, runtime_lines_of_a_named_file_take_the_container_as_source)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	prefix_begin_input(p, "/var/log/containers/api-7d9f_shop_app-" HEX64
			      ".log");
	struct th_record out =
	    parse(p, "2024-05-01T10:00:01.0Z stderr F ERROR:asyncio:x");
	uint32_t err_id = out.source;
	cr_expect(same_text(out.source_name, "shop/api-7d9f/app"));
	out = parse(p, "{\"log\":\"x\\n\",\"stream\":\"stdout\","
		       "\"time\":\"2024-05-01T10:00:01.0Z\"}");
	cr_expect(same_text(out.source_name, "shop/api-7d9f/app"));
	cr_expect_neq(out.source, err_id, "stdout and stderr stay apart");
	out = parse(p, "Nov 24 10:00:01 web1 app[7]: hello");
	cr_expect(same_text(out.source_name, "web1 app[7]"));
	prefix_begin_input(p, "other.log");
	out = parse(p, "2024-05-01T10:00:01.0Z stderr F ERROR:asyncio:x");
	cr_expect(same_text(out.source_name, "stderr"));
	prefix_free(p);
}

Test(prefix, ansi_colors_are_removed_from_the_text)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	struct th_record rec =
	    parse(p, "\x1b[1;35mValueError\x1b[0m: \x1b[35mboom\x1b[0m");
	cr_expect_eq(rec.text.n, strlen("ValueError: boom"));
	cr_expect(memcmp(rec.text.p, "ValueError: boom", rec.text.n) == 0);
	struct th_record cut = parse(p, "abc\x1b[");
	cr_expect_eq(cut.text.n, 3, "an escape cut at the end is dropped");
	prefix_free(p);
}

/* prefix_strip_ansi as it was first written, a byte at a time. */
static size_t strip_ansi_bytewise(struct th_span in, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < in.n; i++) {
		if (in.p[i] == '\x1b' && i + 1 < in.n && in.p[i + 1] == '[') {
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

Test(prefix, ansi_stripping_agrees_with_a_byte_by_byte_reading)
{
	static const char alphabet[] = "\x1b\x1b\x1b[[[;01m x\x7f\x20\x3f\x40";
	uint32_t x = 2463534242u;
	for (int round = 0; round < 20000; round++) {
		char in[24], want[24], got[24];
		size_t n = (size_t)(round % 24);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			in[i] = alphabet[x % (sizeof alphabet - 1)];
		}
		struct th_span s = {in, n};
		size_t wn = strip_ansi_bytewise(s, want);
		size_t gn = prefix_strip_ansi(s, got);
		cr_assert_eq(gn, wn, "round %d: length %zu, want %zu", round,
			     gn, wn);
		cr_assert(memcmp(got, want, wn) == 0, "round %d", round);
	}
}

/* Longer texts, where prefix_strip_ansi copies sixteen bytes a step:
 * escapes dense or sparse, at a step's edges, cut at the end. Nothing is
 * written past IN.n bytes of OUT. */
Test(prefix, ansi_stripping_of_long_texts_agrees_and_stays_in_bounds)
{
	static const char *const pieces[] = {"\x1b[35m",
					     "\x1b[0m",
					     "\x1b[1;31m",
					     "\x1b",
					     "\x1b[",
					     "[",
					     "x",
					     "0123456789abcdef",
					     "  File \"/app/x.py\", line ",
					     "~~~^^^",
					     "\x1bx",
					     "\x1b[?25h"};
	unsigned seed = 9;
	for (int round = 0; round < 20000; round++) {
		char in[200], want[200], got[200 + 32];
		size_t n = 0;
		while (n < 120) {
			const char *piece =
			    pieces[(unsigned)rand_r(&seed) %
				   (sizeof pieces / sizeof *pieces)];
			size_t len = strlen(piece);
			memcpy(in + n, piece, len);
			n += len;
		}
		n -= (unsigned)rand_r(&seed) % 40; /* cut anywhere */
		struct th_span s = {in, n};
		memset(got, 0x55, sizeof got);
		size_t wn = strip_ansi_bytewise(s, want);
		size_t gn = prefix_strip_ansi(s, got);
		cr_assert_eq(gn, wn, "round %d: length %zu, want %zu", round,
			     gn, wn);
		cr_assert(memcmp(got, want, wn) == 0, "round %d", round);
		for (size_t i = n; i < sizeof got; i++)
			cr_assert_eq(got[i], 0x55,
				     "round %d: byte %zu of %zu written", round,
				     i, n);
	}
}

/* A text of LEN bytes of 'x' with a CSI at AT (PARAMS parameter bytes,
 * which may run past a 16-byte step, then 'm'), cut at LEN, and with
 * SECOND an escape among the last bytes too; returns its length. */
static size_t csi_text(char *in, size_t len, size_t at, size_t params,
		       bool second)
{
	static const char param[] = "0123456789;:<=>? !/";
	memset(in, 'x', len);
	size_t i = at;
	in[i++] = '\x1b';
	if (i < len)
		in[i++] = '[';
	for (size_t k = 0; k < params && i < len; k++)
		in[i++] = param[k % (sizeof param - 1)];
	if (i < len)
		in[i++] = 'm';
	if (second && i + 4 <= len)
		memcpy(in + len - 4, "\x1b[0m", 4);
	return len;
}

/* The CSI's parameters are read sixteen bytes at once where sixteen are
 * left, and the last bytes (fewer than sixteen of a longer text) are
 * copied between their escapes in a few moves: every place, length and
 * parameter count agrees with the byte-by-byte reading, and nothing is
 * written past IN.n bytes of OUT. */
Test(prefix, ansi_stripping_of_long_parameters_and_last_bytes_agrees)
{
	for (size_t len = 1; len <= 64; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t params = 0; params <= 20; params++)
				for (int second = 0; second < 2; second++) {
					char in[64], want[64], got[64 + 32];
					size_t n = csi_text(in, len, at, params,
							    second);
					struct th_span s = {in, n};
					memset(got, 0x55, sizeof got);
					size_t wn =
					    strip_ansi_bytewise(s, want);
					size_t gn = prefix_strip_ansi(s, got);
					cr_assert_eq(
					    gn, wn,
					    "len %zu, CSI at %zu with %zu "
					    "parameters: %zu, want %zu",
					    len, at, params, gn, wn);
					cr_assert(
					    memcmp(got, want, wn) == 0,
					    "len %zu, CSI at %zu with %zu "
					    "parameters",
					    len, at, params);
					for (size_t i = n; i < sizeof got; i++)
						cr_assert_eq(
						    got[i], 0x55,
						    "len %zu: byte %zu "
						    "written",
						    len, i);
				}
}

/* A line the reader found an escape byte in (escape_free false) loses
 * its escapes at once, with no search for one first; a line that holds
 * none after all, or only an ESC that starts no CSI, keeps its text as
 * it is, in the line. */
Test(prefix, lines_the_reader_found_escapes_in_lose_them)
{
	static const struct {
		const char *line, *want;
		bool start;
	} cases[] = {
	    {"  File \x1b[35m\"x.py\"\x1b[0m, line \x1b[35m3\x1b[0m, in "
	     "\x1b[35mf\x1b[0m",
	     "  File \"x.py\", line 3, in f", false},
	    {"    \x1b[31m~~~~~~~~~~~\x1b[0m\x1b[1;31m^^^^^^\x1b[0m",
	     "    ~~~~~~~~~~~^^^^^^", false},
	    {"\x1b[1;35mValueError\x1b[0m: \x1b[35mboom\x1b[0m",
	     "ValueError: boom", false},
	    {"\x1b[31mERROR\x1b[0m:asyncio:Task exception",
	     "ERROR:asyncio:Task "
	     "exception",
	     true},
	    {"  no escape after all", "  no escape after all", false},
	    {"  a lone \x1b that starts no CSI",
	     "  a lone \x1b that starts no "
	     "CSI",
	     false},
	    {"  cut in its CSI \x1b[1;3", "  cut in its CSI", false},
	    {"\t\x1b[38;5;196;48;5;21;1;4;53mlong\x1b[0m parameters",
	     "\tlong parameters", false},
	};
	struct th_prefixer *p = prefix_new(NULL, NULL);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *line = cases[i].line;
		struct th_record rec = parse_line_as(p, line, false);
		cr_expect(same_text(rec.text, cases[i].want), "%zu: '%.*s'", i,
			  (int)rec.text.n, rec.text.p);
		cr_expect_eq(rec.record_start, cases[i].start, "%zu", i);
		if (strcmp(line, cases[i].want) == 0)
			cr_expect(rec.text.p == line, "%zu: copied", i);
	}
	prefix_free(p);
}

/* Parses LINES (N of them, LEN bytes each, NUL bytes allowed) six times
 * over with SHORTWAY and WHOLE, whose user prefix never matches but makes
 * prefix_parse try everything on every line, and expects the same
 * records of both; the second time no event is open, the third time
 * every other line; the last three times alike, with the lines that hold
 * no escape byte known to hold none (as the reader tells it), which
 * lets SHORTWAY make a plain line's record at once. */
static void expect_the_whole_way(struct th_prefixer *shortway,
				 struct th_prefixer *whole,
				 const char *const *lines, const size_t *len,
				 size_t n)
{
	for (size_t k = 0; k < 6 * n; k++) {
		size_t i = k % n;
		bool idle = k / n % 3 == 1 || (k / n % 3 == 2 && i % 2 == 1);
		bool escape_free =
		    k / n >= 3 && memchr(lines[i], '\x1b', len[i]) == NULL;
		struct th_line line = {
		    {lines[i], len[i]}, k + 1, 100 * k, false, escape_free};
		const struct th_record *a, *b;
		size_t na =
		    prefix_parse(shortway, &line, 100 * k + 60, idle, &a);
		size_t nb = prefix_parse(whole, &line, 100 * k + 60, idle, &b);
		cr_assert_eq(na, nb, "line %zu", k);
		for (size_t j = 0; j < na; j++) {
			cr_assert_eq(a[j].text.n, b[j].text.n, "line %zu", k);
			cr_expect(
			    memcmp(a[j].text.p, b[j].text.p, a[j].text.n) == 0,
			    "line %zu", k);
			cr_expect_eq(a[j].number, b[j].number);
			cr_expect_eq(a[j].offset, b[j].offset);
			cr_expect_eq(a[j].end_offset, b[j].end_offset);
			cr_expect_eq(a[j].source, b[j].source, "line %zu", k);
			cr_expect(a[j].source_name.n == b[j].source_name.n &&
				      memcmp(a[j].source_name.p,
					     b[j].source_name.p,
					     a[j].source_name.n) == 0,
				  "line %zu: writer '%.*s', want '%.*s'", k,
				  (int)a[j].source_name.n, a[j].source_name.p,
				  (int)b[j].source_name.n, b[j].source_name.p);
			cr_expect_eq(a[j].record_start, b[j].record_start,
				     "line %zu: '%.*s'", k, (int)len[i],
				     lines[i]);
			cr_expect_eq(a[j].structured, b[j].structured,
				     "line %zu", k);
			char ta[TH_TIME_LEN], tb[TH_TIME_LEN];
			isotime_print(&a[j].time, ta);
			isotime_print(&b[j].time, tb);
			cr_expect_str_eq(ta, tb, "line %zu", k);
		}
		cr_expect_eq(prefix_last_source(shortway),
			     prefix_last_source(whole), "line %zu", k);
	}
}

/* expect_the_whole_way for LINES, C strings, with a user prefix that
 * matches none of them. */
static void expect_the_whole_way_for(const char *const *lines, size_t n)
{
	size_t len[64];
	cr_assert(n <= 64);
	for (size_t i = 0; i < n; i++)
		len[i] = strlen(lines[i]);
	const char yaml[] =
	    "rules: [{id: a, start: x}]\n"
	    "prefixes: [{id: p, regex: '^NEVER (?<message>.*)'}]\n";
	struct th_rules *rules = rules_of(yaml);
	struct th_matcher *m = matcher_new(rules);
	struct th_prefixer *shortway = prefix_new(NULL, NULL);
	struct th_prefixer *whole = prefix_new(rules, m);
	expect_the_whole_way(shortway, whole, lines, len, n);
	prefix_free(shortway);
	prefix_free(whole);
	matcher_free(m);
	rules_free(rules);
}

/* Lines that start with a blank take a short way when there are no user
 * prefixes; with one that matches none of them they take the whole way,
 * trying every framing. Both ways must give the same records, while an
 * event is open (the writer of the line before) and while none is. */
Test(prefix, blank_started_lines_get_the_records_of_the_whole_way)
{
	static const char *const lines[] = {
	    "Nov 24 10:00:01 web-1 app[7]: Traceback (most recent call last):",
	    "  File \"x.py\", line 3, in f  \r",
	    "\t\x1b[31mred\x1b[0m \t",
	    "   ",
	    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception",
	    "    | ValueError: x",
	    "Nov 24 10:00:02 web-2 app[8]: x",
	    " \x1b[",
	    /* a blank-started line while a split line's piece waits */
	    "2024-05-01T10:00:01Z stderr P Traceback (most re",
	    "  File \"y.py\", line 1, in g",
	    "2024-05-01T10:00:01Z stderr F cent call last):",
	};
	expect_the_whole_way_for(lines, sizeof lines / sizeof *lines);
}

/* Without user prefixes, a line that is no Docker, journal or JSON record
 * tries frame_any's framings once and, without one, is made its record
 * at once (parse_plain). */
Test(prefix, plain_lines_get_the_records_of_the_whole_way)
{
	static const char *const lines[] = {
	    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception",
	    "task: <Task pending name='Task-1' coro=<f() running>>",
	    "Traceback (most recent call last):",
	    "ConnectionError: refused \t \r",
	    "",
	    "[E 240501 10:00:01 app:12] boom",
	    "[2024-05-01 10:00:01,123] WARNING in app",
	    "[INFO] started",
	    "WARN: low disk",
	    "WARNING:asyncio:Task was destroyed but it is pending!",
	    "WARNINGS are fine",
	    "CRITICAL\tx",
	    "DEBUG]",
	    "FATAL",
	    "ERROR",
	    "Info: not a level",
	    "2024-05-01 10:00:02.5+02:00 ERROR zoned",
	    "2024-05-01 10:00:61,000 ERROR no time",
	    "\x1b[31m2024-05-01 10:00:03,000\x1b[0m ERROR colored",
	    "E\x1b[0mRROR: x",
	    "api-1     | Traceback (most recent call last):",
	    "0|api      | ValueError: bad",
	    "09:30:00 worker.1 | Task exception was never retrieved",
	    "Nov 24 10:00:01 web-1 app[7]: Traceback (most recent call last):",
	    "Nov 24 not a syslog line",
	    "[pod/api-7d9f/app] ValueError: x",
	    "2024-05-01T10:00:01Z stderr P Traceback (most re",
	    "a line while a piece waits",
	    "2024-05-01T10:00:01Z stderr F cent call last):",
	    "2026-12-04T09:30:00.0001231Z   File \"/app/sync.py\", line 12",
	    "2026-12-04T09:30:00.000123+00:00 app[web.1]: Traceback",
	    "{\"message\": \"x\", \"levelname\": \"ERROR\"}",
	    "\357\273\2772024-05-01 10:00:01,123 ERROR after a BOM",
	    "\xef\xbb\xbf\xef\xbb\xbf{\"message\": \"two BOMs\"}",
	    "\xef\xbb\xbf",
	    /* near framings, where a plain line's record is made at once */
	    "Traceback | x",
	    "KeyError: 'a|b'",
	    "ERROR | x",
	    "INFO     | started",
	    "CRITICAL x | y",
	    "a-very-long-service-name_with.dots-0123456789 | msg",
	    "Task exception was never retrieved and more text here | tail",
	    "Nov 24 10:00:01",
	    "Dec  1 10:00:01 h t: x",
	    "2024-05-01T10:00:01 not a framing",
	    "concurrent.futures._base.CancelledError",
	    "2024-05-01 10:00:01,123 ERROR a | b",
	    "2024-05-01  | api",
	    "2024-05-01 | api",
	    "_private   | x",
	    "~ tilde",
	    "\t",
	    /* no compose framing where the first blanks end, nor a syslog
	     * time without its ':' at [9] */
	    "The above exception was the direct cause of the following",
	    "During handling of the above exception, another exception",
	    "The above | x",
	    "Traceback  (x) | y",
	    "Exception in callback | x",
	    "DEbug: x",
	    "Debug x",
	    "2024-05-01 10:00:01,123",
	    "2024-05-01 10:00:01,123Z",
	};
	expect_the_whole_way_for(lines, sizeof lines / sizeof *lines);
}

/* A dated line that starts with the minute of the last time read, as
 * logging's asctime writes it, is taken as one plain record by a compare
 * of those 16 bytes (prefix.c, dated_as_last): lines in one minute and
 * just past it, one with a 'T' kept as the minute, after which a framed
 * line of that minute (syslog short-iso, CRI) must still be unframed. */
Test(prefix,
     lines_in_the_minute_of_the_last_time_get_the_records_of_the_whole_way)
{
	static const char *const lines[] = {
	    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception",
	    "2024-05-01 10:00:02,456 INFO in the same minute",
	    "2024-05-01 10:00:03.5+02:00 ERROR zoned in the minute",
	    "2024-05-01 10:00:04.123456 INFO six digits",
	    "2024-05-01 10:00:61,000 ERROR no second 61",
	    "2024-05-01 10:00",
	    "2024-05-01 10:00 | api",
	    "2024-05-01 10:00:05",
	    "2024-05-01 10:00:05,000Z",
	    "2024-05-01 10:01:00,000 INFO the next minute",
	    "2024-05-01 10:01:01,000 INFO in it",
	    "2024-05-01T10:01:02.250 ERROR a 'T' kept as the minute",
	    "2024-05-01T10:01:03+0000 web-1 app[7]: framed",
	    "2024-05-01T10:01:04.000000000Z stderr F a cri line",
	    "2024-05-01 10:01:05,000 INFO a blank again",
	};
	expect_the_whole_way_for(lines, sizeof lines / sizeof *lines);
}

/* A NUL byte after a level name ends it as a blank does (the strchr the
 * comparison was written with found the string's end). */
Test(prefix, a_nul_byte_after_a_level_name_ends_it)
{
	static const char *const lines[] = {"ERROR\0x", "INFO\0", "ERRORS\0",
					    "WARN\0ING", "x\0ERROR"};
	static const size_t len[] = {7, 5, 7, 8, 7};
	static const bool start[] = {true, true, false, true, false};
	struct th_prefixer *p = prefix_new(NULL, NULL);
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		struct th_line line = {{lines[i], len[i]}, 1, 0, false, false};
		const struct th_record *r;
		cr_assert_eq(prefix_parse(p, &line, len[i] + 1, false, &r), 1);
		cr_expect_eq(r->record_start, start[i], "line %zu", i);
	}
	prefix_free(p);
}

/* Feeds TEXT line by line (as one input) and returns all records, with
 * their texts copied into STORE. */
struct fed {
	size_t n;
	char text[32][256];
	uint32_t source[32];
	char name[32][128]; /* the writer's name */
	bool start[32];
	char time[32][TH_TIME_LEN];
	uint64_t number[32];
};

static void keep(struct fed *f, const struct th_record *r, size_t n)
{
	for (size_t i = 0; i < n && f->n < 32; i++, f->n++) {
		snprintf(f->text[f->n], sizeof f->text[0], "%.*s",
			 (int)r[i].text.n, r[i].text.p);
		f->source[f->n] = r[i].source;
		snprintf(f->name[f->n], sizeof f->name[0], "%.*s",
			 (int)r[i].source_name.n, r[i].source_name.p);
		f->start[f->n] = r[i].record_start;
		f->number[f->n] = r[i].number;
		isotime_print(&r[i].time, f->time[f->n]);
	}
}

/* feed, with each line's escape_free as the reader tells it (READER:
 * true when it holds no escape byte) or false. */
static void feed_as(const char *text, struct fed *f, bool reader)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	prefix_begin_input(p, NULL);
	memset(f, 0, sizeof *f);
	uint64_t number = 1;
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		bool escape_free = reader && memchr(s, '\x1b', n) == NULL;
		struct th_line line = {{s, n}, number++, 0, false, escape_free};
		const struct th_record *r;
		/* two statements: the call sets R, and arguments are
		 * evaluated in no fixed order (issue 13) */
		size_t got = prefix_parse(p, &line, 0, false, &r);
		keep(f, r, got);
		s += n + (nl != NULL);
	}
	const struct th_record *r;
	size_t rest = prefix_finish(p, &r);
	keep(f, r, rest);
	prefix_free(p);
}

static void feed(const char *text, struct fed *f)
{
	feed_as(text, f, false);
}

Test(prefix, cri_partial_pieces_are_joined_and_framing_removed)
{
	struct fed f;
	feed("2024-05-01T10:00:01.123456789Z stderr P Task exception was nev\n"
	     "2024-05-01T10:00:01.223456789Z stdout F unrelated\n"
	     "2024-05-01T10:00:01.323456789Z stderr F er retrieved\n",
	     &f);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0], "unrelated");
	cr_expect_str_eq(f.text[1], "Task exception was never retrieved");
	cr_expect_str_eq(f.time[1], "2024-05-01T10:00:01.123456789Z");
	cr_expect_eq(f.number[1], 1, "a joined line keeps its first number");
	cr_expect_neq(f.source[0], f.source[1], "stdout and stderr differ");
}

Test(prefix, cri_partial_never_completed_comes_out_at_the_end)
{
	struct fed f;
	feed("2024-05-01T10:00:01Z stderr P half a line\n", &f);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.text[0], "half a line");
}

/* The pieces of a split line, read as the reader tells their escapes:
 * when all are free of them the joined line is not searched for one;
 * when any piece holds one, first, in the middle or last, it is removed
 * from the joined line. */
Test(prefix, a_split_line_loses_the_escapes_of_any_of_its_pieces)
{
	static const struct {
		const char *lines, *want;
	} cases[] = {
	    {"2024-05-01T10:00:01Z stderr P Task exception \n"
	     "2024-05-01T10:00:01Z stderr F was never retrieved\n",
	     "Task exception was never retrieved"},
	    {"2024-05-01T10:00:01Z stderr P \x1b[31mKeyError\x1b[0m: 'E\n"
	     "2024-05-01T10:00:01Z stderr F UR'\n",
	     "KeyError: 'EUR'"},
	    {"2024-05-01T10:00:01Z stderr P KeyError: 'E\n"
	     "2024-05-01T10:00:01Z stderr F \x1b[31mUR'\x1b[0m\n",
	     "KeyError: 'EUR'"},
	    {"2024-05-01T10:00:01Z stderr P KeyError\n"
	     "2024-05-01T10:00:01Z stderr P : \x1b[31m'E\n"
	     "2024-05-01T10:00:01Z stderr F UR'\x1b[0m\n",
	     "KeyError: 'EUR'"},
	    {"2024-05-01T10:00:01Z stderr P a lone \x1b\n"
	     "2024-05-01T10:00:01Z stderr F  stays\n",
	     "a lone \x1b stays"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		for (int reader = 0; reader < 2; reader++) {
			struct fed f;
			feed_as(cases[i].lines, &f, reader);
			cr_assert_eq(f.n, 1, "%zu: %zu records", i, f.n);
			cr_expect_str_eq(f.text[0], cases[i].want, "%zu", i);
			cr_expect_str_eq(f.name[0], "stderr", "%zu", i);
			cr_expect_eq(f.number[0], 1, "%zu", i);
		}
}

Test(prefix, docker_json_file_is_decoded)
{
	struct fed f;
	feed("{\"log\":\"Traceback (most recent call last):\\n\",\"stream\":"
	     "\"stderr\",\"time\":\"2024-05-01T10:00:01.5Z\"}\n"
	     "{\"log\":\"  File \\\"x.py\\\", line 1, in "
	     "\\u003cmodule\\u003e\\n\","
	     "\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:02Z\"}\n",
	     &f);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0], "Traceback (most recent call last):");
	cr_expect_str_eq(f.text[1], "  File \"x.py\", line 1, in <module>");
	cr_expect_str_eq(f.time[0], "2024-05-01T10:00:01.5Z");
}

Test(prefix, journalctl_json_records_give_line_writer_and_time)
{
	struct fed f;
	/* keys in journalctl's hash order; the colored line is an array of
	 * byte values ("\x1b[31mKeyError\x1b[0m: 'a'") */
	feed("{\"_PID\":\"977\",\"MESSAGE\":\"Traceback (most recent call "
	     "last):\",\"__REALTIME_TIMESTAMP\":\"1732438802204516\","
	     "\"SYSLOG_IDENTIFIER\":\"api\",\"_HOSTNAME\":\"web-1\"}\n"
	     "{\"__REALTIME_TIMESTAMP\":\"1732438802204600\",\"_HOSTNAME\":"
	     "\"web-1\",\"SYSLOG_IDENTIFIER\":\"worker\",\"_PID\":\"812\","
	     "\"MESSAGE\":\"  File \\\"w.py\\\", line 2, in g\"}\n"
	     "{\"_HOSTNAME\":\"web-1\",\"MESSAGE\":[27,91,51,49,109,75,101,"
	     "121,69,114,114,111,114,27,91,48,109,58,32,39,97,39],"
	     "\"SYSLOG_IDENTIFIER\":\"api\",\"_PID\":\"977\","
	     "\"__REALTIME_TIMESTAMP\":\"1732438802205000\"}\n",
	     &f);
	cr_assert_eq(f.n, 3);
	cr_expect_str_eq(f.text[0], "Traceback (most recent call last):");
	cr_expect_str_eq(f.text[1], "  File \"w.py\", line 2, in g");
	cr_expect_str_eq(f.text[2], "KeyError: 'a'");
	cr_expect_str_eq(f.time[0], "2024-11-24T09:00:02.204516Z");
	cr_expect_str_eq(f.time[2], "2024-11-24T09:00:02.205000Z");
	cr_expect_eq(f.source[0], f.source[2]);
	cr_expect_neq(f.source[0], f.source[1]);
	cr_expect_neq(f.source[0], 0);
}

Test(prefix, a_journal_message_of_several_lines_is_one_record_a_line)
{
	struct fed f;
	feed("{\"__REALTIME_TIMESTAMP\":\"1732438802204516\",\"MESSAGE\":"
	     "\"ERROR:asyncio:Task exception was never retrieved\\nfuture: "
	     "<Task>\",\"_PID\":\"1\"}\n",
	     &f);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0],
			 "ERROR:asyncio:Task exception was never retrieved");
	cr_expect(f.start[0]);
	cr_expect_str_eq(f.text[1], "future: <Task>");
	cr_expect_eq(f.source[0], f.source[1]);
}

Test(prefix, a_json_line_that_is_no_journal_record_stays_a_log_record)
{
	struct fed f;
	/* the timestamp key but no MESSAGE, and a MESSAGE array that holds
	 * no bytes: both read as JSON log records or text, as before */
	feed("{\"__REALTIME_TIMESTAMP\":\"1\",\"message\":\"hello\"}\n"
	     "{\"__REALTIME_TIMESTAMP\":\"1\",\"MESSAGE\":[300]}\n",
	     &f);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0], "hello");
	cr_expect(f.text[1][0] == '{', "%s", f.text[1]);
}

Test(prefix, syslog_and_journald_name_the_writer_and_the_time)
{
	struct fed f;
	feed("Nov 24 10:00:01 web-1 app[1234]: ERROR:asyncio:Task exception\n"
	     "Nov 24 10:00:01 web-1 app[99]: other\n"
	     "2024-11-24T10:00:01+0100 web-1 app[1234]: future: <Task>\n",
	     &f);
	cr_assert_eq(f.n, 3);
	cr_expect_str_eq(f.text[0], "ERROR:asyncio:Task exception");
	cr_expect(f.start[0]);
	cr_expect_neq(f.source[0], f.source[1]);
	cr_expect_eq(f.source[0], f.source[2]);
	cr_expect_str_eq(f.time[2], "2024-11-24T09:00:01Z");
	cr_expect(strncmp(f.time[0] + 4, "-11-24T10:00:01", 15) == 0, "%s",
		  f.time[0]);
}

/* F holds N records, of the texts WANT. */
static void expect_texts(const struct fed *f, const char *const *want, size_t n)
{
	cr_assert_eq(f->n, n, "%zu records, want %zu", f->n, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(f->text[i], want[i], "record %zu", i);
}

/* F's records start log records as START says, one for each record
 * (expect_texts checked how many there are). */
static void expect_starts(const struct fed *f, const bool *start)
{
	for (size_t i = 0; i < f->n; i++)
		cr_expect_eq(f->start[i], start[i], "record %zu", i);
}

/* Records FROM to TO (not included) have the writer and time of the
 * record before FROM: lines of one message. */
static void expect_one_message(const struct fed *f, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		cr_expect_eq(f->source[i], f->source[from - 1], "record %zu",
			     i);
		cr_expect_str_eq(f->time[i], f->time[from - 1], "record %zu",
				 i);
	}
}

/* rsyslog writes each "\n" of a message as "#012" (README.md, "Log
 * shapes"): a syslog line's message of several lines is one record a
 * line, all of the line's writer and time; an unframed line keeps its
 * "#012", and a "#01" is no line end. */
Test(prefix, rsyslog_escaped_newlines_split_a_message_into_its_lines)
{
	struct fed f;
	feed("Dec  6 13:21:33 web-1 billing: ERROR asyncio: Task exception was "
	     "never retrieved#012future: <Task finished>#012Traceback (most "
	     "recent call last):#012  File \"/srv/a.py\", line 3, in f#012#012"
	     "ValueError: x#01 y\n"
	     "2024-11-24T10:00:01+0100 web-1 app[7]: a#012b\n"
	     "ERROR x: #012 stays\n",
	     &f);
	static const char *const want[] = {
	    "ERROR asyncio: Task exception was never retrieved",
	    "future: <Task finished>",
	    "Traceback (most recent call last):",
	    "  File \"/srv/a.py\", line 3, in f",
	    "",
	    "ValueError: x#01 y",
	    "a",
	    "b",
	    "ERROR x: #012 stays"};
	expect_texts(&f, want, 9);
	expect_one_message(&f, 1, 6);
	expect_one_message(&f, 7, 8);
	cr_expect(f.start[0]);
	cr_expect_str_eq(f.time[7], "2024-11-24T09:00:01Z");
}

/* journalctl's short forms print a message of several lines as its first
 * line, framed, and the others indented to the message's column: those
 * are the message's records, of its writer and time, the indent removed.
 * A line indented less, or a blank-started line after another framing,
 * is a line of its own. */
Test(prefix, journalctl_continuation_lines_belong_to_their_message)
{
	struct fed f;
	feed("Nov 24 09:00:01 web-1 billing[4242]: ERROR app: sync failed\n"
	     "                                     Traceback (most recent call "
	     "last):\n"
	     "                                       File \"/srv/a.py\", line "
	     "3, in f\n"
	     "                                     \n"
	     "                                     ValueError: x\n"
	     "   three blanks\n"
	     "                                     not continued\n"
	     "2024-11-24T09:00:02+0000 web-1 app[7]: a\n"
	     "                                       b\n"
	     "[pod/api-7d9f/app] c\n"
	     "                   d\n",
	     &f);
	static const char *const want[] = {
	    "ERROR app: sync failed",
	    "Traceback (most recent call last):",
	    "  File \"/srv/a.py\", line 3, in f",
	    "",
	    "ValueError: x",
	    "   three blanks",
	    "                                     not continued",
	    "a",
	    "b",
	    "c",
	    "                   d"};
	expect_texts(&f, want, 11);
	expect_one_message(&f, 1, 5);
	for (size_t i = 1; i < 5; i++)
		cr_expect_eq(f.number[i], i + 1);
	expect_one_message(&f, 8, 9);
	cr_expect_str_eq(f.time[8], "2024-11-24T09:00:02Z");
}

Test(prefix, kubectl_and_compose_prefixes_name_the_writer)
{
	struct fed f;
	feed("[pod/api-7d9f/app] Traceback (most recent call last):\n"
	     "api-1     | Traceback (most recent call last):\n"
	     "worker-1  |   File \"x.py\", line 3, in f\n",
	     &f);
	cr_assert_eq(f.n, 3);
	for (size_t i = 0; i < 2; i++)
		cr_expect_str_eq(f.text[i],
				 "Traceback (most recent call last):");
	cr_expect_str_eq(f.text[2], "  File \"x.py\", line 3, in f");
	cr_expect_neq(f.source[1], f.source[2]);
}

/* Framings deployments add that are not a collector's: Heroku's dyno
 * lines, GitHub Actions' step-log clock, honcho/foreman's and pm2's
 * process column (README.md, "Log shapes"). */
Test(prefix, heroku_actions_honcho_and_pm2_lines_are_unframed)
{
	struct fed f;
	feed("2026-12-04T09:30:00.000123+00:00 app[web.1]: future: <Task>\n"
	     "2026-12-04T09:30:00.0001231Z   File \"x.py\", line 3, in f\n"
	     "09:30:00 worker.1 | Traceback (most recent call last):\n"
	     "0|api      | ValueError: x\n",
	     &f);
	cr_assert_eq(f.n, 4);
	cr_expect_str_eq(f.text[0], "future: <Task>");
	cr_expect_str_eq(f.name[0], "app[web.1]");
	cr_expect_str_eq(f.time[0], "2026-12-04T09:30:00.000123Z");
	cr_expect_str_eq(f.text[1], "  File \"x.py\", line 3, in f");
	cr_expect_str_eq(f.time[1], "2026-12-04T09:30:00.0001231Z");
	cr_expect_str_eq(f.text[2], "Traceback (most recent call last):");
	cr_expect_str_eq(f.name[2], "worker.1");
	cr_expect_str_eq(f.text[3], "ValueError: x");
	cr_expect_str_eq(f.name[3], "0|api");
}

/* A logging record whose asctime has a 'T' ("%Y-%m-%dT%H:%M:%S%z") and
 * whose level comes next looks like journalctl's short-iso "TIME host
 * tag: message"; no host is called ERROR, so it stays a record, with its
 * level, its time and no writer. */
Test(prefix, an_iso_asctime_then_a_level_is_a_record_not_syslog)
{
	struct fed f;
	feed("2026-12-04T11:28:20+0000 ERROR app: parse failed\n"
	     "2026-12-04T11:28:20+0000 web-1 app[7]: framed\n",
	     &f);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0],
			 "2026-12-04T11:28:20+0000 ERROR app: parse failed");
	cr_expect(f.start[0], "a record's first line");
	cr_expect_str_eq(f.name[0], "");
	cr_expect_str_eq(f.text[1], "framed");
	cr_expect_str_eq(f.name[1], "web-1 app[7]");
}

Test(prefix, unframed_lines_stay_with_the_writer_before_them)
{
	struct fed f;
	feed(
	    "Nov 24 10:00:01 web-1 app[7]: Traceback (most recent call last):\n"
	    "  File \"x.py\", line 3, in f\n",
	    &f);
	cr_assert_eq(f.n, 2);
	cr_expect_eq(f.source[0], f.source[1]);
}

/* Each framing names its writer as the report shows it (README.md, "Log
 * shapes"), and a line without framing inside an event gets its name. */
Test(prefix, every_framing_names_its_writer)
{
	struct fed f;
	feed("2024-05-01T10:00:01Z stderr P Task exception was nev\n"
	     "2024-05-01T10:00:01Z stderr F er retrieved\n"
	     "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":"
	     "\"2024-05-01T10:00:01Z\"}\n"
	     "{\"log\":\"\u00e9\\n\",\"time\":\"2024-05-01T10:00:01Z\","
	     "\"stream\":\"stderr\"}\n"
	     "Nov 24 10:00:01 web-1 app[1234]: Traceback (most recent call "
	     "last):\n"
	     "  File \"x.py\", line 3, in f\n"
	     "2024-11-24T10:00:01+0100 web-2 worker[8]: y\n"
	     "{\"_PID\":\"977\",\"MESSAGE\":\"z\",\"__REALTIME_TIMESTAMP\":"
	     "\"1732438802204516\",\"SYSLOG_IDENTIFIER\":\"api\","
	     "\"_HOSTNAME\":\"web-1\"}\n"
	     "[pod/api-7d9f/app] a\n"
	     "api-1     | b\n"
	     "{\"event\": \"c\"}\n"
	     "plain\n",
	     &f);
	const char *const want[] = {
	    "stderr", "stdout", "stderr", "web-1 app[1234]", "web-1 app[1234]",
	    "web-2 worker[8]", "web-1 api[977]", "pod/api-7d9f/app", "api-1",
	    /* unframed, an event open: the writer of the line before */
	    "api-1", "api-1"};
	cr_assert_eq(f.n, sizeof want / sizeof *want);
	for (size_t i = 0; i < f.n; i++) {
		cr_expect_str_eq(f.name[i], want[i], "record %zu (%s)", i,
				 f.text[i]);
		cr_expect_neq(f.source[i], 0, "record %zu", i);
	}
}

Test(prefix, a_journal_record_without_a_part_leaves_it_out_of_the_name)
{
	struct fed f;
	feed("{\"__REALTIME_TIMESTAMP\":\"1\",\"MESSAGE\":\"a\","
	     "\"_HOSTNAME\":\"web-1\",\"SYSLOG_IDENTIFIER\":\"cron\"}\n"
	     "{\"__REALTIME_TIMESTAMP\":\"1\",\"MESSAGE\":\"b\","
	     "\"_PID\":\"7\"}\n"
	     "{\"__REALTIME_TIMESTAMP\":\"1\",\"MESSAGE\":\"c\"}\n",
	     &f);
	cr_assert_eq(f.n, 3);
	cr_expect_str_eq(f.name[0], "web-1 cron", "as syslog names a tag");
	cr_expect_str_eq(f.name[1], "[7]");
	cr_expect_str_eq(f.name[2], "", "no part: no writer");
}

Test(prefix, an_unframed_line_while_no_event_is_open_has_no_writer)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	prefix_begin_input(p, NULL);
	const char *const lines[] = {"api-1     | b", "plain"};
	const struct th_record *r = NULL;
	for (size_t i = 0; i < 2; i++) {
		struct th_line line = {span(lines[i]), i + 1, 0, false, false};
		cr_assert_eq(prefix_parse(p, &line, 0, true, &r), 1);
	}
	cr_expect_eq(r->source, 0);
	cr_expect_eq(r->source_name.n, 0);
	prefix_free(p);
}

Test(prefix, a_user_prefix_names_the_writer_by_its_source_group)
{
	const char yaml[] = "rules: [{id: a, start: x}]\n"
			    "prefixes: [{id: p, regex: '^<(?<source>[^>]*)> "
			    "(?<message>.*)$'}]\n";
	struct th_rules *rules = rules_of(yaml);
	struct th_matcher *m = matcher_new(rules);
	struct th_prefixer *p = prefix_new(rules, m);
	struct th_record r = parse(p, "<edge-3> Traceback (most recent call");
	cr_expect(r.source_name.n == 6 &&
		      memcmp(r.source_name.p, "edge-3", 6) == 0,
		  "writer '%.*s'", (int)r.source_name.n, r.source_name.p);
	r = parse(p, "<> no writer");
	cr_expect_eq(r.source_name.n, 0);
	cr_expect_eq(r.source, 0);
	prefix_free(p);
	matcher_free(m);
	rules_free(rules);
}

Test(prefix, json_log_records_become_one_record_per_line)
{
	struct fed f;
	feed("{\"message\": \"Task exception was never retrieved\\nfuture: "
	     "<Task finished>\", \"exc_info\": \"Traceback (most recent call "
	     "last):\\n  File \\\"x.py\\\", line 2, in f\\nValueError: "
	     "\\\"q\\\" "
	     "\\u00e9\", \"asctime\": \"2024-05-01 10:00:01,123\"}\n"
	     "{\"event\": \"next\", \"timestamp\": \"2024-05-01T10:00:02Z\"}\n",
	     &f);
	cr_assert_eq(f.n, 6);
	cr_expect_str_eq(f.text[0], "Task exception was never retrieved");
	cr_expect(f.start[0]);
	cr_expect_str_eq(f.text[1], "future: <Task finished>");
	cr_expect(!f.start[1]);
	cr_expect_str_eq(f.text[4], "ValueError: \"q\" \xc3\xa9");
	cr_expect_str_eq(f.time[0], "2024-05-01T10:00:01.123");
	cr_expect_str_eq(f.text[5], "next");
	cr_expect(f.start[5]);
}

/* structlog's KeyValueRenderer and LogfmtRenderer (structlog 24.1 on)
 * write a record on one line, its line ends escaped: its message and
 * exception are decoded into one record a line, as a JSON record's are
 * (README.md, "Log shapes"); a record with no escaped line end in them
 * stays the line's one record. */
Test(prefix, key_value_records_become_one_record_per_line)
{
	struct fed f;
	feed("url='http://x' event='Task exception was never retrieved\\n"
	     "future: <Task finished>' level='error' "
	     "timestamp='2026-12-06T15:31:31.427028Z' "
	     "exception='Traceback (most recent call last):\\n  File "
	     "\"/a/x.py\", line 20, in main\\nKeyError: \\'k\\''\n"
	     "exception=\"Traceback (most recent call last):\\n  File "
	     "\\\"/a/x.py\\\", line 3, in f\\nValueError: x\" "
	     "level=error timestamp=1714557600.5\n"
	     "event='no line end' level='info' path='C:\\\\'\n"
	     "event='bad\\q' exception=None\n",
	     &f);
	static const char *const want[] = {
	    "Task exception was never retrieved",
	    "future: <Task finished>",
	    "Traceback (most recent call last):",
	    "  File \"/a/x.py\", line 20, in main",
	    "KeyError: 'k'",
	    "Traceback (most recent call last):",
	    "  File \"/a/x.py\", line 3, in f",
	    "ValueError: x",
	    "event='no line end' level='info' path='C:\\\\'",
	    "event='bad\\q' exception=None"};
	expect_texts(&f, want, sizeof want / sizeof *want);
	static const bool start[] = {true, false, false, false, false,
				     true, false, false, false, false};
	expect_starts(&f, start);
	for (size_t i = 0; i < f.n; i++) {
		cr_expect_eq(f.number[i],
			     i < 5   ? 1
			     : i < 8 ? 2
				     : i - 5,
			     "record %zu", i);
	}
	cr_expect_str_eq(f.time[0], "2026-12-06T15:31:31.427028Z");
	expect_one_message(&f, 1, 5);
	cr_expect_str_eq(f.time[5], "2024-05-01T10:00:00Z");
	cr_expect_str_eq(f.time[8], "");
}

/* structlog's LogfmtRenderer before 24.1 keeps a value's line ends
 * raw and writes its '"' as \": the lines after one that left its
 * message or exception open are the value's, up to its closing quote;
 * past it, the line's pairs are read, its time the record's (README.md,
 * "Log shapes"). */
Test(prefix, an_old_logfmt_value_goes_on_to_its_closing_quote)
{
	struct fed f;
	feed("event=\"Task exception was never retrieved\n"
	     "future: <Task finished coro=<f() done>>\" level=error "
	     "timestamp=2026-12-06T16:02:07.9Z exception=\"Traceback (most "
	     "recent call last):\n"
	     "  File \\\"/a/x.py\\\", line 3, in f\n"
	     "    raise ValueError(\\\"x\\\")\n"
	     "\n"
	     "ValueError: it\\\\\"s\" level=error\n"
	     "Traceback (most recent call last):\n",
	     &f);
	static const char *const want[] = {
	    "Task exception was never retrieved",
	    "future: <Task finished coro=<f() done>>",
	    "Traceback (most recent call last):",
	    "  File \"/a/x.py\", line 3, in f",
	    "    raise ValueError(\"x\")",
	    "",
	    "ValueError: it\\\"s",
	    "Traceback (most recent call last):"};
	expect_texts(&f, want, sizeof want / sizeof *want);
	static const bool start[] = {true,  false, false, false,
				     false, false, false, false};
	expect_starts(&f, start);
	/* the first line had no time: its record has none, the ones after
	 * the pair that gave it have it */
	cr_expect_str_eq(f.time[0], "");
	for (size_t i = 1; i < 7; i++)
		cr_expect_str_eq(f.time[i], "2026-12-06T16:02:07.9Z",
				 "record %zu", i);
	cr_expect_str_eq(f.time[7], "", "a plain line after the record");
}

/* An open value is its writer's: a line of another writer in between (a
 * CRI file's other stream) is read as it always is. */
Test(prefix, an_old_logfmt_value_takes_only_its_writers_lines)
{
	struct fed f;
	feed(
	    "2024-05-01T10:00:01Z stderr F exception=\"Traceback (most "
	    "recent call last):\n"
	    "2024-05-01T10:00:01Z stdout F 2024-05-01 10:00:01,000 INFO \"x\"\n"
	    "2024-05-01T10:00:01Z stderr F ValueError: \\\"v\\\"\"\n",
	    &f);
	static const char *const want[] = {"Traceback (most recent call last):",
					   "2024-05-01 10:00:01,000 INFO \"x\"",
					   "ValueError: \"v\""};
	expect_texts(&f, want, sizeof want / sizeof *want);
	cr_expect(f.start[0]);
	cr_expect(f.start[1], "a record of its own writer");
	cr_expect(!f.start[2]);
	cr_expect_eq(f.source[2], f.source[0]);
	cr_expect_neq(f.source[1], f.source[0]);
}

/* A quote never closed ends the value after TH_MAX_RECORD_LINES lines:
 * the lines after are read as they always are. */
Test(prefix, an_old_logfmt_value_never_closed_ends_after_the_most_lines)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	prefix_begin_input(p, NULL);
	const struct th_record *r;
	const char *open = "exception=\"Traceback (most recent call last):";
	struct th_line line = {span(open), 1, 0, false, true};
	cr_assert_eq(prefix_parse(p, &line, 0, true, &r), 1);
	cr_expect(prefix_pending(p), "lines must come one by one");
	const char *dated = "2024-05-01 10:00:01,123 ERROR x";
	for (size_t i = 0; i < TH_MAX_RECORD_LINES; i++) {
		line = (struct th_line){span(dated), 2 + i, 0, false, true};
		cr_assert_eq(prefix_parse(p, &line, 0, false, &r), 1);
		cr_assert(!r[0].record_start, "line %zu", i);
	}
	cr_expect(!prefix_pending(p));
	line = (struct th_line){span(dated), 5000, 0, false, true};
	cr_assert_eq(prefix_parse(p, &line, 0, false, &r), 1);
	cr_expect(r[0].record_start);
	prefix_free(p);
}

/* A line that starts with a key and '=' takes the whole way, and both
 * ways give the same records. */
Test(prefix, key_value_lines_get_the_records_of_the_whole_way)
{
	static const char *const lines[] = {
	    "event='Task was destroyed but it is pending!\\ntask: <T>' x=1",
	    "  File \"/a/x.py\", line 3, in f",
	    "msg=\"a\\nb\" time=2024-05-01T10:00:01Z",
	    "event='one line' timestamp='2024-05-01T10:00:02Z'",
	    "event='\x1b[31mred\\n\x1b[0mx'",
	    "exception='\\x1b[31mTraceback\\n'",
	    "key=value",
	    "Traceback (most recent call last):",
	    "event=\"a\" exception=\"Traceback (most recent call last):",
	    "  File \\\"/a/x.py\\\", line 3, in f",
	    "",
	    "\tx",
	    "2024-05-01T10:00:01Z stderr F ValueError: \\\"q\\\"\" x=1",
	    "ERROR:asyncio:after",
	};
	expect_the_whole_way_for(lines, sizeof lines / sizeof *lines);
}

Test(prefix, loguru_serialized_records_are_read_as_its_text)
{
	/* loguru's serialize=True: the lines of "text", the time of
	 * "record" (gen/samples/loguru_handlers.py) */
	struct fed f;
	feed("{\"text\": \"2026-12-06 11:09:03.316 | ERROR    | app:f:9 - "
	     "sync failed\\nTraceback (most recent call last):\\n\\n> File "
	     "\\\"/a/m.py\\\", line 7, in f\\n\\nValueError: x\\n\", "
	     "\"record\": {\"message\": \"sync failed\", \"time\": "
	     "{\"repr\": \"2026-12-06 12:09:03.316816+01:00\", \"timestamp\": "
	     "1796555343.316816}}}\n"
	     "{\"text\": \"no record\\n\"}\n",
	     &f);
	cr_assert_eq(f.n, 7, "records: %zu", f.n);
	cr_expect_str_eq(f.text[0], "2026-12-06 11:09:03.316 | ERROR    | "
				    "app:f:9 - sync failed");
	cr_expect(f.start[0]);
	cr_expect_str_eq(f.text[2], "");
	cr_expect_str_eq(f.text[3], "> File \"/a/m.py\", line 7, in f");
	cr_expect(!f.start[3]);
	cr_expect_str_eq(f.text[5], "ValueError: x");
	cr_expect_str_eq(f.time[0], "2026-12-06T11:09:03.316816Z");
	/* without "record", the object is no loguru record: read as text */
	cr_expect_str_eq(f.text[6], "{\"text\": \"no record\\n\"}");
}

Test(prefix, json_records_give_their_time_in_seconds_since_the_epoch)
{
	struct fed f;
	feed("{\"message\": \"a\", \"ts\": 1714557600.75}\n"
	     "{\"message\": \"b\", \"time\": 1714557600123}\n"
	     "{\"message\": \"c\", \"ts\": 1e300}\n"
	     "{\"message\": \"d\", \"ts\": \"no\", \"time\": 0}\n",
	     &f);
	cr_assert_eq(f.n, 4);
	cr_expect_str_eq(f.time[0], "2024-05-01T10:00:00Z");
	/* milliseconds, read as seconds: a year past 9999 */
	cr_expect_str_eq(f.time[1], "56302-03-03T16:02:03Z");
	cr_expect_str_eq(f.time[2], "", "no year fits");
	cr_expect_str_eq(f.time[3], "1970-01-01T00:00:00Z");
}

Test(prefix, broken_json_is_read_as_plain_text)
{
	struct fed f;
	feed("{\"message\": \"Traceback (most rec\n"
	     "{\"log\":\"bad \\q escape\\n\",\"stream\":\"stderr\"}\n",
	     &f);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.text[0], "{\"message\": \"Traceback (most rec");
}

Test(prefix, bom_crlf_and_trailing_blanks_are_removed)
{
	struct fed f;
	feed("\xef\xbb\xbfTraceback (most recent call last):  \t\r\n", &f);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.text[0], "Traceback (most recent call last):");
}

Test(prefix, malformed_framings_are_read_as_plain_text)
{
	const char *lines[] = {
	    "2024-05-01T10:00:01Z stdin F not a CRI stream",
	    "2024-05-01T10:00:01Z stderr X not a CRI tag",
	    "2024-05-01T10:00:01Z stderr",
	    "Nov 24 10:00:01 host-without-tag",
	    "Nov 24 10:00:01 web-1 app[12: unclosed pid",
	    "Foo 24 10:00:01 web-1 app: bad month",
	    "[no-slash-pod] message",
	    "[pod/a/b]message without a blank",
	    "name-only|no blank before the bar",
	    "{\"log\": 42, \"stream\": \"stderr\"}",
	    "{\"log\":\"cut in the mid",
	};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		struct fed f;
		char text[300];
		snprintf(text, sizeof text, "%s\n", lines[i]);
		feed(text, &f);
		cr_assert_eq(f.n, 1, "'%s': %zu records", lines[i], f.n);
		cr_expect_str_eq(f.text[0], lines[i], "'%s' was unframed",
				 lines[i]);
		cr_expect_eq(f.source[0], 0, "'%s' named a writer", lines[i]);
	}
}

/* The record one line gives, its text copied (NUL bytes and all). */
struct one {
	size_t n; /* records */
	char text[256];
	size_t text_n;
	uint32_t source;
	char time[TH_TIME_LEN];
};

static struct one one_line(const char *text)
{
	struct th_prefixer *p = prefix_new(NULL, NULL);
	prefix_begin_input(p, NULL);
	struct th_line line = {span(text), 1, 0, false, false};
	const struct th_record *r;
	struct one o = {0};
	o.n = prefix_parse(p, &line, 0, false, &r);
	if (o.n == 0)
		o.n = prefix_finish(p, &r);
	if (o.n > 0) {
		o.text_n =
		    r[0].text.n < sizeof o.text ? r[0].text.n : sizeof o.text;
		memcpy(o.text, r[0].text.p, o.text_n);
		o.source = r[0].source;
		isotime_print(&r[0].time, o.time);
	}
	prefix_free(p);
	return o;
}

Test(prefix, docker_lines_decoded_by_hand_read_as_jansson_reads_them)
{
	/* Docker's own key order is decoded by hand; with "time" before
	 * "stream" the line goes to jansson: both must give the same. */
	const char *logs[] = {
	    "Traceback (most recent call last):\\n",
	    "  File \\\"x.py\\\", line 1, in \\u003cmodule\\u003e\\n",
	    "slash \\/ back \\\\ \\b\\f\\r\\t tab\\n",
	    "caf\\u00e9 \\u20ac \\u00A9 upper hex\\n",
	    "nul \\u0000 inside\\n",
	    "a snake \\ud83d\\udc0d (surrogates: jansson)\\n",
	    "raw caf\xc3\xa9 (not ASCII: jansson)\\n",
	    "no final newline: a piece",
	    "",
	    "\\n",
	    "bad \\q escape\\n",
	    "bad \\u12G4 hex\\n",
	    "cut \\u12",
	    "raw \x01 control\\n",
	};
	for (size_t i = 0; i < sizeof logs / sizeof *logs; i++) {
		char own[512], other[512];
		snprintf(own, sizeof own,
			 "{\"log\":\"%s\",\"stream\":\"stderr\",\"time\":"
			 "\"2024-05-01T10:00:01.5Z\"}",
			 logs[i]);
		snprintf(other, sizeof other,
			 "{\"log\":\"%s\",\"time\":\"2024-05-01T10:00:01.5Z\","
			 "\"stream\":\"stderr\"}",
			 logs[i]);
		struct one a = one_line(own), b = one_line(other);
		cr_assert_eq(a.n, b.n, "'%s': %zu and %zu records", logs[i],
			     a.n, b.n);
		if (a.n == 0)
			continue;
		cr_expect_eq(a.source, b.source, "'%s'", logs[i]);
		cr_expect_str_eq(a.time, b.time, "'%s'", logs[i]);
		bool unframed = a.text_n > 0 && a.text[0] == '{';
		if (!unframed)
			cr_expect(a.text_n == b.text_n &&
				      memcmp(a.text, b.text, a.text_n) == 0,
				  "'%s': '%.*s' and '%.*s'", logs[i],
				  (int)a.text_n, a.text, (int)b.text_n, b.text);
		else /* invalid: both read the line as plain text */
			cr_expect(b.text_n > 0 && b.text[0] == '{', "'%s'",
				  logs[i]);
	}
	struct one nul =
	    one_line("{\"log\":\"a\\u0000b\\n\",\"stream\":"
		     "\"stdout\",\"time\":\"2024-05-01T10:00:01Z\"}");
	cr_expect(nul.text_n == 3 && memcmp(nul.text, "a\0b", 3) == 0);
	struct one utf8 =
	    one_line("{\"log\":\"\\u00e9\\u20ac\\n\",\"stream\":"
		     "\"stdout\",\"time\":\"2024-05-01T10:00:01Z\"}");
	cr_expect(utf8.text_n == 5 &&
		  memcmp(utf8.text, "\xc3\xa9\xe2\x82\xac", 5) == 0);
}

/* A random Docker "log" string body into BUF (SIZE bytes): plain text in
 * runs long and short, so escapes and bad bytes fall on every place of a
 * 16-byte step and of the tail read byte by byte. */
static size_t random_docker_log(char *buf, size_t size, unsigned *seed)
{
	static const char *const parts[] = {
	    "Traceback (most recent call last):",
	    "x",
	    "  File \\\"x.py\\\", line 1",
	    "\\n",
	    "\\\"",
	    "\\\\",
	    "\\/",
	    "\\b\\f\\r\\t",
	    "\\u003c",
	    "\\u00e9",
	    "\\u20AC",
	    "\\u0000",
	    "\\ud83d\\udc0d",
	    "\\u12G4",
	    "\\q",
	    "\x01",
	    "\x7f",
	    "caf\xc3\xa9",
	    "\xff",
	    "0123456789abcdef",
	    "ab",
	};
	size_t n = 0, count = (unsigned)rand_r(seed) % 8;
	for (size_t i = 0; i < count; i++) {
		const char *part =
		    (unsigned)rand_r(seed) % 4 == 0
			? parts[(unsigned)rand_r(seed) %
				(sizeof parts / sizeof *parts)]
			: parts[(unsigned)rand_r(seed) % 2 == 0 ? 0 : 19];
		size_t len = strlen(part);
		if (part == parts[0] || part == parts[19])
			len = (unsigned)rand_r(seed) % (len + 1); /* a run */
		if (n + len + 3 > size)
			break;
		memcpy(buf + n, part, len);
		n += len;
	}
	if ((unsigned)rand_r(seed) % 3 != 0) {
		memcpy(buf + n, "\\n", 2); /* a whole line, most often */
		n += 2;
	}
	buf[n] = '\0';
	return n;
}

Test(prefix, random_docker_strings_decoded_by_hand_read_as_jansson_reads_them)
{
	/* the time comes last in Docker's order: its end is read byte by
	 * byte, past the last 16-byte step, escapes and bad bytes too */
	static const char *const times[] = {
	    "2024-05-01T10:00:01.123456789Z",
	    "2024-05-01T10:00:01.123456789Z",
	    "2024-05-01T10:00:01.12345678\\u0039Z",
	    "2024-05-01T10:00:01.1\\/Z",
	    "2024-05-01T10:00:01.123\\\"Z",
	    "2024-05-01T10:00:01.12\x01Z",
	    "2024-05-01T10:00:01.1\xc3\xa9Z",
	    "2024-05-01T10:00:01.1\xffZ",
	    "2024-05-01T10:00:01.1\\",
	    "2024-05-01T10:00:01\\u00"};
	static const char *const streams[] = {"stderr", "stdout",
					      "std\\u0065rr", "std\\"};
	unsigned seed = 11;
	size_t by_hand = 0;
	for (int i = 0; i < 5000; i++) {
		char log[200], own[320], other[320];
		random_docker_log(log, sizeof log, &seed);
		const char *time = times[(unsigned)rand_r(&seed) %
					 (sizeof times / sizeof *times)];
		const char *stream =
		    streams[(unsigned)rand_r(&seed) %
			    (sizeof streams / sizeof *streams)];
		snprintf(own, sizeof own,
			 "{\"log\":\"%s\",\"stream\":\"%s\",\"time\":\"%s\"}",
			 log, stream, time);
		snprintf(other, sizeof other,
			 "{\"log\":\"%s\",\"time\":\"%s\",\"stream\":\"%s\"}",
			 log, time, stream);
		struct one a = one_line(own), b = one_line(other);
		cr_assert_eq(a.n, b.n, "'%s': %zu and %zu records", log, a.n,
			     b.n);
		if (a.n == 0)
			continue;
		bool unframed = a.text_n > 0 && a.text[0] == '{';
		by_hand += !unframed;
		cr_assert_eq(a.source, b.source, "'%s'", log);
		cr_assert_str_eq(a.time, b.time, "'%s'", log);
		if (unframed)
			cr_assert(b.text_n > 0 && b.text[0] == '{', "'%s'",
				  log);
		else
			cr_assert(a.text_n == b.text_n &&
				      memcmp(a.text, b.text, a.text_n) == 0,
				  "'%s': '%.*s' and '%.*s'", log, (int)a.text_n,
				  a.text, (int)b.text_n, b.text);
	}
	cr_expect(by_hand > 1000, "only %zu lines decoded", by_hand);
}

Test(prefix, cut_docker_lines_are_read_as_plain_text)
{
	static const char line[] =
	    "{\"log\":\"Traceback (most recent call \\\"last\\\"):\\u003c "
	    "\\u20ac tail of it\\n\",\"stream\":\"stderr\",\"time\":"
	    "\"2024-05-01T10:00:01.123456789Z\"}";
	for (size_t cut = 1; cut < sizeof line - 1; cut++) {
		char text[sizeof line];
		memcpy(text, line, cut);
		text[cut] = '\0';
		struct one o = one_line(text);
		cr_assert_eq(o.n, 1, "cut at %zu", cut);
		size_t want = cut;
		while (want > 0 && text[want - 1] == ' ')
			want--; /* clean() drops trailing blanks */
		cr_expect(o.text_n == want && memcmp(o.text, text, want) == 0,
			  "cut at %zu: '%.*s'", cut, (int)o.text_n, o.text);
		cr_expect_eq(o.source, 0, "cut at %zu named a writer", cut);
	}
}

Test(prefix, escapes_written_as_json_are_removed_from_docker_text)
{
	/* dockerd writes the escape byte as \u001b: the decoded text has
	 * one although the line has none */
	struct one o = one_line(
	    "{\"log\":\"\\u001b[31mValueError\\u001b[0m: boom\\n\",\"stream\":"
	    "\"stderr\",\"time\":\"2024-05-01T10:00:01.5Z\"}");
	cr_assert_eq(o.n, 1);
	cr_expect(o.text_n == 16 && memcmp(o.text, "ValueError: boom", 16) == 0,
		  "'%.*s'", (int)o.text_n, o.text);
	struct one plain =
	    one_line("{\"log\":\"ValueError: boom \\u001a\\n\",\"stream\":"
		     "\"stderr\",\"time\":\"2024-05-01T10:00:01.5Z\"}");
	cr_expect(plain.text_n == 18 &&
		      memcmp(plain.text, "ValueError: boom \x1a", 18) == 0,
		  "'%.*s'", (int)plain.text_n, plain.text);
}

/* Writers named by names of every length to past sixteen bytes, each
 * the same as the name before but for its first or its last byte, keep
 * ids of their own: the id a new prefixer gives the name. */
Test(prefix, names_that_differ_in_one_byte_name_writers_of_their_own)
{
	static const int order[] = {0, 1, 0, 2, 2, 1, 0};
	struct th_prefixer *p = prefix_new(NULL, NULL);
	for (size_t n = 1; n <= 24; n++) {
		char names[3][32];
		memset(names[0], 'a', n);
		names[0][n] = '\0';
		memcpy(names[1], names[0], n + 1);
		names[1][n - 1] = 'b';
		memcpy(names[2], names[0], n + 1);
		names[2][0] = 'c';
		uint32_t ids[3] = {0};
		for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
			const char *name = names[order[k]];
			char line[64];
			snprintf(line, sizeof line, "%s  | text", name);
			struct th_record rec = parse_line_as(p, line, true);
			struct one alone = one_line(line);
			cr_expect_eq(rec.source, alone.source,
				     "'%s' after '%s'", name,
				     k > 0 ? names[order[k - 1]] : "");
			cr_expect(same_text(rec.source_name, name), "'%s'",
				  name);
			cr_expect(same_text(rec.text, "text"), "'%s'", name);
			ids[order[k]] = rec.source;
		}
		cr_expect(ids[0] != ids[1] && ids[0] != ids[2] &&
			      ids[1] != ids[2],
			  "length %zu", n);
	}
	prefix_free(p);
}

/* Docker's stream and time are read in place when they hold no escape,
 * else decoded: a stream written with an escape names the same writer;
 * a stream too long to be read by hand goes to jansson, which names it
 * as the by-hand reading would. */
Test(prefix, docker_streams_in_place_or_escaped_name_the_same_writer)
{
	static const char fmt[] =
	    "{\"log\":\"x\\n\",\"stream\":\"%s\",\"time\":\"%s\"}";
	char line[256];
	struct th_prefixer *p = prefix_new(NULL, NULL);
	snprintf(line, sizeof line, fmt, "stderr", "2024-05-01T10:00:01.5Z");
	struct th_record plain = parse(p, line);
	uint32_t stderr_id = plain.source;
	cr_expect(same_text(plain.source_name, "stderr"));
	cr_expect(same_text(plain.text, "x"));
	char when[TH_TIME_LEN];
	isotime_print(&plain.time, when);
	cr_expect_str_eq(when, "2024-05-01T10:00:01.5Z");
	snprintf(line, sizeof line, fmt, "std\\u0065rr",
		 "2024-05-01T10:00:0\\u0031.5Z");
	struct th_record escaped = parse(p, line);
	cr_expect_eq(escaped.source, stderr_id);
	cr_expect(same_text(escaped.source_name, "stderr"), "'%.*s'",
		  (int)escaped.source_name.n, escaped.source_name.p);
	isotime_print(&escaped.time, when);
	cr_expect_str_eq(when, "2024-05-01T10:00:01.5Z");
	for (size_t n = 60; n <= 66; n++) {
		char stream[80];
		memset(stream, 's', n);
		stream[n] = '\0';
		snprintf(line, sizeof line, fmt, stream,
			 "2024-05-01T10:00:01Z");
		struct th_record rec = parse(p, line);
		struct one alone = one_line(line);
		cr_expect_eq(rec.source, alone.source, "%zu bytes", n);
		cr_expect(same_text(rec.source_name, stream), "%zu bytes", n);
		cr_expect(same_text(rec.text, "x"), "%zu bytes", n);
	}
	prefix_free(p);
}

/* rich's panel characters, in UTF-8 */
#define RB_H   "\xe2\x94\x80"
#define RB_V   "\xe2\x94\x82"
#define RB_PTR "\xe2\x9d\xb1"
#define RB_TOP                                                                 \
	"\xe2\x95\xad" RB_H RB_H                                               \
	" Traceback (most recent call last) " RB_H RB_H "\xe2\x95\xae"
#define RB_BOTTOM "\xe2\x95\xb0" RB_H RB_H RB_H "\xe2\x95\xaf"

/* A traceback rich drew in a panel (richbox.h) becomes the lines Python
 * writes: the border its first line, each frame's heading (joined when
 * wrapped) and failing line of code its two lines, and nothing of the
 * panel's other lines; the exception's line after it is read as any
 * (README.md, "Log shapes"). */
Test(prefix, a_rich_panel_becomes_pythons_traceback_lines)
{
	struct fed f;
	for (int reader = 0; reader < 2; reader++) {
		feed_as("2024-05-01 10:00:01,123 INFO [app] starting\n" RB_TOP
			"\n" RB_V " /a/x.py:12 in main"
			"      " RB_V "\n" RB_V "                        " RB_V
			"\n" RB_V "   11 " RB_V "   try:          " RB_V
			"\n" RB_V " " RB_PTR " 12 " RB_V "   " RB_V
			"   await f()  " RB_V "\n" RB_V
			"                        " RB_V "\n" RB_V " "
			"\xe2\x95\xad" RB_H " locals " RB_H "\xe2\x95\xae"
			"  " RB_V "\n" RB_V " " RB_V " x = 1 " RB_V "    " RB_V
			"\n" RB_V "                        " RB_V "\n" RB_V
			" /srv/vendor/settlement_channel " RB_V "\n" RB_V
			" s/ledger.py:2 in reconcile     " RB_V "\n" RB_V
			"                        " RB_V "\n" RB_V " " RB_PTR
			" 2 raise ValueError('b') " RB_V "\n" RB_V
			"   3                    " RB_V "\n" RB_BOTTOM "\n"
			"ValueError: b\n"
			"2024-05-01 10:00:02,000 INFO [app] after\n",
			&f, reader == 1);
		static const char *const want[] = {
		    "2024-05-01 10:00:01,123 INFO [app] starting",
		    "Traceback (most recent call last):",
		    "  File \"/a/x.py\", line 12, in main",
		    "    await f()",
		    ("  File \"/srv/vendor/settlement_channels/ledger.py\", "
		     "line 2, in reconcile"),
		    "    raise ValueError('b')",
		    "ValueError: b",
		    "2024-05-01 10:00:02,000 INFO [app] after"};
		expect_texts(&f, want, sizeof want / sizeof *want);
		static const bool start[] = {true,  false, false, false,
					     false, false, false, true};
		expect_starts(&f, start);
		cr_expect_eq(f.number[1], 2, "the border's line");
		cr_expect_eq(f.number[2], 4, "given at the line after it");
	}
}

/* A panel's lines are its writer's: another writer's in between are read
 * as they always are; one of its own writer that is no line of the panel
 * ends it, and is read as any other. */
Test(prefix, a_rich_panel_takes_only_its_writers_lines)
{
	struct fed f;
	feed("2024-05-01T10:00:01Z stderr F " RB_TOP "\n"
	     "2024-05-01T10:00:01Z stdout F " RB_V " /b/y.py:1 in g " RB_V "\n"
	     "2024-05-01T10:00:01Z stderr F " RB_V " /a/x.py:3 in f " RB_V "\n"
	     "2024-05-01T10:00:01Z stderr F " RB_V "                " RB_V "\n"
	     "2024-05-01T10:00:01Z stderr F KeyError: 'k'\n"
	     "2024-05-01T10:00:01Z stderr F " RB_V " /a/x.py:4 in h " RB_V "\n",
	     &f);
	static const char *const want[] = {
	    "Traceback (most recent call last):", RB_V " /b/y.py:1 in g " RB_V,
	    "  File \"/a/x.py\", line 3, in f", "KeyError: 'k'",
	    RB_V " /a/x.py:4 in h " RB_V};
	expect_texts(&f, want, sizeof want / sizeof *want);
	cr_expect_eq(f.source[2], f.source[0]);
	cr_expect_neq(f.source[1], f.source[0]);
}

/* Colors, as rich draws on a terminal, are read past; a heading too long
 * to keep, and one that names no file ("in NAME": rich found none), give
 * no frame, nor does the code under them. */
Test(prefix, a_colored_rich_panel_and_headings_that_are_no_frame)
{
	char longest[TH_MAX_FIELD + 8];
	memset(longest, 'p', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	char text[2 * TH_MAX_FIELD + 1024];
	snprintf(text, sizeof text,
		 "\x1b[31m" RB_TOP "\x1b[0m\n" RB_V
		 " \x1b[32m/a/x.py\x1b[0m:\x1b[34m3\x1b[0m in "
		 "\x1b[32mf\x1b[0m " RB_V "\n" RB_V "   " RB_V "\n" RB_V
		 " " RB_PTR " 3 x() " RB_V "\n" RB_V " in <lambda> " RB_V
		 "\n" RB_V "   " RB_V "\n" RB_V " " RB_PTR " 9 y() " RB_V
		 "\n" RB_V " /%s.py:1 in g " RB_V "\n" RB_V "   " RB_V "\n" RB_V
		 " " RB_PTR " 1 z() " RB_V "\n" RB_BOTTOM "\n"
		 "OSError: x\n",
		 longest);
	struct fed f;
	feed(text, &f);
	static const char *const want[] = {"Traceback (most recent call last):",
					   "  File \"/a/x.py\", line 3, in f",
					   "    x()", "OSError: x"};
	expect_texts(&f, want, sizeof want / sizeof *want);
}

/* The lines of a panel take the whole way, and both ways give the same
 * records. */
Test(prefix, rich_panel_lines_get_the_records_of_the_whole_way)
{
	static const char *const lines[] = {
	    RB_TOP,
	    RB_V " /a/x.py:3 in f " RB_V,
	    RB_V "                " RB_V,
	    RB_V " " RB_PTR " 3 x() " RB_V,
	    RB_BOTTOM,
	    "\xe2\x95\xad" RB_H RB_H "\xe2\x95\xae",
	    RB_V "  /a/x.py:3    " RB_V,
	    RB_V " def f(:       " RB_V,
	    RB_BOTTOM,
	    "ValueError: x",
	    "\xe2\x80\xa2 a bullet",
	    "2024-05-01T10:00:01Z stderr F " RB_TOP,
	    "2024-05-01T10:00:01Z stderr F " RB_V " /a/x.py:3 in f " RB_V,
	    "  " RB_V " /a/x.py:3 in f " RB_V,
	    "ERROR:asyncio:after",
	};
	expect_the_whole_way_for(lines, sizeof lines / sizeof *lines);
}

/* A SyntaxError's panel, with no title, right after the traceback's
 * bottom border, names the place (wrapped like a heading) and the line
 * of code, which become Python's two lines for them; an untitled panel
 * anywhere else is not read. */
Test(prefix, a_rich_syntax_error_panel_gives_the_place_and_the_code)
{
	struct fed f;
	feed(RB_TOP "\n" RB_V " /a/x.py:3 in main " RB_V "\n" RB_V
		    "                   " RB_V "\n" RB_V " " RB_PTR
		    " 3 import rules " RB_V "\n" RB_BOTTOM "\n"
		    "\xe2\x95\xad" RB_H RB_H RB_H "\xe2\x95\xae\n" RB_V
		    "  /srv/app/settlement_chann " RB_V "\n" RB_V
		    " els/rules.py:2             " RB_V "\n" RB_V
		    "     'us' 0.25}             " RB_V "\n" RB_V
		    "         \xe2\x96\xb2                  " RB_V
		    "\n" RB_BOTTOM "\n"
		    "SyntaxError: ':' expected after dictionary key\n"
		    "\xe2\x95\xad" RB_H RB_H RB_H "\xe2\x95\xae\n" RB_V
		    " /b/y.py:1 " RB_V "\n",
	     &f);
	static const char *const want[] = {
	    "Traceback (most recent call last):",
	    "  File \"/a/x.py\", line 3, in main",
	    "    import rules",
	    "  File \"/srv/app/settlement_channels/rules.py\", line 2",
	    "    'us' 0.25}",
	    "SyntaxError: ':' expected after dictionary key",
	    "\xe2\x95\xad" RB_H RB_H RB_H "\xe2\x95\xae",
	    RB_V " /b/y.py:1 " RB_V};
	expect_texts(&f, want, sizeof want / sizeof *want);
}

/* A CRI line cut into pieces, as the pipeline's search asks about it
 * (prefix_split_pieces): its pieces' messages up to the "F" one, and
 * nothing when a piece of it is missing from the text, another stream's
 * line comes between, or a rule file's prefixes may read the lines
 * otherwise. */
Test(prefix, the_pieces_of_a_cri_line_are_found_up_to_its_last)
{
	static const char cut[] =
	    "2024-05-01T10:00:00.000000000Z stderr P Trace\n"
	    "2024-05-01T10:00:00.000000000Z stderr P back (most\r\n"
	    "2024-05-01T10:00:00.000000000Z stderr F  recent call last):\n"
	    "2024-05-01T10:00:00.000000000Z stderr F after\n";
	struct th_prefixer *p = prefix_new(NULL, NULL);
	struct th_span pieces[4];
	size_t len = 0;
	cr_assert_eq(prefix_split_pieces(p, span(cut), pieces, 4, &len), 3);
	cr_expect_eq(len, (size_t)(strstr(cut, "after") - cut) - 40);
	cr_expect(pieces[0].n == 5 && memcmp(pieces[0].p, "Trace", 5) == 0);
	cr_expect(pieces[1].n == 10 &&
		  memcmp(pieces[1].p, "back (most", 10) == 0);
	cr_expect(pieces[2].n == 19);
	/* two pieces do not fit MAX; a whole line is no piece */
	cr_expect_eq(prefix_split_pieces(p, span(cut), pieces, 2, &len), 0);
	cr_expect_eq(prefix_split_pieces(p,
					 span(strstr(cut, "2024-05-01T10:00:"
							  "00.000000000Z "
							  "stderr F after")),
					 pieces, 4, &len),
		     0);
	/* the text ends before the last piece; another stream between */
	cr_expect_eq(prefix_split_pieces(
			 p,
			 (struct th_span){cut, strstr(cut, "stderr F") - cut},
			 pieces, 4, &len),
		     0);
	static const char mixed[] =
	    "2024-05-01T10:00:00.000000000Z stderr P Trace\n"
	    "2024-05-01T10:00:00.000000000Z stdout F tick\n"
	    "2024-05-01T10:00:00.000000000Z stderr F back\n";
	cr_expect_eq(prefix_split_pieces(p, span(mixed), pieces, 4, &len), 0);
	/* the line before continues the next only as a piece of its stream */
	struct th_span first = {cut, strchr(cut, '\n') - cut};
	struct th_span second = {first.p + first.n + 1, 51};
	struct th_span last = {second.p + second.n + 1, 59};
	cr_expect(prefix_piece_continues(p, first, second));
	cr_expect(prefix_piece_continues(p, second, last));
	cr_expect(!prefix_piece_continues(p, last, first)); /* F ends it */
	struct th_span tick = {mixed + 46, 44};
	cr_expect(!prefix_piece_continues(p, first, tick));
	cr_expect(!prefix_piece_continues(p, tick, first));
	prefix_free(p);
	struct th_rules *rules =
	    rules_of("rules: [{id: a, start: x}]\n"
		     "prefixes: [{id: p, regex: '^NEVER (?<message>.*)'}]\n");
	struct th_matcher *m = matcher_new(rules);
	p = prefix_new(rules, m);
	cr_expect_eq(prefix_split_pieces(p, span(cut), pieces, 4, &len), 0);
	cr_expect(!prefix_piece_continues(p, first, second));
	prefix_free(p);
	matcher_free(m);
	rules_free(rules);
}
