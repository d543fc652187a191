/* test_assemble.c - where events start and end, on real CPython output. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "feed.h"
#include "pipeline.h"

static struct got got[GOT_MAX];

static const char logged_never_retrieved[] =
    "2026-11-26 11:02:01,300 INFO [app] starting\n"
    "2026-11-26 11:02:01,315 ERROR [asyncio] Task exception was never "
    "retrieved\n"
    "future: <Task finished name='Task-3' coro=<Client.fetch() done, "
    "defined at /tmp/py/nr.py:10> exception=ConnectionError('down')>\n"
    "Traceback (most recent call last):\n"
    "  File \"/tmp/py/nr.py\", line 12, in fetch\n"
    "    {}[\"k\"]\n"
    "    ~~^^^^^\n"
    "KeyError: 'k'\n"
    "\n"
    "The above exception was the direct cause of the following "
    "exception:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/tmp/py/nr.py\", line 14, in fetch\n"
    "    raise ConnectionError(\"down\") from e\n"
    "ConnectionError: down\n"
    "2026-11-26 11:02:01,320 INFO [app] next record\n";

Test(assemble, asyncio_message_and_chained_traceback_are_one_event)
{
	size_t n = pipeline_run(logged_never_retrieved, NULL, got);
	cr_assert_eq(n, 1, "events: %zu", n);
	cr_expect_str_eq(got[0].rule, "asyncio.exception-never-retrieved");
	cr_expect_eq(got[0].line, 2);
	cr_expect_eq(got[0].end_line, 15, "end_line %lu",
		     (unsigned long)got[0].end_line);
	cr_expect(got[0].complete);
	cr_expect_str_eq(got[0].time, "2026-11-26T11:02:01.315");
}

Test(assemble, blank_line_not_followed_by_a_chain_ends_the_event_before_it)
{
	const char text[] = "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in <module>\n"
			    "    f()\n"
			    "ValueError: a\n"
			    "\n"
			    "done\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_eq(got[0].end_line, 4);
	cr_expect(got[0].complete);
}

Test(assemble, traceback_cut_by_end_of_input_is_incomplete)
{
	const char text[] = "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in <module>\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect(!got[0].complete);
	cr_expect_str_eq(got[0].exception, "-");
	cr_expect_str_eq(got[0].coroutine, "<module>");
}

/* loguru's logger.exception with its defaults (backtrace and diagnose):
 * blank lines after the header, between frames and before the final
 * line, variables drawn under each frame, the catching frame marked
 * "> File". Made by gen/samples/loguru_handlers.py. */
static const char loguru_spaced[] =
    "2026-12-06 10:25:23.573 | ERROR    | __main__:sync_rates:95 - rate "
    "sync failed\n"
    "Traceback (most recent call last):\n"
    "\n"
    "  File \"/tmp/app/lg.py\", line 141, in <module>\n"
    "    asyncio.run(main())\n"
    "    \xe2\x94\x94 <function main at 0x7f0c>\n"
    "\n"
    "> File \"/tmp/app/lg.py\", line 93, in sync_rates\n"
    "    fetch_rates(url)\n"
    "    \xe2\x94\x94 <function fetch_rates at 0x7f0d>\n"
    "\n"
    "  File \"/tmp/app/lg.py\", line 88, in fetch_rates\n"
    "    raise ConnectionError(\"refused\")\n"
    "\n"
    "ConnectionError: refused\n"
    "2026-12-06 10:25:23.580 | INFO     | __main__:main:130 - done\n";

Test(assemble, loguru_spaced_frames_and_marked_frame_are_one_traceback)
{
	size_t n = pipeline_run(loguru_spaced, NULL, got);
	cr_assert_eq(n, 1, "events: %zu", n);
	cr_expect_eq(got[0].line, 1);
	cr_expect_eq(got[0].end_line, 15, "end_line %lu",
		     (unsigned long)got[0].end_line);
	cr_expect(got[0].complete);
	cr_expect_str_eq(got[0].exception, "ConnectionError");
	cr_expect_str_eq(got[0].message, "refused");
	cr_expect_str_eq(got[0].culprit, "/tmp/app/lg.py:88 in fetch_rates");
	cr_expect_str_eq(got[0].time, "2026-12-06T10:25:23.573");
	/* read as a file is, in bulk and line by line */
	cr_assert_eq(pipeline_run_read(loguru_spaced, false, got), 1);
	cr_expect_eq(got[0].end_line, 15);
	cr_expect_str_eq(got[0].culprit, "/tmp/app/lg.py:88 in fetch_rates");
	cr_assert_eq(pipeline_run_read(loguru_spaced, true, got), 1);
	cr_expect_eq(got[0].end_line, 15);
}

Test(assemble, marked_frame_is_a_frame_not_the_final_line)
{
	/* loguru with backtrace=True, diagnose=False: no blank lines */
	const char text[] = "Task exception was never retrieved\n"
			    "future: <Task finished name='Task-2' "
			    "coro=<push() done, defined at /a/m.py:5> "
			    "exception=TimeoutError('slow')>\n"
			    "Traceback (most recent call last):\n"
			    "> File \"/a/m.py\", line 7, in push\n"
			    "    raise TimeoutError(\"slow\")\n"
			    "TimeoutError: slow\n"
			    "2026-12-06 10:25:23,580 INFO [app] next\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_eq(got[0].end_line, 6);
	cr_expect(got[0].complete);
	cr_expect_str_eq(got[0].exception, "TimeoutError");
	cr_expect_str_eq(got[0].culprit, "/a/m.py:7 in push");
}

/* TEXT gives one event, ending at line END_LINE, COMPLETE or not. */
static void expect_one_event(const char *text, uint64_t end_line, bool complete)
{
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1, "events: %zu", n);
	cr_expect_eq(got[0].end_line, end_line, "end_line %lu",
		     (unsigned long)got[0].end_line);
	cr_expect_eq(got[0].complete, complete);
}

Test(assemble, blank_line_inside_cpython_frames_still_ends_the_traceback)
{
	/* only a blank line right after the header says the frames are
	 * spaced: CPython prints none, and a cut traceback stays cut */
	const char text[] = "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in <module>\n"
			    "\n"
			    "ValueError: a\n";
	expect_one_event(text, 2, false);
}

Test(assemble, spaced_frames_cut_by_a_record_are_incomplete)
{
	const char text[] = "Traceback (most recent call last):\n"
			    "\n"
			    "  File \"x.py\", line 1, in <module>\n"
			    "    f()\n"
			    "\n"
			    "2026-12-06 10:25:23,573 INFO [app] next\n";
	expect_one_event(text, 4, false);
}

