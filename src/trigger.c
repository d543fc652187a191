/* trigger.c - multi-literal search over buffers; see trigger.h.
 *
 * All literals are searched in one pass, by the best of these the machine
 * has (trigger_set_search picks one for tests and benchmarks):
 * - avx512 (AVX-512 VBMI): three of each literal's rarest bytes are its
 *   fingerprint; one 128-entry table lookup per byte and per fingerprint
 *   byte tells, for 64 positions at once, which fingerprints may start
 *   there. Only there is a whole literal compared.
 * - fingerprint (AVX2): the same with two 16-entry nibble lookups per
 *   byte, 32 positions at once (Teddy, as in Hyperscan and ripgrep).
 *   The tables have eight buckets, one bit each; beyond eight literals
 *   (up to 32) a bucket holds several, and a hit in it is confirmed
 *   against each of them. Which three bytes, and which literals share a
 *   bucket, is planned by how often the bytes come in log text
 *   (plan_fingerprints): a fingerprint that passes common text costs a
 *   confirmation wherever it does.
 * - anchors (AVX2, more than 32 literals or one shorter than 3 bytes)
 *   and sse2: each literal's two rarest bytes compared at their
 *   distance, 32 or 16 positions at once.
 * - portable: a memmem per literal.
 * - hash (more than 64 literals, as tens of thousands of rules give):
 *   the first bytes at each position are hashed and looked up in a table
 *   of the literals' first bytes, so the cost per byte does not grow
 *   with the number of literals, where each search above tries every
 *   literal at every block.
 * Log lines rarely hold the rare bytes at the right distance, so almost
 * every block is rejected with a few instructions.
 */
#include "trigger.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TH_X86 1
#endif

#include "diag.h"

struct literal {
	char *p;
	size_t n;
	size_t at1, at2;  /* offsets of the anchor bytes */
	size_t fp;	  /* offset of the 3-byte fingerprint */
	int fp_hint;	  /* the offset to take, or -1: plan_fingerprints */
	const char *veto; /* a hit right after these bytes is no hit */
	size_t veto_n;
	uint64_t head; /* the first 8 bytes, when N >= 8 */
};

typedef size_t (*scan_fn)(const struct th_trigger *t, const char *p, size_t n);
/* trigger_line_may_start's search for one line of at least min_len bytes */
typedef bool (*line_fn)(const struct th_trigger *t, const char *p, size_t n);

/* The fingerprint tables have one bit, a bucket, per byte lane. */
#define FINGERPRINT_BUCKETS 8
/* More literals share buckets: each shared bucket's hits are confirmed
 * against all its literals, and its table bits let through the mixtures
 * of their fingerprints. Past four a bucket, the anchors search is
 * faster. */
#define MAX_FINGERPRINT_LITERALS 32

/* The length of the veto veto_filter512 looks for: Docker's "\\n". */
#define VETO_LEN 2
/* Rounds of a search whose candidates the veto all cleared, after which
 * the search clears them every round, before its test for any candidate
 * (see fingerprint_search512). */
#define VETO_EVERY_ROUND 8

struct th_trigger {
	struct literal *lits;
	size_t n;
	size_t reach;	/* largest anchor offset: vector loads stay in bounds */
	size_t max_fp;	/* largest fingerprint offset */
	size_t min_len; /* shortest literal */
	size_t max_len; /* longest literal or marker */
	/* nibble tables of the fingerprints: bit b set for the literals of
	 * bucket b */
	uint8_t lo[3][16], hi[3][16];
	/* the same by whole byte, folded to seven bits: bit b of
	 * ascii[j][c & 0x7f] set when byte j of the fingerprint of a literal
	 * of bucket b is c */
	uint8_t ascii[3][128];
	/* the literals (indexes into lits) of each bucket */
	uint8_t members[FINGERPRINT_BUCKETS][MAX_FINGERPRINT_LITERALS];
	uint8_t n_members[FINGERPRINT_BUCKETS];
	/* every fingerprint byte is below 0x80: the AVX2 lookups need not
	   mask a byte's low nibble (fingerprint_block's ASCII) */
	bool ascii_fp;
	/* the hash search: literals by a hash of their first HASH_W bytes,
	   HASH_HEAD[h] the first of a chain through HASH_NEXT (SIZE_MAX
	   ends it) */
	size_t *hash_head, *hash_next;
	size_t hash_w;
	unsigned hash_shift; /* 64 - log2 of the table's slots */
	bool every_line;
	/* A literal with a veto alone in its fingerprint bucket (Docker's
	   marker, on every line): the AVX-512 search clears that bucket's
	   candidates where it finds the veto's bytes, 64 positions at once,
	   before confirming any (veto_filter512). VETO_BUCKET: the bucket's
	   bit, 0 for none; VETO_BACK: the fingerprint's offset in the
	   literal plus VETO_LEN, the veto's length. */
	uint8_t veto_bucket;
	size_t veto_back;
	char veto[VETO_LEN];
	/* trigger_find_lines looks at a window's first line alone first
	   (fingerprint_search_first_line): no literal holds a '\n', and
	   there is no framing's marker */
	bool first_line_first;
	scan_fn scan;
	line_fn line; /* the line search that goes with SCAN */
};

/* Past this many literals the hash search is the fastest. */
#define HASH_MIN_LITERALS 64

/* How common a byte is in log text: higher is more common. Letters follow
 * English frequency; digits, space and the separators of log prefixes are
 * most common; rare punctuation and upper case score low. */
static int byte_rank(unsigned char c)
{
	static const char common[] = " etaoinsrhldcu0123456789:.-/,_=[]mfpgwyb";
	const char *at = memchr(common, c, sizeof common - 1);
	if (at != NULL)
		return 255 - (int)(at - common);
	if (c >= 'A' && c <= 'Z')
		return 100;
	if (c >= 'a' && c <= 'z')
		return 150;
	return 50;
}

/* Picks the two rarest distinct positions of L as its anchors. */
static void choose_anchors(struct literal *l)
{
	size_t best = 0, second = l->n > 1 ? 1 : 0;
	for (size_t i = 0; i < l->n; i++) {
		int r = byte_rank((unsigned char)l->p[i]);
		if (r < byte_rank((unsigned char)l->p[best])) {
			second = best;
			best = i;
		} else if (i != best &&
			   (second == best ||
			    r < byte_rank((unsigned char)l->p[second]))) {
			second = i;
		}
	}
	l->at1 = best < second ? best : second;
	l->at2 = best < second ? second : best;
}

/* How often each byte occurs in log text, per 10,000 bytes: English
 * letter frequencies for the lower case letters (which are about half of
 * a log's bytes), then space, digits, the separators of timestamps,
 * paths and key=value pairs, and upper case, most of it capitals of
 * words. Rough figures suffice: they only rank fingerprints and bucket
 * plans, as the "rare byte" tables of Hyperscan and ripgrep's memchr do.
 * Bytes above 0x7f (UTF-8 text) count as rare; control bytes as absent.
 * 'x' is not English's 15 but 45: Python's logs say "exception" on many
 * lines (asyncio's context lines, the separators of chained tracebacks)
 * and write addresses as 0x...; 43 in 10,000 bytes of the crash loop, 16
 * of the sparse log. At 15 asyncio's " exception was never retrieved"
 * took "exc" for its fingerprint, and each of those lines inside an
 * event cost a confirmation. */
static const uint16_t log_byte_freq[128] = {
    ['\t'] = 10, ['\n'] = 120, [' '] = 1400, ['!'] = 3,	  ['"'] = 80,
    ['#'] = 3,	 ['$'] = 2,    ['%'] = 5,    ['&'] = 3,	  ['\''] = 40,
    ['('] = 40,	 [')'] = 40,   ['*'] = 3,    ['+'] = 10,  [','] = 80,
    ['-'] = 110, ['.'] = 220,  ['/'] = 100,  ['0'] = 200, ['1'] = 160,
    ['2'] = 150, ['3'] = 110,  ['4'] = 100,  ['5'] = 100, ['6'] = 100,
    ['7'] = 95,	 ['8'] = 95,   ['9'] = 95,   [':'] = 150, [';'] = 5,
    ['<'] = 10,	 ['='] = 50,   ['>'] = 12,   ['?'] = 3,	  ['@'] = 3,
    ['A'] = 30,	 ['B'] = 8,    ['C'] = 20,   ['D'] = 20,  ['E'] = 30,
    ['F'] = 10,	 ['G'] = 10,   ['H'] = 10,   ['I'] = 25,  ['J'] = 2,
    ['K'] = 5,	 ['L'] = 15,   ['M'] = 15,   ['N'] = 20,  ['O'] = 20,
    ['P'] = 15,	 ['Q'] = 2,    ['R'] = 20,   ['S'] = 25,  ['T'] = 30,
    ['U'] = 12,	 ['V'] = 5,    ['W'] = 8,    ['X'] = 3,	  ['Y'] = 4,
    ['Z'] = 2,	 ['['] = 30,   ['\\'] = 5,   [']'] = 30,  ['^'] = 1,
    ['_'] = 80,	 ['`'] = 1,    ['a'] = 390,  ['b'] = 70,  ['c'] = 135,
    ['d'] = 205, ['e'] = 610,  ['f'] = 105,  ['g'] = 95,  ['h'] = 190,
    ['i'] = 335, ['j'] = 7,    ['k'] = 37,   ['l'] = 190, ['m'] = 115,
    ['n'] = 320, ['o'] = 360,  ['p'] = 90,   ['q'] = 5,	  ['r'] = 290,
    ['s'] = 300, ['t'] = 435,  ['u'] = 135,  ['v'] = 48,  ['w'] = 115,
    ['x'] = 45,	 ['y'] = 95,   ['z'] = 4,    ['{'] = 8,	  ['|'] = 3,
    ['}'] = 8,	 ['~'] = 1,
};

