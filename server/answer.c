/* answer.c -- answer synthesis: one function per answer case.
 *
 * answer_query() answers a parsed QUERY: for class IN, answer_internet()
 * resolves the name in its zone and walks RFC 1034 4.3.2 step by step:
 * answer_positive(), answer_nodata(), answer_nxdomain(), answer_referral(),
 * answer_cname() and answer_dname() (RFC 6672), wildcards per RFC 4592 and
 * ANY per RFC 8482; additional records (A/AAAA of NS, MX and SRV targets in
 * the zone) come last, in answer_additional(). answer_chaos() answers CH
 * TXT server identity. answer_error() and answer_challenge() write replies
 * that need no lookup; answer_slip() and answer_badcookie() rewrite a
 * finished reply for the rate limiters. Where the RFCs leave a choice we
 * answer as knotd 3.2 does, so system tests can diff the two; the comment
 * at each case says what knotd does.
 *
 * DNSSEC (a query with DO=1 to a zone whose apex is signed, docs/
 * dnssec.md) is a step per section, kept out of the cases: put_signed()
 * puts each set with its RRSIGs (laid beside the sets at load:
 * znode_sigs(), no search), answer_referral() adds the DS or the proof of
 * none, and answer_dnssec_proofs() puts the NSEC or NSEC3 proofs after the
 * answer from what the cases noted (closest encloser, NODATA node,
 * wildcard links). Its work: at most ANSWER_NSEC_MAX proof sets, each
 * one binary search over the version's sorted chain (NSEC:
 * O(log owners) name compares; NSEC3: a search of the names' matches, or
 * one hash of a name that does not exist, at most ANSWER_NSEC3_HASHES
 * per reply, each at most ZONE_NSEC3_ITER_MAX + 1 SHA-1 runs).
 *
 * Everything lives in one struct answer_ctx on the stack: the render state,
 * the names of a CNAME/DNAME chain and the sets noted for additional
 * records; the parsed query stays in the request. The zone snapshot and
 * the config are only read. The reply is written straight into req->resp.
 *
 * The reply's size (RFC 6891 7): reply_start() reserves the OPT record
 * first: header, question and OPT with its cookie are the smallest reply
 * and always fit (12 + 259 + 11 + 28 bytes < 512). NSID goes in only when
 * it fits beside them; answer data gets the rest and sets TC when it does
 * not fit; an EDE is added at the end only into room left over. Every
 * finished reply is checked against the buffer (lv_require: a reply past
 * it has corrupted memory) and against the client's size (lv_fails_assert:
 * a SERVFAIL instead).
 *
 * Work per reply: the chain visits at most ANSWER_CHAIN_MAX + 1 names,
 * each a hash probe plus O(log labels) for the closest encloser and a loop
 * check over the names before it (<= 6 compares of <= 255 bytes); records
 * rendered are bounded by the reply size; additional-record lookups by the
 * records of at most ANSWER_ADDL_MAX rendered sets (each one hash probe),
 * and stop once nothing more fits.
 */
#include <string.h>

#include "server/answer.h"
#include "common/assert.h"
#include "common/dns.h"
#include "common/name.h"
#include "ratelimit/cookie.h"
#include "server/edns.h"
#include "server/render.h"
#include "server/wire.h"
#include "zones/zdb.h"
#include "zones/zone.h"

/* knotd puts at most five chain links (CNAMEs followed or synthesised)
 * in one answer and then still answers the last target's own data. */
#define ANSWER_CHAIN_MAX 5
#define ANSWER_ADDL_MAX 8   /* RRsets whose targets get additional records */
#define ANSWER_ADDL_NODES 16
#define ANSWER_MIN_RR 16    /* the smallest A record with a pointer owner */
/* NSEC sets one reply may put: the covering NSEC and the wildcard's for
 * the last name, and one per wildcard link of a chain. */
#define ANSWER_NSEC_MAX (ANSWER_CHAIN_MAX + 4)
/* NSEC3 hashes of names that do not exist, per reply (RFC 5155: the
 * next closer name and the wildcard of an NXDOMAIN); each costs
 * (iterations + 1) SHA-1 runs, iterations <= ZONE_NSEC3_ITER_MAX. A
 * proof past the budget (a chain through several wildcards) is left
 * out. */
#define ANSWER_NSEC3_HASHES 2

struct addl_item {
	const struct rrset *set;     /* has set->targets: targets in the zone */
	const struct zone_node *cut; /* referral: glue below it is required */
	size_t at;                   /* where the set starts in the reply */
};

struct answer_ctx {
	const struct zdb *db;
	const struct answer_config *cfg;
	struct answer_request *req;
	struct wire_query *q;      /* req->q */
	struct render r;
	size_t limit;              /* the reply's size limit, OPT included */
	size_t opt_len;            /* room reserved for the OPT record */
	bool nsid;                 /* NSID fits and goes in the OPT */
	uint16_t rcode;
	bool aa;
	bool tc;
	bool done;                 /* truncated: render nothing more */
	uint8_t kind;
	int ede;
	const struct zone *zone;
	uint32_t gen;              /* zone_gen(zone): its nodes' version */
	const uint8_t *account;
	/* the name being resolved: lowercase; its owner pointer or 0 */
	const uint8_t *sname;
	size_t sname_len;
	uint16_t sptr;
	const struct zone_node *snode; /* sname's node when known (a CNAME
					  target resolved at zone build) */
	/* sname's label offsets when known without a walk (the qname's from
	 * the parser, a DNAME substitution's from the name it came from):
	 * valid while soffs_for == sname */
	const uint8_t *soffs_for;
	uint8_t slabels;
	uint8_t soffs[NAME_MAX_LABELS + 1];
	unsigned chain;            /* chain links put so far */
	const struct zone_node *dnames[ANSWER_CHAIN_MAX + 1]; /* DNAMEs put */
	uint16_t dname_targets[ANSWER_CHAIN_MAX + 1]; /* where each one's
					target is spelled in the reply, or 0 */
	unsigned ndnames;
	unsigned naddl;
	struct addl_item addl[ANSWER_ADDL_MAX];
	/* DNSSEC (DO=1 and a signed zone): the RRSIGs of each set put, and
	 * the NSEC proofs of answer_dnssec_proofs(), from these notes */
	bool dnssec;
	const struct zone_node *ce;        /* NXDOMAIN: the closest encloser */
	const struct zone_node *nodata;    /* NODATA: the node (or NULL) */
	bool n3;                           /* proofs from NSEC3, not NSEC */
	unsigned nhash;                    /* NSEC3 hashes made */
	unsigned nwild;                    /* names answered from a wildcard */
	const uint8_t *wild[ANSWER_CHAIN_MAX + 1];
	const struct zone_node *wildn[ANSWER_CHAIN_MAX + 1]; /* its "*" */
	unsigned nnsec;                    /* NSEC owners put (no twice) */
	const struct zone_node *nsecs[ANSWER_NSEC_MAX];
	/* every name of the chain: [0] the qname (in the parsed query),
	 * then each target (lowercase: in tbuf[], or a node name) */
	const uint8_t *names[ANSWER_CHAIN_MAX + 1];
	uint8_t name_lens[ANSWER_CHAIN_MAX + 1];
	uint8_t tbuf[ANSWER_CHAIN_MAX][NAME_MAX_LEN + 1];
};

