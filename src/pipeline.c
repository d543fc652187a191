/* pipeline.c - the stages wired together; see pipeline.h. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "frame.h"
#include "prefix.h"
#include "richbox.h"

/* What the last search of the current input's window proved, in stream
 * offsets (which a refill that moves the bytes leaves valid): no literal
 * of the search starts in [from, hit) and ends in the window searched,
 * [from, window_end), but the markers of the CRI lines cut into pieces
 * that skip_split_lines passed, whose messages and seams hold none; a
 * literal starts at HIT unless HIT is the window's end. So a line wholly
 * before HIT holds no literal of the assembler's trigger (the lines read
 * before a candidate need no search of their own; a piece gives no
 * record of its own bytes), and while the cursor has not passed HIT in
 * the same window the search need not run again. */
struct searched {
	const struct th_lines *lines; /* whose offsets; NULL: none known */
	uint64_t from, hit, window_end;
	uint64_t hit_number; /* the number of HIT's line, or
				TRIGGER_NEWLINES_UNKNOWN */
};

struct th_pipeline {
	const struct th_trigger *trigger, *framed;
	const struct th_trigger *search; /* the one the current input needs */
	struct th_run *run;
	struct th_matcher *matcher;
	struct th_prefixer *prefixer;
	struct th_assembler *assembler;
	struct th_classifier *classifier;
	uint64_t line_base;	/* lines before the input's start */
	uint64_t match_counted; /* match errors already in the run */
	bool every_line;	/* probes set: no fast path */
	bool avx2;		/* lines cut with AVX2 (lines_avx2_from) */
	bool piece_at_end;	/* a CRI or Docker piece was still waiting for
				   its rest when the lines ended */
	bool panel_at_end;	/* and a panel of rich's was open, in the
				   lines of PANEL_WRITER */
	uint32_t panel_writer;
	struct searched searched; /* by SEARCH, in the current input */
};

static void on_event(void *ctx, struct th_event *ev)
{
	struct th_pipeline *p = ctx;
	ev->line += p->line_base;
	ev->end_line += p->line_base;
	classify_event(p->classifier, ev);
}

struct th_pipeline *pipeline_new(const struct th_pipeline_setup *setup)
{
	struct th_pipeline *p = xcalloc(1, sizeof *p);
	p->trigger = setup->trigger;
	p->framed = setup->framed != NULL ? setup->framed : setup->trigger;
	p->search = p->trigger;
	p->run = setup->run;
	p->matcher = matcher_new(setup->rules);
	p->prefixer = prefix_new(setup->rules, p->matcher);
	p->assembler =
	    assembler_new(setup->rules, p->matcher, p->trigger, on_event, p);
	p->classifier = classify_new(setup->rules, p->matcher, setup->run,
				     setup->deliver, setup->ctx);
	pipeline_use_avx2(p, true);
	return p;
}

void pipeline_free(struct th_pipeline *p)
{
	if (p == NULL)
		return;
	classify_free(p->classifier);
	assembler_free(p->assembler);
	prefix_free(p->prefixer);
	matcher_free(p->matcher);
	free(p);
}

void pipeline_use_avx2(struct th_pipeline *p, bool on)
{
#if defined(__x86_64__)
	p->avx2 = on && __builtin_cpu_supports("avx2");
#else
	p->avx2 = false;
#endif
	assembler_use_avx2(p->assembler, on);
}

void pipeline_set_filter(struct th_pipeline *p, th_filter_fn fn, void *ctx)
{
	classify_set_filter(p->classifier, fn, ctx);
}

void pipeline_set_probes(struct th_pipeline *p, th_probe_fn probe,
			 th_ignored_fn ignored, void *ctx)
{
	assembler_set_probe(p->assembler, probe, ctx);
	classify_set_ignore_probe(p->classifier, ignored, ctx);
	p->every_line = probe != NULL || ignored != NULL;
}

void pipeline_begin_input(struct th_pipeline *p, const char *name, size_t index,
			  uint64_t line_base)
{
	p->line_base = line_base;
	p->piece_at_end = p->panel_at_end = false;
	p->searched.lines = NULL;
	assembler_begin_input(p->assembler, name, index);
	prefix_begin_input(p->prefixer, name);
}

