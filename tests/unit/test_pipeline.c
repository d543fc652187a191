/* test_pipeline.c - the stages wired together: split lines still waiting
 * at the end of the input reach the assembler (issue 13). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "feed.h"
#include "input.h"
#include "lines.h"
#include "pipeline.h"
#include "rules.h"
#include "run.h"
#include "trigger.h"

/* A traceback whose last line is a CRI piece ("P") the rest never came to. */
static const char cri_cut[] =
    "2024-05-01T10:00:00.000000000Z stderr F Traceback (most recent call "
    "last):\n"
    "2024-05-01T10:00:00.000000000Z stderr F   File \"app.py\", line 3, in "
    "<module>\n"
    "2024-05-01T10:00:00.000000000Z stderr P ValueError: bo";

/* The same in Docker's json-file framing: the last entry has no "\n". */
static const char docker_cut[] =
    "{\"log\":\"Traceback (most recent call last):\\n\",\"stream\":"
    "\"stderr\",\"time\":\"2024-05-01T10:00:00.0Z\"}\n"
    "{\"log\":\"  File \\\"app.py\\\", line 3, in \\u003cmodule\\u003e\\n\","
    "\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:00.0Z\"}\n"
    "{\"log\":\"ValueError: bo\",\"stream\":\"stderr\",\"time\":"
    "\"2024-05-01T10:00:00.0Z\"}";

static void expect_cut_traceback(const char *text)
{
	struct got got[GOT_MAX];
	size_t n = pipeline_run(text, NULL, got);
	cr_assert_eq(n, 1, "%zu events from:\n%s", n, text);
	cr_expect_str_eq(got[0].rule, "python.traceback");
	cr_expect_str_eq(got[0].exception, "ValueError");
	cr_expect_str_eq(got[0].coroutine, "<module>");
	cr_expect_eq(got[0].line, 1);
	cr_expect_eq(got[0].end_line, 3);
}

Test(pipeline, a_cri_piece_left_waiting_at_the_end_ends_the_traceback)
{
	expect_cut_traceback(cri_cut);
}

Test(pipeline, a_docker_entry_without_newline_at_the_end_ends_the_traceback)
{
	expect_cut_traceback(docker_cut);
}

/* A Docker entry whose line has not ended (no "\n" in "log") is still
 * waiting for its rest when a range ends: cutting there would give the
 * rest to the next range, so the cut is unsafe even when an unframed
 * line came after it and no event is open. */
Test(pipeline, a_docker_piece_waiting_at_a_cut_makes_it_unsafe)
{
	static const char piece_then_plain[] =
	    "{\"log\":\"worker ready, wait\",\"stream\":\"stderr\","
	    "\"time\":\"2024-05-01T10:00:00.0Z\"}\n"
	    "a plain line\n";
	static const char whole_then_plain[] =
	    "{\"log\":\"worker ready\\n\",\"stream\":\"stderr\","
	    "\"time\":\"2024-05-01T10:00:00.0Z\"}\n"
	    "a plain line\n";
	static const char next[] = "2024-05-01 10:00:01,000 INFO starting";
	cr_expect(!pipeline_run_cut_safe(piece_then_plain, next));
	cr_expect(pipeline_run_cut_safe(whole_then_plain, next));
}

/* A container runtime's file is cut before a line that opens a log
 * record: the record ends the events open in its own writer, but an
 * event or a piece of a line open in the other writer would go on after
 * the cut, in the next range. */
static const char cri_traceback_in_stderr[] =
    "2024-05-01T10:00:00.0Z stderr F Traceback (most recent call last):\n"
    "2024-05-01T10:00:00.0Z stderr F   File \"a.py\", line 1, in f\n";
static const char cri_stderr_record[] =
    "2024-05-01T10:00:01.0Z stderr F 2024-05-01 10:00:01,000 INFO up";
static const char cri_stdout_record[] =
    "2024-05-01T10:00:01.0Z stdout F 2024-05-01 10:00:01,000 INFO up";

Test(pipeline, a_runtime_file_is_cut_safely_where_a_record_ends_its_writer)
{
	cr_expect(
	    pipeline_run_cut_safe(cri_traceback_in_stderr, cri_stderr_record),
	    "the stderr record ends the stderr traceback");
	cr_expect(
	    !pipeline_run_cut_safe(cri_traceback_in_stderr, cri_stdout_record),
	    "a stdout record leaves the stderr traceback open");
}

/* A traceback takes the record its writer printed just before it, even
 * with other writers' lines between: a cut right after another writer's
 * ERROR record would part them, one after an INFO record would not. */
Test(pipeline, another_writers_record_a_traceback_may_continue_is_no_cut)
{
	static const char stdout_error[] =
	    "2024-05-01T10:00:00.0Z stdout F 2024-05-01 10:00:00,000 ERROR "
	    "charge failed\n";
	static const char stdout_info[] =
	    "2024-05-01T10:00:00.0Z stdout F 2024-05-01 10:00:00,000 INFO "
	    "charged\n";
	cr_expect(!pipeline_run_cut_safe(stdout_error, cri_stderr_record));
	cr_expect(pipeline_run_cut_safe(stdout_info, cri_stderr_record));
	cr_expect(pipeline_run_cut_safe(stdout_error, cri_stdout_record),
		  "the cut line is the writer's own next record");
}

Test(pipeline, a_piece_of_another_writer_makes_a_runtime_cut_unsafe)
{
	static const char stdout_piece[] =
	    "2024-05-01T10:00:00.0Z stdout P first half of a long line\n";
	static const char docker_piece[] =
	    "{\"log\":\"half\",\"stream\":\"stdout\","
	    "\"time\":\"2024-05-01T10:00:00.0Z\"}\n";
	static const char docker_record[] =
	    "{\"log\":\"ERROR:asyncio:Task exception was never retrieved\\n\","
	    "\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:00.1Z\"}";
	cr_expect(!pipeline_run_cut_safe(stdout_piece, cri_stderr_record));
	cr_expect(!pipeline_run_cut_safe(docker_piece, docker_record));
	cr_expect(pipeline_run_cut_safe("", docker_record));
}

