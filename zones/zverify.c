/* zverify.c -- DNSSEC validation of a signed version (zverify.h). The
 * fourth file of zones/ that holds ldns objects (with zload.c, xfr.c and
 * zdump.c): signatures are checked by ldns on records converted from the
 * zone's wire form, one RRset at a time; the NSEC and NSEC3 chains are
 * checked on the zone's own structures (zone_nsec.c built them). */
#include "zones/zverify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "zones/internal.h"
#include "zones/zone.h"

#define VERIFY_MAX_TYPES 1024      /* types one bitmap may list here */
/* The work a hostile zone (or primary) can make validation do, bounded
 * (the KeyTrap attacks, CVE-2023-50387): per RRSIG at most
 * VERIFY_KEYS_PER_SIG DNSKEYs with its key tag and algorithm are tried,
 * per RRset at most VERIFY_SIGS_PER_SET RRSIGs, and over the zone at most
 * VERIFY_OPS_PER_SET signature operations per RRset (an honest zone
 * needs one, two in a key rollover) plus VERIFY_OPS_SLACK. */
#define VERIFY_KEYS_PER_SIG 4
#define VERIFY_SIGS_PER_SET 16
#define VERIFY_OPS_PER_SET 4
#define VERIFY_OPS_SLACK 1000

struct verify {
	const struct zone *z;
	time_t now;
	ldns_rr_list *keys;        /* the apex's DNSKEYs */
	uint64_t sets, ops;        /* RRsets checked, signature operations */
	uint8_t *buf;              /* one record: owner and wire */
	char *err;
	size_t errlen;
	int rc;                    /* the first failure, or 0 */
};

/* Presentation form of lowercase wire name into buf (>= 1024 bytes). */
static const char *vname(const uint8_t *name, char *buf)
{
	size_t o = 0, w = 0;

	while (name[o] && o < 255) {
		for (unsigned i = 1; i <= name[o]; i++) {
			uint8_t c = name[o + i];

			if (c > ' ' && c < 127 && c != '.' && c != '\\')
				buf[w++] = (char)c;
			else
				w += (size_t)snprintf(buf + w, 5, "\\%03u", c);
		}
		buf[w++] = '.';
		o += name[o] + 1u;
	}
	if (w == 0)
		buf[w++] = '.';
	buf[w] = '\0';
	return buf;
}

/* The first failure: "DNSSEC: NAME TYPE: what". */
static void vfail(struct verify *v, const struct zone_node *n, uint16_t type,
		  const char *what)
{
	char name[1024], tb[16];

	if (v->rc)
		return;
	v->rc = LV_EMALF;
	zone_err(v->err, v->errlen, "DNSSEC validation: %s %s: %s",
		 vname(n->name, name), zone_type_text(type, tb, sizeof(tb)),
		 what);
}

/* The records of set s at node n as an ldns list (NULL: out of memory or
 * a record ldns cannot read, v->rc set). */
static ldns_rr_list *vset(struct verify *v, const struct zone_node *n,
			  const struct rrset *s)
{
	ldns_rr_list *l = ldns_rr_list_new();
	size_t off = 0;

	if (!l) {
		v->rc = v->rc ? v->rc : -ENOMEM;
		return NULL;
	}
	for (unsigned k = 0; k < s->rr_count; k++) {
		size_t rl = 10 + ((size_t)s->wire[off + 8] << 8 |
				  s->wire[off + 9]), pos = 0;
		ldns_rr *r = NULL;

		memcpy(v->buf, n->name, n->name_len);
		memcpy(v->buf + n->name_len, s->wire + off, rl);
		if (ldns_wire2rr(&r, v->buf, n->name_len + rl, &pos,
				 LDNS_SECTION_ANSWER) != LDNS_STATUS_OK ||
		    !ldns_rr_list_push_rr(l, r)) {
			ldns_rr_free(r);
			ldns_rr_list_deep_free(l);
			vfail(v, n, s->type, "a record ldns cannot read");
			return NULL;
		}
		off += rl;
	}
	return l;
}

/* The apex DNSKEYs with sig's key tag and algorithm, at most
 * VERIFY_KEYS_PER_SIG, into cand (a list that does not own them). */
