/* test_agg.c - grouping: keys (alone, combined, null), counts, severity,
 * capped lists that keep the same values whatever the arrival order,
 * first/last, the example, the report order, and spilling past a memory
 * budget giving the groups unlimited memory gives.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"

/* Four rules (error, warning, error, info) and two ignore rules: the
 * aggregate sees rules only through a catalog. */
static struct th_catalog *test_catalog(void)
{
	struct th_catalog *c = catalog_new();
	catalog_add_rule(c, "test.error", TH_SEV_ERROR);
	catalog_add_rule(c, "test.warning", TH_SEV_WARNING);
	catalog_add_rule(c, "test.error2", TH_SEV_ERROR);
	catalog_add_rule(c, "test.info", TH_SEV_INFO);
	catalog_add_ignore(c, "ignore.one");
	catalog_add_ignore(c, "ignore.two");
	return c;
}

/* Index of the rule with id ID; fails the test when there is none. */
static size_t rule_index(const struct th_catalog *c, const char *id)
{
	for (size_t i = 0; i < catalog_rule_count(c); i++)
		if (strcmp(catalog_rule_id(c, i), id) == 0)
			return i;
	cr_assert_fail("no rule %s", id);
	return 0;
}

/* One event to add; NULL fields stay unset. */
struct spec {
	const char *rule; /* id; NULL: test.error */
	const char *coroutine, *exception, *task, *defined_at;
	const char *input; /* NULL: "app.log" */
	size_t input_index;
	uint64_t line;
	const char *time;
	const char *text; /* NULL: "event at line N" */
	const char *message;
	const char *source;
	const char *culprit; /* "FILE FUNCTION"; NULL: none */
	uint64_t culprit_line;
};

static void set_field(struct th_event *ev, enum th_field f, const char *v)
{
	if (v != NULL)
		event_set(ev, f, (struct th_span){v, strlen(v)});
}

/* Fills EV (initialised by the caller) from S. */
static void make_event(struct th_event *ev, const struct th_catalog *r,
		       struct spec s)
{
	event_reset(ev);
	ev->rule = rule_index(r, s.rule ? s.rule : "test.error");
	ev->input = s.input ? s.input : "app.log";
	ev->input_index = s.input_index;
	ev->line = ev->end_line = s.line ? s.line : 1;
	ev->complete = true;
	ev->time = (struct th_time){0};
	if (s.time != NULL)
		cr_assert(isotime_read_printed(s.time, &ev->time), "%s",
			  s.time);
	char text[64];
	snprintf(text, sizeof text, "event at line %llu",
		 (unsigned long long)ev->line);
	const char *t = s.text ? s.text : text;
	event_add_line(ev, (struct th_span){t, strlen(t)});
	set_field(ev, TH_F_COROUTINE, s.coroutine);
	set_field(ev, TH_F_EXCEPTION, s.exception);
	set_field(ev, TH_F_TASK, s.task);
	set_field(ev, TH_F_DEFINED_AT, s.defined_at);
	set_field(ev, TH_F_MESSAGE, s.message);
	set_field(ev, TH_F_SOURCE, s.source);
	if (s.culprit != NULL) {
		size_t file = strcspn(s.culprit, " ");
		const char *fn = s.culprit + file + 1;
		event_set_culprit(ev, (struct th_span){s.culprit, file},
				  s.culprit_line,
				  (struct th_span){fn, strlen(fn)});
	}
}

/* An aggregate over the test rules, with the event used to feed it. */
struct fixture {
	struct th_catalog *catalog;
	struct th_agg *agg;
	struct th_event ev;
};

static struct fixture *open_agg(const enum th_key *keys, size_t n)
{
	struct fixture *f = calloc(1, sizeof *f);
	cr_assert(f != NULL);
	f->catalog = test_catalog();
	f->agg = agg_new(f->catalog, keys, n);
	event_init(&f->ev);
	return f;
}

static struct fixture *open_by(enum th_key key)
{
	return open_agg(&key, 1);
}

static void close_agg(struct fixture *f)
{
	event_fini(&f->ev);
	agg_free(f->agg);
	catalog_free(f->catalog);
	free(f);
}

static void add(struct fixture *f, struct spec s)
{
	make_event(&f->ev, f->catalog, s);
	agg_add(f->agg, &f->ev);
}

static size_t sorted(struct fixture *f, const struct th_group *const **g)
{
	return agg_top(f->agg, 0, g);
}

/* "NULL" or the value in quotes, for messages. */
static const char *show(const char *s, char *buf, size_t cap)
{
	if (s == NULL)
		return "NULL";
	snprintf(buf, cap, "\"%s\"", s);
	return buf;
}

static void expect_key(const struct th_group *g, enum th_key k,
		       const char *want)
{
	char b1[600], b2[600];
	const char *got = g->key[k];
	bool same = (got == NULL && want == NULL) ||
		    (got != NULL && want != NULL && strcmp(got, want) == 0);
	cr_expect(same, "key %s: got %s, want %s", catalog_key_name(k),
		  show(got, b1, sizeof b1), show(want, b2, sizeof b2));
}

Test(agg, groups_events_by_coroutine_and_counts_each_group)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = "fetch_user", .line = 1});
	add(f, (struct spec){.coroutine = "send_mail", .line = 2});
	add(f, (struct spec){.coroutine = "fetch_user", .line = 3});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 2);
	expect_key(g[0], TH_KEY_COROUTINE, "fetch_user");
	cr_expect_eq(g[0]->count, 2);
	expect_key(g[1], TH_KEY_COROUTINE, "send_mail");
	cr_expect_eq(g[1]->count, 1);
	for (size_t k = 0; k < TH_KEY_COUNT; k++)
		if (k != TH_KEY_COROUTINE)
			expect_key(g[0], (enum th_key)k, NULL);
	close_agg(f);
}

Test(agg, unknown_coroutine_is_a_null_group_apart_from_the_empty_name)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = NULL});
	add(f, (struct spec){.coroutine = ""});
	add(f, (struct spec){.coroutine = NULL});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 2, "NULL and \"\" must be two groups");
	expect_key(g[0], TH_KEY_COROUTINE, NULL);
	cr_expect_eq(g[0]->count, 2);
	expect_key(g[1], TH_KEY_COROUTINE, "");
	cr_expect_eq(g[1]->count, 1);
	close_agg(f);
}

/* Three events whose values of K are a, b, a: two groups, a counted 2. */
static void check_single_key(enum th_key k, struct spec a, struct spec b,
			     const char *va, const char *vb)
{
	struct fixture *f = open_by(k);
	add(f, a);
	add(f, b);
	add(f, a);
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 2, "group by %s", catalog_key_name(k));
	expect_key(g[0], k, va);
	cr_expect_eq(g[0]->count, 2, "group by %s", catalog_key_name(k));
	expect_key(g[1], k, vb);
	close_agg(f);
}

Test(agg, groups_by_each_key_on_its_own)
{
	check_single_key(TH_KEY_RULE, (struct spec){.rule = "test.warning"},
			 (struct spec){.rule = "test.info"}, "test.warning",
			 "test.info");
	check_single_key(
	    TH_KEY_EXCEPTION, (struct spec){.exception = "KeyError"},
	    (struct spec){.exception = "ValueError"}, "KeyError", "ValueError");
	check_single_key(TH_KEY_TASK, (struct spec){.task = "Task-3"},
			 (struct spec){.task = "Task-12"}, "Task-3", "Task-12");
	check_single_key(TH_KEY_INPUT, (struct spec){.input = "b.log"},
			 (struct spec){.input = "a.log"}, "b.log", "a.log");
	check_single_key(
	    TH_KEY_DEFINED_AT, (struct spec){.defined_at = "app.py:10"},
	    (struct spec){.defined_at = "app.py:9"}, "app.py:10", "app.py:9");
	check_single_key(TH_KEY_COROUTINE, (struct spec){.coroutine = "x"},
			 (struct spec){.coroutine = NULL}, "x", NULL);
}

