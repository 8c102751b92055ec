/* test_answer.c -- unit tests of the answer engine (server/answer.c).
 *
 * Queries are built with ldns (or by hand for malformed ones), run straight
 * through the query pipeline (query_run.h) against a snapshot holding the zones of
 * tests/data/answer/ (example.com and its child child.example.com), and the
 * replies parsed back with ldns and checked section by section: rcode,
 * flags, counts, every record as text (owner, TTL, rdata) and, where
 * compression matters, the exact reply size (the sizes knotd 3.2 gives for
 * the same zone). No sockets.
 */
#include <CUnit/Basic.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/answer.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "unit.h"
#include "query_run.h"

#define DATA TEST_DATA_DIR "/answer/"

static struct zdb *db, *db_root;
static const struct zone *zparent, *zchild;
static struct answer_config cfg;
static uint8_t resp[65535];
static struct query qry;
#define req qry.req
static int status;

static int suite_init(void)
{
	char err[256];
	struct zone *z;

	db = zdb_new();
	if (!db)
		return -1;
	if (zload_file("example.com.", DATA "example.com.zone", &z, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	zparent = z;
	if (zdb_add(db, z))
		return -1;
	if (zload_file("child.example.com.", DATA "child.example.com.zone", &z,
		       err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	zchild = z;
	if (zdb_add(db, z))
		return -1;
	if (zload_file("deep.test.", DATA "deep.test.zone", &z, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (zdb_add(db, z))
		return -1;
	db_root = zdb_new();
	if (!db_root)
		return -1;
	if (zload_file(".", DATA "root.zone", &z, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (zdb_add(db_root, z))
		return -1;
	cfg.udp_max = 1232;
	cfg.nsid = (const uint8_t *)"levee-nsid";
	cfg.nsid_len = 10;
	cfg.id_server = "levee-id";
	cfg.version = "1.2.3";
	cfg.tcp_keepalive = 300;
	return 0;
}

static int suite_clean(void)
{
	zdb_free(db);
	zdb_free(db_root);
	return 0;
}

/* Runs raw query bytes; returns the parsed reply (NULL when dropped). */
static ldns_pkt *run_raw(const uint8_t *q, size_t len, bool tcp)
{
	status = query_run(db, &cfg, &qry, q, len, resp, sizeof(resp), tcp,
			   NULL, 0);
	if (status != QUERY_SEND)
		return NULL;
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, resp, req.resp_len) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

struct qopt {
	uint16_t edns;    /* EDNS UDP size, 0: no OPT */
	bool do_bit;
	bool rd, cd;
	bool tcp;
	ldns_rr_class cls;
};

static uint8_t qbuf[512];
static size_t qlen;
static size_t qopt_at; /* offset of the query's OPT record */

/* Builds the wire form of a query into qbuf. */
static void build(const char *name, ldns_rr_type t, const struct qopt *o)
{
	ldns_rdf *dn = ldns_dname_new_frm_str(name);
	ldns_pkt *p = ldns_pkt_query_new(dn, t, o && o->cls ? o->cls : LDNS_RR_CLASS_IN, 0);
	uint8_t *w = NULL;
	size_t n = 0;

	ldns_pkt_set_id(p, 0x1234);
	if (o && o->rd)
		ldns_pkt_set_rd(p, true);
	if (o && o->cd)
		ldns_pkt_set_cd(p, true);
	if (o && o->edns) {
		ldns_pkt_set_edns_udp_size(p, o->edns);
		ldns_pkt_set_edns_do(p, o->do_bit);
	}
	CU_ASSERT_FATAL(ldns_pkt2wire(&w, p, &n) == LDNS_STATUS_OK);
	CU_ASSERT_FATAL(n <= sizeof(qbuf));
	memcpy(qbuf, w, n);
	qlen = n;
	qopt_at = n - 11;
	free(w);
	ldns_pkt_free(p);
}

static ldns_pkt *ask_o(const char *name, ldns_rr_type t, const struct qopt *o)
{
	build(name, t, o);
	return run_raw(qbuf, qlen, o && o->tcp);
}

static ldns_pkt *ask(const char *name, ldns_rr_type t)
{
	return ask_o(name, t, NULL);
}

/* Compares a section with expected records in text form
 * ("owner TTL CLASS TYPE RDATA", single spaces), in order. */
static void check_section(const ldns_pkt *p, ldns_pkt_section sec,
			  const char *const *want, int line)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, sec);
	size_t n = 0;
	while (want[n])
		n++;
	if (ldns_rr_list_rr_count(l) != n)
		fprintf(stderr, "line %d: section %d has %zu records, want %zu\n",
			line, (int)sec, ldns_rr_list_rr_count(l), n);
	CU_ASSERT_EQUAL(ldns_rr_list_rr_count(l), n);
	for (size_t i = 0; i < n && i < ldns_rr_list_rr_count(l); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
		for (char *c = s; *c; c++)
			if (*c == '\t')
				*c = ' ';
		size_t sl = strlen(s);
		while (sl && (s[sl - 1] == '\n' || s[sl - 1] == ' '))
			s[--sl] = 0;
		if (strcmp(s, want[i]) != 0)
			fprintf(stderr, "line %d: record %zu:\n  got  %s\n  want %s\n",
				line, i, s, want[i]);
		CU_ASSERT_STRING_EQUAL(s, want[i]);
		free(s);
	}
	ldns_rr_list_deep_free(l);
}

#define SEC(p, sec, ...) check_section(p, sec, (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)
#define NONE(p, sec) check_section(p, sec, (const char *const[]){ NULL }, __LINE__)
#define ANS(p, ...) SEC(p, LDNS_SECTION_ANSWER, __VA_ARGS__)
#define AUTH(p, ...) SEC(p, LDNS_SECTION_AUTHORITY, __VA_ARGS__)
#define ADD(p, ...) SEC(p, LDNS_SECTION_ADDITIONAL, __VA_ARGS__)

#define SOA_NEG "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"

static void check_head(ldns_pkt *p, ldns_pkt_rcode rc, bool aa, int line)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (ldns_pkt_get_rcode(p) != rc || ldns_pkt_aa(p) != aa)
		fprintf(stderr, "line %d: rcode %d aa %d, want %d %d\n", line,
			ldns_pkt_get_rcode(p), ldns_pkt_aa(p), rc, aa);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(p), rc);
	CU_ASSERT_EQUAL(ldns_pkt_aa(p), aa);
	CU_ASSERT_TRUE(ldns_pkt_qr(p));
	CU_ASSERT_FALSE(ldns_pkt_ra(p));
	CU_ASSERT_EQUAL(ldns_pkt_id(p), 0x1234);
	CU_ASSERT_EQUAL(ldns_pkt_qdcount(p), 1);
	/* the question echoed byte for byte (queries from build() end with
	 * the question or with an OPT record) */
	size_t qend = qlen - (qopt_at + 11 <= qlen && qbuf[11] ? qlen - qopt_at : 0);
	CU_ASSERT_TRUE(req.resp_len >= qend);
	CU_ASSERT_EQUAL(memcmp(resp + 12, qbuf + 12, qend - 12), 0);
}
#define HEAD(p, rc, aa) check_head(p, rc, aa, __LINE__)

static bool same_name(const uint8_t *a, const char *text)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	bool ok = a && ldns_rdf_size(d) == strlen((const char *)a) + 1 &&
		  memcmp(ldns_rdf_data(d), a, ldns_rdf_size(d)) == 0;
	ldns_rdf_deep_free(d);
	return ok;
}

/* --- positive, negative --- */

static void test_positive(void)
{
	ldns_pkt *p = ask("www.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "www.example.com. 3600 IN A 192.0.2.80");
	NONE(p, LDNS_SECTION_AUTHORITY);
	NONE(p, LDNS_SECTION_ADDITIONAL);
	CU_ASSERT_EQUAL(req.resp_len, 49); /* knotd: 49 bytes */
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_POSITIVE);
	CU_ASSERT_EQUAL(req.q.qtype, LDNS_RR_TYPE_A);
	CU_ASSERT_PTR_EQUAL(req.zone, zparent);
	CU_ASSERT_TRUE(same_name(req.account_name, "www.example.com."));
	CU_ASSERT_FALSE(ldns_pkt_edns(p));
	ldns_pkt_free(p);
}

static void test_case_echo(void)
{
	struct qopt o = { .rd = true, .cd = true };
	ldns_pkt *p = ask_o("WwW.ExAmPlE.CoM", LDNS_RR_TYPE_AAAA, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "WwW.ExAmPlE.CoM. 3600 IN AAAA 2001:db8::80");
	CU_ASSERT_TRUE(ldns_pkt_rd(p));
	CU_ASSERT_FALSE(ldns_pkt_cd(p)); /* cleared, as knotd and nsd do */
	/* question echoed byte for byte, answer owner points at it */
	CU_ASSERT_EQUAL(memcmp(resp + 12, qbuf + 12, qlen - 12), 0);
	CU_ASSERT_EQUAL(resp[qlen], 0xC0);
	CU_ASSERT_EQUAL(resp[qlen + 1], 12);
	ldns_pkt_free(p);
}

static void test_nodata_nxdomain(void)
{
	ldns_pkt *p = ask("www.example.com", LDNS_RR_TYPE_MX);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	NONE(p, LDNS_SECTION_ANSWER);
	AUTH(p, SOA_NEG);
	CU_ASSERT_EQUAL(req.resp_len, 84); /* knotd */
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_NODATA);
	CU_ASSERT_TRUE(same_name(req.account_name, "www.example.com."));
	ldns_pkt_free(p);

	p = ask("nothere.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	NONE(p, LDNS_SECTION_ANSWER);
	AUTH(p, SOA_NEG);
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_NXDOMAIN);
	CU_ASSERT_EQUAL(req.rcode, 3);
	CU_ASSERT_TRUE(same_name(req.account_name, "example.com."));
	ldns_pkt_free(p);

	/* empty non-terminals: NODATA, never NXDOMAIN */
	p = ask("b.c.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	NONE(p, LDNS_SECTION_ANSWER);
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);
	p = ask("c.example.com", LDNS_RR_TYPE_ANY);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);
	p = ask("a.b.c.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "a.b.c.example.com. 3600 IN A 192.0.2.3");
	ldns_pkt_free(p);
	p = ask("x.a.b.c.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	ldns_pkt_free(p);
}

/* --- wildcards (RFC 4592) --- */

static void test_wildcard(void)
{
	ldns_pkt *p = ask("Foo.wILD.example.com", LDNS_RR_TYPE_TXT);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "Foo.wILD.example.com. 3600 IN TXT \"wild\"");
	CU_ASSERT_TRUE(same_name(req.account_name, "*.wild.example.com."));
	CU_ASSERT_EQUAL(resp[qlen], 0xC0);
	CU_ASSERT_EQUAL(resp[qlen + 1], 12);
	ldns_pkt_free(p);

	p = ask("a.b.wild.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "a.b.wild.example.com. 600 IN A 192.0.2.99");
	ldns_pkt_free(p);

	/* wildcard NODATA */
	p = ask("b.wild.example.com", LDNS_RR_TYPE_MX);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	NONE(p, LDNS_SECTION_ANSWER);
	AUTH(p, SOA_NEG);
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_NODATA);
	ldns_pkt_free(p);

	/* an existing name blocks the wildcard below it */
	p = ask("a.exists.wild.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);
	p = ask("exists.wild.example.com", LDNS_RR_TYPE_TXT);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	NONE(p, LDNS_SECTION_ANSWER);
	ldns_pkt_free(p);
	/* the wildcard itself asked for */
	p = ask("*.wild.example.com", LDNS_RR_TYPE_TXT);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "*.wild.example.com. 3600 IN TXT \"wild\"");
	ldns_pkt_free(p);

	/* a wildcard CNAME is followed */
	p = ask("x.cnwild.example.com", LDNS_RR_TYPE_AAAA);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "x.cnwild.example.com. 3600 IN CNAME www.example.com.",
	    "www.example.com. 3600 IN AAAA 2001:db8::80");
	ldns_pkt_free(p);

	/* ANY at a wildcard: one set */
	p = ask("x.wild.example.com", LDNS_RR_TYPE_ANY);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "x.wild.example.com. 600 IN A 192.0.2.99");
	ldns_pkt_free(p);
}

