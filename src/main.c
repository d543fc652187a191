/* main.c - tracehound: parse options, load rules, scan, report, and decide
 * the exit status in one place. */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "diag.h"
#include "follow.h"
#include "heap.h"
#include "merge.h"
#include "report_metrics.h"
#include "report.h"
#include "report_text.h"
#include "rules.h"
#include "rulestest.h"
#include "run.h"
#include "scan.h"
#include "state.h"
#include "th_limits.h"
#include "window.h"

#ifndef TH_VERSION
#define TH_VERSION "0.0.0"
#endif

/* --follow: set by SIGINT and SIGTERM, read by the scanner between
 * polls. The one writable global (a handler has nowhere else to write). */
static volatile sig_atomic_t stop_following;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_following = 1;
}

/* Without SA_RESTART, so a sleep or read in progress returns at once; a
 * second signal of the same kind kills as usual (SA_RESETHAND) in case
 * the first cannot be honoured. */
static void catch_stop_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal,
			       .sa_flags = SA_RESETHAND};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* `rules test` exits like grep: 0 when something was found. */
enum {
	EXIT_CLEAN = 0,
	EXIT_FOUND = 1,
	EXIT_TROUBLE = 2,
	EXIT_MATCHED = 0,
	EXIT_NO_MATCH = 1
};

/* The rules shipped in patterns/: the source tree's when this binary runs
 * from its build tree, the installed copy otherwise. */
static const char *default_patterns_dir(void)
{
#if defined(TH_BUILD_ROOT) && defined(TH_PATTERNS_SOURCE)
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t root = strlen(TH_BUILD_ROOT);
	if (n > 0 && (size_t)n > root &&
	    memcmp(exe, TH_BUILD_ROOT, root) == 0 && exe[root] == '/')
		return TH_PATTERNS_SOURCE;
#endif
#ifdef TH_PATTERNS_INSTALLED
	return TH_PATTERNS_INSTALLED;
#else
	return "patterns";
#endif
}

/* Loads the site rule directories, the system's then the user's (unless
 * --no-site-rules): one that is not there is passed over in silence, one
 * that cannot be read with a warning; a bad file in one fails (ERR). */
static bool load_site_rules(const struct th_options *o, struct th_rules *rules,
			    struct th_error *err)
{
	for (size_t i = 0; i < 2 && !o->no_site_rules; i++) {
		if (o->site_rules_dirs[i] == NULL)
			continue;
		switch (
		    rules_load_site_dir(rules, o->site_rules_dirs[i], err)) {
		case RULES_SITE_BAD: return false;
		case RULES_SITE_UNREADABLE:
			diag_warn("%s: %s (its rules are not loaded)",
				  err->file, err->message);
			break;
		default: break;
		}
	}
	return true;
}

/* Loads the default rules (unless turned off), the site's, then --rules
 * and, for `rules check`, the paths given (README.md, "Site rules": the
 * order). Prints the first problem. */
static struct th_rules *load_rules(const struct th_options *o)
{
	struct th_rules *rules = rules_new();
	struct th_error err = {0};
	bool ok = true;
	if (!o->no_default_rules)
		ok = rules_load_path(rules, default_patterns_dir(), &err);
	ok = ok && load_site_rules(o, rules, &err);
	for (size_t i = 0; ok && i < o->n_rules_paths; i++)
		ok = rules_load_path(rules, o->rules_paths[i], &err);
	if (o->command == TH_CMD_RULES_CHECK)
		for (size_t i = 0; ok && i < o->n_paths; i++)
			ok = rules_load_path(rules, o->paths[i], &err);
	if (ok)
		ok = rules_finish(rules, &err);
	if (!ok) {
		diag_report(&err);
		rules_free(rules);
		return NULL;
	}
	return rules;
}

/* `rules check`: the totals, then each file loaded, in the order it was,
 * with what it defined or overrode. */
static int rules_check(const struct th_rules *rules)
{
	printf("rules ok: %zu rules, %zu ignore rules, %zu prefixes\n",
	       rules_count(rules), rules_ignore_count(rules),
	       rules_prefix_count(rules));
	for (size_t i = 0; i < rules_file_count(rules); i++) {
		struct th_rules_file f = rules_file(rules, i);
		printf("  %s: %zu rules, %zu ignore rules, %zu prefixes\n",
		       f.name, f.rules, f.ignores, f.prefixes);
	}
	return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_TROUBLE;
}

