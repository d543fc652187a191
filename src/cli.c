/* cli.c - options with getopt_long from one table; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "metrics.h"
#include "suggest.h"
#include "state.h"
#include "th_limits.h"

#ifndef TH_VERSION
#define TH_VERSION "0.0.0"
#endif
#ifndef TH_SITE_RULES_DIR
#define TH_SITE_RULES_DIR "/etc/tracehound/rules.d"
#endif

enum {
	OPT_FAIL_ON = 256,
	OPT_NO_DEFAULT_RULES,
	OPT_COLOR,
	OPT_STATE,
	OPT_FAIL_ON_NEW,
	OPT_DRY_RUN,
	OPT_METRICS,
	OPT_METRICS_LABEL,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_TOP,
	OPT_EXAMPLES,
	OPT_GITHUB_ROOT,
	OPT_NO_SITE_RULES,
	OPT_LABEL
};

/* More threads than this gain nothing on the machines we know and only
 * cost memory (each has its own buffers). */
#define MAX_JOBS 64

static const struct option long_options[] = {
    {"format", required_argument, NULL, 'f'},
    {"group-by", required_argument, NULL, 'g'},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"rules", required_argument, NULL, 'r'},
    {"no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES},
    {"no-site-rules", no_argument, NULL, OPT_NO_SITE_RULES},
    {"jobs", required_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"state", required_argument, NULL, OPT_STATE},
    {"fail-on-new", no_argument, NULL, OPT_FAIL_ON_NEW},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"metrics-label", required_argument, NULL, OPT_METRICS_LABEL},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"top", required_argument, NULL, OPT_TOP},
    {"examples", required_argument, NULL, OPT_EXAMPLES},
    {"github-root", required_argument, NULL, OPT_GITHUB_ROOT},
    {"label", required_argument, NULL, OPT_LABEL},
    {"buffer-size", required_argument, NULL, 'S'},
    {"follow", no_argument, NULL, 'F'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The options that choose the rule files, alike in every usage text. */
#define USAGE_RULE_FILES                                                       \
	"  -r, --rules=PATH       also load rules from a YAML file or "        \
	"directory\n"                                                          \
	"                         (repeatable; later files override "          \
	"earlier)\n"                                                           \
	"      --no-default-rules do not load the rules shipped in "           \
	"patterns/\n"                                                          \
	"      --no-site-rules    do not load the site's rules: the *.yaml "   \
	"and\n"                                                                \
	"                         *.yml files of " TH_SITE_RULES_DIR "\n"      \
	"                         and ~/.config/tracehound/rules.d\n"

/* In two parts: one string literal may hold at most 4095 bytes in C17. */
static const char usage_scan[] =
    "Usage: tracehound [OPTION]... [PATH]...\n"
    "       tracehound rules check [OPTION]... [RULEFILE|DIR]...\n"
    "       tracehound rules test [OPTION]... [FILE]...\n"
    "       tracehound merge [OPTION]... [REPORT.json]...\n"
    "Find the failures asyncio reports on its own (exceptions never\n"
    "retrieved, tasks destroyed while pending, coroutines never awaited,\n"
    "failing callbacks) and Python tracebacks in logs, and group them.\n"
    "PATH is a file (plain, gzip, zstd, xz or bzip2), a directory\n"
    "(searched recursively) or - for standard input (the default).\n"
    "\n"
    "  -f, --format=FORMAT    text (default), json, ndjson, markdown or\n"
    "                         github (GitHub Actions annotations)\n"
    "  -g, --group-by=KEYS    comma-separated: coroutine (default), rule,\n"
    "                         exception, task, input, defined_at, source,\n"
    "                         culprit\n"
    "      --fail-on=LEVEL    exit 1 when an event of LEVEL or worse is\n"
    "                         found: error, warning (default), info, "
    "never\n" USAGE_RULE_FILES
    "      --state=FILE       incremental run: read only what was added to\n"
    "                         each file since the last run with FILE (across\n"
    "                         rotation), and mark groups not seen before\n"
    "      --fail-on-new      with --state: exit 1 only for new groups at\n"
    "                         or above --fail-on\n"
    "      --dry-run          with --state: report what is new, but leave\n"
    "                         FILE as it was (the next run reads it again)\n"
    "      --metrics=FILE     after the run, write FILE for Prometheus\n"
    "                         (node_exporter's textfile collector): event\n"
    "                         counters per rule and group, inputs, bytes,\n"
    "                         the run's time and success; with --state the\n"
    "                         counters add up every run, else this run's\n";
static const char usage_scan_more[] =
    "      --label=NAME       name standard input NAME in the report\n"
    "                         (not -), and label the report NAME (a host),\n"
    "                         so that merge says where each group came from\n"
    "      --metrics-label=NAME=VALUE\n"
    "                         a label on every series of --metrics\n"
    "                         (repeatable), so that files differ: log=app\n"
    "  -j, --jobs=N           scan with N threads (default: the number of\n"
    "                         cores); a large plain file is split, several\n"
    "                         inputs are scanned side by side; the report\n"
    "                         is the same as with -j 1\n"
    "      --color=WHEN       color the text report: auto (default: on a\n"
    "                         terminal, unless NO_COLOR is set), always,\n"
    "                         never\n"
    "      --since=TIME       only events at or after TIME: ISO 8601\n"
    "                         (2024-05-01T10:00, ...+02:00, ...Z) or a\n"
    "                         time before now (90s, 30m, 2h, 1d, 1w);\n"
    "                         events without a time are left out\n"
    "      --until=TIME       only events at or before TIME (the same forms)\n"
    "      --top=N            text, markdown, github: only the N largest\n"
    "                         groups\n"
    "      --examples=N       text, markdown, github: N example lines per\n"
    "                         group (default 15; 0 hides them)\n"
    "      --github-root=DIR  github: culprit paths under DIR (default: the\n"
    "                         current directory) are made relative to it\n"
    "  -S, --buffer-size=SIZE keep at most SIZE of groups in memory, as\n"
    "                         sort(1) does (default 64M): past it they go\n"
    "                         to temporary files in $TMPDIR (else /tmp),\n"
    "                         merged exactly at the end. SIZE is bytes\n"
    "                         with a suffix b, K, M, G (powers of 1024);\n"
    "                         a bare number is K, as for sort\n"
    "  -F, --follow           keep reading the files (and stdin, until its\n"
    "                         pipe ends) as they grow, across rotation and\n"
    "                         truncation; text prints each event as it is\n"
    "                         complete, ndjson one line per event; an event\n"
    "                         still open after 1 s without a new line is\n"
    "                         printed then (\"complete\": false when cut off\n"
    "                         mid-traceback). On SIGINT or SIGTERM: stop,\n"
    "                         print the summary (json, markdown: the whole\n"
    "                         report) and exit as usual. Implies -j 1\n"
    "  -h, --help             show this help ('tracehound rules --help' and\n"
    "                         'tracehound merge --help' for those)\n"
    "  -V, --version          show the version\n"
    "\n"
    "Exit status: 0 nothing at or above --fail-on was found, 1 something\n"
    "was, 2 an error (bad option or rules, or an unreadable input).\n";

static const char usage_rules[] =
    "Usage: tracehound rules check [OPTION]... [RULEFILE|DIR]...\n"
    "       tracehound rules test [OPTION]... [FILE]...\n"
    "Check rule files, or show how the rules read a log. 'tracehound rules\n"
    "check --help' and 'tracehound rules test --help' say more.\n";

static const char usage_rules_check[] =
    "Usage: tracehound rules check [OPTION]... [RULEFILE|DIR]...\n"
    "Load the default rules, the site's, every --rules PATH, then each\n"
    "RULEFILE (YAML) or DIR of them, and report the first problem at\n"
    "file:line:column, with the line and a caret under the spot; or, when\n"
    "all is well, how many rules, ignore rules and prefixes were loaded,\n"
    "then each file loaded with what it defined. Nothing is scanned.\n"
    "\n" USAGE_RULE_FILES "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 every file loaded, 2 a problem (named).\n";

static const char usage_rules_test[] =
    "Usage: tracehound rules test [OPTION]... [FILE]...\n"
    "Show, line by line, which rule started, continued and ended each event\n"
    "and which fields it took, or which ignore rule dropped it; then how\n"
    "many events each rule found. For debugging rules: every line is read\n"
    "with the rules tracehound would use. FILE is a log file (plain, gzip,\n"
    "zstd, xz or bzip2) or - for standard input (the default).\n"
    "\n"
    "      12 start  RULE | the line that started an event of RULE\n"
    "      13 cont   | a line of the same event\n"
    "      17 end    -> coroutine=... exception=... (the fields taken)\n"
    "      17 ignore -> dropped by IGNORE-RULE: coroutine=...\n"
    "\n" USAGE_RULE_FILES
    "  -v, --verbose          also show the lines that are part of no event\n"
    "      --color=WHEN       auto (default: on a terminal, unless NO_COLOR\n"
    "                         is set), always, never\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status (like grep): 0 some rule found an event (dropped ones\n"
    "count), 1 none did, 2 an error (bad option or rules, or an unreadable\n"
    "input).\n";

static const char usage_merge[] =
    "Usage: tracehound merge [OPTION]... [REPORT.json]...\n"
    "Combine JSON reports (tracehound --format json, from many hosts or\n"
    "runs) into one: counts add, first and last widen, capped lists stay\n"
    "capped, the scanned inputs add up. The order and grouping of merges\n"
    "do not matter. All reports must be grouped by the same keys. REPORT\n"
    "is a file (plain, gzip, zstd, xz or bzip2) or - for standard input\n"
    "(the default); it may hold several reports one after another, as\n"
    "'parallel tracehound -f json ... | tracehound merge' gives them.\n"
    "\n"
    "  -f, --format=FORMAT    text (default), json, markdown or github\n"
    "      --fail-on=LEVEL    exit 1 when a group of LEVEL or worse is in\n"
    "                         the result: error, warning (default), info,\n"
    "                         never\n"
    "      --color=WHEN       auto (default: on a terminal, unless NO_COLOR\n"
    "                         is set), always, never\n"
    "      --top=N            text, markdown, github: only the N largest\n"
    "                         groups\n"
    "      --examples=N       text, markdown, github: N example lines per\n"
    "                         group (default 15; 0 hides them)\n"
    "      --github-root=DIR  github: culprit paths under DIR (default: the\n"
    "                         current directory) are made relative to it\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 nothing at or above --fail-on, 1 something is, 2 an\n"
    "error (bad option, or a report that is unreadable, malformed, not a\n"
    "tracehound report or grouped by other keys; it is named).\n";

static void print_usage(enum th_command c)
{
	switch (c) {
	case TH_CMD_RULES_CHECK: fputs(usage_rules_check, stdout); break;
	case TH_CMD_RULES_TEST: fputs(usage_rules_test, stdout); break;
	case TH_CMD_MERGE: fputs(usage_merge, stdout); break;
	default:
		fputs(usage_scan, stdout);
		fputs(usage_scan_more, stdout);
		break;
	}
}

static void push(const char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = s;
}

static bool parse_format(const char *s, enum th_format *out)
{
	static const char *const names[] = {"text", "json", "ndjson",
					    "markdown", "github"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum th_format)i;
			return true;
		}
	diag_error("--format: unknown format '%s' (text, json, ndjson, "
		   "markdown or github)",
		   s);
	return false;
}

