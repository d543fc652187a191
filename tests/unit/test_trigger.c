/* test_trigger.c - the buffer search finds every candidate exactly once,
 * whatever the windows look like, with every search it can choose. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include "frame.h"
#include "pipeline.h"
#include "rules.h"
#include "trigger.h"

static struct th_rules *rules_from(const char *yaml)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_buffer(r, "t.yaml", yaml, strlen(yaml), &err),
		  "%s", err.message);
	cr_assert(rules_finish(r, &err), "%s", err.message);
	return r;
}

/* Every search the trigger can choose (see choose_scan in trigger.c). */
static const char *const methods[] = {"avx512", "fingerprint", "anchors",
				      "sse2",	"portable",    "hash"};
#define N_METHODS (sizeof methods / sizeof *methods)

/* R's trigger searching by METHOD, with the literals' JSON forms and the
 * framings' markers when FRAMED (pipeline_trigger_new). */
static struct th_trigger *trigger_framed_using(const struct th_rules *r,
					       bool framed, const char *method)
{
	enum th_search search;
	cr_assert(trigger_search_from_name(method, &search), "%s", method);
	struct th_trigger *t = pipeline_trigger_new(r, framed);
	trigger_set_search(t, search);
	return t;
}

static struct th_trigger *trigger_using(const struct th_rules *r,
					const char *method)
{
	return trigger_framed_using(r, false, method);
}

static const char two_rules[] = "rules:\n"
				"  - id: t.one\n"
				"    start: 'never retrieved'\n"
				"  - id: t.two\n"
				"    start: 'Traceback \\(most recent'\n";

/* Walks TEXT as the scanner does: a window is the complete lines among
 * the next W bytes; after a hit, the search goes on after it, and a window
 * without one is skipped whole. Records the offset of every hit. */
static size_t hits(const struct th_trigger *t, const char *text, size_t w,
		   size_t *out)
{
	size_t n = 0, len = strlen(text), pos = 0;
	while (pos < len) {
		size_t end = pos + w < len ? pos + w : len;
		while (end > pos && end < len && text[end - 1] != '\n')
			end--;
		cr_assert(end > pos, "window %zu holds no whole line", w);
		struct th_span win = {text + pos, end - pos};
		size_t at = trigger_find(t, win);
		if (at == win.n) {
			pos = end;
			continue;
		}
		out[n++] = pos + at;
		pos += at + 1;
	}
	return n;
}

/* trigger_line_may_start's verdict on each line of TEXT, in OUT (CAP
 * entries); returns the number of lines. */
static size_t line_verdicts(const struct th_trigger *t, const char *text,
			    bool *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = text; *p != '\0' && n < cap; n++) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		out[n] = trigger_line_may_start(t, (struct th_span){p, len});
		p += len + (end != NULL);
	}
	return n;
}

/* Every search method finds the same hits in TEXT (4 KiB windows) with
 * R's plain or FRAMED trigger: more than MIN_HITS and fewer than
 * MAX_HITS (at most 4096) of them; and says the same of each line, as
 * the assembler asks (its short-line searches). */
static void expect_same_hits_by_every_method(const struct th_rules *r,
					     bool framed, const char *text,
					     size_t min_hits, size_t max_hits)
{
	static size_t first[4096], got[4096];
	static bool first_lines[1 << 16], lines[1 << 16];
	size_t n_first = 0, n_first_lines = 0;
	cr_assert(max_hits <= 4096);
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t =
		    trigger_framed_using(r, framed, methods[m]);
		size_t n_lines = line_verdicts(t, text, lines, 1 << 16);
		if (m == 0) {
			memcpy(first_lines, lines, n_lines * sizeof *lines);
			n_first_lines = n_lines;
		}
		cr_expect_eq(n_lines, n_first_lines, "%s: %zu lines",
			     methods[m], n_lines);
		size_t differ = 0;
		for (size_t k = 0; k < n_lines; k++)
			differ += lines[k] != first_lines[k];
		cr_expect_eq(differ, 0, "%s: %zu of %zu lines judged unlike %s",
			     methods[m], differ, n_lines, methods[0]);
		size_t n = hits(t, text, 4096, got);
		cr_assert(n > min_hits && n < max_hits, "%s: %zu hits",
			  methods[m], n);
		if (m == 0) {
			memcpy(first, got, n * sizeof *got);
			n_first = n;
		}
		cr_expect_eq(n, n_first, "%s: %zu hits, %s had %zu", methods[m],
			     n, methods[0], n_first);
		for (size_t k = 0; k < n && k < n_first; k++)
			cr_expect_eq(got[k], first[k], "%s hit %zu", methods[m],
				     k);
		trigger_free(t);
	}
}

