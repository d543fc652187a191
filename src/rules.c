/* rules.c - load YAML rule files and match lines and events against them;
 * see rules.h, and patterns/README.md for the format.
 *
 * Loading reads each file into a libyaml document (node marks give the
 * positions errors point at), checks every key and compiles every regex
 * right away, so the first problem in file order is the one reported.
 * rules_finish() then JIT-compiles what is enabled and derives literals.
 * PCRE2 is used here and nowhere else.
 */
#include "rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "th_limits.h"

/* Where something was written: 1-based; FILE indexes th_rules.files. */
struct where {
	size_t file, line, column;
};

/* A named group of a pattern and what it stands for: the index of its name
 * among the names the pattern may use (struct group_names), which for rule
 * patterns is the enum th_field it sets, for prefixes an enum part. */
struct field_group {
	uint32_t group;
	unsigned slot;
};

struct regex {
	char *src; /* the pattern as written; NULL: none */
	size_t n;
	pcre2_code *code;
	struct field_group *groups;
	size_t n_groups;
};

/* Which of an event's lines an extract regex looks at (names below). */
enum range { RANGE_START, RANGE_FOLLOWING, RANGE_ALL, RANGE_COUNT };

struct extract {
	bool is_builtin;
	enum th_builtin builtin;
	enum th_field field; /* for a builtin */
	enum range lines;    /* for a regex */
	struct regex re;
};

struct rule {
	char *id, *description;
	struct where at; /* of the id in the first definition */
	enum th_severity severity;
	enum th_body body;
	bool split_leaves, enabled;
	struct regex start;
	struct th_span *literal; /* given by `literal:`; each p owned */
	size_t n_literal;
	struct extract *extract;
	size_t n_extract;
	/* set by rules_finish() */
	size_t active; /* index among enabled rules, or SIZE_MAX */
	char *derived; /* bytes of the derived literals */
	struct th_span *derived_lits;
	size_t n_derived;
};

/* An ignore rule's conditions: one per event field, then the text. */
enum { COND_TEXT = TH_F_COUNT, COND_COUNT };

struct rule_ref {
	char *id;
	struct where at;
};

struct ignore {
	char *id, *description;
	struct where at;
	struct rule_ref *refs; /* `rule:`; none: any rule */
	size_t n_refs;
	struct regex cond[COND_COUNT]; /* src == NULL: not given */
	bool enabled;
	size_t *active_rules; /* refs resolved to enabled rule indexes */
	size_t n_active_rules;
};

/* The named groups of a prefix pattern. */
enum part { PART_TIME, PART_SOURCE, PART_MESSAGE, PART_COUNT };

/* A user's line prefix (`prefixes:`). */
struct prefix {
	char *id, *description;
	struct where at;
	struct regex re;   /* its groups' slots are enum part */
	char *time_format; /* strptime(3) format; NULL: ISO 8601 */
	bool enabled;
};

struct th_rules {
	char **files; /* names of the files loaded, for positions */
	size_t n_files;
	struct rule *rules; /* in order of first definition */
	size_t n_rules;
	struct ignore *ignores;
	size_t n_ignores;
	struct th_span *wrappers; /* each p owned */
	size_t n_wrappers;
	struct prefix *prefixes; /* in order of first definition */
	size_t n_prefixes;
	bool finished; /* rules_finish() was called: no more loading */
	bool ready;    /* and it succeeded */
	struct rule **active;
	size_t n_active;
	struct ignore **active_ignores;
	size_t n_active_ignores;
	struct prefix **active_prefixes;
	size_t n_active_prefixes;
	struct th_catalog *catalog; /* of the enabled rules */
	struct th_span *literals;   /* into the rules' literal bytes */
	size_t n_literals;
	bool have_literals;
	uint32_t max_pairs; /* ovector pairs the largest pattern needs */
};

struct th_matcher {
	const struct th_rules *r;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit; /* NULL: no JIT, or the default stack */
	size_t match_errors;
	char *text; /* an event's text, for `text:` conditions */
	size_t text_cap;
};

/* ---- small helpers ---------------------------------------------------- */

static const char *const severity_names[] = {"error", "warning", "info"};
static const enum th_severity severity_values[] = {TH_SEV_ERROR, TH_SEV_WARNING,
						   TH_SEV_INFO};
/* In enum th_body order. */
static const char *const body_names[] = {"line", "warning", "asyncio",
					 "traceback"};
/* In enum th_builtin order, with the field each sets by default. */
static const char *const builtin_names[] = {
    "traceback.exception", "traceback.function", "source_traceback.location"};
static const enum th_field builtin_fields[] = {TH_F_EXCEPTION, TH_F_COROUTINE,
					       TH_F_CREATED_AT};
static const char *const range_names[] = {"start", "following", "all"};
static const char *const split_names[] = {"leaves"};
static const char *const bool_names[] = {"true", "false"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct th_span cstr(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

static bool span_eq(struct th_span a, struct th_span b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* A NUL-terminated copy of S (which may hold NUL bytes itself). */
static char *dup_span(struct th_span s)
{
	char *p = xmalloc(s.n + 1);
	if (s.n > 0)
		memcpy(p, s.p, s.n);
	p[s.n] = '\0';
	return p;
}

static void swap_str(char **a, char **b)
{
	char *t = *a;
	*a = *b;
	*b = t;
}

/* Grows array *P of *N elements of SIZE bytes by one; returns the new,
 * zeroed element. Rule files are small: growing one at a time is fine. */
static void *grow(void *p_, size_t *n, size_t size)
{
	void **p = p_;
	*p = xrealloc(*p, (*n + 1) * size);
	char *el = (char *)*p + *n * size;
	memset(el, 0, size);
	(*n)++;
	return el;
}

/* Optimal string alignment distance (edits and swaps of neighbours)
 * between A and B; anything over 2 is reported as 3. */
static size_t edit_distance(struct th_span a, struct th_span b)
{
	enum { MAX = 64 };
	if (a.n > MAX || b.n > MAX || (a.n > b.n ? a.n - b.n : b.n - a.n) > 2)
		return 3;
	size_t d[MAX + 1][MAX + 1];
	for (size_t i = 0; i <= a.n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= b.n; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= a.n; i++) {
		for (size_t j = 1; j <= b.n; j++) {
			size_t cost = a.p[i - 1] != b.p[j - 1];
			size_t v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a.p[i - 1] == b.p[j - 2] &&
			    a.p[i - 2] == b.p[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[a.n][b.n] > 2 ? 3 : d[a.n][b.n];
}

/* The name of NAMES closest to WORD when it is within two edits (and WORD
 * is not so short that anything would be), else NULL. */
static const char *suggest(struct th_span word, const char *const *names,
			   size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cstr(names[i]));
		if (d < best_d && d < word.n) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

/* Writes " (did you mean 'X'?)" for the closest of NAMES into BUF, or "". */
static const char *did_you_mean(char *buf, size_t cap, struct th_span word,
				const char *const *names, size_t n)
{
	const char *s = suggest(word, names, n);
	if (s == NULL)
		return "";
	snprintf(buf, cap, " (did you mean '%s'?)", s);
	return buf;
}

/* NAMES joined by ", " into BUF. */
static const char *join(char *buf, size_t cap, const char *const *names,
			size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++) {
		int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
				 names[i]);
		len += w > 0 ? (size_t)w : 0;
	}
	return buf;
}

/* In enum part order. */
static const char *const part_names[PART_COUNT] = {"time", "source", "message"};

/* The group names a pattern may use, and what an error calls them. */
struct group_names {
	const char *what;
	const char *const *names;
	size_t count;
};

/* A rule pattern's named groups set event fields (their names are the
 * catalog's, see struct load); a prefix pattern's name the parts of the
 * line. */
static const struct group_names prefix_groups = {"a prefix group", part_names,
						 PART_COUNT};

/* ---- regexes ------------------------------------------------------------ */

static void regex_fini(struct regex *re)
{
	free(re->src);
	pcre2_code_free(re->code);
	free(re->groups);
	memset(re, 0, sizeof *re);
}

static void regex_swap(struct regex *a, struct regex *b)
{
	struct regex t = *a;
	*a = *b;
	*b = t;
}

/* Runs RE over S. Returns true on a match, leaving the groups in M's match
 * data. A match that gives up at a limit counts as none, and is counted. */
static bool regex_match(struct th_matcher *m, const struct regex *re,
			struct th_span s)
{
	const char *p = s.p != NULL ? s.p : "";
	int rc =
	    pcre2_match(re->code, (PCRE2_SPTR)p, s.n, 0, 0, m->md, m->mctx);
	if (rc >= 0)
		return true;
	if (rc != PCRE2_ERROR_NOMATCH)
		m->match_errors++;
	return false;
}

/* After a match of RE on S: sets each field named by a group of RE that
 * took part in the match, is not empty, and is still unset in EV. */
static void regex_set_fields(const struct th_matcher *m, const struct regex *re,
			     struct th_span s, struct th_event *ev)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	uint32_t pairs = pcre2_get_ovector_count(m->md);
	for (size_t i = 0; i < re->n_groups; i++) {
		uint32_t g = re->groups[i].group;
		enum th_field f = (enum th_field)re->groups[i].slot;
		if (g >= pairs || event_has(ev, f))
			continue;
		PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
		if (a == PCRE2_UNSET || b <= a || b > s.n)
			continue;
		event_set(ev, f, (struct th_span){s.p + a, b - a});
	}
}

/* True when every field RE can set is already set in EV. */
static bool regex_fields_set(const struct regex *re, const struct th_event *ev)
{
	for (size_t i = 0; i < re->n_groups; i++)
		if (!event_has(ev, (enum th_field)re->groups[i].slot))
			return false;
	return true;
}

/* ---- loading: errors and positions ---------------------------------- */

struct load {
	struct th_rules *r;
	struct th_error *err;
	size_t file; /* index into r->files */
	const char *src;
	size_t src_n;
	yaml_document_t doc;
	unsigned char *seen; /* per node: read already (see node_take) */
	size_t n_nodes;
	const char *field_names[TH_F_COUNT]; /* the catalog's */
	struct group_names field_groups;     /* of a rule's patterns */
};

/* Records the error (th_error_set keeps the first) in the file being
 * loaded; returns false. */
static bool vfail(struct load *ld, size_t line, size_t column, const char *fmt,
		  va_list ap)
{
	char msg[sizeof ld->err->message];
	vsnprintf(msg, sizeof msg, fmt, ap);
	th_error_set(ld->err, ld->r->files[ld->file], line, column, "%s", msg);
	return false;
}

/* Records an error at NODE's start; returns false for the caller to pass
 * on. */
__attribute__((format(printf, 3, 4))) static bool
fail_at(struct load *ld, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ld, node->start_mark.line + 1, node->start_mark.column + 1, fmt,
	      ap);
	va_end(ap);
	return false;
}

/* Records an error at LINE, COLUMN (1-based); returns false. */
__attribute__((format(printf, 4, 5))) static bool
fail_pos(struct load *ld, size_t line, size_t column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ld, line, column, fmt, ap);
	va_end(ap);
	return false;
}

static struct where where_of(const struct load *ld, const yaml_node_t *node)
{
	return (struct where){ld->file, node->start_mark.line + 1,
			      node->start_mark.column + 1};
}

/* Characters (not bytes) in P[0..N): columns count characters, as libyaml
 * does. */
static size_t utf8_chars(const char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)p[i] & 0xC0) != 0x80;
	return c;
}

