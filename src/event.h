/* event.h - one assembled failure report and the fields taken from it.
 *
 * Owns:        copies of the event's lines (the first TH_EVENT_HEAD_LINES and
 *              a ring of the last TH_EVENT_TAIL_LINES, each cut to
 *              TH_EVENT_LINE_BYTES) and its field values.
 * Caller owns: the event itself (event_init/event_fini on caller storage).
 *              The input name is borrowed and must outlive the event; so
 *              are the bytes of head lines added by event_borrow_line,
 *              until event_own_lines copies them.
 *
 * The assembler fills the lines and positions; classify fills the fields.
 * A sink sees a complete event and must copy what it keeps.
 */
#ifndef TH_EVENT_H
#define TH_EVENT_H

#include <string.h>

#include "isotime.h"
#include "th_limits.h"
#include "th.h"

/* A field value as taken from the log: a C string (a NUL byte of the
 * log became U+FFFD, see event.c), cut to TH_MAX_FIELD - 1 bytes. */
struct th_value {
	bool set;
	size_t n;
	char v[TH_MAX_FIELD];
};

/* The frame an event is named after (README.md, "What it finds"): set
 * when file.set; file and function are cut like field values. */
struct th_culprit {
	struct th_value file, function;
	uint64_t line;
};

struct th_event {
	size_t rule;	     /* enabled-rule index, < catalog_rule_count() */
	const char *input;   /* borrowed input name */
	size_t input_index;  /* position of the input on the command line */
	uint64_t line;	     /* first line, 1-based */
	uint64_t end_line;   /* last line */
	uint64_t end_offset; /* byte offset just past the last line */
	bool complete; /* false: cut off by end of input or another event */
	struct th_time time; /* unknown: !isotime_known */

	/* lines: head[0..n_head) then skipped (not kept) then the tail ring */
	char *store; /* head lines' bytes, but for borrowed ones */
	size_t store_len, store_cap;
	struct th_span *head; /* spans into store (rebased on growth) */
	size_t n_head, head_cap;
	size_t head_room; /* min(head_cap, TH_EVENT_HEAD_LINES): below it a
			     line goes to the head without growing it */
	bool borrowed;	  /* some head span points outside store, at bytes
			     the caller lent (event_borrow_line) */
	uint64_t skipped; /* lines between head and tail not kept */
	char *tail[TH_EVENT_TAIL_LINES];
	size_t tail_len[TH_EVENT_TAIL_LINES];
	size_t n_tail, tail_next;
	uint64_t lines_cut; /* lines longer than TH_EVENT_LINE_BYTES */
	uint64_t last_t;    /* 1-based number among the lines added (kept or
			       skipped) of the last whose first byte is 'T';
			       0: none (event_t_end) */

	struct th_value fields[TH_F_COUNT];
	struct th_culprit culprit;
};

void event_init(struct th_event *ev);
void event_fini(struct th_event *ev);

/* Forgets lines and fields, keeps the memory for the next event. */
void event_reset(struct th_event *ev);

/* Appends a copy of LINE (cut to TH_EVENT_LINE_BYTES). Inline below. */
static inline void event_add_line(struct th_event *ev, struct th_span line);

/* An index past which no kept line starts with the byte 'T': one past
 * the last kept line that does, 0 when no line added did, and n_head
 * when the last that did has left the tail ring (the tail lines kept
 * after it do not). Classify looks for the chain's last traceback
 * header ("Traceback ...") from here back, not from the event's end: a
 * byte, not the header, so that this module knows no log grammar. */
static inline size_t event_t_end(const struct th_event *ev)
{
	uint64_t t = ev->last_t;
	if (t <= ev->n_head)
		return (size_t)t;
	uint64_t tail_start = ev->n_head + ev->skipped;
	return t > tail_start ? (size_t)(t - ev->skipped) : ev->n_head;
}

/* What event_add_line and the borrowing adds need of event.c's storage,
 * inline in this header for them. */

/* 16 bytes from SRC to DST: one unaligned load and store. */
static inline void event_copy16(char *dst, const char *src)
{
	memcpy(dst, src, 16);
}

/* Copies N bytes by size class: up to 16 by the two ends of the span,
 * up to 64 as two pairs of 16-byte steps from both ends that overlap,
 * and past that in 32-byte steps, the last one overlapping the one
 * before. An event line is tens of bytes: a plain memcpy, whose length
 * the compiler knows to be bounded, becomes a `rep movs` that costs more
 * to start than the copy itself, and a loop of steps spent more on its
 * control than on the copy. Reads and writes only [0, N). */
