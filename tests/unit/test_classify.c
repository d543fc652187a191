/* test_classify.c - fields of events, on real CPython output. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "feed.h"

static struct got got[GOT_MAX];

static struct th_span span(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

static void expect_type(const char *line, const char *want)
{
	struct th_span t = classify_exception_type(span(line));
	char buf[256];
	snprintf(buf, sizeof buf, "%.*s", (int)t.n, t.p ? t.p : "");
	cr_expect_str_eq(buf, want, "type of '%s' is '%s', want '%s'", line,
			 buf, want);
}

Test(classify, exception_type_is_read_as_printed)
{
	expect_type("ValueError: boom", "ValueError");
	expect_type("KeyError", "KeyError");
	expect_type("errors.UpstreamError: 502 from upstream",
		    "errors.UpstreamError");
	expect_type("aiohttp.client_exceptions.ClientConnectorError: x",
		    "aiohttp.client_exceptions.ClientConnectorError");
	expect_type("main.<locals>.Oops: x", "main.<locals>.Oops");
	expect_type("asyncio.exceptions.CancelledError",
		    "asyncio.exceptions.CancelledError");
	expect_type("not an exception line", "");
	expect_type("", "");
}

/* classify.c reads a type's bytes from a table: every byte must be taken
 * as the plain rule says (ASCII letters, digits, "_.<>", 0x80 on). */
Test(classify, every_byte_is_in_a_type_or_not_as_the_rule_says)
{
	for (unsigned b = 0; b < 256; b++) {
		bool in = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
			  (b >= '0' && b <= '9') || b == '_' || b == '.' ||
			  b == '<' || b == '>' || b >= 0x80;
		char line[3] = {'X', (char)b, ':'};
		struct th_span t =
		    classify_exception_type((struct th_span){line, 3});
		size_t want = in ? 2 : b == ':' ? 1 : 0;
		cr_expect_eq(t.p ? t.n : 0, want, "byte 0x%02x: type of %zu", b,
			     t.p ? t.n : 0);
	}
}

static void expect_message(const char *line, const char *want)
{
	struct th_span m = classify_exception_message(span(line));
	char buf[256];
	if (m.p != NULL)
		snprintf(buf, sizeof buf, "%.*s", (int)m.n, m.p);
	else
		snprintf(buf, sizeof buf, "-");
	cr_expect_str_eq(buf, want, "message of '%s' is '%s', want '%s'", line,
			 buf, want);
}

Test(classify, message_is_the_text_after_the_type)
{
	expect_message("ValueError: boom", "boom");
	expect_message("KeyError: 'k'", "'k'");
	expect_message("errors.UpstreamError: 502: bad gateway  ",
		       "502: bad gateway");
	expect_message("RuntimeError: Event loop is closed\r",
		       "Event loop is closed");
	expect_message("ExceptionGroup: inner (2 sub-exceptions)",
		       "inner (2 sub-exceptions)");
	expect_message("asyncio.exceptions.CancelledError", "-");
	expect_message("ValueError: ", "-");
	expect_message("not an exception line", "-");
}

static const char callback_312[] =
    "2026-11-26 11:02:01,303 ERROR [asyncio] Exception in callback cb() "
    "at /tmp/py/nr.py:7\n"
    "handle: <Handle cb() at /tmp/py/nr.py:7>\n"
    "Traceback (most recent call last):\n"
    "  File \"/root/.pyenv/versions/3.12.1/lib/python3.12/asyncio/"
    "events.py\", line 84, in _run\n"
    "    self._context.run(self._callback, *self._args)\n"
    "  File \"/tmp/py/nr.py\", line 8, in cb\n"
    "    raise RuntimeError(\"in callback\")\n"
    "RuntimeError: in callback\n";

Test(classify, callback_event_takes_its_culprit_and_final_type)
{
	size_t n = pipeline_run(callback_312, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].rule, "asyncio.exception-in-callback");
	cr_expect_str_eq(got[0].coroutine, "cb");
	cr_expect_str_eq(got[0].exception, "RuntimeError");
	cr_expect_str_eq(got[0].message, "in callback");
	cr_expect_str_eq(got[0].culprit, "/tmp/py/nr.py:8 in cb");
}

static const char never_retrieved_36[] =
    "Task exception was never retrieved\n"
    "future: <Task finished coro=<flaky() done, defined at nr.py:3> "
    "exception=ValueError('boom 1',)>\n"
    "Traceback (most recent call last):\n"
    "  File \"nr.py\", line 4, in flaky\n"
    "    raise ValueError(\"boom %d\" % n)\n"
    "ValueError: boom 1\n";

Test(classify, python36_never_retrieved_has_no_task_name)
{
	size_t n = pipeline_run(never_retrieved_36, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].coroutine, "flaky");
	cr_expect_str_eq(got[0].exception, "ValueError");
	cr_expect_str_eq(got[0].task, "-");
	cr_expect_str_eq(got[0].defined_at, "nr.py:3");
}

Test(classify, never_retrieved_without_traceback_takes_type_from_repr)
{
	const char text[] = "Task exception was never retrieved\n"
			    "future: <Task finished name='Task-7' "
			    "coro=<main.<locals>.inner() done, defined at "
			    "x.py:3> exception=TimeoutError()>\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].coroutine, "main.<locals>.inner");
	cr_expect_str_eq(got[0].exception, "TimeoutError");
	cr_expect_str_eq(got[0].task, "Task-7");
	cr_expect_str_eq(got[0].message, "-", "no final line, no message");
}

Test(classify, exception_without_traceback_takes_its_final_line_message)
{
	const char text[] =
	    "ERROR:asyncio:Future exception was never retrieved\n"
	    "future: <Future finished exception=ConnectionResetError('peer "
	    "10.0.0.7:5432 reset the connection')>\n"
	    "ConnectionResetError: peer 10.0.0.7:5432 reset the connection\n"
	    "Task exception was never retrieved\n"
	    "future: <Task finished name='Task-3' coro=<sync() done, defined "
	    "at x.py:3> exception=UpstreamError('HTTP 502')>\n"
	    "errors.UpstreamError: HTTP 502\n"
	    "Future exception was never retrieved\n"
	    "future: <Future finished exception=KeyError()>\n"
	    "KeyError\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(got[0].exception, "ConnectionResetError");
	cr_expect_str_eq(got[0].message,
			 "peer 10.0.0.7:5432 reset the connection");
	cr_expect_str_eq(got[0].culprit, "-", "no traceback, no culprit");
	cr_expect_str_eq(got[1].message, "HTTP 502",
			 "the final line's type is qualified by its module");
	cr_expect_str_eq(got[2].message, "-", "a bare type name");
}

static const char taskgroup_311[] =
    "  + Exception Group Traceback (most recent call last):\n"
    "  |   File \"/tmp/py/g.py\", line 9, in <module>\n"
    "  |     asyncio.run(main())\n"
    "  |   File \"/tmp/py/g.py\", line 7, in main\n"
    "  |     async with asyncio.TaskGroup() as tg:\n"
    "  |   File \"/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio/"
    "taskgroups.py\", line 145, in __aexit__\n"
    "  |     raise me from None\n"
    "  | ExceptionGroup: unhandled errors in a TaskGroup (3 "
    "sub-exceptions)\n"
    "  +-+---------------- 1 ----------------\n"
    "    | Traceback (most recent call last):\n"
    "    |   File \"/tmp/py/g.py\", line 2, in a\n"
    "    |     async def a(): raise ValueError(\"x\")\n"
    "    |                    ^^^^^^^^^^^^^^^^^^^^^\n"
    "    | ValueError: x\n"
    "    +---------------- 2 ----------------\n"
    "    | Traceback (most recent call last):\n"
    "    |   File \"/tmp/py/g.py\", line 3, in b\n"
    "    |     async def b(): raise KeyError(\"k\")\n"
    "    | KeyError: 'k'\n"
    "    +---------------- 3 ----------------\n"
    "    | Exception Group Traceback (most recent call last):\n"
    "    |   File \"/tmp/py/g.py\", line 5, in nested\n"
    "    |     raise ExceptionGroup(\"inner\", [TypeError(\"t\"), "
    "OSError(\"o\")])\n"
    "    | ExceptionGroup: inner (2 sub-exceptions)\n"
    "    +-+---------------- 1 ----------------\n"
    "      | TypeError: t\n"
    "      +---------------- 2 ----------------\n"
    "      | OSError: o\n"
    "      +------------------------------------\n"
    "after the group\n";

Test(classify, exception_group_gives_one_event_per_leaf_nested_too)
{
	size_t n = pipeline_run(taskgroup_311, NULL, got);
	cr_assert_eq(n, 4, "events: %zu", n);
	const char *want[4][3] = {{"a", "ValueError", "x"},
				  {"b", "KeyError", "'k'"},
				  {"-", "TypeError", "t"},
				  {"-", "OSError", "o"}};
	for (size_t i = 0; i < 4; i++) {
		cr_expect_str_eq(got[i].rule, "python.exception-group");
		cr_expect_str_eq(got[i].coroutine, want[i][0], "leaf %zu: %s",
				 i, got[i].coroutine);
		cr_expect_str_eq(got[i].exception, want[i][1], "leaf %zu: %s",
				 i, got[i].exception);
		cr_expect_str_eq(got[i].message, want[i][2], "leaf %zu: %s", i,
				 got[i].message);
	}
	cr_expect_eq(got[0].end_line, 29);
	cr_expect(got[0].complete);
}

