/* input.c - open a file or stdin and read its bytes, decompressing what
 * codec.c recognises by its magic bytes. See input.h for the contract.
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
#include <sys/vfs.h>
#include <unistd.h>

#include "diag.h"
#include "inflow.h"

/* Compressed bytes read from the descriptor at a time. It bounds only the
 * read() size of compressed inputs, not the length of any line. */
#define INPUT_RAW_SIZE (64 * 1024)

/* statfs(2)'s f_type of the kernel's pipe file system (linux/magic.h):
 * where the pipes a process makes live, never a FIFO in a directory. */
#define INPUT_PIPEFS_MAGIC 0x50495045UL

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
	unsigned char peek[TH_CODEC_MAGIC_MAX];
	size_t peek_len;
	size_t peek_pos;

	unsigned char *raw;	 /* compressed bytes, INPUT_RAW_SIZE; NULL if
				  * plain */
	size_t raw_len, raw_pos; /* raw[raw_pos..raw_len) is not decoded */
	struct th_codec *codec;	 /* NULL if plain, or once flow has it */
	struct th_inflow *flow;	 /* the decoder's thread, once started */
	bool flow_tried;	 /* at the first read of a compressed input */
	bool no_ahead;		 /* input_no_ahead: never a thread */
};

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

enum th_compression input_sniff(const unsigned char *p, size_t n)
{
	enum th_compression c;
	return codec_sniff(p, n, &c) ? c : TH_COMPRESSION_NONE;
}

/* Reads the first bytes into in->peek, only as many as the magic test needs:
 * a plain "a\n" arriving alone on a pipe is decided at once rather than
 * waiting for a fourth byte. Sets in->compression; a read error is recorded
 * in IN (and returned by the first input_read). */
static void input_peek(struct th_input *in)
{
	enum th_compression c = TH_COMPRESSION_NONE;

	while (!codec_sniff(in->peek, in->peek_len, &c)) {
		size_t got;
		enum th_status st =
		    input_read_fd(in, in->peek + in->peek_len,
				  TH_CODEC_MAGIC_MAX - in->peek_len, &got);
		if (st != TH_OK)
			break; /* too short for a magic: plain, or failed */
		in->peek_len += got;
	}
	in->compression = in->failed == TH_OK ? c : TH_COMPRESSION_NONE;
}

/* Starts the decoder for a compressed input, priming it with the peeked
 * bytes; a compression no decoder reads is recorded as the input's error,
 * so that it is never scanned as text. Aborts on out-of-memory. */
static void input_start_decoder(struct th_input *in)
{
	if (!codec_readable(in->compression)) {
		input_fail(in, TH_ERR_CORRUPT,
			   "%s compressed data cannot be read (only gzip, "
			   "zstd, xz and bzip2 can)",
			   codec_name(in->compression));
		return;
	}
	in->raw = xcalloc(1, INPUT_RAW_SIZE);
	memcpy(in->raw, in->peek, in->peek_len);
	in->raw_len = in->peek_len;
	in->codec = codec_new(in->compression);
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
	struct th_input *in = xcalloc(1, sizeof *in);

	in->fd = fd;
	in->name = xstrdup(name);
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

/* IN, or NULL with the reason in ERR (IN closed) when opening it failed:
 * the end of every way of opening an input. */
static struct th_input *input_opened(struct th_input *in, struct th_error *err)
{
	if (in->failed == TH_OK)
		return in;
	th_error_set(err, in->name, 0, 0, "%s", in->err);
	input_close(in);
	return NULL;
}

/* Stdin as an input (never closed); NULL with the reason in ERR when
 * peeking failed. */
static struct th_input *input_adopt_stdin(struct th_error *err)
{
	return input_opened(input_from_fd(STDIN_FILENO, "-"), err);
}

/* What the descriptor of a named input is; *WHAT names anything but a
 * regular file for a message. A pipe a process made (stdin's, a shell's
 * `<(...)`) lives in the kernel's pipe file system; a FIFO lives in a
 * directory, where anyone who can write there may have made it. */
static enum th_input_kind input_kind_of(int fd, const struct stat *st,
					const char **what)
{
	struct statfs fs;
	*what = S_ISFIFO(st->st_mode)	? "a FIFO"
		: S_ISCHR(st->st_mode)	? "a character device"
		: S_ISBLK(st->st_mode)	? "a block device"
		: S_ISDIR(st->st_mode)	? "a directory"
		: S_ISSOCK(st->st_mode) ? "a socket"
					: "not a file";
	if (S_ISREG(st->st_mode))
		return TH_INPUT_FILE;
	if (fd >= 0 && S_ISFIFO(st->st_mode) && fstatfs(fd, &fs) == 0 &&
	    (unsigned long)fs.f_type == INPUT_PIPEFS_MAGIC) {
		*what = "a pipe";
		return TH_INPUT_PIPE;
	}
	return TH_INPUT_OTHER;
}

/* Makes reads of FD block again (the open did not). */
static void input_set_blocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0 && (flags & O_NONBLOCK) != 0)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

