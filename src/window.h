/* window.h - the time window of --since and --until: which events are
 * reported.
 *
 * Owns:        its bounds (copied) and counters.
 * Thread-safe: window_keep may be called from every scanning thread at
 *              once; the counters are atomic.
 *
 * An event without a time cannot be placed in the window and is left out;
 * it is counted, so the caller can say so once.
 */
#ifndef TH_WINDOW_H
#define TH_WINDOW_H

#include <stdatomic.h>

#include "event.h"
#include "isotime.h"

struct th_window {
	bool has_since, has_until;
	struct th_time_bound since, until;
	atomic_uint_least64_t untimed; /* events left out: no time */
	atomic_uint_least64_t outside; /* events left out: out of window */
};

/* SINCE and UNTIL may be NULL (no bound on that side). */
void window_init(struct th_window *w, const struct th_time_bound *since,
		 const struct th_time_bound *until);

/* True when W is a struct th_window whose window holds EV's time; the
 * classifier's filter (see classify_set_filter). */
bool window_keep(void *w, const struct th_event *ev);

#endif