static double byte_freq(unsigned c)
{
	return c < 128 ? log_byte_freq[c] : 2;
}

/* What a candidate costs besides confirming each literal of its bucket,
 * in literal confirmations (storing the block, finding the bit). */
#define CANDIDATE_COST 2.0
/* How much likelier a letter is right after a letter than its frequency
 * says: words repeat, so "std" in "stderr" or "exc" in "exception" is
 * far commoner than three independent letters would be. */
#define IN_WORD 4.0

/* How often the 3 bytes at W may be expected together in log text. */
static double window_rate(const unsigned char *w)
{
	double rate = byte_freq(w[0]);
	for (size_t j = 1; j < 3; j++)
		rate *= byte_freq(w[j]) *
			(th_is_letter(w[j - 1]) && th_is_letter(w[j]) ? IN_WORD
								      : 1);
	return rate;
}

/* The 3-byte window of L taken as its fingerprint: the offset it was
 * given, else the rarest in log text (the earliest on a tie). */
static size_t choose_fingerprint(const struct literal *l)
{
	if (l->fp_hint >= 0 && (size_t)l->fp_hint + 3 <= l->n)
		return (size_t)l->fp_hint;
	size_t best = 0;
	double best_rate = -1;
	for (size_t i = 0; i + 3 <= l->n; i++) {
		double r = window_rate((const unsigned char *)l->p + i);
		if (best_rate < 0 || r < best_rate) {
			best_rate = r;
			best = i;
		}
	}
	return best;
}

/* The fingerprint bytes of one bucket as the AVX2 tables see them: a
 * mask of low and of high nibbles per byte. A byte passes when both its
 * nibbles are in the masks, so a bucket also passes the bytes that mix
 * its literals' nibbles; the AVX-512 tables, by whole byte, pass fewer. */
struct bucket_plan {
	uint16_t lo[3], hi[3];
	size_t n;
	bool common; /* holds a literal with a veto */
	double cost; /* bucket_cost */
};

/* A literal has a veto because its text is common: Docker's marker is on
 * every line, and the veto rejects nearly all of them. The plan counts
 * such a literal's fingerprint as passing once in this many bytes, so
 * that no other literal shares its bucket and is confirmed with it. */
#define COMMON_EVERY 100.0

/* How often the fingerprint of a bucket planned as B may start at a
 * position of log text, its bytes taken as independent. */
static double bucket_rate(const struct bucket_plan *b)
{
	if (b->common)
		return 1e12 / COMMON_EVERY; /* log_byte_freq cubed is 1e12 */
	double rate = 1;
	for (size_t j = 0; j < 3; j++) {
		double sum = 0;
		for (unsigned hi = b->hi[j]; hi != 0; hi &= hi - 1)
			for (unsigned lo = b->lo[j]; lo != 0; lo &= lo - 1)
				sum +=
				    byte_freq((unsigned)__builtin_ctz(hi) << 4 |
					      (unsigned)__builtin_ctz(lo));
		rate *= sum;
	}
	return rate;
}

/* What bucket B costs a position of log text: how often it fires times
 * the work a candidate takes. */
static double bucket_cost(const struct bucket_plan *b)
{
	return b->n == 0 ? 0 : bucket_rate(b) * (CANDIDATE_COST + (double)b->n);
}

/* B with literal L added, its fingerprint at FP, and costed. */
static struct bucket_plan bucket_with(struct bucket_plan b,
				      const struct literal *l, size_t fp)
{
	b.common |= l->veto != NULL;
	for (size_t j = 0; j < 3; j++) {
		unsigned char c = (unsigned char)l->p[fp + j];
		b.lo[j] |= (uint16_t)(1u << (c & 15));
		b.hi[j] |= (uint16_t)(1u << (c >> 4));
	}
	b.n++;
	b.cost = bucket_cost(&b);
	return b;
}

/* Each literal's fingerprint and bucket. */
struct plan {
	struct bucket_plan buckets[FINGERPRINT_BUCKETS];
	size_t fp[MAX_FINGERPRINT_LITERALS];
	unsigned bucket[MAX_FINGERPRINT_LITERALS];
};

/* Plans bucket B anew from the literals P puts in it but SKIP. */
static void replan_bucket(const struct th_trigger *t, struct plan *p,
			  unsigned b, size_t skip)
{
	struct bucket_plan fresh = {0};
	for (size_t k = 0; k < t->n; k++)
		if (k != skip && p->bucket[k] == b)
			fresh = bucket_with(fresh, &t->lits[k], p->fp[k]);
	p->buckets[b] = fresh;
}

/* What literal K, its fingerprint as P plans it, adds to the cost of
 * bucket B; *WITH is the bucket with it. */
static double cost_added(const struct th_trigger *t, const struct plan *p,
			 size_t k, unsigned b, struct bucket_plan *with)
{
	*with = bucket_with(p->buckets[b], &t->lits[k], p->fp[k]);
	return with->cost - p->buckets[b].cost;
}

/* Puts literal K (in no bucket) in the bucket its fingerprint adds least
 * cost to, bucket KEEP (FINGERPRINT_BUCKETS: none) on a tie. Returns
 * whether that is another than KEEP. */
static bool place_literal(const struct th_trigger *t, struct plan *p, size_t k,
			  unsigned keep)
{
	unsigned best_b = keep < FINGERPRINT_BUCKETS ? keep : 0;
	struct bucket_plan best_with, with;
	double best = cost_added(t, p, k, best_b, &best_with);
	for (unsigned b = 0; b < FINGERPRINT_BUCKETS; b++) {
		double added = cost_added(t, p, k, b, &with);
		if (added < best) {
			best = added;
			best_b = b;
			best_with = with;
		}
	}
	p->bucket[k] = best_b;
	p->buckets[best_b] = best_with;
	return best_b != keep;
}

/* Chooses each literal's fingerprint and bucket so that, by
 * log_byte_freq, few positions of log text pass the tables: literals
 * whose fingerprints share bytes, or at least nibbles, go together, and
 * fingerprints that mix into common bytes (as "Unc" and "am\"" into
 * "me\"", which Docker writes on every line) go apart. Each literal is
 * placed where it adds least, then each is taken out and placed again
 * while that lowers the cost (a few rounds at most). */
static void plan_fingerprints(const struct th_trigger *t, struct plan *p)
{
	*p = (struct plan){0};
	for (size_t k = 0; k < t->n; k++) {
		p->fp[k] = choose_fingerprint(&t->lits[k]);
		place_literal(t, p, k, FINGERPRINT_BUCKETS);
	}
	for (int round = 0; round < 4; round++) {
		bool moved = false;
		for (size_t k = 0; k < t->n; k++) {
			replan_bucket(t, p, p->bucket[k], k);
			moved |= place_literal(t, p, k, p->bucket[k]);
		}
		if (!moved)
			break;
	}
}

/* Files literal K's fingerprint, at FP, in the tables of bucket B. */
static void add_fingerprint(struct th_trigger *t, size_t k, size_t fp,
			    unsigned b)
{
	struct literal *l = &t->lits[k];
	l->fp = fp;
	t->members[b][t->n_members[b]++] = (uint8_t)k;
	for (size_t j = 0; j < 3; j++) {
		unsigned char c = (unsigned char)l->p[l->fp + j];
		t->lo[j][c & 15] |= (uint8_t)(1u << b);
		t->hi[j][c >> 4] |= (uint8_t)(1u << b);
		t->ascii[j][c & 0x7f] |= (uint8_t)(1u << b);
	}
	if (l->fp > t->max_fp)
		t->max_fp = l->fp;
}

/* The first bucket that holds one literal alone, and that literal has a
 * veto of VETO_LEN bytes: veto_filter512's (see struct th_trigger). */
static void choose_veto_bucket(struct th_trigger *t)
{
	for (unsigned b = 0; b < FINGERPRINT_BUCKETS; b++) {
		if (t->n_members[b] != 1)
			continue;
		const struct literal *l = &t->lits[t->members[b][0]];
		if (l->veto == NULL || l->veto_n != VETO_LEN)
			continue;
		t->veto_bucket = (uint8_t)(1u << b);
		t->veto_back = l->fp + VETO_LEN;
		memcpy(t->veto, l->veto, VETO_LEN);
		return;
	}
}

