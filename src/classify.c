/* classify.c - the traceback grammar and an event's fields; see
 * classify.h.
 *
 * Exception groups are read by their box margins: CPython prints every
 * line of a group at depth d behind 2*d spaces and "| " (the top header
 * behind "+ "), and starts sub-exception N of a group with a separator
 * whose numbered '+' stands in the column of the sub-exception's margin:
 *     "  +-+---------------- 1 ----------------"   (margin column 4)
 * so depth = column / 2 for both. A sub-exception whose last traceback is
 * not itself a group is a leaf.
 */
#include "classify.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ascii16.h"
#include "diag.h"

#define MAX_DEPTH 32

/* Frame lines a block keeps as they are. Only the last traceback of a
 * chain and the leaves of a group are named after a frame, and of those
 * frames only the innermost application frame (and the ones inside it)
 * is looked at: a frame line is parsed when the block ends and its
 * culprit is asked, from the innermost out, and most frame lines of an
 * event are never parsed at all. A line pushed out of this window is
 * parsed then, and only what the culprit and the wrapper rule need of it
 * is kept. */
#define PENDING_FRAMES 8

/* A line that starts like a frame ('File "' after its indentation),
 * parsed when asked. */
struct frame_line {
	struct th_span line;
	size_t blanks; /* its indentation */
};

struct block {
	bool active;
	bool is_group;
	struct th_span exception; /* p == NULL until the final line */
	struct th_span message;	  /* of the final line */
	/* the latest frame lines, oldest first (the last is the innermost) */
	struct frame_line pending[PENDING_FRAMES];
	size_t n_pending;
	/* Frames pushed out of PENDING: none when !evicted, and then the
	 * three below are not read (block_reset does not clear them). */
	bool evicted;
	struct th_frame_ref app;      /* their innermost application frame
					 (file.p NULL: none) */
	struct th_frame_ref last;     /* their innermost frame */
	struct th_span below_evicted; /* the frame under their last wrapper
					 frame (p NULL: none) */
};

/* Library verdicts of recent frame paths (classify_frame_is_library with
 * the classifier's rules): a crash loop names the same few files in
 * every event, and walking a path's directories cost some 350
 * instructions a frame. Sets of two by a hash of the path (a path is
 * kept in either slot of its set); a longer path is not kept. A crash
 * loop names some 70 files: in 64 slots of one, they fell on each
 * other's slots and one frame in ten was walked again. */
#define VERDICT_SETS 128
#define VERDICT_PATH 128

struct verdict {
	bool used, library;
	size_t n;
	char path[VERDICT_PATH];
};

struct verdict_set {
	struct verdict way[2];
	size_t victim; /* the way a miss writes: not the last one written */
};

struct verdicts {
	struct verdict_set set[VERDICT_SETS];
};

struct parser {
	const struct th_rules *rules;
	struct verdicts *verdicts; /* NULL: every path is walked */
	struct th_parsed *out;
	struct block top; /* last traceback of the chain */
	/* Open sub-exceptions by depth. Only slot[0..n_slots) is written: a
	 * slot past it is inactive, and an inactive slot's other fields are
	 * never read (block_start resets them), so slots are cleared when
	 * first reached rather than all of them for every event. */
	struct block slot[MAX_DEPTH];
	size_t n_slots;
	bool in_created; /* inside "Object created at" frames */
	/* The latest "Object created at" frame lines, oldest first: only
	 * the last frame counts, so they are parsed when the lines are read
	 * (created_resolve), from the last one back to the first that is a
	 * frame. A line pushed out of the window is parsed then. */
	struct frame_line created[PENDING_FRAMES];
	size_t n_created;
	/* The last "Object created at" frame parsed: formatted once at the
	 * end. */
	struct th_span created_path, created_lineno;
	/* Whether the event's rule reads that frame (its
	 * source_traceback.location fact): when not, the frames before
	 * the last traceback are not walked for it. */
	bool want_created;
};

/* Whether S holds literal LIT at AT (<= S.n). The literal's length is a
 * constant, so the compare is inlined as a few word loads. */
#define HAS_LIT(s, at, lit)                                                    \
	((s).n - (at) >= sizeof(lit) - 1 &&                                    \
	 memcmp((s).p + (at), (lit), sizeof(lit) - 1) == 0)

static const char tb_header[] = "Traceback (most recent call last):";
#define TB_HEADER_LEN (sizeof tb_header - 1)

/* A line's indentation, found once per line: SPACES leading spaces (the
 * box margins count only those) and BLANKS leading spaces and tabs in
 * all (the rest of the grammar: indentation is spaces but for the odd
 * tab). */
struct indent {
	size_t spaces, blanks;
};

/* indent_of for any line: a tab among the blanks, a line shorter than a
 * word, or one that starts with eight spaces or more. */
__attribute__((noinline)) static struct indent indent_of_slow(struct th_span s)
{
	struct indent in;
	in.spaces = in.blanks = th_spaces_from(s, 0);
	if (in.blanks < s.n && s.p[in.blanks] == '\t')
		while (in.blanks < s.n &&
		       (s.p[in.blanks] == '\t' || s.p[in.blanks] == ' '))
			in.blanks++;
	return in;
}

/* Every indented line of an event asks (frame lines have two spaces,
 * source lines four or more): the usual line is settled by its first
 * word, whose first byte that is not a space ends both counts unless it
 * is a tab. */
static inline struct indent indent_of(struct th_span s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (s.n >= sizeof(uint64_t)) {
		uint64_t w;
		memcpy(&w, s.p, sizeof w);
		w ^= 0x2020202020202020u;
		if (w != 0) {
			size_t i = (size_t)__builtin_ctzll(w) / 8;
			if (s.p[i] != '\t')
				return (struct indent){i, i};
		}
	}
#endif
	return indent_of_slow(s);
}

/* The last '", line ' in S, or NULL. A path may hold the marker too, so
 * the last one counts; searching from the end finds it after the few
 * bytes of line number and function instead of after the whole path. */
static const char *last_line_marker(struct th_span s)
{
	static const char marker[] = "\", line ";
	enum { MARKER = sizeof marker - 1 };
	/* the marker may start at 0 .. s.n - MARKER */
	size_t limit = s.n >= MARKER ? s.n - MARKER + 1 : 0;
	while (limit > 0) {
		const char *q = memrchr(s.p, '"', limit);
		if (q == NULL)
			return NULL;
		if (memcmp(q, marker, MARKER) == 0)
			return q;
		limit = (size_t)(q - s.p);
	}
	return NULL;
}

/* The ASCII digits S starts with: eight bytes a step, as a frame's line
 * number is followed by ", in " and the function. */
static inline size_t digits_from(struct th_span s)
{
	size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu, top = 0x8080808080808080u;
	while (s.n - i >= sizeof(uint64_t)) {
		uint64_t w;
		memcpy(&w, s.p + i, sizeof w);
		w ^= 0x3030303030303030u; /* a digit is now 0..9 */
		/* top bit of a byte set when it is 10 or more: its low
		 * seven bits plus 0x76 reach 0x80 (no carry leaves the
		 * byte), or its own top bit is set */
		uint64_t other = (((w & low7) + 0x7676767676767676u) | w) & top;
		if (other != 0)
			return i + (size_t)__builtin_ctzll(other) / 8;
		i += sizeof w;
	}
#endif
	while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
		i++;
	return i;
}

/* Parses '  File "PATH", line N, in FUNC' (FUNC empty when the line has
 * no ", in "), LINE's indentation BLANKS long. Returns false for other
 * lines: one that is not indented is no frame. */
