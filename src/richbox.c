/* richbox.c - a traceback as rich draws it; see richbox.h. */
#include "richbox.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The characters of a panel, in UTF-8. */
#define TOP_LEFT     "\xe2\x95\xad" /* U+256D ╭ */
#define TOP_RIGHT    "\xe2\x95\xae" /* U+256E ╮ */
#define BOTTOM_LEFT  "\xe2\x95\xb0" /* U+2570 ╰ */
#define BOTTOM_RIGHT "\xe2\x95\xaf" /* U+256F ╯ */
#define SIDE	     "\xe2\x94\x82" /* U+2502 │ */
#define HORIZONTAL   "\xe2\x94\x80" /* U+2500 ─ */
#define POINTER	     "\xe2\x9d\xb1" /* U+2771 ❱, the failing line */
#define UP_POINTER   "\xe2\x96\xb2" /* U+25B2 ▲, a SyntaxError's column */
#define CHAR_BYTES   3

/* The title of a traceback's panel, blanks around it. */
#define TITLE " Traceback (most recent call last) "

/* Whether S starts with the CHAR_BYTES bytes of C at AT. */
static bool char_at(struct th_span s, size_t at, const char *c)
{
	return at + CHAR_BYTES <= s.n && memcmp(s.p + at, c, CHAR_BYTES) == 0;
}

/* Whether S ends with C. */
static bool ends_with_char(struct th_span s, const char *c)
{
	return s.n >= CHAR_BYTES && char_at(s, s.n - CHAR_BYTES, c);
}

/* The blanks LINE starts with. */
static size_t leading_blanks(struct th_span line)
{
	size_t i = 0;
	while (i < line.n && line.p[i] == ' ')
		i++;
	return i;
}

bool richbox_is_top(struct th_span line, size_t *indent)
{
	struct th_span t = th_trim_end(line);
	size_t at = leading_blanks(t);
	/* a corner and a line, and the title somewhere along the line */
	if (!char_at(t, at, TOP_LEFT) ||
	    !char_at(t, at + CHAR_BYTES, HORIZONTAL) ||
	    !ends_with_char(t, TOP_RIGHT))
		return false;
	struct th_span rest = {t.p + at, t.n - at};
	if (th_find(rest, TITLE, sizeof TITLE - 1, 1) == NULL)
		return false;
	*indent = at;
	return true;
}

bool richbox_is_untitled_top(struct th_span line, size_t indent)
{
	struct th_span t = th_trim_end(line);
	if (t.n < indent || leading_blanks(t) < indent)
		return false;
	t.p += indent;
	t.n -= indent;
	if (!char_at(t, 0, TOP_LEFT) || !ends_with_char(t, TOP_RIGHT) ||
	    t.n < 3 * CHAR_BYTES)
		return false;
	for (size_t at = CHAR_BYTES; at + CHAR_BYTES < t.n; at += CHAR_BYTES)
		if (!char_at(t, at, HORIZONTAL))
			return false;
	return true;
}

enum richbox_side richbox_side(struct th_span line, size_t indent,
			       struct th_span *content)
{
	struct th_span t = th_trim_end(line);
	if (t.n < indent || leading_blanks(t) < indent)
		return RICHBOX_OUTSIDE;
	t.p += indent;
	t.n -= indent;
	if (char_at(t, 0, BOTTOM_LEFT))
		return ends_with_char(t, BOTTOM_RIGHT) ? RICHBOX_BOTTOM
						       : RICHBOX_OUTSIDE;
	if (!char_at(t, 0, SIDE) || t.n < 2 * CHAR_BYTES ||
	    !ends_with_char(t, SIDE))
		return RICHBOX_OUTSIDE;
	/* "│ " and " │": the panel's padding is one blank a side */
	struct th_span in = {t.p + CHAR_BYTES, t.n - 2 * CHAR_BYTES};
	if (in.n > 0 && in.p[0] == ' ') {
		in.p++;
		in.n--;
	}
	*content = th_trim_end(in);
	return RICHBOX_INSIDE;
}

bool richbox_is_heading(struct th_span content)
{
	if (content.n == 0 || content.p[0] == ' ')
		return false;
	/* U+2500 to U+257F (E2 94 80 to E2 95 BF): an inner panel's border
	 * (a frame's locals); U+2771: the failing line of code */
	unsigned char c0 = (unsigned char)content.p[0];
	unsigned char c1 = content.n > 1 ? (unsigned char)content.p[1] : 0;
	if (c0 == RICHBOX_LEAD && (c1 == 0x94 || c1 == 0x95))
		return false;
	return !char_at(content, 0, POINTER);
}