/* --- helpers --- */

/* Node n's data in the version being answered from. */
static inline const struct znode_data *zd(const struct answer_ctx *c,
					  const struct zone_node *n)
{
	return znode_at(n, c->gen);
}

/* The set of `type` at node n in that version, or NULL. */
static inline const struct rrset *zset(const struct answer_ctx *c,
				       const struct zone_node *n,
				       uint16_t type)
{
	return zdata_rrset(zd(c, n), type);
}

/* TC: drop every section after the question, as knotd does. */
static void answer_truncate(struct answer_ctx *c)
{
	render_truncate(&c->r, c->req->question_end);
	c->tc = true;
	c->done = true;
}

static int put_set(struct answer_ctx *c, enum render_section sec,
		   const uint8_t *owner, uint16_t ptr, const struct rrset *s,
		   uint32_t ttl)
{
	if (c->done)
		return -1;
	if (render_rrset(&c->r, sec, owner, ptr, s, ttl) < 0) {
		answer_truncate(c);
		return -1;
	}
	return 0;
}

/* put_set() of set s of node data d, then (DNSSEC) its RRSIGs with the
 * same owner and TTL: a signature that does not fit truncates as the set
 * would, for a validator rejects the set without it. */
static int put_signed(struct answer_ctx *c, enum render_section sec,
		      const uint8_t *owner, uint16_t ptr,
		      const struct znode_data *d, const struct rrset *s,
		      uint32_t ttl)
{
	if (put_set(c, sec, owner, ptr, s, ttl) < 0)
		return -1;
	if (!c->dnssec)
		return 0;
	const struct rrset *g = znode_sigs(d, s);
	if (!g)
		return 0;
	return put_set(c, sec, owner, ptr, g, ttl == RENDER_TTL_KEEP ? g->ttl
								     : ttl);
}

/* Notes a set just put at reply offset at whose targets the zone holds
 * (rrset targets, resolved when the zone was built). */
static void addl_note(struct answer_ctx *c, const struct rrset *s,
		      const struct zone_node *cut, size_t at)
{
	if (s->targets && (s->type == DNS_TYPE_NS || s->type == DNS_TYPE_MX ||
			   s->type == DNS_TYPE_SRV) && c->naddl < ANSWER_ADDL_MAX)
		c->addl[c->naddl++] = (struct addl_item){ s, cut, at };
}

/* The SOA of z in authority, TTL min(SOA TTL, MINIMUM) (RFC 2308 3). */
static void put_soa(struct answer_ctx *c, const struct zone *z)
{
	const struct rrset *soa = zone_soa(z);
	uint32_t ttl = soa->ttl;
	size_t rdlen = wire_read_u16(soa->wire + 8);
	if (rdlen >= 4) {
		uint32_t min = wire_read_u32(soa->wire + 10 + rdlen - 4);
		if (min < ttl)
			ttl = min;
	}
	/* an apex deeper than the compression table reaches (16 labels) is
	 * still a pointer into the question */
	if (zone_apex_node(z)->label_count > DNS_COMPRESS_DEPTH)
		render_owner_node(&c->r, zone_apex_node(z));
	put_signed(c, RENDER_AUTHORITY, zone_apex(z), 0,
		   zd(c, zone_apex_node(z)), soa, ttl);
}

static void set_account(struct answer_ctx *c, const uint8_t *name)
{
	if (!c->account)
		c->account = name;
}

/* The NSEC set of node n with its RRSIGs in authority, once per reply
 * (RFC 4035 3.1.3); nothing when n is NULL or holds none. */
static void put_nsec(struct answer_ctx *c, const struct zone_node *n)
{
	uint16_t type = c->n3 ? DNS_TYPE_NSEC3 : DNS_TYPE_NSEC;

	if (!n || c->done)
		return;
	for (unsigned i = 0; i < c->nnsec; i++)
		if (c->nsecs[i] == n)
			return;
	const struct znode_data *d = zd(c, n);
	const struct rrset *s = zdata_rrset(d, type);
	if (!s || c->nnsec >= ANSWER_NSEC_MAX)
		return;
	c->nsecs[c->nnsec++] = n;
	put_signed(c, RENDER_AUTHORITY, n->name, 0, d, s, RENDER_TTL_KEEP);
}

/* The NSEC whose range covers or matches lname (lowercase): one binary
 * search over the version's sorted owners (zone_nsec_cover). */
static void put_cover(struct answer_ctx *c, const uint8_t *lname)
{
	if (!c->n3) {
		put_nsec(c, zone_nsec_cover(c->zone, lname));
		return;
	}
	if (c->nhash >= ANSWER_NSEC3_HASHES)
		return;
	c->nhash++;
	put_nsec(c, zone_nsec3_cover(c->zone, lname));
}

/* The suffix of name (wire) with k of its labels. O(labels). */
static const uint8_t *labels_suffix(const uint8_t *name, unsigned k)
{
	unsigned n = 0;

	for (const uint8_t *p = name; *p; p += *p + 1)
		n++;
	while (n > k) {
		name += *name + 1;
		n--;
	}
	return name;
}

/* RFC 5155 7.2.1: the NSEC3 matching the closest provable encloser of
 * name (node a or its nearest ancestor whose name has an NSEC3: in an
 * opt-out span a name may have none) and the one covering the next
 * closer name (one hash). Returns the encloser, or NULL. */
static const struct zone_node *put_n3_cpe(struct answer_ctx *c,
					  const struct zone_node *a,
					  const uint8_t *name)
{
	const struct zone_node *m = NULL;

	while (a && !(m = zone_nsec3_match(c->zone, a)))
		a = a->parent;
	if (!a)
		return NULL;
	put_nsec(c, m);
	const uint8_t *nc = labels_suffix(name, a->label_count + 1u);
	if (name_length(nc) > a->name_len)
		put_cover(c, nc);
	return a;
}

