/* test_query.c -- unit tests of the query pipeline (server/query.c): its
 * stages in order, with real rate-limit tables, time driven by hand and no
 * sockets.
 *
 * Queries are built by hand (wire), replies read from their header bytes.
 * Covered: the garbage drop and its counters; the per-source limit's
 * challenge (TC, or BADCOOKIE to a client cookie), slip 0 (drop, and the
 * prefix noted for the kernel map) and valid-cookie sources; cookies
 * required; the trusted replication sources (acl:) bypassing limits and
 * RRL for NOTIFY and SOA but not for other queries; RRL's slip rewriting
 * the reply in place (answer_slip); TCP never limited; the dispatch of
 * opcodes and transfers; TSIG (dnspython's signed request of
 * tsig_vectors.h): the reply signed whatever its rcode and after an RRL
 * slip, BADKEY and BADTIME, RRL limiting TSIG error replies, and a signed
 * SOA query trusted (not limited) where the same unsigned is.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/dns.h"
#include "ratelimit/cookie.h"
#include "ratelimit/limits.h"
#include "ratelimit/rrl.h"
#include "server/droplist.h"
#include "server/query.h"
#include "server/stats.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "tsig_vectors.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "unit.h"

#define DATA TEST_DATA_DIR "/answer/"

static struct zdb *db;
static struct answer_config cfg;
static struct stats st;
static struct query_env env;
static uint8_t resp[65535];
static struct query q;
static struct sockaddr_in src4;

static int suite_init(void)
{
	char err[256];
	struct zone *z;

	db = zdb_new();
	if (!db || zload_file("example.com.", DATA "example.com.zone", &z, err,
			      sizeof(err)) || zdb_add(db, z)) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	cfg.udp_max = 1232;
	src4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &src4.sin_addr);
	return 0;
}

static int suite_clean(void)
{
	zdb_free(db);
	return 0;
}

/* A fresh environment: no tables, counters zero. */
static void env_reset(void)
{
	memset(&env, 0, sizeof(env));
	memset(&st, 0, sizeof(st));
	env.acfg = &cfg;
	env.stats = &st;
}

static uint8_t qb[512];
static size_t qn;

/* www.example.com (or the apex when apex) of type t, opcode op, with an
 * OPT (and an 8-byte client cookie when cookie) or without. */
static void build(uint16_t t, int op, bool edns, bool cookie, bool apex)
{
	static const uint8_t www[] = "\x03www\x07" "example\x03" "com";
	static const uint8_t top[] = "\x07" "example\x03" "com";
	const uint8_t *n = apex ? top : www;
	size_t nl = apex ? sizeof(top) : sizeof(www);

	memset(qb, 0, sizeof(qb));
	qb[0] = 0x12;
	qb[1] = 0x34;
	qb[2] = (uint8_t)(op << 3);
	qb[5] = 1;
	memcpy(qb + 12, n, nl);
	qn = 12 + nl;
	qb[qn++] = (uint8_t)(t >> 8);
	qb[qn++] = (uint8_t)t;
	qb[qn++] = 0;
	qb[qn++] = 1;
	if (edns) {
		qb[11] = 1;
		qn++;                        /* root owner */
		qb[qn++] = 0;
		qb[qn++] = DNS_TYPE_OPT;
		qb[qn++] = 0x04;             /* 1232 */
		qb[qn++] = 0xd0;
		qn += 4;                     /* ext rcode, version, flags */
		qb[qn++] = 0;
		qb[qn++] = cookie ? 12 : 0;
		if (cookie) {
			qb[qn++] = 0;
			qb[qn++] = DNS_OPT_COOKIE;
			qb[qn++] = 0;
			qb[qn++] = 8;
			memset(qb + qn, 0xab, 8);
			qn += 8;
		}
	}
}

static bool run_local;   /* the transport's word: this host (exempt-local) */

static int run(bool tcp, uint64_t now_ms)
{
	memset(&q, 0, sizeof(q));
	q.local = run_local;
	q.msg = qb;
	q.len = qn;
	q.resp = resp;
	q.resp_cap = tcp ? sizeof(resp) : 1232;
	q.tcp = tcp;
	q.client = (const struct sockaddr *)&src4;
	q.now = 1750000000u;
	q.now_ms = now_ms;
	return query_process(&env, db, &q);
}