Test(classify, group_inside_an_asyncio_message_is_one_event_of_group_type)
{
	char text[sizeof taskgroup_311 + 200];
	snprintf(text, sizeof text,
		 "Task exception was never retrieved\n"
		 "future: <Task finished name='Task-1' coro=<main() done, "
		 "defined at g.py:6> exception=ExceptionGroup('x')>\n%s",
		 taskgroup_311);
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1, "events: %zu", n);
	cr_expect_str_eq(got[0].coroutine, "main");
	cr_expect_str_eq(got[0].exception, "ExceptionGroup");
}

Test(classify, wrapper_coroutine_is_replaced_by_the_frame_below_it)
{
	const char text[] =
	    "Task exception was never retrieved\n"
	    "future: <Task finished name='Task-2' "
	    "coro=<_coro_creating_hub_and_span() done, defined at "
	    "sentry.py:10> exception=ValueError('x')>\n"
	    "Traceback (most recent call last):\n"
	    "  File \"sentry.py\", line 12, in _coro_creating_hub_and_span\n"
	    "    return await coro\n"
	    "  File \"shop.py\", line 5, in handle_order\n"
	    "    await charge()\n"
	    "  File \"shop.py\", line 9, in charge\n"
	    "    raise ValueError('x')\n"
	    "ValueError: x\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].coroutine, "handle_order");
}

/* A coroutine is a wrapper by its last name (the frame below the last
 * wrapper frame, "lone" here, names it then): qualified with "." it is
 * one, and a name that merely ends like one is not, nor is one that
 * equals a wrapper's last part when the wrapper is qualified itself
 * (the last name has no "."). */
Test(classify, wrapper_coroutine_is_known_by_its_last_name)
{
	static const struct {
		const char *coroutine, *want;
	} cases[] = {
	    {"setup.<locals>._coro_creating_hub_and_span", "handle_order"},
	    {"_coro_creating_hub_and_span", "handle_order"},
	    {"my_coro_creating_hub_and_span", "my_coro_creating_hub_and_span"},
	    {"a.my_coro_creating_hub_and_span",
	     "a.my_coro_creating_hub_and_span"},
	    {"x.dotted.wrap", "x.dotted.wrap"},
	    {"dotted.wrap", "dotted.wrap"},
	    {"lone", "handle_order"},
	    {"pkg.lone", "handle_order"},
	    {"pkg.alone", "pkg.alone"},
	};
	const char *extra = "wrappers:\n  - dotted.wrap\n  - lone\n";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024];
		snprintf(text, sizeof text,
			 "Task exception was never retrieved\n"
			 "future: <Task finished name='Task-2' "
			 "coro=<%s() done, defined at sentry.py:10> "
			 "exception=ValueError('x')>\n"
			 "Traceback (most recent call last):\n"
			 "  File \"sentry.py\", line 12, in lone\n"
			 "    return await coro\n"
			 "  File \"shop.py\", line 5, in handle_order\n"
			 "    await charge()\n"
			 "  File \"shop.py\", line 9, in charge\n"
			 "    raise ValueError('x')\n"
			 "ValueError: x\n",
			 cases[i].coroutine);
		size_t n = pipeline_run(text, extra, got);
		cr_assert_eq(n, 1);
		cr_expect_str_eq(got[0].coroutine, cases[i].want,
				 "coroutine %s: got %s, want %s",
				 cases[i].coroutine, got[0].coroutine,
				 cases[i].want);
	}
}

Test(classify, debug_mode_source_traceback_gives_created_at)
{
	const char text[] =
	    "Task exception was never retrieved\n"
	    "future: <Task finished name='Task-2' coro=<flaky() done, "
	    "defined at d.py:4> exception=ValueError('x') created at "
	    "d.py:9>\n"
	    "source_traceback: Object created at (most recent call last):\n"
	    "  File \"d.py\", line 12, in <module>\n"
	    "    asyncio.run(main(), debug=True)\n"
	    "  File \"d.py\", line 9, in main\n"
	    "    asyncio.create_task(flaky())\n"
	    "Traceback (most recent call last):\n"
	    "  File \"d.py\", line 5, in flaky\n"
	    "    raise ValueError('x')\n"
	    "ValueError: x\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].created_at, "d.py:9");
	cr_expect_str_eq(got[0].coroutine, "flaky");
	cr_expect_str_eq(got[0].exception, "ValueError");
}

Test(classify, a_path_holding_the_line_marker_is_read_to_its_last_marker)
{
	const char text[] =
	    "Task exception was never retrieved\n"
	    "future: <Task finished name='Task-2' coro=<flaky() done, "
	    "defined at d.py:4> exception=ValueError('x') created at "
	    "d.py:9>\n"
	    "source_traceback: Object created at (most recent call last):\n"
	    "  File \"odd\", line 3, in \"dir.py\", line 9, in main\n"
	    "    asyncio.create_task(flaky())\n"
	    "Traceback (most recent call last):\n"
	    "  File \"a\", line 1\", line 5, in flaky\n"
	    "    raise ValueError('x')\n"
	    "ValueError: x\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].created_at, "odd\", line 3, in \"dir.py:9");
	cr_expect_str_eq(got[0].coroutine, "flaky");
}

/* A rule of the user's reads the created-at frame as the default ones
 * do when it asks for source_traceback.location, wherever it is among
 * the rules (the classifier walks the frames only for the rules that
 * ask); one that does not ask has no created_at. */
Test(classify, created_at_is_read_for_a_rule_that_asks_for_it)
{
	const char text[] =
	    "Deferred job was never retrieved\n"
	    "future: <Job pending>\n"
	    "source_traceback: Object created at (most recent call last):\n"
	    "  File \"d.py\", line 12, in <module>\n"
	    "    asyncio.run(main(), debug=True)\n"
	    "  File \"d.py\", line 9, in main\n"
	    "    asyncio.create_task(flaky())\n"
	    "Traceback (most recent call last):\n"
	    "  File \"d.py\", line 5, in flaky\n"
	    "    raise ValueError('x')\n"
	    "ValueError: x\n";
	const char asks[] = "rules:\n"
			    "  - id: local.deferred\n"
			    "    severity: error\n"
			    "    body: asyncio\n"
			    "    start: 'Deferred job was never retrieved'\n"
			    "    extract:\n"
			    "      - builtin: source_traceback.location\n"
			    "      - builtin: traceback.exception\n";
	const char does_not[] =
	    "rules:\n"
	    "  - id: local.deferred\n"
	    "    severity: error\n"
	    "    body: asyncio\n"
	    "    start: 'Deferred job was never retrieved'\n"
	    "    extract:\n"
	    "      - builtin: traceback.exception\n";
	size_t n = pipeline_run(text, asks, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].rule, "local.deferred");
	cr_expect_str_eq(got[0].created_at, "d.py:9");
	cr_expect_str_eq(got[0].exception, "ValueError");
	n = pipeline_run(text, does_not, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].rule, "local.deferred");
	cr_expect_str_eq(got[0].created_at, "-");
	cr_expect_str_eq(got[0].exception, "ValueError");
}

Test(classify, ignore_rule_drops_matching_events)
{
	const char yaml[] = "ignore:\n"
			    "  - id: local.ignore-keyerror\n"
			    "    exception: '^KeyError$'\n";
	const char text[] = "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in f\n"
			    "KeyError: 'k'\n"
			    "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 2, in g\n"
			    "ValueError\n";
	size_t n = pipeline_run(text, yaml, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].exception, "ValueError");
}

static void expect_library(const char *path, bool want)
{
	cr_expect_eq(classify_path_is_library(span(path)), want,
		     "%s is %s code", path, want ? "library" : "application");
}

Test(classify, standard_library_paths_are_library_code)
{
	expect_library("/usr/lib/python3.12/asyncio/events.py", true);
	expect_library("/root/.pyenv/versions/3.6.15/lib/python3.6/asyncio/"
		       "base_events.py",
		       true);
	expect_library("/usr/lib64/python3.9/json/decoder.py", true);
	expect_library("/usr/lib/python3/dist-packages/aiohttp/client.py",
		       true);
	expect_library("/opt/pypy/lib/pypy3.10/asyncio/tasks.py", true);
	expect_library("/usr/local/lib/python3.13t/threading.py", true);
	expect_library("C:\\Python312\\Lib\\asyncio\\events.py", true);
	expect_library("C:\\Users\\me\\AppData\\Local\\Programs\\Python\\"
		       "Python311\\lib\\json\\decoder.py",
		       true);
	expect_library("C:\\ProgramData\\Anaconda3\\Lib\\asyncio\\tasks.py",
		       true);
	expect_library("C:\\Users\\me\\miniconda3\\LIB\\socket.py", true);
	expect_library("<frozen importlib._bootstrap>", true);
	expect_library("<frozen runpy>", true);
}