Test(agg, groups_by_the_tuple_of_combined_keys)
{
	const enum th_key keys[] = {TH_KEY_COROUTINE, TH_KEY_EXCEPTION};
	struct fixture *f = open_agg(keys, 2);
	add(f, (struct spec){.coroutine = "ab", .exception = "c"});
	add(f, (struct spec){.coroutine = "a", .exception = "bc"});
	add(f, (struct spec){.coroutine = "ab", .exception = NULL});
	add(f, (struct spec){.coroutine = NULL, .exception = "ab"});
	add(f, (struct spec){.coroutine = "ab", .exception = "c"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 4,
		     "(ab,c) (a,bc) (ab,NULL) (NULL,ab) are four groups");
	expect_key(g[0], TH_KEY_COROUTINE, "ab");
	expect_key(g[0], TH_KEY_EXCEPTION, "c");
	cr_expect_eq(g[0]->count, 2);
	/* count 1 each, by coroutine (NULL first), then exception */
	expect_key(g[1], TH_KEY_COROUTINE, NULL);
	expect_key(g[2], TH_KEY_COROUTINE, "a");
	expect_key(g[3], TH_KEY_COROUTINE, "ab");
	expect_key(g[3], TH_KEY_EXCEPTION, NULL);
	const enum th_key *got;
	cr_expect_eq(agg_keys(f->agg, &got), 2);
	cr_expect_eq(got[0], TH_KEY_COROUTINE);
	cr_expect_eq(got[1], TH_KEY_EXCEPTION);
	close_agg(f);
}

/* Issue 13: the key was cut at the NUL, merging "abc\0def" into "abc",
 * while ndjson showed the whole value. */
Test(agg, value_with_a_nul_byte_keeps_what_follows_it)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	make_event(&f->ev, f->catalog, (struct spec){0});
	event_set(&f->ev, TH_F_COROUTINE, (struct th_span){"abc\0def", 7});
	agg_add(f->agg, &f->ev);
	add(f, (struct spec){.coroutine = "abc"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 2);
	expect_key(g[0], TH_KEY_COROUTINE, "abc");
	expect_key(g[1], TH_KEY_COROUTINE,
		   "abc\xef\xbf\xbd"
		   "def");
	close_agg(f);
}

/* G's exception list is N types, WANT[i] counted WANT_N[i] times, in
 * order (by count, then name). */
static void expect_exceptions(const struct th_group *g, const char *const *want,
			      const uint64_t *want_n, size_t n)
{
	cr_assert_eq(g->n_exceptions, n);
	for (size_t i = 0; i < n; i++) {
		cr_expect_str_eq(g->exceptions[i].name, want[i],
				 "exceptions[%zu] by count desc, then name", i);
		cr_expect_eq(g->exceptions[i].count, want_n[i], "%s", want[i]);
	}
}

Test(agg, counts_events_per_rule_and_per_exception)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	const char *exc[] = {"TimeoutError",	"ConnectionError", NULL,
			     "ConnectionError", "ConnectionError", "AError"};
	for (size_t i = 0; i < 6; i++)
		add(f, (struct spec){.coroutine = "c",
				     .exception = exc[i],
				     .rule = i == 2 ? "test.warning" : NULL});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	cr_expect_eq(g[0]->count, 6);
	cr_expect_eq(g[0]->rule_counts[rule_index(f->catalog, "test.error")],
		     5);
	cr_expect_eq(g[0]->rule_counts[rule_index(f->catalog, "test.warning")],
		     1);
	cr_expect_eq(g[0]->rule_counts[rule_index(f->catalog, "test.info")], 0);
	cr_assert_eq(g[0]->n_exceptions, 3,
		     "the event without one is not counted");
	const char *want[] = {"ConnectionError", "AError", "TimeoutError"};
	const uint64_t want_n[] = {3, 1, 1};
	expect_exceptions(g[0], want, want_n, 3);
	cr_expect_eq(g[0]->exceptions_other, 0);
	close_agg(f);
}

Test(agg, exception_names_past_the_list_limit_are_counted_as_other)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	for (int i = 0; i < TH_MAX_LIST + 5; i++) {
		char name[32];
		snprintf(name, sizeof name, "Error%d", i);
		add(f, (struct spec){.coroutine = "c", .exception = name});
	}
	add(f, (struct spec){.coroutine = "c", .exception = "Error0"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	cr_expect_eq(g[0]->n_exceptions, TH_MAX_LIST);
	cr_expect_eq(g[0]->exceptions_other, 5);
	cr_expect_str_eq(g[0]->exceptions[0].name, "Error0");
	cr_expect_eq(g[0]->exceptions[0].count, 2);
	close_agg(f);
}

/* Adds COUNT events of exception NAME to WHOLE at once: aggregated
 * apart, then merged. */
static void merge_exceptions(struct fixture *whole, const char *name, int count)
{
	struct fixture *part = open_by(TH_KEY_COROUTINE);
	for (int i = 0; i < count; i++)
		add(part, (struct spec){.coroutine = "c", .exception = name});
	agg_merge(whole->agg, part->agg, 0, 0);
	close_agg(part);
}

/* Counts added several at once (merges) that stay below, tie or pass
 * the count of the type above: an entry that stays below keeps its
 * place without a search, the others move up (ties by name in version
 * order). */
Test(agg, exception_counts_added_at_once_keep_the_list_sorted)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	merge_exceptions(f, "E10", 3); /* E10:3 */
	merge_exceptions(f, "E9", 1);  /* E10:3 E9:1 */
	merge_exceptions(f, "E8", 1);  /* E10:3 E8:1 E9:1 */
	merge_exceptions(f, "E9", 1);  /* E10:3 E9:2 E8:1 (passes) */
	merge_exceptions(f, "E9", 1);  /* E9:3 E10:3 E8:1 (ties) */
	merge_exceptions(f, "E8", 1);  /* E9:3 E10:3 E8:2 (below) */
	add(f, (struct spec){.coroutine = "c", .exception = "E8"}); /* ties */
	merge_exceptions(f, "E10", 2); /* E10:5 E8:3 E9:3 */
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	const char *want[] = {"E10", "E8", "E9"};
	const uint64_t want_n[] = {5, 3, 3};
	expect_exceptions(g[0], want, want_n, 3);
	close_agg(f);
}

/* A full list of exception types lets the type whose name sorts last go
 * for each new one that sorts before it: long names, each a new type,
 * renew the group's pool again and again, which must move the types
 * kept, names and counts intact, and size the new pool for them. */
Test(agg, exception_types_let_go_leave_the_pool_what_it_keeps)
{
	enum { TYPES = TH_MAX_EXCEPTION_TYPES + 300 };
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	for (int i = TYPES - 1; i >= 0; i--) {
		char name[160];
		snprintf(name, sizeof name, "Type%05dError%0120d", i, 0);
		add(f, (struct spec){.coroutine = "c", .exception = name});
	}
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	cr_assert_eq(g[0]->n_exceptions, TH_MAX_LIST);
	for (int i = 0; i < TH_MAX_LIST; i++) {
		char want[160];
		snprintf(want, sizeof want, "Type%05dError%0120d", i, 0);
		cr_expect_str_eq(g[0]->exceptions[i].name, want, "type %d", i);
		cr_expect_eq(g[0]->exceptions[i].count, 1);
	}
	cr_expect_eq(g[0]->exceptions_other, TYPES - TH_MAX_LIST);
	close_agg(f);
}

Test(agg, severity_is_the_highest_of_the_groups_events)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = "a", .rule = "test.info"});
	add(f, (struct spec){.coroutine = "a", .rule = "test.warning"});
	add(f, (struct spec){.coroutine = "a", .rule = "test.info"});
	add(f, (struct spec){.coroutine = "b", .rule = "test.info"});
	add(f, (struct spec){.coroutine = "c", .rule = "test.warning"});
	add(f, (struct spec){.coroutine = "c", .rule = "test.error"});
	const struct th_group *const *g;
	size_t n = sorted(f, &g);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		const char *k = g[i]->key[TH_KEY_COROUTINE];
		enum th_severity want = k[0] == 'a'   ? TH_SEV_WARNING
					: k[0] == 'b' ? TH_SEV_INFO
						      : TH_SEV_ERROR;
		cr_expect_eq(g[i]->severity, want, "group %s", k);
	}
	close_agg(f);
}