Test(trigger, finds_each_literal_once_in_stream_order_at_any_window)
{
	struct th_rules *r = rules_from(two_rules);
	const char text[] = "aaaa never retrieved bbbb\n"
			    "Traceback (most recent call last):\n"
			    "cccc never retrieved\n";
	size_t want[] = {5, 26, 66};
	size_t windows[] = {36, 40, 64, 1000};
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t i = 0; i < 4; i++) {
			size_t got[8];
			size_t n = hits(t, text, windows[i], got);
			cr_assert_eq(n, 3, "%s, window %zu: %zu hits",
				     methods[m], windows[i], n);
			for (size_t k = 0; k < 3; k++)
				cr_expect_eq(got[k], want[k],
					     "%s, window %zu, hit %zu: %zu",
					     methods[m], windows[i], k, got[k]);
		}
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, the_earliest_literal_wins_when_fingerprints_are_far_apart)
{
	/* "Traceback (most recent" has its fingerprint well inside it, so
	 * the other literal's fingerprint is seen first. */
	struct th_rules *r = rules_from(two_rules);
	const char text[] = "Traceback (most recent never retrieved";
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		size_t at =
		    trigger_find(t, (struct th_span){text, strlen(text)});
		cr_expect_eq(at, 0, "%s: %zu", methods[m], at);
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, the_earliest_literal_wins_across_block_boundaries)
{
	/* A literal inside a longer one whose fingerprint is at its end:
	 * the short one's fingerprint comes first, and may be confirmed in
	 * a block before the one that holds the long one's. Moved across
	 * the 32- and 64-byte blocks the vector searches confirm by, the
	 * long one, which starts first, must still win. */
	static const char outer[] = "Task was destroyed but it is pending!";
	const struct th_span inner[] = {{"destroyed", 9}};
	const struct th_marker marker = {outer, NULL, 34}; /* "ng!" */
	static char text[512];
	for (size_t m = 0; m < N_METHODS; m++) {
		enum th_search search;
		cr_assert(trigger_search_from_name(methods[m], &search));
		struct th_trigger *t = trigger_new(inner, 1, &marker, 1);
		trigger_set_search(t, search);
		for (size_t pad = 0; pad < 200; pad++) {
			memset(text, '.', sizeof text);
			memcpy(text + pad, outer, sizeof outer - 1);
			size_t at = trigger_find(
			    t, (struct th_span){text, sizeof text});
			cr_expect_eq(at, pad, "%s: at %zu, not %zu", methods[m],
				     at, pad);
		}
		trigger_free(t);
	}
}

/* Docker json-file lines, Docker's marker on each: every line but one in
 * thirteen ends its "log" with "\n", the marker's veto, and some hold a
 * literal. The AVX-512 search clears the vetoed candidates 64 positions
 * at once (veto_filter512); every method must find the same hits, the
 * lines without the veto and the literals, wherever the marker falls in
 * a block. */
Test(trigger, vetoed_markers_on_every_line_leave_the_same_hits)
{
	static char text[1 << 16];
	size_t used = 0, want = 0;
	for (size_t i = 0; used + 300 < sizeof text; i++) {
		bool partial = i % 13 == 5, literal = i % 17 == 3;
		int w = snprintf(text + used, sizeof text - used,
				 "{\"log\":\"%.*s%s%s\",\"stream\":\"stderr\","
				 "\"time\":\"2024-05-01T10:00:00.0Z\"}\n",
				 (int)(i % 97),
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
				 literal ? " never retrieved" : "",
				 partial ? "" : "\\n");
		used += (size_t)w;
		want += partial + literal;
	}
	struct th_rules *r = rules_from(two_rules);
	expect_same_hits_by_every_method(r, true, text, want - 1, want + 1);
	rules_free(r);
}

/* The longest literal or marker bounds the seam a literal may lie across
 * (pipeline.c, joined_may_start); no literal: every line, 0. */
Test(trigger, the_longest_literal_or_marker_is_known)
{
	const struct th_span lits[] = {{"never", 5}, {"destroyed", 9}};
	const struct th_marker marker = {"stderr P ", NULL, -1};
	struct th_trigger *t = trigger_new(lits, 2, NULL, 0);
	cr_expect_eq(trigger_longest(t), 9);
	trigger_free(t);
	const struct th_span one[] = {{"bad", 3}};
	t = trigger_new(one, 1, &marker, 1);
	cr_expect_eq(trigger_longest(t), 9);
	trigger_free(t);
	t = trigger_new(NULL, 0, NULL, 0);
	cr_expect_eq(trigger_longest(t), 0);
	trigger_free(t);
}

