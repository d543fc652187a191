/* rules.h - load YAML rule files and match lines and events against them.
 *
 * Owns:        every rule, ignore rule, prefix and wrapper name loaded,
 *              and their compiled PCRE2 patterns (JIT). Immutable once
 *              rules_finish() succeeded, so threads may share it.
 * A struct th_matcher holds the per-thread PCRE2 match data; everything that
 * runs a regex takes one. Callers never see pcre2.h.
 * Errors:      loading fills a struct th_error with file:line:column and
 *              returns false; nothing is printed. After a failure the rules
 *              are only fit for rules_free(). See patterns/README.md for the
 *              format.
 * Regexes run with a match limit: one that gives up (a badly backtracking
 * user pattern) counts as no match and is counted in rules_match_errors().
 *
 * One API, three files (rules_private.h is what they share): rules_load.c
 * reads YAML, rules.c finishes and answers the queries, matcher.c matches.
 * The matcher's functions stay here: each runs one th_rules' compiled
 * patterns, and every caller that matches also holds those rules. The
 * aggregate and the reports need only rules_catalog() (catalog.h).
 */
#ifndef TH_RULES_H
#define TH_RULES_H

#include "diag.h"
#include "event.h"
#include "th.h"

/* What follows an event's start line, i.e. which grammar the assembler
 * applies to decide where the event ends. */
enum th_body {
	TH_BODY_LINE,	   /* the start line alone */
	TH_BODY_WARNING,   /* a warnings.warn report: indented source lines,
			      "Object allocated at" frames, the tracemalloc hint
			    */
	TH_BODY_ASYNCIO,   /* asyncio's "key: value" context lines, debug-mode
			      source tracebacks, then an optional traceback */
	TH_BODY_CONTEXT,   /* the same context lines, never a traceback: one
			      that follows is a report of its own */
	TH_BODY_TRACEBACK, /* the start line opens a traceback (or group) */
};

/* Facts the C traceback grammar computes for an event (see classify.h);
 * a rule's extract list says which field each goes to. */
enum th_builtin {
	TH_BUILTIN_EXCEPTION,  /* "traceback.exception": final-line type */
	TH_BUILTIN_FUNCTION,   /* "traceback.function": the culprit's */
	TH_BUILTIN_CREATED_AT, /* "source_traceback.location": file:line */
	TH_BUILTIN_COUNT
};

struct th_facts {
	struct th_span value[TH_BUILTIN_COUNT]; /* p == NULL or n == 0: not
						   known */
};

struct th_rules;
struct th_matcher;
struct th_catalog; /* catalog.h */

struct th_rules *rules_new(void);
void rules_free(struct th_rules *r);

/* Loads a rule file, or every *.yaml / *.yml file of a directory in name
 * order (byte order, as in the C locale; names starting with '.' and
 * other names, such as dpkg's .dpkg-old or an editor's backup~, are
 * skipped, and so are sub-directories). Later files may override (override:
 * true) or disable rules of earlier ones. Returns false and fills ERR on the
 * first problem. */
bool rules_load_path(struct th_rules *r, const char *path,
		     struct th_error *err);

/* How a site rule directory (/etc/tracehound/rules.d and the user's)
 * went: loaded (maybe holding no rule file); absent, which is not worth
 * a word; unreadable (ERR says why: a warning, the run goes on); or a
 * file in it is bad (ERR as for rules_load_path: the run stops). */
enum rules_site {
	RULES_SITE_LOADED,
	RULES_SITE_ABSENT,
	RULES_SITE_UNREADABLE,
	RULES_SITE_BAD
};

/* Loads the *.yaml and *.yml files of DIR like rules_load_path, when
 * there is such a directory. */
enum rules_site rules_load_site_dir(struct th_rules *r, const char *dir,
				    struct th_error *err);

/* A rule file loaded, and the rules, ignore rules and prefixes it
 * defined or overrode. */
struct th_rules_file {
	const char *name; /* as given (a directory's files: DIR/NAME);
			     valid as long as the rules */
	size_t rules, ignores, prefixes;
};

/* The files loaded so far, in the order they were (buffers by their
 * NAME too): how many, and the I-th. */
size_t rules_file_count(const struct th_rules *r);
struct th_rules_file rules_file(const struct th_rules *r, size_t i);

/* Loads YAML from memory; NAME is what messages call it. For tests. */
bool rules_load_buffer(struct th_rules *r, const char *name, const char *yaml,
		       size_t len, struct th_error *err);

/* JIT-compiles the enabled rules' patterns, resolves ignore rules' rule
 * ids, computes the literals and checks the whole set (at least one enabled
 * rule). Call once after loading; nothing may be loaded afterwards. */
bool rules_finish(struct th_rules *r, struct th_error *err);

/* The ids and severities of the enabled rules and the ids of the enabled
 * ignore rules, indexed as below, for the aggregate and the reports;
 * valid as long as the rules, after rules_finish() succeeded. */
const struct th_catalog *rules_catalog(const struct th_rules *r);

/* Enabled event rules, in priority order: when several start patterns match
 * a line, the first rule wins. Indexes below are 0..rules_count()-1.
 * rules_id and rules_severity are catalog_rule_id and
 * catalog_rule_severity of rules_catalog(). */
size_t rules_count(const struct th_rules *r);
const char *rules_id(const struct th_rules *r, size_t rule);
enum th_severity rules_severity(const struct th_rules *r, size_t rule);
enum th_body rules_body(const struct th_rules *r, size_t rule);
/* True when an exception group ending the event yields one event per leaf. */
bool rules_split_leaves(const struct th_rules *r, size_t rule);
/* True when RULE's extract list has a `builtin: B` item: only then does
 * rules_extract read fact B of the events of RULE, so that the fact need
 * not be computed for the others. */
