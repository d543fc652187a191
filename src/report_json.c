/* report_json.c - the --format json sink: one JSON document (README.md,
 * "The JSON report") printed when the run is finished; events pass through
 * uncounted here because the aggregate and the run already hold everything it
 * prints.
 *
 * Keys come in the order of the README example, then the extras
 * (tasks_capped, defined_at_capped, exceptions_other, and timeline for a
 * group with times).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "isotime.h"
#include "report.h"
#include "report_util.h"
#include "buf.h"

static const char schema[] = "tracehound.report/1";

/* Nothing to do per event: the aggregate already counted it. */
static void json_sink_event(struct th_sink *s, const struct th_event *ev)
{
	(void)s;
	(void)ev;
}

/* The document is written straight into one growing buffer, laid out
 * byte for byte as jansson's json_dumpf with JSON_INDENT(2) lays it out
 * (the format the report had when it was built as a jansson value):
 * members and elements each on a line of their own, indented two spaces
 * a level, "key": value, empty containers as {} and [], strings escaped
 * as jansson escapes them (\" \\ \b \f \n \r \t, other control
 * characters as \u00XX), log-derived bytes cleaned to UTF-8 first. Built
 * and printed in one write, it costs a small part of what the jansson
 * value did, and this runs after the scan, on one thread. */

#define JW_MAX_DEPTH 16

struct jw {
	struct th_buf b; /* what is written and not yet drained */
	FILE *out;	 /* where jw_drain writes what is buffered */
	bool failed;	 /* a write to OUT was short */
	int depth;
	size_t count[JW_MAX_DEPTH]; /* members or elements so far */
};

/* Room for MORE bytes after what W holds; where they go. Inline, as it
 * runs for every token and the buffer is nearly always big enough. */
static inline char *jw_room(struct jw *w, size_t more)
{
	if (w->b.cap - w->b.n <= more)
		buf_reserve(&w->b, more);
	return w->b.p + w->b.n;
}

static void jw_put(struct jw *w, const char *s, size_t n)
{
	memcpy(jw_room(w, n), s, n);
	w->b.n += n;
}

static void jw_char(struct jw *w, char c)
{
	*jw_room(w, 1) = c;
	w->b.n++;
}

/* ",", a newline and the indent of the deepest level, for jw_next and
 * jw_close to copy a prefix of in one fixed-size move. */
static const char jw_lead[] = ",\n                                ";
_Static_assert(sizeof jw_lead == 2 + 2 * JW_MAX_DEPTH + 1, "lead");

/* A newline, with a comma first when COMMA, and the indent of DEPTH. */
static void jw_newline(struct jw *w, bool comma, int depth)
{
	char *o = jw_room(w, sizeof jw_lead);
	memcpy(o, jw_lead + !comma, sizeof jw_lead - 1);
	w->b.n += 1 + comma + 2 * (size_t)depth;
}

/* Starts the next member or element of the open container. */
static void jw_next(struct jw *w)
{
	if (w->depth == 0)
		return;
	jw_newline(w, w->count[w->depth - 1]++ > 0, w->depth);
}

static void jw_open(struct jw *w, char c)
{
	if (w->depth >= JW_MAX_DEPTH)
		die("JSON report nested too deep");
	jw_char(w, c);
	w->count[w->depth++] = 0;
}

static void jw_close(struct jw *w, char c)
{
	w->depth--;
	if (w->count[w->depth] > 0)
		jw_newline(w, false, w->depth);
	jw_char(w, c);
}

/* How many of the 8 bytes of X (as read from memory) come before the
 * first that needs a look of its own: a control byte, '"', '\\' or a byte
 * above 0x7f; 8 when none does. Per byte b, b ^ c - 1 borrows into the
 * high bit where b == c, and b - 0x20 where b < 0x20; a borrow running
 * on only marks bytes after one already marked, so the lowest mark is
 * exact. (Where bytes are not stored lowest first, only a word without
 * marks is skipped.) */
static size_t plain_ascii_bytes(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u;
	const uint64_t highs = 0x8080808080808080u;
	uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
	uint64_t found =
	    (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
	     ((x - ones * 0x20) & ~x) | x) &
	    highs;
	if (found == 0)
		return 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(found) / 8;
#else
	return 0;
#endif
}

