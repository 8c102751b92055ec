/* query.c -- the query pipeline: parse, admission, dispatch, answer,
 * policy, counters; once each, in this order, for every transport.
 *
 * The stages are the functions below, top to bottom. Each reads what the
 * one before it left in struct query (the parsed question, the cookie
 * status, the admission verdict, the reply's facts) and never the raw
 * packet again: ratelimit/ receives names, prefixes and classes, never
 * bytes to parse. The reply is written once by the engine and rewritten in
 * place only by the engine's slip functions.
 *
 * Who is trusted (admission): addresses of the acl: section, for the
 * messages replication needs (NOTIFY, and SOA, AXFR, IXFR queries). They
 * skip the per-source limits, cookies required, the attack mode and RRL:
 * otherwise the NOTIFYs and SOA checks of thousands of secondary zones are
 * what a flood makes us drop. A request signed with a configured TSIG key
 * (verified in the parse stage) is trusted for the same messages. A UDP
 * datagram the transport vouches came from this host (q->local: 127.0.0.1
 * or ::1 received on the loopback interface, server: exempt-local) is
 * trusted for every message: this host's load generator is no attacker.
 *
 * TSIG (RFC 8945, tsig.h): a request with a TSIG record is verified right
 * after the parse, before admission, so that a valid signature can earn
 * the trust above; the verification costs at most one HMAC and none for a
 * key name we do not know. An error (BADKEY, BADSIG, BADTIME, BADTRUNC:
 * NOTAUTH; an unreadable record: FORMERR) is answered without any lookup,
 * through admission and policy like every other error reply (limits,
 * cookies, RRL's error class). The reply keeps room for the TSIG record
 * from its first byte (answer.h: tsig_reserve) and is signed last, after
 * any slip, so a TC reply is signed too.
 *
 * Per-source limits (UDP): a source over its limit without a valid server
 * cookie gets, for every limits-slip-th such query, the challenge (TC, or
 * BADCOOKIE to a client cookie) and nothing for the others; with the
 * default slip of 1 every one is challenged. The source address may be
 * forged, so the real owner must keep a way to be answered: TC is no
 * larger than the query (no amplification) and leads it to TCP, a cookie
 * exempts it. A source over its limit with a valid cookie proved its
 * address: its excess is dropped. RRL's own drops never feed the kernel
 * drop map: RRL limits one class of answers, the map would drop all.
 *
 * The kernel drop map (ebpf_drop.h) does the same slip before us: with
 * slip 0 it drops a listed prefix's cookie-less datagrams, with slip N it
 * keeps at least 1/N of them. What it kept must then be challenged, every
 * one, or the owner would get 1/N of 1/N: droplist_thinned() says whether
 * the kernel may have thinned this datagram (the prefix listed, the
 * datagram one the program examines), and such a query skips our slip.
 * Every over-limit cookie-less query (slip != 1) names its prefix in
 * q->list, challenged or not, so a listing is renewed while the flood
 * lasts.
 */
#include "server/query.h"

#include "common/assert.h"
#include "common/dns.h"
#include "common/name.h"
#include "common/serial.h"
#include "ratelimit/attack.h"
#include "ratelimit/cookie.h"
#include "ratelimit/limits.h"
#include "ratelimit/rrl.h"
#include "server/dnstap.h"
#include "server/droplist.h"
#include "server/notify_in.h"
#include "server/stats.h"
#include "server/xfrout.h"
#include "zones/zdb.h"
#include "zones/zone.h"

#include <string.h>
#include <time.h>

enum admit {
	ADMIT_SERVE,       /* answer normally, then policy */
	ADMIT_TRUSTED,     /* answer normally, no policy */
	ADMIT_CHALLENGE,   /* TC or BADCOOKIE, no lookup */
	ADMIT_DROP,        /* nothing */
};

/* --- 1. parse: answer_parse() (answer.h), then the TSIG record --- */

