/* window.c - the --since / --until filter; see window.h. */
#include "window.h"

void window_init(struct th_window *w, const struct th_time_bound *since,
		 const struct th_time_bound *until)
{
	w->has_since = since != NULL;
	w->has_until = until != NULL;
	if (since != NULL)
		w->since = *since;
	if (until != NULL)
		w->until = *until;
	atomic_init(&w->untimed, 0);
	atomic_init(&w->outside, 0);
}

bool window_keep(void *ctx, const struct th_event *ev)
{
	struct th_window *w = ctx;
	int after = 0, before = 0;
	if ((w->has_since &&
	     !isotime_cmp_bound(&ev->time, &w->since, &after)) ||
	    (w->has_until &&
	     !isotime_cmp_bound(&ev->time, &w->until, &before))) {
		atomic_fetch_add(&w->untimed, 1);
		return false;
	}
	if (after < 0 || before > 0) {
		atomic_fetch_add(&w->outside, 1);
		return false;
	}
	return true;
}
