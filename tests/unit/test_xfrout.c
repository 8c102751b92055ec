/* test_xfrout.c -- unit tests of AXFR out (server/xfrout.c) and the zone
 * walk it reads (zones/zone_walk.c), without sockets.
 *
 * The policy: a zone's acl entries with action transfer allow their
 * addresses and nobody else, a zone without acl nobody, transfers-max
 * slots. The messages: every record of a zone file exactly once with the
 * SOA first and last (compared as sorted text against ldns reading the
 * same file), every message within XFROUT_MSG_MAX with the query's ID,
 * QR, AA and the question, an RRset larger than a message split across
 * messages, a record that fits no message ending the transfer with
 * SERVFAIL, and the held version outliving the snapshot that held it.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "common/cidr.h"
#include "common/dns.h"
#include "server/answer.h"
#include "server/config.h"
#include "server/xfrout.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone_builder.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"
#include "unit.h"

static struct config cfg;
static unsigned running;

/* Waits for the call_rcu callbacks queued so far (the holds' references
 * dropped), as test_zones does: this thread is a registered reader, so it
 * goes offline meanwhile. */
static void rcu_settle(void)
{
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
}
static struct answer_config acfg;
static struct sockaddr_in src_ok, src_bad;

/* cfg: acl "xfr" (transfer, 127.0.0.1/32), acl "ntf" (notify only,
 * 127.0.0.2), zones example.com (acl xfr), other.test (acl ntf) and
 * plain.test (none). */
static void cfg_setup(unsigned max)
{
	static char d1[] = "example.com", d2[] = "other.test.",
		    d3[] = "plain.test";
	static struct config_zone zones[3];

	memset(&cfg, 0, sizeof(cfg));
	cfg.transfers_max = max;
	strcpy(cfg.acls[0].id, "xfr");
	cfg.acls[0].first = 0;
	cfg.acls[0].count = 1;
	cfg.acls[0].actions = CONFIG_ACL_TRANSFER;
	strcpy(cfg.acls[1].id, "ntf");
	cfg.acls[1].first = 1;
	cfg.acls[1].count = 1;
	cfg.acls[1].actions = CONFIG_ACL_NOTIFY;
	cfg.acl_count = 2;
	CU_ASSERT_EQUAL(cidr_parse("127.0.0.1", &cfg.trusted[0]), 0);
	CU_ASSERT_EQUAL(cidr_parse("127.0.0.2", &cfg.trusted[1]), 0);
	cfg.trusted_count = 2;
	memset(zones, 0, sizeof(zones));
	zones[0].domain = d1;
	zones[0].acl = 1;
	zones[1].domain = d2;
	zones[1].acl = 2;
	zones[2].domain = d3;
	cfg.zones = zones;
	cfg.zone_count = 3;
	src_ok.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &src_ok.sin_addr);
	src_bad.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &src_bad.sin_addr);
}

static struct zone *load(const char *origin, const char *path)
{
	char err[256];
	struct zone *z = NULL;

	if (zload_file(origin, path, &z, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return NULL;
	}
	return z;
}

static void test_policy(void)
{
	struct zone *ex, *other, *plain;
	struct xfrout_policy *p;
	const struct sockaddr *ok = (const struct sockaddr *)&src_ok;
	const struct sockaddr *bad = (const struct sockaddr *)&src_bad;
	FILE *f;

	cfg_setup(2);
	ex = load("example.com.", TEST_DATA_DIR "/answer/example.com.zone");
	f = fopen("/tmp/test_xfrout_small.zone", "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n", f);
	fclose(f);
	other = load("other.test.", "/tmp/test_xfrout_small.zone");
	plain = load("plain.test.", "/tmp/test_xfrout_small.zone");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
	p = xfrout_policy_new(&cfg, &running);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);

