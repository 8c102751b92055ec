/* zone_nsec.c -- the NSEC and NSEC3 chains of a version, for proofs.
 *
 * A negative answer from a signed zone proves what does not exist with
 * the NSEC records whose ranges cover the name (RFC 4035 3.1.3). The
 * hash index (zone.c) has no order, so each version keeps beside it the
 * nodes that hold an NSEC in canonical order (RFC 4034 6.1), built once
 * per version off the reactors (zone_builder_finish, zone_update_finish:
 * n pointers, O(n log n)); the query path binary-searches it.
 *
 * And the span of its signatures: the earliest RRSIG expiration and
 * the latest inception (one pass over the RRSIG sets), for the loader's
 * warnings.
 *
 * NSEC3 (RFC 5155) the same way: the NSEC3 owners sorted by hash, and
 * the hash of every authoritative name computed once per version, kept
 * as the pair (node, its matching NSEC3): the closest encloser's NSEC3
 * costs the query a binary search, no hashing. Only names that do not
 * exist are hashed per query (the next closer name and the wildcard:
 * zone_nsec3_cover), each (iterations + 1) SHA-1 runs of at most 510
 * bytes (OpenSSL's SHA1_* on the stack), iterations at most ZONE_NSEC3_ITER_MAX. A change rebuilds both
 * for its version: O(names) hashes, off the reactors (a known cost of an
 * IXFR to a large NSEC3 zone; an incremental chain is future work).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* SHA1_Init/Update/Final on a context on the stack: no allocation. The
 * one-shot SHA1() of OpenSSL 3 goes through EVP_Q_digest(), which
 * fetches the algorithm and allocates a context on every call; the
 * low-level calls are deprecated in 3.0 but kept, and allocate nothing. */
#define OPENSSL_API_COMPAT 0x10101000L
#include <openssl/sha.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "common/name.h"
#include "zones/internal.h"

int zone_canon_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[NAME_MAX_LABELS + 1], ob[NAME_MAX_LABELS + 1];
	int na = zone_label_offsets(a, oa), nb = zone_label_offsets(b, ob);

	/* from the root down: the first label that differs decides, an
	 * absent label (a shorter name) sorts first */
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		size_t m = la[0] < lb[0] ? la[0] : lb[0];
		int d = memcmp(la + 1, lb + 1, m);

		if (d)
			return d;
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na - nb;
}

/* Appends n to the growing array *v of *len entries (room for *cap),
 * doubling it from 64; false when out of memory (*v kept as it was). */
static unsigned nsec3_iter_max = ZONE_NSEC3_ITER_MAX;

void zone_set_nsec3_iter_max(unsigned max)
{
	__atomic_store_n(&nsec3_iter_max, max < ZONE_NSEC3_ITER_MAX ? max :
			 ZONE_NSEC3_ITER_MAX, __ATOMIC_RELAXED);
}

unsigned zone_nsec3_iter_max(void)
{
	return __atomic_load_n(&nsec3_iter_max, __ATOMIC_RELAXED);
}

static bool nodes_push(const struct zone_node ***v, size_t *len, size_t *cap,
		       const struct zone_node *n)
{
	if (*len == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		const struct zone_node **nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return false;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*len)++] = n;
	return true;
}

struct nsec_collect {
	const struct zone *z;
	const struct zone_node **v;
	size_t n, cap;
	bool oom;
};

static void nsec_collect_one(const struct zone_node *n, void *arg)
{
	struct nsec_collect *c = arg;
	const struct znode_data *d = znode_at(n, c->z->gen);

	if ((d->flags & ZNODE_GONE) || !zdata_rrset(d, DNS_TYPE_NSEC) ||
	    c->oom)
		return;
	c->oom = !nodes_push(&c->v, &c->n, &c->cap, n);
}

static int nsec_qcmp(const void *a, const void *b)
{
	const struct zone_node *x = *(const struct zone_node *const *)a;
	const struct zone_node *y = *(const struct zone_node *const *)b;

	return zone_canon_cmp(x->name, y->name);
}

static int nsec3_build(struct zone *z, char *err, size_t errlen);

