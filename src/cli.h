/* cli.h - parse the command line, and the environment's test knobs,
 * into options, const afterwards. With main.c the only code that reads
 * the environment.
 *
 * Owns:        the arrays in struct th_options (cli_fini frees them);
 *              strings in them point into argv or the environment.
 * Errors:      cli_parse names a bad option on stderr (through diag) and
 *              returns CLI_ERROR; the caller exits 2.
 */
#ifndef TH_CLI_H
#define TH_CLI_H

#include "agg.h"
#include "isotime.h"
#include "th.h"
#include "trigger.h"

enum th_format {
	TH_FORMAT_TEXT,
	TH_FORMAT_JSON,
	TH_FORMAT_NDJSON,
	TH_FORMAT_MARKDOWN,
	TH_FORMAT_GITHUB
};
enum th_color { TH_COLOR_AUTO, TH_COLOR_ALWAYS, TH_COLOR_NEVER };
enum th_command {
	TH_CMD_SCAN,	    /* tracehound [PATH]... */
	TH_CMD_RULES_CHECK, /* tracehound rules check [RULEFILE]... */
	TH_CMD_RULES_TEST,  /* tracehound rules test [FILE]... */
	TH_CMD_MERGE,	    /* tracehound merge REPORT.json... */
};

/* Knobs for tests and benchmarks, read from the environment (not shown
 * in --help); the defaults when unset. All but MMAP and SCAN are read
 * only by a build with the test hooks (meson -Dtest_hooks, on with the
 * tests). */
struct th_knobs {
	uint64_t split_min;    /* TRACEHOUND_SPLIT_MIN: -j cuts files of at
				  least this many bytes (TH_SPLIT_MIN) */
	bool note_cuts;	       /* TRACEHOUND_SPLIT_MIN set: say on stderr
				  how each file was cut */
	long settle_seconds;   /* TRACEHOUND_SETTLE_SECONDS (--state) */
	double lock_wait;      /* TRACEHOUND_LOCK_WAIT (--state), seconds */
	const char *pause_at;  /* TRACEHOUND_TEST_PAUSE: the point of a
				  --state run to pause 30 s at; NULL none */
	bool map_files;	       /* TRACEHOUND_MMAP set: map plain files */
	enum th_search search; /* TRACEHOUND_SCAN: the trigger's search */
	const char *system_rules_dir; /* TRACEHOUND_SYSTEM_RULES_DIR: the
					 site rules there instead of
					 SYSCONFDIR/tracehound/rules.d, so
					 that tests need not touch /etc */
};

struct th_options {
	enum th_command command;
	enum th_format format;
	enum th_color color;
	enum th_key group_by[TH_KEY_COUNT];
	size_t n_group_by;
	int fail_on; /* lowest failing severity; -1 for never */
	bool no_default_rules;
	bool no_site_rules; /* --no-site-rules */
	/* the site rule directories, loaded after the defaults: the
	   system's, then the user's ($XDG_CONFIG_HOME/tracehound/rules.d,
	   else ~/.config/...; NULL when neither is set); owned */
	char *site_rules_dirs[2];
	const char **rules_paths; /* --rules, in order */
	size_t n_rules_paths;
	size_t jobs;		     /* threads for scanning; 1 is serial */
	bool verbose;		     /* rules test: also lines outside events */
	const char *state;	     /* --state FILE; NULL: none */
	bool fail_on_new;	     /* --fail-on-new: only new groups fail */
	bool dry_run;		     /* --dry-run: the state is not written */
	const char *metrics;	     /* --metrics FILE; NULL: none */
	const char **metrics_labels; /* --metrics-label NAME=VALUE, in order */
	size_t n_metrics_labels;
	const char *label;  /* --label NAME: standard input's name in the
			       report, and the report's label; NULL: none */
	const char **paths; /* inputs (scan, rules test), rule files (check)
			       or reports (merge) */
	size_t n_paths;
	bool has_since, has_until; /* --since / --until */
	struct th_time_bound since, until;
	size_t top; /* --top: groups in text/markdown/github; 0 all */
	const char *github_root_arg; /* --github-root DIR as given */
	char *github_root;	     /* --format github: --github-root DIR (made
					absolute), else the current directory;
					NULL when it cannot be known */
	size_t buffer_size;	     /* -S: bytes of groups before they spill */
	const char *temp_dir;	     /* where they spill: TMPDIR, else /tmp */
	size_t examples;	     /* --examples N (N > 0); 0 the default */
	bool hide_examples;	     /* --examples 0 */
	bool follow; /* --follow: read inputs as they grow (-j 1) */
	struct th_knobs knobs;
};

enum cli_result { CLI_OK, CLI_EXIT_SUCCESS, CLI_ERROR };

/* CLI_EXIT_SUCCESS: --help or --version was printed. The knobs are read
 * from the environment whatever the command. An option that the
 * command does not take is an error, not silently ignored. */
enum cli_result cli_parse(int argc, char **argv, struct th_options *o);
void cli_fini(struct th_options *o);

#endif