_Static_assert(STATS_TSIG_BADTRUNC - STATS_TSIG_OK == TSIG_BADTRUNC - TSIG_OK,
	       "stats.h counts TSIG verdicts in enum tsig_result's order");

/* Verifies the request's TSIG record (tsig.h: at most one HMAC) and keeps
 * the room of the reply's record. */
static void query_tsig_verify(struct query_env *env, struct query *q)
{
	struct answer_request *req = &q->req;
	int r = tsig_verify(q->msg, q->len, req->q.tsig_off, env->acfg->tsig,
			    q->now, &q->tsig);

	STATS_INC(env->stats, STATS_TSIG_OK + (r - TSIG_OK));
	req->tsig_reserve = (uint16_t)tsig_reply_size(&q->tsig);
}

/* --- 2. admission --- */

/* NOTIFY, and SOA, AXFR, IXFR queries: what replication sends. */
static bool query_replication(const struct query *q)
{
	const struct wire_query *wq = &q->req.q;

	return wq->opcode == DNS_OPCODE_NOTIFY ||
	       (wq->opcode == DNS_OPCODE_QUERY && q->req.parse == WIRE_OK &&
		(wq->qtype == DNS_TYPE_SOA || wq->qtype == DNS_TYPE_AXFR ||
		 wq->qtype == DNS_TYPE_IXFR));
}

/* A replication message from an acl: address, or signed with a key. */
static inline bool query_trusted(const struct query_env *env,
				 const struct query *q, const bool tsig)
{
	const uint8_t *a;

	if (tsig && q->tsig.result == TSIG_OK && query_replication(q))
		return true;
	if (!env->trusted_count || !(a = cidr_sockaddr_bytes(q->client)))
		return false;
	return query_replication(q) &&
	       cidr_match(env->trusted, env->trusted_count,
			  q->client->sa_family, a);
}

/* Notes the query for the attack detector (UDP and TCP alike). */
static void query_note(struct query_env *env, const struct query *q)
{
	const struct wire_query *wq = &q->req.q;
	uint32_t h = 0;
	enum attack_change ch;

	if (attack_wants_names(env->attack) && wq->qname_len)
		h = name_hash(wq->lname, wq->qname_len);
	ch = attack_note_query(env->attack, h, q->now_ms);
	if (ch == ATTACK_ENGAGED)
		STATS_INC(env->stats, STATS_ATTACK_ENGAGED);
	else if (ch == ATTACK_DISENGAGED)
		STATS_INC(env->stats, STATS_ATTACK_DISENGAGED);
}

/* Cookies required (RFC 7873 5.2.3/5.2.4) for this UDP query. */
static bool query_cookie_required(const struct query_env *env,
				  const struct query *q, bool engaged)
{
	uint8_t req = env->acfg->cookie_require;

	return env->acfg->cookies && q->req.cookie != COOKIE_OFF &&
	       q->req.cookie != COOKIE_VALID &&
	       (req == COOKIE_REQUIRE_ON ||
		(req == COOKIE_REQUIRE_UNDER_ATTACK && engaged));
}

/* The per-source limit of a UDP query (module header). */
static enum admit query_limit(struct query_env *env, struct query *q,
			      bool engaged)
{
	const struct attack_config *ac = attack_config_of(env->attack);
	bool valid = q->req.cookie == COOKIE_VALID;
	unsigned share = engaged && ac ? ac->source_share_percent : 100;
	unsigned bits = 0, slip = limits_slip(env->limits);

	if (limits_check(env->limits, q->client, valid, share, q->now_ms,
			 &bits) == LIMITS_PASS)
		return ADMIT_SERVE;
	if (!valid && slip != 1)
		cidr_of_sockaddr(q->client, bits, &q->list);
	if (!valid && slip &&
	    ((slip > 1 && droplist_thinned(env->drops, q->client, q->msg,
					   q->len, q->now_ms)) ||
	     ++env->limits_slips % slip == 0)) {
		STATS_INC(env->stats, STATS_LIMITS_CHALLENGED);
		return ADMIT_CHALLENGE;
	}
	STATS_INC(env->stats, STATS_LIMITS_DROPPED);
	return ADMIT_DROP;
}

