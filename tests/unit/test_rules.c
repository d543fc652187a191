/* test_rules.c - the rule loader, its errors, the default patterns against
 * real CPython output, literal derivation, extraction and ignore rules. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "event.h"
#include "rules.h"

#ifndef TH_TEST_PATTERNS_DIR
#error "TH_TEST_PATTERNS_DIR must name the patterns/ directory"
#endif

/* ---- helpers --------------------------------------------------------- */

static struct th_rules *load_yaml(const char *yaml)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	bool ok = rules_load_buffer(r, "t.yaml", yaml, strlen(yaml), &err) &&
		  rules_finish(r, &err);
	cr_assert(ok, "loading\n%s\nfailed: %zu:%zu: %s", yaml, err.line,
		  err.column, err.message);
	return r;
}

static struct th_rules *load_defaults(void)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	bool ok = rules_load_path(r, TH_TEST_PATTERNS_DIR, &err) &&
		  rules_finish(r, &err);
	cr_assert(ok, "loading %s failed: %s:%zu:%zu: %s", TH_TEST_PATTERNS_DIR,
		  err.file, err.line, err.column, err.message);
	return r;
}

/* Loads YAML (then finishes), which must fail; returns the error. */
static struct th_error load_error(const char *yaml)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	bool ok = rules_load_buffer(r, "t.yaml", yaml, strlen(yaml), &err) &&
		  rules_finish(r, &err);
	cr_assert(!ok, "expected an error loading\n%s", yaml);
	cr_assert(err.set, "no error recorded for\n%s", yaml);
	rules_free(r);
	return err;
}

#define assert_error(yaml, l, c, text)                                         \
	do {                                                                   \
		struct th_error e_ = load_error(yaml);                         \
		cr_assert(                                                     \
		    e_.line == (l) && e_.column == (c) &&                      \
			strstr(e_.message, (text)) != NULL,                    \
		    "loading\n%s\ngave %zu:%zu: %s\nwanted %d:%d: ...%s...",   \
		    (yaml), e_.line, e_.column, e_.message, (l), (c), (text)); \
	} while (0)

static long index_of(const struct th_rules *r, const char *id)
{
	for (size_t i = 0; i < rules_count(r); i++)
		if (strcmp(rules_id(r, i), id) == 0)
			return (long)i;
	return -1;
}

static long match(struct th_matcher *m, const char *line)
{
	return rules_match_start(m, (struct th_span){line, strlen(line)});
}

#define assert_starts(r, m, line, id)                                          \
	do {                                                                   \
		long got_ = match((m), (line));                                \
		cr_assert(got_ == index_of((r), (id)),                         \
			  "line\n  %s\nstarted rule %s, wanted %s", (line),    \
			  got_ < 0 ? "(none)" : rules_id((r), (size_t)got_),   \
			  (id));                                               \
	} while (0)

#define assert_no_start(r, m, line)                                            \
	do {                                                                   \
		long got_ = match((m), (line));                                \
		cr_assert(got_ < 0, "near miss\n  %s\nstarted rule %s",        \
			  (line),                                              \
			  got_ < 0 ? "" : rules_id((r), (size_t)got_));        \
	} while (0)

/* Fills EV with rule ID's event made of LINES (NULL-terminated). */
static void make_event(struct th_event *ev, const struct th_rules *r,
		       const char *id, const char *const *lines)
{
	event_init(ev);
	long rule = index_of(r, id);
	cr_assert(rule >= 0, "no rule %s", id);
	ev->rule = (size_t)rule;
	for (size_t i = 0; lines[i] != NULL; i++)
		event_add_line(ev,
			       (struct th_span){lines[i], strlen(lines[i])});
}

#define LINES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void assert_field(const struct th_event *ev, enum th_field f,
			 const char *want)
{
	if (want == NULL) {
		cr_assert(!event_has(ev, f), "%s should be unset, is '%.*s'",
			  catalog_field_name(f), (int)event_get(ev, f).n,
			  event_get(ev, f).p);
		return;
	}
	cr_assert(event_has(ev, f), "%s unset, wanted '%s'",
		  catalog_field_name(f), want);
	struct th_span v = event_get(ev, f);
	cr_assert(v.n == strlen(want) && memcmp(v.p, want, v.n) == 0,
		  "%s is '%.*s', wanted '%s'", catalog_field_name(f), (int)v.n,
		  v.p, want);
}

static struct th_facts facts(const char *exception, const char *function,
			     const char *created_at)
{
	struct th_facts f = {0};
	const char *v[TH_BUILTIN_COUNT] = {exception, function, created_at};
	for (size_t i = 0; i < TH_BUILTIN_COUNT; i++)
		if (v[i] != NULL)
			f.value[i] = (struct th_span){v[i], strlen(v[i])};
	return f;
}

static size_t derive(const char *pattern, char *buf, struct th_span *lits)
{
	return rules_literal_derive((struct th_span){pattern, strlen(pattern)},
				    buf, lits);
}

/* Derives PATTERN's literals and compares them with WANT (NULL-ended;
 * an empty list: no literal). */
static void assert_literals(const char *pattern, const char *const *want)
{
	char buf[256];
	struct th_span lits[257];
	size_t n = derive(pattern, buf, lits), k = 0;
	while (want[k] != NULL)
		k++;
	cr_assert(n == k, "pattern %s: %zu literals, wanted %zu", pattern, n,
		  k);
	for (size_t i = 0; i < n; i++)
		cr_assert(lits[i].n == strlen(want[i]) &&
			      memcmp(lits[i].p, want[i], lits[i].n) == 0,
			  "pattern %s: literal %zu is '%.*s', wanted '%s'",
			  pattern, i, (int)lits[i].n, lits[i].p, want[i]);
}

#define NONE ((const char *const[]){NULL})

/* ---- the default patterns ------------------------------------------ */

Test(rules, default_patterns_load_in_priority_order)
{
	struct th_rules *r = load_defaults();
	static const char *const ids[] = {
	    "aiohttp.unclosed-client-session",
	    "aiohttp.unclosed-connector",
	    "asyncio.exception-never-retrieved",
	    "asyncio.task-destroyed-pending",
	    "asyncio.coroutine-never-awaited",
	    "asyncio.exception-in-callback",
	    "asyncio.fatal-transport-error",
	    "asyncio.slow-callback",
	    "python.unraisable",
	    "python.exception-group",
	    "python.traceback",
	};
	cr_assert_eq(rules_count(r), 11, "%zu default rules", rules_count(r));
	for (size_t i = 0; i < 11; i++)
		cr_assert_str_eq(rules_id(r, i), ids[i]);
	cr_assert_eq(rules_ignore_count(r), 0);
	rules_free(r);
}

Test(rules, default_rules_have_their_severity_body_and_split)
{
	struct th_rules *r = load_defaults();
	static const struct {
		const char *id;
		enum th_severity sev;
		enum th_body body;
		bool split;
	} want[] = {
	    {"asyncio.exception-never-retrieved", TH_SEV_ERROR, TH_BODY_ASYNCIO,
	     false},
	    {"aiohttp.unclosed-client-session", TH_SEV_WARNING, TH_BODY_CONTEXT,
	     false},
	    {"aiohttp.unclosed-connector", TH_SEV_WARNING, TH_BODY_CONTEXT,
	     false},
	    {"asyncio.task-destroyed-pending", TH_SEV_WARNING, TH_BODY_CONTEXT,
	     false},
	    {"asyncio.fatal-transport-error", TH_SEV_ERROR, TH_BODY_ASYNCIO,
	     false},
	    {"asyncio.slow-callback", TH_SEV_INFO, TH_BODY_LINE, false},
	    {"python.unraisable", TH_SEV_ERROR, TH_BODY_TRACEBACK, false},
	    {"asyncio.coroutine-never-awaited", TH_SEV_WARNING, TH_BODY_WARNING,
	     false},
	    {"asyncio.exception-in-callback", TH_SEV_ERROR, TH_BODY_ASYNCIO,
	     false},
	    {"python.exception-group", TH_SEV_ERROR, TH_BODY_TRACEBACK, true},
	    {"python.traceback", TH_SEV_ERROR, TH_BODY_TRACEBACK, false},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		size_t k = (size_t)index_of(r, want[i].id);
		cr_assert_eq(rules_severity(r, k), want[i].sev, "%s",
			     want[i].id);
		cr_assert_eq(rules_body(r, k), want[i].body, "%s", want[i].id);
		cr_assert_eq(rules_split_leaves(r, k), want[i].split, "%s",
			     want[i].id);
	}
	rules_free(r);
}

Test(rules, never_retrieved_starts_after_any_prefix)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	static const char *const lines[] = {
	    "Task exception was never retrieved",
	    "ERROR:asyncio:Task exception was never retrieved",
	    "2026-11-26 11:04:46,470 ERROR [asyncio] Task exception was "
	    "never retrieved",
	    "[2026-11-26 11:04:50,641] ERROR in asyncio: Task exception "
	    "was never retrieved",
	    "11:04:47.884 ERROR asyncio Task exception was never retrieved",
	    "ERROR:asyncio:Future exception was never retrieved",
	    "ERROR:asyncio:_GatheringFuture exception was never retrieved",
	    "2024-05-01 10:00:01.123 ERROR (MainThread) [homeassistant] "
	    "Error doing job: Task exception was never retrieved",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		assert_starts(r, m, lines[i],
			      "asyncio.exception-never-retrieved");
	matcher_free(m);
	rules_free(r);
}