Test(classify, installed_packages_are_library_code)
{
	expect_library("/srv/app/.venv/lib/python3.11/site-packages/httpx/"
		       "_client.py",
		       true);
	expect_library("/home/u/.local/lib/python3.10/site-packages/aiohttp/"
		       "connector.py",
		       true);
	expect_library("/tmp/app/site-packages/httpkit/connector.py", true);
	expect_library("/usr/lib/python3.6/site-packages/foo-1.0-py3.6.egg/"
		       "foo/bar.py",
		       true);
	expect_library("C:\\proj\\.venv\\Lib\\site-packages\\aiohttp\\"
		       "client.py",
		       true);
	expect_library("/opt/conda/envs/svc/lib/python3.8/site-packages/"
		       "anyio/_backends/_asyncio.py",
		       true);
	expect_library("D:\\envs\\svc\\lib\\dist-packages\\x.py", true);
}

Test(classify, everything_else_is_application_code)
{
	expect_library("/tmp/app/culprit.py", false);
	expect_library("app/users.py", false);
	expect_library("culprit.py", false);
	expect_library("<string>", false);
	expect_library("<stdin>", false);
	expect_library("/home/u/python/lib/mymodule.py", false);
	expect_library("/srv/lib/python/app.py", false);
	expect_library("/srv/lib/python3.x/app.py", false);
	expect_library("/srv/mylib/python3.12/app.py", false);
	expect_library("/srv/app/site-packages.py", false);
	expect_library("/srv/build/bdist.linux-x86_64/egg/foo/bar.py", false);
	expect_library("C:\\work\\svc\\lib\\handlers.py", false);
	expect_library("C:\\Users\\me\\code\\Lib\\x.py", false);
	expect_library("/lib/python3.12", false);
}

static struct th_rules *frame_rules(const char *yaml)
{
	struct th_rules *r = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_buffer(r, "frames.yaml", yaml, strlen(yaml), &err),
		  "%s", err.message);
	return r;
}

Test(classify, rule_file_frame_patterns_extend_both_ways_application_wins)
{
	struct th_rules *r =
	    frame_rules("frames:\n"
			"  application: ['/site-packages/myservice/']\n"
			"  library: ['/vendor/', '<string>', "
			"'/site-packages/myservice/vendored/']\n");
	const char *svc = "C:\\venv\\Lib\\site-packages\\myservice\\api.py";
	cr_expect(!classify_frame_is_library(r, span(svc)), "%s", svc);
	cr_expect(!classify_frame_is_library(
	    r, span("/venv/lib/python3.12/site-packages/myservice/vendored/"
		    "x.py")));
	cr_expect(classify_frame_is_library(r, span("/srv/app/vendor/y.py")));
	cr_expect(classify_frame_is_library(r, span("<string>")));
	cr_expect(classify_frame_is_library(
	    r, span("/venv/lib/python3.12/site-packages/httpx/_client.py")));
	cr_expect(!classify_frame_is_library(r, span("/srv/app/main.py")));
	cr_expect(!classify_frame_is_library(NULL, span("/srv/app/main.py")));
	rules_free(r);
}

Test(classify, frame_patterns_must_be_lists_of_strings)
{
	const char *bad[] = {"frames: ['/x/']\n", "frames:\n  app: ['/x/']\n",
			     "frames:\n  library: '/x/'\n",
			     "frames:\n  library: ['']\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct th_rules *r = rules_new();
		struct th_error err = {0};
		cr_expect(!rules_load_buffer(r, "frames.yaml", bad[i],
					     strlen(bad[i]), &err),
			  "accepted: %s", bad[i]);
		rules_free(r);
	}
}

Test(classify, culprit_is_the_innermost_application_frame_of_the_last_tb)
{
	const char text[] =
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/old.py\", line 3, in first\n"
	    "KeyError: 'a'\n"
	    "\n"
	    "During handling of the above exception, another exception "
	    "occurred:\n"
	    "\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/prices.py\", line 88, in refresh\n"
	    "    return json.loads(body)\n"
	    "  File \"/usr/lib/python3.12/json/__init__.py\", line 346, in "
	    "loads\n"
	    "  File \"/usr/lib/python3.12/json/decoder.py\", line 353, in "
	    "raw_decode\n"
	    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 "
	    "(char 0)\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].culprit, "/srv/app/prices.py:88 in refresh");
	cr_expect_str_eq(got[0].coroutine, "refresh", "named after it");
	cr_expect_str_eq(got[0].message, "Expecting value: line 1 column 1 "
					 "(char 0)");
	const char lib_only[] =
	    "Traceback (most recent call last):\n"
	    "  File \"/v/lib/python3.11/site-packages/h/c.py\", line 9, in "
	    "get\n"
	    "  File \"/v/lib/python3.11/site-packages/h/d.py\", line 29, in "
	    "_connect\n"
	    "OSError: down\n";
	n = pipeline_run(lib_only, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(
	    got[0].culprit,
	    "/v/lib/python3.11/site-packages/h/d.py:29 in _connect");
	cr_expect_str_eq(got[0].coroutine, "_connect");
	n = pipeline_run("Task exception was never retrieved\n"
			 "future: <Task finished coro=<f() done, defined at "
			 "x.py:3> exception=TimeoutError()>\n",
			 NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].culprit, "-", "no traceback, no culprit");
}

/* A custom exception handler that logs asyncio's whole context dict on
 * one line: the task's repr follows "'future': " there. */
Test(classify, never_retrieved_context_dict_on_one_line_names_the_task)
{
	const char text[] =
	    "ERROR:shop:Unhandled asyncio error: {'message': 'Task exception "
	    "was never retrieved', 'exception': PermissionError('user 7: "
	    "token revoked'), 'future': <Task finished name='Task-2' "
	    "coro=<sync_user() done, defined at /srv/shop.py:48> "
	    "exception=PermissionError('user 7: token revoked')>}\n"
	    "INFO:shop:next\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].rule, "asyncio.exception-never-retrieved");
	cr_expect_str_eq(got[0].coroutine, "sync_user");
	cr_expect_str_eq(got[0].exception, "PermissionError");
	cr_expect_str_eq(got[0].task, "Task-2");
}

/* A SyntaxError names the bad source as '  File "PATH", line N' without
 * "in FUNC": that line is no frame, so the culprit stays the caller of
 * compile() or import (CPython 3.12's output). */
Test(classify, syntax_error_location_line_is_not_a_frame)
{
	const char text[] =
	    "ERROR:rules:plugin audit_plugin not loaded\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/rules.py\", line 62, in load_plugin\n"
	    "    return importlib.import_module(\"plugins.\" + name)\n"
	    "  File \"/usr/lib/python3.12/importlib/__init__.py\", line 90, "
	    "in import_module\n"
	    "  File \"<frozen importlib._bootstrap>\", line 1387, in "
	    "_gcd_import\n"
	    "  File \"/srv/app/plugins/audit_plugin.py\", line 6\n"
	    "    app.register(\"export\")\n"
	    "IndentationError: unexpected indent\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/rules.py\", line 58, in load_rule\n"
	    "    return compile(text, \"<string>\", \"eval\")\n"
	    "  File \"<string>\", line 1\n"
	    "    price >\n"
	    "           ^\n"
	    "SyntaxError: invalid syntax\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(got[0].coroutine, "load_plugin");
	cr_expect_str_eq(got[0].culprit, "/srv/app/rules.py:62 in load_plugin");
	cr_expect_str_eq(got[0].exception, "IndentationError");
	cr_expect_str_eq(got[1].coroutine, "load_rule");
	cr_expect_str_eq(got[1].exception, "SyntaxError");
}

/* Frames are classified from the innermost out, a window of the latest
 * at a time: an application frame far from the innermost one, or the
 * only one among many, is still the culprit. */
Test(classify, culprit_is_found_however_deep_in_the_stack)
{
	char text[4096] = "Traceback (most recent call last):\n";
	strcat(text, "  File \"/srv/app/main.py\", line 7, in main\n");
	strcat(text, "  File \"/srv/app/jobs.py\", line 12, in run_job\n");
	for (int i = 0; i < 20; i++) {
		char frame[128];
		snprintf(frame, sizeof frame,
			 "  File \"/usr/lib/python3.12/asyncio/f%d.py\", "
			 "line %d, in lib%d\n",
			 i, i + 1, i);
		strcat(text, frame);
	}
	strcat(text, "RuntimeError: deep\n");
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].culprit, "/srv/app/jobs.py:12 in run_job");
	cr_expect_str_eq(got[0].coroutine, "run_job");
	/* and an application frame among the innermost few */
	char *end = strstr(text, "RuntimeError");
	strcpy(end, "  File \"/srv/app/retry.py\", line 3, in again\n"
		    "  File \"/usr/lib/python3.12/json/decoder.py\", line 9, "
		    "in decode\n"
		    "RuntimeError: deep\n");
	n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].culprit, "/srv/app/retry.py:3 in again");
}

/* A group whose leaves fail inside the standard library, then a bare
 * _GatheringFuture (no coro=) and a callback, both failing in json. */