static inline void event_copy_short(char *dst, const char *src, size_t n)
{
	if (n > 32) {
		event_copy16(dst, src);
		event_copy16(dst + 16, src + 16);
		for (size_t i = 32; i + 32 < n; i += 32) {
			event_copy16(dst + i, src + i);
			event_copy16(dst + i + 16, src + i + 16);
		}
		event_copy16(dst + n - 32, src + n - 32);
		event_copy16(dst + n - 16, src + n - 16);
	} else if (n >= 16) {
		event_copy16(dst, src);
		event_copy16(dst + n - 16, src + n - 16);
	} else if (n >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else if (n >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else if (n > 0) {
		dst[0] = src[0];
		dst[n / 2] = src[n / 2];
		dst[n - 1] = src[n - 1];
	}
}

/* Whether a line of N bytes goes to the head without growing it: the
 * usual line costs these three compares, the copy and a span. */
static inline bool event_head_has_room(const struct th_event *ev, size_t n)
{
	return ev->n_head < ev->head_room && n <= TH_EVENT_LINE_BYTES &&
	       n < ev->store_cap - ev->store_len;
}

/* Appends a head line that fits (ev->store has room for LINE's bytes and
 * ev->head for its span). The copy comes last: its stores could alias
 * *EV, and the fields read after it would be loaded again. */
static inline void event_head_add(struct th_event *ev, struct th_span line)
{
	size_t n_head = ev->n_head;
	char *at = ev->store + ev->store_len;
	ev->store_len += line.n;
	ev->head[n_head] = (struct th_span){at, line.n};
	ev->n_head = n_head + 1;
	event_copy_short(at, line.p, line.n);
}

/* event_add_line for every line that is not a head line with room
 * ready: an overlong line, a tail line, or one the head must grow for
 * (in event.c). */
void event_add_line_slow(struct th_event *ev, struct th_span line);

/* Notes LINE, about to be added, as the last led by 'T' if it is
 * (event_t_end). */
static inline void event_note_t(struct th_event *ev, struct th_span line)
{
	if (line.n > 0 && line.p[0] == 'T')
		ev->last_t = ev->n_head + ev->skipped + ev->n_tail + 1;
}

/* Inline: the assembler adds every record line of an event with it, and
 * the call cost as much as the usual add. */
static inline void event_add_line(struct th_event *ev, struct th_span line)
{
	event_note_t(ev, line);
	if (event_head_has_room(ev, line.n))
		event_head_add(ev, line);
	else
		event_add_line_slow(ev, line);
}

/* Head lines that borrow their bytes instead of copying them (the
 * assembler's frames, source lines and box lines, half the lines of a
 * crash loop, read in place from the line reader's window:
 * docs/performance.md). A borrowed span points at the caller's bytes,
 * which must stay as they are until event_own_lines or event_reset:
 * the caller calls event_own_lines before it moves them. An event
 * handed to a sink while they stay needs no copy at all.
 * Precondition: LINE is empty or its first byte is not 'T' (the
 * assembler passes indented lines only, led by ' ' or '\t'): this path
 * does not update last_t, which event_t_end reads. A line the head has
 * no room for, or longer than TH_EVENT_LINE_BYTES, is copied
 * (event_add_line). */
static inline void event_borrow_line(struct th_event *ev, struct th_span line)
{
	size_t n_head = ev->n_head;
	if (n_head < ev->head_room && line.n <= TH_EVENT_LINE_BYTES) {
		ev->head[n_head] = line;
		ev->n_head = n_head + 1;
		ev->borrowed = true;
	} else {
		event_add_line_slow(ev, line);
	}
}

/* event_add_line that borrows LINE's bytes where event_borrow_line
 * would (same lifetime), for a line whose first byte may be 'T'. */
static inline void event_lend_line(struct th_event *ev, struct th_span line)
{
	event_note_t(ev, line);
	event_borrow_line(ev, line);
}

/* A run of borrowed head lines (the assembler's run of a traceback's
 * frames): event_run_spans shows where their spans go and how many the
 * head takes without growing (*LINES); the caller writes the first K
 * spans there, each of at most TH_EVENT_LINE_BYTES and with a first byte
 * other than 'T' (as event_borrow_line), and event_run_commit makes
 * them head lines, borrowed. */
static inline struct th_span *event_run_spans(const struct th_event *ev,
					      size_t *lines)
{
	*lines = ev->head_room - ev->n_head;
	return ev->head + ev->n_head;
}

static inline void event_run_commit(struct th_event *ev, size_t k)
{
	ev->n_head += k;
	ev->borrowed = true;
}

/* Copies the bytes of every borrowed head line into the event's own
 * storage: after it, the event holds no pointer to the caller's bytes. */
void event_own_lines(struct th_event *ev);

/* Lines kept: head then tail, in order. I is < event_line_count(). The span
 * is valid until the next event_add_line or event_reset, and a borrowed
 * one's until the bytes lent move (event_borrow_line). Inline: the
 * assembler, the matcher and the sinks walk every line of an event, and a
 * call cost more than the lookup. */
static inline size_t event_line_count(const struct th_event *ev)
{
	return ev->n_head + ev->n_tail;
}

static inline struct th_span event_line(const struct th_event *ev, size_t i)
{
	if (i < ev->n_head)
		return ev->head[i];
	i -= ev->n_head;
	size_t oldest = (ev->tail_next + TH_EVENT_TAIL_LINES - ev->n_tail) %
			TH_EVENT_TAIL_LINES;
	size_t slot = (oldest + i) % TH_EVENT_TAIL_LINES;
	return (struct th_span){ev->tail[slot], ev->tail_len[slot]};
}

/* True when kept line I follows a run of skipped lines. */
static inline bool event_gap_before(const struct th_event *ev, size_t i)
{
	return ev->skipped > 0 && i == ev->n_head;
}

/* The event's text: kept lines joined by "\n", with a "[… N lines not
 * kept …]" marker where lines were skipped. Writes at most CAP-1 bytes and
 * a NUL; returns the full length it would need (like snprintf). */
size_t event_text(const struct th_event *ev, char *buf, size_t cap);

/* Field access. A value is cut to TH_MAX_FIELD - 1 bytes. event_set
 * and event_set_culprit are inline below: the matcher and classify set
 * some four values an event, and the call cost a fifth of a set. */
static inline void event_set(struct th_event *ev, enum th_field f,
			     struct th_span v);
void event_unset(struct th_event *ev, enum th_field f);
/* Unsets every field but KEEP: classify starts each event (and each leaf
 * of a group) over, keeping the source the framing set. Every field
 * unset, then KEEP's flag put back: a loop without a test that the
 * compiler unrolls into TH_F_COUNT stores; inline, as a call cost as
 * much. */
static inline void event_unset_all_but(struct th_event *ev, enum th_field keep)
{
	bool kept = ev->fields[keep].set;
	for (size_t f = 0; f < TH_F_COUNT; f++)
		ev->fields[f].set = false;
	ev->fields[keep].set = kept;
}

/* Sets the culprit (FILE, LINE, FUNCTION); FILE.p NULL unsets it. */
static inline void event_set_culprit(struct th_event *ev, struct th_span file,
				     uint64_t line, struct th_span function);
bool event_has_culprit(const struct th_event *ev);

/* Inline: the matcher and the aggregate ask a few of these per event, and
 * a call cost more than the load. */
static inline bool event_has(const struct th_event *ev, enum th_field f)
{
	return ev->fields[f].set;
}

static inline struct th_span event_get(const struct th_event *ev,
				       enum th_field f)
{
	const struct th_value *val = &ev->fields[f];
	return val->set ? (struct th_span){val->v, val->n}
			: (struct th_span){NULL, 0};
}

/* What event_set and event_set_culprit need of event.c's value
 * storage, inline in this header for them. */

/* Sixteen bytes as one vector (GCC and Clang vector extensions: SSE2 on
 * x86-64, NEON on arm64, plain words elsewhere); a compare gives a lane
 * of all ones where a byte is 0. */
typedef unsigned char event_bytes16 __attribute__((vector_size(16)));
typedef signed char event_lanes16 __attribute__((vector_size(16)));

/* copy16 that returns the lanes of SRC's NUL bytes. */
static inline event_lanes16 event_copy16_nuls(char *dst, const char *src)
{
	event_bytes16 v;
	memcpy(&v, src, sizeof v);
	memcpy(dst, &v, sizeof v);
	return v == (event_bytes16){0};
}

static inline bool event_any_lane(event_lanes16 m)
{
	uint64_t lo, hi;
	memcpy(&lo, &m, sizeof lo);
	memcpy(&hi, (const char *)&m + sizeof lo, sizeof hi);
	return (lo | hi) != 0;
}

/* The borrows of W - 0x01 in every byte, kept where the byte's top bit
 * was clear: nonzero in a byte's top bit exactly when some byte of W is
 * 0. */
static inline uint64_t event_nul_borrows(uint64_t w)
{
	return (w - 0x0101010101010101u) & ~w & 0x8080808080808080u;
}

static inline uint64_t event_load8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

static inline void event_store8(char *p, uint64_t w)
{
	memcpy(p, &w, sizeof w);
}

/* event_copy_short for a field value, which also tells whether the N
 * bytes hold a NUL: the test rides on the vectors the copy loads, where
 * a memchr before the copy read the value twice and cost a call. The
 * same size classes as event_copy_short's but for 33 to 64 bytes. */
static inline bool event_copy_short_found_nul(char *dst, const char *src,
					      size_t n)
{
	if (n > 32) {
		event_lanes16 seen = {0};
		for (size_t i = 0; i + 32 < n; i += 32)
			seen |= event_copy16_nuls(dst + i, src + i) |
				event_copy16_nuls(dst + i + 16, src + i + 16);
		seen |= event_copy16_nuls(dst + n - 32, src + n - 32) |
			event_copy16_nuls(dst + n - 16, src + n - 16);
		return event_any_lane(seen);
	}
	if (n >= 16)
		return event_any_lane(
		    event_copy16_nuls(dst, src) |
		    event_copy16_nuls(dst + n - 16, src + n - 16));
	if (n >= 8) {
		uint64_t a = event_load8(src), b = event_load8(src + n - 8);
		event_store8(dst, a);
		event_store8(dst + n - 8, b);
		return (event_nul_borrows(a) | event_nul_borrows(b)) != 0;
	}
	bool seen = false;
	for (size_t i = 0; i < n; i++) {
		dst[i] = src[i];
		seen |= src[i] == '\0';
	}
	return seen;
}

/* event_value_set for a V that holds a NUL byte (in event.c). */
void event_value_set_nuls(struct th_value *val, struct th_span v);

/* V into VAL, each NUL byte replaced by U+FFFD, cut to TH_MAX_FIELD - 1
 * bytes. A value is a C string for the aggregate, the reports and the
 * state, and all of them must see the same one (README, "Inputs"): a NUL
 * kept would end it there for some and not for others, and two names
 * that differ after it would fall into one group. */
static inline void event_value_set(struct th_value *val, struct th_span v)
{
	size_t n = v.n < TH_MAX_FIELD - 1 ? v.n : TH_MAX_FIELD - 1;
	if (event_copy_short_found_nul(val->v, v.p, n)) {
		event_value_set_nuls(val, v);
		return;
	}
	val->v[n] = '\0';
	val->n = n;
	val->set = true;
}

static inline void event_set(struct th_event *ev, enum th_field f,
			     struct th_span v)
{
	event_value_set(&ev->fields[f], v);
}

static inline void event_set_culprit(struct th_event *ev, struct th_span file,
				     uint64_t line, struct th_span function)
{
	struct th_culprit *c = &ev->culprit;
	c->file.set = c->function.set = false;
	c->line = 0;
	if (file.p == NULL)
		return;
	event_value_set(&c->file, file);
	event_value_set(&c->function, function);
	c->line = line;
}

/* One line as the stages pass it on: prefix.c makes it from a line of
 * the input (its framing, writer and time read), the assembler takes it.
 * TEXT is borrowed from the line reader's buffer (see prefix.h). */
struct th_record {
	struct th_span text; /* the message: framing, ANSI escapes, trailing
				blanks and a BOM removed */
	uint64_t number;     /* line number in the input */
	uint64_t offset;     /* byte offset of the line's start */
	uint64_t end_offset; /* just past the line and its newline */
	uint32_t source;     /* which writer; 0 when nothing names one */
	struct th_span source_name; /* its name (the event's `source`):
				       empty when source is 0 */
	bool record_start;	    /* a logging prefix or a JSON record opens a
				       new record here */
	bool structured;	    /* a line of a structured record (JSON,
				       key=value), which holds its own
				       traceback */
	struct th_time time;	    /* when a prefix has one (isotime_known) */
};

#endif
