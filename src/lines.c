/* lines.c - split a byte stream into lines with one fixed-size buffer.
 * See lines.h for the contract and the long-line policy.
 *
 * The buffer holds CAPACITY + 2 bytes so that a line of exactly CAPACITY
 * bytes fits together with its "\r\n": the line can then be seen to end
 * and is delivered whole, and "longer than the capacity" means exactly
 * that. Bytes [pos, len) are buffered and not yet consumed; a refill moves
 * them (always part of one line) to the front and reads behind them.
 *
 * A plain file may instead be mapped: a refill then shows the next
 * CAPACITY + 2 bytes from the cursor (no copy through read()), so the
 * window, the long-line policy and every number are the same as with
 * reads. The file is mapped LINES_MAP_CHUNK bytes at a time, so memory
 * stays bounded however large the file.
 */
#include "lines.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Room after the capacity for the "\r\n" ending a line of full capacity. */
#define LINES_SLACK 2

struct th_lines {
	struct th_input *in;
	char *buf;   /* own, or the current map (none between maps) */
	char *own;   /* the buffer reads fill (NULL: none yet); lines_reset
			keeps it for the next input */
	size_t cap;  /* longest line delivered whole */
	size_t size; /* bytes in buf: cap + LINES_SLACK */
	size_t pos;  /* first byte not yet consumed */
	size_t len;  /* end of the buffered bytes */
	size_t window_end; /* end of the last window, bounds lines_skip */
	bool eof;	   /* the last read reached the end of the input */
	bool skipping;	   /* dropping the rest of a truncated line */
	bool growing;	   /* lines_set_growing: the end is not final */
	uint64_t number;   /* of the next line */
	uint64_t offset;   /* of the first byte not yet consumed */
	uint64_t truncated;
	/* mapped mode: buf points into map */
	bool mapped;
	int fd;
	uint64_t map_base, map_end; /* file offsets of offset 0 and the end */
	char *map;
	uint64_t map_from; /* file offset of map[0] */
	size_t map_len;
	char none[1]; /* buf between maps: never NULL, even for 0 bytes */
	/* buf[clean_from, clean_end) holds no escape byte, and
	 * buf[clean_end] is one when ESCAPE_AT_END: searched once for a
	 * stretch of lines, not line by line (lines_escape_free) */
	size_t clean_from, clean_end;
	bool escape_at_end;
	/* buf[0..len)'s last "\n" ends at LINES_END (0: none) when
	 * LINES_END_KNOWN: found once between reads, where every window of a
	 * busy log asked memrchr again (docs/performance.md) */
	size_t lines_end;
	bool lines_end_known;
};

/* Points L at the start of IN, with OWN (NULL: none yet) as the buffer
 * for CAPACITY; aborts on out-of-memory. */
static void lines_start(struct th_lines *l, struct th_input *in,
			size_t capacity, char *own)
{
	assert(capacity >= 1 && capacity <= SIZE_MAX - LINES_SLACK);
	*l = (struct th_lines){
	    .in = in,
	    .cap = capacity,
	    .size = capacity + LINES_SLACK,
	    .number = 1,
	    .own = own,
	};
	l->mapped = input_mappable(in, &l->fd, &l->map_base, &l->map_end);
	if (l->mapped) {
		l->buf = l->none; /* the windows are maps */
		return;
	}
	if (l->own == NULL)
		l->own = malloc(l->size);
	if (l->own == NULL)
		abort();
	l->buf = l->own;
}

/* Returns a reader over IN; aborts on out-of-memory. */
struct th_lines *lines_new(struct th_input *in, size_t capacity)
{
	struct th_lines *l = malloc(sizeof *l);
	if (l == NULL)
		abort();
	lines_start(l, in, capacity, NULL);
	return l;
}

void lines_reset(struct th_lines *l, struct th_input *in)
{
	if (l->map != NULL)
		munmap(l->map, l->map_len);
	lines_start(l, in, l->cap, l->own);
}

/* Frees L (not its input). Accepts NULL. */
void lines_free(struct th_lines *l)
{
	if (l == NULL)
		return;
	if (l->map != NULL)
		munmap(l->map, l->map_len);
	free(l->own);
	free(l);
}

/* Moves the unconsumed bytes to the front and reads once behind them.
 * Returns TH_OK (bytes added), TH_EOF (sets eof) or the input's error;
 * a failure leaves the buffered bytes in place. The caller makes sure
 * there is room, i.e. the buffer is not full. */
static enum th_status lines_fill_mapped(struct th_lines *l);

static enum th_status lines_fill(struct th_lines *l)
{
	size_t got;
	enum th_status st;

