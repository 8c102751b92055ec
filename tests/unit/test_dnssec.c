/* test_dnssec.c -- DNSSEC answers from pre-signed zones (issue 15).
 *
 * Small zones built here from text, with RRSIGs whose signature bytes
 * are filler (the engine never checks them: proof selection is what is
 * tested; tests/system/test_dnssec.py has a real validator), answered
 * through the real pipeline with DO=1:
 *  - canonical order (RFC 4034 6.1's own example list);
 *  - NSEC: the covering NSEC and the wildcard's for NXDOMAIN, the
 *    node's for NODATA, the covering one at an empty non-terminal, the
 *    cover of the name for a wildcard expansion;
 *  - NSEC3 (chain hashed here with ldns): closest encloser, next closer
 *    and wildcard for NXDOMAIN, the match at an ENT, the next closer for
 *    a wildcard, an NSEC3 owner name answered NXDOMAIN (RFC 5155 7.2.8),
 *    iterations above the ceiling refused;
 *  - RRSIGs follow a change: a new version serves the new signature,
 *    the old one keeps its own; DO=0 gets none.
 */
#include <ctype.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/name.h"
#include "server/answer.h"
#include "zones/internal.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"
#include "zones/zone_update.h"

#include "unit.h"
#include "query_run.h"

static struct answer_config cfg = { .udp_max = 1232 };
static uint8_t resp[65535];
static struct query qry;

#define SIG(type, labels) " RRSIG " type " 13 " labels " 300 " \
	"20300101000000 20200101000000 1 example.com. AAAAAAAAAAAAAAAA\n"

static struct zone *build_text(const char *body, char *err, size_t errlen)
{
	char path[] = "/tmp/levee-dnssec-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	struct zone *z = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs("$ORIGIN example.com.\n$TTL 300\n", fp);
	fputs(body, fp);
	fclose(fp);
	if (zload_file("example.com.", path, &z, err, errlen))
		z = NULL;
	unlink(path);
	return z;
}

/* The reply of z alone to name/type with DO (or not), parsed. */
static bool ask_udp;        /* over UDP at ask_size, not TCP */
static uint16_t ask_size = 1232;

static ldns_pkt *ask(struct zone *z, const char *name, ldns_rr_type t,
		     bool dnssec)
{
	struct zdb *db = zdb_new();
	ldns_rdf *dn = ldns_dname_new_frm_str(name);
	ldns_pkt *p = ldns_pkt_query_new(dn, t, LDNS_RR_CLASS_IN, 0);
	ldns_pkt *r = NULL;
	uint8_t *w = NULL;
	size_t n = 0;

	zone_ref(z);
	CU_ASSERT_FATAL(zdb_add(db, z) == 0);
	ldns_pkt_set_edns_udp_size(p, ask_size);
	ldns_pkt_set_edns_do(p, dnssec);
	CU_ASSERT_FATAL(ldns_pkt2wire(&w, p, &n) == LDNS_STATUS_OK);
	CU_ASSERT_FATAL(query_run(db, &cfg, &qry, w, n, resp, sizeof(resp),
				  !ask_udp, NULL, 0) == QUERY_SEND);
	CU_ASSERT_FATAL(ldns_wire2pkt(&r, resp, qry.req.resp_len) ==
			LDNS_STATUS_OK);
	free(w);
	ldns_pkt_free(p);
	zdb_free(db);
	return r;
}

/* The owners of the records of `type` in the authority section, as
 * lowercase text joined by spaces, sorted (order-free comparison). */
static void owners_of(const ldns_pkt *p, ldns_rr_type type, char *out,
		      size_t cap)
{
	const ldns_rr_list *l = ldns_pkt_authority(p);
	char *v[32];
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && n < 32; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != type)
			continue;
		v[n] = ldns_rdf2str(ldns_rr_owner(rr));
		for (char *c = v[n]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		n++;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, v[i], cap - strlen(out) - 1);
		free(v[i]);
	}
}

/* How many RRSIGs in section sec cover `covered`. */
static int sigs_for(const ldns_rr_list *l, ldns_rr_type covered)
{
	int k = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == covered)
			k++;
	}
	return k;
}

static void wire_of(const char *text, uint8_t *out)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memcpy(out, ldns_rdf_data(d), ldns_rdf_size(d));
	name_to_lower(out, out);
	ldns_rdf_deep_free(d);
}

