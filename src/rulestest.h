/* rulestest.h - `tracehound rules test`: show, line by line, which rule
 * started, continued and ended each event, which fields it took and which
 * ignore rule dropped it, then how many events each rule found (as
 * fail2ban-regex and logcheck-test do), so that a rule can be debugged.
 *
 *       7 start  asyncio.exception-never-retrieved | ERROR Task exception…
 *       8 cont   | future: <Task finished name='Task-2' coro=<flaky() …
 *      12 cont   | ValueError: boom
 *      12 end    -> coroutine=flaky exception=ValueError task=Task-2
 *
 * Every line is read (no fast path): this is the scanner's pipeline (input,
 * lines, prefix, assembler, classifier) with the assembler's and the
 * classifier's probes set, and no aggregate.
 *
 * Owns:        its pipeline objects, counters and the run (inputs read).
 * Borrows:     the rules and the output stream (must outlive it).
 * Errors:      an input that cannot be read is named on stderr (through
 *              diag) and the next one is read; a failed write is left in
 *              the stream's error flag and returned by rulestest_finish.
 */
#ifndef TH_RULESTEST_H
#define TH_RULESTEST_H

#include <stdio.h>

#include "rules.h"
#include "run.h"
#include "trigger.h"

/* Log text shown per line when the output is not a terminal, before it is
 * cut with "…". */
#define RULESTEST_TEXT_COLUMNS 200

struct th_rulestest_options {
	bool verbose;	/* also the lines that are part of no event */
	bool color;	/* ANSI colors */
	size_t columns; /* terminal width to fit lines in; 0: not a terminal
			   (log text cut at RULESTEST_TEXT_COLUMNS) */
	bool map_files; /* map plain files instead of reading them */
	enum th_search search; /* the trigger's search (trigger.h) */
};

struct th_rulestest;

struct th_rulestest *rulestest_new(const struct th_rules *rules, FILE *out,
				   const struct th_rulestest_options *o);
void rulestest_free(struct th_rulestest *t);

/* Reads PATH ("-" for stdin) to its end, printing as it goes. Returns
 * false when it could not be read whole (named on stderr). */
bool rulestest_path(struct th_rulestest *t, const char *path);

/* Prints the summary: per rule the events it found, dropped and left
 * incomplete; per ignore rule the events it dropped; the lines read.
 * Returns false when writing failed. */
bool rulestest_finish(struct th_rulestest *t);

/* Events found by any rule so far, those dropped by ignore rules included
 * (leaves of a split exception group count one each). */
uint64_t rulestest_found(const struct th_rulestest *t);

/* The run: inputs read (with their errors), lines, ignored counts. */
const struct th_run *rulestest_run(const struct th_rulestest *t);

#endif