/* Builds the fingerprint tables by plan_fingerprints. */
static void build_fingerprints(struct th_trigger *t)
{
	struct plan p;
	plan_fingerprints(t, &p);
	t->ascii_fp = true;
	for (size_t k = 0; k < t->n; k++) {
		add_fingerprint(t, k, p.fp[k], p.bucket[k]);
		for (size_t j = 0; j < 3; j++)
			t->ascii_fp &=
			    (unsigned char)t->lits[k].p[p.fp[k] + j] < 0x80;
	}
	choose_veto_bucket(t);
}

/* Whether the N bytes at A and B are the same: a loop, not a call, for
 * the few bytes of a veto (Docker's marker is checked on every line). */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
	if (n > 8)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Whether the L->n bytes at S (L->n >= 8) are L's text: eight bytes a
 * compare, the last eight overlapping, no call. The first eight are
 * compared with the word kept in L, where most false candidates differ
 * (a call to memcmp was a third of what a confirmation cost). */
static inline bool same_as_literal(const char *s, const struct literal *l)
{
	uint64_t a, b;
	memcpy(&a, s, 8);
	if (a != l->head)
		return false;
	for (size_t k = 8; k + 8 < l->n; k += 8) {
		memcpy(&a, s + k, 8);
		memcpy(&b, l->p + k, 8);
		if (a != b)
			return false;
	}
	memcpy(&a, s + l->n - 8, 8);
	memcpy(&b, l->p + l->n - 8, 8);
	return a == b;
}

/* Whether literal L starts at P[I] (N bytes in all). The veto is tried
 * first: where a literal has one, most places are vetoed. */
static inline bool literal_here(const struct literal *l, const char *p,
				size_t i, size_t n)
{
	if (l->veto != NULL && i >= l->veto_n &&
	    same_bytes(p + i - l->veto_n, l->veto, l->veto_n))
		return false;
	if (i + l->n > n)
		return false;
	if (l->n >= 8)
		return same_as_literal(p + i, l);
	return p[i] == l->p[0] && memcmp(p + i, l->p, l->n) == 0;
}

/* Whether some literal starts at P[I]. */
static bool any_literal_here(const struct th_trigger *t, const char *p,
			     size_t i, size_t n)
{
	for (size_t k = 0; k < t->n; k++)
		if (literal_here(&t->lits[k], p, i, n))
			return true;
	return false;
}

/* The earliest occurrence of a literal starting in FROM..N, by a memmem
 * per literal: for the short stretches the vector loops cannot load (a
 * window's tail, one line) and for machines without them. */
static size_t scan_scalar(const struct th_trigger *t, const char *p,
			  size_t from, size_t n)
{
	size_t best = n;
	for (size_t k = 0; k < t->n; k++) {
		const struct literal *l = &t->lits[k];
		size_t i = from;
		/* an occurrence must start before BEST, it may end after */
		size_t end = best + l->n - 1 < n ? best + l->n - 1 : n;
		while (i < best && i + l->n <= end) {
			const char *hit = memmem(p + i, end - i, l->p, l->n);
			if (hit == NULL)
				break;
			i = (size_t)(hit - p);
			if (literal_here(l, p, i, n)) {
				best = i;
				break;
			}
			i++; /* vetoed: look further */
		}
	}
	return best;
}

static size_t scan_portable(const struct th_trigger *t, const char *p, size_t n)
{
	return scan_scalar(t, p, 0, n);
}

/* The hash search's bucket of the W bytes at P. */
static inline size_t hash_bucket(const struct th_trigger *t, const char *p)
{
	uint64_t v = 0;
	memcpy(&v, p, t->hash_w);
	return (size_t)((v * 0x9E3779B97F4A7C15u) >> t->hash_shift);
}

/* Builds the hash search's table: about four slots a literal. */
static void hash_index(struct th_trigger *t)
{
	size_t slots = 256;
	t->hash_shift = 64 - 8;
	while (slots < 4 * t->n) {
		slots *= 2;
		t->hash_shift--;
	}
	t->hash_w = t->min_len < 8 ? t->min_len : 8;
	t->hash_head = xmalloc(slots * sizeof *t->hash_head);
	t->hash_next = xmalloc(t->n * sizeof *t->hash_next);
	for (size_t h = 0; h < slots; h++)
		t->hash_head[h] = SIZE_MAX;
	for (size_t k = t->n; k-- > 0;) {
		size_t h = hash_bucket(t, t->lits[k].p);
		t->hash_next[k] = t->hash_head[h];
		t->hash_head[h] = k;
	}
}

static size_t scan_hash(const struct th_trigger *t, const char *p, size_t n)
{
	for (size_t i = 0; i + t->hash_w <= n; i++)
		for (size_t k = t->hash_head[hash_bucket(t, p + i)];
		     k != SIZE_MAX; k = t->hash_next[k])
			if (literal_here(&t->lits[k], p, i, n))
				return i;
	return n;
}

#ifdef TH_X86
/* Confirms the candidate positions in MASK (bit i: position BASE + i). */
static size_t confirm(const struct th_trigger *t, const char *p, size_t n,
		      size_t base, uint32_t mask)
{
	while (mask != 0) {
		size_t i = base + (size_t)__builtin_ctz(mask);
		if (any_literal_here(t, p, i, n))
			return i;
		mask &= mask - 1;
	}
	return n;
}

#define MAX_VECTOR_LITERALS 16

__attribute__((target("avx2"))) static size_t
scan_avx2(const struct th_trigger *t, const char *p, size_t n)
{
	/* Broadcast anchors and offsets once, outside the hot loop. */
	__m256i want1[MAX_VECTOR_LITERALS], want2[MAX_VECTOR_LITERALS];
	size_t at1[MAX_VECTOR_LITERALS], at2[MAX_VECTOR_LITERALS];
	size_t nl = t->n;
	for (size_t k = 0; k < nl; k++) {
		const struct literal *l = &t->lits[k];
		want1[k] = _mm256_set1_epi8(l->p[l->at1]);
		want2[k] = _mm256_set1_epi8(l->p[l->at2]);
		at1[k] = l->at1;
		at2[k] = l->at2;
	}
	size_t i = 0;
	for (; i + t->reach + 32 <= n; i += 32) {
		__m256i any = _mm256_setzero_si256();
		for (size_t k = 0; k < nl; k++) {
			__m256i a = _mm256_loadu_si256(
			    (const __m256i *)(p + i + at1[k]));
			__m256i b = _mm256_loadu_si256(
			    (const __m256i *)(p + i + at2[k]));
			any = _mm256_or_si256(
			    any,
			    _mm256_and_si256(_mm256_cmpeq_epi8(a, want1[k]),
					     _mm256_cmpeq_epi8(b, want2[k])));
		}
		uint32_t mask = (uint32_t)_mm256_movemask_epi8(any);
		if (mask != 0) {
			size_t hit = confirm(t, p, n, i, mask);
			if (hit < n)
				return hit;
		}
	}
	return scan_scalar(t, p, i, n);
}

/* The earliest start of a literal among the candidates of one block: bit
 * B of MASK says fingerprint position BASE + B matched the buckets whose
 * bits are set in BUCKETS[B]. Inlined: nearly every search of a crash
 * loop ends on a hit, and as a call, with its saved registers, this cost
 * some 140 instructions a hit (a Docker log, whose marker is on every
 * line, confirms one a line: 102.3 to 97.8 million instructions in all
 * on 20 MB; docs/performance.md). */
static inline __attribute__((always_inline)) size_t
confirm_buckets(const struct th_trigger *t, const char *p, size_t n,
		size_t base, uint64_t mask, const uint8_t *buckets, size_t best)
{
	while (mask != 0) {
		unsigned b = (unsigned)__builtin_ctzll(mask);
		mask &= mask - 1;
		for (unsigned bits = buckets[b]; bits != 0; bits &= bits - 1) {
			unsigned bucket = (unsigned)__builtin_ctz(bits);
			for (size_t m = 0; m < t->n_members[bucket]; m++) {
				const struct literal *l =
				    &t->lits[t->members[bucket][m]];
				size_t q = base + b;
				if (q < l->fp || q - l->fp >= best)
					continue;
				size_t start = q - l->fp;
				if (literal_here(l, p, start, n))
					best = start;
			}
		}
	}
	return best;
}

/* Which literals' fingerprints start at each of the 32 positions at P:
 * byte I of the result has bit K set when the three bytes at P + I may
 * begin literal K's fingerprint. Written out for the three bytes (not a
 * loop) so the six tables stay in registers. With ASCII (ascii_fp in
 * struct th_trigger) a byte's low nibble is looked up unmasked: vpshufb
 * gives 0 for an index with its top bit set, as the high nibble's table
 * does for a byte from 0x80 when no fingerprint has one, so the verdicts
 * are the same with three instructions fewer a block of the 23 (Docker
 * json-file, 30 MB: 106.05 to 103.27 million instructions in all). */
