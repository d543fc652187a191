/* test_lines.c - the line reader, at capacities small enough that every line
 * and every "\r\n" crosses a refill, checked against a plain model of the
 * long-line policy under every way of consuming (next, window/skip, mixed).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "input.h"
#include "lines.h"

static const size_t capacities[] = {1, 7, 64, 1 << 20};
#define N_CAPACITIES (sizeof capacities / sizeof capacities[0])

/* A reader over bytes held in a memfd, which input_from_fd leaves open;
 * or, MAPPED, the same file opened by path, which lines.c maps instead of
 * reading (see input_mappable). */
struct fixture {
	int fd;
	struct th_input *in;
	struct th_lines *l;
};

static struct fixture open_bytes_as(const char *data, size_t n, size_t cap,
				    bool mapped)
{
	struct fixture f;

	f.fd = memfd_create("test_lines", MFD_CLOEXEC);
	cr_assert(f.fd >= 0);
	for (size_t done = 0; done < n;) {
		ssize_t w = write(f.fd, data + done, n - done);
		cr_assert(w > 0);
		done += (size_t)w;
	}
	cr_assert(lseek(f.fd, 0, SEEK_SET) == 0);
	if (mapped) {
		char path[64];
		struct th_error err = {0};
		snprintf(path, sizeof path, "/proc/self/fd/%d", f.fd);
		f.in = input_open(path, &err);
		cr_assert(f.in != NULL, "%s", err.message);
		int fd;
		uint64_t start, end;
		cr_assert(input_mappable(f.in, &fd, &start, &end));
		cr_assert_eq(end, n);
	} else {
		f.in = input_from_fd(f.fd, "test");
	}
	f.l = lines_new(f.in, cap);
	return f;
}

static struct fixture open_bytes(const char *data, size_t n, size_t cap)
{
	return open_bytes_as(data, n, cap, false);
}

static void close_fixture(struct fixture *f)
{
	lines_free(f->l);
	input_close(f->in);
	close(f->fd);
}

/* The input, escaped and shortened, for assertion messages. Four buffers
 * in turn, so one message can show several. */
