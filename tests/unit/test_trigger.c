/* test_trigger.c - the buffer search finds every candidate exactly once,
 * whatever the windows look like, with every search it can choose. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static const char *const methods[] = {"fingerprint", "anchors", "sse2",
				      "portable"};
#define N_METHODS (sizeof methods / sizeof *methods)

static struct th_trigger *trigger_using(const struct th_rules *r,
					const char *method)
{
	setenv("TRACEHOUND_SCAN", method, 1);
	struct th_trigger *t = trigger_new(r);
	unsetenv("TRACEHOUND_SCAN");
	return t;
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
	size_t first[256], n_first = 0;
	for (size_t m = 0; m < N_METHODS; m++) {
		struct th_trigger *t = trigger_using(r, methods[m]);
		size_t got[256];
		size_t n = hits(t, text, 4096, got);
		cr_assert(n > 0 && n < 256, "%s: %zu hits", methods[m], n);
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
	rules_free(r);
}