Test(trigger, line_check_matches_only_lines_with_a_literal)
{
	struct th_rules *r = rules_from(two_rules);
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		cr_expect(trigger_line_may_start(
			      t, (struct th_span){"x never retrieved", 17}),
			  "%s", methods[m]);
		cr_expect(
		    !trigger_line_may_start(t, (struct th_span){"never", 5}),
		    "%s", methods[m]);
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, literals_at_every_position_and_cut_by_the_end_are_handled)
{
	struct th_rules *r = rules_from(two_rules);
	static char buf[300];
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t pad = 0; pad < 200; pad++) {
			memset(buf, 'x', pad);
			memcpy(buf + pad, "never retrieved", 15);
			struct th_span w = {buf, pad + 15};
			cr_expect_eq(trigger_find(t, w), pad, "%s, pad %zu",
				     methods[m], pad);
			w.n--; /* the literal cut by the window's end */
			cr_expect_eq(trigger_find(t, w), w.n,
				     "%s, cut, pad %zu", methods[m], pad);
		}
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, a_long_line_holds_a_literal_at_any_position_or_cut_by_its_end)
{
	/* lines past the short-line searches' reach: the last round of a
	 * long line overlaps the one before, at every length */
	struct th_rules *r = rules_from(two_rules);
	static char buf[420];
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t n = 100; n <= sizeof buf; n++) {
			memset(buf, 'v', n);
			struct th_span line = {buf, n};
			cr_expect(!trigger_line_may_start(t, line), "%s, %zu",
				  methods[m], n);
			for (size_t at = 0; at + 15 <= n; at++) {
				memcpy(buf + at, "never retrieved", 15);
				cr_expect(trigger_line_may_start(t, line),
					  "%s, %zu bytes, at %zu", methods[m],
					  n, at);
				memset(buf + at, 'v', 15);
			}
			memcpy(buf + n - 14, "never retrieve", 14);
			cr_expect(!trigger_line_may_start(t, line),
				  "%s, %zu bytes, cut", methods[m], n);
		}
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, fingerprints_and_anchors_without_the_literal_are_rejected)
{
	struct th_rules *r = rules_from(two_rules);
	/* every byte of the literals, in the wrong order, many times */
	static char buf[4096];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = "deveirter revenTraceback( tsom tnecer"[i % 37];
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		struct th_span w = {buf, sizeof buf};
		cr_expect_eq(trigger_find(t, w), w.n, "%s", methods[m]);
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, a_sample_log_gives_the_same_hits_with_every_search)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(r, TH_TEST_PATTERNS_DIR, &err));
	cr_assert(rules_finish(r, &err));
	FILE *f = fopen(TH_TEST_SAMPLE_LOG, "rb");
	cr_assert(f != NULL, "%s", TH_TEST_SAMPLE_LOG);
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[len] = '\0';
	expect_same_hits_by_every_method(r, false, text, 0, 256);
	rules_free(r);
}

/* Newlines in TEXT[0..N). */
static uint64_t newlines_in(const char *text, size_t n)
{
	uint64_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += text[i] == '\n';
	return c;
}

Test(trigger, newlines_before_the_hit_are_counted_right_at_any_length)
{
	struct th_rules *r = rules_from(two_rules);
	static char buf[700];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = i % 7 == 3 ? '\n' : 'x';
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t at = 0; at + 15 <= 600; at += 13) {
			static char text[700];
			memcpy(text, buf, sizeof text);
			memcpy(text + at, "never retrieved", 15);
			for (size_t n = at; n < at + 100 && n <= 600; n += 3) {
				uint64_t lines = 0;
				struct th_span w = {text, n};
				size_t got = trigger_find_lines(t, w, &lines);
				size_t want = n >= at + 15 ? at : n;
				cr_assert_eq(got, want,
					     "%s, at %zu, n %zu: %zu",
					     methods[m], at, n, got);
				if (lines == TRIGGER_NEWLINES_UNKNOWN)
					continue;
				cr_assert_eq(lines, newlines_in(text, want),
					     "%s, at %zu, n %zu: %llu lines",
					     methods[m], at, n,
					     (unsigned long long)lines);
			}
		}
		trigger_free(t);
	}
	rules_free(r);
}

/* TEXT[0..N) searched by T and, as the reference, by REF (portable):
 * the same hit, and the newlines before it where T counts them. */
static void expect_window_like_ref(const struct th_trigger *t,
				   const struct th_trigger *ref,
				   const char *text, size_t n, const char *what)
{
	uint64_t lines = 0;
	struct th_span w = {text, n};
	size_t want = trigger_find(ref, w);
	size_t got = trigger_find_lines(t, w, &lines);
	cr_assert_eq(got, want, "%s: %zu, not %zu", what, got, want);
	if (lines != TRIGGER_NEWLINES_UNKNOWN)
		cr_assert_eq(lines, newlines_in(text, want), "%s: %llu lines",
			     what, (unsigned long long)lines);
}

/* The fingerprint search looks at a window's first line alone before
 * the rest (trigger.c, fingerprint_search_first_line): a literal
 * anywhere in a first line of any length, one cut by its newline, one
 * only in the next line, no line end in the window, are each found
 * where the byte-by-byte search finds them, with every search. */
