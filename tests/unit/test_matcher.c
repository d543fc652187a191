/* test_matcher.c - the matcher's shortcuts: a pattern is not run on a line
 * that lacks every literal the pattern needs (patterns/README.md,
 * "Literals"), and the shortcut declines, leaving the decision to the
 * regex, whenever it cannot be sure. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
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

/* A literal is found wherever it is, at any length of line (a vector
 * search takes sixteen places a step, its last step moved back, and
 * tries only the places of two of its bytes): lines of a few bytes over
 * a small alphabet, against memmem. */
Test(matcher, a_literal_is_found_wherever_it_is_at_any_length)
{
	static const char *const lits[] = {
	    "ab", "ba c", "aab", "c  c", "ab cab", "bbbbbbbbbbbbbbbbbc"};
	uint64_t rng = 0x2545f4914f6cdd1du;
	for (size_t k = 0; k < sizeof lits / sizeof *lits; k++) {
		char yaml[256];
		snprintf(yaml, sizeof yaml,
			 "rules:\n  - id: a\n    start: '%s'\n", lits[k]);
		struct th_rules *r = load_yaml(yaml);
		struct th_matcher *m = matcher_new(r);
		size_t lit_n = strlen(lits[k]);
		for (size_t i = 0; i < 4000; i++) {
			char line[160];
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			size_t n = rng % sizeof line;
			for (size_t j = 0; j < n; j++) {
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				line[j] = "ab c"[rng % 4];
			}
			long got =
			    rules_match_start(m, (struct th_span){line, n});
			bool want = memmem(line, n, lits[k], lit_n) != NULL;
			cr_assert_eq(got == 0, want, "'%s' in '%.*s': %ld",
				     lits[k], (int)n, line, got);
		}
		matcher_free(m);
		rules_free(r);
	}
}

Test(matcher, a_start_pattern_that_is_its_literal_matches_where_it_is_found)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: tb\n"
				       "    start: 'Traceback \\(most recent "
				       "call last\\):'\n"
				       "  - id: cb\n"
				       "    start: 'Exception in callback '\n"
				       "  - id: word\n"
				       "    start: 'Unclosed\\b'\n"
				       "  - id: any\n"
				       "    start: 'callback|Unclosed'\n");
	struct th_matcher *m = matcher_new(r);
	assert_starts(r, m, "Traceback (most recent call last):", "tb");
	assert_starts(r, m, "  | Traceback (most recent call last):x", "tb");
	assert_starts(r, m, "Traceback (most recent call last)", NULL);
	assert_starts(r, m, "Traceback  (most recent call last):", NULL);
	assert_starts(r, m, "Exception in callback f()", "cb");
	assert_starts(r, m, "Exception in callbackf()", "any");
	assert_starts(r, m, "Exception in  callback f()", "any");
	/* a literal with more to the pattern still runs it */
	assert_starts(r, m, "Unclosed session", "word");
	assert_starts(r, m, "Unclosedsession", "any");
	/* past the line length the needles decide alone, the pattern runs */
	char long_line[5000];
	memset(long_line, 'x', sizeof long_line - 1);
	long_line[sizeof long_line - 1] = '\0';
	memcpy(long_line + 4000, "Exception in callback ", 22);
	assert_starts(r, m, long_line, "cb");
	memcpy(long_line + 4000, "Exception in callbackx", 22);
	assert_starts(r, m, long_line, "any");
	matcher_free(m);
	rules_free(r);
}

Test(matcher, a_union_of_more_literals_than_its_own_matches_around_them)
{
	/* one derived literal, " exception was never retrieved", in
	 * three: the union is found around each place of it */
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: never\n"
		      "    start: '(?:Task|Future|_GatheringFuture) "
		      "exception was never retrieved'\n"
		      "  - id: any\n"
		      "    start: 'exception'\n");
	struct th_matcher *m = matcher_new(r);
	assert_starts(r, m, "Task exception was never retrieved", "never");
	assert_starts(r, m,
		      "ERROR:asyncio:Future exception was never retrieved",
		      "never");
	assert_starts(r, m, "_GatheringFuture exception was never retrieved!",
		      "never");
	assert_starts(r, m, "exception was never retrieved", "any");
	assert_starts(r, m, " exception was never retrieved", "any");
	assert_starts(r, m, "Tas exception was never retrieved", "any");
	assert_starts(r, m, "Task exception was never retrieve", "any");
	assert_starts(r, m, "Futur exception was never retrieved", "any");
	/* the first place of the derived literal has none of the three
	 * before it, the second has */
	assert_starts(r, m,
		      "x exception was never retrieved; "
		      "Future exception was never retrieved",
		      "never");
	assert_starts(r, m,
		      "x exception was never retrieved; "
		      "Futures exception was never retrieved",
		      "any");
	matcher_free(m);
	rules_free(r);
}

/* Rule K of rare_byte_rules: its literal holds RARE[K], the byte of it
 * least common in log text; more distinct ones than one pass looks for.
 * Odd rules are regexes (a digit after the literal), even ones the
 * literal alone. */
