/* test_input.c - opening inputs and reading them plain, gzip, zstd, xz and
 * bzip2, whole and damaged, from files, memfds and pipes; compressions that
 * are recognised but not read.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "bytes.h"
#include "input.h"

/* The compressors' default levels: what files on disk mostly have. */
enum {
	GZIP_LEVEL = Z_DEFAULT_COMPRESSION,
	ZSTD_LEVEL = 3,
	XZ_LEVEL = 6,
	BZIP2_LEVEL = 9,
};

/* The compressed forms of data made on the spot: they free DATA. */
static struct bytes gzip_take(struct bytes data)
{
	struct bytes out = gzip_of(data, GZIP_LEVEL);

	free(data.p);
	return out;
}

static struct bytes zstd_take(struct bytes data)
{
	struct bytes out = zstd_of(data, ZSTD_LEVEL);

	free(data.p);
	return out;
}

static struct bytes xz_take(struct bytes data)
{
	struct bytes out = xz_of(data, XZ_LEVEL);

	free(data.p);
	return out;
}

static struct bytes bzip2_take(struct bytes data)
{
	struct bytes out = bzip2_of(data, BZIP2_LEVEL);

	free(data.p);
	return out;
}

/* Reads IN to its end or first error CAP bytes at a time. Returns the
 * last status; *OUT gets every byte read. */
static enum th_status read_all(struct th_input *in, size_t cap,
			       struct bytes *out)
{
	char *buf = malloc(cap);
	enum th_status st;
	size_t got;

	*out = bytes_of("", 0);
	while ((st = input_read(in, buf, cap, &got)) == TH_OK) {
		cr_assert(got > 0 && got <= cap, "TH_OK with %zu bytes", got);
		bytes_append_raw(out, buf, got);
	}
	cr_assert_eq(got, 0);
	free(buf);
	return st;
}

static const size_t read_sizes[] = {1, 3, 4096, 1 << 20};

/* Reads FILE (what is on disk) at every read size through a memfd and
 * checks the bytes WANT come out with compression C. */
static void expect_bytes(struct bytes file, struct bytes want,
			 enum th_compression c)
{
	for (size_t i = 0; i < sizeof read_sizes / sizeof read_sizes[0]; i++) {
		int fd = memfd_of(file.p, file.n, "test_input");
		struct th_input *in = input_from_fd(fd, "memfd");
		struct bytes got;

		cr_assert_eq(input_compression(in), c, "%zu-byte file", file.n);
		cr_assert_eq(read_all(in, read_sizes[i], &got), TH_EOF,
			     "%zu-byte file, reads of %zu: %s", file.n,
			     read_sizes[i], input_error(in));
		cr_assert(
		    got.n == want.n && memcmp(got.p, want.p, want.n) == 0,
		    "%zu-byte file, reads of %zu: got %zu bytes, want %zu",
		    file.n, read_sizes[i], got.n, want.n);
		free(got.p);
		input_close(in);
		close(fd);
	}
}

/* Reads FILE and checks it fails as corrupt with a message starting with
 * WANT, and that later reads repeat the error. */
static void expect_corrupt(struct bytes file, const char *want)
{
	for (size_t i = 0; i < sizeof read_sizes / sizeof read_sizes[0]; i++) {
		int fd = memfd_of(file.p, file.n, "test_input");
		struct th_input *in = input_from_fd(fd, "memfd");
		struct bytes got;
		char buf[16];
		size_t n;

		cr_assert_eq(read_all(in, read_sizes[i], &got), TH_ERR_CORRUPT,
			     "%zu-byte file, reads of %zu", file.n,
			     read_sizes[i]);
		cr_assert(strncmp(input_error(in), want, strlen(want)) == 0,
			  "message \"%s\", want \"%s...\"", input_error(in),
			  want);
		cr_assert_eq(input_read(in, buf, sizeof buf, &n),
			     TH_ERR_CORRUPT);
		free(got.p);
		input_close(in);
		close(fd);
	}
}