/* --- CNAME and DNAME --- */

static void test_cname(void)
{
	ldns_pkt *p = ask("cname2.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "cname2.example.com. 3600 IN CNAME cname.example.com.",
	    "cname.example.com. 3600 IN CNAME www.example.com.",
	    "www.example.com. 3600 IN A 192.0.2.80");
	NONE(p, LDNS_SECTION_AUTHORITY);
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_POSITIVE);
	ldns_pkt_free(p);

	/* chain ending in NXDOMAIN: rcode of the last name */
	p = ask("cnx.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	ANS(p, "cnx.example.com. 3600 IN CNAME nothere.example.com.");
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);

	/* chain ending in NODATA */
	p = ask("cname.example.com", LDNS_RR_TYPE_MX);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "cname.example.com. 3600 IN CNAME www.example.com.");
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);

	/* out of zone: not followed (knotd) */
	p = ask("cnext.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "cnext.example.com. 3600 IN CNAME www.example.net.");
	NONE(p, LDNS_SECTION_AUTHORITY);
	ldns_pkt_free(p);

	/* CNAME asked for: not followed */
	p = ask("cname.example.com", LDNS_RR_TYPE_CNAME);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "cname.example.com. 3600 IN CNAME www.example.com.");
	ldns_pkt_free(p);

	/* loop: stops when the CNAME is in the answer already */
	p = ask("loop1.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "loop1.example.com. 3600 IN CNAME loop2.example.com.",
	    "loop2.example.com. 3600 IN CNAME loop1.example.com.");
	ldns_pkt_free(p);

	/* long chains: at most five CNAMEs (knotd) */
	p = ask("c1.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 5);
	NONE(p, LDNS_SECTION_AUTHORITY);
	ldns_pkt_free(p);
	p = ask("c7.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 5);
	ldns_pkt_free(p);
}

/* Finding 10 of issue 11: after the fifth CNAME the target's own data is
 * still answered (knotd, nsd and named do); a sixth CNAME is not put. */
static void test_bug_cname_chain_short(void)
{
	ldns_pkt *p = ask("e1.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "e1.example.com. 3600 IN CNAME e2.example.com.",
	    "e2.example.com. 3600 IN CNAME e3.example.com.",
	    "e3.example.com. 3600 IN CNAME e4.example.com.",
	    "e4.example.com. 3600 IN CNAME e5.example.com.",
	    "e5.example.com. 3600 IN CNAME e6.example.com.",
	    "e6.example.com. 3600 IN A 192.0.2.66");
	NONE(p, LDNS_SECTION_AUTHORITY);
	ldns_pkt_free(p);
	/* the fifth CNAME's target does not exist: NXDOMAIN, as knotd */
	p = ask("f1.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 5);
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);
	/* the fifth's target is a CNAME again: five, nothing more */
	p = ask("c1.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 5);
	NONE(p, LDNS_SECTION_AUTHORITY);
	ldns_pkt_free(p);
}

/* Finding 10 of issue 11: a DNAME is put once however many substitution
 * steps use it, and a chain that comes back to a name it visited stops
 * (RFC 2181 5: no duplicate RRs). */
static void test_bug_dname_repeated(void)
{
	ldns_pkt *p = ask("a.grow.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "grow.example.com. 3600 IN DNAME x.grow.example.com.",
	    "a.grow.example.com. 3600 IN CNAME a.x.grow.example.com.",
	    "a.x.grow.example.com. 3600 IN CNAME a.x.x.grow.example.com.",
	    "a.x.x.grow.example.com. 3600 IN CNAME a.x.x.x.grow.example.com.",
	    "a.x.x.x.grow.example.com. 3600 IN CNAME a.x.x.x.x.grow.example.com.",
	    "a.x.x.x.x.grow.example.com. 3600 IN CNAME a.x.x.x.x.x.grow.example.com.");
	ldns_pkt_free(p);
	/* two DNAMEs pointing at each other: each once, then the loop ends
	 * (nsd and named answer the same) */
	p = ask("a.dnr.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "dnr.example.com. 3600 IN DNAME dns.example.com.",
	    "a.dnr.example.com. 3600 IN CNAME a.dns.example.com.",
	    "dns.example.com. 3600 IN DNAME dnr.example.com.",
	    "a.dns.example.com. 3600 IN CNAME a.dnr.example.com.");
	ldns_pkt_free(p);
}

/* 28 labels x. under deep.test. (tests/data/answer/deep.test.zone) */
#define DEEP "x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.deep.test."

/* Found in review of issue 11's engine: a set's smallest rendering
 * (rrset min_len) counted each target name's labels past the last 16 as
 * literal, but a target whose node the reply spells is a pointer at any
 * depth, so replies that fit (knotd: 443 and 440 bytes) came back empty
 * with TC over UDP 512; and a referral's owner deeper than 16 labels was
 * spelled again (471 bytes) instead of pointing into the question. */
static void test_bug_min_len_deep_targets(void)
{
	char text[400];
	ldns_pkt *p = ask(DEEP, LDNS_RR_TYPE_MX);

	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 10);
	CU_ASSERT_EQUAL(ldns_pkt_arcount(p), 10);
	CU_ASSERT_EQUAL(req.resp_len, 443);
	CU_ASSERT_EQUAL_FATAL(ldns_pkt_ancount(p), 10);
	snprintf(text, sizeof(text), DEEP " 3600 IN MX 10 m19." DEEP);
	char *last = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(p), 9));
	for (char *t = last; *t; t++)
		if (*t == '\t' || *t == '\n')
			*t = *t == '\t' ? ' ' : 0;
	CU_ASSERT_STRING_EQUAL(last, text);
	free(last);
	ldns_pkt_free(p);

	p = ask("foo.dc." DEEP, LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(ldns_pkt_nscount(p), 10);
	CU_ASSERT_EQUAL(ldns_pkt_arcount(p), 10);
	CU_ASSERT_EQUAL(req.resp_len, 440);
	/* the owner is a pointer to dc.DEEP in the question */
	CU_ASSERT_EQUAL(resp[req.question_end], 0xC0);
	CU_ASSERT_EQUAL(resp[req.question_end + 1], 12 + 4);
	ldns_pkt_free(p);
}