__attribute__((target("avx2"), always_inline)) static inline __m256i
fingerprint_block(const char *p, const __m256i *lo, const __m256i *hi,
		  __m256i nibble, bool ascii)
{
	__m256i v0 = _mm256_loadu_si256((const __m256i *)p);
	__m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 1));
	__m256i v2 = _mm256_loadu_si256((const __m256i *)(p + 2));
	__m256i r0 = _mm256_and_si256(
	    _mm256_shuffle_epi8(lo[0],
				ascii ? v0 : _mm256_and_si256(v0, nibble)),
	    _mm256_shuffle_epi8(
		hi[0], _mm256_and_si256(_mm256_srli_epi16(v0, 4), nibble)));
	__m256i r1 = _mm256_and_si256(
	    _mm256_shuffle_epi8(lo[1],
				ascii ? v1 : _mm256_and_si256(v1, nibble)),
	    _mm256_shuffle_epi8(
		hi[1], _mm256_and_si256(_mm256_srli_epi16(v1, 4), nibble)));
	__m256i r2 = _mm256_and_si256(
	    _mm256_shuffle_epi8(lo[2],
				ascii ? v2 : _mm256_and_si256(v2, nibble)),
	    _mm256_shuffle_epi8(
		hi[2], _mm256_and_si256(_mm256_srli_epi16(v2, 4), nibble)));
	return _mm256_and_si256(r0, _mm256_and_si256(r1, r2));
}

/* Newlines in P[0..N), for the short stretches the fused count below
 * does not cover. Not inlined: clang 14, vectorizing this loop inside
 * the AVX-512 search, fails in its backend ("Cannot select ...
 * X86ISD::PCMPEQ"). */
__attribute__((noinline)) static uint64_t count_newlines_short(const char *p,
							       size_t n)
{
	/* Eight bytes a step (SWAR): the loop byte by byte took about 200
	 * instructions a call on the crash loop, where nearly every search
	 * ends on a hit and counts back over up to 130 bytes. A byte of X is
	 * zero where P has '\n'; adding 0x7f to its low seven bits sets its
	 * top bit unless all eight are zero, and the mask keeps carries
	 * inside each byte, so the count is exact (no false hits, as the
	 * usual "has a zero byte" test may give above a zero byte). */
	const uint64_t ones = 0x0101010101010101u, low7 = 0x7f7f7f7f7f7f7f7fu;
	uint64_t c = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		uint64_t x = w ^ (ones * '\n');
		uint64_t nonzero = ((x & low7) + low7) | x;
		uint64_t hits =
		    (~nonzero >> 7) & ones; /* 1 in each '\n' byte */
		c += (hits * ones) >> 56;   /* sum of the eight bytes, <= 8 */
	}
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* Newlines in P[FROM..TO), where 32 <= TO and TO - FROM < 255 * 32: what
 * the search counted past the literal it found (a few blocks), 32 bytes
 * a step, the last step loaded back from TO with the lanes before FROM
 * left out, so no byte past TO is read. Nearly every search on a crash
 * loop ends so; this takes a tenth of count_newlines_short's
 * instructions there. */
__attribute__((target("avx2"))) static inline uint64_t
count_newlines_back(const char *p, size_t from, size_t to)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	__m256i acc = _mm256_setzero_si256(); /* per lane, at most 255 */
	for (; from + 32 <= to; from += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(p + from));
		acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(v, nl));
	}
	if (from < to) {
		const __m256i lane = _mm256_setr_epi8(
		    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
		/* lanes 32 - (TO - FROM) .. 31 of the last 32 bytes */
		__m256i keep = _mm256_cmpgt_epi8(
		    lane, _mm256_set1_epi8((char)(31 - (to - from))));
		__m256i v = _mm256_loadu_si256((const __m256i *)(p + to - 32));
		acc = _mm256_sub_epi8(
		    acc, _mm256_and_si256(_mm256_cmpeq_epi8(v, nl), keep));
	}
	__m256i s = _mm256_sad_epu8(acc, _mm256_setzero_si256());
	return (uint64_t)_mm256_extract_epi64(s, 0) +
	       (uint64_t)_mm256_extract_epi64(s, 1) +
	       (uint64_t)_mm256_extract_epi64(s, 2) +
	       (uint64_t)_mm256_extract_epi64(s, 3);
}

/* The earliest literal among the candidates of the two blocks at BASE
 * whose fingerprint verdicts are A and B: one confirmation for the 64
 * positions, not one a block (a call, with its saved registers, is most
 * of what a lone candidate costs, as Docker's marker is on every line). */
__attribute__((target("avx2"))) static inline size_t
confirm_pair(const struct th_trigger *t, const char *p, size_t n, size_t base,
	     __m256i a, __m256i b, size_t best)
{
	const __m256i zero = _mm256_setzero_si256();
	uint8_t buckets[64];
	_mm256_storeu_si256((__m256i *)buckets, a);
	_mm256_storeu_si256((__m256i *)(buckets + 32), b);
	uint32_t ma =
	    ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, zero));
	uint32_t mb =
	    ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, zero));
	return confirm_buckets(t, p, n, base, (uint64_t)mb << 32 | ma, buckets,
			       best);
}

/* T's three nibble tables for the lower and the upper nibble of a
 * byte, each in both 128-bit lanes (vpshufb looks up within a lane). */
__attribute__((target("avx2"))) static inline void
load_nibble_tables(const struct th_trigger *t, __m256i lo[3], __m256i hi[3])
{
	for (size_t j = 0; j < 3; j++) {
		__m128i l = _mm_loadu_si128((const __m128i *)t->lo[j]);
		__m128i h = _mm_loadu_si128((const __m128i *)t->hi[j]);
		lo[j] = _mm256_broadcastsi128_si256(l);
		hi[j] = _mm256_broadcastsi128_si256(h);
	}
}

/* Teddy-style search: three nibble-table lookups per byte tell, for 32
 * positions at once, which literals' 3-byte fingerprints start there. Two
 * blocks a round, tested together: candidates are rare. With NEWLINES,
 * also counts the "\n" bytes before the returned position in the same
 * pass (a compare and a subtract per block on bytes already loaded), so
 * the scanner need not read the skipped bytes again to number lines.
 * Written once, inlined four times (NEWLINES and ASCII are constants). */
__attribute__((target("avx2"), always_inline)) static inline size_t
fingerprint_search_with(const struct th_trigger *t, const char *p, size_t n,
			uint64_t *newlines, bool ascii)
{
	__m256i lo[3], hi[3];
	load_nibble_tables(t, lo, hi);
	const __m256i nibble = _mm256_set1_epi8(0x0f);
	const __m256i zero = _mm256_setzero_si256();
	const __m256i nl = _mm256_set1_epi8('\n');
	__m256i acc = zero; /* per byte lane: newlines, at most 2 a round */
	unsigned rounds = 0;
	uint64_t count = 0; /* newlines in p[0..i) but those in acc */
	size_t best = n, i = 0;
	for (; i + 2 + 64 <= n && i <= best + t->max_fp; i += 64) {
		/* The loop waits on memory, not on its instructions: ask for
		 * the bytes 4 KiB ahead (a prefetch never faults, even past
		 * the map). Measured: 1 GiB, one thread, 257 -> 200 ms. */
		_mm_prefetch(p + i + 4096, _MM_HINT_T0);
		if (newlines != NULL) {
			__m256i va =
			    _mm256_loadu_si256((const __m256i *)(p + i));
			__m256i vb =
			    _mm256_loadu_si256((const __m256i *)(p + i + 32));
			acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(va, nl));
			acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(vb, nl));
			if (++rounds == 127) {
				__m256i s = _mm256_sad_epu8(acc, zero);
				count += (uint64_t)_mm256_extract_epi64(s, 0) +
					 (uint64_t)_mm256_extract_epi64(s, 1) +
					 (uint64_t)_mm256_extract_epi64(s, 2) +
					 (uint64_t)_mm256_extract_epi64(s, 3);
				acc = zero;
				rounds = 0;
			}
		}
		__m256i a = fingerprint_block(p + i, lo, hi, nibble, ascii);
		__m256i b =
		    fingerprint_block(p + i + 32, lo, hi, nibble, ascii);
		if (_mm256_testz_si256(_mm256_or_si256(a, b),
				       _mm256_or_si256(a, b)))
			continue;
		best = confirm_pair(t, p, n, i, a, b, best);
	}
	if (newlines != NULL) {
		__m256i s = _mm256_sad_epu8(acc, zero);
		count += (uint64_t)_mm256_extract_epi64(s, 0) +
			 (uint64_t)_mm256_extract_epi64(s, 1) +
			 (uint64_t)_mm256_extract_epi64(s, 2) +
			 (uint64_t)_mm256_extract_epi64(s, 3);
	}
	if (best >= n && i + 2 < n) {
		/* The last positions (fewer than 66 bytes, or a whole short
		 * line): the same blocks over a zero-padded copy, so a short
		 * line costs one round rather than a memmem per literal. A
		 * candidate is confirmed on P itself; the padding cannot
		 * complete a literal that P lacks, so the second block is
		 * looked up only where a whole fingerprint can start in it
		 * (most lines the assembler asks about are shorter). */
		char tail[64 + 2 + 64] = {0};
		memcpy(tail, p + i, n - i);
		__m256i a = fingerprint_block(tail, lo, hi, nibble, ascii);
		__m256i b =
		    n - i > 32 + 2
			? fingerprint_block(tail + 32, lo, hi, nibble, ascii)
			: zero;
		if (!_mm256_testz_si256(_mm256_or_si256(a, b),
					_mm256_or_si256(a, b)))
			best = confirm_pair(t, p, n, i, a, b, best);
	}
	if (newlines != NULL) /* counted: p[0..i); wanted: p[0..best) */
		*newlines = best >= i
				? count + count_newlines_short(p + i, best - i)
				: count - count_newlines_back(p, best, i);
	return best;
}

