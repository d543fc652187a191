/* test_state.c - the --state file: loading, saving, locking, and the
 * reads it plans for files as they grow, rotate and truncate. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "th_limits.h"

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
	struct th_error err = {0};
	struct th_state *st = state_open(at("s"), by_coroutine, 1, NULL, &err);
	cr_assert_not_null(st, "state_open: %s", err.message);
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

/* A state whose one run read app.log, holding "one\n", to its end. */
static struct th_state *after_one_run(void)
{
	struct th_state *st = open_ok();
	write_file(at("app.log"), "w", "one\n");
	read_all(st, at("app.log"));
	return st;
}

static void save_ok(struct th_state *st)
{
	struct th_error err = {0};
	cr_assert(state_save(st, &err), "%s", err.message);
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
	struct th_state *st = after_one_run();
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
	struct th_error err = {0};
	cr_assert_null(state_open(at("s"), by_coroutine, 1, NULL, &err));
	cr_assert(strstr(err.file, at("s")) != NULL, "%s", err.message);
}

Test(state, a_foreign_document_is_refused)
{
	write_file(at("s"), "w", "{\"schema\": \"tracehound.report/1\"}\n");
	struct th_error err = {0};
	cr_assert_null(state_open(at("s"), by_coroutine, 1, NULL, &err));
	cr_assert(strstr(err.message, "not a tracehound.state/2") != NULL, "%s",
		  err.message);
}

static void count_busy(void *ctx, const char *lock_path)
{
	cr_expect(strstr(lock_path, "s.lock") != NULL, "%s", lock_path);
	++*(int *)ctx;
}

Test(state, a_second_open_waits_then_fails_while_locked)
{
	struct th_state *st = open_ok();
	struct th_error err = {0};
	int busy = 0;
	struct th_state_options o;
	state_options_init(&o);
	o.lock_wait = 0.2;
	o.on_lock_busy = count_busy;
	o.ctx = &busy;
	struct th_state *second =
	    state_open(at("s"), by_coroutine, 1, &o, &err);
	cr_assert_null(second);
	cr_assert(strstr(err.message, "locked") != NULL, "%s", err.message);
	cr_expect_eq(busy, 1, "the busy lock was told %d times", busy);
	state_free(st);
	st = open_ok(); /* released */
	state_free(st);
}

Test(state, a_save_replaces_the_file_and_leaves_no_temp_file)
{
	struct th_state *st = after_one_run();
	save_ok(st);
	save_ok(st);
	state_free(st);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "test $(ls %s | grep -c tmp) = 0", dir);
	cr_assert_eq(system(cmd), 0);
	st = open_ok();
	state_free(st);
}

/* ---- a log rotated more than once between two runs ----------------------- */

static void set_mtime(const char *path, time_t when)
{
	struct timespec ts[2] = {{when, 0}, {when, 0}};
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0, "%s", path);
}

static void move(const char *from, const char *to)
{
	char a[256], b[256];
	snprintf(a, sizeof a, "%s", at(from));
	snprintf(b, sizeof b, "%s", at(to));
	cr_assert_eq(rename(a, b), 0, "%s -> %s", a, b);
}

static void run_in_dir(const char *cmd)
{
	char full[512];
	snprintf(full, sizeof full, "cd %s && %s", dir, cmd);
	cr_assert_eq(system(full), 0, "%s", full);
}

/* Asserts that PLAN reads NAMES (in DIR; NULL-terminated), in order. */
static void assert_reads(const struct th_state_plan *plan,
			 const char *const *names)
{
	size_t n = 0;
	while (names[n] != NULL)
		n++;
	cr_assert_eq(plan->n, n, "%zu reads, expected %zu (first %s)", plan->n,
		     n, plan->n ? plan->reads[0].path : "-");
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(plan->reads[i].path, at(names[i]), "read %zu",
				 i);
	cr_assert(plan->reads[n - 1].tracked);
	for (size_t i = 0; i + 1 < n; i++)
		cr_assert_not(plan->reads[i].tracked, "read %zu", i);
}