static void feed_records(struct th_pipeline *p, const struct th_record *recs,
			 size_t n)
{
	for (size_t i = 0; i < n; i++)
		assembler_feed(p->assembler, &recs[i]);
}

/* Whether TEXT is a part of LINE's own bytes (not decoded, unescaped or
 * joined into the prefixer's buffers): then it holds no literal that
 * LINE lacks. */
static bool within(struct th_span text, struct th_span line)
{
	uintptr_t at = (uintptr_t)text.p, from = (uintptr_t)line.p;
	return at >= from && at + text.n <= from + line.n;
}

/* The lines of one window, as the cursor reads them: L's cursor stays
 * at the window's start while its lines are read and skipped, and
 * moves once, at its end (feed_window). */
struct window_lines {
	struct th_span w;
	uint64_t number, offset; /* of the window's first line */
	size_t plain;		 /* bytes from the start known to hold no escape
				    (asked again by read_lines once AT reaches it) */
	size_t at;		 /* the next line's start */
	uint64_t newlines;	 /* "\n" bytes before AT */
	size_t avx2_from;	 /* lines_find_newline_as's, kept */
};

/* The index in C's window, from its cursor on, of the earliest literal,
 * or the window's length; *NEWLINES as trigger_find_lines gives them,
 * from the cursor. Taken from the last search while the cursor has not
 * passed its hit and the window is the one it searched, else searched
 * and remembered. */
static size_t find_candidate(struct th_pipeline *p, const struct th_lines *l,
			     const struct window_lines *c, uint64_t *newlines)
{
	struct searched *k = &p->searched;
	uint64_t at = c->offset + c->at, number = c->number + c->newlines;
	uint64_t end = c->offset + c->w.n;
	if (k->lines == l && at >= k->from && at <= k->hit &&
	    end == k->window_end) {
		*newlines = k->hit_number == TRIGGER_NEWLINES_UNKNOWN
				? TRIGGER_NEWLINES_UNKNOWN
				: k->hit_number - number;
		return c->at + (size_t)(k->hit - at);
	}
	size_t hit = trigger_find_lines(
	    p->search, (struct th_span){c->w.p + c->at, c->w.n - c->at},
	    newlines);
	*k = (struct searched){.lines = l,
			       .from = at,
			       .hit = at + hit,
			       .window_end = end,
			       .hit_number =
				   *newlines == TRIGGER_NEWLINES_UNKNOWN
				       ? TRIGGER_NEWLINES_UNKNOWN
				       : number + *newlines};
	return c->at + hit;
}

/* Where in LINE, just read from L, the last search's hit is when LINE
 * holds it and the search was with the assembler's trigger: a literal
 * starts there, and ends in the line (a search finds whole literals).
 * NULL otherwise. */
static const char *line_literal_at(const struct th_pipeline *p,
				   const struct th_lines *l,
				   const struct th_line *line)
{
	const struct searched *k = &p->searched;
	/* the line past the hit first: most lines of an event come after
	 * the hit that opened it */
	if (k->hit < line->offset || p->search != p->trigger || k->lines != l ||
	    line->truncated || k->hit >= line->offset + line->text.n ||
	    k->hit == k->window_end)
		return NULL;
	return line->text.p + (k->hit - line->offset);
}

/* Whether LINE, just read from L, lies wholly before the last search's
 * hit: it holds no literal of the assembler's trigger. The framed
 * search's literals hold all of that trigger's (pipeline.h), so its hits
 * prove it too (its markers are none of them: see struct searched); on
 * a CRI log that spared some 12,800 records of a 37 MB sample their own
 * search (docs/performance.md). */
static bool line_literal_free(const struct th_pipeline *p,
			      const struct th_lines *l,
			      const struct th_line *line)
{
	const struct searched *k = &p->searched;
	return line->offset + line->text.n <= k->hit && k->lines == l &&
	       !line->truncated && line->offset >= k->from;
}

/* The records RECS[0..N) of LINE, just read from L, to the assembler,
 * each with what the last search proved about it: with LITERAL_FREE,
 * LINE holds no literal of the assembler's trigger, so neither do the
 * records taken from its own bytes; LITERAL_AT, a literal starts there. */
