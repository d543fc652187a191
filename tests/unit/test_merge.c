/* test_merge.c - the report reader: reports merged add up to the report
 * of the whole input, in any order and grouping; counts, lists, first and
 * last, ids the local rules do not know; malformed and foreign reports
 * refused with the report and the field named.
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "report.h"
#include "scan.h"

/* ---- helpers ------------------------------------------------------------ */

/* The JSON report (a new string) of scanning TEXT as input NAME, grouped
 * by KEYS, with the default rules and EXTRA_YAML. */
static char *scan_report(const char *text, const char *name,
			 const enum th_key *keys, size_t n_keys,
			 const char *extra_yaml)
{
	struct th_rules *rules = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(rules, TH_TEST_PATTERNS_DIR, &err), "%s",
		  err.message);
	if (extra_yaml != NULL)
		cr_assert(rules_load_buffer(rules, "extra.yaml", extra_yaml,
					    strlen(extra_yaml), &err),
			  "%s", err.message);
	cr_assert(rules_finish(rules, &err), "%s", err.message);
	char dir[] = "/tmp/test_merge_XXXXXX";
	cr_assert(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f != NULL);
	fputs(text, f);
	fclose(f);
	cr_assert(chdir(dir) == 0);

	struct th_run run;
	run_init(&run, rules_ignore_count(rules));
	struct th_agg *agg = agg_new(rules_catalog(rules), keys, n_keys);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct th_report_ctx ctx = {.out = out,
				    .catalog = rules_catalog(rules),
				    .agg = agg,
				    .run = &run,
				    .version = "test"};
	struct th_sink *sink = report_json_new(&ctx);
	struct th_scanner *s = scanner_new(rules, agg, sink, &run, NULL);
	scanner_scan_path(s, name);
	scanner_finish(s);
	cr_assert(sink->finish(sink));
	scanner_free(s);
	sink->free(sink);
	agg_free(agg);
	run_fini(&run);
	rules_free(rules);
	fclose(out);
	unlink(name);
	cr_assert(chdir("/") == 0);
	rmdir(dir);
	return buf;
}

static const enum th_key by_coroutine[] = {TH_KEY_COROUTINE};

/* Merges the N reports (each named "rN.json") and returns the merged JSON
 * report as a new string; fails the test on a merge error. */
static char *merge_reports(char *const *reports, size_t n)
{
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	char name[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof name, "r%zu.json", i);
		cr_assert(merge_check_buffer(m, name, reports[i],
					     strlen(reports[i]), &err),
			  "%s: %s", err.file, err.message);
	}
	cr_assert(merge_prepare(m, &err), "%s", err.message);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof name, "r%zu.json", i);
		cr_assert(merge_add_buffer(m, name, reports[i],
					   strlen(reports[i]), &err),
			  "%s: %s", err.file, err.message);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct th_report_ctx ctx = {.out = out,
				    .catalog = merge_catalog(m),
				    .agg = merge_agg(m),
				    .run = merge_run(m),
				    .version = "test"};
	struct th_sink *sink = report_json_new(&ctx);
	cr_assert(sink->finish(sink));
	sink->free(sink);
	merge_free(m);
	fclose(out);
	return buf;
}

/* The error a merge of REPORT (named "bad.json") gives, or "" if none. */
static const char *merge_error(const char *report)
{
	static char msg[2048];
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	bool ok =
	    merge_check_buffer(m, "bad.json", report, strlen(report), &err);
	snprintf(msg, sizeof msg, "%s", ok ? "" : err.message);
	cr_expect(ok || strcmp(err.file, "bad.json") == 0,
		  "the error names the report: %s", err.file);
	merge_free(m);
	return msg;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_ALLOW_NUL, &e);
	cr_assert(j != NULL, "not JSON (%s): %s", e.text, text);
	return j;
}

/* The report without what depends on how it was split: the input names
 * and the tool version. */
static json_t *comparable(const char *text)
{
	json_t *j = parse(text);
	json_object_del(json_object_get(j, "scanned"), "inputs");
	json_object_del(j, "tool");
	return j;
}

