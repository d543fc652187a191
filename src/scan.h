/* scan.h - read inputs to their end through pipelines (pipeline.h) into
 * the aggregate and the sink: serially, or with -j cut into work items
 * that threads scan and that are merged in input order.
 *
 * Owns:        the triggers, the pipelines and the queued work items.
 * Borrows:     rules, aggregate, sink and run (must outlive it).
 * Errors:      an input that cannot be opened or read is recorded in the
 *              run and told to the notify callback, and the scan goes on.
 */
#ifndef TH_SCAN_H
#define TH_SCAN_H

#include <signal.h>

#include "agg.h"
#include "classify.h"
#include "report.h"
#include "rules.h"
#include "pipeline.h"
#include "run.h"
#include "trigger.h"

struct th_scanner;
struct th_state;

/* How to scan: filled by cli.c / main.c from the options and the
 * environment; tests set the knobs and callbacks directly. */
struct th_scan_options {
	/* Threads (1: everything in the calling thread). With more, a
	 * large plain file is cut into ranges and several inputs are
	 * scanned side by side; each thread aggregates on its own and the
	 * results are merged into the aggregate in input order, so the
	 * sink's event() is called only with one job (a sink that prints
	 * each event gets one job whatever this says). */
	size_t jobs;
	/* With several jobs: plain files of at least this many bytes are
	 * cut into ranges (TH_SPLIT_MIN; TRACEHOUND_SPLIT_MIN for tests). */
	uint64_t split_min;
	/* --state: a file last written this many seconds ago or more has a
	 * quiet writer (TH_STATE_SETTLE_SECONDS; TRACEHOUND_SETTLE_SECONDS). */
	long settle_seconds;
	bool map_files;	       /* map plain files instead of reading them */
	enum th_search search; /* the trigger's search (TRACEHOUND_SCAN) */
	/* --state: each file is read from where STATE says, across
	 * rotation, and what was read is committed to STATE (in memory: the
	 * caller saves it). NULL: none. Must outlive the scanner. */
	struct th_state *state;
	/* Every pipeline drops the events FILTER returns false for (see
	 * classify_set_filter); it must be thread-safe with several jobs. */
	th_filter_fn filter;
	void *filter_ctx;
	/* Problems found while scanning (an input that cannot be read, a
	 * --state plan's warning), told as they happen. */
	struct th_notify notify;
	/* What standard input is called in the report (--label); NULL:
	 * "-". Must outlive the scanner. */
	const char *stdin_name;
	/* Tests: told how a file was cut ("cut into 3 ranges") or that its
	 * ranges were scanned again ("scanned again whole", or "scanned
	 * again from a cut": from a range's start to the end). NULL: not. */
	void (*on_cut)(void *ctx, const char *path, const char *how);
	void *cut_ctx;
};

/* One job, the limits of th_limits.h, no state, filter or callbacks. */
void scan_options_init(struct th_scan_options *o);

/* O NULL: scan_options_init's. O is copied. */
struct th_scanner *scanner_new(const struct th_rules *rules, struct th_agg *agg,
			       struct th_sink *sink, struct th_run *run,
			       const struct th_scan_options *o);
void scanner_free(struct th_scanner *s);

/* Scans PATH ("-" for stdin; a directory is walked in name order). An
 * input that cannot be read is recorded in the run and told to notify;
 * what was read before a failure counts. With several jobs the files are
 * only queued: scanner_finish() scans them. */
void scanner_scan_path(struct th_scanner *s, const char *path);

/* The pipeline setup whose events go into S's aggregate, run and sink as
 * a serial scan's do: for --follow (follow.h: follow_paths), which reads
 * its inputs itself. Needs a scanner of one job; use instead of
 * scanner_scan_path()/scanner_finish(). Valid while S lives. */
struct th_pipeline_setup scanner_pipeline_setup(struct th_scanner *s);

/* Scans what is queued and merges it into the aggregate and the run. Call
 * once, after the last scanner_scan_path(). With several jobs the
 * threads may still be freeing their own memory when it returns; of the
 * caller's they read only the rules, which must outlive scanner_free(),
 * which joins them. */
void scanner_finish(struct th_scanner *s);

#endif
