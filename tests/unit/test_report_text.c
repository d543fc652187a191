/* test_report_text.c - the text report's summary table fitted to a
 * terminal's width: the report of sample-logs/py3.12 and of made-up
 * events with long and non-ASCII names, at several widths, each line
 * measured in terminal columns with color codes left out; wide names
 * lining up; the full-width table
 * when the width is unknown; where the width comes from.
 */
#include <criterion/criterion.h>

#include <libgen.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "report_text.h"
#include "report_util.h"
#include "scan.h"

/* ---- measuring lines ---------------------------------------------------- */

/* Terminal columns of LINE[0..N), ANSI CSI sequences ("\033[1m") left
 * out: measured with mbrtowc() and wcwidth() under C.UTF-8, as a
 * terminal does, apart from the code under test. */
static size_t line_width(const char *line, size_t n)
{
	cr_assert(setlocale(LC_CTYPE, "C.UTF-8") != NULL);
	size_t w = 0;
	mbstate_t state = {0};
	for (size_t i = 0; i < n;) {
		if (line[i] == '\033' && i + 1 < n && line[i + 1] == '[') {
			i += 2;
			while (i < n && !(line[i] >= '@' && line[i] <= '~'))
				i++;
			i++;
			continue;
		}
		wchar_t wc;
		size_t len = mbrtowc(&wc, line + i, n - i, &state);
		cr_assert(len != (size_t)-1 && len != (size_t)-2 && len != 0,
			  "not UTF-8 at %zu: %.*s", i, (int)n, line);
		int cw = wcwidth(wc);
		w += cw < 0 ? 1 : (size_t)cw;
		i += len;
	}
	return w;
}

/* True when P[0..N) is whole UTF-8: no sequence was cut. */
static bool valid_utf8(const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		bool valid;
		i += text_utf8_step(p + i, n - i, &valid);
		if (!valid)
			return false;
	}
	return true;
}

/* The table of a report: from its title row (the third line) to the
 * blank line under it. Returns a pointer into OUT and its length. */
static const char *table_of(const char *out, size_t *n)
{
	const char *start = strstr(out, "\n\n");
	cr_assert(start != NULL, "no table in:\n%s", out);
	start += 2;
	const char *end = strstr(start, "\n\n");
	*n = end ? (size_t)(end + 1 - start) : strlen(start);
	return start;
}

/* Checks that every line of P[0..N) is whole UTF-8 and at most WIDTH
 * columns wide. */
static void expect_lines_fit(const char *p, size_t n, size_t width)
{
	for (size_t at = 0; at < n;) {
		const char *nl = memchr(p + at, '\n', n - at);
		size_t len = nl ? (size_t)(nl - (p + at)) : n - at;
		size_t w = line_width(p + at, len);
		cr_expect(w <= width, "%zu columns, more than %zu:\n%.*s", w,
			  width, (int)len, p + at);
		cr_expect(valid_utf8(p + at, len), "a cut character in:\n%.*s",
			  (int)len, p + at);
		at += len + 1;
	}
}

/* The title row of the table in OUT, as a C string the caller frees. */
static char *title_row(const char *out)
{
	size_t n;
	const char *t = table_of(out, &n);
	const char *nl = memchr(t, '\n', n);
	return strndup(t, nl ? (size_t)(nl - t) : n);
}

