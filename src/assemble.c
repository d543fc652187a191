/* assemble.c - where each event ends; see assemble.h.
 *
 * The grammar, per source:
 *   IDLE     a line matching a rule's start opens an event;
 *   MESSAGE  asyncio context lines ("future: <...>", "handle: <...>"),
 *            indented lines (source tracebacks, a warning's source line);
 *   AWAIT    after a start line that is a message, not a traceback
 *            header: the header (or a bare exception line) that follows;
 *   FRAMES   after "Traceback (most recent call last):": indented frame
 *            lines, then the first unindented line is the final line;
 *            loguru's frames may be spaced by blank lines and one frame
 *            marked "> File" (README "Where an event starts and ends");
 *   TAIL     after the final line: more lines of the message or notes;
 *   BLANKS   blank lines that may yet lead to a chain separator;
 *   CHAIN    after "During handling..." / "The above exception...";
 *   GROUP    the boxed lines of an exception group ("  | ", "  +-"),
 *            and, until the box closes, lines it does not frame.
 * A line that fits no state ends the event and is read again as IDLE.
 *
 * A header may follow any text on its line (README "Where an event
 * starts and ends"); a traceback right after a logging record's first lines
 * takes that record's lines and time (README "Where an event starts and ends"):
 * while idle, each source remembers the record it read last (the pipeline feeds
 * the few lines before a candidate for this).
 */
#include "assemble.h"

#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "diag.h"
#include "th_limits.h"

enum state { IDLE, MESSAGE, AWAIT, FRAMES, TAIL, BLANKS, CHAIN, GROUP };

/* The lines of the last log record a source read while idle: a traceback
 * that follows them directly is that record's. */
struct record_lines {
	size_t n;	     /* lines kept (0: none) */
	uint64_t number;     /* the first line's number */
	uint64_t last;	     /* the last line's number */
	uint64_t offset;     /* the first line's start */
	struct th_time time; /* the record's */
	size_t len[TH_RECORD_LOOKBACK_LINES];
	char *text[TH_RECORD_LOOKBACK_LINES]; /* TH_EVENT_LINE_BYTES each,
						 allocated on first use */
};

struct source {
	uint32_t id;
	enum state state;
	enum th_body body;
	uint64_t last_use; /* the clock when it became the writer fed last:
			      the order of last uses, as only that writer
			      is fed until the clock ticks again */
	size_t blanks;	   /* BLANKS: blank lines not yet in the event */
	enum state before_blanks; /* BLANKS: TAIL, GROUP, MESSAGE, AWAIT or
				     FRAMES */
	bool spaced;		  /* FRAMES: a blank line followed the header
				     (loguru's diagnose): blank lines may
				     part the frames */
	size_t continuation;	  /* TAIL: message lines after the final line */
	bool group_closed;	  /* GROUP: the last line closed a box */
	uint64_t start_offset;	  /* where the open event's first line starts */
	size_t margin; /* the blanks before an indented traceback's header,
			  which all its lines carry: stripped from them */
	uint64_t prev_number; /* the last line this writer read, but for
				 those assembler_add_indented adds: it is
				 only read while the writer is idle */
	struct th_event ev;
	struct record_lines record; /* IDLE: the record read last */
};

/* A final line of a traceback that holds no literal of the trigger
 * (final_may_start). A slot is two cache lines, aligned, its length in
 * its first byte: a line of up to 63 bytes is found and compared in one
 * cache line. In a crash loop each slot is read about once every hundred
 * events, and most reads miss the cache; with an eight-byte length and
 * slots at any offset, most reads missed two lines. */
#define QUIET_SLOTS	 256
#define QUIET_SLOT_BYTES 128
#define QUIET_BYTES	 (QUIET_SLOT_BYTES - 1)
/* The cache line (64 bytes on the processors we measure on): what the
 * slots and the struct holding them are aligned to. */
#define CACHE_LINE 64
struct quiet_line {
	unsigned char n; /* 0: none */
	char text[QUIET_BYTES];
};

struct th_assembler {
	struct th_assembler_head head; /* first: assemble.h reads it */
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
	struct source *last;	/* the slot source_for returned last (the one
				   assembler_add_indented adds to), NULL when
				   none is in use */
	size_t n_sources;	/* slots in use, open or idle */
	size_t n_touched;	/* slots ever used: the rest are as calloc left
				   them (assembler_new) */
	uint64_t clock;		/* ticks when the writer fed changes */
	bool emitted;		/* some event was emitted this input */
	uint64_t emitted_start; /* the latest start offset among them */
	bool literal_free;	/* the record fed holds no literal of TRIGGER
				   (assembler_feed_literal_free) */
	const char *literal_at; /* a literal of TRIGGER starts here in the
				   record fed and ends in its text
				   (assembler_feed_with_literal); or NULL */
	bool avx2;		/* the processor has AVX2 (runs of indented
				   lines search 32 bytes a step) */
	uintptr_t lent_from;	/* the bytes events may borrow record lines
				   from (assembler_lend): LENT_LEN from here */
	size_t lent_len;	/* 0: none */
	void *alloc; /* what assembler_new allocated: the struct is aligned
			within it for QUIET */
	/* final lines known to hold no literal of TRIGGER
	   (final_may_start); last: the pages of the slots never used are
	   never touched (assembler_new); each slot starts a cache line */
	_Alignas(CACHE_LINE) struct quiet_line quiet[QUIET_SLOTS];
};

struct th_assembler *assembler_new(const struct th_rules *rules,
				   struct th_matcher *m,
				   const struct th_trigger *trigger,
				   th_event_fn emit, void *ctx)
{
	/* xcalloc, not aligned_alloc and a memset, for the pages it leaves
	 * untouched (below); the struct goes at the first cache line
	 * within, as its _Alignas asks (malloc aligns to 16) */
	char *alloc = xcalloc(1, sizeof(struct th_assembler) + CACHE_LINE);
	uintptr_t at =
	    ((uintptr_t)alloc + CACHE_LINE - 1) & ~(uintptr_t)(CACHE_LINE - 1);
	struct th_assembler *a = (void *)(alloc + (at - (uintptr_t)alloc));
	a->alloc = alloc;
	a->rules = rules;
	a->matcher = m;
	a->trigger = trigger;
	a->emit = emit;
	a->ctx = ctx;
	assembler_use_avx2(a, true);
	/* every slot's event is left as xcalloc zeroed it, which is what
	 * event_init makes it, and only slots used are finished: writing
	 * all TH_MAX_SOURCES slots would fault in their pages (about 1 MiB)
	 * where most inputs have one writer, and a page fault costs
	 * microseconds on the virtual machines we measure on
	 * (docs/performance.md, "Reading") */
	return a;
}