static inline bool parse_frame(struct th_span line, size_t blanks,
			       struct th_frame_ref *fr)
{
	if (blanks == 0 || !HAS_LIT(line, blanks, "File \""))
		return false;
	struct th_span s = {line.p + blanks + 6, line.n - blanks - 6};
	const char *q = last_line_marker(s);
	if (q == NULL)
		return false;
	fr->file = (struct th_span){s.p, (size_t)(q - s.p)};
	struct th_span rest = {q + 8, s.n - (size_t)(q - s.p) - 8};
	size_t d = digits_from(rest);
	fr->line = (struct th_span){rest.p, d};
	rest = (struct th_span){rest.p + d, rest.n - d};
	struct th_span func = HAS_LIT(rest, 0, ", in ")
				  ? (struct th_span){rest.p + 5, rest.n - 5}
				  : (struct th_span){rest.p, 0};
	while (func.n > 0 && func.p[func.n - 1] == ' ')
		func.n--;
	fr->function = func;
	return d > 0;
}

/* The bytes of an exception type: ASCII letters, digits, "_", ".", "<",
 * ">", and every byte from 0x80. A table of all 256: the type is read on
 * the final line of every traceback, byte by byte, and one load a byte is
 * all the test costs. */
static const char type_chars[257] = "0000000000000000" /* 0x00 */
				    "0000000000000000" /* 0x10 */
				    "0000000000000010" /* 0x20 */
				    "1111111111001010" /* 0x30 */
				    "0111111111111111" /* 0x40 */
				    "1111111111100001" /* 0x50 */
				    "0111111111111111" /* 0x60 */
				    "1111111111100000" /* 0x70 */
				    "1111111111111111" /* 0x80 */
				    "1111111111111111" /* 0x90 */
				    "1111111111111111" /* 0xa0 */
				    "1111111111111111" /* 0xb0 */
				    "1111111111111111" /* 0xc0 */
				    "1111111111111111" /* 0xd0 */
				    "1111111111111111" /* 0xe0 */
				    "1111111111111111" /* 0xf0 */;

#ifdef __SSE2__
/* Where the type bytes (type_chars) that 16-byte block V starts with
 * end: 16 when all are. Bytes from 0x80 (negative as signed) are type
 * bytes too. */
static inline unsigned type_run16(__m128i v)
{
	__m128i punct =
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')),
				      _mm_cmpeq_epi8(v, _mm_set1_epi8('.'))),
			 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
				      _mm_cmpeq_epi8(v, _mm_set1_epi8('>'))));
	__m128i type = _mm_or_si128(
	    ascii16_alnum(v),
	    _mm_or_si128(punct, _mm_cmplt_epi8(v, _mm_setzero_si128())));
	unsigned other = ~(unsigned)_mm_movemask_epi8(type) & 0xffffu;
	return other != 0 ? (unsigned)__builtin_ctz(other) : 16;
}
#endif

