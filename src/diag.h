/* diag.h - the only writer to stderr.
 *
 * Owns:        nothing (struct th_error, the error shape, is error.h's).
 * Library code never prints: it fills a struct th_error and returns; the
 * caller hands it to diag_report(), which prints
 *   FILE:LINE:COLUMN: error: MESSAGE
 *     the offending line
 *          ^
 * reading the line back from FILE when it can. Whatever it prints is
 * cleaned (see diag_error).
 */
#ifndef TH_DIAG_H
#define TH_DIAG_H

#include <stdarg.h>
#include <stdnoreturn.h>

#include "error.h"
#include "th.h"

/* "tracehound: " + message, for bad options and inputs. Every message is
 * cleaned as reports clean log text (text.h: a file name, a rule-file
 * line or a fleet report's id may hold escape sequences), and is one
 * line: a newline in it shows as "\x0a". */
void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A further line of the message before it, as it is (cleaned too):
 * "Try 'tracehound --help'." */
void diag_more(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* file:line:column, the line itself and a caret (see above). */
void diag_report(const struct th_error *e);

/* An error about a whole file (an input, the state, the metrics file), as
 * grep says it: "tracehound: FILE: MESSAGE", or "tracehound: MESSAGE"
 * when E names no file. KIND is "" for an error, "warning: " or "note: ".
 * Cleaned like diag_error. */
void diag_file(const char *kind, const struct th_error *e);

/* Out of memory or a broken invariant: print and abort. */
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that dies on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* P, an array of *CAP elements of SIZE bytes, grown to hold at least NEED
 * (doubling, from FIRST; *CAP updated): the one growth rule of every
 * array. Returns P, moved or not. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size, size_t first);

/* XGROW(a->items, a->cap, a->n + 1, 16) before a->items[a->n++]. */
#define XGROW(arr, cap, need, first)                                           \
	((arr) = xgrow((arr), &(cap), (need), sizeof *(arr), (first)))

#endif
