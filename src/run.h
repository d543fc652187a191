/* run.h - what one run of tracehound scanned, skipped and failed at.
 *
 * Owns:        the list of inputs (names copied) and the run-wide counters.
 * Caller owns: the struct (run_init / run_fini on caller storage).
 * Every limit that truncates or skips something counts it here, so the
 * report can say what was not looked at.
 */
#ifndef TH_RUN_H
#define TH_RUN_H

#include "diag.h"
#include "th.h"

struct th_run_input {
	char *name;
	uint64_t lines;
	uint64_t bytes; /* decompressed bytes scanned */
	char *error;	/* NULL, or why it could not be read whole */
};

/* What a scan counted, as a value: each worker's run counts its own, and
 * run_add sums them into the scanner's (ripgrep's Stats). */
struct th_counts {
	uint64_t events;	    /* events reported (after ignore rules) */
	int worst;		    /* highest severity reported, -1 for none */
	uint64_t lines_truncated;   /* lines longer than the read buffer */
	uint64_t events_truncated;  /* events with lines not kept */
	uint64_t events_incomplete; /* cut off by end of input */
	uint64_t match_errors;	    /* regex matches that hit the match limit */
	uint64_t groups_dropped;    /* events whose group did not fit */
};

struct th_run {
	struct th_run_input *inputs;
	size_t n_inputs, cap_inputs;
	size_t inputs_failed;

	struct th_counts counts;
	uint64_t *ignored; /* per ignore rule, n_ignored entries */
	size_t n_ignored;
};

void run_init(struct th_run *run, size_t n_ignore_rules);
void run_fini(struct th_run *run);

/* Adds SRC's counters (not its inputs) to DST's: a worker's run into the
 * scanner's. */
void run_add(struct th_run *dst, const struct th_run *src);

/* What the report calls the input at PATH: STDIN_NAME (--label) for
 * standard input ("-") when it is not NULL, else PATH. */
const char *run_input_name(const char *path, const char *stdin_name);

/* Adds an input and returns its index (stable for the run). */
size_t run_add_input(struct th_run *run, const char *name);

/* Records that input INDEX could not be read whole, for WHY (copied), and
 * counts it as failed. Only its first failure is kept: returns false,
 * changing nothing, when it had failed already. */
bool run_fail_input(struct th_run *run, size_t index, const char *why);

/* Where library code tells of a problem as it happens (an input that
 * failed, a warning about one), instead of printing: E's file names the
 * input, its message says what. main.c prints them; tests collect them.
 * FN NULL: nobody is told. */
enum th_notice {
	TH_NOTICE_ERROR,   /* an input failed */
	TH_NOTICE_WARNING, /* something was left out */
	TH_NOTICE_NOTE,	   /* nothing lost: what a run did and why */
};
typedef void (*th_notify_fn)(void *ctx, const struct th_error *e,
			     enum th_notice kind);
struct th_notify {
	th_notify_fn fn;
	void *ctx;
};

/* Tells N (which may be NULL) of FILE: MESSAGE. */
void run_notify(const struct th_notify *n, enum th_notice kind,
		const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
