/* report_markdown.c - the --format markdown sink: a report to paste into an
 * incident ticket (GitHub-flavoured Markdown).
 *
 *   # tracehound report
 *
 *   **7 events** in 2 groups, 1 input, 1204 lines; 2024-05-01 10:00:00
 *   to 10:04:16.
 *
 *   | count | severity | coroutine | exceptions | first | last | timeline |
 *   |------:|----------|-----------|------------|-------|------|----------|
 *   | 4 | error | fetch\_user | ConnectionError×3, … | … | … | `▁ █▃` |
 *
 *   ## fetch\_user (4 events, error)
 *
 *   - **rules:** asyncio.exception-never-retrieved
 *   - **first:** `app.log:310` at 2024-05-01T10:00:01.123Z
 *   ...
 *   ```text
 *   Task exception was never retrieved
 *   ```
 *
 * Log text is cleaned like the text report's (text_term_clean: no
 * control characters, valid UTF-8), then escaped for where it goes: a
 * backslash before Markdown's punctuation in prose and table cells, a
 * fence longer than any run of backticks around code. --top and
 * --examples bound it like the text report. Write errors are left in the
 * stream's error flag and returned by finish().
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "report.h"
#include "report_util.h"

/* Example lines per group by default, and the columns of one example
 * line before it is cut with "…" (as in the text report). */
#define MD_EXAMPLE_LINES 15
#define MD_LINE_COLUMNS	 200
/* Columns of a group's sparkline in the table and in its section. */
#define MD_TIMELINE_TABLE   24
#define MD_TIMELINE_SECTION 48

static const char ellipsis[] = "\xE2\x80\xA6"; /* … */
static const char times_sign[] = "\xC3\x97";   /* × */

/* ---- escaping ---------------------------------------------------------- */

/* Writes log-derived bytes P[0..N) as Markdown text: cleaned for a
 * terminal (no control characters), with a backslash before every
 * character Markdown or a table would read as markup. */
static void md_text(FILE *out, const char *p, size_t n)
{
	size_t clean_n;
	char *clean = text_term_clean(p, n, false, &clean_n);
	for (size_t i = 0; i < clean_n; i++) {
		if (strchr("\\`*_[]<>|#~!", clean[i]) != NULL)
			fputc('\\', out);
		fputc(clean[i], out);
	}
	free(clean);
}

static void md_cstr(FILE *out, const char *s)
{
	md_text(out, s, strlen(s));
}

/* The longest run of backticks in P[0..N). */
static size_t backtick_run(const char *p, size_t n)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < n; i++) {
		run = p[i] == '`' ? run + 1 : 0;
		best = run > best ? run : best;
	}
	return best;
}

static void put_backticks(FILE *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc('`', out);
}

/* A log-derived C string as inline code, outside tables. */
static void md_code(FILE *out, const char *s)
{
	size_t n;
	char *clean = text_term_clean(s, strlen(s), false, &n);
	size_t fence = backtick_run(clean, n) + 1;
	bool pad = n > 0 && (clean[0] == '`' || clean[n - 1] == '`');
	put_backticks(out, fence);
	fputs(pad ? " " : "", out);
	fwrite(clean, 1, n, out);
	fputs(pad ? " " : "", out);
	put_backticks(out, fence);
	free(clean);
}

/* ---- pieces ------------------------------------------------------------ */

static size_t example_lines(const struct th_report_ctx *c)
{
	if (c->hide_examples)
		return 0;
	return c->examples ? c->examples : MD_EXAMPLE_LINES;
}

/* The group's name: the key's value alone when grouping by one field,
 * else "field=value" pairs. */
static void put_title(FILE *out, const struct th_agg *agg,
		      const struct th_group *g)
{
	const enum th_key *keys;
	size_t n = agg_keys(agg, &keys);
	for (size_t i = 0; i < n; i++) {
		if (n > 1)
			fprintf(out, "%s%s=", i ? " " : "",
				catalog_key_name(keys[i]));
		const char *v = g->key[keys[i]];
		md_cstr(out, v ? v : report_no_value(keys[i]));
	}
	if (n == 0)
		fputs("all events", out);
}