Test(input, plain_bytes_are_read_unchanged)
{
	struct bytes text = BYTES_LIT("hello\nworld\n\0\x1f\x8b\n");

	expect_bytes(text, text, TH_COMPRESSION_NONE);
	free(text.p);
	text = text_of(300000, 7);
	expect_bytes(text, text, TH_COMPRESSION_NONE);
	free(text.p);
}

Test(input, empty_input_is_at_its_end_at_once)
{
	struct bytes empty = BYTES_LIT("");

	expect_bytes(empty, empty, TH_COMPRESSION_NONE);
	free(empty.p);
}

Test(input, input_shorter_than_a_magic_is_plain)
{
	const char *cases[] = {"\x1f", "\x28", "\x28\xb5",   "\x28\xb5\x2f",
			       "a",    "\xfd", "\xfd\x37zX", "BZ",
			       "BZh",  "LZI"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bytes b = bytes_of(cases[i], strlen(cases[i]));

		expect_bytes(b, b, TH_COMPRESSION_NONE);
		free(b.p);
	}
}

Test(input, gzip_is_recognised_by_content_and_decompressed)
{
	struct bytes text = BYTES_LIT("line one\nline two\n");
	struct bytes gz = gzip_of(text, GZIP_LEVEL);

	expect_bytes(gz, text, TH_COMPRESSION_GZIP);
	free(gz.p);
	free(text.p);
}

Test(input, gzip_of_several_members_is_read_to_the_end)
{
	struct bytes want = BYTES_LIT("first\nsecond\nthird\n");
	struct bytes gz = gzip_take(BYTES_LIT("first\n"));

	bytes_append(&gz, gzip_take(BYTES_LIT("")));
	bytes_append(&gz, gzip_take(BYTES_LIT("second\n")));
	bytes_append(&gz, gzip_take(BYTES_LIT("third\n")));
	expect_bytes(gz, want, TH_COMPRESSION_GZIP);
	free(gz.p);
	free(want.p);
}

Test(input, zstd_is_recognised_by_content_and_decompressed)
{
	struct bytes text = BYTES_LIT("line one\nline two\n");
	struct bytes zs = zstd_of(text, ZSTD_LEVEL);

	expect_bytes(zs, text, TH_COMPRESSION_ZSTD);
	free(zs.p);
	free(text.p);
}

Test(input, zstd_of_several_frames_is_read_to_the_end)
{
	struct bytes want = BYTES_LIT("first\nsecond\nthird\n");
	struct bytes zs = zstd_take(BYTES_LIT("first\n"));

	bytes_append(&zs, zstd_take(BYTES_LIT("")));
	bytes_append(&zs, zstd_take(BYTES_LIT("second\n")));
	bytes_append(&zs, zstd_take(BYTES_LIT("third\n")));
	expect_bytes(zs, want, TH_COMPRESSION_ZSTD);
	free(zs.p);
	free(want.p);
}

Test(input, xz_is_recognised_by_content_and_decompressed)
{
	struct bytes text = BYTES_LIT("line one\nline two\n");
	struct bytes xz = xz_of(text, XZ_LEVEL);

	expect_bytes(xz, text, TH_COMPRESSION_XZ);
	free(xz.p);
	free(text.p);
}

Test(input, xz_of_several_streams_and_padding_is_read_to_the_end)
{
	struct bytes want = BYTES_LIT("first\nsecond\nthird\n");
	struct bytes xz = xz_take(BYTES_LIT("first\n"));

	bytes_append(&xz, xz_take(BYTES_LIT("")));
	bytes_append(&xz, BYTES_LIT("\0\0\0\0\0\0\0\0")); /* stream padding */
	bytes_append(&xz, xz_take(BYTES_LIT("second\n")));
	bytes_append(&xz, xz_take(BYTES_LIT("third\n")));
	expect_bytes(xz, want, TH_COMPRESSION_XZ);
	free(xz.p);
	free(want.p);
}

