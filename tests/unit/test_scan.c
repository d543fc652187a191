/* test_scan.c - the scanner: a file cut into ranges for several jobs gives
 * the report of a whole scan, the cut is told to on_cut, a failed input
 * is counted and told while the next one is scanned, directories are
 * walked in name order, and an input ending in a split line's first
 * piece ends its traceback (issue 13).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "scan.h"
#include "th_limits.h"

#define SAMPLES_DIR TH_TEST_PATTERNS_DIR "/../sample-logs/py3.12"

static char dir[] = "/tmp/test_scan_XXXXXX";

static void make_dir(void)
{
	strcpy(dir, "/tmp/test_scan_XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(system(cmd) == 0);
}

TestSuite(scan, .init = make_dir, .fini = remove_dir);

/* A path in the test's directory (a static buffer per call slot). */
static const char *at(const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, sizeof paths[0], "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* What the scanner told: problems and cuts, one per line. */
struct told {
	char problems[2048];
	char cuts[1024];
};

static void on_problem(void *ctx, const struct th_error *e, enum th_notice kind)
{
	static const char *const kinds[] = {"error", "warning", "note"};
	struct told *t = ctx;
	size_t n = strlen(t->problems);
	snprintf(t->problems + n, sizeof t->problems - n, "%s %s: %s\n",
		 kinds[kind], e->file, e->message);
}

static void on_cut(void *ctx, const char *path, const char *how)
{
	struct told *t = ctx;
	size_t n = strlen(t->cuts);
	snprintf(t->cuts + n, sizeof t->cuts - n, "%s: %s\n", path, how);
}

/* The JSON report (a new string) of scanning PATHS with O (its notify
 * and on_cut go to TOLD); *RUN_OUT gets the run's failed count and, for
 * input 1, its lines, when not NULL. */
struct scanned {
	size_t n_inputs, inputs_failed;
	uint64_t lines[4];
};

static char *scan_json(struct th_scan_options *o, const char *const *paths,
		       size_t n, struct told *told, struct scanned *got)
{
	struct th_rules *rules = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(rules, TH_TEST_PATTERNS_DIR, &err), "%s",
		  err.message);
	cr_assert(rules_finish(rules, &err), "%s", err.message);
	static const enum th_key keys[] = {TH_KEY_COROUTINE};
	struct th_run run;
	run_init(&run, rules_ignore_count(rules));
	struct th_agg *agg = agg_new(rules_catalog(rules), keys, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct th_report_ctx ctx = {.out = out,
				    .catalog = rules_catalog(rules),
				    .agg = agg,
				    .run = &run,
				    .version = "test"};
	struct th_sink *sink = report_json_new(&ctx);
	o->notify = (struct th_notify){on_problem, told};
	o->on_cut = on_cut;
	o->cut_ctx = told;
	struct th_scanner *s = scanner_new(rules, agg, sink, &run, o);
	for (size_t i = 0; i < n; i++)
		scanner_scan_path(s, paths[i]);
	scanner_finish(s);
	cr_assert(sink->finish(sink));
	if (got != NULL) {
		got->n_inputs = run.n_inputs;
		got->inputs_failed = run.inputs_failed;
		for (size_t i = 0; i < run.n_inputs && i < 4; i++)
			got->lines[i] = run.inputs[i].lines;
	}
	scanner_free(s);
	sink->free(sink);
	agg_free(agg);
	run_fini(&run);
	rules_free(rules);
	fclose(out);
	return buf;
}

/* Every sample log of one Python version, one after another, in one file:
 * several writers, many events, and places to cut between records. */
static const char *sample_concatenation(void)
{
	const char *path = at("all.log");
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "cat '%s'/*.log > '%s'", SAMPLES_DIR, path);
	cr_assert(system(cmd) == 0, "%s", cmd);
	return path;
}

Test(scan, a_file_cut_into_ranges_gives_the_same_report_as_a_whole_scan)
{
	const char *path = sample_concatenation();
	struct told whole_told = {0}, cut_told = {0};
	struct th_scan_options o;
	scan_options_init(&o);
	char *whole = scan_json(&o, &path, 1, &whole_told, NULL);
	scan_options_init(&o);
	o.jobs = 2;
	o.split_min = 1;
	char *cut = scan_json(&o, &path, 1, &cut_told, NULL);
	cr_assert(strstr(cut_told.cuts, "cut into") != NULL, "not cut: %s",
		  cut_told.cuts);
	cr_expect(strstr(whole, "\"events\"") != NULL, "%s", whole);
	cr_expect_str_eq(cut, whole);
	cr_expect_str_eq(whole_told.cuts, "", "a serial scan cuts nothing");
	free(whole);
	free(cut);
}

