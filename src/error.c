/* error.c - the one shape of an error; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

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
