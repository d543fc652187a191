/* codec.c - compression magic and the decoders of gzip (ISA-L's igzip, or
 * zlib), zstd, xz (liblzma) and bzip2 (libbz2). See codec.h for the
 * contract.
 *
 * Each decoder is one step function over struct th_codec_io. A decoder
 * that can resume after a member ends (igzip, zlib, libbz2) is reset for
 * the next member by hand; liblzma and libzstd run on through
 * concatenated streams by themselves.
 */
#include "codec.h"

#include "th_limits.h"

#include <bzlib.h>
#include <limits.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#ifdef TH_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

/* A magic: its bytes, and for bzip2 ("BZh" then the block size '1'..'9')
 * one more byte that must be a digit from 1 to 9. */
struct codec_magic {
	unsigned char bytes[TH_CODEC_MAGIC_MAX];
	size_t n;
	bool then_digit;
	enum th_compression compression;
};

static const struct codec_magic codec_magics[] = {
    {{0x1f, 0x8b}, 2, false, TH_COMPRESSION_GZIP},
    {{0x28, 0xb5, 0x2f, 0xfd}, 4, false, TH_COMPRESSION_ZSTD},
    {{0xfd, '7', 'z', 'X', 'Z', 0x00}, 6, false, TH_COMPRESSION_XZ},
    {{'B', 'Z', 'h'}, 3, true, TH_COMPRESSION_BZIP2},
    {{0x04, 0x22, 0x4d, 0x18}, 4, false, TH_COMPRESSION_LZ4},
    {{0x02, 0x21, 0x4c, 0x18}, 4, false, TH_COMPRESSION_LZ4}, /* legacy */
    {{'L', 'Z', 'I', 'P'}, 4, false, TH_COMPRESSION_LZIP},
    {{0x1f, 0x9d}, 2, false, TH_COMPRESSION_COMPRESS},
};

/* How many of the N bytes at P agree with M, up to its whole length. */
static size_t codec_magic_agrees(const struct codec_magic *m,
				 const unsigned char *p, size_t n)
{
	size_t whole = m->n + (m->then_digit ? 1 : 0);
	size_t k = 0;

	while (k < n && k < whole) {
		bool ok =
		    k < m->n ? p[k] == m->bytes[k] : p[k] >= '1' && p[k] <= '9';
		if (!ok)
			return SIZE_MAX; /* disagrees */
		k++;
	}
	return k;
}

bool codec_sniff(const unsigned char *p, size_t n, enum th_compression *out)
{
	bool maybe = false;

	*out = TH_COMPRESSION_NONE;
	for (size_t i = 0; i < sizeof codec_magics / sizeof codec_magics[0];
	     i++) {
		const struct codec_magic *m = &codec_magics[i];
		size_t k = codec_magic_agrees(m, p, n);

		if (k == SIZE_MAX)
			continue;
		if (k == m->n + (m->then_digit ? 1 : 0)) {
			*out = m->compression;
			return true;
		}
		maybe = true;
	}
	return !maybe;
}

const char *codec_name(enum th_compression c)
{
	switch (c) {
	case TH_COMPRESSION_NONE: return "plain";
	case TH_COMPRESSION_GZIP: return "gzip";
	case TH_COMPRESSION_ZSTD: return "zstd";
	case TH_COMPRESSION_XZ: return "xz";
	case TH_COMPRESSION_BZIP2: return "bzip2";
	case TH_COMPRESSION_LZ4: return "lz4";
	case TH_COMPRESSION_LZIP: return "lzip";
	case TH_COMPRESSION_COMPRESS: return "compress (.Z)";
	}
	return "unknown";
}

bool codec_readable(enum th_compression c)
{
	return c == TH_COMPRESSION_GZIP || c == TH_COMPRESSION_ZSTD ||
	       c == TH_COMPRESSION_XZ || c == TH_COMPRESSION_BZIP2;
}

struct th_codec {
	enum th_compression compression;
	bool in_member; /* inside a member: the input may not end here */
	bool pending;	/* the last step filled the room mid-member */
	char err[160];
	union {
#ifdef TH_HAVE_ISAL
		struct inflate_state *isal; /* tens of KiB: on the heap */
#else
		z_stream z;
#endif
		ZSTD_DStream *zstd;
		lzma_stream lz;
		bz_stream bz;
	} u;
};

