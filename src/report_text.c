/* report_text.c - the default --format text sink: a summary for people.
 *
 *   tracehound: 7 events in 2 groups, 1 input, 1204 lines
 *
 *   COUNT  SEVERITY  COROUTINE   EXCEPTIONS                          …
 *       4  error     fetch_user  ConnectionError×3, TimeoutError×1   …
 *
 *   fetch_user (4 events, error)
 *     rules       asyncio.exception-never-retrieved×4
 *     …
 *       Task exception was never retrieved
 *       … 12 more lines
 *
 * then a footer with ignored, skipped and failed counts when there are any.
 * When the terminal's width is known the table is fitted to it (see
 * table_fit); when it is not, the table is as wide as its cells need.
 * Every log-derived string goes through text_term_clean() so log bytes
 * cannot drive the terminal; colors only when ctx.color. Write errors are
 * left in the stream's error flag and returned by finish().
 */
#include "report_text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "diag.h"
#include "report_util.h"
#include "buf.h"

/* Example lines shown per group (or per event with --follow), and the
 * columns of one example line before it is cut with "…". */
#define TEXT_EXAMPLE_LINES 15
#define TEXT_LINE_COLUMNS  200
/* Widest cell of each kind of table column before it is cut with "…". */
#define TEXT_KEY_COLUMNS	40
#define TEXT_EXCEPTIONS_COLUMNS 40
#define TEXT_RULES_COLUMNS	40
#define TEXT_WHERE_COLUMNS	44
/* Columns of a group's sparkline in the table and in its detail block,
 * and the fewest the detail block's goes down to on a narrow terminal. */
#define TEXT_TIMELINE_TABLE	 24
#define TEXT_TIMELINE_DETAIL	 48
#define TEXT_TIMELINE_DETAIL_MIN 8
/* Fitting the table to a terminal: the narrowest the exceptions and rules
 * columns are cut to while other columns can still go, then the narrowest
 * the key and exceptions columns are cut to when nothing else can (never
 * narrower than their titles). */
#define TEXT_EXCEPTIONS_MIN   20
#define TEXT_RULES_MIN	      16
#define TEXT_KEY_FLOOR	      12
#define TEXT_EXCEPTIONS_FLOOR 10
/* A COLUMNS wider than this is taken for a mistake and ignored. */
#define TEXT_COLUMNS_MAX 100000

static const char ellipsis[] = "\xE2\x80\xA6"; /* … */
static const char times_sign[] = "\xC3\x97";   /* × */

/* ANSI SGR sequences, or "" everywhere when colors are off. */
struct palette {
	const char *bold, *dim, *reset;
	const char *severity[3]; /* by enum th_severity */
};

struct text_sink {
	struct th_sink base; /* first member: th_sink * converts back */
	struct palette pal;
	struct th_buf text; /* reused for each event's text (--follow) */
	size_t columns;	    /* the width to fit; 0: unknown, no fitting */
};

enum col_kind {
	COL_COUNT,
	COL_SEVERITY,
	COL_KEY,
	COL_EXCEPTIONS,
	COL_RULES,
	COL_FIRST,
	COL_LAST,
	COL_NEW, /* --state: "NEW" for a group not seen before */
	COL_TIMELINE
};

struct column {
	enum col_kind kind;
	enum th_key key; /* COL_KEY only */
	char title[24];
	size_t max, width;
	size_t natural; /* the width its cells need (within max) */
	bool hidden;	/* left out to fit the terminal */
	bool no_time;	/* COL_FIRST, COL_LAST: file:line only */
	int64_t span_start, span_end; /* COL_TIMELINE: the report's span */
};

/* The table: one row per group, every cell a clean, NUL-terminated string
 * the table owns. */
struct table {
	struct column cols[TH_KEY_COUNT + 7];
	size_t n_cols, n_rows;
	char **cells; /* n_rows * n_cols */
};

static struct palette palette(bool color)
{
	if (!color)
		return (struct palette){"", "", "", {"", "", ""}};
	return (struct palette){
	    "\033[1m",
	    "\033[2m",
	    "\033[0m",
	    {[TH_SEV_INFO] = "\033[36m",
	     [TH_SEV_WARNING] = "\033[33m",
	     [TH_SEV_ERROR] = "\033[31m"},
	};
}

/* Writes log-derived bytes, cleaned for the terminal. */
static void put_clean(FILE *out, const char *p, size_t n, bool keep_tab)
{
	size_t clean_n;
	char *clean = text_term_clean(p, n, keep_tab, &clean_n);
	fwrite(clean, 1, clean_n, out);
	free(clean);
}

static uint64_t total_lines(const struct th_run *run)
{
	uint64_t lines = 0;
	for (size_t i = 0; i < run->n_inputs; i++)
		lines += run->inputs[i].lines;
	return lines;
}

/* ---- cells ------------------------------------------------------------ */

/* A growing string for building cells; dies on out of memory. */
/* Appends a log-derived C string, cleaned for the terminal. */
static void buf_clean(struct th_buf *b, const char *s)
{
	size_t n;
	char *clean = text_term_clean(s, strlen(s), false, &n);
	buf_add(b, clean, n);
	free(clean);
}