static inline __attribute__((always_inline)) enum admit
query_admit(struct query_env *env, struct query *q, const bool tsig)
{
	bool engaged;
	enum admit a;

	if (env->attack)
		query_note(env, q);
	if (query_trusted(env, q, tsig))
		return ADMIT_TRUSTED;
	if (q->local) {              /* this host (query.h): exempt-local */
		STATS_INC(env->stats, STATS_LOCAL_EXEMPT);
		return ADMIT_TRUSTED;
	}
	if (q->tcp)
		return ADMIT_SERVE;   /* TCP proved the address: full service */
	engaged = env->attack && attack_engaged(env->attack);
	if (env->limits && (a = query_limit(env, q, engaged)) != ADMIT_SERVE)
		return a;
	if (query_cookie_required(env, q, engaged))
		return ADMIT_CHALLENGE;
	return ADMIT_SERVE;
}

/* --- 3. dispatch, 4. answer --- */

/* AXFR and IXFR (and qtype 0) in class IN. */
static bool query_is_transfer(const struct wire_query *wq)
{
	return (wq->qclass == DNS_CLASS_IN || wq->qclass == DNS_CLASS_ANY) &&
	       (wq->qtype == DNS_TYPE_AXFR || wq->qtype == DNS_TYPE_IXFR ||
		wq->qtype == 0);
}

/* The zone whose apex is exactly the qname, or NULL. */
static const struct zone *query_apex_zone(const struct zdb *db,
					  const struct wire_query *wq)
{
	const struct zone *z = zdb_find_labels(db, wq->lname, wq->loffs,
					       wq->labels);
	const struct zone_node *apex;

	if (!z)
		return NULL;
	apex = zone_apex_node(z);
	return apex->name_len == wq->qname_len &&
	       memcmp(apex->name, wq->lname, wq->qname_len) == 0 ? z : NULL;
}

/* The policy of transfers out published now, or NULL. */
static struct xfrout_policy *query_xfr_policy(const struct query_env *env)
{
	return env->xfr ? __atomic_load_n(env->xfr, __ATOMIC_ACQUIRE) : NULL;
}

/* The request's TSIG verdict when it carried a TSIG record (verified in
 * stage 1), else NULL: q->tsig is not reset for unsigned messages. */
const struct tsig_state *query_tsig_state(const struct query *q)
{
	return q->req.q.tsig_off ? &q->tsig : NULL;
}

/* As knotd: AXFR over UDP and qtype 0 NOTIMP; AXFR or IXFR over TCP of a
 * zone we serve, from an address one of its acl entries allows, the
 * transfer (xfrout.h: an IXFR without its SOA is FORMERR, one from a
 * client with our serial or a newer one the SOA alone, any other the
 * whole zone AXFR-style, RFC 1995 4: no journal yet), SERVFAIL when
 * transfers-max run already (as BIND's transfers-out); NOTAUTH otherwise
 * (the zone not ours, not allowed: then with EDE Prohibited, RFC 8914
 * 4.19; knotd 3.2 sends no EDE). IXFR over UDP from an allowed client:
 * the answer in one datagram, else the SOA alone (xfrout_udp), no TC.
 * Returns true for a TCP transfer to start. */
static bool query_transfer(struct query_env *env, const struct zdb *db,
			   struct query *q)
{
	struct answer_request *req = &q->req;
	uint16_t qt = req->q.qtype;
	struct xfrout_policy *pol;
	const struct zone *z;
	uint32_t serial;

