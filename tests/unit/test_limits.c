/* test_limits.c -- CUnit suite 'limits': per-source query limits and zone
 * NXDOMAIN budgets with a hand-driven clock.
 *
 * Each test builds its own table with a fixed seed and passes the time in
 * milliseconds: the /32 limit and its refill, the /24 limit catching many
 * sources each under their own, IPv6 prefixes, the whitelist, the higher
 * (but finite) cookie limit, the share under attack, the garbage pre-check,
 * the prefix parser, the per-zone NXDOMAIN budget (slip order, one zone
 * not starving another, case, the per-second count) and two threads
 * debiting one bucket.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "ratelimit/limits.h"
#include "unit.h"

static const uint8_t seed[16] = "levee-lim-tests";

static struct sockaddr_storage addr(const char *a)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(a, ':')) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		inet_pton(AF_INET6, a, &s->sin6_addr);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		inet_pton(AF_INET, a, &s->sin_addr);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static unsigned passes(struct limits_table *t, const char *a, bool cookie,
		       unsigned pct, unsigned n, uint64_t now)
{
	struct sockaddr_storage ss = addr(a);
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += limits_check(t, SA(ss), cookie, pct, now, NULL) == LIMITS_PASS;
	return ok;
}

static struct limits_table *table(unsigned qps)
{
	struct limits_config c;

	limits_config_init(&c);
	c.queries_per_second = qps;
	return limits_new(&c, seed);
}

static void test_defaults(void)
{
	struct limits_config c;
	struct limits_prefix p;

	limits_config_init(&c);
	CU_ASSERT_FALSE(limits_config_enabled(&c));
	CU_ASSERT_EQUAL(c.v4_count, 3);
	CU_ASSERT_EQUAL(c.v4[1].bits, 24);
	CU_ASSERT_EQUAL(c.v4[1].mult, 4);
	CU_ASSERT_EQUAL(c.v6_count, 4);
	CU_ASSERT_EQUAL(c.cookie_multiplier, 4);
	CU_ASSERT_EQUAL(limits_parse_prefix("24:4", AF_INET, &p), 0);
	CU_ASSERT_EQUAL(p.bits, 24);
	CU_ASSERT_EQUAL(p.mult, 4);
	CU_ASSERT_EQUAL(limits_parse_prefix("/56:8", AF_INET6, &p), 0);
	CU_ASSERT_EQUAL(p.bits, 56);
	CU_ASSERT_EQUAL(limits_parse_prefix("33:1", AF_INET, &p), -EINVAL);
	CU_ASSERT_EQUAL(limits_parse_prefix("24", AF_INET, &p), -EINVAL);
	CU_ASSERT_EQUAL(limits_parse_prefix("24:0", AF_INET, &p), -EINVAL);
	CU_ASSERT_EQUAL(limits_parse_prefix("24:x", AF_INET, &p), -EINVAL);
	CU_ASSERT_EQUAL(limits_parse_prefix("129:2", AF_INET6, &p), -EINVAL);
	c.zone_nxdomains_per_second = 5;
	CU_ASSERT_TRUE(limits_config_enabled(&c));
}

static void test_source(void)
{
	struct limits_table *t = table(10);

	/* A full bucket of 10, then nothing until refill. */
	CU_ASSERT_EQUAL(passes(t, "192.0.2.1", false, 100, 15, 1000), 10);
	CU_ASSERT_EQUAL(passes(t, "192.0.2.1", false, 100, 5, 1000), 0);
	/* 100 ms earn one query. */
	CU_ASSERT_EQUAL(passes(t, "192.0.2.1", false, 100, 3, 1100), 1);
	/* Another /24 is untouched. */
	CU_ASSERT_EQUAL(passes(t, "198.51.100.1", false, 100, 10, 1100), 10);
	/* A second later the bucket is full again. */
	CU_ASSERT_EQUAL(passes(t, "192.0.2.1", false, 100, 12, 2200), 10);
	limits_check(NULL, NULL, false, 100, 0, NULL);   /* NULL table: pass */
	limits_free(t);
}

static void test_prefix_aggregate(void)
{
	struct limits_table *t = table(10);
	char a[32];
	unsigned ok = 0;

	/* 10 sources of one /24, 5 queries each (under their /32 limit of
	 * 10): the /24 earns 40, so 40 of 50 pass. */
	for (int i = 0; i < 10; i++) {
		snprintf(a, sizeof(a), "203.0.113.%d", i + 1);
		ok += passes(t, a, false, 100, 5, 5000);
	}
	CU_ASSERT_EQUAL(ok, 40);
	/* The /20 (x16 = 160) spans 16 /24s: sparse sources, one per /24,
	 * 20 each: 16 * 10 pass per /32, the /20 caps the total at 160. */
	ok = 0;
	for (int i = 0; i < 16; i++) {
		snprintf(a, sizeof(a), "10.1.%d.1", 16 + i);
		ok += passes(t, a, false, 100, 20, 9000);
	}
	CU_ASSERT_EQUAL(ok, 160);
	snprintf(a, sizeof(a), "10.1.17.2");
	CU_ASSERT_EQUAL(passes(t, a, false, 100, 5, 9000), 0);
	limits_free(t);
}

