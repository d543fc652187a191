/* test_timeline.c - time buckets: widths double and pairs fold when an
 * event falls outside, the result depends only on the events' seconds
 * (any split, merged in any order, gives the timeline of the whole), and
 * the sparkline drawn from it.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "timeline.h"

static uint64_t total(const struct th_timeline *t)
{
	uint64_t n = 0;
	for (size_t i = 0; i < TH_TIMELINE_BUCKETS; i++)
		n += t->counts[i];
	return n;
}

Test(timeline, events_within_the_buckets_keep_one_second_each)
{
	struct th_timeline t = {0};
	timeline_add(&t, 1000, 1);
	timeline_add(&t, 1003, 2);
	timeline_add(&t, 1000, 1);
	cr_expect_eq(t.width, 1);
	cr_expect_eq(t.first, 1000);
	cr_expect_eq(t.counts[0], 2);
	cr_expect_eq(t.counts[3], 2);
	cr_expect_eq(timeline_used(&t), 4);
}

Test(timeline, an_event_outside_doubles_the_width_and_folds_pairs)
{
	struct th_timeline t = {0};
	timeline_add(&t, 0, 1);
	timeline_add(&t, 1, 1);
	timeline_add(&t, 63, 1);
	cr_expect_eq(t.width, 1);
	timeline_add(&t, 64, 1); /* 65 seconds do not fit in 64 buckets */
	cr_expect_eq(t.width, 2);
	cr_expect_eq(t.first, 0);
	cr_expect_eq(t.counts[0], 2, "0 and 1 folded into one bucket");
	cr_expect_eq(t.counts[31], 1);
	cr_expect_eq(t.counts[32], 1);
	timeline_add(&t, -1000, 1); /* before, and far */
	cr_expect_eq(t.width, 32);
	cr_expect_eq(t.first, -32, "floor(-1000 / 32)");
	cr_expect_eq(total(&t), 5);
}

Test(timeline, extent_is_the_first_to_the_end_of_the_last_bucket)
{
	struct th_timeline t = {0};
	int64_t s, e;
	cr_expect_not(timeline_extent(&t, &s, &e));
	timeline_add(&t, 100, 1);
	timeline_add(&t, 300, 1);
	cr_assert(timeline_extent(&t, &s, &e));
	cr_expect_eq(t.width, 4);
	cr_expect_eq(s, 100);
	cr_expect_eq(e, 304);
}

/* A small deterministic generator, so failures can be replayed. */
static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

Test(timeline, any_split_merged_in_any_order_gives_the_whole)
{
	enum { EVENTS = 300, PARTS = 5 };
	uint64_t seed = 88172645463325252ULL;
	for (int round = 0; round < 200; round++) {
		int64_t secs[EVENTS];
		size_t part[EVENTS];
		int64_t base =
		    (int64_t)(next(&seed) % 4000000000ULL) - 1000000000LL;
		uint64_t spread =
		    1 + next(&seed) % (round % 3 ? 5000 : 9000000000ULL);
		struct th_timeline whole = {0}, parts[PARTS] = {{0}};
		for (size_t i = 0; i < EVENTS; i++) {
			secs[i] = base + (int64_t)(next(&seed) % spread);
			part[i] = next(&seed) % PARTS;
			timeline_add(&whole, secs[i], 1);
			timeline_add(&parts[part[i]], secs[i], 1);
		}
		/* ((p3 + p0) + (p4 + p1)) + p2, and p2 + ... in reverse */
		struct th_timeline a = parts[3], b = parts[4], r = parts[2];
		timeline_merge(&a, &parts[0]);
		timeline_merge(&b, &parts[1]);
		timeline_merge(&a, &b);
		timeline_merge(&a, &parts[2]);
		for (size_t k = PARTS; k-- > 0;)
			if (k != 2)
				timeline_merge(&r, &parts[k]);
		cr_assert(memcmp(&a, &whole, sizeof a) == 0,
			  "round %d: merged width %llu first %lld, whole "
			  "width %llu first %lld",
			  round, (unsigned long long)a.width,
			  (long long)a.first, (unsigned long long)whole.width,
			  (long long)whole.first);
		cr_assert(memcmp(&r, &whole, sizeof r) == 0, "round %d", round);
		cr_expect_eq(total(&whole), EVENTS);
	}
}

Test(timeline, adding_an_event_is_merging_a_timeline_of_its_second)
{
	uint64_t seed = 2463534242ULL;
	/* the second one is not canonical: its first bucket is empty */
	struct th_timeline starts[2] = {{0}, {.first = 10, .width = 2}};
	starts[1].counts[3] = 4;
	for (size_t s = 0; s < 2; s++) {
		struct th_timeline t = starts[s];
		for (int i = 0; i < 2000; i++) {
			int64_t sec = 1000 + (int64_t)(next(&seed) % 300) -
				      (i % 50 == 0 ? 5000 : 0);
			struct th_timeline one = {.first = sec, .width = 1},
					   want = t;
			one.counts[0] = 1;
			timeline_merge(&want, &one);
			timeline_add(&t, sec, 1);
			cr_assert(memcmp(&t, &want, sizeof t) == 0,
				  "start %zu, event %d at %lld", s, i,
				  (long long)sec);
		}
	}
}

