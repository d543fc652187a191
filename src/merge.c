/* merge.c - the report reader; see merge.h.
 *
 * One traversal of a report serves both passes: it checks every field it
 * reads, and on the first pass notes keys, ids and input names, on the
 * second adds the values up. The catalog the aggregate and the sinks use
 * holds the rule ids and ignore rule ids the reports name, sorted, so the
 * aggregate counts per rule index and the sinks print the ids.
 */
#include "merge.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "isotime.h"
#include "text.h"
#include "th_limits.h"

static const char schema[] = "tracehound.report/1";

struct th_merge {
	/* first pass: sets (object keys) of what the reports name */
	json_t *rule_ids, *ignore_ids, *input_names, *labels;
	enum th_key keys[TH_KEY_COUNT];
	size_t n_keys;
	bool have_keys, keys_disagree;
	char *keys_from; /* the report that set the keys */

	/* second pass */
	bool prepared, inputs_sorted;
	struct th_catalog *catalog;
	/* the ids of the catalog's rules and ignore rules, in its (sorted)
	 * order; the names belong to the sets above */
	const char **rule_ids_sorted, **ignore_ids_sorted;
	size_t n_rule_ids, n_ignore_ids;
	const char **labels_sorted; /* the names of LABELS */
	size_t n_labels;
	const char **inputs; /* sorted input names, for positions */
	size_t n_inputs;
	struct th_agg *agg;
	struct th_run run;
};

/* Where in which report a reader is, for messages. */
struct reader {
	struct th_merge *m;
	struct th_error *err;
	const char *name;
	size_t doc; /* 1-based position of the report in its buffer */
	bool add;   /* second pass */
};

static json_t *new_set(void)
{
	json_t *o = json_object();
	if (o == NULL)
		die("out of memory (JSON object)");
	return o;
}

struct th_merge *merge_new(void)
{
	struct th_merge *m = xcalloc(1, sizeof *m);
	m->rule_ids = new_set();
	m->ignore_ids = new_set();
	m->input_names = new_set();
	m->labels = new_set();
	return m;
}

void merge_free(struct th_merge *m)
{
	if (m == NULL)
		return;
	json_decref(m->rule_ids);
	json_decref(m->ignore_ids);
	json_decref(m->input_names);
	json_decref(m->labels);
	free(m->labels_sorted);
	free(m->keys_from);
	free(m->rule_ids_sorted);
	free(m->ignore_ids_sorted);
	free(m->inputs);
	agg_free(m->agg);
	if (m->prepared)
		run_fini(&m->run);
	catalog_free(m->catalog);
	free(m);
}

/* ---- checking values --------------------------------------------------- */

/* Records "NAME: report N: PATH: message" and returns false. */
__attribute__((format(printf, 3, 4))) static bool
fail(struct reader *rd, const char *path, const char *fmt, ...)
{
	char msg[768], doc[48] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rd->doc > 1)
		snprintf(doc, sizeof doc, "report %zu: ", rd->doc);
	th_error_set(rd->err, rd->name, 0, 0, "%s%s%s%s", doc, path,
		     path[0] ? ": " : "", msg);
	return false;
}

/* Room for an id or name from a report in a message: 64 bytes, cut by
 * text_cut (never inside a character), and "…". */
#define MERGE_CUT (64 + 4)

/* "a string", "null", ... for messages. */
static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* OBJ[KEY], which must be there; PATH names OBJ. */
static json_t *member(struct reader *rd, json_t *obj, const char *path,
		      const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL)
		fail(rd, path, "no \"%s\" field: not a whole report", key);
	return v;
}

static bool want_type(struct reader *rd, const json_t *v, const char *path,
		      json_type type, const char *what)
{
	if (v != NULL && json_typeof(v) == type)
		return true;
	return v != NULL &&
	       fail(rd, path, "expected %s, got %s", what, type_name(v));
}