static unsigned rcode(void) { return resp[3] & 0xf; }
static bool tc(void) { return resp[2] & (DNS_TC >> 8); }
static unsigned ancount(void) { return (unsigned)resp[6] << 8 | resp[7]; }

static struct limits_table *limits(unsigned qps, unsigned slip)
{
	struct limits_config c;

	limits_config_init(&c);
	c.queries_per_second = qps;
	c.slip = slip;
	return limits_new(&c, (const uint8_t *)"0123456789abcdef");
}

static void test_parse_drop(void)
{
	env_reset();
	build(DNS_TYPE_A, 0, false, false, false);
	qb[2] |= 0x80;                       /* QR=1: a response */
	CU_ASSERT_EQUAL(run(false, 1000), QUERY_DROP);
	CU_ASSERT_EQUAL(st.c[STATS_GARBAGE_DROPPED], 1);
	CU_ASSERT_EQUAL(st.c[STATS_UDP_QUERIES], 1);
	qn = 11;                             /* shorter than a header */
	CU_ASSERT_EQUAL(run(true, 1000), QUERY_DROP);
	CU_ASSERT_EQUAL(st.c[STATS_GARBAGE_DROPPED], 2);
	CU_ASSERT_EQUAL(st.c[STATS_TCP_QUERIES], 1);
	build(DNS_TYPE_A, 0, false, false, false);
	CU_ASSERT_EQUAL(run(false, 1000), QUERY_SEND);
	CU_ASSERT_EQUAL(rcode(), 0);
	CU_ASSERT_EQUAL(ancount(), 1);
	CU_ASSERT_EQUAL(q.resp_len, 49);
	CU_ASSERT_EQUAL(st.c[STATS_RCODE_NOERROR], 1);
}

/* Over the limit: every query challenged (default slip 1), none answered
 * in full, nothing listed; the neighbour in another /20 untouched. */
static void test_limit_challenge(void)
{
	env_reset();
	env.limits = limits(10, 1);
	build(DNS_TYPE_A, 0, false, false, false);
	unsigned full = 0, tcs = 0;
	for (int i = 0; i < 50; i++) {
		CU_ASSERT_EQUAL(run(false, 5000), QUERY_SEND);
		if (tc() && ancount() == 0)
			tcs++;
		else if (ancount() == 1)
			full++;
		CU_ASSERT_EQUAL(q.list.bits, 0);
	}
	CU_ASSERT_EQUAL(full, 10);
	CU_ASSERT_EQUAL(tcs, 40);
	CU_ASSERT_EQUAL(st.c[STATS_LIMITS_CHALLENGED], 40);
	CU_ASSERT_EQUAL(st.c[STATS_LIMITS_DROPPED], 0);
	/* TCP is never limited */
	CU_ASSERT_EQUAL(run(true, 5000), QUERY_SEND);
	CU_ASSERT_EQUAL(ancount(), 1);
	/* with a client cookie (cookies on): BADCOOKIE, not TC */
	struct cookie_params cp = { .secret = (const uint8_t *)"0123456789abcdef" };
	struct cookie_ctx *cc = cookie_ctx_new(&cp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cc);
	cfg.cookies = cc;
	build(DNS_TYPE_A, 0, true, true, false);
	CU_ASSERT_EQUAL(run(false, 5000), QUERY_SEND);
	CU_ASSERT_EQUAL(q.req.rcode, DNS_RCODE_BADCOOKIE);
	CU_ASSERT_FALSE(tc());
	cfg.cookies = NULL;
	cookie_ctx_free(cc);
	limits_free(env.limits);
}

