/* spill.c - runs of records in unlinked temporary files; see spill.h.
 *
 * The runs of a file lie one after another in it: [start, start + len).
 * A run buffers SPILL_IO_BUF bytes while it is written and while it is
 * read, and holds no buffer in between: a run waiting to be merged costs
 * a few words, however many there are.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_TMPFILE, fallocate */
#endif
#include "spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

/* Buffer of a run being written or read: TH_SPILL_FANIN of them are in
 * use during a merge. */
#define SPILL_IO_BUF (64 * 1024)

struct th_spill_file {
	int fd;
	uint64_t end;		      /* of the last run ended */
	struct th_spill_run *writing; /* the run being written, or NULL */
	size_t live;		      /* runs not freed */
};

struct th_spill_run {
	struct th_spill_file *file;
	uint64_t start, len; /* its bytes in the file (written so far) */
	uint64_t count;
	bool reading;
	/* writing: [0, fill) wait to be written at start + len; reading:
	 * [pos, fill) were read from the file, up to start + read_at */
	unsigned char *buf;
	size_t pos, fill;
	uint64_t read_at;
	unsigned char *rec; /* a record longer than the buffer */
	size_t rec_cap;
};

size_t spill_varint_encode(unsigned char *out, uint64_t v)
{
	size_t k = 0;
	do {
		out[k++] = (unsigned char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return k;
}

/* An unlinked file under DIR open for reading and writing, or -1. */
static int spill_open(const char *dir)
{
#ifdef O_TMPFILE
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
		/* EOPNOTSUPP, EISDIR...: a file system without it; mkstemp then
		 */
#endif
	size_t n = strlen(dir) + sizeof "/tracehound-spill-XXXXXX";
	char *path = xmalloc(n);
	snprintf(path, n, "%s/tracehound-spill-XXXXXX", dir);
	int fd2 = mkostemp(path, O_CLOEXEC);
	if (fd2 >= 0 && unlink(path) != 0) {
		int e = errno;
		close(fd2);
		errno = e;
		fd2 = -1;
	}
	free(path);
	return fd2;
}

struct th_spill_file *spill_file_new(const char *dir)
{
	int fd = spill_open(dir);
	if (fd < 0)
		die("a temporary file in %s: %s", dir, strerror(errno));
	struct th_spill_file *f = xcalloc(1, sizeof *f);
	f->fd = fd;
	return f;
}

void spill_file_free(struct th_spill_file *f)
{
	if (f == NULL)
		return;
	if (f->live > 0)
		die("spill_file_free: %zu runs are still open", f->live);
	close(f->fd);
	free(f);
}

/* Dies naming what failed on a run's file. */
static noreturn void spill_fail(const char *what)
{
	die("temporary file: %s: %s", what,
	    errno ? strerror(errno) : "unexpected end");
}

/* Writes N bytes at P to FD at offset AT, all of them. */
static void write_all(int fd, const unsigned char *p, size_t n, uint64_t at)
{
	while (n > 0) {
		errno = 0;
		ssize_t k = pwrite(fd, p, n, (off_t)at);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			spill_fail("writing");
		}
		p += k;
		n -= (size_t)k;
		at += (uint64_t)k;
	}
}

/* Writes R's buffered bytes to its file. */
static void run_flush(struct th_spill_run *r)
{
	write_all(r->file->fd, r->buf, r->fill, r->start + r->len);
	r->len += r->fill;
	r->fill = 0;
}

/* Ends writing R for good, if it is being written: the next run of its
 * file starts after it. */
static void run_end_writing(struct th_spill_run *r)
{
	if (r->file->writing != r)
		return;
	run_flush(r);
	free(r->buf);
	r->buf = NULL;
	r->file->end = r->start + r->len;
	r->file->writing = NULL;
}

struct th_spill_run *spill_run_new(struct th_spill_file *f)
{
	if (f->writing != NULL)
		run_end_writing(f->writing);
	struct th_spill_run *r = xcalloc(1, sizeof *r);
	r->file = f;
	r->start = f->end;
	r->buf = xmalloc(SPILL_IO_BUF);
	f->writing = r;
	f->live++;
	return r;
}

/* Appends N bytes at P to R, through its buffer. */
static void run_write(struct th_spill_run *r, const void *p, size_t n)
{
	if (n > SPILL_IO_BUF - r->fill)
		run_flush(r);
	if (n >= SPILL_IO_BUF) {
		write_all(r->file->fd, p, n, r->start + r->len);
		r->len += n;
		return;
	}
	memcpy(r->buf + r->fill, p, n);
	r->fill += n;
}

void spill_run_put(struct th_spill_run *r, const void *p, size_t n)
{
	if (r->file->writing != r)
		die("spill_run_put: the run was ended");
	unsigned char len[SPILL_VARINT_MAX];
	run_write(r, len, spill_varint_encode(len, n));
	run_write(r, p, n);
	r->count++;
}

uint64_t spill_run_count(const struct th_spill_run *r)
{
	return r->count;
}

void spill_run_rewind(struct th_spill_run *r)
{
	run_end_writing(r);
	r->reading = true;
	r->pos = r->fill = 0;
	r->read_at = 0;
}

/* Reads from R's file into OUT up to N bytes of the run, at most what is
 * left; returns how many. */
static size_t run_read(struct th_spill_run *r, unsigned char *out, size_t n)
{
	uint64_t left = r->len - r->read_at;
	size_t want = n < left ? n : (size_t)left;
	size_t got = 0;
	while (got < want) {
		errno = 0;
		ssize_t k = pread(r->file->fd, out + got, want - got,
				  (off_t)(r->start + r->read_at));
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			spill_fail("reading");
		}
		got += (size_t)k;
		r->read_at += (uint64_t)k;
	}
	return got;
}