static bool want_uint(struct reader *rd, const json_t *v, const char *path,
		      uint64_t *out)
{
	if (v == NULL)
		return false;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail(rd, path,
			    "expected a count (an integer >= 0), "
			    "got %s",
			    json_is_integer(v) ? "a negative one"
					       : type_name(v));
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* A string without NUL characters (names, ids, keys), or null when
 * NULL_OK (then *OUT is NULL). */
static bool want_name(struct reader *rd, const json_t *v, const char *path,
		      bool null_ok, const char **out)
{
	*out = NULL;
	if (v == NULL)
		return false;
	if (null_ok && json_is_null(v))
		return true;
	if (!json_is_string(v))
		return fail(rd, path, "expected a string%s, got %s",
			    null_ok ? " or null" : "", type_name(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(rd, path, "a NUL character in a name");
	*out = json_string_value(v);
	return true;
}

/* Rule and ignore rule ids are what rule files allow. */
static bool check_id(struct reader *rd, const char *id, const char *path)
{
	if (catalog_id_valid((struct th_span){id, strlen(id)}))
		return true;
	if (id[0] == '\0')
		return fail(rd, path, "an empty rule id");
	char cut[MERGE_CUT];
	return fail(rd, path,
		    "'%s' is not a rule id (letters, digits, '_', '.' and "
		    "'-')",
		    text_cut(cut, sizeof cut, id));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void set_add(json_t *set, const char *name)
{
	if (json_object_get(set, name) == NULL &&
	    json_object_set_new(set, name, json_true()) != 0)
		die("out of memory (JSON object)");
}

/* Index of ID in the sorted IDS, or -1. */
static long id_find(const char *const *ids, size_t n, const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ids[mid], id);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* What the second pass finds that the first did not see: the file
 * changed in between. */
static bool changed(struct reader *rd, const char *path)
{
	return fail(rd, path, "changed while it was being merged");
}

/* ---- scanned, events, ignored, skipped ----------------------------------- */

static bool read_input(struct reader *rd, json_t *in, const char *path)
{
	char p[96];
	const char *name, *error = NULL;
	uint64_t lines, bytes;
	if (!want_type(rd, in, path, JSON_OBJECT, "an object"))
		return false;
	snprintf(p, sizeof p, "%s.name", path);
	bool ok = want_name(rd, member(rd, in, path, "name"), p, false, &name);
	snprintf(p, sizeof p, "%s.lines", path);
	ok = ok && want_uint(rd, member(rd, in, path, "lines"), p, &lines);
	snprintf(p, sizeof p, "%s.bytes", path);
	ok = ok && want_uint(rd, member(rd, in, path, "bytes"), p, &bytes);
	json_t *e = json_object_get(in, "error");
	snprintf(p, sizeof p, "%s.error", path);
	ok = ok && (e == NULL || want_name(rd, e, p, true, &error));
	if (!ok)
		return false;
	if (!rd->add) {
		set_add(rd->m->input_names, name);
		return true;
	}
	struct th_run *run = &rd->m->run;
	size_t index = run_add_input(run, name); /* may move run->inputs */
	struct th_run_input *ri = &run->inputs[index];
	ri->lines = lines;
	ri->bytes = bytes;
	ri->error = error ? xstrdup(error) : NULL;
	rd->m->inputs_sorted = false;
	return true;
}

static bool read_scanned(struct reader *rd, json_t *doc)
{
	json_t *s = member(rd, doc, "", "scanned");
	if (!want_type(rd, s, "scanned", JSON_OBJECT, "an object"))
		return false;
	json_t *inputs = member(rd, s, "scanned", "inputs");
	uint64_t total;
	if (!want_type(rd, inputs, "scanned.inputs", JSON_ARRAY, "a list") ||
	    !want_uint(rd, member(rd, s, "scanned", "lines"), "scanned.lines",
		       &total) ||
	    !want_uint(rd, member(rd, s, "scanned", "bytes"), "scanned.bytes",
		       &total))
		return false;
	for (size_t i = 0; i < json_array_size(inputs); i++) {
		char path[64];
		snprintf(path, sizeof path, "scanned.inputs[%zu]", i);
		if (!read_input(rd, json_array_get(inputs, i), path))
			return false;
	}
	return true;
}

static bool read_ignored(struct reader *rd, json_t *doc)
{
	json_t *ig = member(rd, doc, "", "ignored");
	if (!want_type(rd, ig, "ignored", JSON_OBJECT, "an object"))
		return false;
	const char *id;
	json_t *v;
	json_object_foreach(ig, id, v)
	{
		char path[96], cut[MERGE_CUT];
		uint64_t n;
		snprintf(path, sizeof path, "ignored.%s",
			 text_cut(cut, sizeof cut, id));
		if (!check_id(rd, id, "ignored") || !want_uint(rd, v, path, &n))
			return false;
		if (!rd->add) {
			set_add(rd->m->ignore_ids, id);
			continue;
		}
		long i =
		    id_find(rd->m->ignore_ids_sorted, rd->m->n_ignore_ids, id);
		if (i < 0)
			return changed(rd, path);
		rd->m->run.ignored[i] = add_sat(rd->m->run.ignored[i], n);
	}
	return true;
}

static bool read_skipped(struct reader *rd, json_t *doc)
{
	struct th_run *run = &rd->m->run;
	struct {
		const char *name;
		uint64_t *total;
	} counters[] = {
	    {"lines_truncated", &run->counts.lines_truncated},
	    {"events_truncated", &run->counts.events_truncated},
	    {"events_incomplete", &run->counts.events_incomplete},
	    {"match_errors", &run->counts.match_errors},
	    {"groups_dropped", &run->counts.groups_dropped},
	};
	json_t *sk = member(rd, doc, "", "skipped");
	if (!want_type(rd, sk, "skipped", JSON_OBJECT, "an object"))
		return false;
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		char path[64];
		uint64_t n;
		snprintf(path, sizeof path, "skipped.%s", counters[i].name);
		if (!want_uint(rd, member(rd, sk, "skipped", counters[i].name),
			       path, &n))
			return false;
		if (rd->add)
			*counters[i].total = add_sat(*counters[i].total, n);
	}
	return true;
}

/* ---- groups ------------------------------------------------------------ */

/* "coroutine,rule" for messages. */
static void keys_text(const enum th_key *keys, size_t n, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0, at = 0; i < n && at < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? "," : "",
				       catalog_key_name(keys[i]));
}

static bool same_key_set(const enum th_key *a, size_t na, const enum th_key *b,
			 size_t nb)
{
	unsigned ma = 0, mb = 0;
	for (size_t i = 0; i < na; i++)
		ma |= 1u << a[i];
	for (size_t i = 0; i < nb; i++)
		mb |= 1u << b[i];
	return na == nb && ma == mb;
}

/* The group-by keys of one group against those of the reports so far. */
static bool check_keys(struct reader *rd, const enum th_key *keys, size_t n)
{
	struct th_merge *m = rd->m;
	if (!m->have_keys && !rd->add) {
		memcpy(m->keys, keys, n * sizeof *keys);
		m->n_keys = n;
		m->have_keys = true;
		m->keys_from = xstrdup(rd->name);
		return true;
	}
	if (!m->have_keys || !same_key_set(keys, n, m->keys, m->n_keys)) {
		char mine[128], theirs[128];
		keys_text(keys, n, mine, sizeof mine);
		keys_text(m->keys, m->n_keys, theirs, sizeof theirs);
		if (rd->add)
			return changed(rd, "groups");
		return fail(rd, "groups",
			    "grouped by %s, but %s is grouped by %s: only "
			    "reports grouped by the same keys (--group-by) "
			    "can be merged",
			    mine, m->keys_from, theirs);
	}
	if (memcmp(keys, m->keys, n * sizeof *keys) != 0)
		m->keys_disagree = true;
	return true;
}

/* Every group-by key, "coroutine, rule, ...", into BUF. */
static const char *all_keys_text(char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t k = 0, at = 0; k < TH_KEY_COUNT && at < cap; k++)
		at +=
		    (size_t)snprintf(buf + at, cap - at, "%s%s", k ? ", " : "",
				     catalog_key_name((enum th_key)k));
	return buf;
}

/* "key": the group-by fields, each a string or null, into G->key. */
static bool read_key(struct reader *rd, json_t *key, const char *path,
		     struct th_group *g)
{
	enum th_key keys[TH_KEY_COUNT];
	size_t n = 0;
	char p[96], all[128];
	snprintf(p, sizeof p, "%s.key", path);
	if (!want_type(rd, key, p, JSON_OBJECT, "an object"))
		return false;
	const char *name;
	json_t *v;
	json_object_foreach(key, name, v)
	{
		enum th_key k;
		char cut[MERGE_CUT];
		text_cut(cut, sizeof cut, name);
		if (!catalog_key_from_name((struct th_span){name, strlen(name)},
					   &k))
			return fail(rd, p, "'%s' is not a group-by key (%s)",
				    cut, all_keys_text(all, sizeof all));
		char vp[96 + MERGE_CUT + 1];
		snprintf(vp, sizeof vp, "%s.%s", p, cut);
		const char *val;
		if (!want_name(rd, v, vp, true, &val))
			return false;
		g->key[k] = (char *)val; /* only read by agg_add_group */
		keys[n++] = k;
	}
	if (n == 0)
		return fail(rd, p, "no group-by key");
	return check_keys(rd, keys, n);
}

/* "rules": id -> events, into G->rule_counts on the second pass. */
static bool read_rule_counts(struct reader *rd, json_t *rules, const char *path,
			     struct th_group *g)
{
	const char *id;
	json_t *v;
	json_object_foreach(rules, id, v)
	{
		char p[200], cut[MERGE_CUT];
		uint64_t n;
		snprintf(p, sizeof p, "%s.%s", path,
			 text_cut(cut, sizeof cut, id));
		if (!check_id(rd, id, path) || !want_uint(rd, v, p, &n))
			return false;
		if (!rd->add) {
			set_add(rd->m->rule_ids, id);
			continue;
		}
		long r = id_find(rd->m->rule_ids_sorted, rd->m->n_rule_ids, id);
		if (r < 0)
			return changed(rd, p);
		g->rule_counts[r] = add_sat(g->rule_counts[r], n);
	}
	return true;
}

/* "exceptions": name -> events, into G->exceptions (names borrowed). */
static bool read_exceptions(struct reader *rd, json_t *exc, const char *path,
			    struct th_group *g)
{
	const char *name;
	json_t *v;
	g->exceptions = xcalloc(json_object_size(exc), sizeof *g->exceptions);
	json_object_foreach(exc, name, v)
	{
		char p[200], cut[MERGE_CUT];
		uint64_t n;
		snprintf(p, sizeof p, "%s.%s", path,
			 text_cut(cut, sizeof cut, name));
		if (!want_uint(rd, v, p, &n))
			return false;
		g->exceptions[g->n_exceptions++] =
		    (struct th_count){(char *)name, n};
	}
	return true;
}

/* "tasks" / "defined_at": a list of strings (borrowed into L). */
static bool read_list(struct reader *rd, json_t *list, const char *path,
		      struct th_capped *l)
{
	if (!want_type(rd, list, path, JSON_ARRAY, "a list"))
		return false;
	l->items = xcalloc(json_array_size(list), sizeof *l->items);
	for (size_t i = 0; i < json_array_size(list); i++) {
		char p[128];
		const char *v;
		snprintf(p, sizeof p, "%s[%zu]", path, i);
		if (!want_name(rd, json_array_get(list, i), p, false, &v))
			return false;
		l->items[l->n++] = (char *)v;
	}
	return true;
}

static bool read_severity(struct reader *rd, json_t *v, const char *path,
			  enum th_severity *out)
{
	static const char *const names[] = {"info", "warning", "error"};
	const char *s;
	if (!want_name(rd, v, path, false, &s))
		return false;
	for (size_t i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum th_severity)i;
			return true;
		}
	return fail(rd, path, "expected \"error\", \"warning\" or \"info\"");
}