Test(rules, each_default_rule_starts_at_real_cpython_lines)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	/* From sample logs of CPython 3.6, 3.8, 3.11 and 3.13. */
	assert_starts(r, m, "Task was destroyed but it is pending!",
		      "asyncio.task-destroyed-pending");
	assert_starts(r, m,
		      "2026-11-26 11:04:47,143 ERROR asyncio: Task was "
		      "destroyed but it is pending!",
		      "asyncio.task-destroyed-pending");
	assert_starts(r, m,
		      "never_awaited.py:65: RuntimeWarning: coroutine "
		      "'send_email' was never awaited",
		      "asyncio.coroutine-never-awaited");
	assert_starts(r, m,
		      "2026-11-26 11:04:46,945 WARNING  py.warnings: "
		      "never_awaited.py:99: RuntimeWarning: coroutine "
		      "'audit_log' was never awaited",
		      "asyncio.coroutine-never-awaited");
	assert_starts(r, m,
		      "sys:1: RuntimeWarning: coroutine 'Worker.run' was never "
		      "awaited",
		      "asyncio.coroutine-never-awaited");
	assert_starts(r, m,
		      "2026-11-26 11:04:47,091 [ERROR] asyncio - Exception in "
		      "callback on_tick(0) at callback_error.py:43",
		      "asyncio.exception-in-callback");
	assert_starts(r, m, "Exception in callback Cache.evict()()",
		      "asyncio.exception-in-callback");
	assert_starts(r, m,
		      "  + Exception Group Traceback (most recent call last):",
		      "python.exception-group");
	assert_starts(r, m,
		      "Exception Group Traceback (most recent call last):",
		      "python.exception-group");
	assert_starts(r, m,
		      "Traceback (most recent call last):", "python.traceback");
	assert_starts(r, m, "    | Traceback (most recent call last):",
		      "python.traceback");
	assert_starts(r, m,
		      "2026-11-26 11:05:23,113 ERROR rates: Traceback (most "
		      "recent call last):",
		      "python.traceback");
	matcher_free(m);
	rules_free(r);
}

Test(rules, default_rules_do_not_start_at_near_misses)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	static const char *const lines[] = {
	    "Task exception was retrieved",
	    "task exception was never retrieved",
	    "MyFuture's exception was never",
	    "Task was destroyed but it is pending",
	    "Task was destroyed but it is done!",
	    "coroutine was never awaited",
	    "coroutine '' was never awaited",
	    "coroutine 'x' was awaited",
	    "Exception in callbacks",
	    "exception in callback foo()",
	    "Traceback (most recent call first):",
	    ("Traceback for <Task finished name='Task-1' coro=<main() done, "
	     "defined at x.py:1> exception=ValueError()> (most recent call "
	     "last):"),
	    "Traceback (most recent call last)",
	    "",
	    ("future: <Task finished name='Task-2' coro=<flaky() done, "
	     "defined at x.py:5> exception=ValueError('boom')>"),
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		assert_no_start(r, m, lines[i]);
	matcher_free(m);
	rules_free(r);
}

Test(rules, never_retrieved_fields_come_from_the_future_line_of_each_version)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	static const struct {
		const char *future, *coroutine, *task, *defined_at;
	} cases[] = {
	    /* 3.6 and 3.7: no name= */
	    {"future: <Task finished coro=<flaky() done, defined at "
	     "never_retrieved.py:33> exception=ValueError('bad payload',)>",
	     "flaky", NULL, "never_retrieved.py:33"},
	    {"future: <Task finished name='Task-2' coro=<flaky() done, "
	     "defined at /tmp/app/never_retrieved.py:33> "
	     "exception=ValueError('bad payload in attempt 1')>",
	     "flaky", "Task-2", "/tmp/app/never_retrieved.py:33"},
	    {"future: <Task finished name='fetch:/orders/17' "
	     "coro=<Client.fetch() done, defined at app.py:44> "
	     "exception=UpstreamError('GET -> HTTP 502')>",
	     "Client.fetch", "fetch:/orders/17", "app.py:44"},
	    {"future: <Task finished name='None' coro=<patch_asyncio."
	     "<locals>._sentry_task_factory.<locals>._coro_creating_hub_"
	     "and_span() done, defined at /tmp/app/sentry_stub.py:75> "
	     "exception=ValueError('order A-1001 has no items')>",
	     "patch_asyncio.<locals>._sentry_task_factory.<locals>._coro_"
	     "creating_hub_and_span",
	     "None", "/tmp/app/sentry_stub.py:75"},
	    {"future: <Task finished name=\"it's\" coro=<main.<locals>."
	     "inner() done, defined at <stdin>:3> exception=KeyError('k')>",
	     "main.<locals>.inner", "it's", "<stdin>:3"},
	    {"future: <Task cancelling name='Task-7' coro=<slow() running "
	     "at x.py:9> exception=ValueError()>",
	     "slow", "Task-7", NULL},
	    {"future: <Future finished exception=ConnectionResetError('peer "
	     "reset',)>",
	     NULL, NULL, NULL},
	    {"future: <_GatheringFuture finished exception=ValueError(\"item "
	     "0: missing field 'sku'\")>",
	     NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		make_event(&ev, r, "asyncio.exception-never-retrieved",
			   LINES("ERROR:asyncio:Task exception was never "
				 "retrieved",
				 cases[i].future));
		rules_extract(m, &ev, NULL);
		cr_log_info("case %zu: %s", i, cases[i].future);
		assert_field(&ev, TH_F_COROUTINE, cases[i].coroutine);
		assert_field(&ev, TH_F_TASK, cases[i].task);
		assert_field(&ev, TH_F_DEFINED_AT, cases[i].defined_at);
		event_fini(&ev);
	}
	matcher_free(m);
	rules_free(r);
}

Test(rules, never_retrieved_exception_prefers_the_traceback_then_the_repr)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	const char *const *lines =
	    LINES("Task exception was never retrieved",
		  "future: <Task finished name='Task-2' coro=<fetch() done, "
		  "defined at app.py:4> exception=ClientConnectorError('x')>",
		  "Traceback (most recent call last):",
		  "  File \"app.py\", line 5, in fetch",
		  "aiohttp.client_exceptions.ClientConnectorError: x");
	struct th_facts f = facts("aiohttp.client_exceptions."
				  "ClientConnectorError",
				  "fetch", "app.py:20");
	make_event(&ev, r, "asyncio.exception-never-retrieved", lines);
	rules_extract(m, &ev, &f);
	assert_field(&ev, TH_F_EXCEPTION,
		     "aiohttp.client_exceptions.ClientConnectorError");
	assert_field(&ev, TH_F_COROUTINE, "fetch");
	assert_field(&ev, TH_F_CREATED_AT, "app.py:20");
	event_fini(&ev);

	make_event(&ev, r, "asyncio.exception-never-retrieved", lines);
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_EXCEPTION, "ClientConnectorError");
	assert_field(&ev, TH_F_CREATED_AT, NULL);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, destroyed_pending_takes_defined_at_only_when_printed)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	make_event(&ev, r, "asyncio.task-destroyed-pending",
		   LINES("Task was destroyed but it is pending!",
			 "task: <Task pending name='Task-9' "
			 "coro=<flush_metrics() running at "
			 "destroyed_pending.py:44> wait_for=<Task pending "
			 "name='Task-3' coro=<inner() done, defined at "
			 "x.py:1>>>"));
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_COROUTINE, "flush_metrics");
	assert_field(&ev, TH_F_TASK, "Task-9");
	assert_field(&ev, TH_F_DEFINED_AT, NULL);
	assert_field(&ev, TH_F_EXCEPTION, NULL);
	event_fini(&ev);

	make_event(&ev, r, "asyncio.task-destroyed-pending",
		   LINES("Task was destroyed but it is pending!",
			 "task: <Task pending coro=<wait_for_ack() done, "
			 "defined at destroyed_pending.py:47> "
			 "wait_for=<Future pending cb=[<TaskWakeupMethWrapper "
			 "object at 0x7fd11ee69050>()]>>"));
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_COROUTINE, "wait_for_ack");
	assert_field(&ev, TH_F_TASK, NULL);
	assert_field(&ev, TH_F_DEFINED_AT, "destroyed_pending.py:47");
	event_fini(&ev);

	/* A handler that prints the task on the first line. */
	make_event(&ev, r, "asyncio.task-destroyed-pending",
		   LINES("Error doing job: Task was destroyed but it is "
			 "pending! (<Task pending name='Task-1' "
			 "coro=<Hub.poll() running at hub.py:9>>)"));
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_COROUTINE, "Hub.poll");
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, never_awaited_names_the_coroutine_in_quotes)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	make_event(&ev, r, "asyncio.coroutine-never-awaited",
		   LINES("/tmp/app/never_awaited.py:67: RuntimeWarning: "
			 "coroutine 'Worker.run' was never awaited",
			 "  Worker().run()"));
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_COROUTINE, "Worker.run");
	assert_field(&ev, TH_F_EXCEPTION, NULL);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, callback_uses_the_innermost_frame_else_the_callback_name)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	const char *const *lines =
	    LINES("Exception in callback Cache.evict('k1')()",
		  "handle: <Handle Cache.evict('k1')()>");
	struct th_facts f = facts("KeyError", "evict", NULL);
	make_event(&ev, r, "asyncio.exception-in-callback", lines);
	rules_extract(m, &ev, &f);
	assert_field(&ev, TH_F_COROUTINE, "evict");
	assert_field(&ev, TH_F_EXCEPTION, "KeyError");
	event_fini(&ev);

	make_event(&ev, r, "asyncio.exception-in-callback", lines);
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_COROUTINE, "Cache.evict");
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, tracebacks_take_the_builtin_facts)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	struct th_facts f = facts("errors.ConfigError", "<module>", NULL);
	make_event(&ev, r, "python.traceback",
		   LINES("Traceback (most recent call last):",
			 "  File \"x.py\", line 1, in <module>",
			 "errors.ConfigError: no"));
	rules_extract(m, &ev, &f);
	assert_field(&ev, TH_F_COROUTINE, "<module>");
	assert_field(&ev, TH_F_EXCEPTION, "errors.ConfigError");
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, default_literals_cover_every_rule_without_redundancy)
{
	struct th_rules *r = load_defaults();
	const struct th_span *lits;
	size_t n;
	cr_assert(rules_literals(r, &lits, &n), "defaults have no literals");
	static const char *const want[] = {
	    "Unclosed client session",
	    "Unclosed connector",
	    " exception was never retrieved",
	    "Task was destroyed but it is pending!",
	    "' was never awaited",
	    "Exception in callback ",
	    "Fatal ",
	    "Executing <",
	    "Exception ignored ",
	    "Unhandled exception in thread started by ",
	    "Traceback (most recent call last):",
	};
	cr_assert_eq(n, 11, "%zu literals", n);
	for (size_t i = 0; i < n; i++)
		cr_assert(lits[i].n == strlen(want[i]) &&
			      memcmp(lits[i].p, want[i], lits[i].n) == 0,
			  "literal %zu is '%.*s', wanted '%s'", i,
			  (int)lits[i].n, lits[i].p, want[i]);
	rules_free(r);
}