static const char rare[] = "#$%&*+;?@^!";

static struct th_rules *rare_byte_rules(void)
{
	char yaml[2048];
	size_t n = (size_t)snprintf(yaml, sizeof yaml, "rules:\n");
	for (size_t k = 0; rare[k] != '\0'; k++)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n,
				      "  - id: r%zu\n    start: 'ab\\%ccd%s'\n",
				      k, rare[k], k % 2 ? "\\d" : "");
	return load_yaml(yaml);
}

/* A line of N bytes of 'y' with rule K's literal (and digit) at AT. */
static void rare_line(char *line, size_t n, size_t k, size_t at)
{
	memset(line, 'y', n);
	line[n] = '\0';
	memcpy(line + at, "ab", 2);
	line[at + 2] = rare[k];
	memcpy(line + at + 3, "cd", 2);
	if (k % 2)
		line[at + 5] = '7';
}

Test(matcher, a_line_lacking_a_rules_rare_bytes_is_no_start_of_it)
{
	/* every rule's literal at every place of lines up to 100 bytes
	 * (both sides of the 32-byte steps), alone and after a later
	 * rule's: the first rule whose literal is there starts */
	struct th_rules *r = rare_byte_rules();
	struct th_matcher *m = matcher_new(r);
	size_t rules = strlen(rare);
	char line[128], id[16], later[16];
	for (size_t k = 0; k < rules; k++) {
		snprintf(id, sizeof id, "r%zu", k);
		for (size_t n = 6; n <= 100; n++)
			for (size_t at = 0; at + 6 <= n; at++) {
				rare_line(line, n, k, at);
				assert_starts(r, m, line, id);
				if (at < 6 || k + 1 == rules)
					continue;
				size_t j = (k + at) % (rules - k - 1) + k + 1;
				snprintf(later, sizeof later, "r%zu", j);
				rare_line(line, n, j, 0);
				assert_starts(r, m, line, later);
				line[at] = 'a', line[at + 1] = 'b';
				line[at + 2] = rare[k];
				line[at + 3] = 'c', line[at + 4] = 'd';
				if (k % 2)
					line[at + 5] = '7';
				if (at >= 6 + (j % 2))
					assert_starts(r, m, line, id);
			}
	}
	/* the rare byte without its literal, or without the digit */
	assert_starts(r, m, "yyyy#yyyy&yyyy", NULL);
	assert_starts(r, m, "yyyyab$cdyyyy", NULL);
	assert_starts(r, m, "", NULL);
	matcher_free(m);
	rules_free(r);
}

Test(matcher, remembered_start_answers_stay_apart_for_lines_alike)
{
	/* lines that share their length, ends and middle word differ in
	 * the memo's slots' text, so each gets its own answer */
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: a\n"
				       "    start: 'Task 1 failed here'\n"
				       "  - id: b\n"
				       "    start: 'Task 2 failed'\n");
	struct th_matcher *m = matcher_new(r);
	for (int round = 0; round < 3; round++) {
		assert_starts(r, m, "xxxxxxxxTask 1 failed herexxxxxxxx", "a");
		assert_starts(r, m, "xxxxxxxxTask 2 failed herexxxxxxxx", "b");
		assert_starts(r, m, "xxxxxxxxTask 3 failed herexxxxxxxx", NULL);
		assert_starts(r, m, "Task 2 failed", "b");
		assert_starts(r, m, "Task 3 failed", NULL);
	}
	matcher_free(m);
	rules_free(r);
}

/* Lines that differ in a number alone (a warning's line number, the
 * coroutine's) come in turns, more of them than the memo has slots:
 * each gets its own answer and its own group back, from the memo or
 * from its patterns, whichever slot of its set it took or lost. */
Test(matcher, remembered_starts_of_lines_alike_keep_their_own_groups)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: never\n"
		      "    start: \"coroutine '(?<coroutine>\\\\w+)' "
		      "was never awaited\"\n"
		      "  - id: other\n"
		      "    start: 'Task (?<task>\\d*7) failed'\n");
	struct th_matcher *m = matcher_new(r);
	char line[160], name[32];
	for (int round = 0; round < 3; round++)
		for (unsigned i = 0; i < 1500; i++) {
			unsigned k = (i * 7919u + (unsigned)round) % 1500u;
			snprintf(name, sizeof name, "c%u", k % 40u);
			if (k % 3 == 0)
				snprintf(line, sizeof line,
					 "00:00:0%u app.py:%u: RuntimeWarning: "
					 "coroutine '%s' was never awaited",
					 k % 10u, k / 40u, name);
			else
				snprintf(line, sizeof line,
					 "%u Task %u failed here", k % 10u, k);
			const char *id = k % 3 == 0    ? "never"
					 : k % 10 == 7 ? "other"
						       : NULL;
			assert_starts(r, m, line, id);
			if (id == NULL)
				continue;
			struct th_event ev = extracted(r, m, id, LINES(line));
			if (k % 3 == 0) {
				assert_field(&ev, TH_F_COROUTINE, name);
			} else {
				snprintf(name, sizeof name, "%u", k);
				assert_field(&ev, TH_F_TASK, name);
			}
			event_fini(&ev);
		}
	matcher_free(m);
	rules_free(r);
}