static void buf_uint(struct th_buf *b, uint64_t v)
{
	char num[24];
	snprintf(num, sizeof num, "%" PRIu64, v);
	buf_str(b, num);
}

/* "ConnectionError×3, TimeoutError×1", a lone exception of every event
 * without the count, "-" for none. */
static char *exceptions_cell(const struct th_group *g)
{
	struct th_buf b = {0};
	for (size_t i = 0; i < g->n_exceptions; i++) {
		if (i > 0)
			buf_str(&b, ", ");
		buf_clean(&b, g->exceptions[i].name);
		if (g->n_exceptions > 1 || g->exceptions_other > 0 ||
		    g->exceptions[i].count != g->count) {
			buf_str(&b, times_sign);
			buf_uint(&b, g->exceptions[i].count);
		}
	}
	if (g->exceptions_other > 0) {
		buf_str(&b, ", other");
		buf_str(&b, times_sign);
		buf_uint(&b, g->exceptions_other);
	}
	return b.p ? b.p : xstrdup("-");
}

/* The rule that found most of the group's events (the first in priority
 * order on a tie), with "+N" for the other rules. */
static char *rules_cell(const struct th_catalog *cat, const struct th_group *g)
{
	size_t n = catalog_rule_count(cat), top = 0, others = 0;
	for (size_t r = 0; r < n; r++) {
		if (g->rule_counts[r] > g->rule_counts[top])
			top = r;
		others += g->rule_counts[r] > 0;
	}
	struct th_buf b = {0};
	buf_clean(&b, catalog_rule_id(cat, top));
	if (others > 1) {
		buf_str(&b, " +");
		buf_uint(&b, others - 1);
	}
	return buf_take(&b);
}

/* "2024-05-01 10:00:01" from an ISO 8601 time: seconds are enough in a
 * table, the detail block has the rest. Other shapes are kept whole. */
static void buf_short_time(struct th_buf *b, const char *time)
{
	if (strnlen(time, 19) == 19 && time[10] == 'T') {
		buf_add(b, time, 10);
		buf_str(b, " ");
		buf_add(b, time + 11, 8);
	} else {
		buf_clean(b, time);
	}
}

/* "app.log:310 2024-05-01 10:00:01": the input's base name, as paths
 * would crowd the table out; without the time unless WITH_TIME. */
static char *where_cell(const struct th_where *w, bool with_time)
{
	struct th_buf b = {0};
	const char *input = w->input ? w->input : "-";
	const char *slash = strrchr(input, '/');
	buf_clean(&b, slash && slash[1] ? slash + 1 : input);
	buf_str(&b, ":");
	buf_uint(&b, w->line);
	char time[TH_TIME_LEN];
	if (with_time && isotime_print(&w->time, time) > 0) {
		buf_str(&b, " ");
		buf_short_time(&b, time);
	}
	return buf_take(&b);
}

/* The group's sparkline over the report's span, without trailing blanks;
 * "" for a group without times. */
static char *timeline_cell(const struct column *col, const struct th_group *g)
{
	char line[TEXT_TIMELINE_TABLE * TIMELINE_GLYPH_BYTES + 1] = "";
	if (timeline_used(&g->timeline) > 0) {
		size_t cols = timeline_columns(col->span_start, col->span_end,
					       TEXT_TIMELINE_TABLE);
		timeline_sparkline(&g->timeline, col->span_start, col->span_end,
				   cols, line);
	}
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == ' ')
		n--;
	return xstrndup(line, n);
}

/* The table cell of column COL for group G; the caller frees it. */
static char *cell(const struct th_report_ctx *c, const struct column *col,
		  const struct th_group *g)
{
	struct th_buf b = {0};
	switch (col->kind) {
	case COL_COUNT: buf_uint(&b, g->count); return buf_take(&b);
	case COL_SEVERITY: return xstrdup(report_severity_name(g->severity));
	case COL_KEY:
		if (g->key[col->key] == NULL)
			return xstrdup(report_no_value(col->key));
		buf_clean(&b, g->key[col->key]);
		return buf_take(&b);
	case COL_EXCEPTIONS: return exceptions_cell(g);
	case COL_RULES: return rules_cell(c->catalog, g);
	case COL_FIRST: return where_cell(&g->first, !col->no_time);
	case COL_TIMELINE: return timeline_cell(col, g);
	case COL_NEW: return xstrdup(g->novelty == TH_NOVELTY_NEW ? "NEW" : "");
	case COL_LAST: break;
	}
	return where_cell(&g->last, !col->no_time);
}

/* ---- table ------------------------------------------------------------ */

/* Appends a column titled TITLE (upper-cased) at most MAX wide. */
static void add_column(struct table *t, enum col_kind kind, enum th_key key,
		       const char *title, size_t max)
{
	struct column *col = &t->cols[t->n_cols++];
	col->kind = kind;
	col->key = key;
	col->max = max;
	snprintf(col->title, sizeof col->title, "%s", title);
	for (char *p = col->title; *p; p++)
		*p = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
	col->width = report_width(col->title, strlen(col->title));
}