Test(rules, wrappers_match_exactly_or_as_the_last_part_of_a_qualname)
{
	struct th_rules *r = load_defaults();
	static const struct {
		const char *name;
		bool wrapper;
	} cases[] = {
	    {"_coro_creating_hub_and_span", true},
	    {"patch_asyncio.<locals>._sentry_task_factory.<locals>._coro_"
	     "creating_hub_and_span",
	     true},
	    {"x_coro_creating_hub_and_span", false},
	    {"_coro_creating_hub_and_span.inner", false},
	    {"_coro_creating_hub_and", false},
	    {"", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_assert_eq(rules_is_wrapper(
				 r, (struct th_span){cases[i].name,
						     strlen(cases[i].name)}),
			     cases[i].wrapper, "wrapper '%s'", cases[i].name);
	rules_free(r);
}

/* ---- literal derivation ------------------------------------------- */

Test(rules, literal_is_the_longest_plain_run_after_a_group)
{
	assert_literals(
	    "(?:Task|Future|_GatheringFuture) exception was never "
	    "retrieved",
	    (const char *const[]){" exception was never retrieved", NULL});
	assert_literals("coroutine '(?<coroutine>[^']+)' was never awaited",
			(const char *const[]){"' was never awaited", NULL});
	assert_literals("^Task was destroyed but it is pending!$",
			(const char *const[]){
			    "Task was destroyed but it is pending!", NULL});
	assert_literals("[)|(]abcd", (const char *const[]){"abcd", NULL});
	assert_literals("\\d+ items", (const char *const[]){" items", NULL});
	assert_literals("\\p{L}abc", (const char *const[]){"abc", NULL});
	assert_literals("abc(?=x)defg", (const char *const[]){"defg", NULL});
	assert_literals("[[:alpha:]]]abc", (const char *const[]){"]abc", NULL});
}

Test(rules, literal_takes_escaped_punctuation_as_literal)
{
	assert_literals(
	    "Traceback \\(most recent call last\\):",
	    (const char *const[]){"Traceback (most recent call last):", NULL});
	assert_literals("a\\.b\\.c", (const char *const[]){"a.b.c", NULL});
	assert_literals("x\\ y\\-z", (const char *const[]){"x y-z", NULL});
}

Test(rules, literal_drops_a_character_followed_by_a_quantifier)
{
	assert_literals("colou?r", (const char *const[]){"colo", NULL});
	assert_literals("abc?def", (const char *const[]){"def", NULL});
	assert_literals("abcd*e", (const char *const[]){"abc", NULL});
	assert_literals("abcd+e", (const char *const[]){"abc", NULL});
	assert_literals("abcd{2}efg", (const char *const[]){"abc", NULL});
	assert_literals("abcd{2,}?efgh", (const char *const[]){"efgh", NULL});
	assert_literals("abc\\.?x", (const char *const[]){"abc", NULL});
	assert_literals("x{2}yz", NONE);
	/* "{foo}" is no quantifier: PCRE2 matches it literally. */
	assert_literals("ab{foo}", (const char *const[]){"foo}", NULL});
}

Test(rules, literal_has_one_entry_per_top_level_alternative)
{
	assert_literals("foo|barbaz",
			(const char *const[]){"foo", "barbaz", NULL});
	assert_literals("(a|b)cde|fghij",
			(const char *const[]){"cde", "fghij", NULL});
	assert_literals("ab|cdef", NONE);
	assert_literals("abc|", NONE);
	assert_literals("", NONE);
}

Test(rules, literal_skips_escapes_that_are_not_one_literal_character)
{
	assert_literals("\\x41 literal",
			(const char *const[]){" literal", NULL});
	assert_literals("\\x{41}bcd", (const char *const[]){"bcd", NULL});
	assert_literals("\\101xyz", (const char *const[]){"xyz", NULL});
	assert_literals("\\101 xyz", (const char *const[]){" xyz", NULL});
	assert_literals("\\Qa.b|c\\Edefg", (const char *const[]){"defg", NULL});
	assert_literals("(?<n>x)\\k<n>abc", (const char *const[]){"abc", NULL});
	assert_literals("\\bword\\b", (const char *const[]){"word", NULL});
	/* A comment is transparent, up to its first ")" whatever precedes. */
	assert_literals("abc(?#a comment (\\)def",
			(const char *const[]){"abcdef", NULL});
	assert_literals("abc(?#x)*def", (const char *const[]){"def", NULL});
	assert_literals("abcd\\E+ef", (const char *const[]){"abc", NULL});
	assert_literals("abcd\\Q\\E?ef", (const char *const[]){"abc", NULL});
}

Test(rules, literal_gives_up_on_caseless_extended_and_verbs)
{
	assert_literals("(?i)traceback", NONE);
	assert_literals("abc(?i)def", NONE);
	assert_literals("(?x) abc def", NONE);
	assert_literals("(?x: a b )cdef", NONE);
	assert_literals("(*UTF)abcdef", NONE);
	assert_literals("abc(*ACCEPT)def", NONE);
	assert_literals("(abc(*ACCEPT))def", NONE);
	assert_literals("unbalanced)abc", NONE);
	assert_literals("trailing\\", NONE);
	/* A scoped flag only touches its group, which is skipped. */
	assert_literals("(?i:foo)barbaz",
			(const char *const[]){"barbaz", NULL});
	assert_literals("(?s)abc.def", (const char *const[]){"abc", NULL});
}

#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Compares PATTERN's exact literals (rules_literal_exact) with WANT
 * (NULL-ended; empty: the pattern is not a union of literals). */
static void assert_exact(const char *pattern, const char *const *want)
{
	char buf[512];
	struct th_span lits[8];
	size_t n =
	    rules_literal_exact((struct th_span){pattern, strlen(pattern)}, buf,
				sizeof buf, lits, 8);
	size_t k = 0;
	while (want[k] != NULL)
		k++;
	cr_assert(n == k, "pattern %s: %zu exact literals, wanted %zu", pattern,
		  n, k);
	for (size_t i = 0; i < n; i++)
		cr_assert(
		    lits[i].n == strlen(want[i]) &&
			memcmp(lits[i].p, want[i], lits[i].n) == 0,
		    "pattern %s: exact literal %zu is '%.*s', wanted '%s'",
		    pattern, i, (int)lits[i].n, lits[i].p, want[i]);
}

Test(rules, a_union_of_literals_is_spelled_out)
{
	assert_exact("Task was destroyed", W("Task was destroyed"));
	assert_exact("Traceback \\(most recent call last\\):",
		     W("Traceback (most recent call last):"));
	assert_exact("(?:Task|Future) exception",
		     W("Task exception", "Future exception"));
	assert_exact("a(?:b|c)d(?:e|)|f\\.",
		     W("abde", "abd", "acde", "acd", "f."));
}

/* Checks that PATTERN is a literal run (rules_literal_run) of BEFORE,
 * STOP and AFTER, or, with BEFORE NULL, that it is none. */
static void assert_run(const char *pattern, const char *before, char stop,
		       const char *after)
{
	char buf[256];
	struct th_literal_run run;
	bool is = rules_literal_run((struct th_span){pattern, strlen(pattern)},
				    buf, sizeof buf, &run);
	if (before == NULL) {
		cr_assert(!is, "pattern %s taken for a literal run", pattern);
		return;
	}
	cr_assert(is, "pattern %s is no literal run", pattern);
	cr_assert(run.before.n == strlen(before) &&
		      memcmp(run.before.p, before, run.before.n) == 0 &&
		      run.after.n == strlen(after) &&
		      memcmp(run.after.p, after, run.after.n) == 0 &&
		      run.stop == stop,
		  "pattern %s: run '%.*s' [^%c]+ '%.*s', wanted '%s' [^%c]+ "
		  "'%s'",
		  pattern, (int)run.before.n, run.before.p, run.stop,
		  (int)run.after.n, run.after.p, before, stop, after);
}

Test(rules, a_literal_a_run_and_a_literal_are_told_apart)
{
	assert_run("coroutine '(?<coroutine>[^']+)' was never awaited",
		   "coroutine '", '\'', "' was never awaited");
	assert_run("a\\.b\\((?<x_1>[^\\)]+)\\) done", "a.b(", ')', ") done");
	assert_run("at (?<defined_at>[^ ]+) now", "at ", ' ', " now");
	/* not the shape: the run could end elsewhere, or more follows */
	assert_run("a (?<x>[^']+)b", NULL, 0, NULL);
	assert_run("a (?<x>[^']+)'b?", NULL, 0, NULL);
	assert_run("a (?<x>[^']+)'b|c", NULL, 0, NULL);
	assert_run("a (?<x>[^']*)'b", NULL, 0, NULL);
	assert_run("a (?<x>[^'\"]+)'b", NULL, 0, NULL);
	assert_run("a (?<x>[^']+)?'b", NULL, 0, NULL);
	assert_run("a (?<x>[^\\d]+)db", NULL, 0, NULL);
	assert_run("a (?<=x>[^']+)'b", NULL, 0, NULL);
	assert_run("a (?<1x>[^']+)'b", NULL, 0, NULL);
	assert_run("a (?<x>[^^]+)^b", NULL, 0, NULL);
	assert_run("(?<x>[^']+)'b", NULL, 0, NULL);
	assert_run("a (?<x>[^']+)", NULL, 0, NULL);
	assert_run("(?i)a (?<x>[^']+)'b", NULL, 0, NULL);
	assert_run("a? (?<x>[^']+)'b", NULL, 0, NULL);
}

Test(rules, a_pattern_that_is_more_than_literals_has_no_exact_set)
{
	static const char *const none[] = {NULL};
	const char *patterns[] = {
	    "ab?c",
	    "a*",
	    "a(?:b|c)?d",
	    "a(?:b|c)+",
	    "a.c",
	    "^abc",
	    "abc$",
	    "a[bc]d",
	    "a\\dc",
	    "a\\bc",
	    "(abc)",
	    "(?<x>abc)",
	    "(?i)abc",
	    "(?i:abc)",
	    "a{2}",
	    "ab|",
	    "|ab",
	    "(?:|)",
	    "a(?:b(?:c))",
	    "(*UTF)abc",
	    "a\\",
	    "(?:ab",
	    "ab)",
	    "a#b",
	    "",
	    "(?:a|b|c|d)(?:e|f|g)",
	};
	for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
		assert_exact(patterns[i], none);
}

Test(rules, literal_key_replaces_derivation_and_a_rule_without_one_disables_it)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: a\n"
				       "    start: 'x+y'\n"
				       "    literal: [xy, Q]\n");
	const struct th_span *lits;
	size_t n;
	cr_assert(rules_literals(r, &lits, &n));
	cr_assert(n == 2 && lits[0].n == 2 && memcmp(lits[0].p, "xy", 2) == 0 &&
		  lits[1].n == 1 && lits[1].p[0] == 'Q');
	rules_free(r);

	r = load_yaml("rules:\n"
		      "  - {id: a, start: 'Traceback'}\n"
		      "  - {id: b, start: '\\d+'}\n");
	cr_assert(!rules_literals(r, &lits, &n),
		  "rule b has no literal, yet the fast path was offered");
	rules_free(r);
}