bool rules_uses_builtin(const struct th_rules *r, size_t rule,
			enum th_builtin b);

/* Literal strings, one of which every start line contains: the fast path
 * searches buffers for these and confirms candidates with
 * rules_match_start(). Returns false when some enabled rule has no usable
 * literal, so every line must be matched (the slow path). */
bool rules_literals(const struct th_rules *r, const struct th_span **lits,
		    size_t *n);

/* Shortest literal a start pattern's alternative must contain for the fast
 * path to use it. */
#define TH_LITERAL_MIN 3

/* The literals rules_finish() derives for a start pattern without a
 * `literal:` key (see patterns/README.md): the longest run of plain
 * characters of each top-level alternative. Writes them to BUF (room for
 * PATTERN.n bytes) and points LITS (room for PATTERN.n + 1 spans) at them.
 * Returns how many, or 0 when some alternative has no run of TH_LITERAL_MIN
 * bytes or the pattern uses what the derivation does not understand. */
size_t rules_literal_derive(struct th_span pattern, char *buf,
			    struct th_span *lits);

/* The literals a pattern stands for when it is nothing but a union of
 * them: plain characters, backslash-escaped ASCII punctuation and
 * non-capturing groups of such runs ("(?:Task|Future) exception"), no
 * quantifier, class, anchor or option. Such a pattern, run unanchored,
 * matches exactly the lines that hold one of its literals. Writes them to
 * BUF (CAP bytes) and points LITS (room for MAX) at them; returns how
 * many, or 0 when the pattern is anything else or they do not fit (at
 * most 8 are ever made). */
size_t rules_literal_exact(struct th_span pattern, char *buf, size_t cap,
			   struct th_span *lits, size_t max);

/* A start pattern "A(?<name>[^C]+)B" of two literals and a named run of
 * bytes other than C between them, where B begins with C ("coroutine
 * '(?<coroutine>[^']+)' was never awaited"). It matches at the first
 * place of A that one byte or more and then B follow with no C between:
 * the run can end at a C only (B begins with one) and cannot go past
 * one, so at each place of A one end alone may do. */
struct th_literal_run {
	struct th_span before, after; /* A and B, neither empty */
	char stop;		      /* C */
};

/* Whether PATTERN has that shape, A and B read as rules_literal_exact
 * reads a run of plain characters, C a plain byte or escaped ASCII
 * punctuation. Fills *OUT, writing A and B to BUF (CAP bytes; PATTERN.n
 * do). */
bool rules_literal_run(struct th_span pattern, char *buf, size_t cap,
		       struct th_literal_run *out);

/* Enabled ignore rules (indexes 0..rules_ignore_count()-1, in order of
 * first definition), and wrapper coroutines: COROUTINE is a wrapper when
 * it is a wrapper's name, or a qualified name ending in "." and one
 * ("f.<locals>._coro_creating_hub_and_span"). */
size_t rules_ignore_count(const struct th_rules *r);
const char *rules_ignore_id(const struct th_rules *r, size_t ignore);
bool rules_is_wrapper(const struct th_rules *r, struct th_span coroutine);

/* Whose code a traceback frame's file is (patterns/README.md, "Frames"). */
enum th_frame_kind { TH_FRAME_APPLICATION, TH_FRAME_LIBRARY, TH_FRAME_KINDS };

/* What the rule files' `frames:` patterns say of the frame file PATH:
 * true and *OUT when a pattern matches (an application pattern wins);
 * false when none does. A pattern matches as plain text anywhere in
 * PATH, a '/' in it matching '\\' too. */
bool rules_frame_kind(const struct th_rules *r, struct th_span path,
		      enum th_frame_kind *out);

/* A user's line prefix as matched (`prefixes:` in rule files). */
struct th_prefix_match {
	struct th_span time;	 /* p == NULL when absent */
	struct th_span source;	 /* p == NULL when absent */
	struct th_span message;	 /* the rest of the line; may be empty */
	const char *time_format; /* NUL-terminated strptime format, or NULL
				    for ISO 8601; valid as long as the rules */
};

/* Number of enabled user prefixes. */
size_t rules_prefix_count(const struct th_rules *r);

/* A matcher for rules on which rules_finish() succeeded; R must outlive
 * it. One per thread. */
struct th_matcher *matcher_new(const struct th_rules *r);
void matcher_free(struct th_matcher *m);

/* Matches that gave up at the match limit (counted as no match) so far. */
size_t rules_match_errors(const struct th_matcher *m);

/* Index of the first enabled rule whose start pattern matches LINE, or -1. */
long rules_match_start(struct th_matcher *m, struct th_span line);

/* Fills EV's unset fields for rule EV->rule: named groups of the start
 * pattern on the event's first line, then the rule's extract items in order
 * (regexes over the event's lines; builtins taken from FACTS, which may be
 * NULL). A field keeps the first value found; an empty capture sets
 * nothing. */
void rules_extract(struct th_matcher *m, struct th_event *ev,
		   const struct th_facts *facts);

/* Index of the first enabled ignore rule that drops EV (its fields
 * filled), or -1. */
long rules_ignored(struct th_matcher *m, const struct th_event *ev);

/* Tries the enabled user prefixes in order on LINE; fills OUT from the
 * first that matches (spans point into LINE) and returns true; false (OUT
 * zeroed) when none matches. Each pattern is anchored at the line's start;
 * an empty time or source group counts as absent, and a match whose
 * message group took no part counts as none. Counts limit hits in
 * rules_match_errors like the other matches. */
bool rules_match_prefix(struct th_matcher *m, struct th_span line,
			struct th_prefix_match *out);

#endif