/* Found in review of issue 11's engine: in a root zone the root node was
 * a hint at the question's zero byte, so "." in RDATA became a 2-byte
 * pointer and every name just below the root a label and a pointer
 * (69 bytes for ". MX"; knotd 65, which writes a root owner as its byte
 * too). */
static void test_bug_root_hint(void)
{
	struct zdb *keep = db;
	ldns_pkt *p;

	db = db_root;
	p = ask(".", LDNS_RR_TYPE_MX);
	db = keep;
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, ". 3600 IN MX 10 .", ". 3600 IN MX 20 nic.");
	ADD(p, "nic. 3600 IN A 192.0.2.1");
	CU_ASSERT_EQUAL(req.resp_len, 65);
	ldns_pkt_free(p);

	db = db_root;
	p = ask("foo.", LDNS_RR_TYPE_MX);
	db = keep;
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	AUTH(p, ". 300 IN SOA ns.nic. h.nic. 1 3600 600 86400 300");
	CU_ASSERT_EQUAL(req.resp_len, 64);
	ldns_pkt_free(p);
}

static void test_dname(void)
{
	ldns_pkt *p = ask("www.dname.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "dname.example.com. 3600 IN DNAME example.net.",
	    "www.dname.example.com. 3600 IN CNAME www.example.net.");
	ldns_pkt_free(p);

	p = ask("x.dn2.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "dn2.example.com. 1800 IN DNAME target.example.com.",
	    "x.dn2.example.com. 1800 IN CNAME x.target.example.com.",
	    "x.target.example.com. 3600 IN A 192.0.2.77");
	ldns_pkt_free(p);

	p = ask("y.dn2.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	ANS(p, "dn2.example.com. 1800 IN DNAME target.example.com.",
	    "y.dn2.example.com. 1800 IN CNAME y.target.example.com.");
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);

	/* CNAME asked for: the synthesised CNAME is not followed (knotd) */
	p = ask("y.dn2.example.com", LDNS_RR_TYPE_CNAME);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 2);
	NONE(p, LDNS_SECTION_AUTHORITY);
	ldns_pkt_free(p);

	/* the DNAME owner itself is not redirected */
	p = ask("dn2.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	NONE(p, LDNS_SECTION_ANSWER);
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);

	/* substitution longer than 255 octets: YXDOMAIN (RFC 6672 2.2) */
	char name[200];
	snprintf(name, sizeof(name), "%s.dnlong.example.com",
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	p = ask(name, LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_YXDOMAIN, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 1);
	CU_ASSERT_EQUAL(req.rcode, 6);
	ldns_pkt_free(p);
}

