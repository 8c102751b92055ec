/* xfrout.c -- AXFR out: who may transfer what, and the messages.
 *
 * The policy is an open-addressing table of the zones whose configuration
 * lists an acl (most list none: the table holds only those), keyed by the
 * apex in lowercase wire form with name_hash() (keyed per process: zone
 * names cannot be chosen to collide), at most half full, each with the
 * bits of its acl: entries (config.h: at most CONFIG_MAX_ACL, so 64 bits).
 * Built by main, read by every reactor; the only shared write is the
 * running-transfer count (a relaxed atomic add, taken back when over
 * transfers-max). The policy copies the acl entries it needs (about 10
 * KiB), so a reload may free the configuration it came from.
 *
 * A transfer is a small state machine over one held zone version:
 * FIRST (the SOA), BODY (every node the walk gives, its sets in order, the
 * apex SOA left out; a set that does not fit an empty message record by
 * record, resumed at a byte offset), LAST (the SOA again), DONE. Every
 * message is rendered from scratch with render.h (a fresh compression
 * table: names point only inside their message) after the header and
 * question copied from the query, with room reserved for the reply OPT.
 */
#include "server/xfrout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <urcu-qsbr.h>

#include <time.h>

#include "common/assert.h"
#include "common/cidr.h"
#include "common/dns.h"
#include "common/name.h"
#include "server/answer.h"
#include "server/config.h"
#include "server/edns.h"
#include "server/render.h"
#include "server/tsig.h"
#include "server/wire.h"
#include "common/errcode.h"
#include "zones/journal.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"

/* Index slots one message may read looking for nodes with records before
 * it is sent with what it has (an empty one goes on reading). */
#define XFROUT_SLOTS_PER_STEP 65536

struct xfrout_zone {
	uint64_t acls;             /* bits of cfg->acls; 0: empty entry */
	uint8_t len;
	uint8_t name[NAME_MAX_LEN + 1];
};

struct xfrout_policy {
	struct xfrout_zone *zones; /* mask + 1 entries, or NULL */
	uint32_t mask;
	unsigned max;              /* transfers-max */
	unsigned *running;         /* atomic; the daemon's */
	/* copies of cfg's acl: entries and their addresses */
	size_t acl_count;
	struct config_acl acls[CONFIG_MAX_ACL];
	struct cidr trusted[CONFIG_MAX_TRUSTED];
	struct rcu_head rcu;
};

static struct xfrout_zone *xfrout_find(const struct xfrout_policy *p,
				       const uint8_t *name, size_t len)
{
	uint32_t i;

	if (!p->zones)
		return NULL;
	for (i = name_hash(name, len) & p->mask; p->zones[i].acls;
	     i = (i + 1) & p->mask)
		if (p->zones[i].len == len &&
		    memcmp(p->zones[i].name, name, len) == 0)
			return &p->zones[i];
	return NULL;
}

struct xfrout_policy *xfrout_policy_new(const struct config *cfg,
					unsigned *running)
{
	struct xfrout_policy *p = calloc(1, sizeof(*p));
	size_t n = 0, slots = 16;

	if (!p)
		return NULL;
	p->running = running;
	p->max = cfg->transfers_max;
	p->acl_count = cfg->acl_count;
	memcpy(p->acls, cfg->acls, sizeof(p->acls));
	memcpy(p->trusted, cfg->trusted, sizeof(p->trusted));
	for (size_t i = 0; i < cfg->zone_count; i++)
		n += cfg->zones[i].acl != 0;
	if (n == 0)
		return p;
	while (slots < 2 * n)
		slots *= 2;
	p->zones = calloc(slots, sizeof(*p->zones));
	if (!p->zones) {
		free(p);
		return NULL;
	}
	p->mask = (uint32_t)(slots - 1);
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		uint8_t name[NAME_MAX_LEN + 1];
		size_t len;
		struct xfrout_zone *e;
		uint32_t k;

		if (!cz->acl || !(len = name_from_text(cz->domain, name)))
			continue;
		if ((e = xfrout_find(p, name, len)) != NULL) {
			e->acls = cz->acl;  /* the last one given wins */
			continue;
		}
		for (k = name_hash(name, len) & p->mask; p->zones[k].acls;
		     k = (k + 1) & p->mask)
			;
		e = &p->zones[k];
		e->acls = cz->acl;
		e->len = (uint8_t)len;
		memcpy(e->name, name, len);
	}
	return p;
}

