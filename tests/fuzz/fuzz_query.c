/* fuzz_query.c -- fuzz target: the whole query pipeline (server/query.c)
 * with every defence on, fed a sequence of messages.
 *
 * The environment is the armed server's: RRL (5 responses/s, slip 2),
 * per-source limits (5 queries/s, slip 2) and a zone NXDOMAIN budget,
 * the attack detector in auto mode with low thresholds (so it engages and
 * disengages), cookies on with `require: under-attack`, and trusted acl:
 * sources 127.0.0.0/29. The tables live for the whole fuzzing process, so
 * one input's state meets the next input's messages, as on a server.
 *
 * An input is a sequence of records:
 *   byte 0   bit 0 TCP, bit 1 IPv6 source, bits 2-3 the clock advance
 *            before this message (0, 1 ms, 400 ms, 3 s), bit 4 a second
 *            message is the first one with the reply's server cookie
 *   byte 1   the source's last octet (127.0.0.X or ::X)
 *   byte 2-3 the message length (big endian), then the message
 * Every reply the pipeline sends must fit its buffer and the client's size
 * (UDP: max(512, min(its EDNS size, udp_max)), 512 without EDNS), parse
 * with ldns, and a listing for the kernel map must be a valid prefix of
 * the source. Built as a libFuzzer target with -Dfuzz=true (clang) and
 * always as a replay driver of the seed corpus (fuzz_query.in).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "common/dns.h"
#include "ratelimit/attack.h"
#include "ratelimit/cookie.h"
#include "ratelimit/limits.h"
#include "ratelimit/rrl.h"
#include "server/query.h"
#include "server/stats.h"
#include "zones/zdb.h"
#include "zones/zload.h"

#ifndef FUZZ_ZONE_FILE
#define FUZZ_ZONE_FILE "tests/data/fuzz.zone"
#endif

#define FUZZ_NOW 1750000000u
#define FUZZ_UDP_MAX 1232
#define FUZZ_MAX_MSGS 64   /* records per input */

static struct zdb *fuzz_db;
static struct query_env fuzz_env;
static struct stats fuzz_stats;
static struct cidr fuzz_trusted;
static struct answer_config fuzz_cfg = {
	.udp_max = FUZZ_UDP_MAX,
	.nsid = (const uint8_t *)"fuzz",
	.nsid_len = 4,
	.id_server = "fuzz",
	.version = "levee-fuzz",
	.tcp_keepalive = 100,
	.cookie_require = COOKIE_REQUIRE_UNDER_ATTACK,
};
static uint64_t fuzz_ms = 1000000;

static void fuzz_init(void)
{
	static const uint8_t key[16] = "levee-fuzz-key!";
	struct cookie_params cp = { .secret = key };
	struct rrl_config rc;
	struct limits_config lc;
	struct attack_config ac;
	char err[512];
	struct zone *z = NULL;

	fuzz_db = zdb_new();
	if (!fuzz_db || zload_file("example.com", FUZZ_ZONE_FILE, &z, err,
				   sizeof(err)) != 0 || zdb_add(fuzz_db, z))
		abort();
	fuzz_cfg.cookies = cookie_ctx_new(&cp);
	rrl_config_init(&rc);
	rc.responses_per_second = 5;
	rc.max_table_size = 4096;
	limits_config_init(&lc);
	lc.queries_per_second = 5;
	lc.slip = 2;
	lc.zone_nxdomains_per_second = 3;
	lc.max_table_size = 4096;
	attack_config_init(&ac);
	ac.mode = ATTACK_AUTO;
	ac.queries_per_second = 20;
	ac.distinct_names_per_second = 8;
	ac.zone_nxdomain_percent = 50;
	ac.zone_nxdomain_min = 1;
	ac.hold_time = 1;
	if (cidr_parse("127.0.0.0/29", &fuzz_trusted) < 0)
		abort();
	fuzz_env.acfg = &fuzz_cfg;
	fuzz_env.rrl = rrl_new(&rc, key, NULL);
	fuzz_env.limits = limits_new(&lc, key);
	fuzz_env.attack = attack_new(&ac, NULL);
	fuzz_env.trusted = &fuzz_trusted;
	fuzz_env.trusted_count = 1;
	fuzz_env.stats = &fuzz_stats;
	if (!fuzz_cfg.cookies || !fuzz_env.rrl || !fuzz_env.limits ||
	    !fuzz_env.attack)
		abort();
}

