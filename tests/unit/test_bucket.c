/* test_bucket.c -- CUnit suite 'bucket': the lock-free token-bucket table
 * under rrl.c and limits.c, with a hand-driven clock.
 *
 * Each test builds its own table and passes the time in milliseconds: table
 * sizes, the keyed hash, burst and continuous refill, refill after the window (FRESH), a
 * clock running behind the stamp, rates of a million a second (past RRL's
 * old 21-bit credit), credit given back, the aux words zeroed on claim,
 * oldest-first eviction in a full set, and two threads hammering one bucket
 * at a frozen instant (exactly `rate` passes under CAS).
 */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdint.h>

#include "ratelimit/bucket.h"
#include "unit.h"

static const uint8_t seed[BUCKET_SEED_BYTES] = "levee-bkt-tests";

static void test_sizes(void)
{
	struct bucket_table *t;

	t = bucket_table_new(0, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(bucket_table_size(t), 1);
	bucket_table_free(t);
	t = bucket_table_new(5, seed);
	CU_ASSERT_EQUAL(bucket_table_size(t), 5);
	bucket_table_free(t);
	t = bucket_table_new(100, seed);   /* 12 sets of 8 */
	CU_ASSERT_EQUAL(bucket_table_size(t), 96);
	bucket_table_free(t);
	bucket_table_free(NULL);
}

static void test_keys(void)
{
	static const uint8_t other[BUCKET_SEED_BYTES] = "another-seed-16";
	struct bucket_table *a = bucket_table_new(8, seed);
	struct bucket_table *b = bucket_table_new(8, seed);
	struct bucket_table *c = bucket_table_new(8, other);
	struct bucket_table *r = bucket_table_new(8, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_NOT_EQUAL(bucket_key(a, "x", 1), 0);
	CU_ASSERT_NOT_EQUAL(bucket_key(a, "", 0), 0);
	CU_ASSERT_EQUAL(bucket_key(a, "abc", 3), bucket_key(b, "abc", 3));
	CU_ASSERT_NOT_EQUAL(bucket_key(a, "abc", 3), bucket_key(a, "abd", 3));
	CU_ASSERT_NOT_EQUAL(bucket_key(a, "abc", 3), bucket_key(c, "abc", 3));
	CU_ASSERT_NOT_EQUAL(bucket_key(a, "abc", 3), bucket_key(r, "abc", 3));
	bucket_table_free(a);
	bucket_table_free(b);
	bucket_table_free(c);
	bucket_table_free(r);
}

static void test_burst_and_refill(void)
{
	struct bucket_table *t = bucket_table_new(64, seed);
	struct bucket *b = bucket_find(t, 42, 1000, 10);
	unsigned ok = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(bucket_units(b), 10);
	CU_ASSERT_PTR_EQUAL(bucket_find(t, 42, 1000, 10), b);
	for (int i = 0; i < 15; i++)
		ok += bucket_debit(b, 10, 10, 15000, 1000) == BUCKET_PASS;
	CU_ASSERT_EQUAL(ok, 10);
	CU_ASSERT_EQUAL(bucket_debit(b, 10, 10, 15000, 1000), BUCKET_LIMITED);
	/* 10/s: one unit per 100 ms, 99 ms earn nothing whole. */
	CU_ASSERT_EQUAL(bucket_debit(b, 10, 10, 15000, 1099), BUCKET_LIMITED);
	CU_ASSERT_EQUAL(bucket_debit(b, 10, 10, 15000, 1100), BUCKET_PASS);
	CU_ASSERT_EQUAL(bucket_debit(b, 10, 10, 15000, 1100), BUCKET_LIMITED);
	/* A long pause refills to burst, never beyond. */
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += bucket_debit(b, 10, 10, 15000, 9000) == BUCKET_PASS;
	CU_ASSERT_EQUAL(ok, 10);
	/* Burst larger than rate: a reserve of 5 on a 1/s bucket. */
	b = bucket_find(t, 43, 1000, 5);
	ok = 0;
	for (int i = 0; i < 8; i++)
		ok += bucket_debit(b, 1, 5, 15000, 1000) == BUCKET_PASS;
	CU_ASSERT_EQUAL(ok, 5);
	bucket_table_free(t);
}

static void test_window_and_clock(void)
{
	struct bucket_table *t = bucket_table_new(8, seed);
	struct bucket *b = bucket_find(t, 7, 50000, 2);

	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 50000), BUCKET_PASS);
	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 50000), BUCKET_PASS);
	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 50000), BUCKET_LIMITED);
	/* Exactly window: a refill, not a fresh start. */
	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 51000), BUCKET_PASS);
	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 52001), BUCKET_FRESH);
	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 52001), BUCKET_PASS);
	/* Another reactor's clock behind the stamp: no time passed. */
	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 40000), BUCKET_LIMITED);
	CU_ASSERT_EQUAL(bucket_debit(b, 2, 2, 1000, 52501), BUCKET_PASS);
	/* Serial arithmetic across the 32-bit wrap of the stamp. */
	b = bucket_find(t, 8, UINT32_MAX - 100, 1);
	CU_ASSERT_EQUAL(bucket_debit(b, 1, 1, 1000, UINT32_MAX - 100),
			BUCKET_PASS);
	CU_ASSERT_EQUAL(bucket_debit(b, 1, 1, 1000, UINT32_MAX), BUCKET_LIMITED);
	CU_ASSERT_EQUAL(bucket_debit(b, 1, 1, 1000, 900), BUCKET_PASS);
	bucket_table_free(t);
}