static inline __attribute__((always_inline)) void
feed_searched(struct th_pipeline *p, const struct th_lines *l,
	      const struct th_line *line, const struct th_record *recs,
	      size_t n)
{
	bool literal_free = line_literal_free(p, l, line);
	const char *literal_at = line_literal_at(p, l, line);
	for (size_t i = 0; i < n; i++) {
		struct th_span t = recs[i].text;
		if (literal_free && within(t, line->text))
			assembler_feed_literal_free(p->assembler, &recs[i]);
		else if (literal_at != NULL && within(t, line->text) &&
			 t.p <= literal_at &&
			 t.p + t.n == line->text.p + line->text.n)
			assembler_feed_with_literal(p->assembler, &recs[i],
						    literal_at);
		else
			assembler_feed(p->assembler, &recs[i]);
	}
}

/* The records of LINE, just read from L, to the assembler. Inlined
 * into the window loop: as a call it cost some 23 instructions of a
 * line's 75 there, 3.5 M on a crash loop (docs/performance.md). A line
 * that starts past the last search's hit, as most lines of an event do,
 * is neither line_literal_free nor line_literal_at: one compare rules
 * both out, and its records go to the assembler as they are (1.3 M of
 * 175 M on a crash loop, release build; docs/performance.md). */
static inline __attribute__((always_inline)) void
feed_line(struct th_pipeline *p, const struct th_lines *l,
	  const struct th_line *line, uint64_t end_offset)
{
	const struct th_record *recs;
	size_t n = prefix_parse(p->prefixer, line, end_offset,
				assembler_idle(p->assembler), &recs);
	if (p->searched.hit >= line->offset) {
		feed_searched(p, l, line, recs, n);
		return;
	}
	feed_records(p, recs, n);
}

/* A line not from a window the last search saw: its records as they
 * are. */
void pipeline_feed_line(struct th_pipeline *p, const struct th_line *line,
			uint64_t end_offset)
{
	const struct th_record *recs;
	size_t n = prefix_parse(p->prefixer, line, end_offset,
				assembler_idle(p->assembler), &recs);
	feed_records(p, recs, n);
}

/* Moves L's cursor to C's, NEWLINES "\n" bytes before it (UINT64_MAX:
 * to count), and C's window start with it. */
static void window_commit(struct th_lines *l, struct window_lines *c,
			  uint64_t newlines)
{
	lines_skip_counted(l, c->at, newlines);
	c->w.p += c->at;
	c->w.n -= c->at;
	c->plain = c->plain > c->at ? c->plain - c->at : 0;
	c->offset += c->at;
	c->number = lines_number(l);
	c->at = 0;
	c->newlines = 0;
}

/* Where the line holding AT in C's window starts: after the "\n" before
 * AT, or at C's cursor. */
static size_t line_begin(const struct window_lines *c, size_t at)
{
	const char *nl = memrchr(c->w.p + c->at, '\n', at - c->at);
	return nl != NULL ? (size_t)(nl + 1 - c->w.p) : c->at;
}

/* The most pieces of one line skip_split_lines looks at: a line cut into
 * more is read whole. */
#define SPLIT_MAX_PIECES 64
/* The longest literal whose seams joined_may_start looks at: with a
 * longer one, a line cut into pieces is read whole. */
#define SEAM_MAX 128

/* Whether the line that PIECES[0..N) make when joined may hold a literal
 * of T: true when it does, or when T's longest literal is longer than
 * SEAM_MAX or every line is a candidate. Each piece is searched where it
 * lies, and each seam in a copy of the joined text's last LONGEST - 1
 * bytes before it and as many after it, so the pieces are not copied
 * whole as prefix_parse joins them. */
static bool joined_may_start(const struct th_trigger *t,
			     const struct th_span *pieces, size_t n)
{
	size_t longest = trigger_longest(t);
	if (longest == 0 || longest > SEAM_MAX)
		return true;
	size_t keep = longest - 1, tail = 0; /* seam[0..tail): text so far */
	char seam[2 * SEAM_MAX];
	for (size_t i = 0; i < n; i++) {
		struct th_span s = pieces[i];
		size_t head = s.n < keep ? s.n : keep;
		if (trigger_line_may_start(t, s))
			return true;
		if (head > 0)
			memcpy(seam + tail, s.p, head);
		if (tail > 0 && trigger_line_may_start(
				    t, (struct th_span){seam, tail + head}))
			return true;
		if (s.n >= keep) {
			memcpy(seam, s.p + s.n - keep, keep);
			tail = keep;
		} else { /* the last KEEP bytes of seam[0..tail + s.n) */
			size_t all = tail + s.n,
			       drop = all > keep ? all - keep : 0;
			memmove(seam, seam + drop, all - drop);
			tail = all - drop;
		}
	}
	return false;
}

