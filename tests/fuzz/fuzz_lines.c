/* fuzz_lines.c - libFuzzer harness for input (gzip/zstd by magic) + lines.
 *
 * Input layout: byte 0 picks the capacity (1..256), byte 1 seeds the
 * choice between lines_next() and lines_window()/lines_skip(); the rest is
 * the stream, so a stream starting with 1f 8b or 28 b5 2f fd is decoded.
 *
 * A plain stream is checked against a model of the contract in lines.h
 * (every line's number, offset, text, truncation; window contents; counts
 * at the end). A compressed one, whose decoded bytes the harness does not
 * know, only against what holds for any stream. A violation traps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "input.h"
#include "lines.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

/* Decoded bytes read from a compressed stream before giving up: a small
 * bomb at capacity 1 would otherwise turn into a timeout. */
#define DECODED_MAX (1u << 20)

/* A line of the plain stream as lines.h describes it. */
struct mline {
	size_t off;  /* first byte */
	size_t text; /* text length: no "\n", no "\r" before it */
	size_t next; /* offset of the line after it */
};

struct model {
	const uint8_t *s;
	size_t n;
	struct mline *line;
	size_t count;
	size_t i; /* next line expected */
};

static void model_build(struct model *m, const uint8_t *s, size_t n)
{
	m->s = s;
	m->n = n;
	m->line = malloc((n + 1) * sizeof *m->line);
	CHECK(m->line != NULL);
	m->count = 0;
	m->i = 0;
	for (size_t i = 0; i < n;) {
		const uint8_t *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		size_t text = end - i;
		if (nl && text > 0 && s[end - 1] == '\r')
			text--;
		size_t next = nl ? end + 1 : n;
		m->line[m->count++] = (struct mline){i, text, next};
		i = next;
	}
}

