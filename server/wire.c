/* wire.c -- parsing one query in place: header, question, the other sections.
 *
 * The parser follows the order of the packet once, never backwards: header,
 * the question (copied lowercased into the caller's wire_query, the only
 * copy), then every record the header counts in the answer, authority and
 * additional sections, skipped by length, with the OPT record handed to
 * edns_parse(). It decides what kind of reply the packet deserves, as knotd
 * does for what follows the question: no reply when the header cannot be
 * trusted (shorter than 12 bytes, or QR set), FORMERR echoing the question
 * when what follows it is broken (truncated records, bytes beyond the counted
 * records, misplaced or duplicate OPT). A question that cannot be used
 * (QDCOUNT other than 1, a bad label, a compression pointer or loop, a name
 * over 255 octets, a truncated question) gets a header-only FORMERR, as NSD
 * answers and the serving-core issue requires; knotd drops those silently.
 * Work: one pass over the packet.
 */
#include <string.h>

#include "common/dns.h"
#include "server/wire.h"
#include "common/name.h"


bool wire_skip_name(const uint8_t *pkt, size_t len, size_t *off)
{
	size_t o = *off, start = *off;

	for (;;) {
		if (o >= len)
			return false;
		uint8_t l = pkt[o];
		if (l == 0) {
			o++;
			break;
		}
		if ((l & 0xC0) == 0xC0) {
			if (o + 2 > len)
				return false;
			size_t target = ((size_t)(l & 0x3F) << 8) | pkt[o + 1];
			/* Pointers point backwards, at a name already seen. */
			if (target >= start)
				return false;
			o += 2;
			break;
		}
		if (l & 0xC0)
			return false;
		o += 1 + (size_t)l;
		if (o - start > 255)
			return false;
	}
	*off = o;
	return true;
}

/* Parses the question name at offset 12: literal labels only. Returns the
 * wire length, or 0 when malformed. One pass over the labels checks them,
 * then one pass over the bytes copies them lowercased (label length bytes,
 * at most 63, are below 'A': folding them is a no-op). */
static size_t parse_qname(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	size_t o = DNS_HDR_LEN, end = len < DNS_HDR_LEN + 255 ? len :
						DNS_HDR_LEN + 255;
	unsigned k = 0;

	/* Every label takes 2 bytes at least below end: k stays under
	 * NAME_MAX_LABELS. The offsets serve every later walk of the qname
	 * (zone lookups, compression). */
	for (;;) {
		if (o >= end)
			return 0;   /* truncated, or longer than 255 octets */
		uint8_t l = pkt[o];
		if (l & 0xC0)
			return 0;   /* compression or extended label type */
		q->loffs[k] = (uint8_t)(o - DNS_HDR_LEN);
		if (l == 0)
			break;
		k++;
		o += 1 + (size_t)l;
	}
	q->labels = (uint8_t)k;
	size_t n = o + 1 - DNS_HDR_LEN;
	name_lower_bytes(q->lname, pkt + DNS_HDR_LEN, n);
	return n;
}

/* Skips count records from *off; OPT is legal only in the additional
 * section (additional = true), once; TSIG only as the last record of the
 * additional section (RFC 8945 5.1: elsewhere, or twice, FORMERR), whose
 * owner's offset is noted in q->tsig_off for tsig_verify(). Returns false
 * when malformed. */
static bool skip_records(const uint8_t *pkt, size_t len, size_t *off,
			 unsigned count, bool additional, struct wire_query *q)
{
	size_t o = *off;

	for (unsigned i = 0; i < count; i++) {
		size_t owner = o;
		if (!wire_skip_name(pkt, len, &o))
			return false;
		if (o + 10 > len)
			return false;
		uint16_t type = wire_read_u16(pkt + o);
		if (type == DNS_TYPE_TSIG) {
			if (!additional || i + 1 != count)
				return false;
			q->tsig_off = owner;
		} else if (type == DNS_TYPE_OPT) {
			/* Only once, only in additional, owner the root. */
			if (!additional || q->edns.present || o != owner + 1 ||
			    pkt[owner] != 0)
				return false;
			int rl = edns_parse(pkt + o, len - o, &q->edns);
			if (rl < 0)
				return false;
			o += (size_t)rl;
			continue;
		}
		size_t rdlen = wire_read_u16(pkt + o + 8);
		o += 10;
		if (o + rdlen > len)
			return false;
		o += rdlen;
	}
	*off = o;
	return true;
}

int wire_parse_query(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	q->edns.present = false;
	q->qname_len = 0;
	q->tsig_off = 0;
	if (len < DNS_HDR_LEN)
		return WIRE_DROP;
	q->flags = wire_read_u16(pkt + 2);
	if (q->flags & DNS_QR)
		return WIRE_DROP;
	q->opcode = (uint8_t)((q->flags & DNS_OPCODE_MASK) >> 11);
	q->qdcount = wire_read_u16(pkt + 4);
	unsigned ancount = wire_read_u16(pkt + 6);
	unsigned nscount = wire_read_u16(pkt + 8);
	unsigned arcount = wire_read_u16(pkt + 10);
	size_t off = DNS_HDR_LEN;

	if (q->qdcount > 1)
		return WIRE_FORMERR_NOQ;
	if (q->qdcount == 1) {
		size_t n = parse_qname(pkt, len, q);
		if (n == 0)
			return WIRE_FORMERR_NOQ;
		off += n;
		if (off + 4 > len)
			return WIRE_FORMERR_NOQ;
		q->qname_len = (uint8_t)n;
		q->qtype = wire_read_u16(pkt + off);
		q->qclass = wire_read_u16(pkt + off + 2);
		off += 4;
		q->question_end = off;
	} else {
		q->question_end = DNS_HDR_LEN;
	}
	int bad = q->qdcount ? WIRE_FORMERR : WIRE_FORMERR_NOQ;
	if (!skip_records(pkt, len, &off, ancount, false, q) ||
	    !skip_records(pkt, len, &off, nscount, false, q) ||
	    !skip_records(pkt, len, &off, arcount, true, q) || off != len) {
		q->edns.present = false; /* knotd: no OPT in a parse FORMERR */
		q->tsig_off = 0;         /* nor a TSIG: FORMERR unsigned */
		return bad;
	}
	return q->qdcount ? WIRE_OK : WIRE_NOQUESTION;
}
