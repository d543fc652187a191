/* matcher.c - match lines and events against the compiled rules: start
 * patterns, extract items, ignore rules and user prefixes; see rules.h
 * (the matcher's API is there, beside the rules it runs).
 *
 * Every match runs with the limits of th_limits.h: one that gives up
 * counts as no match and in rules_match_errors().
 */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TH_X86_64 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rules_private.h"
#include "th_limits.h"

/* How many of the start needles' rare bytes rules_match_start looks for
 * in one pass over a line (struct rare_bytes). */
#define RARE_BITS 8

/* The rare bytes (struct needle) of the enabled rules' start needles, the
 * first RARE_BITS distinct ones in rule order: bit K stands for BYTE[K].
 * One vector pass over a line says which of them it holds, and a rule
 * none of whose start needles' rare bytes is there cannot start on it,
 * without a search per needle (which cost ~90 instructions a rule on
 * most lines, the rules being tried in order). The pass looks each byte
 * up in two 16-entry tables, by its low and by its high four bits: bit K
 * is set at one index of each, BYTE[K]'s, so a byte has it in both only
 * when it is BYTE[K]. NUL takes no bit: the pass pads short lines with
 * it. */
struct rare_bytes {
	unsigned char byte[RARE_BITS];
	size_t n;
	bool vector; /* the machine has AVX2; without, every bit is set */
	uint8_t lo[16], hi[16];
};

/* Where the memo's key of a line begins. Logged trigger lines carry their
 * record's time stamp ("2024-05-01 00:00:00,080 ERROR [asyncio] Task
 * exception was never retrieved"), which the start patterns see but
 * which makes nearly every such line new to a memo of whole lines.
 * Every match of a start pattern begins with one of its first bytes
 * (PCRE2 knows them: the first code unit or the bitmap it skips to), so
 * none begins before the line's first byte K in the union BITS of all of
 * them, and a match at P looks back at most MARGIN bytes (the largest
 * lookbehind, \b's one byte, and one byte more so that ^, \A and \G,
 * which hold at a subject's start only, fail in the key as in the line).
 * Each pattern thus matches the line exactly when it matches the key, the
 * line from K - MARGIN on, with the same groups moved by as much. WHOLE
 * when some pattern's first bytes are not known (anchored, able to match
 * the empty string, with a verb "(*" whose start-up optimizations may
 * change the result, or too complex for PCRE2 to tell): the key is then
 * the whole line. */
struct start_cut {
	bool whole;
	bool vector; /* the machine has AVX2 */
	size_t margin;
	uint64_t bits[4]; /* byte B: bit B % 64 of bits[B / 64] */
	/* BITS for the vector scan: bit H of lo[L] (hi[L]) is byte
	   16 * H + L (16 * (H + 8) + L) */
	uint8_t lo[16], hi[16];
};

/* The last line on which rules_match_start ran a start pattern with
 * named groups and it matched, with where those groups were: an event
 * starts at such a line, and rules_extract takes the groups from here
 * instead of running the pattern on the same bytes again. */
struct start_seen {
	long rule; /* -1: none */
	char *text;
	size_t n, cap;
	PCRE2_SIZE *ov; /* 2 * pairs */
	uint32_t pairs;
};

struct th_matcher {
	const struct th_rules *r;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit; /* NULL: no JIT, or the default stack */
	size_t match_errors;
	char *text; /* an event's text, for `text:` conditions */
	size_t text_cap;
	size_t *cand; /* rules_match_start's candidate rules */
	size_t n_cand, cand_cap;
	struct start_memo *memo; /* START_MEMO_SLOTS, allocated on first use */
	struct rule_needles *needles; /* per enabled rule */
	struct start_seen seen;
	struct rare_bytes rare;
	struct start_cut cut;
};

/* A literal that every line a pattern matches holds (patterns/README.md,
 * "Literals"), and the byte of it memchr looks for: the one least likely
 * in log text, so that few places need a full compare. */
struct needle {
	struct th_span lit;
	size_t rare; /* index into lit */
};

/* A pattern's needles: a line that holds none of them cannot match, so
 * the pattern is not run on it (a run costs a few hundred instructions
 * even when the pattern fails at once). None (n == 0): run it always. */
struct needles {
	struct needle *v;
	size_t n;
};

/* A literal of a start pattern that is a union of literals, and where
 * in it the rule's start needle GATE (an index into its START needles)
 * is: the literal is at P in a line only where GATE is at P + AT. */
struct gated {
	struct th_span lit;
	size_t gate, at;
};

/* The bytes a match of an anchored pattern can begin with: a line that
 * begins with another cannot match, so the pattern is not run on it
 * (patterns/python.yaml's "^(?<exception>..." runs on every line of a
 * traceback, most of which begin with a space). Finding them costs some
 * 250 runs of the pattern, so that is done once it has run
 * FIRST_BYTES_AFTER times in the matcher. */
enum first_state {
	FIRST_ANY,	/* no test: not anchored, or a builtin */
	FIRST_COUNTING, /* anchored, RUNS so far */
	FIRST_KNOWN,	/* BITS are its first bytes */
};

struct first_bytes {
	enum first_state state;
	unsigned runs;
	uint64_t bits[4]; /* byte B: bit B % 64 of bits[B / 64] */
};

#define FIRST_BYTES_AFTER 256

/* A set of an event's fields, a bit each (1u << enum th_field): which
 * are set is asked for every extract item and group of an event, and a
 * bit in a register is cheaper than a flag in the event behind each call
 * that sets one. */
typedef unsigned field_bits;

static inline field_bits field_bit(enum th_field f)
{
	return 1u << f;
}

/* An extract item as rules_extract runs it, with what the matcher keeps
 * for it: side by side, as every event of a rule runs all of its items.
 */
struct extract_step {
	const struct extract *x;
	bool builtin;
	enum th_builtin fact; /* a builtin's */
	enum th_field field;  /* a builtin's */
	enum range lines;     /* a regex's */
	/* The fields it sets: a builtin's one, a regex's groups'. An item
	 * none of whose fields is left unset is not run. */
	field_bits fields;
	unsigned char repr;	  /* a regex's enum repr_kind */
	bool exception_line;	  /* a regex that is EXCEPTION_LINE */
	struct needles needles;	  /* a regex's (none for a builtin) */
	struct first_bytes first; /* a regex's; counts runs */
};

/* The needles of an enabled rule's start pattern (its literals, as the
 * fast path uses them) and of each of its extract regexes (derived the
 * same way; in DERIVED). */
struct rule_needles {
	struct needles start;
	/* EXACT: START are the literals the start pattern stands for, as a
	 * union of them (rules_literal_exact), so a line that holds one
	 * matches without a run. Only when they are no more than its
	 * literals: a needle costs a good part of a run of such a pattern. */
	bool exact;
	char *exact_bytes;
	/* GATED (when not EXACT): the start pattern is a union of more
	 * literals than START holds, each of which holds one of START's at a
	 * known place, so a line holds one of them (and matches) when one
	 * is found around a place of its START literal. */
	struct gated *gated;
	size_t n_gated;
	/* RARE: the bits (struct rare_bytes) of START's rare bytes, when
	 * every start needle has one; 0: the rule is not ruled out so */
	unsigned rare;
	/* RUN: the start pattern is a literal, a named run and a literal
	 * (struct th_literal_run), matched without PCRE2 on lines up to
	 * RUN_MAX_LINE; RUN_BEFORE finds its first literal */
	bool has_run;
	/* SLOW_CALLBACK: the start pattern is SLOW_CALLBACK_START, read by
	   slow_callback_match on lines up to SLOW_CALLBACK_MAX_LINE */
	bool slow_callback;
	struct th_literal_run run;
	struct needle run_before;
	char *run_bytes;
	struct extract_step *steps; /* per extract item */
	char *derived;		    /* the bytes of the steps' needles */
};

/* rules_match_start's answers for short lines seen before. Trigger lines
 * repeat: most tracebacks start with the bare "Traceback (most recent
 * call last):", which every rule before the traceback rule's would
 * otherwise try and fail, a pattern run each. A line is looked up by its
 * key (struct start_cut): the part of it the answer depends on, so a line
 * whose key equals a remembered one gets its answer. For a rule with
 * named groups, the groups' places in the key come along, so that
 * rules_extract need not run the pattern again on a remembered line. */
#define START_MEMO_SLOTS 256
#define START_MEMO_TEXT	 128
#define START_MEMO_PAIRS 4
#define START_MEMO_UNSET UINT8_MAX
struct start_memo {
	size_t n; /* 0: empty */
	long rule;
	uint32_t pairs;			  /* of OV; 0: no groups kept */
	uint8_t ov[2 * START_MEMO_PAIRS]; /* offsets into TEXT */
	char text[START_MEMO_TEXT];
};

/* Up to this many enabled rules, rules_match_start tries each start
 * pattern in turn; past it, only those of the rules whose literals the
 * line holds (the index costs a hash per position and literal length, a
 * few patterns' worth, and saves 100,000 patterns a line with as many
 * rules). */
#define INDEX_MIN_RULES 64

/* Runs RE over S. Returns true on a match, leaving the groups in M's match
 * data. A match that gives up at a limit counts as none, and is counted.
 * pcre2_jit_match skips pcre2_match's checks of arguments that are always
 * fine here (a third of the cost of a pattern that fails at once); it
 * declines a pattern that JIT did not compile, which the interpreter
 * runs. */
static bool regex_match(struct th_matcher *m, const struct regex *re,
			struct th_span s)
{
	const char *p = s.p != NULL ? s.p : "";
	int rc =
	    pcre2_jit_match(re->code, (PCRE2_SPTR)p, s.n, 0, 0, m->md, m->mctx);
	if (rc == PCRE2_ERROR_JIT_BADOPTION)
		rc = pcre2_match(re->code, (PCRE2_SPTR)p, s.n, 0, 0, m->md,
				 m->mctx);
	if (rc >= 0)
		return true;
	if (rc != PCRE2_ERROR_NOMATCH)
		m->match_errors++;
	return false;
}