	if ((qt == DNS_TYPE_AXFR && !q->tcp) || qt == 0) {
		answer_error(env->acfg, req, DNS_RCODE_NOTIMP);
		return false;
	}
	if ((!q->tcp && qt != DNS_TYPE_IXFR) || !(pol = query_xfr_policy(env)) ||
	    !(z = query_apex_zone(db, &req->q))) {
		answer_error(env->acfg, req, DNS_RCODE_NOTAUTH);
		return false;
	}
	if (zone_expired(z)) {          /* nothing to give: knotd SERVFAILs */
		answer_error_ede(env->acfg, req, DNS_RCODE_SERVFAIL,
				 DNS_EDE_INVALID_DATA);
		return false;
	}
	switch (xfrout_admit(pol, z, q->client, query_tsig_state(q),
			     env->acfg->tsig)) {
	case XFROUT_ALLOW:
		/* the IXFR's SOA is read only for a client allowed: others
		 * get NOTAUTH whatever they sent, as knotd */
		q->xfr_kind = XFROUT_WHOLE;
		if (qt == DNS_TYPE_IXFR) {
			if (xfrout_ixfr_serial(q->msg, q->len,
					       req->q.question_end,
					       &serial) < 0) {
				xfrout_slot_put(pol);
				answer_error(env->acfg, req, DNS_RCODE_FORMERR);
				return false;
			}
			q->xfr_kind = serial_lt(serial, zone_serial(z)) ?
				      XFROUT_IXFR : XFROUT_SOA_ONLY;
			q->xfr_from = serial;
		}
		if (!q->tcp) {
			/* RFC 1995 2: one datagram, else the SOA alone */
			size_t n;

			req->zone = z;         /* xfrout_start reads it */
			n = xfrout_udp(pol, env->acfg, req,
					      (enum xfrout_kind)q->xfr_kind,
					      q->xfr_from, query_tsig_state(q),
					      req->resp,
					      answer_reply_limit(env->acfg, req));

			if (!n) {
				answer_error(env->acfg, req,
					     DNS_RCODE_SERVFAIL);
				return false;
			}
			req->resp_len = n;
			req->rcode = DNS_RCODE_NOERROR;
			req->kind = ANSWER_KIND_POSITIVE;
			req->account_name = zone_apex(z);
			req->tsig_reserve = 0;    /* signed by xfrout_udp */
			return false;
		}
		STATS_INC(env->stats, STATS_XFROUT_STARTED);
		req->zone = z;
		req->rcode = DNS_RCODE_NOERROR;
		req->kind = ANSWER_KIND_POSITIVE;
		return true;
	case XFROUT_BUSY:
		STATS_INC(env->stats, STATS_XFROUT_BUSY);
		answer_error(env->acfg, req, DNS_RCODE_SERVFAIL);
		return false;
	default:
		STATS_INC(env->stats, STATS_XFROUT_DENIED);
		answer_error_ede(env->acfg, req, DNS_RCODE_NOTAUTH,
				 DNS_EDE_PROHIBITED);
		return false;
	}
}

struct xfrout_policy *query_transfer_policy(const struct query_env *env)
{
	return query_xfr_policy(env);
}

void query_transfer_abort(struct query_env *env, struct query *q)
{
	xfrout_slot_put(query_xfr_policy(env));
	STATS_INC(env->stats, STATS_XFROUT_BUSY);
	answer_error(env->acfg, &q->req, DNS_RCODE_SERVFAIL);
	q->resp_len = q->req.resp_len;
}

/* NOTIFY (RFC 1996) of a secondary zone from an address its acl allows
 * to notify: NOERROR at once, the zone queued for a SOA check on main
 * (notify_in.h: O(1), merged per zone). Anything else NOTAUTH, as knotd
 * (a zone that is not a secondary here, or an address not allowed). */