/* fingerprint_search_with for T's tables. Always inline, so that each
 * caller's NEWLINES is a constant there: as a call of its own, it tested
 * NEWLINES and reloaded the '\n' vector from the stack every round (3
 * instructions of some 68 a round; docs/performance.md). */
__attribute__((target("avx2"), always_inline)) static inline size_t
fingerprint_search(const struct th_trigger *t, const char *p, size_t n,
		   uint64_t *newlines)
{
	return t->ascii_fp ? fingerprint_search_with(t, p, n, newlines, true)
			   : fingerprint_search_with(t, p, n, newlines, false);
}

__attribute__((target("avx2"))) static size_t
scan_fingerprint(const struct th_trigger *t, const char *p, size_t n)
{
	return fingerprint_search(t, p, n, NULL);
}

__attribute__((target("avx2"))) static size_t
scan_fingerprint_lines(const struct th_trigger *t, const char *p, size_t n,
		       uint64_t *newlines)
{
	return fingerprint_search(t, p, n, newlines);
}

/* The N bytes at P (3 <= N < 34) followed by zeros, in PAD: two
 * overlapping moves of the widest size that fits, not a memcpy call. */
static inline void copy_padded(char pad[64], const char *p, size_t n)
{
	memset(pad, 0, 64);
	if (n >= 16) {
		size_t w = n >= 32 ? 32 : 16;
		memcpy(pad, p, w);
		memcpy(pad + n - w, p + n - w, w);
	} else if (n >= 8) {
		memcpy(pad, p, 8);
		memcpy(pad + n - 8, p + n - 8, 8);
	} else if (n >= 4) {
		memcpy(pad, p, 4);
		memcpy(pad + n - 4, p + n - 4, 4);
	} else {
		memcpy(pad, p, 3);
	}
}

/* The fingerprint verdicts of the blocks at P and at P + D (D <= 32):
 * stored in BUCKETS[0..D + 32) by position from P (where the blocks
 * overlap, both hold the same verdicts), and returned as a mask with
 * bit I set when position I has a candidate. */
__attribute__((target("avx2"), always_inline)) static inline uint64_t
pair_verdicts(const struct th_trigger *t, const char *p, size_t d,
	      uint8_t *buckets, bool ascii)
{
	__m256i lo[3], hi[3];
	load_nibble_tables(t, lo, hi);
	const __m256i nibble = _mm256_set1_epi8(0x0f);
	const __m256i zero = _mm256_setzero_si256();
	__m256i a = fingerprint_block(p, lo, hi, nibble, ascii);
	__m256i b = fingerprint_block(p + d, lo, hi, nibble, ascii);
	_mm256_storeu_si256((__m256i *)buckets, a);
	_mm256_storeu_si256((__m256i *)(buckets + d), b);
	uint32_t ma =
	    ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, zero));
	uint32_t mb =
	    ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, zero));
	return ma | (uint64_t)mb << d;
}

/* The fingerprint verdicts of the block at P, in BUCKETS[0..32), and
 * the mask of its candidates. */
__attribute__((target("avx2"), always_inline)) static inline uint32_t
block_verdicts(const struct th_trigger *t, const char *p, uint8_t *buckets,
	       bool ascii)
{
	__m256i lo[3], hi[3];
	load_nibble_tables(t, lo, hi);
	__m256i a = fingerprint_block(p, lo, hi, _mm256_set1_epi8(0x0f), ascii);
	_mm256_storeu_si256((__m256i *)buckets, a);
	return ~(uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(a, _mm256_setzero_si256()));
}

/* Whether a candidate of the line P[0..N) holds a literal: positions
 * 0..63 in LOW, 64..127 in HIGH, their buckets in BUCKETS by position.
 * Out of line, so the line search before it is a leaf that saves no
 * registers (most lines have no candidate). */
__attribute__((noinline)) static bool confirm_line(const struct th_trigger *t,
						   const char *p, size_t n,
						   uint64_t low, uint64_t high,
						   const uint8_t *buckets)
{
	return (low != 0 && confirm_buckets(t, p, n, 0, low, buckets, n) < n) ||
	       (high != 0 &&
		confirm_buckets(t, p, n, 64, high, buckets + 64, n) < n);
}

/* The longest line the line searches below look at without a loop. */
#define LINE_MAX_BYTES (128 + 2)

/* A line longer than LINE_MAX_BYTES: two blocks a round as the buffer
 * search does, the last round moved back to end where the line ends
 * (positions looked at twice count once), where the search pads a copy
 * of the rest, which cost half of what such a line did (their task
 * reprs are most of the long lines of a crash loop). Out of line, as the
 * loop would have the short path save registers. */
__attribute__((target("avx2"), always_inline)) static inline bool
fingerprint_long_line_with(const struct th_trigger *t, const char *p, size_t n,
			   bool ascii)
{
	__m256i lo[3], hi[3];
	load_nibble_tables(t, lo, hi);
	const __m256i nibble = _mm256_set1_epi8(0x0f);
	for (size_t i = 0;; i += 64) {
		if (i + 64 + 2 > n)
			i = n - (64 + 2); /* n > 64 + 2 */
		__m256i a = fingerprint_block(p + i, lo, hi, nibble, ascii);
		__m256i b =
		    fingerprint_block(p + i + 32, lo, hi, nibble, ascii);
		__m256i any = _mm256_or_si256(a, b);
		if (!_mm256_testz_si256(any, any) &&
		    confirm_pair(t, p, n, i, a, b, n) < n)
			return true;
		if (i + 64 + 2 >= n)
			return false;
	}
}

__attribute__((target("avx2"), noinline)) static bool
fingerprint_long_line(const struct th_trigger *t, const char *p, size_t n)
{
	return t->ascii_fp ? fingerprint_long_line_with(t, p, n, true)
			   : fingerprint_long_line_with(t, p, n, false);
}

/* The fingerprint verdicts of the line P[0..N) (3 <= N <=
 * LINE_MAX_BYTES), by position in BUCKETS[0..128): returns the
 * candidates of positions 0..63 and puts those of 64..127 in *HIGH.
 * One to four blocks, the last moved back to end where the line ends
 * (positions looked at twice count once), cover every position with no
 * loop to set up and no byte read past the line; a line too short for a
 * block is looked at in a zero-padded copy. */
__attribute__((target("avx2"), always_inline)) static inline uint64_t
line_verdicts(const struct th_trigger *t, const char *p, size_t n,
	      uint8_t *buckets, uint64_t *high_out, bool ascii)
{
	uint64_t low, high = 0;
	size_t last = n - (32 + 2); /* the last block's start, when n >= 34 */
	if (n < 32 + 2) {
		char pad[64];
		copy_padded(pad, p, n);
		low = block_verdicts(t, pad, buckets, ascii);
	} else if (n <= 64 + 2) {
		low = pair_verdicts(t, p, last, buckets, ascii);
	} else {
		low = pair_verdicts(t, p, 32, buckets, ascii);
		if (last > 64) /* positions 64..n-3 by two blocks */
			high = pair_verdicts(t, p + 64, last - 64, buckets + 64,
					     ascii);
		else /* by one, its lanes before position 64 left out */
			high = block_verdicts(t, p + last, buckets + last,
					      ascii) >>
			       (64 - last);
	}
	*high_out = high;
	return low;
}

/* trigger_line_may_start by the AVX2 fingerprints: one line, most often
 * 30 to 100 bytes, asked about by the assembler inside an event, up to
 * LINE_MAX_BYTES (line_verdicts). A longer line: fingerprint_long_line
 * (overlapping rounds). */
__attribute__((target("avx2"), always_inline)) static inline bool
fingerprint_line_with(const struct th_trigger *t, const char *p, size_t n,
		      bool ascii)
{
	uint8_t buckets[128];
	uint64_t high, low = line_verdicts(t, p, n, buckets, &high, ascii);
	return (low | high) != 0 && confirm_line(t, p, n, low, high, buckets);
}

__attribute__((target("avx2"))) static bool
fingerprint_line(const struct th_trigger *t, const char *p, size_t n)
{
	if (n > LINE_MAX_BYTES)
		return fingerprint_long_line(t, p, n);
	return fingerprint_line_with(t, p, n, false);
}