/* Byte offset in the source of the character at 0-based LINE, COLUMN, or
 * SIZE_MAX when the source is shorter. */
static size_t source_offset(const struct load *ld, size_t line, size_t column)
{
	size_t i = 0;
	for (size_t l = 0; l < line; l++) {
		const char *nl = memchr(ld->src + i, '\n', ld->src_n - i);
		if (nl == NULL)
			return SIZE_MAX;
		i = (size_t)(nl - ld->src) + 1;
	}
	for (size_t c = 0; c < column && i < ld->src_n; c++) {
		i++; /* a character's first byte, then its continuation bytes */
		while (i < ld->src_n &&
		       ((unsigned char)ld->src[i] & 0xC0) == 0x80)
			i++;
	}
	return i < ld->src_n ? i : SIZE_MAX;
}

/* The double-quoted scalar escape at P (P[0] == '\\', N bytes left):
 * returns its length in the source and sets *BYTES to the length of what
 * it stands for (libyaml writes code points as UTF-8). */
static size_t dq_escape(const char *p, size_t n, size_t *bytes)
{
	size_t hex = p[1] == 'x' ? 2 : p[1] == 'u' ? 4 : p[1] == 'U' ? 8 : 0;
	unsigned long cp = 0;
	*bytes = p[1] == 'N' || p[1] == '_'   ? 2
		 : p[1] == 'L' || p[1] == 'P' ? 3
					      : 1;
	if (hex == 0 || 2 + hex > n)
		return 2;
	for (size_t i = 2; i < 2 + hex; i++) {
		char c = p[i];
		cp = cp * 16 + (unsigned long)(c >= 'a'	  ? c - 'a' + 10
					       : c >= 'A' ? c - 'A' + 10
							  : c - '0');
	}
	*bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	return 2 + hex;
}

/* Source characters that spell the first OFF value bytes of the double-
 * quoted scalar whose opening quote is at byte Q. */
static size_t double_quoted_chars(const struct load *ld, size_t q, size_t off)
{
	size_t i = q + 1, v = 0, c = 0;
	while (v < off && i + 1 < ld->src_n && ld->src[i] != '"') {
		if (ld->src[i] == '\\') {
			size_t bytes,
			    len = dq_escape(ld->src + i, ld->src_n - i, &bytes);
			i += len;
			c += len;
			v += bytes;
			continue;
		}
		c += ((unsigned char)ld->src[i] & 0xC0) != 0x80;
		i++;
		v++;
	}
	return c;
}

/* Line and column of byte OFF of scalar NODE's value, for pointing into a
 * regex. Exact for one-line plain and quoted scalars; other scalars point
 * at their start. */
static void scalar_pos(const struct load *ld, const yaml_node_t *node,
		       size_t off, size_t *line, size_t *column)
{
	const char *v = (const char *)node->data.scalar.value;
	off = off < node->data.scalar.length ? off : node->data.scalar.length;
	*line = node->start_mark.line + 1;
	*column = node->start_mark.column + 1;
	if (node->start_mark.line != node->end_mark.line)
		return;
	switch (node->data.scalar.style) {
	case YAML_PLAIN_SCALAR_STYLE: *column += utf8_chars(v, off); break;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: /* ' is written '' */
		*column += 1 + utf8_chars(v, off);
		for (size_t i = 0; i < off; i++)
			*column += v[i] == '\'';
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: {
		size_t q = source_offset(ld, node->start_mark.line,
					 node->start_mark.column);
		*column += 1 + (q != SIZE_MAX && ld->src[q] == '"'
				    ? double_quoted_chars(ld, q, off)
				    : utf8_chars(v, off));
		break;
	}
	default: break;
	}
}

/* ---- loading: nodes ---------------------------------------------------- */

/* The node at INDEX, marked as read. A node read twice was reached through
 * an alias: rule files do not support them (and a chain of aliases could
 * make reading take exponential time). Returns NULL with the error set. */
static yaml_node_t *node_take(struct load *ld, int index)
{
	yaml_node_t *n = yaml_document_get_node(&ld->doc, index);
	if (n == NULL)
		die("rules: YAML node %d missing", index);
	size_t i = (size_t)(index - 1);
	if (ld->seen[i]) {
		fail_at(ld, n,
			"YAML aliases (*name) are not supported in "
			"rule files");
		return NULL;
	}
	ld->seen[i] = 1;
	return n;
}

/* A scalar node's value; libyaml owns the bytes. */
static struct th_span scalar(const yaml_node_t *n)
{
	return (struct th_span){(const char *)n->data.scalar.value,
				n->data.scalar.length};
}

/* True for YAML's null: an empty or ~ or null plain scalar. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	struct th_span s = scalar(n);
	return s.n == 0 || span_eq(s, cstr("~")) || span_eq(s, cstr("null")) ||
	       span_eq(s, cstr("Null")) || span_eq(s, cstr("NULL"));
}

/* NODE's value as a string for KEY: fails unless it is a non-null scalar. */
static bool want_string(struct load *ld, const yaml_node_t *n, const char *key,
			struct th_span *out)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail_at(ld, n, "%s must be a string", key);
	*out = scalar(n);
	return true;
}

/* Like want_string, and fails on an empty string too. */
static bool want_nonempty(struct load *ld, const yaml_node_t *n,
			  const char *key, struct th_span *out)
{
	if (!want_string(ld, n, key, out))
		return false;
	if (out->n == 0)
		return fail_at(ld, n, "%s must not be empty", key);
	return true;
}

/* Index in NAMES of NODE's value; fails naming the choices (and the
 * closest one). */
static bool want_enum(struct load *ld, const yaml_node_t *n, const char *key,
		      const char *const *names, size_t count, size_t *out)
{
	char list[256], hint[128];
	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < count; i++) {
			if (span_eq(scalar(n), cstr(names[i]))) {
				*out = i;
				return true;
			}
		}
	}
	struct th_span v =
	    n->type == YAML_SCALAR_NODE ? scalar(n) : (struct th_span){"", 0};
	return fail_at(ld, n, "%s must be %s%s%s", key,
		       count > 1 ? "one of " : "",
		       join(list, sizeof list, names, count),
		       did_you_mean(hint, sizeof hint, v, names, count));
}

/* NODE as a boolean: true or false (also capitalised). YAML 1.1's yes/no
 * and on/off are refused: they are too easy to mistake for strings. */
static bool want_bool(struct load *ld, const yaml_node_t *n, const char *key,
		      bool *out)
{
	static const char *const names[] = {"true",  "false", "True",
					    "False", "TRUE",  "FALSE"};
	for (size_t i = 0; n->type == YAML_SCALAR_NODE && i < COUNT(names);
	     i++) {
		if (span_eq(scalar(n), cstr(names[i]))) {
			*out = i % 2 == 0;
			return true;
		}
	}
	size_t unused;
	return want_enum(ld, n, key, bool_names, COUNT(bool_names), &unused);
}

/* An id (the value of KEY): letters, digits, '_', '.', '-'. It names a
 * rule or ignore rule (WHAT) in reports and overrides. */
static bool want_id(struct load *ld, const yaml_node_t *n, const char *key,
		    const char *what, struct th_span *out)
{
	if (!want_nonempty(ld, n, key, out))
		return false;
	if (catalog_id_valid(*out))
		return true;
	return fail_at(ld, n,
		       "%s id '%.*s' may only use letters, digits, '_', '.' "
		       "and '-'",
		       what, (int)out->n, out->p);
}

