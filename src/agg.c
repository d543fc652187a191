/* agg.c - group events by the --group-by fields; see agg.h.
 *
 * Groups live in an open-addressing hash table (linear probing, power-of-two
 * size, at most three quarters full) keyed by XXH3 of the key values
 * (key_hash), and in an array in creation order that agg_sort() sorts a
 * copy of. Each group keeps what callers see (struct th_group) plus what
 * ordering and lookups need: its hash, the input positions of its first
 * and last events, and tags of its list values (see "lists with tags").
 *
 * Past the budget (agg.h) the groups spill: sorted by key into a run
 * (spill.h) and freed. Runs are kept in levels, as an LSM tree does:
 * TH_SPILL_FANIN runs of one level are merged, each group's parts added
 * up, into one run of the next, so open files stay few. The first reader
 * merges them all, and sorts the whole groups into report order through
 * memory and, past the budget again, a second set of runs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strverscmp, qsort_r */
#endif
#include "agg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* XXH3 compiled in, not called (key_hash) */
#define XXH_INLINE_ALL
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "diag.h"
#include "isotime.h"
#include "spanmap.h"
#include "spill.h"

/* Slots of a new table; it doubles whenever it would be three quarters
 * full (probing compares the hashes in the table, not groups). */
#define AGG_TABLE_START 64
/* "FILE in FUNCTION" of two event values and the NUL. */
#define AGG_CULPRIT_KEY (2 * TH_MAX_FIELD + 4)

_Static_assert(TH_MAX_LIST <= 32, "a list's tags fit a uint32_t mask");

/* A group's lists and strings: one block (see "a group's pool"). */
struct pool {
	char *base; /* NULL: none yet */
	size_t used, cap;
};

/* A group is one allocation, aligned to a cache line: the struct, then
 * its rule counts (g.rule_counts) and its key values in whole words
 * (g.key, in whole words). On a crash loop the input read between two
 * events of a group evicts it from the nearer caches, so every line an
 * event touches is a miss: what every event reads is in the first lines
 * (these members and g's first ones, see agg.h), and the rule counts and
 * keys are found from the group's address, not through a pointer. */
struct group {
	/* strlen of each key value by group-by position, or AGG_KEY_NULL,
	 * which key_equal compares before the bytes */
	uint32_t key_len[TH_KEY_COUNT];
	size_t last_input; /* input_index of last */
	/* isotime_rank of g.last.time, which every event compares with
	 * (group_where) */
	uint64_t last_rank;
	/* a byte of each entry's hash (str_tag), by list */
	uint8_t exception_tag[TH_MAX_LIST];
	uint8_t task_tag[TH_MAX_LIST], defined_at_tag[TH_MAX_LIST];
	/* with TH_MAX_EXCEPTION_TYPES exception types: 1 + the index of the
	 * one whose name sorts last; 0 when not known (exception_last_index) */
	uint16_t exception_last;
	struct th_group g;
	uint64_t hash;
	size_t first_input; /* input_index of first */
	size_t size;	    /* bytes it took when last measured (group_size) */
	struct pool pool;   /* its lists and strings (see "a group's pool") */
};

/* key_len of a NULL key value. */
#define AGG_KEY_NULL UINT32_MAX
/* Alignment of a group: a cache line. */
#define AGG_LINE 64

/* A slot of the hash table: the group's hash beside the pointer, so that
 * probing past other groups reads only the table, not each group (a
 * group's first touch on a crash loop is a cache miss). */
struct slot {
	uint64_t hash;
	struct group *grp; /* NULL: empty */
};

/* The input names of an aggregate's groups (th_where.input), one copy of
 * each: a group's first and last name the same input mostly, and an
 * event's name compares with the copy found last, where comparing with
 * the group's own copy was a cache miss an event. */
struct names {
	struct spanmap map; /* a name -> its index in copy */
	char **copy;	    /* n copies, which stay put (the map's keys) */
	size_t n, cap;
	size_t bytes; /* of the copies */
	char *last;   /* the name found last */
};

/* A spilled run and its level: how many merges made it. */
struct level_run {
	struct th_spill_run *run;
	unsigned level;
};

/* A set of runs kept in levels (see the top of this file). */
struct runs {
	struct level_run *v;
	size_t n, cap;
};

struct th_agg {
	const struct th_catalog *catalog;
	size_t n_rules;
	enum th_key keys[TH_KEY_COUNT];
	enum th_field key_field[TH_KEY_COUNT]; /* of keys[i] */
	size_t n_keys;
	struct slot *table; /* table_cap slots */
	size_t table_cap;
	struct group **groups; /* creation order */
	size_t n_groups, groups_cap;
	const struct th_group **sorted;
	char *text; /* scratch for an example: TH_MAX_EXAMPLE + 1 bytes */
	char *culprit_key;   /* scratch: AGG_CULPRIT_KEY bytes */
	char *label;	     /* agg_set_label's; NULL: none */
	struct names inputs; /* every group's first.input and last.input */
	/* spilling; spill_dir NULL: never */
	char *spill_dir;
	struct th_spill_file *spill_file; /* its runs, made at the first */
	size_t budget;
	size_t bytes;	    /* of the groups in memory (group->size) */
	struct runs by_key; /* parts of groups, each run sorted by key */
	bool finished;	    /* spilled, then read: groups are in OUT or
			       in groups[] (when all fit) */
	struct runs out;    /* whole groups, each run in report order */
	struct th_spill_merge *reading; /* agg_next's merge of OUT */
	struct group *current;		/* the group it gave last */
	size_t current_pos;		/* its report position */
	size_t n_final;			/* groups after the merge */
	bool timed;			/* agg_time_span, once finished */
	int64_t span_start, span_end;
	unsigned char *novelty; /* by report position, once finished */
	struct group **top;	/* agg_top's copies, once finished */
	size_t n_top;
	struct th_buf rec; /* scratch for encoding a group */
	uint64_t spilled;  /* records written, all runs */
};

static void agg_spill_free(struct th_agg *a);
static void agg_finish(struct th_agg *a);
static void agg_measure(struct th_agg *a, struct group *grp);
static void agg_check_budget(struct th_agg *a);

/* strverscmp's answer for two strings that first differ at X and Y, the
 * bytes before them being equal: IN_NUMBER when those end in a digit run
 * that does not start with '0' (strverscmp's "integral" state), else
 * they end in a non-digit (its "normal" state). The cases of its tables
 * that these states reach, without its byte-at-a-time state machine. */
static int vers_diff(const char *x, const char *y, bool in_number)
{
	const unsigned char *p1 = (const unsigned char *)x;
	const unsigned char *p2 = (const unsigned char *)y;
	int diff = *p1 - *p2;
	bool d1 = th_is_digit((char)*p1), d2 = th_is_digit((char)*p2);
	if (!in_number) {
		/* only two numbers that start here compare by length */
		if (!d1 || !d2 || *p1 == '0' || *p2 == '0')
			return diff;
	} else if (!d1 || !d2) {
		/* the number that goes on is the larger */
		return d1 == d2 ? diff : d1 ? 1 : -1;
	}
	/* the longer number is the larger; of equal length, the first
	 * digit that differs decides */
	p1++, p2++;
	while (th_is_digit((char)*p1++))
		if (!th_is_digit((char)*p2++))
			return 1;
	return th_is_digit((char)*p2) ? -1 : diff;
}

/* vers_cmp of X and Y, which are equal before SAME and differ at it.
 * Values compared mostly share a long start ("/srv/app/handlers.py:"):
 * strverscmp, reading from the start, is in its first state again after
 * every byte that is not a digit, so only the digit run the shared start
 * ends in matters. vers_diff answers as strverscmp would from there; a
 * run starting with '0' (strverscmp's fractional parts) is left to it. */
static int vers_cmp_at(const char *x, const char *y, size_t same)
{
	size_t run = same;
	while (run > 0 && th_is_digit(x[run - 1]))
		run--;
	if (run < same && x[run] == '0') {
		int c = strverscmp(x + run, y + run);
		return c != 0 ? c : strcmp(x, y);
	}
	return vers_diff(x + same, y + same, run < same);
}

/* Version order (Task-2 before Task-10), made total by byte order for the
 * strings strverscmp calls equal, so sorting never depends on arrival. */
static int vers_cmp(const char *x, const char *y)
{
	size_t same = 0;
	while (x[same] == y[same] && x[same] != '\0')
		same++;
	if (x[same] == y[same])
		return 0;
	return vers_cmp_at(x, y, same);
}

/* ---- strings kept in whole words -------------------------------------
 * The values of capped lists, compared with every event's, are
 * allocated in whole 8-byte words, the bytes after the NUL zero. A comparison
 * with a string of known length then goes a word at a time: X's bytes before a
 * word are equal to the other string's, so X holds no NUL before it and the
 * word is inside X's allocation. A string compared with the same long start
 * byte by byte cost a fifth of the aggregate's time on a crash loop. */
#define WORD 8

/* Bytes a string of length N takes in whole words, its NUL included. */
static size_t word_room(size_t n)
{
	return (n / WORD + 1) * WORD;
}

/* Length of the common start of X (in whole words) and V[0..N), which
 * holds no NUL byte; at most N. */
static size_t word_same(const char *x, const char *v, size_t n)
{
	size_t i = 0;
	uint64_t a = 0, b = 0;
	for (; n - i >= WORD; i += WORD) {
		memcpy(&a, x + i, WORD);
		memcpy(&b, v + i, WORD);
		if (a != b)
			break;
	}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* the first byte that differs is the lowest */
	if (n - i >= WORD)
		return i + (size_t)__builtin_ctzll(a ^ b) / 8;
	/* The last word of V[0..N), overlapping the one before (whose
	 * bytes are equal): X holds no NUL before I, so that word is
	 * inside X's allocation too, and no byte-at-a-time tail is left. */
	if (i < n && n >= WORD) {
		memcpy(&a, x + n - WORD, WORD);
		memcpy(&b, v + n - WORD, WORD);
		return a == b ? n
			      : n - WORD + (size_t)__builtin_ctzll(a ^ b) / 8;
	}
#endif
	while (i < n && x[i] == v[i])
		i++;
	return i;
}

/* vers_cmp of X (in whole words) and the C string V of length N. */
static int vers_cmp_word(const char *x, const char *v, size_t n)
{
	size_t same = word_same(x, v, n);
	if (x[same] == v[same])
		return 0;
	return vers_cmp_at(x, v, same);
}

/* T's copy of S (NULL for NULL), made when it has none. */
static char *names_intern(struct names *t, const char *s)
{
	if (s == NULL)
		return NULL;
	if (t->last != NULL && strcmp(t->last, s) == 0)
		return t->last;
	size_t len = strlen(s), i;
	if (!spanmap_get(&t->map, (struct th_span){s, len}, &i)) {
		XGROW(t->copy, t->cap, t->n + 1, 16);
		i = t->n++;
		t->copy[i] = xstrdup(s);
		t->bytes += len + 1;
		spanmap_put(&t->map, (struct th_span){t->copy[i], len}, i,
			    NULL);
	}
	return t->last = t->copy[i];
}

static void names_free(struct names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->copy[i]);
	free(t->copy);
	spanmap_fini(&t->map);
	*t = (struct names){0};
}

/* A's hash table at its first, empty size (the old one is the caller's
 * to free). */
static void table_start(struct th_agg *a)
{
	a->table_cap = AGG_TABLE_START;
	a->table = xcalloc(a->table_cap, sizeof *a->table);
}

