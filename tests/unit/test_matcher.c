/* test_matcher.c - the matcher's shortcuts: a pattern is not run on a line
 * that lacks every literal the pattern needs (patterns/README.md,
 * "Literals"), and the shortcut declines, leaving the decision to the
 * regex, whenever it cannot be sure. */
#include <criterion/criterion.h>
#include <string.h>

#include "catalog.h"
#include "event.h"
#include "rules.h"

static struct th_rules *load_yaml(const char *yaml)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	bool ok = rules_load_buffer(r, "t.yaml", yaml, strlen(yaml), &err) &&
		  rules_finish(r, &err);
	cr_assert(ok, "loading\n%s\nfailed: %zu:%zu: %s", yaml, err.line,
		  err.column, err.message);
	return r;
}

static long index_of(const struct th_rules *r, const char *id)
{
	for (size_t i = 0; i < rules_count(r); i++)
		if (strcmp(rules_id(r, i), id) == 0)
			return (long)i;
	return -1;
}

#define assert_starts(r, m, line, id)                                          \
	do {                                                                   \
		long got_ = rules_match_start(                                 \
		    (m), (struct th_span){(line), strlen(line)});              \
		long want_ = (id) == NULL ? -1 : index_of((r), (id));          \
		cr_assert(got_ == want_,                                       \
			  "line\n  '%s'\nstarted rule %s, wanted %s", (line),  \
			  got_ < 0 ? "(none)" : rules_id((r), (size_t)got_),   \
			  (id) == NULL ? "(none)" : (const char *)(id));       \
	} while (0)

/* Fills EV with rule ID's event made of LINES (NULL-terminated). */
static void make_event(struct th_event *ev, const struct th_rules *r,
		       const char *id, const char *const *lines)
{
	event_init(ev);
	long rule = index_of(r, id);
	cr_assert(rule >= 0, "no rule %s", id);
	ev->rule = (size_t)rule;
	for (size_t i = 0; lines[i] != NULL; i++)
		event_add_line(ev,
			       (struct th_span){lines[i], strlen(lines[i])});
}

#define LINES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void assert_field(const struct th_event *ev, enum th_field f,
			 const char *want)
{
	if (want == NULL) {
		cr_assert(!event_has(ev, f), "%s should be unset, is '%.*s'",
			  catalog_field_name(f), (int)event_get(ev, f).n,
			  event_get(ev, f).p);
		return;
	}
	cr_assert(event_has(ev, f), "%s unset, wanted '%s'",
		  catalog_field_name(f), want);
	struct th_span v = event_get(ev, f);
	cr_assert(v.n == strlen(want) && memcmp(v.p, want, v.n) == 0,
		  "%s is '%.*s', wanted '%s'", catalog_field_name(f), (int)v.n,
		  v.p, want);
}

/* Runs rule ID's extract items over an event of LINES; returns it. */
static struct th_event extracted(const struct th_rules *r, struct th_matcher *m,
				 const char *id, const char *const *lines)
{
	struct th_event ev;
	make_event(&ev, r, id, lines);
	rules_extract(m, &ev, NULL);
	return ev;
}

Test(matcher, a_start_pattern_is_skipped_on_a_line_without_its_literal)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: hard\n"
				       "    start: 'Task \\w+ failed hard'\n"
				       "  - id: any\n"
				       "    start: 'Task'\n");
	struct th_matcher *m = matcher_new(r);
	assert_starts(r, m, "Task x failed hard", "hard");
	assert_starts(r, m, "at 10:00 Task x failed hard, twice", "hard");
	assert_starts(r, m, "Task x failed soft", "any");
	/* every byte of the literal, but not in one place */
	assert_starts(r, m, "hard failed: Task x failed", "any");
	assert_starts(r, m, "Task x failed har", "any");
	matcher_free(m);
	rules_free(r);
}

Test(matcher, the_literal_is_found_at_either_end_and_after_a_near_miss)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: xyz\n"
				       "    start: 'xyz'\n"
				       "  - id: x\n"
				       "    start: 'x'\n"
				       "    literal: 'x'\n");
	struct th_matcher *m = matcher_new(r);
	assert_starts(r, m, "xyz", "xyz");
	assert_starts(r, m, "axyz", "xyz");
	assert_starts(r, m, "xyza", "xyz");
	assert_starts(r, m, "xxyz", "xyz");
	assert_starts(r, m, "xyxyz", "xyz");
	assert_starts(r, m, "xy", "x");
	assert_starts(r, m, "zyx", "x");
	assert_starts(r, m, "", NULL);
	matcher_free(m);
	rules_free(r);
}