/* Where the type bytes LINE starts with end. */
static inline size_t type_end(struct th_span line)
{
	const unsigned char *p = (const unsigned char *)line.p;
	size_t i = 0;
#ifdef __SSE2__
	/* sixteen bytes a step while the line has them: a final line is
	 * its type and a message */
	for (; line.n - i >= 16; i += 16) {
		unsigned run = type_run16(
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
		if (run < 16)
			return i + run;
	}
#endif
	/* four bytes a step: '1' & '1' & '1' & '1' keeps the low bit that
	 * '0' lacks */
	while (line.n - i >= 4 &&
	       (type_chars[p[i]] & type_chars[p[i + 1]] & type_chars[p[i + 2]] &
		type_chars[p[i + 3]] & 1))
		i += 4;
	while (i < line.n && type_chars[p[i]] == '1')
		i++;
	return i;
}

/* classify_exception_type, inline for block_unindented, which asks on
 * the final line of every traceback. */
static inline struct th_span exception_type(struct th_span line)
{
	size_t i = type_end(line);
	bool ends = i == line.n || line.p[i] == ':';
	if (i == 0 || !ends || line.p[0] == '.' || line.p[0] == '<')
		return (struct th_span){NULL, 0};
	return (struct th_span){line.p, i};
}

struct th_span classify_exception_type(struct th_span line)
{
	return exception_type(line);
}

/* The message after TYPE (LINE's classify_exception_type) on LINE. Apart
 * so that a caller that has the type need not scan the line for it
 * again, as block_line does on the final line of every traceback. */
static inline struct th_span message_after_type(struct th_span line,
						struct th_span type)
{
	if (type.p == NULL || type.n + 1 >= line.n)
		return (struct th_span){NULL, 0};
	struct th_span m = {line.p + type.n + 1, line.n - type.n - 1};
	if (m.p[0] == ' ') {
		m.p++;
		m.n--;
	}
	m = th_trim_end(m);
	return m.n > 0 ? m : (struct th_span){NULL, 0};
}

struct th_span classify_exception_message(struct th_span line)
{
	return message_after_type(line, classify_exception_type(line));
}

/* ---- library frames ---------------------------------------------------- */

static bool path_sep(char c)
{
	return c == '/' || c == '\\';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* True when S equals LIT (lower case) ignoring case. */
static bool eq_nocase(struct th_span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lit[i])
			return false;
	return true;
}

static bool span_is(struct th_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* True when S starts with LIT and the rest is "X.Y" (digits, a dot,
 * digits), as in python3.12; a free-threaded build's trailing 't'
 * (python3.13t) too. */
static bool versioned(struct th_span s, const char *lit)
{
	size_t n = strlen(lit), i = n, d;
	if (s.n <= n || memcmp(s.p, lit, n) != 0)
		return false;
	for (d = i; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++)
		;
	if (i == d || i == s.n || s.p[i++] != '.')
		return false;
	for (d = i; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++)
		;
	if (i < s.n && s.p[i] == 't')
		i++;
	return i > d && i == s.n;
}

/* The directory names of a path, each with the one before it. */
struct dir_walk {
	struct th_span path;
	size_t at;		  /* where the next name starts */
	struct th_span prev, cur; /* prev.p NULL at the first */
	char prev_sep, cur_sep;	  /* the separator after each */
};

/* Steps to the next directory name (a name followed by a separator);
 * false after the last. */
static bool dir_next(struct dir_walk *w)
{
	size_t i = w->at;
	while (i < w->path.n && !path_sep(w->path.p[i]))
		i++;
	if (i >= w->path.n)
		return false;
	w->prev = w->cur;
	w->prev_sep = w->cur_sep;
	w->cur = (struct th_span){w->path.p + w->at, i - w->at};
	w->cur_sep = w->path.p[i];
	w->at = i + 1;
	return true;
}

/* lib/pythonX.Y/, lib64/pythonX.Y/, lib/python3/, lib/pypyX.Y/ with
 * either slash: PREV is lib or lib64, CUR the python directory. */
static bool stdlib_posix(struct th_span prev, struct th_span cur)
{
	bool lib = span_is(prev, "lib");
	if (!lib && !span_is(prev, "lib64"))
		return false;
	return versioned(cur, "python") ||
	       (lib && (span_is(cur, "python3") || versioned(cur, "pypy")));
}

/* Windows: a Lib\ directory (any case) right under a Python... or
 * ...conda... directory (any case). Only with backslashes: a POSIX
 * project may well have python/lib/. */
static bool stdlib_windows(const struct dir_walk *w)
{
	if (w->cur_sep != '\\' || w->prev.p == NULL || w->prev_sep != '\\' ||
	    !eq_nocase(w->cur, "lib"))
		return false;
	struct th_span p = w->prev;
	if (p.n >= 6) {
		struct th_span head = {p.p, 6};
		if (eq_nocase(head, "python"))
			return true;
	}
	for (size_t i = 0; i + 5 <= p.n; i++)
		if (eq_nocase((struct th_span){p.p + i, 5}, "conda"))
			return true;
	return false;
}

bool classify_path_is_library(struct th_span path)
{
	if (th_starts_with(path, "<frozen "))
		return true;
	struct dir_walk w = {.path = path};
	while (dir_next(&w)) {
		if (span_is(w.cur, "site-packages") ||
		    span_is(w.cur, "dist-packages") || stdlib_windows(&w) ||
		    (w.prev.p != NULL && stdlib_posix(w.prev, w.cur)))
			return true;
	}
	return false;
}

bool classify_frame_is_library(const struct th_rules *rules,
			       struct th_span path)
{
	enum th_frame_kind kind;
	if (rules != NULL && rules_frame_kind(rules, path, &kind))
		return kind == TH_FRAME_LIBRARY;
	return classify_path_is_library(path);
}

/* Sets B to an empty block. Its pending frames are left as they are:
 * only the first n_pending are read, and clearing all of them cost more
 * than the rest of a short traceback's parse. */
static void block_reset(struct block *b, bool active, bool is_group)
{
	b->active = active;
	b->is_group = is_group;
	/* one assignment each: a chained one reads the value back, and
	 * GCC's 16-byte load of the two 8-byte stores just made stalls */
	b->exception = (struct th_span){NULL, 0};
	b->message = (struct th_span){NULL, 0};
	b->n_pending = 0;
	b->evicted = false;
}

static void block_start(struct block *b, bool is_group)
{
	block_reset(b, true, is_group);
}

/* The set of PATH: a hash of its length and its first, middle and last
 * eight bytes. The middle word tells apart paths that differ only in a
 * version directory (".../versions/3.11.7/lib/python3.11/asyncio/
 * tasks.py" and 3.13.0's), which the ends alone sent to one set. */
static size_t verdict_set(struct th_span path)
{
	uint64_t first = 0, mid = 0, last = 0;
	if (path.n >= sizeof first) {
		memcpy(&first, path.p, sizeof first);
		memcpy(&mid, path.p + (path.n - sizeof mid) / 2, sizeof mid);
		memcpy(&last, path.p + path.n - sizeof last, sizeof last);
	} else if (path.n > 0) {
		memcpy(&first, path.p, path.n);
	}
	uint64_t h = ((first * 0x9E3779B97F4A7C15u) ^
		      (mid * 0xD6E8FEB86659FD93u) ^ last ^ path.n) *
		     0xC2B2AE3D27D4EB4Fu;
	return (size_t)(h >> 57) % VERDICT_SETS;
}

/* frame_is_library when PATH is not in SET: walked and kept. */
__attribute__((noinline)) static bool verdict_miss(const struct parser *ps,
						   struct verdict_set *set,
						   struct th_span path)
{
	struct verdict *v = &set->way[set->victim];
	set->victim ^= 1;
	v->library = classify_frame_is_library(ps->rules, path);
	v->used = true;
	v->n = path.n;
	if (path.n > 0)
		memcpy(v->path, path.p, path.n);
	return v->library;
}

/* classify_frame_is_library(PS's rules, PATH), remembered. Inline: the
 * culprit asks for every event, and a crash loop's paths are nearly all
 * remembered. */
static inline bool frame_is_library(const struct parser *ps,
				    struct th_span path)
{
	if (ps->verdicts == NULL || path.n > VERDICT_PATH)
		return classify_frame_is_library(ps->rules, path);
	struct verdict_set *set = &ps->verdicts->set[verdict_set(path)];
	for (size_t w = 0; w < 2; w++) {
		const struct verdict *v = &set->way[w];
		if (v->used && v->n == path.n &&
		    memcmp(v->path, path.p, path.n) == 0)
			return v->library;
	}
	return verdict_miss(ps, set, path);
}

static const struct th_frame_ref no_frame = {{NULL, 0}, {NULL, 0}, {NULL, 0}};

/* Parses pending frame line L into *FR. False when it is no frame: a
 * SyntaxError prints where the bad source is as '  File "PATH", line N'
 * with no "in FUNC", and that must not become the culprit. */
static inline bool frame_of(const struct frame_line *l, struct th_frame_ref *fr)
{
	return parse_frame(l->line, l->blanks, fr) && fr->function.n > 0;
}

/* block_culprit when B's innermost frame line is not an application
 * frame: its lines before that one, from the last one out. INNERMOST is
 * that line's frame (file.p NULL: it is no frame). */
__attribute__((noinline)) static struct th_frame_ref
block_culprit_outer(const struct parser *ps, const struct block *b,
		    struct th_frame_ref innermost)
{
	struct th_frame_ref fr;
	for (size_t i = b->n_pending - 1; i-- > 0;) {
		if (!frame_of(&b->pending[i], &fr))
			continue;
		if (!frame_is_library(ps, fr.file))
			return fr;
		if (innermost.file.p == NULL)
			innermost = fr;
	}
	if (!b->evicted)
		return innermost;
	if (b->app.file.p != NULL)
		return b->app;
	return innermost.file.p != NULL ? innermost : b->last;
}

/* The frame block B is named after: its innermost application frame,
 * else its innermost frame. Parses B's pending frame lines from the
 * innermost out, up to the first application frame. The innermost is
 * the application's in nearly every event, and is tried apart: the walk
 * outward, and the innermost library frame it keeps, cost a frame and
 * registers saved for every event. */
static inline __attribute__((always_inline)) struct th_frame_ref
block_culprit(const struct parser *ps, const struct block *b)
{
	if (b->n_pending == 0)
		return !b->evicted	       ? no_frame
		       : b->app.file.p != NULL ? b->app
					       : b->last;
	struct th_frame_ref fr;
	if (!frame_of(&b->pending[b->n_pending - 1], &fr))
		return block_culprit_outer(ps, b, no_frame);
	if (!frame_is_library(ps, fr.file))
		return fr;
	return block_culprit_outer(ps, b, fr);
}

/* The coroutine a wrapper coroutine of RULES wrapped in block B: the
 * function of the frame below B's last wrapper frame (p NULL: none).
 * Wrappers may call helpers and each other (Sentry's goes wrapper,
 * reraise, wrapper, coroutine), so it is the last wrapper frame that
 * counts: B's frames are read from the innermost out up to it. */
static struct th_span block_below_wrapper(const struct th_rules *rules,
					  const struct block *b)
{
	struct th_span next = {NULL, 0}; /* the frame below this one */
	struct th_frame_ref fr;
	for (size_t i = b->n_pending; i-- > 0;) {
		if (!frame_of(&b->pending[i], &fr))
			continue;
		if (next.p != NULL && rules_is_wrapper(rules, fr.function))
			return next;
		next = fr.function;
	}
	if (!b->evicted)
		return (struct th_span){NULL, 0};
	if (next.p != NULL && rules_is_wrapper(rules, b->last.function))
		return next;
	return b->below_evicted;
}

/* False when block_below_wrapper(B) has no frame to give: a wrapper
 * frame with a frame below it takes two frames. */
static bool block_may_wrap(const struct block *b)
{
	return b->n_pending >= 2 || b->evicted;
}

/* Pushes B's oldest pending frame line out of the window: parsed now,
 * it updates what B keeps of the frames before the window. */
static void block_evict(const struct parser *ps, struct block *b)
{
	struct th_frame_ref fr;
	if (frame_of(&b->pending[0], &fr)) {
		if (!b->evicted) {
			b->evicted = true;
			b->app = b->last = no_frame;
			b->below_evicted = (struct th_span){NULL, 0};
		}
		if (!frame_is_library(ps, fr.file))
			b->app = fr;
		if (b->last.file.p != NULL &&
		    rules_is_wrapper(ps->rules, b->last.function))
			b->below_evicted = fr.function;
		b->last = fr;
	}
	memmove(b->pending, b->pending + 1,
		(PENDING_FRAMES - 1) * sizeof *b->pending);
	b->n_pending--;
}

/* Whether B reads frame lines and waits for its final line. */
static inline bool block_open(const struct block *b)
{
	return b->active && b->exception.p == NULL;
}

/* One line of traceback text (margins removed) for block B, indented by
 * BLANKS (> 0): a frame line is kept for later (PENDING_FRAMES); any
 * other (source, a note) is skipped. */
static inline void block_indented(struct parser *ps, struct block *b,
				  struct th_span t, size_t blanks)
{
	if (!HAS_LIT(t, blanks, "File \""))
		return;
	if (b->n_pending == PENDING_FRAMES)
		block_evict(ps, b);
	b->pending[b->n_pending++] = (struct frame_line){t, blanks};
}

static void block_unindented(struct block *b, struct th_span t)
{
	if (t.p[0] == 'T' && HAS_LIT(t, 0, tb_header))
		block_start(b, false);
	else if (t.p[0] == 'E' &&
		 HAS_LIT(t, 0, "Exception Group Traceback (most recent"))
		block_start(b, true);
	else if (block_open(b)) {
		b->exception = exception_type(t);
		b->message = message_after_type(t, b->exception);
	}
}

/* One line of traceback text T (margins removed) for block B: an open
 * block's frame lines and final line, and the headers that start a
 * block. An indented line is measured only when B is open: only then
 * can it be a frame of B's. */
static inline void block_line(struct parser *ps, struct block *b,
			      struct th_span t)
{
	if (t.n == 0)
		return;
	bool open = block_open(b);
	char c = t.p[0];
	if (c == ' ' || c == '\t') {
		/* only a frame line counts, and it starts 'File "' */
		if (!open)
			return;
		size_t blanks = indent_of(t).blanks;
		if (blanks < t.n && t.p[blanks] == 'F')
			block_indented(ps, b, t, blanks);
	} else if (open || c == 'T' || c == 'E') {
		block_unindented(b, t);
	}
}

/* A traceback that ends the chain so far: the leaves found before it are
 * not its own. */
static void new_chain_end(struct th_parsed *out)
{
	out->n_leaves = 0;
	out->leaves_dropped = 0;
}

static void add_leaf(struct parser *ps, struct block *b)
{
	struct th_parsed *out = ps->out;
	if (out->n_leaves == TH_MAX_LEAVES) {
		out->leaves_dropped++;
		return;
	}
	out->leaves[out->n_leaves++] =
	    (struct th_leaf){b->exception, b->message, block_culprit(ps, b)};
}

/* Sub-exception slot DEPTH (< MAX_DEPTH), cleared when first reached. */
static struct block *slot_at(struct parser *ps, size_t depth)
{
	while (ps->n_slots <= depth)
		block_reset(&ps->slot[ps->n_slots++], false, false);
	return &ps->slot[depth];
}

/* finish_slots when there are slots at DEPTH and deeper. */
static void finish_open_slots(struct parser *ps, size_t depth)
{
	for (size_t d = ps->n_slots; d-- > depth;) {
		struct block *b = &ps->slot[d];
		if (b->active && !b->is_group && b->exception.p != NULL)
			add_leaf(ps, b);
	}
	ps->n_slots = depth; /* all inactive from DEPTH on */
}

/* Ends the sub-exceptions at DEPTH and deeper, keeping their leaves.
 * Inline: every traceback header and every event's end ask, and most
 * events have no exception group, hence no slot. */
static inline void finish_slots(struct parser *ps, size_t depth)
{
	if (ps->n_slots > depth)
		finish_open_slots(ps, depth);
}

/* Where "+---------------- " first is in REST, which starts "+-": a
 * box's separator has it at its start or two bytes on, where the
 * numbered '+' of "+-+-----..." is (its second byte being '-', it is not
 * at one). Only a line that has it at neither is searched. */
static const char *numbered_separator(struct th_span rest)
{
	static const char lit[] = "+---------------- ";
	enum { LIT = sizeof lit - 1 };
	if (HAS_LIT(rest, 0, lit))
		return rest.p;
	if (HAS_LIT(rest, 2, lit))
		return rest.p + 2;
	/* by its '+', rare in a box line */
	return rest.n > 3 ? th_find((struct th_span){rest.p + 3, rest.n - 3},
				    lit, LIT, 0)
			  : NULL;
}

/* A box separator: "+-+---------------- N ----" opens sub-exception N at
 * the numbered '+'; "+-----...-----" (36 dashes) closes the box. */
static bool group_separator(struct parser *ps, struct th_span line, size_t col)
{
	static const char closing[] = "+------------------------------------";
	struct th_span rest = {line.p + col, line.n - col};
	/* A line that starts as the closing one is asked whether it holds
	 * a numbered separator only when it is longer: as CPython prints it
	 * it holds none (no '+' past its first byte), and that search was
	 * a call into the C library for every group. */
	bool closes = HAS_LIT(rest, 0, closing);
	const char *numbered = closes && rest.n == sizeof closing - 1
				   ? NULL
				   : numbered_separator(rest);
	if (numbered != NULL) {
		size_t depth = (size_t)(numbered - line.p) / 2;
		finish_slots(ps, depth);
		/* A sub-exception that was never raised has no traceback,
		 * only its final line; and one with sub-exceptions of its own
		 * is a group even when printed without a header. */
		if (depth < MAX_DEPTH)
			block_start(slot_at(ps, depth), false);
		if (depth >= 3 && depth - 1 < MAX_DEPTH)
			slot_at(ps, depth - 1)->is_group = true;
		return true;
	}
	if (closes) {
		finish_slots(ps, col / 2);
		return true;
	}
	return false;
}

/* The block a box line at column COL is text of (depth COL / 2): the
 * top block, or a slot already reached; NULL for a slot not reached. */
static inline struct block *box_block(struct parser *ps, size_t col)
{
	size_t depth = col / 2;
	if (depth <= 1)
		return &ps->top;
	return depth < ps->n_slots ? &ps->slot[depth] : NULL;
}

/* box_text for text T of block B (at column COL) that is not indented:
 * a traceback's header, its final line. */
static inline void box_unindented(struct parser *ps, struct block *b,
				  struct th_span t, size_t col)
{
	char c = t.p[0];
	if (col / 2 <= 1 && c == 'E' &&
	    HAS_LIT(t, 0, "Exception Group Traceback"))
		new_chain_end(ps->out);
	if (block_open(b) || c == 'T' || c == 'E')
		block_unindented(b, t);
}

/* group_line for the commonest box lines: "| " then text of the top
 * block or of a slot already reached, indented (a frame line or its
 * source) or not (a traceback's header, its final line). False, with
 * nothing done, for any other line. The text at the margin is read here
 * too, where group_line_other saved and restored six registers for it
 * and tested the margin again (callgrind, crash loop). */
static inline bool box_text(struct parser *ps, struct th_span line, size_t col)
{
	if (col + 3 > line.n || line.p[col] != '|' || line.p[col + 1] != ' ')
		return false;
	struct block *b = box_block(ps, col);
	if (b == NULL)
		return false; /* group_line_other reaches the slot */
	struct th_span t = {line.p + col + 2, line.n - col - 2};
	char c = t.p[0];
	if (c == ' ' || c == '\t') {
		if (!block_open(b))
			return true;
		size_t blanks = indent_of(t).blanks;
		if (blanks < t.n && t.p[blanks] == 'F')
			block_indented(ps, b, t, blanks);
		return true;
	}
	box_unindented(ps, b, t, col);
	return true;
}

/* box_text16 when the box line's margin and the first byte of its text
 * that is not a space are both in its first 16 bytes: COL the margin's
 * column, AT that byte's. */
static inline bool box_text_at(struct parser *ps, struct th_span line,
			       size_t col, size_t at)
{
	char c = line.p[at];
	if (at == col + 1 || c == '\t')
		return false; /* no "| ", or a tab: box_text reads it */
	struct block *b = box_block(ps, col);
	if (b == NULL)
		return false;
	struct th_span t = {line.p + col + 2, line.n - col - 2};
	if (at == col + 2)
		box_unindented(ps, b, t, col);
	else if (c == 'F' && block_open(b))
		block_indented(ps, b, t, at - col - 2);
	return true;
}

/* box_text for a line of 16 bytes or more whose "| " margin and the
 * start of its text lie in its first 16 bytes, as nearly every box line
 * of CPython's has: the margin's column and the text's indentation come
 * from one compare of those bytes, where th_spaces_from and indent_of
 * each loaded a word and tested it (docs/performance.md). False, with
 * nothing done, for any other line. */
static inline bool box_text16(struct parser *ps, struct th_span line)
{
#ifdef __SSE2__
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)line.p);
	unsigned other = ~(unsigned)_mm_movemask_epi8(
			     _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))) &
			 0xffffu;
	unsigned after = other & (other - 1); /* past the margin's byte */
	if (after == 0)
		return false;
	size_t col = (size_t)__builtin_ctz(other);
	if (line.p[col] != '|')
		return false;
	return box_text_at(ps, line, col, (size_t)__builtin_ctz(after));