/* Count, severity, the group-by keys, then exceptions and rules unless
 * they are keys already, then first and last. */
static void table_columns(struct table *t, const struct th_agg *agg)
{
	const enum th_key *keys;
	size_t n = agg_keys(agg, &keys);
	bool by_exception = false, by_rule = false;
	add_column(t, COL_COUNT, 0, "count", 0);
	add_column(t, COL_SEVERITY, 0, "severity", 0);
	for (size_t i = 0; i < n; i++) {
		add_column(t, COL_KEY, keys[i], catalog_key_name(keys[i]),
			   TEXT_KEY_COLUMNS);
		by_exception |= keys[i] == TH_KEY_EXCEPTION;
		by_rule |= keys[i] == TH_KEY_RULE;
	}
	if (!by_exception)
		add_column(t, COL_EXCEPTIONS, 0, "exceptions",
			   TEXT_EXCEPTIONS_COLUMNS);
	if (!by_rule)
		add_column(t, COL_RULES, 0, "rules", TEXT_RULES_COLUMNS);
	add_column(t, COL_FIRST, 0, "first", TEXT_WHERE_COLUMNS);
	add_column(t, COL_LAST, 0, "last", TEXT_WHERE_COLUMNS);
	int64_t start, end;
	if (agg_time_span(agg, &start, &end)) {
		add_column(t, COL_TIMELINE, 0, "timeline", TEXT_TIMELINE_TABLE);
		t->cols[t->n_cols - 1].span_start = start;
		t->cols[t->n_cols - 1].span_end = end;
	}
}

static size_t title_width(const struct column *col)
{
	return report_width(col->title, strlen(col->title));
}

/* (Re)fills the cells of column K and sizes it to its widest cell or its
 * title, within the column's maximum (0: none). */
static void fill_column(struct table *t, const struct th_report_ctx *c,
			const struct th_group *const *groups, size_t k)
{
	struct column *col = &t->cols[k];
	col->width = title_width(col);
	for (size_t r = 0; r < t->n_rows; r++) {
		char *s = cell(c, col, groups[r]);
		size_t w = report_width(s, strlen(s));
		if (w > col->width)
			col->width = col->max && w > col->max ? col->max : w;
		free(t->cells[r * t->n_cols + k]);
		t->cells[r * t->n_cols + k] = s;
	}
	col->natural = col->width;
}

/* Fills every cell of the first N groups and sizes every column. */
static void table_fill(struct table *t, const struct th_report_ctx *c,
		       const struct th_group *const *groups, size_t n)
{
	t->n_rows = n;
	t->cells = xcalloc(n * t->n_cols, sizeof *t->cells);
	for (size_t k = 0; k < t->n_cols; k++)
		fill_column(t, c, groups, k);
}

/* ---- fitting the table to the terminal -------------------------------- */

/* What goes, in this order, until the table fits: each step keeps what
 * the earlier ones did. The count, severity and key columns and a few
 * characters of the exceptions always stay (a terminal narrower than
 * that gets a table wider than itself). */
enum fit_step {
	FIT_SHORT_WHERE, /* first, last: file:line without the time;
			    exceptions and rules may be cut with "…" */
	FIT_NO_TIMELINE, /* the sparkline column goes */
	FIT_NO_LAST,	 /* then last */
	FIT_NO_RULES,	 /* then rules */
	FIT_NO_FIRST,	 /* then first */
	FIT_SHRINK_KEYS, /* keys and exceptions cut to their floors */
	FIT_STEPS
};

/* The width of the table's widest possible line: the visible columns and
 * two blanks between each two. */
static size_t table_width(const struct table *t)
{
	size_t w = 0, shown = 0;
	for (size_t k = 0; k < t->n_cols; k++) {
		if (t->cols[k].hidden)
			continue;
		w += t->cols[k].width;
		shown++;
	}
	return shown ? w + 2 * (shown - 1) : 0;
}

/* The narrowest COL may be cut to at STEP: its natural width for the
 * columns that are never cut. */
static size_t column_floor(const struct column *col, enum fit_step step)
{
	size_t floor;
	if (col->kind == COL_EXCEPTIONS)
		floor = step >= FIT_SHRINK_KEYS ? TEXT_EXCEPTIONS_FLOOR
						: TEXT_EXCEPTIONS_MIN;
	else if (col->kind == COL_RULES)
		floor = TEXT_RULES_MIN;
	else if (col->kind == COL_KEY && step >= FIT_SHRINK_KEYS)
		floor = TEXT_KEY_FLOOR;
	else
		return col->natural;
	if (floor < title_width(col))
		floor = title_width(col);
	return floor < col->natural ? floor : col->natural;
}

static void hide_kind(struct table *t, enum col_kind kind)
{
	for (size_t k = 0; k < t->n_cols; k++)
		t->cols[k].hidden |= t->cols[k].kind == kind;
}