static void expect_same(const char *got, const char *want, const char *what)
{
	json_t *g = comparable(got), *w = comparable(want);
	cr_expect(json_equal(g, w), "%s:\n--- got\n%s\n--- want\n%s", what, got,
		  want);
	json_decref(g);
	json_decref(w);
}

/* ---- test data ---------------------------------------------------------- */

/* Three parts of one log, cut between records; every event has a time, so
 * first and last do not depend on input names. */
static const char part1[] =
    "2024-05-01 10:00:00,000 INFO [app] starting\n"
    "2024-05-01 10:00:01,123 ERROR [asyncio] Task exception was never "
    "retrieved\n"
    "future: <Task finished name='Task-2' coro=<fetch_user() done, defined "
    "at app.py:41> exception=ConnectionError('down')>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 43, in fetch_user\n"
    "ConnectionError: down\n";
static const char part2[] =
    "2024-05-01 10:00:02,000 ERROR [asyncio] Task exception was never "
    "retrieved\n"
    "future: <Task finished name='Task-10' coro=<fetch_user() done, "
    "defined at app.py:41> exception=TimeoutError()>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 44, in fetch_user\n"
    "TimeoutError\n"
    "2024-05-01 10:00:02,500 ERROR [asyncio] Task was destroyed but it is "
    "pending!\n"
    "task: <Task pending name='Task-11' coro=<poll() running at "
    "app.py:9>>\n";
static const char part3[] =
    "2024-05-01 10:00:03,000 ERROR [app] request failed\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 50, in handler\n"
    "KeyError: 'x'\n"
    "2024-05-01 10:00:04,000 ERROR [asyncio] Task exception was never "
    "retrieved\n"
    "future: <Task finished name='Task-3' coro=<fetch_user() done, defined "
    "at app.py:41> exception=ConnectionError('down')>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 43, in fetch_user\n"
    "ConnectionError: down\n";

static char *whole_text(void)
{
	size_t n = strlen(part1) + strlen(part2) + strlen(part3) + 1;
	char *t = malloc(n);
	snprintf(t, n, "%s%s%s", part1, part2, part3);
	return t;
}

/* ---- merging adds up ---------------------------------------------------- */

Test(merge, reports_of_the_parts_add_up_to_the_report_of_the_whole)
{
	char *text = whole_text();
	char *whole = scan_report(text, "all.log", by_coroutine, 1, NULL);
	char *parts[3] = {
	    scan_report(part1, "a.log", by_coroutine, 1, NULL),
	    scan_report(part2, "b.log", by_coroutine, 1, NULL),
	    scan_report(part3, "c.log", by_coroutine, 1, NULL),
	};
	/* first/last name the part files: compare them by time only. */
	char *merged = merge_reports(parts, 3);
	json_t *m = parse(merged), *w = parse(whole);
	cr_expect_eq(json_integer_value(json_object_get(m, "events")), 5);
	json_t *mg = json_object_get(m, "groups"),
	       *wg = json_object_get(w, "groups");
	cr_assert_eq(json_array_size(mg), json_array_size(wg));
	for (size_t i = 0; i < json_array_size(mg); i++) {
		json_t *x = json_array_get(mg, i), *y = json_array_get(wg, i);
		static const char *const same[] = {
		    "key",   "count",	   "rules",   "exceptions", "severity",
		    "tasks", "defined_at", "example", "culprit",    "message"};
		for (size_t f = 0; f < sizeof same / sizeof same[0]; f++)
			cr_expect(json_equal(json_object_get(x, same[f]),
					     json_object_get(y, same[f])),
				  "group %zu, %s differs:\n%s", i, same[f],
				  merged);
		for (size_t f = 0; f < 2; f++) {
			const char *w = f ? "last" : "first";
			cr_expect(
			    json_equal(
				json_object_get(json_object_get(x, w), "time"),
				json_object_get(json_object_get(y, w), "time")),
			    "group %zu, %s.time differs", i, w);
		}
	}
	json_t *ms = json_object_get(m, "scanned");
	cr_expect_eq(json_integer_value(json_object_get(ms, "lines")),
		     json_integer_value(json_object_get(
			 json_object_get(w, "scanned"), "lines")));
	cr_expect_eq(json_array_size(json_object_get(ms, "inputs")), 3);
	json_decref(m);
	json_decref(w);
	free(merged);
	free(whole);
	for (size_t i = 0; i < 3; i++)
		free(parts[i]);
	free(text);
}

