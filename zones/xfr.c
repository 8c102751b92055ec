/* xfr.c -- an incoming zone transfer: messages to a zone version.
 *
 * A small state machine over the answer records, across messages:
 *
 *   FIRST   the first record: the SOA the zone becomes (serial N).
 *   SECOND  IXFR only: an SOA starts a difference (DEL); anything else
 *           means an AXFR-style answer (AXFR).
 *   AXFR    records into the builder until the SOA of serial N: DONE.
 *   DEL     removals of one difference (its old SOA first) until an SOA,
 *           the difference's new one: ADD.
 *   ADD     additions until an SOA: the end when the difference reached
 *           N and the SOA is N's, else the old SOA of the next
 *           difference, which must be the serial just reached.
 *   DONE    nothing more may come.
 *
 * ldns parses each message (ldns_wire2pkt: every section, names
 * decompressed, lengths checked); records reach the builder and the change
 * API in uncompressed wire form, as the zone file loader hands them. This
 * and zload.c are the files of zones/ that hold ldns objects.
 */
#include "zones/xfr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/dns.h"
#include "common/errcode.h"
#include "common/name.h"
#include "common/serial.h"
#include "zones/zone.h"
#include "zones/zone_builder.h"
#include "zones/zone_update.h"

enum xfr_state { ST_FIRST, ST_SECOND, ST_AXFR, ST_DEL, ST_ADD, ST_DONE };

struct xfr {
	uint8_t apex[256];
	uint16_t qtype, id;
	const struct zone *base;
	enum xfr_state st;
	bool uptodate;
	unsigned messages;
	size_t records, changes;

	/* the first SOA: its record kept to be added or compared */
	uint32_t serial;
	uint32_t first_ttl;
	uint8_t *first_rdata;
	uint16_t first_rdlen;

	struct zone_builder *b;      /* AXFR */
	struct zone_update *u;       /* IXFR: the open difference */
	struct zone *cur;            /* IXFR: the newest version made (owned;
					NULL: base) */
	uint32_t cur_serial;         /* serial of cur, or of the difference's
					new SOA while ADD */
	int failed;                  /* a sticky error */
};

struct xfr *xfr_new(const uint8_t *apex, uint16_t qtype, uint16_t id,
		    const struct zone *base)
{
	struct xfr *x = calloc(1, sizeof(*x));
	size_t l = name_length(apex);

	if (!x || l == 0 || l > sizeof(x->apex)) {
		free(x);
		return NULL;
	}
	name_to_lower(x->apex, apex);
	x->qtype = qtype;
	x->id = id;
	x->base = qtype == DNS_TYPE_IXFR ? base : NULL;
	x->cur_serial = x->base ? zone_serial(x->base) : 0;
	return x;
}

uint32_t xfr_serial(const struct xfr *x)
{
	return x->st == ST_FIRST ? 0 : x->serial;
}

size_t xfr_records(const struct xfr *x)
{
	return x->records;
}

size_t xfr_changes(const struct xfr *x)
{
	return x->changes;
}

/* The serial of SOA rdata (uncompressed wire), or false when short. */
static bool soa_serial(const uint8_t *rd, size_t len, uint32_t *serial)
{
	size_t off = 0;

	for (int n = 0; n < 2; n++) {
		while (off < len && rd[off]) {
			if (rd[off] > DNS_LABEL_MAX)
				return false;
			off += 1u + rd[off];
		}
		if (off >= len)
			return false;
		off++;
	}
	if (off + 20 != len)
		return false;
	*serial = (uint32_t)rd[off] << 24 | (uint32_t)rd[off + 1] << 16 |
		  (uint32_t)rd[off + 2] << 8 | rd[off + 3];
	return true;
}

/* Finishes the open difference: cur becomes its result. */
static int xfr_close_diff(struct xfr *x, char *err, size_t errlen)
{
	struct zone *next = NULL;
	int rc = zone_update_finish(x->u, &next, err, errlen);

	x->u = NULL;
	if (rc < 0)
		return rc;
	if (x->cur)
		zone_free(x->cur);
	x->cur = next;
	x->changes++;
	return 0;
}

static int xfr_open_diff(struct xfr *x, char *err, size_t errlen)
{
	int rc = zone_update_new(x->cur ? x->cur : x->base, &x->u);

	if (rc < 0)
		snprintf(err, errlen, "cannot change the served version: %s",
			 lv_strerror(rc));
	return rc;
}

