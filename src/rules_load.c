/* rules_load.c - read YAML rule files into the rule model; see rules.h,
 * rules_private.h, and patterns/README.md for the format.
 *
 * Loading reads each file into a libyaml document (node marks give the
 * positions errors point at), checks every key and compiles every regex
 * right away, so the first problem in file order is the one reported,
 * at file:line:column, with "did you mean" for a misspelt name. Rules,
 * ignore rules and prefixes are entries read by one loader from a table
 * of keys per kind. rules_finish() (rules.c) then JIT-compiles what is
 * enabled, and calls back here to resolve ignore rules' rule ids.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "rules_private.h"
#include "suggest.h"
#include "th_limits.h"

/* ---- small helpers ---------------------------------------------------- */

static const char *const severity_names[] = {"error", "warning", "info"};
static const enum th_severity severity_values[] = {TH_SEV_ERROR, TH_SEV_WARNING,
						   TH_SEV_INFO};
/* In enum th_body order. */
static const char *const body_names[] = {"line", "warning", "asyncio",
					 "context", "traceback"};
/* In enum th_builtin order, with the field each sets by default. */
static const char *const builtin_names[] = {
    "traceback.exception", "traceback.function", "source_traceback.location"};
static const enum th_field builtin_fields[] = {TH_F_EXCEPTION, TH_F_COROUTINE,
					       TH_F_CREATED_AT};
static const char *const range_names[] = {"start", "following", "all"};
static const char *const split_names[] = {"leaves"};
static const char *const bool_names[] = {"true", "false"};

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