Test(state, two_renames_read_the_old_tail_then_the_middle_one_whole)
{
	struct th_state *st = after_one_run();
	write_file(at("app.log"), "a", "two\n");
	move("app.log", "app.log.1");
	write_file(at("app.log"), "w", "middle\n");
	move("app.log.1", "app.log.2");
	move("app.log", "app.log.1");
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	assert_reads(
	    &plan, (const char *[]){"app.log.2", "app.log.1", "app.log", NULL});
	cr_assert_eq(plan.reads[0].start, 4);
	cr_assert_eq(plan.reads[0].end, 8);
	cr_assert_eq(plan.reads[0].line_base, 1);
	cr_assert_eq(plan.reads[1].start, 0);
	cr_assert_eq(plan.reads[1].end, 7);
	cr_assert_eq(plan.reads[1].line_base, 0);
	cr_assert_not(plan.reads[1].compressed);
	cr_assert_eq(plan.reads[2].start, 0);
	cr_assert_not(plan.lost_rotated);
	cr_assert_str_eq(plan.warning, "");
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, numbers_order_generations_oldest_first_past_nine)
{
	struct th_state *st = after_one_run();
	move("app.log", "app.log.10");
	write_file(at("app.log.9"), "w", "nine\n");
	write_file(at("app.log.2"), "w", "two\n");
	write_file(at("app.log.11"), "w", "older\n");
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	assert_reads(&plan, (const char *[]){"app.log.10", "app.log.9",
					     "app.log.2", "app.log", NULL});
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, delaycompress_reads_the_compressed_tail_then_the_plain_one)
{
	struct th_state *st = after_one_run();
	write_file(at("app.log"), "a", "two\n");
	move("app.log", "app.log.1");
	write_file(at("app.log"), "w", "middle\n");
	run_in_dir("mv app.log.1 app.log.2 && gzip app.log.2");
	move("app.log", "app.log.1");
	write_file(at("app.log"), "w", "new\n");
	/* a compressor that does not keep mtimes: .2.gz is the newest */
	set_mtime(at("app.log.1"), time(NULL) - 60);
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	assert_reads(&plan, (const char *[]){"app.log.2.gz", "app.log.1",
					     "app.log", NULL});
	cr_assert(plan.reads[0].compressed);
	cr_assert_eq(plan.reads[0].start, 4);
	cr_assert_not(plan.reads[1].compressed);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_generation_both_plain_and_compressed_is_read_once_plain)
{
	struct th_state *st = after_one_run();
	move("app.log", "app.log.2");
	write_file(at("app.log.1"), "w", "middle\n");
	run_in_dir("gzip -k app.log.1 && gzip -k app.log.2");
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	assert_reads(
	    &plan, (const char *[]){"app.log.2", "app.log.1", "app.log", NULL});
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, dateext_names_say_which_generations_came_after)
{
	struct th_state *st = open_ok();
	write_file(at("app.log-20261123"), "w", "read before\n");
	write_file(at("app.log"), "w", "one\n");
	read_all(st, at("app.log"));
	move("app.log", "app.log-20261124");
	write_file(at("app.log-20261125"), "w", "middle\n");
	write_file(at("app.log-20261126"), "w", "middle 2\n");
	run_in_dir("gzip app.log-20261123 app.log-20261125");
	/* mtimes the other way round: the names decide */
	set_mtime(at("app.log-20261126"), time(NULL) - 120);
	set_mtime(at("app.log-20261123.gz"), time(NULL) + 60);
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	assert_reads(&plan,
		     (const char *[]){"app.log-20261124", "app.log-20261125.gz",
				      "app.log-20261126", "app.log", NULL});
	cr_assert(plan.reads[1].compressed);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, other_names_beside_the_log_are_not_generations)
{
	struct th_state *st = after_one_run();
	move("app.log", "app.log.2");
	write_file(at("app.log.old"), "w", "x\n");
	write_file(at("app.log-backup"), "w", "x\n");
	write_file(at("app.log.1.swp"), "w", "x\n");
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	assert_reads(&plan, (const char *[]){"app.log.2", "app.log", NULL});
	state_plan_fini(&plan);
	state_free(st);
}

/* app.log read, then rotated twice with rotate 1: its file is gone, and
 * app.log.1 was written after it was read. */
static void rotate_twice_losing_the_old_one(struct th_state *st)
{
	write_file(at("app.log.1"), "w", "read before\n");
	set_mtime(at("app.log.1"), time(NULL) - 120);
	write_file(at("app.log"), "w", "one\n");
	set_mtime(at("app.log"), time(NULL) - 60);
	read_all(st, at("app.log"));
	save_ok(st);
	cr_assert_eq(unlink(at("app.log.1")), 0);
	move("app.log", "app.log.1");
	cr_assert_eq(unlink(at("app.log.1")), 0);
	write_file(at("app.log.1"), "w", "middle\n");
	write_file(at("app.log"), "w", "new\n");
}