/* Moves HIT, where the search stopped in C's window, past each CRI line
 * cut into pieces that starts there and that joined holds no literal: the
 * search stops at each piece's marker (frame_split_markers), since a
 * literal may lie across a seam, and reading such a line with the lines
 * before it, as a candidate is read, cost more than the rest of a CRI log
 * of long lines did (docs/performance.md, "Lines cut into pieces").
 * Skipped, it is skipped as the same line unsplit would be. *NEWLINES,
 * the "\n" bytes from C's cursor to HIT, and the last search's record
 * move with it. */
static size_t skip_split_lines(struct th_pipeline *p,
			       const struct window_lines *c, size_t hit,
			       uint64_t *newlines)
{
	bool moved = false;
	while (hit < c->w.n && frame_piece_marker((struct th_span){
				   c->w.p + hit, c->w.n - hit})) {
		size_t start = line_begin(c, hit);
		struct th_span pieces[SPLIT_MAX_PIECES];
		size_t len,
		    n = prefix_split_pieces(
			p->prefixer,
			(struct th_span){c->w.p + start, c->w.n - start},
			pieces, SPLIT_MAX_PIECES, &len);
		if (n == 0 || joined_may_start(p->search, pieces, n))
			break;
		uint64_t more;
		size_t after = start + len;
		hit =
		    after + trigger_find_lines(p->search,
					       (struct th_span){c->w.p + after,
								c->w.n - after},
					       &more);
		*newlines = *newlines == TRIGGER_NEWLINES_UNKNOWN ||
				    more == TRIGGER_NEWLINES_UNKNOWN
				? TRIGGER_NEWLINES_UNKNOWN
				: *newlines + n + more;
		moved = true;
	}
	if (moved) {
		struct searched *k = &p->searched;
		k->hit = c->offset + hit;
		k->hit_number = *newlines == TRIGGER_NEWLINES_UNKNOWN
				    ? TRIGGER_NEWLINES_UNKNOWN
				    : c->number + c->newlines + *newlines;
	}
	return hit;
}

/* Where the line holding AT in C's window ends: at its "\n", or at the
 * window's end. */
static size_t line_end(const struct window_lines *c, size_t at)
{
	const char *nl = memchr(c->w.p + at, '\n', c->w.n - at);
	return nl != NULL ? (size_t)(nl - c->w.p) : c->w.n;
}

/* The first piece of the CRI line that has a piece at [START, END) in C's
 * window (END at its "\n"), not before C's cursor, the lines stepped back
 * taken off *NEWLINES; START when no piece before continues into it. */
static size_t piece_first(const struct th_pipeline *p,
			  const struct window_lines *c, size_t start,
			  size_t end, uint64_t *newlines)
{
	while (start > c->at) {
		size_t before = line_begin(c, start - 1);
		struct th_span b = {c->w.p + before, start - 1 - before};
		struct th_span line = {c->w.p + start, end - start};
		if (!prefix_piece_continues(p->prefixer, b, line))
			break;
		end = start - 1;
		start = before;
		if (*newlines != TRIGGER_NEWLINES_UNKNOWN)
			(*newlines)--;
	}
	return start;
}

/* One step of the fast path: moves C's cursor past the lines before the
 * next candidate in its window, or, when the window holds none, before
 * its last few lines: a traceback that starts the next read takes the
 * log record those lines may hold (see assemble.c), so they are read,
 * not skipped. Only lines from the cursor on are read again. When the
 * search counted no more lines before the candidate than are kept, as
 * after most events of a crash loop, it is all of them: nothing is
 * skipped, with no memrchr a line back (36,000 calls on a crash loop,
 * 1.2 M of 175 M; docs/performance.md). */
