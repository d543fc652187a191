/* prefix.c - framings, JSON records, record starts, and where a line's
 * time is (isotime.c reads it); see prefix.h. */
#include "prefix.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "diag.h"
#include "frame.h"
#include "heap.h"
#include "jsontb.h"
#include "kvline.h"
#include "richbox.h"
#include "text.h"
#include "th_limits.h"

/* Text decoded or joined for the current line: a CRI partial line and its
 * last piece (each at most a read buffer), or a JSON string decoded from a
 * line (never longer than the line), plus the ANSI-free copies. */
#define ARENA_SIZE (4 * (size_t)TH_READ_BUFFER + 64)

/* A writer's name as the prefixer keeps it past the line that named it. */
struct source_name {
	size_t n;
	char v[TH_MAX_FIELD];
};

struct partial {
	bool used;
	bool plain; /* every piece so far known to hold no escape byte */
	uint32_t source;
	struct source_name name;
	char *buf; /* TH_READ_BUFFER bytes */
	size_t n;
	uint64_t number, offset, end_offset;
	struct th_time time;
};

/* Where the prefixer is in rich's panels (richbox.h). */
enum rich_state {
	RICH_NONE,
	RICH_TRACEBACK, /* in a traceback's panel */
	RICH_AFTER,	/* at the line after its bottom border, which may open
			   a SyntaxError's panel */
	RICH_SYNTAX	/* in a SyntaxError's panel */
};

struct th_prefixer {
	const struct th_rules *rules; /* user prefixes; may be NULL */
	struct th_matcher *matcher;
	bool user_prefixes; /* RULES has some: asked once, not every line */
	char *arena;
	size_t used;
	struct th_record *recs;
	size_t n_recs, cap_recs;
	/* The record of a line prefix_parse takes its short way and that
	 * opens no logging prefix (plain_record): no time, no record start,
	 * not structured. Those stay as prefix_new left them (zero), so
	 * such a line writes only its text, place and writer. */
	struct th_record plain;
	uint32_t last_source;	      /* writer of the last line parsed */
	struct source_name last_name; /* and its name */
	bool idle;		      /* no event open before this line */
	struct th_span line;	      /* the line being parsed, when it holds no
					 escape byte (else empty), or the text
					 decoded from it when that holds none:
					 clean skips the search in text in it */
	int64_t now;
	int now_year; /* the year NOW falls in, for syslog times */
	struct th_iso_memo iso_memo; /* the last logging prefix's time */
	/* the last writer set_source named (up to 64 bytes) and its id:
	 * framed lines name few writers, mostly the one before, so a name
	 * is hashed again only when it changes */
	struct {
		size_t n;
		char v[64];
		uint32_t id;
	} last_id;
	struct th_iso_memo frame_memo; /* the last framing's time (CRI,
					  Docker): one minute has many */
	struct partial partials[TH_MAX_PARTIALS];
	size_t pending; /* partials in use: asked about before every line */
	/* the container the input's path names (frame_file_writer): the
	 * writer's name on its CRI and Docker lines; n 0: none */
	struct source_name origin;
	/* The message a syslog-framed line began, which the lines after it
	 * may continue, indented to its column, as journalctl prints a
	 * message of several lines (continues_message); COL 0: none. */
	struct {
		size_t col;    /* where the message starts in its first line */
		uint64_t next; /* the number of the line that may continue it */
		struct th_time time;
	} message;
	/* A key=value record's message or exception left open in double
	 * quotes at its line's end, as structlog's LogfmtRenderer before
	 * 24.1 writes a value of several lines: its writer's lines after it
	 * are the value's, up to its closing quote (kv_continue). */
	struct {
		bool open;
		uint32_t source; /* its writer: another's lines are theirs */
		size_t lines;	 /* of the value so far */
		struct th_time time; /* the record's, once known */
	} kv;
	/* A traceback rich drew in a panel (richbox.h), from its top
	 * border on: its writer's lines are the panel's up to its bottom
	 * border, or up to the first that is none (rich_continue); the
	 * line after may open a SyntaxError's panel. */
	struct {
		enum rich_state state;
		uint32_t source;  /* its writer: another's lines are theirs */
		size_t indent;	  /* the blanks before its borders */
		bool framed;	  /* a frame's line was given, and not yet the
				     failing line of its code */
		size_t heading_n; /* a frame's heading read so far */
		char heading[TH_MAX_FIELD];
		unsigned syntax_lines; /* lines a SyntaxError's panel gave */
	} rich;
	/* Every line takes parse_line, none a short way: there are user
	 * prefixes, a key=value record's value is open, or a panel of
	 * rich's. One flag, so that the short ways ask one question, as
	 * they did before. */
	bool whole_way;
};

/* What the framing of one line says, before the message is split into
 * records. */
struct framed {
	struct th_span message;
	bool lines;  /* the message may hold several lines (journald) */
	bool syslog; /* syslog's: its "\n" may be written "#012" (rsyslog) */
	uint32_t source;
	struct th_span source_name; /* in the line or the arena */
	struct th_time time;
	uint64_t number, offset, end_offset;
};

struct th_prefixer *prefix_new(const struct th_rules *rules,
			       struct th_matcher *m)
{
	struct th_prefixer *p = xcalloc(1, sizeof *p);
	p->rules = rules;
	p->matcher = m;
	p->user_prefixes = rules != NULL && rules_prefix_count(rules) > 0;
	p->whole_way = p->user_prefixes;
	/* its own map: nearly all of it is never touched, and on the
	 * heap it would take a thread's huge pages (heap.h) */
	p->arena = heap_map(ARENA_SIZE);
	if (p->arena == NULL)
		die("out of memory (%zu bytes)", ARENA_SIZE);
	p->cap_recs = 16;
	p->recs = xmalloc(p->cap_recs * sizeof *p->recs);
	p->now = (int64_t)time(NULL);
	p->now_year = isotime_year_of(p->now);
	return p;
}

void prefix_free(struct th_prefixer *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < TH_MAX_PARTIALS; i++)
		free(p->partials[i].buf);
	free(p->recs);
	heap_unmap(p->arena, ARENA_SIZE);
	free(p);
}

void prefix_begin_input(struct th_prefixer *p, const char *input)
{
	p->origin.n = input != NULL ? frame_file_writer(input, p->origin.v,
							sizeof p->origin.v)
				    : 0;
	p->last_source = 0;
	p->last_name.n = 0;
	for (size_t i = 0; i < TH_MAX_PARTIALS; i++)
		p->partials[i].used = false;
	p->pending = 0;
	p->kv.open = false;
	p->rich.state = RICH_NONE;
	p->whole_way = p->user_prefixes;
}

/* Sets whole_way from what it stands for. */
static void whole_way_update(struct th_prefixer *p)
{
	p->whole_way =
	    p->user_prefixes || p->kv.open || p->rich.state != RICH_NONE;
}

/* Copies N bytes into the arena; returns where, or NULL when full. */
static char *arena_put(struct th_prefixer *p, const char *s, size_t n)
{
	if (p->used + n > ARENA_SIZE)
		return NULL;
	char *at = p->arena + p->used;
	memcpy(at, s, n);
	p->used += n;
	return at;
}

/* Past a CSI's parameters and intermediates (0x20..0x3f) from IN.p[AT]
 * on and its one final byte (0x40..0x7e, or any other byte): where the
 * text goes on, or IN.n when it ends first. Sixteen bytes at once where
 * they are there: most CSIs are short ("0m", "1;31m"), and a byte at a
 * time took about five instructions a byte. */
static inline size_t csi_end(struct th_span in, size_t at)
{
#if defined(__SSE2__)
	if (at + 16 <= in.n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(in.p + at));
		__m128i param =
		    _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xe0)),
				   _mm_set1_epi8(0x20));
		unsigned other = ~(unsigned)_mm_movemask_epi8(param) & 0xffffu;
		if (other != 0)
			return at + (unsigned)__builtin_ctz(other) + 1;
		at += 16;
	}
#endif
	while (at < in.n && ((unsigned char)in.p[at] & 0xe0) == 0x20)
		at++;
	return at < in.n ? at + 1 : in.n;
}

/* Past the escape at IN.p[*I] (an ESC): a CSI ("ESC [", its parameters
 * and final byte) is dropped; an ESC that starts no CSI is kept in
 * OUT[*N]. */
static inline void skip_escape(struct th_span in, size_t *i, char *out,
			       size_t *n)
{
	size_t at = *i;
	if (at + 1 < in.n && in.p[at + 1] == '[') {
		*i = csi_end(in, at + 2);
	} else {
		out[(*n)++] = in.p[at];
		*i = at + 1;
	}
}

#if defined(__SSE2__)
/* Copies N bytes, fewer than sixteen, from IN to OUT (apart): two moves
 * that may overlap each other instead of a byte at a time. */
static inline void copy_short(char *out, const char *in, size_t n)
{
	if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, in, 8);
		memcpy(&b, in + n - 8, 8);
		memcpy(out, &a, 8);
		memcpy(out + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, in, 4);
		memcpy(&b, in + n - 4, 4);
		memcpy(out, &a, 4);
		memcpy(out + n - 4, &b, 4);
	} else if (n > 0) {
		out[0] = in[0];
		out[n / 2] = in[n / 2];
		out[n - 1] = in[n - 1];
	}
}

/* prefix_strip_ansi's last bytes, from IN.p[*I] on, fewer than sixteen
 * of at least sixteen: the last sixteen bytes of IN tell where the
 * escapes among them are, and the text between them is copied by
 * copy_short. */
static void strip_tail(struct th_span in, size_t *i, char *out, size_t *n)
{
	const size_t last = in.n - 16;
	__m128i v = _mm_loadu_si128((const __m128i *)(in.p + last));
	unsigned esc = (unsigned)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\x1b')));
	while (*i < in.n) {
		unsigned ahead = esc >> (*i - last);
		size_t run =
		    ahead != 0 ? (unsigned)__builtin_ctz(ahead) : in.n - *i;
		copy_short(out + *n, in.p + *i, run);
		*i += run;
		*n += run;
		if (*i < in.n)
			skip_escape(in, i, out, n);
	}
}
#endif

/* The text between escapes is copied sixteen bytes a step while sixteen
 * are left: all sixteen are stored, and the copy goes on after the
 * first ESC among them. OUT never gets ahead of IN (N <= I), so a store
 * at OUT[N] stays within IN.n bytes. A colored traceback line has six
 * to ten escapes; with a memchr and a memcpy for each stretch between
 * them it took about 450 instructions (callgrind, crash loop); 270
 * with the last bytes and each CSI's parameters read a byte at a time;
 * 220 with them read as below (csi_end, strip_tail). */