Test(timeline, adding_events_far_apart_is_merging_too)
{
	/* jumps of up to 2^46 s either way: widths up to the widest, the
	 * buckets past it counted in the last */
	uint64_t seed = 88172645463325252ULL;
	struct th_timeline t = {0};
	for (int i = 0; i < 3000; i++) {
		uint64_t r = next(&seed);
		int64_t sec = (int64_t)(r % 1000) *
			      ((int64_t)1 << (r >> 20) % 47) *
			      (r & (1u << 12) ? -1 : 1);
		struct th_timeline one = {.first = sec, .width = 1}, want = t;
		one.counts[0] = 1 + r % 3;
		timeline_merge(&want, &one);
		timeline_add(&t, sec, 1 + r % 3);
		cr_assert(memcmp(&t, &want, sizeof t) == 0,
			  "event %d at %lld: width %llu, want %llu", i,
			  (long long)sec, (unsigned long long)t.width,
			  (unsigned long long)want.width);
	}
}

Test(timeline, merging_an_empty_timeline_changes_nothing)
{
	struct th_timeline t = {0}, empty = {0}, copy;
	timeline_add(&t, 5, 3);
	copy = t;
	timeline_merge(&t, &empty);
	cr_expect(memcmp(&t, &copy, sizeof t) == 0);
	timeline_merge(&empty, &t);
	cr_expect(memcmp(&empty, &copy, sizeof t) == 0);
}

Test(timeline, a_bucket_read_back_with_empty_buckets_first_is_made_canonical)
{
	struct th_timeline odd = {.first = 10, .width = 2}, t = {0};
	odd.counts[3] = 4; /* seconds 26..27 */
	timeline_merge(&t, &odd);
	cr_expect_eq(t.width, 2);
	cr_expect_eq(t.first, 13);
	cr_expect_eq(t.counts[0], 4);
}

Test(timeline, merging_into_a_timeline_with_empty_buckets_first_is_canonical)
{
	/* read back from a report: its first bucket is empty, so the one
	 * merged into it, which falls inside, cannot simply add there */
	struct th_timeline odd = {.first = 10, .width = 2}, one = {0};
	odd.counts[3] = 4; /* seconds 26..27 */
	timeline_add(&one, 30, 1);
	timeline_merge(&odd, &one);
	cr_expect_eq(odd.width, 2);
	cr_expect_eq(odd.first, 13);
	cr_expect_eq(odd.counts[0], 4);
	cr_expect_eq(odd.counts[2], 1, "second 30: bucket 15");
}

Test(timeline, merging_narrower_parts_inside_a_wider_one_is_adding_them)
{
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	for (int round = 0; round < 200; round++) {
		struct th_timeline wide = {0}, part = {0}, whole = {0};
		/* WIDE spans some 1000 s (width 16), PART a stretch of it */
		int64_t base = (int64_t)(next(&seed) % 100000) - 50000;
		int64_t from = base + (int64_t)(next(&seed) % 900);
		int64_t span = 1 + (int64_t)(next(&seed) % 100);
		timeline_add(&wide, base, 1);
		timeline_add(&wide, base + 999, 1);
		timeline_add(&whole, base, 1);
		timeline_add(&whole, base + 999, 1);
		for (int e = 0; e < 20; e++) {
			int64_t s = from + (int64_t)(next(&seed) % span);
			timeline_add(&part, s, 1);
			timeline_add(&whole, s, 1);
		}
		timeline_merge(&wide, &part);
		cr_assert(memcmp(&wide, &whole, sizeof wide) == 0,
			  "round %d: merged width %llu first %lld, whole "
			  "width %llu first %lld",
			  round, (unsigned long long)wide.width,
			  (long long)wide.first,
			  (unsigned long long)whole.width,
			  (long long)whole.first);
	}
}

Test(timeline, sparkline_shows_the_spike_scaled_to_the_fullest_column)
{
	struct th_timeline t = {0};
	timeline_add(&t, 0, 1);
	timeline_add(&t, 4, 8);
	timeline_add(&t, 7, 4);
	char out[8 * TIMELINE_GLYPH_BYTES + 1];
	cr_expect_eq(timeline_columns(0, 8, 48), 8);
	timeline_sparkline(&t, 0, 8, 8, out);
	cr_expect_str_eq(out, "▁   █  ▄");
}

Test(timeline, sparkline_over_a_wider_span_leaves_other_times_blank)
{
	struct th_timeline t = {0};
	timeline_add(&t, 50, 2);
	char out[10 * TIMELINE_GLYPH_BYTES + 1];
	timeline_sparkline(&t, 0, 100, 10, out);
	cr_expect_str_eq(out, "     █    ");
}

Test(timeline, describe_names_the_span_and_a_column)
{
	char out[128];
	timeline_describe(1714557600, 1714561200, 48, out, sizeof out);
	cr_expect_str_eq(out, "2024-05-01 10:00:00 to 11:00:00, 75s a column");
	timeline_describe(1714557600, 1714557600 + 3 * 86400, 24, out,
			  sizeof out);
	cr_expect_str_eq(out, "2024-05-01 10:00:00 to 2024-05-04 10:00:00, "
			      "3h a column");
}