static bool parse_fail_on(const char *s, int *out)
{
	static const char *const names[] = {"info", "warning", "error"};
	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return true;
		}
	if (strcmp(s, "never") == 0) {
		*out = -1;
		return true;
	}
	diag_error("--fail-on: unknown level '%s' (error, warning, info or "
		   "never)",
		   s);
	return false;
}

static bool parse_color(const char *s, enum th_color *out)
{
	if (strcmp(s, "always") == 0)
		*out = TH_COLOR_ALWAYS;
	else if (strcmp(s, "auto") == 0)
		*out = TH_COLOR_AUTO;
	else if (strcmp(s, "never") == 0)
		*out = TH_COLOR_NEVER;
	else {
		diag_error("--color: unknown value '%s' (auto, always or "
			   "never)",
			   s);
		return false;
	}
	return true;
}

/* Parses "coroutine,exception": each key once, at least one. */
static bool parse_group_by(const char *s, struct th_options *o)
{
	o->n_group_by = 0;
	const char *p = s;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		enum th_key k;
		if (!catalog_key_from_name((struct th_span){p, n}, &k)) {
			diag_error("--group-by: unknown key '%.*s' (coroutine, "
				   "rule, exception, task, input, defined_at, "
				   "source, culprit)",
				   (int)n, p);
			return false;
		}
		for (size_t i = 0; i < o->n_group_by; i++)
			if (o->group_by[i] == k) {
				diag_error("--group-by: '%.*s' given twice",
					   (int)n, p);
				return false;
			}
		o->group_by[o->n_group_by++] = k;
		if (end == NULL)
			return true;
		p = end + 1;
	}
}

