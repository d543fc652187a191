/* test_text.c - text from outside made safe to show: cuts that never
 * split a character, and the terminal clean-up one character at a time. */
#include <criterion/criterion.h>

#include <string.h>

#include "text.h"

Test(text, a_string_that_fits_is_copied_whole)
{
	char out[8];
	cr_assert_str_eq(text_cut(out, sizeof out, "abcdefg"), "abcdefg");
	cr_assert_str_eq(text_cut(out, sizeof out, ""), "");
}

Test(text, a_long_string_is_cut_with_an_ellipsis)
{
	char out[8];
	/* 7 bytes of room: 4 of text, "…" and NUL */
	cr_assert_str_eq(text_cut(out, sizeof out, "abcdefgh"), "abcd…");
}

Test(text, a_cut_never_splits_a_character)
{
	char out[8];
	/* "a" then two-byte "é"s: the fourth byte would split one */
	cr_assert_str_eq(text_cut(out, sizeof out, "aéééé"), "aé…");
	/* a four-byte character that does not fit is left out whole */
	cr_assert_str_eq(text_cut(out, sizeof out, "ab\xF0\x9F\x98\x80xyz"),
			 "ab…");
}

Test(text, invalid_bytes_are_cut_like_characters)
{
	char out[5];
	cr_assert_str_eq(text_cut(out, sizeof out, "a\xff\xfe\xfd\xfc"), "a…");
}

Test(text, a_terminal_escape_becomes_visible_text)
{
	char one[TEXT_TERM_CHAR_MAX];
	cr_assert_eq(text_term_char("\x1b]0;x", 5, true, one), 1);
	cr_assert_str_eq(one, "\\x1b");
	cr_assert_eq(text_term_char("\x07", 1, true, one), 1);
	cr_assert_str_eq(one, "\\x07");
	cr_assert_eq(text_term_char("\xC2\x9B", 2, true, one), 2);
	cr_assert_str_eq(one, "\\x9b");
	cr_assert_eq(text_term_char("\xE2\x80\xAE", 3, true, one), 3);
	cr_assert_str_eq(one, "\\u202e");
	cr_assert_eq(text_term_char("\\", 1, true, one), 1);
	cr_assert_str_eq(one, "\\\\");
}

Test(text, tabs_are_kept_only_when_asked)
{
	char one[TEXT_TERM_CHAR_MAX];
	text_term_char("\t", 1, true, one);
	cr_assert_str_eq(one, "\t");
	text_term_char("\t", 1, false, one);
	cr_assert_str_eq(one, "\\x09");
}

Test(text, printable_characters_are_kept)
{
	char one[TEXT_TERM_CHAR_MAX];
	cr_assert_eq(text_term_char("é!", 3, true, one), 2);
	cr_assert_str_eq(one, "é");
	cr_assert_eq(text_term_char("\xF0\x9F\x98\x80", 4, true, one), 4);
	cr_assert_str_eq(one, "\xF0\x9F\x98\x80");
	cr_assert_eq(text_term_char("\xff", 1, true, one), 1);
	cr_assert_str_eq(one, "\xEF\xBF\xBD");
}

Test(text, the_whole_clean_is_the_steps_in_a_row)
{
	size_t n;
	char *c = text_term_clean("a\x1b[2Jb\tc\\", 9, false, &n);
	cr_assert_str_eq(c, "a\\x1b[2Jb\\x09c\\\\");
	cr_assert_eq(n, strlen(c));
	free(c);
}

/* Each length of UTF-8, checked against the step that reads it back. */
Test(text, code_points_are_written_in_utf8_of_every_length)
{
	static const long points[] = {0x41,   0x7f,    0x80,	0xe9,
				      0x7ff,  0x800,   0x20ac,	0xfffd,
				      0xffff, 0x10000, 0x1f600, 0x10ffff};
	static const size_t lengths[] = {1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4};
	for (size_t i = 0; i < sizeof points / sizeof *points; i++) {
		char out[4];
		size_t n = text_utf8_put(points[i], out);
		bool valid;
		cr_expect_eq(n, lengths[i], "U+%lX", points[i]);
		cr_expect_eq(text_utf8_step(out, n, &valid), n, "U+%lX",
			     points[i]);
		cr_expect(valid, "U+%lX", points[i]);
	}
	char e[4];
	cr_expect_eq(text_utf8_put(0x20ac, e), 3);
	cr_expect(memcmp(e, "\xe2\x82\xac", 3) == 0);
}

Test(text, hex_digits_of_either_case_are_read_and_others_refused)
{
	cr_expect_eq(text_hex_value("00e9", 4), 0xe9);
	cr_expect_eq(text_hex_value("DeadBeef", 8), 0xdeadbeefL);
	cr_expect_eq(text_hex_value("1g", 2), -1);
	cr_expect_eq(text_hex_value("1 ", 2), -1);
	cr_expect_eq(text_hex_value("", 0), 0);
}