static bool want_color(const struct th_options *o)
{
	if (o->color != TH_COLOR_AUTO)
		return o->color == TH_COLOR_ALWAYS;
	const char *no = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && (no == NULL || no[0] == '\0');
}

static struct th_sink *make_sink(const struct th_options *o,
				 const struct th_report_ctx *ctx)
{
	switch (o->format) {
	case TH_FORMAT_JSON: return report_json_new(ctx);
	case TH_FORMAT_NDJSON: return report_ndjson_new(ctx);
	case TH_FORMAT_MARKDOWN: return report_markdown_new(ctx);
	case TH_FORMAT_GITHUB: return report_github_new(ctx);
	default:
		return report_text_new_columns(
		    ctx, report_text_columns(ctx->out, getenv("COLUMNS")));
	}
}

/* The width `rules test` fits its lines to: the text report's (COLUMNS,
 * else the terminal's), 80 on a terminal of unknown width, 0 (unknown)
 * on a pipe or file. */
static size_t terminal_columns(void)
{
	size_t columns = report_text_columns(stdout, getenv("COLUMNS"));
	if (columns == 0 && isatty(STDOUT_FILENO))
		columns = 80;
	return columns;
}

/* The one place the exit status is decided. FOUND: `rules test` found
 * some event. */
static int exit_status(const struct th_options *o, const struct th_run *run,
		       bool output_ok, bool found)
{
	if (!output_ok || run->inputs_failed > 0)
		return EXIT_TROUBLE;
	if (o->command == TH_CMD_RULES_TEST)
		return found ? EXIT_MATCHED : EXIT_NO_MATCH;
	if (o->fail_on >= 0 && run->counts.worst >= o->fail_on)
		return EXIT_FOUND;
	return EXIT_CLEAN;
}

/* Ends the report on standard output: whether FINISHED (the sink's
 * last writes went well) and the bytes stdio still holds reach the file.
 * Says why not, as "error writing the report: No space left on device",
 * from the flush's errno or else FINISH_ERRNO, the errno the sink's
 * writes left (the caller clears errno before them). */
static bool report_written(bool finished, int finish_errno)
{
	errno = 0;
	bool flushed = fflush(stdout) == 0;
	if (finished && flushed && !ferror(stdout))
		return true;
	int why = errno != 0 ? errno : finish_errno;
	if (why != 0)
		diag_error("error writing the report: %s", strerror(why));
	else
		diag_error("error writing the report");
	return false;
}

/* Says once what --since / --until left out for having no time. */
static void window_note(const struct th_options *o, struct th_window *w)
{
	uint64_t untimed = atomic_load(&w->untimed);
	if (untimed > 0)
		diag_warn("%llu event%s had no time and %s left out by %s",
			  (unsigned long long)untimed, untimed == 1 ? "" : "s",
			  untimed == 1 ? "was" : "were",
			  o->has_since ? "--since" : "--until");
}

/* TRACEHOUND_TEST_PAUSE: at the point it names, says so on stderr and
 * sleeps, so that a test can kill the run there. */
static void pause_at(void *ctx, const char *point)
{
	const struct th_options *o = ctx;
	if (o->knobs.pause_at == NULL || strcmp(o->knobs.pause_at, point) != 0)
		return;
	diag_warn("paused at %s", point);
	sleep(30);
}

/* --state FILE: loaded and locked; NULL (named on stderr) on failure. */
static struct th_state *open_state(const struct th_options *o)
{
	struct th_error err = {0};
	struct th_state_options so;
	state_options_init(&so);
	so.lock_wait = o->knobs.lock_wait;
	so.at_point = pause_at;
	so.ctx = (void *)o;
	struct th_state *st =
	    state_open(o->state, o->group_by, o->n_group_by, &so, &err);
	if (st == NULL) {
		diag_file("", &err);
		return NULL;
	}
	if (state_warning(st)->set)
		diag_file("warning: ", state_warning(st));
	/* the files given keep their entries, even when not there now */
	for (size_t i = 0; i < o->n_paths; i++)
		if (strcmp(o->paths[i], "-") != 0)
			state_name_path(st, o->paths[i]);
	pause_at((void *)o, "after-lock");
	return st;
}

/* --state, once the scan is done: marks the groups not seen before.
 * Returns the highest severity among them, -1 for none. */
