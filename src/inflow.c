/* inflow.c - a decoder thread ahead of the reader. See inflow.h for the
 * contract.
 *
 * One producer, one consumer, a ring of INFLOW_SLOTS slots and one mutex.
 * The thread fills slot `made % INFLOW_SLOTS` and hands it over by
 * counting it in `made`; the reader copies out of slot `taken %
 * INFLOW_SLOTS` and gives it back by counting it in `taken`. A slot's
 * bytes and length are written only while it is the thread's and read
 * only while it is the reader's; the two counters, the end and the stop
 * flag are shared under the lock, which orders the rest.
 */
#include "inflow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heap.h"

/* Compressed bytes read from the descriptor at a time, as input.c reads
 * them when it decodes in its own thread. */
#define INFLOW_RAW_SIZE (64 * 1024)

/* A file smaller than this is decoded without warming the thread's heap
 * (heap.h): its few MiB of text decode in milliseconds, and the warming
 * cost more than it saved where such inputs come by the thousand (the
 * fuzzer's corpus took twice as long, docs/performance.md, "Huge
 * pages"). A pipe, whose size is unknown, is warmed for. */
#define INFLOW_WARM_MIN (1024 * 1024)

struct th_inflow {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t filled;	/* a slot was handed over, or the end came */
	pthread_cond_t emptied; /* a slot was given back, or stop was set */
	unsigned char *ring;	/* INFLOW_SLOTS * INFLOW_SLOT_SIZE bytes */
	size_t len[INFLOW_SLOTS];
	uint64_t made, taken; /* under the lock */
	enum th_status end;   /* under the lock: TH_OK while decoding */
	bool stop;	      /* under the lock: inflow_free wants the end */
	int wake;	      /* eventfd: inflow_free wakes a waiting read */
	char err[160];	      /* written before `end` is set */

	size_t pos; /* the reader's: bytes of slot `taken` copied out */

	/* the thread's alone */
	int fd;
	bool never_waits; /* reads return at once: a regular file, or a
			   * descriptor not open for reading (they fail) */
	bool warm; /* heap_warm first: not a file under INFLOW_WARM_MIN */
	struct th_codec *codec;
	unsigned char *raw; /* INFLOW_RAW_SIZE compressed bytes */
	size_t raw_len, raw_pos;
};

/* Records errno E's message (strerror is not safe from two threads at
 * once) and returns TH_ERR_IO. */
static enum th_status inflow_fail_io(struct th_inflow *f, int e)
{
	char buf[sizeof f->err];
	snprintf(f->err, sizeof f->err, "%s", strerror_r(e, buf, sizeof buf));
	return TH_ERR_IO;
}

/* Records the decoder's message and returns TH_ERR_CORRUPT. */
static enum th_status inflow_fail_codec(struct th_inflow *f)
{
	snprintf(f->err, sizeof f->err, "%s", codec_error(f->codec));
	return TH_ERR_CORRUPT;
}

/* Whether a read of F's descriptor would return without waiting. */
static bool inflow_readable_now(const struct th_inflow *f)
{
	struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
	return f->never_waits || poll(&pfd, 1, 0) != 0;
}

/* Waits until F's pipe has bytes (or its end, or an error) to read.
 * False when inflow_free woke the thread instead. */
static bool inflow_wait_readable(const struct th_inflow *f)
{
	struct pollfd pfd[2] = {{.fd = f->fd, .events = POLLIN},
				{.fd = f->wake, .events = POLLIN}};
	if (f->never_waits)
		return true;
	while (poll(pfd, 2, -1) < 0 && errno == EINTR)
		continue;
	return pfd[1].revents == 0;
}

/* Reads the next compressed chunk into raw, all of it decoded before.
 * Returns TH_OK; TH_EOF at the end of the data, or when stopped; or a
 * recorded TH_ERR_IO, or TH_ERR_CORRUPT when the data stops inside a
 * member. */
static enum th_status inflow_read_raw(struct th_inflow *f)
{
	ssize_t n;