/* Does what STEP adds to the steps before it. */
static void fit_apply(struct table *t, const struct th_report_ctx *c,
		      const struct th_group *const *groups, enum fit_step step)
{
	switch (step) {
	case FIT_SHORT_WHERE:
		for (size_t k = 0; k < t->n_cols; k++) {
			enum col_kind kind = t->cols[k].kind;
			if (kind != COL_FIRST && kind != COL_LAST)
				continue;
			t->cols[k].no_time = true;
			fill_column(t, c, groups, k);
		}
		break;
	case FIT_NO_TIMELINE: hide_kind(t, COL_TIMELINE); break;
	case FIT_NO_LAST: hide_kind(t, COL_LAST); break;
	case FIT_NO_RULES: hide_kind(t, COL_RULES); break;
	case FIT_NO_FIRST: hide_kind(t, COL_FIRST); break;
	case FIT_SHRINK_KEYS:
	case FIT_STEPS: break;
	}
}

/* Cuts every visible column to its floor at STEP, then gives the COLUMNS
 * left back, one at a time to the narrowest column that was cut, so cut
 * columns end up about as wide as each other. */
static void fit_widths(struct table *t, enum fit_step step, size_t columns)
{
	for (size_t k = 0; k < t->n_cols; k++)
		t->cols[k].width = column_floor(&t->cols[k], step);
	size_t used = table_width(t);
	for (; used < columns; used++) {
		struct column *narrow = NULL;
		for (size_t k = 0; k < t->n_cols; k++) {
			struct column *col = &t->cols[k];
			if (!col->hidden && col->width < col->natural &&
			    (narrow == NULL || col->width < narrow->width))
				narrow = col;
		}
		if (narrow == NULL)
			break;
		narrow->width++;
	}
}

/* Makes the table fit in COLUMNS (0: unknown, nothing changes; nor does
 * it when the table fits already), taking the fewest steps that do. */
static void table_fit(struct table *t, const struct th_report_ctx *c,
		      const struct th_group *const *groups, size_t columns)
{
	if (columns == 0 || table_width(t) <= columns)
		return;
	enum fit_step step = FIT_SHORT_WHERE;
	for (;; step++) {
		fit_apply(t, c, groups, step);
		struct table floors = *t; /* the widths only: cells shared */
		fit_widths(&floors, step, 0);
		if (step + 1 == FIT_STEPS || table_width(&floors) <= columns)
			break;
	}
	fit_widths(t, step, columns);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* Prints S in a column of WIDTH: cut with "…" when wider, padded unless
 * LAST (no trailing blanks), right-aligned when RIGHT. */
static void put_cell(FILE *out, const char *s, size_t width, bool right,
		     bool last)
{
	size_t n = strlen(s), w = report_width(s, n);
	bool cut = w > width;
	if (cut) {
		n = report_fit(s, n, width - 1);
		w = report_width(s, n) + 1; /* a wide character may not fit */
	}
	size_t pad = width - w;
	if (right)
		fprintf(out, "%*s", (int)pad, "");
	fwrite(s, 1, n, out);
	if (cut)
		fputs(ellipsis, out);
	if (!right && !last)
		fprintf(out, "%*s", (int)pad, "");
}

/* One group's row; only the severity cell is colored. */
static void table_row(FILE *out, const struct table *t, size_t r,
		      const struct palette *pal, const struct th_group *g)
{
	size_t end = t->n_cols; /* empty cells at the end: no blanks */
	while (end > 1 && (t->cols[end - 1].hidden ||
			   t->cells[r * t->n_cols + end - 1][0] == '\0'))
		end--;
	for (size_t k = 0; k < end; k++) {
		const struct column *col = &t->cols[k];
		bool sev = col->kind == COL_SEVERITY;
		if (col->hidden)
			continue;
		if (k > 0)
			fputs("  ", out);
		fputs(sev ? pal->severity[g->severity] : "", out);
		put_cell(out, t->cells[r * t->n_cols + k], col->width,
			 col->kind == COL_COUNT, k + 1 == end);
		fputs(sev ? pal->reset : "", out);
	}
	fputc('\n', out);
}

/* The bold title row, then one row per group. */
static void table_print(FILE *out, const struct table *t,
			const struct palette *pal,
			const struct th_group *const *groups)
{
	size_t end = t->n_cols;
	while (end > 1 && t->cols[end - 1].hidden)
		end--;
	fputs(pal->bold, out);
	for (size_t k = 0; k < end; k++) {
		if (t->cols[k].hidden)
			continue;
		if (k > 0)
			fputs("  ", out);
		put_cell(out, t->cols[k].title, t->cols[k].width,
			 t->cols[k].kind == COL_COUNT, k + 1 == end);
	}
	fprintf(out, "%s\n", pal->reset);
	for (size_t r = 0; r < t->n_rows; r++)
		table_row(out, t, r, pal, groups[r]);
}

/* ---- detail blocks ---------------------------------------------------- */

/* Example lines per group: --examples, or TEXT_EXAMPLE_LINES. */
static size_t example_lines(const struct th_report_ctx *c)
{
	if (c->hide_examples)
		return 0;
	return c->examples ? c->examples : TEXT_EXAMPLE_LINES;
}

/* One example line, indented, cleaned and cut to TEXT_LINE_COLUMNS. */
static void put_example_line(FILE *out, const char *p, size_t len)
{
	size_t clean_n;
	char *clean = text_term_clean(p, len, true, &clean_n);
	fputs("    ", out);
	put_cell(out, clean, TEXT_LINE_COLUMNS, false, true);
	fputc('\n', out);
	free(clean);
}

/* Prints up to MAX_LINES lines of TEXT, indented, each cut to
 * TEXT_LINE_COLUMNS: the first ones, "… N more lines" for the rest and,
 * when two lines or more are shown, the final "Type: message" line last
 * (report_example_final_line). */
static void put_example(FILE *out, const struct palette *pal, const char *text,
			size_t n, size_t max_lines)
{
	size_t total = report_line_count(text, n), final_len = 0;
	size_t final = report_example_final_line(text, n, &final_len);
	size_t head = max_lines;
	if (total > max_lines && max_lines >= 2 && final < n)
		head = max_lines - 1; /* room for the final line */
	size_t shown = 0, at = 0;
	for (; at < n && shown < head; shown++) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t len = nl ? (size_t)(nl - (text + at)) : n - at;
		put_example_line(out, text + at, len);
		at += len + (nl != NULL);
	}
	if (at >= n)
		return;
	bool tail = head < max_lines && final >= at;
	uint64_t more = report_line_count(text + at, n - at) - tail;
	fprintf(out, "    %s%s ", pal->dim, ellipsis);
	report_put_count(out, more, "more line", "more lines");
	fprintf(out, "%s\n", pal->reset);
	if (tail)
		put_example_line(out, text + final, final_len);
}