size_t prefix_strip_ansi(struct th_span in, char *out)
{
	size_t n = 0, i = 0;
#if defined(__SSE2__)
	const __m128i esc = _mm_set1_epi8('\x1b');
	while (i + 16 <= in.n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(in.p + i));
		_mm_storeu_si128((__m128i *)(out + n), v);
		unsigned at =
		    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, esc));
		if (at == 0) {
			i += 16;
			n += 16;
			continue;
		}
		unsigned run = (unsigned)__builtin_ctz(at);
		i += run;
		n += run;
		skip_escape(in, &i, out, &n);
	}
	if (in.n >= 16) {
		strip_tail(in, &i, out, &n);
		return n;
	}
#endif
	while (i < in.n) {
		if (in.p[i] != '\x1b')
			out[n++] = in.p[i++];
		else
			skip_escape(in, &i, out, &n);
	}
	return n;
}

/* The first letters of the level names below. */
static bool level_initial(char c)
{
	return c == 'C' || c == 'D' || c == 'E' || c == 'F' || c == 'I' ||
	       c == 'W';
}

/* Whether S starts with the level name NAME (N bytes) and one of the
 * bytes that may follow it: ':', ']', a blank, or a NUL byte (which the
 * strchr(":] \t", c) this replaced found too, as the string's end). */
static bool level_at(struct th_span s, const char *name, size_t n)
{
	if (s.n <= n || memcmp(s.p, name, n) != 0)
		return false;
	char c = s.p[n];
	return c == ':' || c == ']' || c == ' ' || c == '\t' || c == '\0';
}

/* The length of the level name the logging module prints at the start
 * of S, followed by ':' (BASIC_FORMAT "%(levelname)s:%(name)s:") or by a
 * blank or ']' (custom formats); 0 when S starts with none. The first
 * letter picks the names to compare: most lines start with none of
 * them. */
static size_t level_length(struct th_span s)
{
	switch (s.n > 0 ? s.p[0] : '\0') {
	case 'C': return level_at(s, "CRITICAL", 8) ? 8 : 0;
	case 'E': return level_at(s, "ERROR", 5) ? 5 : 0;
	case 'W':
		return level_at(s, "WARNING", 7) ? 7
		       : level_at(s, "WARN", 4)	 ? 4
						 : 0;
	case 'I': return level_at(s, "INFO", 4) ? 4 : 0;
	case 'D': return level_at(s, "DEBUG", 5) ? 5 : 0;
	case 'F': return level_at(s, "FATAL", 5) ? 5 : 0;
	default: return 0;
	}
}

/* S past a '[' it starts with, if any. */
static struct th_span past_bracket(struct th_span s)
{
	return s.n > 0 && s.p[0] == '[' ? (struct th_span){s.p + 1, s.n - 1}
					: s;
}

/* Whether S starts with a level name (level_length), alone or in
 * brackets ("[ERROR] ..."). */
static bool starts_with_level(struct th_span s)
{
	return level_length(past_bracket(s)) > 0;
}

/* The time after the level name of LEVEL bytes S starts with (maybe
 * after a '['), as formats that put the level first write it: Django's
 * "verbose" ("ERROR 2024-05-01 10:00:01,123 views 42 1401 ..."),
 * "[ERROR] 2024-05-01 ...", "ERROR [2024-05-01 ...]", a padded
 * "%(levelname)-8s". Read into *OUT with P's memo; false when no time
 * follows the name. Not inlined: few lines take it, and
 * one_prefixed_record, which every dated line runs, keeps its registers
 * to itself. */
__attribute__((noinline)) static bool time_after_level(struct th_prefixer *p,
						       struct th_span s,
						       size_t level,
						       struct th_time *out)
{
	struct th_span t = past_bracket(s);
	t.p += level;
	t.n -= level;
	if (t.n > 0 && (t.p[0] == ']' || t.p[0] == ':')) {
		t.p++;
		t.n--;
	}
	while (t.n > 0 && (t.p[0] == ' ' || t.p[0] == '\t')) {
		t.p++;
		t.n--;
	}
	t = past_bracket(t);
	return t.n > 0 && th_is_digit(t.p[0]) &&
	       isotime_read_iso_memo(t, &p->iso_memo, out) > 0;
}

static uint32_t source_id(struct th_span name)
{
	uint32_t h = XXH32(name.p, name.n, 0);
	return h ? h : 1; /* 0 means "no writer named" */
}

/* source_id(NAME), for the last name asked about from memory. */
static uint32_t remembered_source_id(struct th_prefixer *p, struct th_span name)
{
	if (name.n == p->last_id.n &&
	    th_same_bytes(name.p, p->last_id.v, name.n))
		return p->last_id.id;
	uint32_t id = source_id(name);
	if (name.n <= sizeof p->last_id.v) {
		memcpy(p->last_id.v, name.p, name.n);
		p->last_id.n = name.n;
		p->last_id.id = id;
	}
	return id;
}

/* F's writer is NAME (empty: none). NAME must live as long as the line:
 * in it, or in the arena (ARENA: copy it there first). */
static void set_source(struct th_prefixer *p, struct framed *f,
		       struct th_span name, bool arena)
{
	if (name.n == 0) {
		f->source = 0;
		f->source_name = (struct th_span){"", 0};
		return;
	}
	f->source = remembered_source_id(p, name);
	char *at = arena ? arena_put(p, name.p, name.n) : (char *)name.p;
	f->source_name = (struct th_span){at ? at : "", at ? name.n : 0};
}

/* F's writer, set from a container runtime's stream, takes the name of
 * the container the input's path names, when it names one: the streams
 * stay apart (their ids differ), the report names the container. */
static void name_runtime_writer(const struct th_prefixer *p, struct framed *f)
{
	if (p->origin.n > 0 && f->source != 0)
		f->source_name = (struct th_span){p->origin.v, p->origin.n};
}

/* Keeps a copy of NAME in *TO, cut to what an event field holds. */
static void name_keep(struct source_name *to, struct th_span name)
{
	to->n = name.n < sizeof to->v ? name.n : sizeof to->v;
	if (to->n > 0) /* an empty name may have no bytes at all (NULL) */
		memcpy(to->v, name.p, to->n);
}

static struct partial *partial_for(struct th_prefixer *p, uint32_t source)
{
	struct partial *free_slot = NULL;
	for (size_t i = 0; i < TH_MAX_PARTIALS; i++) {
		struct partial *q = &p->partials[i];
		if (q->used && q->source == source)
			return q;
		if (!q->used && free_slot == NULL)
			free_slot = q;
	}
	return free_slot;
}

static struct th_record *new_record(struct th_prefixer *p)
{
	if (p->n_recs == p->cap_recs) /* not for a line's first record */
		XGROW(p->recs, p->cap_recs, p->n_recs + 1, 16);
	return &p->recs[p->n_recs++];
}

/* TEXT without its ANSI escapes: copied into the arena without them when
 * it has some, as it is otherwise (or when the arena is full). */
static struct th_span strip_escapes(struct th_prefixer *p, struct th_span text)
{
	if (memchr(text.p, '\x1b', text.n) == NULL ||
	    p->used + text.n > ARENA_SIZE)
		return text;
	char *at = p->arena + p->used;
	text.n = prefix_strip_ansi(text, at);
	text.p = at;
	p->used += text.n;
	return text;
}

/* Whether TEXT lies in P->line, known to hold no escape byte. */
static inline bool known_plain(const struct th_prefixer *p, struct th_span text)
{
	uintptr_t at = (uintptr_t)text.p, line = (uintptr_t)p->line.p;
	return at >= line && at + text.n <= line + p->line.n;
}

/* strip_escapes for TEXT in which the reader found an escape byte (the
 * line's escape_free is false): copied without one at once, with no
 * search for it first (about 30 instructions a line, callgrind, crash
 * loop). A copy as long as TEXT dropped nothing: TEXT is kept, and the
 * arena space is not taken. */
static struct th_span strip_found_escapes(struct th_prefixer *p,
					  struct th_span text)
{
	if (p->used + text.n > ARENA_SIZE)
		return text;
	char *at = p->arena + p->used;
	size_t n = prefix_strip_ansi(text, at);
	if (n == text.n)
		return text;
	p->used += n;
	return (struct th_span){at, n};
}

/* Cleans TEXT for matching: ANSI escapes out (into the arena, only when
 * there are some), then trailing blanks and a carriage return. Text in a
 * line known to hold no escape byte is not searched. */
static inline struct th_span clean(struct th_prefixer *p, struct th_span text)
{
	if (!known_plain(p, text))
		text = strip_escapes(p, text);
	return th_trim_end(text);
}

static inline void mark_record_start(struct th_prefixer *p,
				     struct th_record *r);

/* One record of F's message TEXT. A line of a structured record (JSON,
 * key=value) starts a log record when STRUCTURED_START says so; any
 * other is one when a logging prefix makes it one (which gives a time
 * when the framing gave none). Inline wherever it is called: once the
 * compiler made it a call, a CRI log took 1 % more instructions
 * (callgrind, docs/performance.md "rich's panels"). */
static inline __attribute__((always_inline)) void
add_record(struct th_prefixer *p, const struct framed *f, struct th_span text,
	   bool structured_start, bool structured)
{
	struct th_record *r = new_record(p);
	r->text = clean(p, text);
	r->number = f->number;
	r->offset = f->offset;
	r->end_offset = f->end_offset;
	r->source = f->source;
	r->source_name = f->source_name;
	r->time = f->time;
	r->structured = structured;
	if (structured)
		r->record_start = structured_start;
	else
		mark_record_start(p, r);
}

/* The bytes a logging prefix may start with: a digit (a time), '['
 * (tornado's "[E 240501 ...]", "[ERROR]") and the initials of the level
 * names (level_initial). */