/* One answer record. */
static int xfr_record(struct xfr *x, const uint8_t *owner, uint16_t type,
		      uint16_t rclass, uint32_t ttl, const uint8_t *rd,
		      uint16_t rdlen, char *err, size_t errlen)
{
	bool is_soa = type == DNS_TYPE_SOA;
	uint32_t serial = 0;
	int rc;

	if (is_soa && (!soa_serial(rd, rdlen, &serial) ||
		       !name_equal_ci(owner, x->apex))) {
		snprintf(err, errlen, "malformed SOA or SOA off the apex");
		return LV_EMALF;
	}
	x->records++;
	switch (x->st) {
	case ST_FIRST:
		if (!is_soa) {
			snprintf(err, errlen, "the first record is not the "
				 "zone's SOA");
			return LV_EMALF;
		}
		x->serial = serial;
		x->first_ttl = ttl;
		x->first_rdata = malloc(rdlen ? rdlen : 1);
		if (!x->first_rdata)
			return -ENOMEM;
		memcpy(x->first_rdata, rd, rdlen);
		x->first_rdlen = rdlen;
		if (x->base && !serial_lt(zone_serial(x->base), serial)) {
			x->uptodate = true;
			x->st = ST_DONE;
			return 1;
		}
		x->st = x->qtype == DNS_TYPE_IXFR ? ST_SECOND : ST_AXFR;
		if (x->st == ST_AXFR)
			goto axfr_start;
		return 0;
	case ST_SECOND:
		if (is_soa) {
			if (serial != zone_serial(x->base)) {
				snprintf(err, errlen, "IXFR from serial %u, "
					 "the served one is %u", serial,
					 zone_serial(x->base));
				return LV_ECHAIN;
			}
			if ((rc = xfr_open_diff(x, err, errlen)) < 0)
				return rc;
			x->st = ST_DEL;
			return zone_update_remove(x->u, owner, type, rclass,
						  rd, rdlen, err, errlen);
		}
		x->st = ST_AXFR;
		/* AXFR-style: the first SOA, then this record */
		if (!(x->b = zone_builder_new(x->apex)))
			return -ENOMEM;
		rc = zone_builder_add(x->b, x->apex, DNS_TYPE_SOA,
				      DNS_CLASS_IN, x->first_ttl,
				      x->first_rdata, x->first_rdlen, err,
				      errlen);
		if (rc < 0)
			return rc;
		return zone_builder_add(x->b, owner, type, rclass, ttl, rd,
					rdlen, err, errlen);
	case ST_AXFR:
		if (is_soa) {
			if (serial != x->serial || rdlen != x->first_rdlen ||
			    memcmp(rd, x->first_rdata, rdlen) != 0) {
				snprintf(err, errlen, "a second SOA (serial "
					 "%u) that does not close the "
					 "transfer of %u", serial, x->serial);
				return LV_EMALF;
			}
			x->st = ST_DONE;
			return 1;
		}
		return zone_builder_add(x->b, owner, type, rclass, ttl, rd,
					rdlen, err, errlen);
	case ST_DEL:
		if (is_soa) {
			if (!serial_lt(x->cur_serial, serial)) {
				snprintf(err, errlen, "IXFR difference from "
					 "%u to %u goes down", x->cur_serial,
					 serial);
				return LV_ECHAIN;
			}
			x->cur_serial = serial;
			x->st = ST_ADD;
			return zone_update_add(x->u, owner, type, rclass, ttl,
					       rd, rdlen, err, errlen);
		}
		return zone_update_remove(x->u, owner, type, rclass, rd,
					  rdlen, err, errlen);
	case ST_ADD:
		if (is_soa) {
			if ((rc = xfr_close_diff(x, err, errlen)) < 0)
				return rc;
			if (x->cur_serial == x->serial && serial == x->serial) {
				x->st = ST_DONE;
				return 1;
			}
			if (serial != x->cur_serial) {
				snprintf(err, errlen, "IXFR difference from %u "
					 "follows one that ended at %u",
					 serial, x->cur_serial);
				return LV_ECHAIN;
			}
			if ((rc = xfr_open_diff(x, err, errlen)) < 0)
				return rc;
			x->st = ST_DEL;
			return zone_update_remove(x->u, owner, type, rclass,
						  rd, rdlen, err, errlen);
		}
		return zone_update_add(x->u, owner, type, rclass, ttl, rd,
				       rdlen, err, errlen);
	case ST_DONE:
		snprintf(err, errlen, "a record after the transfer's last SOA");
		return LV_EMALF;
	}
	return LV_EMALF;
axfr_start:
	if (!(x->b = zone_builder_new(x->apex)))
		return -ENOMEM;
	return zone_builder_add(x->b, owner, type, rclass, ttl, rd, rdlen, err,
				errlen);
}

