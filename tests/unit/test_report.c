/* test_report.c - the output sinks: the JSON report parsed back field by
 * field (log text that is not UTF-8 or holds NUL included), ndjson one
 * flushed line per event, the text summary's pieces and colors, and
 * finish() failing when the output cannot be written.
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "report_util.h"

/* Four rules (error, warning, error, info) and two ignore rules: a sink
 * sees rules only through a catalog. */
static struct th_catalog *test_catalog(void)
{
	struct th_catalog *c = catalog_new();
	catalog_add_rule(c, "test.error", TH_SEV_ERROR);
	catalog_add_rule(c, "test.warning", TH_SEV_WARNING);
	catalog_add_rule(c, "test.error2", TH_SEV_ERROR);
	catalog_add_rule(c, "test.info", TH_SEV_INFO);
	catalog_add_ignore(c, "ignore.health-check");
	catalog_add_ignore(c, "ignore.noise");
	return c;
}

/* Everything a sink borrows, and the bytes it wrote. */
struct world {
	struct th_catalog *catalog;
	struct th_run run;
	struct th_agg *agg;
	struct th_event ev;
	FILE *out;
	char *buf;
	size_t len;
};

static struct world *world_new(const enum th_key *keys, size_t n_keys)
{
	struct world *w = calloc(1, sizeof *w);
	cr_assert(w != NULL);
	w->catalog = test_catalog();
	run_init(&w->run, catalog_ignore_count(w->catalog));
	static const enum th_key by_coroutine = TH_KEY_COROUTINE;
	w->agg = keys ? agg_new(w->catalog, keys, n_keys)
		      : agg_new(w->catalog, &by_coroutine, 1);
	event_init(&w->ev);
	w->out = open_memstream(&w->buf, &w->len);
	cr_assert(w->out != NULL);
	return w;
}

static void world_free(struct world *w)
{
	if (w->out)
		fclose(w->out);
	free(w->buf);
	event_fini(&w->ev);
	agg_free(w->agg);
	run_fini(&w->run);
	catalog_free(w->catalog);
	free(w);
}

/* Adds an input with its counts and, when not NULL, its error. */
static void world_input(struct world *w, const char *name, uint64_t lines,
			const char *error)
{
	size_t i = run_add_input(&w->run, name);
	w->run.inputs[i].lines = lines;
	w->run.inputs[i].bytes = lines * 40;
	w->run.inputs[i].error = error ? strdup(error) : NULL;
}

static struct th_report_ctx world_ctx(struct world *w, bool color)
{
	return (struct th_report_ctx){.out = w->out,
				      .catalog = w->catalog,
				      .agg = w->agg,
				      .run = &w->run,
				      .color = color,
				      .version = "9.8.7"};
}

/* The output so far, NUL-terminated (open_memstream keeps it so). */
static const char *world_output(struct world *w)
{
	fflush(w->out);
	return w->buf;
}

static size_t rule_index(const struct th_catalog *c, const char *id)
{
	for (size_t i = 0; i < catalog_rule_count(c); i++)
		if (strcmp(catalog_rule_id(c, i), id) == 0)
			return i;
	cr_assert_fail("no rule %s", id);
	return 0;
}

/* One event; NULL fields stay unset, TEXT may hold NUL bytes (TEXT_N). */
struct spec {
	const char *rule, *coroutine, *exception, *task, *defined_at;
	const char *input, *time, *text;
	size_t text_n, input_index;
	uint64_t line;
	const char *message, *culprit_file, *culprit_function;
	uint64_t culprit_line;
};

static void set_field(struct th_event *ev, enum th_field f, const char *v)
{
	if (v != NULL)
		event_set(ev, f, (struct th_span){v, strlen(v)});
}

/* Adds TEXT's lines to EV, split at "\n". */
static void add_lines(struct th_event *ev, const char *text, size_t n)
{
	size_t at = 0;
	while (at <= n) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t len = nl ? (size_t)(nl - text) - at : n - at;
		event_add_line(ev, (struct th_span){text + at, len});
		at += len + 1;
	}
}

/* Builds the event, hands it to SINK (when not NULL) and the aggregate,
 * and counts it in the run, as the scanner does. */
static void world_event(struct world *w, struct th_sink *sink, struct spec s)
{
	struct th_event *ev = &w->ev;
	event_reset(ev);
	ev->rule = rule_index(w->catalog, s.rule ? s.rule : "test.error");
	ev->input = s.input ? s.input : "app.log";
	ev->input_index = s.input_index;
	ev->line = s.line ? s.line : 1;
	ev->end_line = ev->line + 2;
	ev->complete = true;
	ev->time = (struct th_time){0};
	if (s.time != NULL)
		cr_assert(isotime_read_printed(s.time, &ev->time), "%s",
			  s.time);
	const char *text =
	    s.text ? s.text : "Task exception was never retrieved";
	add_lines(ev, text, s.text_n ? s.text_n : strlen(text));
	set_field(ev, TH_F_COROUTINE, s.coroutine);
	set_field(ev, TH_F_EXCEPTION, s.exception);
	set_field(ev, TH_F_TASK, s.task);
	set_field(ev, TH_F_DEFINED_AT, s.defined_at);
	set_field(ev, TH_F_MESSAGE, s.message);
	if (s.culprit_file != NULL)
		event_set_culprit(
		    ev,
		    (struct th_span){s.culprit_file, strlen(s.culprit_file)},
		    s.culprit_line,
		    (struct th_span){s.culprit_function,
				     strlen(s.culprit_function)});
	if (sink)
		sink->event(sink, ev);
	agg_add(w->agg, ev);
	w->run.counts.events++;
}

