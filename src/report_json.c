/* report_json.c - the --format json sink: one JSON document (SPEC §3)
 * printed when the run is finished; events pass through uncounted here
 * because the aggregate and the run already hold everything it prints.
 *
 * Keys come in the order of the SPEC example, then the extras
 * (tasks_capped, defined_at_capped, exceptions_other, and timeline for a
 * group with times); jansson keeps insertion order.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "isotime.h"
#include "report.h"
#include "report_util.h"

static const char schema[] = "tracehound.report/1";

/* Nothing to do per event: the aggregate already counted it. */
static void json_sink_event(struct th_sink *s, const struct th_event *ev)
{
	(void)s;
	(void)ev;
}

/* New empty containers; out of memory dies, as everywhere. */
static json_t *new_object(void)
{
	json_t *o = json_object();
	if (o == NULL)
		die("out of memory (JSON object)");
	return o;
}

static json_t *new_array(void)
{
	json_t *a = json_array();
	if (a == NULL)
		die("out of memory (JSON array)");
	return a;
}

/* Appends VALUE (taking the reference) or dies. */
static void append(json_t *array, json_t *value)
{
	if (value == NULL || json_array_append_new(array, value) != 0)
		die("out of memory (JSON array)");
}

/* "scanned": each input with its error only when it had one, and totals. */
static json_t *scanned_json(const struct th_run *run)
{
	json_t *inputs = new_array();
	uint64_t lines = 0, bytes = 0;
	for (size_t i = 0; i < run->n_inputs; i++) {
		const struct th_run_input *in = &run->inputs[i];
		json_t *o = new_object();
		report_json_set(o, "name", report_json_cstr(in->name));
		report_json_set(o, "lines", report_json_uint(in->lines));
		report_json_set(o, "bytes", report_json_uint(in->bytes));
		if (in->error != NULL)
			report_json_set(o, "error",
					report_json_cstr(in->error));
		append(inputs, o);
		lines += in->lines;
		bytes += in->bytes;
	}
	json_t *scanned = new_object();
	report_json_set(scanned, "inputs", inputs);
	report_json_set(scanned, "lines", report_json_uint(lines));
	report_json_set(scanned, "bytes", report_json_uint(bytes));
	return scanned;
}

/* "key": exactly the group-by fields, in order; null for no value. */
static json_t *key_json(const struct th_agg *agg, const struct th_group *g)
{
	const enum th_key *keys;
	size_t n = agg_keys(agg, &keys);
	json_t *o = new_object();
	for (size_t i = 0; i < n; i++)
		report_json_set(o, agg_key_name(keys[i]),
				report_json_cstr(g->key[keys[i]]));
	return o;
}

/* "rules": rule id → events, for the rules that found any. */
static json_t *rules_json(const struct th_rules *rules,
			  const struct th_group *g)
{
	json_t *o = new_object();
	for (size_t r = 0; r < rules_count(rules); r++) {
		if (g->rule_counts[r] > 0)
			report_json_set_text(
			    o, rules_id(rules, r), strlen(rules_id(rules, r)),
			    report_json_uint(g->rule_counts[r]));
	}
	return o;
}

/* "exceptions": name → events, in the group's order (count desc). */
static json_t *exceptions_json(const struct th_group *g)
{
	json_t *o = new_object();
	for (size_t i = 0; i < g->n_exceptions; i++) {
		const struct th_count *c = &g->exceptions[i];
		report_json_set_text(o, c->name, strlen(c->name),
				     report_json_uint(c->count));
	}
	return o;
}

/* A capped list's kept values, in order. */
static json_t *list_json(const struct th_capped *l)
{
	json_t *a = new_array();
	for (size_t i = 0; i < l->n; i++)
		append(a, report_json_cstr(l->items[i]));
	return a;
}

/* "first" / "last": time is null when unknown. */
static json_t *where_json(const struct th_where *w)
{
	json_t *o = new_object();
	report_json_set(o, "input", report_json_cstr(w->input));
	report_json_set(o, "line", report_json_uint(w->line));
	report_json_set(o, "time",
			report_json_cstr(w->time[0] ? w->time : NULL));
	return o;
}

/* "timeline": {"start": ISO, "bucket_seconds": N, "counts": [...]}, the
 * counts up to the last non-empty bucket; "Z" on start when the group's
 * times have a zone. NULL for a group without times. */
static json_t *timeline_json(const struct th_group *g)
{
	const struct th_timeline *t = &g->timeline;
	size_t used = timeline_used(t);
	if (used == 0)
		return NULL;
	size_t n = strnlen(g->last.time, sizeof g->last.time);
	char start[40];
	isotime_format(t->first * (int64_t)t->width,
		       n > 0 && g->last.time[n - 1] == 'Z', start);
	json_t *counts = new_array();
	for (size_t i = 0; i < used; i++)
		append(counts, report_json_uint(t->counts[i]));
	json_t *o = new_object();
	report_json_set(o, "start", json_string(start));
	report_json_set(o, "bucket_seconds", report_json_uint(t->width));
	report_json_set(o, "counts", counts);
	return o;
}