Test(trigger, a_first_line_looked_at_alone_gives_the_window_search_hit)
{
	struct th_rules *r = rules_from(two_rules);
	static const char lit[] = "never retrieved";
	const size_t k = sizeof lit - 1;
	struct th_trigger *ref = trigger_using(r, "portable");
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t len = 0; len <= 140; len++) {
			/* AT past LEN + 1: no literal in the first line */
			for (size_t at = 0; at <= len + 2; at += 1 + len / 20) {
				char text[400], what[64];
				memset(text, 'x', sizeof text);
				if (at <= len)
					memcpy(text + at, lit, k);
				text[len] = '\n';
				size_t second = len + 1 + at % 7;
				memcpy(text + second, lit, k);
				text[second + k + 3] = '\n';
				size_t ends[] = {len, len + 1, second + k - 1,
						 second + k + 4, sizeof text};
				for (size_t e = 0; e < 5; e++) {
					snprintf(what, sizeof what,
						 "%s, line %zu, at %zu, n %zu",
						 methods[m], len, at, ends[e]);
					expect_window_like_ref(t, ref, text,
							       ends[e], what);
				}
			}
		}
		trigger_free(t);
	}
	trigger_free(ref);
	rules_free(r);
}

/* In a first line, a literal whose fingerprint is among the line
 * search's positions 64 on may start before one whose fingerprint is
 * among 0..63 (here the second is the first's last word, fingerprinted
 * before the first's): the earlier is the hit, wherever the pair stands
 * in the line. */
Test(trigger, a_first_line_literal_fingerprinted_late_still_wins)
{
	const struct th_span literals[] = {
	    {"retrieved, but it is pending!", 29}, {"pending", 7}};
	struct th_trigger *ref = trigger_new(literals, 2, NULL, 0);
	trigger_set_search(ref, TH_SEARCH_PORTABLE);
	for (size_t m = 0; m < N_METHODS; m++) {
		enum th_search search;
		cr_assert(trigger_search_from_name(methods[m], &search));
		struct th_trigger *t = trigger_new(literals, 2, NULL, 0);
		trigger_set_search(t, search);
		size_t late, early;
		unsigned bucket;
		if (trigger_fingerprint_of(t, 0, &late, &bucket) &&
		    trigger_fingerprint_of(t, 1, &early, &bucket))
			cr_assert_gt(late, 21 + early,
				     "%s: the test needs the long literal "
				     "fingerprinted after the short one",
				     methods[m]);
		for (size_t at = 0; at + 29 <= 120; at++) {
			char text[200], what[64];
			memset(text, '.', sizeof text);
			memcpy(text + at, literals[0].p, 29);
			text[120] = '\n';
			snprintf(what, sizeof what, "%s, at %zu", methods[m],
				 at);
			expect_window_like_ref(t, ref, text, sizeof text, what);
		}
		trigger_free(t);
	}
	trigger_free(ref);
}

/* A literal that holds a '\n' starts in the first line and ends in the
 * next: the search finds it there, not past the first line
 * (first_line_first in trigger.c). */
Test(trigger, a_literal_across_a_line_end_is_found_where_it_starts)
{
	const struct th_span literals[] = {{"retrieved\nTrace", 15}};
	static const char text[] = "never retrieved\nTraceback (most recent\n"
				   "x retrieved\nTrace\n";
	for (size_t m = 0; m < N_METHODS; m++) {
		enum th_search search;
		cr_assert(trigger_search_from_name(methods[m], &search));
		struct th_trigger *t = trigger_new(literals, 1, NULL, 0);
		trigger_set_search(t, search);
		uint64_t lines = 0;
		struct th_span w = {text, sizeof text - 1};
		size_t at = trigger_find_lines(t, w, &lines);
		cr_expect_eq(at, 6, "%s: found at %zu", methods[m], at);
		cr_expect(lines == 0 || lines == TRIGGER_NEWLINES_UNKNOWN,
			  "%s: %llu lines", methods[m],
			  (unsigned long long)lines);
		trigger_free(t);
	}
}

/* A readable page of PAGE bytes followed by an unreadable one (unmap
 * both with munmap(map, 2 * PAGE)): a load past its end faults. */