/* The fields set in EV. */
static field_bits fields_set_in(const struct th_event *ev)
{
	field_bits set = 0;
	for (size_t f = 0; f < TH_F_COUNT; f++)
		if (event_has(ev, (enum th_field)f))
			set |= field_bit((enum th_field)f);
	return set;
}

/* The fields RE's named groups set. */
static field_bits regex_fields(const struct regex *re)
{
	field_bits bits = 0;
	for (size_t i = 0; i < re->n_groups; i++)
		bits |= field_bit((enum th_field)re->groups[i].slot);
	return bits;
}

/* After a match of RE on S that left OV (PAIRS offset pairs): sets each
 * field named by a group of RE that took part in the match, is not
 * empty, and is not in SET (EV's set fields). Returns SET with the
 * fields it set. Inline: most events of a crash loop set three fields
 * here from a task's repr, and the call, which saved and restored six
 * registers, cost some 20 of the 180 instructions it took. */
static inline __attribute__((always_inline)) field_bits
groups_set_fields(const PCRE2_SIZE *ov, uint32_t pairs, const struct regex *re,
		  struct th_span s, struct th_event *ev, field_bits set)
{
	for (size_t i = 0; i < re->n_groups; i++) {
		uint32_t g = re->groups[i].group;
		enum th_field f = (enum th_field)re->groups[i].slot;
		if (g >= pairs || (set & field_bit(f)) != 0)
			continue;
		PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
		if (a == PCRE2_UNSET || b <= a || b > s.n)
			continue;
		event_set(ev, f, (struct th_span){s.p + a, b - a});
		set |= field_bit(f);
	}
	return set;
}

/* groups_set_fields after a match of RE on S that left the groups in M's
 * match data. */
static field_bits regex_set_fields(const struct th_matcher *m,
				   const struct regex *re, struct th_span s,
				   struct th_event *ev, field_bits set)
{
	return groups_set_fields(pcre2_get_ovector_pointer(m->md),
				 pcre2_get_ovector_count(m->md), re, s, ev,
				 set);
}

/* Remembers that rule RULE's start pattern matched LINE, leaving the
 * offsets OV of PAIRS groups (struct start_seen). */
static void seen_set(struct th_matcher *m, size_t rule, struct th_span line,
		     const PCRE2_SIZE *ov, uint32_t pairs)
{
	struct start_seen *v = &m->seen;
	if (line.n > v->cap) {
		v->cap = line.n;
		v->text = xrealloc(v->text, v->cap);
	}
	if (line.n > 0)
		memcpy(v->text, line.p, line.n);
	v->n = line.n;
	memcpy(v->ov, ov, 2 * pairs * sizeof *v->ov);
	v->pairs = pairs;
	v->rule = (long)rule;
}

/* Remembers, after rule RULE's start pattern matched LINE, the line and
 * the groups in M's match data (see struct start_seen). */
static void seen_keep(struct th_matcher *m, size_t rule, struct th_span line)
{
	/* the pairs up to the highest group that sets a field */
	const struct regex *re = &m->r->active[rule]->start;
	uint32_t have = pcre2_get_ovector_count(m->md), pairs = 0;
	for (size_t i = 0; i < re->n_groups; i++)
		if (re->groups[i].group < have && re->groups[i].group >= pairs)
			pairs = re->groups[i].group + 1;
	seen_set(m, rule, line, pcre2_get_ovector_pointer(m->md), pairs);
}

/* True when M remembers rule RULE's start match on exactly LINE's bytes. */
static bool seen_is(const struct th_matcher *m, size_t rule,
		    struct th_span line)
{
	const struct start_seen *v = &m->seen;
	return v->rule == (long)rule && v->n == line.n &&
	       (line.n == 0 || memcmp(v->text, line.p, line.n) == 0);
}

/* True when rule I's start pattern matches LINE; a match with groups is
 * remembered for rules_extract. */
static bool start_matches(struct th_matcher *m, size_t i, struct th_span line)
{
	const struct regex *re = &m->r->active[i]->start;
	if (!regex_match(m, re, line))
		return false;
	if (re->n_groups > 0)
		seen_keep(m, i, line);
	return true;
}

/* ---- task reprs without a regex ------------------------------------- */

/* The extract regexes of patterns/asyncio.yaml that read a task's repr
 * ("<Task pending name='Task-3' coro=<main() done, defined at a.py:5>")
 * run on most events of a crash loop, and a run costs about a thousand
 * instructions. A regex whose text is exactly one of these is read by
 * repr_match instead; any other text, even one that means the same, runs
 * as a regex. They share everything after their opening: */
#define REPR_TAIL                                                              \
	"(?:name=(?:'(?<task>(?:[^'\\\\]|\\\\.)*)'|\"(?<task>(?:[^\"\\\\]|"    \
	"\\\\.)*)\") )?coro=<(?<coroutine>[^\\s()]+)\\(\\)(?: done, defined "  \
	"at (?<defined_at>.+?:\\d+)>)?"

enum repr_kind { REPR_NONE, REPR_FUTURE, REPR_STATE, REPR_TASK };

static const struct {
	enum repr_kind kind;
	const char *src;
} repr_patterns[] = {
    {REPR_FUTURE, "future'?: <\\w+ \\w+ " REPR_TAIL},
    {REPR_STATE, "<\\w+ (?:pending|cancelling) " REPR_TAIL},
    {REPR_TASK, "<Task \\w+ " REPR_TAIL},
};

/* Their groups: task (1 and 2, one per quote), coroutine, defined_at. */
#define REPR_PAIRS 5

/* Longer lines run the regex. repr_match does linear work, and so does
 * PCRE2 on these patterns, far below TH_REGEX_MATCH_LIMIT; the bound keeps
 * that argument simple. */
#define REPR_MAX_LINE 1024

/* What repr_match found: a match, none, or a byte it leaves to PCRE2 (a
 * line break, which "." may or may not match, or a byte whose class in
 * PCRE2's tables it does not assume). */
enum repr_result { REPR_NO, REPR_YES, REPR_UNSURE };

static enum repr_kind repr_kind_of(const struct regex *re)
{
	uint32_t groups = 0;
	for (size_t i = 0; i < COUNT(repr_patterns); i++)
		if (re->n == strlen(repr_patterns[i].src) &&
		    memcmp(re->src, repr_patterns[i].src, re->n) == 0 &&
		    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT,
				       &groups) == 0 &&
		    groups == REPR_PAIRS - 1)
			return repr_patterns[i].kind;
	return REPR_NONE;
}

/* Whether S holds the N bytes of LIT at AT. */
static inline __attribute__((always_inline)) bool
repr_has_n(struct th_span s, size_t at, const char *lit, size_t n)
{
	return at <= s.n && s.n - at >= n && memcmp(s.p + at, lit, n) == 0;
}

/* repr_has_n for a string literal (or array) LIT: its length a constant,
 * the compare is a load or two inline. With strlen, each cost a call of
 * strlen and one of memcmp, some 6,800 of each on a crash loop, and the
 * readers that ask were not inlined (callgrind). */
#define REPR_HAS(s, at, lit) repr_has_n((s), (at), (lit), sizeof(lit) - 1)

/* The class of each byte for the repr's loops, one load a byte: '1' a
 * \w byte (ASCII letters, digits, '_'), '2' a byte that ends a coroutine
 * name (' ', '(', ')'), '4' one that PCRE2 must judge (below 0x20: \s
 * or a line break; from 0x80: UTF-8), '0' any other. */
static const char repr_class[257] = "4444444444444444" /* 0x00 */
				    "4444444444444444" /* 0x10 */
				    "2000000022000000" /* 0x20 */
				    "1111111111000000" /* 0x30 */
				    "0111111111111111" /* 0x40 */
				    "1111111111100001" /* 0x50 */
				    "0111111111111111" /* 0x60 */
				    "1111111111100000" /* 0x70 */
				    "4444444444444444" /* 0x80 */
				    "4444444444444444" /* 0x90 */
				    "4444444444444444" /* 0xa0 */
				    "4444444444444444" /* 0xb0 */
				    "4444444444444444" /* 0xc0 */
				    "4444444444444444" /* 0xd0 */
				    "4444444444444444" /* 0xe0 */
				    "4444444444444444" /* 0xf0 */;

static char repr_class_of(char c)
{
	return repr_class[(unsigned char)c];
}

/* Where the run of \w bytes (ASCII letters, digits, '_') in S from I on
 * ends. A repr has two words or three ("Task finished"), each read from
 * 16 bytes at once when the line has them: a byte of the run is in a
 * range of letters (either case, once 0x20 is set in it), of digits, or
 * '_'; a byte from 0x80 is negative as signed and in none. */
static inline size_t repr_word_end(struct th_span s, size_t i)
{
#ifdef __SSE2__
	for (; s.n - i >= 16; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
		__m128i low = _mm_or_si128(v, _mm_set1_epi8(0x20));
		__m128i word = _mm_or_si128(
		    _mm_or_si128(
			_mm_and_si128(
			    _mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
			    _mm_cmplt_epi8(low, _mm_set1_epi8('z' + 1))),
			_mm_and_si128(
			    _mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
			    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)))),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
		unsigned other = ~(unsigned)_mm_movemask_epi8(word) & 0xffffu;
		if (other != 0)
			return i + (size_t)__builtin_ctz(other);
	}
#endif
	while (i < s.n && repr_class_of(s.p[i]) == '1')
		i++;
	return i;
}

/* "\w+ " at *AT: moves *AT past the space. */
static inline enum repr_result repr_word(struct th_span s, size_t *at)
{
	size_t i = repr_word_end(s, *at);
	if (i < s.n && (unsigned char)s.p[i] >= 0x80)
		return REPR_UNSURE;
	if (i == *at || i >= s.n || s.p[i] != ' ')
		return REPR_NO;
	*at = i + 1;
	return REPR_YES;
}

/* Eight bytes each 0x01: word arithmetic on bytes. */
#define REPR_ONES 0x0101010101010101u

