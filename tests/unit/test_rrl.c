/* test_rrl.c -- CUnit suite 'rrl': response rate limiting with a hand-driven
 * clock.
 *
 * Every test builds its own table with a fixed hash seed and passes the time
 * in milliseconds, so the arithmetic is exact: credit and refill, the
 * window, the slip order, which responses share a bucket (class keys, the
 * NXDOMAIN budget per zone, letter case), reuse of the oldest bucket when
 * the table is full, IPv4 and IPv6 prefixes, exempt clients, the cookie
 * hook, log-only, the start/stop log lines, the slipped reply's wire form,
 * and two threads debiting one bucket at once (exact under CAS).
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit/rrl.h"
#include "unit.h"

static const uint8_t seed[16] = "levee-rrl-tests";

/* Wire names. */
static const uint8_t n_www[] = "\3www\4test";             /* www.test. */
static const uint8_t n_mail[] = "\4mail\4test";
static const uint8_t n_apex[] = "\4test";
static const uint8_t n_org[] = "\7example\3org";

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(40000);
	inet_pton(AF_INET, a, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &s->sin6_addr);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static struct rrl_table *mk(unsigned rate, unsigned slip)
{
	struct rrl_config c;

	rrl_config_init(&c);
	c.responses_per_second = rate;
	c.slip = slip;
	return rrl_new(&c, seed, NULL);
}

/* Sends n responses at time now; counts the results. */
static void run(struct rrl_table *t, const struct sockaddr *src,
		enum rrl_class cls, const uint8_t *name, uint16_t qtype,
		int n, uint64_t now, int *pass, int *slip, int *drop)
{
	*pass = *slip = *drop = 0;
	for (int i = 0; i < n; i++) {
		switch (rrl_check(t, src, cls, name, qtype, false, now, NULL)) {
		case RRL_PASS: (*pass)++; break;
		case RRL_SLIP: (*slip)++; break;
		case RRL_DROP: (*drop)++; break;
		}
	}
}

static void test_defaults(void)
{
	struct rrl_config c;

	rrl_config_init(&c);
	CU_ASSERT_EQUAL(c.window, 15);
	CU_ASSERT_EQUAL(c.slip, 2);
	CU_ASSERT_EQUAL(c.ipv4_prefix_length, 24);
	CU_ASSERT_EQUAL(c.ipv6_prefix_length, 56);
	CU_ASSERT_EQUAL(c.max_table_size, 20000);
	CU_ASSERT(!rrl_config_enabled(&c));
	c.responses_per_second = 5;
	CU_ASSERT(rrl_config_enabled(&c));
	/* Left out: follows responses-per-second; all-per-second does not. */
	CU_ASSERT_EQUAL(rrl_config_rate(&c, RRL_CLASS_NXDOMAIN), 5);
	CU_ASSERT_EQUAL(rrl_config_rate(&c, RRL_CLASS_ERROR), 5);
	CU_ASSERT_EQUAL(rrl_config_rate(&c, RRL_CLASS_ALL), 0);
	c.nxdomains_per_second = 0;   /* 0 turns a class off */
	CU_ASSERT_EQUAL(rrl_config_rate(&c, RRL_CLASS_NXDOMAIN), 0);
	c.responses_per_second = 0;
	CU_ASSERT_EQUAL(rrl_config_rate(&c, RRL_CLASS_REFERRAL), 0);
}