void assembler_free(struct th_assembler *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_touched; i++) {
		event_fini(&a->sources[i].ev);
		for (size_t j = 0; j < TH_RECORD_LOOKBACK_LINES; j++)
			free(a->sources[i].record.text[j]);
	}
	free(a->alloc);
}

void assembler_begin_input(struct th_assembler *a, const char *name,
			   size_t index)
{
	a->input = name;
	a->input_index = index;
	a->n_sources = 0;
	a->last = NULL;
	a->head.open = 0;
	a->emitted = false;
	a->emitted_start = 0;
}

static bool record_may_continue(const struct source *s);

bool assembler_open_only_in(const struct th_assembler *a, uint32_t source)
{
	for (size_t i = 0; i < a->n_sources; i++) {
		const struct source *s = &a->sources[i];
		if (s->id != source &&
		    (s->state != IDLE || record_may_continue(s)))
			return false;
	}
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

/* Whether S holds nothing but blanks. An indented line by its last byte
 * first: a record's text ends in a visible byte (the prefixer trims it),
 * so such a line is told by one compare, not a walk over its
 * indentation. The first byte before it, as is_indented asks next. */
static bool is_blank(struct th_span s)
{
	if (s.n > 0 && ((s.p[0] != ' ' && s.p[0] != '\t') ||
			(s.p[s.n - 1] != ' ' && s.p[s.n - 1] != '\t')))
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] != ' ' && s.p[i] != '\t')
			return false;
	return true;
}

static bool is_indented(struct th_span s)
{
	return s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t');
}

static const char header[] = "Traceback (most recent call last):";
static const char group_word[] = "Exception Group ";

/* Whether S ends with a traceback header, after any text: a header ends
 * its line, and what precedes it (a logging prefix, "push failed: ", a
 * quote, a box margin) is read as if it were not there. */
static bool ends_with_header(struct th_span s)
{
	size_t n = sizeof header - 1;
	return s.n >= n && s.p[s.n - n] == 'T' &&
	       memcmp(s.p + s.n - n, header, n) == 0;
}

/* "  + Exception Group Traceback (most recent call last):", the same
 * without its box margin or after other text. */
static bool is_group_header(struct th_span s)
{
	size_t n = sizeof header - 1, g = sizeof group_word - 1;
	return ends_with_header(s) && s.n >= n + g &&
	       memcmp(s.p + s.n - n - g, group_word, g) == 0;
}

/* "Traceback (most recent call last):", after any text. */
static bool is_traceback_header(struct th_span s)
{
	return ends_with_header(s) && !is_group_header(s);
}

/* A group header that opens a box of its own ("  + Exception Group
 * ..."), not one nested in a sub-exception ("    | Exception Group"). */
static bool is_top_group_header(struct th_span s)
{
	size_t i = 0;
	while (i < s.n && s.p[i] == ' ')
		i++;
	return i < s.n && s.p[i] == '+' && is_group_header(s);
}

/* The bytes of the names a line may start with, by class: a table, as
 * a test of each range cost more than the rest of the line's checks. */
enum {
	TYPE_FIRST = 1, /* an exception type's first byte: a letter, '_' */
	TYPE = 2,	/* its others: also digits and '.' ("errors.Timeout") */
	KEY = 4,	/* an asyncio context key's: a-z, '_' */
};
#define L	 (TYPE_FIRST | TYPE | KEY)
#define U	 (TYPE_FIRST | TYPE)
#define RUN10(c) c, c, c, c, c, c, c, c, c, c
#define RUN13(c) c, c, c, c, c, c, c, c, c, c, c, c, c
static const unsigned char name_bytes[256] = {
    ['.'] = TYPE, ['0'] = RUN10(TYPE), ['A'] = RUN13(U), RUN13(U),
    ['_'] = L,	  ['a'] = RUN13(L),    RUN13(L),
};
#undef RUN13
#undef RUN10
#undef U
#undef L

/* The name a line starts with: an exception type ("ValueError",
 * "errors.Timeout") ending at its ':' or the line's end, which may also be
 * an asyncio context key ("future", "source_traceback"). */
struct line_name {
	size_t end; /* where it ends; 0: the line starts with none */
	bool key;   /* all its bytes are a key's */
};

/* One pass over the name's bytes tells both: a context line is an
 * exception line too, and step_message asks for both. Inline: it runs on
 * every context line of an asyncio event, and the call cost a third of
 * it. */
static inline struct line_name line_name(struct th_span s)
{
	struct line_name none = {0, false};
	if (s.n == 0 || !(name_bytes[(unsigned char)s.p[0]] & TYPE_FIRST))
		return none;
	unsigned char all = name_bytes[(unsigned char)s.p[0]];
	size_t i = 1;
	for (; i < s.n; i++) {
		unsigned char c = name_bytes[(unsigned char)s.p[i]];
		if (!(c & TYPE))
			break;
		all &= c;
	}
	bool ends =
	    i == s.n || (s.p[i] == ':' && (i + 1 == s.n || s.p[i + 1] == ' '));
	return ends ? (struct line_name){i, (all & KEY) != 0} : none;
}

/* "ValueError: boom", "errors.Timeout", "RuntimeError: coroutine ignored
 * GeneratorExit": the final line of a traceback, or the only line an
 * unraisable report prints on 3.6/3.7. */