/* --- delegations and DS --- */

static void test_referral(void)
{
	ldns_pkt *p = ask("x.sub.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	NONE(p, LDNS_SECTION_ANSWER);
	AUTH(p, "sub.example.com. 3600 IN NS ns.sub.example.com.",
	     "sub.example.com. 3600 IN NS ns.example.net.");
	ADD(p, "ns.sub.example.com. 3600 IN A 192.0.2.100",
	    "ns.sub.example.com. 3600 IN AAAA 2001:db8::100");
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_REFERRAL);
	CU_ASSERT_TRUE(same_name(req.account_name, "sub.example.com."));
	ldns_pkt_free(p);

	p = ask("a.b.c.d.e.f.g.h.x.sub.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	CU_ASSERT_EQUAL(req.resp_len, 140); /* knotd */
	ldns_pkt_free(p);

	/* NS at the cut, and glue names: referral too */
	p = ask("sub.example.com", LDNS_RR_TYPE_NS);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	CU_ASSERT_EQUAL(ldns_pkt_nscount(p), 2);
	CU_ASSERT_EQUAL(ldns_pkt_arcount(p), 2);
	ldns_pkt_free(p);
	p = ask("ns.sub.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 0);
	CU_ASSERT_EQUAL(ldns_pkt_nscount(p), 2);
	ldns_pkt_free(p);
	p = ask("sub.example.com", LDNS_RR_TYPE_ANY);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	CU_ASSERT_EQUAL(ldns_pkt_nscount(p), 2);
	ldns_pkt_free(p);
}

static void test_ds(void)
{
	ldns_pkt *p = ask("sub.example.com", LDNS_RR_TYPE_DS);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "sub.example.com. 3600 IN DS 12345 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ldns_pkt_free(p);

	p = ask("nods.example.com", LDNS_RR_TYPE_DS);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	NONE(p, LDNS_SECTION_ANSWER);
	AUTH(p, SOA_NEG);
	ldns_pkt_free(p);

	/* the child is loaded too: DS still from the parent */
	p = ask("child.example.com", LDNS_RR_TYPE_DS);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "child.example.com. 3600 IN DS 54321 8 2 fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	CU_ASSERT_PTR_EQUAL(req.zone, zparent);
	ldns_pkt_free(p);

	/* other types at and below the child apex: the child answers */
	p = ask("www.child.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "www.child.example.com. 3600 IN A 192.0.2.180");
	CU_ASSERT_PTR_EQUAL(req.zone, zchild);
	ldns_pkt_free(p);
	p = ask("child.example.com", LDNS_RR_TYPE_NS);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "child.example.com. 3600 IN NS ns1.child.example.com.");
	ADD(p, "ns1.child.example.com. 3600 IN A 192.0.2.102");
	ldns_pkt_free(p);
	p = ask("nothere.child.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NXDOMAIN, true);
	AUTH(p, "child.example.com. 600 IN SOA ns1.child.example.com. hostmaster.child.example.com. 1 7200 3600 1209600 600");
	ldns_pkt_free(p);
}

/* --- additional section --- */

static void test_additional(void)
{
	struct qopt o = { .edns = 1232 };
	ldns_pkt *p = ask("example.com", LDNS_RR_TYPE_MX);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "example.com. 3600 IN MX 10 mail.example.com.",
	    "example.com. 3600 IN MX 20 mx.example.net.");
	ADD(p, "mail.example.com. 3600 IN A 192.0.2.25");
	ldns_pkt_free(p);

	p = ask_o("example.com", LDNS_RR_TYPE_NS, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "example.com. 3600 IN NS ns1.example.com.",
	    "example.com. 3600 IN NS ns2.example.net.");
	ADD(p, "ns1.example.com. 3600 IN A 192.0.2.53",
	    "ns1.example.com. 3600 IN AAAA 2001:db8::53");
	CU_ASSERT_EQUAL(req.resp_len, 131); /* knotd */
	ldns_pkt_free(p);

	p = ask_o("_sip._tcp.example.com", LDNS_RR_TYPE_SRV, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "_sip._tcp.example.com. 3600 IN SRV 10 5 5060 www.example.com.");
	ADD(p, "www.example.com. 3600 IN A 192.0.2.80",
	    "www.example.com. 3600 IN AAAA 2001:db8::80");
	CU_ASSERT_EQUAL(req.resp_len, 129); /* knotd */
	ldns_pkt_free(p);
}

/* --- compression --- */

static bool has_pointer_in(size_t from, size_t to)
{
	for (size_t i = from; i + 1 < to; i++)
		if ((resp[i] & 0xC0) == 0xC0)
			return true;
	return false;
}

static void test_compression(void)
{
	/* RP rdata is never compressed (RFC 3597 4); knotd: 96 bytes with OPT */
	struct qopt o = { .edns = 1232 };
	ldns_pkt *p = ask_o("rp.example.com", LDNS_RR_TYPE_RP, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "rp.example.com. 3600 IN RP hostmaster.example.com. www.example.com.");
	size_t rd = qlen - 11 + 2 + 10; /* after owner pointer and fixed part */
	size_t rdlen = (size_t)(resp[rd - 2] << 8 | resp[rd - 1]);
	CU_ASSERT_EQUAL(rdlen, 41);
	CU_ASSERT_FALSE(has_pointer_in(rd, rd + rdlen));
	ldns_pkt_free(p);

	/* SOA rdata is: both names point into the question */
	p = ask("example.com", LDNS_RR_TYPE_SOA);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300");
	CU_ASSERT_EQUAL(req.resp_len, 29 + 12 + 6 + 13 + 20);
	ldns_pkt_free(p);

	/* case-insensitive matching: NS target compressed against the
	 * upper-case question, echoing its case */
	p = ask("EXAMPLE.COM", LDNS_RR_TYPE_NS);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "EXAMPLE.COM. 3600 IN NS ns1.EXAMPLE.COM.",
	    "EXAMPLE.COM. 3600 IN NS ns2.example.net.");
	ldns_pkt_free(p);
}

/* --- ANY (RFC 8482) --- */

static void test_any(void)
{
	ldns_pkt *p = ask("example.com", LDNS_RR_TYPE_ANY);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "example.com. 3600 IN A 192.0.2.1");
	ldns_pkt_free(p);
	struct qopt o = { .tcp = true };
	p = ask_o("big.example.com", LDNS_RR_TYPE_ANY, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "big.example.com. 3600 IN A 192.0.2.200");
	ldns_pkt_free(p);
	p = ask("cname.example.com", LDNS_RR_TYPE_ANY);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "cname.example.com. 3600 IN CNAME www.example.com.");
	ldns_pkt_free(p);
}

