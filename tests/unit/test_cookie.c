/* test_cookie.c -- unit tests of DNS Cookies (ratelimit/cookie.c) and of
 * the engine's cookie handling (server/answer.c, server/edns.c).
 *
 * The server cookies are checked byte for byte against the test vectors of
 * RFC 9018 Appendix A (IPv4 and IPv6). Time is passed in by hand, so the
 * validity window, the half-hour refresh and the secret rollover are tested
 * at their exact edges. Engine cases run hand-built queries straight
 * through the query pipeline (query_run.h) with no zone snapshot (every name REFUSED): what
 * matters here is the rcode, TC and the reply's COOKIE option. No sockets.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ratelimit/cookie.h"
#include "server/answer.h"
#include "unit.h"
#include "query_run.h"

static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &a6->sin6_addr);
		a6->sin6_port = htons(5353);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		inet_pton(AF_INET, text, &a4->sin_addr);
		a4->sin_port = htons(5353);
	}
	return ss;
}

static struct cookie_ctx *ctx_static(const char *cur, const char *prev,
				     const char *next)
{
	uint8_t c[16], p[16], n[16];
	struct cookie_params par = { 0 };

	if (cur) {
		unhex(cur, c, 16);
		par.secret = c;
	}
	if (prev) {
		unhex(prev, p, 16);
		par.secret_previous = p;
	}
	if (next) {
		unhex(next, n, 16);
		par.secret_next = n;
	}
	return cookie_ctx_new(&par);
}

/* --- RFC 9018 Appendix A --- */

struct vector {
	const char *secret, *client, *ip;
	uint32_t ts;
	const char *want;
};

static const struct vector vectors[] = {
	/* A.1 learning a new server cookie */
	{ "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957",
	  "198.51.100.100", 1559731985, "010000005cf79f111f8130c3eee29480" },
	/* A.2 the same client learning a renewed cookie */
	{ "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957",
	  "198.51.100.100", 1559734385, "010000005cf7a871d4a564a1442aca77" },
	/* A.3 another client */
	{ "e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86",
	  "203.0.113.203", 1559734700, "010000005cf7a9acf73a7810aca2381e" },
	/* A.4 IPv6, the cookie learnt before the rollover... */
	{ "dd3bdf9344b678b185a6f5cb60fca715", "22681ab97d52c298",
	  "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741817,
	  "010000005cf7c57926556bd0934c72f8" },
	/* ...and the fresh one under the new secret */
	{ "445536bcd2513298075a5d379663c962", "22681ab97d52c298",
	  "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741961,
	  "010000005cf7c609a6bb79d16625507a" },
};

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		uint8_t secret[16], cc[8], want[16], out[16];
		struct sockaddr_storage ss = addr(v->ip);

		unhex(v->secret, secret, 16);
		unhex(v->client, cc, 8);
		unhex(v->want, want, 16);
		CU_ASSERT_EQUAL(cookie_server_make(secret, cc, v->ts,
						   (struct sockaddr *)&ss, out), 0);
		CU_ASSERT_EQUAL(memcmp(out, want, 16), 0);
		CU_ASSERT_TRUE(cookie_server_matches(secret, cc, want, 16,
						     (struct sockaddr *)&ss));
		/* another address, another client cookie: no match */
		struct sockaddr_storage other = addr(strchr(v->ip, ':') ?
						     "2001:db8::1" : "192.0.2.1");
		CU_ASSERT_FALSE(cookie_server_matches(secret, cc, want, 16,
						      (struct sockaddr *)&other));
		cc[0] ^= 1;
		CU_ASSERT_FALSE(cookie_server_matches(secret, cc, want, 16,
						      (struct sockaddr *)&ss));
	}
}

/* The appendix's exchanges through cookie_check(): validation, refresh,
 * rollover, reserved bytes hashed as received. */
