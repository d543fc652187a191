/* catalog.h - what the aggregate and the reports know of rules and events:
 * rule ids and severities, ignore rule ids, and the one table of names
 * (event fields and group-by keys).
 *
 * Owns:        copies of the ids added to it.
 * Caller owns: a catalog from catalog_new (catalog_free); the rule loader
 *              and merge each make one and hand it out const.
 * Errors:      none: an index out of range is a caller's bug (die()).
 *
 * The rule loader fills one from the enabled rules (rules_catalog() in
 * rules.h); `tracehound merge` fills one from the ids the reports name.
 * Nothing here knows YAML or regexes. Once filled it is only read, so
 * threads may share it.
 */
#ifndef TH_CATALOG_H
#define TH_CATALOG_H

#include "th.h"

/* The --group-by keys, in canonical order (the order merge falls back to
 * when reports disagree). */
enum th_key {
	TH_KEY_COROUTINE,
	TH_KEY_RULE,
	TH_KEY_EXCEPTION,
	TH_KEY_TASK,
	TH_KEY_INPUT,
	TH_KEY_DEFINED_AT,
	TH_KEY_SOURCE,	/* the writer: pod/container, host tag[pid], ... */
	TH_KEY_CULPRIT, /* "FILE in FUNCTION": the culprit without its line */
	TH_KEY_COUNT
};

struct th_catalog;

struct th_catalog *catalog_new(void);
void catalog_free(struct th_catalog *c);

/* Appends a rule (the next index) or an ignore rule; ID is copied. */
void catalog_add_rule(struct th_catalog *c, const char *id,
		      enum th_severity severity);
void catalog_add_ignore(struct th_catalog *c, const char *id);

/* Rules are indexed 0..catalog_rule_count()-1 (an event's rule), ignore
 * rules 0..catalog_ignore_count()-1, both in the order added. */
size_t catalog_rule_count(const struct th_catalog *c);
const char *catalog_rule_id(const struct th_catalog *c, size_t rule);
enum th_severity catalog_rule_severity(const struct th_catalog *c, size_t rule);
size_t catalog_ignore_count(const struct th_catalog *c);
const char *catalog_ignore_id(const struct th_catalog *c, size_t ignore);

/* True when ID can name a rule or ignore rule: not empty, and only
 * letters, digits, '_', '.' and '-' (patterns/README.md). */
bool catalog_id_valid(struct th_span id);

/* The names: "coroutine", "exception", ... for fields, "rule", "input"
 * and the fields that group for keys. The from_name lookups return false
 * for an unknown name. */
const char *catalog_field_name(enum th_field f);
bool catalog_field_from_name(struct th_span name, enum th_field *out);
const char *catalog_key_name(enum th_key k);
bool catalog_key_from_name(struct th_span name, enum th_key *out);

/* "error", "warning" or "info"; from_name is false for any other NAME. */
const char *catalog_severity_name(enum th_severity s);
bool catalog_severity_from_name(const char *name, enum th_severity *out);

/* The event field key K groups by; false (and *OUT TH_F_COUNT) for rule
 * and input, which are not fields. */
bool catalog_key_field(enum th_key k, enum th_field *out);

/* Every field name in enum th_field order, into NAMES (for messages that
 * list them). */
void catalog_field_names(const char *names[TH_F_COUNT]);

#endif