Test(merge, order_and_grouping_of_merges_do_not_matter)
{
	char *p[3] = {
	    scan_report(part1, "a.log", by_coroutine, 1, NULL),
	    scan_report(part2, "b.log", by_coroutine, 1, NULL),
	    scan_report(part3, "c.log", by_coroutine, 1, NULL),
	};
	char *abc = merge_reports(p, 3);
	char *cab = merge_reports((char *[]){p[2], p[0], p[1]}, 3);
	char *ab = merge_reports((char *[]){p[0], p[1]}, 2);
	char *ab_c = merge_reports((char *[]){ab, p[2]}, 2);
	char *bc = merge_reports((char *[]){p[1], p[2]}, 2);
	char *a_bc = merge_reports((char *[]){p[0], bc}, 2);
	char *cb_a = merge_reports((char *[]){bc, p[0]}, 2);
	/* The whole report, input names included. */
	json_t *want = parse(abc);
	const char *others[] = {cab, ab_c, a_bc, cb_a};
	for (size_t i = 0; i < 4; i++) {
		json_t *got = parse(others[i]);
		cr_expect(json_equal(got, want), "merge %zu differs:\n%s\n%s",
			  i, others[i], abc);
		json_decref(got);
	}
	json_decref(want);
	char *all[] = {p[0], p[1], p[2], abc, cab, ab, ab_c, bc, a_bc, cb_a};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		free(all[i]);
}

Test(merge, merging_one_report_again_changes_nothing)
{
	char *text = whole_text();
	char *r = scan_report(text, "all.log", by_coroutine, 1, NULL);
	char *once = merge_reports(&r, 1);
	char *twice = merge_reports(&once, 1);
	cr_expect_str_eq(once, twice);
	expect_same(once, r, "merging one report gives that report");
	free(text);
	free(r);
	free(once);
	free(twice);
}

Test(merge, a_report_merged_with_itself_counts_twice)
{
	char *r = scan_report(part1, "a.log", by_coroutine, 1, NULL);
	char *two = merge_reports((char *[]){r, r}, 2);
	json_t *j = parse(two);
	json_t *g = json_array_get(json_object_get(j, "groups"), 0);
	cr_expect_eq(json_integer_value(json_object_get(g, "count")), 2);
	cr_expect_eq(json_integer_value(json_object_get(
			 json_object_get(g, "exceptions"), "ConnectionError")),
		     2);
	cr_expect_eq(json_integer_value(json_object_get(j, "events")), 2);
	cr_expect_eq(json_array_size(json_object_get(g, "tasks")), 1);
	cr_expect_eq(json_integer_value(json_object_get(
			 json_object_get(j, "scanned"), "lines")),
		     12);
	json_decref(j);
	free(r);
	free(two);
}

Test(merge, several_reports_in_one_buffer_are_each_merged)
{
	char *a = scan_report(part1, "a.log", by_coroutine, 1, NULL);
	char *b = scan_report(part2, "b.log", by_coroutine, 1, NULL);
	size_t n = strlen(a) + strlen(b) + 1;
	char *both = malloc(n);
	snprintf(both, n, "%s%s", a, b);
	char *one = merge_reports(&both, 1);
	char *two = merge_reports((char *[]){a, b}, 2);
	cr_expect_str_eq(one, two);
	free(a);
	free(b);
	free(both);
	free(one);
	free(two);
}

/* ---- hand-written reports ------------------------------------------------ */

static void expect_refused(const char *report, const char *want);

/* A report with one group, FIELDS being the group's JSON members after
 * "key" (each test writes what it needs). */