void xfrout_policy_free(struct xfrout_policy *p)
{
	if (!p)
		return;
	free(p->zones);
	free(p);
}

/* The call_rcu callback; no tail call, so that it is on the stack of the
 * frees (tests/tsan.supp names it). */
static void xfrout_policy_rcu_free(struct rcu_head *head)
{
	xfrout_policy_free(caa_container_of(head, struct xfrout_policy, rcu));
	__asm__ volatile("" ::: "memory");
}

void xfrout_policy_retire(struct xfrout_policy *p)
{
	if (p)
		call_rcu(&p->rcu, xfrout_policy_rcu_free);
}

enum xfrout_verdict xfrout_admit(struct xfrout_policy *p, const struct zone *z,
				 const struct sockaddr *client,
				 const struct tsig_state *ts,
				 const struct tsig_keyring *kr)
{
	uint64_t key = 0;

	const struct zone_node *apex;
	const struct xfrout_zone *e;
	const uint8_t *addr;
	bool ok = false;

	if (!p || !z || !client || !(addr = cidr_sockaddr_bytes(client)))
		return XFROUT_DENY;
	apex = zone_apex_node(z);
	if (!(e = xfrout_find(p, apex->name, apex->name_len)))
		return XFROUT_DENY;
	if (ts && ts->result == TSIG_OK && ts->key)
		key = UINT64_C(1) << tsig_key_index(kr, ts->key);
	/* At most CONFIG_MAX_ACL entries, CONFIG_MAX_TRUSTED addresses in
	 * all of them together. */
	for (size_t i = 0; i < p->acl_count && !ok; i++) {
		const struct config_acl *a = &p->acls[i];

		if (!(e->acls >> i & 1) || !(a->actions & CONFIG_ACL_TRANSFER))
			continue;
		if (a->keys && !(a->keys & key))
			continue;      /* not signed with one of its keys */
		ok = !a->count || cidr_match(p->trusted + a->first, a->count,
					     client->sa_family, addr);
	}
	if (!ok)
		return XFROUT_DENY;
	if (__atomic_add_fetch(p->running, 1, __ATOMIC_RELAXED) > p->max) {
		__atomic_sub_fetch(p->running, 1, __ATOMIC_RELAXED);
		return XFROUT_BUSY;
	}
	return XFROUT_ALLOW;
}

void xfrout_slot_put(struct xfrout_policy *p)
{
	if (p)
		__atomic_sub_fetch(p->running, 1, __ATOMIC_RELAXED);
}

unsigned xfrout_running(const struct xfrout_policy *p)
{
	return p ? __atomic_load_n(p->running, __ATOMIC_RELAXED) : 0;
}

/* ---- one transfer ------------------------------------------------------ */

enum xfrout_phase { XFR_FIRST, XFR_BODY, XFR_LAST, XFR_DONE };

struct xfrout {
	unsigned *running;           /* the slot's counter; NULL once ended */
	struct zone_hold *hold;
	const struct answer_config *cfg;
	const struct zone_node *apex;
	const struct rrset *soa;
	struct zone_walk walk;
	/* where the body is: the node (NULL: take the walk's next), its
	 * data, its next set, and within a set being split its next record
	 * (number and byte offset in the set's wire) */
	const struct zone_node *node;
	const struct znode_data *data;
	uint16_t set;
	uint16_t rec;
	uint32_t rec_off;
	uint8_t phase;               /* enum xfrout_phase */
	bool failed;                 /* a record fits no message: SERVFAIL */
	bool soa_only;               /* IXFR, client current: the SOA alone */
	/* IXFR from the journal: the condensed change (journal.h's bytes,
	 * malloc'd) and where its next record is */
	uint8_t *ixfr;
	size_t ixfr_len, ixfr_off;
	bool nsid;                   /* NSID fits beside the question */
	uint16_t qflags;             /* the query's header flags */
	size_t head_len;             /* header and question */
	size_t opt_len;              /* the reply OPT's size */
	uint8_t labels;
	uint8_t loffs[NAME_MAX_LABELS + 1];
	uint8_t head[DNS_HDR_LEN + NAME_MAX_LEN + 1 + 4];
	struct edns_query edns;      /* the reply facts (cookie pointer
					cleared: the query is gone) */
	bool sign;                   /* TSIG on every message (tx) */
	struct tsig_ctx tx;
	uint32_t messages;
	uint64_t records;
};

