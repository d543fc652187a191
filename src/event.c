/* event.c - storage of an event's lines and fields; see event.h. */
#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void event_init(struct th_event *ev)
{
	memset(ev, 0, sizeof *ev);
}

void event_fini(struct th_event *ev)
{
	free(ev->store);
	free(ev->head);
	for (size_t i = 0; i < TH_EVENT_TAIL_LINES; i++)
		free(ev->tail[i]);
	event_init(ev);
}

void event_reset(struct th_event *ev)
{
	ev->rule = 0;
	ev->input = NULL;
	ev->input_index = 0;
	ev->line = ev->end_line = ev->end_offset = 0;
	ev->complete = false;
	ev->time = (struct th_time){0};
	ev->store_len = 0;
	ev->n_head = 0;
	ev->skipped = 0;
	ev->n_tail = ev->tail_next = 0;
	ev->lines_cut = 0;
	for (size_t f = 0; f < TH_F_COUNT; f++)
		ev->fields[f].set = false;
	ev->culprit.file.set = ev->culprit.function.set = false;
}

/* Sixteen bytes as one vector (GCC and Clang vector extensions: SSE2 on
 * x86-64, NEON on arm64, plain words elsewhere); a compare gives a lane
 * of all ones where a byte is 0. */
typedef unsigned char bytes16 __attribute__((vector_size(16)));
typedef signed char lanes16 __attribute__((vector_size(16)));

/* copy16 that returns the lanes of SRC's NUL bytes. */
static inline lanes16 copy16_nuls(char *dst, const char *src)
{
	bytes16 v;
	memcpy(&v, src, sizeof v);
	memcpy(dst, &v, sizeof v);
	return v == (bytes16){0};
}

static inline bool any_lane(lanes16 m)
{
	uint64_t lo, hi;
	memcpy(&lo, &m, sizeof lo);
	memcpy(&hi, (const char *)&m + sizeof lo, sizeof hi);
	return (lo | hi) != 0;
}

/* The borrows of W - 0x01 in every byte, kept where the byte's top bit
 * was clear: nonzero in a byte's top bit exactly when some byte of W is
 * 0. */
static inline uint64_t nul_borrows(uint64_t w)
{
	return (w - 0x0101010101010101u) & ~w & 0x8080808080808080u;
}

static inline uint64_t load8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

static inline void store8(char *p, uint64_t w)
{
	memcpy(p, &w, sizeof w);
}

/* event_copy_short for a field value, which also tells whether the N bytes hold
 * a NUL: the test rides on the vectors the copy loads, where a memchr
 * before the copy read the value twice and cost a call. The same size
 * classes as event_copy_short's but for 33 to 64 bytes. */
static inline bool copy_short_found_nul(char *dst, const char *src, size_t n)
{
	if (n > 32) {
		lanes16 seen = {0};
		for (size_t i = 0; i + 32 < n; i += 32)
			seen |= copy16_nuls(dst + i, src + i) |
				copy16_nuls(dst + i + 16, src + i + 16);
		seen |= copy16_nuls(dst + n - 32, src + n - 32) |
			copy16_nuls(dst + n - 16, src + n - 16);
		return any_lane(seen);
	}
	if (n >= 16)
		return any_lane(copy16_nuls(dst, src) |
				copy16_nuls(dst + n - 16, src + n - 16));
	if (n >= 8) {
		uint64_t a = load8(src), b = load8(src + n - 8);
		store8(dst, a);
		store8(dst + n - 8, b);
		return (nul_borrows(a) | nul_borrows(b)) != 0;
	}
	bool seen = false;
	for (size_t i = 0; i < n; i++) {
		dst[i] = src[i];
		seen |= src[i] == '\0';
	}
	return seen;
}

/* Makes room for one more head line of N bytes. Spans are kept as offsets
 * during growth: they are rebased after realloc moves the store. An empty
 * first line still gets a store: a span never points at NULL. */
static void head_reserve(struct th_event *ev, size_t n)
{
	if (ev->n_head == ev->head_cap) {
		XGROW(ev->head, ev->head_cap, ev->n_head + 1, 64);
		ev->head_room = ev->head_cap < TH_EVENT_HEAD_LINES
				    ? ev->head_cap
				    : TH_EVENT_HEAD_LINES;
	}
	size_t need = ev->store_len + (n ? n : 1);
	if (need <= ev->store_cap)
		return;
	const char *old = ev->store;
	XGROW(ev->store, ev->store_cap, need, 4096);
	for (size_t i = 0; i < ev->n_head; i++)
		ev->head[i].p = ev->store + (ev->head[i].p - old);
}

/* The tail is a ring: when it is full, the oldest line leaves it and is
 * only counted. */
static void tail_add(struct th_event *ev, struct th_span line)
{
	size_t slot = ev->tail_next;
	if (ev->tail[slot] == NULL)
		ev->tail[slot] = xmalloc(TH_EVENT_LINE_BYTES);
	if (ev->n_tail == TH_EVENT_TAIL_LINES)
		ev->skipped++;
	else
		ev->n_tail++;
	event_copy_short(ev->tail[slot], line.p, line.n);
	ev->tail_len[slot] = line.n;
	ev->tail_next = (slot + 1) % TH_EVENT_TAIL_LINES;
}

