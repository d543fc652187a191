/* error.h - the one shape of an error: the file at fault, where in it,
 * and what went wrong.
 *
 * Owns:        nothing.
 * Caller owns: the struct th_error, a value it keeps (usually on its
 *              stack, zeroed: `struct th_error e = {0}`).
 * Errors:      none; nothing is printed.
 * Every function that can fail for a reason the user must read fills one
 * and returns: loading rules, opening an input or the state, parsing an
 * option's time, writing the state or the metrics, merging reports.
 * Library code never prints it; the command hands it to diag.h
 * (diag_report for rule-file positions, diag_file for a whole file).
 * Below every other module, so that the lowest ones (isotime) can fail
 * with it too.
 */
#ifndef TH_ERROR_H
#define TH_ERROR_H

#include <stdbool.h>
#include <stddef.h>

struct th_error {
	bool set;
	char file[1024];     /* "" when no file is at fault (an option) */
	size_t line, column; /* 1-based; 0 when unknown */
	char message[1024];
};

/* Records the first error only: a later call on a set error is ignored, so
 * the message the user sees is the first thing that went wrong. E NULL:
 * the caller does not want to know. FILE NULL: none. */
void th_error_set(struct th_error *e, const char *file, size_t line,
		  size_t column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