Test(assemble, a_new_trigger_inside_a_traceback_starts_a_new_event)
{
	const char text[] = "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in <module>\n"
			    "Task was destroyed but it is pending!\n"
			    "task: <Task pending name='Task-4' coro=<slow() "
			    "running at x.py:5> wait_for=<Future pending>>\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 2, "events: %zu", n);
	cr_expect(!got[0].complete);
	cr_expect_str_eq(got[1].rule, "asyncio.task-destroyed-pending");
	cr_expect_str_eq(got[1].coroutine, "slow");
	cr_expect_eq(got[1].end_line, 4);
}

Test(assemble, multi_line_message_lines_stay_in_the_event)
{
	const char text[] = "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in <module>\n"
			    "ValueError: first line\n"
			    "second line of the message\n"
			    "INFO:app:a new record\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_eq(got[0].end_line, 4);
	cr_expect_str_eq(got[0].exception, "ValueError");
}

Test(assemble, only_a_lower_case_key_and_a_blank_make_a_context_line)
{
	/* asyncio's context lines are "key: value" with a key of lower
	 * case letters and '_': a name with a capital or a digit, or no
	 * blank after the ':', is a line of its own and ends the event. */
	static const struct {
		const char *line;
		uint64_t end_line;
	} cases[] = {
	    {"source_traceback: Object created at", 3},
	    {"Task2: pending", 2},
	    {"task2: pending", 2},
	    {"tasks:pending", 2},
	    {"ta.sk: pending", 2},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char text[512];
		snprintf(text, sizeof text,
			 "Task was destroyed but it is pending!\n"
			 "task: <Task pending name='Task-2' coro=<f()>>\n"
			 "%s\n"
			 "INFO:app:a new record\n",
			 cases[i].line);
		size_t n = pipeline_run(text, NULL, got);
		cr_assert_eq(n, 1, "%s: events %zu", cases[i].line, n);
		cr_expect_eq(got[0].end_line, cases[i].end_line,
			     "%s: end_line %lu", cases[i].line,
			     (unsigned long)got[0].end_line);
	}
}

Test(assemble, never_awaited_warning_takes_its_source_and_hint_lines)
{
	const char text[] =
	    "/tmp/py/nr.py:23: RuntimeWarning: coroutine 'slow' was never "
	    "awaited\n"
	    "  slow()\n"
	    "RuntimeWarning: Enable tracemalloc to get the object "
	    "allocation traceback\n"
	    "something else\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].rule, "asyncio.coroutine-never-awaited");
	cr_expect_str_eq(got[0].coroutine, "slow");
	cr_expect_eq(got[0].end_line, 3);
}

Test(assemble, two_tracebacks_back_to_back_are_two_events)
{
	const char text[] = "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 1, in f\n"
			    "ValueError\n"
			    "Traceback (most recent call last):\n"
			    "  File \"x.py\", line 2, in g\n"
			    "KeyError: 'k'\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(got[0].coroutine, "f");
	cr_expect_str_eq(got[0].exception, "ValueError");
	cr_expect_str_eq(got[1].coroutine, "g");
	cr_expect_str_eq(got[1].exception, "KeyError");
	cr_expect_eq(got[1].line, 4);
}

Test(assemble, interleaved_writers_give_two_whole_events)
{
	const char text[] =
	    "Nov 24 10:00:01 web-1 app[1]: Traceback (most recent call "
	    "last):\n"
	    "Nov 24 10:00:01 web-1 app[2]: Traceback (most recent call "
	    "last):\n"
	    "Nov 24 10:00:01 web-1 app[1]:   File \"a.py\", line 1, in f\n"
	    "Nov 24 10:00:01 web-1 app[2]:   File \"b.py\", line 1, in g\n"
	    "Nov 24 10:00:01 web-1 app[2]: KeyError: 'k'\n"
	    "Nov 24 10:00:01 web-1 app[1]: ValueError: v\n"
	    "Nov 24 10:00:02 web-1 app[1]: INFO:app:next\n"
	    "Nov 24 10:00:02 web-1 app[2]: INFO:app:next\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 2, "events: %zu", n);
	/* each ends when its own writer's next record starts */
	cr_expect_str_eq(got[0].coroutine, "f");
	cr_expect_str_eq(got[0].exception, "ValueError");
	cr_expect_str_eq(got[1].coroutine, "g");
	cr_expect_str_eq(got[1].exception, "KeyError");
	cr_expect(got[0].complete && got[1].complete);
}

/* Another writer's line between a record and its traceback (docker
 * compose, two pods in one kubectl stream): the traceback still takes
 * its writer's record, and its time. */
Test(assemble, a_record_takes_its_writers_traceback_across_other_writers)
{
	const char text[] =
	    "[pod/a/app] 2026-12-04 10:31:45,124 [ERROR] asyncio - Unhandled "
	    "exception in client_connected_cb\n"
	    "[pod/b/app] 2026-12-04 10:31:45,125 [INFO] web - GET /\n"
	    "[pod/a/app] transport: <_SelectorSocketTransport fd=8>\n"
	    "[pod/b/app] 2026-12-04 10:31:45,126 [INFO] web - GET /x\n"
	    "[pod/a/app] Traceback (most recent call last):\n"
	    "[pod/a/app]   File \"/srv/a.py\", line 86, in handle_client\n"
	    "[pod/a/app] ValueError: unexpected greeting\n"
	    "[pod/b/app] 2026-12-04 10:31:45,127 WARNING web - slow\n"
	    "[pod/b/app] 2026-12-04 10:31:45,128 INFO web - a\n"
	    "[pod/b/app] 2026-12-04 10:31:45,129 INFO web - b\n"
	    "[pod/b/app] 2026-12-04 10:31:45,130 INFO web - c\n"
	    "[pod/b/app] Traceback (most recent call last):\n"
	    "[pod/b/app]   File \"/srv/b.py\", line 9, in crash\n"
	    "[pod/b/app] KeyError: 'k'\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 2, "events: %zu", n);
	cr_expect_str_eq(got[0].coroutine, "handle_client");
	cr_expect_eq(got[0].line, 1);
	cr_expect_str_eq(got[0].time, "2026-12-04T10:31:45.124");
	/* an INFO record of its own writer came between: printed on its own */
	cr_expect_str_eq(got[1].coroutine, "crash");
	cr_expect_eq(got[1].line, 12);
	cr_expect_str_eq(got[1].time, "");
}

