/* agg.h - group events by the --group-by fields and keep each group's
 * counts, capped lists, first and last occurrence and one example.
 *
 * Owns:        every group and the strings in it (copied from events).
 * Borrows:     the rules (for rule ids), which must outlive it.
 * Memory grows with the number of distinct groups only, which is capped at
 * TH_MAX_GROUPS: events of further groups are counted as dropped.
 *
 * Capped lists keep the TH_MAX_LIST smallest values in version order
 * (strverscmp: Task-2 before Task-10), so the kept set does not depend on
 * the order events arrive in and reports can be merged.
 *
 * A field value is taken up to its first NUL byte: keys and list entries
 * are C strings. first/last are the earliest/latest events by time when both
 * have one, else by input_index then line; the example follows "first".
 */
#ifndef TH_AGG_H
#define TH_AGG_H

#include "event.h"
#include "rules.h"
#include "run.h"

enum th_key {
	TH_KEY_COROUTINE,
	TH_KEY_RULE,
	TH_KEY_EXCEPTION,
	TH_KEY_TASK,
	TH_KEY_INPUT,
	TH_KEY_DEFINED_AT,
	TH_KEY_COUNT
};

/* "coroutine", ... ; parse returns false for an unknown name. */
const char *agg_key_name(enum th_key k);
bool agg_key_from_name(struct th_span name, enum th_key *out);

struct th_where {
	char *input; /* NULL when unset */
	uint64_t line;
	char time[40]; /* "" when unknown */
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

struct th_group {
	char *key[TH_KEY_COUNT]; /* only the group-by keys are meaningful;
				    NULL is JSON null */
	uint64_t count;
	uint64_t *rule_counts;	     /* per rule index */
	struct th_count *exceptions; /* sorted by count desc, then name;
					at most TH_MAX_LIST names */
	size_t n_exceptions;
	uint64_t exceptions_other; /* events whose exception name did not
				      fit in the list (not order-free) */
	enum th_severity severity; /* highest of its events */
	struct th_capped tasks, defined_at;
	struct th_where first, last;
	char *example; /* text of the first event, cut to
			  TH_MAX_EXAMPLE bytes on a character
			  boundary; may hold NUL bytes */
	size_t example_len;
};

struct th_agg;

struct th_agg *agg_new(const struct th_rules *rules, const enum th_key *keys,
		       size_t n_keys);
void agg_free(struct th_agg *a);

/* Adds a classified event. Returns false (and counts nothing) when its
 * group is new and TH_MAX_GROUPS are already kept: the caller counts it in
 * run->groups_dropped. */
bool agg_add(struct th_agg *a, const struct th_event *ev);

/* The group-by keys, in the order given. */
size_t agg_keys(const struct th_agg *a, const enum th_key **keys);

/* Groups ordered by count descending, then by key (NULL first, then
 * strverscmp). Valid until the next agg_add or agg_free. */
size_t agg_sorted(struct th_agg *a, const struct th_group *const **out);

#endif