/* clang-format off */
static const bool opens_prefix[256] = {
    ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,
    ['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
    ['['] = true, ['C'] = true, ['D'] = true, ['E'] = true, ['F'] = true,
    ['I'] = true, ['W'] = true, [RICHBOX_LEAD] = true};
/* clang-format on */

/* R, whose text starts with RICHBOX_LEAD (no logging prefix does), when
 * it is the top border of a traceback's panel drawn by rich: the line
 * Python writes first, and the panel opens for the lines of R's writer
 * after it (rich_continue). Any other such line is left as it is. */
__attribute__((noinline)) static void rich_top(struct th_prefixer *p,
					       struct th_record *r)
{
	size_t indent;
	r->record_start = false;
	if (!richbox_is_top(r->text, &indent))
		return;
	r->text = TH_SPAN_LIT(RICHBOX_TRACEBACK);
	p->rich.state = RICH_TRACEBACK;
	p->rich.source = r->source;
	p->rich.indent = indent;
	p->rich.framed = false;
	p->rich.heading_n = 0;
	whole_way_update(p);
}

/* mark_record_start for R, whose text starts with a byte opens_prefix
 * names. */
static void read_logging_prefix(struct th_prefixer *p, struct th_record *r)
{
	struct th_span t = r->text;
	if ((unsigned char)t.p[0] == RICHBOX_LEAD) {
		rich_top(p, r);
		return;
	}
	if (t.p[0] == '[') {
		t.p++;
		t.n--;
		/* tornado's LogFormatter: "[E 240501 10:00:01 module:12]",
		 * "[E 2024-05-01 10:00:01,123 module:12]" */
		if (t.n > 2 && level_initial(t.p[0]) && t.p[1] == ' ') {
			t.p += 2;
			t.n -= 2;
		}
	}
	struct th_time inner;
	/* a time starts with a digit */
	bool timed = t.n > 0 && th_is_digit(t.p[0]) &&
		     isotime_read_iso_memo(t, &p->iso_memo, &inner) > 0;
	size_t level = timed ? 0 : level_length(past_bracket(r->text));
	r->record_start = timed || level > 0;
	if (level > 0)
		timed = time_after_level(p, r->text, level, &inner);
	if (timed && !isotime_known(&r->time))
		r->time = inner;
}

/* Whether R, not a JSON record's, opens a log record: a logging prefix
 * (a time or a level name); its time becomes R's when R has none. Most
 * lines start with a byte no prefix starts with ("Traceback", "  File",
 * an exception's name): one lookup, inline, rules them out. */
static inline void mark_record_start(struct th_prefixer *p, struct th_record *r)
{
	r->record_start = false;
	if (r->text.n > 0 && opens_prefix[(unsigned char)r->text.p[0]])
		read_logging_prefix(p, r);
}

/* The first string among NAMES in object O. */
static const char *first_string(json_t *o, const char *const *names,
				size_t *len)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		json_t *v = json_object_get(o, names[i]);
		if (json_is_string(v)) {
			*len = json_string_length(v);
			return json_string_value(v);
		}
	}
	return NULL;
}

/* The keys of a structured record (JSON, key=value) that hold its
 * message, its exception's text and its time, each list best first. */
static const char *const message_keys[] = {"message", "msg", "event", NULL};
static const char *const error_keys[] = {"exc_info", "exception",  "exc_text",
					 "stack",    "stack_info", "traceback",
					 NULL};
static const char *const time_keys[] = {"timestamp", "time", "@timestamp",
					"asctime",   "ts",   NULL};

/* The record's time: an ISO string, or seconds since the epoch. */
static void json_time(json_t *o, struct th_time *out)
{
	for (size_t i = 0; time_keys[i] != NULL; i++) {
		json_t *v = json_object_get(o, time_keys[i]);
		if (json_is_string(v)) {
			struct th_span s = {json_string_value(v),
					    json_string_length(v)};
			if (isotime_read_iso(s, out) > 0)
				return;
		} else if (json_is_number(v)) {
			/* a double past int64_t has no defined conversion;
			 * no year fits it anyway */
			double sec = json_number_value(v);
			if (sec > -9.2e18 && sec < 9.2e18)
				isotime_from_epoch((int64_t)sec, out);
			return;
		}
	}
}

/* Adds one record per line of S (at most TH_MAX_RECORD_LINES; the rest
 * stays in the last one). */
static void add_lines(struct th_prefixer *p, const struct framed *f,
		      struct th_span s, bool first_starts)
{
	bool first = first_starts;
	size_t count = 0;
	for (;;) {
		const char *nl = memchr(s.p, '\n', s.n);
		if (nl == NULL || ++count == TH_MAX_RECORD_LINES) {
			add_record(p, f, s, first, true);
			return;
		}
		add_record(p, f, (struct th_span){s.p, (size_t)(nl - s.p)},
			   first, true);
		first = false;
		s.n -= (size_t)(nl - s.p) + 1;
		s.p = nl + 1;
	}
}

/* loguru's record as its sink serializes it (serialize=True): {"text":
 * "the lines it would print\n", "record": {..., "time": {"repr": "2026-
 * 12-06 11:09:03.467720+00:00", "timestamp": ...}}}. Its text is read as
 * loguru's own output (README "Where an event starts and ends"), every
 * line a record, the first one a record start; its time is the
 * record's, with its zone. Returns false when O is no such record. */
static bool loguru_record(struct th_prefixer *p, struct framed *f, json_t *o)
{
	json_t *text = json_object_get(o, "text");
	json_t *record = json_object_get(o, "record");
	if (!json_is_string(text) || !json_is_object(record))
		return false;
	json_t *time = json_object_get(record, "time");
	json_t *repr = json_object_get(time, "repr");
	if (!isotime_known(&f->time) && json_is_string(repr))
		isotime_read_iso((struct th_span){json_string_value(repr),
						  json_string_length(repr)},
				 &f->time);
	size_t n = json_string_length(text);
	const char *t = json_string_value(text);
	if (n > 0 && t[n - 1] == '\n') /* the line's own end */
		n--;
	char *copy = arena_put(p, t, n);
	if (copy == NULL)
		return false;
	add_lines(p, f, (struct th_span){copy, n}, true);
	return true;
}

/* The text of the traceback STACKS gives as data (jsontb.h), put in the
 * arena: NULL when it is no such list or does not fit. */
static char *json_traceback(struct th_prefixer *p, const json_t *stacks,
			    size_t *len)
{
	char *at = p->arena + p->used;
	*len = jsontb_format(stacks, at, ARENA_SIZE - p->used);
	if (*len == 0)
		return NULL;
	p->used += *len;
	return at;
}

/* A JSON log record (structlog, python-json-logger, loguru): its message
 * and its exception text become records, the first one a record start.
 * Returns false when TEXT is not such a record. */
static bool json_record(struct th_prefixer *p, struct framed *f,
			struct th_span text)
{
	json_t *o = json_loadb(text.p, text.n, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return false;
	}
	if (loguru_record(p, f, o)) {
		json_decref(o);
		return true;
	}
	size_t mlen = 0, elen = 0;
	const char *msg = first_string(o, message_keys, &mlen);
	const char *exc = first_string(o, error_keys, &elen);
	if (!isotime_known(&f->time))
		json_time(o, &f->time);
	char *m = msg ? arena_put(p, msg, mlen) : NULL;
	char *e = exc ? arena_put(p, exc, elen) : NULL;
	if (exc == NULL) /* structlog's dict_tracebacks: data, not text */
		e = json_traceback(p, json_object_get(o, "exception"), &elen);
	json_decref(o);
	if (m == NULL && e == NULL)
		return false;
	if (m != NULL)
		add_lines(p, f, (struct th_span){m, mlen}, true);
	if (e != NULL)
		add_lines(p, f, (struct th_span){e, elen}, m == NULL);
	return true;
}

/* Whether KEY is one of NAMES (NULL-ended), as *RANK its index. */
static bool key_named(const char *const *names, struct th_span key, int *rank)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == key.n &&
		    memcmp(names[i], key.p, key.n) == 0) {
			*rank = i;
			return true;
		}
	}
	return false;
}

/* The pairs of a key=value record that kv_record reads, the best of each
 * list of keys (rank INT_MAX: none). */
struct kv_fields {
	struct kvline_pair message, error, time;
	int message_rank, error_rank, time_rank;
	struct kvline_pair last; /* the last pair read (any: one was) */
	bool any;
};

/* Keeps PAIR in *KEPT when its key is one of NAMES and ranks before the
 * one kept (*KEPT_RANK). Returns whether its key is one of NAMES. */
static bool kv_keep(const char *const *names, const struct kvline_pair *pair,
		    struct kvline_pair *kept, int *kept_rank)
{
	int rank;
	if (!key_named(names, pair->key, &rank))
		return false;
	if (rank < *kept_rank) {
		*kept = *pair;
		*kept_rank = rank;
	}
	return true;
}

/* The message, exception and time pairs of the key=value record TEXT. */
static void kv_fields_read(struct th_span text, struct kv_fields *out)
{
	out->message_rank = out->error_rank = out->time_rank = INT_MAX;
	out->any = false;
	struct kvline_pair pair;
	for (size_t at = 0; kvline_next(text, &at, &pair);) {
		out->last = pair;
		out->any = true;
		if (!kv_keep(message_keys, &pair, &out->message,
			     &out->message_rank) &&
		    !kv_keep(error_keys, &pair, &out->error, &out->error_rank))
			kv_keep(time_keys, &pair, &out->time, &out->time_rank);
	}
}

/* PAIR's value decoded into the arena, its length in *LEN; NULL, nothing
 * taken, when it does not fit. */
static char *kv_put(struct th_prefixer *p, const struct kvline_pair *pair,
		    size_t *len)
{
	if (pair->value.n > ARENA_SIZE - p->used)
		return NULL;
	char *at = p->arena + p->used;
	*len = kvline_decode(pair, at);
	p->used += *len;
	return at;
}

/* Seconds since the epoch written as digits, maybe with a fraction
 * (structlog's TimeStamper without a format): false for anything else. */
static bool epoch_seconds(struct th_span s, int64_t *sec)
{
	size_t i = 0;
	int64_t v = 0;
	for (; i < s.n && th_is_digit(s.p[i]) && i < 15; i++)
		v = v * 10 + (s.p[i] - '0');
	if (i == 0)
		return false;
	if (i < s.n && s.p[i] == '.')
		for (i++; i < s.n && th_is_digit(s.p[i]); i++)
			;
	*sec = v;
	return i == s.n;
}

/* The time of a key=value record's time PAIR into *OUT: an ISO time, or
 * seconds since the epoch; *OUT stays as it is for anything else. */
static void kv_time(const struct kvline_pair *pair, struct th_time *out)
{
	char buf[64];
	if (pair->value.n > sizeof buf)
		return;
	struct th_span s = {buf, kvline_decode(pair, buf)};
	int64_t sec;
	if (isotime_read_iso(s, out) == 0 && epoch_seconds(s, &sec))
		isotime_from_epoch(sec, out);
}

/* Whether K's last pair is its message or its exception, left open in
 * double quotes at the line's end (kvline_open_end). */
static bool kv_left_open(const struct kv_fields *k)
{
	const char *v = k->last.value.p;
	return k->any && !k->last.closed && k->last.quote == '"' &&
	       ((k->message_rank < INT_MAX && k->message.value.p == v) ||
		(k->error_rank < INT_MAX && k->error.value.p == v));
}

/* Whether the decoded value at V (N bytes; NULL: none) holds a line. */
static bool holds_line_end(const char *v, size_t n)
{
	return v != NULL && memchr(v, '\n', n) != NULL;
}