/* The indented lines of an open event are added in bulk when a file is
 * read (pipeline.c, take_indented); each text here has lines the bulk
 * path must leave to the whole one (an escape, a blank line, a group
 * header, a closed box and the next group, an unterminated last line):
 * the events must be those of reading every line alone. */
static const char *const indented_cases[] = {
    /* frames with trailing blanks, CRLF, a tab, an escape */
    "2024-05-01 10:00:00,000 ERROR app: request failed\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 3, in <module>   \r\n"
    "\tmain()\n"
    "  File \"\x1b[1mapp.py\x1b[0m\", line 9, in main\n"
    "    handler()\n"
    "  File \"lib/x.py\", line 2, in handler\n"
    "ValueError: boom\n"
    "after\n",
    /* a blank line among the frames ends the traceback there */
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 3, in <module>\n"
    "   \t \n"
    "  File \"app.py\", line 9, in main\n"
    "KeyError: 'k'\n",
    /* asyncio's report: context lines, then the traceback */
    "Task exception was never retrieved\n"
    "future: <Task finished name='Task-7' coro=<fetch() done, defined at "
    "app.py:10> exception=KeyError('k')>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 12, in fetch\n"
    "    return d['k']\n"
    "KeyError: 'k'\n",
    /* an indented group header after a message, a box, then a second
     * group right after the first one closed */
    "Task exception was never retrieved\n"
    "  + Exception Group Traceback (most recent call last):\n"
    "  |   File \"app.py\", line 5, in main\n"
    "  | ExceptionGroup: two (2 sub-exceptions)\n"
    "  +-+---------------- 1 ----------------\n"
    "    | Traceback (most recent call last):\n"
    "    |   File \"app.py\", line 7, in one\n"
    "    | ValueError: a\n"
    "    +---------------- 2 ----------------\n"
    "    | KeyError: 'b'\n"
    "    +------------------------------------\n"
    "  + Exception Group Traceback (most recent call last):\n"
    "  |   File \"app.py\", line 9, in again\n"
    "  | ExceptionGroup: one (1 sub-exception)\n"
    "  +-+---------------- 1 ----------------\n"
    "    | OSError: c\n"
    "    +------------------------------------\n",
    /* the input ends inside the frames, without a newline */
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 3, in <module>\n"
    "    main()",
};

static void expect_same_got(const struct got *a, const struct got *b, size_t i)
{
	cr_expect_str_eq(a->rule, b->rule, "event %zu", i);
	cr_expect_str_eq(a->coroutine, b->coroutine, "event %zu", i);
	cr_expect_str_eq(a->exception, b->exception, "event %zu", i);
	cr_expect_str_eq(a->message, b->message, "event %zu", i);
	cr_expect_str_eq(a->culprit, b->culprit, "event %zu", i);
	cr_expect_str_eq(a->time, b->time, "event %zu", i);
	cr_expect_eq(a->line, b->line, "event %zu", i);
	cr_expect_eq(a->end_line, b->end_line, "event %zu", i);
	cr_expect_eq(a->complete, b->complete, "event %zu", i);
}

Test(pipeline, indented_lines_read_in_bulk_give_the_events_of_every_line)
{
	static const size_t events[] = {1, 1, 1, 2, 1};
	for (size_t c = 0; c < sizeof indented_cases / sizeof *indented_cases;
	     c++) {
		struct got bulk[GOT_MAX], each[GOT_MAX], fed[GOT_MAX];
		size_t n = pipeline_run_read(indented_cases[c], false, bulk);
		cr_assert_eq(n, events[c], "case %zu: %zu events", c, n);
		cr_assert_eq(pipeline_run_read(indented_cases[c], true, each),
			     n, "case %zu", c);
		cr_assert_eq(pipeline_run(indented_cases[c], NULL, fed), n,
			     "case %zu", c);
		for (size_t i = 0; i < n; i++) {
			expect_same_got(&bulk[i], &each[i], i);
			expect_same_got(&bulk[i], &fed[i], i);
		}
	}
}

/* The lines before an escape are still taken in bulk, the one holding it
 * goes the whole way (its escape removed): the culprit names the file
 * without the escape sequences. */
Test(pipeline, an_escape_in_a_frame_is_removed_after_bulk_lines)
{
	struct got got[GOT_MAX];
	size_t n = pipeline_run_read(indented_cases[0], false, got);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0].exception, "ValueError");
	cr_expect_eq(got[0].line, 1);
	cr_expect_eq(got[0].end_line, 9); /* "after" may continue the message */
}

/* While no event is open, a window without a candidate is skipped but
 * for its last lines: a traceback that starts the next read still takes
 * the record before it, its first line and time, wherever the reads
 * part them (lines are read 256 bytes at a time here). */
Test(pipeline, a_traceback_starting_a_read_takes_the_record_before_it)
{
	static const char filler[] = "2024-05-01 09:59:59,000 INFO app: ok\n";
	static const char record[] =
	    "2024-05-01 10:00:00,000 ERROR app: request failed\n"
	    "Traceback (most recent call last):\n"
	    "  File \"app.py\", line 3, in main\n"
	    "ValueError: boom\n";
	for (size_t fill = 0; fill < 24; fill++) {
		char text[2048] = "";
		for (size_t i = 0; i < fill; i++)
			strcat(text, filler);
		strcat(text, record);
		struct got got[GOT_MAX];
		cr_assert_eq(pipeline_run_read(text, false, got), 1,
			     "%zu lines before", fill);
		cr_expect_eq(got[0].line, fill + 1, "%zu lines before", fill);
		cr_expect_str_eq(got[0].time, "2024-05-01T10:00:00.000",
				 "%zu lines before", fill);
	}
}

/* The lines read before a candidate are known from the window's search
 * to hold no literal, so the assembler does not search them again
 * (pipeline.c, struct searched). That holds for a record's text only
 * when it is the line's own bytes: here the literal shows only once an
 * escape is removed or a JSON string decoded, in a line read just before
 * a candidate (a traceback header). Each text is read with every window
 * cut (leading filler) and must give the events of reading every line. */