size_t xfrout_size(void)
{
	return sizeof(struct xfrout);
}

/* The differences of z from serial `from` into x (XFROUT_IXFR): 0, or
 * an error and x unchanged (the whole zone goes out). */
static int xfrout_ixfr_prepare(struct xfrout *x, const struct answer_config *cfg,
			       const struct zone *z, uint32_t from,
			       size_t budget)
{
	struct journal_change *c = NULL;
	uint8_t *b;
	size_t len;
	int rc;

	if (!cfg->journal)
		return -ENOENT;
	rc = journal_condense(cfg->journal, zone_apex(z), from,
			      zone_serial(z), budget, &c);
	if (rc)
		return rc;
	b = journal_change_bytes(c, &len);
	journal_change_free(c);
	if (!b)
		return -ENOMEM;
	if (journal_walk(b, len, NULL, NULL) != 0) {
		free(b);
		return LV_EMALF;
	}
	x->ixfr = b;
	x->ixfr_len = len;
	x->ixfr_off = 0;
	return 0;
}

bool xfrout_is_ixfr(const struct xfrout *x)
{
	return x->ixfr != NULL;
}

/* xfrout_start reading at most budget bytes of journal for an IXFR. */
static int xfrout_begin(struct xfrout *x, struct xfrout_policy *p,
			const struct answer_config *cfg,
			const struct answer_request *req,
			enum xfrout_kind kind, uint32_t from,
			const struct tsig_state *ts, size_t budget)
{
	const struct wire_query *q = &req->q;

	memset(x, 0, sizeof(*x));
	if (lv_fails_assert(req->zone && q->question_end <= sizeof(x->head)))
		return -EINVAL;
	x->hold = zone_hold_new(req->zone);
	if (!x->hold)
		return -ENOMEM;
	x->running = p->running;
	x->cfg = cfg;
	x->apex = zone_apex_node(req->zone);
	x->soa = zone_soa(req->zone);
	zone_walk_init(&x->walk, req->zone);
	x->phase = XFR_FIRST;
	x->soa_only = kind == XFROUT_SOA_ONLY;
	if (kind == XFROUT_IXFR)
		(void)xfrout_ixfr_prepare(x, cfg, req->zone, from, budget);
	x->qflags = q->flags;
	x->head_len = q->question_end;
	memcpy(x->head, req->query, q->question_end);
	x->labels = q->labels;
	memcpy(x->loffs, q->loffs, sizeof(x->loffs));
	x->edns = q->edns;
	x->edns.cookie = NULL;
	x->edns.cookie_len = 0;
	/* RFC 7314: every message says what the zone has left */
	x->edns.reply_expire = x->edns.present && x->edns.expire;
	x->edns.reply_expire_s = zone_expire_remaining(req->zone, req->now);
	x->nsid = true;
	x->opt_len = edns_reply_size(&x->edns, cfg, true, true, -1);
	if (ts && ts->result == TSIG_OK && ts->key) {
		tsig_ctx_init(&x->tx, ts);
		x->sign = true;
		/* the limits keep the TSIG record's room as the OPT's */
		x->opt_len += tsig_ctx_reserve(&x->tx);
	}
	return 0;
}

int xfrout_start(struct xfrout *x, struct xfrout_policy *p,
		 const struct answer_config *cfg,
		 const struct answer_request *req, enum xfrout_kind kind,
		 uint32_t from, const struct tsig_state *ts)
{
	return xfrout_begin(x, p, cfg, req, kind, from, ts, XFROUT_IXFR_MAX);
}

bool xfrout_done(const struct xfrout *x)
{
	return x->phase == XFR_DONE;
}

