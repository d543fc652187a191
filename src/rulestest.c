/* rulestest.c - `tracehound rules test`; see rulestest.h.
 *
 * The assembler's probe says what each record was (START, CONT, OUTSIDE)
 * and prints it at once. Blank lines after an event's last line (HELD) are
 * the one thing not known at once: they join the event only when a chain
 * separator follows. They are kept per source (at most
 * TH_MAX_PENDING_BLANKS) and printed as soon as the next CONT or END of
 * their source decides. The classifier delivers each finished event (one
 * per leaf of a split exception group) and its ignore probe names the
 * ignore rule that dropped one; both print an "end"/"ignore" line.
 */
#include "rulestest.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "diag.h"
#include "input.h"
#include "lines.h"
#include "pipeline.h"
#include "report_util.h"
#include "th_limits.h"
#include "trigger.h"

static const char ellipsis[] = "\xE2\x80\xA6"; /* … */

/* Columns of the line number; wider numbers push the rest right. */
#define NUMBER_COLUMNS 6
/* Narrowest log text shown on a narrow terminal. */
#define MIN_TEXT_COLUMNS 20

struct palette {
	const char *bold, *dim, *reset, *start, *end, *ignore;
};

/* Blank lines of one source waiting to learn whether they join. */
struct held {
	uint32_t source;
	size_t n; /* 0: slot free */
	uint64_t number[TH_MAX_PENDING_BLANKS];
};

struct th_rulestest {
	const struct th_rules *rules;
	FILE *out;
	struct th_rulestest_options opt;
	struct palette pal;
	struct th_run run;
	struct th_trigger *trigger;
	struct th_pipeline *pipeline;
	uint64_t *found, *dropped, *incomplete; /* per rule */
	struct held held[TH_MAX_SOURCES];
};

static struct palette palette(bool color)
{
	if (!color)
		return (struct palette){"", "", "", "", "", ""};
	return (struct palette){"\033[1m",    "\033[2m",  "\033[0m",
				"\033[1;32m", "\033[36m", "\033[33m"};
}

/* ---- printing ---------------------------------------------------------- */

/* Writes log-derived bytes cleaned for a terminal, cut to COLUMNS
 * characters with "…" (0: not cut). */
static void put_text(FILE *out, const char *p, size_t n, size_t columns)
{
	size_t clean_n;
	char *clean = text_term_clean(p, n, false, &clean_n);
	size_t fit = columns ? report_fit(clean, clean_n, columns) : clean_n;
	if (fit < clean_n && fit > 0)
		fit = report_fit(clean, clean_n, columns - 1);
	fwrite(clean, 1, fit, out);
	if (fit < clean_n)
		fputs(ellipsis, out);
	free(clean);
}

/* "    12 start  " : the line number and a label padded to one width.
 * Returns the columns written. */
static size_t put_head(struct th_rulestest *t, uint64_t number,
		       const char *color, const char *label)
{
	int w = fprintf(t->out, "%s%*" PRIu64 "%s %s%-6s%s ", t->pal.dim,
			NUMBER_COLUMNS, number, t->pal.reset, color, label,
			t->pal.reset);
	size_t colors =
	    2 * strlen(t->pal.reset) + strlen(t->pal.dim) + strlen(color);
	return w > 0 && (size_t)w > colors ? (size_t)w - colors : 0;
}

/* Columns left for log text after USED columns. */
static size_t text_columns(const struct th_rulestest *t, size_t used)
{
	if (t->opt.columns == 0)
		return RULESTEST_TEXT_COLUMNS;
	if (t->opt.columns < used + MIN_TEXT_COLUMNS)
		return MIN_TEXT_COLUMNS;
	return t->opt.columns - used;
}