static const char *const searched_cases[] = {
    /* the message's literal cut by an escape, then its traceback */
    "Task exception was never\x1b[0m retrieved\n"
    "future: <Task finished name='Task-7' coro=<fetch() done, defined at "
    "app.py:10> exception=KeyError('k')>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 12, in fetch\n"
    "KeyError: 'k'\n",
    /* a JSON record whose literal only its decoded message holds */
    "{\"level\":\"ERROR\",\"message\":\"Task was destroyed but it is "
    "pending\\u0021\"}\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 3, in main\n"
    "ValueError: boom\n",
    /* a crash loop: events back to back, records between them */
    "2024-05-01 10:00:00,000 INFO app: ok\n"
    "Task was destroyed but it is pending!\n"
    "task: <Task pending name='Task-1' coro=<run() running at app.py:5>>\n"
    "2024-05-01 10:00:00,001 ERROR app: request failed\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 3, in main\n"
    "ValueError: boom\n"
    "\n"
    "During handling of the above exception, another exception "
    "occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 5, in main\n"
    "KeyError: 'k'\n"
    "2024-05-01 10:00:00,002 INFO app: ok\n"
    "Exception in callback Handle._run()\n"
    "handle: <Handle cb() at app.py:9>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 9, in cb\n"
    "OSError: [Errno 28] No space left on device\n"
    "2024-05-01 10:00:00,003 INFO app: ok\n",
    /* after a skip, the rest of the window is read as it is (the window
     * is not asked for again): here its last line ends the input without
     * a newline */
    "2024-05-01 10:00:00,000 INFO app: ok\n"
    "2024-05-01 10:00:00,001 INFO app: ok\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 3, in main\n"
    "ValueError: boom\n"
    "2024-05-01 10:00:00,002 INFO app: ok\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 4, in main\n"
    "KeyError: 'z'",
};

Test(pipeline, lines_before_a_candidate_give_the_events_of_every_line)
{
	static const char *const rules[] = {
	    "asyncio.exception-never-retrieved",
	    "asyncio.task-destroyed-pending",
	    NULL,
	    NULL,
	};
	static const char filler[] = "2024-05-01 09:59:59,000 INFO app: ok\n";
	for (size_t c = 0; c < sizeof searched_cases / sizeof *searched_cases;
	     c++)
		for (size_t fill = 0; fill < 10; fill++) {
			char text[4096] = "";
			for (size_t i = 0; i < fill; i++)
				strcat(text, filler);
			strcat(text, searched_cases[c]);
			struct got bulk[GOT_MAX], each[GOT_MAX];
			size_t n = pipeline_run_read(text, false, bulk);
			cr_assert_eq(pipeline_run_read(text, true, each), n,
				     "case %zu, fill %zu: %zu events", c, fill,
				     n);
			cr_assert_gt(n, 0, "case %zu", c);
			if (rules[c] != NULL)
				cr_expect_str_eq(bulk[0].rule, rules[c],
						 "case %zu, fill %zu", c, fill);
			for (size_t i = 0; i < n; i++)
				expect_same_got(&bulk[i], &each[i], i);
		}
}

/* After an event ends, the search from the line after it counts the
 * lines before its candidate: when there are no more than the lines kept
 * before one (TH_RECORD_LOOKBACK_LINES), all of them are read and none
 * is skipped (pipeline.c, skip_to_candidate). Here events come back to
 * back with 0 to 8 short records between them, so that the candidate is
 * on either side of that count and in every place of a window: every
 * event must be numbered, timed and ended as when every line is read. */
Test(pipeline, records_between_events_read_or_skipped_number_every_event)
{
	static const char event[] =
	    "2024-05-01 10:00:00,001 ERROR app: request failed\n"
	    "Traceback (most recent call last):\n"
	    "  File \"app.py\", line 3, in main\n"
	    "ValueError: boom\n";
	for (size_t between = 0; between <= 8; between++) {
		char text[4096] = "";
		for (size_t e = 0; e < 4; e++) {
			strcat(text, event);
			for (size_t i = 0; i < between; i++)
				strcat(text, i % 2 ? "ok\n"
						   : "2024-05-01 "
						     "10:00:00,002 "
						     "INFO up\n");
		}
		struct got bulk[GOT_MAX], each[GOT_MAX];
		size_t n = pipeline_run_read(text, false, bulk);
		cr_assert_eq(n, 4, "%zu between: %zu events", between, n);
		cr_assert_eq(pipeline_run_read(text, true, each), n);
		for (size_t i = 0; i < n; i++) {
			expect_same_got(&bulk[i], &each[i], i);
			cr_expect_eq(bulk[i].line, 1 + i * (4 + between),
				     "%zu between, event %zu", between, i);
			cr_expect_str_eq(bulk[i].time,
					 "2024-05-01T10:00:00.001");
		}
	}
}

/* A CRI log is searched with the framed trigger (its literals, their
 * JSON forms and split-line markers): the lines before its hits hold
 * none of the assembler's literals either, so they too go to the
 * assembler without a search of their own (pipeline.c,
 * line_literal_free). Read with every window cut, the log must give the
 * events of reading every line. */
static const char cri_loop[] =
    "2024-05-01T10:00:00.000000010Z stderr F "
    "2024-05-01 10:00:00,000 INFO app: ok\n"
    "2024-05-01T10:00:00.000000011Z stderr F "
    "Task was destroyed but it is pending!\n"
    "2024-05-01T10:00:00.000000012Z stderr F "
    "task: <Task pending name='Task-1' coro=<run() running at app.py:5>>\n"
    "2024-05-01T10:00:00.000000013Z stdout F "
    "2024-05-01 10:00:00,001 INFO app: ok\n"
    "2024-05-01T10:00:00.000000014Z stderr P "
    "Traceback (most recent \n"
    "2024-05-01T10:00:00.000000015Z stderr F "
    "call last):\n"
    "2024-05-01T10:00:00.000000016Z stderr F "
    "  File \"app.py\", line 3, in main\n"
    "2024-05-01T10:00:00.000000017Z stderr F "
    "ValueError: boom\n"
    "2024-05-01T10:00:00.000000018Z stdout F "
    "2024-05-01 10:00:00,002 INFO app: ok\n";

/* FILL copies of FILLER, then TAIL and AFTER, read in windows (into
 * BULK) and line by line: the same events, WANT of them. */