/* A JSON record carries its traceback inside it: a traceback printed
 * after one (print_exc(), the interpreter's crash) is an event of its own
 * without the record's time, whatever the record's level. */
Test(assemble, a_json_record_does_not_take_the_traceback_after_it)
{
	const char text[] =
	    "{\"event\": \"round 2\", \"level\": \"info\", \"timestamp\": "
	    "\"2026-12-04T11:10:13.007251Z\"}\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/b.py\", line 9, in crash\n"
	    "KeyError: 'k'\n"
	    "{\"event\": \"failed\", \"level\": \"error\", \"timestamp\": "
	    "\"2026-12-04T11:10:14.000000Z\"}\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/c.py\", line 3, in boom\n"
	    "ValueError: v\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 2, "events: %zu", n);
	cr_expect_eq(got[0].line, 2);
	cr_expect_str_eq(got[0].time, "");
	cr_expect_eq(got[1].line, 6);
	cr_expect_str_eq(got[1].time, "");
}

Test(assemble, json_log_record_holds_a_whole_event)
{
	const char text[] =
	    "{\"levelname\": \"ERROR\", \"name\": \"asyncio\", \"message\": "
	    "\"Task exception was never retrieved\\nfuture: <Task finished "
	    "name='Task-2' coro=<flaky() done, defined at x.py:3> "
	    "exception=ValueError('x')>\", \"exc_info\": \"Traceback (most "
	    "recent call last):\\n  File \\\"x.py\\\", line 4, in flaky\\n    "
	    "raise ValueError('x')\\nValueError: x\", \"asctime\": "
	    "\"2024-05-01 10:00:01,123\"}\n"
	    "{\"levelname\": \"INFO\", \"message\": \"next\"}\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].coroutine, "flaky");
	cr_expect_str_eq(got[0].exception, "ValueError");
	cr_expect_str_eq(got[0].task, "Task-2");
	cr_expect_eq(got[0].line, 1);
	cr_expect_eq(got[0].end_line, 1);
	cr_expect_str_eq(got[0].time, "2024-05-01T10:00:01.123");
}

/* tornado's LogFormatter indents every line after a record's first, the
 * traceback's too: the event takes the record and reads the traceback as
 * if it were not indented; the first line without the margin ends it. */
Test(assemble, an_indented_traceback_is_read_without_its_margin)
{
	const char text[] =
	    "[E 2026-12-03 16:06:20,903 app:113] Uncaught exception in "
	    "callback\n"
	    "    Traceback (most recent call last):\n"
	    "      File \"/srv/app.py\", line 111, in <module>\n"
	    "        on_reply({})\n"
	    "      File \"/srv/app.py\", line 76, in on_reply\n"
	    "        return msg[\"status\"]\n"
	    "    KeyError: 'status'\n"
	    "    \n"
	    "[I 2026-12-03 16:06:21,000 app:120] next record\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1, "events: %zu", n);
	cr_expect_eq(got[0].line, 1);
	cr_expect_eq(got[0].end_line, 7, "end_line %lu",
		     (unsigned long)got[0].end_line);
	cr_expect(got[0].complete);
	cr_expect_str_eq(got[0].coroutine, "on_reply");
	cr_expect_str_eq(got[0].exception, "KeyError");
	cr_expect_str_eq(got[0].message, "'status'");
	cr_expect_str_eq(got[0].culprit, "/srv/app.py:76 in on_reply");
	cr_expect_str_eq(got[0].time, "2026-12-03T16:06:20.903");
}

/* Only a header that blanks alone precede has a margin: after other text
 * the traceback's lines are not indented by it. */
Test(assemble, a_header_after_text_has_no_margin)
{
	const char text[] =
	    "push failed:   Traceback (most recent call last):\n"
	    "  File \"/srv/app.py\", line 5, in push\n"
	    "    send()\n"
	    "OSError: down\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1);
	cr_expect(got[0].complete);
	cr_expect_str_eq(got[0].exception, "OSError");
	cr_expect_str_eq(got[0].coroutine, "push");
}

/* An assembler of the default rules fed records directly, keeping what
 * it emits. */
struct kept {
	char text[1024];
	size_t len;    /* of the whole text */
	uint64_t hash; /* of the whole text (FNV-1a) */
	uint64_t line, end_line, end_offset;
	bool complete;
};

struct direct {
	struct th_rules *rules;
	struct th_matcher *matcher;
	struct th_trigger *trigger;
	struct th_assembler *a;
	struct kept ev[TH_MAX_SOURCES + 8];
	size_t n;
};

static void keep(void *ctx, struct th_event *ev)
{
	struct direct *d = ctx;
	cr_assert_lt(d->n, sizeof d->ev / sizeof *d->ev);
	struct kept *k = &d->ev[d->n++];
	static char whole[1 << 20];
	k->len = event_text(ev, whole, sizeof whole);
	cr_assert_lt(k->len, sizeof whole);
	k->hash = 14695981039346656037u;
	for (size_t i = 0; i < k->len; i++)
		k->hash = (k->hash ^ (unsigned char)whole[i]) * 1099511628211u;
	event_text(ev, k->text, sizeof k->text);
	k->line = ev->line;
	k->end_line = ev->end_line;
	k->end_offset = ev->end_offset;
	k->complete = ev->complete;
}

static void direct_open(struct direct *d)
{
	struct th_error err = {0};
	memset(d, 0, sizeof *d);
	d->rules = rules_new();
	cr_assert(rules_load_path(d->rules, TH_TEST_PATTERNS_DIR, &err), "%s",
		  err.message);
	cr_assert(rules_finish(d->rules, &err), "%s", err.message);
	d->matcher = matcher_new(d->rules);
	d->trigger = pipeline_trigger_new(d->rules, false);
	d->a = assembler_new(d->rules, d->matcher, d->trigger, keep, d);
}

static void direct_close(struct direct *d)
{
	assembler_free(d->a);
	trigger_free(d->trigger);
	matcher_free(d->matcher);
	rules_free(d->rules);
}

/* One input of LINES, line I written by writer SOURCES[I] (all 0 when
 * SOURCES is NULL). With BULK, an indented line goes to
 * assembler_add_indented where assembler_reads_indented allows, as
 * pipeline.c reads a file; else every line is a record. */
