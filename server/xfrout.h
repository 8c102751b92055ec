/* xfrout.h -- zone transfers out: AXFR over TCP (RFC 5936).
 *
 * Two parts. The policy (struct xfrout_policy) is built by main from a
 * configuration (at start and at each full reload, then published with
 * one atomic pointer swap and the old one freed after a grace period) and
 * only read by the reactors: which zones may be transferred to which
 * addresses (each zone's acl: list, the acl: entries with action
 * transfer, copied: the policy needs nothing of the configuration after
 * it is built; no zone is transferable without an acl), and
 * server: transfers-max. The count of transfers running over all reactors
 * is one counter for the daemon's life (relaxed atomics) that every
 * policy points at. The query pipeline (query.c, dispatch) asks
 * xfrout_admit() for every AXFR over TCP.
 *
 * A transfer (struct xfrout) is one AXFR answer being written on one TCP
 * connection (tcp.c); an IXFR is answered the same way (RFC 1995 4: the
 * whole zone, AXFR-style, its question IXFR: no journal yet), or with the
 * SOA alone when the client's serial is ours or newer. It holds the zone version that was current when it
 * started (zones/zone_walk.h: a hold, dropped after a grace period) and
 * writes it in messages of about XFROUT_MSG_TARGET bytes, each on demand
 * (xfrout_next) as the connection's writes drain, so a transfer costs its
 * state and the buffer its connection writes from, whatever the zone's
 * size. Messages: the query's ID, QR and AA, opcode and RD copied, the
 * question in every one (as knotd), the SOA first and last, every other
 * record of the version once (glue and occluded data included) in index
 * order, names compressed (render.h), the reply OPT in every one when the
 * query had one. A set too large for one message is split across
 * messages record by record. A record that cannot fit an empty message
 * (a 65,535-byte RDATA) ends the transfer with a SERVFAIL message.
 *
 * Work per message: the records that fit in it (render.h: O(bytes
 * written)) and the index slots between their nodes; a whole transfer
 * reads each index slot once (zone_walk.h). Nothing allocates but
 * xfrout_start (one small hold).
 */
#ifndef LEVEE_SERVER_XFROUT_H
#define LEVEE_SERVER_XFROUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct zone;
struct sockaddr;
struct answer_config;
struct answer_request;
struct tsig_state;
struct tsig_keyring;

/* Messages are filled to XFROUT_MSG_TARGET bytes (as knotd: every name
 * of a message within reach of compression pointers, which end at 16
 * KiB); one that would hold no record at that size grows up to
 * XFROUT_MSG_MAX for its first record. xfrout_next() needs room for the
 * largest with its two-byte TCP length. */
#define XFROUT_MSG_TARGET 16384
#define XFROUT_MSG_MAX 65535
#define XFROUT_FRAME_MAX (2 + XFROUT_MSG_MAX)

struct xfrout_policy;

/* The policy of cfg (zones' acl: lists, acl: entries, transfers-max),
 * counting running transfers in *running (which outlives every policy and
 * transfer made with it). The names of zones that list an acl are hashed
 * with name_hash(), so main builds it after name_hash_set_key(). NULL
 * when out of memory. Main only. */
struct xfrout_policy *xfrout_policy_new(const struct config *cfg,
					unsigned *running);

/* Frees p now (no reader left: at shutdown, after the reactors), or after
 * a grace period (retire: p was published and reactors may read it; any
 * registered RCU thread). NULL accepted. */
void xfrout_policy_free(struct xfrout_policy *p);
void xfrout_policy_retire(struct xfrout_policy *p);

enum xfrout_verdict {
	XFROUT_ALLOW,     /* a transfer slot is taken: xfrout_start, or
			     xfrout_slot_put when it cannot start */
	XFROUT_DENY,      /* no acl of the zone allows client */
	XFROUT_BUSY,      /* allowed, but transfers-max run already */
};

/* Whether client may transfer zone z (served, its apex the qname), and
 * when it may, takes a slot. An acl entry that names keys allows only a
 * request ts verified (TSIG_OK) with one of them (kr: the keyring the
 * verdict came from), from one of its addresses when it lists any; ts
 * NULL or not TSIG_OK: only entries without keys. p may be NULL (no transfers: XFROUT_DENY).
 * One hash probe for the zone, then at most CONFIG_MAX_TRUSTED address
 * compares (every address of every acl entry). Any thread, no lock. */
enum xfrout_verdict xfrout_admit(struct xfrout_policy *p, const struct zone *z,
				 const struct sockaddr *client,
				 const struct tsig_state *ts,
				 const struct tsig_keyring *kr);