Test(rules, a_literal_contained_in_another_makes_it_redundant)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - {id: a, start: 'xx abcdef'}\n"
				       "  - {id: b, start: 'bcd'}\n"
				       "  - {id: c, start: 'bcd|bcd'}\n");
	const struct th_span *lits;
	size_t n;
	cr_assert(rules_literals(r, &lits, &n));
	cr_assert(n == 1 && lits[0].n == 3 && memcmp(lits[0].p, "bcd", 3) == 0,
		  "%zu literals, first '%.*s'", n, (int)lits[0].n, lits[0].p);
	rules_free(r);
}

/* ---- errors ---------------------------------------------------------- */

Test(rules, yaml_syntax_error_points_at_libyamls_mark)
{
	assert_error("rules:\n- id: a\n  start: x\n   bad: 1\n", 4, 7,
		     "YAML syntax error: mapping values are not allowed");
	assert_error("rules: [a, b\n", 2, 1,
		     "YAML syntax error: did not find expected ',' or ']'");
}

Test(rules, invalid_utf8_is_a_read_error_at_its_line)
{
	assert_error("rules:\n  - id: \xff\n", 2, 9, "cannot read YAML");
}

Test(rules, top_level_must_be_a_mapping)
{
	assert_error("- id: a\n", 1, 1, "a rule file must be a mapping");
	assert_error("just text\n", 1, 1, "a rule file must be a mapping");
}

Test(rules, unknown_key_suggests_the_closest_known_one)
{
	assert_error("rules:\n  - id: a\n    start: x\n    serverity: info\n",
		     4, 5,
		     "unknown key 'serverity' in rule (did you mean "
		     "'severity'?)");
	assert_error("rules:\n  - id: a\n    start: x\n    sevreity: info\n", 4,
		     5, "(did you mean 'severity'?)");
	assert_error("rule:\n  - id: a\n", 1, 1,
		     "unknown key 'rule' in rule file (did you mean 'rules'?)");
	/* Nothing close: no suggestion. */
	struct th_error e = load_error("templates: []\n");
	cr_assert(strstr(e.message, "unknown key 'templates' in rule file") &&
		      strstr(e.message, "did you mean") == NULL,
		  "%s", e.message);
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - {regex: '(?<task>x)', line: start}\n",
		     5, 31,
		     "unknown key 'line' in extract item (did you mean "
		     "'lines'?)");
}

Test(rules, a_key_given_twice_is_an_error)
{
	assert_error("rules:\n  - id: a\n    start: x\n    start: y\n", 4, 5,
		     "duplicate key 'start'");
}

Test(rules, wrong_values_name_the_choices)
{
	assert_error("rules:\n  - {id: a, start: x, severity: fatal}\n", 2, 33,
		     "severity must be one of error, warning, info");
	assert_error("rules:\n  - {id: a, start: x, severity: warnign}\n", 2,
		     33, "(did you mean 'warning'?)");
	assert_error("rules:\n  - {id: a, start: x, body: tb}\n", 2, 29,
		     "body must be one of line, warning, asyncio, context, "
		     "traceback");
	assert_error("rules:\n  - {id: a, start: x, enabled: yes}\n", 2, 32,
		     "enabled must be one of true, false");
	assert_error("rules:\n  - {id: a, start: [x]}\n", 2, 20,
		     "start must be a string");
	assert_error("rules:\n  - {id: a, start: ''}\n", 2, 20,
		     "start must not be empty");
	assert_error("rules:\n  - {id: 'a b', start: x}\n", 2, 10,
		     "rule id 'a b' may only use letters, digits");
	assert_error("rules: {id: a}\n", 1, 8, "rules must be a list");
	assert_error("rules:\n  - just-a-string\n", 2, 5,
		     "each rule must be a mapping");
	assert_error("wrappers: [x, '']\n", 1, 15, "must not be empty");
}

Test(rules, bad_regex_points_into_the_pattern)
{
	/* PCRE2 reports a missing ")" at the pattern's end. */
	assert_error("rules:\n  - id: a\n    start: abc(def\n", 3, 19,
		     "bad regex in start: missing closing parenthesis");
	assert_error("rules:\n  - id: a\n    start: 'it''s (x'\n", 3, 21,
		     "missing closing parenthesis");
	assert_error("rules:\n  - id: a\n    start: \"\\\\d \\\\((x\"\n", 3, 22,
		     "missing closing parenthesis");
	assert_error("rules:\n  - id: a\n    start: 'ab[z-a]c'\n", 3, 18,
		     "range out of order");
	assert_error("rules:\n  - id: a\n    start: '(*UTF)x'\n", 3, 19,
		     "UTF is disabled");
	assert_error("ignore:\n  - {id: i, text: 'a)'}\n", 2, 21,
		     "bad regex in text");
}

Test(rules, named_group_must_be_a_field)
{
	assert_error(
	    "rules:\n  - id: a\n    start: 'x (?<coro>\\w+)'\n", 3, 18,
	    "named group 'coro' is not a field; use one of "
	    "coroutine, exception, message, task, defined_at, created_at");
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - regex: '(?<exception>e) (?P<taks>t)'\n",
		     5, 37, "(did you mean 'task'?)");
}

Test(rules, duplicate_rule_id_names_the_first_definition)
{
	assert_error("rules:\n  - {id: a, start: x}\n  - {id: a, start: y}\n",
		     3, 10,
		     "duplicate rule id 'a' (first defined at "
		     "t.yaml:2:10); add `override: true` to replace it");

	struct th_rules *r = rules_new();
	struct th_error err = {0};
	const char *one = "rules:\n  - id: a\n    start: x\n";
	const char *two = "rules:\n- {id: a, start: y}\n";
	cr_assert(rules_load_buffer(r, "one.yaml", one, strlen(one), &err));
	cr_assert(!rules_load_buffer(r, "two.yaml", two, strlen(two), &err));
	cr_assert_str_eq(err.file, "two.yaml");
	cr_assert(err.line == 2 && err.column == 8, "%zu:%zu", err.line,
		  err.column);
	cr_assert(strstr(err.message, "first defined at one.yaml:2:9"), "%s",
		  err.message);
	rules_free(r);
}

Test(rules, required_keys_are_checked)
{
	assert_error("rules:\n  - {start: x}\n", 2, 5, "a rule needs an id");
	assert_error("rules:\n  - {id: a, severity: info}\n", 2, 10,
		     "rule 'a' has no start pattern");
	assert_error("rules:\n  - {id: a, override: true, severity: info}\n", 2,
		     10, "no rule 'a' to override");
	assert_error("rules:\n  - {id: a, start: x, split: leaves}\n", 2, 30,
		     "split: leaves needs body: traceback");
	assert_error("rules:\n  - {id: a, start: x, split: all, body: "
		     "traceback}\n",
		     2, 30, "split must be leaves");
}