static void read_after_fill(const char *filler, size_t fill, const char *tail,
			    const char *after, size_t want, struct got *bulk)
{
	char text[8192] = "";
	for (size_t i = 0; i < fill; i++)
		strcat(text, filler);
	strcat(text, tail);
	strcat(text, after);
	struct got each[GOT_MAX];
	size_t n = pipeline_run_read(text, false, bulk);
	cr_assert_eq(n, want, "fill %zu: %zu events", fill, n);
	cr_assert_eq(pipeline_run_read(text, true, each), n, "fill %zu", fill);
	for (size_t i = 0; i < n; i++)
		expect_same_got(&bulk[i], &each[i], i);
}

Test(pipeline, a_cri_logs_lines_before_a_framed_hit_give_every_lines_events)
{
	static const char filler[] = "2024-05-01T09:59:59.000000000Z stdout F "
				     "2024-05-01 09:59:59,000 INFO app: ok\n";
	for (size_t fill = 0; fill < 24; fill++) {
		struct got bulk[GOT_MAX];
		read_after_fill(filler, fill, cri_loop, "", 2, bulk);
		cr_expect_str_eq(bulk[0].rule, "asyncio.task-destroyed-pending",
				 "fill %zu", fill);
		cr_expect_str_eq(bulk[1].exception, "ValueError", "fill %zu",
				 fill);
	}
}

/* structlog's dict_tracebacks, a traceback as data: read in windows of
 * any size and line by line, the same event (gen/samples/
 * structlog_dicts.py made the shape; test_scan.c checks that a search
 * does not skip it). */
static const char dict_traceback[] =
    "{\"event\":\"sync failed\",\"timestamp\":\"2026-12-06T11:17:07."
    "152243Z\",\"exception\":[{\"exc_type\":\"ConnectionError\","
    "\"exc_value\":\"refused\",\"is_cause\":false,\"frames\":[{"
    "\"filename\":\"/app/s.py\",\"lineno\":78,\"name\":\"fetch_rates\""
    "}]}]}\n";

Test(pipeline, a_dict_traceback_after_json_records_is_read_in_any_window)
{
	static const char filler[] =
	    "{\"event\":\"ok\",\"level\":\"info\","
	    "\"timestamp\":\"2026-12-06T11:17:07Z\"}\n";
	for (size_t fill = 0; fill < 24; fill++) {
		struct got bulk[GOT_MAX];
		read_after_fill(filler, fill, dict_traceback, filler, 1, bulk);
		cr_expect_str_eq(bulk[0].exception, "ConnectionError",
				 "fill %zu", fill);
		cr_expect_str_eq(bulk[0].culprit, "/app/s.py:78 in fetch_rates",
				 "fill %zu", fill);
		cr_expect_str_eq(bulk[0].time, "2026-12-06T11:17:07.152243Z",
				 "fill %zu", fill);
	}
}

/* What an event of read_with gave. */
struct seen_event {
	char rule[64], exception[64], culprit[256];
	uint64_t line, end_line;
	bool complete;
};

struct seen {
	const struct th_rules *rules;
	size_t n;
	struct seen_event ev[GOT_MAX];
};

static void seen_deliver(void *ctx, const struct th_event *ev)
{
	struct seen *s = ctx;
	if (s->n < GOT_MAX) {
		struct seen_event *e = &s->ev[s->n];
		struct th_span x = event_get(ev, TH_F_EXCEPTION);
		snprintf(e->rule, sizeof e->rule, "%s",
			 rules_id(s->rules, ev->rule));
		snprintf(e->exception, sizeof e->exception, "%.*s",
			 x.p != NULL ? (int)x.n : 1, x.p != NULL ? x.p : "-");
		if (event_has_culprit(ev))
			snprintf(e->culprit, sizeof e->culprit,
				 "%.100s:%llu in %.100s", ev->culprit.file.v,
				 (unsigned long long)ev->culprit.line,
				 ev->culprit.function.v);
		else
			snprintf(e->culprit, sizeof e->culprit, "-");
		e->line = ev->line;
		e->end_line = ev->end_line;
		e->complete = ev->complete;
	}
	s->n++;
}

static void seen_probe(void *ctx, const struct th_probe *p)
{
	(void)ctx;
	(void)p;
}

/* The default rules (patterns/), loaded and finished. */
static struct th_rules *default_rules(void)
{
	struct th_rules *rules = rules_new();
	struct th_error err = {0};
	cr_assert(rules_load_path(rules, TH_TEST_PATTERNS_DIR, &err), "%s",
		  err.message);
	cr_assert(rules_finish(rules, &err), "%s", err.message);
	return rules;
}

/* Reads TEXT as a file is read (pipeline_read), CAPACITY bytes a window,
 * searched by SEARCH, or with EVERY_LINE every line one at a time (a
 * probe set), with the default rules, with AVX2 where the processor has
 * it or not (pipeline_use_avx2); what came out in *OUT. */
static void read_with_as(const char *text, size_t capacity,
			 enum th_search search, bool every_line, bool avx2,
			 struct seen *out)
{
	struct th_rules *rules = default_rules();
	struct th_trigger *trigger = pipeline_trigger_new(rules, false);
	struct th_trigger *framed = pipeline_trigger_new(rules, true);
	trigger_set_search(trigger, search);
	trigger_set_search(framed, search);
	struct th_run run;
	run_init(&run, rules_ignore_count(rules));
	*out = (struct seen){.rules = rules};
	struct th_pipeline_setup ps = {.rules = rules,
				       .trigger = trigger,
				       .framed = framed,
				       .run = &run,
				       .deliver = seen_deliver,
				       .ctx = out};
	struct th_pipeline *p = pipeline_new(&ps);
	pipeline_use_avx2(p, avx2);
	if (every_line)
		pipeline_set_probes(p, seen_probe, NULL, NULL);
	size_t n = strlen(text);
	int fd = memfd_of(text, n, "pipeline");
	struct th_input *in = input_from_fd(fd, "test.log");
	struct th_lines *l = lines_new(in, capacity);
	pipeline_begin_input(p, "test.log", 0, 0);
	cr_assert_eq(pipeline_read(p, l), TH_EOF);
	pipeline_end_input(p);
	uint64_t lines = n > 0 && text[n - 1] != '\n';
	for (const char *c = text; (c = strchr(c, '\n')) != NULL; c++)
		lines++;
	cr_expect_eq(lines_number(l), lines + 1, "%llu lines read of %llu",
		     (unsigned long long)lines_number(l) - 1,
		     (unsigned long long)lines);
	lines_free(l);
	input_close(in);
	close(fd);
	pipeline_free(p);
	run_fini(&run);
	trigger_free(trigger);
	trigger_free(framed);
	out->rules = NULL; /* the rule names are copied */
	rules_free(rules);
}

