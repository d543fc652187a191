/* rules.c - the rule model: freeing it, finishing it (JIT, the enabled
 * rules in order, the literals, the catalog) and the queries; see
 * rules.h. rules_load.c fills the model from YAML and matcher.c runs it;
 * rules_private.h is what the three share.
 */
#include <stdlib.h>
#include <string.h>

#include "rules_private.h"

/* ---- freeing ------------------------------------------------------------ */

void rules_regex_fini(struct regex *re)
{
	free(re->src);
	pcre2_code_free(re->code);
	free(re->groups);
	memset(re, 0, sizeof *re);
}

static void extracts_free(struct extract *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rules_regex_fini(&x[i].re);
	free(x);
}

static void literals_free(struct th_span *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)l[i].p);
	free(l);
}

static void item_fini(struct item *it)
{
	free(it->id);
	free(it->description);
}

void rules_rule_fini(struct rule *r)
{
	item_fini(&r->it);
	rules_regex_fini(&r->start);
	literals_free(r->literal, r->n_literal);
	extracts_free(r->extract, r->n_extract);
	free(r->derived);
	free(r->derived_lits);
	memset(r, 0, sizeof *r);
}

void rules_ignore_fini(struct ignore *g)
{
	item_fini(&g->it);
	for (size_t i = 0; i < g->n_refs; i++)
		free(g->refs[i].id);
	free(g->refs);
	for (size_t c = 0; c < COND_COUNT; c++)
		rules_regex_fini(&g->cond[c]);
	free(g->active_rules);
	memset(g, 0, sizeof *g);
}

void rules_prefix_fini(struct prefix *p)
{
	item_fini(&p->it);
	rules_regex_fini(&p->re);
	free(p->time_format);
	memset(p, 0, sizeof *p);
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
		if (!rule->it.enabled)
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
		if (!g->it.enabled)
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
		if (!p->it.enabled)
			continue;
		r->active_prefixes[r->n_active_prefixes++] = p;
		regex_jit(r, &p->re);
	}
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

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

size_t rules_sort_unique(size_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_size);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

/* The distinct lengths of the N literals LITS, ascending, in a new array;
 * *N_OUT of them. */
static size_t *distinct_lengths(const struct th_span *lits, size_t n,
				size_t *n_out)
{
	size_t *len = xcalloc(n + 1, sizeof *len);
	for (size_t i = 0; i < n; i++)
		len[i] = lits[i].n;
	*n_out = rules_sort_unique(len, n);
	return len;
}

/* True when literal I of LITS is redundant: an earlier literal equals it,
 * or a shorter one occurs in it, so every line holding it holds that one.
 * FIRST maps each literal to its first index; LENS are their lengths. Its
 * substrings of those lengths are looked up, so the cost does not grow
 * with the number of literals. */
static bool literal_redundant(const struct spanmap *first, const size_t *lens,
			      size_t n_lens, const struct th_span *lits,
			      size_t i)
{
	struct th_span lit = lits[i];
	size_t at;
	if (spanmap_get(first, lit, &at) && at < i)
		return true;
	for (size_t k = 0; k < n_lens && lens[k] < lit.n; k++)
		for (size_t o = 0; o + lens[k] <= lit.n; o++)
			if (spanmap_get(first,
					(struct th_span){lit.p + o, lens[k]},
					&at))
				return true;
	return false;
}

/* Drops the literals that contain another: the fast path needs only the
 * shortest of such pairs. */
static void prune_literals(struct th_rules *r)
{
	struct spanmap first;
	size_t n_lens;
	spanmap_init(&first);
	for (size_t i = 0; i < r->n_literals; i++)
		spanmap_put(&first, r->literals[i], i, NULL);
	size_t *lens = distinct_lengths(r->literals, r->n_literals, &n_lens);
	size_t kept = 0;
	for (size_t i = 0; i < r->n_literals; i++)
		if (!literal_redundant(&first, lens, n_lens, r->literals, i))
			r->literals[kept++] = r->literals[i];
	r->n_literals = kept;
	free(lens);
	spanmap_fini(&first);
}

/* Enters rule K's literals L[0..N) in rules_match_start's index. */
static void index_literals(struct th_rules *r, size_t k,
			   const struct th_span *l, size_t n, size_t *cap)
{
	for (size_t i = 0; i < n; i++) {
		size_t e = r->n_lit_rules++, head = SIZE_MAX;
		XGROW(r->lit_rules, *cap, r->n_lit_rules, 16);
		if (!spanmap_put(&r->lit_index, l[i], e, &head))
			spanmap_set(&r->lit_index, l[i], e);
		r->lit_rules[e] = (struct lit_rule){k, head};
	}
}