/* A NUL byte and invalid UTF-8 (a lone continuation byte, a truncated
 * 3-byte sequence) in the log text. */
static const char nasty_text[] = "bad\0byte\n\x80 and \xE2\x82 end";
#define NASTY_N (sizeof nasty_text - 1)
/* The same after cleaning: U+FFFD for each invalid part, NUL kept. */
static const char nasty_clean[] =
    "bad\0byte\n\xEF\xBF\xBD and \xEF\xBF\xBD end";
#define NASTY_CLEAN_N (sizeof nasty_clean - 1)

/* Five events in three groups, two inputs (one failed), some ignored and
 * skipped: the report every format test below looks at. */
static void world_story(struct world *w, struct th_sink *sink)
{
	world_input(w, "logs/app.log", 1200, NULL);
	world_input(w, "bad.gz", 100, "corrupt gzip data");
	world_event(w, sink,
		    (struct spec){.coroutine = "fetch_user",
				  .exception = "ConnectionError",
				  .task = "Task-7",
				  .defined_at = "app/users.py:41",
				  .line = 310,
				  .time = "2024-05-01T10:00:01.123Z"});
	world_event(w, sink,
		    (struct spec){.coroutine = "fetch_user",
				  .exception = "TimeoutError",
				  .task = "Task-2",
				  .defined_at = "app/users.py:41",
				  .line = 1150,
				  .time = "2024-05-01T10:04:12.004Z"});
	world_event(w, sink,
		    (struct spec){.coroutine = "fetch_user",
				  .exception = "ConnectionError",
				  .task = "Task-10",
				  .line = 700,
				  .time = "2024-05-01T10:02:00Z"});
	world_event(
	    w, sink,
	    (struct spec){.rule = "test.warning",
			  .line = 40,
			  .text = "Task was destroyed but it is pending!"});
	world_event(w, sink,
		    (struct spec){.coroutine = "odd\xFFname",
				  .exception = "Err\xC3",
				  .line = 90,
				  .text = nasty_text,
				  .text_n = NASTY_N});
	w->run.ignored[0] = 4;
	w->run.counts.lines_truncated = 2;
}

/* ---- json ------------------------------------------------------------- */

static json_t *parse(const char *text, size_t n)
{
	json_error_t err;
	json_t *doc = json_loadb(text, n, JSON_ALLOW_NUL, &err);
	cr_assert(doc != NULL, "not JSON at %d:%d (%s):\n%s", err.line,
		  err.column, err.text, text);
	return doc;
}

/* Fails unless OBJ's keys are exactly WANT, in that order. */
static void expect_keys(const json_t *obj, const char *const *want, size_t n,
			const char *what)
{
	cr_assert(json_is_object(obj), "%s is not an object", what);
	size_t i = 0;
	for (void *it = json_object_iter((json_t *)obj); it;
	     it = json_object_iter_next((json_t *)obj, it), i++) {
		cr_assert_lt(i, n, "%s: extra key %s", what,
			     json_object_iter_key(it));
		cr_expect_str_eq(json_object_iter_key(it), want[i],
				 "%s: key %zu", what, i);
	}
	cr_expect_eq(i, n, "%s: %zu keys, want %zu", what, i, n);
}

static json_int_t int_at(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	cr_assert(json_is_integer(v), "%s is not an integer", key);
	return json_integer_value(v);
}

static const char *str_at(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	cr_assert(json_is_string(v), "%s is not a string", key);
	return json_string_value(v);
}

/* Runs the JSON sink over the story and parses what it printed. */
static json_t *json_story(struct world *w)
{
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_json_new(&ctx);
	world_story(w, s);
	cr_assert(s->finish(s), "finish on a good stream");
	s->free(s);
	const char *out = world_output(w);
	cr_assert_gt(w->len, 0);
	cr_expect_eq(out[w->len - 1], '\n', "newline-terminated");
	cr_expect(strstr(out, "{\n  \"schema\": ") == out,
		  "pretty with a 2-space indent:\n%.200s", out);
	return parse(out, w->len);
}

Test(report_json, top_level_has_the_spec_fields_in_order)
{
	struct world *w = world_new(NULL, 0);
	json_t *doc = json_story(w);
	const char *const keys[] = {"schema", "tool",	 "scanned", "events",
				    "groups", "ignored", "skipped"};
	expect_keys(doc, keys, 7, "report");
	cr_expect_str_eq(str_at(doc, "schema"), "tracehound.report/1");
	json_t *tool = json_object_get(doc, "tool");
	cr_expect_str_eq(str_at(tool, "name"), "tracehound");
	cr_expect_str_eq(str_at(tool, "version"), "9.8.7");
	cr_expect_eq(int_at(doc, "events"), 5);
	json_decref(doc);
	world_free(w);
}

