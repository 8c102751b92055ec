/* edns.h -- EDNS(0) (RFC 6891): the query's OPT record in, the reply's out.
 *
 * edns_parse() reads the OPT record of a query in place and remembers what
 * the reply needs: the client's UDP size, version, DO bit and the options we
 * act on (NSID, RFC 5001; edns-tcp-keepalive, RFC 7828; COOKIE, RFC 7873,
 * whose length is checked here; EXPIRE, RFC 7314). Unknown options are
 * ignored. edns_reply_size()/edns_write() emit the reply OPT. Pure; any
 * thread; no allocation.
 */
#ifndef LEVEE_SERVER_EDNS_H
#define LEVEE_SERVER_EDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"

struct answer_config;

struct edns_query {
	bool present;
	bool do_bit;
	bool nsid;            /* the client asked for NSID */
	bool keepalive;       /* the client sent edns-tcp-keepalive */
	bool expire;          /* the client sent EXPIRE (RFC 7314) */
	/* The reply's EXPIRE, set by answer.c / xfrout.c for an SOA, AXFR or
	 * IXFR answer from a zone (its room is reserved whenever the client
	 * asked: 8 bytes). */
	bool reply_expire;
	uint32_t reply_expire_s;
	uint8_t version;
	uint16_t udp_size;    /* as sent; callers clamp */
	/* COOKIE (RFC 7873): the option payload in the query (client cookie
	 * and any server cookie), cookie_len 0 when absent; cookie_bad when
	 * its length is not 8 or 16..40 or it came twice (FORMERR). */
	const uint8_t *cookie;
	uint8_t cookie_len;
	bool cookie_bad;
	/* The reply's COOKIE payload, set by answer.c before the reply OPT is
	 * sized; reply_cookie_len 0: no COOKIE option in the reply. */
	uint8_t reply_cookie_len;
	uint8_t reply_cookie[24];
};

/* Parses the OPT record whose TYPE field starts at rr (TYPE CLASS TTL
 * RDLENGTH RDATA, avail bytes readable). Returns the record length after the
 * owner (10 + RDLENGTH) or -1 when malformed (record or option lengths). */
int edns_parse(const uint8_t *rr, size_t avail, struct edns_query *e);

/* Size of the reply OPT record for this query and reply (0 without OPT in
 * the query). nsid: include NSID when the client asked and it is
 * configured; ede: an RFC 8914 info code to add, or -1. */
size_t edns_reply_size(const struct edns_query *e,
		       const struct answer_config *cfg, bool tcp, bool nsid,
		       int ede);

/* Writes the reply OPT record at p (room for edns_reply_size() bytes with
 * the same nsid and ede required): our UDP size cfg->udp_max, extended
 * rcode bits (rcode >> 4), version 0, the DO bit copied, NSID when nsid
 * and requested and configured, keepalive over TCP when requested and
 * configured, EDE when ede >= 0, the COOKIE prepared by answer_parse().
 * Returns the bytes written. */
size_t edns_write(uint8_t *p, const struct edns_query *e,
		  const struct answer_config *cfg, bool tcp, uint16_t rcode,
		  bool nsid, int ede);

#endif