/* Serial arithmetic (RFC 1982, RFC 4034 3.1.5): a before b. */
static bool sig_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static void sig_span_one(const struct zone_node *n, void *arg)
{
	struct zone *z = arg;
	const struct znode_data *d = znode_at(n, z->gen);
	const struct rrset *s = (d->flags & ZNODE_GONE) ? NULL :
				zdata_rrset(d, DNS_TYPE_RRSIG);
	const uint8_t *p;

	if (!s)
		return;
	p = s->wire;
	for (uint16_t k = 0; k < s->rr_count; k++) {
		uint16_t rdlen = (uint16_t)(p[8] << 8 | p[9]);

		if (rdlen >= 16) {
			const uint8_t *rd = p + 10;
			uint32_t exp = (uint32_t)rd[8] << 24 |
				       (uint32_t)rd[9] << 16 |
				       (uint32_t)rd[10] << 8 | rd[11];
			uint32_t inc = (uint32_t)rd[12] << 24 |
				       (uint32_t)rd[13] << 16 |
				       (uint32_t)rd[14] << 8 | rd[15];

			if (!z->sig_count || sig_before(exp, z->sig_expire_min))
				z->sig_expire_min = exp;
			if (!z->sig_count ||
			    sig_before(z->sig_inception_max, inc))
				z->sig_inception_max = inc;
			z->sig_count++;
		}
		p += 10u + rdlen;
	}
}

bool zone_sig_span(const struct zone *z, uint32_t *expire_min,
		   uint32_t *inception_max)
{
	if (!z->sig_count)
		return false;
	*expire_min = z->sig_expire_min;
	*inception_max = z->sig_inception_max;
	return true;
}

int zone_nsec_build(struct zone *z, char *err, size_t errlen)
{
	struct nsec_collect c = { .z = z };
	int rc;

	/* An unsigned zone (no RRSIG at the apex) serves no proofs: no walk,
	 * so a change to a large unsigned zone stays O(change). */
	if (!(znode_at(z->apex, z->gen)->flags & ZNODE_SIGNED)) {
		zone_nsec3_free(z->nsec3);
		z->nsec3 = NULL;
		free(z->nsec);
		z->nsec = NULL;
		z->nsec_count = 0;
		z->sig_count = 0;
		return 0;
	}
	rc = nsec3_build(z, err, errlen);
	if (rc)
		return rc;
	z->sig_count = 0;
	zone_index_foreach(z, sig_span_one, z);
	zone_index_foreach(z, nsec_collect_one, &c);
	if (c.oom) {
		free(c.v);
		return -ENOMEM;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), nsec_qcmp);
	free(z->nsec);
	z->nsec = c.v;
	z->nsec_count = c.n;
	return 0;
}

const struct zone_node *zone_nsec_cover(const struct zone *z,
					const uint8_t *lname)
{
	size_t lo = 0, hi = z->nsec_count;

	if (!hi)
		return NULL;
	/* the first owner after lname is at lo when the loop ends */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (zone_canon_cmp(z->nsec[mid]->name, lname) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return z->nsec[lo ? lo - 1 : z->nsec_count - 1];
}

/* --- NSEC3 (RFC 5155) --- */

/* The NSEC3 hash of lowercase wire name (len bytes) with the zone's
 * parameters into h[20]: SHA-1 over name and salt, then iterations more
 * times over the digest and salt (RFC 5155 5). Stack only. */
static void nsec3_hash(const struct zone_nsec3 *p, const uint8_t *name,
		       size_t len, uint8_t h[SHA_DIGEST_LENGTH])
{
	SHA_CTX ctx;

	SHA1_Init(&ctx);
	SHA1_Update(&ctx, name, len);
	SHA1_Update(&ctx, p->salt, p->salt_len);
	SHA1_Final(h, &ctx);
	for (unsigned i = 0; i < p->iterations; i++) {
		SHA1_Init(&ctx);
		SHA1_Update(&ctx, h, SHA_DIGEST_LENGTH);
		SHA1_Update(&ctx, p->salt, p->salt_len);
		SHA1_Final(h, &ctx);
	}
}

/* Base32hex (RFC 4648 7), lowercase as the zone keeps owner names: 20
 * bytes into 32 characters. */
void zone_nsec3_b32(const uint8_t h[SHA_DIGEST_LENGTH], uint8_t out[32])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";

	for (int i = 0; i < 4; i++) {
		const uint8_t *p = h + 5 * i;
		uint64_t v = (uint64_t)p[0] << 32 | (uint64_t)p[1] << 24 |
			     (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];

		for (int k = 0; k < 8; k++)
			out[8 * i + k] = (uint8_t)digits[(v >> (35 - 5 * k)) & 31];
	}
}