/* event_add_line for every line that is not a head line with room ready:
 * an overlong line, a tail line, or one the head must grow for. Out of
 * line: it runs a few times per event buffer and for long events, and
 * inlined it would make every head line save registers. */
__attribute__((noinline)) static void add_line_slow(struct th_event *ev,
						    struct th_span line)
{
	if (line.n > TH_EVENT_LINE_BYTES) {
		line.n = TH_EVENT_LINE_BYTES;
		ev->lines_cut++;
	}
	if (ev->n_head >= TH_EVENT_HEAD_LINES) {
		tail_add(ev, line);
		return;
	}
	if (ev->n_head == ev->head_cap ||
	    ev->store_cap - ev->store_len <= line.n)
		head_reserve(ev, line.n);
	event_head_add(ev, line);
}

/* Called for every line of every event but those the assembler adds
 * with event_add_line_inline. */
void event_add_line(struct th_event *ev, struct th_span line)
{
	if (event_head_has_room(ev, line.n))
		event_head_add(ev, line);
	else
		add_line_slow(ev, line);
}

/* Appends N bytes at *LEN, writing only what fits below CAP - 1. */
static void put(char *buf, size_t cap, size_t *len, const char *p, size_t n)
{
	if (*len + 1 < cap) {
		size_t room = cap - 1 - *len;
		memcpy(buf + *len, p, n < room ? n : room);
	}
	*len += n;
}

size_t event_text(const struct th_event *ev, char *buf, size_t cap)
{
	size_t len = 0, count = event_line_count(ev);
	for (size_t i = 0; i < count; i++) {
		if (event_gap_before(ev, i)) {
			char gap[64];
			int g = snprintf(gap, sizeof gap,
					 "[... %llu lines not kept ...]\n",
					 (unsigned long long)ev->skipped);
			put(buf, cap, &len, gap, (size_t)g);
		}
		struct th_span line = event_line(ev, i);
		put(buf, cap, &len, line.p, line.n);
		if (i + 1 < count)
			put(buf, cap, &len, "\n", 1);
	}
	if (cap > 0)
		buf[len < cap ? len : cap - 1] = '\0';
	return len;
}

/* U+FFFD, which a NUL byte of a value becomes. */
static const char replacement[] = "\xef\xbf\xbd";

/* value_set for a V that holds a NUL byte. Out of line, and called last:
 * a NUL in a value is rare, and inlined its loop made every value_set
 * save and restore four registers. */
__attribute__((noinline)) static void
value_set_replacing_nuls(struct th_value *val, struct th_span v)
{
	size_t w = 0;
	for (size_t i = 0; i < v.n; i++) {
		bool nul = v.p[i] == '\0';
		size_t len = nul ? sizeof replacement - 1 : 1;
		if (w + len > TH_MAX_FIELD - 1)
			break;
		memcpy(val->v + w, nul ? replacement : v.p + i, len);
		w += len;
	}
	val->v[w] = '\0';
	val->n = w;
	val->set = true;
}

/* V into VAL, each NUL byte replaced by U+FFFD, cut to TH_MAX_FIELD - 1
 * bytes. A value is a C string for the aggregate, the reports and the
 * state, and all of them must see the same one (README, "Inputs"): a NUL
 * kept would end it there for some and not for others, and two names
 * that differ after it would fall into one group. Inline into
 * event_set and event_set_culprit: the matcher sets a few values per
 * event, and a second call for each cost as much as a short copy. */
static inline void value_set(struct th_value *val, struct th_span v)
{
	size_t n = v.n < TH_MAX_FIELD - 1 ? v.n : TH_MAX_FIELD - 1;
	if (copy_short_found_nul(val->v, v.p, n)) {
		value_set_replacing_nuls(val, v);
		return;
	}
	val->v[n] = '\0';
	val->n = n;
	val->set = true;
}

void event_set(struct th_event *ev, enum th_field f, struct th_span v)
{
	value_set(&ev->fields[f], v);
}

void event_set_culprit(struct th_event *ev, struct th_span file, uint64_t line,
		       struct th_span function)
{
	struct th_culprit *c = &ev->culprit;
	c->file.set = c->function.set = false;
	c->line = 0;
	if (file.p == NULL)
		return;
	value_set(&c->file, file);
	value_set(&c->function, function);
	c->line = line;
}

bool event_has_culprit(const struct th_event *ev)
{
	return ev->culprit.file.set;
}

void event_unset(struct th_event *ev, enum th_field f)
{
	ev->fields[f].set = false;
}

/* Every field unset, then KEEP's flag put back: a loop without a test
 * that the compiler unrolls into TH_F_COUNT stores. */
void event_unset_all_but(struct th_event *ev, enum th_field keep)
{
	bool kept = ev->fields[keep].set;
	for (size_t f = 0; f < TH_F_COUNT; f++)
		ev->fields[f].set = false;
	ev->fields[keep].set = kept;
}