/* The items of list N (null reads as an empty list), as node indexes in
 * *ITEMS / *COUNT; fails when N is not a list. */
static bool want_sequence(struct load *ld, const yaml_node_t *n,
			  const char *what, yaml_node_item_t **items,
			  size_t *count)
{
	*items = NULL;
	*count = 0;
	if (is_null(n))
		return true;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(ld, n, "%s must be a list", what);
	*items = n->data.sequence.items.start;
	*count =
	    (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return true;
}

/* Iterates the keys of a mapping, each one of a fixed set. */
struct keys {
	yaml_node_pair_t *at, *end;
	const char *what; /* "rule", "ignore rule", ... for messages */
	const char *const *names;
	size_t count;
	yaml_node_t **values; /* per name: its value node, NULL if absent */
};

/* Starts iterating mapping N; fails when it is not a mapping. */
static bool keys_begin(struct load *ld, yaml_node_t *n, struct keys *k)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(ld, n, "each %s must be a mapping (%s: ...)",
			       k->what, k->names[0]);
	k->at = n->data.mapping.pairs.start;
	k->end = n->data.mapping.pairs.top;
	memset(k->values, 0, k->count * sizeof *k->values);
	return true;
}

/* The next key: returns 1 with its index in *KEY (its value in
 * k->values[*KEY]), 0 at the end, -1 on an unknown or repeated key. */
static int keys_next(struct load *ld, struct keys *k, size_t *key)
{
	char hint[128];
	if (k->at >= k->end)
		return 0;
	yaml_node_pair_t pair = *k->at++;
	yaml_node_t *kn = node_take(ld, pair.key);
	if (kn == NULL)
		return -1;
	if (kn->type != YAML_SCALAR_NODE) {
		fail_at(ld, kn, "a key must be a string");
		return -1;
	}
	struct th_span name = scalar(kn);
	for (size_t i = 0; i < k->count; i++) {
		if (!span_eq(name, cstr(k->names[i])))
			continue;
		if (k->values[i] != NULL) {
			fail_at(ld, kn, "duplicate key '%s'", k->names[i]);
			return -1;
		}
		k->values[i] = node_take(ld, pair.value);
		*key = i;
		return k->values[i] != NULL ? 1 : -1;
	}
	fail_at(ld, kn, "unknown key '%.*s' in %s%s", (int)name.n, name.p,
		k->what,
		did_you_mean(hint, sizeof hint, name, k->names, k->count));
	return -1;
}

/* ---- loading: regexes -------------------------------------------------- */

/* Offset in PATTERN of the name in the group "(?<NAME>", "(?'NAME'" or
 * "(?P<NAME>"; 0 when not found. */
static size_t group_name_offset(struct th_span pat, struct th_span name)
{
	for (size_t i = 0; i + 3 < pat.n; i++) {
		if (pat.p[i] != '(' || pat.p[i + 1] != '?')
			continue;
		size_t j = i + 2 + (pat.p[i + 2] == 'P');
		if (j >= pat.n || (pat.p[j] != '<' && pat.p[j] != '\''))
			continue;
		if (j + 1 + name.n < pat.n &&
		    memcmp(pat.p + j + 1, name.p, name.n) == 0 &&
		    strchr(">'", pat.p[j + 1 + name.n]) != NULL &&
		    pat.p[j + 1 + name.n] != '\0')
			return j + 1;
	}
	return 0;
}

/* Index of NAME in G's names, or G->count. */
static size_t group_slot(const struct group_names *g, struct th_span name)
{
	size_t i = 0;
	while (i < g->count && !span_eq(name, cstr(g->names[i])))
		i++;
	return i;
}

/* Maps RE's named groups to their slots in G; fails at the first group (in
 * the pattern) whose name G does not have. */
static bool regex_fields(struct load *ld, const yaml_node_t *node,
			 const struct group_names *g, struct regex *re)
{
	uint32_t count = 0, size = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	struct th_span pat = {re->src, re->n}, bad = {NULL, 0};
	size_t bad_at = SIZE_MAX;
	re->groups = xcalloc(count, sizeof *re->groups);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * size;
		struct th_span name = cstr((const char *)e + 2);
		size_t slot = group_slot(g, name);
		if (slot < g->count) {
			re->groups[re->n_groups++] = (struct field_group){
			    (uint32_t)(e[0] << 8 | e[1]), (unsigned)slot};
		} else if (group_name_offset(pat, name) < bad_at ||
			   bad.p == NULL) {
			bad = name; /* report the first in the pattern */
			bad_at = group_name_offset(pat, name);
		}
	}
	if (bad.p == NULL)
		return true;
	char list[128], hint[128];
	size_t line, column;
	scalar_pos(ld, node, bad_at, &line, &column);
	return fail_pos(
	    ld, line, column, "named group '%.*s' is not %s; use one of %s%s",
	    (int)bad.n, bad.p, g->what,
	    join(list, sizeof list, g->names, g->count),
	    did_you_mean(hint, sizeof hint, bad, g->names, g->count));
}

/* Compiles the pattern in scalar NODE (the value of KEY) into RE, with
 * PCRE2 OPTIONS added. GROUPS: the names its named groups may use (NULL:
 * any, unused). Fails pointing at the spot in the pattern PCRE2 complains
 * about. On failure RE holds what to regex_fini. */
static bool regex_compile(struct load *ld, const yaml_node_t *node,
			  const char *key, uint32_t options,
			  const struct group_names *groups, struct regex *re)
{
	struct th_span s;
	int code;
	PCRE2_SIZE off;
	if (!want_string(ld, node, key, &s))
		return false;
	regex_fini(re);
	/* No UTF: logs need not be valid UTF-8, and (*UTF) would make
	 * every invalid line an error, so it is refused. */
	re->code = pcre2_compile((PCRE2_SPTR)s.p, s.n,
				 PCRE2_DUPNAMES | PCRE2_NEVER_UTF | options,
				 &code, &off, NULL);
	re->src = dup_span(s);
	re->n = s.n;
	if (re->code == NULL) {
		PCRE2_UCHAR msg[256];
		size_t line, column;
		pcre2_get_error_message(code, msg, sizeof msg);
		scalar_pos(ld, node, off, &line, &column);
		return fail_pos(ld, line, column, "bad regex in %s: %s", key,
				(const char *)msg);
	}
	return groups == NULL || regex_fields(ld, node, groups, re);
}

/* ---- loading: rules ---------------------------------------------------- */

enum rule_key {
	RK_ID,
	RK_DESCRIPTION,
	RK_SEVERITY,
	RK_START,
	RK_LITERAL,
	RK_BODY,
	RK_SPLIT,
	RK_EXTRACT,
	RK_ENABLED,
	RK_OVERRIDE,
	RK_COUNT
};
static const char *const rule_keys[RK_COUNT] = {
    "id",   "description", "severity", "start",	  "literal",
    "body", "split",	   "extract",  "enabled", "override"};

enum extract_key { XK_REGEX, XK_LINES, XK_BUILTIN, XK_FIELD, XK_COUNT };
static const char *const extract_keys[XK_COUNT] = {"regex", "lines", "builtin",
						   "field"};

/* A `rules:` entry as read: the keys given and their values. */
struct rule_entry {
	yaml_node_t *map;
	yaml_node_t *values[RK_COUNT];
	struct rule v;
	bool override;
};

static void extracts_free(struct extract *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		regex_fini(&x[i].re);
	free(x);
}

static void literals_free(struct th_span *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)l[i].p);
	free(l);
}

static void rule_fini(struct rule *r)
{
	free(r->id);
	free(r->description);
	regex_fini(&r->start);
	literals_free(r->literal, r->n_literal);
	extracts_free(r->extract, r->n_extract);
	free(r->derived);
	free(r->derived_lits);
	memset(r, 0, sizeof *r);
}

/* Checks an extract item's keys go together and fills in defaults. */
static bool extract_check(struct load *ld, yaml_node_t *item, yaml_node_t **v,
			  struct extract *x)
{
	if (v[XK_REGEX] == NULL && v[XK_BUILTIN] == NULL)
		return fail_at(ld, item,
			       "an extract item needs regex: or "
			       "builtin:");
	if (v[XK_REGEX] != NULL && v[XK_BUILTIN] != NULL)
		return fail_at(ld, v[XK_BUILTIN],
			       "an extract item has "
			       "regex: or builtin:, not both");
	if (x->is_builtin && v[XK_LINES] != NULL)
		return fail_at(ld, v[XK_LINES],
			       "lines: goes with regex:, not "
			       "builtin:");
	if (!x->is_builtin && v[XK_FIELD] != NULL)
		return fail_at(ld, v[XK_FIELD],
			       "field: goes with builtin:; a regex names the "
			       "fields it sets with named groups");
	if (!x->is_builtin && x->re.n_groups == 0)
		return fail_at(ld, v[XK_REGEX],
			       "this extract regex sets no field: name a group "
			       "after one, e.g. (?<coroutine>...)");
	if (x->is_builtin && v[XK_FIELD] == NULL)
		x->field = builtin_fields[x->builtin];
	if (!x->is_builtin && v[XK_LINES] == NULL)
		x->lines = RANGE_ALL;
	return true;
}