static bool is_exception_line(struct th_span s)
{
	return line_name(s).end > 0;
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
#define GROUP_CLOSE_LEN 37
static bool is_group_close(struct th_span box)
{
	return th_starts_with(box, "+------------------------------------") &&
	       box.n == GROUP_CLOSE_LEN;
}

static bool is_chain_separator(struct th_span s)
{
	return th_starts_with(s, "During handling of the above exception, "
				 "another exception occurred:") ||
	       th_starts_with(s, "The above exception was the direct cause of "
				 "the following exception:");
}

/* asyncio's default exception handler prints "key: value" per context
 * entry (future, task, handle, source_traceback, protocol, ...): NAME,
 * S's line_name, is a key and a blank follows its ':'. */
static bool is_context_line(struct th_span s, struct line_name name)
{
	return name.end > 0 && name.key && name.end + 1 < s.n;
}

/* Lines a warnings.warn report adds after its first line. */
static bool is_warning_line(struct th_span s)
{
	return th_starts_with(s,
			      "Object allocated at (most recent call last):") ||
	       th_starts_with(s, "RuntimeWarning: Enable tracemalloc");
}

/* The slot of line T (QUIET_BYTES >= T.n >= 8) among QUIET_SLOTS: a hash
 * of its length and of its first, middle and last eight bytes, where
 * lines that differ do ("KeyError: 'EUR'", "order 4711 has no items"). */
static size_t quiet_slot(struct th_span t)
{
	uint64_t first, middle, last;
	memcpy(&first, t.p, sizeof first);
	memcpy(&middle, t.p + t.n / 2 - 4, sizeof middle);
	memcpy(&last, t.p + t.n - 8, sizeof last);
	uint64_t h = first ^ (middle << 21 | middle >> 43) ^
		     (last << 42 | last >> 22) ^ t.n;
	return (size_t)((h * 0x9e3779b97f4a7c15u) >> 56);
}

/* final_may_start for a line not in the cache: the trigger's answer,
 * remembered when it is no. */
__attribute__((noinline)) static bool
final_may_start_slowly(struct th_assembler *a, struct th_span t)
{
	if (trigger_line_may_start(a->trigger, t))
		return true;
	if (t.n < 8 || t.n > QUIET_BYTES)
		return false;
	struct quiet_line *q = &a->quiet[quiet_slot(t)];
	q->n = (unsigned char)t.n;
	memcpy(q->text, t.p, t.n);
	return false;
}

/* trigger_line_may_start for the final line of a traceback, through a
 * cache of the last such lines that held no literal: a crash loop prints
 * the same few exception lines over and over (99 different ones among
 * the 28,152 of a 20 MB one), and the trigger's look at one costs some
 * 100 instructions, the cache's some 40 (docs/performance.md). A line
 * in the cache is the same bytes, so the trigger's answer is the same. */
static inline bool final_may_start(struct th_assembler *a, struct th_span t)
{
	if (t.n >= 8 && t.n <= QUIET_BYTES) {
		const struct quiet_line *q = &a->quiet[quiet_slot(t)];
		if (q->n == t.n && th_same_bytes(q->text, t.p, t.n))
			return false;
	}
	return final_may_start_slowly(a, t);
}

/* The rule whose start TEXT (the record fed, or a part of it) matches,
 * or -1; FINAL: TEXT is a final line of a traceback (final_may_start). */
static inline long match_start_of(struct th_assembler *a, struct th_span text,
				  bool final)
{
	/* TEXT ends where the record's text ends, so it holds the known
	 * literal when it starts at or before it (outdent moves the start) */
	bool holds = a->literal_at != NULL && text.p <= a->literal_at;
	if (!holds && (a->literal_free ||
		       !(final ? final_may_start(a, text)
			       : trigger_line_may_start(a->trigger, text))))
		return -1;
	return rules_match_start(a->matcher, text);
}

static long match_start(struct th_assembler *a, struct th_span text)
{
	return match_start_of(a, text, false);
}

/* The slot for writer ID, taking a free one or the least recently used
 * (whose open event is closed first). */
static struct source *source_for(struct th_assembler *a, uint32_t id);

/* Whether T lies within the bytes lent by assembler_lend. One compare
 * of the start's distance: with none lent, LENT_LEN is 0. */
static inline bool lent(const struct th_assembler *a, struct th_span t)
{
	uintptr_t at = (uintptr_t)t.p - a->lent_from;
	return at < a->lent_len && t.n <= a->lent_len - at;
}

/* Adds REC's text to S's event: borrowed when it is lent bytes (a
 * plain line of the window), else copied (a CRI or Docker line's
 * message, unescaped or joined in the prefixer's buffers, which the
 * next line reuses). */
static void add_line(const struct th_assembler *a, struct source *s,
		     const struct th_record *rec)
{
	if (lent(a, rec->text)) {
		event_lend_line(&s->ev, rec->text);
	} else {
		event_add_line(&s->ev, rec->text);
		/* a record's time may come on a later line of it (a
		 * key=value record, README.md "Log shapes"); such lines
		 * are decoded, never lent */
		if (rec->structured && !isotime_known(&s->ev.time))
			s->ev.time = rec->time;
	}
	s->ev.end_line = rec->number;
	s->ev.end_offset = rec->end_offset;
}

static void close_event(struct th_assembler *a, struct source *s, bool complete)
{
	if (s->state == IDLE)
		return;
	s->ev.complete = complete;
	s->state = IDLE;
	a->head.open--;
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
	case BLANKS:
		if (s->before_blanks == FRAMES)
			return false;
		return s->before_blanks != GROUP || s->group_closed;
	default: return true;
	}
}

static enum state state_after_start(enum th_body body, struct th_span text)
{
	switch (body) {
	case TH_BODY_LINE: return IDLE;
	case TH_BODY_TRACEBACK:
		if (!ends_with_header(text))
			return AWAIT; /* a message line; the traceback follows
				       */
		return is_group_header(text) ? GROUP : FRAMES;
	default: return MESSAGE;
	}
}

/* Keeps line TEXT as line I of S's remembered record. */
static void keep_record_line(struct source *s, size_t i, struct th_span text)
{
	struct record_lines *r = &s->record;
	if (r->text[i] == NULL)
		r->text[i] = xmalloc(TH_EVENT_LINE_BYTES);
	r->len[i] = text.n < TH_EVENT_LINE_BYTES ? text.n : TH_EVENT_LINE_BYTES;
	/* a record line is some 80 bytes: memcpy, its length known to be
	 * at most TH_EVENT_LINE_BYTES, became a `rep movs`, slow to start,
	 * once an event in a crash loop */
	event_copy_short(r->text[i], text.p, r->len[i]);
}