/* fingerprint_line for tables of ASCII fingerprints only (ascii_fp). */
__attribute__((target("avx2"))) static bool
fingerprint_line_ascii(const struct th_trigger *t, const char *p, size_t n)
{
	if (n > LINE_MAX_BYTES)
		return fingerprint_long_line(t, p, n);
	return fingerprint_line_with(t, p, n, true);
}

/* The length of the first line of P[0..N): the index of its first
 * '\n', or N when there is none; any length above LINE_MAX_BYTES when
 * the first LINE_MAX_BYTES + 1 bytes hold none. 32 bytes a step, the
 * last step loaded back from where the look ends (no byte past N is
 * read), not a memchr call, which cost some 37 instructions a line. */
__attribute__((target("avx2"), always_inline)) static inline size_t
first_line_length(const char *p, size_t n)
{
	size_t look = n < LINE_MAX_BYTES + 1 ? n : LINE_MAX_BYTES + 1;
	if (look < 32) {
		const char *nl = memchr(p, '\n', look);
		return nl != NULL ? (size_t)(nl - p) : n;
	}
	const __m256i nl = _mm256_set1_epi8('\n');
	size_t i = 0;
	for (; i + 32 <= look; i += 32) {
		uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		    _mm256_loadu_si256((const __m256i *)(p + i)), nl));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	if (i < look) { /* bytes I..LOOK: the last LOOK - I of a block */
		uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		    _mm256_loadu_si256((const __m256i *)(p + look - 32)), nl));
		m >>= 32 - (look - i);
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	return look < n ? look : n;
}

/* The earliest literal in the line P[0..N) (min_len <= N <=
 * LINE_MAX_BYTES), or N: fingerprint_line's blocks, confirmed in line (a
 * literal whose fingerprint is among positions 64.. may start before one
 * found among 0..63, so both are confirmed). */
__attribute__((target("avx2"), always_inline)) static inline size_t
line_literal_with(const struct th_trigger *t, const char *p, size_t n,
		  bool ascii)
{
	uint8_t buckets[128];
	uint64_t high, low = line_verdicts(t, p, n, buckets, &high, ascii);
	if ((low | high) == 0)
		return n;
	size_t best = confirm_buckets(t, p, n, 0, low, buckets, n);
	return confirm_buckets(t, p, n, 64, high, buckets + 64, best);
}

/* fingerprint_search from the line after the first, LEN bytes long,
 * which holds no literal: its hit and newlines, counted from P. */
__attribute__((target("avx2"), noinline)) static size_t
search_after_first_line(const struct th_trigger *t, const char *p, size_t n,
			size_t len, uint64_t *newlines)
{
	size_t next = len + 1;
	size_t hit = scan_fingerprint_lines(t, p + next, n - next, newlines);
	*newlines += 1;
	return next + hit;
}

/* scan_fingerprint_lines, the window's first line looked at alone
 * first: on a crash loop the line after an event is most often the next
 * one's start (18,468 of the 21,493 searches of a 20 MB one found their
 * hit in the first line), and the line's blocks (line_literal_with) find
 * it there for about 290 instructions where the search took about 380:
 * it sets up its tables and newline count, spills them around the
 * confirmation, and mostly goes on a round past the line, as a literal
 * with its fingerprint up to max_fp (34) bytes in might start before the
 * hit (docs/performance.md). The earliest literal of the first line is
 * the window's: one that starts there ends there, as none holds a '\n'
 * (first_line_first). A first line with no literal is not searched
 * again: the rest is searched from the next line on, with the same
 * result (a framing's marker, whose veto looks at the bytes before it,
 * takes no part). A first line longer than LINE_MAX_BYTES is left to
 * the window's search. */
__attribute__((target("avx2"), always_inline)) static inline size_t
first_line_search_with(const struct th_trigger *t, const char *p, size_t n,
		       uint64_t *newlines, bool ascii)
{
	size_t len = first_line_length(p, n);
	if (len > LINE_MAX_BYTES)
		return scan_fingerprint_lines(t, p, n, newlines);
	size_t at =
	    len >= t->min_len ? line_literal_with(t, p, len, ascii) : len;
	if (at < len || len == n) {
		*newlines = 0;
		return at;
	}
	return search_after_first_line(t, p, n, len, newlines);
}

__attribute__((target("avx2"))) static size_t
fingerprint_search_first_line(const struct th_trigger *t, const char *p,
			      size_t n, uint64_t *newlines)
{
	return t->ascii_fp ? first_line_search_with(t, p, n, newlines, true)
			   : first_line_search_with(t, p, n, newlines, false);
}

#define AVX512 "avx512f,avx512bw,avx512vbmi,popcnt"

/* The byte tables of fingerprint_search512, one zmm pair per byte. */
struct tables512 {
	__m512i low[3], high[3]; /* entries 0..63, 64..127 */
};

/* Which literals' fingerprints start at each of the 64 positions whose
 * bytes are V0, with V1 and V2 the same loaded one and two bytes later:
 * byte I of the result has bit K set when the three bytes at position I
 * may begin literal K's fingerprint. Each byte is looked up in a
 * 128-entry table by one two-register permute, by its low seven bits: a
 * byte above 0x7f reads its ASCII twin's entry, a false candidate at
 * worst, which the confirmation rejects. */
__attribute__((target(AVX512))) static inline __m512i
fingerprint_block512(const struct tables512 *tb, __m512i v0, __m512i v1,
		     __m512i v2)
{
	__m512i c0 = _mm512_permutex2var_epi8(tb->low[0], v0, tb->high[0]);
	__m512i c1 = _mm512_permutex2var_epi8(tb->low[1], v1, tb->high[1]);
	__m512i c2 = _mm512_permutex2var_epi8(tb->low[2], v2, tb->high[2]);
	/* 0x80: the truth table of a & b & c */
	return _mm512_ternarylogic_epi32(c0, c1, c2, 0x80);
}

/* A load mask for the first N of 64 bytes. */
static inline uint64_t first_bytes(size_t n)
{
	return n >= 64 ? UINT64_MAX : ((uint64_t)1 << n) - 1;
}

/* The earliest literal among the candidates of the block at BASE whose
 * fingerprint verdicts are HITS (bit I: position BASE + I). No call for
 * a block without a candidate, or one past where a literal could start
 * before BEST: the search confirms its two blocks together, and on a
 * crash loop, where nearly every search ends on a hit, one of them
 * mostly had none or came after the hit, yet cost a call. */
__attribute__((target(AVX512))) static inline size_t
confirm_block512(const struct th_trigger *t, const char *p, size_t n,
		 size_t base, __m512i hits, size_t best)
{
	uint64_t mask = _mm512_test_epi8_mask(hits, hits);
	if (mask == 0 || base >= best + t->max_fp)
		return best;
	uint8_t buckets[64];
	_mm512_storeu_si512(buckets, hits);
	return confirm_buckets(t, p, n, base, mask, buckets, best);
}

/* What veto_filter512 compares, made once a search. */
struct veto512 {
	__m512i first, second, cleared; /* the veto's bytes; a candidate
					   without the bucket's bit */
	size_t back;			/* veto_back */
};

__attribute__((target(AVX512))) static inline struct veto512
veto512_of(const struct th_trigger *t)
{
	return (struct veto512){
	    _mm512_set1_epi8(t->veto[0]), _mm512_set1_epi8(t->veto[1]),
	    _mm512_set1_epi8((char)~t->veto_bucket), t->veto_back};
}

/* HITS, the verdicts of the 64 positions at Q, without the veto bucket's
 * candidates whose literal would start right after the veto's bytes:
 * those confirm_buckets would reject. The bytes compared start at
 * Q - veto_back, which the caller has, and end within Q's 64. */
__attribute__((target(AVX512))) static inline __m512i
veto_filter512(const struct veto512 *v, const char *q, __m512i hits)
{
	const char *at = q - v->back;
	__mmask64 vetoed =
	    _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(at), v->first) &
	    _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(at + 1), v->second);
	return _mm512_mask_mov_epi8(hits, vetoed,
				    _mm512_and_si512(hits, v->cleared));
}

/* Clears the veto's candidates from *HA and *HB, the verdicts of the 128
 * positions at Q; true when none is left. Out of line, so that the first
 * loop of fingerprint_search512, every log's, stays as it was. */
__attribute__((target(AVX512), noinline)) static bool
vetoed_pair512(const struct th_trigger *t, const char *q, __m512i *ha,
	       __m512i *hb)
{
	struct veto512 veto = veto512_of(t);
	*ha = veto_filter512(&veto, q, *ha);
	*hb = veto_filter512(&veto, q + 64, *hb);
	return (_mm512_test_epi8_mask(*ha, *ha) |
		_mm512_test_epi8_mask(*hb, *hb)) == 0;
}

/* Newlines in P[0..N): the few blocks a search counted past its hit, or
 * had not counted before it, 64 bytes a step with the load masked to
 * the bytes there are. */
__attribute__((target(AVX512))) static inline uint64_t
count_newlines512(const char *p, size_t n)
{
	const __m512i nl = _mm512_set1_epi8('\n');
	uint64_t c = 0;
	for (size_t i = 0; i < n; i += 64) {
		__m512i v = _mm512_maskz_loadu_epi8(first_bytes(n - i), p + i);
		c += (uint64_t)__builtin_popcountll(
		    _mm512_cmpeq_epi8_mask(v, nl));
	}
	return c;
}

