/* report_github.c - the --format github sink: one GitHub Actions workflow
 * command per group, so that a CI job that pipes its test log through
 * tracehound sees each failure as an annotation on the line of code it is
 * named after (the group's culprit):
 *
 *   ::error file=app/users.py,line=88,title=tracehound%3A fetch_user
 *   (3 events)::asyncio.exception-never-retrieved: ConnectionError×2,
 *   TimeoutError×1%0Aat app/users.py:88 in fetch_user%0A…
 *
 * (one line each). The severity picks the command: error → ::error,
 * warning → ::warning, info → ::notice. The escaping is GitHub's: in the
 * message % → %25, CR → %0D, LF → %0A; in a property value also
 * : → %3A and , → %2C. Log text is first cleaned as for a terminal
 * (text_term_clean: no control characters, valid UTF-8).
 *
 * A culprit path is made relative to ctx.root (the repository: the
 * current directory unless --github-root) when it lies under it; an
 * annotation names a file only when the path is relative then, because
 * GitHub places annotations by repository-relative path. Other culprits,
 * pseudo-files ("<string>") and groups without one give an annotation
 * without file and line, the culprit still in its text (README.md, "CI
 * annotations"). --top and --examples bound it like the text report.
 * Write errors are left in the stream's error flag and returned by
 * finish().
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "report.h"
#include "report_util.h"

/* Example lines per group by default, as in the text report. */
#define GH_EXAMPLE_LINES 15

static const char ellipsis[] = "\xE2\x80\xA6"; /* … */
static const char times_sign[] = "\xC3\x97";   /* × */

/* ---- escaping ---------------------------------------------------------- */

/* Writes clean text P[0..N) with GitHub's escapes: %, CR and LF always,
 * : and , too in a PROPERTY value. */
static void gh_escape(FILE *out, const char *p, size_t n, bool property)
{
	for (size_t i = 0; i < n; i++) {
		switch (p[i]) {
		case '%': fputs("%25", out); break;
		case '\r': fputs("%0D", out); break;
		case '\n': fputs("%0A", out); break;
		case ':': fputs(property ? "%3A" : ":", out); break;
		case ',': fputs(property ? "%2C" : ",", out); break;
		default: fputc(p[i], out);
		}
	}
}

/* Log-derived bytes P[0..N), cleaned for a terminal, then escaped. */
static void gh_text(FILE *out, const char *p, size_t n, bool property)
{
	size_t clean_n;
	char *clean = text_term_clean(p, n, true, &clean_n);
	gh_escape(out, clean, clean_n, property);
	free(clean);
}

static void gh_cstr(FILE *out, const char *s, bool property)
{
	gh_text(out, s, strlen(s), property);
}

/* ---- the culprit's place ----------------------------------------------- */

/* FILE relative to ROOT (an absolute directory, trailing slashes
 * allowed) when it lies under it; FILE itself when it is relative
 * already; NULL when it is absolute elsewhere or a pseudo-file such as
 * "<string>" or "<frozen importlib._bootstrap>". */
static const char *gh_repo_path(const char *file, const char *root)
{
	if (file[0] == '<' || file[0] == '\0')
		return NULL;
	if (file[0] != '/')
		return file;
	if (root == NULL || root[0] != '/')
		return NULL;
	size_t n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	if (strncmp(file, root, n) != 0 || file[n] != '/' ||
	    file[n + 1] == '\0')
		return NULL;
	return file + n + 1;
}

/* ---- one annotation ---------------------------------------------------- */

static const char *gh_command(enum th_severity s)
{
	switch (s) {
	case TH_SEV_ERROR: return "error";
	case TH_SEV_WARNING: return "warning";
	default: return "notice";
	}
}

/* The title property: "tracehound: KEY (N events)", the key's value alone
 * when grouping by one field, else "field=value" pairs. */
static void put_title(FILE *out, const struct th_agg *agg,
		      const struct th_group *g)
{
	const enum th_key *keys;
	size_t n = agg_keys(agg, &keys);
	fputs("title=tracehound%3A ", out);
	for (size_t i = 0; i < n; i++) {
		if (n > 1)
			fprintf(out, "%s%s=", i ? " " : "",
				catalog_key_name(keys[i]));
		const char *v = g->key[keys[i]];
		gh_cstr(out, v ? v : report_no_value(keys[i]), true);
	}
	if (n == 0)
		fputs("all events", out);
	fputs(" (", out);
	report_put_count(out, g->count, "event", "events");
	fputc(')', out);
}

/* "file=PATH,line=N," when the culprit is in the repository. */
static void put_place(FILE *out, const struct th_report_ctx *c,
		      const struct th_group *g)
{
	if (g->culprit.file == NULL)
		return;
	const char *path = gh_repo_path(g->culprit.file, c->root);
	if (path == NULL)
		return;
	fputs("file=", out);
	gh_cstr(out, path, true);
	if (g->culprit.line > 0)
		fprintf(out, ",line=%" PRIu64, g->culprit.line);
	fputc(',', out);
}

/* "NAME×COUNT", or NAME alone when it accounts for every event. */
static void put_named_count(FILE *out, const char *name, uint64_t count,
			    const struct th_group *g)
{
	gh_cstr(out, name, false);
	if (count != g->count)
		fprintf(out, "%s%" PRIu64, times_sign, count);
}