Test(classify, leaves_futures_and_callbacks_are_named_after_the_culprit)
{
	const char text[] =
	    "  + Exception Group Traceback (most recent call last):\n"
	    "  |   File \"/srv/app/main.py\", line 5, in main\n"
	    "  | ExceptionGroup: x (1 sub-exception)\n"
	    "  +-+---------------- 1 ----------------\n"
	    "    | Traceback (most recent call last):\n"
	    "    |   File \"/srv/app/feed.py\", line 12, in parse_feed\n"
	    "    |   File \"/usr/lib/python3.12/json/decoder.py\", line 353, "
	    "in raw_decode\n"
	    "    | json.decoder.JSONDecodeError: Expecting value\n"
	    "    +------------------------------------\n"
	    "_GatheringFuture exception was never retrieved\n"
	    "future: <_GatheringFuture finished exception=ValueError('v')>\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/items.py\", line 41, in parse_item\n"
	    "  File \"/usr/lib/python3.12/json/decoder.py\", line 353, in "
	    "raw_decode\n"
	    "ValueError: v\n"
	    "Exception in callback on_message('x')\n"
	    "handle: <Handle on_message('x')>\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/usr/lib/python3.12/asyncio/events.py\", line 84, in "
	    "_run\n"
	    "  File \"/srv/app/cb.py\", line 62, in on_message\n"
	    "  File \"/usr/lib/python3.12/json/decoder.py\", line 353, in "
	    "raw_decode\n"
	    "ValueError: w\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 3, "events: %zu", n);
	cr_expect_str_eq(got[0].rule, "python.exception-group");
	cr_expect_str_eq(got[0].coroutine, "parse_feed");
	cr_expect_str_eq(got[1].rule, "asyncio.exception-never-retrieved");
	cr_expect_str_eq(got[1].coroutine, "parse_item");
	cr_expect_str_eq(got[2].rule, "asyncio.exception-in-callback");
	cr_expect_str_eq(got[2].coroutine, "on_message");
}

/* ---- the grammar line by line (classify_parse on one event) ---------- */

static struct th_event parsed_event;
static struct th_parsed parsed;

/* Parses TEXT's lines as one event into `parsed`, with the default
 * rules; spans point into `parsed_event` until the next call. */
static void parse_text(const char *text)
{
	static struct th_rules *rules;
	static bool ready;
	if (!ready) {
		rules = rules_new();
		struct th_error err = {0};
		cr_assert(rules_load_path(rules, TH_TEST_PATTERNS_DIR, &err),
			  "%s", err.message);
		event_init(&parsed_event);
		ready = true;
	}
	event_reset(&parsed_event);
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		event_add_line(&parsed_event, (struct th_span){p, n});
		p += n + (nl != NULL);
	}
	classify_parse(&parsed_event, rules, &parsed);
}

/* S as a C string in one of a few static buffers; "-" for none. */
static const char *str(struct th_span s)
{
	static char bufs[4][512];
	static size_t next;
	char *b = bufs[next++ % 4];
	if (s.p == NULL)
		return "-";
	snprintf(b, sizeof bufs[0], "%.*s", (int)s.n, s.p);
	return b;
}

static const char *exception(void)
{
	return str(parsed.facts.value[TH_BUILTIN_EXCEPTION]);
}

Test(classify, frames_indented_with_tabs_are_frames)
{
	parse_text("Traceback (most recent call last):\n"
		   "\tFile \"/srv/app/a.py\", line 3, in outer\n"
		   " \t  File \"/usr/lib/python3.12/json/decoder.py\", line 9, "
		   "in decode\n"
		   "\t\traise ValueError(\"v\")\n"
		   "ValueError: v\n");
	cr_expect_str_eq(str(parsed.culprit.file), "/srv/app/a.py");
	cr_expect_str_eq(str(parsed.culprit.line), "3");
	cr_expect_str_eq(str(parsed.culprit.function), "outer");
	cr_expect_str_eq(exception(), "ValueError");
	cr_expect_str_eq(str(parsed.message), "v");
}

Test(classify, a_frame_line_must_be_indented)
{
	parse_text("Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in outer\n"
		   "File \"/srv/app/b.py\", line 4, in inner\n"
		   "    source line\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(str(parsed.culprit.function), "outer");
	cr_expect_str_eq(exception(), "KeyError");
	cr_expect_str_eq(str(parsed.message), "'k'");
}

Test(classify, odd_frame_lines_are_read_as_printed)
{
	parse_text("Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in <module>  \n"
		   "  File \"/srv/app/x.py\", line , in nothing\n"
		   "  File \"/srv/app/b.py\", line 12,in glued\n"
		   "  File \"/srv/app/c.py\n"
		   "RuntimeError\n");
	/* "line ," has no number, and the frame without ", in " has no
	 * function: neither is a frame */
	cr_expect_str_eq(str(parsed.culprit.file), "/srv/app/a.py");
	cr_expect_str_eq(str(parsed.culprit.function), "<module>");
	cr_expect_str_eq(exception(), "RuntimeError");
	cr_expect_str_eq(str(parsed.message), "-");
}

Test(classify, header_after_text_starts_a_traceback)
{
	parse_text("ERROR app: Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(exception(), "KeyError");
	cr_expect_str_eq(str(parsed.culprit.function), "f");
	cr_expect(!parsed.last_is_group);
}

Test(classify, group_header_after_text_opens_a_group)
{
	parse_text("push failed:   + Exception Group Traceback (most recent "
		   "call last):\n"
		   "  |   File \"/srv/app/m.py\", line 5, in main\n"
		   "  | ExceptionGroup: x (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    | \tFile \"/srv/app/v.py\", line 8, in check\n"
		   "    | ValueError: v\n"
		   "    +------------------------------------\n");
	cr_expect(parsed.last_is_group);
	cr_expect_str_eq(exception(), "ExceptionGroup");
	cr_expect_str_eq(str(parsed.culprit.function), "main");
	cr_assert_eq(parsed.n_leaves, 1);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "ValueError");
	cr_expect_str_eq(str(parsed.leaves[0].culprit.function), "check",
			 "a tab after the box margin indents a frame too");
}

Test(classify, boxes_three_deep_give_their_leaves)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  | ExceptionGroup: outer (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | ExceptionGroup: middle (1 sub-exception)\n"
		   "    +-+---------------- 1 ----------------\n"
		   "      | ExceptionGroup: inner (2 sub-exceptions)\n"
		   "      +-+---------------- 1 ----------------\n"
		   "        | Traceback (most recent call last):\n"
		   "        |   File \"/srv/app/deep.py\", line 4, in leaf\n"
		   "        | OSError: o\n"
		   "        +---------------- 2 ----------------\n"
		   "        | TypeError: t\n"
		   "        +------------------------------------\n");
	cr_assert_eq(parsed.n_leaves, 2);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "OSError");
	cr_expect_str_eq(str(parsed.leaves[0].culprit.function), "leaf");
	cr_expect_str_eq(str(parsed.leaves[1].exception), "TypeError");
	cr_expect_str_eq(str(parsed.leaves[1].message), "t");
}

/* The parse starts at the chain's last traceback header, found from the
 * end: what came before it counts only for its "Object created at"
 * frames. */
Test(classify, created_at_before_the_last_traceback_of_a_chain_counts)
{
	parse_text("source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  File \"/srv/app/boot.py\", line 7, in <module>\n"
		   "  File \"/srv/app/made.py\", line 12, in spawn\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in first\n"
		   "KeyError: 'k'\n"
		   "\n"
		   "During handling of the above exception, another exception "
		   "occurred:\n"
		   "\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/b.py\", line 4, in second\n"
		   "ValueError: v\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/made.py:12");
	cr_expect_str_eq(exception(), "ValueError");
	cr_expect_str_eq(str(parsed.culprit.function), "second");
}

Test(classify, created_at_after_the_last_header_wins_over_one_before)
{
	parse_text("Object created at (most recent call last):\n"
		   "  File \"/srv/app/early.py\", line 1, in e\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  File \"/srv/app/late.py\", line 2, in l\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/late.py:2");
}

Test(classify, a_header_after_text_in_created_at_frames_ends_them)
{
	parse_text("Object created at (most recent call last):\n"
		   "  File \"/srv/app/made.py\", line 1, in m\n"
		   "  log: Traceback (most recent call last):\n"
		   "  File \"/srv/app/not_created.py\", line 2, in n\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/made.py:1");
	cr_expect_str_eq(str(parsed.culprit.function), "n");
}

Test(classify, frames_before_the_last_traceback_in_the_tail_are_no_created_at)
{
	static char text[1000 * 64];
	size_t len = 0;
	for (int i = 0; i < TH_EVENT_HEAD_LINES; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"note %d\n", i);
	snprintf(text + len, sizeof text - len,
		 "Traceback (most recent call last):\n"
		 "  File \"/srv/app/a.py\", line 3, in first\n"
		 "KeyError: 'k'\n"
		 "Traceback (most recent call last):\n"
		 "  File \"/srv/app/b.py\", line 4, in second\n"
		 "ValueError: v\n");
	parse_text(text);
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]), "-");
	cr_expect_str_eq(str(parsed.culprit.function), "second");
}

Test(classify, a_group_before_the_last_traceback_leaves_no_leaves)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  | ExceptionGroup: x (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | ValueError: v\n"
		   "    +------------------------------------\n"
		   "\n"
		   "During handling of the above exception, another exception "
		   "occurred:\n"
		   "\n"
		   "ERROR app: Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "KeyError: 'k'\n");
	cr_expect(!parsed.last_is_group);
	cr_expect_eq(parsed.n_leaves, 0);
	cr_expect_str_eq(exception(), "KeyError");
}

/* Past TH_EVENT_HEAD_LINES an event keeps its last lines in a ring: the
 * innermost frame and the final line are there. */
