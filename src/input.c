/* input.c - open a file or stdin and read its bytes, decompressing gzip and
 * zstd recognised by their magic bytes. See input.h for the contract.
 *
 * The first bytes are peeked into a small staging array and replayed, never
 * sought back to, so detection works on pipes and stdin as well as files.
 * Decompressed bytes go straight into the caller's buffer; only compressed
 * bytes pass through the input's own buffer.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* Compressed bytes read from the descriptor at a time. It bounds only the
 * read() size of compressed inputs, not the length of any line. */
#define INPUT_RAW_SIZE (64 * 1024)

/* The longest magic recognised (zstd's four bytes). */
#define INPUT_MAGIC_MAX 4

/* inflateInit2 window bits: 15 (the largest window) + 16 (gzip wrapper only,
 * so a bare zlib or raw deflate stream is reported as corrupt). */
#define INPUT_GZIP_WBITS (15 + 16)

struct input_magic {
	unsigned char bytes[INPUT_MAGIC_MAX];
	size_t n;
	enum th_compression compression;
};

static const struct input_magic input_magics[] = {
    {{0x1f, 0x8b}, 2, TH_COMPRESSION_GZIP},
    {{0x28, 0xb5, 0x2f, 0xfd}, 4, TH_COMPRESSION_ZSTD},
};

struct th_input {
	int fd;
	bool owns_fd; /* false for stdin and input_from_fd: never closed */
	char *name;
	enum th_compression compression;
	enum th_status failed; /* TH_OK, or the error every read repeats */
	bool ranged;	       /* reads stop after `left` more bytes */
	uint64_t left;
	bool mappable;		     /* a plain regular file opened by path */
	bool regular;		     /* the descriptor is a regular file */
	bool follow;		     /* input_follow: never block on a pipe */
	bool ended;		     /* followed pipe: its writer is gone */
	uint64_t map_start, map_end; /* the bytes to map */
	char err[160];

	/* The peeked bytes, replayed by plain reads (compressed inputs copy
	 * them into raw instead). */
	unsigned char peek[INPUT_MAGIC_MAX];
	size_t peek_len;
	size_t peek_pos;

	unsigned char
	    *raw;	/* compressed bytes, INPUT_RAW_SIZE; NULL if plain */
	bool in_member; /* inside a gzip member or zstd frame: EOF is bad */
	bool out_full;	/* the last decoder call filled the caller's buffer
			 * mid-member, so it may still hold output: ask it
			 * again before reading or judging the end. (zlib
			 * and libzstd today keep a member's last input
			 * bytes until it is flushed; this does not rely
			 * on that.) */
	z_stream z;
	ZSTD_DStream *zstd;
	ZSTD_inBuffer zin; /* zstd's view of raw */
};

/* Returns SIZE zeroed bytes; aborts when memory is exhausted. */
static void *input_xcalloc(size_t size)
{
	void *p = calloc(1, size);

	if (p == NULL)
		abort();
	return p;
}

/* Returns a heap copy of S; aborts when memory is exhausted. */
static char *input_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(input_xcalloc(n), s, n);
}

/* Records an error and returns ST. Every later input_read returns ST again:
 * a damaged decoder cannot resume and a failed descriptor rarely recovers. */
__attribute__((format(printf, 3, 4))) static enum th_status
input_fail(struct th_input *in, enum th_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->err, sizeof in->err, fmt, ap);
	va_end(ap);
	in->failed = st;
	return st;
}

/* Reads up to CAP bytes from the descriptor, retrying EINTR. Returns TH_OK
 * with *GOT > 0, TH_EOF with *GOT == 0, or TH_ERR_IO (recorded in IN). */
static enum th_status input_read_fd(struct th_input *in, void *buf, size_t cap,
				    size_t *got)
{
	ssize_t n;

	if (in->follow && !in->regular) {
		struct pollfd pfd = {.fd = in->fd, .events = POLLIN};
		if (poll(&pfd, 1, 0) == 0) {
			*got = 0;
			return TH_EOF; /* nothing yet: not the end */
		}
	}
	do
		n = read(in->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*got = 0;
		return input_fail(in, TH_ERR_IO, "%s", strerror(errno));
	}
	*got = (size_t)n;
	if (n == 0 && in->follow && !in->regular)
		in->ended = true;
	return n == 0 ? TH_EOF : TH_OK;
}