/* A log of N events, each of its own coroutine: N groups. */
static const char *many_groups(size_t n)
{
	const char *path = at("many.log");
	FILE *f = fopen(path, "w");
	cr_assert(f != NULL);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"2024-05-01 10:00:%02zu,000 ERROR [asyncio] Task "
			"exception was never retrieved\n"
			"future: <Task finished name='Task-%zu' coro=<job%zu() "
			"done, defined at a.py:1> exception=ValueError()>\n"
			"Traceback (most recent call last):\n"
			"  File \"a.py\", line 2, in job%zu\n"
			"ValueError: %zu\n",
			i % 60, i, i, i, i);
	cr_assert(fclose(f) == 0);
	return path;
}

/* A thread scans its part's ranges into one aggregate while it holds few
 * groups (TH_CHAIN_GROUPS), and one a range past that: both give the
 * whole scan's report, at any number of jobs. */
Test(scan, chains_of_few_groups_and_ranges_of_many_give_the_whole_report)
{
	size_t sizes[] = {TH_CHAIN_GROUPS / 8, 3 * TH_CHAIN_GROUPS};
	for (size_t k = 0; k < 2; k++) {
		const char *path = many_groups(sizes[k]);
		struct th_scan_options o;
		scan_options_init(&o);
		struct told whole_told = {0};
		char *whole = scan_json(&o, &path, 1, &whole_told, NULL);
		char want[64];
		snprintf(want, sizeof want, "\"events\": %zu,", sizes[k]);
		cr_assert(strstr(whole, want) != NULL, "%s", want);
		for (size_t jobs = 2; jobs <= 5; jobs += 3) {
			struct told told = {0};
			scan_options_init(&o);
			o.jobs = jobs;
			o.split_min = 1;
			char *cut = scan_json(&o, &path, 1, &told, NULL);
			cr_assert(strstr(told.cuts, "cut into") != NULL,
				  "not cut: %s", told.cuts);
			cr_expect_str_eq(cut, whole, "%zu groups, -j %zu",
					 sizes[k], jobs);
			free(cut);
		}
		free(whole);
	}
}

/* PATH scanned whole with one thread, then RUNS times cut into ranges
 * with 2 to MAX_JOBS threads in turn, each report expected to be the
 * serial one byte for byte. Returns the serial report (the caller frees
 * it). */
static char *expect_cut_scans_serial(const char *path, int runs,
				     size_t max_jobs)
{
	struct told serial_told = {0};
	struct th_scan_options serial;
	scan_options_init(&serial);
	serial.jobs = 1;
	char *whole = scan_json(&serial, &path, 1, &serial_told, NULL);
	for (int run = 0; run < runs; run++) {
		struct told told = {0};
		struct th_scan_options o;
		scan_options_init(&o);
		o.jobs = 2 + (size_t)run % (max_jobs - 1);
		o.split_min = 1;
		char *got = scan_json(&o, &path, 1, &told, NULL);
		cr_assert(strstr(told.cuts, "cut into") != NULL, "not cut");
		cr_expect_str_eq(got, whole, "run %d, -j %zu", run, o.jobs);
		free(got);
	}
	return whole;
}

/* One coroutine failing with more exception types than a group lists
 * (README.md, "Memory and temporary files"): a cut scan adds its parts'
 * lists as it merges them, and the types a group keeps and their counts
 * do not depend on where the parts end, so every run gives the report a
 * serial scan gives. */
Test(scan, more_exception_types_than_listed_give_one_report_on_every_run)
{
	const char *path = at("types.log");
	FILE *f = fopen(path, "w");
	cr_assert(f != NULL);
	for (size_t i = 0; i < 6000; i++)
		fprintf(
		    f,
		    "2024-05-01 10:00:00,000 ERROR Task exception was never "
		    "retrieved\n"
		    "future: <Task finished name='Task-1' coro=<fetch() "
		    "done, defined at a.py:1> exception=Type%zuError()>\n",
		    (i * 7919) % (i < 3000 ? 15 : 60));
	cr_assert(fclose(f) == 0);
	char *whole = expect_cut_scans_serial(path, 8, 3);
	cr_assert(strstr(whole, "\"exceptions_other\": 0") == NULL,
		  "the list does not overflow");
	free(whole);
}