/* slip 0: the excess is dropped, the prefix that was over noted. */
static void test_limit_slip_zero(void)
{
	env_reset();
	env.limits = limits(10, 0);
	build(DNS_TYPE_A, 0, false, false, false);
	unsigned sent = 0;
	for (int i = 0; i < 20; i++)
		sent += run(false, 5000) == QUERY_SEND;
	CU_ASSERT_EQUAL(sent, 10);
	CU_ASSERT_EQUAL(st.c[STATS_LIMITS_DROPPED], 10);
	CU_ASSERT_EQUAL(q.list.bits, 32);
	CU_ASSERT_EQUAL(q.list.family, AF_INET);
	CU_ASSERT_EQUAL(memcmp(q.list.addr, &src4.sin_addr, 4), 0);
	limits_free(env.limits);
}

/* slip 2 with the kernel drop map (finding 3 of issue 11): every
 * over-limit query names its prefix, dropped or challenged; once the
 * table lists the prefix (the kernel keeps at least half of its
 * cookie-less datagrams), every one admission sees is challenged rather
 * than slipped again (half of a half), while a query the kernel never
 * examines (one with a COOKIE option) is still slipped. */
static void test_limit_thinned(void)
{
	struct droplist_config dc = {
		.v4 = { 32, 24, 20 }, .v4_count = 3,
		.slip = 2, .hold_ms = 1000, .cookies = true,
	};
	struct droplist *dl = droplist_new(&dc, (const uint8_t *)"0123456789abcdef");
	struct droplist_key k;
	struct cidr p24;
	uint64_t until;
	unsigned ch = 0, dropped = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	env_reset();
	env.limits = limits(10, 2);
	env.drops = dl;
	build(DNS_TYPE_A, 0, true, false, false);       /* empty OPT */
	for (int i = 0; i < 30; i++) {
		int v = run(false, 5000);

		if (i < 10)
			continue;
		CU_ASSERT_EQUAL(q.list.bits, 32);
		ch += v == QUERY_SEND;
		dropped += v == QUERY_DROP;
	}
	CU_ASSERT_EQUAL(ch, 10);                        /* our own slip */
	CU_ASSERT_EQUAL(dropped, 10);
	/* The /24 listed (as if by another reactor): never slipped again. */
	CU_ASSERT_TRUE(cidr_of_sockaddr((const struct sockaddr *)&src4, 24, &p24));
	CU_ASSERT_TRUE_FATAL(droplist_key(dl, &p24, &k));
	CU_ASSERT_EQUAL(droplist_claim(dl, &k, 5000, true, &until),
			DROPLIST_CLAIMED);
	ch = 0;
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(run(false, 5000), QUERY_SEND);
		ch += tc() && ancount() == 0;
		CU_ASSERT_EQUAL(q.list.bits, 32);
	}
	CU_ASSERT_EQUAL(ch, 20);
	/* A client cookie: the kernel spares it, so user space slips it. */
	struct cookie_params cp = { .secret = (const uint8_t *)"0123456789abcdef" };
	struct cookie_ctx *cc = cookie_ctx_new(&cp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cc);
	cfg.cookies = cc;
	build(DNS_TYPE_A, 0, true, true, false);
	unsigned sent = 0;
	for (int i = 0; i < 20; i++)
		sent += run(false, 5000) == QUERY_SEND;
	CU_ASSERT_EQUAL(sent, 10);
	cfg.cookies = NULL;
	cookie_ctx_free(cc);
	/* In the grace after its expiry (the bucket refilled: 10 served):
	 * still challenged. */
	build(DNS_TYPE_A, 0, true, false, false);
	sent = 0;
	for (int i = 0; i < 20; i++)
		sent += run(false, 6000 + DROPLIST_GRACE_MS - 1) == QUERY_SEND;
	CU_ASSERT_EQUAL(sent, 20);
	/* Expired past the grace: our own slip again. */
	sent = 0;
	for (int i = 0; i < 20; i++)
		sent += run(false, 8000 + DROPLIST_GRACE_MS) == QUERY_SEND;
	CU_ASSERT_EQUAL(sent, 15);                      /* 10 had credit */
	limits_free(env.limits);
	droplist_free(dl);
}

/* slip 1: nothing is ever named for the kernel. */
static void test_limit_slip_one_lists_nothing(void)
{
	env_reset();
	env.limits = limits(10, 1);
	build(DNS_TYPE_A, 0, false, false, false);
	for (int i = 0; i < 30; i++) {
		CU_ASSERT_EQUAL(run(false, 5000), QUERY_SEND);
		CU_ASSERT_EQUAL(q.list.bits, 0);
	}
	limits_free(env.limits);
}