static char *report(const char *key, const char *group_fields,
		    const char *ignored, const char *input)
{
	static const char fmt[] =
	    "{\"schema\": \"tracehound.report/1\",\n"
	    " \"tool\": {\"name\": \"tracehound\", \"version\": \"9\"},\n"
	    " \"scanned\": {\"inputs\": [{\"name\": \"%s\", \"lines\": 10, "
	    "\"bytes\": 100}], \"lines\": 10, \"bytes\": 100},\n"
	    " \"events\": 1,\n"
	    " \"groups\": [{\"key\": %s, %s}],\n"
	    " \"ignored\": %s,\n"
	    " \"skipped\": {\"lines_truncated\": 1, \"events_truncated\": "
	    "0, \"events_incomplete\": 0, \"match_errors\": 0, "
	    "\"groups_dropped\": 0}}\n";
	char *r;
	cr_assert(asprintf(&r, fmt, input, key, group_fields, ignored) > 0);
	return r;
}

static char *group(const char *rules, const char *severity, const char *tasks,
		   const char *first_time, const char *example)
{
	static const char fmt[] =
	    "\"count\": 1, \"rules\": %s, \"exceptions\": {\"E\": 1}, "
	    "\"severity\": \"%s\", \"tasks\": %s, \"defined_at\": [], "
	    "\"first\": {\"input\": \"x.log\", \"line\": 5, \"time\": "
	    "\"%s\"}, \"last\": {\"input\": \"x.log\", \"line\": 5, "
	    "\"time\": \"%s\"}, \"example\": \"%s\"";
	char *g;
	cr_assert(asprintf(&g, fmt, rules, severity, tasks, first_time,
			   first_time, example) > 0);
	return g;
}

Test(merge, rule_and_ignore_ids_unknown_here_are_kept)
{
	char *g = group("{\"myapp.job-failed\": 1}", "warning", "[]",
			"2024-01-01T00:00:00", "job failed");
	char *r =
	    report("{\"coroutine\": \"sync\"}", g, "{\"health\": 7}", "x.log");
	char *h = group("{\"asyncio.exception-never-retrieved\": 1}", "error",
			"[]", "2024-01-01T00:00:01", "boom");
	char *s =
	    report("{\"coroutine\": \"sync\"}", h, "{\"health\": 1}", "y.log");
	char *merged = merge_reports((char *[]){r, s}, 2);
	json_t *j = parse(merged);
	json_t *g0 = json_array_get(json_object_get(j, "groups"), 0);
	json_t *rules = json_object_get(g0, "rules");
	cr_expect_eq(
	    json_integer_value(json_object_get(rules, "myapp.job-failed")), 1,
	    "%s", merged);
	cr_expect_eq(json_integer_value(json_object_get(
			 rules, "asyncio.exception-never-retrieved")),
		     1);
	cr_expect_str_eq(json_string_value(json_object_get(g0, "severity")),
			 "error", "the highest severity");
	cr_expect_eq(json_integer_value(json_object_get(
			 json_object_get(j, "ignored"), "health")),
		     8, "%s", merged);
	cr_expect_eq(json_integer_value(json_object_get(
			 json_object_get(j, "skipped"), "lines_truncated")),
		     2);
	cr_expect_str_eq(json_string_value(json_object_get(g0, "example")),
			 "job failed", "the example follows first");
	json_decref(j);
	free(g);
	free(h);
	free(r);
	free(s);
	free(merged);
}

Test(merge, the_catalog_holds_the_ids_the_reports_name_sorted)
{
	char *g = group("{\"zeta.rule\": 1, \"alpha.rule\": 2}", "warning",
			"[]", "2024-01-01T00:00:00", "e");
	char *r = report("{\"coroutine\": \"c\"}", g,
			 "{\"quiet\": 0, \"loud\": 3}", "a.log");
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	cr_assert(merge_check_buffer(m, "r.json", r, strlen(r), &err), "%s",
		  err.message);
	cr_assert(merge_prepare(m, &err), "%s", err.message);
	const struct th_catalog *c = merge_catalog(m);
	cr_assert_eq(catalog_rule_count(c), 2);
	cr_expect_str_eq(catalog_rule_id(c, 0), "alpha.rule");
	cr_expect_str_eq(catalog_rule_id(c, 1), "zeta.rule");
	cr_assert_eq(catalog_ignore_count(c), 2);
	cr_expect_str_eq(catalog_ignore_id(c, 0), "loud");
	cr_expect_str_eq(catalog_ignore_id(c, 1), "quiet");
	merge_free(m);
	free(g);
	free(r);
}