/* A file whose first half is quiet and second half a crash loop: with
 * two threads, the one given the quiet part ends long before the other
 * and takes over the crash loop's ranges from their end (take_item), so
 * where chains end follows the threads' timing. The report is still the
 * serial one, on every run. */
Test(scan, a_thread_done_early_takes_over_ranges_and_the_report_is_serial)
{
	const char *path = at("halves.log");
	FILE *f = fopen(path, "w");
	cr_assert(f != NULL);
	for (size_t i = 0; i < 40000; i++)
		fprintf(f, "2024-05-01 10:00:00,000 INFO worker %zu is fine\n",
			i);
	for (size_t i = 0; i < 12000; i++)
		fprintf(f,
			"2024-05-01 10:00:01,000 ERROR Task exception was "
			"never retrieved\n"
			"future: <Task finished name='Task-%zu' coro=<fetch() "
			"done, defined at a.py:1> exception=Type%zuError()>\n"
			"Traceback (most recent call last):\n"
			"  File \"a.py\", line %zu, in fetch\n"
			"    raise Type%zuError()\n"
			"Type%zuError\n",
			i, i % 30, 1 + i % 7, i % 30, i % 30);
	cr_assert(fclose(f) == 0);
	free(expect_cut_scans_serial(path, 6, 2));
}

Test(scan, on_cut_is_told_the_file_and_how_many_ranges)
{
	const char *path = sample_concatenation();
	struct told told = {0};
	struct th_scan_options o;
	scan_options_init(&o);
	o.jobs = 3;
	o.split_min = 1;
	free(scan_json(&o, &path, 1, &told, NULL));
	char want[600];
	snprintf(want, sizeof want, "%s: cut into ", path);
	cr_assert(strncmp(told.cuts, want, strlen(want)) == 0, "%s", told.cuts);
	unsigned ranges = 0;
	cr_assert(sscanf(told.cuts + strlen(want), "%u ranges", &ranges) == 1);
	cr_expect(ranges >= 2 && ranges <= 3 * TH_RANGES_PER_JOB, "%u ranges",
		  ranges);
}

Test(scan, a_file_under_split_min_is_not_cut)
{
	const char *path = sample_concatenation();
	struct told told = {0};
	struct th_scan_options o;
	scan_options_init(&o);
	o.jobs = 2;
	o.split_min = 1u << 30;
	free(scan_json(&o, &path, 1, &told, NULL));
	cr_expect_str_eq(told.cuts, "");
}

Test(scan, a_failed_input_is_counted_and_told_and_the_next_is_scanned)
{
	const char *good = at("good.log");
	write_file(good, "2024-05-01 10:00:00,000 ERROR [asyncio] Task "
			 "exception was never retrieved\n"
			 "future: <Task finished name='Task-2' coro=<f() "
			 "done, defined at a.py:1> exception=ValueError()>\n"
			 "Traceback (most recent call last):\n"
			 "  File \"a.py\", line 2, in f\n"
			 "ValueError\n");
	const char *paths[] = {at("missing.log"), good};
	for (size_t jobs = 1; jobs <= 2; jobs++) {
		struct told told = {0};
		struct scanned got;
		struct th_scan_options o;
		scan_options_init(&o);
		o.jobs = jobs;
		char *json = scan_json(&o, paths, 2, &told, &got);
		char want[700];
		snprintf(want, sizeof want,
			 "error %s: No such file or directory\n", paths[0]);
		cr_expect_str_eq(told.problems, want, "-j %zu", jobs);
		cr_expect_eq(got.n_inputs, 2);
		cr_expect_eq(got.inputs_failed, 1);
		cr_expect_eq(got.lines[1], 5, "-j %zu: %lu lines", jobs,
			     (unsigned long)got.lines[1]);
		cr_expect(strstr(json, "ValueError") != NULL, "%s", json);
		free(json);
	}
}

