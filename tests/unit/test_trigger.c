/* test_trigger.c - the buffer search finds every candidate exactly once,
 * whatever the windows look like. */
#include <criterion/criterion.h>
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
	struct th_trigger *t = trigger_new(r);
	const char text[] = "aaaa never retrieved bbbb\n"
			    "Traceback (most recent call last):\n"
			    "cccc never retrieved\n";
	size_t want[] = {5, 26, 66};
	size_t windows[] = {36, 40, 64, 1000};
	for (size_t i = 0; i < 4; i++) {
		size_t got[8];
		size_t n = hits(t, text, windows[i], got);
		cr_assert_eq(n, 3, "window %zu: %zu hits", windows[i], n);
		for (size_t k = 0; k < 3; k++)
			cr_expect_eq(got[k], want[k], "window %zu hit %zu: %zu",
				     windows[i], k, got[k]);
	}
	trigger_free(t);
	rules_free(r);
}

Test(trigger, line_check_matches_only_lines_with_a_literal)
{
	struct th_rules *r = rules_from(two_rules);
	struct th_trigger *t = trigger_new(r);
	cr_expect(trigger_line_may_start(
	    t, (struct th_span){"x never retrieved", 17}));
	cr_expect(!trigger_line_may_start(t, (struct th_span){"never", 5}));
	trigger_free(t);
	rules_free(r);
}

Test(trigger, literals_near_the_end_of_a_window_are_found_by_the_tail_check)
{
	struct th_rules *r = rules_from(two_rules);
	struct th_trigger *t = trigger_new(r);
	char buf[300];
	for (size_t pad = 0; pad < 100; pad++) {
		memset(buf, 'x', pad);
		memcpy(buf + pad, "never retrieved", 15);
		struct th_span w = {buf, pad + 15};
		cr_expect_eq(trigger_find(t, w), pad, "pad %zu", pad);
		w.n--; /* the literal cut by the window's end is not there */
		cr_expect_eq(trigger_find(t, w), w.n, "cut, pad %zu", pad);
	}
	trigger_free(t);
	rules_free(r);
}

Test(trigger, anchors_matching_without_the_literal_are_rejected)
{
	struct th_rules *r = rules_from(two_rules);
	struct th_trigger *t = trigger_new(r);
	/* every byte of the literals, in the wrong order, many times */
	char buf[4096];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = "deveirter revenTraceback( tsom tnecer"[i % 37];
	struct th_span w = {buf, sizeof buf};
	cr_expect_eq(trigger_find(t, w), w.n);
	trigger_free(t);
	rules_free(r);
}
