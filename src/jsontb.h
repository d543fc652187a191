/* jsontb.h - the traceback text CPython would print for an exception a
 * JSON log record holds as data rather than as text: structlog's
 * dict_tracebacks, a list of {"exc_type", "exc_value", "is_cause",
 * "frames": [{"filename", "lineno", "name", "line"}]}, the exception
 * raised last first (README "Log shapes"). The text is then read as any
 * traceback is.
 *
 * Owns:        nothing.
 * Caller owns: the JSON value and the output buffer.
 */
#ifndef TH_JSONTB_H
#define TH_JSONTB_H

#include <jansson.h>
#include <stddef.h>

/* Writes the traceback text of STACKS to OUT (CAP bytes), oldest
 * exception first, chained as CPython chains them, without a final
 * newline. Returns its length; 0 when STACKS is no such list, when one
 * of its exceptions has no type, or when the text does not fit. */
size_t jsontb_format(const json_t *stacks, char *out, size_t cap);

#endif