static bool parse_jobs(const char *s, size_t *out)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 1 || n > MAX_JOBS) {
		diag_error("--jobs: '%s' is not a number from 1 to %d", s,
			   MAX_JOBS);
		return false;
	}
	*out = (size_t)n;
	return true;
}

/* --since / --until: an ISO 8601 time or a duration before now. */
static bool parse_bound(const char *opt, const char *s, bool *has,
			struct th_time_bound *out)
{
	struct th_error err = {0};
	if (!isotime_parse_bound(s, (int64_t)time(NULL), out, &err)) {
		diag_error("--%s: %s", opt, err.message);
		return false;
	}
	*has = true;
	return true;
}

/* --top / --examples: a count, 0 allowed for --examples. */
static bool parse_count(const char *opt, const char *s, size_t min, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || n < min ||
	    n > 1000000000) {
		diag_error("--%s: '%s' is not a number from %zu to 1000000000",
			   opt, s, min);
		return false;
	}
	*out = (size_t)n;
	return true;
}

/* -S SIZE as sort(1) reads it: a number and a suffix b, K, M, G or T
 * (powers of 1024), K without one; at least 1K. */
static bool parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	const char *units = "bKMGT";
	const char *u = *end != '\0' ? strchr(units, *end) : units + 1;
	bool ok = *s >= '0' && *s <= '9' && errno == 0 && u != NULL &&
		  (*end == '\0' || end[1] == '\0');
	unsigned shift = ok ? 10 * (unsigned)(u - units) : 0;
	if (!ok || n > (SIZE_MAX >> shift) || (n << shift) < 1024) {
		diag_error("--buffer-size: '%s' is not a size of at least 1K "
			   "(a number with b, K, M, G or T)",
			   s);
		return false;
	}
	*out = (size_t)(n << shift);
	return true;
}