/* read_with_as with AVX2 where the processor has it. */
static void read_with(const char *text, size_t capacity, enum th_search search,
		      bool every_line, struct seen *out)
{
	read_with_as(text, capacity, search, every_line, true, out);
}

static void expect_same_seen(const struct seen *a, const struct seen *b,
			     const char *what)
{
	cr_assert_eq(a->n, b->n, "%s: %zu events, %zu reading every line", what,
		     a->n, b->n);
	for (size_t i = 0; i < a->n && i < GOT_MAX; i++) {
		const struct seen_event *x = &a->ev[i], *y = &b->ev[i];
		cr_expect_str_eq(x->rule, y->rule, "%s: event %zu", what, i);
		cr_expect_str_eq(x->exception, y->exception, "%s: event %zu",
				 what, i);
		cr_expect_str_eq(x->culprit, y->culprit, "%s: event %zu", what,
				 i);
		cr_expect_eq(x->line, y->line,
			     "%s: event %zu: line %llu, not %llu", what, i,
			     (unsigned long long)x->line,
			     (unsigned long long)y->line);
		cr_expect_eq(x->end_line, y->end_line, "%s: event %zu", what,
			     i);
		cr_expect_eq(x->complete, y->complete, "%s: event %zu", what,
			     i);
	}
}

/* A crash loop: reports back to back, dated records between them, the
 * frames of one colored (escape bytes, which the lines after them are
 * searched for again). */
static const char crash_block[] =
    "2024-05-01 10:00:00,000 INFO app: ok\n"
    "Task was destroyed but it is pending!\n"
    "task: <Task pending name='Task-1' coro=<run() running at app.py:5>>\n"
    "2024-05-01 10:00:00,001 ERROR app: request failed\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 3, in main\n"
    "    main()\n"
    "  File \"app.py\", line 9, in main\n"
    "  File \"app.py\", line 10, in run\n"
    "ValueError: boom\n"
    "\n"
    "During handling of the above exception, another exception "
    "occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 5, in main\n"
    "  File \"\x1b[35mapp.py\x1b[0m\", line 6, in \x1b[35mhandler\x1b[0m\n"
    "    \x1b[31mhandler()\x1b[0m\n"
    "KeyError: 'k'\n"
    "2024-05-01 10:00:00,002 INFO app: ok\n"
    "2024-05-01 10:00:00,003 INFO app: ok\n"
    "Exception in callback Handle._run()\n"
    "handle: <Handle cb() at app.py:9>\n"
    "Traceback (most recent call last):\n"
    "  File \"app.py\", line 9, in cb\n"
    "OSError: [Errno 28] No space left on device\n";

/* TEXT: the crash loop's block BLOCKS times, then TAIL. */
static void crash_loop(char *text, size_t cap, size_t blocks, const char *tail)
{
	text[0] = '\0';
	for (size_t i = 0; i < blocks; i++) {
		cr_assert_lt(strlen(text) + sizeof crash_block, cap);
		strcat(text, crash_block);
	}
	strcat(text, tail);
}

/* Every event of a window is found, skipped to and read from the one
 * window, the reader's cursor moved only at its end (pipeline.c,
 * feed_window): the events and their line numbers are those of reading
 * every line, whether the window holds them all or a few lines. */
Test(pipeline, the_events_of_a_window_read_at_once_are_those_of_every_line)
{
	static char text[16384];
	static const char *const tails[] = {
	    "",
	    "2024-05-01 10:00:01,000 INFO app: ok\n",
	    "Traceback (most recent call last):\n"
	    "  File \"app.py\", line 4, in main\n"
	    "KeyError: 'z'",
	};
	static const size_t capacities[] = {1 << 16, 256, 97};
	for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
		crash_loop(text, sizeof text, 12, tails[t]);
		struct seen every, read;
		read_with(text, 1 << 16, TH_SEARCH_AUTO, true, &every);
		cr_assert_eq(every.n, 36 + (t == 2), "tail %zu: %zu events", t,
			     every.n);
		cr_expect_eq(every.ev[35].line, 11 * 25 + 21, "line %llu",
			     (unsigned long long)every.ev[35].line);
		cr_expect_str_eq(every.ev[34].culprit, "app.py:6 in handler");
		for (size_t c = 0; c < sizeof capacities / sizeof *capacities;
		     c++) {
			char what[64];
			snprintf(what, sizeof what, "tail %zu, capacity %zu", t,
				 capacities[c]);
			read_with(text, capacities[c], TH_SEARCH_AUTO, false,
				  &read);
			expect_same_seen(&read, &every, what);
		}
	}
}

/* TEXT: for each LEN from FROM to TO, a dated record, then an event
 * whose message line is LEN bytes, its header "\r\n"-ended when LEN is
 * odd; then TAIL. The record's length goes another way (LEN * 7 % 280). */
static void lines_of_lengths(char *text, size_t cap, size_t from, size_t to,
			     const char *tail)
{
	char fill[300];
	memset(fill, 'x', sizeof fill);
	size_t n = 0;
	for (size_t len = from; len <= to; len++) {
		n += (size_t)snprintf(text + n, cap - n,
				      "2024-05-01 10:00:00,000 INFO app: %.*s\n"
				      "Traceback (most recent call last):%s\n"
				      "  File \"app.py\", line %zu, in f%.*s\n"
				      "    g()\n"
				      "ValueError: %.*s\n",
				      (int)(len * 7 % 280), fill,
				      len % 2 ? "\r" : "", len, (int)(len - 10),
				      fill, (int)(len - 12), fill);
		cr_assert_lt(n, cap - 1024);
	}
	snprintf(text + n, cap - n, "%s", tail);
}