#else
	(void)ps;
	(void)line;
	return false;
#endif
}

/* group_line for the lines box_text leaves: separators, a bare margin,
 * text of a slot not reached yet. Out of line, so that the common path
 * through group_line saves no registers: with it inline, each box line
 * saved and restored six (callgrind, crash loop). */
__attribute__((noinline)) static void
group_line_other(struct parser *ps, struct th_span line, size_t col)
{
	if (col >= line.n || (line.p[col] != '|' && line.p[col] != '+'))
		return;
	if (line.p[col] == '+' && col + 1 < line.n && line.p[col + 1] == '-') {
		group_separator(ps, line, col);
		return;
	}
	size_t skip = col + 1 < line.n && line.p[col + 1] == ' ' ? 2 : 1;
	struct th_span t = {line.p + col + skip, line.n - col - skip};
	size_t depth = col / 2;
	if (depth <= 1) {
		if (t.n > 0 && t.p[0] == 'E' &&
		    HAS_LIT(t, 0, "Exception Group Traceback"))
			new_chain_end(ps->out);
		block_line(ps, &ps->top, t);
	} else if (depth < MAX_DEPTH) {
		block_line(ps, slot_at(ps, depth), t);
	}
}

/* A line inside an exception group's box; the box margin ('|' or '+')
 * starts after LINE's COL leading spaces. A "+-" line that is no
 * separator is the only box line it leaves as it is, and no caller has
 * anything else to do with one (a group's header starts "+ ", a frame
 * 'F', and a final line a type's byte): so it answers nothing, and its
 * callers keep no register live across it. Not inline: in parse_event's
 * line loop it made every line pay for the registers it needs. */