Test(report_json, scanned_lists_inputs_with_errors_only_where_they_failed)
{
	struct world *w = world_new(NULL, 0);
	json_t *doc = json_story(w);
	json_t *scanned = json_object_get(doc, "scanned");
	cr_expect_eq(int_at(scanned, "lines"), 1300);
	cr_expect_eq(int_at(scanned, "bytes"), 1300 * 40);
	json_t *inputs = json_object_get(scanned, "inputs");
	cr_assert_eq(json_array_size(inputs), 2);
	const char *const good[] = {"name", "lines", "bytes"};
	expect_keys(json_array_get(inputs, 0), good, 3, "inputs[0]");
	cr_expect_str_eq(str_at(json_array_get(inputs, 0), "name"),
			 "logs/app.log");
	cr_expect_eq(int_at(json_array_get(inputs, 0), "lines"), 1200);
	const char *const bad[] = {"name", "lines", "bytes", "error"};
	expect_keys(json_array_get(inputs, 1), bad, 4, "inputs[1]");
	cr_expect_str_eq(str_at(json_array_get(inputs, 1), "error"),
			 "corrupt gzip data");
	json_decref(doc);
	world_free(w);
}

Test(report_json, group_has_every_field_in_spec_order_then_extras)
{
	struct world *w = world_new(NULL, 0);
	json_t *doc = json_story(w);
	json_t *groups = json_object_get(doc, "groups");
	cr_assert_eq(json_array_size(groups), 3);
	json_t *g = json_array_get(groups, 0);
	const char *const keys[] = {"key",
				    "count",
				    "rules",
				    "exceptions",
				    "severity",
				    "tasks",
				    "defined_at",
				    "first",
				    "last",
				    "example",
				    "culprit",
				    "message",
				    "source",
				    "tasks_capped",
				    "defined_at_capped",
				    "exceptions_other",
				    "timeline"};
	expect_keys(g, keys, 17, "groups[0]");
	const char *const key_keys[] = {"coroutine"};
	expect_keys(json_object_get(g, "key"), key_keys, 1, "key");
	cr_expect_str_eq(str_at(json_object_get(g, "key"), "coroutine"),
			 "fetch_user");
	cr_expect_eq(int_at(g, "count"), 3);
	json_t *rules = json_object_get(g, "rules");
	cr_expect_eq(json_object_size(rules), 1, "only rules that counted");
	cr_expect_eq(int_at(rules, "test.error"), 3);
	const char *const exc[] = {"ConnectionError", "TimeoutError"};
	expect_keys(json_object_get(g, "exceptions"), exc, 2, "exceptions");
	cr_expect_eq(
	    int_at(json_object_get(g, "exceptions"), "ConnectionError"), 2);
	cr_expect_str_eq(str_at(g, "severity"), "error");
	json_t *tasks = json_object_get(g, "tasks");
	cr_assert_eq(json_array_size(tasks), 3);
	cr_expect_str_eq(json_string_value(json_array_get(tasks, 0)), "Task-2");
	cr_expect_str_eq(json_string_value(json_array_get(tasks, 1)), "Task-7");
	cr_expect_str_eq(json_string_value(json_array_get(tasks, 2)),
			 "Task-10");
	cr_expect(json_is_false(json_object_get(g, "tasks_capped")));
	cr_expect_eq(json_array_size(json_object_get(g, "defined_at")), 1);
	cr_expect_eq(int_at(g, "exceptions_other"), 0);
	json_decref(doc);
	world_free(w);
}

Test(report_json, first_and_last_name_input_line_and_time_or_null)
{
	struct world *w = world_new(NULL, 0);
	json_t *doc = json_story(w);
	json_t *groups = json_object_get(doc, "groups");
	json_t *first = json_object_get(json_array_get(groups, 0), "first");
	const char *const keys[] = {"input", "line", "time"};
	expect_keys(first, keys, 3, "first");
	cr_expect_str_eq(str_at(first, "input"), "app.log");
	cr_expect_eq(int_at(first, "line"), 310);
	cr_expect_str_eq(str_at(first, "time"), "2024-05-01T10:00:01.123Z");
	json_t *last = json_object_get(json_array_get(groups, 0), "last");
	cr_expect_eq(int_at(last, "line"), 1150);
	/* groups 1 and 2 have one event each; NULL coroutine sorts first */
	json_t *g1 = json_array_get(groups, 1);
	cr_expect(json_is_null(
		      json_object_get(json_object_get(g1, "key"), "coroutine")),
		  "unknown coroutine is null");
	cr_expect(
	    json_is_null(json_object_get(json_object_get(g1, "first"), "time")),
	    "unknown time is null");
	cr_expect_eq(json_object_size(json_object_get(g1, "exceptions")), 0);
	cr_expect_str_eq(str_at(g1, "severity"), "warning");
	cr_expect_str_eq(str_at(g1, "example"),
			 "Task was destroyed but it is pending!");
	json_decref(doc);
	world_free(w);
}

Test(report_json, invalid_utf8_and_nul_from_the_log_stay_valid_json)
{
	struct world *w = world_new(NULL, 0);
	json_t *doc = json_story(w);
	json_t *g = json_array_get(json_object_get(doc, "groups"), 2);
	cr_expect_str_eq(str_at(json_object_get(g, "key"), "coroutine"),
			 "odd\xEF\xBF\xBDname");
	cr_expect_eq(
	    int_at(json_object_get(g, "exceptions"), "Err\xEF\xBF\xBD"), 1);
	json_t *ex = json_object_get(g, "example");
	cr_assert(json_is_string(ex));
	cr_expect_eq(json_string_length(ex), NASTY_CLEAN_N);
	cr_expect(memcmp(json_string_value(ex), nasty_clean, NASTY_CLEAN_N) ==
		      0,
		  "example keeps NUL and replaces invalid bytes with U+FFFD");
	cr_expect(strstr(world_output(w), "bad\\u0000byte") != NULL);
	json_decref(doc);
	world_free(w);
}