/* The N < 8 bytes at P as a word laid out as memory holds them where
 * bytes are stored lowest first, the rest zero: plain_ascii_bytes marks a
 * zero byte, so it never counts past the end. */
static uint64_t tail_word(const char *p, size_t n)
{
	uint64_t x = 0;
	for (size_t k = 0; k < n; k++)
		x |= (uint64_t)(unsigned char)p[k] << (8 * k);
	return x;
}

/* Writes byte P[0] (and the rest of its UTF-8 sequence, of P[0..N)) to O
 * as it goes in a JSON string: an invalid sequence as U+FFFD, '"', '\\'
 * and control bytes escaped. Returns where O ends; *USED gets the bytes of
 * P taken. */
static char *escape_one(char *o, const char *p, size_t n, size_t *used)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c = (unsigned char)p[0];
	*used = 1;
	if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
		*o++ = (char)c;
		return o;
	}
	if (c >= 0x80) {
		bool valid;
		*used = text_utf8_step(p, n, &valid);
		memcpy(o, valid ? p : "\xEF\xBF\xBD", valid ? *used : 3);
		return o + (valid ? *used : 3);
	}
	*o++ = '\\';
	switch (c) {
	case '"': *o++ = '"'; break;
	case '\\': *o++ = '\\'; break;
	case '\b': *o++ = 'b'; break;
	case '\f': *o++ = 'f'; break;
	case '\n': *o++ = 'n'; break;
	case '\r': *o++ = 'r'; break;
	case '\t': *o++ = 't'; break;
	default:
		memcpy(o, "u00", 3);
		o[3] = hex[c >> 4];
		o[4] = hex[c & 15];
		o += 5;
	}
	return o;
}

/* Writes the clean bytes of P[0..N) (valid UTF-8 kept, each invalid
 * sequence one U+FFFD) escaped for a JSON string, without quotes, to O,
 * which has room for 6 * N + 8 bytes (6 for a control byte, and a whole
 * word written past the last). Returns where O ends. */
static char *escape_to(char *o, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* Examples are mostly ASCII text: the plain bytes of the next
		 * 8 are copied at once (all 8 are written; only the plain ones
		 * are kept). */
		uint64_t word;
		if (n - i >= sizeof word)
			memcpy(&word, p + i, sizeof word);
		else
			word = tail_word(p + i, n - i);
		size_t plain = plain_ascii_bytes(word);
		memcpy(o, &word, sizeof word);
		o += plain;
		i += plain;
		if (plain == sizeof word || i == n)
			continue;
		size_t used;
		o = escape_one(o, p + i, n - i, &used);
		i += used;
	}
	return o;
}

/* P[0..N), cleaned and escaped, as a JSON string. */
static void jw_text(struct jw *w, const char *p, size_t n)
{
	if (n > (SIZE_MAX - 16) / 6)
		die("out of memory (a string of %zu bytes)", n);
	char *o = jw_room(w, 6 * n + 10);
	*o++ = '"';
	o = escape_to(o, p, n);
	*o++ = '"';
	w->b.n = (size_t)(o - w->b.p);
}

/* Values: each starts a new element when inside an array. */
static void jw_cstr(struct jw *w, const char *s)
{
	if (s == NULL)
		jw_put(w, "null", 4);
	else
		jw_text(w, s, strlen(s));
}

/* V in decimal, saturated at INT64_MAX (what a JSON reader takes as an
 * integer); by hand, as snprintf cost more than the rest of a count. */
static void jw_uint(struct jw *w, uint64_t v)
{
	char buf[20]; /* INT64_MAX has 19 digits */
	size_t i = sizeof buf;
	if (v > INT64_MAX)
		v = INT64_MAX;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	jw_put(w, buf + i, sizeof buf - i);
}

static void jw_bool(struct jw *w, bool v)
{
	if (v)
		jw_put(w, "true", 4);
	else
		jw_put(w, "false", 5);
}

/* Starts a member of the open object whose key we chose: QUOTED[0..N) is
 * the key already written out, quotes, colon and space, by jw_key. */
static inline void jw_member(struct jw *w, const char *quoted, size_t n)
{
	jw_next(w);
	jw_put(w, quoted, n);
}

/* Starts member KEY, a string literal of ASCII letters and '_' (which
 * need no escaping), put together with its quotes by the compiler. */
#define jw_key(w, key)                                                         \
	jw_member((w), "\"" key "\": ", sizeof("\"" key "\": ") - 1)