/* Whether the title row TITLES has the column TITLE (a whole word). */
static bool has_column(const char *titles, const char *title)
{
	size_t n = strlen(title);
	for (const char *p = titles; (p = strstr(p, title)) != NULL; p += n)
		if ((p == titles || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0' || p[n] == '\033'))
			return true;
	return false;
}

/* ---- the report of sample-logs/py3.12 ----------------------------------- */

struct sample {
	struct th_rules *rules;
	struct th_run run;
	struct th_agg *agg;
};

static void quiet_event(struct th_sink *sink, const struct th_event *ev)
{
	(void)sink;
	(void)ev;
}

static struct sample *sample_new(const enum th_key *keys, size_t n_keys)
{
	struct sample *s = calloc(1, sizeof *s);
	cr_assert(s != NULL);
	s->rules = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(s->rules, TH_TEST_PATTERNS_DIR, &err) &&
		      rules_finish(s->rules, &err),
		  "%s:%zu:%zu: %s", err.file, err.line, err.column,
		  err.message);
	run_init(&s->run, rules_ignore_count(s->rules));
	s->agg = agg_new(rules_catalog(s->rules), keys, n_keys);
	char log[] = TH_TEST_SAMPLE_LOG;
	struct th_sink quiet = {.event =
				    quiet_event}; /* the scanner needs one */
	struct th_scanner *scan =
	    scanner_new(s->rules, s->agg, &quiet, &s->run, NULL);
	scanner_scan_path(scan, dirname(log)); /* sample-logs/py3.12 */
	scanner_finish(scan);
	scanner_free(scan);
	cr_assert_gt(s->run.counts.events, 100,
		     "sample-logs/py3.12 was not read");
	return s;
}

/* "many_tasks.log:76 YYYY-MM-DD HH:MM:SS": the FIRST cell of the largest
 * group, its time read from that line of the log (every regeneration of
 * the sample logs gives them new times: gen/samples/README.md). */
static void first_of_largest(char *out, size_t cap)
{
	char log[] = TH_TEST_SAMPLE_LOG;
	char path[1024];
	snprintf(path, sizeof path, "%s/many_tasks.log", dirname(log));
	FILE *f = fopen(path, "r");
	cr_assert(f != NULL, "%s", path);
	char line[4096] = "";
	for (int i = 0; i < 76; i++)
		cr_assert(fgets(line, sizeof line, f) != NULL, "%s:%d", path,
			  i + 1);
	fclose(f);
	snprintf(out, cap, "many_tasks.log:76 %.19s", line);
}

static void sample_free(struct sample *s)
{
	agg_free(s->agg);
	run_fini(&s->run);
	rules_free(s->rules);
	free(s);
}

/* The text report of AGG fitted to COLUMNS; the caller frees it. */
static char *render(const struct th_rules *rules, struct th_agg *agg,
		    const struct th_run *run, size_t columns, bool color)
{
	cr_assert(setlocale(LC_CTYPE, "C.UTF-8") != NULL); /* as main.c */
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cr_assert(out != NULL);
	struct th_report_ctx ctx = {.out = out,
				    .catalog = rules_catalog(rules),
				    .agg = agg,
				    .run = run,
				    .color = color,
				    .version = "9.8.7"};
	struct th_sink *sink = report_text_new_columns(&ctx, columns);
	cr_assert(sink->finish(sink));
	sink->free(sink);
	fclose(out);
	return buf;
}

static char *render_sample(struct sample *s, size_t columns, bool color)
{
	return render(s->rules, s->agg, &s->run, columns, color);
}

static const enum th_key by_coroutine[] = {TH_KEY_COROUTINE};

static const size_t widths[] = {60, 72, 80, 100, 120, 160, 200};
#define N_WIDTHS (sizeof widths / sizeof *widths)

Test(report_text_width, the_table_fits_every_width_with_and_without_color)
{
	struct sample *s = sample_new(by_coroutine, 1);
	for (size_t i = 0; i < N_WIDTHS; i++) {
		for (int color = 0; color < 2; color++) {
			char *out = render_sample(s, widths[i], color);
			size_t n;
			const char *table = table_of(out, &n);
			expect_lines_fit(table, n, widths[i]);
			free(out);
		}
	}
	sample_free(s);
}

Test(report_text_width, count_severity_coroutine_and_exceptions_always_stay)
{
	struct sample *s = sample_new(by_coroutine, 1);
	for (size_t i = 0; i < N_WIDTHS; i++) {
		char *out = render_sample(s, widths[i], false);
		char *titles = title_row(out);
		const char *kept[] = {"COUNT", "SEVERITY", "COROUTINE",
				      "EXCEPTIONS"};
		for (size_t k = 0; k < 4; k++)
			cr_expect(has_column(titles, kept[k]),
				  "no %s at %zu columns:\n%s", kept[k],
				  widths[i], out);
		cr_expect(strncmp(titles, "COUNT  SEVERITY  COROUTINE", 26) ==
			      0,
			  "%s", titles);
		/* the largest group's row, its coroutine whole */
		cr_expect(strstr(out, "  120  error     fetch_user ") != NULL,
			  "at %zu columns:\n%s", widths[i], out);
		free(titles);
		free(out);
	}
	sample_free(s);
}

Test(report_text_width, an_unknown_width_keeps_the_full_table)
{
	struct sample *s = sample_new(by_coroutine, 1);
	char *full = render_sample(s, 0, false);
	char *titles = title_row(full);
	cr_expect_str_eq(
	    titles, "COUNT  SEVERITY  COROUTINE            EXCEPTIONS     "
		    "                       RULES                     "
		    "         FIRST                                       "
		    "LAST                                        TIMELINE");
	char first[64];
	first_of_largest(first, sizeof first);
	cr_expect(strstr(full, first) != NULL, "FIRST keeps its time %s:\n%s",
		  first, full);
	/* a width the table fits in changes nothing, byte for byte */
	char *wide = render_sample(s, 1000, false);
	cr_expect_str_eq(wide, full);
	free(wide);
	free(titles);
	free(full);
	sample_free(s);
}

/* Whether a row of the table in OUT has a "file:line YYYY-" time. */
static bool table_has_times(const char *out)
{
	size_t n;
	const char *t = table_of(out, &n);
	char *table = strndup(t, n);
	/* the date of the largest group's FIRST: " YYYY-MM-DD " */
	char first[64], date[16];
	first_of_largest(first, sizeof first);
	snprintf(date, sizeof date, " %.10s ", strchr(first, ' ') + 1);
	bool found =
	    strstr(table, ".log:") != NULL && strstr(table, date) != NULL;
	free(table);
	return found;
}

Test(report_text_width, columns_go_in_order_times_timeline_last_rules_first)
{
	struct sample *s = sample_new(by_coroutine, 1);
	const char *order[] = {"TIMELINE", "LAST", "RULES", "FIRST"};
	size_t hidden_somewhere[4] = {0};
	for (size_t i = 0; i < N_WIDTHS; i++) {
		char *out = render_sample(s, widths[i], false);
		char *titles = title_row(out);
		for (size_t k = 0; k < 4; k++) {
			bool shown = has_column(titles, order[k]);
			hidden_somewhere[k] += !shown;
			/* a column shown: those that go after it are too */
			for (size_t later = k + 1; shown && later < 4; later++)
				cr_expect(has_column(titles, order[later]),
					  "%s without %s at %zu:\n%s", order[k],
					  order[later], widths[i], titles);
			/* a column gone: the times went before it */
			cr_expect(shown || !table_has_times(out),
				  "%s gone but times kept at %zu:\n%s",
				  order[k], widths[i], out);
		}
		free(titles);
		free(out);
	}
	for (size_t k = 0; k < 4; k++)
		cr_expect_gt(hidden_somewhere[k], 0,
			     "%s is never left out: the widths test nothing",
			     order[k]);
	sample_free(s);
}

Test(report_text_width, narrower_widths_never_show_more_columns)
{
	struct sample *s = sample_new(by_coroutine, 1);
	const char *all[] = {"RULES", "FIRST", "LAST", "TIMELINE"};
	for (size_t i = 1; i < N_WIDTHS; i++) {
		char *narrow = render_sample(s, widths[i - 1], false);
		char *wide = render_sample(s, widths[i], false);
		char *tn = title_row(narrow), *tw = title_row(wide);
		for (size_t k = 0; k < 4; k++)
			cr_expect(!has_column(tn, all[k]) ||
				      has_column(tw, all[k]),
				  "%s at %zu but not at %zu", all[k],
				  widths[i - 1], widths[i]);
		free(tn);
		free(tw);
		free(narrow);
		free(wide);
	}
	sample_free(s);
}

Test(report_text_width, detail_timelines_fit_a_terminal_of_80)
{
	struct sample *s = sample_new(by_coroutine, 1);
	char *out = render_sample(s, 80, false);
	size_t lines = 0;
	for (const char *p = out; (p = strstr(p, "\n  timeline    ")) != NULL;
	     p++) {
		const char *nl = strchr(p + 1, '\n');
		size_t len = nl ? (size_t)(nl - p - 1) : strlen(p + 1);
		expect_lines_fit(p + 1, len, 80);
		lines++;
	}
	cr_expect_gt(lines, 0, "no timeline line in:\n%s", out);
	free(out);
	sample_free(s);
}

Test(report_text_width, two_keys_both_stay)
{
	const enum th_key keys[] = {TH_KEY_COROUTINE, TH_KEY_EXCEPTION};
	struct sample *s = sample_new(keys, 2);
	char *out = render_sample(s, 60, false);
	size_t n;
	const char *table = table_of(out, &n);
	expect_lines_fit(table, n, 60);
	char *titles = title_row(out);
	cr_expect(strncmp(titles, "COUNT  SEVERITY  COROUTINE  ", 28) == 0 &&
		      has_column(titles, "EXCEPTION"),
		  "%s", titles);
	free(titles);
	free(out);
	sample_free(s);
}

/* ---- made-up events: long and non-ASCII names --------------------------- */

static const char rules_yaml[] = "rules:\n"
				 "  - id: test.a-rather-long-rule-identifier\n"
				 "    severity: error\n"
				 "    start: 'TEST ERROR'\n";

/* Adds an event of COROUTINE and EXCEPTION at TIME (ISO 8601). */
static void add_event(struct th_agg *agg, struct th_run *run,
		      const char *coroutine, const char *exception,
		      const char *time, uint64_t line)
{
	struct th_event ev;
	event_init(&ev);
	ev.rule = 0;
	ev.input = "/var/log/a-service-with-a-long-name/application.log";
	ev.line = line;
	ev.end_line = line + 1;
	ev.complete = true;
	cr_assert(isotime_read_printed(time, &ev.time), "%s", time);
	event_add_line(&ev, (struct th_span){"TEST ERROR", 10});
	event_set(&ev, TH_F_COROUTINE,
		  (struct th_span){coroutine, strlen(coroutine)});
	event_set(&ev, TH_F_EXCEPTION,
		  (struct th_span){exception, strlen(exception)});
	agg_add(agg, &ev);
	run->counts.events++;
	event_fini(&ev);
}

/* Rules, run and aggregate of made-up events. */
struct made {
	struct th_rules *rules;
	struct th_run run;
	struct th_agg *agg;
};

/* Sixty events, one a minute over an hour, of three coroutines and three
 * exceptions with long non-ASCII names: Cyrillic (2 bytes a character),
 * CJK (3), an emoji (4). */
static struct made *made_new(void)
{
	static const char *const coroutines[] = {
	    "\xD0\xB7\xD0\xB0\xD0\xB3\xD1\x80\xD1\x83\xD0\xB7\xD0\xBA\xD0\xB0_"
	    "\xD0\xB4\xD0\xB0\xD0\xBD\xD0\xBD\xD1\x8B\xD1\x85_"
	    "\xD0\xBF\xD0\xBE\xD0\xBB\xD1\x8C\xD0\xB7\xD0\xBE\xD0\xB2\xD0\xB0",
	    "\xE6\x95\xB0\xE6\x8D\xAE\xE5\xBA\x93\xE8\xBF\x9E\xE6\x8E\xA5\xE6"
	    "\xB1\xA0\xE6\xB8\x85\xE7\x90\x86\xE4\xBB\xBB\xE5\x8A\xA1",
	    "\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D"
	    "\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D"
	    "\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D"
	    "\xF0\x9F\x90\x8D\xF0\x9F\x90\x8D",
	};
	static const char *const exceptions[] = {
	    ("\xD0\x9E\xD1\x88\xD0\xB8\xD0\xB1\xD0\xBA\xD0\xB0\xD0\xA1\xD0\xB5"
	     "\xD1\x82\xD0\xB8\xD0\x98\xD0\xBB\xD0\xB8\xD0\x92\xD1\x80\xD0"
	     "\xB5"),
	    "ConnectionRefusedError", "\xE8\xB6\x85\xE6\x97\xB6\xE9\x94\x99"};
	struct made *m = calloc(1, sizeof *m);
	cr_assert(m != NULL);
	m->rules = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_buffer(m->rules, "t.yaml", rules_yaml,
				    strlen(rules_yaml), &err) &&
		      rules_finish(m->rules, &err),
		  "%s", err.message);
	run_init(&m->run, 0);
	run_add_input(&m->run, "application.log");
	m->agg = agg_new(rules_catalog(m->rules), by_coroutine, 1);
	char time[32];
	for (unsigned i = 0; i < 60; i++) {
		snprintf(time, sizeof time, "2024-05-01T10:%02u:00Z", i);
		add_event(m->agg, &m->run, coroutines[i % 3], exceptions[i % 3],
			  time, 1000 + i);
	}
	return m;
}