Test(report_json, any_bytes_in_log_text_give_a_document_jansson_reads)
{
	/* overlong, surrogate, past U+10FFFF, truncated, stray continuation,
	 * then pseudo-random bytes */
	char text[600] = "\xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80 \xF0\x9F "
			 "\xBF \xFE\xFF";
	size_t n = strlen(text);
	uint32_t x = 2463534242u;
	for (; n < sizeof text; n++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		text[n] = (char)(x & 0xFF);
	}
	struct world *w = world_new(NULL, 0);
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_json_new(&ctx);
	world_event(w, s,
		    (struct spec){.coroutine = "\xC0\xAF",
				  .exception = "\xED\xA0\x80",
				  .text = text,
				  .text_n = sizeof text});
	cr_assert(s->finish(s));
	s->free(s);
	json_t *doc = parse(world_output(w), w->len);
	json_t *g = json_array_get(json_object_get(doc, "groups"), 0);
	cr_expect_str_eq(str_at(json_object_get(g, "key"), "coroutine"),
			 "\xEF\xBF\xBD\xEF\xBF\xBD", "C0 AF: two bad bytes");
	cr_expect_eq(int_at(json_object_get(g, "exceptions"),
			    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),
		     1, "a surrogate: three bad bytes");
	json_decref(doc);
	world_free(w);
}

Test(report_json, every_ascii_byte_round_trips_at_every_alignment)
{
	/* The writer copies plain ASCII 8 bytes at a time: each byte that
	 * needs escaping must be caught wherever it falls in a word. */
	enum { SHIFTS = 8 };
	char texts[SHIFTS][SHIFTS + 160];
	size_t lens[SHIFTS];
	struct world *w = world_new(NULL, 0);
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_json_new(&ctx);
	for (size_t k = 0; k < SHIFTS; k++) {
		size_t n = 0;
		for (size_t i = 0; i < k; i++)
			texts[k][n++] = 'x';
		for (int c = 0; c < 0x80; c++)
			texts[k][n++] = (char)c;
		static const char tail[] = "caf\xC3\xA9 \"q\" \\ end";
		memcpy(texts[k] + n, tail, sizeof tail - 1);
		lens[k] = n + sizeof tail - 1;
		char coroutine[8] = {'c', (char)('0' + k), '\0'};
		world_event(w, s,
			    (struct spec){.coroutine = coroutine,
					  .text = texts[k],
					  .text_n = lens[k]});
	}
	cr_assert(s->finish(s));
	s->free(s);
	json_t *doc = parse(world_output(w), w->len);
	json_t *groups = json_object_get(doc, "groups");
	cr_assert_eq(json_array_size(groups), SHIFTS);
	for (size_t i = 0; i < SHIFTS; i++) {
		json_t *g = json_array_get(groups, i);
		const char *name =
		    str_at(json_object_get(g, "key"), "coroutine");
		size_t k = (size_t)(name[1] - '0');
		json_t *ex = json_object_get(g, "example");
		cr_assert(json_is_string(ex));
		cr_expect_eq(json_string_length(ex), lens[k], "shift %zu", k);
		cr_expect(memcmp(json_string_value(ex), texts[k], lens[k]) == 0,
			  "shift %zu: the example is the text", k);
	}
	json_decref(doc);
	world_free(w);
}

Test(report_json, ignored_lists_every_ignore_rule_and_skipped_every_counter)
{
	struct world *w = world_new(NULL, 0);
	json_t *doc = json_story(w);
	json_t *ignored = json_object_get(doc, "ignored");
	const char *const ign[] = {"ignore.health-check", "ignore.noise"};
	expect_keys(ignored, ign, 2, "ignored");
	cr_expect_eq(int_at(ignored, "ignore.health-check"), 4);
	cr_expect_eq(int_at(ignored, "ignore.noise"), 0, "0 is listed too");
	const char *const sk[] = {"lines_truncated", "events_truncated",
				  "events_incomplete", "match_errors",
				  "groups_dropped"};
	json_t *skipped = json_object_get(doc, "skipped");
	expect_keys(skipped, sk, 5, "skipped");
	cr_expect_eq(int_at(skipped, "lines_truncated"), 2);
	cr_expect_eq(int_at(skipped, "groups_dropped"), 0);
	json_decref(doc);
	world_free(w);
}

Test(report_json, key_holds_exactly_the_group_by_fields_in_order)
{
	const enum th_key keys[] = {TH_KEY_EXCEPTION, TH_KEY_RULE,
				    TH_KEY_INPUT};
	struct world *w = world_new(keys, 3);
	json_t *doc = json_story(w);
	json_t *groups = json_object_get(doc, "groups");
	cr_assert_eq(json_array_size(groups), 4);
	const char *const want[] = {"exception", "rule", "input"};
	for (size_t i = 0; i < 4; i++)
		expect_keys(json_object_get(json_array_get(groups, i), "key"),
			    want, 3, "key");
	json_t *k0 = json_object_get(json_array_get(groups, 0), "key");
	cr_expect_str_eq(str_at(k0, "exception"), "ConnectionError");
	cr_expect_str_eq(str_at(k0, "rule"), "test.error");
	cr_expect_str_eq(str_at(k0, "input"), "app.log");
	json_decref(doc);
	world_free(w);
}

Test(report_json, empty_run_is_still_a_whole_report)
{
	struct world *w = world_new(NULL, 0);
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_json_new(&ctx);
	cr_assert(s->finish(s));
	s->free(s);
	json_t *doc = parse(world_output(w), w->len);
	cr_expect_eq(json_array_size(json_object_get(doc, "groups")), 0);
	cr_expect_eq(int_at(doc, "events"), 0);
	json_decref(doc);
	world_free(w);
}