static void test_credit(void)
{
	struct rrl_table *t = mk(10, 0);
	struct sockaddr_storage a = v4("192.0.2.1");
	int p, s, d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* A new bucket holds `rate` responses. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 15, 100000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 10);
	CU_ASSERT_EQUAL(d, 5);
	CU_ASSERT_EQUAL(s, 0);
	/* 100 ms later: one response earned. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 5, 100100, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	/* 50 ms: half a response, not enough; 50 more: one. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 1, 100150, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 0);
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 1, 100200, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	/* Credit never exceeds one second's worth (rate), however long the
	 * bucket rests within the window. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 30, 110000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 10);
	/* A steady flood gets `rate` answers per second: 1000 q/s for 3 s. */
	{
		int total = 0;

		for (int ms = 0; ms < 3000; ms++) {
			run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 1,
			    120000 + (uint64_t)ms, &p, &s, &d);
			total += p;
		}
		/* 10 of credit at the start, then 10 per second. */
		CU_ASSERT(total >= 38 && total <= 40);
	}
	/* A clock running backwards (another reactor's stale time) earns
	 * nothing and does not move the stamp back. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 5, 100000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 0);
	rrl_free(t);
}

static void test_window(void)
{
	struct rrl_table *t = mk(4, 2);
	struct sockaddr_storage a = v4("192.0.2.1");
	int p, s, d;

	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 7, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 4);
	CU_ASSERT_EQUAL(s + d, 3);   /* D S D: slip count now 1 */
	/* Idle for more than the window (15 s): afresh, slip count reset. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 5, 1000 + 15001, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 4);
	CU_ASSERT_EQUAL(d, 1);   /* the first limited one drops again */
	CU_ASSERT_EQUAL(s, 0);
	rrl_free(t);
}

static void test_slip_order(void)
{
	struct sockaddr_storage a = v4("192.0.2.1");
	enum rrl_result want2[] = { RRL_DROP, RRL_SLIP, RRL_DROP, RRL_SLIP,
				    RRL_DROP, RRL_SLIP };
	struct rrl_table *t = mk(2, 2);
	int p, s, d;

	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 2, 5000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 2);
	for (size_t i = 0; i < sizeof(want2) / sizeof(want2[0]); i++)
		CU_ASSERT_EQUAL(rrl_check(t, SA(a), RRL_CLASS_RESPONSE, n_www,
					  1, false, 5000, NULL), want2[i]);
	rrl_free(t);

	/* slip 3: two drops, then a slip. */
	t = mk(1, 3);
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 1, 5000, &p, &s, &d);
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 9, 5000, &p, &s, &d);
	CU_ASSERT_EQUAL(s, 3);
	CU_ASSERT_EQUAL(d, 6);
	CU_ASSERT_EQUAL(rrl_check(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1,
				  false, 5000, NULL), RRL_DROP);
	rrl_free(t);

	/* slip 0: drop all; slip 1: truncate all. */
	t = mk(1, 0);
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 11, 5000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	CU_ASSERT_EQUAL(s, 0);
	CU_ASSERT_EQUAL(d, 10);
	rrl_free(t);
	t = mk(1, 1);
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 11, 5000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	CU_ASSERT_EQUAL(s, 10);
	CU_ASSERT_EQUAL(d, 0);
	rrl_free(t);
}

static void test_all_per_second(void)
{
	struct rrl_config c;
	struct rrl_table *t;
	struct sockaddr_storage a = v4("192.0.2.1");
	enum rrl_class decided;
	int pass = 0;

	rrl_config_init(&c);
	c.responses_per_second = 100;
	c.all_per_second = 5;
	c.slip = 1;
	t = rrl_new(&c, seed, NULL);
	/* Different names: each within its own rate, all over all-per-second:
	 * dropped, never slipped, and counted against "all". */
	for (int i = 0; i < 20; i++) {
		uint8_t name[16];
		enum rrl_result r;

		memcpy(name, "\3w00\4test", 10);
		name[2] = (uint8_t)('0' + i / 10);
		name[3] = (uint8_t)('0' + i % 10);
		r = rrl_check(t, SA(a), RRL_CLASS_RESPONSE, name, 1, false,
			      7000, &decided);
		if (r == RRL_PASS) {
			pass++;
		} else {
			CU_ASSERT_EQUAL(r, RRL_DROP);
			CU_ASSERT_EQUAL(decided, RRL_CLASS_ALL);
		}
	}
	CU_ASSERT_EQUAL(pass, 5);
	rrl_free(t);
}