/* A deterministic shuffle (xorshift), so a failure can be replayed. */
static void shuffle(int *v, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	for (size_t i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t j = x % (i + 1);
		int t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

Test(agg, capped_lists_keep_the_smallest_whatever_the_arrival_order)
{
	enum { N = 3 * TH_MAX_LIST };
	for (uint32_t seed = 0; seed < 20; seed++) {
		int order[N];
		for (int i = 0; i < N; i++)
			order[i] = i + 1;
		shuffle(order, N, seed);
		struct fixture *f = open_by(TH_KEY_COROUTINE);
		for (int i = 0; i < N; i++) {
			char task[32], where[32];
			snprintf(task, sizeof task, "Task-%d", order[i]);
			snprintf(where, sizeof where, "app.py:%d", order[i]);
			add(f, (struct spec){.coroutine = "c",
					     .task = task,
					     .defined_at = where});
		}
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		const struct th_capped *lists[] = {&g[0]->tasks,
						   &g[0]->defined_at};
		const char *fmt[] = {"Task-%d", "app.py:%d"};
		for (size_t l = 0; l < 2; l++) {
			cr_assert_eq(lists[l]->n, TH_MAX_LIST, "seed %u", seed);
			cr_expect(lists[l]->capped, "seed %u", seed);
			for (int i = 0; i < TH_MAX_LIST; i++) {
				char want[32];
				snprintf(want, sizeof want, fmt[l], i + 1);
				cr_expect_str_eq(lists[l]->items[i], want,
						 "seed %u, item %d (Task-2 "
						 "before Task-10)",
						 seed, i);
			}
		}
		close_agg(f);
	}
}

Test(agg, capped_lists_stay_the_same_when_values_repeat_in_any_order)
{
	/* each value three times, mixed: a value seen again may have moved
	 * in its list, or been pushed out, since it was added */
	enum { N = 3 * TH_MAX_LIST, TIMES = 3 };
	for (uint32_t seed = 0; seed < 20; seed++) {
		int order[N * TIMES];
		for (int i = 0; i < N * TIMES; i++)
			order[i] = i % N + 1;
		shuffle(order, N * TIMES, seed + 100);
		struct fixture *f = open_by(TH_KEY_COROUTINE);
		for (int i = 0; i < N * TIMES; i++) {
			char where[32];
			snprintf(where, sizeof where, "app.py:%d", order[i]);
			add(f, (struct spec){.coroutine = "c",
					     .defined_at = where});
		}
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		const struct th_capped *l = &g[0]->defined_at;
		cr_assert_eq(l->n, TH_MAX_LIST, "seed %u", seed);
		cr_expect(l->capped, "seed %u", seed);
		for (int i = 0; i < TH_MAX_LIST; i++) {
			char want[32];
			snprintf(want, sizeof want, "app.py:%d", i + 1);
			cr_expect_str_eq(l->items[i], want, "seed %u, item %d",
					 seed, i);
		}
		close_agg(f);
	}
}

/* A group finds a value in its lists by a byte of its hash, then the
 * string: with 20 values a list, two share that byte in some groups
 * (about one in five here), and each must still be told apart. */
Test(agg, list_values_sharing_a_hash_byte_stay_apart)
{
	enum { GROUPS = 64, TIMES = 3, N = TH_MAX_LIST * TIMES };
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	for (int c = 0; c < GROUPS; c++) {
		int order[N];
		for (int i = 0; i < N; i++)
			order[i] = i % TH_MAX_LIST;
		shuffle(order, N, (uint32_t)c + 7);
		char coro[16];
		snprintf(coro, sizeof coro, "c%d", c);
		int seen[TH_MAX_LIST] = {0};
		for (int i = 0; i < N; i++) {
			char task[32], exc[32];
			snprintf(task, sizeof task, "T%d-%d", c, order[i]);
			/* exception J is counted J % TIMES + 1 times */
			snprintf(exc, sizeof exc, "E%d.%d", c, order[i]);
			bool counted = seen[order[i]]++ <= order[i] % TIMES;
			add(f,
			    (struct spec){.coroutine = coro,
					  .task = task,
					  .defined_at = task,
					  .exception = counted ? exc : NULL});
		}
	}
	size_t i = 0;
	const struct th_group *g;
	while ((g = agg_next(f->agg, &i)) != NULL) {
		const char *coro = g->key[TH_KEY_COROUTINE];
		cr_assert_eq(g->tasks.n, TH_MAX_LIST, "%s: every task kept",
			     coro);
		cr_expect(!g->tasks.capped, "%s: no task left out", coro);
		cr_assert_eq(g->defined_at.n, TH_MAX_LIST, "%s", coro);
		cr_assert_eq(g->n_exceptions, TH_MAX_LIST, "%s", coro);
		uint64_t events = 0;
		for (size_t e = 0; e < g->n_exceptions; e++) {
			int c, j;
			cr_assert_eq(
			    sscanf(g->exceptions[e].name, "E%d.%d", &c, &j), 2);
			cr_expect_eq(g->exceptions[e].count,
				     (uint64_t)(j % TIMES + 1), "%s: %s", coro,
				     g->exceptions[e].name);
			events += g->exceptions[e].count;
		}
		cr_expect_eq(g->exceptions_other, 0, "%s", coro);
		cr_expect_lt(events, g->count, "%s", coro);
	}
	cr_expect_eq(i, GROUPS);
	close_agg(f);
}

/* Key values are kept in the group itself, one after another in whole
 * words: lengths around a word's, and NULL ones between, must find their
 * group again. */
Test(agg, keys_of_any_length_and_null_find_their_group_again)
{
	const enum th_key keys[] = {TH_KEY_COROUTINE, TH_KEY_EXCEPTION,
				    TH_KEY_TASK};
	struct fixture *f = open_agg(keys, 3);
	enum { LENGTHS = 26 };
	const char *abc = "abcdefghijklmnopqrstuvwxyz";
	for (int pass = 0; pass < 2; pass++)
		for (int n = 0; n < LENGTHS; n++) {
			char v[LENGTHS + 1], w[LENGTHS + 1];
			snprintf(v, sizeof v, "%.*s", n, abc);
			snprintf(w, sizeof w, "%.*s", LENGTHS - n, abc);
			/* (v, NULL, w) and (NULL, v, w) */
			add(f, (struct spec){.coroutine = v, .task = w});
			add(f, (struct spec){.exception = v, .task = w});
		}
	const struct th_group *const *g;
	size_t n = sorted(f, &g);
	cr_assert_eq(n, 2 * LENGTHS, "each tuple is one group");
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(g[i]->count, 2, "group %zu", i);
		const char *v = g[i]->key[TH_KEY_COROUTINE];
		const char *e = g[i]->key[TH_KEY_EXCEPTION];
		const char *w = g[i]->key[TH_KEY_TASK];
		cr_assert((v == NULL) != (e == NULL), "group %zu", i);
		const char *k = v ? v : e;
		cr_expect_eq(strlen(k) + strlen(w), LENGTHS, "%s %s", k, w);
		cr_expect_eq(strncmp(k, abc, strlen(k)), 0, "%s", k);
		cr_expect_eq(strncmp(w, abc, strlen(w)), 0, "%s", w);
	}
	close_agg(f);
}

/* strverscmp, then byte order: the order capped lists keep, as agg.h
 * states it. */
static int version_order(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int c = strverscmp(x, y);
	return c != 0 ? c : strcmp(x, y);
}

/* A full list puts a value that sorts before its last where the value it
 * pushes out was when that is long enough, else in a new block: values
 * of many lengths, in any order, leave the smallest, each intact. */
Test(agg, a_full_list_takes_values_longer_and_shorter_than_it_pushes_out)
{
	enum { N = 4 * TH_MAX_LIST };
	static const char *const tails[] = {
	    "", "-x", "-a-name-longer-than-three-words-of-the-list"};
	for (uint32_t seed = 0; seed < 20; seed++) {
		int order[N];
		char values[N][80];
		const char *want[N];
		for (int i = 0; i < N; i++) {
			order[i] = i;
			snprintf(values[i], sizeof values[i], "Task-%d%s",
				 (i * 37) % N + 1, tails[(i * 7) % 3]);
			want[i] = values[i];
		}
		qsort(want, N, sizeof *want, version_order);
		shuffle(order, N, seed + 300);
		struct fixture *f = open_by(TH_KEY_COROUTINE);
		for (int i = 0; i < N; i++)
			add(f, (struct spec){.coroutine = "c",
					     .task = values[order[i]]});
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		const struct th_capped *l = &g[0]->tasks;
		cr_assert_eq(l->n, TH_MAX_LIST, "seed %u", seed);
		cr_expect(l->capped, "seed %u", seed);
		for (int i = 0; i < TH_MAX_LIST; i++)
			cr_expect_str_eq(l->items[i], want[i],
					 "seed %u, item %d", seed, i);
		close_agg(f);
	}
}

Test(agg, capped_lists_keep_version_order_for_values_sharing_their_start)
{
	/* numbers that share leading digits, have leading zeros or end where
	 * values part, behind a long shared start: where strverscmp and
	 * byte order differ */
	static const char *const numbers[] = {
	    "0",   "00", "000", "001", "01", "010", "1", "10", "100", "1000",
	    "101", "11", "19",	"190", "2",  "20",  "9", "90", "099", "0099"};
	static const char *const forms[] = {"/srv/app/h.py:%s",
					    "/srv/app/h%s.py", "Task-%s.1"};
	enum { NUMBERS = sizeof numbers / sizeof *numbers };
	enum { N = NUMBERS * (sizeof forms / sizeof *forms) };
	static char values[N][40];
	const char *all[N];
	for (size_t i = 0; i < N; i++) {
		snprintf(values[i], sizeof values[i], forms[i / NUMBERS],
			 numbers[i % NUMBERS]);
		all[i] = values[i];
	}
	for (uint32_t seed = 0; seed < 20; seed++) {
		int order[N];
		for (int i = 0; i < N; i++)
			order[i] = i;
		shuffle(order, N, seed);
		struct fixture *f = open_by(TH_KEY_COROUTINE);
		for (int i = 0; i < N; i++)
			add(f, (struct spec){.coroutine = "c",
					     .task = values[order[i]]});
		qsort(all, N, sizeof *all, version_order);
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		cr_assert_eq(g[0]->tasks.n, TH_MAX_LIST);
		for (size_t i = 0; i < TH_MAX_LIST; i++)
			cr_expect_str_eq(g[0]->tasks.items[i], all[i],
					 "seed %u, item %zu", seed, i);
		close_agg(f);
	}
}

/* LIST holds the distinct values among ALL (N of them, sorted in
 * version order), smallest first, as many as a capped list keeps. */
static void expect_smallest_distinct(const struct th_capped *list,
				     const char *const *all, size_t n,
				     uint32_t seed)
{
	size_t want = 0;
	for (size_t i = 0; i < n && want < TH_MAX_LIST; i++) {
		if (i > 0 && strcmp(all[i], all[i - 1]) == 0)
			continue;
		cr_expect_str_eq(list->items[want], all[i], "seed %u, item %zu",
				 seed, want);
		want++;
	}
	cr_expect_eq(list->n, want, "seed %u", seed);
}

Test(agg, capped_lists_keep_version_order_for_any_mix_of_digits)
{
	/* random values of digits (zeros among them), letters and
	 * punctuation: every state of strverscmp's that the shortcut of
	 * vers_cmp answers for, or hands back to strverscmp */
	static const char alphabet[] = "00123989a.-";
	enum { N = 400 };
	static char values[N][8];
	const char *all[N];
	for (uint32_t seed = 0; seed < 30; seed++) {
		srand(seed);
		for (size_t i = 0; i < N; i++) {
			size_t len = (size_t)rand() % 7;
			for (size_t k = 0; k < len; k++)
				values[i][k] = alphabet[(size_t)rand() %
							(sizeof alphabet - 1)];
			values[i][len] = '\0';
			all[i] = values[i];
		}
		struct fixture *f = open_by(TH_KEY_COROUTINE);
		for (size_t i = 0; i < N; i++)
			add(f,
			    (struct spec){.coroutine = "c", .task = values[i]});
		qsort(all, N, sizeof *all, version_order);
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		expect_smallest_distinct(&g[0]->tasks, all, N, seed);
		close_agg(f);
	}
}

Test(agg, capped_lists_keep_version_order_for_long_values_parting_anywhere)
{
	/* values up to 30 bytes, most of them one of a few long starts
	 * and a random rest, so that two values part before, at, inside
	 * and after each 8-byte word, or one is the start of the other:
	 * every case of the word-at-a-time comparison */
	static const char *const starts[] = {
	    "", "/srv/app/", "/srv/app/h.py:", "Task-1000000", "abcdefgh"};
	static const char alphabet[] = "0019a:";
	enum { N = 300 };
	static char values[N][32];
	const char *all[N];
	for (uint32_t seed = 0; seed < 30; seed++) {
		srand(seed);
		for (size_t i = 0; i < N; i++) {
			const char *start =
			    starts[(size_t)rand() %
				   (sizeof starts / sizeof *starts)];
			size_t n = strlen(start);
			memcpy(values[i], start, n);
			size_t len = n + (size_t)rand() % (31 - n);
			for (size_t k = n; k < len; k++)
				values[i][k] = alphabet[(size_t)rand() %
							(sizeof alphabet - 1)];
			values[i][len] = '\0';
			all[i] = values[i];
		}
		struct fixture *f = open_by(TH_KEY_COROUTINE);
		for (size_t i = 0; i < N; i++)
			add(f, (struct spec){.coroutine = "c",
					     .defined_at = values[i]});
		qsort(all, N, sizeof *all, version_order);
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		expect_smallest_distinct(&g[0]->defined_at, all, N, seed);
		close_agg(f);
	}
}

Test(agg, exception_names_sharing_their_first_byte_count_apart)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	const char *names[] = {"errors.A", "errors.B", "e",
			       "errors.A", "errors.A", "e"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		add(f, (struct spec){.coroutine = "c", .exception = names[i]});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	const char *want[] = {"errors.A", "e", "errors.B"};
	const uint64_t count[] = {3, 2, 1};
	expect_exceptions(g[0], want, count, 3);
	close_agg(f);
}

Test(agg, names_and_keys_that_start_another_count_apart)
{
	/* compared a word at a time: one name (and key) is the start of
	 * another, across and inside a word */
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	const char *names[] = {"errors.UpstreamError", "errors.UpstreamErrorX",
			       "errors.Upstream",      "errors.UpstreamError",
			       "errors.UpstreamErr",   "errors.UpstreamError"};
	const char *keys[] = {"handle_ledger_long", "handle_ledger_long2",
			      "handle_ledger_lon",  "handle_ledger_long",
			      "handle_ledger_long", "handle_ledger_long"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		add(f,
		    (struct spec){.coroutine = keys[i], .exception = names[i]});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 3);
	expect_key(g[0], TH_KEY_COROUTINE, "handle_ledger_long");
	cr_assert_eq(g[0]->count, 4);
	cr_assert_eq(g[0]->n_exceptions, 2);
	cr_expect_str_eq(g[0]->exceptions[0].name, "errors.UpstreamError");
	cr_expect_eq(g[0]->exceptions[0].count, 3);
	cr_expect_str_eq(g[0]->exceptions[1].name, "errors.UpstreamErr");
	cr_expect_eq(g[0]->exceptions[1].count, 1);
	expect_key(g[1], TH_KEY_COROUTINE, "handle_ledger_lon");
	cr_expect_str_eq(g[1]->exceptions[0].name, "errors.Upstream");
	expect_key(g[2], TH_KEY_COROUTINE, "handle_ledger_long2");
	cr_expect_str_eq(g[2]->exceptions[0].name, "errors.UpstreamErrorX");
	close_agg(f);
}

Test(agg, repeated_values_do_not_make_a_full_list_capped)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	for (int round = 0; round < 3; round++) {
		for (int i = TH_MAX_LIST; i > 0; i--) {
			char task[32];
			snprintf(task, sizeof task, "Task-%d", i);
			add(f, (struct spec){.coroutine = "c", .task = task});
		}
	}
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	cr_expect_eq(g[0]->tasks.n, TH_MAX_LIST);
	cr_expect_not(g[0]->tasks.capped,
		      "%d distinct tasks, each seen three times", TH_MAX_LIST);
	cr_expect_eq(g[0]->defined_at.n, 0);
	cr_expect_not(g[0]->defined_at.capped);
	close_agg(f);
}