/* --examples N: 0 hides the examples. */
static bool parse_examples(const char *s, struct th_options *o)
{
	if (!parse_count("examples", s, 0, &o->examples))
		return false;
	o->hide_examples = o->examples == 0;
	return true;
}

/* --metrics-label NAME=VALUE: a label name no series has already. */
static bool parse_metrics_label(const char *s, struct th_options *o)
{
	const char *eq = strchr(s, '=');
	if (eq == NULL ||
	    !metrics_label_name_ok((struct th_span){s, (size_t)(eq - s)})) {
		diag_error(
		    "--metrics-label: '%s' is not NAME=VALUE with NAME a "
		    "Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*) "
		    "other than rule, severity, group and the "
		    "--group-by keys",
		    s);
		return false;
	}
	size_t n = (size_t)(eq - s) + 1; /* "NAME=" */
	for (size_t i = 0; i < o->n_metrics_labels; i++)
		if (strncmp(o->metrics_labels[i], s, n) == 0) {
			diag_error("--metrics-label: '%.*s' given twice",
				   (int)(n - 1), s);
			return false;
		}
	push(&o->metrics_labels, &o->n_metrics_labels, s);
	return true;
}

/* --label NAME: a name for standard input and the report; not empty
 * (README.md, "Fleet reports"). */
static bool parse_label(const char *s, struct th_options *o)
{
	if (s[0] == '\0') {
		diag_error("--label: the name is empty");
		return false;
	}
	o->label = s;
	return true;
}

/* The name of option C for messages: "--group-by". */
static const char *option_name(int c)
{
	for (const struct option *l = long_options; l->name != NULL; l++)
		if (l->val == c)
			return l->name;
	return "?";
}

/* Whether command CMD takes option C: `rules test` and `merge` refuse the
 * options that would do nothing there, so nobody believes they did. */
static bool takes_option(enum th_command cmd, int c)
{
	switch (cmd) {
	case TH_CMD_RULES_CHECK:
		return c == 'r' || c == OPT_NO_DEFAULT_RULES ||
		       c == OPT_NO_SITE_RULES;
	case TH_CMD_RULES_TEST:
		return c == 'r' || c == OPT_NO_DEFAULT_RULES ||
		       c == OPT_NO_SITE_RULES || c == 'v' || c == OPT_COLOR;
	case TH_CMD_MERGE:
		return c == 'f' || c == OPT_FAIL_ON || c == OPT_COLOR ||
		       c == OPT_TOP || c == OPT_EXAMPLES ||
		       c == OPT_GITHUB_ROOT;
	default: return c != 'v';
	}
}