static void group_line(struct parser *ps, struct th_span line, size_t col)
{
	if (!box_text(ps, line, col))
		group_line_other(ps, line, col);
}

/* Whether LINE opens "Object created at" frames (asyncio debug mode).
 * asyncio prints "source_traceback: Object created at ..." as a context
 * line: its start is tested before the line is searched. */
static bool created_header(struct th_span line)
{
	/* th_find, not memmem: glibc's memmem costs hundreds of
	 * instructions for a needle this long. */
	static const char created_marker[] =
	    "Object created at (most recent call last):";
	return line.n > 0 && (line.p[0] == 's' || line.p[0] == 'O') &&
	       (HAS_LIT(line, 0, "source_traceback: ") ||
		HAS_LIT(line, 0, "Object created at")) &&
	       th_find(line, created_marker, sizeof created_marker - 1, 0);
}

/* Parses created-at frame line L; when it is a frame, it is the last
 * one so far. Returns whether it is. */
static bool created_parse(struct parser *ps, const struct frame_line *l)
{
	struct th_frame_ref fr;
	if (!parse_frame(l->line, l->blanks, &fr))
		return false;
	ps->created_path = fr.file;
	ps->created_lineno = fr.line;
	return true;
}

/* Pushes the oldest created-at frame line kept out of the window,
 * parsing it. Out of line: the usual section of frames fits, and
 * inline this made every line of one save registers. */
__attribute__((noinline)) static void created_evict(struct parser *ps)
{
	created_parse(ps, &ps->created[0]);
	memmove(ps->created, ps->created + 1,
		(PENDING_FRAMES - 1) * sizeof *ps->created);
	ps->n_created--;
}

/* An indented line among "Object created at" frames (BLANKS > 0 its
 * indentation): the last frame is where the task or future was created.
 * A line that may be one is kept for created_resolve; a debug-mode
 * event has some ten of them, and parsing each cost more than the rest
 * of its lines. */
static inline void created_frame(struct parser *ps, struct th_span line,
				 size_t blanks)
{
	if (!HAS_LIT(line, blanks, "File \""))
		return; /* parse_frame would say no */
	if (ps->n_created == PENDING_FRAMES)
		created_evict(ps);
	ps->created[ps->n_created++] = (struct frame_line){line, blanks};
}

/* The last frame of the created-at frame lines kept: parsed from the
 * last one back, up to the first that is a frame (the ones before it
 * could only be overwritten by it). */
static void created_resolve(struct parser *ps)
{
	for (size_t i = ps->n_created; i-- > 0;)
		if (created_parse(ps, &ps->created[i]))
			break;
	ps->n_created = 0;
}

/* "Object created at" frames: the last frame is where the task or
 * future was created. They go on while lines are indented (BLANKS, the
 * indentation of LINE, > 0). */
static bool created_line(struct parser *ps, struct th_span line, size_t blanks)
{
	if (created_header(line)) {
		ps->in_created = true;
		return true;
	}
	if (!ps->in_created)
		return false;
	if (blanks > 0) {
		created_frame(ps, line, blanks);
		return true;
	}
	ps->in_created = false;
	return false;
}

/* A traceback header after other text on its line ("ERROR app:
 * Traceback (most recent call last):", a quote, "push failed:   + Exception
 * Group Traceback ...") is read as if it started the line; a box line
 * ("  | Exception Group Traceback ...") stays as it is. */
static struct th_span header_after_text(struct th_span line)
{
	static const char group[] = "  + Exception Group ";
	size_t n = TB_HEADER_LEN, g = sizeof group - 1;
	if (line.n <= n || line.p[line.n - n] != 'T')
		return line;
	/* The lead first: most lines that get here are a box's ("    |
	 * Traceback (most recent call last):"), which its first byte
	 * settles, and the header's bytes are compared only for the
	 * others. The 'T' above is no blank, so the lead is not empty. */
	struct th_span lead = {line.p + indent_of(line).blanks, 0};
	lead.n = line.n - (size_t)(lead.p - line.p);
	if (lead.p[0] == '|' || lead.p[0] == '+' || lead.p[0] == 'T' ||
	    memcmp(line.p + line.n - n, tb_header, n) != 0 ||
	    th_starts_with(lead, "Exception Group "))
		return line;
	if (line.n >= n + g && memcmp(line.p + line.n - n - g, group, g) == 0)
		n += g;
	return (struct th_span){line.p + line.n - n, n};
}

/* A line that starts, after its blanks, with '+': a group's header at
 * the top level ends the chain so far. Returns false for other lines. */
static bool group_header(struct parser *ps, struct th_span line,
			 struct indent in)
{
	if (!HAS_LIT(line, in.blanks, "+ Exception Group Traceback"))
		return false;
	new_chain_end(ps->out);
	/* CPython's header of a group at the top level ("  + Exception
	 * Group Traceback (most recent call last):") starts the top block
	 * as a group: all that group_line comes to with it, through
	 * group_line_other, block_line and block_unindented, which cost
	 * every group event some 120 instructions more. */
	if (in.spaces == in.blanks && in.spaces / 2 <= 1 &&
	    HAS_LIT(line, in.blanks,
		    "+ Exception Group Traceback (most recent")) {
		block_start(&ps->top, true);
		return true;
	}
	group_line(ps, line, in.spaces);
	return true;
}

/* "Traceback (most recent call last):" at the top level: a new end of
 * the chain. */
static void top_header(struct parser *ps)
{
	finish_slots(ps, 0);
	new_chain_end(ps->out);
	block_start(&ps->top, false);
}

/* Whether created_line has something to do with LINE: outside the
 * frames, only a line that starts as created_header's can open them
 * (header_after_text leaves such a line as it is, or makes it a
 * traceback header). */
