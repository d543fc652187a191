/* trigger.c - multi-literal search over buffers; see trigger.h. */
#include "trigger.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"

#define NOT_FOUND UINT64_MAX

struct literal {
	char *p;
	size_t n;
	uint64_t next;     /* stream offset of the next occurrence found */
	uint64_t searched; /* no occurrence starts before this (but next) */
};

struct th_trigger {
	struct literal *lits;
	size_t n;
	bool every_line;
};

struct th_trigger *trigger_new(const struct th_rules *rules)
{
	struct th_trigger *t = xcalloc(1, sizeof *t);
	const struct th_span *lits;
	size_t n;
	if (!rules_literals(rules, &lits, &n) || n == 0) {
		t->every_line = true;
		return t;
	}
	t->lits = xcalloc(n, sizeof *t->lits);
	for (size_t i = 0; i < n; i++) {
		t->lits[i].p = xstrndup(lits[i].p, lits[i].n);
		t->lits[i].n = lits[i].n;
	}
	t->n = n;
	trigger_reset(t);
	return t;
}

void trigger_free(struct th_trigger *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->lits[i].p);
	free(t->lits);
	free(t);
}

void trigger_reset(struct th_trigger *t)
{
	for (size_t i = 0; i < t->n; i++) {
		t->lits[i].next = NOT_FOUND;
		t->lits[i].searched = 0;
	}
}

/* Where literal L next occurs at or after START within the window, as a
 * stream offset, or NOT_FOUND. Searches only bytes not searched before. */
static uint64_t literal_next(struct literal *l, struct th_span w,
			     uint64_t start)
{
	uint64_t end = start + w.n;
	if (l->next != NOT_FOUND && l->next >= start)
		return l->next + l->n <= end ? l->next : NOT_FOUND;
	uint64_t from = l->searched > start ? l->searched : start;
	if (from + l->n > end)
		return NOT_FOUND;
	const char *hit = memmem(w.p + (from - start), end - from, l->p, l->n);
	if (hit == NULL) {
		/* The last n-1 bytes may begin an occurrence that the next
		 * window completes. */
		l->searched = end - l->n + 1;
		l->next = NOT_FOUND;
		return NOT_FOUND;
	}
	l->next = start + (uint64_t)(hit - w.p);
	l->searched = l->next + 1;
	return l->next;
}

size_t trigger_find(struct th_trigger *t, struct th_span window,
		    uint64_t start)
{
	if (t->every_line)
		return 0;
	uint64_t best = NOT_FOUND;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t at = literal_next(&t->lits[i], window, start);
		if (at < best)
			best = at;
	}
	return best == NOT_FOUND ? window.n : (size_t)(best - start);
}

bool trigger_line_may_start(const struct th_trigger *t, struct th_span line)
{
	if (t->every_line)
		return true;
	for (size_t i = 0; i < t->n; i++)
		if (memmem(line.p, line.n, t->lits[i].p, t->lits[i].n))
			return true;
	return false;
}