/* Reads the value V of extract item key KEY into X. */
static bool extract_value(struct load *ld, struct extract *x, size_t key,
			  const yaml_node_t *v)
{
	size_t i;
	switch (key) {
	case XK_REGEX:
		return regex_compile(ld, v, "regex", 0, &ld->field_groups,
				     &x->re);
	case XK_LINES:
		if (!want_enum(ld, v, "lines", range_names, RANGE_COUNT, &i))
			return false;
		x->lines = (enum range)i;
		return true;
	case XK_BUILTIN:
		x->is_builtin = true;
		if (!want_enum(ld, v, "builtin", builtin_names,
			       TH_BUILTIN_COUNT, &i))
			return false;
		x->builtin = (enum th_builtin)i;
		return true;
	default:
		if (!want_enum(ld, v, "field", ld->field_names, TH_F_COUNT, &i))
			return false;
		x->field = (enum th_field)i;
		return true;
	}
}

/* Reads an `extract:` list into *OUT / *N (owned by the caller, also on
 * failure). */
static bool want_extracts(struct load *ld, const yaml_node_t *n,
			  struct extract **out, size_t *count)
{
	yaml_node_item_t *items;
	size_t n_items, key;
	yaml_node_t *values[XK_COUNT];
	struct keys k = {.what = "extract item",
			 .names = extract_keys,
			 .count = XK_COUNT,
			 .values = values};
	if (!want_sequence(ld, n, "extract", &items, &n_items))
		return false;
	for (size_t i = 0; i < n_items; i++) {
		yaml_node_t *item = node_take(ld, items[i]);
		struct extract *x = grow(out, count, sizeof **out);
		int rc;
		if (item == NULL || !keys_begin(ld, item, &k))
			return false;
		while ((rc = keys_next(ld, &k, &key)) > 0)
			if (!extract_value(ld, x, key, values[key]))
				return false;
		if (rc < 0 || !extract_check(ld, item, values, x))
			return false;
	}
	return true;
}

/* Reads `literal:`, a string or a list of them, into *OUT / *N (owned by
 * the caller, also on failure). */
static bool want_literals(struct load *ld, const yaml_node_t *n,
			  struct th_span **out, size_t *count)
{
	struct th_span s;
	if (n->type == YAML_SCALAR_NODE) {
		if (!want_nonempty(ld, n, "literal", &s))
			return false;
		*(struct th_span *)grow(out, count, sizeof **out) =
		    (struct th_span){dup_span(s), s.n};
		return true;
	}
	yaml_node_item_t *items;
	size_t n_items;
	if (!want_sequence(ld, n, "literal", &items, &n_items))
		return false;
	if (n_items == 0)
		return fail_at(ld, n,
			       "literal must be a string or a "
			       "non-empty list of strings");
	for (size_t i = 0; i < n_items; i++) {
		yaml_node_t *item = node_take(ld, items[i]);
		if (item == NULL || !want_nonempty(ld, item, "literal", &s))
			return false;
		*(struct th_span *)grow(out, count, sizeof **out) =
		    (struct th_span){dup_span(s), s.n};
	}
	return true;
}

/* Reads the value V of rule key KEY into E (owned by E, also on failure). */
static bool rule_value(struct load *ld, struct rule_entry *e, size_t key,
		       const yaml_node_t *v)
{
	struct th_span s;
	size_t i;
	switch ((enum rule_key)key) {
	case RK_ID:
		if (!want_id(ld, v, "id", "rule", &s))
			return false;
		e->v.id = dup_span(s);
		e->v.at = where_of(ld, v);
		return true;
	case RK_DESCRIPTION:
		if (!want_string(ld, v, "description", &s))
			return false;
		e->v.description = dup_span(s);
		return true;
	case RK_SEVERITY:
		if (!want_enum(ld, v, "severity", severity_names,
			       COUNT(severity_names), &i))
			return false;
		e->v.severity = severity_values[i];
		return true;
	case RK_START:
		return want_nonempty(ld, v, "start", &s) &&
		       regex_compile(ld, v, "start", 0, &ld->field_groups,
				     &e->v.start);
	case RK_LITERAL:
		return want_literals(ld, v, &e->v.literal, &e->v.n_literal);
	case RK_BODY:
		if (!want_enum(ld, v, "body", body_names, COUNT(body_names),
			       &i))
			return false;
		e->v.body = (enum th_body)i;
		return true;
	case RK_SPLIT:
		e->v.split_leaves = true;
		return want_enum(ld, v, "split", split_names,
				 COUNT(split_names), &i);
	case RK_EXTRACT:
		return want_extracts(ld, v, &e->v.extract, &e->v.n_extract);
	case RK_ENABLED: return want_bool(ld, v, "enabled", &e->v.enabled);
	default: return want_bool(ld, v, "override", &e->override);
	}
}

/* Index of the rule with id ID, or r->n_rules. */
static size_t rule_find(const struct th_rules *r, const char *id)
{
	size_t i = 0;
	while (i < r->n_rules && strcmp(r->rules[i].id, id) != 0)
		i++;
	return i;
}

/* Moves the keys E gives into rule R; what R had for them ends up in E,
 * to be freed with it. Giving `start` without `literal` drops R's literal:
 * it was written for the old pattern. */
static void rule_merge(struct rule *r, struct rule_entry *e)
{
	yaml_node_t **v = e->values;
	if (v[RK_DESCRIPTION])
		swap_str(&r->description, &e->v.description);
	if (v[RK_SEVERITY])
		r->severity = e->v.severity;
	if (v[RK_BODY])
		r->body = e->v.body;
	if (v[RK_SPLIT])
		r->split_leaves = e->v.split_leaves;
	if (v[RK_ENABLED])
		r->enabled = e->v.enabled;
	if (v[RK_START])
		regex_swap(&r->start, &e->v.start);
	if (v[RK_START] || v[RK_LITERAL]) {
		struct th_span *l = r->literal;
		size_t n = r->n_literal;
		r->literal = e->v.literal, r->n_literal = e->v.n_literal;
		e->v.literal = l, e->v.n_literal = n;
	}
	if (v[RK_EXTRACT]) {
		struct extract *x = r->extract;
		size_t n = r->n_extract;
		r->extract = e->v.extract, r->n_extract = e->v.n_extract;
		e->v.extract = x, e->v.n_extract = n;
	}
}

/* The rule E defines anew: defaults, then E's keys. */
static struct rule *rule_add(struct th_rules *r, struct rule_entry *e)
{
	struct rule *n = grow(&r->rules, &r->n_rules, sizeof *r->rules);
	n->id = e->v.id;
	e->v.id = NULL;
	n->at = e->v.at;
	n->severity = TH_SEV_ERROR;
	n->body = TH_BODY_LINE;
	n->enabled = true;
	rule_merge(n, e);
	return n;
}

/* The error for an id defined twice; returns false. */
static bool duplicate(struct load *ld, const yaml_node_t *at, const char *what,
		      const char *id, struct where first)
{
	return fail_at(
	    ld, at,
	    "duplicate %s id '%s' (first defined at %s:%zu:%zu); add "
	    "`override: true` to replace it",
	    what, id, ld->r->files[first.file], first.line, first.column);
}

/* Adds the rule E defines, or changes the one it overrides. */
static bool rule_apply(struct load *ld, struct rule_entry *e)
{
	struct th_rules *r = ld->r;
	yaml_node_t *id = e->values[RK_ID];
	if (id == NULL)
		return fail_at(ld, e->map, "a rule needs an id");
	size_t i = rule_find(r, e->v.id);
	if (i < r->n_rules && !e->override)
		return duplicate(ld, id, "rule", e->v.id, r->rules[i].at);
	if (i == r->n_rules && e->override)
		return fail_at(ld, id, "no rule '%s' to override", e->v.id);
	if (i == r->n_rules && e->values[RK_START] == NULL)
		return fail_at(ld, id, "rule '%s' has no start pattern",
			       e->v.id);
	struct rule *rule;
	if (i < r->n_rules) {
		rule = &r->rules[i];
		rule_merge(rule, e);
	} else {
		rule = rule_add(r, e);
	}
	if (rule->split_leaves && rule->body != TH_BODY_TRACEBACK) {
		yaml_node_t *at = e->values[RK_SPLIT] ? e->values[RK_SPLIT]
						      : e->values[RK_BODY];
		return fail_at(ld, at, "split: leaves needs body: traceback");
	}
	return true;
}

/* Reads one `rules:` entry and adds or overrides its rule. */
static bool load_rule(struct load *ld, yaml_node_t *map)
{
	struct rule_entry e = {.map = map};
	struct keys k = {.what = "rule",
			 .names = rule_keys,
			 .count = RK_COUNT,
			 .values = e.values};
	size_t key;
	int rc = 0;
	bool ok = keys_begin(ld, map, &k);
	while (ok && (rc = keys_next(ld, &k, &key)) > 0)
		ok = rule_value(ld, &e, key, e.values[key]);
	ok = ok && rc == 0 && rule_apply(ld, &e);
	rule_fini(&e.v);
	return ok;
}

/* ---- loading: ignore rules -------------------------------------------- */

/* Keys of an ignore rule; the conditions in enum th_field order, then
 * "text". */