/* The proof that cut n has no DS (its NSEC, or NSEC3; in an NSEC3
 * opt-out span, the closest provable encloser, RFC 5155 7.2.4). */
static void put_nods(struct answer_ctx *c, const struct zone_node *n)
{
	const struct zone_node *m;

	if (!c->n3)
		put_nsec(c, n);
	else if ((m = zone_nsec3_match(c->zone, n)))
		put_nsec(c, m);
	else
		put_n3_cpe(c, n->parent, n->name);
}

/* True after the last chain link: the target's own data is still
 * answered, but no further CNAME or DNAME is put (knotd). */
static bool chain_full(const struct answer_ctx *c)
{
	return c->chain >= ANSWER_CHAIN_MAX;
}

/* --- the cases --- */

/* Data of the asked type at the node (exact or wildcard). */
static void answer_positive(struct answer_ctx *c, const struct znode_data *d,
			    const struct rrset *s)
{
	size_t at = c->r.len;

	if (put_signed(c, RENDER_ANSWER, c->sname, c->sptr, d, s,
		       RENDER_TTL_KEEP) < 0)
		return;
	addl_note(c, s, NULL, at);
	c->kind = ANSWER_KIND_POSITIVE;
}

/* The name exists (or a wildcard matched) without the type: SOA. n: the
 * node (its NSEC is the proof). */
static void answer_nodata(struct answer_ctx *c, const struct zone_node *n)
{
	c->nodata = n;
	c->kind = c->r.count[RENDER_ANSWER] ? ANSWER_KIND_POSITIVE
					    : ANSWER_KIND_NODATA;
	put_soa(c, c->zone);
}

static void answer_nxdomain(struct answer_ctx *c)
{
	c->rcode = DNS_RCODE_NXDOMAIN;
	c->kind = ANSWER_KIND_NXDOMAIN;
	set_account(c, zone_apex(c->zone));
	put_soa(c, c->zone);
}

/* The name is at or below a zone cut: NS in authority, glue in additional
 * (knotd adds no DS without DO). AA stays only on a CNAME chain's answer. */
static void answer_referral(struct answer_ctx *c, const struct zone_node *cut)
{
	const struct rrset *ns = cut ? zset(c, cut, DNS_TYPE_NS) : NULL;

	if (lv_fails_assert(ns)) { /* cannot happen in a built zone */
		c->rcode = DNS_RCODE_SERVFAIL;
		c->kind = ANSWER_KIND_ERROR;
		return;
	}
	if (c->r.count[RENDER_ANSWER] == 0) {
		c->aa = false;
		c->kind = ANSWER_KIND_REFERRAL;
	}
	set_account(c, cut->name);
	size_t at = c->r.len;
	/* the owner spells the cut: the NS names below it point there */
	render_owner_node(&c->r, cut);
	if (put_set(c, RENDER_AUTHORITY, cut->name, 0, ns, RENDER_TTL_KEEP) < 0)
		return;
	addl_note(c, ns, cut, at);
	if (!c->dnssec)
		return;
	/* RFC 4035 3.1.4: the signed DS of a secure delegation, else the
	 * proof that it has none (the cut's NSEC); TC when it does not fit */
	const struct znode_data *d = zd(c, cut);
	const struct rrset *ds = zdata_rrset(d, DNS_TYPE_DS);
	if (ds)
		put_signed(c, RENDER_AUTHORITY, cut->name, 0, d, ds,
			   RENDER_TTL_KEEP);
	else
		put_nods(c, cut);
}

/* Moves the chain to target (uncompressed wire, any case), one more link;
 * target_ptr: where the reply spells it (the CNAME's RDATA just put), so
 * the next link's owner is a pointer there, or 0.
 * Returns false when the chain stops at a name it has visited (a loop:
 * nsd and named stop there, so no record is put twice, RFC 2181 5). A
 * target outside the zone is not followed either (knotd does not follow
 * into other zones): the next step finds no node and no encloser. */
/* sname's label offsets (offs[labels]: the root's) when known without a
 * walk, or NULL. */
static const uint8_t *sname_offsets(const struct answer_ctx *c, int *labels)
{
	if (c->sname == c->q->lname) {
		*labels = c->q->labels;
		return c->q->loffs;
	}
	if (c->soffs_for == c->sname) {
		*labels = c->slabels;
		return c->soffs;
	}
	return NULL;
}

/* Makes name (lowercase, len bytes, staying valid) the next link of the
 * chain; false at a name the chain has visited. */
static bool chain_step(struct answer_ctx *c, const uint8_t *name, size_t len,
		       uint16_t target_ptr)
{
	unsigned slot = ++c->chain;

	for (unsigned i = 0; i < slot; i++)
		if (c->name_lens[i] == len && memcmp(c->names[i], name, len) == 0)
			return false;
	c->names[slot] = name;
	c->name_lens[slot] = (uint8_t)len;
	c->sname = name;
	c->sname_len = len;
	c->sptr = target_ptr;
	return true;
}

static bool chain_to(struct answer_ctx *c, const uint8_t *target,
		     uint16_t target_ptr)
{
	uint8_t *buf = c->tbuf[c->chain];
	size_t len = name_to_lower(buf, target);

	return chain_step(c, buf, len, target_ptr);
}

/* A CNAME at the node: put it and go on with its target. Returns true when
 * the chain continues. */
static bool answer_cname(struct answer_ctx *c, const struct zone_node *n)
{
	const struct znode_data *nd = zd(c, n);
	const struct rrset *cn = zdata_rrset(nd, DNS_TYPE_CNAME);

	if (chain_full(c))
		return false;
	if (put_signed(c, RENDER_ANSWER, c->sname, c->sptr, nd, cn,
		       RENDER_TTL_KEEP) < 0)
		return false;
	c->kind = ANSWER_KIND_POSITIVE;
	/* A target the zone resolved at build: its node and its name as the
	 * zone keeps it (lowercase), no fold, no lookup; a GONE one is no
	 * name of this version (the lookup below finds none). */
	if (cn->targets && cn->targets[0] &&
	    !(zd(c, cn->targets[0])->flags & ZNODE_GONE)) {
		c->snode = cn->targets[0];
		return chain_step(c, c->snode->name, c->snode->name_len,
				  c->r.rdata_name);
	}
	return chain_to(c, cn->wire + 10, c->r.rdata_name);
}

/* The DNAME node d in the answer already (a chain through the same DNAME
 * twice puts it once, as knotd): its index in dnames[], or -1. */