static void vkeys_for(const struct verify *v, const ldns_rr *sig,
		      ldns_rr_list *cand)
{
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));

	for (size_t k = 0; k < ldns_rr_list_rr_count(v->keys) &&
	     ldns_rr_list_rr_count(cand) < VERIFY_KEYS_PER_SIG; k++) {
		ldns_rr *key = ldns_rr_list_rr(v->keys, k);

		if (ldns_rr_rd_count(key) == 4 &&
		    ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) == alg &&
		    ldns_calc_keytag(key) == tag)
			ldns_rr_list_push_rr(cand, key);
	}
}

/* At least one RRSIG of set s verifies with an apex DNSKEY now, within
 * the bounds above. */
static void vsig(struct verify *v, const struct zone_node *n,
		 const struct znode_data *d, const struct rrset *s)
{
	const struct rrset *g = znode_sigs(d, s);
	ldns_rr_list *set, *sigs, *cand;
	ldns_status st = LDNS_STATUS_CRYPTO_NO_RRSIG;
	char why[160];

	if (!g) {
		vfail(v, n, s->type, "no RRSIG covers the set");
		return;
	}
	if (!(set = vset(v, n, s)))
		return;
	if (!(sigs = vset(v, n, g))) {
		ldns_rr_list_deep_free(set);
		return;
	}
	v->sets++;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs) &&
	     i < VERIFY_SIGS_PER_SET; i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);

		if (!(cand = ldns_rr_list_new())) {
			v->rc = v->rc ? v->rc : -ENOMEM;
			break;
		}
		vkeys_for(v, sig, cand);
		v->ops += ldns_rr_list_rr_count(cand);
		st = ldns_rr_list_rr_count(cand) ?
		     ldns_verify_rrsig_keylist_time(set, sig, cand, v->now,
						    NULL) :
		     LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
		ldns_rr_list_free(cand);   /* the keys stay v->keys' */
		if (st == LDNS_STATUS_OK)
			break;
		if (v->ops > v->sets * VERIFY_OPS_PER_SET + VERIFY_OPS_SLACK) {
			vfail(v, n, s->type, "validation work over its bound "
			      "(RRSIGs and DNSKEYs that do not match)");
			break;
		}
	}
	if (st != LDNS_STATUS_OK && !v->rc) {
		snprintf(why, sizeof(why), "no RRSIG verifies (%s)",
			 ldns_get_errorstr_by_id(st));
		vfail(v, n, s->type, why);
	}
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
}

/* The types of a type bitmap (RFC 4034 4.1.2) in ascending order into t;
 * how many, or -1 when malformed. */
static int vbitmap(const uint8_t *p, size_t len, uint16_t *t)
{
	int n = 0;
	size_t o = 0;

	while (o < len) {
		unsigned win, blen;

		if (o + 2 > len)
			return -1;
		win = p[o];
		blen = p[o + 1];
		if (blen == 0 || blen > 32 || o + 2 + blen > len)
			return -1;
		for (unsigned i = 0; i < blen * 8; i++)
			if (p[o + 2 + i / 8] & (0x80 >> (i % 8))) {
				if (n == VERIFY_MAX_TYPES)
					return -1;
				t[n++] = (uint16_t)(win << 8 | i);
			}
		o += 2 + blen;
	}
	return n;
}

/* Whether bitmap (len bytes) lists exactly the types of node data d. */
static bool vtypes_match(const struct znode_data *d, const uint8_t *bm,
			 size_t len)
{
	uint16_t t[VERIFY_MAX_TYPES];
	int n = vbitmap(bm, len, t);

	if (n != (int)d->rrset_count)
		return false;
	for (int i = 0; i < n; i++)   /* both ascending */
		if (t[i] != d->rrsets[i].type)
			return false;
	return true;
}

/* The lowercase copy of the uncompressed wire name at p (at most max
 * bytes) into out; its length, or 0 when malformed. */
