/* kvline.h - a log record written as key=value pairs on one line, as
 * structlog's KeyValueRenderer and LogfmtRenderer write one (README.md,
 * "Log shapes"): its pairs, and a value's text with its escapes decoded.
 *
 * KeyValueRenderer writes each value as Python's repr(): a string in
 * single quotes (double quotes when it holds a ' and no "), with \\, \n,
 * \r, \t, the quote, and \xhh, \uhhhh or \Uhhhhhhhh for a character that
 * is not printable; a value that is no string (a number, None, a list)
 * comes unquoted. LogfmtRenderer puts a value in double quotes when it
 * holds a blank, '=' or '"', and writes '"' as \"; since structlog 24.1
 * also a backslash as \\ and a line end as \n, so that a traceback stays
 * on the record's one line.
 *
 * Owns:        nothing.
 * Caller owns: the line, which pairs point into, and the buffer a value
 *              is decoded into.
 */
#ifndef TH_KVLINE_H
#define TH_KVLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "th.h"

#include "ascii16.h"

/* The longest key kvline_starts accepts first on a line. */
#define KVLINE_MAX_KEY 64

/* One key=value pair of a line. */
struct kvline_pair {
	struct th_span key;
	struct th_span value; /* between its quotes, escapes not decoded */
	char quote;	      /* '\'' or '"'; 0: the value is not quoted */
	bool closed;	      /* false: the line ended inside its quotes */
};

/* What each byte may be in a key that starts a line (kvline_starts): a
 * key's first byte (a lower-case letter or '_'), or a byte after it (an
 * identifier's: letters, digits, '_'). */
enum { KVLINE_FIRST = 1, KVLINE_KEY = 2 };
extern const unsigned char kvline_class[256];

#if defined(__SSE2__)
/* The index of the first byte of the 16 at P that kvline_class does not
 * call KVLINE_KEY, or 16. */
static inline unsigned kvline_key_run16(const char *p)
{
	__m128i v = _mm_loadu_si128((const void *)p);
	__m128i key = _mm_or_si128(ascii16_alnum(v),
				   _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
	unsigned mask = (unsigned)_mm_movemask_epi8(key);
	return (unsigned)__builtin_ctz(~mask);
}
#endif

/* Whether TEXT starts with a key (at most KVLINE_MAX_KEY bytes) and '='.
 * Keys later on the line may hold '.' and '-' too (kvline_next). Lines
 * of a traceback that start with a letter start with a capital
 * ("Traceback", "ValueError: ...") or with a word and ':' ("task: <Task
 * ...>", "errors.UpstreamError: ..."): one lookup settles the capitals,
 * and sixteen bytes classified at once the rest: +0.39 % instructions on
 * a crash loop, where a byte at a time cost +0.67 % (docs/performance.md,
 * "Key=value records"). */
static inline bool kvline_starts(struct th_span text)
{
	if (text.n == 0 ||
	    !(kvline_class[(unsigned char)text.p[0]] & KVLINE_FIRST))
		return false;
	size_t i = 1;
#if defined(__SSE2__)
	if (text.n >= 16) {
		i = kvline_key_run16(text.p);
		if (i < 16)
			return text.p[i] == '=';
	}
#endif
	size_t n = text.n < KVLINE_MAX_KEY + 1 ? text.n : KVLINE_MAX_KEY + 1;
	while (i < n && (kvline_class[(unsigned char)text.p[i]] & KVLINE_KEY))
		i++;
	return i < n && text.p[i] == '=';
}

/* The next pair of TEXT from *AT into *OUT, *AT moved past it; false when
 * none is left. A word that is no pair (a piece of an unquoted value that
 * holds blanks, as repr writes a list: "ids=[1, 2]") is passed over. A
 * quoted value ends at its first quote not escaped by a backslash, or at
 * the line's end (OUT->closed false). */
bool kvline_next(struct th_span text, size_t *at, struct kvline_pair *out);

/* Decodes PAIR's value into OUT, which has room for PAIR->value.n bytes
 * (decoding never lengthens a value), and returns its length: the
 * escapes of a quoted value (above) become what they stand for, a
 * character in UTF-8; an escape it does not know stays as it is. An
 * unquoted value is copied as it is. */
size_t kvline_decode(const struct kvline_pair *pair, char *out);

/* The lines after one that left a double-quoted value open (OUT->closed
 * false), as structlog's LogfmtRenderer before 24.1 writes a value of
 * several lines: raw line ends, '"' written \", and nothing else
 * escaped. kvline_open_end gives the index in LINE of the quote that
 * closes the value (the first '"' with no backslash before it), or
 * LINE.n when the value goes on past the line; kvline_decode_quotes
 * writes TEXT, a piece of such a value, into OUT (room for TEXT.n
 * bytes) with each \" a '"', and returns its length. */
size_t kvline_open_end(struct th_span line);
size_t kvline_decode_quotes(struct th_span text, char *out);

#endif
