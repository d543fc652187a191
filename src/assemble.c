/* assemble.c - where each event ends; see assemble.h.
 *
 * The grammar, per source:
 *   IDLE     a line matching a rule's start opens an event;
 *   MESSAGE  asyncio context lines ("future: <...>", "handle: <...>"),
 *            indented lines (source tracebacks, a warning's source line);
 *   FRAMES   after "Traceback (most recent call last):": indented frame
 *            lines, then the first unindented line is the final line;
 *   TAIL     after the final line: more lines of the message or notes;
 *   BLANKS   blank lines that may yet lead to a chain separator;
 *   CHAIN    after "During handling..." / "The above exception...";
 *   GROUP    the boxed lines of an exception group ("  | ", "  +-").
 * A line that fits no state ends the event and is read again as IDLE.
 */
#include "assemble.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "th_limits.h"

enum state { IDLE, MESSAGE, FRAMES, TAIL, BLANKS, CHAIN, GROUP };

struct source {
	uint32_t id;
	enum state state;
	enum th_body body;
	uint64_t last_use;
	size_t blanks;		  /* BLANKS: blank lines not yet in the event */
	enum state before_blanks; /* BLANKS: TAIL or GROUP */
	size_t continuation;	  /* TAIL: message lines after the final line */
	bool group_closed;	  /* GROUP: the last line closed a box */
	uint64_t start_offset;	  /* where the open event's first line starts */
	struct th_event ev;
};

struct th_assembler {
	const struct th_rules *rules;
	struct th_matcher *matcher;
	const struct th_trigger *trigger;
	th_event_fn emit;
	void *ctx;
	th_probe_fn probe; /* NULL: none (the scanner) */
	void *probe_ctx;
	const char *input;
	size_t input_index;
	struct source sources[TH_MAX_SOURCES];
	size_t n_sources; /* slots in use, open or idle */
	size_t open;	  /* sources with an event open */
	uint64_t clock;
	bool emitted;		/* some event was emitted this input */
	uint64_t emitted_start; /* the latest start offset among them */
};

struct th_assembler *assembler_new(const struct th_rules *rules,
				   struct th_matcher *m,
				   const struct th_trigger *trigger,
				   th_event_fn emit, void *ctx)
{
	struct th_assembler *a = xcalloc(1, sizeof *a);
	a->rules = rules;
	a->matcher = m;
	a->trigger = trigger;
	a->emit = emit;
	a->ctx = ctx;
	for (size_t i = 0; i < TH_MAX_SOURCES; i++)
		event_init(&a->sources[i].ev);
	return a;
}

void assembler_free(struct th_assembler *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < TH_MAX_SOURCES; i++)
		event_fini(&a->sources[i].ev);
	free(a);
}

void assembler_begin_input(struct th_assembler *a, const char *name,
			   size_t index)
{
	a->input = name;
	a->input_index = index;
	a->n_sources = 0;
	a->open = 0;
	a->emitted = false;
	a->emitted_start = 0;
}

bool assembler_idle(const struct th_assembler *a)
{
	return a->open == 0;
}

bool assembler_open_only_in(const struct th_assembler *a, uint32_t source)
{
	for (size_t i = 0; i < a->n_sources; i++)
		if (a->sources[i].state != IDLE && a->sources[i].id != source)
			return false;
	return true;
}

void assembler_set_probe(struct th_assembler *a, th_probe_fn fn, void *ctx)
{
	a->probe = fn;
	a->probe_ctx = ctx;
}

/* Tells the probe, if any, what happened to REC (or to S's event). */
static void probe(struct th_assembler *a, enum th_probe_what what,
		  const struct source *s, const struct th_record *rec)
{
	if (a->probe == NULL)
		return;
	struct th_probe p = {.what = what,
			     .source = s->id,
			     .rule = s->ev.rule,
			     .rec = rec,
			     .ev = what == TH_PROBE_END ? &s->ev : NULL};
	a->probe(a->probe_ctx, &p);
}

/* LIT is never empty. Its first byte is compared on its own first: most
 * lines differ there, and the rest of the comparison is then skipped. */
static bool starts_with(struct th_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && s.p[0] == lit[0] && memcmp(s.p, lit, n) == 0;
}

static bool is_blank(struct th_span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] != ' ' && s.p[i] != '\t')
			return false;
	return true;
}

static bool is_indented(struct th_span s)
{
	return s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t');
}

static bool is_traceback_header(struct th_span s)
{
	return starts_with(s, "Traceback (most recent call last):");
}

/* "  + Exception Group Traceback (most recent call last):" and the same
 * without its box margin. */
static bool is_group_header(struct th_span s)
{
	size_t i = 0;
	while (i < s.n && s.p[i] == ' ')
		i++;
	if (i + 1 < s.n && (s.p[i] == '+' || s.p[i] == '|') &&
	    s.p[i + 1] == ' ')
		i += 2;
	struct th_span rest = {s.p + i, s.n - i};
	return starts_with(rest, "Exception Group Traceback (most recent call "
				 "last):");
}