static void test_canonical_order(void)
{
	/* RFC 4034 6.1, in order */
	static const char *names[] = {
		"example.", "a.example.", "yljkjljk.a.example.",
		"Z.a.example.", "zABC.a.EXAMPLE.", "z.example.",
		"\\001.z.example.", "*.z.example.", "\\200.z.example.",
	};
	uint8_t a[256], b[256];

	for (size_t i = 0; i + 1 < sizeof(names) / sizeof(names[0]); i++) {
		wire_of(names[i], a);
		wire_of(names[i + 1], b);
		CU_ASSERT(zone_canon_cmp(a, b) < 0);
		CU_ASSERT(zone_canon_cmp(b, a) > 0);
		CU_ASSERT(zone_canon_cmp(a, a) == 0);
	}
}

/* An NSEC chain by hand: apex, a, c, *.w, x.y (y an ENT). */
static const char nsec_zone[] =
	"@ SOA ns host 1 3600 900 604800 300\n" "@" SIG("SOA", "2")
	"@ NS ns\n" "@" SIG("NS", "2")
	"@ NSEC a NS SOA RRSIG NSEC\n" "@" SIG("NSEC", "2")
	"a A 192.0.2.1\n" "a" SIG("A", "3")
	"a NSEC c A RRSIG NSEC\n" "a" SIG("NSEC", "3")
	"c A 192.0.2.3\n" "c" SIG("A", "3")
	"c NSEC ns A RRSIG NSEC\n" "c" SIG("NSEC", "3")
	"ns A 192.0.2.53\n" "ns" SIG("A", "3")
	"ns NSEC *.w A RRSIG NSEC\n" "ns" SIG("NSEC", "3")
	"*.w TXT \"w\"\n" "*.w" SIG("TXT", "3")
	"*.w NSEC x.y TXT RRSIG NSEC\n" "*.w" SIG("NSEC", "3")
	"x.y A 192.0.2.9\n" "x.y" SIG("A", "4")
	"x.y NSEC @ A RRSIG NSEC\n" "x.y" SIG("NSEC", "4");

static void test_nsec_proofs(void)
{
	char err[512], got[512];
	struct zone *z = build_text(nsec_zone, err, sizeof(err));
	ldns_pkt *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	/* positive: the set and its RRSIG, no proof */
	p = ask(z, "a.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 2);
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_answer(p), LDNS_RR_TYPE_A), 1);
	CU_ASSERT_FALSE(ldns_pkt_ad(p));
	ldns_pkt_free(p);
	/* DO=0: no RRSIG */
	p = ask(z, "a.example.com.", LDNS_RR_TYPE_A, false);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* NXDOMAIN b: a covers b, the apex covers *.example.com */
	p = ask(z, "b.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	owners_of(p, LDNS_RR_TYPE_NSEC, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "a.example.com. example.com.");
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC), 2);
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_authority(p), LDNS_RR_TYPE_SOA), 1);
	ldns_pkt_free(p);
	/* NXDOMAIN below c: c covers q.c and *.c, once */
	p = ask(z, "q.c.example.com.", LDNS_RR_TYPE_A, true);
	owners_of(p, LDNS_RR_TYPE_NSEC, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "c.example.com.");
	ldns_pkt_free(p);
	/* NODATA at a: its own NSEC */
	p = ask(z, "a.example.com.", LDNS_RR_TYPE_MX, true);
	owners_of(p, LDNS_RR_TYPE_NSEC, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "a.example.com.");
	ldns_pkt_free(p);
	/* NODATA at the ENT y: the NSEC covering it (*.w, next x.y) */
	p = ask(z, "y.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	owners_of(p, LDNS_RR_TYPE_NSEC, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "*.w.example.com.");
	ldns_pkt_free(p);
	/* wildcard: the RRSIG under the name asked, the cover of the name */
	p = ask(z, "q.w.example.com.", LDNS_RR_TYPE_TXT, true);
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_answer(p), LDNS_RR_TYPE_TXT), 1);
	owners_of(p, LDNS_RR_TYPE_NSEC, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "*.w.example.com.");
	ldns_pkt_free(p);
	/* wildcard NODATA: the wildcard's NSEC, which also covers q.w */
	p = ask(z, "q.w.example.com.", LDNS_RR_TYPE_A, true);
	owners_of(p, LDNS_RR_TYPE_NSEC, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "*.w.example.com.");
	ldns_pkt_free(p);
	zone_free(z);
}