static void expect_where(const struct th_where *w, const char *input,
			 uint64_t line, const char *time, const char *what)
{
	cr_expect_str_eq(w->input, input, "%s input", what);
	cr_expect_eq(w->line, line, "%s line: got %llu, want %llu", what,
		     (unsigned long long)w->line, (unsigned long long)line);
	char got[TH_TIME_LEN];
	isotime_print(&w->time, got);
	cr_expect_str_eq(got, time, "%s time", what);
}

Test(agg, first_and_last_are_the_earliest_and_latest_by_time)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = "c",
			     .line = 10,
			     .time = "2024-05-01T10:00:02Z"});
	add(f, (struct spec){.coroutine = "c",
			     .line = 20,
			     .time = "2024-05-01T10:00:01.5Z"});
	add(f, (struct spec){.coroutine = "c",
			     .line = 30,
			     .time = "2024-05-01T10:00:01.25Z"});
	add(f, (struct spec){.coroutine = "c",
			     .line = 5,
			     .time = "2024-05-01T10:00:02.000Z"});
	add(f, (struct spec){.coroutine = "c",
			     .line = 40,
			     .time = "2024-05-01T10:00:02.1Z"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	expect_where(&g[0]->first, "app.log", 30, "2024-05-01T10:00:01.25Z",
		     "first (.25 before .5)");
	expect_where(&g[0]->last, "app.log", 40, "2024-05-01T10:00:02.1Z",
		     "last (:02.1 after :02)");
	close_agg(f);
}

Test(agg, first_and_last_are_the_extremes_whatever_the_arrival_order)
{
	/* times that tie (then the line decides), events without a time
	 * (before every timed one), arriving in a shuffled order */
	enum { N = 40 };
	for (uint32_t seed = 0; seed < 20; seed++) {
		int order[N];
		for (int i = 0; i < N; i++)
			order[i] = i;
		shuffle(order, N, seed + 7);
		struct fixture *f = open_by(TH_KEY_COROUTINE);
		for (int i = 0; i < N; i++) {
			int k = order[i];
			char time[32];
			snprintf(time, sizeof time, "2024-05-01T10:00:%02dZ",
				 k / 4);
			add(f, (struct spec){.coroutine = "c",
					     .line = (uint64_t)(100 + k % 4),
					     .time = k < 4 ? NULL : time});
		}
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		cr_expect_eq(g[0]->first.line, 100, "seed %u", seed);
		cr_expect_not(isotime_known(&g[0]->first.time), "seed %u",
			      seed);
		expect_where(&g[0]->last, "app.log", 103,
			     "2024-05-01T10:00:09Z", "last");
		close_agg(f);
	}
}

Test(agg, equal_times_are_ordered_by_line)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = "c",
			     .line = 10,
			     .time = "2024-05-01T10:00:02Z"});
	add(f, (struct spec){.coroutine = "c",
			     .line = 5,
			     .time = "2024-05-01T10:00:02.000Z"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	cr_expect_eq(g[0]->first.line, 5, ":02 equals :02.000, line decides");
	cr_expect_eq(g[0]->last.line, 10);
	close_agg(f);
}

/* Adds an event of coroutine "c" at LINE whose time has the fields
 * given, which need not name a real date nor print in fixed columns. */
static void add_at_fields(struct fixture *f, uint64_t line, int32_t year,
			  uint8_t month, uint8_t day, uint8_t second)
{
	make_event(&f->ev, f->catalog,
		   (struct spec){.coroutine = "c", .line = line});
	f->ev.time = (struct th_time){.year = year,
				      .month = month,
				      .day = day,
				      .second = second,
				      .flags = ISOTIME_KNOWN};
	agg_add(f->agg, &f->ev);
}

Test(agg, times_order_as_they_print_past_year_9999_and_past_99)
{
	/* as text "10000-01-01" sorts before "9999-12-31", and
	 * "2024-05-150" before "2024-05-20"; in fixed columns the month
	 * decides before the day, the day before the second */
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add_at_fields(f, 10, 9999, 12, 31, 0);
	add_at_fields(f, 20, 10000, 1, 1, 0);
	add_at_fields(f, 30, 2024, 5, 20, 0);
	add_at_fields(f, 40, 2024, 5, 150, 0);
	add_at_fields(f, 50, 2024, 6, 1, 0);
	add_at_fields(f, 60, 2024, 5, 31, 59);
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	cr_expect_eq(g[0]->first.line, 20, "year 10000 prints first");
	cr_expect_eq(g[0]->last.line, 10, "year 9999 prints last");
	close_agg(f);

	f = open_by(TH_KEY_COROUTINE);
	add_at_fields(f, 30, 2024, 5, 20, 0);
	add_at_fields(f, 40, 2024, 5, 150, 0);
	add_at_fields(f, 50, 2024, 6, 1, 0);
	add_at_fields(f, 60, 2024, 5, 31, 59);
	cr_assert_eq(sorted(f, &g), 1);
	cr_expect_eq(g[0]->first.line, 40, "day 150 prints before day 20");
	cr_expect_eq(g[0]->last.line, 50, "June after May 31");
	close_agg(f);
}

/* The aggregate keeps one copy of each input name for all its groups:
 * a name read from a buffer that then holds another name must not be
 * taken for it. */
Test(agg, input_names_are_copied_whatever_their_buffer_holds_later)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	char name[16];
	const char *inputs[] = {"a.log", "b.log", "a.log", "c.log"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "%s", inputs[i]);
		const char *coro = i % 2 ? "odd" : "even";
		add(f, (struct spec){.coroutine = coro,
				     .input = name,
				     .input_index = i,
				     .line = 10 + i});
	}
	snprintf(name, sizeof name, "gone");
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 2);
	/* "even": a.log twice; "odd": b.log, then c.log */
	expect_where(&g[0]->first, "a.log", 10, "", "even first");
	expect_where(&g[0]->last, "a.log", 12, "", "even last");
	expect_where(&g[1]->first, "b.log", 11, "", "odd first");
	expect_where(&g[1]->last, "c.log", 13, "", "odd last");
	cr_expect_eq(g[0]->first.input, g[0]->last.input, "one copy of a.log");
	close_agg(f);
}

