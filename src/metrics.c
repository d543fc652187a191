/* metrics.c - the counters of --metrics; see metrics.h. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "th_limits.h"

void metrics_init(struct th_metrics *m, const enum th_key *keys, size_t n_keys)
{
	memset(m, 0, sizeof *m);
	memcpy(m->keys, keys, n_keys * sizeof *keys);
	m->n_keys = n_keys;
}

void metrics_fini(struct th_metrics *m)
{
	for (size_t i = 0; i < m->n_groups; i++)
		for (size_t k = 0; k < m->n_keys; k++)
			free(m->groups[i].vals[k]);
	free(m->groups);
	for (size_t i = 0; i < m->n_rules; i++)
		free(m->rules[i].rule);
	free(m->rules);
	for (size_t i = 0; i < m->n_labels; i++)
		free(m->labels[i]);
	free(m->labels);
	memset(m, 0, sizeof *m);
}

void metrics_add_group(struct th_metrics *m, char *const *vals, uint64_t events)
{
	XGROW(m->groups, m->groups_cap, m->n_groups + 1, 16);
	struct th_metrics_group *g = &m->groups[m->n_groups++];
	memset(g, 0, sizeof *g);
	for (size_t k = 0; k < m->n_keys; k++)
		g->vals[k] = vals[k] ? xstrdup(vals[k]) : NULL;
	g->events = events;
}

void metrics_add_rule(struct th_metrics *m, const char *rule,
		      enum th_severity severity, uint64_t events)
{
	for (size_t i = 0; i < m->n_rules; i++)
		if (strcmp(m->rules[i].rule, rule) == 0 &&
		    m->rules[i].severity == severity) {
			m->rules[i].events += events;
			return;
		}
	XGROW(m->rules, m->rules_cap, m->n_rules + 1, 16);
	m->rules[m->n_rules++] = (struct th_metrics_rule){
	    .rule = xstrdup(rule),
	    .severity = severity,
	    .events = events,
	};
}

void metrics_add_label(struct th_metrics *m, const char *name_value)
{
	XGROW(m->labels, m->labels_cap, m->n_labels + 1, 4);
	m->labels[m->n_labels++] = xstrdup(name_value);
}

static bool label_char(char c, bool first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (!first && c >= '0' && c <= '9');
}

bool metrics_label_name_ok(struct th_span name)
{
	enum th_key k;
	if (name.n == 0 || (name.n >= 2 && memcmp(name.p, "__", 2) == 0) ||
	    catalog_key_from_name(name, &k))
		return false;
	static const char *const taken[] = {"rule", "severity", "group"};
	for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
		if (name.n == strlen(taken[i]) &&
		    memcmp(name.p, taken[i], name.n) == 0)
			return false;
	for (size_t i = 0; i < name.n; i++)
		if (!label_char(name.p[i], i == 0))
			return false;
	return true;
}

/* ---- which groups have a series ----------------------------------------- */

struct ranked {
	uint64_t events;
	size_t index;
};

static int by_events(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	if (a->events != b->events)
		return a->events > b->events ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

void metrics_pick_top(const uint64_t *events, size_t n, bool *top)
{
	struct ranked *r = xcalloc(n ? n : 1, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		r[i] = (struct ranked){events[i], i};
		top[i] = false;
	}
	qsort(r, n, sizeof *r, by_events);
	for (size_t i = 0; i < n && i < TH_METRICS_GROUP_SERIES; i++)
		top[r[i].index] = r[i].events > 0;
	free(r);
}
