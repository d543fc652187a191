/* suggest.c - the closest known name; see suggest.h. */
#include "suggest.h"

#include <string.h>

/* Optimal string alignment distance (edits and swaps of neighbours)
 * between A and B; anything over 2 is reported as 3. */
static size_t edit_distance(struct th_span a, struct th_span b)
{
	enum { MAX = 64 };
	if (a.n > MAX || b.n > MAX || (a.n > b.n ? a.n - b.n : b.n - a.n) > 2)
		return 3;
	size_t d[MAX + 1][MAX + 1];
	for (size_t i = 0; i <= a.n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= b.n; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= a.n; i++) {
		for (size_t j = 1; j <= b.n; j++) {
			size_t cost = a.p[i - 1] != b.p[j - 1];
			size_t v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a.p[i - 1] == b.p[j - 2] &&
			    a.p[i - 2] == b.p[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[a.n][b.n] > 2 ? 3 : d[a.n][b.n];
}

const char *suggest_name(struct th_span word, const char *const *names,
			 size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, th_cstr(names[i]));
		if (d < best_d && d < word.n) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}