/* The lines read one by one are cut 32 bytes a compare with AVX2, else
 * 16 (lines_find_newline_as): lines of every length from 20 to 300
 * bytes, so their ends fall on every place of a compare and on both
 * sides of the 64, 128 and 256 bytes compared before memchr, some ended
 * by "\r\n", the last without a newline, in windows that end anywhere:
 * the events are those of reading every line, either way. */
Test(pipeline, lines_of_every_length_cut_either_way_give_every_lines_events)
{
	static char text[1 << 16];
	static const char *const tails[] = {
	    "", "Traceback (most recent call last):\n"
		"  File \"app.py\", line 4, in main\n"
		"KeyError: 'z'"};
	static const size_t capacities[] = {1 << 16, 1000, 333};
	for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
		/* at most GOT_MAX events a text, so each is compared */
		for (size_t from = 20; from <= 300; from += GOT_MAX - 4) {
			size_t to =
			    from + GOT_MAX - 5 < 300 ? from + GOT_MAX - 5 : 300;
			lines_of_lengths(text, sizeof text, from, to, tails[t]);
			struct seen every, read;
			read_with_as(text, 1 << 16, TH_SEARCH_AUTO, true, false,
				     &every);
			cr_assert_eq(every.n, to - from + 1 + (t == 1),
				     "lengths %zu to %zu: %zu events", from, to,
				     every.n);
			for (size_t c = 0; c < 3; c++)
				for (int avx2 = 0; avx2 < 2; avx2++) {
					char what[80];
					snprintf(
					    what, sizeof what,
					    "lengths %zu to %zu, tail %zu, "
					    "capacity %zu, avx2 %d",
					    from, to, t, capacities[c], avx2);
					read_with_as(text, capacities[c],
						     TH_SEARCH_AUTO, false,
						     avx2 != 0, &read);
					expect_same_seen(&read, &every, what);
				}
		}
	}
}

/* The lines of a program's output that cri_pieces cuts: records, one
 * of them a traceback takes (its first line longer than most pieces),
 * asyncio's report with its context line, and records after them. */
static const char *const cri_source[] = {
    "2024-05-01 10:00:00,000 INFO app.db: rate table refreshed (170 "
    "currencies, age 468s) after a slow query on the replica",
    "2024-05-01 10:00:00,100 ERROR asyncio: unhandled exception during "
    "asyncio.run() shutdown",
    "task: <Task finished name='Task-1' coro=<main() done, defined at "
    "app.py:3> exception=OSError(28, 'No space left on device')>",
    "Traceback (most recent call last):",
    "  File \"app.py\", line 5, in main",
    "    await flush()",
    "OSError: [Errno 28] No space left on device",
    "2024-05-01 10:00:00,200 INFO app.web: GET /orders 200 12ms",
    "Task exception was never retrieved",
    "future: <Task finished name='Task-2' coro=<fetch() done, defined at "
    "app.py:10> exception=KeyError('k')>",
    "Traceback (most recent call last):",
    "  File \"app.py\", line 12, in fetch",
    "KeyError: 'k'",
    "2024-05-01 10:00:00,300 WARNING app.cache: retrying request 486708 "
    "after connection reset (attempt 3/5)",
};

/* cri_source ROUNDS times as a container runtime writes it to stderr,
 * each line cut into pieces of 1 to MOST bytes ("P" pieces and an "F"
 * one), into OUT (CAP bytes); with OTHER, a line of stdout's after
 * every third piece. */
static void cri_pieces(char *out, size_t cap, size_t most, bool other,
		       size_t rounds)
{
	static const char at[] = "2024-05-01T10:00:00.000000000Z ";
	size_t used = 0, k = 0,
	       n_lines = sizeof cri_source / sizeof *cri_source;
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < n_lines; i++) {
			const char *line = cri_source[i];
			size_t left = strlen(line);
			do {
				size_t n = 1 + (i * 7 + k * 3) % most;
				bool last = n >= left;
				n = last ? left : n;
				int w =
				    snprintf(out + used, cap - used,
					     "%sstderr %c %.*s\n", at,
					     last ? 'F' : 'P', (int)n, line);
				cr_assert(w > 0 && (size_t)w < cap - used);
				used += (size_t)w;
				line += n;
				left -= n;
				if (other && ++k % 3 == 0) {
					w = snprintf(out + used, cap - used,
						     "%sstdout F tick %zu\n",
						     at, k);
					cr_assert(w > 0 &&
						  (size_t)w < cap - used);
					used += (size_t)w;
				}
				k += !other;
			} while (left > 0);
		}
}

/* A CRI log cut into pieces of every size from a byte up, so that seams
 * fall inside every literal and inside the record a traceback takes,
 * with another stream's lines among the pieces or not: the fast path
 * skips a line whose pieces joined hold no literal, without joining
 * them (pipeline.c, skip_split_lines), and reads a line cut into pieces
 * whole before a candidate. The events are those of reading every
 * line. */
Test(pipeline, a_cri_log_cut_into_pieces_gives_every_lines_events)
{
	static char text[1 << 19];
	static const size_t capacities[] = {1 << 19, 4000, 700};
	for (size_t most = 1; most <= 90; most += most < 12 ? 1 : 13)
		for (int other = 0; other < 2; other++) {
			cri_pieces(text, sizeof text, most, other != 0, 3);
			struct seen every, read;
			read_with(text, 1 << 19, TH_SEARCH_AUTO, true, &every);
			cr_assert_eq(every.n, 6,
				     "pieces of up to %zu: %zu events", most,
				     every.n);
			for (size_t c = 0; c < 3; c++) {
				char what[80];
				snprintf(what, sizeof what,
					 "pieces of up to %zu, other %d, "
					 "capacity %zu",
					 most, other, capacities[c]);
				read_with(text, capacities[c], TH_SEARCH_AUTO,
					  false, &read);
				expect_same_seen(&read, &every, what);
			}
		}
}

/* A long window with few events: the lines between them are skipped,
 * and where each event is read the bytes known to hold no escape are
 * searched some KiB ahead (lines_window_escape_free_at), asked again past
 * that: the events are still those of reading every line. */