Test(classify, lines_past_the_head_are_read)
{
	static char text[1000 * 64];
	size_t len = (size_t)snprintf(text, sizeof text,
				      "Traceback (most recent call last):\n");
	for (int i = 0; i < 999; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"  File \"/srv/app/a.py\", line %d, "
					"in f%d\n",
					i + 1, i);
	snprintf(text + len, sizeof text - len, "ValueError: deep\n");
	parse_text(text);
	cr_expect_str_eq(str(parsed.culprit.function), "f998");
	cr_expect_str_eq(exception(), "ValueError");
	cr_expect_str_eq(str(parsed.message), "deep");
}

/* Frame lines are parsed when the culprit is asked, from the innermost
 * out; a block keeps the last eight as they are and parses an older one
 * when it leaves them. TEXT's traceback: FRAMES frame lines, each "app"
 * (/srv/app/a.py), "lib" (a standard-library file), "bad" (a location
 * line without "in FUNC", no frame) or "wrap" (Sentry's wrapper
 * coroutine), named f<index>. */
static void parse_frames(const char *const *frames, size_t n)
{
	static char text[64 * 128];
	size_t len = (size_t)snprintf(text, sizeof text,
				      "Traceback (most recent call last):\n");
	for (size_t i = 0; i < n; i++) {
		const char *k = frames[i];
		char function[64];
		snprintf(function, sizeof function, "f%zu", i);
		if (strcmp(k, "bad") == 0)
			len +=
			    (size_t)snprintf(text + len, sizeof text - len,
					     "  File \"/srv/app/s.py\", line "
					     "%zu\n",
					     i + 1);
		else
			len += (size_t)snprintf(
			    text + len, sizeof text - len,
			    "  File \"%s\", line %zu, in %s\n    code()\n",
			    strcmp(k, "lib") == 0
				? "/usr/lib/python3.12/asyncio/tasks.py"
				: "/srv/app/a.py",
			    i + 1,
			    strcmp(k, "wrap") == 0
				? "_coro_creating_hub_and_span"
				: function);
	}
	snprintf(text + len, sizeof text - len, "ValueError: v\n");
	parse_text(text);
}

#define PARSE_FRAMES(...)                                                      \
	do {                                                                   \
		static const char *const fr_[] = {__VA_ARGS__};                \
		parse_frames(fr_, sizeof fr_ / sizeof fr_[0]);                 \
	} while (0)

Test(classify, an_application_frame_before_the_last_eight_is_the_culprit)
{
	PARSE_FRAMES("lib", "app", "lib", "lib", "lib", "lib", "lib", "lib",
		     "lib", "lib", "lib", "lib");
	cr_expect_str_eq(str(parsed.culprit.function), "f1");
	cr_expect_str_eq(str(parsed.culprit.line), "2");
	PARSE_FRAMES("app", "app", "bad", "lib", "app", "lib", "lib", "lib",
		     "lib", "lib", "lib", "lib");
	cr_expect_str_eq(str(parsed.culprit.function), "f4");
}

Test(classify, the_innermost_frame_may_be_before_the_last_eight_lines)
{
	/* location lines are no frames: the innermost frame is older */
	PARSE_FRAMES("lib", "lib", "bad", "bad", "bad", "bad", "bad", "bad",
		     "bad", "bad", "bad");
	cr_expect_str_eq(str(parsed.culprit.function), "f1");
	cr_expect_str_eq(str(parsed.culprit.file),
			 "/usr/lib/python3.12/asyncio/tasks.py");
	PARSE_FRAMES("bad", "bad", "bad", "bad", "bad", "bad", "bad", "bad",
		     "bad", "bad");
	cr_expect_str_eq(str(parsed.culprit.file), "-");
}

Test(classify, the_frame_below_the_last_wrapper_is_found_anywhere)
{
	PARSE_FRAMES("app", "wrap", "app", "app");
	cr_expect_str_eq(str(parsed.below_wrapper), "f2");
	PARSE_FRAMES("app", "wrap", "app", "wrap", "bad", "app", "app");
	cr_expect_str_eq(str(parsed.below_wrapper), "f5");
	PARSE_FRAMES("app", "app", "wrap");
	cr_expect_str_eq(str(parsed.below_wrapper), "-", "nothing below it");
	/* before the last eight frame lines, and on their edge */
	PARSE_FRAMES("wrap", "app", "app", "app", "app", "app", "app", "app",
		     "app", "app", "app", "app");
	cr_expect_str_eq(str(parsed.below_wrapper), "f1");
	PARSE_FRAMES("app", "wrap", "app", "app", "app", "app", "app", "app",
		     "app", "app");
	cr_expect_str_eq(str(parsed.below_wrapper), "f2");
	PARSE_FRAMES("app", "wrap", "bad", "app", "app", "app", "app", "app",
		     "app", "app", "app");
	cr_expect_str_eq(str(parsed.below_wrapper), "f3");
	PARSE_FRAMES("wrap", "app", "wrap", "app", "app", "app", "app", "app",
		     "app", "app", "app", "app", "app");
	cr_expect_str_eq(str(parsed.below_wrapper), "f3");
}

/* Library verdicts are remembered per path (256 of them): many distinct
 * paths, each seen in several events, evict each other, and each event
 * still gets its own culprit. */
Test(classify, remembered_library_verdicts_follow_their_paths)
{
	static char text[GOT_MAX * 256];
	size_t len = 0;
	for (int i = 0; i < GOT_MAX; i++)
		len += (size_t)snprintf(
		    text + len, sizeof text - len,
		    "Traceback (most recent call last):\n"
		    "  File \"/srv/app/m%d.py\", line %d, in f%d\n"
		    "  File \"/usr/lib/python3.12/x/m%d.py\", line 9, in lib\n"
		    "  File \"/srv/app/%s/site-packages/m%d.py\", line 9, in "
		    "dep\n"
		    "ValueError: v\n",
		    i % 40, i + 1, i, i % 50, i % 2 ? "venv" : "lib", i % 30);
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, GOT_MAX);
	for (int i = 0; i < GOT_MAX; i++) {
		char want[128];
		snprintf(want, sizeof want, "/srv/app/m%d.py:%d in f%d", i % 40,
			 i + 1, i);
		cr_expect_str_eq(got[i].culprit, want, "event %d", i);
	}
}

/* ---- shapes around the fast paths (classify.c reads a frame's line
 * number eight bytes a step, a type four bytes a step, and dispatches a
 * line on its first byte) -------------------------------------------- */

/* A created-at frame keeps its line number whatever follows it, so it
 * shows where the number's digits end: after every count of digits, with
 * every kind of byte right after them and every length of text after
 * that (the eight-byte step, its last partial step and the byte loop). */
Test(classify, frame_line_numbers_end_at_their_last_digit)
{
	static const char *const after[] = {"",	    ":", "/", "\x80", "\xb9",
					    "\xff", " ", ",", "a",    "\t"};
	char text[512], want[64];
	for (size_t digits = 1; digits <= 17; digits++) {
		char number[32];
		for (size_t i = 0; i < digits; i++)
			number[i] = (char)('0' + (i * 7 + 3) % 10);
		number[digits] = '\0';
		for (size_t a = 0; a < sizeof after / sizeof *after; a++) {
			for (size_t pad = 0; pad <= 9; pad++) {
				snprintf(text, sizeof text,
					 "source_traceback: Object created at "
					 "(most recent call last):\n"
					 "  File \"c.py\", line %s%s%.*s\n",
					 number, after[a], (int)pad,
					 "xxxxxxxxx");
				parse_text(text);
				snprintf(want, sizeof want, "c.py:%s", number);
				cr_expect_str_eq(
				    str(parsed.facts
					    .value[TH_BUILTIN_CREATED_AT]),
				    want, "%zu digits, then '%s' and %zu bytes",
				    digits, after[a], pad);
			}
		}
	}
}

/* A frame of each shape the fixed form may be cut to or bent into. */
Test(classify, frame_lines_cut_short_or_bent_are_no_frames)
{
	static const char *const odd[] = {
	    "  File \"",
	    "  File \"/srv/app/z.py",
	    "  File \"/srv/app/z.py\"",
	    "  File \"/srv/app/z.py\", li",
	    "  File \"/srv/app/z.py\", line ",
	    "  File \"/srv/app/z.py\", line 12",
	    "  File \"/srv/app/z.py\", line 12,",
	    "  File \"/srv/app/z.py\", line 12, in",
	    "  File \"/srv/app/z.py\", line 12, in ",
	    "  File \"/srv/app/z.py\", line x12, in late",
	    "  File /srv/app/z.py, line 12, in unquoted",
	    "  Fil \"/srv/app/z.py\", line 12, in short",
	};
	char text[512];
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		snprintf(text, sizeof text,
			 "Traceback (most recent call last):\n"
			 "  File \"/srv/app/a.py\", line 3, in outer\n"
			 "%s\n"
			 "KeyError: 'k'\n",
			 odd[i]);
		parse_text(text);
		cr_expect_str_eq(str(parsed.culprit.function), "outer",
				 "after '%s'", odd[i]);
		cr_expect_str_eq(exception(), "KeyError", "after '%s'", odd[i]);
	}
}

/* A log written with CRLF keeps the CR on every line: the header and a
 * frame are still read, and the CR stays part of the function (and the
 * message drops it), as they were. */