static const char *show(const char *data, size_t n)
{
	static char bufs[4][256];
	static unsigned turn;
	char *out = bufs[turn++ % 4];
	size_t o = 0;

	for (size_t i = 0; i < n && o < sizeof bufs[0] - 8; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\n')
			o += (size_t)sprintf(out + o, "\\n");
		else if (c == '\r')
			o += (size_t)sprintf(out + o, "\\r");
		else if (c < 32 || c > 126)
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (o >= sizeof bufs[0] - 8)
		o += (size_t)sprintf(out + o, "...");
	out[o] = '\0';
	return out;
}

/* What the reader must deliver: the model of lines.h, written plainly. */
struct model_line {
	size_t start, n; /* text in the input */
	uint64_t number, offset;
	bool truncated;
};

struct model {
	struct model_line *lines;
	size_t count;
	uint64_t truncated;
};

static struct model model_of(const char *data, size_t n, size_t cap)
{
	struct model m = {calloc(n + 1, sizeof *m.lines), 0, 0};

	for (size_t start = 0; start < n;) {
		const char *nl = memchr(data + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - data) : n;
		size_t len = end - start;
		struct model_line *ml = &m.lines[m.count];

		if (nl && len > 0 && data[end - 1] == '\r')
			len--;
		ml->start = start;
		ml->truncated = len > cap;
		ml->n = ml->truncated ? cap : len;
		ml->number = m.count + 1;
		ml->offset = start;
		m.truncated += ml->truncated;
		m.count++;
		start = nl ? end + 1 : n;
	}
	return m;
}

enum strategy { BY_NEXT, BY_WINDOW, BY_FIRST_OF_WINDOW, MIXED, N_STRATEGIES };
static const char *strategy_names[] = {"next", "window", "first-of-window",
				       "mixed"};

/* One run of the reader over an input, compared line by line. */
struct run {
	const char *data;
	size_t n, cap;
	enum strategy how;
	struct model m;
	size_t k; /* lines checked so far */
	struct fixture f;
	bool mapped;
};

#define RUN_FMT "input \"%s\" (%zu bytes), capacity %zu, by %s, %s, line %zu"
#define RUN_ARGS(r)                                                            \
	show((r)->data, (r)->n), (r)->n, (r)->cap, strategy_names[(r)->how],   \
	    (r)->mapped ? "mapped" : "read", (r)->k + 1

static void check_line(struct run *r, const char *p, size_t n, uint64_t number,
		       uint64_t offset, bool truncated)
{
	const struct model_line *ml = &r->m.lines[r->k];

	cr_assert(r->k < r->m.count, "an extra line: " RUN_FMT, RUN_ARGS(r));
	cr_assert(n == ml->n && memcmp(p, r->data + ml->start, n) == 0,
		  "text \"%s\": " RUN_FMT, show(p, n), RUN_ARGS(r));
	cr_assert_eq(number, ml->number, "number: " RUN_FMT, RUN_ARGS(r));
	cr_assert_eq(offset, ml->offset, "offset: " RUN_FMT, RUN_ARGS(r));
	cr_assert_eq(truncated, ml->truncated, "truncated: " RUN_FMT,
		     RUN_ARGS(r));
	r->k++;
}

/* Consumes one line with lines_next. Returns false at the end. */
static bool step_next(struct run *r)
{
	struct th_line line;
	enum th_status st = lines_next(r->f.l, &line);

	if (st == TH_EOF)
		return false;
	cr_assert_eq(st, TH_OK, "status: " RUN_FMT, RUN_ARGS(r));
	check_line(r, line.text.p, line.text.n, line.number, line.offset,
		   line.truncated);
	return true;
}

/* Checks the first MAX_LINES lines of a window and skips them. */
static void check_and_skip(struct run *r, struct th_span w, size_t max_lines)
{
	size_t used = 0;
	uint64_t number = lines_number(r->f.l);
	uint64_t offset = lines_offset(r->f.l);

	for (size_t i = 0; i < max_lines && used < w.n; i++) {
		const char *p = w.p + used;
		const char *nl = memchr(p, '\n', w.n - used);
		size_t len = nl ? (size_t)(nl - p) : w.n - used;
		size_t text =
		    nl && len > 0 && p[len - 1] == '\r' ? len - 1 : len;

		check_line(r, p, text, number + i, offset + used, false);
		used += len + (nl != NULL);
	}
	lines_skip(r->f.l, used);
	cr_assert_eq(lines_number(r->f.l), r->k + 1,
		     "number after skip: " RUN_FMT, RUN_ARGS(r));
	cr_assert_eq(lines_offset(r->f.l), offset + used,
		     "offset after skip: " RUN_FMT, RUN_ARGS(r));
}

/* Consumes through a window, up to MAX_LINES lines of it; an empty window
 * means the next line is too long, so it goes through lines_next. Returns
 * false at the end. */
static bool step_window(struct run *r, size_t max_lines)
{
	struct th_span w;
	enum th_status st = lines_window(r->f.l, &w);

	if (st == TH_EOF)
		return false;
	cr_assert_eq(st, TH_OK, "status: " RUN_FMT, RUN_ARGS(r));
	if (w.n == 0)
		return step_next(r);
	check_and_skip(r, w, max_lines);
	return true;
}

static bool step(struct run *r, unsigned *seed)
{
	switch (r->how) {
	case BY_NEXT: return step_next(r);
	case BY_WINDOW: return step_window(r, SIZE_MAX);
	case BY_FIRST_OF_WINDOW: return step_window(r, 1);
	default:
		*seed = *seed * 1103515245u + 12345u;
		switch ((*seed >> 16) % 4) {
		case 0: return step_next(r);
		case 1: return step_window(r, SIZE_MAX);
		default: return step_window(r, 1 + (*seed >> 20) % 3);
		}
	}
}

/* Reads DATA at capacity CAP the way HOW says and checks every line, the
 * counters and the end against the model. */
static void check_run(const char *data, size_t n, size_t cap, enum strategy how,
		      bool mapped)
{
	struct run r = {data,
			n,
			cap,
			how,
			model_of(data, n, cap),
			0,
			open_bytes_as(data, n, cap, mapped),
			mapped};
	unsigned seed = (unsigned)(n * 31 + cap);

	while (step(&r, &seed))
		;
	cr_assert_eq(r.k, r.m.count, "line count: " RUN_FMT, RUN_ARGS(&r));
	cr_assert_eq(lines_truncated(r.f.l), r.m.truncated,
		     "lines_truncated: " RUN_FMT, RUN_ARGS(&r));
	cr_assert_eq(lines_number(r.f.l), r.m.count + 1, "number: " RUN_FMT,
		     RUN_ARGS(&r));
	cr_assert_eq(lines_offset(r.f.l), n, "offset: " RUN_FMT, RUN_ARGS(&r));
	free(r.m.lines);
	close_fixture(&r.f);
}

/* Every capacity, every strategy, read and mapped. */
static void check_all(const char *data, size_t n)
{
	for (size_t c = 0; c < N_CAPACITIES; c++)
		for (int how = 0; how < N_STRATEGIES; how++)
			for (int mapped = 0; mapped < 2; mapped++)
				check_run(data, n, capacities[c],
					  (enum strategy)how, mapped);
}

#define CHECK_ALL_LIT(s) check_all((s), sizeof(s) - 1)

/* Reads every line by lines_next into WANT-style strings "text|number|
 * offset|t" joined by ";" so hand-written expectations stay readable. */
static char *describe(const char *data, size_t n, size_t cap)
{
	struct fixture f = open_bytes(data, n, cap);
	size_t size = 256 + n * 16, o = 0;
	char *out = calloc(1, size);
	struct th_line line;

	while (lines_next(f.l, &line) == TH_OK)
		o += (size_t)snprintf(out + o, size - o, "%s%s|%llu|%llu%s",
				      o ? ";" : "",
				      show(line.text.p, line.text.n),
				      (unsigned long long)line.number,
				      (unsigned long long)line.offset,
				      line.truncated ? "|t" : "");
	close_fixture(&f);
	return out;
}

static void expect(const char *data, size_t n, size_t cap, const char *want)
{
	char *got = describe(data, n, cap);

	cr_assert_str_eq(got, want, "input \"%s\", capacity %zu", show(data, n),
			 cap);
	free(got);
}

#define EXPECT_LIT(s, cap, want) expect((s), sizeof(s) - 1, (cap), (want))

Test(lines, empty_input_yields_no_line)
{
	for (size_t c = 0; c < N_CAPACITIES; c++) {
		struct fixture f = open_bytes("", 0, capacities[c]);
		struct th_line line;
		struct th_span w;

		cr_assert_eq(lines_next(f.l, &line), TH_EOF);
		cr_assert_eq(lines_window(f.l, &w), TH_EOF);
		cr_assert_eq(w.n, 0);
		cr_assert_eq(lines_number(f.l), 1);
		close_fixture(&f);
	}
	CHECK_ALL_LIT("");
}

Test(lines, lone_newline_yields_one_empty_line)
{
	for (size_t c = 0; c < N_CAPACITIES; c++)
		EXPECT_LIT("\n", capacities[c], "|1|0");
	CHECK_ALL_LIT("\n");
	CHECK_ALL_LIT("\n\n\n");
}

Test(lines, terminated_and_unterminated_last_line_are_one_line_each)
{
	for (size_t c = 0; c < N_CAPACITIES; c++) {
		EXPECT_LIT("a\n", capacities[c], "a|1|0");
		EXPECT_LIT("a", capacities[c], "a|1|0");
	}
	EXPECT_LIT("ab\ncd", 7, "ab|1|0;cd|2|3");
	CHECK_ALL_LIT("a\n");
	CHECK_ALL_LIT("a");
	CHECK_ALL_LIT("one\ntwo\nthree");
}

Test(lines, crlf_is_stripped_but_a_lone_cr_is_kept)
{
	EXPECT_LIT("a\r\nb\r\n", 64, "a|1|0;b|2|3");
	EXPECT_LIT("a\rb\n", 64, "a\\rb|1|0");
	EXPECT_LIT("\r\r\n", 64, "\\r|1|0");
	EXPECT_LIT("a\r", 64, "a\\r|1|0");
	EXPECT_LIT("\r\n", 1, "|1|0");
	CHECK_ALL_LIT("a\r\nbc\r\n\r\ndef\r");
	CHECK_ALL_LIT("\r\r\r\n\r");
}

Test(lines, crlf_split_across_refill_is_stripped)
{
	/* Lines of every length 0..70 ending in "\r\n": at capacities 1, 7
	 * and 64 the "\r" and "\n" land on every side of a refill. */
	char data[71 * 73];
	size_t n = 0;

	for (size_t len = 0; len <= 70; len++) {
		memset(data + n, 'a' + (int)(len % 26), len);
		n += len;
		data[n++] = '\r';
		data[n++] = '\n';
	}
	check_all(data, n);
	EXPECT_LIT("1234567\r\n89\r\n", 7, "1234567|1|0;89|2|9");
}

Test(lines, line_of_exactly_the_capacity_is_whole)
{
	EXPECT_LIT("1234567\n", 7, "1234567|1|0");
	EXPECT_LIT("1234567\r\n", 7, "1234567|1|0");
	EXPECT_LIT("1234567", 7, "1234567|1|0");
	EXPECT_LIT("x\n", 1, "x|1|0");
	EXPECT_LIT("x\r\ny", 1, "x|1|0;y|2|3");
}

Test(lines, long_line_is_cut_once_and_its_rest_skipped)
{
	struct fixture f;
	struct th_line line;

	EXPECT_LIT("12345678\n", 7, "1234567|1|0|t");
	EXPECT_LIT("1234567\r\r\n", 7, "1234567|1|0|t");
	EXPECT_LIT("short\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nafter\n", 7,
		   "short|1|0;xxxxxxx|2|6|t;after|3|37");
	EXPECT_LIT("abcdefghij", 7, "abcdefg|1|0|t");
	EXPECT_LIT("ab\n", 1, "a|1|0|t");

	f = open_bytes("abcdefghij\nk\n", 13, 3);
	cr_assert_eq(lines_next(f.l, &line), TH_OK);
	cr_assert(line.truncated && line.text.n == 3);
	cr_assert_eq(lines_next(f.l, &line), TH_OK);
	cr_assert(line.text.n == 1 && line.text.p[0] == 'k' &&
		  line.offset == 11);
	cr_assert_eq(lines_truncated(f.l), 1);
	close_fixture(&f);
}

Test(lines, last_line_one_byte_over_the_capacity_is_cut_at_the_end)
{
	/* The end of input is seen with cap + 1 bytes buffered: the window
	 * must not show them as a whole line. */
	for (size_t c = 0; c < 3; c++) {
		size_t cap = capacities[c];
		char data[80] = "x\n";

		memset(data + 2, 'y', cap + 1);
		check_all(data, cap + 3);
		data[cap + 2] = '\r'; /* a lone "\r" at the end is text */
		check_all(data, cap + 3);
	}
}

Test(lines, ten_megabyte_line_at_capacity_64_uses_bounded_memory)
{
	const size_t total = 10u << 20, chunk = 64u << 10;
	char *buf = malloc(chunk);
	int fd = memfd_create("long_line", MFD_CLOEXEC);
	struct rusage before, after;
	struct th_line line;

	memset(buf, 'x', chunk);
	for (size_t done = 0; done < total; done += chunk)
		cr_assert(write(fd, buf, chunk) == (ssize_t)chunk);
	free(buf);
	cr_assert(lseek(fd, 0, SEEK_SET) == 0);
	getrusage(RUSAGE_SELF, &before);

	struct th_input *in = input_from_fd(fd, "long");
	struct th_lines *l = lines_new(in, 64);
	cr_assert_eq(lines_next(l, &line), TH_OK);
	cr_assert(line.truncated && line.text.n == 64 && line.number == 1);
	cr_assert_eq(lines_next(l, &line), TH_EOF);
	cr_assert_eq(lines_truncated(l), 1);
	cr_assert_eq(lines_offset(l), total);
	getrusage(RUSAGE_SELF, &after);
	cr_assert_lt(after.ru_maxrss - before.ru_maxrss, 2048,
		     "reading a 10 MB line grew the peak RSS by %ld KiB",
		     after.ru_maxrss - before.ru_maxrss);
	lines_free(l);
	input_close(in);
	close(fd);
}

Test(lines, nul_bytes_are_ordinary_bytes)
{
	EXPECT_LIT("a\0b\n\0\n", 64, "a\\x00b|1|0;\\x00|2|4");
	CHECK_ALL_LIT("a\0b\n\0\n\0");
	CHECK_ALL_LIT("\0\0\0\0\0\0\0\0\0\0\r\n\0");
}

Test(lines, window_shows_whole_lines_and_the_tail_only_at_the_end)
{
	int p[2];
	struct th_span w;

	cr_assert(pipe(p) == 0);
	cr_assert(write(p[1], "ab\ncd\nef", 8) == 8);
	struct th_input *in = input_from_fd(p[0], "pipe");
	struct th_lines *l = lines_new(in, 64);

	/* The input replays its peeked bytes on their own, so the first
	 * window may hold only "ab\n". */
	while (lines_number(l) < 3) {
		cr_assert_eq(lines_window(l, &w), TH_OK);
		cr_assert(
		    w.n > 0 && w.p[w.n - 1] == '\n',
		    "window \"%s\" over \"ab\\ncd\\nef\" with the pipe open",
		    show(w.p, w.n));
		lines_skip(l, w.n);
	}
	close(p[1]); /* now "ef" is the last line */
	cr_assert_eq(lines_window(l, &w), TH_OK);
	cr_assert(w.n == 2 && memcmp(w.p, "ef", 2) == 0, "window \"%s\"",
		  show(w.p, w.n));
	lines_skip(l, 2);
	cr_assert_eq(lines_number(l), 4);
	cr_assert_eq(lines_offset(l), 8);
	cr_assert_eq(lines_window(l, &w), TH_EOF);
	lines_free(l);
	input_close(in);
	close(p[0]);
}

Test(lines, window_is_empty_when_the_next_line_does_not_fit)
{
	struct fixture f = open_bytes("abcdefghijk\nx\n", 14, 7);
	struct th_span w;
	struct th_line line;

	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_assert_eq(w.n, 0, "window \"%s\"", show(w.p, w.n));
	cr_assert_eq(lines_next(f.l, &line), TH_OK);
	cr_assert(line.truncated && line.text.n == 7);
	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_assert(w.n == 2 && memcmp(w.p, "x\n", 2) == 0);
	close_fixture(&f);

	/* cap + 1 text bytes and "\n" fill the buffer exactly */
	f = open_bytes("12345678\n", 9, 7);
	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_assert_eq(w.n, 0, "window \"%s\"", show(w.p, w.n));
	close_fixture(&f);
}

Test(lines, skip_of_part_of_a_window_keeps_the_rest)
{
	/* "012345" is what the input peeks (TH_CODEC_MAGIC_MAX bytes) and
	 * replays alone; once it is buffered with no newline, the next
	 * refill brings in the rest. */
	_Static_assert(TH_CODEC_MAGIC_MAX == 6, "the peek is \"012345\"");
	struct fixture f = open_bytes("012345\na\nbb\nccc\n", 16, 64);
	struct th_span w;
	struct th_line line;

	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_assert_eq(w.n, 16, "window \"%s\"", show(w.p, w.n));
	lines_skip(f.l, 7);
	cr_assert(lines_number(f.l) == 2 && lines_offset(f.l) == 7);
	lines_skip(f.l, 2);
	cr_assert(lines_number(f.l) == 3 && lines_offset(f.l) == 9);
	lines_skip(f.l, 3);
	cr_assert(lines_number(f.l) == 4 && lines_offset(f.l) == 12);
	cr_assert_eq(lines_next(f.l, &line), TH_OK);
	cr_assert(line.number == 4 && line.offset == 12 && line.text.n == 3);
	cr_assert_eq(lines_window(f.l, &w), TH_EOF);
	close_fixture(&f);
}

Test(lines, newline_count_is_exact_over_long_runs_of_newlines)
{
	/* More than 255 words of "\n" fills every byte counter to its limit. */
	static char data[5000];

	memset(data, '\n', sizeof data);
	data[2500] = (char)0x8a; /* "\n" with the high bit set is not "\n" */
	data[2501] = 0x0b;
	check_all(data, sizeof data);
}

Test(lines, random_inputs_agree_with_the_model)
{
	static const char alphabet[] = "ab\r\n\n\0\x8a\x0b\xff";
	unsigned seed = 12345;

	for (int round = 0; round < 60; round++) {
		size_t n = (size_t)(seed >> 16) % (round < 40 ? 200 : 20000);
		char *data = malloc(n + 1);

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly letters, so some lines outgrow small
			 * capacities */
			data[i] = (seed >> 16) % 8
				      ? 'a' + (char)((seed >> 20) % 26)
				      : alphabet[(seed >> 20) % 9];
		}
		seed = seed * 1103515245u + 12345u;
		check_all(data, n);
		free(data);
	}
}

