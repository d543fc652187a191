/* test_inflow.c - decoding ahead in a thread: the bytes come out whole and
 * in order at every read size, an error only after every byte decoded
 * before it and in the decoder's words, a full slot while the thread waits
 * for a pipe, and closing early (even while the thread waits on a pipe
 * whose writer stays) stops and joins it.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "codec.h"
#include "inflow.h"

/* Fast levels: the tests need inputs decoded in many steps, not small
 * files. */
enum { GZIP_LEVEL = 6, ZSTD_LEVEL = 3, XZ_LEVEL = 1, BZIP2_LEVEL = 1 };

/* DATA in compression C (one of the four read). */
static struct bytes pack(enum th_compression c, struct bytes data)
{
	switch (c) {
	case TH_COMPRESSION_GZIP: return gzip_of(data, GZIP_LEVEL);
	case TH_COMPRESSION_ZSTD: return zstd_of(data, ZSTD_LEVEL);
	case TH_COMPRESSION_XZ: return xz_of(data, XZ_LEVEL);
	default:
		cr_assert_eq(c, TH_COMPRESSION_BZIP2);
		return bzip2_of(data, BZIP2_LEVEL);
	}
}

/* A flow over FD in compression C, the way input.c starts one: the first
 * two bytes (the magic it peeked at) handed over, the rest read from FD. */
static struct th_inflow *flow_of(int fd, enum th_compression c)
{
	unsigned char first[2];
	struct th_codec *codec = codec_new(c);

	cr_assert(read(fd, first, sizeof first) == (ssize_t)sizeof first);
	struct th_inflow *f = inflow_start(fd, codec, first, sizeof first);
	cr_assert_not_null(f, "no thread");
	return f;
}

/* Reads F to its end or first error CAP bytes at a time into *OUT;
 * returns the last status. */
static enum th_status read_all(struct th_inflow *f, size_t cap,
			       struct bytes *out)
{
	char *buf = malloc(cap);
	enum th_status st;
	size_t got;

	*out = (struct bytes){malloc(1), 0, 1};
	while ((st = inflow_read(f, buf, cap, &got)) == TH_OK) {
		cr_assert(got > 0 && got <= cap, "TH_OK with %zu bytes", got);
		bytes_append_raw(out, buf, got);
	}
	cr_assert_eq(got, 0);
	free(buf);
	return st;
}

/* What the decoder says of FILE decoded in one go: its last status, and
 * its bytes (*OUT) and message (ERR) up to there. */
static enum th_status decode_alone(struct bytes file, enum th_compression c,
				   struct bytes *out, char *err, size_t size)
{
	struct th_codec *codec = codec_new(c);
	size_t cap = 64 << 20;
	struct th_codec_io io = {
	    (const unsigned char *)file.p, file.n, 0, malloc(cap), cap, 0};
	enum th_status st;

	do
		st = codec_step(codec, &io);
	while (st == TH_OK && (io.in_pos < io.in_len || codec_pending(codec)));
	if (st == TH_OK)
		st = codec_finish(codec);
	snprintf(err, size, "%s", codec_error(codec));
	*out = (struct bytes){(char *)io.out, io.out_pos, cap};
	codec_free(codec);
	return st;
}

static const size_t read_sizes[] = {1, 4093, 1 << 20, 3 << 20};

/* Reads FILE through a flow at every read size: WANT comes out whole,
 * then TH_EOF, again on every later read. */
static void expect_bytes(struct bytes file, struct bytes want,
			 enum th_compression c)
{
	for (size_t i = 0; i < sizeof read_sizes / sizeof read_sizes[0]; i++) {
		if (read_sizes[i] == 1 && want.n > (1 << 20))
			continue; /* a byte at a time: slow, says no more */
		int fd = memfd_of(file.p, file.n, "test_inflow");
		struct th_inflow *f = flow_of(fd, c);
		struct bytes got;
		char buf[8];
		size_t n;

		cr_assert_eq(read_all(f, read_sizes[i], &got), TH_EOF,
			     "%s, reads of %zu: %s", codec_name(c),
			     read_sizes[i], inflow_error(f));
		cr_assert(got.n == want.n && memcmp(got.p, want.p, want.n) == 0,
			  "%s, reads of %zu: got %zu bytes, want %zu",
			  codec_name(c), read_sizes[i], got.n, want.n);
		cr_assert_eq(inflow_read(f, buf, sizeof buf, &n), TH_EOF);
		cr_assert_str_eq(inflow_error(f), "");
		inflow_free(f);
		close(fd);
		free(got.p);
	}
}

/* Reads damaged FILE through a flow at every read size: first every byte
 * the decoder alone gives before it fails, then the error in its words,
 * again on every later read. */
