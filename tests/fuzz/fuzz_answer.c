/* fuzz_answer.c -- fuzz target: arbitrary bytes as a query to the engine.
 *
 * Loads tests/data/fuzz.zone once and builds a cookie context with a fixed
 * secret, then feeds each input to the query pipeline (query_process, with
 * no rate limiters) over UDP (512-byte and 1232-byte buffers) and TCP. The first input byte picks the policy, the
 * rest is the query:
 *   bit 0     cookies: require: on (else off)
 *   bit 1     client is ::1 (else 127.0.0.1)
 *   bit 2     no cookie context (cookies off in the config)
 *   bit 3     follow-up: when the query carries a 24-byte COOKIE option and
 *             the reply a server cookie, send the query again with that
 *             cookie (so the COOKIE_VALID paths are reached, which random
 *             bytes never would: the cookie is a SipHash)
 *   bits 4-6  the follow-up's clock offset (fresh, refresh, expired, future)
 *   bit 7     no client address (cookies not processed)
 * Every reply the pipeline sends must fit the buffer and parse with ldns;
 * it is also rewritten as the rate limiters would (BADCOOKIE for a client
 * cookie without a valid server cookie, else the TC slip) and checked.
 * Built as a libFuzzer target with -Dfuzz=true (clang), and always as a
 * plain replay driver (replay.c) that runs the seed corpus under `meson
 * test`, so CI replays the corpus in the sanitizer build.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "ratelimit/cookie.h"
#include "server/answer.h"
#include "server/query.h"
#include "server/stats.h"
#include "zones/zdb.h"
#include "zones/zload.h"

#ifndef FUZZ_ZONE_FILE
#define FUZZ_ZONE_FILE "tests/data/fuzz.zone"
#endif

#define FUZZ_NOW 1750000000u

enum {
	FUZZ_REQUIRE = 1 << 0,
	FUZZ_V6 = 1 << 1,
	FUZZ_NOCTX = 1 << 2,
	FUZZ_FOLLOW = 1 << 3,
	FUZZ_NOCLIENT = 1 << 7,
};

static struct zdb *fuzz_db;
static struct cookie_ctx *fuzz_cookies;
static struct sockaddr_in fuzz_sin;
static struct sockaddr_in6 fuzz_sin6;
static struct answer_config fuzz_cfg = {
	.udp_max = 1232,
	.nsid = (const uint8_t *)"fuzz",
	.nsid_len = 4,
	.id_server = "fuzz",
	.version = "levee-fuzz",
	.tcp_keepalive = 100,
};

/* Clock offsets of the follow-up query: same second, past the refresh
 * age, past the maximum age, just inside and past the future window. */
static const int32_t fuzz_deltas[8] = {
	0, 1, COOKIE_REFRESH_AGE + 1, COOKIE_MAX_AGE, COOKIE_MAX_AGE + 1,
	-COOKIE_MAX_FUTURE, -COOKIE_MAX_FUTURE - 1, -100000,
};