static void test_wide_rates(void)
{
	struct bucket_table *t = bucket_table_new(8, seed);
	struct bucket *b = bucket_find(t, 9, 0, 1000000);
	unsigned ok = 0;

	CU_ASSERT_EQUAL(bucket_units(b), 1000000);
	for (int i = 0; i < 1000010; i++)
		ok += bucket_debit(b, 1000000, 1000000, 1000, 0) == BUCKET_PASS;
	CU_ASSERT_EQUAL(ok, 1000000);
	/* 1 ms earns a thousand. */
	ok = 0;
	for (int i = 0; i < 1010; i++)
		ok += bucket_debit(b, 1000000, 1000000, 1000, 1) == BUCKET_PASS;
	CU_ASSERT_EQUAL(ok, 1000);
	/* Past BUCKET_MAX_RATE: clamped, not wrapped. */
	b = bucket_find(t, 10, 0, UINT32_MAX);
	CU_ASSERT_EQUAL(bucket_units(b), BUCKET_MAX_RATE);
	bucket_table_free(t);
}

static void test_credit_back(void)
{
	struct bucket_table *t = bucket_table_new(8, seed);
	struct bucket *b = bucket_find(t, 11, 0, 3);

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(bucket_debit(b, 3, 3, 1000, 0), BUCKET_PASS);
	CU_ASSERT_EQUAL(bucket_debit(b, 3, 3, 1000, 0), BUCKET_LIMITED);
	bucket_credit(b, 2, 3);
	CU_ASSERT_EQUAL(bucket_units(b), 2);
	bucket_credit(b, 50, 3);   /* never above burst */
	CU_ASSERT_EQUAL(bucket_units(b), 3);
	bucket_table_free(t);
}

static void test_aux_and_eviction(void)
{
	struct bucket_table *t = bucket_table_new(8, seed);   /* one set */
	struct bucket *b[8], *n;

	for (unsigned i = 0; i < 8; i++) {
		b[i] = bucket_find(t, 100 + i, 1000 + i, 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b[i]);
		atomic_store(&b[i]->aux64, 5);
		atomic_store(&b[i]->aux32[0], 6);
		atomic_store(&b[i]->aux32[1], 7);
	}
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < i; j++)
			CU_ASSERT_PTR_NOT_EQUAL(b[i], b[j]);
	/* Touch the oldest (key 100): key 101 is now the oldest. */
	bucket_debit(b[0], 1, 1, 1000, 2000);
	n = bucket_find(t, 200, 2001, 1);
	CU_ASSERT_PTR_EQUAL(n, b[1]);
	CU_ASSERT_EQUAL(atomic_load(&n->key), 200);
	CU_ASSERT_EQUAL(atomic_load(&n->aux64), 0);
	CU_ASSERT_EQUAL(atomic_load(&n->aux32[0]), 0);
	CU_ASSERT_EQUAL(atomic_load(&n->aux32[1]), 0);
	CU_ASSERT_EQUAL(bucket_units(n), 1);
	/* The others keep their keys and aux words. */
	CU_ASSERT_PTR_EQUAL(bucket_find(t, 100, 2002, 1), b[0]);
	CU_ASSERT_EQUAL(atomic_load(&b[0]->aux32[1]), 7);
	bucket_table_free(t);
}

/* Two threads hammer one bucket at a frozen instant: with CAS the total
 * passed is exactly the rate. */
#define HAMMER_RATE 5000u

struct hammer {
	struct bucket_table *t;
	unsigned pass;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 50000; i++) {
		struct bucket *b = bucket_find(h->t, 0x5eed, 777000,
					       HAMMER_RATE);

		if (b)
			h->pass += bucket_debit(b, HAMMER_RATE, HAMMER_RATE,
						1000, 777000) != BUCKET_LIMITED;
	}
	return NULL;
}

static void test_threads(void)
{
	struct hammer h[2];
	pthread_t th[2];
	struct bucket_table *t = bucket_table_new(64, seed);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* Claimed once before the race: a claim resets the credit. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(bucket_find(t, 0x5eed, 777000,
						 HAMMER_RATE));
	for (int i = 0; i < 2; i++) {
		h[i].t = t;
		h[i].pass = 0;
	}
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, hammer_main,
						     &h[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(h[0].pass + h[1].pass, HAMMER_RATE);
	bucket_table_free(t);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "table sizes", test_sizes },
		{ "keyed hash", test_keys },
		{ "burst and refill", test_burst_and_refill },
		{ "window and clock", test_window_and_clock },
		{ "a million a second", test_wide_rates },
		{ "credit given back", test_credit_back },
		{ "aux words and eviction", test_aux_and_eviction },
		{ "two threads, one bucket", test_threads },
	};

	return unit_run("bucket", NULL, NULL, tests, UNIT_COUNT(tests));
}