/* Runs rules_match_start on each of LINES (N pairs of a line and the id
 * of the rule it starts, or NULL), forwards, backwards and again, with
 * one matcher for RULES (YAML): later rounds find the memo filled. */
static void assert_starts_in_rounds(const char *rules,
				    const char *const (*lines)[2], size_t n)
{
	struct th_rules *r = load_yaml(rules);
	struct th_matcher *m = matcher_new(r);
	for (int round = 0; round < 4; round++)
		for (size_t k = 0; k < n; k++) {
			size_t i = round % 2 == 0 ? k : n - 1 - k;
			assert_starts(r, m, lines[i][0], lines[i][1]);
		}
	matcher_free(m);
	rules_free(r);
}

#define PAIRS(...)                                                             \
	(const char *const[][2]){__VA_ARGS__},                                 \
	    sizeof((const char *const[][2]){__VA_ARGS__}) /                    \
		sizeof(const char *const[2])

/* Lines that differ before the first byte a match of any rule may begin
 * with, where the memo's key leaves a time stamp out, in bytes a pattern
 * still looks at: a lookbehind, \b, ^, or the other case of a caseless
 * pattern's first byte (PCRE2 gives one case only). Each gets its own
 * answer. */
Test(matcher, a_start_key_keeps_every_byte_the_patterns_look_at)
{
	assert_starts_in_rounds("rules:\n"
				"  - id: behind\n"
				"    start: '(?<=1 )Task x'\n",
				PAIRS({"2024 1 Task x", "behind"},
				      {"2024 2 Task x", NULL},
				      {"2024 12 Task x", NULL}));
	assert_starts_in_rounds(
	    "rules:\n"
	    "  - id: anchored\n"
	    "    start: '^Task y|Future y'\n",
	    PAIRS({"Task y", "anchored"}, {"0 Task y", NULL},
		  {"0 Future y", "anchored"}, {"Future y", "anchored"}));
	assert_starts_in_rounds("rules:\n"
				"  - id: start\n"
				"    start: '\\ATask y'\n",
				PAIRS({"Task y", "start"}, {"0 Task y", NULL}));
	/* the line's start, looked back at */
	assert_starts_in_rounds(
	    "rules:\n"
	    "  - id: behind-start\n"
	    "    start: '(?<=^ab)c d'\n",
	    PAIRS({"abc d", "behind-start"}, {"xabc d", NULL}));
	assert_starts_in_rounds("rules:\n"
				"  - id: word\n"
				"    start: '\\bTask z'\n",
				PAIRS({"9 xTask z", NULL},
				      {"9 x Task z", "word"}, {"xTask z", NULL},
				      {"x Task z", "word"}));
	assert_starts_in_rounds(
	    "rules:\n"
	    "  - id: caseless\n"
	    "    start: '(?i)boom w'\n",
	    PAIRS({"12 BOOM w", "caseless"}, {"12 BXXM w", NULL},
		  {"12 boom w", "caseless"}, {"12 bxxm w", NULL}));
	assert_starts_in_rounds(
	    "rules:\n"
	    "  - id: stamped\n"
	    "    start: 'Task v'\n"
	    "  - id: other\n"
	    "    start: 'Future (?:v|u)'\n",
	    PAIRS({"00:01 Task v", "stamped"}, {"00:02 Task v", "stamped"},
		  {"00:03 Task u", NULL}, {"00:04 Future u", "other"}));
}

/* Lines that differ in their time stamp only share the memo's slot, and
 * a start pattern's groups come back from it moved to where the line
 * has them. */
Test(matcher, a_remembered_start_gives_its_groups_on_another_time_stamp)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: never\n"
		      "    start: \"coroutine '(?<coroutine>\\\\w+)' "
		      "was never awaited\"\n");
	struct th_matcher *m = matcher_new(r);
	const char *first = "2024-05-01 00:00:00,080 coroutine 'send' was "
			    "never awaited";
	const char *again[] = {
	    "1 coroutine 'send' was never awaited",
	    "[2024-05-01 00:00:01,000] 00:00:01 coroutine 'send' was never "
	    "awaited",
	};
	assert_starts(r, m, first, "never");
	for (size_t i = 0; i < 2; i++) {
		assert_starts(r, m, again[i], "never");
		struct th_event ev = extracted(r, m, "never", LINES(again[i]));
		assert_field(&ev, TH_F_COROUTINE, "send");
		event_fini(&ev);
	}
	matcher_free(m);
	rules_free(r);
}

/* A start pattern of a literal, a run and a literal is matched without
 * PCRE2 (rules_literal_run); the same pattern with "(?:)" added runs as
 * a regex. Both find the same start and the same group on each line. */
