/* report_ndjson.c - the --format ndjson sink: one compact JSON object per
 * event, written and flushed as the event is complete, so `| jq` and
 * `--follow` see it at once. finish() prints nothing more.
 *
 * After the first failed write (EPIPE from `| head`, ENOSPC) the sink
 * writes nothing more and finish() reports the failure, with errno set
 * back to that write's, for the caller to say why.
 */
#include <errno.h>
#include <stdlib.h>

#include "diag.h"
#include "report.h"
#include "report_util.h"
#include "buf.h"

struct ndjson_sink {
	struct th_sink base; /* first member: th_sink * converts back */
	struct th_buf text;  /* reused for each event's text */
	bool failed;
	int failed_errno; /* why the first failed write failed */
};

/* A field's value as a JSON string, or null when unset. */
static json_t *field_json(const struct th_event *ev, enum th_field f)
{
	struct th_span v = event_get(ev, f);
	return v.p ? report_json_text(v.p, v.n) : json_null();
}

/* The event as a new JSON object; the caller decrefs it. */
static json_t *event_json(struct ndjson_sink *s, const struct th_event *ev)
{
	const struct th_catalog *cat = s->base.ctx.catalog;
	json_t *o = json_object();
	if (o == NULL)
		die("out of memory (JSON object)");
	report_json_set(o, "rule",
			report_json_cstr(catalog_rule_id(cat, ev->rule)));
	report_json_set(o, "severity",
			json_string(report_severity_name(
			    catalog_rule_severity(cat, ev->rule))));
	/* every field, by its catalog name, in enum th_field order */
	for (size_t f = 0; f < TH_F_COUNT; f++)
		report_json_set(o, catalog_field_name((enum th_field)f),
				field_json(ev, (enum th_field)f));
	const struct th_culprit *c = &ev->culprit;
	report_json_set(o, "culprit",
			report_json_culprit(c->file.set ? c->file.v : NULL,
					    c->line, c->function.v));
	char time[TH_TIME_LEN];
	report_json_set(
	    o, "time",
	    report_json_cstr(isotime_print(&ev->time, time) ? time : NULL));
	report_json_set(o, "input", report_json_cstr(ev->input));
	report_json_set(o, "line", report_json_uint(ev->line));
	report_json_set(o, "end_line", report_json_uint(ev->end_line));
	report_json_set(o, "complete", json_boolean(ev->complete));
	size_t n = report_event_text(ev, &s->text);
	report_json_set(o, "text", report_json_text(s->text.p, n));
	return o;
}

/* Writes and flushes the event's line; after a failed write, nothing. */
static void ndjson_event(struct th_sink *base, const struct th_event *ev)
{
	struct ndjson_sink *s = (struct ndjson_sink *)base;
	if (s->failed)
		return;
	json_t *o = event_json(s, ev);
	errno = 0;
	if (!report_json_write(base->ctx.out, o, JSON_COMPACT) ||
	    fflush(base->ctx.out) != 0) {
		s->failed = true;
		s->failed_errno = errno;
	}
	json_decref(o);
}

/* Returns false when any event could not be written. */
static bool ndjson_finish(struct th_sink *base)
{
	struct ndjson_sink *s = (struct ndjson_sink *)base;
	if (!s->failed && fflush(base->ctx.out) != 0) {
		s->failed = true;
		s->failed_errno = errno;
	}
	if (s->failed)
		errno = s->failed_errno;
	return !s->failed && !ferror(base->ctx.out);
}

/* Frees the sink; the stream is the caller's. */
static void ndjson_free(struct th_sink *base)
{
	struct ndjson_sink *s = (struct ndjson_sink *)base;
	if (s == NULL)
		return;
	buf_fini(&s->text);
	free(s);
}

struct th_sink *report_ndjson_new(const struct th_report_ctx *ctx)
{
	struct ndjson_sink *s = xcalloc(1, sizeof *s);
	s->base.event = ndjson_event;
	s->base.finish = ndjson_finish;
	s->base.free = ndjson_free;
	s->base.ctx = *ctx;
	s->base.per_event = true;
	buf_reserve(&s->text, 64 * 1024);
	return &s->base;
}