/* "first" / "last": {input, line, time}. */
static bool read_where(struct reader *rd, json_t *w, const char *path,
		       struct th_where *out)
{
	char p[128];
	const char *input, *time;
	if (!want_type(rd, w, path, JSON_OBJECT, "an object"))
		return false;
	snprintf(p, sizeof p, "%s.input", path);
	if (!want_name(rd, member(rd, w, path, "input"), p, true, &input))
		return false;
	snprintf(p, sizeof p, "%s.line", path);
	if (!want_uint(rd, member(rd, w, path, "line"), p, &out->line))
		return false;
	snprintf(p, sizeof p, "%s.time", path);
	if (!want_name(rd, member(rd, w, path, "time"), p, true, &time))
		return false;
	if (time != NULL && strlen(time) >= TH_TIME_LEN)
		return fail(rd, p, "not a time (too long)");
	out->time = (struct th_time){0};
	if (time != NULL && !isotime_read_printed(time, &out->time))
		return fail(rd, p, "not a time as tracehound writes one");
	out->input = (char *)input;
	if (input != NULL && !rd->add)
		set_add(rd->m->input_names, input);
	return true;
}

/* "example": any text, cut like the aggregate cuts one (at most
 * TH_MAX_EXAMPLE bytes, on a character boundary: JSON text is UTF-8). */