struct th_agg *agg_new(const struct th_catalog *catalog,
		       const enum th_key *keys, size_t n_keys)
{
	if (n_keys > TH_KEY_COUNT)
		die("agg_new: %zu group-by keys (at most %d)", n_keys,
		    TH_KEY_COUNT);
	struct th_agg *a = xcalloc(1, sizeof *a);
	a->catalog = catalog;
	a->n_rules = catalog_rule_count(catalog);
	memcpy(a->keys, keys, n_keys * sizeof *keys);
	for (size_t i = 0; i < n_keys; i++) /* rule, input: TH_F_COUNT */
		catalog_key_field(keys[i], &a->key_field[i]);
	a->n_keys = n_keys;
	table_start(a);
	a->text = xmalloc(TH_MAX_EXAMPLE + 1);
	a->culprit_key = xmalloc(AGG_CULPRIT_KEY);
	return a;
}

/* ---- lists with tags ----------------------------------------------------
 * A group keeps a byte of the hash of each value of its task, defined_at
 * and exception lists (str_tag) in its first cache lines: finding a value
 * compares the strings whose tag matches, mostly one, where a search
 * compared several, each string a cache miss on a crash loop. */

/* A byte of a hash of V[0..N), which is followed by a NUL byte: from its
 * length and its first and last 8 bytes (fewer when shorter), as values
 * of one list mostly differ at their end (Task-12, handlers.py:40) or in
 * their length. */
static uint8_t str_tag(const char *v, size_t n)
{
	uint64_t x = 0, y = 0;
	if (n >= 8) {
		memcpy(&x, v, 8);
		memcpy(&y, v + n - 8, 8);
	} else if (n >= 4) {
		uint32_t x4, y4;
		memcpy(&x4, v, 4);
		memcpy(&y4, v + n - 4, 4);
		x = x4;
		y = y4;
	} else if (n > 0) {
		x = (uint64_t)(unsigned char)v[0] << 16 |
		    (uint64_t)(unsigned char)v[n / 2] << 8 |
		    (unsigned char)v[n - 1];
	}
	uint64_t h = (x ^ (y << 29 | y >> 35) ^ n) * 0x9E3779B97F4A7C15u;
	return (uint8_t)(h >> 56);
}

/* The entries of TAGS[0..N) that are TAG, as bits of a mask (bit I:
 * entry I); TAGS has TH_MAX_LIST bytes. With SSE2, two compares of 16
 * bytes, the second overlapping the first: a list is searched on every
 * event. */
static uint32_t tags_match(const uint8_t *tags, size_t n, uint8_t tag)
{
	uint32_t m = 0;
#if defined(__SSE2__) && TH_MAX_LIST >= 16 && TH_MAX_LIST <= 32
	__m128i t = _mm_set1_epi8((char)tag);
	__m128i lo = _mm_loadu_si128((const __m128i *)(const void *)tags);
	__m128i hi = _mm_loadu_si128(
	    (const __m128i *)(const void *)(tags + TH_MAX_LIST - 16));
	m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, t)) |
	    (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, t))
		<< (TH_MAX_LIST - 16);
#else
	for (size_t i = 0; i < TH_MAX_LIST; i++)
		m |= (uint32_t)(tags[i] == tag) << i;
#endif
	return n < 32 ? m & (((uint32_t)1 << n) - 1) : m;
}

/* ---- a group's pool ------------------------------------------------------
 * A group's list arrays and strings (list values, example, culprit,
 * message, source) are blocks of one allocation, its pool, each in whole
 * words (see "strings kept in whole words"). A value pushed out of a
 * list or a replaced string is not freed: its bytes lie unused until the
 * pool is full, when the blocks in use move to a new pool a quarter
 * larger than they and the block asked for need, so a pool stays within
 * about a quarter more than its group ever held at once. A block of its
 * own for each made some twenty allocations a group, and with -j every
 * range's aggregate makes and frees all of its groups (docs/performance.md,
 * on the ranges' own aggregates). */

/* Bytes of the smallest pool. */
#define POOL_MIN 1024

/* Entries of a list array that holds N (0: none): 4, 8, 16, then
 * TH_MAX_LIST. Lists mostly hold few values; the array grows as they
 * come (a list never shrinks, so N tells the size). */
static size_t list_room(size_t n)
{
	if (n == 0)
		return 0;
	size_t r = 4;
	while (r < n)
		r *= 2;
	return r < TH_MAX_LIST ? r : TH_MAX_LIST;
}

/* Entries of a group's exception array that holds N: as list_room up to
 * TH_MAX_LIST, then doubling up to TH_MAX_EXCEPTION_TYPES. */
static size_t exceptions_room(size_t n)
{
	if (n <= TH_MAX_LIST)
		return list_room(n);
	size_t r = 2 * TH_MAX_LIST;
	while (r < n)
		r *= 2;
	return r < TH_MAX_EXCEPTION_TYPES ? r : TH_MAX_EXCEPTION_TYPES;
}

/* Bytes of the example's block. */
static size_t example_room(const struct th_group *g)
{
	return word_room(g->example_len);
}

/* Copies block P of ROOM bytes to *AT and moves *AT past it; returns
 * the copy. */
static void *block_move(const void *p, size_t room, char **at)
{
	void *copy = memcpy(*at, p, room);
	*at += room;
	return copy;
}

/* True when W holds a zero byte. */
static bool word_has_nul(uint64_t w)
{
	return ((w - 0x0101010101010101u) & ~w & 0x8080808080808080u) != 0;
}

/* The bytes of the block of the string S, kept in whole words: up to the
 * word holding its NUL, word_room(strlen(S)). Copied to COPY (NULL: not)
 * as they are read. */
static inline size_t str_words(const char *s, char *copy)
{
	size_t room = 0;
	uint64_t w;
	do {
		memcpy(&w, s + room, WORD);
		if (copy != NULL)
			memcpy(copy + room, &w, WORD);
		room += WORD;
	} while (!word_has_nul(w));
	return room;
}

/* A C string block (NULL: none) moved by block_move, or its room added
 * to *LIVE when AT is NULL. Its words are copied as they are read: a
 * renewal moves some fifty strings of a group, and strlen and memcpy
 * called for each were a third of its instructions on a crash loop
 * (docs/performance.md, 2026-12-06). */
static void str_block(char **p, char **at, size_t *live)
{
	if (*p == NULL)
		return;
	if (at == NULL) {
		*live += str_words(*p, NULL);
		return;
	}
	size_t room = str_words(*p, *at);
	*p = *at;
	*at += room;
}

/* A list's array and values, as str_block. */
static void list_blocks(struct th_capped *l, char **at, size_t *live)
{
	if (l->items == NULL)
		return;
	size_t room = list_room(l->n) * sizeof *l->items;
	if (at != NULL)
		l->items = block_move(l->items, room, at);
	else
		*live += room;
	for (size_t i = 0; i < l->n; i++)
		str_block(&l->items[i], at, live);
}

/* Every block of GRP's pool in use, as str_block: moved to AT, or
 * counted into *LIVE. An array moves before its values, which are then
 * found through the moved array. */
static void pool_blocks(struct group *grp, char **at, size_t *live)
{
	struct th_group *g = &grp->g;
	list_blocks(&g->tasks, at, live);
	list_blocks(&g->defined_at, at, live);
	list_blocks(&g->labels, at, live);
	if (g->exceptions != NULL) {
		size_t room =
		    exceptions_room(g->n_exceptions) * sizeof *g->exceptions;
		if (at != NULL)
			g->exceptions = block_move(g->exceptions, room, at);
		else
			*live += room;
		for (size_t i = 0; i < g->n_exceptions; i++)
			str_block(&g->exceptions[i].name, at, live);
	}
	if (g->example != NULL) {
		if (at != NULL)
			g->example =
			    block_move(g->example, example_room(g), at);
		else
			*live += example_room(g);
	}
	str_block(&g->culprit.file, at, live);
	str_block(&g->culprit.function, at, live);
	str_block(&g->message, at, live);
	str_block(&g->source, at, live);
}

/* Moves GRP's blocks in use to a new pool with room for NEED more bytes
 * (the pointers into the old one change). */
static void pool_renew(struct group *grp, size_t need)
{
	size_t live = 0;
	pool_blocks(grp, NULL, &live);
	size_t cap = live + need;
	cap += cap / 4;
	cap = cap < POOL_MIN ? POOL_MIN
			     : (cap + AGG_LINE - 1) / AGG_LINE * AGG_LINE;
	char *base = xmalloc(cap), *at = base;
	pool_blocks(grp, &at, NULL);
	free(grp->pool.base);
	grp->pool = (struct pool){base, (size_t)(at - base), cap};
}

/* Gives GRP, which has no pool yet, one of ROOM bytes, without the
 * slack pool_renew leaves for growth: a group read back from a run
 * (group_decode) knows what it holds, and mostly takes nothing more. */
static void pool_fit(struct group *grp, size_t room)
{
	if (grp->pool.base != NULL || room == 0)
		return;
	grp->pool = (struct pool){xmalloc(room), 0, room};
}

/* Makes room for ROOM more bytes in GRP's pool, renewing it (which
 * moves its blocks) when full: blocks taken after it, up to ROOM bytes,
 * leave the others where they are. */
static void pool_reserve(struct group *grp, size_t room)
{
	if (grp->pool.cap - grp->pool.used < room)
		pool_renew(grp, room);
}

/* A block of ROOM bytes (a multiple of WORD) in GRP's pool. Renewing the
 * pool moves the group's other blocks: take it before reading them, or
 * reserve room for it first. */
static char *pool_take(struct group *grp, size_t room)
{
	pool_reserve(grp, room);
	char *block = grp->pool.base + grp->pool.used;
	grp->pool.used += room;
	return block;
}

/* A copy of S[0..N) (no NUL in it, or the example's bytes) in GRP's
 * pool, in whole words. */
static char *pool_dup(struct group *grp, const char *s, size_t n)
{
	size_t room = word_room(n);
	char *p = pool_take(grp, room);
	if (n > 0)
		memcpy(p, s, n);
	memset(p + n, 0, room - n);
	return p;
}

/* pool_dup of the C string S, which may be NULL. */
static char *pool_dup_opt(struct group *grp, const char *s)
{
	return s != NULL ? pool_dup(grp, s, strlen(s)) : NULL;
}

/* Bytes of the larger array an array of N entries of SIZE bytes, sized
 * by ROOM (list_room, exceptions_room), needs to take one more; 0 when it
 * has room. */
static size_t array_growth(size_t (*room)(size_t), size_t n, size_t size)
{
	size_t next = room(n + 1);
	return n > 0 && next == room(n) ? 0 : next * size;
}

/* array_growth of a capped list. */
static size_t list_growth(size_t n, size_t size)
{
	return array_growth(list_room, n, size);
}

/* ARRAY of N entries of SIZE bytes, moved to a block of GROWTH bytes of
 * GRP's pool, reserved (list_growth); as it is when GROWTH is 0. */
static void *list_grow(struct group *grp, void *array, size_t n, size_t size,
		       size_t growth)
{
	if (growth == 0)
		return array;
	char *grown = pool_take(grp, growth);
	if (n > 0)
		memcpy(grown, array, n * size);
	return grown;
}

/* Frees the group and its pool. */
static void group_free(struct group *grp)
{
	free(grp->pool.base);
	free(grp);
}

void agg_free(struct th_agg *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_groups; i++)
		group_free(a->groups[i]);
	free(a->groups);
	free(a->table);
	free(a->sorted);
	free(a->text);
	free(a->culprit_key);
	free(a->label);
	names_free(&a->inputs);
	agg_spill_free(a);
	free(a);
}

void agg_set_novelty(struct th_agg *a, const struct th_group *g,
		     enum th_novelty n)
{
	/* G is one of A's own groups, handed out const to readers. */
	((struct th_group *)g)->novelty = n;
	if (a->finished && a->out.n > 0 && g == &a->current->g) {
		/* read from a run: kept by position for later reads */
		if (a->novelty == NULL)
			a->novelty = xcalloc(a->n_final, 1);
		a->novelty[a->current_pos] = (unsigned char)n;
	}
}

