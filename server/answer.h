/* answer.h -- the answer engine: a parsed query in, one reply out.
 *
 * The query pipeline (query.h) parses each message once with
 * answer_parse() (header, question and OPT in place, wire.c and edns.c, and
 * the COOKIE option classified) and then writes the reply with exactly one
 * of the reply functions below, chosen by its dispatch stage:
 *   answer_query()      opcode QUERY: the zone lookup and the answer cases
 *                       (answer.c, one function per case), CHAOS identity;
 *   answer_error()      a reply with only an rcode (FORMERR, NOTIMP,
 *                       NOTAUTH, BADVERS, REFUSED...);
 *   answer_challenge()  a source must prove its address: an empty TC reply,
 *                       or BADCOOKIE with a fresh server cookie;
 * and may afterwards rewrite it in place for a slip: answer_slip() (TC) or
 * answer_badcookie(). Every reply is rendered with name compression into
 * the caller's buffer (render.c) and carries the reply OPT whenever the
 * query had one: the OPT (with the cookie) is reserved before any section
 * is rendered, and the optional options (NSID, EDE) are left out before
 * any of it would push the reply past the client's size (RFC 6891 7).
 * The room of a TSIG record (req->tsig_reserve) is kept free the same way,
 * so the pipeline can sign whatever reply was written, TC ones included.
 *
 * Nothing here allocates, takes a lock or makes a system call; everything
 * touched is the request, the read-only snapshot and config, and the
 * caller's buffers. Reactor threads call it through query.c; tests and
 * fuzzers call it directly. Work per reply: bounded by the query length,
 * ANSWER_CHAIN_MAX chain links (each O(labels) lookups), the records that
 * fit the reply, and ANSWER_ADDL_TARGETS additional-record lookups; with
 * DO=1 in a signed zone, a few binary searches for NSEC/NSEC3 proofs and
 * at most two NSEC3 hashes (answer.c).
 */
#ifndef LEVEE_SERVER_ANSWER_H
#define LEVEE_SERVER_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/wire.h"

struct zdb;
struct zone;
struct sockaddr;
struct cookie_ctx;
struct tsig_keyring;

/* Settings the engine needs, built once from the configuration. */
struct journal;

struct answer_config {
	uint16_t udp_max;          /* EDNS max UDP payload we send (default 1232) */
	const uint8_t *nsid;       /* NSID option payload, or NULL (RFC 5001) */
	uint16_t nsid_len;
	const char *id_server;     /* CHAOS TXT id.server / hostname.bind, or NULL */
	const char *version;       /* CHAOS TXT version.bind / version.server, or NULL */
	uint16_t tcp_keepalive;    /* RFC 7828 timeout in units of 100 ms, sent over
				      TCP to clients that sent the option */
	/* DNS Cookies (ratelimit/cookie.h): the secrets, or NULL (cookies
	 * off: the option is parsed, its length checked, nothing more). */
	const struct cookie_ctx *cookies;
	uint8_t cookie_require;    /* enum cookie_require, UDP only (query.c) */
	/* The IXFR journal (zones/journal.h) IXFR out reads, or NULL: IXFR
	 * is answered AXFR-style (xfrout.h). */
	struct journal *journal;
	/* TSIG keys (tsig.h), or NULL (none: every TSIG is BADKEY); the
	 * pipeline verifies and signs, the engine only keeps the room. */
	const struct tsig_keyring *tsig;
};

/* What kind of response was produced, for statistics and rate limiting. */
enum answer_kind {
	ANSWER_KIND_POSITIVE,  /* NOERROR with answer records */
	ANSWER_KIND_NODATA,    /* NOERROR, empty answer (incl. wildcard NODATA) */
	ANSWER_KIND_NXDOMAIN,
	ANSWER_KIND_REFERRAL,
	ANSWER_KIND_ERROR,     /* FORMERR, REFUSED, NOTIMP, SERVFAIL, BADVERS... */
};

/* One query. The pipeline fills the inputs; answer_parse() fills q and
 * cookie; a reply function fills the outputs. */