static char *map_before_guard_page(size_t page)
{
	char *map = mmap(NULL, page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(map != MAP_FAILED);
	cr_assert(mprotect(map + page, page, PROT_NONE) == 0);
	return map;
}

/* The short count goes eight bytes at a time: runs of newlines and the
 * bytes next to '\n' in value (0x0b, 0x8a, 0x00, 0xff) must each count
 * as the byte-by-byte loop counts them, at every alignment. */
Test(trigger, newlines_among_near_bytes_are_counted_exactly)
{
	static const unsigned char near[] = {'\n', '\n', 0x0b, 0x8a, 0x00,
					     0xff, '\n', 0x09, 'x',  0x7f};
	struct th_rules *r = rules_from(two_rules);
	static char noise[400];
	uint32_t seed = 1;
	for (size_t i = 0; i < sizeof noise; i++) {
		seed = seed * 1103515245u + 12345u;
		noise[i] = (char)near[(seed >> 16) % sizeof near];
	}
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t at = 8; at + 15 <= 300; at += 7) {
			static char text[400];
			memcpy(text, noise, sizeof text);
			memcpy(text + at, "never retrieved", 15);
			for (size_t from = 0; from < 8; from++) {
				uint64_t lines = 0;
				struct th_span w = {text + from,
						    at + 40 - from};
				size_t got = trigger_find_lines(t, w, &lines);
				cr_assert_eq(got, at - from, "%s, at %zu: %zu",
					     methods[m], at, got);
				if (lines == TRIGGER_NEWLINES_UNKNOWN)
					continue;
				cr_assert_eq(lines, newlines_in(w.p, got),
					     "%s, at %zu, from %zu: %llu",
					     methods[m], at, from,
					     (unsigned long long)lines);
			}
		}
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, bytes_above_ascii_never_pass_for_a_literal)
{
	/* The AVX-512 tables fold bytes to seven bits: "never retrieved"
	 * with every top bit set reads like the literal to them, and must
	 * still be rejected; a literal with UTF-8 in it is still found. */
	struct th_rules *r = rules_from("rules:\n"
					"  - id: t.one\n"
					"    start: 'never retrieved'\n"
					"  - id: t.utf8\n"
					"    start: 'caf\xc3\xa9 closed'\n");
	char folded[64];
	for (size_t i = 0; i < 15; i++)
		folded[i] = (char)("never retrieved"[i] | 0x80);
	static char text[200];
	memset(text, 'x', sizeof text);
	memcpy(text + 10, folded, 15);
	static const char utf8[] = "CAF) CLOSED caf\xc3\xa9 closed";
	memcpy(text + 100, utf8, sizeof utf8 - 1);
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		size_t at = trigger_find(t, (struct th_span){text, 200});
		cr_expect_eq(at, 112, "%s: %zu", methods[m], at);
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, line_checks_take_utf8_fingerprints_and_reject_folded_bytes)
{
	/* Tables of ASCII fingerprints only look a byte's low nibble up
	 * unmasked (trigger.c, fingerprint_block): a byte from 0x80 must
	 * still pass for none, and a literal whose fingerprint has such
	 * bytes must still be found, on short lines and long ones. */
	static const char *const sets[] = {
	    "rules:\n"
	    "  - id: t.one\n"
	    "    start: 'never retrieved'\n",
	    "rules:\n"
	    "  - id: t.one\n"
	    "    start: 'never retrieved'\n"
	    "  - id: t.utf8\n"
	    "    start: '\xc3\xa9\xc3\xa8\xc3\xa0 closed'\n",
	};
	char folded[16];
	for (size_t i = 0; i < 15; i++)
		folded[i] = (char)("never retrieved"[i] | 0x80);
	static const char utf8[] = "\xc3\xa9\xc3\xa8\xc3\xa0 closed";
	for (size_t set = 0; set < 2; set++) {
		struct th_rules *r = rules_from(sets[set]);
		for (size_t m = 0; m < N_METHODS; m++) {
			struct th_trigger *t = trigger_using(r, methods[m]);
			for (size_t len = 20; len <= 300; len += 7) {
				char line[300];
				memset(line, 'x', len);
				size_t at = (len * 5) % (len - 16);
				memcpy(line + at, folded, 15);
				struct th_span s = {line, len};
				cr_expect(!trigger_line_may_start(t, s),
					  "%s, set %zu: folded at %zu of %zu",
					  methods[m], set, at, len);
				memcpy(line + at, "never retrieved", 15);
				cr_expect(trigger_line_may_start(t, s),
					  "%s, set %zu: literal at %zu of %zu",
					  methods[m], set, at, len);
				memset(line + at, 'x', 15);
				memcpy(line + at, utf8, sizeof utf8 - 1);
				cr_expect(trigger_line_may_start(t, s) ==
					      (set == 1),
					  "%s, set %zu: UTF-8 at %zu of %zu",
					  methods[m], set, at, len);
			}
			trigger_free(t);
		}
		rules_free(r);
	}
}

Test(trigger, a_word_common_in_python_logs_is_no_fingerprint)
{
	/* "exception" is in a good share of a Python program's log lines
	 * (asyncio's context lines, chained tracebacks' separators, "0x"
	 * addresses bring more x's): asyncio's literal is fingerprinted
	 * elsewhere, or each of those lines costs a confirmation. */
	const struct th_span lit[] = {{" exception was never retrieved", 30}};
	struct th_trigger *t = trigger_new(lit, 1, NULL, 0);
	size_t at;
	unsigned bucket;
	if (trigger_fingerprint_of(t, 0, &at, &bucket))
		cr_expect(at < 1 || at + 3 > 1 + 9,
			  "fingerprint \"%.3s\" inside \"exception\"",
			  lit[0].p + at);
	trigger_free(t);
}

Test(trigger, no_search_reads_past_the_window)
{
	/* Windows that end where a page ends and an unreadable page
	 * begins: a load past the end would fault. */
	struct th_rules *r = rules_from(two_rules);
	long page = sysconf(_SC_PAGESIZE);
	char *map = map_before_guard_page((size_t)page);
	char *end = map + page;
	memset(map, 'x', (size_t)page);
	memcpy(end - 15, "never retrieved", 15);
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t n = 15; n < 400; n++) {
			struct th_span w = {end - n, n};
			uint64_t lines;
			cr_expect_eq(trigger_find(t, w), n - 15, "%s, %zu",
				     methods[m], n);
			cr_expect_eq(trigger_find_lines(t, w, &lines), n - 15,
				     "%s, %zu", methods[m], n);
			w.n--;
			cr_expect_eq(trigger_find(t, w), w.n, "%s, cut, %zu",
				     methods[m], n);
		}
		trigger_free(t);
	}
	munmap(map, (size_t)page * 2);
	rules_free(r);
}

