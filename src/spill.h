/* spill.h - runs of records in temporary files, and their merge: how the
 * aggregate keeps its memory bounded past its budget (README.md, "Memory
 * and temporary files"), the way sort(1) spills and merges.
 *
 * Owns:        each file's descriptor; each run's buffers.
 * Borrows:     a run, its file; a merge, its runs: they must outlive it.
 * Caller owns: the files spill_file_new returns, the runs spill_run_new
 *              returns and the merges spill_merge_new returns; records are
 *              copied in.
 * Errors:      a temporary file that cannot be made, written or read back
 *              is fatal (die): a report that silently lost groups would be
 *              worse than none.
 *
 * A file is unlinked as soon as it is made (O_TMPFILE where the file
 * system has it, else mkstemp then unlink): it takes no name in the
 * directory and disappears when the process ends, however it ends
 * (SIGINT, SIGTERM, a crash), with nothing to clean up. Its runs lie one
 * after another in it, so a thousand runs take one descriptor; a run
 * holds a buffer only while it is written or read, so runs that wait to
 * be merged take no memory to speak of.
 *
 * A record is bytes, written with its length before it; a run is written
 * once, then read from its start, in order, as often as needed. One run
 * of a file is written at a time: a new run, or reading the one being
 * written, ends its writing for good.
 */
#ifndef TH_SPILL_H
#define TH_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "th.h"

/* At most this many runs are merged at once: more are merged in passes,
 * as sort(1) does, so open files and buffers stay few. */
#define TH_SPILL_FANIN 32

struct th_spill_file;
struct th_spill_run;

/* A new, empty file under DIR to hold runs. */
struct th_spill_file *spill_file_new(const char *dir);

/* Closes F, whose runs must all be freed; NULL is a no-op. */
void spill_file_free(struct th_spill_file *f);

/* A new, empty run at the end of F, open for writing; the run F was
 * writing is ended. */
struct th_spill_run *spill_run_new(struct th_spill_file *f);

/* Appends the N bytes at P as one record. */
void spill_run_put(struct th_spill_run *r, const void *p, size_t n);

/* Records put so far. */
uint64_t spill_run_count(const struct th_spill_run *r);

/* Ends writing (for good) and goes back to the run's start to read. */
void spill_run_rewind(struct th_spill_run *r);

/* The next record: *P (valid until the next call) and *N. False at the
 * end of the run. */
bool spill_run_get(struct th_spill_run *r, const void **p, size_t *n);

/* Frees the run; its bytes go back to the file system (at once where
 * it punches holes, else once its file holds no run). NULL is a no-op. */
void spill_run_free(struct th_spill_run *r);

/* Orders two records: negative, zero or positive as X sorts before, with
 * or after Y. */
typedef int (*th_spill_cmp)(const void *x, size_t xn, const void *y, size_t yn,
			    void *ctx);

struct th_spill_merge;

/* Merges the N runs (each sorted by CMP), read from their starts, into
 * one stream ordered by CMP; records that compare equal come out in the
 * order of their runs. N is at most TH_SPILL_FANIN. */
struct th_spill_merge *spill_merge_new(struct th_spill_run **runs, size_t n,
				       th_spill_cmp cmp, void *ctx);

/* The next record of the merge (see spill_run_get). */
bool spill_merge_next(struct th_spill_merge *m, const void **p, size_t *n);

/* Frees the merge (not its runs). NULL is a no-op. */
void spill_merge_free(struct th_spill_merge *m);

/* The parts of a record: integers are LEB128 varints (small counts take
 * one byte), written by spill_varint_encode into OUT (SPILL_VARINT_MAX
 * bytes at most; returns how many) and read back by spill_get_u64. The
 * record's writer (agg.c) appends them to its own buffer. */
enum { SPILL_VARINT_MAX = 10 };
size_t spill_varint_encode(unsigned char *out, uint64_t v);

/* A record being read: the bytes from P to END. Reading past the end is a
 * broken invariant (the writer and reader disagree): die. */
struct th_spill_reader {
	const unsigned char *p, *end;
};

void spill_get_bytes(struct th_spill_reader *r, void *out, size_t n);
/* A pointer to the next N bytes, in the record. */
const void *spill_get_span(struct th_spill_reader *r, size_t n);
uint64_t spill_get_u64(struct th_spill_reader *r);
/* The NUL-terminated string at the reader, in the record. */
const char *spill_get_str(struct th_spill_reader *r);

#endif