static void test_ipv6(void)
{
	struct limits_table *t = table(10);
	char a[64];
	unsigned ok = 0;

	CU_ASSERT_EQUAL(passes(t, "2001:db8::1", false, 100, 20, 1000), 10);
	/* /64 earns 20: a second address of the same /64 gets 10 more. */
	CU_ASSERT_EQUAL(passes(t, "2001:db8::2", false, 100, 20, 1000), 10);
	CU_ASSERT_EQUAL(passes(t, "2001:db8::3", false, 100, 20, 1000), 0);
	/* Other /64s of the same /56 (x4 = 40): 20 more in all. */
	for (int i = 1; i <= 4; i++) {
		snprintf(a, sizeof(a), "2001:db8:0:%d::1", i);
		ok += passes(t, a, false, 100, 10, 1000);
	}
	CU_ASSERT_EQUAL(ok, 20);
	limits_free(t);
}

static void test_whitelist_cookie_share(void)
{
	struct limits_config c;
	struct limits_table *t;

	limits_config_init(&c);
	c.queries_per_second = 10;
	CU_ASSERT_EQUAL(cidr_parse("192.0.2.0/25", &c.whitelist[0]), 0);
	c.whitelist_count = 1;
	t = limits_new(&c, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(passes(t, "192.0.2.5", false, 100, 500, 1000), 500);
	/* Cookie holders: a higher limit (x4), not an unlimited one. */
	CU_ASSERT_EQUAL(passes(t, "192.0.2.200", false, 100, 50, 1000), 10);
	CU_ASSERT_EQUAL(passes(t, "192.0.2.200", true, 100, 50, 1000), 40);
	/* Under attack the cookie-less share shrinks (50%: 5), cookie
	 * buckets are not scaled. */
	CU_ASSERT_EQUAL(passes(t, "198.51.100.7", false, 50, 50, 1000), 5);
	CU_ASSERT_EQUAL(passes(t, "198.51.100.8", true, 50, 50, 1000), 40);
	limits_free(t);
}

static const uint8_t z_test[] = "\4test";
static const uint8_t z_TEST[] = "\4TEST";
static const uint8_t z_org[] = "\7example\3org";

static void test_zone_budget(void)
{
	struct limits_config c;
	struct limits_table *t;
	unsigned pass = 0, slip = 0, drop = 0;
	uint32_t count = 0;

	limits_config_init(&c);
	c.zone_nxdomains_per_second = 20;
	c.zone_slip = 2;
	t = limits_new(&c, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (int i = 0; i < 60; i++) {
		enum rrl_result r = limits_zone_nxdomain(
			t, i % 2 ? z_test : z_TEST, 100, 5000, &count);

		pass += r == RRL_PASS;
		slip += r == RRL_SLIP;
		drop += r == RRL_DROP;
	}
	CU_ASSERT_EQUAL(pass, 20);
	CU_ASSERT_EQUAL(slip, 20);
	CU_ASSERT_EQUAL(drop, 20);
	CU_ASSERT_EQUAL(count, 60);
	/* Another zone keeps its own budget. */
	CU_ASSERT_EQUAL(limits_zone_nxdomain(t, z_org, 100, 5000, &count),
			RRL_PASS);
	CU_ASSERT_EQUAL(count, 1);
	/* The count restarts with the next second; the budget refills. */
	CU_ASSERT_EQUAL(limits_zone_nxdomain(t, z_test, 100, 6000, &count),
			RRL_PASS);
	CU_ASSERT_EQUAL(count, 1);
	/* Under attack (25%): 5 of the next second's 20. */
	pass = 0;
	for (int i = 0; i < 20; i++)
		pass += limits_zone_nxdomain(t, z_org, 25, 8000, NULL) ==
			RRL_PASS;
	CU_ASSERT_EQUAL(pass, 5);
	CU_ASSERT_EQUAL(limits_zone_nxdomain(t, NULL, 100, 8000, &count),
			RRL_PASS);
	limits_free(t);

	/* Budget off: counted, never limited. */
	limits_config_init(&c);
	t = limits_new(&c, seed);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(limits_zone_nxdomain(t, z_test, 100, 1000,
						     &count), RRL_PASS);
	CU_ASSERT_EQUAL(count, 100);
	limits_free(t);
}

struct hammer {
	struct limits_table *t;
	unsigned ok;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct sockaddr_storage ss = addr("192.0.2.9");

	for (int i = 0; i < 5000; i++)
		h->ok += limits_check(h->t, SA(ss), false, 100, 1000, NULL) ==
			 LIMITS_PASS;
	return NULL;
}

static void test_threads(void)
{
	struct hammer h[2];
	pthread_t th[2];
	struct limits_table *t = table(1000);

	for (int i = 0; i < 2; i++) {
		h[i].t = t;
		h[i].ok = 0;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, hammer_main,
						     &h[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* One second of credit at the same instant: 1000 in all (a CAS loop
	 * that loses every round lets a query pass: at most a few more). */
	CU_ASSERT(h[0].ok + h[1].ok >= 1000 && h[0].ok + h[1].ok <= 1010);
	limits_free(t);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "defaults and prefix parser", test_defaults },
		{ "one source", test_source },
		{ "/24 and /20 aggregates", test_prefix_aggregate },
		{ "IPv6 prefixes", test_ipv6 },
		{ "whitelist, cookie, share", test_whitelist_cookie_share },
		{ "zone NXDOMAIN budget", test_zone_budget },
		{ "two threads, one bucket", test_threads },
	};

	return unit_run("limits", NULL, NULL, tests, UNIT_COUNT(tests));
}