/* One round of fingerprint_search512's second loop: the verdicts of the
 * 128 positions at P + I (I >= VETO's back) in *HA and *HB, cleared by
 * veto_filter512, and the newlines of its bytes added to *COUNT when
 * COUNT is not NULL. Returns whether any is a candidate. The first
 * loop's round is written out again, not shared: through one helper for
 * both, the plain logs' loop took 2 to 3 % more CPU time on the sparse
 * log (docs/performance.md, "Docker's marker"). */
__attribute__((target(AVX512), always_inline)) static inline bool
round_vetoed512(const struct tables512 *tb, const struct veto512 *veto,
		const char *p, size_t i, uint64_t *count, __m512i *ha,
		__m512i *hb)
{
	const __m512i nl = _mm512_set1_epi8('\n');
	_mm_prefetch(p + i + 4096, _MM_HINT_T0);
	_mm_prefetch(p + i + 4096 + 64, _MM_HINT_T0);
	__m512i a0 = _mm512_loadu_si512(p + i);
	__m512i b0 = _mm512_loadu_si512(p + i + 64);
	if (count != NULL)
		*count += (uint64_t)__builtin_popcountll(
			      _mm512_cmpeq_epi8_mask(a0, nl)) +
			  (uint64_t)__builtin_popcountll(
			      _mm512_cmpeq_epi8_mask(b0, nl));
	*ha = veto_filter512(
	    veto, p + i,
	    fingerprint_block512(tb, a0, _mm512_loadu_si512(p + i + 1),
				 _mm512_loadu_si512(p + i + 2)));
	*hb = veto_filter512(
	    veto, p + i + 64,
	    fingerprint_block512(tb, b0, _mm512_loadu_si512(p + i + 65),
				 _mm512_loadu_si512(p + i + 66)));
	return (_mm512_test_epi8_mask(*ha, *ha) |
		_mm512_test_epi8_mask(*hb, *hb)) != 0;
}

/* fingerprint_search with AVX-512: 64 positions a step with half the
 * instructions of the AVX2 loop, newlines counted with a mask and a
 * popcount, and the last bytes read with masked loads (which never fault
 * on the bytes they leave out) instead of a padded copy. */
__attribute__((target(AVX512))) static inline size_t
fingerprint_search512(const struct th_trigger *t, const char *p, size_t n,
		      uint64_t *newlines)
{
	struct tables512 tb;
	for (size_t j = 0; j < 3; j++) {
		tb.low[j] = _mm512_loadu_si512(t->ascii[j]);
		tb.high[j] = _mm512_loadu_si512(t->ascii[j] + 64);
	}
	const __m512i nl = _mm512_set1_epi8('\n');
	uint64_t count = 0; /* newlines in p[0..i) */
	size_t best = n, i = 0;
	unsigned vetoed = 0; /* rounds whose candidates the veto cleared, in
				all (not in a row) */
	/* Two blocks a round while nothing is found (one branch for both,
	 * which made the loop a quarter faster), then block by block up to
	 * the last position that could still start an earlier literal, with
	 * loads masked where fewer than 66 bytes are left (first_bytes is
	 * all ones before that). */
	for (; i + 2 + 128 <= n && best == n; i += 128) {
		_mm_prefetch(p + i + 4096, _MM_HINT_T0);
		_mm_prefetch(p + i + 4096 + 64, _MM_HINT_T0);
		__m512i a0 = _mm512_loadu_si512(p + i);
		__m512i b0 = _mm512_loadu_si512(p + i + 64);
		if (newlines != NULL)
			count += (uint64_t)__builtin_popcountll(
				     _mm512_cmpeq_epi8_mask(a0, nl)) +
				 (uint64_t)__builtin_popcountll(
				     _mm512_cmpeq_epi8_mask(b0, nl));
		__m512i ha =
		    fingerprint_block512(&tb, a0, _mm512_loadu_si512(p + i + 1),
					 _mm512_loadu_si512(p + i + 2));
		__m512i hb = fingerprint_block512(
		    &tb, b0, _mm512_loadu_si512(p + i + 65),
		    _mm512_loadu_si512(p + i + 66));
		if ((_mm512_test_epi8_mask(ha, ha) |
		     _mm512_test_epi8_mask(hb, hb)) == 0)
			continue;
		if (t->veto_bucket != 0 && i >= t->veto_back &&
		    vetoed_pair512(t, p + i, &ha, &hb)) {
			if (++vetoed < VETO_EVERY_ROUND)
				continue;
			i += 128;
			break; /* to the loop below */
		}
		best = confirm_block512(t, p, n, i, ha, best);
		best = confirm_block512(t, p, n, i + 64, hb, best);
	}
	/* Docker's marker is on every line of its log, and vetoed: once
	 * the veto has cleared a few rounds (VETO_EVERY_ROUND of them, in
	 * all), it clears every round before the test, in a loop of its
	 * own, where leaving the loop for each line cost about as much as
	 * the search (docs/performance.md, "Docker's marker"). Other logs
	 * seldom meet it, and the veto waits for a candidate there. */
	struct veto512 veto =
	    vetoed >= VETO_EVERY_ROUND ? veto512_of(t) : (struct veto512){0};
	for (; i + 2 + 128 <= n && best == n; i += 128) {
		__m512i ha, hb;
		if (!round_vetoed512(&tb, &veto, p, i,
				     newlines != NULL ? &count : NULL, &ha,
				     &hb))
			continue;
		best = confirm_block512(t, p, n, i, ha, best);
		best = confirm_block512(t, p, n, i + 64, hb, best);
	}
	for (; i < n && i <= best + t->max_fp; i += 64) {
		/* Near the end, loads masked to the bytes left: a fingerprint
		 * cut by the end meets zeros, which no literal holds. */
		size_t left = n - i;
		__mmask64 m0 = first_bytes(left);
		__mmask64 m1 = first_bytes(left - 1);
		__mmask64 m2 = first_bytes(left > 2 ? left - 2 : 0);
		__m512i v0 = _mm512_maskz_loadu_epi8(m0, p + i);
		__m512i v1 = _mm512_maskz_loadu_epi8(m1, p + i + 1);
		__m512i v2 = _mm512_maskz_loadu_epi8(m2, p + i + 2);
		if (newlines != NULL)
			count += (uint64_t)__builtin_popcountll(
			    _mm512_cmpeq_epi8_mask(v0, nl));
		/* confirm_block512 leaves at once when no byte is a hit */
		best = confirm_block512(
		    t, p, n, i, fingerprint_block512(&tb, v0, v1, v2), best);
	}
	if (newlines != NULL) {
		/* counted: p[0..min(i, n)); wanted: p[0..best) */
		size_t counted = i < n ? i : n;
		*newlines =
		    best >= counted
			? count + count_newlines512(p + counted, best - counted)
			: count - count_newlines512(p + best, counted - best);
	}
	return best;
}

__attribute__((target(AVX512))) static size_t
scan_fingerprint512(const struct th_trigger *t, const char *p, size_t n)
{
	return fingerprint_search512(t, p, n, NULL);
}

__attribute__((target(AVX512))) static size_t
scan_fingerprint512_lines(const struct th_trigger *t, const char *p, size_t n,
			  uint64_t *newlines)
{
	return fingerprint_search512(t, p, n, newlines);
}

/* The fingerprint verdicts of the block of 64 positions at P, the line
 * having LEFT bytes from there: loads masked to those bytes, so nothing
 * past them is read (a fingerprint cut by the end meets zeros, which no
 * literal holds). Stored in BUCKETS[0..64); returns the candidates' mask. */
__attribute__((target(AVX512))) static inline uint64_t
block_verdicts512(const struct tables512 *tb, const char *p, size_t left,
		  uint8_t *buckets)
{
	__m512i v0 = _mm512_maskz_loadu_epi8(first_bytes(left), p);
	__m512i v1 = _mm512_maskz_loadu_epi8(first_bytes(left - 1), p + 1);
	__m512i v2 = _mm512_maskz_loadu_epi8(first_bytes(left - 2), p + 2);
	__m512i hits = fingerprint_block512(tb, v0, v1, v2);
	_mm512_storeu_si512(buckets, hits);
	return _mm512_test_epi8_mask(hits, hits);
}

__attribute__((target(AVX512), noinline)) static bool
fingerprint_long_line512(const struct th_trigger *t, const char *p, size_t n)
{
	return fingerprint_search512(t, p, n, NULL) < n;
}

/* trigger_line_may_start by the AVX-512 fingerprints: up to
 * LINE_MAX_BYTES, one block or two with masked loads (no copy, no loop),
 * then one confirmation out of line; a longer line is searched as a
 * buffer. */