Test(rules, extract_items_are_checked)
{
	assert_error(
	    "rules:\n  - id: a\n    start: x\n    extract:\n"
	    "      - {regex: '(?<task>x)', builtin: traceback.function}\n",
	    5, 40, "regex: or builtin:, not both");
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - {lines: all}\n",
		     5, 9, "needs regex: or builtin:");
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - {builtin: traceback.function, lines: all}\n",
		     5, 46, "lines: goes with regex:");
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - {regex: 'x', field: task}\n",
		     5, 29, "field: goes with builtin:");
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - {regex: 'x(y)'}\n",
		     5, 17, "this extract regex sets no field");
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - {builtin: traceback.functoin}\n",
		     5, 19, "(did you mean 'traceback.function'?)");
	assert_error("rules:\n  - id: a\n    start: x\n    extract:\n"
		     "      - {builtin: traceback.function, field: coro}\n",
		     5, 46, "field must be one of coroutine, exception");
}

Test(rules, only_one_yaml_document_per_file)
{
	assert_error("rules: []\n---\nrules: []\n", 3, 1,
		     "only one YAML document per rule file");
}

Test(rules, aliases_are_refused)
{
	assert_error("rules:\n  - &r {id: a, start: x}\n  - *r\n", 2, 5,
		     "YAML aliases (*name) are not supported");
}

Test(rules, ignore_rules_are_checked)
{
	assert_error("ignore:\n  - {id: i, rule: python.traceback}\n", 2, 10,
		     "ignore rule 'i' has no condition");
	assert_error("ignore:\n  - {exception: x}\n", 2, 5,
		     "an ignore rule needs an id");
	assert_error("ignore:\n  - {id: i, text: x}\n  - {id: i, text: y}\n", 3,
		     10,
		     "duplicate ignore id 'i' (first defined at "
		     "t.yaml:2:10)");
	assert_error("ignore:\n  - {id: i, override: true, enabled: false}\n",
		     2, 10, "no ignore rule 'i' to override");
	assert_error("rules:\n  - {id: python.traceback, start: x}\n"
		     "ignore:\n  - id: i\n    rule: [python.traceback, "
		     "python.tracebak]\n    text: x\n",
		     5, 30,
		     "ignore rule 'i' names no rule 'python.tracebak' "
		     "(did you mean 'python.traceback'?)");
}

Test(rules, finishing_without_an_enabled_rule_fails)
{
	assert_error("", 0, 0, "no enabled rules");
	assert_error("{}\n", 0, 0, "no enabled rules");
	assert_error("rules:\n  - {id: a, start: x, enabled: false}\n", 0, 0,
		     "no enabled rules");
}

Test(rules, missing_file_names_the_file_and_the_reason)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert(!rules_load_path(r, "/nonexistent/rules.yaml", &err));
	cr_assert_str_eq(err.file, "/nonexistent/rules.yaml");
	cr_assert(strstr(err.message, "No such file or directory"), "%s",
		  err.message);
	rules_free(r);
}

/* ---- overrides ------------------------------------------------------ */

Test(rules, override_changes_only_the_keys_it_gives)
{
	struct th_rules *r = load_yaml(
	    "rules:\n"
	    "  - {id: a, start: 'alpha', body: traceback, split: leaves}\n"
	    "  - {id: b, start: 'beta'}\n"
	    "  - {id: a, override: true, severity: warning}\n");
	cr_assert_eq(rules_count(r), 2);
	cr_assert_str_eq(rules_id(r, 0), "a",
			 "priority stays with the first "
			 "definition");
	cr_assert_eq(rules_severity(r, 0), TH_SEV_WARNING);
	cr_assert_eq(rules_body(r, 0), TH_BODY_TRACEBACK);
	cr_assert(rules_split_leaves(r, 0));
	struct th_matcher *m = matcher_new(r);
	cr_assert_eq(match(m, "xx alpha"), 0);
	matcher_free(m);
	rules_free(r);
}

Test(rules, override_disables_a_default_rule_from_a_later_file)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	const char *user = "rules:\n"
			   "  - id: asyncio.coroutine-never-awaited\n"
			   "    override: true\n"
			   "    enabled: false\n"
			   "  - id: python.traceback\n"
			   "    override: true\n"
			   "    severity: info\n";
	cr_assert(rules_load_path(r, TH_TEST_PATTERNS_DIR, &err), "%s",
		  err.message);
	cr_assert(rules_load_buffer(r, "user.yaml", user, strlen(user), &err),
		  "%s", err.message);
	cr_assert(rules_finish(r, &err), "%s", err.message);
	cr_assert_eq(rules_count(r), 10);
	cr_assert_eq(index_of(r, "asyncio.coroutine-never-awaited"), -1);
	cr_assert_eq(rules_severity(r, (size_t)index_of(r, "python.traceback")),
		     TH_SEV_INFO);
	struct th_matcher *m = matcher_new(r);
	cr_assert_eq(match(m, "coroutine 'x' was never awaited"), -1);
	matcher_free(m);
	rules_free(r);
}

Test(rules, override_of_start_derives_a_new_literal)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - {id: a, start: 'old+', literal: "
				       "old}\n"
				       "  - {id: a, override: true, start: "
				       "'brand new'}\n");
	const struct th_span *lits;
	size_t n;
	cr_assert(rules_literals(r, &lits, &n));
	cr_assert(n == 1 && lits[0].n == 9 &&
		      memcmp(lits[0].p, "brand new", 9) == 0,
		  "literal '%.*s'", (int)lits[0].n, lits[0].p);
	rules_free(r);
}

Test(rules, override_may_reenable_a_disabled_rule)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - {id: a, start: x, enabled: false}\n"
		      "  - {id: b, start: y}\n"
		      "  - {id: a, override: true, enabled: true}\n");
	cr_assert_eq(rules_count(r), 2);
	cr_assert_str_eq(rules_id(r, 0), "a");
	rules_free(r);
}

/* ---- extraction ----------------------------------------------------- */

Test(rules, extract_keeps_the_first_value_and_falls_back_in_order)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: a\n"
		      "    start: 'start (?<task>\\w+)'\n"
		      "    extract:\n"
		      "      - regex: 'one=(?<coroutine>\\w+)'\n"
		      "      - regex: 'two=(?<coroutine>\\w+) (?<task>\\w+)'\n"
		      "      - builtin: traceback.function\n"
		      "      - builtin: traceback.exception\n"
		      "      - regex: 'exc=(?<exception>\\w+)'\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	struct th_facts f = facts(NULL, "from_frame", NULL);
	make_event(&ev, r, "a",
		   LINES("start T1", "two=second T2", "one=first", "exc=Boom"));
	rules_extract(m, &ev, &f);
	assert_field(&ev, TH_F_TASK, "T1");
	assert_field(&ev, TH_F_COROUTINE, "first");
	assert_field(&ev, TH_F_EXCEPTION, "Boom");
	event_fini(&ev);

	make_event(&ev, r, "a", LINES("start T1", "nothing here"));
	rules_extract(m, &ev, &f);
	assert_field(&ev, TH_F_COROUTINE, "from_frame");
	assert_field(&ev, TH_F_EXCEPTION, NULL);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, extract_lines_limit_where_a_regex_looks)
{
	struct th_rules *r = load_yaml(
	    "rules:\n"
	    "  - id: a\n"
	    "    start: 'go'\n"
	    "    extract:\n"
	    "      - {regex: 'c=(?<coroutine>\\w+)', lines: following}\n"
	    "      - {regex: 't=(?<task>\\w+)', lines: start}\n"
	    "      - {regex: 'e=(?<exception>\\w+)'}\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	make_event(&ev, r, "a", LINES("go c=first t=T e=E1", "c=second t=U"));
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_COROUTINE, "second");
	assert_field(&ev, TH_F_TASK, "T");
	assert_field(&ev, TH_F_EXCEPTION, "E1");
	event_fini(&ev);

	make_event(&ev, r, "a", LINES("go", "t=U"));
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_TASK, NULL);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, empty_or_unmatched_groups_set_nothing)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: a\n"
		      "    start: 'go(?<task>\\w*)(?:x(?<coroutine>y))?'\n"
		      "    extract:\n"
		      "      - regex: 'later (?<task>\\w+)'\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	make_event(&ev, r, "a", LINES("go", "later T"));
	rules_extract(m, &ev, NULL);
	assert_field(&ev, TH_F_TASK, "T");
	assert_field(&ev, TH_F_COROUTINE, NULL);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

/* ---- ignore rules ---------------------------------------------------- */

Test(rules, ignore_rules_drop_events_when_all_conditions_hold)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: a\n"
		      "    start: 'a (?<coroutine>\\w+) (?<exception>\\w+)'\n"
		      "  - id: b\n"
		      "    start: 'b (?<coroutine>\\w+)'\n"
		      "ignore:\n"
		      "  - id: off\n"
		      "    exception: '^Cancelled'\n"
		      "    enabled: false\n"
		      "  - id: health\n"
		      "    rule: a\n"
		      "    coroutine: '^health_'\n"
		      "    exception: '^(?:Timeout|Cancelled)'\n"
		      "  - id: noisy-text\n"
		      "    rule: [b]\n"
		      "    text: '(?m)^detail: noisy$'\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	cr_assert_eq(rules_ignore_count(r), 2);
	cr_assert_str_eq(rules_ignore_id(r, 0), "health");
	cr_assert_str_eq(rules_ignore_id(r, 1), "noisy-text");
	static const struct {
		const char *rule, *first, *second;
		long want;
	} cases[] = {
	    {"a", "a health_check Timeout", "x", 0},
	    {"a", "a health_check Cancelled", "x", 0},
	    {"a", "a health_check ValueError", "x", -1},
	    {"a", "a fetch Timeout", "x", -1},
	    {"b", "b health_check", "detail: noisy", 1},
	    {"b", "b health_check", "detail: noisy!", -1},
	    {"a", "a x Y", "detail: noisy", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		make_event(&ev, r, cases[i].rule,
			   LINES(cases[i].first, cases[i].second));
		rules_extract(m, &ev, NULL);
		long got = rules_ignored(m, &ev);
		cr_assert_eq(got, cases[i].want,
			     "event '%s / %s': ignore %ld, "
			     "wanted %ld",
			     cases[i].first, cases[i].second, got,
			     cases[i].want);
		event_fini(&ev);
	}
	matcher_free(m);
	rules_free(r);
}

