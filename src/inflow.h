/* inflow.h - decompress an input ahead of its reader, in a thread of its
 * own.
 *
 * Read in one thread, a compressed input costs its decoder plus the scan
 * of the text; with the decoder in a second thread the two overlap, and a
 * .gz is scanned in about igzip's own time (docs/performance.md,
 * "Compressed input"). The thread reads the descriptor, decodes into a
 * small ring of buffers (INFLOW_SLOTS of INFLOW_SLOT_SIZE bytes) and hands
 * each one over once full (or at the end); the reader copies out of them,
 * one at a time. A slow pipe's bytes therefore wait for their slot to
 * fill: input.c starts one for a compressed input at its first read,
 * but not for --follow (input_follow, input_no_ahead).
 *
 * Owns:        the thread, the ring, the bytes read ahead and, once
 *              inflow_start succeeds, the decoder handed to it.
 * Borrows:     the descriptor, which must stay open until inflow_free.
 * Caller owns: the buffers passed to inflow_read.
 * Errors:      a read error (TH_ERR_IO) or damaged data (TH_ERR_CORRUPT,
 *              codec_error's words) reaches the reader after every byte
 *              decoded before it, and is final; never prints.
 */
#ifndef TH_INFLOW_H
#define TH_INFLOW_H

#include "codec.h"
#include "th.h"

/* The ring: small, so that memory stays flat (README.md, "Limits"), yet
 * deep enough that neither thread waits on the other for long. */
#define INFLOW_SLOTS	 4
#define INFLOW_SLOT_SIZE (256 * 1024)

struct th_inflow;

/* Starts decoding FD with CODEC in a new thread, the N bytes at FIRST
 * (already read from FD: the magic peeked at) before anything read from
 * FD. On success CODEC belongs to the inflow. Returns NULL, with CODEC
 * still the caller's and untouched, when no thread can be started.
 * Aborts on out-of-memory. */
struct th_inflow *inflow_start(int fd, struct th_codec *codec,
			       const unsigned char *first, size_t n);

/* Copies up to CAP (> 0) decoded bytes into BUF, waiting for the thread
 * when none is ready, and stores their number in *GOT. Returns TH_OK with
 * *GOT > 0; at the end TH_EOF, or TH_ERR_IO / TH_ERR_CORRUPT (see
 * inflow_error), with *GOT == 0, and the same on every later call. */
enum th_status inflow_read(struct th_inflow *f, char *buf, size_t cap,
			   size_t *got);

/* The message of the error inflow_read returned ("" before any), e.g.
 * "gzip data is corrupt (invalid block type)". Valid until inflow_free. */
const char *inflow_error(const struct th_inflow *f);

/* Stops the thread wherever it is (even blocked reading a pipe whose
 * writer stays), joins it and frees F with its decoder. Leaves the
 * descriptor open. Accepts NULL. */
void inflow_free(struct th_inflow *f);

#endif
