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
#include "run.h"

struct th_scanner;

/* JOBS threads scan (1: everything in the calling thread). With more, a
 * large plain file is split into ranges and several inputs are scanned
 * side by side; each thread aggregates on its own and the results are
 * merged into AGG, so SINK->event is called only when JOBS is 1. */
struct th_scanner *scanner_new(const struct th_rules *rules, struct th_agg *agg,
			       struct th_sink *sink, struct th_run *run,
			       size_t jobs);
void scanner_free(struct th_scanner *s);

/* Incremental runs (--state): each file is read from where STATE says,
 * across rotation, and what was read is committed to STATE (in memory:
 * the caller saves it). STATE must outlive the scanner. Call before the
 * first scanner_scan_path(). */
struct th_state;
void scanner_set_state(struct th_scanner *s, struct th_state *state);

/* Every classifier of the scan drops the events FN returns false for
 * (see classify_set_filter); FN must be thread-safe with several jobs.
 * Call before the first scanner_scan_path(). */
void scanner_set_filter(struct th_scanner *s, th_filter_fn fn, void *ctx);

/* Problems found while scanning (an input that cannot be read, a --state
 * plan's warning) are told to FN as they happen, not printed. */
void scanner_set_notify(struct th_scanner *s, th_notify_fn fn, void *ctx);

/* Scans PATH ("-" for stdin; a directory is walked in name order). An
 * input that cannot be read is recorded in the run and named on stderr;
 * what was read before a failure counts. With several jobs the files are
 * only queued: scanner_finish() scans them. */
void scanner_scan_path(struct th_scanner *s, const char *path);

/* --follow (see follow_paths): PATHS (none: stdin) are read as they
 * grow, into the aggregate and the sink, until *STOP is set, the sink's
 * output failed or no input can grow any more. Needs a scanner of one
 * job; use instead of scanner_scan_path()/scanner_finish(). A directory
 * or an input that cannot be opened at the start is recorded as failed. */
void scanner_follow(struct th_scanner *s, const char *const *paths,
		    size_t n_paths, const volatile sig_atomic_t *stop);

/* Scans what is queued and merges it into the aggregate and the run. Call
 * once, after the last scanner_scan_path(). */
void scanner_finish(struct th_scanner *s);

#endif