/* Opens P->kv for the lines after F's: a value was left open. */
static void kv_open(struct th_prefixer *p, const struct framed *f)
{
	p->kv.open = true;
	p->kv.source = f->source;
	p->kv.lines = 0;
	p->kv.time = f->time;
	p->whole_way = true;
}

static void kv_close(struct th_prefixer *p)
{
	p->kv.open = false;
	whole_way_update(p);
}

/* The records of K's message and then exception, each decoded, one a
 * line, the first of all a record start when START; a value the line
 * leaves open opens P->kv. Unless ALWAYS, false, nothing taken, when
 * neither holds a line end and none is left open: the line is then its
 * one record. */
static bool kv_records(struct th_prefixer *p, struct framed *f,
		       const struct kv_fields *k, bool start, bool always)
{
	bool opens = kv_left_open(k);
	size_t used = p->used, mlen = 0, elen = 0;
	char *m =
	    k->message_rank < INT_MAX ? kv_put(p, &k->message, &mlen) : NULL;
	char *e = k->error_rank < INT_MAX ? kv_put(p, &k->error, &elen) : NULL;
	if (!always && !opens && !holds_line_end(m, mlen) &&
	    !holds_line_end(e, elen)) {
		p->used = used;
		return false;
	}
	if (k->time_rank < INT_MAX && !isotime_known(&f->time))
		kv_time(&k->time, &f->time);
	if (m != NULL)
		add_lines(p, f, (struct th_span){m, mlen}, start);
	if (e != NULL)
		add_lines(p, f, (struct th_span){e, elen}, start && m == NULL);
	if (opens)
		kv_open(p, f);
	return true;
}

/* A key=value log record (structlog's KeyValueRenderer or
 * LogfmtRenderer, kvline.h) whose message or exception holds escaped
 * line ends, or is left open at the line's end (kv_continue): the two
 * are decoded and become records as json_record makes them, the first
 * one a record start with the record's time. False, nothing taken, for
 * any other: a line with neither a backslash nor a '"' holds neither
 * (two memchr settle most), and a record whose message and exception
 * are one line each is the line's one record, as it was. */
__attribute__((noinline)) static bool
kv_record(struct th_prefixer *p, struct framed *f, struct th_span text)
{
	if (memchr(text.p, '\\', text.n) == NULL &&
	    memchr(text.p, '"', text.n) == NULL)
		return false;
	struct kv_fields k;
	kv_fields_read(text, &k);
	return kv_records(p, f, &k, true, false);
}

/* M, a line of F after one that left a key=value record's value open
 * (P->kv): its records. The value's piece in it, its quotes decoded,
 * is one record of the record's writer and time (an empty piece before
 * the closing quote is the value's last line end, no line of it); past
 * the closing quote, its pairs are read as kv_record reads a line's, a
 * time among them the record's. A value goes on for at most
 * TH_MAX_RECORD_LINES lines: a quote that was never closed does not
 * take the rest of the log. Not inlined, as kv_record is not, so that
 * split_message, which every framed line's message goes through, stays
 * short (docs/performance.md, "Key=value records"). */
__attribute__((noinline)) static void
kv_continue(struct th_prefixer *p, struct framed *f, struct th_span m)
{
	size_t end = kvline_open_end(m);
	bool closes = end < m.n || ++p->kv.lines >= TH_MAX_RECORD_LINES;
	struct kv_fields k = {.any = false};
	if (end < m.n)
		kv_fields_read((struct th_span){m.p + end + 1, m.n - end - 1},
			       &k);
	if (!isotime_known(&p->kv.time) && k.any && k.time_rank < INT_MAX)
		kv_time(&k.time, &p->kv.time);
	if (!isotime_known(&f->time))
		f->time = p->kv.time;
	if (end > 0 || !closes) {
		size_t n = 0;
		char *piece =
		    m.n <= ARENA_SIZE - p->used ? p->arena + p->used : NULL;
		if (piece != NULL) {
			n = kvline_decode_quotes((struct th_span){m.p, end},
						 piece);
			p->used += n;
		}
		add_record(
		    p, f,
		    (struct th_span){piece ? piece : m.p, piece ? n : end},
		    false, true);
	}
	if (!closes)
		return;
	kv_close(p);
	if (k.any)
		kv_records(p, f, &k, false, true);
}

#if defined(__SSE2__)
/* The bytes of V that end a run json_copy_plain copies, as a mask. */
static inline unsigned json_stops(__m128i v)
{
	__m128i stop =
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
				      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			 _mm_cmplt_epi8(v, _mm_set1_epi8(' ')));
	return (unsigned)_mm_movemask_epi8(stop);
}
#endif

/* Whether C is a byte json_copy_plain copies. */
static inline bool json_plain_byte(unsigned char c)
{
	return c != '"' && c != '\\' && c >= 0x20 && c < 0x80;
}

/* Copies the bytes at P (before END) that a JSON string holds as they
 * are, printable ASCII but '"' and '\', to OUT, which has room for END -
 * P bytes; returns how many. Sixteen bytes a step where SSE2 is: a byte
 * below 0x20 or past 0x7f compares less than ' ' as a signed char. Byte
 * by byte, Docker's text took about 620 instructions a line (callgrind,
 * Docker sample). A step stores all its 16 bytes, which fit in OUT. */
static size_t json_copy_plain(const char *p, const char *end, char *out)
{
	size_t i = 0, n = (size_t)(end - p);
#if defined(__SSE2__)
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const void *)(p + i));
		_mm_storeu_si128((void *)(out + i), v);
		unsigned mask = json_stops(v);
		if (mask != 0)
			return i + (unsigned)__builtin_ctz(mask);
	}
#endif
	for (; i < n; i++) {
		if (!json_plain_byte((unsigned char)p[i]))
			break;
		out[i] = p[i];
	}
	return i;
}

/* How many bytes at P (before END) json_copy_plain would copy, read in
 * place. */
static size_t json_plain_run(const char *p, const char *end)
{
	size_t i = 0, n = (size_t)(end - p);
#if defined(__SSE2__)
	for (; i + 16 <= n; i += 16) {
		unsigned mask =
		    json_stops(_mm_loadu_si128((const void *)(p + i)));
		if (mask != 0)
			return i + (unsigned)__builtin_ctz(mask);
	}
#endif
	while (i < n && json_plain_byte((unsigned char)p[i]))
		i++;
	return i;
}

/* The byte the escape "\C" stands for; -1 for 'u' (json_ascii_string
 * reads that one) and for a C that JSON has no escape of. */
static int json_short_escape(char c)
{
	switch (c) {
	case '"': return '"';
	case '\\': return '\\';
	case '/': return '/';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return -1;
	}
}

/* "\uXXXX" at P (P[0] the 'u', before END) in UTF-8 into OUT; returns
 * the bytes written, 0 for a bad or cut escape or a surrogate. */
static size_t json_u_escape(const char *p, const char *end, char *out)
{
	long u = end - p > 4 ? text_hex_value(p + 1, 4) : -1;
	if (u < 0 || (u >= 0xd800 && u <= 0xdfff))
		return 0;
	return text_utf8_put(u, out);
}

/* Decodes the body of a JSON string that starts at *AT (after its opening
 * quote) and ends before END into OUT, which has room for END - *AT bytes
 * (decoding never lengthens a string); moves *AT past the closing quote.
 * Returns the bytes written, or SIZE_MAX for anything but printable ASCII
 * and the escapes \" \\ \/ \b \f \n \r \t \uXXXX (no surrogates):
 * non-ASCII text and invalid JSON are left to jansson, which checks them
 * as it always has. The text between escapes is copied in bulk. *ESC is
 * set when a \u001b put an escape byte (0x1b) in OUT: no other way of
 * writing one is accepted. */
static size_t json_ascii_string(const char **at, const char *end, char *out,
				bool *esc)
{
	const char *p = *at;
	size_t n = 0;
	for (;;) {
		size_t run = json_copy_plain(p, end, out + n);
		p += run;
		n += run;
		if (p == end)
			return SIZE_MAX; /* no closing quote */
		char c = *p++;
		if (c == '"') {
			*at = p;
			return n;
		}
		if (c != '\\' || p == end)
			return SIZE_MAX; /* a control byte, not ASCII, cut */
		int e = json_short_escape(*p);
		if (e >= 0) {
			out[n++] = (char)e;
			p++;
			continue;
		}
		size_t u = *p == 'u' ? json_u_escape(p, end, out + n) : 0;
		if (u == 0)
			return SIZE_MAX;
		*esc |= out[n] == '\x1b';
		n += u;
		p += 5;
	}
}

/* Whether LINE at *AT continues with the N bytes of S; moves past them. */
static bool skip_exactly(const char **at, const char *end, const char *s,
			 size_t n)
{
	if ((size_t)(end - *at) < n || memcmp(*at, s, n) != 0)
		return false;
	*at += n;
	return true;
}

/* A short JSON string at *AT (after its opening quote) decoded into OUT
 * of SIZE bytes, as json_ascii_string; SIZE_MAX when it is longer. */
static size_t json_short_string(const char **at, const char *end, char *out,
				size_t size)
{
	const char *stop = (size_t)(end - *at) < size ? end : *at + size;
	bool esc = false;
	return json_ascii_string(at, stop, out, &esc);
}

/* The short JSON string at *AT (after its opening quote), as
 * json_short_string reads it with BUF of SIZE bytes, into *OUT: in
 * place, when it holds no escape (Docker's stream and time), else
 * decoded into BUF. False when json_short_string gives SIZE_MAX. In
 * place it took about 20 instructions, not 70, and the stream's name
 * needs no copy into the arena (callgrind, Docker sample). */
static bool json_short_span(const char **at, const char *end, char *buf,
			    size_t size, struct th_span *out)
{
	const char *stop = (size_t)(end - *at) < size ? end : *at + size;
	size_t run = json_plain_run(*at, stop);
	if (run < (size_t)(stop - *at) && (*at)[run] == '"') {
		*out = (struct th_span){*at, run};
		*at += run + 1;
		return true;
	}
	size_t n = json_short_string(at, end, buf, size);
	*out = (struct th_span){buf, n};
	return n != SIZE_MAX;
}

/* docker_line for the shape Docker writes, {"log":"...","stream":"...",
 * "time":"..."} in that order with ASCII text, decoded by hand: jansson
 * builds a whole document for it and took 20,000 instructions a line.
 * Returns false, having changed nothing, for anything else. */