static void direct_input(struct direct *d, const char *const *lines, size_t n,
			 const uint32_t *sources, bool bulk)
{
	uint64_t offset = 0;
	assembler_begin_input(d->a, "test.log", 0);
	for (size_t i = 0; i < n; i++) {
		struct th_record rec = {.text = th_cstr(lines[i]),
					.number = i + 1,
					.offset = offset,
					.source = sources ? sources[i] : 0};
		rec.end_offset = offset += rec.text.n + 1;
		bool indented = rec.text.p[0] == ' ';
		if (bulk && indented &&
		    assembler_reads_indented(d->a, rec.source) &&
		    assembler_add_indented(d->a, rec.source, rec.text,
					   rec.number, rec.end_offset))
			continue;
		assembler_feed(d->a, &rec);
	}
	assembler_end_input(d->a);
}

/* Feeds LINES both ways (direct_input) and expects the same events. */
static void expect_bulk_as_each(const char *const *lines, size_t n,
				const uint32_t *sources, size_t events)
{
	struct direct bulk, each;
	direct_open(&bulk);
	direct_open(&each);
	direct_input(&bulk, lines, n, sources, true);
	direct_input(&each, lines, n, sources, false);
	cr_assert_eq(each.n, events, "events: %zu", each.n);
	cr_assert_eq(bulk.n, each.n, "events in bulk: %zu", bulk.n);
	for (size_t i = 0; i < each.n; i++) {
		cr_expect_str_eq(bulk.ev[i].text, each.ev[i].text, "event %zu",
				 i);
		cr_expect_eq(bulk.ev[i].line, each.ev[i].line, "event %zu", i);
		cr_expect_eq(bulk.ev[i].end_line, each.ev[i].end_line,
			     "event %zu", i);
		cr_expect_eq(bulk.ev[i].complete, each.ev[i].complete,
			     "event %zu", i);
	}
	direct_close(&bulk);
	direct_close(&each);
}

/* An event whose lines try the assembler's grammar: plain indented lines, a
 * source line with a 'T' where a header would start, two exception groups
 * with nested boxes, lines past a closed box. Fed line by line, in bulk
 * and in runs by the tests below, which must all give the same events. */
static const char *const group_event[] = {
    "Task exception was never retrieved",
    "future: <Task finished coro=<main() done> exception=Error()>",
    "  x = 1",
    "  Tasks = [spawn(i) for i in rng(8)]",
    "  y = 2",
    "  + Exception Group Traceback (most recent call last):",
    "  |   File \"app.py\", line 5, in main",
    "  | ExceptionGroup: two (2 sub-exceptions)",
    "  +-+---------------- 1 ----------------",
    "    | ValueError: thirty-seven bytes long",
    "    +---------------- 2 ----------------",
    "    | KeyError: 'b'",
    "          | a nested box's line, past a word of spaces",
    "          +------------------------------------",
    "    +------------------------------------",
    "    | a box line after the box closed",
    "    +------------------------------------",
    "  + Exception Group Traceback (most recent call last):",
    "  |   File \"app.py\", line 9, in again",
    "  | ExceptionGroup: one (1 sub-exception)",
    "  +-+---------------- 1 ----------------",
    "    | OSError: c",
    "    +------------------------------------",
    "done",
};

/* assembler_add_indented takes most lines without a full check (a
 * frame, a context's source line, a box line that does not close the
 * box); the lines it must leave to the full check are here: a source
 * line whose byte where a header would start is a 'T', a group header
 * indented under a message, a box line as long as the box's closing one,
 * a closing line past eight spaces, the closing line, a box line after
 * it, and the next group. */
Test(assemble, indented_lines_added_in_bulk_end_and_open_events_as_records_do)
{
	const char *const *lines = group_event;
	struct th_span t = th_cstr(lines[3]), box = th_cstr(lines[9] + 4);
	cr_assert_eq(t.p[t.n - 34], 'T', "a 'T' where a header would start");
	cr_assert_eq(box.n, 37, "a box line as long as the closing one");
	expect_bulk_as_each(lines, sizeof group_event / sizeof *group_event,
			    NULL, 2);
}

/* Two writers' tracebacks interleaved: an indented line of the writer
 * not fed last still goes to its own event. */
Test(assemble, indented_lines_of_two_writers_added_in_bulk_go_to_each_event)
{
	static const char *const lines[] = {
	    "Traceback (most recent call last):",
	    "Traceback (most recent call last):",
	    "  File \"a.py\", line 1, in f",
	    "  File \"b.py\", line 2, in g",
	    "    g()",
	    "    f()",
	    "KeyError: 'k'",
	    "ValueError: v",
	};
	static const uint32_t sources[] = {1, 2, 1, 2, 2, 1, 2, 1};
	expect_bulk_as_each(lines, sizeof lines / sizeof *lines, sources, 2);
}

/* A slot an input before used is not the writer's in the next input,
 * though it has its id: the event it opens there is closed and emitted
 * at the input's end. */
Test(assemble, a_writer_of_the_input_before_gets_a_slot_of_this_one)
{
	static const char *const first[] = {
	    "Traceback (most recent call last):",
	    "Traceback (most recent call last):",
	};
	static const uint32_t first_sources[] = {1, 2};
	static const char *const second[] = {
	    "Traceback (most recent call last):",
	    "  File \"b.py\", line 2, in g",
	    "KeyError: 'k'",
	};
	static const uint32_t second_sources[] = {2, 2, 2};
	struct direct d;
	direct_open(&d);
	direct_input(&d, first, 2, first_sources, true);
	cr_assert_eq(d.n, 2);
	direct_input(&d, second, 3, second_sources, true);
	cr_assert_eq(d.n, 3, "events: %zu", d.n);
	cr_expect(d.ev[2].complete);
	cr_expect_eq(d.ev[2].end_line, 3);
	direct_close(&d);
}

/* With a slot for every writer taken, a new writer takes the slot of the
 * one fed least recently, whose event ends there, cut off: not the
 * writer that opened the first event, as it was fed again since. */
Test(assemble, a_new_writer_takes_the_slot_of_the_one_fed_least_recently)
{
	static const char *lines[TH_MAX_SOURCES + 4];
	static uint32_t sources[TH_MAX_SOURCES + 4];
	size_t n = 0;
	for (uint32_t w = 0; w < TH_MAX_SOURCES; w++) {
		sources[n] = w;
		lines[n++] = "Traceback (most recent call last):";
	}
	static const uint32_t again[] = {5, 5, 0};
	for (size_t i = 0; i < 3; i++) {
		sources[n] = again[i];
		lines[n++] = "  File \"a.py\", line 1, in f";
	}
	sources[n] = TH_MAX_SOURCES;
	lines[n++] = "Traceback (most recent call last):";
	struct direct d;
	direct_open(&d);
	direct_input(&d, lines, n, sources, false);
	cr_assert_eq(d.n, TH_MAX_SOURCES + 1, "events: %zu", d.n);
	cr_expect_eq(d.ev[0].line, 2, "the event cut off is line %lu's",
		     (unsigned long)d.ev[0].line);
	cr_expect(!d.ev[0].complete);
	direct_close(&d);
}

