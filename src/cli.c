/* cli.c - options with getopt_long from one table; see cli.h. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

#ifndef TH_VERSION
#define TH_VERSION "0.0.0"
#endif

enum { OPT_FAIL_ON = 256, OPT_NO_DEFAULT_RULES, OPT_COLOR };

/* More threads than this gain nothing on the machines we know and only
 * cost memory (each has its own buffers). */
#define MAX_JOBS 64

static const struct option long_options[] = {
    {"format", required_argument, NULL, 'f'},
    {"group-by", required_argument, NULL, 'g'},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"rules", required_argument, NULL, 'r'},
    {"no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES},
    {"jobs", required_argument, NULL, 'j'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char usage[] =
    "Usage: tracehound [OPTION]... [PATH]...\n"
    "       tracehound rules check [OPTION]... [RULEFILE|DIR]...\n"
    "Find the failures asyncio reports on its own (exceptions never\n"
    "retrieved, tasks destroyed while pending, coroutines never awaited,\n"
    "failing callbacks) and Python tracebacks in logs, and group them.\n"
    "PATH is a file (plain, gzip or zstd), a directory (searched\n"
    "recursively) or - for standard input (the default).\n"
    "\n"
    "  -f, --format=FORMAT    text (default), json or ndjson\n"
    "  -g, --group-by=KEYS    comma-separated: coroutine (default), rule,\n"
    "                         exception, task, input, defined_at\n"
    "      --fail-on=LEVEL    exit 1 when an event of LEVEL or worse is\n"
    "                         found: error, warning (default), info, never\n"
    "  -r, --rules=PATH       also load rules from a YAML file or directory\n"
    "                         (repeatable; later files override earlier)\n"
    "      --no-default-rules do not load the rules shipped in patterns/\n"
    "  -j, --jobs=N           scan with N threads (default: the number of\n"
    "                         cores); a large plain file is split, several\n"
    "                         inputs are scanned side by side; the report\n"
    "                         is the same as with -j 1\n"
    "      --color=WHEN       color the text report: auto (default: on a\n"
    "                         terminal, unless NO_COLOR is set), always,\n"
    "                         never\n"
    "  -h, --help             show this help\n"
    "  -V, --version          show the version\n"
    "\n"
    "Exit status: 0 nothing at or above --fail-on was found, 1 something\n"
    "was, 2 an error (bad option or rules, or an unreadable input).\n";

static void push(const char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = s;
}

static bool parse_format(const char *s, enum th_format *out)
{
	static const char *const names[] = {"text", "json", "ndjson"};
	for (size_t i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum th_format)i;
			return true;
		}
	diag_error("--format: unknown format '%s' (text, json or ndjson)", s);
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
		if (!agg_key_from_name((struct th_span){p, n}, &k)) {
			diag_error("--group-by: unknown key '%.*s' (coroutine, "
				   "rule, exception, task, input, defined_at)",
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

static bool apply_option(int c, const char *arg, struct th_options *o)
{
	switch (c) {
	case 'j': return parse_jobs(arg, &o->jobs);
	case 'f': return parse_format(arg, &o->format);
	case 'g': return parse_group_by(arg, o);
	case OPT_FAIL_ON: return parse_fail_on(arg, &o->fail_on);
	case 'r': push(&o->rules_paths, &o->n_rules_paths, arg); return true;
	case OPT_NO_DEFAULT_RULES: o->no_default_rules = true; return true;
	case OPT_COLOR: return parse_color(arg, &o->color);
	default: return false;
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
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cores < 1 ? 1 : cores > MAX_JOBS ? MAX_JOBS : (size_t)cores;
}

/* "rules check" before the options selects the rule checker. */
static int parse_command(int argc, char **argv, struct th_options *o)
{
	if (argc >= 3 && strcmp(argv[1], "rules") == 0 &&
	    strcmp(argv[2], "check") == 0) {
		o->command = TH_CMD_RULES_CHECK;
		return 2;
	}
	if (argc >= 2 && strcmp(argv[1], "rules") == 0) {
		diag_error("rules: expected a subcommand: 'rules check'");
		return -1;
	}
	return 0;
}

enum cli_result cli_parse(int argc, char **argv, struct th_options *o)
{
	defaults(o);
	int skip = parse_command(argc, argv, o);
	if (skip < 0)
		return CLI_ERROR;
	argv += skip;
	argc -= skip;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":f:g:j:r:hV", long_options,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return CLI_EXIT_SUCCESS;
		}
		if (c == 'V') {
			printf("tracehound %s\n", TH_VERSION);
			return CLI_EXIT_SUCCESS;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			diag_error("%s: %s\nTry 'tracehound --help'.", bad,
				   c == ':' ? "option needs a value"
					    : "unknown option");
			return CLI_ERROR;
		}
		if (!apply_option(c, optarg, o))
			return CLI_ERROR;
	}
	for (int i = optind; i < argc; i++)
		push(&o->paths, &o->n_paths, argv[i]);
	return CLI_OK;
}

void cli_fini(struct th_options *o)
{
	free(o->rules_paths);
	free(o->paths);
	memset(o, 0, sizeof *o);
}