static const char *const command_names[] = {
    [TH_CMD_SCAN] = "tracehound",
    [TH_CMD_RULES_CHECK] = "tracehound rules check",
    [TH_CMD_RULES_TEST] = "tracehound rules test",
    [TH_CMD_MERGE] = "tracehound merge",
};

static bool apply_option(int c, const char *arg, struct th_options *o)
{
	if (!takes_option(o->command, c)) {
		diag_error("--%s does not apply to '%s'", option_name(c),
			   command_names[o->command]);
		diag_more("Try '%s --help'.", command_names[o->command]);
		return false;
	}
	switch (c) {
	case 'j': return parse_jobs(arg, &o->jobs);
	case 'f': return parse_format(arg, &o->format);
	case 'g': return parse_group_by(arg, o);
	case OPT_FAIL_ON: return parse_fail_on(arg, &o->fail_on);
	case 'r': push(&o->rules_paths, &o->n_rules_paths, arg); return true;
	case OPT_NO_DEFAULT_RULES: o->no_default_rules = true; return true;
	case OPT_NO_SITE_RULES: o->no_site_rules = true; return true;
	case OPT_COLOR: return parse_color(arg, &o->color);
	case 'v': o->verbose = true; return true;
	case OPT_STATE: o->state = arg; return true;
	case OPT_FAIL_ON_NEW: o->fail_on_new = true; return true;
	case OPT_DRY_RUN: o->dry_run = true; return true;
	case OPT_METRICS: o->metrics = arg; return true;
	case OPT_METRICS_LABEL: return parse_metrics_label(arg, o);
	case OPT_SINCE:
		return parse_bound("since", arg, &o->has_since, &o->since);
	case OPT_UNTIL:
		return parse_bound("until", arg, &o->has_until, &o->until);
	case OPT_TOP: return parse_count("top", arg, 1, &o->top);
	case OPT_EXAMPLES: return parse_examples(arg, o);
	case OPT_GITHUB_ROOT: o->github_root_arg = arg; return true;
	case OPT_LABEL: return parse_label(arg, o);
	case 'S': return parse_size(arg, &o->buffer_size);
	case 'F': o->follow = true; return true;
	default: return false;
	}
}

/* The TRACEHOUND_* knobs only tests use: compiled in with the tests
 * (meson's test_hooks), never into a package, where a pause or an
 * endless lock wait has no business. */
static void read_test_knobs(struct th_knobs *k)
{
#ifdef TH_TEST_HOOKS
	const char *v;
	if ((v = getenv("TRACEHOUND_SPLIT_MIN")) != NULL) {
		k->split_min = strtoull(v, NULL, 10);
		k->note_cuts = true;
	}
	if ((v = getenv("TRACEHOUND_SETTLE_SECONDS")) != NULL)
		k->settle_seconds = strtol(v, NULL, 10);
	if ((v = getenv("TRACEHOUND_LOCK_WAIT")) != NULL)
		k->lock_wait = strtod(v, NULL);
	k->pause_at = getenv("TRACEHOUND_TEST_PAUSE");
	k->system_rules_dir = getenv("TRACEHOUND_SYSTEM_RULES_DIR");
#else
	(void)k;
#endif
}

/* The TRACEHOUND_* knobs, parsed as leniently as ever: a value that is
 * not a number reads as 0, an unknown search as the default. Benchmarks
 * use MMAP and SCAN on any build; the rest are tests'. */
static void read_knobs(struct th_knobs *k)
{
	const char *v;
	*k = (struct th_knobs){.split_min = TH_SPLIT_MIN,
			       .settle_seconds = TH_STATE_SETTLE_SECONDS,
			       .lock_wait = TH_STATE_LOCK_WAIT,
			       .search = TH_SEARCH_AUTO};
	read_test_knobs(k);
	k->map_files = getenv("TRACEHOUND_MMAP") != NULL;
	if ((v = getenv("TRACEHOUND_SCAN")) != NULL &&
	    !trigger_search_from_name(v, &k->search))
		k->search = TH_SEARCH_AUTO;
}

/* "DIR/tracehound/rules.d", owned. */
static char *rules_d_under(const char *dir)
{
	static const char tail[] = "/tracehound/rules.d";
	size_t n = strlen(dir);
	char *path = xmalloc(n + sizeof tail);
	memcpy(path, dir, n);
	memcpy(path + n, tail, sizeof tail);
	return path;
}

