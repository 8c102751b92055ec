/* bucket.c -- the lock-free token-bucket table of rrl.c and limits.c.
 *
 * Layout and rules are in bucket.h. The state word packs the stamp of the
 * last update (milliseconds, the high 32 bits) and the credit in thousandths
 * of a unit (the low 32 bits); both change together with one relaxed CAS,
 * in a loop of at most BUCKET_CAS_TRIES rounds. A loop that loses every
 * round lets the request pass: under such contention one unit more or less
 * does not matter, and a reactor never spins. A claim is a CAS on the key
 * word followed by plain relaxed stores of the fresh state and aux words;
 * a thread that finds the key between the two may debit the old state once.
 *
 * The table owns its bucket array (one calloc in bucket_table_new(), one
 * free in bucket_table_free()); buckets are never moved, so a pointer from
 * bucket_find() stays valid for the table's life, though the key it holds
 * may change under it when the set is full of newer keys.
 */
#include "ratelimit/bucket.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define BUCKET_CAS_TRIES 16
#define BUCKET_CLAIM_TRIES 3

#define ST_STAMP(s) ((uint32_t)((s) >> 32))
#define ST_CREDIT(s) ((uint32_t)(s))
#define ST_PACK(stamp, credit) ((uint64_t)(stamp) << 32 | (uint32_t)(credit))

struct bucket_table {
	size_t nsets;
	unsigned ways;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct bucket *b;   /* nsets * ways */
};

_Static_assert(BUCKET_SEED_BYTES == crypto_shorthash_KEYBYTES,
	       "a seed is one SipHash key");

struct bucket_table *bucket_table_new(size_t n, const uint8_t *seed)
{
	struct bucket_table *t;

	if (n == 0)
		n = 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ways = n < BUCKET_WAYS ? (unsigned)n : BUCKET_WAYS;
	t->nsets = n / t->ways;
	t->b = calloc(t->nsets * t->ways, sizeof(*t->b));
	if (!t->b || (!seed && sodium_init() < 0)) {
		free(t->b);
		free(t);
		return NULL;
	}
	if (seed)
		memcpy(t->key, seed, sizeof(t->key));
	else
		randombytes_buf(t->key, sizeof(t->key));
	return t;
}

void bucket_table_free(struct bucket_table *t)
{
	if (!t)
		return;
	free(t->b);
	free(t);
}

size_t bucket_table_size(const struct bucket_table *t)
{
	return t->nsets * t->ways;
}

uint64_t bucket_key(const struct bucket_table *t, const void *buf, size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, buf, len, t->key);
	memcpy(&h, out, sizeof(h));
	return h ? h : 1;
}

static uint32_t bucket_cap(uint32_t burst)
{
	return (burst > BUCKET_MAX_RATE ? BUCKET_MAX_RATE : burst) * 1000u;
}

struct bucket *bucket_find(struct bucket_table *t, uint64_t key,
			   uint32_t now, uint32_t burst)
{
	struct bucket *set = t->b + (size_t)((key >> 17) % t->nsets) * t->ways;

	for (int round = 0; round < BUCKET_CLAIM_TRIES; round++) {
		struct bucket *victim = set;
		uint64_t vkey = 0;
		int64_t vage = -1;

		for (unsigned i = 0; i < t->ways; i++) {
			uint64_t k = atomic_load_explicit(&set[i].key,
							  memory_order_relaxed);
			int64_t age;

			if (k == key)
				return &set[i];
			if (k == 0) {
				age = INT64_MAX;
			} else {
				uint64_t s = atomic_load_explicit(
					&set[i].state, memory_order_relaxed);
				int32_t d = (int32_t)(now - ST_STAMP(s));

				age = d < 0 ? 0 : d;
			}
			if (age > vage) {
				vage = age;
				victim = &set[i];
				vkey = k;
			}
		}
		if (atomic_compare_exchange_strong_explicit(
			    &victim->key, &vkey, key, memory_order_relaxed,
			    memory_order_relaxed)) {
			atomic_store_explicit(&victim->state,
					      ST_PACK(now, bucket_cap(burst)),
					      memory_order_relaxed);
			atomic_store_explicit(&victim->aux64, 0,
					      memory_order_relaxed);
			atomic_store_explicit(&victim->aux32[0], 0,
					      memory_order_relaxed);
			atomic_store_explicit(&victim->aux32[1], 0,
					      memory_order_relaxed);
			return victim;
		}
		/* Another thread took it: look again (it may be ours). */
	}
	return NULL;
}

enum bucket_result bucket_debit(struct bucket *b, uint32_t rate,
				uint32_t burst, uint32_t window_ms,
				uint32_t now)
{
	uint64_t cap = bucket_cap(burst);

	if (rate > BUCKET_MAX_RATE)
		rate = BUCKET_MAX_RATE;
	for (int tries = 0; tries < BUCKET_CAS_TRIES; tries++) {
		uint64_t old = atomic_load_explicit(&b->state,
						    memory_order_relaxed);
		uint32_t stamp = ST_STAMP(old);
		uint64_t credit = ST_CREDIT(old);
		int32_t age = (int32_t)(now - stamp);
		enum bucket_result res = BUCKET_PASS;

		if (age < 0)
			age = 0;          /* another reactor's clock is ahead */
		else
			stamp = now;
		if ((uint32_t)age > window_ms) {
			credit = cap;
			res = BUCKET_FRESH;
		} else {
			credit += (uint64_t)(uint32_t)age * rate;
			if (credit > cap)
				credit = cap;
		}
		if (credit >= 1000)
			credit -= 1000;
		else
			res = BUCKET_LIMITED;
		if (atomic_compare_exchange_weak_explicit(
			    &b->state, &old, ST_PACK(stamp, credit),
			    memory_order_relaxed, memory_order_relaxed))
			return res;
	}
	return BUCKET_PASS;   /* lost every round: let it through */
}

void bucket_credit(struct bucket *b, uint32_t n, uint32_t burst)
{
	uint64_t cap = bucket_cap(burst);

	for (int tries = 0; tries < BUCKET_CAS_TRIES; tries++) {
		uint64_t old = atomic_load_explicit(&b->state,
						    memory_order_relaxed);
		uint64_t credit = ST_CREDIT(old) + (uint64_t)n * 1000u;

		if (credit > cap)
			credit = cap;
		if (atomic_compare_exchange_weak_explicit(
			    &b->state, &old, ST_PACK(ST_STAMP(old), credit),
			    memory_order_relaxed, memory_order_relaxed))
			return;
	}
}

uint32_t bucket_units(const struct bucket *b)
{
	uint64_t s = atomic_load_explicit(&b->state, memory_order_relaxed);

	return ST_CREDIT(s) / 1000u;
}