/* The group's title: the key's value alone when grouping by one field,
 * else "field=value" pairs. */
static void put_title(FILE *out, const struct th_agg *agg,
		      const struct th_group *g)
{
	const enum th_key *keys;
	size_t n = agg_keys(agg, &keys);
	for (size_t i = 0; i < n; i++) {
		const char *v = g->key[keys[i]];
		if (n > 1)
			fprintf(out, "%s%s=", i ? " " : "",
				catalog_key_name(keys[i]));
		if (v == NULL)
			fputs(report_no_value(keys[i]), out);
		else
			put_clean(out, v, strlen(v), false);
	}
	if (n == 0)
		fputs("all events", out);
}

/* The indented, aligned label of a detail line. */
static void put_label(FILE *out, const char *label)
{
	fprintf(out, "  %-12s", label);
}

/* "NAME×COUNT", or NAME alone when it accounts for every event of the
 * group (the title says how many). */
static void put_named_count(FILE *out, const char *name, uint64_t count,
			    const struct th_group *g)
{
	put_clean(out, name, strlen(name), false);
	if (count != g->count)
		fprintf(out, "%s%" PRIu64, times_sign, count);
}

/* "rules       ID×N, …": every rule that found an event of the group. */
static void detail_rules(FILE *out, const struct th_catalog *cat,
			 const struct th_group *g)
{
	put_label(out, "rules");
	const char *sep = "";
	for (size_t r = 0; r < catalog_rule_count(cat); r++) {
		if (g->rule_counts[r] == 0)
			continue;
		fputs(sep, out);
		put_named_count(out, catalog_rule_id(cat, r), g->rule_counts[r],
				g);
		sep = ", ";
	}
	fputc('\n', out);
}

/* "exceptions  NAME×N, …", in the group's order; nothing without any. */
static void detail_exceptions(FILE *out, const struct th_group *g)
{
	if (g->n_exceptions == 0)
		return;
	put_label(out, "exceptions");
	for (size_t i = 0; i < g->n_exceptions; i++) {
		fputs(i ? ", " : "", out);
		put_named_count(out, g->exceptions[i].name,
				g->exceptions[i].count, g);
	}
	if (g->exceptions_other > 0)
		fprintf(out, ", other%s%" PRIu64, times_sign,
			g->exceptions_other);
	fputc('\n', out);
}

/* "at          FILE:LINE in FUNCTION", "message     TEXT" (cut to
 * TEXT_LINE_COLUMNS) and "from        SOURCE" (its writer) of the group's
 * first event, each only when it has one. */
static void detail_culprit(FILE *out, const struct th_group *g)
{
	if (g->culprit.file != NULL) {
		put_label(out, "at");
		put_clean(out, g->culprit.file, strlen(g->culprit.file), false);
		fprintf(out, ":%" PRIu64 " in ", g->culprit.line);
		put_clean(out, g->culprit.function, strlen(g->culprit.function),
			  false);
		fputc('\n', out);
	}
	if (g->message != NULL) {
		size_t clean_n;
		char *clean = text_term_clean(g->message, strlen(g->message),
					      false, &clean_n);
		put_label(out, "message");
		put_cell(out, clean, TEXT_LINE_COLUMNS, false, true);
		fputc('\n', out);
		free(clean);
	}
	if (g->source != NULL) {
		put_label(out, "from");
		put_clean(out, g->source, strlen(g->source), false);
		fputc('\n', out);
	}
}

/* "tasks       A, B, …and more" for a non-empty capped list. */
static void detail_list(FILE *out, const char *label, const struct th_capped *l)
{
	if (l->n == 0)
		return;
	put_label(out, label);
	for (size_t i = 0; i < l->n; i++) {
		fputs(i ? ", " : "", out);
		put_clean(out, l->items[i], strlen(l->items[i]), false);
	}
	if (l->capped)
		fprintf(out, ", %sand more", ellipsis);
	fputc('\n', out);
}

