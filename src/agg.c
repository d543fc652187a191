/* agg.c - group events by the --group-by fields; see agg.h.
 *
 * Groups live in an open-addressing hash table (linear probing, power-of-two
 * size, at most half full) keyed by XXH3 of the key values, and in an
 * array in creation order that agg_sorted() sorts a copy of. Each group
 * keeps what callers see (struct th_group) plus what ordering needs: its
 * hash and the input positions of its first and last events.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strverscmp, qsort_r */
#endif
#include "agg.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "diag.h"
#include "isotime.h"

/* Slots of a new table; it doubles whenever it would be half full. */
#define AGG_TABLE_START 64

struct group {
	struct th_group g; /* first member: callers get &group->g */
	uint64_t hash;
	size_t first_input, last_input; /* input_index of first / last */
};

struct th_agg {
	const struct th_catalog *catalog;
	size_t n_rules;
	enum th_key keys[TH_KEY_COUNT];
	enum th_field key_field[TH_KEY_COUNT]; /* of keys[i] */
	size_t n_keys;
	struct group **table; /* table_cap slots, NULL when empty */
	size_t table_cap;
	struct group **groups; /* creation order */
	size_t n_groups, groups_cap;
	const struct th_group **sorted;
	char *text; /* scratch for an example: TH_MAX_EXAMPLE + 1 bytes */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Version order (Task-2 before Task-10), made total by byte order for the
 * strings strverscmp calls equal, so sorting never depends on arrival.
 * Values compared mostly share a long start ("/srv/app/handlers.py:"):
 * strverscmp, reading from the start, is in its first state again after
 * every byte that is not a digit, so the shared start up to its last such
 * byte is skipped before it is called (it reads a byte at a time, about
 * three times as slowly as the loop below). */
static int vers_cmp(const char *x, const char *y)
{
	size_t same = 0;
	while (x[same] == y[same] && x[same] != '\0')
		same++;
	while (same > 0 && is_digit(x[same - 1]))
		same--;
	int c = strverscmp(x + same, y + same);
	return c != 0 ? c : strcmp(x, y);
}

struct th_agg *agg_new(const struct th_catalog *catalog,
		       const enum th_key *keys, size_t n_keys)
{
	if (n_keys > TH_KEY_COUNT)
		die("agg_new: %zu group-by keys (at most %d)", n_keys,
		    TH_KEY_COUNT);
	struct th_agg *a = xcalloc(1, sizeof *a);
	a->catalog = catalog;
	a->n_rules = catalog_rule_count(catalog);
	memcpy(a->keys, keys, n_keys * sizeof *keys);
	for (size_t i = 0; i < n_keys; i++) /* rule, input: TH_F_COUNT */
		catalog_key_field(keys[i], &a->key_field[i]);
	a->n_keys = n_keys;
	a->table_cap = AGG_TABLE_START;
	a->table = xcalloc(a->table_cap, sizeof *a->table);
	a->text = xmalloc(TH_MAX_EXAMPLE + 1);
	return a;
}

/* Frees a capped list's values and array. */
static void capped_fini(struct th_capped *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

/* Frees the group and every string it holds. */
static void group_free(struct group *grp)
{
	struct th_group *g = &grp->g;
	for (size_t k = 0; k < TH_KEY_COUNT; k++)
		free(g->key[k]);
	free(g->rule_counts);
	for (size_t i = 0; i < g->n_exceptions; i++)
		free(g->exceptions[i].name);
	free(g->exceptions);
	capped_fini(&g->tasks);
	capped_fini(&g->defined_at);
	free(g->first.input);
	free(g->last.input);
	free(g->example);
	free(grp);
}

void agg_free(struct th_agg *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_groups; i++)
		group_free(a->groups[i]);
	free(a->groups);
	free(a->table);
	free(a->sorted);
	free(a->text);
	free(a);
}

void agg_set_novelty(struct th_agg *a, const struct th_group *g,
		     enum th_novelty n)
{
	(void)a;
	/* G is one of A's own groups, handed out const to readers. */
	((struct th_group *)g)->novelty = n;
}

bool agg_time_span(const struct th_agg *a, int64_t *start, int64_t *end)
{
	bool any = false;
	for (size_t i = 0; i < a->n_groups; i++) {
		const struct th_group *g = &a->groups[i]->g;
		int64_t s, e;
		struct th_instant t;
		if (!timeline_extent(&g->timeline, &s, &e))
			continue;
		/* The events' own seconds where known: bucket edges would
		 * widen the span to a multiple of the bucket width. */
		if (isotime_instant(&g->first.time, &t))
			s = t.sec;
		if (isotime_instant(&g->last.time, &t))
			e = t.sec + 1;
		*start = !any || s < *start ? s : *start;
		*end = !any || e > *end ? e : *end;
		any = true;
	}
	return any;
}

size_t agg_keys(const struct th_agg *a, const enum th_key **keys)
{
	*keys = a->keys;
	return a->n_keys;
}

/* A C string's span, or {NULL, 0} for NULL. */
static struct th_span cstr_span(const char *s)
{
	return (struct th_span){s, s ? strlen(s) : 0};
}

/* The event's value for group-by key I: {NULL, 0} when unset. The span is
 * valid as long as EV and the catalog are, and stops at the first NUL
 * byte. */
static struct th_span event_key(const struct th_agg *a,
				const struct th_event *ev, size_t i)
{
	if (a->keys[i] == TH_KEY_RULE)
		return cstr_span(catalog_rule_id(a->catalog, ev->rule));
	if (a->keys[i] == TH_KEY_INPUT)
		return cstr_span(ev->input);
	struct th_span v = event_get(ev, a->key_field[i]);
	if (v.p != NULL)
		v.n = strnlen(v.p, v.n);
	return v;
}

/* XXH3 of each key value in turn, seeded with the hash of the values
 * before it, and for a NULL one with that hash plus one (so NULL and ""
 * differ): one call a value, where a streaming state took three and a
 * digest. A collision costs only a comparison in table_slot. */
static uint64_t key_hash(const struct th_agg *a, const struct th_span *vals)
{
	uint64_t h = 0;
	for (size_t i = 0; i < a->n_keys; i++) {
		bool present = vals[i].p != NULL;
		h = XXH3_64bits_withSeed(present ? vals[i].p : "", vals[i].n,
					 h + !present);
	}
	return h;
}

/* True when the group's keys are exactly VALS (NULL only matches NULL). */
static bool key_equal(const struct th_agg *a, const struct group *grp,
		      const struct th_span *vals)
{
	for (size_t i = 0; i < a->n_keys; i++) {
		const char *have = grp->g.key[a->keys[i]];
		if ((have == NULL) != (vals[i].p == NULL))
			return false;
		if (have != NULL && (strlen(have) != vals[i].n ||
				     memcmp(have, vals[i].p, vals[i].n) != 0))
			return false;
	}
	return true;
}

/* The slot holding the group with these key values, or the empty slot
 * where it belongs. The table is never full, so the probe ends. */
static struct group **table_slot(struct th_agg *a, uint64_t hash,
				 const struct th_span *vals)
{
	size_t mask = a->table_cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct group *grp = a->table[i];
		if (grp == NULL ||
		    (grp->hash == hash && key_equal(a, grp, vals)))
			return &a->table[i];
	}
}

