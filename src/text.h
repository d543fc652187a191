/* text.h - bytes from outside made safe to show: UTF-8 steps, the
 * terminal clean-up every report and every diagnostic uses, and cuts
 * that never split a character.
 *
 * Owns:        nothing; strings returned are the caller's to free().
 * Errors:      out of memory aborts (diag.c, which says why, uses this
 *              module); nothing is printed.
 *
 * Log text, file names, rule files and fleet reports are bytes: invalid
 * UTF-8, NUL and control bytes are normal in them. Whatever reaches a
 * terminal or a mail from outside goes through text_term_clean (or its
 * step, text_term_char).
 */
#ifndef TH_TEXT_H
#define TH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the UTF-8 character at P[0..N) (N > 0). When the bytes are not
 * valid UTF-8, *VALID is false and the length is that of the maximal
 * invalid subpart (Unicode's "replace each with one U+FFFD" practice). */
size_t text_utf8_step(const char *p, size_t n, bool *valid);

/* Code point U (0 to 0x10ffff) in UTF-8 into OUT, which has room for
 * four bytes; returns its length. */
size_t text_utf8_put(long u, char *out);

/* The N hex digits at P as a number (N at most 15: no overflow); -1 when
 * one of them is no hex digit. */
long text_hex_value(const char *p, size_t n);

/* The longest text_term_char writes: "\uNNNN" and its NUL. */
#define TEXT_TERM_CHAR_MAX 7

/* Cleans the character at P[0..N) (N > 0) into OUT as text_term_clean
 * does, NUL-terminated; returns the bytes of P it took. */
size_t text_term_char(const char *p, size_t n, bool keep_tab,
		      char out[TEXT_TERM_CHAR_MAX]);

/* A copy of P[0..N) safe to print on a terminal: invalid UTF-8 becomes
 * U+FFFD, control characters (C0 but TAB when KEEP_TAB, DEL, C1) become
 * "\xNN" so text cannot move the cursor, change colors or set the
 * window's title, BiDi controls and zero-width characters
 * (U+200B..U+200F, U+202A..U+202E, U+2060, U+2066..U+2069, U+FEFF)
 * become "\uNNNN" so text cannot read other than it shows, and a
 * backslash is doubled so an escape is never ambiguous. *OUT_N gets its
 * length. Caller frees. */
char *text_term_clean(const char *p, size_t n, bool keep_tab, size_t *out_n);

/* Copies C string S into OUT (CAP >= 4 bytes), cut when it does not fit
 * at a character boundary, never inside a UTF-8 sequence, and ended with
 * "…" (3 bytes) to say so. Returns OUT. */
char *text_cut(char *out, size_t cap, const char *s);

#endif