/* Makes at least N bytes (when the run has them) wait in R's buffer;
 * returns how many wait. N is at most SPILL_IO_BUF. */
static size_t run_have(struct th_spill_run *r, size_t n)
{
	if (r->buf == NULL)
		r->buf = xmalloc(SPILL_IO_BUF);
	if (r->fill - r->pos < n) {
		memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
		r->fill -= r->pos;
		r->pos = 0;
		r->fill +=
		    run_read(r, r->buf + r->fill, SPILL_IO_BUF - r->fill);
	}
	return r->fill - r->pos;
}

/* The length before R's next record; false at the end of the run. */
static bool run_get_len(struct th_spill_run *r, uint64_t *len)
{
	size_t have = run_have(r, SPILL_VARINT_MAX);
	if (have == 0)
		return false;
	*len = 0;
	for (unsigned k = 0;; k++) {
		if (k == have || k == SPILL_VARINT_MAX)
			die("temporary file: a record length is corrupt");
		unsigned char c = r->buf[r->pos + k];
		*len |= (uint64_t)(c & 0x7F) << (7 * k);
		if ((c & 0x80) == 0) {
			r->pos += k + 1;
			return true;
		}
	}
}

/* Frees R's buffers: it is read to its end, or freed. */
static void run_drop_buffers(struct th_spill_run *r)
{
	free(r->buf);
	free(r->rec);
	r->buf = r->rec = NULL;
	r->rec_cap = r->pos = r->fill = 0;
}

bool spill_run_get(struct th_spill_run *r, const void **p, size_t *n)
{
	if (!r->reading)
		die("spill_run_get: the run was not rewound");
	uint64_t len;
	if (!run_get_len(r, &len)) {
		run_drop_buffers(r);
		return false;
	}
	if (len > r->len)
		die("temporary file: a record length is corrupt");
	if (len <= SPILL_IO_BUF) {
		if (run_have(r, (size_t)len) < len)
			spill_fail("reading");
		*p = r->buf + r->pos;
		r->pos += (size_t)len;
	} else { /* longer than the buffer: what waits, then the rest */
		if (len > r->rec_cap) {
			r->rec_cap = (size_t)len;
			r->rec = xrealloc(r->rec, r->rec_cap);
		}
		size_t waiting = r->fill - r->pos;
		memcpy(r->rec, r->buf + r->pos, waiting);
		r->pos = r->fill = 0;
		if (run_read(r, r->rec + waiting, (size_t)len - waiting) <
		    (size_t)len - waiting)
			spill_fail("reading");
		*p = r->rec;
	}
	*n = (size_t)len;
	return true;
}

/* Gives the bytes of a freed run back to the file system: a hole where
 * the file system makes one, else the whole file once no run is left. */
static void file_release(struct th_spill_file *f, uint64_t start, uint64_t len)
{
	if (f->live == 0) {
		f->end = 0;
		if (ftruncate(f->fd, 0) != 0)
			spill_fail("truncating");
		return;
	}
#ifdef FALLOC_FL_PUNCH_HOLE
	if (len > 0)
		(void)fallocate(f->fd,
				FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				(off_t)start, (off_t)len);
#else
	(void)start;
	(void)len;
#endif
}