/* The most a UDP reply to this query may hold. */
static size_t fuzz_udp_limit(const struct query *q)
{
	const struct edns_query *e = &q->req.q.edns;
	size_t lim = DNS_UDP_MIN;

	if (e->present && e->udp_size > DNS_UDP_MIN)
		lim = e->udp_size < FUZZ_UDP_MAX ? e->udp_size : FUZZ_UDP_MAX;
	return lim;
}

static void fuzz_check(const struct query *q)
{
	ldns_pkt *pkt = NULL;

	if (q->resp_len < DNS_HDR_LEN || q->resp_len > q->resp_cap)
		abort();
	if (!q->tcp && q->req.parse != WIRE_DROP && q->resp_len > fuzz_udp_limit(q))
		abort();
	if (ldns_wire2pkt(&pkt, q->resp, q->resp_len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(pkt);
}

/* The reply's server cookie (16 bytes after the client cookie), or NULL. */
static const uint8_t *fuzz_reply_cookie(const struct query *q)
{
	const uint8_t *p, *end;

	if (!q->req.opt_off || q->req.opt_off + DNS_OPT_FIXED_LEN > q->resp_len)
		return NULL;
	p = q->resp + q->req.opt_off + DNS_OPT_FIXED_LEN;
	end = q->resp + q->resp_len;
	while (end - p >= 4) {
		unsigned code = (unsigned)p[0] << 8 | p[1];
		unsigned len = (unsigned)p[2] << 8 | p[3];

		if ((size_t)(end - p - 4) < len)
			return NULL;
		if (code == DNS_OPT_COOKIE && len == COOKIE_REPLY_LEN)
			return p + 4 + COOKIE_CLIENT_LEN;
		p += 4 + len;
	}
	return NULL;
}

static void fuzz_one(const uint8_t *msg, size_t len, bool tcp,
		     const struct sockaddr *src, struct query *q,
		     uint8_t *resp)
{
	memset(q, 0, sizeof(*q));
	q->msg = msg;
	q->len = len;
	q->resp = resp;
	q->resp_cap = tcp ? 65535 : FUZZ_UDP_MAX;
	q->tcp = tcp;
	q->client = src;
	q->now = FUZZ_NOW + (uint32_t)(fuzz_ms / 1000);
	q->now_ms = fuzz_ms;
	if (query_process(&fuzz_env, fuzz_db, q) == QUERY_SEND)
		fuzz_check(q);
	if (q->list.bits && (q->list.family != src->sa_family ||
			     q->list.bits > (src->sa_family == AF_INET ? 32 : 128)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t advance[4] = { 0, 1, 400, 3000 };
	static uint8_t resp[65535];
	static uint8_t again[65535];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct query q;

	if (!fuzz_db)
		fuzz_init();
	for (unsigned n = 0; n < FUZZ_MAX_MSGS && size >= 4; n++) {
		uint8_t flags = data[0];
		size_t len = (size_t)data[2] << 8 | data[3];
		const struct sockaddr *src;
		const uint8_t *sc;

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		fuzz_ms += advance[(flags >> 2) & 3];
		if (flags & 2) {
			sin6.sin6_addr = in6addr_loopback;
			sin6.sin6_addr.s6_addr[15] = data[-3];
			src = (const struct sockaddr *)&sin6;
		} else {
			sin.sin_addr.s_addr = htonl(0x7f000000u | data[-3]);
			src = (const struct sockaddr *)&sin;
		}
		fuzz_one(data, len, flags & 1, src, &q, resp);
		/* Again with the server cookie the reply minted, where the
		 * message carried exactly a client cookie at its end. */
		if ((flags & 16) && (sc = fuzz_reply_cookie(&q)) && len >= 12 &&
		    len + 16 <= sizeof(again) && len > 12 + 12 &&
		    data[len - 12] == 0 && data[len - 11] == DNS_OPT_COOKIE &&
		    data[len - 9] == COOKIE_CLIENT_LEN) {
			memcpy(again, data, len);
			again[len - 9] = COOKIE_REPLY_LEN;
			memcpy(again + len, sc, COOKIE_SERVER_LEN);
			/* the OPT's RDLENGTH grows by 16 */
			if (len >= 14 + 12) {
				unsigned rd = (unsigned)again[len - 14] << 8 |
					      again[len - 13];
				rd += COOKIE_SERVER_LEN;
				again[len - 14] = (uint8_t)(rd >> 8);
				again[len - 13] = (uint8_t)rd;
			}
			fuzz_one(again, len + COOKIE_SERVER_LEN, flags & 1, src,
				 &q, resp);
		}
		data += len;
		size -= len;
	}
	return 0;
}