static int dname_index(const struct answer_ctx *c, const struct zone_node *d)
{
	for (unsigned i = 0; i < c->ndnames; i++)
		if (c->dnames[i] == d)
			return (int)i;
	return -1;
}

/* Puts the DNAME set dn of node d and remembers it with where its target
 * (literal: DNAME RDATA is never compressed) lies in the reply. Returns
 * its index in dnames[], or -1 when it did not fit. */
static int dname_put(struct answer_ctx *c, const struct zone_node *d,
		     const struct rrset *dn)
{
	size_t at = c->r.len;

	if (put_set(c, RENDER_ANSWER, d->name, 0, dn, RENDER_TTL_KEEP) < 0 ||
	    c->ndnames >= ANSWER_CHAIN_MAX + 1)
		return -1;
	/* its RRSIGs after it (the target's offset is the DNAME's own) */
	const struct rrset *g = c->dnssec ? znode_sigs(zd(c, d), dn) : NULL;
	size_t dn_at = at;
	if (g && put_set(c, RENDER_ANSWER, d->name, 0, g, g->ttl) < 0)
		return -1;
	at = dn_at;
	/* the record as rendered: owner, TYPE CLASS TTL RDLENGTH, target */
	uint16_t t = 0;
	if (wire_skip_name(c->r.buf, c->r.len, &at) && at + 10 < DNS_PTR_LIMIT)
		t = (uint16_t)(at + 10);
	c->dnames[c->ndnames] = d;
	c->dname_targets[c->ndnames] = t;
	return (int)c->ndnames++;
}

/* The label offsets of buf, the substitution of sname below DNAME node d
 * (its first plen bytes are sname's), from sname's when known: sname's
 * for the prefix, then a walk of the DNAME's target only. Leaves them in
 * soffs for buf; nothing when sname's are unknown. */
static void dname_offsets(struct answer_ctx *c, const struct zone_node *d,
			  size_t plen, const uint8_t *buf)
{
	int nl;
	const uint8_t *offs = sname_offsets(c, &nl);
	uint8_t tmp[NAME_MAX_LABELS + 1];
	int k = 0;

	c->soffs_for = NULL;
	if (!offs)
		return;
	for (; k < nl - d->label_count; k++)
		tmp[k] = offs[k];
	for (size_t o = plen; buf[o]; o += 1u + buf[o])
		tmp[k++] = (uint8_t)o;
	tmp[k] = (uint8_t)(plen + name_length(buf + plen) - 1);
	memcpy(c->soffs, tmp, (size_t)k + 1);
	c->slabels = (uint8_t)k;
	c->soffs_for = buf;
}

/* sname lies below a DNAME at or above ce (RFC 6672 2.2): the DNAME, then a
 * CNAME synthesised from it (TTL of the DNAME), then the target. Returns
 * true when the chain continues. */
static bool answer_dname(struct answer_ctx *c, const struct zone_node *ce)
{
	const struct zone_node *d = ce;
	while (d && !(zd(c, d)->flags & ZNODE_DNAME))
		d = d->parent;
	const struct rrset *dn = d ? zset(c, d, DNS_TYPE_DNAME) : NULL;
	if (lv_fails_assert(dn)) {
		c->rcode = DNS_RCODE_SERVFAIL;
		c->kind = ANSWER_KIND_ERROR;
		return false;
	}
	if (chain_full(c))
		return false;
	set_account(c, d->name);
	int di = dname_index(c, d);
	if (di < 0 && (di = dname_put(c, d, dn)) < 0)
		return false;
	c->kind = ANSWER_KIND_POSITIVE;

	const uint8_t *target = dn->wire + 10;
	size_t tlen = name_length(target);
	size_t plen = c->sname_len - d->name_len;
	if (plen + tlen > NAME_MAX_LEN) {
		c->rcode = DNS_RCODE_YXDOMAIN;
		return false;
	}
	/* The synthesised CNAME: the prefix, then a pointer to the DNAME's
	 * target (no compression search); the general way when that cannot
	 * be (the target past 16 KiB, or no owner pointer). */
	uint16_t tptr = c->dname_targets[di];
	if (!c->done && c->r.len + 16 + plen <= c->r.limit &&
	    render_cname_prefixed(&c->r, RENDER_ANSWER, c->sptr, dn->ttl,
				  c->sname, plen, tptr) == 0) {
		if (c->q->qtype == DNS_TYPE_CNAME)
			return false;
		/* The next name: the prefix (lowercase already) and the
		 * DNAME's target folded: no walk of the whole name. */
		uint8_t *buf = c->tbuf[c->chain];
		memcpy(buf, c->sname, plen);
		name_lower_bytes(buf + plen, target, tlen);
		dname_offsets(c, d, plen, buf);
		return chain_step(c, buf, plen + tlen, c->r.rdata_name);
	}
	/* The synthesised CNAME, as one record in wire form. */
	uint8_t rec[10 + NAME_MAX_LEN];
	wire_write_u16(rec, DNS_TYPE_CNAME);
	wire_write_u16(rec + 2, DNS_CLASS_IN);
	wire_write_u32(rec + 4, dn->ttl);
	wire_write_u16(rec + 8, (uint16_t)(plen + tlen));
	memcpy(rec + 10, c->sname, plen);
	memcpy(rec + 10 + plen, target, tlen);
	struct rrset syn = {
		.type = DNS_TYPE_CNAME, .rr_count = 1, .ttl = dn->ttl,
		.wire_len = (uint32_t)(10 + plen + tlen), .wire = rec,
	};
	if (put_set(c, RENDER_ANSWER, c->sname, c->sptr, &syn, RENDER_TTL_KEEP) < 0)
		return false;
	/* knotd does not follow the synthesised CNAME for a CNAME query */
	if (c->q->qtype == DNS_TYPE_CNAME)
		return false;
	return chain_to(c, rec + 10, c->r.rdata_name);
}

/* The node's data for the question: ANY, the type, a CNAME, or NODATA.
 * Returns true when a CNAME chain continues. */
