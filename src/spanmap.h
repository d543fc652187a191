/* spanmap.h - a hash map from byte strings to indexes, for the lookups
 * that must not be linear in the number of entries: rule ids, the
 * literals of tens of thousands of rules, the files of a state.
 *
 * Owns:        its table (spanmap_fini frees it).
 * Borrows:     the bytes of every key put in, which must stay put (not
 *              move, not change) until spanmap_fini: the map keeps spans.
 * Caller owns: the struct (caller storage: spanmap_init/spanmap_fini).
 * Errors:      out of memory dies (diag.h); nothing is printed.
 *
 * Open addressing keyed by XXH3, at most half full, so a lookup costs one
 * hash of the key and a probe or two whatever the number of entries.
 */
#ifndef TH_SPANMAP_H
#define TH_SPANMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "th.h"

struct spanmap_slot;

struct spanmap {
	struct spanmap_slot *slots; /* NULL until the first put */
	size_t cap;		    /* a power of two, or 0 */
	size_t n;
};

void spanmap_init(struct spanmap *m);
void spanmap_fini(struct spanmap *m);

/* Maps KEY to VALUE unless KEY is already there. Returns true when it was
 * added; false when KEY was known, with *OLD (when not NULL) its value,
 * which is left as it was. */
bool spanmap_put(struct spanmap *m, struct th_span key, size_t value,
		 size_t *old);

/* True and *VALUE when KEY is in the map; false otherwise. */
bool spanmap_get(const struct spanmap *m, struct th_span key, size_t *value);

/* Sets the value of KEY, which must be in the map (a caller's bug if
 * not). */
void spanmap_set(struct spanmap *m, struct th_span key, size_t value);

#endif