Test(classify, crlf_lines_are_read_with_their_cr)
{
	parse_text("Traceback (most recent call last):\r\n"
		   "  File \"/srv/app/a.py\", line 31, in handle\r\n"
		   "    raise KeyError('k')\r\n"
		   "KeyError: 'k'\r\n");
	cr_expect_str_eq(str(parsed.culprit.file), "/srv/app/a.py");
	cr_expect_str_eq(str(parsed.culprit.line), "31");
	cr_expect_str_eq(str(parsed.culprit.function), "handle\r");
	cr_expect_str_eq(exception(), "KeyError");
	cr_expect_str_eq(str(parsed.message), "'k'");
}

/* A path of hundreds of bytes is the frame's file, whole. */
Test(classify, a_very_long_path_is_read_whole)
{
	char path[400], text[700];
	for (size_t i = 0; i + 1 < sizeof path; i++)
		path[i] = i % 9 == 0 ? '/' : (char)('a' + i % 26);
	path[sizeof path - 1] = '\0';
	snprintf(text, sizeof text,
		 "Traceback (most recent call last):\n"
		 "  File \"%s\", line 4096, in deep\n"
		 "ValueError: v\n",
		 path);
	parse_text(text);
	cr_expect_str_eq(str(parsed.culprit.file), path);
	cr_expect_str_eq(str(parsed.culprit.line), "4096");
	cr_expect_str_eq(str(parsed.culprit.function), "deep");
}

/* Lines of blanks only, a line that starts with a tab, a source line
 * that starts with 'F', and an empty line among created-at frames: each
 * takes the path its first byte chooses, and none is a frame. */
Test(classify, lines_are_told_apart_by_their_first_byte)
{
	parse_text("source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  File \"c.py\", line 7, in <module>\n"
		   "\n"
		   "  File \"late.py\", line 8, in after_the_end\n"
		   "Traceback (most recent call last):\n"
		   "    \n"
		   "\t\n"
		   "  File \"/srv/app/a.py\", line 3, in outer\n"
		   "    Foo(1)\n"
		   "\tFile \"/srv/app/b.py\", line 4, in inner\n"
		   "      File = 2\n"
		   "ValueError: v\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "c.py:7");
	cr_expect_str_eq(str(parsed.culprit.file), "/srv/app/b.py");
	cr_expect_str_eq(str(parsed.culprit.function), "inner");
	cr_expect_str_eq(exception(), "ValueError");
}

/* Types of every length around the four-byte step, and a byte that
 * ends a type at every place of it. */
Test(classify, types_of_every_length_end_where_their_bytes_do)
{
	char line[64];
	for (size_t n = 1; n <= 40; n++) {
		for (size_t i = 0; i < n; i++)
			line[i] = i == 0 ? 'E' : (char)('a' + i % 26);
		memcpy(line + n, ": m", 4);
		struct th_span t = classify_exception_type(span(line));
		cr_expect_eq(t.p ? t.n : 0, n, "type of %zu bytes", n);
		for (size_t at = 1; at < n; at++) {
			char saved = line[at];
			line[at] = ':';
			t = classify_exception_type(span(line));
			cr_expect_eq(t.p ? t.n : 0, at, "':' at %zu of %zu", at,
				     n);
			line[at] = ' ';
			t = classify_exception_type(span(line));
			cr_expect(t.p == NULL, "' ' at %zu of %zu", at, n);
			line[at] = saved;
		}
	}
}

/* A frame line's indentation is read by its first word when it can be:
 * every indentation, short or past a word, with or without a tab, gives
 * the same frame; a short indented line is no frame. */
Test(classify, frames_at_every_indentation_are_frames)
{
	char text[256];
	for (size_t k = 1; k <= 12; k++) {
		for (int tab = 0; tab < 2; tab++) {
			snprintf(text, sizeof text,
				 "Traceback (most recent call last):\n"
				 "%*s%sFile \"/srv/app/a.py\", line 3, in f\n"
				 "  x\n"
				 " \n"
				 "KeyError: 'k'\n",
				 (int)k, "", tab ? "\t" : "");
			parse_text(text);
			cr_expect_str_eq(str(parsed.culprit.function), "f",
					 "%zu spaces, tab %d", k, tab);
			cr_expect_str_eq(exception(), "KeyError");
		}
	}
}

/* The "Object created at" frames before the last header: the last block
 * of them counts, wherever other lines put it. */
Test(classify, the_last_created_at_block_before_the_last_header_counts)
{
	parse_text("x\n"
		   "Object created at (most recent call last):\n"
		   "  File \"/srv/app/early.py\", line 1, in e\n"
		   "\n"
		   "some text\n"
		   "other: Object created at (most recent call last):\n"
		   "  File \"/srv/app/not.py\", line 2, in n\n"
		   "source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  File \"/srv/app/made.py\", line 12, in spawn\n"
		   "    spawn()\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/made.py:12");
	cr_expect_str_eq(str(parsed.culprit.function), "f");
}

/* An event longer than its head and tail: the chain's last header has
 * left the tail ring with every line led by 'T' after it, and the
 * header is looked for in the head (event_t_end); the frames kept in
 * the ring are still the last traceback's. Then the same with the
 * last line led by 'T' ("TimeoutError: ..."), from which the search
 * starts. */
Test(classify, a_last_header_that_left_the_tail_ring_is_found_in_the_head)
{
	for (int timeout_kept = 0; timeout_kept < 2; timeout_kept++) {
		static char
		    text[(TH_EVENT_HEAD_LINES + 3 * TH_EVENT_TAIL_LINES) * 64];
		size_t len = 0;
#define ADD(...)                                                               \
	len += (size_t)snprintf(text + len, sizeof text - len, __VA_ARGS__)
		/* two frames of a traceback, 2 * N lines */
#define FRAMES(from, n)                                                        \
	for (int i = (from); i < (from) + (n); i++)                            \
	ADD("  File \"/srv/app/deep.py\", line %d, in f%d\n    f()\n", i + 1, i)
		ADD("Object created at (most recent call last):\n"
		    "  File \"/srv/app/made.py\", line 12, in spawn\n"
		    "Traceback (most recent call last):\n");
		FRAMES(0, TH_EVENT_HEAD_LINES / 2 + 10);
		ADD("TypeError: first\n\nTraceback (most recent call last):\n");
		FRAMES(1000, TH_EVENT_TAIL_LINES / 2 + 10);
#undef FRAMES
		ADD("%s\n",
		    timeout_kept ? "TimeoutError: late" : "KeyError: 'k'");
#undef ADD
		parse_text(text);
		cr_assert_gt(parsed_event.skipped, 0);
		cr_expect_eq(event_t_end(&parsed_event),
			     timeout_kept ? event_line_count(&parsed_event)
					  : TH_EVENT_HEAD_LINES);
		cr_expect_str_eq(exception(),
				 timeout_kept ? "TimeoutError" : "KeyError");
		cr_expect_str_eq(str(parsed.culprit.function), "f1109");
		cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
				 "/srv/app/made.py:12");
	}
}

/* Created-at frame lines are parsed from the last one back (a window of
 * them, the ones pushed out parsed as they go): the last line that is a
 * frame counts, however many 'File "' lines that are none follow it. */
Test(classify, the_last_created_at_line_that_is_a_frame_counts)
{
	char text[4096];
	size_t w = (size_t)snprintf(
	    text, sizeof text,
	    "source_traceback: Object created at (most recent call last):\n");
	for (int i = 1; i <= 12; i++)
		w += (size_t)snprintf(text + w, sizeof text - w,
				      "  File \"/srv/app/f%d.py\", line %d, in "
				      "f\n    f()\n",
				      i, i);
	/* the frame of the window's oldest line, and lines that only look
	 * like frames after it */
	for (int i = 0; i < 20; i++)
		w += (size_t)snprintf(text + w, sizeof text - w,
				      "  File \"/srv/app/no%d.py\", line x\n",
				      i);
	snprintf(text + w, sizeof text - w,
		 "Traceback (most recent call last):\n"
		 "  File \"/srv/app/a.py\", line 3, in f\n"
		 "KeyError: 'k'\n");
	parse_text(text);
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/f12.py:12");
}

Test(classify, the_last_of_many_created_at_frames_counts)
{
	char text[4096];
	size_t w = (size_t)snprintf(
	    text, sizeof text,
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/a.py\", line 3, in f\n"
	    "source_traceback: Object created at (most recent call last):\n");
	for (int i = 1; i <= 19; i++)
		w += (size_t)snprintf(text + w, sizeof text - w,
				      "  File \"/srv/app/f%d.py\", line %d, in "
				      "f\n    f()\n",
				      i, 100 + i);
	snprintf(text + w, sizeof text - w,
		 "  File \"/srv/app/odd.py\", line \nKeyError: 'k'\n");
	parse_text(text);
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/f19.py:119");
	cr_expect_str_eq(exception(), "KeyError");
}

/* Created-at frames are read from the last line of their block back:
 * a later block whose 'File "' lines are no frames leaves the frame of
 * the block before it. */
