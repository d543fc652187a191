/* th.h - the few types every tracehound module shares.
 *
 * Owns:        nothing.
 * Input is bytes with lengths: a struct th_span never owns its bytes and is
 * never assumed to be NUL-terminated.
 */
#ifndef TH_H
#define TH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

struct th_span {
	const char *p;
	size_t n;
};

/* The span of C string S (not NULL). */
static inline struct th_span th_cstr(const char *s)
{
	return (struct th_span){s, strlen(s)};
}

#define TH_SPAN_LIT(s) ((struct th_span){(s), sizeof(s) - 1})

/* Log syntax is ASCII, whatever the locale. */
static inline bool th_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An ASCII letter, either case ('a' and 'A' differ by 0x20 alone). */
static inline bool th_is_letter(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Whether S starts with LIT (not empty). Its first byte is compared on its
 * own first: most lines differ there, and the call to memcmp is skipped. */
static inline bool th_starts_with(struct th_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && s.p[0] == lit[0] && memcmp(s.p, lit, n) == 0;
}

/* Whether the N bytes at A and B are the same, inline: the short
 * strings compared on hot paths (a writer's name, a veto, a cached
 * exception line) cost about 30 instructions more through memcmp's call.
 * Sixteen bytes a step from 16 (the last step moved back to end where
 * they end), else two words from both ends that may overlap. */
static inline bool th_same_bytes(const char *a, const char *b, size_t n)
{
	if (n >= 16) {
		typedef unsigned char bytes16 __attribute__((vector_size(16)));
		bytes16 va, vb, diff = {0};
		for (size_t i = 0; i + 16 < n; i += 16) {
			memcpy(&va, a + i, sizeof va);
			memcpy(&vb, b + i, sizeof vb);
			diff |= va ^ vb;
		}
		memcpy(&va, a + n - 16, sizeof va);
		memcpy(&vb, b + n - 16, sizeof vb);
		diff |= va ^ vb;
		uint64_t lo, hi;
		memcpy(&lo, &diff, sizeof lo);
		memcpy(&hi, (const char *)&diff + sizeof lo, sizeof hi);
		return (lo | hi) == 0;
	}
	if (n >= 8) {
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, a, 8);
		memcpy(&a1, a + n - 8, 8);
		memcpy(&b0, b, 8);
		memcpy(&b1, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n >= 4) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4);
		memcpy(&a1, a + n - 4, 4);
		memcpy(&b0, b, 4);
		memcpy(&b1, b + n - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* The first LIT (N bytes, N > 0) in S, or NULL, found by its byte
 * LIT[RARE] (RARE < N): memchr for a byte that is rare in S, then a
 * compare. glibc's memmem costs hundreds of instructions a call on the
 * short lines and needles of a log, before it finds anything. */
static inline const char *th_find(struct th_span s, const char *lit, size_t n,
				  size_t rare)
{
	if (s.n < n)
		return NULL;
	const char *p = s.p + rare, *last = s.p + (s.n - n) + rare;
	while (p <= last) {
		p = memchr(p, lit[rare], (size_t)(last - p) + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p - rare, lit, n) == 0)
			return p - rare;
		p++;
	}
	return NULL;
}

/* S without its trailing blanks, tabs and carriage returns: how a record's
 * text is cleaned. One compare for the usual line, which ends in a visible
 * byte (docs/performance.md). */
static inline struct th_span th_trim_end(struct th_span s)
{
	if (s.n > 0 && (unsigned char)s.p[s.n - 1] > ' ')
		return s;
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' ||
			   s.p[s.n - 1] == '\r'))
		s.n--;
	return s;
}

/* The end of the spaces S holds from AT on (AT <= S.n). The first eight
 * bytes are told by one word where the byte order allows, then byte by
 * byte: a traceback's lines are indented by two or four spaces, an
 * exception group's box by two to a dozen, and a loop of words cost the
 * assembler's path for box lines registers it otherwise needs none of
 * (docs/performance.md). */
static inline size_t th_spaces_from(struct th_span s, size_t at)
{
	size_t i = at;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (s.n - i >= sizeof(uint64_t)) {
		uint64_t w;
		memcpy(&w, s.p + i, sizeof w);
		w ^= 0x2020202020202020u;
		if (w != 0)
			return i + (size_t)__builtin_ctzll(w) / 8;
		i += sizeof w;
	}
#endif
	while (i < s.n && s.p[i] == ' ')
		i++;
	return i;
}

/* The span of C string S, {NULL, 0} for NULL (th_cstr takes no NULL). */
static inline struct th_span th_span_or_empty(const char *s)
{
	return s ? th_cstr(s) : (struct th_span){NULL, 0};
}

/* Milliseconds on the monotonic clock, for waits and timeouts. */
static inline uint64_t th_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One line of an input, as lines.h reads it and the stages after it take
 * it. Here, not in lines.h, so that a stage that only looks at lines
 * (prefix) does not sit on top of the reading of them. */
struct th_line {
	struct th_span text; /* without "\n" or "\r\n" */
	uint64_t number;     /* 1-based */
	uint64_t offset;     /* byte offset of the line's start in the stream */
	bool truncated;	     /* longer than the capacity: cut */
	bool escape_free;    /* known to hold no escape byte (0x1b); false
				may still hold none */
};

/* Results of the streaming stages. Library code returns one of these and
 * never prints; the caller decides what to tell the user. */
enum th_status {
	TH_OK = 0,
	TH_EOF,		/* no more data: not an error */
	TH_ERR_IO,	/* read() failed; errno-style detail in the input */
	TH_ERR_CORRUPT, /* compressed data is damaged, truncated, or in a
			 * compression tracehound does not read */
};

enum th_severity {
	TH_SEV_INFO = 0,
	TH_SEV_WARNING,
	TH_SEV_ERROR,
};

/* An event's fields (event.h); their names are in catalog.c's table, one
 * row each. Here, not in event.h, so that the catalog needs no event. */
enum th_field {
	TH_F_COROUTINE,
	TH_F_EXCEPTION,
	TH_F_MESSAGE, /* the final line's text after "Type: ", first line */
	TH_F_TASK,
	TH_F_DEFINED_AT,
	TH_F_CREATED_AT,
	TH_F_SOURCE, /* the writer the framing named (README "Log shapes"),
			set by the assembler; a rule's own group wins */
	TH_F_COUNT
};

#endif