/* Fills LINE with N lower-case letters that spell no word of a rule
 * (SEED varies them) and a NUL. */
static void letters(char *line, size_t n, size_t seed)
{
	for (size_t i = 0; i < n; i++)
		line[i] = (char)('a' + (i * 7 + seed) % 26);
	line[n] = '\0';
}

/* FNV-1a of N bytes at P, continuing from H, as keep() hashes. */
static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211u;
	return h;
}

/* A record's first two lines open the traceback that follows them, each
 * copied whole into the event (and cut to TH_EVENT_LINE_BYTES), at every
 * length from one byte to past the cut: the assembler copies them when
 * it reads them, before it knows a traceback follows. */
Test(assemble, a_records_lines_open_its_traceback_at_every_length)
{
	static const size_t lens[] = {1,
				      2,
				      7,
				      8,
				      15,
				      16,
				      17,
				      31,
				      32,
				      33,
				      63,
				      64,
				      65,
				      80,
				      127,
				      200,
				      TH_EVENT_LINE_BYTES - 1,
				      TH_EVENT_LINE_BYTES,
				      TH_EVENT_LINE_BYTES + 1,
				      TH_EVENT_LINE_BYTES + 100};
	static const char *const tb[] = {"Traceback (most recent call last):",
					 "  File \"a.py\", line 1, in f",
					 "ValueError: v"};
	static char first[TH_EVENT_LINE_BYTES + 128],
	    second[TH_EVENT_LINE_BYTES + 128];
	const size_t nl = sizeof lens / sizeof *lens;
	struct direct *d = calloc(1, sizeof *d);
	cr_assert_not_null(d);
	direct_open(d);
	assembler_begin_input(d->a, "test.log", 0);
	uint64_t number = 0;
	for (size_t i = 0; i < nl; i++) {
		size_t n1 = lens[i], n2 = lens[nl - 1 - i];
		letters(first, n1, i);
		letters(second, n2, i + 3);
		struct th_record rec = {.text = {first, n1},
					.number = ++number,
					.record_start = true};
		assembler_feed(d->a, &rec);
		rec = (struct th_record){.text = {second, n2},
					 .number = ++number};
		assembler_feed(d->a, &rec);
		for (size_t j = 0; j < 3; j++) {
			rec = (struct th_record){.text = th_cstr(tb[j]),
						 .number = ++number};
			assembler_feed(d->a, &rec);
		}
	}
	assembler_end_input(d->a);
	cr_assert_eq(d->n, nl, "events: %zu", d->n);
	for (size_t i = 0; i < nl; i++) {
		size_t n1 = lens[i] < TH_EVENT_LINE_BYTES ? lens[i]
							  : TH_EVENT_LINE_BYTES;
		size_t n2 = lens[nl - 1 - i] < TH_EVENT_LINE_BYTES
				? lens[nl - 1 - i]
				: TH_EVENT_LINE_BYTES;
		letters(first, n1, i);
		letters(second, n2, i + 3);
		uint64_t h = fnv(14695981039346656037u, first, n1);
		h = fnv(h, "\n", 1);
		h = fnv(h, second, n2);
		size_t len = n1 + n2 + 1;
		for (size_t j = 0; j < 3; j++) {
			h = fnv(h, "\n", 1);
			h = fnv(h, tb[j], strlen(tb[j]));
			len += 1 + strlen(tb[j]);
		}
		cr_expect_eq(d->ev[i].line, 5 * i + 1, "event %zu", i);
		cr_expect_eq(d->ev[i].len, len, "event %zu: %zu bytes", i,
			     d->ev[i].len);
		cr_expect_eq(d->ev[i].hash, h,
			     "event %zu (lines of %zu and %zu bytes): %.80s", i,
			     lens[i], lens[nl - 1 - i], d->ev[i].text);
	}
	direct_close(d);
	free(d);
}

/* The level words are whole words: a DEBUG record is printed on its own
 * like an INFO one, but "INFOS" or "XDEBUG" is no level, and a record
 * with one takes the traceback after it, and its time. */
Test(assemble,
     only_a_whole_info_or_debug_word_keeps_a_record_from_its_traceback)
{
	const char text[] =
	    "2026-12-04 10:31:45,124 DEBUG web - tick\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/a.py\", line 9, in crash\n"
	    "KeyError: 'a'\n"
	    "2026-12-04 10:31:45,125 ERROR web - INFOS XDEBUG lost\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/b.py\", line 9, in crash\n"
	    "KeyError: 'b'\n";
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 2, "events: %zu", n);
	cr_expect_eq(got[0].line, 2, "line %lu", (unsigned long)got[0].line);
	cr_expect_str_eq(got[0].time, "");
	cr_expect_eq(got[1].line, 5, "line %lu", (unsigned long)got[1].line);
	cr_expect_str_eq(got[1].time, "2026-12-04T10:31:45.125");
}

/* Feeds LINES (writer 0) as pipeline.c reads a window of them, with
 * RUNS: at an indented line where assembler_reads_indented allows, the
 * lines from it on go to assembler_add_indented_run from one buffer of
 * them all, each ended by "\n"; a line a run leaves goes to
 * assembler_add_indented (its text trimmed, as a record's is), else as a
 * record. Without RUNS, every line is a record. Returns the lines the
 * runs took. */