Test(lines, read_error_is_returned)
{
	int p[2];
	struct th_line line;
	struct th_span w;

	cr_assert(pipe(p) == 0);
	struct th_input *in = input_from_fd(p[1], "write end");
	struct th_lines *l = lines_new(in, 7);

	cr_assert_eq(lines_next(l, &line), TH_ERR_IO);
	cr_assert_eq(lines_window(l, &w), TH_ERR_IO);
	cr_assert_eq(w.n, 0);
	lines_free(l);
	input_close(in);
	close(p[0]);
	close(p[1]);
}

/* --follow: an unterminated last line waits for its newline while the
 * input is growing, then comes out whole with the right number. */
Test(lines, growing_input_holds_a_half_written_line_until_its_newline)
{
	int fd = memfd_create("growing", MFD_CLOEXEC);
	cr_assert(fd >= 0);
	cr_assert(write(fd, "one\ntw", 6) == 6);
	cr_assert(lseek(fd, 0, SEEK_SET) == 0);
	int rd = dup(fd); /* the reader's own offset: the writer appends */
	struct th_input *in = input_from_fd(rd, "growing");
	struct th_lines *l = lines_new(in, 64);
	lines_set_growing(l, true);
	struct th_line line;
	cr_assert_eq(lines_next(l, &line), TH_OK);
	cr_expect(line.text.n == 3 && memcmp(line.text.p, "one", 3) == 0);
	cr_expect_eq(lines_next(l, &line), TH_EOF,
		     "a half-written line is not a line yet");
	cr_assert(pwrite(fd, "o\nthree", 7, 6) == 7);
	cr_assert_eq(lines_next(l, &line), TH_OK);
	cr_expect(line.text.n == 3 && memcmp(line.text.p, "two", 3) == 0,
		  "got '%.*s'", (int)line.text.n, line.text.p);
	cr_expect_eq(line.number, 2);
	cr_expect_eq(lines_next(l, &line), TH_EOF);
	lines_set_growing(l, false);
	cr_assert_eq(lines_next(l, &line), TH_OK, "the end is final now");
	cr_expect(line.text.n == 5 && memcmp(line.text.p, "three", 5) == 0);
	cr_expect_eq(line.number, 3);
	lines_free(l);
	input_close(in);
	close(rd);
	close(fd);
}