/* Bit 7 of each byte of X below N (N <= 0x80); only the lowest set bit
 * is sure (a borrow goes up past a byte below N), which is what
 * repr_quote_or_escape and repr_name_end ask. */
static uint64_t repr_bytes_below(uint64_t x, unsigned n)
{
	return (x - REPR_ONES * n) & ~x & REPR_ONES * 0x80;
}

/* The first quote Q or backslash in S from I on, or S.n: sixteen bytes
 * a step where the line has them, then eight, as a task's name is some
 * ten bytes or more. */
static size_t repr_quote_or_escape(struct th_span s, size_t i, char q)
{
#ifdef __SSE2__
	for (; s.n - i >= 16; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
		unsigned stop = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(q)),
				 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
		if (stop != 0)
			return i + (size_t)__builtin_ctz(stop);
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; s.n - i >= 8; i += 8) {
		uint64_t x;
		memcpy(&x, s.p + i, 8);
		uint64_t stop =
		    repr_bytes_below(x ^ REPR_ONES * (unsigned char)q, 1) |
		    repr_bytes_below(x ^ REPR_ONES * '\\', 1);
		if (stop != 0) /* the first byte of its lowest bit */
			return i + (size_t)__builtin_ctzll(stop) / 8;
	}
#endif
	while (i < s.n && s.p[i] != q && s.p[i] != '\\')
		i++;
	return i;
}

/* The quoted name after "name=" at *AT: "(?:[^Q\\]|\\.)*Q " for its
 * quote Q. Every step of the loop is forced (a byte is either Q, a
 * backslash that takes the next byte, or plain), so only the end of the
 * longest run can be followed by Q: no other way to match exists. */
static enum repr_result repr_name(struct th_span s, size_t *at, PCRE2_SIZE *ov)
{
	size_t i = *at + 5;
	if (i >= s.n || (s.p[i] != '\'' && s.p[i] != '"'))
		return REPR_NO;
	char q = s.p[i++];
	size_t from = i;
	while ((i = repr_quote_or_escape(s, i, q)) < s.n && s.p[i] != q) {
		/* a backslash, which takes the next byte */
		if (i + 1 >= s.n)
			return REPR_NO;
		if (s.p[i + 1] == '\n' || s.p[i + 1] == '\r')
			return REPR_UNSURE;
		i += 2;
	}
	if (i + 1 >= s.n || s.p[i + 1] != ' ')
		return REPR_NO;
	size_t g = q == '\'' ? 1 : 2;
	ov[2 * g] = from;
	ov[2 * g + 1] = i;
	*at = i + 2;
	return REPR_YES;
}

/* Where a run of bytes of the classes '0' and '1' (not \s, '(', ')' or a
 * byte left to PCRE2) starting at I in S ends: sixteen bytes a step
 * where the line has them, then eight (a coroutine's qualified name is
 * tens of bytes), where a byte is above 0x7f, below 0x21 (space, or
 * below) or '(' or ')' (0x28 or 0x29, the bytes that differ from 0x28 in
 * bit 0 alone); the rest byte by byte. */
static size_t repr_name_end(struct th_span s, size_t i)
{
#ifdef __SSE2__
	/* a byte below 0x21 as signed is one from 0x80, or 0x20 or below */
	for (; s.n - i >= 16; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(s.p + i));
		unsigned stop = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmplt_epi8(v, _mm_set1_epi8(0x21)),
		    _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(1)),
				   _mm_set1_epi8(0x29))));
		if (stop != 0)
			return i + (size_t)__builtin_ctz(stop);
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; s.n - i >= 8; i += 8) {
		uint64_t x;
		memcpy(&x, s.p + i, 8);
		uint64_t stop = (x & REPR_ONES * 0x80) |
				repr_bytes_below(x, 0x21) |
				repr_bytes_below(x ^ REPR_ONES * 0x28, 2);
		if (stop != 0) /* the first byte of its lowest bit */
			return i + (size_t)__builtin_ctzll(stop) / 8;
	}
#endif
	/* one test a byte: the classes that go on sort before the others */
	while (i < s.n && repr_class_of(s.p[i]) < '2')
		i++;
	return i;
}

/* "coro=<(?<coroutine>[^\s()]+)\(\)" at *AT. The run cannot be cut short
 * and still be followed by "(", so it is the longest run. */
static enum repr_result repr_coroutine(struct th_span s, size_t *at,
				       PCRE2_SIZE *ov)
{
	if (!REPR_HAS(s, *at, "coro=<"))
		return REPR_NO;
	size_t from = *at + 6, i = repr_name_end(s, from);
	if (i < s.n && repr_class_of(s.p[i]) == '4')
		return REPR_UNSURE; /* \s, or a byte left to PCRE2 */
	if (i == from || !REPR_HAS(s, i, "()"))
		return REPR_NO;
	ov[6] = from;
	ov[7] = i;
	*at = i + 2;
	return REPR_YES;
}

/* Whether [P, P + N) holds a line break ("." may or may not match one):
 * sixteen bytes a step, the last step moved back to end where the span
 * does, as what it is asked of is a file path. */
static bool repr_has_break(const char *p, size_t n)
{
#ifdef __SSE2__
	if (n >= 16) {
		const __m128i lf = _mm_set1_epi8('\n'),
			      cr = _mm_set1_epi8('\r');
		for (size_t i = 0;; i += 16) {
			if (n - i < 16)
				i = n - 16;
			__m128i v = _mm_loadu_si128(
			    (const __m128i *)(const void *)(p + i));
			if (_mm_movemask_epi8(_mm_or_si128(
				_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))))
				return true;
			if (i + 16 == n)
				return false;
		}
	}
#endif
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n' || p[i] == '\r')
			return true;
	return false;
}

/* "(?: done, defined at (?<defined_at>.+?:\d+)>)?" at AT: the shortest
 * text (one byte at least) followed by ":", digits and ">"; when there is
 * none the group is skipped. Sets *END past what matched. The text
 * before the ":" that ends it is looked at for a line break ("." would
 * have to cross it) only then: the rest of the line, in a crash loop
 * the exception's repr, is not read. */
static enum repr_result repr_defined_at(struct th_span s, size_t at,
					PCRE2_SIZE *ov, size_t *end)
{
	*end = at;
	if (!REPR_HAS(s, at, " done, defined at "))
		return REPR_YES;
	const char *from = s.p + at + 18, *stop = s.p + s.n;
	for (const char *e = from + 1; e < stop; e++) {
		e = memchr(e, ':', (size_t)(stop - e));
		if (e == NULL)
			break;
		const char *d = e + 1;
		while (d < stop && *d >= '0' && *d <= '9')
			d++;
		if (d > e + 1 && d < stop && *d == '>') {
			if (repr_has_break(from, (size_t)(e - from)))
				return REPR_UNSURE;
			ov[8] = (size_t)(from - s.p);
			ov[9] = (size_t)(d - s.p);
			*end = (size_t)(d - s.p) + 1;
			return REPR_YES;
		}
	}
	return repr_has_break(from, (size_t)(stop - from)) ? REPR_UNSURE
							   : REPR_YES;
}

/* The opening of KIND at AT; moves *AT past it. */
static enum repr_result repr_opening(enum repr_kind kind, struct th_span s,
				     size_t *at)
{
	size_t i = *at;
	enum repr_result r;
	if (kind == REPR_FUTURE) {
		if (!REPR_HAS(s, i, "future"))
			return REPR_NO;
		i += 6;
		if (i < s.n && s.p[i] == '\'')
			i++;
		if (!REPR_HAS(s, i, ": <"))
			return REPR_NO;
		i += 3;
		if ((r = repr_word(s, &i)) != REPR_YES)
			return r;
	} else if (kind == REPR_STATE) {
		if (!REPR_HAS(s, i, "<"))
			return REPR_NO;
		i++;
		if ((r = repr_word(s, &i)) != REPR_YES)
			return r;
		if (REPR_HAS(s, i, "pending "))
			i += 8;
		else if (REPR_HAS(s, i, "cancelling "))
			i += 11;
		else
			return REPR_NO;
		*at = i;
		return REPR_YES;
	} else {
		if (!REPR_HAS(s, i, "<Task "))
			return REPR_NO;
		i += 6;
	}
	r = repr_word(s, &i);
	*at = i;
	return r;
}

/* KIND's regex tried at AT only, groups into OV. */
static enum repr_result repr_at(enum repr_kind kind, struct th_span s,
				size_t at, PCRE2_SIZE *ov)
{
	size_t i = at, end;
	enum repr_result r = repr_opening(kind, s, &i);
	if (r != REPR_YES)
		return r; /* OV is read after a match only */
	for (size_t g = 0; g < 2 * REPR_PAIRS; g++)
		ov[g] = PCRE2_UNSET;
	/* the name group is tried first; without it, "coro=<" must be where
	 * "name=" is, so a failed name is no match at AT */
	if (REPR_HAS(s, i, "name=") && (r = repr_name(s, &i, ov)) != REPR_YES)
		return r;
	if ((r = repr_coroutine(s, &i, ov)) != REPR_YES)
		return r;
	if ((r = repr_defined_at(s, i, ov, &end)) != REPR_YES)
		return r;
	ov[0] = at;
	ov[1] = end;
	return REPR_YES;
}

/* The first byte C in S from P on, or NULL. A repr's opening is mostly
 * among a line's first 16 bytes ("future: <Task", "task: <Task"), which
 * one vector compare tells without a memchr call. */
static inline const char *repr_find(struct th_span s, const char *p, char c)
{
	const char *end = s.p + s.n;
#ifdef __SSE2__
	if (end - p >= 16) {
		unsigned at = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(const void *)p),
		    _mm_set1_epi8(c)));
		if (at != 0)
			return p + __builtin_ctz(at);
		p += 16;
	}
#endif
	return p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
}