Test(classify, a_later_created_at_block_without_a_frame_leaves_the_earlier)
{
	parse_text("Object created at (most recent call last):\n"
		   "  File \"/srv/app/made.py\", line 12, in spawn\n"
		   "    spawn()\n"
		   "\n"
		   "source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  File \"/srv/app/bad.py\", line x\n"
		   "    File \"/srv/app/worse.py\" line 3, in w\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/made.py:12");
	cr_expect_str_eq(str(parsed.culprit.function), "f");
}

/* A group's header after text, indented, does not end created-at frames
 * (it is an indented line that is no frame), a traceback's does; a new
 * "Object created at" line starts a block of its own right after the
 * frames. */
Test(classify, created_at_blocks_end_only_where_a_line_is_not_indented)
{
	parse_text("Object created at (most recent call last):\n"
		   "  File \"/srv/app/one.py\", line 1, in a\n"
		   "  note:   + Exception Group Traceback (most recent call "
		   "last):\n"
		   "  File \"/srv/app/two.py\", line 2, in b\n"
		   "\t  code()\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/two.py:2");
	parse_text("source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  File \"/srv/app/one.py\", line 1, in a\n"
		   "Object created at (most recent call last):\n"
		   "\t File \"/srv/app/three.py\", line 3, in c\n"
		   "  File \"/srv/app/bad.py\", line x\n"
		   "    x = 1\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "KeyError: 'k'\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/three.py:3");
	/* an indented line that ends in a traceback header is that header */
	parse_text("Object created at (most recent call last):\n"
		   "  File \"/srv/app/made.py\", line 1, in m\n"
		   "  log: Traceback (most recent call last):\n"
		   "  File \"/srv/app/not_created.py\", line 2, in n\n"
		   "KeyError: 'k'\n"
		   "Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in f\n"
		   "ValueError: v\n");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/made.py:1");
}

/* Created-at frames that run from the head's last line into the tail
 * ring: the tail's frame counts when it is one, else the head's. */
Test(classify, created_at_frames_from_the_head_into_the_tail)
{
	for (int tail_frame = 0; tail_frame < 2; tail_frame++) {
		static char text[(TH_EVENT_HEAD_LINES + 8) * 64];
		size_t len = 0;
		for (int i = 0; i < TH_EVENT_HEAD_LINES - 2; i++)
			len += (size_t)snprintf(text + len, sizeof text - len,
						"note %d\n", i);
		snprintf(text + len, sizeof text - len,
			 "Object created at (most recent call last):\n"
			 "  File \"/srv/app/made.py\", line 12, in spawn\n"
			 "  File \"/srv/app/tail.py\", line %s\n"
			 "Traceback (most recent call last):\n"
			 "  File \"/srv/app/a.py\", line 3, in f\n"
			 "KeyError: 'k'\n",
			 tail_frame ? "7, in t" : "x");
		parse_text(text);
		cr_assert_eq(parsed_event.n_head, TH_EVENT_HEAD_LINES);
		cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
				 tail_frame ? "/srv/app/tail.py:7"
					    : "/srv/app/made.py:12",
				 "tail frame %d", tail_frame);
	}
}

/* A box separator's numbered '+' is looked for at the separator's start
 * and two bytes on, and else searched for along the line. */
Test(classify, a_numbered_separator_is_found_along_its_line)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  | ExceptionGroup: outer (2 sub-exceptions)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    |   File \"/srv/app/v.py\", line 8, in check\n"
		   "    | ValueError: v\n"
		   "    +-+-+---------------- 2 ----------------\n"
		   "        | KeyError: 'k'\n"
		   "    +------------------------------------\n");
	/* sub-exception 2 opens at depth 4, under the group it makes of
	 * depth 3: the leaves are ended from the deepest out */
	cr_assert_eq(parsed.n_leaves, 2);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "KeyError");
	cr_expect_str_eq(str(parsed.leaves[1].exception), "ValueError");
	cr_expect_str_eq(str(parsed.leaves[1].culprit.function), "check");
}

/* Whether byte B may be in an exception type (classify.c's type_chars):
 * ASCII letters and digits, "_", ".", "<", ">", and every byte
 * from 0x80. */
static bool type_byte(unsigned b)
{
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	       (b >= '0' && b <= '9') || b == '_' || b == '.' || b == '<' ||
	       b == '>' || b >= 0x80;
}

/* Every byte at every place of a 48-byte line, the places a 16-byte step
 * and a 4-byte step read alike: a type byte leaves the type going to the
 * line's end, ':' ends it there, any other byte makes it none. */
Test(classify, every_byte_ends_a_type_or_not_at_every_place)
{
	char line[48];
	for (unsigned b = 0; b < 256; b++) {
		for (size_t at = 1; at < sizeof line; at++) {
			memset(line, 'x', sizeof line);
			line[0] = 'E';
			line[at] = (char)b;
			struct th_span t = classify_exception_type(
			    (struct th_span){line, sizeof line});
			size_t want = type_byte(b) ? sizeof line
				      : b == ':'   ? at
						   : 0;
			cr_expect_eq(t.p ? t.n : 0, want,
				     "byte 0x%02x at %zu: %zu", b, at,
				     t.p ? t.n : 0);
		}
	}
}

/* ---- paths the parse takes for speed --------------------------------- */

/* The parse starts at the last line that starts with a header: a header
 * after text later in the event is met by the parse, and forgets what
 * came before it as that first header did. */
Test(classify, a_header_after_text_after_the_last_header_ends_the_chain)
{
	parse_text("Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in first\n"
		   "KeyError: 'k'\n"
		   "\n"
		   "During handling of the above exception, another exception "
		   "occurred:\n"
		   "\n"
		   "worker 3: Traceback (most recent call last):\n"
		   "  File \"/srv/app/b.py\", line 4, in second\n"
		   "  File \"/usr/lib/python3.12/json/decoder.py\", line 9, "
		   "in decode\n"
		   "ValueError: v\n");
	cr_expect_str_eq(exception(), "ValueError");
	cr_expect_str_eq(str(parsed.message), "v");
	cr_expect_str_eq(str(parsed.culprit.function), "second");
	cr_expect_str_eq(str(parsed.culprit.line), "4");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]), "-");
}

Test(classify, a_group_between_the_last_header_and_a_later_one_has_no_leaves)
{
	parse_text("Traceback (most recent call last):\n"
		   "  File \"/srv/app/a.py\", line 3, in first\n"
		   "  + Exception Group Traceback (most recent call last):\n"
		   "  | ExceptionGroup: x (2 sub-exceptions)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | OSError: o\n"
		   "    +---------------- 2 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    |   File \"/srv/app/v.py\", line 8, in check\n"
		   "    | ValueError: v\n"
		   "ERROR app: Traceback (most recent call last):\n"
		   "  File \"/srv/app/b.py\", line 4, in second\n"
		   "KeyError: 'k'\n");
	cr_expect(!parsed.last_is_group);
	cr_expect_eq(parsed.n_leaves, 0);
	cr_expect_str_eq(exception(), "KeyError");
	cr_expect_str_eq(str(parsed.culprit.function), "second");
}

/* The created-at frames between the last header and a header after text
 * count when none follow that one, and lose to those that do. */
Test(classify, created_at_before_a_header_after_text_counts_until_a_later)
{
	static const char before[] =
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/a.py\", line 3, in first\n"
	    "source_traceback: Object created at (most recent call last):\n"
	    "  File \"/srv/app/boot.py\", line 7, in <module>\n"
	    "  File \"/srv/app/made.py\", line 12, in spawn\n"
	    "KeyError: 'k'\n"
	    "app: Traceback (most recent call last):\n"
	    "  File \"/srv/app/b.py\", line 4, in second\n";
	static char text[1024];
	snprintf(text, sizeof text, "%sValueError: v\n", before);
	parse_text(text);
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/made.py:12");
	cr_expect_str_eq(str(parsed.culprit.function), "second");
	snprintf(text, sizeof text,
		 "%sObject created at (most recent call last):\n"
		 "  File \"/srv/app/late.py\", line 2, in l\n"
		 "ValueError: v\n",
		 before);
	parse_text(text);
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/late.py:2");
	cr_expect_str_eq(exception(), "ValueError");
}

/* A "+-" line inside a box that is no separator, at the margin or
 * indented, is no line of the group's: the frames and final lines
 * around it are read as without it. */
Test(classify, a_box_line_that_is_no_separator_is_passed_over)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  |   File \"/srv/app/m.py\", line 5, in main\n"
		   "+-x\n"
		   "  +-- not a separator\n"
		   "  |   File \"/srv/app/n.py\", line 6, in inner\n"
		   "  | ExceptionGroup: x (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    |   File \"/srv/app/v.py\", line 8, in check\n"
		   "    +-- nor this\n"
		   "    | ValueError: v\n"
		   "    +------------------------------------\n");
	cr_expect(parsed.last_is_group);
	cr_expect_str_eq(exception(), "ExceptionGroup");
	cr_expect_str_eq(str(parsed.message), "x (1 sub-exception)");
	cr_expect_str_eq(str(parsed.culprit.function), "inner");
	cr_assert_eq(parsed.n_leaves, 1);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "ValueError");
	cr_expect_str_eq(str(parsed.leaves[0].message), "v");
	cr_expect_str_eq(str(parsed.leaves[0].culprit.function), "check");
}

/* The text at a box's margin is read for the block of its depth: a
 * header opens the block of a slot already reached, a final line ends
 * it, and "Exception Group Traceback" at the top level ends the chain
 * so far (its leaves are not the last traceback's). */
