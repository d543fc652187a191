/* suggest.h - "did you mean": the known name closest to a misspelt one,
 * for rule-file keys and values (rules_load.c) and command-line options
 * and subcommands (cli.c).
 *
 * Owns:        nothing.
 * Borrows:     WORD and NAMES, for the call.
 * Errors:      none: no name close enough is NULL.
 */
#ifndef TH_SUGGEST_H
#define TH_SUGGEST_H

#include "th.h"

/* The name of NAMES (N of them) closest to WORD when it is within two
 * edits or swaps of neighbours (and WORD is longer than the distance, so
 * that a one-letter word suggests nothing), else NULL. */
const char *suggest_name(struct th_span word, const char *const *names,
			 size_t n);

#endif