Test(scan, a_directory_is_walked_in_name_order_without_hidden_files)
{
	char sub[600];
	snprintf(sub, sizeof sub, "%s/logs", dir);
	cr_assert(mkdir(sub, 0700) == 0);
	write_file(at("logs/b.log"), "b\nb\n");
	write_file(at("logs/a.log"), "a\n");
	write_file(at("logs/.hidden.log"), "hidden\n");
	const char *path = sub;
	struct told told = {0};
	struct scanned got;
	struct th_scan_options o;
	scan_options_init(&o);
	free(scan_json(&o, &path, 1, &told, &got));
	cr_expect_eq(got.n_inputs, 2);
	cr_expect_eq(got.lines[0], 1, "a.log first");
	cr_expect_eq(got.lines[1], 2, "then b.log");
	cr_expect_str_eq(told.problems, "");
}

Test(scan, an_input_ending_in_a_cri_piece_ends_its_traceback)
{
	const char *path = at("cri.log");
	write_file(path, "2024-05-01T10:00:00Z stderr F Traceback (most "
			 "recent call last):\n"
			 "2024-05-01T10:00:00Z stderr F   File \"a.py\", line "
			 "3, in <module>\n"
			 "2024-05-01T10:00:00Z stderr P ValueError: bo");
	struct told told = {0};
	struct th_scan_options o;
	scan_options_init(&o);
	char *json = scan_json(&o, &path, 1, &told, NULL);
	cr_expect(strstr(json, "\"ValueError\"") != NULL, "%s", json);
	free(json);
}

/* dockerd writes '<', '>' and '&' as \u003c, \u003e, \u0026: a literal
 * holding one ("Executing <" of asyncio.slow-callback) is searched for in
 * that form too, else the line is never read. Many lines before it, so
 * that the buffer search, not the first line's look, finds it. */
Test(scan, a_docker_line_finds_a_literal_written_escaped)
{
	const char *path = at("docker.log");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 2000; i++)
		fprintf(f,
			"{\"log\":\"INFO worker: tick %d\\n\",\"stream\":"
			"\"stderr\",\"time\":\"2024-05-01T10:00:00.0Z\"}\n",
			i);
	fputs("{\"log\":\"WARNING asyncio Executing \\u003cTask pending "
	      "name='Task-1' coro=\\u003cmain() running at /srv/app.py:9\\u003e"
	      "\\u003e took 0.151 seconds\\n\",\"stream\":\"stderr\",\"time\":"
	      "\"2024-05-01T10:00:01.0Z\"}\n",
	      f);
	fclose(f);
	struct told told = {0};
	struct th_scan_options o;
	scan_options_init(&o);
	char *json = scan_json(&o, &path, 1, &told, NULL);
	cr_expect(strstr(json, "\"asyncio.slow-callback\": 1") != NULL, "%s",
		  json);
	free(json);
}

/* A JSON log whose one failure is structlog's dict_tracebacks holds no
 * literal of the rules in its bytes (gen/samples/structlog_dicts.py made
 * the shape): the search of a JSON log finds its "exc_type" key, else
 * the line was skipped with the thousands around it. */
Test(scan, a_dict_traceback_among_json_records_is_found)
{
	static const char filler[] = "{\"event\": \"request ok\", \"level\": "
				     "\"info\", \"timestamp\": "
				     "\"2026-12-06T11:17:07Z\"}\n";
	static const char failure[] =
	    "{\"event\": \"sync failed\", \"level\": \"error\", \"exception\": "
	    "[{\"exc_type\": \"ConnectionError\", \"exc_value\": \"refused\", "
	    "\"is_cause\": false, \"frames\": [{\"filename\": \"/app/s.py\", "
	    "\"lineno\": 78, \"name\": \"fetch_rates\"}]}]}\n";
	size_t n = 4000 * (sizeof filler - 1) + sizeof failure;
	char *text = malloc(n), *p = text;
	cr_assert_not_null(text);
	for (size_t i = 0; i < 4000; i++) {
		if (i == 2000) {
			memcpy(p, failure, sizeof failure - 1);
			p += sizeof failure - 1;
		}
		memcpy(p, filler, sizeof filler - 1);
		p += sizeof filler - 1;
	}
	*p = '\0';
	const char *path = at("dicts.log");
	write_file(path, text);
	free(text);
	struct told told = {0};
	struct th_scan_options o;
	scan_options_init(&o);
	o.jobs = 1;
	char *json = scan_json(&o, &path, 1, &told, NULL);
	cr_expect(strstr(json, "\"fetch_rates\"") != NULL, "%.400s", json);
	cr_expect(strstr(json, "\"ConnectionError\"") != NULL);
	free(json);
}