static void test_vector_exchanges(void)
{
	uint8_t opt[24], reply[24], want[24];
	struct sockaddr_storage c1 = addr("198.51.100.100");
	struct sockaddr_storage c2 = addr("203.0.113.203");
	struct sockaddr_storage c6 = addr("2001:db8:220:1:59de:d0f4:8769:82b8");
	struct cookie_ctx *ctx = ctx_static("e5e973e5a6b2a43f48e7dc849e37bfcf",
					    NULL, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	/* A.1: a client cookie alone */
	unhex("2464c4abcf10c957", opt, 8);
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", want, 24);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c1, opt, 8,
				     1559731985, reply), COOKIE_CLIENT_ONLY);
	CU_ASSERT_EQUAL(memcmp(reply, want, 24), 0);
	/* A.2: valid 40 minutes later, older than half an hour: renewed */
	memcpy(opt, want, 24);
	unhex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77", want, 24);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c1, opt, 24,
				     1559734385, reply), COOKIE_VALID);
	CU_ASSERT_EQUAL(memcmp(reply, want, 24), 0);
	/* A.3: reserved bytes set; the hash covers them as received */
	unhex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", opt, 24);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c2, opt, 24,
				     1559727985 + 600, reply), COOKIE_VALID);
	/* valid, but not echoed: reserved bytes are not ours */
	CU_ASSERT_EQUAL(reply[9] | reply[10] | reply[11], 0);
	/* at the appendix's time it is 1h52m old: over our one hour, so
	 * invalid here, and the fresh cookie is the appendix's */
	unhex("fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e", want, 24);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c2, opt, 24,
				     1559734700, reply), COOKIE_INVALID);
	CU_ASSERT_EQUAL(memcmp(reply, want, 24), 0);
	cookie_ctx_free(ctx);

	/* A.4: IPv6, the secret rolled over, the old one is "previous" */
	ctx = ctx_static("445536bcd2513298075a5d379663c962",
			 "dd3bdf9344b678b185a6f5cb60fca715", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	unhex("22681ab97d52c298010000005cf7c57926556bd0934c72f8", opt, 24);
	unhex("22681ab97d52c298010000005cf7c609a6bb79d16625507a", want, 24);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c6, opt, 24,
				     1559741961, reply), COOKIE_VALID);
	CU_ASSERT_EQUAL(memcmp(reply, want, 24), 0);
	cookie_ctx_free(ctx);
}

/* --- the validity window and the refresh --- */

static void test_window(void)
{
	const uint32_t t = 1700000000;
	uint8_t opt[24], reply[24];
	struct sockaddr_storage c = addr("192.0.2.7");
	struct cookie_ctx *ctx = ctx_static("000102030405060708090a0b0c0d0e0f",
					    NULL, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_TRUE(cookie_ts_ok(t, t));
	CU_ASSERT_TRUE(cookie_ts_ok(t, t + 3600));
	CU_ASSERT_FALSE(cookie_ts_ok(t, t + 3601));
	CU_ASSERT_TRUE(cookie_ts_ok(t, t - 300));
	CU_ASSERT_FALSE(cookie_ts_ok(t, t - 301));
	/* serial arithmetic across the 2^32 wrap */
	CU_ASSERT_TRUE(cookie_ts_ok(0xFFFFFF00u, 0x100));
	CU_ASSERT_FALSE(cookie_ts_ok(0x100, 0xFFFFFF00u));

	memcpy(opt, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 8, t,
				     reply), COOKIE_CLIENT_ONLY);
	memcpy(opt, reply, 24);
	/* echoed while at most half an hour old */
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24,
				     t + 1800, reply), COOKIE_VALID);
	CU_ASSERT_EQUAL(memcmp(reply, opt, 24), 0);
	/* then renewed, still valid until one hour */
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24,
				     t + 1801, reply), COOKIE_VALID);
	CU_ASSERT_NOT_EQUAL(memcmp(reply, opt, 24), 0);
	CU_ASSERT_EQUAL(memcmp(reply, opt, 8), 0);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24,
				     t + 3600, reply), COOKIE_VALID);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24,
				     t + 3601, reply), COOKIE_INVALID);
	/* from the future: five minutes of clock skew accepted */
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24,
				     t - 300, reply), COOKIE_VALID);
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24,
				     t - 301, reply), COOKIE_INVALID);
	/* another source address: invalid, a fresh cookie for it */
	struct sockaddr_storage o = addr("192.0.2.8");
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&o, opt, 24, t,
				     reply), COOKIE_INVALID);
	/* a tampered hash, a wrong version, other lengths: invalid */
	opt[23] ^= 1;
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24, t,
				     reply), COOKIE_INVALID);
	opt[23] ^= 1;
	opt[8] = 2;
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 24, t,
				     reply), COOKIE_INVALID);
	opt[8] = 1;
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&c, opt, 16, t,
				     reply), COOKIE_INVALID);
	CU_ASSERT_EQUAL(reply[8], 1);
	/* no address family we know: not processed */
	struct sockaddr_storage un;
	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	CU_ASSERT_EQUAL(cookie_check(ctx, (struct sockaddr *)&un, opt, 24, t,
				     reply), COOKIE_OFF);
	CU_ASSERT_EQUAL(cookie_check(ctx, NULL, opt, 24, t, reply), COOKIE_OFF);
	cookie_ctx_free(ctx);
}

