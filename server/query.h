/* query.h -- the query pipeline: one DNS message from any transport.
 *
 * query_process() is the only query path. UDP (both paths) and TCP hand it
 * the bytes of one message and send what it leaves in the reply buffer; it
 * runs, in order and each once (query.c reads top to bottom):
 *   1. parse      header, question, OPT, cookie (answer_parse): once; every
 *                 later stage reads the parsed question, none the packet;
 *                 a TSIG record the parser found is verified (tsig.h);
 *   2. admission  trusted sources, per-source limits, cookies required,
 *                 the attack detector: serve, challenge (TC or BADCOOKIE
 *                 without any lookup) or drop;
 *   3. dispatch   by parse result, opcode and qtype: QUERY, NOTIFY, AXFR
 *                 and IXFR (the hooks of transfers and NOTIFY), errors;
 *   4. answer     the engine (answer.h): lookup, rendering;
 *   5. policy     zone NXDOMAIN budgets, response rate limiting, slips;
 *   6. sign       the reply of a request with TSIG (tsig.h): signed when
 *                 the request verified (whatever the rcode, TC too), with
 *                 an unsigned error record for BADKEY and BADSIG;
 *   7. counters   every outcome in the reactor's stats;
 *   8. dnstap     a sampled message and its reply to the reactor's
 *                 ring (dnstap.h), when on: one test of env->tap when off.
 * The transports are I/O only. Nothing here allocates, locks or makes a
 * system call; the only shared writes are the rate-limit tables' relaxed
 * atomics. Work per message: one parse (O(length)), at most
 * LIMITS_MAX_PREFIXES + 2 bucket lookups, one answer (answer.h bounds),
 * one RRL check (two bucket sets at most); with a TSIG record at most one
 * HMAC to verify it (none for an unknown key name) and one to sign the
 * reply (only when it verified: a stranger without the secret costs one
 * HMAC, tsig.h). A message without TSIG costs one test of the parser's
 * result.
 */
#ifndef LEVEE_SERVER_QUERY_H
#define LEVEE_SERVER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cidr.h"
#include "server/answer.h"
#include "server/tsig.h"

struct zdb;
struct stats;
struct rrl_table;
struct limits_table;
struct attack;
struct droplist;
struct xfrout_policy;
struct dnstap_ring;

/* What one reactor's pipeline works with: settings and shared tables (read
 * or updated lock-free), its own counters and slip state. One per reactor
 * (or per test), written only by its thread. */
struct query_env {
	const struct answer_config *acfg;
	struct rrl_table *rrl;         /* UDP response rate limiting, or NULL */
	struct limits_table *limits;   /* per-source limits, zone budgets, or
					  NULL */
	struct attack *attack;         /* the attack detector, or NULL */
	/* What the kernel drop map lists (droplist.h), or NULL (not loaded):
	 * an over-limit query the kernel may have thinned already (slip N)
	 * is challenged, not slipped again. */
	struct droplist *drops;
	/* Where the policy of transfers out is published (xfrout.h: who may
	 * transfer which zone, the slots; read with an acquire load, main
	 * swaps it at a reload), or NULL: every AXFR is NOTAUTH. */
	struct xfrout_policy *const *xfr;
	/* NOTIFY in (notify_in.h): the published table of secondaries
	 * (acquire load; main swaps it at a reload), or NULL: every NOTIFY
	 * is NOTAUTH. */
	struct notify_in *const *notify_in;
	/* Sources trusted for replication (acl: addresses): their NOTIFY,
	 * SOA, AXFR and IXFR messages bypass limits, cookies required, the
	 * attack mode and RRL. Forged, such a source gains only those
	 * messages' replies without rate limiting (the SOA answer of one
	 * zone, about 100 bytes a query: at most 2x amplification). */
	const struct cidr *trusted;
	size_t trusted_count;
	struct stats *stats;           /* the reactor's counters */
	bool zone_counts;              /* per-zone counters on (metrics:
					  per-zone): zone_count() per answer */
	unsigned zone_slot;            /* its slot of the per-zone counters
					  (zone.h zone_count: the reactor's
					  id) */
	unsigned limits_slips;         /* over-limit queries seen (slip) */
	/* dnstap (dnstap.h): the reactor's ring, or NULL (off). A sampled
	 * query's AUTH_QUERY and AUTH_RESPONSE are logged after the last
	 * stage, whatever the verdict (a dropped query has no response). */
	struct dnstap_ring *tap;
};