static uint16_t query_notify(struct query_env *env, const struct query *q)
{
	const struct wire_query *wq = &q->req.q;
	struct notify_in *ni = env->notify_in ?
		__atomic_load_n(env->notify_in, __ATOMIC_ACQUIRE) : NULL;
	const struct tsig_state *ts = query_tsig_state(q);
	uint64_t key = ts && ts->result == TSIG_OK && ts->key ?
		UINT64_C(1) << tsig_key_index(env->acfg->tsig, ts->key) : 0;

	if (wq->qtype != DNS_TYPE_SOA ||
	    notify_in_note(ni, wq->lname, wq->qname_len, q->client, key) < 0)
		return DNS_RCODE_NOTAUTH;
	STATS_INC(env->stats, STATS_NOTIFY_IN);
	return DNS_RCODE_NOERROR;
}

/* Opcodes we know: QUERY, NOTIFY, UPDATE. Others get NOTIMP, with or
 * without a question, as knotd, nsd and named (RFC 8906 8.1.4). */
static bool query_known_opcode(uint8_t op)
{
	return op == DNS_OPCODE_QUERY || op == DNS_OPCODE_NOTIFY ||
	       op == DNS_OPCODE_UPDATE;
}

/* Returns true for a transfer to start (query_transfer). */
static inline __attribute__((always_inline)) bool
query_dispatch(struct query_env *env, const struct zdb *db,
	       struct query *q, bool challenge, const bool tsig)
{
	const struct answer_config *cfg = env->acfg;
	struct answer_request *req = &q->req;
	const struct wire_query *wq = &req->q;

	if (tsig && q->tsig.result != TSIG_OK)           /* RFC 8945 5.2 */
		answer_error(cfg, req, q->tsig.result == TSIG_FORMERR ?
				       DNS_RCODE_FORMERR : DNS_RCODE_NOTAUTH);
	else if (!query_known_opcode(wq->opcode))
		answer_error(cfg, req, DNS_RCODE_NOTIMP);
	else if (req->parse == WIRE_NOQUESTION && wq->edns.reply_cookie_len)
		answer_error(cfg, req, DNS_RCODE_NOERROR); /* RFC 7873 5.4 */
	else if (req->parse != WIRE_OK ||
		 (wq->edns.present && wq->edns.cookie_bad))
		answer_error(cfg, req, DNS_RCODE_FORMERR); /* RFC 7873 5.2.2 */
	else if (wq->edns.present && wq->edns.version > 0)
		answer_error(cfg, req, DNS_RCODE_BADVERS); /* RFC 6891 6.1.3 */
	else if (challenge)
		answer_challenge(cfg, req);
	else if (wq->opcode == DNS_OPCODE_NOTIFY)
		answer_error(cfg, req, query_notify(env, q));
	else if (wq->opcode != DNS_OPCODE_QUERY)
		answer_error(cfg, req, DNS_RCODE_NOTIMP);
	else if (query_is_transfer(wq))
		return query_transfer(env, db, q);
	else
		answer_query(db, cfg, req);
	return false;
}

/* --- 5. policy (UDP, untrusted) --- */

/* The zone's NXDOMAIN budget (limits.h): TC in place, or drop. */
static bool query_zone_budget(struct query_env *env, struct query *q,
			      bool engaged)
{
	struct answer_request *req = &q->req;
	const struct attack_config *ac = attack_config_of(env->attack);
	enum rrl_result res;

	if (req->kind != ANSWER_KIND_NXDOMAIN || !env->limits)
		return true;
	res = limits_zone_nxdomain(env->limits, req->account_name,
				   engaged && ac ? ac->nxdomain_budget_percent :
						   100, q->now_ms, NULL);
	if (res == RRL_PASS)
		return true;
	if (res == RRL_SLIP) {
		answer_slip(req);
		STATS_INC(env->stats, STATS_ZONE_NX_SLIPPED);
		return true;
	}
	STATS_INC(env->stats, STATS_ZONE_NX_DROPPED);
	return false;
}

/* Response rate limiting (rrl.h): a slip is BADCOOKIE with a fresh server
 * cookie to a query with a client cookie (as BIND: the resolver can then
 * prove its address and be exempt), else TC. */