/* Gives back a slot taken by xfrout_admit() that no transfer used (with
 * this policy or any other on the same counter). */
void xfrout_slot_put(struct xfrout_policy *p);

/* Transfers running now over all reactors (relaxed). */
unsigned xfrout_running(const struct xfrout_policy *p);

/* One transfer; lives in memory of xfrout_size() bytes that the caller
 * owns (tcp.c charges it to the connection). */
struct xfrout;
size_t xfrout_size(void);

/* The serial of the SOA record an IXFR query carries as the first record
 * of its authority section (RFC 1995 3), its answer section empty:
 * 0 with *serial, or -1 when there is none or it is malformed (FORMERR).
 * question_end: where the question ends. O(message length); any thread. */
int xfrout_ixfr_serial(const uint8_t *msg, size_t len, size_t question_end,
		       uint32_t *serial);

/* What a transfer sends. */
enum xfrout_kind {
	XFROUT_WHOLE,      /* AXFR (or IXFR answered AXFR-style) */
	XFROUT_SOA_ONLY,   /* IXFR from a client at our serial or newer:
			      one message, the SOA alone (RFC 1995 2) */
	XFROUT_IXFR,       /* IXFR from serial `from`: the condensed
			      differences from the journal (RFC 1995 4),
			      the whole zone AXFR-style when the journal
			      does not reach back that far or they would
			      pass XFROUT_IXFR_MAX bytes */
};

/* The most a condensed IXFR may hold in memory while it is written (per
 * transfer; transfers-max of them at once, only for clients an acl lets
 * transfer): past it the zone goes out whole. Condensing reads the journal
 * on the reactor, at most this much (zones/journal.h). */
#define XFROUT_IXFR_MAX (16u << 20)

/* Starts in x the transfer that req asked for (req->parse WIRE_OK, an
 * AXFR or IXFR of req->zone, which xfrout_admit allowed with a slot taken
 * from p): copies what the messages echo (header, question, the EDNS reply
 * facts) and takes a hold on the zone; for XFROUT_IXFR reads the
 * differences from cfg->journal. ts: the request's TSIG verdict, or NULL;
 * when it is TSIG_OK every message is signed (RFC 8945 5.3.1: the first as
 * a reply, each later one over the previous MAC). Returns 0, or -ENOMEM (nothing held; the
 * caller gives the slot back). Reactor thread, RCU online with req->zone
 * read from the current snapshot. */
int xfrout_start(struct xfrout *x, struct xfrout_policy *p,
		 const struct answer_config *cfg,
		 const struct answer_request *req, enum xfrout_kind kind,
		 uint32_t from, const struct tsig_state *ts);

/* IXFR over UDP (RFC 1995 2): the answer xfrout_start would give, into
 * out, when it is one message of at most limit bytes; else the SOA alone
 * (never TC). The slot xfrout_admit took is given back. Returns the
 * reply's length, 0 when not even that could be made (out of memory: the
 * caller answers SERVFAIL). kind: XFROUT_IXFR or XFROUT_SOA_ONLY. Work:
 * at most limit bytes of journal read (journal_condense's bound: changes
 * larger than a datagram cannot make one) and two messages rendered, so a
 * datagram whose source is forged as an allowed secondary (UDP proves no
 * address; trusted sources skip RRL) costs that much and is answered to
 * that secondary with at most limit bytes. Reactor thread, as
 * xfrout_start. */
size_t xfrout_udp(struct xfrout_policy *p, const struct answer_config *cfg,
		  const struct answer_request *req, enum xfrout_kind kind,
		  uint32_t from, const struct tsig_state *ts, uint8_t *out,
		  size_t limit);

/* True when x sends differences (an IXFR from the journal), false when
 * the whole zone or the SOA alone. */
bool xfrout_is_ixfr(const struct xfrout *x);

/* Writes the next message, two-byte length first, into buf[0..cap) (cap
 * at least XFROUT_FRAME_MAX). Returns the bytes written, 0 when the
 * transfer is complete (nothing written). Any thread that owns x; RCU
 * state does not matter (the version is held). */
size_t xfrout_next(struct xfrout *x, uint8_t *buf, size_t cap);

/* True once the last message has been written. */
bool xfrout_done(const struct xfrout *x);

/* Messages and records written so far. */
uint32_t xfrout_messages(const struct xfrout *x);
uint64_t xfrout_records(const struct xfrout *x);

/* Ends x, complete or not: drops the hold (after a grace period) and
 * gives back the slot (x keeps the counter, not the policy: a policy
 * retired meanwhile does not matter). x's memory may then be freed.
 * Idempotent. */
void xfrout_end(struct xfrout *x);

#endif