static bool read_example(struct reader *rd, json_t *v, const char *path,
			 struct th_group *g)
{
	if (!want_type(rd, v, path, JSON_STRING, "a string"))
		return false;
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n > TH_MAX_EXAMPLE) {
		n = TH_MAX_EXAMPLE;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	g->example = (char *)s;
	g->example_len = n;
	return true;
}

/* "culprit" ({"file", "line", "function"} or null), "message" and
 * "source" (a string or null) of the group's first event, into G
 * (borrowed). All are optional: a report written before they existed has
 * none of them. */
static bool read_first_facts(struct reader *rd, json_t *grp, const char *path,
			     struct th_group *g)
{
	char p[128];
	const char *message, *file, *function;
	json_t *m = json_object_get(grp, "message");
	snprintf(p, sizeof p, "%s.message", path);
	if (m != NULL && !want_name(rd, m, p, true, &message))
		return false;
	g->message = m != NULL ? (char *)message : NULL; /* read only */
	const char *source;
	json_t *s = json_object_get(grp, "source");
	snprintf(p, sizeof p, "%s.source", path);
	if (s != NULL && !want_name(rd, s, p, true, &source))
		return false;
	g->source = s != NULL ? (char *)source : NULL;
	json_t *c = json_object_get(grp, "culprit");
	snprintf(p, sizeof p, "%s.culprit", path);
	if (c == NULL || json_is_null(c))
		return true;
	if (!want_type(rd, c, p, JSON_OBJECT, "an object or null"))
		return false;
	char fp[3][160];
	snprintf(fp[0], sizeof fp[0], "%s.file", p);
	snprintf(fp[1], sizeof fp[1], "%s.line", p);
	snprintf(fp[2], sizeof fp[2], "%s.function", p);
	if (!want_name(rd, member(rd, c, p, "file"), fp[0], false, &file) ||
	    !want_uint(rd, member(rd, c, p, "line"), fp[1], &g->culprit.line) ||
	    !want_name(rd, member(rd, c, p, "function"), fp[2], false,
		       &function))
		return false;
	g->culprit.file = (char *)file; /* only read by agg_add_group */
	g->culprit.function = (char *)function;
	return true;
}

/* The optional extras: *_capped, exceptions_other and labels. */
static bool read_extras(struct reader *rd, json_t *grp, const char *path,
			struct th_group *g)
{
	static const char *const flags[] = {"tasks_capped", "defined_at_capped",
					    "labels_capped"};
	bool *to[] = {&g->tasks.capped, &g->defined_at.capped,
		      &g->labels.capped};
	char p[128];
	json_t *labels = json_object_get(grp, "labels");
	snprintf(p, sizeof p, "%s.labels", path);
	if (labels != NULL && !read_list(rd, labels, p, &g->labels))
		return false;
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(grp, flags[i]);
		snprintf(p, sizeof p, "%s.%s", path, flags[i]);
		if (v != NULL && !json_is_boolean(v))
			return fail(rd, p, "expected true or false, got %s",
				    type_name(v));
		*to[i] = v != NULL && json_is_true(v);
	}
	json_t *other = json_object_get(grp, "exceptions_other");
	snprintf(p, sizeof p, "%s.exceptions_other", path);
	return other == NULL || want_uint(rd, other, p, &g->exceptions_other);
}

