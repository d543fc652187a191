/* report_util.c - helpers shared by the report sinks; see report_util.h. */
#include "report_util.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "diag.h"
#include "report.h"
#include "text.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char replacement[] = "\xEF\xBF\xBD";

const char *report_severity_name(enum th_severity s)
{
	return catalog_severity_name(s);
}

size_t report_event_text(const struct th_event *ev, struct th_buf *b)
{
	b->n = 0;
	size_t n = event_text(ev, b->p, b->cap);
	if (n >= b->cap) {
		buf_reserve(b, n);
		event_text(ev, b->p, b->cap);
	}
	b->n = n;
	return n;
}

const char *report_no_value(enum th_key k)
{
	return k == TH_KEY_EXCEPTION || k == TH_KEY_SOURCE ? "(none)"
							   : "(unknown)";
}

void report_put_count(FILE *out, uint64_t n, const char *one, const char *many)
{
	fprintf(out, "%" PRIu64 " %s", n, n == 1 ? one : many);
}

/* Bytes at the start of P[0..N) below 0x80, found 8 at a time: log text
 * is mostly ASCII, which needs no look byte by byte. */
static size_t ascii_prefix(const char *p, size_t n)
{
	const uint64_t highs = 0x8080808080808080u;
	size_t i = 0;
	for (uint64_t x; n - i >= sizeof x; i += sizeof x) {
		memcpy(&x, p + i, sizeof x);
		if (x & highs)
			break;
	}
	while (i < n && (unsigned char)p[i] < 0x80)
		i++;
	return i;
}

/* Writes the clean form of P[0..N) to OUT, which has room for 3 * N
 * bytes (each invalid byte becomes at most 3); returns its length. */
static size_t utf8_clean_to(char *out, const char *p, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t plain = ascii_prefix(p + i, n - i);
		memcpy(out + o, p + i, plain);
		o += plain;
		i += plain;
		if (i == n)
			break;
		bool valid;
		size_t step = text_utf8_step(p + i, n - i, &valid);
		if (valid)
			memcpy(out + o, p + i, step);
		else
			memcpy(out + o, replacement, 3);
		o += valid ? step : 3;
		i += step;
	}
	return o;
}

char *report_utf8_clean(const char *p, size_t n, size_t *out_n)
{
	char *out = xmalloc(n * 3 + 1);
	*out_n = utf8_clean_to(out, p, n);
	out[*out_n] = '\0';
	return out;
}

size_t report_utf8_clean_add(struct th_buf *b, const char *p, size_t n)
{
	if (n > SIZE_MAX / 3)
		die("out of memory (a string of %zu bytes)", n);
	size_t o = utf8_clean_to(buf_reserve(b, 3 * n), p, n);
	b->n += o;
	b->p[b->n] = '\0';
	return o;
}

/* The code point of the valid UTF-8 sequence U[0..LEN). */
static unsigned long utf8_code_point(const unsigned char *u, size_t len)
{
	static const unsigned char lead_bits[] = {0x7F, 0x1F, 0x0F, 0x07};
	unsigned long cp = u[0] & lead_bits[len - 1];
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (u[i] & 0x3F);
	return cp;
}

/* Columns of the character at S[0..N), its length in *LEN: the C
 * library's wcwidth() under the UTF-8 locale main.c sets (README, "The
 * text report"); 1 for whatever it cannot measure, as a terminal shows a
 * replacement or a box there. */
static size_t char_width(const char *s, size_t n, size_t *len)
{
	bool valid;
	*len = text_utf8_step(s, n, &valid);
	if (!valid || *len == 1)
		return 1;
	int w =
	    wcwidth((wchar_t)utf8_code_point((const unsigned char *)s, *len));
	return w < 0 ? 1 : (size_t)w;
}

size_t report_width(const char *s, size_t n)
{
	size_t w = 0, len;
	for (size_t i = 0; i < n; i += len)
		w += char_width(s + i, n - i, &len);
	return w;
}

size_t report_fit(const char *s, size_t n, size_t width)
{
	size_t w = 0, i = 0, len;
	for (; i < n; i += len) {
		size_t cw = char_width(s + i, n - i, &len);
		if (w + cw > width)
			break;
		w += cw;
	}
	/* Zero-width characters after the cut still belong to the last one
	 * shown (combining accents). */
	while (i < n && char_width(s + i, n - i, &len) == 0)
		i += len;
	return i;
}

/* A blank line, or a box border: only spaces, '+' and '-'. */
static bool example_line_is_frame(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '+' && p[i] != '-' && p[i] != '\r')
			return false;
	return true;
}

size_t report_example_final_line(const char *text, size_t n, size_t *len)
{
	size_t end = n;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && text[start - 1] != '\n')
			start--;
		if (!example_line_is_frame(text + start, end - start)) {
			*len = end - start;
			return start;
		}
		if (start == 0)
			break;
		end = start - 1; /* before the newline */
	}
	*len = 0;
	return n;
}

size_t report_line_count(const char *text, size_t n)
{
	if (n == 0)
		return 0;
	size_t lines = text[n - 1] != '\n'; /* a last line without one */
	for (const char *p = text;
	     (p = memchr(p, '\n', n - (size_t)(p - text))); p++)
		lines++;
	return lines;
}

json_t *report_json_text(const char *p, size_t n)
{
	json_t *s;
	if (ascii_prefix(p, n) == n) { /* nothing to clean: no copy */
		s = json_stringn(n > 0 ? p : "", n);
	} else {
		size_t clean_n;
		char *clean = report_utf8_clean(p, n, &clean_n);
		s = json_stringn(clean, clean_n);
		free(clean);
	}
	if (s == NULL)
		die("out of memory (JSON string)");
	return s;
}

json_t *report_json_cstr(const char *s)
{
	if (s == NULL)
		return json_null();
	return report_json_text(s, strlen(s));
}

json_t *report_json_uint(uint64_t v)
{
	json_t *j = json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
	if (j == NULL)
		die("out of memory (JSON integer)");
	return j;
}

json_t *report_json_culprit(const char *file, uint64_t line,
			    const char *function)
{
	if (file == NULL)
		return json_null();
	json_t *o = json_object();
	if (o == NULL)
		die("out of memory (JSON object)");
	report_json_set(o, "file", report_json_cstr(file));
	report_json_set(o, "line", report_json_uint(line));
	report_json_set(o, "function", report_json_cstr(function));
	return o;
}

void report_json_set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(obj, key, value) != 0)
		die("out of memory (JSON object)");
}

void report_json_set_text(json_t *obj, const char *key, size_t n, json_t *value)
{
	size_t clean_n;
	char *clean = report_utf8_clean(key, n, &clean_n);
	json_t *old = json_object_getn(obj, clean, clean_n);
	if (old != NULL && json_is_integer(old) && json_is_integer(value)) {
		json_int_t sum = json_integer_value(old);
		json_int_t add = json_integer_value(value);
		json_decref(value);
		value =
		    json_integer(sum > INT64_MAX - add ? INT64_MAX : sum + add);
	}
	if (value == NULL ||
	    json_object_setn_new(obj, clean, clean_n, value) != 0)
		die("out of memory (JSON object)");
	free(clean);
}

bool report_json_write(FILE *out, const json_t *doc, size_t flags)
{
	if (json_dumpf(doc, out, flags) != 0)
		return false;
	return fputc('\n', out) != EOF;
}

bool report_failed(const struct th_sink *s)
{
	return ferror(s->ctx.out) != 0;
}