/* ---- ndjson ----------------------------------------------------------- */

Test(report_ndjson, one_compact_object_per_event_and_nothing_at_finish)
{
	struct world *w = world_new(NULL, 0);
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_ndjson_new(&ctx);
	world_story(w, s);
	size_t before = strlen(world_output(w));
	cr_assert(s->finish(s));
	s->free(s);
	const char *out = world_output(w);
	cr_expect_eq(w->len, before, "finish prints nothing more");
	size_t lines = 0;
	for (const char *p = out; *p; lines++) {
		const char *nl = strchr(p, '\n');
		cr_assert(nl != NULL, "every object ends with a newline");
		json_t *o = parse(p, (size_t)(nl - p));
		const char *const keys[] = {
		    "rule",    "severity", "coroutine",	 "exception",
		    "message", "task",	   "defined_at", "created_at",
		    "source",  "culprit",  "time",	 "input",
		    "line",    "end_line", "complete",	 "text"};
		expect_keys(o, keys, 16, "event");
		json_decref(o);
		p = nl + 1;
	}
	cr_expect_eq(lines, 5);
	world_free(w);
}

Test(report_ndjson, fields_are_null_when_unset_and_text_is_cleaned)
{
	struct world *w = world_new(NULL, 0);
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_ndjson_new(&ctx);
	world_input(w, "app.log", 10, NULL);
	world_event(w, s,
		    (struct spec){.coroutine = "c",
				  .exception = "E",
				  .line = 7,
				  .time = "2024-05-01T10:00:00Z",
				  .text = nasty_text,
				  .text_n = NASTY_N,
				  .rule = "test.warning"});
	s->free(s);
	const char *out = world_output(w);
	json_t *o = parse(out, w->len - 1);
	cr_expect_str_eq(str_at(o, "rule"), "test.warning");
	cr_expect_str_eq(str_at(o, "severity"), "warning");
	cr_expect_str_eq(str_at(o, "coroutine"), "c");
	cr_expect_str_eq(str_at(o, "exception"), "E");
	cr_expect(json_is_null(json_object_get(o, "task")));
	cr_expect(json_is_null(json_object_get(o, "created_at")));
	cr_expect(json_is_null(json_object_get(o, "source")),
		  "no framing named a writer");
	cr_expect_str_eq(str_at(o, "time"), "2024-05-01T10:00:00Z");
	cr_expect_str_eq(str_at(o, "input"), "app.log");
	cr_expect_eq(int_at(o, "line"), 7);
	cr_expect_eq(int_at(o, "end_line"), 9);
	cr_expect(json_is_true(json_object_get(o, "complete")));
	json_t *text = json_object_get(o, "text");
	cr_expect_eq(json_string_length(text), NASTY_CLEAN_N);
	cr_expect(memcmp(json_string_value(text), nasty_clean, NASTY_CLEAN_N) ==
		  0);
	cr_expect(strchr(out, '\n') == out + w->len - 1, "one line: %s", out);
	json_decref(o);
	world_free(w);
}

Test(report_ndjson, each_event_is_flushed_as_it_is_written)
{
	struct world *w = world_new(NULL, 0);
	FILE *f = tmpfile();
	cr_assert(f != NULL);
	char big[1 << 16]; /* outlives F: closed below */
	setvbuf(f, big, _IOFBF, sizeof big);
	struct th_report_ctx ctx = world_ctx(w, false);
	ctx.out = f;
	struct th_sink *s = report_ndjson_new(&ctx);
	world_event(w, s, (struct spec){.coroutine = "c"});
	char got[4096];
	ssize_t n = pread(fileno(f), got, sizeof got - 1, 0);
	cr_assert_gt(n, 0, "nothing reached the file before finish()");
	got[n] = '\0';
	cr_expect_eq(got[n - 1], '\n', "a whole line: %s", got);
	cr_expect(s->finish(s));
	s->free(s);
	fclose(f);
	world_free(w);
}

/* ---- text ------------------------------------------------------------- */

/* Runs the text sink over the story; returns its output. */
static const char *text_story(struct world *w, bool color)
{
	struct th_report_ctx ctx = world_ctx(w, color);
	struct th_sink *s = report_text_new(&ctx);
	world_story(w, s);
	cr_assert(s->finish(s));
	s->free(s);
	return world_output(w);
}

static void expect_has(const char *out, const char *piece)
{
	cr_expect(strstr(out, piece) != NULL, "missing \"%s\" in:\n%s", piece,
		  out);
}

Test(report_text, summary_has_header_table_details_and_footer)
{
	struct world *w = world_new(NULL, 0);
	const char *out = text_story(w, false);
	const char header[] =
	    "tracehound: 5 events in 3 groups, 2 inputs, 1300 lines\n\n";
	cr_expect(strncmp(out, header, strlen(header)) == 0,
		  "header line, then a blank line:\n%s", out);
	const char *pieces[] = {"COUNT", "SEVERITY", "COROUTINE", "EXCEPTIONS",
				"RULES", "FIRST", "LAST",
				("ConnectionError\xC3\x97"
				 "2, TimeoutError\xC3\x97"
				 "1"),
				"fetch_user (3 events, error)",
				"Task-2, Task-7, Task-10", "app/users.py:41",
				"app.log:310 2024-05-01 10:00:01",
				"app.log:310 at 2024-05-01T10:00:01.123Z",
				"rules       test.error\n", "(unknown)",
				"  seen        app.log:40\n",
				"    Task was destroyed but it is pending!",
				/* split: "\x974" would be one escape */
				("ignored  ignore.health-check\xC3\x97"
				 "4"),
				"skipped  2 lines cut at the read buffer",
				"failed   bad.gz: corrupt gzip data"};
	for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++)
		expect_has(out, pieces[i]);
	cr_expect(strstr(out, "ignore.noise") == NULL,
		  "ignore rules that dropped nothing are not listed");
	world_free(w);
}