struct answer_request {
	/* in */
	const uint8_t *query;   /* the datagram or TCP message */
	size_t query_len;
	uint8_t *resp;          /* reply buffer, at least 65535 bytes for TCP,
				   at least 512 for UDP */
	size_t resp_cap;        /* its size */
	bool tcp;               /* over TCP: no size limit below resp_cap */
	const struct sockaddr *client; /* source address (AF_INET/AF_INET6) for
				   cookies; NULL: cookies are not processed */
	uint32_t now;           /* wall-clock seconds (cookie timestamps); the
				   caller reads the clock once per batch */
	/* parsed (answer_parse) */
	struct wire_query q;    /* header, question, OPT */
	uint8_t parse;          /* enum wire_status */
	uint8_t cookie;         /* enum cookie_status: COOKIE_VALID proves the
				   source address (RRL exempts it) */
	/* Bytes every reply keeps free at the end of its size limit for the
	 * TSIG record (tsig.h), set by the pipeline after answer_parse()
	 * (which zeroes it). A reply function clears it when not even
	 * header, question and OPT leave that room (only an unsigned echo
	 * of long names can: tsig.h); the record is then left out. */
	uint16_t tsig_reserve;
	/* out (every reply function) */
	size_t resp_len;        /* bytes of reply written to resp */
	uint16_t rcode;         /* extended rcode of the reply (0..4095) */
	uint8_t kind;           /* enum answer_kind */
	bool truncated;         /* TC set */
	size_t opt_off;         /* offset of the reply's OPT record, 0: none */
	size_t question_end;    /* offset just past the question echoed (12
				   without one) */
	const struct zone *zone;/* the zone that answered, or NULL */
	/* For rate limiting: the name the response is accounted to (lowercase
	 * wire, valid until the next call on the same request): the qname for
	 * positive answers and NODATA, the wildcard owner for wildcard answers,
	 * the zone apex for NXDOMAIN, the cut for referrals; NULL for errors. */
	const uint8_t *account_name;
};

/* The size limit of req's reply: over UDP min(max(client's EDNS size,
 * 512), cfg->udp_max), 512 without EDNS; over TCP the buffer (<= 65535).
 * After answer_parse(). */
size_t answer_reply_limit(const struct answer_config *cfg,
			  const struct answer_request *req);

/* Parses req->query[0..query_len) into req->q (wire_parse_query) and, with
 * cookies on and a client address, classifies its COOKIE option into
 * req->cookie (one cookie_check(): a few SipHash runs) and prepares the
 * reply's cookie. Returns the enum wire_status, also kept in req->parse:
 * WIRE_DROP means the message deserves no reply. Resets the outputs. */
int answer_parse(const struct answer_config *cfg, struct answer_request *req);

/* Answers a parsed QUERY (req->parse WIRE_OK, opcode QUERY, qtype not a
 * transfer) from snapshot db (may be NULL: every name is then REFUSED):
 * class IN (and ANY, as knotd) from the zones, CH from the identity
 * settings, REFUSED for other classes. */
void answer_query(const struct zdb *db, const struct answer_config *cfg,
		  struct answer_request *req);

/* Writes a reply carrying only rcode (extended rcodes in the OPT): the
 * question echoed when it was parsed (req->parse WIRE_OK or WIRE_FORMERR),
 * REFUSED with EDE "Not Authoritative" when the OPT has room. */
void answer_error(const struct answer_config *cfg, struct answer_request *req,
		  uint16_t rcode);

/* The same with the RFC 8914 info code ede in the OPT (when the query had
 * one and it has room): NOTAUTH with Prohibited for a refused transfer. */
void answer_error_ede(const struct answer_config *cfg,
		      struct answer_request *req, uint16_t rcode, int ede);

/* Writes the reply to a UDP query that must prove its address (cookies
 * required, or over its per-source limit, query.c) without any lookup
 * (RFC 7873 5.2.3/5.2.4): BADCOOKIE with a fresh server cookie when it
 * sent a client cookie, else an empty TC reply (it retries over TCP). */
void answer_challenge(const struct answer_config *cfg,
		      struct answer_request *req);

/* Rewrites the finished reply in place into its slipped form (RRL, zone
 * budgets): TC=1, the question kept, no records but the OPT. O(OPT). */
void answer_slip(struct answer_request *req);

/* Rewrites the finished reply in place into BADCOOKIE (RFC 7873 5.2.3):
 * header and question kept, sections emptied, the OPT with its fresh
 * server cookie kept, extended rcode 23. For the RRL slip of a query that
 * carried a client cookie without a valid server cookie (as BIND does): it
 * tells a real resolver how to be exempt. Returns 0, or -1 when the reply
 * has no COOKIE option (req->cookie not COOKIE_CLIENT_ONLY or
 * COOKIE_INVALID); then nothing is changed. */
int answer_badcookie(struct answer_request *req);

#endif
