/* lines.h - split a byte stream into lines with one fixed-size buffer.
 *
 * Owns:        its buffer (capacity given to lines_new; tests pass tiny ones),
 *              kept across lines_reset.
 * Borrows:     the input, which must outlive it.
 * Caller owns: nothing: a struct th_line and a window point into the buffer
 *              and are valid only until the next call on the same lines.
 * Errors:      returns TH_ERR_IO / TH_ERR_CORRUPT from the input; never prints.
 *
 * Long-line policy: a line longer than the capacity is delivered once, cut
 * to the first CAPACITY bytes and flagged truncated; the rest of it, up to
 * its newline, is skipped and counted in lines_truncated(). A line's length
 * is its text: "\n" and the "\r" of a "\r\n" do not count (the buffer
 * holds CAPACITY + 2 bytes so such a line is seen whole). A "\r" not
 * before "\n" is text; so is a NUL byte.
 *
 * Two ways to consume: lines_next() one line at a time, or the fast path:
 * lines_window() shows every complete line already buffered, the caller
 * searches it, and lines_skip() consumes whole lines from its front. The
 * two mix freely: numbers and offsets stay right.
 */
#ifndef TH_LINES_H
#define TH_LINES_H

#include "input.h"
#include "th.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct th_lines;

/* CAPACITY is at least 1: the longest line kept whole. Aborts on
 * out-of-memory. */
struct th_lines *lines_new(struct th_input *in, size_t capacity);
void lines_free(struct th_lines *l);

/* Points L at IN, from its start, as lines_new(IN, L's capacity) would,
 * but keeping L's buffer: the memory a new one takes is touched afresh,
 * a page fault a page (docs/performance.md). L's old input may be closed
 * already; what L showed of it is no longer valid. */
void lines_reset(struct th_lines *l, struct th_input *in);

/* The next line: TH_OK, TH_EOF, or an input error. A last line without a
 * newline is still a line; an empty input has none. */
enum th_status lines_next(struct th_lines *l, struct th_line *out);

/* The complete lines buffered from the current position (ending with their
 * "\n", the last one possibly without it at end of input), reading more
 * when none is buffered. Returns TH_EOF when the stream is done. TH_OK with
 * an empty window means the next line is longer than the capacity: call
 * lines_next() for it (a window never shows a line lines_next would cut).
 * On an error the window is empty and nothing is consumed. */
enum th_status lines_window(struct th_lines *l, struct th_span *window);

/* How many bytes from the start of the current window are known to hold
 * no escape byte (0x1b): the lines that end within them need no search
 * for an ANSI sequence. At most the window's length; it searches some
 * KiB ahead, not the whole window, so it may stop short of the first
 * escape (ask again from there). */
size_t lines_window_escape_free(struct th_lines *l);
/* The same from AT bytes into the current window (at most its length):
 * a cursor that reads a window without consuming it asks again past an
 * escape or past where the last answer stopped. */
size_t lines_window_escape_free_at(struct th_lines *l, size_t at);
/* Whether the N bytes AT bytes into the current window hold no escape
 * byte: the same answer for a line of the window that lines_next would
 * give in its escape_free, searched as lazily. */
bool lines_window_span_escape_free(struct th_lines *l, size_t at, size_t n);

/* Consumes the first N bytes of the current window; N must end just after a
 * "\n" of the window, or at the window's end. Counts the lines skipped. May
 * be called again on what is left of the same window. */
void lines_skip(struct th_lines *l, size_t n);
/* lines_skip when the caller counted the "\n" bytes among the N already
 * (NEWLINES; UINT64_MAX: not counted, count them here). */
void lines_skip_counted(struct th_lines *l, size_t n, uint64_t newlines);

/* --follow: while GROWING, the end of the input is not final: an
 * unterminated last line is left buffered (TH_EOF) until its newline
 * comes, and a cut line's rest is skipped across ends. Turn it off to
 * take that last line as it is. The input should not be mapped (see
 * input_follow): a map sees only the size at open. */
void lines_set_growing(struct th_lines *l, bool growing);

/* Number the next line will get (1-based), and bytes consumed so far (just
 * after lines_next returned a cut line, only the part up to the cut: the
 * rest is skipped by the next call). */
uint64_t lines_number(const struct th_lines *l);
uint64_t lines_offset(const struct th_lines *l);
/* Lines cut because they were longer than the capacity. */
uint64_t lines_truncated(const struct th_lines *l);

#ifdef __SSE2__
/* The first "\n" of the 64 bytes at P, or NULL. */
static inline const char *lines_newline_in_64(const char *p)
{
	const __m128i nl = _mm_set1_epi8('\n');
	for (size_t i = 0; i < 64; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
		if (m != 0)
			return p + i + __builtin_ctz(m);
	}
	return NULL;
}
#endif