/* repr_match of KIND, whose matches begin with FIRST. */
static inline __attribute__((always_inline)) enum repr_result
repr_match_at_first(enum repr_kind kind, char first, struct th_span s,
		    PCRE2_SIZE *ov)
{
	for (const char *p = repr_find(s, s.p, first); p != NULL;
	     p = repr_find(s, p + 1, first)) {
		enum repr_result r = repr_at(kind, s, (size_t)(p - s.p), ov);
		if (r != REPR_NO)
			return r;
	}
	return REPR_NO;
}

/* KIND's regex on S as pcre2_match would run it: the leftmost start that
 * matches, groups in OV (REPR_PAIRS pairs, PCRE2_UNSET where a group took
 * no part). The first byte is a constant in each call of
 * repr_match_at_first, so its vector is not built a call. */
static enum repr_result repr_match(enum repr_kind kind, struct th_span s,
				   PCRE2_SIZE *ov)
{
	if (s.n > REPR_MAX_LINE)
		return REPR_UNSURE;
	return kind == REPR_FUTURE ? repr_match_at_first(kind, 'f', s, ov)
				   : repr_match_at_first(kind, '<', s, ov);
}

/* ---- exception lines without a regex -------------------------------- */

/* patterns/python.yaml reads the exception line ("KeyError: 'EUR'") that
 * follows an unraisable report's first line with this regex, tried on
 * each following line until one matches: a crash loop of such reports
 * runs it twice an event or more (first on "Traceback (most recent call
 * last):"), some 600 instructions a run. A regex of exactly this text is
 * read by exception_line_match instead, as the task reprs are. */
#define EXCEPTION_LINE "^(?<exception>[A-Za-z_][\\w.]*)(?:: (?<message>.+)|:?$)"

/* Its groups: exception, message. */
#define EXCEPTION_PAIRS 3

static bool is_exception_line(const struct regex *re)
{
	uint32_t groups = 0;
	return re->src != NULL && re->n == strlen(EXCEPTION_LINE) &&
	       memcmp(re->src, EXCEPTION_LINE, re->n) == 0 &&
	       pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &groups) ==
		   0 &&
	       groups == EXCEPTION_PAIRS - 1;
}

/* EXCEPTION_LINE on S as pcre2_match runs it, groups in OV
 * (EXCEPTION_PAIRS pairs). It is anchored, and [\w.]* can end only where
 * the longest run ends: a shorter run stops before a byte of the run,
 * which is neither ':' nor the end. What follows is left to PCRE2 when
 * it holds a line break ("." and "$" treat one apart) or the run stops
 * at a byte from 0x80 (its class in PCRE2's tables is not assumed), and
 * so is a line longer than REPR_MAX_LINE. */
static enum repr_result exception_line_match(struct th_span s, PCRE2_SIZE *ov)
{
	if (s.n > REPR_MAX_LINE)
		return REPR_UNSURE;
	if (s.n == 0 || !(th_is_letter((unsigned char)s.p[0]) || s.p[0] == '_'))
		return REPR_NO;
	size_t r = 1;
	while (r < s.n && (repr_class_of(s.p[r]) == '1' || s.p[r] == '.'))
		r++;
	if ((r < s.n && (unsigned char)s.p[r] >= 0x80) ||
	    repr_has_break(s.p + r, s.n - r))
		return REPR_UNSURE;
	ov[0] = ov[2] = 0;
	ov[3] = r;
	ov[4] = ov[5] = PCRE2_UNSET;
	if (s.n - r > 2 && s.p[r] == ':' && s.p[r + 1] == ' ') {
		ov[1] = ov[5] = s.n; /* ".+" to the end */
		ov[4] = r + 2;
		return REPR_YES;
	}
	size_t end = r < s.n && s.p[r] == ':' ? r + 1 : r;
	if (end != s.n)
		return REPR_NO;
	ov[1] = end;
	return REPR_YES;
}

/* ---- asyncio.yaml's slow callback start without a regex ------------- */

/* patterns/asyncio.yaml's asyncio.slow-callback starts at this pattern.
 * Its lines ("Executing <Task pending name='Task-7' coro=<main() running
 * at app.py:12> cb=[...]> took 0.153 seconds") carry a task's name and a
 * duration, so the start memo never knows them, and PCRE2 backtracked
 * through each from ".*", some 3,100 instructions a line (423 lines on
 * 20 MB of the crash loop). A start pattern of exactly this text is read
 * by slow_callback_match instead, as the task reprs are. */
#define SLOW_CALLBACK_START                                                    \
	"Executing <(?:Task|Handle|TimerHandle)\\b.*> took \\d+(?:\\.\\d+)? "  \
	"seconds"

/* Longer lines run the regex: PCRE2 tries ".*" back from the end at each
 * place of "Executing <", some LINE.n squared steps at worst, far below
 * TH_REGEX_MATCH_LIMIT at this length, so a limit it hits on a longer
 * line is counted as before. */
#define SLOW_CALLBACK_MAX_LINE 512

static bool is_slow_callback_start(const struct regex *re)
{
	uint32_t groups = 0, options = 0;
	return re->src != NULL && re->n == strlen(SLOW_CALLBACK_START) &&
	       memcmp(re->src, SLOW_CALLBACK_START, re->n) == 0 &&
	       pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &groups) ==
		   0 &&
	       groups == 0 &&
	       pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS, &options) ==
		   0 &&
	       (options &
		(PCRE2_CASELESS | PCRE2_EXTENDED | PCRE2_EXTENDED_MORE |
		 PCRE2_LITERAL | PCRE2_UCP | PCRE2_DOTALL)) == 0;
}

static bool slow_callback_word_byte(unsigned char c)
{
	return th_is_letter(c) || th_is_digit((char)c) || c == '_';
}

/* Where the first "Executing <" of S followed by Task, Handle or
 * TimerHandle and a word boundary has that word end (struct repr_result
 * in *R: REPR_YES when found; REPR_UNSURE when a byte from 0x80 follows
 * the word first, its class in PCRE2's tables not assumed). */
static size_t slow_callback_head(struct th_span s, enum repr_result *r)
{
	static const char *const words[] = {"Task", "Handle", "TimerHandle"};
	const char *p = s.p, *end = s.p + s.n;
	/* by its '<': 'E' begins a level name */
	while ((p = th_find((struct th_span){p, (size_t)(end - p)},
			    "Executing <", 11, 10)) != NULL) {
		p += 11;
		for (size_t w = 0; w < COUNT(words); w++) {
			size_t n = strlen(words[w]);
			if ((size_t)(end - p) < n ||
			    memcmp(p, words[w], n) != 0)
				continue;
			size_t e = (size_t)(p - s.p) + n;
			if (e < s.n && (unsigned char)s.p[e] >= 0x80) {
				*r = REPR_UNSURE;
				return e;
			}
			if (e == s.n ||
			    !slow_callback_word_byte((unsigned char)s.p[e])) {
				*r = REPR_YES;
				return e;
			}
		}
	}
	*r = REPR_NO;
	return s.n;
}

/* Where the run of digits in S from I on ends. */
static size_t digits_end(struct th_span s, size_t i)
{
	while (i < s.n && th_is_digit(s.p[i]))
		i++;
	return i;
}

/* Whether "> took \d+(?:\.\d+)? seconds" is at J in S: every step is
 * forced (a run of digits is followed by '.' or ' ', neither a digit). */
static bool slow_callback_tail(struct th_span s, size_t j)
{
	static const char secs[] = " seconds";
	size_t d = digits_end(s, j + 7);
	if (d == j + 7)
		return false;
	if (d < s.n && s.p[d] == '.') {
		size_t f = digits_end(s, d + 1);
		if (f > d + 1)
			return REPR_HAS(s, f, secs);
	}
	return REPR_HAS(s, d, secs);
}

/* Whether SLOW_CALLBACK_START matches S, as pcre2_match finds. ".*"
 * takes anything but a line break, so a match exists when the tail is
 * somewhere after the first head's word (struct repr_result); a line
 * break there is left to PCRE2, as "." may or may not match it, and so
 * is a line longer than SLOW_CALLBACK_MAX_LINE. Only whether there is a
 * match is asked: the pattern has no group, and an event's start line
 * is kept whole. */
static enum repr_result slow_callback_match(struct th_span s)
{
	if (s.n > SLOW_CALLBACK_MAX_LINE)
		return REPR_UNSURE;
	enum repr_result r;
	size_t e = slow_callback_head(s, &r);
	if (r != REPR_YES)
		return r;
	if (repr_has_break(s.p + e, s.n - e))
		return REPR_UNSURE;
	const char *p = s.p + e, *end = s.p + s.n;
	while ((p = th_find((struct th_span){p, (size_t)(end - p)}, "> took ",
			    7, 0)) != NULL) {
		if (slow_callback_tail(s, (size_t)(p - s.p)))
			return REPR_YES;
		p++;
	}
	return REPR_NO;
}

/* How common byte C is in log text, roughly: higher is more common. A
 * space and lower-case letters (by their frequency in English) lead,
 * then digits, the capitals of level names (ERROR, INFO) and the
 * punctuation of time stamps and paths; the rest is rare. */
static unsigned byte_commonness(unsigned char c)
{
	static const char by_freq[] = "etaoinshrdlcumwfgypbvkjxqz";
	if (c == ' ')
		return 100;
	const char *at = c != '\0' ? strchr(by_freq, c) : NULL;
	if (at != NULL)
		return 90 - (unsigned)(at - by_freq);
	if (th_is_digit((char)c))
		return 60;
	if (c >= 'A' && c <= 'Z')
		return 45;
	if (c != '\0' && strchr(".,:/_-'\"=", c) != NULL)
		return 40;
	return 20;
}

static struct needle needle_of(struct th_span lit)
{
	size_t rare = 0;
	for (size_t i = 1; i < lit.n; i++)
		if (byte_commonness((unsigned char)lit.p[i]) <
		    byte_commonness((unsigned char)lit.p[rare]))
			rare = i;
	return (struct needle){lit, rare};
}

/* Where N's literal (not empty) first is in LINE at or after FROM, or
 * NULL: each place of its rare byte that leaves room for the rest is
 * compared. */