/* Writes " (did you mean 'X'?)" for the closest of NAMES into BUF, or "". */
static const char *did_you_mean(char *buf, size_t cap, struct th_span word,
				const char *const *names, size_t n)
{
	const char *s = suggest_name(word, names, n);
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
 * catalog's: struct load has them); a prefix pattern's name the parts of
 * the line. */
static const struct group_names prefix_groups = {"a prefix group", part_names,
						 PART_COUNT};

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
	return s.n == 0 || span_eq(s, th_cstr("~")) ||
	       span_eq(s, th_cstr("null")) || span_eq(s, th_cstr("Null")) ||
	       span_eq(s, th_cstr("NULL"));
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
			if (span_eq(scalar(n), th_cstr(names[i]))) {
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
		if (span_eq(scalar(n), th_cstr(names[i]))) {
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
		if (!span_eq(name, th_cstr(k->names[i])))
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
	while (i < g->count && !span_eq(name, th_cstr(g->names[i])))
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
		struct th_span name = th_cstr((const char *)e + 2);
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
 * about. On failure RE holds what to rules_regex_fini. */
static bool regex_compile(struct load *ld, const yaml_node_t *node,
			  const char *key, uint32_t options,
			  const struct group_names *groups, struct regex *re)
{
	struct th_span s = {NULL, 0};
	int code;
	PCRE2_SIZE off;
	if (!want_string(ld, node, key, &s))
		return false;
	rules_regex_fini(re);
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

/* ---- loading: extract items and literals ------------------------------ */

enum extract_key { XK_REGEX, XK_LINES, XK_BUILTIN, XK_FIELD, XK_COUNT };
static const char *const extract_keys[XK_COUNT] = {"regex", "lines", "builtin",
						   "field"};

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
	size_t i = 0; /* want_enum sets it; gcc -O2 cannot tell */
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
	struct th_span s = {NULL, 0};
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

/* Reads `rule:`, a rule id or a list of them. */
static bool want_refs(struct load *ld, const yaml_node_t *n, struct ignore *g)
{
	struct th_span s = {NULL, 0};
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
	struct th_span s = {NULL, 0};
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
	struct th_span s = {NULL, 0};
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

/* ---- loading: entries ---------------------------------------------------- */

/* `rules:`, `ignore:` and `prefixes:` items are entries of three kinds,
 * read by one loader from a table of keys per kind: an entry's keys are
 * read into a scratch item, then moved into the item it defines or
 * overrides (what that item had for them ends up in the scratch item,
 * freed with it). */

struct entry;

/* A key of an entry. READ reads its value into E's scratch item; the
 * bytes [OFFSET, OFFSET + SIZE) of the item are what the key sets, moved
 * into the item on merge (SIZE 0: nothing to move). */
struct key {
	const char *name; /* NULL: one key per event field (named by the
			     catalog), condition ARG = the field */
	bool (*read)(struct load *ld, struct entry *e, const struct key *k,
		     const yaml_node_t *v);
	size_t offset, size;
	size_t arg; /* an ignore rule's condition (enum th_field, COND_TEXT) */
};

enum kind_id { KIND_RULE, KIND_IGNORE, KIND_PREFIX, KIND_COUNT };
_Static_assert(KIND_COUNT == COUNT(((struct th_rules *)0)->item_ids),
	       "th_rules has an id index per kind");

/* A kind of entry. Its keys start with KEY_ID. */
struct kind {
	enum kind_id id;
	const char *what;     /* "ignore rule": messages */
	const char *a_what;   /* "an ignore rule" */
	const char *dup_what; /* "ignore": "duplicate ignore id ..." */
	const struct key *keys;
	size_t n_keys;
	size_t size; /* of its struct, which starts with a struct item */
	size_t list, count, cap; /* where its array, count and capacity are
				    in th_rules */
	int required;		 /* the key a new one must give, or -1 */
	const char *missing;	 /* "has no start pattern": when it does not */
	/* Defaults of a new one before its keys (enabled is true); NULL:
	 * none but that. */
	void (*defaults)(struct item *it);
	/* After the keys were moved into IT: what else the kind moves, and
	 * its checks of the whole item. */
	bool (*apply)(struct load *ld, struct entry *e, struct item *it);
};

enum { KEY_ID, MAX_KEYS = 32 };

/* An entry as read: the kind's keys (fields spelled out), the value node
 * of each key given, and the scratch item they were read into. */
struct entry {
	const struct kind *kind;
	yaml_node_t *map;
	struct key keys[MAX_KEYS];
	const char *names[MAX_KEYS];
	yaml_node_t *values[MAX_KEYS];
	size_t n_keys;
	union {
		struct item it;
		struct rule rule;
		struct ignore ignore;
		struct prefix prefix;
	} v;
	bool override;
};

/* The keys every kind has. */
static bool key_id(struct load *ld, struct entry *e, const struct key *k,
		   const yaml_node_t *v)
{
	struct th_span s = {NULL, 0};
	(void)k;
	if (!want_id(ld, v, "id", e->kind->what, &s))
		return false;
	e->v.it.id = dup_span(s);
	e->v.it.at = where_of(ld, v);
	return true;
}

static bool key_description(struct load *ld, struct entry *e,
			    const struct key *k, const yaml_node_t *v)
{
	struct th_span s = {NULL, 0};
	(void)k;
	if (!want_string(ld, v, "description", &s))
		return false;
	e->v.it.description = dup_span(s);
	return true;
}

static bool key_enabled(struct load *ld, struct entry *e, const struct key *k,
			const yaml_node_t *v)
{
	(void)k;
	return want_bool(ld, v, "enabled", &e->v.it.enabled);
}

static bool key_override(struct load *ld, struct entry *e, const struct key *k,
			 const yaml_node_t *v)
{
	(void)k;
	return want_bool(ld, v, "override", &e->override);
}

/* The bytes of a member of an item, for struct key. */
#define MEMBER(type, m) offsetof(type, m), sizeof(((type *)0)->m)
/* Members A to B (declared in that order), moved together. */
#define MEMBERS(type, a, b)                                                    \
	offsetof(type, a),                                                     \
	    offsetof(type, b) + sizeof(((type *)0)->b) - offsetof(type, a)

/* The rows of the keys every kind has: {ID_KEY}, ... */
#define ID_KEY "id", key_id, 0, 0, 0
#define DESCRIPTION_KEY                                                        \
	"description", key_description, MEMBER(struct item, description), 0
#define ENABLED_KEY  "enabled", key_enabled, MEMBER(struct item, enabled), 0
#define OVERRIDE_KEY "override", key_override, 0, 0, 0

static void swap_bytes(void *a, void *b, size_t n)
{
	unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++) {
		unsigned char t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

/* ---- loading: rules ---------------------------------------------------- */

static bool key_severity(struct load *ld, struct entry *e, const struct key *k,
			 const yaml_node_t *v)
{
	size_t i;
	(void)k;
	if (!want_enum(ld, v, "severity", severity_names, COUNT(severity_names),
		       &i))
		return false;
	e->v.rule.severity = severity_values[i];
	return true;
}

static bool key_start(struct load *ld, struct entry *e, const struct key *k,
		      const yaml_node_t *v)
{
	struct th_span s = {NULL, 0};
	(void)k;
	return want_nonempty(ld, v, "start", &s) &&
	       regex_compile(ld, v, "start", 0, &ld->field_groups,
			     &e->v.rule.start);
}

static bool key_literal(struct load *ld, struct entry *e, const struct key *k,
			const yaml_node_t *v)
{
	(void)k;
	return want_literals(ld, v, &e->v.rule.literal, &e->v.rule.n_literal);
}

static bool key_body(struct load *ld, struct entry *e, const struct key *k,
		     const yaml_node_t *v)
{
	size_t i;
	(void)k;
	if (!want_enum(ld, v, "body", body_names, COUNT(body_names), &i))
		return false;
	e->v.rule.body = (enum th_body)i;
	return true;
}

static bool key_split(struct load *ld, struct entry *e, const struct key *k,
		      const yaml_node_t *v)
{
	size_t i;
	(void)k;
	e->v.rule.split_leaves = true;
	return want_enum(ld, v, "split", split_names, COUNT(split_names), &i);
}

static bool key_extract(struct load *ld, struct entry *e, const struct key *k,
			const yaml_node_t *v)
{
	(void)k;
	return want_extracts(ld, v, &e->v.rule.extract, &e->v.rule.n_extract);
}

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
static const struct key rule_keys[RK_COUNT] = {
    [RK_ID] = {ID_KEY},
    [RK_DESCRIPTION] = {DESCRIPTION_KEY},
    [RK_SEVERITY] = {"severity", key_severity, MEMBER(struct rule, severity),
		     0},
    [RK_START] = {"start", key_start, MEMBER(struct rule, start), 0},
    [RK_LITERAL] = {"literal", key_literal,
		    MEMBERS(struct rule, literal, n_literal), 0},
    [RK_BODY] = {"body", key_body, MEMBER(struct rule, body), 0},
    [RK_SPLIT] = {"split", key_split, MEMBER(struct rule, split_leaves), 0},
    [RK_EXTRACT] = {"extract", key_extract,
		    MEMBERS(struct rule, extract, n_extract), 0},
    [RK_ENABLED] = {ENABLED_KEY},
    [RK_OVERRIDE] = {OVERRIDE_KEY},
};

static void rule_defaults(struct item *it)
{
	struct rule *r = (struct rule *)it;
	r->severity = TH_SEV_ERROR;
	r->body = TH_BODY_LINE;
}

/* Giving `start` without `literal` drops the rule's literal: it was
 * written for the old pattern. A split needs a traceback to split. */
static bool rule_apply(struct load *ld, struct entry *e, struct item *it)
{
	struct rule *rule = (struct rule *)it;
	if (e->values[RK_START] != NULL && e->values[RK_LITERAL] == NULL)
		swap_bytes((char *)rule + rule_keys[RK_LITERAL].offset,
			   (char *)&e->v + rule_keys[RK_LITERAL].offset,
			   rule_keys[RK_LITERAL].size);
	if (!rule->split_leaves || rule->body == TH_BODY_TRACEBACK)
		return true;
	yaml_node_t *at =
	    e->values[RK_SPLIT] ? e->values[RK_SPLIT] : e->values[RK_BODY];
	return fail_at(ld, at, "split: leaves needs body: traceback");
}

/* ---- loading: ignore rules -------------------------------------------- */

static bool key_refs(struct load *ld, struct entry *e, const struct key *k,
		     const yaml_node_t *v)
{
	(void)k;
	return want_refs(ld, v, &e->v.ignore);
}

/* A condition: a regex over a field (or the text) named by the key. */
static bool key_condition(struct load *ld, struct entry *e, const struct key *k,
			  const yaml_node_t *v)
{
	return regex_compile(ld, v, k->name, 0, NULL,
			     &e->v.ignore.cond[k->arg]);
}

/* The conditions come in enum th_field order, then "text". */
static const struct key ignore_keys[] = {
    {ID_KEY},
    {DESCRIPTION_KEY},
    {"rule", key_refs, MEMBERS(struct ignore, refs, n_refs), 0},
    {NULL, key_condition, MEMBER(struct ignore, cond[0]), 0},
    {"text", key_condition, MEMBER(struct ignore, cond[COND_TEXT]), COND_TEXT},
    {ENABLED_KEY},
    {OVERRIDE_KEY},
};

/* An ignore rule needs a condition, once overrides are applied. */
static bool ignore_apply(struct load *ld, struct entry *e, struct item *it)
{
	const struct ignore *g = (const struct ignore *)it;
	char list[256];
	for (size_t c = 0; c < COND_COUNT; c++)
		if (g->cond[c].src != NULL)
			return true;
	join(list, sizeof list, ld->field_names, TH_F_COUNT);
	return fail_at(ld, e->values[KEY_ID],
		       "ignore rule '%s' has no condition: give at least one "
		       "of %s, text",
		       g->it.id, list);
}

/* ---- loading: prefixes -------------------------------------------------- */

static bool key_prefix_regex(struct load *ld, struct entry *e,
			     const struct key *k, const yaml_node_t *v)
{
	(void)k;
	return want_prefix_regex(ld, v, &e->v.prefix.re);
}

static bool key_time_format(struct load *ld, struct entry *e,
			    const struct key *k, const yaml_node_t *v)
{
	(void)k;
	return want_time_format(ld, v, &e->v.prefix.time_format);
}

enum prefix_key {
	PK_ID,
	PK_DESCRIPTION,
	PK_REGEX,
	PK_TIME_FORMAT,
	PK_ENABLED,
	PK_OVERRIDE,
	PK_COUNT
};
/* A new regex keeps the time_format: it describes the times the lines
 * carry, which a changed pattern rarely changes. */
static const struct key prefix_keys[PK_COUNT] = {
    [PK_ID] = {ID_KEY},
    [PK_DESCRIPTION] = {DESCRIPTION_KEY},
    [PK_REGEX] = {"regex", key_prefix_regex, MEMBER(struct prefix, re), 0},
    [PK_TIME_FORMAT] = {"time_format", key_time_format,
			MEMBER(struct prefix, time_format), 0},
    [PK_ENABLED] = {ENABLED_KEY},
    [PK_OVERRIDE] = {OVERRIDE_KEY},
};

/* A time_format needs a time to apply it to. */
static bool prefix_apply(struct load *ld, struct entry *e, struct item *it)
{
	const struct prefix *p = (const struct prefix *)it;
	if (p->time_format == NULL || has_part(&p->re, PART_TIME))
		return true;
	yaml_node_t *at = e->values[PK_TIME_FORMAT] ? e->values[PK_TIME_FORMAT]
						    : e->values[PK_REGEX];
	return fail_at(ld, at ? at : e->values[KEY_ID],
		       "prefix '%s' has a time_format but its regex no "
		       "(?<time>...) group",
		       p->it.id);
}

/* ---- loading: the kinds, and one loader for them ---------------------- */

static const struct kind kinds[KIND_COUNT] = {
    [KIND_RULE] = {.id = KIND_RULE,
		   .what = "rule",
		   .a_what = "a rule",
		   .dup_what = "rule",
		   .keys = rule_keys,
		   .n_keys = COUNT(rule_keys),
		   .size = sizeof(struct rule),
		   .list = offsetof(struct th_rules, rules),
		   .count = offsetof(struct th_rules, n_rules),
		   .cap = offsetof(struct th_rules, rules_cap),
		   .required = RK_START,
		   .missing = "has no start pattern",
		   .defaults = rule_defaults,
		   .apply = rule_apply},
    [KIND_IGNORE] = {.id = KIND_IGNORE,
		     .what = "ignore rule",
		     .a_what = "an ignore rule",
		     .dup_what = "ignore",
		     .keys = ignore_keys,
		     .n_keys = COUNT(ignore_keys),
		     .size = sizeof(struct ignore),
		     .list = offsetof(struct th_rules, ignores),
		     .count = offsetof(struct th_rules, n_ignores),
		     .cap = offsetof(struct th_rules, ignores_cap),
		     .required = -1,
		     .apply = ignore_apply},
    [KIND_PREFIX] = {.id = KIND_PREFIX,
		     .what = "prefix",
		     .a_what = "a prefix",
		     .dup_what = "prefix",
		     .keys = prefix_keys,
		     .n_keys = COUNT(prefix_keys),
		     .size = sizeof(struct prefix),
		     .list = offsetof(struct th_rules, prefixes),
		     .count = offsetof(struct th_rules, n_prefixes),
		     .cap = offsetof(struct th_rules, prefixes_cap),
		     .required = PK_REGEX,
		     .missing = "has no regex",
		     .apply = prefix_apply},
};

/* Item I of kind K in R: th_rules keeps an array of each kind, found by
 * the kind's offsets (the pointer is copied, not read as a char *). */
static struct item *item_at(struct th_rules *r, const struct kind *k, size_t i)
{
	char *base;
	memcpy(&base, (char *)r + k->list, sizeof base);
	return (struct item *)(base + i * k->size);
}

static size_t *item_count(struct th_rules *r, const struct kind *k)
{
	return (size_t *)((char *)r + k->count);
}

/* A new item of E's kind, with E's id, enabled, and the kind's defaults;
 * its id goes in the kind's index (the id's bytes never move). */
static struct item *item_new(struct th_rules *r, struct entry *e)
{
	const struct kind *k = e->kind;
	size_t *n = item_count(r, k);
	size_t *cap = (size_t *)((char *)r + k->cap);
	char *base;
	memcpy(&base, (char *)r + k->list, sizeof base);
	base = xgrow(base, cap, *n + 1, k->size, 16);
	memcpy((char *)r + k->list, &base, sizeof base);
	struct item *it = (struct item *)(base + *n * k->size);
	memset(it, 0, k->size);
	it->id = e->v.it.id;
	e->v.it.id = NULL;
	it->at = e->v.it.at;
	it->enabled = true;
	spanmap_put(&r->item_ids[k->id], th_cstr(it->id), *n, NULL);
	(*n)++;
	if (k->defaults != NULL)
		k->defaults(it);
	return it;
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

/* Adds the item E defines, or changes the one it overrides: the keys E
 * gives are swapped into it, then the kind has its say. */
static bool entry_apply(struct load *ld, struct entry *e)
{
	const struct kind *k = e->kind;
	struct th_rules *r = ld->r;
	yaml_node_t *id = e->values[KEY_ID];
	if (id == NULL)
		return fail_at(ld, e->map, "%s needs an id", k->a_what);
	size_t n = *item_count(r, k), i = n;
	spanmap_get(&r->item_ids[k->id], th_cstr(e->v.it.id), &i);
	if (i < n && !e->override)
		return duplicate(ld, id, k->dup_what, e->v.it.id,
				 item_at(r, k, i)->at);
	if (i == n && e->override)
		return fail_at(ld, id, "no %s '%s' to override", k->what,
			       e->v.it.id);
	if (i == n && k->required >= 0 && e->values[k->required] == NULL)
		return fail_at(ld, id, "%s '%s' %s", k->what, e->v.it.id,
			       k->missing);
	/* &array[i] only once the array exists: the first entry has none. */
	struct item *it = i < n ? item_at(r, k, i) : item_new(r, e);
	for (size_t j = 0; j < e->n_keys; j++)
		if (e->values[j] != NULL)
			swap_bytes((char *)it + e->keys[j].offset,
				   (char *)&e->v + e->keys[j].offset,
				   e->keys[j].size);
	return k->apply(ld, e, it);
}

/* E's keys: its kind's, the per-field row spelled out as one key per
 * event field, in enum th_field order. */
static void entry_keys(struct load *ld, struct entry *e)
{
	const struct kind *k = e->kind;
	for (size_t i = 0; i < k->n_keys; i++) {
		const struct key *row = &k->keys[i];
		size_t n = row->name != NULL ? 1 : TH_F_COUNT;
		for (size_t f = 0; f < n; f++) {
			if (e->n_keys == MAX_KEYS)
				die("rules: more than %d keys", MAX_KEYS);
			struct key *key = &e->keys[e->n_keys];
			*key = *row;
			if (row->name == NULL) {
				key->name = ld->field_names[f];
				key->offset += f * row->size;
				key->arg = f;
			}
			e->names[e->n_keys++] = key->name;
		}
	}
}

static void entry_fini(struct entry *e)
{
	switch (e->kind->id) {
	case KIND_RULE: rules_rule_fini(&e->v.rule); break;
	case KIND_IGNORE: rules_ignore_fini(&e->v.ignore); break;
	default: rules_prefix_fini(&e->v.prefix); break;
	}
}

/* Reads one entry of kind K and adds or overrides its item. */
static bool load_entry(struct load *ld, const struct kind *k, yaml_node_t *map)
{
	struct entry e = {.kind = k, .map = map};
	entry_keys(ld, &e);
	struct keys ks = {.what = k->what,
			  .names = e.names,
			  .count = e.n_keys,
			  .values = e.values};
	size_t key;
	int rc = 0;
	bool ok = keys_begin(ld, map, &ks);
	while (ok && (rc = keys_next(ld, &ks, &key)) > 0)
		ok = e.keys[key].read(ld, &e, &e.keys[key], e.values[key]);
	ok = ok && rc == 0 && entry_apply(ld, &e);
	if (ok)
		ld->r->file_entries[ld->file][k->id]++;
	entry_fini(&e);
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
		struct th_span s = {NULL, 0};
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

/* Adds the patterns of list N (the value of frames: KEY) to kind K;
 * patterns already known are skipped. */
static bool load_frame_list(struct load *ld, const yaml_node_t *n,
			    const char *key, enum th_frame_kind k)
{
	struct th_rules *r = ld->r;
	yaml_node_item_t *items;
	size_t count;
	if (!want_sequence(ld, n, key, &items, &count))
		return false;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = node_take(ld, items[i]);
		struct th_span s = {NULL, 0};
		if (item == NULL || !want_nonempty(ld, item, "a pattern", &s))
			return false;
		size_t j = 0;
		while (j < r->n_frame_pats[k] &&
		       !span_eq(r->frame_pats[k][j], s))
			j++;
		if (j == r->n_frame_pats[k])
			*(struct th_span *)grow(&r->frame_pats[k],
						&r->n_frame_pats[k],
						sizeof *r->frame_pats[k]) =
			    (struct th_span){dup_span(s), s.n};
	}
	return true;
}

/* `frames: {application: [...], library: [...]}`, in enum th_frame_kind
 * order. */
static const char *const frame_keys[TH_FRAME_KINDS] = {"application",
						       "library"};

static bool load_frames(struct load *ld, yaml_node_t *n)
{
	yaml_node_t *values[TH_FRAME_KINDS];
	struct keys k = {.what = "frames",
			 .names = frame_keys,
			 .count = TH_FRAME_KINDS,
			 .values = values};
	size_t key;
	int rc;
	if (is_null(n))
		return true;
	if (!keys_begin(ld, n, &k))
		return false;
	while ((rc = keys_next(ld, &k, &key)) > 0)
		if (!load_frame_list(ld, values[key], frame_keys[key],
				     (enum th_frame_kind)key))
			return false;
	return rc == 0;
}

/* The top-level keys. */
enum top_key {
	TK_RULES,
	TK_IGNORE,
	TK_PREFIXES,
	TK_WRAPPERS,
	TK_FRAMES,
	TK_COUNT
};
static const char *const top_keys[TK_COUNT] = {"rules", "ignore", "prefixes",
					       "wrappers", "frames"};

/* The kind of the items of each list. */
static const enum kind_id kind_of[TK_WRAPPERS] = {[TK_RULES] = KIND_RULE,
						  [TK_IGNORE] = KIND_IGNORE,
						  [TK_PREFIXES] = KIND_PREFIX};

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
		if (!load_entry(ld, &kinds[kind_of[key]], item))
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
		bool ok = key == TK_WRAPPERS ? load_wrappers(ld, values[key])
			  : key == TK_FRAMES
			      ? load_frames(ld, values[key])
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
	r->file_entries =
	    xrealloc(r->file_entries, r->n_files * sizeof *r->file_entries);
	memset(r->file_entries[r->n_files - 1], 0, sizeof *r->file_entries);
	return r->n_files - 1;
}

size_t rules_file_count(const struct th_rules *r)
{
	return r->n_files;
}

struct th_rules_file rules_file(const struct th_rules *r, size_t i)
{
	return (struct th_rules_file){
	    .name = r->files[i],
	    .rules = r->file_entries[i][KIND_RULE],
	    .ignores = r->file_entries[i][KIND_IGNORE],
	    .prefixes = r->file_entries[i][KIND_PREFIX]};
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

/* Loads the N rule files NAMES of DIR in order (sub-directories and other
 * non-files are skipped) and frees NAMES. */
static bool load_dir_files(struct th_rules *r, const char *dir, char **names,
			   size_t n, struct th_error *err)
{
	bool ok = true;
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

/* Loads DIR's *.yaml and *.yml files in name order. */
static bool load_dir(struct th_rules *r, const char *dir, struct th_error *err)
{
	size_t n;
	char **names = dir_rule_files(dir, &n, err);
	return names != NULL && load_dir_files(r, dir, names, n, err);
}

enum rules_site rules_load_site_dir(struct th_rules *r, const char *dir,
				    struct th_error *err)
{
	struct stat st;
	if (stat(dir, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return RULES_SITE_ABSENT;
	size_t n;
	char **names = dir_rule_files(dir, &n, err);
	if (names == NULL)
		return RULES_SITE_UNREADABLE;
	return load_dir_files(r, dir, names, n, err) ? RULES_SITE_LOADED
						     : RULES_SITE_BAD;
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

/* ---- resolving ---------------------------------------------------------- */

/* Index of the rule with id ID, or r->n_rules. */
static size_t rule_find(const struct th_rules *r, const char *id)
{
	size_t i = r->n_rules;
	spanmap_get(&r->item_ids[KIND_RULE], th_cstr(id), &i);
	return i;
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
				ids[j] = r->rules[j].it.id;
			th_error_set(err, r->files[ref->at.file], ref->at.line,
				     ref->at.column,
				     "ignore rule '%s' names no rule '%s'%s",
				     g->it.id, ref->id,
				     did_you_mean(hint, sizeof hint,
						  th_cstr(ref->id), ids,
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

bool rules_load_resolve_refs(struct th_rules *r, struct th_error *err)
{
	for (size_t i = 0; i < r->n_ignores; i++)
		if (!resolve_refs(r, &r->ignores[i], err))
			return false;
	return true;
}