Test(agg, without_times_first_and_last_go_by_input_then_line)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = "c",
			     .input = "b.log",
			     .input_index = 1,
			     .line = 3});
	add(f, (struct spec){.coroutine = "c",
			     .input = "a.log",
			     .input_index = 0,
			     .line = 900});
	add(f, (struct spec){.coroutine = "c",
			     .input = "b.log",
			     .input_index = 1,
			     .line = 70});
	add(f, (struct spec){.coroutine = "c",
			     .input = "a.log",
			     .input_index = 0,
			     .line = 800});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	expect_where(&g[0]->first, "a.log", 800, "", "first");
	expect_where(&g[0]->last, "b.log", 70, "", "last");
	close_agg(f);
}

Test(agg, example_is_the_text_of_the_first_event)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = "c", .line = 50, .text = "later"});
	add(f, (struct spec){.coroutine = "c", .line = 7, .text = "earlier"});
	add(f, (struct spec){.coroutine = "c", .line = 90, .text = "last"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	cr_expect_str_eq(g[0]->example, "earlier",
			 "the example follows the first event");
	cr_expect_eq(g[0]->example_len, strlen("earlier"));
	close_agg(f);
}

Test(agg, culprit_and_message_are_the_first_events)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	add(f, (struct spec){.coroutine = "c",
			     .line = 50,
			     .message = "later",
			     .source = "web-2 app[8]",
			     .culprit = "b.py run",
			     .culprit_line = 9});
	add(f, (struct spec){.coroutine = "c",
			     .line = 7,
			     .message = "earlier",
			     .source = "web-1 app[7]",
			     .culprit = "a.py get",
			     .culprit_line = 88});
	add(f, (struct spec){.coroutine = "c", .line = 90});
	add(f, (struct spec){.coroutine = "d", .line = 3});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 2);
	cr_expect_str_eq(g[0]->message, "earlier");
	cr_expect_str_eq(g[0]->source, "web-1 app[7]");
	cr_expect_str_eq(g[0]->culprit.file, "a.py");
	cr_expect_str_eq(g[0]->culprit.function, "get");
	cr_expect_eq(g[0]->culprit.line, 88);
	cr_expect_null(g[1]->message, "an event without a message");
	cr_expect_null(g[1]->culprit.file, "nor a culprit");
	cr_expect_null(g[1]->source, "nor a source");
	close_agg(f);
}

/* --label: every group of a labelled aggregate has its label; merged
 * aggregates unite them (a fleet report's hosts per group). */
Test(agg, labels_are_the_aggregates_and_merge_as_a_union)
{
	struct fixture *web = open_by(TH_KEY_COROUTINE);
	struct fixture *db = open_by(TH_KEY_COROUTINE);
	struct fixture *none = open_by(TH_KEY_COROUTINE);
	agg_set_label(web->agg, "web-1");
	agg_set_label(db->agg, "db-1");
	add(web, (struct spec){.coroutine = "both"});
	add(web, (struct spec){.coroutine = "web"});
	add(db, (struct spec){.coroutine = "both"});
	add(none, (struct spec){.coroutine = "both"});
	agg_merge(web->agg, db->agg, 0, 0);
	agg_merge(web->agg, none->agg, 0, 0);
	const struct th_group *const *g;
	cr_assert_eq(sorted(web, &g), 2);
	cr_assert_eq(g[0]->labels.n, 2, "both: web-1 and db-1");
	cr_expect_str_eq(g[0]->labels.items[0], "db-1");
	cr_expect_str_eq(g[0]->labels.items[1], "web-1");
	cr_assert_eq(g[1]->labels.n, 1);
	cr_expect_str_eq(g[1]->labels.items[0], "web-1");
	close_agg(web);
	close_agg(db);
	close_agg(none);
}

Test(agg, the_culprit_key_is_file_and_function_without_the_line)
{
	struct fixture *f = open_by(TH_KEY_CULPRIT);
	add(f, (struct spec){.culprit = "app/users.py fetch_user",
			     .culprit_line = 88});
	add(f, (struct spec){.culprit = "app/users.py fetch_user",
			     .culprit_line = 91});
	add(f, (struct spec){.culprit = "app/users.py save_user",
			     .culprit_line = 91});
	add(f, (struct spec){.coroutine = "no traceback"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 3);
	expect_key(g[0], TH_KEY_CULPRIT, "app/users.py in fetch_user");
	cr_expect_eq(g[0]->count, 2, "a deploy that moves the line");
	expect_key(g[1], TH_KEY_CULPRIT, NULL);
	expect_key(g[2], TH_KEY_CULPRIT, "app/users.py in save_user");
	close_agg(f);
}

Test(agg, long_example_is_cut_on_a_character_boundary)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	event_reset(&f->ev);
	f->ev.rule = 0;
	f->ev.input = "app.log";
	f->ev.line = 1;
	set_field(&f->ev, TH_F_COROUTINE, "c");
	/* lines of "é" (2 bytes), with one byte of "x" first so that the
	 * cut at TH_MAX_EXAMPLE falls inside an "é" */
	char line[1001];
	line[0] = 'x';
	for (size_t i = 1; i + 1 < sizeof line; i += 2)
		memcpy(line + i, "\xC3\xA9", 2);
	for (int i = 0; i < 40; i++)
		event_add_line(&f->ev, (struct th_span){line, sizeof line});
	agg_add(f->agg, &f->ev);
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	size_t n = g[0]->example_len;
	cr_expect_leq(n, TH_MAX_EXAMPLE);
	cr_expect_geq(n, TH_MAX_EXAMPLE - 3);
	cr_expect_neq((unsigned char)g[0]->example[n - 1], 0xC3,
		      "cut after the lead byte of a 2-byte character (%zu)", n);
	size_t full = event_text(&f->ev, NULL, 0);
	char *text = malloc(full + 1);
	event_text(&f->ev, text, full + 1);
	cr_expect(memcmp(g[0]->example, text, n) == 0,
		  "the example is a prefix of the event text");
	free(text);
	close_agg(f);
}

Test(agg, sorted_by_count_then_key_in_version_order_with_null_first)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	const char *names[] = {"w10", "w2", NULL, "w1", "b"};
	const int times[] = {1, 1, 1, 1, 3};
	for (size_t i = 0; i < 5; i++)
		for (int t = 0; t < times[i]; t++)
			add(f, (struct spec){.coroutine = names[i]});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 5);
	const char *want[] = {"b", NULL, "w1", "w2", "w10"};
	for (size_t i = 0; i < 5; i++)
		expect_key(g[i], TH_KEY_COROUTINE, want[i]);
	close_agg(f);
}

