/* zone_builder.h -- builds one zone (zone.h) from its records.
 *
 * Every source of zone data goes through this builder, so the rules of a
 * valid zone are checked in one place: the zone file loader (zload.c)
 * today; incoming transfers (AXFR, and IXFR applied to a version), reloads
 * and the store of many zones next. What a caller can count on:
 *
 *   - Records in any order. Owners, types and the records of one RRset may
 *     come interleaved as a transfer sends them; the zone depends only on
 *     the set of records added, except the TTL of an RRset, which is that
 *     of its first record added (RFC 2181 5.2 wants one TTL per set).
 *   - Duplicates merged. A record equal to one already added (owner
 *     ignoring ASCII case, type, class and RDATA byte for byte) is dropped
 *     silently (RFC 2181 5: an RRset has no duplicate records).
 *   - Errors with their reason, record by record. Each rule that involves
 *     the records already there is checked as a record arrives, in either
 *     order of the two records, and the one that breaks it is refused with
 *     a code and one line of text naming the names involved, so a loader
 *     can name its line and a transfer its record. A refused record
 *     changes nothing: the caller may stop (zload.c does: one error
 *     refuses the zone) or go on. Rules of the whole zone (SOA and NS at
 *     the apex) are checked by zone_builder_finish().
 *   - One thread, no shared state: a builder may run on any thread (a
 *     worker that loads or applies a transfer), one at a time; the zone it
 *     returns is immutable and readable by every thread.
 *
 * What the builder expects: owner and RDATA in wire form, uncompressed,
 * the RDATA well formed for its type (the caller parses and checks the
 * format: ldns for zone files and transfer messages); the builder checks
 * zone rules, not RDATA formats, except the SOA's, whose serial it reads.
 *
 * Cost: zone_builder_add() is O(owner length) (a hash probe per label
 * only for a new owner; O(labels) more in a zone that has a DNAME);
 * zone_builder_finish() is O(records) plus a sort per node. Memory: the
 * final zone (about 100 bytes a name for one small record, and about
 * 1.5 KiB for a zone of ten records: nothing is sized for a big zone up
 * front) plus, until finish, 16 bytes and the RDATA per record and 24
 * bytes per node.
 */
#ifndef LEVEE_ZONES_ZONE_BUILDER_H
#define LEVEE_ZONES_ZONE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

struct zone;
struct zone_builder;

/* Starts a zone for origin (wire form, any case). NULL when out of
 * memory. The builder owns everything until finish or free. */
struct zone_builder *zone_builder_new(const uint8_t *origin);

/* Adds one record. owner: wire form, any case; rdata in wire form, names
 * uncompressed, rdlen bytes (0 allowed: NULL, APL and unknown types may
 * be empty). Returns 0 when the record was added or merged into an equal
 * one, or an error with a one-line reason written to err (errlen bytes,
 * NUL terminated; err may be NULL):
 *   LV_ECLASS     class other than IN,
 *   LV_EOUTSIDE   owner not at or below the origin,
 *   LV_EMALF      SOA other than at the apex, or malformed,
 *   LV_ESOA2      a second SOA,
 *   LV_ECNAME     CNAME beside other data (RRSIG/NSEC allowed), data
 *                 beside a CNAME, or a second CNAME,
 *   LV_EDNAME     data below a DNAME, a DNAME above data, or a second
 *                 DNAME (RFC 6672 2.4; the NSEC3 chain one label below an
 *                 apex DNAME is allowed),
 *   LV_ECOLLIDE   the owner's name crowds an index page that may not grow
 *                 further (names chosen to collide): abandon the build,
 *   -ENOMEM       out of memory: abandon the build (zone_builder_free).
 * Any other error leaves the builder as it was before the call. */
int zone_builder_add(struct zone_builder *b, const uint8_t *owner,
		     uint16_t type, uint16_t rclass, uint32_t ttl,
		     const uint8_t *rdata, uint16_t rdlen,
		     char *err, size_t errlen);

/* A hint that a record of owner (wire form, any case) will be added soon:
 * starts loading the build index slot of its name into the cache, so
 * that a loader holding records ahead hides the miss. Changes nothing;
 * O(name length). */
void zone_builder_prefetch(const struct zone_builder *b, const uint8_t *owner);

/* Checks the zone as a whole (SOA and NS at the apex), sorts the records
 * of each name into RRsets in wire form, computes node flags and builds
 * the hash index. On success returns 0 and stores the zone in *out (one
 * reference, the caller's: zone_free() or zdb_add()); on error (LV_ENOSOA,
 * LV_ENONS, LV_EMALF for more than 65535 records in one set, -ENOMEM)
 * stores NULL and writes the reason to err. The builder is freed in both
 * cases. */
int zone_builder_finish(struct zone_builder *b, struct zone **out,
			char *err, size_t errlen);

/* Abandons a build and frees everything it holds. NULL accepted. */
void zone_builder_free(struct zone_builder *b);

#endif