int input_open_named(const char *path, enum th_input_kind *kind,
		     const char **what)
{
	struct stat st;
	*kind = TH_INPUT_FILE;
	*what = "";
	/* a device is not even opened: opening some has effects */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISFIFO(st.st_mode)) {
		*kind = input_kind_of(-1, &st, what);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*kind = input_kind_of(fd, &st, what);
	if (*kind == TH_INPUT_OTHER) {
		close(fd);
		return -1;
	}
	input_set_blocking(fd);
	return fd;
}

/* Waits until FIFO FD has a byte to read or a writer that came and
 * went, as cat's blocking open does; then reads block. */
static void input_wait_writer(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		continue;
	input_set_blocking(fd);
}

/* Wraps descriptor FD of PATH (opened by path: closed by input_close);
 * NULL with the reason in ERR when peeking failed. */
static struct th_input *input_adopt(int fd, const char *path,
				    struct th_error *err)
{
	struct th_input *in = input_from_fd(fd, path);
	in->owns_fd = true;
	input_note_mappable(in);
	return input_opened(in, err);
}

struct th_input *input_open(const char *path, struct th_error *err)
{
	if (strcmp(path, "-") == 0)
		return input_adopt_stdin(err);
	/* O_NONBLOCK: a FIFO's open would wait for a writer, where poll
	 * can (the same wait, said once) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		th_error_set(err, path, 0, 0, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (S_ISFIFO(st.st_mode))
		input_wait_writer(fd);
	else
		input_set_blocking(fd);
	return input_adopt(fd, path, err);
}

/* Why named PATH was not opened: something else than a file there
 * (KIND TH_INPUT_OTHER, WHAT naming it), or errno's reason. */
static void input_refused(const char *path, enum th_input_kind kind,
			  const char *what, struct th_error *err)
{
	if (kind == TH_INPUT_OTHER)
		th_error_set(err, path, 0, 0, "not a regular file (%s)", what);
	else
		th_error_set(err, path, 0, 0, "%s", strerror(errno));
}

struct th_input *input_open_file(const char *path, bool *not_file,
				 struct th_error *err)
{
	*not_file = false;
	if (strcmp(path, "-") == 0)
		return input_adopt_stdin(err);
	enum th_input_kind kind;
	const char *what;
	int fd = input_open_named(path, &kind, &what);
	if (fd < 0) {
		*not_file = kind == TH_INPUT_OTHER;
		input_refused(path, kind, what, err);
		return NULL;
	}
	return input_adopt(fd, path, err);
}

/* Bytes asked of read() at a time. The caller's window is larger (1 MiB):
 * a quarter of it a call keeps the bytes the kernel copies in the
 * processor's cache until they are scanned, which costs a quarter less
 * system time than filling the whole window at once (docs/performance.md,
 * "Reading"). */
#define INPUT_READ_STEP ((size_t)256 << 10)

/* Replays the peeked bytes, then reads the descriptor directly into BUF,
 * at most INPUT_READ_STEP bytes a call.
 * TH_EOF is not remembered: a file that grows can be read again. */
static enum th_status input_read_plain(struct th_input *in, char *buf,
				       size_t cap, size_t *got)
{
	if (cap > INPUT_READ_STEP)
		cap = INPUT_READ_STEP;
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

/* Reads the next compressed chunk into raw, all of it decoded before.
 * Returns TH_OK, TH_EOF when the data ended cleanly, TH_ERR_IO or
 * TH_ERR_CORRUPT when it stops inside a member (recorded). */
static enum th_status input_fill_raw(struct th_input *in)
{
	size_t n;
	enum th_status st = input_read_fd(in, in->raw, INPUT_RAW_SIZE, &n);

	in->raw_len = n;
	in->raw_pos = 0;
	if (st == TH_EOF && codec_finish(in->codec) != TH_OK)
		return input_fail(in, TH_ERR_CORRUPT, "%s",
				  codec_error(in->codec));
	return st;
}

/* Decodes into BUF until at least one byte is out or the input ends. The
 * decoder is asked again before reading more while it may hold output, so
 * the end of the file is judged only once everything has been flushed. */
static enum th_status input_read_compressed(struct th_input *in, char *buf,
					    size_t cap, size_t *got)
{
	struct th_codec_io io = {.out = (unsigned char *)buf, .out_cap = cap};

	while (io.out_pos == 0) {
		if (in->raw_pos == in->raw_len && !codec_pending(in->codec)) {
			enum th_status st = input_fill_raw(in);
			if (st != TH_OK)
				return st;
		}
		io.in = in->raw;
		io.in_len = in->raw_len;
		io.in_pos = in->raw_pos;
		enum th_status st = codec_step(in->codec, &io);
		in->raw_pos = io.in_pos;
		if (st != TH_OK)
			return input_fail(in, st, "%s", codec_error(in->codec));
	}
	*got = io.out_pos;
	return TH_OK;
}

/* Hands the decoder to a thread of its own at the first read of a
 * compressed input, so that decoding overlaps the scan (inflow.h). Not
 * for --follow (input_no_ahead, input_follow), nor when no thread can be
 * started: the input is then decoded here, as it is read. */
static void input_start_flow(struct th_input *in)
{
	in->flow_tried = true;
	if (in->follow || in->no_ahead)
		return;
	in->flow = inflow_start(in->fd, in->codec, in->raw + in->raw_pos,
				in->raw_len - in->raw_pos);
	if (in->flow == NULL)
		return;
	in->codec = NULL;
	free(in->raw); /* the thread has its own */
	in->raw = NULL;
}

/* Reads what the decoder's thread has ready; its error is the input's. */
static enum th_status input_read_flow(struct th_input *in, char *buf,
				      size_t cap, size_t *got)
{
	enum th_status st = inflow_read(in->flow, buf, cap, got);
	if (st == TH_OK || st == TH_EOF)
		return st;
	return input_fail(in, st, "%s", inflow_error(in->flow));
}

/* See input.h. CAP must be positive. */
struct th_input *input_open_range(const char *path, uint64_t start,
				  uint64_t end, struct th_error *err)
{
	enum th_input_kind kind;
	const char *what;
	int fd = input_open_named(path, &kind, &what);
	if (fd >= 0 && kind != TH_INPUT_FILE) {
		close(fd); /* a pipe has no bytes START..END */
		fd = -1;
		kind = TH_INPUT_OTHER;
	}
	if (fd < 0 || lseek(fd, (off_t)start, SEEK_SET) < 0) {
		input_refused(path, kind, what, err);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct th_input *in = xcalloc(1, sizeof *in);
	in->fd = fd;
	in->owns_fd = true;
	in->name = xstrdup(path);
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
	if (in->codec != NULL && !in->flow_tried)
		input_start_flow(in);
	if (in->flow != NULL)
		return input_read_flow(in, buf, cap, got);
	if (in->codec != NULL)
		return input_read_compressed(in, buf, cap, got);
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

void input_no_ahead(struct th_input *in)
{
	in->no_ahead = true;
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
	inflow_free(in->flow); /* stops its thread before the fd closes */
	codec_free(in->codec);
	if (in->owns_fd)
		close(in->fd);
	free(in->raw);
	free(in->name);
	free(in);
}
