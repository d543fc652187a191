/* trigger.h - find the next line that may start an event, searching whole
 * buffers for the rules' literals instead of matching line by line.
 *
 * Owns:        a copy of the literal list and the anchors chosen for it.
 * Borrows:     nothing after trigger_new returns. Keeps no state between
 *              searches, so threads may share one.
 */
#ifndef TH_TRIGGER_H
#define TH_TRIGGER_H

#include "rules.h"
#include "th.h"

struct th_trigger;

/* Takes the literals of the enabled rules. When some rule has none, every
 * line is a candidate (trigger_find returns the window's start). */
struct th_trigger *trigger_new(const struct th_rules *rules);
/* The same, also finding the first piece of a line that a container
 * runtime split (CRI "P" lines, Docker entries without a newline), which
 * must be read although no literal is in it: a trigger may straddle the
 * pieces. Only worth it on such logs: Docker's marker is in every line. */
struct th_trigger *trigger_new_framed(const struct th_rules *rules);

void trigger_free(struct th_trigger *t);

/* Which search runs (see trigger.c): the best the machine has (AUTO), or
 * one picked by tests and benchmarks (TRACEHOUND_SCAN, read by cli.c). */
enum th_search {
	TH_SEARCH_AUTO,
	TH_SEARCH_AVX512, /* the fastest: the same as AUTO */
	TH_SEARCH_PORTABLE,
	TH_SEARCH_SSE2,
	TH_SEARCH_ANCHORS,     /* AVX2 anchors rather than fingerprints */
	TH_SEARCH_FINGERPRINT, /* AVX2 fingerprints, not AVX-512 */
};

/* Picks T's search; one the machine lacks falls back to what it has.
 * Call before T is shared between threads. */
void trigger_set_search(struct th_trigger *t, enum th_search search);

/* "auto", "avx512", "portable", "sse2", "anchors", "fingerprint"; false for
 * another name. */
bool trigger_search_from_name(const char *name, enum th_search *out);

/* Returns the index in WINDOW of the earliest literal occurrence, or
 * WINDOW.n when there is none (0 when every line is a candidate). */
size_t trigger_find(const struct th_trigger *t, struct th_span window);

/* trigger_find, and the number of "\n" bytes in the window before the
 * position returned, counted in the same pass where the search allows
 * it; TRIGGER_NEWLINES_UNKNOWN when it did not count. */
#define TRIGGER_NEWLINES_UNKNOWN UINT64_MAX
size_t trigger_find_lines(const struct th_trigger *t, struct th_span window,
			  uint64_t *newlines);

/* True when LINE contains a literal (or when every line is a candidate). */
bool trigger_line_may_start(const struct th_trigger *t, struct th_span line);

#endif
