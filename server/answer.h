/* answer.h -- the answer engine: one query in wire form in, one reply out.
 *
 * answer_query() is the whole query path after the socket: it parses the
 * header, question and OPT in place (wire.c, edns.c), looks the name up in a
 * zone snapshot, synthesises the answer (one function per case, answer.c) and
 * renders it with name compression into the caller's buffer (render.c).
 * It allocates nothing, takes no lock and makes no system call; everything it
 * touches is the query, the read-only snapshot and config, and the caller's
 * buffers. Reactor threads call it; tests call it directly without sockets.
 */
#ifndef LEVEE_SERVER_ANSWER_H
#define LEVEE_SERVER_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zdb;
struct sockaddr;
struct cookie_ctx;

/* Settings the engine needs, built once from the configuration. */
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
	uint8_t cookie_require;    /* enum cookie_require, UDP only */
};

/* What kind of response was produced, for statistics and rate limiting. */
enum answer_kind {
	ANSWER_KIND_POSITIVE,  /* NOERROR with answer records */
	ANSWER_KIND_NODATA,    /* NOERROR, empty answer (incl. wildcard NODATA) */
	ANSWER_KIND_NXDOMAIN,
	ANSWER_KIND_REFERRAL,
	ANSWER_KIND_ERROR,     /* FORMERR, REFUSED, NOTIMP, SERVFAIL, BADVERS... */
};

/* One query. The caller fills the inputs; answer_query() fills the outputs. */
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
	/* out */
	size_t resp_len;        /* bytes of reply written to resp */
	uint16_t rcode;         /* extended rcode of the reply (0..4095) */
	uint8_t kind;           /* enum answer_kind */
	bool truncated;         /* TC set */
	bool client_keepalive;  /* the query carried an edns-tcp-keepalive option */
	uint8_t cookie;         /* enum cookie_status: COOKIE_VALID proves the
				   source address (RRL exempts it) */
	size_t opt_off;         /* offset of the reply's OPT record, 0: none */
	uint16_t qtype;         /* the question's type, 0 without a question
				   (parsed once here, for RRL's key) */
	const struct zone *zone;/* the zone that answered, or NULL */
	/* For rate limiting: the name the response is accounted to (lowercase
	 * wire, valid until the next call on the same request): the qname for
	 * positive answers and NODATA, the wildcard owner for wildcard answers,
	 * the zone apex for NXDOMAIN, the cut for referrals; NULL for errors. */
	const uint8_t *account_name;
};

enum answer_status {
	ANSWER_SEND = 0,  /* send resp[0..resp_len) */
	ANSWER_DROP = 1,  /* send nothing (QR=1, header not trustworthy, ...) */
};

/* Answers one query from snapshot db (may be NULL: every name is then
 * REFUSED). Returns ANSWER_SEND or ANSWER_DROP. Never fails otherwise: bad
 * input yields FORMERR (when the header can be trusted) or ANSWER_DROP.
 * Reactor threads and tests; reentrant. Work is bounded by the query length
 * and the number of records rendered (CNAME chains stop after 5 links, as in knotd). */
int answer_query(const struct zdb *db, const struct answer_config *cfg,
		 struct answer_request *req);

/* Rewrites req's reply in place into BADCOOKIE (RFC 7873 5.2.3): header
 * and question kept, sections emptied, the OPT with its fresh server cookie
 * kept, extended rcode 23. For the RRL slip of a query that carried a
 * client cookie without a valid server cookie (as BIND does): it tells a
 * real resolver how to be exempt. Returns 0, or -1 when the reply has no
 * COOKIE option (req->cookie not COOKIE_CLIENT_ONLY or COOKIE_INVALID);
 * then nothing is changed. Reactor threads; no allocation. */
int answer_badcookie(struct answer_request *req);

#endif