static bool answer_node(struct answer_ctx *c, const struct zone_node *n)
{
	uint16_t qt = c->q->qtype;
	const struct znode_data *d = zd(c, n);

	if (qt == DNS_TYPE_ANY) {
		/* RFC 8482: one RRset (knotd: the first by type, not followed;
		 * over TCP as well). */
		if (d->rrset_count > 0)
			answer_positive(c, d, &d->rrsets[0]);
		else
			answer_nodata(c, n);
		return false;
	}
	if (qt == DNS_TYPE_RRSIG && (d->flags & ZNODE_SIGNED)) {
		/* knotd: the RRSIGs of the first signed set by type, with
		 * that set's TTL (a minimal answer, like ANY) */
		for (uint16_t i = 0; i < d->rrset_count; i++) {
			const struct rrset *g = znode_sigs(d, &d->rrsets[i]);
			if (!g)
				continue;
			if (put_set(c, RENDER_ANSWER, c->sname, c->sptr, g,
				    g->ttl) == 0)
				c->kind = ANSWER_KIND_POSITIVE;
			return false;
		}
	}
	const struct rrset *s = zdata_rrset(d, qt);
	if (s) {
		answer_positive(c, d, s);
		return false;
	}
	if ((d->flags & ZNODE_CNAME) && qt != DNS_TYPE_RRSIG &&
	    qt != DNS_TYPE_NSEC)
		return answer_cname(c, n);
	answer_nodata(c, n);
	return false;
}

/* Tells the renderer that the question spells node n (the qname's node
 * or its closest encloser) and so each of its ancestors: names of those
 * nodes in the answer become pointers there (render.h). O(1). */
static void hint_chain(struct answer_ctx *c, const struct zone_node *n)
{
	if (c->sname == c->q->lname)
		render_qname_node(&c->r, n);
}

/* Resolves c->sname in c->zone, following CNAMEs and DNAMEs inside it:
 * at most ANSWER_CHAIN_MAX links, then the last target's own data. */
static void answer_internet_name(struct answer_ctx *c)
{
	const struct zone *z = c->zone;
	uint16_t qt = c->q->qtype;

	for (unsigned step = 0; step <= ANSWER_CHAIN_MAX && !c->done; step++) {
		const struct zone_node *n = c->snode ? c->snode :
			zone_find(z, c->sname, c->sname_len);
		const struct zone_node *hidden = NULL;
		c->snode = NULL;
		/* an NSEC3 owner is no name of the zone (RFC 5155 7.2.8):
		 * answered as a name that does not exist below the apex */
		if (n && zone_nsec3_owner(z, n)) {
			hidden = n->parent;
			n = NULL;
		}
		if (n && c->sptr)
			hint_chain(c, n);
		if (n) {
			uint16_t f = zd(c, n)->flags;
			if (f & ZNODE_NONAUTH) {
				answer_referral(c, znode_cut(n, c->gen));
				return;
			}
			if ((f & ZNODE_DELEGATION) && qt != DNS_TYPE_DS) {
				answer_referral(c, n);
				return;
			}
			if (f & ZNODE_UNDER_DNAME) {
				if (!answer_dname(c, n))
					return;
				continue;
			}
			set_account(c, n->name);
			if (!answer_node(c, n))
				return;
			continue;
		}
		/* the labels of the qname (the parser's) and of a DNAME
		 * substitution's result are known: no walk of the name */
		int nl;
		const uint8_t *offs = sname_offsets(c, &nl);
		const struct zone_node *ce = hidden ? hidden : offs ?
			zone_closest_encloser_labels(z, c->sname, offs, nl) :
			zone_closest_encloser(z, c->sname);
		if (ce && zone_nsec3_owner(z, ce))
			ce = ce->parent;
		if (ce && c->sname == c->q->lname)
			hint_chain(c, ce);
		if (!ce)
			return;   /* a chain's target outside the zone */
		const struct znode_data *ced = zd(c, ce);
		if (ced->flags & (ZNODE_DELEGATION | ZNODE_NONAUTH)) {
			answer_referral(c, znode_cut(ce, c->gen));
			return;
		}
		if (ced->flags & (ZNODE_DNAME | ZNODE_UNDER_DNAME)) {
			if (!answer_dname(c, ce))
				return;
			continue;
		}
		if (ced->wildcard_child) {
			/* RFC 4592: the closest encloser's "*" answers, with
			 * the owner rewritten to the name asked. */
			set_account(c, ced->wildcard_child->name);
			if (c->nwild <= ANSWER_CHAIN_MAX) {
				c->wildn[c->nwild] = ced->wildcard_child;
				c->wild[c->nwild++] = c->sname;
			}
			if (!answer_node(c, ced->wildcard_child))
				return;
			continue;
		}
		c->ce = ce;
		answer_nxdomain(c);
		return;
	}
}

/* The NSEC proofs of the answer (RFC 4035 3.1.3), in authority after the
 * SOA: NXDOMAIN, the NSEC covering the name and the one covering the
 * wildcard at its closest encloser; NODATA, the node's own NSEC (an empty
 * non-terminal has none: the covering one, whose next name lies below
 * it); every wildcard answer, the NSEC covering the name it answered
 * (the name itself does not exist). At most ANSWER_NSEC_MAX sets, each a
 * binary search. */
static void answer_dnssec_proofs(struct answer_ctx *c)
{
	if (c->rcode == DNS_RCODE_NXDOMAIN && c->ce) {
		uint8_t wc[NAME_MAX_LEN + 1];
		const struct zone_node *ce = c->ce;

		if (c->n3)    /* RFC 5155 7.2.2 */
			ce = put_n3_cpe(c, ce, c->sname);
		else
			put_cover(c, c->sname);
		if (!ce)
			return;
		/* *.ce: ce is a proper ancestor of sname, so it fits */
		wc[0] = 1;
		wc[1] = '*';
		memcpy(wc + 2, ce->name, ce->name_len);
		put_cover(c, wc);
	} else if (c->nodata && c->rcode == DNS_RCODE_NOERROR) {
		const struct zone_node *n = c->nodata;
		if (c->n3) {
			/* RFC 5155 7.2.3-7.2.5: the name's NSEC3 (a wildcard's
			 * with its encloser's; the next closer's cover comes
			 * with the wildcard below), else (opt-out) the
			 * closest provable encloser */
			if (c->nwild && c->wildn[c->nwild - 1] == n)
				put_nsec(c, zone_nsec3_match(c->zone, n->parent));
			put_nods(c, n);
		} else if (zset(c, n, DNS_TYPE_NSEC)) {
			put_nsec(c, n);
		} else {
			put_cover(c, n->name);
		}
	}
	/* wildcard answers: NSEC, the cover of the name; NSEC3, of the next
	 * closer name below the wildcard's encloser (RFC 5155 7.2.6) */
	for (unsigned i = 0; i < c->nwild; i++)
		put_cover(c, c->n3 ? labels_suffix(c->wild[i],
						 c->wildn[i]->label_count)
				   : c->wild[i]);
}

