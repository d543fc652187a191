/* feed.h - test helper: run text through the pipeline (src/pipeline.h)
 * with the default rules and collect what comes out; or feed text through
 * a pipeline of the test's own. */
#ifndef TH_TEST_FEED_H
#define TH_TEST_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "th_limits.h"

struct got {
	char rule[64];
	char coroutine[128], exception[128], task[64];
	char defined_at[128], created_at[128], time[TH_TIME_LEN];
	char message[256];
	char culprit[512]; /* "FILE:LINE in FUNCTION", or "-" */
	uint64_t line, end_line;
	bool complete;
};

#define GOT_MAX 64

/* Splits TEXT into lines, feeds them and returns how many events came out
 * (at most GOT_MAX are stored). Unset fields are "-". EXTRA_YAML, when not
 * NULL, is loaded after the default rules. */
size_t pipeline_run(const char *text, const char *extra_yaml, struct got *out);

/* Runs TEXT as pipeline_run does, but read as a file is (pipeline_read:
 * skipped in bulk while no event is open, an open event's indented lines
 * added in bulk); with EVERY_LINE, a probe is set, so that every line is
 * read one at a time instead. Lines are read 256 bytes at most at a time
 * (lines_new), so that windows end often. */
size_t pipeline_run_read(const char *text, bool every_line, struct got *out);

/* Runs TEXT as pipeline_run does (default rules) and says whether
 * pipeline_cut_safe holds once it has been read whole, for a cut before
 * NEXT_LINE (which must be a place to cut: prefix_safe_boundary or
 * prefix_framed_boundary). */
bool pipeline_run_cut_safe(const char *text, const char *next_line);

struct th_pipeline;

/* Feeds TEXT line by line through P as input "test.log" (numbers from 1,
 * offsets; a last line without a newline is a line) and ends the input. */
void pipeline_feed_text(struct th_pipeline *p, const char *text);

#endif
