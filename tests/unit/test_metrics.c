/* test_metrics.c - the counters --metrics writes: which groups get a
 * series of their own, and rules counted once per rule and severity. */
#include <criterion/criterion.h>

#include <stdlib.h>

#include "metrics.h"
#include "th_limits.h"

Test(metrics, the_groups_with_the_most_events_get_a_series)
{
	enum { N = TH_METRICS_GROUP_SERIES + 5 };
	uint64_t events[N];
	bool top[N];
	for (size_t i = 0; i < N; i++)
		events[i] = i + 1; /* the last ones have the most */
	metrics_pick_top(events, N, top);
	for (size_t i = 0; i < N; i++)
		cr_expect_eq(top[i], i >= 5, "group %zu (%llu events)", i,
			     (unsigned long long)events[i]);
}

Test(metrics, ties_go_to_the_earlier_group_and_none_without_events)
{
	enum { N = TH_METRICS_GROUP_SERIES + 2 };
	uint64_t events[N];
	bool top[N];
	for (size_t i = 0; i < N; i++)
		events[i] = 7;
	events[0] = 0;
	metrics_pick_top(events, N, top);
	cr_expect_not(top[0], "a group without events has no series");
	for (size_t i = 1; i <= TH_METRICS_GROUP_SERIES; i++)
		cr_expect(top[i], "group %zu", i);
	cr_expect_not(top[N - 1], "the last of the tied is left out");

	uint64_t few[3] = {0, 0, 3};
	bool top_few[3];
	metrics_pick_top(few, 3, top_few);
	cr_expect(!top_few[0] && !top_few[1] && top_few[2]);
}

Test(metrics, a_rule_and_severity_is_counted_in_one_series)
{
	static const enum th_key keys[] = {TH_KEY_COROUTINE};
	struct th_metrics m;
	metrics_init(&m, keys, 1);
	metrics_add_rule(&m, "asyncio.x", TH_SEV_ERROR, 0);
	metrics_add_rule(&m, "asyncio.x", TH_SEV_ERROR, 3);
	metrics_add_rule(&m, "asyncio.x", TH_SEV_WARNING, 2);
	cr_assert_eq(m.n_rules, 2);
	cr_expect_eq(m.rules[0].events, 3);
	cr_expect_eq(m.rules[1].severity, TH_SEV_WARNING);
	cr_expect_eq(m.rules[1].events, 2);
	metrics_fini(&m);
}

Test(metrics, a_group_keeps_a_copy_of_its_values)
{
	static const enum th_key keys[] = {TH_KEY_RULE, TH_KEY_COROUTINE};
	struct th_metrics m;
	metrics_init(&m, keys, 2);
	char rule[] = "r", *vals[] = {rule, NULL};
	metrics_add_group(&m, vals, 4);
	rule[0] = 'x';
	cr_assert_eq(m.n_groups, 1);
	cr_expect_str_eq(m.groups[0].vals[0], "r");
	cr_expect_null(m.groups[0].vals[1]);
	cr_expect_eq(m.groups[0].events, 4);
	metrics_fini(&m);
}

Test(metrics, a_label_name_is_a_prometheus_one_no_series_has)
{
	static const char *const good[] = {"log", "host_1", "_x", "Env"};
	static const char *const bad[] = {"",	      "1a",	   "a-b",
					  "__name__", "rule",	   "severity",
					  "group",    "coroutine", "culprit"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		cr_expect(metrics_label_name_ok(th_cstr(good[i])), "%s",
			  good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_not(metrics_label_name_ok(th_cstr(bad[i])), "%s",
			      bad[i]);
}
