/* trigger.h - find the next line that may start an event, searching whole
 * buffers for the rules' literals instead of matching line by line.
 *
 * Owns:        a copy of the literal list and, per literal, how far the
 *              stream has been searched and where its next occurrence is.
 * Borrows:     nothing after trigger_new returns.
 * Positions are stream offsets, not pointers, so what was learned about a
 * window stays true after the line reader moves its buffer.
 */
#ifndef TH_TRIGGER_H
#define TH_TRIGGER_H

#include "rules.h"
#include "th.h"

struct th_trigger;

/* Takes the literals of the enabled rules. When some rule has none, every
 * line is a candidate (trigger_find returns the window's start). */
struct th_trigger *trigger_new(const struct th_rules *rules);
void trigger_free(struct th_trigger *t);

/* Forgets what was searched: call at the start of every input. */
void trigger_reset(struct th_trigger *t);

/* WINDOW holds the stream's bytes from offset START. Returns the index in
 * WINDOW of the earliest literal occurrence, or WINDOW.n when there is none.
 * Successive calls must not go backwards in the stream. */
size_t trigger_find(struct th_trigger *t, struct th_span window,
		    uint64_t start);

/* True when LINE contains a literal (or when every line is a candidate). */
bool trigger_line_may_start(const struct th_trigger *t, struct th_span line);

#endif