Test(matcher, a_literal_run_start_matches_as_its_regex)
{
	struct th_rules *fast =
	    load_yaml("rules:\n"
		      "  - id: never\n"
		      "    start: \"coroutine '(?<coroutine>[^']+)' was never "
		      "awaited\"\n");
	struct th_rules *slow =
	    load_yaml("rules:\n"
		      "  - id: never\n"
		      "    start: \"coroutine '(?<coroutine>[^']+)(?:)' was "
		      "never awaited\"\n");
	struct th_matcher *mf = matcher_new(fast), *ms = matcher_new(slow);
	static const char *const lines[] = {
	    "a.py:1: RuntimeWarning: coroutine 'send' was never awaited",
	    "coroutine '' was never awaited",
	    "coroutine '' coroutine 'b' was never awaited",
	    "coroutine 'a coroutine 'b' was never awaited",
	    "coroutine 'a' was never awaite",
	    "coroutine 'a' was never awaited coroutine 'b' was never awaited",
	    "coroutine 'x y.z()' was never awaitedcoroutine 'q'",
	    "coroutine 'a",
	    "coroutine 'a\nb' was never awaited",
	    "coroutine ''' was never awaited",
	    "xcoroutine 'f(' was never awaited'",
	    "coroutine '\xc3\xa9' was never awaited",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct th_span line = {lines[i], strlen(lines[i])};
		long want = rules_match_start(ms, line);
		long got = rules_match_start(mf, line);
		cr_assert(got == want, "line '%s': started %ld, regex %ld",
			  lines[i], got, want);
		struct th_event a =
		    extracted(fast, mf, "never", LINES(lines[i]));
		struct th_event b =
		    extracted(slow, ms, "never", LINES(lines[i]));
		struct th_span va = event_get(&a, TH_F_COROUTINE),
			       vb = event_get(&b, TH_F_COROUTINE);
		cr_assert(event_has(&a, TH_F_COROUTINE) ==
				  event_has(&b, TH_F_COROUTINE) &&
			      va.n == vb.n &&
			      (va.n == 0 || memcmp(va.p, vb.p, va.n) == 0),
			  "line '%s': coroutine '%.*s', regex '%.*s'", lines[i],
			  (int)va.n, va.p, (int)vb.n, vb.p);
		event_fini(&a);
		event_fini(&b);
	}
	/* a line the start matched gives its group to the event */
	assert_starts(fast, mf, lines[3], "never");
	struct th_event ev = extracted(fast, mf, "never", LINES(lines[3]));
	assert_field(&ev, TH_F_COROUTINE, "b");
	event_fini(&ev);
	matcher_free(mf);
	matcher_free(ms);
	rules_free(fast);
	rules_free(slow);
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

Test(matcher, an_anchored_extract_regex_is_tried_on_lines_it_may_begin)
{
	/* the bytes such a regex may begin with, as PCRE2 sees them: after
	 * optional white space, caseless, in a lookahead; an empty line is
	 * left to the regex */
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: a\n"
		      "    start: 'go'\n"
		      "    extract:\n"
		      "      - regex: '^\\s*(?i:x)(?<task>\\w+)'\n"
		      "        lines: following\n"
		      "      - regex: '\\A(?=[0-9])(?<coroutine>\\w+)'\n"
		      "        lines: following\n"
		      "      - regex: '^(?<exception>[A-Za-z_][\\w.]*)(?:: "
		      "(?<message>.+)|:?$)'\n"
		      "        lines: following\n");
	struct th_matcher *m = matcher_new(r);
	/* the regexes run on every line at first; the bytes are found
	 * after some hundred runs */
	for (int round = 0; round < 200; round++) {
		struct th_event ev = extracted(
		    r, m, "a",
		    LINES("go", "  File \"a.py\", line 1", "Traceback (most",
			  " \tXT1", "", "7up", "ValueError: bad"));
		assert_field(&ev, TH_F_TASK, "T1");
		assert_field(&ev, TH_F_COROUTINE, "7up");
		assert_field(&ev, TH_F_EXCEPTION, "ValueError");
		assert_field(&ev, TH_F_MESSAGE, "bad");
		event_fini(&ev);
		ev = extracted(r, m, "a", LINES("go", "_Err", "\x80x", "\tx"));
		assert_field(&ev, TH_F_TASK, NULL);
		assert_field(&ev, TH_F_COROUTINE, NULL);
		assert_field(&ev, TH_F_EXCEPTION, "_Err");
		event_fini(&ev);
	}
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

/* The extract regexes of patterns/asyncio.yaml that read a task's repr:
 * matcher.c reads a regex of exactly this text without PCRE2 (its "task
 * reprs without a regex"); the same text with "(?:)" added means the same
 * and runs as a regex. */
#define REPR_TAIL                                                              \
	"(?:name=(?:'(?<task>(?:[^'\\\\]|\\\\.)*)'|\"(?<task>(?:[^\"\\\\]|"    \
	"\\\\.)*)\") )?coro=<(?<coroutine>[^\\s()]+)\\(\\)(?: done, defined "  \
	"at (?<defined_at>.+?:\\d+)>)?"
static const char *const repr_regexes[] = {
    "future'?: <\\w+ \\w+ " REPR_TAIL,
    "<\\w+ (?:pending|cancelling) " REPR_TAIL,
    "<Task \\w+ " REPR_TAIL,
};
#define N_REPR (sizeof repr_regexes / sizeof repr_regexes[0])

Test(matcher, the_task_repr_regexes_are_those_of_asyncio_yaml)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/asyncio.yaml", TH_TEST_PATTERNS_DIR);
	FILE *f = fopen(path, "rb");
	cr_assert(f != NULL, "cannot open %s", path);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	for (size_t k = 0; k < N_REPR; k++)
		cr_expect(strstr(text, repr_regexes[k]) != NULL,
			  "asyncio.yaml no longer has\n%s", repr_regexes[k]);
}

