/* spill.c - runs of records in unlinked temporary files; see spill.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_TMPFILE */
#endif
#include "spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

/* stdio buffer of a run: TH_SPILL_FANIN of them are open during a merge. */
#define SPILL_IO_BUF (64 * 1024)

struct th_spill_run {
	FILE *f;
	char *io;	    /* its stdio buffer */
	unsigned char *rec; /* the record spill_run_get read last */
	size_t rec_cap;
	uint64_t count;
	bool reading;
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

struct th_spill_run *spill_run_new(const char *dir)
{
	int fd = spill_open(dir);
	if (fd < 0)
		die("a temporary file in %s: %s", dir, strerror(errno));
	struct th_spill_run *r = xcalloc(1, sizeof *r);
	r->f = fdopen(fd, "w+b");
	if (r->f == NULL)
		die("a temporary file in %s: %s", dir, strerror(errno));
	r->io = xmalloc(SPILL_IO_BUF);
	setvbuf(r->f, r->io, _IOFBF, SPILL_IO_BUF);
	return r;
}

/* Dies naming what failed on a run's file. */
static noreturn void spill_fail(const char *what)
{
	die("temporary file: %s: %s", what,
	    errno ? strerror(errno) : "unexpected end");
}

void spill_run_put(struct th_spill_run *r, const void *p, size_t n)
{
	if (r->reading)
		die("spill_run_put: the run is being read");
	unsigned char len[10];
	size_t k = spill_varint_encode(len, n);
	errno = 0;
	if (fwrite(len, 1, k, r->f) != k || fwrite(p, 1, n, r->f) != n)
		spill_fail("writing");
	r->count++;
}

uint64_t spill_run_count(const struct th_spill_run *r)
{
	return r->count;
}

void spill_run_rewind(struct th_spill_run *r)
{
	errno = 0;
	if (fflush(r->f) != 0 || fseeko(r->f, 0, SEEK_SET) != 0)
		spill_fail("writing");
	r->reading = true;
}

bool spill_run_get(struct th_spill_run *r, const void **p, size_t *n)
{
	if (!r->reading)
		die("spill_run_get: the run was not rewound");
	uint64_t len = 0;
	errno = 0;
	for (unsigned shift = 0;; shift += 7) {
		int c = getc(r->f);
		if (c == EOF) {
			if (shift == 0 && !ferror(r->f))
				return false;
			spill_fail("reading");
		}
		if (shift > 63)
			die("temporary file: a record length is corrupt");
		len |= (uint64_t)(c & 0x7F) << shift;
		if ((c & 0x80) == 0)
			break;
	}
	if (len > r->rec_cap) {
		r->rec_cap = len;
		r->rec = xrealloc(r->rec, r->rec_cap);
	}
	if (len > 0 && fread(r->rec, 1, len, r->f) != len)
		spill_fail("reading");
	*p = r->rec;
	*n = len;
	return true;
}

void spill_run_free(struct th_spill_run *r)
{
	if (r == NULL)
		return;
	fclose(r->f);
	free(r->io);
	free(r->rec);
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