static void skip_to_candidate(struct th_pipeline *p, struct th_lines *l,
			      struct window_lines *c)
{
	uint64_t newlines; /* before HIT: the same as before its line */
	size_t hit = find_candidate(p, l, c, &newlines);
	bool framed = p->search == p->framed && p->framed != p->trigger;
	if (framed)
		hit = skip_split_lines(p, c, hit, &newlines);
	if (newlines <= TH_RECORD_LOOKBACK_LINES)
		return; /* the lines to read start at the cursor */
	/* The candidate's line (or the window's end), and the few lines
	 * before it: a traceback takes the log record it follows. A line
	 * cut into pieces is one line here, read from its first piece,
	 * which holds its record's start. */
	size_t start = line_begin(c, hit);
	if (framed) /* a piece without the marker's blank, or a tab */
		start = piece_first(p, c, start, line_end(c, hit), &newlines);
	for (int back = 0; back < TH_RECORD_LOOKBACK_LINES && start > c->at;
	     back++) {
		size_t end = start - 1;
		start = line_begin(c, end);
		if (newlines != TRIGGER_NEWLINES_UNKNOWN)
			newlines--;
		if (framed)
			start = piece_first(p, c, start, end, &newlines);
	}
	c->at = start;
	if (newlines == TRIGGER_NEWLINES_UNKNOWN)
		window_commit(l, c, UINT64_MAX); /* lines counts them */
	else
		c->newlines += newlines;
}

bool pipeline_choose_search(struct th_pipeline *p, struct th_lines *l)
{
	struct th_span w;
	p->search = p->trigger;
	p->searched.lines = NULL;
	assembler_window_moves(p->assembler); /* as in feed_window */
	if (lines_window(l, &w) != TH_OK || w.n == 0)
		return false;
	const char *nl = memchr(w.p, '\n', w.n);
	struct th_span first = {w.p, nl ? (size_t)(nl - w.p) : w.n};
	if (prefix_may_split(first))
		p->search = p->framed;
	return true;
}

/* Whether the next line is one to find by search, not to read: no event
 * open, no piece of a split line waiting, and no probe to see every line
 * (pipeline.h). */
static bool search_due(const struct th_pipeline *p)
{
	return !p->every_line && assembler_idle(p->assembler) &&
	       !prefix_pending(p->prefixer);
}

/* Whether indented lines may go to the open event of *SOURCE directly,
 * without a record each: its event only takes such lines
 * (assembler_add_indented) and each is one plain record
 * (prefix_blank_lines_plain). Half the lines of a crash loop are a
 * traceback's frames, its context or an exception group's box
 * (docs/performance.md). */
static bool reads_indented(const struct th_pipeline *p, uint32_t *source)
{
	return !p->every_line &&
	       prefix_blank_lines_plain(p->prefixer, source) &&
	       assembler_reads_indented(p->assembler, *source);
}

/* What take_indented took: bytes (whole lines with their "\n") and
 * lines. */
struct taken {
	size_t bytes;
	uint64_t lines;
};

/* Takes the indented lines at the cursor, AT bytes into L's window, to
 * the open event of SOURCE without a record each, as feed_line would take
 * them: TEXT, the first, is led by a blank (the caller's check); REST
 * bytes of the window are left from it, the first PLAIN of them known to
 * hold no escape byte; NUMBER and OFFSET are its own. A run of them goes
 * in one call (assembler_add_indented_run), else the first alone if it is
 * not blank, has no escape byte, is ended by its "\n" and is one the event
 * does not decide on (it may end the event or change its state). Nothing
 * taken: the line goes the whole way. The event borrows the lines from
 * the window, not a copy: feed_window has it copy them before the window
 * moves (assembler_window_moves). */
static inline struct taken take_indented(struct th_pipeline *p,
					 struct th_lines *l, uint32_t source,
					 const char *text, size_t rest,
					 size_t plain, size_t at,
					 uint64_t number, uint64_t offset)
{
	struct taken none = {0, 0}, got = {0, 0};
	got.bytes =
	    plain > 0
		? assembler_add_indented_run(p->assembler, source,
					     (struct th_span){text, plain},
					     number, offset, &got.lines)
		: 0;
	if (got.bytes > 0)
		return got;
	const char *nl = lines_find_newline(text, rest);
	if (nl == NULL)
		return none;
	size_t len = (size_t)(nl - text);
	struct th_span t = th_trim_end((struct th_span){text, len});
	if (t.n == 0 ||
	    (len > plain && !lines_window_span_escape_free(l, at, len)) ||
	    !assembler_add_indented(p->assembler, source, t, number,
				    offset + len + 1))
		return none;
	return (struct taken){len + 1, 1};
}

