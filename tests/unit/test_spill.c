/* test_spill.c - runs in unlinked temporary files: records come back as
 * they were put, the file takes no name in the directory, the runs of a
 * file share its one descriptor, a merge of sorted runs is sorted and
 * keeps equal records in run order, and the record encoding round-trips.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "spill.h"

/* A fresh empty directory under /tmp (removed by the caller). */
static char *empty_dir(void)
{
	char *dir = strdup("/tmp/test_spill-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	return dir;
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n +=
		    strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static int num_cmp(const void *x, size_t xn, const void *y, size_t yn,
		   void *ctx)
{
	(void)xn;
	(void)yn;
	(void)ctx;
	return strcmp(x, y) < 0 ? -1 : strcmp(x, y) > 0;
}

/* Records "%06d.TAG" for the values from START by STEP, COUNT of them. */
static struct th_spill_run *run_of(struct th_spill_file *f, int start, int step,
				   int count, char tag)
{
	struct th_spill_run *r = spill_run_new(f);
	for (int i = 0; i < count; i++) {
		char rec[32];
		int n =
		    snprintf(rec, sizeof rec, "%06d.%c", start + i * step, tag);
		spill_run_put(r, rec, (size_t)n + 1);
	}
	return r;
}

Test(spill, a_run_gives_back_its_records_in_order_and_has_no_name)
{
	char *dir = empty_dir();
	struct th_spill_file *f = spill_file_new(dir);
	struct th_spill_run *r = spill_run_new(f);
	cr_expect_eq(entries(dir), 0, "the file is unlinked at creation");
	char big[100000];
	memset(big, 'x', sizeof big);
	spill_run_put(r, "a", 1);
	spill_run_put(r, "", 0);
	spill_run_put(r, big, sizeof big);
	spill_run_put(r, "b\0c", 3);
	cr_expect_eq(spill_run_count(r), 4);
	spill_run_rewind(r);
	const void *p;
	size_t n;
	cr_assert(spill_run_get(r, &p, &n));
	cr_expect(n == 1 && memcmp(p, "a", 1) == 0);
	cr_assert(spill_run_get(r, &p, &n));
	cr_expect_eq(n, 0);
	cr_assert(spill_run_get(r, &p, &n));
	cr_expect(n == sizeof big && memcmp(p, big, n) == 0);
	cr_assert(spill_run_get(r, &p, &n));
	cr_expect(n == 3 && memcmp(p, "b\0c", 3) == 0);
	cr_expect_not(spill_run_get(r, &p, &n));
	spill_run_free(r);
	spill_file_free(f);
	cr_expect_eq(rmdir(dir), 0);
	free(dir);
}

Test(spill, a_merge_is_sorted_and_keeps_equal_records_in_run_order)
{
	char *dir = empty_dir();
	struct th_spill_file *f = spill_file_new(dir);
	struct th_spill_run *runs[3] = {
	    run_of(f, 0, 3, 1000, 'a'), /* 0, 3, 6, ... */
	    run_of(f, 0, 2, 1500, 'b'), /* 0, 2, 4, ... */
	    run_of(f, 5, 0, 0, 'c'),	/* empty */
	};
	struct th_spill_merge *m = spill_merge_new(runs, 3, num_cmp, NULL);
	const void *p;
	size_t n, count = 0;
	char last[32] = "";
	while (spill_merge_next(m, &p, &n)) {
		cr_assert_eq(n, strlen(p) + 1);
		cr_expect_lt(strcmp(last, p), 0, "%s after %s", (char *)p,
			     last);
		/* a record equal in number to the last one: from a later run */
		cr_expect(last[0] == '\0' || strncmp(last, p, 6) != 0 ||
			      strcmp(last + 7, (const char *)p + 7) < 0,
			  "%s after %s", (char *)p, last);
		strcpy(last, p);
		count++;
	}
	cr_expect_eq(count, 2500);
	cr_expect_str_eq(last, "002998.b");
	spill_merge_free(m);
	/* a run reads again from its start */
	m = spill_merge_new(runs, 3, num_cmp, NULL);
	cr_assert(spill_merge_next(m, &p, &n));
	cr_expect_str_eq(p, "000000.a");
	spill_merge_free(m);
	for (size_t i = 0; i < 3; i++)
		spill_run_free(runs[i]);
	spill_file_free(f);
	cr_expect_eq(rmdir(dir), 0);
	free(dir);
}

/* Descriptors open in this process. */
static size_t open_descriptors(void)
{
	return entries("/proc/self/fd");
}

/* Issue 13: every run had a file of its own, and a -j 64 scan of many
 * groups ran out of descriptors (and held a 64 KiB buffer per run). */
Test(spill, the_runs_of_a_file_share_its_descriptor_and_read_back_apart)
{
	char *dir = empty_dir();
	size_t before = open_descriptors();
	struct th_spill_file *f = spill_file_new(dir);
	struct th_spill_run *runs[2000];
	for (int i = 0; i < 2000; i++)
		runs[i] = run_of(f, i, 1, 3, 'r');
	cr_expect_eq(open_descriptors(), before + 1,
		     "2000 runs take the file's one descriptor");
	/* read out of order, and again: each run holds its own records */
	for (int i = 1999; i >= 0; i -= 7) {
		for (int pass = 0; pass < 2; pass++) {
			spill_run_rewind(runs[i]);
			const void *p;
			size_t n;
			char want[32];
			for (int k = 0; k < 3; k++) {
				snprintf(want, sizeof want, "%06d.r", i + k);
				cr_assert(spill_run_get(runs[i], &p, &n));
				cr_expect_str_eq(p, want, "run %d", i);
			}
			cr_expect_not(spill_run_get(runs[i], &p, &n));
		}
	}
	for (int i = 0; i < 2000; i++)
		spill_run_free(runs[i]);
	spill_file_free(f);
	cr_expect_eq(open_descriptors(), before);
	cr_expect_eq(rmdir(dir), 0);
	free(dir);
}

Test(spill, a_run_freed_while_written_leaves_the_others_whole)
{
	char *dir = empty_dir();
	struct th_spill_file *f = spill_file_new(dir);
	struct th_spill_run *a = run_of(f, 1, 1, 5000, 'a');
	struct th_spill_run *b = run_of(f, 1, 1, 5000, 'b');
	spill_run_free(b); /* being written: the next run takes its place */
	struct th_spill_run *c = run_of(f, 7, 1, 1, 'c');
	spill_run_rewind(a);
	spill_run_rewind(c);
	const void *p;
	size_t n, count = 0;
	while (spill_run_get(a, &p, &n)) {
		cr_expect_eq(((const char *)p)[7], 'a', "%s", (const char *)p);
		count++;
	}
	cr_expect_eq(count, 5000);
	cr_assert(spill_run_get(c, &p, &n));
	cr_expect_str_eq(p, "000007.c");
	cr_expect_not(spill_run_get(c, &p, &n));
	spill_run_free(a);
	spill_run_free(c);
	spill_file_free(f);
	cr_expect_eq(rmdir(dir), 0);
	free(dir);
}

/* A varint as agg.c writes one: spill_varint_encode appended to B. */
static void put_u64(struct th_buf *b, uint64_t v)
{
	unsigned char out[SPILL_VARINT_MAX];
	buf_add(b, (const char *)out, spill_varint_encode(out, v));
}

Test(spill, records_encode_and_decode_alike)
{
	struct th_buf b = {0};
	uint64_t nums[] = {0, 1, 127, 128, 300, UINT64_MAX - 1, UINT64_MAX};
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
		put_u64(&b, nums[i]);
	buf_add(&b, "Task-12", 8);
	buf_add(&b, "", 1);
	buf_add(&b, "\0\1\2", 3);
	struct th_spill_reader r = {(const unsigned char *)b.p,
				    (const unsigned char *)b.p + b.n};
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
		cr_expect_eq(spill_get_u64(&r), nums[i]);
	cr_expect_str_eq(spill_get_str(&r), "Task-12");
	cr_expect_str_eq(spill_get_str(&r), "");
	char three[3];
	spill_get_bytes(&r, three, 3);
	cr_expect(memcmp(three, "\0\1\2", 3) == 0);
	cr_expect(r.p == r.end);
	buf_fini(&b);
}

Test(spill, reading_past_a_record_dies, .signal = SIGABRT)
{
	struct th_spill_reader r = {(const unsigned char *)"ab",
				    (const unsigned char *)"ab" + 2};
	spill_get_span(&r, 3);
}
