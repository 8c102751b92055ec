/* conncount.c -- open connections per client prefix (layout in
 * conncount.h).
 *
 * A word is fingerprint (40 bits) << 24 | count (24 bits). The count of
 * one way cannot reach 2^24: a way counts open connections of one prefix
 * and there are never more than CONNCOUNT_COUNT_MAX file descriptors; an
 * add that would pass it is not counted rather than spill into the
 * fingerprint.
 */
#include "ratelimit/conncount.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CONNCOUNT_COUNT_BITS 24
#define CONNCOUNT_COUNT_MAX ((1u << CONNCOUNT_COUNT_BITS) - 1)
#define CONNCOUNT_MIN_SETS 64
#define CONNCOUNT_MAX_SETS ((size_t)1 << 24)

#define W_COUNT(w) ((uint32_t)((w) & CONNCOUNT_COUNT_MAX))
#define W_FP(w) ((w) >> CONNCOUNT_COUNT_BITS)

struct conncount {
	size_t mask;           /* sets - 1 */
	uint8_t key[crypto_shorthash_KEYBYTES];
	_Atomic uint64_t *w;   /* (mask + 1) * CONNCOUNT_WAYS */
};

_Static_assert(CONNCOUNT_SEED_BYTES == crypto_shorthash_KEYBYTES,
	       "a seed is one SipHash key");

struct conncount *conncount_new(size_t max_entries, const uint8_t *seed)
{
	struct conncount *t;
	size_t sets = CONNCOUNT_MIN_SETS;

	while (sets < max_entries && sets < CONNCOUNT_MAX_SETS)
		sets <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->mask = sets - 1;
	t->w = calloc(sets * CONNCOUNT_WAYS, sizeof(*t->w));
	if (!t->w || (!seed && sodium_init() < 0)) {
		free(t->w);
		free(t);
		return NULL;
	}
	if (seed)
		memcpy(t->key, seed, sizeof(t->key));
	else
		randombytes_buf(t->key, sizeof(t->key));
	return t;
}

void conncount_free(struct conncount *t)
{
	if (!t)
		return;
	free(t->w);
	free(t);
}

size_t conncount_sets(const struct conncount *t)
{
	return t->mask + 1;
}

/* SipHash-2-4 of family, prefix length and address under the secret. */
static uint64_t conncount_hash(const struct conncount *t, const struct cidr *p)
{
	unsigned char in[2 + sizeof(p->addr)], out[crypto_shorthash_BYTES];
	uint64_t h;

	in[0] = p->family;
	in[1] = p->bits;
	memcpy(in + 2, p->addr, sizeof(p->addr));
	crypto_shorthash(out, in, sizeof(in), t->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* The sum of the ways of set holding fingerprint fp. CONNCOUNT_WAYS loads. */
static uint32_t conncount_sum(_Atomic uint64_t *set, uint64_t fp)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < CONNCOUNT_WAYS; i++) {
		uint64_t w = atomic_load_explicit(&set[i], memory_order_relaxed);

		if (W_COUNT(w) && W_FP(w) == fp)
			n += W_COUNT(w);
	}
	return n;
}

uint32_t conncount_add(struct conncount *t, const struct cidr *p,
		       uint32_t *way)
{
	uint64_t h = conncount_hash(t, p);
	size_t base = (size_t)(h & t->mask) * CONNCOUNT_WAYS;
	_Atomic uint64_t *set = t->w + base;
	uint64_t fp = h >> CONNCOUNT_COUNT_BITS;   /* the other 40 bits */

	*way = CONNCOUNT_NONE;
	for (unsigned round = 0; round < CONNCOUNT_TRIES; round++) {
		uint64_t w = 0, nw;
		int hit = -1, free_way = -1;

		for (unsigned i = 0; i < CONNCOUNT_WAYS; i++) {
			uint64_t x = atomic_load_explicit(&set[i],
							  memory_order_relaxed);

			if (W_COUNT(x) && W_FP(x) == fp) {
				hit = (int)i;
				w = x;
				break;
			}
			if (!W_COUNT(x) && free_way < 0) {
				free_way = (int)i;
				w = x;
			}
		}
		if (hit < 0 && free_way < 0)
			return 0;          /* full of other prefixes */
		if (hit >= 0 && W_COUNT(w) == CONNCOUNT_COUNT_MAX)
			return 0;
		nw = hit >= 0 ? w + 1 : fp << CONNCOUNT_COUNT_BITS | 1;
		if (atomic_compare_exchange_strong_explicit(
			    &set[hit >= 0 ? hit : free_way], &w, nw,
			    memory_order_relaxed, memory_order_relaxed)) {
			*way = (uint32_t)(base + (size_t)(hit >= 0 ? hit :
							  free_way));
			return conncount_sum(set, fp);
		}
	}
	return 0;
}

void conncount_sub(struct conncount *t, uint32_t way)
{
	if (way == CONNCOUNT_NONE || way >= (t->mask + 1) * CONNCOUNT_WAYS)
		return;
	atomic_fetch_sub_explicit(&t->w[way], 1, memory_order_relaxed);
}

uint32_t conncount_get(const struct conncount *t, const struct cidr *p)
{
	uint64_t h = conncount_hash(t, p);

	return conncount_sum(t->w + (size_t)(h & t->mask) * CONNCOUNT_WAYS,
			     h >> CONNCOUNT_COUNT_BITS);
}