/* --- rollover (RFC 9018 4.4) --- */

static void mint(struct cookie_ctx *ctx, const struct sockaddr *sa,
		 uint32_t t, uint8_t out[24])
{
	uint8_t opt[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	cookie_check(ctx, sa, opt, 8, t, out);
}

static void test_rollover(void)
{
	const char *A = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
	const char *B = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";
	const char *C = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
	const uint32_t t = 1700000000;
	struct sockaddr_storage sa = addr("2001:db8::53");
	const struct sockaddr *s = (const struct sockaddr *)&sa;
	uint8_t withA[24], withB[24], reply[24];
	struct cookie_ctx *a = ctx_static(A, NULL, NULL);
	struct cookie_ctx *a_nextB = ctx_static(A, NULL, B);
	struct cookie_ctx *b_prevA = ctx_static(B, A, NULL);
	struct cookie_ctx *c_prevB = ctx_static(C, B, NULL);
	struct cookie_ctx *b = ctx_static(B, NULL, NULL);

	CU_ASSERT_FATAL(a && a_nextB && b_prevA && c_prevB && b);
	mint(a, s, t, withA);
	mint(b, s, t, withB);
	/* step 1: B distributed as next, accepted before it is current */
	CU_ASSERT_EQUAL(cookie_check(a_nextB, s, withB, 24, t, reply),
			COOKIE_VALID);
	/* minted with the current secret A, never with next */
	CU_ASSERT_EQUAL(memcmp(reply, withA, 24), 0);
	/* step 2: B current, A previous: A's cookies still valid, renewed */
	CU_ASSERT_EQUAL(cookie_check(b_prevA, s, withA, 24, t, reply),
			COOKIE_VALID);
	CU_ASSERT_EQUAL(memcmp(reply, withB, 24), 0);
	CU_ASSERT_EQUAL(cookie_check(b_prevA, s, withB, 24, t, reply),
			COOKIE_VALID);
	CU_ASSERT_EQUAL(memcmp(reply, withB, 24), 0);   /* echoed */
	/* step 3: C current, B previous: A is refused */
	CU_ASSERT_EQUAL(cookie_check(c_prevB, s, withA, 24, t, reply),
			COOKIE_INVALID);
	CU_ASSERT_EQUAL(cookie_check(c_prevB, s, withB, 24, t, reply),
			COOKIE_VALID);
	/* A context alone refuses B: "next" is what made it valid */
	CU_ASSERT_EQUAL(cookie_check(a, s, withB, 24, t, reply),
			COOKIE_INVALID);
	/* a random secret per context */
	struct cookie_params none = { 0 };
	struct cookie_ctx *r1 = cookie_ctx_new(&none), *r2 = cookie_ctx_new(&none);
	uint8_t m1[24];
	CU_ASSERT_FATAL(r1 && r2);
	mint(r1, s, t, m1);
	CU_ASSERT_EQUAL(cookie_check(r1, s, m1, 24, t, reply), COOKIE_VALID);
	CU_ASSERT_EQUAL(cookie_check(r2, s, m1, 24, t, reply), COOKIE_INVALID);
	cookie_ctx_free(r1);
	cookie_ctx_free(r2);
	cookie_ctx_free(a);
	cookie_ctx_free(a_nextB);
	cookie_ctx_free(b_prevA);
	cookie_ctx_free(c_prevB);
	cookie_ctx_free(b);
}

/* Derived secrets: nodes sharing a master key agree in every period. */
static void test_derived(void)
{
	uint8_t mk[32], mk2[32], c1[24], c2[24], reply[24];
	struct sockaddr_storage sa = addr("198.51.100.9");
	const struct sockaddr *s = (const struct sockaddr *)&sa;
	const uint32_t life = 3600, t = 1700000000 / life * life;

	for (int i = 0; i < 32; i++) {
		mk[i] = (uint8_t)i;
		mk2[i] = (uint8_t)(i + 1);
	}
	struct cookie_params p = { .master_key = mk, .lifetime = life };
	struct cookie_params p2 = { .master_key = mk2, .lifetime = life };
	struct cookie_ctx *n1 = cookie_ctx_new(&p), *n2 = cookie_ctx_new(&p);
	struct cookie_ctx *other = cookie_ctx_new(&p2);

	CU_ASSERT_FATAL(n1 && n2 && other);
	mint(n1, s, t + 10, c1);
	mint(n2, s, t + 10, c2);
	CU_ASSERT_EQUAL(memcmp(c1, c2, 24), 0);   /* same secret, in step */
	CU_ASSERT_EQUAL(cookie_check(n2, s, c1, 24, t + 20, reply),
			COOKIE_VALID);
	CU_ASSERT_EQUAL(memcmp(reply, c1, 24), 0);
	CU_ASSERT_EQUAL(cookie_check(other, s, c1, 24, t + 20, reply),
			COOKIE_INVALID);
	/* minted at the end of a period, shown in the next: still valid
	 * (the secret of the cookie's own period), renewed with the new one */
	mint(n1, s, t + life - 5, c1);
	CU_ASSERT_EQUAL(cookie_check(n2, s, c1, 24, t + life + 5, reply),
			COOKIE_VALID);
	CU_ASSERT_NOT_EQUAL(memcmp(reply, c1, 24), 0);
	mint(n1, s, t + life + 5, c2);
	CU_ASSERT_EQUAL(memcmp(reply, c2, 24), 0);
	/* the periods' secrets differ */
	CU_ASSERT_NOT_EQUAL(memcmp(c1 + 16, c2 + 16, 8), 0);
	/* a node whose clock is a little behind accepts the newer cookie */
	CU_ASSERT_EQUAL(cookie_check(n1, s, c2, 24, t + life - 100, reply),
			COOKIE_VALID);
	/* bad combinations */
	uint8_t sec[16] = { 0 };
	struct cookie_params bad = { .secret = sec, .master_key = mk };
	CU_ASSERT_PTR_NULL(cookie_ctx_new(&bad));
	struct cookie_params bad2 = { .secret_previous = sec };
	CU_ASSERT_PTR_NULL(cookie_ctx_new(&bad2));
	cookie_ctx_free(n1);
	cookie_ctx_free(n2);
	cookie_ctx_free(other);
}

/* --- the engine --- */

static struct answer_config acfg;
static struct query qry;
#define req qry.req
static uint8_t resp[4096];
static uint8_t q[600];
static size_t qlen;
static struct sockaddr_storage client;
static const uint32_t NOW = 1700000000;

/* www.example.com A, RD, with an OPT carrying the given option bytes
 * (code, length and payload each), or no OPT when opt == NULL. */
static void build(int qdcount, const uint8_t *opt, size_t optlen)
{
	static const uint8_t qname[] = "\3www\7example\3com";
	size_t n = 0;

	memset(q, 0, sizeof(q));
	q[0] = 0x12;
	q[1] = 0x34;
	q[2] = 0x01;
	q[5] = (uint8_t)qdcount;
	q[11] = opt ? 1 : 0;
	n = 12;
	if (qdcount) {
		memcpy(q + n, qname, sizeof(qname));
		n += sizeof(qname);
		q[n + 1] = 1;   /* A */
		q[n + 3] = 1;   /* IN */
		n += 4;
	}
	if (opt) {
		q[n] = 0;
		q[n + 2] = 41;
		q[n + 3] = 0x04;   /* 1232 */
		q[n + 4] = 0xD0;
		q[n + 9] = (uint8_t)(optlen >> 8);
		q[n + 10] = (uint8_t)optlen;
		memcpy(q + n + 11, opt, optlen);
		n += 11 + optlen;
	}
	qlen = n;
}

/* One COOKIE option of len payload bytes (from data) at out; returns its
 * size. */
static size_t cookie_opt(uint8_t *out, const uint8_t *data, size_t len)
{
	out[0] = 0;
	out[1] = 10;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, data, len);
	return 4 + len;
}