/* "app.log:310 at 2024-05-01T10:00:01.123Z", full input name. */
static void detail_where(FILE *out, const char *label, const struct th_where *w)
{
	put_label(out, label);
	const char *input = w->input ? w->input : "-";
	put_clean(out, input, strlen(input), false);
	fprintf(out, ":%" PRIu64, w->line);
	char time[TH_TIME_LEN];
	size_t n = isotime_print(&w->time, time);
	if (n > 0) {
		fputs(" at ", out);
		put_clean(out, time, n, false);
	}
	fputc('\n', out);
}

/* "  timeline    ▕" COLS "▏" and, when WHAT is not empty, " " WHAT. */
static size_t detail_timeline_width(size_t cols, const char *what)
{
	return 2 + 12 + 1 + cols + 1 + (what[0] ? 1 + strlen(what) : 0);
}

/* Shortens WHAT (ASCII) so that a line of COLS sparkline columns fits
 * COLUMNS: first without ", STEP a column", then cut with "…", then
 * without it. */
static void detail_timeline_shorten(size_t cols, size_t columns, char *what)
{
	char *step = strrchr(what, ',');
	if (step != NULL)
		*step = '\0';
	if (detail_timeline_width(cols, what) <= columns)
		return;
	size_t fixed = detail_timeline_width(cols, "");
	size_t room = columns > fixed + 1 ? columns - fixed - 1 : 0;
	if (room < 2) { /* not even a character and "…" */
		what[0] = '\0';
		return;
	}
	memcpy(what + room - 1, "\xE2\x80\xA6", 4); /* "…" */
}

/* The sparkline columns of a detail timeline line over [START, END), and
 * in WHAT (WHAT_CAP bytes) what they show: TEXT_TIMELINE_DETAIL at most,
 * fewer when the line would be wider than COLUMNS (0: unknown), down to
 * TEXT_TIMELINE_DETAIL_MIN; then WHAT is shortened, and on a terminal
 * too narrow even for that the columns go on down to 1. 0: the line
 * cannot fit at all. */
static size_t detail_timeline_columns(int64_t start, int64_t end,
				      size_t columns, char *what,
				      size_t what_cap)
{
	size_t max = TEXT_TIMELINE_DETAIL;
	size_t cols;
	for (;;) {
		cols = timeline_columns(start, end, max);
		timeline_describe(start, end, cols, what, what_cap);
		if (columns == 0 ||
		    detail_timeline_width(cols, what) <= columns)
			return cols;
		if (cols <= TEXT_TIMELINE_DETAIL_MIN)
			break;
		max = cols - 1;
	}
	detail_timeline_shorten(cols, columns, what);
	while (cols > 1 && detail_timeline_width(cols, what) > columns)
		cols--;
	return detail_timeline_width(cols, what) <= columns ? cols : 0;
}

/* The time span of the whole report, which every group's timeline is
 * drawn over: worked out once, not for each group (it looks at them all). */
struct span {
	bool timed;
	int64_t start, end;
};

/* "timeline    ▕▁ █▃  ▁▏ 2024-05-01 10:00:00 to 10:04:16, 8s a column":
 * the group's events over the report's SPAN; nothing without times. The
 * line is never wider than COLUMNS (0: unknown). */
static void detail_timeline(FILE *out, const struct span *span,
			    const struct th_group *g, size_t columns)
{
	if (timeline_used(&g->timeline) == 0 || !span->timed)
		return;
	int64_t start = span->start, end = span->end;
	char line[TEXT_TIMELINE_DETAIL * TIMELINE_GLYPH_BYTES + 1], what[128];
	size_t cols =
	    detail_timeline_columns(start, end, columns, what, sizeof what);
	if (cols == 0)
		return;
	timeline_sparkline(&g->timeline, start, end, cols, line);
	put_label(out, "timeline");
	fprintf(out, "\xE2\x96\x95%s\xE2\x96\x8F%s%s\n", line, /* ▕ ▏ */
		what[0] ? " " : "", what);
}

/* A group's block: title, detail lines, then its example indented. */
static void detail(FILE *out, const struct th_report_ctx *c,
		   const struct palette *pal, const struct span *span,
		   const struct th_group *g, size_t columns)
{
	fputs(pal->bold, out);
	put_title(out, c->agg, g);
	fprintf(out, "%s (", pal->reset);
	report_put_count(out, g->count, "event", "events");
	fprintf(out, ", %s%s%s)\n", pal->severity[g->severity],
		report_severity_name(g->severity), pal->reset);
	detail_rules(out, c->catalog, g);
	detail_exceptions(out, g);
	detail_list(out, "tasks", &g->tasks);
	detail_list(out, "defined at", &g->defined_at);
	detail_list(out, "labels", &g->labels); /* --label, merged */
	detail_culprit(out, g);
	if (g->count == 1) {
		detail_where(out, "seen", &g->first);
	} else {
		detail_where(out, "first", &g->first);
		detail_where(out, "last", &g->last);
	}
	detail_timeline(out, span, g, columns);
	if (g->example_len > 0 && example_lines(c) > 0)
		put_example(out, pal, g->example, g->example_len,
			    example_lines(c));
}