static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* A line near a task repr: a well-formed one cut, spliced and salted
 * with the bytes each part of the regexes turns on. */
static size_t repr_like_line(uint64_t *rng, char *out, size_t cap)
{
	static const char *const parts[] = {
	    "future",
	    "'future'",
	    "future'",
	    ": <",
	    "<",
	    "Task",
	    "Future",
	    "pending",
	    "cancelling",
	    "finished",
	    " ",
	    "  ",
	    "name=",
	    "'",
	    "\"",
	    "\\",
	    "\\'",
	    "\\\"",
	    "Task-12",
	    "coro=<",
	    "main",
	    "a.<locals>.b",
	    "x_1",
	    "()",
	    "(",
	    ")",
	    " done, defined at ",
	    "/tmp/a.py",
	    ":",
	    "12",
	    ">",
	    "\xc3\xa9",
	    "\t",
	    "\r",
	    "\n",
	    "\x01",
	    "\x0b",
	    "exception=E('x')",
	    "name=''",
	    "::",
	    ":>",
	    ":7>",
	    "a:",
	    "3>",
	    /* past the first 16 bytes of a name or of the line */
	    "patch.<locals>._factory.<locals>._coro_creating_hub",
	    "Task-1234567890123456789",
	    "abcdefghijklmnopq\\'rst",
	    "abcdefghijklmnopqrstuvwxyz\t",
	    "abcdefghijklmnopq\xc3\xa9",
	    "abcdefghijklmnopq(",
	    "abcdefghijklmnop)",
	    "                 ",
	};
	static const char *const good[] = {
	    "future: <Task finished name='Task-1' coro=<main() done, defined "
	    "at a.py:5> exception=E()>",
	    "'future': <Task pending coro=<a.b() done, defined at /x/y.py:12>>",
	    "task: <Task pending name=\"it's\" coro=<w.run() running at "
	    "a.py:3> wait_for=<Future pending>>",
	    "<Task cancelling name='a\\'b' coro=<f() done, defined at "
	    "c:\\d.py:9>>",
	    "Executing <Task pending coro=<g()>> took 0.2 seconds",
	    "future: <Task finished name='Task-123456789012' coro=<patch_"
	    "asyncio.<locals>._sentry_task_factory.<locals>._coro_creating_"
	    "hub_and_span() done, defined at /tmp/app/sentry_stub.py:305> "
	    "exception=ValueError('x')>",
	    "xxxxxxxxxxxxxxxxxxxx task: <Task pending name='a very long "
	    "\\'quoted\\' task name' coro=<a_rather_long_coroutine_name() "
	    "running at a.py:3>>",
	};
	size_t n = 0;
	const char *base =
	    good[next_random(rng) % (sizeof good / sizeof *good)];
	size_t base_n = strlen(base);
	size_t cut = next_random(rng) % (base_n + 1);
	size_t from =
	    next_random(rng) % 4 == 0 ? next_random(rng) % (cut + 1) : 0;
	memcpy(out, base + from, cut - from);
	n = cut - from;
	for (size_t k = next_random(rng) % 6; k > 0; k--) {
		const char *p =
		    parts[next_random(rng) % (sizeof parts / sizeof *parts)];
		size_t pn = strlen(p);
		size_t at = next_random(rng) % (n + 1);
		if (n + pn >= cap)
			break;
		memmove(out + at + pn, out + at, n - at);
		memcpy(out + at, p, pn);
		n += pn;
	}
	if (n > 0 && next_random(rng) % 3 == 0) { /* change a byte */
		static const char bytes[] = " x'\"(:<>\\_";
		out[next_random(rng) % n] =
		    bytes[next_random(rng) % (sizeof bytes - 1)];
	}
	if (n > 0 && next_random(rng) % 3 == 0) { /* drop a byte or two */
		size_t at = next_random(rng) % n;
		size_t drop = 1 + (at + 1 < n && next_random(rng) % 2);
		memmove(out + at, out + at + drop, n - at - drop);
		n -= drop;
	}
	if (next_random(rng) % 2 && n + (base_n - cut) < cap) {
		memcpy(out + n, base + cut, base_n - cut);
		n += base_n - cut;
	}
	return n;
}