__attribute__((target(AVX512))) static bool
fingerprint_line512(const struct th_trigger *t, const char *p, size_t n)
{
	if (n > LINE_MAX_BYTES)
		return fingerprint_long_line512(t, p, n);
	struct tables512 tb;
	for (size_t j = 0; j < 3; j++) {
		tb.low[j] = _mm512_loadu_si512(t->ascii[j]);
		tb.high[j] = _mm512_loadu_si512(t->ascii[j] + 64);
	}
	uint8_t buckets[128];
	/* N >= min_len >= 3: no mask length wraps */
	uint64_t low = block_verdicts512(&tb, p, n, buckets), high = 0;
	if (n > 64 + 2)
		high = block_verdicts512(&tb, p + 64, n - 64, buckets + 64);
	return (low | high) != 0 && confirm_line(t, p, n, low, high, buckets);
}

static size_t scan_sse2(const struct th_trigger *t, const char *p, size_t n)
{
	size_t i = 0;
	for (; i + t->reach + 16 <= n; i += 16) {
		__m128i any = _mm_setzero_si128();
		for (size_t k = 0; k < t->n; k++) {
			const struct literal *l = &t->lits[k];
			__m128i a =
			    _mm_loadu_si128((const __m128i *)(p + i + l->at1));
			__m128i b =
			    _mm_loadu_si128((const __m128i *)(p + i + l->at2));
			__m128i ma =
			    _mm_cmpeq_epi8(a, _mm_set1_epi8(l->p[l->at1]));
			__m128i mb =
			    _mm_cmpeq_epi8(b, _mm_set1_epi8(l->p[l->at2]));
			any = _mm_or_si128(any, _mm_and_si128(ma, mb));
		}
		uint32_t mask = (uint32_t)_mm_movemask_epi8(any);
		if (mask != 0) {
			size_t hit = confirm(t, p, n, i, mask);
			if (hit < n)
				return hit;
		}
	}
	return scan_scalar(t, p, i, n);
}
#endif

static bool line_by_scan(const struct th_trigger *t, const char *p, size_t n)
{
	return t->scan(t, p, n) < n;
}

static bool line_every(const struct th_trigger *t, const char *p, size_t n)
{
	(void)t;
	(void)p;
	(void)n;
	return true;
}

/* The line search for T's search: its short-line form, where it has
 * one. */
static line_fn line_search_for(const struct th_trigger *t)
{
	scan_fn scan = t->scan;
#ifdef TH_X86
	if (scan == scan_fingerprint512)
		return fingerprint_line512;
	if (scan == scan_fingerprint)
		return t->ascii_fp ? fingerprint_line_ascii : fingerprint_line;
#endif
	return line_by_scan;
}

/* The best search the machine has, or the one WANT picks (tests and
 * benchmarks; see the top of this file); a search the machine lacks
 * falls back. */
static scan_fn choose_scan(const struct th_trigger *t, enum th_search want)
{
	if (want == TH_SEARCH_HASH ||
	    (want == TH_SEARCH_AUTO && t->n > HASH_MIN_LITERALS))
		return scan_hash;
#ifdef TH_X86
	bool avx2 = __builtin_cpu_supports("avx2");
	if (want == TH_SEARCH_PORTABLE)
		return scan_portable;
	if (want == TH_SEARCH_SSE2)
		return scan_sse2;
	bool anchors = want == TH_SEARCH_ANCHORS;
	bool fingerprint = t->n <= MAX_FINGERPRINT_LITERALS && t->min_len >= 3;
	bool avx512 = __builtin_cpu_supports("avx512f") &&
		      __builtin_cpu_supports("avx512bw") &&
		      __builtin_cpu_supports("avx512vbmi");
	bool avx2_only = want == TH_SEARCH_FINGERPRINT;
	if (avx512 && !anchors && !avx2_only && fingerprint)
		return scan_fingerprint512;
	if (avx2 && !anchors && fingerprint)
		return scan_fingerprint;
	if (avx2 && t->n <= MAX_VECTOR_LITERALS)
		return scan_avx2;
	return scan_sse2;
#else
	(void)t;
	(void)want;
	return scan_portable;
#endif
}

struct th_trigger *trigger_new(const struct th_span *literals, size_t n,
			       const struct th_marker *markers,
			       size_t n_markers)
{
	struct th_trigger *t = xcalloc(1, sizeof *t);
	if (n == 0) {
		t->every_line = true;
		t->line = line_every;
		return t;
	}
	t->lits = xcalloc(n + n_markers, sizeof *t->lits);
	for (size_t i = 0; i < n + n_markers; i++) {
		struct literal *l = &t->lits[i];
		l->fp_hint = -1;
		if (i < n) {
			l->p = xstrndup(literals[i].p, literals[i].n);
		} else {
			const struct th_marker *m = &markers[i - n];
			l->p = xstrdup(m->text);
			l->veto = m->veto;
			l->fp_hint = m->fingerprint_at;
			l->veto_n = l->veto ? strlen(l->veto) : 0;
		}
		l->n = strlen(l->p);
		if (l->n >= 8)
			memcpy(&l->head, l->p, 8);
		choose_anchors(l);
		if (l->at2 > t->reach)
			t->reach = l->at2;
	}
	n += n_markers;
	t->n = n;
	/* A framed log's first line is rarely the hit, and its runtime's
	 * prefix makes it long: on 20 MB of CRI, 1,526 of 2,467 were longer
	 * than LINE_MAX_BYTES, and the look cost 0.24 million instructions
	 * more than it saved (docs/performance.md). A literal with a '\n'
	 * may start in the first line and end past it. */
	t->first_line_first = n_markers == 0;
	for (size_t i = 0; i < n; i++)
		if (memchr(t->lits[i].p, '\n', t->lits[i].n) != NULL)
			t->first_line_first = false;
	t->min_len = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (t->lits[i].n < t->min_len)
			t->min_len = t->lits[i].n;
		if (t->lits[i].n > t->max_len)
			t->max_len = t->lits[i].n;
	}
	if (t->min_len >= 3 && n <= MAX_FINGERPRINT_LITERALS)
		build_fingerprints(t);
	hash_index(t);
	t->scan = choose_scan(t, TH_SEARCH_AUTO);
	t->line = line_search_for(t);
	return t;
}

void trigger_set_search(struct th_trigger *t, enum th_search search)
{
	if (!t->every_line) {
		t->scan = choose_scan(t, search);
		t->line = line_search_for(t);
	}
}

enum th_search trigger_search(const struct th_trigger *t)
{
	if (t->scan == scan_hash)
		return TH_SEARCH_HASH;
#ifdef TH_X86
	if (t->scan == scan_fingerprint512)
		return TH_SEARCH_AVX512;
	if (t->scan == scan_fingerprint)
		return TH_SEARCH_FINGERPRINT;
	if (t->scan == scan_avx2)
		return TH_SEARCH_ANCHORS;
	if (t->scan == scan_sse2)
		return TH_SEARCH_SSE2;
#endif
	return TH_SEARCH_PORTABLE;
}

bool trigger_fingerprint_of(const struct th_trigger *t, size_t k, size_t *at,
			    unsigned *bucket)
{
	for (unsigned b = 0; b < FINGERPRINT_BUCKETS; b++)
		for (size_t m = 0; m < t->n_members[b]; m++)
			if (t->members[b][m] == k) {
				*at = t->lits[k].fp;
				*bucket = b;
				return true;
			}
	return false;
}

bool trigger_search_from_name(const char *name, enum th_search *out)
{
	static const char *const names[] = {
	    [TH_SEARCH_AUTO] = "auto",
	    [TH_SEARCH_AVX512] = "avx512",
	    [TH_SEARCH_PORTABLE] = "portable",
	    [TH_SEARCH_SSE2] = "sse2",
	    [TH_SEARCH_ANCHORS] = "anchors",
	    [TH_SEARCH_FINGERPRINT] = "fingerprint",
	    [TH_SEARCH_HASH] = "hash",
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum th_search)i;
			return true;
		}
	return false;
}

void trigger_free(struct th_trigger *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->lits[i].p);
	free(t->lits);
	free(t->hash_head);
	free(t->hash_next);
	free(t);
}

size_t trigger_find(const struct th_trigger *t, struct th_span window)
{
	if (t->every_line)
		return 0;
	return t->scan(t, window.p, window.n);
}

size_t trigger_find_lines(const struct th_trigger *t, struct th_span window,
			  uint64_t *newlines)
{
#ifdef TH_X86
	if (t->scan == scan_fingerprint512)
		return scan_fingerprint512_lines(t, window.p, window.n,
						 newlines);
	if (t->scan == scan_fingerprint && t->first_line_first)
		return fingerprint_search_first_line(t, window.p, window.n,
						     newlines);
	if (t->scan == scan_fingerprint)
		return scan_fingerprint_lines(t, window.p, window.n, newlines);
#endif
	*newlines = TRIGGER_NEWLINES_UNKNOWN;
	return trigger_find(t, window);
}

size_t trigger_longest(const struct th_trigger *t)
{
	return t->max_len;
}

bool trigger_line_may_start(const struct th_trigger *t, struct th_span line)
{
	/* a line shorter than every literal holds none (every_line:
	 * min_len is 0) */
	return line.n >= t->min_len && t->line(t, line.p, line.n);
}