enum ignore_key {
	IK_ID,
	IK_DESCRIPTION,
	IK_RULE,
	IK_COND,
	IK_ENABLED = IK_COND + COND_COUNT,
	IK_OVERRIDE,
	IK_COUNT
};
static const char *const ignore_keys[IK_COUNT] = {
    "id",	  "description", "rule", "coroutine", "exception", "task",
    "defined_at", "created_at",	 "text", "enabled",   "override"};

struct ignore_entry {
	yaml_node_t *map;
	yaml_node_t *values[IK_COUNT];
	struct ignore v;
	bool override;
};

static void ignore_fini(struct ignore *g)
{
	free(g->id);
	free(g->description);
	for (size_t i = 0; i < g->n_refs; i++)
		free(g->refs[i].id);
	free(g->refs);
	for (size_t c = 0; c < COND_COUNT; c++)
		regex_fini(&g->cond[c]);
	free(g->active_rules);
	memset(g, 0, sizeof *g);
}

/* Reads `rule:`, a rule id or a list of them. */
static bool want_refs(struct load *ld, const yaml_node_t *n, struct ignore *g)
{
	struct th_span s;
	yaml_node_item_t *items = NULL;
	size_t count = 1;
	if (n->type != YAML_SCALAR_NODE &&
	    !want_sequence(ld, n, "rule", &items, &count))
		return false;
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item =
		    items != NULL ? node_take(ld, items[i]) : n;
		if (item == NULL || !want_id(ld, item, "rule", "rule", &s))
			return false;
		struct rule_ref *ref =
		    grow(&g->refs, &g->n_refs, sizeof *g->refs);
		ref->id = dup_span(s);
		ref->at = where_of(ld, item);
	}
	return true;
}

/* Reads the value V of ignore rule key KEY into E. */
static bool ignore_value(struct load *ld, struct ignore_entry *e, size_t key,
			 const yaml_node_t *v)
{
	struct th_span s;
	if (key >= IK_COND && key < IK_COND + COND_COUNT)
		return regex_compile(ld, v, ignore_keys[key], 0, NULL,
				     &e->v.cond[key - IK_COND]);
	switch (key) {
	case IK_ID:
		if (!want_id(ld, v, "id", "ignore rule", &s))
			return false;
		e->v.id = dup_span(s);
		e->v.at = where_of(ld, v);
		return true;
	case IK_DESCRIPTION:
		if (!want_string(ld, v, "description", &s))
			return false;
		e->v.description = dup_span(s);
		return true;
	case IK_RULE: return want_refs(ld, v, &e->v);
	case IK_ENABLED: return want_bool(ld, v, "enabled", &e->v.enabled);
	default: return want_bool(ld, v, "override", &e->override);
	}
}

/* Index of the ignore rule with id ID, or r->n_ignores. */
static size_t ignore_find(const struct th_rules *r, const char *id)
{
	size_t i = 0;
	while (i < r->n_ignores && strcmp(r->ignores[i].id, id) != 0)
		i++;
	return i;
}

/* Moves the keys E gives into G; G's old values end up in E. */
static void ignore_merge(struct ignore *g, struct ignore_entry *e)
{
	yaml_node_t **v = e->values;
	if (v[IK_DESCRIPTION])
		swap_str(&g->description, &e->v.description);
	if (v[IK_RULE]) {
		struct rule_ref *t = g->refs;
		size_t n = g->n_refs;
		g->refs = e->v.refs, g->n_refs = e->v.n_refs;
		e->v.refs = t, e->v.n_refs = n;
	}
	for (size_t c = 0; c < COND_COUNT; c++)
		if (v[IK_COND + c])
			regex_swap(&g->cond[c], &e->v.cond[c]);
	if (v[IK_ENABLED])
		g->enabled = e->v.enabled;
}

/* Adds the ignore rule E defines, or changes the one it overrides; fails
 * when the result has no condition. */
static bool ignore_apply(struct load *ld, struct ignore_entry *e)
{
	struct th_rules *r = ld->r;
	yaml_node_t *id = e->values[IK_ID];
	if (id == NULL)
		return fail_at(ld, e->map, "an ignore rule needs an id");
	size_t i = ignore_find(r, e->v.id);
	if (i < r->n_ignores && !e->override)
		return duplicate(ld, id, "ignore", e->v.id, r->ignores[i].at);
	if (i == r->n_ignores && e->override)
		return fail_at(ld, id, "no ignore rule '%s' to override",
			       e->v.id);
	/* &array[i] only once the array exists: the first entry has none. */
	struct ignore *g;
	if (i < r->n_ignores) {
		g = &r->ignores[i];
	} else {
		g = grow(&r->ignores, &r->n_ignores, sizeof *r->ignores);
		g->id = e->v.id, e->v.id = NULL;
		g->at = e->v.at;
		g->enabled = true;
	}
	ignore_merge(g, e);
	for (size_t c = 0; c < COND_COUNT; c++)
		if (g->cond[c].src != NULL)
			return true;
	return fail_at(ld, id,
		       "ignore rule '%s' has no condition: give at least one "
		       "of coroutine, exception, task, defined_at, created_at, "
		       "text",
		       g->id);
}

/* Reads one `ignore:` entry and adds or overrides its ignore rule. */
static bool load_ignore(struct load *ld, yaml_node_t *map)
{
	struct ignore_entry e = {.map = map};
	struct keys k = {.what = "ignore rule",
			 .names = ignore_keys,
			 .count = IK_COUNT,
			 .values = e.values};
	size_t key;
	int rc = 0;
	bool ok = keys_begin(ld, map, &k);
	while (ok && (rc = keys_next(ld, &k, &key)) > 0)
		ok = ignore_value(ld, &e, key, e.values[key]);
	ok = ok && rc == 0 && ignore_apply(ld, &e);
	ignore_fini(&e.v);
	return ok;
}

/* ---- loading: prefixes -------------------------------------------------- */

enum prefix_key {
	PK_ID,
	PK_DESCRIPTION,
	PK_REGEX,
	PK_TIME_FORMAT,
	PK_ENABLED,
	PK_OVERRIDE,
	PK_COUNT
};
static const char *const prefix_keys[PK_COUNT] = {
    "id", "description", "regex", "time_format", "enabled", "override"};

struct prefix_entry {
	yaml_node_t *map;
	yaml_node_t *values[PK_COUNT];
	struct prefix v;
	bool override;
};

static void prefix_fini(struct prefix *p)
{
	free(p->id);
	free(p->description);
	regex_fini(&p->re);
	free(p->time_format);
	memset(p, 0, sizeof *p);
}

/* True when prefix pattern RE has a group for PART. */
static bool has_part(const struct regex *re, enum part part)
{
	for (size_t i = 0; i < re->n_groups; i++)
		if (re->groups[i].slot == part)
			return true;
	return false;
}

/* Compiles a prefix's `regex:` (node N): anchored at the line's start, as
 * a prefix is, which also spares every line a scan for it. Without a
 * message group a match would leave nothing for the rules to read. */
static bool want_prefix_regex(struct load *ld, const yaml_node_t *n,
			      struct regex *re)
{
	struct th_span s;
	size_t line, column;
	if (!want_nonempty(ld, n, "regex", &s) ||
	    !regex_compile(ld, n, "regex", PCRE2_ANCHORED, &prefix_groups, re))
		return false;
	if (has_part(re, PART_MESSAGE))
		return true;
	scalar_pos(ld, n, 0, &line, &column);
	return fail_pos(ld, line, column,
			"a prefix regex needs a (?<message>...) group for the "
			"rest of the line");
}

/* Length of the strptime conversion at S[I] == '%' (after glibc's flags
 * and width, then E or O); 0 when no letter ends it. "%%" is 2. */
static size_t conversion_len(struct th_span s, size_t i)
{
	size_t j = i + 1;
	if (j < s.n && s.p[j] == '%')
		return 2;
	while (j < s.n && strchr("-_0^#123456789", s.p[j]) != NULL &&
	       s.p[j] != '\0')
		j++;
	if (j < s.n && (s.p[j] == 'E' || s.p[j] == 'O'))
		j++;
	if (j >= s.n || !((s.p[j] >= 'a' && s.p[j] <= 'z') ||
			  (s.p[j] >= 'A' && s.p[j] <= 'Z')))
		return 0;
	return j + 1 - i;
}

/* Reads `time_format:` (node N) into *OUT: a strptime(3) format with at
 * least one conversion. Checked here because strptime would only fail on
 * every line, silently. */
static bool want_time_format(struct load *ld, const yaml_node_t *n, char **out)
{
	struct th_span s;
	size_t conversions = 0, line, column;
	if (!want_nonempty(ld, n, "time_format", &s))
		return false;
	for (size_t i = 0; i < s.n; i++) {
		size_t len = s.p[i] == '%' ? conversion_len(s, i) : 1;
		if (s.p[i] == '\0' || len == 0) {
			scalar_pos(ld, n, i, &line, &column);
			return fail_pos(ld, line, column,
					s.p[i] == '\0'
					    ? "time_format must not contain "
					      "a NUL byte"
					    : "time_format: '%%' must start a "
					      "strptime conversion such as %%d "
					      "(write %%%% for a '%%')");
		}
		conversions += len > 2 || (len == 2 && s.p[i + 1] != '%');
		i += len - 1;
	}
	if (conversions == 0)
		return fail_at(
		    ld, n,
		    "time_format has no strptime conversion such "
		    "as %%d or %%H; leave it out for ISO 8601 times");
	*out = dup_span(s);
	return true;
}

