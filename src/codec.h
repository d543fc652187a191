/* codec.h - the compressions tracehound knows: their magic bytes, and the
 * decoders of those it reads (gzip, zstd, xz, bzip2) behind one step call.
 *
 * The one place that knows compression magic: input.c sniffs the start of
 * an input with codec_sniff, and the scanner asks input_sniff before
 * cutting a file into ranges. gzip goes through ISA-L's igzip when the
 * build found it (TH_HAVE_ISAL, meson option isal), else through zlib;
 * both say the same things in the same words.
 *
 * Owns:        a decoder's state (codec_new .. codec_free).
 * Borrows:     the input and output bytes of each codec_step.
 * Caller owns: nothing it gets back; codec_error is valid until free.
 * Errors:      codec_step and codec_finish return TH_ERR_CORRUPT with a
 *              message (codec_error), and the decoder is then unusable;
 *              out of memory aborts.
 */
#ifndef TH_CODEC_H
#define TH_CODEC_H

#include "th.h"

enum th_compression {
	TH_COMPRESSION_NONE,
	TH_COMPRESSION_GZIP,
	TH_COMPRESSION_ZSTD,
	TH_COMPRESSION_XZ,
	TH_COMPRESSION_BZIP2,
	/* recognised, never read: opening one is an error naming it */
	TH_COMPRESSION_LZ4,
	TH_COMPRESSION_LZIP,
	TH_COMPRESSION_COMPRESS,
};

/* Bytes codec_sniff needs to decide any magic (xz's six). */
#define TH_CODEC_MAGIC_MAX 6

/* Looks at the first N bytes of an input at P. Returns true and sets *OUT
 * when they settle the format: they start with a magic, or no magic can
 * start with them (TH_COMPRESSION_NONE). Returns false while they are a
 * proper prefix of some magic, so that more bytes must be read. */
bool codec_sniff(const unsigned char *p, size_t n, enum th_compression *out);

/* The compression's name, as messages say it ("gzip", "lz4", "plain"). */
const char *codec_name(enum th_compression c);

/* True for the compressions codec_new decodes. */
bool codec_readable(enum th_compression c);

struct th_codec;

/* A decoder for C (codec_readable). Aborts on out-of-memory. */
struct th_codec *codec_new(enum th_compression c);

/* One decoding step: the bytes IN[IN_POS..IN_LEN) and room
 * OUT[OUT_POS..OUT_CAP); both positions move past what was used. */
struct th_codec_io {
	const unsigned char *in;
	size_t in_len, in_pos;
	unsigned char *out;
	size_t out_cap, out_pos;
};

/* Decodes what it can of IO's input into its room. Concatenated members
 * (gzip, bzip2), frames (zstd) and streams (xz) decode one after the other.
 * Returns TH_OK (possibly with no progress when it needs more input) or
 * TH_ERR_CORRUPT. */
enum th_status codec_step(struct th_codec *c, struct th_codec_io *io);

/* True when the last step filled the room mid-stream, so the decoder may
 * still hold output: step again (with no new input) before feeding more
 * or judging the end. */
bool codec_pending(const struct th_codec *c);

/* At the end of the input, with nothing pending: TH_OK when the last
 * member ended cleanly, TH_ERR_CORRUPT ("xz data is truncated") when the
 * data stops inside one. */
enum th_status codec_finish(struct th_codec *c);

/* The message of the last TH_ERR_CORRUPT ("" before any), e.g. "gzip data
 * is corrupt (incorrect data check)". */
const char *codec_error(const struct th_codec *c);

/* Frees C. Accepts NULL. */
void codec_free(struct th_codec *c);

#endif