/* A line of an exception group's box is spaces, then '|' or '+': the
 * rest of S from that byte, or an empty span when S is no such line. */
static struct th_span group_box(struct th_span s)
{
	size_t i = 0;
	while (i < s.n && s.p[i] == ' ')
		i++;
	if (i < s.n && (s.p[i] == '|' || s.p[i] == '+'))
		return (struct th_span){s.p + i, s.n - i};
	return (struct th_span){s.p, 0};
}

/* "+------------------------------------": the end of a group's box
 * (BOX as group_box gives it). */
static bool is_group_close(struct th_span box)
{
	return starts_with(box, "+------------------------------------") &&
	       box.n == 37;
}

static bool is_chain_separator(struct th_span s)
{
	return starts_with(s, "During handling of the above exception, "
			      "another exception occurred:") ||
	       starts_with(s, "The above exception was the direct cause of "
			      "the following exception:");
}

/* asyncio's default exception handler prints "key: value" per context
 * entry (future, task, handle, source_traceback, protocol, ...). */
static bool is_context_line(struct th_span s)
{
	size_t i = 0;
	while (i < s.n && ((s.p[i] >= 'a' && s.p[i] <= 'z') || s.p[i] == '_'))
		i++;
	return i > 0 && i + 1 < s.n && s.p[i] == ':' && s.p[i + 1] == ' ';
}

/* Lines a warnings.warn report adds after its first line. */
static bool is_warning_line(struct th_span s)
{
	return starts_with(s, "Object allocated at (most recent call last):") ||
	       starts_with(s, "RuntimeWarning: Enable tracemalloc");
}

static long match_start(struct th_assembler *a, struct th_span text)
{
	if (!trigger_line_may_start(a->trigger, text))
		return -1;
	return rules_match_start(a->matcher, text);
}

/* The slot for writer ID, taking a free one or the least recently used
 * (whose open event is closed first). */
static struct source *source_for(struct th_assembler *a, uint32_t id);

static void add_line(struct source *s, const struct th_record *rec)
{
	event_add_line(&s->ev, rec->text);
	s->ev.end_line = rec->number;
	s->ev.end_offset = rec->end_offset;
}

static void close_event(struct th_assembler *a, struct source *s, bool complete)
{
	if (s->state == IDLE)
		return;
	s->ev.complete = complete;
	s->state = IDLE;
	a->open--;
	if (!a->emitted || s->start_offset > a->emitted_start)
		a->emitted_start = s->start_offset;
	a->emitted = true;
	a->emit(a->ctx, &s->ev);
	probe(a, TH_PROBE_END, s, NULL);
}

/* Whether the event is whole when it ends in the source's state. */
static bool state_complete(const struct source *s)
{
	switch (s->state) {
	case FRAMES:
	case CHAIN: return false;
	case GROUP: return s->group_closed;
	case BLANKS: return s->before_blanks != GROUP || s->group_closed;
	default: return true;
	}
}

static enum state state_after_start(enum th_body body, struct th_span text)
{
	switch (body) {
	case TH_BODY_LINE: return IDLE;
	case TH_BODY_TRACEBACK: return is_group_header(text) ? GROUP : FRAMES;
	default: return MESSAGE;
	}
}

/* Opens an event if REC starts one. */
static void try_start(struct th_assembler *a, struct source *s,
		      const struct th_record *rec)
{
	long rule = match_start(a, rec->text);
	if (rule < 0) {
		probe(a, TH_PROBE_OUTSIDE, s, rec);
		return;
	}
	event_reset(&s->ev);
	s->ev.rule = (size_t)rule;
	s->ev.input = a->input;
	s->ev.input_index = a->input_index;
	s->ev.line = rec->number;
	s->start_offset = rec->offset;
	s->ev.time = rec->time;
	add_line(s, rec);
	s->body = rules_body(a->rules, (size_t)rule);
	s->state = MESSAGE; /* counted open, then set for real */
	a->open++;
	s->group_closed = false;
	probe(a, TH_PROBE_START, s, rec);
	enum state next = state_after_start(s->body, rec->text);
	if (next == IDLE)
		close_event(a, s, true);
	else
		s->state = next;
}

/* A line that ends whatever was open: a new log record, or a new event. */
static bool interrupts(struct th_assembler *a, const struct th_record *rec)
{
	return rec->record_start || match_start(a, rec->text) >= 0;
}

static bool step_message(struct th_assembler *a, struct source *s,
			 const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (is_blank(t) || rec->record_start)
		return false;
	if (is_indented(t) && !is_group_header(t))
		return true;
	if (s->body == TH_BODY_WARNING)
		return is_warning_line(t);
	if (is_traceback_header(t)) {
		s->state = FRAMES;
		return true;
	}
	if (is_group_header(t)) {
		s->state = GROUP;
		return true;
	}
	return is_context_line(t) && match_start(a, t) < 0;
}

static bool step_frames(struct th_assembler *a, struct source *s,
			const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (is_indented(t))
		return !is_blank(t);
	if (t.n == 0 || interrupts(a, rec))
		return false;
	s->state = TAIL;
	s->continuation = 0;
	return true;
}