static int mark_new_groups(const struct th_options *o, struct th_state *st,
			   struct th_agg *agg)
{
	char now[TH_TIME_LEN];
	time_t t = time(NULL);
	struct tm tm;
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	size_t not_kept;
	int worst = state_mark_groups(st, agg, now, &not_kept);
	if (not_kept > 0)
		diag_warn("%s: %zu new groups not remembered (at most %d are "
			  "kept); they will show as new again",
			  o->state, not_kept, TH_MAX_GROUPS);
	pause_at((void *)o, "before-report");
	return worst;
}

/* --state, once the report is written: the offsets and groups are
 * committed. False (named on stderr) when the state cannot be written. */
static bool save_state(const struct th_options *o, struct th_state *st)
{
	struct th_error err = {0};
	pause_at((void *)o, "after-report");
	if (state_save(st, &err))
		return true;
	diag_file("", &err);
	return false;
}

/* --metrics FILE: writes M with the run's end and SUCCESS. False (named
 * on stderr) when it cannot be written. */
static bool write_metrics(const struct th_options *o, struct th_metrics *m,
			  bool success)
{
	struct th_error err = {0};
	m->timestamp = (int64_t)time(NULL);
	m->success = success;
	if (report_metrics_write(o->metrics, m, &err))
		return true;
	diag_file("", &err);
	return false;
}

/* M for --metrics: empty, with the --metrics-label labels. */
static void metrics_start(const struct th_options *o, struct th_metrics *m)
{
	metrics_init(m, o->group_by, o->n_group_by);
	for (size_t i = 0; i < o->n_metrics_labels; i++)
		metrics_add_label(m, o->metrics_labels[i]);
}

/* --metrics after a run that failed before it counted anything (rules
 * or state that would not load): the run's time and its failure, so an
 * alert sees it. */
static void metrics_failed(const struct th_options *o)
{
	if (o->metrics == NULL || o->command != TH_CMD_SCAN)
		return;
	struct th_metrics m;
	metrics_start(o, &m);
	write_metrics(o, &m, false);
	metrics_fini(&m);
}

/* --metrics after a scan: every run's totals with --state (counted by
 * state_count_run), else this run's. */
static bool metrics_after_scan(const struct th_options *o,
			       const struct th_state *state, struct th_agg *agg,
			       const struct th_catalog *catalog,
			       const struct th_run *run, bool success)
{
	if (o->metrics == NULL)
		return true;
	struct th_metrics m;
	metrics_start(o, &m);
	if (state != NULL)
		state_metrics(state, &m);
	else
		report_metrics_count_run(&m, agg, catalog, run);
	bool ok = write_metrics(o, &m, success);
	metrics_fini(&m);
	return ok;
}

/* Reads every input to its end, or follows them (--follow) until a
 * signal or their end. */
static void scan_inputs(const struct th_options *o, struct th_scanner *scanner,
			const struct th_scan_options *so,
			const struct th_sink *sink)
{
	if (o->follow) {
		struct th_follow fo = {.setup = scanner_pipeline_setup(scanner),
				       .filter = so->filter,
				       .filter_ctx = so->filter_ctx,
				       .sink = sink,
				       .notify = so->notify,
				       .stdin_name = so->stdin_name};
		catch_stop_signals();
		follow_paths(&fo, o->paths, o->n_paths, &stop_following);
		return;
	}
	if (o->n_paths == 0)
		scanner_scan_path(scanner, "-");
	for (size_t i = 0; i < o->n_paths; i++)
		scanner_scan_path(scanner, o->paths[i]);
	scanner_finish(scanner);
}

/* What the scan tells: an input that cannot be read (an error), what a
 * --state plan leaves out (a warning), an event left for the next run (a
 * note). */
static void tell(void *ctx, const struct th_error *e, enum th_notice kind)
{
	(void)ctx;
	diag_file(kind == TH_NOTICE_ERROR     ? ""
		  : kind == TH_NOTICE_WARNING ? "warning: "
					      : "note: ",
		  e);
}

/* TRACEHOUND_SPLIT_MIN (tests): how a file was cut, on stderr, so that a
 * test comparing cut and whole scans can check it really was cut. */
static void note_cut(void *ctx, const char *path, const char *how)
{
	(void)ctx;
	diag_warn("%s: %s", path, how);
}

/* The scanner's options: the command line's, and the test knobs. */
static void scan_options(const struct th_options *o, struct th_state *state,
			 struct th_window *window, struct th_scan_options *so)
{
	scan_options_init(so);
	so->jobs = o->jobs;
	so->split_min = o->knobs.split_min;
	so->settle_seconds = o->knobs.settle_seconds;
	so->map_files = o->knobs.map_files;
	so->search = o->knobs.search;
	so->state = state;
	if (o->has_since || o->has_until) {
		so->filter = window_keep;
		so->filter_ctx = window;
	}
	so->notify = (struct th_notify){tell, NULL};
	so->stdin_name = o->label;
	if (o->knobs.note_cuts)
		so->on_cut = note_cut;
}