/* Doubles the table and reinserts every group by its stored hash. */
static void table_grow(struct th_agg *a)
{
	size_t cap = a->table_cap * 2, mask = cap - 1;
	struct group **table = xcalloc(cap, sizeof *table);
	for (size_t g = 0; g < a->n_groups; g++) {
		size_t i = a->groups[g]->hash & mask;
		while (table[i] != NULL)
			i = (i + 1) & mask;
		table[i] = a->groups[g];
	}
	free(a->table);
	a->table = table;
	a->table_cap = cap;
}

/* A new, empty group holding copies of the key values; it is in neither
 * the table nor the list yet. */
static struct group *group_new(const struct th_agg *a, uint64_t hash,
			       const struct th_span *vals)
{
	struct group *grp = xcalloc(1, sizeof *grp);
	grp->hash = hash;
	for (size_t i = 0; i < a->n_keys; i++) {
		char **key = &grp->g.key[a->keys[i]];
		if (vals[i].p != NULL && *key == NULL)
			*key = xstrndup(vals[i].p, vals[i].n);
	}
	grp->g.rule_counts = xcalloc(a->n_rules, sizeof *grp->g.rule_counts);
	return grp;
}

/* Adds a value to a capped list unless it is there already. The list keeps
 * its TH_MAX_LIST smallest values: one that sorts after every kept value
 * of a full list, or that pushes the largest out, sets L->capped. */