/* NSEC3 hash of name (text) as lowercase base32hex, salt "ab", iter. */
static void h3(const char *name, int iter, char *out)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	uint8_t salt[1] = { 0xab };
	ldns_rdf *h = ldns_nsec3_hash_name(d, 1, (uint16_t)iter, 1, salt);
	char *t = ldns_rdf2str(h);   /* "<hash>." */

	snprintf(out, 64, "%.*s", (int)strcspn(t, "."), t);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	free(t);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(d);
}

/* An NSEC3 zone of the names given (text relative to example.com.,
 * "@" the apex), chain made here; the hashes in hs, sorted. */
static const char *n3_names[] = { "@", "a", "w", "*.w", "e", "x.e", "ns" };
#define N3 (sizeof(n3_names) / sizeof(n3_names[0]))
static char n3_hash[N3][64];

static int hcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static struct zone *n3_zone(int iter, char *err, size_t errlen)
{
	static char body[16384];
	char fq[300];

	for (size_t i = 0; i < N3; i++) {
		if (strcmp(n3_names[i], "@") == 0)
			snprintf(fq, sizeof(fq), "example.com.");
		else
			snprintf(fq, sizeof(fq), "%s.example.com.", n3_names[i]);
		h3(fq, iter, n3_hash[i]);
	}
	qsort(n3_hash, N3, sizeof(n3_hash[0]), hcmp);
	snprintf(body, sizeof(body),
		 "@ SOA ns host 1 3600 900 604800 300\n" "@" SIG("SOA", "2")
		 "@ NS ns\n" "@" SIG("NS", "2")
		 "@ NSEC3PARAM 1 0 %d ab\n" "@" SIG("NSEC3PARAM", "2")
		 "ns A 192.0.2.53\n" "ns" SIG("A", "3")
		 "a A 192.0.2.1\n" "a" SIG("A", "3")
		 "w A 192.0.2.2\n" "w" SIG("A", "3")
		 "*.w TXT \"w\"\n" "*.w" SIG("TXT", "3")
		 "x.e A 192.0.2.9\n" "x.e" SIG("A", "4"), iter);
	for (size_t i = 0; i < N3; i++) {
		size_t l = strlen(body);
		snprintf(body + l, sizeof(body) - l,
			 "%s NSEC3 1 0 %d ab %s A\n%s" SIG("NSEC3", "3"),
			 n3_hash[i], iter, n3_hash[(i + 1) % N3], n3_hash[i]);
	}
	return build_text(body, err, errlen);
}

/* The chain's entry covering or matching the hash of name. */
static const char *n3_cover(const char *name)
{
	char h[64];
	size_t k = N3 - 1;

	h3(name, 0, h);
	for (size_t i = 0; i < N3; i++)
		if (strcmp(n3_hash[i], h) <= 0)
			k = i;
	return n3_hash[k];
}

/* "h1.example.com. h2.example.com." sorted, from hash labels. */
static void expect(char *out, size_t cap, const char *a, const char *b,
		   const char *c)
{
	const char *v[3] = { a, b, c };
	char f[3][128];
	size_t n = 0;

	for (size_t i = 0; i < 3; i++) {
		bool dup = false;
		if (!v[i])
			continue;
		for (size_t j = 0; j < n; j++)
			dup |= strncmp(f[j], v[i], strlen(v[i])) == 0;
		if (!dup)
			snprintf(f[n++], sizeof(f[0]), "%s.example.com.", v[i]);
	}
	qsort(f, n, sizeof(f[0]), hcmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, f[i], cap - strlen(out) - 1);
	}
}

static const char *n3_match(const char *name)
{
	return n3_cover(name);   /* a name of the zone: its own hash */
}

