/* input.h - open a file or stdin and read its bytes, decompressing gzip,
 * zstd, xz and bzip2 transparently (recognised by their magic bytes, not by
 * name; codec.h knows them).
 *
 * Recognition happens when the input is opened: the first bytes are read
 * (no more than the magic test needs, at most TH_CODEC_MAGIC_MAX) and
 * replayed, never sought back to, so it works on pipes. On a pipe, opening
 * waits for the first byte. A compression that is recognised but not read
 * (lz4, lzip, compress) is the input's error, never text to scan.
 *
 * A compressed input is decoded ahead of its reader by a thread of its
 * own (inflow.h), started at the first read, stopped and joined by
 * input_close; after input_follow or input_no_ahead it is decoded by the
 * reads themselves.
 *
 * Owns:        the file descriptor (except stdin's, which it never closes),
 *              the decoder (codec.h) or its thread, and its own small
 *              staging buffer.
 * Caller owns: the buffers passed to input_read.
 * Errors:      input_open and input_read return a status and fill a short
 *              message (input_error) ; they never print.
 */
#ifndef TH_INPUT_H
#define TH_INPUT_H

#include "codec.h"
#include "error.h"
#include "th.h"

struct th_input;

/* The compression whose magic bytes P (N bytes, the start of a file,
 * TH_CODEC_MAGIC_MAX of them to tell every one) begin with;
 * TH_COMPRESSION_NONE for plain text or too few bytes to tell. The scanner
 * asks it before cutting a file into ranges. */
enum th_compression input_sniff(const unsigned char *p, size_t n);

/* Opens PATH ("-" is stdin). On failure returns NULL, leaves nothing open
 * and fills ERR: the file PATH, a message such as "No such file or
 * directory", "Is a directory", "lz4 compressed data cannot be read ...".
 * A FIFO is read as cat reads one: opening waits for its writer (and its
 * first byte, like any pipe); one nobody writes to waits for ever.
 * Aborts on out-of-memory. */
struct th_input *input_open(const char *path, struct th_error *err);

/* What a named input is, for --follow and --state: they read regular
 * files, and pipes handed over, but nothing that could make them wait
 * for ever or read without end. */
enum th_input_kind {
	TH_INPUT_FILE,	/* a regular file */
	TH_INPUT_PIPE,	/* a pipe a process made: stdin's, `<(...)` */
	TH_INPUT_OTHER, /* a FIFO in a directory (anyone who can write
			   there may have made it), a device, a directory,
			   a socket */
};

/* Opens PATH to read without ever waiting: a FIFO is opened with
 * O_NONBLOCK only to tell it from a pipe handed over, and a device is
 * not opened at all (opening some has effects). Returns a descriptor
 * whose reads block, *KIND TH_INPUT_FILE or TH_INPUT_PIPE; or -1, with
 * *KIND TH_INPUT_OTHER and *WHAT naming it ("a FIFO", "a character
 * device") when it is something else, and errno set otherwise. */
int input_open_named(const char *path, enum th_input_kind *kind,
		     const char **what);

/* input_open for --follow and --state: "-" is stdin; a path is opened by
 * input_open_named. Something else there is refused: NULL, *NOT_FILE
 * set and "not a regular file (a FIFO)" in ERR. */
struct th_input *input_open_file(const char *path, bool *not_file,
				 struct th_error *err);

/* Opens an already open descriptor (not closed by input_close); NAME is what
 * reports call it (copied). Used for stdin and by tests (pipes, memfds).
 * Never returns NULL: a failure while peeking is returned by the first
 * input_read. Aborts on out-of-memory. */
struct th_input *input_from_fd(int fd, const char *name);

/* Opens bytes START..END of the plain file PATH, read as they are (no
 * decompression): one range of a large file that several threads scan.
 * Anything but a regular file there now is refused ("not a regular file
 * (a FIFO)" in ERR), never waited on. */
struct th_input *input_open_range(const char *path, uint64_t start,
				  uint64_t end, struct th_error *err);

/* Reads up to CAP (> 0) decompressed bytes into BUF and stores their number
 * in *GOT. Returns TH_OK with *GOT > 0, TH_EOF with *GOT == 0 at the end, or
 * TH_ERR_IO / TH_ERR_CORRUPT (see input_error) with *GOT == 0. Retries EINTR.
 * A compressed stream of several concatenated members (gzip, bzip2),
 * frames (zstd) or streams (xz) is read to its end; one cut short is
 * TH_ERR_CORRUPT ("gzip data is truncated"), and so is every read of an
 * input in a compression that is not read (lz4). An error is
 * final: later reads return it again. After TH_EOF a plain input may be
 * read again (a growing file gives its new bytes). */
enum th_status input_read(struct th_input *in, char *buf, size_t cap,
			  size_t *got);

/* Reads and drops the first N decompressed bytes (--state: the part of a
 * compressed rotated file read by an earlier run). Returns TH_OK, TH_EOF
 * when the input is shorter, or a read error. */
enum th_status input_skip(struct th_input *in, uint64_t n);

/* True for a plain regular file opened by path (or a range of one): its
 * bytes START..END may be mapped from descriptor *FD instead of read (the
 * input then reads nothing). input_no_map turns this off. */
bool input_mappable(const struct th_input *in, int *fd, uint64_t *start,
		    uint64_t *end);

/* IN is read, never mapped (tests and benchmarks of the read path:
 * the default: cli.c maps only with TRACEHOUND_MMAP). Call before the
 * first read. */
void input_no_map(struct th_input *in);

/* --follow, for a compressed IN: it is decoded by its reads, not ahead
 * in a thread, which hands lines over only by the 256 KiB (inflow.h): a
 * line on a slow pipe must not wait for the next ones. Call before the
 * first read. */
void input_no_ahead(struct th_input *in);

/* --follow: IN is read as it grows. It is never mapped, and on a pipe or
 * terminal a read that would block returns TH_EOF at once instead
 * (input_ended tells the real end). Call before the first read. */
void input_follow(struct th_input *in);

/* True once a followed pipe or terminal reached its real end. */
bool input_ended(const struct th_input *in);

/* What the open descriptor of a regular file (not a range) is now: its
 * file's device, inode and size, and how far it was read (pos > size: the
 * file was truncated since). */
struct th_input_file {
	uint64_t dev, ino, size, pos;
};

/* Fills *OUT for a regular file; false for anything else. */
bool input_file_id(const struct th_input *in, struct th_input_file *out);

/* The name reports use: the path, or "-" for stdin. Valid until close. */
const char *input_name(const struct th_input *in);

/* Known as soon as the input is open. */
enum th_compression input_compression(const struct th_input *in);

/* The message for the TH_ERR_* from input_read ("" before any), e.g.
 * "Input/output error" or "gzip data is corrupt (invalid block type)".
 * Valid until close. */
const char *input_error(const struct th_input *in);

/* Frees IN; closes its descriptor only if input_open opened it (never
 * stdin). Accepts NULL. */
void input_close(struct th_input *in);

#endif
