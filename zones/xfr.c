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
 * An IXFR's differences are condensed as they come into one set of
 * records to remove from base and one to add (a record added by one
 * difference and removed by a later one is in neither), kept in a hash
 * table of their own; the change is made once, with zone_update.h, when
 * the transfer is complete (xfr_finish). So a transfer that breaks or
 * ends short half way never made a version of base's family (a version
 * made and dropped unpublished leaves the family refusing changes: the
 * next IXFR would have fallen back to AXFR), and a chain of N differences
 * costs one change, not N. What a difference removes that an earlier
 * one of the same transfer removed already refuses the transfer
 * (LV_ENOREC) at once, as the change API would; what base lacks, when
 * the change is made. Known simplification: a record added again by a
 * difference while base has it (a no-op) and removed by a later one is
 * taken as never added, so base's copy stays.
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
#include "zones/journal.h"
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
	uint32_t cur_serial;         /* serial reached by the differences so
					far, or the open one's new SOA (ADD) */
	int failed;                  /* a sticky error */

	/* IXFR: the condensed change (file comment). One entry per distinct
	 * record the transfer names, chained in buckets (as many as entries,
	 * doubled when passed); the adds in order (an RRset's TTL is its
	 * first added record's). Bound: entries and bytes are at most what
	 * the transfer sent, which xfrin.c bounds (XFRIN_MAX_BYTES). */
	struct xrec **buckets;
	size_t nbuckets, nrecs;
	struct xrec **adds;
	size_t nadds, adds_cap;
};