static void test_class_keys(void)
{
	struct rrl_table *t = mk(3, 0);
	struct sockaddr_storage a = v4("192.0.2.1");
	int p, s, d, pass = 0;

	/* Every random name under one zone: one NXDOMAIN bucket, because the
	 * account name of an NXDOMAIN is the apex. */
	for (int i = 0; i < 50; i++)
		pass += rrl_check(t, SA(a), RRL_CLASS_NXDOMAIN, n_apex,
				  (uint16_t)i, false, 9000, NULL) == RRL_PASS;
	CU_ASSERT_EQUAL(pass, 3);
	/* Another zone has its own NXDOMAIN budget. */
	run(t, SA(a), RRL_CLASS_NXDOMAIN, n_org, 1, 5, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 3);
	/* Positive answers for a name of that zone still flow. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 5, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 3);
	/* Names come lowercase from the engine (rrl.h): the same name is
	 * the same bucket. */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 1, 5, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 0);
	/* Another qtype is another positive answer... */
	run(t, SA(a), RRL_CLASS_RESPONSE, n_www, 28, 5, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 3);
	/* ...but NODATA is one bucket per name, whatever the type. */
	run(t, SA(a), RRL_CLASS_NODATA, n_mail, 16, 2, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 2);
	run(t, SA(a), RRL_CLASS_NODATA, n_mail, 99, 2, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	/* Referrals: one per delegation. */
	run(t, SA(a), RRL_CLASS_REFERRAL, n_mail, 1, 4, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 3);
	/* Errors: one bucket per prefix, names ignored. */
	run(t, SA(a), RRL_CLASS_ERROR, n_www, 1, 2, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 2);
	run(t, SA(a), RRL_CLASS_ERROR, NULL, 5, 2, 9000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	rrl_free(t);
}

static void test_table_reuse(void)
{
	struct rrl_config c;
	struct rrl_table *t;
	struct sockaddr_storage a = v4("192.0.2.1");
	uint8_t names[9][8];
	int p, s, d;

	rrl_config_init(&c);
	c.responses_per_second = 1;
	c.slip = 0;
	c.max_table_size = 8;   /* one set of 8 */
	t = rrl_new(&c, seed, NULL);
	CU_ASSERT_EQUAL(rrl_table_size(t), 8);
	for (int i = 0; i < 9; i++)
		memcpy(names[i], (uint8_t[]){ 2, 'n', (uint8_t)('0' + i), 0 },
		       4);
	/* Eight names spend their credit at 1..8 s. */
	for (int i = 0; i < 8; i++) {
		run(t, SA(a), RRL_CLASS_RESPONSE, names[i], 1, 2,
		    1000 * (uint64_t)(i + 1), &p, &s, &d);
		CU_ASSERT_EQUAL(p, 1);
	}
	/* A ninth name takes over the oldest bucket (names[0]'s)... */
	run(t, SA(a), RRL_CLASS_RESPONSE, names[8], 1, 2, 8500, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	/* ...so names[7] (recent) is still limited at 8.5 s... */
	run(t, SA(a), RRL_CLASS_RESPONSE, names[7], 1, 1, 8500, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 0);
	/* ...while names[0] was forgotten and starts afresh (taking names[1]'s
	 * bucket in turn). */
	run(t, SA(a), RRL_CLASS_RESPONSE, names[0], 1, 1, 8500, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	CU_ASSERT_EQUAL(rrl_table_size(t), 8);
	rrl_free(t);

	/* Sizes: never more buckets than max-table-size. */
	c.max_table_size = 20003;
	t = rrl_new(&c, seed, NULL);
	CU_ASSERT(rrl_table_size(t) <= 20003 && rrl_table_size(t) >= 19990);
	rrl_free(t);
	c.max_table_size = 3;
	t = rrl_new(&c, seed, NULL);
	CU_ASSERT_EQUAL(rrl_table_size(t), 3);
	rrl_free(t);
}

static void test_prefixes(void)
{
	struct rrl_table *t = mk(2, 0);
	struct sockaddr_storage a1 = v4("10.0.0.1"), a2 = v4("10.0.0.200"),
				a3 = v4("10.0.1.1");
	struct sockaddr_storage b1 = v6("2001:db8:0:1::1"),
				b2 = v6("2001:db8:0:ff:ffff::1"),
				b3 = v6("2001:db8:0:100::1");
	int p, s, d;

	/* IPv4 /24: 10.0.0.1 and 10.0.0.200 share; 10.0.1.1 does not. */
	run(t, SA(a1), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 2);
	run(t, SA(a2), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 0);
	run(t, SA(a3), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 2);
	/* IPv6 /56: the 8th byte is host bits, the 7th is not. */
	run(t, SA(b1), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 2);
	run(t, SA(b2), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 0);
	run(t, SA(b3), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 2);
	rrl_free(t);

	/* Other lengths: /32 separates hosts, /0 joins everybody. */
	{
		struct rrl_config c;

		rrl_config_init(&c);
		c.responses_per_second = 1;
		c.slip = 0;
		c.ipv4_prefix_length = 32;
		c.ipv6_prefix_length = 0;
		t = rrl_new(&c, seed, NULL);
		run(t, SA(a1), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s,
		    &d);
		CU_ASSERT_EQUAL(p, 1);
		run(t, SA(a2), RRL_CLASS_RESPONSE, n_www, 1, 2, 1000, &p, &s,
		    &d);
		CU_ASSERT_EQUAL(p, 1);
		run(t, SA(b1), RRL_CLASS_RESPONSE, n_www, 1, 1, 1000, &p, &s,
		    &d);
		CU_ASSERT_EQUAL(p, 1);
		run(t, SA(b3), RRL_CLASS_RESPONSE, n_www, 1, 1, 1000, &p, &s,
		    &d);
		CU_ASSERT_EQUAL(p, 0);
		rrl_free(t);
	}
}

static void test_exempt_cookie_logonly(void)
{
	struct rrl_config c;
	struct rrl_table *t;
	struct sockaddr_storage in = v4("198.51.100.77"),
				out = v4("198.51.100.200"),
				in6 = v6("2001:db8::5");
	int p, s, d;

	rrl_config_init(&c);
	c.responses_per_second = 1;
	CU_ASSERT_EQUAL(cidr_parse("198.51.100.64/26", &c.exempt[0]), 0);
	CU_ASSERT_EQUAL(cidr_parse("2001:db8::5", &c.exempt[1]), 0);
	CU_ASSERT_EQUAL(c.exempt[1].bits, 128);
	c.exempt_count = 2;
	CU_ASSERT_EQUAL(cidr_parse("10.1.2.3/33", &c.exempt[2]), -EINVAL);
	CU_ASSERT_EQUAL(cidr_parse("10.1.2.300", &c.exempt[2]), -EINVAL);
	CU_ASSERT_EQUAL(cidr_parse("10.1.2.3/", &c.exempt[2]), -EINVAL);
	CU_ASSERT_EQUAL(cidr_parse("10.1.2.3/8", &c.exempt[2]), 0);
	CU_ASSERT_EQUAL(c.exempt[2].addr[1], 0);   /* host bits cleared */
	t = rrl_new(&c, seed, NULL);
	run(t, SA(in), RRL_CLASS_RESPONSE, n_www, 1, 50, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 50);
	run(t, SA(in6), RRL_CLASS_RESPONSE, n_www, 1, 50, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 50);
	run(t, SA(out), RRL_CLASS_RESPONSE, n_www, 1, 50, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	/* The cookie hook: a valid server cookie is never limited. */
	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(rrl_check(t, SA(out), RRL_CLASS_RESPONSE,
					  n_www, 1, true, 1000, NULL),
				RRL_PASS);
	rrl_free(t);

	c.log_only = true;
	c.exempt_count = 0;
	t = rrl_new(&c, seed, NULL);
	run(t, SA(out), RRL_CLASS_RESPONSE, n_www, 1, 50, 1000, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 50);
	rrl_free(t);
}

static char log_lines[8][256];
static int log_n;

static void capture(const char *line)
{
	if (log_n < 8)
		snprintf(log_lines[log_n], sizeof(log_lines[0]), "%s", line);
	log_n++;
}

static void test_logs(void)
{
	struct rrl_config c;
	struct rrl_table *t;
	struct sockaddr_storage a = v4("192.0.2.9");
	int p, s, d;

	rrl_config_init(&c);
	c.responses_per_second = 2;
	c.window = 2;
	t = rrl_new(&c, seed, capture);
	log_n = 0;
	run(t, SA(a), RRL_CLASS_NXDOMAIN, n_apex, 1, 100, 50000, &p, &s, &d);
	CU_ASSERT_EQUAL(log_n, 1);   /* one start line for the whole flood */
	CU_ASSERT_PTR_NOT_NULL(strstr(log_lines[0], "limit 192.0.2.0/24"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log_lines[0], "nxdomains test."));
	run(t, SA(a), RRL_CLASS_NXDOMAIN, n_apex, 1, 100, 51000, &p, &s, &d);
	CU_ASSERT_EQUAL(log_n, 1);   /* still limited: nothing new */
	/* Quiet for more than the window: the next answer ends it. */
	run(t, SA(a), RRL_CLASS_NXDOMAIN, n_apex, 1, 1, 53500, &p, &s, &d);
	CU_ASSERT_EQUAL(p, 1);
	CU_ASSERT_EQUAL_FATAL(log_n, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(log_lines[1], "stop limiting 192.0.2.0/24"));
	/* The global budget: at most 10 lines a second. */
	log_n = 0;
	for (int i = 0; i < 40; i++) {
		struct sockaddr_storage b = v4("10.0.0.1");

		((struct sockaddr_in *)&b)->sin_addr.s_addr =
			htonl(0x0a000000u | (uint32_t)i << 8);
		run(t, SA(b), RRL_CLASS_ERROR, NULL, 1, 5, 90000, &p, &s, &d);
	}
	CU_ASSERT_EQUAL(log_n, 10);
	rrl_free(t);
}

/* The log callback counts lines actually emitted (after the budget). */
static int emitted;
static void count_line(const char *line)
{
	(void)line;
	emitted++;
}

static void test_log_budget(void)
{
	struct rrl_config c;
	struct rrl_table *t;
	int p, s, d;

	rrl_config_init(&c);
	c.responses_per_second = 1;
	t = rrl_new(&c, seed, count_line);
	emitted = 0;
	for (int i = 0; i < 40; i++) {
		struct sockaddr_storage b = v4("10.0.0.1");

		((struct sockaddr_in *)&b)->sin_addr.s_addr =
			htonl(0x0a000000u | (uint32_t)i << 8);
		run(t, SA(b), RRL_CLASS_ERROR, NULL, 1, 5, 90000, &p, &s, &d);
	}
	CU_ASSERT_EQUAL(emitted, 10);
	rrl_free(t);
}

/* Two threads debit one bucket at the same frozen instant: with CAS the
 * total passed is exactly the rate. */
struct hammer {
	struct rrl_table *t;
	int pass;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct sockaddr_storage a = v4("203.0.113.5");

	for (int i = 0; i < 20000; i++)
		h->pass += rrl_check(h->t, SA(a), RRL_CLASS_RESPONSE, n_www, 1,
				     false, 777000, NULL) == RRL_PASS;
	return NULL;
}

static void test_threads(void)
{
	struct rrl_config c;
	struct hammer h[2];
	pthread_t th[2];

	rrl_config_init(&c);
	c.responses_per_second = 500;
	c.max_table_size = 64;
	h[0].t = h[1].t = rrl_new(&c, seed, NULL);
	h[0].pass = h[1].pass = 0;
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, hammer_main,
						     &h[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(h[0].pass + h[1].pass, 500);
	rrl_free(h[0].t);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "defaults and class rates", test_defaults },
		{ "credit and refill", test_credit },
		{ "window", test_window },
		{ "slip order", test_slip_order },
		{ "all-per-second", test_all_per_second },
		{ "class keys", test_class_keys },
		{ "table reuse when full", test_table_reuse },
		{ "IPv4 and IPv6 prefixes", test_prefixes },
		{ "exempt, cookie, log-only", test_exempt_cookie_logonly },
		{ "start and stop logs", test_logs },
		{ "log budget", test_log_budget },
		{ "two threads, one bucket", test_threads },
	};

	return unit_run("rrl", NULL, NULL, tests, UNIT_COUNT(tests));
}
