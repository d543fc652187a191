/* rules_private.h - the rule engine's model, shared by its files and
 * included by nothing else (callers see rules.h):
 *   rules_load.c  YAML -> model: positioned errors, did-you-mean, the
 *                 table of keys per kind of entry, resolving ignore rules'
 *                 rule ids;
 *   rules.c       the model: freeing, rules_finish(), the queries;
 *   matcher.c     matching lines and events with the compiled patterns;
 *   rules_literal.c  literals derived from a start pattern.
 *
 * Owns:        nothing itself; struct th_rules owns everything below it.
 * PCRE2 and libyaml stay inside these files; the regexes are compiled by
 * the loader and JIT-compiled by rules_finish().
 */
#ifndef TH_RULES_PRIVATE_H
#define TH_RULES_PRIVATE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "catalog.h"
#include "rules.h"
#include "spanmap.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Where something was written: 1-based; FILE indexes th_rules.files. */
struct where {
	size_t file, line, column;
};

/* A named group of a pattern and what it stands for: the index of its name
 * among the names the pattern may use, which for rule patterns is the
 * enum th_field it sets, for prefixes an enum part. */
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

/* Which of an event's lines an extract regex looks at. */
enum range { RANGE_START, RANGE_FOLLOWING, RANGE_ALL, RANGE_COUNT };

struct extract {
	bool is_builtin;
	enum th_builtin builtin;
	enum th_field field; /* for a builtin */
	enum range lines;    /* for a regex */
	struct regex re;
};

/* What every kind of entry (rule, ignore rule, prefix) has: the first
 * member of each, so the loader handles these keys once for all. */
struct item {
	char *id, *description;
	struct where at; /* of the id in the first definition */
	bool enabled;
};

struct rule {
	struct item it;
	enum th_severity severity;
	enum th_body body;
	bool split_leaves;
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
	struct item it;
	struct rule_ref *refs; /* `rule:`; none: any rule */
	size_t n_refs;
	struct regex cond[COND_COUNT]; /* src == NULL: not given */
	/* set by rules_finish() */
	size_t *active_rules; /* refs resolved to enabled rule indexes */
	size_t n_active_rules;
};

/* The named groups of a prefix pattern. */
enum part { PART_TIME, PART_SOURCE, PART_MESSAGE, PART_COUNT };

/* A user's line prefix (`prefixes:`). */
struct prefix {
	struct item it;
	struct regex re;   /* its groups' slots are enum part */
	char *time_format; /* strptime(3) format; NULL: ISO 8601 */
};

struct th_rules {
	char **files; /* names of the files loaded, for positions */
	size_t n_files;
	/* per file: the rules, ignore rules and prefixes it defined or
	   overrode (rules_file) */
	size_t (*file_entries)[3];
	struct rule *rules; /* in order of first definition */
	size_t n_rules, rules_cap;
	struct ignore *ignores;
	size_t n_ignores, ignores_cap;
	/* per kind of entry (rule, ignore rule, prefix: rules_load.c's enum
	   kind_id): id -> index, so that 100,000 rules load in linear time */
	struct spanmap item_ids[3];
	struct th_span *wrappers; /* each p owned */
	size_t n_wrappers;
	/* `frames:` patterns, per enum th_frame_kind; each p owned */
	struct th_span *frame_pats[TH_FRAME_KINDS];
	size_t n_frame_pats[TH_FRAME_KINDS];
	struct prefix *prefixes; /* in order of first definition */
	size_t n_prefixes, prefixes_cap;
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
	/* rules_match_start's index: each enabled rule's literals -> the
	   first of its chain in lit_rules (see rules.c, "candidates") */
	struct spanmap lit_index;
	struct lit_rule {
		size_t rule; /* enabled rule index */
		size_t next; /* next entry of the same literal, or SIZE_MAX */
	} * lit_rules;
	size_t n_lit_rules;
	size_t *lit_lengths; /* the distinct lengths of those literals */
	size_t n_lit_lengths;
	size_t *no_lit_rules; /* enabled rules without a literal, in order */
	size_t n_no_lit_rules;
	uint32_t max_pairs; /* ovector pairs the largest pattern needs */
};

/* rules.c: freeing what an item or a regex holds (it is zeroed). */
void rules_regex_fini(struct regex *re);
void rules_rule_fini(struct rule *r);
void rules_ignore_fini(struct ignore *g);
void rules_prefix_fini(struct prefix *p);

/* Sorts V[0..N) ascending and drops repeats; returns how many are left. */
size_t rules_sort_unique(size_t *v, size_t n);

/* rules_load.c: resolves every ignore rule's `rule:` ids to enabled rule
 * indexes (a disabled rule has none: its events never come); fails
 * naming the first unknown id, positioned at it. For rules_finish(),
 * once the enabled rules are numbered. */
bool rules_load_resolve_refs(struct th_rules *r, struct th_error *err);

#endif