Test(report_text, no_escape_codes_without_color_even_from_log_text)
{
	struct world *w = world_new(NULL, 0);
	world_event(w, NULL,
		    (struct spec){.coroutine = "\x1b[2Jwipe",
				  .text = "\x1b[31mred\x1b[0m\ttab\x7f"});
	const char *out = text_story(w, false);
	cr_expect(strchr(out, '\x1b') == NULL, "raw ESC in:\n%s", out);
	expect_has(out, "\\x1b[2Jwipe");
	expect_has(out, "    \\x1b[31mred\\x1b[0m\ttab\\x7f");
	expect_has(out, "bad\\x00byte");
	world_free(w);
}

Test(report_text, colors_severity_and_headers_when_asked)
{
	struct world *w = world_new(NULL, 0);
	const char *out = text_story(w, true);
	expect_has(out, "\x1b[31merror");
	expect_has(out, "\x1b[33mwarning");
	expect_has(out, "\x1b[1m");
	world_free(w);
}

Test(report_text, no_events_is_one_line)
{
	struct world *w = world_new(NULL, 0);
	world_input(w, "a.log", 40, NULL);
	world_input(w, "b.log", 2, NULL);
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_text_new(&ctx);
	cr_assert(s->finish(s));
	s->free(s);
	cr_expect_str_eq(
	    world_output(w),
	    "tracehound: no events found in 42 lines of 2 inputs\n");
	world_free(w);
}

Test(report_text, capped_lists_and_long_examples_say_there_is_more)
{
	struct world *w = world_new(NULL, 0);
	char text[4096] = "Traceback (most recent call last):";
	for (int i = 0; i < 19; i++)
		strcat(text, "\n  File \"x.py\", line 1, in f");
	for (int i = 0; i < TH_MAX_LIST + 1; i++) {
		char task[24]; /* "Task-" and any int */
		snprintf(task, sizeof task, "Task-%d", i);
		world_event(w, NULL,
			    (struct spec){.coroutine = "c",
					  .task = task,
					  .text = text,
					  .line = (uint64_t)i + 1});
	}
	const char *out = text_story(w, false);
	expect_has(out, "Task-19, \xE2\x80\xA6"
			"and more");
	expect_has(out, "    \xE2\x80\xA6 5 more lines\n");
	world_free(w);
}

Test(report_text, the_block_says_where_and_what_and_keeps_the_final_line)
{
	struct world *w = world_new(NULL, 0);
	char text[4096] = "Traceback (most recent call last):";
	for (int i = 0; i < 30; i++)
		strcat(text, "\n  File \"x.py\", line 1, in f");
	strcat(text, "\nValueError: bad \x1b[2J payload");
	world_event(w, NULL,
		    (struct spec){.coroutine = "fetch_user",
				  .text = text,
				  .message = "bad \x1b[2J payload",
				  .culprit_file = "app/users.py",
				  .culprit_line = 88,
				  .culprit_function = "fetch_user"});
	const char *out = text_story(w, false);
	expect_has(out, "  at          app/users.py:88 in fetch_user\n"
			"  message     bad \\x1b[2J payload\n");
	expect_has(out, "    \xE2\x80\xA6 17 more lines\n"
			"    ValueError: bad \\x1b[2J payload\n");
	world_free(w);
}

Test(report_text, key_columns_replace_the_rules_and_exceptions_columns)
{
	const enum th_key keys[] = {TH_KEY_RULE, TH_KEY_EXCEPTION};
	struct world *w = world_new(keys, 2);
	const char *out = text_story(w, false);
	expect_has(out, "COUNT  SEVERITY  RULE ");
	expect_has(out, "EXCEPTION ");
	cr_expect(strstr(out, "RULES") == NULL, "%s", out);
	cr_expect(strstr(out, "EXCEPTIONS") == NULL, "%s", out);
	expect_has(out, "rule=test.error exception=ConnectionError (2 events");
	world_free(w);
}

Test(report_text, follow_prints_each_event_as_it_comes)
{
	struct world *w = world_new(NULL, 0);
	struct th_report_ctx ctx = world_ctx(w, false);
	ctx.follow = true;
	struct th_sink *s = report_text_new(&ctx);
	world_event(
	    w, s,
	    (struct spec){.coroutine = "c", .exception = "E", .line = 12});
	expect_has(world_output(w), "app.log:12  error  test.error  c  E\n"
				    "    Task exception was never retrieved\n");
	s->free(s);
	world_free(w);
}

/* ---- failed output ---------------------------------------------------- */

/* Runs the story into OUT through a sink of each format; finish() must
 * report the failure. */