/* Cookies required: a UDP query without a valid server cookie gets TC
 * (no cookie) without any lookup; TCP is answered. */
static void test_cookie_required(void)
{
	struct cookie_params cp = { .secret = (const uint8_t *)"0123456789abcdef" };
	struct cookie_ctx *cc = cookie_ctx_new(&cp);

	env_reset();
	cfg.cookies = cc;
	cfg.cookie_require = COOKIE_REQUIRE_ON;
	build(DNS_TYPE_A, 0, false, false, false);
	CU_ASSERT_EQUAL(run(false, 1000), QUERY_SEND);
	CU_ASSERT_TRUE(tc());
	CU_ASSERT_EQUAL(ancount(), 0);
	CU_ASSERT_EQUAL(run(true, 1000), QUERY_SEND);
	CU_ASSERT_EQUAL(ancount(), 1);
	cfg.cookie_require = COOKIE_REQUIRE_OFF;
	cfg.cookies = NULL;
	cookie_ctx_free(cc);
}

/* acl: sources: NOTIFY and SOA bypass the limits and RRL; an A query from
 * the same source does not. */
static void test_trusted(void)
{
	struct cidr trusted;
	struct rrl_config rc;

	env_reset();
	CU_ASSERT_EQUAL(cidr_parse("192.0.2.0/24", &trusted), 0);
	env.trusted = &trusted;
	env.trusted_count = 1;
	env.limits = limits(5, 0);
	rrl_config_init(&rc);
	rc.responses_per_second = 5;
	rc.slip = 0;
	env.rrl = rrl_new(&rc, (const uint8_t *)"0123456789abcdef", NULL);
	build(DNS_TYPE_SOA, 0, false, false, true);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(run(false, 9000), QUERY_SEND);
	CU_ASSERT_EQUAL(ancount(), 1);
	build(DNS_TYPE_SOA, DNS_OPCODE_NOTIFY, false, false, true);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(run(false, 9000), QUERY_SEND);
	CU_ASSERT_EQUAL(rcode(), DNS_RCODE_NOTAUTH);   /* no NOTIFY yet */
	CU_ASSERT_EQUAL(st.c[STATS_LIMITS_DROPPED], 0);
	build(DNS_TYPE_A, 0, false, false, false);
	unsigned sent = 0;
	for (int i = 0; i < 100; i++)
		sent += run(false, 9000) == QUERY_SEND;
	CU_ASSERT(sent <= 5);
	/* another address is not trusted */
	inet_pton(AF_INET, "198.51.100.7", &src4.sin_addr);
	build(DNS_TYPE_SOA, 0, false, false, true);
	sent = 0;
	for (int i = 0; i < 100; i++)
		sent += run(false, 9000) == QUERY_SEND;
	CU_ASSERT(sent <= 5);
	inet_pton(AF_INET, "192.0.2.7", &src4.sin_addr);
	rrl_free(env.rrl);
	limits_free(env.limits);
}

/* server: exempt-local: a datagram the transport vouches came from this
 * host skips the per-source limits and RRL, and is counted; the same source without the transport's
 * word is limited. */
static void test_local(void)
{
	struct rrl_config rc;
	unsigned sent = 0;

	env_reset();
	env.limits = limits(5, 0);
	rrl_config_init(&rc);
	rc.responses_per_second = 5;
	rc.slip = 0;
	env.rrl = rrl_new(&rc, (const uint8_t *)"0123456789abcdef", NULL);
	build(DNS_TYPE_A, 0, false, false, false);
	run_local = true;
	for (int i = 0; i < 100; i++)
		sent += run(false, 9000) == QUERY_SEND && !tc() &&
			ancount() == 1;
	CU_ASSERT_EQUAL(sent, 100);
	CU_ASSERT_EQUAL(st.c[STATS_LOCAL_EXEMPT], 100);
	CU_ASSERT_EQUAL(st.c[STATS_LIMITS_DROPPED], 0);
	CU_ASSERT_EQUAL(q.list.bits, 0);   /* never for the kernel map */
	run_local = false;
	sent = 0;
	for (int i = 0; i < 100; i++)
		sent += run(false, 9000) == QUERY_SEND && ancount() == 1;
	CU_ASSERT(sent <= 5);
	CU_ASSERT_EQUAL(st.c[STATS_LOCAL_EXEMPT], 100);
	rrl_free(env.rrl);
	limits_free(env.limits);
}