Test(matcher, a_start_pattern_without_a_literal_runs_on_every_line)
{
	/* alternatives under 3 bytes: no literal, so no shortcut */
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: short\n"
				       "    start: 'ab|cd'\n"
				       "  - id: caseless\n"
				       "    start: '(?i)boom'\n");
	struct th_matcher *m = matcher_new(r);
	assert_starts(r, m, "xxcd", "short");
	assert_starts(r, m, "BOOM", "caseless");
	assert_starts(r, m, "zz", NULL);
	matcher_free(m);
	rules_free(r);
}

Test(matcher, an_extract_regex_runs_only_where_its_literal_is)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: a\n"
		      "    start: 'go'\n"
		      "    extract:\n"
		      "      - regex: 'coro=<(?<coroutine>\\w+)>'\n");
	struct th_matcher *m = matcher_new(r);
	/* no literal; the literal but no match (the regex declines); a
	 * match */
	struct th_event ev = extracted(
	    r, m, "a", LINES("go", "coro=<bad", "coro=< x>", "coro=<good>"));
	assert_field(&ev, TH_F_COROUTINE, "good");
	event_fini(&ev);

	ev = extracted(r, m, "a", LINES("go coro=<first>", "coro=<second>"));
	assert_field(&ev, TH_F_COROUTINE, "first");
	event_fini(&ev);

	ev = extracted(r, m, "a", LINES("go", "coro=", "<x>"));
	assert_field(&ev, TH_F_COROUTINE, NULL);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(matcher, an_extract_regex_without_a_literal_runs_on_every_line)
{
	/* no run of 3 plain bytes; caseless; an alternative without one */
	struct th_rules *r = load_yaml(
	    "rules:\n"
	    "  - id: a\n"
	    "    start: 'go'\n"
	    "    extract:\n"
	    "      - regex: '^(?<exception>\\w+):'\n"
	    "        lines: following\n"
	    "      - regex: '(?i)task=(?<task>\\w+)'\n"
	    "      - regex: 'coro=(?<coroutine>\\w+)|c=(?<coroutine>\\w+)'\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev = extracted(
	    r, m, "a", LINES("go", "ValueError: x", "TASK=T1", "c=f"));
	assert_field(&ev, TH_F_EXCEPTION, "ValueError");
	assert_field(&ev, TH_F_TASK, "T1");
	assert_field(&ev, TH_F_COROUTINE, "f");
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(matcher, an_extract_regex_keeps_to_its_lines)
{
	struct th_rules *r = load_yaml(
	    "rules:\n"
	    "  - id: a\n"
	    "    start: 'go'\n"
	    "    extract:\n"
	    "      - {regex: 'task=(?<task>\\w+)', lines: start}\n"
	    "      - {regex: 'coro=(?<coroutine>\\w+)', lines: following}\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev =
	    extracted(r, m, "a", LINES("go coro=c0", "task=T1", "coro=c1"));
	assert_field(&ev, TH_F_TASK, NULL);
	assert_field(&ev, TH_F_COROUTINE, "c1");
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(matcher, extract_takes_the_start_groups_from_the_line_start_matched)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: a\n"
				       "    start: 'go (?<task>\\w+)'\n"
				       "  - id: b\n"
				       "    start: 'run (?<coroutine>\\w+)'\n"
				       "  - id: c\n"
				       "    start: '(?<coroutine>\\w+) go'\n");
	struct th_matcher *m = matcher_new(r);
	assert_starts(r, m, "go T1", "a");
	struct th_event ev = extracted(r, m, "a", LINES("go T1", "go T9"));
	assert_field(&ev, TH_F_TASK, "T1");
	event_fini(&ev);

	/* another line than the one matched: the pattern runs again */
	assert_starts(r, m, "go T1", "a");
	ev = extracted(r, m, "a", LINES("go T2"));
	assert_field(&ev, TH_F_TASK, "T2");
	event_fini(&ev);

	/* the same line, another rule's event */
	assert_starts(r, m, "x go T3", "a");
	ev = extracted(r, m, "c", LINES("x go T3"));
	assert_field(&ev, TH_F_COROUTINE, "x");
	assert_field(&ev, TH_F_TASK, NULL);
	event_fini(&ev);

	/* a later match that set nothing leaves the earlier one alone */
	assert_starts(r, m, "run f", "b");
	assert_starts(r, m, "nothing", NULL);
	ev = extracted(r, m, "b", LINES("run f"));
	assert_field(&ev, TH_F_COROUTINE, "f");
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}
