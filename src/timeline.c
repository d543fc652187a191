/* timeline.c - time buckets that fold; see timeline.h. */
#include "timeline.h"

#include <stdio.h>
#include <string.h>

#include "isotime.h"

enum { N = TH_TIMELINE_BUCKETS };

/* floor(A / W) for W > 0, also for negative A (times before 1970). */
static int64_t floor_div(int64_t a, uint64_t w)
{
	int64_t q = a / (int64_t)w;
	return (a % (int64_t)w != 0 && a < 0) ? q - 1 : q;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The non-empty bucket indices of T at its width, lowest and highest;
 * false when it has none. */
static bool nonempty_range(const struct th_timeline *t, int64_t *lo,
			   int64_t *hi)
{
	size_t i = 0, j = timeline_used(t);
	if (j == 0)
		return false;
	while (t->counts[i] == 0)
		i++;
	*lo = t->first + (int64_t)i;
	*hi = t->first + (int64_t)j - 1;
	return true;
}

/* Widens *W (and the bucket range LO..HI at it) by doubling until the
 * range fits in the buckets. */
static void fit(uint64_t *w, int64_t *lo, int64_t *hi)
{
	while (*hi - *lo >= N && *w < TH_TIMELINE_MAX_WIDTH) {
		*w *= 2;
		*lo = floor_div(*lo, 2);
		*hi = floor_div(*hi, 2);
	}
}

/* Adds SRC's buckets to OUT, whose width (a multiple of SRC's) and first
 * bucket are set; buckets past the end (only at the widest width) are
 * counted in the last. */
static void fold_into(struct th_timeline *out, const struct th_timeline *src)
{
	uint64_t factor = out->width / src->width;
	for (size_t i = 0; i < N; i++) {
		if (src->counts[i] == 0)
			continue;
		int64_t at = floor_div(src->first + (int64_t)i, factor);
		int64_t k = at - out->first;
		k = k < 0 ? 0 : k >= N ? N - 1 : k;
		out->counts[k] = add_sat(out->counts[k], src->counts[i]);
	}
}

/* timeline_merge of SRC, whose non-empty buckets are SLO..SHI, into DST
 * when that needs no new range: DST empty (SRC's buckets from SLO on), or
 * canonical, as wide as SRC or wider, and holding SRC's buckets at its
 * width, which add where they fall. False, DST untouched, otherwise. The
 * merge of a range's groups into the whole (-j) is mostly this, where the
 * general merge copied, cleared and folded every bucket twice. */
static bool merge_in_place(struct th_timeline *dst,
			   const struct th_timeline *src, int64_t slo,
			   int64_t shi)
{
	size_t i0 = (size_t)(slo - src->first), i1 = (size_t)(shi - src->first);
	if (dst->width == 0) {
		memset(dst, 0, sizeof *dst);
		dst->first = slo;
		dst->width = src->width;
		memcpy(dst->counts, &src->counts[i0],
		       (i1 - i0 + 1) * sizeof *src->counts);
		return true;
	}
	if (dst->counts[0] == 0 || dst->width < src->width)
		return false;
	uint64_t factor = dst->width / src->width;
	if (floor_div(slo, factor) < dst->first ||
	    floor_div(shi, factor) - dst->first >= N)
		return false;
	for (size_t i = i0; i <= i1; i++) {
		if (src->counts[i] == 0)
			continue;
		int64_t k =
		    floor_div(src->first + (int64_t)i, factor) - dst->first;
		dst->counts[k] = add_sat(dst->counts[k], src->counts[i]);
	}
	return true;
}

void timeline_merge(struct th_timeline *dst, const struct th_timeline *src)
{
	int64_t slo, shi, dlo, dhi;
	if (src->width == 0 || !nonempty_range(src, &slo, &shi))
		return;
	if (merge_in_place(dst, src, slo, shi))
		return;
	struct th_timeline old = *dst;
	bool had = dst->width != 0 && nonempty_range(dst, &dlo, &dhi);
	uint64_t w = had && dst->width > src->width ? dst->width : src->width;
	int64_t lo = floor_div(slo, w / src->width);
	int64_t hi = floor_div(shi, w / src->width);
	if (had) {
		int64_t a = floor_div(dlo, w / dst->width);
		int64_t b = floor_div(dhi, w / dst->width);
		lo = a < lo ? a : lo;
		hi = b > hi ? b : hi;
	}
	fit(&w, &lo, &hi);
	memset(dst, 0, sizeof *dst);
	dst->width = w;
	dst->first = lo;
	if (had)
		fold_into(dst, &old);
	fold_into(dst, src);
}

/* floor(A / 2^S), also for negative A, without a division (a bucket's
 * width is a power of two): the shift of a negative number is written
 * out, as C leaves it to the compiler. */
static int64_t floor_shift(int64_t a, unsigned s)
{
	return a >= 0 ? a >> s : -1 - ((-1 - a) >> s);
}

/* log2 of W, a power of two. */
static unsigned log2_width(uint64_t w)
{
	return (unsigned)__builtin_ctzll(w);
}

/* True when T is canonical (its first bucket holds its earliest event)
 * and not empty: the timelines timeline_add makes. */
static bool canonical(const struct th_timeline *t)
{
	return t->width != 0 && t->counts[0] != 0;
}

/* Bucket K of N, the buckets past either end counted in the end ones. */
static size_t clamp_bucket(int64_t k)
{
	return k < 0 ? 0 : k >= N ? N - 1 : (size_t)k;
}

/* What timeline_merge of canonical T and N events at SEC, whose bucket
 * is not one of T's, makes: the range widened to SEC's bucket and
 * folded to fit, T's buckets and SEC's added there. Computed directly:
 * the merge's copies, clearing and two passes over every bucket cost
 * more than a tenth of an aggregate's time on a crash loop. */
static void add_outside(struct th_timeline *t, int64_t sec, uint64_t n)
{
	size_t used = timeline_used(t);
	int64_t lo = t->first, hi = t->first + (int64_t)used - 1;
	int64_t b = floor_shift(sec, log2_width(t->width));
	uint64_t w = t->width;
	lo = b < lo ? b : lo;
	hi = b > hi ? b : hi;
	fit(&w, &lo, &hi);
	uint64_t counts[N] = {0};
	unsigned s = log2_width(w / t->width);
	for (size_t i = 0; i < used; i++) {
		if (t->counts[i] == 0)
			continue;
		size_t k =
		    clamp_bucket(floor_shift(t->first + (int64_t)i, s) - lo);
		counts[k] = add_sat(counts[k], t->counts[i]);
	}
	size_t k = clamp_bucket(floor_shift(sec, log2_width(w)) - lo);
	counts[k] = add_sat(counts[k], n);
	memcpy(t->counts, counts, sizeof counts);
	t->first = lo;
	t->width = w;
}

void timeline_add(struct th_timeline *t, int64_t sec, uint64_t n)
{
	if (n == 0)
		return;
	if (canonical(t)) {
		/* Most events of a group fall in a bucket it spans already. */
		int64_t k = floor_shift(sec, log2_width(t->width)) - t->first;
		if (k >= 0 && k < N)
			t->counts[k] = add_sat(t->counts[k], n);
		else
			add_outside(t, sec, n);
		return;
	}
	if (t->width == 0) {
		/* the merge of an empty timeline and one second */
		memset(t, 0, sizeof *t);
		t->first = sec;
		t->width = 1;
		t->counts[0] = n;
		return;
	}
	struct th_timeline one = {.first = sec, .width = 1};
	one.counts[0] = n;
	timeline_merge(t, &one);
}

size_t timeline_used(const struct th_timeline *t)
{
	size_t n = t->width ? N : 0;
	while (n > 0 && t->counts[n - 1] == 0)
		n--;
	return n;
}

bool timeline_extent(const struct th_timeline *t, int64_t *start, int64_t *end)
{
	int64_t lo, hi;
	if (t->width == 0 || !nonempty_range(t, &lo, &hi))
		return false;
	*start = lo * (int64_t)t->width;
	*end = (hi + 1) * (int64_t)t->width;
	return true;
}

size_t timeline_columns(int64_t start, int64_t end, size_t max)
{
	if (end <= start)
		return 1;
	uint64_t span = (uint64_t)(end - start);
	return span < max ? (size_t)span : max;
}

/* Adds COUNT events of the seconds [B0, B1) to the columns of
 * [START, START + COLS * STEP): to the column of its middle when the
 * bucket is no wider than a column, else spread over the columns it
 * overlaps in proportion (the part inside the span only). */
static void spread(double *col, size_t cols, double start, double step,
		   double b0, double b1, double count)
{
	double end = start + step * (double)cols;
	b0 = b0 < start ? start : b0;
	b1 = b1 > end ? end : b1;
	if (b1 - b0 <= step) {
		double at = ((b0 + b1) / 2 - start) / step;
		size_t c = at < 0 ? 0 : (size_t)at;
		col[c < cols ? c : cols - 1] += count;
		return;
	}
	double per_second = count / (b1 - b0);
	for (size_t c = 0; c < cols; c++) {
		double c0 = start + step * (double)c, c1 = c0 + step;
		double lo = b0 > c0 ? b0 : c0, hi = b1 < c1 ? b1 : c1;
		if (hi > lo)
			col[c] += (hi - lo) * per_second;
	}
}

void timeline_sparkline(const struct th_timeline *t, int64_t start, int64_t end,
			size_t cols, char *out)
{
	static const char glyphs[8][4] = {"▁", "▂", "▃", "▄",
					  "▅", "▆", "▇", "█"};
	double col[256] = {0}, max = 0;
	if (cols > 256)
		cols = 256;
	if (end <= start)
		end = start + 1;
	double step = (double)(end - start) / (double)cols;
	for (size_t i = 0; t->width && i < N; i++) {
		if (t->counts[i] == 0)
			continue;
		double b0 = (double)(t->first + (int64_t)i) * (double)t->width;
		spread(col, cols, (double)start, step, b0,
		       b0 + (double)t->width, (double)t->counts[i]);
	}
	for (size_t c = 0; c < cols; c++)
		max = col[c] > max ? col[c] : max;
	char *p = out;
	for (size_t c = 0; c < cols; c++) {
		if (col[c] <= 0 || max <= 0) {
			*p++ = ' ';
			continue;
		}
		size_t level = (size_t)(col[c] / max * 8.0 + 0.999999);
		level = level < 1 ? 1 : level > 8 ? 8 : level;
		memcpy(p, glyphs[level - 1], TIMELINE_GLYPH_BYTES);
		p += TIMELINE_GLYPH_BYTES;
	}
	*p = '\0';
}

/* "8s", "5m", "2h", "3d": about SEC seconds, in the largest unit that
 * keeps at least two of it (or whole seconds). */
static void duration(double sec, char out[24])
{
	static const struct {
		double seconds;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}};
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (sec >= 2 * units[i].seconds) {
			snprintf(out, 24, "%.0f%c", sec / units[i].seconds,
				 units[i].unit);
			return;
		}
	snprintf(out, 24, "%.0fs", sec < 1 ? 1 : sec);
}

void timeline_describe(int64_t start, int64_t end, size_t cols, char *out,
		       size_t out_n)
{
	char from[TH_TIME_LEN], to[TH_TIME_LEN], step[24];
	isotime_format(start, false, from);
	isotime_format(end, false, to);
	from[10] = to[10] = ' ';
	duration((double)(end - start) / (double)(cols ? cols : 1), step);
	bool same_day = memcmp(from, to, 10) == 0;
	snprintf(out, out_n, "%s to %s, %s a column", from,
		 same_day ? to + 11 : to, step);
}