/* One log line: "    13 cont   | text", the rule id after a START label. */
static void put_line(struct th_rulestest *t, uint64_t number, const char *label,
		     const char *rule, struct th_span text)
{
	const char *color = strcmp(label, "start") == 0 ? t->pal.start : "";
	size_t used = put_head(t, number, color, label);
	if (rule != NULL) {
		fprintf(t->out, "%s%s%s ", t->pal.bold, rule, t->pal.reset);
		used += strlen(rule) + 1;
	}
	fprintf(t->out, "%s|%s", t->pal.dim, t->pal.reset);
	if (text.n > 0) {
		fputc(' ', t->out);
		put_text(t->out, text.p, text.n, text_columns(t, used + 2));
	}
	fputc('\n', t->out);
}

/* True when V must be quoted to read back as one value. */
static bool needs_quotes(const char *v, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (v[i] == ' ' || v[i] == '"' || v[i] == '\\' || v[i] == '\t')
			return true;
	return false;
}

/* " name=value", the value cleaned, quoted when it holds blanks. */
static void put_field(FILE *out, const char *name, const char *p, size_t n)
{
	size_t clean_n;
	char *clean = text_term_clean(p, n, false, &clean_n);
	fprintf(out, " %s=", name);
	if (!needs_quotes(clean, clean_n)) {
		fwrite(clean, 1, clean_n, out);
	} else {
		fputc('"', out);
		for (size_t i = 0; i < clean_n; i++) {
			if (clean[i] == '"' || clean[i] == '\\')
				fputc('\\', out);
			fputc(clean[i], out);
		}
		fputc('"', out);
	}
	free(clean);
}

/* The fields an event got, its time, and whether it was cut off. */
static void put_fields(FILE *out, const struct th_event *ev)
{
	for (size_t f = 0; f < TH_F_COUNT; f++) {
		if (!event_has(ev, (enum th_field)f))
			continue;
		struct th_span v = event_get(ev, (enum th_field)f);
		put_field(out, catalog_field_name((enum th_field)f), v.p, v.n);
	}
	if (event_has_culprit(ev)) {
		const struct th_culprit *c = &ev->culprit;
		char where[2 * TH_MAX_FIELD + 32];
		int n = snprintf(where, sizeof where, "%s:%" PRIu64 " in %s",
				 c->file.v, c->line, c->function.v);
		put_field(out, "culprit", where,
			  n < 0			     ? 0
			  : (size_t)n < sizeof where ? (size_t)n
						     : sizeof where - 1);
	}
	char time[TH_TIME_LEN];
	size_t n = isotime_print(&ev->time, time);
	if (n > 0)
		put_field(out, "time", time, n);
	if (!ev->complete)
		fputs(" [incomplete: cut off]", out);
}

/* ---- held blank lines -------------------------------------------------- */

static struct held *held_find(struct th_rulestest *t, uint32_t source)
{
	for (size_t i = 0; i < TH_MAX_SOURCES; i++)
		if (t->held[i].n > 0 && t->held[i].source == source)
			return &t->held[i];
	return NULL;
}

static void held_push(struct th_rulestest *t, uint32_t source, uint64_t number)
{
	struct held *h = held_find(t, source);
	for (size_t i = 0; h == NULL && i < TH_MAX_SOURCES; i++)
		if (t->held[i].n == 0)
			h = &t->held[i];
	if (h == NULL || h->n == TH_MAX_PENDING_BLANKS)
		die("rules test: more blank lines held than the assembler "
		    "holds");
	h->source = source;
	h->number[h->n++] = number;
}

/* Prints SOURCE's held lines as part of its event (JOINED) or of none
 * (shown only with --verbose), and forgets them. */
static void held_flush(struct th_rulestest *t, uint32_t source, bool joined)
{
	struct held *h = held_find(t, source);
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		if (joined || t->opt.verbose)
			put_line(t, h->number[i], joined ? "cont" : "", NULL,
				 (struct th_span){"", 0});
	h->n = 0;
}

/* ---- probes and callbacks ---------------------------------------------- */