static inline bool may_be_created(const struct parser *ps, struct th_span line)
{
	if (ps->in_created)
		return true;
	if (line.n == 0)
		return false;
	if (line.p[0] == 's')
		return HAS_LIT(line, 0, "source_traceback: ");
	return line.p[0] == 'O' && HAS_LIT(line, 0, "Object created at");
}

/* A line that starts with neither a space nor a tab: no box margin but
 * at column 0, and no frame. */
static inline void parse_unindented(struct parser *ps, struct th_span line)
{
	char c = line.p[0];
	if (may_be_created(ps, line) && created_line(ps, line, 0))
		return;
	if ((c == '|' || c == '+') && ps->top.active && ps->top.is_group) {
		/* what it leaves, nothing below would read (group_line) */
		group_line(ps, line, 0);
		return;
	}
	if (c == '+' && group_header(ps, line, (struct indent){0, 0}))
		return;
	if (c == 'T' && HAS_LIT(line, 0, tb_header)) {
		top_header(ps);
		return;
	}
	/* block_line for a line that is not indented */
	bool open = block_open(&ps->top);
	/* loguru's mark of the frame that caught the exception: a frame
	 * like the others (README "Where an event starts and ends") */
	if (open && c == '>' && HAS_LIT(line, 0, "> File \""))
		block_indented(ps, &ps->top, line, 2);
	else if (open || c == 'T' || c == 'E')
		block_unindented(&ps->top, line);
}

/* A line that starts with a space or a tab: a created-at frame, a box
 * line, a group's header or a frame; anything else (source, a note) is
 * skipped. BOXES: the line may be a box line of the top block's group;
 * parse_lines hands those to box_lines first, so it passes false for the
 * lines it reads in place. */
static inline __attribute__((always_inline)) bool
parse_indented(struct parser *ps, struct th_span line, bool boxes)
{
	struct indent in = indent_of(line); /* blanks > 0 */
	if (ps->in_created) {
		created_frame(ps, line, in.blanks);
		return false;
	}
	/* group_line takes a box line whole (see there): with nothing to
	 * wait for, no register lives across the call, which every box
	 * line paid for. */
	if (boxes && in.spaces < line.n &&
	    (line.p[in.spaces] == '|' || line.p[in.spaces] == '+') &&
	    ps->top.active && ps->top.is_group) {
		group_line(ps, line, in.spaces);
		return false;
	}
	if (in.blanks == line.n)
		return false;
	char c = line.p[in.blanks];
	if (c == '+' && group_header(ps, line, in))
		return true;
	if (c == 'F' && block_open(&ps->top))
		block_indented(ps, &ps->top, line, in.blanks);
	return false;
}

/* One line of the event. Its first byte says whether it is indented,
 * and the byte past its indentation which of the grammar's lines it may
 * be: most lines cost a few compares, and what more a line needs is in
 * functions of its own. Returns whether the line may have made the top
 * block a group (block_unindented on an unindented line or a group's
 * header): parse_head looks for box lines only after one did. */
static inline __attribute__((always_inline)) bool
parse_line(struct parser *ps, struct th_span line, bool boxes)
{
	if (line.n > TB_HEADER_LEN && line.p[line.n - TB_HEADER_LEN] == 'T')
		line = header_after_text(line);
	if (line.n == 0) {
		ps->in_created =
		    false; /* an empty line ends created-at frames */
		return false;
	}
	if (line.p[0] == ' ' || line.p[0] == '\t')
		return parse_indented(ps, line, boxes);
	parse_unindented(ps, line);
	return true;
}

/* The lines from L on (before END) that are box lines of the top
 * block's group, each as parse_line would read it: returns the first
 * line that is none. A box line is one whose first byte past its
 * leading spaces is '|' or '+', read while the top block is a group and
 * no created-at frames are open (group_line leaves those as they are,
 * and header_after_text leaves a line led by '|' or '+'). Nearly all the
 * lines of a group's event are its box's: in a loop of their own, with
 * box_text inline, each costs its own tests and not parse_line's, nor a
 * call (on a crash loop's 2,297 groups, 38.86 to 37.03 million
 * instructions in all, callgrind). Out of line, called once a group:
 * inline, its registers changed those of parse_head's loop, which reads
 * every other line (docs/performance.md). */
static __attribute__((noinline)) const struct th_span *
box_lines(struct parser *ps, const struct th_span *l, const struct th_span *end)
{
	for (; l < end && ps->top.is_group; l++) {
		struct th_span line = *l;
		if (line.n >= 16 && box_text16(ps, line))
			continue;
		size_t col = th_spaces_from(line, 0);
		if (col >= line.n || (line.p[col] != '|' && line.p[col] != '+'))
			break;
		if (!box_text(ps, line, col))
			group_line_other(ps, line, col);
	}
	return l;
}

/* Appends S to OUT[*LEN] up to its first NUL byte (the field is a C
 * string), keeping *LEN below CAP. */
static void put_cstr(char *out, size_t cap, size_t *len, struct th_span s)
{
	size_t n = strnlen(s.p, s.n), room = cap - 1 - *len;
	n = n < room ? n : room;
	memcpy(out + *len, s.p, n);
	*len += n;
}

/* "PATH:LINE" of the last created-at frame into OUT->created_at (cut to
 * TH_MAX_FIELD - 1 bytes); an empty string when there was none. Returns
 * its length. */
static size_t format_created_at(const struct parser *ps, struct th_parsed *out)
{
	size_t len = 0, cap = sizeof out->created_at;
	if (ps->created_lineno.p != NULL) {
		put_cstr(out->created_at, cap, &len, ps->created_path);
		put_cstr(out->created_at, cap, &len, TH_SPAN_LIT(":"));
		put_cstr(out->created_at, cap, &len, ps->created_lineno);
	}
	out->created_at[len] = '\0';
	return len;
}

/* Whether LINE starts with a traceback header. Such a line starts a
 * traceback at the top level as parse_line reads it: header_after_text
 * leaves it as it is, its lead being 'T'. */
static inline bool starts_with_header(struct th_span line)
{
	return line.n >= TB_HEADER_LEN && line.p[0] == 'T' &&
	       HAS_LIT(line, 0, tb_header);
}

/* The index of EV's last line that starts with a traceback header, or N
 * (its line count) when it has none. Found from the end, line by line,
 * and by the first byte of each, from event_t_end: no line after it
 * starts with 'T', and in a crash loop the line before it is most often
 * the header, where a walk from the event's end read every line of the
 * last traceback. A header after text ("ERROR app: Traceback ...") is
 * left to the parse, which meets it as it meets any header
 * (top_header): testing the end of every line here for one made this
 * search cost a third more (callgrind, crash loop). */
static size_t last_header(const struct th_event *ev, size_t n)
{
	size_t end = event_t_end(ev);
	for (size_t i = end; i-- > ev->n_head;)
		if (starts_with_header(event_line(ev, i)))
			return i;
	size_t head_end = end < ev->n_head ? end : ev->n_head;
	for (const struct th_span *l = ev->head + head_end; l-- > ev->head;)
		if (starts_with_header(*l))
			return (size_t)(l - ev->head);
	return n;
}

/* LINE as created_only reads it: a traceback header after text is the
 * header alone. */
static inline struct th_span created_view(struct th_span line)
{
	if (line.n > TB_HEADER_LEN && line.p[line.n - TB_HEADER_LEN] == 'T')
		return header_after_text(line);
	return line;
}

/* What parse_line does to the "Object created at" frames, and nothing
 * else: for the lines before the chain's last traceback, whose other
 * grammar that traceback's header forgets (top_header). Inline: a
 * debug-mode event has some twenty frame and source lines there, and
 * the call cost as much as reading one. */