	CU_ASSERT_EQUAL(xfrout_admit(p, ex, bad, NULL, NULL), XFROUT_DENY);
	CU_ASSERT_EQUAL(xfrout_admit(p, other, ok, NULL, NULL), XFROUT_DENY);
	CU_ASSERT_EQUAL(xfrout_admit(p, other, bad, NULL, NULL), XFROUT_DENY); /* notify */
	CU_ASSERT_EQUAL(xfrout_admit(p, plain, ok, NULL, NULL), XFROUT_DENY);
	CU_ASSERT_EQUAL(xfrout_admit(NULL, ex, ok, NULL, NULL), XFROUT_DENY);
	CU_ASSERT_EQUAL(xfrout_running(p), 0);
	CU_ASSERT_EQUAL(xfrout_admit(p, ex, ok, NULL, NULL), XFROUT_ALLOW);
	CU_ASSERT_EQUAL(xfrout_admit(p, ex, ok, NULL, NULL), XFROUT_ALLOW);
	CU_ASSERT_EQUAL(xfrout_admit(p, ex, ok, NULL, NULL), XFROUT_BUSY);
	CU_ASSERT_EQUAL(xfrout_running(p), 2);
	xfrout_slot_put(p);
	CU_ASSERT_EQUAL(xfrout_admit(p, ex, ok, NULL, NULL), XFROUT_ALLOW);
	xfrout_slot_put(p);
	xfrout_slot_put(p);
	CU_ASSERT_EQUAL(xfrout_running(p), 0);
	xfrout_policy_free(p);
	zone_free(ex);
	zone_free(other);
	zone_free(plain);
	unlink("/tmp/test_xfrout_small.zone");
}

/* An AXFR query for the name (wire) with ID 0xbeef, RD set. */
static size_t axfr_query(uint8_t *qb, const char *wire, size_t wl)
{
	memset(qb, 0, 12);
	qb[0] = 0xbe;
	qb[1] = 0xef;
	qb[2] = 0x01;
	qb[5] = 1;
	memcpy(qb + 12, wire, wl);
	qb[12 + wl] = 0;
	qb[13 + wl] = DNS_TYPE_AXFR;
	qb[14 + wl] = 0;
	qb[15 + wl] = 1;
	return 16 + wl;
}

/* The sorted text of every record of a list. */
static int rr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct texts {
	char **v;
	size_t n, cap;
};

static void texts_add(struct texts *t, const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
	}
	/* names lowercased: the zone stores owners in lowercase */
	for (char *c = s; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	t->v[t->n++] = s;
}

static void texts_free(struct texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
}

/* Runs a whole transfer of z; appends its records to got. Returns the
 * number of messages, the last message's rcode in *rcode. */