/* The line at C's cursor, LEN bytes before its "\n" (or the window's
 * end), as lines_next would deliver it: never cut, for a window shows no
 * line longer than the capacity. */
static struct th_line window_line(struct th_lines *l,
				  const struct window_lines *c,
				  const char *text, size_t len)
{
	struct th_line line = {.number = c->number + c->newlines,
			       .offset = c->offset + c->at,
			       .truncated = false};
	line.text = (struct th_span){
	    text, len > 0 && text[len - 1] == '\r' ? len - 1 : len};
	line.escape_free = c->at + line.text.n <= c->plain ||
			   lines_window_span_escape_free(l, c->at, line.text.n);
	return line;
}

/* One line with lines_next and the whole path: the next line is too long
 * for a window, and lines_next cuts it. */
static enum th_status feed_next_line(struct th_pipeline *p, struct th_lines *l)
{
	struct th_line line;
	enum th_status st = lines_next(l, &line);
	if (st != TH_OK)
		return st;
	feed_line(p, l, &line, lines_offset(l));
	return TH_OK;
}

/* Reads the lines of C's window from its cursor, the first one always,
 * until the next is one to search for (search_due) or the window ends:
 * an open event's indented lines straight to it (take_indented), every
 * other line through prefix_parse and the assembler. The lines are cut
 * from the window here, not one lines_next call each. Returns whether it
 * stopped for a search (false: the window ended first). Inlined into
 * feed_window: C is then a local no call sees, kept in registers across
 * the assembler's calls rather than stored and loaded again around each
 * line (docs/performance.md, night of 2026-12-06). */
static inline __attribute__((always_inline)) bool
read_lines(struct th_pipeline *p, struct th_lines *l, struct window_lines *c)
{
	bool due = false;
	if (c->plain <= c->at && c->plain < c->w.n)
		c->plain = c->at + lines_window_escape_free_at(l, c->at);
	uint32_t source = 0;
	enum { UNKNOWN, YES, NO } indented = UNKNOWN; /* reads_indented */
	do {
		const char *text = c->w.p + c->at;
		if (text[0] == ' ' || text[0] == '\t') {
			if (indented == UNKNOWN)
				indented =
				    reads_indented(p, &source) ? YES : NO;
			if (indented == YES) {
				struct taken k = take_indented(
				    p, l, source, text, c->w.n - c->at,
				    c->plain > c->at ? c->plain - c->at : 0,
				    c->at, c->number + c->newlines,
				    c->offset + c->at);
				if (k.bytes > 0) {
					c->at += k.bytes;
					c->newlines += k.lines;
					continue;
				}
			}
		}
		const char *nl =
		    lines_find_newline_as(text, c->w.n - c->at, c->avx2_from);
		size_t len = nl != NULL ? (size_t)(nl - text) : c->w.n - c->at;
		size_t used = nl != NULL ? len + 1 : len;
		struct th_line line = window_line(l, c, text, len);
		c->at += used;
		c->newlines += nl != NULL;
		feed_line(p, l, &line, c->offset + c->at);
		if (search_due(p)) {
			due = true;
			break;
		}
		indented = UNKNOWN;
	} while (c->at < c->w.n);
	return due;
}

/* Reads or skips every line of the window at L's cursor, then moves the
 * cursor past them once: a crash loop has an event or two a window
 * visit, and asking for the window and moving the cursor each time cost
 * some 150 instructions an event (docs/performance.md). */
static enum th_status feed_window(struct th_pipeline *p, struct th_lines *l)
{
	struct th_span w;
	/* the open events' indented lines point into the window
	 * (take_indented), which lines_window may refill or remap */
	assembler_window_moves(p->assembler);
	enum th_status st = lines_window(l, &w);
	if (st != TH_OK)
		return st;
	/* C's address is given to no call: its fields stay in registers
	 * across the lines read */
	struct window_lines c = {.w = w,
				 .at = 0,
				 .newlines = 0,
				 .avx2_from = lines_avx2_from(p->avx2)};
	if (c.w.n == 0)
		return feed_next_line(p, l);
	/* plain lines' records are the window's bytes: their events borrow
	 * them, not a copy, until the next window */
	assembler_lend(p->assembler, c.w);
	c.number = lines_number(l);
	c.offset = lines_offset(l);
	c.plain = 0; /* asked by read_lines: not for the lines skipped */
	bool due = search_due(p);
	do {
		if (due) {
			skip_to_candidate(p, l, &c);
			if (c.at == c.w.n)
				break;
		}
		due = read_lines(p, l, &c);
	} while (c.at < c.w.n);
	lines_skip_counted(l, c.at, c.newlines);
	return TH_OK;
}