/* Whether REC is S's writer's next line after the remembered record's last
 * one. Other writers' lines may come between (interleaved writers: README
 * "Log shapes"), but no more than the pipeline reads before a candidate
 * (TH_RECORD_LOOKBACK_LINES), so none of the writer's lines was skipped. */
static bool follows_record(const struct source *s, const struct th_record *rec)
{
	const struct record_lines *r = &s->record;
	return s->prev_number == r->last && rec->number > r->last &&
	       rec->number - r->last <= TH_RECORD_LOOKBACK_LINES;
}

/* REC, read while idle and starting no event: a record's first line is
 * remembered, a line right after it (a message's next line) added; any
 * other line ends what was remembered. A structured record (JSON,
 * key=value) is not remembered: its traceback is inside it, one after it
 * was printed on its own. */
static void remember_record(struct source *s, const struct th_record *rec)
{
	struct record_lines *r = &s->record;
	if (rec->structured) {
		r->n = 0;
	} else if (rec->record_start) {
		keep_record_line(s, 0, rec->text);
		r->n = 1;
		r->number = r->last = rec->number;
		r->offset = rec->offset;
		r->time = rec->time;
	} else if (r->n > 0 && r->n < TH_RECORD_LOOKBACK_LINES &&
		   follows_record(s, rec) && !is_blank(rec->text)) {
		keep_record_line(s, r->n++, rec->text);
		r->last = rec->number;
	} else {
		r->n = 0;
	}
}

/* Whether the word WORD (upper case) is in the first bytes of LINE, where
 * a logging prefix puts the level. */
static bool has_level_word(struct th_span line, const char *word, size_t n)
{
	size_t len = line.n < 120 ? line.n : 120;
	const char *p = line.p, *end = line.p + len;
	while ((p = th_find((struct th_span){p, (size_t)(end - p)}, word, n,
			    0)) != NULL) {
		bool before = p == line.p || !(p[-1] >= 'A' && p[-1] <= 'Z');
		bool after =
		    p + n == line.p + line.n || !(p[n] >= 'A' && p[n] <= 'Z');
		if (before && after)
			return true;
		p++;
	}
	return false;
}

/* An INFO or DEBUG record is not one that carries a traceback: what
 * follows it is printed on its own (the interpreter's crash,
 * print_exc()). */
static bool may_carry_traceback(const struct record_lines *r)
{
	struct th_span first = {r->text[0], r->len[0]};
	return !has_level_word(first, "INFO", sizeof "INFO" - 1) &&
	       !has_level_word(first, "DEBUG", sizeof "DEBUG" - 1);
}

/* Whether a traceback S's writer prints next may still continue the
 * record S remembers (opens_record): a -j cut there would part them. */
static bool record_may_continue(const struct source *s)
{
	const struct record_lines *r = &s->record;
	return r->n > 0 && s->prev_number == r->last && may_carry_traceback(r);
}

/* The event REC starts (of BODY) opens with the record remembered before
 * it when REC is a traceback's header that continues that record. */
static bool opens_record(const struct source *s, const struct th_record *rec,
			 enum th_body body)
{
	const struct record_lines *r = &s->record;
	if (r->n == 0 || body != TH_BODY_TRACEBACK || rec->record_start ||
	    !follows_record(s, rec) || !ends_with_header(rec->text))
		return false;
	return may_carry_traceback(r);
}

/* The margin of a traceback whose header only blanks precede (tornado's
 * LogFormatter indents a record's every further line, the traceback's
 * too: README "Where an event starts and ends"): the number of those
 * blanks; 0 for any other start line. */
static size_t traceback_margin(enum th_body body, struct th_span text)
{
	size_t i = 0;
	while (i < text.n && (text.p[i] == ' ' || text.p[i] == '\t'))
		i++;
	bool header_only =
	    text.n - i == sizeof header - 1 && is_traceback_header(text);
	return body == TH_BODY_TRACEBACK && header_only ? i : 0;
}

/* outdent for S with a margin. Out of line: few tracebacks have one,
 * and every record of an open event asks. */
__attribute__((noinline)) static const struct th_record *
strip_margin(const struct source *s, const struct th_record *rec,
	     struct th_record *out)
{
	if (is_blank(rec->text))
		return rec;
	if (rec->text.n <= s->margin)
		return NULL;
	for (size_t i = 0; i < s->margin; i++)
		if (rec->text.p[i] != ' ' && rec->text.p[i] != '\t')
			return NULL;
	*out = *rec;
	out->text.p += s->margin;
	out->text.n -= s->margin;
	return out;
}

/* REC without S's margin, in *OUT; REC itself when S has none or REC is
 * blank; NULL when REC does not carry the margin (the indented
 * traceback has ended). */
static inline const struct th_record *outdent(const struct source *s,
					      const struct th_record *rec,
					      struct th_record *out)
{
	return s->margin == 0 ? rec : strip_margin(s, rec, out);
}