/* --- truncation --- */

static void test_tc(void)
{
	ldns_pkt *p = ask("big.example.com", LDNS_RR_TYPE_TXT);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_TRUE(ldns_pkt_tc(p));
	CU_ASSERT_TRUE(req.truncated);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 0);
	CU_ASSERT_EQUAL(req.resp_len, 33); /* knotd: question only */
	ldns_pkt_free(p);

	struct qopt o = { .edns = 600 };
	p = ask_o("big.example.com", LDNS_RR_TYPE_TXT, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_TRUE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 0);
	CU_ASSERT_TRUE(ldns_pkt_edns(p));
	CU_ASSERT_EQUAL(req.resp_len, 44);
	ldns_pkt_free(p);

	o.edns = 1232;
	p = ask_o("big.example.com", LDNS_RR_TYPE_TXT, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 8);
	CU_ASSERT_EQUAL(req.resp_len, 964); /* knotd */
	ldns_pkt_free(p);

	/* client sizes above udp_max are clamped to it */
	cfg.udp_max = 700;
	o.edns = 4096;
	p = ask_o("big.example.com", LDNS_RR_TYPE_TXT, &o);
	CU_ASSERT_TRUE(p && ldns_pkt_tc(p));
	CU_ASSERT_TRUE(p && ldns_pkt_edns_udp_size(p) == 700);
	ldns_pkt_free(p);
	cfg.udp_max = 1232;

	struct qopt t = { .tcp = true };
	p = ask_o("big.example.com", LDNS_RR_TYPE_TXT, &t);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 8);
	ldns_pkt_free(p);

	/* referral whose in-domain glue does not fit: TC, NS and what glue
	 * fit kept (knotd: 504 bytes, 6 additional) */
	p = ask("x.many.example.com", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	CU_ASSERT_TRUE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(ldns_pkt_nscount(p), 12);
	CU_ASSERT_EQUAL(ldns_pkt_arcount(p), 6);
	CU_ASSERT_EQUAL(req.resp_len, 504);
	ldns_pkt_free(p);
	/* glue that does not fit is skipped, smaller glue after it still
	 * goes in (knotd: 503 bytes with a 512-byte EDNS buffer) */
	struct qopt o512 = { .edns = 512 };
	p = ask_o("x.many.example.com", LDNS_RR_TYPE_A, &o512);
	CU_ASSERT_TRUE(p && ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(req.resp_len, 503);
	ldns_pkt_free(p);
	p = ask_o("x.many.example.com", LDNS_RR_TYPE_A, &o);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(ldns_pkt_arcount(p), 24); /* ldns counts no OPT */
	CU_ASSERT_EQUAL(req.resp_len, 911); /* knotd */
	ldns_pkt_free(p);
}

/* --- refused, opcodes, classes, transfers --- */

static void test_refused_notimp(void)
{
	ldns_pkt *p = ask("www.example.org", LDNS_RR_TYPE_A);
	HEAD(p, LDNS_RCODE_REFUSED, false);
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_ERROR);
	CU_ASSERT_PTR_NULL(req.account_name);
	CU_ASSERT_PTR_NULL(req.zone);
	ldns_pkt_free(p);

	/* REFUSED with EDNS carries EDE 20 (knotd: 50 bytes) */
	struct qopt o = { .edns = 1232 };
	p = ask_o("www.example.org", LDNS_RR_TYPE_A, &o);
	HEAD(p, LDNS_RCODE_REFUSED, false);
	CU_ASSERT_EQUAL(req.resp_len, 50);
	ldns_pkt_free(p);

	/* no snapshot at all */
	build("www.example.com", LDNS_RR_TYPE_A, NULL);
	CU_ASSERT_EQUAL(query_run(NULL, &cfg, &qry, qbuf, qlen, resp,
				  sizeof(resp), false, NULL, 0), QUERY_SEND);
	CU_ASSERT_EQUAL(req.rcode, 5);

	/* opcode STATUS: NOTIMP, NOTIFY: NOTAUTH; opcode echoed */
	build("www.example.com", LDNS_RR_TYPE_A, NULL);
	qbuf[2] |= 2 << 3;
	p = run_raw(qbuf, qlen, false);
	HEAD(p, LDNS_RCODE_NOTIMPL, false);
	CU_ASSERT_EQUAL(ldns_pkt_get_opcode(p), LDNS_PACKET_STATUS);
	ldns_pkt_free(p);
	build("www.example.com", LDNS_RR_TYPE_A, NULL);
	qbuf[2] |= 4 << 3;
	p = run_raw(qbuf, qlen, false);
	HEAD(p, LDNS_RCODE_NOTAUTH, false);
	ldns_pkt_free(p);

	/* other classes */
	struct qopt hs = { .cls = LDNS_RR_CLASS_HS };
	p = ask_o("www.example.com", LDNS_RR_TYPE_A, &hs);
	HEAD(p, LDNS_RCODE_REFUSED, false);
	ldns_pkt_free(p);
	struct qopt any = { .cls = LDNS_RR_CLASS_ANY };
	p = ask_o("www.example.com", LDNS_RR_TYPE_A, &any);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	ANS(p, "www.example.com. 3600 IN A 192.0.2.80");
	ldns_pkt_free(p);

	/* transfers: not yet */
	p = ask("example.com", LDNS_RR_TYPE_AXFR);
	HEAD(p, LDNS_RCODE_NOTIMPL, false);
	ldns_pkt_free(p);
	struct qopt t = { .tcp = true };
	p = ask_o("example.com", LDNS_RR_TYPE_AXFR, &t);
	HEAD(p, LDNS_RCODE_NOTAUTH, false);
	ldns_pkt_free(p);
	p = ask("example.com", LDNS_RR_TYPE_IXFR);
	HEAD(p, LDNS_RCODE_NOTAUTH, false);
	ldns_pkt_free(p);
}