Test(merge, reports_naming_no_rule_get_one_placeholder_rule)
{
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	cr_assert(merge_prepare(m, &err), "%s", err.message);
	const struct th_catalog *c = merge_catalog(m);
	cr_assert_eq(catalog_rule_count(c), 1);
	cr_expect_str_eq(catalog_rule_id(c, 0), "merge.none");
	cr_expect_eq(catalog_ignore_count(c), 0);
	merge_free(m);
}

/* "[\"Task-FROM\", ..., \"Task-TO\"]" */
static void task_list(char *buf, size_t cap, int from, int to)
{
	size_t at = (size_t)snprintf(buf, cap, "[");
	for (int i = from; i <= to; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%s\"Task-%d\"",
				       i > from ? ", " : "", i);
	snprintf(buf + at, cap - at, "]");
}

Test(merge, capped_lists_keep_the_smallest_of_the_union_and_say_so)
{
	char ta[512], tb[512];
	task_list(ta, sizeof ta, 1, 15);
	task_list(tb, sizeof tb, 9, 30);
	char *ga =
	    group("{\"x.r\": 1}", "error", ta, "2024-01-01T00:00:00", "a");
	char *gb =
	    group("{\"x.r\": 1}", "error", tb, "2024-01-01T00:00:00", "b");
	char *a = report("{\"coroutine\": null}", ga, "{}", "a.log");
	char *b = report("{\"coroutine\": null}", gb, "{}", "b.log");
	char *merged = merge_reports((char *[]){b, a}, 2);
	json_t *j = parse(merged);
	json_t *g = json_array_get(json_object_get(j, "groups"), 0);
	json_t *tasks = json_object_get(g, "tasks");
	cr_expect_eq(json_array_size(tasks), TH_MAX_LIST);
	cr_expect_str_eq(json_string_value(json_array_get(tasks, 0)), "Task-1");
	cr_expect_str_eq(
	    json_string_value(json_array_get(tasks, TH_MAX_LIST - 1)),
	    "Task-20");
	cr_expect(json_is_true(json_object_get(g, "tasks_capped")));
	cr_expect(json_is_null(
	    json_object_get(json_object_get(g, "key"), "coroutine")));
	json_decref(j);
	char *all[] = {ga, gb, a, b, merged};
	for (size_t i = 0; i < 5; i++)
		free(all[i]);
}

Test(merge, first_and_last_widen_by_time_and_the_example_follows_first)
{
	char *early = group("{\"x.r\": 1}", "info", "[]",
			    "2024-01-01T09:00:00.5", "early");
	char *late =
	    group("{\"x.r\": 1}", "info", "[]", "2024-01-01T10:00:00", "late");
	char *a = report("{\"coroutine\": \"c\"}", late, "{}", "a.log");
	char *b = report("{\"coroutine\": \"c\"}", early, "{}", "b.log");
	char *merged = merge_reports((char *[]){a, b}, 2);
	json_t *j = parse(merged);
	json_t *g = json_array_get(json_object_get(j, "groups"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(
			     json_object_get(g, "first"), "time")),
			 "2024-01-01T09:00:00.5");
	cr_expect_str_eq(json_string_value(json_object_get(
			     json_object_get(g, "last"), "time")),
			 "2024-01-01T10:00:00");
	cr_expect_str_eq(json_string_value(json_object_get(g, "example")),
			 "early");
	json_t *inputs =
	    json_object_get(json_object_get(j, "scanned"), "inputs");
	cr_expect_str_eq(json_string_value(json_object_get(
			     json_array_get(inputs, 0), "name")),
			 "a.log", "inputs are sorted by name");
	json_decref(j);
	char *all[] = {early, late, a, b, merged};
	for (size_t i = 0; i < 5; i++)
		free(all[i]);
}