static void on_probe(void *ctx, const struct th_probe *p)
{
	struct th_rulestest *t = ctx;
	switch (p->what) {
	case TH_PROBE_START:
		put_line(t, p->rec->number, "start",
			 rules_id(t->rules, p->rule), p->rec->text);
		break;
	case TH_PROBE_CONT:
		held_flush(t, p->source, true);
		put_line(t, p->rec->number, "cont", NULL, p->rec->text);
		break;
	case TH_PROBE_HELD: held_push(t, p->source, p->rec->number); break;
	case TH_PROBE_OUTSIDE:
		if (t->opt.verbose)
			put_line(t, p->rec->number, "", NULL, p->rec->text);
		break;
	case TH_PROBE_END: held_flush(t, p->source, false); break;
	}
}

/* A reported event (or leaf): "    17 end    -> fields". */
static void on_deliver(void *ctx, const struct th_event *ev)
{
	struct th_rulestest *t = ctx;
	t->found[ev->rule]++;
	t->incomplete[ev->rule] += !ev->complete;
	put_head(t, ev->end_line, t->pal.end, "end");
	fprintf(t->out, "%s->%s", t->pal.dim, t->pal.reset);
	put_fields(t->out, ev);
	fputc('\n', t->out);
}

/* A dropped one: "    17 ignore -> dropped by ID: fields". */
static void on_ignored(void *ctx, const struct th_event *ev, size_t ignore)
{
	struct th_rulestest *t = ctx;
	t->found[ev->rule]++;
	t->dropped[ev->rule]++;
	t->incomplete[ev->rule] += !ev->complete;
	put_head(t, ev->end_line, t->pal.ignore, "ignore");
	fprintf(t->out, "%s->%s dropped by %s%s%s:", t->pal.dim, t->pal.reset,
		t->pal.bold, rules_ignore_id(t->rules, ignore), t->pal.reset);
	put_fields(t->out, ev);
	fputc('\n', t->out);
}

/* ---- the object -------------------------------------------------------- */

struct th_rulestest *rulestest_new(const struct th_rules *rules, FILE *out,
				   const struct th_rulestest_options *o)
{
	struct th_rulestest *t = xcalloc(1, sizeof *t);
	size_t n = rules_count(rules);
	t->rules = rules;
	t->out = out;
	t->opt = *o;
	t->pal = palette(o->color);
	run_init(&t->run, rules_ignore_count(rules));
	t->trigger = pipeline_trigger_new(rules, false);
	trigger_set_search(t->trigger, o->search);
	struct th_pipeline_setup ps = {.rules = rules,
				       .trigger = t->trigger,
				       .run = &t->run,
				       .deliver = on_deliver,
				       .ctx = t};
	t->pipeline = pipeline_new(&ps);
	pipeline_set_probes(t->pipeline, on_probe, on_ignored, t);
	t->found = xcalloc(n ? n : 1, sizeof *t->found);
	t->dropped = xcalloc(n ? n : 1, sizeof *t->dropped);
	t->incomplete = xcalloc(n ? n : 1, sizeof *t->incomplete);
	return t;
}

void rulestest_free(struct th_rulestest *t)
{
	if (t == NULL)
		return;
	pipeline_free(t->pipeline);
	trigger_free(t->trigger);
	run_fini(&t->run);
	free(t->found);
	free(t->dropped);
	free(t->incomplete);
	free(t);
}

/* Records and names an input that could not be read whole. */
static void input_failed(struct th_rulestest *t, size_t index, const char *why)
{
	if (run_fail_input(&t->run, index, why))
		diag_error("%s: %s", t->run.inputs[index].name, why);
}