static void fuzz_init(void)
{
	static const uint8_t secret[COOKIE_SECRET_LEN] = {
		0x6c, 0x65, 0x76, 0x65, 0x65, 0x2d, 0x66, 0x75,
		0x7a, 0x7a, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x74,
	};
	struct cookie_params cp = { .secret = secret };
	char err[512];
	struct zone *z = NULL;

	fuzz_db = zdb_new();
	if (!fuzz_db)
		abort();
	if (zload_file("example.com", FUZZ_ZONE_FILE, &z, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	if (zdb_add(fuzz_db, z) != 0)
		abort();
	fuzz_cookies = cookie_ctx_new(&cp);
	if (!fuzz_cookies)
		abort();
	fuzz_sin.sin_family = AF_INET;
	fuzz_sin.sin_port = htons(5353);
	fuzz_sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fuzz_sin6.sin6_family = AF_INET6;
	fuzz_sin6.sin6_port = htons(5353);
	fuzz_sin6.sin6_addr = in6addr_loopback;
}

/* A sent reply must fit its buffer and be a DNS message ldns can parse. */
static void fuzz_check_reply(const struct answer_request *req, size_t cap)
{
	ldns_pkt *pkt = NULL;

	if (req->resp_len < 12 || req->resp_len > cap)
		abort();
	if (req->opt_off && (req->opt_off < 12 || req->opt_off + 11 > req->resp_len))
		abort();
	if (ldns_wire2pkt(&pkt, req->resp, req->resp_len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(pkt);
}

/* Finds the server cookie in the reply's OPT: the 16 bytes after the client
 * cookie of the COOKIE option. NULL when there is none. */
static const uint8_t *fuzz_reply_cookie(const struct answer_request *req)
{
	const uint8_t *p, *end;

	if (!req->opt_off || req->opt_off + 11 > req->resp_len)
		return NULL;
	p = req->resp + req->opt_off + 11;
	end = req->resp + req->resp_len;
	while (end - p >= 4) {
		unsigned code = (unsigned)p[0] << 8 | p[1];
		unsigned len = (unsigned)p[2] << 8 | p[3];

		if ((size_t)(end - p - 4) < len)
			return NULL;
		if (code == COOKIE_OPT_CODE && len == COOKIE_REPLY_LEN)
			return p + 4 + COOKIE_CLIENT_LEN;
		p += 4 + len;
	}
	return NULL;
}

/* Finds a 24-byte COOKIE option in query q whose client cookie is cc, by
 * its bytes (no parse: the query may be garbage). Offset of its server
 * cookie, or 0. */
static size_t fuzz_query_cookie(const uint8_t *q, size_t len, const uint8_t *cc)
{
	static const uint8_t hdr[4] = { 0, COOKIE_OPT_CODE, 0, COOKIE_REPLY_LEN };

	for (size_t i = 12; i + 4 + COOKIE_REPLY_LEN <= len; i++)
		if (!memcmp(q + i, hdr, 4) &&
		    !memcmp(q + i + 4, cc, COOKIE_CLIENT_LEN))
			return i + 4 + COOKIE_CLIENT_LEN;
	return 0;
}

/* One query on one transport through the pipeline; returns its verdict. */
static int fuzz_one(const struct answer_config *cfg, const uint8_t *q,
		    size_t len, const struct sockaddr *client, uint32_t now,
		    uint8_t *resp, size_t cap, struct query *qq)
{
	static struct stats stats;
	struct query_env env = { .acfg = cfg, .stats = &stats };
	int st;

	memset(qq, 0, sizeof(*qq));
	qq->msg = q;
	qq->len = len;
	qq->resp = resp;
	qq->resp_cap = cap;
	qq->tcp = cap > 1232;
	qq->client = client;
	qq->now = now;
	st = query_process(&env, fuzz_db, qq);
	if (st == QUERY_SEND)
		fuzz_check_reply(&qq->req, cap);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[65535];
	static uint8_t again[65535];
	static const size_t caps[] = { 512, 1232, sizeof(resp) };
	struct answer_config cfg;
	const struct sockaddr *client;
	uint8_t flags;

	if (!fuzz_db)
		fuzz_init();
	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	cfg = fuzz_cfg;
	cfg.cookies = flags & FUZZ_NOCTX ? NULL : fuzz_cookies;
	cfg.cookie_require = flags & FUZZ_REQUIRE ? COOKIE_REQUIRE_ON :
						    COOKIE_REQUIRE_OFF;
	if (flags & FUZZ_NOCLIENT)
		client = NULL;
	else if (flags & FUZZ_V6)
		client = (const struct sockaddr *)&fuzz_sin6;
	else
		client = (const struct sockaddr *)&fuzz_sin;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct query qq;
		struct answer_request *req = &qq.req;
		const uint8_t *sc;
		size_t at;
		uint32_t now;

		if (fuzz_one(&cfg, data, size, client, FUZZ_NOW, resp, caps[i],
			     &qq) != QUERY_SEND)
			continue;
		/* The rate limiters' rewrites of the same reply. */
		if ((req->cookie == COOKIE_CLIENT_ONLY ||
		     req->cookie == COOKIE_INVALID) && req->opt_off &&
		    req->q.edns.reply_cookie_len) {
			if (answer_badcookie(req) != 0)
				abort();
			fuzz_check_reply(req, caps[i]);
		} else if (req->resp_len > 12) {
			answer_slip(req);
			fuzz_check_reply(req, caps[i]);
		}
		if (!(flags & FUZZ_FOLLOW) || size > sizeof(again))
			continue;
		sc = fuzz_reply_cookie(req);
		if (!sc)
			continue;
		at = fuzz_query_cookie(data, size, sc - COOKIE_CLIENT_LEN);
		if (!at)
			continue;
		memcpy(again, data, size);
		memcpy(again + at, sc, COOKIE_SERVER_LEN);
		now = FUZZ_NOW + (uint32_t)fuzz_deltas[(flags >> 4) & 7];
		fuzz_one(&cfg, again, size, client, now, resp, caps[i], &qq);
	}
	return 0;
}