Test(merge, culprit_and_message_follow_first_and_may_be_absent)
{
	char *early =
	    group("{\"x.r\": 1}", "info", "[]", "2024-01-01T09:00:00", "early");
	char *late =
	    group("{\"x.r\": 1}", "info", "[]", "2024-01-01T10:00:00", "late");
	char *early_facts, *late_facts;
	cr_assert(asprintf(&early_facts,
			   "%s, \"culprit\": {\"file\": \"app/users.py\", "
			   "\"line\": 88, \"function\": \"fetch_user\"}, "
			   "\"message\": \"down\"",
			   early) > 0);
	cr_assert(asprintf(&late_facts,
			   "%s, \"culprit\": null, \"message\": null",
			   late) > 0);
	char *a = report("{\"coroutine\": \"c\"}", late_facts, "{}", "a.log");
	char *b = report("{\"coroutine\": \"c\"}", early_facts, "{}", "b.log");
	char *old = report("{\"coroutine\": \"c\"}", late, "{}", "c.log");
	char *merged = merge_reports((char *[]){a, b, old}, 3);
	json_t *j = parse(merged);
	json_t *g = json_array_get(json_object_get(j, "groups"), 0);
	json_t *c = json_object_get(g, "culprit");
	cr_expect_str_eq(json_string_value(json_object_get(c, "file")),
			 "app/users.py", "%s", merged);
	cr_expect_eq(json_integer_value(json_object_get(c, "line")), 88);
	cr_expect_str_eq(json_string_value(json_object_get(c, "function")),
			 "fetch_user");
	cr_expect_str_eq(json_string_value(json_object_get(g, "message")),
			 "down");
	json_decref(j);
	char *only_late = merge_reports((char *[]){a, old}, 2);
	j = parse(only_late);
	g = json_array_get(json_object_get(j, "groups"), 0);
	cr_expect(json_is_null(json_object_get(g, "culprit")), "%s", only_late);
	cr_expect(json_is_null(json_object_get(g, "message")));
	json_decref(j);
	const char *bad[][2] = {
	    {"\"message\": \"down\"", "\"message\": 3"},
	    {"\"line\": 88", "\"line\": \"88\""},
	    {", \"function\": \"fetch_user\"", ""},
	};
	const char *want[] = {"groups[0].message: expected a string or null",
			      "groups[0].culprit.line: expected a count",
			      "groups[0].culprit: no \"function\" field"};
	for (size_t i = 0; i < 3; i++) {
		const char *at = strstr(b, bad[i][0]);
		cr_assert(at != NULL);
		char edited[4096];
		snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - b), b,
			 bad[i][1], at + strlen(bad[i][0]));
		expect_refused(edited, want[i]);
	}
	char *all[] = {early, late, early_facts, late_facts, a,
		       b,     old,  merged,	 only_late};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		free(all[i]);
}

Test(merge, same_keys_in_another_order_merge_in_the_canonical_order)
{
	char *g =
	    group("{\"x.r\": 1}", "error", "[]", "2024-01-01T00:00:00", "e");
	char *a = report("{\"rule\": \"x.r\", \"coroutine\": \"c\"}", g, "{}",
			 "a.log");
	char *b = report("{\"coroutine\": \"c\", \"rule\": \"x.r\"}", g, "{}",
			 "b.log");
	char *ab = merge_reports((char *[]){a, b}, 2);
	char *ba = merge_reports((char *[]){b, a}, 2);
	cr_expect_str_eq(ab, ba);
	cr_expect(strstr(ab, "\"key\": {\n        \"coroutine\": \"c\",\n"
			     "        \"rule\": \"x.r\"\n") != NULL,
		  "%s", ab);
	char *all[] = {g, a, b, ab, ba};
	for (size_t i = 0; i < 5; i++)
		free(all[i]);
}

Test(merge, a_report_without_groups_merges_with_any)
{
	char *empty =
	    scan_report("nothing here\n", "e.log", by_coroutine, 1, NULL);
	static const enum th_key by_rule[] = {TH_KEY_RULE};
	char *r = scan_report(part1, "a.log", by_rule, 1, NULL);
	char *merged = merge_reports((char *[]){empty, r}, 2);
	cr_expect(strstr(merged, "\"rule\": \"asyncio.exception-never-"
				 "retrieved\"") != NULL,
		  "%s", merged);
	free(empty);
	free(r);
	free(merged);
}

/* ---- refused ------------------------------------------------------------ */

static void expect_refused(const char *report, const char *want)
{
	const char *got = merge_error(report);
	cr_expect(strstr(got, want) != NULL,
		  "refusing\n%s\nsays \"%s\", want \"%s\"", report, got, want);
}