/* The site rule directories: the system's (TH_SITE_RULES_DIR, or the
 * test knob), then the user's as the XDG Base Directory specification
 * places configuration: $XDG_CONFIG_HOME when it is an absolute path,
 * else $HOME/.config. */
static void site_rules_dirs(struct th_options *o)
{
	const char *system = o->knobs.system_rules_dir;
	o->site_rules_dirs[0] = xstrdup(system ? system : TH_SITE_RULES_DIR);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/') {
		o->site_rules_dirs[1] = rules_d_under(xdg);
	} else if (home != NULL && home[0] != '\0') {
		char *config = xmalloc(strlen(home) + sizeof "/.config");
		sprintf(config, "%s/.config", home);
		o->site_rules_dirs[1] = rules_d_under(config);
		free(config);
	}
}

static void defaults(struct th_options *o)
{
	memset(o, 0, sizeof *o);
	o->format = TH_FORMAT_TEXT;
	o->color = TH_COLOR_AUTO;
	o->group_by[0] = TH_KEY_COROUTINE;
	o->n_group_by = 1;
	o->fail_on = TH_SEV_WARNING;
	o->buffer_size = TH_SPILL_BUDGET;
	const char *tmp = getenv("TMPDIR");
	o->temp_dir = tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cores < 1 ? 1 : cores > MAX_JOBS ? MAX_JOBS : (size_t)cores;
	read_knobs(&o->knobs);
	site_rules_dirs(o);
}

/* What follows "rules" when it is no subcommand: the help asked for
 * (CLI_EXIT_SUCCESS), or an error naming the closest subcommand. */
static enum cli_result rules_without_subcommand(const char *word)
{
	static const char *const subcommands[] = {"check", "test"};
	if (word != NULL &&
	    (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)) {
		fputs(usage_rules, stdout);
		return CLI_EXIT_SUCCESS;
	}
	const char *near =
	    word ? suggest_name(th_cstr(word), subcommands, 2) : NULL;
	if (word == NULL)
		diag_error("rules: expected a subcommand: 'rules check' or "
			   "'rules test'");
	else if (near != NULL)
		diag_error("rules: unknown subcommand '%s' (did you mean "
			   "'rules %s'?)",
			   word, near);
	else
		diag_error("rules: unknown subcommand '%s': 'rules check' or "
			   "'rules test'",
			   word);
	diag_more("Try 'tracehound rules --help'.");
	return CLI_ERROR;
}

/* "rules check", "rules test" or "merge" before the options selects that
 * command. Returns how many arguments it took; -1 when "rules" has no
 * subcommand after it, with *DONE saying how the run ends. */
static int parse_command(int argc, char **argv, struct th_options *o,
			 enum cli_result *done)
{
	if (argc >= 2 && strcmp(argv[1], "merge") == 0) {
		o->command = TH_CMD_MERGE;
		return 1;
	}
	if (argc < 2 || strcmp(argv[1], "rules") != 0)
		return 0;
	if (argc >= 3 && strcmp(argv[2], "check") == 0) {
		o->command = TH_CMD_RULES_CHECK;
		return 2;
	}
	if (argc >= 3 && strcmp(argv[2], "test") == 0) {
		o->command = TH_CMD_RULES_TEST;
		return 2;
	}
	*done = rules_without_subcommand(argc >= 3 ? argv[2] : NULL);
	return -1;
}

/* The option of this command closest to BAD ("--fromat=json"), as
 * "--format", or NULL. */
static const char *closest_option(enum th_command cmd, const char *bad)
{
	if (strncmp(bad, "--", 2) != 0)
		return NULL;
	const char *names[sizeof long_options / sizeof *long_options];
	size_t n = 0;
	for (const struct option *l = long_options; l->name != NULL; l++)
		if (takes_option(cmd, l->val) || l->val == 'h')
			names[n++] = l->name;
	struct th_span word = th_cstr(bad + 2);
	const char *eq = memchr(word.p, '=', word.n);
	if (eq != NULL)
		word.n = (size_t)(eq - word.p);
	return suggest_name(word, names, n);
}

/* An option getopt did not take: unknown (with the closest one), or
 * missing its value. */