static size_t run_input(struct direct *d, const char *const *lines, size_t n,
			bool runs, bool avx2)
{
	static char buf[1 << 20];
	static size_t at[4096];
	cr_assert_lt(n, sizeof at / sizeof *at);
	size_t len = 0, taken = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(lines[i]);
		cr_assert_lt(len + k + 1, sizeof buf);
		at[i] = len;
		memcpy(buf + len, lines[i], k);
		len += k;
		buf[len++] = '\n';
	}
	at[n] = len;
	assembler_use_avx2(d->a, avx2);
	assembler_begin_input(d->a, "test.log", 0);
	for (size_t i = 0; i < n;) {
		struct th_record rec = {.text = th_trim_end(th_cstr(lines[i])),
					.number = i + 1,
					.offset = at[i],
					.end_offset = at[i + 1]};
		bool indented = lines[i][0] == ' ' || lines[i][0] == '\t';
		if (runs && indented && assembler_reads_indented(d->a, 0)) {
			uint64_t k;
			size_t used = assembler_add_indented_run(
			    d->a, 0, (struct th_span){buf + at[i], len - at[i]},
			    i + 1, at[i], &k);
			cr_assert_leq(k, n - i, "line %zu", i + 1);
			cr_assert_eq(used, at[i + k] - at[i],
				     "line %zu: %zu bytes for %lu lines", i + 1,
				     used, (unsigned long)k);
			if (k > 0) {
				taken += k;
				i += k;
				continue;
			}
			if (rec.text.n > 0 && assembler_add_indented(
						  d->a, 0, rec.text, rec.number,
						  rec.end_offset)) {
				i++;
				continue;
			}
		}
		assembler_feed(d->a, &rec);
		i++;
	}
	assembler_end_input(d->a);
	return taken;
}

/* Feeds LINES in runs, copied 16 bytes a step and 32 where the processor
 * has AVX2, and each as a record (run_input) and expects the same events,
 * whole; returns the lines the runs took (the same both ways). */
static size_t expect_runs_as_each(const char *const *lines, size_t n,
				  size_t events)
{
	struct direct each;
	direct_open(&each);
	cr_assert_eq(run_input(&each, lines, n, false, false), 0);
	cr_assert_eq(each.n, events, "events: %zu", each.n);
	size_t taken[2];
	for (int avx2 = 0; avx2 < 2; avx2++) {
		struct direct runs;
		direct_open(&runs);
		taken[avx2] = run_input(&runs, lines, n, true, avx2);
		cr_assert_eq(runs.n, each.n, "events in runs: %zu", runs.n);
		for (size_t i = 0; i < each.n; i++) {
			const struct kept *r = &runs.ev[i], *e = &each.ev[i];
			cr_expect_eq(r->len, e->len,
				     "event %zu: %zu bytes, %zu", i, r->len,
				     e->len);
			cr_expect_eq(r->hash, e->hash,
				     "event %zu: %s\nagainst\n%s", i, r->text,
				     e->text);
			cr_expect_eq(r->line, e->line, "event %zu", i);
			cr_expect_eq(r->end_line, e->end_line, "event %zu", i);
			cr_expect_eq(r->end_offset, e->end_offset, "event %zu",
				     i);
			cr_expect_eq(r->complete, e->complete, "event %zu", i);
		}
		direct_close(&runs);
	}
	direct_close(&each);
	cr_expect_eq(taken[0], taken[1]);
	return taken[0];
}

/* A box's lines taken in a run start its count of unboxed message lines
 * over, as each line fed would (assemble.c, step_group): 40 such lines
 * before the run and 40 after it stay in the event, where 80 in a row
 * would pass TH_MESSAGE_CONTINUATION_LINES and end it. */
Test(assemble, a_run_of_box_lines_starts_the_unboxed_line_count_over)
{
	static char text[80][32];
	static const char *lines[5 + 80 + 4 + 2];
	size_t n = 0;
	lines[n++] = "Task exception was never retrieved";
	lines[n++] =
	    "future: <Task finished coro=<main() done> exception=Error()>";
	lines[n++] = "  + Exception Group Traceback (most recent call last):";
	lines[n++] = "  |   File \"app.py\", line 5, in main";
	lines[n++] = "  | ExceptionGroup: two (2 sub-exceptions)";
	for (size_t i = 0; i < 80; i++) {
		snprintf(text[i], sizeof text[i], "and the message goes on %zu",
			 i);
		lines[n++] = text[i];
		if (i == 39) {
			lines[n++] = "  +-+---------------- 1 ----------------";
			lines[n++] = "    | ValueError: a value of some bytes";
			lines[n++] =
			    "    | and a second line of the box, longer";
		}
	}
	lines[n++] = "    +------------------------------------";
	lines[n++] = "done";
	cr_assert_eq(TH_MESSAGE_CONTINUATION_LINES, 50);
	size_t taken = expect_runs_as_each(lines, n, 1);
	/* the first two box lines, then the three after the message */
	cr_expect_eq(taken, 5, "lines taken in runs: %zu", taken);
}

/* Lines of every length from 1 to 150 bytes (a run copies 64 bytes a
 * step: lines end in every place of a step and across steps), led by a
 * space or a tab, some ending in blanks or "\r", and a blank one, which
 * ends the traceback; then 450 frames, past the lines an event's head
 * keeps, whose bytes outgrow the event's first store. */
Test(assemble, runs_of_indented_lines_give_the_events_of_each_line)
{
	static char text[2 + 150 + 450][160];
	static const char *lines[3 + 150 + 3 + 450 + 1];
	size_t n = 0, t = 0;
	lines[n++] = "Traceback (most recent call last):";
	for (size_t len = 2; len <= 150; len++) {
		char *l = text[t++];
		memset(l, 'a' + (char)(len % 26), len);
		l[0] = len % 7 == 0 ? '\t' : ' ';
		if (len > 3 && len % 5 == 0)
			l[len - 1] = ' ';
		if (len > 3 && len % 11 == 0)
			l[len - 1] = '\r';
		l[len] = '\0';
		lines[n++] = l;
	}
	lines[n++] = "ValueError: one";
	lines[n++] = "Traceback (most recent call last):";
	lines[n++] = "  File \"a.py\", line 1, in f";
	lines[n++] = "   \t ";
	lines[n++] = "Traceback (most recent call last):";
	for (size_t i = 0; i < 450; i++) {
		snprintf(text[t++], sizeof text[0],
			 "  File \"/usr/lib/python3.12/asyncio/%03zu.py\", "
			 "line %zu, in f%zu",
			 i, i * 7, i);
		lines[n++] = text[t - 1];
	}
	lines[n++] = "KeyError: 'k'";
	size_t taken = expect_runs_as_each(lines, n, 3);
	/* all but the six lines that are not a frame, the 51 frames past
	 * the head (TH_EVENT_HEAD_LINES), which go to the tail one by one,
	 * and a few where a store was too full for a step */
	cr_expect_geq(taken, n - 6 - 51 - 8, "lines taken in runs: %zu of %zu",
		      taken, n);
}

/* Runs stop where the lines must go one by one: the lines of the test
 * above (a message's source line with a 'T' where a header would start,
 * a group header under a message, box lines that close a box, a box
 * after the box closed, the next group), and the events stay those of
 * each line. */
