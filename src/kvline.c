/* kvline.c - key=value log records; see kvline.h. */
#include "kvline.h"

#include <stdint.h>
#include <string.h>

#include "text.h"

#define FIRST_AND_KEY (KVLINE_FIRST | KVLINE_KEY)

/* clang-format off */
const unsigned char kvline_class[256] = {
    ['0'] = KVLINE_KEY, ['1'] = KVLINE_KEY, ['2'] = KVLINE_KEY,
    ['3'] = KVLINE_KEY, ['4'] = KVLINE_KEY, ['5'] = KVLINE_KEY,
    ['6'] = KVLINE_KEY, ['7'] = KVLINE_KEY, ['8'] = KVLINE_KEY,
    ['9'] = KVLINE_KEY, ['_'] = FIRST_AND_KEY,
    ['a'] = FIRST_AND_KEY, ['b'] = FIRST_AND_KEY, ['c'] = FIRST_AND_KEY,
    ['d'] = FIRST_AND_KEY, ['e'] = FIRST_AND_KEY, ['f'] = FIRST_AND_KEY,
    ['g'] = FIRST_AND_KEY, ['h'] = FIRST_AND_KEY, ['i'] = FIRST_AND_KEY,
    ['j'] = FIRST_AND_KEY, ['k'] = FIRST_AND_KEY, ['l'] = FIRST_AND_KEY,
    ['m'] = FIRST_AND_KEY, ['n'] = FIRST_AND_KEY, ['o'] = FIRST_AND_KEY,
    ['p'] = FIRST_AND_KEY, ['q'] = FIRST_AND_KEY, ['r'] = FIRST_AND_KEY,
    ['s'] = FIRST_AND_KEY, ['t'] = FIRST_AND_KEY, ['u'] = FIRST_AND_KEY,
    ['v'] = FIRST_AND_KEY, ['w'] = FIRST_AND_KEY, ['x'] = FIRST_AND_KEY,
    ['y'] = FIRST_AND_KEY, ['z'] = FIRST_AND_KEY,
    ['A'] = KVLINE_KEY, ['B'] = KVLINE_KEY, ['C'] = KVLINE_KEY,
    ['D'] = KVLINE_KEY, ['E'] = KVLINE_KEY, ['F'] = KVLINE_KEY,
    ['G'] = KVLINE_KEY, ['H'] = KVLINE_KEY, ['I'] = KVLINE_KEY,
    ['J'] = KVLINE_KEY, ['K'] = KVLINE_KEY, ['L'] = KVLINE_KEY,
    ['M'] = KVLINE_KEY, ['N'] = KVLINE_KEY, ['O'] = KVLINE_KEY,
    ['P'] = KVLINE_KEY, ['Q'] = KVLINE_KEY, ['R'] = KVLINE_KEY,
    ['S'] = KVLINE_KEY, ['T'] = KVLINE_KEY, ['U'] = KVLINE_KEY,
    ['V'] = KVLINE_KEY, ['W'] = KVLINE_KEY, ['X'] = KVLINE_KEY,
    ['Y'] = KVLINE_KEY, ['Z'] = KVLINE_KEY,
};
/* clang-format on */

/* Whether C may be in a key past its first byte: an identifier's bytes,
 * and the '.' and '-' of logfmt keys ("dd.trace_id", "log-level"). */
static bool key_byte(char c)
{
	return (kvline_class[(unsigned char)c] & KVLINE_KEY) || c == '.' ||
	       c == '-';
}

/* The key at TEXT[AT...] and the '=' after it: its length, 0 when there
 * is none. */
static size_t key_length(struct th_span text, size_t at)
{
	if (at >= text.n ||
	    !(kvline_class[(unsigned char)text.p[at]] & KVLINE_FIRST))
		return 0;
	size_t i = at + 1;
	while (i < text.n && key_byte(text.p[i]))
		i++;
	return i < text.n && text.p[i] == '=' ? i - at : 0;
}

/* Where the quoted value that starts at TEXT[AT] (after its opening
 * QUOTE) ends: the index of its closing quote, or TEXT.n. */
static size_t quoted_end(struct th_span text, size_t at, char quote)
{
	for (size_t i = at; i < text.n; i++) {
		if (text.p[i] == '\\')
			i++; /* the escaped byte, a quote too */
		else if (text.p[i] == quote)
			return i;
	}
	return text.n;
}