Test(rules, an_unset_field_never_matches_an_ignore_condition)
{
	struct th_rules *r = load_yaml("rules:\n  - {id: a, start: go}\n"
				       "ignore:\n  - {id: i, task: ''}\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	make_event(&ev, r, "a", LINES("go"));
	rules_extract(m, &ev, NULL);
	cr_assert_eq(rules_ignored(m, &ev), -1);
	event_set(&ev, TH_F_TASK, (struct th_span){"T", 1});
	cr_assert_eq(rules_ignored(m, &ev), 0);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, ignore_override_replaces_one_condition)
{
	struct th_rules *r =
	    load_yaml("rules:\n  - {id: a, start: 'go (?<exception>\\w+)'}\n"
		      "ignore:\n"
		      "  - {id: i, exception: Timeout, text: go}\n"
		      "  - {id: i, override: true, exception: Cancelled}\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	make_event(&ev, r, "a", LINES("go Cancelled"));
	rules_extract(m, &ev, NULL);
	cr_assert_eq(rules_ignored(m, &ev), 0);
	event_fini(&ev);
	make_event(&ev, r, "a", LINES("go Timeout"));
	rules_extract(m, &ev, NULL);
	cr_assert_eq(rules_ignored(m, &ev), -1);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, ignore_naming_only_a_disabled_rule_drops_nothing)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - {id: a, start: go}\n"
		      "  - {id: b, start: stop, enabled: false}\n"
		      "ignore:\n"
		      "  - {id: i, rule: b, text: go}\n");
	struct th_matcher *m = matcher_new(r);
	struct th_event ev;
	make_event(&ev, r, "a", LINES("go"));
	cr_assert_eq(rules_ignored(m, &ev), -1);
	event_fini(&ev);
	matcher_free(m);
	rules_free(r);
}

Test(rules, empty_files_and_null_lists_load_as_nothing)
{
	static const char *const empties[] = {"", "# only a comment\n", "{}\n",
					      "---\n",
					      "rules:\nignore: ~\nwrappers:\n"};
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++)
		cr_assert(rules_load_buffer(r, "e.yaml", empties[i],
					    strlen(empties[i]), &err),
			  "loading '%s': %s", empties[i], err.message);
	const char *one = "rules: [{id: a, start: abc}]\n";
	cr_assert(rules_load_buffer(r, "one.yaml", one, strlen(one), &err));
	cr_assert(rules_finish(r, &err), "%s", err.message);
	cr_assert_eq(rules_count(r), 1);
	rules_free(r);
}

/* ---- prefixes -------------------------------------------------------- */

/* One rule, so that rules_finish() succeeds, then YAML's prefixes. */
#define ONE_RULE "rules: [{id: a, start: x}]\n"

static bool match_prefix(struct th_matcher *m, const char *line,
			 struct th_prefix_match *out)
{
	return rules_match_prefix(m, (struct th_span){line, strlen(line)}, out);
}

/* S is the span WANT (NULL: absent) and points into LINE. */
static void assert_span(const char *what, struct th_span s, const char *line,
			const char *want)
{
	if (want == NULL) {
		cr_assert(s.p == NULL, "%s of '%s' should be absent, is '%.*s'",
			  what, line, (int)s.n, s.p);
		return;
	}
	cr_assert(s.p != NULL && s.p >= line &&
		      s.p + s.n <= line + strlen(line),
		  "%s of '%s' does not point into the line", what, line);
	cr_assert(s.n == strlen(want) && memcmp(s.p, want, s.n) == 0,
		  "%s of '%s' is '%.*s', wanted '%s'", what, line, (int)s.n,
		  s.p, want);
}

static void assert_prefix(struct th_matcher *m, const char *line,
			  const char *time, const char *source,
			  const char *message)
{
	struct th_prefix_match pm;
	cr_assert(match_prefix(m, line, &pm), "no prefix matched '%s'", line);
	assert_span("time", pm.time, line, time);
	assert_span("source", pm.source, line, source);
	assert_span("message", pm.message, line, message);
}

Test(rules, prefix_with_time_source_and_message_matches_at_line_start)
{
	struct th_rules *r = load_yaml(
	    ONE_RULE "prefixes:\n"
		     "  - id: nginx-like\n"
		     "    description: our gateway's own format\n"
		     "    regex: '\\[(?<time>[^]]+)\\] (?<source>\\S+) \\| "
		     "(?<message>.*)'\n"
		     "    time_format: '%d/%b/%Y:%H:%M:%S %z'\n");
	cr_assert_eq(rules_prefix_count(r), 1);
	struct th_matcher *m = matcher_new(r);
	const char *line = "[24/Nov/2026:10:00:01 +0000] worker-3 | Traceback "
			   "(most recent call last):";
	assert_prefix(m, line, "24/Nov/2026:10:00:01 +0000", "worker-3",
		      "Traceback (most recent call last):");
	struct th_prefix_match pm;
	cr_assert(match_prefix(m, line, &pm));
	cr_assert_str_eq(pm.time_format, "%d/%b/%Y:%H:%M:%S %z");
	assert_prefix(m, "[t] w | ", "t", "w", "");
	/* Anchored: a prefix is at the start of the line, not inside it. */
	cr_assert(!match_prefix(m, "x [t] w | msg", &pm));
	cr_assert(pm.message.p == NULL && pm.time_format == NULL);
	cr_assert(!match_prefix(m, "Traceback (most recent call last):", &pm));
	cr_assert_eq(rules_match_errors(m), 0);
	matcher_free(m);
	rules_free(r);
}

Test(rules, prefix_without_time_or_source_leaves_them_absent)
{
	struct th_rules *r =
	    load_yaml(ONE_RULE "prefixes:\n"
			       "  - {id: bare, regex: '>> (?<message>.*)'}\n"
			       "  - id: iso\n"
			       "    regex: '(?<time>\\S+Z) (?<source>\\w*): "
			       "(?<message>.*)'\n");
	struct th_matcher *m = matcher_new(r);
	struct th_prefix_match pm;
	assert_prefix(m, ">> boom", NULL, NULL, "boom");
	cr_assert(match_prefix(m, ">> boom", &pm) && pm.time_format == NULL);
	/* No time_format: the time is ISO 8601. An empty source is none. */
	assert_prefix(m, "2026-11-24T10:00:01Z : x", "2026-11-24T10:00:01Z",
		      NULL, "x");
	cr_assert(match_prefix(m, "2026-11-24T10:00:01Z app: x", &pm));
	cr_assert(pm.time_format == NULL);
	assert_span("source", pm.source, "2026-11-24T10:00:01Z app: x", "app");
	matcher_free(m);
	rules_free(r);
}

Test(rules, prefixes_are_tried_in_order_and_a_message_group_must_take_part)
{
	struct th_rules *r = load_yaml(
	    ONE_RULE "prefixes:\n"
		     "  - {id: one, regex: 'a(?<message>.*)|b'}\n"
		     "  - {id: two, regex: '(?<source>[ab])(?<message>.*)'}\n");
	struct th_matcher *m = matcher_new(r);
	assert_prefix(m, "ax", NULL, NULL, "x");
	/* "one" matches "b" through the branch without a message group. */
	assert_prefix(m, "bx", NULL, "b", "x");
	matcher_free(m);
	rules_free(r);
}

Test(rules, prefix_override_changes_disables_and_keeps_the_order)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	const char *one =
	    ONE_RULE "prefixes:\n"
		     "  - {id: p, regex: 'P (?<message>.*)'}\n"
		     "  - id: q\n"
		     "    regex: 'P (?<time>\\S+) (?<message>.*)'\n"
		     "    time_format: '%H:%M'\n"
		     "  - {id: off, regex: 'O (?<message>.*)', "
		     "enabled: false}\n";
	const char *two = "prefixes:\n"
			  "  - {id: p, override: true, enabled: false}\n"
			  "  - id: q\n"
			  "    override: true\n"
			  "    regex: 'P (?<time>\\S+) (?<source>\\S+) "
			  "(?<message>.*)'\n"
			  "  - {id: off, override: true, enabled: true}\n";
	cr_assert(rules_load_buffer(r, "one.yaml", one, strlen(one), &err),
		  "%s", err.message);
	cr_assert(rules_load_buffer(r, "two.yaml", two, strlen(two), &err),
		  "%zu:%zu: %s", err.line, err.column, err.message);
	cr_assert(rules_finish(r, &err), "%s", err.message);
	cr_assert_eq(rules_prefix_count(r), 2);
	struct th_matcher *m = matcher_new(r);
	struct th_prefix_match pm;
	/* p is off, so q's new regex takes the line; its time_format stays. */
	assert_prefix(m, "P 10:00 w x", "10:00", "w", "x");
	cr_assert(match_prefix(m, "P 10:00 w x", &pm));
	cr_assert_str_eq(pm.time_format, "%H:%M");
	assert_prefix(m, "O y", NULL, NULL, "y");
	matcher_free(m);
	rules_free(r);
}