Test(assemble, runs_stop_at_the_lines_an_event_decides_on)
{
	size_t taken = expect_runs_as_each(
	    group_event, sizeof group_event / sizeof *group_event, 2);
	cr_expect_gt(taken, 5, "lines taken in runs: %zu", taken);
}

/* A run takes whole lines up to the first one not led by a blank, and
 * the event ends where its last line ends. */
Test(assemble, a_run_takes_the_indented_lines_before_the_final_line)
{
	static const char frames[] =
	    "  File \"/srv/app/handlers/orders.py\", line 88, in handle\n"
	    "    return self.dispatch(request, *args, **kwargs)\n"
	    "  File \"/srv/app/models.py\", line 12, in save\n"
	    "    raise ValueError(\"bad\")\n"
	    "ValueError: bad\n"
	    "after\n"
	    "and more bytes so that a step can read past the final line\n";
	struct direct d;
	direct_open(&d);
	assembler_begin_input(d.a, "test.log", 0);
	struct th_record head = {
	    .text = th_cstr("Traceback (most recent call last):"),
	    .number = 1,
	    .end_offset = 35};
	assembler_feed(d.a, &head);
	cr_assert(assembler_reads_indented(d.a, 0));
	uint64_t k = 0;
	size_t used =
	    assembler_add_indented_run(d.a, 0, th_cstr(frames), 2, 35, &k);
	cr_expect_eq(k, 4, "lines: %lu", (unsigned long)k);
	cr_expect_eq(used,
		     (size_t)(strstr(frames, "\nValueError") + 1 - frames));
	cr_expect_eq(
	    assembler_add_indented_run(d.a, 1, th_cstr(frames), 2, 35, &k), 0,
	    "another writer's");
	cr_expect_eq(k, 0);
	assembler_end_input(d.a);
	cr_assert_eq(d.n, 1);
	cr_expect_eq(d.ev[0].end_line, 5);
	cr_expect_eq(d.ev[0].end_offset, 35 + used);
	cr_expect_str_eq(
	    d.ev[0].text,
	    "Traceback (most recent call last):\n"
	    "  File \"/srv/app/handlers/orders.py\", line 88, in handle\n"
	    "    return self.dispatch(request, *args, **kwargs)\n"
	    "  File \"/srv/app/models.py\", line 12, in save\n"
	    "    raise ValueError(\"bad\")");
	direct_close(&d);
}

/* What an assembler emitted, in order: whether each event was complete
 * and its first and last line. */
struct emitted {
	struct th_rules *rules;
	struct th_matcher *matcher;
	struct th_trigger *trigger;
	struct th_assembler *a;
	size_t n;
	bool complete[8192];
	uint64_t line[8192], end_line[8192];
};

static void note(void *ctx, struct th_event *ev)
{
	struct emitted *e = ctx;
	cr_assert_lt(e->n, sizeof e->complete / sizeof *e->complete);
	e->complete[e->n] = ev->complete;
	e->line[e->n] = ev->line;
	e->end_line[e->n++] = ev->end_line;
}

/* An assembler of the default rules and EXTRA_YAML's (when not NULL)
 * that notes what it emits. */
static struct emitted *emitted_open(const char *extra_yaml)
{
	static struct emitted e;
	struct th_error err = {0};
	memset(&e, 0, sizeof e);
	e.rules = rules_new();
	cr_assert(rules_load_path(e.rules, TH_TEST_PATTERNS_DIR, &err), "%s",
		  err.message);
	if (extra_yaml != NULL)
		cr_assert(rules_load_buffer(e.rules, "extra.yaml", extra_yaml,
					    strlen(extra_yaml), &err),
			  "%s", err.message);
	cr_assert(rules_finish(e.rules, &err), "%s", err.message);
	e.matcher = matcher_new(e.rules);
	e.trigger = pipeline_trigger_new(e.rules, false);
	e.a = assembler_new(e.rules, e.matcher, e.trigger, note, &e);
	return &e;
}

static void emitted_close(struct emitted *e)
{
	assembler_free(e->a);
	trigger_free(e->trigger);
	matcher_free(e->matcher);
	rules_free(e->rules);
}

/* Feeds a traceback of one frame whose final line is FINAL, as records
 * numbered from *NUMBER on. */
static void feed_traceback(struct th_assembler *a, const char *final,
			   uint64_t *number)
{
	const char *lines[] = {"Traceback (most recent call last):",
			       "  File \"app.py\", line 3, in main", final};
	for (size_t i = 0; i < 3; i++) {
		struct th_record rec = {.text = th_cstr(lines[i]),
					.number = ++*number};
		assembler_feed(a, &rec);
	}
}

/* A rule whose start line is its event, started by a literal short
 * enough for final lines of every length the cache keeps. */
static const char boom_yaml[] =
    "rules:\n  - {id: test.boom, body: line, start: 'Boom!'}\n";

/* What E emitted for PAIRS pairs of tracebacks fed by feed_traceback, the
 * first ended by a line with no literal, the second by one that starts
 * an event of boom_yaml's rule: each pair, a whole traceback, one cut
 * off by the line with the literal, and the event of that line alone. */
static void expect_pairs(const struct emitted *e, size_t pairs)
{
	cr_assert_eq(e->n, 3 * pairs, "events: %zu for %zu pairs", e->n, pairs);
	for (size_t i = 0; i < pairs; i++) {
		cr_expect(e->complete[3 * i], "pair %zu", i);
		cr_expect_eq(e->end_line[3 * i], 6 * i + 3, "pair %zu", i);
		cr_expect(!e->complete[3 * i + 1], "pair %zu", i);
		cr_expect_eq(e->line[3 * i + 2], 6 * i + 6, "pair %zu", i);
		cr_expect_eq(e->end_line[3 * i + 2], 6 * i + 6, "pair %zu", i);
	}
}

/* The assembler remembers the final lines that held no trigger literal
 * (assemble.c, final_may_start): one that differs from a remembered one
 * in a single byte, the byte that makes it hold a literal, with the same
 * length and the same bytes where the cache's hash looks, must still
 * start an event, at every length the cache keeps (8 to 127 bytes, those
 * around 63 too, where a slot's first cache line ends) and with that byte
 * at every place of the line; twice, the second time with the cache full
 * of the first time's lines. */