static inline __attribute__((always_inline)) const char *
needle_find(const struct needle *n, struct th_span line, size_t from)
{
	if (line.n < n->lit.n || line.n - n->lit.n < from)
		return NULL;
	unsigned char rare = (unsigned char)n->lit.p[n->rare];
	const char *at = line.p + from + n->rare;
	const char *last = line.p + (line.n - n->lit.n) + n->rare;
	while (at <= last) {
		const char *hit = memchr(at, rare, (size_t)(last - at) + 1);
		if (hit == NULL)
			return NULL;
		const char *start = hit - n->rare;
		/* the ends first: most places of the rare byte fail there */
		if (start[0] == n->lit.p[0] &&
		    start[n->lit.n - 1] == n->lit.p[n->lit.n - 1] &&
		    memcmp(start, n->lit.p, n->lit.n) == 0)
			return start;
		at = hit + 1;
	}
	return NULL;
}

/* True when LINE holds N's literal. */
static bool needle_in(const struct needle *n, struct th_span line)
{
	return n->lit.n == 0 || needle_find(n, line, 0) != NULL;
}

/* True when the pattern with needles NS cannot match LINE. */
static inline __attribute__((always_inline)) bool
needles_rule_out(const struct needles *ns, struct th_span line)
{
	if (ns->n == 0)
		return false;
	for (size_t i = 0; i < ns->n; i++)
		if (needle_in(&ns->v[i], line))
			return false;
	return true;
}

static struct needles needles_of(const struct th_span *lits, size_t n)
{
	struct needles ns = {NULL, n};
	if (n > 0)
		ns.v = xcalloc(n, sizeof *ns.v);
	for (size_t i = 0; i < n; i++)
		ns.v[i] = needle_of(lits[i]);
	return ns;
}

/* The needles of extract regex RE, derived as a start pattern's literals
 * are, into BUF (room for RE's length). */
static struct needles extract_needles(const struct regex *re, char *buf)
{
	struct th_span pat = {re->src, re->n};
	struct th_span *lits = xcalloc(pat.n + 1, sizeof *lits);
	size_t n = pat.p != NULL ? rules_literal_derive(pat, buf, lits) : 0;
	struct needles ns = needles_of(lits, n);
	free(lits);
	return ns;
}

/* Most literals rules_literal_exact makes. */
#define EXACT_LITS 8

/* Lines up to this long are matched by an exact rule's needles alone.
 * PCRE2 would give up on none of them: a union of literals costs it a
 * bounded number of steps a start position, far below
 * TH_REGEX_MATCH_LIMIT at this length; a longer line runs the pattern, so
 * a limit it hits is counted as before. */
#define EXACT_MAX_LINE 4096

/* Makes RN's start needles the literals RULE's start pattern stands for
 * (see struct rule_needles), when it is a union of at most N_LITS of
 * them without groups; false (RN untouched) when not. */
static bool start_exact_init(struct rule_needles *rn, const struct rule *rule,
			     size_t n_lits)
{
	struct th_span pat = {rule->start.src, rule->start.n};
	struct th_span lits[EXACT_LITS];
	if (pat.p == NULL || rule->start.n_groups > 0 || n_lits == 0)
		return false;
	size_t cap = 4 * EXACT_LITS * (pat.n + 1);
	char *bytes = xmalloc(cap);
	size_t n = rules_literal_exact(pat, bytes, cap, lits, EXACT_LITS);
	if (n == 0 || n > n_lits) {
		free(bytes);
		return false;
	}
	rn->start = needles_of(lits, n);
	rn->exact = true;
	rn->exact_bytes = bytes;
	return true;
}

/* Makes RN's gated literals those RULE's start pattern stands for (see
 * struct rule_needles), when it is a union of literals each holding one
 * of RN's start needles; false (RN untouched) when not. */
static bool start_gated_init(struct rule_needles *rn, const struct rule *rule)
{
	struct th_span pat = {rule->start.src, rule->start.n};
	struct th_span lits[EXACT_LITS];
	if (pat.p == NULL || rule->start.n_groups > 0 || rn->start.n == 0)
		return false;
	size_t cap = 4 * EXACT_LITS * (pat.n + 1);
	char *bytes = xmalloc(cap);
	size_t n = rules_literal_exact(pat, bytes, cap, lits, EXACT_LITS);
	struct gated *g = xcalloc(n + 1, sizeof *g);
	for (size_t i = 0; i < n; i++) {
		g[i].lit = lits[i];
		for (g[i].gate = 0; g[i].gate < rn->start.n; g[i].gate++) {
			struct th_span d = rn->start.v[g[i].gate].lit;
			const char *at =
			    d.n > 0 ? memmem(lits[i].p, lits[i].n, d.p, d.n)
				    : NULL;
			if (at != NULL) {
				g[i].at = (size_t)(at - lits[i].p);
				break;
			}
		}
		if (g[i].gate == rn->start.n)
			n = 0; /* a literal without a gate: not gated */
	}
	if (n == 0) {
		free(g);
		free(bytes);
		return false;
	}
	rn->gated = g;
	rn->n_gated = n;
	rn->exact_bytes = bytes;
	return true;
}

/* True when LINE holds one of RN's gated literals: each is compared
 * where each place of its gate puts it. */
static bool gated_in(const struct rule_needles *rn, struct th_span line)
{
	for (size_t j = 0; j < rn->start.n; j++) {
		const struct needle *gate = &rn->start.v[j];
		for (const char *q = needle_find(gate, line, 0); q != NULL;
		     q = needle_find(gate, line, (size_t)(q - line.p) + 1)) {
			size_t pos = (size_t)(q - line.p);
			for (size_t i = 0; i < rn->n_gated; i++) {
				const struct gated *g = &rn->gated[i];
				if (g->gate == j && g->at <= pos &&
				    line.n - (pos - g->at) >= g->lit.n &&
				    memcmp(q - g->at, g->lit.p, g->lit.n) == 0)
					return true;
			}
		}
	}
	return false;
}

/* Lines up to this long are matched by a start pattern's literal run
 * (struct th_literal_run) without PCRE2, which would give up on none of
 * them: it tries the run at each place of the first literal and steps
 * back over it byte by byte, some LINE.n squared steps at worst, far
 * below TH_REGEX_MATCH_LIMIT at this length; a longer line runs the
 * pattern, so a limit it hits is counted as before. */
#define RUN_MAX_LINE 512

/* Where RN's literal run first matches LINE (struct th_literal_run): true,
 * and the match and its group in OV[0..3]. */
static bool run_match(const struct rule_needles *rn, struct th_span line,
		      PCRE2_SIZE *ov)
{
	const struct th_literal_run *lr = &rn->run;
	const char *end = line.p + line.n;
	for (const char *a = needle_find(&rn->run_before, line, 0); a != NULL;
	     a = needle_find(&rn->run_before, line, (size_t)(a - line.p) + 1)) {
		const char *from = a + lr->before.n;
		const char *stop = memchr(from, lr->stop, (size_t)(end - from));
		if (stop == NULL)
			return false; /* nor after a later place of A */
		if (stop > from && (size_t)(end - stop) >= lr->after.n &&
		    memcmp(stop, lr->after.p, lr->after.n) == 0) {
			ov[0] = (size_t)(a - line.p);
			ov[1] = (size_t)(stop - line.p) + lr->after.n;
			ov[2] = (size_t)(from - line.p);
			ov[3] = (size_t)(stop - line.p);
			return true;
		}
	}
	return false;
}

/* Sets up RN's literal run for RULE's start pattern when it is one
 * (struct th_literal_run): its one group, numbered 1, is its one named
 * group. */
static void start_run_init(struct rule_needles *rn, const struct rule *rule)
{
	const struct regex *re = &rule->start;
	uint32_t groups = 0;
	if (re->src == NULL || re->n_groups != 1 || re->groups[0].group != 1 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &groups) !=
		0 ||
	    groups != 1)
		return;
	char *bytes = xmalloc(re->n + 1);
	if (!rules_literal_run((struct th_span){re->src, re->n}, bytes, re->n,
			       &rn->run)) {
		free(bytes);
		return;
	}
	rn->has_run = true;
	rn->run_bytes = bytes;
	rn->run_before = needle_of(rn->run.before);
}

/* Whether RE is anchored at the start: pcre2 says so of a pattern whose
 * every branch starts with "^" or "\\A". Such a pattern is tried at the
 * start of a line only. */
static enum first_state first_state_of(const struct regex *re)
{
	uint32_t options = 0;
	return re->code != NULL &&
		       pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS,
					  &options) == 0 &&
		       (options & PCRE2_ANCHORED) != 0
		   ? FIRST_COUNTING
		   : FIRST_ANY;
}

/* Sets FB's bits to the first bytes of anchored RE's matches: it is
 * asked of each byte B alone, with PCRE2_PARTIAL_HARD. A line that begins
 * with B can match only when the one byte B matches or runs out while
 * matching (pcre2partial(3); the optimizations that fail a subject for
 * being short are off then), so a no-match for B rules out every line
 * beginning with it; an error keeps B. */
static void first_bytes_find(struct first_bytes *fb, const struct regex *re)
{
	pcre2_match_data *md =
	    pcre2_match_data_create_from_pattern(re->code, NULL);
	if (md == NULL)
		die("out of memory (regex match data)");
	for (unsigned b = 0; b < 256; b++) {
		unsigned char c = (unsigned char)b;
		int rc = pcre2_match(re->code, &c, 1, 0, PCRE2_PARTIAL_HARD, md,
				     NULL);
		if (rc != PCRE2_ERROR_NOMATCH)
			fb->bits[b / 64] |= (uint64_t)1 << (b % 64);
	}
	pcre2_match_data_free(md);
	fb->state = FIRST_KNOWN;
}

/* False when a match of RE, with first bytes FB, cannot begin LINE. An
 * empty line is left to the pattern. */