Test(rules, catastrophic_prefix_is_a_counted_non_match)
{
	struct th_rules *r =
	    load_yaml(ONE_RULE "prefixes:\n"
			       "  - {id: p, regex: '(a+)+$(?<message>)'}\n");
	struct th_matcher *m = matcher_new(r);
	char line[64];
	memset(line, 'a', 49);
	line[49] = '!';
	line[50] = '\0';
	struct th_prefix_match pm;
	cr_assert(!match_prefix(m, line, &pm));
	cr_assert_eq(rules_match_errors(m), 1);
	assert_prefix(m, "aaa", NULL, NULL, "");
	matcher_free(m);
	rules_free(r);
}

Test(rules, prefix_errors_point_at_the_spot)
{
	assert_error("prefixes:\n  - id: p\n"
		     "    regex: '(?<tiem>\\S+) (?<message>.*)'\n",
		     3, 16,
		     "named group 'tiem' is not a prefix group; use one of "
		     "time, source, message (did you mean 'time'?)");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<time>\\S+) '\n", 3,
		     13, "a prefix regex needs a (?<message>...) group");
	assert_error("prefixes:\n  - id: p\n    regex: (?<source>\\S+)\n", 3,
		     12, "needs a (?<message>...) group");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<message>.*'\n", 3,
		     26, "bad regex in regex: missing closing parenthesis");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<time>\\S+) "
		     "(?<message>.*)'\n    time_format: '%Y-%m-%dT%'\n",
		     4, 28, "'%' must start a strptime conversion");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<time>\\S+) "
		     "(?<message>.*)'\n    time_format: '100%% %!'\n",
		     4, 25, "'%' must start a strptime conversion");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<time>\\S+) "
		     "(?<message>.*)'\n    time_format: 'at 100%%'\n",
		     4, 18, "time_format has no strptime conversion");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<time>\\S+) "
		     "(?<message>.*)'\n    time_format: ''\n",
		     4, 18, "time_format must not be empty");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<message>.*)'\n"
		     "    time_format: '%s'\n",
		     4, 18,
		     "prefix 'p' has a time_format but its regex no "
		     "(?<time>...) group");
	assert_error("prefixes:\n  - id: p\n    regex: '(?<message>.*)'\n"
		     "    time_fromat: '%s'\n",
		     4, 5,
		     "unknown key 'time_fromat' in prefix (did you mean "
		     "'time_format'?)");
}

Test(rules, prefix_ids_are_checked_like_rule_ids)
{
	assert_error("prefixes:\n  - {id: p, regex: '(?<message>.*)'}\n"
		     "  - {id: p, regex: 'x(?<message>.*)'}\n",
		     3, 10,
		     "duplicate prefix id 'p' (first defined at "
		     "t.yaml:2:10); add `override: true` to replace it");
	assert_error("prefixes:\n  - {regex: '(?<message>.*)'}\n", 2, 5,
		     "a prefix needs an id");
	assert_error("prefixes:\n  - {id: p, description: d}\n", 2, 10,
		     "prefix 'p' has no regex");
	assert_error("prefixes:\n  - {id: p, override: true, enabled: false}\n",
		     2, 10, "no prefix 'p' to override");
	assert_error("prefixes:\n  - {id: 'p q', regex: '(?<message>.*)'}\n", 2,
		     10, "prefix id 'p q' may only use letters");
	assert_error("prefixes: {id: p}\n", 1, 11, "prefixes must be a list");
	/* A rule and a prefix may share an id: they never meet. */
	struct th_rules *r =
	    load_yaml("rules: [{id: x, start: x}]\n"
		      "prefixes: [{id: x, regex: '(?<message>.*)'}]\n");
	cr_assert_eq(rules_prefix_count(r), 1);
	rules_free(r);
}

/* ---- robustness ------------------------------------------------------- */

Test(rules, catastrophic_backtracking_is_a_quick_counted_non_match)
{
	struct th_rules *r =
	    load_yaml("rules:\n  - {id: a, start: '(a+)+$'}\n");
	struct th_matcher *m = matcher_new(r);
	char line[64];
	memset(line, 'a', 49);
	line[49] = '!';
	line[50] = '\0';
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long got = match(m, line);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	cr_assert_eq(got, -1, "'%s' matched (a+)+$", line);
	cr_assert_eq(rules_match_errors(m), 1, "match errors: %zu",
		     rules_match_errors(m));
	cr_assert(ms < 2000, "match took %.1f ms", ms);
	cr_assert_eq(match(m, "aaa"), 0);
	cr_assert_eq(match(m, line), -1, "the same line again");
	cr_assert_eq(rules_match_errors(m), 2,
		     "a line that gave up is run and counted again, not "
		     "remembered: %zu",
		     rules_match_errors(m));
	matcher_free(m);
	rules_free(r);
}

Test(rules, lines_with_nul_bytes_and_invalid_utf8_match_as_bytes)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	static const char line[] = "\xff\xfe\0 Traceback (most recent call "
				   "last):";
	cr_assert_eq(
	    rules_match_start(m, (struct th_span){line, sizeof line - 1}),
	    index_of(r, "python.traceback"));
	cr_assert_eq(rules_match_start(m, (struct th_span){NULL, 0}), -1);
	cr_assert_eq(rules_match_errors(m), 0);
	matcher_free(m);
	rules_free(r);
}

/* Short lines' answers are remembered: a line seen again gets the same
 * rule, whatever lines came between (some of them in the same memo
 * slot). */
Test(rules, a_line_seen_again_gets_the_same_rule)
{
	struct th_rules *r = load_defaults();
	struct th_matcher *m = matcher_new(r);
	static const char *const lines[] = {
	    "Traceback (most recent call last):",
	    "Task exception was never retrieved",
	    "coroutine 'f' was never awaited",
	    "ERROR: Traceback (most recent call last):",
	    "Exception in callback f()",
	    "no trigger here",
	    "",
	};
	size_t n = sizeof lines / sizeof *lines;
	long want[sizeof lines / sizeof *lines];
	for (size_t i = 0; i < n; i++)
		want[i] = match(m, lines[i]);
	cr_assert_eq(want[0], index_of(r, "python.traceback"));
	cr_assert_eq(want[5], -1);
	char other[32];
	for (size_t k = 0; k < 500; k++) { /* fill every slot, twice */
		snprintf(other, sizeof other, "filler %zu", k);
		cr_assert_eq(match(m, other), -1);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(match(m, lines[i]), want[i],
				     "'%s' after %s", lines[i], other);
	}
	matcher_free(m);
	rules_free(r);
}

/* ---- files and directories -------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

Test(rules, a_directory_loads_yaml_files_in_name_order)
{
	char dir[] = "/tmp/test_rules_XXXXXX";
	cr_assert(mkdtemp(dir) != NULL);
	write_file(dir, "b.yaml",
		   "rules:\n  - {id: b, start: bee}\n"
		   "wrappers: [w1, w2]\n");
	write_file(dir, "a.yml",
		   "rules:\n  - {id: a, start: ay}\n"
		   "wrappers: [w1]\n");
	write_file(dir, "README.md", "not: [yaml\n");
	write_file(dir, "notes.txt", "not: [yaml\n");
	write_file(dir, ".#lock.yaml", "not: [yaml\n");
	char sub[600];
	snprintf(sub, sizeof sub, "%s/sub.yaml", dir);
	cr_assert(mkdir(sub, 0700) == 0);

	struct th_rules *r = rules_new();
	struct th_error err = {0};
	bool ok = rules_load_path(r, dir, &err) && rules_finish(r, &err);
	cr_assert(ok, "%s:%zu: %s", err.file, err.line, err.message);
	cr_assert_eq(rules_count(r), 2);
	cr_assert_str_eq(rules_id(r, 0), "a");
	cr_assert_str_eq(rules_id(r, 1), "b");
	cr_assert(rules_is_wrapper(r, (struct th_span){"w2", 2}));
	rules_free(r);

	write_file(dir, "c.yaml", "rules:\n  - {id: c, start: 'x(', }\n");
	r = rules_new();
	err = (struct th_error){0};
	cr_assert(!rules_load_path(r, dir, &err));
	char want[600];
	snprintf(want, sizeof want, "%s/c.yaml", dir);
	cr_assert_str_eq(err.file, want);
	cr_assert(err.line == 2 && err.column == 23, "%zu:%zu: %s", err.line,
		  err.column, err.message);
	rules_free(r);

	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(system(cmd) == 0);
}

/* ---- the catalog's names, the catalog made ------------------------------ */

Test(rules, every_catalog_field_is_a_group_name_and_an_ignore_condition)
{
	for (size_t f = 0; f < TH_F_COUNT; f++) {
		const char *name = catalog_field_name((enum th_field)f);
		char yaml[512];
		snprintf(yaml, sizeof yaml,
			 "rules:\n"
			 "  - id: r\n"
			 "    start: 'X (?<%s>\\w+)'\n"
			 "ignore:\n"
			 "  - id: i\n"
			 "    %s: '^skip$'\n",
			 name, name);
		struct th_rules *r = load_yaml(yaml);
		struct th_matcher *m = matcher_new(r);
		struct th_event ev;
		event_init(&ev);
		ev.rule = 0;
		event_add_line(&ev, TH_SPAN_LIT("X skip"));
		rules_extract(m, &ev, NULL);
		cr_expect(event_has(&ev, (enum th_field)f), "%s set", name);
		cr_expect_eq(rules_ignored(m, &ev), 0, "%s: ignored", name);
		event_fini(&ev);
		matcher_free(m);
		rules_free(r);
	}
}

Test(rules, the_missing_condition_error_names_every_field_and_text)
{
	char want[256] = "give at least one of ";
	for (size_t f = 0; f < TH_F_COUNT; f++) {
		strcat(want, catalog_field_name((enum th_field)f));
		strcat(want, ", ");
	}
	strcat(want, "text");
	assert_error("ignore:\n  - id: i\n    description: d\n", 2, 9, want);
}