static int run(bool tcp)
{
	return query_run(NULL, &acfg, &qry, q, qlen, resp, sizeof(resp), tcp,
			 (const struct sockaddr *)&client, NOW);
}

static unsigned hdr_rcode(void) { return resp[3] & 0xF; }
static bool hdr_tc(void) { return resp[2] & 0x02; }

/* The reply's COOKIE payload into out; returns its length, 0 if none, -1
 * when the reply has no OPT. Replies here have no records but the OPT. */
static int reply_cookie(uint8_t *out, unsigned *ext_rcode)
{
	size_t o = 12;

	if (resp[5]) {   /* skip the question */
		while (resp[o])
			o += 1 + resp[o];
		o += 5;
	}
	if (resp[11] == 0 || resp[7] || resp[9])
		return -1;
	*ext_rcode = resp[o + 5];
	size_t rdlen = (size_t)(resp[o + 9] << 8 | resp[o + 10]);
	size_t p = o + 11, end = p + rdlen;
	while (p + 4 <= end) {
		unsigned code = resp[p] << 8 | resp[p + 1];
		size_t len = (size_t)(resp[p + 2] << 8 | resp[p + 3]);
		if (code == 10) {
			memcpy(out, resp + p + 4, len);
			return (int)len;
		}
		p += 4 + len;
	}
	return 0;
}