/* RRL's slip: the reply rewritten in place to TC, question and OPT kept,
 * the rcode and AA kept, no records. */
static void test_rrl_slip(void)
{
	struct rrl_config rc;

	env_reset();
	rrl_config_init(&rc);
	rc.responses_per_second = 2;
	rc.slip = 1;
	env.rrl = rrl_new(&rc, (const uint8_t *)"0123456789abcdef", NULL);
	build(DNS_TYPE_A, 0, true, false, false);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(run(false, 3000), QUERY_SEND);
		CU_ASSERT_EQUAL(ancount(), 1);
	}
	CU_ASSERT_EQUAL(run(false, 3000), QUERY_SEND);
	CU_ASSERT_TRUE(tc());
	CU_ASSERT_TRUE(resp[2] & (DNS_AA >> 8));
	CU_ASSERT_EQUAL(ancount(), 0);
	CU_ASSERT_EQUAL(resp[9], 0);
	CU_ASSERT_EQUAL(resp[11], 1);                 /* the OPT */
	CU_ASSERT_EQUAL(q.resp_len, qn);              /* question + OPT */
	CU_ASSERT_EQUAL(memcmp(resp + 12, qb + 12, qn - 12 - 11), 0);
	CU_ASSERT_EQUAL(st.c[STATS_RRL_SLIPPED + RRL_CLASS_RESPONSE], 1);
	CU_ASSERT_EQUAL(st.c[STATS_TRUNCATED], 1);
	/* TCP: never rate limited */
	CU_ASSERT_EQUAL(run(true, 3000), QUERY_SEND);
	CU_ASSERT_EQUAL(ancount(), 1);
	rrl_free(env.rrl);
}

/* Dispatch: NOTIFY NOTAUTH, unknown opcode NOTIMP, AXFR over UDP NOTIMP
 * and over TCP NOTAUTH (transfers are issue 13). */
static void test_dispatch(void)
{
	env_reset();
	build(DNS_TYPE_SOA, DNS_OPCODE_NOTIFY, false, false, true);
	run(false, 1000);
	CU_ASSERT_EQUAL(rcode(), DNS_RCODE_NOTAUTH);
	build(DNS_TYPE_A, 3, false, false, false);
	run(false, 1000);
	CU_ASSERT_EQUAL(rcode(), DNS_RCODE_NOTIMP);
	build(DNS_TYPE_AXFR, 0, false, false, true);
	run(false, 1000);
	CU_ASSERT_EQUAL(rcode(), DNS_RCODE_NOTIMP);
	run(true, 1000);
	CU_ASSERT_EQUAL(rcode(), DNS_RCODE_NOTAUTH);
}

/* The vector's request (www.Test. A, EDNS, hmac-sha256) through the
 * pipeline over UDP, kr in the config (run()'s clock: BADTIME for a
 * key that verifies). */
static int run_signed(struct tsig_keyring *kr, uint64_t now_ms)
{
	cfg.tsig = kr;
	memcpy(qb, vec_sha256_request, sizeof(vec_sha256_request));
	qn = sizeof(vec_sha256_request);
	return run(false, now_ms);
}

