/* test_pipeline.c - the stages wired together: split lines still waiting
 * at the end of the input reach the assembler (issue 13). */
#include <criterion/criterion.h>
#include <string.h>

#include "feed.h"

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