/* A/AAAA for the targets of the NS, MX and SRV sets put in the answer or
 * authority, when the target is a node of the zone (resolved when the zone
 * was built: rrset targets). Left out when they do not fit, except glue below
 * a referral's cut (RFC 9471): then TC. The owner of each is a pointer to
 * the target as the set's record spells it in the reply, found by stepping
 * over the records just rendered: no lookup, no compression search. Work:
 * one step per record of the noted sets, one render per A/AAAA set; stops
 * when nothing more can fit. */
static void answer_additional(struct answer_ctx *c)
{
	static const uint16_t types[2] = { DNS_TYPE_A, DNS_TYPE_AAAA };
	const struct zone_node *seen[ANSWER_ADDL_NODES];
	unsigned nseen = 0;

	for (unsigned i = 0; i < c->naddl && !c->done; i++) {
		const struct addl_item *it = &c->addl[i];
		const uint8_t *p = it->set->wire;
		size_t skip = it->set->type == DNS_TYPE_MX ? 2 :
			      it->set->type == DNS_TYPE_SRV ? 6 : 0;
		size_t out = it->at;     /* the record as rendered */
		for (unsigned k = 0; k < it->set->rr_count; k++) {
			size_t rdlen = wire_read_u16(p + 8);
			const uint8_t *target = p + 10 + skip;
			const struct zone_node *n = it->set->targets[k];
			uint16_t tptr;
			p += 10 + rdlen;
			if (lv_fails_assert(wire_skip_name(c->r.buf, c->r.len,
							   &out) &&
					    out + 10 <= c->r.len))
				return;
			tptr = render_target_of(&c->r, out + 10 + skip);
			out += 10 + wire_read_u16(c->r.buf + out + 8);
			if (c->r.len + ANSWER_MIN_RR > c->r.limit && !it->cut)
				return;   /* full: nothing more would fit */
			if (!n)
				continue;
			bool dup = false;
			for (unsigned j = 0; j < nseen; j++)
				dup |= seen[j] == n;
			if (dup)
				continue;
			if (nseen < ANSWER_ADDL_NODES)
				seen[nseen++] = n;
			bool required = it->cut && zone_node_within(n, it->cut);
			const struct znode_data *nd = zd(c, n);
			for (unsigned t = 0; t < 2; t++) {
				const struct rrset *s = zdata_rrset(nd, types[t]);
				const struct rrset *g = c->dnssec ?
					znode_sigs(nd, s) : NULL;
				if (!s)
					continue;
				/* a signed set goes in only with its RRSIGs:
				 * both when the bound on their size (owners
				 * of at most 255 bytes) fits, else neither
				 * (glue, required, is never signed) */
				if (g && c->r.len + s->wire_len + g->wire_len +
					 (size_t)(s->rr_count + g->rr_count) *
					 (tptr ? 2 : 255) > c->r.limit)
					continue;
				if (render_rrset(&c->r, RENDER_ADDITIONAL, target,
						 (uint16_t)tptr, s,
						 RENDER_TTL_KEEP) < 0) {
					/* knotd keeps what fits, goes on with
					 * smaller sets, and sets TC */
					if (required)
						c->tc = true;
					continue;
				}
				if (g)
					render_rrset(&c->r, RENDER_ADDITIONAL,
						     target, (uint16_t)tptr, g,
						     g->ttl);
			}
		}
	}
}

static void answer_internet(struct answer_ctx *c)
{
	uint16_t qt = c->q->qtype;
	unsigned serve;
	const struct zone *z = c->db ? zdb_find_labels(c->db, c->q->lname,
						      c->q->loffs,
						      c->q->labels) : NULL;

	if (!z) {
		c->rcode = DNS_RCODE_REFUSED;
		c->kind = ANSWER_KIND_ERROR;
		return;
	}
	if ((serve = zone_serve_state(z))) {
		if (serve & ZONE_SERVE_EXPIRED) { /* past expire (knotd) */
			c->rcode = DNS_RCODE_SERVFAIL;
			c->ede = DNS_EDE_INVALID_DATA;
			c->kind = ANSWER_KIND_ERROR;
			return;
		}
		/* a catalog: its SOA only (zone_set_hidden); a DS at its
		 * apex is its parent's, when served (below) */
		bool apex = c->q->qname_len == name_length(zone_apex(z));

		if (!apex || (qt != DNS_TYPE_SOA && (qt != DNS_TYPE_DS ||
						     !zdb_find_parent(c->db,
								      z)))) {
			c->rcode = DNS_RCODE_REFUSED;
			c->kind = ANSWER_KIND_ERROR;
			return;
		}
	}
	/* DS at a cut is the parent's data (RFC 4035 3.1.4.1). */
	if (qt == DNS_TYPE_DS && c->q->qname_len == name_length(zone_apex(z))) {
		const struct zone *parent = zdb_find_parent(c->db, z);
		if (parent)
			z = parent;
	}
	c->zone = z;
	c->gen = zone_gen(z);
	c->aa = true;
	c->names[0] = c->q->lname;
	c->name_lens[0] = c->q->qname_len;
	c->sname = c->q->lname;
	c->sname_len = c->q->qname_len;
	c->sptr = DNS_HDR_LEN;
	/* do_bit is written only when the query has an OPT */
	c->dnssec = c->q->edns.present && c->q->edns.do_bit &&
		    (zd(c, zone_apex_node(z))->flags & ZNODE_SIGNED);
	c->n3 = c->dnssec && !zset(c, zone_apex_node(z), DNS_TYPE_NSEC) &&
		zone_nsec3_iterations(z) >= 0;
	answer_internet_name(c);
	if (c->dnssec && !c->done && c->kind != ANSWER_KIND_ERROR)
		answer_dnssec_proofs(c);
	if (!c->done)
		answer_additional(c);
}

/* CH TXT id.server / hostname.bind / version.bind / version.server, TTL 0,
 * AA clear (as knotd); anything else in CH is REFUSED. */