static void test_chaos(void)
{
	struct qopt ch = { .cls = LDNS_RR_CLASS_CH };
	ldns_pkt *p = ask_o("id.server", LDNS_RR_TYPE_TXT, &ch);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	ANS(p, "id.server. 0 CH TXT \"levee-id\"");
	ldns_pkt_free(p);
	p = ask_o("HOSTNAME.bind", LDNS_RR_TYPE_TXT, &ch);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	ANS(p, "HOSTNAME.bind. 0 CH TXT \"levee-id\"");
	ldns_pkt_free(p);
	p = ask_o("version.bind", LDNS_RR_TYPE_TXT, &ch);
	HEAD(p, LDNS_RCODE_NOERROR, false);
	ANS(p, "version.bind. 0 CH TXT \"1.2.3\"");
	CU_ASSERT_EQUAL(req.resp_len, 48); /* knotd, with version "1.2.3" */
	ldns_pkt_free(p);
	p = ask_o("version.server", LDNS_RR_TYPE_A, &ch);
	HEAD(p, LDNS_RCODE_REFUSED, false);
	ldns_pkt_free(p);
	p = ask_o("foo.bar", LDNS_RR_TYPE_TXT, &ch);
	HEAD(p, LDNS_RCODE_REFUSED, false);
	ldns_pkt_free(p);
	cfg.version = NULL;
	p = ask_o("version.server", LDNS_RR_TYPE_TXT, &ch);
	HEAD(p, LDNS_RCODE_REFUSED, false);
	ldns_pkt_free(p);
	cfg.version = "1.2.3";
}

/* --- EDNS --- */

/* Appends an option to the OPT record that ends qbuf. */
static void add_option(uint16_t code, const uint8_t *data, uint16_t len)
{
	uint8_t *rdlen = qbuf + qopt_at + 9;
	uint16_t old = (uint16_t)(rdlen[0] << 8 | rdlen[1]);
	uint8_t *p = qbuf + qlen;
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (len)
		memcpy(p + 4, data, len);
	qlen += 4 + (size_t)len;
	old = (uint16_t)(old + 4 + len);
	rdlen[0] = (uint8_t)(old >> 8);
	rdlen[1] = (uint8_t)old;
}

/* Finding 2 of issue 11: with udp-max-payload 512, an NSID of 240 octets
 * and a REFUSED reply for a 255-octet name, header, question and the whole
 * OPT would take 12 + 259 + 11 + 244 + 6 = 532 octets. The reply buffer
 * is exactly 512 bytes (heap, so AddressSanitizer sees a write past it):
 * the OPT stays, NSID goes, the reply fits. */
static void test_bug_opt_overflow(void)
{
	static uint8_t nsid[240];
	struct answer_config c = cfg;
	struct qopt o = { .edns = 4096 };
	uint8_t *small = malloc(512);
	char name[260];
	ldns_pkt *p = NULL;

	memset(nsid, 'n', sizeof(nsid));
	c.udp_max = 512;
	c.nsid = nsid;
	c.nsid_len = sizeof(nsid);
	for (int i = 0; i < 127; i++)
		memcpy(name + 2 * i, "a.", 2);
	name[254] = '\0';
	build(name, LDNS_RR_TYPE_TXT, &o);
	add_option(3, NULL, 0);   /* NSID asked */
	CU_ASSERT_FATAL(small != NULL);
	CU_ASSERT_EQUAL(query_run(db, &c, &qry, qbuf, qlen, small, 512, false,
				  NULL, 0), QUERY_SEND);
	CU_ASSERT(qry.resp_len <= 512);
	CU_ASSERT_EQUAL(req.rcode, LDNS_RCODE_REFUSED);
	CU_ASSERT_EQUAL(ldns_wire2pkt(&p, small, qry.resp_len), LDNS_STATUS_OK);
	if (p) {
		CU_ASSERT_TRUE(ldns_pkt_edns(p));
		ldns_pkt_free(p);
	}
	/* the OPT without NSID: 12 + 259 + 11 + EDE 6 */
	CU_ASSERT_EQUAL(qry.resp_len, 12 + 259 + 11 + 6);
	free(small);
}

