/* rules_literal.c - derive fast-path literals from a start pattern.
 *
 * Owns:        nothing; works on the caller's buffers.
 *
 * The fast path only looks at lines that contain one of a rule's literals,
 * so a literal that is missing from some line the pattern matches loses
 * events. Everything here therefore errs towards "no literal": a construct
 * that is not understood ends the current run of literal characters, and
 * one whose effect on the whole pattern is unclear ((*VERB)s, case-less or
 * extended option settings) gives up on the pattern.
 *
 * The idea: a top-level alternative is a sequence of items that must all
 * match one after the other, so consecutive plain characters at the top
 * level (not inside a group or class, not followed by a quantifier) appear
 * verbatim in every match of that alternative.
 */
#include <string.h>

#include "rules.h"

struct scan {
	const char *p;
	size_t n;
	bool give_up; /* the pattern is beyond this scanner: no literal */
};

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Index just past the first CLOSE at or after I; gives up (and returns N)
 * when there is none, which PCRE2 would reject anyway. */
static size_t skip_past(struct scan *s, size_t i, char close)
{
	const char *q = memchr(s->p + i, close, s->n - i);
	if (q == NULL) {
		s->give_up = true;
		return s->n;
	}
	return (size_t)(q - s->p) + 1;
}

/* Index just past "\E" at or after I, or N: the end of a \Q...\E quote. */
static size_t skip_quote(const struct scan *s, size_t i)
{
	for (; i + 1 < s->n; i++)
		if (s->p[i] == '\\' && s->p[i + 1] == 'E')
			return i + 2;
	return s->n;
}

/* Arguments of an escape letter C whose argument starts at I: returns the
 * index after them. Consuming too much only loses literal characters,
 * consuming too little would invent some, so digit runs are taken whole. */
static size_t escape_args(struct scan *s, char c, size_t i)
{
	const char *p = s->p;
	bool braced = i < s->n && p[i] == '{';
	switch (c) {
	case 'x':
	case 'o':
	case 'p':
	case 'P':
	case 'N':
		if (braced)
			return skip_past(s, i, '}');
		if (c == 'p' || c == 'P')
			return i < s->n ? i + 1 : i;
		while (i < s->n && is_alnum((unsigned char)p[i]))
			i++;
		return i;
	case 'c': return i < s->n ? i + 1 : i;
	case 'g':
	case 'k':
		if (i < s->n && (p[i] == '{' || p[i] == '<' || p[i] == '\''))
			return skip_past(s, i + 1,
					 p[i] == '{'   ? '}'
					 : p[i] == '<' ? '>'
						       : '\'');
		if (i < s->n && (p[i] == '+' || p[i] == '-'))
			i++;
		break;
	default:
		if (!th_is_digit((unsigned char)c))
			return i;
	}
	while (i < s->n && th_is_digit((unsigned char)p[i]))
		i++;
	return i;
}

/* The escape at I (p[I] == '\\'). Returns the index after it and sets
 * *LITERAL when it stands for the single character p[I + 1]. */
static size_t skip_escape(struct scan *s, size_t i, bool *literal)
{
	*literal = false;
	if (i + 1 >= s->n) {
		s->give_up = true; /* a trailing backslash does not compile */
		return s->n;
	}
	unsigned char c = (unsigned char)s->p[i + 1];
	if (!is_alnum(c)) {
		*literal = true;
		return i + 2;
	}
	if (c == 'Q')
		return skip_quote(s, i + 2);
	return escape_args(s, (char)c, i + 2);
}

/* A POSIX class "[:name:]" (or "[.x.]", "[=x=]") inside a class at I;
 * returns the index after it, or I when there is none. */
static size_t skip_posix(const struct scan *s, size_t i)
{
	if (i + 1 >= s->n ||
	    (s->p[i + 1] != ':' && s->p[i + 1] != '.' && s->p[i + 1] != '='))
		return i;
	for (size_t j = i + 2; j + 1 < s->n; j++)
		if (s->p[j] == s->p[i + 1] && s->p[j + 1] == ']')
			return j + 2;
	return i;
}