static void expect_same_field(const struct th_event *fast,
			      const struct th_event *slow, enum th_field f,
			      const char *line, size_t n)
{
	struct th_span a = event_get(fast, f), b = event_get(slow, f);
	cr_assert(
	    (a.p == NULL) == (b.p == NULL) &&
		(a.p == NULL || (a.n == b.n && memcmp(a.p, b.p, a.n) == 0)),
	    "%s: '%.*s' without the regex, '%.*s' with it, on\n%.*s",
	    catalog_field_name(f), (int)a.n, a.p ? a.p : "", (int)b.n,
	    b.p ? b.p : "", (int)n, line);
}

/* Rules r<K>fast and r<K>slow for each repr regex: the same extract,
 * the slow one with "(?:)" added so that it runs as a regex. */
static struct th_rules *load_repr_rules(void)
{
	char yaml[8192];
	size_t w = (size_t)snprintf(yaml, sizeof yaml, "rules:\n");
	for (size_t k = 0; k < N_REPR; k++)
		for (int slow = 0; slow < 2; slow++)
			w += (size_t)snprintf(
			    yaml + w, sizeof yaml - w,
			    "  - id: r%zu%s\n    start: 'go'\n    extract:\n"
			    "      - regex: |-\n          %s%s\n",
			    k, slow ? "slow" : "fast", repr_regexes[k],
			    slow ? "(?:)" : "");
	return load_yaml(yaml);
}

/* LINE (N bytes) gives each repr rule's fast and slow twin (R, read by
 * M) the same task, coroutine and defined_at. */
static void expect_repr_read_alike(const struct th_rules *r,
				   struct th_matcher *m, const char *line,
				   size_t n)
{
	for (size_t k = 0; k < N_REPR; k++) {
		char id[16];
		struct th_event ev[2];
		for (int slow = 0; slow < 2; slow++) {
			snprintf(id, sizeof id, "r%zu%s", k,
				 slow ? "slow" : "fast");
			make_event(&ev[slow], r, id, LINES("go", line));
			rules_extract(m, &ev[slow], NULL);
		}
		expect_same_field(&ev[0], &ev[1], TH_F_TASK, line, n);
		expect_same_field(&ev[0], &ev[1], TH_F_COROUTINE, line, n);
		expect_same_field(&ev[0], &ev[1], TH_F_DEFINED_AT, line, n);
		event_fini(&ev[0]);
		event_fini(&ev[1]);
	}
}

Test(matcher, a_task_repr_is_read_as_its_regex_reads_it)
{
	struct th_rules *r = load_repr_rules();
	struct th_matcher *m = matcher_new(r);
	uint64_t rng = 0x9e3779b97f4a7c15u;
	char line[1200];
	for (size_t i = 0; i < 30000; i++) {
		size_t n = repr_like_line(&rng, line, sizeof line);
		line[n] = '\0';
		expect_repr_read_alike(r, m, line, n);
	}
	cr_expect_eq(rules_match_errors(m), 0);
	matcher_free(m);
	rules_free(r);
}

/* A task repr cut short anywhere (its literals "future", ": <",
 * "pending ", "coro=<", "()", " done, defined at " ending with the line,
 * or a byte short of it) is read as its regex reads it. */
Test(matcher, a_task_repr_cut_anywhere_is_read_as_its_regex_reads_it)
{
	struct th_rules *r = load_repr_rules();
	struct th_matcher *m = matcher_new(r);
	static const char *const whole[] = {
	    "future: <Task finished name='Task-2' coro=<flaky() done, "
	    "defined at app.py:33> exception=ValueError('boom')>",
	    "future': <Task pending coro=<a.<locals>.b() done, defined at "
	    "x.py:7>",
	    "task: <Task pending name=\"it's\" coro=<flush() running at "
	    "app.py:44>",
	    "<Task cancelling coro=<c()",
	};
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
		for (size_t n = 0; n <= strlen(whole[i]); n++) {
			char line[256];
			snprintf(line, sizeof line, "%.*s", (int)n, whole[i]);
			expect_repr_read_alike(r, m, line, n);
		}
	matcher_free(m);
	rules_free(r);
}

/* patterns/asyncio.yaml's slow callback start is read without PCRE2
 * (matcher.c's "slow callback start without a regex"); the same pattern
 * with "(?:)" added runs as a regex. Both start on the same lines, among
 * listed ones and lines spliced at random from the pattern's pieces. */
