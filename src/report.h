/* report.h - the output formats. Each is a sink: it sees every event as it
 * is complete (event()) and the finished aggregate once (finish()).
 *
 * Owns:        its own state (colors, counts); writes only to its FILE.
 * Borrows:     the FILE, catalog, aggregate and run passed in.
 * Errors:      a failed write (EPIPE from `| head`, ENOSPC) is remembered
 *              and returned by finish() as false; sinks never print to stderr.
 */
#ifndef TH_REPORT_H
#define TH_REPORT_H

#include <stdio.h>

#include "agg.h"
#include "catalog.h"
#include "event.h"
#include "run.h"

struct th_report_ctx {
	FILE *out;
	const struct th_catalog *catalog;
	struct th_agg *agg;
	const struct th_run *run;
	bool color;	     /* text: ANSI colors */
	bool follow;	     /* text: also print each event as it is
				complete (--follow), summary at finish */
	const char *version; /* tool version for the JSON "tool" object */
	size_t top;	     /* text, markdown, github: groups shown; 0 all */
	size_t examples;     /* text, markdown, github: example lines;
				0 the default (15) */
	bool hide_examples;  /* text, markdown, github: none (--examples 0) */
	const char *root;    /* github: the repository's absolute path,
				culprit paths under it are made relative
				(--github-root, else the current
				directory); NULL: none */
	const char *const *labels; /* the report's labels (--label; a
				      merge's, sorted): json lists them and
				      each group's; none: n_labels 0 */
	size_t n_labels;
};

struct th_sink {
	/* Called for every reported (not ignored) event, fields filled. */
	void (*event)(struct th_sink *s, const struct th_event *ev);
	/* Called once at the end; returns false when output failed. */
	bool (*finish)(struct th_sink *s);
	void (*free)(struct th_sink *s);
	/* event() prints as events are found (ndjson, --follow): the scan
	 * must then deliver them one by one, in order, from one thread. */
	bool per_event;
	struct th_report_ctx ctx;
};

/* True once a write of S's output failed (EPIPE, ENOSPC): --follow stops
 * then instead of reading on for nobody. */
bool report_failed(const struct th_sink *s);

struct th_sink *report_text_new(const struct th_report_ctx *ctx);
struct th_sink *report_json_new(const struct th_report_ctx *ctx);
struct th_sink *report_ndjson_new(const struct th_report_ctx *ctx);
struct th_sink *report_markdown_new(const struct th_report_ctx *ctx);
struct th_sink *report_github_new(const struct th_report_ctx *ctx);

#endif