/* The character class opening at I; returns the index after its "]". A
 * "]" right after "[" or "[^" is a member, not the end. */
static size_t skip_class(struct scan *s, size_t i)
{
	bool literal;
	size_t j = i + 1;
	if (j < s->n && s->p[j] == '^')
		j++;
	if (j < s->n && s->p[j] == ']')
		j++;
	while (j < s->n) {
		if (s->p[j] == ']')
			return j + 1;
		if (s->p[j] == '\\') {
			j = skip_escape(s, j, &literal);
		} else if (s->p[j] == '[') {
			size_t k = skip_posix(s, j);
			j = k > j ? k : j + 1;
		} else {
			j++;
		}
	}
	s->give_up = true;
	return s->n;
}

static bool is_option_char(unsigned char c)
{
	return c == '^' || c == '-' || (is_alnum(c) && !th_is_digit(c));
}

/* At "(?" + option letters + ")" or ":" starting at I: returns the number
 * of letters, with *CASELESS set when they touch i or x (which change what
 * a literal character matches, or what is literal at all); else 0. */
static size_t option_letters(const struct scan *s, size_t i, bool *caseless)
{
	*caseless = false;
	if (i + 2 >= s->n || s->p[i + 1] != '?')
		return 0;
	size_t j = i + 2;
	while (j < s->n && is_option_char((unsigned char)s->p[j])) {
		if (s->p[j] == 'i' || s->p[j] == 'x')
			*caseless = true;
		j++;
	}
	if (j >= s->n || (s->p[j] != ')' && s->p[j] != ':'))
		return 0;
	return j - (i + 2);
}

/* Checks the "(" at I for constructs that defeat the whole scan: a (*VERB)
 * (for one, (*ACCEPT) ends a match early, before text that looks required)
 * and "x" options, under which "#" comments can hide parentheses. TOP: the
 * group is at the top level, where "(?i)" changes the rest of the pattern. */
static void check_group_open(struct scan *s, size_t i, bool top)
{
	bool caseless;
	if (i + 1 < s->n && s->p[i + 1] == '*') {
		s->give_up = true;
		return;
	}
	size_t letters = option_letters(s, i, &caseless);
	if (letters == 0 || !caseless)
		return;
	bool scoped = s->p[i + 2 + letters] == ':';
	bool extended = memchr(s->p + i + 2, 'x', letters) != NULL;
	if (extended || (top && !scoped))
		s->give_up = true;
}

/* The group opening at I; returns the index after its ")". */
static size_t skip_group(struct scan *s, size_t i)
{
	bool literal;
	size_t depth = 0;
	size_t j = i;
	while (j < s->n && !s->give_up) {
		char c = s->p[j];
		if (c == '\\') {
			j = skip_escape(s, j, &literal);
			continue;
		}
		if (c == '[') {
			j = skip_class(s, j);
			continue;
		}
		if (c == '(' && j + 2 < s->n && s->p[j + 1] == '?' &&
		    s->p[j + 2] == '#') {
			j = skip_past(s, j, ')'); /* a comment may hold "(" */
			if (depth == 0)
				return j;
			continue;
		}
		if (c == '(') {
			check_group_open(s, j, j == i);
			depth++;
		} else if (c == ')' && --depth == 0) {
			return j + 1;
		}
		j++;
	}
	s->give_up = true;
	return s->n;
}

/* Length of the quantifier at I ("?", "*", "+", "{2}", "{2,}", "{2,5}",
 * each maybe followed by "?" or "+"), or 0. A "{" that is not a quantifier
 * is taken as one anyway when it looks close: that only drops characters. */
static size_t quantifier_len(const struct scan *s, size_t i)
{
	size_t j = i;
	if (j >= s->n)
		return 0;
	if (s->p[j] == '?' || s->p[j] == '*' || s->p[j] == '+') {
		j++;
	} else if (s->p[j] == '{') {
		j++;
		while (j < s->n && (th_is_digit((unsigned char)s->p[j]) ||
				    s->p[j] == ',' || s->p[j] == ' '))
			j++;
		if (j >= s->n || s->p[j] != '}')
			return 0;
		j++;
	} else {
		return 0;
	}
	if (j < s->n && (s->p[j] == '?' || s->p[j] == '+'))
		j++;
	return j - i;
}