static unsigned transfer(struct xfrout_policy *p, const struct zone *z,
			 const char *wire, size_t wl, struct texts *got,
			 int *rcode, unsigned *soas, bool *soa_first,
			 bool *soa_last)
{
	static uint8_t qb[300], buf[XFROUT_FRAME_MAX];
	struct answer_request req;
	struct xfrout *x = calloc(1, xfrout_size());
	unsigned msgs = 0;
	size_t len;
	ldns_rr *last = NULL;

	memset(&req, 0, sizeof(req));
	req.query = qb;
	req.query_len = axfr_query(qb, wire, wl);
	req.resp = buf;
	req.resp_cap = sizeof(buf);
	req.tcp = true;
	CU_ASSERT_EQUAL_FATAL(answer_parse(&acfg, &req), WIRE_OK);
	req.zone = z;
	CU_ASSERT_EQUAL_FATAL(xfrout_admit(p, z,
			      (const struct sockaddr *)&src_ok, NULL, NULL), XFROUT_ALLOW);
	CU_ASSERT_EQUAL_FATAL(xfrout_start(x, p, &acfg, &req, XFROUT_WHOLE, 0, NULL), 0);
	*soas = 0;
	*soa_first = *soa_last = false;
	while ((len = xfrout_next(x, buf, sizeof(buf))) > 0 && msgs < 100000) {
		ldns_pkt *pkt = NULL;
		size_t ml = (size_t)buf[0] << 8 | buf[1];

		CU_ASSERT_EQUAL(ml + 2, len);
		CU_ASSERT(ml <= XFROUT_MSG_MAX);
		CU_ASSERT_EQUAL_FATAL(ldns_wire2pkt(&pkt, buf + 2, ml),
				      LDNS_STATUS_OK);
		CU_ASSERT_EQUAL(ldns_pkt_id(pkt), 0xbeef);
		CU_ASSERT(ldns_pkt_qr(pkt));
		CU_ASSERT(ldns_pkt_rd(pkt));
		CU_ASSERT_EQUAL(ldns_pkt_qdcount(pkt), 1);
		*rcode = ldns_pkt_get_rcode(pkt);
		/* past the target size only for one record alone */
		CU_ASSERT(ml <= XFROUT_MSG_TARGET || ldns_pkt_ancount(pkt) == 1);
		if (*rcode == 0)
			CU_ASSERT(ldns_pkt_aa(pkt));
		for (size_t i = 0; i < ldns_pkt_ancount(pkt); i++) {
			ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
				if (msgs == 0 && i == 0)
					*soa_first = true;
				(*soas)++;
			}
			if (*soas < 2 || ldns_rr_get_type(rr) !=
					 LDNS_RR_TYPE_SOA)
				texts_add(got, rr);
			ldns_rr_free(last);
			last = ldns_rr_clone(rr);
		}
		ldns_pkt_free(pkt);
		msgs++;
	}
	CU_ASSERT(xfrout_done(x));
	*soa_last = last && ldns_rr_get_type(last) == LDNS_RR_TYPE_SOA;
	ldns_rr_free(last);
	CU_ASSERT_EQUAL(xfrout_messages(x), msgs);
	xfrout_end(x);
	xfrout_end(x);   /* idempotent */
	CU_ASSERT_EQUAL(xfrout_running(p), 0);
	free(x);
	rcu_settle();   /* the hold's reference gone: the caller may free */
	return msgs;
}

/* The records of a zone file as ldns reads them. */
static void file_texts(const char *path, const char *origin,
		       struct texts *t)
{
	FILE *f = fopen(path, "r");
	ldns_zone *zn = NULL;
	ldns_rdf *o = ldns_dname_new_frm_str(origin);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(ldns_zone_new_frm_fp(&zn, f, o, 3600,
						   LDNS_RR_CLASS_IN),
			      LDNS_STATUS_OK);
	fclose(f);
	texts_add(t, ldns_zone_soa(zn));
	for (size_t i = 0; i < ldns_zone_rr_count(zn); i++)
		texts_add(t, ldns_rr_list_rr(ldns_zone_rrs(zn), i));
	ldns_zone_deep_free(zn);
	ldns_rdf_deep_free(o);
}

/* A zone of 3,000 names (A, and TXT on every third) plus one name with
 * 1,500 TXT records (about 45 KiB: a set no message holds). */
#define BIG_ZONE "/tmp/test_xfrout_big.zone"