static size_t vlower_name(const uint8_t *p, size_t max, uint8_t *out)
{
	size_t o = 0;

	while (o < max && p[o]) {
		if (p[o] > 63 || o + 1 + p[o] >= max)
			return 0;
		out[o] = p[o];
		for (unsigned i = 1; i <= p[o]; i++)
			out[o + i] = (p[o + i] >= 'A' && p[o + i] <= 'Z') ?
				     (uint8_t)(p[o + i] + 32) : p[o + i];
		o += p[o] + 1u;
	}
	if (o >= max || o + 1 > 255)
		return 0;
	out[o] = 0;
	return o + 1;
}

/* NSEC (RFC 4034 4): node i of the canonical list points at the next
 * (the last at the apex) and lists its own types. */
static void vnsec_link(struct verify *v, size_t i)
{
	const struct zone *z = v->z;
	const struct zone_node *n = z->nsec[i];
	const struct zone_node *next = i + 1 < z->nsec_count ? z->nsec[i + 1]
							      : z->apex;
	const struct znode_data *d = znode_at(n, z->gen);
	const struct rrset *s = zdata_rrset(d, DNS_TYPE_NSEC);
	size_t rdlen = (size_t)s->wire[8] << 8 | s->wire[9], nl;
	uint8_t low[256];
	char a[1024], b[1024];

	if (s->rr_count != 1 ||
	    !(nl = vlower_name(s->wire + 10, rdlen, low))) {
		vfail(v, n, DNS_TYPE_NSEC, "not one well-formed NSEC");
		return;
	}
	if (memcmp(low, next->name, next->name_len) != 0 ||
	    nl != next->name_len) {
		snprintf(a, sizeof(a), "next name %s, but the next name in the "
			 "zone is ", vname(low, b));
		strncat(a, vname(next->name, b), sizeof(a) - strlen(a) - 1);
		vfail(v, n, DNS_TYPE_NSEC, a);
		return;
	}
	if (!vtypes_match(d, s->wire + 10 + nl, rdlen - nl))
		vfail(v, n, DNS_TYPE_NSEC, "its type bitmap is not the "
		      "name's types");
}

/* The NSEC3 record of owner node c with the zone's parameters: its
 * RDATA and length, or NULL. */
static const uint8_t *vnsec3_rdata(const struct zone *z,
				   const struct zone_node *c, size_t *len)
{
	const struct rrset *s = zdata_rrset(znode_at(c, z->gen),
					    DNS_TYPE_NSEC3);
	const struct zone_nsec3 *p = z->nsec3;
	size_t off = 0;

	for (unsigned k = 0; s && k < s->rr_count; k++) {
		const uint8_t *rd = s->wire + off + 10;
		size_t rl = (size_t)s->wire[off + 8] << 8 | s->wire[off + 9];

		if (rl >= 5 && rd[0] == p->alg &&
		    (uint16_t)(rd[2] << 8 | rd[3]) == p->iterations &&
		    rd[4] == p->salt_len && 5u + rd[4] + 1 <= rl &&
		    memcmp(rd + 5, p->salt, p->salt_len) == 0) {
			*len = rl;
			return rd;
		}
		off += 10 + rl;
	}
	return NULL;
}

/* NSEC3 (RFC 5155): owner i of the chain names the next one's hash (the
 * last the first's). */
static void vnsec3_link(struct verify *v, size_t i)
{
	const struct zone_nsec3 *p = v->z->nsec3;
	const struct zone_node *c = p->chain[i];
	const struct zone_node *next = p->chain[(i + 1) % p->count];
	size_t rl, hl;
	const uint8_t *rd = vnsec3_rdata(v->z, c, &rl);
	uint8_t label[32];

	if (!rd) {
		vfail(v, c, DNS_TYPE_NSEC3, "no NSEC3 with the NSEC3PARAM's "
		      "parameters");
		return;
	}
	hl = rd[5 + rd[4]];
	if (hl != 20 || 5u + rd[4] + 1 + hl > rl) {
		vfail(v, c, DNS_TYPE_NSEC3, "a next hashed owner that is not "
		      "a SHA-1 hash");
		return;
	}
	zone_nsec3_b32(rd + 5 + rd[4] + 1, label);
	if (next->name[0] != 32 || memcmp(next->name + 1, label, 32) != 0)
		vfail(v, c, DNS_TYPE_NSEC3, "its next hashed owner is not the "
		      "next NSEC3 in the chain");
}

