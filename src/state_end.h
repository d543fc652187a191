/* state_end.h - --state, at the end of what was read of a file: which of
 * the events still open are counted now, and where the next run starts.
 *
 * The rule (see state.h for the file): an event still being written when
 * the run reached the end is left for the next run, which reads it whole;
 * unless an event that began after it was counted already (interleaved
 * writers): then it is counted now, incomplete, and everything read is
 * committed. An event that reached a point where it may end (a final
 * line, an asyncio message) is taken as it is only once the writer has
 * gone quiet: while the file is still being written it may go on.
 *
 * Owns:        nothing.
 * Borrows:     the state, the assembler and the reads (during the call).
 * Errors:      state_visit tells the notify callback what a plan leaves
 *              out (a warning); nothing is printed.
 */
#ifndef TH_STATE_END_H
#define TH_STATE_END_H

#include "assemble.h"
#include "run.h"
#include "state.h"

/* Called with each read of a plan, oldest first, and the identity of the
 * file now at the path; valid during the call. */
typedef void (*th_state_read_fn)(void *ctx, const struct th_state_read *r,
				 const struct th_file_id *id);

/* Plans what to read of PATH (state_plan) and calls FN for each read; a
 * warning about what the plan leaves out goes to NOTIFY first. False
 * when PATH cannot be examined: read it as without a state. */
bool state_visit(const struct th_state *st, const char *path,
		 th_state_read_fn fn, void *ctx,
		 const struct th_notify *notify);

/* Where the input of a read is committed (state_commit_file). */
struct th_state_end {
	uint64_t offset, lines;
	uint64_t held_line; /* the line of the event left for the next run
			       (still being written); 0 for none */
};

/* Ends read R's input in A, which was fed BYTES bytes, LINES lines of it
 * from R->start: closes the events that count now and leaves the others
 * to the next run, and fills *OUT. A writer is quiet when R's file was
 * last written SETTLE_SECONDS ago or more. Use instead of
 * assembler_end_input. */
void state_end_read(struct th_assembler *a, const struct th_state_read *r,
		    uint64_t bytes, uint64_t lines, long settle_seconds,
		    struct th_state_end *out);

#endif
