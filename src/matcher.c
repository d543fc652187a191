/* matcher.c - match lines and events against the compiled rules: start
 * patterns, extract items, ignore rules and user prefixes; see rules.h
 * (the matcher's API is there, beside the rules it runs).
 *
 * Every match runs with the limits of th_limits.h: one that gives up
 * counts as no match and in rules_match_errors().
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "rules_private.h"
#include "th_limits.h"

struct th_matcher {
	const struct th_rules *r;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit; /* NULL: no JIT, or the default stack */
	size_t match_errors;
	char *text; /* an event's text, for `text:` conditions */
	size_t text_cap;
	size_t *cand; /* rules_match_start's candidate rules */
	size_t n_cand, cand_cap;
	struct start_memo *memo; /* START_MEMO_SLOTS, allocated on first use */
};

/* rules_match_start's answers for short lines seen before. Trigger lines
 * repeat: most tracebacks start with the bare "Traceback (most recent
 * call last):", which every rule before the traceback rule's would
 * otherwise try and fail, a pattern run each. The answer depends on the
 * line's bytes only, so a line equal to a remembered one gets its
 * answer. */
#define START_MEMO_SLOTS 64
#define START_MEMO_TEXT	 96
struct start_memo {
	size_t n; /* 0: empty */
	long rule;
	char text[START_MEMO_TEXT];
};

/* Up to this many enabled rules, rules_match_start tries each start
 * pattern in turn; past it, only those of the rules whose literals the
 * line holds (the index costs a hash per position and literal length, a
 * few patterns' worth, and saves 100,000 patterns a line with as many
 * rules). */
#define INDEX_MIN_RULES 64

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
	free(m->cand);
	free(m->memo);
	free(m);
}

size_t rules_match_errors(const struct th_matcher *m)
{
	return m->match_errors;
}

static void cand_add(struct th_matcher *m, size_t rule)
{
	XGROW(m->cand, m->cand_cap, m->n_cand + 1, 64);
	m->cand[m->n_cand++] = rule;
}

/* The rules whose start pattern may match LINE, in M->cand in rule order
 * without repeats: those of every literal LINE holds (a rule's literals
 * are in every line its start matches: patterns/README.md, "Literals")
 * and those without a literal. */
static void candidates(struct th_matcher *m, struct th_span line)
{
	const struct th_rules *r = m->r;
	m->n_cand = 0;
	for (size_t i = 0; i < r->n_no_lit_rules; i++)
		cand_add(m, r->no_lit_rules[i]);
	for (size_t k = 0; k < r->n_lit_lengths && r->lit_lengths[k] <= line.n;
	     k++)
		for (size_t o = 0; o + r->lit_lengths[k] <= line.n; o++) {
			struct th_span s = {line.p + o, r->lit_lengths[k]};
			size_t e;
			if (!spanmap_get(&r->lit_index, s, &e))
				continue;
			for (; e != SIZE_MAX; e = r->lit_rules[e].next)
				cand_add(m, r->lit_rules[e].rule);
		}
	m->n_cand = rules_sort_unique(m->cand, m->n_cand);
}

/* rules_match_start without the memo. */
static long match_start(struct th_matcher *m, struct th_span line)
{
	const struct th_rules *r = m->r;
	if (r->n_active <= INDEX_MIN_RULES) {
		for (size_t i = 0; i < r->n_active; i++)
			if (regex_match(m, &r->active[i]->start, line))
				return (long)i;
		return -1;
	}
	candidates(m, line);
	for (size_t i = 0; i < m->n_cand; i++)
		if (regex_match(m, &r->active[m->cand[i]]->start, line))
			return (long)m->cand[i];
	return -1;
}

/* The slot of M's memo for LINE, or NULL when LINE is too long to keep. */
static struct start_memo *memo_slot(struct th_matcher *m, struct th_span line)
{
	if (line.n == 0 || line.n > START_MEMO_TEXT)
		return NULL;
	if (m->memo == NULL)
		m->memo = xcalloc(START_MEMO_SLOTS, sizeof *m->memo);
	XXH64_hash_t h = XXH3_64bits(line.p, line.n);
	return &m->memo[h & (START_MEMO_SLOTS - 1)];
}

long rules_match_start(struct th_matcher *m, struct th_span line)
{
	struct start_memo *slot = memo_slot(m, line);
	if (slot != NULL && slot->n == line.n &&
	    memcmp(slot->text, line.p, line.n) == 0)
		return slot->rule;
	size_t errors = m->match_errors;
	long rule = match_start(m, line);
	if (slot != NULL && m->match_errors == errors) {
		/* a pattern that gave up at a limit is run (and counted) again
		 */
		slot->n = line.n;
		slot->rule = rule;
		memcpy(slot->text, line.p, line.n);
	}
	return rule;
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
	if (ev->rule >= m->r->n_active)
		die("rules: rule index %zu out of range", ev->rule);
	const struct rule *rule = m->r->active[ev->rule];
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