static bool docker_line_ascii(struct th_prefixer *p, struct th_span line,
			      struct framed *f, bool *partial)
{
	static const char head[] = "{\"log\":\"", stream[] = ",\"stream\":\"",
			  time[] = ",\"time\":\"";
	const char *at = line.p, *end = line.p + line.n;
	if (!skip_exactly(&at, end, head, sizeof head - 1) ||
	    p->used + (size_t)(end - at) > ARENA_SIZE)
		return false;
	char *out = p->arena + p->used;
	bool esc = false;
	size_t n = json_ascii_string(&at, end, out, &esc);
	if (n == SIZE_MAX || !skip_exactly(&at, end, stream, sizeof stream - 1))
		return false;
	char name_buf[64], when_buf[64];
	struct th_span name, when;
	if (!json_short_span(&at, end, name_buf, sizeof name_buf, &name) ||
	    !skip_exactly(&at, end, time, sizeof time - 1) ||
	    !json_short_span(&at, end, when_buf, sizeof when_buf, &when) ||
	    end - at != 1 || *at != '}')
		return false;
	*partial = n == 0 || out[n - 1] != '\n';
	if (!*partial)
		n--;
	p->used += n;
	f->message = (struct th_span){out, n};
	if (!esc) /* clean need not look for escape bytes in it */
		p->line = f->message;
	/* a name in the line lives as long as it, one in NAME_BUF does not */
	set_source(p, f, name, name.p == name_buf);
	name_runtime_writer(p, f);
	isotime_read_iso_memo(when, &p->frame_memo, &f->time);
	return true;
}

/* Docker json-file: {"log":"text\n","stream":"stderr","time":"..."}.
 * Sets F's message (decoded into the arena), source and time; *PARTIAL
 * when the text has no final newline (Docker split a long line). */
static bool docker_line(struct th_prefixer *p, struct th_span line,
			struct framed *f, bool *partial)
{
	if (docker_line_ascii(p, line, f, partial))
		return true;
	json_t *o = json_loadb(line.p, line.n, JSON_ALLOW_NUL, NULL);
	json_t *log = json_object_get(o, "log");
	if (!json_is_string(log)) {
		json_decref(o);
		return false;
	}
	size_t n = json_string_length(log);
	const char *s = json_string_value(log);
	*partial = n == 0 || s[n - 1] != '\n';
	if (!*partial)
		n--;
	json_t *stream = json_object_get(o, "stream");
	if (json_is_string(stream))
		set_source(p, f,
			   (struct th_span){json_string_value(stream),
					    json_string_length(stream)},
			   true);
	name_runtime_writer(p, f);
	json_t *t = json_object_get(o, "time");
	if (json_is_string(t))
		isotime_read_iso((struct th_span){json_string_value(t),
						  json_string_length(t)},
				 &f->time);
	char *at = arena_put(p, s, n);
	json_decref(o);
	f->message = (struct th_span){at ? at : "", at ? n : 0};
	return true;
}

/* A journal record's MESSAGE into *OUT (in the arena): a string, or the
 * array of byte values journalctl writes for text that is not printable
 * UTF-8 (an ANSI color, a byte that is not UTF-8). */
static bool journal_message(struct th_prefixer *p, json_t *msg,
			    struct th_span *out)
{
	if (json_is_string(msg)) {
		size_t n = json_string_length(msg);
		char *at = arena_put(p, json_string_value(msg), n);
		*out = (struct th_span){at ? at : "", at ? n : 0};
		return true;
	}
	size_t n = json_array_size(msg);
	if (!json_is_array(msg) || p->used + n > ARENA_SIZE)
		return false;
	char *at = p->arena + p->used;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(msg, i);
		json_int_t b = json_is_integer(v) ? json_integer_value(v) : -1;
		if (b < 0 || b > 255)
			return false;
		at[i] = (char)b;
	}
	p->used += n;
	*out = (struct th_span){at, n};
	return true;
}

/* The string value of KEY in O, or an empty span. */
static struct th_span json_span(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return (struct th_span){"", 0};
	return (struct th_span){json_string_value(v), json_string_length(v)};
}

/* Appends S, cut to TH_MAX_FIELD bytes, at TO[*LEN]. */
static void name_add(char *to, size_t *len, struct th_span s)
{
	size_t n = s.n < TH_MAX_FIELD ? s.n : TH_MAX_FIELD;
	memcpy(to + *len, s.p, n);
	*len += n;
}

/* The writer of a journal record into F, named as syslog names it:
 * "host ident[pid]" (see frame_syslog), so one program reads the same
 * whichever way journalctl printed it; a part the record lacks is left
 * out with its punctuation ("host ident", as syslog writes a tag without
 * a pid). None when the record names none of them. */
static void journal_source(struct th_prefixer *p, json_t *o, struct framed *f)
{
	struct th_span host = json_span(o, "_HOSTNAME");
	struct th_span ident = json_span(o, "SYSLOG_IDENTIFIER");
	struct th_span pid = json_span(o, "_PID");
	char name[3 * TH_MAX_FIELD + 3];
	size_t len = 0;
	name_add(name, &len, host);
	if (host.n > 0 && ident.n > 0)
		name_add(name, &len, (struct th_span){" ", 1});
	name_add(name, &len, ident);
	if (pid.n > 0) {
		name_add(name, &len, (struct th_span){"[", 1});
		name_add(name, &len, pid);
		name_add(name, &len, (struct th_span){"]", 1});
	}
	set_source(p, f, (struct th_span){name, len}, true);
}

/* __REALTIME_TIMESTAMP: microseconds since the epoch, as a string of
 * digits (journalctl) or a number. */
static void journal_time(json_t *o, struct th_time *out)
{
	json_t *v = json_object_get(o, "__REALTIME_TIMESTAMP");
	int64_t usec = 0;
	if (json_is_integer(v)) {
		usec = json_integer_value(v);
	} else {
		struct th_span s = json_span(o, "__REALTIME_TIMESTAMP");
		if (s.n == 0 || s.n > 18) /* 18 digits fit int64_t */
			return;
		for (size_t i = 0; i < s.n; i++) {
			if (!th_is_digit(s.p[i]))
				return;
			usec = usec * 10 + (s.p[i] - '0');
		}
	}
	isotime_from_epoch_usec(usec, out);
}

/* journalctl -o json: one record per line, its keys in any order
 * ({"__REALTIME_TIMESTAMP":"1732442401000000","_HOSTNAME":"web-1",
 * "SYSLOG_IDENTIFIER":"worker","_PID":"812","MESSAGE":"text",...}).
 * Sets F's message (one line of the program's output, or several when a
 * program sent a multi-line MESSAGE), source and time. False for any
 * other line: the timestamp key is looked for before jansson runs. */
static bool journal_line(struct th_prefixer *p, struct th_span line,
			 struct framed *f)
{
	static const char key[] = "\"__REALTIME_TIMESTAMP\"";
	if (memmem(line.p, line.n, key, sizeof key - 1) == NULL)
		return false;
	json_t *o = json_loadb(line.p, line.n, JSON_ALLOW_NUL, NULL);
	struct th_span m;
	if (!json_is_object(o) ||
	    !journal_message(p, json_object_get(o, "MESSAGE"), &m)) {
		json_decref(o);
		return false;
	}
	f->message = m;
	f->lines = true;
	journal_source(p, o, f);
	journal_time(o, &f->time);
	json_decref(o);
	return true;
}

/* CRI "P" and Docker lines without a newline are pieces of one line:
 * keeps a piece for later (returns false), or puts the kept pieces in
 * front of the last one (returns true). */
static bool join_partial(struct th_prefixer *p, struct framed *f, bool partial)
{
	if (!partial && p->pending == 0)
		return true; /* a whole line, and no pieces wait: most lines */
	struct partial *q = partial_for(p, f->source);
	if (q == NULL)
		return true; /* too many writers mid-line: take it as is */
	bool plain = known_plain(p, f->message);
	if (partial) {
		if (!q->used) {
			if (q->buf == NULL)
				q->buf = xmalloc(TH_READ_BUFFER);
			p->pending++;
			*q = (struct partial){.used = true,
					      .plain = true,
					      .source = f->source,
					      .buf = q->buf,
					      .number = f->number,
					      .offset = f->offset};
			q->time = f->time;
			name_keep(&q->name, f->source_name);
		}
		q->plain &= plain;
		size_t room = TH_READ_BUFFER - q->n;
		size_t n = f->message.n < room ? f->message.n : room;
		memcpy(q->buf + q->n, f->message.p, n);
		q->n += n;
		q->end_offset = f->end_offset;
		return false;
	}
	if (!q->used)
		return true;
	char *at = arena_put(p, q->buf, q->n);
	if (at != NULL && arena_put(p, f->message.p, f->message.n) != NULL) {
		f->message = (struct th_span){at, q->n + f->message.n};
		/* pieces all free of escapes: clean need not search the
		 * joined line, which may be as long as a read buffer, for
		 * one (its records took about 350 instructions each for
		 * that, callgrind, CRI sample) */
		if (q->plain && plain)
			p->line = f->message;
	}
	f->number = q->number;
	f->offset = q->offset;
	f->time = q->time;
	q->used = false;
	p->pending--;
	return true;
}

/* `kubectl logs --prefix --timestamps` puts an RFC 3339 time after the
 * pod: "[pod/x/app] 2024-05-01T10:00:01.5Z text". Only a time with a 'T'
 * counts, so a logging asctime ("2024-05-01 10:00:01,123") stays in the
 * message, where it marks a record start. */
static void stacked_time(struct th_frame *fr)
{
	struct th_span m = fr->message;
	struct th_time t;
	size_t n = m.n > 10 && m.p[10] == 'T' ? isotime_read_iso(m, &t) : 0;
	if (n == 0 || n >= m.n || m.p[n] != ' ')
		return;
	fr->time = (struct th_span){m.p, n};
	fr->time_kind = TH_TIME_ISO;
	fr->message = (struct th_span){m.p + n + 1, m.n - n - 1};
}

/* A prefix of the user's own (rule files' `prefixes:`) into F. */
static bool user_prefix(struct th_prefixer *p, struct th_span line,
			struct framed *f)
{
	struct th_prefix_match pm;
	if (!p->user_prefixes || !rules_match_prefix(p->matcher, line, &pm))
		return false;
	f->message = pm.message;
	set_source(p, f,
		   pm.source.p != NULL ? pm.source : (struct th_span){"", 0},
		   false);
	if (pm.time.p != NULL && pm.time_format != NULL)
		isotime_read_format(pm.time, pm.time_format, &f->time);
	else if (pm.time.p != NULL)
		isotime_read_iso(pm.time, &f->time);
	return true;
}

/* The writer of a line without framing (see unframe) into *ID and
 * *NAME, which stays valid until the next line. */
