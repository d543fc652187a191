/* test_spanmap.c - the hash map from byte strings to indexes: a key is
 * found by its bytes (NUL bytes and the empty string included), the first
 * value put stays, and growing keeps every entry.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "spanmap.h"

static struct th_span span(const char *p, size_t n)
{
	return (struct th_span){p, n};
}

Test(spanmap, a_key_is_found_by_its_bytes_not_its_address)
{
	struct spanmap m;
	spanmap_init(&m);
	char a[] = "worker", b[] = "worker";
	size_t v = 0;
	cr_assert(spanmap_put(&m, th_cstr(a), 7, NULL));
	cr_assert(spanmap_get(&m, th_cstr(b), &v));
	cr_expect_eq(v, 7);
	cr_expect_not(spanmap_get(&m, span(b, 5), &v), "a prefix is no key");
	spanmap_fini(&m);
}

Test(spanmap, the_first_value_put_stays_and_set_changes_it)
{
	struct spanmap m;
	spanmap_init(&m);
	size_t old = 0, v = 0;
	cr_assert(spanmap_put(&m, th_cstr("id"), 1, NULL));
	cr_expect_not(spanmap_put(&m, th_cstr("id"), 2, &old));
	cr_expect_eq(old, 1);
	spanmap_set(&m, th_cstr("id"), 3);
	cr_assert(spanmap_get(&m, th_cstr("id"), &v));
	cr_expect_eq(v, 3);
	spanmap_fini(&m);
}

Test(spanmap, nul_bytes_and_the_empty_key_are_keys_like_others)
{
	struct spanmap m;
	spanmap_init(&m);
	size_t v = 0;
	cr_expect_not(spanmap_get(&m, span(NULL, 0), &v), "an empty map");
	cr_assert(spanmap_put(&m, span("a\0b", 3), 1, NULL));
	cr_assert(spanmap_put(&m, span("a\0c", 3), 2, NULL));
	cr_assert(spanmap_put(&m, span(NULL, 0), 3, NULL));
	cr_assert(spanmap_get(&m, span("a\0c", 3), &v));
	cr_expect_eq(v, 2);
	cr_assert(spanmap_get(&m, span("", 0), &v));
	cr_expect_eq(v, 3);
	cr_expect_not(spanmap_get(&m, span("a", 1), &v));
	spanmap_fini(&m);
}

Test(spanmap, growing_keeps_every_entry)
{
	enum { N = 5000 };
	static char keys[N][16];
	struct spanmap m;
	spanmap_init(&m);
	for (size_t i = 0; i < N; i++) {
		snprintf(keys[i], sizeof keys[i], "rule-%zu", i);
		cr_assert(spanmap_put(&m, th_cstr(keys[i]), i, NULL));
	}
	cr_expect_eq(m.n, N);
	for (size_t i = 0; i < N; i++) {
		size_t v = SIZE_MAX;
		cr_assert(spanmap_get(&m, th_cstr(keys[i]), &v), "%s", keys[i]);
		cr_expect_eq(v, i, "%s", keys[i]);
	}
	spanmap_fini(&m);
}