/* "ConnectionError×3, TimeoutError×1", "-" for none. */
static void put_exceptions(FILE *out, const struct th_group *g)
{
	for (size_t i = 0; i < g->n_exceptions; i++) {
		fputs(i ? ", " : "", out);
		md_cstr(out, g->exceptions[i].name);
		if (g->exceptions[i].count != g->count)
			fprintf(out, "%s%" PRIu64, times_sign,
				g->exceptions[i].count);
	}
	if (g->exceptions_other > 0)
		fprintf(out, "%sother%s%" PRIu64, g->n_exceptions ? ", " : "",
			times_sign, g->exceptions_other);
	if (g->n_exceptions == 0 && g->exceptions_other == 0)
		fputs("-", out);
}

/* A table cell for a position: its time to the second, or "input:line"
 * (base name) when it has none. */
static void put_where_cell(FILE *out, const struct th_where *w)
{
	char time[TH_TIME_LEN];
	if (isotime_print(&w->time, time) >= 19 && time[10] == 'T') {
		fprintf(out, "%.10s %.8s", time, time + 11);
		return;
	}
	const char *input = w->input ? w->input : "-";
	const char *slash = strrchr(input, '/');
	md_cstr(out, slash && slash[1] ? slash + 1 : input);
	fprintf(out, ":%" PRIu64, w->line);
}

/* The group's sparkline over [START, END) in at most MAX columns, as
 * inline code (blanks kept); nothing for a group without times. */
static void put_sparkline(FILE *out, const struct th_group *g, int64_t start,
			  int64_t end, size_t max)
{
	char line[MD_TIMELINE_SECTION * TIMELINE_GLYPH_BYTES + 1];
	if (timeline_used(&g->timeline) == 0)
		return;
	timeline_sparkline(&g->timeline, start, end,
			   timeline_columns(start, end, max), line);
	fprintf(out, "`%s`", line);
}

/* ---- the table --------------------------------------------------------- */