/* Opens an event if REC starts one. */
static void try_start(struct th_assembler *a, struct source *s,
		      const struct th_record *rec)
{
	long rule = match_start(a, rec->text);
	if (rule < 0) {
		remember_record(s, rec);
		probe(a, TH_PROBE_OUTSIDE, s, rec);
		return;
	}
	event_reset(&s->ev);
	s->ev.rule = (size_t)rule;
	s->ev.input = a->input;
	s->ev.input_index = a->input_index;
	/* every line of the event is its writer's: the first names it */
	if (rec->source_name.n > 0)
		event_set(&s->ev, TH_F_SOURCE, rec->source_name);
	s->body = rules_body(a->rules, (size_t)rule);
	if (opens_record(s, rec, s->body)) {
		const struct record_lines *r = &s->record;
		s->ev.line = r->number;
		s->start_offset = r->offset;
		s->ev.time = r->time;
		for (size_t i = 0; i < r->n; i++)
			event_add_line(&s->ev,
				       (struct th_span){r->text[i], r->len[i]});
	} else {
		s->ev.line = rec->number;
		s->start_offset = rec->offset;
		s->ev.time = rec->time;
	}
	s->record.n = 0;
	s->margin = traceback_margin(s->body, rec->text);
	struct th_record outdented;
	rec = outdent(s, rec, &outdented);
	add_line(a, s, rec);
	s->state = MESSAGE; /* counted open, then set for real */
	a->head.open++;
	s->group_closed = false;
	s->spaced = false;
	s->continuation = 0;
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

/* A blank line after an event's start line, or after the last line of
 * a box or traceback: held in BLANKS until the next line decides. */
static void enter_blanks(struct source *s)
{
	s->before_blanks = s->state;
	s->state = BLANKS;
	s->blanks = 1;
}

/* Whether exception line T, its type ending at N (line_name),
 * names the exception of a context line of EV ("future: <Future finished
 * exception=ConnectionResetError('...')>"): the type's last dotted part,
 * then "(". */
static bool context_names_exception(const struct th_event *ev, struct th_span t,
				    size_t n)
{
	static const char key[] = "exception=";
	const size_t k = sizeof key - 1;
	const char *dot = memrchr(t.p, '.', n);
	struct th_span type = {dot != NULL ? dot + 1 : t.p,
			       dot != NULL ? (size_t)(t.p + n - dot - 1) : n};
	for (size_t i = 0; i < event_line_count(ev); i++) {
		struct th_span line = event_line(ev, i);
		const char *p = line.p, *end = line.p + line.n;
		/* by its '=': "exception" is a common word in these lines */
		while ((p = th_find((struct th_span){p, (size_t)(end - p)}, key,
				    k, k - 1)) != NULL) {
			p += k;
			if ((size_t)(end - p) > type.n &&
			    memcmp(p, type.p, type.n) == 0 && p[type.n] == '(')
				return true;
		}
	}
	return false;
}

static bool step_message(struct th_assembler *a, struct source *s,
			 const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (rec->record_start)
		return false;
	if (is_blank(t)) {
		/* Handlers that print a blank line between asyncio's message
		 * and its context lines or traceback (README "Where an event
		 * starts and ends"): only right after the start line. */
		if (s->body == TH_BODY_WARNING || event_line_count(&s->ev) > 1)
			return false;
		enter_blanks(s);
		return true;
	}
	if (is_indented(t) && !is_group_header(t))
		return true;
	if (s->body == TH_BODY_WARNING)
		return is_warning_line(t);
	if (s->body == TH_BODY_ASYNCIO && is_traceback_header(t)) {
		s->state = FRAMES;
		return true;
	}
	if (s->body == TH_BODY_ASYNCIO && is_group_header(t)) {
		s->state = GROUP;
		s->continuation = 0;
		return true;
	}
	/* An exception that was set, never raised, has no traceback: its
	 * final line alone follows the context line that names it. */
	struct line_name name = line_name(t);
	if (s->body == TH_BODY_ASYNCIO && name.end > 0 &&
	    context_names_exception(&s->ev, t, name.end) &&
	    match_start(a, t) < 0) {
		s->state = TAIL;
		s->continuation = 0;
		return true;
	}
	return is_context_line(t, name) && match_start(a, t) < 0;
}

/* After a start line that is a message: the traceback or exception group
 * it announces, or the bare exception line of a report printed without
 * one ("Exception ignored in: ..." on 3.6/3.7). */
static bool step_await(struct th_assembler *a, struct source *s,
		       const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (rec->record_start)
		return false;
	if (is_group_header(t)) {
		s->state = GROUP;
		s->continuation = 0;
		return true;
	}
	if (is_traceback_header(t)) {
		s->state = FRAMES;
		return true;
	}
	if (is_blank(t) && event_line_count(&s->ev) == 1) {
		enter_blanks(s);
		return true;
	}
	if (!is_exception_line(t) || match_start(a, t) >= 0)
		return false;
	s->state = TAIL;
	s->continuation = 0;
	return true;
}

/* loguru's mark of the frame where the exception was caught
 * (backtrace=True): '> File "..."', not indented. */
static bool is_marked_frame(struct th_span s)
{
	static const char mark[] = "> File \"";
	return s.n > sizeof mark - 1 && s.p[0] == '>' &&
	       memcmp(s.p, mark, sizeof mark - 1) == 0;
}

/* Whether a blank line in FRAMES is held: loguru with diagnose=True
 * prints one right after the header, then between its frames and before
 * the final line; CPython never prints one there. */
static bool frames_spaced(struct source *s)
{
	size_t n = event_line_count(&s->ev);
	if (!s->spaced && n > 0 &&
	    is_traceback_header(event_line(&s->ev, n - 1)))
		s->spaced = true;
	return s->spaced;
}

/* FRAMES' first unindented line that is no frame: the final line,
 * unless it starts a record or another event. */
static inline bool frames_final(struct th_assembler *a, struct source *s,
				const struct th_record *rec)
{
	if (rec->record_start || match_start_of(a, rec->text, true) >= 0)
		return false;
	s->state = TAIL;
	s->continuation = 0;
	return true;
}

/* step_frames for the lines CPython prints no frames with: a blank one
 * (held when the frames are spaced) and one led by '>' (loguru's marked
 * frame, else the final line). Out of line, so that step_frames stays
 * inline in step for the frames and final lines of every traceback. */
__attribute__((noinline)) static bool
step_frames_rare(struct th_assembler *a, struct source *s,
		 const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (is_blank(t)) {
		if (!frames_spaced(s))
			return false;
		enter_blanks(s);
		return true;
	}
	if (is_marked_frame(t))
		return !rec->record_start;
	return frames_final(a, s, rec);
}

/* Inline in step, as it was before loguru's lines (step_frames_rare)
 * were read: out of line it cost 1.0 million instructions more on 20
 * MB of the crash loop (callgrind, release build). */
static inline __attribute__((always_inline)) bool
step_frames(struct th_assembler *a, struct source *s,
	    const struct th_record *rec)
{
	struct th_span t = rec->text;
	if (t.n == 0 || t.p[0] == '>')
		return step_frames_rare(a, s, rec);
	if (is_indented(t))
		return !is_blank(t) || step_frames_rare(a, s, rec);
	return frames_final(a, s, rec);
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
	s->continuation = 0;
	return true;
}

static bool step_group(struct th_assembler *a, struct source *s,
		       const struct th_record *rec)
{
	/* A box line is never blank: the common case is tested first. */
	struct th_span box = group_box(rec->text);
	if (box.n > 0) {
		/* A second group printed right after a closed one is a
		 * report of its own (README "Where an event starts and
		 * ends"). */
		if (s->group_closed && is_top_group_header(rec->text))
			return false;
		s->group_closed = is_group_close(box);
		s->continuation = 0;
		return true;
	}
	if (s->group_closed) {
		if (!is_blank(rec->text))
			return false;
		enter_blanks(s);
		return true;
	}
	/* Python 3.11 and 3.12 print a multi-line exception message's later
	 * lines (blank ones too) without the box margin: until the box
	 * closes they are still its lines. */
	if (rec->record_start || interrupts(a, rec) ||
	    s->continuation >= TH_MESSAGE_CONTINUATION_LINES)
		return false;
	s->continuation++;
	return true;
}

static void add_blanks(struct source *s)
{
	for (size_t i = 0; i < s->blanks; i++)
		event_add_line(&s->ev, (struct th_span){"", 0});
}

/* BLANKS: after a final line or a box, the blank lines join the event
 * only if a chain separator follows; after a start line, only if what
 * the start line announces follows. Otherwise the event ended before
 * them. */
static bool step_blanks(struct th_assembler *a, struct source *s,
			const struct th_record *rec)
{
	if (is_blank(rec->text))
		return ++s->blanks <= TH_MAX_PENDING_BLANKS; /* stays BLANKS */
	if (s->before_blanks == MESSAGE || s->before_blanks == AWAIT) {
		struct source trial = *s;
		trial.state = s->before_blanks;
		bool taken = s->before_blanks == MESSAGE
				 ? step_message(a, &trial, rec)
				 : step_await(a, &trial, rec);
		if (!taken || is_blank(rec->text))
			return false;
		add_blanks(s);
		s->state = trial.state;
		s->continuation = trial.continuation;
		return true;
	}
	if (s->before_blanks == FRAMES) {
		/* loguru's spaced frames go on: a frame, a line under one,
		 * or the final line */
		s->state = FRAMES;
		bool taken = step_frames(a, s, rec);
		if (taken)
			add_blanks(s);
		return taken;
	}
	if (!is_chain_separator(rec->text))
		return false;
	add_blanks(s);
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
	case AWAIT: taken = step_await(a, s, rec); break;
	case FRAMES: taken = step_frames(a, s, rec); break;
	case TAIL: taken = step_tail(a, s, rec); break;
	case BLANKS: taken = step_blanks(a, s, rec); break;
	case CHAIN: taken = step_chain(s, rec); break;
	case GROUP: taken = step_group(a, s, rec); break;
	default: return false;
	}
	/* Blank lines wait in BLANKS; step_blanks adds them if they stay. */
	if (taken && s->state != BLANKS)
		add_line(a, s, rec);
	if (taken)
		probe(a, s->state == BLANKS ? TH_PROBE_HELD : TH_PROBE_CONT, s,
		      rec);
	return taken;
}