Test(agg, multi_key_order_compares_keys_in_group_by_order)
{
	const enum th_key keys[] = {TH_KEY_EXCEPTION, TH_KEY_COROUTINE};
	struct fixture *f = open_agg(keys, 2);
	add(f, (struct spec){.coroutine = "a", .exception = "Z"});
	add(f, (struct spec){.coroutine = "b", .exception = "Y"});
	add(f, (struct spec){.coroutine = "a", .exception = "Y"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 3);
	expect_key(g[0], TH_KEY_EXCEPTION, "Y");
	expect_key(g[0], TH_KEY_COROUTINE, "a");
	expect_key(g[1], TH_KEY_EXCEPTION, "Y");
	expect_key(g[1], TH_KEY_COROUTINE, "b");
	expect_key(g[2], TH_KEY_EXCEPTION, "Z");
	close_agg(f);
}

Test(agg, empty_aggregate_has_no_groups)
{
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	const struct th_group *const *g;
	cr_expect_eq(sorted(f, &g), 0);
	close_agg(f);
}

/* Event I of the churn tests: each earlier than the one before, with
 * smaller task and place names, a new exception name up to twice the
 * list, and a text whose length varies: every event replaces the
 * group's first (example, culprit, message) and pushes a value out of
 * its full lists, so its strings keep being replaced. */
static void add_churn(struct fixture *f, int i, int n)
{
	char task[32], where[32], exc[32], msg[32], culprit[32];
	char text[3000];
	int k = n - i;
	snprintf(task, sizeof task, "Task-%d", k);
	snprintf(where, sizeof where, "app.py:%d", k);
	snprintf(exc, sizeof exc, "Error%d", i % (2 * TH_MAX_LIST));
	snprintf(msg, sizeof msg, "message %d", k);
	snprintf(culprit, sizeof culprit, "m%d.py fn%d", k, k);
	size_t len = (size_t)(i * 37 % 2900) + 1;
	memset(text, 'a' + i % 26, len);
	text[len] = '\0';
	add(f, (struct spec){.coroutine = "c",
			     .line = (uint64_t)k,
			     .task = task,
			     .defined_at = where,
			     .exception = exc,
			     .message = msg,
			     .culprit = culprit,
			     .culprit_line = (uint64_t)k,
			     .text = text});
}

/* A group's lists and strings share one block that is renewed as they
 * are replaced: what it keeps must be what was added last, whatever
 * moved. */
Test(agg, a_group_whose_strings_keep_being_replaced_keeps_the_right_ones)
{
	enum { N = 3000 };
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	for (int i = 0; i < N; i++)
		add_churn(f, i, N);
	const struct th_group *const *g;
	cr_assert_eq(sorted(f, &g), 1);
	for (int i = 0; i < TH_MAX_LIST; i++) {
		char task[32], where[32];
		snprintf(task, sizeof task, "Task-%d", i + 1);
		snprintf(where, sizeof where, "app.py:%d", i + 1);
		cr_expect_str_eq(g[0]->tasks.items[i], task, "item %d", i);
		cr_expect_str_eq(g[0]->defined_at.items[i], where, "item %d",
				 i);
	}
	cr_expect(g[0]->tasks.capped && g[0]->defined_at.capped);
	cr_expect_eq(g[0]->first.line, 1);
	size_t len = (size_t)((N - 1) * 37 % 2900) + 1;
	cr_expect_eq(g[0]->example_len, len, "the last event's text");
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(g[0]->example[i], 'a' + (N - 1) % 26, "byte %zu",
			     i);
	cr_expect_str_eq(g[0]->message, "message 1");
	cr_expect_str_eq(g[0]->culprit.file, "m1.py");
	cr_expect_str_eq(g[0]->culprit.function, "fn1");
	cr_expect_eq(g[0]->n_exceptions, TH_MAX_LIST);
	uint64_t counted = g[0]->exceptions_other;
	for (size_t i = 0; i < g[0]->n_exceptions; i++)
		counted += g[0]->exceptions[i].count;
	cr_expect_eq(counted, N);
	close_agg(f);
}

/* The same events into one aggregate, or split between two (the second
 * counting its lines from 1, as a range of the file scanned apart) and
 * merged, must give the same groups. */
Test(agg, merging_split_aggregates_equals_aggregating_the_whole)
{
	enum th_key key = TH_KEY_COROUTINE;
	struct fixture *whole = open_by(key);
	struct fixture *head = open_by(key);
	struct fixture *tail = open_by(key);
	const char *coros[] = {"fetch", "sync", "fetch", NULL, "fetch", "sync"};
	const char *excs[] = {"KeyError", NULL,	      "ValueError",
			      "OSError",  "KeyError", "KeyError"};
	for (size_t i = 0; i < 60; i++) {
		char task[16], time[40];
		snprintf(task, sizeof task, "Task-%zu", i);
		snprintf(time, sizeof time, "2024-05-01T10:00:%02zu", i % 60);
		uint64_t line = 10 * i + 1;
		struct spec s = {.coroutine = coros[i % 6],
				 .exception = excs[i % 6],
				 .task = task,
				 .line = line,
				 .time = i % 7 ? time : NULL};
		add(whole, s);
		if (i < 25) {
			add(head, s);
		} else {
			s.line = line - 250; /* the tail starts at line 251 */
			add(tail, s);
		}
	}
	agg_merge(head->agg, tail->agg, 0, 250);
	const struct th_group *const *a, *const *b;
	size_t na = sorted(whole, &a), nb = sorted(head, &b);
	cr_assert_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		cr_expect_eq(a[i]->count, b[i]->count);
		cr_expect_eq(a[i]->n_exceptions, b[i]->n_exceptions);
		for (size_t e = 0; e < a[i]->n_exceptions; e++) {
			cr_expect_str_eq(a[i]->exceptions[e].name,
					 b[i]->exceptions[e].name);
			cr_expect_eq(a[i]->exceptions[e].count,
				     b[i]->exceptions[e].count);
		}
		cr_expect_eq(a[i]->tasks.n, b[i]->tasks.n);
		cr_expect_eq(a[i]->tasks.capped, b[i]->tasks.capped);
		for (size_t t = 0; t < a[i]->tasks.n; t++)
			cr_expect_str_eq(a[i]->tasks.items[t],
					 b[i]->tasks.items[t]);
		cr_expect_eq(a[i]->first.line, b[i]->first.line, "%llu vs %llu",
			     (unsigned long long)a[i]->first.line,
			     (unsigned long long)b[i]->first.line);
		cr_expect_eq(a[i]->last.line, b[i]->last.line, "%llu vs %llu",
			     (unsigned long long)a[i]->last.line,
			     (unsigned long long)b[i]->last.line);
		char ta[TH_TIME_LEN], tb[TH_TIME_LEN];
		isotime_print(&a[i]->first.time, ta);
		isotime_print(&b[i]->first.time, tb);
		cr_expect_str_eq(ta, tb);
		cr_expect_eq(a[i]->example_len, b[i]->example_len);
	}
	close_agg(whole);
	close_agg(head);
	close_agg(tail);
}

/* ---- spilling past a memory budget ------------------------------------- */

static void expect_same_str(const char *x, const char *y, const char *what)
{
	if (x == NULL || y == NULL)
		cr_expect(x == y, "%s: %s vs %s", what, x ? x : "NULL",
			  y ? y : "NULL");
	else
		cr_expect_str_eq(x, y, "%s", what);
}

static void expect_same_capped(const struct th_capped *x,
			       const struct th_capped *y)
{
	cr_expect_eq(x->n, y->n);
	cr_expect_eq(x->capped, y->capped);
	for (size_t i = 0; i < x->n && i < y->n; i++)
		cr_expect_str_eq(x->items[i], y->items[i]);
}

static void expect_same_where(const struct th_where *x,
			      const struct th_where *y)
{
	expect_same_str(x->input, y->input, "input");
	cr_expect_eq(x->line, y->line);
	char tx[TH_TIME_LEN], ty[TH_TIME_LEN];
	cr_expect_eq(isotime_print(&x->time, tx), isotime_print(&y->time, ty));
	if (isotime_known(&x->time) && isotime_known(&y->time))
		cr_expect_str_eq(tx, ty);
}

/* Every field a report shows of two groups is the same. */
static void expect_same_group(const struct th_group *x,
			      const struct th_group *y, size_t n_rules)
{
	for (size_t k = 0; k < TH_KEY_COUNT; k++)
		expect_same_str(x->key[k], y->key[k], "key");
	cr_expect_eq(x->count, y->count);
	for (size_t r = 0; r < n_rules; r++)
		cr_expect_eq(x->rule_counts[r], y->rule_counts[r]);
	cr_expect_eq(x->n_exceptions, y->n_exceptions);
	for (size_t e = 0; e < x->n_exceptions && e < y->n_exceptions; e++) {
		cr_expect_str_eq(x->exceptions[e].name, y->exceptions[e].name);
		cr_expect_eq(x->exceptions[e].count, y->exceptions[e].count);
	}
	cr_expect_eq(x->exceptions_other, y->exceptions_other);
	cr_expect_eq(x->severity, y->severity);
	expect_same_capped(&x->tasks, &y->tasks);
	expect_same_capped(&x->defined_at, &y->defined_at);
	expect_same_capped(&x->labels, &y->labels);
	expect_same_where(&x->first, &y->first);
	expect_same_where(&x->last, &y->last);
	cr_expect_eq(x->example_len, y->example_len);
	if (x->example_len == y->example_len && x->example_len > 0)
		cr_expect(memcmp(x->example, y->example, x->example_len) == 0);
	expect_same_str(x->message, y->message, "message");
	expect_same_str(x->source, y->source, "source");
	expect_same_str(x->culprit.file, y->culprit.file, "culprit file");
	expect_same_str(x->culprit.function, y->culprit.function,
			"culprit function");
	cr_expect_eq(x->culprit.line, y->culprit.line);
	cr_expect(memcmp(&x->timeline, &y->timeline, sizeof x->timeline) == 0,
		  "timelines differ");
	cr_expect_eq(x->novelty, y->novelty);
}

/* Both aggregates read alike: the count, the time span, every group in
 * order, and the first three on their own. */
static void expect_same_groups(struct fixture *x, struct fixture *y)
{
	size_t n = agg_count(x->agg);
	cr_assert_eq(n, agg_count(y->agg));
	int64_t sx[2] = {0}, sy[2] = {0};
	cr_expect_eq(agg_time_span(x->agg, &sx[0], &sx[1]),
		     agg_time_span(y->agg, &sy[0], &sy[1]));
	cr_expect(sx[0] == sy[0] && sx[1] == sy[1]);
	size_t ix = 0, iy = 0, seen = 0;
	const struct th_group *gx, *gy;
	while ((gx = agg_next(x->agg, &ix)) != NULL) {
		gy = agg_next(y->agg, &iy);
		cr_assert_not_null(gy, "group %zu of %zu", seen, n);
		expect_same_group(gx, gy, catalog_rule_count(x->catalog));
		seen++;
	}
	cr_expect_null(agg_next(y->agg, &iy));
	cr_expect_eq(seen, n);
	const struct th_group *const *tx, *const *ty;
	size_t kx = agg_top(x->agg, 3, &tx), ky = agg_top(y->agg, 3, &ty);
	cr_assert_eq(kx, ky);
	for (size_t i = 0; i < kx; i++)
		expect_same_group(tx[i], ty[i], catalog_rule_count(x->catalog));
}

/* Event I of a log with many tasks, some repeated, few coroutines, some
 * without a time, errors and warnings, defined at many places. */