/* A line's escape_free says it holds no escape byte (0x1b), and the
 * window's escape-free stretch ends at the first one. */
Test(lines, escape_free_marks_lines_without_an_escape_byte)
{
	static const char data[] = "plain\n\x1b[1mbold\x1b[0m\nplain again\n";
	struct fixture f = open_bytes(data, sizeof data - 1, 64);
	struct th_span w;
	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_expect_eq(lines_window_escape_free(f.l), 6);
	struct th_line line;
	bool want[] = {true, false, true};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(lines_next(f.l, &line), TH_OK);
		cr_expect_eq(line.escape_free, want[i], "line %zu", i + 1);
	}
	cr_assert_eq(lines_window(f.l, &w), TH_EOF);
	close_fixture(&f);
}

/* A window without an escape is escape-free to its end. */
Test(lines, a_window_without_escapes_is_escape_free_whole)
{
	static const char data[] = "one\ntwo\n";
	struct fixture f = open_bytes(data, sizeof data - 1, 64);
	struct th_span w;
	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_expect_eq(lines_window_escape_free(f.l), w.n);
	close_fixture(&f);
}

/* From a place inside the window, the escape-free stretch ends at the
 * first escape byte at or after it (or the window's end): a cursor that
 * reads a window without consuming it asks again past each escape, in
 * any order. */
