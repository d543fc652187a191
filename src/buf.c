/* buf.c - the growable byte buffer; see buf.h. */
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>

#include "diag.h"

char *buf_reserve(struct th_buf *b, size_t more)
{
	if (more > SIZE_MAX - b->n - 1)
		die("out of memory (a buffer of %zu bytes)", b->n);
	XGROW(b->p, b->cap, b->n + more + 1, 256);
	return b->p + b->n;
}

void buf_add(struct th_buf *b, const char *p, size_t n)
{
	memcpy(buf_reserve(b, n), p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void buf_str(struct th_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

char *buf_take(struct th_buf *b)
{
	char *s = b->p ? b->p : xstrdup("");
	*b = (struct th_buf){0};
	return s;
}

void buf_fini(struct th_buf *b)
{
	free(b->p);
	*b = (struct th_buf){0};
}