static inline __attribute__((always_inline)) void
created_only(struct parser *ps, struct th_span line)
{
	line = created_view(line);
	if (line.n == 0)
		ps->in_created = false;
	else if (line.p[0] == ' ' || line.p[0] == '\t') {
		if (ps->in_created)
			created_frame(ps, line, indent_of(line).blanks);
	} else {
		created_line(ps, line, 0);
	}
}

/* parse_line for the lines from L to END, which are read in place, with
 * box lines handed to box_lines. Only a group's header or an unindented
 * line can make the top block a group: until one does, a line is not
 * asked whether it is a box line, which cost the other events' lines a
 * load and a branch each. Once one did, every line is asked. */
static void parse_head(struct parser *ps, const struct th_span *l,
		       const struct th_span *end)
{
	for (; l < end; l++)
		if (parse_line(ps, *l, false) && ps->top.is_group)
			break;
	/* top.is_group implies top.active (block_reset) */
	while (l < end && ++l < end) {
		if (ps->top.is_group && !ps->in_created &&
		    (l = box_lines(ps, l, end)) == end)
			break;
		parse_line(ps, *l, false);
	}
}

/* Parses EV's lines [FROM, N) with parse_line. Out of line: its loop
 * keeps registers of its own, and inline in parse_event it cost more
 * (docs/performance.md). */
static __attribute__((noinline)) void
parse_lines(struct parser *ps, const struct th_event *ev, size_t from, size_t n)
{
	/* The head lines are read in place; event_line() is for the tail
	 * ring, past TH_EVENT_HEAD_LINES. A pointer, not ev->head[i]: the
	 * parser's stores could alias *EV, and ev->head would be loaded
	 * again for every line. */
	if (from < ev->n_head)
		parse_head(ps, ev->head + from, ev->head + ev->n_head);
	for (size_t i = from > ev->n_head ? from : ev->n_head; i < n; i++)
		parse_line(ps, event_line(ev, i), true);
}

/* The first line in [L, E) that may_be_created outside the frames: one
 * that starts as created_header's. Most of the lines before a chain's
 * last traceback are none, and a loop of its own settles each by its
 * first byte. */
static inline const struct th_span *created_header_from(const struct th_span *l,
							const struct th_span *e)
{
	for (; l < e; l++)
		if (l->n > 0 && (l->p[0] == 's' || l->p[0] == 'O'))
			break;
	return l;
}

/* The lines from L on (before E) that created_only would give to
 * created_frame, created-at frames being open: up to the first it would
 * not (an empty line, or one not indented, which ends the frames or
 * opens new ones), which is returned. Only the last frame counts: the
 * lines are walked by their first byte, then read from the last one back
 * to the first that is a frame. Kept a line at a time in the window
 * (created_frame), the twenty lines of a debug-mode event's frames cost
 * some 1,300 instructions (callgrind, crash loop). */
static const struct th_span *created_section(struct parser *ps,
					     const struct th_span *l,
					     const struct th_span *e)
{
	const struct th_span *start = l;
	for (; l < e; l++) {
		struct th_span line = created_view(*l);
		if (line.n == 0 || (line.p[0] != ' ' && line.p[0] != '\t'))
			break;
	}
	for (const struct th_span *f = l; f-- > start;) {
		struct th_span line = created_view(*f);
		struct frame_line fl = {line, indent_of(line).blanks};
		if (HAS_LIT(line, fl.blanks, "File \"") &&
		    created_parse(ps, &fl))
			break;
	}
	return l;
}

/* The "Object created at" frames of EV's lines [0, END), when the lines
 * after gave none: the last of the event's counts. */
static void created_before(struct parser *ps, const struct th_event *ev,
			   size_t end)
{
	if (ps->created_lineno.p != NULL)
		return;
	ps->in_created = false;
	size_t head_end = end < ev->n_head ? end : ev->n_head;
	for (const struct th_span *l = ev->head, *e = l + head_end; l < e;
	     l++) {
		if (!ps->in_created && (l = created_header_from(l, e)) == e)
			break;
		if (ps->in_created && (l = created_section(ps, l, e)) == e)
			break;
		created_only(ps, *l);
	}
	for (size_t i = head_end; i < end; i++)
		created_only(ps, event_line(ev, i));
	created_resolve(ps);
}

/* Parses EV into PS->out with PS (its rules, verdicts and out set), all
 * but the culprit (parsed_culprit). PS's top block is left as the
 * event's last traceback: its frame lines stay there to be asked about
 * (block_culprit, block_below_wrapper) while EV is unchanged.
 *
 * Only the last traceback of a chain is reported (README.md, "What it
 * finds"), and its header forgets all the grammar before it but the
 * "Object created at" frames (top_header): the parse starts at the last
 * line that starts with a header, found from the end (a header after
 * text past it is met by the parse, and forgets as that one does), and
 * the lines before it are read for created-at frames alone, and only
 * when the rest had none and the event's rule reads them (want_created:
 * in a crash loop, a third of the events are python.* rules', which do
 * not). */
static void parse_event(struct parser *ps, const struct th_event *ev)
{
	struct th_parsed *out = ps->out;
	/* Not the leaves (about 8 KiB): only the first n_leaves are read;
	 * the fields before them are all set at the end. */
	new_chain_end(out);
	/* not all of PS: slot_at clears slots */
	block_reset(&ps->top, false, false);
	ps->n_slots = 0;
	ps->in_created = false;
	ps->created_path = (struct th_span){NULL, 0}; /* see block_reset */
	ps->created_lineno = (struct th_span){NULL, 0};
	ps->n_created = 0;
	size_t n = event_line_count(ev), from = last_header(ev, n);
	if (from == n) {
		from = 0;
		parse_lines(ps, ev, 0, n);
	} else {
		/* parse_line would read the header the search just found
		 * again, only to come to top_header: with PS fresh, that is
		 * all it does with it */
		top_header(ps);
		parse_lines(ps, ev, from + 1, n);
	}
	finish_slots(ps, 0);
	size_t created_len = 0;
	if (ps->want_created) {
		created_resolve(ps);
		created_before(ps, ev, from);
		created_len = format_created_at(ps, out);
	} else {
		out->created_at[0] = '\0';
	}
	out->facts.value[TH_BUILTIN_CREATED_AT] =
	    created_len > 0 ? (struct th_span){out->created_at, created_len}
			    : (struct th_span){NULL, 0};
	out->facts.value[TH_BUILTIN_EXCEPTION] = ps->top.exception;
	out->message = ps->top.message;
	out->below_wrapper = (struct th_span){NULL, 0};
	out->last_is_group = ps->top.active && ps->top.is_group;
}

/* Sets PS->out's culprit and its function fact, after parse_event. Apart:
 * an event split into its leaves is named after theirs, and its own
 * culprit is not looked for. */
static void parsed_culprit(const struct parser *ps)
{
	struct th_parsed *out = ps->out;
	out->culprit = block_culprit(ps, &ps->top);
	/* Events are named after the culprit, not the innermost frame:
	 * patterns/README.md "Frames: application and library code". */
	out->facts.value[TH_BUILTIN_FUNCTION] = out->culprit.function;
}

void classify_parse(const struct th_event *ev, const struct th_rules *rules,
		    struct th_parsed *out)
{
	struct parser *ps = xmalloc(sizeof *ps);
	ps->rules = rules;
	ps->verdicts = NULL;
	ps->out = out;
	ps->want_created = true; /* every fact, whatever the rule */
	parse_event(ps, ev);
	parsed_culprit(ps);
	out->below_wrapper = block_below_wrapper(rules, &ps->top);
	free(ps);
}

struct th_classifier {
	const struct th_rules *rules;
	struct th_matcher *matcher;
	struct th_run *run;
	th_deliver_fn deliver;
	void *ctx;
	th_ignored_fn ignored; /* NULL: no probe */
	void *ignored_ctx;
	th_filter_fn filter; /* NULL: every event */
	void *filter_ctx;
	struct th_parsed parsed;
	struct verdicts verdicts;
	struct parser parser; /* its out is parsed, its verdicts verdicts */
	/* per enabled rule: whether it reads source_traceback.location
	 * (asked once here, not per event) */
	bool *wants_created;
	size_t n_rules;
};