Test(pipeline, events_far_apart_in_a_long_window_are_those_of_every_line)
{
	static char text[1 << 17];
	static const char filler[] =
	    "2024-05-01 09:59:59,000 INFO app: a quiet line among many\n";
	text[0] = '\0';
	for (size_t b = 0; b < 20; b++) {
		for (size_t i = 0; i < 60; i++)
			strcat(text, filler);
		strcat(text, crash_block);
	}
	cr_assert_gt(strlen(text), (size_t)64 << 10);
	cr_assert_lt(strlen(text), sizeof text);
	struct seen every, read;
	read_with(text, 1 << 17, TH_SEARCH_AUTO, true, &every);
	cr_assert_eq(every.n, 60, "%zu events", every.n);
	cr_expect_str_eq(every.ev[58].culprit, "app.py:6 in handler");
	static const size_t capacities[] = {1 << 17, 1 << 15, 4000};
	for (size_t c = 0; c < sizeof capacities / sizeof *capacities; c++) {
		char what[64];
		snprintf(what, sizeof what, "capacity %zu", capacities[c]);
		read_with(text, capacities[c], TH_SEARCH_AUTO, false, &read);
		expect_same_seen(&read, &every, what);
	}
}

/* A search that does not count the lines it passes (every one but the
 * fingerprint searches) leaves them to the reader to count: the line
 * numbers stay those of reading every line. */
Test(pipeline, lines_skipped_by_a_search_that_does_not_count_are_numbered)
{
	static char text[16384];
	crash_loop(text, sizeof text, 12, "");
	struct seen every, read;
	read_with(text, 1 << 16, TH_SEARCH_AUTO, true, &every);
	cr_assert_eq(every.n, 36);
	static const enum th_search searches[] = {
	    TH_SEARCH_PORTABLE, TH_SEARCH_SSE2, TH_SEARCH_HASH};
	for (size_t s = 0; s < sizeof searches / sizeof *searches; s++)
		for (size_t capacity = 97; capacity <= 1 << 16;
		     capacity *= 26) {
			char what[64];
			snprintf(what, sizeof what, "search %zu, capacity %zu",
				 s, capacity);
			read_with(text, capacity, searches[s], false, &read);
			expect_same_seen(&read, &every, what);
		}
}

/* Each event's text (event_text) as a sink saw it when delivered. */
#define TEXTS_MAX 8
struct texts {
	size_t n;
	char text[TEXTS_MAX][3 * TH_EVENT_LINE_BYTES];
};

static void texts_deliver(void *ctx, const struct th_event *ev)
{
	struct texts *t = ctx;
	if (t->n < TEXTS_MAX)
		event_text(ev, t->text[t->n], sizeof t->text[0]);
	t->n++;
}

/* How read_texts reads: line by line from a string (pipeline_feed_line,
 * nothing lent: every line copied), or from a file read into the line
 * reader's buffer or mapped, CAPACITY bytes a window. */
enum read_how { FROM_STRING, READ, MAPPED };

/* Reads TEXT (N bytes) with the default rules as HOW says, into *OUT. */
static void read_texts(const char *text, size_t n, size_t capacity,
		       enum read_how how, struct texts *out)
{
	struct th_rules *rules = default_rules();
	struct th_trigger *trigger = pipeline_trigger_new(rules, false);
	struct th_trigger *framed = pipeline_trigger_new(rules, true);
	struct th_run run;
	run_init(&run, rules_ignore_count(rules));
	out->n = 0;
	struct th_pipeline_setup ps = {.rules = rules,
				       .trigger = trigger,
				       .framed = framed,
				       .run = &run,
				       .deliver = texts_deliver,
				       .ctx = out};
	struct th_pipeline *p = pipeline_new(&ps);
	pipeline_begin_input(p, "test.log", 0, 0);
	if (how == FROM_STRING) {
		uint64_t number = 1, offset = 0;
		for (const char *s = text; s < text + n;) {
			const char *nl =
			    memchr(s, '\n', (size_t)(text + n - s));
			size_t len =
			    nl ? (size_t)(nl - s) : (size_t)(text + n - s);
			struct th_line line = {
			    {s, len}, number++, offset, false, false};
			offset += len + (nl != NULL);
			pipeline_feed_line(p, &line, offset);
			s += len + (nl != NULL);
		}
	} else {
		int fd = memfd_of(text, n, "texts");
		struct th_input *in = input_from_fd(fd, "test.log");
		if (how == READ)
			input_no_map(in);
		struct th_lines *l = lines_new(in, capacity);
		cr_assert_eq(pipeline_read(p, l), TH_EOF);
		pipeline_finish_lines(p);
		/* the reader goes before the last events close: they must
		 * hold their own bytes by now */
		lines_free(l);
		input_close(in);
		close(fd);
	}
	pipeline_end_input(p);
	pipeline_free(p);
	run_fini(&run);
	trigger_free(framed);
	trigger_free(trigger);
	rules_free(rules);
}

static void expect_same_texts(const struct texts *a, const struct texts *b,
			      const char *what)
{
	cr_assert_eq(a->n, b->n, "%s: %zu events, %zu line by line", what, a->n,
		     b->n);
	for (size_t i = 0; i < a->n && i < TEXTS_MAX; i++)
		cr_expect_str_eq(a->text[i], b->text[i], "%s: event %zu", what,
				 i);
}

/* TEXT (N bytes) read through windows of each of the N_CAPS CAPACITIES,
 * by read() and mapped, gives the events WANT; LABEL starts each
 * message. */
static void expect_same_at_capacities(const char *text, size_t n,
				      const size_t *capacities, size_t n_caps,
				      const char *label,
				      const struct texts *want)
{
	static struct texts got;
	for (size_t c = 0; c < n_caps; c++)
		for (int how = READ; how <= MAPPED; how++) {
			char what[64];
			snprintf(what, sizeof what, "%s%s, capacity %zu", label,
				 how == READ ? "read" : "mapped",
				 capacities[c]);
			read_texts(text, n, capacities[c], (enum read_how)how,
				   &got);
			expect_same_texts(&got, want, what);
		}
}

/* A traceback of FRAMES frames after a logging record, then a record
 * that ends it, appended at *AT in TEXT (CAP bytes). */
