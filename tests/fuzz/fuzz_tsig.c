/* fuzz_tsig.c -- fuzz target: TSIG records (server/tsig.c) and the
 * pipeline's hook (server/query.c).
 *
 * An input is one message. It is parsed (wire.c); when the parser found a
 * TSIG record, tsig_verify() runs against a keyring of the four keys of
 * tests/unit/tsig_vectors.h at their signing time (so the seed corpus, the
 * vectors' signed requests, reaches the HMAC and the OK, BADTIME and
 * BADTRUNC paths), and the reply record is appended to a copy of the
 * message in a buffer of exactly the room tsig_reply_size() asked for: it
 * must fit to the byte and parse with ldns. Then the message runs through
 * the whole pipeline (no zones: REFUSED, over UDP and over TCP) with that
 * keyring; every reply must fit its buffer and the client's size and
 * parse with ldns. Built as a libFuzzer target with -Dfuzz=true (clang)
 * and always as a replay driver of the seed corpus (fuzz_tsig.in,
 * written by make_tsig_corpus.py).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "common/dns.h"
#include "server/query.h"
#include "server/stats.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "../unit/tsig_vectors.h"

#define FUZZ_UDP_MAX 1232

static struct tsig_keyring *fuzz_kr;
static struct answer_config fuzz_cfg = { .udp_max = FUZZ_UDP_MAX };
static struct stats fuzz_stats;
static struct query_env fuzz_env;

static void fuzz_init(void)
{
	fuzz_kr = tsig_keyring_new();
	if (!fuzz_kr ||
	    tsig_keyring_add(fuzz_kr, VEC_SHA1_KEYNAME, TSIG_HMAC_SHA1,
			     vec_sha1_secret, sizeof(vec_sha1_secret)) ||
	    tsig_keyring_add(fuzz_kr, VEC_SHA256_KEYNAME, TSIG_HMAC_SHA256,
			     vec_sha256_secret, sizeof(vec_sha256_secret)) ||
	    tsig_keyring_add(fuzz_kr, VEC_SHA384_KEYNAME, TSIG_HMAC_SHA384,
			     vec_sha384_secret, sizeof(vec_sha384_secret)) ||
	    tsig_keyring_add(fuzz_kr, VEC_SHA512_KEYNAME, TSIG_HMAC_SHA512,
			     vec_sha512_secret, sizeof(vec_sha512_secret)))
		abort();
	fuzz_cfg.tsig = fuzz_kr;
	fuzz_env.acfg = &fuzz_cfg;
	fuzz_env.stats = &fuzz_stats;
}

static void fuzz_parses(const uint8_t *m, size_t len)
{
	ldns_pkt *pkt = NULL;

	if (ldns_wire2pkt(&pkt, m, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(pkt);
}

/* tsig.c alone: verify, then sign into the exact room. */
static void fuzz_module(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536 + 1024];
	struct wire_query wq;
	struct tsig_state st;

	if (wire_parse_query(data, size, &wq) == WIRE_DROP || !wq.tsig_off)
		return;
	int r = tsig_verify(data, size, wq.tsig_off, fuzz_kr, VEC_TIME, &st);
	if (r < TSIG_OK || r > TSIG_BADTRUNC || r != st.result)
		abort();
	size_t n = tsig_reply_size(&st);
	if (n > 2 * 255 + 26 || (st.key && n > 189))
		abort();
	if (n == 0)
		return;
	/* the request without its TSIG, as a reply (QR set) */
	size_t len = wq.tsig_off;
	memcpy(buf, data, len);
	buf[2] |= 0x80;
	wire_write_u16(buf + DNS_HDR_ARCOUNT,
		       (uint16_t)(wire_read_u16(buf + DNS_HDR_ARCOUNT) - 1));
	if (tsig_sign_reply(buf, &len, wq.tsig_off + n - 1, &st,
			    VEC_TIME) != -1 || len != wq.tsig_off)
		abort();
	if (tsig_sign_reply(buf, &len, wq.tsig_off + n, &st, VEC_TIME) != 0 ||
	    len != wq.tsig_off + n)
		abort();
	if (r == TSIG_OK)
		fuzz_parses(buf, len);   /* the rest was parsed by wire.c */
}

static void fuzz_pipeline(const uint8_t *data, size_t size, bool tcp)
{
	static uint8_t resp[65535];
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(0x7f000001) };
	struct query q;

	memset(&q, 0, sizeof(q));
	q.msg = data;
	q.len = size;
	q.resp = resp;
	q.resp_cap = tcp ? sizeof(resp) : FUZZ_UDP_MAX;
	q.tcp = tcp;
	q.client = (const struct sockaddr *)&sin;
	q.now = VEC_TIME;
	if (query_process(&fuzz_env, NULL, &q) != QUERY_SEND)
		return;
	if (q.resp_len < DNS_HDR_LEN || q.resp_len > q.resp_cap)
		abort();
	if (!tcp) {
		size_t lim = DNS_UDP_MIN;
		if (q.req.q.edns.present && q.req.q.edns.udp_size > lim)
			lim = q.req.q.edns.udp_size < FUZZ_UDP_MAX ?
			      q.req.q.edns.udp_size : FUZZ_UDP_MAX;
		if (q.resp_len > lim)
			abort();
	}
	fuzz_parses(resp, q.resp_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_kr)
		fuzz_init();
	if (size > 65535)
		return 0;
	fuzz_module(data, size);
	fuzz_pipeline(data, size, false);
	fuzz_pipeline(data, size, true);
	return 0;
}