static void write_big_zone(void)
{
	FILE *f = fopen(BIG_ZONE, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("$TTL 300\n@ SOA ns1 hostmaster 7 3600 900 604800 300\n"
	      "@ NS ns1\n@ NS ns2.Other.Test.\nns1 A 192.0.2.1\n"
	      "sub NS ns.sub\nns.sub A 192.0.2.53\n", f);
	for (int i = 0; i < 3000; i++) {
		fprintf(f, "h%d A 10.0.%d.%d\n", i, i >> 8, i & 255);
		if (i % 3 == 0)
			fprintf(f, "h%d MX 10 h%d\n", i, (i + 1) % 3000);
	}
	for (int i = 0; i < 1500; i++)
		fprintf(f, "big TXT \"record number %06d of the big set\"\n",
			i);
	fclose(f);
}

static void test_transfer_all(void)
{
	struct texts got = { 0 }, want = { 0 };
	struct xfrout_policy *p;
	struct zone *z;
	struct zdb *db;
	unsigned msgs, soas;
	bool first, last;
	int rcode = -1;

	cfg_setup(10);
	write_big_zone();
	z = load("example.com.", BIG_ZONE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	db = zdb_new();
	CU_ASSERT_EQUAL_FATAL(zdb_add(db, z), 0);
	p = xfrout_policy_new(&cfg, &running);
	msgs = transfer(p, z, "\x07" "example\x03" "com", 13, &got, &rcode,
			&soas, &first, &last);
	CU_ASSERT(msgs >= 5);          /* ~110 KiB in 16 KiB messages */
	CU_ASSERT_EQUAL(rcode, 0);
	CU_ASSERT_EQUAL(soas, 2);
	CU_ASSERT(first);
	CU_ASSERT(last);
	file_texts(BIG_ZONE, "example.com.", &want);
	CU_ASSERT_EQUAL(got.n, want.n);
	CU_ASSERT_EQUAL(got.n, zone_record_count(z));
	qsort(got.v, got.n, sizeof(*got.v), rr_cmp);
	qsort(want.v, want.n, sizeof(*want.v), rr_cmp);
	for (size_t i = 0; i < got.n && i < want.n; i++)
		if (strcmp(got.v[i], want.v[i]) != 0) {
			CU_FAIL("record differs");
			fprintf(stderr, "got  %swant %s", got.v[i], want.v[i]);
			break;
		}
	texts_free(&got);
	texts_free(&want);
	xfrout_policy_free(p);
	zdb_free(db);
	rcu_settle();
	unlink(BIG_ZONE);
}

/* The bytes of the name at msg[off] as written (labels, then a root or
 * a pointer); 0 when malformed. */
static size_t wire_name_len(const uint8_t *msg, size_t len, size_t off)
{
	size_t o = off;

	while (o < len) {
		if ((msg[o] & 0xc0) == 0xc0)
			return o + 2 <= len ? o + 2 - off : 0;
		if (msg[o] == 0)
			return o + 1 - off;
		o += 1 + (size_t)msg[o];
	}
	return 0;
}

/* A zone of 2,000 names with an A and an AAAA each: more owners than a
 * message's compression table remembers (RENDER_COMP_MAX). */
#define PAIRS_ZONE "/tmp/test_xfrout_pairs.zone"

/* Every set after a node's first in a message has a 2-byte owner (a
 * pointer to where the message spells the node), also once the
 * compression table is full: the owner is not looked up again (it was:
 * past 255 names the AAAA's owner was its first label and a pointer). */
static void test_owner_pointer(void)
{
	static uint8_t qb[300], buf[XFROUT_FRAME_MAX];
	struct answer_request req;
	struct xfrout *x = calloc(1, xfrout_size());
	struct xfrout_policy *p;
	struct zone *z;
	struct zdb *db;
	size_t len, same = 0, past_table = 0, records = 0;
	FILE *f = fopen(PAIRS_ZONE, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("$TTL 300\n@ SOA ns1 hostmaster 7 3600 900 604800 300\n"
	      "@ NS ns1\nns1 A 192.0.2.1\n", f);
	for (int i = 0; i < 2000; i++)
		fprintf(f, "host%d A 10.0.%d.%d\nhost%d AAAA 2001:db8::%x\n",
			i, i >> 8, i & 255, i, i);
	fclose(f);
	cfg_setup(10);
	z = load("example.com.", PAIRS_ZONE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	db = zdb_new();
	CU_ASSERT_EQUAL_FATAL(zdb_add(db, z), 0);
	p = xfrout_policy_new(&cfg, &running);
	memset(&req, 0, sizeof(req));
	req.query = qb;
	req.query_len = axfr_query(qb, "\x07" "example\x03" "com", 13);
	req.resp = buf;
	req.resp_cap = sizeof(buf);
	req.tcp = true;
	CU_ASSERT_EQUAL_FATAL(answer_parse(&acfg, &req), WIRE_OK);
	req.zone = z;
	CU_ASSERT_EQUAL_FATAL(xfrout_admit(p, z,
			      (const struct sockaddr *)&src_ok, NULL, NULL), XFROUT_ALLOW);
	CU_ASSERT_EQUAL_FATAL(xfrout_start(x, p, &acfg, &req, XFROUT_WHOLE, 0,
					   NULL), 0);
	while ((len = xfrout_next(x, buf, sizeof(buf))) > 0 && records < 10000) {
		const uint8_t *msg = buf + 2;
		size_t ml = len - 2, o = 12, an;
		ldns_pkt *pkt = NULL;
		ldns_rdf *prev = NULL;

		CU_ASSERT_EQUAL_FATAL(ldns_wire2pkt(&pkt, msg, ml),
				      LDNS_STATUS_OK);
		an = ldns_pkt_ancount(pkt);
		o += wire_name_len(msg, ml, o) + 4;     /* the question */
		for (size_t i = 0; i < an && o < ml; i++) {
			ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), i);
			size_t ol = wire_name_len(msg, ml, o);

			CU_ASSERT_FATAL(ol > 0 && o + ol + 10 <= ml);
			if (prev && ldns_dname_compare(prev,
					ldns_rr_owner(rr)) == 0 &&
			    ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA) {
				CU_ASSERT_EQUAL(ol, 2);
				same++;
				past_table += i > 300;
			}
			prev = ldns_rr_owner(rr);
			o += ol + 10 + ((size_t)msg[o + ol + 8] << 8 |
					msg[o + ol + 9]);
			records++;
		}
		ldns_pkt_free(pkt);
	}
	CU_ASSERT(xfrout_done(x));
	CU_ASSERT_EQUAL(records, 2 + 1 + 1 + 4000);
	CU_ASSERT(same >= 1900);   /* the pairs a message does not split */
	CU_ASSERT(past_table > 0); /* some past the table's 255 names */
	xfrout_end(x);
	free(x);
	rcu_settle();
	xfrout_policy_free(p);
	zdb_free(db);
	rcu_settle();
	unlink(PAIRS_ZONE);
}

/* The held version outlives the snapshot that held it (the hold is the
 * last reference: freed through call_rcu after the end, ASan sees any
 * read after that). */
static void test_hold_outlives_snapshot(void)
{
	static uint8_t qb[300], buf[XFROUT_FRAME_MAX];
	struct answer_request req;
	struct xfrout_policy *p;
	struct xfrout *x = calloc(1, xfrout_size());
	struct zone *z;
	struct zdb *db;
	unsigned msgs = 0;

	cfg_setup(10);
	write_big_zone();
	z = load("example.com.", BIG_ZONE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	db = zdb_new();
	CU_ASSERT_EQUAL_FATAL(zdb_add(db, z), 0);
	p = xfrout_policy_new(&cfg, &running);
	memset(&req, 0, sizeof(req));
	req.query = qb;
	req.query_len = axfr_query(qb, "\x07" "example\x03" "com", 13);
	req.resp = buf;
	req.resp_cap = sizeof(buf);
	req.tcp = true;
	CU_ASSERT_EQUAL_FATAL(answer_parse(&acfg, &req), WIRE_OK);
	req.zone = z;
	CU_ASSERT_EQUAL(xfrout_admit(p, z, (const struct sockaddr *)&src_ok, NULL, NULL),
			XFROUT_ALLOW);
	CU_ASSERT_EQUAL_FATAL(xfrout_start(x, p, &acfg, &req, XFROUT_WHOLE, 0, NULL), 0);
	CU_ASSERT(xfrout_next(x, buf, sizeof(buf)) > 0);
	zdb_free(db);          /* the snapshot's reference goes */
	rcu_settle();
	while (xfrout_next(x, buf, sizeof(buf)) > 0 && msgs < 1000)
		msgs++;
	CU_ASSERT(xfrout_done(x));
	CU_ASSERT(msgs >= 4);
	xfrout_end(x);
	rcu_settle();         /* the hold's callback frees the zone */
	free(x);
	xfrout_policy_free(p);
	unlink(BIG_ZONE);
}

/* example.com with SOA, NS, A and one record of rdlen bytes of RDATA
 * (built directly: ldns reads no line that long). */
static struct zone *huge_zone(unsigned rdlen)
{
	static const uint8_t apex[] = "\x07" "example\x03" "com";
	static const uint8_t ns1[] = "\x03" "ns1\x07" "example\x03" "com";
	static const uint8_t huge[] = "\x04" "huge\x07" "example\x03" "com";
	static const uint8_t soa[] = "\x03" "ns1\x07" "example\x03" "com"
		"\x00\x02" "hm\x07" "example\x03" "com\x00"
		"\0\0\0\7\0\0\x0e\x10\0\0\x03\x84\0\x09\x3a\x80\0\0\x01\x2c";
	static uint8_t data[65535];
	struct zone_builder *b = zone_builder_new(apex);
	struct zone *z = NULL;
	char err[256];

	memset(data, 0xab, sizeof(data));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(zone_builder_add(b, apex, DNS_TYPE_SOA, 1, 300, soa,
					 sizeof(soa) - 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(zone_builder_add(b, apex, DNS_TYPE_NS, 1, 300, ns1,
					 sizeof(ns1), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(zone_builder_add(b, ns1, DNS_TYPE_A, 1, 300,
					 (const uint8_t *)"\xc0\0\2\1", 4,
					 err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(zone_builder_add(b, huge, 65000, 1, 300, data,
					 (uint16_t)rdlen, err, sizeof(err)), 0);
	if (zone_builder_finish(b, &z, err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	return z;
}

/* A record larger than XFROUT_MSG_TARGET goes alone in a larger message. */
static void test_record_large(void)
{
	struct texts got = { 0 };
	struct xfrout_policy *p;
	struct zone *z;
	unsigned soas;
	bool first, last;
	int rcode = -1;

	cfg_setup(10);
	z = huge_zone(40000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	p = xfrout_policy_new(&cfg, &running);
	CU_ASSERT_EQUAL(transfer(p, z, "\x07" "example\x03" "com", 13, &got,
				 &rcode, &soas, &first, &last), 3);
	CU_ASSERT_EQUAL(rcode, 0);
	CU_ASSERT_EQUAL(soas, 2);
	CU_ASSERT(first && last);
	CU_ASSERT_EQUAL(got.n, zone_record_count(z));
	texts_free(&got);
	xfrout_policy_free(p);
	zone_free(z);
	unlink(BIG_ZONE);
}

/* A record no message can hold (65,535 bytes of RDATA) ends the transfer
 * with SERVFAIL. */
static void test_record_too_large(void)
{
	struct texts got = { 0 };
	struct xfrout_policy *p;
	struct zone *z;
	unsigned soas;
	bool first, last;
	int rcode = -1;

	cfg_setup(10);
	z = huge_zone(65535);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	p = xfrout_policy_new(&cfg, &running);
	transfer(p, z, "\x07" "example\x03" "com", 13, &got, &rcode, &soas,
		 &first, &last);
	CU_ASSERT_EQUAL(rcode, LDNS_RCODE_SERVFAIL);
	CU_ASSERT(first);
	CU_ASSERT(soas < 2);
	texts_free(&got);
	xfrout_policy_free(p);
	zone_free(z);
	unlink(BIG_ZONE);
}

/* The walk visits every node with records once, resumes after a budget
 * runs out, and ends. */
static void test_walk(void)
{
	struct zone *z;
	struct zone_walk w;
	const struct znode_data *d;
	size_t recs = 0, steps = 0;

	write_big_zone();
	z = load("example.com.", BIG_ZONE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	zone_walk_init(&w, z);
	while (!zone_walk_done(&w) && steps < 10000000) {
		const struct zone_node *n = zone_walk_next(&w, &d, 3);

		steps++;
		if (!n) {
			CU_ASSERT_PTR_NULL(d);
			continue;
		}
		for (unsigned i = 0; i < d->rrset_count; i++)
			recs += d->rrsets[i].rr_count;
	}
	CU_ASSERT(zone_walk_done(&w));
	CU_ASSERT_PTR_NULL(zone_walk_next(&w, &d, 100));
	CU_ASSERT_EQUAL(recs, zone_record_count(z));
	zone_free(z);
	unlink(BIG_ZONE);
}

/* The SOA serial of an IXFR query: compressed names followed, every
 * truncation and a missing or misplaced SOA refused (ASan sees any read
 * past the message). */
static void test_ixfr_serial(void)
{
	static const uint8_t good[] = {
		0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 251, 0, 1,                           /* IXFR IN */
		0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0,       /* owner, SOA IN, TTL */
		0, 27,                                  /* RDLENGTH */
		0xc0, 12,                               /* MNAME */
		2, 'h', 'm', 0xc0, 12,                  /* RNAME */
		0x78, 0x9a, 0xbc, 0xde,                 /* serial */
		0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
	};
	uint8_t m[sizeof(good)];
	uint32_t serial = 0;

	CU_ASSERT_EQUAL(xfrout_ixfr_serial(good, sizeof(good), 29, &serial), 0);
	CU_ASSERT_EQUAL(serial, 0x789abcde);
	for (size_t n = 0; n < sizeof(good); n++) {
		uint8_t *t = malloc(n ? n : 1);   /* exact size for ASan */

		memcpy(t, good, n);
		CU_ASSERT_EQUAL(xfrout_ixfr_serial(t, n, 29, &serial), -1);
		free(t);
	}
	memcpy(m, good, sizeof(m));
	m[9] = 0;                                /* no authority */
	CU_ASSERT_EQUAL(xfrout_ixfr_serial(m, sizeof(m), 29, &serial), -1);
	memcpy(m, good, sizeof(m));
	m[7] = 1;                                /* an answer record */
	CU_ASSERT_EQUAL(xfrout_ixfr_serial(m, sizeof(m), 29, &serial), -1);
	memcpy(m, good, sizeof(m));
	m[32] = 2;                               /* NS, not SOA */
	CU_ASSERT_EQUAL(xfrout_ixfr_serial(m, sizeof(m), 29, &serial), -1);
	memcpy(m, good, sizeof(m));
	m[40] = 20;                              /* RDLENGTH short of it */
	CU_ASSERT_EQUAL(xfrout_ixfr_serial(m, sizeof(m), 29, &serial), -1);
	memcpy(m, good, sizeof(m));
	m[42] = 41;                              /* MNAME points at itself */
	CU_ASSERT_EQUAL(xfrout_ixfr_serial(m, sizeof(m), 29, &serial), -1);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "policy: acl, actions, transfers-max", test_policy },
		{ "walk: every node once, resumable", test_walk },
		{ "transfer: every record, SOA first and last",
		  test_transfer_all },
		{ "transfer: a node's later sets point at its owner",
		  test_owner_pointer },
		{ "transfer: the hold outlives the snapshot",
		  test_hold_outlives_snapshot },
		{ "transfer: a record above the target size alone",
		  test_record_large },
		{ "transfer: a record too large ends in SERVFAIL",
		  test_record_too_large },
		{ "ixfr: the client's serial, malformed queries",
		  test_ixfr_serial },
	};
	int rc;

	acfg.udp_max = 1232;
	rcu_register_thread();
	rc = unit_run("xfrout", NULL, NULL, tests, UNIT_COUNT(tests));
	rcu_settle();
	rcu_unregister_thread();
	return rc;
}