Test(input, bzip2_is_recognised_by_content_and_decompressed)
{
	struct bytes text = BYTES_LIT("line one\nline two\n");
	struct bytes bz = bzip2_of(text, BZIP2_LEVEL);

	expect_bytes(bz, text, TH_COMPRESSION_BZIP2);
	free(bz.p);
	free(text.p);
}

Test(input, bzip2_of_several_streams_is_read_to_the_end)
{
	struct bytes want = BYTES_LIT("first\nsecond\nthird\n");
	struct bytes bz = bzip2_take(BYTES_LIT("first\n"));

	bytes_append(&bz, bzip2_take(BYTES_LIT("")));
	bytes_append(&bz, bzip2_take(BYTES_LIT("second\n")));
	bytes_append(&bz, bzip2_take(BYTES_LIT("third\n")));
	expect_bytes(bz, want, TH_COMPRESSION_BZIP2);
	free(bz.p);
	free(want.p);
}

Test(input, large_compressed_inputs_span_many_reads)
{
	struct bytes text = text_of(1 << 20, 7);
	struct bytes gz = gzip_of(text, GZIP_LEVEL),
		     zs = zstd_of(text, ZSTD_LEVEL);
	struct bytes xz = xz_of(text, XZ_LEVEL),
		     bz = bzip2_of(text, BZIP2_LEVEL);
	struct bytes twice = text_of(1 << 20, 7);

	expect_bytes(gz, text, TH_COMPRESSION_GZIP);
	expect_bytes(zs, text, TH_COMPRESSION_ZSTD);
	expect_bytes(xz, text, TH_COMPRESSION_XZ);
	expect_bytes(bz, text, TH_COMPRESSION_BZIP2);
	bytes_append(&twice, text_of(1 << 20, 7));
	bytes_append(&gz, gzip_of(text, GZIP_LEVEL));
	expect_bytes(gz, twice, TH_COMPRESSION_GZIP);
	bytes_append(&bz, bzip2_of(text, BZIP2_LEVEL));
	expect_bytes(bz, twice, TH_COMPRESSION_BZIP2);
	bytes_append(&xz, xz_of(text, XZ_LEVEL));
	expect_bytes(xz, twice, TH_COMPRESSION_XZ);
	free(gz.p);
	free(zs.p);
	free(xz.p);
	free(bz.p);
	free(twice.p);
	free(text.p);
}

Test(input, truncated_gzip_is_corrupt)
{
	struct bytes text = text_of(200000, 7);
	struct bytes gz = gzip_of(text, GZIP_LEVEL);
	size_t cuts[] = {3, 10, gz.n / 2, gz.n - 8, gz.n - 1};

	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		struct bytes cut = {gz.p, cuts[i], 0};

		expect_corrupt(cut, "gzip data is truncated");
	}
	/* a second member cut short */
	bytes_append(&gz, gzip_take(BYTES_LIT("more\n")));
	expect_corrupt((struct bytes){gz.p, gz.n - 3, 0},
		       "gzip data is truncated");
	free(gz.p);
	free(text.p);
}

Test(input, damaged_gzip_is_corrupt)
{
	struct bytes garbage =
	    BYTES_LIT("\x1f\x8bgarbage that is not deflate\n");
	struct bytes gz = gzip_take(BYTES_LIT("hello hello hello hello\n"));

	expect_corrupt(garbage, "gzip data is corrupt (");
	gz.p[gz.n - 6] ^= 0x55; /* the CRC-32 */
	expect_corrupt(gz, "gzip data is corrupt (incorrect data check)");
	gz.p[gz.n - 6] ^= 0x55;
	bytes_append(&gz, BYTES_LIT("trailing garbage"));
	expect_corrupt(gz, "gzip data is corrupt (");
	free(gz.p);
	free(garbage.p);
}