/* Characters that are not plain literals at the top level. A NUL byte is
 * one as far as PCRE2 goes, but it is no use as a hint. */
static bool is_meta(unsigned char c)
{
	return c == '\0' || strchr("\\[(.^$)*+?{", c) != NULL;
}

/* The longest run found so far in one alternative, as offsets into the
 * output buffer. */
struct runs {
	char *out;
	size_t start; /* where the alternative's output begins */
	size_t w;     /* write position */
	size_t run;   /* where the current run begins */
	size_t best, best_n;
};

/* Ends the current run: keeps it when it is the longest yet, else drops
 * its bytes so the buffer never holds more than the pattern's length. */
static void run_end(struct runs *r)
{
	size_t n = r->w - r->run;
	if (n > r->best_n) {
		r->best = r->run;
		r->best_n = n;
	} else {
		r->w = r->run;
	}
	r->run = r->w;
}

/* Index after the non-literal item at I (escape, class, group, ".", "^",
 * "$", a stray "{", ...), including a quantifier that follows it. */
static size_t skip_item(struct scan *s, size_t i)
{
	bool literal;
	char c = s->p[i];
	size_t j;
	if (c == '\\')
		j = skip_escape(s, i, &literal);
	else if (c == '[')
		j = skip_class(s, i);
	else if (c == '(')
		j = skip_group(s, i);
	else
		j = i + 1;
	return j + quantifier_len(s, j);
}

/* Length of an item at I that PCRE2 ignores: a comment "(?#...)", a
 * stray "\E" or an empty quote "\Q\E"; 0 for anything else. A quantifier
 * after one applies to the item before it ("c(?#x)*" is "c*"). */
static size_t transparent_len(struct scan *s, size_t i)
{
	const char *p = s->p + i;
	size_t left = s->n - i;
	if (left >= 3 && p[0] == '(' && p[1] == '?' && p[2] == '#')
		return skip_past(s, i, ')') - i;
	if (left >= 2 && p[0] == '\\' && p[1] == 'E')
		return 2;
	if (left >= 4 && memcmp(p, "\\Q\\E", 4) == 0)
		return 4;
	return 0;
}

/* Scans one top-level alternative from I to its "|" or the end; returns
 * the index of that "|" (or N), with its longest run left in R. */
static size_t scan_alternative(struct scan *s, size_t i, struct runs *r)
{
	while (i < s->n && !s->give_up && s->p[i] != '|') {
		size_t t = transparent_len(s, i);
		if (t > 0) {
			size_t q = quantifier_len(s, i + t);
			if (q > 0 && r->w > r->run) {
				r->w--; /* the quantified character */
				run_end(r);
			}
			i += t + q;
			continue;
		}
		bool literal = !is_meta((unsigned char)s->p[i]);
		size_t next = i + 1;
		if (s->p[i] == '\\') {
			next = skip_escape(s, i, &literal);
			if (!literal)
				next = i; /* skip_item takes it */
		}
		if (s->p[i] == ')') {
			s->give_up = true; /* unbalanced: PCRE2 refuses it */
			break;
		}
		if (!literal) {
			run_end(r);
			i = skip_item(s, i);
			continue;
		}
		size_t q = quantifier_len(s, next);
		if (q > 0) {
			run_end(r); /* the quantified character is optional */
			i = next + q;
			continue;
		}
		r->out[r->w++] = s->p[next - 1];
		i = next;
	}
	run_end(r);
	return i;
}

size_t rules_literal_derive(struct th_span pattern, char *buf,
			    struct th_span *lits)
{
	struct scan s = {pattern.p, pattern.n, false};
	size_t n = 0, w = 0, i = 0;
	for (;;) {
		struct runs r = {buf, w, w, w, w, 0};
		i = scan_alternative(&s, i, &r);
		if (s.give_up || r.best_n < TH_LITERAL_MIN)
			return 0;
		memmove(buf + w, buf + r.best, r.best_n);
		lits[n++] = (struct th_span){buf + w, r.best_n};
		w += r.best_n;
		if (i >= s.n)
			return n;
		i++; /* the "|" */
	}
}

