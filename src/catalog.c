/* catalog.c - rule ids, severities, ignore rule ids and the names of
 * fields and keys; see catalog.h. */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* Every name an event's values are known by, once, in the order
 * --group-by lists its keys (fields that are no key at the end). A new
 * event field is a row here plus its enum th_field value in event.h:
 * rule files (named groups, extract field:, ignore conditions), ndjson
 * and `rules test` then know it by this name. */
static const struct name_row {
	const char *name;
	enum th_field field; /* TH_F_COUNT: not an event field */
	enum th_key key;     /* TH_KEY_COUNT: not a group-by key */
} names[] = {
    {"coroutine", TH_F_COROUTINE, TH_KEY_COROUTINE},
    {"rule", TH_F_COUNT, TH_KEY_RULE},
    {"exception", TH_F_EXCEPTION, TH_KEY_EXCEPTION},
    {"task", TH_F_TASK, TH_KEY_TASK},
    {"input", TH_F_COUNT, TH_KEY_INPUT},
    {"defined_at", TH_F_DEFINED_AT, TH_KEY_DEFINED_AT},
    {"source", TH_F_SOURCE, TH_KEY_SOURCE},
    {"culprit", TH_F_COUNT, TH_KEY_CULPRIT},
    {"created_at", TH_F_CREATED_AT, TH_KEY_COUNT},
    {"message", TH_F_MESSAGE, TH_KEY_COUNT},
};

#define N_NAMES (sizeof names / sizeof names[0])

struct catalog_rule {
	char *id;
	enum th_severity severity;
};

struct th_catalog {
	struct catalog_rule *rules;
	size_t n_rules, rules_cap;
	char **ignores;
	size_t n_ignores, ignores_cap;
};

struct th_catalog *catalog_new(void)
{
	return xcalloc(1, sizeof(struct th_catalog));
}

void catalog_free(struct th_catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_rules; i++)
		free(c->rules[i].id);
	for (size_t i = 0; i < c->n_ignores; i++)
		free(c->ignores[i]);
	free(c->rules);
	free(c->ignores);
	free(c);
}

void catalog_add_rule(struct th_catalog *c, const char *id,
		      enum th_severity severity)
{
	XGROW(c->rules, c->rules_cap, c->n_rules + 1, 8);
	c->rules[c->n_rules++] = (struct catalog_rule){xstrdup(id), severity};
}

void catalog_add_ignore(struct th_catalog *c, const char *id)
{
	XGROW(c->ignores, c->ignores_cap, c->n_ignores + 1, 8);
	c->ignores[c->n_ignores++] = xstrdup(id);
}

size_t catalog_rule_count(const struct th_catalog *c)
{
	return c->n_rules;
}

/* Rule I; an index out of range is a caller's bug. */
static const struct catalog_rule *rule_at(const struct th_catalog *c, size_t i)
{
	if (i >= c->n_rules)
		die("catalog: rule index %zu out of range", i);
	return &c->rules[i];
}

const char *catalog_rule_id(const struct th_catalog *c, size_t rule)
{
	return rule_at(c, rule)->id;
}

enum th_severity catalog_rule_severity(const struct th_catalog *c, size_t rule)
{
	return rule_at(c, rule)->severity;
}

size_t catalog_ignore_count(const struct th_catalog *c)
{
	return c->n_ignores;
}

const char *catalog_ignore_id(const struct th_catalog *c, size_t ignore)
{
	if (ignore >= c->n_ignores)
		die("catalog: ignore index %zu out of range", ignore);
	return c->ignores[ignore];
}

bool catalog_id_valid(struct th_span id)
{
	for (size_t i = 0; i < id.n; i++) {
		unsigned char c = (unsigned char)id.p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return id.n > 0;
}

/* The row called NAME, or NULL. */
static const struct name_row *row_named(struct th_span name)
{
	for (size_t i = 0; i < N_NAMES; i++)
		if (strlen(names[i].name) == name.n &&
		    memcmp(names[i].name, name.p, name.n) == 0)
			return &names[i];
	return NULL;
}

/* The row of field F, or of key K (pass TH_F_COUNT for F to look up K);
 * every field and key has one. */
static const struct name_row *row_of(enum th_field f, enum th_key k)
{
	for (size_t i = 0; i < N_NAMES; i++)
		if (f != TH_F_COUNT ? names[i].field == f : names[i].key == k)
			return &names[i];
	die("catalog: no name for field %d / key %d", (int)f, (int)k);
}

const char *catalog_field_name(enum th_field f)
{
	return row_of(f, TH_KEY_COUNT)->name;
}

bool catalog_field_from_name(struct th_span name, enum th_field *out)
{
	const struct name_row *row = row_named(name);
	if (row == NULL || row->field == TH_F_COUNT)
		return false;
	*out = row->field;
	return true;
}

const char *catalog_key_name(enum th_key k)
{
	return row_of(TH_F_COUNT, k)->name;
}

bool catalog_key_from_name(struct th_span name, enum th_key *out)
{
	const struct name_row *row = row_named(name);
	if (row == NULL || row->key == TH_KEY_COUNT)
		return false;
	*out = row->key;
	return true;
}

static const char *const severity_names[] = {
    [TH_SEV_INFO] = "info",
    [TH_SEV_WARNING] = "warning",
    [TH_SEV_ERROR] = "error",
};

const char *catalog_severity_name(enum th_severity s)
{
	return s == TH_SEV_ERROR || s == TH_SEV_WARNING ? severity_names[s]
							: "info";
}

bool catalog_severity_from_name(const char *name, enum th_severity *out)
{
	for (size_t i = 0; i < sizeof severity_names / sizeof *severity_names;
	     i++)
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (enum th_severity)i;
			return true;
		}
	return false;
}

bool catalog_key_field(enum th_key k, enum th_field *out)
{
	const struct name_row *row = row_of(TH_F_COUNT, k);
	*out = row->field;
	return row->field != TH_F_COUNT;
}

void catalog_field_names(const char *out[TH_F_COUNT])
{
	for (size_t f = 0; f < TH_F_COUNT; f++)
		out[f] = catalog_field_name((enum th_field)f);
}