struct xrec {
	struct xrec *next;           /* bucket chain */
	uint32_t hash, ttl, del_ttl;
	uint16_t type, rclass, rdlen;
	uint8_t olen;
	bool del, add;               /* in the removals, in the additions */
	size_t add_pos;              /* its place in x->adds */
	uint8_t data[];              /* owner (as sent), then RDATA */
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

/* The hash of a record: its owner without regard to case, type, RDATA
 * (name_hash: keyed, so a primary cannot aim records at one bucket). */
static uint32_t xrec_hash(const uint8_t *owner, size_t olen, uint16_t type,
			  const uint8_t *rd, uint16_t rdlen)
{
	uint8_t low[256];
	uint32_t h;

	name_to_lower(low, owner);
	h = name_hash(low, olen) ^ ((uint32_t)type * 0x9e3779b9u);
	return h ^ (name_hash(rd, rdlen) * 0x85ebca6bu);
}

static struct xrec *xrec_find(const struct xfr *x, uint32_t h,
			      const uint8_t *owner, size_t olen, uint16_t type,
			      const uint8_t *rd, uint16_t rdlen)
{
	if (!x->nbuckets)
		return NULL;
	for (struct xrec *e = x->buckets[h & (x->nbuckets - 1)]; e;
	     e = e->next)
		if (e->hash == h && e->type == type && e->rdlen == rdlen &&
		    e->olen == olen && name_equal_ci(e->data, owner) &&
		    memcmp(e->data + olen, rd, rdlen) == 0)
			return e;
	return NULL;
}

static int xrec_grow(struct xfr *x)
{
	size_t n = x->nbuckets ? x->nbuckets * 2 : 256;
	struct xrec **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < x->nbuckets; i++) {
		for (struct xrec *e = x->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(x->buckets);
	x->buckets = b;
	x->nbuckets = n;
	return 0;
}

/* The entry of a record, made when new; NULL when out of memory. */
static struct xrec *xrec_get(struct xfr *x, const uint8_t *owner,
			     uint16_t type, uint16_t rclass,
			     const uint8_t *rd, uint16_t rdlen)
{
	size_t olen = name_length(owner);
	uint32_t h = xrec_hash(owner, olen, type, rd, rdlen);
	struct xrec *e = xrec_find(x, h, owner, olen, type, rd, rdlen);

	if (e)
		return e;
	if (x->nrecs >= x->nbuckets && xrec_grow(x) < 0)
		return NULL;
	if (!(e = calloc(1, sizeof(*e) + olen + rdlen)))
		return NULL;
	e->hash = h;
	e->type = type;
	e->rclass = rclass;
	e->rdlen = rdlen;
	e->olen = (uint8_t)olen;
	memcpy(e->data, owner, olen);
	memcpy(e->data + olen, rd, rdlen);
	e->next = x->buckets[h & (x->nbuckets - 1)];
	x->buckets[h & (x->nbuckets - 1)] = e;
	x->nrecs++;
	return e;
}

/* A removal of the open difference, condensed. */
static int xfr_remove(struct xfr *x, const uint8_t *owner, uint16_t type,
		      uint16_t rclass, uint32_t ttl, const uint8_t *rd,
		      uint16_t rdlen, char *err, size_t errlen)
{
	struct xrec *e = xrec_get(x, owner, type, rclass, rd, rdlen);

	if (!e)
		return -ENOMEM;
	if (e->add) {
		e->add = false;        /* added by an earlier difference */
		return 0;
	}
	if (e->del) {
		snprintf(err, errlen, "a difference removes a record an "
			 "earlier one removed (type %u)", type);
		return LV_ENOREC;
	}
	e->del = true;
	e->del_ttl = ttl;
	return 0;
}

/* An addition of the open difference, condensed. */
static int xfr_add(struct xfr *x, const uint8_t *owner, uint16_t type,
		   uint16_t rclass, uint32_t ttl, const uint8_t *rd,
		   uint16_t rdlen)
{
	struct xrec *e = xrec_get(x, owner, type, rclass, rd, rdlen);

	if (!e)
		return -ENOMEM;
	if (e->add)
		return 0;              /* a duplicate: merged */
	if (x->nadds == x->adds_cap) {
		size_t n = x->adds_cap ? x->adds_cap * 2 : 256;
		struct xrec **a = realloc(x->adds, n * sizeof(*a));

		if (!a)
			return -ENOMEM;
		x->adds = a;
		x->adds_cap = n;
	}
	e->add = true;
	e->ttl = ttl;
	e->add_pos = x->nadds;
	x->adds[x->nadds++] = e;
	return 0;
}

/* The condensed change applied to base: *out the new version. */
static int xfr_apply(struct xfr *x, struct zone **out, char *err,
		     size_t errlen)
{
	struct zone_update *u = NULL;
	int rc = zone_update_new(x->base, &u);

	if (rc < 0) {
		snprintf(err, errlen, "cannot change the served version: %s",
			 lv_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < x->nbuckets; i++)
		for (const struct xrec *e = x->buckets[i]; e; e = e->next)
			if (e->del && (rc = zone_update_remove(u, e->data,
					e->type, e->rclass, e->data + e->olen,
					e->rdlen, err, errlen)) < 0)
				goto fail;
	for (size_t i = 0; i < x->nadds; i++) {
		const struct xrec *e = x->adds[i];

		if (e->add && e->add_pos == i &&
		    (rc = zone_update_add(u, e->data, e->type, e->rclass,
					  e->ttl, e->data + e->olen, e->rdlen,
					  err, errlen)) < 0)
			goto fail;
	}
	return zone_update_finish(u, out, err, errlen);
fail:
	zone_update_free(u);
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
			x->st = ST_DEL;
			return xfr_remove(x, owner, type, rclass, ttl, rd, rdlen,
					  err, errlen);
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
			return xfr_add(x, owner, type, rclass, ttl, rd, rdlen);
		}
		return xfr_remove(x, owner, type, rclass, ttl, rd, rdlen, err,
				  errlen);
	case ST_ADD:
		if (is_soa) {
			x->changes++;
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
			x->st = ST_DEL;
			return xfr_remove(x, owner, type, rclass, ttl, rd, rdlen,
					  err, errlen);
		}
		return xfr_add(x, owner, type, rclass, ttl, rd, rdlen);
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
	if (!x->changes) {
		snprintf(err, errlen, "an IXFR with no difference");
		return LV_EMALF;
	}
	if ((rc = xfr_apply(x, out, err, errlen)) < 0)
		return rc;
	*kind = XFR_INCR;
	return 0;
}

/* One condensed record into c: owner lowercase, TYPE CLASS TTL RDLENGTH
 * RDATA as the journal keeps it. */
static int journal_put(struct journal_change *c, bool added,
		       const struct xrec *e)
{
	uint8_t owner[256], rr[10 + 65535];
	uint32_t ttl = added ? e->ttl : e->del_ttl;

	name_to_lower(owner, e->data);
	rr[0] = (uint8_t)(e->type >> 8);
	rr[1] = (uint8_t)e->type;
	rr[2] = (uint8_t)(e->rclass >> 8);
	rr[3] = (uint8_t)e->rclass;
	rr[4] = (uint8_t)(ttl >> 24);
	rr[5] = (uint8_t)(ttl >> 16);
	rr[6] = (uint8_t)(ttl >> 8);
	rr[7] = (uint8_t)ttl;
	rr[8] = (uint8_t)(e->rdlen >> 8);
	rr[9] = (uint8_t)e->rdlen;
	memcpy(rr + 10, e->data + e->olen, e->rdlen);
	return journal_change_add(c, added, owner, e->olen, rr,
				  10 + (size_t)e->rdlen);
}

int xfr_journal_change(const struct xfr *x, struct journal_change **out)
{
	struct journal_change *c;
	int rc = 0;

	*out = NULL;
	if (!x->base || !x->changes || x->b || x->uptodate)
		return -EINVAL;
	if (!(c = journal_change_new(zone_serial(x->base), x->serial)))
		return -ENOMEM;
	for (size_t i = 0; i < x->nbuckets && rc == 0; i++)
		for (const struct xrec *e = x->buckets[i]; e && rc == 0;
		     e = e->next)
			if (e->del)
				rc = journal_put(c, false, e);
	for (size_t i = 0; i < x->nadds && rc == 0; i++)
		if (x->adds[i]->add && x->adds[i]->add_pos == i)
			rc = journal_put(c, true, x->adds[i]);
	if (rc < 0) {
		journal_change_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void xfr_free(struct xfr *x)
{
	if (!x)
		return;
	zone_builder_free(x->b);
	for (size_t i = 0; i < x->nbuckets; i++)
		for (struct xrec *e = x->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(x->buckets);
	free(x->adds);
	free(x->first_rdata);
	free(x);
}