/* The reply's last record: its TSIG, with error and MAC size. */
static bool reply_tsig(unsigned *error, unsigned *macsize)
{
	size_t o = 12, n = q.resp_len;
	unsigned total = (unsigned)(resp[4] << 8 | resp[5]);

	for (unsigned i = 0; i < total; i++) {   /* the question */
		if (!wire_skip_name(resp, n, &o))
			return false;
		o += 4;
	}
	total = ancount() + (unsigned)(resp[8] << 8 | resp[9]) +
		(unsigned)(resp[10] << 8 | resp[11]);
	for (unsigned i = 0; i < total; i++) {
		if (!wire_skip_name(resp, n, &o) || o + 10 > n)
			return false;
		uint16_t type = wire_read_u16(resp + o);
		size_t rdl = wire_read_u16(resp + o + 8);
		if (i + 1 == total) {
			if (type != DNS_TYPE_TSIG || o + 10 + rdl != n)
				return false;
			const uint8_t *rd = resp + o + 10;
			size_t al = 13;   /* hmac-sha256. */
			*macsize = wire_read_u16(rd + al + 8);
			*error = wire_read_u16(rd + al + 10 + *macsize + 2);
			return true;
		}
		o += 10 + rdl;
	}
	return false;
}

static struct tsig_keyring *vec_ring(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();

	CU_ASSERT_FATAL(kr && tsig_keyring_add(kr, VEC_SHA256_KEYNAME,
					       TSIG_HMAC_SHA256,
					       vec_sha256_secret,
					       sizeof(vec_sha256_secret)) == 0);
	return kr;
}

static void test_tsig_signed(void)
{
	struct tsig_keyring *kr = vec_ring();
	unsigned err, mac;

	env_reset();
	for (int tcp = 0; tcp < 2; tcp++) {
		memset(&q, 0, sizeof(q));
		cfg.tsig = kr;
		q.msg = vec_sha256_request;
		q.len = sizeof(vec_sha256_request);
		q.resp = resp;
		q.resp_cap = tcp ? sizeof(resp) : 1232;
		q.tcp = tcp;
		q.client = (const struct sockaddr *)&src4;
		q.now = VEC_TIME;
		CU_ASSERT_EQUAL(query_process(&env, db, &q), QUERY_SEND);
		/* no zone for test.: REFUSED, and signed all the same */
		CU_ASSERT_EQUAL(rcode(), DNS_RCODE_REFUSED);
		CU_ASSERT_TRUE(reply_tsig(&err, &mac));
		CU_ASSERT_EQUAL(err, 0);
		CU_ASSERT_EQUAL(mac, 32);
		/* BADTIME: NOTAUTH, signed */
		q.now = VEC_TIME + 1000;
		CU_ASSERT_EQUAL(query_process(&env, db, &q), QUERY_SEND);
		CU_ASSERT_EQUAL(rcode(), DNS_RCODE_NOTAUTH);
		CU_ASSERT_TRUE(reply_tsig(&err, &mac));
		CU_ASSERT_EQUAL(err, DNS_TSIG_BADTIME);
		CU_ASSERT_EQUAL(mac, 32);
	}
	CU_ASSERT_EQUAL(st.c[STATS_TSIG_OK], 2);
	CU_ASSERT_EQUAL(st.c[STATS_TSIG_BADTIME], 2);
	/* no keys: BADKEY, unsigned */
	cfg.tsig = NULL;
	q.now = VEC_TIME;
	CU_ASSERT_EQUAL(query_process(&env, db, &q), QUERY_SEND);
	CU_ASSERT_EQUAL(rcode(), DNS_RCODE_NOTAUTH);
	CU_ASSERT_TRUE(reply_tsig(&err, &mac));
	CU_ASSERT_EQUAL(err, DNS_TSIG_BADKEY);
	CU_ASSERT_EQUAL(mac, 0);
	CU_ASSERT_EQUAL(st.c[STATS_TSIG_BADKEY], 1);
	tsig_keyring_free(kr);
}

/* RRL applies to TSIG replies: a flood of BADKEY (error class) from one
 * source is dropped past the rate, and a signed reply slipped by RRL is a
 * signed TC. */
