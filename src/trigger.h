/* trigger.h - find the next line that may start an event, searching whole
 * buffers for a list of literals instead of matching line by line. It
 * knows no rule and no log format: the rules hand it their literals
 * (rules_literals), a framing its markers (frame_split_markers).
 *
 * Owns:        a copy of the literal list and the anchors chosen for it.
 * Borrows:     the markers' strings (static tables), for its lifetime.
 *              Keeps no state between searches, so threads may share one.
 */
#ifndef TH_TRIGGER_H
#define TH_TRIGGER_H

#include "th.h"

struct th_trigger;

/* A literal to find besides the rules' ones: a line that must be read
 * although no rule's literal is in it (frame.h: frame_split_markers). */
struct th_marker {
	const char *text;
	const char *veto;   /* a hit right after these bytes is no hit; NULL */
	int fingerprint_at; /* where its fingerprint is; -1: the rarest bytes */
};

/* Searches for LITERALS (N, copied) and MARKERS (N_MARKERS, borrowed).
 * With no literal (N == 0: some rule has none) every line is a candidate
 * and trigger_find returns the window's start. Aborts on out-of-memory. */
struct th_trigger *trigger_new(const struct th_span *literals, size_t n,
			       const struct th_marker *markers,
			       size_t n_markers);

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
	TH_SEARCH_HASH,	       /* a hash of each position's first bytes:
				  what AUTO picks for many literals */
};

/* Picks T's search; one the machine lacks falls back to what it has.
 * Call before T is shared between threads. */
void trigger_set_search(struct th_trigger *t, enum th_search search);

/* The search T runs: never TH_SEARCH_AUTO. Tests use it to see that a
 * set of rules keeps the fingerprint search. */
enum th_search trigger_search(const struct th_trigger *t);

/* Where literal K's fingerprint is (K counts the literals, then the
 * markers, as trigger_new took them): its offset in *AT and its bucket in
 * *BUCKET. False when T has no fingerprint tables. Tests use it to see
 * how the literals were planned. */
bool trigger_fingerprint_of(const struct th_trigger *t, size_t k, size_t *at,
			    unsigned *bucket);

/* "auto", "avx512", "portable", "sse2", "anchors", "fingerprint", "hash";
 * false for another name. */
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

/* The length of T's longest literal or marker (0 when every line is a
 * candidate): a literal that two spans joined hold across their seam
 * lies within that many bytes less one on either side. */
size_t trigger_longest(const struct th_trigger *t);

/* True when LINE contains a literal (or when every line is a candidate). */
bool trigger_line_may_start(const struct th_trigger *t, struct th_span line);

#endif