/* "timeline".counts: at most TH_TIMELINE_BUCKETS counts adding up to no
 * more than the group's events. */
static bool read_timeline_counts(struct reader *rd, json_t *v, const char *path,
				 struct th_group *g)
{
	char p[160];
	uint64_t sum = 0;
	if (!want_type(rd, v, path, JSON_ARRAY, "a list"))
		return false;
	if (json_array_size(v) > TH_TIMELINE_BUCKETS)
		return fail(rd, path, "more than %d buckets",
			    TH_TIMELINE_BUCKETS);
	for (size_t i = 0; i < json_array_size(v); i++) {
		snprintf(p, sizeof p, "%s[%zu]", path, i);
		if (!want_uint(rd, json_array_get(v, i), p,
			       &g->timeline.counts[i]))
			return false;
		sum = add_sat(sum, g->timeline.counts[i]);
	}
	if (sum > g->count)
		return fail(rd, path, "more events (%llu) than the group has",
			    (unsigned long long)sum);
	return true;
}

/* The optional "timeline": {"start", "bucket_seconds", "counts"}; the
 * width a power of two, the start a multiple of it. */
static bool read_timeline(struct reader *rd, json_t *grp, const char *path,
			  struct th_group *g)
{
	char p[3][128];
	json_t *t = json_object_get(grp, "timeline");
	snprintf(p[0], sizeof p[0], "%s.timeline", path);
	if (t == NULL)
		return true;
	if (!want_type(rd, t, p[0], JSON_OBJECT, "an object"))
		return false;
	const char *start;
	struct th_instant at;
	uint64_t w;
	snprintf(p[1], sizeof p[1], "%s.timeline.start", path);
	snprintf(p[2], sizeof p[2], "%s.timeline.bucket_seconds", path);
	if (!want_name(rd, member(rd, t, p[0], "start"), p[1], false, &start) ||
	    !want_uint(rd, member(rd, t, p[0], "bucket_seconds"), p[2], &w))
		return false;
	if (!isotime_parse(start, &at) || at.nsec != 0)
		return fail(rd, p[1], "not a time in whole seconds");
	if (w == 0 || w > TH_TIMELINE_MAX_WIDTH || (w & (w - 1)) != 0 ||
	    at.sec % (int64_t)w != 0)
		return fail(rd, p[2],
			    "not a power of two that the start is a "
			    "multiple of");
	g->timeline.width = w;
	g->timeline.first = at.sec / (int64_t)w;
	snprintf(p[1], sizeof p[1], "%s.timeline.counts", path);
	return read_timeline_counts(rd, member(rd, t, p[0], "counts"), p[1], g);
}

/* Position of input NAME (NULL first) among every input name seen. */
static bool input_position(struct reader *rd, const char *name,
			   const char *path, size_t *out)
{
	struct th_merge *m = rd->m;
	*out = 0;
	if (name == NULL)
		return true;
	size_t lo = 0, hi = m->n_inputs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->inputs[mid], name);
		if (c == 0) {
			*out = mid + 1;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return changed(rd, path);
}

/* Adds a checked group to the aggregate. */
static bool add_group(struct reader *rd, const struct th_group *g,
		      const char *path)
{
	struct th_merge *m = rd->m;
	size_t first, last;
	if (!input_position(rd, g->first.input, path, &first) ||
	    !input_position(rd, g->last.input, path, &last))
		return false;
	agg_add_group(m->agg, g, first, last);
	if ((int)g->severity > m->run.counts.worst)
		m->run.counts.worst = (int)g->severity;
	return true;
}

/* The fields of group G, checked in the order of the README example ("The
 * JSON report"). */
static bool read_group_fields(struct reader *rd, json_t *grp, const char *path,
			      struct th_group *g)
{
	char p[4][96];
	snprintf(p[0], sizeof p[0], "%s.count", path);
	snprintf(p[1], sizeof p[1], "%s.rules", path);
	snprintf(p[2], sizeof p[2], "%s.exceptions", path);
	snprintf(p[3], sizeof p[3], "%s.severity", path);
	json_t *rules = member(rd, grp, path, "rules");
	json_t *exc = member(rd, grp, path, "exceptions");
	if (!read_key(rd, member(rd, grp, path, "key"), path, g) ||
	    !want_uint(rd, member(rd, grp, path, "count"), p[0], &g->count))
		return false;
	if (g->count == 0)
		return fail(rd, p[0], "a group has at least one event");
	if (!want_type(rd, rules, p[1], JSON_OBJECT, "an object") ||
	    !read_rule_counts(rd, rules, p[1], g) ||
	    !want_type(rd, exc, p[2], JSON_OBJECT, "an object") ||
	    !read_exceptions(rd, exc, p[2], g) ||
	    !read_severity(rd, member(rd, grp, path, "severity"), p[3],
			   &g->severity))
		return false;
	snprintf(p[0], sizeof p[0], "%s.tasks", path);
	snprintf(p[1], sizeof p[1], "%s.defined_at", path);
	snprintf(p[2], sizeof p[2], "%s.first", path);
	snprintf(p[3], sizeof p[3], "%s.last", path);
	char ep[96];
	snprintf(ep, sizeof ep, "%s.example", path);
	return read_list(rd, member(rd, grp, path, "tasks"), p[0], &g->tasks) &&
	       read_list(rd, member(rd, grp, path, "defined_at"), p[1],
			 &g->defined_at) &&
	       read_where(rd, member(rd, grp, path, "first"), p[2],
			  &g->first) &&
	       read_where(rd, member(rd, grp, path, "last"), p[3], &g->last) &&
	       read_example(rd, member(rd, grp, path, "example"), ep, g) &&
	       read_first_facts(rd, grp, path, g) &&
	       read_extras(rd, grp, path, g) && read_timeline(rd, grp, path, g);
}