/* ---- footer ----------------------------------------------------------- */

/* Starts a footer line with its bold LABEL, or separates the next item
 * when the line has one (MORE). */
static void footer_item(FILE *out, const struct palette *pal, const char *label,
			bool more)
{
	if (more)
		fputs(", ", out);
	else
		fprintf(out, "%s%-8s%s ", pal->bold, label, pal->reset);
}

/* "ignored  ignore.health-check×12, …" for ignore rules that dropped any. */
static void footer_ignored(FILE *out, const struct th_report_ctx *c,
			   const struct palette *pal)
{
	const struct th_run *run = c->run;
	size_t n = catalog_ignore_count(c->catalog);
	bool any = false;
	for (size_t i = 0; i < n && i < run->n_ignored; i++) {
		if (run->ignored[i] == 0)
			continue;
		const char *id = catalog_ignore_id(c->catalog, i);
		footer_item(out, pal, "ignored", any);
		put_clean(out, id, strlen(id), false);
		fprintf(out, "%s%" PRIu64, times_sign, run->ignored[i]);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

/* "skipped  2 lines cut at the read buffer, …" for non-zero counters. */
static void footer_skipped(FILE *out, const struct th_run *run,
			   const struct palette *pal)
{
	const struct {
		uint64_t n;
		const char *one, *many;
	} items[] = {
	    {run->counts.lines_truncated, "line cut at the read buffer",
	     "lines cut at the read buffer"},
	    {run->counts.events_truncated, "event with lines not kept",
	     "events with lines not kept"},
	    {run->counts.events_incomplete, "event cut off at end of input",
	     "events cut off at end of input"},
	    {run->counts.match_errors, "regex match over the match limit",
	     "regex matches over the match limit"},
	    {run->counts.groups_dropped, "event dropped (group limit)",
	     "events dropped (group limit)"},
	};
	bool any = false;
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		if (items[i].n == 0)
			continue;
		footer_item(out, pal, "skipped", any);
		report_put_count(out, items[i].n, items[i].one, items[i].many);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

/* "failed   NAME: why" for each input that could not be read whole. */
static void footer_failed(FILE *out, const struct th_run *run,
			  const struct palette *pal)
{
	for (size_t i = 0; i < run->n_inputs; i++) {
		const struct th_run_input *in = &run->inputs[i];
		if (in->error == NULL)
			continue;
		fprintf(out, "%s%-8s%s ", pal->severity[TH_SEV_ERROR], "failed",
			pal->reset);
		put_clean(out, in->name, strlen(in->name), false);
		fputs(": ", out);
		put_clean(out, in->error, strlen(in->error), false);
		fputc('\n', out);
	}
}

/* ---- the sink --------------------------------------------------------- */

/* "tracehound: N events in N groups, N inputs, N lines". */
static void header(FILE *out, const struct th_report_ctx *c,
		   const struct palette *pal, size_t n_groups)
{
	fprintf(out, "%stracehound:%s ", pal->bold, pal->reset);
	report_put_count(out, c->run->counts.events, "event", "events");
	fputs(" in ", out);
	report_put_count(out, n_groups, "group", "groups");
	fputs(", ", out);
	report_put_count(out, c->run->n_inputs, "input", "inputs");
	fputs(", ", out);
	report_put_count(out, total_lines(c->run), "line", "lines");
	fputc('\n', out);
}

/* The one line printed when no event was found. */
static void nothing_found(FILE *out, const struct th_report_ctx *c,
			  const struct palette *pal)
{
	fprintf(out, "%stracehound:%s no events found in ", pal->bold,
		pal->reset);
	report_put_count(out, total_lines(c->run), "line", "lines");
	if (c->run->n_inputs > 1)
		fprintf(out, " of %zu inputs", c->run->n_inputs);
	fputc('\n', out);
}

/* "… and 12 more groups (--top 5)" under the table when --top hid some. */
static void more_groups(FILE *out, const struct palette *pal, size_t hidden,
			size_t top)
{
	if (hidden == 0)
		return;
	fprintf(out, "%s%s and ", pal->dim, ellipsis);
	report_put_count(out, hidden, "more group", "more groups");
	fprintf(out, " (--top %zu)%s\n", top, pal->reset);
}

/* Header, table and one detail block per group (the first --top ones);
 * the table fitted to COLUMNS (0: unknown). Stops early once the stream
 * has failed (a closed pipe), as nothing more can get through. */
static void summary(FILE *out, const struct th_report_ctx *c,
		    const struct palette *pal,
		    const struct th_group *const *groups, size_t n,
		    size_t columns)
{
	struct table t = {0};
	size_t shown = c->top && c->top < n ? c->top : n;
	header(out, c, pal, n);
	fputc('\n', out);
	table_columns(&t, c->agg);
	if (n > 0 && groups[0]->novelty != TH_NOVELTY_UNKNOWN)
		add_column(&t, COL_NEW, 0, "new", 0);
	table_fill(&t, c, groups, shown);
	table_fit(&t, c, groups, columns);
	table_print(out, &t, pal, groups);
	table_free(&t);
	more_groups(out, pal, n - shown, c->top);
	struct span span;
	span.timed = agg_time_span(c->agg, &span.start, &span.end);
	for (size_t i = 0; i < shown && !ferror(out); i++) {
		fputc('\n', out);
		detail(out, c, pal, &span, groups[i], columns);
	}
}

/* True when the footer has something to say. */
static bool footer_wanted(const struct th_report_ctx *c)
{
	const struct th_run *run = c->run;
	bool any = run->counts.lines_truncated ||
		   run->counts.events_truncated ||
		   run->counts.events_incomplete || run->counts.match_errors ||
		   run->counts.groups_dropped;
	for (size_t i = 0; i < run->n_ignored; i++)
		any |= run->ignored[i] > 0;
	for (size_t i = 0; i < run->n_inputs; i++)
		any |= run->inputs[i].error != NULL;
	return any;
}

/* Prints the report. Returns false when output failed. */
static bool text_finish(struct th_sink *base)
{
	struct text_sink *s = (struct text_sink *)base;
	const struct th_report_ctx *c = &base->ctx;
	const struct th_group *const *groups;
	size_t n = agg_count(c->agg);
	agg_top(c->agg, c->top, &groups); /* summary shows as many */
	if (n == 0 && c->run->counts.events == 0)
		nothing_found(c->out, c, &s->pal);
	else
		summary(c->out, c, &s->pal, groups, n, s->columns);
	if (footer_wanted(c)) {
		if (n > 0)
			fputc('\n', c->out);
		footer_ignored(c->out, c, &s->pal);
		footer_skipped(c->out, c->run, &s->pal);
		footer_failed(c->out, c->run, &s->pal);
	}
	return fflush(c->out) == 0 && !ferror(c->out);
}

/* --follow: "input:line  severity  rule  coroutine  exception" and
 * "  from SOURCE" when a framing named its writer, then the event's first
 * lines; nothing without --follow, the summary says it all.
 * A failed write is left in the stream's error flag for finish(). */
static void text_event(struct th_sink *base, const struct th_event *ev)
{
	struct text_sink *s = (struct text_sink *)base;
	const struct th_report_ctx *c = &base->ctx;
	if (!c->follow || ferror(c->out))
		return;
	enum th_severity sev = catalog_rule_severity(c->catalog, ev->rule);
	const char *rule = catalog_rule_id(c->catalog, ev->rule);
	fputs(s->pal.bold, c->out);
	put_clean(c->out, ev->input ? ev->input : "-",
		  ev->input ? strlen(ev->input) : 1, false);
	fprintf(c->out, ":%" PRIu64 "%s  %s%s%s  ", ev->line, s->pal.reset,
		s->pal.severity[sev], report_severity_name(sev), s->pal.reset);
	put_clean(c->out, rule, strlen(rule), false);
	for (enum th_field f = TH_F_COROUTINE; f <= TH_F_EXCEPTION; f++) {
		struct th_span v = event_get(ev, f);
		fputs("  ", c->out);
		put_clean(c->out, v.p ? v.p : "-", v.p ? v.n : 1, false);
	}
	struct th_span from = event_get(ev, TH_F_SOURCE);
	if (from.p != NULL) {
		fputs("  from ", c->out);
		put_clean(c->out, from.p, from.n, false);
	}
	fputc('\n', c->out);
	size_t n = report_event_text(ev, &s->text);
	put_example(c->out, &s->pal, s->text.p, n, example_lines(c));
	fflush(c->out);
}

/* Frees the sink; the stream is the caller's. */
static void text_free(struct th_sink *base)
{
	struct text_sink *s = (struct text_sink *)base;
	if (s == NULL)
		return;
	buf_fini(&s->text);
	free(s);
}

/* COLUMNS as a width, 0 when unset or not a number from 1 to
 * TEXT_COLUMNS_MAX. */
static size_t env_columns(const char *env)
{
	if (env == NULL || *env < '0' || *env > '9')
		return 0;
	char *end;
	unsigned long n = strtoul(env, &end, 10);
	return *end == '\0' && n <= TEXT_COLUMNS_MAX ? (size_t)n : 0;
}

size_t report_text_columns(FILE *out, const char *columns)
{
	size_t n = env_columns(columns);
	if (n > 0)
		return n;
	int fd = fileno(out);
	struct winsize ws;
	if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0)
		return ws.ws_col;
	return 0;
}

struct th_sink *report_text_new(const struct th_report_ctx *ctx)
{
	return report_text_new_columns(ctx,
				       report_text_columns(ctx->out, NULL));
}

struct th_sink *report_text_new_columns(const struct th_report_ctx *ctx,
					size_t columns)
{
	struct text_sink *s = xcalloc(1, sizeof *s);
	s->columns = columns;
	s->base.event = text_event;
	s->base.finish = text_finish;
	s->base.free = text_free;
	s->base.ctx = *ctx;
	s->base.per_event = ctx->follow;
	s->pal = palette(ctx->color);
	return &s->base;
}