Test(merge, malformed_and_foreign_reports_are_refused_naming_the_field)
{
	expect_refused("", "no report");
	expect_refused("not json", "not JSON");
	expect_refused("{\"schema\": \"tracehound.report/1\"", "not JSON");
	expect_refused("[1, 2]", "not a tracehound report");
	expect_refused("{\"a\": 1}", "not a tracehound report");
	expect_refused("{\"schema\": \"other/1\"}", "not a tracehound report");
	expect_refused("{\"schema\": \"tracehound.report/1\"}",
		       "no \"scanned\" field");
	char *g =
	    group("{\"x.r\": 1}", "error", "[]", "2024-01-01T00:00:00", "e");
	char *ok = report("{\"coroutine\": \"c\"}", g, "{}", "a.log");
	cr_expect_str_eq(merge_error(ok), "");
	struct {
		const char *from, *to, *want;
	} edits[] = {
	    {"\"count\": 1", "\"count\": \"1\"",
	     "groups[0].count: expected a count"},
	    {"\"count\": 1", "\"count\": -1",
	     "groups[0].count: expected a "
	     "count (an integer >= 0), got a "
	     "negative one"},
	    {"\"severity\": \"error\"", "\"severity\": \"fatal\"",
	     "groups[0].severity"},
	    {"\"tasks\": []", "\"tasks\": [1]", "groups[0].tasks[0]"},
	    {"\"x.r\": 1", "\"x r\": 1", "not a rule id"},
	    {"{\"coroutine\": \"c\"}", "{\"colour\": \"c\"}",
	     "not a group-by key"},
	    {"{\"coroutine\": \"c\"}", "{}", "no group-by key"},
	    {", \"example\": \"e\"", "", "no \"example\" field"},
	    {"\"events\": 1", "\"events\": 1.5", "events: expected a count"},
	    {"\"ignored\": {}", "\"ignored\": []",
	     "ignored: expected an "
	     "object, got a list"},
	    {"\"match_errors\": 0, ", "", "no \"match_errors\" field"},
	    {"\"time\": \"2024-01-01T00:00:00\"}, \"last\"",
	     "\"time\": \"2024-01-01T00:00:00.0000000000000000000000000\"}, "
	     "\"last\"",
	     "groups[0].first.time: not a time"},
	    {"\"c\"}", "\"c\\u0000d\"}", "a NUL character"},
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		const char *at = strstr(ok, edits[i].from);
		cr_assert(at != NULL, "edit %zu: no '%s'", i, edits[i].from);
		char bad[4096];
		snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - ok), ok,
			 edits[i].to, at + strlen(edits[i].from));
		expect_refused(bad, edits[i].want);
	}
	free(g);
	free(ok);
}

Test(merge, reports_grouped_by_other_keys_are_refused_naming_both)
{
	char *a = scan_report(part1, "a.log", by_coroutine, 1, NULL);
	static const enum th_key by_rule[] = {TH_KEY_RULE};
	char *b = scan_report(part1, "a.log", by_rule, 1, NULL);
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	cr_assert(merge_check_buffer(m, "one.json", a, strlen(a), &err));
	cr_expect(!merge_check_buffer(m, "two.json", b, strlen(b), &err));
	cr_expect_str_eq(err.file, "two.json");
	cr_expect(strstr(err.message, "grouped by rule, but one.json is "
				      "grouped by coroutine") != NULL,
		  "%s", err.message);
	merge_free(m);
	free(a);
	free(b);
}

Test(merge, the_second_report_of_a_buffer_is_named_by_its_position)
{
	char *a = scan_report(part1, "a.log", by_coroutine, 1, NULL);
	size_t n = strlen(a) + 16;
	char *two = malloc(n);
	snprintf(two, n, "%s{\"x\": 1}", a);
	const char *msg = merge_error(two);
	cr_expect(strstr(msg, "report 2: not a tracehound report") != NULL,
		  "%s", msg);
	free(a);
	free(two);
}