static void expect_corrupt(struct bytes file, enum th_compression c)
{
	char want_err[160];
	struct bytes want;

	cr_assert_eq(decode_alone(file, c, &want, want_err, sizeof want_err),
		     TH_ERR_CORRUPT);
	for (size_t i = 0; i < sizeof read_sizes / sizeof read_sizes[0]; i++) {
		if (read_sizes[i] == 1 && want.n > (1 << 20))
			continue;
		int fd = memfd_of(file.p, file.n, "test_inflow");
		struct th_inflow *f = flow_of(fd, c);
		struct bytes got;
		char buf[8];
		size_t n;

		cr_assert_eq(read_all(f, read_sizes[i], &got), TH_ERR_CORRUPT,
			     "reads of %zu", read_sizes[i]);
		cr_assert_str_eq(inflow_error(f), want_err);
		cr_assert(got.n == want.n && memcmp(got.p, want.p, want.n) == 0,
			  "reads of %zu: got %zu bytes before \"%s\", want %zu",
			  read_sizes[i], got.n, want_err, want.n);
		cr_assert_eq(inflow_read(f, buf, sizeof buf, &n),
			     TH_ERR_CORRUPT);
		cr_assert_eq(n, 0);
		inflow_free(f);
		close(fd);
		free(got.p);
	}
	free(want.p);
}

Test(inflow, bytes_come_out_whole_and_in_order_at_every_read_size)
{
	/* more than the ring holds, so the thread waits for the reader */
	size_t n = 3 * INFLOW_SLOTS * INFLOW_SLOT_SIZE + 12345;
	struct bytes text = text_of(n, 7);
	struct bytes gz = gzip_of(text, GZIP_LEVEL),
		     zs = zstd_of(text, ZSTD_LEVEL);
	struct bytes xz = xz_of(text, XZ_LEVEL),
		     bz = bzip2_of(text, BZIP2_LEVEL);

	expect_bytes(gz, text, TH_COMPRESSION_GZIP);
	expect_bytes(zs, text, TH_COMPRESSION_ZSTD);
	expect_bytes(xz, text, TH_COMPRESSION_XZ);
	expect_bytes(bz, text, TH_COMPRESSION_BZIP2);
	free(gz.p);
	free(zs.p);
	free(xz.p);
	free(bz.p);
	free(text.p);
}

Test(inflow, concatenated_gzip_members_are_read_one_after_the_other)
{
	struct bytes want = {NULL, 0, 0}, gz = {NULL, 0, 0};

	for (unsigned i = 0; i < 5; i++) {
		struct bytes part = text_of(i == 2 ? 0 : 100000 * i + 1, i);
		bytes_append(&gz, gzip_of(part, GZIP_LEVEL));
		bytes_append(&want, part);
	}
	expect_bytes(gz, want, TH_COMPRESSION_GZIP);
	free(gz.p);
	free(want.p);
}

Test(inflow, tiny_and_empty_inputs_are_read_in_every_compression)
{
	struct bytes tiny = {strdup("a\n"), 2, 3}, empty = {strdup(""), 0, 1};
	enum th_compression cs[] = {TH_COMPRESSION_GZIP, TH_COMPRESSION_ZSTD,
				    TH_COMPRESSION_XZ, TH_COMPRESSION_BZIP2};

	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		struct bytes t = pack(cs[i], tiny), e = pack(cs[i], empty);
		expect_bytes(t, tiny, cs[i]);
		expect_bytes(e, empty, cs[i]);
		free(t.p);
		free(e.p);
	}
	free(tiny.p);
	free(empty.p);
}

Test(inflow, a_damaged_member_fails_after_every_good_byte_before_it)
{
	struct bytes good = text_of(INFLOW_SLOTS * INFLOW_SLOT_SIZE + 777, 3);
	struct bytes gz = gzip_of(good, GZIP_LEVEL);
	struct bytes more = text_of(300000, 4);
	struct bytes bad = gzip_of(more, GZIP_LEVEL);

	bad.p[bad.n / 2] ^= 0x55; /* inside the deflate data */
	bytes_append(&gz, bad);
	bytes_append(&gz, gzip_of(good, GZIP_LEVEL)); /* never reached */
	expect_corrupt(gz, TH_COMPRESSION_GZIP);
	free(gz.p);
	free(more.p);
	free(good.p);
}

Test(inflow, a_bad_check_and_a_cut_fail_in_the_decoders_words)
{
	struct bytes text = text_of(700000, 5);
	struct bytes gz = gzip_of(text, GZIP_LEVEL), xz = xz_of(text, XZ_LEVEL),
		     zs = zstd_of(text, ZSTD_LEVEL);

	gz.p[gz.n - 6] ^= 0x55; /* the CRC-32 */
	expect_corrupt(gz, TH_COMPRESSION_GZIP);
	gz.p[gz.n - 6] ^= 0x55;
	expect_corrupt((struct bytes){gz.p, gz.n - 3, 0}, TH_COMPRESSION_GZIP);
	expect_corrupt((struct bytes){xz.p, xz.n / 2, 0}, TH_COMPRESSION_XZ);
	expect_corrupt((struct bytes){zs.p, zs.n - 1, 0}, TH_COMPRESSION_ZSTD);
	free(gz.p);
	free(xz.p);
	free(zs.p);
	free(text.p);
}