/* The first "\n" of P[0..N), or NULL: memchr, with the first 128 bytes
 * of a longer span compared inline. Most lines of a log are shorter than
 * that, and the call cost more than the compare: a crash loop's lines of
 * 64 to 128 bytes (its exception lines and task reprs, half the lines
 * read one by one) cost some 30 instructions more through memchr
 * (docs/performance.md). */
static inline const char *lines_find_newline(const char *p, size_t n)
{
#ifdef __SSE2__
	if (n >= 64) {
		const char *nl = lines_newline_in_64(p);
		if (nl != NULL)
			return nl;
		if (n < 128)
			return memchr(p + 64, '\n', n - 64);
		nl = lines_newline_in_64(p + 64);
		if (nl != NULL)
			return nl;
		return memchr(p + 128, '\n', n - 128);
	}
#endif
	return memchr(p, '\n', n);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define LINES_AVX2 1
/* Built for a processor without AVX, the code around the compare is
 * legacy SSE: the compare clears the registers' upper halves after it,
 * as a compiler does before such code runs again. Built with AVX (-march
 * past x86-64-v2), the compiler's own code is VEX-encoded and may keep
 * values in those upper halves across the asm: nothing is cleared.
 * Hence not for a target("avx2") function of a baseline build, whose
 * code is VEX too while __AVX__ is not defined: it has intrinsics. */
#ifdef __AVX__
#define LINES_LEAVE_AVX ""
#else
#define LINES_LEAVE_AVX "\n\tvzeroupper"
#endif

/* The "\n" bytes of the 32 bytes at P, bit I for P[I], with one AVX2
 * compare, for a caller that found AVX2 (__builtin_cpu_supports). In
 * asm, not in a target("avx2") function: such a function is not inlined
 * into a baseline reader's loop, and the pipeline's loop built twice,
 * once for AVX2, no longer had the prefixer inlined (docs/performance.md,
 * night of 2026-12-07). */
static inline uint32_t lines_newlines32_avx2(const char *p)
{
	static const char nl = '\n';
	uint32_t m;
	__asm__("vpbroadcastb %[nl], %%ymm0\n\t"
		"vpcmpeqb %[p], %%ymm0, %%ymm0\n\t"
		"vpmovmskb %%ymm0, %[m]" LINES_LEAVE_AVX
		: [m] "=r"(m)
		: [p] "m"(*(const char(*)[32])p), [nl] "m"(nl)
		: "xmm0");
	return m;
}

/* lines_newline_in_64 with AVX2: two compares, not four. */
static inline const char *lines_newline_in_64_avx2(const char *p)
{
	uint32_t m = lines_newlines32_avx2(p);
	if (m != 0)
		return p + __builtin_ctz(m);
	m = lines_newlines32_avx2(p + 32);
	if (m != 0)
		return p + 32 + __builtin_ctz(m);
	return NULL;
}
#endif

/* From what length lines_find_newline_as compares with AVX2: 64 with
 * AVX2 (where the processor has it: the caller's check), else never. A
 * reader keeps it, and one compare a line decides both. */
static inline size_t lines_avx2_from(bool avx2)
{
#ifdef LINES_AVX2
	return avx2 ? 64 : SIZE_MAX;
#else
	(void)avx2;
	return SIZE_MAX;
#endif
}

/* lines_find_newline, comparing 32 bytes a step where N is at least
 * AVX2_FROM (lines_avx2_from): the lines a crash loop reads one by one,
 * 146,000 of 20 MB, cost about a third fewer instructions
 * (docs/performance.md, night of 2026-12-07). */
static inline const char *lines_find_newline_as(const char *p, size_t n,
						size_t avx2_from)
{
#ifdef LINES_AVX2
	if (n >= avx2_from) {
		const char *nl = lines_newline_in_64_avx2(p);
		if (nl != NULL)
			return nl;
		if (n < 128)
			return memchr(p + 64, '\n', n - 64);
		nl = lines_newline_in_64_avx2(p + 64);
		if (nl != NULL)
			return nl;
		/* a line of up to 256 bytes without memchr (a call and its
		 * setup); a longer one, rarer, with it (it compares 128
		 * bytes a step) */
		size_t i = 128, inline_end = n < 256 ? n : 256;
		for (; inline_end - i >= 32; i += 32) {
			uint32_t m = lines_newlines32_avx2(p + i);
			if (m != 0)
				return p + i + __builtin_ctz(m);
		}
		return memchr(p + i, '\n', n - i);
	}
#else
	(void)avx2_from;
#endif
	return lines_find_newline(p, n);
}

#endif
