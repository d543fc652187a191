/* diag.c - the only writer to stderr; see diag.h. */
#include "diag.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static const char program[] = "tracehound";

/* Writes S[0..N) to stderr cleaned as reports clean log text
 * (text_term_char, tabs kept): a file name, a rule-file line or a fleet
 * report's id cannot act on the terminal or on a mail reader, nor
 * break a message into lines. Allocates nothing (die() uses it). */
static void put_clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		char one[TEXT_TERM_CHAR_MAX];
		i += text_term_char(s + i, n - i, true, one);
		fputs(one, stderr);
	}
}

/* "tracehound: KIND" and the message, cleaned: anything in it may have
 * come from outside. A message longer than the buffer is cut (the cut
 * character shows as U+FFFD). */
static void vsay(const char *kind, const char *fmt, va_list ap)
{
	char msg[4096];
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n;
	fprintf(stderr, "%s: %s", program, kind);
	put_clean(msg, len < sizeof msg ? len : sizeof msg - 1);
	fputc('\n', stderr);
}

void diag_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void diag_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

void diag_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("note: ", fmt, ap);
	va_end(ap);
}

void diag_more(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char msg[4096];
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n;
	put_clean(msg, len < sizeof msg ? len : sizeof msg - 1);
	fputc('\n', stderr);
}

/* Reads line LINE (1-based) of FILE into BUF; returns false when the file
 * cannot be read or is shorter. Long lines are cut to the buffer. */
static bool read_source_line(const char *file, size_t line, char *buf,
			     size_t cap)
{
	FILE *f = fopen(file, "r");
	if (f == NULL)
		return false;
	size_t at = 1, n = 0;
	int c;
	while ((c = getc(f)) != EOF && at <= line) {
		if (c == '\n') {
			at++;
			continue;
		}
		if (at == line && n + 1 < cap)
			buf[n++] = (char)c;
	}
	fclose(f);
	buf[n] = '\0';
	return at >= line && (at > line || c == EOF);
}

/* Prints the source line, cleaned, and a caret under COLUMN, which
 * counts characters (as libyaml does), not bytes: under the cleaned
 * form of the characters before it ("\x1b" takes four columns); tabs
 * are kept so the caret lines up. */
static void print_caret(const char *text, size_t column)
{
	size_t n = strlen(text);
	fputs("  ", stderr);
	put_clean(text, n);
	fputs("\n  ", stderr);
	bool valid;
	size_t chars = 1;
	for (size_t i = 0, step; i < n && chars < column; i += step) {
		char one[TEXT_TERM_CHAR_MAX];
		step = text_term_char(text + i, n - i, true, one);
		for (size_t k = 0; one[k] != '\0';
		     k += text_utf8_step(one + k, strlen(one + k), &valid))
			fputc(one[k] == '\t' ? '\t' : ' ', stderr);
		chars++;
	}
	fputs("^\n", stderr);
}

void diag_report(const struct th_error *e)
{
	if (e->line == 0) {
		fprintf(stderr, "%s: ", program);
		put_clean(e->file, strlen(e->file));
		fprintf(stderr, "%serror: ", e->file[0] ? ": " : "");
		put_clean(e->message, strlen(e->message));
		fputc('\n', stderr);
		return;
	}
	put_clean(e->file, strlen(e->file));
	fprintf(stderr, ":%zu:%zu: error: ", e->line, e->column);
	put_clean(e->message, strlen(e->message));
	fputc('\n', stderr);
	char text[512];
	if (e->column > 0 &&
	    read_source_line(e->file, e->line, text, sizeof text))
		print_caret(text, e->column);
}

void diag_file(const char *kind, const struct th_error *e)
{
	fprintf(stderr, "%s: %s", program, kind);
	if (e->file[0] != '\0') {
		put_clean(e->file, strlen(e->file));
		fputs(": ", stderr);
	}
	put_clean(e->message, strlen(e->message));
	fputc('\n', stderr);
}

noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("fatal: ", fmt, ap);
	va_end(ap);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (p == NULL)
		die("out of memory (%zu x %zu bytes)", count, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		die("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : first;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			die("out of memory (%zu elements of %zu bytes)", n,
			    size);
		n *= 2;
	}
	*cap = n;
	return xrealloc(p, n * size);
}