static struct spec many_groups_event(size_t i, char *task, char *where,
				     char *time)
{
	static const char *coros[] = {"fetch", "sync", NULL, "poll", "send"};
	static const char *excs[] = {"KeyError", NULL, "ValueError", "OSError",
				     "TimeoutError"};
	static const char *rules[] = {"test.error", "test.warning",
				      "test.info"};
	static const char *messages[] = {"boom", NULL, "timed out", "gone"};
	static const char *culprits[] = {"a.py get", "b.py put", NULL};
	static const char *sources[] = {"stderr", NULL, "web-1 app[7]"};
	sprintf(task, "Task-%zu", (i * 7919) % 1500);
	sprintf(where, "app/m%zu.py:%zu", i % 37, (i * 13) % 101);
	sprintf(time, "2024-05-01T10:%02zu:%02zu", (i / 60) % 60, i % 60);
	return (struct spec){.rule = rules[i % 3],
			     .coroutine = coros[i % 5],
			     .exception = excs[(i / 5) % 5],
			     .task = task,
			     .defined_at = where,
			     .input = i % 2 ? "a.log" : "b.log",
			     .input_index = i % 2,
			     .line = 1000 - i % 1000,
			     .time = i % 11 ? time : NULL,
			     .message = messages[i % 4],
			     .source = sources[i % 3],
			     .culprit = culprits[i % 3],
			     .culprit_line = i % 97};
}

static void feed_many(struct fixture *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char task[32], where[32], time[32];
		add(f, many_groups_event(i, task, where, time));
	}
}

static char *spill_dir(void)
{
	char *dir = strdup("/tmp/test_agg-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	return dir;
}

Test(agg, a_tiny_budget_gives_the_groups_of_unlimited_memory)
{
	enum th_key keys[] = {TH_KEY_TASK};
	struct fixture *whole = open_agg(keys, 1), *spilled = open_agg(keys, 1);
	char *dir = spill_dir();
	agg_spill_to(spilled->agg, dir, 64 * 1024);
	agg_set_label(whole->agg, "web-1"); /* labels go through runs too */
	agg_set_label(spilled->agg, "web-1");
	feed_many(whole, 6000);
	feed_many(spilled, 6000);
	cr_expect_gt(agg_spilled(spilled->agg), 1500, "it spilled");
	cr_expect_eq(agg_spilled(whole->agg), 0);
	cr_expect_eq(agg_count(whole->agg), 1500);
	expect_same_groups(whole, spilled);
	close_agg(whole);
	close_agg(spilled);
	cr_expect_eq(rmdir(dir), 0, "no file is left in the directory");
	free(dir);
}

/* Values pushed out of a list and replaced examples are not kept: the
 * memory a group is measured at stays bounded however many events
 * replace them, so a budget a few times one group's is never passed. */
Test(agg, replaced_strings_do_not_grow_a_groups_memory)
{
	enum { N = 20000 };
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	char *dir = spill_dir();
	agg_spill_to(f->agg, dir, 64 * 1024);
	for (int i = 0; i < N; i++)
		add_churn(f, i, N);
	cr_expect_eq(agg_spilled(f->agg), 0, "spilled %llu groups",
		     (unsigned long long)agg_spilled(f->agg));
	cr_expect_eq(agg_count(f->agg), 1);
	close_agg(f);
	cr_expect_eq(rmdir(dir), 0);
	free(dir);
}

Test(agg, groups_split_over_many_runs_add_up_their_parts)
{
	/* few groups, each in parts in dozens of runs (more than merge at
	 * once): capped lists, timelines, first and last merge */
	enum th_key keys[] = {TH_KEY_COROUTINE, TH_KEY_EXCEPTION};
	struct fixture *whole = open_agg(keys, 2), *spilled = open_agg(keys, 2);
	char *dir = spill_dir();
	agg_spill_to(spilled->agg, dir, 4096);
	feed_many(whole, 3000);
	feed_many(spilled, 3000);
	cr_expect_gt(agg_spilled(spilled->agg), 100);
	expect_same_groups(whole, spilled);
	close_agg(whole);
	close_agg(spilled);
	rmdir(dir);
	free(dir);
}

Test(agg, spilled_aggregates_merge_like_whole_ones)
{
	enum th_key keys[] = {TH_KEY_TASK};
	struct fixture *whole = open_agg(keys, 1), *head = open_agg(keys, 1),
		       *tail = open_agg(keys, 1);
	char *dir = spill_dir();
	agg_spill_to(head->agg, dir, 32 * 1024);
	agg_spill_to(tail->agg, dir, 32 * 1024);
	for (size_t i = 0; i < 4000; i++) {
		char task[32], where[32], time[32];
		struct spec s = many_groups_event(i, task, where, time);
		s.input_index = 0;
		s.input = "app.log";
		s.line = 1 + i;
		s.text = where; /* not "event at line N": lines move */
		add(whole, s);
		if (i < 1700) {
			add(head, s);
		} else {
			s.line -= 1700; /* the tail counts from 1 */
			add(tail, s);
		}
	}
	agg_merge(head->agg, tail->agg, 0, 1700);
	expect_same_groups(whole, head);
	close_agg(whole);
	close_agg(head);
	close_agg(tail);
	rmdir(dir);
	free(dir);
}

/* A group read back from a run moves uncopied into an aggregate that
 * had none of its key, which then takes an event between its first and
 * its last: that event must not become its last (the group keeps the
 * rank of its last's time; docs/performance.md, 2026-12-07). */
Test(agg, a_group_read_back_and_moved_orders_later_events_by_its_last)
{
	static const char *times[] = {"2024-05-01T10:00:01",
				      "2024-05-01T10:00:05",
				      "2024-05-01T10:00:03"};
	struct fixture *whole = open_by(TH_KEY_COROUTINE),
		       *part = open_by(TH_KEY_COROUTINE),
		       *dst = open_by(TH_KEY_COROUTINE);
	char *dir = spill_dir();
	agg_spill_to(part->agg, dir, 1024 * 1024);
	for (size_t i = 0; i < 2; i++) {
		struct spec s = {
		    .coroutine = "c", .line = 1 + i, .time = times[i]};
		add(whole, s);
		add(part, s);
	}
	agg_spill_now(part->agg);
	cr_assert_eq(agg_spilled(part->agg), 1);
	agg_merge(dst->agg, part->agg, 0, 0);
	struct spec s = {.coroutine = "c", .line = 3, .time = times[2]};
	add(whole, s);
	add(dst, s);
	expect_same_groups(whole, dst);
	const struct th_group *const *g;
	cr_assert_eq(sorted(dst, &g), 1);
	cr_expect_eq(g[0]->last.line, 2);
	close_agg(whole);
	close_agg(part);
	close_agg(dst);
	rmdir(dir);
	free(dir);
}

/* A group with more exception types than it keeps
 * (TH_MAX_EXCEPTION_TYPES): it keeps the smallest names, each counted
 * exactly, and lists the most frequent of those, so the list is the same
 * however its events were split into parts and merged (README.md,
 * "Memory and temporary files"). 300 types, every tenth 5 times. */
Test(agg, exception_types_do_not_depend_on_how_events_are_split)
{
	enum { TYPES = 300, N = TYPES + 4 * (TYPES / 10) };
	char names[N][32];
	size_t n = 0;
	for (int t = 0; t < TYPES; t++)
		for (int k = 0; k < (t % 10 == 0 ? 5 : 1); k++)
			snprintf(names[n++], sizeof names[0], "Type%dError", t);
	cr_assert_eq(n, N);
	const size_t cuts[][3] = {{N / 3, 2 * N / 3, N}, {100, N, N}};
	struct fixture *whole = open_by(TH_KEY_COROUTINE);
	for (size_t i = 0; i < N; i++)
		add(whole, (struct spec){.coroutine = "c",
					 .exception = names[(i * 7919) % N],
					 .line = 1 + i});
	for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
		struct fixture *merged = open_by(TH_KEY_COROUTINE);
		size_t from = 0;
		for (size_t p = 0; p < 3 && from < N; p++) {
			struct fixture *part = open_by(TH_KEY_COROUTINE);
			for (size_t i = from; i < cuts[c][p]; i++)
				add(part,
				    (struct spec){.coroutine = "c",
						  .exception =
						      names[(i * 7919) % N],
						  .line = 1 + i - from});
			agg_merge(merged->agg, part->agg, 0, from);
			close_agg(part);
			from = cuts[c][p];
		}
		expect_same_groups(whole, merged);
		close_agg(merged);
	}
	/* spilled at every measure: parts of the group written out, read
	 * back and added up */
	char *dir = spill_dir();
	struct fixture *spilled = open_by(TH_KEY_COROUTINE);
	agg_spill_to(spilled->agg, dir, 1024);
	for (size_t i = 0; i < N; i++)
		add(spilled, (struct spec){.coroutine = "c",
					   .exception = names[(i * 7919) % N],
					   .line = 1 + i});
	cr_assert(agg_spilled(spilled->agg) > 1, "spilled");
	expect_same_groups(whole, spilled);
	close_agg(spilled);
	rmdir(dir);
	free(dir);
	const struct th_group *const *g;
	cr_assert_eq(sorted(whole, &g), 1);
	cr_assert_eq(g[0]->n_exceptions, TH_MAX_LIST);
	uint64_t listed = 0;
	for (size_t e = 0; e < TH_MAX_LIST; e++) {
		char want[32];
		snprintf(want, sizeof want, "Type%zuError", 10 * e);
		cr_expect_str_eq(g[0]->exceptions[e].name, want,
				 "the most frequent kept, then by name");
		cr_expect_eq(g[0]->exceptions[e].count, 5);
		listed += g[0]->exceptions[e].count;
	}
	cr_expect_eq(g[0]->exceptions_other, N - listed,
		     "every other event counted once");
	close_agg(whole);
}