static void capped_add(struct th_capped *l, const char *v)
{
	/* A full list's new values mostly sort after all it keeps (task
	 * names count up): one comparison with the last rules them out. */
	if (l->n == TH_MAX_LIST && vers_cmp(l->items[l->n - 1], v) < 0) {
		l->capped = true;
		return;
	}
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = vers_cmp(l->items[mid], v);
		if (c == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (l->n == TH_MAX_LIST) {
		l->capped = true;
		if (lo == TH_MAX_LIST)
			return;
		free(l->items[--l->n]);
	}
	if (l->items == NULL)
		l->items = xmalloc(TH_MAX_LIST * sizeof *l->items);
	memmove(&l->items[lo + 1], &l->items[lo],
		(l->n - lo) * sizeof *l->items);
	l->items[lo] = xstrdup(v);
	l->n++;
}

/* True when X belongs before Y in a group's exception list. */
static bool count_before(const struct th_count *x, const struct th_count *y)
{
	if (x->count != y->count)
		return x->count > y->count;
	return vers_cmp(x->name, y->name) < 0;
}

/* Counts one event with exception NAME. A name that does not fit in a full
 * list is counted in exceptions_other; the list stays sorted. */
static void exception_add(struct th_group *g, const char *name)
{
	size_t i = 0;
	while (i < g->n_exceptions && strcmp(g->exceptions[i].name, name) != 0)
		i++;
	if (i == g->n_exceptions) {
		if (i == TH_MAX_LIST) {
			g->exceptions_other++;
			return;
		}
		if (g->exceptions == NULL)
			g->exceptions =
			    xmalloc(TH_MAX_LIST * sizeof *g->exceptions);
		g->exceptions[i] = (struct th_count){xstrdup(name), 0};
		g->n_exceptions++;
	}
	g->exceptions[i].count++;
	for (; i > 0 && count_before(&g->exceptions[i], &g->exceptions[i - 1]);
	     i--) {
		struct th_count t = g->exceptions[i];
		g->exceptions[i] = g->exceptions[i - 1];
		g->exceptions[i - 1] = t;
	}
}

/* Positions are ordered by time, an event without one before every event
 * with one, then by input, then by line. The order must be total, or
 * which event is "first" would depend on the order events arrive in and
 * merged reports would differ from whole ones. */
static int position_cmp(const struct th_time *x_time, size_t x_input,
			uint64_t x_line, const struct th_time *y_time,
			size_t y_input, uint64_t y_line)
{
	bool xt = isotime_known(x_time), yt = isotime_known(y_time);
	if (xt != yt)
		return xt ? 1 : -1;
	if (xt) {
		/* as the printed times sort: a report read back by merge
		 * must order its events as the scan did */
		int c = isotime_order(x_time, y_time);
		if (c != 0)
			return c;
	}
	if (x_input != y_input)
		return x_input < y_input ? -1 : 1;
	return (x_line > y_line) - (x_line < y_line);
}

/* Orders an event's position against a group's first or last. */
static int where_cmp(const struct th_event *ev, const struct th_where *w,
		     size_t w_input)
{
	return position_cmp(&ev->time, ev->input_index, ev->line, &w->time,
			    w_input, w->line);
}

/* Makes W name INPUT: a copy, kept when it names the same one
 * already (a group's events mostly come from one input). */
static void where_set_input(struct th_where *w, const char *input)
{
	if (w->input != NULL && input != NULL && strcmp(w->input, input) == 0)
		return;
	free(w->input);
	w->input = input ? xstrdup(input) : NULL;
}

/* Makes W name EV's position, with copies of its input name and time. */
static void where_set(struct th_where *w, const struct th_event *ev)
{
	where_set_input(w, ev->input);
	w->line = ev->line;
	w->time = ev->time;
}

/* Length of the longest prefix of P[0..N) that does not end inside a
 * UTF-8 sequence; N is where the text was cut, bytes past it are gone. */
static size_t utf8_cut(const char *p, size_t n)
{
	size_t start = n;
	while (start > 0 && n - start < 4 &&
	       ((unsigned char)p[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return n;
	unsigned char lead = (unsigned char)p[start - 1];
	size_t need = lead >= 0xF0   ? 4
		      : lead >= 0xE0 ? 3
		      : lead >= 0xC0 ? 2
				     : 1;
	return need > 1 && start - 1 + need > n ? start - 1 : n;
}

/* Replaces the group's example with EV's text cut to TH_MAX_EXAMPLE. */
static void example_set(struct th_agg *a, struct th_group *g,
			const struct th_event *ev)
{
	size_t n = event_text(ev, a->text, TH_MAX_EXAMPLE + 1);
	if (n > TH_MAX_EXAMPLE)
		n = utf8_cut(a->text, TH_MAX_EXAMPLE);
	free(g->example);
	g->example = xstrndup(a->text, n);
	g->example_len = n;
}

/* Moves first / last (and the example with first) when EV is earlier /
 * later. A group's first event sets both. */
static void group_where(struct th_agg *a, struct group *grp,
			const struct th_event *ev)
{
	struct th_group *g = &grp->g;
	if (g->count == 1 || where_cmp(ev, &g->first, grp->first_input) < 0) {
		where_set(&g->first, ev);
		grp->first_input = ev->input_index;
		example_set(a, g, ev);
	}
	if (g->count == 1 || where_cmp(ev, &g->last, grp->last_input) > 0) {
		where_set(&g->last, ev);
		grp->last_input = ev->input_index;
	}
}

/* A field's value as a C string, or NULL when unset: event values are
 * NUL-terminated, so a value holding a NUL byte ends there, as keys do. */
static const char *field_cstr(const struct th_event *ev, enum th_field f)
{
	return event_has(ev, f) ? ev->fields[f].v : NULL;
}

/* Counts EV in its group: totals, lists, severity, first and last. */
static void group_count(struct th_agg *a, struct group *grp,
			const struct th_event *ev)
{
	struct th_group *g = &grp->g;
	enum th_severity sev = catalog_rule_severity(a->catalog, ev->rule);
	g->count++;
	g->rule_counts[ev->rule]++;
	if (g->count == 1 || sev > g->severity)
		g->severity = sev;
	const char *v;
	if ((v = field_cstr(ev, TH_F_EXCEPTION)) != NULL)
		exception_add(g, v);
	if ((v = field_cstr(ev, TH_F_TASK)) != NULL)
		capped_add(&g->tasks, v);
	if ((v = field_cstr(ev, TH_F_DEFINED_AT)) != NULL)
		capped_add(&g->defined_at, v);
	struct th_instant at;
	if (isotime_instant(&ev->time, &at))
		timeline_add(&g->timeline, at.sec, 1);
	group_where(a, grp, ev);
}

/* Puts a new group in the list and in the empty table slot found for it,
 * growing the table when it gets half full (which moves every slot). */
static void group_insert(struct th_agg *a, struct group **slot,
			 struct group *grp)
{
	if (a->n_groups == a->groups_cap) {
		a->groups_cap = a->groups_cap ? a->groups_cap * 2 : 64;
		a->groups =
		    xrealloc(a->groups, a->groups_cap * sizeof *a->groups);
	}
	a->groups[a->n_groups++] = grp;
	*slot = grp;
	if (a->n_groups * 2 >= a->table_cap)
		table_grow(a);
}

bool agg_add(struct th_agg *a, const struct th_event *ev)
{
	if (ev->rule >= a->n_rules)
		die("agg_add: rule %zu of %zu", ev->rule, a->n_rules);
	struct th_span vals[TH_KEY_COUNT];
	for (size_t i = 0; i < a->n_keys; i++)
		vals[i] = event_key(a, ev, i);
	uint64_t hash = key_hash(a, vals);
	struct group **slot = table_slot(a, hash, vals);
	struct group *grp = *slot;
	if (grp == NULL) {
		if (a->n_groups == TH_MAX_GROUPS)
			return false;
		grp = group_new(a, hash, vals);
		group_insert(a, slot, grp);
	}
	group_count(a, grp, ev);
	return true;
}

/* Orders two groups' positions like where_cmp. */
static int where_cmp_where(const struct th_where *x, size_t x_input,
			   const struct th_where *y, size_t y_input)
{
	return position_cmp(&x->time, x_input, x->line, &y->time, y_input,
			    y->line);
}

static void where_copy(struct th_where *dst, const struct th_where *src,
		       uint64_t line_shift)
{
	free(dst->input);
	dst->input = src->input ? xstrdup(src->input) : NULL;
	dst->line = src->line + line_shift;
	dst->time = src->time;
}

/* Counts N events with exception NAME (see exception_add). */
static void exception_add_n(struct th_group *g, const char *name, uint64_t n)
{
	if (n == 0)
		return;
	exception_add(g, name);
	size_t i = 0;
	while (i < g->n_exceptions && strcmp(g->exceptions[i].name, name) != 0)
		i++;
	if (i == g->n_exceptions) {
		g->exceptions_other += n - 1;
		return;
	}
	g->exceptions[i].count += n - 1;
	for (; i > 0 && count_before(&g->exceptions[i], &g->exceptions[i - 1]);
	     i--) {
		struct th_count t = g->exceptions[i];
		g->exceptions[i] = g->exceptions[i - 1];
		g->exceptions[i - 1] = t;
	}
}

static void capped_merge(struct th_capped *dst, const struct th_capped *src)
{
	for (size_t i = 0; i < src->n; i++)
		capped_add(dst, src->items[i]);
	dst->capped = dst->capped || src->capped;
}

/* Orders two examples by their bytes: the tie-break between two events
 * at the same position, so merging stays commutative. */
static int example_cmp(const char *x, size_t xn, const char *y, size_t yn)
{
	int c = memcmp(x ? x : "", y ? y : "", xn < yn ? xn : yn);
	return c != 0 ? c : (xn > yn) - (xn < yn);
}

/* Takes SRC's first (and example) and last where they are earlier and
 * later than GRP's; FRESH: GRP had no events yet. */
static void group_widen(struct group *grp, const struct th_group *src,
			size_t first_input, size_t last_input,
			uint64_t line_shift, bool fresh)
{
	struct th_group *g = &grp->g;
	struct th_where f = src->first, l = src->last;
	f.line += line_shift;
	l.line += line_shift;
	int cf = fresh ? -1
		       : where_cmp_where(&f, first_input, &g->first,
					 grp->first_input);
	if (cf == 0)
		cf = example_cmp(src->example, src->example_len, g->example,
				 g->example_len);
	if (cf < 0) {
		where_copy(&g->first, &src->first, line_shift);
		grp->first_input = first_input;
		free(g->example);
		g->example = xstrndup(src->example ? src->example : "",
				      src->example ? src->example_len : 0);
		g->example_len = src->example ? src->example_len : 0;
	}
	int cl =
	    fresh ? 1
		  : where_cmp_where(&l, last_input, &g->last, grp->last_input);
	if (cl > 0) {
		where_copy(&g->last, &src->last, line_shift);
		grp->last_input = last_input;
	}
}

/* Merges SRC into GRP; see agg_add_group. */
static void group_merge(struct th_agg *a, struct group *grp,
			const struct th_group *src, size_t first_input,
			size_t last_input, uint64_t line_shift)
{
	struct th_group *g = &grp->g;
	bool fresh = g->count == 0;
	g->count += src->count;
	for (size_t r = 0; r < a->n_rules; r++)
		g->rule_counts[r] += src->rule_counts[r];
	if (fresh || src->severity > g->severity)
		g->severity = src->severity;
	for (size_t i = 0; i < src->n_exceptions; i++)
		exception_add_n(g, src->exceptions[i].name,
				src->exceptions[i].count);
	g->exceptions_other += src->exceptions_other;
	capped_merge(&g->tasks, &src->tasks);
	capped_merge(&g->defined_at, &src->defined_at);
	timeline_merge(&g->timeline, &src->timeline);
	group_widen(grp, src, first_input, last_input, line_shift, fresh);
}

/* The group for G's key values in A, made when new; NULL when it is new
 * and A is full. */
static struct group *group_for(struct th_agg *a, const struct th_group *g)
{
	struct th_span vals[TH_KEY_COUNT];
	for (size_t i = 0; i < a->n_keys; i++)
		vals[i] = cstr_span(g->key[a->keys[i]]);
	uint64_t hash = key_hash(a, vals);
	struct group **slot = table_slot(a, hash, vals);
	if (*slot != NULL)
		return *slot;
	if (a->n_groups == TH_MAX_GROUPS)
		return NULL;
	struct group *grp = group_new(a, hash, vals);
	group_insert(a, slot, grp);
	return grp;
}

bool agg_add_group(struct th_agg *a, const struct th_group *g,
		   size_t first_input, size_t last_input)
{
	struct group *grp = group_for(a, g);
	if (grp == NULL)
		return false;
	group_merge(a, grp, g, first_input, last_input, 0);
	return true;
}

size_t agg_merge(struct th_agg *dst, const struct th_agg *src, size_t input,
		 uint64_t line_base)
{
	size_t dropped = 0;
	for (size_t i = 0; i < src->n_groups; i++) {
		const struct group *s = src->groups[i];
		struct group *grp = group_for(dst, &s->g);
		if (grp == NULL) {
			dropped += s->g.count;
			continue;
		}
		/* Only positions in INPUT move; one range scans one input. */
		uint64_t shift = s->first_input == input ? line_base : 0;
		group_merge(dst, grp, &s->g, s->first_input, s->last_input,
			    shift);
	}
	return dropped;
}

/* qsort_r order of agg_sorted(): count descending, then the key values in
 * group-by order, NULL first. Distinct groups never compare equal. */
static int group_cmp(const void *px, const void *py, void *pa)
{
	const struct th_group *x = *(const struct th_group *const *)px;
	const struct th_group *y = *(const struct th_group *const *)py;
	const struct th_agg *a = pa;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	for (size_t i = 0; i < a->n_keys; i++) {
		const char *kx = x->key[a->keys[i]], *ky = y->key[a->keys[i]];
		if (kx == NULL || ky == NULL) {
			if (kx != ky)
				return kx == NULL ? -1 : 1;
			continue;
		}
		int c = vers_cmp(kx, ky);
		if (c != 0)
			return c;
	}
	return 0;
}

size_t agg_sorted(struct th_agg *a, const struct th_group *const **out)
{
	free(a->sorted);
	a->sorted =
	    xmalloc((a->n_groups ? a->n_groups : 1) * sizeof *a->sorted);
	for (size_t i = 0; i < a->n_groups; i++)
		a->sorted[i] = &a->groups[i]->g;
	qsort_r(a->sorted, a->n_groups, sizeof *a->sorted, group_cmp, a);
	*out = a->sorted;
	return a->n_groups;
}
