/* test_catalog.c - the catalog: rules and ignore rules kept in the order
 * added, with copies of their ids; which ids are valid; the one table of
 * field and key names, both ways.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

Test(catalog, keeps_rules_and_ignore_rules_in_the_order_added)
{
	struct th_catalog *c = catalog_new();
	char id[] = "b.second";
	catalog_add_rule(c, "a.first", TH_SEV_WARNING);
	catalog_add_rule(c, id, TH_SEV_INFO);
	catalog_add_ignore(c, "ignore.x");
	id[0] = 'z'; /* the catalog has its own copy */
	cr_assert_eq(catalog_rule_count(c), 2);
	cr_expect_str_eq(catalog_rule_id(c, 0), "a.first");
	cr_expect_str_eq(catalog_rule_id(c, 1), "b.second");
	cr_expect_eq(catalog_rule_severity(c, 0), TH_SEV_WARNING);
	cr_expect_eq(catalog_rule_severity(c, 1), TH_SEV_INFO);
	cr_assert_eq(catalog_ignore_count(c), 1);
	cr_expect_str_eq(catalog_ignore_id(c, 0), "ignore.x");
	catalog_free(c);
}

Test(catalog, grows_past_its_first_allocation)
{
	struct th_catalog *c = catalog_new();
	char id[32];
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof id, "rule.%d", i);
		catalog_add_rule(c, id, TH_SEV_ERROR);
		catalog_add_ignore(c, id);
	}
	cr_assert_eq(catalog_rule_count(c), 100);
	cr_assert_eq(catalog_ignore_count(c), 100);
	cr_expect_str_eq(catalog_rule_id(c, 99), "rule.99");
	cr_expect_str_eq(catalog_ignore_id(c, 57), "rule.57");
	catalog_free(c);
}

Test(catalog, an_empty_catalog_has_nothing)
{
	struct th_catalog *c = catalog_new();
	cr_expect_eq(catalog_rule_count(c), 0);
	cr_expect_eq(catalog_ignore_count(c), 0);
	catalog_free(c);
	catalog_free(NULL);
}

Test(catalog, a_rule_index_out_of_range_dies, .signal = SIGABRT)
{
	struct th_catalog *c = catalog_new();
	catalog_add_rule(c, "a", TH_SEV_ERROR);
	catalog_rule_id(c, 1);
}

Test(catalog, ids_use_letters_digits_underscore_dot_and_dash)
{
	static const char *const good[] = {"a", "asyncio.task-1_x", "Z9"};
	static const char *const bad[] = {"", "a b", "a:b", "é", "a/b", "a\"b"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		cr_expect(catalog_id_valid(span(good[i])), "'%s'", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_not(catalog_id_valid(span(bad[i])), "'%s'", bad[i]);
	cr_expect_not(catalog_id_valid((struct th_span){"a\0b", 3}),
		      "a NUL byte");
}

Test(catalog, field_names_round_trip)
{
	for (size_t f = 0; f < TH_F_COUNT; f++) {
		const char *name = catalog_field_name((enum th_field)f);
		enum th_field back;
		cr_assert(name != NULL, "field %zu has a name", f);
		cr_expect(catalog_field_from_name(span(name), &back), "%s",
			  name);
		cr_expect_eq(back, f, "%s", name);
	}
	enum th_field f;
	cr_expect(catalog_field_from_name(span("defined_at"), &f) &&
		  f == TH_F_DEFINED_AT);
	cr_expect_not(catalog_field_from_name(span("time"), &f));
	cr_expect_not(catalog_field_from_name(span("rule"), &f),
		      "rule is a key, not a field");
	cr_expect_not(
	    catalog_field_from_name((struct th_span){"task\0", 5}, &f),
	    "the length counts");
}

Test(catalog, key_names_round_trip)
{
	for (size_t k = 0; k < TH_KEY_COUNT; k++) {
		const char *name = catalog_key_name((enum th_key)k);
		enum th_key back;
		cr_expect(catalog_key_from_name(span(name), &back), "%s", name);
		cr_expect_eq(back, k, "%s", name);
	}
	enum th_key none;
	cr_expect_not(catalog_key_from_name(TH_SPAN_LIT("coro"), &none));
	cr_expect_not(catalog_key_from_name(TH_SPAN_LIT("coroutines"), &none));
	cr_expect_not(catalog_key_from_name(TH_SPAN_LIT("created_at"), &none),
		      "created_at is a field, not a group-by key");
}

Test(catalog, keys_name_their_fields_except_rule_input_and_culprit)
{
	enum th_field f;
	for (size_t k = 0; k < TH_KEY_COUNT; k++) {
		bool is_field = catalog_key_field((enum th_key)k, &f);
		const char *name = catalog_key_name((enum th_key)k);
		if (k == TH_KEY_RULE || k == TH_KEY_INPUT ||
		    k == TH_KEY_CULPRIT) {
			cr_expect_not(is_field, "%s", name);
			cr_expect_eq(f, TH_F_COUNT, "%s", name);
		} else {
			cr_expect(is_field, "%s", name);
			cr_expect_str_eq(catalog_field_name(f), name);
		}
	}
}

Test(catalog, the_key_order_is_the_canonical_group_by_order)
{
	static const char *const want[TH_KEY_COUNT] = {
	    "coroutine", "rule",       "exception", "task",
	    "input",	 "defined_at", "source",    "culprit"};
	for (size_t k = 0; k < TH_KEY_COUNT; k++)
		cr_expect_str_eq(catalog_key_name((enum th_key)k), want[k]);
}

Test(catalog, field_names_come_in_field_order)
{
	const char *names[TH_F_COUNT];
	catalog_field_names(names);
	for (size_t f = 0; f < TH_F_COUNT; f++)
		cr_expect_str_eq(names[f],
				 catalog_field_name((enum th_field)f));
	cr_expect_str_eq(names[TH_F_COROUTINE], "coroutine");
	cr_expect_str_eq(names[TH_F_CREATED_AT], "created_at");
	cr_expect_str_eq(names[TH_F_SOURCE], "source");
}