/* The index of the next blank in TEXT from AT, or TEXT.n. */
static size_t word_end(struct th_span text, size_t at)
{
	const char *blank = memchr(text.p + at, ' ', text.n - at);
	return blank != NULL ? (size_t)(blank - text.p) : text.n;
}

/* The value that starts at TEXT[AT] into OUT; returns where it ends
 * (past a closing quote). */
static size_t read_value(struct th_span text, size_t at,
			 struct kvline_pair *out)
{
	char c = at < text.n ? text.p[at] : '\0';
	if (c != '\'' && c != '"') {
		size_t end = word_end(text, at);
		out->value = (struct th_span){text.p + at, end - at};
		out->quote = 0;
		out->closed = true;
		return end;
	}
	size_t end = quoted_end(text, at + 1, c);
	out->value = (struct th_span){text.p + at + 1, end - at - 1};
	out->quote = c;
	out->closed = end < text.n;
	return out->closed ? end + 1 : end;
}

bool kvline_next(struct th_span text, size_t *at, struct kvline_pair *out)
{
	size_t i = *at;
	for (;;) {
		while (i < text.n && text.p[i] == ' ')
			i++;
		if (i >= text.n) {
			*at = i;
			return false;
		}
		size_t key = key_length(text, i);
		if (key > 0) {
			out->key = (struct th_span){text.p + i, key};
			*at = read_value(text, i + key + 1, out);
			return true;
		}
		i = word_end(text, i); /* not a pair: the next word */
	}
}

/* The character a numeric escape at P (P[0] its 'x', 'u' or 'U', before
 * END) stands for, in UTF-8 into OUT: its length, and in *USED the
 * escape's bytes after the backslash. 0 when P holds no such escape. */
static size_t numeric_escape(const char *p, const char *end, char *out,
			     size_t *used)
{
	size_t digits = p[0] == 'x' ? 2 : p[0] == 'u' ? 4 : 8;
	if ((size_t)(end - p) <= digits)
		return 0;
	long u = text_hex_value(p + 1, digits);
	if (u < 0 || u > 0x10ffff)
		return 0;
	*used = 1 + digits;
	/* repr writes a lone surrogate of the string so: U+FFFD stands for
	 * it, as it does in the reports for bytes that are no UTF-8 */
	return text_utf8_put(u >= 0xd800 && u <= 0xdfff ? 0xfffd : u, out);
}

/* The byte the escape "\C" stands for; -1 when it is none of these. */
static int short_escape(char c)
{
	switch (c) {
	case '\\': return '\\';
	case '\'': return '\'';
	case '"': return '"';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return -1;
	}
}

size_t kvline_decode(const struct kvline_pair *pair, char *out)
{
	const char *p = pair->value.p, *end = p + pair->value.n;
	if (pair->quote == 0) {
		memcpy(out, p, pair->value.n);
		return pair->value.n;
	}
	size_t n = 0;
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		size_t plain =
		    bs != NULL ? (size_t)(bs - p) : (size_t)(end - p);
		memmove(out + n, p, plain);
		n += plain;
		p += plain;
		if (p == end || p + 1 == end) {
			if (p < end)
				out[n++] = *p++; /* a backslash last */
			break;
		}
		int e = short_escape(p[1]);
		size_t used = 0, len = 0;
		if (e >= 0) {
			out[n++] = (char)e;
			p += 2;
		} else if ((p[1] == 'x' || p[1] == 'u' || p[1] == 'U') &&
			   (len = numeric_escape(p + 1, end, out + n, &used)) >
			       0) {
			n += len;
			p += 1 + used;
		} else {
			out[n++] = *p++; /* unknown: the backslash stays */
		}
	}
	return n;
}

size_t kvline_open_end(struct th_span line)
{
	if (line.n == 0)
		return 0;
	for (const char *q = line.p, *end = line.p + line.n;
	     (q = memchr(q, '"', (size_t)(end - q))) != NULL; q++)
		if (q == line.p || q[-1] != '\\')
			return (size_t)(q - line.p);
	return line.n;
}

size_t kvline_decode_quotes(struct th_span text, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < text.n; i++) {
		if (text.p[i] == '\\' && i + 1 < text.n && text.p[i + 1] == '"')
			i++;
		out[n++] = text.p[i];
	}
	return n;
}
