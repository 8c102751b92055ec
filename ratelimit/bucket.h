/* bucket.h -- a fixed, lock-free table of token buckets shared by every
 * reactor: the one behind response rate limiting (rrl.c) and the flood
 * defences' per-source and per-zone budgets (limits.c).
 *
 * The table is an array of buckets allocated once by bucket_table_new() and
 * never grown, grouped in sets of BUCKET_WAYS. The caller turns whatever it
 * accounts (a prefix, a name, a zone) into a nonzero 64-bit key, normally a
 * keyed hash, so a client cannot aim collisions at one set. The key picks
 * the set; bucket_find() scans it and, when the key is not there, takes over
 * the empty or least recently used bucket of the set with a compare-and-swap
 * on its key word. The table holds the secret for the keyed hash
 * (bucket_key(), SipHash-2-4), so callers hash what they account with it. A full table thus reuses its oldest buckets, and every
 * lookup is bounded by one set.
 *
 * Each bucket earns `rate` units a second, continuously (rate thousandths
 * per millisecond), and holds at most `burst` units; a debit spends one
 * whole unit or reports the bucket limited. Credit is kept in thousandths
 * of a unit in 32 bits, so rates and bursts up to BUCKET_MAX_RATE (over
 * 4,000,000 a second). Time is the caller's: milliseconds of a monotonic
 * clock, 32 bits, compared with serial arithmetic (a stamp ahead of the
 * caller's clock, from another reactor, counts as "no time passed").
 *
 * Every word is a C11 atomic changed with relaxed operations only: each word
 * is self-contained, and the one race allowed, a bucket taken over while
 * another thread debits it, costs at most one unit of accounting. Nothing
 * here allocates, blocks or calls into the system after bucket_table_new().
 */
#ifndef LEVEE_RATELIMIT_BUCKET_H
#define LEVEE_RATELIMIT_BUCKET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define BUCKET_WAYS 8
#define BUCKET_MAX_RATE 4000000u
#define BUCKET_SEED_BYTES 16

/* One bucket. key and state belong to bucket.c; the aux words belong to the
 * caller (counters that must follow the key: a slip counter, "limited
 * since", a per-second count) and are zeroed whenever the bucket is claimed
 * for a new key. Read and change them with relaxed atomics only. */
struct bucket {
	_Atomic uint64_t key;        /* 0: empty */
	_Atomic uint64_t state;      /* stamp (ms) << 32 | credit (1/1000) */
	_Atomic uint64_t aux64;
	_Atomic uint32_t aux32[2];
};

/* What bucket_debit() decided. */
enum bucket_result {
	BUCKET_LIMITED = 0,   /* not a whole unit of credit: nothing spent */
	BUCKET_PASS = 1,      /* one unit spent (or the CAS loop lost every
				 round: let it through) */
	BUCKET_FRESH = 2,     /* one unit spent from a bucket refilled
				 because it sat idle for longer than window */
};

struct bucket_table;

/* Creates a table of n buckets (at least 1; rounded down to whole sets of
 * BUCKET_WAYS when n >= BUCKET_WAYS), all empty. seed: BUCKET_SEED_BYTES of
 * hash key (tests), or NULL for random ones from libsodium. NULL on ENOMEM
 * or when libsodium cannot start. Main only; the caller caps n. */
struct bucket_table *bucket_table_new(size_t n, const uint8_t *seed);

/* Frees it after every reactor stopped using it. NULL accepted. */
void bucket_table_free(struct bucket_table *t);

/* The number of buckets actually allocated. */
size_t bucket_table_size(const struct bucket_table *t);

/* The bucket key of buf[0..len): SipHash-2-4 under the table's secret,
 * never 0. Pure, any thread; the work is one pass over buf. */
uint64_t bucket_key(const struct bucket_table *t, const void *buf,
		    size_t len);

/* Finds the bucket of key (nonzero) or takes over the empty or oldest one
 * of its set, which then starts full: burst units of credit, stamped now,
 * aux words zeroed. Returns NULL when other threads won every claim (the
 * caller then lets the request through unaccounted). Reactor threads: no
 * lock, no allocation; visits one set at most 3 times. */
struct bucket *bucket_find(struct bucket_table *t, uint64_t key,
			   uint32_t now, uint32_t burst);

/* Adds the credit earned since the bucket's stamp (rate units a second,
 * capped at burst; all of burst when it sat idle for longer than window_ms)
 * and spends one unit if there is a whole one. rate and burst are clamped to
 * BUCKET_MAX_RATE. Returns BUCKET_PASS, BUCKET_FRESH or BUCKET_LIMITED.
 * Reactor threads: a CAS loop of at most 16 rounds. */
enum bucket_result bucket_debit(struct bucket *b, uint32_t rate,
				uint32_t burst, uint32_t window_ms,
				uint32_t now);

/* Gives n units back (a debit that turned out not to be used), never above
 * burst. Reactor threads: a CAS loop of at most 16 rounds; a loop that
 * loses every round gives nothing back. */
void bucket_credit(struct bucket *b, uint32_t n, uint32_t burst);

/* The whole units of credit the bucket held at its last update (tests and
 * statistics; no refill is computed). */
uint32_t bucket_units(const struct bucket *b);

#endif