/* A counted member whose key is log-derived: keys equal once cleaned
 * ("A\xff", "A\xfe") are one member, at the first one's place, with the
 * counts added (saturating), as report_json_set_text does. The cleaned
 * keys are laid end to end in one buffer, reused from object to object,
 * so a key costs no allocation. */
struct jw_count {
	size_t at, n; /* the cleaned key in KEYS */
	uint64_t count;
};

struct jw_counts {
	struct jw_count *v;
	size_t n, cap;
	struct th_buf keys;
};

static void counts_add(struct jw_counts *c, const char *key, size_t n,
		       uint64_t count)
{
	uint64_t v = count > INT64_MAX ? (uint64_t)INT64_MAX : count;
	size_t at = c->keys.n;
	size_t clean_n = report_utf8_clean_add(&c->keys, key, n);
	const char *clean = c->keys.p + at;
	for (size_t i = 0; i < c->n; i++) {
		struct jw_count *e = &c->v[i];
		if (e->n == clean_n &&
		    memcmp(c->keys.p + e->at, clean, clean_n) == 0) {
			e->count = e->count > (uint64_t)INT64_MAX - v
				       ? (uint64_t)INT64_MAX
				       : e->count + v;
			c->keys.n = at; /* the copy is not needed */
			return;
		}
	}
	XGROW(c->v, c->cap, c->n + 1, 16);
	c->v[c->n++] = (struct jw_count){at, clean_n, v};
}

/* Writes the counts as an object (the value of the current member) and
 * empties C for the next use. */
static void counts_write(struct jw *w, struct jw_counts *c)
{
	jw_open(w, '{');
	for (size_t i = 0; i < c->n; i++) {
		jw_next(w);
		jw_text(w, c->keys.p + c->v[i].at, c->v[i].n);
		jw_put(w, ": ", 2);
		jw_uint(w, c->v[i].count);
	}
	c->n = 0;
	c->keys.n = 0;
	jw_close(w, '}');
}

/* "scanned": each input with its error only when it had one, and totals. */
static void scanned_json(struct jw *w, const struct th_run *run)
{
	uint64_t lines = 0, bytes = 0;
	jw_open(w, '{');
	jw_key(w, "inputs");
	jw_open(w, '[');
	for (size_t i = 0; i < run->n_inputs; i++) {
		const struct th_run_input *in = &run->inputs[i];
		jw_next(w);
		jw_open(w, '{');
		jw_key(w, "name");
		jw_cstr(w, in->name);
		jw_key(w, "lines");
		jw_uint(w, in->lines);
		jw_key(w, "bytes");
		jw_uint(w, in->bytes);
		if (in->error != NULL) {
			jw_key(w, "error");
			jw_cstr(w, in->error);
		}
		jw_close(w, '}');
		lines += in->lines;
		bytes += in->bytes;
	}
	jw_close(w, ']');
	jw_key(w, "lines");
	jw_uint(w, lines);
	jw_key(w, "bytes");
	jw_uint(w, bytes);
	jw_close(w, '}');
}

/* "key": exactly the group-by fields, in order; null for no value. */
static void key_json(struct jw *w, const struct th_agg *agg,
		     const struct th_group *g)
{
	const enum th_key *keys;
	size_t n = agg_keys(agg, &keys);
	jw_open(w, '{');
	for (size_t i = 0; i < n; i++) {
		bool again = false; /* a key twice is one member */
		for (size_t j = 0; j < i; j++)
			again |= keys[j] == keys[i];
		if (again)
			continue;
		const char *name = catalog_key_name(keys[i]);
		jw_next(w);
		jw_text(w, name, strlen(name));
		jw_put(w, ": ", 2);
		jw_cstr(w, g->key[keys[i]]);
	}
	jw_close(w, '}');
}

/* "rules": rule id → events, for the rules that found any. */
static void rules_json(struct jw *w, struct jw_counts *c,
		       const struct th_catalog *cat, const struct th_group *g)
{
	for (size_t r = 0; r < catalog_rule_count(cat); r++) {
		if (g->rule_counts[r] > 0)
			counts_add(c, catalog_rule_id(cat, r),
				   strlen(catalog_rule_id(cat, r)),
				   g->rule_counts[r]);
	}
	counts_write(w, c);
}