static bool read_group(struct reader *rd, json_t *grp, size_t i)
{
	char path[48];
	snprintf(path, sizeof path, "groups[%zu]", i);
	if (!want_type(rd, grp, path, JSON_OBJECT, "an object"))
		return false;
	struct th_group g = {0};
	if (rd->add)
		g.rule_counts =
		    xcalloc(rd->m->n_rule_ids + 1, sizeof *g.rule_counts);
	bool ok = read_group_fields(rd, grp, path, &g);
	if (ok && rd->add)
		ok = add_group(rd, &g, path);
	free(g.rule_counts);
	free(g.exceptions);
	free(g.tasks.items);
	free(g.defined_at.items);
	free(g.labels.items);
	return ok;
}

static bool read_groups(struct reader *rd, json_t *doc)
{
	json_t *groups = member(rd, doc, "", "groups");
	if (!want_type(rd, groups, "groups", JSON_ARRAY, "a list"))
		return false;
	for (size_t i = 0; i < json_array_size(groups); i++)
		if (!read_group(rd, json_array_get(groups, i), i))
			return false;
	return true;
}

/* "labels" (optional: a report without --label has none): the names of
 * the hosts or runs it covers, noted in the first pass. */
static bool read_labels(struct reader *rd, json_t *doc)
{
	json_t *labels = json_object_get(doc, "labels");
	if (labels == NULL)
		return true;
	if (!want_type(rd, labels, "labels", JSON_ARRAY, "a list"))
		return false;
	for (size_t i = 0; i < json_array_size(labels); i++) {
		char p[48];
		const char *v;
		snprintf(p, sizeof p, "labels[%zu]", i);
		if (!want_name(rd, json_array_get(labels, i), p, false, &v))
			return false;
		if (!rd->add)
			set_add(rd->m->labels, v);
	}
	return true;
}

/* ---- one report, one buffer -------------------------------------------- */

static bool read_report(struct reader *rd, json_t *doc)
{
	if (!json_is_object(doc))
		return fail(rd, "",
			    "not a tracehound report (%s, not an "
			    "object)",
			    type_name(doc));
	const json_t *s = json_object_get(doc, "schema");
	if (!json_is_string(s) || strcmp(json_string_value(s), schema) != 0)
		return fail(rd, "",
			    "not a tracehound report (\"schema\" is not "
			    "\"%s\")",
			    schema);
	uint64_t events;
	if (!read_labels(rd, doc) || !read_scanned(rd, doc) ||
	    !want_uint(rd, member(rd, doc, "", "events"), "events", &events) ||
	    !read_groups(rd, doc) || !read_ignored(rd, doc) ||
	    !read_skipped(rd, doc))
		return false;
	if (rd->add)
		rd->m->run.counts.events =
		    add_sat(rd->m->run.counts.events, events);
	return true;
}

static size_t skip_space(const char *p, size_t at, size_t len)
{
	while (at < len && (p[at] == ' ' || p[at] == '\t' || p[at] == '\n' ||
			    p[at] == '\r'))
		at++;
	return at;
}

/* Line of byte AT of P (1-based). */
static size_t line_of(const char *p, size_t at)
{
	size_t line = 1;
	for (size_t i = 0; i < at; i++)
		line += p[i] == '\n';
	return line;
}

/* Every report in DATA, one after another. CARET: NAME is a plain file
 * the error message may quote a line of. */
static bool each_report(struct th_merge *m, const char *name, const char *data,
			size_t len, bool add, bool caret, struct th_error *err)
{
	struct reader rd = {.m = m, .err = err, .name = name, .add = add};
	size_t at = skip_space(data, 0, len);
	if (at == len)
		return fail(&rd, "", "no report in it (empty)");
	while (at < len) {
		rd.doc++;
		json_error_t je;
		json_t *doc =
		    json_loadb(data + at, len - at,
			       JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL |
				   JSON_REJECT_DUPLICATES,
			       &je);
		if (doc == NULL) {
			size_t line = line_of(data, at) + (size_t)je.line - 1;
			if (!caret)
				return fail(&rd, "",
					    "not JSON: line %zu, column %d: %s",
					    line, je.column, je.text);
			th_error_set(err, name, line, (size_t)je.column,
				     "not JSON: %s", je.text);
			return false;
		}
		bool ok = read_report(&rd, doc);
		json_decref(doc);
		if (!ok)
			return false;
		at = skip_space(data, at + (size_t)je.position, len);
	}
	return true;
}