Test(lines, the_escape_free_stretch_from_a_place_ends_at_the_next_escape)
{
	/* escapes at 12 and 20; the window is 37 bytes */
	static const char data[] = "first\nplain\n\x1b[1mbold\x1b[0m\n"
				   "plain again\n";
	static const struct {
		size_t at, want;
	} asks[] = {{0, 12}, {6, 6},  {22, 15}, {12, 0}, {13, 7}, {21, 16},
		    {37, 0}, {0, 12}, {30, 7},	{6, 6},	 {20, 0}, {25, 12}};
	struct fixture f = open_bytes_as(data, sizeof data - 1, 64, true);
	struct th_span w;
	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_assert_eq(w.n, sizeof data - 1, "window %zu", w.n);
	for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++)
		cr_expect_eq(lines_window_escape_free_at(f.l, asks[i].at),
			     asks[i].want, "ask %zu, from %zu: %zu", i,
			     asks[i].at,
			     lines_window_escape_free_at(f.l, asks[i].at));
	cr_expect_eq(lines_window_escape_free(f.l), 12);
	close_fixture(&f);
}

/* In a long window the escape-free stretch may stop short of the first
 * escape (it is searched some KiB ahead, not to the window's end), but
 * never past it: asked again from where each answer stops, the stretches
 * reach the escape exactly, and a window without one to its end. */