/* One message. The transport fills the inputs; query_process() the rest. */
struct query {
	/* in */
	const uint8_t *msg;            /* the datagram or TCP message */
	size_t len;
	uint8_t *resp;                 /* reply buffer: >= 512 bytes for UDP,
					  65535 for TCP */
	size_t resp_cap;
	bool tcp;
	/* The transport vouches that the datagram comes from this host:
	 * source 127.0.0.1 or ::1 and received on the loopback interface
	 * (udp.c, server: exempt-local). Such a query skips the per-source
	 * limits, cookies required, the attack mode's challenges and the
	 * policy stage (zone budgets, RRL), as a trusted source does; it is
	 * still noted by the attack detector. A forged 127.0.0.1 from the
	 * network (route_localnet) arrives on another interface: not local. */
	bool local;
	const struct sockaddr *client; /* AF_INET or AF_INET6 */
	/* The address the socket is bound to (a wildcard: 0.0.0.0 or ::),
	 * or NULL: dnstap's response address and port. */
	const struct sockaddr *server;
	uint32_t now;                  /* wall clock, seconds (cookies) */
	uint64_t now_ms;               /* monotonic ms (uv_now): the limits */
	/* out */
	size_t resp_len;               /* reply bytes in resp, when sent */
	/* A UDP source over its per-source limit without a valid cookie,
	 * with limits: slip 0 (dropped) or N > 1 (dropped or challenged):
	 * the prefix that was over (its bits), for the kernel drop map,
	 * whatever the verdict (the transport lists it after the batch,
	 * never inside the answer loop). Never with slip 1. list.bits == 0:
	 * nothing to list. */
	struct cidr list;
	/* QUERY_TRANSFER: what to send (enum xfrout_kind: the zone, the SOA
	 * alone, or the differences from xfr_from) for xfrout_start. */
	uint8_t xfr_kind;
	uint32_t xfr_from;
	struct answer_request req;     /* the engine's view (parsed query,
					  reply facts) */
	/* The TSIG verdict and what signing the reply takes, valid when
	 * req.q.tsig_off (the request had a TSIG record). The pipeline signs
	 * the reply in resp last, into req.tsig_reserve bytes the reply kept
	 * free; a dispatch that signs its own messages (a transfer: a
	 * tsig_ctx from this state, tsig.h) sets req.tsig_reserve to 0 so
	 * the pipeline does not sign again. */
	struct tsig_state tsig;
};

enum query_verdict {
	QUERY_DROP = 0,                /* send nothing */
	QUERY_SEND = 1,                /* send resp[0..resp_len) */
	/* TCP only: an AXFR of q->req.zone allowed, with a transfer slot of
	 * env->xfr taken; nothing in resp. The transport starts the
	 * transfer (xfrout_start), or calls query_transfer_abort(). */
	QUERY_TRANSFER = 2,
};

/* Runs the pipeline over q with snapshot db (NULL: every name REFUSED),
 * counting in env->stats. Returns QUERY_SEND or QUERY_DROP. Reactor
 * thread of env (RCU online while db is read), or a test; reentrant
 * across envs. */
int query_process(struct query_env *env, const struct zdb *db,
		  struct query *q);

/* The request's TSIG verdict (tsig.h) when it carried a TSIG record, else
 * NULL. */
const struct tsig_state *query_tsig_state(const struct query *q);

/* The transfer policy published now (for xfrout_start after
 * QUERY_TRANSFER: any policy counts in the same slots), or NULL. */
struct xfrout_policy *query_transfer_policy(const struct query_env *env);

/* After QUERY_TRANSFER, when the transfer cannot start (no memory): gives
 * the slot back and writes SERVFAIL into q->resp (q->resp_len). */
void query_transfer_abort(struct query_env *env, struct query *q);

#endif