Test(input, truncated_zstd_is_corrupt)
{
	struct bytes text = text_of(200000, 7);
	struct bytes zs = zstd_of(text, ZSTD_LEVEL);
	size_t cuts[] = {4, 10, zs.n / 2, zs.n - 1};

	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		expect_corrupt((struct bytes){zs.p, cuts[i], 0},
			       "zstd data is truncated");
	free(zs.p);
	free(text.p);
}

Test(input, damaged_zstd_is_corrupt)
{
	struct bytes garbage =
	    BYTES_LIT("\x28\xb5\x2f\xfdgarbage that is not zstd\n");
	struct bytes zs = zstd_take(BYTES_LIT("hello\n"));

	expect_corrupt(garbage, "zstd data is corrupt (");
	bytes_append(&zs, BYTES_LIT("trailing garbage"));
	expect_corrupt(zs, "zstd data is corrupt (");
	free(zs.p);
	free(garbage.p);
}

Test(input, a_zstd_frame_asking_for_a_window_past_128_mib_is_refused)
{
	/* hand-made frames: no content size, so the window descriptor
	 * (exponent + 10 = the window's log) says what to allocate; then
	 * one raw block holding "hello\n" */
	struct bytes fits = BYTES_LIT("\x28\xb5\x2f\xfd\x00\x88"
				      "\x31\x00\x00hello\n");
	struct bytes huge = BYTES_LIT("\x28\xb5\x2f\xfd\x00\xa0"
				      "\x31\x00\x00hello\n");
	struct bytes text = BYTES_LIT("hello\n");

	expect_bytes(fits, text, TH_COMPRESSION_ZSTD); /* 2^27: 128 MiB */
	expect_corrupt(huge, "zstd data needs a window larger than 128 MiB");
	free(fits.p);
	free(huge.p);
	free(text.p);
}

/* Issue 13: liblzma had no memory limit, and a stream made with `xz
 * --lzma2=dict=1536MiB` (64 bytes) made it allocate 1.5 GiB. Both streams
 * below hold "hello\n"; they differ in the dictionary size in the block
 * header (and its CRC32). */
Test(input, an_xz_stream_needing_more_than_128_mib_is_refused)
{
	struct bytes fits = BYTES_LIT(/* xz --lzma2=dict=64MiB */
				      "\xfd\x37\x7a\x58\x5a\x00\x00\x04\xe6\xd6"
				      "\xb4\x46\x02\x00\x21\x01"
				      "\x1c\x00\x00\x00\x10\xcf\x58\xcc\x01\x00"
				      "\x05\x68\x65\x6c\x6c\x6f"
				      "\x0a\x00\x00\x00\xa5\x60\x97\xf1\x94\xf6"
				      "\xfd\xe0\x00\x01\x1e\x06"
				      "\xc1\x2f\xa4\x1d\x1f\xb6\xf3\x7d\x01\x00"
				      "\x00\x00\x00\x04\x59\x5a");
	struct bytes huge = BYTES_LIT(/* xz --lzma2=dict=1536MiB */
				      "\xfd\x37\x7a\x58\x5a\x00\x00\x04\xe6\xd6"
				      "\xb4\x46\x02\x00\x21\x01"
				      "\x25\x00\x00\x00\x3b\x78\x7b\x41\x01\x00"
				      "\x05\x68\x65\x6c\x6c\x6f"
				      "\x0a\x00\x00\x00\xa5\x60\x97\xf1\x94\xf6"
				      "\xfd\xe0\x00\x01\x1e\x06"
				      "\xc1\x2f\xa4\x1d\x1f\xb6\xf3\x7d\x01\x00"
				      "\x00\x00\x00\x04\x59\x5a");
	struct bytes text = BYTES_LIT("hello\n");

	expect_bytes(fits, text, TH_COMPRESSION_XZ);
	expect_corrupt(huge, "xz data needs more than 128 MiB of memory");
	free(fits.p);
	free(huge.p);
	free(text.p);
}