static void inherit_source(struct th_prefixer *p, uint32_t *id,
			   struct th_span *name)
{
	if (p->idle) {
		p->last_source = 0;
		p->last_name.n = 0;
	}
	*id = p->last_source;
	*name = (struct th_span){p->last_name.v, p->last_name.n};
}

/* What frame_any found, FR, into F: message, source and time. Returns
 * whether it is a piece of a split line. */
static bool take_frame(struct th_prefixer *p, struct th_frame *fr,
		       struct framed *f)
{
	if (fr->time_kind == TH_TIME_NONE)
		stacked_time(fr);
	f->message = fr->message;
	f->syslog = fr->syslog;
	set_source(p, f, fr->source, false);
	if (fr->runtime)
		name_runtime_writer(p, f);
	if (fr->time_kind == TH_TIME_ISO)
		isotime_read_iso_memo(fr->time, &p->frame_memo, &f->time);
	else if (fr->time_kind == TH_TIME_SYSLOG)
		isotime_read_syslog(fr->time, p->now, p->now_year, &f->time);
	return fr->partial;
}

/* F's framing named its writer: the writer of the lines without framing
 * after it. Returns false when F is a PARTIAL piece kept for later. */
static bool framed_source(struct th_prefixer *p, struct framed *f, bool partial)
{
	if (f->source != p->last_source)
		name_keep(&p->last_name, f->source_name);
	p->last_source = f->source;
	return join_partial(p, f, partial);
}

/* Removes the framing of LINE into F. Returns false when LINE is a
 * partial piece that was kept for later. */
static bool unframe(struct th_prefixer *p, struct th_span line,
		    struct framed *f)
{
	struct th_frame fr;
	bool partial = false;
	if (user_prefix(p, line, f)) {
		/* message, source and time set */
	} else if (line.n > 8 && memcmp(line.p, "{\"log\":", 7) == 0 &&
		   docker_line(p, line, f, &partial)) {
		/* message, source and time set */
	} else if (line.n > 0 && line.p[0] == '{' && journal_line(p, line, f)) {
		/* message, source and time set */
	} else if (frame_any(line, &fr)) {
		partial = take_frame(p, &fr, f);
	} else {
		/* No framing: the line belongs to the writer of the line
		 * before it while an event is open; otherwise to no writer.
		 * (Lines read while no event is open may be skipped by the
		 * fast path or fall in another -j range, so their writers
		 * must not decide anything.) */
		f->message = line;
		inherit_source(p, &f->source, &f->source_name);
		return true;
	}
	return framed_source(p, f, partial);
}

static const uint8_t bom[] = {0xef, 0xbb, 0xbf};

/* The first bytes of a message that may open a structured record (a
 * JSON one's '{', a key's first byte, kvline.h) or a BOM: any other, as
 * most messages' (a digit, a capital, a blank), is the message's one
 * record with one lookup. */
static const bool may_open_structured[256] = {
    ['{'] = true, [0xef] = true, ['_'] = true, ['a'] = true, ['b'] = true,
    ['c'] = true, ['d'] = true,	 ['e'] = true, ['f'] = true, ['g'] = true,
    ['h'] = true, ['i'] = true,	 ['j'] = true, ['k'] = true, ['l'] = true,
    ['m'] = true, ['n'] = true,	 ['o'] = true, ['p'] = true, ['q'] = true,
    ['r'] = true, ['s'] = true,	 ['t'] = true, ['u'] = true, ['v'] = true,
    ['w'] = true, ['x'] = true,	 ['y'] = true, ['z'] = true};

/* split_message for M, F's message, whose first byte
 * may_open_structured: past a BOM, a JSON or key=value log record's
 * lines, or the message itself. Apart, so that the other messages' way
 * stays short: in split_message, as every framed line's message takes
 * it, these tests cost a CRI log 1.3 % more instructions (callgrind). */
__attribute__((noinline)) static void
split_structured(struct th_prefixer *p, struct framed *f, struct th_span m)
{
	if (m.n >= 3 && memcmp(m.p, bom, 3) == 0) {
		m.p += 3;
		m.n -= 3;
	}
	if (m.n > 1 && m.p[0] == '{' && json_record(p, f, m))
		return;
	if (kvline_starts(m) && kv_record(p, f, m))
		return;
	add_record(p, f, m, false, false);
}

/* The N bytes written at the arena's free end, a record of F's line:
 * apart, so that add_record is inlined once for a panel's records. */
__attribute__((noinline)) static void
rich_record(struct th_prefixer *p, const struct framed *f, size_t n)
{
	add_record(p, f, (struct th_span){p->arena + p->used, n}, false, false);
	p->used += n;
}

/* The frame line of the heading P->rich has read, a record of F's
 * line, when it is one (richbox_frame); the heading is done with. */
static void rich_heading_done(struct th_prefixer *p, const struct framed *f)
{
	if (p->rich.heading_n == 0)
		return;
	struct th_span heading = {p->rich.heading, p->rich.heading_n};
	size_t n =
	    richbox_frame(heading, p->arena + p->used, ARENA_SIZE - p->used);
	p->rich.heading_n = 0;
	p->rich.framed = n > 0;
	if (n > 0)
		rich_record(p, f, n);
}

/* Closes P->rich's panel at F's line: a heading read so far is given
 * first. AT_BOTTOM: the line is a traceback's bottom border, and the
 * line after it may open a SyntaxError's panel. */
static void rich_close(struct th_prefixer *p, const struct framed *f,
		       bool at_bottom)
{
	rich_heading_done(p, f);
	p->rich.state = at_bottom && p->rich.state == RICH_TRACEBACK
			    ? RICH_AFTER
			    : RICH_NONE;
	whole_way_update(p);
}

/* CONTENT, a line of a SyntaxError's panel: the place, its pieces
 * joined, and then the line of code, each a record of F's line once
 * whole (richbox_syntax_place, richbox_syntax_code). Where rich found no file,
 * the panel names no place: its first line is the code. */
static void rich_syntax(struct th_prefixer *p, const struct framed *f,
			struct th_span content)
{
	char *out = p->arena + p->used;
	size_t room = ARENA_SIZE - p->used, n;
	if (p->rich.syntax_lines == 0 &&
	    (p->rich.heading_n > 0 || richbox_is_syntax_place(content))) {
		size_t blanks = th_spaces_from(content, 0);
		struct th_span piece = {content.p + blanks, content.n - blanks};
		if (!richbox_join(p->rich.heading, &p->rich.heading_n,
				  sizeof p->rich.heading, piece)) {
			p->rich.heading_n = 0; /* too long: no place */
			p->rich.syntax_lines = 1;
			return;
		}
		struct th_span place = {p->rich.heading, p->rich.heading_n};
		n = richbox_syntax_place(place, out, room);
		if (n > 0) {
			rich_record(p, f, n);
			p->rich.heading_n = 0;
			p->rich.syntax_lines = 1;
		}
		return;
	}
	if (p->rich.syntax_lines == 0)
		p->rich.syntax_lines = 1;
	if (p->rich.syntax_lines == 1 &&
	    (n = richbox_syntax_code(content, out, room)) > 0) {
		rich_record(p, f, n);
		p->rich.syntax_lines = 2;
	}
}

/* The line after a traceback's panel (RICH_AFTER), T: the top border of
 * a SyntaxError's panel opens it, and is no record; any other line is
 * read as any other (false). */
static bool rich_after(struct th_prefixer *p, struct th_span t)
{
	bool syntax = richbox_is_untitled_top(t, p->rich.indent);
	p->rich.state = syntax ? RICH_SYNTAX : RICH_NONE;
	p->rich.syntax_lines = 0;
	p->rich.heading_n = 0;
	whole_way_update(p);
	return syntax;
}

/* M, a line of F's writer while a panel of rich's is open (P->rich): its
 * records as Python's traceback would have the line (richbox.h). The
 * pieces of a frame's heading are joined, and it becomes its frame line
 * at the line after; a frame's failing line of code becomes the line
 * under that; the other lines of the panel, and its bottom border, none.
 * False, the panel closed, for a line that is none of the panel's: it is
 * then read as any other. */
__attribute__((noinline)) static bool
rich_continue(struct th_prefixer *p, struct framed *f, struct th_span m)
{
	struct th_span t = clean(p, m), content;
	if (p->rich.state == RICH_AFTER)
		return rich_after(p, t);
	switch (richbox_side(t, p->rich.indent, &content)) {
	case RICHBOX_OUTSIDE: rich_close(p, f, false); return false;
	case RICHBOX_BOTTOM: rich_close(p, f, true); return true;
	case RICHBOX_INSIDE: break;
	}
	if (p->rich.state == RICH_SYNTAX) {
		rich_syntax(p, f, content);
		return true;
	}
	if (richbox_is_heading(content)) {
		/* a heading too long to keep is no frame of ours */
		if (!richbox_join(p->rich.heading, &p->rich.heading_n,
				  sizeof p->rich.heading, content))
			p->rich.heading_n = 0;
		return true;
	}
	rich_heading_done(p, f);
	size_t n =
	    richbox_code(content, p->arena + p->used, ARENA_SIZE - p->used);
	if (n > 0 && p->rich.framed) {
		rich_record(p, f, n);
		p->rich.framed = false;
	}
	return true;
}

/* Whether M, F's message, continues what a line before left open: a
 * key=value record's value (kv_continue) or a panel of rich's
 * (rich_continue), which then took it. Asked only with whole_way set. */
__attribute__((noinline)) static bool
continues_open(struct th_prefixer *p, struct framed *f, struct th_span m)
{
	if (p->kv.open && f->source == p->kv.source) {
		kv_continue(p, f, m);
		return true;
	}
	return p->rich.state != RICH_NONE && f->source == p->rich.source &&
	       rich_continue(p, f, m);
}

/* The message of F becomes records: a JSON or key=value log record's
 * lines, a piece of a key=value value or a panel left open
 * (continues_open), or the message itself. */
static inline __attribute__((always_inline)) void
split_message(struct th_prefixer *p, struct framed *f)
{
	struct th_span m = f->message;
	if (p->whole_way && continues_open(p, f, m))
		return;
	if (m.n > 0 && may_open_structured[(unsigned char)m.p[0]])
		split_structured(p, f, m);
	else
		add_record(p, f, m, false, false);
}

/* The first "#012" of M, or NULL. Most messages hold no '#', which an
 * inline search rules out: through memmem, a syslog log took a quarter
 * more time, through memchr 4 % more (docs/performance.md, "Syslog"). */
