/* classify.h - read an assembled event's traceback grammar (final lines,
 * frames, chains, exception-group boxes), fill its fields from the rule
 * and drop it if an ignore rule says so.
 *
 * Owns:        nothing but its own struct.
 * Borrows:     rules, matcher and run (must outlive it).
 * Delivers:    each resulting event (one per leaf for a rule that splits
 *              exception groups) to the callback; ignored events are only
 *              counted in run->ignored (and shown to the ignore probe,
 *              when `rules test` set one).
 */
#ifndef TH_CLASSIFY_H
#define TH_CLASSIFY_H

#include "event.h"
#include "rules.h"
#include "run.h"

/* What the grammar found in an event. Spans point into the event's lines
 * and are valid while the event is unchanged. */
/* A traceback frame: file, line number (digits) and function. */
struct th_frame_ref {
	struct th_span file, line, function; /* file.p NULL: none */
};

struct th_leaf {
	struct th_span exception;
	struct th_span message; /* after "Type: " on the final line */
	struct th_frame_ref culprit;
};

struct th_parsed {
	struct th_facts facts;	     /* of the last traceback of the chain */
	struct th_span message;	     /* its final line's, after "Type: " */
	struct th_frame_ref culprit; /* the frame it is named after */
	/* The function of the frame under the last wrapper coroutine's frame
	 * (the coroutine it wrapped), set by classify_parse; classify_event
	 * reads it only for an event whose coroutine is a wrapper. */
	struct th_span below_wrapper;
	bool last_is_group;
	struct th_leaf leaves[TH_MAX_LEAVES];
	size_t n_leaves;
	size_t leaves_dropped;	       /* of its leaves, over TH_MAX_LEAVES */
	char created_at[TH_MAX_FIELD]; /* facts' created_at points here */
};

/* Parses EV's lines. RULES names the wrapper coroutines. */
void classify_parse(const struct th_event *ev, const struct th_rules *rules,
		    struct th_parsed *out);

/* The exception type a final line names ("ValueError: x" -> "ValueError",
 * "errors.Upstream" -> itself); empty span when LINE names none. */
struct th_span classify_exception_type(struct th_span line);

/* The message a final line carries: the text after "Type: " (trailing
 * blanks dropped); empty span when LINE names no type or has no text
 * after it ("KeyError", "ValueError: "). */
struct th_span classify_exception_message(struct th_span line);

/* True when a frame in file PATH is library code by the built-in rule
 * (README.md, "What it finds"): the standard library, installed packages
 * or a frozen module. */
bool classify_path_is_library(struct th_span path);

/* Whether a frame in file PATH is library code: the rule files' `frames:`
 * patterns where one matches (an application pattern wins), else the
 * built-in rule. RULES may be NULL (the built-in rule alone). */
bool classify_frame_is_library(const struct th_rules *rules,
			       struct th_span path);

typedef void (*th_deliver_fn)(void *ctx, const struct th_event *ev);

struct th_classifier;

struct th_classifier *classify_new(const struct th_rules *rules,
				   struct th_matcher *m, struct th_run *run,
				   th_deliver_fn deliver, void *ctx);
void classify_free(struct th_classifier *c);

/* Fills EV's fields and delivers it (or its leaves). Modifies EV. */
void classify_event(struct th_classifier *c, struct th_event *ev);

/* A filter: an event for which FN returns false is dropped before it is
 * parsed or counted anywhere (--since / --until). FN may be called from
 * several scanning threads at once. FN NULL removes it. */
typedef bool (*th_filter_fn)(void *ctx, const struct th_event *ev);
void classify_set_filter(struct th_classifier *c, th_filter_fn fn, void *ctx);

/* A test probe (`rules test`): called with each event (or leaf) that
 * ignore rule IGNORE (an index below rules_ignore_count()) dropped, fields
 * filled, after it was counted. FN NULL removes it. */
typedef void (*th_ignored_fn)(void *ctx, const struct th_event *ev,
			      size_t ignore);
void classify_set_ignore_probe(struct th_classifier *c, th_ignored_fn fn,
			       void *ctx);

#endif