struct th_classifier *classify_new(const struct th_rules *rules,
				   struct th_matcher *m, struct th_run *run,
				   th_deliver_fn deliver, void *ctx)
{
	/* Not zeroed: of its some 60 KiB, the parse writes all of parsed
	 * and parser that it reads, and a verdict set needs only its
	 * slots' used flags; clearing it all cost more than classifying
	 * a log with few events. */
	struct th_classifier *c = xmalloc(sizeof *c);
	c->rules = rules;
	c->matcher = m;
	c->run = run;
	c->deliver = deliver;
	c->ctx = ctx;
	c->ignored = NULL;
	c->ignored_ctx = NULL;
	c->filter = NULL;
	c->filter_ctx = NULL;
	for (size_t i = 0; i < VERDICT_SETS; i++) {
		struct verdict_set *set = &c->verdicts.set[i];
		set->way[0].used = set->way[1].used = false;
		set->victim = 0;
	}
	c->parser.rules = rules;
	c->parser.verdicts = &c->verdicts;
	c->parser.out = &c->parsed;
	c->n_rules = rules_count(rules);
	c->wants_created = xmalloc(c->n_rules + 1);
	for (size_t i = 0; i < c->n_rules; i++)
		c->wants_created[i] =
		    rules_uses_builtin(rules, i, TH_BUILTIN_CREATED_AT);
	return c;
}

void classify_free(struct th_classifier *c)
{
	if (c != NULL)
		free(c->wants_created);
	free(c);
}

void classify_set_filter(struct th_classifier *c, th_filter_fn fn, void *ctx)
{
	c->filter = fn;
	c->filter_ctx = ctx;
}

void classify_set_ignore_probe(struct th_classifier *c, th_ignored_fn fn,
			       void *ctx)
{
	c->ignored = fn;
	c->ignored_ctx = ctx;
}

/* "a.<locals>.b" -> "b": frames name a coroutine by its function name
 * only, while coro=<...> prints the qualified name. */
static struct th_span last_name(struct th_span qualified)
{
	const char *dot = memrchr(qualified.p, '.', qualified.n);
	if (dot == NULL)
		return qualified;
	size_t skip = (size_t)(dot - qualified.p) + 1;
	return (struct th_span){qualified.p + skip, qualified.n - skip};
}

/* Whether coroutine Q (coro=<...>'s name, maybe qualified) is a wrapper
 * of RULES by its last name. Its last name can be one only when Q is
 * one itself or ends with "." and one (rules_is_wrapper of Q), which is
 * asked first: nearly no coroutine is, and the last name's memrchr cost
 * every event with a coroutine a call (callgrind, crash loop). */
static bool coroutine_is_wrapper(const struct th_rules *rules, struct th_span q)
{
	return rules_is_wrapper(rules, q) &&
	       rules_is_wrapper(rules, last_name(q));
}

/* Whether final-line type T names TYPE: the same, or TYPE qualified by
 * its module ("errors.UpstreamError" for a repr's "UpstreamError"). */
static bool names_type(struct th_span t, struct th_span type)
{
	if (t.n < type.n || type.n == 0 ||
	    memcmp(t.p + t.n - type.n, type.p, type.n) != 0)
		return false;
	return t.n == type.n || t.p[t.n - type.n - 1] == '.';
}

/* The message of an exception printed without a traceback: a future
 * whose exception was set, never raised, is logged as its "future:" line
 * and then only the final line ("ConnectionResetError: peer reset").
 * That is the last line of EV naming TYPE; empty span when none does. */
static struct th_span bare_final_message(const struct th_event *ev,
					 struct th_span type)
{
	for (size_t i = event_line_count(ev); i-- > 0;) {
		struct th_span line = event_line(ev, i);
		struct th_span t = classify_exception_type(line);
		if (t.p != NULL && names_type(t, type))
			return message_after_type(line, t);
	}
	return (struct th_span){NULL, 0};
}

/* The number DIGITS (ASCII digits) spell, its digits read while the
 * number is below UINT64_MAX / 10. Nineteen digits or fewer never reach
 * that: their loop has no test but its count. */
static inline uint64_t line_number(struct th_span digits)
{
	uint64_t line = 0;
	if (digits.n <= 19) {
		for (size_t i = 0; i < digits.n; i++)
			line = line * 10 + (uint64_t)(digits.p[i] - '0');
		return line;
	}
	for (size_t i = 0; i < digits.n && line < UINT64_MAX / 10; i++)
		line = line * 10 + (uint64_t)(digits.p[i] - '0');
	return line;
}

/* Fills EV's fields from FACTS, MESSAGE and the rule, then delivers it
 * unless an ignore rule drops it. */
static void finish_one(struct th_classifier *c, struct th_event *ev,
		       const struct th_facts *facts, struct th_span message,
		       const struct th_frame_ref *culprit)
{
	/* The source is the framing's (set by the assembler), not the
	 * rule's: it stays unless the rule has a group of that name. */
	event_unset_all_but(ev, TH_F_SOURCE);
	event_set_culprit(ev, culprit->file, line_number(culprit->line),
			  culprit->function);
	rules_extract(c->matcher, ev, facts);
	/* A rule's own `message` group wins; else the final line's (of the
	 * traceback, or the bare one an exception without a traceback has:
	 * README.md "The JSON report", `message`). */
	if (!event_has(ev, TH_F_MESSAGE) && message.p == NULL &&
	    culprit->file.p == NULL && event_has(ev, TH_F_EXCEPTION))
		message = bare_final_message(ev, event_get(ev, TH_F_EXCEPTION));
	if (!event_has(ev, TH_F_MESSAGE) && message.p != NULL)
		event_set(ev, TH_F_MESSAGE, message);
	/* The frame under a wrapper is read only when the coroutine is a
	 * wrapper: few events have one. */
	if (event_has(ev, TH_F_COROUTINE) && block_may_wrap(&c->parser.top) &&
	    coroutine_is_wrapper(c->rules, event_get(ev, TH_F_COROUTINE))) {
		struct th_span below =
		    block_below_wrapper(c->rules, &c->parser.top);
		if (below.p != NULL)
			event_set(ev, TH_F_COROUTINE, below);
	}
	long ignore = rules_ignored(c->matcher, ev);
	if (ignore >= 0) {
		c->run->ignored[ignore]++;
		if (c->ignored != NULL)
			c->ignored(c->ignored_ctx, ev, (size_t)ignore);
		return;
	}
	c->run->counts.events++;
	c->deliver(c->ctx, ev);
}

void classify_event(struct th_classifier *c, struct th_event *ev)
{
	if (c->filter != NULL && !c->filter(c->filter_ctx, ev))
		return;
	struct th_parsed *p = &c->parsed;
	/* a rule index out of range is rules_extract's to reject */
	c->parser.want_created =
	    ev->rule >= c->n_rules || c->wants_created[ev->rule];
	parse_event(&c->parser, ev);
	if (ev->skipped > 0 || ev->lines_cut > 0)
		c->run->counts.events_truncated++;
	if (!ev->complete)
		c->run->counts.events_incomplete++;
	if (!p->last_is_group || p->n_leaves == 0 ||
	    !rules_split_leaves(c->rules, ev->rule)) {
		parsed_culprit(&c->parser);
		finish_one(c, ev, &p->facts, p->message, &p->culprit);
		return;
	}
	for (size_t i = 0; i < p->n_leaves; i++) {
		struct th_facts leaf = p->facts;
		leaf.value[TH_BUILTIN_EXCEPTION] = p->leaves[i].exception;
		leaf.value[TH_BUILTIN_FUNCTION] = p->leaves[i].culprit.function;
		finish_one(c, ev, &leaf, p->leaves[i].message,
			   &p->leaves[i].culprit);
	}
}
