/* test_report_metrics.c - the Prometheus text --metrics writes: label
 * values escaped and valid UTF-8, the families and their series, the
 * groups bounded, and the file replaced atomically. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_metrics.h"
#include "th_limits.h"

static const enum th_key by_coroutine[] = {TH_KEY_COROUTINE};

/* What report_metrics_print writes for M; the caller frees it. */
static char *printed(const struct th_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	cr_assert(report_metrics_print(f, m));
	fclose(f);
	return text;
}

static char *label_value(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	report_metrics_put_label_value(f, s);
	fclose(f);
	return text;
}

Test(report_metrics, label_values_escape_backslash_quote_and_newline)
{
	char *v = label_value("a\\b\"c\nd\te");
	cr_expect_str_eq(v, "a\\\\b\\\"c\\nd\te");
	free(v);
}

Test(report_metrics, label_values_are_valid_utf8)
{
	char *v = label_value("caf\xc3\xa9 \xff\xfe end \xe2\x82");
	cr_expect_str_eq(v, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end "
			    "\xef\xbf\xbd");
	free(v);
}

Test(report_metrics, every_family_has_help_and_type_and_counters_end_in_total)
{
	struct th_metrics m;
	metrics_init(&m, by_coroutine, 1);
	m.counted = m.has_new_groups = true;
	m.new_groups = 2;
	m.timestamp = 1700000000;
	m.success = true;
	char *t = printed(&m);
	static const char *const families[][2] = {
	    {"tracehound_events_total", "counter"},
	    {"tracehound_group_events_total", "counter"},
	    {"tracehound_inputs_read_total", "counter"},
	    {"tracehound_input_errors_total", "counter"},
	    {"tracehound_read_bytes_total", "counter"},
	    {"tracehound_new_groups", "gauge"},
	    {"tracehound_last_run_timestamp_seconds", "gauge"},
	    {"tracehound_last_run_success", "gauge"},
	};
	for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
		char want[160];
		snprintf(want, sizeof want, "# HELP %s ", families[i][0]);
		cr_expect(strstr(t, want) != NULL, "%s in:\n%s", want, t);
		snprintf(want, sizeof want, "\n# TYPE %s %s\n", families[i][0],
			 families[i][1]);
		cr_expect(strstr(t, want) != NULL, "%s in:\n%s", want, t);
	}
	cr_expect(strstr(t, "\ntracehound_new_groups 2\n") != NULL, "%s", t);
	cr_expect(strstr(t, "\ntracehound_last_run_timestamp_seconds "
			    "1700000000\n") != NULL,
		  "%s", t);
	cr_expect(strstr(t, "\ntracehound_last_run_success 1\n") != NULL, "%s",
		  t);
	free(t);
	metrics_fini(&m);
}

Test(report_metrics, a_run_that_failed_before_counting_writes_its_failure)
{
	struct th_metrics m;
	metrics_init(&m, by_coroutine, 1);
	m.timestamp = 5;
	char *t = printed(&m);
	cr_expect_str_eq(
	    t, "# HELP tracehound_last_run_timestamp_seconds When the last "
	       "run ended, in seconds since 1970.\n"
	       "# TYPE tracehound_last_run_timestamp_seconds gauge\n"
	       "tracehound_last_run_timestamp_seconds 5\n"
	       "# HELP tracehound_last_run_success 1 when the last run read "
	       "every input and wrote its report and state, 0 when it "
	       "failed.\n"
	       "# TYPE tracehound_last_run_success gauge\n"
	       "tracehound_last_run_success 0\n");
	free(t);
	metrics_fini(&m);
}

Test(report_metrics, rules_and_groups_are_labelled_and_other_is_always_there)
{
	static const enum th_key keys[] = {TH_KEY_RULE, TH_KEY_COROUTINE};
	struct th_metrics m;
	metrics_init(&m, keys, 2);
	m.counted = true;
	metrics_add_rule(&m, "asyncio.x", TH_SEV_ERROR, 3);
	char *a[] = {"asyncio.x", "say \"hi\""}, *b[] = {"asyncio.x", NULL};
	metrics_add_group(&m, a, 2);
	metrics_add_group(&m, b, 1);
	m.other_events = 9;
	char *t = printed(&m);
	cr_expect(strstr(t, "\ntracehound_events_total{rule=\"asyncio.x\","
			    "severity=\"error\"} 3\n") != NULL,
		  "%s", t);
	cr_expect(
	    strstr(t, "\ntracehound_group_events_total{rule=\"asyncio.x\","
		      "coroutine=\"say \\\"hi\\\"\"} 2\n"
		      "tracehound_group_events_total{rule=\"asyncio.x\"} "
		      "1\n"
		      "tracehound_group_events_total{group=\"other\"} 9\n") !=
		NULL,
	    "%s", t);
	free(t);
	metrics_fini(&m);
}

Test(report_metrics, groups_that_read_the_same_once_cleaned_are_one_series)
{
	struct th_metrics m;
	metrics_init(&m, by_coroutine, 1);
	m.counted = true;
	char *a[] = {"x\xff"}, *b[] = {"x\xfe"}, *none[] = {NULL},
	     *empty[] = {""};
	metrics_add_group(&m, a, 2);
	metrics_add_group(&m, b, 3);
	metrics_add_group(&m, none, 1);
	metrics_add_group(&m, empty, 1);
	char *t = printed(&m);
	cr_expect(strstr(t, "\ntracehound_group_events_total{coroutine="
			    "\"x\xef\xbf\xbd\"} 5\n") != NULL,
		  "%s", t);
	cr_expect(strstr(t, "\ntracehound_group_events_total 2\n") != NULL,
		  "%s", t);
	free(t);
	metrics_fini(&m);
}

