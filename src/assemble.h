/* assemble.h - turn record lines into events: a state machine per source
 * that knows where an asyncio message, a traceback, a chain of tracebacks
 * and an exception group end.
 *
 * Owns:        one struct th_event per source with an event open, and a
 *              cache of traceback final lines that hold no literal of the
 *              trigger (the same few recur in a crash loop).
 * Borrows:     rules, matcher and trigger (must outlive it); the input name
 *              given to assembler_begin_input (must outlive the input);
 *              the bytes of the lines given to assembler_add_indented and
 *              assembler_add_indented_run and of records within the
 *              bytes given to assembler_lend, which open events point at
 *              until assembler_window_moves.
 * Emits:       each finished event to the callback, which may read but not
 *              keep it: the event is reused once the callback returns.
 * Probe:       optionally, what it did with every record (`rules test`,
 *              tests); the scanner sets none.
 */
#ifndef TH_ASSEMBLE_H
#define TH_ASSEMBLE_H

#include "event.h"
#include "rules.h"
#include "trigger.h"

typedef void (*th_event_fn)(void *ctx, struct th_event *ev);

struct th_assembler;

struct th_assembler *assembler_new(const struct th_rules *rules,
				   struct th_matcher *m,
				   const struct th_trigger *trigger,
				   th_event_fn emit, void *ctx);
void assembler_free(struct th_assembler *a);

void assembler_begin_input(struct th_assembler *a, const char *name,
			   size_t index);

/* Feeds the next record of the input. */
void assembler_feed(struct th_assembler *a, const struct th_record *rec);

/* assembler_feed for a record whose text the caller knows holds none of
 * the trigger's literals: it searched bytes that the text is a part of,
 * with the trigger given to assembler_new or with one that holds all of
 * its literals and more (pipeline.h's framed trigger). No start pattern
 * is tried on the record then (trigger_line_may_start would say no), so
 * each line is not searched again on its own. */
void assembler_feed_literal_free(struct th_assembler *a,
				 const struct th_record *rec);

/* assembler_feed of REC whose text holds a literal of the trigger that
 * starts at AT and ends within the text: the literal search of its
 * start patterns is not run again. */
void assembler_feed_with_literal(struct th_assembler *a,
				 const struct th_record *rec, const char *at);

/* Closes every open event (one cut off mid-traceback is marked
 * incomplete). Call at the end of every input. */
void assembler_end_input(struct th_assembler *a);

/* True when every open event is one of writer SOURCE's, and no other
 * writer's last line was a record that a traceback coming next may
 * continue (README "Where an event starts and ends"). */
bool assembler_open_only_in(const struct th_assembler *a, uint32_t source);

/* The start of struct th_assembler: what the pipeline asks of it for
 * every line, read inline (a call cost more than the load). */
struct th_assembler_head {
	size_t open; /* sources with an event open */
};

/* True when no event is open: the scanner may skip lines in bulk. */
static inline bool assembler_idle(const struct th_assembler *a)
{
	/* a pointer to a struct points to its first member (C17 6.7.2.1) */
	const struct th_assembler_head *head = (const void *)a;
	return head->open == 0;
}

/* Indented lines in bulk (pipeline.c): true when writer SOURCE's open
 * event is where the lines of a traceback, its context or an exception
 * group's box go, and nothing else watches (no margin to strip, no
 * probe). Stays true while assembler_add_indented returns true. */
bool assembler_reads_indented(const struct th_assembler *a, uint32_t source);

/* Adds line NUMBER (ending at stream offset END_OFFSET) to writer
 * SOURCE's event when it only continues the event (a frame, a context
 * line, a box line), as assembler_feed would a record of that writer
 * with TEXT; after assembler_reads_indented said yes. TEXT starts with a
 * blank and holds more than blanks. False: the line must be fed as a
 * record (nothing was done). The event borrows TEXT's bytes, not a copy
 * (event.h, event_borrow_line): they must stay as they are until the
 * next assembler_window_moves. */
bool assembler_add_indented(struct th_assembler *a, uint32_t source,
			    struct th_span text, uint64_t number,
			    uint64_t end_offset);