Test(rules, the_catalog_holds_the_enabled_rules_and_ignore_rules_in_order)
{
	struct th_rules *r = load_yaml("rules:\n"
				       "  - id: b\n"
				       "    severity: info\n"
				       "    start: B\n"
				       "  - id: off\n"
				       "    start: O\n"
				       "    enabled: false\n"
				       "  - id: a\n"
				       "    severity: warning\n"
				       "    start: A\n"
				       "ignore:\n"
				       "  - id: quiet\n"
				       "    text: q\n"
				       "    enabled: false\n"
				       "  - id: loud\n"
				       "    text: l\n");
	const struct th_catalog *c = rules_catalog(r);
	cr_assert_eq(catalog_rule_count(c), 2);
	cr_expect_str_eq(catalog_rule_id(c, 0), "b");
	cr_expect_eq(catalog_rule_severity(c, 0), TH_SEV_INFO);
	cr_expect_str_eq(catalog_rule_id(c, 1), "a");
	cr_expect_eq(catalog_rule_severity(c, 1), TH_SEV_WARNING);
	cr_assert_eq(catalog_ignore_count(c), 1);
	cr_expect_str_eq(catalog_ignore_id(c, 0), "loud");
	cr_expect_str_eq(rules_id(r, 1), "a", "rules_id reads the catalog");
	rules_free(r);
}

Test(rules, an_override_keeps_the_literal_and_time_format_it_leaves_out)
{
	struct th_rules *r =
	    load_yaml("rules:\n"
		      "  - id: a\n"
		      "    description: first\n"
		      "    severity: warning\n"
		      "    start: 'A (?<task>\\w+)'\n"
		      "    literal: 'A '\n"
		      "  - id: a\n"
		      "    override: true\n"
		      "    severity: info\n"
		      "prefixes:\n"
		      "  - id: p\n"
		      "    regex: '(?<time>\\S+) (?<message>.*)'\n"
		      "    time_format: '%H:%M'\n"
		      "  - id: p\n"
		      "    override: true\n"
		      "    regex: '(?<time>\\S+) - (?<message>.*)'\n");
	cr_expect_eq(rules_severity(r, 0), TH_SEV_INFO);
	const struct th_span *lits;
	size_t n;
	cr_assert(rules_literals(r, &lits, &n));
	cr_expect(n == 1 && lits[0].n == 2 && memcmp(lits[0].p, "A ", 2) == 0,
		  "the literal stays when start is not given");
	struct th_matcher *m = matcher_new(r);
	struct th_prefix_match pm;
	cr_assert(rules_match_prefix(m, TH_SPAN_LIT("10:00 - hello"), &pm));
	cr_expect_str_eq(pm.time_format, "%H:%M",
			 "the time_format stays when regex is given");
	matcher_free(m);
	rules_free(r);
}

/* A site directory as an administrator's /etc/tracehound/rules.d ends
 * up: rule files, dpkg's leftovers, an editor's backup and lock file, a
 * README. */
static void site_dir(const char *dir)
{
	write_file(dir, "20-b.yaml", "rules:\n  - {id: b, start: bee}\n");
	write_file(dir, "10-a.yml",
		   "rules:\n  - {id: a, start: ay}\n"
		   "  - {id: x, start: ex}\n"
		   "ignore:\n  - {id: quiet, coroutine: '^noise$'}\n");
	write_file(dir, "9-c.yaml",
		   "rules:\n  - {id: x, override: true, severity: info}\n");
	write_file(dir, "B-upper.yaml",
		   "prefixes:\n  - id: p\n"
		   "    regex: '^(?<message>.*)$'\n");
	write_file(dir, "30-d.yaml.dpkg-old", "not: [yaml\n");
	write_file(dir, "30-d.yaml.dpkg-dist", "not: [yaml\n");
	write_file(dir, "40-e.yaml~", "not: [yaml\n");
	write_file(dir, ".#50-f.yaml", "not: [yaml\n");
	write_file(dir, "README", "not: [yaml\n");
}

Test(rules, a_site_directory_loads_its_rule_files_in_byte_order)
{
	char dir[] = "/tmp/test_rules_XXXXXX";
	cr_assert(mkdtemp(dir) != NULL);
	site_dir(dir);
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert_eq(rules_load_site_dir(r, dir, &err), RULES_SITE_LOADED,
		     "%s: %s", err.file, err.message);
	cr_assert(rules_finish(r, &err), "%s", err.message);
	/* "10-" < "20-" < "9-" < "B-": bytes, as in the C locale */
	const char *names[] = {"10-a.yml", "20-b.yaml", "9-c.yaml",
			       "B-upper.yaml"};
	/* 9-c.yaml overrides x of 10-a.yml, loaded before it */
	size_t counts[][3] = {{2, 1, 0}, {1, 0, 0}, {1, 0, 0}, {0, 0, 1}};
	cr_assert_eq(rules_file_count(r), 4);
	for (size_t i = 0; i < 4; i++) {
		struct th_rules_file f = rules_file(r, i);
		char want[600];
		snprintf(want, sizeof want, "%s/%s", dir, names[i]);
		cr_expect_str_eq(f.name, want);
		cr_expect(f.rules == counts[i][0] &&
			      f.ignores == counts[i][1] &&
			      f.prefixes == counts[i][2],
			  "%s: %zu rules, %zu ignores, %zu prefixes", f.name,
			  f.rules, f.ignores, f.prefixes);
	}
	cr_assert_eq(rules_count(r), 3);
	for (size_t i = 0; i < 3; i++)
		if (strcmp(rules_id(r, i), "x") == 0)
			cr_expect_eq(rules_severity(r, i), TH_SEV_INFO);
	rules_free(r);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(system(cmd) == 0);
}

Test(rules, a_site_directory_missing_is_absent_unlistable_is_unreadable)
{
	char dir[] = "/tmp/test_rules_XXXXXX";
	cr_assert(mkdtemp(dir) != NULL);
	char path[600];
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	snprintf(path, sizeof path, "%s/none", dir);
	cr_expect_eq(rules_load_site_dir(r, path, &err), RULES_SITE_ABSENT);
	/* a file where the directory's parent should be: absent too */
	write_file(dir, "file", "");
	snprintf(path, sizeof path, "%s/file/rules.d", dir);
	cr_expect_eq(rules_load_site_dir(r, path, &err), RULES_SITE_ABSENT);
	/* a file in the directory's place cannot be listed */
	snprintf(path, sizeof path, "%s/file", dir);
	cr_expect_eq(rules_load_site_dir(r, path, &err), RULES_SITE_UNREADABLE);
	cr_expect_str_eq(err.file, path);
	cr_expect(strstr(err.message, "Not a directory") != NULL, "%s",
		  err.message);
	cr_expect_eq(rules_file_count(r), 0);
	rules_free(r);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(system(cmd) == 0);
}

Test(rules, a_bad_file_in_a_site_directory_is_named_with_its_position)
{
	char dir[] = "/tmp/test_rules_XXXXXX";
	cr_assert(mkdtemp(dir) != NULL);
	write_file(dir, "10-ok.yaml", "rules:\n  - {id: a, start: ay}\n");
	write_file(dir, "20-bad.yaml", "rules:\n  - {id: b, severty: info}\n");
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert_eq(rules_load_site_dir(r, dir, &err), RULES_SITE_BAD);
	char want[600];
	snprintf(want, sizeof want, "%s/20-bad.yaml", dir);
	cr_expect_str_eq(err.file, want);
	cr_expect(err.line == 2 && err.column == 13, "%zu:%zu: %s", err.line,
		  err.column, err.message);
	rules_free(r);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(system(cmd) == 0);
}

Test(rules, a_rule_uses_the_builtins_its_extract_list_names)
{
	struct th_rules *r = load_defaults();
	long never = index_of(r, "asyncio.exception-never-retrieved");
	long pending = index_of(r, "asyncio.task-destroyed-pending");
	long awaited = index_of(r, "asyncio.coroutine-never-awaited");
	long tb = index_of(r, "python.traceback");
	cr_assert(never >= 0 && pending >= 0 && awaited >= 0 && tb >= 0);
	cr_expect(rules_uses_builtin(r, (size_t)never, TH_BUILTIN_CREATED_AT));
	cr_expect(rules_uses_builtin(r, (size_t)never, TH_BUILTIN_FUNCTION));
	cr_expect(
	    rules_uses_builtin(r, (size_t)pending, TH_BUILTIN_CREATED_AT));
	cr_expect(
	    !rules_uses_builtin(r, (size_t)pending, TH_BUILTIN_EXCEPTION));
	cr_expect(
	    !rules_uses_builtin(r, (size_t)awaited, TH_BUILTIN_CREATED_AT));
	cr_expect(!rules_uses_builtin(r, (size_t)tb, TH_BUILTIN_CREATED_AT));
	cr_expect(rules_uses_builtin(r, (size_t)tb, TH_BUILTIN_EXCEPTION));
	rules_free(r);

	r = load_yaml("rules:\n"
		      "  - id: a\n"
		      "    start: 'aaa'\n"
		      "    extract:\n"
		      "      - regex: 'x(?<created_at>y)'\n"
		      "  - id: b\n"
		      "    start: 'bbb'\n"
		      "    extract:\n"
		      "      - builtin: source_traceback.location\n"
		      "        field: task\n");
	cr_expect(!rules_uses_builtin(r, 0, TH_BUILTIN_CREATED_AT));
	cr_expect(rules_uses_builtin(r, 1, TH_BUILTIN_CREATED_AT));
	cr_expect(!rules_uses_builtin(r, 1, TH_BUILTIN_FUNCTION));
	rules_free(r);
}