/* ---- patterns that are a set of literals ------------------------------ */

/* Bytes that are not plain literals anywhere in a pattern (for a union of
 * literals, that is: "]", "}" and "#" are plain to PCRE2 without the x
 * option, but nothing here needs them). */
static bool exact_meta(unsigned char c)
{
	return c == '\0' || strchr("\\[](){}.^$*+?|#", c) != NULL;
}

/* Where rules_literal_exact builds its literals. */
struct exact {
	const char *p;
	size_t n, i; /* the pattern and the read position */
	char *buf;
	size_t cap, w;
	struct th_span *lits;
	size_t max;
	size_t base, n_lits; /* the current alternative's literals */
};

/* The byte the plain character or escape at E->i stands for, moving past
 * it; -1 when it is neither (a class, a group, an anchor, a quantifier,
 * an escape with a meaning of its own). */
static int exact_char(struct exact *e)
{
	unsigned char c = (unsigned char)e->p[e->i];
	if (c != '\\') {
		if (exact_meta(c))
			return -1;
		e->i++;
		return c;
	}
	if (e->i + 1 >= e->n)
		return -1;
	unsigned char x = (unsigned char)e->p[e->i + 1];
	/* a backslash before ASCII punctuation takes its meaning away */
	if (x <= ' ' || x >= 0x7f || is_alnum(x))
		return -1;
	e->i += 2;
	return x;
}

/* Most literals a pattern may stand for, and options a group may have. */
#define EXACT_MAX 8

/* Replaces the literals of E's current alternative (lits[base..]) with
 * each of them followed by each of the COUNT options OPTS. False when
 * that makes more than E allows, or more bytes than its buffer holds. */
static bool exact_times(struct exact *e, const struct th_span *opts,
			size_t count)
{
	size_t n = e->n_lits * count;
	struct th_span made[EXACT_MAX];
	if (n > EXACT_MAX || e->base + n > e->max)
		return false;
	size_t k = 0;
	for (size_t j = 0; j < e->n_lits; j++)
		for (size_t o = 0; o < count; o++) {
			struct th_span old = e->lits[e->base + j];
			size_t len = old.n + opts[o].n;
			if (len > e->cap - e->w)
				return false;
			char *at = e->buf + e->w;
			if (old.n > 0)
				memcpy(at, old.p, old.n);
			if (opts[o].n > 0)
				memcpy(at + old.n, opts[o].p, opts[o].n);
			e->w += len;
			made[k++] = (struct th_span){at, len};
		}
	memcpy(e->lits + e->base, made, n * sizeof *made);
	e->n_lits = n;
	return true;
}

/* A run of plain characters at E->i, decoded into E's buffer as *OUT; the
 * run ends at a byte that is not one (or the end). */
static bool exact_run(struct exact *e, struct th_span *out)
{
	size_t start = e->w;
	while (e->i < e->n) {
		size_t at = e->i;
		int c = exact_char(e);
		if (c < 0) {
			e->i = at;
			break;
		}
		if (e->w >= e->cap)
			return false;
		e->buf[e->w++] = (char)c;
	}
	*out = (struct th_span){e->buf + start, e->w - start};
	return true;
}

/* The group "(?:A|B|...)" of plain runs at E->i: its options in OPTS
 * (room for EXACT_MAX), how many in *COUNT. */
static bool exact_group(struct exact *e, struct th_span *opts, size_t *count)
{
	if (e->i + 2 >= e->n || e->p[e->i + 1] != '?' || e->p[e->i + 2] != ':')
		return false;
	e->i += 3;
	*count = 0;
	for (;;) {
		if (*count == EXACT_MAX || !exact_run(e, &opts[(*count)++]))
			return false;
		if (e->i >= e->n)
			return false;
		if (e->p[e->i] == ')')
			break;
		if (e->p[e->i] != '|')
			return false;
		e->i++;
	}
	e->i++; /* the ")" */
	/* a quantifier would make the group optional or repeated */
	return e->i >= e->n || strchr("?*+{", e->p[e->i]) == NULL;
}

