/* spanmap.c - a hash map from byte strings to indexes; see spanmap.h. */
#include "spanmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "diag.h"

struct spanmap_slot {
	const char *p; /* NULL: empty */
	size_t n;
	uint64_t hash;
	size_t value;
};

void spanmap_init(struct spanmap *m)
{
	*m = (struct spanmap){NULL, 0, 0};
}

void spanmap_fini(struct spanmap *m)
{
	free(m->slots);
	spanmap_init(m);
}

/* A key's hash; an empty key is hashed from "" (its p may be NULL). */
static uint64_t key_hash(struct th_span key)
{
	return XXH3_64bits(key.n > 0 ? key.p : "", key.n);
}

/* The slot holding KEY (hash H), or the empty slot where it would go. */
static struct spanmap_slot *slot_for(const struct spanmap *m,
				     struct th_span key, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct spanmap_slot *s = &m->slots[i];
		if (s->p == NULL)
			return s;
		if (s->hash == h && s->n == key.n &&
		    (key.n == 0 || memcmp(s->p, key.p, key.n) == 0))
			return s;
	}
}

/* Doubles the table (or makes the first), placing every entry again. */
static void grow(struct spanmap *m)
{
	struct spanmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < old.cap; i++) {
		const struct spanmap_slot *s = &old.slots[i];
		if (s->p != NULL)
			*slot_for(m, (struct th_span){s->p, s->n}, s->hash) =
			    *s;
	}
	free(old.slots);
}

bool spanmap_put(struct spanmap *m, struct th_span key, size_t value,
		 size_t *old)
{
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	uint64_t h = key_hash(key);
	struct spanmap_slot *s = slot_for(m, key, h);
	if (s->p != NULL) {
		if (old != NULL)
			*old = s->value;
		return false;
	}
	/* an empty key still needs a non-NULL p to mark the slot used */
	*s = (struct spanmap_slot){key.n > 0 ? key.p : "", key.n, h, value};
	m->n++;
	return true;
}

bool spanmap_get(const struct spanmap *m, struct th_span key, size_t *value)
{
	if (m->n == 0)
		return false;
	const struct spanmap_slot *s = slot_for(m, key, key_hash(key));
	if (s->p == NULL)
		return false;
	*value = s->value;
	return true;
}

void spanmap_set(struct spanmap *m, struct th_span key, size_t value)
{
	struct spanmap_slot *s =
	    m->n > 0 ? slot_for(m, key, key_hash(key)) : NULL;
	if (s == NULL || s->p == NULL)
		die("spanmap: setting a key that is not in the map");
	s->value = value;
}