/* Records a message and returns TH_ERR_CORRUPT. */
__attribute__((format(printf, 2, 3))) static enum th_status
codec_fail(struct th_codec *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return TH_ERR_CORRUPT;
}

/* The room left in IO, as the unsigned int the older libraries take. */
static unsigned codec_room(const struct th_codec_io *io)
{
	size_t room = io->out_cap - io->out_pos;
	return room < UINT_MAX ? (unsigned)room : UINT_MAX;
}

/* The input left in IO, as an unsigned int. */
static unsigned codec_left(const struct th_codec_io *io)
{
	size_t left = io->in_len - io->in_pos;
	return left < UINT_MAX ? (unsigned)left : UINT_MAX;
}

#ifdef TH_HAVE_ISAL
/* A fresh igzip state that parses the gzip header and checks the CRC. */
static void codec_isal_start(struct th_codec *c)
{
	isal_inflate_init(c->u.isal);
	c->u.isal->crc_flag = ISAL_GZIP;
}

/* ISA-L's errors in zlib's words, so messages do not depend on the build. */
static const char *codec_isal_reason(int ret)
{
	switch (ret) {
	case ISAL_INVALID_BLOCK: return "invalid block type";
	case ISAL_INVALID_SYMBOL: return "invalid code";
	case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER: return "incorrect header check";
	case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
	case ISAL_NEED_DICT: return "needs a dictionary";
	default: return "bad data";
	}
}

/* One isal_inflate call; a finished member starts the next one. */
static enum th_status codec_gzip_step(struct th_codec *c,
				      struct th_codec_io *io)
{
	struct inflate_state *s = c->u.isal;
	unsigned room = codec_room(io);

	s->next_in = (uint8_t *)(uintptr_t)(io->in + io->in_pos);
	s->avail_in = codec_left(io);
	s->next_out = io->out + io->out_pos;
	s->avail_out = room;
	if (s->avail_in > 0)
		c->in_member = true;
	int ret = isal_inflate(s);
	io->in_pos = (size_t)(s->next_in - io->in);
	io->out_pos += room - s->avail_out;
	/* ISAL_END_INPUT and ISAL_OUT_OVERFLOW are no errors: the step
	 * stopped at the end of the input or of the room */
	if (ret != ISAL_DECOMP_OK && ret != ISAL_END_INPUT &&
	    ret != ISAL_OUT_OVERFLOW)
		return codec_fail(c, "gzip data is corrupt (%s)",
				  codec_isal_reason(ret));
	c->pending = s->avail_out == 0;
	if (s->block_state == ISAL_BLOCK_FINISH) { /* another may follow */
		c->in_member = false;
		c->pending = false;
		codec_isal_start(c);
	}
	return TH_OK;
}

/* The gzip decoder's state; aborts when there is no memory for it. */
static void codec_gzip_new(struct th_codec *c)
{
	c->u.isal = malloc(sizeof *c->u.isal);
	if (c->u.isal == NULL)
		abort();
	codec_isal_start(c);
}

static void codec_gzip_free(struct th_codec *c)
{
	free(c->u.isal);
}
#else
/* One inflate call; a finished member starts the next one. */
static enum th_status codec_gzip_step(struct th_codec *c,
				      struct th_codec_io *io)
{
	z_stream *z = &c->u.z;
	unsigned room = codec_room(io);

	z->next_in = (Bytef *)(uintptr_t)(io->in + io->in_pos);
	z->avail_in = codec_left(io);
	z->next_out = io->out + io->out_pos;
	z->avail_out = room;
	if (z->avail_in > 0)
		c->in_member = true;
	int ret = inflate(z, Z_NO_FLUSH);
	io->in_pos = (size_t)(z->next_in - io->in);
	io->out_pos += room - z->avail_out;
	c->pending = z->avail_out == 0;
	switch (ret) {
	case Z_OK: return TH_OK;
	case Z_BUF_ERROR: /* no progress possible: wants more input */
		c->pending = false;
		return TH_OK;
	case Z_STREAM_END: /* another member may follow */
		c->in_member = false;
		c->pending = false;
		if (inflateReset(z) != Z_OK)
			abort();
		return TH_OK;
	case Z_NEED_DICT:
		return codec_fail(c,
				  "gzip data is corrupt (needs a dictionary)");
	case Z_DATA_ERROR:
		return codec_fail(c, "gzip data is corrupt (%s)",
				  z->msg != NULL ? z->msg : "bad data");
	default: /* Z_MEM_ERROR, or Z_STREAM_ERROR: a broken invariant */
		abort();
	}
}

