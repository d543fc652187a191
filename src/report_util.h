/* report_util.h - what the report sinks share: severity names, UTF-8
 * clean-up of log-derived bytes for JSON and for terminals, JSON helpers.
 *
 * Owns:        nothing; strings returned are the caller's to free().
 * Errors:      out of memory dies (xmalloc); nothing is printed.
 *
 * Log text is bytes: invalid UTF-8, NUL and control bytes are normal. Every
 * log-derived string leaves tracehound through one of these helpers.
 */
#ifndef TH_REPORT_UTIL_H
#define TH_REPORT_UTIL_H

#include <jansson.h>
#include <stdio.h>

#include "buf.h"
#include "catalog.h"
#include "event.h"
#include "text.h"
#include "th.h"

/* "error", "warning" or "info". */
const char *report_severity_name(enum th_severity s);

/* The event's text (event_text) in B, replacing what B held; B grows to
 * the largest event it is given. Returns B->n. */
size_t report_event_text(const struct th_event *ev, struct th_buf *b);

/* What a group key without a value is shown as: "(none)" for the
 * exception and the source (no framing named a writer), "(unknown)" for
 * the others. */
const char *report_no_value(enum th_key k);

/* "1 event", "2 events": N and ONE or MANY. */
void report_put_count(FILE *out, uint64_t n, const char *one, const char *many);

/* A NUL-terminated copy of P[0..N) with every invalid sequence replaced by
 * U+FFFD; NUL bytes are kept. *OUT_N gets its length. Caller frees. */
char *report_utf8_clean(const char *p, size_t n, size_t *out_n);

/* Appends the same clean form of P[0..N) to B (NUL-terminated after it,
 * B grows as needed); returns the number of bytes appended. */
size_t report_utf8_clean_add(struct th_buf *b, const char *p, size_t n);

/* Columns taken by clean UTF-8 S[0..N) on a terminal: two for wide CJK
 * characters and emoji, none for combining marks, one for the rest
 * (wcwidth(); main.c selects the C.UTF-8 character type so this does not
 * depend on the user's locale). */
size_t report_width(const char *s, size_t n);

/* Bytes of clean UTF-8 S[0..N) that fit in WIDTH columns, cut on a
 * character boundary (a wide character that would straddle the edge is
 * left out, so the prefix may take WIDTH - 1 columns). */
size_t report_fit(const char *s, size_t n, size_t width);

/* How a long example is cut: its first lines, then "… N more lines", then
 * its final "Type: message" line, which says what went wrong. The start
 * of that line in TEXT[0..N) (*LEN its length): the last line that is not
 * blank and not an exception-group border ("  +------"); N when every
 * line is. */
size_t report_example_final_line(const char *text, size_t n, size_t *len);

/* Lines of TEXT[0..N): a newline ends one, and so does the end. */
size_t report_line_count(const char *text, size_t n);

/* A JSON string of log-derived bytes (cleaned as above, NUL kept and
 * dumped as \u0000). Never NULL: dies on out of memory. */
json_t *report_json_text(const char *p, size_t n);

/* report_json_text of a C string, or JSON null for NULL. */
json_t *report_json_cstr(const char *s);

/* A JSON integer; counts past the largest json_int_t are clamped. */
json_t *report_json_uint(uint64_t v);

/* A culprit as {"file", "line", "function"} (log-derived strings), or
 * JSON null when FILE is NULL. */
json_t *report_json_culprit(const char *file, uint64_t line,
			    const char *function);

/* Sets OBJ[KEY] = VALUE (taking the reference) for a key we chose, ASCII.
 * Dies on failure: with a valid key only memory can run out. */
void report_json_set(json_t *obj, const char *key, json_t *value);

/* Sets OBJ[KEY] for a log-derived key (cleaned like report_json_text). Two
 * keys can become equal once cleaned ("A\xff", "A\xfe"): integer values are
 * then added, so no count is lost. */
void report_json_set_text(json_t *obj, const char *key, size_t n,
			  json_t *value);

/* Writes DOC with jansson FLAGS and a newline. Returns false when the
 * write failed; the stream's error flag stays set for finish(). */
bool report_json_write(FILE *out, const json_t *doc, size_t flags);

#endif
