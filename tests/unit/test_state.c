/* test_state.c - the --state file: loading, saving, locking, and the
 * reads it plans for files as they grow, rotate and truncate. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

static char dir[] = "/tmp/test_state_XXXXXX";
static const enum th_key by_coroutine[] = {TH_KEY_COROUTINE};

static void setup(void)
{
	strcpy(dir, "/tmp/test_state_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(state, .init = setup, .fini = teardown);

static char *at(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static struct th_state *open_ok(void)
{
	char err[1200] = "";
	struct th_state *st =
	    state_open(at("s"), by_coroutine, 1, err, sizeof err);
	cr_assert_not_null(st, "state_open: %s", err);
	return st;
}

/* Plans PATH and commits it as read to the end of its tracked read. */
static void read_all(struct th_state *st, const char *path)
{
	struct th_state_plan plan;
	cr_assert(state_plan(st, path, &plan));
	const struct th_state_read *r = &plan.reads[plan.n - 1];
	state_commit_file(st, path, &plan.id, r->end, r->line_base + 1);
	state_plan_fini(&plan);
}

static void save_ok(struct th_state *st)
{
	char err[1200] = "";
	cr_assert(state_save(st, err, sizeof err), "%s", err);
}

Test(state, a_missing_file_is_a_first_run_reading_from_the_start)
{
	struct th_state *st = open_ok();
	write_file(at("app.log"), "w", "one\ntwo\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert_eq(plan.n, 1);
	cr_assert_eq(plan.reads[0].start, 0);
	cr_assert_eq(plan.reads[0].end, 8);
	cr_assert(plan.reads[0].tracked);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_saved_offset_is_where_the_next_run_starts)
{
	struct th_state *st = open_ok();
	write_file(at("app.log"), "w", "one\ntwo\n");
	read_all(st, at("app.log"));
	save_ok(st);
	state_free(st);
	write_file(at("app.log"), "a", "three\n");
	st = open_ok();
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert_eq(plan.n, 1);
	cr_assert_eq(plan.reads[0].start, 8);
	cr_assert_eq(plan.reads[0].end, 14);
	cr_assert_eq(plan.reads[0].line_base, 1);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_line_without_its_newline_is_left_for_later)
{
	struct th_state *st = open_ok();
	write_file(at("app.log"), "w", "one\ntwo\nthr");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert_eq(plan.reads[0].end, 8, "end %llu",
		     (unsigned long long)plan.reads[0].end);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_renamed_file_is_read_to_its_end_before_the_new_one)
{
	struct th_state *st = open_ok();
	write_file(at("app.log"), "w", "one\n");
	read_all(st, at("app.log"));
	write_file(at("app.log"), "a", "two\n");
	cr_assert_eq(rename(at("app.log"), at("app.log.1")), 0);
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert_eq(plan.n, 2);
	cr_assert_str_eq(plan.reads[0].path, at("app.log.1"));
	cr_assert_eq(plan.reads[0].start, 4);
	cr_assert_eq(plan.reads[0].end, 8);
	cr_assert_not(plan.reads[0].tracked);
	cr_assert_eq(plan.reads[1].start, 0);
	cr_assert(plan.reads[1].tracked);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_truncated_file_is_read_from_its_start)
{
	struct th_state *st = open_ok();
	write_file(at("app.log"), "w", "one\ntwo\n");
	read_all(st, at("app.log"));
	write_file(at("app.log"), "w", "x\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert_eq(plan.n, 1);
	cr_assert(plan.lost_rotated);
	cr_assert_eq(plan.reads[0].start, 0);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_corrupt_state_is_refused_naming_it)
{
	write_file(at("s"), "w", "{\"schema\": ");
	char err[1200] = "";
	cr_assert_null(state_open(at("s"), by_coroutine, 1, err, sizeof err));
	cr_assert(strstr(err, at("s")) != NULL, "%s", err);
}

Test(state, a_foreign_document_is_refused)
{
	write_file(at("s"), "w", "{\"schema\": \"tracehound.report/1\"}\n");
	char err[1200] = "";
	cr_assert_null(state_open(at("s"), by_coroutine, 1, err, sizeof err));
	cr_assert(strstr(err, "not a tracehound.state/1") != NULL, "%s", err);
}

Test(state, a_second_open_waits_then_fails_while_locked)
{
	setenv("TRACEHOUND_LOCK_WAIT", "0.2", 1);
	struct th_state *st = open_ok();
	char err[1200] = "";
	struct th_state *second =
	    state_open(at("s"), by_coroutine, 1, err, sizeof err);
	cr_assert_null(second);
	cr_assert(strstr(err, "locked") != NULL, "%s", err);
	state_free(st);
	st = open_ok(); /* released */
	state_free(st);
}

Test(state, a_save_replaces_the_file_and_leaves_no_temp_file)
{
	struct th_state *st = open_ok();
	write_file(at("app.log"), "w", "one\n");
	read_all(st, at("app.log"));
	save_ok(st);
	save_ok(st);
	state_free(st);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "test $(ls %s | grep -c tmp) = 0", dir);
	cr_assert_eq(system(cmd), 0);
	st = open_ok();
	state_free(st);
}