static inline bool first_byte_may_match(struct first_bytes *fb,
					const struct regex *re,
					struct th_span line)
{
	if (fb->state == FIRST_ANY || line.n == 0)
		return true;
	if (fb->state == FIRST_COUNTING) {
		if (++fb->runs < FIRST_BYTES_AFTER)
			return true;
		first_bytes_find(fb, re);
	}
	unsigned char c = (unsigned char)line.p[0];
	return (fb->bits[c / 64] >> (c % 64) & 1) != 0;
}

static void rule_needles_init(struct rule_needles *rn, const struct rule *rule)
{
	size_t n_lits = rule->n_literal > 0 ? rule->n_literal : rule->n_derived;
	if (!start_exact_init(rn, rule, n_lits)) {
		rn->start =
		    rule->n_literal > 0
			? needles_of(rule->literal, rule->n_literal)
			: needles_of(rule->derived_lits, rule->n_derived);
		start_gated_init(rn, rule);
	}
	start_run_init(rn, rule);
	rn->slow_callback = is_slow_callback_start(&rule->start);
	size_t room = 0;
	for (size_t k = 0; k < rule->n_extract; k++)
		if (!rule->extract[k].is_builtin)
			room += rule->extract[k].re.n;
	rn->derived = xmalloc(room + 1);
	rn->steps = xcalloc(rule->n_extract + 1, sizeof *rn->steps);
	room = 0;
	for (size_t k = 0; k < rule->n_extract; k++) {
		const struct extract *x = &rule->extract[k];
		struct extract_step *st = &rn->steps[k];
		st->x = x;
		st->builtin = x->is_builtin;
		if (x->is_builtin) {
			st->fact = x->builtin;
			st->field = x->field;
			st->fields = field_bit(x->field);
			continue;
		}
		st->lines = x->lines;
		st->fields = regex_fields(&x->re);
		st->needles = extract_needles(&x->re, rn->derived + room);
		st->repr = (unsigned char)repr_kind_of(&x->re);
		st->exception_line = is_exception_line(&x->re);
		st->first.state = first_state_of(&x->re);
		room += x->re.n;
	}
}

static void rule_needles_fini(struct rule_needles *rn, const struct rule *rule)
{
	free(rn->start.v);
	free(rn->exact_bytes);
	free(rn->gated);
	free(rn->run_bytes);
	for (size_t k = 0; k < rule->n_extract; k++)
		free(rn->steps[k].needles.v);
	free(rn->steps);
	free(rn->derived);
}

/* Whether pattern RE may match caselessly: it sets the option, or its
 * text has an option setting with an 'i' ("(?i)", "(?mi:", "(?^i)"), or
 * something that only looks like one. */
static bool may_be_caseless(const struct regex *re, uint32_t options)
{
	if ((options & PCRE2_CASELESS) != 0)
		return true;
	const char *p = re->src, *end = re->src + re->n;
	while ((p = memmem(p, (size_t)(end - p), "(?", 2)) != NULL) {
		for (p += 2; p < end && (th_is_letter((unsigned char)*p) ||
					 *p == '^' || *p == '-');
		     p++)
			if (*p == 'i')
				return true;
	}
	return false;
}

/* Adds to BITS the bytes a match of start pattern RE can begin with,
 * and raises *MARGIN to what it looks back (struct start_cut); false
 * when they are not known. */
static bool cut_add_pattern(uint64_t *bits, size_t *margin,
			    const struct regex *re)
{
	uint32_t options = 0, empty = 1, behind = 0, type = 0, unit = 0;
	const uint8_t *map = NULL;
	if (re->code == NULL || re->src == NULL ||
	    memmem(re->src, re->n, "(*", 2) != NULL ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS, &options) !=
		0 ||
	    (options & PCRE2_ANCHORED) != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_MATCHEMPTY, &empty) != 0 ||
	    empty != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_MAXLOOKBEHIND, &behind) !=
		0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODETYPE, &type) != 0)
		return false;
	if (type == 1 &&
	    pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODEUNIT, &unit) ==
		0 &&
	    unit < 256) {
		/* PCRE2 gives a caseless first unit in one case only */
		bits[unit / 64] |= (uint64_t)1 << (unit % 64);
		if (th_is_letter((unsigned char)unit) &&
		    may_be_caseless(re, options))
			bits[(unit ^ 0x20) / 64] |= (uint64_t)1
						    << ((unit ^ 0x20) % 64);
	} else if (type == 0 &&
		   pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTBITMAP, &map) ==
		       0 &&
		   map != NULL) {
		for (unsigned b = 0; b < 256; b++)
			if (map[b / 8] >> (b % 8) & 1)
				bits[b / 64] |= (uint64_t)1 << (b % 64);
	} else {
		return false;
	}
	if (behind + 1 > *margin)
		*margin = behind + 1;
	return true;
}

/* Sets up C for R's enabled rules (struct start_cut). */
static void cut_init(struct start_cut *c, const struct th_rules *r)
{
	for (size_t i = 0; i < r->n_active && !c->whole; i++)
		c->whole =
		    !cut_add_pattern(c->bits, &c->margin, &r->active[i]->start);
	for (unsigned b = 0; b < 256; b++)
		if (c->bits[b / 64] >> (b % 64) & 1) {
			uint8_t *t = b < 128 ? c->lo : c->hi;
			t[b % 16] |= (uint8_t)(1u << (b / 16 % 8));
		}
#ifdef TH_X86_64
	c->vector = __builtin_cpu_supports("avx2");
#endif
}

#ifdef TH_X86_64
/* Bit I of the result: whether byte I of V is in the set of LO and HI
 * (struct start_cut): the byte's row by its low four bits (from HI when
 * its top bit is set), and in the row the bit of its high four. */
__attribute__((target("avx2"))) static inline uint32_t
cut_block(__m256i v, __m256i lo, __m256i hi)
{
	const __m256i bit = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2,
					     4, 8, 16, 32, 64, -128, 1, 2, 4, 8,
					     16, 32, 64, -128, 1, 2, 4, 8, 16,
					     32, 64, -128),
		      nibble = _mm256_set1_epi8(0x0f);
	__m256i l = _mm256_and_si256(v, nibble);
	__m256i h = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
	__m256i row = _mm256_blendv_epi8(_mm256_shuffle_epi8(lo, l),
					 _mm256_shuffle_epi8(hi, l), v);
	__m256i b = _mm256_shuffle_epi8(bit, h);
	return (uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(_mm256_and_si256(row, b), b));
}

/* cut_first by AVX2, 32 bytes a step, the last step moved back to end
 * where the line does (its bytes seen before masked off); a shorter
 * line in a copy, the bytes past it masked off. */
__attribute__((target("avx2"))) static size_t
cut_first_avx2(const struct start_cut *c, struct th_span line)
{
	const __m256i lo = _mm256_broadcastsi128_si256(
			  _mm_loadu_si128((const __m128i *)c->lo)),
		      hi = _mm256_broadcastsi128_si256(
			  _mm_loadu_si128((const __m128i *)c->hi));
	if (line.n < 32) {
		char pad[32] = {0};
		if (line.n > 0)
			memcpy(pad, line.p, line.n);
		uint32_t in =
		    cut_block(_mm256_loadu_si256((const __m256i *)pad), lo,
			      hi) &
		    ((1u << line.n) - 1);
		return in != 0 ? (size_t)__builtin_ctz(in) : line.n;
	}
	size_t i = 0;
	for (; line.n - i >= 32; i += 32) {
		uint32_t in = cut_block(
		    _mm256_loadu_si256((const __m256i *)(line.p + i)), lo, hi);
		if (in != 0)
			return i + (size_t)__builtin_ctz(in);
	}
	if (i == line.n)
		return line.n;
	uint32_t in = cut_block(
	    _mm256_loadu_si256((const __m256i *)(line.p + line.n - 32)), lo,
	    hi);
	in >>= 32 - (line.n - i); /* the bytes from I on */
	return in != 0 ? i + (size_t)__builtin_ctz(in) : line.n;
}
#endif

/* Where in LINE the first byte of C's set is, or LINE.n. */
static size_t cut_first(const struct start_cut *c, struct th_span line)
{
#ifdef TH_X86_64
	if (c->vector)
		return cut_first_avx2(c, line);
#endif
	for (size_t i = 0; i < line.n; i++) {
		unsigned char b = (unsigned char)line.p[i];
		if (c->bits[b / 64] >> (b % 64) & 1)
			return i;
	}
	return line.n;
}

/* Where the memo's key of LINE begins (struct start_cut). */
static size_t start_cut_at(const struct start_cut *c, struct th_span line)
{
	/* most lines either start with such a byte or carry a time stamp */
	if (c->whole || line.n == 0 ||
	    (c->bits[(unsigned char)line.p[0] / 64] >>
		 ((unsigned char)line.p[0] % 64) &
	     1) != 0)
		return 0;
	size_t k = cut_first(c, line);
	return k > c->margin ? k - c->margin : 0;
}

/* The bit of byte C in RB, taking the next free one for a new byte;
 * 0 when C is NUL or no bit is left. */
static unsigned rare_bit(struct rare_bytes *rb, unsigned char c)
{
	for (size_t k = 0; k < rb->n; k++)
		if (rb->byte[k] == c)
			return 1u << k;
	if (c == 0 || rb->n == RARE_BITS)
		return 0;
	rb->byte[rb->n] = c;
	rb->lo[c & 15] |= (uint8_t)(1u << rb->n);
	rb->hi[c >> 4] |= (uint8_t)(1u << rb->n);
	return 1u << rb->n++;
}

/* The bits of RN's start needles' rare bytes, or 0 when some needle has
 * none (or there is no needle: the pattern runs on every line). */
static unsigned rule_rare_bits(struct rare_bytes *rb,
			       const struct rule_needles *rn)
{
	unsigned bits = 0;
	for (size_t j = 0; j < rn->start.n; j++) {
		const struct needle *nd = &rn->start.v[j];
		unsigned bit =
		    nd->lit.n > 0
			? rare_bit(rb, (unsigned char)nd->lit.p[nd->rare])
			: 0;
		if (bit == 0)
			return 0;
		bits |= bit;
	}
	return bits;
}