uint32_t xfrout_messages(const struct xfrout *x)
{
	return x->messages;
}

uint64_t xfrout_records(const struct xfrout *x)
{
	return x->records;
}

void xfrout_end(struct xfrout *x)
{
	if (!x->running)
		return;
	zone_hold_drop(x->hold);
	x->hold = NULL;
	free(x->ixfr);
	x->ixfr = NULL;
	__atomic_sub_fetch(x->running, 1, __ATOMIC_RELAXED);
	x->running = NULL;
	x->phase = XFR_DONE;
}

int xfrout_ixfr_serial(const uint8_t *msg, size_t len, size_t question_end,
		       uint32_t *serial)
{
	size_t off = question_end, end;

	if (len < DNS_HDR_LEN || wire_read_u16(msg + DNS_HDR_ANCOUNT) != 0 ||
	    wire_read_u16(msg + DNS_HDR_NSCOUNT) == 0 || off > len ||
	    !wire_skip_name(msg, len, &off) || len - off < 10 ||
	    wire_read_u16(msg + off) != DNS_TYPE_SOA)
		return -1;
	end = off + 10 + wire_read_u16(msg + off + 8);
	off += 10;
	/* MNAME and RNAME (compressed or not), then the serial */
	if (end > len || !wire_skip_name(msg, end, &off) ||
	    !wire_skip_name(msg, end, &off) || end - off < 20)
		return -1;
	*serial = wire_read_u32(msg + off);
	return 0;
}

/* The length of the record at wire (10 + RDLENGTH after the owner), or 0
 * when it runs past end. */
static size_t xfrout_rec_len(const uint8_t *wire, const uint8_t *end)
{
	size_t len;

	if (end - wire < 10)
		return 0;
	len = 10 + (size_t)wire_read_u16(wire + 8);
	return (size_t)(end - wire) < len ? 0 : len;
}

/* Whether r's message grew past the target for one record: it takes no
 * more. */
static bool xfrout_grown(const struct xfrout *x, const struct render *r)
{
	return r->limit > XFROUT_MSG_TARGET - x->opt_len;
}

/* Renders what is left of set s of node n into r: whole when it fits,
 * else record by record from x->rec. *owner_ptr is where this message
 * spells n's name (0: not yet, or past 16 KiB): a whole set after the
 * node's first in the message takes it as its owner, a pointer with no
 * compression search (the A and AAAA of a name: one copy of the wire
 * each); the first whole set of n sets it. True when all of it went in;
 * false when the message is full (x->rec, x->rec_off say where to go on),
 * or when a record fits no message (x->failed). */
static bool xfrout_put_set(struct xfrout *x, struct render *r,
			   const struct zone_node *n, const struct rrset *s,
			   bool first_of_node, uint16_t *owner_ptr)
{
	const uint8_t *end = s->wire + s->wire_len;

	if (x->rec == 0) {
		size_t at = r->len;

		if (first_of_node)
			render_owner_node(r, n);
		if (render_rrset(r, RENDER_ANSWER, n->name, *owner_ptr, s,
				 RENDER_TTL_KEEP) == 0) {
			x->records += s->rr_count;
			/* the owner is the first thing the set wrote */
			if (!*owner_ptr && s->rr_count)
				*owner_ptr = render_target_of(r, at);
			return true;
		}
		if (r->count[RENDER_ANSWER])
			return false;    /* the next message starts with it */
	}
	/* Too large for one message: a view of one record at a time. */
	while (x->rec < s->rr_count) {
		struct rrset v = *s;
		size_t len;

		if (xfrout_grown(x, r) && r->count[RENDER_ANSWER])
			return false;
		len = xfrout_rec_len(s->wire + x->rec_off, end);
		if (lv_fails_assert(len)) {
			x->failed = true;
			return false;
		}
		v.rr_count = 1;
		v.wire = s->wire + x->rec_off;
		v.wire_len = (uint32_t)len;
		v.min_len = 0;
		v.targets = s->targets ? s->targets + x->rec : NULL;
		if (render_rrset(r, RENDER_ANSWER, n->name, 0, &v,
				 RENDER_TTL_KEEP) < 0) {
			if (r->count[RENDER_ANSWER])
				return false;      /* the next message */
			if (r->limit >= XFROUT_MSG_MAX - x->opt_len) {
				x->failed = true;  /* fits no message */
				return false;
			}
			/* Alone in a message of the largest size. */
			r->limit = XFROUT_MSG_MAX - x->opt_len;
			continue;
		}
		x->records++;
		x->rec++;
		x->rec_off += (uint32_t)len;
	}
	x->rec = 0;
	x->rec_off = 0;
	return true;
}