/* One entry of "groups" (SPEC §3), then the extras. */
static json_t *group_json(const struct th_report_ctx *c,
			  const struct th_group *g)
{
	json_t *o = new_object();
	report_json_set(o, "key", key_json(c->agg, g));
	report_json_set(o, "count", report_json_uint(g->count));
	report_json_set(o, "rules", rules_json(c->rules, g));
	report_json_set(o, "exceptions", exceptions_json(g));
	report_json_set(o, "severity",
			json_string(report_severity_name(g->severity)));
	report_json_set(o, "tasks", list_json(&g->tasks));
	report_json_set(o, "defined_at", list_json(&g->defined_at));
	report_json_set(o, "first", where_json(&g->first));
	report_json_set(o, "last", where_json(&g->last));
	report_json_set(
	    o, "example",
	    report_json_text(g->example ? g->example : "", g->example_len));
	report_json_set(o, "tasks_capped", json_boolean(g->tasks.capped));
	report_json_set(o, "defined_at_capped",
			json_boolean(g->defined_at.capped));
	report_json_set(o, "exceptions_other",
			report_json_uint(g->exceptions_other));
	if (g->novelty != TH_NOVELTY_UNKNOWN) /* --state */
		report_json_set(o, "new",
				json_boolean(g->novelty == TH_NOVELTY_NEW));
	json_t *timeline = timeline_json(g);
	if (timeline != NULL)
		report_json_set(o, "timeline", timeline);
	return o;
}

/* "ignored": every ignore rule, 0 included, so a silenced rule is seen. */
static json_t *ignored_json(const struct th_rules *rules,
			    const struct th_run *run)
{
	json_t *o = new_object();
	size_t n = rules_ignore_count(rules);
	for (size_t i = 0; i < n && i < run->n_ignored; i++) {
		const char *id = rules_ignore_id(rules, i);
		report_json_set_text(o, id, strlen(id),
				     report_json_uint(run->ignored[i]));
	}
	return o;
}

/* "skipped": every counter, zeros included. */
static json_t *skipped_json(const struct th_run *run)
{
	json_t *o = new_object();
	report_json_set(o, "lines_truncated",
			report_json_uint(run->lines_truncated));
	report_json_set(o, "events_truncated",
			report_json_uint(run->events_truncated));
	report_json_set(o, "events_incomplete",
			report_json_uint(run->events_incomplete));
	report_json_set(o, "match_errors", report_json_uint(run->match_errors));
	report_json_set(o, "groups_dropped",
			report_json_uint(run->groups_dropped));
	return o;
}

/* The whole report as a new JSON value; the caller decrefs it. */
static json_t *report_json(const struct th_report_ctx *c)
{
	json_t *tool = new_object();
	report_json_set(tool, "name", json_string("tracehound"));
	report_json_set(tool, "version",
			report_json_cstr(c->version ? c->version : ""));
	const struct th_group *const *groups;
	size_t n = agg_sorted(c->agg, &groups);
	json_t *list = new_array();
	for (size_t i = 0; i < n; i++)
		append(list, group_json(c, groups[i]));

	json_t *doc = new_object();
	report_json_set(doc, "schema", json_string(schema));
	report_json_set(doc, "tool", tool);
	report_json_set(doc, "scanned", scanned_json(c->run));
	report_json_set(doc, "events", report_json_uint(c->run->events));
	report_json_set(doc, "groups", list);
	report_json_set(doc, "ignored", ignored_json(c->rules, c->run));
	report_json_set(doc, "skipped", skipped_json(c->run));
	return doc;
}

/* Prints the document. Returns false when any write failed (the stream's
 * error flag tells, as buffered writes fail only at the flush). */
static bool json_sink_finish(struct th_sink *s)
{
	json_t *doc = report_json(&s->ctx);
	bool ok = report_json_write(s->ctx.out, doc, JSON_INDENT(2));
	json_decref(doc);
	ok = fflush(s->ctx.out) == 0 && ok;
	return ok && !ferror(s->ctx.out);
}

/* Frees the sink; the stream is the caller's. */
static void json_sink_free(struct th_sink *s)
{
	free(s);
}

struct th_sink *report_json_new(const struct th_report_ctx *ctx)
{
	struct th_sink *s = xcalloc(1, sizeof *s);
	s->event = json_sink_event;
	s->finish = json_sink_finish;
	s->free = json_sink_free;
	s->ctx = *ctx;
	return s;
}
