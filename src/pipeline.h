/* pipeline.h - the stages one thread runs, wired in this one place:
 * lines -> prefix -> assemble -> classify, and each finished event out
 * through a deliver callback. The scanner, --follow, `rules test` and the
 * unit tests all use it; they differ only in where events are delivered
 * and in the probes they set (as ripgrep reuses one Searcher with
 * different Sinks).
 *
 * While no event is open the pipeline never looks at single lines: it
 * asks the trigger for the next literal in the whole buffered window,
 * skips the lines before it in bulk and only then reads the candidate
 * line. A CRI line cut into pieces, where the search stops for a literal
 * may lie across a seam, is skipped the same way when its pieces and
 * seams hold none. While one is open it cuts the window's lines itself (no
 * lines_next call a line) and hands an open event its indented lines
 * directly. The reader's cursor moves once a window, past every event
 * read and every line skipped in it. With probes set every line is read,
 * so the probes see them all.
 *
 * Owns:        its matcher, prefixer, assembler and classifier.
 * Borrows:     the rules, triggers and run of its setup (must outlive it);
 *              an input's name (until its pipeline_end_input).
 * Errors:      none of its own; feeding returns the lines' status.
 * Counts:      into the setup's run: what the classifier counts, and with
 *              pipeline_count the truncated lines and match errors.
 */
#ifndef TH_PIPELINE_H
#define TH_PIPELINE_H

#include "assemble.h"
#include "classify.h"
#include "lines.h"
#include "rules.h"
#include "run.h"
#include "trigger.h"

struct th_pipeline_setup {
	const struct th_rules *rules;
	const struct th_trigger *trigger; /* the rules' literals */
	const struct th_trigger *framed;  /* for inputs whose lines may be
					     split: every literal of TRIGGER
					     and more (their JSON forms,
					     split-line markers), as
					     pipeline_trigger_new makes it
					     (NULL: TRIGGER for all) */
	struct th_run *run;
	th_deliver_fn deliver; /* each event (or leaf) reported */
	void *ctx;
};

struct th_pipeline;

struct th_pipeline *pipeline_new(const struct th_pipeline_setup *setup);
void pipeline_free(struct th_pipeline *p);

/* Whether the window's lines are cut, and the assembler's runs of
 * indented lines taken, with AVX2 where the processor has it (the
 * default). Tests turn it off to run the baseline way as well. */
void pipeline_use_avx2(struct th_pipeline *p, bool on);

/* Drops the events FN returns false for (see classify_set_filter). */
void pipeline_set_filter(struct th_pipeline *p, th_filter_fn fn, void *ctx);

/* `rules test` and tests: the assembler's probe (every record) and the
 * classifier's ignore probe. From then on every line is read. */
void pipeline_set_probes(struct th_pipeline *p, th_probe_fn probe,
			 th_ignored_fn ignored, void *ctx);

/* Starts input NAME (index INDEX in the run); events' lines are numbered
 * LINE_BASE more than the lines read (--state: the lines before the
 * read's start). */
void pipeline_begin_input(struct th_pipeline *p, const char *name, size_t index,
			  uint64_t line_base);

/* Picks the search for this input from its first buffered line: logs of
 * container runtimes that split long lines need the split-line markers
 * found. False when no whole line was there to judge by. */
bool pipeline_choose_search(struct th_pipeline *p, struct th_lines *l);

/* Feeds every line of L up to the end of what can be read now; returns
 * TH_EOF there, or the input's error. */
enum th_status pipeline_feed(struct th_pipeline *p, struct th_lines *l);

/* pipeline_choose_search, then pipeline_feed: an input read to its end. */
enum th_status pipeline_read(struct th_pipeline *p, struct th_lines *l);

/* Feeds one line that ends at END_OFFSET (tests that feed text). */
void pipeline_feed_line(struct th_pipeline *p, const struct th_line *line,
			uint64_t end_offset);

/* Passes on the pieces of split lines whose rest never came (at the end
 * of an input, or when --follow flushes after a quiet time). */
void pipeline_finish_lines(struct th_pipeline *p);

/* Closes every open event (one cut off mid-traceback is marked
 * incomplete). */
void pipeline_close_events(struct th_pipeline *p);

/* pipeline_finish_lines, then pipeline_close_events. */
void pipeline_end_input(struct th_pipeline *p);

/* Adds to the run the lines L cut and the match errors since the last
 * count. */
void pipeline_count(struct th_pipeline *p, const struct th_lines *l);

/* True when an input cut into ranges may be cut where the lines ended
 * (pipeline_finish_lines), before a line of WRITER that opens a log
 * record: every open event is WRITER's (the record ends them), no CRI or
 * Docker piece was waiting for its rest, and for the unframed writer (0)
 * the last record was unframed too. */
bool pipeline_cut_safe(const struct th_pipeline *p, uint32_t writer);

/* The assembler, for the --state end-of-input decision (state_end). */
struct th_assembler *pipeline_assembler(struct th_pipeline *p);

/* The search for RULES' literals, and with SPLIT_MARKERS also for the
 * first pieces of lines a container runtime split (see setup.framed).
 * Free it with trigger_free. */
struct th_trigger *pipeline_trigger_new(const struct th_rules *rules,
					bool split_markers);

#endif