/* Widens [*START, *END) (nothing yet unless *ANY) to G's span. */
static void group_span(const struct th_group *g, bool *any, int64_t *start,
		       int64_t *end)
{
	int64_t s, e;
	struct th_instant t;
	if (!timeline_extent(&g->timeline, &s, &e))
		return;
	/* The events' own seconds where known: bucket edges would
	 * widen the span to a multiple of the bucket width. */
	if (isotime_instant(&g->first.time, &t))
		s = t.sec;
	if (isotime_instant(&g->last.time, &t))
		e = t.sec + 1;
	*start = !*any || s < *start ? s : *start;
	*end = !*any || e > *end ? e : *end;
	*any = true;
}

bool agg_time_span(const struct th_agg *ca, int64_t *start, int64_t *end)
{
	/* Reading finishes a spilled aggregate: a cache filled once;
	 * every aggregate is allocated by agg_new, none is const
	 * itself. */
	struct th_agg *a = (struct th_agg *)ca;
	agg_finish(a);
	if (a->finished && a->out.n > 0) {
		*start = a->span_start;
		*end = a->span_end;
		return a->timed;
	}
	bool any = false;
	for (size_t i = 0; i < a->n_groups; i++)
		group_span(&a->groups[i]->g, &any, start, end);
	return any;
}

size_t agg_keys(const struct th_agg *a, const enum th_key **keys)
{
	*keys = a->keys;
	return a->n_keys;
}

/* The culprit key, "FILE in FUNCTION" (in A's scratch buffer): the same
 * across deploys that move the line, as README "Usage" says; {NULL, 0}
 * without a culprit. */
static struct th_span culprit_key(const struct th_agg *a,
				  const struct th_event *ev)
{
	if (!event_has_culprit(ev))
		return (struct th_span){NULL, 0};
	const struct th_culprit *c = &ev->culprit;
	int n =
	    snprintf(a->culprit_key, AGG_CULPRIT_KEY, "%.*s in %.*s",
		     (int)strnlen(c->file.v, c->file.n), c->file.v,
		     (int)strnlen(c->function.v, c->function.n), c->function.v);
	return (struct th_span){a->culprit_key, (size_t)n};
}

/* The event's value for group-by key I: {NULL, 0} when unset. The span is
 * valid as long as EV and the catalog are, and stops at the first NUL
 * byte. */
static struct th_span event_key(const struct th_agg *a,
				const struct th_event *ev, size_t i)
{
	if (a->keys[i] == TH_KEY_RULE)
		return th_span_or_empty(catalog_rule_id(a->catalog, ev->rule));
	if (a->keys[i] == TH_KEY_INPUT)
		return th_span_or_empty(ev->input);
	if (a->keys[i] == TH_KEY_CULPRIT)
		return culprit_key(a, ev);
	return event_get(ev, a->key_field[i]);
}

/* XXH3 of each of the N_KEYS key values in turn, seeded with the hash of
 * the values before it, and for a NULL one with that hash plus one (so
 * NULL and "" differ): one call a value, where a streaming state took
 * three and a digest. xxhash's inline build (XXH_INLINE_ALL): a library
 * call cost some 35 instructions an event (docs/performance.md,
 * 2026-12-06). A collision costs only a comparison in table_slot. */
static inline uint64_t key_hash(const struct th_span *vals, size_t n_keys)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n_keys; i++) {
		bool present = vals[i].p != NULL;
		h = XXH3_64bits_withSeed(present ? vals[i].p : "", vals[i].n,
					 h + !present);
	}
	return h;
}

/* GRP's rule counts (g.rule_counts), right after it. */
static uint64_t *group_rule_counts(struct group *grp)
{
	return (uint64_t *)(grp + 1);
}

/* GRP's key values, after its rule counts: each in whole words, in
 * group-by order, the NULL ones left out. */
static const char *group_keys(const struct th_agg *a, const struct group *grp)
{
	return (const char *)((const uint64_t *)(grp + 1) + a->n_rules);
}

/* True when the group's N_KEYS keys (A's) are exactly VALS (NULL only
 * matches NULL). */
static inline bool key_equal(const struct th_agg *a, const struct group *grp,
			     const struct th_span *vals, size_t n_keys)
{
	const char *have = group_keys(a, grp);
	for (size_t i = 0; i < n_keys; i++) {
		uint32_t n = grp->key_len[i];
		if ((n == AGG_KEY_NULL) != (vals[i].p == NULL))
			return false;
		if (vals[i].p == NULL)
			continue;
		if (n != vals[i].n || word_same(have, vals[i].p, n) != n)
			return false;
		have += word_room(n);
	}
	return true;
}

/* The slot holding the group with these N_KEYS key values (A's), or
 * the empty slot where it belongs. The table is never full, so the probe
 * ends. */
static inline struct slot *table_slot(struct th_agg *a, uint64_t hash,
				      const struct th_span *vals, size_t n_keys)
{
	size_t mask = a->table_cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct slot *s = &a->table[i];
		if (s->grp == NULL ||
		    (s->hash == hash && key_equal(a, s->grp, vals, n_keys)))
			return s;
	}
}

/* Doubles the table and reinserts every group by its stored hash. */
static void table_grow(struct th_agg *a)
{
	size_t cap = a->table_cap * 2, mask = cap - 1;
	struct slot *table = xcalloc(cap, sizeof *table);
	for (size_t g = 0; g < a->n_groups; g++) {
		uint64_t hash = a->groups[g]->hash;
		size_t i = hash & mask;
		while (table[i].grp != NULL)
			i = (i + 1) & mask;
		table[i] = (struct slot){hash, a->groups[g]};
	}
	free(a->table);
	a->table = table;
	a->table_cap = cap;
}

/* The bytes of a group's allocation with key values of lengths KEY_LEN
 * (AGG_KEY_NULL: NULL): whole cache lines. */
static size_t group_alloc_size(const struct th_agg *a, const uint32_t *key_len)
{
	size_t n = sizeof(struct group) + a->n_rules * sizeof(uint64_t);
	for (size_t i = 0; i < a->n_keys; i++)
		if (key_len[i] != AGG_KEY_NULL)
			n += word_room(key_len[i]);
	return (n + AGG_LINE - 1) / AGG_LINE * AGG_LINE;
}

/* A new, empty group holding copies of the key values VALS (each cut at
 * a NUL byte); it is in neither the table nor the list yet, and its hash
 * is not set. */
static struct group *group_alloc(const struct th_agg *a,
				 const struct th_span *vals)
{
	uint32_t key_len[TH_KEY_COUNT];
	for (size_t i = 0; i < a->n_keys; i++)
		key_len[i] = vals[i].p == NULL
				 ? AGG_KEY_NULL
				 : (uint32_t)strnlen(vals[i].p, vals[i].n);
	size_t size = group_alloc_size(a, key_len);
	struct group *grp = aligned_alloc(AGG_LINE, size);
	if (grp == NULL)
		die("out of memory (%zu bytes)", size);
	memset(grp, 0, size);
	memcpy(grp->key_len, key_len, a->n_keys * sizeof *key_len);
	grp->g.rule_counts = group_rule_counts(grp);
	char *p = (char *)group_keys(a, grp);
	for (size_t i = 0; i < a->n_keys; i++) {
		if (key_len[i] == AGG_KEY_NULL)
			continue;
		memcpy(p, vals[i].p, key_len[i]); /* zeros after: memset */
		grp->g.key[a->keys[i]] = p;
		p += word_room(key_len[i]);
	}
	return grp;
}

/* group_alloc for the key values VALS of hash HASH. */
static struct group *group_new(const struct th_agg *a, uint64_t hash,
			       const struct th_span *vals)
{
	struct group *grp = group_alloc(a, vals);
	grp->hash = hash;
	return grp;
}

/* True when X (in whole words) is the C string V of length N. */
static bool word_eq(const char *x, const char *v, size_t n)
{
	return word_same(x, v, n) == n && x[n] == '\0';
}

/* Where V (of length N, tag TAG) is in list L with tags TAGS, or L->n. */
static size_t capped_find(const struct th_capped *l, const uint8_t *tags,
			  uint8_t tag, const char *v, size_t n)
{
	for (uint32_t m = tags_match(tags, l->n, tag); m != 0; m &= m - 1) {
		size_t i = (size_t)__builtin_ctz(m);
		if (word_eq(l->items[i], v, n))
			return i;
	}
	return l->n;
}

/* Where V (of length N) belongs among the first END values of list L by
 * version order: its place when they hold it. */