Test(trigger, a_literal_with_any_one_byte_changed_is_no_hit)
{
	/* The confirmation compares eight bytes at a time, the last eight
	 * overlapping: a change in any byte, of the first word, a middle one
	 * or the last, must reject the candidate. */
	struct th_rules *r = rules_from(two_rules);
	static const char lit[] = "Traceback (most recent";
	const size_t len = sizeof lit - 1;
	char text[64];
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t k = 0; k < len; k++) {
			memset(text, '.', sizeof text);
			memcpy(text + 5, lit, len);
			text[5 + k] ^= 0x01;
			struct th_span w = {text, sizeof text};
			cr_expect_eq(trigger_find(t, w), w.n, "%s: byte %zu",
				     methods[m], k);
			cr_expect(!trigger_line_may_start(t, w), "%s: byte %zu",
				  methods[m], k);
		}
		trigger_free(t);
	}
	rules_free(r);
}

Test(trigger, a_line_ending_at_a_page_end_is_judged_by_its_own_bytes)
{
	/* Every length a line search treats apart (a padded copy, one
	 * block or two, a buffer search past LINE_MAX_BYTES), with each
	 * literal at every place, whole or cut by the line's end, the line
	 * ending where an unreadable page begins. */
	struct th_rules *r = rules_from(two_rules);
	static const char *const lits[] = {"never retrieved",
					   "Traceback (most recent"};
	long page = sysconf(_SC_PAGESIZE);
	char *map = map_before_guard_page((size_t)page);
	char *end = map + page;
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		for (size_t k = 0; k < 2; k++) {
			size_t len = strlen(lits[k]);
			for (size_t n = 0; n <= 200; n++) {
				char *line = end - n;
				memset(line, '.', n);
				cr_expect(!trigger_line_may_start(
					      t, (struct th_span){line, n}),
					  "%s: no literal, %zu bytes",
					  methods[m], n);
				for (size_t at = 0; at < n; at++) {
					memset(line, '.', n);
					size_t fit =
					    n - at < len ? n - at : len;
					memcpy(line + at, lits[k], fit);
					bool want = fit == len;
					cr_expect_eq(
					    trigger_line_may_start(
						t, (struct th_span){line, n}),
					    want, "%s: %s at %zu of %zu",
					    methods[m], lits[k], at, n);
				}
			}
		}
		trigger_free(t);
	}
	munmap(map, (size_t)page * 2);
	rules_free(r);
}

