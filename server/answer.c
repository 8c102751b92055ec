/* answer.c -- answer synthesis: one function per answer case.
 *
 * answer_query() parses the query (wire.c, edns.c), sorts it into a case and
 * hands it to one function: answer_error() for FORMERR, NOTIMP, NOTAUTH,
 * REFUSED and BADVERS, answer_chaos() for CH TXT server identity, and for
 * class IN answer_internet(), which resolves the name in its zone and walks
 * RFC 1034 4.3.2 step by step: answer_positive(), answer_nodata(),
 * answer_nxdomain(), answer_referral(), answer_cname() and answer_dname()
 * (RFC 6672), wildcards per RFC 4592 and ANY per RFC 8482. Additional
 * records (A/AAAA of NS, MX and SRV targets in the zone) come last, in
 * answer_additional(). Where the RFCs leave a choice we answer as knotd 3.2
 * does, so system tests can diff the two; the comment at each case says
 * what knotd does.
 *
 * DNS Cookies (RFC 7873): answer_cookie() classifies the query's COOKIE
 * option with ratelimit/cookie.c before the reply is started (the reply's
 * OPT size depends on it); when cookies are required, a UDP query without
 * a valid server cookie gets BADCOOKIE or TC instead of its answer
 * (answer_cookie_required()). answer_badcookie() turns a finished reply
 * into BADCOOKIE for the RRL slip.
 *
 * Everything lives in one struct answer_ctx on the stack: the parsed query,
 * the render state and the names of a CNAME chain. The zone snapshot and the
 * config are only read. The reply is written straight into req->resp; the
 * OPT record's room is reserved before any section is rendered, so adding it
 * last never fails. Work: bounded by the query length and by the records of
 * at most ANSWER_CHAIN_MAX + 1 names plus their additional records.
 */
#include <string.h>

#include "server/answer.h"
#include "common/dns.h"
#include "ratelimit/cookie.h"
#include "server/edns.h"
#include "server/render.h"
#include "server/wire.h"
#include "common/name.h"
#include "zones/zdb.h"
#include "zones/zone.h"

/* knotd puts at most five CNAMEs (followed or synthesised) in one answer. */
#define ANSWER_CHAIN_MAX 5
#define ANSWER_ADDL_MAX 8   /* RRsets whose targets get additional records */
#define ANSWER_ADDL_NODES 16





struct addl_item {
	const struct rrset *set;
	const struct zone *zone;
	const struct zone_node *cut; /* referral: glue below it is required */
};

struct answer_ctx {
	const struct zdb *db;
	const struct answer_config *cfg;
	struct answer_request *req;
	struct wire_query q;
	struct render r;
	uint16_t rcode;
	bool aa;
	bool tc;
	bool done;                 /* truncated: render nothing more */
	uint8_t kind;
	int ede;
	const struct zone *zone;
	const uint8_t *account;
	/* the name being resolved: lowercase; its owner pointer or 0 */
	const uint8_t *sname;
	size_t sname_len;
	uint16_t sptr;
	unsigned chain;            /* CNAMEs put so far */
	const struct zone_node *visited[ANSWER_CHAIN_MAX + 1];
	unsigned nvisited;
	unsigned naddl;
	struct addl_item addl[ANSWER_ADDL_MAX];
	uint8_t names[2][NAME_MAX_LEN + 1]; /* chain targets, alternating */
};

/* --- helpers --- */

