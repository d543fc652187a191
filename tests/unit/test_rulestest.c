/* test_rulestest.c - the assembler's and classifier's probes, and the
 * `rules test` printout built on them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "pipeline.h"
#include "rules.h"
#include "rulestest.h"
#include "run.h"
#include "trigger.h"

/* ---- the probes, one record at a time ----------------------------------- */

#define SEEN_MAX 64

/* What the probes saw, as a string like "O1 S2 C3 E5 O6": the kind of
 * each probe call (Start, Cont, Held, Outside, End, Ignored) and the line
 * (the event's last line for E and I). */
struct seen {
	const struct th_rules *rules;
	char log[1024];
	char rule[64];	  /* rule of the last START */
	char ignore[64];  /* ignore rule of the last drop */
	size_t delivered; /* events the classifier delivered */
};

static void note(struct seen *s, char what, uint64_t line)
{
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof s->log - n, "%s%c%lu", n ? " " : "", what,
		 (unsigned long)line);
}

static void on_probe(void *ctx, const struct th_probe *p)
{
	struct seen *s = ctx;
	switch (p->what) {
	case TH_PROBE_START:
		snprintf(s->rule, sizeof s->rule, "%s",
			 rules_id(s->rules, p->rule));
		note(s, 'S', p->rec->number);
		break;
	case TH_PROBE_CONT: note(s, 'C', p->rec->number); break;
	case TH_PROBE_HELD: note(s, 'H', p->rec->number); break;
	case TH_PROBE_OUTSIDE: note(s, 'O', p->rec->number); break;
	case TH_PROBE_END: note(s, 'E', p->ev->end_line); break;
	}
}

static void on_ignored(void *ctx, const struct th_event *ev, size_t ignore)
{
	struct seen *s = ctx;
	snprintf(s->ignore, sizeof s->ignore, "%s",
		 rules_ignore_id(s->rules, ignore));
	note(s, 'I', ev->end_line);
}

static void on_deliver(void *ctx, const struct th_event *ev)
{
	struct seen *s = ctx;
	(void)ev;
	s->delivered++;
}

static struct th_rules *load(const char *extra_yaml)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(r, TH_TEST_PATTERNS_DIR, &err), "%s",
		  err.message);
	if (extra_yaml)
		cr_assert(rules_load_buffer(r, "extra.yaml", extra_yaml,
					    strlen(extra_yaml), &err),
			  "%s", err.message);
	cr_assert(rules_finish(r, &err), "%s", err.message);
	return r;
}

/* Feeds TEXT line by line with both probes set; fills S. */
static void probe_run(const char *text, const char *extra_yaml, struct seen *s)
{
	memset(s, 0, sizeof *s);
	struct th_rules *rules = load(extra_yaml);
	s->rules = rules;
	struct th_trigger *t = pipeline_trigger_new(rules, false);
	struct th_run run;
	run_init(&run, rules_ignore_count(rules));
	struct th_pipeline_setup ps = {.rules = rules,
				       .trigger = t,
				       .run = &run,
				       .deliver = on_deliver,
				       .ctx = s};
	struct th_pipeline *p = pipeline_new(&ps);
	pipeline_set_probes(p, on_probe, on_ignored, s);
	pipeline_feed_text(p, text);
	pipeline_free(p);
	run_fini(&run);
	trigger_free(t);
	s->rules = NULL;
	rules_free(rules);
}

static const char never_retrieved[] =
    "2024-05-01 10:00:00,000 INFO [app] starting\n"
    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception was never "
    "retrieved\n"
    "future: <Task finished name='Task-2' coro=<fetch_user() done, defined "
    "at app.py:41> exception=ConnectionError('down')>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 43, in fetch_user\n"
    "ConnectionError: down\n"
    "2024-05-01 10:00:02,000 INFO [app] done\n";

Test(probe, tells_start_cont_and_end_of_an_event_and_the_lines_outside)
{
	struct seen s;
	probe_run(never_retrieved, NULL, &s);
	cr_expect_str_eq(s.log, "O1 S2 C3 C4 C5 C6 E6 O7", "got %s", s.log);
	cr_expect_str_eq(s.rule, "asyncio.exception-never-retrieved");
	cr_expect_eq(s.delivered, 1);
}

Test(probe, blank_lines_are_held_until_a_chain_separator_joins_them)
{
	struct seen s;
	probe_run("Traceback (most recent call last):\n"
		  "  File \"x.py\", line 1, in <module>\n"
		  "KeyError: 1\n"
		  "\n"
		  "During handling of the above exception, another exception "
		  "occurred:\n"
		  "\n"
		  "Traceback (most recent call last):\n"
		  "  File \"x.py\", line 3, in g\n"
		  "TimeoutError: t\n",
		  NULL, &s);
	cr_expect_str_eq(s.log, "S1 C2 C3 H4 C5 C6 C7 C8 C9 E9", "got %s",
			 s.log);
}

Test(probe, held_blank_lines_are_outside_when_the_event_ends_before_them)
{
	struct seen s;
	probe_run("Traceback (most recent call last):\n"
		  "  File \"x.py\", line 1, in <module>\n"
		  "KeyError: 1\n"
		  "\n"
		  "\n"
		  "INFO next\n",
		  NULL, &s);
	cr_expect_str_eq(s.log, "S1 C2 C3 H4 H5 E3 O6", "got %s", s.log);
}

Test(probe, end_of_input_closes_the_open_event)
{
	struct seen s;
	probe_run("Traceback (most recent call last):\n"
		  "  File \"x.py\", line 1, in <module>\n",
		  NULL, &s);
	cr_expect_str_eq(s.log, "S1 C2 E2", "got %s", s.log);
}