Test(lines, escape_free_stretches_asked_in_turn_reach_the_first_escape)
{
	enum { LINES = 1500, LEN = 40 }; /* 60,000 bytes of plain lines */
	static char data[LINES * LEN + 64];
	for (size_t i = 0; i < LINES; i++) {
		memset(data + i * LEN, 'a' + (char)(i % 26), LEN - 1);
		data[i * LEN + LEN - 1] = '\n';
	}
	strcpy(data + LINES * LEN, "\x1b[1mbold\x1b[0m\nlast\n");
	for (int escaped = 0; escaped <= 1; escaped++) {
		size_t n = escaped ? strlen(data) : (size_t)LINES * LEN;
		struct fixture f = open_bytes(data, n, 1 << 17);
		struct th_span w;
		cr_assert_eq(lines_window(f.l, &w), TH_OK);
		cr_assert_eq(w.n, n, "window %zu of %zu", w.n, n);
		size_t at = 0, asks = 0;
		for (size_t k;
		     at < n && (k = lines_window_escape_free_at(f.l, at)) > 0;
		     at += k)
			cr_assert_lt(++asks, n, "no end");
		cr_expect_eq(at, (size_t)LINES * LEN, "stopped at %zu", at);
		if (escaped)
			cr_expect(!lines_window_span_escape_free(f.l, at, 4));
		close_fixture(&f);
	}
}