/* One top-level alternative at E->i, up to its "|" or the end. */
static bool exact_alternative(struct exact *e)
{
	if (e->base >= e->max)
		return false;
	e->lits[e->base] = (struct th_span){e->buf + e->w, 0};
	e->n_lits = 1;
	while (e->i < e->n && e->p[e->i] != '|') {
		struct th_span opts[EXACT_MAX];
		size_t count = 1;
		if (e->p[e->i] == '(') {
			if (!exact_group(e, opts, &count))
				return false;
		} else {
			size_t at = e->i;
			if (!exact_run(e, &opts[0]) || e->i == at)
				return false;
			/* a quantifier takes the run's last character */
			if (e->i < e->n && strchr("?*+{", e->p[e->i]) != NULL)
				return false;
		}
		if (!exact_times(e, opts, count))
			return false;
	}
	for (size_t j = 0; j < e->n_lits; j++)
		if (e->lits[e->base + j].n == 0)
			return false; /* matches everywhere */
	e->base += e->n_lits;
	return true;
}

size_t rules_literal_exact(struct th_span pattern, char *buf, size_t cap,
			   struct th_span *lits, size_t max)
{
	struct exact e = {pattern.p, pattern.n, 0,   buf, cap,
			  0,	     lits,	max, 0,	  0};
	if (pattern.p == NULL || pattern.n == 0)
		return 0;
	for (;;) {
		if (!exact_alternative(&e))
			return 0;
		if (e.i >= e.n)
			return e.base;
		e.i++; /* the "|" */
	}
}

/* ---- a literal, a run of bytes but one, a literal ---------------------- */

/* "(?<name>" at E->i, moving past it: a name is a letter or '_', then
 * letters, digits and '_' ("(?<=" and "(?<!" are lookbehinds). */
static bool run_group_open(struct exact *e)
{
	const char *p = e->p;
	size_t i = e->i;
	if (i + 3 >= e->n || p[i] != '(' || p[i + 1] != '?' || p[i + 2] != '<')
		return false;
	i += 3;
	if (th_is_digit(p[i]) ||
	    !(is_alnum((unsigned char)p[i]) || p[i] == '_'))
		return false;
	while (i < e->n && (is_alnum((unsigned char)p[i]) || p[i] == '_'))
		i++;
	if (i >= e->n || p[i] != '>')
		return false;
	e->i = i + 1;
	return true;
}

/* "[^C]+)" at E->i, moving past it: the byte C, or -1. C is a plain
 * byte with no meaning in a class, or ASCII punctuation escaped. */
static int run_class(struct exact *e)
{
	const char *p = e->p;
	size_t i = e->i;
	if (i + 5 >= e->n || p[i] != '[' || p[i + 1] != '^')
		return -1;
	unsigned char c = (unsigned char)p[i + 2];
	i += 3;
	if (c == '\\') {
		c = (unsigned char)p[i++];
		if (c <= ' ' || c >= 0x7f || is_alnum(c))
			return -1;
	} else if (c == '\0' || strchr("[]^-", c) != NULL) {
		return -1;
	}
	if (i + 3 > e->n || memcmp(p + i, "]+)", 3) != 0)
		return -1;
	e->i = i + 3;
	return c;
}

bool rules_literal_run(struct th_span pattern, char *buf, size_t cap,
		       struct th_literal_run *out)
{
	struct exact e = {pattern.p, pattern.n, 0, buf, cap, 0, NULL, 0, 0, 0};
	if (pattern.p == NULL || !exact_run(&e, &out->before) ||
	    out->before.n == 0 || !run_group_open(&e))
		return false;
	int stop = run_class(&e);
	if (stop < 0 || !exact_run(&e, &out->after) || e.i != e.n ||
	    out->after.n == 0 || (unsigned char)out->after.p[0] != stop)
		return false;
	out->stop = (char)stop;
	return true;
}