static void test_tsig_rrl(void)
{
	struct tsig_keyring *kr = vec_ring();
	struct rrl_config rc;
	unsigned sent = 0, err, mac;

	env_reset();
	rrl_config_init(&rc);
	rc.responses_per_second = 2;
	rc.slip = 0;
	env.rrl = rrl_new(&rc, (const uint8_t *)"0123456789abcdef", NULL);
	for (int i = 0; i < 50; i++)
		sent += run_signed(NULL, 5000) == QUERY_SEND;
	CU_ASSERT(sent <= 3);
	CU_ASSERT_EQUAL(st.c[STATS_TSIG_BADKEY], 50);
	rrl_free(env.rrl);
	env_reset();
	rc.slip = 1;
	env.rrl = rrl_new(&rc, (const uint8_t *)"0123456789abcdef", NULL);
	bool slipped = false;
	for (int i = 0; i < 5; i++) {
		memset(&q, 0, sizeof(q));
		cfg.tsig = kr;
		q.msg = vec_sha256_request;
		q.len = sizeof(vec_sha256_request);
		q.resp = resp;
		q.resp_cap = 1232;
		q.client = (const struct sockaddr *)&src4;
		q.now = VEC_TIME;
		q.now_ms = 5000;
		CU_ASSERT_EQUAL(query_process(&env, db, &q), QUERY_SEND);
		CU_ASSERT_TRUE(reply_tsig(&err, &mac));
		CU_ASSERT_EQUAL(mac, 32);
		slipped |= tc();
	}
	CU_ASSERT_TRUE(slipped);
	rrl_free(env.rrl);
	cfg.tsig = NULL;
	tsig_keyring_free(kr);
}

/* A request signed with a configured key is trusted like an acl:
 * address for replication messages (SOA here): RRL and the per-source
 * limits do not drop it; the same query unsigned, or signed A, is
 * limited. */
static void test_tsig_trusted(void)
{
	struct tsig_keyring *kr = vec_ring();
	struct rrl_config rc;
	struct tsig_ctx c;
	unsigned sent;

	env_reset();
	cfg.tsig = kr;
	env.limits = limits(5, 0);
	rrl_config_init(&rc);
	rc.responses_per_second = 5;
	rc.slip = 0;
	env.rrl = rrl_new(&rc, (const uint8_t *)"0123456789abcdef", NULL);
	for (int k = 0; k < 3; k++) {
		/* 0: signed SOA, 1: unsigned SOA, 2: signed A */
		build(k == 2 ? DNS_TYPE_A : DNS_TYPE_SOA, 0, false, false,
		      k != 2);
		if (k != 1)
			CU_ASSERT_EQUAL_FATAL(tsig_sign_request(
				qb, &qn, sizeof(qb), tsig_keyring_key(kr, 0),
				1750000000u, &c), 0);
		sent = 0;
		for (int i = 0; i < 100; i++)
			sent += run(false, 20000 + (uint64_t)k * 10000) ==
				QUERY_SEND;
		if (k == 0) {
			CU_ASSERT_EQUAL(sent, 100);
			unsigned err, mac;
			CU_ASSERT_TRUE(reply_tsig(&err, &mac));
			CU_ASSERT_EQUAL(mac, 32);
			CU_ASSERT_EQUAL(ancount(), 1);
		} else {
			CU_ASSERT(sent <= 6);
		}
	}
	CU_ASSERT_EQUAL(st.c[STATS_TSIG_OK], 200);
	rrl_free(env.rrl);
	limits_free(env.limits);
	cfg.tsig = NULL;
	tsig_keyring_free(kr);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "parse: garbage dropped", test_parse_drop },
		{ "admission: over the limit, challenged", test_limit_challenge },
		{ "admission: slip 0 drops and notes the prefix", test_limit_slip_zero },
		{ "admission: slip 2 after the kernel's share", test_limit_thinned },
		{ "admission: slip 1 lists nothing", test_limit_slip_one_lists_nothing },
		{ "admission: cookies required", test_cookie_required },
		{ "admission: trusted replication sources", test_trusted },
		{ "admission: this host exempt (exempt-local)", test_local },
		{ "policy: RRL slip in place", test_rrl_slip },
		{ "dispatch: opcodes and transfers", test_dispatch },
		{ "tsig: signed whatever the rcode, BADTIME, BADKEY", test_tsig_signed },
		{ "tsig: RRL limits TSIG replies, slips signed", test_tsig_rrl },
		{ "tsig: signed replication messages trusted", test_tsig_trusted },
	};

	return unit_run("query", suite_init, suite_clean, tests,
			UNIT_COUNT(tests));
}