/* A span of the window is escape-free as lines_next would mark the line
 * it covers, in whatever order the spans are asked and from a cursor past
 * the buffer's start, with lines_next's answers unchanged afterwards. */
Test(lines, window_spans_are_escape_free_as_their_lines)
{
	static const char data[] = "first\nplain\n\x1b[1mbold\x1b[0m\n"
				   "plain again\nx\x1b\nlast\n";
	static const struct {
		size_t at, n; /* from the second line */
		bool free;
	} spans[] = {{19, 11, true}, {0, 5, true},  {6, 12, false},
		     {31, 2, false}, {34, 4, true}, {6, 0, true},
		     {31, 1, true},  {0, 6, true}};
	/* mapped: the first window shows every byte (a read shows first
	 * what the input peeked at) */
	struct fixture f = open_bytes_as(data, sizeof data - 1, 64, true);
	struct th_span w;
	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	lines_skip(f.l, 6);
	cr_assert_eq(lines_window(f.l, &w), TH_OK);
	cr_assert_eq(w.n, sizeof data - 7, "window %zu", w.n);
	for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
		cr_expect_eq(
		    lines_window_span_escape_free(f.l, spans[i].at, spans[i].n),
		    spans[i].free, "span %zu", i);
	struct th_line line;
	bool want[] = {true, false, true, false, true};
	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(lines_next(f.l, &line), TH_OK);
		cr_expect_eq(line.escape_free, want[i], "line %zu", i + 2);
	}
	close_fixture(&f);
}

/* A writable page followed by an unreadable one, *PAGE bytes each
 * (unmap both with munmap(map, 2 * *PAGE)): a span that ends at the
 * first page's end faults on any read past it. */
static char *map_before_guard_page(size_t *page)
{
	*page = (size_t)sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * *page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(map, MAP_FAILED);
	cr_assert_eq(mprotect(map + *page, *page, PROT_NONE), 0);
	return map;
}

Test(lines, find_newline_at_every_place_and_length)
{
	/* every length up to 300 and every place of the one "\n" in it (or
	 * none), so each 16-byte block of the two inline compares and the
	 * memchr after either are crossed; the span ends at a guard page, so a
	 * read past N would fault */
	size_t page;
	char *map = map_before_guard_page(&page);
	for (size_t n = 0; n <= 300; n++) {
		char *p = map + page - n;
		for (size_t at = 0; at <= n; at++) {
			memset(p, 'x', n);
			if (at < n)
				p[at] = '\n';
			if (at + 1 < n)
				p[n - 1] =
				    '\n'; /* a later one is not the first */
			const char *want = at < n ? p + at : NULL;
			cr_assert_eq(lines_find_newline(p, n), want,
				     "n %zu at %zu", n, at);
		}
	}
	munmap(map, 2 * page);
}