Test(trigger, finds_a_split_marker_only_where_its_veto_does_not_hold)
{
	/* a plain list and a framing's markers: the search knows no format */
	const struct th_span literals[] = {{"never retrieved", 15}};
	size_t n_markers;
	const struct th_marker *markers = frame_split_markers(&n_markers);
	const char whole[] =
	    "{\"log\":\"a whole "
	    "line\\n\",\"stream\":\"stderr\",\"time\":\"t\"}\n";
	const char piece[] = "{\"log\":\"the first "
			     "piece\",\"stream\":\"stderr\",\"time\":\"t\"}\n";
	char text[1024];
	size_t n = 0;
	for (int i = 0; i < 6; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s", whole);
	size_t piece_at = n;
	n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", piece, whole);
	size_t want = piece_at + (size_t)(strstr(piece, "\",\"stream") - piece);
	for (size_t m = 0; m < N_METHODS; m++) {
		enum th_search search;
		cr_assert(trigger_search_from_name(methods[m], &search));
		struct th_trigger *t =
		    trigger_new(literals, 1, markers, n_markers);
		trigger_set_search(t, search);
		size_t at = trigger_find(t, (struct th_span){text, n});
		cr_expect_eq(at, want, "%s: found at %zu, not %zu", methods[m],
			     at, want);
		trigger_free(t);
	}
}

/* More literals than the fingerprint tables have buckets: some share a
 * bucket (two share all three fingerprint bytes, "retrieved" twice). */
static const struct th_span many[] = {
    {"never retrieved", 15},	  {"was never retrieved", 19},
    {"Unclosed client", 15},	  {"Unclosed connector", 18},
    {"Fatal error", 11},	  {"Executing <", 11},
    {"Exception ignored", 17},	  {"Exception in callback", 21},
    {"Traceback (most", 15},	  {"never awaited", 13},
    {"is pending!", 11},	  {"Unhandled exception in thread", 29},
    {"slow query", 10},		  {"SLOW QUERY", 10},
    {"ConnectionResetError", 20}, {"zzz@@qq", 7},
};
#define N_MANY (sizeof many / sizeof *many)

Test(trigger, more_literals_than_buckets_are_each_found_by_every_search)
{
	static char text[400];
	for (size_t m = 0; m < N_METHODS; m++) {
		enum th_search search;
		cr_assert(trigger_search_from_name(methods[m], &search));
		struct th_trigger *t = trigger_new(many, N_MANY, NULL, 0);
		trigger_set_search(t, search);
		for (size_t k = 0; k < N_MANY; k++)
			for (size_t pad = 0; pad < 150; pad += 7) {
				memset(text, '.', sizeof text);
				memcpy(text + pad, many[k].p, many[k].n);
				struct th_span w = {text, sizeof text};
				cr_expect_eq(trigger_find(t, w), pad,
					     "%s: %s at %zu", methods[m],
					     many[k].p, pad);
				/* cut by the window's end: no hit */
				w.n = pad + many[k].n - 1;
				size_t at = trigger_find(t, w);
				cr_expect(at == w.n || at <= pad,
					  "%s: cut %s at %zu: %zu", methods[m],
					  many[k].p, pad, at);
			}
		trigger_free(t);
	}
}

Test(trigger, mixtures_of_shared_fingerprints_are_rejected)
{
	/* the literals' bytes, shuffled: a shared bucket lets some of
	 * these through its tables, the confirmation must not */
	static char buf[8192];
	size_t n = 0;
	for (size_t k = 0; n < sizeof buf; k = (k + 5) % N_MANY) {
		const struct th_span *l = &many[k];
		for (size_t i = l->n; i-- > 1 && n < sizeof buf;)
			buf[n++] = l->p[i];
	}
	for (size_t m = 0; m < N_METHODS; m++) {
		enum th_search search;
		cr_assert(trigger_search_from_name(methods[m], &search));
		struct th_trigger *t = trigger_new(many, N_MANY, NULL, 0);
		trigger_set_search(t, search);
		struct th_span w = {buf, sizeof buf};
		cr_expect_eq(trigger_find(t, w), w.n, "%s", methods[m]);
		trigger_free(t);
	}
}

Test(trigger, the_default_rules_keep_the_fingerprint_search)
{
	/* The default rules have more literals than the eight buckets; on
	 * a machine with AVX2 they must still get a fingerprint search (it
	 * is 2.5 times as fast on a dense log as the anchors). */
#ifdef __x86_64__
	if (!__builtin_cpu_supports("avx2"))
		return;
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(r, TH_TEST_PATTERNS_DIR, &err));
	cr_assert(rules_finish(r, &err));
	for (int split = 0; split < 2; split++) {
		struct th_trigger *t = pipeline_trigger_new(r, split);
		enum th_search s = trigger_search(t);
		cr_expect(s == TH_SEARCH_AVX512 || s == TH_SEARCH_FINGERPRINT,
			  "split markers %d: search %d", split, (int)s);
		trigger_free(t);
	}
	rules_free(r);
#endif
}

/* The default rules' literals as pipeline_trigger_new gives them with the
 * framings' split markers: N_LITERALS literals, then the markers. */
static struct th_trigger *framed_default_trigger(struct th_rules **r,
						 size_t *n_literals)
{
	*r = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(*r, TH_TEST_PATTERNS_DIR, &err));
	cr_assert(rules_finish(*r, &err));
	struct th_trigger *t = pipeline_trigger_new(*r, true);
	size_t n_markers, at;
	unsigned b;
	frame_split_markers(&n_markers);
	*n_literals = 0;
	while (trigger_fingerprint_of(t, *n_literals + n_markers, &at, &b))
		++*n_literals;
	return t;
}

Test(trigger, a_marker_with_a_veto_has_a_bucket_of_its_own)
{
	/* Docker's marker is on every line: whatever shares its bucket is
	 * confirmed, in vain, on every line too. */
	struct th_rules *r;
	size_t n_literals, n_markers;
	struct th_trigger *t = framed_default_trigger(&r, &n_literals);
	const struct th_marker *markers = frame_split_markers(&n_markers);
	size_t at;
	unsigned bucket, other;
	bool planned = false;
	for (size_t k = 0; k < n_markers; k++) {
		if (markers[k].veto == NULL)
			continue;
		size_t marker = n_literals + k;
		cr_assert(trigger_fingerprint_of(t, marker, &at, &bucket));
		planned = true;
		for (size_t i = 0; i < n_literals + n_markers; i++)
			cr_expect(
			    i == marker ||
				!trigger_fingerprint_of(t, i, &at, &other) ||
				other != bucket,
			    "literal %zu shares bucket %u with %s", i, bucket,
			    markers[k].text);
	}
	cr_expect(planned, "no marker with a veto");
	trigger_free(t);
	rules_free(r);
}