/* Gives M's rules their rare bytes' bits, in rule order. */
static void rare_init(struct th_matcher *m)
{
	struct rare_bytes *rb = &m->rare;
#ifdef TH_X86_64
	rb->vector = __builtin_cpu_supports("avx2");
#endif
	for (size_t i = 0; i < m->r->n_active; i++)
		m->needles[i].rare =
		    rb->vector ? rule_rare_bits(rb, &m->needles[i]) : 0;
}

struct th_matcher *matcher_new(const struct th_rules *r)
{
	if (!r->ready)
		die("rules: matcher_new before a successful rules_finish");
	struct th_matcher *m = xcalloc(1, sizeof *m);
	m->r = r;
	m->md = pcre2_match_data_create(r->max_pairs, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	if (m->md == NULL || m->mctx == NULL)
		die("out of memory (regex match data)");
	pcre2_set_match_limit(m->mctx, TH_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, TH_REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mctx, TH_REGEX_HEAP_LIMIT_KIB);
	/* The default JIT stack (32 KiB) is too small for some patterns on
	 * long lines; NULL here just means no JIT. */
	m->jit = pcre2_jit_stack_create(32 * 1024, TH_REGEX_JIT_STACK, NULL);
	if (m->jit != NULL)
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit);
	m->text_cap = 4096;
	m->text = xmalloc(m->text_cap);
	m->seen.rule = -1;
	m->seen.ov = xcalloc(2 * (size_t)r->max_pairs, sizeof *m->seen.ov);
	m->needles = xcalloc(r->n_active, sizeof *m->needles);
	for (size_t i = 0; i < r->n_active; i++)
		rule_needles_init(&m->needles[i], r->active[i]);
	rare_init(m);
	cut_init(&m->cut, r);
	return m;
}

void matcher_free(struct th_matcher *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jit);
	free(m->text);
	free(m->cand);
	free(m->memo);
	for (size_t i = 0; i < m->r->n_active; i++)
		rule_needles_fini(&m->needles[i], m->r->active[i]);
	free(m->needles);
	free(m->seen.text);
	free(m->seen.ov);
	free(m);
}

size_t rules_match_errors(const struct th_matcher *m)
{
	return m->match_errors;
}

static void cand_add(struct th_matcher *m, size_t rule)
{
	XGROW(m->cand, m->cand_cap, m->n_cand + 1, 64);
	m->cand[m->n_cand++] = rule;
}

/* The rules whose start pattern may match LINE, in M->cand in rule order
 * without repeats: those of every literal LINE holds (a rule's literals
 * are in every line its start matches: patterns/README.md, "Literals")
 * and those without a literal. */
static void candidates(struct th_matcher *m, struct th_span line)
{
	const struct th_rules *r = m->r;
	m->n_cand = 0;
	for (size_t i = 0; i < r->n_no_lit_rules; i++)
		cand_add(m, r->no_lit_rules[i]);
	for (size_t k = 0; k < r->n_lit_lengths && r->lit_lengths[k] <= line.n;
	     k++)
		for (size_t o = 0; o + r->lit_lengths[k] <= line.n; o++) {
			struct th_span s = {line.p + o, r->lit_lengths[k]};
			size_t e;
			if (!spanmap_get(&r->lit_index, s, &e))
				continue;
			for (; e != SIZE_MAX; e = r->lit_rules[e].next)
				cand_add(m, r->lit_rules[e].rule);
		}
	m->n_cand = rules_sort_unique(m->cand, m->n_cand);
}

#ifdef TH_X86_64
/* The bits of the rare bytes among the 32 bytes V (struct rare_bytes). */
__attribute__((target("avx2"))) static inline __m256i
rare_block(__m256i v, __m256i lo, __m256i hi)
{
	const __m256i nibble = _mm256_set1_epi8(0x0f);
	__m256i l = _mm256_and_si256(v, nibble);
	__m256i h = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
	return _mm256_and_si256(_mm256_shuffle_epi8(lo, l),
				_mm256_shuffle_epi8(hi, h));
}

/* rare_in by AVX2: 32 bytes a step, the last step moved back to end
 * where the line does (bytes seen twice count once); a shorter line in a
 * copy padded with NUL, which takes no bit. */
__attribute__((target("avx2"))) static unsigned
rare_in_avx2(const struct rare_bytes *rb, struct th_span line)
{
	__m256i lo = _mm256_broadcastsi128_si256(
	    _mm_loadu_si128((const __m128i *)rb->lo));
	__m256i hi = _mm256_broadcastsi128_si256(
	    _mm_loadu_si128((const __m128i *)rb->hi));
	__m256i acc = _mm256_setzero_si256();
	if (line.n < 32) {
		char pad[32] = {0};
		if (line.n > 0)
			memcpy(pad, line.p, line.n);
		acc = rare_block(_mm256_loadu_si256((const __m256i *)pad), lo,
				 hi);
	} else {
		size_t i = 0;
		for (; line.n - i >= 32; i += 32)
			acc = _mm256_or_si256(
			    acc, rare_block(_mm256_loadu_si256(
						(const __m256i *)(line.p + i)),
					    lo, hi));
		if (i < line.n)
			acc = _mm256_or_si256(
			    acc, rare_block(_mm256_loadu_si256(
						(const __m256i *)(line.p +
								  line.n - 32)),
					    lo, hi));
	}
	__m128i x = _mm_or_si128(_mm256_castsi256_si128(acc),
				 _mm256_extracti128_si256(acc, 1));
	x = _mm_or_si128(x, _mm_srli_si128(x, 8));
	uint64_t w = (uint64_t)_mm_cvtsi128_si64(x);
	w |= w >> 32;
	w |= w >> 16;
	w |= w >> 8;
	return (unsigned)(w & 0xff);
}
#endif

/* The bits (struct rare_bytes) of the rare bytes LINE holds: every bit
 * when the machine cannot tell them by a vector pass. */
static unsigned rare_in(const struct rare_bytes *rb, struct th_span line)
{
#ifdef TH_X86_64
	if (rb->vector)
		return rare_in_avx2(rb, line);
#else
	(void)rb;
	(void)line;
#endif
	return ~0u;
}

/* True when rule I's start pattern matches LINE, which holds the rare
 * bytes PRESENT: not when LINE lacks all its needles; when they are the pattern
 * (exact), when it holds one; else when the pattern matches. (A candidate of
 * the index holds one of the rule's literals, which need not be an exact rule's
 * needles.) */
static inline __attribute__((always_inline)) bool
rule_starts(struct th_matcher *m, size_t i, struct th_span line,
	    unsigned present)
{
	const struct rule_needles *rn = &m->needles[i];
	if ((rn->rare & present) == 0 && rn->rare != 0)
		return false; /* not one needle's rare byte is there */
	if (rn->n_gated > 0 && line.n <= EXACT_MAX_LINE)
		return gated_in(rn, line);
	/* a literal run and the slow callback reader look for their
	 * literals themselves: the needles would only find them twice */
	if (rn->has_run && line.n <= RUN_MAX_LINE) {
		PCRE2_SIZE ov[4];
		if (!run_match(rn, line, ov))
			return false;
		seen_set(m, i, line, ov, 2);
		return true;
	}
	if (rn->slow_callback) {
		enum repr_result r = slow_callback_match(line);
		if (r != REPR_UNSURE)
			return r == REPR_YES;
	}
	if (needles_rule_out(&rn->start, line))
		return false;
	return (rn->exact && line.n <= EXACT_MAX_LINE) ||
	       start_matches(m, i, line);
}

/* rules_match_start without the memo. */
static long match_start(struct th_matcher *m, struct th_span line)
{
	const struct th_rules *r = m->r;
	unsigned present = rare_in(&m->rare, line);
	if (r->n_active <= INDEX_MIN_RULES) {
		for (size_t i = 0; i < r->n_active; i++)
			if (rule_starts(m, i, line, present))
				return (long)i;
		return -1;
	}
	candidates(m, line);
	for (size_t i = 0; i < m->n_cand; i++)
		if (rule_starts(m, m->cand[i], line, present))
			return (long)m->cand[i];
	return -1;
}

/* A hash of KEY (1 to START_MEMO_TEXT bytes) for the memo: its length
 * and three words, at both ends and the middle, mixed by a multiply.
 * A key that hashes like another only shares a slot with it, so a hash
 * of a few loads (XXH3 cost 60 instructions a line) does. */
static uint64_t memo_hash(struct th_span key)
{
	uint64_t a = 0, b = 0, c = 0;
	if (key.n >= 8) {
		memcpy(&a, key.p, 8);
		memcpy(&b, key.p + key.n / 2 - 4, 8);
		memcpy(&c, key.p + key.n - 8, 8);
	} else {
		memcpy(&a, key.p, key.n);
	}
	uint64_t h = (a ^ (b << 21 | b >> 43) ^ (c << 42 | c >> 22) ^ key.n) *
		     0x9E3779B97F4A7C15u;
	return h >> 32; /* the bits the multiply mixed best */
}

/* The slot of M's memo for KEY, or NULL when KEY is too long to keep. */
static struct start_memo *memo_slot(struct th_matcher *m, struct th_span key)
{
	if (key.n == 0 || key.n > START_MEMO_TEXT)
		return NULL;
	if (m->memo == NULL)
		m->memo = xcalloc(START_MEMO_SLOTS, sizeof *m->memo);
	return &m->memo[memo_hash(key) & (START_MEMO_SLOTS - 1)];
}

/* Keeps in SLOT that KEY, the part of LINE from CUT on, starts RULE,
 * and, when M remembers that rule's groups on LINE (struct start_seen),
 * where they are in KEY. */
