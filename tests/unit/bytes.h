/* bytes.h - test helper: growing byte strings, the four compressed forms
 * the inputs read (gzip, zstd, xz, bzip2) made on the spot, and
 * descriptors holding bytes (a memfd, a pipe).
 *
 * Owns:   nothing; every struct bytes returned is the caller's to free
 *         (free(b.p)). Failures abort the test (Criterion asserts).
 */
#ifndef TH_TEST_BYTES_H
#define TH_TEST_BYTES_H

#include <stddef.h>

struct bytes {
	char *p;
	size_t n;
	size_t size; /* allocated, when it grows by append (0: unknown) */
};

/* A copy of the N bytes at S. */
struct bytes bytes_of(const char *s, size_t n);

#define BYTES_LIT(s) bytes_of((s), sizeof(s) - 1)

/* Text of N bytes in lines, varied enough that its compressed form spans
 * many reads; SEED makes another text. */
struct bytes text_of(size_t n, unsigned seed);

/* Appends N bytes at P to B (B.p malloc'ed or NULL), which grows by
 * doubling: tests read whole inputs a byte at a time. */
void bytes_append_raw(struct bytes *b, const void *p, size_t n);

/* Appends MORE to B and frees MORE. */
void bytes_append(struct bytes *b, struct bytes more);

/* One gzip member (zlib), zstd frame, xz stream (liblzma, CRC64) or
 * bzip2 stream holding DATA, compressed at LEVEL. DATA stays the
 * caller's. */
struct bytes gzip_of(struct bytes data, int level);
struct bytes zstd_of(struct bytes data, int level);
struct bytes xz_of(struct bytes data, unsigned level);
struct bytes bzip2_of(struct bytes data, int level);

/* A memfd named NAME holding the N bytes at P, positioned at its start:
 * a test's text goes in as it is, with no copy made to pass it. */
int memfd_of(const void *p, size_t n, const char *name);

/* A pipe's read end holding the N bytes at P (few enough for the pipe),
 * the writer closed. */
int pipe_of(const void *p, size_t n);

#endif
