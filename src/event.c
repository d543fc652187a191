/* event.c - storage of an event's lines and fields; see event.h. */
#include "event.h"

#include <stdint.h>
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
	ev->borrowed = false;
	ev->skipped = 0;
	ev->n_tail = ev->tail_next = 0;
	ev->lines_cut = 0;
	ev->last_t = 0;
	for (size_t f = 0; f < TH_F_COUNT; f++)
		ev->fields[f].set = false;
	ev->culprit.file.set = ev->culprit.function.set = false;
}

/* Makes room in the store for N more bytes. Spans into the store are
 * rebased after realloc moves it, and only those: a borrowed span
 * points elsewhere (event_borrow_line). */
static void store_reserve(struct th_event *ev, size_t n)
{
	size_t need = ev->store_len + n;
	if (need <= ev->store_cap)
		return;
	/* the old bounds as integers: the old pointer is not used once
	 * realloc freed it */
	uintptr_t old = (uintptr_t)ev->store, old_end = old + ev->store_cap;
	XGROW(ev->store, ev->store_cap, need, 4096);
	for (size_t i = 0; i < ev->n_head; i++) {
		uintptr_t p = (uintptr_t)ev->head[i].p;
		if (p >= old && p < old_end)
			ev->head[i].p = ev->store + (p - old);
	}
}

/* Makes room for one more head line of N bytes. An empty first line
 * still gets a store: a span never points at NULL. */
static void head_reserve(struct th_event *ev, size_t n)
{
	if (ev->n_head == ev->head_cap) {
		XGROW(ev->head, ev->head_cap, ev->n_head + 1, 64);
		ev->head_room = ev->head_cap < TH_EVENT_HEAD_LINES
				    ? ev->head_cap
				    : TH_EVENT_HEAD_LINES;
	}
	store_reserve(ev, n ? n : 1);
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

/* Out of line: it runs a few times per event buffer and for long
 * events, and inlined it would make every head line save registers. */
__attribute__((noinline)) void event_add_line_slow(struct th_event *ev,
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

void event_own_lines(struct th_event *ev)
{
	if (!ev->borrowed)
		return;
	for (size_t i = 0; i < ev->n_head; i++) {
		struct th_span line = ev->head[i];
		uintptr_t p = (uintptr_t)line.p, from = (uintptr_t)ev->store;
		if (p >= from && p < from + ev->store_cap)
			continue; /* a copy already */
		store_reserve(ev, line.n ? line.n : 1);
		char *at = ev->store + ev->store_len;
		memcpy(at, line.p, line.n);
		ev->store_len += line.n;
		ev->head[i].p = at;
	}
	ev->borrowed = false;
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

/* event_value_set for a V that holds a NUL byte. Out of line, and
 * called last: a NUL in a value is rare, and inlined its loop made every
 * value_set save and restore four registers. */
void event_value_set_nuls(struct th_value *val, struct th_span v)
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

bool event_has_culprit(const struct th_event *ev)
{
	return ev->culprit.file.set;
}

void event_unset(struct th_event *ev, enum th_field f)
{
	ev->fields[f].set = false;
}