Test(state, a_lost_old_file_still_reads_what_was_rotated_after_it)
{
	struct th_state *st = open_ok();
	write_file(at("app.log.2"), "w", "older, read before\n");
	set_mtime(at("app.log.2"), time(NULL) - 180);
	rotate_twice_losing_the_old_one(st);
	state_free(st);
	st = open_ok(); /* the mtime comes back from the file */
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert(plan.lost_rotated);
	assert_reads(&plan, (const char *[]){"app.log.1", "app.log", NULL});
	cr_assert_eq(plan.reads[0].start, 0);
	cr_assert(strstr(plan.warning, "not found") != NULL, "%s",
		  plan.warning);
	cr_assert(strstr(plan.warning, "1 rotated file written since") != NULL,
		  "%s", plan.warning);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_lost_old_file_with_a_state_from_before_mtimes_reads_none)
{
	struct th_state *st = open_ok();
	rotate_twice_losing_the_old_one(st);
	state_free(st);
	run_in_dir("sed -i '/mtime_ns/d' s");
	st = open_ok();
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert(plan.lost_rotated);
	assert_reads(&plan, (const char *[]){"app.log", NULL});
	cr_assert(strstr(plan.warning, "reading the new file from its start") !=
		      NULL,
		  "%s", plan.warning);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_truncated_file_does_not_read_older_generations_again)
{
	struct th_state *st = open_ok();
	write_file(at("app.log.1"), "w", "read before\n");
	set_mtime(at("app.log.1"), time(NULL) - 120);
	write_file(at("app.log"), "w", "one\ntwo\n");
	set_mtime(at("app.log"), time(NULL) - 60);
	read_all(st, at("app.log"));
	write_file(at("app.log"), "w", "x\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert(plan.lost_rotated);
	assert_reads(&plan, (const char *[]){"app.log", NULL});
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, a_generation_in_a_foreign_compression_is_said_not_read)
{
	struct th_state *st = after_one_run();
	move("app.log", "app.log.3");
	write_file(at("app.log.2.lz4"), "w", "\x04\x22\x4d\x18 not really\n");
	write_file(at("app.log.1"), "w", "middle\n");
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	assert_reads(
	    &plan, (const char *[]){"app.log.3", "app.log.1", "app.log", NULL});
	cr_assert_eq(plan.unreadable, 1);
	cr_assert(strstr(plan.warning, "app.log.2.lz4") != NULL, "%s",
		  plan.warning);
	state_plan_fini(&plan);
	state_free(st);
}

Test(state, past_the_limit_the_newest_generations_are_read)
{
	struct th_state *st = after_one_run();
	char name[64];
	int rotations = TH_STATE_MAX_GENERATIONS + 2;
	for (int i = rotations; i >= 1; i--) {
		/* the old file becomes the oldest, app.log.ROTATIONS */
		snprintf(name, sizeof name, "app.log.%d", i);
		if (i == rotations)
			move("app.log", name);
		else
			write_file(at(name), "w", "middle\n");
	}
	write_file(at("app.log"), "w", "new\n");
	struct th_state_plan plan;
	cr_assert(state_plan(st, at("app.log"), &plan));
	cr_assert_eq(plan.n, TH_STATE_MAX_GENERATIONS + 1);
	cr_assert_eq(plan.skipped, 2);
	snprintf(name, sizeof name, "app.log.%d", TH_STATE_MAX_GENERATIONS);
	cr_assert_str_eq(plan.reads[0].path, at(name));
	cr_assert_eq(plan.reads[0].start, 0);
	cr_assert_str_eq(plan.reads[TH_STATE_MAX_GENERATIONS - 1].path,
			 at("app.log.1"));
	cr_assert(strstr(plan.warning, "2 rotated files not read") != NULL,
		  "%s", plan.warning);
	state_plan_fini(&plan);
	state_free(st);
}

/* ---- --metrics totals ------------------------------------------------------
 */

/* An aggregate by coroutine over CATALOG: group "coI" gets COUNTS[I]
 * events of rule 0. */
static struct th_agg *groups_of(const struct th_catalog *c,
				const uint64_t *counts, size_t n)
{
	struct th_agg *agg = agg_new(c, by_coroutine, 1);
	struct th_event ev;
	event_init(&ev);
	for (size_t i = 0; i < n; i++)
		for (uint64_t k = 0; k < counts[i]; k++) {
			char name[32];
			event_reset(&ev);
			ev.input = "app.log";
			ev.line = ev.end_line = 1;
			ev.complete = true;
			event_add_line(&ev, TH_SPAN_LIT("line"));
			snprintf(name, sizeof name, "co%zu", i);
			event_set(&ev, TH_F_COROUTINE, th_cstr(name));
			agg_add(agg, &ev);
		}
	event_fini(&ev);
	return agg;
}

/* One --state run over the groups COUNTS gives, saved; its metrics in
 * M (metrics_fini it). */
static void count_run(const struct th_catalog *c, const uint64_t *counts,
		      size_t n, struct th_metrics *m)
{
	struct th_state *st = open_ok();
	struct th_agg *agg = groups_of(c, counts, n);
	struct th_run run;
	run_init(&run, 0);
	size_t not_kept;
	state_mark_groups(st, agg, "2024-05-01T00:00:00Z", &not_kept);
	state_count_run(st, agg, c, &run);
	struct th_error err = {0};
	cr_assert(state_save(st, &err), "%s", err.message);
	metrics_init(m, by_coroutine, 1);
	state_metrics(st, m);
	run_fini(&run);
	agg_free(agg);
	state_free(st);
}

/* The events of group NAME's series in M; -1 when it has none. */
static long long series_of(const struct th_metrics *m, const char *name)
{
	for (size_t i = 0; i < m->n_groups; i++)
		if (strcmp(m->groups[i].vals[0], name) == 0)
			return (long long)m->groups[i].events;
	return -1;
}

Test(state, group_counters_only_go_up_when_groups_change_places)
{
	enum { N = TH_METRICS_GROUP_SERIES + 1 };
	struct th_catalog *c = catalog_new();
	catalog_add_rule(c, "r", TH_SEV_ERROR);
	uint64_t counts[N];
	for (size_t i = 0; i < N; i++)
		counts[i] = i + 1;
	struct th_metrics first, second;
	count_run(c, counts, N, &first);
	cr_expect_eq(first.n_groups, TH_METRICS_GROUP_SERIES);
	cr_expect_eq(series_of(&first, "co0"), -1, "the smallest is in other");
	cr_expect_eq(first.other_events, 1);
	cr_expect_eq(first.new_groups, N);
	/* co0 now has the most: it takes co1's place */
	memset(counts, 0, sizeof counts);
	counts[0] = 500;
	counts[5] = 1;
	count_run(c, counts, N, &second);
	cr_expect_eq(series_of(&second, "co0"), 500);
	cr_expect_eq(series_of(&second, "co1"), -1, "co1 left the top");
	cr_expect_eq(series_of(&second, "co5"), 7);
	cr_expect_eq(second.other_events, 1, "other never goes down");
	cr_expect_eq(second.new_groups, 0);
	cr_assert_eq(second.n_rules, 1);
	cr_expect_eq(second.rules[0].events, (uint64_t)N * (N + 1) / 2 + 501);
	for (size_t i = 0; i < first.n_groups; i++) {
		long long now = series_of(&second, first.groups[i].vals[0]);
		cr_expect(now == -1 || now >= (long long)first.groups[i].events,
			  "%s went down", first.groups[i].vals[0]);
	}
	metrics_fini(&first);
	metrics_fini(&second);
	catalog_free(c);
}

Test(state, a_version_1_state_loads_with_its_totals_at_zero)
{
	write_file(at("s"), "w",
		   "{\"schema\": \"tracehound.state/1\", \"files\": [], "
		   "\"groups\": {\"coroutine\": [{\"key\": [\"main\"], "
		   "\"first_seen\": \"2024-05-01T00:00:00Z\"}]}}\n");
	struct th_catalog *c = catalog_new();
	catalog_add_rule(c, "r", TH_SEV_ERROR);
	uint64_t counts[1] = {2};
	struct th_metrics m;
	count_run(c, counts, 1, &m);
	cr_expect_eq(m.new_groups, 1, "co0 is new, main was known");
	cr_expect_eq(series_of(&m, "co0"), 2);
	cr_expect_eq(series_of(&m, "main"), -1, "no events: no series");
	metrics_fini(&m);
	catalog_free(c);
	FILE *f = fopen(at("s"), "r");
	char buf[4096] = "";
	size_t got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[got] = '\0';
	cr_expect(strstr(buf, "\"schema\": \"tracehound.state/2\"") != NULL,
		  "%s", buf);
}