/* Returns true and sets *OUT when the N bytes at P settle the format: they
 * start with a magic, or no magic can start with them. Returns false while
 * they are a proper prefix of some magic, so more bytes must be read. */
static bool input_magic_settled(const unsigned char *p, size_t n,
				enum th_compression *out)
{
	bool maybe = false;

	for (size_t i = 0; i < sizeof input_magics / sizeof input_magics[0];
	     i++) {
		const struct input_magic *m = &input_magics[i];
		size_t k = n < m->n ? n : m->n;

		if (memcmp(p, m->bytes, k) != 0)
			continue;
		if (n >= m->n) {
			*out = m->compression;
			return true;
		}
		maybe = true;
	}
	*out = TH_COMPRESSION_NONE;
	return !maybe;
}

enum th_compression input_sniff(const unsigned char *p, size_t n)
{
	enum th_compression c;
	return input_magic_settled(p, n, &c) ? c : TH_COMPRESSION_NONE;
}

/* Reads the first bytes into in->peek, only as many as the magic test needs:
 * a plain "a\n" arriving alone on a pipe is decided at once rather than
 * waiting for a fourth byte. Sets in->compression; a read error is recorded
 * in IN (and returned by the first input_read). */
static void input_peek(struct th_input *in)
{
	enum th_compression c = TH_COMPRESSION_NONE;

	while (!input_magic_settled(in->peek, in->peek_len, &c)) {
		size_t got;
		enum th_status st =
		    input_read_fd(in, in->peek + in->peek_len,
				  INPUT_MAGIC_MAX - in->peek_len, &got);
		if (st != TH_OK)
			break; /* too short for a magic: plain, or failed */
		in->peek_len += got;
	}
	in->compression = in->failed == TH_OK ? c : TH_COMPRESSION_NONE;
}

/* Starts the decoder for a compressed input, priming it with the peeked
 * bytes. Aborts when zlib or libzstd cannot get memory. */
static void input_start_decoder(struct th_input *in)
{
	in->raw = input_xcalloc(INPUT_RAW_SIZE);
	memcpy(in->raw, in->peek, in->peek_len);
	if (in->compression == TH_COMPRESSION_GZIP) {
		if (inflateInit2(&in->z, INPUT_GZIP_WBITS) != Z_OK)
			abort();
		in->z.next_in = in->raw;
		in->z.avail_in = (uInt)in->peek_len;
	} else {
		in->zstd = ZSTD_createDStream();
		if (in->zstd == NULL)
			abort();
		in->zin = (ZSTD_inBuffer){in->raw, in->peek_len, 0};
	}
}

/* Refuses a directory before any read, and advises the kernel that a
 * regular file is read once, front to back. Failures are recorded in IN. */