static void test_edns(void)
{
	struct qopt o = { .edns = 4096, .do_bit = true };
	ldns_pkt *p = ask_o("www.example.com", LDNS_RR_TYPE_A, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_TRUE(ldns_pkt_edns(p));
	CU_ASSERT_EQUAL(ldns_pkt_edns_udp_size(p), 1232);
	CU_ASSERT_TRUE(ldns_pkt_edns_do(p));
	CU_ASSERT_EQUAL(ldns_pkt_edns_version(p), 0);
	CU_ASSERT_EQUAL(req.resp_len, 60); /* knotd */
	ldns_pkt_free(p);

	/* tiny client sizes count as 512 */
	o.edns = 100;
	o.do_bit = false;
	p = ask_o("www.example.com", LDNS_RR_TYPE_A, &o);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_FALSE(ldns_pkt_edns_do(p));
	ldns_pkt_free(p);

	/* BADVERS: extended rcode 16, OPT version 0, question echoed */
	o.edns = 1232;
	build("www.example.com", LDNS_RR_TYPE_A, &o);
	qbuf[qlen - 11 + 6] = 1; /* version */
	p = run_raw(qbuf, qlen, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(req.rcode, 16);
	CU_ASSERT_EQUAL(resp[3] & 0xF, 0);
	CU_ASSERT_EQUAL(ldns_pkt_edns_extended_rcode(p), 1);
	CU_ASSERT_EQUAL(ldns_pkt_edns_version(p), 0);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 0);
	CU_ASSERT_FALSE(ldns_pkt_aa(p));
	CU_ASSERT_EQUAL(req.resp_len, 44); /* knotd */
	ldns_pkt_free(p);

	/* NSID (and an unknown option, ignored) */
	build("www.example.com", LDNS_RR_TYPE_A, &o);
	add_option(65001, (const uint8_t *)"xy", 2);
	add_option(3, NULL, 0);
	p = run_raw(qbuf, qlen, false);
	HEAD(p, LDNS_RCODE_NOERROR, true);
	CU_ASSERT_EQUAL(req.resp_len, 60 + 4 + 10);
	CU_ASSERT_EQUAL(memcmp(resp + req.resp_len - 14, "\x00\x03\x00\x0alevee-nsid", 14), 0);
	ldns_pkt_free(p);
	cfg.nsid = NULL;
	p = run_raw(qbuf, qlen, false);
	CU_ASSERT_EQUAL(req.resp_len, 60);
	ldns_pkt_free(p);
	cfg.nsid = (const uint8_t *)"levee-nsid";

	/* edns-tcp-keepalive: noted; answered over TCP only */
	build("www.example.com", LDNS_RR_TYPE_A, &o);
	add_option(11, NULL, 0);
	p = run_raw(qbuf, qlen, false);
	CU_ASSERT_TRUE(req.q.edns.keepalive);
	CU_ASSERT_EQUAL(req.resp_len, 60);
	ldns_pkt_free(p);
	p = run_raw(qbuf, qlen, true);
	CU_ASSERT_TRUE(req.q.edns.keepalive);
	CU_ASSERT_EQUAL(req.resp_len, 66);
	CU_ASSERT_EQUAL(memcmp(resp + 60, "\x00\x0b\x00\x02\x01\x2c", 6), 0);
	ldns_pkt_free(p);
	build("www.example.com", LDNS_RR_TYPE_A, &o);
	p = run_raw(qbuf, qlen, true);
	CU_ASSERT_FALSE(req.q.edns.keepalive);
	CU_ASSERT_EQUAL(req.resp_len, 60);
	ldns_pkt_free(p);
}

/* --- malformed input --- */

static int run_status(const uint8_t *q, size_t len)
{
	ldns_pkt *p = run_raw(q, len, false);
	ldns_pkt_free(p);
	return status;
}

static void expect_formerr(const uint8_t *q, size_t len, int qd, int line)
{
	int st = run_status(q, len);
	if (st != QUERY_SEND || req.rcode != 1)
		fprintf(stderr, "line %d: status %d rcode %u, want FORMERR\n",
			line, st, req.rcode);
	CU_ASSERT_EQUAL(st, QUERY_SEND);
	CU_ASSERT_EQUAL(req.rcode, 1);
	CU_ASSERT_EQUAL(resp[2] & 0x80, 0x80);
	CU_ASSERT_EQUAL(resp[3] & 0xF, 1);
	CU_ASSERT_EQUAL(resp[5], qd);
	CU_ASSERT_EQUAL(resp[7] | resp[9] | resp[11], 0); /* no OPT */
	CU_ASSERT_EQUAL(req.kind, ANSWER_KIND_ERROR);
}
#define FORMERR(q, len, qd) expect_formerr(q, len, qd, __LINE__)
#define DROPPED(q, len) CU_ASSERT_EQUAL(run_status(q, len), QUERY_DROP)

static void test_malformed(void)
{
	uint8_t b[600];
	size_t n;

	build("www.example.com", LDNS_RR_TYPE_A, NULL);
	memcpy(b, qbuf, qlen);
	n = qlen;

	DROPPED(b, 0);
	DROPPED(b, 11);
	/* The header can be trusted from here on: a question that cannot be
	 * used gets a header-only FORMERR (NSD; knotd drops these). */
	FORMERR(b, 12, 0);     /* QDCOUNT 1, no question */
	FORMERR(b, n - 1, 0);  /* truncated question */
	b[2] |= 0x80;          /* a response */
	DROPPED(b, n);
	b[2] &= 0x7F;
	b[5] = 2;              /* QDCOUNT 2 */
	FORMERR(b, n, 0);
	memcpy(b + n, qbuf + 12, n - 12);
	FORMERR(b, n + n - 12, 0);
	CU_ASSERT_EQUAL(req.resp_len, 12);
	b[5] = 0;              /* QDCOUNT 0: FORMERR, header only */
	FORMERR(b, 12, 0);
	CU_ASSERT_EQUAL(req.resp_len, 12);
	b[5] = 1;

	/* trailing garbage after the counted records */
	b[n] = 0;
	FORMERR(b, n + 1, 1);
	CU_ASSERT_EQUAL(req.resp_len, n);
	CU_ASSERT_EQUAL(memcmp(resp + 12, b + 12, n - 12), 0);

	/* ANCOUNT 1 with no record: FORMERR; with a record: answered */
	b[7] = 1;
	FORMERR(b, n, 1);
	static const uint8_t rr[] = { 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4 };
	memcpy(b + n, rr, sizeof(rr));
	CU_ASSERT_EQUAL(run_status(b, n + sizeof(rr)), QUERY_SEND);
	CU_ASSERT_EQUAL(req.rcode, 0);
	CU_ASSERT_EQUAL(resp[7], 1);
	/* a record whose owner points at itself (a compression loop) */
	b[n] = 0xC0;
	b[n + 1] = (uint8_t)n;
	FORMERR(b, n + sizeof(rr), 1);
	/* a pointer forward */
	b[n + 1] = (uint8_t)(n + 4);
	FORMERR(b, n + sizeof(rr), 1);
	b[7] = 0;

	/* compression pointer in the question */
	uint8_t c[] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			0xC0, 12, 0, 1, 0, 1 };
	FORMERR(c, sizeof(c), 0);
	/* label of 64 octets (0x40: extended label type) */
	n = 12;
	memcpy(b, c, 12);
	b[n++] = 64;
	memset(b + n, 'a', 64);
	n += 64;
	b[n++] = 0;
	b[n++] = 0; b[n++] = 1; b[n++] = 0; b[n++] = 1;
	FORMERR(b, n, 0);
	/* a 63-octet label is fine */
	b[12] = 63;
	memmove(b + 12 + 64, b + 12 + 65, 5);
	CU_ASSERT_EQUAL(run_status(b, n - 1), QUERY_SEND);
	CU_ASSERT_EQUAL(req.rcode, 5); /* REFUSED: no such zone */
	/* a name of 256 octets */
	n = 12;
	for (int i = 0; i < 4; i++) {
		b[n++] = 63;
		memset(b + n, 'a', 63);
		n += 63;
	}
	b[n++] = 0;
	b[n++] = 0; b[n++] = 1; b[n++] = 0; b[n++] = 1;
	FORMERR(b, n, 0);
	/* exactly 255 octets: fine */
	n = 12;
	for (int i = 0; i < 3; i++) {
		b[n++] = 63;
		memset(b + n, 'a', 63);
		n += 63;
	}
	b[n++] = 61;
	memset(b + n, 'a', 61);
	n += 61;
	b[n++] = 0;
	b[n++] = 0; b[n++] = 1; b[n++] = 0; b[n++] = 1;
	CU_ASSERT_EQUAL(run_status(b, n), QUERY_SEND);
	CU_ASSERT_EQUAL(req.rcode, 5);

	/* a reply buffer too small for UDP */
	build("www.example.com", LDNS_RR_TYPE_A, NULL);
	CU_ASSERT_EQUAL(query_run(db, &cfg, &qry, qbuf, qlen, resp, 100, false,
				  NULL, 0), QUERY_DROP);
}