static void made_free(struct made *m)
{
	agg_free(m->agg);
	run_fini(&m->run);
	rules_free(m->rules);
	free(m);
}

Test(report_text_width, non_ascii_names_are_cut_between_characters)
{
	struct made *m = made_new();
	const size_t some[] = {41, 50, 60, 80, 100, 120, 200};
	for (size_t i = 0; i < sizeof some / sizeof *some; i++) {
		for (int color = 0; color < 2; color++) {
			char *out =
			    render(m->rules, m->agg, &m->run, some[i], color);
			size_t n;
			const char *table = table_of(out, &n);
			expect_lines_fit(table, n, some[i]);
			free(out);
		}
	}
	/* the timeline's block characters were there to be cut */
	char *full = render(m->rules, m->agg, &m->run, 0, false);
	cr_expect(strstr(full, "TIMELINE") != NULL, "%s", full);
	cr_expect(strstr(full, "\xE2\x96") != NULL, "no sparkline:\n%s", full);
	/* and at 50 the long names are cut with "…" */
	char *narrow = render(m->rules, m->agg, &m->run, 50, false);
	cr_expect(strstr(narrow, "\xE2\x80\xA6") != NULL, "nothing cut:\n%s",
		  narrow);
	free(narrow);
	free(full);
	made_free(m);
}