	if (!inflow_wait_readable(f))
		return TH_EOF; /* stopped: nobody reads on */
	do
		n = read(f->fd, f->raw, INFLOW_RAW_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return inflow_fail_io(f, errno);
	f->raw_len = (size_t)n;
	f->raw_pos = 0;
	if (n > 0)
		return TH_OK;
	return codec_finish(f->codec) == TH_OK ? TH_EOF : inflow_fail_codec(f);
}

/* Wakes the reader for the slots already handed over: the thread is about
 * to wait for a pipe, and hands over no more for now. */
static void inflow_wake_reader(struct th_inflow *f)
{
	pthread_mutex_lock(&f->lock);
	pthread_cond_signal(&f->filled);
	pthread_mutex_unlock(&f->lock);
}

/* Decodes into SLOT until it is full, or the data ends or fails. Only
 * then is it handed over, even when a pipe keeps the rest waiting: the
 * slots of a file and of the same bytes on a pipe end at the same
 * places, whatever the timing. *LEN gets the bytes decoded, those before
 * an error included. Returns TH_OK to go on, else how the data ended. */
static enum th_status inflow_fill(struct th_inflow *f, unsigned char *slot,
				  size_t *len)
{
	struct th_codec_io io = {.out = slot, .out_cap = INFLOW_SLOT_SIZE};
	enum th_status st = TH_OK;

	while (st == TH_OK && io.out_pos < io.out_cap) {
		if (f->raw_pos == f->raw_len && !codec_pending(f->codec)) {
			if (!inflow_readable_now(f))
				inflow_wake_reader(f); /* before waiting */
			st = inflow_read_raw(f);
			if (st != TH_OK)
				break;
		}
		io.in = f->raw;
		io.in_len = f->raw_len;
		io.in_pos = f->raw_pos;
		st = codec_step(f->codec, &io);
		f->raw_pos = io.in_pos;
		if (st != TH_OK)
			st = inflow_fail_codec(f);
	}
	*len = io.out_pos;
	return st;
}

/* The next slot to fill, once the reader has given it back; NULL when
 * inflow_free wants the thread to end. */
static unsigned char *inflow_next_slot(struct th_inflow *f)
{
	pthread_mutex_lock(&f->lock);
	while (f->made - f->taken == INFLOW_SLOTS && !f->stop)
		pthread_cond_wait(&f->emptied, &f->lock);
	bool stop = f->stop;
	size_t i = (size_t)(f->made % INFLOW_SLOTS);
	pthread_mutex_unlock(&f->lock);
	return stop ? NULL : f->ring + i * INFLOW_SLOT_SIZE;
}

/* Hands the slot just filled (LEN bytes, none: nothing to hand) to the
 * reader, and with it the end ST unless ST is TH_OK. */
static void inflow_hand_over(struct th_inflow *f, size_t len, enum th_status st)
{
	pthread_mutex_lock(&f->lock);
	if (len > 0) {
		f->len[f->made % INFLOW_SLOTS] = len;
		f->made++;
	}
	if (st != TH_OK)
		f->end = st;
	/* a reader that drains the ring faster than it fills is woken with
	 * half of it ready, not at every slot: half the sleeps and wakes */
	if (st != TH_OK || f->made - f->taken >= INFLOW_SLOTS / 2)
		pthread_cond_signal(&f->filled);
	pthread_mutex_unlock(&f->lock);
}

/* The thread: fills slot after slot until the data ends or fails, or
 * inflow_free stops it. */
static void *inflow_main(void *arg)
{
	struct th_inflow *f = arg;
	enum th_status st = TH_OK;
	/* the decoder's state (a zstd window, bzip2's block arrays) is
	 * made here, on its first call (heap.h) */
	struct heap_pads pads = {NULL, NULL, false};
	if (f->warm)
		pads = heap_warm(NULL);

	while (st == TH_OK) {
		unsigned char *slot = inflow_next_slot(f);
		size_t len;
		if (slot == NULL)
			break;
		st = inflow_fill(f, slot, &len);
		inflow_hand_over(f, len, st);
	}
	heap_pads_free(&pads);
	return NULL;
}

/* N zeroed objects of SIZE bytes; aborts when there is no memory, as
 * codec.c does: diag.h's xcalloc would make the include graph deeper
 * than tests/check-layers.py allows. */
static void *inflow_alloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		abort();
	return p;
}