/* Node n of the zone: its sets' signatures, its NSEC or NSEC3. */
static void vnode(const struct zone_node *n, void *arg)
{
	struct verify *v = arg;
	const struct zone *z = v->z;
	const struct znode_data *d = znode_at(n, z->gen);
	bool cut = d->flags & ZNODE_DELEGATION;

	if (v->rc || (d->flags & (ZNODE_GONE | ZNODE_NONAUTH |
				  ZNODE_UNDER_DNAME)))
		return;
	for (unsigned i = 0; i < d->rrset_count && !v->rc; i++) {
		const struct rrset *s = &d->rrsets[i];

		if (s->type == DNS_TYPE_RRSIG ||
		    (cut && s->type != DNS_TYPE_DS &&
		     s->type != DNS_TYPE_NSEC))
			continue;
		vsig(v, n, d, s);
	}
	if (v->rc || zone_nsec3_owner(z, n))
		return;
	if (z->nsec3) {
		const struct zone_node *m = zone_nsec3_match(z, n);
		size_t rl;
		const uint8_t *rd;

		if (!m) {
			const struct zone_node *cov =
				zone_nsec3_cover(z, n->name);
			size_t cl;
			const uint8_t *crd = cov ? vnsec3_rdata(z, cov, &cl)
						 : NULL;
			bool insecure = (cut && !zdata_rrset(d, DNS_TYPE_DS)) ||
					(d->flags & ZNODE_EMPTY);

			if (!(crd && (crd[1] & 1) && insecure))
				vfail(v, n, DNS_TYPE_NSEC3, "the name has no "
				      "NSEC3 (and no opt-out span covers "
				      "it)");
			return;
		}
		rd = vnsec3_rdata(z, m, &rl);
		if (rd) {
			size_t bo = 5u + rd[4] + 1 + rd[5 + rd[4]];

			if (bo > rl || !vtypes_match(d, rd + bo, rl - bo))
				vfail(v, n, DNS_TYPE_NSEC3, "its NSEC3's type "
				      "bitmap is not the name's types");
		}
	} else if (z->nsec_count && !(d->flags & ZNODE_EMPTY) &&
		   !zdata_rrset(d, DNS_TYPE_NSEC)) {
		vfail(v, n, DNS_TYPE_NSEC, "the name has data but no NSEC");
	}
}

int zone_verify(const struct zone *z, uint32_t now, char *err,
		size_t errlen)
{
	return zone_verify_counted(z, now, err, errlen, NULL);
}

int zone_verify_counted(const struct zone *z, uint32_t now, char *err,
			size_t errlen, struct zone_verify_stats *st)
{
	const struct znode_data *ad = znode_at(z->apex, z->gen);
	const struct rrset *keys = zdata_rrset(ad, DNS_TYPE_DNSKEY);
	struct verify v = { z, (time_t)now, NULL, 0, 0, NULL, err, errlen, 0 };

	if (st)
		*st = (struct zone_verify_stats){ 0, 0 };
	if (!(ad->flags & ZNODE_SIGNED))
		return 0;              /* unsigned: nothing to check */
	if (!keys) {
		vfail(&v, z->apex, DNS_TYPE_DNSKEY, "a signed zone without "
		      "DNSKEY at its apex");
		return v.rc;
	}
	if (!z->nsec_count && !z->nsec3) {
		vfail(&v, z->apex, DNS_TYPE_NSEC, "a signed zone with neither "
		      "NSEC nor NSEC3 (with NSEC3PARAM)");
		return v.rc;
	}
	if (!(v.buf = malloc(256 + 10 + 65535)))
		return -ENOMEM;
	v.keys = vset(&v, z->apex, keys);
	if (v.keys) {
		for (size_t i = 0; i < z->nsec_count && !v.rc; i++)
			vnsec_link(&v, i);
		for (size_t i = 0; z->nsec3 && i < z->nsec3->count && !v.rc;
		     i++)
			vnsec3_link(&v, i);
		if (!v.rc)
			zone_index_foreach(z, vnode, &v);
	}
	ldns_rr_list_deep_free(v.keys);
	free(v.buf);
	if (st)
		*st = (struct zone_verify_stats){ v.sets, v.ops };
	return v.rc;
}
