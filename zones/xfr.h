/* xfr.h -- an incoming zone transfer (AXFR, RFC 5936; IXFR, RFC 1995):
 * response messages in, a new zone version out.
 *
 * The transfer client (server/xfrin.c) owns the sockets; this module only
 * reads the messages it is handed, one at a time, in order, and turns
 * them into a zone:
 *
 *   - AXFR, and an IXFR answered AXFR-style (the second record is not an
 *     SOA): every record between the first SOA and the SOA equal to it
 *     goes through zone_builder.h, so a transferred zone passes every rule
 *     of a zone file (class IN, inside the zone, one SOA, NS at the apex,
 *     CNAME and DNAME rules).
 *   - IXFR answered incrementally: the differences (old SOA, removals,
 *     new SOA, additions) are condensed into one change of `base` (the
 *     served version), made with zone_update.h by xfr_finish once the
 *     transfer is complete; the first old SOA must carry base's serial
 *     and each next one the previous new serial (LV_ECHAIN otherwise),
 *     the last new SOA is the first record's.
 *   - IXFR answered with one SOA whose serial is not above base's: the
 *     zone is current (XFR_UPTODATE), nothing is built.
 *
 * Messages are parsed strictly with ldns (header, question, every record
 * of every section; compression loops and lengths past the end refused):
 * the ID must be the query's, QR set, opcode QUERY, TC clear, rcode
 * NOERROR (LV_ERCODE with the rcode otherwise), the question (if any) the
 * zone's apex, class IN and the query's type. A record after the closing
 * SOA, a message after the end, or an end missing (xfr_finish before the
 * closing SOA) refuses the transfer. Whatever fails, nothing is published
 * and base is never changed; an IXFR that fails or ends short makes no
 * version of base's family, so the next IXFR applies as well (a version
 * made and dropped unpublished would leave the family refusing changes,
 * zone_update.h).
 *
 * Work: O(bytes of the message) per xfr_feed plus what zone_builder_add
 * costs per record (AXFR) or one hash probe per record (IXFR), and for an
 * IXFR one zone_update of the condensed records at xfr_finish. Memory:
 * the zone being built (see zone_builder.h, zone_update.h), an IXFR's
 * condensed records (about 56 bytes each plus owner and RDATA) and one
 * ldns packet at a time. The
 * caller bounds the bytes of a transfer and its time. One thread (a
 * worker), no shared state.
 */
#ifndef LEVEE_ZONES_XFR_H
#define LEVEE_ZONES_XFR_H

#include <stddef.h>
#include <stdint.h>

struct zone;
struct xfr;

enum xfr_kind {
	XFR_NONE = 0,       /* not finished */
	XFR_UPTODATE,       /* one SOA, serial not above base's */
	XFR_FULL,           /* AXFR or AXFR-style IXFR: a new zone */
	XFR_INCR,           /* differences applied to base */
};

/* Starts reading the answer to a query of qtype (DNS_TYPE_AXFR or
 * DNS_TYPE_IXFR) with ID id for the zone apex (wire form, any case).
 * base: the served version (IXFR; its serial is the one asked from), or
 * NULL (AXFR). The caller keeps base alive until xfr_free. NULL when out
 * of memory. */
struct xfr *xfr_new(const uint8_t *apex, uint16_t qtype, uint16_t id,
		    const struct zone *base);

/* Reads one message (len bytes). Returns 1 when the transfer is complete
 * (xfr_finish next), 0 when more messages are needed, or an error with
 * a one-line reason in err: LV_EMALF (bad message or record order),
 * LV_ERCODE (*rcode set: the peer's error), LV_ECHAIN, the builder's and
 * the change API's codes (LV_EOUTSIDE, LV_ECNAME, LV_ENOREC, ...),
 * -ENOMEM. After an error only xfr_free. */
int xfr_feed(struct xfr *x, const uint8_t *msg, size_t len, int *rcode,
	     char *err, size_t errlen);

/* The result of a complete transfer: its kind; for XFR_FULL and XFR_INCR
 * the new version in *out (one reference, the caller's), else NULL.
 * Returns 0, or LV_EMALF when the transfer is not complete, or the
 * builder's / change API's error (LV_ENOSOA, LV_ENONS, ...) with the
 * reason in err. Call once. */
int xfr_finish(struct xfr *x, struct zone **out, enum xfr_kind *kind,
	       char *err, size_t errlen);

/* Serial of the transfer's first SOA (what the zone becomes), 0 before. */
uint32_t xfr_serial(const struct xfr *x);

/* Records read so far and differences applied (IXFR). */
size_t xfr_records(const struct xfr *x);
size_t xfr_changes(const struct xfr *x);

struct journal_change;

/* After an XFR_INCR xfr_finish: the condensed change (base's serial to
 * the new one) for the IXFR journal (journal.h), so that this server can
 * answer IXFR from base's serial to its own secondaries. 0 with *out (the
 * caller's), -EINVAL (not an incremental transfer), -ENOMEM. O(records
 * of the change). */
int xfr_journal_change(const struct xfr *x, struct journal_change **out);

/* Frees x and whatever it built but did not hand out. NULL accepted. */
void xfr_free(struct xfr *x);

#endif