void assembler_feed(struct th_assembler *a, const struct th_record *rec)
{
	struct source *s = source_for(a, rec->source);
	if (s->state != IDLE) {
		struct th_record outdented;
		const struct th_record *r = outdent(s, rec, &outdented);
		if (r != NULL && step(a, s, r)) {
			s->prev_number = rec->number;
			return;
		}
		close_event(a, s, state_complete(s));
	}
	try_start(a, s, rec);
	s->prev_number = rec->number;
}

void assembler_feed_with_literal(struct th_assembler *a,
				 const struct th_record *rec, const char *at)
{
	a->literal_at = at;
	assembler_feed(a, rec);
	a->literal_at = NULL;
}

void assembler_feed_literal_free(struct th_assembler *a,
				 const struct th_record *rec)
{
	a->literal_free = true;
	assembler_feed(a, rec);
	a->literal_free = false;
}

/* The index of writer ID's slot (n_sources: none), without touching the
 * LRU clock. */
static size_t find_source(const struct th_assembler *a, uint32_t id)
{
	size_t i = 0;
	while (i < a->n_sources && a->sources[i].id != id)
		i++;
	return i;
}

bool assembler_reads_indented(const struct th_assembler *a, uint32_t source)
{
	const struct source *s = a->last;
	if (s == NULL || s->id != source) {
		size_t i = find_source(a, source);
		if (i == a->n_sources)
			return false;
		s = &a->sources[i];
	}
	return a->probe == NULL &&
	       (s->state == FRAMES || s->state == MESSAGE ||
		s->state == GROUP) &&
	       s->margin == 0;
}

/* What step does with indented line T (not blank, no margin) in the
 * states assembler_reads_indented allows, when it only takes the line:
 * true with S updated as step would, or false (S unchanged) when the
 * line may end the event or change its state. */
static bool takes_indented(struct source *s, struct th_span t)
{
	switch (s->state) {
	case FRAMES: return true;
	case MESSAGE: return !is_group_header(t);
	case GROUP: {
		struct th_span box = group_box(t);
		if (box.n == 0 || (s->group_closed && is_top_group_header(t)))
			return false;
		s->group_closed = is_group_close(box);
		s->continuation = 0;
		return true;
	}
	default: return false;
	}
}

/* What takes_indented_quickly says of T in state STATE, for a source
 * whose box is open (GROUP), without changing the source: the test a run
 * of lines (run_lines) makes of each. */
static inline bool takes_line_quickly(enum state state, struct th_span t)
{
	const size_t header_len = sizeof header - 1;
	size_t i = 0;
	switch (state) {
	case FRAMES: return true;
	case MESSAGE: return t.n < header_len || t.p[t.n - header_len] != 'T';
	case GROUP:
		i = th_spaces_from(t, 0);
		return i < t.n && (t.p[i] == '|' || t.p[i] == '+') &&
		       t.n - i != GROUP_CLOSE_LEN;
	default: return false;
	}
}