/* assembler_add_indented for the lines at the start of BYTES, the first
 * numbered NUMBER and starting at stream offset OFFSET: each one ended by
 * its "\n" in BYTES, led by a blank, not blank, and without an escape
 * byte (the caller bounds BYTES so). Takes lines from the first on while
 * they only continue the event, borrowed as assembler_add_indented's
 * (event.h, event_run_spans); stops earlier where a line must go one by one (to
 * assembler_add_indented or as a record). Returns the bytes taken, whole
 * lines with their "\n", and sets *LINES to their count; 0 when none. */
size_t assembler_add_indented_run(struct th_assembler *a, uint32_t source,
				  struct th_span bytes, uint64_t number,
				  uint64_t offset, uint64_t *lines);

/* Lends BYTES (the line reader's window): a record fed whose text lies
 * within them is borrowed by its event, not copied, as the lines given
 * to assembler_add_indented are. They must stay as they are until the
 * next assembler_window_moves. */
void assembler_lend(struct th_assembler *a, struct th_span bytes);

/* Before the bytes lent (assembler_lend, assembler_add_indented,
 * assembler_add_indented_run) move or go (the line reader's window is
 * refilled or remapped, the input ends): each open event copies the
 * lines it borrowed from them, and nothing stays lent. An event emitted
 * before needs no copy: its sinks read it while the bytes stay. */
void assembler_window_moves(struct th_assembler *a);

/* Whether assembler_add_indented_run searches 32 bytes a step (AVX2, the
 * default where the processor has it) or 16: tests run both. ON takes
 * effect only where the processor has AVX2. */
void assembler_use_avx2(struct th_assembler *a, bool on);

/* The next four serve the --state end-of-input decision (state_end.c). */

/* For incremental runs (--state), at the end of an input before
 * assembler_end_input: the start offset (th_record.offset) and first line
 * of the earliest event still unfinished (cut off in its frames, a chain
 * or an open exception group box: one assembler_end_input would mark
 * incomplete); false when none is. An event past its final line is not
 * unfinished: more message lines might follow, but it is whole — unless
 * ALL, which counts every open event (the writer is still writing, so any
 * of them may go on). */
bool assembler_open_start(const struct th_assembler *a, bool all,
			  uint64_t *offset, uint64_t *line);

/* The latest start offset of an event emitted since
 * assembler_begin_input; false when none was. */
bool assembler_last_emitted(const struct th_assembler *a, uint64_t *offset);

/* Closes and emits the open events that are whole (past their final
 * line), leaving the unfinished ones open. */
void assembler_close_complete(struct th_assembler *a);

/* Forgets every open event without emitting it (it is read whole by the
 * next run). Use instead of assembler_end_input. */
void assembler_drop_open(struct th_assembler *a);

/* What the assembler did, reported to a probe as it happens. */
enum th_probe_what {
	TH_PROBE_START,	  /* REC opened an event of rule RULE */
	TH_PROBE_CONT,	  /* REC was added to its source's open event */
	TH_PROBE_HELD,	  /* REC is a blank line after an event's last line:
			     it joins the event only if a chain separator
			     follows (a later CONT from the same source), and
			     is part of no event if an END comes first */
	TH_PROBE_OUTSIDE, /* REC is part of no event */
	TH_PROBE_END,	  /* the source's event closed (REC is NULL); EV is
			     the event, already handed to the callback */
};

struct th_probe {
	enum th_probe_what what;
	uint32_t source;	     /* the writer (th_record.source) */
	size_t rule;		     /* START and END: the event's rule */
	const struct th_record *rec; /* NULL for END */
	const struct th_event *ev;   /* END only: lines, positions, fields
					as the callback left them */
};

typedef void (*th_probe_fn)(void *ctx, const struct th_probe *p);

/* Calls FN for every record fed (START, CONT, HELD or OUTSIDE, after any
 * END the record caused) and for every event closed (END, after the
 * callback returned). A LINE rule's event gets START then END on its one
 * record. FN NULL removes the probe. */
void assembler_set_probe(struct th_assembler *a, th_probe_fn fn, void *ctx);

#endif