/* TC: drop every section after the question, as knotd does. */
static void answer_truncate(struct answer_ctx *c)
{
	render_truncate(&c->r, c->q.question_end);
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

static void addl_note(struct answer_ctx *c, const struct rrset *s,
		      const struct zone *z, const struct zone_node *cut)
{
	if ((s->type == DNS_TYPE_NS || s->type == DNS_TYPE_MX || s->type == DNS_TYPE_SRV) &&
	    c->naddl < ANSWER_ADDL_MAX)
		c->addl[c->naddl++] = (struct addl_item){ s, z, cut };
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
	put_set(c, RENDER_AUTHORITY, zone_apex(z), 0, soa, ttl);
}

static void set_account(struct answer_ctx *c, const uint8_t *name)
{
	if (!c->account)
		c->account = name;
}

/* --- the cases --- */

/* Data of the asked type at the node (exact or wildcard). */
static void answer_positive(struct answer_ctx *c, const struct rrset *s)
{
	if (put_set(c, RENDER_ANSWER, c->sname, c->sptr, s, RENDER_TTL_KEEP) < 0)
		return;
	addl_note(c, s, c->zone, NULL);
	c->kind = ANSWER_KIND_POSITIVE;
}

/* The name exists (or a wildcard matched) without the type: SOA. */
static void answer_nodata(struct answer_ctx *c)
{
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
	const struct rrset *ns = cut ? znode_rrset(cut, DNS_TYPE_NS) : NULL;

	if (!ns) { /* cannot happen in a built zone */
		c->rcode = DNS_RCODE_SERVFAIL;
		c->kind = ANSWER_KIND_ERROR;
		return;
	}
	if (c->r.count[RENDER_ANSWER] == 0) {
		c->aa = false;
		c->kind = ANSWER_KIND_REFERRAL;
	}
	set_account(c, cut->name);
	if (put_set(c, RENDER_AUTHORITY, cut->name, 0, ns, RENDER_TTL_KEEP) < 0)
		return;
	addl_note(c, ns, c->zone, cut);
}

/* Moves the chain to target (uncompressed wire, any case). Returns false
 * when the chain stops there: outside the zone (knotd does not follow into
 * other zones). */
static bool chain_to(struct answer_ctx *c, const uint8_t *target)
{
	uint8_t *buf = c->names[c->chain & 1];
	size_t len = name_to_lower(buf, target);

	if (!name_is_below_or_equal(buf, zone_apex(c->zone)))
		return false;
	c->sname = buf;
	c->sname_len = len;
	c->sptr = 0;
	return true;
}

/* A CNAME at the node: put it and go on with its target. Returns true when
 * the chain continues. */
static bool answer_cname(struct answer_ctx *c, const struct zone_node *n)
{
	const struct rrset *cn = znode_rrset(n, DNS_TYPE_CNAME);

	/* A loop: knotd stops when the CNAME is in the answer already. */
	for (unsigned i = 0; i < c->nvisited; i++)
		if (c->visited[i] == n)
			return false;
	if (c->nvisited <= ANSWER_CHAIN_MAX)
		c->visited[c->nvisited++] = n;
	if (put_set(c, RENDER_ANSWER, c->sname, c->sptr, cn, RENDER_TTL_KEEP) < 0)
		return false;
	c->kind = ANSWER_KIND_POSITIVE;
	if (++c->chain >= ANSWER_CHAIN_MAX)
		return false;
	return chain_to(c, cn->wire + 10);
}

/* sname lies below a DNAME at or above ce (RFC 6672 2.2): the DNAME, then a
 * CNAME synthesised from it (TTL of the DNAME), then the target. Returns
 * true when the chain continues. */
static bool answer_dname(struct answer_ctx *c, const struct zone_node *ce)
{
	const struct zone_node *d = ce;
	while (d && !(d->flags & ZNODE_DNAME))
		d = d->parent;
	const struct rrset *dn = d ? znode_rrset(d, DNS_TYPE_DNAME) : NULL;
	if (!dn) {
		c->rcode = DNS_RCODE_SERVFAIL;
		c->kind = ANSWER_KIND_ERROR;
		return false;
	}
	set_account(c, d->name);
	if (put_set(c, RENDER_ANSWER, d->name, 0, dn, RENDER_TTL_KEEP) < 0)
		return false;
	c->kind = ANSWER_KIND_POSITIVE;

	const uint8_t *target = dn->wire + 10;
	size_t tlen = name_length(target);
	size_t plen = c->sname_len - d->name_len;
	if (plen + tlen > NAME_MAX_LEN) {
		c->rcode = DNS_RCODE_YXDOMAIN;
		return false;
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
	if (c->q.qtype == DNS_TYPE_CNAME)
		return false;
	if (++c->chain >= ANSWER_CHAIN_MAX)
		return false;
	return chain_to(c, rec + 10);
}

/* The node's data for the question: ANY, the type, a CNAME, or NODATA.
 * Returns true when a CNAME chain continues. */
static bool answer_node(struct answer_ctx *c, const struct zone_node *n)
{
	uint16_t qt = c->q.qtype;

	if (qt == DNS_TYPE_ANY) {
		/* RFC 8482: one RRset (knotd: the first by type, not followed;
		 * over TCP as well). */
		if (n->rrset_count > 0)
			answer_positive(c, &n->rrsets[0]);
		else
			answer_nodata(c);
		return false;
	}
	const struct rrset *s = znode_rrset(n, qt);
	if (s) {
		answer_positive(c, s);
		return false;
	}
	if ((n->flags & ZNODE_CNAME) && qt != DNS_TYPE_RRSIG && qt != DNS_TYPE_NSEC)
		return answer_cname(c, n);
	answer_nodata(c);
	return false;
}

/* Resolves c->sname in c->zone, following CNAMEs and DNAMEs inside it. */
static void answer_internet_name(struct answer_ctx *c)
{
	const struct zone *z = c->zone;
	uint16_t qt = c->q.qtype;

	for (unsigned step = 0; step <= ANSWER_CHAIN_MAX && !c->done; step++) {
		const struct zone_node *n = zone_find(z, c->sname, c->sname_len);
		if (n) {
			if (n->flags & ZNODE_NONAUTH) {
				answer_referral(c, znode_cut(n));
				return;
			}
			if ((n->flags & ZNODE_DELEGATION) && qt != DNS_TYPE_DS) {
				answer_referral(c, n);
				return;
			}
			if (n->flags & ZNODE_UNDER_DNAME) {
				if (!answer_dname(c, n))
					return;
				continue;
			}
			set_account(c, n->name);
			if (!answer_node(c, n))
				return;
			continue;
		}
		const struct zone_node *ce = zone_closest_encloser(z, c->sname);
		if (ce->flags & (ZNODE_DELEGATION | ZNODE_NONAUTH)) {
			answer_referral(c, znode_cut(ce));
			return;
		}
		if (ce->flags & (ZNODE_DNAME | ZNODE_UNDER_DNAME)) {
			if (!answer_dname(c, ce))
				return;
			continue;
		}
		if (ce->wildcard_child) {
			/* RFC 4592: the closest encloser's "*" answers, with
			 * the owner rewritten to the name asked. */
			set_account(c, ce->wildcard_child->name);
			if (!answer_node(c, ce->wildcard_child))
				return;
			continue;
		}
		answer_nxdomain(c);
		return;
	}
}

/* A/AAAA for the targets of the NS, MX and SRV sets put in the answer or
 * authority, when the target is a node of the zone. Left out when they do
 * not fit, except glue below a referral's cut (RFC 9471): then TC. */
static void answer_additional(struct answer_ctx *c)
{
	const struct zone_node *seen[ANSWER_ADDL_NODES];
	unsigned nseen = 0;
	uint8_t lname[NAME_MAX_LEN + 1];

	for (unsigned i = 0; i < c->naddl && !c->done; i++) {
		const struct addl_item *it = &c->addl[i];
		const uint8_t *p = it->set->wire;
		size_t skip = it->set->type == DNS_TYPE_MX ? 2 :
			      it->set->type == DNS_TYPE_SRV ? 6 : 0;
		for (unsigned k = 0; k < it->set->rr_count; k++) {
			size_t rdlen = wire_read_u16(p + 8);
			const uint8_t *target = p + 10 + skip;
			p += 10 + rdlen;
			if (rdlen <= skip)
				continue;
			size_t len = name_to_lower(lname, target);
			if (!name_is_below_or_equal(lname, zone_apex(it->zone)))
				continue;
			const struct zone_node *n = zone_find(it->zone, lname, len);
			if (!n)
				continue;
			bool dup = false;
			for (unsigned j = 0; j < nseen; j++)
				dup |= seen[j] == n;
			if (dup)
				continue;
			if (nseen < ANSWER_ADDL_NODES)
				seen[nseen++] = n;
			bool required = it->cut &&
				name_is_below_or_equal(lname, it->cut->name);
			static const uint16_t types[2] = { DNS_TYPE_A, DNS_TYPE_AAAA };
			for (unsigned t = 0; t < 2; t++) {
				const struct rrset *s = znode_rrset(n, types[t]);
				if (!s)
					continue;
				if (render_rrset(&c->r, RENDER_ADDITIONAL, target,
						 0, s, RENDER_TTL_KEEP) < 0 &&
				    required) {
					/* knotd keeps what fits, goes on with
					 * smaller sets, and sets TC */
					c->tc = true;
				}
			}
		}
	}
}

static void answer_internet(struct answer_ctx *c)
{
	uint16_t qt = c->q.qtype;

	/* Transfers are not served yet: knotd with transfers disabled says
	 * NOTIMP to AXFR over UDP, NOTAUTH otherwise. qtype 0: NOTIMP. */
	if (qt == DNS_TYPE_AXFR || qt == DNS_TYPE_IXFR || qt == 0) {
		c->rcode = (qt == DNS_TYPE_AXFR && !c->req->tcp) || qt == 0
			   ? DNS_RCODE_NOTIMP : DNS_RCODE_NOTAUTH;
		c->kind = ANSWER_KIND_ERROR;
		return;
	}
	const struct zone *z = c->db ? zdb_find(c->db, c->q.lname) : NULL;
	if (!z) {
		c->rcode = DNS_RCODE_REFUSED;
		c->kind = ANSWER_KIND_ERROR;
		c->ede = DNS_EDE_NOT_AUTH;
		return;
	}
	/* DS at a cut is the parent's data (RFC 4035 3.1.4.1). */
	if (qt == DNS_TYPE_DS && c->q.qname_len == name_length(zone_apex(z))) {
		const struct zone *parent = zdb_find_parent(c->db, z);
		if (parent)
			z = parent;
	}
	c->zone = z;
	c->aa = true;
	c->sname = c->q.lname;
	c->sname_len = c->q.qname_len;
	c->sptr = DNS_HDR_LEN;
	answer_internet_name(c);
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
	const uint8_t *l = c->q.lname;
	size_t n = c->q.qname_len;
	const char *text = NULL;
	const uint8_t *acc = NULL;

#define IS(x) (n == sizeof(x) && memcmp(l, x, n) == 0)
	if (c->q.qtype == DNS_TYPE_TXT) {
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

/* --- cookies (RFC 7873, RFC 9018) --- */

/* Before the reply is started (the OPT size depends on it): classifies the
 * query's COOKIE option and puts the reply's cookie in place. One
 * cookie_check() at most: a few SipHash runs. */
static void answer_cookie(struct answer_ctx *c)
{
	struct edns_query *e = &c->q.edns;
	const struct cookie_ctx *ctx = c->cfg->cookies;
	int st;

	e->reply_cookie_len = 0;  /* the parser sets it only with an OPT */
	if (!ctx || !c->req->client)
		return;
	if (!e->present || e->cookie_len == 0) {
		c->req->cookie = COOKIE_NONE;
		return;
	}
	if (e->cookie_bad)
		return;   /* FORMERR, no cookie in it */
	st = cookie_check(ctx, c->req->client, e->cookie, e->cookie_len,
			  c->req->now, e->reply_cookie);
	if (st == COOKIE_OFF)
		return;
	e->reply_cookie_len = COOKIE_REPLY_LEN;
	c->req->cookie = (uint8_t)st;
}

/* Cookies required and this UDP query did not prove its address. */
static bool answer_cookie_refused(const struct answer_ctx *c)
{
	/* COOKIE_REQUIRE_UNDER_ATTACK reads as off here: while the attack
	 * mode is engaged, udp.c passes a copy of the config with ON. */
	return c->cfg->cookie_require == COOKIE_REQUIRE_ON && !c->req->tcp &&
	       c->req->cookie != COOKIE_OFF && c->req->cookie != COOKIE_VALID;
}

/* RFC 7873 5.2.3/5.2.4 when cookies are required: BADCOOKIE with a fresh
 * cookie to a query with a client cookie, an empty TC reply to one without
 * (it retries over TCP, or with EDNS and a cookie). */
static void answer_cookie_required(struct answer_ctx *c)
{
	c->kind = ANSWER_KIND_ERROR;
	if (c->req->cookie == COOKIE_NONE)
		c->tc = true;
	else
		c->rcode = DNS_RCODE_BADCOOKIE;
}

/* --- the reply --- */

/* The UDP size limit: min(max(client, 512), udp_max); 512 without EDNS. */
static size_t reply_limit(const struct answer_ctx *c)
{
	size_t cap = c->req->resp_cap > 65535 ? 65535 : c->req->resp_cap;
	if (c->req->tcp)
		return cap;
	size_t lim = 512;
	if (c->q.edns.present) {
		lim = c->q.edns.udp_size < 512 ? 512 : c->q.edns.udp_size;
		if (lim > c->cfg->udp_max)
			lim = c->cfg->udp_max;
		if (lim < 512)
			lim = 512;
	}
	return lim < cap ? lim : cap;
}

/* Header, question copied byte for byte; sections start after it. */
static void reply_start(struct answer_ctx *c, bool with_question)
{
	size_t qend = with_question ? c->q.question_end : DNS_HDR_LEN;
	memcpy(c->req->resp, c->req->query, qend);
	c->q.question_end = qend;
	size_t opt = edns_reply_size(&c->q.edns, c->cfg, c->req->tcp, -1);
	size_t lim = reply_limit(c);
	/* OPT room reserved (a REFUSED reply, with EDE, has no sections). */
	render_init(&c->r, c->req->resp, qend, lim > opt + qend ? lim - opt : qend);
}

static void reply_finish(struct answer_ctx *c)
{
	uint8_t *h = c->req->resp;
	/* RD and the opcode are copied; CD is not: an authoritative server
	 * that does no DNSSEC validation clears it, as knotd and nsd do. */
	uint16_t flags = DNS_QR | (c->q.flags & (DNS_OPCODE_MASK | DNS_RD));

	if (c->aa && c->rcode != DNS_RCODE_REFUSED)
		flags |= DNS_AA;
	if (c->tc)
		flags |= DNS_TC;
	flags |= c->rcode & 0xF;
	wire_write_u16(h + 2, flags);
	wire_write_u16(h + 4, c->q.question_end > DNS_HDR_LEN ? 1 : 0);
	wire_write_u16(h + 6, c->r.count[0]);
	wire_write_u16(h + 8, c->r.count[1]);
	size_t len = c->r.len;
	uint16_t ar = c->r.count[2];
	if (c->q.edns.present) {
		c->req->opt_off = len;
		len += edns_write(h + len, &c->q.edns, c->cfg, c->req->tcp,
				  c->rcode, c->rcode == DNS_RCODE_REFUSED ? c->ede : -1);
		ar++;
	}
	wire_write_u16(h + 10, ar);
	c->req->resp_len = len;
	c->req->rcode = c->rcode;
	c->req->kind = c->kind;
	c->req->truncated = c->tc;
	c->req->zone = c->zone;
	c->req->qtype = c->q.question_end > DNS_HDR_LEN ? c->q.qtype : 0;
	c->req->account_name = c->kind == ANSWER_KIND_ERROR ? NULL : c->account;
}

int answer_query(const struct zdb *db, const struct answer_config *cfg,
		 struct answer_request *req)
{
	struct answer_ctx c;

	req->resp_len = 0;
	req->rcode = 0;
	req->kind = ANSWER_KIND_ERROR;
	req->truncated = false;
	req->client_keepalive = false;
	req->cookie = COOKIE_OFF;
	req->opt_off = 0;
	req->zone = NULL;
	req->qtype = 0;
	req->account_name = NULL;

	int st = wire_parse_query(req->query, req->query_len, &c.q);
	if (st == WIRE_DROP || req->resp_cap < 512)
		return ANSWER_DROP;
	c.db = db;
	c.cfg = cfg;
	c.req = req;
	c.rcode = DNS_RCODE_NOERROR;
	c.aa = false;
	c.tc = false;
	c.done = false;
	c.kind = ANSWER_KIND_ERROR;
	c.ede = -1;
	c.zone = NULL;
	c.account = NULL;
	c.chain = 0;
	c.nvisited = 0;
	c.naddl = 0;
	req->client_keepalive = c.q.edns.present && c.q.edns.keepalive;

	answer_cookie(&c);
	reply_start(&c, st != WIRE_FORMERR_NOQ && st != WIRE_NOQUESTION);
	if (st == WIRE_NOQUESTION && c.q.edns.reply_cookie_len)
		;                                 /* RFC 7873 5.4: NOERROR */
	else if (st != WIRE_OK)
		c.rcode = DNS_RCODE_FORMERR;
	else if (c.q.edns.present && c.q.edns.cookie_bad)
		c.rcode = DNS_RCODE_FORMERR;          /* RFC 7873 5.2.2 */
	else if (c.q.edns.present && c.q.edns.version > 0)
		c.rcode = DNS_RCODE_BADVERS;          /* RFC 6891 6.1.3 */
	else if (answer_cookie_refused(&c))
		answer_cookie_required(&c);
	else if (c.q.opcode == DNS_OPCODE_NOTIFY)
		c.rcode = DNS_RCODE_NOTAUTH;          /* knotd without ACL */
	else if (c.q.opcode != DNS_OPCODE_QUERY)
		c.rcode = DNS_RCODE_NOTIMP;
	else if (c.q.qclass == DNS_CLASS_IN || c.q.qclass == DNS_CLASS_ANY)
		answer_internet(&c);              /* knotd treats ANY as IN */
	else if (c.q.qclass == DNS_CLASS_CH)
		answer_chaos(&c);
	else
		c.rcode = DNS_RCODE_REFUSED;
	if (c.rcode == DNS_RCODE_REFUSED)
		c.ede = DNS_EDE_NOT_AUTH;
	reply_finish(&c);
	return ANSWER_SEND;
}

int answer_badcookie(struct answer_request *req)
{
	uint8_t *h = req->resp;
	size_t qend = DNS_HDR_LEN, optlen;

	if ((req->cookie != COOKIE_CLIENT_ONLY &&
	     req->cookie != COOKIE_INVALID) || req->opt_off < DNS_HDR_LEN ||
	    req->opt_off + 11 > req->resp_len)
		return -1;
	if (wire_read_u16(h + 4) == 1) {
		/* the question as echoed: literal labels only */
		while (qend < req->opt_off && h[qend])
			qend += 1 + (size_t)h[qend];
		qend += 5;
		if (qend > req->opt_off)
			return -1;
	}
	optlen = req->resp_len - req->opt_off;
	memmove(h + qend, h + req->opt_off, optlen);
	h[qend + 5] = (uint8_t)(DNS_RCODE_BADCOOKIE >> 4);
	h[3] = (uint8_t)((h[3] & ~DNS_RCODE_MASK) |
			 (DNS_RCODE_BADCOOKIE & DNS_RCODE_MASK));
	h[2] &= (uint8_t)~((DNS_AA | DNS_TC) >> 8);
	wire_write_u16(h + 6, 0);
	wire_write_u16(h + 8, 0);
	wire_write_u16(h + 10, 1);
	req->opt_off = qend;
	req->resp_len = qend + optlen;
	req->rcode = DNS_RCODE_BADCOOKIE;
	req->kind = ANSWER_KIND_ERROR;
	req->truncated = false;
	req->account_name = NULL;
	return 0;
}
