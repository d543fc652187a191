/* text.c - text from outside made safe to show; see text.h. */
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char text_replacement[] = "\xEF\xBF\xBD";

/* The byte range allowed after lead byte C (Unicode table 3-7), the length
 * of its sequence in *LEN; false for a byte that cannot start one. */
static bool text_utf8_lead(unsigned char c, size_t *len, unsigned char *lo,
			   unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		*len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		*len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		*len = 4;
	else
		return false;
	if (c == 0xE0)
		*lo = 0xA0; /* overlong */
	else if (c == 0xED)
		*hi = 0x9F; /* surrogates */
	else if (c == 0xF0)
		*lo = 0x90; /* overlong */
	else if (c == 0xF4)
		*hi = 0x8F; /* past U+10FFFF */
	return true;
}

size_t text_utf8_step(const char *p, size_t n, bool *valid)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t len;
	unsigned char lo, hi;
	*valid = u[0] < 0x80;
	if (*valid || !text_utf8_lead(u[0], &len, &lo, &hi))
		return 1;
	size_t i = 1;
	for (; i < len && i < n; i++) {
		if (u[i] < lo || u[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xBF;
	}
	*valid = i == len;
	return i;
}

/* True for a character a terminal would act on rather than show: C0
 * (but TAB when KEEP_TAB), DEL, and C1 (U+0080..U+009F, which some
 * terminals take as CSI and friends). */
static bool text_is_control(const unsigned char *u, size_t step, bool keep_tab)
{
	if (step == 1)
		return (u[0] < 0x20 && !(keep_tab && u[0] == '\t')) ||
		       u[0] == 0x7F;
	return step == 2 && u[0] == 0xC2 && u[1] < 0xA0;
}

/* The code point of a format character that can make text read other
 * than it is shown (a 3-byte UTF-8 sequence U): BiDi embeddings,
 * overrides and isolates (U+202A..U+202E, U+2066..U+2069) and
 * zero-width characters (U+200B..U+200F, U+2060, U+FEFF); 0 for any
 * other. */
static unsigned text_format_char(const unsigned char *u, size_t step)
{
	if (step != 3)
		return 0;
	unsigned c = (unsigned)(u[0] & 0x0F) << 12 |
		     (unsigned)(u[1] & 0x3F) << 6 | (unsigned)(u[2] & 0x3F);
	bool hidden = (c >= 0x200B && c <= 0x200F) ||
		      (c >= 0x202A && c <= 0x202E) || c == 0x2060 ||
		      (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
	return hidden ? c : 0;
}

size_t text_term_char(const char *p, size_t n, bool keep_tab,
		      char out[TEXT_TERM_CHAR_MAX])
{
	const unsigned char *u = (const unsigned char *)p;
	bool valid;
	size_t step = text_utf8_step(p, n, &valid);
	if (!valid)
		memcpy(out, text_replacement, sizeof text_replacement);
	else if (u[0] == '\\')
		memcpy(out, "\\\\", 3);
	else if (text_format_char(u, step) != 0)
		snprintf(out, TEXT_TERM_CHAR_MAX, "\\u%04x",
			 text_format_char(u, step));
	else if (text_is_control(u, step, keep_tab))
		snprintf(out, TEXT_TERM_CHAR_MAX, "\\x%02x",
			 step == 1 ? u[0] : u[1]);
	else {
		memcpy(out, p, step); /* at most 4 bytes */
		out[step] = '\0';
	}
	return step;
}

char *text_term_clean(const char *p, size_t n, bool keep_tab, size_t *out_n)
{
	/* "\xNN" is the longest replacement: 4 bytes per input byte. */
	char *out = malloc(n * 4 + 1);
	if (out == NULL)
		abort(); /* diag.h's die() prints through this module */
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		/* printable ASCII, most of any log, is copied a run at
		 * a time
		 */
		size_t run = i;
		while (run < n &&
		       ((p[run] >= 0x20 && p[run] < 0x7F && p[run] != '\\') ||
			(keep_tab && p[run] == '\t')))
			run++;
		if (run > i) {
			memcpy(out + o, p + i, run - i);
			o += run - i;
			i = run;
			continue;
		}
		char one[TEXT_TERM_CHAR_MAX];
		i += text_term_char(p + i, n - i, keep_tab, one);
		size_t len = strlen(one);
		memcpy(out + o, one, len);
		o += len;
	}
	out[o] = '\0';
	*out_n = o;
	return out;
}

char *text_cut(char *out, size_t cap, const char *s)
{
	static const char ellipsis[] = "\xE2\x80\xA6"; /* … */
	size_t n = strlen(s);
	if (n < cap) {
		memcpy(out, s, n + 1);
		return out;
	}
	size_t room = cap - sizeof ellipsis, i = 0;
	bool valid;
	for (size_t step; i < n; i += step) {
		step = text_utf8_step(s + i, n - i, &valid);
		if (i + step > room)
			break;
	}
	memcpy(out, s, i);
	memcpy(out + i, ellipsis, sizeof ellipsis);
	return out;
}

size_t text_utf8_put(long u, char *out)
{
	if (u < 0x80) {
		out[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | u >> 6);
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (char)(0xe0 | u >> 12);
		out[1] = (char)(0x80 | (u >> 6 & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | u >> 18);
	out[1] = (char)(0x80 | (u >> 12 & 0x3f));
	out[2] = (char)(0x80 | (u >> 6 & 0x3f));
	out[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

long text_hex_value(const char *p, size_t n)
{
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}