/* A file cut into ranges (-j): each range aggregated apart, all merged in
 * order into a new aggregate, which then takes more events. The merge
 * copies a range's lists into groups new to the whole and adds them to
 * the others; the copies must be found again by later events (their
 * tags), or a value would be listed twice. */
Test(agg, ranges_merged_in_order_into_a_new_aggregate_equal_the_whole)
{
	enum { EVENTS = 3000, RANGES = 5, MORE = 500 };
	static const size_t ends[RANGES] = {1200, 1900, 2400, 2750, EVENTS};
	enum th_key keys[] = {TH_KEY_COROUTINE};
	struct fixture *whole = open_agg(keys, 1), *merged = open_agg(keys, 1);
	struct fixture *range[RANGES];
	for (size_t r = 0; r < RANGES; r++)
		range[r] = open_agg(keys, 1);
	size_t r = 0, base = 0;
	for (size_t i = 0; i < EVENTS; i++) {
		char task[32], where[32], time[32];
		struct spec s = many_groups_event(i, task, where, time);
		s.input_index = 0;
		s.input = "app.log";
		s.line = 1 + i;
		s.text = where;
		add(whole, s);
		if (i == ends[r])
			base = ends[r++];
		s.line -= base; /* a range counts its lines from 1 */
		add(range[r], s);
	}
	base = 0;
	for (r = 0; r < RANGES; r++) {
		agg_merge(merged->agg, range[r]->agg, 0, base);
		base = ends[r];
	}
	for (size_t i = 0; i < MORE; i++) {
		char task[32], where[32], time[32];
		struct spec s = many_groups_event(i * 3, task, where, time);
		s.input_index = 0;
		s.input = "app.log";
		s.line = EVENTS + 1 + i;
		s.text = where;
		add(whole, s);
		add(merged, s);
	}
	expect_same_groups(whole, merged);
	close_agg(whole);
	close_agg(merged);
	for (r = 0; r < RANGES; r++)
		close_agg(range[r]);
}

/* Last moves to each later event; its input's name is that event's,
 * also when events of two inputs take turns. */
Test(agg, last_names_the_input_of_the_latest_event)
{
	static const struct {
		const char *input;
		size_t index;
		uint64_t line;
	} evs[] = {{"a.log", 0, 1}, {"a.log", 0, 2}, {"b.log", 1, 3},
		   {"b.log", 1, 9}, {"a.log", 0, 4}, {"a.log", 0, 5}};
	struct fixture *f = open_by(TH_KEY_COROUTINE);
	for (size_t i = 0; i < sizeof evs / sizeof *evs; i++) {
		char time[32];
		snprintf(time, sizeof time, "2024-05-01T10:00:%02zu", i);
		add(f, (struct spec){.coroutine = "c",
				     .input = evs[i].input,
				     .input_index = evs[i].index,
				     .line = evs[i].line,
				     .time = time});
		const struct th_group *const *g;
		cr_assert_eq(sorted(f, &g), 1);
		cr_expect_str_eq(g[0]->last.input, evs[i].input, "event %zu",
				 i);
		cr_expect_eq(g[0]->last.line, evs[i].line, "event %zu", i);
		cr_expect_str_eq(g[0]->first.input, "a.log");
		cr_expect_eq(g[0]->first.line, 1);
	}
	close_agg(f);
}

Test(agg, novelty_set_while_reading_spilled_groups_stays_with_them)
{
	enum th_key keys[] = {TH_KEY_TASK};
	struct fixture *f = open_agg(keys, 1);
	char *dir = spill_dir();
	agg_spill_to(f->agg, dir, 16 * 1024);
	feed_many(f, 3000);
	const struct th_group *g;
	for (size_t i = 0; (g = agg_next(f->agg, &i)) != NULL;)
		agg_set_novelty(f->agg, g,
				i % 3 ? TH_NOVELTY_NEW : TH_NOVELTY_SEEN);
	size_t n = 0;
	for (size_t i = 0; (g = agg_next(f->agg, &i)) != NULL; n++)
		cr_expect_eq(g->novelty,
			     i % 3 ? TH_NOVELTY_NEW : TH_NOVELTY_SEEN,
			     "group %zu", i);
	cr_expect_eq(n, 1500);
	close_agg(f);
	rmdir(dir);
	free(dir);
}

Test(agg, a_spilled_aggregate_once_read_takes_no_more_events, .signal = SIGABRT)
{
	struct fixture *f = open_by(TH_KEY_TASK);
	agg_spill_to(f->agg, "/tmp", 2048);
	feed_many(f, 200);
	agg_count(f->agg);
	add(f, (struct spec){.task = "Task-late"});
}

/* A range's groups new to the whole move into it uncopied (-j merges
 * each range into the report): the whole gives the very group the range
 * held, its lines moved past the ranges before and its input named by
 * the whole's copy; a group the whole had takes the range's counts, and
 * the range is left without groups. */
Test(agg, merging_moves_groups_new_to_the_whole)
{
	struct fixture *whole = open_by(TH_KEY_COROUTINE);
	struct fixture *range = open_by(TH_KEY_COROUTINE);
	add(whole, (struct spec){.coroutine = "both", .line = 3});
	add(range, (struct spec){.coroutine = "both", .line = 5});
	add(range, (struct spec){.coroutine = "new",
				 .line = 7,
				 .task = "Task-9",
				 .exception = "KeyError",
				 .time = "2024-05-01T10:00:07"});
	const struct th_group *const *g;
	cr_assert_eq(sorted(range, &g), 2);
	const struct th_group *moved = g[1];
	expect_key(moved, TH_KEY_COROUTINE, "new");
	agg_merge(whole->agg, range->agg, 0, 100);
	cr_expect_eq(agg_count(range->agg), 0, "the range keeps no group");
	cr_assert_eq(sorted(whole, &g), 2);
	expect_key(g[0], TH_KEY_COROUTINE, "both");
	cr_expect_eq(g[0]->count, 2);
	cr_expect_eq(g[0]->last.line, 105);
	cr_expect(g[1] == moved, "the range's group itself");
	cr_expect_eq(g[1]->first.line, 107);
	cr_expect_eq(g[1]->last.line, 107);
	cr_expect(g[1]->first.input == g[0]->first.input,
		  "the whole's copy of the input's name");
	cr_expect(g[1]->last.input == g[0]->first.input);
	cr_assert_eq(g[1]->tasks.n, 1);
	cr_expect_str_eq(g[1]->tasks.items[0], "Task-9");
	cr_expect_eq(g[1]->timeline.width, 1);
	/* the moved group's lists still find their values (tags) */
	add(whole, (struct spec){.coroutine = "new",
				 .line = 200,
				 .task = "Task-9",
				 .exception = "KeyError"});
	cr_assert_eq(sorted(whole, &g), 2);
	expect_key(g[1], TH_KEY_COROUTINE, "new");
	cr_expect_eq(g[1]->count, 2);
	cr_expect_eq(g[1]->tasks.n, 1, "Task-9 once");
	cr_assert_eq(g[1]->n_exceptions, 1, "KeyError once");
	cr_expect_eq(g[1]->exceptions[0].count, 2);
	close_agg(range);
	close_agg(whole);
}

/* Event I of one group whose lists fill: 20 exception types (a full
 * list; more would make exceptions_other depend on order), 30 tasks and
 * places (capped), each coming back, and a culprit, message and
 * source. */
static struct spec full_lists_event(size_t i, char *exc, char *task,
				    char *where)
{
	sprintf(exc, "errors.E%zu", (i * 7) % TH_MAX_LIST);
	sprintf(task, "Task-%zu", (i * 11) % 30);
	sprintf(where, "app/handlers.py:%zu", (i * 13) % 30);
	return (struct spec){.coroutine = "c",
			     .exception = exc,
			     .task = task,
			     .defined_at = where,
			     .line = 1 + i,
			     .message = i % 2 ? "boom" : "gone",
			     .source = "web-1 app[7]",
			     .culprit = "a.py get",
			     .culprit_line = i};
}

/* A group written to a run and read back (its lists full, its pool taken
 * at once from the size the record notes) merges with the events after
 * it as the group never spilled: each value is found again by its tag,
 * not listed twice. */
Test(agg, a_group_read_back_with_full_lists_finds_its_values)
{
	struct fixture *whole = open_by(TH_KEY_COROUTINE);
	struct fixture *spilled = open_by(TH_KEY_COROUTINE);
	char *dir = spill_dir();
	agg_spill_to(spilled->agg, dir, 1 << 20);
	agg_set_label(whole->agg, "web-1");
	agg_set_label(spilled->agg, "web-1");
	for (size_t i = 0; i < 200; i++) {
		char exc[32], task[32], where[40];
		struct spec s = full_lists_event(i, exc, task, where);
		add(whole, s);
		add(spilled, s);
		if (i % 50 == 49)
			agg_spill_now(spilled->agg);
	}
	cr_expect_eq(agg_spilled(spilled->agg), 4);
	const struct th_group *const *g;
	cr_assert_eq(sorted(spilled, &g), 1);
	cr_expect_eq(g[0]->n_exceptions, TH_MAX_LIST);
	uint64_t listed = 0;
	for (size_t e = 0; e < g[0]->n_exceptions; e++)
		listed += g[0]->exceptions[e].count;
	cr_expect_eq(listed, 200);
	cr_expect_eq(g[0]->exceptions_other, 0);
	cr_expect_eq(g[0]->tasks.n, TH_MAX_LIST);
	cr_expect_eq(g[0]->defined_at.n, TH_MAX_LIST);
	expect_same_groups(whole, spilled);
	close_agg(whole);
	close_agg(spilled);
	rmdir(dir);
	free(dir);
}