	l->clean_from = l->clean_end = 0; /* the bytes move: search again */
	l->escape_at_end = false;
	l->lines_end_known = false;
	if (l->mapped)
		return lines_fill_mapped(l);
	if (l->pos > 0) {
		memmove(l->buf, l->buf + l->pos, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
	}
	assert(l->len < l->size);
	st = input_read(l->in, l->buf + l->len, l->size - l->len, &got);
	l->len += got;
	if (st == TH_OK)
		l->eof = false;
	else if (st == TH_EOF)
		l->eof = true;
	return st;
}

/* Bytes mapped at once in mapped mode (a multiple of any page size):
 * windows move inside one map without a system call, and unmapping (a
 * TLB shootdown on every core running another thread of the process) is
 * rarer. The pages read stay resident while mapped, so this bounds the
 * extra resident memory per reader. */
#define LINES_MAP_CHUNK ((uint64_t)8 << 20)

/* Mapped mode's refill: shows the bytes at the cursor and up to SIZE
 * after it, from the current map when it holds them, else from a new map
 * of the file from the page holding the cursor. Returns TH_OK when that
 * shows more bytes than before, TH_EOF at the end of the file, TH_ERR_IO
 * when the map fails (the window is then empty). */
static enum th_status lines_fill_mapped(struct th_lines *l)
{
	/* sysconf is cheap next to a map; a static set lazily would be
	 * written by several threads at once (harmless, but a data race) */
	long page = sysconf(_SC_PAGESIZE);
	uint64_t at = l->map_base + l->offset;
	size_t before = l->len - l->pos;
	size_t avail =
	    l->map_end - at < l->size ? (size_t)(l->map_end - at) : l->size;
	l->buf = l->none;
	l->pos = l->len = 0;
	if (avail == 0) {
		if (l->map != NULL)
			munmap(l->map, l->map_len);
		l->map = NULL;
		l->eof = true;
		return TH_EOF;
	}
	if (l->map == NULL || at < l->map_from ||
	    at + avail > l->map_from + l->map_len) {
		if (l->map != NULL)
			munmap(l->map, l->map_len);
		uint64_t from = at - at % (uint64_t)page;
		uint64_t len = (at - from) + avail;
		if (len < LINES_MAP_CHUNK)
			len = LINES_MAP_CHUNK;
		if (len > l->map_end - from)
			len = l->map_end - from;
		l->map_from = from;
		l->map_len = (size_t)len;
		l->map = mmap(NULL, l->map_len, PROT_READ, MAP_PRIVATE, l->fd,
			      (off_t)from);
		if (l->map == MAP_FAILED) {
			l->map = NULL;
			return TH_ERR_IO;
		}
	}
	l->buf = l->map + (at - l->map_from);
	l->len = avail;
	l->eof = at + avail == l->map_end;
	return avail > before ? TH_OK : TH_EOF;
}

/* Consumes N bytes at the cursor. */
static void lines_consume(struct th_lines *l, size_t n)
{
	l->pos += n;
	l->offset += n;
}

/* Drops the rest of a truncated line, up to and including its newline.
 * Returns TH_OK when done, TH_EOF when the input ended inside it, or the
 * input's error (skipping then resumes on the next call). */
static enum th_status lines_finish_skip(struct th_lines *l)
{
	while (l->skipping) {
		const char *p = l->buf + l->pos;
		const char *nl = memchr(p, '\n', l->len - l->pos);
		enum th_status st;

		if (nl != NULL) {
			lines_consume(l, (size_t)(nl - p) + 1);
			l->skipping = false;
			break;
		}
		lines_consume(l, l->len - l->pos);
		st = lines_fill(l);
		if (st == TH_EOF && !l->growing)
			l->skipping = false;
		if (st != TH_OK)
			return st;
	}
	return TH_OK;
}

/* True when buf[FROM, FROM + N) holds no escape byte. A miss searches
 * from FROM on, up to LIMIT (at least FROM + N) at once, so a log
 * without escapes is searched once a fill, and one with an escape on
 * every line no more than line by line. */
static bool lines_escape_free_to(struct th_lines *l, size_t from, size_t n,
				 size_t limit)
{
	bool known = from >= l->clean_from && from <= l->clean_end;
	if (known && (from + n <= l->clean_end || l->escape_at_end))
		return from + n <= l->clean_end;
	size_t start = known ? l->clean_end : from;
	const char *esc = memchr(l->buf + start, '\x1b', limit - start);
	l->clean_from = known ? l->clean_from : from;
	l->clean_end = esc != NULL ? (size_t)(esc - l->buf) : limit;
	l->escape_at_end = esc != NULL;
	return from + n <= l->clean_end;
}

/* lines_escape_free_to up to the end of the buffered bytes. */
static bool lines_escape_free(struct th_lines *l, size_t from, size_t n)
{
	return lines_escape_free_to(l, from, n, l->len);
}

size_t lines_window_escape_free(struct th_lines *l)
{
	return lines_window_escape_free_at(l, 0);
}

/* How far lines_window_escape_free_at looks: a reader asks it where it
 * starts reading lines, which in a log with few events is a few lines
 * before it skips again, and the rest of a 1 MiB fill searched each
 * time was 3.5 % of what a Docker log cost (docs/performance.md). */
#define LINES_ESCAPE_AHEAD ((size_t)16 << 10)

size_t lines_window_escape_free_at(struct th_lines *l, size_t at)
{
	size_t from = l->pos + at;
	assert(from <= l->window_end);
	size_t n = l->window_end - from;
	if (n > LINES_ESCAPE_AHEAD)
		n = LINES_ESCAPE_AHEAD;
	lines_escape_free_to(l, from, n, from + n);
	/* FROM is in the stretch known now, which ends at an escape, where
	 * the search stopped or further */
	return (l->clean_end < l->window_end ? l->clean_end : l->window_end) -
	       from;
}

bool lines_window_span_escape_free(struct th_lines *l, size_t at, size_t n)
{
	assert(l->pos + at + n <= l->window_end);
	return lines_escape_free(l, l->pos + at, n);
}

/* Delivers the line at the cursor, whose text is N bytes (its terminator
 * excluded), and consumes USED bytes. A text over the capacity is cut to
 * it and counted. */
static inline void lines_take(struct th_lines *l, struct th_line *out, size_t n,
			      size_t used)
{
	out->text.p = l->buf + l->pos;
	out->truncated = n > l->cap;
	out->text.n = out->truncated ? l->cap : n;
	out->number = l->number++;
	out->offset = l->offset;
	out->escape_free = lines_escape_free(l, l->pos, out->text.n);
	l->truncated += out->truncated;
	lines_consume(l, used);
}

/* Returns the text length of a line of N bytes before its "\n" at P[N]:
 * the "\r" of a "\r\n" is not text. */
static size_t lines_text_len(const char *p, size_t n)
{
	return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

/* See lines.h. On an error nothing is consumed, except that the rest of a
 * truncated line may have been partly skipped. */
enum th_status lines_next(struct th_lines *l, struct th_line *out)
{
	size_t seen = 0; /* bytes after the cursor known to hold no "\n" */
	enum th_status st;

	if (l->skipping && (st = lines_finish_skip(l)) != TH_OK)
		return st;
	for (;;) {
		const char *p = l->buf + l->pos;
		size_t avail = l->len - l->pos;
		const char *nl = memchr(p + seen, '\n', avail - seen);

		if (nl != NULL) {
			size_t n = (size_t)(nl - p);

			lines_take(l, out, lines_text_len(p, n), n + 1);
			return TH_OK;
		}
		if (l->eof && !l->growing && avail > 0) { /* unterminated */
			lines_take(l, out, avail, avail);
			return TH_OK;
		}
		if (avail == l->size) { /* longer than the capacity */
			lines_take(l, out, avail, l->cap);
			l->skipping = true;
			return TH_OK;
		}
		seen = avail;
		st = lines_fill(l);
		if (st == TH_EOF && l->pos < l->len && !l->growing)
			continue;
		if (st != TH_OK)
			return st;
	}
}

/* Returns true if the window of N bytes at P, which ends with "\n", starts
 * with a line too long to deliver whole. Only a line filling the whole
 * buffer can be (cap + 1 text bytes and "\n"), so most calls return at
 * once. */
static bool lines_first_too_long(const struct th_lines *l, const char *p,
				 size_t n)
{
	const char *nl;

	if (n < l->size)
		return false;
	nl = memchr(p, '\n', n);
	return lines_text_len(p, (size_t)(nl - p)) > l->cap;
}

/* Returns how many bytes at the cursor form whole lines a window may show:
 * up to the last "\n", plus at end of input an unterminated last line that
 * fits the capacity. 0 if none. */
static size_t lines_whole(struct th_lines *l)
{
	const char *p = l->buf + l->pos;
	size_t avail = l->len - l->pos;
	if (!l->lines_end_known) {
		const char *nl = memrchr(p, '\n', avail);
		l->lines_end = nl != NULL ? (size_t)(nl - l->buf) + 1 : 0;
		l->lines_end_known = true;
	}
	size_t n = l->lines_end > l->pos ? l->lines_end - l->pos : 0;

	if (n > 0 && lines_first_too_long(l, p, n))
		return 0;
	if (l->eof && !l->growing && avail - n <= l->cap)
		n = avail;
	return n;
}

/* See lines.h. On an error the window is empty and nothing is consumed. */
enum th_status lines_window(struct th_lines *l, struct th_span *window)
{
	enum th_status st = l->skipping ? lines_finish_skip(l) : TH_OK;

	window->n = 0;
	window->p = l->buf + l->pos;
	l->window_end = l->pos;
	if (st != TH_OK)
		return st;
	for (;;) {
		size_t n = lines_whole(l);
		size_t avail = l->len - l->pos;

		if (n > 0 || avail == l->size ||
		    (l->eof && !l->growing && avail > 0)) {
			/* n == 0 here: a line too long for a window */
			window->p = l->buf + l->pos;
			window->n = n;
			l->window_end = l->pos + n;
			return TH_OK;
		}
		st = lines_fill(l);
		if (st == TH_EOF && l->pos < l->len && !l->growing)
			continue;
		if (st != TH_OK)
			return st;
	}
}

void lines_set_growing(struct th_lines *l, bool growing)
{
	l->growing = growing;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* The same, 32 bytes at a time with AVX2 where the processor has it: the
 * count runs over every byte the fast path skips. */
__attribute__((target("avx2"))) static uint64_t
lines_count_newlines_avx2(const char *p, size_t n)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	uint64_t count = 0;

	while (n >= 32) {
		size_t blocks = n / 32 < 255 ? n / 32 : 255;
		__m256i acc = _mm256_setzero_si256();

		for (size_t i = 0; i < blocks; i++, p += 32) {
			__m256i v = _mm256_loadu_si256((const void *)p);

			acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(v, nl));
		}
		acc = _mm256_sad_epu8(acc, _mm256_setzero_si256());
		count += (uint64_t)_mm256_extract_epi64(acc, 0) +
			 (uint64_t)_mm256_extract_epi64(acc, 1) +
			 (uint64_t)_mm256_extract_epi64(acc, 2) +
			 (uint64_t)_mm256_extract_epi64(acc, 3);
		n -= blocks * 32;
	}
	for (; n > 0; n--)
		count += *p++ == '\n';
	return count;
}
#endif

#if defined(__SSE2__)
/* Returns the number of "\n" in the N bytes at P, 16 at a time: each
 * compare gives -1 per "\n" byte, subtracted into byte counters that are
 * summed (psadbw) every 255 blocks, before one can overflow. About 10 GB/s
 * whatever the line length, where a memchr() per line falls behind on the
 * short lines of logs. */
static uint64_t lines_count_newlines_sse2(const char *p, size_t n)
{
	const __m128i nl = _mm_set1_epi8('\n');
	uint64_t count = 0;

	while (n >= 16) {
		size_t blocks = n / 16 < 255 ? n / 16 : 255;
		__m128i acc = _mm_setzero_si128();

		for (size_t i = 0; i < blocks; i++, p += 16) {
			__m128i v = _mm_loadu_si128((const void *)p);

			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl));
		}
		acc = _mm_sad_epu8(acc, _mm_setzero_si128());
		count += (uint64_t)_mm_cvtsi128_si32(acc) +
			 (uint64_t)_mm_extract_epi16(acc, 4);
		n -= blocks * 16;
	}
	for (; n > 0; n--)
		count += *p++ == '\n';
	return count;
}