static void table_head(FILE *out, const struct th_agg *agg, bool by_exception,
		       bool timed)
{
	const enum th_key *keys;
	size_t n = agg_keys(agg, &keys);
	fputs("| count | severity |", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %s |", catalog_key_name(keys[i]));
	fprintf(out, "%s first | last |%s\n|------:|----------|",
		by_exception ? "" : " exceptions |",
		timed ? " timeline |" : "");
	for (size_t i = 0; i < n + !by_exception + 2 + timed; i++)
		fputs("---|", out);
	fputc('\n', out);
}

static void table_row(FILE *out, const struct th_report_ctx *c,
		      const struct th_group *g, bool by_exception,
		      const int64_t *span)
{
	const enum th_key *keys;
	size_t n = agg_keys(c->agg, &keys);
	fprintf(out, "| %" PRIu64 " | %s |", g->count,
		report_severity_name(g->severity));
	for (size_t i = 0; i < n; i++) {
		fputc(' ', out);
		const char *v = g->key[keys[i]];
		md_cstr(out, v ? v : report_no_value(keys[i]));
		fputs(" |", out);
	}
	if (!by_exception) {
		fputc(' ', out);
		put_exceptions(out, g);
		fputs(" |", out);
	}
	fputc(' ', out);
	put_where_cell(out, &g->first);
	fputs(" | ", out);
	put_where_cell(out, &g->last);
	fputs(" |", out);
	if (span != NULL) {
		fputc(' ', out);
		put_sparkline(out, g, span[0], span[1], MD_TIMELINE_TABLE);
		fputs(" |", out);
	}
	fputc('\n', out);
}

static void table(FILE *out, const struct th_report_ctx *c,
		  const struct th_group *const *groups, size_t shown,
		  const int64_t *span)
{
	const enum th_key *keys;
	size_t n = agg_keys(c->agg, &keys);
	bool by_exception = false;
	for (size_t i = 0; i < n; i++)
		by_exception |= keys[i] == TH_KEY_EXCEPTION;
	table_head(out, c->agg, by_exception, span != NULL);
	for (size_t i = 0; i < shown; i++)
		table_row(out, c, groups[i], by_exception, span);
}

/* ---- a group's section ------------------------------------------------- */

static void item_where(FILE *out, const char *label, const struct th_where *w)
{
	char pos[1100];
	snprintf(pos, sizeof pos, "%s:%" PRIu64, w->input ? w->input : "-",
		 w->line);
	fprintf(out, "- **%s:** ", label);
	md_code(out, pos);
	char time[TH_TIME_LEN];
	if (isotime_print(&w->time, time) > 0) {
		fputs(" at ", out);
		md_cstr(out, time);
	}
	fputc('\n', out);
}

/* "- **at:** `FILE:LINE` in `FUNCTION`", "- **message:** TEXT" and
 * "- **from:** `SOURCE`" (its writer) of the group's first event, each
 * only when it has one. */
static void item_culprit(FILE *out, const struct th_group *g)
{
	if (g->culprit.file != NULL) {
		char pos[1100];
		snprintf(pos, sizeof pos, "%s:%" PRIu64, g->culprit.file,
			 g->culprit.line);
		fputs("- **at:** ", out);
		md_code(out, pos);
		fputs(" in ", out);
		md_code(out, g->culprit.function);
		fputc('\n', out);
	}
	if (g->message != NULL) {
		fputs("- **message:** ", out);
		md_cstr(out, g->message);
		fputc('\n', out);
	}
	if (g->source != NULL) {
		fputs("- **from:** ", out);
		md_code(out, g->source);
		fputc('\n', out);
	}
}

static void item_list(FILE *out, const char *label, const struct th_capped *l)
{
	if (l->n == 0)
		return;
	fprintf(out, "- **%s:** ", label);
	for (size_t i = 0; i < l->n; i++) {
		fputs(i ? ", " : "", out);
		md_code(out, l->items[i]);
	}
	fprintf(out, "%s\n", l->capped ? ", and more" : "");
}

static void item_rules(FILE *out, const struct th_catalog *cat,
		       const struct th_group *g)
{
	fputs("- **rules:** ", out);
	const char *sep = "";
	for (size_t r = 0; r < catalog_rule_count(cat); r++) {
		if (g->rule_counts[r] == 0)
			continue;
		fputs(sep, out);
		md_cstr(out, catalog_rule_id(cat, r));
		if (g->rule_counts[r] != g->count)
			fprintf(out, "%s%" PRIu64, times_sign,
				g->rule_counts[r]);
		sep = ", ";
	}
	fputc('\n', out);
}

/* One example line, cleaned and cut to MD_LINE_COLUMNS. */
static void example_line(FILE *out, const char *p, size_t len)
{
	size_t clean_n;
	char *clean = text_term_clean(p, len, true, &clean_n);
	size_t fit = report_fit(clean, clean_n, MD_LINE_COLUMNS);
	fwrite(clean, 1, fit, out);
	fprintf(out, "%s\n", fit < clean_n ? ellipsis : "");
	free(clean);
}

/* Up to MAX lines of the example in a fenced block, each cleaned and cut
 * to MD_LINE_COLUMNS: the first ones, "…" in place of the middle and, when
 * two lines or more are shown, the final "Type: message" line last
 * (report_example_final_line); "… N more lines" after it. */
static void example(FILE *out, const struct th_group *g, size_t max)
{
	const char *text = g->example;
	size_t n = g->example_len, at = 0, shown = 0;
	if (max == 0 || n == 0)
		return;
	size_t total = report_line_count(text, n), final_len = 0;
	size_t final = report_example_final_line(text, n, &final_len);
	size_t head = max;
	if (total > max && max >= 2 && final < n)
		head = max - 1; /* room for the final line */
	size_t fence = backtick_run(text, n) + 1;
	fence = fence < 3 ? 3 : fence;
	fputc('\n', out);
	put_backticks(out, fence);
	fputs("text\n", out);
	for (; at < n && shown < head; shown++) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t len = nl ? (size_t)(nl - (text + at)) : n - at;
		example_line(out, text + at, len);
		at += len + (nl != NULL);
	}
	bool tail = at < n && head < max && final >= at;
	if (tail) {
		fprintf(out, "%s\n", ellipsis);
		example_line(out, text + final, final_len);
	}
	put_backticks(out, fence);
	fputc('\n', out);
	if (at >= n)
		return;
	uint64_t more = report_line_count(text + at, n - at) - tail;
	fprintf(out, "\n_%s ", ellipsis);
	report_put_count(out, more, "more line_", "more lines_");
	fputc('\n', out);
}

