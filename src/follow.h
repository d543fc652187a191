/* follow.h - --follow: read inputs as they grow, across rotation and
 * truncation, each through a pipeline of its own.
 *
 * Owns:        one pipeline, input and line reader per followed path, for
 *              the time of follow_paths.
 * Borrows:     everything in struct th_follow (must outlive the call).
 * Errors:      an input that cannot be followed (a directory, unreadable)
 *              is recorded in the run as failed and told to the notify
 *              callback; the others are followed on.
 */
#ifndef TH_FOLLOW_H
#define TH_FOLLOW_H

#include <signal.h>

#include "classify.h"
#include "pipeline.h"
#include "report.h"
#include "run.h"

/* How often inputs are polled for new bytes, and how long without a new
 * line before an event still open is flushed (printed, marked incomplete
 * when cut off mid-traceback). */
#define TH_FOLLOW_POLL_MS  200
#define TH_FOLLOW_QUIET_MS 1000

struct th_follow {
	struct th_pipeline_setup setup; /* each input's pipeline; its run
					   also takes the inputs read */
	th_filter_fn filter;		/* see classify_set_filter */
	void *filter_ctx;
	const struct th_sink *sink; /* asked whether its output failed */
	struct th_notify notify;
	const char *stdin_name; /* standard input in the report; NULL: "-" */
};

/* Reads PATHS (none: stdin) to their ends, then polls them in turn for
 * new lines and feeds those through the pipelines; until *STOP is set (by
 * a signal handler: sleeps and reads are short or interrupted, so it is
 * seen within one poll), the sink's output failed, or no input can grow
 * any more (stdin's pipe ended, compressed files read). A file renamed
 * away and created anew, or truncated, is read to its end and then read
 * again from its start; a path missing for a while is waited for. An
 * event still open after TH_FOLLOW_QUIET_MS without a new line is closed
 * and delivered. */
void follow_paths(const struct th_follow *fo, const char *const *paths,
		  size_t n_paths, const volatile sig_atomic_t *stop);

#endif
