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

/* LINE without its trailing blanks and its first INDENT bytes, into *T:
 * false when those are not all blanks. */
static bool past_indent(struct th_span line, size_t indent, struct th_span *t)
{
	*t = th_trim_end(line);
	if (t->n < indent || th_spaces_from(*t, 0) < indent)
		return false;
	t->p += indent;
	t->n -= indent;
	return true;
}

/* S as "PATH:LINE", a place rich names: its path (not empty) in *PATH
 * and its line number (digits) in *LINE; false when S is none. */
static bool split_place(struct th_span s, struct th_span *path,
			struct th_span *line)
{
	size_t digits = s.n;
	while (digits > 0 && th_is_digit(s.p[digits - 1]))
		digits--;
	if (digits == s.n || digits < 2 || s.p[digits - 1] != ':')
		return false;
	*path = (struct th_span){s.p, digits - 1};
	*line = (struct th_span){s.p + digits, s.n - digits};
	return true;
}

/* CODE as Python prints a line of source under its frame, four blanks
 * before it, into OUT (capacity CAP): its length, 0 when CODE is empty
 * or OUT too small. */
static size_t code_line(struct th_span code, char *out, size_t cap)
{
	if (code.n == 0 || 4 + code.n > cap)
		return 0;
	memcpy(out, "    ", 4);
	memcpy(out + 4, code.p, code.n);
	return 4 + code.n;
}

bool richbox_is_top(struct th_span line, size_t *indent)
{
	struct th_span t = th_trim_end(line);
	size_t at = th_spaces_from(t, 0);
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
	struct th_span t;
	if (!past_indent(line, indent, &t) || !char_at(t, 0, TOP_LEFT) ||
	    !ends_with_char(t, TOP_RIGHT) || t.n < 3 * CHAR_BYTES)
		return false;
	for (size_t at = CHAR_BYTES; at + CHAR_BYTES < t.n; at += CHAR_BYTES)
		if (!char_at(t, at, HORIZONTAL))
			return false;
	return true;
}

enum richbox_side richbox_side(struct th_span line, size_t indent,
			       struct th_span *content)
{
	struct th_span t;
	if (!past_indent(line, indent, &t))
		return RICHBOX_OUTSIDE;
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

bool richbox_join(char *buf, size_t *len, size_t cap, struct th_span piece)
{
	struct th_span have = {buf, *len}, path, line;
	/* a break at a blank: around the " in " between place and name */
	bool blank =
	    *len > 0 &&
	    (split_place(have, &path, &line) || th_starts_with(piece, "in ") ||
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
	struct th_span name = {in + 4, heading.n - place.n - 4}, path, line;
	if (!split_place(place, &path, &line) || name.n == 0 ||
	    memchr(name.p, ' ', name.n) != NULL)
		return 0;
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
	return code_line((struct th_span){content.p + i, content.n - i}, out,
			 cap);
}

/* Whether CONTENT holds blanks and the "▲" under a SyntaxError's code. */
static bool is_pointer_line(struct th_span content)
{
	size_t at = th_spaces_from(content, 0);
	return char_at(content, at, UP_POINTER) && at + CHAR_BYTES == content.n;
}

bool richbox_is_syntax_place(struct th_span content)
{
	return content.n > 1 && content.p[0] == ' ' && content.p[1] != ' ';
}

size_t richbox_syntax_place(struct th_span place, char *out, size_t cap)
{
	struct th_span path, line;
	if (!split_place(place, &path, &line))
		return 0;
	int n = snprintf(out, cap, "  File \"%.*s\", line %.*s", (int)path.n,
			 path.p, (int)line.n, line.p);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t richbox_syntax_code(struct th_span content, char *out, size_t cap)
{
	if (is_pointer_line(content))
		return 0;
	size_t at = th_spaces_from(content, 0);
	return code_line((struct th_span){content.p + at, content.n - at}, out,
			 cap);
}