static void test_nsec3_proofs(void)
{
	char err[512], got[1024], want[1024];
	struct zone *z = n3_zone(0, err, sizeof(err));
	ldns_pkt *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT_EQUAL(zone_nsec3_iterations(z), 0);
	/* NXDOMAIN b.example.com: the apex's match, the cover of b (next
	 * closer), the cover of *.example.com */
	p = ask(z, "b.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	owners_of(p, LDNS_RR_TYPE_NSEC3, got, sizeof(got));
	expect(want, sizeof(want), n3_match("example.com."),
	       n3_cover("b.example.com."), n3_cover("*.example.com."));
	CU_ASSERT_STRING_EQUAL(got, want);
	ldns_pkt_free(p);
	/* deeper: q.r.a.example.com: encloser a, next closer r.a, *.a */
	p = ask(z, "q.r.a.example.com.", LDNS_RR_TYPE_A, true);
	owners_of(p, LDNS_RR_TYPE_NSEC3, got, sizeof(got));
	expect(want, sizeof(want), n3_match("a.example.com."),
	       n3_cover("r.a.example.com."), n3_cover("*.a.example.com."));
	CU_ASSERT_STRING_EQUAL(got, want);
	ldns_pkt_free(p);
	/* NODATA at the ENT e: its own NSEC3 */
	p = ask(z, "e.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	owners_of(p, LDNS_RR_TYPE_NSEC3, got, sizeof(got));
	expect(want, sizeof(want), n3_match("e.example.com."), NULL, NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	ldns_pkt_free(p);
	/* wildcard: the cover of the next closer name q.w */
	p = ask(z, "q.w.example.com.", LDNS_RR_TYPE_TXT, true);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(p), 2);
	owners_of(p, LDNS_RR_TYPE_NSEC3, got, sizeof(got));
	expect(want, sizeof(want), n3_cover("q.w.example.com."), NULL, NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	ldns_pkt_free(p);
	/* wildcard NODATA: encloser w, next closer q.w, the wildcard's own */
	p = ask(z, "q.w.example.com.", LDNS_RR_TYPE_MX, true);
	owners_of(p, LDNS_RR_TYPE_NSEC3, got, sizeof(got));
	expect(want, sizeof(want), n3_match("w.example.com."),
	       n3_cover("q.w.example.com."), n3_match("*.w.example.com."));
	CU_ASSERT_STRING_EQUAL(got, want);
	ldns_pkt_free(p);
	/* an NSEC3 owner name is no name of the zone (RFC 5155 7.2.8) */
	char owner[300];
	snprintf(owner, sizeof(owner), "%s.example.com.", n3_hash[0]);
	p = ask(z, owner, LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	zone_free(z);
	/* iterations: 10 loads (RFC 9276 asks 0: the loader warns), 151 is
	 * refused with the reason */
	z = n3_zone(10, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT_EQUAL(zone_nsec3_iterations(z), 10);
	zone_free(z);
	z = n3_zone(ZONE_NSEC3_ITER_MAX + 1, err, sizeof(err));
	CU_ASSERT_PTR_NULL(z);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "iterations"));
	zone_free(z);
}

/* A change that replaces an RRSIG: the new version serves the new
 * signature with its set, the old version its old one. */
static void test_rrsig_follows_change(void)
{
	char err[512];
	struct zone *z = build_text(nsec_zone, err, sizeof(err)), *nz = NULL;
	struct zone_update *u = NULL;
	ldns_rr *old = NULL, *neu = NULL;
	ldns_rdf *origin = ldns_dname_new_frm_str("example.com.");
	uint8_t *w = NULL;
	size_t n = 0;
	ldns_pkt *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&old, "a" SIG("A", "3"), 300,
					    origin, NULL) == LDNS_STATUS_OK);
	CU_ASSERT_FATAL(ldns_rr_new_frm_str(&neu,
		"a RRSIG A 13 3 300 20310101000000 20210101000000 2 "
		"example.com. BBBBBBBBBBBBBBBB", 300, origin, NULL) ==
		LDNS_STATUS_OK);
	CU_ASSERT_EQUAL_FATAL(zone_update_new(z, &u), 0);
	const ldns_rr *rs[2] = { old, neu };
	for (int k = 0; k < 2; k++) {
		CU_ASSERT_FATAL(ldns_rr2wire(&w, rs[k], LDNS_SECTION_ANSWER,
					     &n) == LDNS_STATUS_OK);
		size_t o = name_length(w);
		uint16_t rdlen = (uint16_t)(w[o + 8] << 8 | w[o + 9]);
		int rc = k == 0 ?
			zone_update_remove(u, w, LDNS_RR_TYPE_RRSIG, 1,
					   w + o + 10, rdlen, err, sizeof(err)) :
			zone_update_add(u, w, LDNS_RR_TYPE_RRSIG, 1, 300,
					w + o + 10, rdlen, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, 0);
		free(w);
	}
	CU_ASSERT_EQUAL_FATAL(zone_update_finish(u, &nz, err, sizeof(err)), 0);
	p = ask(nz, "a.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_answer(p), LDNS_RR_TYPE_A), 1);
	for (size_t i = 0; i < ldns_pkt_ancount(p); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			CU_ASSERT_EQUAL(ldns_rdf2native_int16(
				ldns_rr_rrsig_keytag(rr)), 2);
	}
	ldns_pkt_free(p);
	p = ask(z, "a.example.com.", LDNS_RR_TYPE_A, true);
	for (size_t i = 0; i < ldns_pkt_ancount(p); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			CU_ASSERT_EQUAL(ldns_rdf2native_int16(
				ldns_rr_rrsig_keytag(rr)), 1);
	}
	ldns_pkt_free(p);
	/* the NSEC proofs of the new version still hold */
	p = ask(nz, "b.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC), 2);
	ldns_pkt_free(p);
	ldns_rr_free(old);
	ldns_rr_free(neu);
	ldns_rdf_deep_free(origin);
	zone_free(nz);
	zone_free(z);
}

/* RFC 9471 / RFC 4035 3.1.1: a signed answer whose proof does not fit
 * sets TC (no half proof); optional additional data is left out first,
 * and a signed additional set goes in only with its RRSIG. */
static void test_truncation(void)
{
	static char body[8192];
	char err[512];
	struct zone *z;
	ldns_pkt *p;

	/* long RRSIGs (200 bytes of signature) make the proofs large */
	char sig[400];
	memset(sig, 'A', 268);
	sig[268] = '\0';
	snprintf(body, sizeof(body), "%s", nsec_zone);
	for (const char *o = "a"; o; o = NULL) {
		size_t l = strlen(body);
		snprintf(body + l, sizeof(body) - l,
			 "%s RRSIG NSEC 13 3 300 20300101000000 20200101000000 "
			 "7 example.com. %s\n"
			 "@ RRSIG NSEC 13 2 300 20300101000000 20200101000000 "
			 "7 example.com. %s\n"
			 "@ RRSIG SOA 13 2 300 20300101000000 20200101000000 "
			 "7 example.com. %s\n"
			 "mx MX 10 a\n" "mx" SIG("MX", "3"), o, sig, sig, sig);
	}
	z = build_text(body, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	ask_udp = true;
	ask_size = 512;
	/* NXDOMAIN: SOA, 2 NSEC and their 6 RRSIGs cannot fit in 512 */
	p = ask(z, "b.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_TRUE(ldns_pkt_tc(p));
	CU_ASSERT_FALSE(ldns_pkt_ad(p));
	ldns_pkt_free(p);
	/* DO=0: the same NXDOMAIN fits */
	p = ask(z, "b.example.com.", LDNS_RR_TYPE_A, false);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	ldns_pkt_free(p);
	/* at 1232 it fits whole, no TC */
	ask_size = 1232;
	p = ask(z, "b.example.com.", LDNS_RR_TYPE_A, true);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC), 4);
	ldns_pkt_free(p);
	/* MX: the additional A of a goes in with its RRSIG or not at all */
	p = ask(z, "mx.example.com.", LDNS_RR_TYPE_MX, true);
	CU_ASSERT_FALSE(ldns_pkt_tc(p));
	CU_ASSERT_EQUAL(sigs_for(ldns_pkt_additional(p), LDNS_RR_TYPE_A), 1);
	ldns_pkt_free(p);
	ask_udp = false;
	zone_free(z);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "canonical order (RFC 4034 6.1)", test_canonical_order },
		{ "NSEC proofs", test_nsec_proofs },
		{ "NSEC3 proofs", test_nsec3_proofs },
		{ "RRSIGs follow a change", test_rrsig_follows_change },
		{ "truncation (RFC 9471)", test_truncation },
	};

	return unit_run("dnssec", NULL, NULL, tests, UNIT_COUNT(tests));
}