bool rulestest_path(struct th_rulestest *t, const char *path)
{
	size_t index = run_add_input(&t->run, path);
	const char *name = t->run.inputs[index].name;
	struct th_error err = {0};
	struct th_input *in = input_open(path, &err);
	if (in == NULL) {
		input_failed(t, index, err.message);
		return false;
	}
	fprintf(t->out, "%s==> ", t->pal.bold);
	put_text(t->out, name, strlen(name), 0);
	fprintf(t->out, " <==%s\n", t->pal.reset);
	if (!t->opt.map_files)
		input_no_map(in);
	struct th_lines *l = lines_new(in, TH_READ_BUFFER);
	pipeline_begin_input(t->pipeline, name, index, 0);
	enum th_status st = pipeline_read(t->pipeline, l);
	pipeline_end_input(t->pipeline);
	t->run.inputs[index].lines = lines_number(l) - 1;
	t->run.inputs[index].bytes = lines_offset(l);
	pipeline_count(t->pipeline, l);
	bool ok = st == TH_EOF;
	if (!ok)
		input_failed(t, index, input_error(in));
	lines_free(l);
	input_close(in);
	return ok;
}

/* ---- the summary ------------------------------------------------------- */

/* A count, dimmed when 0 so the rules that found something stand out. */
static void put_number(struct th_rulestest *t, int width, uint64_t n)
{
	const char *on = n == 0 ? t->pal.dim : "";
	fprintf(t->out, "%s%*" PRIu64 "%s", on, width, n,
		n ? "" : t->pal.reset);
}

static void summary_rules(struct th_rulestest *t)
{
	fprintf(t->out, "%s  found  dropped  incomplete  rule%s\n", t->pal.bold,
		t->pal.reset);
	for (size_t r = 0; r < rules_count(t->rules); r++) {
		put_number(t, 7, t->found[r]);
		put_number(t, 9, t->dropped[r]);
		put_number(t, 12, t->incomplete[r]);
		fprintf(t->out, "  %s\n", rules_id(t->rules, r));
	}
}

static void summary_ignores(struct th_rulestest *t)
{
	size_t n = rules_ignore_count(t->rules);
	if (n == 0)
		return;
	fprintf(t->out, "%sdropped  ignore rule%s\n", t->pal.bold,
		t->pal.reset);
	for (size_t i = 0; i < n && i < t->run.n_ignored; i++) {
		put_number(t, 7, t->run.ignored[i]);
		fprintf(t->out, "  %s\n", rules_ignore_id(t->rules, i));
	}
}

uint64_t rulestest_found(const struct th_rulestest *t)
{
	uint64_t n = 0;
	for (size_t r = 0; r < rules_count(t->rules); r++)
		n += t->found[r];
	return n;
}

const struct th_run *rulestest_run(const struct th_rulestest *t)
{
	return &t->run;
}

/* "1 line", "2 lines". */
static void put_count(FILE *out, uint64_t n, const char *one, const char *many)
{
	fprintf(out, "%" PRIu64 " %s", n, n == 1 ? one : many);
}

/* "summary: 141 lines read from 1 input, 6 events found, 1 dropped by
 * ignore rules". */
static void summary_head(struct th_rulestest *t)
{
	uint64_t lines = 0, dropped = 0;
	for (size_t i = 0; i < t->run.n_inputs; i++)
		lines += t->run.inputs[i].lines;
	for (size_t i = 0; i < t->run.n_ignored; i++)
		dropped += t->run.ignored[i];
	fprintf(t->out, "\n%ssummary:%s ", t->pal.bold, t->pal.reset);
	put_count(t->out, lines, "line", "lines");
	fputs(" read from ", t->out);
	put_count(t->out, t->run.n_inputs, "input", "inputs");
	fputs(", ", t->out);
	put_count(t->out, rulestest_found(t), "event", "events");
	fprintf(t->out, " found, %" PRIu64 " dropped by ignore rules\n\n",
		dropped);
}

bool rulestest_finish(struct th_rulestest *t)
{
	summary_head(t);
	summary_rules(t);
	if (rules_ignore_count(t->rules) > 0)
		fputc('\n', t->out);
	summary_ignores(t);
	return fflush(t->out) == 0 && !ferror(t->out);
}