static void test_engine_lengths(void)
{
	uint8_t data[48], opt[120];
	unsigned ext;
	uint8_t got[48];
	struct cookie_ctx *ctx = ctx_static("000102030405060708090a0b0c0d0e0f",
					    NULL, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	acfg.cookies = ctx;
	acfg.cookie_require = COOKIE_REQUIRE_OFF;
	for (int i = 0; i < 48; i++)
		data[i] = (uint8_t)(i + 1);
	for (size_t len = 0; len <= 44; len++) {
		bool ok = len == 8 || (len >= 16 && len <= 40);

		build(1, opt, cookie_opt(opt, data, len));
		CU_ASSERT_EQUAL(run(false), QUERY_SEND);
		if (ok) {
			CU_ASSERT_EQUAL(hdr_rcode(), 5);   /* REFUSED: no zones */
			CU_ASSERT_EQUAL(reply_cookie(got, &ext), 24);
			CU_ASSERT_EQUAL(memcmp(got, data, 8), 0);
			CU_ASSERT_EQUAL(req.cookie, len == 8 ? COOKIE_CLIENT_ONLY
							     : COOKIE_INVALID);
		} else {
			if (hdr_rcode() != 1)
				fprintf(stderr, "cookie length %zu: rcode %u\n",
					len, hdr_rcode());
			CU_ASSERT_EQUAL(hdr_rcode(), 1);   /* FORMERR */
			CU_ASSERT_EQUAL(reply_cookie(got, &ext), 0);
		}
	}
	/* two COOKIE options: FORMERR */
	size_t n = cookie_opt(opt, data, 8);
	n += cookie_opt(opt + n, data, 8);
	build(1, opt, n);
	run(false);
	CU_ASSERT_EQUAL(hdr_rcode(), 1);
	/* FORMERR for a bad cookie even with cookies off */
	acfg.cookies = NULL;
	build(1, opt, cookie_opt(opt, data, 7));
	run(false);
	CU_ASSERT_EQUAL(hdr_rcode(), 1);
	/* cookies off: a good cookie is ignored, no COOKIE in the reply */
	build(1, opt, cookie_opt(opt, data, 8));
	run(false);
	CU_ASSERT_EQUAL(hdr_rcode(), 5);
	CU_ASSERT_EQUAL(reply_cookie(got, &ext), 0);
	CU_ASSERT_EQUAL(req.cookie, COOKIE_OFF);
	cookie_ctx_free(ctx);
}

static void test_engine_policy(void)
{
	uint8_t cc[8] = { 9, 8, 7, 6, 5, 4, 3, 2 }, opt[64], got[48], good[24];
	unsigned ext = 99;
	struct cookie_ctx *ctx = ctx_static("000102030405060708090a0b0c0d0e0f",
					    NULL, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	acfg.cookies = ctx;
	acfg.cookie_require = COOKIE_REQUIRE_OFF;

	/* a client cookie alone: answered, with a server cookie */
	build(1, opt, cookie_opt(opt, cc, 8));
	run(false);
	CU_ASSERT_EQUAL(hdr_rcode(), 5);
	CU_ASSERT_FALSE(hdr_tc());
	CU_ASSERT_EQUAL(req.cookie, COOKIE_CLIENT_ONLY);
	CU_ASSERT_EQUAL_FATAL(reply_cookie(got, &ext), 24);
	memcpy(good, got, 24);
	/* sent back: valid, echoed */
	build(1, opt, cookie_opt(opt, good, 24));
	run(false);
	CU_ASSERT_EQUAL(req.cookie, COOKIE_VALID);
	CU_ASSERT_EQUAL(reply_cookie(got, &ext), 24);
	CU_ASSERT_EQUAL(memcmp(got, good, 24), 0);
	/* no cookie, no EDNS: counted as none, answered */
	build(1, NULL, 0);
	run(false);
	CU_ASSERT_EQUAL(req.cookie, COOKIE_NONE);
	CU_ASSERT_EQUAL(hdr_rcode(), 5);
	/* no client address (fuzzing, tests): not processed */
	build(1, opt, cookie_opt(opt, cc, 8));
	query_run(NULL, &acfg, &qry, q, qlen, resp, sizeof(resp), false, NULL,
		  0);
	CU_ASSERT_EQUAL(req.cookie, COOKIE_OFF);
	CU_ASSERT_EQUAL(reply_cookie(got, &ext), 0);

	/* QDCOUNT 0 with a COOKIE: NOERROR and a server cookie (RFC 7873
	 * 5.4); without one: header-only FORMERR as before */
	build(0, opt, cookie_opt(opt, cc, 8));
	CU_ASSERT_EQUAL(run(false), QUERY_SEND);
	CU_ASSERT_EQUAL(hdr_rcode(), 0);
	CU_ASSERT_EQUAL(resp[5], 0);
	CU_ASSERT_EQUAL(reply_cookie(got, &ext), 24);
	CU_ASSERT_EQUAL(memcmp(got, good, 24), 0);
	build(0, opt, 0);
	run(false);
	CU_ASSERT_EQUAL(hdr_rcode(), 1);
	build(0, NULL, 0);
	run(false);
	CU_ASSERT_EQUAL(hdr_rcode(), 1);
	CU_ASSERT_EQUAL(req.resp_len, 12);

	/* require: on */
	acfg.cookie_require = COOKIE_REQUIRE_ON;
	build(1, opt, cookie_opt(opt, cc, 8));
	run(false);
	CU_ASSERT_EQUAL(req.rcode, 23);            /* BADCOOKIE */
	CU_ASSERT_EQUAL(hdr_rcode(), 23 & 0xF);
	CU_ASSERT_EQUAL(reply_cookie(got, &ext), 24);
	CU_ASSERT_EQUAL(ext, 23 >> 4);
	CU_ASSERT_EQUAL(memcmp(got, good, 24), 0);
	CU_ASSERT_EQUAL(resp[7] | resp[9], 0);     /* no answer */
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_ERROR);
	/* an invalid server cookie: BADCOOKIE with a fresh one */
	good[20] ^= 0xFF;
	build(1, opt, cookie_opt(opt, good, 24));
	run(false);
	CU_ASSERT_EQUAL(req.rcode, 23);
	CU_ASSERT_EQUAL(req.cookie, COOKIE_INVALID);
	CU_ASSERT_EQUAL(reply_cookie(got, &ext), 24);
	good[20] ^= 0xFF;
	CU_ASSERT_EQUAL(memcmp(got, good, 24), 0);
	/* the valid one: answered */
	build(1, opt, cookie_opt(opt, good, 24));
	run(false);
	CU_ASSERT_EQUAL(req.rcode, 5);
	CU_ASSERT_EQUAL(req.cookie, COOKIE_VALID);
	/* no cookie at all: TC, empty */
	build(1, NULL, 0);
	run(false);
	CU_ASSERT_TRUE(hdr_tc());
	CU_ASSERT_TRUE(req.truncated);
	CU_ASSERT_EQUAL(hdr_rcode(), 0);
	CU_ASSERT_EQUAL(resp[5], 1);
	CU_ASSERT_EQUAL(resp[7] | resp[9] | resp[11], 0);
	build(1, opt, 0);                           /* EDNS, no cookie */
	run(false);
	CU_ASSERT_TRUE(hdr_tc());
	CU_ASSERT_EQUAL(reply_cookie(got, &ext), 0);
	/* over TCP the address is proven: answered */
	build(1, NULL, 0);
	run(true);
	CU_ASSERT_FALSE(hdr_tc());
	CU_ASSERT_EQUAL(req.rcode, 5);
	build(1, opt, cookie_opt(opt, cc, 8));
	run(true);
	CU_ASSERT_EQUAL(req.rcode, 5);
	/* under-attack: off until the attack state exists */
	acfg.cookie_require = COOKIE_REQUIRE_UNDER_ATTACK;
	build(1, NULL, 0);
	run(false);
	CU_ASSERT_FALSE(hdr_tc());
	acfg.cookies = NULL;
	acfg.cookie_require = COOKIE_REQUIRE_OFF;
	cookie_ctx_free(ctx);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "RFC 9018 vectors", test_vectors },
		{ "RFC 9018 exchanges", test_vector_exchanges },
		{ "validity window", test_window },
		{ "rollover", test_rollover },
		{ "derived secrets", test_derived },
		{ "engine: option lengths", test_engine_lengths },
		{ "engine: policy", test_engine_policy },
	};

	client = addr("192.0.2.55");
	acfg.udp_max = 1232;
	return unit_run("cookie", NULL, NULL, tests, UNIT_COUNT(tests));
}