static void append_traceback(char *text, size_t cap, size_t *at, int frames,
			     const char *final)
{
	int n = snprintf(text + *at, cap - *at,
			 "2024-05-01 10:00:00,001 ERROR app: failed\n"
			 "Traceback (most recent call last):\n");
	*at += (size_t)n;
	for (int i = 0; i < frames; i++) {
		n = snprintf(text + *at, cap - *at,
			     "  File \"app.py\", line %d, in f%d\n    f%d()\n",
			     i + 10, i, i + 1);
		*at += (size_t)n;
	}
	n = snprintf(text + *at, cap - *at,
		     "%s\n2024-05-01 10:00:00,002 INFO app: ok\n", final);
	*at += (size_t)n;
	cr_assert_lt(*at, cap);
}

/* An open event borrows its plain lines from the reader's window, and a
 * refill moves the window's bytes (read) or shows new ones (mapped): the
 * event delivered after it has its lines as read, whatever the window's
 * size, the same as when every line was a copy. */
Test(pipeline, an_event_crossing_windows_keeps_its_lines)
{
	static char text[64 << 10];
	size_t n = 0;
	for (int i = 0; i < 3; i++)
		append_traceback(text, sizeof text, &n, 60 + 40 * i,
				 "ValueError: boom");
	static struct texts want;
	read_texts(text, n, 0, FROM_STRING, &want);
	cr_assert_eq(want.n, 3);
	cr_assert(strstr(want.text[2],
			 "  File \"app.py\", line 149, in "
			 "f139\n    f140()\nValueError: boom") != NULL);
	static const size_t capacities[] = {256, 1000, 4096, 1 << 16};
	expect_same_at_capacities(text, n, capacities,
				  sizeof capacities / sizeof *capacities, "",
				  &want);
}

/* A frame line of TH_EVENT_LINE_BYTES is kept whole and one a byte
 * longer is cut, borrowed or not, in an event that crosses windows. */
Test(pipeline, lines_at_the_event_line_limit_are_kept_as_copies_are)
{
	static char text[64 << 10];
	size_t n = 0;
	append_traceback(text, sizeof text, &n, 3, "ValueError: boom");
	n -= strlen("ValueError: boom\n2024-05-01 10:00:00,002 INFO app: ok\n");
	for (size_t len = TH_EVENT_LINE_BYTES - 1;
	     len <= TH_EVENT_LINE_BYTES + 1; len++) {
		memset(text + n, ' ', 4);
		memset(text + n + 4, 'a' + (char)(len % 3), len - 4);
		n += len;
		text[n++] = '\n';
	}
	append_traceback(text, sizeof text, &n, 3, "KeyError: 'k'");
	static struct texts want;
	read_texts(text, n, 0, FROM_STRING, &want);
	cr_assert_eq(want.n, 2);
	char line[TH_EVENT_LINE_BYTES + 3];
	memset(line, ' ', 4);
	memset(line + 4, 'a' + TH_EVENT_LINE_BYTES % 3,
	       TH_EVENT_LINE_BYTES - 4);
	line[TH_EVENT_LINE_BYTES] = '\n';
	line[TH_EVENT_LINE_BYTES + 1] = '\0';
	cr_expect(strstr(want.text[0], line) != NULL, "a whole line");
	static const size_t capacities[] = {5000, 9000, 1 << 15};
	expect_same_at_capacities(text, n, capacities,
				  sizeof capacities / sizeof *capacities, "",
				  &want);
}

/* CRI and Docker lines: their text is in the prefixer's buffers (a
 * Docker line unescaped, CRI pieces joined) or the window's (a whole CRI
 * line), and either way the event crossing windows keeps it. */
Test(pipeline, a_cri_or_docker_event_crossing_windows_keeps_its_lines)
{
	static char text[64 << 10];
	for (int docker = 0; docker < 2; docker++) {
		size_t n = 0;
		for (int i = 0; i < 80; i++) {
			char msg[128];
			if (i == 0)
				snprintf(msg, sizeof msg,
					 "Traceback (most recent call last):");
			else if (i == 79)
				snprintf(msg, sizeof msg, "ValueError: boom");
			else
				snprintf(msg, sizeof msg,
					 docker ? "  File \\\"app.py\\\", "
						  "line %d, in f%d"
						: "  File \"app.py\", line %d, "
						  "in f%d",
					 i, i);
			int k =
			    docker
				? snprintf(text + n, sizeof text - n,
					   "{\"log\":\"%s\\n\",\"stream\":"
					   "\"stderr\",\"time\":\"2024-05-01T"
					   "10:00:00.%09dZ\"}\n",
					   msg, i)
				: snprintf(text + n, sizeof text - n,
					   "2024-05-01T10:00:00.%09dZ stderr "
					   "%s %s\n",
					   i, i == 5 ? "P" : "F", msg);
			n += (size_t)k;
		}
		static struct texts want;
		read_texts(text, n, 0, FROM_STRING, &want);
		cr_assert_eq(want.n, 1, "docker %d", docker);
		cr_assert(strstr(want.text[0], "in f78\nValueError: boom"),
			  "docker %d: %s", docker, want.text[0]);
		static const size_t capacities[] = {300, 1000, 1 << 16};
		expect_same_at_capacities(
		    text, n, capacities, sizeof capacities / sizeof *capacities,
		    docker ? "docker, " : "cri, ", &want);
	}
}

/* A mapped file is mapped again some 8 MiB on (lines.c), and the old map
 * goes: an event open across that keeps its lines. */
Test(pipeline, an_event_open_where_the_map_moves_keeps_its_lines)
{
	size_t cap = (9u << 20), n = 0;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	static const char filler[] = "2024-05-01 09:59:59,000 INFO app: ok\n";
	while (n < (8u << 20) - 3000) {
		memcpy(text + n, filler, sizeof filler - 1);
		n += sizeof filler - 1;
	}
	append_traceback(text, cap, &n, 150, "ValueError: boom");
	static struct texts want, got;
	read_texts(text, n, 0, FROM_STRING, &want);
	cr_assert_eq(want.n, 1);
	read_texts(text, n, 4096, MAPPED, &got);
	expect_same_texts(&got, &want, "mapped");
	read_texts(text, n, 4096, READ, &got);
	expect_same_texts(&got, &want, "read");
	free(text);
}