Test(inflow, a_read_error_reaches_the_reader_with_its_reason)
{
	int p[2];
	char buf[16];
	size_t got = 99;

	cr_assert(pipe(p) == 0);
	/* the write end: reading it fails */
	struct th_inflow *f =
	    inflow_start(p[1], codec_new(TH_COMPRESSION_GZIP),
			 (const unsigned char *)"\x1f\x8b", 2);
	cr_assert_not_null(f);
	cr_assert_eq(inflow_read(f, buf, sizeof buf, &got), TH_ERR_IO);
	cr_assert_eq(got, 0);
	cr_assert_str_eq(inflow_error(f), "Bad file descriptor");
	cr_assert_eq(inflow_read(f, buf, sizeof buf, &got), TH_ERR_IO);
	inflow_free(f);
	close(p[0]);
	close(p[1]);
}

Test(inflow, closing_early_stops_the_thread_wherever_it_is)
{
	struct bytes text = text_of(4 * INFLOW_SLOTS * INFLOW_SLOT_SIZE, 9);
	struct bytes gz = gzip_of(text, GZIP_LEVEL);
	char buf[100];
	size_t got;

	for (int reads = 0; reads < 3; reads++) {
		int fd = memfd_of(gz.p, gz.n, "test_inflow");
		struct th_inflow *f = flow_of(fd, TH_COMPRESSION_GZIP);
		size_t at = 0;
		for (int i = 0; i < reads; i++) {
			cr_assert_eq(inflow_read(f, buf, sizeof buf, &got),
				     TH_OK);
			cr_assert(memcmp(buf, text.p + at, got) == 0);
			at += got;
		}
		if (reads == 2)
			usleep(50 * 1000); /* the ring full: the thread waits */
		inflow_free(f);
		close(fd);
	}
	free(gz.p);
	free(text.p);
}

Test(inflow, closing_while_the_thread_waits_on_a_pipe_returns, .timeout = 10)
{
	struct bytes first = {strdup("first\n"), 6, 7};
	struct bytes gz = gzip_of(first, GZIP_LEVEL);
	int p[2];
	unsigned char magic[2];

	cr_assert(pipe(p) == 0);
	/* one whole member and the start of another; the writer stays */
	cr_assert(write(p[1], gz.p, gz.n) == (ssize_t)gz.n);
	cr_assert(write(p[1], gz.p, 10) == 10);
	cr_assert(read(p[0], magic, 2) == 2);
	struct th_inflow *f =
	    inflow_start(p[0], codec_new(TH_COMPRESSION_GZIP), magic, 2);
	cr_assert_not_null(f);
	usleep(50 * 1000); /* the thread reaches the empty pipe */
	inflow_free(f);	   /* and is woken there */
	close(p[0]);
	close(p[1]);
	free(gz.p);
	free(first.p);
}

Test(inflow, a_slot_not_full_is_handed_over_at_the_end_of_a_pipe)
{
	struct bytes first = {strdup("first\n"), 6, 7};
	struct bytes gz = gzip_of(first, GZIP_LEVEL);
	int p[2];
	struct bytes got;

	cr_assert(pipe(p) == 0);
	cr_assert(write(p[1], gz.p, gz.n) == (ssize_t)gz.n);
	close(p[1]);
	struct th_inflow *f = flow_of(p[0], TH_COMPRESSION_GZIP);
	cr_assert_eq(read_all(f, 64, &got), TH_EOF, "%s", inflow_error(f));
	cr_assert(got.n == first.n && memcmp(got.p, first.p, got.n) == 0);
	inflow_free(f);
	close(p[0]);
	free(got.p);
	free(gz.p);
	free(first.p);
}

Test(inflow, a_full_slot_reaches_the_reader_while_the_pipe_waits, .timeout = 10)
{
	/* exactly one slot of text: handed over whole, and then the thread
	 * waits for the pipe with nothing in hand */
	struct bytes text = {malloc(INFLOW_SLOT_SIZE), INFLOW_SLOT_SIZE, 0};
	int p[2];
	char *buf = malloc(INFLOW_SLOT_SIZE);
	size_t got, have = 0;

	memset(text.p, 'x', text.n);
	for (size_t i = 63; i < text.n; i += 64)
		text.p[i] = '\n';
	struct bytes gz = gzip_of(text, GZIP_LEVEL);
	cr_assert(pipe(p) == 0);
	cr_assert(gz.n < 65536, "the pipe holds it: %zu bytes", gz.n);
	cr_assert(write(p[1], gz.p, gz.n) == (ssize_t)gz.n);
	struct th_inflow *f = flow_of(p[0], TH_COMPRESSION_GZIP);
	while (have < text.n) {
		cr_assert_eq(inflow_read(f, buf + have, text.n - have, &got),
			     TH_OK);
		have += got;
	}
	cr_assert(memcmp(buf, text.p, text.n) == 0);
	inflow_free(f);
	close(p[0]);
	close(p[1]);
	free(buf);
	free(gz.p);
	free(text.p);
}