Test(probe, a_one_line_rule_starts_and_ends_on_its_record)
{
	struct seen s;
	probe_run("a\njob sync failed\nb\n",
		  "rules:\n"
		  "  - id: x.job\n"
		  "    start: 'job (?<coroutine>\\w+) failed'\n",
		  &s);
	cr_expect_str_eq(s.log, "O1 S2 E2 O3", "got %s", s.log);
	cr_expect_str_eq(s.rule, "x.job");
}

Test(probe, ignore_probe_names_the_ignore_rule_that_dropped_the_event)
{
	struct seen s;
	probe_run(never_retrieved,
		  "ignore:\n"
		  "  - id: no-connection-errors\n"
		  "    exception: '^ConnectionError$'\n",
		  &s);
	cr_expect_str_eq(s.log, "O1 S2 C3 C4 C5 C6 I6 E6 O7", "got %s", s.log);
	cr_expect_str_eq(s.ignore, "no-connection-errors");
	cr_expect_eq(s.delivered, 0);
}

/* ---- the printout ------------------------------------------------------- */

/* Runs `rules test` on TEXT (written to a temporary file) and returns
 * what it printed (caller frees); *FOUND gets rulestest_found. */
static char *rules_test(const char *text, const char *extra_yaml, bool verbose,
			uint64_t *found)
{
	char path[] = "/tmp/test_rulestest_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	size_t len = strlen(text);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	struct th_rules *rules = load(extra_yaml);
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	struct th_rulestest_options o = {.verbose = verbose};
	struct th_rulestest *t = rulestest_new(rules, out, &o);
	cr_expect(rulestest_path(t, path));
	cr_expect(rulestest_finish(t));
	*found = rulestest_found(t);
	rulestest_free(t);
	fclose(out);
	rules_free(rules);
	unlink(path);
	return buf;
}

static void expect_has(const char *out, const char *want)
{
	cr_expect(strstr(out, want) != NULL, "missing \"%s\" in:\n%s", want,
		  out);
}

Test(rulestest, prints_each_line_of_an_event_and_the_fields_it_took)
{
	uint64_t found;
	char *out = rules_test(never_retrieved, NULL, false, &found);
	expect_has(out, "     2 start  asyncio.exception-never-retrieved | "
			"2024-05-01 10:00:01,123 ERROR [asyncio] Task "
			"exception was never retrieved\n");
	expect_has(out, "     3 cont   | future: <Task finished");
	expect_has(out, "     6 cont   | ConnectionError: down\n");
	expect_has(out, "     6 end    -> coroutine=fetch_user "
			"exception=ConnectionError message=down task=Task-2 "
			"defined_at=app.py:41 "
			"culprit=\"app.py:43 in fetch_user\" "
			"time=2024-05-01T10:00:01.123\n");
	cr_expect(strstr(out, "starting") == NULL,
		  "a line outside events is shown without --verbose:\n%s", out);
	expect_has(out, "summary: 7 lines read from 1 input, 1 event found, "
			"0 dropped by ignore rules");
	expect_has(out, "      1        0           0  "
			"asyncio.exception-never-retrieved\n");
	expect_has(out, "      0        0           0  python.traceback\n");
	cr_expect_eq(found, 1);
	free(out);
}

Test(rulestest, verbose_shows_the_lines_outside_events_too)
{
	uint64_t found;
	char *out = rules_test(never_retrieved, NULL, true, &found);
	expect_has(out, "     1        | 2024-05-01 10:00:00,000 INFO [app] "
			"starting\n");
	expect_has(out, "     7        | 2024-05-01 10:00:02,000 INFO [app] "
			"done\n");
	free(out);
}

Test(rulestest, held_blank_lines_print_in_order_once_decided)
{
	uint64_t found;
	char *out = rules_test("Traceback (most recent call last):\n"
			       "  File \"x.py\", line 1, in f\n"
			       "KeyError: 1\n"
			       "\n"
			       "INFO next\n",
			       NULL, true, &found);
	expect_has(out,
		   "     3 cont   | KeyError: 1\n"
		   "     3 end    -> coroutine=f exception=KeyError message=1 "
		   "culprit=\"x.py:1 in f\"\n"
		   "     4        |\n"
		   "     5        | INFO next\n");
	free(out);
}

Test(rulestest, dropped_events_name_their_ignore_rule_and_are_counted)
{
	uint64_t found;
	char *out = rules_test(never_retrieved,
			       "ignore:\n"
			       "  - id: no-connection-errors\n"
			       "    exception: '^ConnectionError$'\n",
			       false, &found);
	expect_has(out, "     6 ignore -> dropped by no-connection-errors: "
			"coroutine=fetch_user exception=ConnectionError");
	expect_has(out, "      1        1           0  "
			"asyncio.exception-never-retrieved\n");
	expect_has(out, "dropped  ignore rule\n"
			"      1  no-connection-errors\n");
	cr_expect_eq(found, 1, "a dropped event was still found");
	free(out);
}

Test(rulestest, long_lines_are_cut_and_values_with_blanks_quoted)
{
	char text[600];
	snprintf(text, sizeof text,
		 "job a b failed %0300d\n"
		 "Traceback (most recent call last):\n"
		 "  File \"my app.py\", line 1, in f\n",
		 0);
	uint64_t found;
	char *out =
	    rules_test(text,
		       "rules:\n"
		       "  - id: x.job\n"
		       "    start: 'job (?<coroutine>\\w+ \\w+) failed'\n",
		       false, &found);
	expect_has(out, "end    -> coroutine=\"a b\"\n");
	expect_has(out, "0000\xE2\x80\xA6\n");
	expect_has(out, "[incomplete: cut off]");
	cr_expect_eq(found, 2);
	free(out);
}