/* Reads the value V of prefix key KEY into E (owned by E, also on
 * failure). */
static bool prefix_value(struct load *ld, struct prefix_entry *e, size_t key,
			 const yaml_node_t *v)
{
	struct th_span s;
	switch ((enum prefix_key)key) {
	case PK_ID:
		if (!want_id(ld, v, "id", "prefix", &s))
			return false;
		e->v.id = dup_span(s);
		e->v.at = where_of(ld, v);
		return true;
	case PK_DESCRIPTION:
		if (!want_string(ld, v, "description", &s))
			return false;
		e->v.description = dup_span(s);
		return true;
	case PK_REGEX: return want_prefix_regex(ld, v, &e->v.re);
	case PK_TIME_FORMAT: return want_time_format(ld, v, &e->v.time_format);
	case PK_ENABLED: return want_bool(ld, v, "enabled", &e->v.enabled);
	default: return want_bool(ld, v, "override", &e->override);
	}
}

/* Index of the prefix with id ID, or r->n_prefixes. */
static size_t prefix_find(const struct th_rules *r, const char *id)
{
	size_t i = 0;
	while (i < r->n_prefixes && strcmp(r->prefixes[i].id, id) != 0)
		i++;
	return i;
}

/* Moves the keys E gives into P; P's old values end up in E. A new regex
 * keeps the time_format: it describes the times the lines carry, which a
 * changed pattern rarely changes. */
static void prefix_merge(struct prefix *p, struct prefix_entry *e)
{
	yaml_node_t **v = e->values;
	if (v[PK_DESCRIPTION])
		swap_str(&p->description, &e->v.description);
	if (v[PK_REGEX])
		regex_swap(&p->re, &e->v.re);
	if (v[PK_TIME_FORMAT])
		swap_str(&p->time_format, &e->v.time_format);
	if (v[PK_ENABLED])
		p->enabled = e->v.enabled;
}

/* Adds the prefix E defines, or changes the one it overrides; fails when
 * the result has a time_format but no time to apply it to. */
static bool prefix_apply(struct load *ld, struct prefix_entry *e)
{
	struct th_rules *r = ld->r;
	yaml_node_t *id = e->values[PK_ID];
	if (id == NULL)
		return fail_at(ld, e->map, "a prefix needs an id");
	size_t i = prefix_find(r, e->v.id);
	if (i < r->n_prefixes && !e->override)
		return duplicate(ld, id, "prefix", e->v.id, r->prefixes[i].at);
	if (i == r->n_prefixes && e->override)
		return fail_at(ld, id, "no prefix '%s' to override", e->v.id);
	if (i == r->n_prefixes && e->values[PK_REGEX] == NULL)
		return fail_at(ld, id, "prefix '%s' has no regex", e->v.id);
	struct prefix *p;
	if (i < r->n_prefixes) {
		p = &r->prefixes[i];
	} else {
		p = grow(&r->prefixes, &r->n_prefixes, sizeof *r->prefixes);
		p->id = e->v.id, e->v.id = NULL;
		p->at = e->v.at;
		p->enabled = true;
	}
	prefix_merge(p, e);
	if (p->time_format == NULL || has_part(&p->re, PART_TIME))
		return true;
	yaml_node_t *at = e->values[PK_TIME_FORMAT] ? e->values[PK_TIME_FORMAT]
						    : e->values[PK_REGEX];
	return fail_at(ld, at ? at : id,
		       "prefix '%s' has a time_format but its regex no "
		       "(?<time>...) group",
		       p->id);
}

/* Reads one `prefixes:` entry and adds or overrides its prefix. */
static bool load_prefix(struct load *ld, yaml_node_t *map)
{
	struct prefix_entry e = {.map = map};
	struct keys k = {.what = "prefix",
			 .names = prefix_keys,
			 .count = PK_COUNT,
			 .values = e.values};
	size_t key;
	int rc = 0;
	bool ok = keys_begin(ld, map, &k);
	while (ok && (rc = keys_next(ld, &k, &key)) > 0)
		ok = prefix_value(ld, &e, key, e.values[key]);
	ok = ok && rc == 0 && prefix_apply(ld, &e);
	prefix_fini(&e.v);
	return ok;
}

/* ---- loading: files ----------------------------------------------------- */

/* Adds the wrapper names of list N; names already known are skipped. */
static bool load_wrappers(struct load *ld, const yaml_node_t *n)
{
	struct th_rules *r = ld->r;
	yaml_node_item_t *items;
	size_t count;
	if (!want_sequence(ld, n, "wrappers", &items, &count))
		return false;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = node_take(ld, items[i]);
		struct th_span s;
		if (item == NULL || !want_nonempty(ld, item, "a wrapper", &s))
			return false;
		size_t k = 0;
		while (k < r->n_wrappers && !span_eq(r->wrappers[k], s))
			k++;
		if (k == r->n_wrappers)
			*(struct th_span *)grow(&r->wrappers, &r->n_wrappers,
						sizeof *r->wrappers) =
			    (struct th_span){dup_span(s), s.n};
	}
	return true;
}

/* The top-level keys. */
enum top_key { TK_RULES, TK_IGNORE, TK_PREFIXES, TK_WRAPPERS, TK_COUNT };
static const char *const top_keys[TK_COUNT] = {"rules", "ignore", "prefixes",
					       "wrappers"};

/* Reads each item of list N, the value of KEY (not wrappers). */
static bool load_list(struct load *ld, const yaml_node_t *n, enum top_key key)
{
	yaml_node_item_t *items;
	size_t count;
	if (!want_sequence(ld, n, top_keys[key], &items, &count))
		return false;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = node_take(ld, items[i]);
		if (item == NULL)
			return false;
		bool ok = key == TK_RULES    ? load_rule(ld, item)
			  : key == TK_IGNORE ? load_ignore(ld, item)
					     : load_prefix(ld, item);
		if (!ok)
			return false;
	}
	return true;
}

/* Reads the document's top-level mapping. */
static bool load_root(struct load *ld)
{
	yaml_node_t *values[TK_COUNT];
	struct keys k = {.what = "rule file",
			 .names = top_keys,
			 .count = TK_COUNT,
			 .values = values};
	yaml_node_t *root = yaml_document_get_root_node(&ld->doc);
	char list[64];
	size_t key;
	int rc;
	if (root == NULL || is_null(root))
		return true; /* an empty file */
	ld->seen[0] = 1;     /* the root is the document's first node */
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(ld, root,
			       "a rule file must be a mapping with keys %s",
			       join(list, sizeof list, top_keys, TK_COUNT));
	if (!keys_begin(ld, root, &k))
		return false;
	while ((rc = keys_next(ld, &k, &key)) > 0) {
		bool ok = key == TK_WRAPPERS
			      ? load_wrappers(ld, values[key])
			      : load_list(ld, values[key], (enum top_key)key);
		if (!ok)
			return false;
	}
	return rc == 0;
}

/* Fills the error from PARSER's; returns false. */
static bool yaml_failed(struct load *ld, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		die("out of memory reading YAML");
	if (p->error == YAML_READER_ERROR) {
		size_t line = 1, col = 1;
		for (size_t i = 0; i < p->problem_offset && i < ld->src_n; i++)
			line += ld->src[i] == '\n',
			    col = ld->src[i] == '\n' ? 1 : col + 1;
		return fail_pos(ld, line, col, "cannot read YAML: %s",
				p->problem ? p->problem : "bad input");
	}
	const yaml_mark_t *m = &p->problem_mark;
	if (p->context != NULL)
		return fail_pos(ld, m->line + 1, m->column + 1,
				"YAML syntax error: %s (%s at line %zu)",
				p->problem ? p->problem : "?", p->context,
				p->context_mark.line + 1);
	return fail_pos(ld, m->line + 1, m->column + 1, "YAML syntax error: %s",
			p->problem ? p->problem : "?");
}

/* Fails when PARSER has another document after the one read. */
static bool no_second_document(struct load *ld, yaml_parser_t *p)
{
	yaml_document_t doc;
	if (!yaml_parser_load(p, &doc))
		return yaml_failed(ld, p);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	bool ok = root == NULL ||
		  fail_at(ld, root, "only one YAML document per rule file");
	yaml_document_delete(&doc);
	return ok;
}

/* Remembers file NAME for positions; returns its index. */
static size_t add_file(struct th_rules *r, const char *name)
{
	*(char **)grow(&r->files, &r->n_files, sizeof *r->files) =
	    xstrdup(name);
	return r->n_files - 1;
}

bool rules_load_buffer(struct th_rules *r, const char *name, const char *yaml,
		       size_t len, struct th_error *err)
{
	if (r->finished)
		die("rules: loading after rules_finish");
	struct load ld = {.r = r, .err = err, .src = yaml, .src_n = len};
	ld.file = add_file(r, name);
	catalog_field_names(ld.field_names);
	ld.field_groups =
	    (struct group_names){"a field", ld.field_names, TH_F_COUNT};
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		die("out of memory reading YAML");
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
	bool ok = yaml_parser_load(&p, &ld.doc);
	if (!ok) {
		yaml_failed(&ld, &p);
	} else {
		ld.n_nodes = (size_t)(ld.doc.nodes.top - ld.doc.nodes.start);
		ld.seen = xcalloc(ld.n_nodes + 1, 1);
		ok = load_root(&ld);
		free(ld.seen);
		yaml_document_delete(&ld.doc);
		ok = ok && no_second_document(&ld, &p);
	}
	yaml_parser_delete(&p);
	return ok;
}