bool merge_check_buffer(struct th_merge *m, const char *name, const char *data,
			size_t len, struct th_error *err)
{
	if (m->prepared)
		die("merge_check_buffer after merge_prepare");
	return each_report(m, name, data, len, false, false, err);
}

bool merge_add_buffer(struct th_merge *m, const char *name, const char *data,
		      size_t len, struct th_error *err)
{
	if (!m->prepared)
		die("merge_add_buffer before merge_prepare");
	return each_report(m, name, data, len, true, false, err);
}

/* ---- the catalog and the result ---------------------------------------- */

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The names of SET, sorted; the caller frees the array (the names belong
 * to SET). */
static const char **set_sorted(json_t *set, size_t *n)
{
	const char **names = xcalloc(json_object_size(set) + 1, sizeof *names);
	const char *k;
	json_t *v;
	*n = 0;
	json_object_foreach(set, k, v)
	{
		(void)v;
		names[(*n)++] = k;
	}
	qsort(names, *n, sizeof *names, str_cmp);
	return names;
}

/* The catalog of the ids the reports name, in sorted order. A report
 * gives no rule's severity (only a group's): every rule is an error,
 * which nothing prints, as merged reports have no events. Without any
 * rule id (reports without groups) one placeholder rule is added, as the
 * text report names a group's top rule even when it counts none. */
static bool build_catalog(struct th_merge *m, struct th_error *err)
{
	if (json_object_size(m->rule_ids) > MERGE_MAX_RULE_IDS ||
	    json_object_size(m->ignore_ids) > MERGE_MAX_RULE_IDS) {
		th_error_set(err, "", 0, 0,
			     "the reports name more than %d rule ids or "
			     "ignore rule ids",
			     MERGE_MAX_RULE_IDS);
		return false;
	}
	m->rule_ids_sorted = set_sorted(m->rule_ids, &m->n_rule_ids);
	m->ignore_ids_sorted = set_sorted(m->ignore_ids, &m->n_ignore_ids);
	m->catalog = catalog_new();
	for (size_t i = 0; i < m->n_rule_ids; i++)
		catalog_add_rule(m->catalog, m->rule_ids_sorted[i],
				 TH_SEV_ERROR);
	if (m->n_rule_ids == 0)
		catalog_add_rule(m->catalog, "merge.none", TH_SEV_ERROR);
	for (size_t i = 0; i < m->n_ignore_ids; i++)
		catalog_add_ignore(m->catalog, m->ignore_ids_sorted[i]);
	return true;
}

/* Reports that list the same keys in different orders are merged in
 * --group-by's canonical order (coroutine, rule, exception, task, input,
 * defined_at), so the result does not depend on which came first. */
static void canonical_keys(struct th_merge *m)
{
	unsigned mask = 0;
	for (size_t i = 0; i < m->n_keys; i++)
		mask |= 1u << m->keys[i];
	m->n_keys = 0;
	for (size_t k = 0; k < TH_KEY_COUNT; k++)
		if (mask & (1u << k))
			m->keys[m->n_keys++] = (enum th_key)k;
}

bool merge_prepare(struct th_merge *m, struct th_error *err)
{
	if (m->prepared)
		die("merge_prepare called twice");
	if (!build_catalog(m, err))
		return false;
	if (!m->have_keys) {
		m->keys[0] = TH_KEY_COROUTINE;
		m->n_keys = 1;
	}
	if (m->keys_disagree)
		canonical_keys(m);
	m->inputs = set_sorted(m->input_names, &m->n_inputs);
	m->labels_sorted = set_sorted(m->labels, &m->n_labels);
	m->agg = agg_new(m->catalog, m->keys, m->n_keys);
	run_init(&m->run, catalog_ignore_count(m->catalog));
	m->prepared = true;
	return true;
}

/* ---- the result -------------------------------------------------------- */

static int input_cmp(const void *px, const void *py)
{
	const struct th_run_input *x = px, *y = py;
	int c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	if (x->lines != y->lines)
		return x->lines < y->lines ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? -1 : 1;
	if ((x->error == NULL) != (y->error == NULL))
		return x->error == NULL ? -1 : 1;
	return x->error ? strcmp(x->error, y->error) : 0;
}

const struct th_catalog *merge_catalog(const struct th_merge *m)
{
	return m->catalog;
}

struct th_agg *merge_agg(struct th_merge *m)
{
	return m->agg;
}

const struct th_run *merge_run(struct th_merge *m)
{
	if (!m->inputs_sorted && m->run.n_inputs > 1) {
		/* (no inputs: qsort must not be given their NULL array) */
		qsort(m->run.inputs, m->run.n_inputs, sizeof *m->run.inputs,
		      input_cmp);
		m->inputs_sorted = true;
	}
	return &m->run;
}

const char *const *merge_labels(struct th_merge *m, size_t *n)
{
	*n = m->n_labels;
	return m->labels_sorted;
}

/* ---- files ------------------------------------------------------------- */

/* Where the bytes of a report being read are, for string_cap_step. */
struct string_cap {
	enum { CAP_OUTSIDE, CAP_STRING, CAP_ESCAPE } state;
	unsigned hex;  /* hex digits of a \uXXXX still to come */
	unsigned code; /* the digits so far */
	bool high;     /* the last byte kept ended a high surrogate */
	size_t kept;   /* bytes of the current string kept */
	bool cutting;  /* the rest of the current string is dropped */
};