Test(merge, merge_paths_reads_files_and_names_a_bad_one)
{
	char *a = scan_report(part1, "a.log", by_coroutine, 1, NULL);
	char good[] = "/tmp/test_merge_good_XXXXXX";
	char bad[] = "/tmp/test_merge_bad_XXXXXX";
	int fg = mkstemp(good), fb = mkstemp(bad);
	cr_assert(fg >= 0 && fb >= 0);
	cr_assert_eq(write(fg, a, strlen(a)), (ssize_t)strlen(a));
	cr_assert_eq(write(fb, "{\n  \"schema\": 1,\n", 17), 17);
	close(fg);
	close(fb);
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	const char *ok_paths[] = {good, good};
	cr_expect(merge_paths(m, ok_paths, 2, &err), "%s", err.message);
	cr_expect_eq(merge_run(m)->counts.events, 2);
	merge_free(m);
	m = merge_new();
	memset(&err, 0, sizeof err);
	const char *bad_paths[] = {good, bad};
	cr_expect(!merge_paths(m, bad_paths, 2, &err));
	cr_expect_str_eq(err.file, bad);
	cr_expect_eq(err.line, 3, "a syntax error has its line: %zu", err.line);
	merge_free(m);
	unlink(good);
	unlink(bad);
	free(a);
}

Test(merge, a_report_of_no_inputs_merges)
{
	/* found by fuzz_merge: with no inputs there was nothing to sort,
	 * and the sort was handed their NULL array */
	char *empty = scan_report("", "x.log", by_coroutine, 1, NULL);
	json_t *j = parse(empty);
	json_array_clear(
	    json_object_get(json_object_get(j, "scanned"), "inputs"));
	char *none = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	char *merged = merge_reports(&none, 1);
	json_t *m = parse(merged);
	cr_expect_eq(json_array_size(json_object_get(
			 json_object_get(m, "scanned"), "inputs")),
		     0);
	json_decref(m);
	free(merged);
	free(none);
	free(empty);
}

/* Issue 13: a report's strings were held whole however long, so a small
 * compressed report of huge strings took gigabytes. A file's strings are
 * now cut as they are read, past MERGE_STRING_MAX bytes of JSON text:
 * here an example of 240,000 bytes of surrogate pairs (12 bytes of JSON
 * text each) and a key with a two-byte character across the cut. What is
 * kept is still JSON, and the example is cut to TH_MAX_EXAMPLE bytes as
 * before. */
Test(merge, a_file_s_huge_strings_are_cut_as_read_and_stay_json)
{
	size_t pairs = 20000, n = 12 * pairs;
	char *example = xmalloc(n + 1);
	for (size_t i = 0; i < pairs; i++)
		memcpy(example + 12 * i, "\\ud83d\\ude00", 12);
	example[n] = '\0';
	char *key = xmalloc(MERGE_STRING_MAX + 64);
	int k = sprintf(key, "{\"coroutine\": \"");
	memset(key + k, 'k', MERGE_STRING_MAX - 1);
	strcpy(key + k + MERGE_STRING_MAX - 1, "\xc3\xa9 tail\"}");
	char *g = group("{\"x.r\": 1}", "error", "[]", "2024-01-01T00:00:00",
			example);
	char *r = report(key, g, "{}", "x.log");
	char path[] = "/tmp/test_merge_huge_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, r, strlen(r)), (ssize_t)strlen(r));
	close(fd);
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	const char *paths[] = {path};
	cr_assert(merge_paths(m, paths, 1, &err), "%s", err.message);
	size_t i = 0;
	const struct th_group *got = agg_next(merge_agg(m), &i);
	cr_assert_not_null(got);
	cr_expect_eq(got->example_len, TH_MAX_EXAMPLE);
	cr_expect(memcmp(got->example, "\xf0\x9f\x98\x80", 4) == 0);
	const char *c = got->key[TH_KEY_COROUTINE];
	cr_expect_eq(strlen(c), MERGE_STRING_MAX + 1, "%zu", strlen(c));
	cr_expect(strcmp(c + MERGE_STRING_MAX - 1, "\xc3\xa9") == 0,
		  "the key is cut after its two-byte character, not in it");
	merge_free(m);
	unlink(path);
	free(r);
	free(g);
	free(key);
	free(example);
}