/* The column at which each word of LINE[0..N) starts (a word follows the
 * start or a space), in terminal columns; *N_STARTS of them, at most MAX. */
static void word_starts(const char *line, size_t n, size_t *starts, size_t max,
			size_t *n_starts)
{
	*n_starts = 0;
	for (size_t i = 0; i < n; i++) {
		bool starts_word =
		    line[i] != ' ' && (i == 0 || line[i - 1] == ' ');
		if (starts_word && *n_starts < max)
			starts[(*n_starts)++] = line_width(line, i);
	}
}

/* Whether V is one of SET[0..N). */
static bool among(size_t v, const size_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

Test(report_text_width, wide_and_emoji_names_line_up_under_their_titles)
{
	struct made *m = made_new();
	for (int color = 0; color < 2; color++) {
		char *out = render(m->rules, m->agg, &m->run, 0, color);
		size_t n;
		const char *table = table_of(out, &n);
		const char *nl = memchr(table, '\n', n);
		size_t titles[16], n_titles;
		word_starts(table, (size_t)(nl - table), titles, 16, &n_titles);
		cr_assert_geq(n_titles, 4, "%s", out);
		size_t rows = 0;
		for (const char *row = nl + 1; row < table + n; rows++) {
			const char *end = memchr(row, '\n', table + n - row);
			size_t len = (size_t)(end - row), cells[64], n_cells;
			word_starts(row, len, cells, 64, &n_cells);
			/* every title but COUNT (right-aligned) heads a
			 * column whose cells start right under it */
			for (size_t t = 1; t < n_titles; t++)
				cr_expect(
				    among(titles[t], cells, n_cells),
				    "column %zu misaligned in:\n%.*s\n%.*s",
				    titles[t], (int)(nl - table), table,
				    (int)len, row);
			row = end + 1;
		}
		cr_expect_eq(rows, 3, "%s", out);
		free(out);
	}
	made_free(m);
}

/* The widest "  timeline    ▕…▏ …" line of OUT, in columns. */
static size_t widest_timeline(const char *out)
{
	size_t widest = 0;
	for (const char *p = out; (p = strstr(p, "\n  timeline    ")) != NULL;
	     p++) {
		const char *nl = strchr(p + 1, '\n');
		size_t len = nl ? (size_t)(nl - p - 1) : strlen(p + 1);
		size_t w = line_width(p + 1, len);
		widest = w > widest ? w : widest;
	}
	return widest;
}

Test(report_text_width, an_hour_long_detail_timeline_is_narrowed_to_fit)
{
	struct made *m = made_new();
	char *full = render(m->rules, m->agg, &m->run, 0, false);
	/* 14 + "▕" + 48 columns + "▏ " + what they show */
	cr_expect_gt(widest_timeline(full), 100, "%s", full);
	const size_t some[] = {80, 90, 100};
	for (size_t i = 0; i < sizeof some / sizeof *some; i++) {
		char *out = render(m->rules, m->agg, &m->run, some[i], false);
		size_t w = widest_timeline(out);
		cr_expect(w > 0 && w <= some[i], "%zu columns at %zu:\n%s", w,
			  some[i], out);
		free(out);
	}
	free(full);
	made_free(m);
}

/* Events a month apart: the description of the span names both dates
 * ("2024-05-01 10:00:00 to 2024-06-02 00:00:00, 4d a column"),
 * too long for 80 columns beside even the narrowest sparkline. */
Test(report_text_width, a_timeline_over_two_dates_never_passes_the_width)
{
	struct made *m = made_new();
	add_event(m->agg, &m->run, "late", "ValueError", "2024-06-01T23:59:59Z",
		  5000);
	const size_t some[] = {17, 30, 50, 72, 78, 80, 90};
	for (size_t i = 0; i < sizeof some / sizeof *some; i++) {
		char *out = render(m->rules, m->agg, &m->run, some[i], false);
		size_t w = widest_timeline(out);
		cr_expect(w > 0 && w <= some[i], "%zu columns at %zu:\n%s", w,
			  some[i], out);
		free(out);
	}
	char *out = render(m->rules, m->agg, &m->run, 78, false);
	cr_expect(strstr(out, "2024-05-01 10:00:00 to 2024-06-02 00:00:00\n") !=
		      NULL,
		  "the span is shown whole, without the step:\n%s", out);
	free(out);
	made_free(m);
}

/* ---- where the width comes from ------------------------------------------ */

Test(report_text_width, columns_come_from_the_environment_on_any_stream)
{
	FILE *f = tmpfile();
	cr_assert(f != NULL);
	cr_expect_eq(report_text_columns(f, NULL), 0,
		     "not a terminal, no COLUMNS");
	cr_expect_eq(report_text_columns(f, "77"), 77);
	const char *ignored[] = {"", "0", "abc", "80x", "-5", "1000001"};
	for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
		cr_expect_eq(report_text_columns(f, ignored[i]), 0,
			     "COLUMNS='%s'", ignored[i]);
	fclose(f);
}