Test(matcher, a_slow_callback_start_matches_as_its_regex)
{
#define SLOW_REGEX                                                             \
	"Executing <(?:Task|Handle|TimerHandle)\\b.*> took \\d+(?:\\.\\d+)? "  \
	"seconds"
	struct th_rules *fast = load_yaml("rules:\n"
					  "  - id: slow\n"
					  "    start: '" SLOW_REGEX "'\n");
	struct th_rules *slow = load_yaml("rules:\n"
					  "  - id: slow\n"
					  "    start: '" SLOW_REGEX "(?:)'\n");
#undef SLOW_REGEX
	struct th_matcher *mf = matcher_new(fast), *ms = matcher_new(slow);
	static const char *const lines[] = {
	    ("Executing <Task pending name='Task-1' coro=<main() running at "
	     "a.py:5> cb=[_run_until_complete_cb() at b.py:1]> took 0.153 "
	     "seconds"),
	    ("WARNING asyncio Executing <Handle on_tick() at a.py:3> took 2 "
	     "seconds"),
	    "Executing <TimerHandle when=12.5 cb()> took 1.5 seconds",
	    "Executing <Tasks x> took 1 seconds",
	    "Executing <Task> took 1 seconds",
	    "Executing <Task> took 1. seconds",
	    "Executing <Task> took .5 seconds",
	    "Executing <Task> took 1.5.2 seconds",
	    "Executing <Task> took 1 second",
	    "Executing <Task>> took 1 seconds",
	    "Executing <Task x\n> took 1 seconds",
	    "Executing <Task x\r> took 1 seconds",
	    "Executing <Task\xc3\xa9> took 1 seconds",
	    "Executing <Taskx> took 1 seconds Executing <Task> took 2 seconds",
	    "Executing <Task_ Executing <Handle> took 3 seconds",
	    "> took 1 seconds Executing <Task>",
	    "Executing <Task",
	    "Executing <Task> took 1 seconds\n",
	    "Executing <Task> took 1 seconds x> took 2 secs",
	    "Executing <Handle",
	    "",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct th_span line = {lines[i], strlen(lines[i])};
		long want = rules_match_start(ms, line);
		cr_assert(rules_match_start(mf, line) == want,
			  "line '%s': regex %ld", lines[i], want);
	}
	cr_expect(rules_match_start(
		      mf, (struct th_span){lines[0], strlen(lines[0])}) == 0);
	static const char *const pieces[] = {
	    "Executing <", "Task", "Handle", "TimerHandle", "> took ",
	    "1",	   "25",   ".",	     " seconds",    " second",
	    "x",	   " ",	   "_",	     ">",	    "\n",
	    "\xc3\xa9",	   "\r",   "9.",     "Execut",	    "<Task ",
	};
	uint64_t rng = 0x2545f4914f6cdd1du;
	char buf[700];
	for (size_t i = 0; i < 20000; i++) {
		size_t n = 0, k = next_random(&rng) % 16;
		for (size_t j = 0; j < k; j++) {
			const char *piece =
			    pieces[next_random(&rng) %
				   (sizeof pieces / sizeof pieces[0])];
			size_t len = strlen(piece);
			if (n + len >= sizeof buf)
				break;
			memcpy(buf + n, piece, len);
			n += len;
		}
		if (i % 500 == 0) /* past the length read without PCRE2 */
			while (n + 40 < sizeof buf) {
				memcpy(buf + n, "Executing <Task> took 7 ", 24);
				n += 24;
			}
		struct th_span line = {buf, n};
		long want = rules_match_start(ms, line);
		cr_assert(rules_match_start(mf, line) == want,
			  "line '%.*s': regex %ld", (int)n, buf, want);
	}
	cr_expect_eq(rules_match_errors(mf), 0);
	matcher_free(mf);
	matcher_free(ms);
	rules_free(fast);
	rules_free(slow);
}

/* A field is set once: by the first item (or the start pattern) that
 * sets it, and not by a later one; a regex all of whose fields are set
 * is not run, one with a field left sets only that one. */
/* patterns/python.yaml's exception line regex is read without PCRE2
 * (matcher.c's "exception lines without a regex"); the same regex with
 * "(?:)" added runs as a regex. Both set the same fields on each line. */