static void answer_chaos(struct answer_ctx *c)
{
	static const uint8_t id_server[] = "\x02id\x06server";
	static const uint8_t hostname_bind[] = "\x08hostname\x04" "bind";
	static const uint8_t version_bind[] = "\x07version\x04" "bind";
	static const uint8_t version_server[] = "\x07version\x06server";
	const uint8_t *l = c->q->lname;
	size_t n = c->q->qname_len;
	const char *text = NULL;
	const uint8_t *acc = NULL;

#define IS(x) (n == sizeof(x) && memcmp(l, x, n) == 0)
	if (c->q->qtype == DNS_TYPE_TXT) {
		if (IS(id_server) || IS(hostname_bind)) {
			text = c->cfg->id_server;
			acc = IS(id_server) ? id_server : hostname_bind;
		} else if (IS(version_bind) || IS(version_server)) {
			text = c->cfg->version;
			acc = IS(version_bind) ? version_bind : version_server;
		}
	}
#undef IS
	if (!text) {
		c->rcode = DNS_RCODE_REFUSED;
		c->kind = ANSWER_KIND_ERROR;
		return;
	}
	size_t tl = strlen(text);
	if (tl > 255)
		tl = 255;
	uint8_t rec[10 + 256];
	wire_write_u16(rec, DNS_TYPE_TXT);
	wire_write_u16(rec + 2, DNS_CLASS_CH);
	wire_write_u32(rec + 4, 0);
	wire_write_u16(rec + 8, (uint16_t)(tl + 1));
	rec[10] = (uint8_t)tl;
	memcpy(rec + 11, text, tl);
	struct rrset s = { .type = DNS_TYPE_TXT, .rr_count = 1, .ttl = 0,
			   .wire_len = (uint32_t)(11 + tl), .wire = rec };
	c->account = acc;
	c->kind = ANSWER_KIND_POSITIVE;
	put_set(c, RENDER_ANSWER, NULL, DNS_HDR_LEN, &s, RENDER_TTL_KEEP);
}

/* --- the reply --- */

size_t answer_reply_limit(const struct answer_config *cfg,
			  const struct answer_request *req)
{
	size_t cap = req->resp_cap > 65535 ? 65535 : req->resp_cap;
	if (req->tcp)
		return cap;
	size_t lim = DNS_UDP_MIN;
	if (req->q.edns.present) {
		lim = req->q.edns.udp_size < DNS_UDP_MIN ? DNS_UDP_MIN
							 : req->q.edns.udp_size;
		if (lim > cfg->udp_max)
			lim = cfg->udp_max;
		if (lim < DNS_UDP_MIN)
			lim = DNS_UDP_MIN;
	}
	return lim < cap ? lim : cap;
}

static size_t reply_limit(const struct answer_ctx *c)
{
	return answer_reply_limit(c->cfg, c->req);
}

/* Takes the room of the TSIG record (req->tsig_reserve) off the reply's
 * limit, so every later size check keeps it free. It fits beside header,
 * question and the OPT without NSID whenever the record is signed (<= 189
 * bytes, tsig.h: 271 + 45 + 189 <= 512); an unsigned echo of long names
 * that does not is left out (tsig_reserve 0). */
static void reply_reserve_tsig(struct answer_ctx *c, struct answer_request *req,
			       size_t qend)
{
	size_t opt = edns_reply_size(&req->q.edns, c->cfg, req->tcp, false, -1);

	if (qend + opt + req->tsig_reserve > c->limit)
		req->tsig_reserve = 0;
	else
		c->limit -= req->tsig_reserve;
}

/* Starts a reply: header and question (when with_question) copied byte
 * for byte, the OPT reserved (RFC 6891 7: header, question and OPT with
 * its cookie always fit; NSID only when it fits too), the sections limited
 * to what is left. */
static void reply_start(struct answer_ctx *c, struct answer_request *req,
			const struct answer_config *cfg, bool with_question)
{
	size_t qend = with_question ? req->q.question_end : DNS_HDR_LEN;

	c->cfg = cfg;
	c->req = req;
	c->q = &req->q;
	c->db = NULL;
	c->rcode = DNS_RCODE_NOERROR;
	c->aa = c->tc = c->done = false;
	c->kind = ANSWER_KIND_ERROR;
	c->ede = -1;
	c->zone = NULL;
	c->account = NULL;
	c->snode = NULL;
	c->soffs_for = NULL;
	c->chain = c->ndnames = c->naddl = 0;
	c->dnssec = false;
	c->ce = c->nodata = NULL;
	c->nwild = c->nnsec = c->nhash = 0;
	c->n3 = false;
	memcpy(req->resp, req->query, qend);
	req->question_end = qend;
	c->limit = reply_limit(c);
	c->nsid = true;
	if (req->tsig_reserve)
		reply_reserve_tsig(c, req, qend);
	c->opt_len = edns_reply_size(&req->q.edns, cfg, req->tcp, true, -1);
	if (qend + c->opt_len > c->limit) {
		c->nsid = false;
		c->opt_len = edns_reply_size(&req->q.edns, cfg, req->tcp,
					     false, -1);
	}
	/* qend + opt_len <= limit now: qend <= 271, opt_len <= 11 + 28 + 6
	 * + 8 (EXPIRE) without NSID, limit >= 512 (or, with a TSIG reserved, the
	 * reserve took only what left that much). */
	lv_require(qend + c->opt_len <= c->limit);
	render_init(&c->r, req->resp, qend, c->limit - c->opt_len);
	if (with_question && req->parse == WIRE_OK)
		render_qname_labels(&c->r, req->q.loffs, req->q.labels);
}

/* Writes the header counts and flags and the OPT, and fills the outputs. */
static void reply_finish(struct answer_ctx *c)
{
	struct answer_request *req = c->req;
	uint8_t *h = req->resp;
	/* RD and the opcode are copied; CD is not: an authoritative server
	 * that does no DNSSEC validation clears it, as knotd and nsd do. */
	uint16_t flags = DNS_QR | (c->q->flags & (DNS_OPCODE_MASK | DNS_RD));

	if (c->rcode == DNS_RCODE_REFUSED)
		c->ede = DNS_EDE_NOT_AUTH;
	if (c->aa && c->rcode != DNS_RCODE_REFUSED)
		flags |= DNS_AA;
	if (c->tc)
		flags |= DNS_TC;
	flags |= c->rcode & DNS_RCODE_MASK;
	wire_write_u16(h + DNS_HDR_FLAGS, flags);
	wire_write_u16(h + DNS_HDR_QDCOUNT,
		       req->question_end > DNS_HDR_LEN ? 1 : 0);
	wire_write_u16(h + DNS_HDR_ANCOUNT, c->r.count[RENDER_ANSWER]);
	wire_write_u16(h + DNS_HDR_NSCOUNT, c->r.count[RENDER_AUTHORITY]);
	size_t len = c->r.len;
	uint16_t ar = c->r.count[RENDER_ADDITIONAL];
	req->opt_off = 0;
	/* RFC 7314: an SOA answer from a zone says what it has left */
	if (c->q->edns.present && c->q->edns.expire && c->zone &&
	    c->q->qtype == DNS_TYPE_SOA &&
	    c->rcode == DNS_RCODE_NOERROR && c->aa) {
		req->q.edns.reply_expire = true;
		req->q.edns.reply_expire_s =
			zone_expire_remaining(c->zone, req->now);
	}
	if (c->q->edns.present) {
		/* EDE only into room the sections left over. */
		int ede = c->ede;
		if (ede >= 0 && len + edns_reply_size(&c->q->edns, c->cfg,
						      req->tcp, c->nsid, ede) >
				c->limit)
			ede = -1;
		req->opt_off = len;
		len += edns_write(h + len, &c->q->edns, c->cfg, req->tcp,
				  c->rcode, c->nsid, ede);
		ar++;
	}
	wire_write_u16(h + DNS_HDR_ARCOUNT, ar);
	/* Past the buffer, memory is corrupt: stop. Past the client's size,
	 * a bug to count: a SERVFAIL instead. */
	lv_require(len <= req->resp_cap);
	if (lv_fails_assert(len <= c->limit)) {
		wire_write_u16(h + DNS_HDR_FLAGS, (uint16_t)(DNS_QR |
			       (c->q->flags & (DNS_OPCODE_MASK | DNS_RD)) |
			       DNS_RCODE_SERVFAIL));
		memset(h + DNS_HDR_ANCOUNT, 0, 6);
		len = req->question_end;
		req->opt_off = 0;
		c->rcode = DNS_RCODE_SERVFAIL;
		c->kind = ANSWER_KIND_ERROR;
		c->tc = false;
	}
	req->resp_len = len;
	req->rcode = c->rcode;
	req->kind = c->kind;
	req->truncated = c->tc;
	req->zone = c->zone;
	req->account_name = c->kind == ANSWER_KIND_ERROR ? NULL : c->account;
}