/* Reads all of F into *BUF / *LEN (the caller frees *BUF). */
static bool read_all(FILE *f, const char *path, char **buf, size_t *len,
		     struct th_error *err)
{
	size_t cap = 4096;
	*buf = xmalloc(cap);
	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap >= TH_RULES_FILE_MAX) {
				th_error_set(
				    err, path, 0, 0,
				    "rule file is larger than %d bytes",
				    TH_RULES_FILE_MAX);
				return false;
			}
			cap *= 2;
			*buf = xrealloc(*buf, cap);
		}
		size_t got = fread(*buf + *len, 1, cap - *len, f);
		*len += got;
		if (got == 0)
			break;
	}
	if (!ferror(f))
		return true;
	th_error_set(err, path, 0, 0, "cannot read rule file: %s",
		     strerror(errno));
	return false;
}

/* Reads rule file PATH into memory and loads it. */
static bool load_file(struct th_rules *r, const char *path,
		      struct th_error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		th_error_set(err, path, 0, 0, "cannot open rule file: %s",
			     strerror(errno));
		return false;
	}
	char *buf;
	size_t len;
	bool ok = read_all(f, path, &buf, &len, err);
	fclose(f);
	ok = ok && rules_load_buffer(r, path, buf, len, err);
	free(buf);
	return ok;
}

/* True for the names a directory's rule files have. */
static bool is_rule_file(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.') /* editors' lock and swap files */
		return false;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of DIR's rule files, sorted; NULL with the error set on failure. */
static char **dir_rule_files(const char *dir, size_t *n, struct th_error *err)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	struct dirent *de;
	*n = 0;
	if (d == NULL) {
		th_error_set(err, dir, 0, 0, "cannot open rule directory: %s",
			     strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL)
		if (is_rule_file(de->d_name))
			*(char **)grow(&names, n, sizeof *names) =
			    xstrdup(de->d_name);
	closedir(d);
	if (*n > 0)
		qsort(names, *n, sizeof *names, cmp_names);
	return names != NULL ? names : xcalloc(1, sizeof *names);
}

/* Loads DIR's *.yaml and *.yml files in name order; sub-directories and
 * other non-files are skipped. */
static bool load_dir(struct th_rules *r, const char *dir, struct th_error *err)
{
	size_t n;
	char **names = dir_rule_files(dir, &n, err);
	bool ok = names != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = xmalloc(len);
		struct stat st;
		snprintf(path, len, "%s/%s", dir, names[i]);
		if (stat(path, &st) != 0) {
			th_error_set(err, path, 0, 0,
				     "cannot open rule file: %s",
				     strerror(errno));
			ok = false;
		} else if (S_ISREG(st.st_mode)) {
			ok = load_file(r, path, err);
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ok;
}

bool rules_load_path(struct th_rules *r, const char *path, struct th_error *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		th_error_set(err, path, 0, 0, "cannot open rule file: %s",
			     strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(r, path, err);
	return load_file(r, path, err);
}

/* ---- finishing ----------------------------------------------------------- */

/* JIT-compiles RE (silently staying with the interpreter when JIT is not
 * available) and widens the match data size to fit it. */
static void regex_jit(struct th_rules *r, struct regex *re)
{
	uint32_t captures = 0;
	if (re->code == NULL)
		return;
	pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &captures);
	if (captures + 1 > r->max_pairs)
		r->max_pairs = captures + 1;
}

/* Lists the enabled rules and ignore rules, JIT-compiling their regexes. */
static void collect_active(struct th_rules *r)
{
	r->active = xcalloc(r->n_rules, sizeof *r->active);
	for (size_t i = 0; i < r->n_rules; i++) {
		struct rule *rule = &r->rules[i];
		rule->active = SIZE_MAX;
		if (!rule->enabled)
			continue;
		rule->active = r->n_active;
		r->active[r->n_active++] = rule;
		regex_jit(r, &rule->start);
		for (size_t k = 0; k < rule->n_extract; k++)
			regex_jit(r, &rule->extract[k].re);
	}
	r->active_ignores = xcalloc(r->n_ignores, sizeof *r->active_ignores);
	for (size_t i = 0; i < r->n_ignores; i++) {
		struct ignore *g = &r->ignores[i];
		if (!g->enabled)
			continue;
		r->active_ignores[r->n_active_ignores++] = g;
		for (size_t c = 0; c < COND_COUNT; c++)
			regex_jit(r, &g->cond[c]);
	}
}

/* Lists the enabled prefixes, JIT-compiling them: every line is tried
 * against them, so they must fit the match data too. */
static void collect_prefixes(struct th_rules *r)
{
	r->active_prefixes = xcalloc(r->n_prefixes, sizeof *r->active_prefixes);
	for (size_t i = 0; i < r->n_prefixes; i++) {
		struct prefix *p = &r->prefixes[i];
		if (!p->enabled)
			continue;
		r->active_prefixes[r->n_active_prefixes++] = p;
		regex_jit(r, &p->re);
	}
}

/* Resolves ignore rule G's `rule:` ids to enabled rule indexes (a disabled
 * rule has none: its events never come). Fails on an unknown id. */
static bool resolve_refs(struct th_rules *r, struct ignore *g,
			 struct th_error *err)
{
	g->active_rules = xcalloc(g->n_refs, sizeof *g->active_rules);
	for (size_t i = 0; i < g->n_refs; i++) {
		struct rule_ref *ref = &g->refs[i];
		size_t k = rule_find(r, ref->id);
		if (k == r->n_rules) {
			const char **ids = xcalloc(r->n_rules, sizeof *ids);
			char hint[128];
			for (size_t j = 0; j < r->n_rules; j++)
				ids[j] = r->rules[j].id;
			th_error_set(err, r->files[ref->at.file], ref->at.line,
				     ref->at.column,
				     "ignore rule '%s' names no rule '%s'%s",
				     g->id, ref->id,
				     did_you_mean(hint, sizeof hint,
						  cstr(ref->id), ids,
						  r->n_rules));
			free(ids);
			return false;
		}
		if (r->rules[k].active != SIZE_MAX)
			g->active_rules[g->n_active_rules++] =
			    r->rules[k].active;
	}
	return true;
}

/* RULE's literals: those given, else those derived from its start pattern
 * (kept in RULE). Returns how many; 0 when it has none. */
static size_t rule_literals(struct rule *rule, const struct th_span **out)
{
	if (rule->n_literal > 0) {
		*out = rule->literal;
		return rule->n_literal;
	}
	struct th_span pat = {rule->start.src, rule->start.n};
	rule->derived = xmalloc(pat.n + 1);
	rule->derived_lits = xcalloc(pat.n + 1, sizeof *rule->derived_lits);
	rule->n_derived =
	    rules_literal_derive(pat, rule->derived, rule->derived_lits);
	*out = rule->derived_lits;
	return rule->n_derived;
}

/* True when literal A makes B redundant: every line holding B holds A.
 * Of two equal literals the earlier (lower I) stays. */
static bool covers(struct th_span a, size_t ia, struct th_span b, size_t ib)
{
	if (a.n > b.n || (a.n == b.n && ia > ib))
		return false;
	return memmem(b.p, b.n, a.p, a.n) != NULL;
}

/* Gathers every enabled rule's literals, dropping those that contain
 * another: the fast path needs only the shortest of such pairs. */
static void collect_literals(struct th_rules *r)
{
	r->have_literals = true;
	for (size_t i = 0; i < r->n_active; i++) {
		const struct th_span *l;
		size_t n = rule_literals(r->active[i], &l);
		if (n == 0)
			r->have_literals = false;
		for (size_t k = 0; k < n; k++)
			*(struct th_span *)grow(&r->literals, &r->n_literals,
						sizeof *r->literals) = l[k];
	}
	size_t kept = 0;
	for (size_t i = 0; i < r->n_literals; i++) {
		bool redundant = false;
		for (size_t j = 0; j < r->n_literals && !redundant; j++)
			redundant = j != i && covers(r->literals[j], j,
						     r->literals[i], i);
		if (!redundant)
			r->literals[kept++] = r->literals[i];
	}
	r->n_literals = kept;
}

bool rules_finish(struct th_rules *r, struct th_error *err)
{
	if (r->finished)
		die("rules: rules_finish called twice");
	r->finished = true;
	r->max_pairs = 1;
	collect_active(r);
	collect_prefixes(r);
	for (size_t i = 0; i < r->n_ignores; i++)
		if (!resolve_refs(r, &r->ignores[i], err))
			return false;
	if (r->n_active == 0) {
		th_error_set(err, "", 0, 0, "no enabled rules");
		return false;
	}
	collect_literals(r);
	r->catalog = catalog_new();
	for (size_t i = 0; i < r->n_active; i++)
		catalog_add_rule(r->catalog, r->active[i]->id,
				 r->active[i]->severity);
	for (size_t i = 0; i < r->n_active_ignores; i++)
		catalog_add_ignore(r->catalog, r->active_ignores[i]->id);
	r->ready = true;
	return true;
}

/* ---- queries -------------------------------------------------------- */

struct th_rules *rules_new(void)
{
	return xcalloc(1, sizeof(struct th_rules));
}

void rules_free(struct th_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_rules; i++)
		rule_fini(&r->rules[i]);
	for (size_t i = 0; i < r->n_ignores; i++)
		ignore_fini(&r->ignores[i]);
	for (size_t i = 0; i < r->n_prefixes; i++)
		prefix_fini(&r->prefixes[i]);
	literals_free(r->wrappers, r->n_wrappers);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i]);
	free(r->files);
	free(r->rules);
	free(r->ignores);
	free(r->active);
	free(r->active_ignores);
	free(r->prefixes);
	free(r->active_prefixes);
	free(r->literals);
	catalog_free(r->catalog);
	free(r);
}

