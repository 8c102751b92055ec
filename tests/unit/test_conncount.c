/* test_conncount.c -- CUnit suite 'conncount': open connections per client
 * prefix, the table behind tcp-max-clients-per-prefix.
 *
 * Sizes; exact counts for the pair an unkeyed hash put in one slot
 * (127.0.0.0/24 and 127.30.240.0/24, issue 11 finding 6) and for 16,384
 * distinct prefixes at once; IPv4 and IPv6 apart; a full set fails open
 * (not counted, nothing to take back); two threads adding and removing one
 * prefix at once (the sum stays exact).
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit/conncount.h"
#include "unit.h"

static const uint8_t seed[CONNCOUNT_SEED_BYTES] = "levee-cc-tests!";

static struct cidr v4(unsigned a, unsigned b, unsigned c)
{
	struct cidr p = { .family = AF_INET, .bits = 24 };

	p.addr[0] = (uint8_t)a;
	p.addr[1] = (uint8_t)b;
	p.addr[2] = (uint8_t)c;
	return p;
}

static void test_sizes(void)
{
	struct conncount *t = conncount_new(0, seed);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(conncount_sets(t), 64);
	conncount_free(t);
	t = conncount_new(16384, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(conncount_sets(t), 16384);
	conncount_free(t);
	t = conncount_new(16385, seed);
	CU_ASSERT_EQUAL(conncount_sets(t), 32768);
	conncount_free(t);
	conncount_free(NULL);
}

static void test_old_collision(void)
{
	struct conncount *t = conncount_new(16384, NULL);
	struct cidr a = v4(127, 0, 0), b = v4(127, 30, 240);
	uint32_t ways[50], w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (unsigned i = 0; i < 50; i++)
		CU_ASSERT_EQUAL(conncount_add(t, &a, &ways[i]), i + 1);
	CU_ASSERT_EQUAL(conncount_get(t, &a), 50);
	CU_ASSERT_EQUAL(conncount_get(t, &b), 0);
	CU_ASSERT_EQUAL(conncount_add(t, &b, &w), 1);
	conncount_sub(t, w);
	for (unsigned i = 0; i < 50; i++)
		conncount_sub(t, ways[i]);
	CU_ASSERT_EQUAL(conncount_get(t, &a), 0);
	CU_ASSERT_EQUAL(conncount_get(t, &b), 0);
	conncount_free(t);
}

/* 16,384 distinct /24s at once in a table sized for 16,384: each counts
 * exactly itself (at most a few of a full set fail open); then 127.0.0.0/24
 * still counts from 1. */
static void test_many_prefixes(void)
{
	enum { N = 16384 };
	static uint32_t ways[N];
	struct conncount *t = conncount_new(N, seed);
	unsigned uncounted = 0, wrong = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (unsigned i = 0; i < N; i++) {
		struct cidr p = v4(10 + i / 65536, (i / 256) % 256, i % 256);
		uint32_t n = conncount_add(t, &p, &ways[i]);

		if (ways[i] == CONNCOUNT_NONE)
			uncounted++;
		else if (n != 1)
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(uncounted <= 2);
	for (unsigned i = 0; i < N; i++) {
		struct cidr p = v4(10 + i / 65536, (i / 256) % 256, i % 256);

		if (ways[i] != CONNCOUNT_NONE &&
		    conncount_get(t, &p) != 1)
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	for (unsigned i = 0; i < N; i++)
		conncount_sub(t, ways[i]);
	{
		struct cidr p = v4(127, 0, 0);
		uint32_t w;

		CU_ASSERT_EQUAL(conncount_add(t, &p, &w), 1);
		conncount_sub(t, w);
	}
	conncount_free(t);
}

static void test_families(void)
{
	struct conncount *t = conncount_new(64, seed);
	struct cidr a = v4(192, 0, 2), b = { .family = AF_INET6, .bits = 56 };
	uint32_t wa, wb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memcpy(b.addr, a.addr, 3);   /* the same bytes, another family */
	CU_ASSERT_EQUAL(conncount_add(t, &a, &wa), 1);
	CU_ASSERT_EQUAL(conncount_add(t, &b, &wb), 1);
	CU_ASSERT_EQUAL(conncount_add(t, &b, &wb), 2);
	CU_ASSERT_EQUAL(conncount_get(t, &a), 1);
	conncount_free(t);
}

/* With 64 sets, look for nine prefixes of one set: eight fill it, the
 * ninth is not counted and gives nothing back; one of the eight leaving
 * makes room. */
static void test_full_set(void)
{
	struct conncount *t = conncount_new(64, seed);
	struct cidr p[9];
	uint32_t w[9], first_way = CONNCOUNT_NONE;
	unsigned found = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (unsigned i = 0; i < 65536 && found < 9; i++) {
		struct cidr c = v4(10, i / 256, i % 256);
		uint32_t way;

		/* Which set: add, read the way, take it back. */
		CU_ASSERT_EQUAL_FATAL(conncount_add(t, &c, &way), 1);
		conncount_sub(t, way);
		if (found == 0)
			first_way = way;
		if (way / CONNCOUNT_WAYS == first_way / CONNCOUNT_WAYS)
			p[found++] = c;
	}
	CU_ASSERT_EQUAL_FATAL(found, 9);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(conncount_add(t, &p[i], &w[i]), 1);
	CU_ASSERT_EQUAL(conncount_add(t, &p[8], &w[8]), 0);
	CU_ASSERT_EQUAL(w[8], CONNCOUNT_NONE);
	conncount_sub(t, w[8]);                /* nothing */
	CU_ASSERT_EQUAL(conncount_get(t, &p[0]), 1);
	conncount_sub(t, w[3]);
	CU_ASSERT_EQUAL(conncount_add(t, &p[8], &w[8]), 1);
	CU_ASSERT_EQUAL(conncount_get(t, &p[3]), 0);
	conncount_free(t);
}

#define HAMMER_ROUNDS 100000

struct hammer {
	struct conncount *t;
	uint32_t max_seen;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct cidr p = v4(198, 51, 100);

	for (unsigned i = 0; i < HAMMER_ROUNDS; i++) {
		uint32_t w1, w2, n;

		n = conncount_add(h->t, &p, &w1);
		if (n > h->max_seen)
			h->max_seen = n;
		n = conncount_add(h->t, &p, &w2);
		if (n > h->max_seen)
			h->max_seen = n;
		conncount_sub(h->t, w1);
		conncount_sub(h->t, w2);
	}
	return NULL;
}

/* Two threads, each holding at most two connections of one prefix: no
 * count above four is ever seen, and the prefix ends at zero. */
static void test_threads(void)
{
	struct conncount *t = conncount_new(64, seed);
	struct hammer h[2] = { { t, 0 }, { t, 0 } };
	pthread_t th[2];
	struct cidr p = v4(198, 51, 100);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, hammer_main,
						     &h[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT(h[0].max_seen <= 4 && h[1].max_seen <= 4);
	CU_ASSERT(h[0].max_seen >= 2 && h[1].max_seen >= 2);
	CU_ASSERT_EQUAL(conncount_get(t, &p), 0);
	conncount_free(t);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "table sizes", test_sizes },
		{ "the old colliding pair counts apart", test_old_collision },
		{ "16384 prefixes, each exact", test_many_prefixes },
		{ "IPv4 and IPv6 apart", test_families },
		{ "a full set fails open", test_full_set },
		{ "two threads, one prefix", test_threads },
	};

	return unit_run("conncount", NULL, NULL, tests, UNIT_COUNT(tests));
}