enum th_status pipeline_feed(struct th_pipeline *p, struct th_lines *l)
{
	for (;;) {
		enum th_status st = feed_window(p, l);
		if (st != TH_OK)
			return st;
	}
}

enum th_status pipeline_read(struct th_pipeline *p, struct th_lines *l)
{
	pipeline_choose_search(p, l);
	return pipeline_feed(p, l);
}

void pipeline_finish_lines(struct th_pipeline *p)
{
	const struct th_record *recs;
	p->piece_at_end =
	    prefix_open_across(p->prefixer, &p->panel_at_end, &p->panel_writer);
	/* two statements: an argument list does not order the call that
	 * sets RECS before RECS is read */
	size_t n = prefix_finish(p->prefixer, &recs);
	feed_records(p, recs, n);
}

void pipeline_close_events(struct th_pipeline *p)
{
	assembler_end_input(p->assembler);
}

void pipeline_end_input(struct th_pipeline *p)
{
	pipeline_finish_lines(p);
	pipeline_close_events(p);
}

void pipeline_count(struct th_pipeline *p, const struct th_lines *l)
{
	uint64_t errors = rules_match_errors(p->matcher);
	p->run->counts.lines_truncated += lines_truncated(l);
	p->run->counts.match_errors += errors - p->match_counted;
	p->match_counted = errors;
}

bool pipeline_cut_safe(const struct th_pipeline *p, uint32_t writer)
{
	/* an unframed cut line belongs to the writer of the line before it
	 * while that one has an event open (prefix.c, unframe) */
	bool own_writer = writer != 0 || prefix_last_source(p->prefixer) == 0;
	bool panel_ends = !p->panel_at_end || p->panel_writer == writer;
	return !p->piece_at_end && panel_ends && own_writer &&
	       assembler_open_only_in(p->assembler, writer);
}

struct th_assembler *pipeline_assembler(struct th_pipeline *p)
{
	return p->assembler;
}

struct th_trigger *pipeline_trigger_new(const struct th_rules *rules,
					bool split_markers)
{
	const struct th_span *literals;
	size_t n, n_markers = 0;
	const struct th_marker *markers = NULL;
	if (!rules_literals(rules, &literals, &n))
		n = 0;
	if (n == 0) /* every line is a candidate */
		return trigger_new(literals, n, markers, n_markers);
	struct th_span *all = xcalloc(3 * n + 3, sizeof *all);
	char **forms = xcalloc(2 * n, sizeof *forms);
	size_t n_all = 0, n_forms = 0;
	/* a traceback rich drew (richbox.h) holds no literal until the
	 * prefixer writes its first line: its panel's title is one */
	all[n_all++] = TH_SPAN_LIT(RICHBOX_TITLE);
	all[n_all++] = TH_SPAN_LIT(RICHBOX_TITLE_COLORED);
	for (size_t i = 0; i < n; i++)
		all[n_all++] = literals[i];
	if (split_markers) {
		/* framed lines: each literal as the framings' JSON strings
		 * hold it too (dockerd writes "Executing <" as "Executing
		 * \u003c") */
		markers = frame_split_markers(&n_markers);
		/* a JSON record whose traceback is data (structlog's
		 * dict_tracebacks, jsontb.h) holds no literal until the
		 * prefixer writes its text: its key is one */
		all[n_all++] = th_cstr("\"exc_type\":");
		for (size_t i = 0; i < n; i++) {
			char *out[2];
			size_t k = frame_json_forms(literals[i], out);
			for (size_t j = 0; j < k; j++) {
				all[n_all++] = th_cstr(out[j]);
				forms[n_forms++] = out[j];
			}
		}
	}
	struct th_trigger *t = trigger_new(all, n_all, markers, n_markers);
	for (size_t i = 0; i < n_forms; i++)
		free(forms[i]);
	free(forms);
	free(all);
	return t;
}