/* Enabled rule I; an index out of range is a caller's bug. */
static const struct rule *active(const struct th_rules *r, size_t i)
{
	if (!r->ready || i >= r->n_active)
		die("rules: rule index %zu out of range", i);
	return r->active[i];
}

const struct th_catalog *rules_catalog(const struct th_rules *r)
{
	if (!r->ready)
		die("rules: rules_catalog before a successful rules_finish");
	return r->catalog;
}

size_t rules_count(const struct th_rules *r)
{
	return r->ready ? r->n_active : 0;
}

const char *rules_id(const struct th_rules *r, size_t rule)
{
	return catalog_rule_id(rules_catalog(r), rule);
}

enum th_severity rules_severity(const struct th_rules *r, size_t rule)
{
	return catalog_rule_severity(rules_catalog(r), rule);
}

enum th_body rules_body(const struct th_rules *r, size_t rule)
{
	return active(r, rule)->body;
}

bool rules_split_leaves(const struct th_rules *r, size_t rule)
{
	return active(r, rule)->split_leaves;
}

bool rules_literals(const struct th_rules *r, const struct th_span **lits,
		    size_t *n)
{
	bool ok = r->ready && r->have_literals;
	*lits = ok ? r->literals : NULL;
	*n = ok ? r->n_literals : 0;
	return ok;
}

size_t rules_ignore_count(const struct th_rules *r)
{
	return r->ready ? r->n_active_ignores : 0;
}

const char *rules_ignore_id(const struct th_rules *r, size_t ignore)
{
	return catalog_ignore_id(rules_catalog(r), ignore);
}

/* True when NAME is WRAPPER, or a qualified name whose last part is:
 * asyncio prints "setup.<locals>._coro_creating_hub_and_span" where a
 * traceback frame says "_coro_creating_hub_and_span". */
static bool names_wrapper(struct th_span name, struct th_span wrapper)
{
	if (name.n < wrapper.n)
		return false;
	struct th_span tail = {name.p + name.n - wrapper.n, wrapper.n};
	return span_eq(tail, wrapper) &&
	       (name.n == wrapper.n || tail.p[-1] == '.');
}

size_t rules_prefix_count(const struct th_rules *r)
{
	return r->ready ? r->n_active_prefixes : 0;
}

bool rules_is_wrapper(const struct th_rules *r, struct th_span coroutine)
{
	for (size_t i = 0; i < r->n_wrappers; i++)
		if (names_wrapper(coroutine, r->wrappers[i]))
			return true;
	return false;
}

/* ---- matching ------------------------------------------------------- */

struct th_matcher *matcher_new(const struct th_rules *r)
{
	if (!r->ready)
		die("rules: matcher_new before a successful rules_finish");
	struct th_matcher *m = xcalloc(1, sizeof *m);
	m->r = r;
	m->md = pcre2_match_data_create(r->max_pairs, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	if (m->md == NULL || m->mctx == NULL)
		die("out of memory (regex match data)");
	pcre2_set_match_limit(m->mctx, TH_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, TH_REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mctx, TH_REGEX_HEAP_LIMIT_KIB);
	/* The default JIT stack (32 KiB) is too small for some patterns on
	 * long lines; NULL here just means no JIT. */
	m->jit = pcre2_jit_stack_create(32 * 1024, TH_REGEX_JIT_STACK, NULL);
	if (m->jit != NULL)
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit);
	m->text_cap = 4096;
	m->text = xmalloc(m->text_cap);
	return m;
}

void matcher_free(struct th_matcher *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jit);
	free(m->text);
	free(m);
}

size_t rules_match_errors(const struct th_matcher *m)
{
	return m->match_errors;
}

long rules_match_start(struct th_matcher *m, struct th_span line)
{
	for (size_t i = 0; i < m->r->n_active; i++)
		if (regex_match(m, &m->r->active[i]->start, line))
			return (long)i;
	return -1;
}

/* Applies extract item X to EV: a builtin copies its fact, a regex sets
 * its fields from the first line of its range where it matches. */
static void extract_one(struct th_matcher *m, const struct extract *x,
			struct th_event *ev, const struct th_facts *facts)
{
	if (x->is_builtin) {
		struct th_span v = facts ? facts->value[x->builtin]
					 : (struct th_span){NULL, 0};
		if (v.p != NULL && v.n > 0 && !event_has(ev, x->field))
			event_set(ev, x->field, v);
		return;
	}
	if (regex_fields_set(&x->re, ev))
		return; /* nothing left for it to set */
	size_t n = event_line_count(ev);
	size_t i = x->lines == RANGE_FOLLOWING ? 1 : 0;
	size_t end = x->lines == RANGE_START && n > 1 ? 1 : n;
	for (; i < end; i++) {
		struct th_span line = event_line(ev, i);
		if (regex_match(m, &x->re, line)) {
			regex_set_fields(m, &x->re, line, ev);
			return;
		}
	}
}

void rules_extract(struct th_matcher *m, struct th_event *ev,
		   const struct th_facts *facts)
{
	const struct rule *rule = active(m->r, ev->rule);
	if (event_line_count(ev) > 0 && rule->start.n_groups > 0) {
		struct th_span first = event_line(ev, 0);
		if (regex_match(m, &rule->start, first))
			regex_set_fields(m, &rule->start, first, ev);
	}
	for (size_t k = 0; k < rule->n_extract; k++)
		extract_one(m, &rule->extract[k], ev, facts);
}

/* EV's text in M's buffer (grown to fit: an event's size is bounded). */
static struct th_span event_text_span(struct th_matcher *m,
				      const struct th_event *ev)
{
	size_t need = event_text(ev, m->text, m->text_cap);
	if (need >= m->text_cap) {
		m->text_cap = need + 1;
		m->text = xrealloc(m->text, m->text_cap);
		need = event_text(ev, m->text, m->text_cap);
	}
	return (struct th_span){m->text, need};
}

/* True when every condition of ignore rule G holds for EV. *TEXT is EV's
 * text once some condition needed it (p == NULL before). */
static bool ignore_drops(struct th_matcher *m, const struct ignore *g,
			 const struct th_event *ev, struct th_span *text)
{
	if (g->n_refs > 0) {
		size_t i = 0;
		while (i < g->n_active_rules && g->active_rules[i] != ev->rule)
			i++;
		if (i == g->n_active_rules)
			return false;
	}
	for (size_t f = 0; f < TH_F_COUNT; f++) {
		const struct regex *re = &g->cond[f];
		if (re->src != NULL &&
		    (!event_has(ev, (enum th_field)f) ||
		     !regex_match(m, re, event_get(ev, (enum th_field)f))))
			return false;
	}
	if (g->cond[COND_TEXT].src == NULL)
		return true;
	if (text->p == NULL)
		*text = event_text_span(m, ev);
	return regex_match(m, &g->cond[COND_TEXT], *text);
}

long rules_ignored(struct th_matcher *m, const struct th_event *ev)
{
	struct th_span text = {NULL, 0};
	for (size_t i = 0; i < m->r->n_active_ignores; i++)
		if (ignore_drops(m, m->r->active_ignores[i], ev, &text))
			return (long)i;
	return -1;
}

/* After a match of prefix pattern RE on S: what the first group for PART
 * that took part in the match captured, or p == NULL when none did. */
static struct th_span part_span(const struct th_matcher *m,
				const struct regex *re, enum part part,
				struct th_span s)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	uint32_t pairs = pcre2_get_ovector_count(m->md);
	const char *base = s.p != NULL ? s.p : "";
	for (size_t i = 0; i < re->n_groups; i++) {
		uint32_t g = re->groups[i].group;
		if (re->groups[i].slot != part || g >= pairs)
			continue;
		PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
		if (a != PCRE2_UNSET && a <= b && b <= s.n)
			return (struct th_span){base + a, b - a};
	}
	return (struct th_span){NULL, 0};
}

/* An empty time or source is none, as an empty field is unset. */
static struct th_span non_empty(struct th_span s)
{
	return s.n > 0 ? s : (struct th_span){NULL, 0};
}

bool rules_match_prefix(struct th_matcher *m, struct th_span line,
			struct th_prefix_match *out)
{
	*out = (struct th_prefix_match){{NULL, 0}, {NULL, 0}, {NULL, 0}, NULL};
	for (size_t i = 0; i < m->r->n_active_prefixes; i++) {
		const struct prefix *p = m->r->active_prefixes[i];
		if (!regex_match(m, &p->re, line))
			continue;
		struct th_span msg = part_span(m, &p->re, PART_MESSAGE, line);
		if (msg.p == NULL)
			continue; /* its message group was in another branch */
		out->message = msg;
		out->time = non_empty(part_span(m, &p->re, PART_TIME, line));
		out->source =
		    non_empty(part_span(m, &p->re, PART_SOURCE, line));
		out->time_format = p->time_format;
		return true;
	}
	return false;
}