static bool query_rrl(struct query_env *env, struct query *q)
{
	static const uint8_t kind_class[] = {
		[ANSWER_KIND_POSITIVE] = RRL_CLASS_RESPONSE,
		[ANSWER_KIND_NODATA] = RRL_CLASS_NODATA,
		[ANSWER_KIND_NXDOMAIN] = RRL_CLASS_NXDOMAIN,
		[ANSWER_KIND_REFERRAL] = RRL_CLASS_REFERRAL,
		[ANSWER_KIND_ERROR] = RRL_CLASS_ERROR,
	};
	struct answer_request *req = &q->req;
	enum rrl_class cls, decided;
	enum rrl_result res;

	if (!env->rrl)
		return true;
	cls = req->kind < sizeof(kind_class) ?
		      (enum rrl_class)kind_class[req->kind] : RRL_CLASS_ERROR;
	res = rrl_check(env->rrl, q->client, cls, req->account_name,
			req->parse == WIRE_OK ? req->q.qtype : 0,
			req->cookie == COOKIE_VALID, q->now_ms, &decided);
	if (res == RRL_PASS)
		return true;
	if (res == RRL_SLIP) {
		if (answer_badcookie(req) != 0)
			answer_slip(req);
		STATS_INC(env->stats, STATS_RRL_SLIPPED + decided);
		return true;
	}
	STATS_INC(env->stats, STATS_RRL_DROPPED + decided);
	return false;
}

/* Every answer from a zone, for its NXDOMAIN share (attack.h). */
static inline __attribute__((always_inline)) void
query_note_answer(struct query_env *env, const struct query *q)
{
	const struct answer_request *req = &q->req;
	bool nx = req->kind == ANSWER_KIND_NXDOMAIN;

	if (env->attack && req->zone &&
	    attack_note_answer(env->attack, req->zone,
			       nx ? zone_apex(req->zone) : NULL, nx,
			       q->now_ms) == ATTACK_ENGAGED)
		STATS_INC(env->stats, STATS_ATTACK_ENGAGED);
}

/* Zone budgets and RRL, UDP only: a TCP source proved its address. */
static inline __attribute__((always_inline)) bool
query_policy(struct query_env *env, struct query *q)
{
	if (q->tcp || (!env->limits && !env->rrl))
		return true;
	return query_zone_budget(env, q, attack_engaged(env->attack)) &&
	       query_rrl(env, q);
}

/* --- 6. sign --- */

/* Appends the reply's TSIG record into the room the reply kept. */
static void query_tsig_sign(struct query_env *env, struct query *q)
{
	struct answer_request *req = &q->req;

	if (lv_fails_assert(tsig_sign_reply(req->resp, &req->resp_len,
					    req->resp_cap, &q->tsig,
					    q->now) == 0))
		STATS_INC(env->stats, STATS_TSIG_UNSIGNED);
}

/* --- 7. counters --- */

static inline __attribute__((always_inline)) void
query_count(struct query_env *env, const struct query *q)
{
	const struct answer_request *req = &q->req;

	STATS_INC(env->stats, stats_rcode_counter(req->rcode));
	if (env->zone_counts && req->zone)   /* metrics: per-zone */
		zone_count(req->zone, env->zone_slot, req->rcode <= 5 ?
			   (enum zone_hit)(ZONE_HIT_RCODE + req->rcode) :
			   ZONE_HIT_OTHER);
	if (req->rcode == DNS_RCODE_BADCOOKIE)
		STATS_INC(env->stats, STATS_BADCOOKIE);
	if (req->truncated)
		STATS_INC(env->stats, STATS_TRUNCATED);
}

/* --- the pipeline --- */

/* Stages 2 to 7 of a parsed message; tsig: it carries a TSIG record
 * (verified in stage 1). Inlined twice with tsig a constant, so a message
 * without TSIG pays no test of it past query_process()'s one. */