/* The IXFR body into r: the condensed change's records in their order
 * (the old SOA, the removals, the new SOA, the additions), until the
 * message is full or they end (then phase LAST). A record that fits no
 * message fails the transfer. */
static void xfrout_ixfr_body(struct xfrout *x, struct render *r)
{
	for (;;) {
		size_t off = x->ixfr_off, ol, rl;
		const uint8_t *owner, *rr;
		struct rrset v;

		if (!journal_record_next(x->ixfr, x->ixfr_len, &off, &owner,
					 &ol, &rr, &rl)) {
			x->phase = XFR_LAST;
			return;
		}
		if (xfrout_grown(x, r))
			return;
		memset(&v, 0, sizeof(v));
		v.type = wire_read_u16(rr);
		v.rr_count = 1;
		v.ttl = wire_read_u32(rr + 4);
		v.wire = rr;
		v.wire_len = (uint32_t)rl;
		if (render_rrset(r, RENDER_ANSWER, owner, 0, &v,
				 RENDER_TTL_KEEP) < 0) {
			if (r->count[RENDER_ANSWER])
				return;              /* the next message */
			if (r->limit >= XFROUT_MSG_MAX - x->opt_len) {
				x->failed = true;    /* fits no message */
				return;
			}
			r->limit = XFROUT_MSG_MAX - x->opt_len;
			continue;
		}
		x->records++;
		x->ixfr_off = off;
	}
}

/* The body into r until the message is full or the walk ends (then
 * phase LAST). */
static void xfrout_body(struct xfrout *x, struct render *r)
{
	/* where this message spells x->node's name (xfrout_put_set) */
	uint16_t owner_ptr = 0;

	if (x->ixfr) {
		xfrout_ixfr_body(x, r);
		return;
	}
	for (;;) {
		const struct znode_data *d = x->data;

		if (!x->node) {
			x->node = zone_walk_next(&x->walk, &x->data,
						 XFROUT_SLOTS_PER_STEP);
			x->set = 0;
			owner_ptr = 0;
			if (!x->node) {
				if (zone_walk_done(&x->walk)) {
					x->phase = XFR_LAST;
					return;
				}
				if (r->count[RENDER_ANSWER])
					return;     /* send what it has */
				continue;
			}
			d = x->data;
		}
		for (; x->set < d->rrset_count; x->set++) {
			const struct rrset *s = &d->rrsets[x->set];

			if (x->node == x->apex && s->type == DNS_TYPE_SOA)
				continue;
			if (xfrout_grown(x, r) || !xfrout_put_set(x, r, x->node, s,
					    x->set == 0 && x->rec == 0,
					    &owner_ptr))
				return;
		}
		x->node = NULL;
	}
}

/* Header, counts and OPT of the message in msg (r rendered it); returns
 * its length. */
static size_t xfrout_finish(struct xfrout *x, uint8_t *msg,
			    const struct render *r, uint16_t rcode)
{
	uint16_t flags = DNS_QR | DNS_AA |
			 (x->qflags & (DNS_OPCODE_MASK | DNS_RD)) | rcode;
	size_t len = r->len;

	wire_write_u16(msg + DNS_HDR_FLAGS, flags);
	wire_write_u16(msg + DNS_HDR_QDCOUNT, x->head_len > DNS_HDR_LEN);
	wire_write_u16(msg + DNS_HDR_ANCOUNT, r->count[RENDER_ANSWER]);
	wire_write_u16(msg + DNS_HDR_NSCOUNT, 0);
	wire_write_u16(msg + DNS_HDR_ARCOUNT, x->edns.present ? 1 : 0);
	len += edns_write(msg + len, &x->edns, x->cfg, true, rcode, x->nsid,
			  -1);
	lv_require(len <= XFROUT_MSG_MAX);
	return len;
}