/* "RULE×N, …: EXCEPTION×N, …": what happened, the message's first line. */
static void msg_what(FILE *out, const struct th_catalog *cat,
		     const struct th_group *g)
{
	const char *sep = "";
	for (size_t r = 0; r < catalog_rule_count(cat); r++) {
		if (g->rule_counts[r] == 0)
			continue;
		fputs(sep, out);
		put_named_count(out, catalog_rule_id(cat, r), g->rule_counts[r],
				g);
		sep = ", ";
	}
	for (size_t i = 0; i < g->n_exceptions; i++) {
		fputs(i ? ", " : ": ", out);
		put_named_count(out, g->exceptions[i].name,
				g->exceptions[i].count, g);
	}
	if (g->exceptions_other > 0)
		fprintf(out, "%sother%s%" PRIu64, g->n_exceptions ? ", " : ": ",
			times_sign, g->exceptions_other);
}

/* "%0Aat FILE:LINE in FUNCTION", "%0Amessage: TEXT" and "%0Afrom:
 * SOURCE" (the first event's writer) when known. */
static void msg_culprit(FILE *out, const struct th_group *g)
{
	if (g->culprit.file != NULL) {
		fputs("%0Aat ", out);
		gh_cstr(out, g->culprit.file, false);
		fprintf(out, ":%" PRIu64 " in ", g->culprit.line);
		gh_cstr(out, g->culprit.function, false);
	}
	if (g->message != NULL) {
		fputs("%0Amessage: ", out);
		gh_cstr(out, g->message, false);
	}
	if (g->source != NULL) {
		fputs("%0Afrom: ", out);
		gh_cstr(out, g->source, false);
	}
}

/* "%0ALABEL: INPUT:LINE at TIME". */
static void msg_where(FILE *out, const char *label, const struct th_where *w)
{
	fprintf(out, "%%0A%s: ", label);
	gh_cstr(out, w->input ? w->input : "-", false);
	fprintf(out, ":%" PRIu64, w->line);
	char time[TH_TIME_LEN];
	if (isotime_print(&w->time, time) > 0)
		fprintf(out, " at %s", time);
}

static void msg_example_line(FILE *out, const char *p, size_t len)
{
	fputs("%0A", out);
	gh_text(out, p, len, false);
}

/* The example after a blank line: its first lines, "… N more lines" and
 * its final line, as the text report shows it (at most MAX lines). */
static void msg_example(FILE *out, const char *text, size_t n, size_t max)
{
	if (n == 0 || max == 0)
		return;
	size_t total = report_line_count(text, n), final_len = 0;
	size_t final = report_example_final_line(text, n, &final_len);
	size_t head = total > max && max >= 2 && final < n ? max - 1 : max;
	size_t at = 0;
	fputs("%0A", out);
	for (size_t shown = 0; at < n && shown < head; shown++) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t len = nl ? (size_t)(nl - (text + at)) : n - at;
		msg_example_line(out, text + at, len);
		at += len + (nl != NULL);
	}
	if (at >= n)
		return;
	bool tail = head < max && final >= at;
	fprintf(out, "%%0A%s ", ellipsis);
	report_put_count(out, report_line_count(text + at, n - at) - tail,
			 "more line", "more lines");
	if (tail)
		msg_example_line(out, text + final, final_len);
}

static size_t example_lines(const struct th_report_ctx *c)
{
	if (c->hide_examples)
		return 0;
	return c->examples ? c->examples : GH_EXAMPLE_LINES;
}

/* One group's workflow command, on one line. */
static void annotation(FILE *out, const struct th_report_ctx *c,
		       const struct th_group *g)
{
	fprintf(out, "::%s ", gh_command(g->severity));
	put_place(out, c, g);
	put_title(out, c->agg, g);
	fputs("::", out);
	msg_what(out, c->catalog, g);
	msg_culprit(out, g);
	msg_where(out, g->count == 1 ? "seen" : "first", &g->first);
	if (g->count > 1)
		msg_where(out, "last", &g->last);
	msg_example(out, g->example, g->example_len, example_lines(c));
	fputc('\n', out);
}

/* ---- the report -------------------------------------------------------- */

/* An input that could not be read is an error annotation too: the CI
 * job's summary then says the scan was not whole. */
static void failed_inputs(FILE *out, const struct th_run *run)
{
	for (size_t i = 0; i < run->n_inputs; i++) {
		if (run->inputs[i].error == NULL)
			continue;
		fputs("::error title=tracehound%3A input not read::", out);
		gh_cstr(out, run->inputs[i].name, false);
		fputs(": ", out);
		gh_cstr(out, run->inputs[i].error, false);
		fputc('\n', out);
	}
}

static bool gh_finish(struct th_sink *s)
{
	const struct th_report_ctx *c = &s->ctx;
	FILE *out = c->out;
	const struct th_group *const *groups;
	size_t n = agg_count(c->agg);
	size_t shown = agg_top(c->agg, c->top, &groups);
	for (size_t i = 0; i < shown && !ferror(out); i++)
		annotation(out, c, groups[i]);
	if (shown < n) {
		fprintf(out, "::notice title=tracehound::%s and ", ellipsis);
		report_put_count(out, n - shown, "more group", "more groups");
		fprintf(out, " (--top %zu)\n", c->top);
	}
	failed_inputs(out, c->run);
	return fflush(out) == 0 && !ferror(out);
}

/* Nothing per event: one annotation per group, at the end. */
static void gh_event(struct th_sink *s, const struct th_event *ev)
{
	(void)s;
	(void)ev;
}

static void gh_free(struct th_sink *s)
{
	free(s);
}

struct th_sink *report_github_new(const struct th_report_ctx *ctx)
{
	struct th_sink *s = xcalloc(1, sizeof *s);
	s->event = gh_event;
	s->finish = gh_finish;
	s->free = gh_free;
	s->ctx = *ctx;
	return s;
}