static void section(FILE *out, const struct th_report_ctx *c,
		    const struct th_group *g, const int64_t *span)
{
	fputs("\n## ", out);
	put_title(out, c->agg, g);
	fputs(" (", out);
	report_put_count(out, g->count, "event", "events");
	fprintf(out, ", %s)\n\n", report_severity_name(g->severity));
	item_rules(out, c->catalog, g);
	if (g->n_exceptions > 0 || g->exceptions_other > 0) {
		fputs("- **exceptions:** ", out);
		put_exceptions(out, g);
		fputc('\n', out);
	}
	item_list(out, "tasks", &g->tasks);
	item_list(out, "defined at", &g->defined_at);
	item_list(out, "labels", &g->labels); /* --label, merged */
	item_culprit(out, g);
	item_where(out, g->count == 1 ? "seen" : "first", &g->first);
	if (g->count > 1)
		item_where(out, "last", &g->last);
	if (span != NULL && timeline_used(&g->timeline) > 0) {
		char what[128];
		size_t cols =
		    timeline_columns(span[0], span[1], MD_TIMELINE_SECTION);
		timeline_describe(span[0], span[1], cols, what, sizeof what);
		fputs("- **timeline:** ", out);
		put_sparkline(out, g, span[0], span[1], MD_TIMELINE_SECTION);
		fprintf(out, " %s\n", what);
	}
	example(out, g, example_lines(c));
}

/* ---- the report -------------------------------------------------------- */

static void summary_line(FILE *out, const struct th_report_ctx *c,
			 size_t n_groups, const int64_t *span)
{
	uint64_t lines = 0;
	for (size_t i = 0; i < c->run->n_inputs; i++)
		lines += c->run->inputs[i].lines;
	fputs("**", out);
	report_put_count(out, c->run->counts.events, "event", "events");
	fputs("** in ", out);
	report_put_count(out, n_groups, "group", "groups");
	fputs(", ", out);
	report_put_count(out, c->run->n_inputs, "input", "inputs");
	fputs(", ", out);
	report_put_count(out, lines, "line", "lines");
	if (span != NULL) {
		char what[128];
		timeline_describe(span[0], span[1], 1, what, sizeof what);
		char *comma = strrchr(what, ',');
		if (comma != NULL)
			*comma = '\0';
		fprintf(out, "; %s", what);
	}
	fputs(".\n", out);
}

/* Inputs that failed, and what limits skipped, after the groups. */
static void footer(FILE *out, const struct th_run *run)
{
	for (size_t i = 0; i < run->n_inputs; i++) {
		if (run->inputs[i].error == NULL)
			continue;
		fputs("\n**failed:** ", out);
		md_code(out, run->inputs[i].name);
		fputs(": ", out);
		md_cstr(out, run->inputs[i].error);
		fputc('\n', out);
	}
	uint64_t skipped =
	    run->counts.lines_truncated + run->counts.events_truncated +
	    run->counts.events_incomplete + run->counts.match_errors +
	    run->counts.groups_dropped;
	if (skipped > 0)
		fprintf(out,
			"\n**skipped:** %" PRIu64 " lines cut, %" PRIu64
			" events with lines not kept, %" PRIu64
			" events cut off, %" PRIu64
			" regex matches over the limit, %" PRIu64
			" events dropped (group limit)\n",
			run->counts.lines_truncated,
			run->counts.events_truncated,
			run->counts.events_incomplete, run->counts.match_errors,
			run->counts.groups_dropped);
}

static bool md_finish(struct th_sink *s)
{
	const struct th_report_ctx *c = &s->ctx;
	FILE *out = c->out;
	const struct th_group *const *groups;
	size_t n = agg_count(c->agg);
	size_t shown = agg_top(c->agg, c->top, &groups);
	int64_t span[2];
	bool timed = agg_time_span(c->agg, &span[0], &span[1]);
	fputs("# tracehound report\n\n", out);
	summary_line(out, c, n, timed ? span : NULL);
	if (n > 0) {
		fputc('\n', out);
		table(out, c, groups, shown, timed ? span : NULL);
	}
	if (shown < n) {
		fprintf(out, "\n_%s and ", ellipsis);
		report_put_count(out, n - shown, "more group", "more groups");
		fprintf(out, " (--top %zu)._\n", c->top);
	}
	for (size_t i = 0; i < shown && !ferror(out); i++)
		section(out, c, groups[i], timed ? span : NULL);
	footer(out, c->run);
	return fflush(out) == 0 && !ferror(out);
}

/* Nothing per event: the summary says it all. */
static void md_event(struct th_sink *s, const struct th_event *ev)
{
	(void)s;
	(void)ev;
}

static void md_free(struct th_sink *s)
{
	free(s);
}

struct th_sink *report_markdown_new(const struct th_report_ctx *ctx)
{
	struct th_sink *s = xcalloc(1, sizeof *s);
	s->event = md_event;
	s->finish = md_finish;
	s->free = md_free;
	s->ctx = *ctx;
	return s;
}