Test(trigger, literals_with_the_same_fingerprint_share_a_bucket)
{
	/* Text that passes one of them passes both, so in one bucket they
	 * cost a confirmation, not a second bucket's mixtures. */
	const struct th_span literals[] = {
	    {"Exception ignored", 17},
	    {"Exception in", 12},
	    {"zzz@@qq", 7},
	    {"qq##zz", 6},
	    {"Fatal error", 11},
	    {"ww%%kk", 6},
	    {"kk!!ww", 6},
	    {"vv$$jj", 6},
	    {"jj&&vv", 6},
	    {"yy^^xx", 6},
	    {"xx||yy", 6},
	};
	size_t n = sizeof literals / sizeof *literals;
	struct th_trigger *t = trigger_new(literals, n, NULL, 0);
	size_t at_a, at_b;
	unsigned a, b;
	cr_assert(trigger_fingerprint_of(t, 0, &at_a, &a));
	cr_assert(trigger_fingerprint_of(t, 1, &at_b, &b));
	cr_expect_eq(at_a, at_b, "fingerprints at %zu and %zu", at_a, at_b);
	cr_expect_eq(a, b, "buckets %u and %u", a, b);
	trigger_free(t);
}

/* TEXT's lines as Docker's json-file driver and as CRI write them, every
 * fifth a piece of a split line, in OUT (CAP bytes); returns the length. */
static size_t framed_lines(const char *text, char *out, size_t cap)
{
	size_t n = 0, line = 0;
	for (const char *p = text; *p != '\0' && n + 4096 < cap; line++) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool piece = line % 5 == 4;
		n += (size_t)snprintf(out + n, cap - n, "{\"log\":\"");
		for (size_t i = 0; i < len; i++) {
			if (p[i] == '"' || p[i] == '\\')
				out[n++] = '\\';
			out[n++] = p[i];
		}
		n += (size_t)snprintf(out + n, cap - n,
				      "%s\",\"stream\":\"stderr\",\"time\":"
				      "\"2026-11-26T10:00:00.000000000Z\"}\n"
				      "2026-11-26T10:00:00.000000000Z %s %s "
				      "%.*s\n",
				      piece ? "" : "\\n",
				      line % 2 ? "stdout" : "stderr",
				      piece ? "P" : "F", (int)len, p);
		p = end ? end + 1 : p + len;
	}
	out[n] = '\0';
	return n;
}

Test(trigger, a_framed_sample_log_gives_the_same_hits_with_every_search)
{
	struct th_rules *r;
	size_t n_literals;
	struct th_trigger *framed = framed_default_trigger(&r, &n_literals);
	trigger_free(framed);
	FILE *f = fopen(TH_TEST_SAMPLE_LOG, "rb");
	cr_assert(f != NULL, "%s", TH_TEST_SAMPLE_LOG);
	static char raw[1 << 18], text[1 << 20];
	size_t len = fread(raw, 1, sizeof raw - 1, f);
	fclose(f);
	raw[len] = '\0';
	framed_lines(raw, text, sizeof text);
	expect_same_hits_by_every_method(r, true, text, 4, 4096);
	rules_free(r);
}

/* Past VETO_EVERY_ROUND rounds of vetoed candidates the AVX-512 search
 * clears them in a loop of its own (trigger.c, fingerprint_search512).
 * Thirty vetoed Docker lines take it there; then a piece (its marker not
 * vetoed) or a literal at every offset of a round, and windows that
 * start at each of the first bytes: every method finds the hit, and
 * counts the newlines before it, as the portable search does. */
Test(trigger, the_vetoed_marker_loop_finds_what_follows_it)
{
	static const char vetoed[] =
	    "{\"log\":\"2024-05-01 10:00:00,000 INFO app: ok\\n\","
	    "\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:00.0Z\"}\n";
	static const char *const targets[] = {
	    "{\"log\":\"half\",\"stream\":\"stderr\",\"time\":\"2024-05-"
	    "01T10:00:00.0Z\"}\n",
	    "{\"log\":\"Task exception was never retrieved\\n\",\"stream\":"
	    "\"stderr\",\"time\":\"2024-05-01T10:00:00.0Z\"}\n"};
	struct th_rules *r = rules_from(two_rules);
	struct th_trigger *ref = trigger_framed_using(r, true, "portable");
	static char text[8192];
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t =
		    trigger_framed_using(r, true, methods[m]);
		for (size_t k = 0; k < 2; k++)
			for (size_t shift = 0; shift < 128; shift++) {
				size_t used = 0;
				for (size_t l = 0; l < 30; l++)
					used += (size_t)snprintf(
					    text + used, sizeof text - used,
					    "%s", vetoed);
				used += (size_t)snprintf(
				    text + used, sizeof text - used, "%.*s\n%s",
				    (int)shift,
				    "................................"
				    "................................"
				    "................................"
				    "................................",
				    targets[k]);
				for (size_t from = 0; from < 10; from++) {
					char what[80];
					snprintf(what, sizeof what,
						 "%s: target %zu, shift %zu, "
						 "from %zu",
						 methods[m], k, shift, from);
					expect_window_like_ref(
					    t, ref, text + from, used - from,
					    what);
				}
			}
		trigger_free(t);
	}
	trigger_free(ref);
	rules_free(r);
}