Test(classify, text_at_a_box_margin_is_read_for_its_depth)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  | ExceptionGroup: first (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | OSError: o\n"
		   "    +------------------------------------\n"
		   "  | \n"
		   "  | Exception Group Traceback (most recent call last):\n"
		   "  |   File \"/srv/app/m.py\", line 5, in main\n"
		   "  | ExceptionGroup: second (2 sub-exceptions)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | KeyError: 'k'\n"
		   "    +---------------- 2 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    |   File \"/srv/app/t.py\", line 2, in t\n"
		   "    | TypeError: t\n"
		   "    | Traceback (most recent call last):\n"
		   "    |   File \"/srv/app/u.py\", line 3, in u\n"
		   "    | UnicodeError: u\n"
		   "    +------------------------------------\n");
	cr_expect_str_eq(exception(), "ExceptionGroup");
	cr_expect_str_eq(str(parsed.message), "second (2 sub-exceptions)");
	cr_expect_str_eq(str(parsed.culprit.function), "main");
	cr_assert_eq(parsed.n_leaves, 2);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "KeyError");
	cr_expect_str_eq(str(parsed.leaves[1].exception), "UnicodeError",
			 "a slot's last traceback is its leaf");
	cr_expect_str_eq(str(parsed.leaves[1].culprit.function), "u");
}

/* Most box lines are read by their first 16 bytes (box_text16 in
 * classify.c); the others take the whole way, and both read a line the
 * same: a tab after the margin, text past those 16 bytes, a margin with
 * no space after it and a line shorter than 16 bytes. */
Test(classify, box_lines_past_the_16_byte_path_are_read_as_before)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  |   File \"/srv/app/m.py\", line 5, in main\n"
		   "  | ExceptionGroup: g (4 sub-exceptions)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    | \tFile \"/srv/app/tab.py\", line 1, in tabbed\n"
		   "    | ValueError: v\n"
		   "    +---------------- 2 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    |                 File \"/srv/app/deep.py\", line 2, "
		   "in deep\n"
		   "    | OSError: o\n"
		   "    +---------------- 3 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    |   File \"/srv/app/short.py\", line 3, in short\n"
		   "    |KeyError: k\n"
		   "    +---------------- 4 ----------------\n"
		   "    | E: e\n"
		   "    +------------------------------------\n");
	cr_expect(parsed.last_is_group);
	cr_expect_str_eq(str(parsed.culprit.function), "main");
	cr_assert_eq(parsed.n_leaves, 4);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "ValueError");
	cr_expect_str_eq(str(parsed.leaves[0].culprit.function), "tabbed");
	cr_expect_str_eq(str(parsed.leaves[1].exception), "OSError");
	cr_expect_str_eq(str(parsed.leaves[1].culprit.function), "deep");
	cr_expect_str_eq(str(parsed.leaves[2].exception), "KeyError");
	cr_expect_str_eq(str(parsed.leaves[2].message), "k");
	cr_expect_str_eq(str(parsed.leaves[2].culprit.function), "short");
	cr_expect_str_eq(str(parsed.leaves[3].exception), "E");
	cr_expect_str_eq(str(parsed.leaves[3].message), "e");
	cr_expect_str_eq(str(parsed.leaves[3].culprit.function), "-");
}

/* A group's header led by a tab is no box's: its '+' is not where the
 * box's margin is looked for. */
Test(classify, a_group_header_led_by_a_tab_opens_no_box)
{
	parse_text("\t+ Exception Group Traceback (most recent call last):\n"
		   "  |   File \"/srv/app/m.py\", line 5, in main\n"
		   "  | ExceptionGroup: g (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | ValueError: v\n"
		   "    +------------------------------------\n");
	cr_expect(!parsed.last_is_group);
	cr_expect_str_eq(exception(), "-");
	cr_expect_eq(parsed.n_leaves, 0);
}

/* An exception group's box lines are read in a loop of their own while
 * the top block is a group (box_lines in classify.c). A traceback header
 * at the top level of the box ends the group: the box lines after it are
 * no longer the group's, and an indented line that only looks like a
 * frame of the top block is passed over, as before the group. */
Test(classify, box_lines_stop_where_the_top_block_stops_being_a_group)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  |   File \"/srv/app/m.py\", line 5, in main\n"
		   "  | ExceptionGroup: g (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | ValueError: v\n"
		   "    +------------------------------------\n"
		   "  | Traceback (most recent call last):\n"
		   "  |   File \"/srv/app/late.py\", line 9, in late\n"
		   "  | KeyError: 'k'\n");
	cr_expect(!parsed.last_is_group);
	cr_expect_str_eq(exception(), "-", "box text of no group");
	cr_expect_str_eq(str(parsed.culprit.function), "-");
	cr_assert_eq(parsed.n_leaves, 1);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "ValueError");
}

/* Inside "Object created at" frames every indented line is one of them,
 * box lines too: the box loop is not entered until the frames end. */
Test(classify, box_lines_inside_created_at_frames_are_created_at_lines)
{
	parse_text("  + Exception Group Traceback (most recent call last):\n"
		   "  |   File \"/srv/app/m.py\", line 5, in main\n"
		   "source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  |   File \"/srv/app/hidden.py\", line 1, in hidden\n"
		   "  | ExceptionGroup: g (1 sub-exception)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | ValueError: v\n"
		   "    +------------------------------------\n");
	cr_expect(parsed.last_is_group);
	cr_expect_str_eq(str(parsed.culprit.function), "main");
	cr_expect_str_eq(exception(), "-");
	cr_expect_eq(parsed.n_leaves, 0);
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]), "-");
}

/* A box line at the margin's column 0 ends created-at frames and is
 * read as the box's; the box lines after it go to the box loop. */
Test(classify, a_box_line_at_column_0_ends_created_at_frames)
{
	parse_text("+ Exception Group Traceback (most recent call last):\n"
		   "|   File \"/srv/app/m.py\", line 5, in main\n"
		   "source_traceback: Object created at (most recent call "
		   "last):\n"
		   "  File \"/srv/app/made.py\", line 12, in spawn\n"
		   "| ExceptionGroup: g (2 sub-exceptions)\n"
		   "  +-+---------------- 1 ----------------\n"
		   "    | Traceback (most recent call last):\n"
		   "    |   File \"/srv/app/v.py\", line 8, in check\n"
		   "    | ValueError: v\n"
		   "    +---------------- 2 ----------------\n"
		   "    | KeyError: 'k'\n"
		   "    +------------------------------------\n");
	cr_expect(parsed.last_is_group);
	cr_expect_str_eq(exception(), "ExceptionGroup");
	cr_expect_str_eq(str(parsed.message), "g (2 sub-exceptions)");
	cr_expect_str_eq(str(parsed.culprit.function), "main");
	cr_expect_str_eq(str(parsed.facts.value[TH_BUILTIN_CREATED_AT]),
			 "/srv/app/made.py:12");
	cr_assert_eq(parsed.n_leaves, 2);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "ValueError");
	cr_expect_str_eq(str(parsed.leaves[0].culprit.function), "check");
	cr_expect_str_eq(str(parsed.leaves[1].exception), "KeyError");
}

/* A group whose box goes on past the event's head lines: the lines in
 * the tail ring are read with parse_line, which must take them as box
 * lines too. An empty line and a line that is no box line in the middle
 * leave the box loop and come back to it. */
Test(classify, box_lines_past_the_head_are_read_as_box_lines)
{
	static char text[600 * 64];
	size_t len = 0;
	for (int i = 0; i < 380; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"note %d\n", i);
	len += (size_t)snprintf(
	    text + len, sizeof text - len,
	    "  + Exception Group Traceback (most recent call last):\n"
	    "  |   File \"/srv/app/m.py\", line 5, in main\n"
	    "\n"
	    "  | ExceptionGroup: g (2 sub-exceptions)\n"
	    "  +-+---------------- 1 ----------------\n"
	    "    | Traceback (most recent call last):\n");
	for (int i = 0; i < 40; i++)
		len +=
		    (size_t)snprintf(text + len, sizeof text - len,
				     "    |   File \"/srv/app/a.py\", line %d, "
				     "in f%d\n"
				     "    |     f%d()\n",
				     i + 1, i, i + 1);
	snprintf(text + len, sizeof text - len,
		 "    | ValueError: deep\n"
		 "    +---------------- 2 ----------------\n"
		 "    | Traceback (most recent call last):\n"
		 "    |   File \"/srv/app/b.py\", line 7, in tail\n"
		 "    | KeyError: 'k'\n"
		 "    +------------------------------------\n");
	parse_text(text);
	cr_assert_gt(event_line_count(&parsed_event), 400);
	cr_expect(parsed.last_is_group);
	cr_expect_str_eq(exception(), "ExceptionGroup");
	cr_expect_str_eq(str(parsed.culprit.function), "main");
	cr_assert_eq(parsed.n_leaves, 2);
	cr_expect_str_eq(str(parsed.leaves[0].exception), "ValueError");
	cr_expect_str_eq(str(parsed.leaves[0].culprit.function), "f39");
	cr_expect_str_eq(str(parsed.leaves[1].exception), "KeyError");
	cr_expect_str_eq(str(parsed.leaves[1].culprit.function), "tail");
}