/* lines_find_newline_as, the AVX2 way where the processor has it, and
 * the baseline way: the same answer as lines_find_newline for every
 * length up to 600 and every place of the first "\n" (crossing each
 * 32-byte step, the 64 and 128 bytes compared before the rest and the 256
 * after which memchr takes the rest), a second "\n" later or none. The
 * span ends at a guard page: a read past N would fault. */
Test(lines, find_newline_as_finds_the_first_newline_either_way)
{
	size_t page;
	char *map = map_before_guard_page(&page);
#if defined(__x86_64__)
	bool avx2 = __builtin_cpu_supports("avx2");
#else
	bool avx2 = false;
#endif
	const size_t ways[] = {lines_avx2_from(avx2), lines_avx2_from(false)};
	for (size_t w = 0; w < 2; w++) {
		for (size_t n = 0; n <= 600; n++) {
			char *p = map + page - n;
			for (size_t at = 0; at <= n; at++) {
				memset(p, at % 2 ? 'x' : '\r', n);
				if (at < n)
					p[at] = '\n';
				if (at + 1 < n)
					p[n - 1 - (at + n) % 2] = '\n';
				const char *want = at < n ? p + at : NULL;
				cr_assert_eq(
				    lines_find_newline_as(p, n, ways[w]), want,
				    "avx2 %d, n %zu at %zu", w == 0 && avx2, n,
				    at);
			}
		}
	}
	munmap(map, 2 * page);
}

/* lines_reset: the next input from its start (numbers, offsets, counts
 * and a long line's skipping all start over), read into the same buffer,
 * and a mapped input between two read ones. */
Test(lines, reset_reads_the_next_input_from_its_start_in_the_same_buffer)
{
	struct fixture a = open_bytes("abcdefghij\nk\n", 13, 3);
	struct fixture b = open_bytes("one\ntwo\n", 8, 3);
	struct fixture m = open_bytes_as("map\n", 4, 3, true);
	struct th_line line;
	struct th_span w;

	cr_assert_eq(lines_window(a.l, &w), TH_OK);
	const char *buffer = w.p;
	cr_assert_eq(lines_next(a.l, &line), TH_OK);
	cr_assert(line.truncated, "a's long line is cut, its rest skipped");

	lines_reset(a.l, b.in);
	cr_assert_eq(lines_window(a.l, &w), TH_OK);
	cr_assert_eq(w.p, buffer, "the buffer is kept");
	cr_assert_eq(lines_next(a.l, &line), TH_OK);
	cr_assert(line.text.n == 3 && memcmp(line.text.p, "one", 3) == 0 &&
		  line.number == 1 && line.offset == 0 && !line.truncated);
	cr_assert_eq(lines_next(a.l, &line), TH_OK);
	cr_assert(line.text.n == 3 && memcmp(line.text.p, "two", 3) == 0 &&
		  line.number == 2 && line.offset == 4);
	cr_assert_eq(lines_next(a.l, &line), TH_EOF);
	cr_assert_eq(lines_truncated(a.l), 0);
	cr_assert_eq(lines_offset(a.l), 8);

	lines_reset(a.l, m.in);
	cr_assert_eq(lines_next(a.l, &line), TH_OK);
	cr_assert(line.text.n == 3 && memcmp(line.text.p, "map", 3) == 0 &&
		  line.number == 1);
	cr_assert_eq(lines_next(a.l, &line), TH_EOF);

	cr_assert(lseek(b.fd, 0, SEEK_SET) == 0);
	lines_reset(a.l, b.in);
	cr_assert_eq(lines_window(a.l, &w), TH_OK);
	cr_assert_eq(w.p, buffer, "read again into the kept buffer");
	cr_assert_eq(lines_next(a.l, &line), TH_OK);
	cr_assert(line.text.n == 3 && memcmp(line.text.p, "one", 3) == 0 &&
		  line.number == 1);

	close_fixture(&a);
	close_fixture(&b);
	close_fixture(&m);
}