/* --- entry points --- */

int answer_parse(const struct answer_config *cfg, struct answer_request *req)
{
	struct edns_query *e = &req->q.edns;
	const struct cookie_ctx *ctx = cfg->cookies;
	int st;

	req->resp_len = 0;
	req->rcode = 0;
	req->kind = ANSWER_KIND_ERROR;
	req->truncated = false;
	req->cookie = COOKIE_OFF;
	req->tsig_reserve = 0;
	req->opt_off = 0;
	req->question_end = DNS_HDR_LEN;
	req->zone = NULL;
	req->account_name = NULL;
	st = wire_parse_query(req->query, req->query_len, &req->q);
	req->parse = (uint8_t)st;
	e->reply_cookie_len = 0;   /* the parser sets it only with an OPT */
	if (st == WIRE_DROP || req->resp_cap < DNS_UDP_MIN) {
		req->parse = WIRE_DROP;
		return WIRE_DROP;
	}
	/* The reply's OPT size depends on the cookie: classified now. */
	if (!ctx || !req->client)
		return st;
	if (!e->present || e->cookie_len == 0) {
		req->cookie = COOKIE_NONE;
		return st;
	}
	if (e->cookie_bad)
		return st;   /* FORMERR, no cookie in it */
	int cs = cookie_check(ctx, req->client, e->cookie, e->cookie_len,
			      req->now, e->reply_cookie);
	if (cs != COOKIE_OFF) {
		e->reply_cookie_len = COOKIE_REPLY_LEN;
		req->cookie = (uint8_t)cs;
	}
	return st;
}

/* The question is echoed when it was parsed. */
static bool has_question(const struct answer_request *req)
{
	return req->parse == WIRE_OK || req->parse == WIRE_FORMERR;
}

void answer_query(const struct zdb *db, const struct answer_config *cfg,
		  struct answer_request *req)
{
	struct answer_ctx c;

	reply_start(&c, req, cfg, true);
	c.db = db;
	if (c.q->qclass == DNS_CLASS_IN || c.q->qclass == DNS_CLASS_ANY)
		answer_internet(&c);              /* knotd treats ANY as IN */
	else if (c.q->qclass == DNS_CLASS_CH)
		answer_chaos(&c);
	else
		c.rcode = DNS_RCODE_REFUSED;
	reply_finish(&c);
}

void answer_error_ede(const struct answer_config *cfg,
		      struct answer_request *req, uint16_t rcode, int ede)
{
	struct answer_ctx c;

	reply_start(&c, req, cfg, has_question(req));
	c.rcode = rcode;
	c.ede = ede;
	reply_finish(&c);
}

void answer_error(const struct answer_config *cfg, struct answer_request *req,
		  uint16_t rcode)
{
	answer_error_ede(cfg, req, rcode, -1);
}

void answer_challenge(const struct answer_config *cfg,
		      struct answer_request *req)
{
	struct answer_ctx c;

	reply_start(&c, req, cfg, has_question(req));
	if (req->q.edns.reply_cookie_len)
		c.rcode = DNS_RCODE_BADCOOKIE;
	else
		c.tc = true;
	reply_finish(&c);
}

/* Moves the OPT of the finished reply right after the question, empties
 * the sections and sets rcode and flags (the header's 4 bits, the OPT's
 * extended bits). */
static void reply_rewrite(struct answer_request *req, bool tc)
{
	uint8_t *h = req->resp;
	size_t qend = req->question_end, optlen = 0;

	if (req->opt_off) {
		optlen = req->resp_len - req->opt_off;
		memmove(h + qend, h + req->opt_off, optlen);
		h[qend + 5] = (uint8_t)(req->rcode >> 4);
		req->opt_off = qend;
	}
	h[3] = (uint8_t)((h[3] & ~DNS_RCODE_MASK) |
			 (req->rcode & DNS_RCODE_MASK));
	if (tc)
		h[2] |= (uint8_t)(DNS_TC >> 8);   /* the slip keeps AA */
	else
		h[2] &= (uint8_t)~((DNS_AA | DNS_TC) >> 8);
	wire_write_u16(h + DNS_HDR_ANCOUNT, 0);
	wire_write_u16(h + DNS_HDR_NSCOUNT, 0);
	wire_write_u16(h + DNS_HDR_ARCOUNT, optlen ? 1 : 0);
	req->resp_len = qend + optlen;
	req->truncated = tc;
}

void answer_slip(struct answer_request *req)
{
	/* The rcode stays (an NXDOMAIN slips as a truncated NXDOMAIN). */
	reply_rewrite(req, true);
}

int answer_badcookie(struct answer_request *req)
{
	if ((req->cookie != COOKIE_CLIENT_ONLY &&
	     req->cookie != COOKIE_INVALID) || !req->opt_off ||
	    !req->q.edns.reply_cookie_len)
		return -1;
	req->rcode = DNS_RCODE_BADCOOKIE;
	reply_rewrite(req, false);
	req->kind = ANSWER_KIND_ERROR;
	req->account_name = NULL;
	return 0;
}