Test(input, truncated_xz_is_corrupt)
{
	struct bytes text = text_of(200000, 7);
	struct bytes xz = xz_of(text, XZ_LEVEL);
	size_t cuts[] = {6, 13, xz.n / 2, xz.n - 12, xz.n - 1};

	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		expect_corrupt((struct bytes){xz.p, cuts[i], 0},
			       "xz data is truncated");
	/* a second stream cut short */
	bytes_append(&xz, xz_take(BYTES_LIT("more\n")));
	expect_corrupt((struct bytes){xz.p, xz.n - 3, 0},
		       "xz data is truncated");
	free(xz.p);
	free(text.p);
}

Test(input, damaged_xz_is_corrupt)
{
	struct bytes garbage =
	    BYTES_LIT("\xfd"
		      "7zXZ\0garbage that is not an xz stream\n");
	struct bytes xz = xz_take(BYTES_LIT("hello hello hello hello\n"));

	expect_corrupt(garbage, "xz data is corrupt (");
	xz.p[xz.n / 2] ^= 0x55;
	expect_corrupt(xz, "xz data is corrupt (");
	free(xz.p);
	free(garbage.p);
}

Test(input, truncated_bzip2_is_corrupt)
{
	struct bytes text = text_of(200000, 7);
	struct bytes bz = bzip2_of(text, BZIP2_LEVEL);
	size_t cuts[] = {4, 10, bz.n / 2, bz.n - 1};

	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		expect_corrupt((struct bytes){bz.p, cuts[i], 0},
			       "bzip2 data is truncated");
	free(bz.p);
	free(text.p);
}

Test(input, damaged_bzip2_is_corrupt)
{
	struct bytes garbage = BYTES_LIT("BZh9garbage that is not bzip2\n");
	struct bytes bz = bzip2_take(BYTES_LIT("hello hello hello hello\n"));

	expect_corrupt(garbage, "bzip2 data is corrupt (");
	bz.p[bz.n / 2] ^= 0x55;
	expect_corrupt(bz, "bzip2 data is corrupt (");
	bz.p[bz.n / 2] ^= 0x55;
	bytes_append(&bz, BYTES_LIT("trailing garbage"));
	expect_corrupt(bz, "bzip2 data is corrupt (not a bzip2 stream)");
	free(bz.p);
	free(garbage.p);
}

