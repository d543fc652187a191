/* timeline.h - how a group's events spread over time, in a fixed number
 * of buckets (TH_TIMELINE_BUCKETS), and the sparkline drawn from it.
 *
 * Owns:        nothing: a timeline is a plain value (no pointers), so
 *              groups embed it and copying it is assignment.
 *
 * Bucket I holds the events whose second s (isotime.h) has
 * floor(s / width) == first + I. The width is the smallest power of two
 * (seconds) for which the earliest and the latest event fit in the
 * buckets, and FIRST is the bucket of the earliest event. That makes a
 * timeline a function of the set of its events' seconds alone: adding
 * events one by one, or merging the timelines of any split of them in any
 * order, gives the same value (bucket pairs fold exactly, as widths are
 * powers of two and buckets are aligned to multiples of their width).
 */
#ifndef TH_TIMELINE_H
#define TH_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "th.h"
#include "th_limits.h"

struct th_timeline {
	int64_t first;	/* bucket index of counts[0] at WIDTH */
	uint64_t width; /* seconds per bucket, a power of two; 0: empty */
	uint64_t counts[TH_TIMELINE_BUCKETS];
};

/* The widest bucket a timeline takes: 2^40 s, some 35,000 years. */
#define TH_TIMELINE_MAX_WIDTH ((uint64_t)1 << 40)

/* Counts N events at second SEC. */
void timeline_add(struct th_timeline *t, int64_t sec, uint64_t n);

/* Adds SRC's events to DST. SRC need not be canonical (a timeline read
 * from a report may have empty buckets at its start): DST is. */
void timeline_merge(struct th_timeline *dst, const struct th_timeline *src);

/* Buckets up to the last non-empty one; 0 for an empty timeline. */
size_t timeline_used(const struct th_timeline *t);

/* The seconds from the start of the first bucket to the end of the last
 * non-empty one; false for an empty timeline. */
bool timeline_extent(const struct th_timeline *t, int64_t *start, int64_t *end);

/* Glyphs of a sparkline: one per column, 3 bytes each in UTF-8. */
#define TIMELINE_GLYPH_BYTES 3

/* Draws T over the seconds [START, END) in COLS columns into OUT (at least
 * COLS * TIMELINE_GLYPH_BYTES + 1 bytes): a bucket's events are spread
 * over the columns it overlaps, each column is "▁".."█" scaled to the
 * fullest column, or a blank when it has no event. */
void timeline_sparkline(const struct th_timeline *t, int64_t start, int64_t end,
			size_t cols, char *out);

/* The columns of a sparkline over [START, END) of at most MAX columns: one
 * per second when the span is shorter. */
size_t timeline_columns(int64_t start, int64_t end, size_t max);

/* "2024-05-01 10:00:00 to 10:04:16, 8s a column" (the end's date only
 * when it differs) into OUT: what a sparkline over [START, END) in COLS
 * columns shows. */
void timeline_describe(int64_t start, int64_t end, size_t cols, char *out,
		       size_t out_n);

#endif