/* Whether S ends with ":" and digits: a heading broken after its line
 * number. */
static bool ends_with_line_number(struct th_span s)
{
	size_t i = s.n;
	while (i > 0 && th_is_digit(s.p[i - 1]))
		i--;
	return i < s.n && i > 0 && s.p[i - 1] == ':';
}

bool richbox_join(char *buf, size_t *len, size_t cap, struct th_span piece)
{
	struct th_span have = {buf, *len};
	/* a break at a blank: around the " in " between place and name */
	bool blank =
	    *len > 0 &&
	    (ends_with_line_number(have) || th_starts_with(piece, "in ") ||
	     (*len >= 3 && memcmp(buf + *len - 3, " in", 3) == 0));
	size_t need = *len + blank + piece.n;
	if (need > cap)
		return false;
	if (blank)
		buf[(*len)++] = ' ';
	memcpy(buf + *len, piece.p, piece.n);
	*len += piece.n;
	return true;
}

size_t richbox_frame(struct th_span heading, char *out, size_t cap)
{
	/* the name holds no blank: the last " in " ends the place */
	const char *in = NULL;
	for (size_t i = 0; i + 4 <= heading.n; i++)
		if (memcmp(heading.p + i, " in ", 4) == 0)
			in = heading.p + i;
	if (in == NULL)
		return 0;
	struct th_span place = {heading.p, (size_t)(in - heading.p)};
	struct th_span name = {in + 4, heading.n - place.n - 4};
	size_t digits = place.n;
	while (digits > 0 && th_is_digit(place.p[digits - 1]))
		digits--;
	if (digits == place.n || digits < 2 || place.p[digits - 1] != ':' ||
	    name.n == 0 || memchr(name.p, ' ', name.n) != NULL)
		return 0;
	struct th_span path = {place.p, digits - 1};
	struct th_span line = {place.p + digits, place.n - digits};
	int n = snprintf(out, cap, "  File \"%.*s\", line %.*s, in %.*s",
			 (int)path.n, path.p, (int)line.n, line.p, (int)name.n,
			 name.p);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t richbox_code(struct th_span content, char *out, size_t cap)
{
	if (!char_at(content, 0, POINTER))
		return 0;
	size_t i = CHAR_BYTES;
	while (i < content.n && content.p[i] == ' ')
		i++;
	size_t digits = i;
	while (i < content.n && th_is_digit(content.p[i]))
		i++;
	if (i == digits)
		return 0;
	/* then the indent guides ("│   " a level) and blanks before the
	 * statement */
	for (;;) {
		if (i < content.n && content.p[i] == ' ')
			i++;
		else if (char_at(content, i, SIDE))
			i += CHAR_BYTES;
		else
			break;
	}
	struct th_span code = {content.p + i, content.n - i};
	if (code.n == 0 || 4 + code.n > cap)
		return 0;
	memcpy(out, "    ", 4);
	memcpy(out + 4, code.p, code.n);
	return 4 + code.n;
}

/* Whether CONTENT holds blanks and the "▲" under a SyntaxError's code. */
static bool is_pointer_line(struct th_span content)
{
	size_t at = leading_blanks(content);
	return char_at(content, at, UP_POINTER) && at + CHAR_BYTES == content.n;
}

bool richbox_is_syntax_place(struct th_span content)
{
	return content.n > 1 && content.p[0] == ' ' && content.p[1] != ' ';
}

size_t richbox_syntax_line(struct th_span content, bool first, char *out,
			   size_t cap)
{
	size_t at = leading_blanks(content);
	struct th_span text = {content.p + at, content.n - at};
	if (text.n == 0 || is_pointer_line(content))
		return 0;
	if (first) {
		size_t digits = text.n;
		while (digits > 0 && th_is_digit(text.p[digits - 1]))
			digits--;
		if (digits == text.n || digits < 2 || text.p[digits - 1] != ':')
			return 0;
		int n = snprintf(out, cap, "  File \"%.*s\", line %.*s",
				 (int)(digits - 1), text.p,
				 (int)(text.n - digits), text.p + digits);
		return n > 0 && (size_t)n < cap ? (size_t)n : 0;
	}
	if (4 + text.n > cap)
		return 0;
	memcpy(out, "    ", 4);
	memcpy(out + 4, text.p, text.n);
	return 4 + text.n;
}