/* The gzip decoder's state; aborts when zlib cannot get memory. */
static void codec_gzip_new(struct th_codec *c)
{
	/* 15 (the largest window) + 16 (gzip wrapper only, so a bare zlib
	 * or raw deflate stream is reported as corrupt) */
	if (inflateInit2(&c->u.z, 15 + 16) != Z_OK)
		abort();
}

static void codec_gzip_free(struct th_codec *c)
{
	inflateEnd(&c->u.z);
}
#endif

/* ZSTD_decompressStream returns 0 exactly at the end of a frame. */
static enum th_status codec_zstd_step(struct th_codec *c,
				      struct th_codec_io *io)
{
	ZSTD_inBuffer in = {io->in, io->in_len, io->in_pos};
	ZSTD_outBuffer out = {io->out, io->out_cap, io->out_pos};
	size_t r = ZSTD_decompressStream(c->u.zstd, &out, &in);

	io->in_pos = in.pos;
	io->out_pos = out.pos;
	if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
		return codec_fail(c,
				  "zstd data needs a window larger than %d MiB "
				  "to decode; not read",
				  (1 << TH_ZSTD_WINDOW_LOG_MAX) >> 20);
	if (ZSTD_isError(r))
		return codec_fail(c, "zstd data is corrupt (%s)",
				  ZSTD_getErrorName(r));
	c->in_member = r != 0;
	/* at a frame's end nothing is held back; asking again would start
	 * the next frame and make the end look truncated */
	c->pending = c->in_member && out.pos == out.size;
	return TH_OK;
}

/* liblzma's failures, in words. */
static enum th_status codec_xz_fail(struct th_codec *c, lzma_ret ret)
{
	switch (ret) {
	case LZMA_FORMAT_ERROR:
		return codec_fail(c, "xz data is corrupt (not an xz stream)");
	case LZMA_OPTIONS_ERROR:
		return codec_fail(c, "xz data uses options liblzma cannot "
				     "read");
	case LZMA_DATA_ERROR:
		return codec_fail(c, "xz data is corrupt (bad data)");
	case LZMA_BUF_ERROR: return codec_fail(c, "xz data is truncated");
	case LZMA_MEMLIMIT_ERROR:
		return codec_fail(c,
				  "xz data needs more than %d MiB of memory to "
				  "decode; not read",
				  (int)(TH_XZ_MEMLIMIT >> 20));
	case LZMA_MEM_ERROR: abort();
	default: return codec_fail(c, "xz data is corrupt (error %d)", ret);
	}
}

/* One lzma_code call. LZMA_CONCATENATED decodes stream after stream, so
 * where the data may end is only known when codec_finish asks. */
static enum th_status codec_xz_step(struct th_codec *c, struct th_codec_io *io)
{
	lzma_stream *lz = &c->u.lz;
	size_t room = io->out_cap - io->out_pos;

	lz->next_in = io->in + io->in_pos;
	lz->avail_in = io->in_len - io->in_pos;
	lz->next_out = io->out + io->out_pos;
	lz->avail_out = room;
	lzma_ret ret = lzma_code(lz, LZMA_RUN);
	io->in_pos = (size_t)(lz->next_in - io->in);
	io->out_pos += room - lz->avail_out;
	c->pending = lz->avail_out == 0;
	if (ret == LZMA_OK)
		return TH_OK;
	if (ret == LZMA_BUF_ERROR) { /* no progress: wants more input */
		c->pending = false;
		return TH_OK;
	}
	return codec_xz_fail(c, ret);
}

/* Tells liblzma the input ended: a whole last stream ends the decoding. */
static enum th_status codec_xz_finish(struct th_codec *c)
{
	lzma_stream *lz = &c->u.lz;
	unsigned char none[1];

	lz->next_in = NULL;
	lz->avail_in = 0;
	lz->next_out = none;
	lz->avail_out = sizeof none;
	lzma_ret ret = lzma_code(lz, LZMA_FINISH);
	/* the last step left room, so all the output is out: LZMA_OK (or
	 * LZMA_BUF_ERROR) means it waits for the rest of a stream */
	if (ret == LZMA_OK)
		ret = LZMA_BUF_ERROR;
	return ret == LZMA_STREAM_END ? TH_OK : codec_xz_fail(c, ret);
}