/* "exceptions": name → events, in the group's order (count desc). */
static void exceptions_json(struct jw *w, struct jw_counts *c,
			    const struct th_group *g)
{
	for (size_t i = 0; i < g->n_exceptions; i++) {
		const struct th_count *e = &g->exceptions[i];
		counts_add(c, e->name, strlen(e->name), e->count);
	}
	counts_write(w, c);
}

/* A capped list's kept values, in order. */
static void list_json(struct jw *w, const struct th_capped *l)
{
	jw_open(w, '[');
	for (size_t i = 0; i < l->n; i++) {
		jw_next(w);
		jw_cstr(w, l->items[i]);
	}
	jw_close(w, ']');
}

/* "first" / "last": time is null when unknown. */
static void where_json(struct jw *w, const struct th_where *where)
{
	jw_open(w, '{');
	jw_key(w, "input");
	jw_cstr(w, where->input);
	jw_key(w, "line");
	jw_uint(w, where->line);
	jw_key(w, "time");
	char time[TH_TIME_LEN];
	jw_cstr(w, isotime_print(&where->time, time) ? time : NULL);
	jw_close(w, '}');
}

/* "timeline": {"start": ISO, "bucket_seconds": N, "counts": [...]}, the
 * counts up to the last non-empty bucket; "Z" on start when the group's
 * times have a zone. Nothing for a group without times. */
