/* agg.h - group events by the --group-by fields and keep each group's
 * counts, capped lists, first and last occurrence and one example.
 *
 * Owns:        every group and the strings in it (copied from events;
 *              the input names of first and last, one copy each, are
 *              shared by its groups and live until agg_free); its
 *              spilled runs (spill.h).
 * Borrows:     the catalog (rule ids and severities), which must outlive
 *              it.
 * Errors:      a temporary file that fails is fatal (spill.h).
 *
 * No group is ever dropped. Memory grows with the number of distinct
 * groups, up to the budget agg_spill_to sets: past it the groups in
 * memory are written to a run sorted by key and freed, and the first
 * reader (agg_count, agg_next, agg_top, agg_time_span) merges the runs,
 * adding up the parts of each group as agg_merge would, then sorts the
 * result into report order the same way, spilling past the budget again.
 * The groups read are the same as with unlimited memory, and the same
 * however their events were split into parts. Without agg_spill_to,
 * memory is unbounded.
 *
 * Capped lists keep the TH_MAX_LIST smallest values in version order
 * (strverscmp: Task-2 before Task-10), so the kept set does not depend on
 * the order events arrive in and reports can be merged.
 *
 * Keys and list entries are C strings: field values hold no NUL byte
 * (event.c makes one U+FFFD). first/last are the earliest/latest events by
 * time when both have one, else by input_index then line; the example,
 * culprit, message and source follow "first".
 */
#ifndef TH_AGG_H
#define TH_AGG_H

#include "catalog.h"
#include "event.h"
#include "run.h"
#include "timeline.h"

struct th_where {
	char *input; /* NULL when unset; in an aggregate's groups, its
			copy of the name (see "Owns") */
	uint64_t line;
	struct th_time time; /* unknown: !isotime_known */
};

struct th_capped {
	char **items; /* sorted, at most TH_MAX_LIST */
	size_t n;
	bool capped; /* some values were left out */
};

struct th_count {
	char *name;
	uint64_t count;
};

/* A group's culprit: the frame its first event is named after. */
struct th_group_culprit {
	char *file; /* NULL: the first event had no culprit */
	uint64_t line;
	char *function;
};

/* --state: whether an earlier run saw the group (unknown without one). */
enum th_novelty { TH_NOVELTY_UNKNOWN, TH_NOVELTY_SEEN, TH_NOVELTY_NEW };

/* The members an event reads or writes come first (count to
 * timeline.width): agg.c keeps them in the group's first cache lines. */
struct th_group {
	uint64_t count;
	enum th_severity severity;   /* highest of its events */
	enum th_novelty novelty;     /* set by state_mark_groups */
	struct th_count *exceptions; /* sorted by count desc, then name;
					at most TH_MAX_EXCEPTION_TYPES
					while counting, TH_MAX_LIST once
					read (agg_next, agg_top) */
	size_t n_exceptions;
	struct th_capped tasks, defined_at;
	struct th_where last;
	/* its events that have a time, by second (see timeline.h) */
	struct th_timeline timeline;
	char *key[TH_KEY_COUNT];   /* only the group-by keys are meaningful;
				      NULL is JSON null */
	uint64_t *rule_counts;	   /* per rule index */
	uint64_t exceptions_other; /* events whose exception name is not
				      in the list */
	/* the labels of the reports its events were in (--label, merged
	   reports' labels); empty without any */
	struct th_capped labels;
	struct th_where first;
	char *example; /* text of the first event, cut to
			  TH_MAX_EXAMPLE bytes on a character
			  boundary; may hold NUL bytes */
	size_t example_len;
	/* the culprit, exception message and source (its writer) of the
	   first event, like the example (message, source NULL: none) */
	struct th_group_culprit culprit;
	char *message;
	char *source;
};

struct th_agg;

struct th_agg *agg_new(const struct th_catalog *catalog,
		       const enum th_key *keys, size_t n_keys);
void agg_free(struct th_agg *a);

/* Past BUDGET bytes of groups (about: each group is measured as it
 * grows), groups spill to temporary files in DIR (copied). Set before the
 * first group. */
void agg_spill_to(struct th_agg *a, const char *dir, size_t budget);

/* Every group of A gets LABEL (copied; --label: the report's name) in
 * its labels. Set before the first event. */
void agg_set_label(struct th_agg *a, const char *label);

/* A new, empty aggregate with A's catalog, keys, label, directory and
 * budget. */
struct th_agg *agg_new_like(const struct th_agg *a);

/* Spills the groups in memory now, when A spills at all: an aggregate
 * that waits to be merged holds no memory meanwhile. */
void agg_spill_now(struct th_agg *a);

/* Groups (and parts of groups) written to temporary files so far. */
uint64_t agg_spilled(const struct th_agg *a);

/* Groups held in memory now: what merging A walks, besides its runs. */
size_t agg_held(const struct th_agg *a);

/* Adds a classified event. */
void agg_add(struct th_agg *a, const struct th_event *ev);

/* Merges group G into A with the semantics of counting its events one by
 * one: counts and per-rule and per-exception counts add, severity is the
 * highest, capped lists are merged (and stay capped), first and last widen
 * (the example follows first). G's key values are in G->key for A's
 * group-by keys, its rule_counts are indexed like A's rules, and its first
 * and last events come from the inputs at positions FIRST_INPUT and
 * LAST_INPUT. */
void agg_add_group(struct th_agg *a, const struct th_group *g,
		   size_t first_input, size_t last_input);

/* Merges every group of SRC (same rules and keys) into DST. Lines of
 * input INPUT in SRC are shifted by LINE_BASE: a range of a file scanned
 * apart counts its lines from 1. SRC's spilled runs are read back (SRC
 * keeps them), then its groups in memory, so that each group's parts
 * come in the order of its events. SRC is left without groups in memory:
 * those new to DST move there uncopied, the others are freed (SRC is
 * still to be freed with agg_free). */
void agg_merge(struct th_agg *dst, struct th_agg *src, size_t input,
	       uint64_t line_base);

/* Sets the novelty of group G, the one agg_next gave last or one of
 * agg_top's (--state); later reads give it with G. */
void agg_set_novelty(struct th_agg *a, const struct th_group *g,
		     enum th_novelty n);

/* The seconds from the earliest event with a time to the end of the
 * second of the latest (or the edges of their time buckets, where a
 * group's first event had no time): the span a report draws timelines
 * over. False when no event had a time. */
bool agg_time_span(const struct th_agg *a, int64_t *start, int64_t *end);

/* The group-by keys, in the order given. */
size_t agg_keys(const struct th_agg *a, const enum th_key **keys);

/* Readers. Groups come in report order: by count descending, then by key
 * (NULL first, then strverscmp). Once anything has been read, a spilled
 * aggregate takes no more events (agg_add dies). */

/* How many groups there are. */
size_t agg_count(struct th_agg *a);

/* Group *I in report order, then *I is one more; NULL past the last.
 * Read from *I = 0 on, in order: starting at 0 again reads them again.
 * The group is valid until the next call, agg_add or agg_free. */
const struct th_group *agg_next(struct th_agg *a, size_t *i);

/* The first MAX groups in report order (all with MAX 0: unbounded memory
 * once spilled) in *OUT; returns how many. Valid until the next agg_top,
 * agg_next, agg_add or agg_free. */
size_t agg_top(struct th_agg *a, size_t max,
	       const struct th_group *const **out);

#endif