/* Returns the number of "\n" in the N bytes at P. */
static uint64_t lines_count_newlines(const char *p, size_t n)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx2"))
		return lines_count_newlines_avx2(p, n);
#endif
	return lines_count_newlines_sse2(p, n);
}
#else
/* Returns the number of "\n" in the N bytes at P. */
static uint64_t lines_count_newlines(const char *p, size_t n)
{
	const char *end = p + n;
	uint64_t count = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		count++;
		p++;
	}
	return count;
}
#endif

/* See lines.h. N may be 0; otherwise it must end just after a "\n" of the
 * window or at its end (where the last line may be unterminated). */
void lines_skip(struct th_lines *l, size_t n)
{
	lines_skip_counted(l, n, UINT64_MAX);
}

void lines_skip_counted(struct th_lines *l, size_t n, uint64_t newlines)
{
	const char *p = l->buf + l->pos;
	uint64_t lines;

	if (n == 0)
		return;
	assert(l->pos + n <= l->window_end);
	assert(p[n - 1] == '\n' || l->pos + n == l->window_end);
	lines = newlines != UINT64_MAX ? newlines : lines_count_newlines(p, n);
	if (p[n - 1] != '\n')
		lines++; /* the last line of the input, unterminated */
	l->number += lines;
	lines_consume(l, n);
}

uint64_t lines_number(const struct th_lines *l)
{
	return l->number;
}

uint64_t lines_offset(const struct th_lines *l)
{
	return l->offset;
}

uint64_t lines_truncated(const struct th_lines *l)
{
	return l->truncated;
}