/* Frees what inflow_start made of F, all but the thread and the decoder. */
static void inflow_release(struct th_inflow *f)
{
	pthread_cond_destroy(&f->emptied);
	pthread_cond_destroy(&f->filled);
	pthread_mutex_destroy(&f->lock);
	close(f->wake);
	free(f->raw);
	free(f->ring);
	free(f);
}

/* Starts F's thread with every signal blocked in it, so that a signal
 * meant for the process (SIGINT ending --follow) reaches the threads that
 * wait for it. Returns whether it started. */
static bool inflow_spawn(struct th_inflow *f)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool ok = pthread_create(&f->thread, NULL, inflow_main, f) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

struct th_inflow *inflow_start(int fd, struct th_codec *codec,
			       const unsigned char *first, size_t n)
{
	struct stat st;
	struct th_inflow *f = inflow_alloc(1, sizeof *f);

	f->wake = eventfd(0, EFD_CLOEXEC);
	if (f->wake < 0) {
		free(f);
		return NULL;
	}
	f->fd = fd;
	bool file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	f->never_waits = file || (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY;
	f->warm = !file || st.st_size >= INFLOW_WARM_MIN;
	f->codec = codec;
	f->ring = inflow_alloc(INFLOW_SLOTS, INFLOW_SLOT_SIZE);
	f->raw = inflow_alloc(1, INFLOW_RAW_SIZE);
	memcpy(f->raw, first, n);
	f->raw_len = n;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->filled, NULL);
	pthread_cond_init(&f->emptied, NULL);
	if (!inflow_spawn(f)) {
		inflow_release(f);
		return NULL;
	}
	return f;
}

/* Waits until a slot is the reader's or the data has ended. Returns the
 * slots handed over so far (`taken` when it has ended), and the end in
 * *END. */
static uint64_t inflow_wait_filled(struct th_inflow *f, enum th_status *end)
{
	pthread_mutex_lock(&f->lock);
	while (f->made == f->taken && f->end == TH_OK)
		pthread_cond_wait(&f->filled, &f->lock);
	uint64_t made = f->made;
	*end = f->end;
	pthread_mutex_unlock(&f->lock);
	return made;
}

/* Gives the slot just copied out back to the thread. */
static void inflow_give_back(struct th_inflow *f)
{
	pthread_mutex_lock(&f->lock);
	f->taken++;
	pthread_cond_signal(&f->emptied);
	pthread_mutex_unlock(&f->lock);
}

enum th_status inflow_read(struct th_inflow *f, char *buf, size_t cap,
			   size_t *got)
{
	enum th_status end;
	uint64_t made = inflow_wait_filled(f, &end);

	*got = 0;
	if (made == f->taken)
		return end; /* every byte before it was read */
	/* one slot at most, never what happens to be ready past it: a file
	 * is then read in the same pieces whatever the timing, and its
	 * report cannot change from one run to the next */
	size_t i = (size_t)(f->taken % INFLOW_SLOTS);
	size_t left = f->len[i] - f->pos;
	size_t n = left < cap ? left : cap;
	memcpy(buf, f->ring + i * INFLOW_SLOT_SIZE + f->pos, n);
	*got = n;
	f->pos += n;
	if (f->pos == f->len[i]) {
		f->pos = 0;
		inflow_give_back(f);
	}
	return TH_OK;
}

const char *inflow_error(const struct th_inflow *f)
{
	return f->err;
}

void inflow_free(struct th_inflow *f)
{
	uint64_t one = 1;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->emptied);
	pthread_mutex_unlock(&f->lock);
	if (write(f->wake, &one, sizeof one) < 0)
		abort(); /* an eventfd's counter cannot overflow from 0 */
	pthread_join(f->thread, NULL);
	codec_free(f->codec);
	inflow_release(f);
}