/* A blank line after a final line or a group's box: the event may go on
 * with a chain separator, or may have ended (the blanks then belong to no
 * event). */
static void enter_blanks(struct source *s)
{
	s->before_blanks = s->state;
	s->state = BLANKS;
	s->blanks = 1;
}

static bool step_tail(struct th_assembler *a, struct source *s,
		      const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (is_blank(t)) {
		enter_blanks(s);
		return true;
	}
	if (is_chain_separator(t)) {
		s->state = CHAIN;
		return true;
	}
	if (interrupts(a, rec) ||
	    s->continuation >= TH_MESSAGE_CONTINUATION_LINES)
		return false;
	s->continuation++;
	return true;
}

static bool step_chain(struct source *s, const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (is_blank(t))
		return true;
	if (is_traceback_header(t))
		s->state = FRAMES;
	else if (is_group_header(t))
		s->state = GROUP;
	else
		return false;
	return true;
}

static bool step_group(struct source *s, const struct th_record *rec)
{
	/* A box line is never blank: the common case is tested first. */
	struct th_span box = group_box(rec->text);
	if (box.n > 0) {
		s->group_closed = is_group_close(box);
		return true;
	}
	if (is_blank(rec->text)) {
		enter_blanks(s);
		return true;
	}
	return false;
}

/* BLANKS: the blank lines join the event only if a chain separator
 * follows; otherwise the event ended before them. */
static bool step_blanks(struct source *s, const struct th_record *rec)
{
	if (is_blank(rec->text))
		return ++s->blanks <= TH_MAX_PENDING_BLANKS; /* stays BLANKS */
	if (!is_chain_separator(rec->text))
		return false;
	for (size_t i = 0; i < s->blanks; i++)
		event_add_line(&s->ev, (struct th_span){"", 0});
	s->state = CHAIN;
	return true;
}

/* Returns true when REC belongs to S's open event (and added it, or
 * holds it as a blank line that may yet join). */
static bool step(struct th_assembler *a, struct source *s,
		 const struct th_record *rec)
{
	bool taken;
	switch (s->state) {
	case MESSAGE: taken = step_message(a, s, rec); break;
	case FRAMES: taken = step_frames(a, s, rec); break;
	case TAIL: taken = step_tail(a, s, rec); break;
	case BLANKS: taken = step_blanks(s, rec); break;
	case CHAIN: taken = step_chain(s, rec); break;
	case GROUP: taken = step_group(s, rec); break;
	default: return false;
	}
	/* Blank lines wait in BLANKS; step_blanks adds them if they stay. */
	if (taken && s->state != BLANKS)
		add_line(s, rec);
	if (taken)
		probe(a, s->state == BLANKS ? TH_PROBE_HELD : TH_PROBE_CONT, s,
		      rec);
	return taken;
}

void assembler_feed(struct th_assembler *a, const struct th_record *rec)
{
	struct source *s = source_for(a, rec->source);
	if (s->state != IDLE) {
		if (step(a, s, rec))
			return;
		close_event(a, s, state_complete(s));
	}
	try_start(a, s, rec);
}

void assembler_end_input(struct th_assembler *a)
{
	for (size_t i = 0; i < a->n_sources; i++) {
		struct source *s = &a->sources[i];
		close_event(a, s, state_complete(s));
	}
	a->n_sources = 0;
}

bool assembler_open_start(const struct th_assembler *a, bool all,
			  uint64_t *offset, uint64_t *line)
{
	bool any = false;
	for (size_t i = 0; i < a->n_sources; i++) {
		const struct source *s = &a->sources[i];
		if (s->state == IDLE || (!all && state_complete(s)) ||
		    (any && s->start_offset >= *offset))
			continue;
		*offset = s->start_offset;
		*line = s->ev.line;
		any = true;
	}
	return any;
}

bool assembler_last_emitted(const struct th_assembler *a, uint64_t *offset)
{
	*offset = a->emitted_start;
	return a->emitted;
}

void assembler_close_complete(struct th_assembler *a)
{
	for (size_t i = 0; i < a->n_sources; i++) {
		struct source *s = &a->sources[i];
		if (s->state != IDLE && state_complete(s))
			close_event(a, s, true);
	}
}

void assembler_drop_open(struct th_assembler *a)
{
	for (size_t i = 0; i < a->n_sources; i++)
		a->sources[i].state = IDLE;
	a->open = 0;
	a->n_sources = 0;
}

static struct source *source_for(struct th_assembler *a, uint32_t id)
{
	a->clock++;
	struct source *lru = NULL;
	for (size_t i = 0; i < a->n_sources; i++) {
		struct source *s = &a->sources[i];
		if (s->id == id) {
			s->last_use = a->clock;
			return s;
		}
		if (lru == NULL || s->last_use < lru->last_use)
			lru = s;
	}
	struct source *s;
	if (a->n_sources < TH_MAX_SOURCES) {
		s = &a->sources[a->n_sources++];
	} else {
		s = lru;
		close_event(a, s, false);
	}
	s->id = id;
	s->state = IDLE;
	s->last_use = a->clock;
	return s;
}