/* --follow follows files: a directory among the paths is a usage error,
 * said before anything is printed (a report that never ends would
 * otherwise open with it). */
static bool follow_paths_are_files(const struct th_options *o)
{
	struct stat st;
	for (size_t i = 0; i < o->n_paths; i++)
		if (stat(o->paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			diag_error("%s: is a directory: --follow follows "
				   "files (name them)",
				   o->paths[i]);
			return false;
		}
	return true;
}

static int scan(const struct th_options *o, const struct th_rules *rules)
{
	if (o->follow && !follow_paths_are_files(o))
		return EXIT_TROUBLE;
	struct th_state *state = NULL;
	if (o->state != NULL && (state = open_state(o)) == NULL) {
		metrics_failed(o);
		return EXIT_TROUBLE;
	}
	struct th_run run;
	run_init(&run, rules_ignore_count(rules));
	struct th_agg *agg =
	    agg_new(rules_catalog(rules), o->group_by, o->n_group_by);
	/* -j N: the report's aggregate and N work items' at once, each
	 * within its share of the budget, one share left for the threads'
	 * windows and buffers (README.md, "Memory and temporary files") */
	size_t shares = o->jobs > 1 ? o->jobs + 2 : 1;
	agg_spill_to(agg, o->temp_dir, o->buffer_size / shares);
	if (o->label != NULL)
		agg_set_label(agg, o->label);
	struct th_report_ctx ctx = {.out = stdout,
				    .catalog = rules_catalog(rules),
				    .agg = agg,
				    .run = &run,
				    .color = want_color(o),
				    .version = TH_VERSION,
				    .top = o->top,
				    .examples = o->examples,
				    .hide_examples = o->hide_examples,
				    .root = o->github_root,
				    .labels = &o->label,
				    .n_labels = o->label != NULL,
				    .follow = o->follow};
	struct th_sink *sink = make_sink(o, &ctx);
	struct th_window window;
	window_init(&window, o->has_since ? &o->since : NULL,
		    o->has_until ? &o->until : NULL);
	struct th_scan_options so;
	scan_options(o, state, &window, &so);
	struct th_scanner *scanner = scanner_new(rules, agg, sink, &run, &so);
	scan_inputs(o, scanner, &so, sink);
	window_note(o, &window);
	int worst_new = state ? mark_new_groups(o, state, agg) : -1;
	if (state != NULL)
		state_count_run(state, agg, rules_catalog(rules), &run);
	errno = 0;
	bool finished = sink->finish(sink);
	bool output_ok = report_written(finished, errno);
	if (output_ok && state != NULL && !o->dry_run && !save_state(o, state))
		output_ok = false;
	if (o->fail_on_new) /* only what is new may fail the run */
		run.counts.worst = worst_new;
	int status = exit_status(o, &run, output_ok, false);
	if (!metrics_after_scan(o, state, agg, rules_catalog(rules), &run,
				status != EXIT_TROUBLE))
		status = EXIT_TROUBLE;
	/* what is left is freeing, then the exit */
	heap_keep_freed();
	state_free(state);
	scanner_free(scanner);
	sink->free(sink);
	agg_free(agg);
	run_fini(&run);
	return status;
}

static int rules_test(const struct th_options *o, const struct th_rules *rules)
{
	struct th_rulestest_options to = {.verbose = o->verbose,
					  .color = want_color(o),
					  .columns = terminal_columns(),
					  .map_files = o->knobs.map_files,
					  .search = o->knobs.search};
	struct th_rulestest *t = rulestest_new(rules, stdout, &to);
	if (o->n_paths == 0)
		rulestest_path(t, "-");
	for (size_t i = 0; i < o->n_paths; i++)
		rulestest_path(t, o->paths[i]);
	errno = 0;
	bool finished = rulestest_finish(t);
	bool output_ok = report_written(finished, errno);
	int status =
	    exit_status(o, rulestest_run(t), output_ok, rulestest_found(t) > 0);
	rulestest_free(t);
	return status;
}

/* Prints the report the sink makes of AGG and RUN; false when writing
 * failed (named on stderr). */
static bool report(const struct th_options *o, const struct th_catalog *catalog,
		   struct th_agg *agg, const struct th_run *run,
		   const char *const *labels, size_t n_labels)
{
	struct th_report_ctx ctx = {.out = stdout,
				    .catalog = catalog,
				    .agg = agg,
				    .run = run,
				    .color = want_color(o),
				    .version = TH_VERSION,
				    .top = o->top,
				    .examples = o->examples,
				    .hide_examples = o->hide_examples,
				    .root = o->github_root,
				    .labels = labels,
				    .n_labels = n_labels};
	struct th_sink *sink = make_sink(o, &ctx);
	errno = 0;
	bool finished = sink->finish(sink);
	bool ok = report_written(finished, errno);
	sink->free(sink);
	return ok;
}

/* `tracehound merge`: the reports added up, printed like a scan's. */
static int merge(const struct th_options *o)
{
	static const char *const stdin_only[] = {"-"};
	struct th_merge *m = merge_new();
	struct th_error err = {0};
	int status = EXIT_TROUBLE;
	if (merge_paths(m, o->n_paths ? o->paths : stdin_only,
			o->n_paths ? o->n_paths : 1, &err)) {
		const struct th_run *run = merge_run(m);
		size_t n_labels;
		const char *const *labels = merge_labels(m, &n_labels);
		bool ok = report(o, merge_catalog(m), merge_agg(m), run, labels,
				 n_labels);
		status = exit_status(o, run, ok, false);
	} else {
		diag_report(&err);
	}
	merge_free(m);
	return status;
}

/* Loads the rules and runs the command that needs them. */
static int with_rules(const struct th_options *o)
{
	struct th_rules *rules = load_rules(o);
	if (rules == NULL) {
		metrics_failed(o);
		return EXIT_TROUBLE;
	}
	int status;
	switch (o->command) {
	case TH_CMD_RULES_CHECK: status = rules_check(rules); break;
	case TH_CMD_RULES_TEST: status = rules_test(o, rules); break;
	default: status = scan(o, rules); break;
	}
	rules_free(rules);
	return status;
}

/* Bare `tracehound` typed at a terminal: reading standard input would
 * wait, silently, for a log nobody meant to type (ripgrep says so too).
 * An explicit "-" still reads the terminal. */
static bool waits_on_a_terminal(const struct th_options *o)
{
	if (o->n_paths > 0 || o->command == TH_CMD_RULES_CHECK ||
	    !isatty(STDIN_FILENO))
		return false;
	const char *cmd = o->command == TH_CMD_MERGE ? "tracehound merge"
			  : o->command == TH_CMD_RULES_TEST
			      ? "tracehound rules test"
			      : "tracehound";
	diag_error("no input: name log files or directories, or pipe a log "
		   "in ('-' reads the terminal)");
	diag_more("Try '%s --help'.", cmd);
	return true;
}

/* Whether O's output measures display widths (wcwidth): the text and
 * markdown tables, `rules test`'s lines. */
static bool measures_widths(const struct th_options *o)
{
	return o->command == TH_CMD_RULES_TEST || o->format == TH_FORMAT_TEXT ||
	       o->format == TH_FORMAT_MARKDOWN;
}

/* The command ARGV asks for, from its options to its exit status. */
static int run_command(int argc, char **argv)
{
	struct th_options o;
	enum cli_result r = cli_parse(argc, argv, &o);
	if (r == CLI_OK && waits_on_a_terminal(&o))
		r = CLI_ERROR;
	if (r != CLI_OK) {
		cli_fini(&o);
		return r == CLI_EXIT_SUCCESS ? EXIT_CLEAN : EXIT_TROUBLE;
	}
	/* Display widths for the tables: log text is UTF-8 whatever the
	 * user's locale, so the character type is fixed, never taken from
	 * LANG (README, "The text report"). Only when they are measured:
	 * loading it takes about half a millisecond, a tenth of the start
	 * (docs/performance.md, "The start"). */
	if (measures_widths(&o))
		setlocale(LC_CTYPE, "C.UTF-8");
	int status = o.command == TH_CMD_MERGE ? merge(&o) : with_rules(&o);
	cli_fini(&o);
	return status;
}

int main(int argc, char **argv)
{
	/* before the first allocation: the rules, the serial scan's lane,
	 * window and groups on huge pages (heap.h) */
	heap_keep_memory();
	struct heap_pads pads = heap_warm(NULL);
	int status = run_command(argc, argv);
	heap_pads_free(&pads);
	return status;
}