Test(matcher, an_exception_line_is_read_as_its_regex_reads_it)
{
#define EXC_REGEX "^(?<exception>[A-Za-z_][\\\\w.]*)(?:: (?<message>.+)|:?$)"
	struct th_rules *fast = load_yaml("rules:\n"
					  "  - id: x\n"
					  "    start: zzz\n"
					  "    extract:\n"
					  "      - regex: \"" EXC_REGEX "\"\n");
	struct th_rules *slow =
	    load_yaml("rules:\n"
		      "  - id: x\n"
		      "    start: zzz\n"
		      "    extract:\n"
		      "      - regex: \"" EXC_REGEX "(?:)\"\n");
#undef EXC_REGEX
	struct th_matcher *mf = matcher_new(fast), *ms = matcher_new(slow);
	static const char *const lines[] = {
	    "BrokenPipeError: [Errno 32] Broken pipe",
	    "Traceback (most recent call last):",
	    "KeyError",
	    "KeyError:",
	    "KeyError: ",
	    "KeyError:  x",
	    "a.b.c: x",
	    "_x: y: z",
	    "Err.:x",
	    "Err:x",
	    "9abc: x",
	    " Err: x",
	    "",
	    ":",
	    "Err\xc3\xa9: x",
	    "Err: \xc3\xa9",
	    "Err: a\nb",
	    "Err:\n",
	    "Err\n",
	    "Err: x\r",
	    "Err\r",
	};
	enum th_field fields[] = {TH_F_EXCEPTION, TH_F_MESSAGE};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct th_event a = extracted(fast, mf, "x", LINES(lines[i]));
		struct th_event b = extracted(slow, ms, "x", LINES(lines[i]));
		for (size_t f = 0; f < 2; f++) {
			struct th_span va = event_get(&a, fields[f]),
				       vb = event_get(&b, fields[f]);
			cr_assert(
			    event_has(&a, fields[f]) ==
				    event_has(&b, fields[f]) &&
				va.n == vb.n &&
				(va.n == 0 || memcmp(va.p, vb.p, va.n) == 0),
			    "line '%s': %s '%.*s', regex '%.*s'", lines[i],
			    catalog_field_name(fields[f]), (int)va.n, va.p,
			    (int)vb.n, vb.p);
		}
		event_fini(&a);
		event_fini(&b);
	}
	struct th_event ev = extracted(fast, mf, "x", LINES(lines[0]));
	assert_field(&ev, TH_F_EXCEPTION, "BrokenPipeError");
	assert_field(&ev, TH_F_MESSAGE, "[Errno 32] Broken pipe");
	event_fini(&ev);
	ev = extracted(fast, mf, "x", LINES(lines[3]));
	assert_field(&ev, TH_F_EXCEPTION, "KeyError");
	assert_field(&ev, TH_F_MESSAGE, NULL);
	event_fini(&ev);
	matcher_free(mf);
	matcher_free(ms);
	rules_free(fast);
	rules_free(slow);
}

/* An extract regex is tried on the kept lines in order, the head's and
 * then the tail's (past TH_EVENT_HEAD_LINES, after lines not kept): the
 * first line it matches sets the field. */
Test(matcher, an_extract_regex_reads_head_and_tail_lines_in_order)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: long\n"
		      "    start: 'go'\n"
		      "    extract:\n"
		      "      - regex: 'at (?<task>[a-z]+\\d+)'\n");
	struct th_matcher *m = matcher_new(r);
	/* where the line that matches is, and how many lines in all */
	static const size_t places[][2] = {
	    {1, 3}, {2, 3}, {399, 700}, {500, 700}, {600, 700}, {699, 700},
	};
	for (size_t k = 0; k < sizeof places / sizeof places[0]; k++) {
		struct th_event ev;
		make_event(&ev, r, "long", LINES("go"));
		char line[64], want[32];
		for (size_t i = 1; i < places[k][1]; i++) {
			if (i == places[k][0])
				snprintf(line, sizeof line, "  at line%zu", i);
			else if (i > places[k][0])
				snprintf(line, sizeof line, "  at later%zu", i);
			else
				snprintf(line, sizeof line, "  filler %zu", i);
			event_add_line(&ev,
				       (struct th_span){line, strlen(line)});
		}
		rules_extract(m, &ev, NULL);
		snprintf(want, sizeof want, "line%zu", places[k][0]);
		assert_field(&ev, TH_F_TASK, want);
		event_fini(&ev);
	}
	matcher_free(m);
	rules_free(r);
}

Test(matcher, a_field_set_first_stays_set)
{
	struct th_rules *r = load_yaml(
	    "rules:\n"
	    "  - id: a\n"
	    "    start: 'go (?<task>\\w+)'\n"
	    "    extract:\n"
	    "      - regex: 'task=(?<task>\\w+)'\n"
	    "      - regex: 't=(?<task>\\w+) c=(?<coroutine>\\w+)'\n"
	    "      - regex: 'c=(?<coroutine>\\w+) e=(?<exception>\\w+)'\n"
	    "      - builtin: traceback.exception\n"
	    "      - regex: 'x=(?<exception>\\w+)'\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev = extracted(
	    r, m, "a", LINES("go T0 task=T1", "t=T2 c=C2", "c=C3 e=E3", "x=X"));
	assert_field(&ev, TH_F_TASK, "T0");
	assert_field(&ev, TH_F_COROUTINE, "C2");
	assert_field(&ev, TH_F_EXCEPTION, "E3");
	event_fini(&ev);

	/* a builtin's fact, and a field set before the extract */
	make_event(&ev, r, "a", LINES("go T0", "t=T2 c=C2", "x=X"));
	event_set(&ev, TH_F_COROUTINE, (struct th_span){"C0", 2});
	struct th_facts facts = {0};
	facts.value[TH_BUILTIN_EXCEPTION] = (struct th_span){"KeyError", 8};
	rules_extract(m, &ev, &facts);
	assert_field(&ev, TH_F_COROUTINE, "C0");
	assert_field(&ev, TH_F_EXCEPTION, "KeyError");
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}