Test(report_metrics, the_labels_given_are_on_every_series_first)
{
	struct th_metrics m;
	metrics_init(&m, by_coroutine, 1);
	m.counted = true;
	metrics_add_label(&m, "log=/var/log/a\"b.log");
	metrics_add_label(&m, "host=h");
	metrics_add_rule(&m, "r", TH_SEV_INFO, 1);
	char *t = printed(&m);
	size_t series = 0;
	for (const char *line = t; *line != '\0';
	     line = strchr(line, '\n') + 1) {
		if (*line == '#')
			continue;
		series++;
		const char *brace = strchr(line, '{');
		cr_assert_not_null(brace, "%.60s", line);
		static const char first[] =
		    "{log=\"/var/log/a\\\"b.log\",host=\"h\"";
		cr_expect(strncmp(brace, first, sizeof first - 1) == 0,
			  "%.100s", line);
	}
	cr_expect_eq(series, 7, "%s", t);
	cr_expect(strstr(t, "host=\"h\",rule=\"r\",severity=\"info\"} 1\n") !=
		      NULL,
		  "%s", t);
	free(t);
	metrics_fini(&m);
}

/* An aggregate of N groups, group i with i + 1 events of rule "r". */
static struct th_agg *groups_of(const struct th_catalog *c, size_t n)
{
	struct th_agg *agg = agg_new(c, by_coroutine, 1);
	struct th_event ev;
	event_init(&ev);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k <= i; k++) {
			char name[32];
			event_reset(&ev);
			ev.rule = 0;
			ev.input = "app.log";
			ev.line = ev.end_line = 1;
			ev.complete = true;
			event_add_line(&ev, TH_SPAN_LIT("line"));
			snprintf(name, sizeof name, "co%zu", i);
			event_set(&ev, TH_F_COROUTINE, th_cstr(name));
			agg_add(agg, &ev);
		}
	event_fini(&ev);
	return agg;
}

Test(report_metrics, a_run_alone_bounds_its_groups_and_sums_the_rest)
{
	struct th_catalog *c = catalog_new();
	catalog_add_rule(c, "r", TH_SEV_WARNING);
	catalog_add_rule(c, "quiet", TH_SEV_INFO);
	size_t n = TH_METRICS_GROUP_SERIES + 3;
	struct th_agg *agg = groups_of(c, n);
	struct th_run run;
	run_init(&run, 0);
	run_add_input(&run, "app.log");
	run.inputs[0].bytes = 1234;
	struct th_metrics m;
	metrics_init(&m, by_coroutine, 1);
	report_metrics_count_run(&m, agg, c, &run);
	cr_expect(m.counted);
	cr_expect_eq(m.n_groups, TH_METRICS_GROUP_SERIES);
	cr_expect_str_eq(m.groups[0].vals[0], "co102");
	cr_expect_eq(m.other_events, 1 + 2 + 3, "the three smallest groups");
	cr_assert_eq(m.n_rules, 2);
	cr_expect_eq(m.rules[0].events, (uint64_t)n * (n + 1) / 2);
	cr_expect_eq(m.rules[1].events, 0, "a quiet rule has its series");
	cr_expect_eq(m.inputs, 1);
	cr_expect_eq(m.read_bytes, 1234);
	metrics_fini(&m);
	run_fini(&run);
	agg_free(agg);
	catalog_free(c);
}

Test(report_metrics, the_file_is_replaced_whole_and_readable_by_all)
{
	char dir[] = "/tmp/test_report_metrics_XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[128];
	struct th_error err = {0};
	snprintf(path, sizeof path, "%s/tracehound.prom", dir);
	FILE *old = fopen(path, "w");
	cr_assert_not_null(old);
	fputs("old content that is longer than the new one\n", old);
	fclose(old);
	struct th_metrics m;
	metrics_init(&m, by_coroutine, 1);
	m.timestamp = 7;
	cr_assert(report_metrics_write(path, &m, &err), "%s", err.message);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0644);
	char buf[1024] = "";
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	size_t got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[got] = '\0';
	cr_expect(strncmp(buf, "# HELP tracehound_last_run_timestamp", 36) == 0,
		  "%s", buf);
	cr_expect(strstr(buf, "old content") == NULL, "%s", buf);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) = 1", dir);
	cr_expect_eq(system(cmd), 0, "no temp file is left beside it");
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	metrics_fini(&m);
}

Test(report_metrics, a_file_that_cannot_be_written_is_named)
{
	struct th_metrics m;
	metrics_init(&m, by_coroutine, 1);
	struct th_error err = {0};
	cr_expect_not(
	    report_metrics_write("/nonexistent/dir/t.prom", &m, &err));
	cr_expect_str_eq(err.file, "/nonexistent/dir/t.prom");
	cr_expect_str_eq(err.message,
			 "cannot write the metrics: No such file or directory");
	metrics_fini(&m);
}