/* A fresh libbz2 decoder; aborts when it cannot get memory. */
static void codec_bzip2_start(struct th_codec *c)
{
	memset(&c->u.bz, 0, sizeof c->u.bz);
	if (BZ2_bzDecompressInit(&c->u.bz, 0, 0) != BZ_OK)
		abort();
}

/* One BZ2_bzDecompress call; a finished stream starts the next one
 * (pbzip2 and `cat a.bz2 b.bz2` make several). */
static enum th_status codec_bzip2_step(struct th_codec *c,
				       struct th_codec_io *io)
{
	bz_stream *bz = &c->u.bz;
	unsigned room = codec_room(io);

	bz->next_in = (char *)(uintptr_t)(io->in + io->in_pos);
	bz->avail_in = codec_left(io);
	bz->next_out = (char *)(io->out + io->out_pos);
	bz->avail_out = room;
	if (bz->avail_in > 0)
		c->in_member = true;
	int ret = BZ2_bzDecompress(bz);
	io->in_pos = (size_t)((const unsigned char *)bz->next_in - io->in);
	io->out_pos += room - bz->avail_out;
	c->pending = ret == BZ_OK && bz->avail_out == 0;
	switch (ret) {
	case BZ_OK: return TH_OK;
	case BZ_STREAM_END:
		c->in_member = false;
		BZ2_bzDecompressEnd(bz);
		codec_bzip2_start(c);
		return TH_OK;
	case BZ_DATA_ERROR_MAGIC:
		return codec_fail(c, "bzip2 data is corrupt (not a bzip2 "
				     "stream)");
	case BZ_DATA_ERROR:
		return codec_fail(c, "bzip2 data is corrupt (bad data)");
	default: /* BZ_MEM_ERROR, or BZ_PARAM_ERROR: a broken invariant */
		abort();
	}
}

struct th_codec *codec_new(enum th_compression comp)
{
	struct th_codec *c = calloc(1, sizeof *c);

	if (c == NULL)
		abort();
	c->compression = comp;
	switch (comp) {
	case TH_COMPRESSION_GZIP: codec_gzip_new(c); break;
	case TH_COMPRESSION_ZSTD:
		c->u.zstd = ZSTD_createDStream();
		if (c->u.zstd == NULL || ZSTD_isError(ZSTD_DCtx_setParameter(
					     c->u.zstd, ZSTD_d_windowLogMax,
					     TH_ZSTD_WINDOW_LOG_MAX)))
			abort();
		break;
	case TH_COMPRESSION_XZ:
		c->u.lz = (lzma_stream)LZMA_STREAM_INIT;
		if (lzma_stream_decoder(&c->u.lz, TH_XZ_MEMLIMIT,
					LZMA_CONCATENATED) != LZMA_OK)
			abort();
		break;
	case TH_COMPRESSION_BZIP2: codec_bzip2_start(c); break;
	default: abort(); /* not readable: a caller bug */
	}
	return c;
}

enum th_status codec_step(struct th_codec *c, struct th_codec_io *io)
{
	switch (c->compression) {
	case TH_COMPRESSION_GZIP: return codec_gzip_step(c, io);
	case TH_COMPRESSION_ZSTD: return codec_zstd_step(c, io);
	case TH_COMPRESSION_XZ: return codec_xz_step(c, io);
	case TH_COMPRESSION_BZIP2: return codec_bzip2_step(c, io);
	default: abort();
	}
}

bool codec_pending(const struct th_codec *c)
{
	return c->pending;
}

enum th_status codec_finish(struct th_codec *c)
{
	if (c->compression == TH_COMPRESSION_XZ)
		return codec_xz_finish(c);
	if (c->in_member)
		return codec_fail(c, "%s data is truncated",
				  codec_name(c->compression));
	return TH_OK;
}

const char *codec_error(const struct th_codec *c)
{
	return c->err;
}

void codec_free(struct th_codec *c)
{
	if (c == NULL)
		return;
	switch (c->compression) {
	case TH_COMPRESSION_GZIP: codec_gzip_free(c); break;
	case TH_COMPRESSION_ZSTD: ZSTD_freeDStream(c->u.zstd); break;
	case TH_COMPRESSION_XZ: lzma_end(&c->u.lz); break;
	case TH_COMPRESSION_BZIP2: BZ2_bzDecompressEnd(&c->u.bz); break;
	default: break;
	}
	free(c);
}