Test(input, an_unread_compression_is_an_error_never_text)
{
	static const struct {
		const char *bytes;
		size_t n;
		const char *want;
	} cases[] = {
	    {"\x04\x22\x4d\x18\x64\x40\xa7", 7, "lz4 compressed data"},
	    {"\x02\x21\x4c\x18rest", 8, "lz4 compressed data"},
	    {"LZIP\x01\x0c", 6, "lzip compressed data"},
	    {"\x1f\x9d\x90line\n", 8, "compress (.Z) compressed data"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bytes b = bytes_of(cases[i].bytes, cases[i].n);

		expect_corrupt(b, cases[i].want);
		free(b.p);
	}
}

Test(input, an_unread_compression_fails_to_open_by_path)
{
	char path[] = "/tmp/test_input_XXXXXX";
	int fd = mkstemp(path);
	struct th_error err = {0};

	cr_assert(fd >= 0);
	cr_assert(write(fd, "\x04\x22\x4d\x18\x64\x40", 6) == 6);
	close(fd);
	struct th_input *in = input_open(path, &err);

	unlink(path);
	cr_assert_null(in);
	cr_assert_str_eq(err.message,
			 "lz4 compressed data cannot be read (only "
			 "gzip, zstd, xz and bzip2 can)");
}

Test(input, gzip_on_a_pipe_like_stdin_is_recognised)
{
	struct bytes text = BYTES_LIT("from a pipe\n");
	struct bytes gz = gzip_of(text, GZIP_LEVEL);
	int fd = pipe_of(gz.p, gz.n);
	struct th_input *in = input_from_fd(fd, "-");
	struct bytes got;

	cr_assert_eq(input_compression(in), TH_COMPRESSION_GZIP);
	cr_assert_eq(read_all(in, 5, &got), TH_EOF);
	cr_assert(got.n == text.n && memcmp(got.p, text.p, text.n) == 0);
	input_close(in);
	close(fd);
	free(got.p);
	free(gz.p);
	free(text.p);
}

Test(input, dash_reads_stdin_and_never_closes_it)
{
	struct bytes text = BYTES_LIT("on stdin\n");
	struct bytes zs = zstd_of(text, ZSTD_LEVEL);
	int fd = pipe_of(zs.p, zs.n);
	struct th_error err = {0};
	struct bytes got;

	cr_assert(dup2(fd, STDIN_FILENO) == STDIN_FILENO);
	close(fd);
	struct th_input *in = input_open("-", &err);

	cr_assert_not_null(in, "input_open(\"-\"): %s", err.message);
	cr_assert_str_eq(input_name(in), "-");
	cr_assert_eq(input_compression(in), TH_COMPRESSION_ZSTD);
	cr_assert_eq(read_all(in, 4096, &got), TH_EOF);
	cr_assert(got.n == text.n && memcmp(got.p, text.p, text.n) == 0);
	input_close(in);
	cr_assert(fcntl(STDIN_FILENO, F_GETFD) != -1, "stdin was closed");
	free(got.p);
	free(zs.p);
	free(text.p);
}

Test(input, magic_split_across_pipe_writes_is_still_recognised, .timeout = 10)
{
	struct bytes text = BYTES_LIT("slow writer\n");
	struct bytes gz = gzip_of(text, GZIP_LEVEL);
	int p[2];
	pid_t pid;
	struct bytes got;

	cr_assert(pipe(p) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) { /* the writer: one byte, a pause, the rest */
		close(p[0]);
		if (write(p[1], gz.p, 1) != 1)
			_exit(1);
		usleep(100 * 1000);
		_exit(write(p[1], gz.p + 1, gz.n - 1) == (ssize_t)(gz.n - 1)
			  ? 0
			  : 1);
	}
	close(p[1]);
	struct th_input *in = input_from_fd(p[0], "-");

	cr_assert_eq(input_compression(in), TH_COMPRESSION_GZIP);
	cr_assert_eq(read_all(in, 4096, &got), TH_EOF, "%s", input_error(in));
	cr_assert(got.n == text.n && memcmp(got.p, text.p, text.n) == 0);
	input_close(in);
	close(p[0]);
	waitpid(pid, NULL, 0);
	free(got.p);
	free(gz.p);
	free(text.p);
}

Test(input, short_plain_text_on_an_open_pipe_is_read_without_waiting,
     .timeout = 10)
{
	int p[2];
	char buf[16];
	size_t got;

	cr_assert(pipe(p) == 0);
	cr_assert(write(p[1], "a\n", 2) == 2); /* writer stays open */
	struct th_input *in = input_from_fd(p[0], "-");

	cr_assert_eq(input_compression(in), TH_COMPRESSION_NONE);
	cr_assert_eq(input_read(in, buf, sizeof buf, &got), TH_OK);
	cr_assert(got == 2 && memcmp(buf, "a\n", 2) == 0);
	input_close(in);
	close(p[0]);
	close(p[1]);
}

Test(input, regular_file_is_opened_by_path_and_recognised_by_content)
{
	char path[] = "/tmp/test_input_XXXXXX";
	int fd = mkstemp(path);
	struct bytes text = BYTES_LIT("named .txt but gzip\n");
	struct bytes gz = gzip_of(text, GZIP_LEVEL), got;
	struct th_error err = {0};

	cr_assert(fd >= 0);
	cr_assert(write(fd, gz.p, gz.n) == (ssize_t)gz.n);
	close(fd);
	struct th_input *in = input_open(path, &err);

	unlink(path);
	cr_assert_not_null(in, "input_open(\"%s\"): %s", path, err.message);
	cr_assert_str_eq(input_name(in), path);
	cr_assert_eq(input_compression(in), TH_COMPRESSION_GZIP);
	cr_assert_eq(read_all(in, 7, &got), TH_EOF);
	cr_assert(got.n == text.n && memcmp(got.p, text.p, text.n) == 0);
	cr_assert_str_eq(input_error(in), "");
	input_close(in);
	free(got.p);
	free(gz.p);
	free(text.p);
}

Test(input, nonexistent_path_fails_with_a_message)
{
	struct th_error err = {0};

	cr_assert_null(input_open("/nonexistent/tracehound.log", &err));
	cr_assert_str_eq(err.file, "/nonexistent/tracehound.log");
	cr_assert_str_eq(err.message, "No such file or directory");
}

Test(input, directory_fails_with_is_a_directory)
{
	struct th_error err = {0};

	cr_assert_null(input_open("/tmp", &err));
	cr_assert_str_eq(err.message, "Is a directory");
}

Test(input, read_error_is_reported_with_its_reason)
{
	int p[2];
	char buf[16];
	size_t got = 99;

	cr_assert(pipe(p) == 0);
	struct th_input *in = input_from_fd(p[1], "write end");

	cr_assert_eq(input_read(in, buf, sizeof buf, &got), TH_ERR_IO);
	cr_assert_eq(got, 0);
	cr_assert_str_eq(input_error(in), "Bad file descriptor");
	cr_assert_eq(input_read(in, buf, sizeof buf, &got), TH_ERR_IO);
	input_close(in);
	close(p[0]);
	close(p[1]);
}

Test(input, a_fifo_in_a_directory_is_told_without_waiting)
{
	char dir[] = "/tmp/th-fifo-XXXXXX", path[64];
	enum th_input_kind kind;
	const char *what;
	bool not_file;
	struct th_error err = {0};

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/f", dir);
	cr_assert(mkfifo(path, 0600) == 0);
	cr_assert_eq(input_open_named(path, &kind, &what), -1);
	cr_assert_eq(kind, TH_INPUT_OTHER);
	cr_assert_str_eq(what, "a FIFO");
	cr_assert_null(input_open_file(path, &not_file, &err));
	cr_assert(not_file);
	cr_assert_str_eq(err.message, "not a regular file (a FIFO)");
	err = (struct th_error){0};
	cr_assert_null(input_open_range(path, 0, 10, &err));
	cr_assert_str_eq(err.message, "not a regular file (a FIFO)");
	unlink(path);
	rmdir(dir);
}

Test(input, a_device_is_told_without_opening_it)
{
	enum th_input_kind kind;
	const char *what;

	cr_assert_eq(input_open_named("/dev/null", &kind, &what), -1);
	cr_assert_eq(kind, TH_INPUT_OTHER);
	cr_assert_str_eq(what, "a character device");
}

Test(input, a_pipe_handed_over_is_read_as_one)
{
	int p[2];
	char path[64], buf[16];
	enum th_input_kind kind;
	const char *what;
	bool not_file;
	struct th_error err = {0};
	size_t got;

	cr_assert(pipe(p) == 0);
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	int fd = input_open_named(path, &kind, &what);
	cr_assert_geq(fd, 0);
	cr_assert_eq(kind, TH_INPUT_PIPE);
	close(fd);
	cr_assert(write(p[1], "a\n", 2) == 2);
	close(p[1]);
	struct th_input *in = input_open_file(path, &not_file, &err);
	cr_assert_not_null(in, "%s", err.message);
	cr_assert_eq(input_read(in, buf, sizeof buf, &got), TH_OK);
	cr_assert_eq(got, 2);
	input_close(in);
	close(p[0]);
}

Test(input, a_regular_file_is_a_file)
{
	char path[] = "/tmp/th-file-XXXXXX";
	enum th_input_kind kind;
	const char *what;
	int tmp = mkstemp(path);

	cr_assert_geq(tmp, 0);
	int fd = input_open_named(path, &kind, &what);
	cr_assert_geq(fd, 0);
	cr_assert_eq(kind, TH_INPUT_FILE);
	cr_assert_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	close(tmp);
	unlink(path);
}