static inline __attribute__((always_inline)) int
query_stages(struct query_env *env, const struct zdb *db, struct query *q,
	     const bool tsig)
{
	struct answer_request *req = &q->req;
	enum admit a = query_admit(env, q, tsig);

	if (a == ADMIT_DROP)
		return QUERY_DROP;
	if (query_dispatch(env, db, q, a == ADMIT_CHALLENGE, tsig)) {
		query_count(env, q);
		return QUERY_TRANSFER;   /* no policy: TCP only */
	}
	query_note_answer(env, q);
	/* A challenge is no larger than the query and never limited again:
	 * it is the way back for the owner of a forged address. */
	if (a == ADMIT_SERVE && !query_policy(env, q)) {
		if (env->zone_counts && req->zone)
			zone_count(req->zone, env->zone_slot,
				   ZONE_HIT_DROPPED);
		return QUERY_DROP;
	}
	if (tsig && req->tsig_reserve)
		query_tsig_sign(env, q);
	query_count(env, q);
	q->resp_len = req->resp_len;
	return QUERY_SEND;
}

/* A message with a TSIG record: verified, then the same stages. */
static __attribute__((noinline)) int
query_signed(struct query_env *env, const struct zdb *db, struct query *q)
{
	query_tsig_verify(env, q);
	return query_stages(env, db, q, true);
}

/* Stages 1 to 7. */
static inline __attribute__((always_inline)) int
query_run(struct query_env *env, const struct zdb *db, struct query *q)
{
	struct answer_request *req = &q->req;

	q->resp_len = 0;
	q->list.bits = 0;
	req->query = q->msg;
	req->query_len = q->len;
	req->resp = q->resp;
	req->resp_cap = q->resp_cap;
	req->tcp = q->tcp;
	req->client = q->client;
	req->now = q->now;
	STATS_INC(env->stats, q->tcp ? STATS_TCP_QUERIES : STATS_UDP_QUERIES);

	if (answer_parse(env->acfg, req) == WIRE_DROP) {
		STATS_INC(env->stats, STATS_GARBAGE_DROPPED);
		STATS_INC(env->stats, STATS_DROPPED);
		return QUERY_DROP;
	}
	STATS_COOKIE(env->stats, req->cookie);
	if (req->q.tsig_off)
		return query_signed(env, db, q);
	return query_stages(env, db, q, false);
}

/* --- 8. dnstap --- */

/* The pipeline with its exchange logged, when sampled. The query time is
 * taken before stage 1, the reply time after stage 7 (CLOCK_REALTIME: the
 * vDSO, no system call). */
static __attribute__((noinline)) int
query_tapped(struct query_env *env, const struct zdb *db, struct query *q)
{
	struct dnstap_event e;
	uint64_t queued = 0, dropped = 0;
	bool sampled = dnstap_sampled(env->tap, env->attack &&
					       attack_engaged(env->attack));
	int verdict;

	if (sampled)
		clock_gettime(CLOCK_REALTIME, &e.query_time);
	verdict = query_run(env, db, q);
	if (!sampled)
		return verdict;
	clock_gettime(CLOCK_REALTIME, &e.reply_time);
	e.client = q->client;
	e.server = q->server;
	e.tcp = q->tcp;
	e.query = q->msg;
	e.query_len = q->len;
	e.reply = verdict == QUERY_SEND ? q->resp : NULL;
	e.reply_len = verdict == QUERY_SEND ? q->resp_len : 0;
	dnstap_log(env->tap, &e, &queued, &dropped);
	STATS_ADD(env->stats, STATS_DNSTAP_QUEUED, queued);
	STATS_ADD(env->stats, STATS_DNSTAP_DROPPED, dropped);
	return verdict;
}

int query_process(struct query_env *env, const struct zdb *db,
		  struct query *q)
{
	if (__builtin_expect(env->tap != NULL, 0))
		return query_tapped(env, db, q);
	return query_run(env, db, q);
}