/* Whether byte B, in a string, starts what may be cut off: a character
 * or an escape, and not the low half of a surrogate pair. */
static bool string_cap_may_cut(const struct string_cap *c, unsigned char b)
{
	return c->state == CAP_STRING && c->hex == 0 && !c->high &&
	       (b & 0xC0) != 0x80;
}

/* Moves C past byte B of a string (not its closing quote). */
static void string_cap_advance(struct string_cap *c, unsigned char b)
{
	if (c->state == CAP_ESCAPE) {
		c->state = CAP_STRING;
		c->hex = b == 'u' ? 4 : 0;
		c->code = 0;
	} else if (c->hex > 0) {
		c->hex--;
		c->code =
		    c->code << 4 |
		    (unsigned)(b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
		c->high = c->hex == 0 && c->code >= 0xD800 && c->code < 0xDC00;
	} else if (b == '\\') {
		c->state = CAP_ESCAPE;
	} else {
		c->high = false;
	}
}

/* Whether to keep byte B of a report: all of them but those of a string
 * past MERGE_STRING_MAX bytes of JSON text. The cut is made where a
 * character or an escape starts, never between the two halves of a
 * surrogate pair, so what is kept is still valid JSON (and UTF-8). */
static bool string_cap_step(struct string_cap *c, unsigned char b)
{
	if (c->state == CAP_OUTSIDE) {
		if (b == '"')
			*c = (struct string_cap){.state = CAP_STRING};
		return true;
	}
	if (c->state == CAP_STRING && c->hex == 0 && b == '"') {
		c->state = CAP_OUTSIDE;
		return true;
	}
	if (!c->cutting && c->kept >= MERGE_STRING_MAX &&
	    string_cap_may_cut(c, b))
		c->cutting = true;
	string_cap_advance(c, b);
	if (c->cutting)
		return false;
	c->kept++;
	return true;
}

/* Filters the N bytes at P in place (string_cap_step); returns how many
 * are kept. */
static size_t string_cap(struct string_cap *c, char *p, size_t n)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++)
		if (string_cap_step(c, (unsigned char)p[i]))
			p[out++] = p[i];
	return out;
}

/* The whole of PATH, decompressed and its strings cut (string_cap), in a
 * new buffer (*LEN bytes); NULL with a message in ERR when it cannot be
 * read. *PLAIN: a regular file read as it is (messages may quote its
 * lines: a cut string leaves them where they were, as a string holds no
 * newline). */
static char *read_whole(const char *path, size_t *len, bool *plain,
			struct th_error *err)
{
	struct th_input *in = input_open(path, err);
	if (in == NULL)
		return NULL;
	*plain = strcmp(path, "-") != 0 &&
		 input_compression(in) == TH_COMPRESSION_NONE;
	size_t cap = 64 * 1024, got;
	char *buf = xmalloc(cap);
	enum th_status st;
	*len = 0;
	struct string_cap sc = {.state = CAP_OUTSIDE};
	while ((st = input_read(in, buf + *len, cap - *len, &got)) == TH_OK) {
		*len += string_cap(&sc, buf + *len, got);
		if (*len > MERGE_REPORT_MAX)
			break;
		if (*len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	if (st != TH_EOF || *len > MERGE_REPORT_MAX) {
		th_error_set(err, path, 0, 0, "%s",
			     st != TH_EOF
				 ? input_error(in)
				 : "larger than a report can be (1 GiB)");
		free(buf);
		buf = NULL;
	}
	input_close(in);
	return buf;
}

/* One pass over PATH: reads it (or takes the bytes KEPT from the first
 * pass) and checks or adds its reports. On the first pass standard
 * input's bytes are handed back in *KEPT for the second. */
static bool merge_path(struct th_merge *m, const char *path, bool add,
		       char **kept, size_t *kept_len, struct th_error *err)
{
	size_t len = *kept_len;
	bool plain = false;
	char *data = *kept;
	if (data == NULL &&
	    (data = read_whole(path, &len, &plain, err)) == NULL)
		return false;
	bool ok = each_report(m, path, data, len, add, plain, err);
	if (!add && strcmp(path, "-") == 0) {
		*kept = data;
		*kept_len = len;
	} else {
		free(data);
		*kept = NULL;
	}
	return ok;
}

bool merge_paths(struct th_merge *m, const char *const *paths, size_t n,
		 struct th_error *err)
{
	char **kept = xcalloc(n + 1, sizeof *kept);
	size_t *kept_len = xcalloc(n + 1, sizeof *kept_len);
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++)
		ok =
		    merge_path(m, paths[i], false, &kept[i], &kept_len[i], err);
	ok = ok && merge_prepare(m, err);
	for (size_t i = 0; ok && i < n; i++)
		ok = merge_path(m, paths[i], true, &kept[i], &kept_len[i], err);
	for (size_t i = 0; i < n; i++)
		free(kept[i]);
	free(kept);
	free(kept_len);
	return ok;
}