/* takes_indented for the lines it takes most (a frame, a source line, a
 * box line that does not close the box), with no call and no memcmp: a
 * leaf that needs no register saved. False, with S unchanged, when
 * takes_indented must decide: a line that may be a header (its byte
 * where a header would start is the 'T'), the box's closing line, a
 * line after the box closed. */
static inline bool takes_indented_quickly(struct source *s, struct th_span t)
{
	switch (s->state) {
	case FRAMES: return true;
	case MESSAGE: return takes_line_quickly(MESSAGE, t);
	case GROUP:
		if (s->group_closed || !takes_line_quickly(GROUP, t))
			return false;
		s->continuation = 0;
		return true;
	default: return false;
	}
}

static inline void take_indented(struct source *s, struct th_span text,
				 uint64_t number, uint64_t end_offset)
{
	s->ev.end_line = number;
	s->ev.end_offset = end_offset;
	event_borrow_line(&s->ev, text);
}

/* assembler_add_indented for a line takes_indented_quickly could not
 * decide, or another writer's (not the one fed last). Out of line: the
 * usual line's path then saves no register. */
__attribute__((noinline)) static bool
add_indented_slowly(struct th_assembler *a, uint32_t source,
		    struct th_span text, uint64_t number, uint64_t end_offset)
{
	struct source *s = &a->sources[find_source(a, source)];
	if (!takes_indented(s, text))
		return false;
	take_indented(s, text, number, end_offset);
	return true;
}

/* Called for half the lines of a crash loop (the frames, source lines
 * and box lines of its events): the writer's slot is the one fed last
 * (its LRU order stays), and the usual line is a few compares and the
 * copy. */
bool assembler_add_indented(struct th_assembler *a, uint32_t source,
			    struct th_span text, uint64_t number,
			    uint64_t end_offset)
{
	struct source *s = a->last;
	if (s->id != source || !takes_indented_quickly(s, text))
		return add_indented_slowly(a, source, text, number, end_offset);
	take_indented(s, text, number, end_offset);
	return true;
}

/* Bytes newlines64 looks at a step: a line of a traceback is some 55
 * bytes, and a step of 16 spent more on the loop than on the search
 * (docs/performance.md). */
#define RUN_STEP 64

/* Where "\n" bytes are among the RUN_STEP bytes at SRC (bit I for
 * SRC[I]): a run of lines is cut without a search a line. */
typedef uint64_t newlines64_fn(const char *src);

/* newlines64_fn in 16-byte steps (SSE2, which every x86-64 has), or a
 * byte at a time elsewhere. */
static inline uint64_t newlines64(const char *src)
{
	uint64_t m = 0;
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');
	for (unsigned i = 0; i < RUN_STEP; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(src + i));
		m |=
		    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))
		    << i;
	}
#else
	for (unsigned i = 0; i < RUN_STEP; i++)
		m |= (uint64_t)(src[i] == '\n') << i;
#endif
	return m;
}

#if defined(__x86_64__)
/* newlines64 in two 32-byte steps, where the processor has AVX2. */
__attribute__((target("avx2"))) static inline uint64_t
newlines64_avx2(const char *src)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)src);
	__m256i hi =
	    _mm256_loadu_si256((const __m256i *)(const void *)(src + 32));
	uint32_t mlo =
	    (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, nl));
	uint32_t mhi =
	    (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, nl));
	return (uint64_t)mhi << 32 | mlo;
}
#endif

/* A run of indented lines being taken: BYTES from the first line on, the
 * first LIMIT of which may be cut into lines, and the room for their
 * spans. */
struct run {
	struct th_span bytes;
	size_t limit;
	struct th_span *spans, *spans_end;
};

/* Where run_lines is: the bytes from the run's first line on (SRC), the
 * start of the next line to take, and the room left for spans. */
struct run_cursor {
	const char *src;
	size_t line;
	struct th_span *out, *out_end;
};

/* Takes the lines of C that end in the block at POS, whose newlines MASK
 * shows (bit I for the byte at POS + I): true when the run goes on past
 * the block, false where it stops (run_lines). */
static inline __attribute__((always_inline)) bool
take_block(enum state state, struct run_cursor *c, size_t pos, uint64_t mask)
{
	for (; mask != 0; mask &= mask - 1) {
		size_t end = pos + (unsigned)__builtin_ctzll(mask);
		/* END > LINE: the line starts with a blank */
		struct th_span t = {c->src + c->line, end - c->line};
		if ((unsigned char)t.p[t.n - 1] <= ' ') {
			t = th_trim_end(t);
			if (t.n == 0)
				return false;
		}
		if (!takes_line_quickly(state, t))
			return false;
		*c->out++ = t;
		c->line = end + 1;
		if (c->out == c->out_end ||
		    (c->src[c->line] != ' ' && c->src[c->line] != '\t'))
			return false;
	}
	return true;
}

/* The run of assembler_add_indented_run: finds R's newlines RUN_STEP
 * bytes a step (NEWLINES64) and writes the span of each line a source in
 * STATE takes to R's spans, borrowed from R's bytes (event_borrow_line):
 * no byte is copied. Returns the lines taken; *USED, the bytes they and
 * their newlines take. It stops at a line the source does not take at
 * once (takes_line_quickly; FRAMES takes every one), a blank one, one
 * not led by a blank, and where fewer than RUN_STEP bytes are left of
 * R's LIMIT: those lines go one by one. Inline, with STATE and
 * NEWLINES64 constants, for each way it is called: the state stays
 * through a run, and a test of it a line cost a load and a compare (it
 * was reloaded after each span stored). */
static inline __attribute__((always_inline)) size_t
run_lines(enum state state, const struct run *r, newlines64_fn *newlines,
	  size_t *used)
{
	/* R's fields in locals: the spans written could alias *R */
	struct run_cursor c = {.src = r->bytes.p,
			       .line = 0,
			       .out = r->spans,
			       .out_end = r->spans_end};
	size_t limit = r->limit;
	/* a block, then the lines that end in it: one loop that took a
	 * block or a line a turn kept more indexes live than there were
	 * registers and made the newline vector again each block, a fifth
	 * more instructions (docs/performance.md) */
	for (size_t pos = 0; limit - pos >= RUN_STEP; pos += RUN_STEP)
		if (!take_block(state, &c, pos, newlines(c.src + pos)))
			break;
	*used = c.line;
	return (size_t)(c.out - r->spans);
}