/* Order of NSEC3 owners: their first labels (the hash), shorter first on
 * a common prefix. */
static int nsec3_label_cmp(const uint8_t *a, const uint8_t *b)
{
	size_t m = a[0] < b[0] ? a[0] : b[0];
	int d = memcmp(a + 1, b + 1, m);

	return d ? d : (int)a[0] - (int)b[0];
}

static int nsec3_qcmp(const void *a, const void *b)
{
	return nsec3_label_cmp((*(const struct zone_node *const *)a)->name,
			       (*(const struct zone_node *const *)b)->name);
}

static int nsec3_pair_qcmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct zone_nsec3_pair *)a)->node;
	uintptr_t y = (uintptr_t)((const struct zone_nsec3_pair *)b)->node;

	return x < y ? -1 : x > y;
}

/* The chain entry covering or matching label (length-prefixed hash):
 * the last not after it, else the last (the chain wraps). */
static const struct zone_node *nsec3_find(const struct zone_nsec3 *n3,
					  const uint8_t *label)
{
	size_t lo = 0, hi = n3->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nsec3_label_cmp(n3->chain[mid]->name, label) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n3->chain[lo ? lo - 1 : n3->count - 1];
}

void zone_nsec3_free(struct zone_nsec3 *n3)
{
	if (!n3)
		return;
	free(n3->chain);
	free(n3->match);
	free(n3);
}

bool zone_nsec3_owner(const struct zone *z, const struct zone_node *n)
{
	const struct znode_data *d;

	if (!z->nsec3 || n->parent != z->apex)
		return false;
	d = znode_at(n, z->gen);
	for (uint16_t i = 0; i < d->rrset_count; i++)
		if (d->rrsets[i].type != DNS_TYPE_NSEC3 &&
		    d->rrsets[i].type != DNS_TYPE_RRSIG)
			return false;
	return zdata_rrset(d, DNS_TYPE_NSEC3) != NULL;
}

struct nsec3_collect {
	const struct zone *z;
	struct zone_nsec3 *n3;
	const struct zone_node **v;
	size_t n, cap;
	bool oom;
};

static void nsec3_collect_one(const struct zone_node *n, void *arg)
{
	struct nsec3_collect *c = arg;
	const struct znode_data *d = znode_at(n, c->z->gen);

	if ((d->flags & ZNODE_GONE) || c->oom)
		return;
	c->oom = !nodes_push(&c->v, &c->n, &c->cap, n);
}

/* The parameters from the apex's NSEC3PARAM (first: an NSEC3 to take
 * them from instead, NULL here: a zone without NSEC3PARAM serves no
 * NSEC3 proofs). 1 when found, 0 otherwise. */
static int nsec3_params(const struct zone *z, const struct zone_node *first,
			struct zone_nsec3 *p)
{
	const struct rrset *s = zdata_rrset(znode_at(z->apex, z->gen),
					    DNS_TYPE_NSEC3PARAM);

	if (!s && first)
		s = zdata_rrset(znode_at(first, z->gen), DNS_TYPE_NSEC3);
	if (!s || s->wire_len < 15)
		return 0;
	const uint8_t *rd = s->wire + 10;
	size_t rdlen = (size_t)s->wire[8] << 8 | s->wire[9];
	if (rdlen < 5 || (size_t)rd[4] + 5 > rdlen)
		return 0;
	p->alg = rd[0];
	p->iterations = (uint16_t)(rd[2] << 8 | rd[3]);
	p->salt_len = rd[4];
	memcpy(p->salt, rd + 5, p->salt_len);
	return 1;
}

