/* test_buf.c - the base layer's small helpers: ASCII digits, span
 * prefixes, the growable buffer (always a C string, taken or freed) and
 * diag.h's array growth rule beside it (doubling from its first size,
 * never shrinking).
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "buf.h"

Test(buf, digits_are_ascii_only)
{
	for (int c = 0; c < 256; c++)
		cr_expect_eq(th_is_digit((char)c), c >= '0' && c <= '9', "%d",
			     c);
}

Test(buf, starts_with_needs_the_whole_literal)
{
	cr_expect(th_starts_with(TH_SPAN_LIT("Traceback (most"), "Trace"));
	cr_expect(th_starts_with(TH_SPAN_LIT("Trace"), "Trace"));
	cr_expect(!th_starts_with(TH_SPAN_LIT("Trac"), "Trace"));
	cr_expect(!th_starts_with(TH_SPAN_LIT("trace"), "Trace"));
	/* a span is not a C string: bytes past N are not read */
	struct th_span cut = {"Traceback", 4};
	cr_expect(!th_starts_with(cut, "Trace"));
}

Test(buf, span_or_empty_takes_null)
{
	struct th_span s = th_span_or_empty(NULL);
	cr_expect(s.p == NULL && s.n == 0);
	s = th_span_or_empty("abc");
	cr_expect(s.n == 3 && memcmp(s.p, "abc", 3) == 0);
}

Test(buf, the_buffer_is_a_c_string_after_every_add)
{
	struct th_buf b = {0};
	buf_str(&b, "never ");
	cr_expect_str_eq(b.p, "never ");
	for (int i = 0; i < 1000; i++)
		buf_add(&b, "retrieved", 9);
	cr_expect_eq(b.n, 6 + 9000);
	cr_expect_eq(strlen(b.p), b.n);
	cr_expect(b.cap > b.n);
	char *s = buf_take(&b);
	cr_expect(b.p == NULL && b.n == 0 && b.cap == 0);
	cr_expect_eq(strncmp(s, "never retrievedretrieved", 24), 0);
	free(s);
}

Test(buf, an_empty_buffer_is_taken_as_an_empty_string)
{
	struct th_buf b = {0};
	char *s = buf_take(&b);
	cr_expect_str_eq(s, "");
	free(s);
	buf_fini(&b); /* on an empty buffer too */
}

Test(buf, reserve_gives_room_after_the_bytes_held)
{
	struct th_buf b = {0};
	buf_str(&b, "ab");
	char *at = buf_reserve(&b, 5000);
	cr_expect(at == b.p + 2);
	cr_expect(b.cap >= 2 + 5000 + 1);
	memset(at, 'x', 5000);
	b.n += 5000;
	cr_expect_eq(b.p[0], 'a');
	cr_expect_eq(b.p[5001], 'x');
	buf_fini(&b);
}

Test(buf, arrays_double_from_their_first_size)
{
	int *v = NULL;
	size_t cap = 0;
	XGROW(v, cap, 1, 16);
	cr_expect_eq(cap, 16);
	XGROW(v, cap, 16, 16);
	cr_expect_eq(cap, 16); /* room enough: unchanged */
	XGROW(v, cap, 17, 16);
	cr_expect_eq(cap, 32);
	XGROW(v, cap, 1000, 16);
	cr_expect_eq(cap, 1024);
	for (int i = 0; i < 1000; i++)
		v[i] = i; /* all of it is there (ASan checks) */
	XGROW(v, cap, 3, 16);
	cr_expect_eq(cap, 1024); /* never shrinks */
	cr_expect_eq(v[999], 999);
	free(v);
}
