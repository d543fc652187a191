/* buf.h - the one growable byte buffer, written once so the stages and
 * sinks do not each keep a copy (ASCII and span helpers are in th.h, the
 * growth rule of arrays, XGROW, in diag.h with the other allocators).
 *
 * Owns:        a struct th_buf owns its bytes until buf_take() or
 *              buf_fini().
 * Borrows:     spans and C strings passed in are only read.
 * Errors:      out of memory dies (xrealloc, diag.h); nothing is printed.
 */
#ifndef TH_BUF_H
#define TH_BUF_H

#include <stddef.h>

#include "th.h"

/* ---- a growable buffer of bytes --------------------------------------- */

/* Zero-initialised it is empty. After any add, P[N] is '\0', so P is a C
 * string when nothing added held a NUL. */
struct th_buf {
	char *p;
	size_t n, cap;
};

/* Makes room for MORE bytes after N (and the final '\0'); returns where
 * they go. */
char *buf_reserve(struct th_buf *b, size_t more);
void buf_add(struct th_buf *b, const char *p, size_t n);
void buf_str(struct th_buf *b, const char *s);
/* The buffer's bytes as a C string the caller frees ("" when empty); B is
 * left empty. */
char *buf_take(struct th_buf *b);
void buf_fini(struct th_buf *b);

#endif