static int nsec3_build(struct zone *z, char *err, size_t errlen)
{
	struct nsec3_collect c = { .z = z };
	struct zone_nsec3 *n3;
	size_t nchain = 0;

	zone_nsec3_free(z->nsec3);
	z->nsec3 = NULL;
	if (!zdata_rrset(znode_at(z->apex, z->gen), DNS_TYPE_NSEC3PARAM))
		return 0;        /* no NSEC3 chain is served without it */
	n3 = calloc(1, sizeof(*n3));
	if (!n3)
		return -ENOMEM;
	z->nsec3 = n3;             /* zone_nsec3_owner() asks for it */
	zone_index_foreach(z, nsec3_collect_one, &c);
	if (c.oom)
		goto oom;
	/* the chain first: NSEC3 owners */
	for (size_t i = 0; i < c.n; i++)
		if (zone_nsec3_owner(z, c.v[i]))
			nchain++;
	if (nchain == 0 || !nsec3_params(z, NULL, n3)) {
		free(c.v);
		zone_nsec3_free(n3);
		z->nsec3 = NULL;
		return 0;
	}
	if (n3->alg != 1) {
		zone_err(err, errlen, "NSEC3 hash algorithm %u is not SHA-1 "
			 "(RFC 5155)", n3->alg);
		goto bad;
	}
	if (n3->iterations > zone_nsec3_iter_max()) {
		zone_err(err, errlen, "NSEC3 with %u extra iterations, above "
			 "the ceiling of %u (RFC 9276: 0)", n3->iterations,
			 zone_nsec3_iter_max());
		goto bad;
	}
	n3->chain = malloc(nchain * sizeof(*n3->chain));
	n3->match = malloc(c.n * sizeof(*n3->match));
	if (!n3->chain || !n3->match)
		goto oom;
	for (size_t i = 0; i < c.n; i++)
		if (zone_nsec3_owner(z, c.v[i]))
			n3->chain[n3->count++] = c.v[i];
	qsort(n3->chain, n3->count, sizeof(*n3->chain), nsec3_qcmp);
	/* every other name that is authoritative data: its hash, and the
	 * NSEC3 with exactly that hash when there is one */
	for (size_t i = 0; i < c.n; i++) {
		const struct zone_node *n = c.v[i];
		const struct znode_data *d = znode_at(n, z->gen);
		uint8_t h[SHA_DIGEST_LENGTH], label[33];
		const struct zone_node *m;

		if ((d->flags & ZNODE_NONAUTH) || zone_nsec3_owner(z, n))
			continue;
		nsec3_hash(n3, n->name, n->name_len, h);
		label[0] = 32;
		zone_nsec3_b32(h, label + 1);
		m = nsec3_find(n3, label);
		if (nsec3_label_cmp(m->name, label) == 0)
			n3->match[n3->nmatch++] =
				(struct zone_nsec3_pair){ n, m };
	}
	qsort(n3->match, n3->nmatch, sizeof(*n3->match), nsec3_pair_qcmp);
	free(c.v);
	return 0;
oom:
	free(c.v);
	zone_nsec3_free(n3);
	z->nsec3 = NULL;
	return -ENOMEM;
bad:
	free(c.v);
	zone_nsec3_free(n3);
	z->nsec3 = NULL;
	return LV_EMALF;
}

int zone_nsec3_iterations(const struct zone *z)
{
	return z->nsec3 ? z->nsec3->iterations : -1;
}

const struct zone_node *zone_nsec3_match(const struct zone *z,
					 const struct zone_node *n)
{
	const struct zone_nsec3 *n3 = z->nsec3;
	size_t lo = 0, hi;

	if (!n3)
		return NULL;
	hi = n3->nmatch;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uintptr_t k = (uintptr_t)n3->match[mid].node;

		if (k == (uintptr_t)n)
			return n3->match[mid].nsec3;
		if (k < (uintptr_t)n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct zone_node *zone_nsec3_cover(const struct zone *z,
					 const uint8_t *lname)
{
	const struct zone_nsec3 *n3 = z->nsec3;
	uint8_t h[SHA_DIGEST_LENGTH], label[33];

	if (!n3 || !n3->count)
		return NULL;
	nsec3_hash(n3, lname, name_length(lname), h);
	label[0] = 32;
	zone_nsec3_b32(h, label + 1);
	return nsec3_find(n3, label);
}