/* Gathers every enabled rule's literals for the fast path, and indexes
 * them by rule for rules_match_start (rules without one listed apart). */
static void collect_literals(struct th_rules *r)
{
	size_t lits_cap = 0, index_cap = 0;
	r->have_literals = true;
	r->no_lit_rules = xcalloc(r->n_active, sizeof *r->no_lit_rules);
	for (size_t i = 0; i < r->n_active; i++) {
		const struct th_span *l;
		size_t n = rule_literals(r->active[i], &l);
		if (n == 0) {
			r->have_literals = false;
			r->no_lit_rules[r->n_no_lit_rules++] = i;
			continue;
		}
		XGROW(r->literals, lits_cap, r->n_literals + n, 16);
		memcpy(r->literals + r->n_literals, l, n * sizeof *l);
		r->n_literals += n;
		index_literals(r, i, l, n, &index_cap);
	}
	r->lit_lengths =
	    distinct_lengths(r->literals, r->n_literals, &r->n_lit_lengths);
	prune_literals(r);
}

bool rules_finish(struct th_rules *r, struct th_error *err)
{
	if (r->finished)
		die("rules: rules_finish called twice");
	r->finished = true;
	r->max_pairs = 1;
	collect_active(r);
	collect_prefixes(r);
	if (!rules_load_resolve_refs(r, err))
		return false;
	if (r->n_active == 0) {
		th_error_set(err, "", 0, 0, "no enabled rules");
		return false;
	}
	collect_literals(r);
	r->catalog = catalog_new();
	for (size_t i = 0; i < r->n_active; i++)
		catalog_add_rule(r->catalog, r->active[i]->it.id,
				 r->active[i]->severity);
	for (size_t i = 0; i < r->n_active_ignores; i++)
		catalog_add_ignore(r->catalog, r->active_ignores[i]->it.id);
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
		rules_rule_fini(&r->rules[i]);
	for (size_t i = 0; i < r->n_ignores; i++)
		rules_ignore_fini(&r->ignores[i]);
	for (size_t i = 0; i < r->n_prefixes; i++)
		rules_prefix_fini(&r->prefixes[i]);
	literals_free(r->wrappers, r->n_wrappers);
	for (size_t k = 0; k < TH_FRAME_KINDS; k++)
		literals_free(r->frame_pats[k], r->n_frame_pats[k]);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i]);
	free(r->files);
	free(r->file_entries);
	free(r->rules);
	free(r->ignores);
	free(r->active);
	free(r->active_ignores);
	free(r->prefixes);
	free(r->active_prefixes);
	free(r->literals);
	for (size_t k = 0; k < COUNT(r->item_ids); k++)
		spanmap_fini(&r->item_ids[k]);
	spanmap_fini(&r->lit_index);
	free(r->lit_rules);
	free(r->lit_lengths);
	free(r->no_lit_rules);
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

bool rules_uses_builtin(const struct th_rules *r, size_t rule,
			enum th_builtin b)
{
	const struct rule *ru = active(r, rule);
	for (size_t k = 0; k < ru->n_extract; k++)
		if (ru->extract[k].is_builtin && ru->extract[k].builtin == b)
			return true;
	return false;
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
	return memcmp(tail.p, wrapper.p, wrapper.n) == 0 &&
	       (name.n == wrapper.n || tail.p[-1] == '.');
}

size_t rules_prefix_count(const struct th_rules *r)
{
	return r->ready ? r->n_active_prefixes : 0;
}

/* True when PAT occurs in PATH, a '/' of PAT matching '\\' too (a
 * Windows path). */
static bool path_has(struct th_span path, struct th_span pat)
{
	for (size_t i = 0; i + pat.n <= path.n; i++) {
		size_t j = 0;
		while (j < pat.n &&
		       (path.p[i + j] == pat.p[j] ||
			(pat.p[j] == '/' && path.p[i + j] == '\\')))
			j++;
		if (j == pat.n)
			return true;
	}
	return false;
}

bool rules_frame_kind(const struct th_rules *r, struct th_span path,
		      enum th_frame_kind *out)
{
	/* application first: it wins over a library pattern */
	for (size_t k = 0; k < TH_FRAME_KINDS; k++)
		for (size_t i = 0; i < r->n_frame_pats[k]; i++)
			if (path_has(path, r->frame_pats[k][i])) {
				*out = (enum th_frame_kind)k;
				return true;
			}
	return false;
}

bool rules_is_wrapper(const struct th_rules *r, struct th_span coroutine)
{
	for (size_t i = 0; i < r->n_wrappers; i++)
		if (names_wrapper(coroutine, r->wrappers[i]))
			return true;
	return false;
}