/* The header and question of one message. */
static int xfr_check_header(struct xfr *x, const ldns_pkt *pkt, int *rcode,
			    char *err, size_t errlen)
{
	const ldns_rr_list *q = ldns_pkt_question(pkt);

	if (ldns_pkt_id(pkt) != x->id || !ldns_pkt_qr(pkt) ||
	    ldns_pkt_get_opcode(pkt) != LDNS_PACKET_QUERY) {
		snprintf(err, errlen, "not an answer to the query (ID, QR or "
			 "opcode)");
		return LV_EMALF;
	}
	if (ldns_pkt_tc(pkt)) {
		snprintf(err, errlen, "truncated (TC) answer");
		return LV_EMALF;
	}
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
		*rcode = (int)ldns_pkt_get_rcode(pkt);
		snprintf(err, errlen, "rcode %d", *rcode);
		return LV_ERCODE;
	}
	if (ldns_rr_list_rr_count(q) > 1 ||
	    (x->messages == 0 && ldns_rr_list_rr_count(q) != 1)) {
		snprintf(err, errlen, "question count %zu",
			 ldns_rr_list_rr_count(q));
		return LV_EMALF;
	}
	if (ldns_rr_list_rr_count(q) == 1) {
		const ldns_rr *qr = ldns_rr_list_rr(q, 0);
		const ldns_rdf *qn = ldns_rr_owner(qr);

		if (!qn || ldns_rdf_size(qn) > 255 ||
		    !name_equal_ci(ldns_rdf_data(qn), x->apex) ||
		    (uint16_t)ldns_rr_get_type(qr) != x->qtype ||
		    (uint16_t)ldns_rr_get_class(qr) != DNS_CLASS_IN) {
			snprintf(err, errlen, "the question is not the "
				 "zone's transfer");
			return LV_EMALF;
		}
	}
	return 0;
}

/* One answer record from ldns to wire form, fed on. */
static int xfr_ldns_rr(struct xfr *x, ldns_buffer *buf, const ldns_rr *rr,
		       char *err, size_t errlen)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	size_t rdlen;

	ldns_buffer_clear(buf);
	if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK ||
	    !ldns_buffer_status_ok(buf)) {
		snprintf(err, errlen, "cannot convert RDATA to wire form");
		return LV_EMALF;
	}
	rdlen = ldns_buffer_position(buf);
	if (rdlen > UINT16_MAX || !owner ||
	    ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME ||
	    ldns_rdf_size(owner) > NAME_MAX_LEN) {
		snprintf(err, errlen, "bad owner or RDATA");
		return LV_EMALF;
	}
	return xfr_record(x, ldns_rdf_data(owner),
			  (uint16_t)ldns_rr_get_type(rr),
			  (uint16_t)ldns_rr_get_class(rr), ldns_rr_ttl(rr),
			  ldns_buffer_begin(buf), (uint16_t)rdlen, err, errlen);
}

int xfr_feed(struct xfr *x, const uint8_t *msg, size_t len, int *rcode,
	     char *err, size_t errlen)
{
	ldns_pkt *pkt = NULL;
	ldns_buffer *buf = NULL;
	const ldns_rr_list *an;
	int rc = 0;

	err[0] = '\0';
	*rcode = 0;
	if (x->failed)
		return x->failed;
	if (x->st == ST_DONE) {
		snprintf(err, errlen, "a message after the transfer's end");
		return x->failed = LV_EMALF;
	}
	if (len < DNS_HDR_LEN || len > UINT16_MAX ||
	    ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "malformed message (%zu bytes)", len);
		return x->failed = LV_EMALF;
	}
	if ((rc = xfr_check_header(x, pkt, rcode, err, errlen)) < 0)
		goto out;
	an = ldns_pkt_answer(pkt);
	if (ldns_rr_list_rr_count(an) == 0) {
		snprintf(err, errlen, "a message with no records");
		rc = LV_EMALF;
		goto out;
	}
	if (!(buf = ldns_buffer_new(512))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		if (x->st == ST_DONE) {
			snprintf(err, errlen, "a record after the transfer's "
				 "last SOA");
			rc = LV_EMALF;
			goto out;
		}
		rc = xfr_ldns_rr(x, buf, ldns_rr_list_rr(an, i), err, errlen);
		if (rc < 0)
			goto out;
	}
	x->messages++;
	rc = x->st == ST_DONE;
out:
	ldns_buffer_free(buf);
	ldns_pkt_free(pkt);
	if (rc < 0)
		x->failed = rc;
	return rc;
}

int xfr_finish(struct xfr *x, struct zone **out, enum xfr_kind *kind,
	       char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	*kind = XFR_NONE;
	err[0] = '\0';
	if (x->failed || x->st != ST_DONE) {
		snprintf(err, errlen, "the transfer ended before its last SOA");
		return LV_EMALF;
	}
	if (x->uptodate) {
		*kind = XFR_UPTODATE;
		return 0;
	}
	if (x->b) {
		rc = zone_builder_finish(x->b, out, err, errlen);
		x->b = NULL;
		if (rc < 0)
			return rc;
		*kind = XFR_FULL;
		return 0;
	}
	if (!x->cur) {
		snprintf(err, errlen, "an IXFR with no difference");
		return LV_EMALF;
	}
	*out = x->cur;
	x->cur = NULL;
	*kind = XFR_INCR;
	return 0;
}

void xfr_free(struct xfr *x)
{
	if (!x)
		return;
	zone_builder_free(x->b);
	zone_update_free(x->u);
	if (x->cur)
		zone_free(x->cur);
	free(x->first_rdata);
	free(x);
}