Test(assemble, a_final_line_one_byte_off_a_remembered_one_starts_an_event)
{
	static const char lit[] = "Boom!";
	static const size_t lens[] = {8,  9,  10, 11, 12, 13, 14,  15,	16,
				      17, 18, 19, 20, 27, 34, 41,  48,	55,
				      61, 62, 63, 64, 65, 90, 126, 127, 128};
	const size_t k = sizeof lit - 1;
	struct emitted *e = emitted_open(boom_yaml);
	uint64_t number = 0;
	size_t pairs = 0;
	assembler_begin_input(e->a, "test.log", 0);
	for (size_t round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
			for (size_t len = lens[i], at = 0; at + k <= len;
			     at += 3) {
				char line[136];
				memset(line, 'x', len);
				memcpy(line + at, lit, k);
				line[len] = '\0';
				/* the literal without its '!': none at all */
				line[at + k - 1] = '.';
				feed_traceback(e->a, line, &number);
				line[at + k - 1] = '!';
				feed_traceback(e->a, line, &number);
				pairs++;
			}
	assembler_end_input(e->a);
	expect_pairs(e, pairs);
	emitted_close(e);
}

/* A final line of fewer than 16 bytes is compared whole too: of 2,000
 * lines as long as "Boom!xxxxxxxx" and ending in its last eight bytes,
 * each fed right before it, some share its slot in the cache, and none
 * makes it a line without the literal. */
Test(assemble, a_short_final_line_is_compared_whole)
{
	struct emitted *e = emitted_open(boom_yaml);
	uint64_t number = 0;
	size_t pairs = 0;
	assembler_begin_input(e->a, "test.log", 0);
	for (size_t j = 0; j < 2000; j++) {
		char other[16];
		snprintf(other, sizeof other, "%05zuxxxxxxxx", j);
		feed_traceback(e->a, other, &number);
		feed_traceback(e->a, "Boom!xxxxxxxx", &number);
		pairs++;
	}
	assembler_end_input(e->a);
	expect_pairs(e, pairs);
	emitted_close(e);
}

/* A crash loop's final lines, the same few over and over, end each
 * traceback the first time and every time after (the cache answers for
 * them then), among others of every length around the cache's limits. */
Test(assemble, the_same_final_lines_end_their_tracebacks_every_time)
{
	struct emitted *e = emitted_open(NULL);
	uint64_t number = 0;
	size_t tracebacks = 0;
	assembler_begin_input(e->a, "test.log", 0);
	for (size_t round = 0; round < 3; round++)
		for (size_t len = 1; len <= 130; len++) {
			char line[160];
			snprintf(line, sizeof line, "ValueError: %zu", len);
			size_t n = strlen(line);
			memset(line + n, 'v', len > n ? len - n : 0);
			line[len > n ? len : n] = '\0';
			feed_traceback(e->a, line, &number);
			feed_traceback(
			    e->a, "KeyError: 'EUR' in the rate table", &number);
			tracebacks += 2;
		}
	assembler_end_input(e->a);
	cr_assert_eq(e->n, tracebacks, "events: %zu", e->n);
	for (size_t i = 0; i < e->n; i++) {
		cr_expect(e->complete[i], "traceback %zu", i);
		cr_expect_eq(e->line[i], 3 * i + 1, "traceback %zu", i);
		cr_expect_eq(e->end_line[i], 3 * i + 3, "traceback %zu", i);
	}
	emitted_close(e);
}

/* The lines of an asyncio report with a chain, then a traceback cut by a
 * blank line (CPython prints none inside its frames), for the test
 * below. */
static const char *const blank_test_lines[] = {
    "Task exception was never retrieved",
    "",
    "future: <Task finished coro=<main() done> exception=ValueError('x')>",
    "Traceback (most recent call last):",
    "  File \"a.py\", line 1, in main",
    "    await f()",
    "ValueError: x",
    "",
    "During handling of the above exception, another exception occurred:",
    "",
    "Traceback (most recent call last):",
    "  File \"b.py\", line 2, in g",
    "KeyError: 'k'",
    "",
    "",
    "Traceback (most recent call last):",
    "\t File \"c.py\", line 3, in h",
    "",
    "OSError: o",
    "next record",
};

/* A blank line is told by all its bytes, not by its length or its last
 * byte alone (the assembler tells a trimmed indented line by its last
 * byte), when records come untrimmed: blank lines of blanks and tabs,
 * and indented lines with blanks after their text, give the events
 * their trimmed lines give. */
Test(assemble, untrimmed_blank_and_indented_lines_end_events_as_trimmed_ones)
{
	static const char *const blanks[] = {" ", "\t", " \t  ", "\t\t"};
	static const char *const ends[] = {" ", "\t", " \t ", "  "};
	const size_t n = sizeof blank_test_lines / sizeof *blank_test_lines;
	static char
	    untrimmed[sizeof blank_test_lines / sizeof *blank_test_lines][128];
	const char *lines[sizeof blank_test_lines / sizeof *blank_test_lines];
	struct direct *trimmed = calloc(1, sizeof *trimmed);
	struct direct *loose = calloc(1, sizeof *loose);
	cr_assert(trimmed != NULL && loose != NULL);
	direct_open(trimmed);
	direct_input(trimmed, blank_test_lines, n, NULL, false);
	cr_assert_eq(trimmed->n, 2, "events: %zu", trimmed->n);
	cr_expect_eq(trimmed->ev[0].end_line, 13);
	cr_expect_eq(trimmed->ev[1].end_line, 17);
	cr_expect(!trimmed->ev[1].complete);
	for (size_t way = 0; way < 4; way++) {
		for (size_t i = 0; i < n; i++) {
			const char *l = blank_test_lines[i];
			if (l[0] == '\0')
				l = blanks[(i + way) % 4];
			else if (l[0] == ' ' || l[0] == '\t')
				l = strcat(strcpy(untrimmed[i], l),
					   ends[(i + way) % 4]);
			lines[i] = l;
		}
		direct_open(loose);
		direct_input(loose, lines, n, NULL, false);
		cr_assert_eq(loose->n, trimmed->n, "way %zu: events: %zu", way,
			     loose->n);
		for (size_t e = 0; e < trimmed->n; e++) {
			cr_expect_eq(loose->ev[e].line, trimmed->ev[e].line,
				     "way %zu, event %zu", way, e);
			cr_expect_eq(loose->ev[e].end_line,
				     trimmed->ev[e].end_line,
				     "way %zu, event %zu", way, e);
			cr_expect_eq(loose->ev[e].complete,
				     trimmed->ev[e].complete,
				     "way %zu, event %zu", way, e);
		}
		direct_close(loose);
	}
	direct_close(trimmed);
	free(trimmed);
	free(loose);
}