static void expect_finish_fails(FILE *out, const char *what)
{
	struct th_sink *(*makers[])(const struct th_report_ctx *) = {
	    report_text_new, report_json_new, report_ndjson_new};
	const char *names[] = {"text", "json", "ndjson"};
	for (size_t i = 0; i < 3; i++) {
		struct world *w = world_new(NULL, 0);
		struct th_report_ctx ctx = world_ctx(w, false);
		ctx.out = out;
		struct th_sink *s = makers[i](&ctx);
		world_story(w, s);
		cr_expect_not(s->finish(s), "%s sink on %s", names[i], what);
		s->free(s);
		world_free(w);
		clearerr(out);
	}
}

Test(report, finish_fails_on_a_full_device)
{
	FILE *full = fopen("/dev/full", "w");
	cr_assert(full != NULL);
	expect_finish_fails(full, "/dev/full");
	fclose(full);
}

Test(report, finish_fails_on_a_closed_pipe)
{
	signal(SIGPIPE, SIG_IGN);
	int fds[2];
	cr_assert(pipe(fds) == 0);
	close(fds[0]);
	FILE *out = fdopen(fds[1], "w");
	cr_assert(out != NULL);
	expect_finish_fails(out, "a closed pipe");
	fclose(out);
}

/* Text a terminal shows other than it is: BiDi controls and zero-width
 * characters are escaped like C1 controls, and a literal backslash is
 * doubled so "\x1b" in a log is told from an escaped ESC. */
static void assert_term_clean(const char *in, const char *want)
{
	size_t n;
	char *got = text_term_clean(in, strlen(in), false, &n);
	cr_assert_str_eq(got, want);
	cr_assert_eq(n, strlen(want));
	free(got);
}

Test(report_term, bidi_and_zero_width_and_backslash_are_escaped)
{
	assert_term_clean("evilfn\xE2\x80\xAEgnp.exe", "evilfn\\u202egnp.exe");
	assert_term_clean("a\xE2\x81\xA6"
			  "b\xE2\x81\xA9",
			  "a\\u2066b\\u2069");
	assert_term_clean("z\xE2\x80\x8Bw\xEF\xBB\xBF", "z\\u200bw\\ufeff");
	assert_term_clean("\xE2\x81\xA0", "\\u2060");
	assert_term_clean("\\x1b \x1b", "\\\\x1b \\x1b");
	assert_term_clean("\xE2\x80\x94 ok", "\xE2\x80\x94 ok");
}