static void memo_keep(struct th_matcher *m, struct start_memo *slot,
		      struct th_span key, long rule, struct th_span line,
		      size_t cut)
{
	slot->n = key.n;
	slot->rule = rule;
	memcpy(slot->text, key.p, key.n);
	slot->pairs = 0;
	const struct start_seen *v = &m->seen;
	if (rule < 0 || !seen_is(m, (size_t)rule, line) ||
	    v->pairs > START_MEMO_PAIRS)
		return;
	for (uint32_t i = 0; i < 2 * v->pairs; i++) {
		PCRE2_SIZE o = v->ov[i];
		if (o == PCRE2_UNSET)
			slot->ov[i] = START_MEMO_UNSET;
		else if (o >= cut && o - cut <= key.n)
			slot->ov[i] = (uint8_t)(o - cut);
		else
			return; /* not in the key (a \K, say): not kept */
	}
	slot->pairs = v->pairs;
}

/* Makes M remember SLOT's groups of rule SLOT->rule on LINE, whose key
 * begins at CUT (struct start_seen), as if its pattern had just run. */
static void memo_seen(struct th_matcher *m, const struct start_memo *slot,
		      struct th_span line, size_t cut)
{
	struct start_seen *v = &m->seen;
	if (line.n > v->cap) {
		v->cap = line.n;
		v->text = xrealloc(v->text, v->cap);
	}
	memcpy(v->text, line.p, line.n);
	v->n = line.n;
	for (uint32_t i = 0; i < 2 * slot->pairs; i++)
		v->ov[i] = slot->ov[i] == START_MEMO_UNSET ? PCRE2_UNSET
							   : cut + slot->ov[i];
	v->pairs = slot->pairs;
	v->rule = slot->rule;
}

/* rules_match_start for a LINE not in the memo: the answer, kept in SLOT
 * (when not NULL) under KEY, LINE from CUT on. Apart, so that a line
 * found in the memo pays for none of the registers this path needs. */
__attribute__((noinline)) static long
start_not_kept(struct th_matcher *m, struct th_span line,
	       struct start_memo *slot, struct th_span key, size_t cut)
{
	size_t errors = m->match_errors;
	long rule = match_start(m, line);
	/* a pattern that gave up at a limit is run (and counted) again */
	if (slot != NULL && m->match_errors == errors)
		memo_keep(m, slot, key, rule, line, cut);
	return rule;
}

long rules_match_start(struct th_matcher *m, struct th_span line)
{
	size_t cut = start_cut_at(&m->cut, line);
	struct th_span key = {line.p + cut, line.n - cut};
	struct start_memo *slot = memo_slot(m, key);
	if (slot == NULL || slot->n != key.n ||
	    memcmp(slot->text, key.p, key.n) != 0)
		return start_not_kept(m, line, slot, key, cut);
	if (slot->pairs > 0)
		memo_seen(m, slot, line, cut);
	return slot->rule;
}

/* Whether extract step ST's regex matches LINE; on a match the fields
 * of its groups not in *SET are set in EV and added to *SET. A task
 * repr is read by repr_match, which finds its opening as fast as the
 * needles would: they are only looked for when it leaves the line to
 * the regex. */
static bool extract_line(struct th_matcher *m, struct extract_step *st,
			 struct th_span line, struct th_event *ev,
			 field_bits *set)
{
	const struct regex *re = &st->x->re;
	if (st->repr != REPR_NONE) {
		PCRE2_SIZE ov[2 * REPR_PAIRS];
		enum repr_result r =
		    repr_match((enum repr_kind)st->repr, line, ov);
		if (r == REPR_YES)
			*set = groups_set_fields(ov, REPR_PAIRS, re, line, ev,
						 *set);
		if (r != REPR_UNSURE)
			return r == REPR_YES;
	}
	if (st->exception_line) {
		PCRE2_SIZE ov[2 * EXCEPTION_PAIRS];
		enum repr_result r = exception_line_match(line, ov);
		if (r == REPR_YES)
			*set = groups_set_fields(ov, EXCEPTION_PAIRS, re, line,
						 ev, *set);
		if (r != REPR_UNSURE)
			return r == REPR_YES;
	}
	if (!first_byte_may_match(&st->first, re, line) ||
	    needles_rule_out(&st->needles, line) || !regex_match(m, re, line))
		return false;
	*set = regex_set_fields(m, re, line, ev, *set);
	return true;
}

/* Runs regex step ST on EV: its fields from the first line of its range
 * where it matches. Returns SET (EV's set fields) with those. */
static field_bits extract_regex(struct th_matcher *m, struct extract_step *st,
				struct th_event *ev, field_bits set)
{
	size_t n = event_line_count(ev);
	size_t i = st->lines == RANGE_FOLLOWING ? 1 : 0;
	size_t end = st->lines == RANGE_START && n > 1 ? 1 : n;
	for (; i < end; i++)
		if (extract_line(m, st, event_line(ev, i), ev, &set))
			break;
	return set;
}

void rules_extract(struct th_matcher *m, struct th_event *ev,
		   const struct th_facts *facts)
{
	if (ev->rule >= m->r->n_active)
		die("rules: rule index %zu out of range", ev->rule);
	const struct rule *rule = m->r->active[ev->rule];
	field_bits set = fields_set_in(ev);
	if (event_line_count(ev) > 0 && rule->start.n_groups > 0) {
		struct th_span first = event_line(ev, 0);
		const struct rule_needles *rn = &m->needles[ev->rule];
		PCRE2_SIZE ov[4];
		if (seen_is(m, ev->rule, first))
			set = groups_set_fields(m->seen.ov, m->seen.pairs,
						&rule->start, first, ev, set);
		else if (rn->has_run && first.n <= RUN_MAX_LINE) {
			if (run_match(rn, first, ov))
				set = groups_set_fields(ov, 2, &rule->start,
							first, ev, set);
		} else if (regex_match(m, &rule->start, first))
			set = regex_set_fields(m, &rule->start, first, ev, set);
	}
	struct extract_step *st = m->needles[ev->rule].steps;
	for (struct extract_step *end = st + rule->n_extract; st < end; st++) {
		/* a builtin copies its fact; a regex none of whose fields is
		 * left to set is not run */
		if ((st->fields & ~set) == 0)
			continue;
		if (!st->builtin) {
			set = extract_regex(m, st, ev, set);
			continue;
		}
		struct th_span v =
		    facts ? facts->value[st->fact] : (struct th_span){NULL, 0};
		if (v.p != NULL && v.n > 0) {
			event_set(ev, st->field, v);
			set |= st->fields;
		}
	}
}

/* EV's text in M's buffer (grown to fit: an event's size is bounded). */
static struct th_span event_text_span(struct th_matcher *m,
				      const struct th_event *ev)
{
	size_t need = event_text(ev, m->text, m->text_cap);
	if (need >= m->text_cap) {
		m->text_cap = need + 1;
		m->text = xrealloc(m->text, m->text_cap);
		need = event_text(ev, m->text, m->text_cap);
	}
	return (struct th_span){m->text, need};
}

/* True when every condition of ignore rule G holds for EV. *TEXT is EV's
 * text once some condition needed it (p == NULL before). */
static bool ignore_drops(struct th_matcher *m, const struct ignore *g,
			 const struct th_event *ev, struct th_span *text)
{
	if (g->n_refs > 0) {
		size_t i = 0;
		while (i < g->n_active_rules && g->active_rules[i] != ev->rule)
			i++;
		if (i == g->n_active_rules)
			return false;
	}
	for (size_t f = 0; f < TH_F_COUNT; f++) {
		const struct regex *re = &g->cond[f];
		if (re->src != NULL &&
		    (!event_has(ev, (enum th_field)f) ||
		     !regex_match(m, re, event_get(ev, (enum th_field)f))))
			return false;
	}
	if (g->cond[COND_TEXT].src == NULL)
		return true;
	if (text->p == NULL)
		*text = event_text_span(m, ev);
	return regex_match(m, &g->cond[COND_TEXT], *text);
}

/* rules_ignored once there are ignore rules. */
__attribute__((noinline)) static long first_ignore(struct th_matcher *m,
						   const struct th_event *ev)
{
	struct th_span text = {NULL, 0};
	for (size_t i = 0; i < m->r->n_active_ignores; i++)
		if (ignore_drops(m, m->r->active_ignores[i], ev, &text))
			return (long)i;
	return -1;
}

long rules_ignored(struct th_matcher *m, const struct th_event *ev)
{
	/* Most rule sets have none: the frame of the loop above, set up
	 * for every event, cost more than the question. */
	return m->r->n_active_ignores == 0 ? -1 : first_ignore(m, ev);
}

/* After a match of prefix pattern RE on S: what the first group for PART
 * that took part in the match captured, or p == NULL when none did. */
static struct th_span part_span(const struct th_matcher *m,
				const struct regex *re, enum part part,
				struct th_span s)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	uint32_t pairs = pcre2_get_ovector_count(m->md);
	const char *base = s.p != NULL ? s.p : "";
	for (size_t i = 0; i < re->n_groups; i++) {
		uint32_t g = re->groups[i].group;
		if (re->groups[i].slot != part || g >= pairs)
			continue;
		PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
		if (a != PCRE2_UNSET && a <= b && b <= s.n)
			return (struct th_span){base + a, b - a};
	}
	return (struct th_span){NULL, 0};
}

/* An empty time or source is none, as an empty field is unset. */
static struct th_span non_empty(struct th_span s)
{
	return s.n > 0 ? s : (struct th_span){NULL, 0};
}

bool rules_match_prefix(struct th_matcher *m, struct th_span line,
			struct th_prefix_match *out)
{
	*out = (struct th_prefix_match){{NULL, 0}, {NULL, 0}, {NULL, 0}, NULL};
	for (size_t i = 0; i < m->r->n_active_prefixes; i++) {
		const struct prefix *p = m->r->active_prefixes[i];
		if (!regex_match(m, &p->re, line))
			continue;
		struct th_span msg = part_span(m, &p->re, PART_MESSAGE, line);
		if (msg.p == NULL)
			continue; /* its message group was in another branch */
		out->message = msg;
		out->time = non_empty(part_span(m, &p->re, PART_TIME, line));
		out->source =
		    non_empty(part_span(m, &p->re, PART_SOURCE, line));
		out->time_format = p->time_format;
		return true;
	}
	return false;
}
