/* answer_cost.c -- runs one query through the query pipeline (no rate
 * limiters) N times.
 *
 * A harness with no sockets for counting the engine's work per query
 * deterministically: run it under `valgrind --tool=callgrind
 * --toggle-collect=cost_run` (the N measured runs, after one that is not
 * counted: lazy symbol binding) and divide the instructions collected by N;
 * --toggle-collect=render_rrset counts the rendering alone.
 * test_bug_compression_quadratic.py does, for the cases of finding 1 of
 * issue 11. Not a test by itself: it checks nothing but that the engine
 * answers, and prints the reply's size, rcode and section counts once.
 *
 *   answer_cost [-t] [-x] [-k] [-e SIZE] [-n N] ZONE ORIGIN [ZONE ORIGIN...] -- QNAME QTYPE
 *
 * -t: over TCP (no size limit below 65535); -x: print the reply in hex
 * as well; -k: the query is tsig_vectors.h's request signed with
 * hmac-sha256 (www.Test. A with EDNS 1232: QNAME and QTYPE are ignored),
 * its key configured and the clock at its time: one verification and one
 * signature per query; -e SIZE: with an OPT record
 * offering SIZE (default: no EDNS); QTYPE is a number. QNAME is in
 * presentation form without escapes ("a.b.example.com.").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "common/name.h"
#include "server/answer.h"
#include "server/query.h"
#include "server/stats.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "tsig_vectors.h"
#include "zones/zdb.h"
#include "zones/zload.h"

static uint8_t query[DNS_HDR_LEN + NAME_MAX_LEN + 4 + DNS_OPT_FIXED_LEN +
		     sizeof(vec_sha256_request)];
static uint8_t resp[65535];

/* Writes the query; returns its length or 0 when qname does not fit. */
static size_t build_query(const char *qname, uint16_t qtype, unsigned edns)
{
	size_t o = DNS_HDR_LEN, lab;
	const char *s = qname;

	memset(query, 0, DNS_HDR_LEN);
	wire_write_u16(query + DNS_HDR_ID, 0x1234);
	wire_write_u16(query + DNS_HDR_QDCOUNT, 1);
	while (*s && strcmp(s, ".") != 0) {
		const char *dot = strchr(s, '.');
		lab = dot ? (size_t)(dot - s) : strlen(s);
		if (lab == 0 || lab > 63 || o + 1 + lab + 1 > DNS_HDR_LEN + NAME_MAX_LEN)
			return 0;
		query[o] = (uint8_t)lab;
		memcpy(query + o + 1, s, lab);
		o += 1 + lab;
		s += lab + (dot ? 1 : 0);
	}
	query[o++] = 0;
	wire_write_u16(query + o, qtype);
	wire_write_u16(query + o + 2, DNS_CLASS_IN);
	o += 4;
	if (edns) {
		wire_write_u16(query + DNS_HDR_ARCOUNT, 1);
		query[o] = 0;
		wire_write_u16(query + o + 1, DNS_TYPE_OPT);
		wire_write_u16(query + o + 3, (uint16_t)edns);
		memset(query + o + 5, 0, 6);
		o += DNS_OPT_FIXED_LEN;
	}
	return o;
}

/* The measured loop: callgrind --toggle-collect=cost_run counts it alone. */
__attribute__((noinline)) int cost_run(struct query_env *env,
				       const struct zdb *db, struct query *q,
				       size_t qlen, bool tcp, unsigned long n);
__attribute__((noinline)) int cost_run(struct query_env *env,
				       const struct zdb *db, struct query *q,
				       size_t qlen, bool tcp, unsigned long n)
{
	for (unsigned long k = 0; k < n; k++) {
		q->msg = query;
		q->len = qlen;
		q->resp = resp;
		q->resp_cap = sizeof(resp);
		q->tcp = tcp;
		if (query_process(env, db, q) != QUERY_SEND)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct answer_config cfg = { .udp_max = 1232, .tcp_keepalive = 300 };
	static struct stats stats;
	struct query_env env = { .acfg = &cfg, .stats = &stats };
	struct query q;
	struct answer_request *req = &q.req;
	struct zdb *db = zdb_new();
	unsigned long n = 1;
	unsigned edns = 0;
	bool tcp = false, hex = false, tsig = false;
	char err[256];
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-t") == 0)
			tcp = true;
		else if (strcmp(argv[i], "-x") == 0)
			hex = true;
		else if (strcmp(argv[i], "-k") == 0)
			tsig = true;
		else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc)
			edns = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else
			goto usage;
	}
	for (; i + 1 < argc && strcmp(argv[i], "--") != 0; i += 2) {
		struct zone *z;
		if (zload_file(argv[i + 1], argv[i], &z, err, sizeof(err)) != 0) {
			fprintf(stderr, "answer_cost: %s\n", err);
			return 2;
		}
		if (!db || zdb_add(db, z) != 0)
			return 2;
	}
	if (i + 3 != argc || strcmp(argv[i], "--") != 0)
		goto usage;
	size_t qlen = build_query(argv[i + 1], (uint16_t)atoi(argv[i + 2]), edns);
	if (qlen == 0) {
		fprintf(stderr, "answer_cost: bad qname %s\n", argv[i + 1]);
		return 2;
	}
	memset(&q, 0, sizeof(q));
	if (tsig) {
		struct tsig_keyring *kr = tsig_keyring_new();
		if (!kr || tsig_keyring_add(kr, VEC_SHA256_KEYNAME,
					    TSIG_HMAC_SHA256,
					    vec_sha256_secret,
					    sizeof(vec_sha256_secret)) != 0)
			return 2;
		cfg.tsig = kr;
		memcpy(query, vec_sha256_request, sizeof(vec_sha256_request));
		qlen = sizeof(vec_sha256_request);
		q.now = VEC_TIME;
	}
	/* once outside the count (lazy symbol binding, cold caches), then n
	 * times inside cost_run() */
	if (cost_run(&env, db, &q, qlen, tcp, 1) != 0 ||
	    cost_run(&env, db, &q, qlen, tcp, n) != 0) {
		fprintf(stderr, "answer_cost: dropped\n");
		return 1;
	}
	if (tsig && q.tsig.result != TSIG_OK) {
		fprintf(stderr, "answer_cost: TSIG verdict %u\n", q.tsig.result);
		return 1;
	}
	printf("len %zu rcode %u tc %d an %u ns %u ar %u\n", req->resp_len,
	       (unsigned)req->rcode, req->truncated ? 1 : 0,
	       (unsigned)wire_read_u16(resp + DNS_HDR_ANCOUNT),
	       (unsigned)wire_read_u16(resp + DNS_HDR_NSCOUNT),
	       (unsigned)wire_read_u16(resp + DNS_HDR_ARCOUNT));
	for (size_t k = 0; hex && k < req->resp_len; k++)
		printf("%02x%s", resp[k], k + 1 == req->resp_len ? "\n" : "");
	zdb_free(db);
	return 0;
usage:
	fprintf(stderr, "usage: answer_cost [-t] [-x] [-k] [-e SIZE] [-n N] ZONE ORIGIN"
		" [ZONE ORIGIN...] -- QNAME QTYPE\n");
	return 2;
}