static void test_malformed_opt(void)
{
	struct qopt o = { .edns = 1232 };
	uint8_t b[600];
	size_t n;

	build("www.example.com", LDNS_RR_TYPE_A, &o);
	memcpy(b, qbuf, qlen);
	n = qlen;

	/* two OPT records */
	memcpy(b + n, b + n - 11, 11);
	b[11] = 2;
	FORMERR(b, n + 11, 1);
	b[11] = 1;
	/* OPT in the answer section */
	b[7] = 1;
	b[11] = 0;
	FORMERR(b, n, 1);
	b[7] = 0;
	b[11] = 1;
	/* OPT owner not the root */
	memmove(b + n - 10 + 2, b + n - 10, 10);
	b[n - 11] = 1;
	b[n - 10] = 'a';
	b[n - 9] = 0;
	FORMERR(b, n + 2, 1);
	memcpy(b, qbuf, qlen);
	/* RDLENGTH beyond the packet */
	b[n - 1] = 4;
	FORMERR(b, n, 1);
	/* an option longer than the RDATA */
	static const uint8_t opt[] = { 0, 3, 0, 5 };
	memcpy(b + n, opt, 4);
	FORMERR(b, n + 4, 1);
	/* a truncated option header */
	b[n - 1] = 2;
	FORMERR(b, n + 2, 1);
	/* a good empty option */
	b[n - 1] = 4;
	b[n + 3] = 0;
	CU_ASSERT_EQUAL(run_status(b, n + 4), QUERY_SEND);
	CU_ASSERT_EQUAL(req.rcode, 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "positive", test_positive },
		{ "case echo, RD/CD", test_case_echo },
		{ "nodata, nxdomain, ENT", test_nodata_nxdomain },
		{ "wildcard", test_wildcard },
		{ "cname", test_cname },
		{ "dname", test_dname },
		{ "bug: cname chain short", test_bug_cname_chain_short },
		{ "bug: dname repeated", test_bug_dname_repeated },
		{ "bug: opt overflow", test_bug_opt_overflow },
		{ "referral", test_referral },
		{ "ds at cut", test_ds },
		{ "additional", test_additional },
		{ "compression", test_compression },
		{ "test_bug_min_len_deep_targets", test_bug_min_len_deep_targets },
		{ "test_bug_root_hint", test_bug_root_hint },
		{ "any", test_any },
		{ "tc", test_tc },
		{ "refused, notimp, classes", test_refused_notimp },
		{ "chaos", test_chaos },
		{ "edns", test_edns },
		{ "malformed", test_malformed },
		{ "malformed opt", test_malformed_opt },
	};

	return unit_run("answer", suite_init, suite_clean, tests,
			UNIT_COUNT(tests));
}
