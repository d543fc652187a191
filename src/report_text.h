/* report_text.h - the --format text sink (report_text_new, in report.h)
 * with the width its summary table is fitted to made explicit.
 *
 * Owns:        as every sink (report.h): its own state, written to its FILE.
 * Borrows:     the FILE, catalog, aggregate and run of the context.
 * Errors:      as every sink: a failed write makes finish() return false.
 *
 * report_text_new(ctx) is report_text_new_columns(ctx,
 * report_text_columns(ctx->out, NULL)).
 */
#ifndef TH_REPORT_TEXT_H
#define TH_REPORT_TEXT_H

#include <stdio.h>

#include "report.h"

/* The width the text report is fitted to when printed on OUT: COLUMNS
 * (the environment variable, which main.c reads; NULL when unset) when it
 * is a number from 1 to 100000 (also when OUT is no terminal, so tests
 * and scripts can ask for a width), else the width of the terminal OUT is
 * (TIOCGWINSZ), else 0: unknown, and the table is as wide as its cells
 * need, as it always was (for pipes and files). */
size_t report_text_columns(FILE *out, const char *columns);

/* A text sink whose summary table fits in COLUMNS (0: unknown, no
 * fitting): the times of FIRST and LAST go first, then EXCEPTIONS and
 * RULES are cut with "…", then TIMELINE, LAST, RULES and FIRST go, and
 * last the key columns and EXCEPTIONS are cut further. Widths are counted
 * in code points; color codes do not count. The detail blocks' timeline
 * line is narrowed too; example lines and lists are not cut. */
struct th_sink *report_text_new_columns(const struct th_report_ctx *ctx,
					size_t columns);

#endif
