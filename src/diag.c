/* diag.c - the only writer to stderr; see diag.h. */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char program[] = "tracehound";

void th_error_set(struct th_error *e, const char *file, size_t line,
		  size_t column, const char *fmt, ...)
{
	if (e == NULL || e->set)
		return;
	e->set = true;
	snprintf(e->file, sizeof e->file, "%s", file ? file : "");
	e->line = line;
	e->column = column;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

static void vsay(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", program, kind);
	vfprintf(stderr, fmt, ap);
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

/* Prints the source line and a caret under COLUMN, which counts
 * characters (as libyaml does), not bytes; tabs are kept so the caret
 * lines up. */
static void print_caret(const char *text, size_t column)
{
	fprintf(stderr, "  %s\n  ", text);
	size_t chars = 1;
	for (const char *p = text; *p && chars < column; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue; /* a UTF-8 continuation byte */
		fputc(*p == '\t' ? '\t' : ' ', stderr);
		chars++;
	}
	fputs("^\n", stderr);
}

void diag_report(const struct th_error *e)
{
	if (e->line == 0) {
		fprintf(stderr, "%s: %s%serror: %s\n", program, e->file,
			e->file[0] ? ": " : "", e->message);
		return;
	}
	fprintf(stderr, "%s:%zu:%zu: error: %s\n", e->file, e->line, e->column,
		e->message);
	char text[512];
	if (e->column > 0 &&
	    read_source_line(e->file, e->line, text, sizeof text))
		print_caret(text, e->column);
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