static size_t capped_place(const struct th_capped *l, size_t end, const char *v,
			   size_t n)
{
	size_t lo = 0, hi = end;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (vers_cmp_word(l->items[mid], v, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Puts V (of length N) into L's full array at AT, pushing out the
 * largest value, whose block takes V when it is large enough: a list of
 * a crash loop's tasks pushes out a value every few events, and each
 * left its bytes in the pool until it was renewed. */
static void capped_replace(struct group *grp, struct th_capped *l,
			   uint8_t *tags, uint8_t tag, size_t at, const char *v,
			   size_t n)
{
	char *out = l->items[TH_MAX_LIST - 1];
	size_t room = word_room(n);
	bool fits = str_words(out, NULL) >= room;
	if (!fits)
		pool_reserve(grp, room); /* may move the list */
	memmove(&l->items[at + 1], &l->items[at],
		(TH_MAX_LIST - 1 - at) * sizeof *l->items);
	if (fits) {
		memcpy(out, v, n);
		memset(out + n, 0, room - n);
		l->items[at] = out;
	} else {
		l->items[at] = pool_dup(grp, v, n);
	}
	if (tags != NULL) {
		memmove(&tags[at + 1], &tags[at], TH_MAX_LIST - 1 - at);
		tags[at] = tag;
	}
	l->capped = true;
}

/* Puts V (of length N, tag TAG) into L, which is not full, at AT. */
static void capped_insert(struct group *grp, struct th_capped *l, uint8_t *tags,
			  uint8_t tag, size_t at, const char *v, size_t n)
{
	size_t growth = list_growth(l->n, sizeof *l->items);
	pool_reserve(grp, growth + word_room(n));
	l->items = list_grow(grp, l->items, l->n, sizeof *l->items, growth);
	memmove(&l->items[at + 1], &l->items[at],
		(l->n - at) * sizeof *l->items);
	l->items[at] = pool_dup(grp, v, n);
	if (tags != NULL) {
		memmove(&tags[at + 1], &tags[at], l->n - at);
		tags[at] = tag;
	}
	l->n++;
}

/* Adds V (of length N, followed by a NUL byte) to a capped list unless it
 * is there already, keeping TAGS (NULL: a list without) beside it. The
 * list keeps its TH_MAX_LIST smallest values: one that sorts after every
 * kept value of a full list, or that pushes the largest out, sets
 * L->capped. */
static void capped_add(struct group *grp, struct th_capped *l, uint8_t *tags,
		       const char *v, size_t n)
{
	/* A new value mostly sorts after all the list keeps (task names
	 * count up), or is its last value (an event like the one before):
	 * one comparison with the last settles those before any search,
	 * and the list is left as it is, or V ruled out of a full one, or
	 * put at the end (docs/performance.md, 2026-12-06). */
	size_t at = l->n;
	int last = l->n > 0 ? vers_cmp_word(l->items[l->n - 1], v, n) : -1;
	if (last == 0)
		return;
	if (last < 0 && l->n == TH_MAX_LIST) {
		l->capped = true;
		return;
	}
	uint8_t tag = tags != NULL ? str_tag(v, n) : 0;
	if (last > 0) {
		if (tags != NULL && capped_find(l, tags, tag, v, n) < l->n)
			return;
		at = capped_place(l, l->n - 1, v, n);
		if (tags == NULL && word_eq(l->items[at], v, n))
			return;
	}
	if (l->n == TH_MAX_LIST)
		capped_replace(grp, l, tags, tag, at, v, n);
	else
		capped_insert(grp, l, tags, tag, at, v, n);
}

/* True when X belongs before Y in a group's exception list. */
static bool count_before(const struct th_count *x, const struct th_count *y)
{
	if (x->count != y->count)
		return x->count > y->count;
	return vers_cmp(x->name, y->name) < 0;
}

/* Where exception NAME (of length N, tag TAG) is among the first
 * TH_MAX_LIST entries of GRP's list, or n_exceptions. Those have tags,
 * which rule out most of them at once. */
static inline __attribute__((always_inline)) size_t
exception_find_tagged(const struct group *grp, uint8_t tag, const char *name,
		      size_t n)
{
	const struct th_group *g = &grp->g;
	size_t end = g->n_exceptions;
	size_t tagged = end < TH_MAX_LIST ? end : TH_MAX_LIST;
	for (uint32_t m = tags_match(grp->exception_tag, tagged, tag); m != 0;
	     m &= m - 1) {
		size_t i = (size_t)__builtin_ctz(m);
		if (word_eq(g->exceptions[i].name, name, n))
			return i;
	}
	return end;
}

/* Where exception NAME is among the entries of GRP's list past the
 * first TH_MAX_LIST, which have no tags (a group with more types than
 * that is rare), or n_exceptions. */
static size_t exception_find_untagged(const struct group *grp, const char *name)
{
	const struct th_group *g = &grp->g;
	for (size_t i = TH_MAX_LIST; i < g->n_exceptions; i++)
		if (strcmp(g->exceptions[i].name, name) == 0)
			return i;
	return g->n_exceptions;
}

/* Sets the tag of GRP's exception I, one of the first TH_MAX_LIST. */
static void exception_tag_set(struct group *grp, size_t i)
{
	const char *name = grp->g.exceptions[i].name;
	grp->exception_tag[i] = str_tag(name, strlen(name));
}

/* The index of GRP's exception whose name sorts last (version order),
 * found once and then followed as entries move, where finding it for
 * every new type of a full list took 256 comparisons. */
static size_t exception_last_index(struct group *grp)
{
	if (grp->exception_last == 0) {
		const struct th_count *v = grp->g.exceptions;
		size_t last = 0;
		for (size_t i = 1; i < grp->g.n_exceptions; i++)
			if (vers_cmp(v[i].name, v[last].name) > 0)
				last = i;
		grp->exception_last = (uint16_t)(last + 1);
	}
	return grp->exception_last - 1u;
}

/* Moves GRP's exception I up its list while it belongs before the one
 * above (its count grew). */
static void exception_rise(struct group *grp, size_t i)
{
	struct th_count *v = grp->g.exceptions;
	uint8_t *tags = grp->exception_tag;
	for (; i > 0 && count_before(&v[i], &v[i - 1]); i--) {
		struct th_count t = v[i];
		v[i] = v[i - 1];
		v[i - 1] = t;
		if (grp->exception_last == i + 1)
			grp->exception_last = (uint16_t)i;
		else if (grp->exception_last == i)
			grp->exception_last = (uint16_t)(i + 1);
		if (i < TH_MAX_LIST) {
			uint8_t u = tags[i];
			tags[i] = tags[i - 1];
			tags[i - 1] = u;
		} else if (i == TH_MAX_LIST) {
			exception_tag_set(grp, i - 1); /* it came untagged */
		}
	}
}

/* Appends exception NAME (of length N, tag TAG) counted K times to GRP's
 * list, which has room for it. */
static void exception_append(struct group *grp, const char *name, size_t n,
			     uint8_t tag, uint64_t k)
{
	struct th_group *g = &grp->g;
	size_t i = g->n_exceptions;
	size_t growth = array_growth(exceptions_room, i, sizeof *g->exceptions);
	/* a renewed pool moves the first I entries */
	pool_reserve(grp, growth + word_room(n));
	g->exceptions =
	    list_grow(grp, g->exceptions, i, sizeof *g->exceptions, growth);
	g->exceptions[i] = (struct th_count){pool_dup(grp, name, n), k};
	if (i < TH_MAX_LIST)
		grp->exception_tag[i] = tag;
	g->n_exceptions++;
}

/* Makes room in GRP's full list for exception NAME by letting go of the
 * type whose name sorts last (version order), its events counted in
 * exceptions_other from then on, when NAME sorts before it. False, and
 * nothing changed, when NAME sorts after every type kept: NAME's events
 * are then the ones counted there. So the list holds the
 * TH_MAX_EXCEPTION_TYPES smallest names a group's events had, each
 * counted exactly, however those events were split and merged. */
static bool exception_make_room(struct group *grp, const char *name)
{
	struct th_group *g = &grp->g;
	struct th_count *v = g->exceptions;
	size_t last = exception_last_index(grp);
	if (vers_cmp(name, v[last].name) > 0)
		return false;
	g->exceptions_other += v[last].count;
	grp->exception_last = 0; /* found again when needed */
	g->n_exceptions--;
	memmove(&v[last], &v[last + 1], (g->n_exceptions - last) * sizeof *v);
	for (size_t i = last; i < g->n_exceptions && i < TH_MAX_LIST; i++)
		exception_tag_set(grp, i);
	return true;
}

/* The rest of exception_add (below), for NAME (of length N, tag TAG) at
 * I of GRP's list, whose count then reaches the one above, or not among
 * its tagged entries (I is n_exceptions). Out of line, so that the
 * common case saves no registers. */
__attribute__((noinline)) static void exception_add_rest(struct group *grp,
							 const char *name,
							 size_t n, uint8_t tag,
							 size_t i, uint64_t k)
{
	struct th_group *g = &grp->g;
	if (i == g->n_exceptions)
		i = exception_find_untagged(grp, name);
	if (i == g->n_exceptions) {
		if (i == TH_MAX_EXCEPTION_TYPES &&
		    !exception_make_room(grp, name)) {
			g->exceptions_other += k;
			return;
		}
		i = g->n_exceptions;
		exception_append(grp, name, n, tag, 0);
	}
	g->exceptions[i].count += k;
	exception_rise(grp, i);
}

/* Counts K events with exception NAME (of length N, followed by a NUL
 * byte) in GRP. A name that does not fit in a full list is counted in
 * exceptions_other (exception_make_room); the list stays sorted. Its
 * names are in whole words (see "strings kept in whole words"), so the
 * event's is compared a word at a time. */
static void exception_add(struct group *grp, const char *name, size_t n,
			  uint64_t k)
{
	/* A crash loop's event mostly names a type its group has, among
	 * the first TH_MAX_LIST, whose count stays below the one above
	 * (8 of 10): that takes no call and no saved register; the rest
	 * is a call in tail position. Inline, the rest made every event
	 * save and restore six registers (docs/performance.md,
	 * 2026-12-07). */
	struct th_group *g = &grp->g;
	uint8_t tag = str_tag(name, n);
	size_t i = exception_find_tagged(grp, tag, name, n);
	struct th_count *v = g->exceptions;
	if (i < g->n_exceptions &&
	    (i == 0 || v[i - 1].count > v[i].count + k)) {
		v[i].count += k;
		return;
	}
	exception_add_rest(grp, name, n, tag, i, k);
}

/* What a report lists of G's exception types: the TH_MAX_LIST first (by
 * count, then name), the events of the others counted in
 * exceptions_other. Done as the groups are read, once every part of them
 * has been added. */
static void exceptions_listed(struct th_group *g)
{
	if (g->n_exceptions <= TH_MAX_LIST)
		return;
	for (size_t i = TH_MAX_LIST; i < g->n_exceptions; i++)
		g->exceptions_other += g->exceptions[i].count;
	g->n_exceptions = TH_MAX_LIST;
}

/* Positions are ordered by time, an event without one before every event
 * with one, then by input, then by line. The order must be total, or
 * which event is "first" would depend on the order events arrive in and
 * merged reports would differ from whole ones. Times order as the
 * printed times sort (isotime_order): a report read back by merge must
 * order its events as the scan did. X and Y are X_TIME's and Y_TIME's
 * isotime_rank: a group keeps its last's (last_rank), where ranking it
 * again took some 10 instructions an event (docs/performance.md,
 * 2026-12-07). Inline: every event compares its position with its
 * group's last. */
static inline __attribute__((always_inline)) int
rank_cmp(uint64_t x, const struct th_time *x_time, size_t x_input,
	 uint64_t x_line, uint64_t y, const struct th_time *y_time,
	 size_t y_input, uint64_t y_line)
{
	bool x_known = x != 0, y_known = y != 0;
	if (x_known != y_known)
		return x_known ? 1 : -1;
	if (x_known) {
		if (x == ISOTIME_RANK_WIDE || y == ISOTIME_RANK_WIDE) {
			int c = isotime_order(x_time, y_time);
			if (c != 0)
				return c;
		} else if (x != y) {
			return x < y ? -1 : 1;
		} else if (x_time->nsec != y_time->nsec) {
			return x_time->nsec < y_time->nsec ? -1 : 1;
		}
	}
	if (x_input != y_input)
		return x_input < y_input ? -1 : 1;
	return (x_line > y_line) - (x_line < y_line);
}

/* Orders two positions (see rank_cmp). */
static int position_cmp(const struct th_time *x_time, size_t x_input,
			uint64_t x_line, const struct th_time *y_time,
			size_t y_input, uint64_t y_line)
{
	return rank_cmp(isotime_rank(x_time), x_time, x_input, x_line,
			isotime_rank(y_time), y_time, y_input, y_line);
}

/* Orders the position of EV, whose isotime_rank is RANK, against a group's
 * first or last W, whose time's is W_RANK. */
static inline __attribute__((always_inline)) int
where_cmp(const struct th_event *ev, uint64_t rank, const struct th_where *w,
	  size_t w_input, uint64_t w_rank)
{
	return rank_cmp(rank, &ev->time, ev->input_index, ev->line, w_rank,
			&w->time, w_input, w->line);
}

/* Makes W name EV's position, with A's copy of its input name. */
static void where_set(struct th_agg *a, struct th_where *w,
		      const struct th_event *ev)
{
	w->input = names_intern(&a->inputs, ev->input);
	w->line = ev->line;
	w->time = ev->time;
}

/* Length of the longest prefix of P[0..N) that does not end inside a
 * UTF-8 sequence; N is where the text was cut, bytes past it are gone. */
static size_t utf8_cut(const char *p, size_t n)
{
	size_t start = n;
	while (start > 0 && n - start < 4 &&
	       ((unsigned char)p[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return n;
	unsigned char lead = (unsigned char)p[start - 1];
	size_t need = lead >= 0xF0   ? 4
		      : lead >= 0xE0 ? 3
		      : lead >= 0xC0 ? 2
				     : 1;
	return need > 1 && start - 1 + need > n ? start - 1 : n;
}

/* A field's value as a C string, or NULL when unset: event values are
 * NUL-terminated, so a value holding a NUL byte ends there, as keys do. */
static const char *field_cstr(const struct th_event *ev, enum th_field f)
{
	return event_has(ev, f) ? ev->fields[f].v : NULL;
}

/* Makes GRP's example P[0..N) (which may hold NUL bytes), in the old
 * example's block when it fits: a group's first moves often when its
 * events come out of time order. */
static void example_put(struct group *grp, const char *p, size_t n)
{
	struct th_group *g = &grp->g;
	if (g->example != NULL && example_room(g) >= word_room(n)) {
		size_t room = example_room(g);
		memcpy(g->example, p, n);
		memset(g->example + n, 0, room - n);
	} else {
		g->example = NULL; /* not moved if the pool is renewed */
		g->example = pool_dup(grp, p, n);
	}
	g->example_len = n;
}

/* Replaces the group's example with EV's text cut to TH_MAX_EXAMPLE. */
static void example_set(struct th_agg *a, struct group *grp,
			const struct th_event *ev)
{
	size_t n = event_text(ev, a->text, TH_MAX_EXAMPLE + 1);
	if (n > TH_MAX_EXAMPLE)
		n = utf8_cut(a->text, TH_MAX_EXAMPLE);
	example_put(grp, a->text, n);
}

/* Replaces the group's culprit, message and source with EV's. */
static void first_facts_set(struct group *grp, const struct th_event *ev)
{
	struct th_group *g = &grp->g;
	g->culprit = (struct th_group_culprit){0};
	g->message = g->source = NULL;
	if (event_has_culprit(ev)) {
		g->culprit.file = pool_dup_opt(grp, ev->culprit.file.v);
		g->culprit.line = ev->culprit.line;
		g->culprit.function = pool_dup_opt(grp, ev->culprit.function.v);
	}
	g->message = pool_dup_opt(grp, field_cstr(ev, TH_F_MESSAGE));
	g->source = pool_dup_opt(grp, field_cstr(ev, TH_F_SOURCE));
}

/* Copies SRC's culprit, message and source into GRP (a group's first
 * moved). */
static void first_facts_copy(struct group *grp, const struct th_group *src)
{
	struct th_group *g = &grp->g;
	g->culprit = (struct th_group_culprit){0};
	g->message = g->source = NULL;
	g->culprit.file = pool_dup_opt(grp, src->culprit.file);
	g->culprit.line = src->culprit.line;
	g->culprit.function = pool_dup_opt(grp, src->culprit.function);
	g->message = pool_dup_opt(grp, src->message);
	g->source = pool_dup_opt(grp, src->source);
}

/* Makes EV the group's first event (with the example, culprit and
 * message). */
static void group_first_set(struct th_agg *a, struct group *grp,
			    const struct th_event *ev)
{
	where_set(a, &grp->g.first, ev);
	grp->first_input = ev->input_index;
	example_set(a, grp, ev);
	first_facts_set(grp, ev);
}

/* Moves first / last (and the example, culprit and message with first)
 * when EV is earlier / later. A group's first event sets both. Last is
 * compared first: events mostly come in time order, and one not before
 * last is not before first either (first <= last, the order being total),
 * so most events need one comparison. */
static void group_where(struct th_agg *a, struct group *grp,
			const struct th_event *ev)
{
	struct th_group *g = &grp->g;
	uint64_t rank = isotime_rank(&ev->time);
	int to_last = g->count == 1
			  ? 1
			  : where_cmp(ev, rank, &g->last, grp->last_input,
				      grp->last_rank);
	if (to_last > 0 && g->count > 1 && ev->input_index == grp->last_input) {
		/* the input of last: its name is kept already (the index
		 * names an input, as where_cmp takes it); interning it
		 * compared the names on most events */
		g->last.line = ev->line;
		g->last.time = ev->time;
		grp->last_rank = rank;
	} else if (to_last > 0) {
		where_set(a, &g->last, ev);
		grp->last_input = ev->input_index;
		grp->last_rank = rank;
	}
	if (g->count == 1 ||
	    (to_last < 0 && where_cmp(ev, rank, &g->first, grp->first_input,
				      isotime_rank(&g->first.time)) < 0))
		group_first_set(a, grp, ev);
}

/* Counts EV in its group: totals, lists, severity, first and last. */
static void group_count(struct th_agg *a, struct group *grp,
			const struct th_event *ev)
{
	struct th_group *g = &grp->g;
	enum th_severity sev = catalog_rule_severity(a->catalog, ev->rule);
	g->count++;
	group_rule_counts(grp)[ev->rule]++;
	if (g->count == 1 || sev > g->severity)
		g->severity = sev;
	const char *v;
	if ((v = field_cstr(ev, TH_F_EXCEPTION)) != NULL)
		exception_add(grp, v, ev->fields[TH_F_EXCEPTION].n, 1);
	if ((v = field_cstr(ev, TH_F_TASK)) != NULL)
		capped_add(grp, &g->tasks, grp->task_tag, v,
			   ev->fields[TH_F_TASK].n);
	if ((v = field_cstr(ev, TH_F_DEFINED_AT)) != NULL)
		capped_add(grp, &g->defined_at, grp->defined_at_tag, v,
			   ev->fields[TH_F_DEFINED_AT].n);
	if (a->label != NULL && g->labels.n == 0)
		capped_add(grp, &g->labels, NULL, a->label, strlen(a->label));
	struct th_instant at;
	if (isotime_instant(&ev->time, &at))
		timeline_add(&g->timeline, at.sec, 1);
	group_where(a, grp, ev);
}

/* The slot of A's table for EV's key values, which go into VALS, with
 * their hash in *HASH (see table_slot). Inline, for N_KEYS constant: a
 * single group-by key, the default, then takes no loop over keys
 * (docs/performance.md, 2026-12-06). */
static inline __attribute__((always_inline)) struct slot *
event_slot(struct th_agg *a, const struct th_event *ev, struct th_span *vals,
	   size_t n_keys, uint64_t *hash)
{
	for (size_t i = 0; i < n_keys; i++)
		vals[i] = event_key(a, ev, i);
	*hash = key_hash(vals, n_keys);
	return table_slot(a, *hash, vals, n_keys);
}

/* Appends GRP to the list of groups. */
static void groups_push(struct th_agg *a, struct group *grp)
{
	XGROW(a->groups, a->groups_cap, a->n_groups + 1, 64);
	a->groups[a->n_groups++] = grp;
}

/* Puts a new group in the list and in the empty table slot found for it,
 * growing the table when it gets three quarters full (which moves every
 * slot). */
static void group_insert(struct th_agg *a, struct slot *slot, struct group *grp)
{
	groups_push(a, grp);
	*slot = (struct slot){grp->hash, grp};
	if (a->n_groups * 4 >= a->table_cap * 3)
		table_grow(a);
}

void agg_add(struct th_agg *a, const struct th_event *ev)
{
	if (ev->rule >= a->n_rules)
		die("agg_add: rule %zu of %zu", ev->rule, a->n_rules);
	if (a->finished)
		die("agg_add: the spilled groups were read already");
	struct th_span vals[TH_KEY_COUNT];
	uint64_t hash;
	struct slot *slot = a->n_keys == 1
				? event_slot(a, ev, vals, 1, &hash)
				: event_slot(a, ev, vals, a->n_keys, &hash);
	struct group *grp = slot->grp;
	if (grp == NULL) {
		grp = group_new(a, hash, vals);
		group_insert(a, slot, grp);
	}
	group_count(a, grp, ev);
	/* Measured at counts 1, 2, 4, 8...: what a group holds grows
	 * with its first events (lists, names), rarely later, and
	 * measuring walks its lists. */
	if (a->spill_dir != NULL && (grp->g.count & (grp->g.count - 1)) == 0) {
		agg_measure(a, grp);
		agg_check_budget(a);
	}
}

/* Orders two groups' positions like where_cmp. */
static int where_cmp_where(const struct th_where *x, size_t x_input,
			   const struct th_where *y, size_t y_input)
{
	return position_cmp(&x->time, x_input, x->line, &y->time, y_input,
			    y->line);
}

static void where_copy(struct th_agg *a, struct th_where *dst,
		       const struct th_where *src, uint64_t line_shift)
{
	dst->input = names_intern(&a->inputs, src->input);
	dst->line = src->line + line_shift;
	dst->time = src->time;
}

/* Counts N events with exception NAME (see exception_add): a name
 * counted no times is not listed. */
static void exception_add_n(struct group *grp, const char *name, uint64_t n)
{
	if (n > 0)
		exception_add(grp, name, strlen(name), n);
}

/* Adds SRC's values to DST, GRP's list whose tags are TAGS (NULL:
 * none), one at a time: SRC may be any list (a report read back). */
static void capped_merge(struct group *grp, struct th_capped *dst,
			 uint8_t *tags, const struct th_capped *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const char *v = src->items[i];
		/* SRC is sorted: once a value sorts after all that a full
		 * DST keeps, so do the rest, and capped_add would leave
		 * each out (mostly the first: task names count up) */
		if (dst->n == TH_MAX_LIST &&
		    vers_cmp(dst->items[dst->n - 1], v) < 0) {
			dst->capped = true;
			break;
		}
		capped_add(grp, dst, tags, v, strlen(v));
	}
	dst->capped = dst->capped || src->capped;
}

/* Copies SRC, an aggregate's list (sorted, without repeats, at most
 * TH_MAX_LIST), into DST, GRP's empty list whose tags are TAGS (NULL:
 * none): what capped_merge makes of them, without its searches. Each
 * range of a file (-j) has groups new to the whole, and the first range
 * has nothing but. */
static void capped_copy(struct group *grp, struct th_capped *dst, uint8_t *tags,
			const struct th_capped *src)
{
	size_t len[TH_MAX_LIST], room = list_room(src->n) * sizeof *dst->items;
	for (size_t i = 0; i < src->n; i++) {
		len[i] = strlen(src->items[i]);
		room += word_room(len[i]);
	}
	pool_reserve(grp, room);
	dst->items =
	    (char **)pool_take(grp, list_room(src->n) * sizeof *dst->items);
	for (size_t i = 0; i < src->n; i++) {
		dst->items[i] = pool_dup(grp, src->items[i], len[i]);
		if (tags != NULL)
			tags[i] = str_tag(src->items[i], len[i]);
	}
	dst->n = src->n;
	dst->capped = dst->capped || src->capped;
}

/* capped_merge, or capped_copy when it may. */
static void capped_merge_sorted(struct group *grp, struct th_capped *dst,
				uint8_t *tags, const struct th_capped *src)
{
	if (dst->n == 0 && src->n > 0)
		capped_copy(grp, dst, tags, src);
	else
		capped_merge(grp, dst, tags, src);
}

/* Merges SRC's tasks, defined_at and labels into GRP's; SORTED: SRC's
 * lists are an aggregate's (see capped_merge_sorted). */
static void lists_merge(struct group *grp, const struct th_group *src,
			bool sorted)
{
	struct th_group *g = &grp->g;
	if (sorted) {
		capped_merge_sorted(grp, &g->tasks, grp->task_tag, &src->tasks);
		capped_merge_sorted(grp, &g->defined_at, grp->defined_at_tag,
				    &src->defined_at);
		capped_merge_sorted(grp, &g->labels, NULL, &src->labels);
		return;
	}
	capped_merge(grp, &g->tasks, grp->task_tag, &src->tasks);
	capped_merge(grp, &g->defined_at, grp->defined_at_tag,
		     &src->defined_at);
	capped_merge(grp, &g->labels, NULL, &src->labels);
}

/* Orders two examples by their bytes: the tie-break between two events
 * at the same position, so merging stays commutative. */
static int example_cmp(const char *x, size_t xn, const char *y, size_t yn)
{
	int c = memcmp(x ? x : "", y ? y : "", xn < yn ? xn : yn);
	return c != 0 ? c : (xn > yn) - (xn < yn);
}

/* Takes SRC's first (and example) and last where they are earlier and
 * later than GRP's; FRESH: GRP had no events yet. */
static void group_widen(struct th_agg *a, struct group *grp,
			const struct th_group *src, size_t first_input,
			size_t last_input, uint64_t line_shift, bool fresh)
{
	struct th_group *g = &grp->g;
	struct th_where f = src->first, l = src->last;
	f.line += line_shift;
	l.line += line_shift;
	int cf = fresh ? -1
		       : where_cmp_where(&f, first_input, &g->first,
					 grp->first_input);
	if (cf == 0)
		cf = example_cmp(src->example, src->example_len, g->example,
				 g->example_len);
	if (cf < 0) {
		where_copy(a, &g->first, &src->first, line_shift);
		grp->first_input = first_input;
		example_put(grp, src->example ? src->example : "",
			    src->example ? src->example_len : 0);
		first_facts_copy(grp, src);
	}
	int cl =
	    fresh ? 1
		  : where_cmp_where(&l, last_input, &g->last, grp->last_input);
	if (cl > 0) {
		where_copy(a, &g->last, &src->last, line_shift);
		grp->last_input = last_input;
		grp->last_rank = isotime_rank(&g->last.time);
	}
}

/* Merges SRC into GRP; see agg_add_group. SORTED: SRC's lists are an
 * aggregate's, sorted and without repeats (not a report's, read back). */
static void group_merge(struct th_agg *a, struct group *grp,
			const struct th_group *src, size_t first_input,
			size_t last_input, uint64_t line_shift, bool sorted)
{
	struct th_group *g = &grp->g;
	bool fresh = g->count == 0;
	g->count += src->count;
	for (size_t r = 0; r < a->n_rules; r++)
		g->rule_counts[r] += src->rule_counts[r];
	if (fresh || src->severity > g->severity)
		g->severity = src->severity;
	for (size_t i = 0; i < src->n_exceptions; i++)
		exception_add_n(grp, src->exceptions[i].name,
				src->exceptions[i].count);
	g->exceptions_other += src->exceptions_other;
	lists_merge(grp, src, sorted);
	timeline_merge(&g->timeline, &src->timeline);
	group_widen(a, grp, src, first_input, last_input, line_shift, fresh);
}

/* The slot of A's table for G's key values: its group, or the empty slot
 * where it belongs, whose hash is then in *HASH. */
static struct slot *group_slot(struct th_agg *a, const struct th_group *g,
			       uint64_t *hash)
{
	struct th_span vals[TH_KEY_COUNT];
	for (size_t i = 0; i < a->n_keys; i++)
		vals[i] = th_span_or_empty(g->key[a->keys[i]]);
	*hash = key_hash(vals, a->n_keys);
	return table_slot(a, *hash, vals, a->n_keys);
}

/* The group for G's key values in A, made when new. */
static struct group *group_for(struct th_agg *a, const struct th_group *g)
{
	uint64_t hash;
	struct slot *slot = group_slot(a, g, &hash);
	if (slot->grp != NULL)
		return slot->grp;
	struct th_span vals[TH_KEY_COUNT];
	for (size_t i = 0; i < a->n_keys; i++)
		vals[i] = th_span_or_empty(g->key[a->keys[i]]);
	struct group *grp = group_new(a, hash, vals);
	group_insert(a, slot, grp);
	return grp;
}

/* Merges SRC into A's group of its key (see agg_add_group), spilling
 * when that takes A past its budget; SORTED as for group_merge. */
static void agg_merge_group(struct th_agg *a, const struct th_group *src,
			    size_t first_input, size_t last_input,
			    uint64_t line_shift, bool sorted)
{
	if (a->finished)
		die("agg_add_group: the spilled groups were read "
		    "already");
	struct group *grp = group_for(a, src);
	group_merge(a, grp, src, first_input, last_input, line_shift, sorted);
	if (a->spill_dir != NULL) {
		agg_measure(a, grp);
		agg_check_budget(a);
	}
}

void agg_add_group(struct th_agg *a, const struct th_group *g,
		   size_t first_input, size_t last_input)
{
	agg_merge_group(a, g, first_input, last_input, 0, false);
}

/* Makes GRP, a group of another aggregate of A's rules and keys (made by
 * agg_add, merges or group_decode), A's group at SLOT, the empty slot of
 * its key values of hash HASH: what group_merge makes of it in a new
 * group, without the copies. Its positions move by LINE_SHIFT and name
 * A's copies of their inputs. */
static void group_adopt(struct th_agg *a, struct slot *slot, struct group *grp,
			uint64_t hash, uint64_t line_shift)
{
	struct th_group *g = &grp->g;
	grp->hash = hash;
	g->first.input = names_intern(&a->inputs, g->first.input);
	g->last.input = names_intern(&a->inputs, g->last.input);
	g->first.line += line_shift;
	g->last.line += line_shift;
	g->novelty = TH_NOVELTY_UNKNOWN;
	if (g->example == NULL) /* a merge puts an empty one */
		example_put(grp, "", 0);
	if (g->timeline.width != 0 && g->timeline.counts[0] == 0) {
		/* a merge's is canonical (timeline.h) */
		struct th_timeline t = {0};
		timeline_merge(&t, &g->timeline);
		g->timeline = t;
	}
	grp->size = 0; /* measured in its old aggregate */
	group_insert(a, slot, grp);
	if (a->spill_dir != NULL) {
		agg_measure(a, grp);
		agg_check_budget(a);
	}
}

/* Merges S, SRC's group of input INPUT's range (see agg_merge), into
 * DST: moved there when DST has no group of its key (true: S is DST's
 * now), else added up. */
static bool merge_or_adopt(struct th_agg *dst, struct group *s, size_t input,
			   uint64_t line_base)
{
	if (dst->finished)
		die("agg_add_group: the spilled groups were read "
		    "already");
	uint64_t shift = s->first_input == input ? line_base : 0, hash;
	struct slot *slot = group_slot(dst, &s->g, &hash);
	if (slot->grp == NULL) {
		group_adopt(dst, slot, s, hash, shift);
		return true;
	}
	group_merge(dst, slot->grp, &s->g, s->first_input, s->last_input, shift,
		    true);
	if (dst->spill_dir != NULL) {
		agg_measure(dst, slot->grp);
		agg_check_budget(dst);
	}
	return false;
}

static struct group *group_decode(struct th_agg *a, const void *p, size_t n);

void agg_merge(struct th_agg *dst, struct th_agg *src, size_t input,
	       uint64_t line_base)
{
	/* Only positions in INPUT move; one range scans one input. SRC's
	 * runs hold its older parts and its memory the newer ones: added in
	 * that order, each group's parts come in the order of its events,
	 * as in a serial scan, whenever SRC was spilled (README, "Memory and
	 * temporary files"). Adopting the runs unread would add them after
	 * groups merged later, and which exception types make a group's
	 * list would then depend on which items waited. */
	for (size_t r = 0; r < src->by_key.n; r++) {
		struct th_spill_run *run = src->by_key.v[r].run;
		const void *p;
		size_t n;
		spill_run_rewind(run);
		while (spill_run_get(run, &p, &n)) {
			struct group *s = group_decode(src, p, n);
			if (!merge_or_adopt(dst, s, input, line_base))
				group_free(s);
		}
	}
	/* Groups new to DST move there, the others are freed as they are
	 * merged: SRC is left without groups in memory. */
	for (size_t i = 0; i < src->n_groups; i++) {
		struct group *s = src->groups[i];
		if (!merge_or_adopt(dst, s, input, line_base))
			group_free(s);
	}
	src->n_groups = 0;
	src->bytes = 0;
	memset(src->table, 0, src->table_cap * sizeof *src->table);
}

/* Orders one key value against another: NULL first, then version
 * order. */
static int key_cmp(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y ? 0 : x == NULL ? -1 : 1;
	return vers_cmp(x, y);
}

/* Orders two groups by their key values in group-by order. Distinct
 * groups never compare equal. */
static int group_key_cmp(const struct th_agg *a, const struct th_group *x,
			 const struct th_group *y)
{
	for (size_t i = 0; i < a->n_keys; i++) {
		int c = key_cmp(x->key[a->keys[i]], y->key[a->keys[i]]);
		if (c != 0)
			return c;
	}
	return 0;
}

/* Report order: count descending, then the key values. */
static int group_report_cmp(const struct th_agg *a, const struct th_group *x,
			    const struct th_group *y)
{
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return group_key_cmp(a, x, y);
}

/* qsort_r orders of an array of struct th_group pointers. */
static int group_cmp(const void *px, const void *py, void *pa)
{
	return group_report_cmp(pa, *(const struct th_group *const *)px,
				*(const struct th_group *const *)py);
}

/* qsort_r orders of an array of struct group pointers. */
static int grp_cmp_key(const void *px, const void *py, void *pa)
{
	return group_key_cmp(pa, &(*(struct group *const *)px)->g,
			     &(*(struct group *const *)py)->g);
}

static int grp_cmp_report(const void *px, const void *py, void *pa)
{
	return group_report_cmp(pa, &(*(struct group *const *)px)->g,
				&(*(struct group *const *)py)->g);
}

/* Sorts the groups in memory into a->sorted, in report order, each
 * with the exception types a report lists (exceptions_listed): the
 * groups are read once every event is in (report.h, finish). */
static void agg_sort(struct th_agg *a)
{
	free(a->sorted);
	a->sorted =
	    xmalloc((a->n_groups ? a->n_groups : 1) * sizeof *a->sorted);
	for (size_t i = 0; i < a->n_groups; i++) {
		exceptions_listed(&a->groups[i]->g);
		a->sorted[i] = &a->groups[i]->g;
	}
	qsort_r(a->sorted, a->n_groups, sizeof *a->sorted, group_cmp, a);
}

/* ---- readers ------------------------------------------------------------- */

/* True when the groups are read from runs (spilled, and too many for
 * memory even whole), not from groups[]. */
static bool agg_streams(const struct th_agg *a)
{
	return a->out.n > 0;
}

size_t agg_count(struct th_agg *a)
{
	agg_finish(a);
	return agg_streams(a) ? a->n_final : a->n_groups;
}

static int rec_report_cmp(const void *x, size_t xn, const void *y, size_t yn,
			  void *ctx);

const struct th_group *agg_next(struct th_agg *a, size_t *i)
{
	agg_finish(a);
	if (!agg_streams(a)) {
		if (*i == 0)
			agg_sort(a);
		return *i < a->n_groups ? a->sorted[(*i)++] : NULL;
	}
	if (*i == 0) {
		struct th_spill_run *runs[TH_SPILL_FANIN];
		for (size_t r = 0; r < a->out.n; r++)
			runs[r] = a->out.v[r].run;
		spill_merge_free(a->reading);
		a->reading = spill_merge_new(runs, a->out.n, rec_report_cmp, a);
	} else if (a->reading == NULL || *i != a->current_pos + 1) {
		die("agg_next: group %zu read out of order", *i);
	}
	if (a->current != NULL)
		group_free(a->current);
	a->current = NULL;
	const void *p;
	size_t n;
	if (!spill_merge_next(a->reading, &p, &n))
		return NULL;
	a->current = group_decode(a, p, n);
	exceptions_listed(&a->current->g);
	a->current_pos = (*i)++;
	if (a->novelty != NULL)
		a->current->g.novelty =
		    (enum th_novelty)a->novelty[a->current_pos];
	return &a->current->g;
}

/* Frees agg_top's copies. */
static void agg_top_free(struct th_agg *a)
{
	for (size_t i = 0; i < a->n_top; i++)
		group_free(a->top[i]);
	free(a->top);
	a->top = NULL;
	a->n_top = 0;
}

size_t agg_top(struct th_agg *a, size_t max, const struct th_group *const **out)
{
	agg_finish(a);
	if (!agg_streams(a)) {
		agg_sort(a);
		*out = a->sorted;
		return max && max < a->n_groups ? max : a->n_groups;
	}
	agg_top_free(a);
	size_t want = max && max < a->n_final ? max : a->n_final;
	a->top = xmalloc((want ? want : 1) * sizeof *a->top);
	free(a->sorted);
	a->sorted = xmalloc((want ? want : 1) * sizeof *a->sorted);
	size_t i = 0;
	while (a->n_top < want && agg_next(a, &i) != NULL) {
		a->top[a->n_top] = a->current; /* taken from agg_next */
		a->sorted[a->n_top] = &a->current->g;
		a->current = NULL;
		a->n_top++;
	}
	*out = a->sorted;
	return a->n_top;
}

/* ---- spilling ----------------------------------------------------------- */

/* What malloc takes beside each block, about. */
#define AGG_BLOCK 16

/* The bytes GRP takes in memory, about: its block and its pool. */
static size_t group_size(const struct th_agg *a, const struct group *grp)
{
	size_t n = group_alloc_size(a, grp->key_len) + AGG_BLOCK;
	if (grp->pool.base != NULL)
		n += grp->pool.cap + AGG_BLOCK;
	return n;
}

/* Measures GRP again into A's total. */
static void agg_measure(struct th_agg *a, struct group *grp)
{
	size_t size = group_size(a, grp);
	a->bytes = a->bytes - grp->size + size;
	grp->size = size;
}

/* What the heap takes for a byte of groups, as a fraction: groups are made
 * by every scanning thread, each from its own malloc arena, and freed by
 * whichever thread spills or merges them, and memory freed into one arena
 * is not reused by another. With 500,000 tasks (-g task) the resident size
 * reached 1.45 times the groups' bytes; one arena for all threads avoided
 * that but cost a third more time there and 8 % on the crash loop
 * (docs/performance.md, "Millions of groups"). */
#define AGG_HEAP_NUM 3
#define AGG_HEAP_DEN 2

/* True when the groups in memory, with the table and list that index
 * them, take more than the budget once the heap's share is counted. */
static bool agg_over_budget(const struct th_agg *a)
{
	/* the input names are few, and stay when the groups spill */
	size_t index = a->table_cap * sizeof *a->table +
		       a->groups_cap * sizeof *a->groups +
		       a->inputs.cap * sizeof *a->inputs.copy +
		       /* a spanmap slot: a span, a hash, a value */
		       a->inputs.map.cap * 4 * sizeof(size_t) +
		       a->inputs.bytes + a->inputs.n * AGG_BLOCK;
	return a->n_groups > 0 &&
	       (a->bytes + index) / AGG_HEAP_DEN * AGG_HEAP_NUM > a->budget;
}

/* ---- records: a group as bytes ------------------------------------------- */

/* A record: the count (8 bytes, little-endian, first so that report
 * order reads it without decoding), then each key value (a byte 0 for
 * NULL, or 1 and the string), then the bytes the group's pool holds in
 * use (so that the decoder takes one pool of that size, where growing it
 * block by block renewed it several times), then the rest in the order
 * of struct th_group. */

/* Copies P[0..N) to the end of B, in place while B has room: a record is
 * some hundred pieces, each a buf_add call before (B keeps its NUL). */
static void put_bytes(struct th_buf *b, const void *p, size_t n)
{
	if (b->cap - b->n <= n) {
		buf_add(b, p, n);
		return;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void put_u64(struct th_buf *b, uint64_t v)
{
	unsigned char out[SPILL_VARINT_MAX];
	put_bytes(b, out, spill_varint_encode(out, v));
}

/* S and its NUL; returns the bytes S takes in a pool (word_room). */
static size_t put_str(struct th_buf *b, const char *s)
{
	size_t n = strlen(s);
	put_bytes(b, s, n + 1);
	return word_room(n);
}

static void put_byte(struct th_buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;
	put_bytes(b, &c, 1);
}

static unsigned get_byte(struct th_spill_reader *r)
{
	return *(const unsigned char *)spill_get_span(r, 1);
}

static void put_count(struct th_buf *b, uint64_t v)
{
	unsigned char le[8];
	for (size_t i = 0; i < 8; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	put_bytes(b, le, 8);
}

static uint64_t get_count(struct th_spill_reader *r)
{
	const unsigned char *le = spill_get_span(r, 8);
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v |= (uint64_t)le[i] << (8 * i);
	return v;
}

/* A string that may be NULL; returns its pool bytes, as put_str. */
static size_t put_opt_str(struct th_buf *b, const char *s)
{
	put_byte(b, s != NULL);
	return s != NULL ? put_str(b, s) : 0;
}

static const char *get_opt_str(struct th_spill_reader *r)
{
	return get_byte(r) ? spill_get_str(r) : NULL;
}

/* List L; returns the bytes its array and values take in a pool. */
static size_t put_capped(struct th_buf *b, const struct th_capped *l)
{
	size_t room = list_room(l->n) * sizeof *l->items;
	put_u64(b, l->n);
	put_byte(b, l->capped);
	for (size_t i = 0; i < l->n; i++)
		room += put_str(b, l->items[i]);
	return room;
}

/* A list's count, checked against MAX (TH_MAX_LIST, or
 * TH_MAX_EXCEPTION_TYPES for the exception types): a larger one is a
 * corrupt record. */
static size_t get_list_n(struct th_spill_reader *r, uint64_t max)
{
	uint64_t n = spill_get_u64(r);
	if (n > max)
		die("spill: a group's list of %" PRIu64 " entries", n);
	return (size_t)n;
}

/* GRP's list L as put_capped wrote it, with its TAGS (NULL: none): its
 * array at the size capped_add grows it to for its values. The pool has
 * room for it (see group_decode), or is renewed as blocks are taken: a
 * renewal moves the array and the values before the one taken. */
static void get_capped(struct group *grp, struct th_spill_reader *r,
		       struct th_capped *l, uint8_t *tags)
{
	size_t n = get_list_n(r, TH_MAX_LIST);
	l->capped = get_byte(r);
	if (n == 0)
		return;
	l->items = (char **)pool_take(grp, list_room(n) * sizeof *l->items);
	for (; l->n < n; l->n++) {
		const char *v = spill_get_str(r);
		size_t len = strlen(v);
		pool_reserve(grp, word_room(len));
		l->items[l->n] = pool_dup(grp, v, len);
		if (tags != NULL)
			tags[l->n] = str_tag(v, len);
	}
}

/* Writes time T as its bytes, from a copy whose padding is zero: the
 * padding of a time read on the stack was whatever the stack held, and
 * went to the temporary file as it was. */
static void put_time(struct th_buf *b, const struct th_time *t)
{
	struct th_time c;
	memset(&c, 0, sizeof c);
	c.sec = t->sec;
	c.nsec = t->nsec;
	c.year = t->year;
	c.month = t->month;
	c.day = t->day;
	c.hour = t->hour;
	c.minute = t->minute;
	c.second = t->second;
	c.digits = t->digits;
	c.flags = t->flags;
	put_bytes(b, &c, sizeof c);
}

static void put_where(struct th_buf *b, const struct th_where *w, size_t input)
{
	put_opt_str(b, w->input);
	put_u64(b, w->line);
	put_time(b, &w->time);
	put_u64(b, input);
}

static void get_where(struct th_agg *a, struct th_spill_reader *r,
		      struct th_where *w, size_t *input)
{
	w->input = names_intern(&a->inputs, get_opt_str(r));
	w->line = spill_get_u64(r);
	spill_get_bytes(r, &w->time, sizeof w->time);
	*input = (size_t)spill_get_u64(r);
}

static void put_timeline(struct th_buf *b, const struct th_timeline *t)
{
	size_t used = timeline_used(t);
	put_bytes(b, &t->first, sizeof t->first);
	put_u64(b, t->width);
	put_u64(b, used);
	for (size_t i = 0; i < used; i++)
		put_u64(b, t->counts[i]);
}

static void get_timeline(struct th_spill_reader *r, struct th_timeline *t)
{
	spill_get_bytes(r, &t->first, sizeof t->first);
	t->width = spill_get_u64(r);
	uint64_t used = spill_get_u64(r);
	if (used > TH_TIMELINE_BUCKETS)
		die("spill: a timeline of %" PRIu64 " buckets", used);
	for (size_t i = 0; i < used; i++)
		t->counts[i] = spill_get_u64(r);
}

/* The bytes of a record's pool size (see "records"): written after the
 * rest, in the room left for it, as a varint padded to this width (up to
 * 256 MiB; a larger pool is noted as 0, and the decoder grows it). */
#define AGG_REC_LIVE 4

/* Writes V as a varint of exactly AGG_REC_LIVE bytes (continuation bits
 * on every byte but the last), which spill_get_u64 reads as V; 0 when V
 * needs more. */
static void put_u64_wide(unsigned char *out, uint64_t v)
{
	if (v >> (7 * AGG_REC_LIVE) != 0)
		v = 0;
	for (size_t k = 0; k < AGG_REC_LIVE; k++, v >>= 7)
		out[k] = (unsigned char)((v & 0x7F) |
					 (k + 1 < AGG_REC_LIVE ? 0x80 : 0));
}

/* GRP as a record in B (emptied first). The pool bytes it notes are
 * those group_decode takes: what pool_blocks counts, found while the
 * strings are written. */
static void group_encode(const struct th_agg *a, const struct group *grp,
			 struct th_buf *b)
{
	const struct th_group *g = &grp->g;
	b->n = 0;
	/* the pool's share, an upper bound: B grows once, not on the way */
	buf_reserve(b, grp->pool.used + 1024 + a->n_rules * SPILL_VARINT_MAX);
	put_count(b, g->count);
	for (size_t i = 0; i < a->n_keys; i++)
		put_opt_str(b, g->key[a->keys[i]]);
	size_t live_at = b->n, live = 0;
	put_bytes(b, (const unsigned char[AGG_REC_LIVE]){0}, AGG_REC_LIVE);
	for (size_t r = 0; r < a->n_rules; r++)
		put_u64(b, g->rule_counts[r]);
	put_u64(b, g->n_exceptions);
	live += exceptions_room(g->n_exceptions) * sizeof *g->exceptions;
	for (size_t i = 0; i < g->n_exceptions; i++) {
		live += put_str(b, g->exceptions[i].name);
		put_u64(b, g->exceptions[i].count);
	}
	put_u64(b, g->exceptions_other);
	put_byte(b, g->severity);
	live += put_capped(b, &g->tasks);
	live += put_capped(b, &g->defined_at);
	live += put_capped(b, &g->labels);
	put_where(b, &g->first, grp->first_input);
	put_where(b, &g->last, grp->last_input);
	put_u64(b, g->example ? g->example_len + 1 : 0);
	if (g->example != NULL) {
		put_bytes(b, g->example, g->example_len);
		live += example_room(g);
	}
	live += put_opt_str(b, g->culprit.file);
	put_u64(b, g->culprit.line);
	live += put_opt_str(b, g->culprit.function);
	live += put_opt_str(b, g->message);
	live += put_opt_str(b, g->source);
	put_timeline(b, &g->timeline);
	put_byte(b, g->novelty);
	put_u64_wide((unsigned char *)b->p + live_at, live);
}

/* Exceptions of GRP, empty, as group_encode wrote them: the array at the
 * size exception_append grows it to (see get_capped for the pool). */
static void get_exceptions(struct group *grp, struct th_spill_reader *r)
{
	struct th_group *g = &grp->g;
	size_t n = get_list_n(r, TH_MAX_EXCEPTION_TYPES);
	if (n == 0)
		return;
	g->exceptions = (struct th_count *)pool_take(
	    grp, exceptions_room(n) * sizeof *g->exceptions);
	for (; g->n_exceptions < n; g->n_exceptions++) {
		const char *name = spill_get_str(r);
		size_t len = strlen(name);
		pool_reserve(grp, word_room(len));
		size_t i = g->n_exceptions;
		g->exceptions[i] = (struct th_count){pool_dup(grp, name, len),
						     spill_get_u64(r)};
		if (i < TH_MAX_LIST)
			grp->exception_tag[i] = str_tag(name, len);
	}
}

/* A new group from record P[0..N), as group_encode wrote it (not in A's
 * table: its hash is not set). */
static struct group *group_decode(struct th_agg *a, const void *p, size_t n)
{
	struct th_spill_reader r = {p, (const unsigned char *)p + n};
	uint64_t count = get_count(&r);
	struct th_span vals[TH_KEY_COUNT]; /* into the record */
	for (size_t i = 0; i < a->n_keys; i++)
		vals[i] = th_span_or_empty(get_opt_str(&r));
	struct group *grp = group_alloc(a, vals);
	struct th_group *g = &grp->g;
	g->count = count;
	pool_fit(grp, (size_t)spill_get_u64(&r));
	for (size_t i = 0; i < a->n_rules; i++)
		g->rule_counts[i] = spill_get_u64(&r);
	get_exceptions(grp, &r);
	g->exceptions_other = spill_get_u64(&r);
	g->severity = (enum th_severity)get_byte(&r);
	get_capped(grp, &r, &g->tasks, grp->task_tag);
	get_capped(grp, &r, &g->defined_at, grp->defined_at_tag);
	get_capped(grp, &r, &g->labels, NULL);
	get_where(a, &r, &g->first, &grp->first_input);
	get_where(a, &r, &g->last, &grp->last_input);
	grp->last_rank = isotime_rank(&g->last.time);
	uint64_t ex = spill_get_u64(&r);
	if (ex > 0) {
		size_t len = (size_t)(ex - 1);
		example_put(grp, spill_get_span(&r, len), len);
	}
	g->culprit.file = pool_dup_opt(grp, get_opt_str(&r));
	g->culprit.line = spill_get_u64(&r);
	g->culprit.function = pool_dup_opt(grp, get_opt_str(&r));
	g->message = pool_dup_opt(grp, get_opt_str(&r));
	g->source = pool_dup_opt(grp, get_opt_str(&r));
	get_timeline(&r, &g->timeline);
	g->novelty = (enum th_novelty)get_byte(&r);
	if (r.p != r.end)
		die("spill: %zu bytes left after a group",
		    (size_t)(r.end - r.p));
	return grp;
}

/* The key values of record P[0..N): pointers into it. */
static void rec_keys(const struct th_agg *a, const void *p, size_t n,
		     const char **keys)
{
	struct th_spill_reader r = {p, (const unsigned char *)p + n};
	spill_get_span(&r, 8);
	for (size_t i = 0; i < a->n_keys; i++)
		keys[i] = get_opt_str(&r);
}

/* Orders two records by key, as group_key_cmp orders groups. */
static int rec_key_cmp(const void *x, size_t xn, const void *y, size_t yn,
		       void *ctx)
{
	const struct th_agg *a = ctx;
	const char *kx[TH_KEY_COUNT], *ky[TH_KEY_COUNT];
	rec_keys(a, x, xn, kx);
	rec_keys(a, y, yn, ky);
	for (size_t i = 0; i < a->n_keys; i++) {
		int c = key_cmp(kx[i], ky[i]);
		if (c != 0)
			return c;
	}
	return 0;
}

/* Orders two records in report order, as group_report_cmp. */
static int rec_report_cmp(const void *x, size_t xn, const void *y, size_t yn,
			  void *ctx)
{
	struct th_spill_reader rx = {x, (const unsigned char *)x + xn};
	struct th_spill_reader ry = {y, (const unsigned char *)y + yn};
	uint64_t cx = get_count(&rx), cy = get_count(&ry);
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return rec_key_cmp(x, xn, y, yn, ctx);
}

/* ---- runs ---------------------------------------------------------------- */

/* The file A's runs go to: one for all of them, so that an aggregate
 * takes one descriptor however often it spills (spill.h). */
static struct th_spill_file *agg_spill_file(struct th_agg *a)
{
	if (a->spill_file == NULL)
		a->spill_file = spill_file_new(a->spill_dir);
	return a->spill_file;
}

static void runs_push(struct runs *rs, struct th_spill_run *run, unsigned level)
{
	XGROW(rs->v, rs->cap, rs->n + 1, 16);
	rs->v[rs->n++] = (struct level_run){.run = run, .level = level};
}

static void runs_free(struct runs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		spill_run_free(rs->v[i].run);
	free(rs->v);
	*rs = (struct runs){0};
}

/* What merge_parts does with each whole group: takes it. */
typedef void (*group_sink)(struct th_agg *a, struct group *grp, void *ctx);

/* Merges the N runs by key, adding up the parts of each group, and
 * gives every whole group in key order to SINK. */
static void merge_parts(struct th_agg *a, const struct level_run *runs,
			size_t n, group_sink sink, void *ctx)
{
	struct th_spill_run *in[TH_SPILL_FANIN];
	for (size_t i = 0; i < n; i++)
		in[i] = runs[i].run;
	struct th_spill_merge *m = spill_merge_new(in, n, rec_key_cmp, a);
	struct group *cur = NULL;
	const void *p;
	size_t len;
	while (spill_merge_next(m, &p, &len)) {
		struct group *g = group_decode(a, p, len);
		if (cur != NULL && group_key_cmp(a, &cur->g, &g->g) == 0) {
			group_merge(a, cur, &g->g, g->first_input,
				    g->last_input, 0, true);
			group_free(g);
			continue;
		}
		if (cur != NULL)
			sink(a, cur, ctx);
		cur = g;
	}
	if (cur != NULL)
		sink(a, cur, ctx);
	spill_merge_free(m);
}

/* A group_sink writing to the run CTX. */
static void sink_run(struct th_agg *a, struct group *grp, void *ctx)
{
	group_encode(a, grp, &a->rec);
	spill_run_put(ctx, a->rec.p, a->rec.n);
	a->spilled++;
	group_free(grp);
}

/* Replaces the N runs from RS->v[FROM] on with one: their merge, of
 * LEVEL. BY_KEY: runs of parts of groups, added up; else of whole
 * groups in report order. */
static void runs_merge(struct th_agg *a, struct runs *rs, size_t from, size_t n,
		       unsigned level, bool by_key)
{
	struct th_spill_run *in[TH_SPILL_FANIN];
	for (size_t i = 0; i < n; i++)
		in[i] = rs->v[from + i].run;
	struct th_spill_run *out = spill_run_new(agg_spill_file(a));
	if (by_key) {
		merge_parts(a, &rs->v[from], n, sink_run, out);
	} else {
		struct th_spill_merge *m =
		    spill_merge_new(in, n, rec_report_cmp, a);
		const void *p;
		size_t len;
		while (spill_merge_next(m, &p, &len))
			spill_run_put(out, p, len);
		spill_merge_free(m);
	}
	for (size_t i = 0; i < n; i++)
		spill_run_free(in[i]);
	memmove(&rs->v[from], &rs->v[from + n],
		(rs->n - from - n) * sizeof *rs->v);
	rs->n -= n;
	runs_push(rs, out, level);
}

/* While the last TH_SPILL_FANIN runs of RS are of one level, merges
 * them into one of the next. */
static void runs_settle(struct th_agg *a, struct runs *rs, bool by_key)
{
	while (rs->n >= TH_SPILL_FANIN) {
		size_t from = rs->n - TH_SPILL_FANIN;
		unsigned level = rs->v[from].level;
		if (rs->v[rs->n - 1].level != level)
			break; /* levels only go down along the list */
		runs_merge(a, rs, from, TH_SPILL_FANIN, level + 1, by_key);
	}
}

/* Adds RUN to RS at level 0 and settles the levels. */
static void runs_add(struct th_agg *a, struct runs *rs,
		     struct th_spill_run *run, bool by_key)
{
	runs_push(rs, run, 0);
	runs_settle(a, rs, by_key);
}

/* Merges RS's last runs until at most TH_SPILL_FANIN are left. */
static void runs_reduce(struct th_agg *a, struct runs *rs, bool by_key)
{
	while (rs->n > TH_SPILL_FANIN)
		runs_merge(a, rs, rs->n - TH_SPILL_FANIN, TH_SPILL_FANIN, 0,
			   by_key);
}

/* Writes the groups in memory to a run of RS, sorted by CMP, and frees
 * them. */
static void agg_spill_into(struct th_agg *a, struct runs *rs,
			   int (*cmp)(const void *, const void *, void *),
			   bool by_key)
{
	qsort_r(a->groups, a->n_groups, sizeof *a->groups, cmp, a);
	struct th_spill_run *run = spill_run_new(agg_spill_file(a));
	for (size_t i = 0; i < a->n_groups; i++)
		sink_run(a, a->groups[i], run);
	a->n_groups = 0;
	a->bytes = 0;
	memset(a->table, 0, a->table_cap * sizeof *a->table);
	runs_add(a, rs, run, by_key);
}

void agg_spill_now(struct th_agg *a)
{
	if (a->spill_dir == NULL || a->n_groups == 0 || a->finished)
		return;
	agg_spill_into(a, &a->by_key, grp_cmp_key, true);
	/* the last run's write buffer, the table and the list go too: many
	 * aggregates may wait at once (rewinding ends the writing) */
	spill_run_rewind(a->by_key.v[a->by_key.n - 1].run);
	free(a->groups);
	a->groups = NULL;
	a->groups_cap = 0;
	free(a->table);
	table_start(a);
}

static void agg_check_budget(struct th_agg *a)
{
	if (agg_over_budget(a))
		agg_spill_into(a, &a->by_key, grp_cmp_key, true);
}

/* A group_sink keeping whole groups in memory, spilling them in report
 * order past the budget; it notes their number and time span. */
static void sink_final(struct th_agg *a, struct group *grp, void *ctx)
{
	(void)ctx;
	a->n_final++;
	group_span(&grp->g, &a->timed, &a->span_start, &a->span_end);
	groups_push(a, grp);
	grp->size = 0;
	agg_measure(a, grp);
	if (agg_over_budget(a))
		agg_spill_into(a, &a->out, grp_cmp_report, false);
}

/* Once spilled, before the first read: merges the runs by key into
 * whole groups, which stay in memory when they fit and else go to runs
 * in report order (a->out). */
static void agg_finish(struct th_agg *a)
{
	if (a->finished || a->by_key.n == 0)
		return;
	a->finished = true;
	if (a->n_groups > 0)
		agg_spill_into(a, &a->by_key, grp_cmp_key, true);
	runs_reduce(a, &a->by_key, true);
	merge_parts(a, a->by_key.v, a->by_key.n, sink_final, NULL);
	runs_free(&a->by_key);
	if (a->out.n > 0 && a->n_groups > 0)
		agg_spill_into(a, &a->out, grp_cmp_report, false);
	runs_reduce(a, &a->out, false);
}

static void agg_spill_free(struct th_agg *a)
{
	runs_free(&a->by_key);
	spill_merge_free(a->reading);
	if (a->current != NULL)
		group_free(a->current);
	agg_top_free(a);
	runs_free(&a->out);
	spill_file_free(a->spill_file);
	a->spill_file = NULL;
	free(a->novelty);
	buf_fini(&a->rec);
	free(a->spill_dir);
}

void agg_spill_to(struct th_agg *a, const char *dir, size_t budget)
{
	free(a->spill_dir);
	a->spill_dir = xstrdup(dir);
	a->budget = budget;
}

uint64_t agg_spilled(const struct th_agg *a)
{
	return a->spilled;
}

size_t agg_held(const struct th_agg *a)
{
	return a->n_groups;
}

void agg_set_label(struct th_agg *a, const char *label)
{
	free(a->label);
	a->label = xstrdup(label);
}

struct th_agg *agg_new_like(const struct th_agg *a)
{
	struct th_agg *b = agg_new(a->catalog, a->keys, a->n_keys);
	if (a->label != NULL)
		agg_set_label(b, a->label);
	if (a->spill_dir != NULL)
		agg_spill_to(b, a->spill_dir, a->budget);
	return b;
}