size_t xfrout_next(struct xfrout *x, uint8_t *buf, size_t cap)
{
	uint8_t *msg = buf + 2;
	struct render r;
	size_t len;

	if (x->phase == XFR_DONE || lv_fails_assert(cap >= XFROUT_FRAME_MAX))
		return 0;
	memcpy(msg, x->head, x->head_len);
	render_init(&r, msg, x->head_len, XFROUT_MSG_TARGET - x->opt_len);
	if (x->head_len > DNS_HDR_LEN) {
		render_qname_labels(&r, x->loffs, x->labels);
		render_qname_node(&r, x->apex);
	}
	if (x->phase == XFR_FIRST) {
		/* The SOA after a question of at most 271 bytes: it fits. */
		if (lv_fails_assert(render_rrset(&r, RENDER_ANSWER, NULL,
						 DNS_HDR_LEN, x->soa,
						 RENDER_TTL_KEEP) == 0))
			x->failed = true;
		else
			x->records++;
		x->phase = x->soa_only ? XFR_DONE : XFR_BODY;
	}
	if (x->phase == XFR_BODY && !x->failed) {
		xfrout_body(x, &r);
		/* The body fills a message with one record at least, or ends:
		 * an empty one would repeat for ever. */
		if (lv_fails_assert(x->failed || x->phase != XFR_BODY ||
				    r.count[RENDER_ANSWER]))
			x->failed = true;
	}
	if (x->phase == XFR_LAST && !x->failed && !xfrout_grown(x, &r) &&
	    render_rrset(&r, RENDER_ANSWER, NULL, DNS_HDR_LEN, x->soa,
			 RENDER_TTL_KEEP) == 0) {
		x->records++;
		x->phase = XFR_DONE;
	}
	if (x->failed) {
		/* RFC 5936 2.2: an error ends the transfer; the client drops
		 * what it received. */
		render_truncate(&r, x->head_len);
		x->phase = XFR_DONE;
		len = xfrout_finish(x, msg, &r, DNS_RCODE_SERVFAIL);
	} else {
		len = xfrout_finish(x, msg, &r, DNS_RCODE_NOERROR);
	}
	if (x->sign && tsig_sign_next(&x->tx, msg, &len, XFROUT_MSG_MAX,
				      (uint64_t)time(NULL)) < 0) {
		/* the room was kept: only a failing HMAC gets here */
		x->phase = XFR_DONE;
		render_truncate(&r, x->head_len);
		len = xfrout_finish(x, msg, &r, DNS_RCODE_SERVFAIL);
	}
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	x->messages++;
	return 2 + len;
}

size_t xfrout_udp(struct xfrout_policy *p, const struct answer_config *cfg,
		  const struct answer_request *req, enum xfrout_kind kind,
		  uint32_t from, const struct tsig_state *ts, uint8_t *out,
		  size_t limit)
{
	static __thread uint8_t frame[XFROUT_FRAME_MAX];
	struct xfrout x;
	size_t n = 0;

	/* a datagram's worth of journal at most: a source forged as an
	 * allowed secondary costs one datagram's reading, then the SOA */
	if (kind == XFROUT_IXFR &&
	    xfrout_begin(&x, p, cfg, req, XFROUT_IXFR, from, ts, limit) == 0) {
		n = xfrout_next(&x, frame, sizeof(frame));
		if (!xfrout_done(&x) || n < 2 || n - 2 > limit)
			n = 0;
		/* keep the slot for the SOA alone when it did not fit */
		if (!n)
			__atomic_add_fetch(p->running, 1, __ATOMIC_RELAXED);
		xfrout_end(&x);
	}
	if (!n && xfrout_start(&x, p, cfg, req, XFROUT_SOA_ONLY, 0, ts) == 0) {
		n = xfrout_next(&x, frame, sizeof(frame));
		if (n < 2 || n - 2 > limit)
			n = 0;
		xfrout_end(&x);
	} else if (!n) {
		xfrout_slot_put(p);
	}
	if (n < 2)
		return 0;
	memcpy(out, frame + 2, n - 2);
	return n - 2;
}
