/* wire.h -- parsing one query in place: header, question, the other sections.
 *
 * wire_parse_query() reads a query without copying it: it validates the
 * header, the single question (no compression allowed there, labels <= 63,
 * name <= 255 octets), skips any answer and authority records, finds the OPT
 * record in the additional section (edns.c parses its contents), notes
 * where a TSIG record is (it must be the additional section's last; tsig.c
 * verifies it) and checks that nothing trails the counted records. The
 * only copy it makes is the lowercased qname, into the caller's struct (on
 * the caller's stack).
 * Pure; any thread; work bounded by the query length.
 */
#ifndef LEVEE_SERVER_WIRE_H
#define LEVEE_SERVER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"
#include "common/name.h"
#include "server/edns.h"


/* DNS header bits, in the 16-bit flags word. */

enum wire_status {
	WIRE_OK = 0,          /* a well-formed query with one question */
	WIRE_DROP,            /* answer nothing (header shorter than 12 bytes, QR=1) */
	WIRE_FORMERR,         /* FORMERR echoing the question, no OPT */
	WIRE_FORMERR_NOQ,     /* FORMERR, header only (no usable question); OPT if parsed */
	WIRE_NOQUESTION,      /* QDCOUNT 0, otherwise well formed: FORMERR like
				 WIRE_FORMERR_NOQ, unless it carries a COOKIE
				 (RFC 7873 5.4: NOERROR with a server cookie) */
};

struct wire_query {
	uint16_t flags;          /* header flags word as received */
	uint8_t opcode;
	uint16_t qdcount;
	uint8_t qname_len;       /* wire length of the qname (at offset 12) */
	uint16_t qtype;
	uint16_t qclass;
	size_t question_end;     /* offset just past the question */
	struct edns_query edns;  /* valid when edns.present */
	size_t tsig_off;         /* offset of the TSIG record's owner, the
				    last of the additional section; 0: none
				    (or the parse failed) */
	uint8_t lname[256];      /* qname lowercased */
	uint8_t labels;          /* its labels, the root not counted */
	uint8_t loffs[NAME_MAX_LABELS + 1]; /* offset in lname of each label,
				    loffs[labels]: the root byte's */
};

/* Parses the query pkt[0..len) into q. Returns an enum wire_status. On
 * WIRE_FORMERR the question fields are valid (qname, qtype, qclass,
 * question_end); on WIRE_FORMERR_NOQ only the header fields and (when
 * q->edns.present) the OPT. */
int wire_parse_query(const uint8_t *pkt, size_t len, struct wire_query *q);

/* Skips a possibly compressed name at pkt[*off] in a packet of len bytes,
 * advancing *off past its bytes in place. Returns false when malformed
 * (truncated, label type 01/10, pointer loop or forward pointer chains
 * longer than the packet allows, name longer than 255). */
bool wire_skip_name(const uint8_t *pkt, size_t len, size_t *off);

static inline uint16_t wire_read_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t wire_read_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline void wire_write_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wire_write_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