static void timeline_json(struct jw *w, const struct th_group *g)
{
	const struct th_timeline *t = &g->timeline;
	size_t used = timeline_used(t);
	if (used == 0)
		return;
	char start[TH_TIME_LEN];
	isotime_format(t->first * (int64_t)t->width,
		       isotime_zoned(&g->last.time), start);
	jw_key(w, "timeline");
	jw_open(w, '{');
	jw_key(w, "start");
	jw_cstr(w, start);
	jw_key(w, "bucket_seconds");
	jw_uint(w, t->width);
	jw_key(w, "counts");
	jw_open(w, '[');
	for (size_t i = 0; i < used; i++) {
		jw_next(w);
		jw_uint(w, t->counts[i]);
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

/* "culprit": {"file", "line", "function"} of the group's first event, or
 * null. */
static void culprit_json(struct jw *w, const struct th_group_culprit *c)
{
	if (c->file == NULL) {
		jw_cstr(w, NULL);
		return;
	}
	jw_open(w, '{');
	jw_key(w, "file");
	jw_cstr(w, c->file);
	jw_key(w, "line");
	jw_uint(w, c->line);
	jw_key(w, "function");
	jw_cstr(w, c->function);
	jw_close(w, '}');
}

/* One entry of "groups" (README.md, "The JSON report"), then the extras. */
static void group_json(struct jw *w, struct jw_counts *c,
		       const struct th_report_ctx *ctx,
		       const struct th_group *g)
{
	jw_open(w, '{');
	jw_key(w, "key");
	key_json(w, ctx->agg, g);
	jw_key(w, "count");
	jw_uint(w, g->count);
	jw_key(w, "rules");
	rules_json(w, c, ctx->catalog, g);
	jw_key(w, "exceptions");
	exceptions_json(w, c, g);
	jw_key(w, "severity");
	jw_cstr(w, report_severity_name(g->severity));
	jw_key(w, "tasks");
	list_json(w, &g->tasks);
	jw_key(w, "defined_at");
	list_json(w, &g->defined_at);
	jw_key(w, "first");
	where_json(w, &g->first);
	jw_key(w, "last");
	where_json(w, &g->last);
	jw_key(w, "example");
	jw_text(w, g->example ? g->example : "", g->example_len);
	jw_key(w, "culprit");
	culprit_json(w, &g->culprit);
	jw_key(w, "message");
	jw_cstr(w, g->message);
	jw_key(w, "source");
	jw_cstr(w, g->source);
	jw_key(w, "tasks_capped");
	jw_bool(w, g->tasks.capped);
	jw_key(w, "defined_at_capped");
	jw_bool(w, g->defined_at.capped);
	if (ctx->n_labels > 0) { /* --label, or merged labelled reports */
		jw_key(w, "labels");
		list_json(w, &g->labels);
		jw_key(w, "labels_capped");
		jw_bool(w, g->labels.capped);
	}
	jw_key(w, "exceptions_other");
	jw_uint(w, g->exceptions_other);
	if (g->novelty != TH_NOVELTY_UNKNOWN) { /* --state */
		jw_key(w, "new");
		jw_bool(w, g->novelty == TH_NOVELTY_NEW);
	}
	timeline_json(w, g);
	jw_close(w, '}');
}

/* "ignored": every ignore rule, 0 included, so a silenced rule is seen. */
static void ignored_json(struct jw *w, struct jw_counts *c,
			 const struct th_catalog *cat, const struct th_run *run)
{
	size_t n = catalog_ignore_count(cat);
	for (size_t i = 0; i < n && i < run->n_ignored; i++) {
		const char *id = catalog_ignore_id(cat, i);
		counts_add(c, id, strlen(id), run->ignored[i]);
	}
	counts_write(w, c);
}

/* "skipped": every counter, zeros included. */
static void skipped_json(struct jw *w, const struct th_run *run)
{
	jw_open(w, '{');
	jw_key(w, "lines_truncated");
	jw_uint(w, run->counts.lines_truncated);
	jw_key(w, "events_truncated");
	jw_uint(w, run->counts.events_truncated);
	jw_key(w, "events_incomplete");
	jw_uint(w, run->counts.events_incomplete);
	jw_key(w, "match_errors");
	jw_uint(w, run->counts.match_errors);
	jw_key(w, "groups_dropped");
	jw_uint(w, run->counts.groups_dropped);
	jw_close(w, '}');
}

/* Writes what W holds to its stream once it is JW_DRAIN bytes or more
 * (FORCE: whatever it holds): the groups of a spilled report may be
 * gigabytes of JSON, written as they are read, never held. */
#define JW_DRAIN (64 * 1024)

static void jw_drain(struct jw *w, bool force)
{
	if (w->b.n == 0 || (!force && w->b.n < JW_DRAIN))
		return;
	w->failed |= fwrite(w->b.p, 1, w->b.n, w->out) != w->b.n;
	w->b.n = 0;
}

/* The whole report, with its final newline, into W. */
static void report_json(struct jw *w, const struct th_report_ctx *c)
{
	struct jw_counts counts = {0};
	jw_open(w, '{');
	jw_key(w, "schema");
	jw_cstr(w, schema);
	jw_key(w, "tool");
	jw_open(w, '{');
	jw_key(w, "name");
	jw_cstr(w, "tracehound");
	jw_key(w, "version");
	jw_cstr(w, c->version ? c->version : "");
	jw_close(w, '}');
	if (c->n_labels > 0) {
		jw_key(w, "labels");
		jw_open(w, '[');
		for (size_t i = 0; i < c->n_labels; i++) {
			jw_next(w);
			jw_cstr(w, c->labels[i]);
		}
		jw_close(w, ']');
	}
	jw_key(w, "scanned");
	scanned_json(w, c->run);
	jw_key(w, "events");
	jw_uint(w, c->run->counts.events);
	jw_key(w, "groups");
	jw_open(w, '[');
	/* one group at a time: spilled ones are read from their runs */
	const struct th_group *g;
	for (size_t i = 0; (g = agg_next(c->agg, &i)) != NULL;) {
		jw_next(w);
		group_json(w, &counts, c, g);
		jw_drain(w, false);
	}
	jw_close(w, ']');
	jw_key(w, "ignored");
	ignored_json(w, &counts, c->catalog, c->run);
	jw_key(w, "skipped");
	skipped_json(w, c->run);
	jw_close(w, '}');
	jw_char(w, '\n');
	free(counts.v);
	buf_fini(&counts.keys);
}

/* Prints the document. Returns false when any write failed (the stream's
 * error flag tells, as buffered writes fail only at the flush). */
static bool json_sink_finish(struct th_sink *s)
{
	struct jw w = {.out = s->ctx.out};
	report_json(&w, &s->ctx);
	jw_drain(&w, true);
	bool ok = !w.failed;
	buf_fini(&w.b);
	ok = fflush(s->ctx.out) == 0 && ok;
	return ok && !ferror(s->ctx.out);
}

/* Frees the sink; the stream is the caller's. */
static void json_sink_free(struct th_sink *s)
{
	free(s);
}

struct th_sink *report_json_new(const struct th_report_ctx *ctx)
{
	struct th_sink *s = xcalloc(1, sizeof *s);
	s->event = json_sink_event;
	s->finish = json_sink_finish;
	s->free = json_sink_free;
	s->ctx = *ctx;
	return s;
}