void spill_run_free(struct th_spill_run *r)
{
	if (r == NULL)
		return;
	struct th_spill_file *f = r->file;
	if (f->writing == r) { /* its bytes go: the next run starts here */
		f->writing = NULL;
		f->end = r->start;
	}
	f->live--;
	file_release(f, r->start, r->len);
	run_drop_buffers(r);
	free(r);
}

/* ---- merge -------------------------------------------------------------- */

struct head {
	const void *p; /* the run's current record */
	size_t n;
	size_t run;
};

struct th_spill_merge {
	struct th_spill_run **runs;
	size_t n_runs;
	struct head *heap; /* min-heap of the runs with a record left */
	size_t n_heap;
	th_spill_cmp cmp;
	void *ctx;
	bool popped; /* heap[0]'s record was handed out: advance it first */
};

/* True when head X comes out before Y: by CMP, then by run. */
static bool head_before(const struct th_spill_merge *m, const struct head *x,
			const struct head *y)
{
	int c = m->cmp(x->p, x->n, y->p, y->n, m->ctx);
	return c != 0 ? c < 0 : x->run < y->run;
}

static void sift_down(struct th_spill_merge *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;
		if (l < m->n_heap && head_before(m, &m->heap[l], &m->heap[min]))
			min = l;
		if (r < m->n_heap && head_before(m, &m->heap[r], &m->heap[min]))
			min = r;
		if (min == i)
			return;
		struct head t = m->heap[i];
		m->heap[i] = m->heap[min];
		m->heap[min] = t;
		i = min;
	}
}

struct th_spill_merge *spill_merge_new(struct th_spill_run **runs, size_t n,
				       th_spill_cmp cmp, void *ctx)
{
	if (n > TH_SPILL_FANIN)
		die("spill_merge_new: %zu runs (at most %d)", n,
		    TH_SPILL_FANIN);
	struct th_spill_merge *m = xcalloc(1, sizeof *m);
	m->runs = xcalloc(n ? n : 1, sizeof *m->runs);
	m->heap = xcalloc(n ? n : 1, sizeof *m->heap);
	m->n_runs = n;
	m->cmp = cmp;
	m->ctx = ctx;
	for (size_t i = 0; i < n; i++) {
		m->runs[i] = runs[i];
		spill_run_rewind(runs[i]);
		struct head h = {.run = i};
		if (spill_run_get(runs[i], &h.p, &h.n))
			m->heap[m->n_heap++] = h;
	}
	for (size_t i = m->n_heap / 2; i-- > 0;)
		sift_down(m, i);
	return m;
}

bool spill_merge_next(struct th_spill_merge *m, const void **p, size_t *n)
{
	if (m->popped) {
		/* the record handed out last is used up: its run moves on */
		struct head *top = &m->heap[0];
		if (!spill_run_get(m->runs[top->run], &top->p, &top->n))
			m->heap[0] = m->heap[--m->n_heap];
		sift_down(m, 0);
		m->popped = false;
	}
	if (m->n_heap == 0)
		return false;
	*p = m->heap[0].p;
	*n = m->heap[0].n;
	m->popped = true;
	return true;
}

void spill_merge_free(struct th_spill_merge *m)
{
	if (m == NULL)
		return;
	free(m->runs);
	free(m->heap);
	free(m);
}

/* ---- records ------------------------------------------------------------ */

const void *spill_get_span(struct th_spill_reader *r, size_t n)
{
	if (n > (size_t)(r->end - r->p))
		die("spill: a record is shorter than its reader expects");
	const void *p = r->p;
	r->p += n;
	return p;
}

void spill_get_bytes(struct th_spill_reader *r, void *out, size_t n)
{
	const void *p = spill_get_span(r, n);
	if (n > 0)
		memcpy(out, p, n);
}

uint64_t spill_get_u64(struct th_spill_reader *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0;; shift += 7) {
		if (r->p == r->end || shift > 63)
			die("spill: a record's number is corrupt");
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7F) << shift;
		if ((c & 0x80) == 0)
			return v;
	}
}

const char *spill_get_str(struct th_spill_reader *r)
{
	const unsigned char *nul = memchr(r->p, '\0', (size_t)(r->end - r->p));
	if (nul == NULL)
		die("spill: a record's string is not terminated");
	const char *s = (const char *)r->p;
	r->p = nul + 1;
	return s;
}
