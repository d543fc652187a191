/* metrics.h - the counters --metrics FILE writes: per rule, per group
 * (the groups with the most events, the rest summed), inputs and bytes,
 * and how the last run went. The data only: report_metrics.h writes it,
 * state.h keeps it across runs.
 *
 * Owns:        everything in a struct th_metrics (copies of the keys'
 *              values and rule ids; metrics_fini frees them).
 * Caller owns: the struct (metrics_init / metrics_fini on caller storage).
 * Errors:      none; out of memory dies.
 */
#ifndef TH_METRICS_H
#define TH_METRICS_H

#include "catalog.h"
#include "th.h"

struct th_metrics_group {
	char *vals[TH_KEY_COUNT]; /* one per key, NULL: none */
	uint64_t events;
};

struct th_metrics_rule {
	char *rule;
	enum th_severity severity;
	uint64_t events;
};

struct th_metrics {
	enum th_key keys[TH_KEY_COUNT]; /* the --group-by keys */
	size_t n_keys;
	struct th_metrics_group *groups; /* their own series, at most
					    TH_METRICS_GROUP_SERIES */
	size_t n_groups, groups_cap;
	uint64_t other_events; /* the rest of the groups' events */
	struct th_metrics_rule *rules;
	size_t n_rules, rules_cap;
	uint64_t inputs, input_errors, read_bytes;
	bool counted;	     /* false: the run failed before it counted
				anything; only the last_run gauges */
	bool has_new_groups; /* a --state run: new_groups is known */
	uint64_t new_groups;
	char **labels; /* --metrics-label "NAME=VALUE", on every series */
	size_t n_labels, labels_cap;
	int64_t timestamp; /* the run's end, seconds since 1970 */
	bool success;	   /* the run read every input and wrote its
			      report and state */
};

/* An empty M for the group-by KEYS (N_KEYS of them). */
void metrics_init(struct th_metrics *m, const enum th_key *keys, size_t n_keys);
void metrics_fini(struct th_metrics *m);

/* Adds a group's series: VALS holds one value per key (NULL: none),
 * copied. */
void metrics_add_group(struct th_metrics *m, char *const *vals,
		       uint64_t events);

/* Adds EVENTS to the series of RULE (copied) with SEVERITY, made when
 * missing: adding 0 makes it, so an alert sees its first event. */
void metrics_add_rule(struct th_metrics *m, const char *rule,
		      enum th_severity severity, uint64_t events);

/* Adds "NAME=VALUE" (copied; NAME checked by metrics_label_name_ok) to
 * every series. */
void metrics_add_label(struct th_metrics *m, const char *name_value);

/* Whether NAME may be a --metrics-label: a Prometheus label name
 * ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__") that no series has
 * already (rule, severity, group, a --group-by key). */
bool metrics_label_name_ok(struct th_span name);

/* Which of N groups have a series of their own: the
 * TH_METRICS_GROUP_SERIES with the most EVENTS (ties: the earlier in the
 * array), but none without events. Sets TOP[i]. */
void metrics_pick_top(const uint64_t *events, size_t n, bool *top);

#endif