/* Terminal columns under the character type main.c selects. */
static size_t width_of(const char *s)
{
	cr_assert(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
	return report_width(s, strlen(s));
}

Test(report_width, wide_characters_take_two_columns_and_marks_none)
{
	cr_expect_eq(width_of("task_1"), 6);
	cr_expect_eq(width_of("\xD0\xB7\xD0\xB0\xD0\xB4"), 3); /* задача */
	cr_expect_eq(width_of("\xE6\x95\xB0\xE6\x8D\xAE"), 4); /* 数据 */
	cr_expect_eq(width_of("\xF0\x9F\x90\x8D"), 2);	       /* snake */
	cr_expect_eq(width_of("e\xCC\x81"), 1);	   /* e + combining acute */
	cr_expect_eq(width_of("\xEF\xBF\xBD"), 1); /* U+FFFD */
}

Test(report_width, a_cut_never_splits_a_wide_character_or_its_marks)
{
	cr_assert(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
	const char *cjk = "\xE6\x95\xB0\xE6\x8D\xAE\xE5\xBA\x93"; /* 数据库 */
	cr_expect_eq(report_fit(cjk, strlen(cjk), 4), 6);
	cr_expect_eq(report_fit(cjk, strlen(cjk), 3), 3); /* 数 + 1 spare */
	cr_expect_eq(report_fit(cjk, strlen(cjk), 1), 0);
	const char *accent = "ae\xCC\x81z";
	cr_expect_eq(report_fit(accent, strlen(accent), 2), 4); /* a é */
	cr_expect_eq(report_fit(accent, strlen(accent), 9), strlen(accent));
}

/* ---- escaping and cleaning at every position ---------------------------- */

/* The clean form of P[0..N) one sequence at a time (NUL kept, each
 * invalid sequence one U+FFFD): what the block-wise paths must match.
 * OUT has room for 3 * N bytes; returns its length. */
static size_t reference_clean(const char *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		bool valid;
		size_t step = text_utf8_step(p + i, n - i, &valid);
		memcpy(out + o, valid ? p + i : "\xEF\xBF\xBD",
		       valid ? step : 3);
		o += valid ? step : 3;
		i += step;
	}
	return o;
}

/* Bytes that each need a look of their own: JSON escapes, other control
 * bytes, NUL, DEL (plain), valid and invalid UTF-8. */
static const struct {
	const char *p;
	size_t n;
} odd_pieces[] = {
    {"\"", 1},		 {"\\", 1},
    {"\n", 1},		 {"\t", 1},
    {"\x01", 1},	 {"\x1F", 1},
    {"\0", 1},		 {"\x7F", 1},
    {"\x80", 1},	 {"\xFF", 1},
    {"\xC3\xA9", 2},	 {"\xE2\x82", 2},
    {"\xED\xA0\x80", 3}, {"\xF0\x9F\x90\x8D", 4},
    {"\"\\\x02", 3},
};
#define ODD_PIECES (sizeof odd_pieces / sizeof odd_pieces[0])
#define ODD_LEN	   40 /* five words, with every tail on the way */

/* S: LEN letters with piece K over them from AT (cut at LEN), then a NUL.
 * Returns LEN. */
static size_t odd_text(char *s, size_t len, size_t at, size_t k)
{
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('a' + i % 26);
	size_t n = odd_pieces[k].n < len - at ? odd_pieces[k].n : len - at;
	memcpy(s + at, odd_pieces[k].p, n);
	s[len] = '\0';
	return len;
}

/* P[0..N) as jansson writes it as a JSON string, cleaned first: the
 * bytes the JSON report must hold for it. Caller frees. */
static char *jansson_string(const char *p, size_t n)
{
	char *clean = malloc(3 * n + 1);
	cr_assert(clean != NULL);
	json_t *s = json_stringn(clean, reference_clean(p, n, clean));
	cr_assert(s != NULL);
	char *dump = json_dumps(s, JSON_ENCODE_ANY);
	cr_assert(dump != NULL);
	json_decref(s);
	free(clean);
	return dump;
}

Test(report_util, utf8_clean_matches_one_sequence_at_a_time_everywhere)
{
	char text[ODD_LEN + 1], want[3 * ODD_LEN];
	struct th_buf b = {0};
	for (size_t k = 0; k < ODD_PIECES; k++)
		for (size_t len = 1; len <= ODD_LEN; len++)
			for (size_t at = 0; at < len; at++) {
				odd_text(text, len, at, k);
				size_t want_n =
				    reference_clean(text, len, want);
				size_t got_n;
				char *got =
				    report_utf8_clean(text, len, &got_n);
				cr_assert_eq(got_n, want_n,
					     "piece %zu at %zu/%zu", k, at,
					     len);
				cr_assert(memcmp(got, want, want_n) == 0 &&
					      got[got_n] == '\0',
					  "piece %zu at %zu/%zu", k, at, len);
				free(got);
				b.n = 0;
				buf_add(&b, "x", 1);
				cr_assert_eq(
				    report_utf8_clean_add(&b, text, len),
				    want_n);
				cr_assert(
				    b.n == 1 + want_n && b.p[b.n] == '\0' &&
					memcmp(b.p + 1, want, want_n) == 0,
				    "appended after what B held: %zu/%zu", at,
				    len);
				json_t *j = report_json_text(text, len);
				cr_assert(json_string_length(j) == want_n &&
					      memcmp(json_string_value(j), want,
						     want_n) == 0,
					  "JSON text of piece %zu at %zu/%zu",
					  k, at, len);
				json_decref(j);
			}
	buf_fini(&b);
}

/* Fails unless OUT holds PREFIX, then jansson's form of P[0..N), then
 * SUFFIX. */
static void expect_json_string(const char *out, const char *prefix,
			       const char *p, size_t n, const char *suffix,
			       const char *what)
{
	char *dump = jansson_string(p, n);
	size_t len = strlen(prefix) + strlen(dump) + strlen(suffix) + 1;
	char *needle = malloc(len);
	cr_assert(needle != NULL);
	snprintf(needle, len, "%s%s%s", prefix, dump, suffix);
	cr_expect(strstr(out, needle) != NULL, "%s: no %s in the report", what,
		  needle);
	free(needle);
	free(dump);
}

Test(report_json, strings_are_escaped_as_jansson_does_at_every_position)
{
	/* The writer looks at 8 bytes at a time, the last few padded: an odd
	 * byte must be caught at every place in and across them, in the
	 * example, a key's value and a counted member's key. */
	char texts[ODD_LEN][ODD_LEN + 1];
	for (size_t k = 0; k < ODD_PIECES; k++)
		for (size_t len = 1; len <= ODD_LEN; len++) {
			struct world *w = world_new(NULL, 0);
			struct th_report_ctx ctx = world_ctx(w, false);
			struct th_sink *s = report_json_new(&ctx);
			for (size_t at = 0; at < len; at++) {
				odd_text(texts[at], len, at, k);
				world_event(
				    w, s,
				    (struct spec){.coroutine = texts[at],
						  .exception = texts[at],
						  .text = texts[at],
						  .text_n = len});
			}
			cr_assert(s->finish(s));
			s->free(s);
			const char *out = world_output(w);
			for (size_t at = 0; at < len; at++) {
				const char *t = texts[at];
				char what[64];
				snprintf(what, sizeof what,
					 "piece %zu at %zu of %zu", k, at, len);
				expect_json_string(out, "\"example\": ", t, len,
						   ",\n", what);
				expect_json_string(out, "\"coroutine\": ", t,
						   strlen(t), "\n", what);
				expect_json_string(out, "", t, strlen(t), ": 1",
						   what);
			}
			world_free(w);
		}
}

Test(report_json, long_text_of_any_bytes_is_escaped_as_jansson_does)
{
	enum { LONG = 12000 };
	char *text = malloc(LONG);
	cr_assert(text != NULL);
	uint32_t x = 88172645u;
	for (size_t i = 0; i < LONG; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		/* mostly ASCII, as logs are, with runs long enough to
		 * skip block by block between the odd bytes */
		text[i] = (char)(x % 7 == 0 ? x >> 8 & 0xFF : 'a' + x % 26);
		if (i % 1000 == 999)
			text[i] = '\n'; /* lines under the longest kept */
	}
	struct world *w = world_new(NULL, 0);
	struct th_report_ctx ctx = world_ctx(w, false);
	struct th_sink *s = report_json_new(&ctx);
	world_event(
	    w, s,
	    (struct spec){.coroutine = "c", .text = text, .text_n = LONG});
	cr_assert(s->finish(s));
	s->free(s);
	expect_json_string(world_output(w), "\"example\": ", text, LONG, ",\n",
			   "12000 bytes");
	world_free(w);
	free(text);
}
