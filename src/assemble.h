/* assemble.h - turn record lines into events: a state machine per source
 * that knows where an asyncio message, a traceback, a chain of tracebacks
 * and an exception group end.
 *
 * Owns:        one struct th_event per source with an event open.
 * Borrows:     rules, matcher and trigger (must outlive it); the input name
 *              given to assembler_begin_input (must outlive the input).
 * Emits:       each finished event to the callback, which may read but not
 *              keep it: the event is reused once the callback returns.
 */
#ifndef TH_ASSEMBLE_H
#define TH_ASSEMBLE_H

#include "event.h"
#include "prefix.h"
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

/* Closes every open event (one cut off mid-traceback is marked
 * incomplete). Call at the end of every input. */
void assembler_end_input(struct th_assembler *a);

/* True when no event is open: the scanner may skip lines in bulk. */
bool assembler_idle(const struct th_assembler *a);

#endif