/* Offset of model line I, or the stream's end past the last line. */
static size_t model_off(const struct model *m, size_t i)
{
	return i < m->count ? m->line[i].off : m->n;
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

struct state {
	struct th_lines *l;
	size_t cap;
	struct model *m;   /* NULL for a compressed stream */
	uint64_t last_off; /* offset of the last line delivered, +1 */
	uint32_t x;
};

static void check_line(struct state *st, const struct th_line *ln,
		       uint64_t number, uint64_t offset)
{
	CHECK(ln->number == number);
	CHECK(lines_number(st->l) == number + 1);
	CHECK(ln->offset >= offset && ln->offset + 1 > st->last_off);
	st->last_off = ln->offset + 1;
	CHECK(ln->text.n <= st->cap);
	CHECK(ln->text.n == 0 || memchr(ln->text.p, '\n', ln->text.n) == NULL);
	if (st->m == NULL)
		return;
	struct model *m = st->m;
	CHECK(m->i < m->count);
	const struct mline *want = &m->line[m->i++];
	bool cut = want->text > st->cap;
	CHECK(ln->offset == want->off);
	CHECK(ln->truncated == cut);
	CHECK(ln->text.n == (cut ? st->cap : want->text));
	CHECK(memcmp(ln->text.p, m->s + want->off, ln->text.n) == 0);
}

/* One lines_next(). Returns its status. */
static enum th_status step_next(struct state *st)
{
	uint64_t number = lines_number(st->l);
	uint64_t offset = lines_offset(st->l);
	struct th_line ln;
	enum th_status s = lines_next(st->l, &ln);
	if (s == TH_OK)
		check_line(st, &ln, number, offset);
	return s;
}

/* Bytes of the first K lines of window W (K <= lines in it). */
static size_t window_prefix(struct th_span w, size_t k)
{
	size_t at = 0;
	for (; k > 0 && at < w.n; k--) {
		const char *nl = memchr(w.p + at, '\n', w.n - at);
		at = nl ? (size_t)(nl - w.p) + 1 : w.n;
	}
	return at;
}

static size_t window_lines(struct th_span w)
{
	size_t k = 0;
	for (size_t at = 0; at < w.n; k++) {
		const char *nl = memchr(w.p + at, '\n', w.n - at);
		at = nl ? (size_t)(nl - w.p) + 1 : w.n;
	}
	return k;
}

static void check_window(struct state *st, struct th_span w)
{
	CHECK(w.n <= st->cap + 2);
	if (st->m == NULL)
		return;
	struct model *m = st->m;
	size_t start = model_off(m, m->i);
	CHECK(lines_offset(st->l) == start);
	CHECK(lines_number(st->l) == m->i + 1);
	CHECK(m->i < m->count);
	/* Empty exactly when the next line does not fit. */
	CHECK((w.n == 0) == (m->line[m->i].text > st->cap));
	CHECK(start + w.n <= m->n);
	CHECK(memcmp(w.p, m->s + start, w.n) == 0);
	size_t k = window_lines(w);
	CHECK(model_off(m, m->i + k) == start + w.n);
	for (size_t j = m->i; j < m->i + k; j++)
		CHECK(m->line[j].text <= st->cap);
}

/* One lines_window() and a lines_skip() of some of its lines. Sets
 * *MOVED when a line was consumed. */
static enum th_status step_window(struct state *st, bool *moved)
{
	struct th_span w;
	enum th_status s = lines_window(st->l, &w);
	*moved = false;
	if (s != TH_OK) {
		CHECK(w.n == 0);
		return s;
	}
	check_window(st, w);
	size_t total = window_lines(w);
	size_t k = rnd(&st->x) % (total + 1);
	size_t n = window_prefix(w, k);
	uint64_t number = lines_number(st->l);
	lines_skip(st->l, n);
	CHECK(lines_number(st->l) == number + k);
	if (st->m != NULL) {
		st->m->i += k;
		CHECK(lines_offset(st->l) == model_off(st->m, st->m->i));
	}
	*moved = k > 0;
	return s;
}

static void check_end(struct state *st, enum th_status s)
{
	if (st->m == NULL)
		return;
	struct model *m = st->m;
	CHECK(s == TH_EOF); /* a memfd does not fail */
	CHECK(m->i == m->count);
	CHECK(lines_number(st->l) == m->count + 1);
	CHECK(lines_offset(st->l) == m->n);
	uint64_t cut = 0;
	for (size_t j = 0; j < m->count; j++)
		cut += m->line[j].text > st->cap;
	/* Window lines are never long, so every long line went via next. */
	CHECK(lines_truncated(st->l) == cut);
}

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_lines", MFD_CLOEXEC);
	CHECK(fd >= 0);
	for (size_t done = 0; done < size;) {
		ssize_t w = write(fd, data + done, size - done);
		CHECK(w > 0);
		done += (size_t)w;
	}
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const uint8_t *s = data + 2;
	size_t n = size - 2;
	int fd = memfd_with(s, n);
	struct th_input *in = input_from_fd(fd, "fuzz");
	struct state st = {.cap = (size_t)data[0] + 1,
			   .x = 0x9e3779b9u ^ data[1] ^ ((uint32_t)size << 8)};
	st.l = lines_new(in, st.cap);
	struct model m;
	if (input_compression(in) == TH_COMPRESSION_NONE) {
		model_build(&m, s, n);
		st.m = &m;
	}
	enum th_status status = TH_OK;
	bool moved = true;
	while (status == TH_OK && lines_offset(st.l) <= DECODED_MAX) {
		/* After a window that consumed nothing, read a line, so the
		 * loop always moves on. */
		if (moved && (rnd(&st.x) & 1))
			status = step_window(&st, &moved);
		else {
			status = step_next(&st);
			moved = true;
		}
	}
	if (status != TH_OK)
		check_end(&st, status);
	if (st.m != NULL)
		free(m.line);
	lines_free(st.l);
	input_close(in);
	close(fd);
	return 0;
}