static void bad_option(const struct th_options *o, const char *bad,
		       bool needs_value)
{
	const char *cmd = command_names[o->command];
	const char *near = needs_value ? NULL : closest_option(o->command, bad);
	if (needs_value)
		diag_error("%s: option needs a value", bad);
	else if (near != NULL)
		diag_error("%s: unknown option (did you mean '--%s'?)", bad,
			   near);
	else
		diag_error("%s: unknown option", bad);
	diag_more("Try '%s --help'.", cmd);
}

/* What the parsed options must satisfy together. */
static bool check_options(const struct th_options *o)
{
	if (o->command == TH_CMD_MERGE && o->format == TH_FORMAT_NDJSON) {
		diag_error("merge: --format ndjson prints events as they are "
			   "found, and a merge has none; use text or json");
		return false;
	}
	if (o->github_root_arg != NULL && o->format != TH_FORMAT_GITHUB) {
		diag_error("--github-root goes with --format github: it moves "
			   "the paths of its annotations");
		return false;
	}
	if (o->has_since && o->has_until &&
	    (isotime_cmp(&o->since.utc, &o->until.utc) > 0 ||
	     isotime_cmp(&o->since.local, &o->until.local) > 0)) {
		diag_error("--since is after --until: no event can be in "
			   "between");
		return false;
	}
	if (o->follow && o->state != NULL) {
		diag_error("--follow and --state do not go together: --state "
			   "is for runs that end (cron), --follow never does");
		return false;
	}
	if (o->fail_on_new && o->state == NULL) {
		diag_error("--fail-on-new needs --state FILE: new since the "
			   "run that wrote it");
		return false;
	}
	if (o->metrics != NULL && (o->follow || o->dry_run)) {
		diag_error("--metrics and %s do not go together: the counters "
			   "add up runs that end and are kept in the state",
			   o->follow ? "--follow" : "--dry-run");
		return false;
	}
	if (o->n_metrics_labels > 0 && o->metrics == NULL) {
		diag_error("--metrics-label needs --metrics FILE: it labels "
			   "the series written there");
		return false;
	}
	if (o->dry_run && o->state == NULL) {
		diag_error("--dry-run needs --state FILE: it is the state a "
			   "dry run leaves as it was");
		return false;
	}
	return true;
}

/* --format github: the repository whose paths annotations name.
 * --github-root as given when absolute (it may name a directory of
 * another machine, a container's /app), resolved when relative (an
 * error when it does not exist); the current directory without it. */
static bool resolve_github_root(struct th_options *o)
{
	const char *dir = o->github_root_arg;
	if (dir != NULL && dir[0] == '/') {
		o->github_root = xstrdup(dir);
		return true;
	}
	o->github_root = dir ? realpath(dir, NULL) : getcwd(NULL, 0);
	if (o->github_root == NULL && dir != NULL) {
		diag_error("--github-root: %s: %s", dir, strerror(errno));
		return false;
	}
	return true; /* no current directory: absolute paths are kept */
}

enum cli_result cli_parse(int argc, char **argv, struct th_options *o)
{
	defaults(o);
	enum cli_result done = CLI_ERROR;
	int skip = parse_command(argc, argv, o, &done);
	if (skip < 0)
		return done;
	argv += skip;
	argc -= skip;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":f:g:j:r:S:vFhV", long_options,
				NULL)) != -1) {
		if (c == 'h') {
			print_usage(o->command);
			return CLI_EXIT_SUCCESS;
		}
		if (c == 'V') {
			printf("tracehound %s\n", TH_VERSION);
			return CLI_EXIT_SUCCESS;
		}
		if (c == '?' || c == ':') {
			bad_option(o, argv[optind - 1], c == ':');
			return CLI_ERROR;
		}
		if (!apply_option(c, optarg, o))
			return CLI_ERROR;
	}
	for (int i = optind; i < argc; i++)
		push(&o->paths, &o->n_paths, argv[i]);
	if (o->follow)
		o->jobs = 1; /* events are printed in the order they come */
	if (!check_options(o))
		return CLI_ERROR;
	return o->format != TH_FORMAT_GITHUB || resolve_github_root(o)
		   ? CLI_OK
		   : CLI_ERROR;
}

void cli_fini(struct th_options *o)
{
	free(o->rules_paths);
	free(o->metrics_labels);
	free(o->paths);
	free(o->github_root);
	free(o->site_rules_dirs[0]);
	free(o->site_rules_dirs[1]);
	memset(o, 0, sizeof *o);
}