/* What a run took: the bytes of its lines with their "\n", and the
 * lines. Returned in two registers: as an out parameter, the count was
 * stored and loaded again, and the pointer to it was a seventh
 * argument, passed on the stack (docs/performance.md). */
struct run_taken {
	size_t bytes;
	uint64_t lines;
};

/* assembler_add_indented_run, searching with NEWLINES64: inline in each
 * of the two ways it is compiled, each out of line, so that the call
 * that picks one saves no register. */
static inline __attribute__((always_inline)) struct run_taken
add_run(struct th_assembler *a, uint32_t source, struct th_span bytes,
	uint64_t number, uint64_t offset, newlines64_fn *newlines)
{
	struct source *s = a->last;
	struct run r = {.bytes = bytes};
	struct run_taken none = {0, 0};
	size_t max_lines, used = 0, k;
	if (s->id != source || bytes.n == 0 ||
	    (bytes.p[0] != ' ' && bytes.p[0] != '\t'))
		return none;
	r.spans = event_run_spans(&s->ev, &max_lines);
	if (max_lines == 0)
		return none;
	/* the last byte is left out, so that the byte after a line's "\n"
	 * can be read, and a run is cut at TH_EVENT_LINE_BYTES, so that no
	 * line of it is longer than an event keeps */
	r.limit = bytes.n - 1;
	r.limit = r.limit < TH_EVENT_LINE_BYTES ? r.limit : TH_EVENT_LINE_BYTES;
	r.spans_end = r.spans + max_lines;
	/* the state stays through the run, and a traceback's frames, the
	 * most, are taken without a test a line */
	switch (s->state) {
	case FRAMES: k = run_lines(FRAMES, &r, newlines, &used); break;
	case MESSAGE: k = run_lines(MESSAGE, &r, newlines, &used); break;
	case GROUP:
		/* a box line after the box closed goes one by one */
		if (s->group_closed)
			return none;
		k = run_lines(GROUP, &r, newlines, &used);
		if (k > 0)
			s->continuation = 0;
		break;
	default: return none;
	}
	if (k == 0)
		return none;
	event_run_commit(&s->ev, k);
	s->ev.end_line = number + k - 1;
	s->ev.end_offset = offset + used;
	return (struct run_taken){used, k};
}

__attribute__((noinline)) static struct run_taken
add_run_any(struct th_assembler *a, uint32_t source, struct th_span bytes,
	    uint64_t number, uint64_t offset)
{
	return add_run(a, source, bytes, number, offset, newlines64);
}

#if defined(__x86_64__)
__attribute__((target("avx2"), noinline)) static struct run_taken
add_run_avx2(struct th_assembler *a, uint32_t source, struct th_span bytes,
	     uint64_t number, uint64_t offset)
{
	return add_run(a, source, bytes, number, offset, newlines64_avx2);
}
#endif

void assembler_use_avx2(struct th_assembler *a, bool on)
{
#if defined(__x86_64__)
	a->avx2 = on && __builtin_cpu_supports("avx2");
#else
	(void)a;
	(void)on;
#endif
}

/* add_run in the way assembler_use_avx2 chose. */
static inline struct run_taken add_run_chosen(struct th_assembler *a,
					      uint32_t source,
					      struct th_span bytes,
					      uint64_t number, uint64_t offset)
{
#if defined(__x86_64__)
	if (a->avx2)
		return add_run_avx2(a, source, bytes, number, offset);
#endif
	return add_run_any(a, source, bytes, number, offset);
}

size_t assembler_add_indented_run(struct th_assembler *a, uint32_t source,
				  struct th_span bytes, uint64_t number,
				  uint64_t offset, uint64_t *lines)
{
	struct run_taken t = add_run_chosen(a, source, bytes, number, offset);
	*lines = t.lines;
	return t.bytes;
}

void assembler_lend(struct th_assembler *a, struct th_span bytes)
{
	a->lent_from = (uintptr_t)bytes.p;
	a->lent_len = bytes.n;
}

void assembler_window_moves(struct th_assembler *a)
{
	a->lent_len = 0;
	for (size_t i = 0; i < a->n_sources; i++)
		if (a->sources[i].state != IDLE)
			event_own_lines(&a->sources[i].ev);
}

void assembler_end_input(struct th_assembler *a)
{
	for (size_t i = 0; i < a->n_sources; i++) {
		struct source *s = &a->sources[i];
		close_event(a, s, state_complete(s));
	}
	a->n_sources = 0;
	a->last = NULL;
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
	a->head.open = 0;
	a->n_sources = 0;
	a->last = NULL;
}

/* source_for for a writer other than the one fed last: a search of the
 * slots, and a new one for a new writer. */
__attribute__((noinline)) static struct source *
find_or_take_source(struct th_assembler *a, uint32_t id)
{
	struct source *lru = NULL;
	a->clock++;
	for (size_t i = 0; i < a->n_sources; i++) {
		struct source *s = &a->sources[i];
		if (s->id == id) {
			s->last_use = a->clock;
			return a->last = s;
		}
		if (lru == NULL || s->last_use < lru->last_use)
			lru = s;
	}
	struct source *s;
	if (a->n_sources < TH_MAX_SOURCES) {
		s = &a->sources[a->n_sources++];
		if (a->n_sources > a->n_touched)
			a->n_touched = a->n_sources;
	} else {
		s = lru;
		close_event(a, s, false);
	}
	s->id = id;
	s->state = IDLE;
	s->record.n = 0;
	s->last_use = a->clock;
	return a->last = s;
}

/* Most records are the writer's fed last: one compare finds its slot,
 * whose LRU stamp stays. */
static struct source *source_for(struct th_assembler *a, uint32_t id)
{
	struct source *s = a->last;
	if (s == NULL || s->id != id)
		return find_or_take_source(a, id);
	return s;
}