static void input_check_fd(struct th_input *in)
{
	struct stat st;

	if (fstat(in->fd, &st) != 0) {
		input_fail(in, TH_ERR_IO, "%s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		input_fail(in, TH_ERR_IO, "%s", strerror(EISDIR));
		return;
	}
	in->regular = S_ISREG(st.st_mode);
	if (S_ISREG(st.st_mode))
		(void)posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

/* Returns a new input on FD. Never fails: a problem found while peeking is
 * kept and returned by the first input_read. Aborts on out-of-memory. */
struct th_input *input_from_fd(int fd, const char *name)
{
	struct th_input *in = input_xcalloc(sizeof *in);

	in->fd = fd;
	in->name = input_xstrdup(name);
	input_check_fd(in);
	if (in->failed == TH_OK)
		input_peek(in);
	if (in->compression != TH_COMPRESSION_NONE)
		input_start_decoder(in);
	return in;
}

/* Returns a new input, or NULL with the reason in ERR (nothing left open). */
/* A plain regular file may be read through memory maps (see lines.c):
 * all of it, from its start, as it is now long. */
static void input_note_mappable(struct th_input *in)
{
	struct stat st;
	if (in->failed != TH_OK || in->compression != TH_COMPRESSION_NONE ||
	    fstat(in->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	in->mappable = true;
	in->map_start = 0;
	in->map_end = (uint64_t)st.st_size;
}

struct th_input *input_open(const char *path, char *err, size_t err_size)
{
	struct th_input *in;

	if (strcmp(path, "-") == 0) {
		in = input_from_fd(STDIN_FILENO, "-");
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0) {
			if (err_size > 0)
				snprintf(err, err_size, "%s", strerror(errno));
			return NULL;
		}
		in = input_from_fd(fd, path);
		in->owns_fd = true;
		input_note_mappable(in);
	}
	if (in->failed != TH_OK) {
		if (err_size > 0)
			snprintf(err, err_size, "%s", in->err);
		input_close(in);
		return NULL;
	}
	return in;
}

/* Replays the peeked bytes, then reads the descriptor directly into BUF.
 * TH_EOF is not remembered: a file that grows can be read again. */
static enum th_status input_read_plain(struct th_input *in, char *buf,
				       size_t cap, size_t *got)
{
	if (in->ranged) {
		if (in->left == 0)
			return TH_EOF;
		if (cap > in->left)
			cap = (size_t)in->left;
		enum th_status st = input_read_fd(in, buf, cap, got);
		in->left -= *got;
		return st;
	}
	size_t left = in->peek_len - in->peek_pos;

	if (left == 0)
		return input_read_fd(in, buf, cap, got);
	*got = left < cap ? left : cap;
	memcpy(buf, in->peek + in->peek_pos, *got);
	in->peek_pos += *got;
	return TH_OK;
}

/* Reads the next compressed chunk into raw. Returns TH_OK with *GOT > 0,
 * TH_EOF, or TH_ERR_IO (recorded). */
static enum th_status input_fill_raw(struct th_input *in, size_t *got)
{
	return input_read_fd(in, in->raw, INPUT_RAW_SIZE, got);
}

/* Runs inflate once on what is buffered. Returns TH_OK (an ended member
 * resets the decoder for the next one) or TH_ERR_CORRUPT (recorded). */
static enum th_status input_inflate_step(struct th_input *in)
{
	z_stream *z = &in->z;
	int ret;

	if (z->avail_in > 0)
		in->in_member = true;
	ret = inflate(z, Z_NO_FLUSH);
	in->out_full = z->avail_out == 0;
	switch (ret) {
	case Z_OK: return TH_OK;
	case Z_BUF_ERROR: /* no progress possible: wants more input */
		in->out_full = false;
		return TH_OK;
	case Z_STREAM_END: /* another member may follow */
		in->in_member = false;
		in->out_full = false;
		if (inflateReset(z) != Z_OK)
			abort();
		return TH_OK;
	case Z_NEED_DICT:
		return input_fail(in, TH_ERR_CORRUPT,
				  "gzip data is corrupt (needs a dictionary)");
	case Z_DATA_ERROR:
		return input_fail(in, TH_ERR_CORRUPT,
				  "gzip data is corrupt (%s)",
				  z->msg != NULL ? z->msg : "bad data");
	default: /* Z_MEM_ERROR, or Z_STREAM_ERROR: a broken invariant */
		abort();
	}
}

/* Inflates into BUF until at least one byte is out or the input ends. The
 * decoder is asked again before reading more while it may hold output, so
 * the end of the file is judged only once everything has been flushed. */
static enum th_status input_read_gzip(struct th_input *in, char *buf,
				      size_t cap, size_t *got)
{
	z_stream *z = &in->z;
	uInt room = cap < UINT_MAX ? (uInt)cap : UINT_MAX;
	enum th_status st;

	z->next_out = (Bytef *)buf;
	z->avail_out = room;
	while (z->avail_out == room) {
		if (z->avail_in == 0 && !in->out_full) {
			size_t n;

			st = input_fill_raw(in, &n);
			if (st == TH_EOF && in->in_member)
				st = input_fail(in, TH_ERR_CORRUPT,
						"gzip data is truncated");
			if (st != TH_OK)
				return st;
			z->next_in = in->raw;
			z->avail_in = (uInt)n;
		}
		st = input_inflate_step(in);
		if (st != TH_OK)
			return st;
	}
	*got = room - z->avail_out;
	return TH_OK;
}

/* Like input_read_gzip, for zstd: ZSTD_decompressStream returns 0 exactly
 * at the end of a frame, so a nonzero result at end of input is a
 * truncated frame. Concatenated frames decode one after the other. */
static enum th_status input_read_zstd(struct th_input *in, char *buf,
				      size_t cap, size_t *got)
{
	ZSTD_outBuffer out = {buf, cap, 0};

	while (out.pos == 0) {
		if (in->zin.pos == in->zin.size && !in->out_full) {
			size_t n;
			enum th_status st = input_fill_raw(in, &n);

			if (st == TH_EOF && in->in_member)
				st = input_fail(in, TH_ERR_CORRUPT,
						"zstd data is truncated");
			if (st != TH_OK)
				return st;
			in->zin = (ZSTD_inBuffer){in->raw, n, 0};
		}
		size_t r = ZSTD_decompressStream(in->zstd, &out, &in->zin);

		if (ZSTD_isError(r))
			return input_fail(in, TH_ERR_CORRUPT,
					  "zstd data is corrupt (%s)",
					  ZSTD_getErrorName(r));
		in->in_member = r != 0;
		/* at a frame's end nothing is held back; asking again would
		 * start the next frame and make the end look truncated */
		in->out_full = in->in_member && out.pos == out.size;
	}
	*got = out.pos;
	return TH_OK;
}

/* See input.h. CAP must be positive. */
struct th_input *input_open_range(const char *path, uint64_t start,
				  uint64_t end, char *err, size_t err_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || lseek(fd, (off_t)start, SEEK_SET) < 0) {
		if (err_size > 0)
			snprintf(err, err_size, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct th_input *in = input_xcalloc(sizeof *in);
	in->fd = fd;
	in->owns_fd = true;
	in->name = input_xstrdup(path);
	in->ranged = true;
	in->left = end - start;
	in->mappable = true;
	in->map_start = start;
	in->map_end = end;
	return in;
}

enum th_status input_read(struct th_input *in, char *buf, size_t cap,
			  size_t *got)
{
	*got = 0;
	if (in->failed != TH_OK)
		return in->failed;
	if (cap == 0)
		abort(); /* a caller bug: TH_OK must mean progress */
	switch (in->compression) {
	case TH_COMPRESSION_GZIP: return input_read_gzip(in, buf, cap, got);
	case TH_COMPRESSION_ZSTD: return input_read_zstd(in, buf, cap, got);
	case TH_COMPRESSION_NONE: break;
	}
	return input_read_plain(in, buf, cap, got);
}

enum th_status input_skip(struct th_input *in, uint64_t n)
{
	char buf[16384];
	while (n > 0) {
		size_t got;
		enum th_status st = input_read(
		    in, buf, n < sizeof buf ? (size_t)n : sizeof buf, &got);
		if (st != TH_OK)
			return st;
		n -= got;
	}
	return TH_OK;
}

const char *input_name(const struct th_input *in)
{
	return in->name;
}

enum th_compression input_compression(const struct th_input *in)
{
	return in->compression;
}

/* Returns "" while no error has happened. */
const char *input_error(const struct th_input *in)
{
	return in->err;
}

bool input_mappable(const struct th_input *in, int *fd, uint64_t *start,
		    uint64_t *end)
{
	if (!in->mappable)
		return false;
	*fd = in->fd;
	*start = in->map_start;
	*end = in->map_end;
	return true;
}

void input_no_map(struct th_input *in)
{
	in->mappable = false;
}

void input_follow(struct th_input *in)
{
	in->follow = true;
	in->mappable = false;
}

bool input_ended(const struct th_input *in)
{
	return in->ended;
}

bool input_file_id(const struct th_input *in, struct th_input_file *out)
{
	struct stat st;
	off_t pos;
	if (!in->regular || in->ranged || fstat(in->fd, &st) != 0 ||
	    (pos = lseek(in->fd, 0, SEEK_CUR)) < 0)
		return false;
	*out = (struct th_input_file){.dev = (uint64_t)st.st_dev,
				      .ino = (uint64_t)st.st_ino,
				      .size = (uint64_t)st.st_size,
				      .pos = (uint64_t)pos};
	return true;
}

/* Frees IN and its decoder; closes the descriptor only if input_open opened
 * it. Accepts NULL. */
void input_close(struct th_input *in)
{
	if (in == NULL)
		return;
	if (in->compression == TH_COMPRESSION_GZIP)
		inflateEnd(&in->z);
	ZSTD_freeDStream(in->zstd);
	if (in->owns_fd)
		close(in->fd);
	free(in->raw);
	free(in->name);
	free(in);
}