static const char *octal_newline(struct th_span m)
{
	if (!frame_has_byte(m, '#'))
		return NULL;
	const char *p = m.p, *end = m.p + m.n;
	while ((p = memchr(p, '#', (size_t)(end - p))) != NULL) {
		if (end - p >= 4 && memcmp(p + 1, "012", 3) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* Where the first line of M, a message of F, ends, and in *SEP the
 * bytes of the line end: a "\n" of a journal record's message, the
 * "#012" rsyslog writes for one (README.md, "Log shapes"). NULL when M
 * is one line. */
static const char *message_line_end(const struct framed *f, struct th_span m,
				    size_t *sep)
{
	if (f->lines) {
		*sep = 1;
		return memchr(m.p, '\n', m.n);
	}
	if (f->syslog) {
		*sep = 4;
		return octal_newline(m);
	}
	return NULL;
}

/* split_message for each line of F's message when it may hold several
 * (message_line_end), else for the message. Inline where a CRI or syslog
 * line's message comes (parse_framed), a call for the other framings
 * (split_lines_apart): where the compiler chose, a CRI log took 2.5 %
 * more instructions or a Docker log 1 % more (callgrind, release
 * builds, docs/performance.md "Key=value records"). */
static inline __attribute__((always_inline)) void
split_lines(struct th_prefixer *p, struct framed *f)
{
	struct th_span m = f->message;
	const char *end;
	size_t sep;
	while ((end = message_line_end(f, m, &sep)) != NULL) {
		f->message = (struct th_span){m.p, (size_t)(end - m.p)};
		split_message(p, f);
		m.n -= (size_t)(end - m.p) + sep;
		m.p = end + sep;
	}
	f->message = m;
	split_message(p, f);
}

__attribute__((noinline)) static void split_lines_apart(struct th_prefixer *p,
							struct framed *f)
{
	split_lines(p, f);
}

/* True when LINE is empty or starts with a blank, as most lines of a
 * traceback do: no framing, JSON record, BOM or logging prefix starts so
 * (an empty line gets the record a line without framing gets), and
 * without user prefixes there is nothing to try on it. Not while a split
 * line's piece waits: the full path may join the line to it. */
static bool blank_or_empty(const struct th_prefixer *p, struct th_span line)
{
	return !p->whole_way && p->pending == 0 && p->message.col == 0 &&
	       (line.n == 0 || line.p[0] == ' ' || line.p[0] == '\t');
}

/* The one record of TEXT, LINE's own bytes (maybe past a BOM) and free
 * of escapes, when it has no framing: what unframe and split_message
 * make of it, its record start not yet marked. It is the line's first
 * record: written in place. */
static inline struct th_record *add_unframed(struct th_prefixer *p,
					     const struct th_line *line,
					     struct th_span text,
					     uint64_t end_offset)
{
	struct th_record *r = &p->recs[0]; /* cap_recs is never 0 */
	p->n_recs = 1;
	/* LINE's numbers first, in one move, before the text is trimmed:
	 * prefix_parse then keeps them in no register across its tests and
	 * saves and restores one register a line, not three (about 8
	 * instructions a plain line, callgrind, crash loop) */
	r->number = line->number;
	r->offset = line->offset;
	r->end_offset = end_offset;
	r->text = th_trim_end(text);
	inherit_source(p, &r->source, &r->source_name); /* see unframe */
	r->time = (struct th_time){0};
	r->record_start = false;
	r->structured = false;
	return r;
}

/* What add_unframed makes of LINE, a line one_plain_record took that
 * opens no logging prefix, in P->plain: only the fields a line changes
 * are written (about 8 instructions less a line on a crash loop, whose
 * plain lines are two thirds of those it parses; docs/performance.md,
 * night of 2026-12-06). */
static inline const struct th_record *plain_record(struct th_prefixer *p,
						   const struct th_line *line,
						   uint64_t end_offset)
{
	struct th_record *r = &p->plain;
	r->number = line->number;
	r->offset = line->offset;
	r->end_offset = end_offset;
	r->text = th_trim_end(line->text);
	inherit_source(p, &r->source, &r->source_name);
	return r;
}

/* add_unframed for TEXT, LINE's own bytes, escapes removed first (into
 * the arena) when LINE may hold some. */
static inline struct th_record *add_unframed_clean(struct th_prefixer *p,
						   const struct th_line *line,
						   struct th_span text,
						   uint64_t end_offset)
{
	if (!line->escape_free)
		text = strip_found_escapes(p, text);
	return add_unframed(p, line, text, end_offset);
}

/* True when TEXT (past a BOM) can be no more than frame_any's framings
 * around plain text: no user prefixes to try, no Docker or journal
 * record, no JSON log record, no second BOM (split_message's). */
static bool plain_start(const struct th_prefixer *p, struct th_span text)
{
	return !p->user_prefixes &&
	       (text.n == 0 ||
		(text.p[0] != '{' && (unsigned char)text.p[0] != bom[0]));
}

/* Remembers where the message F framed in LINE starts when a syslog
 * framing said so, for the lines that may continue it
 * (continues_message). */
static void note_message(struct th_prefixer *p, const struct th_line *line,
			 const struct framed *f)
{
	uintptr_t at = (uintptr_t)f->message.p, from = (uintptr_t)line->text.p;
	p->message.col = 0;
	if (!f->syslog || at < from || at > from + line->text.n)
		return;
	p->message.col = (size_t)(at - from);
	p->message.next = line->number + 1;
	p->message.time = f->time;
}

/* Whether LINE continues the message of the syslog-framed line right
 * before it, as journalctl's short forms print a message of several
 * lines: the line after it, or after one that continued it, blanks up
 * to the message's column (README.md, "Log shapes"). */
static bool continues_message(struct th_prefixer *p, const struct th_line *line)
{
	size_t col = p->message.col;
	if (line->number != p->message.next || line->text.n < col)
		return false;
	for (size_t i = 0; i < col; i++)
		if (line->text.p[i] != ' ')
			return false;
	p->message.next++;
	return true;
}

/* LINE, continues_message, as the records of its message past the
 * column: of the writer and with the time of the line that began it.
 * Returns how many, in P->recs. */
static size_t continuation_records(struct th_prefixer *p,
				   const struct th_line *line,
				   uint64_t end_offset)
{
	struct framed f = {.message = {line->text.p + p->message.col,
				       line->text.n - p->message.col},
			   .source = p->last_source,
			   .source_name = {p->last_name.v, p->last_name.n},
			   .time = p->message.time,
			   .number = line->number,
			   .offset = line->offset,
			   .end_offset = end_offset};
	p->n_recs = 0;
	p->line = line->escape_free ? line->text : (struct th_span){"", 0};
	add_record(p, &f, f.message, false, false);
	return p->n_recs;
}

/* What parse_any does with a line plain_start that frame_any found FR,
 * a framing, in. */
static void parse_framed(struct th_prefixer *p, const struct th_line *line,
			 struct th_frame *fr, uint64_t end_offset)
{
	struct framed f = {.number = line->number,
			   .offset = line->offset,
			   .end_offset = end_offset};
	bool partial = take_frame(p, fr, &f);
	note_message(p, line, &f);
	if (framed_source(p, &f, partial))
		split_lines(p, &f);
}

/* TEXT, LINE past a BOM, into records when it has no framing (a
 * key=value record may be several; split_message). */
static void parse_unframed(struct th_prefixer *p, const struct th_line *line,
			   struct th_span text, uint64_t end_offset)
{
	struct framed f = {.message = text,
			   .number = line->number,
			   .offset = line->offset,
			   .end_offset = end_offset};
	inherit_source(p, &f.source, &f.source_name); /* see unframe */
	split_message(p, &f);
}

/* TEXT, LINE past a BOM, framed or not, into records. */
static void parse_any(struct th_prefixer *p, const struct th_line *line,
		      struct th_span text, uint64_t end_offset)
{
	struct framed f = {.number = line->number,
			   .offset = line->offset,
			   .end_offset = end_offset};
	bool framed = unframe(p, text, &f);
	note_message(p, line, &f);
	if (framed)
		split_lines_apart(p, &f);
}

/* True when T, which starts with a digit, starts with the minute of the
 * last logging time read (iso_memo) as logging's asctime writes it
 * ("2024-05-01 10:00", a blank at [10]): most dated lines of a crash
 * loop do. Those 16 bytes hold what frame_dated_no_compose asks of a
 * line, as they were read as a date and a time: one compare of two
 * words, not the test of each byte (0.7 M of 172 M on a crash loop,
 * release build; docs/performance.md). */
static inline bool dated_as_last(const struct th_prefixer *p, struct th_span t)
{
	return p->iso_memo.head[10] == ' ' &&
	       isotime_memo_same_minute(&p->iso_memo, t);
}

/* True when LINE is one record and nothing more: no user prefixes, no
 * escape byte, and either blank_or_empty, or no framing, JSON record or
 * BOM (frame_none_at_once, dated_as_last or frame_dated_no_compose for a
 * digit first), no '[' first (tornado's "[E ...]") and no key=value
 * record (kvline_starts: a key and '=' first). Such a line, most
 * lines of a crash loop, is done by prefix_parse without the saved
 * registers and stack of parse_line, and without a call unless it starts
 * with a byte a logging prefix does (one_prefixed_record). */
static inline bool one_plain_record(const struct th_prefixer *p,
				    const struct th_line *line)
{
	struct th_span t = line->text;
	if (p->whole_way || !line->escape_free)
		return false;
	if (t.n == 0 || t.p[0] == ' ' || t.p[0] == '\t')
		return p->pending == 0 && p->message.col == 0;
	unsigned char c = (unsigned char)t.p[0];
	/* a digit first: only logging's asctime, no framing's time (CRI's
	 * 'T' at [10] leaves at once) */
	if (th_is_digit((char)c))
		return dated_as_last(p, t) || frame_dated_no_compose(t);
	return c != '[' && c != '{' && c != bom[0] && frame_none_at_once(t) &&
	       !kvline_starts(t);
}

/* mark_record_start for R, whose text starts with a byte opens_prefix
 * names, and 1 (its one record): in prefixed_line, apart, so that the
 * other lines save no registers for it. R has no time and is no record
 * start yet. A time first (no '[' before it, no level
 * name) is read straight into R's time, which a reader leaves alone
 * when it finds none; a capital with no capital after it ("During
 * handling", "ConnectionError: x") starts no level name, all of which
 * are capitals. Through read_logging_prefix, and a copy of the time, a
 * dated line took about 15 instructions more, and such a line about 10
 * (callgrind, crash loop). */
static inline size_t one_prefixed_record(struct th_prefixer *p,
					 struct th_record *r)
{
	struct th_span t = r->text;
	if (th_is_digit(t.p[0]))
		r->record_start =
		    isotime_read_iso_memo(t, &p->iso_memo, &r->time) > 0;
	else if (t.p[0] == '[' || (t.n > 1 && t.p[1] >= 'A' && t.p[1] <= 'Z') ||
		 (unsigned char)t.p[0] == RICHBOX_LEAD)
		read_logging_prefix(p, r);
	return 1;
}

/* add_unframed and one_prefixed_record for the line of TEXT, NUMBER and
 * OFFSET, which starts with a byte opens_prefix names; its record is
 * P->recs[0]. Apart, the line given by its fields: written inline, the
 * record's fields made prefix_parse too large for the compiler to take
 * into the pipeline's loop (docs/performance.md, night of 2026-12-06). */
__attribute__((noinline)) static size_t
prefixed_line(struct th_prefixer *p, struct th_span text, uint64_t number,
	      uint64_t offset, uint64_t end_offset)
{
	const struct th_line line = {
	    .text = text, .number = number, .offset = offset};
	return one_prefixed_record(p, add_unframed(p, &line, text, end_offset));
}

/* prefix_parse for a line that is not one_plain_record: the number of
 * its records, in P->recs. */
__attribute__((noinline)) static size_t parse_line(struct th_prefixer *p,
						   const struct th_line *line,
						   uint64_t end_offset)
{
	p->used = 0; /* the arena: not used by prefix_parse's own way */
	if (p->message.col != 0) {
		if (continues_message(p, line))
			return continuation_records(p, line, end_offset);
		p->message.col = 0;
	}
	if (blank_or_empty(p, line->text)) {
		add_unframed_clean(p, line, line->text, end_offset);
		return 1;
	}
	struct th_span text = line->text;
	if (text.n >= 3 && memcmp(text.p, bom, 3) == 0) {
		text.p += 3;
		text.n -= 3;
	}
	/* a line that is no Docker, journal or JSON record tries frame_any's
	 * framings once and, without one, as most lines, is its one record */
	struct th_frame fr;
	bool plain = plain_start(p, text);
	bool unframed =
	    plain && (frame_none_at_once(text) || !frame_any(text, &fr));
	if (unframed && !p->kv.open && p->rich.state == RICH_NONE &&
	    !kvline_starts(text)) {
		struct th_record *r =
		    add_unframed_clean(p, line, text, end_offset);
		mark_record_start(p, r);
		return 1;
	}
	p->n_recs = 0;
	p->line = line->escape_free ? line->text : (struct th_span){"", 0};
	if (unframed)
		parse_unframed(p, line, text, end_offset);
	else if (plain)
		parse_framed(p, line, &fr, end_offset);
	else
		parse_any(p, line, text, end_offset);
	return p->n_recs;
}

size_t prefix_parse(struct th_prefixer *p, const struct th_line *line,
		    uint64_t end_offset, bool idle,
		    const struct th_record **out)
{
	p->idle = idle;
	if (!one_plain_record(p, line)) {
		/* a copy: the pipeline cuts the lines of its window into
		 * registers, and LINE itself passed on made it store every
		 * line's fields for the few lines that come here
		 * (docs/performance.md, night of 2026-12-06) */
		struct th_line whole = *line;
		size_t n = parse_line(p, &whole, end_offset);
		*out = p->recs;
		return n;
	}
	/* mark_record_start: most lines start with no byte a prefix does
	 * (one that does is not blank: its text is not trimmed away) */
	struct th_span t = line->text;
	if (t.n > 0 && opens_prefix[(unsigned char)t.p[0]]) {
		size_t n =
		    prefixed_line(p, t, line->number, line->offset, end_offset);
		*out = p->recs;
		return n;
	}
	*out = plain_record(p, line, end_offset);
	return 1;
}

size_t prefix_finish(struct th_prefixer *p, const struct th_record **out)
{
	kv_close(p); /* the input ended inside a value */
	p->line = (struct th_span){"", 0};
	p->used = 0;
	p->n_recs = 0;
	for (size_t i = 0; i < TH_MAX_PARTIALS; i++) {
		struct partial *q = &p->partials[i];
		if (!q->used)
			continue;
		struct framed f = {.source = q->source,
				   .source_name = {q->name.v, q->name.n},
				   .number = q->number,
				   .offset = q->offset,
				   .end_offset = q->end_offset};
		f.time = q->time;
		char *at = arena_put(p, q->buf, q->n);
		f.message = (struct th_span){at ? at : "", at ? q->n : 0};
		q->used = false;
		p->pending--;
		split_message(p, &f);
	}
	*out = p->recs;
	return p->n_recs;
}

bool prefix_pending(const struct th_prefixer *p)
{
	return p->pending > 0 || p->kv.open || p->rich.state != RICH_NONE;
}

/* S without a "\r" at its end, as the window cuts a line. */
static struct th_span without_cr(struct th_span s)
{
	return (struct th_span){s.p, s.n > 0 && s.p[s.n - 1] == '\r' ? s.n - 1
								     : s.n};
}

/* The line at the start of TEXT, before its "\n" (and a "\r" there), as
 * the window cuts it (pipeline.c, window_line); false when TEXT holds no
 * "\n". *USED: its bytes with the "\n". */
static bool first_line(struct th_span text, struct th_span *line, size_t *used)
{
	const char *nl = memchr(text.p, '\n', text.n);
	if (nl == NULL)
		return false;
	size_t n = (size_t)(nl - text.p);
	*used = n + 1;
	*line = without_cr((struct th_span){text.p, n});
	return true;
}

/* LINE as unframe reads it when it is a piece of a CRI line: a runtime's
 * framing that frame_any finds (no user prefix, no JSON first). */
static bool cri_piece(const struct th_prefixer *p, struct th_span line,
		      struct th_frame *fr)
{
	return !p->user_prefixes && line.n > 0 && line.p[0] != '{' &&
	       frame_any(line, fr) && fr->runtime;
}

/* Whether two framings name the same stream. */
static bool same_stream(const struct th_frame *a, const struct th_frame *b)
{
	return a->source.n == b->source.n &&
	       th_same_bytes(a->source.p, b->source.p, a->source.n);
}

bool prefix_piece_continues(const struct th_prefixer *p, struct th_span before,
			    struct th_span line)
{
	struct th_frame a, b;
	return cri_piece(p, without_cr(before), &a) && a.partial &&
	       cri_piece(p, without_cr(line), &b) && same_stream(&a, &b);
}

size_t prefix_split_pieces(const struct th_prefixer *p, struct th_span text,
			   struct th_span *pieces, size_t max, size_t *len)
{
	struct th_frame fr, first = {0};
	struct th_span line;
	size_t n = 0, at = 0, used;
	if (p->whole_way || prefix_pending(p))
		return 0;
	while (n < max && at < text.n &&
	       first_line((struct th_span){text.p + at, text.n - at}, &line,
			  &used) &&
	       cri_piece(p, line, &fr)) {
		if (n == 0 ? !fr.partial : !same_stream(&fr, &first))
			return 0; /* not a piece, or another writer's line */
		if (n == 0)
			first = fr;
		pieces[n++] = fr.message;
		at += used;
		if (!fr.partial) {
			*len = at;
			return n;
		}
	}
	return 0;
}

bool prefix_open_across(const struct th_prefixer *p, bool *panel,
			uint32_t *panel_writer)
{
	*panel = p->rich.state != RICH_NONE;
	*panel_writer = p->rich.source;
	return p->pending > 0 || p->kv.open;
}

/* add_unframed, with an event open, is what prefix_parse does with such
 * a line; its escape check is the caller's. */
bool prefix_blank_lines_plain(const struct th_prefixer *p, uint32_t *source)
{
	*source = p->last_source;
	return !p->whole_way && p->pending == 0 && p->message.col == 0;
}

/* True when TEXT starts a log record: a time, or a level name, maybe
 * after a '['. */
static bool starts_record(struct th_span text)
{
	struct th_span t = text;
	if (t.n > 0 && t.p[0] == '[') {
		t.p++;
		t.n--;
	}
	struct th_time at;
	return isotime_read_iso(t, &at) > 0 || starts_with_level(text);
}

bool prefix_safe_boundary(const struct th_prefixer *p, struct th_span line)
{
	struct th_frame fr;
	if (p->user_prefixes || line.n == 0 || line.p[0] == '{' ||
	    frame_any(line, &fr))
		return false;
	return starts_record(line);
}

/* The end of the JSON string whose text starts at AT (its closing quote),
 * or NULL when END comes first. */
static const char *json_string_end(const char *at, const char *end)
{
	while (at < end && *at != '"')
		at += *at == '\\' ? 2 : 1;
	return at < end ? at : NULL;
}

/* Docker json-file's LINE, {"log":"...","stream":"NAME",...}: its text
 * as written (escapes and all) and its stream. False for another shape.
 * A record's time or level has no character JSON escapes, so the raw
 * text shows them as the decoded text would. */
static bool docker_raw(struct th_span line, struct th_span *text,
		       struct th_span *stream)
{
	static const char head[] = "{\"log\":\"", key[] = ",\"stream\":\"";
	const char *end = line.p + line.n;
	if (line.n < sizeof head || memcmp(line.p, head, sizeof head - 1) != 0)
		return false;
	const char *from = line.p + sizeof head - 1;
	const char *close = json_string_end(from, end);
	if (close == NULL || (size_t)(end - close) <= sizeof key ||
	    memcmp(close + 1, key, sizeof key - 1) != 0)
		return false;
	const char *name = close + sizeof key;
	const char *name_end = json_string_end(name, end);
	if (name_end == NULL)
		return false;
	*text = (struct th_span){from, (size_t)(close - from)};
	*stream = (struct th_span){name, (size_t)(name_end - name)};
	return true;
}

bool prefix_framed_boundary(const struct th_prefixer *p, struct th_span line,
			    uint32_t *writer)
{
	struct th_frame fr;
	struct th_span text, stream;
	if (p->user_prefixes)
		return false;
	if (frame_cri(line, &fr)) {
		text = fr.message;
		stream = fr.source;
	} else if (!docker_raw(line, &text, &stream)) {
		return false;
	}
	if (stream.n == 0 || !starts_record(text))
		return false;
	*writer = source_id(stream);
	return true;
}

bool prefix_runtime_framed(struct th_span line)
{
	struct th_frame fr;
	struct th_span text, stream;
	return frame_cri(line, &fr) || docker_raw(line, &text, &stream);
}

bool prefix_is_framed(struct th_span line)
{
	struct th_frame fr;
	return (line.n > 0 && line.p[0] == '{') || frame_any(line, &fr);
}

bool prefix_may_split(struct th_span line)
{
	struct th_frame fr;
	/* every JSON object: Docker's, the journal's, and a log record's,
	 * whose traceback may be data that holds no literal (jsontb.h) */
	return (line.n > 0 && line.p[0] == '{') || frame_cri(line, &fr);
}

uint32_t prefix_last_source(const struct th_prefixer *p)
{
	return p->last_source;
}
